"""The environment files agree with each other and with what is installed."""
import re
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from course_admin.freeze import direct_pins

ROOT = Path(__file__).resolve().parent.parent


def canonical(name):
    return re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()


def pip_pins():
    """Direct dependencies pinned by the two distributions: name -> version (raises when one is unpinned)."""
    return direct_pins()


def conda_pins():
    """Conda packages pinned in environment.yml: name -> version (python and pip excluded)."""
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for entry in environment["dependencies"]:
        if isinstance(entry, str):
            name, _, version = entry.partition("=")
            if canonical(name) not in {"python", "pip"}:
                pins[canonical(name)] = version
    return pins


def test_environment_yml_pins_the_same_versions_as_pyproject():
    assert conda_pins() == pip_pins(), (
        "environment.yml and pyproject.toml pin different versions: make them agree "
        f"(environment.yml: {conda_pins()}, pyproject.toml: {pip_pins()}).")


def test_environment_yml_uses_conda_forge_python_311_and_installs_the_course():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert environment["channels"][0] == "conda-forge"
    assert "python=3.11" in environment["dependencies"]
    pip_entries = [entry["pip"] for entry in environment["dependencies"] if isinstance(entry, dict)]
    assert pip_entries == [["-e ./course_utils", "-e ."]]


def test_constraints_do_not_repeat_or_contradict_the_direct_pins():
    lines = [line for line in (ROOT / "constraints.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    constrained = {canonical(line.split("==")[0]) for line in lines}
    assert all("==" in line for line in lines)
    assert not constrained & set(pip_pins())


@pytest.mark.parametrize("name", sorted(pip_pins()))
def test_installed_versions_match_the_pins(name):
    assert metadata.version(name) == pip_pins()[name], (
        f"{name} {metadata.version(name)} is installed but {pip_pins()[name]} is pinned: "
        "run `python3 course.py setup` to refresh the environment.")


def test_constraints_match_the_installed_environment():
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            assert metadata.version(name) == version, f"{name} is not at its pinned version {version}"

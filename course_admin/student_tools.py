"""Which of nbgrader's Jupyter tools a student's JupyterLab shows.

Students get Validate and the Assignment List; formgrader, "Create assignment" and the
Course List are the instructor's. The split is made with Jupyter's own configuration
files, so it holds for the handout's environment (written into its ``etc/jupyter``) and for
``course.py lab`` (a configuration folder of its own) alike. It tidies the student's view;
it is not a security boundary: the instructor tools need the instructor's files to do anything.
"""
from __future__ import annotations

import json
from pathlib import Path

#: JupyterLab plugins of nbgrader that only instructors use
INSTRUCTOR_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)

#: Jupyter server extensions of nbgrader that only instructors use
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)


def student_config_files() -> dict[str, str]:
    """Relative path in a Jupyter configuration folder -> content, for a student's JupyterLab."""
    page_config = {"disabledExtensions": {plugin: True for plugin in INSTRUCTOR_LAB_PLUGINS}}
    server_config = {"ServerApp": {"jpserver_extensions": {name: False for name in INSTRUCTOR_SERVER_EXTENSIONS}}}
    return {
        "labconfig/page_config.json": json.dumps(page_config, indent=2) + "\n",
        "jupyter_server_config.json": json.dumps(server_config, indent=2) + "\n",
    }


def write_student_jupyter_config(config_dir: Path) -> list[Path]:
    """Write :func:`student_config_files` into ``config_dir`` (created if needed); return the paths."""
    written = []
    for relative, content in student_config_files().items():
        path = Path(config_dir) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        written.append(path)
    return written

"""A real JupyterLab server for the browser tests, in a home and Jupyter folders of its own.

:func:`jupyter_home` makes a temporary ``HOME`` with ``JUPYTER_CONFIG_DIR``,
``JUPYTER_DATA_DIR``, ``JUPYTER_RUNTIME_DIR`` and ``IPYTHONDIR`` inside it;
:func:`running_lab` starts the command of a :class:`course_admin.lab.Launch` there on a free
127.0.0.1 port with a token, waits until the server answers, and stops it (SIGTERM,
then SIGKILL) when the block ends. Nothing here is a test; the helpers shared by the
browser tests (timing, screenshots on failure, JupyterLab commands) live here too.

The module is not called ``jupyter_server``: pytest puts ``tests/browser`` on ``sys.path``,
where a module of that name would shadow the Jupyter Server package itself.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

#: seconds JupyterLab may take to answer (it starts in 5-10 s on 2 busy cores)
START_TIMEOUT = 90

#: the environment variables a server gets from the test home (nothing from the user's)
HOME_VARIABLES = ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")


def jupyter_home(base: Path) -> dict[str, str]:
    """Create a home under ``base`` with empty Jupyter and IPython folders; return its variables."""
    home = Path(base) / "home"
    folders = {
        "HOME": home,
        "JUPYTER_CONFIG_DIR": home / ".jupyter",
        "JUPYTER_DATA_DIR": home / ".local" / "share" / "jupyter",
        "JUPYTER_RUNTIME_DIR": home / ".local" / "share" / "jupyter" / "runtime",
        "IPYTHONDIR": home / ".ipython",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {name: str(folder) for name, folder in folders.items()}


def server_environment(home: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without the user's Jupyter settings, with ``home`` and ``extra``."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("JUPYTER_", "JPY_")) and name not in HOME_VARIABLES}
    env.update(home)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


@dataclass
class LabServer:
    """A started server: its base URL, token, process and log file."""

    url: str
    token: str
    process: subprocess.Popen
    log: Path

    def page(self, path: str = "lab") -> str:
        """The URL of ``path`` on this server, with the token."""
        joiner = "&" if "?" in path else "?"
        return f"{self.url}/{path.lstrip('/')}{joiner}token={self.token}"

    def api(self, path: str) -> object:
        """GET ``path`` of the server's REST API (token in the header) and decode its JSON."""
        request = urllib.request.Request(f"{self.url}/{path.lstrip('/')}",
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read().decode())

    def status(self, path: str) -> int:
        """The HTTP status of a GET of ``path`` (token in the header)."""
        request = urllib.request.Request(f"{self.url}/{path.lstrip('/')}",
                                         headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _wait_until_up(server: LabServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {server.process.returncode} before answering:\n"
                               + server.log_text()[-4000:])
        try:
            server.api("api/status")
            return
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            time.sleep(0.25)
    raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n" + server.log_text()[-4000:])


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM (the server shuts its kernels down and exits), then SIGKILL after 20 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextlib.contextmanager
def running_lab(argv: list[str], cwd: Path, env: dict[str, str], log: Path, port: int | None = None,
                token: str | None = None, timeout: float = START_TIMEOUT):
    """Start ``argv`` (a ``python -m jupyterlab`` command) and yield a :class:`LabServer` once it answers.

    ``--no-browser``, 127.0.0.1, ``port`` (by default a free one) and ``token`` (by default a
    random one) are added unless ``argv`` sets them already; ``port`` and ``token`` must then
    be those of ``argv``.
    """
    from course_admin.lab import free_port

    port = port or free_port()
    token = token or secrets.token_hex(16)
    wanted = {  # option prefix -> the option added when the command has none
        "--no-browser": "--no-browser",
        "--ServerApp.ip=": "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=": f"--ServerApp.port={port}",
        "--ServerApp.port_retries=": "--ServerApp.port_retries=0",
        "--IdentityProvider.token=": f"--IdentityProvider.token={token}",
    }
    # Jupyter refuses an option given twice: add only those the command does not set
    command = [*argv, *(option for prefix, option in wanted.items()
                        if not any(arg.startswith(prefix) for arg in argv))]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = LabServer(f"http://127.0.0.1:{port}", token, process, log)
    started = time.perf_counter()
    try:
        _wait_until_up(server, timeout)
        print(f"\n[browser] JupyterLab in {cwd} answered after {time.perf_counter() - started:.1f} s",
              file=sys.stderr, flush=True)
        yield server
    finally:
        _stop(process)


# ----------------------------------------------------------------------------- shared by the tests


@contextlib.contextmanager
def timed(name: str):
    """Print to stderr how long the block took."""
    started = time.perf_counter()
    try:
        yield
    finally:
        print(f"\n[browser] {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


@contextlib.contextmanager
def screenshot_on_failure(page, folder: Path, name: str, server: LabServer | None = None):
    """Save a screenshot and the page's HTML into ``folder``, and print the server's log tail, when the block raises."""
    try:
        yield
    except BaseException:
        folder.mkdir(parents=True, exist_ok=True)
        shot = folder / f"{name}-failure.png"
        with contextlib.suppress(Exception):
            page.screenshot(path=str(shot), full_page=True)
            (folder / f"{name}-failure.html").write_text(page.content())
            print(f"\n[browser] {name} failed: screenshot {shot} (and the page's HTML beside it)",
                  file=sys.stderr)
        if server is not None:
            print(f"[browser] server log tail:\n{server.log_text()[-3000:]}", file=sys.stderr)
        raise


def quiet_lab_settings(home: dict[str, str]) -> None:
    """JupyterLab user settings of the test home: no news or update checks (no toast over the page)."""
    folder = Path(home["JUPYTER_CONFIG_DIR"]) / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))


def open_lab(page, server: LabServer, path: str = "lab") -> None:
    """Open ``path`` of JupyterLab; wait until its main menu and a main-area widget are drawn.

    (Keys pressed before the restored widget takes the focus are lost, and the focus change
    closes the command palette.)
    """
    page.goto(server.page(path))
    page.locator("#jp-top-panel .lm-MenuBar-item").first.wait_for(timeout=60_000)
    page.locator("#jp-main-dock-panel .lm-DockPanel-widget:visible").first.wait_for(timeout=60_000)
    next_frames(page)


def wait_for_kernel(page, timeout: float = 90_000) -> None:
    """Wait until the notebook on show is connected to an idle kernel (the status bar says so).

    Run All before that asks the student to select a kernel first.
    """
    page.locator("#jp-main-statusbar", has_text=re.compile(r"\(ipykernel\) \| Idle")).wait_for(timeout=timeout)


def next_frames(page) -> None:
    """Wait until the page has drawn twice (Lumino widgets update on the next animation frame)."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def palette_commands(page, query: str, wait_for: str | None = None) -> dict[str, str]:
    """Command id -> label of what the command palette offers for ``query``; the palette is closed again.

    ``wait_for``: a command id to wait for among the results (else the next drawn frames count).
    The palette is opened again (twice at most) when it lost the focus and closed meanwhile.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    palette = page.locator(".jp-ModalCommandPalette")
    for attempt in range(3):
        page.keyboard.press("Control+Shift+C")
        box = palette.locator("input.lm-CommandPalette-input")
        box.wait_for(state="visible")
        box.press_sequentially(query)
        if wait_for:
            try:
                palette.locator(f"[data-command='{wait_for}']").first.wait_for(timeout=5_000)
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
                page.keyboard.press("Escape")
                continue
        else:
            next_frames(page)
        if palette.is_visible() and box.input_value() == query:
            break
    items = palette.locator(".lm-CommandPalette-item")
    found = {items.nth(index).get_attribute("data-command"):
             items.nth(index).locator(".lm-CommandPalette-itemLabel").inner_text()
             for index in range(items.count())}
    page.keyboard.press("Escape")
    palette.wait_for(state="hidden")
    return found


def menu_labels(page, menu: str) -> list[str]:
    """Open the main-menu ``menu`` ("Nbgrader", "Run", ...); return the labels of its items; close it.

    Items whose command no plugin registered are kept hidden by Lumino, with an empty label:
    they are left out.
    """
    page.locator("#jp-top-panel .lm-MenuBar-item", has_text=menu).first.click()
    items = page.locator(".lm-Menu .lm-Menu-item[data-type='command'] .lm-Menu-itemLabel")
    items.first.wait_for(state="visible")
    labels = [label for label in items.all_inner_texts() if label.strip()]
    page.keyboard.press("Escape")
    page.locator(".lm-Menu").first.wait_for(state="detached")
    return labels

"""Browser tests: Playwright driving Debian's Chromium, headless.

Playwright cannot download a browser here, so it is pointed at the system's ``chromium``
(``.ci/run`` installs Debian's package when it is missing). Without it these tests skip and
say how to get it.
"""
from __future__ import annotations

import shutil

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str | None:
    """The system Chromium binary, or None."""
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("browser tests need Chromium: install Debian's package (apt-get install chromium); "
                    ".ci/run installs it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need Playwright for Python: run python3 course.py setup")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    """A fresh page in its own browser context (no cookies or storage shared between tests)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()

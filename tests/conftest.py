"""Test-wide set-up: read the public data sets from the offline copy when there is one; the browser fixtures."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from convcourse import COURSE_ROOT
from convcourse.data import use_offline_data

sys.path.insert(0, str(Path(__file__).parent))  # test helpers: nbgrader_course, ...

from jupyter_lab import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (a test helper: needs the path above)

ARTIFACTS = COURSE_ROOT / "test-artifacts"


def pytest_configure(config):
    # Before any test imports SciPy's or Keras's loaders; subprocesses (nbgrader, kernels) inherit it.
    # CONVCOURSE_OFFLINE_DATA, else ../shared/data beside the checkout (CI), else the libraries download.
    use_offline_data(config.cache.mkdir("keras-home"), fallback=COURSE_ROOT.parent / "shared" / "data")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("CONVCOURSE_FAST", "1")  # lesson 05 trains on a seeded subset (see convcourse/training.py)
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """A folder for files a person may want to look at after the run (screenshots, feedback)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# --- The browser tests' Chromium (tests/test_browser.py, tests/test_learner_browser.py) -----------------------
# Playwright is imported inside the fixtures, so that tests without a browser do not load it.


@pytest.fixture(scope="module")
def chromium() -> Path:
    """The system Chromium; the only thing whose absence skips the browser tests."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (Playwright cannot download a browser here)")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium):
    """Headless Chromium, shared by a module's tests and closed however they end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh page (own cookies and storage) in the module's Chromium."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()

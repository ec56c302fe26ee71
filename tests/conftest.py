"""Test-wide set-up: read the public data sets from the offline copy when there is one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from convcourse import COURSE_ROOT
from convcourse.data import offline_environment

sys.path.insert(0, str(Path(__file__).parent))  # test helpers: nbgrader_course, ...

ARTIFACTS = COURSE_ROOT / "test-artifacts"


def _offline_data() -> Path | None:
    """CONVCOURSE_OFFLINE_DATA, or ../shared/data beside the checkout (CI), or None (download)."""
    configured = os.environ.get("CONVCOURSE_OFFLINE_DATA")
    candidate = Path(configured) if configured else COURSE_ROOT.parent / "shared" / "data"
    return candidate if (candidate / "keras").is_dir() else None


def pytest_configure(config):
    # Set before any test imports SciPy's or Keras's loaders; subprocesses (nbgrader, kernels) inherit it.
    offline = _offline_data()
    if offline is not None:
        keras_home = Path(config.cache.mkdir("keras-home"))
        os.environ.update(offline_environment(offline, keras_home))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """A folder for files a person may want to look at after the run (screenshots, feedback)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

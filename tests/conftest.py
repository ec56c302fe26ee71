"""Test-wide set-up: read the public data sets from the offline copy when there is one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from convcourse import COURSE_ROOT
from convcourse.data import use_offline_data

sys.path.insert(0, str(Path(__file__).parent))  # test helpers: nbgrader_course, ...

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

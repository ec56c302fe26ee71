"""Training helpers for lesson 05: fast mode and seeded subsets.

Fast mode trains on a seeded subset for one epoch, so a run of lesson 05 takes well under a minute. It is on
when the learner asks for it (``CONVCOURSE_FAST=1`` before ``make lab``) and in the kernels nbgrader starts to
check a notebook (the Validate button, autograding), which it marks with its own ``NBGRADER_EXECUTION``
variable. A learner's own kernel trains on all 60,000 images. The graded functions never depend on training.
"""

from __future__ import annotations

import os

import numpy as np

FAST_MODE_VARIABLE = "CONVCOURSE_FAST"
# nbgrader sets this in its own process while it validates or autogrades; the kernels it starts inherit it.
NBGRADER_EXECUTION = "NBGRADER_EXECUTION"
FAST_TRAIN_IMAGES, FAST_TEST_IMAGES = 3_000, 1_000


def nbgrader_run() -> str | None:
    """'validate' or 'autograde' in a kernel nbgrader started to check a notebook; None in a learner's kernel."""
    return os.environ.get(NBGRADER_EXECUTION) or None


def fast_mode() -> bool:
    """True when the learner set CONVCOURSE_FAST=1 (or yes/true), or when nbgrader is checking the notebook."""
    asked = os.environ.get(FAST_MODE_VARIABLE, "").strip().lower() in ("1", "yes", "true")
    return asked or nbgrader_run() is not None


def fast_mode_note(fast: bool | None = None) -> str:
    """Why a run is in fast mode, for the line a lesson prints before training; empty when it is not."""
    if not (fast_mode() if fast is None else fast):
        return ""
    if nbgrader_run() is not None:
        return f" (fast mode: nbgrader's {nbgrader_run()} run)"
    return f" (fast mode: {FAST_MODE_VARIABLE}=1)" if fast_mode() else " (fast mode)"


def seeded_subset(images: np.ndarray, labels: np.ndarray, count: int, seed: int = 0):
    """``count`` images and their labels, chosen at random but the same every time."""
    if not 0 < count <= len(images):
        raise ValueError(f"count must be between 1 and {len(images)}, but got {count}.")
    chosen = np.sort(np.random.default_rng(seed).permutation(len(images))[:count])
    return images[chosen], labels[chosen]


def lesson_split(train, test, fast: bool | None = None):
    """The training and test sets lesson 05 uses: everything, or seeded subsets in fast mode."""
    if not (fast_mode() if fast is None else fast):
        return train, test
    return seeded_subset(*train, FAST_TRAIN_IMAGES, seed=1), seeded_subset(*test, FAST_TEST_IMAGES, seed=2)

"""Timing for the notebooks and benchmarks: the best of a few runs, since one run is noisy."""

from __future__ import annotations

import time
from typing import Callable


def best_time(fn: Callable, *args, repeat: int = 3, **kwargs) -> float:
    """Seconds taken by the fastest of ``repeat`` calls of ``fn(*args, **kwargs)``."""
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, but got {repeat}.")
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best


def timed_call(fn: Callable, *args, **kwargs):
    """``(result, seconds)`` of one call: for slow functions whose result is needed anyway."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start

"""make bench: speed as ratios measured in one run (timings on a shared machine swing; ratios hold).

1. Filtering a 512x512 image with a 3x3 kernel: lesson 02's loop correlate2d, its vectorised form,
   scipy.signal.correlate2d and scipy.ndimage.correlate (the fastest CPU implementation at hand).
2. Executing each solution notebook top to bottom, as CI and a learner's "Run All" do.
"""

from __future__ import annotations

import time

import nbformat
import numpy as np
from nbclient import NotebookClient
from scipy import ndimage, signal

from convcourse import COURSE_ROOT, data, notebooks, timing
from convcourse.release import lessons


def correlation_benchmark() -> None:
    lesson = notebooks.definitions(notebooks.read("02_whole_image"))
    image = data.ascent().astype(np.float64)  # every contender gets the same float64 input
    kernel = data.seed_filter()
    contenders = {
        "loop correlate2d (lesson 02)": (lambda: lesson["correlate2d"](image, kernel), 1),
        "vectorised correlate2d (lesson 02)": (lambda: lesson["correlate2d_vectorized"](image, kernel), 30),
        "scipy.signal.correlate2d": (lambda: signal.correlate2d(image, kernel, mode="valid"), 10),
        "scipy.ndimage.correlate": (lambda: ndimage.correlate(image, kernel), 30),
    }
    results = {name: run() for name, (run, _) in contenders.items()}
    reference = results["scipy.signal.correlate2d"]
    for name, result in results.items():
        cropped = result[1:-1, 1:-1] if result.shape != reference.shape else result
        assert np.allclose(cropped, reference), f"{name} disagrees with SciPy"
    seconds = {name: timing.best_time(run, repeat=repeat) for name, (run, repeat) in contenders.items()}
    fastest = seconds["scipy.ndimage.correlate"]
    print(f"\n512x512 image, 3x3 kernel (best of several runs; ratio = time / scipy.ndimage.correlate)")
    for name, value in seconds.items():
        print(f"  {name:<38} {value * 1000:10.2f} ms   x{value / fastest:8.2f}")
    vectorised = seconds["vectorised correlate2d (lesson 02)"]
    against_signal = vectorised / seconds["scipy.signal.correlate2d"]
    against_ndimage = vectorised / fastest
    print(f"  vectorised / scipy.signal.correlate2d = {against_signal:.2f}  (target <= 1.0: "
          f"{'met' if against_signal <= 1.0 else 'MISSED'})")
    print(f"  vectorised / scipy.ndimage.correlate  = {against_ndimage:.2f}  (target <= 2.0: "
          f"{'met' if against_ndimage <= 2.0 else 'MISSED'})")
    print(f"  loop / vectorised = {seconds['loop correlate2d (lesson 02)'] / vectorised:.0f}x")


def notebook_benchmark() -> None:
    print("\nExecuting each solution notebook top to bottom (fresh kernel each)")
    total = 0.0
    for lesson in lessons():
        notebook = nbformat.read(notebooks.notebook_path(lesson), as_version=4)
        start = time.perf_counter()
        NotebookClient(notebook, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(COURSE_ROOT / "solutions" / lesson)}}).execute()
        elapsed = time.perf_counter() - start
        total += elapsed
        print(f"  {lesson:<24} {elapsed:8.1f} s")
    print(f"  {'all lessons':<24} {total:8.1f} s")


if __name__ == "__main__":
    data.use_offline_data(COURSE_ROOT / ".cache" / "keras")
    correlation_benchmark()
    notebook_benchmark()

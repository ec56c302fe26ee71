"""make bench: speed as ratios measured in one run (timings on a shared machine swing; ratios hold).

1. Filtering a 512x512 image with a 3x3 kernel: lesson 02's loop correlate2d, its vectorised form,
   scipy.signal.correlate2d and scipy.ndimage.correlate (the fastest CPU implementation at hand).
2. Pooling a 512x512 image 2x2: lesson 03's max_pool2d against tf.nn.max_pool2d.
3. One Conv2D layer (3x3, 64 -> 64 channels) on a 28x28x64 input: lesson 04's conv2d against
   keras.layers.Conv2D with the same weights.
4. Accuracy against CPU seconds: lesson 05's dense baseline and the seed's CNN, epoch by epoch on all of
   Fashion-MNIST, beside the capstone's reference plan trained the way the grader trains it.
5. Autograding one submission of lesson 05 and one of the capstone with stock nbgrader.
6. The learner's install from the lock: time to a working .venv (first and warm) and its size.
7. Validate (the learner's button) on each lesson completed correctly, in learner mode.
8. Executing each solution notebook top to bottom (lesson 05 in fast mode), as CI does.
9. Grading a class (benchmarks/grading.py): `convcourse grade` against stock serial nbgrader, per lesson 01-05
   on a few submissions each (identical scores asserted), and a class where a tenth of the submissions hang.
10. `convcourse report` for a class of 200 (synthetic grading records of lessons 01-04, each student's
   mistakes and messages taken from tests/corpus/): one lesson's page and the all-lessons page.
11. Widget latency: each widget's update (a control moved from Python, as a click reaches the kernel, to the
   new outputs set) on the 512x512 photo, with the reference alone and with the learner's functions of a
   completed lesson beside it; median and worst against the issue's targets (100 ms, the stepper 50 ms). The
   browser's own share (sending the PNGs, painting) is not in these numbers.
12. Widget latency in a real browser (benchmarks/browser_latency.py): `make play` in Chromium, Run All, then
   each widget's controls moved as a person moves them, timed in the page from the key, click or change to
   the widget's last new output in the DOM; median and worst against the same targets.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np
from nbclient import NotebookClient
from scipy import ndimage, signal

from convcourse import COURSE_ROOT, capstone, data, notebooks, timing
from convcourse.release import lessons

import grading  # benchmarks/grading.py, beside this file
from browser_latency import browser_latency_benchmark  # benchmarks/browser_latency.py


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
    print("\n512x512 image, 3x3 kernel (best of several runs; ratio = time / scipy.ndimage.correlate)")
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


def _print_ratio(title: str, ours: tuple[str, float], theirs: tuple[str, float], target: float | None) -> None:
    (our_name, our_seconds), (their_name, their_seconds) = ours, theirs
    ratio = our_seconds / their_seconds
    print(f"\n{title}")
    print(f"  {our_name:<38} {our_seconds * 1000:10.2f} ms")
    print(f"  {their_name:<38} {their_seconds * 1000:10.2f} ms")
    verdict = "" if target is None else f"  (target <= {target:g}: {'met' if ratio <= target else 'MISSED'})"
    print(f"  ratio = {ratio:.2f}{verdict}")


def pooling_benchmark() -> None:
    import tensorflow as tf

    lesson = notebooks.definitions(notebooks.read("03_pooling"))
    image = data.ascent().astype(np.float32)
    ours = lesson["max_pool2d"](image)
    theirs = tf.nn.max_pool2d(image[None, :, :, None], 2, 2, "VALID")[0, :, :, 0].numpy()
    assert np.array_equal(ours, theirs), "max_pool2d disagrees with tf.nn.max_pool2d"
    _print_ratio("2x2 max pooling of a 512x512 float32 image",
                 ("max_pool2d (lesson 03)", timing.best_time(lesson["max_pool2d"], image, repeat=30)),
                 ("tf.nn.max_pool2d", timing.best_time(
                     lambda: tf.nn.max_pool2d(image[None, :, :, None], 2, 2, "VALID").numpy(), repeat=30)), 3.0)


def conv_layer_benchmark() -> None:
    import keras

    lesson = notebooks.definitions(notebooks.read("04_filters_to_layers"))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(28, 28, 64)).astype(np.float32)
    layer = keras.layers.Conv2D(64, (3, 3))
    layer.build((None, 28, 28, 64))
    kernels, bias = layer.get_weights()
    batch = x[None]
    assert np.allclose(lesson["conv2d"](x, kernels, bias), np.asarray(layer(batch))[0], atol=1e-4)
    _print_ratio("One Conv2D layer, 3x3 kernels, 64 -> 64 channels, 28x28x64 input (float32 weights)",
                 ("conv2d (lesson 04)", timing.best_time(lesson["conv2d"], x, kernels, bias, repeat=20)),
                 ("keras.layers.Conv2D", timing.best_time(lambda: np.asarray(layer(batch)), repeat=20)), None)


def accuracy_against_time_benchmark(epochs: int = 4) -> None:
    import keras

    lesson = notebooks.definitions(notebooks.read("05_cnn_in_keras"))
    (x_train, y_train), (x_test, y_test), _ = data.fashion_mnist()
    train_x, test_x = lesson["reshape_and_normalize"](x_train), lesson["reshape_and_normalize"](x_test)
    print(f"\nTest accuracy against training seconds, all 60,000 images, batch 64, seeded (CPU: {os.cpu_count()} cores)")
    for name in ("build_dense_model", "build_cnn"):
        keras.utils.set_random_seed(0)
        model, seconds = lesson[name](), 0.0
        for epoch in range(1, epochs + 1):
            _, elapsed = timing.timed_call(model.fit, train_x, y_train, epochs=1, batch_size=64, verbose=0)
            seconds += elapsed
            accuracy = model.evaluate(test_x, y_test, verbose=0)[1]
            print(f"  {name:<20} epoch {epoch}: {seconds:7.1f} s  test accuracy {accuracy:.4f}")
    reference = notebooks.definitions(notebooks.read("06_capstone"))
    result = capstone.train_and_evaluate(reference["build_model"]().to_json(), reference["TRAINING_PLAN"])
    print(f"  {'capstone reference':<20} {result.epochs_run} epochs: {result.seconds:7.1f} s  test accuracy "
          f"{result.test_accuracy:.4f} ({result.status}; target {capstone.FULL_MARKS_ACCURACY}, "
          f"{capstone.points_for(result.test_accuracy):g}/{capstone.ACCURACY_POINTS} points)")


def autograding_benchmark() -> None:
    import sys as _sys

    _sys.path.insert(0, str(COURSE_ROOT / "tests"))
    from nbgrader_course import Course

    print("\nAutograding one submission with stock nbgrader (the solution, submitted as a student)")
    with tempfile.TemporaryDirectory() as folder:
        for lesson, target in (("05_cnn_in_keras", 60), ("06_capstone", 180)):
            course = Course(Path(folder) / lesson, (lesson,))
            course.submit("student", lesson, notebooks.read(lesson))
            _, seconds = timing.timed_call(course.autograde, lesson)
            print(f"  {lesson:<24} {seconds:8.1f} s  (target under {target} s: {'met' if seconds < target else 'MISSED'}),"
                  f" score {course.total_score('student', lesson):g}")


def learner_install_benchmark() -> None:
    """The learner's install as `make lab` does it on a fresh clone: seconds to a working .venv, and its size.
    Run twice: the first with whatever the package cache holds (cold on a new machine), the second warm."""
    import shutil
    import subprocess
    import sys

    print("\nThe learner's install from the lock (python course.py env learner, as make lab runs it)")
    for attempt in ("first run", "second run (warm package cache)"):
        with tempfile.TemporaryDirectory() as folder:
            clone = Path(folder) / "convcourse"
            clone.mkdir()
            for name in ("course.py", "pyproject.toml", "uv.lock", "README.md"):
                shutil.copy(COURSE_ROOT / name, clone)
            for name in ("requirements", "convcourse"):
                shutil.copytree(COURSE_ROOT / name, clone / name, ignore=shutil.ignore_patterns("__pycache__"))
            start = time.perf_counter()
            subprocess.run([sys.executable, "course.py", "env", "learner"], cwd=clone, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seconds = time.perf_counter() - start
            size = sum(f.stat().st_size for f in (clone / ".venv").rglob("*") if f.is_file() and not f.is_symlink())
            print(f"  {attempt:<34} {seconds:7.1f} s   .venv {size / 1e9:5.2f} GB  (target: half of 2.4 GB: "
                  f"{'met' if size <= 1.2e9 else 'MISSED, TensorFlow alone is about 1.25 GB'})")


def validate_benchmark() -> None:
    """What the Validate button costs a learner: nbgrader's Validator, configured as `make lab`'s server loads it,
    on each lesson's learner notebook completed correctly (lesson 05 in fast mode, lesson 06 trains)."""
    from jupyter_core.paths import jupyter_config_path
    from nbgrader.apps import NbGrader
    from nbgrader.validator import Validator

    paths = jupyter_config_path()
    paths.insert(0, str(COURSE_ROOT))
    app = NbGrader()
    app.config_file_paths.append(paths)  # as nbgrader's Validate handler loads the course configuration
    app.load_config_file()
    print("\nValidate on a correctly completed learner notebook (what the button runs, learner mode)")
    for lesson in lessons():
        target = 180 if lesson == "06_capstone" else 30
        path = COURSE_ROOT / "notebooks" / lesson / f"{lesson}-bench-validate.ipynb"
        nbformat.write(notebooks.completed(lesson), path)
        try:
            result, seconds = timing.timed_call(Validator(config=app.config).validate, str(path))
        finally:
            path.unlink(missing_ok=True)
        verdict = "success" if not result.get("failed") else f"{len(result['failed'])} FAILED cell(s)"
        print(f"  {lesson:<24} {seconds:8.1f} s  (target under {target} s: {'met' if seconds < target else 'MISSED'}),"
              f" {verdict}")


def notebook_benchmark() -> None:
    os.environ.setdefault("CONVCOURSE_FAST", "1")  # as in CI and grading; the capstone's graded run is always full
    print("\nExecuting each solution notebook top to bottom (fresh kernel each; lesson 05 in fast mode)")
    total = 0.0
    for lesson in lessons():
        notebook = nbformat.read(notebooks.notebook_path(lesson), as_version=4)
        start = time.perf_counter()
        NotebookClient(notebook, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(COURSE_ROOT / "solutions" / lesson)}}).execute()
        elapsed = time.perf_counter() - start
        total += elapsed
        print(f"  {lesson:<24} {elapsed:8.1f} s")
    print(f"  {'all lessons':<24} {total:8.1f} s  (target under 360 s: {'met' if total < 360 else 'MISSED'})")


REPORT_LESSONS = ("01_one_pixel", "02_whole_image", "03_pooling", "04_filters_to_layers")


def _report_records(root: Path, size: int) -> None:
    """Records as `convcourse grade` saves them: student i of each lesson is the solution or one corpus mistake
    (its tests at 0 with a message naming it), every 7th waits for a written-answer mark, every 50th sent a
    broken file; the gradebook lists the class plus five students who sent nothing."""
    from nbgrader.api import Gradebook

    from convcourse.checks import MISTAKES
    from convcourse.grading.jobs import CellResult, GradingResult

    for lesson in REPORT_LESSONS:
        graded = [(notebooks.nbgrader_meta(c)["grade_id"], float(notebooks.nbgrader_meta(c)["points"]),
                   not notebooks.nbgrader_meta(c).get("solution"))
                  for c in notebooks.read(lesson, release=True).cells if notebooks.nbgrader_meta(c).get("grade")]
        kinds = [None] + [case for case in grading.all_cases() if case.lesson == lesson and not case.correct]
        for index in range(size):
            case, student = kinds[index % len(kinds)], f"s{index:03d}"
            cells = []
            for name, points, autograded in graded:
                failed = case is not None and name in case.failing
                message = f"AssertionError: {name} on a seeded input: {MISTAKES[case.mistake]}" if failed else ""
                cells.append(CellResult(name, None if not autograded and index % 7 == 0 else 0.0 if failed else points,
                                        points, autograded, message, case.mistake if failed else ""))
            outcome = "not a notebook: the file is empty" if index % 50 == 49 else "graded"
            result = GradingResult(lesson, student, outcome, [], cells, {}, None, 5.0, 400.0, "0" * 64)
            path = root / "grading" / lesson / "students" / f"{student}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({k: v for k, v in dataclasses.asdict(result).items() if k != "files"}))
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for index in range(size + 5):
            gradebook.add_student(f"s{index:03d}")


def report_benchmark(size: int = 200) -> None:
    """`convcourse report` as the instructor runs it (a fresh process, imports included), on a class of `size`."""
    print(f"\nconvcourse report on a class of {size} (synthetic records of {len(REPORT_LESSONS)} lessons)")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        shutil.copy(COURSE_ROOT / "nbgrader_config.py", root)
        _report_records(root, size)
        for title, args in [(f"one lesson ({REPORT_LESSONS[1]})", [REPORT_LESSONS[1]]), ("all lessons", [])]:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "convcourse.cli", "report", *args], cwd=root, check=True,
                           capture_output=True)
            elapsed = time.perf_counter() - start
            print(f"  {title:<28} {elapsed:8.1f} s  (target under 10 s: {'met' if elapsed < 10 else 'MISSED'})")


def _update_times(widget, moves, repeat: int = 3) -> list[float]:
    """Seconds per update: each move sets one control, as a click or key press does in the kernel."""
    times = []
    for _ in range(repeat):
        for move in moves:
            start = time.perf_counter()
            move(widget)
            times.append(time.perf_counter() - start)
    assert not widget.problem.value, widget.problem.value
    return times


def widget_latency_benchmark() -> None:
    from convcourse import widgets

    photo = {"ascent (512x512)": data.ascent()}
    (_, _), (x_test, y_test), class_names = data.fashion_mnist()

    fresh_counts = itertools.count(100)

    def setter(name, *values):
        control = lambda w: functools.reduce(getattr, name.split("."), w)  # noqa: E731
        return [lambda w, v=v: setattr(control(w), "value", v) for v in values]

    cases = {
        "pixel stepper (6x8)": ("01_one_pixel", 0.05, lambda yours: widgets.pixel_stepper(
            data.small_image(), data.seed_filter(), yours=yours), setter("slider", *range(1, 24), 0)),
        "kernel playground (512x512)": ("02_whole_image", 0.1, lambda yours: widgets.kernel_playground(
            photo, data.preset_filters(), yours=yours), setter("preset", *data.preset_filters())),
        "pooling explorer (512x512)": ("03_pooling", 0.1, lambda yours: widgets.pooling_explorer(
            photo, data.preset_filters(), yours=yours), setter("size", 3, 4, 2) + setter("mode", "average", "max")),
        # Filter counts never used before, so that Keras really builds each stack (the builder caches them).
        "architecture builder": ("04_filters_to_layers", 0.1, lambda yours: widgets.architecture_builder(yours),
                                 [lambda w: setattr(w.rows[0].filters, "value", next(fresh_counts))] * 4),
        "activation browser": ("05_cnn_in_keras", 0.1, lambda yours: widgets.activation_browser(
            None, x_test[:500], y_test[:500], class_names, yours=yours),
            setter("filter_choice", 1, 2, 3) + setter("layer_choice", 2, 0) + setter("example", 1, 2, 3)),
    }
    print("\nWidget latency: a control moved to new outputs set, in the kernel (ms; targets: stepper 50, others 100)")
    for name, (lesson, target, build, moves) in cases.items():
        for who, yours in (("reference", None), ("with yours", notebooks.definitions(notebooks.completed(lesson)))):
            times = np.array(_update_times(build(yours), moves)) * 1000
            median = float(np.median(times))
            print(f"  {name:<30} {who:<11} median {median:7.1f}  worst {times.max():7.1f}  (target <= "
                  f"{target * 1000:.0f} ms: {'met' if median <= target * 1000 else 'MISSED'})")


if __name__ == "__main__":
    data.use_offline_data(COURSE_ROOT / ".cache" / "keras")
    correlation_benchmark()
    pooling_benchmark()
    conv_layer_benchmark()
    accuracy_against_time_benchmark()
    autograding_benchmark()
    learner_install_benchmark()
    validate_benchmark()
    notebook_benchmark()
    grading.class_throughput_benchmark()
    grading.hanging_submissions_benchmark()
    report_benchmark()
    widget_latency_benchmark()
    browser_latency_benchmark()

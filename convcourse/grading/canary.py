"""The canary of every grading run: the reference solution and the untouched release, graded first.

Both go through the same jobs as the students (same limits, sandbox, data and environment), so whatever
would silently cost the whole class its points (a data set the kernel cannot read, a library that changed,
a check that broke) costs the reference its points first. ``verdict`` says what is wrong in words; the
command then merges nothing.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from convcourse import notebooks

from .protocol import GradingJob, GradingResult
from .records import CourseError

REFERENCE, RELEASE = "canary-reference", "canary-release"
STUDENTS = (REFERENCE, RELEASE)


def submissions(root: Path, lesson: str) -> dict[str, dict[str, bytes]]:
    """The two canary submissions, built from the course folder: the release with the instructor's answers
    typed in, and the release as a learner receives it (with the other files of its folder)."""
    folder = root / "notebooks" / lesson
    if not notebooks.notebook_path(lesson, release=True, root=root).exists():
        raise CourseError(f"no release of {lesson} in {folder} for the canary: run `nbgrader generate_assignment "
                          f"{lesson} --force` (or `make release`) first")
    others = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.suffix != ".ipynb"}
    release = notebooks.notebook_path(lesson, release=True, root=root).read_bytes()
    reference = nbformat.writes(notebooks.completed(lesson, root=root)).encode()
    return {REFERENCE: {**others, f"{lesson}.ipynb": reference}, RELEASE: {**others, f"{lesson}.ipynb": release}}


def jobs(template: GradingJob, root: Path) -> list[GradingJob]:
    """Canary jobs in the same conditions as ``template``, a student's job of this run."""
    found = submissions(root, template.lesson)
    return [GradingJob(**{**template.__dict__, "student": student, "submission": found[student]})
            for student in STUDENTS]


def verdict(results: dict[str, GradingResult]) -> str | None:
    """None when the reference earns every automatic point and the release none; otherwise what is wrong."""
    reference, release = results[REFERENCE], results[RELEASE]
    if reference.outcome != "graded":
        return (f"The reference solution could not be graded ({reference.outcome}).\n"
                + _log_hint(reference))
    lost = [cell for cell in reference.cells if cell.autograded and (cell.points or 0) < cell.max_points]
    if lost:
        first = first_error(reference)
        lines = [f"The reference solution loses points on {len(lost)} test{'s' if len(lost) > 1 else ''}, "
                 f"so your students would too: {_cause([first] + [cell.message for cell in lost])}"]
        if first:
            lines.append(f"The first error in its notebook: {first[:500]}")
        lines += [f"  {cell.name}: {cell.points or 0:g}/{cell.max_points:g}  {cell.message[:300]}" for cell in lost]
        return "\n".join(lines)
    earned = [cell for cell in release.cells if cell.autograded and (cell.points or 0) > 0]
    if earned:
        names = ", ".join(f"{cell.name} ({cell.points:g})" for cell in earned)
        return (f"The untouched release earns points on {names}: those tests pass with no answer written. "
                f"Check that each test calls the learner's code and that the release was generated from "
                f"solutions/ (`make release`, or `nbgrader generate_assignment`).")
    return None


def first_error(result: GradingResult) -> str:
    """'Name: message' of the first error in the graded notebook ('' if none): often the cause of the rest."""
    notebook = f"autograded/{result.student}/{result.lesson}/{result.lesson}.ipynb"
    if notebook not in result.files:
        return ""
    for cell in nbformat.reads(result.files[notebook].decode("utf-8"), as_version=4).cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"{output.get('ename', '')}: {output.get('evalue', '')}".splitlines()[0]
    return ""


def _cause(errors: list[str]) -> str:
    """The likeliest reason, in words, from the errors the reference's notebook raised."""
    messages = " ".join(errors)
    if any(word in messages for word in ("FileNotFoundError", "No such file", "DataUnavailableError")):
        from convcourse.data import DATA_DIR

        return (f"a file the lesson reads is missing in the grading kernel: the course's data/ folder "
                f"({DATA_DIR}), or the data sets in the Keras and SciPy caches of the user grading.")
    if "ModuleNotFoundError" in messages or "ImportError" in messages:
        return "a library the lesson imports is missing: rebuild the environment (make env)."
    if "RecheckFailed" in messages:
        return "the re-check outside the kernel disagrees with the kernel: the environment or the checks changed."
    return ("the checks, the data or the environment no longer agree with solutions/ (a library upgraded? "
            "an edited check?). Run the lesson's solution notebook and `make test` to find which.")


def _log_hint(result: GradingResult) -> str:
    tail = result.log_tail.strip().splitlines()[-5:]
    return "The end of nbgrader's log:\n" + "\n".join(f"  {line}" for line in tail) if tail else ""

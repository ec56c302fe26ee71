"""A self-paced learner's progress report (read from saved notebooks) and lesson reset (backup, fresh copy)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_output

from convcourse import COURSE_ROOT, cli, notebooks, progress
from convcourse.release import nbgrader_environment

# pad2d_border's check message as a learner sees it: long, on several lines.
PAD2D_MESSAGE = ("pad2d(image, 1) put the zeros on the wrong side: the first row of the result is the image's first "
                 "row, expected a row of zeros. Padding adds `width` zeros before AND after each axis, like "
                 "np.pad(image, width).\nFirst row returned: [1 2 3]")
# Its first line, trimmed for a one-line report.
PAD2D_REASON = ("AssertionError: pad2d(image, 1) put the zeros on the wrong side: the first row of the result is the "
                "image's first row, expected a row of zeros. Padding adds...")


def _cell(notebook, grade_id: str):
    return notebooks.cell(notebook, grade_id)


def _ran(notebook, grade_id: str, *outputs, count: int = 1) -> None:
    """Give a test cell the outputs and execution count a run in JupyterLab would have saved."""
    target = _cell(notebook, grade_id)
    target.execution_count = count
    target.outputs = list(outputs)


def _answer(notebook, grade_id: str, source: str) -> None:
    _cell(notebook, grade_id).source = source


def _failed(notebook, grade_id: str, ename: str, evalue: str) -> None:
    _ran(notebook, grade_id, new_output("error", ename=ename, evalue=evalue,
                                        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"]))


def _save(root: Path, lesson: str, notebook) -> Path:
    path = root / "notebooks" / lesson / f"{lesson}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def whole_image_halfway():
    """Lesson 02 as a learner saved it: one check passed, one failed, the rest not run; the written answer done."""
    nb = notebooks.read("02_whole_image", release=True)
    _answer(nb, "conv_output_size", "def conv_output_size(n, k, padding='valid', stride=1):\n    return (n - k) // stride + 1")
    _ran(nb, "conv_output_size_worked_sizes", new_output("stream", name="stdout", text="conv_output_size: all sizes right\n"),
         count=4)
    _answer(nb, "pad2d", "def pad2d(image, width, value=0):\n    return image")
    _failed(nb, "pad2d_border", "AssertionError", PAD2D_MESSAGE)
    # A library warning on stderr (a learner's own kernel prints them there) is not a failure.
    _ran(nb, "to_display_clip_and_rescale", new_output("stream", name="stderr", text="UserWarning: something a library says\n"),
         count=9)
    _answer(nb, "clip_or_rescale", "Clip for display only: the raw sums are what later layers use.")
    return nb


@pytest.fixture
def learner(tmp_path) -> Path:
    """A learner's course folder with only notebooks/: 01 missing, 02 half done, 03 broken, 06 partly scored."""
    (tmp_path / "notebooks" / "01_one_pixel").mkdir(parents=True)
    _save(tmp_path, "02_whole_image", whole_image_halfway())
    broken = tmp_path / "notebooks" / "03_pooling" / "03_pooling.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [')
    return tmp_path


def test_each_test_cell_is_passed_failed_or_not_run_from_its_saved_outputs(learner):
    result = progress.lesson_progress("02_whole_image", learner)
    assert result.problem == ""
    assert {test.grade_id: test.state for test in result.tests} == {
        "conv_output_size_worked_sizes": "passed",
        "pad2d_border": "failed",
        "correlate2d_valid": "not run",
        "correlate2d_stride": "not run",
        "correlate2d_same": "not run",
        "correlate2d_uint8": "not run",
        "to_display_clip_and_rescale": "passed",
    }
    failed = {test.grade_id: test for test in result.tests}["pad2d_border"]
    assert failed.reason == PAD2D_REASON and len(failed.reason) <= progress.REASON_LENGTH
    assert [test.points for test in result.tests] == [2, 0, 0, 0, 0, 0, 1]
    assert (result.passed, result.points, result.max_points) == (2, 3, 9)
    assert result.written_answers == ("clip_or_rescale",) and result.written_answers_left == ()
    assert result.stub_answers == ("correlate2d", "to_display")
    assert result.next_step == f"fix pad2d_border: {PAD2D_REASON}"


def test_next_step_is_the_first_thing_left_in_the_notebook(tmp_path):
    nb = whole_image_halfway()
    _answer(nb, "pad2d", "def pad2d(image, width, value=0):\n    return np.pad(image, width, constant_values=value)")
    _ran(nb, "pad2d_border", count=5)
    _save(tmp_path, "02_whole_image", nb)
    assert progress.lesson_progress("02_whole_image", tmp_path).next_step == (
        "write correlate2d: replace raise NotImplementedError() with your code")

    for grade_id in ("correlate2d", "to_display"):
        _answer(nb, grade_id, f"def {grade_id}(*args):\n    return 0")
    _save(tmp_path, "02_whole_image", nb)
    assert progress.lesson_progress("02_whole_image", tmp_path).next_step == (
        "run the notebook (Run > Run All Cells) and save it: correlate2d_valid has not run")

    for count, grade_id in enumerate(("correlate2d_valid", "correlate2d_stride", "correlate2d_same", "correlate2d_uint8")):
        _ran(nb, grade_id, count=10 + count)
    _answer(nb, "clip_or_rescale", "YOUR ANSWER HERE")
    _save(tmp_path, "02_whole_image", nb)
    done_but_writing = progress.lesson_progress("02_whole_image", tmp_path)
    assert (done_but_writing.passed, done_but_writing.points) == (7, 9)
    assert done_but_writing.written_answers_left == ("clip_or_rescale",)
    assert done_but_writing.next_step == "write your answer in clip_or_rescale"

    _answer(nb, "clip_or_rescale", "Clip for display, keep the raw sums.")
    _save(tmp_path, "02_whole_image", nb)
    assert progress.lesson_progress("02_whole_image", tmp_path).next_step.startswith("nothing left")


def test_a_number_a_test_cell_returns_is_partial_credit_as_nbgrader_counts_it(tmp_path):
    nb = notebooks.read("06_capstone", release=True)
    for grade_id in ("build_model", "stop_at_accuracy"):
        _answer(nb, grade_id, "# my answer")
    _ran(nb, "capstone_rules", count=3)
    _ran(nb, "stop_callback", new_output("stream", name="stdout", text="StopAtAccuracy stops at the right epoch\n"), count=4)
    _ran(nb, "capstone_accuracy", new_output("stream", name="stdout", text="test accuracy 0.8612 ...\n"),
         new_output("execute_result", data={"text/plain": "3.5"}, execution_count=7), count=7)
    _save(tmp_path, "06_capstone", nb)
    result = progress.lesson_progress("06_capstone", tmp_path)
    assert [(test.state, test.points) for test in result.tests] == [("passed", 2), ("passed", 2), ("passed", 3.5)]
    assert (result.points, result.max_points) == (7.5, 9)
    assert result.next_step == "improve capstone_accuracy: 3.5 of 5 points so far"


def test_a_missing_or_unreadable_notebook_is_reported_not_a_crash(learner):
    missing, whole_image, broken = progress.course_progress(learner)
    assert [p.lesson for p in (missing, whole_image, broken)] == ["01_one_pixel", "02_whole_image", "03_pooling"]
    assert missing.problem == "notebook missing: notebooks/01_one_pixel/01_one_pixel.ipynb"
    assert missing.tests == () and missing.next_step == "reset the lesson to get a fresh copy"
    assert broken.problem.startswith("notebook unreadable: ") and broken.tests == ()
    assert "reset the lesson" in broken.next_step
    assert whole_image.problem == ""


def test_text_report_is_an_aligned_table_with_the_next_step_and_says_what_the_states_mean(learner):
    report = progress.format_progress(progress.course_progress(learner))
    lines = report.splitlines()
    assert "last saved run" in lines[0] and "Validate button" in lines[0]
    table = lines[2:6]
    assert re.split(r"\s{2,}", table[0]) == ["lesson", "tests passed", "points (autograded)", "written answers left", "next"]
    assert re.split(r"\s{2,}", table[2], maxsplit=4) == [
        "02_whole_image", "2 / 7", "3 / 9", "0 of 1", f"fix pad2d_border: {PAD2D_REASON}"]
    assert table[1].startswith("01_one_pixel") and "notebook missing" in table[1]
    assert table[3].startswith("03_pooling") and "notebook unreadable" in table[3]
    assert lines[-2:] == [  # a missing or broken notebook: say how to get a fresh copy
        "For a fresh copy of 01_one_pixel: make reset LESSON=01_one_pixel (a notebook already there is backed up first).",
        "For a fresh copy of 03_pooling: make reset LESSON=03_pooling (a notebook already there is backed up first)."]
    next_column = table[0].index("next")
    assert {table[2].index("fix pad2d_border"), table[1].index("notebook missing")} == {next_column}
    assert progress.format_progress(progress.lesson_progress("02_whole_image", learner)).count("02_whole_image") == 1


def test_cli_prints_the_report_and_refuses_an_unknown_lesson(learner):
    run = [sys.executable, "-m", "convcourse.cli", "progress"]
    one = subprocess.run([*run, "02_whole_image", "--course", str(learner)], capture_output=True, text=True)
    assert one.returncode == 0, one.stderr
    assert "fix pad2d_border: AssertionError: pad2d(image, 1)" in one.stdout and "01_one_pixel" not in one.stdout
    unknown = subprocess.run([*run, "02_whole", "--course", str(learner)], capture_output=True, text=True)
    assert unknown.returncode == 2
    assert "There is no lesson '02_whole' in this course. The lessons are: 01_one_pixel, 02_whole_image, 03_pooling." \
        in unknown.stderr
    assert "progress [LESSON]" in cli.USAGE and "reset LESSON" in cli.USAGE


def test_html_report_escapes_messages_and_says_what_the_states_mean(tmp_path):
    nb = whole_image_halfway()
    _failed(nb, "pad2d_border", "AssertionError", "expected <script>alert(1)</script> & more")
    _save(tmp_path, "02_whole_image", nb)
    report = progress.show_progress(tmp_path)
    assert "last saved run" in report.header.value and "Validate button" in report.header.value
    assert "<script>" not in report.table.value
    assert "fix pad2d_border: AssertionError: expected &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in report.table.value


def test_reset_button_asks_first_then_resets_and_refreshes_the_table(learner, monkeypatch):
    calls = []

    def fake_reset(lesson, root):
        calls.append((lesson, root))
        _save(root, lesson, notebooks.read(lesson, release=True))
        return root / "backups" / lesson / f"{lesson}-20250102-030405.ipynb"

    monkeypatch.setattr(progress, "reset_lesson", fake_reset)
    report = progress.show_progress(learner)
    assert list(report.resets) == ["01_one_pixel", "02_whole_image", "03_pooling"]
    assert "fix pad2d_border" in report.table.value
    control = report.resets["02_whole_image"]
    assert control.reset_button.description == "Reset lesson" and not control.asking

    control.reset_button.click()
    assert control.asking and control.reset_button not in control.row.children
    assert control.question.value == "Really reset 02_whole_image? Your copy is backed up first."
    control.cancel_button.click()
    assert not control.asking and control.reset_button in control.row.children and calls == []

    control.reset_button.click()
    control.confirm_button.click()
    assert calls == [("02_whole_image", learner)]
    assert not control.asking
    assert "backups/02_whole_image/02_whole_image-20250102-030405.ipynb" in control.message.value
    assert "File &gt; Reload Notebook from Disk" in control.message.value
    assert "fix pad2d_border" not in report.table.value, "the table is read again after a reset"
    assert "write conv_output_size" in report.table.value


def test_a_reset_that_fails_says_so_and_keeps_the_notebook(learner, monkeypatch):
    def failing_reset(lesson, root):
        raise progress.ResetError(f"nbgrader could not make a fresh copy of {lesson} (exit 1); your notebook is unchanged.")

    monkeypatch.setattr(progress, "reset_lesson", failing_reset)
    before = (learner / "notebooks" / "02_whole_image" / "02_whole_image.ipynb").read_bytes()
    control = progress.show_progress(learner).resets["02_whole_image"]
    control.reset_button.click()
    control.confirm_button.click()
    assert "your notebook is unchanged" in control.message.value and not control.asking
    assert (learner / "notebooks" / "02_whole_image" / "02_whole_image.ipynb").read_bytes() == before


def test_backups_are_never_overwritten(tmp_path):
    path = _save(tmp_path, "01_one_pixel", notebooks.read("01_one_pixel", release=True))
    moment = datetime(2025, 1, 2, 3, 4, 5)
    first = progress.backup_notebook("01_one_pixel", tmp_path, now=moment)
    path.write_text(path.read_text().replace("YOUR ANSWER HERE", "my answer"))
    second = progress.backup_notebook("01_one_pixel", tmp_path, now=moment)
    assert first == tmp_path / "backups" / "01_one_pixel" / "01_one_pixel-20250102-030405.ipynb"
    assert second == first.with_name("01_one_pixel-20250102-030405-2.ipynb")
    assert "my answer" not in first.read_text() and second.read_bytes() == path.read_bytes()
    (path).unlink()
    assert progress.backup_notebook("01_one_pixel", tmp_path) is None


def test_reset_refuses_an_unknown_lesson_and_lists_the_lessons(tmp_path):
    for lesson in ("01_one_pixel", "02_whole_image"):
        (tmp_path / "solutions" / lesson).mkdir(parents=True)
    with pytest.raises(progress.UnknownLesson) as refused:
        progress.reset_lesson("01_one_pixl", tmp_path)
    assert str(refused.value) == ("There is no lesson '01_one_pixl' in this course. "
                                  "The lessons are: 01_one_pixel, 02_whole_image.")
    assert not (tmp_path / "backups").exists() and not (tmp_path / "notebooks").exists()
    assert cli.main(["reset", "01_one_pixl", "--course", str(tmp_path)]) == 2


def test_progress_notebook_is_clean_and_one_call():
    notebook = nbformat.read(COURSE_ROOT / "progress.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    assert set(notebook.metadata) == {"kernelspec", "language_info"}
    title, code = notebook.cells
    assert title.cell_type == "markdown" and title.source.startswith("# ")
    assert code.source == "from convcourse import progress\nprogress.show_progress()"
    assert code.outputs == [] and code.execution_count is None and code.metadata == {}
    namespace: dict = {}
    setup, call = code.source.splitlines()
    exec(setup, namespace)
    report = eval(call, namespace)  # what the cell shows: the report on this checkout's notebooks/
    assert isinstance(report, progress.ProgressReport)
    assert all(lesson in report.table.value for lesson in progress.course_lessons(COURSE_ROOT))


@pytest.mark.slow
def test_reset_backs_up_the_learners_notebook_and_puts_back_the_release(tmp_path, capsys):
    lesson = "01_one_pixel"
    course = tmp_path / "course"
    for folder in ("solutions", "notebooks", "grader"):
        shutil.copytree(COURSE_ROOT / folder, course / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(COURSE_ROOT / "nbgrader_config.py", course)
    # The release as stock nbgrader makes it from this course's solutions (independently of convcourse).
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", lesson, "--no-db", "--force",
                    f"--CourseDirectory.release_directory={tmp_path / 'expected'}", "--log-level=WARN"],
                   cwd=course, env=nbgrader_environment(), check=True, capture_output=True)
    release = (tmp_path / "expected" / lesson / f"{lesson}.ipynb").read_bytes()

    notebook = course / "notebooks" / lesson / f"{lesson}.ipynb"
    edited = notebook.read_bytes().replace(b"YOUR ANSWER HERE", b"Because 577 is the filter's real output.")
    assert edited != notebook.read_bytes()
    notebook.write_bytes(edited)

    backup = progress.reset_lesson(lesson, course)
    assert backup.parent == course / "backups" / lesson
    assert re.fullmatch(rf"{lesson}-\d{{8}}-\d{{6}}(-\d+)?\.ipynb", backup.name)
    assert backup.read_bytes() == edited
    assert notebook.read_bytes() == release

    assert cli.main(["reset", lesson, "--course", str(course)]) == 0
    backups = sorted((course / "backups" / lesson).iterdir())
    assert len(backups) == 2 and backup in backups
    (second,) = set(backups) - {backup}
    printed = capsys.readouterr().out
    assert f"backed up in backups/{lesson}/{second.name}" in printed
    assert f"If {lesson}.ipynb is open in JupyterLab, use File > Reload Notebook from Disk now" in printed
    assert second.read_bytes() == release and backup.read_bytes() == edited
    assert notebook.read_bytes() == release


@pytest.mark.slow
def test_a_release_keeps_a_copy_of_every_notebook_it_changes(tmp_path):
    """`make release` over a learner's edited notebook: the edit is backed up first; untouched lessons make none."""
    course = tmp_path / "course"
    shutil.copytree(COURSE_ROOT / "grader", course / "grader")
    for folder in ("solutions", "notebooks"):  # two lessons: one edited, one not (each release costs seconds)
        for lesson in ("01_one_pixel", "02_whole_image"):
            shutil.copytree(COURSE_ROOT / folder / lesson, course / folder / lesson,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(COURSE_ROOT / "nbgrader_config.py", course)
    notebook = course / "notebooks" / "01_one_pixel" / "01_one_pixel.ipynb"
    release = notebook.read_bytes()
    edited = release.replace(b"YOUR ANSWER HERE", b"My own words.")
    notebook.write_bytes(edited)
    (notebook.parent / "my_scratch.ipynb").write_text("{}")  # a learner's own file in the lesson's folder

    from convcourse.release import write_release

    backups = write_release(course)
    assert [backup.parent.name for backup in backups] == ["01_one_pixel"]
    assert backups[0].read_bytes() == edited and notebook.read_bytes() == release
    assert (notebook.parent / "my_scratch.ipynb").read_text() == "{}"
    assert write_release(course) == []

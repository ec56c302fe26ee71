"""`convcourse report`: the class's statistics from grading records, the HTML pages, Chromium, the command.

A synthetic class of lesson 01 (and a few students of lesson 03) is written as `convcourse grade` leaves its
records (records.Course.save: the result as JSON, without the files), with known mistakes and the checks' own
messages, so every count below is worked out by hand. No nbgrader run is needed. The gradebook holds the
roster only, so one student without a record shows up as "no submission".
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from convcourse import COURSE_ROOT
from convcourse.checks import MISTAKES
from convcourse.grading import report
from convcourse.grading.jobs import CellResult, GradingResult
from convcourse.grading.records import Course

LESSON = "01_one_pixel"
POOLING = "03_pooling"
SEED_TEST, PIXEL_TEST, WRITTEN = "weighted_sum_seed_pixel", "filter_pixel_small_image", "why_keep_577"
ODD = "d'angelo&co"  # a student id that HTML must escape (a valid folder name)
BOLD_MESSAGE = "ValueError: operands could not be broadcast together with shapes <b>(3,3)</b> (5,5)"

# The checks' messages, worded as lesson 01's tests word them (tests/corpus/wrong/ gives these mistakes).
SEED_CALL = "AssertionError: weighted_sum(patch, kernel) on the 192 pixel"
FLIPPED = f"{SEED_CALL} returned 732, expected 577: {MISTAKES['flipped']}"
CLIPPED = f"{SEED_CALL} returned 255, expected 577: {MISTAKES['clipped']}"
CORNER = f"AssertionError: filter_pixel(image, kernel, 2, 3) returned 637, expected 577: {MISTAKES['corner']}"


def passed(name: str) -> CellResult:
    return CellResult(name=name, points=3.0, max_points=3.0, autograded=True)


def failed(name: str, message: str = "", mistake: str = "") -> CellResult:
    return CellResult(name=name, points=0.0, max_points=3.0, autograded=True, message=message, mistake=mistake)


def written(points: float | None) -> CellResult:
    return CellResult(name=WRITTEN, points=points, max_points=2.0, autograded=False)


def lesson_01(student: str, seed: CellResult, pixel: CellResult, answer: CellResult,
              outcome: str = "graded") -> GradingResult:
    return GradingResult(lesson=LESSON, student=student, outcome=outcome, notes=[], cells=[seed, pixel, answer],
                         files={}, timestamp=None, seconds=3.0, peak_memory_mb=300.0, submission_sha256="0" * 64)


def not_graded(student: str, outcome: str) -> GradingResult:
    """What a job records when nothing could run: every cell at 0, in the gradebook's (name) order."""
    cells = sorted([failed(SEED_TEST), failed(PIXEL_TEST), written(0.0)], key=lambda c: c.name)
    return dataclasses.replace(lesson_01(student, *cells, outcome=outcome), cells=cells)


def class_of_lesson_01() -> list[GradingResult]:
    """Ten records (7 graded, 3 not) of a lesson worth 8 points: 3 + 3 for the tests, 2 for a written answer."""
    return [
        lesson_01("alice", passed(SEED_TEST), passed(PIXEL_TEST), written(2)),                      # 8
        lesson_01("bob", passed(SEED_TEST), passed(PIXEL_TEST), written(None)),                     # 6, mark pending
        lesson_01("carol", failed(SEED_TEST, FLIPPED, "flipped"), passed(PIXEL_TEST), written(None)),  # 3, pending
        lesson_01(ODD, failed(SEED_TEST, FLIPPED, "flipped"), failed(PIXEL_TEST, CORNER, "corner"), written(1)),  # 1
        lesson_01("erin", failed(SEED_TEST, CLIPPED, "clipped"), passed(PIXEL_TEST), written(2)),   # 5
        lesson_01("gina", failed(SEED_TEST, FLIPPED, "flipped"), passed(PIXEL_TEST), written(0)),   # 3
        lesson_01("hank", failed(SEED_TEST, CLIPPED, "clipped"), failed(PIXEL_TEST, BOLD_MESSAGE), written(0)),  # 0
        not_graded("ivan", "not a notebook: the file is empty"),
        not_graded("judy", "timeout: still running after the 900 s limit"),
        not_graded("liam", f"no notebook: expected {LESSON}.ipynb (notebooks found: none)"),
    ]


def class_of_lesson_03() -> list[GradingResult]:
    def pooling(student: str, max_pool: CellResult) -> GradingResult:
        cells = [CellResult("pooled_size_worked_sizes", 2.0, 2.0, True), max_pool,
                 CellResult("avg_pool2d_like_keras", 2.0, 2.0, True), CellResult("why_max_pooling", None, 2.0, False)]
        return GradingResult(lesson=POOLING, student=student, outcome="graded", notes=[], cells=cells, files={},
                             timestamp=None, seconds=3.0, peak_memory_mb=300.0, submission_sha256="0" * 64)

    averaged = (f"AssertionError: max_pool2d(x) on the 4x4 example returned [[ 61.5, 66.25], [ 59.75, 42.]], "
                f"expected [[200, 99], [120, 84]]: {MISTAKES['averaged_not_max']}")
    return [pooling("alice", CellResult("max_pool2d_like_keras", 3.0, 3.0, True)),
            pooling("bob", CellResult("max_pool2d_like_keras", 0.0, 3.0, True, averaged, "averaged_not_max")),
            pooling("kim", CellResult("max_pool2d_like_keras", 0.0, 3.0, True, averaged, "averaged_not_max"))]


def save_record(root: Path, result: GradingResult) -> None:
    """As records.Course.save writes the record (the files went to autograded/ and feedback/)."""
    path = root / "grading" / result.lesson / "students" / f"{result.student}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = dataclasses.asdict(result)
    record.pop("files")
    path.write_text(json.dumps(record, indent=1))


def feedback_page(root: Path, student: str, lesson: str) -> None:
    page = root / "feedback" / student / lesson / f"{lesson}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(f"<html><body>feedback for {lesson}</body></html>")


@pytest.fixture(scope="module")
def roster(tmp_path_factory) -> Path:
    """A gradebook with the class's students and nothing else (made once: creating one takes seconds)."""
    path = tmp_path_factory.mktemp("roster") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}") as gradebook:
        for student in ["alice", "bob", "carol", ODD, "erin", "gina", "hank", "ivan", "judy", "kim", "liam"]:
            gradebook.add_student(student)
    return path


@pytest.fixture
def course_root(tmp_path, roster) -> Path:
    """A course folder with the two lessons' records, the roster's gradebook, three feedback pages."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(COURSE_ROOT / "nbgrader_config.py", root)
    shutil.copy(roster, root / "gradebook.db")
    for result in class_of_lesson_01() + class_of_lesson_03():
        save_record(root, result)
    for student in ["alice", "carol", ODD]:
        feedback_page(root, student, LESSON)
    return root


# --- the statistics -------------------------------------------------------------------------------------

def test_lesson_statistics_of_a_class_with_known_mistakes(course_root):
    course = Course(course_root)
    stats = report.read_lesson(course, LESSON)

    assert stats.max_score == 8
    assert stats.scores == {"alice": 8, "bob": 6, "carol": 3, ODD: 1, "erin": 5, "gina": 3, "hank": 0,
                            "ivan": 0, "judy": 0, "liam": 0}
    assert stats.graded == 7
    assert stats.summary() == {"mean": 2.6, "median": 2.0, "min": 0, "max": 8}

    cells = {c.name: c for c in stats.cells}
    assert list(cells) == [SEED_TEST, PIXEL_TEST, WRITTEN]  # the notebook's order, not the not-graded records'
    assert (cells[SEED_TEST].passed, len(cells[SEED_TEST].points), cells[SEED_TEST].median_points) == (2, 7, 0)
    assert (cells[PIXEL_TEST].passed, len(cells[PIXEL_TEST].points), cells[PIXEL_TEST].median_points) == (5, 7, 3)
    assert (cells[WRITTEN].passed, len(cells[WRITTEN].points), cells[WRITTEN].median_points) == (2, 5, 1)
    assert cells[PIXEL_TEST].unnamed == {BOLD_MESSAGE: 1}

    ranked = [(m.key, m.count, m.tests, m.students) for m in stats.misconceptions]
    assert ranked == [("flipped", 3, {SEED_TEST: 3}, ["carol", ODD, "gina"]),
                      ("clipped", 2, {SEED_TEST: 2}, ["erin", "hank"]),
                      ("corner", 1, {PIXEL_TEST: 1}, [ODD])]
    assert stats.misconceptions[0].sentence == MISTAKES["flipped"]
    assert stats.misconceptions[0].example == FLIPPED

    assert stats.lowest == ["hank", ODD, "carol", "gina"]  # three wanted; gina ties carol's 3
    assert stats.mistakes_of[ODD] == ["flipped", "corner"]
    assert stats.missing == ["kim"]
    assert stats.unreadable == {"ivan": "not a notebook: the file is empty",
                                "liam": f"no notebook: expected {LESSON}.ipynb (notebooks found: none)"}
    assert stats.stopped == {"judy": "timeout: still running after the 900 s limit"}
    assert stats.pending == {WRITTEN: ["bob", "carol"]}


def test_lowest_scores_take_a_tenth_of_a_large_class_and_never_full_marks():
    scores = {f"s{i:02d}": float(i % 10) for i in range(40)}
    assert report.lowest_scores(scores, max_score=9) == ["s00", "s10", "s20", "s30"]  # ceil(40 / 10) = 4
    assert report.lowest_scores({"a": 9.0, "b": 9.0}, max_score=9) == []


def test_lesson_page_shows_the_statistics_escaped(course_root):
    course = Course(course_root)
    page = report.write_lesson_report(course, report.read_lesson(course, LESSON))
    assert page == course_root / "grading" / LESSON / "report" / "index.html"
    text = page.read_text()
    folder = page.parent
    for figure in ("scores.svg", "tests.svg"):
        assert f'src="{figure}"' in text and (folder / figure).read_text().lstrip().startswith("<?xml")

    for fact in ["10 submissions, 7 graded, 1 student without one", "2 of 7", "29%", "5 of 7", "71%",
                 "1 of 2", "2 answers to mark"]:
        assert fact in text, fact
    sentences = [text.index(html.escape(MISTAKES[key])) for key in ("flipped", "clipped", "corner")]
    assert sentences == sorted(sentences), "misconceptions are ranked by how many students hit them"

    assert "<b>(3,3)</b>" not in text and "&lt;b&gt;(3,3)&lt;/b&gt;" in text
    assert ODD not in text and "d&#x27;angelo&amp;co" in text
    # Feedback links only where a feedback page exists, relative to the report, the odd id quoted.
    links = re.findall(r'href="([^"]+)"', text)
    assert "../../../feedback/carol/01_one_pixel/01_one_pixel.html" in links
    assert "../../../feedback/d%27angelo%26co/01_one_pixel/01_one_pixel.html" in links
    assert not any("/bob/" in link for link in links)
    assert all((folder / link.replace("%27", "'").replace("%26", "&")).is_file() for link in links)
    assert "<script" not in text


def test_all_lessons_page(course_root):
    page = report.write_class_report(Course(course_root))
    assert page == course_root / "grading" / "report" / "index.html"
    text = page.read_text()
    assert (page.parent / "lessons.svg").is_file()
    assert (course_root / "grading" / POOLING / "report" / "index.html").is_file()
    rows = re.findall(r"<tr>(.*?)</tr>", text)
    lesson_rows = [row for row in rows if "/report/index.html" in row]
    assert len(lesson_rows) == 2
    first, second = lesson_rows
    assert 'href="../01_one_pixel/report/index.html"' in first
    for fact in [">10<", ">7<", "2.6 of 8", ">2<", html.escape(MISTAKES["flipped"]), "(3)"]:
        assert fact in first, fact
    for fact in [">3<", "5.0 of 9", html.escape(MISTAKES["averaged_not_max"]), "(2)"]:
        assert fact in second, fact
    # Per student across lessons: kim has no record of lesson 01 (blank), alice everything.
    kim = next(row for row in rows if row.startswith("<td>kim</td>"))
    assert re.findall(r"<td[^>]*>(.*?)</td>", kim) == ["kim", "", "4", "4 of 17"]
    alice = next(row for row in rows if row.startswith("<td>alice</td>"))
    assert re.findall(r"<td[^>]*>(.*?)</td>", alice) == ["alice", "8", "7", "15 of 17"]
    lesson_page = (course_root / "grading" / LESSON / "report" / "index.html").read_text()
    assert 'href="../../report/index.html"' in lesson_page


# --- in Chromium ----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_pages_open_in_chromium_without_errors(course_root, page, artifacts):
    class_page = report.write_class_report(Course(course_root))
    lesson_page = course_root / "grading" / LESSON / "report" / "index.html"
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"{request.url}: {request.failure}"))
    for path, shot in [(lesson_page, "report.png"), (class_page, "report-all-lessons.png")]:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate("[...document.images].map(i => [i.getAttribute('src'), i.naturalWidth])")
        assert images and all(width > 0 for _, width in images), images
        page.screenshot(path=artifacts / shot, full_page=True)
    assert problems == []
    page.goto(lesson_page.as_uri())
    page.get_by_role("link", name="carol").first.click()
    assert page.url.endswith("/feedback/carol/01_one_pixel/01_one_pixel.html")


# --- the command ----------------------------------------------------------------------------------------

def convcourse_report(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "convcourse.cli", "report", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_report_command_end_to_end(course_root, tmp_path):
    lesson = convcourse_report(LESSON, cwd=course_root)
    assert lesson.returncode == 0, lesson.stderr
    assert lesson.stdout.strip() == str(course_root / "grading" / LESSON / "report" / "index.html")

    everything = convcourse_report("--course", str(course_root), cwd=tmp_path)
    assert everything.returncode == 0, everything.stderr
    assert Path(everything.stdout.strip()) == course_root / "grading" / "report" / "index.html"

    missing = convcourse_report("02_whole_image", cwd=course_root)
    assert missing.returncode == 2 and missing.stdout == ""
    assert "no grading records for 02_whole_image" in missing.stderr
    assert "convcourse grade 02_whole_image" in missing.stderr

    nowhere = convcourse_report(cwd=tmp_path)
    assert nowhere.returncode == 2 and "nbgrader_config.py" in nowhere.stderr


def test_report_open_shows_the_page_in_a_browser(course_root, monkeypatch, capsys):
    opened = []
    monkeypatch.setattr(report.webbrowser, "open", opened.append)
    assert report.main([LESSON, "--course", str(course_root), "--open"]) == 0
    page = course_root / "grading" / LESSON / "report" / "index.html"
    assert opened == [page.as_uri()] and capsys.readouterr().out.strip() == str(page)


def test_no_records_at_all_is_a_clear_error(tmp_path, capsys):
    shutil.copy(COURSE_ROOT / "nbgrader_config.py", tmp_path)
    assert report.main(["--course", str(tmp_path)]) == 2
    assert "no grading records" in capsys.readouterr().err

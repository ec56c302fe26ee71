"""``convcourse report [LESSON]``: what the grading records say about the class, as an HTML page.

A lesson's page (``grading/<lesson>/report/index.html``, its figures as SVG files beside it) shows the
score distribution, each test's pass rate, the misconceptions the checks named ranked by how many
students hit them, the students who need help (lowest scores, no submission, unreadable or stopped
submissions) and the written answers still waiting for a manual mark. ``convcourse report`` without a
lesson writes every graded lesson's page and ``grading/report/index.html``: one row per lesson, and each
student's scores across lessons.

Everything comes from the records ``convcourse grade`` leaves (records.Course.results) and the
gradebook's list of students; nothing is graded or changed. The statistics (``lesson_stats``) are
computed apart from the HTML (``lesson_page``) so they can be checked on their own. The pages need no
JavaScript and nothing from the internet; every string a student controls is escaped.
"""

from __future__ import annotations

import argparse
import html
import math
import os
import statistics
import sys
import webbrowser
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from nbgrader.api import Gradebook

from .protocol import GradingResult
from .records import Course, CourseError

UNREADABLE = ("not a notebook", "no notebook")
LOWEST_SHARE = 0.10   # "lowest scores": the bottom tenth of the graded students...
LOWEST_AT_LEAST = 3   # ...but never fewer than three
MESSAGES_SHOWN = 5    # unnamed failure messages listed per test


@dataclass
class CellStats:
    """One graded cell across the class: a test, or a written answer the instructor marks."""

    name: str
    max_points: float
    autograded: bool
    points: list[float] = field(default_factory=list)   # of graded submissions, marked ones only
    pending: list[str] = field(default_factory=list)    # students whose answer waits for a manual mark
    unnamed: Counter = field(default_factory=Counter)   # failure messages that named no misconception

    @property
    def passed(self) -> int:
        return sum(p >= self.max_points for p in self.points)

    @property
    def pass_rate(self) -> float | None:
        return self.passed / len(self.points) if self.points else None

    @property
    def median_points(self) -> float | None:
        return statistics.median(self.points) if self.points else None


@dataclass
class Misconception:
    key: str
    sentence: str
    students: list[str]
    tests: dict[str, int]   # test -> students it named this in, in the notebook's order
    example: str            # one message that named it, as the student saw it

    @property
    def count(self) -> int:
        return len(self.students)


@dataclass
class LessonStats:
    lesson: str
    max_score: float
    scores: dict[str, float]          # every student with a record, graded or not (0 for a bad file)
    graded: int                       # records whose outcome is "graded"
    cells: list[CellStats]
    misconceptions: list[Misconception]
    lowest: list[str]                 # graded students with the lowest scores
    mistakes_of: dict[str, list[str]]  # student -> misconceptions named in their work
    missing: list[str]                # in the gradebook, no record for this lesson
    unreadable: dict[str, str]        # student -> outcome
    stopped: dict[str, str]           # timed out, over memory or output, crashed: student -> outcome

    @property
    def pending(self) -> dict[str, list[str]]:
        return {cell.name: cell.pending for cell in self.cells if cell.pending}

    def summary(self) -> dict[str, float]:
        values = list(self.scores.values()) or [0.0]
        return {"mean": statistics.fmean(values), "median": statistics.median(values),
                "min": min(values), "max": max(values)}


# --- statistics ---------------------------------------------------------------------------------------

def lesson_stats(lesson: str, results: list[GradingResult], enrolled: list[str] = ()) -> LessonStats:
    """The class's results for one lesson, reduced to what the report shows."""
    from convcourse.checks import MISTAKES

    graded = [r for r in results if r.outcome == "graded"]
    cells = _cells_in_notebook_order(graded + [r for r in results if r.outcome != "graded"])
    named: dict[str, dict[str, list[str]]] = {}   # mistake -> test -> students
    examples: dict[str, str] = {}
    mistakes_of: dict[str, list[str]] = {}
    for result in results:
        for cell in result.cells:
            stats = cells[cell.name]
            if cell.points is None:
                stats.pending.append(result.student)
            elif result.outcome == "graded":
                stats.points.append(cell.points)
            if result.outcome != "graded" or cell.points is None or cell.points >= cell.max_points:
                continue
            if cell.mistake:
                named.setdefault(cell.mistake, {}).setdefault(cell.name, []).append(result.student)
                examples.setdefault(cell.mistake, cell.message)
                mistakes_of.setdefault(result.student, []).append(cell.mistake)
            elif cell.message:
                stats.unnamed[cell.message] += 1
    order = list(cells)
    misconceptions = [
        Misconception(key=key, sentence=MISTAKES.get(key, key),
                      students=sorted({s for students in by_test.values() for s in students}),
                      tests={test: len(by_test[test]) for test in sorted(by_test, key=order.index)},
                      example=examples[key])
        for key, by_test in named.items()]
    misconceptions.sort(key=lambda m: (-m.count, m.key))
    scores = {r.student: r.score for r in results}
    max_score = max((r.max_score for r in results), default=0.0)
    recorded = set(scores)
    return LessonStats(
        lesson=lesson, max_score=max_score, scores=scores, graded=len(graded), cells=list(cells.values()),
        misconceptions=misconceptions, lowest=lowest_scores({r.student: r.score for r in graded}, max_score),
        mistakes_of={s: list(dict.fromkeys(keys)) for s, keys in mistakes_of.items()},
        missing=sorted(set(enrolled) - recorded),
        unreadable={r.student: r.outcome for r in results if r.outcome.startswith(UNREADABLE)},
        stopped={r.student: r.outcome for r in results
                 if r.outcome != "graded" and not r.outcome.startswith(UNREADABLE)})


def _cells_in_notebook_order(results: list[GradingResult]) -> dict[str, CellStats]:
    """Each cell once, in the order the first records list them (graded records list the notebook's order)."""
    cells: dict[str, CellStats] = {}
    for result in results:
        for cell in result.cells:
            if cell.name not in cells:
                cells[cell.name] = CellStats(cell.name, cell.max_points, cell.autograded)
    return cells


def lowest_scores(scores: dict[str, float], max_score: float) -> list[str]:
    """The bottom tenth (at least three), students tied with the last one included; full marks never."""
    ranked = sorted((score, student) for student, score in scores.items() if score < max_score)
    if not ranked:
        return []
    wanted = max(LOWEST_AT_LEAST, math.ceil(LOWEST_SHARE * len(scores)))
    cutoff = ranked[min(wanted, len(ranked)) - 1][0]
    return [student for score, student in ranked if score <= cutoff]


def enrolled_students(course: Course) -> list[str]:
    """The gradebook's students (nbgrader's roster); none when the course has no gradebook yet."""
    if not (course.root / "gradebook.db").exists():
        return []  # opening a missing gradebook would create one
    with Gradebook(course.gradebook_url) as gradebook:
        return sorted(student.id for student in gradebook.students)


def lessons_with_records(course: Course) -> list[str]:
    folder = course.root / "grading"
    if not folder.is_dir():
        return []
    return sorted(p.parent.name for p in folder.glob("*/students") if any(p.glob("*.json")))


# --- figures (Matplotlib's Figure directly: no pyplot, no global state) -----------------------------------

def _save(figure, path: Path) -> str:
    figure.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})  # no date: same page, same bytes
    return path.name


def score_histogram(stats: LessonStats, path: Path) -> str:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 3.2))
    axes = figure.subplots()
    top = stats.max_score or 1.0
    if top <= 20:  # one bar per whole point, centred on it, so a score never sits on a bar's edge
        bins, limits = [i - 0.5 for i in range(math.ceil(top) + 2)], (-0.5, math.ceil(top) + 0.5)
    else:
        bins, limits = [top * i / 20 for i in range(21)], (0, top)
    axes.hist(list(stats.scores.values()), bins=bins, color="#4c72b0", edgecolor="white")
    summary = stats.summary()
    axes.axvline(summary["mean"], color="#dd8452", label=f"mean {summary['mean']:.1f}")
    axes.axvline(summary["median"], color="#55a868", linestyle="--", label=f"median {summary['median']:g}")
    axes.set_xlim(*limits)
    axes.set_xlabel(f"total score (out of {stats.max_score:g})")
    axes.set_ylabel("students")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(frameon=False)
    return _save(figure, path)


def pass_rate_chart(stats: LessonStats, path: Path) -> str:
    from matplotlib.figure import Figure

    cells = [c for c in stats.cells if c.pass_rate is not None]
    figure = Figure(figsize=(6.4, 0.6 + 0.32 * max(1, len(cells))))
    axes = figure.subplots()
    rows = range(len(cells))
    axes.barh(rows, [100 * c.pass_rate for c in cells],
              color=["#4c72b0" if c.autograded else "#8172b3" for c in cells])
    axes.set_yticks(rows, [c.name for c in cells])
    axes.invert_yaxis()  # the notebook's first test on top
    axes.set_xlim(0, 100)
    axes.set_xlabel("students with full points (%)")
    return _save(figure, path)


def lessons_chart(all_stats: list[LessonStats], path: Path) -> str:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 3.2))
    axes = figure.subplots()
    shares = [[100 * s / stats.max_score for s in stats.scores.values()] if stats.max_score else [0.0]
              for stats in all_stats]
    axes.boxplot(shares)
    axes.set_xticks(range(1, len(all_stats) + 1), [stats.lesson for stats in all_stats])
    axes.set_ylim(-2, 102)
    axes.set_ylabel("score (% of the lesson's points)")
    axes.tick_params(axis="x", labelrotation=20)
    return _save(figure, path)


# --- HTML ---------------------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ccc; } h3 { margin-top: 1.4rem; }
table { border-collapse: collapse; margin: 0.6rem 0; }
th, td { padding: 0.25rem 0.7rem; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, .key { font-family: ui-monospace, monospace; font-size: 0.85em; color: #555; }
.sentence { font-weight: 600; } .quiet { color: #666; } .message { font-family: ui-monospace, monospace;
  font-size: 0.85em; white-space: pre-wrap; overflow-wrap: anywhere; }
ol.misconceptions > li { margin-bottom: 1rem; } img { max-width: 100%; }
"""


def _page(title: str, body: str) -> str:
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n{body}\n"
            f'<p class="quiet">Written by <code>convcourse report</code> on {stamp} from the grading records.</p>\n'
            f"</body>\n</html>\n")


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """A table from cells that are already HTML (escaped by the caller)."""
    def cell(tag: str, index: int, content: str) -> str:
        return f'<{tag} class="number">{content}</{tag}>' if index in numeric else f"<{tag}>{content}</{tag}>"

    head = "".join(cell("th", i, html.escape(h)) for i, h in enumerate(headers))
    body = "\n".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table>\n<tr>{head}</tr>\n{body}\n</table>"


def _student(student: str, links: dict[str, str]) -> str:
    name = html.escape(student)
    return f'<a href="{html.escape(links[student])}">{name}</a>' if student in links else name


def _percent(share: float | None) -> str:
    return "" if share is None else f"{100 * share:.0f}%"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def lesson_page(stats: LessonStats, figures: dict[str, str], links: dict[str, str], class_page: str = "") -> str:
    """The lesson's report as HTML; ``links``: student -> relative address of their feedback page."""
    summary = stats.summary()
    intro = (f"<p>{_plural(len(stats.scores), 'submission')}, {stats.graded} graded"
             f"{', ' + _plural(len(stats.missing), 'student') + ' without one' if stats.missing else ''}. "
             f"Student names link to their feedback pages, where they have one.</p>")
    back = f'<p><a href="{html.escape(class_page)}">All lessons</a></p>' if class_page else ""
    return _page(f"{stats.lesson}: class report", "\n".join([
        back, intro,
        "<h2>Scores</h2>",
        f'<img src="{figures["scores"]}" alt="Histogram of the total scores out of {stats.max_score:g}">',
        _table(["", "score"], [[k, f"{v:.1f}" if k == "mean" else f"{v:g}"] for k, v in summary.items()]
               + [["out of", f"{stats.max_score:g}"]], numeric={1}),
        "<h2>Tests</h2>", _tests_section(stats, figures),
        "<h2>Misconceptions</h2>", _misconceptions_section(stats, links),
        "<h2>Students who need help</h2>", _help_section(stats, links),
        "<h2>Manual grading to do</h2>", _pending_section(stats, links),
    ]))


def _tests_section(stats: LessonStats, figures: dict[str, str]) -> str:
    rows = [[f"<code>{html.escape(c.name)}</code>", "test" if c.autograded else "written answer",
             f"{c.passed} of {len(c.points)}", _percent(c.pass_rate),
             "" if c.median_points is None else f"{c.median_points:g} of {c.max_points:g}",
             str(len(c.pending) or "")] for c in stats.cells]
    parts = [f"<p>In the notebook's order, over the {stats.graded} graded submissions (written answers: over "
             f"those marked so far).</p>",
             f'<img src="{figures["tests"]}" alt="Share of students with full points, per test">',
             _table(["cell", "kind", "full points", "pass rate", "median points", "waiting for a mark"], rows,
                    numeric={2, 3, 4, 5})]
    for cell in stats.cells:
        if cell.unnamed:
            listed = "".join(f'<li>{n} &times; <span class="message">{html.escape(message)}</span></li>'
                             for message, n in cell.unnamed.most_common(MESSAGES_SHOWN))
            parts.append(f"<details><summary><code>{html.escape(cell.name)}</code>: "
                         f"{_plural(sum(cell.unnamed.values()), 'failure')} naming no misconception</summary>"
                         f"<ul>{listed}</ul></details>")
    return "\n".join(parts)


def _misconceptions_section(stats: LessonStats, links: dict[str, str]) -> str:
    if not stats.misconceptions:
        return "<p>No check named a misconception in this lesson's graded work.</p>"
    items = []
    for m in stats.misconceptions:
        tests = ", ".join(f"<code>{html.escape(t)}</code> ({n})" for t, n in m.tests.items())
        students = ", ".join(_student(s, links) for s in m.students)
        items.append(f'<li><p class="sentence">{html.escape(m.sentence)}</p>'
                     f'<p><span class="key">{html.escape(m.key)}</span> &middot; {_plural(m.count, "student")} '
                     f"&middot; in {tests}</p><p>{students}</p>"
                     f'<details><summary>What a student saw</summary><p class="message">{html.escape(m.example)}'
                     f"</p></details></li>")
    return ('<p>Ranked by how many students hit each one (a student counts once per misconception).</p>\n'
            f'<ol class="misconceptions">\n' + "\n".join(items) + "\n</ol>")


def _help_section(stats: LessonStats, links: dict[str, str]) -> str:
    lowest = [[_student(s, links), f"{stats.scores[s]:g} of {stats.max_score:g}",
               ", ".join(f'<span class="key">{html.escape(k)}</span>' for k in stats.mistakes_of.get(s, []))]
              for s in stats.lowest]
    parts = ["<h3>Lowest scores</h3>",
             _table(["student", "score", "misconceptions named"], lowest, numeric={1}) if lowest
             else "<p>None: every graded student has full points.</p>",
             "<h3>No submission</h3>",
             f"<p>{', '.join(html.escape(s) for s in stats.missing)}</p>" if stats.missing
             else "<p>None: every student in the gradebook has a graded record.</p>"]
    for title, outcomes in [("Unreadable submissions", stats.unreadable),
                            ("Stopped (time, memory or output limit) or crashed", stats.stopped)]:
        parts.append(f"<h3>{title}</h3>")
        parts.append(_table(["student", "what happened"], [[_student(s, links), html.escape(o)]
                                                           for s, o in sorted(outcomes.items())])
                     if outcomes else "<p>None.</p>")
    return "\n".join(parts)


def _pending_section(stats: LessonStats, links: dict[str, str]) -> str:
    if not stats.pending:
        return "<p>Nothing waits for a manual mark.</p>"
    rows = [[f"<code>{html.escape(name)}</code>", str(len(students)), ", ".join(_student(s, links) for s in students)]
            for name, students in stats.pending.items()]
    total = sum(len(s) for s in stats.pending.values())
    return (f"<p>{_plural(total, 'answer')} to mark in the formgrader (<code>make instructor</code>, "
            f"Nbgrader &gt; Formgrader).</p>\n" + _table(["cell", "waiting", "students"], rows, numeric={1}))


def class_page(all_stats: list[LessonStats], figure: str, lesson_links: dict[str, str]) -> str:
    rows = []
    for stats in all_stats:
        top = stats.misconceptions[0] if stats.misconceptions else None
        rows.append([f'<a href="{html.escape(lesson_links[stats.lesson])}">{html.escape(stats.lesson)}</a>',
                     str(len(stats.scores)), str(stats.graded),
                     f"{stats.summary()['mean']:.1f} of {stats.max_score:g}",
                     str(sum(len(s) for s in stats.pending.values())),
                     f'{html.escape(top.sentence)} <span class="key">{html.escape(top.key)}</span> ({top.count})'
                     if top else ""])
    return _page("All lessons: class report", "\n".join([
        f'<img src="{figure}" alt="Score distribution per lesson, as a share of its points">',
        _table(["lesson", "submissions", "graded", "mean score", "marks pending", "most common misconception"],
               rows, numeric={1, 2, 3, 4}),
        "<h2>Students</h2>", "<p>Each student's score per lesson; blank: no record for that lesson.</p>",
        _students_table(all_stats),
    ]))


def _students_table(all_stats: list[LessonStats]) -> str:
    students = sorted({s for stats in all_stats for s in [*stats.scores, *stats.missing]})
    out_of = sum(stats.max_score for stats in all_stats)
    rows = [[html.escape(student)]
            + [f"{stats.scores[student]:g}" if student in stats.scores else "" for stats in all_stats]
            + [f"{sum(stats.scores.get(student, 0.0) for stats in all_stats):g} of {out_of:g}"]
            for student in students]
    headers = ["student"] + [f"{s.lesson} (of {s.max_score:g})" for s in all_stats] + ["total"]
    return _table(headers, rows, numeric=set(range(1, len(all_stats) + 2)))


# --- writing the pages --------------------------------------------------------------------------------

def report_folder(course: Course, lesson: str | None = None) -> Path:
    return course.root / "grading" / (lesson or "") / "report"


def feedback_links(course: Course, stats: LessonStats, page_folder: Path) -> dict[str, str]:
    """student -> their feedback page, relative to the report, for those who have one."""
    links = {}
    for student in stats.scores:
        page = course.root / "feedback" / student / stats.lesson / f"{stats.lesson}.html"
        if page.is_file():
            links[student] = quote(os.path.relpath(page, page_folder))
    return links


def read_lesson(course: Course, lesson: str, enrolled: list[str] | None = None) -> LessonStats:
    results = course.results(lesson)
    if not results:
        raise CourseError(f"no grading records for {lesson} in {course.records_folder(lesson) / 'students'}: "
                          f"grade it first (convcourse grade {lesson})")
    return lesson_stats(lesson, results, enrolled_students(course) if enrolled is None else enrolled)


def write_lesson_report(course: Course, stats: LessonStats, with_class_page: bool = False) -> Path:
    folder = report_folder(course, stats.lesson)
    folder.mkdir(parents=True, exist_ok=True)
    figures = {"scores": score_histogram(stats, folder / "scores.svg"),
               "tests": pass_rate_chart(stats, folder / "tests.svg")}
    index = report_folder(course) / "index.html"
    back = os.path.relpath(index, folder) if with_class_page or index.exists() else ""
    page = folder / "index.html"
    page.write_text(lesson_page(stats, figures, feedback_links(course, stats, folder), back), encoding="utf-8")
    return page


def write_class_report(course: Course) -> Path:
    lessons = lessons_with_records(course)
    if not lessons:
        raise CourseError(f"no grading records in {course.root / 'grading'}: grade a lesson first "
                          f"(convcourse grade LESSON)")
    enrolled = enrolled_students(course)
    all_stats = [read_lesson(course, lesson, enrolled) for lesson in lessons]
    folder = report_folder(course)
    folder.mkdir(parents=True, exist_ok=True)
    links = {stats.lesson: os.path.relpath(write_lesson_report(course, stats, with_class_page=True), folder)
             for stats in all_stats}
    page = folder / "index.html"
    page.write_text(class_page(all_stats, lessons_chart(all_stats, folder / "lessons.svg"), links), encoding="utf-8")
    return page


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="convcourse report", description=(
        "Write an HTML report of a graded lesson (scores, tests, misconceptions, students who need help, "
        "marks still to give) from the grading records, or of every graded lesson, and print its path."))
    p.add_argument("lesson", nargs="?", help="one lesson, e.g. 01_one_pixel (default: every graded lesson)")
    p.add_argument("--course", type=Path, default=Path.cwd(), help="the course folder (default: here)")
    p.add_argument("--open", action="store_true", help="open the page in a web browser")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        course = Course(args.course)
        page = write_lesson_report(course, read_lesson(course, args.lesson)) if args.lesson \
            else write_class_report(course)
    except CourseError as error:
        print(f"convcourse report: {error}", file=sys.stderr)
        return 2
    print(page)
    if args.open:
        webbrowser.open(page.as_uri())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Reading the course's nbgrader notebooks: cells by grade id, answers swapped in, definitions run.

Used by the tests (to build submissions) and the benchmarks (to time a notebook's functions).
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from . import COURSE_ROOT as ROOT


def notebook_path(lesson: str, release: bool = False, root: Path = ROOT) -> Path:
    """A lesson's source notebook (solutions/) or its learner's release (notebooks/) in a course folder."""
    return root / ("notebooks" if release else "solutions") / lesson / f"{lesson}.ipynb"


def read(lesson: str, release: bool = False, root: Path = ROOT) -> nbformat.NotebookNode:
    return nbformat.read(notebook_path(lesson, release, root), as_version=4)


def nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata ({} for an ordinary cell). Whether a cell is a grade, solution, locked or
    task cell, nbgrader.utils says (is_grade, is_solution, is_locked, is_task): that is how nbgrader reads them."""
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell) -> str | None:
    """A cell's nbgrader grade id (None for an ordinary cell)."""
    return nbgrader_meta(cell).get("grade_id")


def cell(nb, grade_id: str):
    """The cell with this nbgrader grade id."""
    for candidate in nb.cells:
        if nbgrader_meta(candidate).get("grade_id") == grade_id:
            return candidate
    raise KeyError(f"no cell with grade_id {grade_id!r}")


def graded_cells(nb) -> dict[str, float]:
    """grade_id -> points of every autograded test cell."""
    return {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in nb.cells
            if c.cell_type == "code" and nbgrader_meta(c).get("grade")}


def with_answers(nb, answers: dict[str, str]):
    """A copy of ``nb`` whose solution cells named in ``answers`` hold the given source."""
    nb = copy.deepcopy(nb)
    for grade_id, source in answers.items():
        target = cell(nb, grade_id)
        if not nbgrader_meta(target).get("solution"):
            raise ValueError(f"{grade_id!r} is not an answer cell")
        target.source = source
    return nb


def completed(lesson: str, root: Path = ROOT):
    """The learner's release notebook with the instructor's answers typed into every answer cell, code and
    written (the mark scheme left out): what a learner who did everything right has in front of them."""
    import re

    answers = {nbgrader_meta(c)["grade_id"]: re.sub(r"(?s)=== BEGIN MARK SCHEME ===.*?=== END MARK SCHEME ===\s*",
                                                   "", c.source)
               for c in read(lesson, root=root).cells if nbgrader_meta(c).get("solution")}
    return with_answers(read(lesson, release=True, root=root), answers)


def definitions(nb) -> dict:
    """Run the set-up cell, the answer cells and the given function definitions; return the namespace.

    This is how tests (and the benchmarks) use a notebook's functions without running its plots.
    """
    namespace: dict = {}
    for c in nb.cells:
        meta = nbgrader_meta(c)
        if c.cell_type == "code" and (meta.get("grade_id") == "setup" or meta.get("solution")
                                      or c.source.lstrip().startswith("def ")):
            exec(compile(c.source, f"<{meta.get('grade_id', 'cell')}>", "exec"), namespace)
    return namespace

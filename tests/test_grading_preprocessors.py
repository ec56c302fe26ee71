"""The course's nbgrader preprocessors on their own, with a real gradebook or kernel (no nbgrader app):

- ResilientExecute gives a cell that ran too long one error, CellTimeoutError, whether the kernel is
  replaced (the course's setting) or interrupted (nbgrader's default); the next cells still run;
- RestoreLockedCells with nbgrader's add_missing_cells=True: no crash on the plain-dict cells nbgrader
  adds, every cell a valid nbformat cell with an id, the same ids in every run.
"""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from convcourse.grading.preprocessors import ResilientExecute, RestoreLockedCells


@pytest.mark.parametrize("interrupt_on_timeout", [False, True], ids=["fresh kernel", "interrupted kernel"])
def test_a_cell_that_runs_too_long_gets_one_error(interrupt_on_timeout):
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("while True:\n    pass"), new_code_cell("print(x)")])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    execute = ResilientExecute(timeout=3, interrupt_on_timeout=interrupt_on_timeout)
    nb, _ = execute.preprocess(nb, {"nbgrader": {"assignment": "timeouts"}})
    loop, after = nb.cells[1], nb.cells[2]
    assert [output.ename for output in loop.outputs] == ["CellTimeoutError"]
    assert [output.get("text") for output in after.outputs] == ["1\n"]


def notebook_with_every_kind_of_cell():
    """Like nbgrader's own test_add_missing_cells: an answer, two tests, two written answers, two tasks."""
    from nbgrader.tests import (
        create_grade_and_solution_cell, create_grade_cell, create_solution_cell, create_task_cell,
    )
    from nbgrader.utils import compute_checksum

    cells = [
        create_solution_cell("def answer():\n    return 1", "code", "answer"),
        create_grade_cell("assert answer() == 1", "code", "test_answer", 1),
        new_markdown_cell("Explain your answer."),
        create_grade_and_solution_cell("write here", "markdown", "written_answer", 1),
        create_task_cell("a task", "markdown", "task", 1),
    ]
    for cell in cells:
        if "nbgrader" in cell.metadata:
            cell.metadata.nbgrader["checksum"] = compute_checksum(cell)
    return new_notebook(cells=cells)


def test_add_missing_cells_gives_valid_cells_with_the_same_ids_every_time(tmp_path):
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import SaveCells

    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(db) as gradebook:
        gradebook.add_assignment("ps0")
    resources = {"nbgrader": {"db_url": db, "assignment": "ps0", "notebook": "test"}}
    SaveCells().preprocess(notebook_with_every_kind_of_cell(), resources)

    def graded_ids():
        submitted = notebook_with_every_kind_of_cell()
        submitted.cells = submitted.cells[:1] + submitted.cells[2:3]  # the test, written answer and task deleted
        restored, _ = RestoreLockedCells(add_missing_cells=True).preprocess(submitted, resources)
        nbformat.validate(restored)  # nbformat cells, each with a valid id
        return [(cell.metadata.get("nbgrader", {}).get("grade_id"), cell.id) for cell in restored.cells]

    first = graded_ids()
    assert [name for name, _ in first] == ["answer", "test_answer", "written_answer", "task", None]
    put_back = [cell for cell in first if cell[0] in ("test_answer", "written_answer", "task")]
    assert [cell for cell in graded_ids() if cell in put_back] == put_back  # same ids in every run

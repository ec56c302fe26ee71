"""Every solution notebook runs top to bottom in a fresh kernel (fast mode), and shows what it promises."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from convcourse import notebooks
from convcourse.release import lessons


# The capstone's graded cell trains on all 60,000 images for a minute or two; it runs (and is checked for
# plots) where it is graded for real, in tests/test_capstone_grading.py, and in `nbgrader validate`.
QUICK_LESSONS = [lesson for lesson in lessons() if lesson != "06_capstone"]


@pytest.mark.slow
@pytest.mark.parametrize("lesson", QUICK_LESSONS)
def test_solution_notebook_runs_and_renders_its_plots_and_widgets(lesson, artifacts):
    notebook = notebooks.read(lesson)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(notebooks.notebook_path(lesson).parent)}}).execute()
    nbformat.write(notebook, artifacts / f"{lesson}.executed.ipynb")
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kinds = {kind for output in cell.outputs for kind in output.get("data", {})}
        errors = [output for output in cell.outputs if output.output_type == "error"]
        assert not errors, f"{cell.source[:80]!r} raised {errors[0].ename}: {errors[0].evalue}"
        if "plots." in cell.source:
            assert "image/png" in kinds, f"{cell.source[:80]!r} shows no picture (outputs: {kinds})"
        if "widgets." in cell.source:
            assert "application/vnd.jupyter.widget-view+json" in kinds, f"{cell.source[:80]!r} shows no widget"

"""The corpus of learner submissions in tests/corpus/: classic mistakes (wrong/) and correct alternatives (correct/).

Each case is a plain Python file, read here without being run:

    '''One sentence: the mistake (or the alternative).'''
    LESSON = "02_whole_image"             # the assignment
    MISTAKE = "flipped"                   # a key of convcourse.checks.MISTAKES, or None for a correct case
    FAILING = {"correlate2d_valid", ...}  # grade ids of the test cells that must lose their points
    def correlate2d(image, kernel, stride=1, padding="valid"):
        ...                               # replaces the answer cell with that grade id

Each top-level function is the whole source of one answer cell, as a learner would leave it. An answer cell
that defines several functions (lesson 04's count_params) is named in an optional literal

    ANSWER_CELLS = {"count_params": ("count_conv_params", "count_dense_params")}

and those functions, in that order, together replace the cell.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
METADATA = ("LESSON", "MISTAKE", "FAILING")
OPTIONAL = ("ANSWER_CELLS",)  # answer-cell grade id -> the names of the functions that cell defines


@dataclass(frozen=True)
class Case:
    name: str                  # the file stem; also the student id in the nbgrader tests
    lesson: str
    mistake: str | None
    failing: frozenset[str]
    answers: dict[str, str]    # answer-cell grade id -> the source that replaces that cell
    description: str = ""
    path: Path | None = None
    functions: dict[str, tuple[str, ...]] | None = None  # grade id -> its functions, when not just one

    def functions_of(self, grade_id: str) -> tuple[str, ...]:
        """The names of the functions that answer cell defines, in order."""
        return (self.functions or {}).get(grade_id, (grade_id,))

    @property
    def correct(self) -> bool:
        return self.mistake is None


def load_case(path: Path) -> Case:
    """Read one corpus file: its metadata (literals only) and the source of each top-level function."""
    path = Path(path)
    source = path.read_text()
    tree = ast.parse(source, filename=str(path))
    metadata: dict = {}
    answers: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in METADATA + OPTIONAL:
                metadata[name] = ast.literal_eval(node.value)
                continue
        if isinstance(node, ast.FunctionDef):
            if node.name in answers:
                raise ValueError(f"{path.name}: {node.name} is defined twice")
            answers[node.name] = ast.get_source_segment(source, node) + "\n"
            continue
        if isinstance(node, ast.Expr) and node is tree.body[0] and isinstance(node.value, ast.Constant):
            continue  # the module docstring
        raise ValueError(f"{path.name}, line {node.lineno}: only the docstring, {', '.join(METADATA + OPTIONAL)} "
                         f"and answer functions belong in a corpus file")
    missing = [name for name in METADATA if name not in metadata]
    if missing:
        raise ValueError(f"{path.name} does not set {', '.join(missing)}")
    if not answers:
        raise ValueError(f"{path.name} defines no answer function")
    functions = {grade_id: tuple(names) for grade_id, names in metadata.get("ANSWER_CELLS", {}).items()}
    for grade_id, names in functions.items():  # several functions, in the cell's order, make up one answer
        missing = [name for name in names if name not in answers]
        if missing or not names:
            raise ValueError(f"{path.name}: ANSWER_CELLS[{grade_id!r}] names functions it does not define: "
                             f"{', '.join(missing) or 'none'}")
        answers[grade_id] = "\n\n".join(answers.pop(name) for name in names)
    return Case(name=path.stem, lesson=metadata["LESSON"], mistake=metadata["MISTAKE"],
                failing=frozenset(metadata["FAILING"]), answers=answers,
                description=ast.get_docstring(tree) or "", path=path, functions=functions or None)


def all_cases() -> list[Case]:
    """Every case, wrong ones first, each folder in file-name order."""
    return [load_case(path) for folder in ("wrong", "correct") for path in sorted((CORPUS / folder).glob("*.py"))]

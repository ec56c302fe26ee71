"""The corpus of learner submissions in tests/corpus/: classic mistakes (wrong/) and correct alternatives (correct/).

Each case is a plain Python file, read here without being run:

    '''One sentence: the mistake (or the alternative).'''
    LESSON = "02_whole_image"             # the assignment
    MISTAKE = "flipped"                   # a key of convcourse.checks.MISTAKES, or None for a correct case
    FAILING = {"correlate2d_valid", ...}  # grade ids of the test cells that must lose their points
    def correlate2d(image, kernel, stride=1, padding="valid"):
        ...                               # replaces the answer cell with that grade id

Each top-level function is the whole source of one answer cell, as a learner would leave it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
METADATA = ("LESSON", "MISTAKE", "FAILING")


@dataclass(frozen=True)
class Case:
    name: str                  # the file stem; also the student id in the nbgrader tests
    lesson: str
    mistake: str | None
    failing: frozenset[str]
    answers: dict[str, str]    # answer-cell grade id -> the source that replaces that cell
    description: str = ""
    path: Path | None = None

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
            if name in METADATA:
                metadata[name] = ast.literal_eval(node.value)
                continue
        if isinstance(node, ast.FunctionDef):
            if node.name in answers:
                raise ValueError(f"{path.name}: {node.name} is defined twice")
            answers[node.name] = ast.get_source_segment(source, node) + "\n"
            continue
        if isinstance(node, ast.Expr) and node is tree.body[0] and isinstance(node.value, ast.Constant):
            continue  # the module docstring
        raise ValueError(f"{path.name}, line {node.lineno}: only the docstring, {', '.join(METADATA)} and "
                         f"answer functions belong in a corpus file")
    missing = [name for name in METADATA if name not in metadata]
    if missing:
        raise ValueError(f"{path.name} does not set {', '.join(missing)}")
    if not answers:
        raise ValueError(f"{path.name} defines no answer function")
    return Case(name=path.stem, lesson=metadata["LESSON"], mistake=metadata["MISTAKE"],
                failing=frozenset(metadata["FAILING"]), answers=answers,
                description=ast.get_docstring(tree) or "", path=path)


def all_cases() -> list[Case]:
    """Every case, wrong ones first, each folder in file-name order."""
    return [load_case(path) for folder in ("wrong", "correct") for path in sorted((CORPUS / folder).glob("*.py"))]

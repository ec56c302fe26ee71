"""The ``convcourse`` command (installed with the package; ``make grade`` calls it)."""

from __future__ import annotations

import sys

USAGE = """usage: convcourse COMMAND ...

commands:
  grade LESSON   autograde every submission of a lesson (convcourse grade --help)
  release        regenerate notebooks/ from solutions/ (--check: report differences only)
  lab            open the course in JupyterLab
"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command == "grade":
        from .grading.command import main as grade

        return grade(rest)
    if command == "release":
        from .release import main as release

        return release(rest)
    if command == "lab":
        from .lab import main as lab

        return lab(rest)
    print(USAGE, file=sys.stderr if command not in ("-h", "--help") else sys.stdout)
    return 0 if command in ("-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main())

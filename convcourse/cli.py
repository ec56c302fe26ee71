"""The ``convcourse`` command (installed with the package; ``make grade``, ``make progress`` and ``make reset`` call it)."""

from __future__ import annotations

import sys

USAGE = """usage: convcourse COMMAND ...

commands:
  grade LESSON       autograde every submission of a lesson (convcourse grade --help)
  release            regenerate notebooks/ from solutions/ (--check: report differences only)
  lab                open the course in JupyterLab
  progress [LESSON]  where you stand in each lesson, from your saved notebooks (nothing is run)
  reset LESSON       start a lesson over from a fresh copy; yours is backed up in backups/ first
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
    if command == "progress":
        from .progress import progress_command as progress

        return progress(rest)
    if command == "reset":
        from .progress import reset_command as reset

        return reset(rest)
    print(USAGE, file=sys.stderr if command not in ("-h", "--help") else sys.stdout)
    return 0 if command in ("-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main())

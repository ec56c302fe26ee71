"""The ``convcourse`` command (installed with the package; ``make grade``, ``make report``, ``make progress`` and
``make reset`` call it)."""

from __future__ import annotations

import sys

USAGE = """usage: convcourse COMMAND ...

commands:
  grade LESSON       autograde every submission of a lesson (convcourse grade --help)
  feedback LESSON    put the marks and comments you gave in formgrader into the students' feedback pages
  report [LESSON]    an HTML page of how the class did, from the grading records (--open shows it)
  release            regenerate notebooks/ from solutions/ (--check: report differences only)
  lab                open the course in JupyterLab
  progress [LESSON]  where you stand in each lesson, from your saved notebooks (nothing is run)
  reset LESSON       start a lesson over from a fresh copy; yours is backed up in backups/ first
"""


def main(argv: list[str] | None = None) -> int:
    try:
        return _run(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:  # Ctrl-C before a command's own handling starts (while importing, say)
        print("\nInterrupted.", file=sys.stderr)
        return 130


def _run(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command == "grade":
        from .grading.command import main as grade

        return grade(rest)
    if command == "report":
        from .grading.report import main as report

        return report(rest)
    if command == "feedback":
        from .grading.command import feedback_main as feedback

        return feedback(rest)
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

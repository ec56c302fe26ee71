"""Regenerate the student release ``notebooks/`` from ``solutions/`` with stock nbgrader.

``python -m convcourse.release``          rewrites notebooks/ (what ``make release`` runs)
``python -m convcourse.release --check``  builds a fresh release elsewhere and reports any difference
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from . import COURSE_ROOT


def lessons(root: Path = COURSE_ROOT) -> list[str]:
    """Assignment ids: the NN_topic folders of solutions/, in order."""
    return sorted(p.name for p in (root / "solutions").iterdir() if p.is_dir() and p.name[:2].isdigit())


def nbgrader_environment() -> dict[str, str]:
    """nbgrader shells out to tools (alembic) that must be found next to this Python."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def generate_lesson(lesson: str, release_dir: Path, root: Path = COURSE_ROOT, quiet: bool = False) -> Path:
    """Run ``nbgrader generate_assignment`` for one lesson, writing into ``release_dir``; return the notebook.

    Stock nbgrader, no gradebook: the student copy is exactly what ``make release`` commits. With ``quiet``
    nbgrader's output is kept out of the terminal (a notebook's kernel, a test) and travels on the
    ``CalledProcessError`` raised when nbgrader fails.
    """
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", lesson, "--force", "--no-db",
         f"--CourseDirectory.release_directory={release_dir}", "--log-level=WARN"],
        cwd=root, env=nbgrader_environment(), check=True, capture_output=quiet, text=True,
    )
    return Path(release_dir) / lesson / f"{lesson}.ipynb"


def generate_release(release_dir: Path, root: Path = COURSE_ROOT) -> None:
    """Run ``nbgrader generate_assignment`` for every lesson, writing into ``release_dir``."""
    for lesson in lessons(root):
        generate_lesson(lesson, release_dir, root)


def learner_notebook(lesson: str, root: Path = COURSE_ROOT, release_dir: Path | None = None) -> Path:
    """The notebook the learner edits: notebooks/<lesson>/<lesson>.ipynb (or the same in ``release_dir``)."""
    return (release_dir or root / "notebooks") / lesson / f"{lesson}.ipynb"


def backup_notebook(lesson: str, root: Path = COURSE_ROOT, now: datetime | None = None) -> Path | None:
    """Copy the learner's notebook, byte for byte, to backups/<lesson>/<lesson>-YYYYmmdd-HHMMSS.ipynb.

    An existing backup is never overwritten: a second one in the same second gets -2, -3, ...
    Returns the backup's path, or None when there is no notebook to back up.
    """
    source = learner_notebook(lesson, root)
    if not source.exists():
        return None
    content = source.read_bytes()
    folder = root / "backups" / lesson
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{lesson}-{(now or datetime.now()).strftime('%Y%m%d-%H%M%S')}"
    for attempt in range(1, 10_000):
        backup = folder / (f"{stem}.ipynb" if attempt == 1 else f"{stem}-{attempt}.ipynb")
        try:
            with open(backup, "xb") as file:  # "x": fails instead of overwriting a backup
                file.write(content)
            return backup
        except FileExistsError:
            continue
    raise FileExistsError(f"too many backups of {lesson} named {stem}-*.ipynb in {folder}")


def release_differences(root: Path = COURSE_ROOT) -> list[str]:
    """Files of notebooks/ that differ from a fresh release (missing, extra or changed)."""
    with tempfile.TemporaryDirectory() as fresh:
        generate_release(Path(fresh), root)
        return _compare(filecmp.dircmp(fresh, root / "notebooks", ignore=[".ipynb_checkpoints"]), "")


def _compare(tree: filecmp.dircmp, prefix: str) -> list[str]:
    found = [f"{prefix}{name}: missing from notebooks/" for name in tree.left_only]
    found += [f"{prefix}{name}: in notebooks/ but not in the release" for name in tree.right_only]
    found += [f"{prefix}{name}: out of date" for name in tree.diff_files]
    for name, sub in tree.subdirs.items():
        found += _compare(sub, f"{prefix}{name}/")
    return found


def write_release(root: Path = COURSE_ROOT) -> list[Path]:
    """Regenerate notebooks/ from solutions/. A learner's work is never lost to it: every notebook that would
    change is first copied to backups/ (see backup_notebook), and other files in a lesson's folder stay.
    Returns the backups made."""
    backups = []
    with tempfile.TemporaryDirectory() as fresh:
        generate_release(Path(fresh), root)
        for lesson in lessons(root):
            current = learner_notebook(lesson, root)
            if current.exists() and not filecmp.cmp(learner_notebook(lesson, release_dir=Path(fresh)), current,
                                                    shallow=False):
                backups.append(backup_notebook(lesson, root))
            shutil.copytree(Path(fresh) / lesson, root / "notebooks" / lesson, dirs_exist_ok=True)
    os.utime(root / "notebooks")  # the release folder's time says when it was last regenerated
    return backups


def main(argv: list[str]) -> int:
    if "--check" in argv:
        differences = release_differences()
        for line in differences:
            print(line)
        if differences:
            print("notebooks/ is out of date: run `make release`.")
        return 1 if differences else 0
    for backup in write_release():
        print(f"your changed copy of {backup.parent.name} was kept as {backup.relative_to(COURSE_ROOT)}")
    print(f"notebooks/ regenerated from solutions/ for: {', '.join(lessons())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

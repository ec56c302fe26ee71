"""Start JupyterLab on the course: ``python -m convcourse.lab`` (``make lab``; ``make instructor`` adds ``--instructor``).

Learner mode (the default) is a self-paced learner's JupyterLab: the lessons and nbgrader's Validate button,
nothing of the instructor's. nbgrader's formgrader, course list and assignment list are not served, and their
JupyterLab panels and the Create Assignment toolbar are not shown: formgrader's Generate would overwrite the
learner's notebooks, and the lists only show errors to someone who is not in a class.

Instructor mode serves everything nbgrader installs (formgrader in the Nbgrader menu, Create Assignment).

Either way JupyterLab opens the first lesson of the student release (``--play``: the playground, every widget
of the course in one notebook; ``make play``), works as root in a container (adds ``--allow-root``) and prints
the URL with its token.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import COURSE_ROOT
from .data import use_offline_data

FIRST_LESSON = "notebooks/01_one_pixel/01_one_pixel.ipynb"
PLAYGROUND = "playground.ipynb"  # every widget on the reference computation, no exercise needed (make play)
# nbgrader's server extensions that only an instructor (or a student of a class with an exchange) uses.
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
)
# Their JupyterLab plugins are listed, with Create Assignment, in this folder's page_config.json.
LEARNER_LAB_SETTINGS = Path(__file__).with_name("learner_lab")


def lab_command(port: int | None = None, token: str | None = None, open_browser: bool = True,
                root: Path = COURSE_ROOT, instructor: bool = False, start: str = FIRST_LESSON) -> list[str]:
    """The command line that starts JupyterLab on the course in ``root`` (the checkout by default), opening
    ``start`` (a notebook's path in the course)."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
               f"--LabApp.default_url=/lab/tree/{start}", "--ip=127.0.0.1"]
    if not instructor:
        command += [f"--ServerApp.jpserver_extensions={name}=False" for name in INSTRUCTOR_SERVER_EXTENSIONS]
        command.append(f"--LabApp.app_settings_dir={LEARNER_LAB_SETTINGS}")
    if port is not None:
        command += [f"--port={port}", "--ServerApp.port_retries=0"]
    if token is not None:
        command.append(f"--IdentityProvider.token={token}")
    if not open_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def main(argv: list[str]) -> None:
    instructor, play = "--instructor" in argv, "--play" in argv
    argv = [arg for arg in argv if arg not in ("--instructor", "--play")]
    use_offline_data(COURSE_ROOT / ".cache" / "keras")  # only when CONVCOURSE_OFFLINE_DATA is set
    command = lab_command(open_browser="--no-browser" not in argv, instructor=instructor,
                          start=PLAYGROUND if play else FIRST_LESSON)
    command += [arg for arg in argv if arg != "--no-browser"]
    mode = ("instructor mode: formgrader in the Nbgrader menu" if instructor else
            "the playground: Run > Run All Cells, then play" if play else "learner mode")
    print(f"Starting JupyterLab on the course ({mode}):", " ".join(command[2:]), flush=True)
    os.chdir(COURSE_ROOT)
    os.execv(sys.executable, command)


if __name__ == "__main__":
    main(sys.argv[1:])

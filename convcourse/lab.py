"""Start JupyterLab on the course: ``python -m convcourse.lab`` (what ``make lab`` runs).

Opens the first lesson of the student release. Works as root in a container
(adds ``--allow-root``) and prints the URL with its token, as JupyterLab does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import COURSE_ROOT
from .data import use_offline_data
FIRST_LESSON = "notebooks/01_one_pixel/01_one_pixel.ipynb"


def lab_command(port: int | None = None, token: str | None = None, open_browser: bool = True,
                root: Path = COURSE_ROOT) -> list[str]:
    """The command line that starts JupyterLab on the course in ``root`` (the checkout by default)."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
               f"--LabApp.default_url=/lab/tree/{FIRST_LESSON}", "--ip=127.0.0.1"]
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
    use_offline_data(COURSE_ROOT / ".cache" / "keras")  # only when CONVCOURSE_OFFLINE_DATA is set
    command = lab_command(open_browser="--no-browser" not in argv)
    command += [arg for arg in argv if arg != "--no-browser"]
    print("Starting JupyterLab on the course:", " ".join(command[2:]), flush=True)
    os.chdir(COURSE_ROOT)
    os.execv(sys.executable, command)


if __name__ == "__main__":
    main(sys.argv[1:])

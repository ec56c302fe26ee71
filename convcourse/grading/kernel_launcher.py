"""``python -m convcourse.grading.kernel_launcher -f CONNECTION_FILE``: the kernelspec of every grading job.

jupyter_client starts this for each kernel nbgrader asks for (jobs.Workspace writes the kernelspec), and
this process is what it then polls, signals and kills. It becomes a confined kernel (sandbox.py): a warm
one forked by the job's zygote when there is one (warm_kernels.py, this process then lives and dies with
it), a fresh one otherwise.
"""

from __future__ import annotations

import os
import sys

from .protocol import ZYGOTE_ENV
from .sandbox import run_confined
from .warm_kernels import ask_zygote


def launch(argv: list[str]) -> None:
    """A warm kernel from the job's zygote if there is one, else a fresh one; confined either way."""
    zygote = os.environ.get(ZYGOTE_ENV)
    if zygote:
        try:
            ask_zygote(zygote, argv)
        except OSError as error:
            print(f"convcourse sandbox: no warm kernel ({error}); starting a fresh one", file=sys.stderr)
    run_confined(argv)


if __name__ == "__main__":
    launch(sys.argv[1:])

"""Stock nbgrader commands run in one process that leaves no process behind.

``grade_in_process`` is what a grading job runs in its own process (forked from a server that has
nbgrader imported already, see jobs.py): ``autograde`` and then ``generate_feedback`` for one student.
The process adopts every orphan among its descendants (Linux's child subreaper), so a process that a
student's cell started and detached (``setsid``, a double fork) stays findable; when nbgrader is done,
everything below this process is killed, before the job reads any result.

``python -m convcourse.grading.run_nbgrader ARGS`` does the same for one command line.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from nbgrader.apps import AutogradeApp, GenerateFeedbackApp
from nbgrader.apps.nbgraderapp import main as nbgrader_main

from .process_tree import adopt_orphans, kill_descendants
from .protocol import FEEDBACK_FAILED, ZYGOTE_ENV
from .warm_kernels import point_keras_at, preload, start_zygote


def _run_app(app_class, argv: list[str]) -> bool:
    try:
        app = app_class()
        app.initialize(argv)
        app.start()
    except SystemExit as done:
        return done.code in (0, None)
    except Exception:
        import traceback

        traceback.print_exc()
        return False
    return True


def grade_in_process(folder: str, environment: dict[str, str], log_path: str, autograde_argv: list[str],
                     feedback_argv: list[str] | None, warm_modules: list[str] = (), ctrl_c: bool = True) -> None:
    """The body of a job's process: autograde, then feedback; the exit code says how it went.

    ``warm_modules``: the lesson's libraries beyond ``WARM_MODULES`` (TensorFlow for the Keras lessons), imported
    here (unless the job server has them already) for the re-check and, through the fork, the kernels' zygote."""
    adopt_orphans(dies_with_parent=True)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    # Ctrl-C as usual from here on, its traceback in the log (the server was started deaf to it: jobs.py),
    # unless the command that runs this job does not listen to it either (``ctrl_c``).
    if ctrl_c:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.clear()
    os.environ.update(environment)  # the job's, which are the kernels': Keras reads KERAS_HOME on import
    point_keras_at(environment["KERAS_HOME"])  # for a Keras the job server imported with the instructor's
    # For the re-check and (through the fork) the kernels' zygote alike; nothing when the job server has them.
    preload(warm_modules)
    if ZYGOTE_ENV in environment:  # before this process reads anything a kernel must not see
        try:
            start_zygote(environment[ZYGOTE_ENV])
        except OSError as error:  # e.g. a socket path too long: the kernels start fresh (sandbox.launch)
            print(f"convcourse: no warm kernels ({error})", file=sys.stderr)
    os.chdir(folder)
    code = 0
    try:
        if not _run_app(AutogradeApp, autograde_argv):
            code = 1
        elif feedback_argv is not None:
            kill_descendants()  # nothing of the student's may run while the feedback is made
            if not _run_app(GenerateFeedbackApp, feedback_argv):
                code = FEEDBACK_FAILED
    finally:
        kill_descendants()
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--job"]:  # a job's process started by a Dask worker (see jobs.Supervisor)
        with open(argv[1]) as spec:
            grade_in_process(**json.load(spec))
    adopt_orphans()
    sys.argv = ["nbgrader", *argv]
    try:
        nbgrader_main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    finally:
        kill_descendants()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

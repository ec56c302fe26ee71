"""nbgrader configuration for convcourse, loaded by ../nbgrader_config.py from the course root.

Run stock nbgrader commands from the course root, e.g.
    nbgrader generate_assignment 01_one_pixel --force
    nbgrader autograde 01_one_pixel
    nbgrader generate_feedback 01_one_pixel
"""

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "convcourse"
# solutions/NN_topic/ holds the instructor's notebooks (solutions and hidden tests);
# notebooks/NN_topic/ is the student release that generate_assignment writes.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"

# A cell that runs longer than this is stopped and counts as failed; the rest of the notebook still runs.
# The longest honest cell is the capstone's graded training run (a minute or two; its own cap is 480 s).
# `convcourse grade` sets a shorter limit for the other lessons (LONG_LESSONS in convcourse/grading/protocol.py).
c.Execute.timeout = 600
# A timed-out or dead kernel is replaced, the cells before replayed, and grading goes on (an interrupt
# cannot stop every loop); the same for os._exit, a crash or a memory kill. See grading/preprocessors.py.
c.Execute.interrupt_on_timeout = False
# Every kernel nbgrader starts (Validate and autograde) shows library warnings on stdout and no TensorFlow
# start-up lines, so they cannot fail a test cell; grading kernels also get limits on memory, file size and
# printed output (convcourse/grading/kernel_guard.py). This file itself changes nothing in the process that
# loads it: JupyterLab's server loads it too, and a learner's own kernels must not inherit grading settings.
# Kernels that check a notebook know it from nbgrader's NBGRADER_EXECUTION ('validate' or 'autograde'):
# lesson 05 then trains in fast mode, and when autograding the capstone leaves its training to the re-check
# below (convcourse/training.py, convcourse/checks/capstone.py).
c.Execute.extra_arguments = [
    "--HistoryManager.hist_file=:memory:",
    "--InteractiveShellApp.exec_lines=import convcourse.grading.kernel_guard as guard; guard.install()",
]

from convcourse.grading.preprocessors import (  # noqa: E402
    LIBRARY_LOG_LINE, ResilientExecute, RestoreLockedCells,
)
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, IgnorePattern, LimitOutput,
    OverwriteKernelspec, SaveAutoGrades,
)

# Tests that pass in the student's kernel run again in nbgrader's process with only data from the kernel
# (convcourse/grading/recheck.py). This one needs a class, which cannot cross as data: its kernel verdict stands.
c.ResilientExecute.kernel_verdict_only = ["stop_callback"]
# The capstone's graded training happens in that re-check, outside the kernel; the kernel only checks the rules.

# nbgrader's own lists, with two replacements: locked cells (tests) that a student deleted, moved, duplicated
# or edited are put back in their place and graded, and not reported when only the hidden tests differ.
c.Autograde.sanitize_preprocessors = [
    ClearOutput, RestoreLockedCells, DeduplicateIds, OverwriteKernelspec, CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    ResilientExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
    AssignLatePenalties, CheckCellMetadata,
]

# nbgrader gives 0 points to a test cell that wrote anything to stderr. TensorFlow and its C++ runtime
# log informational lines there (oneDNN notices, CPU feature notes, absl warnings); they are not failures.
# Kernels nbgrader starts do not print them in the first place (kernel_guard.py); this catches any left.
c.IgnorePattern.pattern = LIBRARY_LOG_LINE
c.IgnorePattern.enabled = True

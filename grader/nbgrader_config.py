"""nbgrader configuration for convcourse, loaded by ../nbgrader_config.py from the course root.

Run stock nbgrader commands from the course root, e.g.
    nbgrader generate_assignment 01_one_pixel --force
    nbgrader autograde 01_one_pixel
    nbgrader generate_feedback 01_one_pixel
"""

import os

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "convcourse"
# solutions/NN_topic/ holds the instructor's notebooks (solutions and hidden tests);
# notebooks/NN_topic/ is the student release that generate_assignment writes.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"

# A cell that runs longer than this is stopped and counts as failed; the rest of the notebook still runs.
# The longest honest cell is the capstone's graded training run (a minute or two; its own cap is 480 s).
# `convcourse grade` sets a shorter limit for the other lessons (convcourse/grading/command.py).
c.Execute.timeout = 600
# A timed-out or dead kernel is replaced, the cells before replayed, and grading goes on (an interrupt
# cannot stop every loop); the same for os._exit, a crash or a memory kill. See grading/preprocessors.py.
c.Execute.interrupt_on_timeout = False
# Each grading kernel starts with limits on memory, file size and printed output, and as an unprivileged
# user when `convcourse grade` runs as root (convcourse/grading/kernel_guard.py).
c.Execute.extra_arguments = [
    "--HistoryManager.hist_file=:memory:",
    "--InteractiveShellApp.exec_lines=import convcourse.grading.kernel_guard",
]

from convcourse.grading.preprocessors import ResilientExecute, RestoreLockedCells  # noqa: E402
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, IgnorePattern, LimitOutput,
    OverwriteKernelspec, SaveAutoGrades,
)

# Tests that pass in the student's kernel run again in nbgrader's process with only data from the kernel
# (convcourse/grading/recheck.py). This one needs a class, which cannot cross as data: its kernel verdict stands.
c.ResilientExecute.kernel_verdict_only = ["stop_callback"]
# The capstone's graded training happens in that re-check, outside the kernel; the kernel only checks the rules.
os.environ["CONVCOURSE_SCORED_BY_GRADER"] = "1"

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
c.IgnorePattern.pattern = (
    r"(?m)^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IW] |[IW]\d{4} \d\d:\d\d:\d\d\.\d+\s|"
    r"WARNING: All log messages before absl::InitializeLog|To enable the following instructions)"
)
c.IgnorePattern.enabled = True
# Fewer such lines in the first place: kernels inherit this environment.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Lesson 05 trains on a seeded subset when grading (its graded functions never depend on training);
# the capstone's graded run always trains on all the data. See convcourse/training.py.
os.environ.setdefault("CONVCOURSE_FAST", "1")

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
c.Execute.timeout = 600
c.Execute.interrupt_on_timeout = True

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

"""nbgrader settings of every student's single-user server (the assignment list: fetch, submit, feedback).

grader/hub/classroom.py puts this folder on the servers' JUPYTER_CONFIG_PATH and sets the variables below;
in a container image, copy this file to /etc/jupyter/nbgrader_config.py and set them in the spawner.
"""

import os

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = os.environ.get("CONVCOURSE_COURSE_ID", "convcourse")
c.Exchange.root = os.environ.get("CONVCOURSE_EXCHANGE", "/srv/nbgrader/exchange")

# nbgrader would name a submission after the OS user, which is the same for every student here (and in
# most container images). The hub tells each server whose it is: use that as the nbgrader student id.
if "JUPYTERHUB_USER" in os.environ:
    c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]

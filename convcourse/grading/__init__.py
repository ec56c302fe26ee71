"""Grading a class: ``convcourse grade`` (command.py) around stock nbgrader.

jobs.py       one student's autograding as a self-contained job (here or on a Dask worker), with limits
records.py    the course side: students, jobs, results merged into the gradebook (the instructor's marks
              kept and carried into the feedback pages), CSV, resuming
canary.py     the reference solution and the untouched release, graded first in every run
intake.py     notebooks exported from a learning platform (folder or zip) into submitted/
report.py     convcourse report: the class's statistics from the records, as HTML pages with SVG figures
preprocessors.py, kernel_guard.py   what grader/nbgrader_config.py adds to nbgrader's own autograde
"""

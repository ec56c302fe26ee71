"""Grading a class: ``convcourse grade`` (command.py) around stock nbgrader.

jobs.py       one student's autograding as a self-contained job (here or on a Dask worker), with limits
records.py    the course side: students, jobs, results merged into the gradebook, CSV, resuming
intake.py     notebooks exported from a learning platform (folder or zip) into submitted/
preprocessors.py, kernel_guard.py   what grader/nbgrader_config.py adds to nbgrader's own autograde
"""

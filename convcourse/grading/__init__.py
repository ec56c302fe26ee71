"""Grading a class: ``convcourse grade`` (command.py) around stock nbgrader.

The instructor's machine (course side):
command.py        convcourse grade and convcourse feedback: the run, its canary, progress and summary
records.py        students, jobs, results merged into the gradebook (the instructor's marks kept and carried
                  into the feedback pages), the per-test CSV, resuming
canary.py         the reference solution and the untouched release, graded first in every run
intake.py         notebooks exported from a learning platform (folder or zip) into submitted/
report.py         convcourse report: the class's statistics from the records, as HTML pages with SVG figures

One student's job (here, or on a Dask worker):
jobs.py           the job as data in, data out: its limits (Limits), its private folder, its supervisor
run_nbgrader.py   the job's process: stock nbgrader autograde and generate_feedback, orphans adopted
warm_kernels.py   kernels forked from a preloaded zygote instead of started cold
sandbox.py        the kernel's namespaces, bounded /tmp and /dev/shm, its cap on tasks

Inside nbgrader (grader/nbgrader_config.py):
preprocessors.py  RestoreLockedCells and ResilientExecute, in place of OverwriteCells and Execute
recheck.py        every passing test run again outside the kernel, on plain data
remote.py         the kernel's values as plain data, and Keras models rebuilt in safe mode
idioms.py         which nbgrader test idioms the re-check reproduces, decided on the test's source
kernel_guard.py   the set-up of every checking kernel: quiet libraries, resource limits, capped output
"""

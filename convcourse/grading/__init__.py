"""Grading a class: ``convcourse grade`` (command.py) around stock nbgrader.

Four kinds of process, each started by the one above it and killed with it:

  course side     convcourse grade: the students, their jobs, results merged into the course
     | thread pool (or a Dask worker) per student; GradingJob in, GradingResult out (plain data)
     v
  job server      multiprocessing's forkserver, nbgrader and the lessons' imports preloaded
     | fork, per job
     v
  job             stock nbgrader autograde + generate_feedback in a private folder (run_nbgrader.py),
     |            watched from outside by its supervisor (jobs.py): wall time, memory, tasks, log size;
     |            first forks the kernel zygote (warm_kernels.py), before reading anything secret
     | jupyter_client starts the kernelspec's command (kernel_launcher.py); the zygote forks the kernel
     v
  confined kernel IPython in its own PID and mount namespaces (inside a user namespace of its own when
                  the instructor is not root), no capabilities, bounded /tmp and /dev/shm, a pids cgroup
                  (sandbox.py), resource limits (kernel_guard.py); it answers the re-check's requests
                  with plain data only (remote.py)

They agree only through protocol.py: environment variables, files in the job's folder, an exit code, the
limits and the job and result types. Imports point one way, down these layers (tests/test_imports.py
checks it, with no cycle):

  course side   command.py        convcourse grade and convcourse feedback: the run, its canary, progress,
                                  summary
                records.py        students, jobs, results merged into the gradebook (the instructor's marks
                                  kept and carried into the feedback pages), the per-test CSV, resuming
                canary.py         the reference solution and the untouched release, graded first in every run
                intake.py         notebooks exported from a learning platform (folder or zip) into submitted/
                report.py         convcourse report: the class's statistics from the records, as HTML pages
      |
      v
  job           jobs.py           the job as data in, data out: its private folder, its supervisor
                run_nbgrader.py   the job's process: stock nbgrader autograde and generate_feedback
      |
      v
  checking      preprocessors.py  RestoreLockedCells and ResilientExecute, in place of OverwriteCells and
  (inside                         Execute (grader/nbgrader_config.py); nbgrader's and nbclient's private
  nbgrader)                       parts, each behind one function
                recheck.py        every passing test run again outside the kernel, on plain data
                remote.py         the kernel's values as plain data, and Keras models rebuilt in safe mode
                idioms.py         which nbgrader test idioms the re-check reproduces, decided on the source
  isolation     kernel_launcher.py  the kernelspec's command: start a confined kernel, warm or fresh
                warm_kernels.py   kernels forked from a preloaded zygote instead of started cold
                sandbox.py        the kernel's namespaces, bounded /tmp and /dev/shm, its cap on tasks
                process_tree.py   what dies with what: die with the parent, adopt orphans, kill them all
                kernel_guard.py   the set-up of every checking kernel: quiet libraries, resource limits,
                                  capped output
      |           (checking and isolation do not import each other)
      v
  protocol      protocol.py       the names, limits, file names and job/result types shared between the
                                  processes; imports nothing else of the package
"""

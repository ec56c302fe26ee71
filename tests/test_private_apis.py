"""The private parts of nbgrader and nbclient the grader relies on, each behind one function in
convcourse/grading/preprocessors.py, checked against the installed versions. A failure here names the
library, its version and the private name that changed: rewrite that one function, nothing else."""

from __future__ import annotations

import asyncio
import inspect

import nbclient
import nbgrader
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.preprocessors import ClearHiddenTests

from convcourse.grading.preprocessors import ResilientExecute, release_source, shut_down_kernel

NBGRADER = f"nbgrader {nbgrader.__version__}"
NBCLIENT = f"nbclient {nbclient.__version__}"


def test_release_source_removes_hidden_tests_as_nbgrader_does():
    where = f"{NBGRADER}: ClearHiddenTests._remove_hidden_test_region (used by preprocessors.release_source)"
    assert callable(getattr(ClearHiddenTests, "_remove_hidden_test_region", None)), f"{where} is gone"
    source = "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 2\n### END HIDDEN TESTS\nprint('done')"
    assert release_source(source, "code") == "assert f(1) == 1\nprint('done')", f"{where} changed what it removes"
    assert release_source("assert f(1) == 1", "code") == "assert f(1) == 1", f"{where} changed an ordinary cell"


class _Manager:
    def __init__(self):
        self.calls = []

    async def is_alive(self):
        return True

    async def shutdown_kernel(self, now=False):
        self.calls.append(("shutdown", now))

    async def cleanup_resources(self):
        self.calls.append(("cleanup",))


class _Client:
    def __init__(self):
        self.stopped = False

    def stop_channels(self):
        self.stopped = True


def test_shut_down_kernel_stops_the_kernel_and_empties_the_client():
    where = f"{NBCLIENT}: NotebookClient._async_cleanup_kernel (used by preprocessors.shut_down_kernel)"
    cleanup = getattr(NotebookClient, "_async_cleanup_kernel", None)
    assert cleanup is not None and inspect.iscoroutinefunction(cleanup), f"{where} is gone or no longer a coroutine"
    assert list(inspect.signature(cleanup).parameters) == ["self"], f"{where} takes other arguments now"
    client = NotebookClient(new_notebook())
    manager, channels = _Manager(), _Client()
    client.km, client.kc = manager, channels
    asyncio.run(shut_down_kernel(client))
    assert ("shutdown", client.shutdown_kernel == "immediate") in manager.calls, \
        f"{where} no longer shuts the kernel down"
    assert ("cleanup",) in manager.calls and channels.stopped, f"{where} no longer cleans up the kernel's resources"
    assert client.km is None and client.kc is None, f"{where} no longer empties km and kc (a new kernel is made next)"


def test_nbconverts_synchronous_call_reaches_resilient_executes_coroutine():
    """nbconvert's preprocess_cell calls execute_cell, which nbclient binds to its own async_execute_cell in its
    class body; ResilientExecute binds it to its override again (preprocessors.synchronous). Proof: a kernel
    that has been given up on marks the cell not run, which only the override does."""
    where = (f"{NBCLIENT} / nbconvert: NotebookClient.execute_cell is no longer run_sync(async_execute_cell) "
             "called by ExecutePreprocessor.preprocess_cell (preprocessors.synchronous, ResilientExecute.execute_cell)")
    executor = ResilientExecute()
    executor._gave_up, executor._abandoned, executor._recheck = True, set(), None
    cell = new_code_cell("print('never run')")
    executor.nb = new_notebook(cells=[cell])
    try:
        done, _ = executor.preprocess_cell(cell, {}, 0)
    except Exception as error:  # nbclient's own coroutine ran, without a kernel
        pytest.fail(f"{where}: {type(error).__name__} {error}")
    assert [output.get("ename") for output in done.outputs] == ["NotRun"], where

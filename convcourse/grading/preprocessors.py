"""nbgrader preprocessors that make autograding fair to broken notebooks (configured in grader/nbgrader_config.py).

``RestoreLockedCells`` replaces nbgrader's ``OverwriteCells``: every locked cell (the tests and the
given text) is put back from the gradebook in its original place, whether the student edited, moved,
duplicated or deleted it, so each test runs after the answers it checks and is graded, never left for
manual grading. Test cells whose only difference is the hidden tests are not reported: the release
never had them.

``ResilientExecute`` replaces nbgrader's ``Execute``: when the kernel dies (``os._exit``, a crash, the
memory limit) or stops answering, that cell is marked as failed, a fresh kernel replays the cells before
it, and grading goes on, so the rest of the notebook still earns its points.

Both report what they did through ``note``: a warning in nbgrader's log and, when ``convcourse grade``
runs the job, a line in a file the student's kernel cannot write.
"""

from __future__ import annotations

import copy
import json
import os
import queue
import re

import nbformat
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellExecutionComplete, CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import ClearHiddenTests, Execute, OverwriteCells
from traitlets import List, Unicode

from ..failures import wrapped
from ..notebooks import grade_id as _grade_id, nbgrader_meta
from .idioms import kernel_verdict_reason
from .protocol import KERNEL_ANSWER_MODULE, REPORT_ENV
from .remote import is_number
from .recheck import Recheck, Unverifiable, reply_from_user_expression, secret_offset

# Lines TensorFlow and its C++ runtime write to stderr (oneDNN notices, CPU feature notes, absl's start-up
# warning). They are not failures, but nbgrader fails a test cell with any stderr output.
LIBRARY_LOG_LINE = (
    r"(?m)^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IW] |[IW]\d{4} \d\d:\d\d:\d\d\.\d+\s|"
    r"WARNING: All log messages before absl::InitializeLog|To enable the following instructions)"
)


# --- the private parts of nbgrader and nbclient this module needs, each behind one function -------------
# tests/test_private_apis.py checks each against the installed versions and names the one that changed.

def release_source(source: str, cell_type: str) -> str:
    """A cell's text as the release has it: its hidden tests removed the way ``nbgrader generate_assignment``
    removes them (nbgrader's private ``ClearHiddenTests._remove_hidden_test_region``; nothing public does
    this for one cell)."""
    cell = NotebookNode(source=source, cell_type=cell_type, metadata={})
    ClearHiddenTests()._remove_hidden_test_region(cell)
    return cell.source


async def shut_down_kernel(client) -> None:
    """Stop the client's kernel and its channels, leaving ``client.km`` and ``client.kc`` empty, as nbclient
    does after a run (its private ``NotebookClient._async_cleanup_kernel``; nothing public does this mid-run)."""
    await client._async_cleanup_kernel()


def synchronous(coroutine_function):
    """The synchronous twin of an overridden coroutine method. nbclient binds ``NotebookClient.execute_cell`` to
    its own ``async_execute_cell`` once, in the class body (``run_sync``); nbconvert calls the synchronous name,
    so a subclass that overrides the coroutine must bind the name again or its override is never run."""
    return run_sync(coroutine_function)


def note(log, text: str) -> None:
    """Tell the instructor what happened to this submission (log, and the job's report file if any)."""
    log.warning("convcourse: %s", text)
    path = os.environ.get(REPORT_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as report:
            report.write(text.replace("\n", " ") + "\n")


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class RestoreLockedCells(OverwriteCells):
    """Put every locked cell back, from the gradebook, where the instructor's notebook has it."""

    def preprocess(self, nb: NotebookNode, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        with Gradebook(resources["nbgrader"]["db_url"]) as gradebook:
            source_nb = gradebook.find_notebook(self.notebook_id, self.assignment_id)
            order = [cell.name for cell in source_nb.source_cells]
            locked = {cell.name: cell for cell in source_nb.source_cells if cell.locked}
            points = {cell.name: cell.max_score for cell in source_nb.grade_cells}
            self._restore(nb, order, locked, points)
        nb, resources = super().preprocess(nb, resources)
        # nbgrader's add_missing_cells adds plain dicts without an id: make them cells like the others
        nb.cells = [cell if isinstance(cell.get("metadata"), NotebookNode) else nbformat.from_dict(cell)
                    for cell in nb.cells]
        _give_ids(nb)
        for cell in nb.cells:  # nbgrader dropped an id it does not know: the cell is ordinary code now
            metadata = cell.get("metadata", {})
            if "nbgrader" in metadata and "grade_id" not in metadata["nbgrader"]:
                del metadata["nbgrader"]
                note(self.log, "a cell with a grade id this lesson does not have is graded as ordinary code")
        return nb, resources

    def _restore(self, nb, order, locked, points) -> None:
        """Keep each locked cell where it is when that is its place; put missing and moved ones back after
        the nearest cell that precedes them in the instructor's notebook; keep one copy of each."""
        rank = {name: index for index, name in enumerate(order)}
        kept, copies = [], {}
        for cell in nb.cells:
            name = _grade_id(cell)
            if name in locked:
                copies[name] = copies.get(name, 0) + 1
                if copies[name] > 1:
                    continue
                if _normalised(cell.get("source", "")) not in self._accepted_sources(locked[name]):
                    note(self.log, f"locked cell '{name}' was edited; restored from the gradebook")
            kept.append(cell)
        for name, count in copies.items():
            if count > 1:
                note(self.log, f"cell '{name}' appeared {count} times; graded once, in its place")
        nb.cells = kept

        moved = [name for name in order if name in copies and not self._in_place(nb, name, rank)]
        if moved:
            note(self.log, f"locked cells were moved ({', '.join(moved)}); put back in their original order")
        missing = [name for name in order if name in locked and name not in copies]
        for name in missing:
            note(self.log, f"locked cell '{name}' was missing; restored from the gradebook")
        nb.cells = [cell for cell in nb.cells if _grade_id(cell) not in moved]
        for name in order:
            if name in moved or name in missing:
                self._insert_after_predecessor(nb, name, order, NotebookNode())
        for cell in nb.cells:
            if _grade_id(cell) in locked:
                self._restore_into(cell, locked[_grade_id(cell)], points.get(_grade_id(cell)))
        _give_ids(nb)

    @staticmethod
    def _in_place(nb, name: str, rank: dict[str, int]) -> bool:
        """No cell of the instructor's notebook that comes before it comes after it here, and vice versa."""
        ids = [_grade_id(cell) for cell in nb.cells]
        here = ids.index(name)
        return all(rank[other] < rank[name] for other in ids[:here] if other in rank) and \
            all(rank[other] > rank[name] for other in ids[here + 1:] if other in rank)

    @staticmethod
    def _accepted_sources(source_cell) -> set[str]:
        """The instructor's text, and the release's (hidden tests removed)."""
        return {_normalised(source_cell.source), _normalised(release_source(source_cell.source, source_cell.cell_type))}

    @staticmethod
    def _restore_into(cell, source_cell, max_score) -> None:
        """Make ``cell`` the instructor's locked cell again, in place: its nbformat id and its other metadata
        (tags, say) stay."""
        nbgrader = {"grade": max_score is not None, "grade_id": source_cell.name, "locked": True,
                    "schema_version": 3, "solution": False, "task": False}
        if max_score is not None:
            nbgrader["points"] = max_score
        cell.cell_type, cell.source = source_cell.cell_type, source_cell.source
        cell.metadata = NotebookNode({**cell.get("metadata", {}), "deletable": False, "editable": False,
                                      "nbgrader": NotebookNode(nbgrader)})
        if source_cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        else:
            for key in ("outputs", "execution_count"):
                cell.pop(key, None)
        cell.metadata.nbgrader["checksum"] = utils.compute_checksum(cell)

    @staticmethod
    def _insert_after_predecessor(nb, name, order, placeholder) -> None:
        """Right after the nearest earlier cell of the instructor's order that the notebook has (else first)."""
        placeholder.metadata = NotebookNode(nbgrader=NotebookNode(grade_id=name))
        present = {_grade_id(c): i for i, c in enumerate(nb.cells) if _grade_id(c)}
        for earlier in reversed(order[: order.index(name)]):
            if earlier in present:
                nb.cells.insert(present[earlier] + 1, placeholder)
                return
        nb.cells.insert(0, placeholder)


class ResilientExecute(Execute):
    """nbgrader's Execute, but a dead or frozen kernel costs only the cell that killed it, and every test
    that passes in the student's kernel is run again outside it (recheck.py) before it earns points."""

    max_restarts = 3
    kernel_verdict_only = List(Unicode(), help=(
        "grade ids of test cells that cannot be re-checked outside the kernel (they need a class or other "
        "object that cannot cross as data); their kernel verdict stands")).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._restarts = 0
        self._gave_up = False
        self._abandoned = set()  # ids of cells whose kernel was given up on
        self._recheck = None
        self._offset = secret_offset((resources or {}).get("nbgrader", {}).get("assignment", ""))
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        # A test: a code cell nbgrader scores from its outputs (a grade cell that is no answer) whose locked flag
        # is set. nbgrader.utils.is_locked is not enough here: it counts every grade cell as locked, even an
        # answer whose metadata a student edited; the flag itself is reset from the gradebook (OverwriteCells)
        # and set only on the cells RestoreLockedCells restored, so only the instructor's tests are re-run here.
        is_test = cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell) \
            and nbgrader_meta(cell).get("locked")
        passed = not any(output.get("output_type") == "error" for output in cell.get("outputs", []))
        if is_test and passed and not self._gave_up and self._reproducible(cell):
            self._recheck_outside_kernel(cell, index)
        return cell, resources

    def _reproducible(self, cell) -> bool:
        """Whether the re-check can reproduce this test; otherwise its kernel verdict stands, as in stock nbgrader.
        Decided on the test's source, restored from the gradebook, never on anything the student wrote."""
        if _grade_id(cell) in self.kernel_verdict_only:
            return False
        reason = kernel_verdict_reason(cell.source)
        if reason:
            note(self.log, f"test '{_grade_id(cell)}' keeps its kernel verdict: its source {reason}, "
                           "which the re-check cannot reproduce outside the kernel")
        return reason is None

    def _recheck_outside_kernel(self, cell, index: int) -> None:
        if self._recheck is None:
            setup = [c.source for c in self.nb.cells if c.cell_type == "code" and _is_locked_given(c)]
            self._recheck = Recheck(setup, lambda request: self._ask_kernel(request, cell), self._offset)
        value, printed = None, ""
        try:
            failure, value, printed = self._recheck.run(cell.source)
        except Unverifiable as reason:
            failure = f"it could not be re-checked outside your kernel: {reason}"
        except (DeadKernelError, CellTimeoutError, TimeoutError):
            failure = "your function did not answer in time when the grader called it again"
            run_sync(self._fresh_kernel_replaying)(index + 1)
        if failure:
            cell.outputs.append(_error("RecheckFailed", (
                f"{failure}\n(This test passed in your notebook's kernel, but failed when the grader ran it again "
                "on its own, outside the kernel.)")))
            note(self.log, f"test '{_grade_id(cell)}' passed in the kernel but not when re-checked outside it: "
                           f"{failure[:300]}")
        elif is_number(value):
            # Partial credit is the grader's number, never the kernel's (nbgrader reads the execute_result).
            cell.outputs = [o for o in cell.outputs if o.get("output_type") != "execute_result"]
            if printed:
                cell.outputs.append(NotebookNode(output_type="stream", name="stdout", text=printed))
            cell.outputs.append(NotebookNode(output_type="execute_result", execution_count=cell.get("execution_count"),
                                             metadata={}, data={"text/plain": repr(float(value))}))

    def _ask_kernel(self, request: dict, cell) -> dict:
        expression = f"__import__({KERNEL_ANSWER_MODULE!r}, fromlist=['answer']).answer({json.dumps(request)!r})"
        msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions={"answer": expression})
        reply = run_sync(self.async_wait_for_reply)(msg_id, cell)
        run_sync(self._discard_published)()
        return reply_from_user_expression(reply["content"].get("user_expressions", {}).get("answer", {}))

    async def _discard_published(self) -> None:
        """Read what the kernel has published since: each request makes it publish its busy and idle status,
        which no cell reads. Left queued, a re-check's hundreds of requests fill the kernel's IOPub queue
        (1,000 messages; over Unix sockets no operating-system buffer takes the rest), the kernel then drops
        the next cell's messages, and nbclient times that cell out waiting for them."""
        while True:
            try:
                await self.kc.iopub_channel.get_msg(timeout=0)
            except queue.Empty:
                return

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if self._gave_up:
            if cell.cell_type == "code":
                cell.outputs = [_error("NotRun", f"not run: the kernel failed {self.max_restarts + 1} times before it")]
            return cell
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        except (DeadKernelError, CellTimeoutError, TimeoutError) as failure:
            if isinstance(failure, DeadKernelError):
                ename, what = "KernelDied", "the kernel died while this cell ran (os._exit, a crash or the memory limit)"
            else:
                ename, what = "CellTimeoutError", f"this cell ran longer than the {self.timeout} s limit and was stopped"
            # nbclient leaves this cell's output reader running on the old kernel: shut it out, or the
            # old kernel's KeyboardInterrupt at shutdown lands in the cell as a second error
            self._abandoned.add(id(cell))
            cell.outputs.append(_error(ename, f"{what}; it earns no points"))
            where = f"cell {cell_index + 1}" + (f" ({_grade_id(cell)})" if _grade_id(cell) else "")
            note(self.log, f"{ename} in {where}: {what}; grading went on in a fresh kernel")
            await self._fresh_kernel_replaying(cell_index)
            return cell

    def process_message(self, msg, cell, cell_index):
        if id(cell) in self._abandoned:
            raise CellExecutionComplete()  # ends the old kernel's output reader; the message is dropped
        return super().process_message(msg, cell, cell_index)

    def on_cell_executed(self, **kwargs):
        # With interrupt_on_timeout, the kernel answers nbclient's interrupt with a KeyboardInterrupt; the
        # timeout error that nbgrader adds is the one that says what happened.
        timed_out = kwargs["execute_reply"]["content"].get("ename") == (self.error_on_timeout or {}).get("ename")
        if timed_out:
            cell = kwargs["cell"]
            cell.outputs = [o for o in cell.outputs if o.get("ename") != "KeyboardInterrupt"]
        super().on_cell_executed(**kwargs)

    # nbconvert calls the synchronous wrapper, which nbclient binds to its own coroutine: bind ours.
    execute_cell = synchronous(async_execute_cell)

    async def _fresh_kernel_replaying(self, failed_index: int) -> None:
        """Start a new kernel and rerun the cells before ``failed_index`` so later cells find their names."""
        self._restarts += 1
        await shut_down_kernel(self)
        self.km = self.create_kernel_manager()
        await self.async_start_new_kernel()
        await self.async_start_new_kernel_client()
        if self._restarts > self.max_restarts:
            self._gave_up = True
            note(self.log, f"the kernel failed {self._restarts} times; the cells after that were not run")
            return
        try:
            for index, earlier in enumerate(self.nb.cells[:failed_index]):
                if earlier.cell_type == "code":
                    await super().async_execute_cell(copy.deepcopy(earlier), index, store_history=False)
        except (DeadKernelError, CellTimeoutError, TimeoutError):
            self._gave_up = True
            note(self.log, "the kernel failed again while earlier cells were rerun; the cells after that were not run")


def _give_ids(nb) -> None:
    """A cell put back without an id gets one made from its grade id: the same in every run and for every
    student. Notebooks older than format 4.5 have no cell ids and get none."""
    if (nb.get("nbformat", 4), nb.get("nbformat_minor", 0)) < (4, 5):
        return
    taken = {cell.get("id") for cell in nb.cells}
    for cell in nb.cells:
        if not cell.get("id"):
            base = re.sub(r"[^A-Za-z0-9_-]", "-", _grade_id(cell) or "cell")[:56]
            new, copies = base, 1
            while new in taken:
                new, copies = f"{base}-{copies}", copies + 1
            cell["id"] = new
            taken.add(new)


def _is_locked_given(cell) -> bool:
    """A locked cell that is not graded: given code (the set-up imports), restored from the gradebook."""
    return bool(utils.is_locked(cell)) and not utils.is_grade(cell)


def _error(ename: str, message: str) -> NotebookNode:
    """An error output whose message comes first, wrapped for the feedback page (which does not wrap)."""
    return NotebookNode(output_type="error", ename=ename, evalue=message, traceback=wrapped(f"{ename}: {message}"))

"""The pure pieces of grading, one by one: plain data across to the grader, capped output, limits per lesson,
placing a submission where nbgrader expects it, counting what a job's folder holds on disk."""

from __future__ import annotations

import base64
import json
import io
import os
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import nbformat
import numpy as np
import psutil
import pytest

from convcourse import notebooks
from convcourse.grading.command import limits_for
from convcourse.grading.jobs import _place_submission, folder_bytes
from convcourse.grading.kernel_guard import NOTICE, CappedStream
from convcourse.grading.protocol import LONG_LESSONS, GradingJob, Limits
from convcourse.grading import sandbox
from convcourse.grading.remote import NotData, decode, encode


@pytest.mark.parametrize("value", [
    None, True, 3, -2.5, "577", float("nan"), float("inf"), np.float32(1.5), np.int64(7), np.bool_(True),
    np.arange(6, dtype=np.uint8).reshape(2, 3), np.linspace(0, 1, 5), np.array([True, False]),
    (1, [2.0, {"a": (3, np.zeros((2, 2)))}]), {"shape": (26, 26), "params": 243_786},
], ids=repr)
def test_plain_data_crosses_unchanged(value):
    back = decode(encode(value))
    assert type(back) is type(value) or (isinstance(value, np.generic) and np.asarray(back).dtype == value.dtype)
    assert repr(back) == repr(value) or np.array_equal(np.asarray(back, dtype=object), np.asarray(value, dtype=object))


class AlwaysEqual(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


@pytest.mark.parametrize("value, words", [
    (AlwaysEqual(577), "a AlwaysEqual"),
    (lambda: 577, "a function"),
    ({1: "one"}, "keys are not all strings"),
    (np.array(["a", "b"]), "only numbers can be checked"),
    (np.array([object()], dtype=object), "only numbers can be checked"),
    ([1, types.SimpleNamespace()], "a SimpleNamespace"),
])
def test_anything_but_plain_data_is_refused_in_words(value, words):
    with pytest.raises(NotData, match=words):
        encode(value)


def test_data_that_is_not_what_encode_makes_is_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    pickled = base64.b64encode(buffer.getvalue()).decode()
    for data in ({"ndarray": pickled}, {"ndarray": "bm90IGFuIGFycmF5"}, {"pickle": "..."}, [1, 2]):
        with pytest.raises(NotData):
            decode(data)


def test_capped_output_passes_the_limit_then_one_notice_per_cell():
    sink = io.StringIO()
    stream = CappedStream(sink, limit=10)
    for text in ("12345", "6789012", "345"):
        assert stream.write(text) == len(text)
    assert sink.getvalue() == "1234567890" + NOTICE.format(limit=10)
    stream.new_cell()
    stream.write("abc")
    assert sink.getvalue().endswith(NOTICE.format(limit=10) + "abc")


def test_limits_per_lesson_with_the_command_lines_choices_on_top():
    none = types.SimpleNamespace(cell_timeout=None, time_limit=None, memory_mb=None)
    assert limits_for("01_one_pixel", none) == Limits()
    assert limits_for("06_capstone", none) == LONG_LESSONS["06_capstone"]
    chosen = limits_for("06_capstone", types.SimpleNamespace(cell_timeout=30, time_limit=None, memory_mb=1024))
    assert (chosen.cell_timeout, chosen.time_limit, chosen.memory_mb) == (30, 1800, 1024)


def place(tmp_path, files: dict[str, bytes]):
    job = GradingJob(lesson="01_one_pixel", student="a", submission=files, course_files={}, gradebook=b"")
    folder = tmp_path / "submitted"
    return _place_submission(job, folder), folder


RELEASE = nbformat.writes(notebooks.read("01_one_pixel", release=True)).encode()


@pytest.mark.parametrize("files, problem, notes", [
    ({"01_one_pixel.ipynb": RELEASE, "timestamp.txt": b"2026-11-30"}, None, []),
    ({"my work.ipynb": RELEASE}, None, ["the notebook was named 'my work.ipynb'; graded as '01_one_pixel.ipynb'"]),
    ({"a.ipynb": RELEASE, "b.ipynb": RELEASE}, "no notebook: expected 01_one_pixel.ipynb (notebooks found: a.ipynb, b.ipynb)", []),
    ({"notes.txt": b"sorry"}, "no notebook: expected 01_one_pixel.ipynb (notebooks found: none)", []),
    ({"01_one_pixel.ipynb": b""}, "not a notebook: the file is empty", []),
    ({"01_one_pixel.ipynb": RELEASE[:300]}, "not a notebook: the file is not valid JSON (truncated or not a notebook)", []),
    ({"01_one_pixel.ipynb": b'{"cells": 3}'}, "not a notebook: the JSON is not a valid notebook", []),
])
def test_a_submission_is_placed_where_nbgrader_expects_it_or_refused_in_words(tmp_path, files, problem, notes):
    (found, told), folder = place(tmp_path, files)
    assert (found or "").startswith(problem or "") and (found is None) == (problem is None)
    assert told == notes
    if problem is None:
        assert (folder / "01_one_pixel.ipynb").exists()
        assert all((folder / name).read_bytes() == content for name, content in files.items()
                   if not name.endswith(".ipynb"))


def test_an_old_notebook_format_is_converted_and_noted(tmp_path):
    version_3 = nbformat.writes(nbformat.convert(notebooks.read("01_one_pixel", release=True), 3), version=3)
    (found, told), folder = place(tmp_path, {"01_one_pixel.ipynb": version_3.encode()})
    assert found is None and told == ["converted from notebook format 3 to 4"]
    assert nbformat.read(folder / "01_one_pixel.ipynb", as_version=4).nbformat == 4


def test_a_job_s_folder_counts_every_file_on_disk_once_and_deleted_ones_still_held_open(tmp_path):
    """What Limits.folder_mb caps (the job's supervisor): blocks on disk, at least one per file."""
    folder, block, megabyte = tmp_path / "job", 4096, 1 << 20
    (folder / "deep" / "er").mkdir(parents=True)
    assert folder_bytes(folder) == 2 * block  # the two folders
    (folder / "deep" / "er" / "data").write_bytes(os.urandom(3 * megabyte))
    with_data = folder_bytes(folder)
    assert 3 * megabyte <= with_data - 2 * block <= 3 * megabyte + 16 * block
    for index in range(100):  # empty files take no blocks, but each takes an inode: a block apiece
        (folder / f"empty{index}").touch()
    assert folder_bytes(folder) == with_data + 100 * block
    for index in range(5):  # one file under six names is on the disk once
        os.link(folder / "deep" / "er" / "data", folder / f"link{index}")
    assert folder_bytes(folder) == with_data + 100 * block
    with open(folder / "sparse", "wb") as sparse:  # 1 GB long, nothing written: what the disk holds counts
        sparse.truncate(1 << 30)
    assert folder_bytes(folder) == with_data + 101 * block
    outside = tmp_path / "elsewhere"
    with open(folder / "held", "wb") as held, open(outside, "wb") as other:
        held.write(os.urandom(2 * megabyte))
        other.write(os.urandom(2 * megabyte))
        held.flush(), other.flush()
        os.unlink(folder / "held"), os.unlink(outside)  # deleted, still open: the space is not freed yet
        assert folder_bytes(folder) == with_data + 101 * block
        counted = folder_bytes(folder, [psutil.Process()])  # only the one deleted from the job's folder
        assert 2 * megabyte <= counted - (with_data + 101 * block) <= 2 * megabyte + 16 * block
    assert folder_bytes(folder, [psutil.Process()]) == with_data + 101 * block
    assert folder_bytes(tmp_path / "gone") == 0


def test_the_sandbox_says_when_it_cannot_confine_kernels():
    from convcourse.grading.sandbox import unavailable_because

    assert unavailable_because(platform="linux", trial=lambda: None) is None
    refused = unavailable_because(platform="linux", trial=lambda: "unshare: Operation not permitted")
    assert "does not let you confine" in refused and "Operation not permitted" in refused
    assert "needs Linux" in unavailable_because(platform="darwin", trial=lambda: None)


def test_the_confinement_trial_confines_a_child_here_and_leaves_nothing():
    before = set(Path(tempfile.gettempdir()).glob("convcourse-trial-*"))
    assert sandbox.confinement_trial() is None  # this machine (root, or user namespaces) confines kernels
    assert set(Path(tempfile.gettempdir()).glob("convcourse-trial-*")) == before


@pytest.mark.skipif(os.geteuid() != 0 or not any(os.path.exists(os.path.join(root, "cgroup.procs"))
                                                  for root in sandbox.CGROUP_ROOTS), reason="needs a pids cgroup (root)")
def test_a_job_s_pids_cgroup_is_removed_even_while_its_last_task_is_still_exiting():
    name = f"convcourse-grade-test-{os.getpid()}"
    member = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom convcourse.grading.sandbox import cap_tasks\n"
        f"cap_tasks({name + ' 16'!r})\nprint('joined', flush=True)\ntime.sleep(0.5)")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert member.stdout.readline().strip() == "joined", member.stderr.read()
    made = [group for group in sandbox.task_cgroups(name) if os.path.isdir(group)]
    assert made, "cap_tasks made no cgroup"
    sandbox.remove_task_cgroups(name)  # busy for another half second: removed once the member has exited
    member.wait(timeout=10)
    assert not any(os.path.isdir(group) for group in made)


def test_only_the_job_folders_of_a_dead_grading_process_are_removed(tmp_path, monkeypatch):
    from convcourse.grading.jobs import remove_abandoned_workspaces
    from convcourse.grading.protocol import OWNER_FILE, WORKSPACE_PREFIX

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone_started = psutil.Process(gone.pid).create_time()
    gone.wait()
    me = psutil.Process()
    owners = {"killed": f"{gone.pid} {gone_started}", "running": f"{me.pid} {me.create_time()}",
              "reused_pid": f"{me.pid} {me.create_time() - 100}", "unknown": None}
    for name, owner in owners.items():
        folder = tmp_path / f"{WORKSPACE_PREFIX}01_one_pixel-{name}"
        (folder / OWNER_FILE).parent.mkdir(parents=True)
        if owner:
            (folder / OWNER_FILE).write_text(owner)
    (tmp_path / "someone-elses").mkdir()
    removed = remove_abandoned_workspaces()
    assert sorted(folder.name.rsplit("-", 1)[1] for folder in removed) == ["killed", "reused_pid"]
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == [f"{WORKSPACE_PREFIX}01_one_pixel-running", f"{WORKSPACE_PREFIX}01_one_pixel-unknown",
                    "someone-elses"]


def test_the_job_server_imports_tensorflow_for_keras_lessons_only_where_keras_would_be_set_up_as_in_a_job(
        tmp_path, monkeypatch):
    """Keras reads its backend and keras.json once, on import: imported in the job server it must be set up as in
    a job's fresh home, or an instructor's own keras.json would reach every student's kernel."""
    from convcourse.grading.jobs import KERAS_DEFAULTS, server_modules

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert "tensorflow" in server_modules("05_cnn_in_keras")  # no keras.json yet: Keras writes the defaults
    assert "tensorflow" not in server_modules("01_one_pixel")
    (tmp_path / "keras.json").write_text(json.dumps(KERAS_DEFAULTS))
    assert "tensorflow" in server_modules("03_pooling")
    for own in ({**KERAS_DEFAULTS, "image_data_format": "channels_first"}, {"floatx": "float64"}, "not json"):
        (tmp_path / "keras.json").write_text(own if isinstance(own, str) else json.dumps(own))
        assert "tensorflow" not in server_modules("05_cnn_in_keras"), own
    (tmp_path / "keras.json").unlink()
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert "tensorflow" not in server_modules("05_cnn_in_keras")

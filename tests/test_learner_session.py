"""The learner's chair: `make lab` as the README starts it, their kernels, their Validate button.

- Loading the course's nbgrader configuration (which `make lab`'s server does) changes nothing in the process;
  a kernel started by that server after a Validate holds no grading setting.
- Learner mode serves Validate but not formgrader, the course list or the assignment list, and hides their
  JupyterLab panels and Create Assignment; `make instructor` serves formgrader.
- For every lesson, the learner's notebook completed with correct answers gets Success, with no failed cell,
  from the endpoint the Validate button calls (lesson 06 trains the capstone in the kernel, minutes).
- Kernels that nbgrader starts to check a notebook keep library chatter off stderr; checks name a failure
  first, in a few lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convcourse import COURSE_ROOT, notebooks, training
from convcourse.checks import capstone as capstone_checks
from convcourse.failures import explain_error, failure_report
from convcourse.lab import INSTRUCTOR_SERVER_EXTENSIONS, lab_command
from convcourse.release import lessons
from jupyter_lab import make_lab, process_environment, request, status_of

# Settings that only grading may give a kernel (CONVCOURSE_SCORED_BY_GRADER is what earlier versions leaked).
GRADING_SETTINGS = ("CONVCOURSE_FAST", "CONVCOURSE_SCORED_BY_GRADER", "NBGRADER_EXECUTION", "NBGRADER_VALIDATING",
                    "TF_CPP_MIN_LOG_LEVEL")
INSTRUCTOR_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:course-list")


# ---------------------------------------------------------------------------------------------------------------
# Fast: configuration, modes, messages


def test_loading_the_course_configuration_changes_no_environment():
    script = (
        "import os, json\n"
        "before = dict(os.environ)\n"
        "from jupyter_core.paths import jupyter_config_path\n"
        "from nbgrader.apps import NbGrader\n"
        "paths = jupyter_config_path(); paths.insert(0, os.getcwd())\n"  # as nbgrader's Validate handler loads it
        "app = NbGrader(); app.config_file_paths.append(paths); app.load_config_file()\n"
        "assert app.config.CourseDirectory.source_directory == 'solutions', app.config\n"
        "changed = {k: os.environ.get(k) for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)}\n"
        "print(json.dumps(changed))\n")
    env = {name: value for name, value in os.environ.items() if name not in GRADING_SETTINGS}
    result = subprocess.run([sys.executable, "-c", script], cwd=COURSE_ROOT, env=env, capture_output=True,
                            text=True, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {}


def test_fast_mode_is_the_learners_choice_or_nbgrader_checking(monkeypatch):
    for name in ("CONVCOURSE_FAST", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(name, raising=False)
    assert not training.fast_mode() and training.fast_mode_note() == ""
    assert training.fast_mode_note(True) == " (fast mode)"
    monkeypatch.setenv("CONVCOURSE_FAST", "1")
    assert training.fast_mode() and "CONVCOURSE_FAST=1" in training.fast_mode_note()
    monkeypatch.delenv("CONVCOURSE_FAST")
    for run in ("validate", "autograde"):
        monkeypatch.setenv("NBGRADER_EXECUTION", run)
        assert training.fast_mode() and run in training.fast_mode_note()


def test_the_capstone_trains_in_the_kernel_except_when_autograding(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert not capstone_checks.grader_trains_later()  # a learner's own kernel scores the capstone itself
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    assert not capstone_checks.grader_trains_later()  # so does Validate's
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert capstone_checks.grader_trains_later()  # grading: the re-check trains, outside the kernel
    with capstone_checks.training_by_grader():
        assert not capstone_checks.grader_trains_later()
    assert capstone_checks.grader_trains_later()


def test_learner_mode_leaves_out_the_instructors_extensions_and_instructor_mode_keeps_them():
    learner, instructor = lab_command(open_browser=False), lab_command(open_browser=False, instructor=True)
    for name in INSTRUCTOR_SERVER_EXTENSIONS:
        assert f"--ServerApp.jpserver_extensions={name}=False" in learner
        assert not any(name in arg for arg in instructor)
    settings = next(arg.split("=", 1)[1] for arg in learner if arg.startswith("--LabApp.app_settings_dir="))
    disabled = json.loads((Path(settings) / "page_config.json").read_text())["disabledExtensions"]
    assert sorted(disabled) == sorted(INSTRUCTOR_PLUGINS)
    assert "validate" not in " ".join(disabled)


def test_checking_kernels_keep_tensorflow_and_warnings_off_stderr():
    script = (
        "from convcourse.failures import quiet_libraries\n"
        "quiet_libraries()\n"
        "import warnings, keras, tensorflow as tf\n"
        "keras.layers.Flatten(input_shape=(28, 28))\n"
        "warnings.warn('a library notice', DeprecationWarning)\n"
        "print(int(tf.reduce_sum(tf.ones(3))))\n")
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-W", "always", "-c", script], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "UserWarning" in result.stdout and "input_shape" in result.stdout and "a library notice" in result.stdout
    # Without it, the same import writes TensorFlow's start-up lines to stderr (so the test above can fail).
    plain = subprocess.run([sys.executable, "-c", "import tensorflow"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert "oneDNN" in plain.stderr or "cpu_feature_guard" in plain.stderr or plain.stderr == "", plain.stderr


def _raise_from_a_check():
    from convcourse.checks import check_weighted_sum

    def flipped(patch, kernel):
        return float((patch.astype(float) * kernel[::-1, ::-1]).sum())

    check_weighted_sum(flipped)


def _caught(function):
    try:
        function()
    except Exception as error:  # noqa: BLE001
        return error, error.__traceback__
    raise AssertionError("expected an error")


def test_a_failing_check_shows_its_diagnosis_first_without_the_checks_frames():
    error, tb = _caught(_raise_from_a_check)
    lines, then_traceback = failure_report(error, tb, cell_name=lambda name: "Cell In[5]" if name == __file__ else None)
    assert not then_traceback
    assert "AssertionError" in lines[0] and "returned 732, expected 577" in lines[0]
    assert all(len(line) <= 110 for line in lines)
    text = "\n".join(lines)
    assert "flipped" in text and "convcourse/checks" not in text and str(COURSE_ROOT) not in text
    assert "Where (most recent call last):" in text and "Cell In[5]" in text


def test_raw_errors_with_a_known_cause_get_a_sentence_and_name_errors_a_hint():
    import numpy as np

    error, tb = _caught(lambda: np.ones((3, 3)) * np.ones((5, 5)))
    lines, then_traceback = failure_report(error, tb)
    assert then_traceback and lines[0].startswith("What this usually means: NumPy was asked to combine")
    assert "batch" in explain_error(ValueError("Input 0 of layer \"conv2d\" is incompatible with the layer: "
                                               "expected min_ndim=4, found ndim=3"))
    assert explain_error(RuntimeError("something else")) is None
    error, tb = _caught(lambda: undefined_name)  # noqa: F821
    lines, then_traceback = failure_report(error, tb)
    assert not then_traceback and "Run the cells above" in " ".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# Slow: `make lab` itself


@pytest.fixture(scope="module")
def learner_lab(tmp_path_factory):
    with make_lab(tmp_path_factory.mktemp("make-lab") / "jupyterlab.log") as server:
        yield server


def _kernel_processes(server_pid: int) -> list[int]:
    import psutil

    return [child.pid for child in psutil.Process(server_pid).children(recursive=True)
            if "ipykernel" in " ".join(child.cmdline())]


def _validate(server, lesson: str, notebook) -> dict:
    """What the Validate button gets: nbgrader's endpoint run on a copy of the learner's notebook in its folder."""
    import nbformat

    path = Path("notebooks") / lesson / f"{lesson}-validate-test-{os.getpid()}.ipynb"
    nbformat.write(notebook, COURSE_ROOT / path)
    try:
        reply = request(server, "POST", "/assignments/validate", form={"path": str(path)}, timeout=900)
    finally:
        (COURSE_ROOT / path).unlink(missing_ok=True)
    return reply


@pytest.mark.slow
@pytest.mark.xdist_group("make-lab")
def test_make_lab_is_the_learners_jupyterlab(learner_lab):
    assert status_of(learner_lab, "/formgrader") == 404
    assert status_of(learner_lab, "/formgrader/api/assignments") == 404
    assert status_of(learner_lab, "/assignments") == 404  # the assignment list's endpoint
    assert status_of(learner_lab, "/courses") == 404
    assert status_of(learner_lab, "/nbgrader_version?version=0") in (200, 500)  # Validate's extension is there
    import urllib.request

    with urllib.request.urlopen(learner_lab.url("/lab"), timeout=30) as response:
        page = response.read().decode()
    for plugin in INSTRUCTOR_PLUGINS:
        assert plugin in page  # listed among the disabled extensions of the page's configuration
    assert '"disabledExtensions": [' in page


@pytest.mark.slow
@pytest.mark.xdist_group("make-lab")
def test_a_learner_kernel_after_validate_holds_no_grading_setting(learner_lab):
    assert _validate(learner_lab, "01_one_pixel", notebooks.completed("01_one_pixel"))["success"]  # the server has now loaded the nbgrader configuration
    server_env = process_environment(learner_lab.pid)
    before = set(_kernel_processes(learner_lab.pid))
    kernel = request(learner_lab, "POST", "/api/kernels", body={"name": "python3"})
    try:
        deadline, started = time.monotonic() + 60, set()
        while time.monotonic() < deadline and not started:
            started = set(_kernel_processes(learner_lab.pid)) - before
            time.sleep(0.5)
        assert started, "no kernel process appeared"
        env = process_environment(started.pop())
        if env is not None and server_env is not None:
            assert {name: env[name] for name in GRADING_SETTINGS if name in env} == {}
    finally:
        request(learner_lab, "DELETE", f"/api/kernels/{kernel['id']}")


@pytest.mark.slow
@pytest.mark.xdist_group("make-lab")
@pytest.mark.parametrize("lesson", lessons())
def test_validate_gives_success_to_a_correctly_completed_learner_notebook(learner_lab, lesson):
    reply = _validate(learner_lab, lesson, notebooks.completed(lesson))
    assert reply["success"], reply
    value = reply["value"]
    failed = value.get("failed", []) if isinstance(value, dict) else value
    assert not failed, "Validate failed cells of correct work:\n" + "\n\n".join(
        f"{cell.get('source', '')[:200]}\n{cell.get('error', '')[:1500]}" for cell in failed)
    assert not (isinstance(value, dict) and (value.get("changed") or value.get("type_changed"))), value


@pytest.mark.slow
@pytest.mark.xdist_group("make-lab")
def test_validate_gives_success_to_the_seed_pages_keras_style_whose_warnings_go_to_stderr(learner_lab):
    """input_shape= on the first layer makes Keras 3 warn; Validate must not count that as a failure."""
    from corpus_cases import CORPUS, load_case

    case = load_case(CORPUS / "correct" / "keras_seed_page_style.py")
    reply = _validate(learner_lab, case.lesson, notebooks.with_answers(notebooks.completed(case.lesson), case.answers))
    assert reply["success"] and not reply["value"].get("failed"), reply


@pytest.mark.slow
@pytest.mark.xdist_group("make-lab")
def test_make_instructor_serves_formgrader(tmp_path):
    with make_lab(tmp_path / "jupyterlab.log", target="instructor") as server:
        assert status_of(server, "/formgrader") == 200
        assert "instructor mode" in server.log_text()

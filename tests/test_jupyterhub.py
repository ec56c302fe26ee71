"""A class on a real JupyterHub: students fetch, submit and get feedback through nbgrader's exchange.

Everything runs in a temporary directory on 127.0.0.1: a hub set up by grader/hub/classroom.py (the
settings grader/JUPYTERHUB.md explains), its proxy, one single-user server per student, and an
instructor's copy of the course driven with the stock nbgrader CLI. Students act only over HTTP, as
JupyterLab's nbgrader "Assignments" panel does: the hub's REST API to log in and start their server, then
their own server's contents API and nbgrader assignment_list endpoints.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
import requests

from convcourse import COURSE_ROOT, notebooks
from nbgrader_course import Course

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("jupyterhub")]

LESSON = "01_one_pixel"
COURSE_ID = "convcourse"
PASSWORD = "one-pixel-577"  # the class's shared log-in password (8 characters or more)
BIN = Path(sys.executable).parent

# bob gets weighted_sum right but reads the window from the kernel's corner instead of its centre.
CORNER_FILTER_PIXEL = '''
def filter_pixel(image, kernel, row, col):
    image, kernel, row, col = validate.pixel_window(image, kernel, row, col)
    k = kernel.shape[0]
    return weighted_sum(image[row:row + k, col:col + k], kernel)
'''


def _solution_answers() -> dict[str, str]:
    source = notebooks.read(LESSON)
    return {notebooks.nbgrader_meta(cell)["grade_id"]: cell.source for cell in source.cells
            if notebooks.nbgrader_meta(cell).get("solution")}


# student: (answer-cell grade id -> what they type, autograded points expected out of 6)
STUDENTS = {
    "alice": (_solution_answers(), 6),
    "bob": ({"weighted_sum": _solution_answers()["weighted_sum"], "filter_pixel": CORNER_FILTER_PIXEL}, 3),
}

# The hub's config: the shared class settings, on ports that are free right now.
HUB_CONFIG = '''\
# Written by tests/test_jupyterhub.py.
import sys
sys.path.insert(0, {classroom_dir!r})
from classroom import configure_hub

c = get_config()  # noqa: F821
configure_hub(c, state_dir={state!r}, exchange_root={exchange!r}, public_url={url!r}, course_id={course!r},
              user_password={password!r}, admin_token={token!r}, hub_port={hub_port}, proxy_api_port={api_port})
c.ConfigurableHTTPProxy.command = [{proxy!r}]
# Answer "start my server" at once instead of after up to 10 s, so the students' servers start together.
c.JupyterHub.tornado_settings = {{"slow_spawn_timeout": 0}}
'''

# What the instructor adds to the course's nbgrader_config.py to use the exchange.
INSTRUCTOR_EXCHANGE_CONFIG = '''
c.Exchange.root = {exchange!r}
# Every student's server runs as the same OS user here, so "owned by another user" says nothing.
c.ExchangeCollect.check_owner = False
'''


# --- processes ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _alive(process: psutil.Process) -> bool:
    try:  # a zombie has ended; only its parent (gone, if it was the hub) can reap it
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class ProcessTree:
    """A process we started and every descendant it was seen with: the hub, its proxy, the servers.

    The proxy and the servers start their own sessions (so a signal to the hub's group misses them) and
    outlive a hub that dies, so we remember them while the hub is alive and end them one by one.
    """

    def __init__(self, process: subprocess.Popen):
        self.popen = process
        self.seen = {psutil.Process(process.pid)}

    def record(self) -> None:
        for process in list(self.seen):
            if _alive(process):
                self.seen.update(process.children(recursive=True))

    def stop(self, grace: float = 30) -> None:
        """SIGTERM to the hub (it stops the servers and the proxy itself), then SIGKILL whatever is left."""
        self.record()
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        survivors = self.survivors()
        for process in survivors:
            try:
                group = os.getpgid(process.pid)
                if group != os.getpgrp():  # never our own group: that would take pytest down too
                    os.killpg(group, signal.SIGKILL)
                process.kill()
            except (ProcessLookupError, psutil.NoSuchProcess):
                pass
        psutil.wait_procs(survivors, timeout=10)
        if self.popen.poll() is None:
            self.popen.wait(5)

    def survivors(self) -> list[psutil.Process]:
        return [process for process in self.seen if _alive(process)]


# --- the hub and the students' servers ------------------------------------------------------------------


class StudentServer:
    """One student's single-user server, through the endpoints JupyterLab's nbgrader panel calls."""

    def __init__(self, name: str, url: str, token: str):
        self.name, self.url = name, url.rstrip("/")
        self.http = requests.Session()
        self.http.trust_env = False  # straight to 127.0.0.1, never through an HTTP proxy from the environment
        self.http.headers["Authorization"] = f"token {token}"

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.http.request(method, f"{self.url}/{path}", timeout=120, **kwargs)
        assert response.ok, f"{self.name}: {method} {path} -> {response.status_code} {response.text[:2000]}"
        return response

    def assignments(self) -> list[dict]:
        """nbgrader's list for the course: released/fetched entries plus one 'submitted' entry."""
        return self._nbgrader_reply(self._call("GET", "assignments", params={"course_id": COURSE_ID}))

    def assignment_action(self, action: str, lesson: str) -> list[dict]:
        """fetch, submit or fetch_feedback; each answers with the new list."""
        params = {"course_id": COURSE_ID, "assignment_id": lesson}
        return self._nbgrader_reply(self._call("POST", f"assignments/{action}", params=params))

    def _nbgrader_reply(self, response: requests.Response) -> list[dict]:
        reply = response.json()
        assert reply["success"], f"{self.name}: nbgrader failed:\n{reply['value']}"
        return reply["value"]

    def read_notebook(self, path: str) -> nbformat.NotebookNode:
        model = self._call("GET", f"api/contents/{path}", params={"content": 1}).json()
        return nbformat.from_dict(model["content"])

    def save_notebook(self, path: str, notebook: nbformat.NotebookNode) -> None:
        self._call("PUT", f"api/contents/{path}", json={"type": "notebook", "format": "json", "content": notebook})

    def status_of(self, path: str) -> int:
        return self.http.get(f"{self.url}/{path}", timeout=30).status_code


class Hub:
    """A running JupyterHub: its public URL, its state directory and its REST API."""

    def __init__(self, root: Path, url: str, admin_token: str, processes: ProcessTree):
        self.root, self.url, self.admin_token, self.processes = root, url, admin_token, processes
        self.http = requests.Session()
        self.http.trust_env = False

    def log(self) -> str:
        return (self.root / "jupyterhub.log").read_text(errors="replace")[-6000:]

    def api(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = {"Authorization": f"token {token}"} if token else {}
        return self.http.request(method, f"{self.url}/hub/api/{path}", headers=headers, timeout=60, **kwargs)

    def wait_until_up(self, timeout: float = 60) -> None:
        """Until the proxy answers for the hub (the hub adds its own route once it is ready)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes.popen.poll() is not None:
                raise AssertionError(f"JupyterHub exited {self.processes.popen.returncode}:\n{self.log()}")
            try:
                if self.api("GET", "").ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"JupyterHub not up after {timeout} s:\n{self.log()}")

    def add_to_roster(self, names) -> None:
        """The admin service adds the students; only users on the hub may log in."""
        response = self.api("POST", "users", self.admin_token, json={"usernames": list(names)})
        assert response.status_code == 201, response.text

    def log_in(self, name: str, password: str) -> requests.Response:
        """Username and password for an API token, as the login form would check them."""
        return self.api("POST", f"users/{name}/tokens", json={"auth": {"username": name, "password": password},
                                                                "note": "test_jupyterhub"})

    def start_server(self, name: str, token: str) -> None:
        response = self.api("POST", f"users/{name}/server", token)
        assert response.status_code in (201, 202), f"{name}: {response.status_code} {response.text}\n{self.log()}"

    def wait_for_server(self, name: str, token: str, timeout: float = 120) -> StudentServer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.api("GET", f"users/{name}", token).json()["servers"].get("", {})
            if server.get("ready"):
                return StudentServer(name, f"{self.url}{server['url']}", token)
            time.sleep(0.5)
        raise AssertionError(f"{name}'s server not ready after {timeout} s:\n{self.log()}")

    def home(self, name: str) -> Path:
        return self.root / "home" / name


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def proxy_command() -> str:
    """JupyterHub's proxy is a Node program (course.py installs it with npm): skip without it, except in CI."""
    found = shutil.which("configurable-http-proxy", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        message = "configurable-http-proxy not found (make env installs it when npm is available)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def exchange(tmp_path) -> Path:
    """nbgrader's exchange: a directory every student's server and the instructor can write to."""
    root = tmp_path / "exchange"
    root.mkdir()
    root.chmod(0o777)
    return root


@pytest.fixture
def hub(tmp_path, exchange, proxy_command):
    root = tmp_path / "hub"
    root.mkdir()
    url = f"http://127.0.0.1:{free_port()}"
    config = root / "jupyterhub_config.py"
    config.write_text(HUB_CONFIG.format(
        classroom_dir=str(COURSE_ROOT / "grader" / "hub"), state=str(root), exchange=str(exchange), url=url,
        course=COURSE_ID, password=PASSWORD, token=(admin_token := secrets.token_hex(32)),
        hub_port=free_port(), api_port=free_port(), proxy=proxy_command))
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # jupyterhub-singleuser, alembic
    with open(root / "jupyterhub.log", "w") as log:
        process = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(config)], cwd=root, env=env,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    running = Hub(root, url, admin_token, ProcessTree(process))
    try:
        running.wait_until_up()
        yield running
    finally:  # also when the test failed: no hub, proxy or server may outlive it
        running.processes.stop()
        left = running.processes.survivors()
        assert not left, f"processes still running after the hub stopped: {[p.cmdline() for p in left]}"


@pytest.fixture
def instructor(tmp_path, exchange) -> Course:
    """The instructor's course directory: a copy of the course with lesson 01 and the exchange configured."""
    course = Course(tmp_path / "course", lessons=())
    shutil.copytree(COURSE_ROOT / "solutions" / LESSON, course.root / "solutions" / LESSON)
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(INSTRUCTOR_EXCHANGE_CONFIG.format(exchange=str(exchange)))
    return course


# --- the class ------------------------------------------------------------------------------------------


def by_status(listing: list[dict], status: str) -> dict:
    """The one entry of an nbgrader list for LESSON with this status."""
    [entry] = [a for a in listing if a["assignment_id"] == LESSON and a["status"] == status]
    return entry


def test_a_class_fetches_submits_and_gets_feedback_through_jupyterhub(hub, instructor):
    # The instructor releases the lesson into the exchange.
    instructor.nbgrader("generate_assignment", LESSON, "--force")
    instructor.nbgrader("release_assignment", LESSON)

    # The admin service puts the class on the roster; each student logs in with the shared password and
    # starts a server with the token that gives. Someone not on the roster is turned away.
    hub.add_to_roster(STUDENTS)
    assert hub.log_in("mallory", PASSWORD).status_code == 403
    assert hub.log_in("alice", "not-the-password").status_code == 403
    tokens = {}
    for name in STUDENTS:
        response = hub.log_in(name, PASSWORD)
        assert response.status_code == 201, response.text
        tokens[name] = response.json()["token"]
        hub.start_server(name, tokens[name])  # both servers start at once
    servers = {name: hub.wait_for_server(name, tokens[name]) for name in STUDENTS}
    hub.processes.record()

    # Students see the release, fetch it into their home, answer in the notebook and submit.
    for name, server in servers.items():
        assert by_status(server.assignments(), "released")
        fetched = by_status(server.assignment_action("fetch", LESSON), "fetched")
        [notebook_path] = [nb["path"] for nb in fetched["notebooks"]]
        assert (hub.home(name) / notebook_path).is_file()
        answers, _ = STUDENTS[name]
        server.save_notebook(notebook_path, notebooks.with_answers(server.read_notebook(notebook_path), answers))
        submitted = by_status(server.assignment_action("submit", LESSON), "submitted")
        assert len(submitted["submissions"]) == 1
    # Students get the assignment list, not the instructor's formgrader (grader/hub/student/).
    assert servers["alice"].status_of("formgrader") == 404

    # The instructor collects, grades and hands feedback back through the exchange.
    instructor.nbgrader("collect", LESSON)
    assert sorted(p.name for p in (instructor.root / "submitted").iterdir()) == sorted(STUDENTS)
    instructor.nbgrader("autograde", LESSON, "--create")
    instructor.nbgrader("generate_feedback", LESSON)
    instructor.nbgrader("release_feedback", LESSON)

    for name, (_, expected) in STUDENTS.items():
        assert instructor.total_score(name, LESSON) == expected

    # Each student fetches their feedback into their home: their score, nobody else's.
    for name, server in servers.items():
        [submission] = by_status(server.assignment_action("fetch_feedback", LESSON), "submitted")["submissions"]
        assert submission["has_local_feedback"], submission
        feedback = (hub.home(name) / submission["local_feedback_path"] / f"{LESSON}.html").read_text()
        for other, (_, score) in STUDENTS.items():
            headline = f"{LESSON} (Score: {float(score)} / "
            assert (headline in feedback) == (other == name), f"{name}'s feedback, {other}'s score {score}"

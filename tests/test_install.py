"""Installing anywhere a learner has a computer: the lock, the three installs, the guard, the container.

- uv.lock agrees with pyproject.toml, and requirements/*.txt are exactly its exports (what course.py installs);
- the lock resolves for every supported platform and Python (needs the package index: slow);
- the learner's lock has only what the lessons need; the instructor's and dev's add theirs;
- the guard stops unsupported computers (faked versions and platforms) with what to do instead;
- environment.yml and the Dockerfile install the learner's lock; README shows course.py for Windows.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from convcourse import COURSE_ROOT

sys.path.insert(0, str(COURSE_ROOT))
import course  # noqa: E402  the stdlib-only installer at the course root

UV = Path(sys.executable).parent / "uv"
EXPORTS = {"learner": [], "instructor": ["--extra", "grader"], "dev": ["--extra", "grader", "--extra", "dev"]}
PLATFORMS = ("x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu", "aarch64-apple-darwin", "x86_64-pc-windows-msvc")


def _uv(*arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(UV), *arguments], cwd=COURSE_ROOT, capture_output=True, text=True, check=check)


def _pins(path: Path) -> dict[str, set[str]]:
    """package -> its pinned versions in a requirements file exported from the lock (one per Python range)."""
    pins: dict[str, set[str]] = {}
    for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", path.read_text(), flags=re.M):
        pins.setdefault(name.lower(), set()).add(version)
    return pins


def test_the_lock_agrees_with_pyproject():
    result = _uv("lock", "--check", "--offline", check=False)
    assert result.returncode == 0, f"uv.lock is out of date: run `make lock`\n{result.stderr}"


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_each_install_is_exactly_the_locks_export(kind):
    exported = _uv("export", "--frozen", "--no-emit-project", "--quiet", *EXPORTS[kind]).stdout
    on_disk = (COURSE_ROOT / course.KINDS[kind][0]).read_text()
    without_header = lambda text: [line for line in text.splitlines() if not line.startswith("#")]  # noqa: E731
    assert without_header(on_disk) == without_header(exported), f"{course.KINDS[kind][0]} is stale: run `make lock`"
    assert "--hash=sha256:" in on_disk


def test_the_learner_install_leaves_out_the_instructors_and_developers_tools():
    learner, instructor, dev = (_pins(COURSE_ROOT / course.KINDS[kind][0]) for kind in ("learner", "instructor", "dev"))
    for tool in ("jupyterhub", "distributed", "pytest", "playwright", "uv"):
        assert tool not in learner, f"{tool} is in the learner's install"
    assert {"jupyterhub", "distributed"} <= set(instructor) and {"pytest", "playwright", "uv"} <= set(dev)
    for name, versions in learner.items():  # the tests run exactly what learners install
        assert instructor[name] == dev[name] == versions, name


def test_tensorflow_comes_as_the_build_each_platform_has_wheels_for():
    text = (COURSE_ROOT / course.KINDS["learner"][0]).read_text()
    cpu = re.search(r"^tensorflow-cpu==\S+ ; (.*?) \\$", text, flags=re.M).group(1)
    full = re.search(r"^tensorflow==\S+ ; (.*?) \\$", text, flags=re.M).group(1)
    assert "x86_64" in cpu and "AMD64" in cpu and "arm64" not in cpu and "aarch64" not in cpu
    assert "arm64" in full and "aarch64" in full and "x86_64" not in full


def test_installed_environment_has_the_locked_versions():
    from importlib import metadata

    locked = _pins(COURSE_ROOT / course.KINDS["dev"][0])
    for package in ("nbgrader", "jupyterlab", "keras", "numpy", "scipy", "tensorflow-cpu", "pytest"):
        if package in locked and (package != "tensorflow-cpu" or sys.platform == "linux"):
            assert metadata.version(package) in locked[package], package


def test_the_environment_comes_with_bytecode_for_what_kernels_import():
    """Graded kernels cannot write bytecode into the read-only environment (nor can any process under
    PYTHONDONTWRITEBYTECODE): without it installed, each would compile TensorFlow's modules again (course.py)."""
    import importlib.util

    import keras
    import numpy
    import scipy
    import tensorflow

    for module in (tensorflow, keras, numpy, scipy):
        files = sorted(Path(module.__file__).parent.rglob("*.py"))
        missing = [f for f in files if not Path(importlib.util.cache_from_source(str(f))).exists()]
        assert len(missing) <= len(files) // 20, f"{module.__name__}: no bytecode for {len(missing)} of {len(files)}"


def test_nbformat_loads_without_building_grammars():
    """jsonschema imports rfc3987-syntax when it is there, which builds Lark parsers for 1.5 s in every process
    that loads nbformat (each nbgrader command, server and grading run): pyproject.toml keeps it out."""
    loaded = subprocess.run([sys.executable, "-c", "import sys, nbformat; print(sorted({'rfc3987_syntax', 'lark'} "
                             "& set(sys.modules)))"], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]", (f"nbformat's import loaded {loaded}; an environment built before the lock left "
                            "rfc3987-syntax out keeps it: .venv/bin/uv pip uninstall rfc3987-syntax lark")


@pytest.mark.slow
def test_the_lock_resolves_for_every_supported_platform_and_python():
    """The exact pins install on each platform: uv resolves the dev lock for each, using the package index.
    The twelve resolutions wait on the index, not the CPU, so they run at once."""
    targets = [(platform, python) for platform in PLATFORMS for python in ("3.11", "3.12", "3.13")]

    def problem(platform: str, python: str) -> str | None:
        result = _uv("pip", "compile", course.KINDS["dev"][0], "--python-platform", platform, "--python-version",
                     python, "--no-header", "--quiet", check=False)
        if result.returncode != 0:
            return result.stderr
        resolved = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", result.stdout, flags=re.M))
        tensorflow = "tensorflow-cpu" if platform.startswith("x86_64") else "tensorflow"
        return None if tensorflow in resolved else f"no {tensorflow}"

    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        problems = dict(zip(targets, pool.map(lambda target: problem(*target), targets)))
    assert {target: text for target, text in problems.items() if text} == {}


@pytest.mark.parametrize("version, system, machine, bits, words", [
    ((3, 14), "Linux", "x86_64", 64, ["Python 3.11, 3.12, 3.13", "Install Python 3.12", "docker"]),
    ((3, 10), "Windows", "AMD64", 64, ["Python 3.11, 3.12, 3.13", "3.10"]),
    ((3, 12), "Darwin", "x86_64", 64, ["Intel Macs", "macOS on Apple silicon", "container"]),
    ((3, 12), "Linux", "armv7l", 64, ["Linux on ARM (aarch64)", "armv7l"]),
    ((3, 12), "Windows", "AMD64", 32, ["32-bit", "64-bit"]),
])
def test_the_guard_stops_unsupported_computers_with_what_to_do(version, system, machine, bits, words):
    message = course.unsupported(version, system, machine, bits)
    assert message is not None
    for word in words:
        assert word in message, (word, message)


@pytest.mark.parametrize("version, system, machine", [((3, 11), "Linux", "x86_64"), ((3, 13), "Darwin", "arm64"),
                                                       ((3, 12), "Linux", "aarch64"), ((3, 12), "Windows", "AMD64")])
def test_the_guard_lets_supported_computers_through(version, system, machine):
    assert course.unsupported(version, system, machine, 64) is None


def test_course_py_check_runs_on_this_computer_and_env_refuses_an_unknown_kind():
    checked = subprocess.run([sys.executable, "course.py", "check"], cwd=COURSE_ROOT, capture_output=True, text=True)
    assert checked.returncode == 0 and "supported" in checked.stdout, checked.stdout + checked.stderr
    unknown = subprocess.run([sys.executable, "course.py", "env", "everything"], cwd=COURSE_ROOT, capture_output=True,
                             text=True)
    assert unknown.returncode == 2 and "python course.py lab" in unknown.stderr


def test_make_builds_each_install_with_course_py_and_its_lock():
    makefile = (COURSE_ROOT / "Makefile").read_text()
    assert "$(PYTHON) course.py env $*" in makefile
    for target, kind in (("lab", "LEARNER"), ("instructor", "INSTRUCTOR"), ("grade", "INSTRUCTOR"),
                         ("test", "DEV"), ("progress", "LEARNER")):
        assert re.search(rf"^{target}: \$\({kind}\)", makefile, flags=re.M), target
    assert re.search(r"^\$\(VENV\)/\.convcourse-%: requirements/%\.txt pyproject\.toml course\.py", makefile, flags=re.M)


def test_environment_yml_installs_the_learners_lock_and_a_supported_python():
    environment = yaml.safe_load((COURSE_ROOT / "environment.yml").read_text())
    assert "python>=3.11,<3.14" in environment["dependencies"]
    assert tomllib.loads((COURSE_ROOT / "pyproject.toml").read_text())["project"]["requires-python"] == ">=3.11,<3.14"
    pip = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    assert pip == ["--require-hashes", f"-r {course.KINDS['learner'][0]}"]


def test_the_container_installs_the_learners_lock_and_opens_the_course():
    """No container engine runs here, so the Dockerfile is checked as text: base image, install, command."""
    dockerfile = (COURSE_ROOT / "Dockerfile").read_text()
    base = re.search(r"^FROM python:(\d+)\.(\d+)", dockerfile, flags=re.M)
    assert base and (int(base.group(1)), int(base.group(2))) in course.SUPPORTED_PYTHONS
    assert "RUN python course.py env learner" in dockerfile
    assert re.search(r'^CMD \[".venv/bin/python", "-m", "convcourse.lab", .*"--ip=0.0.0.0"', dockerfile, flags=re.M)
    ignored = (COURSE_ROOT / ".dockerignore").read_text().split()
    assert ".venv/" in ignored and "gradebook.db" in ignored


def test_readme_gives_every_os_its_two_commands():
    readme = (COURSE_ROOT / "README.md").read_text()
    assert "python course.py lab" in readme and "python course.py test" in readme
    assert "docker build" in readme and "make lock" in readme

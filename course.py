"""The course's commands on any computer, with or without `make` (Windows has none):

    python course.py lab          the learner's JupyterLab (what `make lab` runs)
    python course.py test         every test (what `make test` runs)
    python course.py instructor   JupyterLab with formgrader (what `make instructor` runs)
    python course.py env KIND     only build .venv: learner, instructor or dev (what make's targets call)

Each builds the environment in .venv first when it is missing or out of date, from the lock: the exact
versions in requirements/KIND.txt (exported from uv.lock, with hashes), so every learner of a class gets
the same TensorFlow, Keras and nbgrader. The learner's install has only what the lessons need; `instructor`
adds JupyterHub, Dask and the JupyterHub proxy; `dev` adds the test tools. uv installs when it is on PATH
or can be installed from the package index (much faster), pip otherwise.

Only the standard library is used here: this runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import struct
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
SUPPORTED_PYTHONS = ((3, 11), (3, 12), (3, 13))
# (platform.system(), platform.machine()) where TensorFlow publishes wheels for those Pythons.
SUPPORTED_PLATFORMS = {
    ("Linux", "x86_64"): "Linux on x86_64",
    ("Linux", "aarch64"): "Linux on ARM (aarch64)",
    ("Darwin", "arm64"): "macOS on Apple silicon",
    ("Windows", "AMD64"): "Windows on x86_64",
}
# Each kind of install, the lock it installs, and the kinds it contains.
KINDS = {
    "learner": ("requirements/learner.txt", ()),
    "instructor": ("requirements/instructor.txt", ("learner",)),
    "dev": ("requirements/dev.txt", ("learner", "instructor")),
}
NBGRADER_SERVER_EXTENSIONS = ("formgrader", "assignment_list", "course_list", "validate_assignment")
PROXY = "configurable-http-proxy@4"  # JupyterHub's proxy; major 4 runs on Node 20 (tested)


def unsupported(version: tuple = tuple(sys.version_info[:2]), system: str = platform.system(),
                machine: str = platform.machine(), pointer_bits: int = 8 * struct.calcsize("P")) -> str | None:
    """Why this computer cannot install the course, in a learner's words, or None when it can."""
    where = ", ".join(SUPPORTED_PLATFORMS.values())
    pythons = ", ".join(f"{major}.{minor}" for major, minor in SUPPORTED_PYTHONS)
    container = ("or run the course in a container: `docker build -t convcourse . && docker run -p 8888:8888 "
                 "convcourse` (see README, 'Other computers').")
    if pointer_bits != 64:
        return (f"This is a 32-bit Python; TensorFlow needs a 64-bit one. Install a 64-bit Python {pythons} "
                f"from python.org, {container}")
    if (system, machine) not in SUPPORTED_PLATFORMS:
        if system == "Darwin" and machine == "x86_64":
            reason = "TensorFlow no longer publishes wheels for Intel Macs that work with NumPy 2"
        else:
            reason = f"TensorFlow publishes no wheels for {system} on {machine}"
        return f"The course cannot install here: {reason}. It runs on {where}; {container}"
    if version not in SUPPORTED_PYTHONS:
        found = ".".join(map(str, version))
        return (f"The course needs Python {pythons} (TensorFlow has no wheels for Python {found} yet). Install "
                f"Python 3.12 from python.org (or with your package manager) and run this again with it, {container}")
    return None


def venv_python(folder: Path = VENV) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _stamp(kind: str, folder: Path) -> Path:
    return folder / f".convcourse-{kind}"


def _digest(kind: str) -> str:
    """Changes whenever the lock or the project's metadata does: then the environment is brought up to date."""
    content = b"".join((ROOT / name).read_bytes() for name in (KINDS[kind][0], "pyproject.toml"))
    return hashlib.sha256(content).hexdigest()


def _run(command: list, **kwargs) -> None:
    print("+", " ".join(map(str, command)), flush=True)
    subprocess.run([str(part) for part in command], check=True, **kwargs)


def _installer(python: Path) -> list:
    """uv's pip interface when uv is on PATH or installs from the package index; pip otherwise."""
    uv = shutil.which("uv")
    if uv is None:
        try:
            _run([python, "-m", "pip", "install", "--quiet", "uv"], cwd=ROOT)
            uv = shutil.which("uv", path=str(python.parent))
        except subprocess.CalledProcessError:
            uv = None
    if uv is not None:
        # Bytecode now, as pip writes it: graded kernels cannot write it into the read-only environment, and
        # with PYTHONDONTWRITEBYTECODE no process would, so each would compile TensorFlow's modules again.
        return [uv, "pip", "install", "--compile-bytecode", "--python", python]
    return [python, "-m", "pip", "install"]


def _jupyter_extensions(python: Path) -> None:
    jupyter = [python, "-m", "jupyter"]
    for name in NBGRADER_SERVER_EXTENSIONS:
        _run(jupyter + ["server", "extension", "enable", "--sys-prefix", f"nbgrader.server_extensions.{name}"],
             stdout=subprocess.DEVNULL)
    _run(jupyter + ["labextension", "enable", "@jupyter/nbgrader"], stdout=subprocess.DEVNULL)


def _jupyterhub_proxy(folder: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: skipping configurable-http-proxy (only a class on JupyterHub needs it)")
        return
    _run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", folder / "node", PROXY])
    link = folder / "bin" / "configurable-http-proxy"
    if os.name != "nt" and not link.exists():
        link.symlink_to(Path("..") / "node" / "node_modules" / ".bin" / "configurable-http-proxy")


def install(kind: str, folder: Path = VENV) -> Path:
    """Bring ``folder`` up to the lock of ``kind`` (and the kinds it contains); return its Python."""
    problem = unsupported()
    if problem:
        raise SystemExit(problem)
    python = venv_python(folder)
    if _stamp(kind, folder).is_file() and _stamp(kind, folder).read_text() == _digest(kind):
        return python
    if not python.exists():
        print(f"Creating the course's environment in {folder} (a few minutes, once)", flush=True)
        venv.create(folder, with_pip=True)
    installer = _installer(python)
    _run(installer + ["--require-hashes", "-r", ROOT / KINDS[kind][0]], cwd=ROOT)
    _run(installer + ["--no-deps", "-e", ROOT], cwd=ROOT)
    _jupyter_extensions(python)
    if kind != "learner":
        _jupyterhub_proxy(folder)
    for done in (kind, *KINDS[kind][1]):
        _stamp(done, folder).write_text(_digest(done))
    return python


def child_environment(python: Path) -> dict[str, str]:
    """The environment for the course's own commands: the venv's tools first on PATH (nbgrader runs
    `alembic` by name) and, as make does, the offline data sets beside the checkout when they are there."""
    env = dict(os.environ, PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    shared = ROOT.parent / "shared" / "data"
    if "CONVCOURSE_OFFLINE_DATA" not in env and shared.is_dir():
        env["CONVCOURSE_OFFLINE_DATA"] = str(shared)
    return env


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command == "env" and rest and rest[0] in KINDS:
        install(rest[0])
        return 0
    if command == "check":
        problem = unsupported()
        print(problem or f"Python {platform.python_version()} on {platform.system()} {platform.machine()}: supported")
        return 1 if problem else 0
    runs = {"lab": ("learner", ["-m", "convcourse.lab"]), "instructor": ("instructor", ["-m", "convcourse.lab", "--instructor"]),
            "test": ("dev", ["-m", "pytest"])}
    if command not in runs:
        print(__doc__, file=sys.stdout if command in ("-h", "--help") else sys.stderr)
        return 0 if command in ("-h", "--help") else 2
    kind, arguments = runs[command]
    python = install(kind)
    return subprocess.run([str(python), *arguments, *rest], cwd=ROOT, env=child_environment(python)).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

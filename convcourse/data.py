"""Course data: the small worked examples in ``data/`` and the two public data sets.

Small files live in the repository's ``data/`` folder and are listed, with their
SHA-256, in ``data/manifest.json``; a file that does not match its manifest entry
is refused rather than silently used.

The public data sets are loaded by their libraries' own loaders, which download
them once and cache them:

* ``ascent()``: SciPy's 512x512 grey photo, cached by ``pooch`` under
  ``$XDG_CACHE_HOME/scipy-data/`` (``~/.cache/scipy-data/`` by default);
* ``fashion_mnist()``: Keras's Fashion-MNIST, cached under
  ``$KERAS_HOME/datasets/fashion-mnist/`` (``~/.keras/...`` by default).

To work offline, put the files where those loaders look (see README, "Offline").
``offline_environment`` builds the two variables for a folder laid out like that.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from . import COURSE_ROOT

DATA_DIR = COURSE_ROOT / "data"

# The seed page's CNN in lesson 04's layer format: Conv2D(64, (3, 3)), MaxPooling2D(2, 2), twice, then
# Flatten, Dense(128), Dense(10). Shapes 26x26x64, 13x13x64, 11x11x64, 5x5x64, 1600, 128, 10; 243,786 parameters.
SEED_CNN = (("conv", 64, 3), ("pool", 2), ("conv", 64, 3), ("pool", 2), ("flatten",), ("dense", 128), ("dense", 10))

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
FASHION_MNIST_FILES = (
    "train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
)


class DataUnavailableError(RuntimeError):
    """A data set is neither cached nor downloadable; the message says where to put it."""


@functools.cache
def _manifest() -> dict:
    return json.loads((DATA_DIR / "manifest.json").read_text())["files"]


@functools.cache
def load_course_file(name: str) -> dict:
    """Read one JSON file from ``data/`` after checking it against the manifest."""
    entry = _manifest().get(name)
    if entry is None:
        raise ValueError(f"{name!r} is not listed in data/manifest.json; known files: {sorted(_manifest())}")
    raw = (DATA_DIR / name).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != entry["sha256"]:
        raise DataUnavailableError(
            f"data/{name} has been changed: its SHA-256 is {digest}, the manifest expects "
            f"{entry['sha256']}. Restore it with `git checkout data/{name}`."
        )
    return json.loads(raw)


def patch_192() -> np.ndarray:
    """The 3x3 neighbourhood of the pixel of value 192 (uint8), row by row."""
    return np.array(load_course_file("seed_example.json")["patch"], dtype=np.uint8)


def seed_filter() -> np.ndarray:
    """The seed page's 3x3 filter (float64)."""
    return np.array(load_course_file("seed_example.json")["filter"], dtype=np.float64)


def small_image() -> np.ndarray:
    """A 6x8 uint8 image whose pixel (2, 3) is the 192 pixel with its neighbourhood."""
    return np.array(load_course_file("seed_example.json")["small_image"], dtype=np.uint8)


def pixel_192_position() -> tuple[int, int]:
    """(row, column) of the 192 pixel in ``small_image()``."""
    row, col = load_course_file("seed_example.json")["pixel_192_position"]
    return row, col


def preset_filters() -> dict[str, np.ndarray]:
    """Named 3x3 filters (float64), in the order the playground lists them."""
    filters = load_course_file("filters.json")["filters"]
    return {name: np.array(entry["kernel"], dtype=np.float64) for name, entry in filters.items()}


def stepper_kernels() -> dict[str, np.ndarray]:
    """The kernels the pixel stepper offers: the seed's filter first (its 577 on the 192 pixel), then the
    playground's presets."""
    presets = preset_filters()
    return {"seed filter": presets.pop("seed filter"), **presets}


ASCENT_PATCH = (slice(370, 380), slice(192, 204))  # a 10x12 patch of the photo with strong vertical edges


def stepper_images() -> dict[str, np.ndarray]:
    """The images the pixel stepper offers: the seed's 6x8 grid and a 10x12 patch of SciPy's ``ascent``."""
    return {"seed's grid (6x8)": small_image(), "ascent photo, a 10x12 patch": ascent()[ASCENT_PATCH].copy()}


def filter_descriptions() -> dict[str, str]:
    """One line per preset filter saying what it does to an image."""
    return {name: entry["what_it_does"] for name, entry in load_course_file("filters.json")["filters"].items()}


def ascent() -> np.ndarray:
    """SciPy's 512x512 uint8 photo of people climbing stairs, from SciPy's own loader."""
    import scipy.datasets

    try:
        return scipy.datasets.ascent()
    except ImportError as error:
        raise DataUnavailableError(f"SciPy's data sets need the 'pooch' package: {error}") from error
    except Exception as error:  # pooch raises requests/OS errors of many kinds
        import pooch

        folder = Path(pooch.os_cache("scipy-data"))
        raise DataUnavailableError(
            f"SciPy's 'ascent' image is not in its cache ({folder / 'ascent.dat'}) and could not be "
            f"downloaded ({type(error).__name__}: {error}). Connect to the internet once, or copy "
            f"ascent.dat into {folder}, or set XDG_CACHE_HOME to a folder that holds scipy-data/ascent.dat."
        ) from error


def fashion_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[str, ...]]:
    """Fashion-MNIST from Keras's loader: ``(x_train, y_train), (x_test, y_test), class_names``.

    Images are uint8 arrays of shape (n, 28, 28); labels are integers 0-9 naming
    ``class_names`` (0 is "T-shirt/top", 9 is "Ankle boot").
    """
    from keras import datasets

    # Where Keras's loader caches it (Keras reads KERAS_HOME the same way).
    folder = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "fashion-mnist"
    try:
        (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data()
    except Exception as error:
        missing = [name for name in FASHION_MNIST_FILES if not (folder / name).exists()]
        raise DataUnavailableError(
            f"Fashion-MNIST is not cached in {folder} (missing: {', '.join(missing) or 'none'}) and could "
            f"not be downloaded ({type(error).__name__}: {error}). Connect to the internet once, or copy "
            f"the four .gz files into {folder}, or set KERAS_HOME to a folder whose "
            f"datasets/fashion-mnist holds them."
        ) from error
    return (x_train, y_train), (x_test, y_test), FASHION_MNIST_CLASSES


def keras_home() -> Path:
    """Keras's home as Keras finds it in this process's environment: ``$KERAS_HOME``, else ``~/.keras``."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()


def cache_folders(offline: str | os.PathLike | None = None) -> dict[str, Path]:
    """Where each public data set is kept for this user: Keras's Fashion-MNIST folder and SciPy's
    ``scipy-data``, in the offline folder ``offline`` (by default ``$CONVCOURSE_OFFLINE_DATA``) when there is
    one, else in the libraries' caches (KERAS_HOME and XDG_CACHE_HOME respected)."""
    offline = offline or os.environ.get("CONVCOURSE_OFFLINE_DATA")
    if offline:
        keras, xdg_cache = Path(offline) / "keras", Path(offline) / "cache"
    else:
        keras, xdg_cache = keras_home(), Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return {"fashion_mnist": keras / "datasets" / "fashion-mnist", "ascent": xdg_cache / "scipy-data"}


def fetch_missing() -> list[str]:
    """Download the public data sets missing from ``cache_folders()``, and say which could not be.

    Grading calls this first: students' kernels have no network, and each job copies these folders into its
    kernel's home. With ``$CONVCOURSE_OFFLINE_DATA`` set nothing is downloaded: what it lacks is said.
    """
    folders = cache_folders()
    problems = []
    loaders = (("fashion_mnist", fashion_mnist, FASHION_MNIST_FILES), ("ascent", ascent, ("ascent.dat",)))
    for name, load, files in loaders:
        missing = [file for file in files if not (folders[name] / file).is_file()]
        if not missing:
            continue
        if os.environ.get("CONVCOURSE_OFFLINE_DATA"):
            problems.append(f"{', '.join(missing)} not in {folders[name]} ($CONVCOURSE_OFFLINE_DATA)")
            continue
        try:
            load()
        except DataUnavailableError as error:
            problems.append(str(error))
    return problems


def offline_environment(shared_data: str | os.PathLike, keras_home: str | os.PathLike) -> dict[str, str]:
    """Environment variables that make both loaders read a local copy instead of downloading.

    ``shared_data`` is laid out like the libraries' caches: ``cache/scipy-data/ascent.dat``
    and ``keras/datasets/fashion-mnist/*.gz``. Keras writes ``keras.json`` into its home,
    so ``keras_home`` must be writable; it gets a symlink to the Fashion-MNIST folder.
    """
    shared = cache_folders(Path(shared_data).resolve())
    link = Path(keras_home) / "datasets" / "fashion-mnist"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        try:
            link.symlink_to(shared["fashion_mnist"], target_is_directory=True)
        except FileExistsError:  # another process (a parallel test worker) made it first
            pass
    return {"XDG_CACHE_HOME": str(shared["ascent"].parent), "KERAS_HOME": str(Path(keras_home).resolve())}


def use_offline_data(keras_home: str | os.PathLike, fallback: str | os.PathLike | None = None) -> Path | None:
    """Point both loaders at ``$CONVCOURSE_OFFLINE_DATA`` (or ``fallback`` when that folder exists).

    Sets the variables in ``os.environ`` so that child processes (kernels, nbgrader) inherit them; call it
    before importing Keras, which reads KERAS_HOME once, on import.
    returns the folder used, or None when there is none and the libraries will download as usual.
    """
    configured = os.environ.get("CONVCOURSE_OFFLINE_DATA")
    folder = Path(configured) if configured else (Path(fallback) if fallback is not None else None)
    if folder is None or not (folder / "keras").is_dir():
        return None
    os.environ.update(offline_environment(folder, keras_home))
    return folder

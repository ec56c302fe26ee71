"""convcourse.data: the course's own files are checked against the manifest; public data sets load offline."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from convcourse import data


def test_manifest_lists_every_data_file_with_its_hash():
    manifest = json.loads((data.DATA_DIR / "manifest.json").read_text())["files"]
    on_disk = {p.name for p in data.DATA_DIR.iterdir() if p.name != "manifest.json"}
    assert set(manifest) == on_disk
    for name, entry in manifest.items():
        assert hashlib.sha256((data.DATA_DIR / name).read_bytes()).hexdigest() == entry["sha256"], name


def test_the_192_example_matches_the_seed_figures():
    patch, kernel = data.patch_192(), data.seed_filter()
    assert patch.dtype == np.uint8 and patch[1, 1] == 192
    assert patch.tolist() == [[0, 64, 128], [48, 192, 144], [142, 226, 168]]
    assert kernel.tolist() == [[-1, 0, -2], [0.5, 4.5, -1.5], [1.5, 2, -3]]
    assert np.sum(patch * kernel) == 577
    row, col = data.pixel_192_position()
    image = data.small_image()
    assert image.shape == (6, 8) and image.dtype == np.uint8
    assert np.array_equal(image[row - 1:row + 2, col - 1:col + 2], patch)


def test_presets_are_3x3_and_include_the_seed_filter():
    presets = data.preset_filters()
    assert all(kernel.shape == (3, 3) for kernel in presets.values())
    assert np.array_equal(presets["seed filter"], data.seed_filter())
    assert set(data.filter_descriptions()) == set(presets)


def test_a_changed_data_file_is_refused_with_a_way_to_restore_it(tmp_path, monkeypatch):
    shutil.copytree(data.DATA_DIR, tmp_path / "data")
    tampered = tmp_path / "data" / "seed_example.json"
    tampered.write_text(tampered.read_text().replace("192", "193"))
    monkeypatch.setattr(data, "DATA_DIR", tmp_path / "data")
    data.load_course_file.cache_clear()
    data._manifest.cache_clear()
    try:
        with pytest.raises(data.DataUnavailableError, match="git checkout data/seed_example.json"):
            data.patch_192()
    finally:
        data.load_course_file.cache_clear()
        data._manifest.cache_clear()


def test_ascent_loads_through_scipy():
    photo = data.ascent()
    assert photo.shape == (512, 512) and photo.dtype == np.uint8


def test_fashion_mnist_loads_through_keras_with_class_names():
    (x_train, y_train), (x_test, y_test), classes = data.fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and set(np.unique(y_test)) == set(range(10))
    assert classes[0] == "T-shirt/top" and classes[9] == "Ankle boot" and len(classes) == 10


def _load_without_data(tmp_path, loader: str) -> subprocess.CompletedProcess:
    """Call a loader in a fresh process whose caches are empty and whose downloads cannot succeed."""
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), KERAS_HOME=str(tmp_path / "keras"),
               HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
               http_proxy="http://127.0.0.1:9")
    code = f"from convcourse import data\ndata.{loader}()"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)


def test_ascent_without_cache_or_network_says_what_is_missing_and_where(tmp_path):
    result = _load_without_data(tmp_path, "ascent")
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "DataUnavailableError" in message and "ascent.dat" in message
    assert str(tmp_path / "cache" / "scipy-data") in message


def test_fashion_mnist_without_cache_or_network_says_what_is_missing_and_where(tmp_path):
    result = _load_without_data(tmp_path, "fashion_mnist")
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "DataUnavailableError" in message
    assert str(tmp_path / "keras" / "datasets" / "fashion-mnist") in message
    assert "train-images-idx3-ubyte.gz" in message


def test_grading_downloads_only_the_data_sets_missing_from_the_caches(tmp_path, monkeypatch):
    """convcourse grade fetches what the kernels (no network) will read: nothing already cached, nothing with
    an offline folder, and each failure in the loader's own words."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CONVCOURSE_OFFLINE_DATA", raising=False)
    folders = data.cache_folders()
    assert folders == {"fashion_mnist": tmp_path / "keras" / "datasets" / "fashion-mnist",
                       "ascent": tmp_path / "cache" / "scipy-data"}
    loaded = []

    def cannot_download(name):
        def load():
            loaded.append(name)
            raise data.DataUnavailableError(f"{name} is not cached")
        return load

    monkeypatch.setattr(data, "fashion_mnist", cannot_download("fashion_mnist"))
    monkeypatch.setattr(data, "ascent", cannot_download("ascent"))
    assert data.fetch_missing() == ["fashion_mnist is not cached", "ascent is not cached"]
    for name, files in (("fashion_mnist", data.FASHION_MNIST_FILES), ("ascent", ("ascent.dat",))):
        folders[name].mkdir(parents=True)
        for file in files:
            (folders[name] / file).write_bytes(b"cached")
    loaded.clear()
    assert data.fetch_missing() == [] and loaded == []
    (folders["ascent"] / "ascent.dat").unlink()
    assert data.fetch_missing() == ["ascent is not cached"] and loaded == ["ascent"]
    # An offline folder is where the jobs copy the data sets from: never downloaded into, what it lacks is said.
    offline = tmp_path / "offline"
    monkeypatch.setenv("CONVCOURSE_OFFLINE_DATA", str(offline))
    assert data.cache_folders() == {"fashion_mnist": offline / "keras" / "datasets" / "fashion-mnist",
                                    "ascent": offline / "cache" / "scipy-data"}
    shutil.copytree(folders["fashion_mnist"], offline / "keras" / "datasets" / "fashion-mnist")
    loaded.clear()
    assert data.fetch_missing() == [f"ascent.dat not in {offline / 'cache' / 'scipy-data'} ($CONVCOURSE_OFFLINE_DATA)"]
    (offline / "cache" / "scipy-data").mkdir(parents=True)
    (offline / "cache" / "scipy-data" / "ascent.dat").write_bytes(b"offline")
    assert data.fetch_missing() == [] and loaded == []

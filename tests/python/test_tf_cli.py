# SPDX-License-Identifier: GPL-2.0
"""`kinfer` on TensorFlow sources (a .keras file, a SavedModel directory),
which it converts through `python -m kinfer.tf.convert` before compiling:
the reference run against TensorFlow's own output, --shape, and the
errors for a broken file and a missing converter."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
KINFER = os.environ.get("KINFER_BIN", str(ROOT / "build/cmake/loader/kinfer"))


def run(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KINFER, *map(str, args)], capture_output=True, text=True, timeout=300,
                          env=env)  # fmt: skip


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small Keras classifier saved both ways, with an input and TF's output."""
    import keras

    keras.utils.set_random_seed(0)
    x = keras.Input((6,), name="features")
    h = keras.layers.Dense(8, activation="relu")(x)
    model = keras.Model(x, keras.layers.Dense(3, activation="softmax")(h))
    out = tmp_path_factory.mktemp("tf")
    model.save(out / "model.keras")
    model.export(str(out / "saved"), verbose=False)
    inputs = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    np.save(out / "x1.npy", inputs[:1])
    np.save(out / "x4.npy", inputs)
    np.save(out / "want4.npy", np.asarray(model(inputs, training=False)))
    return out


@pytest.mark.parametrize("source", ["model.keras", "saved"])
def test_reference_run_matches_tensorflow(saved: Path, source: str, tmp_path: Path) -> None:
    want = np.load(saved / "want4.npy")
    r = run("run", "--reference", saved / source, "-i", saved / "x1.npy", "-o", tmp_path / "y.npy")
    assert r.returncode == 0, r.stderr
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), want[:1], rtol=1e-5, atol=1e-6)


def test_shape_fixes_the_batch(saved: Path) -> None:
    r = run("inspect", saved / "model.keras", "--shape", "features=4,6")
    assert r.returncode == 0, r.stderr
    assert "features [4,6] float32" in r.stdout


def test_unknown_shape_name_is_named(saved: Path) -> None:
    r = run("inspect", saved / "model.keras", "--shape", "pixels=4,6")
    assert r.returncode == 3, r.stderr
    assert "no input named ['pixels']" in r.stderr and "features" in r.stderr


def test_a_broken_keras_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"PK\x03\x04 not a zip archive")
    r = run("inspect", bad)
    assert r.returncode == 3, r.stderr
    assert str(bad) in r.stderr and "Keras cannot load it" in r.stderr


def test_a_directory_that_is_no_saved_model_is_refused(tmp_path: Path) -> None:
    r = run("inspect", tmp_path)
    assert r.returncode == 3, r.stderr
    assert "without saved_model.pb" in r.stderr


def test_missing_converter_says_how_to_install_it(saved: Path) -> None:
    env = dict(os.environ, KINFER_PYTHON="/usr/bin/python3")  # no kinfer, no TensorFlow
    r = run("inspect", saved / "model.keras", env=env)
    assert r.returncode == 2, r.stderr
    assert "pip install 'kinfer[tf]'" in r.stderr and "KINFER_PYTHON" in r.stderr


def test_a_cached_conversion_needs_no_tensorflow(saved: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = dict(os.environ, KINFER_TF_CACHE=str(cache))
    r = run("inspect", saved / "model.keras", env=env)
    assert r.returncode == 0, r.stderr
    assert len(list(cache.glob("*.onnx"))) == 1
    poison = tmp_path / "poison" / "tensorflow"
    poison.mkdir(parents=True)
    (poison / "__init__.py").write_text("raise ImportError('imported on a cache hit')\n")
    env["PYTHONPATH"] = str(poison.parent)
    r = run("inspect", saved / "model.keras", env=env)
    assert r.returncode == 0, r.stderr
    # another shape is another conversion: it needs TensorFlow, and gets the poison
    r = run("inspect", saved / "model.keras", "--shape", "features=2,6", env=env)
    assert r.returncode != 0 and "imported on a cache hit" in r.stderr

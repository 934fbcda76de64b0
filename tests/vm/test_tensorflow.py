"""The Keras zoo in the kernel, loaded by the CLI from .keras files and a
SavedModel directory, against TensorFlow (in the VM).

`python -m kinfer.examples.keras_zoo` (make fixtures, on the host) trains
each model of kinfer.examples.keras_zoo briefly, saves it as a .keras file
(the CNN also as a SavedModel), and records an input and TensorFlow's
output. It also converts each file as `kinfer load FILE --shape ...` does
(python -m kinfer.tf.convert) into a conversion cache: here `kinfer load`
runs that same converter, which finds the conversion by the file's hash
and so needs no TensorFlow under TCG. Each model is run in kinfer.ko and
compared: max |kernel - TF| <= 1e-4 * max |TF|.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from conftest import BPFFS, FIXTURES, SYSFS, kinfer, module_for_file

ZOO = FIXTURES / "tf"
REL_TOL = 1e-4
# (model, source) for every file make-fixtures.sh writes; a missing one fails.
SOURCES = [("activations", "model.keras"), ("cnn", "model.keras"), ("cnn", "saved"), ("mlp", "model.keras"),
           ("seq_gru", "model.keras"), ("text_lstm", "model.keras"),
           ("transformer", "model.keras")]  # fmt: skip
NAMES = [f"tf_{m}_{s.split('.')[0]}" for m, s in SOURCES]


@pytest.fixture(scope="module", autouse=True)
def module():
    os.environ["KINFER_TF_CACHE"] = str(ZOO / "cache")
    with module_for_file(*NAMES):
        yield


@pytest.mark.parametrize(("model", "source"), SOURCES)
def test_keras_model_loaded_from_its_file_matches_tensorflow(model: str, source: str,
                                                             tmp_path: Path) -> None:  # fmt: skip
    meta = json.loads((ZOO / model / "meta.json").read_text())
    name = f"tf_{model}_{source.split('.')[0]}"
    shape = f"{meta['input']}={','.join(map(str, meta['shape']))}"
    kinfer("load", str(ZOO / model / source), "--name", name, "--shape", shape)
    out = tmp_path / "out.npy"
    kinfer("run", name, "--input", str(ZOO / model / "input.npy"), "--output", str(out))
    got, want = np.load(out), np.load(ZOO / model / "expected.npy")
    assert got.shape == want.shape and got.dtype == want.dtype
    rel = float(np.max(np.abs(got - want))) / float(np.max(np.abs(want)))
    info = json.loads(kinfer("show", name, "--json").stdout)
    print(f"{model} from {source}: {len(info['nodes'])} kernel nodes, relative error {rel:.2e}")
    assert rel <= REL_TOL
    assert int((SYSFS / "models" / name / "errors").read_text()) == 0
    kinfer("unload", name)
    assert not (BPFFS / name).exists()

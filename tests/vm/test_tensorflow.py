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

The .tflite zoo (python -m kinfer.examples.tflite_zoo, in make fixtures)
is loaded from its files and run in the kernel against the TFLite
interpreter's outputs, as tests/python/test_tflite_cli.py compares the
userspace run: int8 outputs equal to the reference kernels' on >= 99% of
the elements and never more than one quantisation step off; the float
file within 1e-4 of the largest output; the CNNs' classes the float Keras
model's on most samples.
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
TFLITE = FIXTURES / "tflite"
# every file kinfer.examples.tflite_zoo writes; a missing one fails
TFLITE_ZOO = ["cnn_int8", "cnn_int8_float_io", "cnn_float", "op_fully_connected", "op_conv_2d",
              "op_depthwise_conv_2d", "op_add", "op_mul", "op_average_pool_2d", "op_max_pool_2d",
              "op_reshape", "op_softmax", "op_logistic", "op_tanh", "op_concatenation", "op_mean",
              "op_quantize", "op_quantize_float_in", "op_dequantize"]  # fmt: skip
NAMES += [f"tfl_{m}" for m in TFLITE_ZOO]


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


def _steps(a: np.ndarray, b: np.ndarray, step: float) -> np.ndarray:
    """|a - b| in quantisation steps (int8, or floats dequantised with ``step``)."""
    diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    return diff if a.dtype == np.int8 else diff / step


def _check_quantised(got: np.ndarray, want: np.ndarray, step: float, what: str,
                     min_equal: float = 0.99, max_steps: float = 1.0) -> None:  # fmt: skip
    assert got.shape == want.shape and got.dtype == want.dtype, (what, got.shape, got.dtype)
    off = _steps(got, want, step)
    equal, worst = float(np.mean(off < 0.5)), float(np.max(off))
    print(f"{what}: {equal:.4%} equal, worst {worst:.2f} steps")
    assert equal >= min_equal and worst <= max_steps + 1e-3, (
        f"{what}: {equal:.4%} of {off.size} elements equal (need {min_equal:.2%}), "
        f"worst {worst:.2f} steps (allowed {max_steps})"
    )


@pytest.mark.parametrize("model", TFLITE_ZOO)
def test_tflite_file_in_the_kernel_matches_the_interpreter(model: str, tmp_path: Path) -> None:
    meta = json.loads((TFLITE / f"{model}.json").read_text())
    name = f"tfl_{model}"
    kinfer("load", str(TFLITE / f"{model}.tflite"), "--name", name)
    x = np.load(TFLITE / f"{model}.input.npy")
    outs = []
    for start in range(0, x.shape[0], meta["batch"]):  # the CNNs take one sample a run
        xi, yi = tmp_path / f"x{start}.npy", tmp_path / f"y{start}.npy"
        np.save(xi, x[start : start + meta["batch"]])
        kinfer("run", name, "--input", str(xi), "--output", str(yi))
        outs.append(np.load(yi))
    got = np.concatenate(outs)
    ref = np.load(TFLITE / f"{model}.ref_builtin_ref.npy")
    default = np.load(TFLITE / f"{model}.ref.npy")
    step = meta["output_step"]
    if step is None:  # the float CNN
        for want in (ref, default, np.load(TFLITE / f"{model}.tf.npy")):
            assert got.shape == want.shape and got.dtype == want.dtype
            rel = float(np.max(np.abs(got - want))) / float(np.max(np.abs(want)))
            assert rel <= REL_TOL, f"{model}: relative error {rel:.2e}"
    else:
        _check_quantised(got, ref, step, f"{model} vs the reference kernels")
        # XNNPACK (the default interpreter) rounds a few elements otherwise
        apart = _steps(default, ref, step)
        _check_quantised(got, default, step, f"{model} vs the default interpreter",
                         min_equal=min(0.99, float(np.mean(apart < 0.5)) - 0.01),
                         max_steps=max(1.0, float(np.max(apart)) + 1.0))  # fmt: skip
    if model.startswith("cnn"):
        out = meta["outputs"][0]
        real = got.astype(np.float32)
        if out["dtype"] == "int8":
            real = (real - out["zero_point"][0]) * out["scale"][0]
        want = np.load(TFLITE / f"{model}.tf.npy")
        agree = float(np.mean(np.argmax(real, -1) == np.argmax(want, -1)))
        assert agree >= 0.75, f"{model}: Keras's class on {agree:.0%} of {len(want)} samples"
    assert int((SYSFS / "models" / name / "errors").read_text()) == 0
    kinfer("unload", name)
    assert not (BPFFS / name).exists()

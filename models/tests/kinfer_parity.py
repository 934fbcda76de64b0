"""Test helpers: run an exported model in ONNX Runtime and in kinfer's
userspace reference executor, and compare with JAX.

Imported as ``kinfer_parity`` (pytest puts this directory on sys.path).
The reference executor is the loader's ``kinfer run --reference``: the
compiled plan, checked and computed by the same C code as the kernel
module. ``KINFER_BIN`` names the binary (default: the CMake build tree's).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort

REPO = Path(__file__).resolve().parents[2]
KINFER_BIN = Path(os.environ.get("KINFER_BIN", REPO / "build/cmake/loader/kinfer"))


def kinfer_bin() -> Path:
    assert KINFER_BIN.exists(), f"{KINFER_BIN} is missing: build the loader first (make loader)"
    return KINFER_BIN


def _as_list(x: Any) -> list[np.ndarray]:
    if isinstance(x, (list, tuple)):
        return [np.asarray(v) for v in x]
    return [np.asarray(x)]


def run_onnx(model: onnx.ModelProto, x: Any, input_name: str | None = None) -> np.ndarray:
    """Run ``model`` on ``x`` (one array or a list, in input order) in ONNX Runtime."""
    outs = run_onnx_all(model, x, [input_name] if input_name else None)
    assert len(outs) == 1
    return outs[0]


def run_onnx_all(
    model: onnx.ModelProto, x: Any, names: Sequence[str] | None = None
) -> list[np.ndarray]:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    names = list(names or [i.name for i in model.graph.input])
    feeds = dict(zip(names, _as_list(x), strict=True))
    return [np.asarray(y) for y in session.run(None, feeds)]


def run_reference(model: onnx.ModelProto, x: Any) -> list[np.ndarray]:
    """Compile ``model`` with the kinfer loader and run it in userspace."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        path.write_bytes(model.SerializeToString())
        inputs = []
        for i, array in enumerate(_as_list(x)):
            inputs.append(str(Path(tmp) / f"in{i}.npy"))
            np.save(inputs[-1], array)
        state = {p.key: p.value for p in model.metadata_props}.get("kinfer.state", "{}")
        n_out = len(model.graph.output) - len(json.loads(state))  # state is not an output
        outputs = [str(Path(tmp) / f"out{i}.npy") for i in range(n_out)]
        proc = subprocess.run(
            [
                str(kinfer_bin()),
                "run",
                "--reference",
                str(path),
                *(arg for p in inputs for arg in ("-i", p)),
                *(arg for p in outputs for arg in ("-o", p)),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, f"kinfer run --reference failed: {proc.stderr}"
        return [np.load(p) for p in outputs]


def assert_close(actual: np.ndarray, expected: Any, rtol: float = 1e-5) -> None:
    """max |err| <= rtol * max|y| + 1e-6, and equal shapes and dtypes."""
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    if expected.dtype != np.float32:
        np.testing.assert_array_equal(actual, expected)
        return
    err = float(np.max(np.abs(actual - expected))) if expected.size else 0.0
    tol = rtol * float(np.max(np.abs(expected))) + 1e-6
    assert err <= tol, f"max abs error {err:.3g} > {tol:.3g}"


def assert_matches_everywhere(model: onnx.ModelProto, x: Any, expected: Any) -> None:
    """ONNX Runtime and the kinfer reference both agree with ``expected``."""
    expected_list = _as_list(expected)
    for got, want in zip(run_onnx_all(model, x), expected_list, strict=True):
        assert_close(got, want)
    for got, want in zip(run_reference(model, x), expected_list, strict=True):
        assert_close(got, want, rtol=1e-4)


def op_types(model: onnx.ModelProto) -> list[str]:
    return [node.op_type for node in model.graph.node]


def initializers(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    return {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}

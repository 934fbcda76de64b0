# SPDX-License-Identifier: GPL-2.0
"""`--quantize int8 --calibrate DIR` on `kinfer run --reference` and
`kinfer inspect`: an MLP and a small BERT-like encoder quantised with
calibration samples, compared with ONNX Runtime's float outputs; the MLP
within a worst-case bound derived from the quantisation steps, the encoder
by cosine and relative error; the printed report against the outputs it
describes; and the usage and input errors.

The binary is $KINFER_BIN, default build/cmake/loader/kinfer.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]
KINFER = os.environ.get("KINFER_BIN", str(ROOT / "build/cmake/loader/kinfer"))
EXIT_USAGE, EXIT_INVALID = 2, 3


def kinfer(*args: object, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([KINFER, *map(str, args)], capture_output=True, text=True, timeout=300)
    if check is not None:
        assert r.returncode == check, (
            f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")
    return r


def save(tmp_path: Path, graph: onnx.GraphProto, opset: int = 17) -> Path:
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    p = tmp_path / f"{graph.name}.onnx"
    onnx.save(m, str(p))
    return p


def mlp(din: int = 24, hidden: int = 48, dout: int = 10,
        batch: int = 4) -> tuple[onnx.GraphProto, dict]:
    g = np.random.default_rng(1)
    w = {"w1": g.standard_normal((din, hidden)).astype(np.float32) * 0.3,
         "b1": g.standard_normal(hidden).astype(np.float32) * 0.1,
         "w2": g.standard_normal((hidden, dout)).astype(np.float32) * 0.3,
         "b2": g.standard_normal(dout).astype(np.float32) * 0.1}
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h0"], name="d0"),
             helper.make_node("Add", ["h0", "b1"], ["h1"], name="d0_bias"),
             helper.make_node("Relu", ["h1"], ["h"], name="relu"),
             helper.make_node("MatMul", ["h", "w2"], ["y0"], name="d1"),
             helper.make_node("Add", ["y0", "b2"], ["y"], name="d1_bias")]
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, din])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, dout])],
        [numpy_helper.from_array(v, k) for k, v in w.items()])
    return graph, w


def dense(name: str, x: str, g: np.random.Generator, k: int, n: int, inits: list) -> list:
    w = (g.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
    inits += [numpy_helper.from_array(w, f"{name}/w"),
              numpy_helper.from_array((g.standard_normal(n) * 0.1).astype(np.float32), f"{name}/b")]
    return [helper.make_node("MatMul", [x, f"{name}/w"], [f"{name}_mm"], name=f"{name}/MatMul"),
            helper.make_node("Add", [f"{name}_mm", f"{name}/b"], [name], name=f"{name}/Add")]


def layer_norm(name: str, x: str, d: int, inits: list) -> list:
    inits += [numpy_helper.from_array(np.ones(d, np.float32), f"{name}/scale"),
              numpy_helper.from_array(np.zeros(d, np.float32), f"{name}/bias")]
    return [helper.make_node("LayerNormalization", [x, f"{name}/scale", f"{name}/bias"], [name],
                             name=name, axis=-1, epsilon=1e-5)]


def encoder(seq: int = 8, d: int = 32, heads: int = 2, ff: int = 64) -> onnx.GraphProto:
    """One BERT layer: Q/K/V from one input, softmax attention, output
    projection, residual + LayerNorm, GELU (erf) feed-forward, residual + LayerNorm."""
    g = np.random.default_rng(2)
    head_shape = np.array([1, seq, heads, d // heads], np.int64)
    inits: list = [numpy_helper.from_array(head_shape, "heads_shape"),
                   numpy_helper.from_array(np.array([1, seq, d], np.int64), "model_shape"),
                   numpy_helper.from_array(np.float32(1 / np.sqrt(d // heads)), "inv_sqrt"),
                   numpy_helper.from_array(np.array(np.sqrt(2), np.float32), "sqrt2"),
                   numpy_helper.from_array(np.array(0.5, np.float32), "half"),
                   numpy_helper.from_array(np.array(1.0, np.float32), "one")]
    n: list = []
    for p in ("q", "k", "v"):
        n += dense(p, "x", g, d, d, inits)
        n += [helper.make_node("Reshape", [p, "heads_shape"], [f"{p}_h"], name=f"{p}/split"),
              helper.make_node("Transpose", [f"{p}_h"], [f"{p}_t"], name=f"{p}/perm",
                               perm=[0, 2, 3, 1] if p == "k" else [0, 2, 1, 3])]
    n += [helper.make_node("MatMul", ["q_t", "k_t"], ["s0"], name="scores"),
          helper.make_node("Mul", ["s0", "inv_sqrt"], ["s1"], name="scale"),
          helper.make_node("Softmax", ["s1"], ["p"], name="softmax", axis=-1),
          helper.make_node("MatMul", ["p", "v_t"], ["c0"], name="context"),
          helper.make_node("Transpose", ["c0"], ["c1"], name="merge_perm", perm=[0, 2, 1, 3]),
          helper.make_node("Reshape", ["c1", "model_shape"], ["ctx"], name="merge")]
    n += dense("o", "ctx", g, d, d, inits)
    n += [helper.make_node("Add", ["o", "x"], ["r1"], name="residual1")]
    n += layer_norm("ln1", "r1", d, inits)
    n += dense("f1", "ln1", g, d, ff, inits)
    n += [helper.make_node("Div", ["f1", "sqrt2"], ["g0"], name="gelu/div"),
          helper.make_node("Erf", ["g0"], ["g1"], name="gelu/erf"),
          helper.make_node("Add", ["g1", "one"], ["g2"], name="gelu/add"),
          helper.make_node("Mul", ["f1", "g2"], ["g3"], name="gelu/mul"),
          helper.make_node("Mul", ["g3", "half"], ["gelu"], name="gelu/half")]
    n += dense("f2", "gelu", g, ff, d, inits)
    n += [helper.make_node("Add", ["f2", "ln1"], ["r2"], name="residual2")]
    n += layer_norm("y", "r2", d, inits)
    return helper.make_graph(
        n, "encoder", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, seq, d])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, seq, d])], inits)


def write_samples(root: Path, xs: list[np.ndarray], name: str = "x") -> Path:
    for i, x in enumerate(xs):
        (root / f"s{i:02d}").mkdir(parents=True)
        np.save(root / f"s{i:02d}" / f"{name}.npy", x)
    return root


def ort_run(path: Path, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x})[0]


def run_reference(path: Path, x: np.ndarray, tmp_path: Path,
                  *quant: object) -> tuple[np.ndarray, str]:
    np.save(tmp_path / "in.npy", x)
    r = kinfer("run", "--reference", path, "-i", tmp_path / "in.npy",
               "-o", tmp_path / "out.npy", *quant)
    return np.load(tmp_path / "out.npy"), r.stderr


def report_numbers(text: str) -> dict[str, float]:
    m = re.search(r"quantize int8: (\d+) MatMuls, (\d+) QUANTIZE; (\d+) samples: "
                  r"cosine min ([\d.]+) "
                  r"mean ([\d.]+), max \|diff\| ([\d.e+-]+)", text)
    assert m, text
    keys = ("matmuls", "quantizes", "samples", "cos_min", "cos_mean", "max_diff")
    return dict(zip(keys, map(float, m.groups())))


ALPHA = 0.8  # SmoothQuant's migration strength (loader/src/quantize.cc)


def dense_bound(a: np.ndarray, e_in: np.ndarray, w: np.ndarray, amax: np.ndarray) -> np.ndarray:
    """Worst-case |int8 - float| of a @ w per output, a known to within e_in,
    amax the calibrated max |a[:, k]|: a / s is quantised to steps of
    x_scale (error <= half a step, no clipping inside the calibrated
    range), s w per column to steps of max_k |s_k w[k, n]| / 127."""
    wmax = np.abs(w).max(axis=1)
    s = np.where((amax > 0) & (wmax > 0),
                 np.clip(amax ** ALPHA / np.maximum(wmax, 1e-30) ** (1 - ALPHA), 1e-4, 1e4), 1.0)
    x_scale = (amax / s).max() / 127
    w_step = np.abs(s[:, None] * w).max(axis=0) / 127
    ea = e_in + s * x_scale / 2                   # error of a, per channel
    ew = w_step[None, :] / (2 * s[:, None])       # error of w[k, n]
    return ea @ np.abs(w) + np.abs(a) @ ew + ea @ ew


def test_mlp_int8_within_the_quantisation_bound_of_ort(tmp_path: Path) -> None:
    graph, w = mlp()
    path = save(tmp_path, graph)
    g = np.random.default_rng(7)
    xs = [g.standard_normal((4, 24)).astype(np.float32) for _ in range(6)]
    calib = write_samples(tmp_path / "calib", xs)
    x = xs[2] * 0.8                     # inside the calibrated range, not a sample
    got, err = run_reference(path, x, tmp_path, "--quantize", "int8", "--calibrate", calib)
    rep = report_numbers(err)
    assert (rep["matmuls"], rep["quantizes"], rep["samples"]) == (2, 2, 6)
    want = ort_run(path, x).astype(np.float64)

    # The bound, layer by layer, from the calibration's ranges (float64).
    w1, b1, w2 = (w[k].astype(np.float64) for k in ("w1", "b1", "w2"))
    hs = [np.maximum(s.astype(np.float64) @ w1 + b1, 0) for s in xs]
    amax1 = np.max([np.abs(s).max(axis=0) for s in xs], axis=0)
    amax2 = np.max([h.max(axis=0) for h in hs], axis=0)
    x64 = x.astype(np.float64)
    e1 = dense_bound(x64, np.zeros(24), w1, amax1)
    h = np.maximum(x64 @ w1 + b1, 0)
    assert np.all(h <= amax2 + 1e-6)                # no clipping: the bound holds
    e2 = dense_bound(h, e1, w2, amax2)
    tol = e2 + 1e-5 * np.abs(want).max()
    diff = np.abs(got - want)
    assert np.all(diff <= tol), f"max excess {np.max(diff - tol)}"
    # and int8 really ran: not the float result
    float_out, _ = run_reference(path, x, tmp_path)
    assert np.abs(got - float_out).max() > 1e-4


def test_encoder_int8_against_ort_and_its_report(tmp_path: Path) -> None:
    path = save(tmp_path, encoder())
    g = np.random.default_rng(3)
    xs = [g.standard_normal((1, 8, 32)).astype(np.float32) for _ in range(8)]
    calib = write_samples(tmp_path / "calib", xs)
    quant = ("--quantize", "int8", "--calibrate", calib)

    r = kinfer("inspect", path, "--json", *quant)
    m = json.loads(r.stdout)
    q = m["quantize"]
    # Q, K, V, output, two feed-forward: 6 MatMuls; Q/K/V share one QUANTIZE.
    assert (q["matmuls"], q["quantizes"], q["samples"]) == (6, 4, 8)
    ops = [n["op"] for n in m["nodes"]]
    assert ops.count("MATMUL_I8") == 6 and ops.count("QUANTIZE") == 4
    assert ops.count("MUL") == 1 + 4                # attention's scale, 4 smoothings
    assert ops.count("MATMUL") == 2                 # attention stays float
    int8_tensors = [t for n in m["nodes"] if n["op"] == "QUANTIZE" for t in n["out"]]
    assert all(t["dtype"] == "int8" and t["bytes"] == 8 * 32 for t in int8_tensors[:1])

    # Every sample: kinfer int8 against ORT float, and the report's cosines.
    cosines, diffs = [], []
    for i, x in enumerate(xs + [g.standard_normal((1, 8, 32)).astype(np.float32)]):
        got, err = run_reference(path, x, tmp_path, *quant)
        want = ort_run(path, x).astype(np.float64)
        cos = float(np.dot(got.ravel(), want.ravel()) / np.linalg.norm(got) / np.linalg.norm(want))
        # LayerNorm keeps y's elements near unit scale; rounding errors of
        # ~K terms of random sign add up to a few steps.  The last input is
        # not a sample: its activations may pass the calibrated ranges and
        # saturate, so it gets the cosine target only.
        held_out = i == len(xs)
        assert cos >= (0.99 if held_out else 0.995), (i, cos)
        assert np.abs(got - want).max() <= (0.3 if held_out else 0.15), i
        if i < len(xs):
            f, _ = run_reference(path, x, tmp_path)
            cosines.append(float(np.dot(got.ravel(), f.ravel())
                                 / np.linalg.norm(got) / np.linalg.norm(f)))
            diffs.append(float(np.abs(got - f).max()))
    rep = report_numbers(err)
    assert rep["cos_min"] == pytest.approx(min(cosines), abs=1e-4)
    assert rep["cos_mean"] == pytest.approx(np.mean(cosines), abs=1e-4)
    assert rep["max_diff"] == pytest.approx(max(diffs), rel=1e-3)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--quantize", "int8"], EXIT_USAGE, "--quantize int8 needs --calibrate DIR"),
        (["--quantize", "fp16", "--calibrate", "{calib}"], EXIT_USAGE,
         "--quantize fp16: the only mode is int8"),
        (["--calibrate", "{calib}"], EXIT_USAGE, "--calibrate needs --quantize int8"),
        (["--quantize", "int8", "--calibrate", "{tmp}/nope"], EXIT_INVALID,
         "/nope: no such directory"),
        (["--quantize", "int8", "--calibrate", "{empty}"], EXIT_INVALID, "no samples"),
        (["--quantize", "int8", "--calibrate", "{missing}"], EXIT_INVALID,
         "s01: no x.npy for input 'x'"),
        (["--quantize", "int8", "--calibrate", "{extra}"], EXIT_INVALID,
         "x2.npy: not an input of the model"),
        (["--quantize", "int8", "--calibrate", "{wrong}"], EXIT_INVALID,
         "x.npy: int32[4,24] does not match input 'x' float32[4,24]"),
    ],
)
def test_errors(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    path = save(tmp_path, mlp()[0])
    calib = write_samples(tmp_path / "calib", [np.ones((4, 24), np.float32)])
    (tmp_path / "empty").mkdir()
    write_samples(tmp_path / "missing", [np.ones((4, 24), np.float32)])
    (tmp_path / "missing" / "s01").mkdir()
    write_samples(tmp_path / "extra", [np.ones((4, 24), np.float32)])
    np.save(tmp_path / "extra" / "s00" / "x2.npy", np.ones((4, 24), np.float32))
    write_samples(tmp_path / "wrong", [np.ones((4, 24), np.int32)])
    np.save(tmp_path / "in.npy", np.ones((4, 24), np.float32))
    fmt = {"calib": calib, "tmp": tmp_path, "empty": tmp_path / "empty",
           "missing": tmp_path / "missing", "wrong": tmp_path / "wrong",
           "extra": tmp_path / "extra"}
    argv = [a.format(**fmt) for a in args]
    for cmd in (["run", "--reference", path, "-i", tmp_path / "in.npy"], ["inspect", path]):
        r = kinfer(*cmd, *argv, check=code)
        assert message in r.stderr, r.stderr


def test_a_loaded_model_is_quantised_at_load_not_run(tmp_path: Path) -> None:
    np.save(tmp_path / "in.npy", np.ones((4, 24), np.float32))
    r = kinfer("run", "somemodel", "-i", tmp_path / "in.npy", "--quantize", "int8", "--calibrate",
               tmp_path, check=EXIT_USAGE)
    assert "apply to --reference runs" in r.stderr


@pytest.mark.kernel
def test_kernel_runs_the_int8_plan_as_the_reference_does(tmp_path: Path) -> None:
    """`kinfer load --quantize` in kinfer.ko gives the bits `run --reference
    --quantize` gives (MATMUL_I8 is exact in integers and rounds the same
    way on every instruction set), near ONNX Runtime's float output."""
    path = save(tmp_path, encoder())
    g = np.random.default_rng(5)
    xs = [g.standard_normal((1, 8, 32)).astype(np.float32) for _ in range(4)]
    quant = ("--quantize", "int8", "--calibrate", write_samples(tmp_path / "calib", xs))
    r = kinfer("load", path, "--name", "t_int8", *quant)
    try:
        assert "quantize int8: 6 MatMuls, 4 QUANTIZE; 4 samples" in r.stdout
        np.save(tmp_path / "in.npy", xs[1])
        kinfer("run", "t_int8", "-i", tmp_path / "in.npy", "-o", tmp_path / "k.npy")
        ref, _ = run_reference(path, xs[1], tmp_path, *quant)
        got = np.load(tmp_path / "k.npy")
        np.testing.assert_array_equal(got, ref)
        want = ort_run(path, xs[1]).astype(np.float64)
        assert float(np.dot(got.ravel(), want.ravel())
                     / np.linalg.norm(got) / np.linalg.norm(want)) >= 0.995
    finally:
        kinfer("unload", "t_int8", check=None)

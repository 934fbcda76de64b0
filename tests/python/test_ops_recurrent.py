# SPDX-License-Identifier: GPL-2.0
"""LSTM, GRU and RNN: `kinfer run --reference` (the kernel's own code in
userspace) against ONNX Runtime on random inputs, over directions,
optional inputs, attributes and opsets, and a 2-layer bidirectional LSTM.

ONNX Runtime refuses layout 1, so batch-first models are compared with
ONNX Runtime running the same weights on transposed tensors.

The binary is $KINFER_BIN, default build/cmake/loader/kinfer.
"""
import os
import subprocess
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]
KINFER = os.environ.get("KINFER_BIN", str(ROOT / "build/cmake/loader/kinfer"))

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


@pytest.fixture(scope="session", autouse=True)
def binary_exists():
    if not os.access(KINFER, os.X_OK):
        pytest.fail(f"{KINFER} is not built (cmake --build build/cmake)")


def kinfer(*args, check=0):
    r = subprocess.run([KINFER, *map(str, args)], capture_output=True, text=True, timeout=120)
    assert r.returncode == check, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r


def make_model(nodes, inputs, outputs, inits, opset):
    graph = helper.make_graph(nodes, "rnn", inputs, outputs,
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def run_kinfer(tmp_path, model, feeds, n_out):
    p = tmp_path / "model.onnx"
    onnx.save(model, str(p))
    args = ["run", "--reference", p]
    for name, v in feeds.items():
        np.save(tmp_path / f"in_{name}.npy", v)
        args += ["-i", tmp_path / f"in_{name}.npy"]
    for i in range(n_out):
        args += ["-o", tmp_path / f"out{i}.npy"]
    kinfer(*args)
    return [np.load(tmp_path / f"out{i}.npy") for i in range(n_out)]


def run_ort(model, feeds):
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def assert_close(got, want, rel=1e-4):
    assert got.shape == want.shape and got.dtype == np.float32
    tol = rel * max(float(np.max(np.abs(want))), 1e-3)
    err = float(np.max(np.abs(got - want)))
    assert err <= tol, f"max abs err {err} > {tol}"


class Case:
    """One recurrent node with random weights: which inputs exist, which are
    graph inputs (runtime) rather than initializers, and its attributes."""

    def __init__(self, op, seq=5, batch=3, inp=4, hidden=6, direction="forward",
                 bias=True, seq_lens=None, initial=False, peep=False, runtime=(),
                 outputs=("Y", "Y_h", "Y_c"), opset=17, seed=0, **attrs):
        g = np.random.default_rng(seed)
        self.op, self.opset, self.attrs = op, opset, dict(attrs)
        self.dims = (seq, batch, inp, hidden)
        d = 2 if direction == "bidirectional" else 1
        if direction != "forward":
            self.attrs["direction"] = direction
        self.attrs["hidden_size"] = hidden
        G = GATES[op]
        v = {
            "X": g.standard_normal((seq, batch, inp)),
            "W": g.standard_normal((d, G * hidden, inp)) * 0.5,
            "R": g.standard_normal((d, G * hidden, hidden)) * 0.5,
        }
        if bias:
            v["B"] = g.standard_normal((d, 2 * G * hidden)) * 0.5
        if seq_lens is not None:
            v["sequence_lens"] = np.array(seq_lens, dtype=np.int32)
        if initial:
            v["initial_h"] = g.standard_normal((d, batch, hidden))
            if op == "LSTM":
                v["initial_c"] = g.standard_normal((d, batch, hidden))
        if peep:
            v["P"] = g.standard_normal((d, 3 * hidden)) * 0.5
        self.values = {k: (x if x.dtype == np.int32 else x.astype(np.float32))
                       for k, x in v.items()}
        order = ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"]
        self.inputs = [n if n in self.values else "" for n in order]
        while not self.inputs[-1]:
            self.inputs.pop()
        self.runtime = ("X",) + tuple(runtime)
        n_out = 3 if op == "LSTM" else 2
        self.outputs = [o if o in outputs else "" for o in ("Y", "Y_h", "Y_c")[:n_out]]

    def model(self, layout=0):
        vals = dict(self.values)
        if layout:
            self.attrs["layout"] = 1
            vals = self.batch_first(vals)
        shapes = self.shapes(vals, layout)
        node = helper.make_node(self.op, self.inputs, self.outputs, name="rec", **self.attrs)
        ins = [helper.make_tensor_value_info(
            n, TensorProto.INT32 if n == "sequence_lens" else TensorProto.FLOAT, vals[n].shape)
            for n in self.runtime]
        outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, shapes[o])
                for o in self.outputs if o]
        inits = {k: x for k, x in vals.items() if k not in self.runtime}
        return make_model([node], ins, outs, inits, self.opset), {n: vals[n] for n in self.runtime}

    def shapes(self, vals, layout):
        seq, batch, _, hidden = self.dims
        d = vals["W"].shape[0]
        if layout:
            return {"Y": [batch, seq, d, hidden], "Y_h": [batch, d, hidden],
                    "Y_c": [batch, d, hidden]}
        return {"Y": [seq, d, batch, hidden], "Y_h": [d, batch, hidden], "Y_c": [d, batch, hidden]}

    @staticmethod
    def batch_first(vals):
        out = dict(vals)
        out["X"] = np.ascontiguousarray(vals["X"].transpose(1, 0, 2))
        for k in ("initial_h", "initial_c"):
            if k in vals:
                out[k] = np.ascontiguousarray(vals[k].transpose(1, 0, 2))
        return out


def check_case(tmp_path, case):
    model, feeds = case.model()
    n_out = sum(1 for o in case.outputs if o)
    got = run_kinfer(tmp_path, model, feeds, n_out)
    want = run_ort(model, feeds)
    for g, w in zip(got, want):
        assert_close(g, w)
    return got, want


LSTM_CASES = {
    "defaults": dict(bias=False, outputs=("Y_h",)),
    "reverse_initial": dict(direction="reverse", initial=True),
    "bidirectional_peepholes": dict(direction="bidirectional", peep=True, initial=True),
    "seq_lens_varying": dict(direction="bidirectional", seq_lens=[5, 2, 3], initial=True),
    "seq_lens_zero": dict(direction="bidirectional", seq_lens=[0, 5, 1]),
    "seq_lens_runtime": dict(direction="bidirectional", seq_lens=[4, 1, 5],
                             runtime=("sequence_lens",)),
    "weights_runtime": dict(runtime=("W", "R", "B", "initial_h", "initial_c"), initial=True),
    "clip": dict(clip=0.7, direction="bidirectional"),
    "input_forget": dict(input_forget=1, peep=True),
    "activations": dict(activations=["Tanh", "Relu", "Sigmoid"], initial=True),
    "activations_bidirectional": dict(direction="bidirectional",
                                      activations=["Sigmoid", "Tanh", "Tanh",
                                                   "sigmoid", "relu", "tanh"]),
    "opset7": dict(opset=7, direction="reverse", peep=True),
    "opset22": dict(opset=22, direction="bidirectional"),
    "only_y_c": dict(outputs=("Y_c",)),
    "wide": dict(seq=3, batch=2, inp=40, hidden=70, direction="bidirectional"),
}


@pytest.mark.parametrize("name", LSTM_CASES)
def test_lstm(tmp_path, name):
    check_case(tmp_path, Case("LSTM", seed=len(name), **LSTM_CASES[name]))


GRU_CASES = {
    "defaults": dict(bias=False, outputs=("Y_h",)),
    "reverse": dict(direction="reverse", initial=True),
    "bidirectional": dict(direction="bidirectional", initial=True),
    "linear_before_reset": dict(linear_before_reset=1, direction="bidirectional", initial=True),
    "seq_lens_varying": dict(direction="bidirectional", seq_lens=[3, 5, 0]),
    "seq_lens_runtime_lbr": dict(seq_lens=[2, 4, 5], runtime=("sequence_lens",),
                                 linear_before_reset=1, direction="reverse"),
    "clip": dict(clip=0.5, linear_before_reset=1),
    "activations": dict(activations=["Sigmoid", "Relu"]),
    "opset7": dict(opset=7, direction="bidirectional"),
    "opset22": dict(opset=22),
    "wide": dict(seq=3, batch=2, inp=50, hidden=64),
}


@pytest.mark.parametrize("name", GRU_CASES)
def test_gru(tmp_path, name):
    check_case(tmp_path, Case("GRU", seed=100 + len(name), **GRU_CASES[name]))


RNN_CASES = {
    "defaults": dict(bias=False, outputs=("Y_h",)),
    "bidirectional": dict(direction="bidirectional", initial=True),
    "reverse_seq_lens": dict(direction="reverse", seq_lens=[1, 5, 3]),
    "relu": dict(activations=["Relu"], clip=2.0),
    "opset7": dict(opset=7, direction="bidirectional", activations=["Sigmoid", "Tanh"]),
}


@pytest.mark.parametrize("name", RNN_CASES)
def test_rnn(tmp_path, name):
    check_case(tmp_path, Case("RNN", seed=200 + len(name), **RNN_CASES[name]))


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_layout_batch_first(tmp_path, op):
    """layout 1 against ONNX Runtime's layout 0 on the same data."""
    case = Case(op, direction="bidirectional", initial=True, seq_lens=[5, 3, 1], opset=17,
                seed=300)
    want = run_ort(*case.model())
    model, feeds = case.model(layout=1)
    got = run_kinfer(tmp_path, model, feeds, len(want))
    perm = {0: (2, 0, 1, 3), 1: (1, 0, 2), 2: (1, 0, 2)}
    for i, (g, w) in enumerate(zip(got, want)):
        assert_close(g, np.ascontiguousarray(w.transpose(perm[i])))


def test_parameterised_activations(tmp_path):
    """Activations with activation_alpha/beta, when kinfer has those ops."""
    ops = kinfer("ops").stdout
    if "LeakyRelu" not in ops or "HardSigmoid" not in ops:
        pytest.skip("kinfer has no LeakyRelu or HardSigmoid kernel op")
    case = Case("LSTM", direction="bidirectional", seed=400,
                activations=["HardSigmoid", "LeakyRelu", "Tanh", "Sigmoid", "Tanh", "LeakyRelu"],
                activation_alpha=[0.3, 0.05, 0.2], activation_beta=[0.4])
    check_case(tmp_path, case)


def test_bad_sequence_length_at_runtime(tmp_path):
    case = Case("GRU", seq_lens=[1, 2, 3], runtime=("sequence_lens",), seed=5)
    model, feeds = case.model()
    feeds["sequence_lens"] = np.array([1, 6, 3], dtype=np.int32)
    p = tmp_path / "m.onnx"
    onnx.save(model, str(p))
    args = ["run", "--reference", p]
    for name, v in feeds.items():
        np.save(tmp_path / f"{name}.npy", v)
        args += ["-i", tmp_path / f"{name}.npy"]
    r = subprocess.run([KINFER, *map(str, args)], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "ERANGE" in r.stderr and "GRU" in r.stderr


def lstm2_model(seq=7, batch=2, inp=16, hidden=32, seed=11):
    """Two bidirectional LSTM layers as exporters write them: the first
    layer's Y [T, 2, B, H] becomes [T, B, 2H] by Transpose and Reshape."""
    g = np.random.default_rng(seed)
    s = 1.0 / np.sqrt(hidden)

    def w(*shape):
        return (g.uniform(-s, s, shape)).astype(np.float32)

    inits = {
        "W0": w(2, 4 * hidden, inp), "R0": w(2, 4 * hidden, hidden), "B0": w(2, 8 * hidden),
        "W1": w(2, 4 * hidden, 2 * hidden), "R1": w(2, 4 * hidden, hidden),
        "B1": w(2, 8 * hidden),
        "shape": np.array([seq, batch, 2 * hidden], dtype=np.int64),
    }
    nodes = [
        helper.make_node("LSTM", ["x", "W0", "R0", "B0"], ["y0", "h0", "c0"], name="lstm0",
                         direction="bidirectional", hidden_size=hidden),
        helper.make_node("Transpose", ["y0"], ["y0t"], name="t0", perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["y0t", "shape"], ["x1"], name="r0"),
        helper.make_node("LSTM", ["x1", "W1", "R1", "B1"], ["y", "h", "c"], name="lstm1",
                         direction="bidirectional", hidden_size=hidden),
    ]
    f = TensorProto.FLOAT
    return make_model(
        nodes, [helper.make_tensor_value_info("x", f, [seq, batch, inp])],
        [helper.make_tensor_value_info("y", f, [seq, 2, batch, hidden]),
         helper.make_tensor_value_info("h", f, [2, batch, hidden]),
         helper.make_tensor_value_info("c", f, [2, batch, hidden])],
        inits, 17)


def test_two_layer_bidirectional_lstm(tmp_path):
    model = lstm2_model()
    x = np.random.default_rng(12).standard_normal((7, 2, 16)).astype(np.float32)
    got = run_kinfer(tmp_path, model, {"x": x}, 3)
    want = run_ort(model, {"x": x})
    for name, g, w in zip(("Y", "Y_h", "Y_c"), got, want):
        rel = float(np.max(np.abs(g - w)) / np.max(np.abs(w)))
        print(f"2-layer LSTM {name}: max abs err {np.max(np.abs(g - w)):.3g}, "
              f"relative to max |ref| {rel:.3g}")
        assert_close(g, w, rel=1e-4)

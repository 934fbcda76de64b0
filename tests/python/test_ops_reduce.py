# SPDX-License-Identifier: GPL-2.0
"""Reductions and normalisation: `kinfer run --reference` (the kernel's own
code in userspace) against ONNX Runtime on random inputs, for the Reduce*
operators, ArgMax/ArgMin, LogSoftmax, GlobalAveragePool/GlobalMaxPool,
LayerNormalization (with its Mean and InvStdDev outputs),
BatchNormalization, InstanceNormalization, GroupNormalization,
LpNormalization, MeanVarianceNormalization and RMSNormalization, over
axes, attributes, opsets and dtypes.

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

NP_TO_ONNX = {np.float32: TensorProto.FLOAT, np.int32: TensorProto.INT32,
              np.int64: TensorProto.INT64, np.bool_: TensorProto.BOOL}


@pytest.fixture(scope="session", autouse=True)
def binary_exists():
    if not os.access(KINFER, os.X_OK):
        pytest.fail(f"{KINFER} is not built (cmake --build build/cmake)")


def kinfer(*args, check=0):
    r = subprocess.run([KINFER, *map(str, args)], capture_output=True, text=True, timeout=120)
    assert r.returncode == check, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r


def rand(shape, dtype=np.float32, seed=0, lo=None):
    g = np.random.default_rng(seed)
    if dtype == np.float32:
        x = g.standard_normal(shape).astype(np.float32)
        return np.abs(x) + lo if lo is not None else x
    if dtype == np.bool_:
        return g.integers(0, 2, shape).astype(np.bool_)
    return g.integers(-50, 50, shape).astype(dtype)


def model(node, feeds, n_out=1, inits=None, opset=18):
    """One node; feeds {name: array}; output types and shapes from ONNX's
    shape inference, or (where it gives none) those of the first input."""
    graph = helper.make_graph(
        [node], "reduce",
        [helper.make_tensor_value_info(k, NP_TO_ONNX[v.dtype.type], list(v.shape))
         for k, v in feeds.items()],
        [],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    inferred = onnx.shape_inference.infer_shapes(m)
    types = {v.name: v for v in inferred.graph.value_info}
    first = m.graph.input[0]
    for o in node.output[:n_out]:
        m.graph.output.append(types.get(o, helper.make_value_info(o, first.type)))
    return m


def compare(tmp_path, m, feeds, rtol=1e-5, atol=1e-5):
    """kinfer and ONNX Runtime agree in dtype, shape and value."""
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    want = sess.run(None, feeds)
    p = tmp_path / "model.onnx"
    onnx.save(m, str(p))
    args = ["run", "--reference", p]
    for name, v in feeds.items():
        np.save(tmp_path / f"in_{name}.npy", v)
        args += ["-i", tmp_path / f"in_{name}.npy"]
    for i in range(len(want)):
        args += ["-o", tmp_path / f"out{i}.npy"]
    kinfer(*args)
    for i, w in enumerate(want):
        got = np.load(tmp_path / f"out{i}.npy")
        assert got.dtype == w.dtype and got.shape == w.shape, (got.dtype, got.shape, w.dtype, w.shape)
        if w.dtype == np.float32:
            np.testing.assert_allclose(got, w, rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(got, w)


REDUCE = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
          "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"]


def axes_input_opset(op):
    return 13 if op == "ReduceSum" else 18


@pytest.mark.parametrize("op", REDUCE)
@pytest.mark.parametrize("axes,keepdims", [(None, 1), ([1], 0), ([0, 2], 1), ([-1, 1], 0),
                                           ([3, 0], 1), ([0, 1, 2, 3], 0)])
@pytest.mark.parametrize("form", ["attribute", "input"])
def test_reduce(tmp_path, op, axes, keepdims, form):
    positive = op in ("ReduceLogSum", "ReduceProd")
    x = rand((2, 3, 4, 5), seed=1, lo=0.5 if positive else None)
    if op == "ReduceProd":
        x = (x / 1.5).astype(np.float32)
    opset = axes_input_opset(op) if form == "input" else 11
    inits = {}
    attrs = {"keepdims": keepdims}
    ins = ["x"]
    if axes is not None:
        if form == "input":
            inits["axes"] = np.array(axes, dtype=np.int64)
            ins.append("axes")
        else:
            attrs["axes"] = axes
    node = helper.make_node(op, ins, ["y"], **attrs)
    compare(tmp_path, model(node, {"x": x}, inits=inits, opset=opset), {"x": x}, rtol=1e-5)


@pytest.mark.parametrize("op", ["ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
                                "ReduceSumSquare"])
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_reduce_integers(tmp_path, op, dtype):
    x = rand((3, 4, 2), dtype, seed=2)
    if op == "ReduceProd":
        x = (x % 5 + 1).astype(dtype)
    inits = {"axes": np.array([0, 2], dtype=np.int64)}
    node = helper.make_node(op, ["x", "axes"], ["y"], keepdims=0)
    compare(tmp_path, model(node, {"x": x}, inits=inits, opset=18), {"x": x})


def test_reduce_noop_with_empty_axes(tmp_path):
    x = rand((2, 3), seed=3)
    node = helper.make_node("ReduceSumSquare", ["x"], ["y"], noop_with_empty_axes=1)
    compare(tmp_path, model(node, {"x": x}, opset=18), {"x": x})


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("axis,keepdims,last", [(0, 1, 0), (1, 0, 0), (-1, 1, 1), (2, 0, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
def test_arg(tmp_path, op, axis, keepdims, last, dtype):
    x = rand((3, 4, 5), dtype, seed=4)
    if dtype != np.float32:
        x = (x % 3).astype(dtype)   # plenty of ties
    node = helper.make_node(op, ["x"], ["y"], axis=axis, keepdims=keepdims, select_last_index=last)
    compare(tmp_path, model(node, {"x": x}, opset=13), {"x": x})


@pytest.mark.parametrize("axis,opset", [(-1, 13), (0, 13), (1, 13), (1, 11), (2, 11)])
def test_log_softmax(tmp_path, axis, opset):
    x = rand((2, 3, 4), seed=5) * 20
    node = helper.make_node("LogSoftmax", ["x"], ["y"], axis=axis)
    compare(tmp_path, model(node, {"x": x}, opset=opset), {"x": x}, atol=1e-4)


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("shape", [(2, 3, 5), (1, 4, 3, 3), (2, 2, 2, 3, 2)])
def test_global_pool(tmp_path, op, shape):
    x = rand(shape, seed=6)
    compare(tmp_path, model(helper.make_node(op, ["x"], ["y"]), {"x": x}, opset=22), {"x": x})


@pytest.mark.parametrize("axis", [-1, 1, 0])
@pytest.mark.parametrize("outputs", [1, 3])
@pytest.mark.parametrize("bias", [True, False])
def test_layer_norm(tmp_path, axis, outputs, bias):
    x = rand((2, 3, 4), seed=7) * 3 + 1
    norm_shape = x.shape[axis:] if axis >= 0 else x.shape[axis:]
    feeds = {"x": x, "w": rand(norm_shape, seed=8)}
    ins = ["x", "w"]
    if bias:
        feeds["b"] = rand(norm_shape[-1:], seed=9)  # broadcast onto the normalised shape
        ins.append("b")
    node = helper.make_node("LayerNormalization", ins, ["y", "mean", "inv"][:outputs], axis=axis,
                            epsilon=1e-3)
    compare(tmp_path, model(node, feeds, n_out=outputs, opset=17), feeds, atol=1e-4)


@pytest.mark.parametrize("constant", [False, True])
@pytest.mark.parametrize("shape,opset", [((2, 3, 4, 5), 15), ((3, 3), 9), ((2, 3, 6), 7)])
def test_batch_norm(tmp_path, constant, shape, opset):
    x = rand(shape, seed=10)
    c = shape[1]
    params = {"s": rand((c,), seed=11), "b": rand((c,), seed=12), "m": rand((c,), seed=13),
              "v": rand((c,), seed=14, lo=0.1)}
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=1e-3)
    if constant:
        compare(tmp_path, model(node, {"x": x}, inits=params, opset=opset), {"x": x})
    else:
        feeds = {"x": x, **params}
        compare(tmp_path, model(node, feeds, opset=opset), feeds)


def test_instance_norm(tmp_path):
    x = rand((2, 3, 4, 5), seed=15) * 2 + 1
    feeds = {"x": x, "s": rand((3,), seed=16), "b": rand((3,), seed=17)}
    node = helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"], epsilon=1e-4)
    compare(tmp_path, model(node, feeds, opset=22), feeds, atol=1e-4)


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_group_norm(tmp_path, groups):
    x = rand((2, 4, 3, 2), seed=18) + 2
    feeds = {"x": x, "s": rand((4,), seed=19), "b": rand((4,), seed=20)}
    node = helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=groups)
    compare(tmp_path, model(node, feeds, opset=21), feeds, atol=1e-4)


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_lp_norm(tmp_path, p, axis):
    x = rand((3, 4, 2), seed=21)
    node = helper.make_node("LpNormalization", ["x"], ["y"], axis=axis, p=p)
    compare(tmp_path, model(node, {"x": x}, opset=22), {"x": x})


@pytest.mark.parametrize("axes", [None, [2, 3], [1]])
def test_mvn(tmp_path, axes):
    x = rand((2, 3, 4, 2), seed=22) * 4
    attrs = {} if axes is None else {"axes": axes}
    node = helper.make_node("MeanVarianceNormalization", ["x"], ["y"], **attrs)
    compare(tmp_path, model(node, {"x": x}, opset=13), {"x": x}, atol=1e-4)


@pytest.mark.parametrize("axis", [-1, 1])
def test_rms_norm(tmp_path, axis):
    x = rand((2, 3, 4), seed=23)
    feeds = {"x": x, "w": rand(x.shape[axis:], seed=24)}
    node = helper.make_node("RMSNormalization", ["x", "w"], ["y"], axis=axis)
    try:
        m = model(node, feeds, opset=23)
        ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    except Exception as e:  # an ONNX Runtime without opset 23
        pytest.skip(f"ONNX Runtime cannot run RMSNormalization: {e}")
    compare(tmp_path, m, feeds, atol=1e-5)


def test_training_batch_norm_is_refused(tmp_path):
    x = rand((2, 3), seed=25)
    params = {k: np.ones(3, np.float32) for k in "sbmv"}
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], training_mode=1)
    m = model(node, {"x": x}, inits=params, opset=15)
    p = tmp_path / "m.onnx"
    onnx.save(m, str(p))
    np.save(tmp_path / "x.npy", x)
    r = kinfer("run", "--reference", p, "-i", tmp_path / "x.npy", check=3)
    assert "training_mode=1 is not supported" in r.stderr


@pytest.mark.parametrize("across", [0, 1])
def test_mvn_opset7(tmp_path, across):
    x = rand((2, 3, 2, 2), seed=26) * 3
    node = helper.make_node("MeanVarianceNormalization", ["x"], ["y"], across_channels=across)
    compare(tmp_path, model(node, {"x": x}, opset=7), {"x": x}, atol=1e-4)


def test_batch_norm_spatial0(tmp_path):
    x = rand((2, 3, 2), seed=27)
    params = {"s": rand((3, 2), seed=28), "b": rand((3, 2), seed=29), "m": rand((3, 2), seed=30),
              "v": rand((3, 2), seed=31, lo=0.1)}
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], spatial=0)
    compare(tmp_path, model(node, {"x": x}, inits=params, opset=7), {"x": x})

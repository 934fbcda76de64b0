# SPDX-License-Identifier: GPL-2.0
"""Convolution and pooling: `kinfer run --reference` (the kernel's own code
in userspace) against ONNX Runtime on random inputs, for Conv, ConvTranspose,
MaxPool (with Indices), AveragePool and LpPool over 1 to 3 spatial axes,
attributes (strides, pads, auto_pad, dilations, groups, ceil_mode,
count_include_pad, output_padding, output_shape) and opsets, plus a small
CNN where the passes fold BatchNormalization into Conv and fuse the
activations.

The binary is $KINFER_BIN, default build/cmake/loader/kinfer.
"""
import json
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


@pytest.fixture(scope="session", autouse=True)
def binary_exists():
    if not os.access(KINFER, os.X_OK):
        pytest.fail(f"{KINFER} is not built (cmake --build build/cmake)")


def kinfer(*args, check=0):
    r = subprocess.run([KINFER, *map(str, args)], capture_output=True, text=True, timeout=120)
    assert r.returncode == check, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r


def rand(shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def model(nodes, feeds, outputs, inits=None, opset=17):
    """feeds: {name: array}; outputs: {name: onnx elem type}, shapes open."""
    graph = helper.make_graph(
        nodes, "conv",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, list(v.shape)) for k, v in feeds.items()],
        [helper.make_tensor_value_info(k, t, None) for k, t in outputs.items()],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    # The checker wants output shapes: those ONNX Runtime computes.  (ONNX's
    # own shape inference keeps a ceil_mode window that would start in the
    # end padding, which ONNX Runtime and the ONNX reference drop.)
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    for o, v in zip(m.graph.output, sess.run(None, feeds)):
        o.CopyFrom(helper.make_tensor_value_info(o.name, o.type.tensor_type.elem_type, list(v.shape)))
    onnx.checker.check_model(m)
    return m


def compare(tmp_path, m, feeds, rtol=1e-4, atol=1e-5):
    """kinfer and ONNX Runtime agree: same dtype and shape, floats within
    tolerance (summation order differs), integers exactly."""
    p = tmp_path / "model.onnx"
    onnx.save(m, str(p))
    args = ["run", "--reference", p]
    for name, v in feeds.items():
        np.save(tmp_path / f"in_{name}.npy", v)
        args += ["-i", tmp_path / f"in_{name}.npy"]
    n_out = len(m.graph.output)
    for i in range(n_out):
        args += ["-o", tmp_path / f"out{i}.npy"]
    kinfer(*args)
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    want = sess.run(None, feeds)
    for i in range(n_out):
        got = np.load(tmp_path / f"out{i}.npy")
        assert got.dtype == want[i].dtype and got.shape == want[i].shape, \
            f"output {i}: {got.dtype}{got.shape} != {want[i].dtype}{want[i].shape}"
        if got.dtype == np.float32:
            np.testing.assert_allclose(got, want[i], rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(got, want[i])


def conv_model(x, w, b=None, w_input=False, opset=17, op="Conv", **attrs):
    feeds = {"x": x}
    inits = {}
    (feeds if w_input else inits)["w"] = w
    names = ["x", "w"]
    if b is not None:
        inits["b"] = b
        names.append("b")
    node = helper.make_node(op, names, ["y"], name="c", **attrs)
    return model([node], feeds, {"y": TensorProto.FLOAT}, inits, opset), feeds


# ---------------------------------------------------------------------- Conv

@pytest.mark.parametrize("spatial", [(17,), (9, 11), (4, 5, 6)])
@pytest.mark.parametrize("attrs", [
    {},
    {"strides": 2, "pads": 1},
    {"dilations": 2, "pads": 2},
    {"strides": 3, "pads": (0, 2)},
    {"auto_pad": "SAME_UPPER", "strides": 2},
    {"auto_pad": "SAME_LOWER"},
    {"auto_pad": "VALID", "strides": 2},
])
def test_conv(tmp_path, spatial, attrs):
    ns = len(spatial)
    a = {}
    for k, v in attrs.items():
        if k == "pads":
            v = (v if isinstance(v, tuple) else (v, v))
            a[k] = [v[0]] * ns + [v[1]] * ns
        elif k == "auto_pad":
            a[k] = v
        else:
            a[k] = [v] * ns
    x = rand((2, 6) + spatial, 1)
    w = rand((8, 6) + (3,) * ns, 2, 0.3)
    b = rand((8,), 3)
    m, feeds = conv_model(x, w, b, **a)
    compare(tmp_path, m, feeds)


@pytest.mark.parametrize("group,cin,cout", [(2, 6, 4), (3, 6, 9), (16, 16, 16), (16, 16, 32)])
@pytest.mark.parametrize("w_input", [False, True])
def test_conv_groups(tmp_path, group, cin, cout, w_input):
    """Grouped and depthwise (group == C) convolution; weights constant or
    a graph input."""
    x = rand((1, cin, 20, 21), 4)
    w = rand((cout, cin // group, 3, 3), 5, 0.3)
    m, feeds = conv_model(x, w, rand((cout,), 6), w_input=w_input, group=group,
                          strides=[1, 2], pads=[1, 1, 1, 1])
    if w_input:
        feeds["w"] = w
    compare(tmp_path, m, feeds)


@pytest.mark.parametrize("opset", [7, 11, 22])
def test_conv_pointwise_and_opsets(tmp_path, opset):
    x = rand((2, 32, 14, 14), 7)
    w = rand((24, 32, 1, 1), 8, 0.2)
    m, feeds = conv_model(x, w, opset=opset, kernel_shape=[1, 1])
    compare(tmp_path, m, feeds)


# ------------------------------------------------------------- ConvTranspose

@pytest.mark.parametrize("spatial", [(7,), (5, 6)])
@pytest.mark.parametrize("attrs", [
    {},
    {"strides": 2},
    {"strides": 2, "pads": 1, "output_padding": 1},
    {"strides": 3, "dilations": 2},
    {"strides": 2, "auto_pad": "SAME_UPPER"},
    {"strides": 2, "auto_pad": "SAME_LOWER"},
    {"strides": 2, "output_shape": 2},
    {"strides": 2, "output_shape": 0},
    {"strides": 2, "output_shape": -2},
])
@pytest.mark.parametrize("group", [1, 2])
def test_conv_transpose(tmp_path, spatial, attrs, group):
    ns = len(spatial)
    a = {}
    for k, v in attrs.items():
        if k == "pads":
            a[k] = [v] * (2 * ns)
        elif k == "auto_pad":
            a[k] = v
        elif k == "output_shape":
            # full = 2 * s + 1: v = 2 zero-extends by 1, 0 and -2 crop 1, 3
            a[k] = [2 * s + v for s in spatial]
        else:
            a[k] = [v] * ns
    x = rand((2, 4) + spatial, 9)
    w = rand((4, 3) + (3,) * ns, 10, 0.3)
    m, feeds = conv_model(x, w, rand((3 * group,), 11), op="ConvTranspose", group=group, **a)
    compare(tmp_path, m, feeds)


# --------------------------------------------------------------------- pools

def pool_model(op, x, opset=19, n_out=1, **attrs):
    outs = ["y", "i"][:n_out]
    node = helper.make_node(op, ["x"], outs, name="p", **attrs)
    types = {"y": TensorProto.FLOAT, "i": TensorProto.INT64}
    return model([node], {"x": x}, {o: types[o] for o in outs}, opset=opset)


POOL_CASES = [
    {"kernel_shape": 2},
    {"kernel_shape": 3, "strides": 2},
    {"kernel_shape": 3, "strides": 2, "pads": 1},
    {"kernel_shape": 3, "strides": 2, "ceil_mode": 1},
    {"kernel_shape": 3, "strides": 3, "pads": 1, "ceil_mode": 1},
    {"kernel_shape": 2, "dilations": 2, "strides": 1},
    {"kernel_shape": 3, "auto_pad": "SAME_UPPER", "strides": 2},
    {"kernel_shape": 2, "auto_pad": "SAME_LOWER"},
    {"kernel_shape": 3, "auto_pad": "VALID", "strides": 2},
]


def pool_attrs(attrs, ns):
    a = {}
    for k, v in attrs.items():
        if k == "pads":
            a[k] = [v] * (2 * ns)
        elif k in ("auto_pad", "ceil_mode", "count_include_pad", "p", "storage_order"):
            a[k] = v
        else:
            a[k] = [v] * ns
    return a


@pytest.mark.parametrize("spatial", [(13,), (9, 10), (5, 6, 7)])
@pytest.mark.parametrize("attrs", POOL_CASES)
def test_maxpool(tmp_path, spatial, attrs):
    x = rand((2, 3) + spatial, 12)
    m = pool_model("MaxPool", x, **pool_attrs(attrs, len(spatial)))
    compare(tmp_path, m, {"x": x}, rtol=0, atol=0)


@pytest.mark.parametrize("storage_order", [0, 1])
@pytest.mark.parametrize("attrs", POOL_CASES[:5])
def test_maxpool_indices(tmp_path, storage_order, attrs):
    x = rand((2, 3, 9, 10), 13)
    m = pool_model("MaxPool", x, n_out=2, storage_order=storage_order, **pool_attrs(attrs, 2))
    compare(tmp_path, m, {"x": x}, rtol=0, atol=0)


@pytest.mark.parametrize("spatial", [(13,), (9, 10), (5, 6, 7)])
@pytest.mark.parametrize("attrs", POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [0, 1])
def test_averagepool(tmp_path, spatial, attrs, count_include_pad):
    x = rand((2, 3) + spatial, 14)
    m = pool_model("AveragePool", x, count_include_pad=count_include_pad,
                   **pool_attrs(attrs, len(spatial)))
    compare(tmp_path, m, {"x": x})


@pytest.mark.parametrize("spatial", [(13,), (9, 10)])
@pytest.mark.parametrize("attrs", POOL_CASES)
@pytest.mark.parametrize("p", [1, 2, 3])
def test_lppool(tmp_path, spatial, attrs, p):
    x = rand((2, 3) + spatial, 15)
    m = pool_model("LpPool", x, opset=18, p=p, **pool_attrs(attrs, len(spatial)))
    compare(tmp_path, m, {"x": x})


@pytest.mark.parametrize("op,opset", [("MaxPool", 7), ("MaxPool", 8), ("MaxPool", 10),
                                      ("AveragePool", 7), ("AveragePool", 11),
                                      ("LpPool", 7), ("LpPool", 11)])
def test_pool_opsets(tmp_path, op, opset):
    x = rand((1, 2, 8, 9), 16)
    m = pool_model(op, x, opset=opset, kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 1, 1])
    compare(tmp_path, m, {"x": x})


# ---------------------------------------------------------- passes in a CNN

def test_small_cnn(tmp_path):
    """Conv + BatchNormalization + Relu (folded and fused), depthwise Conv +
    BN + Clip(0, 6), MaxPool, Conv + BN + Relu, AveragePool, Gemm + BN."""
    g = np.random.default_rng(17)

    def bn(prefix, c):
        return {f"{prefix}_s": g.uniform(0.5, 1.5, c).astype(np.float32),
                f"{prefix}_b": g.standard_normal(c).astype(np.float32),
                f"{prefix}_m": g.standard_normal(c).astype(np.float32) * 0.1,
                f"{prefix}_v": g.uniform(0.5, 2.0, c).astype(np.float32)}

    inits = {"w1": rand((8, 3, 3, 3), 18, 0.3), "b1": rand((8,), 19),
             "w2": rand((8, 1, 3, 3), 20, 0.3),
             "w3": rand((16, 8, 3, 3), 21, 0.2),
             "wf": rand((16, 10), 22, 0.3), "lo": np.float32(0), "hi": np.float32(6)}
    for prefix, c in (("bn1", 8), ("bn2", 8), ("bn3", 16), ("bnf", 10)):
        inits.update(bn(prefix, c))

    def bn_node(prefix, x, y):
        return helper.make_node("BatchNormalization",
                                [x, f"{prefix}_s", f"{prefix}_b", f"{prefix}_m", f"{prefix}_v"], [y])

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        bn_node("bn1", "c1", "n1"),
        helper.make_node("Relu", ["n1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], group=8, strides=[2, 2], pads=[1, 1, 1, 1]),
        bn_node("bn2", "c2", "n2"),
        helper.make_node("Clip", ["n2", "lo", "hi"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p2", "w3"], ["c3"], pads=[1, 1, 1, 1]),
        bn_node("bn3", "c3", "n3"),
        helper.make_node("Relu", ["n3"], ["r3"]),
        helper.make_node("AveragePool", ["r3"], ["p3"], kernel_shape=[4, 4]),
        helper.make_node("Flatten", ["p3"], ["f"]),
        helper.make_node("Gemm", ["f", "wf"], ["z"]),
        bn_node("bnf", "z", "y"),
    ]
    x = rand((2, 3, 16, 16), 23)
    m = model(nodes, {"x": x}, {"y": TensorProto.FLOAT}, inits, opset=13)
    compare(tmp_path, m, {"x": x})
    # Every BatchNormalization is folded and each Relu fused.
    plan = json.loads(kinfer("inspect", tmp_path / "model.onnx", "--json").stdout)
    ops = [n["op"] for n in plan["nodes"]]
    assert ops.count("CONV") == 3 and ops.count("MATMUL") == 1, ops
    assert "BATCH_NORM" not in ops and "RELU" not in ops, ops

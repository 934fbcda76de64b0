# SPDX-License-Identifier: GPL-2.0
"""Elementwise ops: `kinfer run --reference` (the kernel's own code in
userspace) against ONNX Runtime on random inputs, for the unary
activations and math functions, Clip, the binary and variadic arithmetic
ops, comparisons, logic, Where, Cast and CastLike, over attributes,
opsets, dtypes and broadcasting.

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


def rand(shape, dtype=np.float32, seed=0, scale=3.0):
    g = np.random.default_rng(seed)
    if dtype == np.float32:
        return (g.standard_normal(shape) * scale).astype(np.float32)
    if dtype == np.bool_:
        return g.integers(0, 2, shape).astype(np.bool_)
    return g.integers(-50, 50, shape).astype(dtype)


def model(nodes, feeds, out_dtype, inits=None, opset=17, out_shape=None):
    """The output's shape is the broadcast of every operand unless given."""
    if out_shape is None:
        out_shape = np.broadcast_shapes(*[np.shape(v) for v in feeds.values()],
                                        *[np.shape(v) for v in (inits or {}).values()])
    graph = helper.make_graph(
        nodes, "elementwise",
        [helper.make_tensor_value_info(k, NP_TO_ONNX[v.dtype.type], list(v.shape))
         for k, v in feeds.items()],
        [helper.make_tensor_value_info("out", NP_TO_ONNX[out_dtype], list(out_shape))],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def compare(tmp_path, m, feeds, rtol=1e-5, atol=1e-6):
    """kinfer and ONNX Runtime agree: dtype and shape exactly, integers and
    bools exactly, floats within rtol/atol (NaN where NaN)."""
    p = tmp_path / "model.onnx"
    onnx.save(m, str(p))
    args = ["run", "--reference", p]
    for name, v in feeds.items():
        np.save(tmp_path / f"in_{name}.npy", v)
        args += ["-i", tmp_path / f"in_{name}.npy"]
    args += ["-o", tmp_path / "out.npy"]
    kinfer(*args)
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    want = sess.run(None, feeds)[0]
    got = np.load(tmp_path / "out.npy")
    assert got.dtype == want.dtype and got.shape == want.shape, \
        f"{got.dtype}{got.shape} != {want.dtype}{want.shape}"
    if got.dtype == np.float32:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(got, want)


def one(op, feeds, out_dtype=np.float32, inits=None, opset=17, **attrs):
    names = list(feeds) + list(inits or {})
    node = helper.make_node(op, names, ["out"], name="node", **attrs)
    shape = np.shape(next(iter(feeds.values()))) if op == "CastLike" else None
    return model([node], feeds, out_dtype, inits, opset, shape)


UNARY = [
    ("LeakyRelu", {}), ("LeakyRelu", {"alpha": 0.3}), ("Elu", {}), ("Elu", {"alpha": 0.5}),
    ("Selu", {}), ("Selu", {"alpha": 2.0, "gamma": 0.5}), ("Celu", {"alpha": 1.5}),
    ("ThresholdedRelu", {"alpha": 0.7}), ("HardSigmoid", {}),
    ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}), ("HardSwish", {}), ("Softplus", {}),
    ("Softsign", {}), ("Mish", {}), ("Erf", {}), ("Exp", {}), ("Neg", {}), ("Abs", {}),
    ("Sign", {}), ("Floor", {}), ("Ceil", {}), ("Round", {}), ("Reciprocal", {}),
]


@pytest.mark.parametrize("op,attrs", UNARY, ids=[f"{o}{i}" for i, (o, _) in enumerate(UNARY)])
def test_unary(tmp_path, op, attrs):
    x = rand((3, 4, 5), seed=sum(map(ord, op)))
    x[0, 0, :3] = [0.0, 2.5, -2.5]	# rounding ties, zero
    compare(tmp_path, one(op, {"x": x}, opset=18, **attrs), {"x": x})


@pytest.mark.parametrize("op", ["Sqrt", "Log"])
def test_positive_domain(tmp_path, op):
    x = np.abs(rand((4, 6), seed=3)) + np.float32(1e-3)
    compare(tmp_path, one(op, {"x": x}), {"x": x})


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(tmp_path, approximate):
    x = rand((2, 50), seed=4)
    compare(tmp_path, one("Gelu", {"x": x}, opset=20, approximate=approximate), {"x": x})


def test_clip_attributes_opset_10(tmp_path):
    x = rand((4, 5), seed=5)
    compare(tmp_path, one("Clip", {"x": x}, opset=10, min=-1.0, max=0.5), {"x": x})


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
def test_clip_inputs(tmp_path, dtype):
    x = rand((4, 5), dtype, seed=6)
    lo, hi = np.array(-2, dtype), np.array(3, dtype)
    # constant bounds
    compare(tmp_path, one("Clip", {"x": x}, dtype, inits={"lo": lo, "hi": hi}, opset=13), {"x": x})
    # runtime bounds
    feeds = {"x": x, "lo": lo, "hi": hi}
    compare(tmp_path, one("Clip", feeds, dtype, opset=13), feeds)


BINARY = [("Sub", np.float32), ("Sub", np.int32), ("Sub", np.int64), ("Div", np.float32),
          ("Div", np.int32), ("Div", np.int64), ("Pow", np.float32), ("Max", np.float32),
          ("Max", np.int64), ("Min", np.float32), ("Min", np.int32), ("PRelu", np.float32),
          ("Sum", np.float32), ("Mean", np.float32)]


@pytest.mark.parametrize("op,dtype", BINARY, ids=[f"{o}-{d.__name__}" for o, d in BINARY])
def test_binary_broadcast(tmp_path, op, dtype):
    a = rand((2, 3, 4), dtype, seed=7)
    b = rand((3, 1) if op != "PRelu" else (3, 1), dtype, seed=8)
    if op == "Div" and dtype != np.float32:
        b[b == 0] = 7
    if op == "Pow":
        a = np.abs(a) + np.float32(0.1)
    feeds = {"a": a, "b": b}
    compare(tmp_path, one(op, feeds, dtype), feeds, rtol=2e-5)


def test_variadic_three(tmp_path):
    feeds = {"a": rand((2, 1, 4), seed=1), "b": rand((3, 1), seed=2), "c": rand((4,), seed=3)}
    for op in ["Max", "Min", "Sum", "Mean"]:
        compare(tmp_path, one(op, feeds), feeds)


@pytest.mark.parametrize("xt,yt", [(np.float32, np.int32), (np.float32, np.int64),
                                   (np.int32, np.int32), (np.int64, np.int64),
                                   (np.int32, np.float32), (np.int64, np.float32)])
def test_pow_types(tmp_path, xt, yt):
    x = np.array([[1, 2, 3, -2], [4, -3, 5, 2]], dtype=xt)
    y = np.array([0, 3, 4, 5], dtype=yt)
    feeds = {"x": x, "y": y}
    compare(tmp_path, one("Pow", feeds, xt), feeds)


CMP = ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"]


@pytest.mark.parametrize("op", CMP)
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
def test_compare(tmp_path, op, dtype):
    a = rand((2, 3, 4), dtype, seed=9, scale=1.0)
    b = rand((3, 4), dtype, seed=10, scale=1.0)
    if dtype == np.float32:
        a = np.round(a)	# some equal pairs
        b = np.round(b)
    else:
        a, b = a % 3, b % 3
    feeds = {"a": a, "b": b}
    compare(tmp_path, one(op, feeds, np.bool_), feeds)


@pytest.mark.parametrize("op", ["And", "Or", "Xor"])
def test_logic(tmp_path, op):
    feeds = {"a": rand((2, 1, 4), np.bool_, seed=11), "b": rand((3, 4), np.bool_, seed=12)}
    compare(tmp_path, one(op, feeds, np.bool_), feeds)


def test_not(tmp_path):
    feeds = {"x": rand((3, 4), np.bool_, seed=13)}
    compare(tmp_path, one("Not", feeds, np.bool_), feeds)


# ONNX Runtime has no bool Where kernel; the C++ tests cover every width.
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
def test_where(tmp_path, dtype):
    feeds = {"c": rand((2, 1, 4), np.bool_, seed=14), "x": rand((3, 4), dtype, seed=15),
             "y": rand((4,), dtype, seed=16)}
    compare(tmp_path, one("Where", feeds, dtype), feeds)


CASTS = [(a, b) for a in (np.float32, np.int32, np.int64, np.bool_)
         for b in (np.float32, np.int32, np.int64, np.bool_)]


@pytest.mark.parametrize("src,dst", CASTS, ids=[f"{a.__name__}-{b.__name__}" for a, b in CASTS])
def test_cast(tmp_path, src, dst):
    x = rand((3, 5), src, seed=17)
    compare(tmp_path, one("Cast", {"x": x}, dst, to=NP_TO_ONNX[dst]), {"x": x})
    feeds = {"x": x, "like": np.zeros((1,), dst)}
    compare(tmp_path, one("CastLike", feeds, dst), feeds)


def test_unsupported_cast_target_names_the_node(tmp_path):
    x = rand((2,), seed=1)
    m = one("Cast", {"x": x}, np.float32, to=TensorProto.FLOAT16)
    m.graph.output[0].type.tensor_type.elem_type = TensorProto.FLOAT16
    p = tmp_path / "model.onnx"
    onnx.save(m, str(p))
    np.save(tmp_path / "x.npy", x)
    r = kinfer("run", "--reference", p, "-i", tmp_path / "x.npy", check=3)
    assert "'node' (Cast)" in r.stderr and "data type FLOAT16" in r.stderr


def test_integer_division_by_zero_fails_the_run(tmp_path):
    feeds = {"a": np.array([1, 2], np.int32), "b": np.array([1, 0], np.int32)}
    p = tmp_path / "model.onnx"
    onnx.save(one("Div", feeds, np.int32), str(p))
    for k, v in feeds.items():
        np.save(tmp_path / f"{k}.npy", v)
    r = subprocess.run([KINFER, "run", "--reference", str(p), "-i", str(tmp_path / "a.npy"),
                        "-i", str(tmp_path / "b.npy")], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "EDOM" in r.stderr


FUSED = ["LeakyRelu", "Elu", "Selu", "Celu", "ThresholdedRelu", "HardSigmoid", "HardSwish",
         "Softplus", "Softsign", "Mish", "Erf", "Abs"]


@pytest.mark.parametrize("op", FUSED)
def test_activation_fused_into_matmul(tmp_path, op):
    """MatMul + act becomes one MATMUL with the activation fused; its
    parameters must survive the fusion."""
    x = rand((3, 8), seed=20)
    w = rand((8, 5), seed=21, scale=0.5)
    attrs = {"alpha": 0.4} if op in ("LeakyRelu", "Elu", "Celu", "ThresholdedRelu") else {}
    if op == "HardSigmoid":
        attrs = {"alpha": 0.25, "beta": 0.4}
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
             helper.make_node(op, ["h"], ["out"], name="act", **attrs)]
    m = model(nodes, {"x": x}, np.float32, {"w": w}, opset=18, out_shape=(3, 5))
    p = tmp_path / "model.onnx"
    onnx.save(m, str(p))
    assert "act" in kinfer("inspect", p).stdout	# the fused node is named
    compare(tmp_path, m, {"x": x}, rtol=1e-5, atol=1e-5)

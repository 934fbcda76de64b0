# SPDX-License-Identifier: GPL-2.0
"""Data movement and gather: `kinfer run --reference` (the kernel's own code
in userspace) against ONNX Runtime on random inputs, for Transpose, Slice,
ReverseSequence, Concat, Split, Expand, Tile, DepthToSpace, SpaceToDepth, Pad, Gather,
GatherElements and the compile-time Shape, Range and ConstantOfShape, over
attributes, opsets and dtypes.

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


def rand(shape, dtype=np.float32, seed=0):
    g = np.random.default_rng(seed)
    if dtype == np.float32:
        return g.standard_normal(shape).astype(np.float32)
    if dtype == np.bool_:
        return g.integers(0, 2, shape).astype(np.bool_)
    return g.integers(-1000, 1000, shape).astype(dtype)


def vinfo(name, arr_or_dtype, shape=None):
    dtype = arr_or_dtype.dtype.type if shape is None else arr_or_dtype
    shape = list(arr_or_dtype.shape) if shape is None else shape
    return helper.make_tensor_value_info(name, NP_TO_ONNX[dtype], shape)


def model(nodes, feeds, outputs, inits=None, opset=17):
    """outputs: {name: (np dtype, shape or None)}; shapes left open when None."""
    graph = helper.make_graph(
        nodes, "movement",
        [vinfo(k, v) for k, v in feeds.items()],
        [helper.make_tensor_value_info(k, NP_TO_ONNX[t], s) for k, (t, s) in outputs.items()],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def compare(tmp_path, m, feeds):
    """Run with kinfer and ONNX Runtime; outputs must match exactly (data
    movement computes nothing) in dtype, shape and value."""
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
        np.testing.assert_array_equal(got, want[i])


def one(op, feeds, inits=None, opset=17, n_out=1, dtype=None, **attrs):
    """A model of one node reading the feeds then the initializers."""
    names = list(feeds) + list(inits or {})
    outs = [f"y{i}" for i in range(n_out)]
    dtype = dtype or next(iter(feeds.values())).dtype.type
    node = helper.make_node(op, names, outs, name="n", **attrs)
    return model([node], feeds, {o: (dtype, None) for o in outs}, inits, opset)


# ---------------------------------------------------------------- Transpose

@pytest.mark.parametrize("perm", [None, [0, 2, 1, 3], [3, 1, 0, 2], [1, 2, 3, 0]])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_transpose(tmp_path, perm, dtype):
    x = rand((2, 3, 4, 5), dtype)
    attrs = {} if perm is None else {"perm": perm}
    compare(tmp_path, one("Transpose", {"x": x}, **attrs), {"x": x})


# -------------------------------------------------------------------- Slice

@pytest.mark.parametrize("starts,ends,axes,steps", [
    ([1, 0], [3, 10], [0, 2], [1, 2]),
    ([-1, -2], [-10**18, 0], [1, 2], [-1, -3]),
    ([0], [2**62], None, None),
    ([5, 1], [-7, 4], [-1, 0], [-2, 1]),
])
def test_slice(tmp_path, starts, ends, axes, steps):
    x = rand((4, 5, 6))
    inits = {"s": np.array(starts, np.int64), "e": np.array(ends, np.int64)}
    if axes is not None:
        inits["a"] = np.array(axes, np.int64)
    if steps is not None:
        inits["st"] = np.array(steps, np.int64)
    compare(tmp_path, one("Slice", {"x": x}, inits, opset=13), {"x": x})


def test_slice_opset9_attributes(tmp_path):
    x = rand((4, 5), np.int32)
    compare(tmp_path, one("Slice", {"x": x}, opset=9, starts=[1, -4], ends=[100, -1], axes=[0, 1]),
            {"x": x})


# ---------------------------------------------------------- ReverseSequence

@pytest.mark.parametrize("time_axis,batch_axis", [(0, 1), (1, 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_reverse_sequence_of_whole_sequences(tmp_path, time_axis, batch_axis, dtype):
    x = rand((5, 3, 4) if time_axis == 0 else (3, 5, 4), dtype)
    lens = np.full(3, 5, np.int64)
    compare(tmp_path, one("ReverseSequence", {"x": x}, {"lens": lens}, time_axis=time_axis,
                          batch_axis=batch_axis), {"x": x})


@pytest.mark.parametrize("lens,message", [
    ([5, 2, 5], "sequence length 2 is not the whole time axis (5)"),
    ([5, 5], "sequence_lens has 2 values for a batch of 3"),
])
def test_reverse_sequence_of_partial_sequences_is_refused(tmp_path, lens, message):
    x = rand((5, 3, 4))
    m = one("ReverseSequence", {"x": x}, {"lens": np.array(lens, np.int64)})
    onnx.save(m, str(tmp_path / "m.onnx"))
    np.save(tmp_path / "x.npy", x)
    r = kinfer("run", "--reference", tmp_path / "m.onnx", "-i", tmp_path / "x.npy", check=3)
    assert message in r.stderr and "'n' (ReverseSequence)" in r.stderr, r.stderr


# ----------------------------------------------------------- Concat, Split

@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_with_a_constant(tmp_path, axis):
    a, b = rand((2, 3, 4), seed=1), rand((2, 3, 4), seed=2)
    shape = [2, 3, 4]
    shape[axis] = 1
    c = rand(shape, seed=3)
    node = helper.make_node("Concat", ["a", "c", "b"], ["y"], axis=axis)
    compare(tmp_path, model([node], {"a": a, "b": b}, {"y": (np.float32, None)}, {"c": c}),
            {"a": a, "b": b})


@pytest.mark.parametrize("opset,split,attrs", [
    (11, None, {"split": [1, 4, 1]}),
    (13, [2, 2, 2], {}),
    (13, None, {}),
    (18, None, {"num_outputs": 3}),
])
def test_split(tmp_path, opset, split, attrs):
    x = rand((3, 6, 2), np.int64)
    inits = {} if split is None else {"split": np.array(split, np.int64)}
    compare(tmp_path, one("Split", {"x": x}, inits, opset=opset, n_out=3, axis=1, **attrs), {"x": x})


def test_split_uneven_num_outputs(tmp_path):
    x = rand((7, 2))
    compare(tmp_path, one("Split", {"x": x}, opset=18, n_out=3, num_outputs=3), {"x": x})


# ------------------------------------------------------------ Expand, Tile

@pytest.mark.parametrize("xshape,shape", [((3, 1), (2, 3, 4)), ((1, 4), (3, 1)), ((5,), (2, 1, 5))])
def test_expand(tmp_path, xshape, shape):
    x = rand(xshape)
    compare(tmp_path, one("Expand", {"x": x}, {"s": np.array(shape, np.int64)}), {"x": x})


@pytest.mark.parametrize("xshape,reps", [((2, 3), (2, 3)), ((2, 1, 3), (1, 4, 1)),
                                         ((2, 2, 1, 2, 3), (2, 1, 3, 2, 2))])
def test_tile(tmp_path, xshape, reps):
    x = rand(xshape, np.int32)
    compare(tmp_path, one("Tile", {"x": x}, {"r": np.array(reps, np.int64)}), {"x": x})


# ------------------------------------------------ DepthToSpace, SpaceToDepth

@pytest.mark.parametrize("mode", ["DCR", "CRD"])
@pytest.mark.parametrize("b", [2, 3])
def test_depth_to_space(tmp_path, mode, b):
    x = rand((2, 2 * b * b, 3, 2))
    compare(tmp_path, one("DepthToSpace", {"x": x}, opset=13, blocksize=b, mode=mode), {"x": x})


@pytest.mark.parametrize("b", [2, 3])
def test_space_to_depth(tmp_path, b):
    x = rand((2, 3, 2 * b, 3 * b))
    compare(tmp_path, one("SpaceToDepth", {"x": x}, opset=13, blocksize=b), {"x": x})


# ---------------------------------------------------------------------- Pad

@pytest.mark.parametrize("mode,pads", [
    ("constant", [1, 0, 2, 0, 3, 1]),
    ("constant", [-1, 2, 0, 1, -2, 0]),
    ("edge", [2, 1, 0, 0, 3, 2]),
    ("reflect", [1, 2, 1, 1, 1, 2]),
])
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_pad(tmp_path, mode, pads, dtype):
    x = rand((3, 4, 5), dtype)
    inits = {"p": np.array(pads, np.int64)}
    if mode == "constant":
        inits["v"] = np.array(7, dtype)
    compare(tmp_path, one("Pad", {"x": x}, inits, opset=13, mode=mode), {"x": x})


def test_pad_wrap_and_axes(tmp_path):
    x = rand((3, 4, 5))
    inits = {"p": np.array([2, 1, 3, 4], np.int64), "v": np.array(0, np.float32),
             "a": np.array([-1, 0], np.int64)}
    compare(tmp_path, one("Pad", {"x": x}, inits, opset=19, mode="wrap"), {"x": x})


def test_pad_runtime_constant_value(tmp_path):
    x, v = rand((2, 3)), np.array(-3.5, np.float32)
    node = helper.make_node("Pad", ["x", "p", "v"], ["y"])
    m = model([node], {"x": x, "v": v}, {"y": (np.float32, None)},
              {"p": np.array([1, 1, 0, 2], np.int64)}, opset=13)
    compare(tmp_path, m, {"x": x, "v": v})


def test_pad_opset7_attributes(tmp_path):
    x = rand((2, 3))
    compare(tmp_path, one("Pad", {"x": x}, opset=7, pads=[0, 2, 1, 0], value=1.5), {"x": x})


# ---------------------------------------------------- Gather, GatherElements

@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("idx_dtype", [np.int32, np.int64])
def test_gather_runtime_indices(tmp_path, axis, idx_dtype):
    data = rand((4, 5, 6), seed=4)
    n = data.shape[axis]
    idx = np.random.default_rng(5).integers(-n, n, (2, 3)).astype(idx_dtype)
    node = helper.make_node("Gather", ["d", "i"], ["y"], axis=axis)
    m = model([node], {"d": data, "i": idx}, {"y": (np.float32, None)})
    compare(tmp_path, m, {"d": data, "i": idx})


def test_gather_embedding_table(tmp_path):
    table = rand((1000, 64), seed=6)
    ids = np.random.default_rng(7).integers(0, 1000, (3, 7)).astype(np.int64)
    node = helper.make_node("Gather", ["E", "ids"], ["y"])
    m = model([node], {"ids": ids}, {"y": (np.float32, None)}, {"E": table})
    compare(tmp_path, m, {"ids": ids})


def test_gather_out_of_range_fails(tmp_path):
    table = rand((10, 4))
    ids = np.array([1, 10], np.int64)
    node = helper.make_node("Gather", ["E", "ids"], ["y"])
    m = model([node], {"ids": ids}, {"y": (np.float32, None)}, {"E": table})
    p = tmp_path / "model.onnx"
    onnx.save(m, str(p))
    np.save(tmp_path / "ids.npy", ids)
    r = kinfer("run", "--reference", p, "-i", tmp_path / "ids.npy", check=3)
    assert "ERANGE" in r.stderr


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_gather_elements(tmp_path, axis):
    data = rand((3, 4, 5), np.int64, seed=8)
    shape = [2, 3, 4]
    shape[axis] = 6
    idx = np.random.default_rng(9).integers(-data.shape[axis], data.shape[axis], shape)
    node = helper.make_node("GatherElements", ["d", "i"], ["y"], axis=axis)
    m = model([node], {"d": data, "i": idx}, {"y": (np.int64, None)})
    compare(tmp_path, m, {"d": data, "i": idx})


# ------------------------------------------------- compile time and outputs

def test_shape_subgraph_and_constant_outputs(tmp_path):
    """Shape -> Gather -> Unsqueeze -> Concat -> Reshape folds; the Shape
    and a Range are graph outputs (constants copied out)."""
    x = rand((2, 3, 4))
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
        helper.make_node("Concat", ["n1", "m1"], ["shape"], axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["y"]),
        helper.make_node("Range", ["r0", "r1", "r2"], ["r"]),
        helper.make_node("ConstantOfShape", ["shape2"], ["k"],
                         value=numpy_helper.from_array(np.array([3], np.int32))),
    ]
    inits = {"zero": np.array(0, np.int64), "ax": np.array([0], np.int64),
             "m1": np.array([-1], np.int64), "r0": np.array(10, np.int64),
             "r1": np.array(1, np.int64), "r2": np.array(-3, np.int64),
             "shape2": np.array([2, 2], np.int64)}
    m = model(nodes, {"x": x}, {"y": (np.float32, None), "s": (np.int64, None),
                                "r": (np.int64, None), "k": (np.int32, None)}, inits, opset=13)
    compare(tmp_path, m, {"x": x})

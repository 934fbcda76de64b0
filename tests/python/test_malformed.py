# SPDX-License-Identifier: GPL-2.0
"""The malformed-model corpus: each model is refused, naming the cause.

Every case is a small model broken in one way: wrong attribute types,
overflowing pads, strides or dilations, axes out of range, Conv weights
that do not fit their groups, cycles, huge dimensions, truncated or
corrupt protobuf, ... `kinfer inspect` (the whole offline pipeline, which
also runs every node through the kernel's own checks) must exit 3 with a
message that names the file, the node (index, name, op) when a node is at
fault, and the cause; never crash, never report an internal error.  None
of them reaches the kernel.  tests/cpp and bpf/selftests check the same
causes one level down, on plans.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from test_cli import EXIT_INVALID, KINFER

F = TensorProto.FLOAT
I64 = TensorProto.INT64


def vi(name: str, shape, dtype=F):
    return helper.make_tensor_value_info(name, dtype, shape)


def init(name: str, value) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value), name)


def model(nodes, inputs, outputs, inits=(), opset: int = 17) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "bad", inputs, outputs, list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def one(op: str, inputs, outputs, in_vis, out_vis, inits=(), opset=17, **attrs):
    """A model of a single node named 'n'."""
    return model([helper.make_node(op, inputs, outputs, name="n", **attrs)], in_vis, out_vis,
                 inits, opset)


def wrong_attr(op: str, name: str, value, in_vis, out_vis, inits=(), inputs=None):
    """A model whose node has attribute `name` of the wrong type."""
    names = inputs or [v.name for v in in_vis] + [t.name for t in inits]
    node = helper.make_node(op, names, [out_vis[0].name], name="n")
    node.attribute.append(helper.make_attribute(name, value))
    return model([node], in_vis, out_vis, inits)


X4 = [vi("x", [1, 3, 8, 8])]
Y4 = [vi("y", [1, 4, 8, 8])]
W_CONV = init("w", np.zeros((4, 3, 3, 3), np.float32))


def conv(**attrs):
    return one("Conv", ["x", "w"], ["y"], X4, [vi("y", None)], [W_CONV], **attrs)


@dataclass
class Case:
    name: str
    build: Callable[[], onnx.ModelProto | bytes]
    expect: list[str] = field(default_factory=list)
    node: bool = True           # the message names node 0 'n'


def raw(m: onnx.ModelProto) -> bytes:
    return m.SerializeToString()


def cyclic() -> onnx.ModelProto:
    return model([helper.make_node("Relu", ["b"], ["a"], name="n"),
                  helper.make_node("Relu", ["a"], ["b"], name="m")],
                 [vi("x", [2])], [vi("b", [2])])


def truncated(cut: float) -> Callable[[], bytes]:
    def build() -> bytes:
        data = raw(one("MatMul", ["x", "w"], ["y"], [vi("x", [1, 64])], [vi("y", [1, 64])],
                       [init("w", np.ones((64, 64), np.float32))]))
        return data[: int(len(data) * cut)]
    return build


CASES: list[Case] = [
    # --- wrong attribute types --------------------------------------------------
    Case("gemm_alpha_int", lambda: wrong_attr("Gemm", "alpha", 2, [vi("x", [2, 3])], [vi("y", [2, 4])],
         [init("w", np.zeros((3, 4), np.float32))]), ["attribute 'alpha' must be FLOAT, not INT"]),
    Case("gemm_transb_float", lambda: wrong_attr("Gemm", "transB", 1.0, [vi("x", [2, 3])],
         [vi("y", [2, 4])], [init("w", np.zeros((4, 3), np.float32))]),
         ["attribute 'transB' must be INT, not FLOAT"]),
    Case("softmax_axis_float", lambda: wrong_attr("Softmax", "axis", 1.0, [vi("x", [2, 3])],
         [vi("y", [2, 3])]), ["attribute 'axis' must be INT"]),
    Case("leakyrelu_alpha_string", lambda: wrong_attr("LeakyRelu", "alpha", "big", [vi("x", [3])],
         [vi("y", [3])]), ["attribute 'alpha' must be FLOAT, not STRING"]),
    Case("conv_strides_floats", lambda: wrong_attr("Conv", "strides", [1.0, 1.0], X4, Y4, [W_CONV]),
         ["attribute 'strides' must be INTS, not FLOATS"]),
    Case("transpose_perm_int", lambda: wrong_attr("Transpose", "perm", 1, [vi("x", [2, 3])],
         [vi("y", [3, 2])]), ["attribute 'perm' must be INTS, not INT"]),
    Case("flatten_axis_string", lambda: wrong_attr("Flatten", "axis", "one", [vi("x", [2, 3])],
         [vi("y", [2, 3])]), ["attribute 'axis' must be INT, not STRING"]),
    Case("unknown_attribute", lambda: wrong_attr("Relu", "alpha", 1.0, [vi("x", [3])],
         [vi("y", [3])]), ["attribute 'alpha' is not supported"]),
    Case("lstm_hidden_size_float", lambda: wrong_attr("LSTM", "hidden_size", 2.0,
         [vi("x", [1, 1, 2])], [vi("y", None)], [init("W", np.zeros((1, 8, 2), np.float32)),
                                                  init("R", np.zeros((1, 8, 2), np.float32))],
         inputs=["x", "W", "R"]), ["attribute 'hidden_size' must be INT"]),
    Case("cast_to_string", lambda: wrong_attr("Cast", "to", "float", [vi("x", [3])],
         [vi("y", [3])]), ["attribute 'to' must be INT"]),
    # --- convolution geometry ---------------------------------------------------
    Case("conv_pads_overflow", lambda: conv(pads=[2**40, 0, 0, 0]), ["pads"]),
    Case("conv_negative_pads", lambda: conv(pads=[-1, 0, 0, 0]), ["pads"]),
    Case("conv_zero_stride", lambda: conv(strides=[0, 1]), ["strides"]),
    Case("conv_huge_stride", lambda: conv(strides=[2**40, 1]), ["strides"]),
    Case("conv_zero_dilation", lambda: conv(dilations=[0, 1]), ["dilations"]),
    Case("conv_huge_dilation", lambda: conv(dilations=[2**40, 1]), ["dilations"]),
    Case("conv_kernel_larger_than_input", lambda: one("Conv", ["x", "w"], ["y"], [vi("x", [1, 3, 2, 2])],
         [vi("y", None)], [init("w", np.zeros((4, 3, 5, 5), np.float32))]), ["kernel"]),
    Case("conv_group_not_dividing_channels", lambda: conv(group=2), ["group"]),
    Case("conv_weight_channel_mismatch", lambda: one("Conv", ["x", "w"], ["y"], X4, [vi("y", None)],
         [init("w", np.zeros((4, 2, 3, 3), np.float32))]), ["channels"]),
    Case("conv_bias_wrong_size", lambda: one("Conv", ["x", "w", "b"], ["y"], X4, [vi("y", None)],
         [W_CONV, init("b", np.zeros(5, np.float32))]), ["bias"]),
    Case("conv_kernel_shape_mismatch", lambda: conv(kernel_shape=[5, 5]), ["kernel_shape"]),
    Case("conv_pads_wrong_count", lambda: conv(pads=[1, 1]), ["pads"]),
    Case("conv_3d_input_rank_mismatch", lambda: one("Conv", ["x", "w"], ["y"], [vi("x", [1, 3, 8])],
         [vi("y", None)], [W_CONV]), ["rank"]),
    Case("maxpool_zero_kernel", lambda: one("MaxPool", ["x"], ["y"], X4, [vi("y", None)],
         kernel_shape=[0, 2]), ["kernel_shape"]),
    Case("maxpool_no_kernel_shape", lambda: one("MaxPool", ["x"], ["y"], X4, [vi("y", None)]),
         ["kernel_shape"]),
    Case("avgpool_huge_pads", lambda: one("AveragePool", ["x"], ["y"], X4, [vi("y", None)],
         kernel_shape=[2, 2], pads=[2**62, 0, 0, 0]), ["pads"]),
    # --- axes and permutations --------------------------------------------------
    Case("softmax_axis_out_of_range", lambda: one("Softmax", ["x"], ["y"], [vi("x", [2, 3])],
         [vi("y", [2, 3])], axis=5), ["axis 5 is out of range for rank 2"]),
    Case("flatten_axis_out_of_range", lambda: one("Flatten", ["x"], ["y"], [vi("x", [2, 3])],
         [vi("y", None)], axis=-9), ["axis -9 is out of range"]),
    Case("concat_axis_out_of_range", lambda: one("Concat", ["x", "x"], ["y"], [vi("x", [2, 3])],
         [vi("y", None)], axis=2), ["axis"]),
    Case("gather_axis_out_of_range", lambda: one("Gather", ["t", "i"], ["y"], [vi("i", [2], I64)],
         [vi("y", None)], [init("t", np.zeros((4, 3), np.float32))], axis=-3), ["axis"]),
    Case("reducemean_axis_out_of_range", lambda: one("ReduceMean", ["x"], ["y"], [vi("x", [2, 3])],
         [vi("y", None)], axes=[3]), ["ax"]),
    Case("squeeze_non_one_axis", lambda: one("Squeeze", ["x", "a"], ["y"], [vi("x", [2, 3])],
         [vi("y", None)], [init("a", np.array([0], np.int64))]), ["cannot squeeze axis 0"]),
    Case("unsqueeze_duplicate_axes", lambda: one("Unsqueeze", ["x", "a"], ["y"], [vi("x", [2, 3])],
         [vi("y", None)], [init("a", np.array([0, 0], np.int64))]), ["given twice"]),
    Case("transpose_perm_duplicate", lambda: one("Transpose", ["x"], ["y"], [vi("x", [2, 3])],
         [vi("y", None)], perm=[0, 0]), ["perm"]),
    Case("transpose_perm_short", lambda: one("Transpose", ["x"], ["y"], [vi("x", [2, 3, 4])],
         [vi("y", None)], perm=[1, 0]), ["perm"]),
    Case("argmax_axis_out_of_range", lambda: one("ArgMax", ["x"], ["y"], [vi("x", [2, 3])],
         [vi("y", None, I64)], axis=2), ["axis"]),
    Case("layernorm_axis_out_of_range", lambda: one("LayerNormalization", ["x", "s"], ["y"],
         [vi("x", [2, 3])], [vi("y", None)], [init("s", np.ones(3, np.float32))], axis=4), ["axis"]),
    Case("split_sizes_wrong_sum", lambda: one("Split", ["x", "s"], ["a", "b"], [vi("x", [6])],
         [vi("a", None), vi("b", None)], [init("s", np.array([2, 3], np.int64))]), ["split"]),
    # --- shapes, dims and sizes -------------------------------------------------
    Case("huge_input_dims", lambda: one("Relu", ["x"], ["y"], [vi("x", [2**20, 2**20])],
         [vi("y", None)]), ["graph input 'x'", "larger than 1024 MiB"], node=False),
    Case("reshape_to_huge", lambda: one("Reshape", ["x", "s"], ["y"], [vi("x", [2, 3])],
         [vi("y", None)], [init("s", np.array([2**40, 2**40], np.int64))]), ["too large"]),
    Case("reshape_two_minus_ones", lambda: one("Reshape", ["x", "s"], ["y"], [vi("x", [2, 3])],
         [vi("y", None)], [init("s", np.array([-1, -1], np.int64))]), ["more than one -1"]),
    Case("reshape_wrong_count", lambda: one("Reshape", ["x", "s"], ["y"], [vi("x", [2, 3])],
         [vi("y", None)], [init("s", np.array([4, 2], np.int64))]), ["cannot reshape"]),
    Case("expand_to_huge", lambda: one("Expand", ["x", "s"], ["y"], [vi("x", [1])],
         [vi("y", None)], [init("s", np.array([2**20, 2**20], np.int64))]), ["large"]),
    Case("tile_huge_repeats", lambda: one("Tile", ["x", "r"], ["y"], [vi("x", [2, 2])],
         [vi("y", None)], [init("r", np.array([2**40, 1], np.int64))]), ["large"]),
    Case("matmul_inner_mismatch", lambda: one("MatMul", ["x", "w"], ["y"], [vi("x", [2, 3])],
         [vi("y", None)], [init("w", np.zeros((4, 5), np.float32))]), ["do not multiply"]),
    Case("add_no_broadcast", lambda: one("Add", ["x", "c"], ["y"], [vi("x", [2, 3])], [vi("y", None)],
         [init("c", np.zeros((4,), np.float32))]), ["do not broadcast"]),
    Case("concat_shape_mismatch", lambda: one("Concat", ["x", "z"], ["y"], [vi("x", [2, 3]),
         vi("z", [3, 3])], [vi("y", None)], axis=1), ["Concat"]),
    Case("slice_zero_step", lambda: one("Slice", ["x", "s", "e", "a", "p"], ["y"], [vi("x", [4])],
         [vi("y", None)], [init("s", np.array([0], np.int64)), init("e", np.array([4], np.int64)),
                           init("a", np.array([0], np.int64)), init("p", np.array([0], np.int64))]),
         ["step"]),
    Case("rank_over_eight", lambda: one("Relu", ["x"], ["y"], [vi("x", [1] * 9)], [vi("y", None)]),
         ["rank 9"]),
    Case("initializer_data_short", lambda: one("MatMul", ["x", "w"], ["y"], [vi("x", [1, 2])],
         [vi("y", None)], [short_tensor(raw=False)]),
         ["initializer 'w'", "holds 3 values", "needs 4"], node=False),
    Case("initializer_raw_data_short", lambda: one("MatMul", ["x", "w"], ["y"], [vi("x", [1, 2])],
         [vi("y", None)], [short_tensor(raw=True)]),
         ["initializer 'w'", "holds 12 bytes of raw data", "needs 16"], node=False),
    Case("declared_output_shape_wrong", lambda: one("Relu", ["x"], ["y"], [vi("x", [2, 3])],
         [vi("y", [3, 2])]), ["graph output 'y' is declared as [3,2] but computes [2,3]"], node=False),
    Case("dynamic_input_dim", lambda: one("Relu", ["x"], ["y"], [vi("x", ["batch", 3])],
         [vi("y", None)]), ["dynamic dimension 0 ('batch')", "--shape"], node=False),
    # --- types -----------------------------------------------------------------
    Case("matmul_int_operands", lambda: one("MatMul", ["x", "w"], ["y"], [vi("x", [2, 2], I64)],
         [vi("y", None)], [init("w", np.zeros((2, 2), np.int64))]), ["int64", "float32"]),
    Case("add_mixed_types", lambda: one("Add", ["x", "c"], ["y"], [vi("x", [2])], [vi("y", None)],
         [init("c", np.zeros(2, np.int64))]), ["float32", "int64"]),
    Case("double_input", lambda: one("Relu", ["x"], ["y"], [vi("x", [2], TensorProto.DOUBLE)],
         [vi("y", None)]), ["graph input 'x'", "DOUBLE"], node=False),
    Case("where_condition_not_bool", lambda: one("Where", ["c", "x", "x"], ["y"], [vi("c", [2]),
         vi("x", [2])], [vi("y", None)]), ["bool"]),
    Case("gather_float_indices", lambda: one("Gather", ["t", "i"], ["y"], [vi("i", [2])],
         [vi("y", None)], [init("t", np.zeros((4, 3), np.float32))]), ["float32"]),
    Case("gather_constant_index_out_of_range", lambda: one("Gather", ["t", "i"], ["y"],
         [vi("x", [1])], [vi("y", None)], [init("t", np.zeros((4, 3), np.float32)),
                                          init("i", np.array([7], np.int64))]), ["range"]),
    # --- graph structure --------------------------------------------------------
    Case("cycle", cyclic, ["'b' is not a graph input", "output of an earlier node"]),
    Case("missing_initializer", lambda: one("MatMul", ["x", "w"], ["y"], [vi("x", [1, 2])],
         [vi("y", None)]), ["input 'w' is not a graph input", "missing initializer"]),
    Case("duplicate_output_name", lambda: model([helper.make_node("Relu", ["x"], ["y"], name="n"),
         helper.make_node("Relu", ["x"], ["y"], name="m")], [vi("x", [2])], [vi("y", [2])]),
         ["node 1 'm' (Relu)", "already defined"], node=False),
    Case("unsupported_operator", lambda: one("NonMaxSuppression", ["x"], ["y"], [vi("x", [2])],
         [vi("y", None)]), ["unsupported operator 'NonMaxSuppression'", "supported:"]),
    Case("unknown_domain", lambda: model([helper.make_node("Relu", ["x"], ["y"], name="n",
         domain="com.example")], [vi("x", [2])], [vi("y", [2])]), ["domain 'com.example'"]),
    Case("too_many_inputs", lambda: one("Relu", ["x", "x"], ["y"], [vi("x", [2])], [vi("y", None)]),
         ["expected 1 inputs, got 2"]),
    Case("missing_inputs", lambda: one("Add", ["x"], ["y"], [vi("x", [2])], [vi("y", None)]),
         ["expected 2 inputs, got 1"]),
    Case("output_not_produced", lambda: one("Relu", ["x"], ["y"], [vi("x", [2])],
         [vi("z", [2])]), ["graph output 'z' is not produced by any node"], node=False),
    Case("no_outputs", lambda: model([helper.make_node("Relu", ["x"], ["y"], name="n")],
         [vi("x", [2])], []), ["no outputs"], node=False),
    Case("opset_too_old", lambda: one("Relu", ["x"], ["y"], [vi("x", [2])], [vi("y", None)],
         opset=3), ["opset 3 is not supported"], node=False),
    Case("constant_with_two_values", lambda: model([helper.make_node("Constant", [], ["c"], name="n",
         value_float=1.0, value_int=2), helper.make_node("Add", ["x", "c"], ["y"], name="m")],
         [vi("x", [2])], [vi("y", None)]), ["exactly one value attribute"]),
    Case("external_data", lambda: _external_data(), ["external data"], node=False),
    # --- model state (metadata kinfer.state) ------------------------------------
    Case("state_not_json", lambda: stateful("{not json"), ["kinfer.state is not a JSON object"],
         node=False),
    Case("state_value_not_a_name", lambda: stateful('{"s_next": 3}'), ["is not a name"],
         node=False),
    Case("state_no_initializer", lambda: stateful('{"s_next": "nope"}'),
         ["names 'nope', which is not a usable initializer"], node=False),
    Case("state_no_output", lambda: stateful('{"nope": "s"}'),
         ["names 'nope', which is not a graph output"], node=False),
    Case("state_twice", lambda: stateful('{"s_next": "s", "y": "s"}'),
         ["names initializer 's' twice"], node=False),
    Case("state_only_outputs", lambda: stateful('{"s_next": "s", "y": "w"}'),
         ["no outputs besides its state"], node=False),
    Case("state_shape_changes", lambda: stateful('{"y": "s"}'),
         ["state 's' is float32[3] but its next value 'y' is float32[2,3]"], node=False),
    # --- bytes that are not a model --------------------------------------------
    Case("truncated_half", truncated(0.5), ["truncated"], node=False),
    Case("truncated_end", truncated(0.99), ["truncated"], node=False),
    Case("truncated_start", truncated(0.02), ["not an ONNX model"], node=False),
    Case("empty_file", lambda: b"", ["empty"], node=False),
    Case("garbage", lambda: b"\xde\xad\xbe\xef" * 64, ["not an ONNX model"], node=False),
    Case("not_utf8_name", lambda: _bad_name(b"x\xff"), ["not valid UTF-8"], node=False),
    Case("control_char_name", lambda: _bad_name(b"x\x1b[2J"), ["control characters"], node=False),
]


def stateful(state: str) -> onnx.ModelProto:
    """y = x + s; s_next = s * 2, with metadata kinfer.state = `state`."""
    m = model([helper.make_node("Add", ["x", "s"], ["y"], name="add"),
               helper.make_node("Mul", ["s", "two"], ["s_next"], name="double")],
              [vi("x", [2, 3])], [vi("y", [2, 3]), vi("s_next", [3])],
              [init("s", np.ones(3, np.float32)), init("two", np.full(3, 2.0, np.float32)),
               init("w", np.ones(3, np.float32))])
    entry = m.metadata_props.add()
    entry.key, entry.value = "kinfer.state", state
    return m


def _external_data() -> onnx.ModelProto:
    m = one("MatMul", ["x", "w"], ["y"], [vi("x", [1, 2])], [vi("y", None)],
            [init("w", np.zeros((2, 2), np.float32))])
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    entry = t.external_data.add()
    entry.key, entry.value = "location", "weights.bin"
    return m


def short_tensor(raw: bool) -> onnx.TensorProto:
    """A [2, 2] float initializer holding three values (helper refuses to make one)."""
    t = onnx.TensorProto(name="w", data_type=F, dims=[2, 2])
    if raw:
        t.raw_data = b"\0" * 12
    else:
        t.float_data.extend([1.0, 2.0, 3.0])
    return t


def _bad_name(name: bytes) -> bytes:
    """A model whose input is named `name`: patched into the bytes in place
    of a placeholder of the same length, so no length prefix changes."""
    placeholder = b"q" * len(name)
    m = one("Relu", [placeholder.decode()], ["y"], [vi(placeholder.decode(), [2])], [vi("y", [2])])
    return m.SerializeToString().replace(placeholder, name)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_model_is_refused(case: Case, tmp_path) -> None:
    built = case.build()
    data = built if isinstance(built, bytes) else raw(built)
    path = tmp_path / f"{case.name}.onnx"
    path.write_bytes(data)
    proc = subprocess.run([KINFER, "inspect", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == EXIT_INVALID, f"exit {proc.returncode}\n{proc.stderr}"
    err = proc.stderr
    assert str(path) in err, err
    assert "internal error" not in err, err
    if case.node:
        assert "node 0 'n' (" in err, err
    for text in case.expect:
        assert text in err, f"{text!r} not in: {err}"

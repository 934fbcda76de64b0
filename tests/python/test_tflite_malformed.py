# SPDX-License-Identifier: GPL-2.0
"""The malformed .tflite corpus: each file is refused, naming the cause.

Every case is a real model from TensorFlow's converter (a tiny int8
Conv2D + Dense network, quantised with a representative dataset) broken in
one way: truncated, a wrong identifier or root offset, a bent vtable,
indices out of range, shapes that do not fit their buffers, absurd
quantisation parameters, sparse or string tensors, two subgraphs, ...
Semantic damage is done on the flatbuffer object API of TensorFlow's
generated schema module and re-packed; structural damage is done on the
bytes.  `kinfer inspect` must exit 3 with a message that names the file,
the tensor or operator at fault and the cause; never crash, never report
an internal error (make test runs this corpus under ASan and UBSan too).
tests/cpp/tflite_reader_test.cpp checks the same causes on models built
in C++.
"""
from __future__ import annotations

import math
import os
import struct
import subprocess
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

from test_cli import EXIT_INVALID, KINFER

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
flatbuffers = pytest.importorskip("flatbuffers")
S = pytest.importorskip("tensorflow.lite.python.schema_py_generated")


def convert() -> bytes:
    """A Conv2D (ReLU) -> Flatten -> Dense network, int8 in and out."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    inp = tf.keras.Input((6, 6, 2), batch_size=1)
    x = tf.keras.layers.Conv2D(3, 3, activation="relu")(inp)
    x = tf.keras.layers.Flatten()(x)
    x = tf.keras.layers.Dense(4)(x)
    conv = tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(inp, x))
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    conv.representative_dataset = lambda: (
        [rng.standard_normal((1, 6, 6, 2)).astype(np.float32)] for _ in range(8))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> bytes:
    return convert()


def unpack(data: bytes):
    return S.ModelT.InitFromPackedBuf(bytearray(data), 0)


def pack(m) -> bytes:
    b = flatbuffers.Builder(0)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def op_of(m, code: int):
    """The first operator whose builtin code is `code`."""
    codes = m.operatorCodes
    for op in m.subgraphs[0].operators:
        c = codes[op.opcodeIndex]
        if max(c.deprecatedBuiltinCode, c.builtinCode) == code:
            return op
    raise AssertionError(f"no operator {code} in the model")


def conv_weights(m) -> int:
    return int(op_of(m, S.BuiltinOperator.CONV_2D).inputs[1])


def conv_bias(m) -> int:
    return int(op_of(m, S.BuiltinOperator.CONV_2D).inputs[2])


def graph_input(m) -> int:
    return int(m.subgraphs[0].inputs[0])


def activation(m) -> int:
    """The Conv2D's output: an int8 tensor without data."""
    return int(op_of(m, S.BuiltinOperator.CONV_2D).outputs[0])


def named(m, i: int) -> str:
    """How the refusal names tensor i (control bytes escaped; the names
    here are ASCII)."""
    raw = m.subgraphs[0].tensors[i].name
    text = "".join(chr(c) if 0x20 <= c < 0x7f else f"\\x{c:02x}" for c in raw)
    return f"tensor {i} '{text}'"


@dataclass
class Case:
    name: str
    # Semantic cases edit the unpacked model and return the phrases the
    # message must hold; structural ones map the bytes to broken bytes.
    edit: Callable | None = None
    raw: Callable[[bytes], bytes] | None = None
    expect: list[str] = field(default_factory=list)


def tensor_edit(pick: Callable, change: Callable, *phrases: str) -> Callable:
    """Applies change(tensor, model) to the tensor pick(model) returns; the
    message must name that tensor and hold the phrases."""
    def edit(m):
        i = pick(m)
        change(m.subgraphs[0].tensors[i], m)
        return [named(m, i), *phrases]
    return edit


def set_scale(values, zero_points=None):
    def change(t, m):
        t.quantization.scale = list(values)
        t.quantization.zeroPoint = list(zero_points if zero_points is not None
                                        else [0] * len(values))
    return change


def set_attr(name, value):
    return lambda t, m: setattr(t, name, value)


def with_conv(change: Callable, *phrases: str) -> Callable:
    def edit(m):
        change(op_of(m, S.BuiltinOperator.CONV_2D), m)
        return ["operator ", "(CONV_2D)", *phrases]
    return edit


def two_subgraphs(m):
    m.subgraphs.append(m.subgraphs[0])
    return ["2 subgraphs", "only one subgraph is supported"]


def no_subgraph(m):
    m.subgraphs = []
    return ["no subgraph"]


def version(m):
    m.version = 2
    return ["schema version 2", "expected 3"]


def opcode_out_of_range(m):
    op = op_of(m, S.BuiltinOperator.CONV_2D)
    op.opcodeIndex = 17
    return ["operator ", "opcode index 17 out of range"]


def graph_input_out_of_range(m):
    m.subgraphs[0].inputs = [1000]
    return ["subgraph 0", "graph input 0: tensor index 1000 out of range"]


def truncate_buffer(t, m):
    m.buffers[t.buffer].data = m.buffers[t.buffer].data[:-1]


def external_buffer(t, m):
    buf = m.buffers[t.buffer]
    buf.data, buf.offset, buf.size = None, 4096, 54


def wrong_options(op, m):
    op.builtinOptionsType = S.BuiltinOptions.AddOptions
    op.builtinOptions = S.AddOptionsT()


def float64(t, m):
    t.type, t.quantization = S.TensorType.FLOAT64, None


def bad_name(t, m):
    t.name = b"evil\x1b[31m\x01"
    t.shape = [1, 0]


def per_channel_mismatch(t, m):
    t.quantization.scale = [0.1, 0.2]
    t.quantization.zeroPoint = [0, 0]


# Offsets inside the file, for the structural cases.
def root(b: bytes) -> int:
    return struct.unpack_from("<I", b, 0)[0]


def vtable(b: bytes) -> int:
    r = root(b)
    return r - struct.unpack_from("<i", b, r)[0]


def patch(b: bytes, off: int, fmt: str, value) -> bytes:
    out = bytearray(b)
    struct.pack_into(fmt, out, off, value)
    return bytes(out)


CORRUPT = "corrupt TFLite flatbuffer"
# Model's vtable: [vtable size, table size, version, operator_codes, subgraphs, ...]
SUBGRAPHS_SLOT = 4 + 2 * 2

CASES = [
    Case("empty", raw=lambda b: b"", expect=["too small", "(0 bytes)"]),
    Case("truncated_7_bytes", raw=lambda b: b[:7], expect=["too small"]),
    Case("truncated_quarter", raw=lambda b: b[:len(b) // 4], expect=[CORRUPT]),
    Case("truncated_half", raw=lambda b: b[:len(b) // 2], expect=[CORRUPT]),
    Case("truncated_last_16", raw=lambda b: b[:-16], expect=[CORRUPT]),
    Case("wrong_identifier", raw=lambda b: b[:4] + b"ONNX" + b[8:],
         expect=["file identifier 'ONNX'", "expected 'TFL3'"]),
    Case("root_offset_past_end", raw=lambda b: patch(b, 0, "<I", len(b) + 64),
         expect=["root table offset", "past the end of the file"]),
    Case("root_vtable_offset_outside", raw=lambda b: patch(b, root(b), "<i", -0x7000000),
         expect=[CORRUPT]),
    Case("vtable_slot_past_end",
         raw=lambda b: patch(b, vtable(b) + SUBGRAPHS_SLOT, "<H", 0xfff0), expect=[CORRUPT]),
    Case("vtable_size_odd", raw=lambda b: patch(b, vtable(b), "<H", 0x7fff), expect=[CORRUPT]),
    Case("schema_version", edit=version),
    Case("two_subgraphs", edit=two_subgraphs),
    Case("no_subgraph", edit=no_subgraph),
    Case("buffer_index_out_of_range", edit=tensor_edit(
        conv_weights, set_attr("buffer", 999), "buffer index 999 out of range")),
    Case("shape_buffer_mismatch", edit=tensor_edit(
        conv_weights, truncate_buffer, "shape/buffer mismatch", "needs 54 bytes", "holds 53")),
    Case("shape_grown_past_buffer", edit=tensor_edit(
        conv_weights, set_attr("shape", [3, 3, 3, 3]), "shape/buffer mismatch")),
    Case("external_buffer", edit=tensor_edit(
        conv_weights, external_buffer, "outside the flatbuffer", "not supported")),
    Case("scale_zero", edit=tensor_edit(
        graph_input, set_scale([0.0]), "scale 0", "not a positive, finite, normal number")),
    Case("scale_negative", edit=tensor_edit(
        graph_input, set_scale([-0.5]), "scale -0.5", "not a positive")),
    Case("scale_nan", edit=tensor_edit(graph_input, set_scale([math.nan]), "scale nan")),
    Case("scale_inf", edit=tensor_edit(graph_input, set_scale([math.inf]), "scale inf")),
    Case("scale_1e38", edit=tensor_edit(graph_input, set_scale([1e38]), "absurd scale 1e+38")),
    Case("scale_subnormal", edit=tensor_edit(
        graph_input, set_scale([1e-40]), "not a positive, finite, normal number")),
    Case("per_channel_scale_nan", edit=tensor_edit(
        conv_weights, set_scale([0.1, math.nan, 0.1]), "channel 1", "scale nan")),
    Case("zero_point_out_of_range", edit=tensor_edit(
        graph_input, set_scale([0.1], [300]), "zero point 300", "out of range for INT8")),
    Case("bias_zero_point_nonzero", edit=tensor_edit(
        conv_bias, set_scale([0.1, 0.1, 0.1], [0, 5, 0]), "zero point 5 (channel 1)",
        "out of range for INT32")),
    Case("scale_zero_point_length_mismatch", edit=tensor_edit(
        conv_weights, set_scale([0.1, 0.1, 0.1], [0, 0]), "scale/zero_point length mismatch")),
    Case("zero_point_missing", edit=tensor_edit(
        conv_weights, set_scale([0.1, 0.1, 0.1], []), "no zero_point")),
    Case("per_channel_count_mismatch", edit=tensor_edit(
        conv_weights, per_channel_mismatch, "2 scales do not match dimension 0")),
    Case("quantized_dimension_out_of_range", edit=tensor_edit(
        conv_weights, lambda t, m: setattr(t.quantization, "quantizedDimension", 4),
        "quantized_dimension 4 out of range for rank 4")),
    Case("opcode_index_out_of_range", edit=opcode_out_of_range),
    Case("tensor_index_out_of_range", edit=with_conv(
        lambda op, m: op.inputs.__setitem__(0, 99), "input 0: tensor index 99 out of range")),
    Case("output_index_minus_one", edit=with_conv(
        lambda op, m: op.outputs.__setitem__(0, -1), "output 0: tensor index -1 out of range")),
    Case("options_of_another_operator", edit=with_conv(
        wrong_options, "do not belong to this operator")),
    Case("graph_input_out_of_range", edit=graph_input_out_of_range),
    Case("negative_dim", edit=tensor_edit(
        activation, set_attr("shape", [1, 4, -4, 3]), "negative dimension -4 at axis 2")),
    Case("dynamic_dim", edit=tensor_edit(
        graph_input, set_attr("shape", [-1, 6, 6, 2]), "dynamic dimension (-1)")),
    Case("zero_dim", edit=tensor_edit(
        activation, set_attr("shape", [1, 0, 4, 3]), "zero-sized dimension at axis 1")),
    Case("huge_dims_overflow", edit=tensor_edit(
        activation, set_attr("shape", [65536, 65536, 65536, 65536]), "larger than 2 GiB")),
    Case("rank_9", edit=tensor_edit(
        activation, set_attr("shape", [1] * 8 + [48]), "rank 9 exceeds 8")),
    Case("sparsity", edit=tensor_edit(
        conv_weights, set_attr("sparsity", S.SparsityParametersT()),
        "sparse tensors are not supported")),
    Case("string_tensor", edit=tensor_edit(
        activation, set_attr("type", S.TensorType.STRING), "string tensors are not supported")),
    Case("float64_activation", edit=tensor_edit(
        activation, float64, "type FLOAT64 is not supported")),
    Case("control_characters_in_name", edit=tensor_edit(
        activation, bad_name, "'evil\\x1b[31m\\x01'", "zero-sized dimension")),
]


def inspect(path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KINFER, "inspect", str(path)], capture_output=True, text=True,
                          timeout=120)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


def test_repacking_alone_changes_nothing(real, tmp_path) -> None:
    """The object API round trip is faithful: the unmutated re-pack gets
    the answer the converter's file gets, so each case below fails for its
    one mutation only."""
    a, b = tmp_path / "real.tflite", tmp_path / "repacked.tflite"
    a.write_bytes(real)
    b.write_bytes(pack(unpack(real)))
    ra, rb = inspect(a), inspect(b)
    assert ra.returncode == rb.returncode, f"{ra.stderr}\n{rb.stderr}"
    assert ra.stderr.replace(str(a), "") == rb.stderr.replace(str(b), "")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_tflite_is_refused(case: Case, real, tmp_path) -> None:
    if case.raw:
        data, expect = case.raw(real), case.expect
    else:
        m = unpack(real)
        expect = case.edit(m)
        data = pack(m)
    path = tmp_path / f"{case.name}.tflite"
    path.write_bytes(data)
    proc = inspect(path)
    err = proc.stderr
    assert proc.returncode == EXIT_INVALID, f"exit {proc.returncode}\n{err}"
    assert f"{path}: " in err, err
    assert "internal error" not in err, err
    assert "runtime error:" not in err, err     # UBSan, when it recovers
    for text in expect:
        assert text in err, f"{text!r} not in: {err}"

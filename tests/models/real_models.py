#!/usr/bin/env python3
"""Three real models for kinfer's tests, built as ONNX exporters write them.

* ``resnet``: a ResNet-style CNN on a 3x32x32 image: a 3x3 stem, two
  residual blocks (the second strided, with a 1x1 projection), each
  Conv + BatchNormalization + Relu, max pooling, global average pooling
  and a Gemm classifier with softmax.
* ``bilstm``: a 2-layer bidirectional LSTM over a [seq, batch, 16]
  sequence, the second layer reading the first one's forward and backward
  outputs concatenated, as PyTorch's exporter lays them out.
* ``minilm_shaped``: the same encoder at all-MiniLM-L6-v2's dimensions and
  128 tokens (85 MiB of weights), for the default arena and work budget.
* ``transformer``: a 4-layer transformer encoder (hidden 256, 4 heads, FFN
  1024, exact GELU, post-LayerNorm) over token ids with an attention mask:
  token and position embeddings (the token table, 16384 x 256 floats, is one
  16 MiB tensor; 28.6 MiB of weights in all), multi-head attention with
  the mask added to the scores, residual connections.

Weights are random (seeded) and scaled as trained networks keep them, so
activations stay in range.  ``write(name, out_dir, samples)`` saves
model.onnx, inputs and ONNX Runtime's outputs (the reference).

Usage: real_models.py OUT_DIR [--samples N]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class Builder:
    def __init__(self, name: str, seed: int) -> None:
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.n = 0

    def tmp(self, hint: str) -> str:
        self.n += 1
        return f"{hint}_{self.n}"

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def weight(self, name: str, shape: tuple[int, ...], fan_in: int) -> str:
        w = self.rng.standard_normal(shape).astype(np.float32) / np.sqrt(fan_in)
        return self.const(name, w.astype(np.float32))

    def op(self, op_type: str, inputs: list[str], name: str, n_out: int = 1, **attrs) -> list[str]:
        outs = [f"{name}/out{i}" if n_out > 1 else f"{name}/out" for i in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=name, **attrs))
        return outs

    def model(self, inputs, outputs) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, self.name, inputs, outputs, self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="kinfer-tests")
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


# -------------------------------------------------------------------- resnet


def conv_bn(b: Builder, x: str, cin: int, cout: int, k: int, stride: int, name: str,
            relu: bool = True) -> str:
    w = b.weight(f"{name}/conv/kernel", (cout, cin, k, k), cin * k * k)
    (y,) = b.op("Conv", [x, w], f"{name}/conv", kernel_shape=[k, k], strides=[stride, stride],
                pads=[k // 2] * 4)
    g = b.rng
    scale = b.const(f"{name}/bn/scale", (1.0 + 0.1 * g.standard_normal(cout)).astype(np.float32))
    bias = b.const(f"{name}/bn/bias", (0.1 * g.standard_normal(cout)).astype(np.float32))
    mean = b.const(f"{name}/bn/mean", (0.1 * g.standard_normal(cout)).astype(np.float32))
    var = b.const(f"{name}/bn/var", (0.5 + g.random(cout)).astype(np.float32))
    (y,) = b.op("BatchNormalization", [y, scale, bias, mean, var], f"{name}/bn", epsilon=1e-5)
    if relu:
        (y,) = b.op("Relu", [y], f"{name}/relu")
    return y


def residual(b: Builder, x: str, cin: int, cout: int, stride: int, name: str) -> str:
    y = conv_bn(b, x, cin, cout, 3, stride, f"{name}/a")
    y = conv_bn(b, y, cout, cout, 3, 1, f"{name}/b", relu=False)
    skip = x if stride == 1 and cin == cout else conv_bn(b, x, cin, cout, 1, stride,
                                                         f"{name}/proj", relu=False)
    (y,) = b.op("Add", [y, skip], f"{name}/add")
    (y,) = b.op("Relu", [y], f"{name}/relu")
    return y


def resnet() -> tuple[onnx.ModelProto, dict[str, tuple]]:
    b = Builder("resnet", 1)
    y = conv_bn(b, "image", 3, 16, 3, 1, "stem")
    (y,) = b.op("MaxPool", [y], "pool", kernel_shape=[2, 2], strides=[2, 2])
    y = residual(b, y, 16, 16, 1, "block1")
    y = residual(b, y, 16, 32, 2, "block2")
    (y,) = b.op("GlobalAveragePool", [y], "gap")
    (y,) = b.op("Flatten", [y], "flatten")
    w = b.weight("head/kernel", (32, 10), 32)
    bias = b.const("head/bias", np.zeros(10, np.float32))
    (y,) = b.op("Gemm", [y, w, bias], "head")
    b.nodes.append(helper.make_node("Softmax", [y], ["probs"], name="softmax", axis=-1))
    m = b.model([helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 32, 32])],
                [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 10])])
    return m, {"image": ((1, 3, 32, 32), np.float32)}


# -------------------------------------------------------------------- bilstm


def lstm_layer(b: Builder, x: str, din: int, hidden: int, name: str) -> tuple[str, str]:
    g = b.rng
    s = 1.0 / np.sqrt(hidden)
    w = b.const(f"{name}/W", (s * g.standard_normal((2, 4 * hidden, din))).astype(np.float32))
    r = b.const(f"{name}/R", (s * g.standard_normal((2, 4 * hidden, hidden))).astype(np.float32))
    bias = b.const(f"{name}/B", (0.1 * g.standard_normal((2, 8 * hidden))).astype(np.float32))
    y, yh = b.op("LSTM", [x, w, r, bias], name, n_out=2, hidden_size=hidden,
                 direction="bidirectional")
    return y, yh


def bilstm(seq: int = 8, batch: int = 2, din: int = 16, hidden: int = 32):
    b = Builder("bilstm", 2)
    y1, _ = lstm_layer(b, "x", din, hidden, "lstm1")            # [seq, 2, batch, hidden]
    (t,) = b.op("Transpose", [y1], "lstm1/merge_dirs", perm=[0, 2, 1, 3])
    shape = b.const("lstm1/shape", np.array([seq, batch, 2 * hidden], np.int64))
    (x2,) = b.op("Reshape", [t, shape], "lstm1/concat")         # [seq, batch, 2*hidden]
    y2, yh2 = lstm_layer(b, x2, 2 * hidden, hidden, "lstm2")
    b.nodes.append(helper.make_node("Identity", [y2], ["y"], name="y"))
    b.nodes.append(helper.make_node("Identity", [yh2], ["y_h"], name="y_h"))
    m = b.model([helper.make_tensor_value_info("x", TensorProto.FLOAT, [seq, batch, din])],
                [helper.make_tensor_value_info("y", TensorProto.FLOAT, [seq, 2, batch, hidden]),
                 helper.make_tensor_value_info("y_h", TensorProto.FLOAT, [2, batch, hidden])])
    return m, {"x": ((seq, batch, din), np.float32)}


# ------------------------------------------------------------- transformer


def layer_norm(b: Builder, x: str, d: int, name: str) -> str:
    g = b.rng
    scale = b.const(f"{name}/scale", (1.0 + 0.05 * g.standard_normal(d)).astype(np.float32))
    bias = b.const(f"{name}/bias", (0.05 * g.standard_normal(d)).astype(np.float32))
    (y,) = b.op("LayerNormalization", [x, scale, bias], name, axis=-1, epsilon=1e-5)
    return y


def dense(b: Builder, x: str, din: int, dout: int, name: str) -> str:
    w = b.weight(f"{name}/kernel", (din, dout), din)
    bias = b.const(f"{name}/bias", (0.02 * b.rng.standard_normal(dout)).astype(np.float32))
    (y,) = b.op("MatMul", [x, w], f"{name}/MatMul")
    (y,) = b.op("Add", [y, bias], f"{name}/Add")
    return y


def gelu(b: Builder, x: str, name: str) -> str:
    """Exact GELU as exporters write it: 0.5 * x * (1 + erf(x / sqrt(2)))."""
    (t,) = b.op("Div", [x, b.const(f"{name}/sqrt2", np.array(np.sqrt(2.0), np.float32))],
                f"{name}/div")
    (t,) = b.op("Erf", [t], f"{name}/erf")
    (t,) = b.op("Add", [t, b.const(f"{name}/one", np.array(1.0, np.float32))], f"{name}/add")
    (t,) = b.op("Mul", [x, t], f"{name}/mul")
    (t,) = b.op("Mul", [t, b.const(f"{name}/half", np.array(0.5, np.float32))], f"{name}/half_mul")
    return t


def encoder_layer(b: Builder, x: str, mask: str, seq: int, d: int, heads: int, ffn: int,
                  name: str) -> str:
    dh = d // heads
    qkv = dense(b, x, d, 3 * d, f"{name}/attention/qkv")        # [1, seq, 3d]
    q, k, v = b.op("Split", [qkv, b.const(f"{name}/split", np.array([d, d, d], np.int64))],
                   f"{name}/attention/split", n_out=3, axis=-1)
    hshape = b.const(f"{name}/heads_shape", np.array([1, seq, heads, dh], np.int64))

    def heads_of(t: str, tag: str, perm: list[int]) -> str:
        (r,) = b.op("Reshape", [t, hshape], f"{name}/attention/{tag}_heads")
        (r,) = b.op("Transpose", [r], f"{name}/attention/{tag}_t", perm=perm)
        return r

    qh = heads_of(q, "q", [0, 2, 1, 3])                          # [1, h, seq, dh]
    kh = heads_of(k, "k", [0, 2, 3, 1])                          # [1, h, dh, seq]
    vh = heads_of(v, "v", [0, 2, 1, 3])
    (s,) = b.op("MatMul", [qh, kh], f"{name}/attention/scores")
    (s,) = b.op("Mul", [s, b.const(f"{name}/scale", np.array(1 / np.sqrt(dh), np.float32))],
                f"{name}/attention/scaled")
    (s,) = b.op("Add", [s, mask], f"{name}/attention/masked")
    (p,) = b.op("Softmax", [s], f"{name}/attention/softmax", axis=-1)
    (c,) = b.op("MatMul", [p, vh], f"{name}/attention/context")  # [1, h, seq, dh]
    (c,) = b.op("Transpose", [c], f"{name}/attention/merge_t", perm=[0, 2, 1, 3])
    (c,) = b.op("Reshape", [c, b.const(f"{name}/merge_shape", np.array([1, seq, d], np.int64))],
                f"{name}/attention/merge")
    a = dense(b, c, d, d, f"{name}/attention/output")
    (x1,) = b.op("Add", [x, a], f"{name}/attention/residual")
    x1 = layer_norm(b, x1, d, f"{name}/attention/LayerNorm")
    h = dense(b, x1, d, ffn, f"{name}/ffn/intermediate")
    h = gelu(b, h, f"{name}/ffn/gelu")
    h = dense(b, h, ffn, d, f"{name}/ffn/output")
    (x2,) = b.op("Add", [x1, h], f"{name}/ffn/residual")
    return layer_norm(b, x2, d, f"{name}/ffn/LayerNorm")


def transformer(seq: int = 16, vocab: int = 16384, d: int = 256, heads: int = 4,
                ffn: int = 1024, layers: int = 4):
    b = Builder("transformer", 3)
    tok = b.const("embeddings/word", (0.5 * b.rng.standard_normal((vocab, d))).astype(np.float32))
    pos = b.const("embeddings/position",
                  (0.1 * b.rng.standard_normal((1, seq, d))).astype(np.float32))
    (x,) = b.op("Gather", [tok, "input_ids"], "embeddings/lookup", axis=0)   # [1, seq, d]
    (x,) = b.op("Add", [x, pos], "embeddings/add_position")
    x = layer_norm(b, x, d, "embeddings/LayerNorm")
    # mask [1, seq] of 1/0 -> (1 - mask) * -10000 as [1, 1, 1, seq], added to the scores.
    (m,) = b.op("Sub", [b.const("mask/one", np.array(1.0, np.float32)), "attention_mask"],
                "mask/invert")
    (m,) = b.op("Mul", [m, b.const("mask/big", np.array(-10000.0, np.float32))], "mask/scale")
    (m,) = b.op("Unsqueeze", [m, b.const("mask/axes", np.array([1, 2], np.int64))], "mask/expand")
    for i in range(layers):
        x = encoder_layer(b, x, m, seq, d, heads, ffn, f"layer_{i}")
    b.nodes.append(helper.make_node("Identity", [x], ["hidden"], name="hidden"))
    model = b.model(
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, seq]),
         helper.make_tensor_value_info("attention_mask", TensorProto.FLOAT, [1, seq])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, [1, seq, d])])
    return model, {"input_ids": ((1, seq), np.int64), "attention_mask": ((1, seq), np.float32)}


def minilm_shaped():
    """all-MiniLM-L6-v2's shape at 128 tokens (random weights): what the
    module's default arena and work budget must hold."""
    return transformer(seq=128, vocab=30522, d=384, heads=12, ffn=1536, layers=6)


MODELS = {"resnet": resnet, "bilstm": bilstm, "transformer": transformer,
          "minilm_shaped": minilm_shaped}


def random_inputs(spec: dict[str, tuple], rng: np.random.Generator, vocab: int = 16384):
    """Random inputs; token ids below `vocab` (every model's table is at least that)."""
    feeds = {}
    for name, (shape, dtype) in spec.items():
        if name == "input_ids":
            feeds[name] = rng.integers(0, vocab, size=shape, dtype=np.int64)
        elif name == "attention_mask":
            mask = np.ones(shape, np.float32)
            mask[..., shape[-1] - int(rng.integers(0, shape[-1] // 2)):] = 0.0   # padding
            feeds[name] = mask
        else:
            feeds[name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def weight_bytes(model: onnx.ModelProto) -> tuple[int, int]:
    sizes = [numpy_helper.to_array(t).nbytes for t in model.graph.initializer]
    return sum(sizes), max(sizes)


def write(name: str, out: Path, samples: int) -> None:
    import onnxruntime as ort

    model, spec = MODELS[name]()
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out / "model.onnx"))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(out / "model.onnx"), opts,
                                providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(100 + len(name))
    for i in range(samples):
        feeds = random_inputs(spec, rng)
        for k, (inp, value) in enumerate(feeds.items()):
            np.save(out / f"input_{i}_{k}.npy", value)
        for k, value in enumerate(sess.run(None, feeds)):
            np.save(out / f"expected_{i}_{k}.npy", value)
    total, largest = weight_bytes(model)
    print(f"{name}: {len(model.graph.node)} nodes, weights {total / 2**20:.1f} MiB "
          f"(largest tensor {largest / 2**20:.1f} MiB), {samples} samples -> {out}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--only", choices=sorted(MODELS))
    ap.add_argument("--skip", choices=sorted(MODELS), action="append", default=[])
    args = ap.parse_args(argv)
    for name in MODELS:
        if args.only in (None, name) and name not in args.skip:
            write(name, args.out / name, args.samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())

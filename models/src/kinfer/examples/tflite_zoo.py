"""The .tflite test zoo: TFLite files kinfer's .tflite reader is tested on,
with the TFLite interpreter's outputs as the reference.

Three files come from the Keras zoo's CNN (kinfer.examples.keras_zoo,
trained the same way), converted with ``tf.lite.TFLiteConverter.from_keras_model``
as a user would (so batch 1, with the dynamic batch that makes Flatten a
SHAPE / STRIDED_SLICE / PACK / RESHAPE chain):

- ``cnn_int8``: full integer quantisation from a representative dataset,
  int8 input and output;
- ``cnn_int8_float_io``: the same with float32 input and output (QUANTIZE and
  DEQUANTIZE at the edges);
- ``cnn_float``: no optimisation, a float .tflite.

The ``op_*`` files are tiny single-purpose models, each trained for a few
steps on random data and fully integer quantised, that together hold every
builtin kinfer's int8 kernels implement. Each entry names the operators it
must contain (builtin and options, see :func:`describe`): the generator
fails when the converter stops emitting one, so a converter change is seen.

``python -m kinfer.examples.tflite_zoo OUTDIR [--only NAME ...]`` writes for
each entry ``OUTDIR/<name>.tflite``, ``<name>.input.npy`` (samples of the
training distribution, quantised with the input tensor's scale and zero
point when the input is int8), the interpreter's outputs ``<name>.ref.npy``
(default kernels) and ``<name>.ref_builtin_ref.npy`` (the reference kernels,
``OpResolverType.BUILTIN_REF``), for the CNNs ``<name>.tf.npy`` (the float
Keras model's output), and ``<name>.json``: inputs, outputs (name, shape,
dtype, quantisation), the operators with their options and weight
quantisation, and ``batch``: the model's batch. When the input holds more
samples than that, each run takes ``batch`` of them and the references are
the runs' outputs concatenated.

TensorFlow is imported on first use, not with this module.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ZOO", "Entry", "convert", "describe", "main", "operators", "write"]

#: samples in the representative dataset the quantiser calibrates on
REPRESENTATIVE = 48
#: samples run through the CNNs (each run is one, their batch is 1)
CNN_SAMPLES = 8


@dataclass(frozen=True)
class Entry:
    """A zoo file: how to build its Keras model and how to convert it.

    ``build(keras)`` returns an untrained functional model whose input has a
    fixed batch (except the CNNs'). ``requires`` are regular expressions
    each of which must match one line of :func:`describe` of the file.
    """

    build: Callable[[Any], Any]
    requires: tuple[str, ...]
    mode: str = "int8"  # int8 | int8_float_io | float | float_in | float_out
    seed: int = 0
    cnn: bool = False


# ---------------------------------------------------------------- models


def _cnn(keras: Any) -> Any:
    """The Keras zoo's CNN, trained as keras_zoo trains it."""
    from kinfer.examples import keras_zoo

    return keras_zoo.trained("cnn").model


def _fully_connected(keras: Any) -> Any:
    x = keras.Input((16,), batch_size=4, name="features")
    h = keras.layers.Dense(12, activation="relu")(x)
    return keras.Model(x, keras.layers.Dense(5)(h), name="op_fully_connected")


def _conv_2d(keras: Any) -> Any:
    L = keras.layers
    x = keras.Input((12, 12, 3), batch_size=2, name="image")
    h = L.Conv2D(6, 3, padding="same")(x)
    h = L.Conv2D(6, 3, strides=2, padding="valid", activation="relu")(h)
    h = L.Conv2D(4, 3, dilation_rate=2, padding="same", activation="relu6")(h)
    return keras.Model(x, h, name="op_conv_2d")


def _depthwise_conv_2d(keras: Any) -> Any:
    L = keras.layers
    x = keras.Input((10, 10, 3), batch_size=2, name="image")
    h = L.DepthwiseConv2D(3, depth_multiplier=1, padding="same")(x)
    h = L.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding="valid", activation="relu")(h)
    return keras.Model(x, h, name="op_depthwise_conv_2d")


def _add(keras: Any) -> Any:
    L = keras.layers
    x = keras.Input((6, 6, 4), batch_size=2, name="image")
    a = L.Conv2D(4, 1)(x)
    b = L.Activation("tanh")(L.Conv2D(4, 3, padding="same")(x))  # scale fixed at 1/128
    h = L.Add()([a, b])  # two branches, their scales far apart
    # broadcast: (2,6,6,4) + (2,1,1,4), a per-sample, per-channel offset
    s = L.Dense(4)(L.GlobalAveragePooling2D(keepdims=True)(x))
    return keras.Model(x, L.Add()([h, s]), name="op_add")


def _mul(keras: Any) -> Any:
    L = keras.layers
    x = keras.Input((6, 6, 4), batch_size=2, name="image")
    a = L.Conv2D(4, 1)(x)
    b = L.Conv2D(4, 1, activation="relu")(x)
    h = L.Multiply()([a, b])
    s = L.Dense(4)(L.GlobalAveragePooling2D(keepdims=True)(x))
    return keras.Model(x, L.Multiply()([h, s]), name="op_mul")


def _pool(kind: str) -> Callable[[Any], Any]:
    def build(keras: Any) -> Any:
        L = keras.layers
        pool = L.MaxPooling2D if kind == "max" else L.AveragePooling2D
        x = keras.Input((9, 9, 4), batch_size=2, name="image")
        h = L.Conv2D(4, 1)(x)
        a = pool(3, strides=2, padding="same")(h)  # 5x5, the edge windows partial
        b = pool(3, strides=2, padding="valid")(h)  # 4x4
        b = pool(2, strides=1, padding="same")(b)  # 4x4, window 2 at the far edge
        y = L.Concatenate()([L.Flatten()(a), L.Flatten()(b)])
        return keras.Model(x, y, name=f"op_{kind}_pool_2d")

    return build


def _reshape(keras: Any) -> Any:
    L = keras.layers
    x = keras.Input((4, 6), batch_size=2, name="sequence")
    h = L.Dense(6)(x)
    h = L.Reshape((3, 8))(h)
    h = L.Dense(5)(h)
    return keras.Model(x, L.Reshape((15,))(h), name="op_reshape")


def _activation(act: str) -> Callable[[Any], Any]:
    def build(keras: Any) -> Any:
        x = keras.Input((12,), batch_size=3, name="features")
        h = keras.layers.Dense(10)(x)
        h = keras.layers.Activation(act)(keras.layers.Dense(10)(h))
        return keras.Model(x, h, name=f"op_{act}")

    return build


def _concatenation(keras: Any) -> Any:
    L = keras.layers
    x = keras.Input((5, 5, 3), batch_size=2, name="image")
    a = L.Conv2D(4, 1)(x)
    b = L.Conv2D(2, 3, padding="same", activation="relu")(x)
    c = L.Concatenate(axis=-1)([a, b])  # channels: (2,5,5,6)
    d = L.Conv2D(6, 3, strides=(2, 1), padding="same")(x)  # (2,3,5,6)
    return keras.Model(x, L.Concatenate(axis=1)([c, d]), name="op_concatenation")  # rows: (2,8,5,6)


def _requantize(keras: Any) -> Any:
    """The quantiser gives all inputs of an int8 concatenation its output's
    scale (TFLite's kernel requires it). LOGISTIC's and TANH's outputs have
    fixed scales (1/256, 1/128), so it requantises them (QUANTIZE int8 ->
    int8) to the concatenation's."""
    L = keras.layers
    x = keras.Input((5, 5, 3), batch_size=2, name="image")
    a = L.Conv2D(4, 1)(x)
    b = L.Activation("sigmoid")(L.Conv2D(2, 3, padding="same")(x))
    c = L.Activation("tanh")(L.Conv2D(3, 1)(x))
    return keras.Model(x, L.Concatenate()([a, b, c]), name="op_quantize")


def _mean(keras: Any) -> Any:
    L = keras.layers
    x = keras.Input((6, 6, 4), batch_size=2, name="image")
    h = L.Conv2D(8, 1)(x)
    g = L.GlobalAveragePooling2D()(h)  # reduce_mean over H, W
    r = L.Lambda(lambda t: keras.ops.mean(t, axis=2))(h)  # over W only: (2, 6, 8)
    y = L.Concatenate()([g, L.Flatten()(r)])
    return keras.Model(x, y, name="op_mean")


def _dense_edges(name: str) -> Callable[[Any], Any]:
    def build(keras: Any) -> Any:
        x = keras.Input((8,), batch_size=4, name="features")
        return keras.Model(x, keras.layers.Dense(6)(x), name=name)

    return build


_FC = r"FULLY_CONNECTED\b"
ZOO: dict[str, Entry] = {
    "cnn_int8": Entry(
        _cnn,
        (
            "CONV_2D",
            "DEPTHWISE_CONV_2D",
            "FULLY_CONNECTED",
            "MAX_POOL_2D",
            "AVERAGE_POOL_2D",
            "LOGISTIC",
            "RESHAPE",
        ),
        cnn=True,
    ),
    "cnn_int8_float_io": Entry(
        _cnn,
        ("^QUANTIZE in=FLOAT32", "^DEQUANTIZE in=INT8.* out=FLOAT32", "CONV_2D"),
        mode="int8_float_io",
        cnn=True,
    ),
    "cnn_float": Entry(
        _cnn, ("CONV_2D .*in=FLOAT32", "FULLY_CONNECTED .*in=FLOAT32"), mode="float", cnn=True
    ),
    "op_fully_connected": Entry(
        _fully_connected, (_FC + r".*act=RELU\b", _FC + r".*act=NONE", r"in=INT8\[4,16\]")
    ),
    "op_conv_2d": Entry(
        _conv_2d,
        (
            r"CONV_2D .*padding=SAME.*stride=1,1 dilation=1,1",
            r"CONV_2D .*padding=VALID.*stride=2,2",
            r"CONV_2D .*dilation=2,2 .*act=RELU6",
        ),
    ),
    "op_depthwise_conv_2d": Entry(
        _depthwise_conv_2d,
        (r"DEPTHWISE_CONV_2D .*depth_multiplier=1\b", r"DEPTHWISE_CONV_2D .*depth_multiplier=2\b"),
    ),
    "op_add": Entry(
        _add,
        (
            r"^ADD in=INT8\[2,6,6,4\],INT8\[2,6,6,4\] .*scales=mixed",
            r"^ADD in=INT8\[2,6,6,4\],INT8\[2,1,1,4\]",
            "MEAN",
        ),
    ),
    "op_mul": Entry(
        _mul,
        (r"^MUL in=INT8\[2,6,6,4\],INT8\[2,6,6,4\]", r"^MUL in=INT8\[2,6,6,4\],INT8\[2,1,1,4\]"),
    ),
    "op_average_pool_2d": Entry(
        _pool("avg"), (r"AVERAGE_POOL_2D .*padding=SAME", r"AVERAGE_POOL_2D .*padding=VALID")
    ),
    "op_max_pool_2d": Entry(
        _pool("max"), (r"MAX_POOL_2D .*padding=SAME", r"MAX_POOL_2D .*padding=VALID")
    ),
    "op_reshape": Entry(_reshape, (r"^RESHAPE in=INT8",)),
    "op_softmax": Entry(_activation("softmax"), (r"^SOFTMAX in=INT8",)),
    "op_logistic": Entry(_activation("sigmoid"), (r"^LOGISTIC in=INT8",)),
    "op_tanh": Entry(_activation("tanh"), (r"^TANH in=INT8",)),
    "op_concatenation": Entry(
        _concatenation,
        (
            r"^CONCATENATION in=INT8\[2,5,5,4\],INT8\[2,5,5,2\] .*axis=-1",
            r"^CONCATENATION in=INT8\[2,5,5,6\],INT8\[2,3,5,6\] .*axis=1",
        ),
    ),
    "op_mean": Entry(
        _mean,
        (
            r"^MEAN in=INT8\[2,6,6,8\],INT32\[2\]",
            r"^MEAN in=INT8\[2,6,6,8\],INT32\[1?\]c out=INT8\[2,6,8\]",
        ),
    ),
    "op_quantize": Entry(_requantize, (r"^QUANTIZE in=INT8.* out=INT8",)),
    "op_quantize_float_in": Entry(
        _dense_edges("op_quantize_float_in"), (r"^QUANTIZE in=FLOAT32.* out=INT8",), mode="float_in"
    ),
    "op_dequantize": Entry(
        _dense_edges("op_dequantize"), (r"^DEQUANTIZE in=INT8.* out=FLOAT32",), mode="float_out"
    ),
}


# ------------------------------------------------------------ converting


def _samples(shape: Sequence[int], count: int, seed: int) -> np.ndarray:
    """Samples of the distribution every zoo model is trained on: N(0, 1)."""
    return np.random.default_rng(seed).normal(size=(count, *shape)).astype(np.float32)


def _train(model: Any, seed: int) -> None:
    """A few Adam steps on random data, so that no weight is at its initial value."""
    rng = np.random.default_rng(seed)
    batch = int(model.inputs[0].shape[0])
    xs = rng.normal(size=(8 * batch, *model.inputs[0].shape[1:])).astype(np.float32)
    ys = rng.normal(size=(8 * batch, *model.outputs[0].shape[1:])).astype(np.float32)
    model.compile(optimizer="adam", loss="mse")
    model.fit(xs, ys, epochs=2, batch_size=batch, verbose=0)


def convert(model: Any, representative: np.ndarray | None, mode: str = "int8") -> bytes:
    """``model`` as a .tflite flatbuffer. ``mode``: ``float`` (no
    optimisation), or full integer quantisation calibrated on
    ``representative`` (its first axis: runs of the model's batch) with
    int8 input and output (``int8``), float ones (``int8_float_io``), or
    float on one side only (``float_in``, ``float_out``)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if mode != "float":
        assert representative is not None

        def dataset() -> Iterator[list[np.ndarray]]:
            for sample in representative:
                yield [sample]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = dataset
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = (
            tf.float32 if mode in ("int8_float_io", "float_in") else tf.int8
        )
        converter.inference_output_type = (
            tf.float32 if mode in ("int8_float_io", "float_out") else tf.int8
        )
    with contextlib.redirect_stdout(sys.stderr):  # Keras's "Saved artifact at ..."
        return bytes(converter.convert())


# -------------------------------------------------------------- analysing

_TYPES = {
    0: "FLOAT32",
    1: "FLOAT16",
    2: "INT32",
    3: "UINT8",
    4: "INT64",
    6: "BOOL",
    7: "INT16",
    9: "INT8",
}
_ACT = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}
_PAD = {0: "SAME", 1: "VALID"}


def _schema() -> Any:
    from tensorflow.lite.python import schema_py_generated

    return schema_py_generated


def _quant(tensor: Any) -> dict[str, Any] | None:
    q = tensor.quantization
    if q is None or q.scale is None or len(q.scale) == 0:
        return None
    return {
        "scale": [float(s) for s in q.scale],
        "zero_point": [int(z) for z in q.zeroPoint],
        "quantized_dimension": int(q.quantizedDimension),
    }


def _options(op: Any) -> dict[str, Any]:
    o = op.builtinOptions
    if o is None:
        return {}
    out = {}
    for key, value in vars(o).items():
        if isinstance(value, (bool, int, float)):
            out[key] = value
        elif isinstance(value, (list, np.ndarray)):
            out[key] = [int(v) for v in value]
    return out


def operators(flatbuffer: bytes) -> list[dict[str, Any]]:
    """The operators of subgraph 0, in order: builtin name, options, and
    each input and output tensor's type, shape, quantisation and whether it
    holds constant data (weights, biases, shape operands)."""
    s = _schema()
    names = {v: k for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_")}
    model = s.ModelT.InitFromPackedBuf(flatbuffer, 0)
    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in model.operatorCodes]
    graph = model.subgraphs[0]

    def tensor(i: int) -> dict[str, Any] | None:
        if i < 0:
            return None
        t = graph.tensors[i]
        buf = model.buffers[t.buffer] if t.buffer else None
        return {
            "index": i,
            "name": t.name.decode() if isinstance(t.name, bytes) else t.name,
            "type": _TYPES.get(t.type, f"type {t.type}"),
            "shape": [int(d) for d in (t.shape if t.shape is not None else [])],
            "constant": bool(buf is not None and buf.data is not None and len(buf.data) > 0),
            "quant": _quant(t),
        }

    ops = []
    for op in graph.operators:
        ops.append(
            {
                "op": names.get(codes[op.opcodeIndex], f"builtin {codes[op.opcodeIndex]}"),
                "version": int(model.operatorCodes[op.opcodeIndex].version),
                "options": _options(op),
                "inputs": [tensor(int(i)) for i in op.inputs],
                "outputs": [tensor(int(i)) for i in op.outputs],
            }
        )
    return ops


def _granularity(t: dict[str, Any]) -> str:
    q = t["quant"]
    if q is None:
        return "float"
    n = len(q["scale"])
    return f"per-channel({n},axis={q['quantized_dimension']})" if n > 1 else "per-tensor"


def describe(op: dict[str, Any]) -> str:
    """One line for an operator, e.g. ``CONV_2D in=INT8[2,12,12,3],
    INT8[6,3,3,3]c,INT32[6]c out=INT8[2,12,12,6] padding=SAME stride=1,1
    dilation=1,1 act=NONE weights=per-channel(6,axis=0)`` (c: constant)."""

    def t(x: dict[str, Any] | None) -> str:
        if x is None:
            return "-"
        return f"{x['type']}[{','.join(map(str, x['shape']))}]" + ("c" if x["constant"] else "")

    o = op["options"]
    parts = [
        op["op"],
        "in=" + ",".join(t(x) for x in op["inputs"]),
        "out=" + ",".join(t(x) for x in op["outputs"]),
    ]
    if "padding" in o:
        parts.append(f"padding={_PAD.get(o['padding'], o['padding'])}")
    if "strideW" in o:
        parts.append(f"stride={o['strideH']},{o['strideW']}")
    if "dilationWFactor" in o:
        parts.append(f"dilation={o['dilationHFactor']},{o['dilationWFactor']}")
    if "filterWidth" in o:
        parts.append(f"filter={o['filterHeight']},{o['filterWidth']}")
    if "depthMultiplier" in o:
        parts.append(f"depth_multiplier={o['depthMultiplier']}")
    for key in ("axis", "keepDims", "keepNumDims", "beta", "newShape"):
        if key in o:
            parts.append(f"{key}={o[key]}")
    if "fusedActivationFunction" in o:
        parts.append(f"act={_ACT.get(o['fusedActivationFunction'], o['fusedActivationFunction'])}")
    scales = {
        x["quant"]["scale"][0] for x in op["inputs"] if x and x["quant"] and not x["constant"]
    }
    if op["op"] in ("ADD", "MUL", "CONCATENATION") and len(op["inputs"]) > 1 and scales:
        parts.append(f"scales={'mixed' if len(scales) > 1 else 'same'}")
    if op["op"] in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") and len(op["inputs"]) > 1:
        parts.append(f"weights={_granularity(op['inputs'][1])}")
    return " ".join(parts)


# ---------------------------------------------------------------- running


def _io(detail: dict[str, Any]) -> dict[str, Any]:
    q = detail["quantization_parameters"]
    return {
        "name": detail["name"],
        "shape": [int(d) for d in detail["shape"]],
        "shape_signature": [int(d) for d in detail["shape_signature"]],
        "dtype": np.dtype(detail["dtype"]).name,
        "scale": [float(s) for s in q["scales"]],
        "zero_point": [int(z) for z in q["zero_points"]],
        "quantized_dimension": int(q["quantized_dimension"]),
    }


def interpreter(flatbuffer: bytes, resolver: str = "AUTO") -> Any:
    """tf.lite.Interpreter on ``flatbuffer`` with the kernels ``resolver``
    names (an OpResolverType): AUTO, the default, is the optimised
    builtin kernels with the XNNPACK delegate; BUILTIN_REF the reference
    kernels; BUILTIN_WITHOUT_DEFAULT_DELEGATES the optimised kernels alone."""
    import warnings

    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "deprecated, use ai_edge_litert"
        it = tf.lite.Interpreter(
            model_content=flatbuffer,
            experimental_op_resolver_type=getattr(tf.lite.experimental.OpResolverType, resolver),
        )
    it.allocate_tensors()
    return it


def invoke(it: Any, x: np.ndarray) -> np.ndarray:
    """The model's output for ``x``, in runs of the model's batch."""
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    batch = int(inp["shape"][0])
    outs = []
    for start in range(0, x.shape[0], batch):
        it.set_tensor(inp["index"], x[start : start + batch])
        it.invoke()
        outs.append(np.array(it.get_tensor(out["index"])))
    return np.concatenate(outs)


def quantise(x: np.ndarray, io: dict[str, Any]) -> np.ndarray:
    """Real values ``x`` as the int8 input tensor ``io`` holds them."""
    if io["dtype"] != "int8":
        return x.astype(io["dtype"])
    q = np.round(x / io["scale"][0]) + io["zero_point"][0]
    return np.clip(q, -128, 127).astype(np.int8)


def dequantise(y: np.ndarray, io: dict[str, Any]) -> np.ndarray:
    if io["dtype"] != "int8":
        return y.astype(np.float32)
    return ((y.astype(np.float32) - io["zero_point"][0]) * io["scale"][0]).astype(np.float32)


def output_step(ops: list[dict[str, Any]], out: dict[str, Any]) -> float | None:
    """The quantisation step of the model output: its scale when int8, the
    scale of the int8 tensor DEQUANTIZE makes it from when float; None for
    a float model."""
    if out["scale"]:
        return out["scale"][0]
    for op in ops:
        if op["op"] == "DEQUANTIZE" and op["outputs"][0]["name"] == out["name"]:
            return op["inputs"][0]["quant"]["scale"][0]
    return None


def write(out: Path, name: str) -> dict[str, Any]:
    """Build, train, convert and run zoo entry ``name``; write its files into ``out``."""
    import keras
    import tensorflow as tf

    entry = ZOO[name]
    keras.backend.clear_session()  # layer (so tensor) names independent of what ran before
    keras.utils.set_random_seed(entry.seed)
    model = entry.build(keras)
    if not entry.cnn:
        _train(model, entry.seed)
    batch = int(model.inputs[0].shape[0] or 1)
    shape = [int(d) for d in model.inputs[0].shape[1:]]
    runs = CNN_SAMPLES if entry.cnn else 1
    rep = _samples([batch, *shape], REPRESENTATIVE, seed=100 + entry.seed)
    flatbuffer = convert(model, rep, entry.mode)
    ops = operators(flatbuffer)
    lines = [describe(op) for op in ops]
    missing = [r for r in entry.requires if not any(re.search(r, line) for line in lines)]
    if missing:
        raise AssertionError(
            f"{name}: the converter emitted no operator matching {missing}; it emitted:\n"
            + "\n".join(lines)
        )

    default, ref = interpreter(flatbuffer), interpreter(flatbuffer, "BUILTIN_REF")
    inp, outp = _io(default.get_input_details()[0]), _io(default.get_output_details()[0])
    real = _samples(shape, runs * batch, seed=200 + entry.seed)
    x = quantise(real, inp)
    y_default, y_ref = invoke(default, x), invoke(ref, x)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.tflite").write_bytes(flatbuffer)
    np.save(out / f"{name}.input.npy", x)
    np.save(out / f"{name}.ref.npy", y_default)
    np.save(out / f"{name}.ref_builtin_ref.npy", y_ref)
    meta: dict[str, Any] = {
        "name": name,
        "mode": entry.mode,
        "batch": batch,
        "samples": runs * batch,
        "inputs": [inp],
        "outputs": [outp],
        "output_step": output_step(ops, outp),
        "tensorflow": tf.__version__,
        "default_equals_reference": float(np.mean(y_default == y_ref)),
        "default_minus_reference": float(np.max(np.abs(y_default.astype(np.float64) - y_ref))),
        "operators": [describe(op) for op in ops],
        "detail": ops,
    }
    if entry.cnn:
        want = np.asarray(model(dequantise(x, inp), training=False))
        np.save(out / f"{name}.tf.npy", want)
        got = dequantise(y_ref, outp)
        meta["argmax_agreement_with_tf"] = float(np.mean(np.argmax(got, -1) == np.argmax(want, -1)))
    (out / f"{name}.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return meta


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kinfer.examples.tflite_zoo",
        description="Write the .tflite zoo with the TFLite interpreter's outputs.",
    )
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--only", choices=sorted(ZOO), nargs="+", action="extend")
    args = parser.parse_args(argv)
    for name in args.only or list(ZOO):
        meta = write(args.outdir, name)
        summary = {k: meta[k] for k in ("name", "default_equals_reference", "operators")}
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

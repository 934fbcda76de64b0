"""TensorFlow and Keras models to ONNX for kinfer, through tf2onnx.

Every source becomes one TensorFlow function with fixed input shapes (the
example's), which ``tf2onnx.convert.from_function`` turns into ONNX:

* a Keras model (Keras 3 or tf.keras): called with ``training=False``;
* a ``.keras`` or ``.h5`` file: loaded with ``keras.models.load_model``;
* a SavedModel directory: its ``serving_default`` signature.

tf2onnx's own Keras entry point (``from_keras``) is not used: it breaks on
Keras 3. Models that work on strings (TextVectorization, StringLookup,
string signatures) are refused: kinfer tokenizes text in the kernel
(:mod:`kinfer.nlp`).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kinfer.errors import ExportError

#: ONNX opset of the exported graphs (what kinfer's loader lowers).
OPSET = 17
#: Keras recurrent layers: exported unrolled (tf2onnx makes a Loop of the
#: rolled ones, which kinfer does not run; the sequence length is fixed).
RNN_LAYERS = frozenset({"LSTM", "GRU", "SimpleRNN", "RNN"})
#: Keras layers that need strings or lookup tables at run time.
STRING_LAYERS = frozenset({"TextVectorization", "StringLookup", "Hashing", "IntegerLookup"})
_TOKENIZER_HINT = (
    "kinfer turns text into token ids in the kernel: drop the layer, feed the model "
    "token ids, and compose it with kinfer.nlp's WordPiece tokenizer"
)


@dataclass(frozen=True)
class Source:
    """A model as one TensorFlow callable of positional tensors."""

    call: Callable[..., Any]
    names: list[str]
    #: each input's shape as the model declares it (None: any size) and dtype
    specs: list[tuple[tuple[int | None, ...], np.dtype[Any]]]

    def example(self, shapes: dict[str, tuple[int, ...]] | None = None) -> list[np.ndarray]:
        """Zeros of each input's shape: ``shapes[name]``, else the declared
        shape with 1 for every unknown size."""
        shapes = shapes or {}
        unknown = set(shapes) - set(self.names)
        if unknown:
            raise ExportError(f"no input named {sorted(unknown)}; the inputs are {self.names}")
        return [np.zeros(shapes.get(n) or tuple(d or 1 for d in shape), dtype)
                for n, (shape, dtype) in zip(self.names, self.specs, strict=True)]  # fmt: skip


def export(
    model: Any,
    example: np.ndarray | Sequence[np.ndarray],
    path: str | os.PathLike[str] | None = None,
    *,
    opset: int = OPSET,
) -> Any:
    """Convert ``model`` to an ONNX ``ModelProto`` with the example's shapes.

    ``model`` is a Keras model, a ``.keras``/``.h5`` file, a SavedModel
    directory or a :class:`Source` made of one; ``example`` is one input array or a sequence of them, whose
    shapes (batch included) and dtypes become the graph's inputs. The model
    is written to ``path`` when given.

    Raises:
        ExportError: the source is missing or not a model, it works on
            strings, the example does not fit, or tf2onnx cannot convert it.
    """
    import onnx

    arrays = _example_arrays(example)
    source = model if isinstance(model, Source) else source_of(model)
    if len(source.names) != len(arrays):
        raise ExportError(f"the model takes {len(source.names)} input(s) {source.names}, the "
                          f"example has {len(arrays)}")  # fmt: skip
    proto = _convert(source.call, source.names, arrays, opset)
    if path is not None:
        onnx.save_model(proto, os.fspath(path))
    return proto


def _example_arrays(example: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    items = list(example) if isinstance(example, list | tuple) else [example]
    # kinfer computes in float32: numpy's default float64 would make the
    # graph's inputs double, which it does not take.
    arrays = [np.asarray(a) for a in items]
    arrays = [a.astype(np.float32) if a.dtype == np.float64 else a for a in arrays]
    for i, a in enumerate(arrays):
        if a.dtype.kind not in "fiub" or a.ndim == 0:
            raise ExportError(
                f"example input {i} is {a.dtype} {a.shape}: give a numeric array with the "
                "input's shape (batch included)"
            )
    return arrays


def source_of(model: Any) -> Source:
    """The model (object, file or directory) as a :class:`Source`."""
    if isinstance(model, str | os.PathLike):
        return _load(Path(model))
    if _is_keras_model(model):
        return _keras_function(model)
    raise ExportError(
        f"cannot export a {type(model).__name__}: give a Keras model, a .keras or .h5 "
        "file, or a SavedModel directory"
    )


def _is_keras_model(model: Any) -> bool:
    return any(
        cls.__name__ in ("Model", "Functional", "Sequential")
        and cls.__module__.split(".")[0] in ("keras", "tf_keras")
        for cls in type(model).__mro__
    )


def _load(path: Path) -> Source:
    if not path.exists():
        raise ExportError(f"{path}: no such file or directory")
    if path.is_dir():
        if not (path / "saved_model.pb").exists():
            raise ExportError(f"{path}: a directory without saved_model.pb is not a SavedModel")
        return _saved_model_function(path)
    if path.suffix in (".keras", ".h5"):
        return _keras_function(_load_keras_file(path))
    raise ExportError(
        f"{path}: not a Keras file (.keras, .h5) or a SavedModel directory; ONNX and .tflite "
        "files load directly (kinfer load FILE)"
    )


def _load_keras_file(path: Path) -> Any:
    """Keras 3 reads .keras files and most .h5 files; an .h5 written by
    tf.keras (Keras 2) with layers whose config Keras 3 renamed (LSTM's
    time_major, DepthwiseConv2D's groups) loads with tf_keras, when it is
    installed."""
    import keras

    try:
        return keras.models.load_model(path, compile=False)
    except Exception as e:  # Keras raises many types for a bad file
        error = e
    if path.suffix == ".h5" and importlib.util.find_spec("tf_keras") is not None:
        import tf_keras

        try:
            return tf_keras.models.load_model(path, compile=False)
        except Exception as e:
            raise ExportError(f"{path}: neither Keras 3 nor tf.keras can load it: {error}; {e}") from e
    raise ExportError(f"{path}: Keras cannot load it: {error}") from error


def _keras_function(model: Any) -> Source:
    _refuse_string_layers(model)
    model = _unrolled(model)
    inputs = getattr(model, "inputs", None) or []
    names = [_clean(getattr(t, "name", "") or f"input_{i}") for i, t in enumerate(inputs)]
    if not names:
        raise ExportError(
            f"Keras model {model.name!r} has no known inputs: build it (call it once, or give "
            "its first layer an input shape) before exporting"
        )
    for i, t in enumerate(inputs):
        if "string" in str(getattr(t, "dtype", "")):
            raise ExportError(f"Keras model input {names[i]!r} is a string tensor; "
                              + _TOKENIZER_HINT)  # fmt: skip

    def call(*xs: Any) -> Any:
        return model(xs[0] if len(xs) == 1 else list(xs), training=False)

    specs = [(tuple(t.shape), _numpy_dtype(t.dtype)) for t in inputs]
    return Source(call, names, specs)


def _numpy_dtype(dtype: Any) -> np.dtype:
    """A Keras 3 input's dtype is a string ("float32"); a tf.keras one
    (the tf_keras package) is a tf.DType."""
    as_numpy = getattr(dtype, "as_numpy_dtype", None)
    return np.dtype(as_numpy if as_numpy is not None else str(dtype).replace("tf.", ""))


def _refuse_string_layers(model: Any) -> None:
    for layer in _layers(model):
        kind = type(layer).__name__
        if kind in STRING_LAYERS:
            raise ExportError(f"layer {layer.name!r} ({kind}) works on strings or lookup tables; "
                              + _TOKENIZER_HINT)  # fmt: skip


def _unrolled(model: Any) -> Any:
    """The model with every recurrent layer unrolled, same weights; the model
    itself when it has none (or is subclassed, which cannot be cloned)."""
    if not any(_rolled(layer) for layer in _layers(model)):
        return model
    if type(model).__name__ not in ("Functional", "Sequential"):
        raise ExportError(
            f"Keras model {model.name!r} has recurrent layers that are not unrolled and is a "
            "subclassed model, which kinfer cannot clone unrolled: build its LSTM/GRU/RNN "
            "layers with unroll=True"
        )
    keras = importlib.import_module(type(model).__module__.split(".")[0])

    def clone(layer: Any) -> Any:
        config = layer.get_config()
        if _rolled(layer):
            config["unroll"] = True
        for key in ("layer", "backward_layer"):  # Bidirectional's halves
            inner = config.get(key)
            if isinstance(inner, dict) and "unroll" in inner.get("config", {}):
                inner["config"]["unroll"] = True
        return type(layer).from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def _rolled(layer: Any) -> bool:
    return type(layer).__name__ in RNN_LAYERS and not layer.get_config().get("unroll", True)


def _layers(model: Any) -> list[Any]:
    """Every layer, nested models' and wrapped layers (Bidirectional) included."""
    out, todo = [], list(getattr(model, "layers", []))
    while todo:
        layer = todo.pop()
        out.append(layer)
        todo.extend(getattr(layer, "layers", []))
        todo.extend(getattr(layer, key) for key in ("forward_layer", "backward_layer", "layer")
                    if getattr(layer, key, None) is not None)  # fmt: skip
    return out


def _saved_model_function(path: Path) -> Source:
    import tensorflow as tf

    try:
        loaded = tf.saved_model.load(os.fspath(path))
    except Exception as e:  # TF raises many types for a bad directory
        raise ExportError(f"{path}: TensorFlow cannot load the SavedModel: {e}") from e
    signatures = dict(getattr(loaded, "signatures", {}))
    if "serving_default" not in signatures:
        raise ExportError(f"{path}: no serving_default signature (it has {sorted(signatures)})")
    signature = signatures["serving_default"]
    _, specs = signature.structured_input_signature
    names = list(specs)
    for name, spec in specs.items():
        if spec.dtype == tf.string:
            raise ExportError(f"{path}: signature input {name!r} is a string tensor; "
                              + _TOKENIZER_HINT)  # fmt: skip
    outputs = sorted(signature.structured_outputs)

    def call(*xs: Any) -> Any:
        # through `loaded`: the signature alone does not keep the variables alive
        result = loaded.signatures["serving_default"](**dict(zip(names, xs, strict=True)))
        return [result[k] for k in outputs]

    shapes = [(tuple(spec.shape.as_list()), np.dtype(spec.dtype.as_numpy_dtype))
              for spec in specs.values()]  # fmt: skip
    return Source(call, [_clean(n) for n in names], shapes)


def _clean(name: str) -> str:
    """A graph input name: Keras and TF names without their ':0' or scope."""
    return name.split(":")[0].replace("/", "_") or "input"


def _convert(
    fn: Callable[..., Any], names: list[str], arrays: list[np.ndarray], opset: int
) -> Any:
    import tensorflow as tf
    import tf2onnx

    specs = [tf.TensorSpec(a.shape, tf.as_dtype(a.dtype), name=n)
             for a, n in zip(arrays, names, strict=True)]  # fmt: skip
    function = tf.function(fn, input_signature=specs, autograph=False)
    try:
        proto, _ = tf2onnx.convert.from_function(
            function, input_signature=specs, opset=opset,
            custom_op_handlers={"Erfc": (_erfc_as_erf, [])},
        )  # fmt: skip
    except Exception as e:  # tf2onnx raises many types
        message = str(e)
        if "string" in message.lower() or "HashTable" in message:
            message += "; " + _TOKENIZER_HINT
        raise ExportError(f"tf2onnx cannot convert the model: {message}") from e
    loops = [n.name for n in proto.graph.node if n.op_type in ("Loop", "Scan", "If")]
    if loops:
        raise ExportError(f"the converted graph has control flow kinfer does not run: {loops}; "
                          "recurrent layers must be unrolled (unroll=True) and shapes fixed")
    _name_outputs(proto)
    return proto


def _erfc_as_erf(ctx: Any, node: Any, name: str, args: Any) -> None:
    """TF's Erfc (Keras 3's exact GELU uses it), which ONNX lacks: 1 - Erf(x)."""
    from onnx import helper
    from tf2onnx import utils

    node.type = "Erf"
    erf = node.output[0]
    dtype = helper.tensor_dtype_to_np_dtype(ctx.get_dtype(erf))
    one = ctx.make_const(utils.make_name(f"{node.name}/one"), np.ones((), dtype)).output[0]
    complement = ctx.insert_new_node_on_output("Sub", erf, name=utils.make_name(f"{node.name}/erfc"))
    ctx.replace_inputs(complement, [one, erf])


def _name_outputs(proto: Any) -> None:
    """Graph outputs as ``output_0``, ``output_1``... (tf2onnx keeps TF's
    ``Identity:0``-style names, which say nothing)."""
    graph = proto.graph
    renamed = {o.name: f"output_{i}" for i, o in enumerate(graph.output)}
    for node in graph.node:
        for i, value in enumerate(node.output):
            if value in renamed:
                node.output[i] = renamed[value]
        for i, value in enumerate(node.input):
            if value in renamed:
                node.input[i] = renamed[value]
    for o in graph.output:
        o.name = renamed[o.name]

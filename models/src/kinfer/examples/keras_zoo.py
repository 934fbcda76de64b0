"""The Keras model zoo kinfer.tf is tested on (host and kernel).

Each entry is a Keras 3 functional model, trained for two epochs on random
data (so no weight is at its initial value), with an example input and
TensorFlow's output for it. Together they use the layers docs/tensorflow.md
lists: Dense, Dropout, Conv1D, Conv2D, DepthwiseConv2D, SeparableConv2D,
pooling (max, average, global), BatchNormalization, Flatten, Reshape,
Embedding, LSTM, GRU, Bidirectional, LayerNormalization,
MultiHeadAttention, Add, Concatenate, LeakyReLU; activations relu, tanh,
softmax, gelu, sigmoid, elu, selu, softplus, softsign, silu, hard_sigmoid,
relu6, mish, hard_silu, linear, log_softmax.

``python -m kinfer.examples.keras_zoo OUTDIR [--cache DIR]`` writes, for
each entry, ``OUTDIR/<name>/``: ``model.keras``, ``model.onnx``
(kinfer.tf.export), ``input.npy``, ``expected.npy`` and ``meta.json``
(the input's name and shape); the CNN also as a SavedModel, ``saved/``.
With ``--cache`` it also converts each file as ``kinfer load FILE --shape
NAME=SHAPE`` would, into that conversion cache (kinfer.tf.convert), so a
slow machine (the test VM) loads them without importing TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ZOO", "Trained", "main", "trained"]


def _mlp(keras: Any) -> tuple[Any, np.ndarray]:
    x = keras.Input((16,), name="features")
    h = keras.layers.Dense(32, activation="relu")(x)
    h = keras.layers.Dropout(0.3)(h)
    h = keras.layers.Dense(16, activation="tanh")(h)
    y = keras.layers.Dense(4, activation="softmax")(h)
    return keras.Model(x, y, name="mlp"), np.random.default_rng(1).normal(size=(4, 16))


def _cnn(keras: Any) -> tuple[Any, np.ndarray]:
    L = keras.layers
    x = keras.Input((16, 16, 3), name="image")
    h = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    h = L.BatchNormalization()(h)
    h = L.MaxPooling2D(2)(h)
    h = L.DepthwiseConv2D(3, padding="same", activation="relu")(h)
    h = L.SeparableConv2D(8, 3, activation="sigmoid")(h)
    h = L.AveragePooling2D(2)(h)
    h = L.Flatten()(h)
    y = L.Dense(5)(h)
    return keras.Model(x, y, name="cnn"), np.random.default_rng(2).normal(size=(2, 16, 16, 3))


def _text_lstm(keras: Any) -> tuple[Any, np.ndarray]:
    L = keras.layers
    x = keras.Input((12,), dtype="int32", name="ids")
    h = L.Embedding(100, 16)(x)
    h = L.LSTM(16)(h)
    y = L.Dense(2, activation="softmax")(h)
    ids = np.random.default_rng(3).integers(0, 100, size=(2, 12)).astype(np.int32)
    return keras.Model(x, y, name="text_lstm"), ids


def _seq_gru(keras: Any) -> tuple[Any, np.ndarray]:
    L = keras.layers
    x = keras.Input((10, 8), name="sequence")
    h = L.Bidirectional(L.GRU(8, return_sequences=True))(x)
    h = L.Conv1D(4, 3, activation="relu")(h)
    h = L.GlobalAveragePooling1D()(h)
    y = L.Dense(3)(h)
    return keras.Model(x, y, name="seq_gru"), np.random.default_rng(4).normal(size=(2, 10, 8))


def _transformer(keras: Any) -> tuple[Any, np.ndarray]:
    L = keras.layers
    x = keras.Input((8, 16), name="tokens")
    a = L.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
    h = L.LayerNormalization()(L.Add()([x, a]))
    f = L.Dense(32, activation="gelu")(h)
    f = L.Dense(16)(f)
    h = L.LayerNormalization()(L.Add()([h, f]))
    h = L.GlobalAveragePooling1D()(h)
    y = L.Dense(2)(L.Concatenate()([h, L.Reshape((16,))(L.Flatten()(h))]))
    return keras.Model(x, y, name="transformer"), np.random.default_rng(5).normal(size=(2, 8, 16))


def _activations(keras: Any) -> tuple[Any, np.ndarray]:
    L = keras.layers
    x = keras.Input((8,), name="features")
    h = x
    for act in ("elu", "selu", "softplus", "softsign", "silu", "hard_sigmoid", "relu6",
                "mish", "hard_silu", "linear"):
        h = L.Dense(8, activation=act)(h)
    h = L.LeakyReLU(negative_slope=0.2)(L.Dense(8)(h))
    y = L.Dense(3, activation="log_softmax")(h)
    return keras.Model(x, y, name="activations"), np.random.default_rng(6).normal(size=(3, 8))


#: name -> builder(keras) -> (untrained model, example input)
ZOO: dict[str, Callable[[Any], tuple[Any, np.ndarray]]] = {
    "activations": _activations,
    "mlp": _mlp,
    "cnn": _cnn,
    "text_lstm": _text_lstm,
    "seq_gru": _seq_gru,
    "transformer": _transformer,
}


@dataclass(frozen=True)
class Trained:
    """A zoo model after training, its example input and TensorFlow's output."""

    model: Any
    example: np.ndarray
    expected: np.ndarray


def trained(name: str, seed: int = 0) -> Trained:
    """Build zoo entry ``name`` and train it for two epochs on random data."""
    import keras

    keras.utils.set_random_seed(seed)
    model, example = ZOO[name](keras)
    floats = example.dtype.kind == "f"
    example = example.astype(np.float32) if floats else example
    rng = np.random.default_rng(seed)
    if floats:
        xs = rng.normal(size=(32, *example.shape[1:])).astype(np.float32)
    else:
        xs = rng.integers(0, 100, size=(32, *example.shape[1:])).astype(np.int32)
    out_shape = tuple(int(d) for d in model.outputs[0].shape[1:])
    ys = rng.normal(size=(32, *out_shape)).astype(np.float32)
    model.compile(optimizer="adam", loss="mse")
    model.fit(xs, ys, epochs=2, batch_size=16, verbose=0)
    return Trained(model, example, np.asarray(model(example, training=False)))


def write(out: Path, name: str, cache: Path | None = None) -> dict[str, Any]:
    """Train entry ``name`` and write its files into ``out / name``."""
    from kinfer.tf import convert, export

    entry = trained(name)
    where = out / name
    where.mkdir(parents=True, exist_ok=True)
    entry.model.save(where / "model.keras")
    sources = ["model.keras"]
    if name == "cnn":
        entry.model.export(str(where / "saved"), verbose=False)
        sources.append("saved")
    proto = export(entry.model, entry.example, where / "model.onnx")
    np.save(where / "input.npy", entry.example)
    np.save(where / "expected.npy", entry.expected)
    meta = {"name": name, "input": proto.graph.input[0].name, "shape": list(entry.example.shape),
            "sources": sources, "nodes": len(proto.graph.node)}  # fmt: skip
    (where / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    for source in sources if cache else []:
        shape = f"{meta['input']}={','.join(map(str, meta['shape']))}"
        rc = convert.main([str(where / source), str(where / f"{source}.onnx"), "--shape", shape,
                           "--cache", str(cache)])  # fmt: skip
        if rc:
            raise RuntimeError(f"kinfer.tf.convert {where / source} failed ({rc})")
        (where / f"{source}.onnx").unlink()
    return meta


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kinfer.examples.keras_zoo",
                                     description="Train and save the Keras zoo.")  # fmt: skip
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--only", choices=sorted(ZOO), action="append")
    parser.add_argument("--cache", type=Path, help="a kinfer.tf conversion cache to fill")
    args = parser.parse_args(argv)
    for name in args.only or sorted(ZOO):
        print(json.dumps(write(args.outdir, name, args.cache)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""kinfer.tf: Keras 3 models, .keras files and SavedModels through tf2onnx into
kinfer's loader, against TensorFlow's own outputs.

Each zoo model (kinfer.examples.keras_zoo) is trained for two epochs on
random data (so weights are not at their initial values), exported with
:func:`kinfer.tf.export`, and run by kinfer's userspace reference executor
(the kernel's op sources built for userspace); TensorFlow's
``model(x, training=False)`` is the reference.
ONNX Runtime runs the same ONNX file too, which tells a converter fault
from a kinfer one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kinfer
import kinfer.tf
from kinfer.examples import keras_zoo
from kinfer.examples.keras_zoo import ZOO
from kinfer_parity import KINFER_BIN, run_reference

RTOL = 1e-4

needs_kinfer = pytest.mark.skipif(
    not KINFER_BIN.exists(), reason=f"the kinfer binary {KINFER_BIN} is missing: make loader"
)


def trained(name: str) -> tuple[Any, np.ndarray, np.ndarray]:
    t = keras_zoo.trained(name)
    return t.model, t.example, t.expected


@pytest.fixture(scope="module", params=sorted(ZOO))
def zoo(request: pytest.FixtureRequest) -> tuple[str, Any, np.ndarray, np.ndarray]:
    return (request.param, *trained(request.param))


def assert_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    scale = float(np.max(np.abs(want))) or 1.0
    err = float(np.max(np.abs(got.astype(np.float64) - want)))
    assert got.shape == want.shape, (what, got.shape, want.shape)
    assert err <= RTOL * scale, f"{what}: max |error| {err:.3g} > {RTOL} x {scale:.3g}"


@needs_kinfer
def test_keras_model_matches_tensorflow(zoo: tuple[str, Any, np.ndarray, np.ndarray],
                                        tmp_path: Path) -> None:  # fmt: skip
    import onnxruntime as ort

    name, model, example, want = zoo
    proto = kinfer.tf.export(model, example, tmp_path / f"{name}.onnx")
    assert [o.name for o in proto.graph.output] == ["output_0"]
    session = ort.InferenceSession(str(tmp_path / f"{name}.onnx"))
    (ort_out,) = session.run(None, {proto.graph.input[0].name: example})
    assert_close(ort_out, want, f"{name} in ONNX Runtime")
    (got,) = run_reference(proto, example)
    assert_close(got, want, f"{name} in kinfer")


@needs_kinfer
@pytest.mark.parametrize("form", ["keras_file", "saved_model"])
def test_files_and_directories_export_too(form: str, tmp_path: Path) -> None:
    model, example, want = trained("cnn")
    if form == "keras_file":
        source = tmp_path / "cnn.keras"
        model.save(source)
    else:
        source = tmp_path / "saved"
        model.export(str(source), verbose=False)
    proto = kinfer.tf.export(source, example)
    outputs = run_reference(proto, example)
    assert_close(outputs[0], want, f"cnn from a {form}")


def tf_keras_model(kind: str) -> tuple[Any, np.ndarray]:
    """A tf.keras (Keras 2, the tf_keras package) model trained for a few
    steps on random data, and an example batch."""
    import tensorflow as tf
    import tf_keras as k

    tf.random.set_seed(5)
    rng = np.random.default_rng(5)
    if kind == "mlp":
        model = k.Sequential([k.layers.Input((12,)), k.layers.Dense(16, activation="relu"),
                              k.layers.Dropout(0.2), k.layers.Dense(3, activation="softmax")])  # fmt: skip
        x = rng.standard_normal((4, 12)).astype(np.float32)
    elif kind == "cnn":
        model = k.Sequential([
            k.layers.Input((12, 12, 3)), k.layers.Conv2D(6, 3, padding="same", activation="relu"),
            k.layers.BatchNormalization(), k.layers.MaxPooling2D(), k.layers.DepthwiseConv2D(3),
            k.layers.Flatten(), k.layers.Dense(4),
        ])  # fmt: skip
        x = rng.standard_normal((2, 12, 12, 3)).astype(np.float32)
    else:  # a rolled LSTM: the exporter clones it unrolled
        model = k.Sequential([k.layers.Input((7,), dtype="int32"), k.layers.Embedding(20, 8),
                              k.layers.LSTM(6), k.layers.Dense(2)])  # fmt: skip
        x = rng.integers(0, 20, (3, 7)).astype(np.int32)
    y = model(x).numpy()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, rng.standard_normal(y.shape).astype(np.float32), epochs=3, verbose=0)
    return model, x


@needs_kinfer
@pytest.mark.parametrize("kind", ["mlp", "cnn", "lstm"])
def test_tf_keras_models_match_tensorflow(kind: str, tmp_path: Path) -> None:
    model, x = tf_keras_model(kind)
    want = model(x, training=False).numpy()
    (got,) = run_reference(kinfer.tf.export(model, x), x)
    assert_close(got, want, f"tf.keras {kind} in kinfer")
    model.save(tmp_path / "model.h5")  # the legacy file, read back by Keras 3
    (got,) = run_reference(kinfer.tf.export(tmp_path / "model.h5", x), x)
    assert_close(got, want, f"tf.keras {kind} from an .h5 file")


def test_string_layers_are_refused_with_a_pointer_to_the_tokenizer() -> None:
    import keras

    x = keras.Input((1,), dtype="string")
    h = keras.layers.StringLookup(vocabulary=["a", "b"])(x)
    model = keras.Model(x, keras.layers.Dense(2)(keras.layers.Flatten()(h)))
    with pytest.raises(kinfer.ExportError, match=r"StringLookup.*kinfer.nlp"):
        kinfer.tf.export(model, np.zeros((1, 1), np.float32))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("/nonexistent/model.keras", "no such file"),
        (".", "without saved_model.pb"),
        ("pyproject.toml", "not a Keras file"),
        (42, "cannot export a int"),
    ],
)
def test_bad_sources_are_refused(source: Any, message: str) -> None:
    with pytest.raises(kinfer.ExportError, match=message):
        kinfer.tf.export(source, np.zeros((1, 4), np.float32))


def test_example_must_fit() -> None:
    model, example, _ = trained("mlp")
    with pytest.raises(kinfer.ExportError, match="the example has 2"):
        kinfer.tf.export(model, [example, example])
    with pytest.raises(kinfer.ExportError, match="numeric array"):
        kinfer.tf.export(model, np.asarray("text"))


def test_importing_kinfer_tf_is_cheap() -> None:
    code = "import sys, kinfer.tf; assert 'tensorflow' not in sys.modules, 'tf imported'"
    subprocess.run([sys.executable, "-c", code], check=True)

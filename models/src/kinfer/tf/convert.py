"""``python -m kinfer.tf.convert SOURCE OUT.onnx [--shape NAME=D0,D1...]``

What ``kinfer load model.keras`` and ``kinfer load saved_model_dir/`` run:
a Keras file or a SavedModel directory to ONNX, with each input's declared
shape (1 for an unknown size, such as the batch) unless ``--shape`` gives
it. Exit status: 0; 3 for a model that cannot be converted (the message
names it and why); 4 when TensorFlow or tf2onnx is not installed.

With a cache directory (``--cache DIR`` or ``$KINFER_TF_CACHE``) a
conversion is kept under a hash of the source's bytes, the shapes, the
converter's own source and the versions of TensorFlow, Keras, tf2onnx and
ONNX; a hit is copied out without importing TensorFlow (seconds instead of
a minute on a slow machine). A cache that cannot be written is only read.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kinfer.errors import ExportError

#: Exit status for a missing TensorFlow or tf2onnx (the CLI says how to install them).
EXIT_MISSING = 4
EXIT_MODEL = 3
REQUIRED = ("tensorflow", "tf2onnx", "keras")
_VERSIONED = ("tensorflow-cpu", "tensorflow", "keras", "tf2onnx", "onnx")


def _shape(text: str) -> tuple[str, tuple[int, ...]]:
    name, sep, dims = text.partition("=")
    try:
        shape = tuple(int(d) for d in dims.split(","))
    except ValueError:
        shape = ()
    if not sep or not name or not shape or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"--shape takes NAME=D0,D1,... (positive), not {text!r}")
    return name, shape


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m kinfer.tf.convert", description=__doc__.split("\n\n")[1])
    p.add_argument("source", help="a .keras or .h5 file, or a SavedModel directory")
    p.add_argument("out", help="the ONNX file to write")
    p.add_argument("--shape", action="append", type=_shape, default=[],
                   help="an input's shape, NAME=D0,D1,... (repeat per input)")  # fmt: skip
    p.add_argument("--cache", default=os.environ.get("KINFER_TF_CACHE") or None,
                   help="directory of earlier conversions (default $KINFER_TF_CACHE)")  # fmt: skip
    return p


def cache_key(source: Path, shapes: dict[str, tuple[int, ...]]) -> str:
    """What a conversion depends on, hashed (see the module's docstring)."""
    h = hashlib.sha256()
    files = [source] if source.is_file() else sorted(f for f in source.rglob("*") if f.is_file())
    for f in files:
        h.update(f"{f.relative_to(source) if f != source else f.name}\0".encode())
        h.update(f.read_bytes())
    h.update(json.dumps(sorted(shapes.items())).encode())
    for dist in _VERSIONED:
        try:
            h.update(f"{dist}={importlib.metadata.version(dist)}\0".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{dist}=-\0".encode())
    for module in ("kinfer.tf.exporter", "kinfer.tf.convert"):
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None
        h.update(Path(spec.origin).read_bytes())
    return h.hexdigest()


def _store(cache: Path, key: str, onnx_file: str) -> None:
    """Keep a conversion; a cache that cannot be written is left alone."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache, suffix=".tmp")
        os.close(fd)
        shutil.copyfile(onnx_file, tmp)
        os.replace(tmp, cache / f"{key}.onnx")
    except OSError:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    source_path, shapes = Path(args.source), dict(args.shape)
    key = cache_key(source_path, shapes) if args.cache and source_path.exists() else ""
    if key and (Path(args.cache) / f"{key}.onnx").is_file():
        shutil.copyfile(Path(args.cache) / f"{key}.onnx", args.out)
        return 0
    missing = [m for m in REQUIRED if importlib.util.find_spec(m) is None]
    if missing:
        print(f"kinfer.tf.convert: {', '.join(missing)} not installed", file=sys.stderr)
        return EXIT_MISSING
    from kinfer.tf.exporter import export, source_of

    try:
        source = source_of(args.source)
        export(source, source.example(shapes), args.out)
    except ExportError as e:
        print(f"kinfer.tf.convert: {e}", file=sys.stderr)
        return EXIT_MODEL
    if key:
        _store(Path(args.cache), key, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Packaging: cheap imports, typed package, curated namespace."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest

HEAVY = ("jax", "jaxlib", "flax", "onnx", "onnxruntime")


def _modules_after(code: str) -> set[str]:
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    return {m.split(".")[0] for m in json.loads(out)}


@pytest.mark.parametrize(
    "code",
    [
        "import kinfer",
        "from kinfer.flax import ExportError",
        "import kinfer.models_cli",
        "import kinfer.runtime",
        "from kinfer.flax import KernelError, ExportError",
    ],
)
def test_import_is_light(code: str) -> None:
    loaded = _modules_after(code)
    assert "kinfer" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_kinfer_flax_export_loads_on_first_use() -> None:
    loaded = _modules_after("import kinfer.flax\nkinfer.flax.export")
    assert {"jax", "onnx"} <= loaded


def test_public_names() -> None:
    import kinfer
    import kinfer.flax
    from kinfer.flax.exporter import export

    assert kinfer.__version__ == "0.1.0"
    assert kinfer.flax.export is export
    assert kinfer.flax.ExportError is kinfer.ExportError
    assert issubclass(kinfer.ExportError, ValueError)
    assert "export" in dir(kinfer.flax)
    with pytest.raises(AttributeError):
        kinfer.flax.nope  # noqa: B018


def test_py_typed_is_shipped() -> None:
    assert resources.files("kinfer").joinpath("py.typed").is_file()

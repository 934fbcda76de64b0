"""Export Flax modules (Linen and NNX) to kinfer ONNX (see docs/flax.md).

::

    import kinfer.flax

    model = kinfer.flax.export(module, variables, x, path="model.onnx")  # Linen
    model = kinfer.flax.export(nnx_model, x, method="encode")             # NNX

JAX, Flax and ONNX are imported on first use of :func:`export`, not when
this package is imported, so :class:`ExportError` can be caught cheaply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kinfer.errors import ExportError

if TYPE_CHECKING:
    from kinfer.flax.exporter import export

__all__ = ["ExportError", "export"]


def __getattr__(name: str) -> Any:
    if name == "export":
        from kinfer.flax.exporter import export

        return export
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

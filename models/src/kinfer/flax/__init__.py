"""Flax modules (Linen and NNX) in the kernel (see docs/flax.md).

::

    import kinfer.flax

    model = kinfer.flax.export(module, variables, x, path="model.onnx")  # Linen -> ONNX
    with kinfer.flax.to_kernel(module, variables, x, name="clf") as km:  # into the kernel
        y = km(x)

JAX, Flax and ONNX are imported on first use of :func:`export` or
:func:`to_kernel`, not when this package is imported, so
:class:`ExportError` and :class:`KernelError` can be caught cheaply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kinfer._lazy import lazy_attributes
from kinfer.errors import ExportError, KernelError

if TYPE_CHECKING:
    from kinfer.flax.exporter import export
    from kinfer.flax.module import KernelModule, attach, to_kernel

__all__ = ["ExportError", "KernelError", "KernelModule", "attach", "export", "to_kernel"]

_LAZY = {
    "export": "kinfer.flax.exporter",
    "KernelModule": "kinfer.flax.module",
    "attach": "kinfer.flax.module",
    "to_kernel": "kinfer.flax.module",
}

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)

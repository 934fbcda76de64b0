"""TensorFlow models in the kernel: Keras 3, tf.keras, SavedModel (see docs/tensorflow.md).

::

    import kinfer.tf

    kinfer.tf.export(keras_model, x, "model.onnx")     # or a .keras file, a SavedModel dir
    # then: kinfer load model.onnx --name clf

The CLI does the same on its own: ``kinfer load model.keras --name clf``
or ``kinfer load saved_model_dir/ --name clf`` runs :mod:`kinfer.tf.convert`.

TensorFlow, Keras and tf2onnx are imported on first use of :func:`export`,
not when this package is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kinfer._lazy import lazy_attributes
from kinfer.errors import ExportError, KernelError

if TYPE_CHECKING:
    from kinfer.tf.exporter import export

__all__ = ["ExportError", "KernelError", "export"]

_LAZY = {"export": "kinfer.tf.exporter"}

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)

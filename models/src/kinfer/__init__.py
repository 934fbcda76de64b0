"""kinfer: neural networks inside the Linux kernel, Python side.

This package turns models into the ONNX files the kinfer loader compiles
into BPF maps and a chain of kfunc calls (see docs/architecture.md).

Importing :mod:`kinfer` is cheap: it pulls in no machine-learning framework.
The frameworks are optional extras, imported only by the subpackages that
need them:

* :mod:`kinfer.flax` -- :func:`kinfer.flax.export`, :func:`kinfer.flax.to_kernel`
  (extras ``flax``, ``onnx``)
* :mod:`kinfer.runtime` -- load, run and unload models through ``libkinfer.so``
* :mod:`kinfer.examples` -- example Flax models used by tests and the demo
* ``kinfer-models`` -- console script producing models and golden fixtures
"""

from kinfer.errors import ExportError, KernelError

__version__ = "0.1.0"

__all__ = ["ExportError", "KernelError", "__version__"]

"""Exceptions shared by kinfer's exporters and runtime (no third-party imports)."""

from __future__ import annotations

import re


class ExportError(ValueError):
    """A model cannot be expressed with the operations kinfer supports.

    The message names the offending primitive or value, the model location
    (the Flax module path) when it is known, and what is supported instead.
    """


class KernelError(RuntimeError):
    """The loader or kinfer.ko refused or failed something.

    ``code`` is the CLI's exit code (1 kernel/runtime, 2 usage, 3 invalid
    model or input); ``node`` the ONNX node a failed run stopped at, if the
    kernel named one, and ``module_path`` that node's Flax module path.
    """

    def __init__(self, message: str, code: int = 1, model: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.model = model
        found = re.search(r"ONNX node '([^']*)'", message)
        self.node: str | None = found.group(1) if found else None
        self.module_path: str | None = self.node.rpartition("/")[0] if self.node else None

"""Text pipelines in the kernel: raw UTF-8 in, a label and a score out (see docs/nlp.md).

::

    from kinfer.nlp import Pipeline

    p = Pipeline.classifier(module, variables, "vocab.txt", ["benign", "suspicious"])
    p.save("sentiment/")                        # pipeline.onnx + pipeline.json
    with p.load("sentiment") as clf:            # one BPF program: tokenizer + model
        print(clf.classify("rm -rf / --no-preserve-root"))

JAX, Flax and ONNX are imported when a pipeline is built, not when this
package is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kinfer._lazy import lazy_attributes
from kinfer.errors import ExportError, KernelError

if TYPE_CHECKING:
    from kinfer.nlp.pipeline import (
        LoadedPipeline,
        Pipeline,
        Result,
        compose,
        encode_text,
        kinfer_binary,
        load_pipeline,
        text_array,
        tokenize,
        tokenizer_node,
    )

__all__ = [
    "ExportError",
    "KernelError",
    "LoadedPipeline",
    "Pipeline",
    "Result",
    "compose",
    "encode_text",
    "kinfer_binary",
    "load_pipeline",
    "text_array",
    "tokenize",
    "tokenizer_node",
]

_LAZY = {
    name: "kinfer.nlp.pipeline" for name in __all__ if name not in ("ExportError", "KernelError")
}

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)

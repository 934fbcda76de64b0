"""Framework-neutral export machinery: jaxpr -> flat IR -> ONNX.

:mod:`kinfer.export.ir` flattens a traced jaxpr, :mod:`kinfer.export.lower`
drives the per-primitive rules of :mod:`kinfer.export.rules` and
:mod:`kinfer.export.graph` assembles the ONNX model. The Flax front end
(:mod:`kinfer.flax`) is the only caller that knows about modules.
"""

"""``kinfer.flax.export``: Flax Linen module + variables -> kinfer ONNX.

The module is traced with :func:`jax.make_jaxpr` as
``lambda variables, x: module.apply(variables, x, method=method)``.
Every leaf of ``variables`` is a jaxpr input and becomes an ONNX
initializer named by its path in the variables tree, keys joined with
``/`` (``params/Dense_0/kernel``, ``batch_stats/BatchNorm_0/mean``), with
its Flax shape (a Dense kernel is ``[in, out]``). ``x`` becomes the graph
input with the example's static shape. The equations are then lowered by
:mod:`kinfer.jaxpr_to_onnx`.

(The implementation lives in ``exporter.py`` rather than ``export.py`` so
that the submodule never shadows the :func:`export` function on the
``kinfer.flax`` package.)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import onnx

import kinfer
from kinfer.errors import ExportError
from kinfer.jaxpr_ir import flatten
from kinfer.jaxpr_to_onnx import GraphInput, Weight, lower

__all__ = ["export", "variable_names"]


def export(
    module: Any,
    variables: Mapping[str, Any],
    example_input: Any,
    *,
    method: str | Callable[..., Any] | None = None,
    input_name: str = "x",
    output_name: str = "y",
    model_name: str | None = None,
    path: str | os.PathLike[str] | None = None,
    apply_kwargs: Mapping[str, Any] | None = None,
) -> onnx.ModelProto:
    """Export a Flax Linen module to an ONNX model kinfer can load.

    Args:
        module: a ``flax.linen.Module`` (setup-style or ``@nn.compact``).
        variables: its variables, as returned by ``module.init``; every
            collection (``params``, ``batch_stats``, ...) the computation
            reads is exported. Unused variables are left out.
        example_input: an array whose shape (including the batch size) and
            float dtype fix the graph input; it is only traced, never run.
        method: the entry point, a method name or callable as accepted by
            ``Module.apply`` (default ``__call__``).
        input_name, output_name: names of the graph input and output.
        model_name: the ONNX graph name (default: the module's class name).
        path: where to write the model, if given.
        apply_kwargs: extra static keyword arguments for ``Module.apply``
            (e.g. ``{"train": False}``).

    Returns:
        The checked ``onnx.ModelProto`` (opset 17, float32, static shapes).

    Raises:
        ExportError: the model uses an operation kinfer does not support;
            the message names the primitive and the Flax module.
    """
    if not input_name or not output_name or input_name == output_name:
        raise ExportError(
            f"input and output names must be distinct and non-empty, got {input_name!r}, "
            f"{output_name!r}"
        )
    if isinstance(method, str) and not callable(getattr(module, method, None)):
        raise ExportError(f"{type(module).__name__} has no method {method!r}")
    x = np.asarray(example_input)
    if not np.issubdtype(x.dtype, np.floating):
        raise ExportError(f"example_input must be a float array, got dtype {x.dtype}")
    if x.ndim == 0:
        raise ExportError("example_input must have at least one dimension")

    names, leaves, treedef = _flatten_variables(variables)
    kwargs = dict(apply_kwargs or {})

    def forward(variables: Any, x: jax.Array) -> Any:
        return module.apply(variables, x, method=method, **kwargs)

    abstract_vars = jax.tree_util.tree_unflatten(
        treedef, [_spec(leaf.shape, leaf.dtype) for leaf in leaves]
    )
    closed, out_shape = jax.make_jaxpr(forward, return_shape=True)(
        abstract_vars, _spec(x.shape, jnp.float32)
    )
    if not isinstance(out_shape, jax.ShapeDtypeStruct):
        raise ExportError(
            f"the module must return a single array, got {jax.tree_util.tree_structure(out_shape)}"
        )

    bindings: list[GraphInput | Weight] = [
        Weight(name, leaf) for name, leaf in zip(names, leaves, strict=True)
    ]
    bindings.append(GraphInput(input_name))
    graph_name = model_name or type(module).__name__
    entry = method if isinstance(method, str) else getattr(method, "__name__", "__call__")
    model = lower(
        flatten(closed),
        bindings,
        graph_name=graph_name,
        output_name=output_name,
        doc_string=f"kinfer.flax.export of {type(module).__name__}.{entry}",
        producer_version=kinfer.__version__,
    )
    if path is not None:
        onnx.save_model(model, os.fspath(path))
    return model


def variable_names(variables: Mapping[str, Any]) -> list[str]:
    """The initializer names :func:`export` uses, in tree order."""
    return _flatten_variables(variables)[0]


def _flatten_variables(variables: Any) -> tuple[list[str], list[np.ndarray], Any]:
    with_paths, treedef = jax.tree_util.tree_flatten_with_path(variables)
    names: list[str] = []
    leaves: list[np.ndarray] = []
    for key_path, leaf in with_paths:
        name = "/".join(_key_str(k) for k in key_path)
        array = np.asarray(leaf)
        if np.issubdtype(array.dtype, np.floating) and array.dtype != np.float32:
            array = array.astype(np.float32)  # traced as float32 anyway (x64 off)
        names.append(name)
        leaves.append(array)
    return names, leaves, treedef


def _spec(shape: tuple[int, ...], dtype: Any) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct(shape, dtype)  # type: ignore[no-untyped-call]


def _key_str(key: Any) -> str:
    for attr in ("key", "name", "idx"):
        if hasattr(key, attr):
            return str(getattr(key, attr))
    return str(key)

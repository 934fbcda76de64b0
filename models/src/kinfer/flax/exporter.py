"""``kinfer.flax.export``: a Flax module (Linen or NNX) -> kinfer ONNX.

The module is traced with :func:`jax.make_jaxpr`. Every variable becomes an
ONNX initializer named by its path, keys joined with ``/``, prefixed with
its collection: ``params/Dense_0/kernel``, ``batch_stats/BatchNorm_0/mean``
(Linen: the variables dict as given; NNX: ``nnx.Param`` is ``params``,
``nnx.BatchStat`` is ``batch_stats``, any other variable type its
snake-case name). Each example input becomes a graph input with the
example's static shape and dtype. The equations are then lowered by
:mod:`kinfer.export`; node names carry the Linen module path
(``layers_0/attn/MatMul``).

(The implementation lives in ``exporter.py`` rather than ``export.py`` so
that the submodule never shadows the :func:`export` function on the
``kinfer.flax`` package.)
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
import onnx

import kinfer
from kinfer.errors import ExportError
from kinfer.export import patterns
from kinfer.export.ir import flatten
from kinfer.export.lower import GraphInput, Weight, lower

__all__ = ["export", "variable_names"]

_INPUT_DTYPES = (np.dtype(np.float32), np.dtype(np.int32), np.dtype(np.bool_))


@dataclass(frozen=True)
class _Traceable:
    """A module reduced to ``fn(variables, *inputs)`` and its variables."""

    fn: Callable[..., Any]
    variables: Any
    names: list[str]
    leaves: list[np.ndarray]
    treedef: Any
    class_name: str
    entry: str
    strip_root_scope: bool


def export(
    module: Any,
    *args: Any,
    method: str | Callable[..., Any] | None = None,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    model_name: str | None = None,
    path: str | os.PathLike[str] | None = None,
    apply_kwargs: Mapping[str, Any] | None = None,
    module_path: str = "",
    mutable: Sequence[str] = (),
) -> onnx.ModelProto:
    """Export a Flax module to an ONNX model kinfer can load.

    Linen: ``export(module, variables, *example, method=...)``; NNX:
    ``export(model, *example, method=...)`` (the model is traced in
    ``eval()`` mode; its RNG state stays out of the graph).

    Args:
        module: a ``flax.linen.Module`` or a ``flax.nnx.Module``.
        args: Linen: the variables (as from ``module.init``), then the
            example inputs; NNX: the example inputs. Examples are arrays
            whose shapes and dtypes (float32, int32 or bool) fix the graph
            inputs; they are only traced, never run.
        method: the entry point, a method name or callable (default
            ``__call__``).
        input_names: graph input names (default ``x``, or ``x0``, ``x1``, ...).
        output_names: graph output names (default ``y``, or ``y0``, ...).
        model_name: the ONNX graph name (default: the module's class name).
        path: where to write the model, if given.
        apply_kwargs: extra static keyword arguments for the method
            (e.g. ``{"train": False}``).
        module_path: where this module sits in a parent (``layers_1``):
            variable names become ``params/layers_1/...`` and node names
            ``layers_1/...``, as in the parent's export.
        mutable: Linen collections the method updates (``("counters",)``):
            their variables become model state, read at the start of each
            run and written back at its end (outputs ``<variable>@next``,
            declared in the ``kinfer.state`` metadata).

    Returns:
        The checked ``onnx.ModelProto`` (opset 17, static shapes).

    Raises:
        ExportError: the model uses an operation kinfer does not support;
            the message names the primitive, the Flax module and the method.
    """
    kwargs = dict(apply_kwargs or {})
    if mutable:
        if _is_nnx(module):
            raise ExportError("mutable collections are supported for Linen modules")
        kwargs["mutable"] = list(mutable)
    traceable, examples = _front_end(module, args, method, kwargs)
    names = _prefixed(traceable.names, module_path)
    inputs = [_example(x, i) for i, x in enumerate(examples)]
    in_names = _names(input_names, len(inputs), "x", "input_names")

    abstract_vars = jax.tree_util.tree_unflatten(
        traceable.treedef, [_spec(leaf.shape, leaf.dtype) for leaf in traceable.leaves]
    )
    specs = [_spec(x.shape, x.dtype) for x in inputs]
    try:
        closed, out_shape = jax.make_jaxpr(traceable.fn, return_shape=True)(abstract_vars, *specs)
    except ExportError:
        raise
    except Exception as e:
        raise ExportError(
            f"tracing {traceable.class_name}.{traceable.entry} failed: {type(e).__name__}: {e}"
        ) from e
    program = patterns.fuse(flatten(closed))
    state: dict[str, str] = {}
    if mutable:
        user, updated = out_shape
        state_names = [_leaf_name(path) for path, _ in
                       jax.tree_util.tree_flatten_with_path(updated)[0]]  # fmt: skip
        state_names = _prefixed(state_names, module_path)
        for var in state_names:
            if var not in names:
                raise ExportError(
                    f"{traceable.class_name}.{traceable.entry} creates the variable {var!r}; "
                    "initialise the module's mutable collections first (module.init)"
                )
        n_user = len(jax.tree_util.tree_leaves(user))
        out_names = _names(output_names, n_user, "y", "output_names")
        state = {f"{var}@next": var for var in state_names}
        out_names += list(state)
    else:
        out_names = _names(output_names, len(program.outputs), "y", "output_names")

    bindings: list[GraphInput | Weight] = [
        Weight(name, leaf) for name, leaf in zip(names, traceable.leaves, strict=True)
    ]
    bindings.extend(GraphInput(name) for name in in_names)
    model = lower(
        program,
        bindings,
        out_names,
        graph_name=model_name or traceable.class_name,
        entry=traceable.entry,
        strip_root_scope=traceable.strip_root_scope,
        scope_prefix=module_path.strip("/"),
        doc_string=f"kinfer.flax.export of {traceable.class_name}.{traceable.entry}",
        producer_version=kinfer.__version__,
        metadata={"kinfer.flax.method": traceable.entry},
        state=state,
    )
    if path is not None:
        onnx.save_model(model, os.fspath(path))
    return model


def variable_names(variables: Mapping[str, Any]) -> list[str]:
    """The initializer names :func:`export` uses for Linen variables, in tree order."""
    return _flatten_linen(variables)[0]


# --- front ends ----------------------------------------------------------------


def _front_end(
    module: Any, args: Sequence[Any], method: Any, kwargs: dict[str, Any]
) -> tuple[_Traceable, Sequence[Any]]:
    import flax.linen as nn

    if isinstance(module, nn.Module):
        if not args:
            raise ExportError("a Linen module needs its variables, then at least one example")
        return _linen(module, args[0], method, kwargs), args[1:]
    if _is_nnx(module):
        return _nnx(module, method, kwargs), args
    raise ExportError(
        f"expected a flax.linen.Module or a flax.nnx.Module, got {type(module).__name__}"
    )


def _linen(module: Any, variables: Any, method: Any, kwargs: dict[str, Any]) -> _Traceable:
    entry = _entry_name(module, method)
    if not isinstance(variables, Mapping):
        raise ExportError(
            f"the second argument must be the variables of {type(module).__name__} "
            f"(a dict from module.init), got {type(variables).__name__}"
        )
    names, leaves, treedef = _flatten_linen(variables)

    def fn(variables: Any, *xs: Any) -> Any:
        return module.apply(variables, *xs, method=method, **kwargs)

    return _Traceable(fn, variables, names, leaves, treedef, type(module).__name__, entry, True)


def _nnx(model: Any, method: Any, kwargs: dict[str, Any]) -> _Traceable:
    from flax import nnx

    entry = _entry_name(model, method)
    model.eval()
    graphdef, rng_state, state = nnx.split(model, nnx.RngState, ...)
    kinds = {
        tuple(str(k) for k in path): _collection_of(type(var).__name__)
        for path, var in nnx.to_flat_state(state)
    }
    with_paths, treedef = jax.tree_util.tree_flatten_with_path(state)
    names, leaves = [], []
    for key_path, leaf in with_paths:
        keys = [_key_str(k) for k in key_path if not _is_value_attr(k)]
        names.append("/".join([kinds.get(tuple(keys), "params"), *keys]))
        leaves.append(_as_array(leaf))

    def fn(state: Any, *xs: Any) -> Any:
        merged = nnx.merge(graphdef, rng_state, state)
        target = getattr(merged, method) if isinstance(method, str) else merged
        if callable(method) and not isinstance(method, str):
            return method(merged, *xs, **kwargs)
        return target(*xs, **kwargs)

    return _Traceable(fn, state, names, leaves, treedef, type(model).__name__, entry, False)


def _is_nnx(module: Any) -> bool:
    try:
        from flax import nnx
    except ImportError:  # pragma: no cover - flax without nnx
        return False
    return isinstance(module, nnx.Module)


def _entry_name(module: Any, method: Any) -> str:
    if method is None:
        return "__call__"
    if isinstance(method, str):
        if not callable(getattr(module, method, None)):
            raise ExportError(f"{type(module).__name__} has no method {method!r}")
        return method
    return str(getattr(method, "__name__", "__call__"))


def _collection_of(variable_type: str) -> str:
    known = {"Param": "params", "BatchStat": "batch_stats", "Cache": "cache"}
    if variable_type in known:
        return known[variable_type]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", variable_type).lower()


# --- helpers -------------------------------------------------------------------


def _prefixed(names: list[str], module_path: str) -> list[str]:
    """``params/attn/kernel`` -> ``params/<module_path>/attn/kernel``."""
    module_path = module_path.strip("/")
    if not module_path:
        return names
    out = []
    for name in names:
        collection, _, rest = name.partition("/")
        out.append(f"{collection}/{module_path}/{rest}" if rest else f"{collection}/{module_path}")
    return out


def _names(given: Sequence[str] | None, count: int, stem: str, what: str) -> list[str]:
    if given is None:
        return [stem] if count == 1 else [f"{stem}{i}" for i in range(count)]
    names = list(given)
    if len(names) != count:
        raise ExportError(f"{what} has {len(names)} names for {count} values")
    if any(not n for n in names):
        raise ExportError(f"{what} must not contain empty names")
    return names


def _example(x: Any, i: int) -> np.ndarray:
    array = np.asarray(x)
    if np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float32)
    elif array.dtype == np.int64:
        array = array.astype(np.int32)  # what JAX traces it as (x64 off)
    if array.dtype not in _INPUT_DTYPES:
        raise ExportError(f"example input {i} has dtype {array.dtype}; use float32, int32 or bool")
    if array.ndim == 0:
        raise ExportError(f"example input {i} must have at least one dimension")
    return array


def _leaf_name(key_path: Any) -> str:
    return "/".join(_key_str(k) for k in key_path)


def _flatten_linen(variables: Any) -> tuple[list[str], list[np.ndarray], Any]:
    with_paths, treedef = jax.tree_util.tree_flatten_with_path(variables)
    names = [_leaf_name(key_path) for key_path, _ in with_paths]
    leaves = [_as_array(leaf) for _, leaf in with_paths]
    return names, leaves, treedef


def _as_array(leaf: Any) -> np.ndarray:
    array = np.asarray(leaf)
    if np.issubdtype(array.dtype, np.floating) and array.dtype != np.float32:
        array = array.astype(np.float32)  # traced as float32 anyway (x64 off)
    return array


def _spec(shape: tuple[int, ...], dtype: Any) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct(shape, dtype)  # type: ignore[no-untyped-call]


def _is_value_attr(key: Any) -> bool:
    return getattr(key, "name", None) == "value"


def _key_str(key: Any) -> str:
    for attr in ("key", "name", "idx"):
        if hasattr(key, attr):
            return str(getattr(key, attr))
    return str(key)

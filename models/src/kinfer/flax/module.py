"""``KernelModule``: a Flax module living in the kernel.

::

    with kinfer.flax.to_kernel(module, variables, tokens, name="enc",
                               methods=("__call__", "encode")) as km:
        probs = km(tokens)            # runs in the kernel, returns numpy
        features = km.encode(tokens)

Each method is exported (:func:`kinfer.flax.export`), compiled and loaded
as one BPF program: ``__call__`` as the model ``<name>``, any other method
``m`` as ``<name>-m``. The methods share the weight maps they have in
common (same Flax variable, same bytes): one copy in kernel memory.
:func:`attach` reopens the models later or from another process;
:meth:`KernelModule.close` (or leaving the ``with`` block) unloads them.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from kinfer.errors import ExportError, KernelError
from kinfer.runtime import PIN_ROOT, Port, loaded, runtime

__all__ = ["KernelModule", "attach", "to_kernel"]

#: A kernel model name (KINFER_NAME_MAX, bpffs-safe characters).
_NAME = re.compile(r"[A-Za-z0-9_-]{1,31}")


class KernelModule:
    """Handles to the kernel programs of one Flax module's methods."""

    def __init__(
        self,
        name: str,
        models: Mapping[str, str],
        *,
        owned: bool,
        source: _Source | None = None,
        share_from: str | None = None,
    ) -> None:
        self.name = name
        self._models = dict(models)  # method -> kernel model name
        self._source = source
        self._share_from = share_from  # a submodule's parent program
        self._children: dict[str, KernelModule] = {}
        self._ports: dict[str, tuple[list[Port], list[Port]]] = {}
        self._closed = False
        # Warn, not unload, when a module is dropped unclosed: the models
        # may be meant to outlive this process (attach() finds them).
        self._finalizer = weakref.finalize(self, _warn_leaked, name) if owned else None

    # lifecycle

    def close(self) -> None:
        """Unload every method's program and weights. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._finalizer is not None:
            self._finalizer.detach()
        errors = []
        for child in self._children.values():
            child.close()
        for model in sorted(self._models.values(), key=len, reverse=True):
            if loaded(model):
                try:
                    runtime().unload(model)
                except KernelError as e:
                    errors.append(str(e))
        if errors:
            raise KernelError(f"KernelModule {self.name!r}: closing failed: {'; '.join(errors)}")

    def __enter__(self) -> KernelModule:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self._models)

    def model_name(self, method: str = "__call__") -> str:
        """The kernel model running ``method`` (``kinfer run <it>``)."""
        if method not in self._models:
            raise AttributeError(
                f"KernelModule {self.name!r} has no method {method!r}; it has "
                f"{', '.join(self._models)}"
            )
        return self._models[method]

    # weights

    def update(self, new_variables: Any) -> None:
        """Replace the weights in the kernel while the module stays loaded.

        Linen: the new variables dict (same tree and shapes); NNX: a model
        of the same class, or an ``nnx.State`` of it. Each method's program
        is swapped whole (``kinfer swap``): a concurrent call sees the old
        weights or the new ones, never a mix.
        """
        if self._closed:
            raise KernelError(f"KernelModule {self.name!r} is closed")
        if self._source is None:
            raise KernelError(
                f"KernelModule {self.name!r} was attached, so it has no Flax module to "
                "export new weights from; use kinfer swap with new ONNX files"
            )
        source = self._source.with_variables(new_variables)
        primary = self._models[self.methods[0]]
        with tempfile.TemporaryDirectory(prefix="kinfer-") as tmp:
            for method, model in self._models.items():
                path = source.export(method, model, Path(tmp))
                self._live_model(method)
                share = self._share_from or (primary if model != primary else None)
                runtime().swap(path, model, share_weights_from=share)
        self._source = source
        for sub_path, child in self._children.items():
            keys = sub_path.split("/")
            child.update({c: t for c, t in ((c, _subtree(v, keys)) for c, v in
                                            new_variables.items()) if t is not None})

    # state

    def state(self) -> dict[str, np.ndarray]:
        """The kernel-resident mutable collections, by variable path.

        ``{"counters/calls": array(3.), ...}``: read between runs, so it is
        the state after some whole number of calls.
        """
        model = self._live_model(self.methods[0])
        manifest = runtime().manifest(model)
        return {
            s["name"]: runtime().weight(model, s["weight"], np.dtype(s["dtype"]),
                                        tuple(s["shape"]))
            for s in manifest.get("state", [])
        }  # fmt: skip

    def reset_state(self) -> None:
        """Put the mutable collections back to the variables the module was
        loaded (or last updated) with; atomic like :meth:`update`."""
        source = self._require_source()
        self.update(source.args[0] if not source.nnx else source.module)

    # submodules

    def submodules(self, method: str = "__call__") -> list[str]:
        """Paths of the submodules ``method`` calls, in call order (Linen)."""
        return [path for path, _ in self._require_source().calls(method)]

    def submodule(self, path: str, method: str = "__call__") -> KernelModule:
        """A handle running just the submodule at ``path`` in the kernel.

        Its program is loaded as ``<name>-sub-<path with / as _>`` on the
        weight maps of this module (the submodule's variables are the
        parent's, by name and bytes); its inputs are what ``method`` passes
        the submodule for this module's example inputs. The handle is
        closed with this module.
        """
        if path in self._children:
            return self._children[path]
        source = self._require_source()
        model = _model_name(self.name, "sub-" + path.strip("/").replace("/", "_"))
        if loaded(model):
            raise KernelError(f"a model named {model!r} is already loaded", model=model)
        sub = source.submodule(path, method)
        primary = self._models[self.methods[0]]
        with tempfile.TemporaryDirectory(prefix="kinfer-") as tmp:
            runtime().load(sub.export("__call__", model, Path(tmp)), model,
                           share_weights_from=primary)  # fmt: skip
        child = KernelModule(f"{self.name}/{path}", {"__call__": model}, owned=False, source=sub,
                             share_from=primary)  # fmt: skip
        self._children[path] = child
        return child

    def _require_source(self) -> _Source:
        if self._closed:
            raise KernelError(f"KernelModule {self.name!r} is closed")
        if self._source is None:
            raise KernelError(
                f"KernelModule {self.name!r} was attached, so it has no Flax module"
            )
        return self._source

    # calls

    def __call__(self, *inputs: Any) -> Any:
        return self.call("__call__", *inputs)

    def __getattr__(self, method: str) -> Callable[..., Any]:
        models = self.__dict__.get("_models", {})
        if method.startswith("_") or method not in models:
            raise AttributeError(
                f"KernelModule {self.__dict__.get('name')!r} has no method {method!r}"
            )
        return lambda *inputs: self.call(method, *inputs)

    def call(self, method: str, *inputs: Any) -> Any:
        """Run ``method`` in the kernel; one array, or a tuple for several outputs."""
        model = self._live_model(method)
        ins, outs = self._ports_of(method, model)
        arrays = self._inputs(method, ins, inputs)
        results = runtime().run(model, arrays, (ins, outs))
        return results[0] if len(results) == 1 else tuple(results)

    def _live_model(self, method: str) -> str:
        if self._closed:
            raise KernelError(f"KernelModule {self.name!r} is closed")
        model = self.model_name(method)
        if not loaded(model):
            raise KernelError(
                f"KernelModule {self.name!r}: method {method} (kernel model {model!r}) is not "
                "loaded any more (unloaded with kinfer unload, or kinfer.ko was reloaded)",
                model=model,
            )
        return model

    def _ports_of(self, method: str, model: str) -> tuple[list[Port], list[Port]]:
        if method not in self._ports:
            self._ports[method] = runtime().ports(model)
        return self._ports[method]

    def _inputs(self, method: str, ports: Sequence[Port], inputs: Sequence[Any]) -> list[np.ndarray]:
        where = f"KernelModule {self.name!r}.{method}"
        if len(inputs) != len(ports):
            raise ValueError(f"{where} takes {len(ports)} inputs, got {len(inputs)}")
        arrays = []
        for port, value in zip(ports, inputs, strict=True):
            array = np.asarray(value)
            if array.shape != port.shape:
                raise ValueError(
                    f"{where}: input {port.name!r} has shape {array.shape}; the kernel program "
                    f"was compiled for {port.shape} ({port.dtype})"
                )
            if array.dtype != port.dtype:
                if array.dtype.kind != port.dtype.kind and not (
                    array.dtype.kind in "iu" and port.dtype.kind in "iu"
                ):
                    raise ValueError(
                        f"{where}: input {port.name!r} has dtype {array.dtype}, expected "
                        f"{port.dtype}"
                    )
                converted = array.astype(port.dtype)
                if port.dtype.kind in "iu" and not np.array_equal(converted, array):
                    raise ValueError(f"{where}: input {port.name!r} does not fit {port.dtype}")
                array = converted
            arrays.append(array)
        return arrays

    def __repr__(self) -> str:
        state = "closed" if self._closed else "loaded"
        return f"<KernelModule {self.name!r} methods={list(self._models)} {state}>"


def to_kernel(
    module: Any,
    *args: Any,
    name: str,
    methods: Sequence[str] = ("__call__",),
    apply_kwargs: Mapping[str, Any] | None = None,
    mutable: Sequence[str] = (),
) -> KernelModule:
    """Export, compile and load a Flax module's methods into the kernel.

    Linen: ``to_kernel(module, variables, *example, name=...)``; NNX:
    ``to_kernel(model, *example, name=...)`` (``variables`` may be given
    as ``None``). The examples fix the input shapes and dtypes of every
    method. ``mutable`` names Linen collections the methods update (a
    counter, an RNN carry): they live in the kernel, persist across calls,
    are written back at the end of each call and read with
    :meth:`KernelModule.state`.

    Raises:
        ExportError: a method cannot be exported (the message names the
            primitive, the module path and the method).
        KernelError: the loader or the kernel refused a program; nothing
            stays loaded.
    """
    from kinfer.flax.exporter import _is_nnx

    if not methods or len(set(methods)) != len(methods):
        raise ExportError(f"methods must be distinct and non-empty, got {list(methods)}")
    if _is_nnx(module) and args and args[0] is None:
        args = args[1:]
    models = {m: _model_name(name, m) for m in methods}
    for model in models.values():
        if loaded(model):
            raise KernelError(
                f"a model named {model!r} is already loaded; close its KernelModule or "
                f"kinfer unload {model}",
                model=model,
            )
    primary = models[methods[0]]
    source = _Source(module, args, dict(apply_kwargs or {}), _is_nnx(module),
                     mutable=tuple(mutable))  # fmt: skip
    km = KernelModule(name, {}, owned=True, source=source)
    try:
        with tempfile.TemporaryDirectory(prefix="kinfer-") as tmp:
            for method in methods:
                path = source.export(method, models[method], Path(tmp))
                share = primary if models[method] != primary else None
                runtime().load(path, models[method], share_weights_from=share)
                km._models[method] = models[method]
    except BaseException:
        km.close()
        raise
    return km


@dataclass(frozen=True)
class _Source:
    """What a KernelModule was exported from, to export it again (update)."""

    module: Any
    args: tuple[Any, ...]  # Linen: (variables, *examples); NNX: examples
    apply_kwargs: dict[str, Any]
    nnx: bool
    entry: Callable[..., Any] | None = None  # replaces the method (a submodule's call)
    module_path: str = ""
    mutable: tuple[str, ...] = ()

    def export(self, method: str, model: str, directory: Path) -> Path:
        from kinfer.flax.exporter import export

        path = directory / f"{model}.onnx"
        export(self.module, *self.args, method=self.entry or method, model_name=model,
               path=path, apply_kwargs=self.apply_kwargs,
               module_path=self.module_path, mutable=self.mutable)  # fmt: skip
        return path

    def calls(self, method: str) -> list[tuple[str, Any]]:
        """(path, call) for each submodule call of ``method`` on the examples."""
        if self.nnx:
            raise ExportError("submodule handles are supported for Linen modules")
        import flax.linen as nn

        seen: list[tuple[str, Any]] = []

        def record(next_fun: Any, args: Any, kwargs: Any, context: Any) -> Any:
            module = context.module
            if context.method_name == "__call__" and module.path:
                path = "/".join(str(p) for p in module.path)
                if path not in {p for p, _ in seen}:
                    seen.append((path, (module, args, kwargs)))
            return next_fun(*args, **kwargs)

        kwargs = dict(self.apply_kwargs)
        if self.mutable:
            kwargs["mutable"] = list(self.mutable)
        with nn.intercept_methods(record):
            self.module.apply(self.args[0], *self.args[1:], method=method, **kwargs)
        return seen

    def submodule(self, path: str, method: str) -> _Source:
        import jax

        calls = dict(self.calls(method))
        if path.strip("/") not in calls:
            known = ", ".join(calls) or "none"
            raise ExportError(f"{type(self.module).__name__}.{method} calls no submodule "
                              f"{path!r}; it calls {known}")  # fmt: skip
        bound, args, kwargs = calls[path.strip("/")]
        arrays = {k: v for k, v in kwargs.items() if isinstance(v, jax.Array | np.ndarray)}
        static = {k: v for k, v in kwargs.items() if k not in arrays}
        keys = list(arrays)
        n = len(args)

        def call(module: Any, *xs: Any) -> Any:
            return module(*xs[:n], **dict(zip(keys, xs[n:], strict=True)), **static)

        call.__name__ = "__call__"
        unbound = bound.clone(parent=None, name=None)
        variables = {
            collection: _subtree(tree, path.strip("/").split("/"))
            for collection, tree in self.args[0].items()
        }
        variables = {c: t for c, t in variables.items() if t is not None}
        examples = tuple(np.asarray(a) for a in (*args, *arrays.values()))
        return _Source(unbound, (variables, *examples), {}, False, call, path.strip("/"))

    def with_variables(self, new: Any) -> _Source:
        if not self.nnx:
            if not isinstance(new, Mapping):
                raise ExportError(f"new variables must be a dict, got {type(new).__name__}")
            return replace(self, args=(new, *self.args[1:]))
        from flax import nnx

        if isinstance(new, nnx.Module):
            if type(new) is not type(self.module):
                raise ExportError(
                    f"new model is a {type(new).__name__}, not a {type(self.module).__name__}"
                )
            return replace(self, module=new)
        model = nnx.clone(self.module)
        nnx.update(model, new)
        return replace(self, module=model)


def _subtree(tree: Any, keys: Sequence[str]) -> Any:
    for key in keys:
        if not isinstance(tree, Mapping) or key not in tree:
            return None
        tree = tree[key]
    return tree


def attach(name: str) -> KernelModule:
    """Reopen the module loaded earlier as ``name`` (by any process or the CLI).

    ``<name>`` is its ``__call__`` and ``<name>-<method>`` its other methods.
    The returned handle does not warn when dropped; ``close()`` unloads.
    """
    _check_name(name)
    models: dict[str, str] = {}
    if loaded(name):
        models["__call__"] = name
    prefix = f"{name}-"
    if PIN_ROOT.is_dir():
        for entry in sorted(os.listdir(PIN_ROOT)):
            is_submodule = entry.startswith(f"{prefix}sub-")
            if entry.startswith(prefix) and not is_submodule and loaded(entry):
                models[entry[len(prefix) :]] = entry
    if not models:
        raise KernelError(f"no kinfer model named {name!r} or {name!r}-<method> is loaded")
    return KernelModule(name, models, owned=False)


def _model_name(name: str, method: str) -> str:
    _check_name(name)
    model = name if method == "__call__" else f"{name}-{method}"
    if not _NAME.fullmatch(model):
        raise ExportError(
            f"kernel model name {model!r} (module {name!r}, method {method!r}) must be 1-31 "
            "characters of [A-Za-z0-9_-]"
        )
    return model


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise ExportError(f"name must be 1-31 characters of [A-Za-z0-9_-], got {name!r}")


def _warn_leaked(name: str) -> None:
    warnings.warn(
        f"KernelModule {name!r} was never closed: its programs stay loaded in the kernel "
        f"(kinfer.flax.attach({name!r}).close() or kinfer unload them)",
        ResourceWarning,
        stacklevel=2,
    )

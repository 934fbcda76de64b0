"""Load, run and unload kinfer models from Python, through ``libkinfer.so``.

``libkinfer.so`` is the loader's C API (loader/capi/kinfer.h): the same
code as the ``kinfer`` CLI, called through :mod:`ctypes`. It is found
through ``KINFER_LIB``, then the source tree's build directory, then the
system's library path. Only numpy is needed here.

Errors from the loader or the kernel raise :class:`KernelError`; when a
run fails at a node, the error carries the ONNX node name, whose prefix is
the Flax module path (``layers_0/attn/MatMul``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kinfer.errors import KernelError

__all__ = ["KernelError", "Port", "Runtime", "loaded", "runtime"]

PIN_ROOT = Path("/sys/fs/bpf/kinfer")
_ERR_LEN = 4096
_DTYPES = {
    "float32": np.float32,
    "int32": np.int32,
    "int64": np.int64,
    "bool": np.bool_,
    "uint8": np.uint8,
}


@dataclass(frozen=True)
class Port:
    """A model input or output, as its manifest describes it."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    nbytes: int


def _find_library() -> str:
    explicit = os.environ.get("KINFER_LIB")
    if explicit:
        return explicit
    tree = Path(__file__).resolve().parents[3] / "build/cmake/loader/libkinfer.so"
    if tree.exists():
        return str(tree)
    found = ctypes.util.find_library("kinfer")
    if found is None:
        raise KernelError(
            "libkinfer.so not found: build the loader (make loader) or set KINFER_LIB"
        )
    return found


class Runtime:
    """The loader library; one per process is enough (see :func:`runtime`)."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or _find_library()
        try:
            lib = ctypes.CDLL(self.path)
        except OSError as e:
            raise KernelError(f"cannot open {self.path}: {e}") from e
        c_char_p, c_size_t, c_int = ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int
        lib.kinfer_load.argtypes = [c_char_p, c_char_p, c_char_p, c_char_p, c_size_t]
        lib.kinfer_manifest.argtypes = [
            c_char_p, c_char_p, c_size_t, ctypes.POINTER(c_size_t), c_char_p, c_size_t,
        ]  # fmt: skip
        lib.kinfer_run.argtypes = [
            c_char_p,
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(c_size_t),
            c_size_t,
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(c_size_t),
            c_size_t,
            c_char_p,
            c_size_t,
        ]
        lib.kinfer_swap.argtypes = [c_char_p, c_char_p, c_char_p, c_char_p, c_size_t]
        lib.kinfer_weight.argtypes = [
            c_char_p, c_char_p, ctypes.c_void_p, c_size_t, ctypes.POINTER(c_size_t), c_char_p,
            c_size_t,
        ]  # fmt: skip
        lib.kinfer_unload.argtypes = [c_char_p, c_char_p, c_size_t]
        fns = (lib.kinfer_load, lib.kinfer_swap, lib.kinfer_manifest, lib.kinfer_run,
               lib.kinfer_weight, lib.kinfer_unload)  # fmt: skip
        for fn in fns:
            fn.restype = c_int
        self._lib = lib

    def _check(self, code: int, err: Any, model: str | None) -> None:
        if code != 0:
            raise KernelError(err.value.decode(errors="replace"), code, model)

    def load(self, onnx_path: str | os.PathLike[str], name: str, share_weights_from: str | None = None) -> None:
        """Compile ``onnx_path`` and load it as ``name``."""
        err = ctypes.create_string_buffer(_ERR_LEN)
        share = share_weights_from.encode() if share_weights_from else None
        code = self._lib.kinfer_load(os.fsencode(onnx_path), name.encode(), share, err, _ERR_LEN)
        self._check(code, err, name)

    def swap(
        self, onnx_path: str | os.PathLike[str], name: str, share_weights_from: str | None = None
    ) -> None:
        """Replace the loaded ``name`` by a new version atomically (``kinfer swap``)."""
        err = ctypes.create_string_buffer(_ERR_LEN)
        share = share_weights_from.encode() if share_weights_from else None
        code = self._lib.kinfer_swap(os.fsencode(onnx_path), name.encode(), share, err, _ERR_LEN)
        self._check(code, err, name)

    def manifest(self, name: str) -> dict[str, Any]:
        """The manifest ``kinfer show --json`` prints for a loaded model."""
        err = ctypes.create_string_buffer(_ERR_LEN)
        needed = ctypes.c_size_t(0)
        size = 1 << 16
        while True:
            buf = ctypes.create_string_buffer(size)
            code = self._lib.kinfer_manifest(
                name.encode(), buf, size, ctypes.byref(needed), err, _ERR_LEN
            )
            self._check(code, err, name)
            if needed.value <= size:
                result: dict[str, Any] = json.loads(buf.value)
                return result
            size = needed.value

    def ports(self, name: str) -> tuple[list[Port], list[Port]]:
        """The inputs and outputs of a loaded model."""
        m = self.manifest(name)
        return _ports(m["inputs"]), _ports(m["outputs"])

    def run(
        self, name: str, inputs: Sequence[np.ndarray], ports: tuple[list[Port], list[Port]] | None = None
    ) -> list[np.ndarray]:
        """Run a loaded model on this CPU; inputs must match its ports exactly."""
        ins, outs = ports or self.ports(name)
        arrays = [np.ascontiguousarray(a) for a in inputs]
        results = [np.empty(p.shape, p.dtype) for p in outs]
        in_ptrs = (ctypes.c_void_p * max(len(arrays), 1))(*[a.ctypes.data for a in arrays])
        in_sizes = (ctypes.c_size_t * max(len(arrays), 1))(*[a.nbytes for a in arrays])
        out_ptrs = (ctypes.c_void_p * max(len(results), 1))(*[r.ctypes.data for r in results])
        out_sizes = (ctypes.c_size_t * max(len(results), 1))(*[r.nbytes for r in results])
        err = ctypes.create_string_buffer(_ERR_LEN)
        code = self._lib.kinfer_run(
            name.encode(), in_ptrs, in_sizes, len(arrays), out_ptrs, out_sizes, len(results),
            err, _ERR_LEN,
        )  # fmt: skip
        self._check(code, err, name)
        return results

    def weight(self, name: str, weight: str, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
        """A weight's current value (model state changes with each run)."""
        out = np.empty(shape, dtype)
        err = ctypes.create_string_buffer(_ERR_LEN)
        needed = ctypes.c_size_t(0)
        code = self._lib.kinfer_weight(
            name.encode(), weight.encode(), out.ctypes.data, out.nbytes, ctypes.byref(needed),
            err, _ERR_LEN,
        )  # fmt: skip
        self._check(code, err, name)
        if needed.value != out.nbytes:
            raise KernelError(
                f"weight {weight!r} of {name!r} has {needed.value} bytes, not {out.nbytes}",
                model=name,
            )
        return out

    def unload(self, name: str) -> None:
        err = ctypes.create_string_buffer(_ERR_LEN)
        self._check(self._lib.kinfer_unload(name.encode(), err, _ERR_LEN), err, name)


def _ports(entries: Sequence[dict[str, Any]]) -> list[Port]:
    return [
        Port(e["name"], np.dtype(_DTYPES[e["dtype"]]), tuple(int(d) for d in e["shape"]),
             int(e["bytes"]))
        for e in entries
    ]  # fmt: skip


def loaded(name: str) -> bool:
    """Whether a model of this name is pinned (loaded)."""
    return (PIN_ROOT / name / "prog").exists()


_RUNTIME: Runtime | None = None


def runtime() -> Runtime:
    """The process's :class:`Runtime`, opened on first use."""
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = Runtime()
    return _RUNTIME

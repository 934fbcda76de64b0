"""kinfer.runtime and KernelModule on the host: the library binding and every
error that does not need kinfer.ko. tests/vm/test_kernel_module.py runs
them against the kernel."""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
import pytest

import kinfer.flax
from kinfer import runtime as rt
from kinfer.flax.module import KernelModule

def test_library_binds_the_c_api() -> None:
    lib = rt.Runtime()
    assert lib.path.endswith("libkinfer.so")
    for fn in ("kinfer_load", "kinfer_manifest", "kinfer_run", "kinfer_unload"):
        assert hasattr(lib._lib, fn)


def test_missing_library_is_a_kernel_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINFER_LIB", "/nonexistent/libkinfer.so")
    with pytest.raises(kinfer.KernelError, match="cannot open /nonexistent/libkinfer.so"):
        rt.Runtime()


def test_errors_carry_code_and_text(tmp_path: Path) -> None:
    lib = rt.Runtime()
    with pytest.raises(kinfer.KernelError) as info:
        lib.manifest("nosuchmodel")
    assert info.value.code == 1
    assert "no model named 'nosuchmodel' is loaded" in str(info.value)
    with pytest.raises(kinfer.KernelError) as info:
        lib.load(tmp_path / "missing.onnx", "m")
    assert info.value.code in (1, 3) and str(info.value)


def test_bad_names_are_refused_in_the_library() -> None:
    lib = rt.Runtime()
    with pytest.raises(kinfer.KernelError) as info:
        lib.unload("a/b")
    assert info.value.code in (1, 2, 3)


def test_kernel_error_names_the_module_path() -> None:
    e = kinfer.KernelError(
        "model 'enc' failed: index out of range at kernel node 3 (GATHER, ONNX node "
        "'layers_0/attn/Gather'); see /sys/kernel/kinfer/models/enc/"
    )
    assert e.node == "layers_0/attn/Gather" and e.module_path == "layers_0/attn"
    assert kinfer.KernelError("plain").node is None


def test_to_kernel_argument_errors() -> None:
    module = kinfer.flax.export  # any object: arguments are checked first
    del module
    import flax.linen as nn

    dense = nn.Dense(2)
    x = np.ones((1, 3), np.float32)
    variables = dense.init(jax.random.key(0), x)
    with pytest.raises(kinfer.ExportError, match="1-31 characters"):
        kinfer.flax.to_kernel(dense, variables, x, name="bad.name")
    with pytest.raises(kinfer.ExportError, match="distinct and non-empty"):
        kinfer.flax.to_kernel(dense, variables, x, name="d", methods=("__call__", "__call__"))
    with pytest.raises(kinfer.ExportError, match="kernel model name"):
        kinfer.flax.to_kernel(dense, variables, x, name="d" * 28, methods=("__call__", "encode"))


def test_attach_without_models_and_closed_handles() -> None:
    with pytest.raises(kinfer.KernelError, match="no kinfer model named 'zz_none'"):
        kinfer.flax.attach("zz_none")
    km = KernelModule("ghost", {"__call__": "ghost"}, owned=False)
    with pytest.raises(kinfer.KernelError, match="is not loaded any more"):
        km(np.ones((1, 3), np.float32))
    with pytest.raises(AttributeError, match="has no method 'encode'"):
        km.encode  # noqa: B018
    km.close()
    km.close()  # idempotent
    with pytest.raises(kinfer.KernelError, match="KernelModule 'ghost' is closed"):
        km(np.ones((1, 3), np.float32))


def test_an_unclosed_module_warns() -> None:
    import gc

    km = KernelModule("leaky", {}, owned=True)
    with pytest.warns(ResourceWarning, match="KernelModule 'leaky' was never closed"):
        del km
        gc.collect()

"""The compute kernels' instruction-set variants in kinfer.ko (in the VM).

The module runs the best variant the CPU allows and root may switch to a
lower one at any time through the "isa" module parameter.  make test-vm
boots twice: the main boot's emulated CPU has no AVX2 (scripts/vm-run.sh
says why), and a second boot runs this file alone on a CPU with AVX2 and
FMA (QEMU has no AVX-512).  Each variant available runs a MatMul shaped to
reach every path of the GEMM kernels (row remainders, K chunks that carry
their sums in Y, strips of 4 and 1 vectors, columns past the last multiple
of 16) and a 3-layer MLP in the kernel: their outputs must equal, bit for
bit, the userspace build of the same variant (`kinfer run --reference`
with KINFER_ISA) and match a float64 product or JAX's outputs.
"""
from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pytest

from conftest import FIXTURES, KINFER, SYSFS, kinfer, module_for_file, run

PARAM = Path("/sys/module/kinfer/parameters/isa")
MLP = FIXTURES / "mlp_big"
ORDER = ["generic", "avx2", "avx512"]
# M: two row blocks of 32 and a remainder; K: six chunks of 128 (and one
# of 60); N: a 64-wide strip, two 16-wide ones and 4 columns past them.
M, K, N = 40, 700, 100


@pytest.fixture(scope="module", autouse=True)
def module():
    with module_for_file("isa_matmul", "isa_mlp"):
        PARAM.write_text("auto")
        yield


def cpu_flags() -> set[str]:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def expected_best() -> str:
    flags = cpu_flags()
    if {"avx2", "fma"} <= flags:
        return "avx512" if "avx512f" in flags else "avx2"
    return "generic"


def variants() -> list[str]:
    return ORDER[: ORDER.index(expected_best()) + 1]


def test_the_best_variant_runs_by_default() -> None:
    best = expected_best()
    print(f"this CPU allows: {best}")
    assert (SYSFS / "isa_best").read_text().strip() == best
    assert PARAM.read_text().strip() == "auto"
    assert (SYSFS / "isa").read_text().strip() == best


def test_a_variant_the_cpu_lacks_or_an_unknown_one_is_refused() -> None:
    best = expected_best()
    for name, err in [("avx512", errno.EOPNOTSUPP), ("sse9", errno.EINVAL)]:
        if name == best:
            continue
        with pytest.raises(OSError) as e:
            PARAM.write_text(name)
        assert e.value.errno == err, name
        assert (SYSFS / "isa").read_text().strip() == best
    assert "isa=sse9: not one of auto, generic, avx2, avx512" in run("dmesg").stdout


def matmul_model(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(20261130)
    x = rng.standard_normal((M, K)).astype(np.float32)
    w = rng.standard_normal((K, N)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="matmul")], "isa",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [M, K])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [M, N])],
        [numpy_helper.from_array(w, "w")])  # fmt: skip
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return x, x.astype(np.float64) @ w.astype(np.float64)


def run_once(tmp_path: Path, target: str, inputs: list[Path], isa: str, reference: bool) -> np.ndarray:
    out = tmp_path / f"{'user' if reference else 'kernel'}_{isa}.npy"
    args = [KINFER, "run", target, *(a for p in inputs for a in ("--input", str(p))),
            "--output", str(out)]  # fmt: skip
    if reference:
        args = ["env", f"KINFER_ISA={isa}", *args, "--reference"]
    run(*args)
    return np.load(out)


def each_variant(tmp_path: Path, onnx_file: Path, name: str, inputs: list[Path]) -> dict[str, np.ndarray]:
    """Kernel output per variant, each equal to its userspace build's."""
    kinfer("load", str(onnx_file), "--name", name)
    outputs = {}
    try:
        for isa in variants():
            PARAM.write_text(isa)
            assert (SYSFS / "isa").read_text().strip() == isa
            kernel = run_once(tmp_path, name, inputs, isa, False)
            user = run_once(tmp_path, str(onnx_file), inputs, isa, True)
            assert kernel.tobytes() == user.tobytes(), f"{name}, {isa}: kernel and userspace differ"
            outputs[isa] = kernel
    finally:
        PARAM.write_text("auto")
    assert int((SYSFS / "models" / name / "errors").read_text()) == 0
    kinfer("unload", name)
    return outputs


def test_every_gemm_path_in_the_kernel_equals_its_userspace_build(tmp_path: Path) -> None:
    x, want = matmul_model(tmp_path / "matmul.onnx")
    np.save(tmp_path / "x.npy", x)
    outputs = each_variant(tmp_path, tmp_path / "matmul.onnx", "isa_matmul", [tmp_path / "x.npy"])
    for isa, got in outputs.items():
        rel = float(np.max(np.abs(got - want))) / float(np.max(np.abs(want)))
        print(f"matmul {M}x{K}x{N}, {isa}: relative error to float64 {rel:.1e}")
        assert rel <= 1e-5, isa
    if len(outputs) > 1:
        # FMA rounds once per step: the switch must really have happened.
        assert outputs["generic"].tobytes() != outputs[variants()[-1]].tobytes()
    assert (SYSFS / "isa").read_text().strip() == expected_best()


def test_every_variant_runs_an_mlp_as_jax_does(tmp_path: Path) -> None:
    outputs = each_variant(tmp_path, MLP / "model.onnx", "isa_mlp", [MLP / "input_0.npy"])
    want = np.load(MLP / "expected_0.npy")
    for isa, got in outputs.items():
        rel = float(np.max(np.abs(got - want))) / float(np.max(np.abs(want)))
        print(f"mlp_big, {isa}: relative error to JAX {rel:.1e}")
        assert rel <= 1e-5, isa

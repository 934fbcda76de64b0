"""kinfer in a running Debian kernel: load Flax MLPs, run them, compare with JAX.

Runs inside the VM (tests/vm/run-in-guest.sh), in file order: the module is
inserted once, three models are loaded, run and unloaded, and the last test
removes the module and checks that nothing was left behind.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnx
import pytest

from conftest import (BPFFS, FIXTURES, MODULE, SYSFS, dmesg_trouble, kinfer,
                      rmmod_with_retry, run)

MODELS = ["mlp_relu", "mlp_tanh", "mlp_big"]
SAMPLES = 16

# ONNX op -> the kfunc the loader must lower it to.  MatMul + Add (bias)
# + an activation right after it fuse into one kinfer_matmul.
KFUNC_OF_OP = {
    "MatMul": "kinfer_matmul",
    "Softmax": "kinfer_softmax",
}
FUSED_ACTIVATIONS = {"Relu", "Sigmoid", "Tanh"}


def fixture(model: str) -> Path:
    path = FIXTURES / model
    assert (path / "model.onnx").exists(), f"missing fixture {path}; run 'make fixtures'"
    return path


def expected_kfuncs(model_path: Path) -> list[str]:
    """One kfunc per layer, derived from the exported ONNX graph."""
    graph = onnx.load(str(model_path)).graph
    calls = ["kinfer_input"]
    for node in graph.node:
        if node.op_type in KFUNC_OF_OP:
            calls.append(KFUNC_OF_OP[node.op_type])
        else:
            assert node.op_type == "Add" or node.op_type in FUSED_ACTIVATIONS, node.op_type
    calls.append("kinfer_output")
    return calls


def show(model: str) -> dict:
    return json.loads(kinfer("show", model, "--json").stdout)


def test_module_inserts_cleanly(kernel_module: Path) -> None:
    assert (kernel_module / "version").read_text().strip()
    assert (kernel_module / "abi_version").read_text().strip() == "2"
    assert Path("/sys/kernel/btf/kinfer").exists(), "module BTF missing"
    assert list((kernel_module / "models").iterdir()) == []
    assert dmesg_trouble() == []


def test_kfunc_bounds_selftest(kernel_module: Path) -> None:
    """BPF programs call every kfunc with bad descriptors: each must refuse."""
    proc = run(str(MODULE.parents[1] / "build/bin/kfunc_selftest"), check=False)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " 0 failed" in proc.stdout
    assert dmesg_trouble() == []


@pytest.mark.parametrize("model", MODELS)
def test_load(kernel_module: Path, model: str) -> None:
    kinfer("load", str(fixture(model) / "model.onnx"), "--name", model)
    assert (BPFFS / model / "prog").exists()
    assert (kernel_module / "models" / model / "id").exists()


@pytest.mark.parametrize("model", MODELS)
def test_show_lists_one_kfunc_per_layer(model: str) -> None:
    info = show(model)
    kfuncs = [node["kfunc"] for node in info["nodes"]]
    assert kfuncs == expected_kfuncs(fixture(model) / "model.onnx")
    human = kinfer("show", model).stdout
    for name in kfuncs:
        assert name in human


@pytest.mark.parametrize("model", MODELS)
def test_bpftool_names_program_and_weight_maps(model: str) -> None:
    progs = json.loads(run("bpftool", "-j", "prog", "show").stdout)
    maps = json.loads(run("bpftool", "-j", "map", "show").stdout)
    prog_names = {p.get("name", "") for p in progs}
    map_names = {m.get("name", "") for m in maps}
    assert ("kinfer_" + model)[:15] in prog_names
    maps_shown = show(model)["maps"]
    for role in ("config", "io", "meta"):
        own = [m["name"] for m in maps_shown if m["role"] == role]
        assert own and own[0] in map_names and model[:4] in own[0]
    weights = [m for m in maps_shown if m["role"] == "weight"]
    assert weights, "no weight maps listed"
    for m in weights:
        assert m["name"] in map_names
    graph = onnx.load(str(fixture(model) / "model.onnx")).graph
    assert {m["weight"] for m in weights} == {t.name for t in graph.initializer}


@pytest.mark.parametrize("model", MODELS)
def test_in_kernel_output_matches_jax(model: str, tmp_path: Path) -> None:
    path = fixture(model)
    worst = 0.0
    for i in range(SAMPLES):
        out = tmp_path / f"out_{i}.npy"
        kinfer("run", model, "--input", str(path / f"input_{i}.npy"), "--output", str(out))
        got = np.load(out)
        want = np.load(path / f"expected_{i}.npy")
        assert got.shape == want.shape
        err = float(np.max(np.abs(got - want)))
        bound = 1e-5 * float(np.max(np.abs(want))) + 1e-6
        assert err <= bound, f"sample {i}: max abs err {err:.3g} > {bound:.3g}"
        worst = max(worst, err / bound)
    print(f"{model}: worst error is {worst:.3f} of the bound over {SAMPLES} inputs")


@pytest.mark.parametrize("model", MODELS)
def test_kernel_agrees_with_eigen_reference(model: str, tmp_path: Path) -> None:
    path = fixture(model)
    inp = str(path / "input_0.npy")
    kinfer("run", model, "--input", inp, "--output", str(tmp_path / "k.npy"))
    kinfer("run", "--reference", str(path / "model.onnx"), "--input", inp,
           "--output", str(tmp_path / "r.npy"))
    k, r = np.load(tmp_path / "k.npy"), np.load(tmp_path / "r.npy")
    assert np.max(np.abs(k - r)) <= 1e-5 * np.max(np.abs(r)) + 1e-6


@pytest.mark.parametrize("model", MODELS)
def test_sysfs_counters(kernel_module: Path, model: str) -> None:
    d = kernel_module / "models" / model
    calls = int((d / "calls").read_text())
    assert calls == SAMPLES + 1  # the JAX comparison plus the Eigen cross-check
    assert int((d / "errors").read_text()) == 0
    assert int((d / "last_run_ns").read_text()) > 0
    assert int((d / "arena_bytes").read_text()) == show(model)["arena_bytes"]


def test_concurrent_runs_on_all_cpus(kernel_module: Path, tmp_path: Path) -> None:
    """All three models run at once, two callers each, on every CPU.

    Runs of one model serialise on its io slot lock; runs of different
    models share each CPU's context, so some meet a busy context, which
    the CLI retries. Every output must still equal JAX's.
    """
    jobs = [(m, i, w) for m in MODELS for i in range(SAMPLES) for w in range(2)]

    def one(job: tuple[str, int, int]) -> str | None:
        model, i, worker = job
        path = fixture(model)
        out = tmp_path / f"{model}_{i}_{worker}.npy"
        proc = kinfer("run", model, "--input", str(path / f"input_{i}.npy"),
                      "--output", str(out), check=False)
        if proc.returncode != 0:
            return f"{model} sample {i}: exit {proc.returncode}: {proc.stderr}"
        got, want = np.load(out), np.load(path / f"expected_{i}.npy")
        bound = 1e-5 * float(np.max(np.abs(want))) + 1e-6
        if float(np.max(np.abs(got - want))) > bound:
            return f"{model} sample {i}: output differs from JAX"
        return None

    before = {m: int((kernel_module / "models" / m / "calls").read_text()) for m in MODELS}
    with ThreadPoolExecutor(max_workers=6) as pool:
        failures = [f for f in pool.map(one, jobs) if f]
    assert failures == []
    for m in MODELS:
        d = kernel_module / "models" / m
        assert int((d / "calls").read_text()) == before[m] + 2 * SAMPLES
        assert int((d / "errors").read_text()) == 0
        print(f"{m}: acquires that found the context busy (retried): {(d / 'busy').read_text().strip()}")
    assert dmesg_trouble() == []


def test_malformed_model_is_refused(kernel_module: Path, tmp_path: Path) -> None:
    good = (fixture("mlp_relu") / "model.onnx").read_bytes()
    bad = tmp_path / "truncated.onnx"
    bad.write_bytes(good[: len(good) // 2])
    proc = kinfer("load", str(bad), "--name", "broken", check=False)
    assert proc.returncode == 3, proc.stderr
    assert "truncated.onnx" in proc.stderr
    assert not (BPFFS / "broken").exists()
    assert not (kernel_module / "models" / "broken").exists()
    assert dmesg_trouble() == []


def test_wrong_input_shape_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "wrong.npy"
    np.save(bad, np.zeros((3, 5), dtype=np.float32))
    proc = kinfer("run", "mlp_relu", "--input", str(bad), check=False)
    assert proc.returncode == 3, proc.stderr
    assert "does not match input 'x' float32[1,16]" in proc.stderr


@pytest.mark.parametrize("model", MODELS)
def test_unload(kernel_module: Path, model: str) -> None:
    kinfer("unload", model)
    assert not (BPFFS / model).exists()
    assert not (kernel_module / "models" / model).exists()


def test_nothing_left_and_rmmod_clean(kernel_module: Path) -> None:
    assert not BPFFS.exists() or list(BPFFS.iterdir()) == []
    assert list((kernel_module / "models").iterdir()) == []
    proc = rmmod_with_retry()
    assert proc.returncode == 0, proc.stderr
    assert not SYSFS.exists()
    assert dmesg_trouble() == []


def test_broadcast_longer_than_one_fpu_section(tmp_path: Path) -> None:
    """ADD broadcasting a constant longer than one FPU section (262144 floats).

    The module goes back in with a small 4 MiB arena (a module parameter).
    The kernel splits the add into sections that end mid-row; a float32 add
    is exact, so the result equals numpy's bit for bit.
    """
    from onnx import TensorProto, helper, numpy_helper

    n = 300_000
    rng = np.random.default_rng(4)
    c = rng.standard_normal(n).astype(np.float32)
    x = rng.standard_normal((2, n)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "params/c"], ["y"], name="add")], "long_add",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, n])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, n])],
        [numpy_helper.from_array(c, "params/c")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "long_add.onnx"))
    np.save(tmp_path / "x.npy", x)

    run("insmod", str(MODULE), "arena_kib=4096")
    try:
        kinfer("load", str(tmp_path / "long_add.onnx"), "--name", "long_add")
        assert [node["kfunc"] for node in show("long_add")["nodes"]] == [
            "kinfer_input", "kinfer_add", "kinfer_output"]
        assert (SYSFS / "arena_bytes").read_text().strip() == str(4096 * 1024)
        kinfer("run", "long_add", "--input", str(tmp_path / "x.npy"),
               "--output", str(tmp_path / "y.npy"))
        assert np.array_equal(np.load(tmp_path / "y.npy"), x + c)
        kinfer("unload", "long_add")
    finally:
        proc = rmmod_with_retry()
    assert proc.returncode == 0, proc.stderr
    assert dmesg_trouble() == []

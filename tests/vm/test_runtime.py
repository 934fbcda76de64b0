"""The kernel runtime under long models, budgets and refused runs (in the VM).

Runs after test_in_kernel.py removed the module: inserts it again, checks,
and removes it, leaving nothing behind.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import BPFFS, MODULE, SYSFS, dmesg_trouble, kinfer, rmmod_with_retry, run

PARAMS = Path("/sys/module/kinfer/parameters")


def save_model(tmp_path: Path, name: str, nodes, inputs, outputs, inits) -> Path:
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    return path


def dense_model(tmp_path: Path, name: str, rows: int, k: int, n: int, seed: int = 0) -> Path:
    w = (np.random.default_rng(seed).standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
    return save_model(
        tmp_path, name, [helper.make_node("MatMul", ["x", "W"], ["y"], name="dense")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [rows, n])],
        [numpy_helper.from_array(w, "W")])


def stat(path: str) -> int:
    return int((SYSFS / path).read_text())


@pytest.fixture(scope="module", autouse=True)
def module():
    if not (SYSFS / "version").exists():
        run("insmod", str(MODULE))
    yield
    for d in (BPFFS.iterdir() if BPFFS.exists() else []):
        kinfer("unload", d.name, check=False)
    assert rmmod_with_retry().returncode == 0
    assert dmesg_trouble() == []


@pytest.fixture
def budget():
    old = (PARAMS / "budget_sleepable").read_text().strip()
    yield PARAMS / "budget_sleepable"
    (PARAMS / "budget_sleepable").write_text(old)


def test_a_long_run_does_not_hold_the_cpu(tmp_path: Path) -> None:
    """A 1 G multiply-add layer runs past a 2 s soft-lockup watchdog.

    The watchdog fires when a CPU goes watchdog_thresh * 2 seconds without
    scheduling. With the threshold at 1 s, a run of several seconds under
    the VM's emulation (checked below, so the test cannot pass vacuously)
    would be reported unless the run reschedules between its sections.
    """
    path = dense_model(tmp_path, "long_dense", 256, 2048, 2048)
    kinfer("load", str(path), "--name", "long_dense")
    x = np.random.default_rng(1).standard_normal((256, 2048)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    thresh = Path("/proc/sys/kernel/watchdog_thresh")
    old = thresh.read_text().strip()
    thresh.write_text("1")
    try:
        kinfer("run", "long_dense", "--input", str(tmp_path / "x.npy"),
               "--output", str(tmp_path / "y.npy"))
        time.sleep(2.5)     # let the watchdog look again
    finally:
        thresh.write_text(old)
    took = stat("models/long_dense/last_run_ns") / 1e9
    print(f"the run took {took:.1f} s with the soft-lockup watchdog at 2 s")
    assert took > 2.5, "the run was too short to show anything; make the model larger"
    assert not [line for line in run("dmesg").stdout.splitlines() if "soft lockup" in line]
    w = numpy_helper.to_array(onnx.load(str(path)).graph.initializer[0])
    y = np.load(tmp_path / "y.npy")
    assert np.max(np.abs(y - x @ w)) <= 1e-4 * np.max(np.abs(x @ w))
    kinfer("unload", "long_dense")


def test_work_over_budget_is_refused_at_load(tmp_path: Path, budget: Path) -> None:
    path = dense_model(tmp_path, "budget_load", 4, 64, 64)
    budget.write_text("1000")
    proc = kinfer("load", str(path), "--name", "budget_load", check=False)
    assert proc.returncode == 1, proc.stderr
    assert "work units but kinfer.ko allows 1000 per run" in proc.stderr
    assert "budget_sleepable" in proc.stderr
    assert not (BPFFS / "budget_load").exists()
    assert not (SYSFS / "models" / "budget_load").exists()


def test_work_over_budget_is_refused_at_run(tmp_path: Path, budget: Path) -> None:
    path = dense_model(tmp_path, "budget_run", 4, 64, 64)
    kinfer("load", str(path), "--name", "budget_run")
    np.save(tmp_path / "x.npy", np.ones((4, 64), np.float32))
    budget.write_text("1000")
    proc = kinfer("run", "budget_run", "--input", str(tmp_path / "x.npy"), check=False)
    assert proc.returncode == 1
    assert "needs more arena or work than kinfer.ko allows here" in proc.stderr
    assert stat("models/budget_run/refused") == 1
    assert stat("models/budget_run/calls") == 0
    budget.write_text(str(1 << 32))
    kinfer("run", "budget_run", "--input", str(tmp_path / "x.npy"))
    assert stat("models/budget_run/calls") == 1
    kinfer("unload", "budget_run")


def test_an_unregistered_model_is_not_busy(tmp_path: Path) -> None:
    """Pins left behind without a registration: the run says so, not "busy"."""
    path = dense_model(tmp_path, "orphan", 2, 8, 8)
    kinfer("load", str(path), "--name", "orphan")
    np.save(tmp_path / "x.npy", np.ones((2, 8), np.float32))
    before = stat("stats/unknown_model")
    (SYSFS / "unregister").write_text("orphan\n")
    proc = kinfer("run", "orphan", "--input", str(tmp_path / "x.npy"), check=False)
    assert proc.returncode == 1
    assert "has no model registered under the plan's id" in proc.stderr
    assert "busy" not in proc.stderr
    assert stat("stats/unknown_model") == before + 1
    kinfer("unload", "orphan")
    assert not (BPFFS / "orphan").exists()


def test_weights_dump_as_typed_values(tmp_path: Path) -> None:
    """Integer weights carry BTF; every weight prints as numbers with kinfer dump.

    Float weights carry none: 6.1's bpffs printer and bpftool 7.1 cannot
    print a BTF_KIND_FLOAT value (bpftool -j would write invalid JSON), so
    bpftool shows their bytes, which must still be valid JSON.
    """
    w = (np.random.default_rng(5).standard_normal((3, 2))).astype(np.float32)
    c = np.array([7, -1, 1 << 40], np.int64)
    path = save_model(
        tmp_path, "typed",
        [helper.make_node("MatMul", ["x", "W"], ["y"], name="mm"),
         helper.make_node("Add", ["i", "C"], ["j"], name="add")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3]),
         helper.make_tensor_value_info("i", TensorProto.INT64, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2]),
         helper.make_tensor_value_info("j", TensorProto.INT64, [3])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(c, "C")])
    kinfer("load", str(path), "--name", "typed")
    ints = json.loads(run("bpftool", "-j", "map", "dump", "pinned",
                          str(BPFFS / "typed" / "weights" / "C")).stdout)
    assert ints[0]["formatted"]["value"] == c.tolist()
    floats = json.loads(run("bpftool", "-j", "map", "dump", "pinned",
                            str(BPFFS / "typed" / "weights" / "W")).stdout)
    assert len(floats[0]["value"]) == w.nbytes            # hex bytes
    got = json.loads(kinfer("dump", "typed", "W", "--json").stdout)
    assert got["dtype"] == "float32" and got["shape"] == [3, 2]
    assert np.array_equal(np.array(got["values"], np.float32), w.reshape(-1))
    assert json.loads(kinfer("dump", "typed", "C", "--json").stdout)["values"] == c.tolist()
    proc = kinfer("dump", "typed", "nope", check=False)
    assert proc.returncode == 1 and "has no weight named 'nope'" in proc.stderr
    kinfer("unload", "typed")


def test_a_weight_in_panels_dumps_as_the_model_has_it(tmp_path: Path) -> None:
    """A MatMul weight stored in the GEMM kernels' panels (docs/performance.md).

    kinfer dump prints the [K, N] matrix; the map (bpftool) holds the panels,
    float (k, n) at ((n / 16) * K + k) * 16 + n % 16, zero-padded; the run
    still computes x . W.
    """
    rng = np.random.default_rng(11)
    w = rng.standard_normal((3, 120)).astype(np.float32)   # 7 full panels + 8 columns
    x = rng.standard_normal((2, 3)).astype(np.float32)
    path = save_model(
        tmp_path, "paneled", [helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 120])],
        [numpy_helper.from_array(w, "W")])
    kinfer("load", str(path), "--name", "paneled")
    got = json.loads(kinfer("dump", "paneled", "W", "--json").stdout)
    assert got["shape"] == [3, 120]
    assert np.array_equal(np.array(got["values"], np.float32), w.reshape(-1))
    raw = json.loads(run("bpftool", "-j", "map", "dump", "pinned",
                         str(BPFFS / "paneled" / "weights" / "W")).stdout)[0]["value"]
    panels = np.frombuffer(bytes(int(b, 16) for b in raw), np.float32).reshape(8, 3, 16)
    for n in range(120):
        assert np.array_equal(panels[n // 16, :, n % 16], w[:, n])
    assert not panels[7, :, 8:].any()
    np.save(tmp_path / "x.npy", x)
    kinfer("run", "paneled", "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"))
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), x.astype(np.float64) @ w, rtol=1e-5,
                               atol=1e-6)
    kinfer("unload", "paneled")


def test_a_gather_index_out_of_range_is_a_counted_error(tmp_path: Path) -> None:
    """A runtime index past the table: the run fails, nothing is read out of bounds."""
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    path = save_model(
        tmp_path, "lookup", [helper.make_node("Gather", ["T", "i"], ["y"], name="lookup", axis=0)],
        [helper.make_tensor_value_info("i", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        [numpy_helper.from_array(table, "T")])
    kinfer("load", str(path), "--name", "lookup")
    np.save(tmp_path / "ok.npy", np.array([3, -1], np.int64))       # -1 wraps to 3
    np.save(tmp_path / "bad.npy", np.array([1, 4], np.int64))
    kinfer("run", "lookup", "--input", str(tmp_path / "ok.npy"), "--output", str(tmp_path / "y.npy"))
    assert np.array_equal(np.load(tmp_path / "y.npy"), table[[3, 3]])
    proc = kinfer("run", "lookup", "--input", str(tmp_path / "bad.npy"), check=False)
    assert proc.returncode == 1
    assert "ERANGE: an index is out of range" in proc.stderr
    assert "at kernel node 1 (GATHER, ONNX node 'lookup')" in proc.stderr
    assert stat("models/lookup/errors") == 1
    assert stat("models/lookup/calls") == 2
    assert int((SYSFS / "models/lookup/last_error").read_text()) == -34
    assert stat("models/lookup/last_error_node") == 1
    kinfer("unload", "lookup")

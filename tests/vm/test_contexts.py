"""Run contexts: concurrent runs on one CPU (in the VM).

A run of a sleepable program (`kinfer run`) yields the CPU between compute
sections. While it is in flight, another run may start on the same CPU:
another `kinfer run` of a different model, or a hook (a non-sleepable
tracing program) in a task that got the CPU meanwhile. Sleepable runs take
a context of their own from a pool, non-sleepable runs the CPU's context of
their nesting level (task, softirq, hardirq), so neither finds the other's
context busy (docs/architecture.md, "Run contexts").

Both cases are driven on CPU 0 of the VM's two for a while (seconds:
KINFER_CTX_SECONDS, default 20 each), with hooks in softirq and hardirq
context on every CPU besides, and every output is compared with numpy.
Last, the module goes back in with max_sleepable_runs=1 to show the
pool's bound. The module is removed at the end and the kernel log must be
clean. The hooks are built here (clang, cc, libbpf, bpftool).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import (BPFFS, FIXTURES, KINFER, MODULE, SYSFS, dmesg_trouble, kinfer,
                      module_for_file, rmmod_with_retry, run)

SECONDS = float(os.environ.get("KINFER_CTX_SECONDS", "20"))
CPU = "0"
# A Dense layer x[64,1024] @ W[1024,1024] + b: 67 M multiply-adds, 0.4 to
# 1 s per run under the VM's emulation (the tiled GEMM made it faster),
# while the scheduler's slices are milliseconds: every run yields many
# times.  MIN_RUN_S keeps that true with a wide margin.
BATCH, WIDTH, LAYERS = 64, 1024, 1
MIN_RUN_S = 0.2
BIG = {"ctx_a": 11, "ctx_b": 22}        # model name -> weight seed
HOOK_MODEL = "ctx_hook"
INPUTS = 3


def stat(rel: str) -> int | None:
    """A counter or value under /sys/kernel/kinfer; None if the module has none."""
    try:
        return int((SYSFS / rel).read_text())
    except FileNotFoundError:
        return None


def model_stat(model: str, name: str) -> int:
    return int((SYSFS / "models" / model / name).read_text())


@pytest.fixture(scope="module", autouse=True)
def module():
    with module_for_file(*BIG, HOOK_MODEL):
        yield


def dense_stack(path: Path, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Write LAYERS Dense layers (ReLU between them) as ONNX; return W, b."""
    rng = np.random.default_rng(seed)
    layers, nodes, inits = [], [], []
    h = "x"
    for i in range(LAYERS):
        w = (rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH)).astype(np.float32)
        b = (0.1 * rng.standard_normal(WIDTH)).astype(np.float32)
        layers.append((w, b))
        kernel, bias = f"params/Dense_{i}/kernel", f"params/Dense_{i}/bias"
        inits += [numpy_helper.from_array(w, kernel), numpy_helper.from_array(b, bias)]
        last = i == LAYERS - 1
        out = "y" if last else f"h{i}"
        nodes.append(helper.make_node("MatMul", [h, kernel], [f"m{i}"], name=f"dense{i}"))
        nodes.append(helper.make_node("Add", [f"m{i}", bias], [f"a{i}" if not last else out],
                                      name=f"bias{i}"))
        if not last:
            nodes.append(helper.make_node("Relu", [f"a{i}"], [out], name=f"relu{i}"))
        h = out
    graph = helper.make_graph(
        nodes, path.stem,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [BATCH, WIDTH])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [BATCH, WIDTH])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return layers


def forward(layers: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> np.ndarray:
    h = x
    for i, (w, b) in enumerate(layers):
        h = h @ w + b
        if i < len(layers) - 1:
            h = np.maximum(h, 0)
    return h.astype(np.float32)


@pytest.fixture(scope="module")
def big_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ctx")


@pytest.fixture(scope="module")
def big_models(big_dir: Path) -> dict[str, list[tuple[Path, np.ndarray]]]:
    """ctx_a and ctx_b loaded; per model, (input file, expected output) pairs."""
    d = big_dir
    cases = {}
    for name, seed in BIG.items():
        layers = dense_stack(d / f"{name}.onnx", seed)
        kinfer("load", str(d / f"{name}.onnx"), "--name", name)
        rng = np.random.default_rng(seed + 1)
        cases[name] = []
        for i in range(INPUTS):
            x = rng.standard_normal((BATCH, WIDTH)).astype(np.float32)
            np.save(d / f"{name}_x{i}.npy", x)
            cases[name].append((d / f"{name}_x{i}.npy", forward(layers, x)))
    return cases


def close(got: np.ndarray, want: np.ndarray) -> bool:
    bound = 1e-4 * float(np.max(np.abs(want))) + 1e-5
    return got.shape == want.shape and float(np.max(np.abs(got - want))) <= bound


def run_on_cpu0(model: str, inp: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return run("taskset", "-c", CPU, KINFER, "run", model, "--input", str(inp),
               "--output", str(out), check=False)


class InUsePoller:
    """Samples sleepable_contexts_in_use from the other CPU; keeps the max."""

    def __init__(self) -> None:
        self.peak = -1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, stat("sleepable_contexts_in_use") or -1)
            time.sleep(0.02)

    def __enter__(self) -> "InUsePoller":
        os.sched_setaffinity(0, {1})    # the poller's thread inherits CPU 1
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))


def loop_runs(model: str, cases, tmp: Path, deadline: float, result: dict) -> None:
    """kinfer run on CPU 0 until the deadline, checking every output."""
    n = 0
    while time.monotonic() < deadline:
        inp, want = cases[n % len(cases)]
        out = tmp / f"{model}_{n}.npy"
        proc = run_on_cpu0(model, inp, out)
        n += 1
        if proc.returncode != 0:
            result["failures"].append(f"{model} run {n}: exit {proc.returncode}: "
                                      f"{proc.stderr.strip()}")
            continue
        if not close(np.load(out), want):
            result["failures"].append(f"{model} run {n}: output differs from numpy")
        out.unlink()
    result["runs"][model] = n


def run_all_concurrently(big_models, tmp_path: Path, seconds: float) -> dict:
    """loop_runs of every BIG model in its own thread for `seconds`."""
    result: dict = {"failures": [], "runs": {}}
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=loop_runs,
                                args=(m, big_models[m], tmp_path, deadline, result))
               for m in BIG]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return result

def test_one_run_takes_long_enough_to_yield(big_models, tmp_path: Path) -> None:
    """Each big model alone: correct, and long enough to yield many times."""
    for model, cases in big_models.items():
        inp, want = cases[0]
        proc = run_on_cpu0(model, inp, tmp_path / "y.npy")
        assert proc.returncode == 0, proc.stderr
        assert close(np.load(tmp_path / "y.npy"), want)
        took = model_stat(model, "last_run_ns") / 1e9
        print(f"{model}: one run alone took {took:.2f} s")
        assert took >= MIN_RUN_S, "runs too short to overlap; make the model larger"


def test_two_sleepable_runs_share_one_cpu(big_models, tmp_path: Path) -> None:
    """Two `kinfer run`s of different models, both on CPU 0, in a loop."""
    before = {m: {s: model_stat(m, s) for s in ("calls", "errors", "busy")} for m in BIG}
    busy_sleepable0 = stat("stats/busy_sleepable")
    acquired0 = stat("stats/acquired_sleepable")
    with InUsePoller() as poller:
        result = run_all_concurrently(big_models, tmp_path, SECONDS)
    busy = {m: model_stat(m, "busy") - before[m]["busy"] for m in BIG}
    print(f"runs {result['runs']} in {SECONDS:.0f} s on CPU {CPU}; busy acquires {busy}; "
          f"sleepable contexts in use at once: {poller.peak}, "
          f"allocated: {stat('sleepable_contexts')}, max: {stat('sleepable_contexts_max')}")
    for f in result["failures"][:5]:
        print(f)
    assert result["failures"] == []
    assert busy == {m: 0 for m in BIG}
    for m in BIG:
        assert result["runs"][m] >= 3, "too few runs to show anything"
        assert model_stat(m, "calls") == before[m]["calls"] + result["runs"][m]
        assert model_stat(m, "errors") == before[m]["errors"]
    # The two runs really were in flight at once, each with its own context.
    assert poller.peak >= 2
    assert stat("sleepable_contexts") >= 2
    assert stat("sleepable_contexts") <= stat("sleepable_contexts_max")
    assert stat("sleepable_contexts_in_use") == 0
    assert stat("stats/busy_sleepable") == busy_sleepable0
    assert stat("stats/acquired_sleepable") == acquired0 + sum(result["runs"].values())
    assert dmesg_trouble() == []


# Non-sleepable tracing programs that acquire a context for the plan of
# HOOK_MODEL and release it at once, counting the acquire's status (ok,
# -EBUSY, other) per nesting level: task (tp_btf/sys_enter, every syscall
# of one process), softirq (softirq_entry) and hardirq (local_timer_entry),
# the last two on every CPU.
HOOK_BPF = r"""
#include "kinfer_btf.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

extern struct kinfer_ctx *kinfer_ctx_acquire(const void *plan, __u32 plan__sz,
					     int *status) __ksym;
extern void kinfer_ctx_release(struct kinfer_ctx *ctx) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct { char b[PLAN_SZ]; });
} plan_map SEC(".maps");

/* [0]: target tgid; [1 + 3 * level + k]: k = 0 ok, 1 busy, 2 other. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 10);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static void acquire_release(__u32 level)
{
	__u32 zero = 0, slot = 1 + 3 * level;
	struct kinfer_ctx *kc;
	int status = 0;
	void *plan;
	__u64 *n;

	plan = bpf_map_lookup_elem(&plan_map, &zero);
	if (!plan)
		return;
	kc = kinfer_ctx_acquire(plan, PLAN_SZ, &status);
	if (kc)
		kinfer_ctx_release(kc);
	else
		slot += status == -16 /* EBUSY */ ? 1 : 2;
	n = bpf_map_lookup_elem(&counts, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_syscall, struct pt_regs *regs, long id)
{
	__u32 zero = 0;
	__u64 *tgid = bpf_map_lookup_elem(&counts, &zero);

	if (tgid && (bpf_get_current_pid_tgid() >> 32) == *tgid)
		acquire_release(0);
	return 0;
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(on_softirq, unsigned int vec_nr)
{
	acquire_release(1);
	return 0;
}

SEC("tp_btf/local_timer_entry")
int BPF_PROG(on_timer, int vector)
{
	acquire_release(2);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
"""

# Loads the hooks with the model's pinned plan map, sets the target tgid,
# attaches, says "ready", waits for a line on stdin, prints the counts.
HOOK_LOADER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

int main(int argc, char **argv)
{
	static const char *const progs[] = { "on_syscall", "on_softirq", "on_timer" };
	struct bpf_link *links[3];
	struct bpf_object *obj;
	struct bpf_map *counts;
	__u64 v[10] = { 0 };
	__u32 key;
	char line[8];
	int fd, i;

	if (argc != 4)
		return 2;
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		return 1;
	fd = bpf_obj_get(argv[2]);
	if (fd < 0 || bpf_map__reuse_fd(bpf_object__find_map_by_name(obj, "plan_map"), fd))
		return 1;
	if (bpf_object__load(obj))
		return 1;
	counts = bpf_object__find_map_by_name(obj, "counts");
	key = 0;
	v[0] = strtoull(argv[3], NULL, 10);
	if (bpf_map_update_elem(bpf_map__fd(counts), &key, &v[0], BPF_ANY))
		return 1;
	for (i = 0; i < 3; i++) {
		links[i] = bpf_program__attach(bpf_object__find_program_by_name(obj, progs[i]));
		if (!links[i])
			return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (i = 0; i < 3; i++)
		bpf_link__destroy(links[i]);
	for (key = 1; key < 10; key++) {
		if (bpf_map_lookup_elem(bpf_map__fd(counts), &key, &v[key]))
			return 1;
		printf("%llu ", v[key]);
	}
	printf("\n");
	bpf_object__close(obj);
	return 0;
}
"""

# Makes syscalls (getppid) on CPU 0 until told to stop; it gets the CPU
# whenever the kinfer run there yields, and each syscall fires the hook.
TRIGGER = "import os, sys\nos.sched_setaffinity(0, {0})\nwhile True: os.getppid()\n"


@pytest.fixture(scope="module")
def hook(tmp_path_factory) -> Path:
    """The hook's object file and loader, built here for this module's BTF."""
    for tool in ("clang", "cc", "bpftool"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not found: cannot build the hook program")
    d = tmp_path_factory.mktemp("hook")
    kinfer("load", str(FIXTURES / "mlp_relu" / "model.onnx"), "--name", HOOK_MODEL)
    info = json.loads(run("bpftool", "-j", "map", "show", "pinned",
                          str(BPFFS / HOOK_MODEL / "config")).stdout)
    (d / "kinfer_btf.h").write_text(
        run("bpftool", "btf", "dump", "file", "/sys/kernel/btf/kinfer", "format", "c").stdout)
    (d / "hook.bpf.c").write_text(HOOK_BPF)
    (d / "loader.c").write_text(HOOK_LOADER)
    run("clang", "-O2", "-g", "-target", "bpf", "-D__TARGET_ARCH_x86",
        f"-DPLAN_SZ={info['bytes_value']}", f"-I{d}", "-c", str(d / "hook.bpf.c"),
        "-o", str(d / "hook.bpf.o"))
    run("cc", "-O2", "-o", str(d / "loader"), str(d / "loader.c"), "-lbpf")
    return d


def test_hook_runs_while_a_sleepable_run_yields(big_models, hook: Path, tmp_path: Path) -> None:
    """The issue's case: a hook fires on CPU 0 while `kinfer run` is in flight
    there; meanwhile softirq and hardirq hooks run on every CPU."""
    levels = ("task", "softirq", "hardirq")
    errors0 = model_stat(HOOK_MODEL, "errors")
    stats0 = {f"{k}_{lv}": stat(f"stats/{k}_{lv}") for k in ("acquired", "busy") for lv in levels}
    trigger = subprocess.Popen([sys.executable, "-c", TRIGGER])
    loader = subprocess.Popen([str(hook / "loader"), str(hook / "hook.bpf.o"),
                               str(BPFFS / HOOK_MODEL / "config"), str(trigger.pid)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert loader.stdout.readline().strip() == "ready", "hooks did not load"
        result: dict = {"failures": [], "runs": {}}
        loop_runs("ctx_a", big_models["ctx_a"], tmp_path, time.monotonic() + SECONDS, result)
    finally:
        trigger.kill()
        trigger.wait()
        out, _ = loader.communicate("stop\n", timeout=60)
    v = [int(x) for x in out.split()]
    counts = {lv: dict(zip(("ok", "busy", "other"), v[3 * i:3 * i + 3]))
              for i, lv in enumerate(levels)}
    print(f"ctx_a: {result['runs']['ctx_a']} runs on CPU {CPU} in {SECONDS:.0f} s; "
          f"hook acquires: {counts}")
    assert result["failures"] == []
    assert result["runs"]["ctx_a"] >= 3
    for lv in levels:
        assert counts[lv]["busy"] == 0 and counts[lv]["other"] == 0, lv
        assert counts[lv]["ok"] > 0, lv
        assert stat(f"stats/acquired_{lv}") == stats0[f"acquired_{lv}"] + counts[lv]["ok"]
        assert stat(f"stats/busy_{lv}") == stats0[f"busy_{lv}"]
    # The hooks release without running a node: each of their runs is an error.
    assert model_stat(HOOK_MODEL, "errors") == errors0 + sum(c["ok"] for c in counts.values())
    assert dmesg_trouble() == []


def test_the_pool_is_bounded_by_max_sleepable_runs(big_models, big_dir: Path,
                                                    tmp_path: Path) -> None:
    """The module again with max_sleepable_runs=1: the second of two
    sleepable runs in flight is refused with -EBUSY and counted; parameters
    that do not fit refuse the load."""
    for m in (*BIG, HOOK_MODEL):
        kinfer("unload", m, check=False)
    assert rmmod_with_retry().returncode == 0
    proc = run("insmod", str(MODULE), "arena_kib=1024", "irq_arena_kib=2048", check=False)
    assert proc.returncode != 0
    assert "irq_arena_kib=2048 must be at most arena_kib=1024" in run("dmesg").stdout
    proc = run("insmod", str(MODULE), "arena_total_mib=64", "max_sleepable_runs=1000",
               check=False)
    assert proc.returncode != 0
    assert "arena_total_mib=64" in run("dmesg").stdout

    run("insmod", str(MODULE), "max_sleepable_runs=1")
    assert (stat("sleepable_contexts_max"), stat("sleepable_contexts")) == (1, 0)
    for m in BIG:
        kinfer("load", str(big_dir / f"{m}.onnx"), "--name", m)
    result = run_all_concurrently(big_models, tmp_path, SECONDS / 2)
    busy = {m: model_stat(m, "busy") for m in BIG}
    refused = stat("stats/busy_sleepable")
    print(f"max_sleepable_runs=1: runs {result['runs']}, {len(result['failures'])} "
          f"failed after the CLI's retries; busy acquires {busy}")
    assert refused > 0 and sum(busy.values()) == refused
    assert all("stayed busy" in f for f in result["failures"]), result["failures"][:3]
    assert stat("sleepable_contexts") == 1
    assert stat("stats/acquired_sleepable") == sum(model_stat(m, "calls") for m in BIG)
    assert all(model_stat(m, "errors") == 0 for m in BIG)

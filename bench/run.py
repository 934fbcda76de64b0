"""`make bench`: kinfer's math (the module's C built for userspace) against
ONNX Runtime (one thread) and Eigen, measured in one run on this machine.

    .venv/bin/python bench/run.py --out build [--reps N] [--quick]
                                  [--vm-json PATH] [--tool PATH] [--only MODEL ...]

Builds the models (bench/models.py, into OUT/bench/models), then times:

* GEMM: ``kinfer_bench gemm M K N`` for MiniLM's shapes at 32 tokens (and
  128x384x1536), kinfer per ISA and Eigen, against ``kinfer_bench peak``;
* models: ONNX Runtime in this process (one intra-op and one inter-op
  thread, sequential, all graph optimisations, CPU provider; inputs and
  the output bound once with IOBinding, so a run is one
  ``run_with_iobinding`` call), and ``kinfer_bench model`` (plus
  ``kinfer_bench mlp-eigen`` for the MLP); kinfer's output is compared
  with ONNX Runtime's;
* int8: a model with calibration samples (MiniLM at 32 tokens) is timed
  again right after its float run with ``--quantize int8 --calibrate``;
  its p50 next to the float p50, the speed ratio, and the cosine of the
  int8 embedding with the float one on the timed input (not a calibration
  sample) and on the samples (the tool's report).

Each timing is ``--reps`` single runs after a warm-up, cut to what fits in
``--budget`` seconds for slow models (never below MIN_REPS); p50/p99 are
nearest-rank percentiles in microseconds. Writes OUT/bench.json (every raw
number) and OUT/bench.md, and prints the issue's must-show checks as
PASS/FAIL lines. ``--vm-json`` merges in-kernel vs userspace timings
measured in one VM ({"model": {"kernel_p50_us": .., "user_p50_us": ..}}).

A kinfer_bench subcommand that fails is recorded (its error in the JSON and
the tables, its checks "missing") and the run goes on. Exit status: 0 when
the report was written (1 with ``--strict`` if a check did not pass), 2 when
kinfer_bench is missing or ``--vm-json`` is unreadable.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
GEMM_SHAPES = ((32, 384, 384), (32, 384, 1536), (32, 1536, 384), (128, 384, 1536))
ISAS = ("avx512", "avx2", "generic")
REL_TOL = 1e-3
MIN_REPS = 10
DEFAULT_REPS = 1000
DEFAULT_BUDGET_S = 3.0
QUICK_REPS = 100
QUICK_BUDGET_S = 0.5


class BenchError(RuntimeError):
    """kinfer_bench is missing, failed or printed something unexpected."""


def _bench_models() -> Any:
    """bench/models.py as a module (bench/ is no package; 'models' would clash)."""
    name = "kinfer_bench_models"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / "models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# --- statistics ----------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, ``q`` in [0, 100]."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, int(np.ceil(q / 100.0 * len(ordered))))
    return float(ordered[rank - 1])


def reps_for(single_us: float, reps: int, budget_s: float) -> int:
    """``reps``, or fewer when they would take longer than ``budget_s`` (at least MIN_REPS)."""
    fits = int(budget_s * 1e6 / max(single_us, 1e-3))
    return max(min(reps, MIN_REPS), min(reps, fits))


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def compare(got: np.ndarray, want: np.ndarray) -> dict[str, Any]:
    """Max absolute difference, relative to ONNX Runtime's largest magnitude."""
    if got.shape != want.shape:
        return {"max_abs": None, "rel": None, "ok": False,
                "detail": f"shape {list(got.shape)} != {list(want.shape)}"}  # fmt: skip
    diff = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64))))
    scale = float(np.max(np.abs(want))) or 1.0
    return {"max_abs": diff, "rel": diff / scale, "ok": bool(diff / scale <= REL_TOL)}


# --- ONNX Runtime ------------------------------------------------------------------------


def ort_session(path: Path) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def time_calls(call: Callable[[], Any], reps: int, budget_s: float) -> dict[str, Any]:
    """Warm up, then time single calls: {p50_us, p99_us, reps}."""
    start = time.perf_counter_ns()
    warm = 0
    while warm < 3 or (warm < 50 and time.perf_counter_ns() - start < 0.2e9):
        call()
        warm += 1
    single_us = (time.perf_counter_ns() - start) / 1e3 / warm
    n = reps_for(single_us, reps, budget_s)
    times = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        call()
        times.append((time.perf_counter_ns() - t0) / 1e3)
    return {"p50_us": percentile(times, 50), "p99_us": percentile(times, 99), "reps": n}


def time_ort(onnx_path: Path, inputs: Sequence[np.ndarray], reps: int, budget_s: float
             ) -> tuple[dict[str, Any], np.ndarray]:  # fmt: skip
    """ONNX Runtime's timing and its (first) output.

    Inputs and outputs are bound once (IOBinding, outputs preallocated), so
    a timed run is one ``run_with_iobinding`` call: no feeds dict, no output
    allocation, a few µs less Python than ``run`` on the MLP.
    """
    import onnxruntime as ort

    sess = ort_session(onnx_path)
    feeds = {p.name: a for p, a in zip(sess.get_inputs(), inputs, strict=True)}
    outputs = sess.run(None, feeds)
    binding = sess.io_binding()
    # the bound OrtValues point into these arrays: keep them alive while timing
    buffers = [ort.OrtValue.ortvalue_from_numpy(a) for a in (*feeds.values(), *outputs)]
    ports = [*sess.get_inputs(), *sess.get_outputs()]
    for i, (port, value) in enumerate(zip(ports, buffers, strict=True)):
        bind = binding.bind_ortvalue_input if i < len(feeds) else binding.bind_ortvalue_output
        bind(port.name, value)
    timing = time_calls(lambda: sess.run_with_iobinding(binding), reps, budget_s)
    del buffers
    return timing, outputs[0]


# --- kinfer_bench --------------------------------------------------------------------------


def default_tool(out: Path) -> Path:
    return Path(os.environ.get("KINFER_BENCH") or out / "cmake/bench/kinfer_bench")


def check_tool(tool: Path) -> None:
    if not tool.is_file() or not os.access(tool, os.X_OK):
        raise BenchError(
            f"kinfer_bench not found at {tool}: build it first (cmake --build build/cmake "
            "--target kinfer_bench), or point --tool / KINFER_BENCH at it"
        )


def run_tool(tool: Path, *args: Any, timeout: float = 600.0) -> dict[str, Any]:
    """Run kinfer_bench and parse the one JSON object it prints."""
    command = [str(tool), *(str(a) for a in args)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    where = " ".join(command[1:3])
    if proc.returncode != 0:
        raise BenchError(f"kinfer_bench {where} exited with {proc.returncode}: "
                         f"{proc.stderr.strip()[-500:]}")  # fmt: skip
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    try:
        value = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as e:
        raise BenchError(f"kinfer_bench {where} printed no JSON object: {proc.stdout[-300:]!r}"
                         ) from e  # fmt: skip
    if not isinstance(value, dict):
        raise BenchError(f"kinfer_bench {where} printed {type(value).__name__}, not an object")
    return value


def kinfer_model(tool: Path, root: Path, entry: dict[str, Any], reps: int, output: Path,
                 *extra: Any) -> dict[str, Any]:  # fmt: skip
    args: list[Any] = ["model", root / entry["onnx"], *extra]
    for path in entry["inputs"]:
        args += ["--input", root / path]
    for shape in entry.get("shapes", []):
        args += ["--shape", shape]
    return run_tool(tool, *args, "--reps", reps, "--output", output)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a64, b64 = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a64 @ b64 / (np.linalg.norm(a64) * np.linalg.norm(b64)))


def kinfer_int8(tool: Path, root: Path, entry: dict[str, Any], reps: int, tmp: Path,
                float_out: np.ndarray) -> dict[str, Any]:  # fmt: skip
    """The int8 run of a model with calibration samples, against its float output."""
    out = tmp / "int8.npy"
    row = kinfer_model(tool, root, entry, reps, out, "--quantize", "int8",
                       "--calibrate", root / entry["calibration"])  # fmt: skip
    got = np.load(out)
    row["cosine_vs_float"] = cosine(got, float_out)
    row["max_abs_vs_float"] = float(np.max(np.abs(got.astype(np.float64) - float_out)))
    return row


def fpu_sections(tool: Path, root: Path, entry: dict[str, Any], reps: int, output: Path
                 ) -> dict[str, float] | dict[str, str]:  # fmt: skip
    """Each op kind's longest FPU section (us), nodes split as the module splits them."""
    try:
        row = kinfer_model(tool, root, entry, reps, output, "--profile")
    except (BenchError, subprocess.TimeoutExpired) as e:
        return {"error": str(e)}
    return dict(_get(row, "profile", "longest_section_us") or {})


def eigen_mlp(tool: Path, root: Path, entry: dict[str, Any], reps: int) -> dict[str, Any]:
    files = [root / entry["eigen"][k] for k in ("W1", "b1", "W2", "b2", "x")]
    return run_tool(tool, "mlp-eigen", *files, "--reps", reps)


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Settings:
    out: Path
    tool: Path
    reps: int
    budget_s: float
    models: Sequence[str]
    log: Callable[[str], None] = print


def measure_gemm(s: Settings) -> list[dict[str, Any]]:
    rows = []
    for m, k, n in GEMM_SHAPES:
        s.log(f"bench: gemm {m}x{k}x{n}")
        try:
            rows.append(run_tool(s.tool, "gemm", m, k, n, "--reps", s.reps))
        except (BenchError, subprocess.TimeoutExpired) as e:
            rows.append({"m": m, "k": k, "n": n, "error": str(e)})
    return rows


def measure_model(s: Settings, root: Path, name: str, entry: dict[str, Any]) -> dict[str, Any]:
    s.log(f"bench: {name}")
    inputs = [np.load(root / p) for p in entry["inputs"]]
    ort_timing, want = time_ort(root / entry["onnx"], inputs, s.reps, s.budget_s)
    row: dict[str, Any] = {
        "description": entry["description"],
        "flops": entry["flops"],
        "ort": ort_timing,
    }
    reps = reps_for(ort_timing["p50_us"], s.reps, s.budget_s)
    with tempfile.TemporaryDirectory(prefix="kinfer-bench-") as tmp:
        out = Path(tmp) / "out.npy"
        try:
            row["kinfer"] = kinfer_model(s.tool, root, entry, reps, out)
            row["diff"] = compare(np.load(out), want)
        except (BenchError, OSError, ValueError, subprocess.TimeoutExpired) as e:
            row["kinfer"] = {"error": str(e)}
        if "error" not in row["kinfer"]:
            row["sections"] = fpu_sections(s.tool, root, entry, min(reps, 20), out)
        if "calibration" in entry and "error" not in row["kinfer"]:
            try:
                row["int8"] = kinfer_int8(s.tool, root, entry, reps, Path(tmp), np.load(out))
            except (BenchError, OSError, ValueError, subprocess.TimeoutExpired) as e:
                row["int8"] = {"error": str(e)}
    if "eigen" in entry:
        try:
            row["eigen"] = eigen_mlp(s.tool, root, entry, s.reps)
        except (BenchError, subprocess.TimeoutExpired) as e:
            row["eigen"] = {"error": str(e)}
    return row


def machine() -> dict[str, Any]:
    import onnxruntime

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "onnxruntime": onnxruntime.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def measure(s: Settings) -> dict[str, Any]:
    """Every number of the report (without the checks)."""
    root = s.out / "bench/models"
    manifest = _bench_models().build(root, s.models, log=s.log)
    try:
        peak = run_tool(s.tool, "peak")
    except (BenchError, subprocess.TimeoutExpired) as e:
        peak = {"isa": None, "gflops": None, "error": str(e)}
    report: dict[str, Any] = {
        "meta": {**machine(), "isa": peak.get("isa"), "tool": str(s.tool), "reps": s.reps,
                 "budget_s": s.budget_s, "flops_method": manifest["flops_method"]},
        "peak": peak,
        "gemm": measure_gemm(s),
        "models": {},
    }
    for name in s.models:
        report["models"][name] = measure_model(s, root, name, manifest["models"][name])
    return report


# --- checks ------------------------------------------------------------------------------------


def _get(tree: Any, *keys: Any) -> Any:
    for key in keys:
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree


def gemm_row(report: dict[str, Any], m: int, k: int, n: int) -> dict[str, Any] | None:
    for row in report.get("gemm", []):
        if (row.get("m"), row.get("k"), row.get("n")) == (m, k, n):
            return row
    return None


def kinfer_gemm(report: dict[str, Any], row: dict[str, Any]) -> dict[str, Any] | None:
    """The kinfer entry of the ISA kinfer dispatches to (peak's), else the fastest."""
    kinfer = row.get("kinfer", {})
    isa = _get(report, "peak", "isa")
    if isa in kinfer:
        return kinfer[isa]  # type: ignore[no-any-return]
    measured = [v for v in kinfer.values() if isinstance(v, dict) and "gflops" in v]
    return max(measured, key=lambda v: v["gflops"], default=None)


def model_ratio(report: dict[str, Any], name: str, other: str = "ort") -> float | None:
    return ratio(_get(report, "models", name, "kinfer", "p50_us"),
                 _get(report, "models", name, other, "p50_us"))  # fmt: skip


def int8_cosine(report: dict[str, Any], name: str) -> float | None:
    """The lower of the int8 run's cosines with float: the timed input and the samples' min."""
    row = _get(report, "models", name, "int8")
    held_out = _get(row, "cosine_vs_float")
    outputs = _get(row, "quantize", "outputs") or [{}]
    samples = outputs[0].get("cosine_min")
    if held_out is None or samples is None:
        return None
    return min(held_out, samples)  # type: ignore[no-any-return]


def _check(name: str, value: float | None, limit: float, at_most: bool, unit: str = ""
           ) -> dict[str, Any]:  # fmt: skip
    if value is None:
        status = "missing"
    else:
        status = "pass" if (value <= limit if at_most else value >= limit) else "fail"
    return {"name": name, "status": status, "value": value, "limit": limit,
            "op": "<=" if at_most else ">=", "unit": unit}  # fmt: skip


def evaluate(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's must-show checks, and one per model that kinfer agrees with ORT."""
    row = gemm_row(report, 32, 384, 1536)
    kin = kinfer_gemm(report, row) if row else None
    gflops = _get(kin, "gflops")
    checks = [
        _check("GEMM 32x384x1536 >= 60% of peak",
               ratio(gflops, _get(report, "peak", "gflops")), 0.6, False, "x peak"),
        _check("GEMM 32x384x1536 >= 1.0x Eigen",
               ratio(gflops, _get(row, "eigen", "gflops")), 1.0, False, "x Eigen"),
        _check("MLP p50 <= 1 us", _get(report, "models", "mlp", "kinfer", "p50_us"), 1.0,
               True, "us"),
        _check("MLP p50 <= Eigen p50", model_ratio(report, "mlp", "eigen"), 1.0, True,
               "x Eigen"),
        _check("MiniLM 32 tokens kinfer/ORT <= 1.0", model_ratio(report, "minilm_32"), 1.0,
               True, "x ORT"),
        _check("CNN kinfer/ORT <= 1.5", model_ratio(report, "cnn"), 1.5, True, "x ORT"),
    ]  # fmt: skip
    checks += [
        _check("int8 MiniLM >= 1.8x faster than float",
               ratio(_get(report, "models", "minilm_32", "kinfer", "p50_us"),
                     _get(report, "models", "minilm_32", "int8", "p50_us")), 1.8, False, "x float"),
        _check("int8 MiniLM cosine >= 0.99", int8_cosine(report, "minilm_32"), 0.99, False),
    ]  # fmt: skip
    for name in ("mlp", "minilm_32"):
        checks.append(_check(f"{name} in-kernel / userspace in one VM <= 1.3",
                             ratio(_get(report, "vm", name, "kernel_p50_us"),
                                   _get(report, "vm", name, "user_p50_us")), 1.3, True, "x"))  # fmt: skip
    for name in report.get("models", {}):
        rel = _get(report, "models", name, "diff", "rel")
        checks.append(_check(f"{name} output matches ORT (relative)", rel, REL_TOL, True))
    return checks


def check_lines(checks: Sequence[dict[str, Any]]) -> list[str]:
    lines = []
    for c in checks:
        value = "not measured" if c["value"] is None else f"{_num(c['value'])} {c['unit']}"
        lines.append(f"{c['status'].upper():7} {c['name']}: {value.strip()} "
                     f"(needs {c['op']} {_num(c['limit'])})")  # fmt: skip
    return lines


# --- markdown ------------------------------------------------------------------------------------


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    v = float(value)
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    if abs(v) >= 0.01:
        return f"{v:.2f}"
    return f"{v:.2e}"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c if isinstance(c, str) else _num(c) for c in r) + " |"
              for r in rows]  # fmt: skip
    return lines


def _gemm_section(report: dict[str, Any]) -> list[str]:
    peak = _get(report, "peak", "gflops")
    rows = []
    for row in report.get("gemm", []):
        kin = kinfer_gemm(report, row)
        per_isa = [_get(row, "kinfer", isa, "gflops") for isa in ISAS]
        eigen = _get(row, "eigen", "gflops")
        best = _get(kin, "gflops")
        pct = ratio(best, peak)
        rows.append([f"{row.get('m')}x{row.get('k')}x{row.get('n')}", *per_isa, eigen,
                     _get(kin, "p50_us"), _get(row, "eigen", "p50_us"),
                     None if pct is None else 100 * pct, ratio(best, eigen)])  # fmt: skip
    header = ["M x K x N", *(f"kinfer {i} GFLOP/s" for i in ISAS), "Eigen GFLOP/s",
              "kinfer p50 us", "Eigen p50 us", "% of peak", "kinfer / Eigen"]  # fmt: skip
    errors = [f"- {r.get('m')}x{r.get('k')}x{r.get('n')}: {r['error']}"
              for r in report.get("gemm", []) if "error" in r]  # fmt: skip
    return ["## GEMM", "", *_table(header, rows), "", *errors, *([""] if errors else [])]


def _peak_section(report: dict[str, Any]) -> list[str]:
    peak = report.get("peak", {})
    rows = [[f"{peak.get('isa')} (dispatched)", peak.get("gflops")]]
    rows += [[isa, peak[f"{isa}_gflops"]] for isa in ISAS
             if f"{isa}_gflops" in peak and isa != peak.get("isa")]  # fmt: skip
    table = _table(["ISA", "peak GFLOP/s (1 core)"], rows)
    error = [f"- kinfer_bench peak failed: {peak['error']}", ""] if "error" in peak else []
    return ["## Peak", "", *table, "", *error]


def _model_rows(report: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for name, m in report.get("models", {}).items():
        kin = m.get("kinfer", {})
        diff = m.get("diff", {})
        flag = "" if diff.get("ok", True) else " (!)"
        note = "kinfer_bench failed" if "error" in kin else f"{_num(diff.get('max_abs'))}{flag}"
        rows.append([name, (m.get("flops") or 0) / 1e6, kin.get("p50_us"), kin.get("p99_us"),
                     _get(m, "ort", "p50_us"), _get(m, "ort", "p99_us"),
                     _get(m, "eigen", "p50_us"), model_ratio(report, name), note])  # fmt: skip
    return rows


def _models_section(report: dict[str, Any]) -> list[str]:
    header = ["model", "MFLOP", "kinfer p50 us", "kinfer p99 us", "ORT p50 us", "ORT p99 us",
              "Eigen p50 us", "kinfer / ORT (p50)", "max abs diff vs ORT"]  # fmt: skip
    lines = ["## Models", "", *_table(header, _model_rows(report)), ""]
    for name, m in report.get("models", {}).items():
        lines.append(f"- `{name}`: {m.get('description', '')}")
        if "error" in m.get("kinfer", {}):
            lines.append(f"  - kinfer_bench failed: {m['kinfer']['error']}")
    return [*lines, ""]


def _int8_section(report: dict[str, Any]) -> list[str]:
    rows, errors = [], []
    for name, m in report.get("models", {}).items():
        q = m.get("int8")
        if q is None:
            continue
        if "error" in q:
            errors.append(f"- `{name}` int8: {q['error']}")
            continue
        out = (_get(q, "quantize", "outputs") or [{}])[0]
        rows.append([name, _get(m, "kinfer", "p50_us"), q.get("p50_us"),
                     ratio(_get(m, "kinfer", "p50_us"), q.get("p50_us")),
                     f"{q.get('cosine_vs_float', 0):.4f}",
                     f"{out.get('cosine_min', 0):.4f} / {out.get('cosine_mean', 0):.4f}",
                     f"{_get(q, 'quantize', 'matmuls')} / {_get(q, 'quantize', 'quantizes')}",
                     _get(q, "quantize", "samples")])  # fmt: skip
    if not rows and not errors:
        return []
    header = ["model", "float p50 us", "int8 p50 us", "float / int8", "cosine (timed input)",
              "cosine min / mean (samples)", "MatMuls / QUANTIZE", "samples"]  # fmt: skip
    note = ("int8: `--quantize int8 --calibrate` (docs/performance.md), timed right after the "
            "float run; cosines of the int8 output with kinfer's float output.")
    return ["## int8", "", note, "", *_table(header, rows), "", *errors, *([""] if errors else [])]


def _sections_section(report: dict[str, Any]) -> list[str]:
    longest: dict[str, tuple[float, str]] = {}
    for name, m in report.get("models", {}).items():
        for op, us in (m.get("sections") or {}).items():
            if isinstance(us, (int, float)) and us >= longest.get(op, (-1.0, ""))[0]:
                longest[op] = (float(us), name)
    if not longest:
        return []
    rows = [[op, us, name] for op, (us, name) in
            sorted(longest.items(), key=lambda kv: -kv[1][0])]  # fmt: skip
    note = ("Each node computes in sections of at most KINFER_FPU_CHUNK (262144) work units, "
            "one kernel_fpu_begin()/end() each, as kmod/run.c splits it; here the userspace "
            "build runs the same split and times every section (median over the profiled "
            "runs). The longest section of each op kind over the models above, at "
            f"{report.get('meta', {}).get('isa')}:")
    return ["## FPU sections", "", note, "",
            *_table(["op", "longest section us", "model"], rows), ""]


def _vm_section(report: dict[str, Any]) -> list[str]:
    vm = report.get("vm")
    if not vm:
        return []
    rows = [[name, v.get("kernel_p50_us"), v.get("user_p50_us"),
             ratio(v.get("kernel_p50_us"), v.get("user_p50_us"))]
            for name, v in vm.items()]  # fmt: skip
    header = ["model", "in-kernel p50 us", "userspace p50 us", "in-kernel / userspace"]
    return ["## In-kernel / userspace in one VM", "", *_table(header, rows), ""]


def render_markdown(report: dict[str, Any]) -> str:
    meta = report.get("meta", {})
    head = (f"CPU: {meta.get('cpu')} ({meta.get('cpus')} CPUs) | {meta.get('date')} | "
            f"onnxruntime {meta.get('onnxruntime')} | numpy {meta.get('numpy')} | "
            f"ISA: {meta.get('isa')}")  # fmt: skip
    notes = [
        f"ORT: 1 intra-op and 1 inter-op thread, sequential, all graph optimisations, IOBinding; "
        f"p50/p99 of single runs (reps up to {meta.get('reps')}, fewer for slow models to fit "
        f"{meta.get('budget_s')} s). FLOPs: {meta.get('flops_method')}.",
    ]
    checks = ["## Checks", "", "```", *check_lines(report.get("checks", [])), "```", ""]
    lines = ["# kinfer benchmark", "", head, "", *notes, "", *_gemm_section(report),
             *_peak_section(report), *_models_section(report), *_int8_section(report),
             *_sections_section(report), *_vm_section(report), *checks]
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="build directory (e.g. build)")
    ap.add_argument("--reps", type=int, default=None, help=f"runs per timing ({DEFAULT_REPS})")
    ap.add_argument("--budget", type=float, default=None,
                    help=f"seconds per model and engine ({DEFAULT_BUDGET_S})")
    ap.add_argument("--quick", action="store_true",
                    help=f"{QUICK_REPS} reps, {QUICK_BUDGET_S} s per model and engine")
    ap.add_argument("--tool", type=Path, help="kinfer_bench (default OUT/cmake/bench/kinfer_bench "
                    "or $KINFER_BENCH)")
    ap.add_argument("--only", action="append", dest="models", metavar="MODEL",
                    choices=_bench_models().MODELS, help="time just these models (repeatable)")
    ap.add_argument("--vm-json", type=Path, help="in-kernel/userspace timings from one VM")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a check fails")
    return ap.parse_args(argv)


def settings(args: argparse.Namespace) -> Settings:
    reps = args.reps or (QUICK_REPS if args.quick else DEFAULT_REPS)
    budget = args.budget or (QUICK_BUDGET_S if args.quick else DEFAULT_BUDGET_S)
    models = args.models or list(_bench_models().MODELS)
    return Settings(args.out, args.tool or default_tool(args.out), max(1, reps), budget, models)


def load_vm_json(path: Path) -> dict[str, Any]:
    """{"model": {"kernel_p50_us": .., "user_p50_us": ..}} from the VM run."""
    try:
        vm = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise BenchError(f"--vm-json {path}: {e}") from e
    if not isinstance(vm, dict) or not all(isinstance(v, dict) for v in vm.values()):
        raise BenchError(f"--vm-json {path}: expected {{model: {{kernel_p50_us, user_p50_us}}}}")
    return vm


def write_report(out: Path, report: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "bench.md").write_text(render_markdown(report))


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    s = settings(args)
    try:
        check_tool(s.tool)
        vm = load_vm_json(args.vm_json) if args.vm_json else None
        report = measure(s)
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    if vm is not None:
        report["vm"] = vm
    report["checks"] = evaluate(report)
    write_report(s.out, report)
    for line in check_lines(report["checks"]):
        print(line)
    print(f"bench: wrote {s.out / 'bench.md'} and {s.out / 'bench.json'}")
    failed = any(c["status"] != "pass" for c in report["checks"])
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

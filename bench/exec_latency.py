"""Exec latency with and without the cmdline-guard task, in one VM run.

    exec_latency.py TASK_MANIFEST HELDOUT OUTDIR [--execs N] [--rounds R]

Runs inside the VM with kinfer.ko loaded. Each exec is posix_spawn of
/bin/true with a benign held-out command line as its argv, timed from
the spawn to the reaped exit. Phases, interleaved so that drift in the
emulator hits all alike: no task attached, the task attached and
enforcing, the task attached but disabled (the hook runs, the model does
not). Writes OUTDIR/exec.json and OUTDIR/exec.md: p50/p99 per phase and
the ratios to "no task" -- ratios measured side by side, not absolute
speeds (the VM emulates the CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

KINFER = os.environ.get("KINFER_BIN", "build/cmake/loader/kinfer")


def spawn_times(argvs: list[list[str]], n: int) -> list[float]:
    times = []
    for i in range(n):
        start = time.perf_counter_ns()
        pid = os.posix_spawn("/bin/true", argvs[i % len(argvs)], {})
        os.waitpid(pid, 0)
        times.append((time.perf_counter_ns() - start) / 1e3)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("manifest")
    ap.add_argument("heldout")
    ap.add_argument("outdir")
    ap.add_argument("--execs", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    task = json.loads(Path(args.manifest).read_text())["name"]
    heldout = json.loads(Path(args.heldout).read_text())
    benign = [c["argv"] for c in heldout if c["flax_label"] == 0][:50]
    knob = Path(f"/sys/kernel/kinfer/tasks/{task}/enabled")

    phases: dict[str, list[float]] = {"no task": [], "enforcing": [], "disabled": []}
    spawn_times(benign, 50)  # warm the page cache
    for _ in range(args.rounds):
        phases["no task"] += spawn_times(benign, args.execs)
        subprocess.run([KINFER, "task", "add", args.manifest], check=True,
                       capture_output=True)
        phases["enforcing"] += spawn_times(benign, args.execs)
        knob.write_text("0\n")
        phases["disabled"] += spawn_times(benign, args.execs)
        subprocess.run([KINFER, "task", "remove", task], check=True, capture_output=True)

    base = statistics.median(phases["no task"])
    rows = {name: {"execs": len(t), "p50_us": statistics.median(t), "p99_us": pct(t, 0.99),
                   "ratio_p50": statistics.median(t) / base}
            for name, t in phases.items()}
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "exec.json").write_text(json.dumps({"task": task, "phases": rows}, indent=2) + "\n")
    lines = [f"# Exec latency with {task} (one VM run, TCG: compare ratios, not times)", "",
             "| phase | execs | p50 µs | p99 µs | p50 / no task |", "|---|---|---|---|---|"]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['execs']} | {r['p50_us']:.0f} | {r['p99_us']:.0f} | "
                     f"{r['ratio_p50']:.2f}x |")
    (out / "exec.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

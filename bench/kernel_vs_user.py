"""In-kernel run time against the userspace build, in one VM (make bench).

    kernel_vs_user.py MODELS_DIR OUT.json [--model NAME:REPS ...]

Runs inside the VM (scripts/bench-in-guest.sh) on models bench/models.py
built on the host: each is loaded into kinfer.ko and run ``REPS`` times
with ``kinfer run --repeat`` (each run as the module times it, from
acquire to release: models/<name>/last_run_ns), then as many times
through the same C sources built for userspace (``kinfer run
--reference --repeat``: clearing the arena, prepare and compute, as the
module does them).  Both run on the same emulated CPU
in the same boot, so their ratio is the in-kernel overhead: the absolute
times are the emulator's, not the machine's.  Writes
``{model: {kernel_p50_us, kernel_p99_us, user_p50_us, user_p99_us, isa}}``,
which ``bench/run.py --vm-json`` puts in the report.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KINFER = os.environ.get("KINFER_BIN", str(ROOT / "build/cmake/loader/kinfer"))
DEFAULT_MODELS = ("mlp:2000", "minilm_32:5")


def kinfer(*args: str) -> None:
    proc = subprocess.run([KINFER, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"kinfer {' '.join(args)}: exit {proc.returncode}\n{proc.stderr}")


def timed(args: list[str], reps: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        kinfer(*args, "--repeat", str(reps), "--timing-json", f.name)
        return json.loads(Path(f.name).read_text())


def measure(models_dir: Path, name: str, reps: int) -> dict[str, Any]:
    entry = json.loads((models_dir / name / "entry.json").read_text())
    onnx = str(models_dir / entry["onnx"])
    inputs = [a for p in entry["inputs"] for a in ("--input", str(models_dir / p))]
    slot = f"bench_{name}"
    kinfer("load", onnx, "--name", slot)
    try:
        kernel = timed(["run", slot, *inputs], reps)
    finally:
        kinfer("unload", slot)
    user = timed(["run", onnx, "--reference", *inputs], reps)
    return {
        "kernel_p50_us": kernel["p50_us"], "kernel_p99_us": kernel["p99_us"],
        "user_p50_us": user["p50_us"], "user_p99_us": user["p99_us"],
        "isa": kernel["isa"], "user_isa": user["isa"], "reps": reps,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models_dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--model", action="append", help="NAME:REPS (default: mlp:2000, minilm_32:5)")
    args = ap.parse_args(argv)
    result: dict[str, Any] = {}
    for spec in args.model or DEFAULT_MODELS:
        name, reps = spec.split(":")
        result[name] = measure(args.models_dir, name, int(reps))
        r = result[name]
        print(f"{name}: kernel p50 {r['kernel_p50_us']:.1f} us, userspace p50 "
              f"{r['user_p50_us']:.1f} us ({r['isa']}), ratio "
              f"{r['kernel_p50_us'] / r['user_p50_us']:.2f}", flush=True)  # fmt: skip
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

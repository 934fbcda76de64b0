#!/bin/sh
# make bench: benchmarks, never part of make test.  Today: exec latency
# with and without the cmdline-guard task, measured in one VM run
# (bench/exec_latency.py); writes build/bench/exec.{md,json}.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TASK="$ROOT/build/demo/cmdline-guard"
if [ ! -f "$TASK/pipeline.onnx" ]; then
	echo "== training cmdline-guard (Flax, generated corpus, ~25 s)"
	"$ROOT/.venv/bin/python" -m kinfer.examples.cmdline_guard "$TASK" >/dev/null
fi
mkdir -p "$ROOT/build/bench"
echo "== exec latency in the VM (TCG, a few minutes)"
"$ROOT/scripts/vm-run.sh" --out "$ROOT/build/bench" -- \
	sh scripts/bench-in-guest.sh "$TASK" "$ROOT/build/bench"

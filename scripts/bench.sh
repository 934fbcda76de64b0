#!/bin/sh
# make bench: benchmarks, never part of make test.  Writes build/bench.md
# and build/bench.json (bench/run.py), with build/bench/exec.{md,json}.
#   1. the benchmark models (bench/models.py), built on the host;
#   2. one VM boot: in-kernel run time against the userspace build of the
#      same sources (bench/kernel_vs_user.py), then exec latency with and
#      without the cmdline-guard task (bench/exec_latency.py);
#   3. natively, with the VM gone: kinfer's math against ONNX Runtime and
#      Eigen, GEMM against the core's FMA peak (bench/run.py), with the
#      VM's ratios merged into the same table.
# KINFER_BENCH_ARGS passes options to bench/run.py (e.g. --quick).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY="$ROOT/.venv/bin/python"
OUT="$ROOT/build/bench"
TASK="$ROOT/build/demo/cmdline-guard"
mkdir -p "$OUT"
echo "== benchmark models (bench/models.py; cached in $OUT/models)"
"$PY" "$ROOT/bench/models.py" "$OUT/models"
if [ ! -f "$TASK/pipeline.onnx" ]; then
	echo "== training cmdline-guard (Flax, generated corpus, ~25 s)"
	"$PY" -m kinfer.examples.cmdline_guard "$TASK" >/dev/null
fi
echo "== in the VM (TCG, a few minutes): in-kernel vs userspace, exec latency"
rm -f "$OUT/vm.json"
"$ROOT/scripts/vm-run.sh" --out "$OUT" -- \
	sh scripts/bench-in-guest.sh "$TASK" "$OUT"
[ -s "$OUT/vm.json" ] || { echo "bench: the VM wrote no $OUT/vm.json" >&2; exit 1; }
echo "== natively: kinfer vs ONNX Runtime vs Eigen"
# shellcheck disable=SC2086 # KINFER_BENCH_ARGS is a list of options
"$PY" "$ROOT/bench/run.py" --out "$ROOT/build" --vm-json "$OUT/vm.json" \
	${KINFER_BENCH_ARGS:-}

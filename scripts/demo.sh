#!/bin/sh
# make demo: two text tasks in Debian's kernel, in a VM.  cmdline-guard (a
# Flax classifier over in-kernel WordPiece tokens) enforces on exec;
# log-sentinel (all-MiniLM-L6-v2 against prototype sentences) audits the
# kernel log.  Both are built here, on the host, from committed scripts.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO="$ROOT/build/demo"
PY="$ROOT/.venv/bin/python"
if [ ! -f "$DEMO/cmdline-guard/pipeline.onnx" ]; then
	echo "== training cmdline-guard (Flax, generated corpus, ~25 s)"
	"$PY" -m kinfer.examples.cmdline_guard "$DEMO/cmdline-guard" >/dev/null
fi
if [ ! -f "$DEMO/log-sentinel/pipeline.onnx" ]; then
	echo "== building log-sentinel (all-MiniLM-L6-v2 and prototype sentences)"
	"$PY" -m kinfer.examples.log_sentinel "$DEMO/log-sentinel" >/dev/null
fi
echo "== booting Debian's kernel in a VM (TCG: emulated, slow; ~3 min)"
exec "$ROOT/scripts/vm-run.sh" -- sh scripts/demo-in-guest.sh "$DEMO"

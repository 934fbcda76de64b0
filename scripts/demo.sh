#!/bin/sh
# make demo: a Flax MLP exported to ONNX, compiled by kinfer into BPF maps
# and a chain of kfunc calls, run inside Debian's kernel in a VM.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO="$ROOT/build/demo"
if [ ! -f "$DEMO/model.onnx" ]; then
	echo "== exporting a Flax MLP (16 -> 32 -> 10, relu, softmax) to ONNX"
	"$ROOT/.venv/bin/kinfer-models" export-mlp --layers 16,32,10 \
		--activation relu --style setup --softmax --batch 1 --samples 3 \
		--seed 7 --out "$DEMO"
fi
echo "== booting Debian's kernel in a VM (TCG, ~30 s)"
exec "$ROOT/scripts/vm-run.sh" -- sh scripts/demo-in-guest.sh "$DEMO"

#!/bin/sh
# ONNX conformance: ONNX's node test cases through kinfer, in userspace and
# in the kernel (one VM boot), summarised in docs/conformance.md.
#   run.sh full      every case (make conformance)
#   run.sh data      only (re)generate the cases (make test does this)
# Cases are regenerated only when the onnx package or generate.py changed.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY="$ROOT/.venv/bin/python"
DATA="$ROOT/build/onnx-node"
OUT="$ROOT/build/conformance"
RUNNER="$ROOT/build/cmake/tests/conformance/kinfer_conformance"
KINFER="$ROOT/build/cmake/loader/kinfer"

onnx_version=$("$PY" -c 'import onnx; print(onnx.__version__)')
stamp="$DATA/.stamp"
want="$onnx_version $(sha256sum "$ROOT/tests/conformance/generate.py" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	rm -rf "$DATA"
	"$PY" "$ROOT/tests/conformance/generate.py" "$DATA"
	echo "$want" > "$stamp"
fi
[ "${1:-}" = data ] && exit 0

mkdir -p "$OUT"
"$KINFER" ops --json > "$OUT/ops.json"
echo "conformance: userspace reference"
"$RUNNER" --mode reference --out "$OUT/reference.jsonl" "$DATA/index.json"
echo "conformance: in the kernel (VM)"
rm -f "$OUT/kernel.jsonl"
"$ROOT/scripts/vm-run.sh" --out "$OUT" -- \
	sh tests/conformance/run-in-guest.sh "$RUNNER" "$DATA/index.json" "$OUT"
if [ -s "$OUT/dmesg-trouble.txt" ]; then
	echo "conformance: the kernel logged trouble:" >&2
	cat "$OUT/dmesg-trouble.txt" >&2
	exit 1
fi
"$PY" "$ROOT/tests/conformance/report.py" "$DATA/index.json" --ops "$OUT/ops.json" \
	--reference "$OUT/reference.jsonl" --kernel "$OUT/kernel.jsonl" \
	--onnx-version "$onnx_version" --out "$ROOT/docs/conformance.md"

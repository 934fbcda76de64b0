#!/bin/sh
# make demo: two text tasks in Debian's kernel, in a VM.  cmdline-guard (a
# Flax classifier over in-kernel WordPiece tokens) enforces on exec;
# log-sentinel (all-MiniLM-L6-v2 against prototype sentences) audits the
# kernel log.  Both are built here, on the host, from committed scripts.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO="$ROOT/build/demo"
PY="$ROOT/.venv/bin/python"
# Each task is rebuilt when the code that makes it changed: a pipeline from
# older code may lack what kinfer task add now requires.
want=$(cat $(find "$ROOT/models/src" -name '*.py' | sort) "$ROOT/models/requirements.txt" |
	sha256sum | cut -d' ' -f1)
build_task() {	# DIR MODULE MESSAGE
	if [ "$(cat "$DEMO/$1/.stamp" 2>/dev/null)" != "$want" ]; then
		echo "$3"
		rm -rf "${DEMO:?}/$1"
		"$PY" -m "$2" "$DEMO/$1" >/dev/null
		echo "$want" > "$DEMO/$1/.stamp"
	fi
}
build_task cmdline-guard kinfer.examples.cmdline_guard \
	"== training cmdline-guard (Flax, generated corpus, ~25 s)"
build_task log-sentinel kinfer.examples.log_sentinel \
	"== building log-sentinel (all-MiniLM-L6-v2 and prototype sentences)"
echo "== booting Debian's kernel in a VM (TCG: emulated, slow; ~3 min)"
exec "$ROOT/scripts/vm-run.sh" -- sh scripts/demo-in-guest.sh "$DEMO"

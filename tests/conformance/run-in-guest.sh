#!/bin/sh
# Runs inside the VM (scripts/vm-run.sh): every conformance case in the
# kernel, one process.
#   run-in-guest.sh RUNNER INDEX OUTDIR     (OUTDIR is writable from the guest)
set -u
RUNNER=$1
INDEX=$2
OUT=$3
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
[ -e /sys/kernel/kinfer ] || insmod kmod/kinfer.ko || echo "run-in-guest: insmod failed" >&2
"$RUNNER" --mode kernel --out "$OUT/kernel.jsonl" "$INDEX"
dmesg | grep -E 'WARNING:|BUG:|Oops|cut here|Call Trace' > "$OUT/dmesg-trouble.txt" || true

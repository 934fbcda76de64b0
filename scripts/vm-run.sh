#!/bin/sh
# Boot Debian's kernel in a VM and run one command in it:
#   scripts/vm-run.sh [--out DIR] [--] COMMAND...
# The guest sees the host's root file system read-only (virtme-ng), so it
# runs the build tree and the venv in place; DIR (default build/vm-out) is
# the one directory it can write back. Exits with the command's status.
#
# Nested KVM does not work on our machines, so the guest runs under TCG
# (software emulation): slow but deterministic. Boot once per session.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/build/vm-out"
if [ "${1:-}" = "--out" ]; then
	OUT=$2
	shift 2
fi
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: $0 [--out DIR] [--] COMMAND..." >&2; exit 2; }

KVER=$("$ROOT/scripts/kver.sh")
KIMG=/boot/vmlinuz-$KVER
[ -r "$KIMG" ] || { echo "vm-run: $KIMG not found (run 'make deps')" >&2; exit 1; }
mkdir -p "$OUT"

# vng finds its helpers (virtme-run) on PATH.
PATH="$ROOT/.venv/bin:$PATH"
export PATH

# The exit status travels through a file: the guest's status is not
# reliably the status of vng itself.
status="$OUT/.exit-status"
rm -f "$status"
cmd="cd '$ROOT' && ( $* ); echo \$? > '$status'"
# The emulated CPU has no AVX2 or FMA by default, so kinfer.ko runs its
# generic (SSE2) kernels: QEMU 7.2 emulates the AVX2 ones over ten times
# slower (all-MiniLM-L6-v2's shape at 128 tokens: 14 s generic, over 200 s
# AVX2).  KINFER_VM_CPU=max gives the guest AVX2 and FMA (make test-vm's
# second boot, tests/vm/test_isa.py, uses it).
vng --run "$KIMG" --disable-kvm --memory "${KINFER_VM_MEMORY:-2G}" \
	--cpus "${KINFER_VM_CPUS:-2}" --rwdir "$OUT" \
	--qemu-opts="-cpu ${KINFER_VM_CPU:-max,avx2=off,fma=off}" --exec "$cmd"
[ -f "$status" ] || { echo "vm-run: the guest did not report a status (crash or timeout?)" >&2; exit 1; }
exit "$(cat "$status")"

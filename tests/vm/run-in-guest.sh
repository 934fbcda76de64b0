#!/bin/sh
# Runs inside the VM (see scripts/vm-run.sh): the in-kernel test session.
#   run-in-guest.sh OUTDIR      (OUTDIR is writable from the guest)
# The host tree is read-only here: no bytecode or pytest cache is written.
set -u
OUT=$1
export PYTHONDONTWRITEBYTECODE=1
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
exec .venv/bin/python -m pytest -p no:cacheprovider -q -rA \
	-c tests/vm/pytest.ini tests/vm --junitxml="$OUT/vm.xml"

#!/bin/sh
# Runs inside the VM (see scripts/vm-run.sh): the in-kernel test session.
#   run-in-guest.sh OUTDIR      (OUTDIR is writable from the guest)
# The host tree is read-only here: no bytecode or pytest cache is written.
# Order: insert the module, run the CLI's kernel tests, then the in-kernel
# suite, whose last test removes the module and checks nothing was left.
set -u
OUT=$1
PY=.venv/bin/python
export PYTHONDONTWRITEBYTECODE=1
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
[ -e /sys/kernel/kinfer ] || insmod kmod/kinfer.ko || echo "run-in-guest: insmod failed" >&2
# Only the files that use the kernel marker: collecting all of tests/python
# under the VM's emulation costs minutes and selects nothing more.
KERNEL_TESTS=$(grep -l 'mark\.kernel' tests/python/test_*.py)
# shellcheck disable=SC2086 # one word per file
$PY -m pytest -q -c tests/python/pytest.ini -m kernel $KERNEL_TESTS \
	-o junit_suite_name=cli-kernel --junitxml="$OUT/cli-kernel.xml"
$PY -m pytest -p no:cacheprovider -q -rA -c tests/vm/pytest.ini tests/vm \
	--junitxml="$OUT/vm.xml"

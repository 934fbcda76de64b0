#!/bin/sh
# Runs inside make test-vm's second VM, whose emulated CPU has AVX2 and FMA
# (KINFER_VM_CPU=max): the ISA-variant tests alone (tests/vm/test_isa.py).
#   run-isa-in-guest.sh OUTDIR
set -u
OUT=$1
export PYTHONDONTWRITEBYTECODE=1
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
.venv/bin/python -m pytest -p no:cacheprovider -q -rA -c tests/vm/pytest.ini \
	tests/vm/test_isa.py -o junit_suite_name=vm-isa --junitxml="$OUT/vm-isa.xml"

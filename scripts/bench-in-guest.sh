#!/bin/sh
# The guest half of `make bench` (see bench.sh).
#   bench-in-guest.sh TASKDIR OUTDIR
set -eu
export PYTHONDONTWRITEBYTECODE=1
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
[ -e /sys/kernel/kinfer ] || insmod kmod/kinfer.ko
.venv/bin/python bench/kernel_vs_user.py "$2/models" "$2/vm.json"
.venv/bin/python bench/exec_latency.py "$1/cmdline-guard.task.json" "$1/heldout.json" "$2"

#!/bin/sh
# The guest half of `make demo` (see demo.sh).
set -eu
DEMO=$1
K=build/cmake/loader/kinfer
PY=.venv/bin/python
export PYTHONDONTWRITEBYTECODE=1
step() { printf '\n== %s\n$ %s\n' "$1" "$2"; sh -c "$2"; }

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
step "kernel" "uname -r"
step "insert the module" "insmod kmod/kinfer.ko && cat /sys/kernel/kinfer/version"
step "compile and load the model" "$K load $DEMO/model.onnx --name demo"
step "what got loaded: one kfunc call per layer" "$K show demo"
step "the kernel's view" "bpftool prog show name kinfer_demo; bpftool map show | grep -E 'name (layers_|cfg\.|io\.|meta\.)'"
for i in 0 1 2; do
	step "run in the kernel, input $i" "$K run demo --input $DEMO/input_$i.npy --output /tmp/y$i.npy"
	$PY -c "
import numpy as np
got, want = np.load('/tmp/y$i.npy'), np.load('$DEMO/expected_$i.npy')
print('kernel:', np.array2string(got.ravel(), precision=4))
print('JAX:   ', np.array2string(want.ravel(), precision=4))
print('max abs error: %.2e' % np.max(np.abs(got - want)))"
done
step "per-model counters" "grep . /sys/kernel/kinfer/models/demo/*"
step "unload" "$K unload demo && rmmod kinfer && echo module removed"

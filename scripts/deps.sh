#!/bin/sh
# Install everything kinfer needs on a Debian 12 machine, as root.
# Idempotent: when the packages are present and the venv matches
# models/requirements.txt, it only checks and returns in about a second.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV="$ROOT/.venv"
REQ="$ROOT/models/requirements.txt"

# Debian packages, grouped by what needs them.
PKGS_KERNEL="linux-image-amd64 linux-headers-amd64 linux-source-6.1 dwarves
	libelf-dev zlib1g-dev bc flex bison kmod xz-utils cpio"
PKGS_BPF="clang llvm libbpf-dev bpftool"
PKGS_VM="qemu-system-x86 busybox-static"
PKGS_CXX="build-essential cmake ninja-build pkg-config catch2 libeigen3-dev
	libonnx-dev libprotobuf-dev protobuf-compiler libcli11-dev
	nlohmann-json3-dev libbenchmark-dev libflatbuffers-dev"
PKGS_PY="python3 python3-venv python3-dev"
PKGS="$PKGS_KERNEL $PKGS_BPF $PKGS_VM $PKGS_CXX $PKGS_PY"

missing=""
for p in $PKGS; do
	# Installed means status "install ok installed"; anything else is missing.
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$s" = "install ok installed" ] || missing="$missing $p"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing Debian packages:$missing" >&2
		echo "deps: run 'make deps' as root to install them" >&2
		exit 1
	fi
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	apt-get install -y -q --no-install-recommends $missing
fi

# Python: a venv pinned by models/requirements.txt, plus the kinfer package
# in editable mode. The stamp holds the hash of what was installed.
stamp="$VENV/.kinfer-req.sha256"
REQ_NODEPS="$ROOT/models/requirements-nodeps.txt"
want=$(cat "$REQ" "$REQ_NODEPS" "$ROOT/models/pyproject.toml" 2>/dev/null |
	sha256sum | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	echo "deps: setting up $VENV"
	[ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
	"$VENV/bin/pip" install -q --disable-pip-version-check --no-deps \
		-r "$REQ_NODEPS"
	if [ -f "$ROOT/models/pyproject.toml" ]; then
		"$VENV/bin/pip" install -q --disable-pip-version-check \
			--no-deps -e "$ROOT/models"
	fi
	echo "$want" > "$stamp"
fi
echo "deps: ok"

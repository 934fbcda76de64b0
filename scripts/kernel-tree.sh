#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare a private kernel build tree for kinfer.ko:
#
#	build/kernel-tree/<KVER>/	symlink copy of Debian's headers tree
#		vmlinux			extracted from /boot/vmlinuz-<KVER>
#		tools/bpf/resolve_btfids/resolve_btfids
#					built from linux-source-6.1
#	build/linux-source/		the few files taken from the source tarball
#
# Debian's linux-headers-<KVER> lacks vmlinux (needed for module BTF) and
# resolve_btfids (needed to fill the BTF_ID sets of kfunc registration),
# so a plain `make -C /lib/modules/<KVER>/build` produces a module whose
# kfuncs cannot be called.  The copy below is a usable `make -C <tree> M=...`
# target.  Nothing outside the repository's build/ directory is written.
#
# Idempotent: every step leaves a stamp recording its inputs; a second run
# only checks the stamps.
#
# Usage: scripts/kernel-tree.sh [--print-kdir | --print-vmlinux | --help]
#	(no option)	prepare the tree if needed, print its path
#	--print-kdir	print the tree path without preparing anything
#	--print-vmlinux	print the extracted vmlinux path without preparing
# Environment: KVER overrides the kernel release (default: the release that
# Debian's linux-image-amd64 depends on); BUILD_DIR overrides <repo>/build.

set -euo pipefail

RECIPE=4	# bump when the steps below change; invalidates every stamp

die() {
	echo "kernel-tree.sh: $*" >&2
	exit 1
}

log() {
	echo "kernel-tree.sh: $*" >&2
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$repo/build}

if [ -z "${KVER:-}" ]; then
	KVER=$("$repo/scripts/kver.sh") ||
		die "cannot derive KVER from linux-image-amd64; set KVER"
fi

kdir=$build/kernel-tree/$KVER
srcdir=$build/linux-source

case "${1:-}" in
--print-kdir)
	echo "$kdir"
	exit 0
	;;
--print-vmlinux)
	echo "$kdir/vmlinux"
	exit 0
	;;
-h|--help)
	sed -n '3,28p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
"")
	;;
*)
	die "unknown option '$1' (try --help)"
	;;
esac

headers=/usr/src/linux-headers-$KVER
vmlinuz=/boot/vmlinuz-$KVER
[ -d "$headers" ] || die "$headers missing: apt-get install linux-headers-$KVER"
[ -f "$vmlinuz" ] || die "$vmlinuz missing: apt-get install linux-image-$KVER"

tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n1)
[ -n "$tarball" ] || die "no /usr/src/linux-source-*.tar.xz: apt-get install linux-source"
srcbase=$(basename "$tarball" .tar.xz)	# linux-source-6.1

# A stamp holds a description of a step's inputs; the step is skipped when
# the stored description matches.
fingerprint() {
	local f
	echo "recipe=$RECIPE kver=$KVER"
	for f in "$@"; do
		stat -L -c '%n %s %Y' "$f"
	done
}

stamp_ok() {	# stamp-file inputs...
	local stamp=$1
	shift
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(fingerprint "$@")" ]
}

stamp_write() {	# stamp-file inputs...
	local stamp=$1
	shift
	fingerprint "$@" > "$stamp.tmp"
	mv -f "$stamp.tmp" "$stamp"
}

mkdir -p "$build/kernel-tree"
# Serialise concurrent callers (make -C kmod and make -C bpf in parallel).
exec 9> "$build/kernel-tree/.lock"
flock 9

# 1. Files from the source tarball: extract-vmlinux, checkpatch and the
#    tools/ subtree that resolve_btfids builds from.
src_stamp=$srcdir/.stamp
if ! stamp_ok "$src_stamp" "$tarball"; then
	log "extracting tools from $tarball"
	rm -rf "$srcdir"
	mkdir -p "$srcdir"
	tar -xJf "$tarball" -C "$srcdir" --strip-components=1 \
		"$srcbase/scripts/extract-vmlinux" \
		"$srcbase/scripts/bpf_doc.py" \
		"$srcbase/scripts/checkpatch.pl" \
		"$srcbase/scripts/spelling.txt" \
		"$srcbase/scripts/const_structs.checkpatch" \
		"$srcbase/tools"
	stamp_write "$src_stamp" "$tarball"
fi

# 2. The headers copy.  Debian's arch tree (linux-headers-<KVER>) has a
#    one-line Makefile including the -common tree's Makefile (absolute path),
#    so srctree stays the -common tree and objtree becomes our copy, which is
#    where Kbuild looks for vmlinux and tools/bpf/resolve_btfids.  The copy
#    is made of symlinks; scripts and tools are relative symlinks in Debian's
#    tree, so they are re-pointed at their absolute targets.
tree_stamp=$kdir/.stamp-headers
if ! stamp_ok "$tree_stamp" "$headers/.config" "$headers/Module.symvers"; then
	log "copying $headers"
	rm -rf "$kdir"
	mkdir -p "$kdir"
	cp -rs "$headers/." "$kdir/"
	rm -f "$kdir/scripts" "$kdir/tools"
	ln -s "$(readlink -f "$headers/scripts")" "$kdir/scripts"
	mkdir -p "$kdir/tools/bpf/resolve_btfids"
	for t in "$(readlink -f "$headers/tools")"/*; do
		ln -s "$t" "$kdir/tools/$(basename "$t")"
	done
	stamp_write "$tree_stamp" "$headers/.config" "$headers/Module.symvers"
fi

# 3. vmlinux with its .BTF section, the base for module BTF.
vml_stamp=$kdir/.stamp-vmlinux
if ! stamp_ok "$vml_stamp" "$vmlinuz" || [ ! -f "$kdir/vmlinux" ]; then
	log "extracting vmlinux from $vmlinuz"
	sh "$srcdir/scripts/extract-vmlinux" "$vmlinuz" > "$kdir/vmlinux.tmp" ||
		die "extract-vmlinux failed"
	# grep reads all of readelf's output: with -q it would stop at the
	# first match, readelf would die of SIGPIPE and pipefail would fail
	# the check (now and then, by timing).
	readelf -S "$kdir/vmlinux.tmp" | grep '\.BTF' >/dev/null ||
		die "extracted vmlinux has no .BTF section"
	mv -f "$kdir/vmlinux.tmp" "$kdir/vmlinux"
	stamp_write "$vml_stamp" "$vmlinuz"
fi

# 4. resolve_btfids, built out of tree into the copy.
rb=$kdir/tools/bpf/resolve_btfids
rb_stamp=$rb/.stamp
if ! stamp_ok "$rb_stamp" "$tarball" || [ ! -x "$rb/resolve_btfids" ]; then
	log "building resolve_btfids"
	make -s -C "$srcdir/tools/bpf/resolve_btfids" O="$rb" \
		-j"$(nproc)" >&2 || die "resolve_btfids build failed"
	[ -x "$rb/resolve_btfids" ] || die "resolve_btfids not produced"
	stamp_write "$rb_stamp" "$tarball"
fi

echo "$kdir"

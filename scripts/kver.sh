#!/bin/sh
# Print the version of the Debian kernel that linux-image-amd64 points at
# (e.g. 6.1.0-56-amd64). It moves with Debian point releases: never hard-code it.
set -eu
dep=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null) || {
	echo "kver: linux-image-amd64 is not installed (run 'make deps')" >&2
	exit 1
}
# "linux-image-6.1.0-56-amd64 (= 6.1.192-2)" -> "6.1.0-56-amd64"
kver=$(echo "$dep" | sed -n 's/^.*linux-image-\([^ ,]*\).*$/\1/p')
[ -n "$kver" ] || {
	echo "kver: cannot read a kernel version from '$dep'" >&2
	exit 1
}
echo "$kver"

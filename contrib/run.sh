#!/bin/sh
# contrib/run.sh [DIR] - build vhostfs if needed, then start vhostfsd
# sharing DIR (default: a fresh directory under /tmp) on a socket it prints.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=$("$top/contrib/build.sh" | tail -n 1)
dir=${1:-$(mktemp -d /tmp/vhostfs-share.XXXXXX)}
sock=${VHOSTFS_SOCKET:-/tmp/vhostfs.sock}
echo "sharing $dir on $sock" >&2
exec "$builddir/src/vhostfsd" --socket-path="$sock" --shared-dir="$dir"

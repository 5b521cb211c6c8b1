#!/bin/sh
# tests/test-client-dax.sh - TAP test of DAX between vhostfsd and
# vhostfs-client: `vhostfs-client dax` reserves a cache window, serves the
# daemon's map requests on the backend request channel and plays the
# Linux guest's mapping sequence (and READ/WRITE with data in the window:
# FS_IO, or an error reply upstream), with both channel protocols (upstream
# SHMEM_MAP/UNMAP, window size from GET_SHMEM_CONFIG; fs-cache FS_MAP/
# UNMAP/SYNC, window size given to both) and both ring layouts.
#
# Needs root (the daemon's sandbox); skips without it.
# Environment: top_builddir (set by make check).
set -u
. "$(dirname "$0")/tap.sh"
builddir=${top_builddir:-.}
client=$builddir/src/vhostfs-client
daemon=$builddir/src/vhostfsd

[ "$(id -u)" -eq 0 ] || skip_all "vhostfsd's sandbox needs root"
[ -x "$client" ] || skip_all "no $client (build it first)"
[ -x "$daemon" ] || skip_all "no $daemon (build it first)"

work=$(mktemp -d "${TMPDIR:-/tmp}/vhostfs-dax-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

echo "1..5"
n=0

# dax NAME RING PROTOCOL DAEMON-OPTIONS CLIENT-ARGS: one TAP line; the
# client's output as diagnostics on failure, its summary otherwise.
dax() {
    mkdir -p "$work/$1"
    "$client" --timeout 20 --ring "$2" --dax-protocol "$3" --dir "$work/$1" \
        --backend "'$daemon' --socket-path={sock} --shared-dir={dir} $4" \
        dax $5 >"$work/$1.out" 2>&1
    rc=$?
    ok "$rc" "dax, $3 protocol, $2 ring"
    if [ "$rc" -ne 0 ]; then
        sed 's/^/# /' "$work/$1.out"
    else
        grep -E '^# (dax|window)' "$work/$1.out"
    fi
}

dax shmem-split split shmem "--dax=shmem --dax-window=64M" ""
dax shmem-packed packed shmem "--dax=shmem --dax-window=64M" ""
dax fs-cache-split split fs-cache "--dax=fs-cache --dax-window=64M" \
    "--window=64M"
dax fs-cache-packed packed fs-cache "--dax=fs-cache --dax-window=64M" \
    "--window=64M"

# The command removes its file, on the host too.
left=$(find "$work"/*-split "$work"/*-packed -mindepth 1 2>/dev/null |
    head -n 5)
[ -z "$left" ]
ok $? "nothing left in the shared directories"
[ -z "$left" ] || echo "$left" | sed 's/^/# /'

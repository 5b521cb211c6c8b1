#!/bin/sh
# tests/test-client-vhostfsd.sh - TAP test of vhostfs-client against the
# project's own daemon: `vhostfs-client check` starts vhostfsd on a fresh
# directory and runs every FUSE operation, with split and packed rings,
# with the daemon's defaults and with its optional features on (xattr,
# posix_lock, flock).  The client fails the run when the daemon ends
# badly (an exit status other than 0, a sanitizer report).
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

work=$(mktemp -d "${TMPDIR:-/tmp}/vhostfs-client-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

echo "1..5"
n=0

# check NAME RING EXTRA-OPTIONS DESCRIPTION: vhostfs-client check on a
# fresh directory, one TAP line; the client's output as diagnostics on
# failure, its unsupported lines and summary otherwise.
check() {
    mkdir -p "$work/$1"
    # {sock} and {dir} are quoted by the client; $daemon is ours.
    "$client" --timeout 20 --ring "$2" --dir "$work/$1" --backend \
        "'$daemon' --socket-path={sock} --shared-dir={dir} $3" \
        check >"$work/$1.out" 2>&1
    rc=$?
    ok "$rc" "$4"
    if [ "$rc" -ne 0 ]; then
        diag "$work/$1.out"
    else
        grep -E '^(unsupported|# check)' "$work/$1.out" | sed 's/^#* */# /'
    fi
}

check split split "" "check, split ring"
check packed packed "" "check, packed ring"
check split-features split "--xattr -o posix_lock -o flock" \
    "check, split ring, xattr and locks on"
check packed-features packed "--xattr -o posix_lock -o flock" \
    "check, packed ring, xattr and locks on"

# The check removes what it made, on the host too.
left=$(find "$work/split" "$work/packed" "$work/split-features" \
    "$work/packed-features" -mindepth 1 2>/dev/null | head -n 5)
[ -z "$left" ]
ok $? "nothing left in the shared directories"
[ -z "$left" ] || echo "$left" | sed 's/^/# /'

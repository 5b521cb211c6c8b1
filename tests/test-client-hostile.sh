#!/bin/sh
# tests/test-client-hostile.sh - TAP test of vhostfsd against malformed
# FUSE requests: `vhostfs-client hostile` starts the daemon on a fresh
# directory and sends each case through the virtqueue, with split and
# packed rings, and with xattrs, locks and a thread pool on.  One TAP
# line per case;
# then, per run, that the daemon was alive until the client hung up,
# exited with status 0 and said so, and printed no sanitizer report
# while it was attacked.
#
# Environment: top_builddir (set by make check).
set -u
. "$(dirname "$0")/tap.sh"
builddir=${top_builddir:-.}
client=$builddir/src/vhostfs-client
daemon=$builddir/src/vhostfsd

[ -x "$client" ] || skip_all "no $client (build it first)"
[ -x "$daemon" ] || skip_all "no $daemon (build it first)"
case $daemon in
/*) ;;
*) daemon=$(pwd)/$daemon ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/vhostfs-hostile-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

n=0

# run NAME RING EXTRA-OPTIONS: the client's cases as TAP lines, then the
# daemon's end.  Its stderr goes to a log this script reads.
run() {
    name=$1
    mkdir -p "$work/$name"
    log=$work/$name.log
    "$client" --timeout 20 --ring "$2" --dir "$work/$name" --backend \
        "'$daemon' --socket-path={sock} --shared-dir={dir} --sandbox=none \
$3 2>'$log'" hostile >"$work/$name.out" 2>"$work/$name.err"
    rc=$?
    while IFS= read -r line; do
        case $line in
        "ok "*) ok 0 "$name: ${line#ok }" ;;
        "FAIL "*) ok 1 "$name: ${line#FAIL }" ;;
        "#"*) echo "$line" ;;
        esac
    done <"$work/$name.out"
    grep -q '^# hostile:' "$work/$name.out"
    ok $? "$name: every case ran"
    # The client fails the run when the daemon exited before the hang-up
    # ("backend alive") or with a status other than 0, and says on
    # stderr when it had to be stopped.
    [ "$rc" -eq 0 ] && ! grep -q 'did not exit\|backend .*exited\|killed' \
        "$work/$name.err"
    ok $? "$name: the client passed; the daemon exited 0 after the hang-up"
    [ "$rc" -eq 0 ] || sed 's/^/# /' "$work/$name.err"
    grep -q 'VMM disconnected; exiting' "$log"
    ok $? "$name: the daemon said it exits because the VMM hung up"
    ! grep -q 'ERROR: AddressSanitizer\|runtime error\|LeakSanitizer' "$log"
    ok $? "$name: no sanitizer report from the daemon"
    grep -A20 'Sanitizer\|runtime error' "$log" | sed 's/^/# /'
    left=$(find "$work/$name" -mindepth 1 | head -n 5)
    [ -z "$left" ] && ! ls -d "$work/$name".hostile-sentinel.* >/dev/null 2>&1
    ok $? "$name: nothing left in the share or next to it"
}

run split split ""
run packed packed ""
run split-xattr-pool split "--xattr -o posix_lock -o flock --thread-pool-size=4"
echo "1..$n"

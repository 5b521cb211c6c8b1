#!/bin/sh
# tests/test-client-reinit.sh - TAP test of vhostfsd serving a guest
# again after the guest reboots: `vhostfs-client reinit` runs several
# FUSE sessions on one connection, the rings stopped, the device reset
# (with RESET_DEVICE, and without) and set up again from scratch between
# them, with split and packed rings, and with a thread pool.  Then the
# client hangs up: the daemon must exit with status 0, say why, and have
# printed no sanitizer report.
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

work=$(mktemp -d "${TMPDIR:-/tmp}/vhostfs-reinit-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

echo "1..12"
n=0

run() { # NAME RING EXTRA-OPTIONS
    name=$1
    mkdir -p "$work/$name"
    log=$work/$name.log
    "$client" --timeout 20 --ring "$2" --dir "$work/$name" --backend \
        "'$daemon' --socket-path={sock} --shared-dir={dir} --sandbox=none \
$3 2>'$log'" reinit 4 >"$work/$name.out" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] && grep -q '^# reinit: 4 sessions, .* 0 failed' \
        "$work/$name.out"
    ok $? "$name: 4 sessions with a device reset between, each INIT accepted"
    [ "$rc" -eq 0 ] || sed 's/^/# /' "$work/$name.out"
    ! grep -q 'did not exit\|backend .*exited\|killed' "$work/$name.out"
    ok $? "$name: the daemon exited 0 after the hang-up"
    grep -q 'VMM disconnected; exiting' "$log"
    ok $? "$name: the daemon said it exits because the VMM hung up"
    ! grep -q 'ERROR: AddressSanitizer\|runtime error\|LeakSanitizer' "$log"
    ok $? "$name: no sanitizer report from the daemon"
    grep -A20 'Sanitizer\|runtime error' "$log" | sed 's/^/# /'
}

run split split ""
run packed packed ""
run packed-pool packed "--thread-pool-size=4"

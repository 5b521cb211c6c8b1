#!/bin/sh
# tests/test-client-reinit.sh - TAP test of vhostfsd serving a guest
# again after the guest reboots: `vhostfs-client reinit` runs several
# FUSE sessions on one connection, the rings stopped, the device reset
# (with RESET_DEVICE, and without) and set up again from scratch between
# them, with split and packed rings.  Then the client hangs up: the
# daemon must exit with status 0, say why, and have printed no sanitizer
# report.
#
# Environment: top_builddir (set by make check).
set -u
builddir=${top_builddir:-.}
client=$builddir/src/vhostfs-client
daemon=$builddir/src/vhostfsd

skip_all() {
    echo "1..0 # SKIP $*"
    exit 0
}

[ -x "$client" ] || skip_all "no $client (build it first)"
[ -x "$daemon" ] || skip_all "no $daemon (build it first)"
case $daemon in
/*) ;;
*) daemon=$(pwd)/$daemon ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/vhostfs-reinit-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

echo "1..8"
n=0
ok() { # status, description
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
    fi
}

run() { # RING
    mkdir -p "$work/$1"
    log=$work/$1.log
    "$client" --timeout 20 --ring "$1" --dir "$work/$1" --backend \
        "'$daemon' --socket-path={sock} --shared-dir={dir} --sandbox=none \
2>'$log'" reinit 4 >"$work/$1.out" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] && grep -q '^# reinit: 4 sessions, .* 0 failed' \
        "$work/$1.out"
    ok $? "$1: 4 sessions with a device reset between, each INIT accepted"
    [ "$rc" -eq 0 ] || sed 's/^/# /' "$work/$1.out"
    ! grep -q 'did not exit\|backend .*exited\|killed' "$work/$1.out"
    ok $? "$1: the daemon exited 0 after the hang-up"
    grep -q 'VMM disconnected; exiting' "$log"
    ok $? "$1: the daemon said it exits because the VMM hung up"
    ! grep -q 'ERROR: AddressSanitizer\|runtime error\|LeakSanitizer' "$log"
    ok $? "$1: no sanitizer report from the daemon"
    grep -A20 'Sanitizer\|runtime error' "$log" | sed 's/^/# /'
}

run split
run packed

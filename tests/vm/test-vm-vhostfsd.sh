#!/bin/sh
# tests/vm/test-vm-vhostfsd.sh - TAP test of vhostfsd serving a real Linux
# guest: boot.sh boots a guest against it, the guest runs fs-conformance
# (every operation, with assertions) on the virtio-fs mount, and the host
# then checks what the guest left in the shared directory.  Once with the
# split virtqueue layout, once with packed=on.  Each conformance case is
# one test line, prefixed with the ring.
#
# Needs root, qemu-system-x86_64 and a guest kernel (get-kernel.sh fetches
# one on the first run); skips without them.  Environment: top_builddir
# (set by make check), and boot.sh's.
set -u
. "$(dirname "$0")/../tap.sh"
here=$(cd "$(dirname "$0")" && pwd)
build=${top_builddir:-$(pwd)}
vhostfsd=$build/src/vhostfsd
conformance=$build/tests/fs-conformance
qemu=${VHOSTFS_VM_QEMU:-qemu-system-x86_64}

[ "$(id -u)" -eq 0 ] || skip_all "needs root (guest files owned by uid 0)"
command -v "$qemu" >/dev/null 2>&1 ||
    skip_all "no $qemu (Debian package qemu-system-x86)"
[ -x "$vhostfsd" ] || skip_all "no $vhostfsd (build first)"
[ -x "$conformance" ] || skip_all "no $conformance (make check builds it)"

work=$(mktemp -d "${TMPDIR:-/tmp}/vhostfs-vm-vhostfsd.XXXXXX")
dpid=
cleanup() {
    [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$here/get-kernel.sh" >"$work/kernel" 2>"$work/get-kernel.err" ||
    skip_all "no guest kernel: $(tail -n 1 "$work/get-kernel.err")"

n=0

run_ring() { # RING [boot.sh options]
    ring=$1
    shift
    share=$work/share-$ring
    sock=$work/$ring.sock
    mkdir -p "$share"
    "$vhostfsd" --socket-path="$sock" --shared-dir="$share" --sandbox=none \
        --xattr -o posix_lock,flock --log-level=info \
        >"$work/$ring.vhostfsd" 2>&1 &
    dpid=$!
    i=0
    while [ ! -S "$sock" ] && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    status=0
    "$here/boot.sh" --socket "$sock" --timeout 900 "$@" \
        --initrd-extra "$conformance" --cmd 'fs-conformance run /mnt' \
        --log "$work/$ring.console" >"$work/$ring.out" 2>"$work/$ring.err" ||
        status=$?
    # vhostfsd exits by itself when QEMU hangs up.
    i=0
    while kill -0 "$dpid" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -0 "$dpid" 2>/dev/null
    ok $((1 - $?)) "$ring ring: vhostfsd exits when the VMM disconnects"
    kill "$dpid" 2>/dev/null
    wait "$dpid" 2>/dev/null
    dpid=

    grep -q "^VHOSTFS-VM-RING: $ring" "$work/$ring.console"
    ok $? "$ring ring: the guest uses the $ring layout"
    # The guest's own TAP lines, renumbered and prefixed.
    tr -d '\r' <"$work/$ring.out" | grep -E '^(not )?ok [0-9]+ - ' |
        sed 's/^\(not \)\{0,1\}ok [0-9]* - /\1 /' >"$work/$ring.cases"
    cases=$(wc -l <"$work/$ring.cases")
    [ "$cases" -gt 0 ]
    ok $? "$ring ring: fs-conformance ran in the guest ($cases cases)"
    while IFS= read -r c; do
        case "$c" in
        "not "*) ok 1 "$ring ring: guest: ${c#not  }" ;;
        *) ok 0 "$ring ring: guest: ${c# }" ;;
        esac
    done <"$work/$ring.cases"
    "$conformance" verify "$share" >"$work/$ring.verify" 2>&1
    ok $? "$ring ring: the host sees what the guest wrote"
    if [ "$status" -ne 0 ] || grep -q '^not ok' "$work/$ring.verify"; then
        echo "# boot.sh exit $status; its stderr, the guest's output,"
        echo "# vhostfsd's log and the host check:"
        sed 's/^/# /' "$work/$ring.err" "$work/$ring.out" \
            "$work/$ring.vhostfsd" "$work/$ring.verify"
    fi
}

echo "# kernel: $(cat "$work/kernel")"
run_ring split
run_ring packed --packed
echo "1..$n"

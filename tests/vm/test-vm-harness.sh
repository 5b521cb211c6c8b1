#!/bin/sh
# tests/vm/test-vm-harness.sh - TAP test of the real-guest harness, with
# QEMU's own virtiofsd as the backend: boot.sh boots a guest against it, the
# guest reads a file of the host, writes one the host then reads, and lists
# the directory; once with the split virtqueue layout, once with packed=on
# (skipped when the backend does not negotiate VIRTIO_F_RING_PACKED).
#
# Needs root (virtiofsd), qemu-system-x86_64 and a guest kernel, which
# get-kernel.sh fetches on the first run; skips without them.
# Environment: VHOSTFS_VM_VIRTIOFSD (default /usr/lib/qemu/virtiofsd),
# top_builddir (to find vm-guest; set by make check), and boot.sh's.
set -u
. "$(dirname "$0")/../tap.sh"
here=$(cd "$(dirname "$0")" && pwd)
virtiofsd=${VHOSTFS_VM_VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
qemu=${VHOSTFS_VM_QEMU:-qemu-system-x86_64}

[ "$(id -u)" -eq 0 ] || skip_all "virtiofsd needs root"
[ -x "$virtiofsd" ] ||
    skip_all "no $virtiofsd (Debian package qemu-system-common)"
command -v "$qemu" >/dev/null 2>&1 ||
    skip_all "no $qemu (Debian package qemu-system-x86)"
"$qemu" -device help 2>/dev/null | grep -q '"vhost-user-fs-pci"' ||
    skip_all "$qemu has no vhost-user-fs-pci device"

work=$(mktemp -d "${TMPDIR:-/tmp}/vhostfs-vm-test.XXXXXX")
vpid=
cleanup() {
    if [ -n "$vpid" ]; then
        kill "$vpid" 2>/dev/null
        wait "$vpid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$here/get-kernel.sh" >"$work/kernel" 2>"$work/get-kernel.err" ||
    skip_all "no guest kernel: $(tail -n 1 "$work/get-kernel.err")"
"$here/mkinitramfs.sh" >/dev/null 2>"$work/mkinitramfs.err" ||
    skip_all "no initramfs: $(tail -n 1 "$work/mkinitramfs.err")"

# The guest's checks use vm-guest, a static program built by make check;
# outside a build tree, build it here.
guest_prog=${top_builddir:-.}/tests/vm/vm-guest
if [ ! -x "$guest_prog" ]; then
    guest_prog="$work/vm-guest"
    ${CC:-cc} -std=gnu11 -O2 -static -o "$guest_prog" "$here/vm-guest.c" \
        2>"$work/cc.err" ||
        skip_all "cannot build a static vm-guest: $(head -n 1 "$work/cc.err")"
fi

# start_virtiofsd SHARE SOCKET LOG: start virtiofsd, set vpid.  Its default
# sandbox (mount, pid and net namespaces) needs CAP_SYS_ADMIN and
# unprivileged namespaces; inside some containers only -o sandbox=chroot
# works, so that is the second choice.
sandbox=
start_virtiofsd() {
    for sb in ${sandbox:-namespace chroot}; do
        rm -f "$2"
        "$virtiofsd" --socket-path="$2" \
            -o "source=$1,cache=auto,sandbox=$sb" >"$3" 2>&1 &
        vpid=$!
        i=0
        while [ $i -lt 100 ] && kill -0 "$vpid" 2>/dev/null; do
            if [ -S "$2" ]; then
                sandbox=$sb
                return 0
            fi
            sleep 0.1
            i=$((i + 1))
        done
        kill "$vpid" 2>/dev/null
        wait "$vpid" 2>/dev/null
        vpid=
    done
    return 1
}

# stop_virtiofsd: it exits by itself once QEMU hangs up; give it 10 s.
stop_virtiofsd() {
    i=0
    while [ $i -lt 100 ] && kill -0 "$vpid" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
    done
    kill "$vpid" 2>/dev/null
    wait "$vpid" 2>/dev/null
    vpid=
}

# Find the sandbox mode that works here before promising any test.
mkdir -p "$work/probe"
start_virtiofsd "$work/probe" "$work/probe.sock" "$work/probe.log" || {
    diag "$work/probe.log"
    skip_all "virtiofsd does not start here (see the log above)"
}
kill "$vpid" 2>/dev/null
wait "$vpid" 2>/dev/null
vpid=

echo "1..10"
echo "# kernel: $(cat "$work/kernel")"
echo "# virtiofsd: $virtiofsd -o sandbox=$sandbox"
n=0

skip5() { # ring, reason
    for what in "guest ran its command" "ring layout" "guest read" \
        "host read" "guest ls"; do
        n=$((n + 1))
        echo "ok $n - $1 ring: $what # SKIP $2"
    done
}

# Random contents: nothing here can pass by an earlier run's leftovers.
token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')

# run_ring RING [boot.sh options]: one guest boot, five test lines.
run_ring() {
    ring=$1
    shift
    share="$work/share-$ring"
    mkdir -p "$share/subdir"
    printf 'host %s' "$token" >"$share/hello.txt"
    printf 'inner' >"$share/subdir/inner.txt"
    if ! start_virtiofsd "$share" "$work/$ring.sock" "$work/$ring.vfsd"; then
        diag "$work/$ring.vfsd"
        for i in 1 2 3 4 5; do
            ok 1 "$ring ring: virtiofsd started"
        done
        return
    fi
    status=0
    "$here/boot.sh" --socket "$work/$ring.sock" --log "$work/$ring.console" \
        --initrd-extra "$guest_prog" "$@" --cmd "
st=0
vm-guest read hello.txt 'host $token' || st=1
vm-guest write from-guest.txt 'guest $token' || st=1
echo LS-BEGIN
ls -1 /mnt || st=1
echo LS-END
exit \$st" >"$work/$ring.out" 2>"$work/$ring.err" || status=$?
    stop_virtiofsd
    tr -d '\r' <"$work/$ring.console" >"$work/$ring.log"
    diag "$work/$ring.err"

    layout=$(sed -n 's/^VHOSTFS-VM-RING: //p' "$work/$ring.log")
    if [ "$ring" = packed ] && [ "$status" -lt 124 ] && [ "$layout" = split ]
    then
        skip5 "$ring" "the backend did not negotiate VIRTIO_F_RING_PACKED"
        return
    fi

    [ "$status" -lt 124 ]
    ok $? "$ring ring: guest mounted the share and ran its command"
    if [ "$status" -ge 124 ]; then
        diag "$work/$ring.vfsd"
    fi

    [ "$layout" = "$ring" ]
    ok $? "$ring ring: the device negotiated the $ring layout (${layout:-?})"

    want=$(wc -c <"$share/hello.txt" | tr -d ' ')
    grep -qx "vm-guest: read hello.txt: $want bytes as expected" \
        "$work/$ring.out"
    ok $? "$ring ring: guest reads the host's file"

    [ -f "$share/from-guest.txt" ] &&
        [ "$(cat "$share/from-guest.txt")" = "guest $token" ]
    ok $? "$ring ring: host reads the file the guest wrote"

    sed -n '/^LS-BEGIN$/,/^LS-END$/p' "$work/$ring.out" |
        grep -v '^LS-' | LC_ALL=C sort >"$work/$ring.ls"
    printf 'from-guest.txt\nhello.txt\nsubdir\n' >"$work/$ring.ls-want"
    cmp -s "$work/$ring.ls" "$work/$ring.ls-want"
    ok $? "$ring ring: guest ls lists the directory"

    if [ "$status" -ne 0 ]; then
        echo "# guest output:"
        diag "$work/$ring.out"
    fi
}

run_ring split
if "$qemu" -device vhost-user-fs-pci,help 2>/dev/null | grep -q 'packed='; then
    run_ring packed --packed
else
    skip5 packed "$qemu's vhost-user-fs-pci has no packed property"
fi

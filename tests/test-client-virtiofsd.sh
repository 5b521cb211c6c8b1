#!/bin/sh
# tests/test-client-virtiofsd.sh - TAP test of vhostfs-client against
# QEMU's C virtiofsd: `vhostfs-client check` starts the daemon on a fresh
# directory and runs every FUSE operation, with the split ring, with the
# daemon's optional features on (xattr, posix_lock, flock), and with the
# packed ring when the daemon offers it.  Operations the daemon lacks are
# reported as unsupported by the client and do not fail the test.
#
# Needs root (virtiofsd) and /usr/lib/qemu/virtiofsd (Debian package
# qemu-system-common); skips without them.
# Environment: VHOSTFS_VIRTIOFSD (default /usr/lib/qemu/virtiofsd),
# top_builddir (set by make check).
set -u
. "$(dirname "$0")/tap.sh"
virtiofsd=${VHOSTFS_VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
client=${top_builddir:-.}/src/vhostfs-client

[ "$(id -u)" -eq 0 ] || skip_all "virtiofsd needs root"
[ -x "$virtiofsd" ] ||
    skip_all "no $virtiofsd (Debian package qemu-system-common)"
[ -x "$client" ] || skip_all "no $client (build it first)"

work=$(mktemp -d "${TMPDIR:-/tmp}/vhostfs-client-test.XXXXXX")
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

# The daemon's default sandbox (mount, pid and net namespaces) needs
# CAP_SYS_ADMIN and unprivileged namespaces; inside some containers only
# -o sandbox=chroot works.  Find the one that starts here.
mkdir -p "$work/probe"
sandbox=
for sb in namespace chroot; do
    rm -f "$work/probe.sock"
    "$virtiofsd" --socket-path="$work/probe.sock" \
        -o "source=$work/probe,sandbox=$sb" >"$work/probe.log" 2>&1 &
    vpid=$!
    i=0
    while [ $i -lt 100 ] && kill -0 "$vpid" 2>/dev/null; do
        if [ -S "$work/probe.sock" ]; then
            sandbox=$sb
            break
        fi
        sleep 0.1
        i=$((i + 1))
    done
    kill "$vpid" 2>/dev/null
    wait "$vpid" 2>/dev/null
    vpid=
    [ -n "$sandbox" ] && break
done
if [ -z "$sandbox" ]; then
    diag "$work/probe.log"
    skip_all "virtiofsd does not start here (see the log above)"
fi

echo "1..6"
echo "# virtiofsd: $virtiofsd -o sandbox=$sandbox"
n=0

# run_check NAME RING EXTRA-OPTIONS: vhostfs-client check on a fresh
# directory; output in $work/NAME.out, status in $rc.
run_check() {
    mkdir -p "$work/$1"
    cmd="'$virtiofsd' --socket-path={sock} -o source={dir} -o cache=none"
    "$client" --timeout 20 --ring "$2" --dir "$work/$1" --backend \
        "$cmd -o sandbox=$sandbox $3" check >"$work/$1.out" 2>&1
    rc=$?
}

# report NAME DESCRIPTION: one TAP line for run_check's result.
report() {
    ok "$rc" "$2"
    if [ "$rc" -ne 0 ]; then
        diag "$work/$1.out"
    else
        grep -E '^(unsupported|# check)' "$work/$1.out" | sed 's/^#* */# /'
    fi
}

run_check split split ""
report split "check, split ring"

run_check features split "-o xattr -o posix_lock -o flock"
report features "check, split ring, xattr and locks on"

run_check packed packed ""
if [ "$rc" -ne 0 ] &&
    grep -q "does not offer packed rings" "$work/packed.out"; then
    n=$((n + 1))
    echo "ok $n - check, packed ring" \
        "# SKIP virtiofsd does not offer VIRTIO_F_RING_PACKED"
else
    report packed "check, packed ring"
fi

# The check removes what it made, on the host too.
left=$(find "$work/split" "$work/features" "$work/packed" -mindepth 1 \
    2>/dev/null | head -n 5)
[ -z "$left" ]
ok $? "nothing left in the shared directories"
[ -z "$left" ] || echo "$left" | sed 's/^/# /'

# A backend that dies before it listens: exit 1, with its output shown.
"$client" --dir "$work/split" \
    --backend 'echo "no such option" >&2; exit 3' check >"$work/dies.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] && grep -q "exited with status 3" "$work/dies.out" &&
    grep -q "no such option" "$work/dies.out"
st=$?
ok "$st" "a backend that dies is reported with its output"
[ "$st" -eq 0 ] || diag "$work/dies.out"

# Bad usage: exit 1 and one line.
"$client" --socket "$work/none.sock" check >"$work/usage.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] && [ "$(wc -l <"$work/usage.out")" -eq 1 ]
st=$?
ok "$st" "check without --dir is refused"
[ "$st" -eq 0 ] || diag "$work/usage.out"

#!/bin/sh
# tests/test-mount-conformance.sh - TAP test of vhostfsd --mount: the share
# served on the host through /dev/fuse, fs-conformance run on the mount
# (every operation through the kernel's FUSE client), then checked on the
# shared directory itself, and the mount gone after SIGTERM.
#
# Needs root and /dev/fuse; skips without them.
set -u
. "$(dirname "$0")/tap.sh"
build=${top_builddir:-$(pwd)}
vhostfsd=$build/src/vhostfsd
conformance=$build/tests/fs-conformance

[ "$(id -u)" -eq 0 ] || skip_all "mounting needs root"
[ -c /dev/fuse ] || skip_all "no /dev/fuse"
[ -x "$vhostfsd" ] && [ -x "$conformance" ] || skip_all "build first"

work=$(mktemp -d "${TMPDIR:-/tmp}/vhostfs-mount.XXXXXX")
dpid=
cleanup() {
    [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
    umount "$work/mnt" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir "$work/share" "$work/mnt"
n=0

"$vhostfsd" --mount="$work/mnt" --shared-dir="$work/share" --sandbox=none \
    --xattr -o posix_lock,flock --rlimit-nofile=16384 \
    >"$work/vhostfsd.log" 2>&1 &
dpid=$!
i=0
while ! grep -q " $work/mnt fuse" /proc/mounts && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
grep -q " $work/mnt fuse" /proc/mounts
ok $? "vhostfsd --mount mounts the share"
grep -Eq '^Max open files +16384 ' "/proc/$dpid/limits"
ok $? "vhostfsd set RLIMIT_NOFILE as --rlimit-nofile asked"

"$conformance" run "$work/mnt" >"$work/run.out" 2>&1
grep -E '^(not )?ok [0-9]+ - ' "$work/run.out" |
    sed 's/^\(not \)\{0,1\}ok [0-9]* - /\1 /' >"$work/cases"
while IFS= read -r c; do
    case "$c" in
    "not "*) ok 1 "mount: ${c#not  }" ;;
    *) ok 0 "mount: ${c# }" ;;
    esac
done <"$work/cases"
"$conformance" verify "$work/share" >"$work/verify.out" 2>&1
ok $? "the shared directory holds what was written through the mount"

kill -TERM "$dpid"
wait "$dpid"
ok $? "vhostfsd exits 0 on SIGTERM"
dpid=
! grep -q " $work/mnt fuse" /proc/mounts
ok $? "the mount is gone"
if grep -q '^not ok' "$work/run.out" "$work/verify.out"; then
    sed 's/^/# /' "$work/run.out" "$work/verify.out" "$work/vhostfsd.log"
fi
echo "1..$n"

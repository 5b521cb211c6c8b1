#!/bin/sh
# tests/vm/mkinitramfs.sh [-o OUTPUT] [-k KERNEL_DIR] [PROGRAM...] - build
# the test guest's initramfs (cpio newc, gzip) and print its path:
#   /bin/busybox           busybox-static, applets installed at boot
#   /init                  guest-init.sh
#   /lib/modules/          the modules get-kernel.sh kept, and modules.load
#   /vm/bin/PROGRAM        each PROGRAM given (static executables), on PATH
#
# Without PROGRAM and -o, the image goes to the cache and is rebuilt only
# when one of its inputs is newer.  KERNEL_DIR defaults to get-kernel.sh's.
# Builds without root: the image has no device nodes (see guest-init.sh).
set -eu
. "$(dirname "$0")/vm-lib.sh"

out=
kdir=
while [ $# -gt 0 ]; do
    case $1 in
    -o) out=${2:?-o needs a file}; shift 2 ;;
    -k) kdir=${2:?-k needs a directory}; shift 2 ;;
    -h | --help)
        sed -n '2,/^set -eu/{/^set -eu/d;s/^# \{0,1\}//;p}' "$0"
        exit 0
        ;;
    --) shift; break ;;
    -*) vm_die "unknown option: $1" ;;
    *) break ;;
    esac
done

for p in "$@"; do
    [ -f "$p" ] || vm_die "$p: no such file"
    vm_is_static "$p" || vm_die "$p: not a static executable"
done

busybox=
for b in ${VHOSTFS_VM_BUSYBOX:-} /bin/busybox /usr/bin/busybox; do
    if vm_is_static "$b"; then
        busybox=$b
        break
    fi
done
[ -n "$busybox" ] ||
    vm_die "needs a static busybox (Debian package busybox-static)"
command -v cpio >/dev/null 2>&1 || vm_die "needs cpio"

[ -n "$kdir" ] || kdir=$("$vm_dir/get-kernel.sh")
[ -f "$kdir/modules.load" ] || vm_die "$kdir: no modules.load"
release=$(cat "$kdir/version")

if [ -z "$out" ]; then
    [ $# -eq 0 ] || vm_die "give -o OUTPUT when adding programs"
    cache=$(vm_cache_dir) || vm_die "no writable cache directory"
    out="$cache/initramfs-$release.cpio.gz"
    fresh=1
    for input in "$busybox" "$vm_dir/guest-init.sh" "$vm_dir/mkinitramfs.sh" \
        "$kdir/modules.load"; do
        [ -f "$out" ] && [ ! "$input" -nt "$out" ] || fresh=
    done
    if [ -n "$fresh" ]; then
        echo "$out"
        exit 0
    fi
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/vhostfs-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib/modules" "$stage/vm/bin" \
    "$stage/dev" "$stage/proc" "$stage/sys" "$stage/tmp" "$stage/mnt"
cp "$busybox" "$stage/bin/busybox"
cp "$vm_dir/guest-init.sh" "$stage/init"
chmod 755 "$stage/init" "$stage/bin/busybox"
while read -r m; do
    [ -z "$m" ] || cp "$kdir/modules/$m" "$stage/lib/modules/$m"
done <"$kdir/modules.load"
cp "$kdir/modules.load" "$stage/lib/modules/modules.load"
for p in "$@"; do
    cp "$p" "$stage/vm/bin/"
    chmod 755 "$stage/vm/bin/$(basename "$p")"
done

tmp="$out.tmp.$$"
(cd "$stage" && find . | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$tmp"
mv "$tmp" "$out"
echo "$out"

#!/bin/sh
# contrib/run.sh [--vm [--packed] [--cmd 'COMMAND']] [DIR]
#
# Build vhostfs if needed, then start vhostfsd sharing DIR (default: a
# fresh directory under /tmp with a file in it) on a vhost-user socket.
#
#   (no --vm)   vhostfsd runs in the foreground until Ctrl-C; the QEMU
#               options that attach a guest to it are printed first.
#   --vm        also boot a throwaway Linux guest (QEMU, TCG) that mounts
#               the share on /mnt and gives a shell on this terminal
#               (Ctrl-a x quits), or runs COMMAND with --cmd and exits
#               with its status.  The first run fetches a Debian kernel
#               (apt-get download; nothing is installed) and needs QEMU.
#   --packed    the guest uses the packed virtqueue layout.
#
# Environment: VHOSTFS_SOCKET (default /tmp/vhostfs-PID.sock).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
vm= packed= cmd=
while [ $# -gt 0 ]; do
    case "$1" in
    --vm) vm=1 ;;
    --packed) packed=--packed ;;
    --cmd) cmd=${2:?--cmd needs a command}; shift ;;
    -h|--help) sed -n '2,/^set -eu/{/^set/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option '$1' (try --help)" >&2; exit 1 ;;
    *) break ;;
    esac
    shift
done
. "$top/contrib/deps.sh"
[ -z "$vm" ] || vhostfs_install qemu-system-x86 busybox-static cpio
builddir=$("$top/contrib/build.sh" | tail -n 1)

if [ $# -gt 0 ]; then
    dir=$1
    [ -d "$dir" ] || { echo "run.sh: '$dir' is not a directory" >&2; exit 1; }
else
    dir=$(mktemp -d /tmp/vhostfs-share.XXXXXX)
    echo "Hello from $(hostname), shared by vhostfsd." >"$dir/hello.txt"
fi
sock=${VHOSTFS_SOCKET:-/tmp/vhostfs-$$.sock}
daemon="$builddir/src/vhostfsd --socket-path=$sock --shared-dir=$dir --sandbox=none"

if [ -z "$vm" ]; then
    cat >&2 <<EOT
Sharing $dir on $sock.  Attach a guest with these QEMU options:
  -object memory-backend-memfd,id=mem,size=1G,share=on -numa node,memdev=mem
  -chardev socket,id=vfs,path=$sock
  -device vhost-user-fs-pci,chardev=vfs,tag=share
and in the guest: mount -t virtiofs share /mnt
EOT
    exec $daemon
fi

$daemon &
dpid=$!
trap 'kill $dpid 2>/dev/null; rm -f "$sock"' EXIT
i=0
while [ ! -S "$sock" ] && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
echo "Sharing $dir; booting a guest with the share on /mnt ..." >&2
if [ -n "$cmd" ]; then
    "$top/tests/vm/boot.sh" --socket "$sock" $packed --cmd "$cmd"
else
    "$top/tests/vm/boot.sh" --socket "$sock" $packed --shell
fi

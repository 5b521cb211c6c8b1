#!/bin/sh
# tests/vm/boot.sh --socket PATH [options] - boot a throwaway Linux guest
# whose virtio-fs device is served by the vhost-user-fs backend listening
# on PATH, run one command in it with the share mounted on /mnt, and exit
# with that command's status.
#
#   --socket PATH        vhost-user socket of the backend (required)
#   --tag TAG            virtio-fs tag (default: share)
#   --cmd 'COMMAND'      shell command run in the guest, in /mnt
#   --shell              interactive shell on this terminal instead
#                        (Ctrl-a x quits QEMU)
#   --packed             offer the packed virtqueue layout (packed=on)
#   --mem SIZE           guest memory (default: 512M)
#   --smp N              guest CPUs (default: 1)
#   --timeout SECS       give up after SECS (default: 300; none for --shell)
#   --dax-window SIZE    DAX cache window (cache-size=SIZE; needs a QEMU
#                        that has it)
#   --mount-opts OPTS    extra virtiofs mount options, e.g. dax=always
#   --no-mount           do not mount the share (the command does)
#   --initrd-extra FILE...  static programs put in the guest's /vm/bin
#   --append 'PARAMS'    more kernel parameters (e.g. loglevel=7 to see
#                        the kernel's messages)
#   --log FILE           keep the serial console log in FILE
#   --qemu-arg ARG       one more QEMU argument (repeatable)
#
# With --cmd, standard output is the guest's console from the start of the
# command to its end.  Exit status: the guest command's, read from the
# console line "VHOSTFS-VM-EXIT: N"; or, with a message and the tail of the
# console log on standard error:
#   124  the guest never reported an exit status (timeout, panic, QEMU
#        or the backend died)
#   125  bad usage, no kernel, or QEMU refused to start
#   126  the guest could not load its modules or mount the share
# Environment: VHOSTFS_VM_QEMU (QEMU binary), VHOSTFS_VM_ACCEL (default
# tcg; e.g. kvm), VHOSTFS_VM_CACHE (see vm-lib.sh).
set -eu
. "$(dirname "$0")/vm-lib.sh"
vm_die_status=125

socket=
tag=share
cmd=
shell=
packed=
mem=512M
smp=1
timeout_s=
dax=
mountopts=
nomount=
log=
kappend=
extra=
qemu_args=

usage() {
    sed -n '2,/^# Environment/s/^# \{0,1\}//p' "$0"
    sed -n '/^# Environment/,/^set -eu/{/^set/d;s/^# \{0,1\}//;p}' "$0" |
        tail -n +2
}

while [ $# -gt 0 ]; do
    case $1 in
    --socket) socket=${2:?--socket needs a path}; shift 2 ;;
    --tag) tag=${2:?--tag needs a tag}; shift 2 ;;
    --cmd) cmd=${2?--cmd needs a command}; shift 2 ;;
    --shell) shell=1; shift ;;
    --packed) packed=1; shift ;;
    --mem) mem=${2:?--mem needs a size}; shift 2 ;;
    --smp) smp=${2:?--smp needs a number}; shift 2 ;;
    --timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
    --dax-window) dax=${2:?--dax-window needs a size}; shift 2 ;;
    --mount-opts) mountopts=${2:?--mount-opts needs options}; shift 2 ;;
    --no-mount) nomount=1; shift ;;
    --log) log=${2:?--log needs a file}; shift 2 ;;
    --append) kappend=${2?--append needs parameters}; shift 2 ;;
    --qemu-arg)
        qemu_args="$qemu_args
${2:?--qemu-arg needs an argument}"
        shift 2
        ;;
    --initrd-extra)
        shift
        [ $# -gt 0 ] || vm_die "--initrd-extra needs a file"
        while [ $# -gt 0 ]; do
            case $1 in --*) break ;; esac
            [ -f "$1" ] || vm_die "$1: no such file"
            vm_is_static "$1" || vm_die "$1: not a static executable"
            extra="$extra
$1"
            shift
        done
        ;;
    -h | --help) usage; exit 0 ;;
    *) vm_die "unknown argument: $1 (see --help)" ;;
    esac
done

[ -n "$socket" ] || vm_die "--socket PATH is required"
[ -S "$socket" ] || vm_die "$socket: not a socket (is the backend running?)"
if [ -n "$shell" ] && [ -n "$cmd" ]; then
    vm_die "--cmd and --shell exclude each other"
fi
[ -n "$shell" ] || [ -n "$cmd" ] || vm_die "give --cmd 'COMMAND' or --shell"
case $tag in *[!A-Za-z0-9_.-]*) vm_die "tag must be [A-Za-z0-9_.-]" ;; esac
case $mountopts in *[[:space:]]*) vm_die "mount options hold no spaces" ;; esac
[ -n "$timeout_s" ] || { [ -n "$shell" ] || timeout_s=300; }

qemu=${VHOSTFS_VM_QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null 2>&1 || vm_die "$qemu not found"

kdir=$("$vm_dir/get-kernel.sh") || vm_die "no kernel (get-kernel.sh failed)"
base=$("$vm_dir/mkinitramfs.sh" -k "$kdir") ||
    vm_die "no initramfs (mkinitramfs.sh failed)"

work=$(mktemp -d "${TMPDIR:-/tmp}/vhostfs-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -n "$log" ] || log="$work/console.log"

# The command and the extra programs travel in a second cpio archive
# appended to the initramfs (the kernel unpacks them in order), so any
# command reaches the guest unquoted, whatever the share holds.
mkdir -p "$work/overlay/vm/bin"
if [ -n "$cmd" ]; then
    printf '%s\n' "$cmd" >"$work/overlay/vm/cmd"
fi
printf '%s\n' "$extra" | while read -r f; do
    [ -n "$f" ] || continue
    cp "$f" "$work/overlay/vm/bin/"
    chmod 755 "$work/overlay/vm/bin/$(basename "$f")"
done
(cd "$work/overlay" && find . | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --quiet) | gzip -n >"$work/overlay.cpio.gz"
cat "$base" "$work/overlay.cpio.gz" >"$work/initrd"

append="console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init"
append="$append vhostfs.tag=$tag"
[ -z "$mountopts" ] || append="$append vhostfs.opts=$mountopts"
[ -z "$nomount" ] || append="$append vhostfs.mount=0"
[ -z "$shell" ] || append="$append vhostfs.shell=1"
[ -z "$kappend" ] || append="$append $kappend"

dev="vhost-user-fs-pci,chardev=vfs,tag=$tag"
[ -z "$packed" ] || dev="$dev,packed=on"
if [ -n "$dax" ]; then
    if ! "$qemu" -device vhost-user-fs-pci,help 2>/dev/null |
        grep -q '^ *cache-size='; then
        vm_die "$qemu has no DAX window (vhost-user-fs-pci cache-size)"
    fi
    dev="$dev,cache-size=$dax"
fi

# The uncompressed kernel boots through its PVH entry point, skipping the
# firmware's and the decompressor's work (seconds under TCG).
kernel="$kdir/vmlinuz"
[ ! -f "$kdir/vmlinux" ] || kernel="$kdir/vmlinux"

# QEMU option values: a comma is written as two.
qopt() {
    printf '%s' "$1" | sed 's/,/,,/g'
}

# vhost-user needs the guest's memory in shared file descriptors: one
# memfd backend, made the only NUMA node so all RAM comes from it.
set -- -accel "${VHOSTFS_VM_ACCEL:-tcg}" -nodefaults -no-user-config \
    -no-reboot -display none -vga none \
    -smp "$smp" -m "$mem" \
    -object "memory-backend-memfd,id=mem,size=$mem,share=on" \
    -numa node,memdev=mem \
    -chardev "socket,id=vfs,path=$(qopt "$socket")" \
    -device "$dev" \
    -kernel "$kernel" -initrd "$work/initrd" -append "$append"
if [ -n "$qemu_args" ]; then
    # one argument a line
    old_ifs=$IFS
    IFS='
'
    # shellcheck disable=SC2086
    set -- "$@" $qemu_args
    IFS=$old_ifs
fi

if [ -n "$shell" ]; then
    # Ctrl-C goes to the guest; Ctrl-a x ends QEMU.
    set -- "$@" -chardev stdio,id=con,mux=on,signal=off \
        -serial chardev:con -mon chardev=con
    if [ -n "$timeout_s" ]; then
        timeout --foreground -k 5 "$timeout_s" "$qemu" "$@" || true
    else
        "$qemu" "$@" || true
    fi
    exit 0
fi

set -- "$@" -chardev "file,id=con,path=$(qopt "$log")" -serial chardev:con
started=$(date +%s.%N)
qstatus=0
timeout -k 5 "$timeout_s" "$qemu" "$@" </dev/null >"$work/qemu.out" 2>&1 ||
    qstatus=$?
ended=$(date +%s.%N)

# Console lines end in CR LF.
tr -d '\r' <"$log" >"$work/console"
marker=$(sed -n 's/^.*VHOSTFS-VM-EXIT: \([0-9][0-9]*\)$/\1/p' \
    "$work/console" | tail -n 1)

failed() { # status, message
    echo "boot.sh: $2" >&2
    if [ -s "$work/qemu.out" ]; then
        echo "--- QEMU said:" >&2
        tail -n 20 "$work/qemu.out" >&2
    fi
    echo "--- last lines of the guest console ($log):" >&2
    tail -n 30 "$work/console" >&2
    if [ "$log" = "$work/console.log" ]; then
        echo "(console log removed; keep it with --log FILE)" >&2
    fi
    exit "$1"
}

# the guest command's output: between the RUN and EXIT markers
sed -n '/VHOSTFS-VM-RUN: /,/VHOSTFS-VM-EXIT: /{
/VHOSTFS-VM-RUN: /d
/VHOSTFS-VM-EXIT: /d
p
}' "$work/console"

if grep -q 'VHOSTFS-VM-SETUP-FAILED' "$work/console"; then
    failed 126 "guest setup failed: $(sed -n \
        's/.*VHOSTFS-VM-SETUP-FAILED: //p' "$work/console" | head -n 1)"
fi
if [ -z "$marker" ]; then
    case $qstatus in
    124 | 137) failed 124 "no exit status from the guest within ${timeout_s}s" ;;
    0) failed 124 "QEMU exited, the guest reported no exit status" ;;
    *)
        if ! grep -q . "$work/console"; then
            failed 125 "QEMU failed (status $qstatus) before the guest ran"
        fi
        failed 124 "QEMU failed (status $qstatus), no exit status"
        ;;
    esac
fi
run=$(sed -n 's/^.*VHOSTFS-VM-RUN: \([0-9.]*\)$/\1/p' "$work/console" |
    head -n 1)
ring=$(sed -n 's/^VHOSTFS-VM-RING: //p' "$work/console" | head -n 1)
vm_log "guest exited $marker (${ring:-no virtio-fs} ring);" \
    "boot to command ${run:-?}s (guest clock)," \
    "QEMU ran $(echo "$started $ended" | awk '{ printf "%.1f", $2 - $1 }')s"
exit "$marker"

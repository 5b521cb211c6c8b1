#!/bin/busybox sh
# /init of the test guest (copied into the initramfs by mkinitramfs.sh; it
# runs inside the guest, under busybox, never on the host).
#
# Loads the modules listed in /lib/modules/modules.load, mounts the
# virtio-fs share, runs the command and powers off.  Kernel parameters:
#   vhostfs.tag=TAG      tag of the virtio-fs device (default: share)
#   vhostfs.opts=OPTS    extra mount options, e.g. dax=always
#   vhostfs.mount=0      do not mount (the command mounts by itself)
#   vhostfs.shell=1      interactive shell on the console instead
# The command is the first of:
#   /vm/cmd              added by boot.sh in a second initramfs archive
#   /mnt/.vm-cmd         a script in the shared directory
# It runs in /mnt with PATH starting at /vm/bin (extra programs).
#
# Console lines for the host (boot.sh reads them):
#   VHOSTFS-VM-FEATURES: BITS   the virtio-fs device's negotiated features
#   VHOSTFS-VM-RING: split|packed
#   VHOSTFS-VM-RUN: UPTIME      the command starts (seconds since boot)
#   VHOSTFS-VM-EXIT: N          the command exited with status N
#   VHOSTFS-VM-SETUP-FAILED: WHY
/bin/busybox mkdir -p /proc /sys /dev /tmp /mnt /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/vm/bin:/sbin:/bin:/usr/sbin:/usr/bin
export HOME=/tmp TERM="${TERM:-linux}"
mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console node (it is built without root), so the
# kernel could not give /init a console: take it now.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts

tag=share
opts=
domount=1
shell=0
for w in $(cat /proc/cmdline); do
    case $w in
    vhostfs.tag=*) tag=${w#*=} ;;
    vhostfs.opts=*) opts=${w#*=} ;;
    vhostfs.mount=0) domount=0 ;;
    vhostfs.shell=1) shell=1 ;;
    esac
done

halt_now() {
    sync
    poweroff -f
    # not reached; keep the kernel from panicking on init's exit
    sleep 3600
}

setup_failed() {
    echo "VHOSTFS-VM-SETUP-FAILED: $*"
    if [ "$shell" = 1 ]; then
        setsid cttyhack sh
    fi
    halt_now
}

while read -r m; do
    [ -n "$m" ] || continue
    insmod "/lib/modules/$m" || setup_failed "insmod $m"
done </lib/modules/modules.load

# The virtio-fs device: virtio device id 26.
for d in /sys/bus/virtio/devices/*; do
    [ -f "$d/device" ] || continue
    if [ "$(cat "$d/device")" = 0x001a ]; then
        f=$(cat "$d/features")
        echo "VHOSTFS-VM-FEATURES: $f"
        # VIRTIO_F_RING_PACKED is feature bit 34.
        if [ "$(echo "$f" | cut -c35)" = 1 ]; then
            echo "VHOSTFS-VM-RING: packed"
        else
            echo "VHOSTFS-VM-RING: split"
        fi
        break
    fi
done

if [ "$domount" = 1 ]; then
    mount -t virtiofs ${opts:+-o "$opts"} "$tag" /mnt ||
        setup_failed "mount -t virtiofs $tag /mnt"
fi

cd /mnt || cd /
echo "VHOSTFS-VM-RUN: $(cut -d' ' -f1 /proc/uptime)"
if [ "$shell" = 1 ]; then
    echo "virtio-fs tag '$tag' is mounted on /mnt; exit the shell to power off"
    setsid cttyhack sh -l
    status=$?
elif [ -f /vm/cmd ]; then
    sh /vm/cmd </dev/null
    status=$?
elif [ -f /mnt/.vm-cmd ]; then
    sh /mnt/.vm-cmd </dev/null
    status=$?
else
    echo "no command: neither /vm/cmd nor /mnt/.vm-cmd"
    status=127
fi
cd /
sync
if [ "$domount" = 1 ]; then
    umount /mnt || echo "VHOSTFS-VM-UMOUNT-FAILED"
fi
echo "VHOSTFS-VM-EXIT: $status"
halt_now

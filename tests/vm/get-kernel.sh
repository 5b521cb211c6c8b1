#!/bin/sh
# tests/vm/get-kernel.sh [--update] - fetch a Debian kernel for the test
# guest without installing it, and print the directory that holds it:
#   vmlinuz          the kernel image
#   vmlinux          the same, uncompressed, when the kernel can boot
#                    from it (PVH entry point): QEMU loads it directly,
#                    which under TCG saves the seconds the guest would
#                    spend decompressing vmlinuz
#   modules/*.ko     virtiofs.ko and every module it needs that is not
#                    built in (fuse, virtio, virtio_ring, virtio_pci, ...)
#   modules.load     those modules' file names, dependencies first
#   version          the kernel release
#
# The package is the one Debian's linux-image-amd64 depends on (a 6.1
# kernel on Debian 12).  Everything is keyed on files in the cache
# (vm-lib.sh): once a kernel is there, a run prints it and does nothing
# else, offline.  --update asks apt for the current package again.
set -eu
. "$(dirname "$0")/vm-lib.sh"

update=
case "${1:-}" in
--update) update=1 ;;
"") ;;
-h | --help)
    sed -n '2,/^set -eu/{/^set -eu/d;s/^# \{0,1\}//;p}' "$0"
    exit 0
    ;;
*) vm_die "unknown option: $1" ;;
esac

cache=$(vm_cache_dir) || vm_die "no writable cache directory"

# newest complete kernel in the cache, if any
cached_kernel() {
    for d in "$cache"/kernel/*/.complete; do
        [ -f "$d" ] && dirname "$d"
    done | sort -V | tail -n 1
}

if [ -z "$update" ]; then
    k=$(cached_kernel)
    if [ -n "$k" ]; then
        echo "$k"
        exit 0
    fi
fi

command -v apt-cache >/dev/null 2>&1 || vm_die "needs apt-cache (Debian)"
command -v dpkg-deb >/dev/null 2>&1 || vm_die "needs dpkg-deb (Debian)"

# linux-image-amd64 -> linux-image-6.1.0-NN-amd64
kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*-amd64\)$/\1/p' |
        head -n 1
}

fetch() {
    # Another run may have finished while this one waited for the lock.
    if [ -z "$update" ]; then
        k=$(cached_kernel)
        if [ -n "$k" ]; then
            return 0
        fi
    fi
    pkg=$(kernel_package)
    if [ -z "$pkg" ]; then
        vm_log "no package list; running apt-get update"
        apt-get update -qq >&2 || vm_die "apt-get update failed"
        pkg=$(kernel_package)
    fi
    [ -n "$pkg" ] || vm_die "apt-cache knows no linux-image-amd64"
    release=${pkg#linux-image-}
    if [ -f "$cache/kernel/$release/.complete" ]; then
        return 0
    fi

    work="$cache/tmp.$$"
    rm -rf "$work"
    mkdir -p "$work/x"
    trap 'rm -rf "$work"' EXIT
    vm_log "downloading $pkg"
    # apt-get download writes into the current directory.
    (cd "$work" && apt-get download -q "$pkg" >&2 2>"$work/apt.err") || {
        cat "$work/apt.err" >&2
        vm_die "apt-get download $pkg failed"
    }
    deb=$(ls "$work"/*.deb)
    dpkg-deb -x "$deb" "$work/x"
    rm -f "$deb"

    src="$work/x/lib/modules/$release"
    [ -d "$src" ] || src="$work/x/usr/lib/modules/$release"
    [ -d "$src" ] || vm_die "$pkg has no modules for $release"
    vmlinuz="$work/x/boot/vmlinuz-$release"
    [ -f "$vmlinuz" ] || vm_die "$pkg has no /boot/vmlinuz-$release"

    out="$work/out"
    mkdir -p "$out/modules"
    cp "$vmlinuz" "$out/vmlinuz"
    cp "$work/x/boot/config-$release" "$out/config" 2>/dev/null || true
    if grep -qx 'CONFIG_PVH=y' "$out/config" 2>/dev/null; then
        extract_vmlinux "$out/vmlinuz" "$out/vmlinux" ||
            vm_log "could not decompress vmlinuz; booting it as it is"
    fi
    echo "$release" >"$out/version"
    resolve_modules "$src" "$out"

    rm -rf "$cache/kernel/$release"
    mkdir -p "$cache/kernel"
    mv "$out" "$cache/kernel/$release"
    touch "$cache/kernel/$release/.complete"
    rm -rf "$work"
    trap - EXIT
}

# extract_vmlinux VMLINUZ OUT: find the compressed kernel inside the
# bzImage by its magic number and decompress it; true when OUT is an ELF
# file.  The decompressors stop at the data that follows the stream.
extract_vmlinux() {
    local spec tool magic off
    for spec in 'xz:\xfd7zXZ\x00' 'gzip:\x1f\x8b\x08' 'zstd:\x28\xb5\x2f\xfd'; do
        tool=${spec%%:*}
        magic=${spec#*:}
        command -v "$tool" >/dev/null 2>&1 || continue
        for off in $(LC_ALL=C grep -obUaP "$magic" "$1" | cut -d: -f1); do
            tail -c +"$((off + 1))" "$1" | "$tool" -dc >"$2" 2>/dev/null ||
                true
            if [ "$(head -c 4 "$2" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]
            then
                return 0
            fi
        done
    done
    rm -f "$2"
    return 1
}

# The package has no modules.dep (depmod makes it at install time), so
# dependencies come from each module's own .modinfo "depends=" field, and
# modules.builtin says which ones need no loading.
#
# resolve_modules SRC OUT: copy the modules that virtiofs and virtio_pci
# need from SRC into OUT/modules, decompressed, and list them in
# OUT/modules.load with dependencies first.
resolve_modules() {
    src=$1
    out=$2
    index="$out/modules.index"
    # name<TAB>path, names with '-' folded to '_' as the kernel does
    find "$src/kernel" -name '*.ko*' | awk '{
        n = $0; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); gsub(/-/, "_", n)
        print n "\t" $0 }' >"$index"
    builtin=$(sed 's|.*/||; s|\.ko.*||; s|-|_|g' "$src/modules.builtin")
    : >"$out/modules.load"
    seen=" "
    for m in virtio_pci virtiofs; do
        add_module "$m"
    done
    rm -f "$index"
}

# add_module NAME: add NAME after its dependencies (depth first).
add_module() {
    local name file base deps d
    name=$1
    case $seen in *" $name "*) return 0 ;; esac
    seen="$seen$name "
    if printf '%s\n' "$builtin" | grep -qx "$name"; then
        return 0
    fi
    file=$(awk -F '\t' -v n="$name" '$1 == n { print $2; exit }' "$index")
    [ -n "$file" ] || vm_die "module $name is neither built in nor shipped"
    base=$(basename "$file")
    case $base in
    *.ko.xz) base=${base%.xz}; xz -dc "$file" >"$out/modules/$base" ;;
    *.ko.zst) base=${base%.zst}; zstd -qdc "$file" >"$out/modules/$base" ;;
    *.ko.gz) base=${base%.gz}; gzip -dc "$file" >"$out/modules/$base" ;;
    *) cp "$file" "$out/modules/$base" ;;
    esac
    # .modinfo holds NUL-separated key=value strings.
    deps=$(tr '\0' '\n' <"$out/modules/$base" |
        sed -n 's/^depends=//p' | head -n 1 | tr , ' ')
    for d in $deps; do
        add_module "$d"
    done
    echo "$base" >>"$out/modules.load"
}

# flock(1) runs a command, not a shell function: re-enter this script
# under the lock.
if [ -z "${VHOSTFS_VM_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
    VHOSTFS_VM_LOCKED=1 vm_locked "$cache/.lock" "$0" "$@"
    exit $?
fi
fetch
if [ -n "$update" ]; then
    pkg=${pkg:-$(kernel_package)}
    echo "$cache/kernel/${pkg#linux-image-}"
else
    cached_kernel
fi

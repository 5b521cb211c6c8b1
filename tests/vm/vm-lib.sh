# tests/vm/vm-lib.sh - functions the real-guest scripts share; sourced,
# never run.  Sets vm_dir (the directory of these scripts).  The scripts
# are POSIX sh plus `local` and `test -nt`, which dash, bash and busybox
# ash all have.
#
# The cache (downloaded kernel, built initramfs) lives in, by preference:
#   $VHOSTFS_VM_CACHE                       if set;
#   tests/vm/cache/ beside these scripts     if it can be written;
#   ${TMPDIR:-/tmp}/vhostfs-vm-cache-UID/    otherwise (a read-only source
#                                            tree, as under make distcheck;
#                                            not in the build tree, which
#                                            distclean must leave empty).

vm_dir=$(cd "$(dirname "$0")" && pwd)

vm_die() {
    echo "$(basename "$0"): $*" >&2
    exit "${vm_die_status:-1}"
}

vm_log() {
    [ -n "${vm_quiet:-}" ] || echo "$(basename "$0"): $*" >&2
}

# vm_cache_dir: print the cache directory, creating it.
vm_cache_dir() {
    local c
    if [ -n "${VHOSTFS_VM_CACHE:-}" ]; then
        mkdir -p "$VHOSTFS_VM_CACHE" || return 1
        (cd "$VHOSTFS_VM_CACHE" && pwd)
        return 0
    fi
    for c in "$vm_dir/cache" "${TMPDIR:-/tmp}/vhostfs-vm-cache-$(id -u)"; do
        if mkdir -p "$c" 2>/dev/null && [ -w "$c" ]; then
            (cd "$c" && pwd)
            return 0
        fi
    done
    return 1
}

# vm_locked FILE CMD...: run CMD holding an exclusive lock on FILE, so that
# two tests starting at once do not fetch or build the same thing twice.
vm_locked() {
    lockfile=$1
    shift
    if command -v flock >/dev/null 2>&1; then
        flock "$lockfile" "$@"
    else
        "$@"
    fi
}

# vm_is_static FILE: true when FILE is an ELF executable that needs no
# dynamic loader (a guest has no libc).
vm_is_static() {
    local ldd_out
    [ -f "$1" ] || return 1
    ldd_out=$(LC_ALL=C ldd "$1" 2>&1) || true
    case $ldd_out in
    *"not a dynamic executable"* | *"statically linked"*) return 0 ;;
    esac
    return 1
}

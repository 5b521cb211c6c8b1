/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * options-help.c - vhostfsd --help and --print-capabilities.
 *
 * doc/vhostfsd.1 says the same at more length; keep the two in step (the
 * tests check that the help names every option of the parser's tables).
 */
#include "options.h"

/* One line each, without the newline. */
static const char *const help_lines[] = {
    "Usage: vhostfsd --shared-dir=DIR --socket-path=PATH [OPTIONS]",
    "       vhostfsd -o source=DIR[,KEY...] --socket-path=PATH [OPTIONS]",
    "       vhostfsd --print-capabilities | --help | --version",
    "",
    "Serve the host directory DIR to a virtual machine's virtio-fs device",
    "over a vhost-user socket.  The options of QEMU's virtiofsd",
    "(-o KEY[=VALUE],...) and of the Rust virtiofsd (--long-options) may be",
    "mixed; of two options that set the same thing, the last one wins.",
    "",
    "What to share:",
    "  --shared-dir=DIR, -o source=DIR",
    "                        the directory to share (required)",
    "  --tag=TAG             tag offered in the device's config space, 1 to 36",
    "                        bytes (a VMM may ignore it)",
    "  --readonly            refuse every change to the shared directory",
    "",
    "Where to serve it (exactly one of the three):",
    "  --socket-path=PATH    listen for the VMM on the Unix socket PATH;",
    "                        --socket=PATH and -o vhost_user_socket=PATH are",
    "                        the same.  A socket with a live listener is an",
    "                        error; a stale one is replaced",
    "  --fd=FD               use the inherited Unix socket FD: listening (as",
    "                        libvirt passes it) or connected to the VMM",
    "  --mount=DIR           serve the share on this host through /dev/fuse,",
    "                        mounted on DIR, instead of over vhost-user",
    "  --socket-group=GROUP  give the socket to GROUP, which may then use it",
    "                        (with --socket-path only)",
    "  --num-request-queues=N",
    "                        request queues offered to the VMM, 1 to 64 (1)",
    "",
    "Caching and file system behaviour:",
    "  --cache=MODE, -o cache=MODE",
    "                        auto (default), always, metadata or never; QEMU's",
    "                        none is never.  Attribute and entry timeout:",
    "                        1 s for auto, 1 day for always and metadata,",
    "                        0 for never",
    "  -o timeout=SECONDS    use this timeout instead",
    "  --allow-mmap          let the guest mmap files with cache=metadata or",
    "                        never (if nothing else changes the directory)",
    "  --writeback, -o writeback|no_writeback",
    "                        the guest's writeback cache (off)",
    "  --allow-direct-io, -o allow_direct_io|no_allow_direct_io",
    "                        honour O_DIRECT from the guest (off)",
    "  --no-readdirplus, -o readdirplus|no_readdirplus",
    "                        READDIRPLUS is on, except with cache=never,",
    "                        unless one of these says otherwise",
    "  --announce-submounts, --no-announce-submounts,",
    "  -o announce_submounts|no_announce_submounts",
    "                        tell the guest which directories are mount points",
    "                        (on)",
    "  --xattr, -o xattr|no_xattr",
    "                        extended attributes (off)",
    "  --xattrmap=RULES, -o xattrmap=RULES",
    "                        map xattr names between guest and host, e.g.",
    "                        :prefix:all::user.virtiofs.: (implies xattr)",
    "  --posix-acl, -o posix_acl|no_posix_acl",
    "                        POSIX ACLs (off; implies xattr)",
    "  --security-label, -o security_label|no_security_label",
    "                        store the security label the guest sends when it",
    "                        creates a file (off; implies xattr)",
    "  --killpriv-v2, --no-killpriv-v2, -o killpriv_v2|no_killpriv_v2",
    "                        FUSE_HANDLE_KILLPRIV_V2 (off)",
    "  -o flock|no_flock     flock() locks (off)",
    "  -o posix_lock|no_posix_lock",
    "                        POSIX record locks (off)",
    "  --preserve-noatime    keep the guest's O_NOATIME (by default it is",
    "                        dropped: it fails on files of other owners)",
    "  --inode-file-handles=MODE",
    "                        hold inodes by file handle instead of O_PATH fd:",
    "                        never (default), prefer or mandatory (these need",
    "                        CAP_DAC_READ_SEARCH)",
    "  --dax=MODE            map file ranges into the device's cache window",
    "                        (DAX): off (default); shmem, with SHMEM_MAP",
    "                        requests (upstream QEMU); fs-cache, with FS_MAP",
    "                        requests (crosvm, the virtio-fs development QEMU)",
    "  --dax-window=SIZE     cache window size, a multiple of 2M (default 2G);",
    "                        with fs-cache, the same as the VMM's cache-size;",
    "                        with shmem, told to the VMM (GET_SHMEM_CONFIG)",
    "  --dax-inode=POLICY    with --dax, for guests mounted dax=inode: which",
    "                        files are mapped: off (default: the mount option",
    "                        decides for all), always (every file), flag",
    "                        (files in DAX state on the host, statx)",
    "",
    "Threads:",
    "  --thread-pool-size=N  worker threads, 0 to 4096 (0, the default: each",
    "                        request queue's thread handles its requests)",
    "  -o max_idle_threads=N idle workers kept (10)",
    "",
    "Sandbox and limits:",
    "  --sandbox=MODE, -o sandbox=MODE",
    "                        namespace (default), chroot or none",
    "  --seccomp=ACTION      on a forbidden system call: kill (default), log,",
    "                        trap, or none (no filter)",
    "  --modcaps=LIST, -o modcaps=LIST",
    "                        capabilities to add or drop, such as",
    "                        +sys_admin:-chown",
    "  --rlimit-nofile=N     RLIMIT_NOFILE (0 leaves it as it is; default",
    "                        min(1000000, fs.nr_open))",
    "  --uid-map=:IN:OUT:N:, --gid-map=:IN:OUT:N:",
    "                        map N host ids from OUT into the sandbox's user",
    "                        namespace at IN (repeatable)",
    "  --translate-uid=TYPE:FROM:TO:N, --translate-gid=TYPE:FROM:TO:N",
    "                        translate ids between guest and host; TYPE is",
    "                        guest, host, squash-guest, squash-host or map; or",
    "                        forbid-guest:FROM:N (repeatable)",
    "  -o allow_root         accepted for QEMU compatibility; no effect",
    "",
    "Migration (accepted; vhostfsd does not migrate yet):",
    "  --migration-mode=MODE find-paths (default) or file-handles",
    "  --migration-on-error=ACTION",
    "                        abort (default) or guest-error",
    "  --migration-verify-handles, --migration-confirm-paths",
    "                        extra checks of the find-paths mode",
    "",
    "Logging and process:",
    "  --log-level=LEVEL, -o log_level=LEVEL, -o loglevel=LEVEL",
    "                        error, warn, info (default), debug, trace or off;",
    "                        QEMU's err is error",
    "  -d, --debug, -o debug the same as --log-level=debug",
    "  --syslog              log to syslog instead of stderr",
    "  -f, --foreground      stay in the foreground (the default)",
    "  --daemonize           run in the background",
    "  --print-capabilities  print the vhost-user.json capabilities and exit",
    "  -h, --help            print this help and exit",
    "  -V, --version         print the version and exit",
    "",
    "-o takes a comma-separated list; a comma in a value is written ,, or \\,",
    "Exit status: 0 on success, 1 on any error.",
};

void vfsd_options_help(FILE *out)
{
    for (size_t i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]); i++) {
        fputs(help_lines[i], out);
        fputc('\n', out);
    }
}

/*
 * The "fs" backend of docs/interop/vhost-user.json.  libvirt reads the
 * features: "separate-options" makes it pass --shared-dir, --cache,
 * --sandbox, --xattr and --log-level instead of one -o list (both work
 * here).  "migrate-precopy", which the Rust daemon prints, tells libvirt
 * the daemon can hand its state to another over SET_DEVICE_STATE_FD;
 * vhostfsd does not migrate yet, so it does not claim it.
 */
void vfsd_print_capabilities(FILE *out)
{
    fputs("{\"type\":\"fs\",\"features\":[\"separate-options\"]}\n", out);
}

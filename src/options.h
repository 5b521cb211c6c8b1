/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * options.h - the command line of vhostfsd.
 *
 * vhostfsd accepts the options of both daemons it replaces, in any mix:
 * QEMU's C virtiofsd (-o source=DIR,cache=none,xattr,..., --socket-path,
 * --fd, -f, -d) and the Rust virtiofsd (--shared-dir, --cache never,
 * --sandbox, --log-level, ...).  Both styles fill one struct vfsd_options;
 * where the two disagree on a spelling both are accepted (cache=none and
 * --cache never mean the same).  When an option is given twice the last one
 * wins, as in both peers.
 *
 * Parsing happens in two steps so that each can be tested on its own:
 *
 *   vfsd_options_parse()    syntax, values, ranges and conflicts between
 *                           options; touches nothing but the arguments
 *                           (and the group and capability name tables);
 *   vfsd_options_validate() what can be checked on the system without
 *                           binding anything: the shared directory exists,
 *                           --fd is an open Unix stream socket, the socket
 *                           path's directory exists and the path is not
 *                           some other kind of file.
 *
 * Whether a socket path has a live listener is found out when the daemon
 * binds it (vhu_listen() fails with EADDRINUSE): probing by connecting
 * would disturb the daemon that owns it.
 *
 * Errors are one line, without the program name, written to the caller's
 * buffer: "unknown option '--foo' (try --help)".
 *
 * Ownership: every string in struct vfsd_options is a copy owned by the
 * struct and freed by vfsd_options_free(); nothing points into argv.  The
 * fd of --fd is not owned: the options only record its number.
 */
#ifndef VHOSTFS_OPTIONS_H
#define VHOSTFS_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* What main() should do once the command line is read. */
enum vfsd_action {
    VFSD_RUN = 0,
    VFSD_HELP,       /* -h, --help */
    VFSD_VERSION,    /* -V, --version */
    VFSD_PRINT_CAPS, /* --print-capabilities */
};

/* --cache (Rust) and -o cache= (QEMU, where "none" is "never"). */
enum vfsd_cache {
    VFSD_CACHE_AUTO = 0,
    VFSD_CACHE_ALWAYS,
    VFSD_CACHE_METADATA,
    VFSD_CACHE_NEVER,
};

enum vfsd_sandbox {
    VFSD_SANDBOX_NAMESPACE = 0,
    VFSD_SANDBOX_CHROOT,
    VFSD_SANDBOX_NONE,
};

/* What a seccomp filter does with a system call it does not allow. */
enum vfsd_seccomp {
    VFSD_SECCOMP_KILL = 0,
    VFSD_SECCOMP_LOG,
    VFSD_SECCOMP_TRAP,
    VFSD_SECCOMP_NONE,
};

/* When inodes are held by file handles instead of O_PATH fds. */
enum vfsd_inode_fh {
    VFSD_INODE_FH_NEVER = 0,
    VFSD_INODE_FH_PREFER,
    VFSD_INODE_FH_MANDATORY,
};

/*
 * How DAX mappings reach the VMM (doc/PROTOCOL.md, "the DAX numbering
 * clash"): SHMEM is the upstream SHMEM_MAP/SHMEM_UNMAP backend requests,
 * FS_CACHE the FS_MAP/FS_UNMAP/FS_SYNC/FS_IO requests of the virtio-fs
 * development branch and crosvm.
 */
enum vfsd_dax {
    VFSD_DAX_OFF = 0,
    VFSD_DAX_SHMEM,
    VFSD_DAX_FS_CACHE,
};

/* --dax-inode: which files get FUSE_ATTR_DAX (guests mounted dax=inode). */
enum vfsd_dax_inode {
    VFSD_DAX_INODE_OFF = 0, /* FUSE_HAS_INODE_DAX not offered */
    VFSD_DAX_INODE_ALWAYS,  /* every regular file */
    VFSD_DAX_INODE_FLAG,    /* files in the host's DAX state (statx) */
};

/* Levels, most severe first; OFF logs nothing. */
enum vfsd_log_level {
    VFSD_LOG_OFF = 0,
    VFSD_LOG_ERROR,
    VFSD_LOG_WARN,
    VFSD_LOG_INFO,
    VFSD_LOG_DEBUG,
    VFSD_LOG_TRACE,
};

enum vfsd_migration_mode {
    VFSD_MIGRATION_FIND_PATHS = 0,
    VFSD_MIGRATION_FILE_HANDLES,
};

enum vfsd_migration_on_error {
    VFSD_MIGRATION_ABORT = 0,
    VFSD_MIGRATION_GUEST_ERROR,
};

/* --uid-map/--gid-map :inside:outside:count: (a user namespace's map). */
struct vfsd_idmap {
    uint32_t inside;
    uint32_t outside;
    uint32_t count;
};

/* --translate-uid/--translate-gid TYPE:FROM:TO:COUNT (done by the daemon). */
enum vfsd_xlate_type {
    VFSD_XLATE_GUEST = 0,    /* guest:GUEST:HOST:COUNT, guest -> host */
    VFSD_XLATE_HOST,         /* host:HOST:GUEST:COUNT, host -> guest */
    VFSD_XLATE_SQUASH_GUEST, /* squash-guest:GUEST:HOST:COUNT, n:1 */
    VFSD_XLATE_SQUASH_HOST,  /* squash-host:HOST:GUEST:COUNT, n:1 */
    VFSD_XLATE_FORBID_GUEST, /* forbid-guest:GUEST:COUNT (to unused) */
    VFSD_XLATE_MAP,          /* map:GUEST:HOST:COUNT, both ways */
};

struct vfsd_xlate {
    enum vfsd_xlate_type type;
    uint32_t from;
    uint32_t to;
    uint32_t count;
};

#define VFSD_MAX_IDMAPS     32      /* entries of each id map list */
#define VFSD_TAG_MAX        36      /* virtio-fs config: char tag[36] */
#define VFSD_MAX_QUEUES     64      /* --num-request-queues */
#define VFSD_MAX_THREADS    4096    /* --thread-pool-size, max_idle_threads */
#define VFSD_MAX_POLL_US    1000000 /* --poll-us */
/* --poll-us by default: adaptive, off on a contended CPU (vfs-queue.c). */
#define VFSD_POLL_US_DEFAULT 50
#define VFSD_DAX_ALIGN      (2ull << 20) /* the guest maps 2 MiB ranges */
#define VFSD_DAX_WINDOW_DFL (2ull << 30) /* 2 GiB when --dax is on */
#define VFSD_DAX_WINDOW_MAX (1ull << 40)
#define VFSD_TIMEOUT_MAX    1e9 /* seconds, for -o timeout= */
#define VFSD_NO_FD          (-1)

struct vfsd_options {
    enum vfsd_action action;

    /* What is shared. */
    char *shared_dir; /* --shared-dir, -o source= */
    char *tag;        /* --tag, or NULL: no CONFIG space tag */
    bool readonly;    /* --readonly */

    /* Where it is served: exactly one of the three. */
    char *socket_path;  /* --socket-path, --socket, -o vhost_user_socket= */
    int fd;             /* --fd, or VFSD_NO_FD; not owned */
    bool fd_listening;  /* set by validate: --fd is a listening socket
                           (libvirt), else an accepted connection */
    char *mount_point;  /* --mount: serve through /dev/fuse there */
    char *socket_group; /* --socket-group, or NULL */
    gid_t socket_gid;   /* its gid, resolved when parsed */
    unsigned int num_request_queues; /* --num-request-queues (1) */

    /* Threads. */
    unsigned int thread_pool_size; /* --thread-pool-size (0: no pool) */
    unsigned int poll_us;          /* --poll-us (0: sleep at once) */
    unsigned int max_idle_threads; /* -o max_idle_threads= (10) */

    /* File system behaviour (resolved: defaults applied, see options.c). */
    enum vfsd_cache cache;
    double timeout;   /* seconds: -o timeout=, or from cache */
    bool timeout_set; /* -o timeout= given */
    bool xattr;       /* implied by posix_acl, security_label,
                         xattrmap */
    char *xattrmap;   /* --xattrmap, -o xattrmap=, or NULL */
    bool posix_acl;
    bool security_label;
    bool killpriv_v2; /* off unless asked for, like both peers */
    bool writeback;
    bool allow_direct_io;
    bool allow_mmap;
    bool announce_submounts; /* on unless --no-announce-submounts */
    bool readdirplus;        /* on unless asked off or cache=never */
    bool flock;              /* -o flock */
    bool posix_lock;         /* -o posix_lock */
    bool preserve_noatime;
    bool allow_root; /* -o allow_root: accepted, no effect */
    enum vfsd_inode_fh inode_file_handles;
    enum vfsd_dax dax;
    uint64_t dax_window; /* bytes; 0 when dax is off */
    enum vfsd_dax_inode dax_inode;

    /* Process: sandbox, limits, logging. */
    enum vfsd_sandbox sandbox;
    enum vfsd_seccomp seccomp;
    char *modcaps;     /* --modcaps, -o modcaps=, or NULL */
    uint64_t caps_add; /* bit n: capability n; from modcaps */
    uint64_t caps_drop;
    uint64_t rlimit_nofile; /* --rlimit-nofile; 0 leaves it unchanged */
    bool rlimit_nofile_set; /* else the daemon picks its default */
    enum vfsd_log_level log_level;
    bool syslog;
    bool daemonize; /* --daemonize; -f and the default: not */

    /* Id mapping. */
    struct vfsd_idmap uid_map[VFSD_MAX_IDMAPS];
    unsigned int n_uid_map;
    struct vfsd_idmap gid_map[VFSD_MAX_IDMAPS];
    unsigned int n_gid_map;
    struct vfsd_xlate translate_uid[VFSD_MAX_IDMAPS];
    unsigned int n_translate_uid;
    struct vfsd_xlate translate_gid[VFSD_MAX_IDMAPS];
    unsigned int n_translate_gid;

    /* Migration (accepted; the daemon does not migrate yet). */
    bool migration_given; /* any --migration-* option */
    enum vfsd_migration_mode migration_mode;
    enum vfsd_migration_on_error migration_on_error;
    bool migration_verify_handles;
    bool migration_confirm_paths;

    /* Private to the parser: what was asked for explicitly (-1: not). */
    int xattr_req_;
    int readdirplus_req_;
    bool dax_window_set_;
};

/**
 * vfsd_options_init() - fill @o with the defaults (those of the Rust
 * virtiofsd, which match QEMU's where both have the option).
 */
void vfsd_options_init(struct vfsd_options *o);

/**
 * vfsd_options_parse() - parse @argc/@argv (argv[0] is the program name)
 * into @o, which it initialises first.
 *
 * Returns 0 with @o->action saying what to do (for VFSD_HELP, VFSD_VERSION
 * and VFSD_PRINT_CAPS the required options are not checked), or -EINVAL
 * (-ENOMEM when a copy fails) with a one-line message in @err (@errlen
 * bytes, always terminated when @errlen > 0).  On
 * error @o may hold copies: call vfsd_options_free() in every case.  Uses
 * getopt_long(), so it is not thread-safe; @argv is not modified.
 */
int vfsd_options_parse(struct vfsd_options *o, int argc, char *const argv[],
                       char *err, size_t errlen);

/**
 * vfsd_options_validate() - the checks of @o against the system (see the
 * top of this file); for VFSD_RUN only.  Sets @o->fd_listening.  Returns 0
 * or a negative errno with a one-line message in @err naming the problem.
 */
int vfsd_options_validate(struct vfsd_options *o, char *err, size_t errlen);

/** vfsd_options_free() - free the strings of @o (safe to call twice). */
void vfsd_options_free(struct vfsd_options *o);

/** vfsd_options_help() - write the --help text to @out. */
void vfsd_options_help(FILE *out);

/**
 * vfsd_print_capabilities() - write the vhost-user.json capabilities that
 * libvirt reads (docs/interop/vhost-user.json, "fs" backends) to @out, as
 * one line of JSON.  Only features the daemon honours are listed.
 */
void vfsd_print_capabilities(FILE *out);

/**
 * vfsd_long_options() - the getopt_long() table, ended by a zero entry
 * (for the tests, which check that --help names every option).
 */
const struct option *vfsd_long_options(void);

/**
 * vfsd_compat_keys() - the keys -o accepts ("source", "cache", "xattr",
 * ...), ended by NULL (for the tests).
 */
const char *const *vfsd_compat_keys(void);

/** vfsd_cache_name() and friends - the canonical spelling of a value. */
const char *vfsd_cache_name(enum vfsd_cache c);
const char *vfsd_sandbox_name(enum vfsd_sandbox s);
const char *vfsd_seccomp_name(enum vfsd_seccomp s);
const char *vfsd_inode_fh_name(enum vfsd_inode_fh m);
const char *vfsd_dax_name(enum vfsd_dax d);
const char *vfsd_log_level_name(enum vfsd_log_level l);

#endif /* VHOSTFS_OPTIONS_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-options.c - vhostfsd's command line: both option styles into one
 * struct, and every way a command line can be wrong.  (--help,
 * --print-capabilities, the checks against the system and the daemon's
 * exit status are in test-options-sys.c.)
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <string.h>

#include "options-test.h"
#include "options.h"

static char err[512];

/* Parse "vhostfsd" followed by the NULL-terminated arguments. */
static int parse(struct vfsd_options *o, ...)
{
    char *argv[64];
    const char *a;
    int argc = 0;
    va_list ap;

    argv[argc++] = (char *)"vhostfsd";
    va_start(ap, o);
    while ((a = va_arg(ap, const char *))) {
        ASSERT(argc < 63);
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;
    memset(err, 'x', sizeof(err) - 1);
    err[sizeof(err) - 1] = '\0';
    return vfsd_options_parse(o, argc, argv, err, sizeof(err));
}
#define PARSE(o, ...) parse(o, __VA_ARGS__, (const char *)NULL)

/* The minimum for VFSD_RUN, in each style. */
#define RUST "--shared-dir=/srv", "--socket-path=/run/s"
#define QEMU "-o", "source=/srv", "--socket-path=/run/s"

/* The parse must fail with exactly @msg. */
#define ASSERT_PARSE_ERR(msg, ...)                                             \
    do {                                                                       \
        struct vfsd_options o_;                                                \
        ASSERT_EQ(PARSE(&o_, __VA_ARGS__), -EINVAL);                           \
        ASSERT_STREQ(err, msg);                                                \
        vfsd_options_free(&o_);                                                \
    } while (0)

/* The parse must fail with a message containing @part. */
#define ASSERT_PARSE_ERR_HAS(part, ...)                                        \
    do {                                                                       \
        struct vfsd_options o_;                                                \
        ASSERT_EQ(PARSE(&o_, __VA_ARGS__), -EINVAL);                           \
        ASSERT_CONTAINS(err, part);                                            \
        ASSERT(!strchr(err, '\n'));                                            \
        vfsd_options_free(&o_);                                                \
    } while (0)

TEST(defaults)
{
    struct vfsd_options o;

    ASSERT_EQ(PARSE(&o, RUST), 0);
    ASSERT_EQ(o.action, VFSD_RUN);
    ASSERT_STREQ(o.shared_dir, "/srv");
    ASSERT_STREQ(o.socket_path, "/run/s");
    ASSERT(!o.tag && !o.mount_point && !o.socket_group && !o.xattrmap);
    ASSERT(!o.modcaps);
    ASSERT_EQ(o.fd, VFSD_NO_FD);
    ASSERT_EQ(o.num_request_queues, 1);
    ASSERT_EQ(o.thread_pool_size, 0);
    ASSERT_EQ(o.poll_us, VFSD_POLL_US_DEFAULT);
    ASSERT_EQ(o.max_idle_threads, 10);
    ASSERT_EQ(o.cache, VFSD_CACHE_AUTO);
    ASSERT(o.timeout == 1.0 && !o.timeout_set);
    ASSERT(!o.xattr && !o.posix_acl && !o.security_label && !o.killpriv_v2);
    ASSERT(!o.writeback && !o.allow_direct_io && !o.allow_mmap);
    ASSERT(o.announce_submounts && o.readdirplus);
    ASSERT(!o.flock && !o.posix_lock && !o.preserve_noatime);
    ASSERT(!o.readonly && !o.allow_root);
    ASSERT_EQ(o.inode_file_handles, VFSD_INODE_FH_NEVER);
    ASSERT_EQ(o.dax, VFSD_DAX_OFF);
    ASSERT_EQ(o.dax_window, 0);
    ASSERT_EQ(o.sandbox, VFSD_SANDBOX_NAMESPACE);
    ASSERT_EQ(o.seccomp, VFSD_SECCOMP_KILL);
    ASSERT(!o.rlimit_nofile_set);
    ASSERT_EQ(o.log_level, VFSD_LOG_INFO);
    ASSERT(!o.syslog && !o.daemonize);
    ASSERT_EQ(o.n_uid_map + o.n_gid_map, 0);
    ASSERT_EQ(o.n_translate_uid + o.n_translate_gid, 0);
    ASSERT(!o.migration_given);
    vfsd_options_free(&o);
    vfsd_options_free(&o); /* twice is safe */
}

/* Every long option of the Rust daemon (and ours), set away from its
 * default. */
TEST(rust_style_every_option)
{
    struct vfsd_options o;

    ASSERT_EQ(
        PARSE(&o, "--shared-dir", "/srv/share", "--tag=myfs", "--readonly",
              "--socket-path=/run/vfs.sock", "--socket-group=root",
              "--num-request-queues=4", "--thread-pool-size", "16",
              "--cache=metadata", "--allow-mmap", "--xattr",
              "--xattrmap=:map::user.vfs.:", "--posix-acl", "--security-label",
              "--killpriv-v2", "--writeback", "--allow-direct-io",
              "--no-readdirplus", "--no-announce-submounts",
              "--preserve-noatime", "--inode-file-handles=mandatory",
              "--dax=shmem", "--dax-window=4G", "--sandbox=chroot",
              "--seccomp=log", "--modcaps=+sys_admin:-chown",
              "--rlimit-nofile=4096", "--poll-us=70", "--log-level=trace",
              "--syslog", "--daemonize", "--uid-map=:0:100000:65536:",
              "--gid-map=:0:200000:10:", "--gid-map=:10:300:1:",
              "--migration-mode=find-paths", "--migration-on-error=guest-error",
              "--migration-verify-handles", "--migration-confirm-paths"),
        0);
    ASSERT_STREQ(o.shared_dir, "/srv/share");
    ASSERT_STREQ(o.tag, "myfs");
    ASSERT(o.readonly);
    ASSERT_STREQ(o.socket_path, "/run/vfs.sock");
    ASSERT_STREQ(o.socket_group, "root");
    ASSERT_EQ(o.socket_gid, 0);
    ASSERT_EQ(o.num_request_queues, 4);
    ASSERT_EQ(o.thread_pool_size, 16);
    ASSERT_EQ(o.poll_us, 70);
    ASSERT_EQ(o.cache, VFSD_CACHE_METADATA);
    ASSERT(o.timeout == 86400.0);
    ASSERT(o.allow_mmap && o.xattr && o.posix_acl && o.security_label);
    ASSERT_STREQ(o.xattrmap, ":map::user.vfs.:");
    ASSERT(o.killpriv_v2 && o.writeback && o.allow_direct_io);
    ASSERT(!o.readdirplus && !o.announce_submounts && o.preserve_noatime);
    ASSERT_EQ(o.inode_file_handles, VFSD_INODE_FH_MANDATORY);
    ASSERT_EQ(o.dax, VFSD_DAX_SHMEM);
    ASSERT_EQ(o.dax_window, 4ull << 30);
    ASSERT_EQ(o.sandbox, VFSD_SANDBOX_CHROOT);
    ASSERT_EQ(o.seccomp, VFSD_SECCOMP_LOG);
    ASSERT_STREQ(o.modcaps, "+sys_admin:-chown");
    ASSERT_EQ(o.caps_add, 1ull << CAP_SYS_ADMIN);
    ASSERT_EQ(o.caps_drop, 1ull << CAP_CHOWN);
    ASSERT(o.rlimit_nofile_set);
    ASSERT_EQ(o.rlimit_nofile, 4096);
    ASSERT_EQ(o.log_level, VFSD_LOG_TRACE);
    ASSERT(o.syslog && o.daemonize);
    ASSERT_EQ(o.n_uid_map, 1);
    ASSERT_EQ(o.uid_map[0].inside, 0);
    ASSERT_EQ(o.uid_map[0].outside, 100000);
    ASSERT_EQ(o.uid_map[0].count, 65536);
    ASSERT_EQ(o.n_gid_map, 2);
    ASSERT_EQ(o.gid_map[1].inside, 10);
    ASSERT_EQ(o.gid_map[1].outside, 300);
    ASSERT_EQ(o.gid_map[1].count, 1);
    ASSERT(o.migration_given);
    ASSERT_EQ(o.migration_mode, VFSD_MIGRATION_FIND_PATHS);
    ASSERT_EQ(o.migration_on_error, VFSD_MIGRATION_GUEST_ERROR);
    ASSERT(o.migration_verify_handles && o.migration_confirm_paths);
    vfsd_options_free(&o);

    /* The rest: --fd, --mount, --socket, -f/-d, translations. */
    ASSERT_EQ(
        PARSE(&o, "--shared-dir=/srv", "--fd=7", "--debug", "--foreground",
              "--translate-uid=guest:0:1000:10",
              "--translate-uid=host:1000:0:10",
              "--translate-gid=squash-guest:0:100:65536",
              "--translate-gid=squash-host:0:100:10",
              "--translate-gid=forbid-guest:500:5", "--translate-gid=map:1:2:3",
              "--announce-submounts", "--no-killpriv-v2", "--seccomp=trap",
              "--inode-file-handles=prefer", "--dax=fs-cache",
              "--migration-mode=file-handles", "--migration-on-error=abort"),
        0);
    ASSERT_EQ(o.fd, 7);
    ASSERT_EQ(o.log_level, VFSD_LOG_DEBUG);
    ASSERT(!o.daemonize && o.announce_submounts && !o.killpriv_v2);
    ASSERT_EQ(o.seccomp, VFSD_SECCOMP_TRAP);
    ASSERT_EQ(o.inode_file_handles, VFSD_INODE_FH_PREFER);
    ASSERT_EQ(o.dax, VFSD_DAX_FS_CACHE);
    ASSERT_EQ(o.dax_window, VFSD_DAX_WINDOW_DFL);
    ASSERT_EQ(o.migration_mode, VFSD_MIGRATION_FILE_HANDLES);
    ASSERT_EQ(o.migration_on_error, VFSD_MIGRATION_ABORT);
    ASSERT_EQ(o.n_translate_uid, 2);
    ASSERT_EQ(o.translate_uid[0].type, VFSD_XLATE_GUEST);
    ASSERT_EQ(o.translate_uid[0].from, 0);
    ASSERT_EQ(o.translate_uid[0].to, 1000);
    ASSERT_EQ(o.translate_uid[0].count, 10);
    ASSERT_EQ(o.translate_uid[1].type, VFSD_XLATE_HOST);
    ASSERT_EQ(o.n_translate_gid, 4);
    ASSERT_EQ(o.translate_gid[0].type, VFSD_XLATE_SQUASH_GUEST);
    ASSERT_EQ(o.translate_gid[1].type, VFSD_XLATE_SQUASH_HOST);
    ASSERT_EQ(o.translate_gid[2].type, VFSD_XLATE_FORBID_GUEST);
    ASSERT_EQ(o.translate_gid[2].from, 500);
    ASSERT_EQ(o.translate_gid[2].count, 5);
    ASSERT_EQ(o.translate_gid[3].type, VFSD_XLATE_MAP);
    ASSERT_EQ(o.translate_gid[3].to, 2);
    vfsd_options_free(&o);

    ASSERT_EQ(PARSE(&o, "--shared-dir=/srv", "--mount", "/mnt/x", "-d", "-f",
                    "--sandbox", "none", "--seccomp=none", "--log-level=warn"),
              0);
    ASSERT_STREQ(o.mount_point, "/mnt/x");
    ASSERT_EQ(o.sandbox, VFSD_SANDBOX_NONE);
    ASSERT_EQ(o.seccomp, VFSD_SECCOMP_NONE);
    ASSERT_EQ(o.log_level, VFSD_LOG_WARN);
    vfsd_options_free(&o);

    ASSERT_EQ(PARSE(&o, "--shared-dir=/srv", "--socket=/run/old"), 0);
    ASSERT_STREQ(o.socket_path, "/run/old");
    vfsd_options_free(&o);
    ASSERT_NO_LEAKS();
}

/* Every -o key of QEMU's virtiofsd (and the Rust daemon's compat ones). */
TEST(qemu_style_every_key)
{
    struct vfsd_options o;

    ASSERT_EQ(PARSE(&o, "-o",
                    "source=/srv/q,cache=always,xattr,flock,posix_lock,"
                    "sandbox=chroot,xattrmap=:ok::x.:,modcaps=-mknod,"
                    "announce_submounts,writeback,allow_direct_io,posix_acl,"
                    "security_label,killpriv_v2,timeout=2.5,readdirplus,"
                    "log_level=debug,max_idle_threads=3,allow_root",
                    "--socket-path=/run/q", "--thread-pool-size=2"),
              0);
    ASSERT_STREQ(o.shared_dir, "/srv/q");
    ASSERT_EQ(o.cache, VFSD_CACHE_ALWAYS);
    ASSERT(o.xattr && o.flock && o.posix_lock);
    ASSERT_EQ(o.sandbox, VFSD_SANDBOX_CHROOT);
    ASSERT_STREQ(o.xattrmap, ":ok::x.:");
    ASSERT_STREQ(o.modcaps, "-mknod");
    ASSERT_EQ(o.caps_drop, 1ull << CAP_MKNOD);
    ASSERT(o.announce_submounts && o.writeback && o.allow_direct_io);
    ASSERT(o.posix_acl && o.security_label && o.killpriv_v2);
    ASSERT(o.timeout_set && o.timeout == 2.5);
    ASSERT(o.readdirplus && o.allow_root);
    ASSERT_EQ(o.log_level, VFSD_LOG_DEBUG);
    ASSERT_EQ(o.max_idle_threads, 3);
    ASSERT_EQ(o.thread_pool_size, 2);
    vfsd_options_free(&o);

    /* The negations, in a second -o (lists accumulate). */
    ASSERT_EQ(PARSE(&o, "-o", "source=/srv/q,xattr,flock,posix_lock", "-o",
                    "no_xattr,no_flock,no_posix_lock,no_writeback,"
                    "no_allow_direct_io,no_posix_acl,no_security_label,"
                    "no_killpriv_v2,no_readdirplus,no_announce_submounts,"
                    "sandbox=namespace,log_level=err,debug",
                    "--socket-path=/run/q"),
              0);
    ASSERT(!o.xattr && !o.flock && !o.posix_lock && !o.writeback);
    ASSERT(!o.allow_direct_io && !o.posix_acl && !o.security_label);
    ASSERT(!o.killpriv_v2 && !o.readdirplus && !o.announce_submounts);
    ASSERT_EQ(o.sandbox, VFSD_SANDBOX_NAMESPACE);
    ASSERT_EQ(o.log_level, VFSD_LOG_DEBUG); /* debug came after log_level */
    vfsd_options_free(&o);

    /* -o attached to its list; the old socket key; Rust's loglevel. */
    ASSERT_EQ(PARSE(&o, "-osource=/a,vhost_user_socket=/run/v,loglevel=warn"),
              0);
    ASSERT_STREQ(o.shared_dir, "/a");
    ASSERT_STREQ(o.socket_path, "/run/v");
    ASSERT_EQ(o.log_level, VFSD_LOG_WARN);
    vfsd_options_free(&o);
    ASSERT_NO_LEAKS();
}

/* QEMU's cache=none is Rust's never, with the same consequences. */
TEST(cache_modes_and_their_defaults)
{
    static const struct {
        const char *arg;
        enum vfsd_cache cache;
        double timeout;
        bool readdirplus;
    } cases[] = {
        {"--cache=auto", VFSD_CACHE_AUTO, 1.0, true},
        {"--cache=always", VFSD_CACHE_ALWAYS, 86400.0, true},
        {"--cache=metadata", VFSD_CACHE_METADATA, 86400.0, true},
        {"--cache=never", VFSD_CACHE_NEVER, 0.0, false},
        {"--cache=none", VFSD_CACHE_NEVER, 0.0, false},
    };
    struct vfsd_options o;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ASSERT_EQ(PARSE(&o, RUST, cases[i].arg), 0);
        ASSERT_EQ(o.cache, cases[i].cache);
        ASSERT(o.timeout == cases[i].timeout);
        ASSERT_EQ(o.readdirplus, cases[i].readdirplus);
        vfsd_options_free(&o);
    }
    ASSERT_EQ(PARSE(&o, "-o", "source=/s,cache=none", "--fd=3"), 0);
    ASSERT_EQ(o.cache, VFSD_CACHE_NEVER);
    ASSERT(!o.readdirplus);
    vfsd_options_free(&o);
    /* An explicit readdirplus wins over cache=none (QEMU). */
    ASSERT_EQ(PARSE(&o, "-o", "source=/s,cache=none,readdirplus", "--fd=3"), 0);
    ASSERT(o.readdirplus);
    vfsd_options_free(&o);
    /* An explicit timeout wins over the cache mode's. */
    ASSERT_EQ(PARSE(&o, "-o", "timeout=0", QEMU, "--cache=always"), 0);
    ASSERT(o.timeout_set && o.timeout == 0.0);
    vfsd_options_free(&o);
}

TEST(last_one_wins)
{
    struct vfsd_options o;

    ASSERT_EQ(PARSE(&o, RUST, "--cache=always", "-o", "cache=auto", "--cache",
                    "never", "--daemonize", "-f", "--xattr", "-o", "no_xattr",
                    "--shared-dir=/other", "--tag=a", "--tag=b",
                    "--log-level=error", "-d", "--thread-pool-size=1",
                    "--thread-pool-size=2", "--modcaps=+chown",
                    "--modcaps=-chown"),
              0);
    ASSERT_EQ(o.cache, VFSD_CACHE_NEVER);
    ASSERT(!o.daemonize && !o.xattr);
    ASSERT_STREQ(o.shared_dir, "/other");
    ASSERT_STREQ(o.tag, "b");
    ASSERT_EQ(o.log_level, VFSD_LOG_DEBUG);
    ASSERT_EQ(o.thread_pool_size, 2);
    ASSERT_EQ(o.caps_add, 0);
    ASSERT_EQ(o.caps_drop, 1ull << CAP_CHOWN);
    vfsd_options_free(&o);

    ASSERT_EQ(PARSE(&o, RUST, "-f", "--daemonize"), 0);
    ASSERT(o.daemonize);
    vfsd_options_free(&o);
    ASSERT_NO_LEAKS();
}

TEST(compat_list_commas)
{
    struct vfsd_options o;

    /* libvirt doubles a comma in a path; libfuse escapes it. */
    ASSERT_EQ(PARSE(&o, "-o", "source=/a,,b,xattr", "--fd=3"), 0);
    ASSERT_STREQ(o.shared_dir, "/a,b");
    ASSERT(o.xattr);
    vfsd_options_free(&o);
    ASSERT_EQ(PARSE(&o, "-o", "source=/a\\,b", "--fd=3"), 0);
    ASSERT_STREQ(o.shared_dir, "/a,b");
    vfsd_options_free(&o);
    /* A trailing comma is harmless; an empty value is not. */
    ASSERT_EQ(PARSE(&o, "-o", "source=/a,", "--fd=3"), 0);
    vfsd_options_free(&o);
    ASSERT_PARSE_ERR("empty value for -o source", "-o", "source=", "--fd=3");
    ASSERT_PARSE_ERR("empty value for --shared-dir", "--shared-dir=", "--fd=3");
    ASSERT_NO_LEAKS();
}

TEST(unknown_options)
{
    ASSERT_PARSE_ERR("unknown option '--foo' (try --help)", RUST, "--foo");
    ASSERT_PARSE_ERR("unknown option '--foo' (try --help)", RUST, "--foo=bar");
    ASSERT_PARSE_ERR("unknown option '-x' (try --help)", RUST, "-x");
    ASSERT_PARSE_ERR("unknown option '-x' (try --help)", RUST, "-fx");
    ASSERT_PARSE_ERR("unknown option '-o foo' (try --help)", "-o",
                     "source=/s,foo", "--fd=3");
    ASSERT_PARSE_ERR("unknown option '-o foo' (try --help)", "-o", "foo=1",
                     "--fd=3");
    /* getopt_long's abbreviations are refused, ambiguous or not. */
    ASSERT_PARSE_ERR("unknown option '--shared' (try --help)", "--shared=/srv",
                     "--fd=3");
    ASSERT_PARSE_ERR("unknown option '--no' (try --help)", RUST, "--no");
    ASSERT_PARSE_ERR("unexpected argument 'extra' (try --help)", RUST, "extra");
    ASSERT_PARSE_ERR("unexpected argument 'x' (try --help)", RUST, "--", "x");
    ASSERT_NO_LEAKS();
}

TEST(values_missing_or_unwanted)
{
    ASSERT_PARSE_ERR("option '--cache' needs a value", RUST, "--cache");
    ASSERT_PARSE_ERR("option '-o' needs a value", RUST, "-o");
    ASSERT_PARSE_ERR("option '-o cache' needs a value (-o cache=...)", "-o",
                     "cache", "--fd=3");
    ASSERT_PARSE_ERR("option '--xattr' takes no value", RUST, "--xattr=yes");
    ASSERT_PARSE_ERR("option '-o xattr' takes no value", "-o", "xattr=1",
                     "--fd=3");
    ASSERT_NO_LEAKS();
}

TEST(bad_enum_values)
{
    ASSERT_PARSE_ERR("invalid value 'bogus' for --cache (expected auto, "
                     "always, metadata, never or none)",
                     RUST, "--cache=bogus");
    ASSERT_PARSE_ERR_HAS("'x' for -o cache", RUST, "-o", "cache=x");
    ASSERT_PARSE_ERR_HAS("'x' for --sandbox", RUST, "--sandbox=x");
    ASSERT_PARSE_ERR_HAS("'x' for -o sandbox", RUST, "-o", "sandbox=x");
    ASSERT_PARSE_ERR_HAS("'x' for --seccomp", RUST, "--seccomp=x");
    ASSERT_PARSE_ERR_HAS("'x' for --inode-file-handles", RUST,
                         "--inode-file-handles=x");
    ASSERT_PARSE_ERR_HAS("'x' for --dax", RUST, "--dax=x");
    ASSERT_PARSE_ERR_HAS("'x' for --log-level", RUST, "--log-level=x");
    ASSERT_PARSE_ERR_HAS("'x' for -o log_level", RUST, "-o", "log_level=x");
    ASSERT_PARSE_ERR_HAS("'x' for --migration-mode", RUST,
                         "--migration-mode=x");
    ASSERT_PARSE_ERR_HAS("'x' for --migration-on-error", RUST,
                         "--migration-on-error=x");
    /* Case matters, as in both peers. */
    ASSERT_PARSE_ERR_HAS("'Never' for --cache", RUST, "--cache=Never");
    ASSERT_NO_LEAKS();
}

TEST(bad_numbers)
{
    static const char *const bad[] = {
        "",   "-1",   "+1",   " 1",  "1 ",
        "1x", "0x10", "4097", "1e3", "99999999999999999999999"};
    struct vfsd_options o;
    char arg[64];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(arg, sizeof(arg), "--thread-pool-size=%s", bad[i]);
        ASSERT_PARSE_ERR_HAS("for --thread-pool-size (expected a number "
                             "from 0 to 4096)",
                             RUST, arg);
    }
    ASSERT_PARSE_ERR_HAS("'0' for --num-request-queues", RUST,
                         "--num-request-queues=0");
    ASSERT_PARSE_ERR_HAS("'65' for --num-request-queues", RUST,
                         "--num-request-queues=65");
    ASSERT_PARSE_ERR_HAS("'-1' for --fd", "--shared-dir=/s", "--fd=-1");
    ASSERT_PARSE_ERR_HAS("'2147483648' for --fd", "--shared-dir=/s",
                         "--fd=2147483648");
    ASSERT_PARSE_ERR_HAS("'18446744073709551616' for --rlimit-nofile", RUST,
                         "--rlimit-nofile=18446744073709551616");
    ASSERT_PARSE_ERR_HAS("'x' for -o max_idle_threads", RUST, "-o",
                         "max_idle_threads=x");
    ASSERT_PARSE_ERR_HAS("'5000' for -o max_idle_threads", RUST, "-o",
                         "max_idle_threads=5000");
    static const char *const bad_timeouts[] = {"x",    "-1", "nan", "inf",
                                               "1e10", "1s", ""};
    for (size_t i = 0; i < sizeof(bad_timeouts) / sizeof(bad_timeouts[0]);
         i++) {
        snprintf(arg, sizeof(arg), "timeout=%s", bad_timeouts[i]);
        ASSERT_PARSE_ERR_HAS("for -o timeout (expected seconds", RUST, "-o",
                             arg);
    }

    /* The edges that are fine. */
    ASSERT_EQ(PARSE(&o, RUST, "--thread-pool-size=4096",
                    "--num-request-queues=64", "--rlimit-nofile=0", "-o",
                    "timeout=.5,max_idle_threads=0"),
              0);
    ASSERT_EQ(o.thread_pool_size, 4096);
    ASSERT_EQ(o.num_request_queues, 64);
    ASSERT(o.rlimit_nofile_set && o.rlimit_nofile == 0);
    ASSERT(o.timeout == 0.5);
    ASSERT_EQ(o.max_idle_threads, 0);
    vfsd_options_free(&o);
    ASSERT_EQ(PARSE(&o, "--shared-dir=/s", "--fd=0"), 0);
    ASSERT_EQ(o.fd, 0);
    vfsd_options_free(&o);
    ASSERT_NO_LEAKS();
}

TEST(dax_window_sizes)
{
    static const struct {
        const char *arg;
        uint64_t bytes;
    } good[] = {
        {"--dax-window=2M", 2ull << 20},
        {"--dax-window=2m", 2ull << 20},
        {"--dax-window=2048K", 2ull << 20},
        {"--dax-window=8G", 8ull << 30},
        {"--dax-window=1T", 1ull << 40},
        {"--dax-window=4194304", 4ull << 20},
    };
    static const char *const bad[] = {
        "--dax-window=0",    "--dax-window=3M",  "--dax-window=1M",
        "--dax-window=2T",   "--dax-window=2X",  "--dax-window=2MB",
        "--dax-window=M",    "--dax-window=-2M", "--dax-window=99999999999T",
        "--dax-window=1000",
    };
    struct vfsd_options o;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ASSERT_EQ(PARSE(&o, RUST, "--dax=shmem", good[i].arg), 0);
        ASSERT_EQ(o.dax_window, good[i].bytes);
        vfsd_options_free(&o);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ASSERT_PARSE_ERR_HAS("for --dax-window", RUST, "--dax=fs-cache",
                             bad[i]);
    }
    ASSERT_PARSE_ERR("--dax-window needs --dax=shmem or --dax=fs-cache", RUST,
                     "--dax-window=2G");
    ASSERT_PARSE_ERR("--dax-window needs --dax=shmem or --dax=fs-cache", RUST,
                     "--dax=shmem", "--dax-window=2G", "--dax=off");
    ASSERT_NO_LEAKS();
}

TEST(dax_inode_policy)
{
    struct vfsd_options o;

    ASSERT_EQ(PARSE(&o, RUST, "--dax=shmem"), 0);
    ASSERT_EQ(o.dax_inode, VFSD_DAX_INODE_OFF);
    vfsd_options_free(&o);
    ASSERT_EQ(PARSE(&o, RUST, "--dax=fs-cache", "--dax-inode=always"), 0);
    ASSERT_EQ(o.dax_inode, VFSD_DAX_INODE_ALWAYS);
    vfsd_options_free(&o);
    ASSERT_EQ(PARSE(&o, RUST, "--dax=shmem", "--dax-inode=flag"), 0);
    ASSERT_EQ(o.dax_inode, VFSD_DAX_INODE_FLAG);
    vfsd_options_free(&o);
    ASSERT_PARSE_ERR_HAS("'x' for --dax-inode", RUST, "--dax=shmem",
                         "--dax-inode=x");
    ASSERT_PARSE_ERR("--dax-inode needs --dax=shmem or --dax=fs-cache", RUST,
                     "--dax-inode=always");
    ASSERT_NO_LEAKS();
}

TEST(id_maps)
{
    static const char *const bad[] = {
        "0:1:2",
        ":0:1:2",
        "0:1:2:",
        ":0:1:",
        ":0:1:2:3:",
        ":0:1:0:",
        ":a:1:2:",
        "::1:2:",
        ":-1:1:2:",
        ":0:1: 2:",
        ":",
        ":4294967295:0:2:",
        ":0:4294967296:1:",
    };
    struct vfsd_options o;
    char arg[64];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(arg, sizeof(arg), "--uid-map=%s", bad[i]);
        ASSERT_PARSE_ERR_HAS(
            "for --uid-map (expected :INSIDE:OUTSIDE:COUNT:", RUST, arg);
    }
    ASSERT_EQ(PARSE(&o, RUST, "--uid-map=:4294967295:0:1:"), 0);
    ASSERT_EQ(o.uid_map[0].inside, 4294967295u);
    vfsd_options_free(&o);

    /* A list has room for VFSD_MAX_IDMAPS entries, and says so. */
    {
        char *argv[VFSD_MAX_IDMAPS + 4];
        char bufs[VFSD_MAX_IDMAPS + 1][32];
        int argc = 0;

        argv[argc++] = (char *)"vhostfsd";
        argv[argc++] = (char *)"--shared-dir=/s";
        argv[argc++] = (char *)"--fd=3";
        for (int i = 0; i <= VFSD_MAX_IDMAPS; i++) {
            snprintf(bufs[i], sizeof(bufs[i]), "--gid-map=:%d:%d:1:", i,
                     1000 + i);
            argv[argc++] = bufs[i];
        }
        ASSERT_EQ(vfsd_options_parse(&o, argc - 1, argv, err, sizeof(err)), 0);
        ASSERT_EQ(o.n_gid_map, VFSD_MAX_IDMAPS);
        ASSERT_EQ(o.gid_map[VFSD_MAX_IDMAPS - 1].outside,
                  1000 + VFSD_MAX_IDMAPS - 1);
        vfsd_options_free(&o);
        ASSERT_EQ(vfsd_options_parse(&o, argc, argv, err, sizeof(err)),
                  -EINVAL);
        ASSERT_STREQ(err, "too many --gid-map options (at most 32)");
        vfsd_options_free(&o);
    }
    ASSERT_NO_LEAKS();
}

TEST(translations)
{
    static const char *const bad[] = {
        "guest:0:1",          "guest:0:1:2:3", "forbid-guest:0:1:2",
        "bogus:0:1:2",        "guest",         "guest:",
        "Guest:0:1:2",        "guest:0:1:0",   "guest:x:1:2",
        "map:4294967295:0:2",
    };
    struct vfsd_options o;
    char arg[64];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(arg, sizeof(arg), "--translate-gid=%s", bad[i]);
        ASSERT_PARSE_ERR_HAS("for --translate-gid (expected TYPE:FROM:TO:COUNT",
                             RUST, arg);
    }
    /* Squashing many ids onto one needs no room after the target. */
    ASSERT_EQ(PARSE(&o, RUST, "--translate-uid=squash-guest:0:4294967295:10"),
              0);
    ASSERT_EQ(o.translate_uid[0].to, 4294967295u);
    vfsd_options_free(&o);
    /* The Rust daemon refuses id translation with posix ACLs. */
    ASSERT_PARSE_ERR("--translate-uid and --translate-gid cannot be used with "
                     "posix ACLs",
                     RUST, "--translate-uid=guest:0:1:1", "--posix-acl");
    ASSERT_PARSE_ERR_HAS("cannot be used with posix ACLs", RUST, "-o",
                         "posix_acl", "--translate-gid=map:0:1:1");
    ASSERT_NO_LEAKS();
}

TEST(modcaps)
{
    struct vfsd_options o;

    ASSERT_EQ(PARSE(&o, RUST, "--modcaps=+CAP_SYS_ADMIN:-cap_chown:+Fowner"),
              0);
    ASSERT_EQ(o.caps_add, (1ull << CAP_SYS_ADMIN) | (1ull << CAP_FOWNER));
    ASSERT_EQ(o.caps_drop, 1ull << CAP_CHOWN);
    vfsd_options_free(&o);
    ASSERT_PARSE_ERR("unknown capability 'bogus' in --modcaps", RUST,
                     "--modcaps=+bogus");
    ASSERT_PARSE_ERR("unknown capability '' in -o modcaps", RUST, "-o",
                     "modcaps=+");
    ASSERT_PARSE_ERR_HAS("'chown' does not start with + or -", RUST,
                         "--modcaps=chown");
    ASSERT_PARSE_ERR_HAS("'' does not start with + or -", RUST,
                         "--modcaps=+chown::-mknod");
    /* File handles need CAP_DAC_READ_SEARCH (as in the Rust daemon). */
    ASSERT_PARSE_ERR("--inode-file-handles=prefer needs CAP_DAC_READ_SEARCH, "
                     "which --modcaps drops",
                     RUST, "--inode-file-handles=fallback",
                     "--modcaps=-dac_read_search");
    ASSERT_EQ(PARSE(&o, RUST, "--modcaps=-dac_read_search"), 0);
    vfsd_options_free(&o);
    ASSERT_NO_LEAKS();
}

TEST(socket_group)
{
    struct vfsd_options o;

    ASSERT_EQ(PARSE(&o, RUST, "--socket-group=root"), 0);
    ASSERT_EQ(o.socket_gid, 0);
    vfsd_options_free(&o);
    ASSERT_EQ(PARSE(&o, RUST, "--socket-group=54321"), 0);
    ASSERT_EQ(o.socket_gid, 54321);
    vfsd_options_free(&o);
    ASSERT_PARSE_ERR("unknown group 'no-such-group-here' for --socket-group",
                     RUST, "--socket-group=no-such-group-here");
    ASSERT_PARSE_ERR("--socket-group needs --socket-path", "--shared-dir=/s",
                     "--fd=3", "--socket-group=root");
    ASSERT_PARSE_ERR("--socket-group needs --socket-path", "--shared-dir=/s",
                     "--mount=/m", "--socket-group=root");
    ASSERT_NO_LEAKS();
}

TEST(required_and_exclusive)
{
    struct vfsd_options o;

    ASSERT_PARSE_ERR("no shared directory: give --shared-dir=DIR or "
                     "-o source=DIR",
                     "--socket-path=/s");
    ASSERT_PARSE_ERR("nowhere to serve: give --socket-path=PATH, --fd=FD or "
                     "--mount=DIR",
                     "--shared-dir=/s");
    ASSERT_PARSE_ERR("--socket-path and --fd cannot be used together", RUST,
                     "--fd=3");
    ASSERT_PARSE_ERR("--socket-path and --mount cannot be used together", RUST,
                     "--mount=/m");
    ASSERT_PARSE_ERR("--fd and --mount cannot be used together",
                     "--shared-dir=/s", "--fd=3", "--mount=/m");
    ASSERT_PARSE_ERR_HAS("cannot be used together", RUST, "--fd=3",
                         "--mount=/m");
    ASSERT_PARSE_ERR("tag '0123456789012345678901234567890123456' is too "
                     "long (at most 36 bytes)",
                     RUST, "--tag=0123456789012345678901234567890123456");
    ASSERT_PARSE_ERR("empty value for --tag", RUST, "--tag=");
    ASSERT_EQ(PARSE(&o, RUST, "--tag=012345678901234567890123456789012345"), 0);
    vfsd_options_free(&o);
    ASSERT_NO_LEAKS();
}

TEST(xattr_implied_and_conflicts)
{
    static const char *const implying[] = {"--posix-acl", "--security-label",
                                           "--xattrmap=:ok::a.:"};
    struct vfsd_options o;

    for (size_t i = 0; i < sizeof(implying) / sizeof(implying[0]); i++) {
        ASSERT_EQ(PARSE(&o, RUST, implying[i]), 0);
        ASSERT(o.xattr);
        vfsd_options_free(&o);
        ASSERT_PARSE_ERR_HAS("which no_xattr turns off", QEMU, implying[i],
                             "-o", "no_xattr");
    }
    ASSERT_PARSE_ERR("posix ACLs need extended attributes, which no_xattr "
                     "turns off",
                     "-o", "source=/s,posix_acl,no_xattr", "--fd=3");
    ASSERT_NO_LEAKS();
}

TEST(migration_checks)
{
    ASSERT_PARSE_ERR("--migration-verify-handles only works with "
                     "--migration-mode=find-paths",
                     RUST, "--migration-mode=file-handles",
                     "--migration-verify-handles");
    ASSERT_PARSE_ERR("--migration-confirm-paths only works with "
                     "--migration-mode=find-paths",
                     RUST, "--migration-confirm-paths",
                     "--migration-mode=file-handles");
}

TEST(actions)
{
    struct vfsd_options o;

    /* --help and --version need nothing else and stop the parse. */
    ASSERT_EQ(PARSE(&o, "--help", "--foo"), 0);
    ASSERT_EQ(o.action, VFSD_HELP);
    vfsd_options_free(&o);
    ASSERT_EQ(PARSE(&o, "-h"), 0);
    ASSERT_EQ(o.action, VFSD_HELP);
    vfsd_options_free(&o);
    ASSERT_EQ(PARSE(&o, "-V"), 0);
    ASSERT_EQ(o.action, VFSD_VERSION);
    vfsd_options_free(&o);
    ASSERT_EQ(PARSE(&o, "--version"), 0);
    ASSERT_EQ(o.action, VFSD_VERSION);
    vfsd_options_free(&o);
    /* libvirt runs --print-capabilities alone; options around it must
     * still be valid ones. */
    ASSERT_EQ(PARSE(&o, "--print-capabilities"), 0);
    ASSERT_EQ(o.action, VFSD_PRINT_CAPS);
    vfsd_options_free(&o);
    ASSERT_EQ(PARSE(&o, "--print-capabilities", "--cache=never"), 0);
    ASSERT_EQ(o.action, VFSD_PRINT_CAPS);
    vfsd_options_free(&o);
    ASSERT_PARSE_ERR("unknown option '--bogus' (try --help)",
                     "--print-capabilities", "--bogus");
    /* Nothing at all is a missing directory, not a crash. */
    {
        char *argv[] = {(char *)"vhostfsd", NULL};

        ASSERT_EQ(vfsd_options_parse(&o, 1, argv, err, sizeof(err)), -EINVAL);
        ASSERT_CONTAINS(err, "no shared directory");
        vfsd_options_free(&o);
    }
    ASSERT_NO_LEAKS();
}

TEST(error_buffer_bounds)
{
    char small[8], none[1] = {'z'};
    char *argv[] = {(char *)"vhostfsd", (char *)"--a-very-long-bogus-option",
                    NULL};
    struct vfsd_options o;

    memset(small, 'x', sizeof(small));
    ASSERT_EQ(vfsd_options_parse(&o, 2, argv, small, sizeof(small)), -EINVAL);
    ASSERT_EQ(strlen(small), sizeof(small) - 1);
    ASSERT(!strncmp(small, "unknown", 7));
    vfsd_options_free(&o);
    ASSERT_EQ(vfsd_options_parse(&o, 2, argv, none, 0), -EINVAL);
    ASSERT_EQ(none[0], 'z');
    vfsd_options_free(&o);
}

TEST(parse_again_in_one_process)
{
    struct vfsd_options o;

    /* getopt's state is reset on each call. */
    ASSERT_PARSE_ERR("unknown option '-x' (try --help)", RUST, "-fx");
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(PARSE(&o, RUST, "-f", "--cache=never"), 0);
        ASSERT_EQ(o.cache, VFSD_CACHE_NEVER);
        vfsd_options_free(&o);
    }
}

TEST_MAIN(T(defaults), T(rust_style_every_option), T(qemu_style_every_key),
          T(cache_modes_and_their_defaults), T(last_one_wins),
          T(compat_list_commas), T(unknown_options),
          T(values_missing_or_unwanted), T(bad_enum_values), T(bad_numbers),
          T(dax_window_sizes), T(id_maps), T(translations), T(modcaps),
          T(socket_group), T(required_and_exclusive),
          T(xattr_implied_and_conflicts), T(migration_checks), T(actions),
          T(error_buffer_bounds), T(parse_again_in_one_process),
          T(dax_inode_policy))

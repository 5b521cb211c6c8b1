/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test-options.c - vhostfsd's command line: both option styles into one
 * struct, every error path, --help and --print-capabilities, and the
 * daemon's exit status and one-line errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "options.h"
#include "test.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
/* The harness ends a passing case with _exit(): look for leaks here. */
#define ASSERT_NO_LEAKS() ASSERT_EQ(__lsan_do_recoverable_leak_check(), 0)
#else
#define ASSERT_NO_LEAKS() ((void)0)
#endif

#define ASSERT_STREQ(a, b)                                                     \
    do {                                                                       \
        const char *sa_ = (a), *sb_ = (b);                                     \
        if (!sa_ || !sb_ || strcmp(sa_, sb_)) {                                \
            test_fail(__FILE__, __LINE__, "%s == %s: '%s' vs '%s'", #a, #b,    \
                      sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");             \
        }                                                                      \
    } while (0)

#define ASSERT_CONTAINS(hay, needle)                                           \
    do {                                                                       \
        const char *h_ = (hay), *n_ = (needle);                                \
        if (!h_ || !strstr(h_, n_)) {                                          \
            test_fail(__FILE__, __LINE__, "'%s' does not contain '%s'",        \
                      h_ ? h_ : "(null)", n_);                                 \
        }                                                                      \
    } while (0)

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

    ASSERT_EQ(PARSE(&o, "--shared-dir", "/srv/share", "--tag=myfs",
                    "--readonly", "--socket-path=/run/vfs.sock",
                    "--socket-group=root", "--num-request-queues=4",
                    "--thread-pool-size", "16", "--cache=metadata",
                    "--allow-mmap", "--xattr", "--xattrmap=:map::user.vfs.:",
                    "--posix-acl", "--security-label", "--killpriv-v2",
                    "--writeback", "--allow-direct-io", "--no-readdirplus",
                    "--no-announce-submounts", "--preserve-noatime",
                    "--inode-file-handles=mandatory", "--dax=shmem",
                    "--dax-window=4G", "--sandbox=chroot", "--seccomp=log",
                    "--modcaps=+sys_admin:-chown", "--rlimit-nofile=4096",
                    "--log-level=trace", "--syslog", "--daemonize",
                    "--uid-map=:0:100000:65536:", "--gid-map=:0:200000:10:",
                    "--gid-map=:10:300:1:", "--migration-mode=find-paths",
                    "--migration-on-error=guest-error",
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

/* --- --help and --print-capabilities ------------------------------------- */

static char *capture(void (*fn)(FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ASSERT(f);
    fn(f);
    ASSERT_EQ(fclose(f), 0);
    ASSERT(buf);
    return buf;
}

/* @word occurs in @text with no name character right before or after. */
static bool has_word(const char *text, const char *word, const char *namechars)
{
    size_t n = strlen(word);

    for (const char *p = text; (p = strstr(p, word)); p++) {
        bool before = p > text && strchr(namechars, p[-1]);
        bool after = p[n] && strchr(namechars, p[n]);

        if (!before && !after) {
            return true;
        }
    }
    return false;
}

TEST(help_names_every_option)
{
    static const char name_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-_";
    const struct option *lo = vfsd_long_options();
    const char *const *keys = vfsd_compat_keys();
    char *help = capture(vfsd_options_help);
    char word[80];
    int n = 0;

    for (; lo->name; lo++, n++) {
        snprintf(word, sizeof(word), "--%s", lo->name);
        if (!has_word(help, word, name_chars)) {
            test_fail(__FILE__, __LINE__, "--help does not mention %s", word);
        }
    }
    ASSERT_GE(n, 45);
    for (n = 0; keys[n]; n++) {
        if (!has_word(help, keys[n], name_chars)) {
            test_fail(__FILE__, __LINE__, "--help does not mention -o %s",
                      keys[n]);
        }
    }
    ASSERT_GE(n, 30);
    for (const char *s = "ofdhV"; *s; s++) {
        snprintf(word, sizeof(word), "-%c", *s);
        ASSERT(has_word(help, word, name_chars));
    }
    /* Fits a terminal. */
    for (char *line = help, *end; *line; line = end + 1) {
        end = strchr(line, '\n');
        ASSERT(end);
        ASSERT_LE(end - line, 79);
    }
    free(help);
}

/* doc/vhostfsd.1 documents every option too (roff escapes removed). */
TEST(man_page_names_every_option)
{
    static const char name_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *top = getenv("top_srcdir");
    const struct option *lo = vfsd_long_options();
    const char *const *keys = vfsd_compat_keys();
    char path[4096], word[80], *text, *q;
    FILE *f;
    long size;

    if (!top) {
        TEST_SKIP("top_srcdir is not set (run through make check)");
    }
    snprintf(path, sizeof(path), "%s/doc/vhostfsd.1", top);
    f = fopen(path, "r");
    ASSERT(f);
    ASSERT_EQ(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    ASSERT_GT(size, 0);
    rewind(f);
    text = malloc((size_t)size + 1);
    ASSERT(text);
    ASSERT_EQ(fread(text, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    text[size] = '\0';
    /* "\-" is a hyphen in roff. */
    q = text;
    for (const char *p = text; *p; p++) {
        if (p[0] == '\\' && p[1] == '-') {
            continue;
        }
        *q++ = *p;
    }
    *q = '\0';
    for (; lo->name; lo++) {
        snprintf(word, sizeof(word), "--%s", lo->name);
        if (!has_word(text, word, name_chars)) {
            test_fail(__FILE__, __LINE__, "vhostfsd.1 does not mention %s",
                      word);
        }
    }
    for (; *keys; keys++) {
        if (!has_word(text, *keys, name_chars)) {
            test_fail(__FILE__, __LINE__, "vhostfsd.1 does not mention -o %s",
                      *keys);
        }
    }
    free(text);
}

/*
 * A small JSON reader, enough to check that the capabilities are valid
 * JSON (RFC 8259) and to pick out "type" and "features" of the top object.
 */
struct json {
    const char *p;
    char type[32];
    char features[8][32];
    int nfeatures;
};

static void json_ws(struct json *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r') {
        j->p++;
    }
}

static bool json_value(struct json *j, int depth, char *str, size_t len);

static bool json_string(struct json *j, char *out, size_t len)
{
    size_t n = 0;

    if (*j->p++ != '"') {
        return false;
    }
    while (*j->p != '"') {
        unsigned char ch = (unsigned char)*j->p++;

        if (ch < 0x20) {
            return false;
        }
        if (ch == '\\') {
            ch = (unsigned char)*j->p++;
            if (ch == 'u') {
                for (int i = 0; i < 4; i++, j->p++) {
                    if (!strchr("0123456789abcdefABCDEF", *j->p) || !*j->p) {
                        return false;
                    }
                }
            } else if (!ch || !strchr("\"\\/bfnrt", ch)) {
                return false;
            }
        }
        if (out && n + 1 < len) {
            out[n++] = (char)ch;
        }
    }
    j->p++;
    if (out && len) {
        out[n] = '\0';
    }
    return true;
}

static bool json_number(struct json *j)
{
    const char *s = j->p;

    if (*j->p == '-') {
        j->p++;
    }
    if (*j->p == '0') {
        j->p++;
    } else if (*j->p >= '1' && *j->p <= '9') {
        while (*j->p >= '0' && *j->p <= '9') {
            j->p++;
        }
    } else {
        return false;
    }
    if (*j->p == '.') {
        j->p++;
        if (!(*j->p >= '0' && *j->p <= '9')) {
            return false;
        }
        while (*j->p >= '0' && *j->p <= '9') {
            j->p++;
        }
    }
    if (*j->p == 'e' || *j->p == 'E') {
        j->p++;
        if (*j->p == '+' || *j->p == '-') {
            j->p++;
        }
        if (!(*j->p >= '0' && *j->p <= '9')) {
            return false;
        }
        while (*j->p >= '0' && *j->p <= '9') {
            j->p++;
        }
    }
    return j->p > s;
}

static bool json_value(struct json *j, int depth, char *str, size_t len)
{
    char key[32];

    if (depth > 16) {
        return false;
    }
    json_ws(j);
    switch (*j->p) {
    case '{':
        j->p++;
        json_ws(j);
        if (*j->p == '}') {
            j->p++;
            return true;
        }
        for (;;) {
            json_ws(j);
            if (!json_string(j, key, sizeof(key))) {
                return false;
            }
            json_ws(j);
            if (*j->p++ != ':') {
                return false;
            }
            if (depth == 0 && !strcmp(key, "type")) {
                json_ws(j);
                if (!json_value(j, depth + 1, j->type, sizeof(j->type))) {
                    return false;
                }
            } else if (depth == 0 && !strcmp(key, "features")) {
                json_ws(j);
                if (!json_value(j, -100, NULL, 0)) { /* see '[' */
                    return false;
                }
            } else if (!json_value(j, depth + 1, NULL, 0)) {
                return false;
            }
            json_ws(j);
            if (*j->p == '}') {
                j->p++;
                return true;
            }
            if (*j->p++ != ',') {
                return false;
            }
        }
    case '[':
        j->p++;
        json_ws(j);
        if (*j->p == ']') {
            j->p++;
            return true;
        }
        for (;;) {
            json_ws(j);
            /* depth -100 marks the top object's "features" array. */
            if (depth == -100 && *j->p == '"' && j->nfeatures < 8) {
                if (!json_string(j, j->features[j->nfeatures++], 32)) {
                    return false;
                }
            } else if (!json_value(j, depth < 0 ? 1 : depth + 1, NULL, 0)) {
                return false;
            }
            json_ws(j);
            if (*j->p == ']') {
                j->p++;
                return true;
            }
            if (*j->p++ != ',') {
                return false;
            }
        }
    case '"':
        return json_string(j, str, len);
    case 't':
        return !strncmp(j->p, "true", 4) && (j->p += 4);
    case 'f':
        return !strncmp(j->p, "false", 5) && (j->p += 5);
    case 'n':
        return !strncmp(j->p, "null", 4) && (j->p += 4);
    default:
        return json_number(j);
    }
}

static bool json_parse(struct json *j, const char *text)
{
    memset(j, 0, sizeof(*j));
    j->p = text;
    json_ws(j);
    if (*j->p != '{' || !json_value(j, 0, NULL, 0)) {
        return false;
    }
    json_ws(j);
    return *j->p == '\0';
}

TEST(json_reader_self_check)
{
    struct json j;

    ASSERT(json_parse(&j, "{\"type\" : \"fs\", \"x\": [1, -2.5e3, true, "
                          "null, {\"a\": \"\\u00e9\\n\"}], \"features\": "
                          "[\"a\", \"b\"]}\n"));
    ASSERT_STREQ(j.type, "fs");
    ASSERT_EQ(j.nfeatures, 2);
    ASSERT_STREQ(j.features[1], "b");
    ASSERT(!json_parse(&j, "{\"type\":\"fs\",}"));
    ASSERT(!json_parse(&j, "{\"type\":\"fs\"} x"));
    ASSERT(!json_parse(&j, "{\"type\":01}"));
    ASSERT(!json_parse(&j, "{\"type\":\"fs}"));
    ASSERT(!json_parse(&j, "{type:\"fs\"}"));
    ASSERT(!json_parse(&j, "[\"fs\"]"));
}

TEST(capabilities_are_json_for_libvirt)
{
    char *caps = capture(vfsd_print_capabilities);
    struct json j;
    bool separate = false;

    ASSERT(json_parse(&j, caps));
    ASSERT_STREQ(j.type, "fs");
    for (int i = 0; i < j.nfeatures; i++) {
        separate = separate || !strcmp(j.features[i], "separate-options");
        /* Claimed only once the daemon can migrate its state. */
        ASSERT(strcmp(j.features[i], "migrate-precopy"));
    }
    ASSERT(separate);
    ASSERT_EQ(caps[strlen(caps) - 1], '\n');
    free(caps);
}

/* --- checks against the system -------------------------------------------- */

static int validate(struct vfsd_options *o, ...)
{
    char *argv[16];
    const char *a;
    int argc = 0, rc;
    va_list ap;

    argv[argc++] = (char *)"vhostfsd";
    va_start(ap, o);
    while ((a = va_arg(ap, const char *))) {
        ASSERT(argc < 15);
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;
    rc = vfsd_options_parse(o, argc, argv, err, sizeof(err));
    if (rc < 0) {
        test_fail(__FILE__, __LINE__, "parse: %s", err);
    }
    return vfsd_options_validate(o, err, sizeof(err));
}
#define VALIDATE(o, ...) validate(o, __VA_ARGS__, (const char *)NULL)

static char *path_in(const char *dir, const char *name)
{
    static char bufs[4][512];
    static int next;
    char *b = bufs[next++ % 4];

    snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
    return b;
}

TEST(validate_shared_dir_and_mount_point)
{
    const char *dir = test_tmpdir();
    char *file = path_in(dir, "file"), *missing = path_in(dir, "missing");
    char arg[600], mnt[600], want[1200];
    struct vfsd_options o;
    int fd;

    fd = open(file, O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    close(fd);

    snprintf(arg, sizeof(arg), "--shared-dir=%s", dir);
    snprintf(mnt, sizeof(mnt), "--mount=%s", dir);
    ASSERT_EQ(VALIDATE(&o, arg, mnt), 0);
    vfsd_options_free(&o);

    snprintf(arg, sizeof(arg), "--shared-dir=%s", missing);
    ASSERT_EQ(VALIDATE(&o, arg, mnt), -ENOENT);
    snprintf(want, sizeof(want), "shared directory '%s' does not exist",
             missing);
    ASSERT_STREQ(err, want);
    vfsd_options_free(&o);

    snprintf(arg, sizeof(arg), "-osource=%s", file);
    ASSERT_EQ(VALIDATE(&o, arg, mnt), -ENOTDIR);
    snprintf(want, sizeof(want), "shared directory '%s' is not a directory",
             file);
    ASSERT_STREQ(err, want);
    vfsd_options_free(&o);

    snprintf(arg, sizeof(arg), "--shared-dir=%s", dir);
    snprintf(mnt, sizeof(mnt), "--mount=%s", file);
    ASSERT_EQ(VALIDATE(&o, arg, mnt), -ENOTDIR);
    snprintf(want, sizeof(want), "mount point '%s' is not a directory", file);
    ASSERT_STREQ(err, want);
    vfsd_options_free(&o);

    /* Help and friends are not validated. */
    {
        char *argv[] = {(char *)"vhostfsd", (char *)"--print-capabilities",
                        NULL};

        ASSERT_EQ(vfsd_options_parse(&o, 2, argv, err, sizeof(err)), 0);
        ASSERT_EQ(vfsd_options_validate(&o, err, sizeof(err)), 0);
        vfsd_options_free(&o);
    }
    ASSERT_NO_LEAKS();
}

static int listen_on(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ASSERT_GE(fd, 0);
    ASSERT_LT(strlen(path), sizeof(sun.sun_path));
    strcpy(sun.sun_path, path);
    ASSERT_EQ(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    ASSERT_EQ(listen(fd, 1), 0);
    return fd;
}

TEST(validate_socket_path)
{
    const char *dir = test_tmpdir();
    char *file = path_in(dir, "file"), *nodir = path_in(dir, "no/s.sock");
    char shared[600], arg[600], want[1200], longpath[200];
    const char *stale = test_sock_path("stale");
    struct vfsd_options o;
    int fd;

    snprintf(shared, sizeof(shared), "--shared-dir=%s", dir);
    snprintf(arg, sizeof(arg), "--socket-path=%s", path_in(dir, "new.sock"));
    ASSERT_EQ(VALIDATE(&o, shared, arg), 0);
    vfsd_options_free(&o);

    snprintf(arg, sizeof(arg), "--socket-path=%s", nodir);
    ASSERT_EQ(VALIDATE(&o, shared, arg), -ENOENT);
    snprintf(want, sizeof(want), "directory of socket path '%s' does not exist",
             nodir);
    ASSERT_STREQ(err, want);
    vfsd_options_free(&o);

    fd = open(file, O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    close(fd);
    snprintf(arg, sizeof(arg), "--socket-path=%s", file);
    ASSERT_EQ(VALIDATE(&o, shared, arg), -EEXIST);
    snprintf(want, sizeof(want), "socket path '%s' exists and is not a socket",
             file);
    ASSERT_STREQ(err, want);
    vfsd_options_free(&o);

    /* A socket file, live or stale, is for the listener to judge. */
    fd = listen_on(stale);
    close(fd);
    snprintf(arg, sizeof(arg), "--socket-path=%s", stale);
    ASSERT_EQ(VALIDATE(&o, shared, arg), 0);
    vfsd_options_free(&o);

    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    snprintf(arg, sizeof(arg), "--socket-path=%s", longpath);
    ASSERT_EQ(VALIDATE(&o, shared, arg), -ENAMETOOLONG);
    ASSERT_CONTAINS(err, "is too long (at most 107 bytes)");
    vfsd_options_free(&o);
    ASSERT_NO_LEAKS();
}

TEST(validate_fd)
{
    const char *dir = test_tmpdir();
    char shared[600], arg[64];
    struct vfsd_options o;
    int sv[2], pipefd[2], lfd, dgram, inet;

    snprintf(shared, sizeof(shared), "--shared-dir=%s", dir);

    lfd = listen_on(test_sock_path("l"));
    snprintf(arg, sizeof(arg), "--fd=%d", lfd);
    ASSERT_EQ(VALIDATE(&o, shared, arg), 0);
    ASSERT(o.fd_listening);
    vfsd_options_free(&o);

    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    snprintf(arg, sizeof(arg), "--fd=%d", sv[0]);
    ASSERT_EQ(VALIDATE(&o, shared, arg), 0);
    ASSERT(!o.fd_listening);
    vfsd_options_free(&o);

    ASSERT_EQ(pipe(pipefd), 0);
    snprintf(arg, sizeof(arg), "--fd=%d", pipefd[0]);
    ASSERT_EQ(VALIDATE(&o, shared, arg), -ENOTSOCK);
    snprintf(arg, sizeof(arg), "--fd=%d is not a socket", pipefd[0]);
    ASSERT_STREQ(err, arg);
    vfsd_options_free(&o);

    dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
    ASSERT_GE(dgram, 0);
    snprintf(arg, sizeof(arg), "--fd=%d", dgram);
    ASSERT_EQ(VALIDATE(&o, shared, arg), -ESOCKTNOSUPPORT);
    ASSERT_CONTAINS(err, "is not a stream socket");
    vfsd_options_free(&o);

    inet = socket(AF_INET, SOCK_STREAM, 0);
    if (inet >= 0) {
        snprintf(arg, sizeof(arg), "--fd=%d", inet);
        ASSERT_EQ(VALIDATE(&o, shared, arg), -EAFNOSUPPORT);
        ASSERT_CONTAINS(err, "is not a Unix socket");
        vfsd_options_free(&o);
        close(inet);
    }

    /* An fd number nobody has open. */
    close(dgram);
    snprintf(arg, sizeof(arg), "--fd=%d", dgram);
    ASSERT_EQ(VALIDATE(&o, shared, arg), -EBADF);
    snprintf(arg, sizeof(arg), "--fd=%d is not an open file descriptor", dgram);
    ASSERT_STREQ(err, arg);
    vfsd_options_free(&o);

    close(lfd);
    close(sv[0]);
    close(sv[1]);
    close(pipefd[0]);
    close(pipefd[1]);
    ASSERT_NO_LEAKS();
}

/* --- the daemon itself ------------------------------------------------------
 */

struct run {
    int status; /* exit status, or -1 when killed */
    char out[8192];
    char err[8192];
};

static void drain(int fd, char *buf, size_t size, size_t *len)
{
    ssize_t n = read(fd, buf + *len, size - 1 - *len);

    if (n > 0) {
        *len += (size_t)n;
    }
    buf[*len] = '\0';
}

/* Run the built vhostfsd with the NULL-terminated arguments. */
static void run_daemon(struct run *r, ...)
{
    const char *top = getenv("top_builddir");
    char path[4096], *argv[32];
    int out[2], errp[2], status, argc = 0;
    size_t olen = 0, elen = 0;
    const char *a;
    va_list ap;
    pid_t pid;

    if (!top) {
        TEST_SKIP("top_builddir is not set (run through make check)");
    }
    snprintf(path, sizeof(path), "%s/src/vhostfsd", top);
    if (access(path, X_OK) < 0) {
        TEST_SKIP("src/vhostfsd is not built");
    }
    argv[argc++] = path;
    va_start(ap, r);
    while ((a = va_arg(ap, const char *))) {
        ASSERT(argc < 31);
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;

    ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(errp, O_CLOEXEC), 0);
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(errp[1], 2);
        execv(path, argv);
        _exit(127);
    }
    close(out[1]);
    close(errp[1]);
    for (;;) {
        struct pollfd p[2] = {{.fd = out[0], .events = POLLIN},
                              {.fd = errp[0], .events = POLLIN}};

        if (poll(p, 2, -1) < 0) {
            ASSERT_EQ(errno, EINTR);
            continue;
        }
        if (p[0].revents) {
            size_t before = olen;

            drain(out[0], r->out, sizeof(r->out), &olen);
            if (olen == before) {
                p[0].fd = -1;
            }
        }
        if (p[1].revents) {
            size_t before = elen;

            drain(errp[0], r->err, sizeof(r->err), &elen);
            if (elen == before) {
                break; /* stderr closed: the daemon is gone */
            }
        }
    }
    while (read(out[0], r->out + olen, 1) == 1 && olen < sizeof(r->out) - 2) {
        olen++;
    }
    r->out[olen] = '\0';
    close(out[0]);
    close(errp[0]);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
#define RUN(r, ...) run_daemon(r, __VA_ARGS__, (const char *)NULL)

TEST(daemon_errors_are_one_line_and_exit_1)
{
    static struct run r;

    RUN(&r, "--foo");
    ASSERT_EQ(r.status, 1);
    ASSERT_STREQ(r.err, "vhostfsd: unknown option '--foo' (try --help)\n");
    ASSERT_STREQ(r.out, "");

    RUN(&r, "--shared-dir=/nonexistent/dir/here", "--fd=0");
    ASSERT_EQ(r.status, 1);
    ASSERT_STREQ(r.err, "vhostfsd: shared directory '/nonexistent/dir/here' "
                        "does not exist\n");

    RUN(&r, "--shared-dir=/", "--fd=1", "--socket-path=/x");
    ASSERT_EQ(r.status, 1);
    ASSERT_STREQ(r.err, "vhostfsd: --socket-path and --fd cannot be used "
                        "together\n");

    RUN(&r, "-o", "source=/,cache=sometimes", "--fd=0");
    ASSERT_EQ(r.status, 1);
    ASSERT_STREQ(r.err, "vhostfsd: invalid value 'sometimes' for -o cache "
                        "(expected auto, always, metadata, never or none)\n");
}

TEST(daemon_socket_in_use)
{
    static struct run r;
    const char *sock = test_sock_path("busy");
    char arg[600], want[800];
    int lfd = listen_on(sock);

    snprintf(arg, sizeof(arg), "--socket-path=%s", sock);
    RUN(&r, "--shared-dir=/", arg, "--log-level=error");
    ASSERT_EQ(r.status, 1);
    snprintf(want, sizeof(want),
             "vhostfsd: socket path '%s' is in use by another process\n", sock);
    ASSERT_STREQ(r.err, want);
    close(lfd);
}

TEST(daemon_help_version_capabilities)
{
    static struct run r;
    struct json j;

    RUN(&r, "--help");
    ASSERT_EQ(r.status, 0);
    ASSERT_STREQ(r.err, "");
    ASSERT(!strncmp(r.out, "Usage: vhostfsd ", 16));

    RUN(&r, "-V");
    ASSERT_EQ(r.status, 0);
    ASSERT_STREQ(r.out, "vhostfsd " PACKAGE_VERSION "\n");

    RUN(&r, "--print-capabilities");
    ASSERT_EQ(r.status, 0);
    ASSERT_STREQ(r.err, "");
    ASSERT(json_parse(&j, r.out));
    ASSERT_STREQ(j.type, "fs");
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
          T(error_buffer_bounds), T(help_names_every_option),
          T(man_page_names_every_option), T(json_reader_self_check),
          T(capabilities_are_json_for_libvirt),
          T(validate_shared_dir_and_mount_point), T(validate_socket_path),
          T(validate_fd), T(daemon_errors_are_one_line_and_exit_1),
          T(daemon_socket_in_use), T(daemon_help_version_capabilities),
          T(parse_again_in_one_process))

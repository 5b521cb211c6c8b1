/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hostile-cases.c - the hostile command's cases: framing, names, sizes,
 * opcodes, node ids, handles, escapes and chain shapes.
 *
 * Expected errors follow what Linux and a passthrough file system would
 * answer (fuse_lowlevel.c and fs/fuse for the framing, the VFS for the
 * names); where several are reasonable, any error passes.  Success never
 * does, except where the request is legal and only unusual (a READ of
 * more than the reply area; see each case).
 *
 * Security model: as hostile.c (replies checked there before use).
 */
#include <fcntl.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>
#include <linux/fuse.h>

#include "hostile.h"

/* Room for a reply header and a 4 KiB body. */
#define W   (4096u + (uint32_t)sizeof(struct fuse_out_header))
#define HDR ((uint32_t)sizeof(struct fuse_in_header))

/* "name\0" as a request piece. */
#define NAME(s) (s), (uint32_t)sizeof(s)

static void framing(struct hst *h)
{
    struct fuse_getattr_in gi = {0};
    struct fuse_open_in oi = {.flags = O_RDONLY};
    struct fuse_write_in wi = {.fh = h->fh, .size = 4};
    uint32_t n;

    /* No header to take a unique from: nothing can be answered. */
    hst_msg(h, FUSE_GETATTR, FUSE_ROOT_ID, 0, &gi, sizeof(gi), NULL, 0, NULL,
            0);
    hst_want_err(h, "request shorter than fuse_in_header", HDR / 2, W, true,
                 H_ANY_ERROR);
    n = hst_msg(h, FUSE_LOOKUP, FUSE_ROOT_ID, HDR + 64, NAME("hf"), NULL, 0,
                NULL, 0);
    hst_want_err(h, "len beyond the readable bytes", n, W, false, EINVAL,
                 H_ANY_ERROR);
    n = hst_msg(h, FUSE_LOOKUP, FUSE_ROOT_ID, HDR + 0x7fffffffu, NAME("hf"),
                NULL, 0, NULL, 0);
    hst_want_err(h, "len near 4 GiB", n, W, false, EINVAL, H_ANY_ERROR);
    n = hst_msg(h, FUSE_GETATTR, FUSE_ROOT_ID, HDR / 2, &gi, sizeof(gi), NULL,
                0, NULL, 0);
    hst_want_err(h, "len below the header", n, W, true, EINVAL, H_ANY_ERROR);
    n = hst_msg(h, FUSE_OPEN, h->file_node, HDR + 4, &oi, sizeof(oi), NULL, 0,
                NULL, 0);
    hst_want_err(h, "len below the OPEN struct", n, W, false, EINVAL,
                 H_ANY_ERROR);
    n = hst_msg(h, FUSE_WRITE, h->file_node, HDR + 16, &wi, sizeof(wi), "evil",
                4, NULL, 0);
    hst_want_err(h, "len below the WRITE struct", n, W, false, EINVAL,
                 H_ANY_ERROR);
}

static void names(struct hst *h)
{
    struct fuse_mkdir_in mi = {.mode = 0755, .umask = 022};
    struct fuse_create_in ci = {.flags = O_WRONLY | O_CREAT, .mode = 0644};
    struct fuse_rename_in ri = {.newdir = FUSE_ROOT_ID};
    static char longname[4097];
    char esc[4300];
    uint32_t n;

    /* Names without their NUL: fuse_lowlevel.c refuses them (EINVAL). */
    n = hst_msg(h, FUSE_LOOKUP, FUSE_ROOT_ID, 0, "hf", 2, NULL, 0, NULL, 0);
    hst_want_err(h, "LOOKUP name without NUL", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_MKDIR, FUSE_ROOT_ID, 0, &mi, sizeof(mi), "hnew", 4,
                NULL, 0);
    hst_want_err(h, "MKDIR name without NUL", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_UNLINK, FUSE_ROOT_ID, 0, "hf", 2, NULL, 0, NULL, 0);
    hst_want_err(h, "UNLINK name without NUL", n, W, false, H_ANY_ERROR);

    /* The kernel never sends a name with '/' (one component each). */
    n = hst_msg(h, FUSE_LOOKUP, FUSE_ROOT_ID, 0, NAME("hd/../hf"), NULL, 0,
                NULL, 0);
    hst_want_err(h, "LOOKUP name with '/'", n, W, false, H_ANY_ERROR);
    snprintf(esc, sizeof(esc), "%s/evil", h->sent_rel);
    n = hst_msg(h, FUSE_MKDIR, FUSE_ROOT_ID, 0, &mi, sizeof(mi), esc,
                (uint32_t)strlen(esc) + 1, NULL, 0);
    hst_want_err(h, "MKDIR name with '/' to outside", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_CREATE, FUSE_ROOT_ID, 0, &ci, sizeof(ci), esc,
                (uint32_t)strlen(esc) + 1, NULL, 0);
    hst_want_err(h, "CREATE name with '/' to outside", n, W, false,
                 H_ANY_ERROR);
    snprintf(esc, sizeof(esc), "%s/canary", h->sent_rel);
    n = hst_msg(h, FUSE_UNLINK, FUSE_ROOT_ID, 0, esc, (uint32_t)strlen(esc) + 1,
                NULL, 0, NULL, 0);
    hst_want_err(h, "UNLINK name with '/' to outside", n, W, false,
                 H_ANY_ERROR);

    /* Empty names: ENOENT from the VFS, EINVAL from a strict server. */
    n = hst_msg(h, FUSE_LOOKUP, FUSE_ROOT_ID, 0, NAME(""), NULL, 0, NULL, 0);
    hst_want_err(h, "LOOKUP empty name", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_MKDIR, FUSE_ROOT_ID, 0, &mi, sizeof(mi), NAME(""), NULL,
                0);
    hst_want_err(h, "MKDIR empty name", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_CREATE, FUSE_ROOT_ID, 0, &ci, sizeof(ci), NAME(""),
                NULL, 0);
    hst_want_err(h, "CREATE empty name", n, W, false, H_ANY_ERROR);

    /* "." and ".." where the kernel never sends them (EEXIST, EINVAL). */
    n = hst_msg(h, FUSE_MKDIR, FUSE_ROOT_ID, 0, &mi, sizeof(mi), NAME(".."),
                NULL, 0);
    hst_want_err(h, "MKDIR '..'", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_MKDIR, FUSE_ROOT_ID, 0, &mi, sizeof(mi), NAME("."),
                NULL, 0);
    hst_want_err(h, "MKDIR '.'", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_CREATE, FUSE_ROOT_ID, 0, &ci, sizeof(ci), NAME(".."),
                NULL, 0);
    hst_want_err(h, "CREATE '..'", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_CREATE, FUSE_ROOT_ID, 0, &ci, sizeof(ci), NAME("."),
                NULL, 0);
    hst_want_err(h, "CREATE '.'", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_RENAME, FUSE_ROOT_ID, 0, &ri, sizeof(ri), "hstale\0..",
                10, NULL, 0);
    hst_want_err(h, "RENAME target '..'", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_RENAME, FUSE_ROOT_ID, 0, &ri, sizeof(ri), "hstale\0.",
                9, NULL, 0);
    hst_want_err(h, "RENAME target '.'", n, W, false, H_ANY_ERROR);

    /* A 4096-byte name: over NAME_MAX. */
    memset(longname, 'a', sizeof(longname) - 1);
    n = hst_msg(h, FUSE_LOOKUP, FUSE_ROOT_ID, 0, longname, sizeof(longname),
                NULL, 0, NULL, 0);
    hst_want_err(h, "LOOKUP name of 4096 bytes", n, W, false, ENAMETOOLONG,
                 EINVAL, H_ANY_ERROR);
    n = hst_msg(h, FUSE_MKDIR, FUSE_ROOT_ID, 0, &mi, sizeof(mi), longname,
                sizeof(longname), NULL, 0);
    hst_want_err(h, "MKDIR name of 4096 bytes", n, W, false, ENAMETOOLONG,
                 EINVAL, H_ANY_ERROR);
}

/* A read-like request that may succeed, with no more than offered. */
static void bounded(struct hst *h, const char *name, uint32_t n)
{
    struct hres res;

    if (hst_raw(h, n, W, false, &res) < 0) {
        hst_verdict(h, name, res.why);
    } else if (!res.replied) {
        hst_verdict(h, name, "the chain came back with no reply");
    } else {
        hst_verdict(h, name, NULL); /* framing checked by hst_raw() */
    }
}

static bool host_text_is(struct hst *h, const char *name, const char *text)
{
    char path[4200], buf[64];
    ssize_t len;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", h->share, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    len = read(fd, buf, sizeof(buf));
    close(fd);
    return len == (ssize_t)strlen(text) && memcmp(buf, text, (size_t)len) == 0;
}

static void sizes(struct hst *h)
{
    struct fuse_read_in rd = {.fh = h->fh, .size = 1u << 30};
    struct fuse_write_in wi = {.fh = h->fh, .size = 1u << 20};
    struct fuse_setxattr_in si = {.size = 1000};
    struct fuse_getxattr_in gx = {.size = 0xffffffffu};
    struct {
        struct fuse_batch_forget_in in;
        struct fuse_forget_one one;
    } bf = {{.count = 0x10000000u},
            {.nodeid = 0xdead0000beefull, .nlookup = 1}};
    uint32_t n;

    n = hst_msg(h, FUSE_READ, h->file_node, 0, &rd, sizeof(rd), NULL, 0, NULL,
                0);
    bounded(h, "READ size 1 GiB", n);
    n = hst_msg(h, FUSE_WRITE, h->file_node, 0, &wi, sizeof(wi), "evil!!", 6,
                NULL, 0);
    hst_want_err(h, "WRITE size over the payload", n, W, false, EINVAL,
                 H_ANY_ERROR);
    if (!host_text_is(h, "hf", "hello\n")) {
        hst_fail(h, "WRITE size over the payload", "the file changed");
    }
    wi.size = 0xffffffffu;
    wi.offset = 1ull << 62;
    n = hst_msg(h, FUSE_WRITE, h->file_node, 0, &wi, sizeof(wi), "evil!!", 6,
                NULL, 0);
    hst_want_err(h, "WRITE size 4 GiB at offset 2^62", n, W, false,
                 H_ANY_ERROR);
    /* The pre-7.33 layout (no SETXATTR_EXT asked at INIT): 8 bytes. */
    n = hst_msg(h, FUSE_SETXATTR, h->file_node, 0, &si,
                FUSE_COMPAT_SETXATTR_IN_SIZE, NAME("user.hostile"), "abcd", 4);
    hst_want_err(h, "SETXATTR size over the value", n, W, false, H_ANY_ERROR);
    si.size = 2;
    n = hst_msg(h, FUSE_SETXATTR, h->file_node, 0, &si,
                FUSE_COMPAT_SETXATTR_IN_SIZE, NAME("user.hostile"), "abcd", 4);
    hst_want_err(h, "SETXATTR size under the value", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_GETXATTR, h->file_node, 0, &gx, sizeof(gx),
                NAME("user.none"), NULL, 0);
    hst_want_err(h, "GETXATTR size 4 GiB", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_LISTXATTR, h->file_node, 0, &gx, sizeof(gx), NULL, 0,
                NULL, 0);
    bounded(h, "LISTXATTR size 4 GiB", n);
    /* Never answered: the chain comes back empty, on either queue. */
    n = hst_msg(h, FUSE_BATCH_FORGET, 0, 0, &bf, sizeof(bf), NULL, 0, NULL, 0);
    hst_want_empty(h, "BATCH_FORGET count over the entries", n, 0, true, false);
    n = hst_msg(h, FUSE_BATCH_FORGET, 0, 0, &bf, sizeof(bf), NULL, 0, NULL, 0);
    hst_want_empty(h, "BATCH_FORGET count over the entries, request queue", n,
                   W, false, false);
    rd.fh = h->dh;
    n = hst_msg(h, FUSE_READDIR, h->dir_node, 0, &rd, sizeof(rd), NULL, 0, NULL,
                0);
    bounded(h, "READDIR size 1 GiB", n);
    n = hst_msg(h, FUSE_READDIRPLUS, h->dir_node, 0, &rd, sizeof(rd), NULL, 0,
                NULL, 0);
    bounded(h, "READDIRPLUS size 1 GiB", n);
}

static void opcodes_and_ids(struct hst *h)
{
    static const uint32_t bad_ops[] = {0, 9999, 0xffffffffu};
    static const uint64_t bad_ids[] = {0x8badf00ddeadbeefull, 0,
                                       0xffffffffffffffffull};
    struct fuse_getattr_in gi = {0};
    struct fuse_mkdir_in mi = {.mode = 0755};
    struct fuse_forget_in fi = {.nlookup = 1};
    struct fuse_entry_out e;
    char name[64];
    uint64_t stale;
    unsigned int i;
    uint32_t n;

    for (i = 0; i < sizeof(bad_ops) / sizeof(bad_ops[0]); i++) {
        snprintf(name, sizeof(name), "unknown opcode %u", bad_ops[i]);
        n = hst_msg(h, bad_ops[i], FUSE_ROOT_ID, 0, &gi, sizeof(gi), NULL, 0,
                    NULL, 0);
        hst_want_err(h, name, n, W, false, ENOSYS, H_ANY_ERROR);
    }
    for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        snprintf(name, sizeof(name), "GETATTR node %#llx",
                 (unsigned long long)bad_ids[i]);
        n = hst_msg(h, FUSE_GETATTR, bad_ids[i], 0, &gi, sizeof(gi), NULL, 0,
                    NULL, 0);
        hst_want_err(h, name, n, W, false, H_ANY_ERROR);
        snprintf(name, sizeof(name), "MKDIR in node %#llx",
                 (unsigned long long)bad_ids[i]);
        n = hst_msg(h, FUSE_MKDIR, bad_ids[i], 0, &mi, sizeof(mi), NAME("hnew"),
                    NULL, 0);
        hst_want_err(h, name, n, W, false, H_ANY_ERROR);
    }
    /* A node the guest forgot is gone: ESTALE or ENOENT, not another. */
    stale = hst_lookup(h, FUSE_ROOT_ID, "hstale", &e);
    if (!stale) {
        hst_fail(h, "stale node after FORGET", "not run: LOOKUP failed");
        return;
    }
    n = hst_msg(h, FUSE_FORGET, stale, 0, &fi, sizeof(fi), NULL, 0, NULL, 0);
    hst_want_empty(h, "FORGET", n, 0, true, false);
    n = hst_msg(h, FUSE_GETATTR, stale, 0, &gi, sizeof(gi), NULL, 0, NULL, 0);
    hst_want_err(h, "GETATTR of a node after FORGET", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_FORGET, stale, 0, &fi, sizeof(fi), NULL, 0, NULL, 0);
    hst_want_empty(h, "FORGET of a node already forgotten", n, 0, true, false);
}

static void handles(struct hst *h)
{
    struct fuse_read_in rd = {.fh = 0x5eed5eed5eed5eedull, .size = 4096};
    struct fuse_write_in wi = {.fh = 0x5eed5eed5eed5eedull, .size = 4};
    uint32_t n;

    n = hst_msg(h, FUSE_READ, h->file_node, 0, &rd, sizeof(rd), NULL, 0, NULL,
                0);
    hst_want_err(h, "READ with a forged handle", n, W, false, EBADF,
                 H_ANY_ERROR);
    n = hst_msg(h, FUSE_WRITE, h->file_node, 0, &wi, sizeof(wi), "evil", 4,
                NULL, 0);
    hst_want_err(h, "WRITE with a forged handle", n, W, false, EBADF,
                 H_ANY_ERROR);
    rd.fh = h->dh;
    n = hst_msg(h, FUSE_READ, h->file_node, 0, &rd, sizeof(rd), NULL, 0, NULL,
                0);
    hst_want_err(h, "READ with a directory handle", n, W, false, H_ANY_ERROR);
    wi.fh = h->dh;
    n = hst_msg(h, FUSE_WRITE, h->file_node, 0, &wi, sizeof(wi), "evil", 4,
                NULL, 0);
    hst_want_err(h, "WRITE with a directory handle", n, W, false, H_ANY_ERROR);
    rd.fh = h->fh;
    n = hst_msg(h, FUSE_READDIR, h->dir_node, 0, &rd, sizeof(rd), NULL, 0, NULL,
                0);
    hst_want_err(h, "READDIR with a file handle", n, W, false, H_ANY_ERROR);
    rd.fh = 0x5eed5eed5eed5eedull;
    n = hst_msg(h, FUSE_READDIR, h->dir_node, 0, &rd, sizeof(rd), NULL, 0, NULL,
                0);
    hst_want_err(h, "READDIR with a forged handle", n, W, false, H_ANY_ERROR);
    if (!host_text_is(h, "hf", "hello\n")) {
        hst_fail(h, "forged handles", "the file changed");
    }
}

/* LOOKUP of @name at the root: success must be the root itself. */
static void lookup_root(struct hst *h, const char *label, const char *name,
                        bool must_succeed)
{
    struct fuse_entry_out e;
    struct stat st;
    uint32_t body = 0;
    char bad[160];
    int err;

    err = hst_plain(h, label, FUSE_LOOKUP, FUSE_ROOT_ID, name,
                    (uint32_t)strlen(name) + 1, NULL, 0, &body);
    if (err == H_BROKEN) {
        return;
    }
    if (err) {
        snprintf(bad, sizeof(bad), "error %d", err);
        hst_verdict(h, label, must_succeed ? bad : NULL);
        return;
    }
    memcpy(&e, h->reply, body < sizeof(e) ? body : sizeof(e));
    if (body != sizeof(e) || stat(h->share, &st) < 0 ||
        e.attr.ino != st.st_ino) {
        snprintf(bad, sizeof(bad),
                 "node %llu, inode %llu: not the share's root (inode %llu)",
                 (unsigned long long)e.nodeid, (unsigned long long)e.attr.ino,
                 (unsigned long long)st.st_ino);
        hst_verdict(h, label, bad);
        return;
    }
    hst_verdict(h, label, NULL);
}

/* OPEN of symlink node @node for writing must not reach its target; if
 * it opens anything, what is written must land inside. */
static void open_link(struct hst *h, const char *label, uint64_t node)
{
    struct fuse_open_in oi = {.flags = O_WRONLY | O_TRUNC};
    struct fuse_write_in wi = {.size = 5};
    struct fuse_open_out oo;
    uint32_t body = 0;
    int err;

    err = hst_plain(h, label, FUSE_OPEN, node, &oi, sizeof(oi), NULL, 0, &body);
    if (err == H_BROKEN) {
        return;
    }
    if (err == 0 && body == sizeof(oo)) {
        memcpy(&oo, h->reply, sizeof(oo));
        wi.fh = oo.fh;
        hst_plain(h, label, FUSE_WRITE, node, &wi, sizeof(wi), "pwned", 5,
                  NULL);
    }
    hst_verdict(h, label, NULL); /* the sentinel check decides */
}

/* LINK of a symlink node links the symlink, never what it points to
 * (linkat() without AT_SYMLINK_FOLLOW); the sentinel check sees a link
 * to the canary by its link count. */
static void link_link(struct hst *h, uint64_t node)
{
    struct fuse_link_in li = {.oldnodeid = node};
    char path[4200];
    struct stat st;
    int err;

    err = hst_plain(h, "LINK of a symlink to outside", FUSE_LINK, FUSE_ROOT_ID,
                    &li, sizeof(li), NAME("hardesc"), NULL);
    if (err == H_BROKEN) {
        return;
    }
    snprintf(path, sizeof(path), "%s/hardesc", h->share);
    if (err == 0 && (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))) {
        hst_verdict(h, "LINK of a symlink to outside",
                    "the new name is not a symlink");
        return;
    }
    hst_verdict(h, "LINK of a symlink to outside", NULL);
}

static void escapes(struct hst *h)
{
    struct fuse_create_in ci = {.flags = O_WRONLY | O_CREAT | O_TRUNC,
                                .mode = 0644};
    struct fuse_setattr_in sa = {.valid = FATTR_SIZE, .size = 0};
    struct fuse_rename_in ri = {.newdir = h->file_node};
    struct fuse_mkdir_in mi = {.mode = 0755};
    struct fuse_entry_out e;
    char target[4300], names[4400];
    uint64_t node;
    uint32_t n;
    size_t l;
    int err;

    lookup_root(h, "LOOKUP '..' at the root is the root", "..", true);
    lookup_root(h, "LOOKUP '.' at the root", ".", false);

    /* Symlinks may point anywhere; following them is the server's bug. */
    snprintf(target, sizeof(target), "%s/canary", h->sent_rel);
    l = strlen("esc") + 1;
    memcpy(names, "esc", l);
    memcpy(names + l, target, strlen(target) + 1);
    err = hst_plain(h, "SYMLINK to outside", FUSE_SYMLINK, FUSE_ROOT_ID, names,
                    (uint32_t)(l + strlen(target) + 1), NULL, 0, NULL);
    if (err && err != H_BROKEN) {
        hst_fail(h, "SYMLINK to outside", "error %d", err);
    }
    node = err ? 0 : hst_lookup(h, FUSE_ROOT_ID, "esc", &e);
    if (node) {
        open_link(h, "OPEN through a symlink to outside", node);
        n = hst_msg(h, FUSE_SETATTR, node, 0, &sa, sizeof(sa), NULL, 0, NULL,
                    0);
        hst_raw(h, n, W, false, &(struct hres){0});
        hst_verdict(h, "SETATTR size 0 on a symlink to outside", NULL);
        link_link(h, node);
    }
    n = hst_msg(h, FUSE_CREATE, FUSE_ROOT_ID, 0, &ci, sizeof(ci), NAME("esc"),
                NULL, 0);
    {
        struct hres res;
        struct fuse_write_in wi = {.size = 5};
        struct fuse_open_out oo;

        if (hst_raw(h, n, W, false, &res) == 0 && res.replied && !res.error &&
            res.body == sizeof(e) + sizeof(oo)) {
            memcpy(&oo, h->reply + sizeof(e), sizeof(oo));
            wi.fh = oo.fh;
            hst_plain(h, "CREATE over a symlink to outside", FUSE_WRITE,
                      ((struct fuse_entry_out *)(void *)h->reply)->nodeid, &wi,
                      sizeof(wi), "pwned", 5, NULL);
        }
        hst_verdict(h, "CREATE over a symlink to outside", NULL);
    }
    /* The same with an absolute target. */
    snprintf(target, sizeof(target), "%s/canary", h->sentinel);
    l = strlen("esc-abs") + 1;
    memcpy(names, "esc-abs", l);
    memcpy(names + l, target, strlen(target) + 1);
    err =
        hst_plain(h, "SYMLINK to an absolute path", FUSE_SYMLINK, FUSE_ROOT_ID,
                  names, (uint32_t)(l + strlen(target) + 1), NULL, 0, NULL);
    node = err ? 0 : hst_lookup(h, FUSE_ROOT_ID, "esc-abs", &e);
    if (node) {
        open_link(h, "OPEN through an absolute symlink", node);
    } else if (err != H_BROKEN) {
        hst_fail(h, "SYMLINK to an absolute path", "error %d", err);
    }

    /* A file as the parent: ENOTDIR. */
    n = hst_msg(h, FUSE_RENAME, FUSE_ROOT_ID, 0, &ri, sizeof(ri), "hstale\0x",
                9, NULL, 0);
    hst_want_err(h, "RENAME into a file node", n, W, false, ENOTDIR,
                 H_ANY_ERROR);
    n = hst_msg(h, FUSE_LOOKUP, h->file_node, 0, NAME("x"), NULL, 0, NULL, 0);
    hst_want_err(h, "LOOKUP in a file node", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_MKDIR, h->file_node, 0, &mi, sizeof(mi), NAME("x"),
                NULL, 0);
    hst_want_err(h, "MKDIR in a file node", n, W, false, H_ANY_ERROR);
}

/* Ranges, flags and handles past their end of life. */
static void more(struct hst *h)
{
    struct fuse_init_in ii = {.major = FUSE_KERNEL_VERSION,
                              .minor = FUSE_KERNEL_MINOR_VERSION};
    struct fuse_read_in rd = {
        .fh = h->fh, .offset = UINT64_MAX - 2, .size = 4096};
    struct fuse_write_in wi = {
        .fh = h->fh, .offset = UINT64_MAX - 2, .size = 4};
    struct fuse_rename2_in r2 = {.newdir = FUSE_ROOT_ID, .flags = 0xfffffff0u};
    struct fuse_lseek_in ls = {.fh = h->fh, .whence = 77};
    struct fuse_fallocate_in fa = {
        .fh = h->fh, .offset = UINT64_MAX - 2, .length = UINT64_MAX / 2};
    struct fuse_release_in rl = {0};
    struct fuse_getattr_in gi = {.getattr_flags = FUSE_GETATTR_FH,
                                 .fh = 0x5eed5eed5eed5eedull};
    uint16_t ext = 0xffff;
    uint64_t fh;
    uint32_t n;

    /* An INIT that is refused must leave the session as it was. */
    n = hst_msg(h, FUSE_INIT, 0, HDR + 8, &ii, sizeof(ii), NULL, 0, NULL, 0);
    hst_want_err(h, "INIT shorter than its struct", n, W, false, EINVAL,
                 H_ANY_ERROR);
    n = hst_msg(h, FUSE_GETATTR, FUSE_ROOT_ID, 0, &gi, sizeof(gi), NULL, 0,
                NULL, 0);
    memcpy(h->req + offsetof(struct fuse_in_header, total_extlen), &ext,
           sizeof(ext));
    hst_want_err(h, "total_extlen beyond len", n, W, false, EINVAL,
                 H_ANY_ERROR);
    n = hst_msg(h, FUSE_GETATTR, h->file_node, 0, &gi, sizeof(gi), NULL, 0,
                NULL, 0);
    hst_want_err(h, "GETATTR with a forged handle", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_READ, h->file_node, 0, &rd, sizeof(rd), NULL, 0, NULL,
                0);
    bounded(h, "READ at offset 2^64 - 3", n);
    n = hst_msg(h, FUSE_WRITE, h->file_node, 0, &wi, sizeof(wi), "evil", 4,
                NULL, 0);
    hst_want_err(h, "WRITE at offset 2^64 - 3", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_FALLOCATE, h->file_node, 0, &fa, sizeof(fa), NULL, 0,
                NULL, 0);
    hst_want_err(h, "FALLOCATE past 2^64", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_LSEEK, h->file_node, 0, &ls, sizeof(ls), NULL, 0, NULL,
                0);
    hst_want_err(h, "LSEEK with an unknown whence", n, W, false, H_ANY_ERROR);
    n = hst_msg(h, FUSE_RENAME2, FUSE_ROOT_ID, 0, &r2, sizeof(r2),
                "hstale\0hstale2", 15, NULL, 0);
    hst_want_err(h, "RENAME2 with unknown flags", n, W, false, EINVAL,
                 H_ANY_ERROR);
    if (!host_text_is(h, "hf", "hello\n")) {
        hst_fail(h, "ranges", "the file changed");
    }

    /* A released handle is gone; releasing it again harms nothing. */
    fh = hst_open(h, FUSE_OPEN, h->file_node, O_RDONLY);
    if (fh == UINT64_MAX) {
        return;
    }
    rl.fh = fh;
    if (hst_plain(h, "RELEASE", FUSE_RELEASE, h->file_node, &rl, sizeof(rl),
                  NULL, 0, NULL) != 0) {
        hst_fail(h, "RELEASE", "a handle just opened was not released");
        return;
    }
    rd.fh = fh;
    rd.offset = 0;
    n = hst_msg(h, FUSE_READ, h->file_node, 0, &rd, sizeof(rd), NULL, 0, NULL,
                0);
    hst_want_err(h, "READ with a released handle", n, W, false, EBADF,
                 H_ANY_ERROR);
    n = hst_msg(h, FUSE_RELEASE, h->file_node, 0, &rl, sizeof(rl), NULL, 0,
                NULL, 0);
    bounded(h, "RELEASE of a released handle", n);
    n = hst_msg(h, FUSE_READ, h->file_node, 0, &rd, sizeof(rd), NULL, 0, NULL,
                0);
    hst_want_err(h, "READ after a second RELEASE", n, W, false, EBADF,
                 H_ANY_ERROR);
}

static void chains(struct hst *h)
{
    struct fuse_getattr_in gi = {0};
    uint32_t n;

    /* No room for a reply header: nothing can be written. */
    n = hst_msg(h, FUSE_GETATTR, FUSE_ROOT_ID, 0, &gi, sizeof(gi), NULL, 0,
                NULL, 0);
    hst_want_empty(h, "writable area of 8 bytes", n, 8, false, false);
    /* Room for the header only: an error fits, the attributes do not. */
    n = hst_msg(h, FUSE_GETATTR, FUSE_ROOT_ID, 0, &gi, sizeof(gi), NULL, 0,
                NULL, 0);
    hst_want_err(h, "writable area of a header only", n,
                 (uint32_t)sizeof(struct fuse_out_header), true, H_ANY_ERROR);
    n = hst_msg(h, FUSE_GETATTR, FUSE_ROOT_ID, 0, &gi, sizeof(gi), NULL, 0,
                NULL, 0);
    hst_want_empty(h, "chain with only readable buffers", n, 0, false, false);
    hst_want_empty(h, "chain with only writable buffers", 0, W, false, false);
}

void hst_cases(struct hst *h)
{
    framing(h);
    names(h);
    sizes(h);
    opcodes_and_ids(h);
    handles(h);
    escapes(h);
    more(h);
    chains(h);
}

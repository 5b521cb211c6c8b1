/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check-ns.c - vhostfs-client check: names (SYMLINK, READLINK, LINK,
 * RENAME, RENAME2, MKNOD, ACCESS, UNLINK), directories (OPENDIR, READDIR,
 * READDIRPLUS, RELEASEDIR), xattrs, and the hiprio queue (FORGET,
 * INTERRUPT).  See check.c for the output and check.h for the helpers.
 *
 * Security model: directory listings are the backend's; every record is
 * bounds-checked (header, name length, record alignment) before its name
 * is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <unistd.h>
#include <linux/fs.h>

#include "check.h"

/* fs/fuse/fuse_i.h: an INTERRUPT's unique is its target's with bit 0. */
#define VFC_FUSE_INT_REQ_BIT 1ull

#define XNAME                "user.vhostfs-check"
#define XVALUE               "hello"

static ino_t host_ino(struct chk *c, const char *name)
{
    struct stat st;

    return lstat(chk_hpath(c, name), &st) < 0 ? 0 : st.st_ino;
}

static void do_symlink_readlink(struct chk *c)
{
    char target[PATH_MAX];
    ssize_t n;
    int len;

    len = chk_call_names(c, "SYMLINK", FUSE_SYMLINK, c->sub_node, NULL, 0,
                         "link", "file", sizeof(struct fuse_entry_out), 0);
    c->link_node = chk_entry(c, "SYMLINK", len, "link");
    if (!c->link_node) {
        return;
    }
    n = readlink(chk_hpath(c, "link"), target, sizeof(target));
    if (n != 4 || memcmp(target, "file", 4) != 0) {
        chk_fail(c, "SYMLINK", "host: link does not point to file");
        return;
    }
    chk_ok(c, "SYMLINK");
    len = chk_call(c, "READLINK", FUSE_READLINK, c->link_node, NULL, 0, NULL, 0,
                   PATH_MAX, 0);
    if (len == 4 && memcmp(c->reply, "file", 4) == 0) {
        chk_ok(c, "READLINK");
    } else if (len != INT_MIN) {
        chk_fail(c, "READLINK", "%d bytes, not \"file\"", len);
    }
}

static void do_link_rename(struct chk *c)
{
    struct fuse_link_in li = {.oldnodeid = c->file_node};
    struct fuse_rename_in ri = {.newdir = c->sub_node};
    struct fuse_rename2_in r2 = {.newdir = c->sub_node};
    ino_t file_ino = host_ino(c, "file"), copy_ino = host_ino(c, "copy");
    uint64_t node;
    int len;

    if (!chk_need(c, "LINK", c->file_node, "CREATE")) {
        return;
    }
    len = chk_call_names(c, "LINK", FUSE_LINK, c->sub_node, &li, sizeof(li),
                         "hard", NULL, sizeof(struct fuse_entry_out), 0);
    node = chk_entry(c, "LINK", len, "hard");
    if (node && (host_ino(c, "hard") != file_ino || node != c->file_node)) {
        chk_fail(c, "LINK", "host: hard is not file");
    } else if (node) {
        chk_ok(c, "LINK");
    }
    if (chk_call_names(c, "RENAME", FUSE_RENAME, c->sub_node, &ri, sizeof(ri),
                       "hard", "hard2", 0, 0) == 0) {
        if (host_ino(c, "hard") != 0 || host_ino(c, "hard2") != file_ino) {
            chk_fail(c, "RENAME", "host: hard not moved to hard2");
        } else {
            chk_ok(c, "RENAME");
        }
    }
    r2.flags = RENAME_NOREPLACE;
    len = chk_call_names(c, "RENAME2 (NOREPLACE)", FUSE_RENAME2, c->sub_node,
                         &r2, sizeof(r2), "hard2", "link", 0, -EEXIST);
    if (len == -EEXIST && host_ino(c, "hard2") == file_ino) {
        chk_ok(c, "RENAME2 (NOREPLACE)");
    } else if (len != INT_MIN) {
        chk_fail(c, "RENAME2 (NOREPLACE)", "replaced an existing name");
    }
    if (!copy_ino) {
        chk_fail(c, "RENAME2 (EXCHANGE)", "not run: no second file");
        return;
    }
    r2.flags = RENAME_EXCHANGE;
    ino_t link_ino = host_ino(c, "link");
    if (chk_call_names(c, "RENAME2 (EXCHANGE)", FUSE_RENAME2, c->sub_node, &r2,
                       sizeof(r2), "link", "copy", 0, 0) == 0) {
        if (host_ino(c, "link") != copy_ino ||
            host_ino(c, "copy") != link_ino) {
            chk_fail(c, "RENAME2 (EXCHANGE)", "host: names not exchanged");
        } else {
            chk_ok(c, "RENAME2 (EXCHANGE)");
        }
    }
}

static void do_mknod_access(struct chk *c)
{
    struct fuse_mknod_in mi = {.mode = S_IFIFO | 0644, .umask = 022};
    static const struct {
        const char *op;
        uint32_t mask;
    } acc[] = {{"ACCESS", R_OK | W_OK}, {"ACCESS (X_OK)", X_OK}};
    unsigned int i;
    struct stat st;
    int len;

    len = chk_call_names(c, "MKNOD", FUSE_MKNOD, c->sub_node, &mi, sizeof(mi),
                         "fifo", NULL, sizeof(struct fuse_entry_out), 0);
    c->fifo_node = chk_entry(c, "MKNOD", len, "fifo");
    if (c->fifo_node) {
        if (lstat(chk_hpath(c, "fifo"), &st) < 0 || !S_ISFIFO(st.st_mode)) {
            chk_fail(c, "MKNOD", "host: fifo is not a FIFO");
        } else {
            chk_ok(c, "MKNOD");
        }
    }
    if (!chk_need(c, "ACCESS", c->file_node, "CREATE")) {
        return;
    }
    /* The file is mode 0600 by now: root may read and write, not run. */
    for (i = 0; i < 2; i++) {
        struct fuse_access_in ai = {.mask = acc[i].mask};
        int want =
            access(chk_hpath(c, "file"), (int)acc[i].mask) < 0 ? -errno : 0;

        len = chk_call(c, acc[i].op, FUSE_ACCESS, c->file_node, &ai, sizeof(ai),
                       NULL, 0, 0, want);
        if (len == want) {
            chk_ok(c, acc[i].op);
        } else if (len != INT_MIN) {
            chk_fail(c, acc[i].op, "answered %d, the host says %d", len, want);
        }
    }
}

void chk_names(struct chk *c)
{
    if (!chk_need(c, "SYMLINK", c->sub_node, "MKDIR")) {
        return;
    }
    do_symlink_readlink(c);
    do_link_rename(c);
    do_mknod_access(c);
}

/* Is "name\0" in the list of @len bytes at @list? */
static bool in_list(const char *list, size_t len, const char *name)
{
    size_t off = 0;

    while (off < len) {
        size_t n = strnlen(list + off, len - off);

        if (n == strlen(name) && memcmp(list + off, name, n) == 0) {
            return true;
        }
        off += n + 1;
    }
    return false;
}

void chk_xattrs(struct chk *c)
{
    struct fuse_setxattr_in si = {.size = sizeof(XVALUE) - 1};
    struct fuse_getxattr_in gi = {.size = 0};
    struct fuse_getxattr_out go;
    char nv[sizeof(XNAME) + sizeof(XVALUE)], hlist[4096], buf[256];
    ssize_t n;
    int len;

    if (!chk_need(c, "SETXATTR", c->file_node, "CREATE")) {
        return;
    }
    /* "name\0value", the value without its NUL; the short setxattr_in
     * (FUSE_SETXATTR_EXT was not asked for). */
    memcpy(nv, XNAME, sizeof(XNAME));
    memcpy(nv + sizeof(XNAME), XVALUE, sizeof(XVALUE) - 1);
    len = chk_call(c, "SETXATTR", FUSE_SETXATTR, c->file_node, &si,
                   FUSE_COMPAT_SETXATTR_IN_SIZE, nv,
                   sizeof(XNAME) + sizeof(XVALUE) - 1, 0, 0);
    if (len != INT_MIN) {
        n = lgetxattr(chk_hpath(c, "file"), XNAME, buf, sizeof(buf));
        if (n == sizeof(XVALUE) - 1 && memcmp(buf, XVALUE, (size_t)n) == 0) {
            chk_ok(c, "SETXATTR");
        } else {
            chk_fail(c, "SETXATTR", "host: %s not set", XNAME);
        }
    }
    /* The others are checked on their own: the host sets the value. */
    if (lsetxattr(chk_hpath(c, "file"), XNAME, XVALUE, sizeof(XVALUE) - 1, 0) <
        0) {
        chk_fail(c, "GETXATTR", "host: cannot set %s: %s", XNAME,
                 strerror(errno));
        return;
    }
    n = sizeof(XVALUE) - 1;

    /* Size 0 asks for the size; then the value. */
    len = chk_call_names(c, "GETXATTR", FUSE_GETXATTR, c->file_node, &gi,
                         sizeof(gi), XNAME, NULL, sizeof(go), 0);
    memcpy(&go, c->reply, sizeof(go));
    if (len != INT_MIN && (len != (int)sizeof(go) || go.size != (uint32_t)n)) {
        chk_fail(c, "GETXATTR", "size %u, want %zd", go.size, n);
    } else if (len != INT_MIN) {
        gi.size = sizeof(buf);
        len = chk_call_names(c, "GETXATTR", FUSE_GETXATTR, c->file_node, &gi,
                             sizeof(gi), XNAME, NULL, sizeof(buf), 0);
        if (len == n && memcmp(c->reply, XVALUE, (size_t)n) == 0) {
            chk_ok(c, "GETXATTR");
        } else if (len != INT_MIN) {
            chk_fail(c, "GETXATTR", "%d bytes, not the value set", len);
        }
    }

    /* The list must be the host's, names in any order. */
    n = llistxattr(chk_hpath(c, "file"), hlist, sizeof(hlist));
    gi.size = sizeof(hlist);
    len = chk_call(c, "LISTXATTR", FUSE_LISTXATTR, c->file_node, &gi,
                   sizeof(gi), NULL, 0, sizeof(hlist), 0);
    if (len != INT_MIN) {
        size_t off = 0;
        bool same = n >= 0 && len == n && len > 0 && c->reply[len - 1] == '\0';

        while (same && off < (size_t)len) {
            const char *name = (const char *)c->reply + off;

            same = in_list(hlist, (size_t)n, name);
            off += strlen(name) + 1;
        }
        if (same && in_list(hlist, (size_t)n, XNAME)) {
            chk_ok(c, "LISTXATTR");
        } else {
            chk_fail(c, "LISTXATTR", "%d bytes, not the host's list (%zd)", len,
                     n);
        }
    }

    if (chk_call_names(c, "REMOVEXATTR", FUSE_REMOVEXATTR, c->file_node, NULL,
                       0, XNAME, NULL, 0, 0) == 0) {
        if (lgetxattr(chk_hpath(c, "file"), XNAME, buf, sizeof(buf)) >= 0 ||
            errno != ENODATA) {
            chk_fail(c, "REMOVEXATTR", "host: %s still there", XNAME);
        } else {
            chk_ok(c, "REMOVEXATTR");
        }
    }
}

/* --- directories -----------------------------------------------------------
 */

#define MAX_NAMES 16u

struct listing {
    char names[MAX_NAMES][NAME_MAX + 1];
    unsigned int n;
};

static bool listing_has(const struct listing *l, const char *name)
{
    unsigned int i;

    for (i = 0; i < l->n; i++) {
        if (strcmp(l->names[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static int host_listing(struct chk *c, struct listing *l)
{
    struct dirent *de;
    DIR *d = opendir(c->hsub);

    l->n = 0;
    if (!d) {
        return -errno;
    }
    while ((de = readdir(d)) && l->n < MAX_NAMES) {
        snprintf(l->names[l->n++], NAME_MAX + 1, "%s", de->d_name);
    }
    closedir(d);
    return 0;
}

/*
 * Walk one READDIR(PLUS) reply of @len bytes: every record bounds-checked
 * (fs/fuse/readdir.c parse_dirfile() rules), names appended to @l, attrs
 * of READDIRPLUS entries checked against the host.  Returns the offset of
 * the last record (0: empty reply) or -1 after a FAIL line.
 */
static int64_t parse_dir(struct chk *c, const char *op, bool plus, uint32_t len,
                         struct listing *l)
{
    size_t hdr = plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
    const uint8_t *p = c->reply;
    uint64_t last = 0;
    size_t off = 0;

    while (off < len) {
        union {
            struct fuse_direntplus plus;
            struct fuse_dirent d;
        } u;
        struct fuse_dirent *d = plus ? &u.plus.dirent : &u.d;
        size_t reclen;

        if (len - off < hdr) {
            chk_fail(c, op, "record header cut at %zu", off);
            return -1;
        }
        memcpy(&u, p + off, hdr);
        reclen = plus ? FUSE_DIRENTPLUS_SIZE(&u.plus) : FUSE_DIRENT_SIZE(d);
        if (d->namelen == 0 || d->namelen > NAME_MAX || reclen > len - off ||
            d->off > INT64_MAX) {
            chk_fail(c, op, "bad record at %zu (name length %u)", off,
                     d->namelen);
            return -1;
        }
        if (l->n == MAX_NAMES) {
            chk_fail(c, op, "more names than were made");
            return -1;
        }
        memcpy(l->names[l->n], p + off + hdr, d->namelen);
        l->names[l->n][d->namelen] = '\0';
        if (plus && u.plus.entry_out.nodeid != 0) {
            chk_remember(c, u.plus.entry_out.nodeid);
            if (!chk_attr(c, op, &u.plus.entry_out.attr,
                          chk_hpath(c, l->names[l->n]))) {
                return -1;
            }
        }
        l->n++;
        last = d->off;
        off += reclen;
    }
    return (int64_t)last;
}

/* OPENDIR, READDIR(PLUS) to the end, RELEASEDIR; compare with the host. */
static void list_dir(struct chk *c, const char *op, bool plus)
{
    struct fuse_open_in oi = {.flags = O_RDONLY | O_DIRECTORY};
    struct fuse_read_in ri = {.size = 4096};
    struct fuse_release_in rel = {0};
    struct listing got = {0}, host;
    struct fuse_open_out oo;
    unsigned int i, rounds;
    int len;

    len = chk_call(c, "OPENDIR", FUSE_OPENDIR, c->sub_node, &oi, sizeof(oi),
                   NULL, 0, sizeof(oo), 0);
    if (len == INT_MIN) {
        return;
    }
    if (len != (int)sizeof(oo)) {
        chk_fail(c, "OPENDIR", "reply of %d bytes", len);
        return;
    }
    memcpy(&oo, c->reply, sizeof(oo));
    if (!plus) {
        chk_ok(c, "OPENDIR");
    }
    ri.fh = oo.fh;
    /* Small replies, so that the offsets are used; bounded rounds. */
    for (rounds = 0; rounds < 2 * MAX_NAMES; rounds++) {
        int64_t next;

        ri.size = plus ? 512 : 96;
        len = chk_call(c, op, plus ? FUSE_READDIRPLUS : FUSE_READDIR,
                       c->sub_node, &ri, sizeof(ri), NULL, 0, ri.size, 0);
        if (len == INT_MIN) {
            goto release;
        }
        if (len == 0) {
            break;
        }
        next = parse_dir(c, op, plus, (uint32_t)len, &got);
        if (next < 0) {
            goto release;
        }
        ri.offset = (uint64_t)next;
    }
    if (host_listing(c, &host) < 0) {
        chk_fail(c, op, "host: cannot list %s", c->hsub);
        goto release;
    }
    for (i = 0; i < host.n; i++) {
        if (!listing_has(&got, host.names[i])) {
            chk_fail(c, op, "%s missing (%u names listed, host has %u)",
                     host.names[i], got.n, host.n);
            goto release;
        }
    }
    if (got.n != host.n) {
        chk_fail(c, op, "%u names listed, host has %u", got.n, host.n);
    } else {
        chk_ok(c, op);
    }
release:
    rel.fh = oo.fh;
    len = chk_call(c, "RELEASEDIR", FUSE_RELEASEDIR, c->sub_node, &rel,
                   sizeof(rel), NULL, 0, 0, 0);
    if (len == 0 && plus) {
        chk_ok(c, "RELEASEDIR");
    }
}

void chk_dirs(struct chk *c)
{
    if (!chk_need(c, "READDIR", c->sub_node, "MKDIR")) {
        return;
    }
    list_dir(c, "READDIR", false);
    list_dir(c, "READDIRPLUS", true);
}

/* --- the hiprio queue ------------------------------------------------------
 */

/*
 * INTERRUPT, sent before the request it interrupts: FUSE allows the two
 * to arrive in either order (Documentation/filesystems/fuse.rst,
 * "Interrupting filesystem operations"), and only this order is
 * deterministic for a client that cannot keep a request blocked in every
 * backend.  The backend may answer the INTERRUPT with nothing or EAGAIN,
 * and the request (a GETATTR) normally or with EINTR; either way, every
 * answer must come in the buffers of the request it belongs to.  The
 * INTERRUPT's unique is its target's with bit 0 set (fs/fuse/dev.c).
 */
static void do_interrupt(struct chk *c)
{
    struct fuse_interrupt_in ii = {.unique = vfc_fuse_take_unique()};
    struct fuse_getattr_in gi = {0};
    struct fuse_attr_out ao;
    struct vfc_req r = {
        .hiprio = true,
        .reply_optional = true,
        .opcode = FUSE_INTERRUPT,
        .unique = ii.unique | VFC_FUSE_INT_REQ_BIT,
        .arg = {&ii},
        .arg_len = {sizeof(ii)},
        .nargs = 1,
    };
    struct vfc_req target = {
        .opcode = FUSE_GETATTR,
        .nodeid = FUSE_ROOT_ID,
        .unique = ii.unique,
        .arg = {&gi},
        .arg_len = {sizeof(gi)},
        .nargs = 1,
        .out = &ao,
        .out_size = sizeof(ao),
    };

    if (vfc_fuse_call(c->v, &r) < 0) {
        chk_fail(c, "INTERRUPT", "%s", vfc_fuse_why);
        return;
    }
    if (r.replied && r.error == -ENOSYS) {
        printf("unsupported INTERRUPT (ENOSYS)\n");
        c->n_unsup++;
        return;
    }
    if (r.replied && r.error != -EAGAIN) {
        chk_fail(c, "INTERRUPT", "answered %d", r.error);
        return;
    }
    if (vfc_fuse_call(c->v, &target) < 0) {
        chk_fail(c, "INTERRUPT", "the interrupted GETATTR: %s", vfc_fuse_why);
    } else if (target.error != 0 && target.error != -EINTR) {
        chk_fail(c, "INTERRUPT", "the interrupted GETATTR answered %d",
                 target.error);
    } else if (target.error == 0 && target.out_len != sizeof(ao)) {
        chk_fail(c, "INTERRUPT", "the interrupted GETATTR: %u bytes",
                 target.out_len);
    } else {
        chk_ok(c, "INTERRUPT");
    }
}

void chk_queue_level(struct chk *c)
{
    do_interrupt(c);
}

/* FORGET the fifo's lookups (after its UNLINK, as a kernel would): a
 * chain with nothing writable, on the hiprio queue. */
static void do_forget(struct chk *c)
{
    struct fuse_forget_in fi = {.nlookup = 0};
    struct vfc_req r = {.hiprio = true, .no_reply = true};
    unsigned int i;

    for (i = 0; i < c->nnodes; i++) {
        if (c->node[i] == c->fifo_node) {
            fi.nlookup = c->nlookup[i];
            c->nlookup[i] = 0;
            break;
        }
    }
    if (!chk_need(c, "FORGET", fi.nlookup, "MKNOD")) {
        return;
    }
    r.opcode = FUSE_FORGET;
    r.nodeid = c->fifo_node;
    r.arg[0] = &fi;
    r.arg_len[0] = sizeof(fi);
    r.nargs = 1;
    if (vfc_fuse_call(c->v, &r) < 0) {
        chk_fail(c, "FORGET", "%s", vfc_fuse_why);
    } else {
        chk_ok(c, "FORGET");
    }
}

void chk_cleanup_names(struct chk *c)
{
    static const char *const names[] = {"file", "hard2", "link", "copy",
                                        "fifo"};
    unsigned int i, done = 0;
    bool failed = false;

    if (!chk_need(c, "UNLINK", c->sub_node, "MKDIR")) {
        return;
    }
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (host_ino(c, names[i]) == 0) {
            continue; /* a failed step did not make it */
        }
        if (chk_call_names(c, "UNLINK", FUSE_UNLINK, c->sub_node, NULL, 0,
                           names[i], NULL, 0, 0) != 0) {
            failed = true;
            break;
        }
        if (host_ino(c, names[i]) != 0) {
            chk_fail(c, "UNLINK", "host: %s still there", names[i]);
            failed = true;
            break;
        }
        done++;
    }
    if (failed) {
        /* said above */
    } else if (done) {
        chk_ok(c, "UNLINK");
    } else {
        chk_fail(c, "UNLINK", "not run: nothing was made");
    }
    do_forget(c);
}

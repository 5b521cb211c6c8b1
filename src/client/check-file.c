/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check-file.c - vhostfs-client check: a regular file's operations
 * (CREATE, WRITE, READ, FLUSH, FSYNC, GETATTR with a handle, SETATTR,
 * FALLOCATE, LSEEK, GETLK/SETLK, COPY_FILE_RANGE, OPEN, RELEASE), each
 * checked against the host's view of the file.  See check.c for the
 * output and check.h for the helpers.
 *
 * Security model: replies are the backend's; every body's size is
 * checked before a field of it is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define PATTERN_LEN 12345u
#define TRUNC_LEN   4000u
#define ALLOC_LEN   65536u

static uint8_t pattern[PATTERN_LEN];

/* Host file @name holds exactly @want (@len bytes). */
static bool host_content(struct chk *c, const char *op, const char *name,
                         const void *want, size_t len)
{
    static uint8_t buf[PATTERN_LEN + 1];
    ssize_t n = -1;
    int fd = open(chk_hpath(c, name), O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        n = pread(fd, buf, sizeof(buf), 0);
        close(fd);
    }
    if (n < 0 || (size_t)n != len || memcmp(buf, want, len) != 0) {
        chk_fail(c, op, "host file %s: %zd bytes, not the %zu expected", name,
                 n, len);
        return false;
    }
    return true;
}

static void do_create_write_read(struct chk *c)
{
    struct fuse_create_in ci = {.flags = O_RDWR | O_CREAT | O_EXCL,
                                .mode = S_IFREG | 0644,
                                .umask = 022};
    struct fuse_write_in wi = {.size = PATTERN_LEN, .flags = O_RDWR};
    struct fuse_read_in ri = {.size = 65536, .flags = O_RDWR};
    struct fuse_write_out wo;
    struct fuse_open_out oo;
    int len;

    if (!chk_need(c, "CREATE", c->sub_node, "MKDIR")) {
        return;
    }
    len = chk_call_names(c, "CREATE", FUSE_CREATE, c->sub_node, &ci, sizeof(ci),
                         "file", NULL,
                         sizeof(struct fuse_entry_out) + sizeof(oo), 0);
    if (len == INT_MIN) {
        return;
    }
    if (len != (int)(sizeof(struct fuse_entry_out) + sizeof(oo))) {
        chk_fail(c, "CREATE", "reply of %d bytes", len);
        return;
    }
    memcpy(&oo, c->reply + sizeof(struct fuse_entry_out), sizeof(oo));
    c->file_node =
        chk_entry(c, "CREATE", sizeof(struct fuse_entry_out), "file");
    if (!c->file_node) {
        return;
    }
    c->fh = oo.fh;
    chk_ok(c, "CREATE");

    wi.fh = c->fh;
    len = chk_call(c, "WRITE", FUSE_WRITE, c->file_node, &wi, sizeof(wi),
                   pattern, PATTERN_LEN, sizeof(wo), 0);
    if (len != INT_MIN) {
        memcpy(&wo, c->reply, sizeof(wo));
        if (len != (int)sizeof(wo) || wo.size != PATTERN_LEN) {
            chk_fail(c, "WRITE", "wrote %u bytes of %u (reply %d bytes)",
                     wo.size, PATTERN_LEN, len);
        } else if (host_content(c, "WRITE", "file", pattern, PATTERN_LEN)) {
            chk_ok(c, "WRITE");
        }
    }

    ri.fh = c->fh;
    len = chk_call(c, "READ", FUSE_READ, c->file_node, &ri, sizeof(ri), NULL, 0,
                   ri.size, 0);
    if (len == INT_MIN) {
        return;
    }
    if (len != PATTERN_LEN || memcmp(c->reply, pattern, PATTERN_LEN) != 0) {
        chk_fail(c, "READ", "%d bytes, not the %u written", len, PATTERN_LEN);
        return;
    }
    ri.offset = 1000;
    ri.size = 100;
    len = chk_call(c, "READ", FUSE_READ, c->file_node, &ri, sizeof(ri), NULL, 0,
                   ri.size, 0);
    if (len == 100 && memcmp(c->reply, pattern + 1000, 100) == 0) {
        chk_ok(c, "READ");
    } else if (len != INT_MIN) {
        chk_fail(c, "READ", "at offset 1000: %d bytes, not those written", len);
    }
}

static void do_flush_fsync(struct chk *c)
{
    struct fuse_flush_in fl = {.fh = c->fh, .lock_owner = 0x1111};
    struct fuse_fsync_in fs = {.fh = c->fh};

    if (!chk_need(c, "FLUSH", c->file_node, "CREATE") ||
        !chk_need(c, "FSYNC", c->file_node, "CREATE")) {
        return;
    }
    if (chk_call(c, "FLUSH", FUSE_FLUSH, c->file_node, &fl, sizeof(fl), NULL, 0,
                 0, 0) == 0) {
        chk_ok(c, "FLUSH");
    }
    if (chk_call(c, "FSYNC", FUSE_FSYNC, c->file_node, &fs, sizeof(fs), NULL, 0,
                 0, 0) == 0) {
        chk_ok(c, "FSYNC");
    }
}

/* SETATTR @in; the reply's attributes must match the host. */
static bool setattr(struct chk *c, const char *op, struct fuse_setattr_in *in)
{
    struct fuse_attr_out ao;
    int len;

    len = chk_call(c, op, FUSE_SETATTR, c->file_node, in, sizeof(*in), NULL, 0,
                   sizeof(ao), 0);
    if (len == INT_MIN) {
        return false;
    }
    if (len != (int)sizeof(ao)) {
        chk_fail(c, op, "reply of %d bytes", len);
        return false;
    }
    memcpy(&ao, c->reply, sizeof(ao));
    return chk_attr(c, op, &ao.attr, chk_hpath(c, "file"));
}

static void do_getattr_setattr(struct chk *c)
{
    struct fuse_getattr_in gi = {.getattr_flags = FUSE_GETATTR_FH, .fh = c->fh};
    struct fuse_setattr_in si;
    struct fuse_attr_out ao;
    struct stat st;
    int len;

    if (!chk_need(c, "SETATTR", c->file_node, "CREATE")) {
        return;
    }
    len = chk_call(c, "GETATTR (fh)", FUSE_GETATTR, c->file_node, &gi,
                   sizeof(gi), NULL, 0, sizeof(ao), 0);
    if (len != INT_MIN) {
        memcpy(&ao, c->reply, sizeof(ao));
        if (len != (int)sizeof(ao) || ao.attr.size != PATTERN_LEN) {
            chk_fail(c, "GETATTR (fh)", "reply of %d bytes, size %llu", len,
                     (unsigned long long)ao.attr.size);
        } else if (chk_attr(c, "GETATTR (fh)", &ao.attr,
                            chk_hpath(c, "file"))) {
            chk_ok(c, "GETATTR (fh)");
        }
    }
    si = (struct fuse_setattr_in){
        .valid = FATTR_SIZE | FATTR_FH, .fh = c->fh, .size = TRUNC_LEN};
    if (setattr(c, "SETATTR (size)", &si) &&
        host_content(c, "SETATTR (size)", "file", pattern, TRUNC_LEN)) {
        chk_ok(c, "SETATTR (size)");
    }
    si = (struct fuse_setattr_in){.valid = FATTR_MODE, .mode = 0600};
    if (setattr(c, "SETATTR (mode)", &si)) {
        lstat(chk_hpath(c, "file"), &st);
        if ((st.st_mode & 07777) == 0600) {
            chk_ok(c, "SETATTR (mode)");
        } else {
            chk_fail(c, "SETATTR (mode)", "host mode %o", st.st_mode);
        }
    }
    si = (struct fuse_setattr_in){.valid = FATTR_ATIME | FATTR_MTIME,
                                  .atime = 1000000000,
                                  .atimensec = 123456789,
                                  .mtime = 1100000000,
                                  .mtimensec = 987654321};
    if (setattr(c, "SETATTR (times)", &si)) {
        lstat(chk_hpath(c, "file"), &st);
        if (st.st_atim.tv_sec == 1000000000 &&
            st.st_atim.tv_nsec == 123456789 &&
            st.st_mtim.tv_sec == 1100000000 &&
            st.st_mtim.tv_nsec == 987654321) {
            chk_ok(c, "SETATTR (times)");
        } else {
            chk_fail(c, "SETATTR (times)",
                     "host atime %lld.%09ld mtime "
                     "%lld.%09ld",
                     (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
                     (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        }
    }
}

static void do_fallocate_lseek(struct chk *c)
{
    struct fuse_fallocate_in fa = {.fh = c->fh, .length = ALLOC_LEN};
    struct fuse_lseek_in li = {.fh = c->fh};
    static const int whence[] = {SEEK_DATA, SEEK_HOLE};
    struct fuse_lseek_out lo;
    struct stat st;
    unsigned int i;
    int len, fd;

    if (!chk_need(c, "FALLOCATE", c->file_node, "CREATE") ||
        !chk_need(c, "LSEEK", c->file_node, "CREATE")) {
        return;
    }
    if (chk_call(c, "FALLOCATE", FUSE_FALLOCATE, c->file_node, &fa, sizeof(fa),
                 NULL, 0, 0, 0) == 0) {
        if (lstat(chk_hpath(c, "file"), &st) == 0 && st.st_size == ALLOC_LEN) {
            chk_ok(c, "FALLOCATE");
        } else {
            chk_fail(c, "FALLOCATE", "host size %lld, want %u",
                     (long long)st.st_size, ALLOC_LEN);
        }
    }
    fd = open(chk_hpath(c, "file"), O_RDONLY | O_CLOEXEC);
    for (i = 0; i < 2; i++) {
        off_t want = fd < 0 ? -1 : lseek(fd, 0, whence[i]);

        li.whence = (uint32_t)whence[i];
        len = chk_call(c, "LSEEK", FUSE_LSEEK, c->file_node, &li, sizeof(li),
                       NULL, 0, sizeof(lo), 0);
        if (len == INT_MIN) {
            break;
        }
        memcpy(&lo, c->reply, sizeof(lo));
        if (len != (int)sizeof(lo) || (off_t)lo.offset != want) {
            chk_fail(c, "LSEEK", "whence %d: offset %llu, host says %lld",
                     whence[i], (unsigned long long)lo.offset, (long long)want);
            break;
        }
        if (i == 1) {
            chk_ok(c, "LSEEK");
        }
    }
    if (fd >= 0) {
        close(fd);
    }
}

/* The lock the host sees on [0, 99] of the file, through an OFD lock. */
static int host_lock_type(struct chk *c)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 100};
    int fd = open(chk_hpath(c, "file"), O_RDWR | O_CLOEXEC);
    int rc;

    if (fd < 0) {
        return -1;
    }
    rc = fcntl(fd, F_OFD_GETLK, &fl);
    close(fd);
    return rc < 0 ? -1 : fl.l_type;
}

/*
 * SETLK, GETLK and an unlock, each seen from the host through OFD locks
 * (which conflict with the daemon's OFD and POSIX locks alike).  When
 * SETLK is not there, the host holds the lock itself, so that GETLK is
 * still checked on its own.
 */
static void do_locks(struct chk *c)
{
    struct fuse_lk_in li = {
        .fh = c->fh,
        .owner = 0x1111,
        .lk = {
            .start = 0, .end = 99, .type = F_WRLCK, .pid = (uint32_t)getpid()}};
    struct flock hl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 100};
    struct fuse_lk_out lo;
    bool locked = false;
    int len, t, hfd = -1;

    if (!chk_need(c, "SETLK", c->file_node, "CREATE") ||
        !chk_need(c, "GETLK", c->file_node, "CREATE")) {
        return;
    }
    if (chk_call(c, "SETLK", FUSE_SETLK, c->file_node, &li, sizeof(li), NULL, 0,
                 0, 0) == 0) {
        locked = true;
        t = host_lock_type(c);
        if (t != F_WRLCK) {
            chk_fail(c, "SETLK", "the host sees lock type %d, not F_WRLCK", t);
        } else {
            chk_ok(c, "SETLK");
        }
    } else {
        hfd = open(chk_hpath(c, "file"), O_RDWR | O_CLOEXEC);
        if (hfd < 0 || fcntl(hfd, F_OFD_SETLK, &hl) < 0) {
            chk_fail(c, "GETLK", "host: cannot lock the file: %s",
                     strerror(errno));
            goto out;
        }
    }
    /* Another owner asks: the first one's lock conflicts.  As
     * fs/fuse/file.c does, GETLK and unlocks carry no pid. */
    li.owner = 0x2222;
    li.lk.pid = 0;
    len = chk_call(c, "GETLK", FUSE_GETLK, c->file_node, &li, sizeof(li), NULL,
                   0, sizeof(lo), 0);
    if (len != INT_MIN) {
        memcpy(&lo, c->reply, sizeof(lo));
        if (len != (int)sizeof(lo) || lo.lk.type != F_WRLCK) {
            chk_fail(c, "GETLK", "reply %d bytes, type %u, want F_WRLCK", len,
                     lo.lk.type);
        } else {
            chk_ok(c, "GETLK");
        }
    }
    li.owner = 0x1111;
    li.lk.type = F_UNLCK;
    if (locked && chk_call(c, "SETLK (unlock)", FUSE_SETLK, c->file_node, &li,
                           sizeof(li), NULL, 0, 0, 0) == 0) {
        t = host_lock_type(c);
        if (t != F_UNLCK) {
            chk_fail(c, "SETLK (unlock)", "the host still sees type %d", t);
        } else {
            chk_ok(c, "SETLK (unlock)");
        }
    }
out:
    if (hfd >= 0) {
        close(hfd);
    }
}

static void do_copy_open_release(struct chk *c)
{
    struct fuse_create_in ci = {.flags = O_WRONLY | O_CREAT | O_EXCL,
                                .mode = S_IFREG | 0644};
    struct fuse_copy_file_range_in cr = {.fh_in = c->fh, .len = TRUNC_LEN};
    struct fuse_release_in rel = {.flags = O_WRONLY};
    struct fuse_open_in oi = {.flags = O_RDONLY};
    struct fuse_write_out wo;
    struct fuse_open_out oo;
    int len;

    if (!chk_need(c, "COPY_FILE_RANGE", c->file_node, "CREATE")) {
        return;
    }
    len = chk_call_names(c, "CREATE (second file)", FUSE_CREATE, c->sub_node,
                         &ci, sizeof(ci), "copy", NULL,
                         sizeof(struct fuse_entry_out) + sizeof(oo), 0);
    if (len == (int)(sizeof(struct fuse_entry_out) + sizeof(oo))) {
        memcpy(&oo, c->reply + sizeof(struct fuse_entry_out), sizeof(oo));
        c->copy_node = chk_entry(c, "CREATE (second file)",
                                 sizeof(struct fuse_entry_out), "copy");
    } else if (len != INT_MIN) {
        chk_fail(c, "CREATE (second file)", "reply of %d bytes", len);
    }
    if (c->copy_node) {
        cr.nodeid_out = c->copy_node;
        cr.fh_out = oo.fh;
        len = chk_call(c, "COPY_FILE_RANGE", FUSE_COPY_FILE_RANGE, c->file_node,
                       &cr, sizeof(cr), NULL, 0, sizeof(wo), 0);
        if (len != INT_MIN) {
            memcpy(&wo, c->reply, sizeof(wo));
            if (len != (int)sizeof(wo) || wo.size != TRUNC_LEN) {
                chk_fail(c, "COPY_FILE_RANGE", "copied %u of %u bytes", wo.size,
                         TRUNC_LEN);
            } else if (host_content(c, "COPY_FILE_RANGE", "copy", pattern,
                                    TRUNC_LEN)) {
                chk_ok(c, "COPY_FILE_RANGE");
            }
        }
        rel.fh = oo.fh;
        chk_call(c, "RELEASE", FUSE_RELEASE, c->copy_node, &rel, sizeof(rel),
                 NULL, 0, 0, 0);
    }
    rel = (struct fuse_release_in){.fh = c->fh,
                                   .flags = O_RDWR,
                                   .release_flags = FUSE_RELEASE_FLUSH,
                                   .lock_owner = 0x1111};
    if (chk_call(c, "RELEASE", FUSE_RELEASE, c->file_node, &rel, sizeof(rel),
                 NULL, 0, 0, 0) == 0) {
        chk_ok(c, "RELEASE");
    }
    len = chk_call(c, "OPEN", FUSE_OPEN, c->file_node, &oi, sizeof(oi), NULL, 0,
                   sizeof(oo), 0);
    if (len != INT_MIN) {
        if (len != (int)sizeof(oo)) {
            chk_fail(c, "OPEN", "reply of %d bytes", len);
            return;
        }
        memcpy(&oo, c->reply, sizeof(oo));
        rel = (struct fuse_release_in){.fh = oo.fh, .flags = O_RDONLY};
        if (chk_call(c, "OPEN", FUSE_RELEASE, c->file_node, &rel, sizeof(rel),
                     NULL, 0, 0, 0) == 0) {
            chk_ok(c, "OPEN");
        }
    }
}

void chk_files(struct chk *c)
{
    unsigned int i;

    for (i = 0; i < PATTERN_LEN; i++) {
        pattern[i] = (uint8_t)(i * 7 + i / 251);
    }
    do_create_write_read(c);
    do_flush_fsync(c);
    do_getattr_setattr(c);
    do_fallocate_lseek(c);
    do_locks(c);
    do_copy_open_release(c);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* pt-harness.c - see pt-harness.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pt-harness.h"
#include "test.h"

const struct fs_ctx pth_root_ctx = {.uid = 0, .gid = 0, .pid = 1};

void pth_dirbuf_init(struct fs_dirbuf *db, unsigned int room, bool plus)
{
    memset(db, 0, sizeof(*db));
    db->room = room > PTH_MAX_DIRENTS ? PTH_MAX_DIRENTS : room;
    db->plus = plus;
}

int fs_dirbuf_add(struct fs_dirbuf *db, const char *name, size_t namelen,
                  uint64_t ino, uint32_t type, uint64_t off,
                  const struct fuse_entry_out *entry)
{
    struct pth_dirent *d;

    if (namelen == 0 || namelen > 255) {
        return -EINVAL;
    }
    if (db->n >= db->room) {
        return -ENOSPC;
    }
    d = &db->ents[db->n++];
    memcpy(d->name, name, namelen);
    d->name[namelen] = '\0';
    d->ino = ino;
    d->type = type;
    d->off = off;
    d->plus = db->plus && entry;
    if (d->plus) {
        d->entry = *entry;
    }
    return 0;
}

bool fs_dirbuf_fits(const struct fs_dirbuf *db, size_t namelen)
{
    (void)namelen;
    return db->n < db->room;
}

struct pt_fs *pth_fs(const struct pt_options *o, const char **dir)
{
    static char path[PATH_MAX];
    struct pt_options def;
    struct pt_fs *fs = NULL;
    int rc;

    if (!o) {
        pt_options_default(&def);
        o = &def;
    }
    def = *o;
    /* PT_TEST_FILE_HANDLES=1: run the cases with file handles preferred */
    if (getenv("PT_TEST_FILE_HANDLES") &&
        def.inode_file_handles == PT_FH_NEVER) {
        def.inode_file_handles = PT_FH_PREFER;
    }
    o = &def;
    snprintf(path, sizeof(path), "%s/share", test_tmpdir());
    if (mkdir(path, 0755) < 0) {
        test_fail(__FILE__, __LINE__, "mkdir %s: %s", path, strerror(errno));
    }
    rc = pt_create(path, o, &fs);
    if (rc < 0) {
        test_fail(__FILE__, __LINE__, "pt_create: %s", strerror(-rc));
    }
    if (dir) {
        *dir = path;
    }
    return fs;
}

struct pt_fs *pt_fs_from_share(const struct pt_options *o, const char *dir)
{
    struct pt_fs *fs = NULL;
    int rc = pt_create(dir, o, &fs);

    if (rc < 0) {
        test_fail(__FILE__, __LINE__, "pt_create: %s", strerror(-rc));
    }
    return fs;
}

int64_t pth_lookup(struct pt_fs *fs, uint64_t parent, const char *name)
{
    struct fuse_entry_out e;
    int rc;

    memset(&e, 0, sizeof(e));
    rc = PT.lookup(fs, &pth_root_ctx, parent, name, &e);
    return rc < 0 ? rc : (int64_t)e.nodeid;
}

const char *pth_path(const char *dir, const char *rel)
{
    static char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    return path;
}

void pth_write_file(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
        test_fail(__FILE__, __LINE__, "write %s: %s", path, strerror(errno));
    }
    close(fd);
}

struct fuse_entry_out pth_entry(struct pt_fs *fs, uint64_t parent,
                                const char *name)
{
    struct fuse_entry_out e;

    memset(&e, 0, sizeof(e));
    ASSERT_OK(PT.lookup(fs, &pth_root_ctx, parent, name, &e));
    return e;
}

uint64_t pth_create(struct pt_fs *fs, uint64_t parent, const char *name,
                    mode_t mode, uint64_t *nodeid)
{
    struct fuse_entry_out e;
    struct fuse_open_out o;

    memset(&e, 0, sizeof(e));
    memset(&o, 0, sizeof(o));
    ASSERT_OK(PT.create(fs, &pth_root_ctx, parent, name, S_IFREG | mode, O_RDWR,
                        0, &e, &o));
    ASSERT_NE(e.nodeid, 0);
    *nodeid = e.nodeid;
    return o.fh;
}

uint64_t pth_open(struct pt_fs *fs, uint64_t nodeid, uint32_t flags)
{
    struct fuse_open_out o;

    memset(&o, 0, sizeof(o));
    ASSERT_OK(PT.open(fs, &pth_root_ctx, nodeid, flags, 0, &o));
    return o.fh;
}

void pth_write(struct pt_fs *fs, uint64_t nodeid, uint64_t fh, uint64_t off,
               const char *s)
{
    struct iovec iov = {.iov_base = (void *)s, .iov_len = strlen(s)};

    ASSERT_EQ(PT.write(fs, &pth_root_ctx, nodeid, fh, off, &iov, 1, 0),
              (ssize_t)strlen(s));
}

struct fuse_attr pth_attr(struct pt_fs *fs, uint64_t nodeid)
{
    struct fuse_attr_out a;

    memset(&a, 0, sizeof(a));
    ASSERT_OK(PT.getattr(fs, &pth_root_ctx, nodeid, NULL, &a));
    return a.attr;
}

void pth_slurp(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    ssize_t n;

    ASSERT_GE(fd, 0);
    n = read(fd, buf, size - 1);
    ASSERT_GE(n, 0);
    buf[n] = '\0';
    close(fd);
}

struct fuse_file_lock pth_lock(uint32_t type, uint64_t start, uint64_t end)
{
    struct fuse_file_lock lk = {.start = start, .end = end, .type = type};

    return lk;
}

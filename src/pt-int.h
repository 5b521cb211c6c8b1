/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt-int.h - what the files of the passthrough filesystem share.
 *
 * Security model: node ids, file handles (fh), names, flags, modes and
 * offsets come from the guest and are not trusted.  A node id or fh is an
 * index plus a generation; a stale or forged one finds no live slot and
 * fails with -ENOENT (inodes) or -EBADF (fh), as fs-ops.h asks.  A name is one
 * path component: no '/', not empty, not "." or ".." (LOOKUP alone maps them),
 * at most NAME_MAX bytes.  Every path operation is an *at() call on a parent
 * directory fd with that one component and never follows a symlink in it;
 * lookups go through openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS) where the kernel has it.  The daemon opens (for
 * I/O) only regular files and directories, after checking the type of the
 * inode it already holds: device nodes, FIFOs, sockets and symlinks are
 * refused with -ENXIO (the guest's FUSE driver handles special files itself
 * and never asks to open them), so the daemon never blocks on a FIFO and
 * never talks to a device.
 *
 * Hard links: a file outside the share that the host administrator
 * hard-linked into it is, by name, indistinguishable from any other file of
 * the share, and its data is served like theirs.  What is guaranteed: the
 * guest can only name inodes that it looked up inside the share, so LINK
 * (and RENAME) can neither bring an outside inode in nor put a shared one
 * out; other mounts are told apart by their mount id, and announced to the
 * guest as submounts when asked.
 *
 * Credentials: the guest's kernel checks permissions against the
 * attributes it was given (virtio-fs mounts with default_permissions), so
 * most requests run as the daemon.  The caller's uid, gid and umask are
 * taken (pt-creds.c) where only the host can get it right: the owner and
 * mode of new nodes (MKNOD, MKDIR, SYMLINK, CREATE, TMPFILE) and ACCESS.
 *
 * Not defended here: the host moving a directory that the guest holds out
 * of the share (its fd then leads outside).  The daemon's sandbox (mount
 * namespace with the share as its root) is the defence against that.
 */
#ifndef VHOSTFS_PT_INT_H
#define VHOSTFS_PT_INT_H

#include <fcntl.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fs-ops.h"
#include "pt.h"

/* Slots live in chunks that never move: a pinned pointer stays valid. */
#define PT_CHUNK_SHIFT 10
#define PT_CHUNK_SLOTS (1u << PT_CHUNK_SHIFT)
/* Slot indices are 32 bits; the high 32 bits of an id are the generation. */
#define PT_MAX_SLOTS (1u << 30)

/* A POSIX lock owner's own fd on an inode (OFD locks on it). */
struct pt_plock {
    uint64_t owner;
    int fd;
    struct pt_plock *next;
};

/*
 * One inode the guest holds.  The key, type, fd and handle are set before
 * the slot becomes visible and do not change until it is freed.  The
 * table has one per inode: the fields are ordered for little padding.
 */
struct pt_inode {
    uint64_t dev, ino, mnt_id; /* the key */
    struct file_handle *fh;    /* malloc'd, or NULL */
    mode_t type;               /* S_IFMT bits */
    int fd;                    /* O_PATH fd, or -1 when @fh is set */
    int mount_fd;              /* for open_by_handle_at (owned by the fs) */
    /* protected by the table's lock */
    uint32_t pins;    /* requests using this inode now */
    uint64_t nlookup; /* the guest's references (LOOKUP .. FORGET) */
    uint32_t gen;     /* bumped when the slot is freed */
    uint32_t hnext;   /* hash chain / free list: slot index, 0 = end */
    uint32_t idx;     /* own slot index */
    bool used;
    bool hashed; /* found by its key (a stale handle's inode is not) */
    /* protected by the inode's plock lock (pt_inode_plock_lock()) */
    struct pt_plock *plocks;
};

/*
 * Locks of the inodes' plocks lists, shared by slot index: a mutex in each
 * inode would be a third of its size, for the few that see POSIX locks.
 */
#define PT_PLOCK_STRIPES 64

struct pt_itable {
    pthread_mutex_t lock;
    /* all protected by @lock */
    struct pt_inode **chunks;
    uint32_t nchunks;
    uint32_t nslots;    /* slots handed out so far (index 0 never is) */
    uint32_t free_head; /* free slot list through hnext, 0 = empty */
    uint32_t *buckets;  /* hash heads: slot index, 0 = empty */
    uint32_t nbuckets;  /* a power of two */
    uint32_t count;     /* live inodes */
    uint32_t nfds;      /* live inodes holding an fd */
    pthread_mutex_t plock_locks[PT_PLOCK_STRIPES];
};

/* getdents64 buffer of an open directory. */
#define PT_DIRBUF_SIZE 8192

/* An open file or directory of the guest. */
struct pt_file {
    int fd;          /* owned, closed when the last pin goes */
    uint64_t nodeid; /* the inode it was opened on */
    /* protected by the file table's lock */
    uint32_t pins;
    uint32_t gen;
    uint32_t hnext; /* free list */
    uint32_t idx;   /* own slot index */
    bool used, released;
    bool is_dir;
    /* directories: protected by @dir_lock */
    pthread_mutex_t dir_lock;
    char *dirbuf; /* getdents64 buffer, malloc'd at OPENDIR */
    size_t dirbuf_len, dirbuf_pos;
    uint64_t dir_off; /* the offset the next getdents64 entry has */
};

struct pt_ftable {
    pthread_mutex_t lock;
    /* all protected by @lock */
    struct pt_file **chunks;
    uint32_t nchunks;
    uint32_t nslots;
    uint32_t free_head;
    uint32_t count;
};

struct pt_mount {
    uint64_t mnt_id;
    int fd; /* O_RDONLY on a directory of that mount, owned */
};

struct pt_fs {
    struct pt_options opts;
    int root_fd; /* O_PATH, the shared directory */
    int proc_fd; /* O_PATH, /proc/self/fd */
    bool use_handles;
    bool have_openat2;
    uint64_t root_mnt_id;
    double entry_timeout, attr_timeout;
    struct pt_itable itab;
    struct pt_ftable ftab;
    pthread_mutex_t mnt_lock;
    struct pt_mount *mounts; /* protected by mnt_lock */
    unsigned int nmounts;
    struct pt_dax *dax; /* pt-dax.c; NULL: no DAX window */
};

/* --- pt-inode.c ---------------------------------------------------------- */
/**
 * pt_chunk_map() - zeroed memory for a chunk of table slots, mapped on its
 * own so that its pages become resident only as slots are first used (a
 * calloc'd chunk may be cleared, or set up, whole).
 * @size: bytes
 *
 * Return: the chunk, or NULL.  Give it back with pt_chunk_unmap().
 */
void *pt_chunk_map(size_t size);
/** pt_chunk_unmap() - unmap @chunk of @size bytes; NULL is a no-op. */
void pt_chunk_unmap(void *chunk, size_t size);
int pt_itable_init(struct pt_itable *t);
/* Close every fd and free everything. */
void pt_itable_fini(struct pt_itable *t);
/*
 * Find the inode of the O_PATH fd @fd (statx @stx) or add it, count one
 * lookup and pin it.  Takes @fd (kept or closed).  *@out is pinned: drop it
 * with pt_inode_put().
 */
int pt_inode_intern(struct pt_fs *fs, int fd, const struct statx *stx,
                    struct pt_inode **out);
/* As pt_inode_intern(), but only for an inode the guest holds (-ENOENT). */
int pt_inode_intern_held(struct pt_fs *fs, int fd, const struct statx *stx,
                         struct pt_inode **out);
/* Pin the live inode @nodeid; NULL for a stale, forged or freed id. */
struct pt_inode *pt_inode_get(struct pt_fs *fs, uint64_t nodeid);
void pt_inode_put(struct pt_fs *fs, struct pt_inode *ino);
/* Drop @n lookups of @nodeid (FORGET); stale ids are ignored. */
void pt_inode_forget(struct pt_fs *fs, uint64_t nodeid, uint64_t n);
uint64_t pt_inode_nodeid(const struct pt_inode *ino);
/* Add the root (slot 1, node id FUSE_ROOT_ID); takes @fd. */
int pt_inode_add_root(struct pt_fs *fs, int fd, const struct statx *stx);
/* The lookup count of @nodeid, or -ESTALE (tests). */
int64_t pt_inode_nlookup(struct pt_fs *fs, uint64_t nodeid);
/*
 * An O_PATH fd on @ino: its own, or one opened from its file handle.
 * Release with pt_inode_fd_put().
 */
int pt_inode_fd(struct pt_fs *fs, struct pt_inode *ino);
void pt_inode_fd_put(struct pt_inode *ino, int fd);
/* Lock and unlock @ino's plocks list (a lock shared with other slots). */
void pt_inode_plock_lock(struct pt_fs *fs, struct pt_inode *ino);
void pt_inode_plock_unlock(struct pt_fs *fs, struct pt_inode *ino);
/* A mount fd for open_by_handle_at on @mnt_id (-1: none yet; adds it). */
int pt_mount_fd(struct pt_fs *fs, uint64_t mnt_id, int dirfd, mode_t type);

/* --- pt-handle.c --------------------------------------------------------- */
int pt_ftable_init(struct pt_ftable *t);
void pt_ftable_fini(struct pt_ftable *t);
/* Register @fd (taken) as an open file of @nodeid; *@fh is the guest's. */
int pt_file_add(struct pt_fs *fs, int fd, uint64_t nodeid, bool is_dir,
                uint64_t *fh);
/* Pin the open file @fh; NULL for a stale, forged or released one. */
struct pt_file *pt_file_get(struct pt_fs *fs, uint64_t fh);
void pt_file_put(struct pt_fs *fs, struct pt_file *f);
/* RELEASE: the fd is closed once no request uses it.  -EBADF if stale. */
int pt_file_release(struct pt_fs *fs, uint64_t fh);

/* --- pt-dax.c ----------------------------------------------------------- */
struct pt_dax;
void pt_dax_free(struct pt_dax *d);
/* INIT: forget what the previous session had mapped. */
void pt_dax_reset(struct pt_fs *fs);
/* FSYNC of @nodeid: have the VMM write back its window mappings first. */
int pt_dax_sync_inode(struct pt_fs *fs, uint64_t nodeid);
int pt_op_setupmapping(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                       uint64_t fh, uint64_t foffset, uint64_t len,
                       uint64_t flags, uint64_t moffset);
int pt_op_removemapping(void *fsp, const struct fs_ctx *ctx,
                        const struct fuse_removemapping_one *ranges,
                        uint32_t count);

/* --- pt-creds.c ---------------------------------------------------------- */
struct pt_creds {
    bool switched;
    bool umask_set;
    mode_t old_umask;
    uid_t old_uid;
    gid_t old_gid;
};
/*
 * Run this thread as @c's uid and gid (effective ids, this thread only,
 * supplementary groups dropped) with @c's umask.  Undo with
 * pt_creds_leave(), always.  A daemon that is not root cannot switch and
 * goes on as itself.
 */
int pt_creds_enter(const struct fs_ctx *c, struct pt_creds *s);
void pt_creds_leave(struct pt_creds *s);
/* @mode with @c's umask applied by hand when the thread has no umask. */
mode_t pt_creds_mask_mode(const struct fs_ctx *c, const struct pt_creds *s,
                          mode_t mode);

/* --- pt-fs.c ------------------------------------------------------------- */
/* 0 if @name is one component the guest may name, else -errno. */
int pt_check_name(const char *name);
/* O_PATH | O_NOFOLLOW open of @name beneath @dirfd, never following. */
int pt_open_beneath(struct pt_fs *fs, int dirfd, const char *name);
/* statx of an O_PATH fd, no following. */
int pt_statx_fd(int fd, struct statx *stx);
void pt_fill_attr(const struct pt_fs *fs, const struct statx *stx,
                  struct fuse_attr *attr);
/*
 * Fill @e for the pinned @ino (attr from @stx); counts nothing.  A mount
 * root other than the share's gets FUSE_ATTR_SUBMOUNT when announced.
 */
void pt_fill_entry(const struct pt_fs *fs, const struct pt_inode *ino,
                   const struct statx *stx, struct fuse_entry_out *e);
/*
 * Open @ino for I/O with @flags (already sanitised): regular files and
 * directories only (-ENXIO else).  Returns the new fd.
 */
int pt_inode_open(struct pt_fs *fs, struct pt_inode *ino, int flags);
/* Guest open flags -> host flags (drops creation, O_NOFOLLOW, ...). */
int pt_open_flags(const struct pt_fs *fs, uint32_t flags);
/* Resolve @name beneath @dirfd, intern it (one lookup) and fill @e. */
int pt_entry_at(struct pt_fs *fs, int dirfd, const char *name,
                struct fuse_entry_out *e);
/* Intern the inode of the open fd @fd (not taken) and fill @e. */
int pt_entry_of_fd(struct pt_fs *fs, int fd, struct fuse_entry_out *e);
/* Pin directory @nodeid and get an O_PATH fd on it; pt_dir_put() after. */
int pt_dir_get(struct pt_fs *fs, uint64_t nodeid, struct pt_inode **dir,
               int *dirfd);
void pt_dir_put(struct pt_fs *fs, struct pt_inode *dir, int dirfd);
/* LOOKUP's work: resolve @name beneath @parent and intern it. */
int pt_do_lookup(struct pt_fs *fs, uint64_t parent, const char *name,
                 struct fuse_entry_out *e);
/* Forget every inode but the root and close every open file (DESTROY). */
int pt_reset(struct pt_fs *fs);
/* -EROFS when the share is read-only. */
int pt_check_writable(const struct pt_fs *fs);
/* FOPEN_* for a file opened by OPEN/CREATE. */
uint32_t pt_open_out_flags(const struct pt_fs *fs, bool is_dir);

/* --- the ops (pt-ops-*.c; the table is pt_fs_ops in pt-ops.c) ------------ */
/* pt-ops-attr.c */
int pt_op_init(void *fsp, struct fs_init *in);
void pt_op_destroy(void *fsp);
int pt_op_lookup(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                 const char *name, struct fuse_entry_out *out);
void pt_op_forget(void *fsp, uint64_t ino, uint64_t nlookup);
int pt_op_getattr(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                  const uint64_t *fh, struct fuse_attr_out *out);
/* Clear suid (and sgid with group exec) of the regular file @fd. */
int pt_kill_suidgid(struct pt_fs *fs, int fd);
int pt_op_setattr(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                  const struct fuse_setattr_in *in, struct fuse_attr_out *out);
int pt_op_readlink(void *fsp, const struct fs_ctx *ctx, uint64_t ino, char *buf,
                   size_t size);
int pt_op_access(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                 uint32_t mask);
int pt_op_statfs(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                 struct fuse_kstatfs *out);
int pt_op_syncfs(void *fsp, const struct fs_ctx *ctx, uint64_t ino);
/* pt-ops-name.c */
int pt_op_mkdir(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                const char *name, mode_t mode, struct fuse_entry_out *out);
int pt_op_mknod(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                const char *name, mode_t mode, dev_t rdev,
                struct fuse_entry_out *out);
int pt_op_symlink(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                  const char *name, const char *target,
                  struct fuse_entry_out *out);
int pt_op_unlink(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                 const char *name);
int pt_op_rmdir(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                const char *name);
int pt_op_rename(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                 const char *name, uint64_t newparent, const char *newname,
                 uint32_t flags);
int pt_op_link(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
               uint64_t newparent, const char *newname,
               struct fuse_entry_out *out);
/* pt-ops-file.c */
int pt_op_open(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
               uint32_t flags, uint32_t open_flags, struct fuse_open_out *out);
int pt_op_create(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                 const char *name, mode_t mode, uint32_t flags,
                 uint32_t open_flags, struct fuse_entry_out *entry,
                 struct fuse_open_out *out);
int pt_op_tmpfile(void *fsp, const struct fs_ctx *ctx, uint64_t parent,
                  mode_t mode, uint32_t flags, uint32_t open_flags,
                  struct fuse_entry_out *entry, struct fuse_open_out *out);
ssize_t pt_op_read(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                   uint64_t fh, uint64_t offset, const struct iovec *iov,
                   int iovcnt);
ssize_t pt_op_write(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                    uint64_t fh, uint64_t offset, const struct iovec *iov,
                    int iovcnt, uint32_t write_flags);
int pt_op_flush(void *fsp, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                uint64_t lock_owner);
int pt_op_release(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                  uint64_t fh, uint32_t flags, uint32_t release_flags,
                  uint64_t lock_owner);
int pt_op_fsync(void *fsp, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                bool datasync);
int pt_op_fallocate(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                    uint64_t fh, uint64_t offset, uint64_t length,
                    uint32_t mode);
int pt_op_lseek(void *fsp, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                uint64_t offset, uint32_t whence, uint64_t *out);
ssize_t pt_op_copy_file_range(void *fsp, const struct fs_ctx *ctx,
                              uint64_t ino_in, uint64_t fh_in, uint64_t off_in,
                              uint64_t ino_out, uint64_t fh_out,
                              uint64_t off_out, uint64_t len, uint64_t flags);
/* pt-ops-dir.c */
int pt_op_opendir(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                  uint32_t flags, struct fuse_open_out *out);
int pt_op_readdir(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                  uint64_t fh, uint64_t offset, struct fs_dirbuf *db);
int pt_op_readdirplus(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                      uint64_t fh, uint64_t offset, struct fs_dirbuf *db);
int pt_op_releasedir(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                     uint64_t fh, uint32_t flags);
int pt_op_fsyncdir(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                   uint64_t fh, bool datasync);
/* pt-ops-xattr.c */
int pt_op_setxattr(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                   const char *name, const void *value, size_t size,
                   uint32_t flags, uint32_t setxattr_flags);
int pt_op_getxattr(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                   const char *name, void *buf, size_t size);
int pt_op_listxattr(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                    char *buf, size_t size);
int pt_op_removexattr(void *fsp, const struct fs_ctx *ctx, uint64_t ino,
                      const char *name);
/* pt-ops-lock.c */
void pt_plock_drop(struct pt_fs *fs, uint64_t ino, uint64_t owner);
int pt_op_getlk(void *fsp, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                uint64_t owner, const struct fuse_file_lock *lk,
                struct fuse_file_lock *out);
int pt_op_setlk(void *fsp, const struct fs_ctx *ctx, uint64_t ino, uint64_t fh,
                uint64_t owner, const struct fuse_file_lock *lk,
                uint32_t lk_flags, bool sleep);

#endif /* VHOSTFS_PT_INT_H */

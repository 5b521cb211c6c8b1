/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsrv-cursor.h - bounded cursors over the iovecs of one FUSE request.
 *
 * A reader walks the device-readable iovecs (the request as the guest
 * wrote it); a writer walks the device-writable ones (room for the reply).
 * Neither ever touches a byte outside the iovecs it was given: every
 * length is checked against what is left (the model is QEMU virtiofsd's
 * fuse_mbuf_iter_advance() and the Reader/Writer of Rust virtiofsd).
 *
 * The iovecs are borrowed: the caller keeps them (and the memory they
 * describe) alive while a cursor is in use.  Nothing here allocates.
 *
 * An iovec with a NULL base stands for guest memory the daemon cannot
 * reach (a buffer in the DAX window, vq.h): its bytes count in the
 * lengths, a view hands it out (with its guest-physical address when the
 * cursor has @gpa), but nothing is ever copied to or from it.  Copies
 * stop at the first such iovec (@reach) and fail with -EFAULT past it.
 */
#ifndef VHOSTFS_FSRV_CURSOR_H
#define VHOSTFS_FSRV_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/*
 * Most iovecs a cursor hands out in one view (the kernel's IOV_MAX):
 * preadv()/pwritev() take no more.
 */
#define FSRV_MAX_IOV 1024

/**
 * struct fsrv_cursor - position in an iovec array; the same structure
 * serves as reader and writer.
 * @iov:  the iovecs (borrowed).
 * @cnt:  how many.
 * @idx:  current iovec.
 * @off:  offset in @iov[@idx].
 * @left: bytes from the position to the end (or to the limit).
 * @reach: bytes from the position that may be copied: up to the first
 *        iovec with a NULL base, never more than @left.
 * @done: bytes consumed since init.
 * @gpa:  NULL, or the guest-physical address of each iovec whose base
 *        is NULL (parallel to @iov; other entries unused), for views.
 */
struct fsrv_cursor {
    const struct iovec *iov;
    int cnt;
    int idx;
    size_t off;
    size_t left;
    size_t reach;
    size_t done;
    const uint64_t *gpa;
};

/**
 * fsrv_cursor_init() - set @c at the start of @iov[0..@cnt).
 *
 * Return: 0; -EINVAL if @cnt is negative or the lengths overflow size_t.
 */
int fsrv_cursor_init(struct fsrv_cursor *c, const struct iovec *iov, int cnt);

/** fsrv_cursor_left() - bytes left before the end or the limit. */
static inline size_t fsrv_cursor_left(const struct fsrv_cursor *c)
{
    return c->left;
}

/** fsrv_cursor_reach() - bytes that can be copied from the position. */
static inline size_t fsrv_cursor_reach(const struct fsrv_cursor *c)
{
    return c->reach;
}

/**
 * fsrv_cursor_limit() - let @c see only the next @len bytes.
 *
 * Return: 0; -EINVAL if fewer than @len bytes are left.
 */
int fsrv_cursor_limit(struct fsrv_cursor *c, size_t len);

/**
 * fsrv_cursor_skip() - advance by @len bytes.
 *
 * Return: 0; -EINVAL if fewer are left (the cursor does not move).
 */
int fsrv_cursor_skip(struct fsrv_cursor *c, size_t len);

/**
 * fsrv_cursor_read() - copy the next @len bytes to @dst and advance.
 *
 * Return: 0; -EINVAL if fewer are left, -EFAULT if they are not all
 * within reach (nothing copied, no move).
 */
int fsrv_cursor_read(struct fsrv_cursor *c, void *dst, size_t len);

/**
 * fsrv_cursor_read_upto() - copy min(@len, reach) bytes to @dst, zero the
 * rest of @dst, advance; for structs that grew with the protocol.
 *
 * Return: the bytes copied.
 */
size_t fsrv_cursor_read_upto(struct fsrv_cursor *c, void *dst, size_t len);

/**
 * fsrv_cursor_read_str() - copy a NUL-terminated string into @buf (room
 * for @size bytes, NUL included) and advance past its NUL.
 *
 * The string is looked for only within reach: a request whose
 * string has no NUL before its end is refused, as is one longer than
 * @size - 1 bytes.
 *
 * Return: the string's length (without NUL); -EINVAL if no NUL is found
 * in what is left; -ENAMETOOLONG if it does not fit @buf.  On error the
 * cursor does not move.
 */
int fsrv_cursor_read_str(struct fsrv_cursor *c, char *buf, size_t size);

/**
 * fsrv_cursor_write() - copy @len bytes from @src to the position and
 * advance.
 *
 * Return: 0; -ENOSPC if fewer are left, -EFAULT if they are not all
 * within reach (nothing written, no move).
 */
int fsrv_cursor_write(struct fsrv_cursor *c, const void *src, size_t len);

/**
 * fsrv_cursor_view() - describe the next @len bytes as iovecs in @out
 * (room for @max), without copying or moving; for preadv()/pwritev()
 * straight between a file and guest memory.
 *
 * Return: the number of iovecs filled (0 when @len is 0); -EINVAL if fewer
 * than @len bytes are left; -E2BIG if they span more than @max iovecs.
 */
int fsrv_cursor_view(const struct fsrv_cursor *c, size_t len, struct iovec *out,
                     int max);

/**
 * fsrv_cursor_view_gpa() - fsrv_cursor_view(), and for each iovec of the
 * view with a NULL base the guest-physical address of its first byte in
 * @gpa_out (room for @max; entries of other iovecs are left as they
 * are).  The cursor must have @gpa.
 *
 * Return: as fsrv_cursor_view(); *@unreachable = iovecs with a NULL base.
 */
int fsrv_cursor_view_gpa(const struct fsrv_cursor *c, size_t len,
                         struct iovec *out, uint64_t *gpa_out, int max,
                         int *unreachable);

/**
 * fsrv_cursor_contig() - a pointer to the next @len bytes if they lie in
 * one iovec within reach, else NULL (also when fewer are left).  No move.
 */
void *fsrv_cursor_contig(const struct fsrv_cursor *c, size_t len);

/**
 * fsrv_iov_write_at() - copy @len bytes of @src to byte @pos of
 * @iov[0..@cnt).
 *
 * Return: 0; -ENOSPC if the iovecs hold fewer than @pos + @len bytes,
 * -EFAULT if those are not all within reach.
 */
int fsrv_iov_write_at(const struct iovec *iov, int cnt, size_t pos,
                      const void *src, size_t len);

#endif /* VHOSTFS_FSRV_CURSOR_H */

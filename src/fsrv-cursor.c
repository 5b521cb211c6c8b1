/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsrv-cursor.c - bounded cursors over request and reply iovecs.
 *
 * Security model: the iovecs come from the transport and are trusted to
 * describe memory we may touch; their contents (guest memory) are not,
 * and may change under us.  So a byte is read once, every copy is bounded
 * by what is left, strings are searched for their NUL only within what is
 * left, and the caller decodes only from the copies.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fsrv-cursor.h"

int fsrv_cursor_init(struct fsrv_cursor *c, const struct iovec *iov, int cnt)
{
    size_t total = 0;
    bool blocked = false;

    memset(c, 0, sizeof(*c));
    if (cnt < 0 || (cnt > 0 && !iov)) {
        return -EINVAL;
    }
    for (int i = 0; i < cnt; i++) {
        if (__builtin_add_overflow(total, iov[i].iov_len, &total)) {
            return -EINVAL;
        }
        /* Copies may go up to the first unreachable iovec. */
        blocked |= !iov[i].iov_base && iov[i].iov_len;
        if (!blocked) {
            c->reach = total;
        }
    }
    c->iov = iov;
    c->cnt = cnt;
    c->left = total;
    return 0;
}

int fsrv_cursor_limit(struct fsrv_cursor *c, size_t len)
{
    if (len > c->left) {
        return -EINVAL;
    }
    c->left = len;
    if (c->reach > len) {
        c->reach = len;
    }
    return 0;
}

/*
 * Move @len bytes (checked by the caller against c->left) from the
 * position, copying each piece to @copy_to or from @copy_from when set.
 */
static void advance(struct fsrv_cursor *c, size_t len, char *copy_to,
                    const char *copy_from)
{
    c->left -= len;
    c->reach = c->reach > len ? c->reach - len : 0;
    c->done += len;
    while (len > 0) {
        const struct iovec *v = &c->iov[c->idx];
        size_t n = v->iov_len - c->off;

        if (n > len) {
            n = len;
        }
        if (n > 0 && copy_to) {
            memcpy(copy_to, (const char *)v->iov_base + c->off, n);
            copy_to += n;
        }
        if (n > 0 && copy_from) {
            memcpy((char *)v->iov_base + c->off, copy_from, n);
            copy_from += n;
        }
        c->off += n;
        len -= n;
        if (c->off == v->iov_len) {
            c->idx++;
            c->off = 0;
        }
    }
    /* Step over empty iovecs, so views and contig start at real bytes. */
    while (c->idx < c->cnt && c->off == c->iov[c->idx].iov_len) {
        c->idx++;
        c->off = 0;
    }
}

int fsrv_cursor_skip(struct fsrv_cursor *c, size_t len)
{
    if (len > c->left) {
        return -EINVAL;
    }
    advance(c, len, NULL, NULL);
    return 0;
}

int fsrv_cursor_read(struct fsrv_cursor *c, void *dst, size_t len)
{
    if (len > c->left) {
        return -EINVAL;
    }
    if (len > c->reach) {
        return -EFAULT;
    }
    advance(c, len, dst, NULL);
    return 0;
}

size_t fsrv_cursor_read_upto(struct fsrv_cursor *c, void *dst, size_t len)
{
    size_t n = len < c->reach ? len : c->reach;

    advance(c, n, dst, NULL);
    memset((char *)dst + n, 0, len - n);
    return n;
}

int fsrv_cursor_read_str(struct fsrv_cursor *c, char *buf, size_t size)
{
    struct fsrv_cursor probe = *c;
    size_t len = 0;

    if (size == 0) {
        return -ENAMETOOLONG;
    }
    /*
     * Copy byte by piece into @buf until the NUL; the copy is what the
     * caller decodes, so a guest changing the bytes meanwhile changes
     * nothing we checked.
     */
    while (probe.reach > 0) {
        const struct iovec *v = &probe.iov[probe.idx];
        size_t n = v->iov_len - probe.off;
        const char *p = (const char *)v->iov_base + probe.off;
        const char *nul;

        if (n > probe.reach) {
            n = probe.reach;
        }
        if (n > size - len) {
            n = size - len;
        }
        memcpy(buf + len, p, n);
        nul = memchr(buf + len, '\0', n);
        if (nul) {
            size_t slen = (size_t)(nul - buf);

            advance(c, slen + 1, NULL, NULL);
            return (int)slen;
        }
        len += n;
        if (len == size) {
            return -ENAMETOOLONG;
        }
        advance(&probe, n, NULL, NULL);
    }
    return -EINVAL;
}

int fsrv_cursor_write(struct fsrv_cursor *c, const void *src, size_t len)
{
    if (len > c->left) {
        return -ENOSPC;
    }
    if (len > c->reach) {
        return -EFAULT;
    }
    advance(c, len, NULL, src);
    return 0;
}

int fsrv_cursor_view(const struct fsrv_cursor *c, size_t len, struct iovec *out,
                     int max)
{
    int unreachable;

    return fsrv_cursor_view_gpa(c, len, out, NULL, max, &unreachable);
}

int fsrv_cursor_view_gpa(const struct fsrv_cursor *c, size_t len,
                         struct iovec *out, uint64_t *gpa_out, int max,
                         int *unreachable)
{
    int n = 0;
    int idx = c->idx;
    size_t off = c->off;

    *unreachable = 0;
    if (len > c->left) {
        return -EINVAL;
    }
    while (len > 0) {
        const struct iovec *v = &c->iov[idx];
        size_t piece = v->iov_len - off;

        if (piece > len) {
            piece = len;
        }
        if (piece > 0) {
            if (n == max) {
                return -E2BIG;
            }
            if (v->iov_base) {
                out[n].iov_base = (char *)v->iov_base + off;
            } else {
                out[n].iov_base = NULL;
                if (gpa_out && c->gpa) {
                    gpa_out[n] = c->gpa[idx] + off;
                }
                (*unreachable)++;
            }
            out[n].iov_len = piece;
            n++;
            len -= piece;
        }
        idx++;
        off = 0;
    }
    return n;
}

void *fsrv_cursor_contig(const struct fsrv_cursor *c, size_t len)
{
    if (len > c->reach || c->idx >= c->cnt) {
        return NULL;
    }
    if (c->iov[c->idx].iov_len - c->off < len) {
        return NULL;
    }
    return (char *)c->iov[c->idx].iov_base + c->off;
}

int fsrv_iov_write_at(const struct iovec *iov, int cnt, size_t pos,
                      const void *src, size_t len)
{
    struct fsrv_cursor c;
    int rc = fsrv_cursor_init(&c, iov, cnt);

    if (rc < 0) {
        return rc;
    }
    if (fsrv_cursor_skip(&c, pos) < 0) {
        return -ENOSPC;
    }
    return fsrv_cursor_write(&c, src, len);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* test-error.c - the error taxonomy of vhu-error.h. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "test.h"
#include "vhu-error.h"

static const struct {
    enum vhu_err_kind kind;
    const char *msg;
    int err;
    bool reconnect;
} kinds[] = {
    {VHU_E_FEATURE_MISMATCH, "virtio features mismatch", ENOTSUP, false},
    {VHU_E_INCORRECT_FDS, "wrong number of attached fds", EBADF, false},
    {VHU_E_INVALID_MESSAGE, "invalid message", EBADMSG, false},
    {VHU_E_INVALID_OPERATION, "invalid operation", EOPNOTSUPP, false},
    {VHU_E_INVALID_PARAM, "invalid parameters", EINVAL, false},
    {VHU_E_FRONTEND_INTERNAL, "frontend internal error", EIO, true},
    {VHU_E_OVERSIZED_MSG, "oversized message", EMSGSIZE, false},
    {VHU_E_PARTIAL_MESSAGE, "partial message", EPROTO, true},
    {VHU_E_REQ_HANDLER, "handler failed to handle request", EIO, false},
    {VHU_E_BACKEND_INTERNAL, "backend internal error", EIO, true},
    {VHU_E_SOCKET_BROKEN, "socket is broken", ECONNRESET, true},
    {VHU_E_SOCKET_CONNECT, "can't connect to peer", ECONNREFUSED, false},
    {VHU_E_SOCKET_ERROR, "socket error", EIO, false},
    {VHU_E_SOCKET_RETRY, "temporary socket error", EAGAIN, false},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

TEST(every_kind_listed)
{
    /* The table above covers every kind but NONE, once. */
    ASSERT_EQ(NKINDS, VHU_E_KIND_MAX - 1);
    for (unsigned int i = 0; i < NKINDS; i++) {
        ASSERT_EQ(kinds[i].kind, i + 1);
    }
}

TEST(kind_messages)
{
    for (unsigned int i = 0; i < NKINDS; i++) {
        const char *s = vhu_err_kind_str(kinds[i].kind);

        if (strcmp(s, kinds[i].msg)) {
            test_fail(__FILE__, __LINE__, "kind %d: '%s' want '%s'",
                      kinds[i].kind, s, kinds[i].msg);
        }
    }
    ASSERT(vhu_err_kind_str(VHU_E_KIND_MAX) != NULL);
    ASSERT(vhu_err_kind_str((enum vhu_err_kind) - 1) != NULL);
}

TEST(default_errnos)
{
    ASSERT_EQ(vhu_err(VHU_E_NONE), 0);
    for (unsigned int i = 0; i < NKINDS; i++) {
        int rc = vhu_err(kinds[i].kind);

        ASSERT_LT(rc, 0);
        ASSERT_EQ(vhu_err_kind(rc), kinds[i].kind);
        ASSERT_EQ(vhu_err_errno(rc), -kinds[i].err);
        ASSERT_EQ(rc, VHU_ERR(kinds[i].kind, kinds[i].err));
    }
}

TEST(should_reconnect_table)
{
    ASSERT(!vhu_err_should_reconnect(0));
    ASSERT(!vhu_err_should_reconnect(5));
    ASSERT(!vhu_err_should_reconnect(-EIO));
    for (unsigned int i = 0; i < NKINDS; i++) {
        bool want = kinds[i].reconnect;

        ASSERT_EQ(vhu_err_should_reconnect(vhu_err(kinds[i].kind)), want);
        ASSERT_EQ(vhu_err_should_reconnect(VHU_ERR(kinds[i].kind, EPIPE)),
                  want);
    }
}

static void check_map(int err, enum vhu_err_kind kind)
{
    int pos = vhu_err_from_errno(err), neg = vhu_err_from_errno(-err);

    if (vhu_err_kind(pos) != kind || vhu_err_errno(pos) != -err) {
        test_fail(__FILE__, __LINE__, "errno %d: kind %d errno %d", err,
                  vhu_err_kind(pos), vhu_err_errno(pos));
    }
    ASSERT_EQ(pos, neg);
}

TEST(errno_mapping)
{
    check_map(EAGAIN, VHU_E_SOCKET_RETRY);
    check_map(EWOULDBLOCK, VHU_E_SOCKET_RETRY);
    check_map(EINTR, VHU_E_SOCKET_RETRY);
    check_map(ENOBUFS, VHU_E_SOCKET_RETRY);
    check_map(ENOMEM, VHU_E_SOCKET_RETRY);
    check_map(ECONNRESET, VHU_E_SOCKET_BROKEN);
    check_map(EPIPE, VHU_E_SOCKET_BROKEN);
    check_map(EACCES, VHU_E_SOCKET_CONNECT);
    check_map(EIO, VHU_E_SOCKET_ERROR);
    check_map(ENOENT, VHU_E_SOCKET_ERROR);
    check_map(EADDRINUSE, VHU_E_SOCKET_ERROR);
    /* 0 is no errno at all: still an error, never success. */
    ASSERT_ERR_KIND(vhu_err_from_errno(0), VHU_E_SOCKET_ERROR);
    /* An already encoded code keeps its kind. */
    ASSERT_EQ(vhu_err_from_errno(vhu_err(VHU_E_PARTIAL_MESSAGE)),
              vhu_err(VHU_E_PARTIAL_MESSAGE));
    /* Nonsense, including the one int that cannot be negated. */
    ASSERT_ERR_KIND(vhu_err_from_errno(INT_MIN), VHU_E_SOCKET_ERROR);
    ASSERT_ERR_KIND(vhu_err_from_errno(INT_MAX), VHU_E_SOCKET_ERROR);
}

TEST(encode_decode_round_trip)
{
    for (int k = 1; k < VHU_E_KIND_MAX; k++) {
        for (int e = 1; e < 4096; e += 37) {
            int rc = VHU_ERR(k, e);

            ASSERT_LT(rc, 0);
            ASSERT_EQ(vhu_err_kind(rc), k);
            ASSERT_EQ(vhu_err_errno(rc), -e);
        }
    }
    ASSERT_EQ(vhu_err_kind(0), VHU_E_NONE);
    ASSERT_EQ(vhu_err_kind(42), VHU_E_NONE);
}

TEST(err_errno_plain)
{
    ASSERT_EQ(vhu_err_errno(0), 0);
    ASSERT_EQ(vhu_err_errno(17), 0);
    /* A plain -errno passes through untouched and has no kind. */
    ASSERT_EQ(vhu_err_errno(-ENOENT), -ENOENT);
    ASSERT_EQ(vhu_err_kind(-ENOENT), VHU_E_NONE);
    ASSERT_EQ(vhu_err_errno(VHU_ERR(VHU_E_SOCKET_ERROR, EMFILE)), -EMFILE);
    /* Garbage past the last kind is not mistaken for a code. */
    ASSERT_EQ(vhu_err_kind(VHU_ERR(VHU_E_KIND_MAX, EIO)), VHU_E_NONE);
    ASSERT_EQ(vhu_err_errno(VHU_ERR(VHU_E_KIND_MAX, EIO)), -EIO);
    ASSERT_EQ(vhu_err_kind(-2147483647 - 1), VHU_E_NONE);
    ASSERT_LT(vhu_err_errno(-2147483647 - 1), 0);
}

TEST(strerror_text)
{
    char buf[256];
    char want[256];

    /* Kinds with no system cause: just the message. */
    ASSERT(!strcmp(vhu_strerror(vhu_err(VHU_E_INVALID_PARAM), buf, sizeof(buf)),
                   "invalid parameters"));
    ASSERT(!strcmp(vhu_strerror(vhu_err(VHU_E_OVERSIZED_MSG), buf, sizeof(buf)),
                   "oversized message"));
    /* Socket and handler kinds name the errno. */
    snprintf(want, sizeof(want), "socket is broken: %s", strerror(EPIPE));
    ASSERT(!strcmp(
        vhu_strerror(VHU_ERR(VHU_E_SOCKET_BROKEN, EPIPE), buf, sizeof(buf)),
        want));
    snprintf(want, sizeof(want), "handler failed to handle request: %s",
             strerror(ENOSPC));
    ASSERT(!strcmp(
        vhu_strerror(VHU_ERR(VHU_E_REQ_HANDLER, ENOSPC), buf, sizeof(buf)),
        want));
    snprintf(want, sizeof(want), "temporary socket error: %s",
             strerror(EAGAIN));
    ASSERT(!strcmp(vhu_strerror(vhu_err(VHU_E_SOCKET_RETRY), buf, sizeof(buf)),
                   want));
    /* Another kind with a non-default errno shows it too. */
    snprintf(want, sizeof(want), "invalid parameters: %s",
             strerror(ENAMETOOLONG));
    ASSERT(!strcmp(vhu_strerror(VHU_ERR(VHU_E_INVALID_PARAM, ENAMETOOLONG), buf,
                                sizeof(buf)),
                   want));
    /* A plain -errno. */
    ASSERT(!strcmp(vhu_strerror(-ENOENT, buf, sizeof(buf)), strerror(ENOENT)));
    /* Truncation is safe. */
    ASSERT(
        !strcmp(vhu_strerror(vhu_err(VHU_E_INVALID_MESSAGE), buf, 5), "inva"));
}

TEST_MAIN(T(every_kind_listed), T(kind_messages), T(default_errnos),
          T(should_reconnect_table), T(errno_mapping),
          T(encode_decode_round_trip), T(err_errno_plain), T(strerror_text))

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test.h - a small TAP test harness.
 *
 * A test program lists its cases with TEST_MAIN(); each case runs in a
 * child process of its own (a crash or a failed assertion fails that case
 * only), with a 120 s alarm, and prints one TAP line: "ok", "not ok", or
 * "ok ... # SKIP reason" when it called TEST_SKIP().  Automake's TAP driver
 * counts the lines.
 *
 *     TEST(set_owner_twice) { ASSERT_EQ(dummy_set_owner(d), 0); ... }
 *     TEST_MAIN(T(set_owner_twice), T(...))
 */
#ifndef VHOSTFS_TEST_H
#define VHOSTFS_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct test_case {
    const char *name;
    void (*fn)(void);
};

#define TEST(name) static void name(void)
#define T(name)                                                                \
    {                                                                          \
#name, name                                                            \
    }
#define TEST_MAIN(...)                                                         \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        static const struct test_case cases_[] = {__VA_ARGS__};                \
        return test_run(argc, argv, cases_,                                    \
                        sizeof(cases_) / sizeof(cases_[0]));                   \
    }

int test_run(int argc, char **argv, const struct test_case *cases,
             unsigned int n);

/* Fail the running case with a message (never returns). */
_Noreturn void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Skip the running case: prints "# SKIP why" (never returns). */
_Noreturn void test_skip(const char *why);
#define TEST_SKIP(why) test_skip(why)

#define ASSERT(c)                                                              \
    do {                                                                       \
        if (!(c)) {                                                            \
            test_fail(__FILE__, __LINE__, "assertion failed: %s", #c);         \
        }                                                                      \
    } while (0)

#define ASSERT_CMP_(a, op, b)                                                  \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (!(a_ op b_)) {                                                     \
            test_fail(__FILE__, __LINE__, "%s %s %s: %lld vs %lld", #a, #op,   \
                      #b, a_, b_);                                             \
        }                                                                      \
    } while (0)
#define ASSERT_EQ(a, b) ASSERT_CMP_(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_CMP_(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_CMP_(a, <, b)
#define ASSERT_LE(a, b) ASSERT_CMP_(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_CMP_(a, >, b)
#define ASSERT_GE(a, b) ASSERT_CMP_(a, >=, b)

/* A call that returns 0/count or a negative code must succeed. */
#define ASSERT_OK(expr)                                                        \
    do {                                                                       \
        long long r_ = (long long)(expr);                                      \
        if (r_ < 0) {                                                          \
            test_fail(__FILE__, __LINE__, "%s failed: %lld (%s)", #expr, r_,   \
                      test_strerror((int)r_));                                 \
        }                                                                      \
    } while (0)

/* A vhost-user call must fail with error kind @kind (enum vhu_err_kind). */
#define ASSERT_ERR_KIND(expr, kind)                                            \
    do {                                                                       \
        int r_ = (int)(expr);                                                  \
        if (r_ >= 0 || (int)vhu_err_kind(r_) != (int)(kind)) {                 \
            test_fail(__FILE__, __LINE__, "%s: want %s, got %d (%s)", #expr,   \
                      #kind, r_, test_strerror(r_));                           \
        }                                                                      \
    } while (0)

/* Describe a return code (vhu_strerror() for encoded codes). */
const char *test_strerror(int rc);

/* Number of open fds of this process (/proc/self/fd). */
int test_count_fds(void);

/* A fresh directory under $TMPDIR (or /tmp), removed when the case ends. */
const char *test_tmpdir(void);

/* A unique socket path inside test_tmpdir(). */
const char *test_sock_path(const char *name);

/* An eventfd, for tests that need "some fd". */
int test_eventfd(void);

/* A memfd of @size bytes. */
int test_memfd(const char *name, size_t size);

#endif /* VHOSTFS_TEST_H */

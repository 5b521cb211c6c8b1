/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * options-test.h - assertions shared by the tests of vhostfsd's command
 * line (test-options.c, test-options-sys.c).
 */
#ifndef VHOSTFS_OPTIONS_TEST_H
#define VHOSTFS_OPTIONS_TEST_H

#include <string.h>

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

#endif /* VHOSTFS_OPTIONS_TEST_H */

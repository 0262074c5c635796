/* A tiny check harness for the C tests: CHECK(cond) records a failure with
 * its location and goes on; check_done() prints "<name>: N checks, M failed"
 * and returns the process exit status. */
#ifndef BK_TEST_CHECK_H
#define BK_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_count = 0; /* per test program */
static int check_failed = 0;

#define CHECK(cond)                                                                \
    do {                                                                           \
        check_count++;                                                             \
        if (!(cond)) {                                                             \
            check_failed++;                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                          \
    } while (0)

/* Compares two possibly-NULL C strings. */
static inline int str_eq(const char *a, const char *b) {
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

#define CHECK_STR(a, b)                                                            \
    do {                                                                           \
        const char *check_a_ = (a), *check_b_ = (b);                               \
        check_count++;                                                             \
        if (!str_eq(check_a_, check_b_)) {                                         \
            check_failed++;                                                        \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s == \"%s\", expected \"%s\"\n", \
                    __FILE__, __LINE__, #a, check_a_ ? check_a_ : "(null)",        \
                    check_b_ ? check_b_ : "(null)");                               \
        }                                                                          \
    } while (0)

#define CHECK_RESULT(call, expected)                                               \
    do {                                                                           \
        bk_result check_r_ = (call);                                               \
        check_count++;                                                             \
        if (check_r_ != (expected)) {                                              \
            char check_msg_[512];                                                  \
            size_t check_w_ = 0;                                                   \
            check_failed++;                                                        \
            bk_last_error_message(check_msg_, sizeof check_msg_, &check_w_);       \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s (last error: %s)\n", \
                    __FILE__, __LINE__, #call, bk_result_name(check_r_),           \
                    bk_result_name(expected), check_msg_);                         \
        }                                                                          \
    } while (0)

static inline int check_done(const char *name) {
    printf("%s: %d checks, %d failed\n", name, check_count, check_failed);
    return check_failed == 0 ? 0 : 1;
}

#endif

/*
 * A minimal unit test harness for hypervisor code compiled on the host.
 *
 * TEST(name) { ... } defines and registers a test.  CHECK* record a
 * failure (file:line and the values) and carry on; REQUIRE* end the test
 * at once.  A panic() from the code under test fails the current test,
 * unless it happens inside CHECK_PANICS(), which asserts that it does.
 */
#ifndef UNIT_HARNESS_H
#define UNIT_HARNESS_H

#include <setjmp.h>
#include <stdbool.h>
#include <string.h>

struct test_case
{
    const char *name;
    void (*fn)(void);
    struct test_case *next;
};

void harness_register(struct test_case *tc);

#define TEST(nm)                                                        \
    static void nm(void);                                               \
    static struct test_case tc_##nm = { #nm, nm, 0 };                   \
    __attribute__((constructor)) static void register_##nm(void)        \
    {                                                                   \
        harness_register(&tc_##nm);                                     \
    }                                                                   \
    static void nm(void)

/* Record a failure of the current test; 'fatal' ends it. */
void harness_fail(const char *file, int line, bool fatal,
                  const char *fmt, ...)
    __attribute__((__format__(__printf__, 4, 5)));

/* Failures recorded so far in the current test. */
unsigned int harness_failures(void);

#define CHECK_(fatal, c)                                                \
    do {                                                                \
        if ( !(c) )                                                     \
            harness_fail(__FILE__, __LINE__, fatal, "%s", #c);          \
    } while ( 0 )

#define CHECK_EQ_(fatal, a, b)                                          \
    do {                                                                \
        unsigned long long a_ = (unsigned long long)(a);                \
        unsigned long long b_ = (unsigned long long)(b);                \
        if ( a_ != b_ )                                                 \
            harness_fail(__FILE__, __LINE__, fatal,                     \
                         "%s == %s: %lld (%#llx) != %lld (%#llx)",      \
                         #a, #b, (long long)a_, a_, (long long)b_, b_); \
    } while ( 0 )

#define CHECK(c)            CHECK_(false, c)
#define REQUIRE(c)          CHECK_(true, c)
/* Integers (any width, any signedness) and pointers. */
#define CHECK_EQ(a, b)      CHECK_EQ_(false, a, b)
#define REQUIRE_EQ(a, b)    CHECK_EQ_(true, a, b)
#define CHECK_PTR_EQ(a, b)  CHECK_EQ_(false, (unsigned long)(a),       \
                                      (unsigned long)(b))

#define CHECK_STR_EQ(a, b)                                              \
    do {                                                                \
        const char *a_ = (a), *b_ = (b);                                \
        if ( !a_ || !b_ || strcmp(a_, b_) )                             \
            harness_fail(__FILE__, __LINE__, false,                     \
                         "%s == %s: \"%s\" != \"%s\"", #a, #b,          \
                         a_ ? a_ : "(null)", b_ ? b_ : "(null)");       \
    } while ( 0 )

/*
 * Run 'stmt' and check that it panics.  panic() longjmps back here, so
 * the code under test does not run on past the panic.
 */
void harness_expect_panic(jmp_buf *jb);
bool harness_panic_seen(void);
/* The message of the last panic, for tests that check what was said. */
const char *harness_last_panic(void);

#define CHECK_PANICS(stmt)                                              \
    do {                                                                \
        jmp_buf jb_;                                                    \
        if ( setjmp(jb_) == 0 )                                         \
        {                                                               \
            harness_expect_panic(&jb_);                                 \
            stmt;                                                       \
        }                                                               \
        harness_expect_panic(NULL);                                     \
        if ( !harness_panic_seen() )                                    \
            harness_fail(__FILE__, __LINE__, false,                     \
                         "expected a panic from %s", #stmt);            \
    } while ( 0 )

/* Called by the panic() stub: never returns. */
__attribute__((__noreturn__)) void harness_panic(const char *msg);

/* A small deterministic PRNG, so failures reproduce. */
unsigned int test_rand(void);
void test_srand(unsigned int seed);

#endif /* UNIT_HARNESS_H */

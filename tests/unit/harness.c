/*
 * The unit test runner: runs every registered test (or those whose name
 * contains argv[1]), prints PASS/FAIL per test and a final
 * "RESULT: N passed, N failed" line that run.sh adds up.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "stubs.h"

static struct test_case *tests, **tests_tail = &tests;

static const char *cur_test;
static unsigned int cur_failures;
static jmp_buf test_abort;

static jmp_buf *panic_jb;
static bool panic_seen;
static char panic_msg[512];

static unsigned int rand_state = 1;

void harness_register(struct test_case *tc)
{
    tc->next = NULL;
    *tests_tail = tc;
    tests_tail = &tc->next;
}

void harness_fail(const char *file, int line, bool fatal,
                  const char *fmt, ...)
{
    va_list ap;

    printf("  %s:%d: %s: ", file, line, cur_test ? cur_test : "?");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);

    cur_failures++;
    if ( fatal && cur_test )
        longjmp(test_abort, 1);
}

unsigned int harness_failures(void)
{
    return cur_failures;
}

void harness_expect_panic(jmp_buf *jb)
{
    panic_jb = jb;
    if ( jb )
        panic_seen = false;
}

bool harness_panic_seen(void)
{
    return panic_seen;
}

const char *harness_last_panic(void)
{
    return panic_msg;
}

void harness_panic(const char *msg)
{
    jmp_buf *jb = panic_jb;

    snprintf(panic_msg, sizeof(panic_msg), "%s", msg);
    panic_seen = true;

    if ( jb )
    {
        panic_jb = NULL;
        longjmp(*jb, 1);
    }

    if ( !cur_test )
    {
        printf("panic outside a test: %s\n", msg);
        exit(2);
    }
    harness_fail(__FILE__, __LINE__, true, "unexpected panic: %s", msg);
    abort();    /* harness_fail() with fatal set does not return */
}

unsigned int test_rand(void)
{
    /* xorshift32: deterministic and good enough to shuffle operations. */
    rand_state ^= rand_state << 13;
    rand_state ^= rand_state >> 17;
    rand_state ^= rand_state << 5;
    return rand_state;
}

void test_srand(unsigned int seed)
{
    rand_state = seed ? seed : 1;
}

/* Run one test; true if it passed.  Nothing here changes after setjmp. */
static bool run_one(struct test_case *tc)
{
    cur_test = tc->name;
    cur_failures = 0;
    panic_jb = NULL;
    stub_reset();
    test_srand(0x5eed1234);

    if ( setjmp(test_abort) == 0 )
        tc->fn();

    cur_test = NULL;
    printf("%s %s\n", cur_failures ? "FAIL" : "PASS", tc->name);
    return !cur_failures;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    unsigned int passed = 0, failed = 0;
    struct test_case *tc;

    setvbuf(stdout, NULL, _IOLBF, 0);

    for ( tc = tests; tc; tc = tc->next )
    {
        if ( filter && !strstr(tc->name, filter) )
            continue;
        if ( run_one(tc) )
            passed++;
        else
            failed++;
    }

    printf("RESULT: %u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}

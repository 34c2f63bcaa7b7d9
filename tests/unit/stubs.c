/*
 * Host implementations of printk/vprintk, panic and the xenheap for the
 * unit tests.  printk output is captured for tests to inspect (and echoed
 * when UNIT_VERBOSE is set); panic hands over to the harness; the xenheap
 * is aligned_alloc() with bookkeeping that catches a wrong order or a
 * foreign pointer on free, and can be told to fail.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/lib.h>
#include <xen/mm.h>

#include "harness.h"
#include "stubs.h"

#define LOG_SIZE (64 * 1024)

static char log_buf[LOG_SIZE];
static size_t log_len;

struct xenheap_block
{
    void *p;
    unsigned int order;
    struct xenheap_block *next;
};

static struct xenheap_block *xenheap_blocks;
static long xenheap_budget = -1;
static unsigned long xenheap_outstanding, xenheap_allocs;

void stub_reset(void)
{
    stub_log_clear();
    xenheap_budget = -1;
}

const char *stub_log(void)
{
    return log_buf;
}

void stub_log_clear(void)
{
    log_len = 0;
    log_buf[0] = '\0';
}

bool stub_log_contains(const char *s)
{
    return strstr(log_buf, s) != NULL;
}

unsigned int stub_log_count(const char *s)
{
    unsigned int n = 0;
    const char *p = log_buf;
    size_t len = strlen(s);

    if ( !len )
        return 0;
    while ( (p = strstr(p, s)) )
    {
        n++;
        p += len;
    }
    return n;
}

void vprintk(const char *fmt, va_list args)
{
    char line[4096];
    size_t n;

    vsnprintf(line, sizeof(line), fmt, args);
    n = strlen(line);

    /* When full, start over rather than lose the newest messages. */
    if ( log_len + n + 1 > LOG_SIZE )
        stub_log_clear();
    memcpy(log_buf + log_len, line, n + 1);
    log_len += n;

    if ( getenv("UNIT_VERBOSE") )
        fputs(line, stdout);
}

void printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

/* A console domain's raw output goes to the same log, unprefixed. */
void console_write_raw(const char *s, size_t len)
{
    if ( log_len + len + 1 > LOG_SIZE )
        stub_log_clear();
    memcpy(log_buf + log_len, s, len);
    log_len += len;
    log_buf[log_len] = '\0';
}

void panic(const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    if ( getenv("UNIT_VERBOSE") )
        printf("panic: %s\n", msg);
    harness_panic(msg);
}

void *alloc_xenheap_pages(unsigned int order, unsigned int memflags)
{
    struct xenheap_block *b;
    void *p;

    (void)memflags;

    if ( order > MAX_ORDER )
        return NULL;
    if ( xenheap_budget == 0 )
        return NULL;
    if ( xenheap_budget > 0 )
        xenheap_budget--;

    p = aligned_alloc(PAGE_SIZE, PAGE_SIZE << order);
    b = malloc(sizeof(*b));
    if ( !p || !b )
    {
        free(p);
        free(b);
        return NULL;
    }
    /* Fresh xenheap pages hold garbage: make sure nobody relies on 0. */
    memset(p, 0xa5, PAGE_SIZE << order);

    b->p = p;
    b->order = order;
    b->next = xenheap_blocks;
    xenheap_blocks = b;
    xenheap_outstanding += 1UL << order;
    xenheap_allocs++;

    return p;
}

void free_xenheap_pages(void *v, unsigned int order)
{
    struct xenheap_block **pb, *b;

    if ( !v )
        return;

    for ( pb = &xenheap_blocks; (b = *pb); pb = &b->next )
        if ( b->p == v )
            break;

    if ( !b )
    {
        harness_fail(__FILE__, __LINE__, false,
                     "free_xenheap_pages(%p): not allocated", v);
        return;
    }
    if ( b->order != order )
        harness_fail(__FILE__, __LINE__, false,
                     "free_xenheap_pages(%p, %u): allocated with order %u",
                     v, order, b->order);

    *pb = b->next;
    xenheap_outstanding -= 1UL << b->order;
    free(b->p);
    free(b);
}

void stub_xenheap_fail_after(long n)
{
    xenheap_budget = n;
}

unsigned long stub_xenheap_pages_outstanding(void)
{
    return xenheap_outstanding;
}

unsigned long stub_xenheap_allocs(void)
{
    return xenheap_allocs;
}

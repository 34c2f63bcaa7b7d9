/*
 * Host stand-ins for the hypervisor services the modules under test call
 * (printk, panic, the xenheap), with hooks for tests to inspect and steer
 * them.
 */
#ifndef UNIT_STUBS_H
#define UNIT_STUBS_H

#include <stdbool.h>

/* Back to defaults: empty log, no injected allocation failures. */
void stub_reset(void);

/* Everything printk'd since the last stub_log_clear(), log levels kept. */
const char *stub_log(void);
void stub_log_clear(void);
bool stub_log_contains(const char *s);
unsigned int stub_log_count(const char *s);

/*
 * Let the next n alloc_xenheap_pages() calls succeed and fail every one
 * after that; n < 0 means never fail.
 */
void stub_xenheap_fail_after(long n);
/* Pages currently handed out by alloc_xenheap_pages(). */
unsigned long stub_xenheap_pages_outstanding(void);
/* alloc_xenheap_pages() calls that succeeded, ever. */
unsigned long stub_xenheap_allocs(void);

#endif /* UNIT_STUBS_H */

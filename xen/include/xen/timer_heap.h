/*
 * A binary min-heap of timers ordered by expiry, one per pCPU.  The heap
 * itself takes no locks: its owner (common/timer.c) serialises access.
 */
#ifndef XEN_TIMER_HEAP_H
#define XEN_TIMER_HEAP_H

#include <xen/types.h>

struct timer;

struct timer_heap
{
    struct timer **elts;    /* elts[0 .. size-1], elts[0] expires first */
    unsigned int size;
    unsigned int limit;     /* capacity of elts */
};

/* Insert; false when the heap is full (the caller grows it and retries). */
bool timer_heap_add(struct timer_heap *h, struct timer *t);
/* Remove a timer that is in this heap. */
void timer_heap_remove(struct timer_heap *h, struct timer *t);
/* The earliest timer, or NULL when empty. */
struct timer *timer_heap_peek(const struct timer_heap *h);
/* Move the elements to a larger array of 'limit' entries. */
void timer_heap_resize(struct timer_heap *h, struct timer **elts,
                       unsigned int limit);

#endif /* XEN_TIMER_HEAP_H */

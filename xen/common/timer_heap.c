/*
 * The per-pCPU timer heap: a binary min-heap on 'expires' stored in an
 * array, elts[0] being the earliest timer.  Each timer's heap_pos is one
 * plus its index, so a timer can be removed from the middle in O(log n)
 * without a search, and 0 means "not in a heap".
 *
 * The heap reads t->expires and writes t->heap_pos and nothing else of a
 * timer.  It takes no lock: its owner serialises every call.
 */

#include <xen/lib.h>
#include <xen/timer.h>
#include <xen/timer_heap.h>

static void heap_set(struct timer_heap *h, unsigned int i, struct timer *t)
{
    h->elts[i] = t;
    t->heap_pos = i + 1;
}

/* Move the timer at index i towards the root while it beats its parent. */
static void sift_up(struct timer_heap *h, unsigned int i)
{
    struct timer *t = h->elts[i];

    while ( i > 0 )
    {
        unsigned int parent = (i - 1) / 2;

        if ( h->elts[parent]->expires <= t->expires )
            break;
        heap_set(h, i, h->elts[parent]);
        i = parent;
    }
    heap_set(h, i, t);
}

/* Move the timer at index i down while a child expires earlier. */
static void sift_down(struct timer_heap *h, unsigned int i)
{
    struct timer *t = h->elts[i];

    for ( ; ; )
    {
        unsigned int child = 2 * i + 1;

        if ( child >= h->size )
            break;
        if ( child + 1 < h->size &&
             h->elts[child + 1]->expires < h->elts[child]->expires )
            child++;
        if ( t->expires <= h->elts[child]->expires )
            break;
        heap_set(h, i, h->elts[child]);
        i = child;
    }
    heap_set(h, i, t);
}

bool timer_heap_add(struct timer_heap *h, struct timer *t)
{
    ASSERT(t->heap_pos == 0);

    if ( h->size >= h->limit )
        return false;

    heap_set(h, h->size, t);
    h->size++;
    sift_up(h, h->size - 1);

    return true;
}

void timer_heap_remove(struct timer_heap *h, struct timer *t)
{
    unsigned int i = t->heap_pos - 1;
    struct timer *last;

    /* heap_pos == 0 wraps i to UINT_MAX, which this also rejects. */
    ASSERT(i < h->size && h->elts[i] == t);

    t->heap_pos = 0;
    h->size--;
    if ( i == h->size )
        return;

    /*
     * The last element fills the hole; it may belong above or below it,
     * depending on which subtree it came from.
     */
    last = h->elts[h->size];
    heap_set(h, i, last);
    if ( i > 0 && last->expires < h->elts[(i - 1) / 2]->expires )
        sift_up(h, i);
    else
        sift_down(h, i);
}

struct timer *timer_heap_peek(const struct timer_heap *h)
{
    return h->size ? h->elts[0] : NULL;
}

void timer_heap_resize(struct timer_heap *h, struct timer **elts,
                       unsigned int limit)
{
    unsigned int i;

    ASSERT(limit >= h->size);

    /* Same indices in the new array, so every heap_pos stays right. */
    for ( i = 0; i < h->size; i++ )
        elts[i] = h->elts[i];

    h->elts = elts;
    h->limit = limit;
}

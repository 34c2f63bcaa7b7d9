/*
 * Tests for the timer min-heap in xen/common/timer_heap.c.
 */

#include <xen/lib.h>
#include <xen/timer.h>
#include <xen/timer_heap.h>

#include "harness.h"
#include "stubs.h"

enum { MAXT = 512 };

static struct timer timers[MAXT];
static struct timer *slots[MAXT], *slots2[2 * MAXT];

static void heap_setup(struct timer_heap *h, unsigned int limit)
{
    unsigned int i;

    memset(timers, 0, sizeof(timers));
    for ( i = 0; i < MAXT; i++ )
        timers[i].cpu = 1234;           /* must be left alone */
    h->elts = slots;
    h->size = 0;
    h->limit = limit;
}

/* The heap property and every element's heap_pos, checked in full. */
static void check_heap(const struct timer_heap *h)
{
    unsigned int i;

    for ( i = 0; i < h->size; i++ )
    {
        REQUIRE(h->elts[i] != NULL);
        CHECK_EQ(h->elts[i]->heap_pos, i + 1);
        if ( i )
            CHECK(h->elts[(i - 1) / 2]->expires <= h->elts[i]->expires);
    }
}

/* Pop everything, checking that expiry times come out in order. */
static unsigned int drain_in_order(struct timer_heap *h)
{
    s_time_t last = INT64_MIN;
    unsigned int n = 0;
    struct timer *t;

    while ( (t = timer_heap_peek(h)) )
    {
        CHECK(t->expires >= last);
        last = t->expires;
        timer_heap_remove(h, t);
        CHECK_EQ(t->heap_pos, 0);
        n++;
        REQUIRE(n <= MAXT);
    }
    return n;
}

TEST(empty_heap_peeks_null)
{
    struct timer_heap h;

    heap_setup(&h, 4);
    CHECK(timer_heap_peek(&h) == NULL);
}

TEST(peek_returns_the_earliest_timer)
{
    struct timer_heap h;
    static const s_time_t when[] = { 50, 10, 40, -5, 30, 20 };
    unsigned int i;

    heap_setup(&h, MAXT);
    for ( i = 0; i < ARRAY_SIZE(when); i++ )
    {
        timers[i].expires = when[i];
        REQUIRE(timer_heap_add(&h, &timers[i]));
    }
    CHECK_EQ(h.size, ARRAY_SIZE(when));
    CHECK_PTR_EQ(timer_heap_peek(&h), &timers[3]);
    check_heap(&h);
    CHECK_EQ(drain_in_order(&h), ARRAY_SIZE(when));
    CHECK_EQ(h.size, 0);
}

TEST(heap_pos_is_one_plus_the_index_and_zero_when_out)
{
    struct timer_heap h;
    unsigned int i;

    heap_setup(&h, MAXT);
    for ( i = 0; i < 100; i++ )
    {
        timers[i].expires = (s_time_t)((i * 7919) % 101);
        REQUIRE(timer_heap_add(&h, &timers[i]));
        CHECK(timers[i].heap_pos >= 1 && timers[i].heap_pos <= h.size);
        CHECK_PTR_EQ(h.elts[timers[i].heap_pos - 1], &timers[i]);
    }
    check_heap(&h);

    timer_heap_remove(&h, &timers[42]);
    CHECK_EQ(timers[42].heap_pos, 0);
    check_heap(&h);
    for ( i = 0; i < h.size; i++ )
        CHECK(h.elts[i] != &timers[42]);
    for ( i = 0; i < 100; i++ )
        CHECK_EQ(timers[i].cpu, 1234);
}

TEST(removing_arbitrary_elements_keeps_the_heap_valid)
{
    struct timer_heap h;
    unsigned int i;

    heap_setup(&h, MAXT);
    for ( i = 0; i < 200; i++ )
    {
        timers[i].expires = (s_time_t)(test_rand() % 1000);
        REQUIRE(timer_heap_add(&h, &timers[i]));
    }

    /* The root, a leaf, the last element and some from the middle. */
    timer_heap_remove(&h, timer_heap_peek(&h));
    check_heap(&h);
    timer_heap_remove(&h, h.elts[h.size - 1]);
    check_heap(&h);
    for ( i = 0; i < 50; i++ )
    {
        timer_heap_remove(&h, h.elts[test_rand() % h.size]);
        check_heap(&h);
    }
    CHECK_EQ(h.size, 148);
    CHECK_EQ(drain_in_order(&h), 148);
}

TEST(removal_can_need_to_move_the_filler_up)
{
    struct timer_heap h;
    unsigned int i;

    /*
     *            0
     *      100        1
     *   101  102    2   3
     * Removing 101 moves the last element (3) into a subtree whose
     * parent (100) is later, so it must sift up, not down.
     */
    static const s_time_t when[] = { 0, 100, 1, 101, 102, 2, 3 };

    heap_setup(&h, MAXT);
    for ( i = 0; i < ARRAY_SIZE(when); i++ )
    {
        timers[i].expires = when[i];
        REQUIRE(timer_heap_add(&h, &timers[i]));
    }
    REQUIRE_EQ(timers[3].heap_pos, 4);      /* 101 */
    timer_heap_remove(&h, &timers[3]);
    check_heap(&h);
    CHECK_EQ(timers[6].heap_pos, 2);        /* 3 took 100's place */
    CHECK_EQ(drain_in_order(&h), ARRAY_SIZE(when) - 1);
}

TEST(random_inserts_and_removes_stay_ordered)
{
    struct timer_heap h;
    bool in[MAXT] = { false };
    unsigned int op, count = 0, i;

    heap_setup(&h, MAXT);
    for ( op = 0; op < 20000; op++ )
    {
        i = test_rand() % MAXT;
        if ( in[i] )
        {
            timer_heap_remove(&h, &timers[i]);
            CHECK_EQ(timers[i].heap_pos, 0);
            in[i] = false;
            count--;
        }
        else
        {
            /* Few distinct values: plenty of equal expiry times. */
            timers[i].expires = (s_time_t)(test_rand() % 64) - 32;
            REQUIRE(timer_heap_add(&h, &timers[i]));
            in[i] = true;
            count++;
        }
        REQUIRE_EQ(h.size, count);
        if ( op % 256 == 0 )
            check_heap(&h);

        /* The peeked timer is no later than any timer in the heap. */
        if ( count && op % 64 == 0 )
        {
            struct timer *t = timer_heap_peek(&h);
            unsigned int j;

            for ( j = 0; j < MAXT; j++ )
                if ( in[j] )
                    CHECK(t->expires <= timers[j].expires);
        }
        if ( harness_failures() )
            return;
    }
    check_heap(&h);
    CHECK_EQ(drain_in_order(&h), count);
}

TEST(full_heap_refuses_and_leaves_the_timer_out)
{
    struct timer_heap h;
    unsigned int i;

    heap_setup(&h, 3);
    for ( i = 0; i < 3; i++ )
    {
        timers[i].expires = 10 - i;
        CHECK(timer_heap_add(&h, &timers[i]));
    }
    timers[3].expires = -100;
    CHECK(!timer_heap_add(&h, &timers[3]));
    CHECK_EQ(timers[3].heap_pos, 0);
    CHECK_EQ(h.size, 3);
    CHECK_PTR_EQ(timer_heap_peek(&h), &timers[2]);
}

TEST(zero_capacity_heap_refuses_until_resized)
{
    struct timer_heap h = { NULL, 0, 0 };

    heap_setup(&h, 0);
    h.elts = NULL;
    timers[0].expires = 1;
    CHECK(!timer_heap_add(&h, &timers[0]));
    timer_heap_resize(&h, slots2, 1);
    CHECK(timer_heap_add(&h, &timers[0]));
    CHECK_PTR_EQ(timer_heap_peek(&h), &timers[0]);
}

TEST(resize_keeps_order_and_positions)
{
    struct timer_heap h;
    unsigned int pos[64], i;

    heap_setup(&h, 64);
    for ( i = 0; i < 64; i++ )
    {
        timers[i].expires = (s_time_t)(test_rand() % 500);
        REQUIRE(timer_heap_add(&h, &timers[i]));
    }
    CHECK(!timer_heap_add(&h, &timers[64]));
    for ( i = 0; i < 64; i++ )
        pos[i] = timers[i].heap_pos;

    timer_heap_resize(&h, slots2, 2 * MAXT);
    CHECK_PTR_EQ(h.elts, slots2);
    CHECK_EQ(h.limit, 2 * MAXT);
    CHECK_EQ(h.size, 64);
    for ( i = 0; i < 64; i++ )
    {
        CHECK_EQ(timers[i].heap_pos, pos[i]);
        CHECK_PTR_EQ(slots2[pos[i] - 1], &timers[i]);
    }
    check_heap(&h);

    /* The old array is no longer used: scribbling on it changes nothing. */
    memset(slots, 0, sizeof(slots));
    for ( i = 64; i < 200; i++ )
    {
        timers[i].expires = (s_time_t)(test_rand() % 500);
        REQUIRE(timer_heap_add(&h, &timers[i]));
    }
    check_heap(&h);
    CHECK_EQ(drain_in_order(&h), 200);
}

TEST(removing_a_timer_not_in_the_heap_panics)
{
    struct timer_heap h;

    heap_setup(&h, 8);
    timers[0].expires = 5;
    REQUIRE(timer_heap_add(&h, &timers[0]));
    CHECK_PANICS(timer_heap_remove(&h, &timers[1]));     /* heap_pos 0 */
    timers[1].heap_pos = 1;                              /* a liar */
    CHECK_PANICS(timer_heap_remove(&h, &timers[1]));
    CHECK_EQ(h.size, 1);
    CHECK_PTR_EQ(timer_heap_peek(&h), &timers[0]);
}

TEST(adding_a_timer_already_in_a_heap_panics)
{
    struct timer_heap h;

    heap_setup(&h, 8);
    REQUIRE(timer_heap_add(&h, &timers[0]));
    CHECK_PANICS(timer_heap_add(&h, &timers[0]));
    CHECK_EQ(h.size, 1);
}

TEST(shrinking_below_the_size_panics)
{
    struct timer_heap h;
    unsigned int i;

    heap_setup(&h, 8);
    for ( i = 0; i < 4; i++ )
        REQUIRE(timer_heap_add(&h, &timers[i]));
    CHECK_PANICS(timer_heap_resize(&h, slots2, 3));
    CHECK_PTR_EQ(h.elts, slots);
}

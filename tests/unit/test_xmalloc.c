/*
 * Tests for xen/common/xmalloc.c.  The xenheap underneath is the host
 * stub, which counts pages and can be told to fail.
 */

#include <stdint.h>

#include <xen/lib.h>
#include <xen/mm.h>
#include <xen/xmalloc.h>

#include "harness.h"
#include "stubs.h"

/* Empty pool pages xmalloc may keep cached: one per size class, at most. */
#define MAX_CACHED_PAGES 16

static bool all_bytes(const void *p, u8 v, size_t n)
{
    const u8 *b = p;
    size_t i;

    for ( i = 0; i < n; i++ )
        if ( b[i] != v )
            return false;
    return true;
}

TEST(every_size_is_16_byte_aligned_writable_and_disjoint)
{
    enum { N = 300 };
    static void *p[N];
    static size_t sz[N];
    unsigned long base = stub_xenheap_pages_outstanding();
    unsigned int i;

    for ( i = 0; i < N; i++ )
    {
        sz[i] = i < 200 ? i + 1 : (i - 199) * 97;  /* 1..200, then to 9.7k */
        p[i] = xmalloc_bytes(sz[i]);
        REQUIRE(p[i] != NULL);
        CHECK_EQ((uintptr_t)p[i] % 16, 0);
        memset(p[i], (u8)i, sz[i]);
    }

    /* Any overlap would have overwritten someone else's pattern. */
    for ( i = 0; i < N; i++ )
        CHECK(all_bytes(p[i], (u8)i, sz[i]));

    for ( i = 0; i < N; i++ )
        xfree(p[i]);
    CHECK(stub_xenheap_pages_outstanding() <= base + MAX_CACHED_PAGES);
}

TEST(full_pages_of_every_class_keep_objects_inside_their_page)
{
    enum { PER_CLASS = 800 };
    static const size_t sizes[] = {
        16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 672, 1008, 1344, 2016,
    };
    static u8 *p[PER_CLASS];
    unsigned int c, i;

    for ( c = 0; c < ARRAY_SIZE(sizes); c++ )
    {
        /* Enough objects to fill several pages of each class. */
        unsigned int n = sizes[c] < 512 ? PER_CLASS : 40;

        for ( i = 0; i < n; i++ )
        {
            uintptr_t page;

            p[i] = xmalloc_bytes(sizes[c]);
            REQUIRE(p[i] != NULL);
            page = (uintptr_t)p[i] & ~(uintptr_t)(PAGE_SIZE - 1);
            CHECK((uintptr_t)p[i] + sizes[c] <= page + PAGE_SIZE);
            memset(p[i], (u8)i, sizes[c]);
        }
        for ( i = 0; i < n; i++ )
        {
            CHECK(all_bytes(p[i], (u8)i, sizes[c]));
            xfree(p[i]);
        }
        if ( harness_failures() )
            return;
    }
}

static unsigned int distinct_pages(u8 *const *p, unsigned int n)
{
    unsigned int i, j, pages = 0;

    for ( i = 0; i < n; i++ )
    {
        uintptr_t pg = (uintptr_t)p[i] & ~(uintptr_t)(PAGE_SIZE - 1);

        for ( j = 0; j < i; j++ )
            if ( ((uintptr_t)p[j] & ~(uintptr_t)(PAGE_SIZE - 1)) == pg )
                break;
        if ( j == i )
            pages++;
    }
    return pages;
}

TEST(small_objects_are_packed_densely)
{
    static const size_t sizes[] = {
        16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 672, 1008, 1344, 2016,
    };
    static u8 *p[2600];
    unsigned int c, i;

    for ( c = 0; c < ARRAY_SIZE(sizes); c++ )
    {
        /* About ten pages' worth; at least 7/8 of a page must be used. */
        unsigned int n = 10 * ((PAGE_SIZE - 64) / sizes[c]);
        unsigned int bound = DIV_ROUND_UP(n * sizes[c], PAGE_SIZE * 7 / 8);

        REQUIRE(n <= ARRAY_SIZE(p));
        for ( i = 0; i < n; i++ )
            REQUIRE((p[i] = xmalloc_bytes(sizes[c])) != NULL);
        CHECK(distinct_pages(p, n) <= bound + 1);
        for ( i = 0; i < n; i++ )
            xfree(p[i]);
    }
}

TEST(a_slot_freed_in_a_full_page_is_reused_before_a_new_page)
{
    enum { N = 10 };
    void *p[N], *q;
    unsigned long allocs;
    unsigned int i;

    for ( i = 0; i < N; i++ )
        REQUIRE((p[i] = xmalloc_bytes(2000)) != NULL);
    allocs = stub_xenheap_allocs();
    xfree(p[4]);
    q = xmalloc_bytes(2000);
    CHECK_PTR_EQ(q, p[4]);
    CHECK_EQ(stub_xenheap_allocs(), allocs);
    p[4] = q;
    for ( i = 0; i < N; i++ )
        xfree(p[i]);
}

TEST(zero_bytes_gives_a_unique_pointer_that_can_be_freed)
{
    void *a = xmalloc_bytes(0), *b = xmalloc_bytes(0);

    REQUIRE(a && b);
    CHECK(a != b);
    xfree(a);
    xfree(b);
}

TEST(xfree_of_null_does_nothing)
{
    unsigned long base = stub_xenheap_pages_outstanding();

    xfree(NULL);
    CHECK_EQ(stub_xenheap_pages_outstanding(), base);
}

TEST(xzalloc_zeroes_fresh_and_recycled_memory)
{
    static const size_t sizes[] = { 1, 24, 100, 1000, 2016, 3000, 20000 };
    unsigned int i;

    for ( i = 0; i < ARRAY_SIZE(sizes); i++ )
    {
        u8 *p = xmalloc_bytes(sizes[i]), *q, *keep;

        REQUIRE(p != NULL);
        keep = xmalloc_bytes(sizes[i]);     /* keeps a pool page alive */
        memset(p, 0xff, sizes[i]);
        xfree(p);

        q = xzalloc_bytes(sizes[i]);
        REQUIRE(q != NULL);
        CHECK(all_bytes(q, 0, sizes[i]));
        xfree(q);
        xfree(keep);
    }
}

TEST(a_freed_slot_is_reused)
{
    void *a = xmalloc_bytes(100), *b = xmalloc_bytes(100), *c;

    REQUIRE(a && b);
    xfree(a);
    c = xmalloc_bytes(100);
    CHECK_PTR_EQ(c, a);
    xfree(b);
    xfree(c);
}

TEST(same_class_allocations_share_pages)
{
    enum { N = 64 };
    void *p[N];
    unsigned long allocs = stub_xenheap_allocs();
    unsigned int i;

    for ( i = 0; i < N; i++ )
        REQUIRE((p[i] = xmalloc_bytes(32)) != NULL);
    /* 64 x 32 bytes fit in one page (plus one already cached, maybe). */
    CHECK(stub_xenheap_allocs() - allocs <= 1);
    for ( i = 0; i < N; i++ )
        xfree(p[i]);
}

TEST(large_requests_take_whole_pages_of_the_right_order)
{
    unsigned long base = stub_xenheap_pages_outstanding();
    void *a, *b, *c;

    a = xmalloc_bytes(PAGE_SIZE - 16);      /* header fits: one page */
    REQUIRE(a != NULL);
    CHECK_EQ(stub_xenheap_pages_outstanding(), base + 1);
    b = xmalloc_bytes(PAGE_SIZE - 15);      /* header does not: two */
    REQUIRE(b != NULL);
    CHECK_EQ(stub_xenheap_pages_outstanding(), base + 3);
    c = xmalloc_bytes(5 * PAGE_SIZE);       /* order 3 */
    REQUIRE(c != NULL);
    CHECK_EQ(stub_xenheap_pages_outstanding(), base + 11);
    CHECK_EQ((uintptr_t)c % 16, 0);
    memset(c, 1, 5 * PAGE_SIZE);

    xfree(b);
    CHECK_EQ(stub_xenheap_pages_outstanding(), base + 9);
    xfree(a);
    xfree(c);
    CHECK_EQ(stub_xenheap_pages_outstanding(), base);
}

TEST(empty_pool_pages_go_back_to_the_heap)
{
    enum { N = 40 };
    void *p[N];
    unsigned long base = stub_xenheap_pages_outstanding();
    unsigned int i;

    /* 1344-byte slots, three to a page: at least 13 pages. */
    for ( i = 0; i < N; i++ )
        REQUIRE((p[i] = xmalloc_bytes(1300)) != NULL);
    CHECK(stub_xenheap_pages_outstanding() >= base + N / 3 - 1);

    for ( i = 0; i < N; i++ )
        xfree(p[i]);
    /* At most one empty page of this class stays cached. */
    CHECK(stub_xenheap_pages_outstanding() <= base + 1);
}

TEST(array_size_overflow_returns_null)
{
    unsigned long allocs = stub_xenheap_allocs();
    u64 *a;

    CHECK(xzalloc_array_bytes(SIZE_MAX / 2 + 1, 2) == NULL);
    CHECK(xzalloc_array_bytes(2, SIZE_MAX / 2 + 1) == NULL);
    CHECK(xzalloc_array_bytes(SIZE_MAX, SIZE_MAX) == NULL);
    CHECK(xzalloc_array(u64, SIZE_MAX / 4) == NULL);
    CHECK_EQ(stub_xenheap_allocs(), allocs);

    a = xzalloc_array(u64, 300);
    REQUIRE(a != NULL);
    CHECK(all_bytes(a, 0, 300 * sizeof(u64)));
    xfree(a);
}

TEST(impossible_sizes_return_null_without_touching_the_heap)
{
    unsigned long allocs = stub_xenheap_allocs();

    CHECK(xmalloc_bytes(SIZE_MAX) == NULL);
    CHECK(xmalloc_bytes(SIZE_MAX - 8) == NULL);
    CHECK(xmalloc_bytes(PAGE_SIZE << MAX_ORDER) == NULL);
    CHECK(xzalloc_bytes(SIZE_MAX) == NULL);
    CHECK_EQ(stub_xenheap_allocs(), allocs);
}

TEST(backing_page_failure_returns_null)
{
    enum { N = 8 };
    void *p[N];
    unsigned int i, got = 0;

    stub_xenheap_fail_after(0);
    CHECK(xmalloc_bytes(3000) == NULL);
    CHECK(xzalloc_bytes(64 * 1024) == NULL);

    /* Small objects: only slots already in the pool can be handed out. */
    for ( i = 0; i < N; i++ )
    {
        p[i] = xmalloc_bytes(1100);         /* 1344 class, 3 per page */
        if ( p[i] )
            got++;
    }
    CHECK(got <= 3);
    CHECK(p[N - 1] == NULL);

    stub_xenheap_fail_after(-1);
    p[N - 1] = xmalloc_bytes(1100);
    CHECK(p[N - 1] != NULL);

    for ( i = 0; i < N; i++ )
        xfree(p[i]);
}

TEST(double_free_of_a_small_object_panics)
{
    void *a = xmalloc_bytes(40), *keep = xmalloc_bytes(40);

    REQUIRE(a && keep);
    xfree(a);
    CHECK_PANICS(xfree(a));
    CHECK(strstr(harness_last_panic(), "double free") != NULL);

    /* The lock was dropped and the pool still works. */
    a = xmalloc_bytes(40);
    CHECK(a != NULL);
    xfree(a);
    xfree(keep);
}

TEST(freeing_a_pointer_xmalloc_did_not_return_panics)
{
    char *s = xmalloc_bytes(48), *l = xmalloc_bytes(10000);

    REQUIRE(s && l);
    CHECK_PANICS(xfree(s + 1));             /* misaligned */
    CHECK_PANICS(xfree(s + 16));            /* inside a 48-byte slot */
    CHECK_PANICS(xfree(l + 16));            /* inside a large block */
    xfree(s);
    xfree(l);
}

TEST(random_alloc_free_keeps_contents_intact)
{
    enum { N = 200 };
    static u8 *p[N];
    static size_t sz[N];
    unsigned long base = stub_xenheap_pages_outstanding();
    unsigned int op, i;

    for ( op = 0; op < 20000; op++ )
    {
        i = test_rand() % N;
        if ( p[i] )
        {
            REQUIRE(all_bytes(p[i], (u8)(i + 1), sz[i]));
            xfree(p[i]);
            p[i] = NULL;
        }
        else
        {
            sz[i] = (test_rand() % 4 == 0) ? test_rand() % 9000
                                           : test_rand() % 600;
            p[i] = xmalloc_bytes(sz[i]);
            REQUIRE(p[i] != NULL);
            REQUIRE_EQ((uintptr_t)p[i] % 16, 0);
            memset(p[i], (u8)(i + 1), sz[i]);
        }
    }

    for ( i = 0; i < N; i++ )
    {
        if ( p[i] )
        {
            CHECK(all_bytes(p[i], (u8)(i + 1), sz[i]));
            xfree(p[i]);
            p[i] = NULL;
        }
    }
    CHECK(stub_xenheap_pages_outstanding() <= base + MAX_CACHED_PAGES);
}

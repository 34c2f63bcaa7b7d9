/*
 * Tests for the buddy allocator in xen/common/page_alloc.c.
 */

#include <stdlib.h>

#include <xen/lib.h>
#include <xen/mm.h>

#include "harness.h"
#include "stubs.h"

static struct page_info *ft;

static void setup(unsigned long nr)
{
    free(ft);
    ft = calloc(nr, sizeof(*ft));
    REQUIRE(ft != NULL);
    /* Garbage in, to show that page_alloc_init() sets every field. */
    memset(ft, 0x5a, nr * sizeof(*ft));
    page_alloc_init(ft, nr);
}

struct block
{
    unsigned long pfn;
    unsigned int order;
};

/*
 * The free blocks as the frame table describes them, checking on the way
 * that they are aligned, disjoint, and cover exactly the free pages.
 */
static unsigned int free_blocks(unsigned long nr, struct block *out,
                                unsigned int max)
{
    unsigned int n = 0;
    unsigned long pfn = 0;

    while ( pfn < nr )
    {
        unsigned long i, size;

        if ( ft[pfn].state != PGS_free )
        {
            CHECK(!ft[pfn].head);
            pfn++;
            continue;
        }
        REQUIRE(ft[pfn].head);
        size = 1UL << ft[pfn].order;
        CHECK_EQ(pfn & (size - 1), 0);
        REQUIRE(pfn + size <= nr);
        for ( i = 1; i < size; i++ )
        {
            CHECK_EQ(ft[pfn + i].state, PGS_free);
            CHECK(!ft[pfn + i].head);
        }
        if ( n < max )
        {
            out[n].pfn = pfn;
            out[n].order = ft[pfn].order;
        }
        n++;
        pfn += size;
    }

    return n;
}

TEST(init_marks_ranges_free_and_everything_else_reserved)
{
    unsigned long pfn;

    setup(64);
    CHECK_EQ(pages_in_state(PGS_reserved), 64);
    CHECK_EQ(total_heap_pages(), 0);

    init_heap_pages(4, 16);
    init_heap_pages(32, 32);

    for ( pfn = 0; pfn < 64; pfn++ )
    {
        bool in = (pfn >= 4 && pfn < 20) || pfn >= 32;

        CHECK_EQ(page_state_of(pfn), in ? PGS_free : PGS_reserved);
    }
    CHECK_EQ(page_state_of(64), PGS_reserved);
    CHECK_EQ(page_state_of(~0UL), PGS_reserved);
    CHECK_EQ(total_heap_pages(), 48);
    CHECK_EQ(free_heap_pages_count(), 48);
    CHECK_EQ(pages_in_state(PGS_free), 48);
    CHECK_EQ(pages_in_state(PGS_reserved), 16);
    CHECK_EQ(pages_in_state(PGS_xen), 0);
    CHECK_EQ(pages_in_state(PGS_domain), 0);
}

TEST(init_over_holes_builds_maximal_aligned_blocks)
{
    struct block b[8];
    unsigned int n;

    setup(64);
    init_heap_pages(4, 16);     /* [4,8) [8,16) [16,20) */
    init_heap_pages(32, 32);    /* [32,64) */

    n = free_blocks(64, b, 8);
    REQUIRE_EQ(n, 4);
    CHECK_EQ(b[0].pfn, 4);
    CHECK_EQ(b[0].order, 2);
    CHECK_EQ(b[1].pfn, 8);
    CHECK_EQ(b[1].order, 3);
    CHECK_EQ(b[2].pfn, 16);
    CHECK_EQ(b[2].order, 2);
    CHECK_EQ(b[3].pfn, 32);
    CHECK_EQ(b[3].order, 5);
}

TEST(adjacent_init_calls_merge_into_one_block)
{
    struct block b[4];

    setup(64);
    init_heap_pages(0, 5);
    init_heap_pages(5, 27);
    init_heap_pages(48, 16);
    init_heap_pages(32, 16);

    REQUIRE_EQ(free_blocks(64, b, 4), 1);
    CHECK_EQ(b[0].pfn, 0);
    CHECK_EQ(b[0].order, 6);
}

TEST(odd_sized_frame_table_tail_is_usable)
{
    struct block b[8];
    struct page_info *pg;

    /* 13 frames: blocks [0,8) [8,12) [12,13); the buddy of 12 is past
     * the end of the table and must not be looked at. */
    setup(13);
    init_heap_pages(0, 13);
    REQUIRE_EQ(free_blocks(13, b, 8), 3);
    CHECK_EQ(b[2].pfn, 12);
    CHECK_EQ(b[2].order, 0);

    pg = alloc_heap_pages(0, 0, PGS_xen, 0);
    REQUIRE(pg != NULL);
    free_heap_pages(pg, 0);
    CHECK_EQ(free_blocks(13, b, 8), 3);
    CHECK_EQ(free_heap_pages_count(), 13);
}

TEST(alloc_of_every_order_is_naturally_aligned_and_owned)
{
    unsigned int order;
    unsigned long nr = 2UL << MAX_ORDER;

    /* Offset start so only the allocator's splitting gives alignment. */
    setup(nr);
    init_heap_pages(3, nr - 3);

    for ( order = 0; order <= MAX_ORDER; order++ )
    {
        struct page_info *pg = alloc_heap_pages(order, 0, PGS_xen, 0);
        unsigned long pfn, i;

        REQUIRE(pg != NULL);
        pfn = page_to_pfn(pg);
        CHECK_PTR_EQ(pfn_to_page(pfn), pg);
        CHECK_EQ(pfn & ((1UL << order) - 1), 0);
        CHECK(pfn + (1UL << order) <= nr);
        for ( i = 0; i < (1UL << order); i += 1 + (i >> 4) )
            CHECK_EQ(page_state_of(pfn + i), PGS_xen);
        CHECK_EQ(pages_in_state(PGS_xen), 1UL << order);
        CHECK_EQ(free_heap_pages_count(), nr - 3 - (1UL << order));

        free_heap_pages(pg, order);
        CHECK_EQ(pages_in_state(PGS_xen), 0);
        CHECK_EQ(free_heap_pages_count(), nr - 3);
    }

    CHECK(alloc_heap_pages(MAX_ORDER + 1, 0, PGS_xen, 0) == NULL);
    CHECK(alloc_heap_pages(~0u, 0, PGS_xen, 0) == NULL);
}

TEST(freeing_everything_merges_back_to_the_original_blocks)
{
    enum { NR = 1024 };
    static struct page_info *pages[NR];
    struct block before[16], after[16];
    unsigned int n_before, n_after, i;

    setup(NR);
    init_heap_pages(0, 700);
    init_heap_pages(720, NR - 720);
    n_before = free_blocks(NR, before, 16);

    for ( i = 0; i < NR - 20; i++ )
    {
        pages[i] = alloc_heap_pages(0, 0, PGS_domain, 7);
        REQUIRE(pages[i] != NULL);
    }
    CHECK(alloc_heap_pages(0, 0, PGS_domain, 7) == NULL);
    CHECK_EQ(free_heap_pages_count(), 0);

    /* Free in a random order, so merges happen in every direction. */
    for ( i = NR - 20 - 1; i > 0; i-- )
    {
        unsigned int j = test_rand() % (i + 1);
        struct page_info *t = pages[i];

        pages[i] = pages[j];
        pages[j] = t;
    }
    for ( i = 0; i < NR - 20; i++ )
        free_heap_pages(pages[i], 0);

    n_after = free_blocks(NR, after, 16);
    REQUIRE_EQ(n_after, n_before);
    REQUIRE(n_before <= 16);
    for ( i = 0; i < n_before; i++ )
    {
        CHECK_EQ(after[i].pfn, before[i].pfn);
        CHECK_EQ(after[i].order, before[i].order);
    }
    CHECK_EQ(free_heap_pages_count(), NR - 20);
}

TEST(split_block_returns_upper_halves_to_the_free_lists)
{
    struct block b[16];
    struct page_info *pg;

    setup(64);
    init_heap_pages(0, 64);

    pg = alloc_heap_pages(0, 0, PGS_xen, 0);
    REQUIRE(pg != NULL);
    CHECK_EQ(page_to_pfn(pg), 0);
    /* Remaining: 1/o0 2/o1 4/o2 8/o3 16/o4 32/o5. */
    REQUIRE_EQ(free_blocks(64, b, 16), 6);
    CHECK_EQ(b[0].pfn, 1);
    CHECK_EQ(b[0].order, 0);
    CHECK_EQ(b[5].pfn, 32);
    CHECK_EQ(b[5].order, 5);

    free_heap_pages(pg, 0);
    REQUIRE_EQ(free_blocks(64, b, 16), 1);
    CHECK_EQ(b[0].order, 6);
}

TEST(memf_bits_keeps_blocks_below_the_limit)
{
    struct page_info *pg;
    unsigned long n = 0;

    setup(4096);                        /* 16 MiB */
    init_heap_pages(0, 4096);

    /* MEMF_bits(20): below 1 MiB, i.e. pfn < 256. */
    while ( (pg = alloc_heap_pages(0, MEMF_bits(20), PGS_xen, 0)) )
    {
        CHECK(page_to_pfn(pg) < 256);
        n++;
        REQUIRE(n <= 256);
    }
    CHECK_EQ(n, 256);
    CHECK_EQ(pages_in_state(PGS_xen), 256);

    /* Memory above the limit is still there for unrestricted callers. */
    pg = alloc_heap_pages(0, 0, PGS_xen, 0);
    REQUIRE(pg != NULL);
    CHECK(page_to_pfn(pg) >= 256);
    pg = alloc_heap_pages(0, MEMF_bits(40), PGS_xen, 0);
    CHECK(pg != NULL);
}

TEST(memf_bits_with_large_orders_and_tiny_limits)
{
    struct page_info *pg;

    setup(4096);
    init_heap_pages(0, 4096);

    /* Order 8 fits exactly below 1 MiB; order 9 cannot. */
    CHECK(alloc_heap_pages(9, MEMF_bits(20), PGS_xen, 0) == NULL);
    pg = alloc_heap_pages(8, MEMF_bits(20), PGS_xen, 0);
    REQUIRE(pg != NULL);
    CHECK_EQ(page_to_pfn(pg), 0);
    CHECK(alloc_heap_pages(0, MEMF_bits(20), PGS_xen, 0) == NULL);

    /* Below one page nothing can ever fit. */
    CHECK(alloc_heap_pages(0, MEMF_bits(PAGE_SHIFT - 1), PGS_xen, 0) == NULL);
    CHECK(alloc_heap_pages(0, MEMF_bits(1), PGS_xen, 0) == NULL);
    /* Exactly one page worth of address space: pfn 0, which is taken. */
    CHECK(alloc_heap_pages(0, MEMF_bits(PAGE_SHIFT), PGS_xen, 0) == NULL);
    /* A limit far beyond 64 bits is no limit at all. */
    CHECK(alloc_heap_pages(0, MEMF_bits(255), PGS_xen, 0) != NULL);
}

TEST(memf_bits_finds_a_low_block_behind_high_ones_on_the_list)
{
    enum { NR = 1024 };
    static struct page_info *pages[NR];
    struct page_info *pg;
    unsigned int i;

    setup(NR);
    init_heap_pages(0, NR);
    for ( i = 0; i < NR; i++ )
    {
        pages[i] = alloc_heap_pages(0, 0, PGS_xen, 0);
        REQUIRE(pages[i] != NULL);
    }

    /* Free a low page, then a high one which lands first on the list. */
    free_heap_pages(pfn_to_page(100), 0);
    free_heap_pages(pfn_to_page(1000), 0);

    pg = alloc_heap_pages(0, MEMF_bits(PAGE_SHIFT + 9), PGS_xen, 0);
    REQUIRE(pg != NULL);
    CHECK_EQ(page_to_pfn(pg), 100);
    CHECK(alloc_heap_pages(0, MEMF_bits(PAGE_SHIFT + 9), PGS_xen, 0) == NULL);
    pg = alloc_heap_pages(0, 0, PGS_xen, 0);
    REQUIRE(pg != NULL);
    CHECK_EQ(page_to_pfn(pg), 1000);
}

TEST(exhaustion_returns_null_and_changes_nothing)
{
    unsigned int i;

    setup(32);
    init_heap_pages(0, 16);

    CHECK(alloc_heap_pages(5, 0, PGS_xen, 0) == NULL);
    CHECK_EQ(free_heap_pages_count(), 16);

    for ( i = 0; i < 16; i++ )
        REQUIRE(alloc_heap_pages(0, 0, PGS_xen, 0) != NULL);
    CHECK(alloc_heap_pages(0, 0, PGS_xen, 0) == NULL);
    CHECK_EQ(free_heap_pages_count(), 0);
    CHECK_EQ(pages_in_state(PGS_xen), 16);
    CHECK_EQ(pages_in_state(PGS_reserved), 16);
}

TEST(fragmented_memory_fails_a_large_order_despite_enough_free_pages)
{
    struct page_info *pg[16];
    unsigned int i;

    setup(16);
    init_heap_pages(0, 16);
    for ( i = 0; i < 16; i++ )
        pg[i] = alloc_heap_pages(0, 0, PGS_xen, 0);
    /* Free every other page: 8 free pages, no two of them adjacent. */
    for ( i = 0; i < 16; i += 2 )
        free_heap_pages(pg[i], 0);

    CHECK_EQ(free_heap_pages_count(), 8);
    CHECK(alloc_heap_pages(1, 0, PGS_xen, 0) == NULL);
    CHECK(alloc_heap_pages(0, 0, PGS_xen, 0) != NULL);
}

TEST(states_owners_and_counts_follow_alloc_and_free)
{
    struct page_info *x, *d;
    unsigned long i;

    setup(256);
    init_heap_pages(0, 256);

    x = alloc_heap_pages(2, 0, PGS_xen, 99);
    d = alloc_heap_pages(3, 0, PGS_domain, 42);
    REQUIRE(x && d);

    CHECK_EQ(pages_in_state(PGS_xen), 4);
    CHECK_EQ(pages_in_state(PGS_domain), 8);
    CHECK_EQ(free_heap_pages_count(), 256 - 12);
    CHECK_EQ(total_heap_pages(), 256);
    for ( i = 0; i < 4; i++ )
    {
        CHECK_EQ(x[i].state, PGS_xen);
        CHECK_EQ(x[i].owner, 0);       /* owner only means something for
                                          domain pages */
        CHECK(!x[i].head);
    }
    for ( i = 0; i < 8; i++ )
    {
        CHECK_EQ(page_state_of(page_to_pfn(d) + i), PGS_domain);
        CHECK_EQ(d[i].owner, 42);
    }

    /* A naturally aligned part of a block may be freed on its own. */
    free_heap_pages(d + 4, 2);
    CHECK_EQ(pages_in_state(PGS_domain), 4);
    free_heap_pages(d, 2);
    free_heap_pages(x, 2);
    CHECK_EQ(pages_in_state(PGS_domain), 0);
    CHECK_EQ(pages_in_state(PGS_xen), 0);
    CHECK_EQ(free_heap_pages_count(), 256);
    CHECK_EQ(total_heap_pages(), 256);
    CHECK_EQ(pages_in_state((enum page_state)17), 0);
}

TEST(pfn_to_page_is_null_outside_the_frame_table)
{
    setup(8);
    CHECK_PTR_EQ(pfn_to_page(0), &ft[0]);
    CHECK_PTR_EQ(pfn_to_page(7), &ft[7]);
    CHECK(pfn_to_page(8) == NULL);
    CHECK_EQ(page_to_pfn(&ft[5]), 5);
}

TEST(double_free_panics_and_leaves_the_heap_usable)
{
    struct page_info *pg;

    setup(16);
    init_heap_pages(0, 16);
    pg = alloc_heap_pages(1, 0, PGS_xen, 0);
    REQUIRE(pg != NULL);
    free_heap_pages(pg, 1);

    CHECK_PANICS(free_heap_pages(pg, 1));
    CHECK(strstr(harness_last_panic(), "double free") != NULL);
    CHECK_EQ(free_heap_pages_count(), 16);

    /* heap_lock was dropped before the panic. */
    pg = alloc_heap_pages(4, 0, PGS_xen, 0);
    CHECK(pg != NULL);
}

TEST(partial_double_free_panics_without_freeing_any_page)
{
    struct page_info *pg;

    setup(16);
    init_heap_pages(0, 16);
    pg = alloc_heap_pages(2, 0, PGS_xen, 0);
    REQUIRE(pg != NULL);
    free_heap_pages(pg + 2, 1);

    CHECK_PANICS(free_heap_pages(pg, 2));
    CHECK_EQ(page_state_of(page_to_pfn(pg)), PGS_xen);
    CHECK_EQ(pages_in_state(PGS_xen), 2);
}

TEST(freeing_a_reserved_page_panics)
{
    setup(16);
    init_heap_pages(0, 8);

    CHECK_PANICS(free_heap_pages(pfn_to_page(12), 0));
    CHECK(strstr(harness_last_panic(), "reserved") != NULL);
    CHECK_EQ(page_state_of(12), PGS_reserved);
    CHECK_EQ(free_heap_pages_count(), 8);
}

TEST(freeing_a_bad_block_panics)
{
    struct page_info outside;
    struct page_info *pg;

    setup(16);
    init_heap_pages(0, 16);
    pg = alloc_heap_pages(2, 0, PGS_xen, 0);
    REQUIRE(pg != NULL);

    CHECK_PANICS(free_heap_pages(pg + 1, 1));          /* misaligned */
    CHECK_PANICS(free_heap_pages(pg, MAX_ORDER + 1));
    CHECK_PANICS(free_heap_pages(pfn_to_page(0), 5));  /* past the end */
    CHECK_PANICS(free_heap_pages(&outside, 0));
    CHECK_EQ(pages_in_state(PGS_xen), 4);
}

TEST(init_heap_pages_rejects_overlap_and_out_of_range)
{
    setup(16);
    init_heap_pages(0, 8);

    CHECK_PANICS(init_heap_pages(4, 8));
    CHECK_EQ(free_heap_pages_count(), 8);
    CHECK_EQ(page_state_of(10), PGS_reserved);
    CHECK_PANICS(init_heap_pages(8, 9));
    CHECK_PANICS(init_heap_pages(~0UL, 2));
    init_heap_pages(3, 0);                   /* empty range: no-op */
    CHECK_EQ(total_heap_pages(), 8);
}

TEST(allocating_in_a_non_owner_state_panics)
{
    setup(16);
    init_heap_pages(0, 16);
    CHECK_PANICS(alloc_heap_pages(0, 0, PGS_free, 0));
    CHECK_PANICS(alloc_heap_pages(0, 0, PGS_reserved, 0));
    CHECK_EQ(free_heap_pages_count(), 16);
}

/*
 * Random allocations and frees against a model that knows only which
 * pages are in use.  Buddy allocation with full merging finds a block of
 * order k whenever some naturally aligned run of 2^k pages is free, so
 * the model can also say when an allocation must fail.
 */
enum { STRESS_NR = 2048 };

struct live
{
    unsigned long pfn;
    unsigned int order;
    u8 state;
};

static u8 model[STRESS_NR];                /* enum page_state */

static bool model_can_fit(unsigned int order, unsigned long limit)
{
    unsigned long pfn, i, size = 1UL << order;

    for ( pfn = 0; pfn + size <= STRESS_NR && pfn + size <= limit;
          pfn += size )
    {
        for ( i = 0; i < size; i++ )
            if ( model[pfn + i] != PGS_free )
                break;
        if ( i == size )
            return true;
    }
    return false;
}

TEST(random_alloc_free_matches_a_simple_model)
{
    static struct live live[STRESS_NR];
    struct block before[64], after[64];
    unsigned int nlive = 0, n_before, op, i;
    unsigned long pfn, nfree = 0;

    setup(STRESS_NR);
    for ( pfn = 0; pfn < STRESS_NR; pfn++ )
        model[pfn] = PGS_reserved;
    /* RAM with holes, at odd boundaries. */
    init_heap_pages(1, 300);
    init_heap_pages(333, 1000);
    init_heap_pages(1400, STRESS_NR - 1400 - 5);
    for ( pfn = 0; pfn < STRESS_NR; pfn++ )
    {
        if ( ft[pfn].state == PGS_free )
        {
            model[pfn] = PGS_free;
            nfree++;
        }
    }
    CHECK_EQ(nfree, 300 + 1000 + STRESS_NR - 1405);
    n_before = free_blocks(STRESS_NR, before, 64);
    REQUIRE(n_before <= 64);

    for ( op = 0; op < 20000; op++ )
    {
        unsigned int r = test_rand();

        if ( nlive && (r % 100) < 45 )
        {
            /* Free a random live block, sometimes as its two halves. */
            unsigned int k = test_rand() % nlive;
            struct live *l = &live[k];
            unsigned long size = 1UL << l->order;

            if ( l->order && (r & 1) )
            {
                free_heap_pages(pfn_to_page(l->pfn + size / 2),
                                l->order - 1);
                free_heap_pages(pfn_to_page(l->pfn), l->order - 1);
            }
            else
                free_heap_pages(pfn_to_page(l->pfn), l->order);
            for ( i = 0; i < size; i++ )
                model[l->pfn + i] = PGS_free;
            nfree += size;
            live[k] = live[--nlive];
        }
        else
        {
            unsigned int order = test_rand() % 7;
            unsigned int bits = (r & 8) ? PAGE_SHIFT + 6 + test_rand() % 6
                                        : 0;
            unsigned long limit = bits ? 1UL << (bits - PAGE_SHIFT) : ~0UL;
            u8 state = (r & 16) ? PGS_domain : PGS_xen;
            struct page_info *pg;
            bool fits = model_can_fit(order, limit);

            pg = alloc_heap_pages(order, MEMF_bits(bits), state, 1);
            CHECK_EQ(pg != NULL, fits);
            if ( !pg )
                continue;

            pfn = page_to_pfn(pg);
            REQUIRE_EQ(pfn & ((1UL << order) - 1), 0);
            REQUIRE(pfn + (1UL << order) <= limit);
            for ( i = 0; i < (1UL << order); i++ )
            {
                REQUIRE_EQ(model[pfn + i], PGS_free);
                model[pfn + i] = state;
            }
            nfree -= 1UL << order;
            REQUIRE(nlive < STRESS_NR);
            live[nlive].pfn = pfn;
            live[nlive].order = order;
            live[nlive].state = state;
            nlive++;
        }

        REQUIRE_EQ(free_heap_pages_count(), nfree);
        if ( op % 500 == 0 )
        {
            for ( pfn = 0; pfn < STRESS_NR; pfn++ )
                REQUIRE_EQ(page_state_of(pfn), model[pfn]);
            free_blocks(STRESS_NR, NULL, 0);
            if ( harness_failures() )
                return;
        }
    }

    while ( nlive )
    {
        nlive--;
        free_heap_pages(pfn_to_page(live[nlive].pfn), live[nlive].order);
    }

    REQUIRE_EQ(free_blocks(STRESS_NR, after, 64), n_before);
    for ( i = 0; i < n_before; i++ )
    {
        CHECK_EQ(after[i].pfn, before[i].pfn);
        CHECK_EQ(after[i].order, before[i].order);
    }
    CHECK_EQ(pages_in_state(PGS_xen) + pages_in_state(PGS_domain), 0);
}

TEST(assign_boot_pages_marks_reserved_frames_as_xen_outside_the_heap)
{
    setup(64);
    init_heap_pages(32, 32);
    assign_boot_pages(4, 8);

    for ( unsigned long pfn = 0; pfn < 32; pfn++ )
        CHECK_EQ(page_state_of(pfn),
                 pfn >= 4 && pfn < 12 ? PGS_xen : PGS_reserved);
    CHECK_EQ(pages_in_state(PGS_xen), 8);
    CHECK_EQ(pages_in_state(PGS_reserved), 24);
    /* Not heap memory: the heap's size and free count are unchanged. */
    CHECK_EQ(total_heap_pages(), 32);
    CHECK_EQ(free_heap_pages_count(), 32);
}

TEST(assign_boot_pages_refuses_heap_frames_and_out_of_range)
{
    setup(64);
    init_heap_pages(32, 32);
    CHECK_PANICS(assign_boot_pages(30, 4));         /* 32, 33 are free */
    CHECK_EQ(page_state_of(30), PGS_reserved);      /* nothing changed */
    CHECK_EQ(pages_in_state(PGS_xen), 0);
    CHECK_PANICS(assign_boot_pages(60, 8));
    CHECK_EQ(pages_in_state(PGS_reserved), 32);
}

/*
 * Tests for the p2m (xen/common/p2m.c): populate, lookup, limits,
 * overlaps, all-or-nothing failures, teardown, and the guest-physical
 * copies, over the real page allocator.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>

#include "harness.h"
#include "stubs.h"
#include "hypercall/env.h"
#include "hypercall/sched_double.h"

#define NO_MFN  (~0ULL)
#define MAX_GFN (1ULL << 40)

static struct domain *create(u64 max_pages)
{
    struct domain *d = NULL;

    REQUIRE_EQ(domain_create(0, XEN_DOMCTL_CDF_hvm, 1, max_pages, &d), 0);
    return d;
}

static u8 *page_of(u64 mfn)
{
    return (u8 *)(uintptr_t)(mfn << PAGE_SHIFT);
}

static bool in_heap(u64 mfn)
{
    return mfn >= env_heap_base_pfn() &&
           mfn < env_heap_base_pfn() + ENV_HEAP_PAGES;
}

TEST(populate_maps_fresh_zeroed_owned_pages)
{
    struct domain *d;
    u64 mfns[16];

    env_setup();
    /* Whatever the previous owners left must not reach the guest. */
    memset(page_of(env_heap_base_pfn()), 0xcc, ENV_HEAP_PAGES * PAGE_SIZE);
    d = create(100);

    REQUIRE_EQ(p2m_populate(d, 0x10, 16), 0);
    CHECK_EQ(d->tot_pages, 16);
    CHECK_EQ(pages_in_state(PGS_domain), 16);
    CHECK_EQ(free_heap_pages_count(), ENV_HEAP_PAGES - 16);

    for ( unsigned int i = 0; i < 16; i++ )
    {
        u64 mfn = p2m_lookup(d, 0x10 + i);
        struct page_info *pg;

        mfns[i] = mfn;
        REQUIRE(in_heap(mfn));
        pg = pfn_to_page(mfn);
        CHECK_EQ(pg->state, PGS_domain);
        CHECK_EQ(pg->owner, d->domain_id);
        for ( unsigned int b = 0; b < PAGE_SIZE; b += 97 )
            CHECK_EQ(page_of(mfn)[b], 0);
        for ( unsigned int j = 0; j < i; j++ )
            CHECK(mfns[j] != mfn);
    }
    CHECK_EQ(p2m_lookup(d, 0xf), NO_MFN);
    CHECK_EQ(p2m_lookup(d, 0x20), NO_MFN);
    CHECK_EQ(p2m_lookup(d, MAX_GFN), NO_MFN);
    CHECK_EQ(p2m_lookup(d, ~0ULL), NO_MFN);

    /* Every page is on the domain's list. */
    {
        struct page_info *pg;
        unsigned int n = 0;

        list_for_each_entry ( pg, &d->page_list, list )
            n++;
        CHECK_EQ(n, 16);
    }

    REQUIRE_EQ(domain_destroy(d), 0);
    env_check_clean();
}

TEST(lookup_without_any_memory_finds_nothing)
{
    struct domain *d;

    env_setup();
    d = create(1);
    CHECK_EQ(p2m_lookup(d, 0), NO_MFN);
    CHECK(d->p2m == NULL);
    p2m_teardown(d);        /* nothing to free is fine */
    REQUIRE_EQ(domain_destroy(d), 0);
    env_check_clean();
}

TEST(populate_rejects_bad_ranges)
{
    struct domain *d;

    env_setup();
    d = create(10);

    CHECK_EQ(p2m_populate(d, 0, 0), -EINVAL);
    CHECK_EQ(p2m_populate(d, MAX_GFN, 1), -EINVAL);
    CHECK_EQ(p2m_populate(d, MAX_GFN - 1, 2), -EINVAL);
    CHECK_EQ(p2m_populate(d, ~0ULL, 2), -EINVAL);       /* wraps */
    CHECK_EQ(p2m_populate(d, 5, ~0ULL), -EINVAL);
    CHECK_EQ(p2m_populate(d, 1ULL << 52, 1), -EINVAL);
    CHECK_EQ(d->tot_pages, 0);
    CHECK(d->p2m == NULL);
    CHECK_EQ(pages_in_state(PGS_domain), 0);

    /* The very last frame and the first are fine. */
    CHECK_EQ(p2m_populate(d, MAX_GFN - 1, 1), 0);
    CHECK_EQ(p2m_populate(d, 0, 1), 0);
    CHECK(in_heap(p2m_lookup(d, MAX_GFN - 1)));
    CHECK(in_heap(p2m_lookup(d, 0)));

    REQUIRE_EQ(domain_destroy(d), 0);
    env_check_clean();
}

TEST(populate_respects_max_pages_all_or_nothing)
{
    struct domain *d;
    unsigned long free_before;
    unsigned long xh_before;

    env_setup();
    d = create(16);

    REQUIRE_EQ(p2m_populate(d, 0, 10), 0);
    free_before = free_heap_pages_count();
    xh_before = stub_xenheap_pages_outstanding();

    CHECK_EQ(p2m_populate(d, 100, 7), -ENOMEM);
    CHECK_EQ(p2m_populate(d, 100, 17), -ENOMEM);
    CHECK_EQ(p2m_populate(d, 100, ~0ULL >> 30), -ENOMEM);
    CHECK_EQ(d->tot_pages, 10);
    CHECK_EQ(free_heap_pages_count(), free_before);
    CHECK_EQ(stub_xenheap_pages_outstanding(), xh_before);
    for ( u64 g = 100; g < 107; g++ )
        CHECK_EQ(p2m_lookup(d, g), NO_MFN);

    CHECK_EQ(p2m_populate(d, 100, 6), 0);
    CHECK_EQ(d->tot_pages, 16);
    CHECK_EQ(p2m_populate(d, 200, 1), -ENOMEM);

    REQUIRE_EQ(domain_destroy(d), 0);
    env_check_clean();
}

TEST(populate_rejects_overlaps_and_changes_nothing)
{
    struct domain *d;
    unsigned long free_before, xh_before;
    u64 mfn;

    env_setup();
    d = create(4096);

    REQUIRE_EQ(p2m_populate(d, 0x1f0, 0x20), 0);    /* across two leaves */
    REQUIRE_EQ(p2m_populate(d, 0x1000000, 0x10), 0);
    mfn = p2m_lookup(d, 0x1f0);
    free_before = free_heap_pages_count();
    xh_before = stub_xenheap_pages_outstanding();

    CHECK_EQ(p2m_populate(d, 0x1f0, 0x20), -EEXIST);
    CHECK_EQ(p2m_populate(d, 0x20f, 0x10), -EEXIST);   /* last one */
    CHECK_EQ(p2m_populate(d, 0x100, 0xf1), -EEXIST);   /* first one */
    /* From a missing leaf into an existing one: no node left behind. */
    CHECK_EQ(p2m_populate(d, 0x0ffff00, 0x101), -EEXIST);
    CHECK_EQ(p2m_populate(d, 0x100, 0x200), -EEXIST);

    CHECK_EQ(free_heap_pages_count(), free_before);
    CHECK_EQ(stub_xenheap_pages_outstanding(), xh_before);
    CHECK_EQ(d->tot_pages, 0x30);
    CHECK_EQ(p2m_lookup(d, 0x1f0), mfn);
    CHECK_EQ(p2m_lookup(d, 0x210), NO_MFN);
    CHECK_EQ(p2m_lookup(d, 0x1ef), NO_MFN);
    CHECK_EQ(p2m_lookup(d, 0x0ffff00), NO_MFN);
    CHECK_EQ(p2m_lookup(d, 0x0ffffff), NO_MFN);

    /* Adjacent ranges are fine. */
    CHECK_EQ(p2m_populate(d, 0x1e0, 0x10), 0);
    CHECK_EQ(p2m_populate(d, 0x210, 0x10), 0);
    CHECK_EQ(p2m_populate(d, 0x0fffff0, 0x10), 0);
    CHECK_EQ(d->tot_pages, 0x60);

    REQUIRE_EQ(domain_destroy(d), 0);
    env_check_clean();
}

TEST(sparse_memory_far_apart_is_mapped_and_freed)
{
    static const u64 gfns[] = {
        0, 511, 512, 1ULL << 18, (1ULL << 27) - 1, 1ULL << 27,
        1ULL << 36, (1ULL << 36) - 1, MAX_GFN - 512, MAX_GFN - 1,
    };
    struct domain *d;

    env_setup();
    d = create(100);
    for ( unsigned int i = 0; i < ARRAY_SIZE(gfns); i++ )
        REQUIRE_EQ(p2m_populate(d, gfns[i], 1), 0);
    for ( unsigned int i = 0; i < ARRAY_SIZE(gfns); i++ )
    {
        CHECK(in_heap(p2m_lookup(d, gfns[i])));
        CHECK_EQ(p2m_lookup(d, gfns[i] ^ 2), NO_MFN);
    }
    CHECK(stub_xenheap_pages_outstanding() > 10);
    CHECK_EQ(d->tot_pages, ARRAY_SIZE(gfns));

    p2m_teardown(d);
    CHECK_EQ(d->tot_pages, 0);
    CHECK(list_empty(&d->page_list));
    CHECK_EQ(p2m_lookup(d, 0), NO_MFN);
    CHECK_EQ(pages_in_state(PGS_domain), 0);

    /* The map can be rebuilt after a teardown, and torn down again. */
    REQUIRE_EQ(p2m_populate(d, 5, 2), 0);
    REQUIRE_EQ(domain_destroy(d), 0);
    env_check_clean();
}

TEST(populate_node_allocation_failure_changes_nothing)
{
    struct domain *d;

    env_setup();
    d = create(4096);

    /* A fresh map over two leaves needs 3 + 2 node pages: fail each. */
    for ( long n = 0; n < 5; n++ )
    {
        long xm = env_xmalloc_outstanding();
        unsigned long xh = stub_xenheap_pages_outstanding();

        stub_xenheap_fail_after(n);
        CHECK_EQ(p2m_populate(d, 0x1f0, 0x20), -ENOMEM);
        stub_xenheap_fail_after(-1);
        CHECK_EQ(d->tot_pages, 0);
        CHECK(d->p2m == NULL);
        CHECK(list_empty(&d->page_list));
        CHECK_EQ(env_xmalloc_outstanding(), xm);
        CHECK_EQ(stub_xenheap_pages_outstanding(), xh);
        CHECK_EQ(free_heap_pages_count(), ENV_HEAP_PAGES);
    }
    stub_xenheap_fail_after(5);
    CHECK_EQ(p2m_populate(d, 0x1f0, 0x20), 0);
    stub_xenheap_fail_after(-1);

    /* The map itself (xmalloc) failing. */
    p2m_teardown(d);
    env_xmalloc_fail_after(0);
    CHECK_EQ(p2m_populate(d, 0, 1), -ENOMEM);
    env_xmalloc_fail_after(-1);
    CHECK(d->p2m == NULL);

    REQUIRE_EQ(domain_destroy(d), 0);
    env_check_clean();
}

static unsigned long free_pages_not_holding(u8 byte)
{
    unsigned long n = 0;

    for ( u64 pfn = env_heap_base_pfn();
          pfn < env_heap_base_pfn() + ENV_HEAP_PAGES; pfn++ )
    {
        if ( page_state_of(pfn) != PGS_free )
            continue;
        for ( unsigned int i = 0; i < PAGE_SIZE; i++ )
            if ( page_of(pfn)[i] != byte )
            {
                n++;
                break;
            }
    }
    return n;
}

TEST(populate_out_of_machine_memory_changes_nothing)
{
    struct domain *d;
    unsigned long xh;

    env_setup();
    memset(page_of(env_heap_base_pfn()), 0xcc, ENV_HEAP_PAGES * PAGE_SIZE);
    d = create(1ULL << 20);
    REQUIRE_EQ(p2m_populate(d, 0, 100), 0);
    xh = stub_xenheap_pages_outstanding();

    CHECK_EQ(p2m_populate(d, 1000, ENV_HEAP_PAGES), -ENOMEM);
    CHECK_EQ(p2m_populate(d, 1000, ENV_HEAP_PAGES - 99), -ENOMEM);
    /*
     * Refused before any page was taken: no free page was written (a
     * Bochs dom0 once sat 31 s in a create that zeroed the whole heap
     * before it failed).
     */
    CHECK_EQ(free_pages_not_holding(0xcc), 0);
    CHECK_EQ(d->tot_pages, 100);
    CHECK_EQ(pages_in_state(PGS_domain), 100);
    CHECK_EQ(stub_xenheap_pages_outstanding(), xh);
    CHECK_EQ(p2m_lookup(d, 1000), NO_MFN);

    /* Exactly what is left fits. */
    CHECK_EQ(p2m_populate(d, 1000, ENV_HEAP_PAGES - 100), 0);
    CHECK_EQ(free_heap_pages_count(), 0);

    REQUIRE_EQ(domain_destroy(d), 0);
    env_check_clean();
}

TEST(a_dead_domain_cannot_get_memory)
{
    struct domain *d;

    env_setup();
    d = create(10);
    REQUIRE(get_domain(d));
    REQUIRE_EQ(domain_destroy(d), 0);
    CHECK_EQ(p2m_populate(d, 0, 1), -EINVAL);
    CHECK(d->p2m == NULL);
    put_domain(d);
    env_check_clean();
}

TEST(phys_copies_cross_pages_of_scattered_frames)
{
    struct domain *d;
    u8 out[300], in[300];

    env_setup();
    d = create(100);
    /* Two frames populated apart so their machine frames differ. */
    REQUIRE_EQ(p2m_populate(d, 6, 1), 0);
    REQUIRE_EQ(p2m_populate(d, 9, 3), 0);
    REQUIRE_EQ(p2m_populate(d, 5, 1), 0);
    REQUIRE(p2m_lookup(d, 6) != p2m_lookup(d, 5) + 1);

    for ( unsigned int i = 0; i < sizeof(out); i++ )
        out[i] = i * 7 + 1;
    CHECK_EQ(copy_to_guest_phys(d, 0x6000 - 100, out, sizeof(out)), 0);
    CHECK_EQ(memcmp(page_of(p2m_lookup(d, 5)) + PAGE_SIZE - 100, out, 100),
             0);
    CHECK_EQ(memcmp(page_of(p2m_lookup(d, 6)), out + 100, 200), 0);

    memset(in, 0, sizeof(in));
    CHECK_EQ(copy_from_guest_phys(d, in, 0x6000 - 100, sizeof(in)), 0);
    CHECK_EQ(memcmp(in, out, sizeof(in)), 0);

    /* Three pages in one go. */
    {
        static u8 big[3 * PAGE_SIZE], back[3 * PAGE_SIZE];

        for ( unsigned int i = 0; i < sizeof(big); i++ )
            big[i] = i ^ (i >> 8);
        CHECK_EQ(copy_to_guest_phys(d, 0x9000, big, sizeof(big)), 0);
        CHECK_EQ(copy_from_guest_phys(d, back, 0x9000, sizeof(back)), 0);
        CHECK_EQ(memcmp(big, back, sizeof(big)), 0);
    }

    CHECK_EQ(copy_to_guest_phys(d, 0x5000, out, 0), 0);
    CHECK_EQ(copy_from_guest_phys(d, in, 0x777000, 0), 0);

    REQUIRE_EQ(domain_destroy(d), 0);
    env_check_clean();
}

TEST(phys_copies_into_holes_fault_and_copy_nothing)
{
    struct domain *d;
    u8 buf[64], guard[64];

    env_setup();
    d = create(100);
    REQUIRE_EQ(p2m_populate(d, 7, 1), 0);
    REQUIRE_EQ(p2m_populate(d, 9, 1), 0);

    memset(buf, 0x5a, sizeof(buf));
    /* Ends in the hole at gfn 8: nothing of gfn 7 is written. */
    CHECK_EQ(copy_to_guest_phys(d, 0x8000 - 32, buf, 64), -EFAULT);
    for ( unsigned int i = 0; i < PAGE_SIZE; i++ )
        REQUIRE_EQ(page_of(p2m_lookup(d, 7))[i], 0);
    /* Starts in the hole. */
    CHECK_EQ(copy_to_guest_phys(d, 0x9000 - 32, buf, 64), -EFAULT);
    CHECK_EQ(page_of(p2m_lookup(d, 9))[0], 0);
    /* Spans a hole between two populated frames. */
    CHECK_EQ(copy_to_guest_phys(d, 0x7ff0, buf, PAGE_SIZE + 32), -EFAULT);

    memset(buf, 0x11, sizeof(buf));
    memcpy(guard, buf, sizeof(buf));
    CHECK_EQ(copy_from_guest_phys(d, buf, 0x8000 - 32, 64), -EFAULT);
    CHECK_EQ(memcmp(buf, guard, sizeof(buf)), 0);
    CHECK_EQ(copy_from_guest_phys(d, buf, 0x100000, 1), -EFAULT);

    /* Addresses that wrap or leave the guest-physical space. */
    CHECK_EQ(copy_from_guest_phys(d, buf, ~0ULL - 10, 20), -EFAULT);
    CHECK_EQ(copy_to_guest_phys(d, ~0ULL, buf, 1), -EFAULT);
    CHECK_EQ(copy_from_guest_phys(d, buf, 1ULL << 52, 1), -EFAULT);
    CHECK_EQ(copy_from_guest_phys(d, buf, (1ULL << 52) - 1, 2), -EFAULT);
    CHECK_EQ(copy_from_guest_phys(d, buf, 0x7000, ~(size_t)0), -EFAULT);

    /* A domain without any memory. */
    REQUIRE_EQ(domain_destroy(d), 0);
    d = create(1);
    CHECK_EQ(copy_from_guest_phys(d, buf, 0, 1), -EFAULT);
    REQUIRE_EQ(domain_destroy(d), 0);
    env_check_clean();
}

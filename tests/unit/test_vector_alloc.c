/*
 * Tests for the per-pCPU vector allocator in xen/arch/x86/vector_alloc.c.
 */

#include <xen/errno.h>
#include <xen/lib.h>
#include <asm/vector_alloc.h>

#include "harness.h"
#include "stubs.h"

static struct vector_table vt;

static const struct
{
    unsigned int vec;
    const char *name;
} fixed[] = {
    { POSTED_INTR_VECTOR,   "posted-intr" },
    { LOCAL_TIMER_VECTOR,   "lapic-timer" },
    { CALL_FUNCTION_VECTOR, "call-function" },
    { EVENT_CHECK_VECTOR,   "event-check" },
    { HALT_VECTOR,          "halt" },
    { ERROR_APIC_VECTOR,    "apic-error" },
    { SPURIOUS_APIC_VECTOR, "spurious" },
};

static bool is_fixed(unsigned int v)
{
    unsigned int i;

    for ( i = 0; i < ARRAY_SIZE(fixed); i++ )
        if ( fixed[i].vec == v )
            return true;
    return false;
}

TEST(ranges_have_the_documented_bounds_and_names)
{
    CHECK_EQ(vector_range_first(VR_EXCEPTION), 0x00);
    CHECK_EQ(vector_range_last(VR_EXCEPTION), 0x1f);
    CHECK_EQ(vector_range_first(VR_LEGACY), 0x20);
    CHECK_EQ(vector_range_last(VR_LEGACY), 0x2f);
    CHECK_EQ(vector_range_first(VR_DYNAMIC), 0x30);
    CHECK_EQ(vector_range_last(VR_DYNAMIC), 0x9f);
    CHECK_EQ(vector_range_first(VR_PI_WAKEUP), 0xa0);
    CHECK_EQ(vector_range_last(VR_PI_WAKEUP), 0xdf);
    CHECK_EQ(vector_range_first(VR_HYPERVISOR), 0xe0);
    CHECK_EQ(vector_range_last(VR_HYPERVISOR), 0xff);

    CHECK_STR_EQ(vector_range_name(VR_EXCEPTION), "exception");
    CHECK_STR_EQ(vector_range_name(VR_LEGACY), "legacy");
    CHECK_STR_EQ(vector_range_name(VR_DYNAMIC), "dynamic");
    CHECK_STR_EQ(vector_range_name(VR_PI_WAKEUP), "pi-wakeup");
    CHECK_STR_EQ(vector_range_name(VR_HYPERVISOR), "hypervisor");
    CHECK(vector_range_name(VR_NR) != NULL);

    /* An invalid range is empty. */
    CHECK(vector_range_first(VR_NR) > vector_range_last(VR_NR));
}

TEST(every_vector_is_in_exactly_the_range_that_covers_it)
{
    unsigned int v, r;

    for ( v = 0; v < NR_VECTORS; v++ )
    {
        enum vector_range got = vector_range_of(v);

        REQUIRE(got < VR_NR);
        CHECK(v >= vector_range_first(got) && v <= vector_range_last(got));
    }
    /* The ranges tile 0..255 with no gaps and no overlaps. */
    CHECK_EQ(vector_range_first(0), 0);
    for ( r = 1; r < VR_NR; r++ )
        CHECK_EQ(vector_range_first(r), vector_range_last(r - 1) + 1);
    CHECK_EQ(vector_range_last(VR_NR - 1), NR_VECTORS - 1);
    CHECK_EQ(vector_range_of(256), VR_NR);
    CHECK_EQ(vector_range_of(~0u), VR_NR);
}

TEST(init_reserves_exceptions_and_fixed_vectors_by_name)
{
    unsigned int v, i;

    vector_table_init(&vt);
    for ( v = 0; v <= EXCEPTION_VECTOR_LAST; v++ )
        CHECK_STR_EQ(vector_owner(&vt, v), "exception");
    for ( i = 0; i < ARRAY_SIZE(fixed); i++ )
        CHECK_STR_EQ(vector_owner(&vt, fixed[i].vec), fixed[i].name);
    for ( v = EXCEPTION_VECTOR_LAST + 1; v < NR_VECTORS; v++ )
        if ( !is_fixed(v) )
            CHECK(vector_owner(&vt, v) == NULL);
    CHECK(vector_owner(&vt, NR_VECTORS) == NULL);

    CHECK_EQ(vectors_free_in_range(&vt, VR_EXCEPTION), 0);
    CHECK_EQ(vectors_free_in_range(&vt, VR_LEGACY), 16);
    CHECK_EQ(vectors_free_in_range(&vt, VR_DYNAMIC), 0x70);
    CHECK_EQ(vectors_free_in_range(&vt, VR_PI_WAKEUP), 64);
    CHECK_EQ(vectors_free_in_range(&vt, VR_HYPERVISOR), 32 - 7);
    CHECK_EQ(vectors_free_in_range(&vt, VR_NR), 0);
}

TEST(alloc_takes_the_lowest_free_vector_of_the_range)
{
    vector_table_init(&vt);
    CHECK_EQ(vector_alloc(&vt, VR_DYNAMIC, "a"), 0x30);
    CHECK_EQ(vector_alloc(&vt, VR_DYNAMIC, "b"), 0x31);
    CHECK_EQ(vector_alloc(&vt, VR_PI_WAKEUP, "pi"), 0xa0);
    CHECK_EQ(vector_alloc(&vt, VR_LEGACY, "pic"), 0x20);
    CHECK_STR_EQ(vector_owner(&vt, 0x31), "b");

    CHECK_EQ(vector_free(&vt, 0x30), 0);
    CHECK(vector_owner(&vt, 0x30) == NULL);
    CHECK_EQ(vector_alloc(&vt, VR_DYNAMIC, "c"), 0x30);
    CHECK_EQ(vector_alloc(&vt, VR_DYNAMIC, "d"), 0x32);
}

TEST(hypervisor_range_allocation_skips_fixed_vectors)
{
    unsigned int n = 0;
    int v;

    vector_table_init(&vt);
    while ( (v = vector_alloc(&vt, VR_HYPERVISOR, "hv")) >= 0 )
    {
        CHECK(v >= HYPERVISOR_VECTOR_FIRST && v <= HYPERVISOR_VECTOR_LAST);
        CHECK(!is_fixed(v));
        n++;
        REQUIRE(n <= 32);
    }
    CHECK_EQ(v, -ENOSPC);
    CHECK_EQ(n, 32 - 7);
    CHECK_STR_EQ(vector_owner(&vt, POSTED_INTR_VECTOR), "posted-intr");
}

TEST(exhausting_a_range_gives_enospc_and_spares_other_ranges)
{
    unsigned int i;

    vector_table_init(&vt);
    for ( i = 0; i < 64; i++ )
        CHECK_EQ(vector_alloc(&vt, VR_PI_WAKEUP, "pi"), 0xa0 + i);
    CHECK_EQ(vector_alloc(&vt, VR_PI_WAKEUP, "pi"), -ENOSPC);
    CHECK_EQ(vectors_free_in_range(&vt, VR_PI_WAKEUP), 0);
    CHECK_EQ(vectors_free_in_range(&vt, VR_DYNAMIC), 0x70);
    CHECK_EQ(vectors_free_in_range(&vt, VR_HYPERVISOR), 25);
    CHECK_EQ(vector_alloc(&vt, VR_EXCEPTION, "x"), -ENOSPC);
}

TEST(alloc_many_is_ascending_and_all_or_nothing)
{
    u8 out[64], canary[64];
    unsigned int i;

    vector_table_init(&vt);
    CHECK_EQ(vector_reserve(&vt, 0x22, "taken"), 0);

    CHECK_EQ(vector_alloc_many(&vt, VR_LEGACY, 4, "m", out), 0);
    CHECK_EQ(out[0], 0x20);
    CHECK_EQ(out[1], 0x21);
    CHECK_EQ(out[2], 0x23);
    CHECK_EQ(out[3], 0x24);
    for ( i = 0; i < 4; i++ )
        CHECK_STR_EQ(vector_owner(&vt, out[i]), "m");

    /* 11 left in the legacy range: asking for 12 changes nothing. */
    memset(out, 0xee, sizeof(out));
    memcpy(canary, out, sizeof(out));
    CHECK_EQ(vector_alloc_many(&vt, VR_LEGACY, 12, "m2", out), -ENOSPC);
    CHECK_EQ(memcmp(out, canary, sizeof(out)), 0);
    CHECK_EQ(vectors_free_in_range(&vt, VR_LEGACY), 11);
    for ( i = 0x25; i <= 0x2f; i++ )
        CHECK(vector_owner(&vt, i) == NULL);

    CHECK_EQ(vector_alloc_many(&vt, VR_LEGACY, 11, "m3", out), 0);
    CHECK_EQ(out[10], 0x2f);
    CHECK_EQ(vectors_free_in_range(&vt, VR_LEGACY), 0);
}

TEST(alloc_many_rejects_zero_and_bad_arguments)
{
    u8 out[4];

    vector_table_init(&vt);
    CHECK_EQ(vector_alloc_many(&vt, VR_DYNAMIC, 0, "m", out), -EINVAL);
    CHECK_EQ(vector_alloc_many(&vt, VR_NR, 1, "m", out), -EINVAL);
    CHECK_EQ(vector_alloc_many(&vt, VR_DYNAMIC, 1, NULL, out), -EINVAL);
    CHECK_EQ(vector_alloc_many(&vt, VR_DYNAMIC, 1000, "m", NULL), -EINVAL);
    CHECK_EQ(vectors_free_in_range(&vt, VR_DYNAMIC), 0x70);
}

TEST(reserve_claims_a_specific_vector_or_reports_busy)
{
    vector_table_init(&vt);
    CHECK_EQ(vector_reserve(&vt, 0x40, "dev"), 0);
    CHECK_STR_EQ(vector_owner(&vt, 0x40), "dev");
    CHECK_EQ(vector_reserve(&vt, 0x40, "other"), -EBUSY);
    CHECK_STR_EQ(vector_owner(&vt, 0x40), "dev");
    CHECK_EQ(vector_reserve(&vt, 0x0e, "pf"), -EBUSY);
    CHECK_EQ(vector_reserve(&vt, LOCAL_TIMER_VECTOR, "t"), -EBUSY);
    CHECK_STR_EQ(vector_owner(&vt, LOCAL_TIMER_VECTOR), "lapic-timer");

    /* A reserved vector is skipped by allocation. */
    CHECK_EQ(vector_reserve(&vt, 0x30, "dev"), 0);
    CHECK_EQ(vector_alloc(&vt, VR_DYNAMIC, "a"), 0x31);
}

TEST(reserve_of_a_vector_out_of_range_is_einval)
{
    vector_table_init(&vt);
    CHECK_EQ(vector_reserve(&vt, 256, "x"), -EINVAL);
    CHECK_EQ(vector_reserve(&vt, ~0u, "x"), -EINVAL);
    CHECK_EQ(vector_reserve(&vt, 0x50, NULL), -EINVAL);
    CHECK(vector_owner(&vt, 0x50) == NULL);
    CHECK_EQ(vector_alloc(&vt, VR_NR, "x"), -EINVAL);
    CHECK_EQ(vector_alloc(&vt, VR_DYNAMIC, NULL), -EINVAL);
}

TEST(free_of_fixed_exception_free_or_bad_vector_is_einval)
{
    unsigned int i;

    vector_table_init(&vt);
    for ( i = 0; i < ARRAY_SIZE(fixed); i++ )
    {
        CHECK_EQ(vector_free(&vt, fixed[i].vec), -EINVAL);
        CHECK_STR_EQ(vector_owner(&vt, fixed[i].vec), fixed[i].name);
    }
    CHECK_EQ(vector_free(&vt, 0), -EINVAL);
    CHECK_EQ(vector_free(&vt, 0x1f), -EINVAL);
    CHECK_STR_EQ(vector_owner(&vt, 0x1f), "exception");
    CHECK_EQ(vector_free(&vt, 0x30), -EINVAL);      /* already free */
    CHECK_EQ(vector_free(&vt, 256), -EINVAL);

    CHECK_EQ(vector_alloc(&vt, VR_DYNAMIC, "a"), 0x30);
    CHECK_EQ(vector_free(&vt, 0x30), 0);
    CHECK_EQ(vector_free(&vt, 0x30), -EINVAL);      /* double free */
}

TEST(non_fixed_hypervisor_vectors_can_be_freed)
{
    vector_table_init(&vt);
    CHECK_EQ(vector_alloc(&vt, VR_HYPERVISOR, "hv"), 0xe0);
    CHECK_EQ(vector_free(&vt, 0xe0), 0);
    CHECK_EQ(vectors_free_in_range(&vt, VR_HYPERVISOR), 25);
}

/*
 * What the wakeup lists can have at boot (pi_blocked_init() sizes K from
 * it): the dynamic and wakeup ranges, 176 vectors, none of them a fixed
 * or exception vector, less what the boot users took: the 8259 range is
 * outside, the serial port's vector inside.
 */
TEST(wakeup_pool_free_at_boot_given_the_fixed_users)
{
    vector_table_init(&vt);
    CHECK_EQ(vector_range_last(VR_DYNAMIC) + 1,
             vector_range_first(VR_PI_WAKEUP));
    CHECK_EQ(vectors_free_in_range(&vt, VR_DYNAMIC), 112);
    CHECK_EQ(vectors_free_in_range(&vt, VR_PI_WAKEUP), 64);
    for ( unsigned int i = 0; i < ARRAY_SIZE(fixed); i++ )
        CHECK_EQ(vector_range_of(fixed[i].vec), VR_HYPERVISOR);
    /* irq_cpu_init(): the masked 8259s' vectors. */
    for ( unsigned int v = LEGACY_VECTOR_FIRST; v <= LEGACY_VECTOR_LAST; v++ )
        CHECK_EQ(vector_reserve(&vt, v, "legacy-pic"), 0);
    CHECK_EQ(vectors_free_in_range(&vt, VR_DYNAMIC) +
             vectors_free_in_range(&vt, VR_PI_WAKEUP), 176);
    /* setup.c's serial_irq_init(), on the boot pCPU. */
    CHECK_EQ(vector_alloc(&vt, VR_DYNAMIC, "com1"), DYNAMIC_VECTOR_FIRST);
    CHECK_EQ(vectors_free_in_range(&vt, VR_DYNAMIC) +
             vectors_free_in_range(&vt, VR_PI_WAKEUP), 175);
}

/*
 * Tests for guest page-table walks and guest-virtual copies
 * (xen/arch/x86/guest_walk.c): every paging mode with its big pages,
 * non-present and reserved-bit faults, write protection, tables in
 * holes, and copies across pages.  The page tables are built in a test
 * domain's memory and read through the real p2m.  The reserved-bit tests
 * set one bit at a time in one entry and expect what the Intel SDM (Vol.
 * 3A 4.3-4.5, 4.7), the AMD APM (Vol. 2 5.2-5.4) or QEMU's TCG CPU does
 * with it: fault, or the same translation as without the bit.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>

#include "harness.h"
#include "stubs.h"
#include "hypercall/env.h"
#include "hypercall/guest.h"

#define P       (1ULL << 0)
#define RW      (1ULL << 1)
#define PS      (1ULL << 7)
#define NX      (1ULL << 63)
#define BITS64(hi, lo)  ((~0ULL >> (63 - (hi))) & ~((1ULL << (lo)) - 1))

#define CR0_WP  (1ULL << 16)
#define CR4_PSE (1ULL << 4)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

static struct domain *dom;
static struct guest g;

static const char *const rules_name[] = {
    [WALK_RULES_INTEL] = "Intel", [WALK_RULES_AMD] = "AMD",
    [WALK_RULES_QEMU_TCG] = "QEMU",
};

/* The rules in force, for failure messages. */
static enum guest_walk_rules model;

/* The CPU the walk models; every test starts from Intel's, 52 bits. */
static void use_cpu(enum guest_walk_rules rules, unsigned int maxphyaddr,
                    bool gbpages)
{
    struct guest_walk_cpu c = {
        .rules = rules, .maxphyaddr = maxphyaddr, .gbpages = gbpages,
    };

    guest_walk_set_cpu(&c);
    model = rules;
}

static void setup(enum guest_mode mode, bool nxe)
{
    use_cpu(WALK_RULES_INTEL, 52, true);
    env_setup();
    dom = NULL;
    REQUIRE_EQ(domain_create(0, XEN_DOMCTL_CDF_hvm, 1, 4096, &dom), 0);
    guest_init(&g, dom, mode, nxe);
}

static void finish(void)
{
    REQUIRE_EQ(domain_destroy(dom), 0);
    env_check_clean();
}

/* The translation of va, or ~0 on a fault. */
static u64 walk(u64 va, bool write)
{
    u64 gpa = 0x5a5a5a5a;
    int rc = guest_walk(dom, &g.pg, va, write, &gpa);

    if ( rc )
    {
        CHECK_EQ(rc, -EFAULT);
        CHECK_EQ(gpa, 0x5a5a5a5a);      /* untouched on a fault */
        return ~0ULL;
    }
    return gpa;
}

/* Walk with one bit of one entry changed, then restore the entry. */
static u64 walk_with(u64 entry_gpa, u64 set, u64 clear, u64 va, bool write)
{
    u64 old = guest_get_entry(&g, entry_gpa), gpa;

    guest_set_entry(&g, entry_gpa, (old | set) & ~clear);
    gpa = walk(va, write);
    guest_set_entry(&g, entry_gpa, old);
    return gpa;
}

/*
 * Set each bit of 'bits' alone in the entry at entry_gpa and walk va for
 * a read: a fault if 'reserved', else the translation 'want'.
 */
#define CHECK_BITS(entry_gpa, bits, va, reserved, want)                 \
    check_bits(__LINE__, entry_gpa, bits, va, reserved, want)

static void check_bits(int line, u64 entry_gpa, u64 bits, u64 va,
                       bool reserved, u64 want)
{
    for ( unsigned int b = 0; b < 64; b++ )
    {
        u64 got;

        if ( !(bits & (1ULL << b)) )
            continue;
        got = walk_with(entry_gpa, 1ULL << b, 0, va, false);
        if ( got != (reserved ? ~0ULL : want) )
            harness_fail(__FILE__, line, false,
                         "%s: bit %u of the entry at %#llx: walk gave "
                         "%#llx, want %s", rules_name[model], b,
                         (unsigned long long)entry_gpa,
                         (unsigned long long)got,
                         reserved ? "a fault" : "the translation");
    }
}

static void fill_phys(u64 gpa, u8 seed, size_t len)
{
    u8 buf[256];

    REQUIRE(len <= sizeof(buf));
    for ( size_t i = 0; i < len; i++ )
        buf[i] = seed + i;
    REQUIRE_EQ(copy_to_guest_phys(dom, gpa, buf, len), 0);
}

TEST(paging_off_uses_the_address_as_is)
{
    u64 pool = (u64)GUEST_POOL_GFN << PAGE_SHIFT;
    u8 buf[16];

    setup(GM_NONE, false);
    CHECK_EQ(walk(0x123456, false), 0x123456);
    CHECK_EQ(walk(0x123456, true), 0x123456);
    /* Not in long mode: linear addresses are 32 bits. */
    CHECK_EQ(walk(0xabc000123456ULL, false), 0x123456);
    CHECK_EQ(walk(~0ULL, false), 0xffffffffULL);

    fill_phys(pool + 8, 40, 16);
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, buf, pool + 8, 16), 0);
    CHECK_EQ(buf[0], 40);
    CHECK_EQ(buf[15], 55);
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, buf, (1ULL << 32) + pool + 8,
                                  16), 0);
    CHECK_EQ(buf[0], 40);
    /* The address exists but no memory is there. */
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, buf, 0x50000000, 1), -EFAULT);
    CHECK_EQ(copy_to_guest_virt(dom, &g.pg, 0x50000000, buf, 1), -EFAULT);

    /* (EFER.LMA without paging cannot happen; the address is kept.) */
    g.pg.efer |= EFER_LMA;
    CHECK_EQ(walk(0xabc000123456ULL, false), 0xabc000123456ULL);
    finish();
}

TEST(long_mode_4k_pages_in_both_halves)
{
    u64 lo_va = 0x00007f1234567000ULL, hi_va = 0xffff800000042000ULL;
    u64 a, b;
    u8 buf[8];

    setup(GM_LONG, false);
    a = guest_alloc_page(&g);
    b = guest_alloc_page(&g);
    guest_map(&g, lo_va, a, SZ_4K, P | RW);
    guest_map(&g, hi_va, b, SZ_4K, P);

    CHECK_EQ(walk(lo_va + 0x123, false), a + 0x123);
    CHECK_EQ(walk(lo_va + 0xfff, true), a + 0xfff);
    CHECK_EQ(walk(hi_va, false), b);
    CHECK_EQ(walk(hi_va + 0x800, true), ~0ULL);     /* read-only */

    /* Neighbours that were never mapped. */
    CHECK_EQ(walk(lo_va + 0x1000, false), ~0ULL);
    CHECK_EQ(walk(lo_va - 0x1000, false), ~0ULL);
    CHECK_EQ(walk(0, false), ~0ULL);

    /* Non-canonical addresses fault whatever the tables say. */
    CHECK_EQ(walk(0x0000800000000000ULL, false), ~0ULL);
    CHECK_EQ(walk(0xffff7fffffffffffULL, false), ~0ULL);
    CHECK_EQ(walk(lo_va | (1ULL << 63), false), ~0ULL);

    fill_phys(b + 0x10, 7, 8);
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, buf, hi_va + 0x10, 8), 0);
    CHECK_EQ(buf[0], 7);
    CHECK_EQ(buf[7], 14);
    finish();
}

TEST(long_mode_2m_and_1g_pages)
{
    u64 va2m = 0x40000000, va1g = 0x8000000000ULL, pde, pdpte;
    u8 buf[16];

    setup(GM_LONG, false);

    /* A 2 MiB page of which only one frame is populated. */
    pde = guest_map(&g, va2m, 0x200000, SZ_2M, P | RW);
    REQUIRE_EQ(p2m_populate(dom, 0x203, 1), 0);
    CHECK_EQ(walk(va2m + 0x3005, false), 0x203005);
    CHECK_EQ(walk(va2m + 0x1fffff, true), 0x3fffff);
    fill_phys(0x203000, 90, 16);
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, buf, va2m + 0x3000, 16), 0);
    CHECK_EQ(buf[15], 105);
    /* Translated, but a hole behind it. */
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, buf, va2m + 0x4000, 1),
             -EFAULT);
    /* The PAT bit (12) is no address bit; 20..13 are reserved. */
    CHECK_EQ(walk_with(pde, 1ULL << 12, 0, va2m + 0x3005, false), 0x203005);
    CHECK_EQ(walk_with(pde, 1ULL << 13, 0, va2m, false), ~0ULL);
    CHECK_EQ(walk_with(pde, 1ULL << 20, 0, va2m, false), ~0ULL);

    /* A 1 GiB page. */
    pdpte = guest_map(&g, va1g, 0x40000000, SZ_1G, P | RW);
    REQUIRE_EQ(p2m_populate(dom, 0x40000 + 0x12345, 1), 0);
    CHECK_EQ(walk(va1g + 0x12345678, false), 0x52345678);
    CHECK_EQ(walk(va1g + 0x3fffffff, false), 0x7fffffff);
    fill_phys(0x52345678, 1, 4);
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, buf, va1g + 0x12345678, 4),
             0);
    CHECK_EQ(buf[3], 4);
    CHECK_EQ(walk_with(pdpte, 1ULL << 12, 0, va1g + 0x12345678, false),
             0x52345678);
    CHECK_EQ(walk_with(pdpte, 1ULL << 13, 0, va1g, false), ~0ULL);
    CHECK_EQ(walk_with(pdpte, 1ULL << 29, 0, va1g, false), ~0ULL);

    /* No 512 GiB pages: PS is reserved in a PML4 entry. */
    CHECK_EQ(walk_with(guest_entry_gpa(&g, va1g, 4), PS, 0, va1g, false),
             ~0ULL);
    finish();
}

TEST(long_mode_faults_on_every_level)
{
    u64 va = 0x00001234567ff000ULL, data;

    setup(GM_LONG, false);
    data = guest_alloc_page(&g);
    guest_map(&g, va, data, SZ_4K, P | RW);
    REQUIRE_EQ(walk(va, true), data);

    for ( unsigned int level = 1; level <= 4; level++ )
    {
        u64 e = guest_entry_gpa(&g, va, level);

        /* Not present. */
        CHECK_EQ(walk_with(e, 0, P, va, false), ~0ULL);
        /* NX without EFER.NXE is a reserved bit. */
        CHECK_EQ(walk_with(e, NX, 0, va, false), ~0ULL);
        /* Bits 62..52 are ignored in long mode, as on the CPU. */
        CHECK_EQ(walk_with(e, 0x7ffULL << 52, 0, va, false), data);
        /* Read-only anywhere on the way stops a write under CR0.WP. */
        CHECK_EQ(walk_with(e, 0, RW, va, true), ~0ULL);
        CHECK_EQ(walk_with(e, 0, RW, va, false), data);
    }

    /* With EFER.NXE, NX is just NX (not checked for data). */
    g.pg.efer |= EFER_NXE;
    for ( unsigned int level = 1; level <= 4; level++ )
        CHECK_EQ(walk_with(guest_entry_gpa(&g, va, level), NX, 0, va, true),
                 data);

    /* Without CR0.WP the hypervisor's writes ignore R/W. */
    g.pg.cr0 &= ~CR0_WP;
    for ( unsigned int level = 1; level <= 4; level++ )
        CHECK_EQ(walk_with(guest_entry_gpa(&g, va, level), 0, RW, va, true),
                 data);
    finish();
}

TEST(page_tables_in_holes_fault)
{
    u64 va = 0x600000, data, pde;

    setup(GM_LONG, true);
    data = guest_alloc_page(&g);
    guest_map(&g, va, data, SZ_4K, P | RW);
    pde = guest_entry_gpa(&g, va, 2);

    /* The page table the PDE points to is not guest memory. */
    CHECK_EQ(walk_with(pde, 0x77777000, 0x000ffffffffff000ULL, va, false),
             ~0ULL);
    /* Nor is the PML4 in CR3. */
    g.pg.cr3 = 0x66666000;
    CHECK_EQ(walk(va, false), ~0ULL);
    /* Address bits beyond the p2m's reach. */
    g.pg.cr3 = 0x000ff00000000000ULL;
    CHECK_EQ(walk(va, false), ~0ULL);
    finish();
}

TEST(pae_paging_4k_and_2m_pages)
{
    u64 va4k = 0xc0001000, va2m = 0x00400000, data, pdpte, pde, pte;
    u64 pdpt[4];

    setup(GM_PAE, false);
    data = guest_alloc_page(&g);
    pte = guest_map(&g, va4k, data, SZ_4K, P | RW);
    pde = guest_map(&g, va2m, 0x1200000, SZ_2M, P | RW);
    REQUIRE_EQ(p2m_populate(dom, 0x1201, 1), 0);
    pdpte = guest_entry_gpa(&g, va4k, 3);

    CHECK_EQ(walk(va4k + 0x42, true), data + 0x42);
    CHECK_EQ(walk(va2m + 0x1234, true), 0x1201234);
    /* Linear addresses are 32 bits outside long mode. */
    CHECK_EQ(walk((1ULL << 32) | (va4k + 0x42), false), data + 0x42);
    CHECK_EQ(walk(0x80000000, false), ~0ULL);

    /* PDPTEs: present, no RW/US/NX (reserved there). */
    CHECK_EQ(walk_with(pdpte, 0, P, va4k, false), ~0ULL);
    CHECK_EQ(walk_with(pdpte, RW, 0, va4k, false), ~0ULL);
    CHECK_EQ(walk_with(pdpte, 1ULL << 5, 0, va4k, false), ~0ULL);
    CHECK_EQ(walk_with(pdpte, NX, 0, va4k, false), ~0ULL);
    /* Above the 52-bit address: reserved in PAE entries. */
    CHECK_EQ(walk_with(pde, 1ULL << 52, 0, va2m, false), ~0ULL);
    CHECK_EQ(walk_with(pte, 1ULL << 62, 0, va4k, false), ~0ULL);
    CHECK_EQ(walk_with(pte, NX, 0, va4k, false), ~0ULL);
    CHECK_EQ(walk_with(pde, 1ULL << 13, 0, va2m, false), ~0ULL);
    CHECK_EQ(walk_with(pte, 0, P, va4k, false), ~0ULL);
    /* Write protection. */
    CHECK_EQ(walk_with(pte, 0, RW, va4k, true), ~0ULL);
    CHECK_EQ(walk_with(guest_entry_gpa(&g, va4k, 2), 0, RW, va4k, true),
             ~0ULL);
    CHECK_EQ(walk_with(pde, 0, RW, va2m, false), 0x1200000);

    g.pg.efer |= EFER_NXE;
    CHECK_EQ(walk_with(pte, NX, 0, va4k, false), data);
    CHECK_EQ(walk_with(pdpte, NX, 0, va4k, false), ~0ULL);

    /* The PDPT only needs 32-byte alignment. */
    REQUIRE_EQ(copy_from_guest_phys(dom, pdpt, g.pg.cr3, 32), 0);
    REQUIRE_EQ(copy_to_guest_phys(dom, g.pg.cr3 + 0x60, pdpt, 32), 0);
    g.pg.cr3 += 0x60;
    CHECK_EQ(walk(va4k + 0x42, false), data + 0x42);
    finish();
}

TEST(legacy_32bit_paging_4k_4m_and_pse36)
{
    u64 va4k = 0x00801000, va4m = 0x00c00000, va36 = 0x01000000;
    u64 data, pde4m, pde36, pte;

    setup(GM_32, false);
    data = guest_alloc_page(&g);
    pte = guest_map(&g, va4k, data, SZ_4K, P | RW);
    pde4m = guest_map(&g, va4m, 0x800000, SZ_4M, P | RW);
    REQUIRE_EQ(p2m_populate(dom, 0x805, 1), 0);
    /* PSE-36: a 4 MiB page above 4 GiB. */
    pde36 = guest_map(&g, va36, 0x100400000ULL, SZ_4M, P | RW);
    REQUIRE_EQ(p2m_populate(dom, 0x100401, 1), 0);

    CHECK_EQ(walk(va4k + 0x10, true), data + 0x10);
    CHECK_EQ(walk(va4m + 0x5123, true), 0x805123);
    CHECK_EQ(walk(va36 + 0x1abc, false), 0x100401abcULL);
    CHECK_EQ(walk((1ULL << 32) | (va4k + 0x10), false), data + 0x10);
    {
        u8 b = 0;

        fill_phys(0x100401abcULL, 33, 1);
        CHECK_EQ(copy_from_guest_virt(dom, &g.pg, &b, va36 + 0x1abc, 1), 0);
        CHECK_EQ(b, 33);
    }

    /* Bit 21 of a 4 MiB entry is reserved. */
    CHECK_EQ(walk_with(pde4m, 1ULL << 21, 0, va4m, false), ~0ULL);
    CHECK_EQ(walk_with(pde4m, 0, P, va4m, false), ~0ULL);
    CHECK_EQ(walk_with(pte, 0, P, va4k, false), ~0ULL);
    CHECK_EQ(walk_with(pte, 0, RW, va4k, true), ~0ULL);
    CHECK_EQ(walk_with(pte, 0, RW, va4k, false), data);
    CHECK_EQ(walk_with(pde4m, 0, RW, va4m, true), ~0ULL);
    CHECK_EQ(walk_with(guest_entry_gpa(&g, va4k, 2), 0, RW, va4k, true),
             ~0ULL);
    (void)pde36;

    /*
     * Without CR4.PSE the PS bit is ignored: the 4 MiB entry now points
     * to a page table at 0x800000, which is a hole ...
     */
    g.pg.cr4 &= ~CR4_PSE;
    CHECK_EQ(walk(va4m + 0x5123, false), ~0ULL);
    /* ... until it is memory holding a PTE for the address. */
    REQUIRE_EQ(p2m_populate(dom, 0x800, 1), 0);
    {
        u32 e = (u32)data | P;

        REQUIRE_EQ(copy_to_guest_phys(dom, 0x800000 + 5 * 4, &e, 4), 0);
    }
    CHECK_EQ(walk(va4m + 0x5123, false), data + 0x123);
    finish();
}

TEST(copies_cross_pages_mapped_anywhere)
{
    u64 va = 0x7000000000ULL, a, b, c;
    u8 out[300], in[300], page[PAGE_SIZE];

    setup(GM_LONG, true);
    a = guest_alloc_page(&g);
    b = guest_alloc_page(&g);
    c = guest_alloc_page(&g);
    /* Virtually adjacent, physically in reverse order. */
    guest_map(&g, va, b, SZ_4K, P | RW);
    guest_map(&g, va + PAGE_SIZE, a, SZ_4K, P | RW);

    for ( unsigned int i = 0; i < sizeof(out); i++ )
        out[i] = 3 * i + 1;
    CHECK_EQ(copy_to_guest_virt(dom, &g.pg, va + PAGE_SIZE - 100, out,
                                sizeof(out)), 0);
    REQUIRE_EQ(copy_from_guest_phys(dom, in, b + PAGE_SIZE - 100, 100), 0);
    CHECK_EQ(memcmp(in, out, 100), 0);
    REQUIRE_EQ(copy_from_guest_phys(dom, in, a, 200), 0);
    CHECK_EQ(memcmp(in, out + 100, 200), 0);

    memset(in, 0, sizeof(in));
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, in, va + PAGE_SIZE - 100,
                                  sizeof(in)), 0);
    CHECK_EQ(memcmp(in, out, sizeof(in)), 0);

    /* Into an unmapped page: fault, and the mapped part is untouched. */
    memset(out, 0xee, sizeof(out));
    CHECK_EQ(copy_to_guest_virt(dom, &g.pg, va + 2 * PAGE_SIZE - 100, out,
                                sizeof(out)), -EFAULT);
    REQUIRE_EQ(copy_from_guest_phys(dom, in, a + PAGE_SIZE - 100, 100), 0);
    for ( unsigned int i = 0; i < 100; i++ )
        REQUIRE_EQ(in[i], 0);
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, in, va + 2 * PAGE_SIZE - 100,
                                  sizeof(in)), -EFAULT);
    /* From an unmapped page into a mapped one. */
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, in, va - 10, 20), -EFAULT);

    /* Into a read-only page: the same. */
    guest_map(&g, va + 2 * PAGE_SIZE, c, SZ_4K, P);
    CHECK_EQ(copy_to_guest_virt(dom, &g.pg, va + 2 * PAGE_SIZE - 100, out,
                                sizeof(out)), -EFAULT);
    REQUIRE_EQ(copy_from_guest_phys(dom, page, a, PAGE_SIZE), 0);
    CHECK_EQ(page[PAGE_SIZE - 1], 0);
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, in, va + 2 * PAGE_SIZE - 100,
                                  sizeof(in)), 0);

    /*
     * Mapped, but onto a guest-physical hole: the walk succeeds, the
     * copy faults, and again nothing of the first page is written.
     */
    guest_map(&g, va + 3 * PAGE_SIZE, 0x77777000, SZ_4K, P | RW);
    REQUIRE_EQ(walk(va + 3 * PAGE_SIZE, true), 0x77777000);
    memset(page, 0, sizeof(page));
    REQUIRE_EQ(copy_to_guest_phys(dom, c, page, PAGE_SIZE), 0);
    guest_map(&g, va + 2 * PAGE_SIZE, c, SZ_4K, P | RW);
    CHECK_EQ(copy_to_guest_virt(dom, &g.pg, va + 3 * PAGE_SIZE - 100, out,
                                sizeof(out)), -EFAULT);
    REQUIRE_EQ(copy_from_guest_phys(dom, page, c, PAGE_SIZE), 0);
    for ( unsigned int i = 0; i < PAGE_SIZE; i++ )
        REQUIRE_EQ(page[i], 0);
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, in, va + 3 * PAGE_SIZE - 100,
                                  sizeof(in)), -EFAULT);

    /* Ranges that wrap around the address space. */
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, in, ~0ULL - 10, 20), -EFAULT);
    CHECK_EQ(copy_to_guest_virt(dom, &g.pg, ~0ULL, out, 2), -EFAULT);
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, in, va, 0), 0);
    CHECK_EQ(copy_to_guest_virt(dom, &g.pg, 0xdead000, out, 0), 0);
    finish();
}

TEST(copies_cross_from_a_4k_page_into_a_big_page)
{
    u64 va = 0x201ff000, small;
    u8 out[64], in[64];

    setup(GM_LONG, false);
    small = guest_alloc_page(&g);
    guest_map(&g, va, small, SZ_4K, P | RW);
    guest_map(&g, va + PAGE_SIZE, 0x2000000, SZ_2M, P | RW);
    REQUIRE_EQ(p2m_populate(dom, 0x2000, 1), 0);

    for ( unsigned int i = 0; i < sizeof(out); i++ )
        out[i] = 0x80 + i;
    CHECK_EQ(copy_to_guest_virt(dom, &g.pg, va + PAGE_SIZE - 32, out, 64), 0);
    REQUIRE_EQ(copy_from_guest_phys(dom, in, 0x2000000, 32), 0);
    CHECK_EQ(memcmp(in, out + 32, 32), 0);
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, in, va + PAGE_SIZE - 32, 64),
             0);
    CHECK_EQ(memcmp(in, out, 64), 0);
    /* Within the big page, past its populated frame. */
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, in, va + 2 * PAGE_SIZE - 8,
                                  16), -EFAULT);
    finish();
}

TEST(legacy_linear_addresses_wrap_at_4g)
{
    u64 top, bottom;
    u8 out[32], in[32];

    setup(GM_32, false);
    top = guest_alloc_page(&g);
    bottom = guest_alloc_page(&g);
    guest_map(&g, 0xfffff000, top, SZ_4K, P | RW);
    guest_map(&g, 0, bottom, SZ_4K, P | RW);

    for ( unsigned int i = 0; i < sizeof(out); i++ )
        out[i] = i + 1;
    CHECK_EQ(copy_to_guest_virt(dom, &g.pg, 0xfffffff0, out, 32), 0);
    REQUIRE_EQ(copy_from_guest_phys(dom, in, bottom, 16), 0);
    CHECK_EQ(memcmp(in, out + 16, 16), 0);
    CHECK_EQ(copy_from_guest_virt(dom, &g.pg, in, 0xfffffff0, 32), 0);
    CHECK_EQ(memcmp(in, out, 32), 0);
    finish();
}

/* --- reserved bits by paging mode, vendor and MAXPHYADDR --- */

TEST(pae_pdpte_reserved_bits_per_vendor)
{
    u64 va = 0x40001000, data, pdpte;
    enum guest_walk_rules r;

    for ( r = WALK_RULES_INTEL; r <= WALK_RULES_QEMU_TCG; r++ )
    {
        bool qemu = r == WALK_RULES_QEMU_TCG;

        setup(GM_PAE, false);
        use_cpu(r, 40, true);
        data = guest_alloc_page(&g);
        guest_map(&g, va, data, SZ_4K, P | RW);
        pdpte = guest_entry_gpa(&g, va, 3);
        REQUIRE_EQ(walk(va, false), data);

        /*
         * SDM Table 4-8 and APM Figure 5-10 agree: 2:1 and 8:5 (A among
         * them) are reserved; QEMU checks none and sets A itself.
         */
        CHECK_BITS(pdpte, BITS64(2, 1) | BITS64(8, 5), va, !qemu, data);
        CHECK_EQ(walk_with(pdpte, 1ULL << 5, 0, va, false),
                 qemu ? data : ~0ULL);
        /* PWT, PCD and the ignored/AVL bits 11:9. */
        CHECK_BITS(pdpte, BITS64(4, 3) | BITS64(11, 9), va, false, data);
        /* 63:MAXPHYADDR for everyone, NX included (no NX in a PDPTE). */
        CHECK_BITS(pdpte, BITS64(63, 40), va, true, 0);
        g.pg.efer |= EFER_NXE;
        CHECK_EQ(walk_with(pdpte, NX, 0, va, false), ~0ULL);
        /* A reserved bit in a PDPTE that is not present: not present. */
        CHECK_EQ(walk_with(pdpte, 1ULL << 5, P, va, false), ~0ULL);
        finish();
    }
}

TEST(pae_pdpte_reserved_mask_is_shared)
{
    /* The mask PDPTE loading (VMX's MOV to CR0/CR4) checks as well. */
    use_cpu(WALK_RULES_INTEL, 40, true);
    CHECK_EQ(guest_pae_pdpte_rsvd(), 0xffffff00000001e6ULL);
    use_cpu(WALK_RULES_AMD, 48, true);
    CHECK_EQ(guest_pae_pdpte_rsvd(), 0xffff0000000001e6ULL);
    use_cpu(WALK_RULES_INTEL, 52, true);
    CHECK_EQ(guest_pae_pdpte_rsvd(), 0xfff00000000001e6ULL);
    use_cpu(WALK_RULES_QEMU_TCG, 40, true);
    CHECK_EQ(guest_pae_pdpte_rsvd(), 0xffffff0000000000ULL);
    /* Out-of-range widths are taken as the nearest architectural one. */
    use_cpu(WALK_RULES_INTEL, 64, true);
    CHECK_EQ(guest_pae_pdpte_rsvd(), 0xfff00000000001e6ULL);
    use_cpu(WALK_RULES_INTEL, 0, true);
    CHECK_EQ(guest_pae_pdpte_rsvd(), 0xffffffff000001e6ULL);
    use_cpu(WALK_RULES_INTEL, 52, true);
}

TEST(pae_pde_and_pte_reserved_bits)
{
    u64 va4k = 0x00601000, va2m = 0x00800000, data, pde, pde2m, pte;
    enum guest_walk_rules r;

    for ( r = WALK_RULES_INTEL; r <= WALK_RULES_QEMU_TCG; r++ )
    {
        setup(GM_PAE, false);
        use_cpu(r, 40, true);
        data = guest_alloc_page(&g);
        pte = guest_map(&g, va4k, data, SZ_4K, P | RW);
        pde = guest_entry_gpa(&g, va4k, 2);
        pde2m = guest_map(&g, va2m, 0x1200000, SZ_2M, P | RW);

        /* 62:MAXPHYADDR, and 63 without EFER.NXE (SDM 4.4.2). */
        CHECK_BITS(pte, BITS64(63, 40), va4k, true, 0);
        CHECK_BITS(pde, BITS64(63, 40), va4k, true, 0);
        CHECK_BITS(pde2m, BITS64(63, 40), va2m, true, 0);
        /* A, D, PAT, G, ignored: fine; U/S and PWT/PCD too. */
        CHECK_BITS(pte, BITS64(11, 2), va4k, false, data);
        CHECK_BITS(pde, BITS64(11, 8) | BITS64(6, 2), va4k, false, data);
        /* 2 MiB: 20:13 reserved, 12 is PAT (APM Figure 5-15). */
        CHECK_BITS(pde2m, BITS64(20, 13), va2m + 0x1234, true, 0);
        CHECK_BITS(pde2m, BITS64(12, 2), va2m + 0x1234, false,
                   0x1201234);

        g.pg.efer |= EFER_NXE;
        CHECK_EQ(walk_with(pte, NX, 0, va4k, false), data);
        CHECK_EQ(walk_with(pde, NX, 0, va4k, false), data);
        CHECK_EQ(walk_with(pde2m, NX, 0, va2m, false), 0x1200000);
        CHECK_BITS(pte, BITS64(62, 40), va4k, true, 0);
        finish();
    }
}

TEST(pae_maxphyaddr_52_reserves_no_address_bit)
{
    u64 va = 0x00601000, data, pte;

    setup(GM_PAE, false);
    use_cpu(WALK_RULES_AMD, 52, true);
    data = guest_alloc_page(&g);
    pte = guest_map(&g, va, data, SZ_4K, P | RW);
    /* Bit 51 is an address bit: no fault, a (hole) address. */
    CHECK_EQ(walk_with(pte, 1ULL << 51, 0, va, false), data | (1ULL << 51));
    CHECK_BITS(pte, BITS64(62, 52), va, true, 0);
    finish();
}

TEST(long_mode_reserved_bits_on_every_level)
{
    u64 va = 0x00001234567ff000ULL, data;
    enum guest_walk_rules r;

    for ( r = WALK_RULES_INTEL; r <= WALK_RULES_QEMU_TCG; r++ )
    {
        setup(GM_LONG, false);
        use_cpu(r, 40, true);
        data = guest_alloc_page(&g);
        guest_map(&g, va, data, SZ_4K, P | RW);

        for ( unsigned int level = 1; level <= 4; level++ )
        {
            u64 e = guest_entry_gpa(&g, va, level);

            /* 51:MAXPHYADDR and NX without NXE; 62:52 ignored. */
            CHECK_BITS(e, BITS64(51, 40) | NX, va, true, 0);
            CHECK_BITS(e, BITS64(62, 52), va, false, data);
            /* Flags and the ignored bits 11:9. */
            CHECK_BITS(e, BITS64(6, 2) | BITS64(11, 9), va, false, data);
        }
        /* PS: no 512 GiB pages (SDM Table 4-14, APM Figure 5-20). */
        CHECK_BITS(guest_entry_gpa(&g, va, 4), PS, va, true, 0);
        /*
         * Bit 8: MBZ in an AMD PML4E (APM Figure 5-20), ignored in an
         * Intel one (SDM Table 4-14) and by QEMU; ignored in non-leaf
         * PDPTEs and PDEs everywhere, G in a PTE.
         */
        CHECK_BITS(guest_entry_gpa(&g, va, 4), 1ULL << 8, va,
                   r == WALK_RULES_AMD, data);
        for ( unsigned int level = 1; level <= 3; level++ )
            CHECK_BITS(guest_entry_gpa(&g, va, level), 1ULL << 8, va,
                       false, data);

        g.pg.efer |= EFER_NXE;
        for ( unsigned int level = 1; level <= 4; level++ )
            CHECK_BITS(guest_entry_gpa(&g, va, level), NX, va, false,
                       data);
        finish();
    }
}

TEST(long_mode_large_page_reserved_bits)
{
    u64 va2m = 0x40000000, va1g = 0x8000000000ULL, pde, pdpte;
    enum guest_walk_rules r;

    for ( r = WALK_RULES_INTEL; r <= WALK_RULES_QEMU_TCG; r++ )
    {
        setup(GM_LONG, false);
        use_cpu(r, 40, true);
        pde = guest_map(&g, va2m, 0x200000, SZ_2M, P | RW);
        pdpte = guest_map(&g, va1g, 0x40000000, SZ_1G, P | RW);

        /* 2 MiB: 20:13 reserved, PAT at 12, 51:MAXPHYADDR. */
        CHECK_BITS(pde, BITS64(20, 13) | BITS64(51, 40), va2m, true, 0);
        CHECK_BITS(pde, BITS64(12, 2) | BITS64(62, 52), va2m + 0x123,
                   false, 0x200123);
        /* 1 GiB: 29:13 reserved, PAT at 12, 51:MAXPHYADDR. */
        CHECK_BITS(pdpte, BITS64(29, 13) | BITS64(51, 40), va1g, true, 0);
        CHECK_BITS(pdpte, BITS64(12, 2) | BITS64(62, 52), va1g + 0x123,
                   false, 0x40000123);
        /* Address bits below MAXPHYADDR move the page. */
        CHECK_EQ(walk_with(pdpte, 1ULL << 39, 0, va1g, false),
                 0x8040000000ULL);

        /* Without 1 GiB pages, PS in a PDPTE is reserved. */
        use_cpu(r, 40, false);
        CHECK_EQ(walk(va1g, false), ~0ULL);
        CHECK_EQ(walk(va2m + 0x123, false), 0x200123);
        finish();
    }
}

TEST(legacy_32bit_pse36_reserved_bits_follow_maxphyaddr)
{
    u64 va = 0x00c00000, pde;
    enum guest_walk_rules r;

    for ( r = WALK_RULES_INTEL; r <= WALK_RULES_AMD; r++ )
    {
        setup(GM_32, false);
        pde = guest_map(&g, va, 0x800000, SZ_4M, P | RW);

        /* M = 40 (and above): only bit 21 (SDM Table 4-4, APM 5-8). */
        use_cpu(r, 46, true);
        CHECK_BITS(pde, 1ULL << 21, va, true, 0);
        CHECK_EQ(walk_with(pde, 1ULL << 20, 0, va + 5, false),
                 0x8000800005ULL);
        CHECK_EQ(walk_with(pde, 1ULL << 13, 0, va + 5, false),
                 0x100800005ULL);
        CHECK_BITS(pde, BITS64(12, 2), va + 5, false, 0x800005);
        /* M = 36: bits 21:17 reserved, 16:13 are address bits 35:32. */
        use_cpu(r, 36, true);
        CHECK_BITS(pde, BITS64(21, 17), va, true, 0);
        CHECK_EQ(walk_with(pde, 1ULL << 16, 0, va + 5, false),
                 0x800800005ULL);
        /* M = 32: no PSE-36 address bits, 21:13 reserved. */
        use_cpu(r, 32, true);
        CHECK_BITS(pde, BITS64(21, 13), va, true, 0);
        CHECK_BITS(pde, BITS64(12, 2), va + 5, false, 0x800005);
        finish();
    }
}

TEST(legacy_32bit_without_pse_has_no_reserved_bits)
{
    u64 va = 0x00801000, data, pte, pde;

    setup(GM_32, false);
    use_cpu(WALK_RULES_AMD, 36, true);
    data = guest_alloc_page(&g);
    pte = guest_map(&g, va, data, SZ_4K, P | RW);
    pde = guest_entry_gpa(&g, va, 2);
    g.pg.cr4 &= ~CR4_PSE;
    /* Every flag and ignored bit of both levels (SDM 4.3, Table 4-5/6). */
    CHECK_BITS(pte, BITS64(11, 2), va, false, data);
    CHECK_BITS(pde, BITS64(6, 2) | BITS64(11, 8), va, false, data);
    /* PS is ignored: the entry still points to the page table. */
    CHECK_BITS(pde, PS, va, false, data);
    finish();
}

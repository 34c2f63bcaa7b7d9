/*
 * pae_pdpte_load: a MOV to CR0 that turns on PAE paging loads the four
 * PDPTEs into the CPU, and one that is present with a reserved bit set
 * makes the instruction raise #GP(0), paging staying off (Intel SDM Vol.
 * 3A 4.4.1, Table 4-8: bits 2:1, 8:5 and 63:MAXPHYADDR).
 *
 * PDPTE 0 maps the kernel (2 MiB pages); PDPTE 2 gets one bad bit at a
 * time: 1, 5, 8, 63, MAXPHYADDR and 51 (the last two when MAXPHYADDR,
 * from CPUID 0x80000008, is below 52).  Each case runs twice: once with
 * CR0.NE unchanged, and once flipping NE in the same MOV (a bit VMX
 * hypervisors own, so the write exits and the hypervisor loads the
 * PDPTEs, as xen-lite's load_pdptes() does).  Then PDPTE 2 holds address
 * bit MAXPHYADDR-1, which is no reserved bit: both MOVs must succeed.
 *
 * A periodic LAPIC timer interrupt guards each MOV: should the MOV
 * neither complete nor fault - a hypervisor that decides on #GP but
 * enters the guest at the MOV again without it loops there - the tick
 * handler, finding itself interrupting the MOV 100 times in a row, fails
 * the test instead of letting it hang.
 *
 * AMD processors with nested paging read PDPTEs at each walk instead
 * from memory, so on AMD the kernel reports SKIP.
 */
#include "test.h"
#include "cr.h"

const char test_name[] = "pae_pdpte_load";

#define PTE_P           (1ull << 0)
#define PTE_RW          (1ull << 1)
#define PTE_PS          (1ull << 7)


static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pd0[512] __attribute__((aligned(4096)));
static uint64_t pd2[512] __attribute__((aligned(4096)));

#define GUARD_TICK_US   1000
#define GUARD_TICKS     100

static volatile uint32_t gp_count, gp_error, fault_eip, stuck;

static void on_gp(struct regs *r)
{
    if ( r->eip != fault_eip )
        test_fail("exception 13 at %#x error %#x (not at the MOV to CR0 "
                  "being tested, %#x)", r->eip, r->error, fault_eip);
    gp_count++;
    gp_error = r->error;
    r->eip += 3;                        /* 0f 22 c0: mov %eax, %cr0 */
}

static void on_guard_tick(struct regs *r)
{
    if ( r->eip == fault_eip && ++stuck >= GUARD_TICKS )
        test_fail("MOV to CR0 at %#x neither completed nor raised #GP "
                  "(entered at it again for %u ticks of %u us)", r->eip,
                  stuck, GUARD_TICK_US);
    apic_eoi();
}

/* MOV val to CR0 (eax); false if it raised #GP. */
static bool try_cr0(uint32_t val)
{
    uint32_t before = gp_count;

    stuck = 0;
    asm volatile ( "movl $1f, %[fe]\n\t"
                   "1: mov %%eax, %%cr0"
                   : [fe] "=m" (fault_eip) : "a" (val) : "memory" );
    fault_eip = 0;
    return gp_count == before;
}

/* With PDPTE 2 = entry, turn paging on (NE flipped or not), then off. */
static void load(uint64_t entry, bool flip_ne, bool want_gp)
{
    uint32_t cr0 = read_cr0(), on = cr0 | CR0_PG;

    if ( flip_ne )
        on ^= CR0_NE;
    pdpt[2] = entry;
    if ( try_cr0(on) )
    {
        CHECK(read_cr0() & CR0_PG, "paging off after MOV to CR0");
        CHECK(try_cr0(cr0), "#GP turning paging off again");
        CHECK(!want_gp, "PDPTE %#llx loaded%s without #GP", entry,
              flip_ne ? " (NE flipped)" : "");
    }
    else
    {
        CHECK(want_gp, "PDPTE %#llx: #GP%s, but no bit of it is reserved",
              entry, flip_ne ? " (NE flipped)" : "");
        CHECK(gp_error == 0, "#GP error code %#x, not 0", gp_error);
        CHECK(!(read_cr0() & CR0_PG), "paging on after the #GP");
    }
}

void test_main(void)
{
    uint32_t a, b, c, d, maxphy = 36, bits[6], n = 0, i;
    uint64_t good;

    cpuid(0, 0, &a, &b, &c, &d);
    if ( b == 0x68747541 )              /* "Auth"enticAMD */
        test_skip("AMD: PDPTEs are checked at each walk, not loaded");
    cpuid(0x80000000, 0, &a, &b, &c, &d);
    if ( a >= 0x80000008 )
    {
        cpuid(0x80000008, 0, &a, &b, &c, &d);
        maxphy = a & 0xff;
    }

    for ( i = 0; i < 512; i++ )
        pd0[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
    pdpt[0] = (uint32_t)pd0 | PTE_P;
    good = (uint32_t)pd2 | PTE_P;
    platform_init(APIC_MODE_XAPIC, false);
    tick_start(GUARD_TICK_US);
    idt_set_handler(VEC_TICK, on_guard_tick);
    idt_set_handler(VEC_GP, on_gp);
    sti();
    asm volatile ( "mov %%cr4, %0" : "=r" (a) );
    asm volatile ( "mov %0, %%cr4" :: "r" (a | CR4_PAE) );
    asm volatile ( "mov %0, %%cr3" :: "r" ((uint32_t)pdpt) : "memory" );

    bits[n++] = 1;
    bits[n++] = 5;
    bits[n++] = 8;
    bits[n++] = 63;
    if ( maxphy < 52 )
    {
        bits[n++] = maxphy;
        bits[n++] = 51;
    }
    for ( i = 0; i < n; i++ )
    {
        load(good | (1ull << bits[i]), false, true);
        load(good | (1ull << bits[i]), true, true);
    }
    load(good | (1ull << (maxphy - 1)), false, false);
    load(good | (1ull << (maxphy - 1)), true, false);

    asm volatile ( "mov %0, %%cr4" :: "r" (a) );
    tick_stop();
    cli();
    idt_set_handler(VEC_GP, NULL);
    test_pass("MAXPHYADDR %u: #GP(0) for PDPTE bits 1, 5, 8, 63%s, "
              "CR0.NE kept and flipped; none for address bit %u", maxphy,
              maxphy < 52 ? ", MAXPHYADDR and 51" : "", maxphy - 1);
}

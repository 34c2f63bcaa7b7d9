/*
 * pae_mmio: with PAE paging on, the hypervisor still reaches the guest's
 * memory through the guest's own page tables: it fetches the instruction
 * of an MMIO access to decode it, and copies hypercall buffers in and
 * out by virtual address.
 *
 * The kernel builds a PAE hierarchy (SDM 4.4, APM 5.2.3): its PDPT at a
 * 32-byte (not page) aligned address; PDPTE 0 identity-maps the first
 * GiB with 2 MiB pages (code, data, stack); PDPTE 1 maps two 4 KiB pages
 * at 0x40000000 onto two RAM pages in reverse order; PDPTE 2 is not
 * present; PDPTE 3 maps the unbacked 2 MiB at 0xc0000000 and, through a
 * page table, the xAPIC page, both uncached.  It enables paging, touches
 * memory (a CPU that sets the accessed bit of a PDPTE, as QEMU does, has
 * done so by then: the verdict says whether it was set), then asserts:
 *   - the xAPIC version register reads the same as with paging off, and
 *     a read of the unbacked address completes (an MMIO exit on every
 *     configuration, APICv or not);
 *   - a console_io write of text that straddles the two reversed pages
 *     returns its length (the hypervisor prints it as one line, which the
 *     integration test checks);
 *   - a console_io read (copy to the guest) of 4 KiB into the window,
 *     from 40 bytes into its first page, returns the newest console
 *     text, which contains that line (the kernel reassembles it from
 *     the two RAM pages).
 * Paging is turned off again before the verdict.  Natively (no xen-lite)
 * the hypercalls are not made: SKIP after the MMIO checks.
 */
#include "test.h"
#include "cr.h"
#include "hypercall.h"
#include <public/xen.h>

const char test_name[] = "pae_mmio";

#define PTE_P           (1ull << 0)
#define PTE_RW          (1ull << 1)
#define PTE_PWT         (1ull << 3)
#define PTE_PCD         (1ull << 4)
#define PTE_A           (1ull << 5)
#define PTE_PS          (1ull << 7)


#define LAPIC_BASE      0xfee00000u
#define UNBACKED        0xc0000000u
#define WINDOW          0x40000000u     /* PDPTE 1: two reversed pages */
#define MARK            "pae_mmio: text read through PAE paging, " \
                        "across two pages mapped in reverse order"

/* One page holds the PDPT (at +0x40: 32-byte alignment is enough). */
static uint64_t pdpt_page[512] __attribute__((aligned(4096)));
static uint64_t pd0[512] __attribute__((aligned(4096)));
static uint64_t pd1[512] __attribute__((aligned(4096)));
static uint64_t pd3[512] __attribute__((aligned(4096)));
static uint64_t pt1[512] __attribute__((aligned(4096)));
static uint64_t pt3[512] __attribute__((aligned(4096)));
static uint8_t window_ram[2][4096] __attribute__((aligned(4096)));
static char flat[4096];

#define PDPT            (&pdpt_page[8])

static void build_tables(void)
{
    unsigned int i;

    for ( i = 0; i < 512; i++ )
        pd0[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;

    /* Virtual page 0 of the window is RAM page 1, and page 1 is page 0. */
    pt1[0] = (uint32_t)window_ram[1] | PTE_P | PTE_RW;
    pt1[1] = (uint32_t)window_ram[0] | PTE_P | PTE_RW;
    pd1[0] = (uint32_t)pt1 | PTE_P | PTE_RW;

    pd3[0] = UNBACKED | PTE_P | PTE_RW | PTE_PS | PTE_PCD | PTE_PWT;
    pt3[0] = LAPIC_BASE | PTE_P | PTE_RW | PTE_PCD | PTE_PWT;
    pd3[(LAPIC_BASE >> 21) & 511] = (uint32_t)pt3 | PTE_P | PTE_RW;

    /* PDPTEs: only P, PWT, PCD and the address (SDM Table 4-8). */
    PDPT[0] = (uint32_t)pd0 | PTE_P;
    PDPT[1] = (uint32_t)pd1 | PTE_P;
    PDPT[2] = 0;
    PDPT[3] = (uint32_t)pd3 | PTE_P;
}

static void paging_on(void)
{
    asm volatile ( "mov %0, %%cr4" :: "r" (read_cr4() | CR4_PAE) );
    asm volatile ( "mov %0, %%cr3" :: "r" ((uint32_t)PDPT) : "memory" );
    asm volatile ( "mov %0, %%cr0" :: "r" (read_cr0() | CR0_PG)
                   : "memory" );
}

static void paging_off(void)
{
    asm volatile ( "mov %0, %%cr0" :: "r" (read_cr0() & ~CR0_PG)
                   : "memory" );
    asm volatile ( "mov %0, %%cr4" :: "r" (read_cr4() & ~CR4_PAE) );
}

/* Whether 'needle' occurs in the n bytes at 'hay'. */
static bool contains(const char *hay, size_t n, const char *needle)
{
    size_t len = strlen(needle);

    for ( size_t i = 0; i + len <= n; i++ )
        if ( !memcmp(hay + i, needle, len) )
            return true;
    return false;
}

void test_main(void)
{
    /* The text ends 40 bytes into the second page of the window. */
    size_t len = strlen(MARK) + 1;
    char *text = (char *)(WINDOW + 4096 + 40 - len);
    char *readback = (char *)(WINDOW + 40);
    uint32_t ver_flat, ver_paged, unbacked;
    bool accessed, xl = xen_lite_present();
    long wrote = 0, got = 0;

    ver_flat = mmio_read32(LAPIC_BASE + APIC_VERSION);
    build_tables();
    paging_on();

    /* Every access since MOV CR0 went through PDPTE 0. */
    accessed = PDPT[0] & PTE_A;
    ver_paged = mmio_read32(LAPIC_BASE + APIC_VERSION);
    unbacked = mmio_read32(UNBACKED);

    if ( xl )
    {
        memcpy(text, MARK "\n", len);
        wrote = hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, len,
                           (uint32_t)text);
        memset(readback, 0, 4096);
        got = hypercall3(__HYPERVISOR_console_io, CONSOLEIO_read, 4096,
                         (uint32_t)readback);
    }
    paging_off();

    printf("pae_mmio: PDPTE 0 accessed bit %s by the CPU; xAPIC version "
           "%#x flat, %#x paged; %#x reads %#x\n",
           accessed ? "set" : "not set", ver_flat, ver_paged, UNBACKED,
           unbacked);
    CHECK(ver_paged == ver_flat, "xAPIC version read through PAE paging "
          "is %#x, flat %#x", ver_paged, ver_flat);
    if ( !xl )
        test_skip("not running under xen-lite (no hypercalls); MMIO "
                  "through PAE paging fine, PDPTE accessed bit %s",
                  accessed ? "set" : "not set");

    CHECK(wrote == (long)len, "console_io write from PAE-mapped pages "
          "returned %ld, not %u", wrote, (unsigned int)len);
    CHECK(got > 0 && got <= 4096, "console_io read into PAE-mapped pages "
          "returned %ld", got);
    /* Put the read back together from the two RAM pages it went to. */
    memcpy(flat, window_ram[1] + 40, 4096 - 40);
    memcpy(flat + 4096 - 40, window_ram[0], 40);
    CHECK(contains(flat, got, MARK), "console_io read into PAE-mapped "
          "pages did not return the text just written");
    test_pass("MMIO decoded and hypercall buffers copied through PAE "
              "paging (PDPTE accessed bit %s by the CPU)",
              accessed ? "set" : "not set");
}

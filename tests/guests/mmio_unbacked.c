/*
 * mmio_unbacked: writes to physical addresses nothing backs (no RAM, no
 * device) are dropped without harm: the guest keeps running, and reading
 * the address back does not return what was written. Covered: 32-, 16- and
 * 8-bit MOV stores, a read-modify-write OR, then the same loads.
 *
 * Addresses, each used only if the firmware's E820 map (Multiboot memory
 * map) has no entry covering it:
 *   0xfed0f000  in the chipset window, 60 KiB above the HPET base (QEMU's
 *               HPET decodes 1 KiB), where neither QEMU's pc machine nor
 *               Bochs 2.7 puts anything;
 *   0xc0000000  3 GiB, above the RAM of any guest we run (512 MiB), below
 *               the PCI BARs firmware assigns near 0xfe000000 and away from
 *               Bochs' VBE frame buffer at 0xe0000000;
 *   top of RAM rounded up to 256 MiB, plus 64 KiB: just past the guest's
 *               memory, whatever size it was given.
 * The values read are reported; all-ones or zero are what a PC returns.
 */
#include "test.h"

const char test_name[] = "mmio_unbacked";

#define PAT32           0x5aa5c33cu
#define PAT16           0xa55au
#define PAT8            0x5au
#define OR_BITS         0x00f0000fu

static volatile uint32_t ram_canary[16];

static uint64_t ram_top(void)
{
    uint64_t top = 0;
    unsigned int i;

    for ( i = 0; i < mem_map_count; i++ )
        if ( mem_map[i].type == 1 && mem_map[i].base < (1ull << 32) &&
             mem_map[i].base + mem_map[i].len > top )
            top = mem_map[i].base + mem_map[i].len;
    if ( !top )
        top = 0x100000 + (uint64_t)mem_upper_kb * 1024;
    return top;
}

static void probe(uint32_t a, char *summary, size_t size)
{
    volatile uint32_t *p32 = phys(a);
    volatile uint16_t *p16 = phys(a + 4);
    volatile uint8_t *p8 = phys(a + 8);
    volatile uint32_t *por = phys(a + 12);
    uint32_t before, after, r16, r8, ror_before, ror;

    before = *p32;
    *p32 = PAT32;
    after = *p32;
    printf("mmio_unbacked: %#x: read %#x, wrote %#x, read back %#x\n", a,
           before, PAT32, after);
    CHECK(after != PAT32, "%#x: the 32-bit value written (%#x) reads back",
          a, PAT32);

    *p16 = PAT16;
    r16 = *p16;
    CHECK(r16 != PAT16, "%#x: the 16-bit value written (%#x) reads back",
          a + 4, PAT16);

    *p8 = PAT8;
    r8 = *p8;
    CHECK(r8 != PAT8, "%#x: the 8-bit value written (%#x) reads back",
          a + 8, PAT8);

    /* An RMW instruction on MMIO: a hypervisor must decode it too. */
    ror_before = *por;
    asm volatile ( "orl %1, %0" : "+m" (*por) : "ri" (OR_BITS) );
    ror = *por;
    CHECK(ror_before == 0xffffffffu || ror != (ror_before | OR_BITS),
          "%#x: OR of %#x into %#x reads back as stored (%#x)", a + 12,
          OR_BITS, ror_before, ror);
    printf("mmio_unbacked: %#x: 16-bit read back %#x, 8-bit %#x, after OR "
           "%#x\n", a, r16, r8, ror);
    snprintf(summary, size, "%#x reads %#x", a, after);
}

void test_main(void)
{
    uint32_t cand[3], n = 0, tested = 0, i;
    uint64_t top = ram_top();
    char summary[3][40], all[140] = "";
    int len = 0;

    printf("mmio_unbacked: %u memory map entries, RAM below 4 GiB ends at "
           "%#llx\n", mem_map_count, top);
    for ( i = 0; i < mem_map_count; i++ )
        printf("mmio_unbacked: e820 %#llx-%#llx type %u\n", mem_map[i].base,
               mem_map[i].base + mem_map[i].len - 1, mem_map[i].type);

    for ( i = 0; i < ARRAY_SIZE(ram_canary); i++ )
        ram_canary[i] = 0x1000 + i;

    cand[n++] = 0xfed0f000u;
    cand[n++] = 0xc0000000u;
    top = ((top + 0x0fffffff) & ~0x0fffffffull) + 0x10000;
    if ( top < 0xfe000000u )
        cand[n++] = (uint32_t)top;

    for ( i = 0; i < n; i++ )
    {
        if ( mem_map_overlaps(cand[i], 16) )
        {
            printf("mmio_unbacked: %#x is in the memory map, not used\n",
                   cand[i]);
            continue;
        }
        probe(cand[i], summary[tested], sizeof(summary[tested]));
        len += snprintf(all + len, sizeof(all) - len, "%s%s",
                        tested ? ", " : "", summary[tested]);
        tested++;
    }
    CHECK(tested, "every candidate address is in the memory map");

    /* Still alive, and RAM untouched by the stray writes. */
    for ( i = 0; i < ARRAY_SIZE(ram_canary); i++ )
        CHECK(ram_canary[i] == 0x1000 + i, "RAM canary %u changed to %#x",
              i, ram_canary[i]);
    test_pass("%u unbacked addresses: 32/16/8-bit and OR writes dropped, "
              "guest kept running (%s)", tested, all);
}

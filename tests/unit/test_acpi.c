/*
 * Tests for the ACPI table parser in xen/arch/x86/acpi/tables.c.
 *
 * Tables are built in a 2 MiB "physical memory" array.  The map function
 * hands out a fresh heap copy of exactly the bytes asked for, so any read
 * past what map() returned is a heap overflow that ASan reports.
 */

#include <stdlib.h>

#include <xen/acpi.h>
#include <xen/errno.h>
#include <xen/lib.h>

#include "harness.h"
#include "stubs.h"

#define PHYS_SIZE   (2u << 20)

#define EBDA        0x9fc00
#define RSDP_PA     0xf0000
#define RSDT_PA     0x100000
#define XSDT_PA     0x101000
#define MADT_PA     0x102000
#define FADT_PA     0x103000
#define MADT2_PA    0x104000

static u8 phys[PHYS_SIZE];

struct mapping
{
    struct mapping *next;
    u8 data[];
};

static struct mapping *mappings;
static unsigned int map_calls;
static paddr_t map_fail_pa = ~0ULL;     /* maps covering this fail */

static const void *test_map(paddr_t pa, size_t len)
{
    struct mapping *m;

    map_calls++;
    if ( !len || pa >= PHYS_SIZE || len > PHYS_SIZE - pa )
        return NULL;
    if ( map_fail_pa >= pa && map_fail_pa - pa < len )
        return NULL;

    m = malloc(sizeof(*m) + len);
    REQUIRE(m != NULL);
    memcpy(m->data, phys + pa, len);
    m->next = mappings;
    mappings = m;
    return m->data;
}

static void reset_phys(void)
{
    while ( mappings )
    {
        struct mapping *m = mappings;

        mappings = m->next;
        free(m);
    }
    memset(phys, 0, sizeof(phys));
    map_calls = 0;
    map_fail_pa = ~0ULL;
}

static void fix_checksum(u8 *p, size_t len, u8 *csum)
{
    *csum = 0;
    *csum = -acpi_checksum(p, len);
}

/* An RSDP at pa: revision 0 is the 20-byte ACPI 1.0 form. */
static void put_rsdp(paddr_t pa, u8 rev, u32 rsdt, u64 xsdt)
{
    struct acpi_rsdp *r = (struct acpi_rsdp *)(phys + pa);

    memset(r, 0, sizeof(*r));
    memcpy(r->signature, "RSD PTR ", 8);
    memcpy(r->oem_id, "XENLTE", 6);
    r->revision = rev;
    r->rsdt_address = rsdt;
    fix_checksum((u8 *)r, 20, &r->checksum);
    if ( rev >= 2 )
    {
        r->length = sizeof(*r);
        r->xsdt_address = xsdt;
        fix_checksum((u8 *)r, sizeof(*r), &r->extended_checksum);
    }
}

/* A table under construction. */
struct tb
{
    u8 buf[8192];
    u32 len;
};

static void tb_init(struct tb *t, const char *sig)
{
    struct acpi_table_header *h = (struct acpi_table_header *)t->buf;

    memset(t, 0, sizeof(*t));
    memcpy(h->signature, sig, 4);
    h->revision = 1;
    memcpy(h->oem_id, "XENLTE", 6);
    t->len = sizeof(*h);
}

static void tb_put(struct tb *t, const void *p, size_t n)
{
    REQUIRE(t->len + n <= sizeof(t->buf));
    memcpy(t->buf + t->len, p, n);
    t->len += n;
}

/* Copy to pa with header length 'len' (0: the real length), checksummed
 * over min(len, built length) bytes as firmware would. */
static void tb_place_len(struct tb *t, paddr_t pa, u32 len)
{
    struct acpi_table_header *h = (struct acpi_table_header *)t->buf;
    u32 csum_len;

    h->length = len ? len : t->len;
    csum_len = h->length < t->len ? h->length : t->len;
    if ( csum_len >= sizeof(*h) )
        fix_checksum(t->buf, csum_len, &h->checksum);
    REQUIRE(pa + t->len <= PHYS_SIZE);
    memcpy(phys + pa, t->buf, t->len);
}

static void tb_place(struct tb *t, paddr_t pa)
{
    tb_place_len(t, pa, 0);
}

static void put_rsdt(paddr_t pa, const u32 *e, unsigned int n)
{
    struct tb t;

    tb_init(&t, "RSDT");
    tb_put(&t, e, n * sizeof(*e));
    tb_place(&t, pa);
}

static void put_xsdt(paddr_t pa, const u64 *e, unsigned int n)
{
    struct tb t;

    tb_init(&t, "XSDT");
    tb_put(&t, e, n * sizeof(*e));
    tb_place(&t, pa);
}

static void madt_init(struct tb *t, u32 lapic_addr, u32 flags)
{
    tb_init(t, "APIC");
    tb_put(t, &lapic_addr, 4);
    tb_put(t, &flags, 4);
}

static void madt_lapic(struct tb *t, u8 acpi_id, u8 apic_id, u32 flags)
{
    struct acpi_madt_lapic e = {
        .h = { ACPI_MADT_LAPIC, sizeof(e) },
        .processor_id = acpi_id, .apic_id = apic_id, .flags = flags,
    };

    tb_put(t, &e, sizeof(e));
}

static void madt_x2apic(struct tb *t, u32 uid, u32 id, u32 flags)
{
    struct acpi_madt_x2apic e = {
        .h = { ACPI_MADT_X2APIC, sizeof(e) },
        .x2apic_id = id, .flags = flags, .uid = uid,
    };

    tb_put(t, &e, sizeof(e));
}

static void madt_ioapic(struct tb *t, u8 id, u32 addr, u32 gsi_base)
{
    struct acpi_madt_ioapic e = {
        .h = { ACPI_MADT_IOAPIC, sizeof(e) },
        .id = id, .address = addr, .gsi_base = gsi_base,
    };

    tb_put(t, &e, sizeof(e));
}

static void madt_iso(struct tb *t, u8 irq, u32 gsi, u16 flags)
{
    struct acpi_madt_int_override e = {
        .h = { ACPI_MADT_INT_OVERRIDE, sizeof(e) },
        .bus = 0, .source_irq = irq, .gsi = gsi, .flags = flags,
    };

    tb_put(t, &e, sizeof(e));
}

static void madt_lapic_override(struct tb *t, u64 addr)
{
    struct acpi_madt_lapic_override e = {
        .h = { ACPI_MADT_LAPIC_OVERRIDE, sizeof(e) },
        .address = addr,
    };

    tb_put(t, &e, sizeof(e));
}

static void madt_raw(struct tb *t, u8 type, u8 len, unsigned int size)
{
    u8 e[256] = { type, len };

    tb_put(t, e, size);
}

static void fadt_build(struct tb *t, u32 pm_tmr, u8 pm_len, u32 flags)
{
    struct acpi_table_fadt f;

    memset(&f, 0, sizeof(f));
    f.pm_tmr_blk = pm_tmr;
    f.pm_tmr_len = pm_len;
    f.flags = flags;
    f.reset_reg.space_id = ACPI_GAS_IO;
    f.reset_reg.bit_width = 8;
    f.reset_reg.address = 0xcf9;
    f.reset_value = 6;

    tb_init(t, "FACP");
    tb_put(t, (u8 *)&f + sizeof(f.header), sizeof(f) - sizeof(f.header));
    /* The rest of a modern FADT, which the parser must not care about. */
    tb_put(t, (u8[147]){ 0 }, 147);
}

/* A typical machine: 2 enabled CPUs and a disabled one, one IOAPIC, the
 * usual timer override, a FADT with a 32-bit PM timer and reset reg. */
static void standard_madt(paddr_t pa)
{
    struct tb t;

    madt_init(&t, 0xfee00000, 1);
    madt_lapic(&t, 0, 0, ACPI_MADT_ENABLED);
    madt_lapic(&t, 1, 2, ACPI_MADT_ENABLED);
    madt_lapic(&t, 2, 4, 0);
    madt_ioapic(&t, 8, 0xfec00000, 0);
    madt_iso(&t, 0, 2, 0);
    madt_iso(&t, 9, 9, 0xd);
    tb_place(&t, pa);
}

static void standard_fadt(paddr_t pa)
{
    struct tb t;

    fadt_build(&t, 0x608, 4, ACPI_FADT_TMR_VAL_EXT | ACPI_FADT_RESET_REG_SUP);
    tb_place(&t, pa);
}

static void standard_system_v1(void)
{
    u32 e[] = { FADT_PA, MADT_PA };

    reset_phys();
    put_rsdp(RSDP_PA, 0, RSDT_PA, 0);
    put_rsdt(RSDT_PA, e, ARRAY_SIZE(e));
    standard_madt(MADT_PA);
    standard_fadt(FADT_PA);
}

/* Parse the standard v1 system with a MADT replaced by t. */
static int parse_with_madt(struct tb *t, struct acpi_info *info)
{
    standard_system_v1();
    memset(phys + MADT_PA, 0, 0x1000);
    tb_place(t, MADT_PA);
    stub_log_clear();
    return acpi_parse(test_map, RSDP_PA, info);
}

static struct acpi_info info;

TEST(checksum_is_the_byte_sum_modulo_256)
{
    u8 b[300];
    unsigned int i;

    for ( i = 0; i < sizeof(b); i++ )
        b[i] = i;
    CHECK_EQ(acpi_checksum(b, 0), 0);
    CHECK_EQ(acpi_checksum(b, 3), 3);
    CHECK_EQ(acpi_checksum(b, 256), (u8)(255 * 256 / 2));
    CHECK_EQ(acpi_checksum(b, 300), (u8)(299 * 300 / 2));
}

TEST(rsdp_is_found_in_the_bios_area)
{
    paddr_t r = 0;

    reset_phys();
    put_rsdp(0xf6a50, 0, RSDT_PA, 0);
    CHECK_EQ(acpi_find_rsdp(test_map, 0, &r), 0);
    CHECK_EQ(r, 0xf6a50);

    reset_phys();
    put_rsdp(0xe0000, 2, RSDT_PA, XSDT_PA);
    CHECK_EQ(acpi_find_rsdp(test_map, EBDA, &r), 0);
    CHECK_EQ(r, 0xe0000);
}

TEST(rsdp_in_the_ebda_wins_over_the_bios_area)
{
    paddr_t r = 0;

    reset_phys();
    put_rsdp(0xf0000, 0, RSDT_PA, 0);
    put_rsdp(EBDA + 0x130, 2, RSDT_PA, XSDT_PA);
    CHECK_EQ(acpi_find_rsdp(test_map, EBDA, &r), 0);
    CHECK_EQ(r, EBDA + 0x130);

    /* ebda == 0: the EBDA is not searched. */
    CHECK_EQ(acpi_find_rsdp(test_map, 0, &r), 0);
    CHECK_EQ(r, 0xf0000);
}

TEST(only_the_first_kib_of_the_ebda_is_searched)
{
    paddr_t r = 0;

    reset_phys();
    put_rsdp(EBDA + 1024, 0, RSDT_PA, 0);
    CHECK_EQ(acpi_find_rsdp(test_map, EBDA, &r), -ENOENT);

    reset_phys();
    put_rsdp(EBDA + 1024 - 32, 0, RSDT_PA, 0);
    CHECK_EQ(acpi_find_rsdp(test_map, EBDA, &r), 0);
    CHECK_EQ(r, EBDA + 1024 - 32);
}

TEST(rsdp_off_a_16_byte_boundary_is_not_found)
{
    paddr_t r = 0;

    reset_phys();
    put_rsdp(0xf0008, 0, RSDT_PA, 0);
    CHECK_EQ(acpi_find_rsdp(test_map, 0, &r), -ENOENT);
    put_rsdp(EBDA + 4, 0, RSDT_PA, 0);
    CHECK_EQ(acpi_find_rsdp(test_map, EBDA, &r), -ENOENT);

    put_rsdp(0xf0020, 0, RSDT_PA, 0);
    CHECK_EQ(acpi_find_rsdp(test_map, EBDA, &r), 0);
    CHECK_EQ(r, 0xf0020);
}

TEST(rsdp_with_a_bad_checksum_is_skipped)
{
    paddr_t r = 0;

    reset_phys();
    put_rsdp(0xe0000, 0, RSDT_PA, 0);
    phys[0xe0000 + 9]++;                        /* oem_id: checksum off */
    CHECK_EQ(acpi_find_rsdp(test_map, 0, &r), -ENOENT);

    put_rsdp(0xe0040, 0, RSDT_PA, 0);
    CHECK_EQ(acpi_find_rsdp(test_map, 0, &r), 0);
    CHECK_EQ(r, 0xe0040);
}

TEST(rsdp_with_a_bad_extended_checksum_is_skipped)
{
    paddr_t r = 0;

    reset_phys();
    put_rsdp(0xe0000, 2, RSDT_PA, XSDT_PA);
    phys[0xe0000 + 24]++;                       /* xsdt_address */
    CHECK_EQ(acpi_checksum(phys + 0xe0000, 20), 0);
    CHECK_EQ(acpi_find_rsdp(test_map, 0, &r), -ENOENT);

    /* A v2 RSDP claiming a huge length is not believed either. */
    put_rsdp(0xe0100, 2, RSDT_PA, XSDT_PA);
    ((struct acpi_rsdp *)(phys + 0xe0100))->length = 0xffffff00;
    fix_checksum(phys + 0xe0100, 36,
                 &((struct acpi_rsdp *)(phys + 0xe0100))->extended_checksum);
    CHECK_EQ(acpi_find_rsdp(test_map, 0, &r), -ENOENT);
}

TEST(rsdp_must_fit_inside_the_bios_area)
{
    paddr_t r = 0;

    reset_phys();
    put_rsdp(0xfffe0, 0, RSDT_PA, 0);           /* ends at 0xffff4 */
    CHECK_EQ(acpi_find_rsdp(test_map, 0, &r), 0);
    CHECK_EQ(r, 0xfffe0);

    reset_phys();
    put_rsdp(0xffff0, 0, RSDT_PA, 0);           /* runs past 1 MiB */
    CHECK_EQ(acpi_find_rsdp(test_map, 0, &r), -ENOENT);
}

TEST(unmappable_ebda_still_searches_the_bios_area)
{
    paddr_t r = 0;

    reset_phys();
    put_rsdp(0xf0000, 0, RSDT_PA, 0);
    map_fail_pa = EBDA + 8;
    CHECK_EQ(acpi_find_rsdp(test_map, EBDA, &r), 0);
    CHECK_EQ(r, 0xf0000);

    map_fail_pa = 0xf0000;
    CHECK_EQ(acpi_find_rsdp(test_map, EBDA, &r), -ENOENT);
}

TEST(v1_rsdt_system_is_parsed_completely)
{
    standard_system_v1();
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), 0);

    CHECK_EQ(info.rsdp, RSDP_PA);
    CHECK(info.have_madt);
    CHECK_EQ(info.lapic_address, 0xfee00000);
    CHECK(info.pic_present);
    REQUIRE_EQ(info.nr_cpus, 2);
    CHECK_EQ(info.nr_cpus_ignored, 0);
    CHECK_EQ(info.cpus[0].apic_id, 0);
    CHECK_EQ(info.cpus[0].acpi_id, 0);
    CHECK_EQ(info.cpus[1].apic_id, 2);
    CHECK_EQ(info.cpus[1].acpi_id, 1);
    REQUIRE_EQ(info.nr_ioapics, 1);
    CHECK_EQ(info.ioapics[0].id, 8);
    CHECK_EQ(info.ioapics[0].address, 0xfec00000);
    CHECK_EQ(info.ioapics[0].gsi_base, 0);
    REQUIRE_EQ(info.nr_overrides, 2);
    CHECK_EQ(info.overrides[0].source_irq, 0);
    CHECK_EQ(info.overrides[0].gsi, 2);
    CHECK_EQ(info.overrides[1].source_irq, 9);
    CHECK_EQ(info.overrides[1].gsi, 9);
    CHECK_EQ(info.overrides[1].flags, 0xd);

    CHECK(info.have_fadt);
    CHECK_EQ(info.pm_tmr_port, 0x608);
    CHECK(info.pm_tmr_32bit);
    CHECK(info.have_reset_reg);
    CHECK_EQ(info.reset_reg.space_id, ACPI_GAS_IO);
    CHECK_EQ(info.reset_reg.address, 0xcf9);
    CHECK_EQ(info.reset_value, 6);
    CHECK(!stub_log_contains("<1>"));
}

TEST(v2_rsdp_prefers_the_xsdt)
{
    u32 re[] = { MADT_PA };
    u64 xe[] = { MADT2_PA, FADT_PA };
    struct tb t;

    reset_phys();
    put_rsdp(RSDP_PA, 2, RSDT_PA, XSDT_PA);
    put_rsdt(RSDT_PA, re, 1);
    put_xsdt(XSDT_PA, xe, 2);
    standard_madt(MADT_PA);
    standard_fadt(FADT_PA);
    madt_init(&t, 0xfee00000, 0);
    madt_x2apic(&t, 7, 0x1234, ACPI_MADT_ENABLED);
    tb_place(&t, MADT2_PA);

    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), 0);
    REQUIRE_EQ(info.nr_cpus, 1);
    CHECK_EQ(info.cpus[0].apic_id, 0x1234);
    CHECK_EQ(info.cpus[0].acpi_id, 7);
    CHECK(!info.pic_present);
    CHECK(info.have_fadt);          /* only the XSDT lists the FADT */
}

static void v2_system_with_distinct_tables(void)
{
    u32 re[] = { MADT_PA };
    u64 xe[] = { MADT2_PA };
    struct tb t;

    reset_phys();
    put_rsdp(RSDP_PA, 2, RSDT_PA, XSDT_PA);
    put_rsdt(RSDT_PA, re, 1);
    put_xsdt(XSDT_PA, xe, 1);
    standard_madt(MADT_PA);
    madt_init(&t, 0xfee00000, 0);
    madt_x2apic(&t, 7, 0x1234, ACPI_MADT_ENABLED);
    tb_place(&t, MADT2_PA);
    stub_log_clear();
}

TEST(bad_xsdt_falls_back_to_the_rsdt)
{
    v2_system_with_distinct_tables();
    phys[XSDT_PA + 40]++;                       /* entry: checksum off */
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), 0);
    CHECK_EQ(info.nr_cpus, 2);                  /* the RSDT's MADT */
    CHECK(stub_log_contains("XSDT"));
    CHECK(stub_log_contains("bad checksum"));

    v2_system_with_distinct_tables();
    map_fail_pa = XSDT_PA;
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), 0);
    CHECK_EQ(info.nr_cpus, 2);

    v2_system_with_distinct_tables();
    memcpy(phys + XSDT_PA, "XSDU", 4);
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), 0);
    CHECK_EQ(info.nr_cpus, 2);
}

TEST(v1_rsdp_ignores_the_xsdt_fields)
{
    v2_system_with_distinct_tables();
    put_rsdp(RSDP_PA, 0, RSDT_PA, 0);
    /* Junk where a v2 RSDP would keep its XSDT address. */
    memset(phys + RSDP_PA + 20, 0xff, 16);
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), 0);
    CHECK_EQ(info.nr_cpus, 2);
}

TEST(unusable_rsdp_is_einval)
{
    standard_system_v1();
    phys[RSDP_PA + 9]++;
    stub_log_clear();
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), -EINVAL);
    CHECK(stub_log_contains("<1>ACPI: RSDP"));
    CHECK(stub_log_contains("bad checksum"));
    CHECK_EQ(info.rsdp, RSDP_PA);
    CHECK(!info.have_madt);

    v2_system_with_distinct_tables();
    phys[RSDP_PA + 33]++;                       /* reserved byte */
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), -EINVAL);
    CHECK(stub_log_contains("bad extended checksum"));

    standard_system_v1();
    CHECK_EQ(acpi_parse(test_map, RSDP_PA + 16, &info), -EINVAL);
    CHECK_EQ(acpi_parse(test_map, PHYS_SIZE - 4, &info), -EINVAL);
    CHECK_EQ(acpi_parse(test_map, ~0ULL, &info), -EINVAL);
}

TEST(unusable_root_tables_are_einval)
{
    standard_system_v1();
    phys[RSDT_PA + 36]++;
    stub_log_clear();
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), -EINVAL);
    CHECK(stub_log_contains("RSDT"));
    CHECK(stub_log_contains("no usable RSDT or XSDT"));

    v2_system_with_distinct_tables();
    phys[RSDT_PA + 36]++;
    phys[XSDT_PA + 36]++;
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), -EINVAL);

    standard_system_v1();
    put_rsdp(RSDP_PA, 0, 0, 0);                 /* no RSDT at all */
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), -EINVAL);

    /* A root table claiming a huge length is not mapped whole. */
    standard_system_v1();
    ((struct acpi_table_header *)(phys + RSDT_PA))->length = 0xfffffff0;
    map_calls = 0;
    stub_log_clear();
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), -EINVAL);
    CHECK(map_calls < 10);
    CHECK(stub_log_contains("implausible length"));
}

TEST(madt_with_a_bad_checksum_is_skipped_with_a_warning)
{
    standard_system_v1();
    phys[MADT_PA + 50]++;
    stub_log_clear();
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), -ENOENT);
    CHECK(!info.have_madt);
    CHECK_EQ(info.nr_cpus, 0);
    CHECK(stub_log_contains("<1>ACPI: APIC table"));
    CHECK(stub_log_contains("bad checksum"));
    CHECK(info.have_fadt);          /* the other tables still count */
    CHECK(stub_log_contains("no usable MADT"));
}

TEST(truncated_table_beyond_mappable_memory_is_skipped)
{
    struct tb t;
    u32 e[] = { PHYS_SIZE - 64, FADT_PA };

    standard_system_v1();
    put_rsdt(RSDT_PA, e, 2);
    madt_init(&t, 0xfee00000, 0);
    madt_lapic(&t, 0, 0, ACPI_MADT_ENABLED);
    madt_lapic(&t, 1, 1, ACPI_MADT_ENABLED);
    madt_lapic(&t, 2, 2, ACPI_MADT_ENABLED);
    /* 68 bytes built, the last 4 would fall off the end of memory. */
    REQUIRE_EQ(t.len, 68);
    t.len = 64;
    tb_place_len(&t, PHYS_SIZE - 64, 68);
    stub_log_clear();
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), -ENOENT);
    CHECK(stub_log_contains("cannot be mapped whole"));
    CHECK(info.have_fadt);
}

TEST(tables_shorter_than_their_header_or_fields_are_skipped)
{
    static const u32 lens[] = { 0, 1, 20, 35 };
    struct tb t;
    unsigned int i;

    for ( i = 0; i < ARRAY_SIZE(lens); i++ )
    {
        standard_system_v1();
        ((struct acpi_table_header *)(phys + MADT_PA))->length = lens[i];
        stub_log_clear();
        CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), -ENOENT);
        CHECK(stub_log_contains("shorter than its header"));
    }

    /* A header but not the MADT's own two fields. */
    tb_init(&t, "APIC");
    tb_put(&t, (u8[4]){ 0 }, 4);
    CHECK_EQ(parse_with_madt(&t, &info), -ENOENT);
    CHECK(stub_log_contains("shorter than its fixed fields"));

    /* A FADT without the fields up to 'flags' (ACPI 1.0 is 116 bytes). */
    standard_system_v1();
    fadt_build(&t, 0x608, 4, 0);
    t.len = 115;
    memset(phys + FADT_PA, 0, 0x1000);
    tb_place(&t, FADT_PA);
    stub_log_clear();
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), 0);
    CHECK(!info.have_fadt);
    CHECK_EQ(info.pm_tmr_port, 0);
    CHECK(stub_log_contains("FACP"));
}

TEST(madt_entry_of_length_zero_ends_the_walk)
{
    struct tb t;

    madt_init(&t, 0xfee00000, 0);
    madt_lapic(&t, 0, 0, ACPI_MADT_ENABLED);
    madt_raw(&t, ACPI_MADT_LAPIC, 0, 8);
    madt_lapic(&t, 1, 1, ACPI_MADT_ENABLED);
    CHECK_EQ(parse_with_madt(&t, &info), 0);
    CHECK_EQ(info.nr_cpus, 1);
    CHECK(stub_log_contains("bad length 0"));

    madt_init(&t, 0xfee00000, 0);
    madt_raw(&t, 0x7f, 1, 8);
    madt_lapic(&t, 1, 1, ACPI_MADT_ENABLED);
    CHECK_EQ(parse_with_madt(&t, &info), 0);
    CHECK_EQ(info.nr_cpus, 0);
}

TEST(madt_entry_running_past_the_table_ends_the_walk)
{
    struct tb t;

    /* The last entry claims 16 bytes; the table holds 8 of them. */
    madt_init(&t, 0xfee00000, 0);
    madt_lapic(&t, 0, 0, ACPI_MADT_ENABLED);
    madt_raw(&t, ACPI_MADT_X2APIC, 16, 8);
    CHECK_EQ(parse_with_madt(&t, &info), 0);
    CHECK_EQ(info.nr_cpus, 1);
    CHECK(stub_log_contains("bad length 16"));

    /* Only one byte of a subtable header is left. */
    madt_init(&t, 0xfee00000, 0);
    madt_lapic(&t, 0, 0, ACPI_MADT_ENABLED);
    madt_raw(&t, ACPI_MADT_LAPIC, 8, 1);
    CHECK_EQ(parse_with_madt(&t, &info), 0);
    CHECK_EQ(info.nr_cpus, 1);
    CHECK(stub_log_contains("truncated"));
}

TEST(madt_entry_shorter_than_its_type_needs_ends_the_walk)
{
    struct tb t;

    madt_init(&t, 0xfee00000, 0);
    madt_lapic(&t, 0, 0, ACPI_MADT_ENABLED);
    madt_raw(&t, ACPI_MADT_IOAPIC, 8, 8);        /* needs 12 */
    madt_ioapic(&t, 1, 0xfec00000, 0);
    CHECK_EQ(parse_with_madt(&t, &info), 0);
    CHECK_EQ(info.nr_cpus, 1);
    CHECK_EQ(info.nr_ioapics, 0);
    CHECK(stub_log_contains("too short"));

    madt_init(&t, 0xfee00000, 0);
    madt_raw(&t, ACPI_MADT_X2APIC, 12, 12);      /* needs 16 */
    CHECK_EQ(parse_with_madt(&t, &info), 0);
    CHECK_EQ(info.nr_cpus, 0);
}

TEST(unknown_and_longer_madt_entries_are_stepped_over)
{
    struct tb t;
    u8 big_lapic[12] = { ACPI_MADT_LAPIC, 12, 3, 9, 1, 0, 0, 0 };

    madt_init(&t, 0xfee00000, 0);
    madt_raw(&t, 0x7f, 5, 5);
    madt_raw(&t, ACPI_MADT_LAPIC_NMI, 6, 6);
    tb_put(&t, big_lapic, sizeof(big_lapic));
    madt_lapic(&t, 1, 1, ACPI_MADT_ENABLED);
    CHECK_EQ(parse_with_madt(&t, &info), 0);
    REQUIRE_EQ(info.nr_cpus, 2);
    CHECK_EQ(info.cpus[0].apic_id, 9);
    CHECK_EQ(info.cpus[0].acpi_id, 3);
    CHECK_EQ(info.cpus[1].apic_id, 1);
    CHECK(!stub_log_contains("<1>"));
}

TEST(disabled_cpus_are_left_out_and_online_capable_ones_counted)
{
    struct tb t;

    madt_init(&t, 0xfee00000, 0);
    madt_lapic(&t, 0, 0, ACPI_MADT_ENABLED);
    madt_lapic(&t, 1, 1, 0);
    madt_lapic(&t, 2, 2, ACPI_MADT_ONLINE_CAPABLE);
    madt_lapic(&t, 3, 3, 0xfffffffc);          /* other bits only */
    madt_lapic(&t, 4, 0xff, ACPI_MADT_ENABLED); /* placeholder ID */
    madt_x2apic(&t, 5, 0x100, 0);
    madt_x2apic(&t, 6, 0x101, ACPI_MADT_ONLINE_CAPABLE);
    madt_x2apic(&t, 7, 0xffffffff, ACPI_MADT_ENABLED);
    CHECK_EQ(parse_with_madt(&t, &info), 0);
    REQUIRE_EQ(info.nr_cpus, 3);
    CHECK_EQ(info.cpus[0].apic_id, 0);
    CHECK_EQ(info.cpus[1].apic_id, 2);
    CHECK_EQ(info.cpus[2].apic_id, 0x101);
    CHECK_EQ(info.cpus[2].acpi_id, 6);
}

TEST(cpus_are_deduplicated_by_apic_id_keeping_the_listed_order)
{
    struct tb t;

    madt_init(&t, 0xfee00000, 0);
    madt_lapic(&t, 0, 5, ACPI_MADT_ENABLED);    /* the BSP comes first */
    madt_lapic(&t, 1, 0, ACPI_MADT_ENABLED);
    madt_x2apic(&t, 0, 5, ACPI_MADT_ENABLED);   /* same CPU as x2APIC */
    madt_lapic(&t, 2, 0, ACPI_MADT_ENABLED);
    madt_x2apic(&t, 3, 300, ACPI_MADT_ENABLED);
    CHECK_EQ(parse_with_madt(&t, &info), 0);
    REQUIRE_EQ(info.nr_cpus, 3);
    CHECK_EQ(info.cpus[0].apic_id, 5);
    CHECK_EQ(info.cpus[0].acpi_id, 0);
    CHECK_EQ(info.cpus[1].apic_id, 0);
    CHECK_EQ(info.cpus[1].acpi_id, 1);
    CHECK_EQ(info.cpus[2].apic_id, 300);
}

TEST(cpus_beyond_acpi_max_cpus_are_counted_as_ignored)
{
    struct tb t;
    unsigned int i;

    madt_init(&t, 0xfee00000, 0);
    for ( i = 0; i < ACPI_MAX_CPUS + 6; i++ )
        madt_x2apic(&t, i, 1000 + i, ACPI_MADT_ENABLED);
    CHECK_EQ(parse_with_madt(&t, &info), 0);
    CHECK_EQ(info.nr_cpus, ACPI_MAX_CPUS);
    CHECK_EQ(info.nr_cpus_ignored, 6);
    for ( i = 0; i < ACPI_MAX_CPUS; i++ )
        CHECK_EQ(info.cpus[i].apic_id, 1000 + i);
    CHECK(stub_log_contains("6 CPUs beyond the limit"));
}

TEST(ioapics_and_overrides_beyond_their_limits_are_dropped)
{
    struct tb t;
    unsigned int i;

    madt_init(&t, 0xfee00000, 0);
    madt_lapic(&t, 0, 0, ACPI_MADT_ENABLED);
    for ( i = 0; i < ACPI_MAX_IOAPICS + 2; i++ )
        madt_ioapic(&t, i, 0xfec00000 + i * 0x1000, i * 24);
    for ( i = 0; i < ACPI_MAX_OVERRIDES + 3; i++ )
        madt_iso(&t, i, 100 + i, 0);
    CHECK_EQ(parse_with_madt(&t, &info), 0);
    CHECK_EQ(info.nr_ioapics, ACPI_MAX_IOAPICS);
    CHECK_EQ(info.ioapics[ACPI_MAX_IOAPICS - 1].gsi_base,
             (ACPI_MAX_IOAPICS - 1) * 24);
    CHECK_EQ(info.nr_overrides, ACPI_MAX_OVERRIDES);
    CHECK_EQ(info.overrides[ACPI_MAX_OVERRIDES - 1].gsi,
             100 + ACPI_MAX_OVERRIDES - 1);
    CHECK_EQ(stub_log_count("IOAPIC"), 2);
    CHECK_EQ(stub_log_count("override of IRQ"), 3);
}

TEST(lapic_address_override_replaces_the_32_bit_address)
{
    struct tb t;

    madt_init(&t, 0xfee00000, 0);
    madt_lapic(&t, 0, 0, ACPI_MADT_ENABLED);
    madt_lapic_override(&t, 0x123456789000ULL);
    CHECK_EQ(parse_with_madt(&t, &info), 0);
    CHECK_EQ(info.lapic_address, 0x123456789000ULL);
}

TEST(a_second_madt_is_ignored)
{
    u32 e[] = { MADT_PA, MADT2_PA };
    struct tb t;

    standard_system_v1();
    put_rsdt(RSDT_PA, e, 2);
    madt_init(&t, 0xfee00000, 0);
    madt_x2apic(&t, 7, 0x1234, ACPI_MADT_ENABLED);
    tb_place(&t, MADT2_PA);
    stub_log_clear();
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), 0);
    CHECK_EQ(info.nr_cpus, 2);
    CHECK(stub_log_contains("second MADT"));
}

static int parse_with_fadt(struct tb *t, u32 len)
{
    standard_system_v1();
    memset(phys + FADT_PA, 0, 0x1000);
    tb_place_len(t, FADT_PA, len);
    stub_log_clear();
    return acpi_parse(test_map, RSDP_PA, &info);
}

TEST(pm_timer_needs_a_block_and_a_length_of_4)
{
    struct tb t;

    fadt_build(&t, 0x608, 4, 0);
    CHECK_EQ(parse_with_fadt(&t, 0), 0);
    CHECK_EQ(info.pm_tmr_port, 0x608);
    CHECK(!info.pm_tmr_32bit);              /* no TMR_VAL_EXT: 24 bits */

    fadt_build(&t, 0x608, 2, ACPI_FADT_TMR_VAL_EXT);
    CHECK_EQ(parse_with_fadt(&t, 0), 0);
    CHECK(info.have_fadt);
    CHECK_EQ(info.pm_tmr_port, 0);
    CHECK(!info.pm_tmr_32bit);

    fadt_build(&t, 0, 4, ACPI_FADT_TMR_VAL_EXT);
    CHECK_EQ(parse_with_fadt(&t, 0), 0);
    CHECK_EQ(info.pm_tmr_port, 0);
}

TEST(reset_register_needs_length_129_and_the_flag)
{
    struct tb t;

    fadt_build(&t, 0x608, 4, ACPI_FADT_RESET_REG_SUP);
    t.len = 129;
    CHECK_EQ(parse_with_fadt(&t, 0), 0);
    CHECK(info.have_reset_reg);
    CHECK_EQ(info.reset_reg.address, 0xcf9);
    CHECK_EQ(info.reset_value, 6);

    fadt_build(&t, 0x608, 4, ACPI_FADT_RESET_REG_SUP);
    t.len = 128;
    CHECK_EQ(parse_with_fadt(&t, 0), 0);
    CHECK(info.have_fadt);
    CHECK(!info.have_reset_reg);

    fadt_build(&t, 0x608, 4, 0);
    CHECK_EQ(parse_with_fadt(&t, 0), 0);
    CHECK(!info.have_reset_reg);

    /* ACPI 1.0 FADT: PM timer yes, reset register no. */
    fadt_build(&t, 0x608, 4, ACPI_FADT_RESET_REG_SUP);
    t.len = 116;
    CHECK_EQ(parse_with_fadt(&t, 0), 0);
    CHECK_EQ(info.pm_tmr_port, 0x608);
    CHECK(!info.have_reset_reg);
}

TEST(unmappable_listed_tables_are_skipped)
{
    u32 e[] = { PHYS_SIZE + 0x1000, 0, MADT_PA, FADT_PA };

    standard_system_v1();
    put_rsdt(RSDT_PA, e, ARRAY_SIZE(e));
    map_fail_pa = FADT_PA + 100;            /* header maps, body does not */
    stub_log_clear();
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), 0);
    CHECK_EQ(info.nr_cpus, 2);
    CHECK(!info.have_fadt);
    CHECK(stub_log_contains("cannot be mapped"));
    CHECK(stub_log_contains("FACP"));
}

TEST(no_madt_at_all_is_enoent_with_the_rest_filled)
{
    u32 e[] = { FADT_PA };

    standard_system_v1();
    put_rsdt(RSDT_PA, e, 1);
    CHECK_EQ(acpi_parse(test_map, RSDP_PA, &info), -ENOENT);
    CHECK(!info.have_madt);
    CHECK(info.have_fadt);
    CHECK_EQ(info.pm_tmr_port, 0x608);
}

TEST(random_corruption_never_overreads)
{
    unsigned int round, i;

    /* ASan is the judge: flip bytes anywhere in the tables and parse. */
    for ( round = 0; round < 300; round++ )
    {
        standard_system_v1();
        for ( i = 0; i < 1 + test_rand() % 4; i++ )
        {
            static const paddr_t base[] = { RSDT_PA, MADT_PA, FADT_PA };
            paddr_t pa = base[test_rand() % 3] + test_rand() % 140;

            phys[pa] = test_rand();
        }
        /* Half the time, make the checksums right again. */
        if ( round & 1 )
        {
            static const paddr_t base[] = { RSDT_PA, MADT_PA, FADT_PA };

            for ( i = 0; i < 3; i++ )
            {
                struct acpi_table_header *h = (void *)(phys + base[i]);

                if ( h->length >= sizeof(*h) && h->length <= 0x1000 )
                    fix_checksum(phys + base[i], h->length, &h->checksum);
            }
        }
        acpi_parse(test_map, RSDP_PA, &info);
        CHECK(info.nr_cpus <= ACPI_MAX_CPUS);
        CHECK(info.nr_ioapics <= ACPI_MAX_IOAPICS);
        CHECK(info.nr_overrides <= ACPI_MAX_OVERRIDES);
        if ( harness_failures() )
            return;
    }
}

/*
 * Tests for the HVM domain builder (builder.c) and the guest ACPI tables
 * (acpi_build.c).
 *
 * Guest RAM is the bounds-checked array of platform/doubles.c: every
 * write outside populated RAM is refused and counted, and every test
 * checks that none was attempted.  Kernel images are built here from
 * byte arrays (ELF header, program headers, Multiboot header) in buffers
 * malloc'd to their exact size, so ASan catches a read past the image.
 * The ACPI tables are parsed back with the hypervisor's own parser
 * (xen/arch/x86/acpi/tables.c) through a map function that hands out
 * exact-size heap copies of guest RAM.
 */
#include <stdlib.h>

#include <xen/lib.h>
#include <xen/acpi.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/sched.h>
#include <asm/hvm/builder.h>

#include "harness.h"
#include "stubs.h"
#include "doubles.h"

#define MiB             (1ULL << 20)
#define MB_MAGIC        0x1badb002u

static struct domain dom;

/* --- reading guest RAM --- */

static u32 rd32(u64 gpa)
{
    u32 v;

    REQUIRE(gpa + 4 <= fake_ram_capacity());
    memcpy(&v, fake_ram() + gpa, 4);
    return v;
}

static u64 rd64(u64 gpa)
{
    u64 v;

    REQUIRE(gpa + 8 <= fake_ram_capacity());
    memcpy(&v, fake_ram() + gpa, 8);
    return v;
}

static const char *rdstr(u64 gpa)
{
    REQUIRE(gpa < fake_ram_capacity());
    REQUIRE(memchr(fake_ram() + gpa, 0, fake_ram_capacity() - gpa));
    return (const char *)fake_ram() + gpa;
}

static bool ram_is(u64 gpa, u8 byte, u64 len)
{
    for ( u64 i = 0; i < len; i++ )
        if ( fake_ram()[gpa + i] != byte )
            return false;
    return true;
}

/* --- ACPI mapping over guest RAM --- */

struct mapping
{
    struct mapping *next;
    u8 data[];
};

static struct mapping *mappings;

static const void *ram_map(paddr_t pa, size_t len)
{
    struct mapping *m;

    if ( !len || pa >= fake_ram_capacity() ||
         len > fake_ram_capacity() - pa )
        return NULL;
    m = malloc(sizeof(*m) + len);
    REQUIRE(m);
    memcpy(m->data, fake_ram() + pa, len);
    m->next = mappings;
    mappings = m;
    return m->data;
}

static void unmap_all(void)
{
    while ( mappings )
    {
        struct mapping *m = mappings;

        mappings = m->next;
        free(m);
    }
}

static void setup(u64 ram)
{
    unmap_all();
    stub_reset();
    fake_reset_all();
    fake_ram_reset(ram);
    memset(&dom, 0, sizeof(dom));
    dom.domain_id = 3;
    dom.is_hvm = true;
}

/* --- ACPI tables --- */

/* Populated 2 MiB of RAM with the tables for n vCPUs. */
static int acpi_for(unsigned int n)
{
    setup(2 * MiB);
    REQUIRE_EQ(p2m_populate(&dom, 0, (2 * MiB) >> 12), 0);
    return hvm_build_acpi(&dom, n);
}

static void check_table(u64 gpa, const char *sig, u32 min_len)
{
    u32 len = rd32(gpa + 4);

    CHECK(!memcmp(fake_ram() + gpa, sig, 4));
    CHECK(len >= min_len);
    REQUIRE(gpa + len <= fake_ram_capacity());
    CHECK_EQ(acpi_checksum(fake_ram() + gpa, len), 0);
    /* Every table lives in the BIOS area. */
    CHECK(gpa >= GUEST_BIOS_START && gpa + len <= GUEST_HIGH_RAM);
}

/* A byte register in system I/O space at 'port'. */
static void check_io_gas(u64 gpa, u16 port)
{
    const u8 *g = fake_ram() + gpa;

    CHECK_EQ(g[0], ACPI_GAS_IO);
    CHECK_EQ(g[1], 8);                  /* bit width */
    CHECK_EQ(g[2], 0);                  /* bit offset */
    CHECK_EQ(g[3], 1);                  /* byte access */
    CHECK_EQ(rd64(gpa + 4), port);
}

/* 'what' (len bytes) occurs in the table at gpa, of length tlen. */
static bool table_has(u64 gpa, u32 tlen, const void *what, size_t len)
{
    u32 i;

    for ( i = 0; i + len <= tlen; i++ )
        if ( !memcmp(fake_ram() + gpa + i, what, len) )
            return true;
    return false;
}

/*
 * The DSDT is the AML iasl compiled from dsdt.asl, whole, with a valid
 * header, and holds COM1, \_S5 and the power button behind its Generic
 * Event Device as the ASL says, on the port, bit and GSI that acpi_pm.c
 * models (asm/hvm/io.h).
 */
static void check_dsdt(u64 dsdt)
{
    /* NameOp "_S5_" PackageOp, then SLP_TYPa and SLP_TYPb as BytePrefix 5. */
    static const u8 s5[] = { 0x08, '_', 'S', '5', '_', 0x12 };
    static const u8 s5_types[] = { 0x0a, 0x05, 0x0a, 0x05 };
    /* EISAID("PNP0501") as a DWordPrefix constant. */
    static const u8 pnp0501[] = { 0x0c, 0x41, 0xd0, 0x05, 0x01 };
    /* IO (Decode16, 0x3f8, 0x3f8, 1, 8), IRQNoFlags () {4}, EndTag. */
    static const u8 crs[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01,
                              0x08, 0x22, 0x10, 0x00, 0x79 };
    /* EISAID("PNP0C0C"), the control-method power button. */
    static const u8 pnp0c0c[] = { 0x0c, 0x41, 0xd0, 0x0c, 0x0c };
    /* _HID "ACPI0013" (the GED) as a StringPrefix string. */
    static const u8 acpi0013[] = { 0x0d, 'A', 'C', 'P', 'I', '0', '0', '1',
                                   '3', 0x00 };
    /*
     * _CRS of the GED: Interrupt (ResourceConsumer, Level, ActiveHigh,
     * Exclusive) {ACPI_GED_GSI}: an Extended Interrupt Descriptor
     * (0x89, length 6, flags 0x01 = consumer with the rest zero: level,
     * active high, exclusive), one interrupt, then the EndTag.
     */
    static const u8 ged_crs[] = { 0x89, 0x06, 0x00, 0x01, 0x01,
                                  ACPI_GED_GSI, 0x00, 0x00, 0x00, 0x79 };
    /* OperationRegion (EREG, SystemIO, ACPI_GED_STATUS_PORT, 1). */
    static const u8 ereg[] = { 0x5b, 0x80, 'E', 'R', 'E', 'G', 0x01, 0x0b,
                               ACPI_GED_STATUS_PORT & 0xff,
                               ACPI_GED_STATUS_PORT >> 8, 0x01 };
    /* Method (_EVT, 1, Serialized): flags 0x09. */
    static const u8 evt[] = { '_', 'E', 'V', 'T', 0x09 };
    /* Notify (PWRB, 0x80) and the bit _EVT tests (And Local0 0x01). */
    static const u8 notify[] = { 0x86, 'P', 'W', 'R', 'B', 0x0a, 0x80 };
    static const u8 pwrbtn_bit[] = { 0x7b, 0x60, ACPI_GED_PWRBTN_STS };
    u32 len = rd32(dsdt + 4);

    BUILD_BUG_ON(ACPI_GED_GSI >= VIOAPIC_PINS);
    BUILD_BUG_ON(ACPI_GED_PWRBTN_STS > 0x3f);   /* a ByteConst's Data */
    check_table(dsdt, "DSDT", 36);
    CHECK_EQ(len, dsdt_aml_len);
    CHECK(!memcmp(fake_ram() + dsdt, dsdt_aml, dsdt_aml_len));
    CHECK_EQ(fake_ram()[dsdt + 8], 2);  /* 64-bit AML integers */
    CHECK(!memcmp(fake_ram() + dsdt + 10, "XENLITXENLITE ", 14));
    CHECK(table_has(dsdt, len, s5, sizeof(s5)));
    CHECK(table_has(dsdt, len, s5_types, sizeof(s5_types)));
    CHECK(table_has(dsdt, len, "_SB_", 4));
    CHECK(table_has(dsdt, len, "COM1", 4));
    CHECK(table_has(dsdt, len, "_HID", 4));
    CHECK(table_has(dsdt, len, pnp0501, sizeof(pnp0501)));
    CHECK(table_has(dsdt, len, "_UID", 4));
    CHECK(table_has(dsdt, len, "_STA", 4));
    CHECK(table_has(dsdt, len, "_CRS", 4));
    CHECK(table_has(dsdt, len, crs, sizeof(crs)));
    CHECK(table_has(dsdt, len, "PWRB", 4));
    CHECK(table_has(dsdt, len, pnp0c0c, sizeof(pnp0c0c)));
    CHECK(table_has(dsdt, len, "GED0", 4));
    CHECK(table_has(dsdt, len, acpi0013, sizeof(acpi0013)));
    CHECK(table_has(dsdt, len, ged_crs, sizeof(ged_crs)));
    CHECK(table_has(dsdt, len, ereg, sizeof(ereg)));
    CHECK(table_has(dsdt, len, evt, sizeof(evt)));
    CHECK(table_has(dsdt, len, notify, sizeof(notify)));
    CHECK(table_has(dsdt, len, pwrbtn_bit, sizeof(pwrbtn_bit)));
    /* It fits below the MADT, which follows it. */
    CHECK(dsdt + len <= GUEST_BIOS_START + 0x400);
}

static void check_acpi(unsigned int n)
{
    struct acpi_info *info = calloc(1, sizeof(*info));
    paddr_t rsdp = 0;
    u64 xsdt, madt = 0, fadt = 0, dsdt, off;
    u32 rsdt, len, i;
    unsigned int lapics = 0, ioapics = 0, isos = 0, nmis = 0;

    REQUIRE(info);
    REQUIRE_EQ(acpi_find_rsdp(ram_map, 0, &rsdp), 0);
    CHECK_EQ(rsdp, GUEST_BIOS_START);
    CHECK_EQ(rsdp % 16, 0);
    REQUIRE_EQ(acpi_parse(ram_map, rsdp, info), 0);

    CHECK_EQ(info->nr_cpus, min(n, (unsigned int)ACPI_MAX_CPUS));
    CHECK_EQ(info->nr_cpus_ignored, n > ACPI_MAX_CPUS ? n - ACPI_MAX_CPUS
                                                      : 0);
    for ( i = 0; i < info->nr_cpus; i++ )
    {
        CHECK_EQ(info->cpus[i].apic_id, i);
        CHECK_EQ(info->cpus[i].acpi_id, i);
    }
    CHECK_EQ(info->lapic_address, 0xfee00000);
    CHECK(info->pic_present);
    REQUIRE_EQ(info->nr_ioapics, 1);
    CHECK_EQ(info->ioapics[0].id, 0);
    CHECK_EQ(info->ioapics[0].address, 0xfec00000);
    CHECK_EQ(info->ioapics[0].gsi_base, 0);
    REQUIRE_EQ(info->nr_overrides, 1);
    CHECK_EQ(info->overrides[0].source_irq, 0);
    CHECK_EQ(info->overrides[0].gsi, 2);
    CHECK_EQ(info->overrides[0].flags, 0x0005);
    CHECK(info->have_fadt);
    CHECK_EQ(info->pm_tmr_port, 0);
    /* The reset register, as the hypervisor's own parser reads it. */
    CHECK(info->have_reset_reg);
    CHECK_EQ(info->reset_reg.space_id, ACPI_GAS_IO);
    CHECK_EQ(info->reset_reg.bit_width, 8);
    CHECK_EQ(info->reset_reg.address, 0x602);
    CHECK_EQ(info->reset_value, 0x01);

    /* The RSDP: revision 2, both checksums. */
    CHECK(!memcmp(fake_ram() + rsdp, "RSD PTR ", 8));
    CHECK_EQ(fake_ram()[rsdp + 15], 2);
    CHECK_EQ(acpi_checksum(fake_ram() + rsdp, 20), 0);
    CHECK_EQ(rd32(rsdp + 20), 36);
    CHECK_EQ(acpi_checksum(fake_ram() + rsdp, 36), 0);
    rsdt = rd32(rsdp + 16);
    xsdt = rd64(rsdp + 24);

    /* XSDT and RSDT list the same tables. */
    check_table(xsdt, "XSDT", 36);
    check_table(rsdt, "RSDT", 36);
    len = rd32(xsdt + 4);
    REQUIRE_EQ((len - 36) % 8, 0);
    CHECK_EQ((rd32(rsdt + 4) - 36) / 4, (len - 36) / 8);
    for ( off = 36; off < len; off += 8 )
    {
        u64 t = rd64(xsdt + off);

        CHECK_EQ(rd32(rsdt + 36 + (off - 36) / 2), t);
        if ( !memcmp(fake_ram() + t, "APIC", 4) )
            madt = t;
        else if ( !memcmp(fake_ram() + t, "FACP", 4) )
            fadt = t;
    }
    REQUIRE(madt && fadt);

    /* FADT: 276 bytes, hardware-reduced, no PM timer, DSDT both ways. */
    check_table(fadt, "FACP", 276);
    CHECK_EQ(rd32(fadt + 4), 276);
    CHECK(rd32(fadt + 112) & (1u << 20));
    CHECK_EQ(rd32(fadt + 76), 0);
    CHECK_EQ(fake_ram()[fadt + 91], 0);
    CHECK_EQ(rd64(fadt + 208 + 4), 0);
    /* Revision 6; flags RESET_REG_SUP and HW_REDUCED_ACPI. */
    CHECK_EQ(fake_ram()[fadt + 8], 6);
    CHECK_EQ(rd32(fadt + 112), 0x00100435);
    /* RESET_REG (116) and RESET_VALUE (128). */
    check_io_gas(fadt + 116, 0x602);
    CHECK_EQ(fake_ram()[fadt + 128], 0x01);
    /* SLEEP_CONTROL_REG (244) and SLEEP_STATUS_REG (256). */
    check_io_gas(fadt + 244, 0x600);
    check_io_gas(fadt + 256, 0x601);
    dsdt = rd32(fadt + 40);
    CHECK_EQ(rd64(fadt + 140), dsdt);
    check_dsdt(dsdt);

    /* MADT: walk it ourselves for the entries the parser skips. */
    check_table(madt, "APIC", 44);
    len = rd32(madt + 4);
    for ( off = 44; off < len; off += fake_ram()[madt + off + 1] )
    {
        const u8 *e = fake_ram() + madt + off;

        REQUIRE(e[1] >= 2);
        switch ( e[0] )
        {
        case ACPI_MADT_LAPIC:
            CHECK_EQ(e[1], 8);
            CHECK_EQ(e[2], lapics);
            CHECK_EQ(e[3], lapics);
            CHECK_EQ(e[4], ACPI_MADT_ENABLED);
            lapics++;
            break;
        case ACPI_MADT_IOAPIC:
            ioapics++;
            break;
        case ACPI_MADT_INT_OVERRIDE:
            isos++;
            break;
        case ACPI_MADT_LAPIC_NMI:
            CHECK_EQ(e[1], 6);
            CHECK_EQ(e[2], 0xff);           /* all processors */
            CHECK_EQ(e[3] | (e[4] << 8), 0x0005);
            CHECK_EQ(e[5], 1);              /* LINT1 */
            nmis++;
            break;
        default:
            CHECK(!"unexpected MADT entry");
        }
    }
    CHECK_EQ(off, len);
    CHECK_EQ(lapics, n);
    CHECK_EQ(ioapics, 1);
    CHECK_EQ(isos, 1);
    CHECK_EQ(nmis, 1);

    CHECK_EQ(fake_ram_bad_accesses(), 0);
    unmap_all();
    free(info);
}

TEST(acpi_tables_1_vcpu)
{
    REQUIRE_EQ(acpi_for(1), 0);
    check_acpi(1);
}

TEST(acpi_tables_4_vcpus)
{
    REQUIRE_EQ(acpi_for(4), 0);
    check_acpi(4);
}

TEST(acpi_tables_64_vcpus)
{
    REQUIRE_EQ(acpi_for(64), 0);
    check_acpi(64);
}

TEST(acpi_tables_255_vcpus_stay_in_bios_area)
{
    REQUIRE_EQ(acpi_for(255), 0);
    check_acpi(255);
    /* Nothing written outside the first 4 KiB of the BIOS area. */
    CHECK(ram_is(0, 0xa5, GUEST_BIOS_START));
    CHECK(ram_is(GUEST_BIOS_START + 0x1000, 0xa5,
                 2 * MiB - GUEST_BIOS_START - 0x1000));
}

TEST(acpi_rsdt_alone_is_enough)
{
    struct acpi_info *info = calloc(1, sizeof(*info));
    paddr_t rsdp;
    u64 xsdt;

    REQUIRE(info);
    REQUIRE_EQ(acpi_for(4), 0);
    REQUIRE_EQ(acpi_find_rsdp(ram_map, 0, &rsdp), 0);
    /* Spoil the XSDT: a parser that falls back must find it all. */
    xsdt = rd64(rsdp + 24);
    fake_ram()[xsdt + 3] = 'X';
    CHECK_EQ(acpi_parse(ram_map, rsdp, info), 0);
    CHECK_EQ(info->nr_cpus, 4);
    CHECK_EQ(info->nr_ioapics, 1);
    CHECK(info->have_fadt);
    unmap_all();
    free(info);
}

TEST(acpi_rejects_bad_vcpu_counts)
{
    CHECK_EQ(acpi_for(0), -EINVAL);
    CHECK_EQ(acpi_for(256), -EINVAL);
    CHECK_EQ(fake_ram_writes(), 0);
    CHECK_EQ(hvm_build_acpi(NULL, 1), -EINVAL);

    /* No RAM there: the copy fails and says so. */
    setup(2 * MiB);
    CHECK_EQ(hvm_build_acpi(&dom, 1), -EFAULT);
}

/* --- kernel images --- */

#define PT_LOAD     1
#define PT_NOTE     4

struct kseg
{
    u32 type, offset, vaddr, paddr, filesz, memsz;
};

struct kspec
{
    size_t len;
    bool elf;
    u8 ei_class, ei_data;
    u16 type, machine, phentsize;
    u32 entry, phoff;
    unsigned int nseg;
    struct kseg seg[4];
    bool mb;
    u32 mb_off, mb_flags, mb_csum_delta;
    /* header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr */
    u32 aout[5];
    /* With pvh_descsz: a "Xen" type 18 note at the PT_NOTE segment. */
    u32 pvh_entry, pvh_descsz;
};

/* A good kernel: one segment at 1 MiB, 4 KiB of file and 8 KiB of bss. */
static struct kspec good_kernel(void)
{
    struct kspec s = {
        .len = 0x3000,
        .elf = true, .ei_class = 1, .ei_data = 1,
        .type = 2, .machine = 3, .phentsize = 32,
        .entry = 0x100010, .phoff = 52,
        .nseg = 1,
        .seg = { { PT_LOAD, 0x1000, 0x100000, 0x100000, 0x1000, 0x3000 } },
        .mb = true, .mb_off = 0x100, .mb_flags = 0x3,
    };

    return s;
}

static void put32(u8 *img, size_t len, size_t off, u32 v)
{
    if ( off + 4 <= len )
        memcpy(img + off, &v, 4);
}

static void put16(u8 *img, size_t len, size_t off, u16 v)
{
    if ( off + 2 <= len )
        memcpy(img + off, &v, 2);
}

/* The image, in a buffer of exactly s->len bytes. */
static u8 *make_image(const struct kspec *s)
{
    u8 *img = malloc(s->len ? s->len : 1);
    size_t i;

    REQUIRE(img);
    for ( i = 0; i < s->len; i++ )
        img[i] = i * 7 + 3;

    if ( s->elf && s->len >= 52 )
    {
        memset(img, 0, 52);
        memcpy(img, "\177ELF", 4);
        img[4] = s->ei_class;
        img[5] = s->ei_data;
        img[6] = 1;
        put16(img, s->len, 16, s->type);
        put16(img, s->len, 18, s->machine);
        put32(img, s->len, 20, 1);
        put32(img, s->len, 24, s->entry);
        put32(img, s->len, 28, s->phoff);
        put16(img, s->len, 40, 52);
        put16(img, s->len, 42, s->phentsize);
        put16(img, s->len, 44, s->nseg);
        for ( i = 0; i < s->nseg; i++ )
        {
            size_t p = s->phoff + 32 * i;

            put32(img, s->len, p + 0, s->seg[i].type);
            put32(img, s->len, p + 4, s->seg[i].offset);
            put32(img, s->len, p + 8, s->seg[i].vaddr);
            put32(img, s->len, p + 12, s->seg[i].paddr);
            put32(img, s->len, p + 16, s->seg[i].filesz);
            put32(img, s->len, p + 20, s->seg[i].memsz);
            put32(img, s->len, p + 24, 7);
            put32(img, s->len, p + 28, 0x1000);
        }
    }

    for ( i = 0; s->pvh_descsz && i < s->nseg; i++ )
        if ( s->seg[i].type == PT_NOTE )
        {
            size_t o = s->seg[i].offset;

            put32(img, s->len, o, 4);
            put32(img, s->len, o + 4, s->pvh_descsz);
            put32(img, s->len, o + 8, 18);
            put32(img, s->len, o + 12, 0x006e6558);     /* "Xen" */
            put32(img, s->len, o + 16, s->pvh_entry);
            put32(img, s->len, o + 20, 0);
        }

    if ( s->mb )
    {
        put32(img, s->len, s->mb_off, MB_MAGIC);
        put32(img, s->len, s->mb_off + 4, s->mb_flags);
        put32(img, s->len, s->mb_off + 8,
              -(MB_MAGIC + s->mb_flags) + s->mb_csum_delta);
        if ( s->mb_flags & (1u << 16) )
            for ( i = 0; i < 5; i++ )
                put32(img, s->len, s->mb_off + 12 + 4 * i, s->aout[i]);
    }

    return img;
}

struct build
{
    struct hvm_build_args a;
    struct hvm_boot_state out;
    u8 *img;
    int rc;
};

/*
 * Build s into fresh RAM of 'ram' bytes (the capacity of the fake; the
 * domain gets args.mem_bytes = ram unless the caller sets it).
 */
static void run_build(struct build *b, const struct kspec *s, u64 ram,
                      const struct hvm_build_args *over)
{
    setup(ROUNDUP(ram, 4096));
    b->img = make_image(s);
    memset(&b->a, 0, sizeof(b->a));
    b->a.kernel = b->img;
    b->a.kernel_len = s->len;
    b->a.cmdline = "console=ttyS0 quiet";
    b->a.mem_bytes = ram;
    b->a.nr_vcpus = 2;
    if ( over )
    {
        if ( over->module )
        {
            b->a.module = over->module;
            b->a.module_len = over->module_len;
            b->a.module_args = over->module_args;
        }
        if ( over->cmdline )
            b->a.cmdline = over->cmdline;
        if ( over->nr_vcpus )
            b->a.nr_vcpus = over->nr_vcpus;
    }
    memset(&b->out, 0xcc, sizeof(b->out));
    b->rc = hvm_build_domain(&dom, &b->a, &b->out);
}

static void done(struct build *b)
{
    CHECK_EQ(fake_ram_bad_accesses(), 0);
    free(b->img);
    b->img = NULL;
    unmap_all();
}

/* A build that must fail with rc and leave the domain untouched. */
static void expect_reject(const struct kspec *s, u64 ram, int rc,
                          const char *what)
{
    struct build b;

    run_build(&b, s, ram, NULL);
    if ( b.rc != rc )
        harness_fail(__FILE__, __LINE__, false, "%s: rc %d, expected %d",
                     what, b.rc, rc);
    if ( fake_p2m_populate_calls() || fake_ram_writes() )
        harness_fail(__FILE__, __LINE__, false,
                     "%s: wrote to the domain before failing", what);
    done(&b);
}

static void check_mmap(u64 mbi, u64 ram)
{
    static const struct
    {
        u64 addr, len;
        u32 type;
    } want[] = {
        { 0, 0x9fc00, 1 },
        { 0x9fc00, 0x400, 2 },
        { 0xe0000, 0x20000, 2 },
        { 0x100000, 0, 1 },         /* len: ram - 1 MiB */
    };
    u64 p = rd32(mbi + 48);
    unsigned int i;

    CHECK_EQ(rd32(mbi + 44), 4 * 24);
    for ( i = 0; i < ARRAY_SIZE(want); i++, p += 24 )
    {
        CHECK_EQ(rd32(p), 20);
        CHECK_EQ(rd64(p + 4), want[i].addr);
        CHECK_EQ(rd64(p + 12), want[i].len ? want[i].len : ram - MiB);
        CHECK_EQ(rd32(p + 20), want[i].type);
    }
}

TEST(builder_loads_a_multiboot_elf)
{
    const struct kspec s = good_kernel();
    const u64 ram = 8 * MiB;
    struct acpi_info *info = calloc(1, sizeof(*info));
    paddr_t rsdp;
    struct build b;
    u64 mbi;

    REQUIRE(info);
    run_build(&b, &s, ram, NULL);
    REQUIRE_EQ(b.rc, 0);
    CHECK_EQ(b.out.eip, 0x100010);
    CHECK_EQ(b.out.eax, 0x2badb002);

    /* RAM: all of it, in one call. */
    CHECK_EQ(fake_p2m_populate_calls(), 1);
    CHECK_EQ(fake_p2m_last_gfn(), 0);
    CHECK_EQ(fake_p2m_last_nr(), ram >> 12);

    /* The file bytes, then zeroes where the pages held garbage. */
    CHECK(!memcmp(fake_ram() + 0x100000, b.img + 0x1000, 0x1000));
    CHECK(ram_is(0x101000, 0, 0x2000));

    /* The MBI right after the kernel, page-aligned. */
    mbi = b.out.ebx;
    CHECK_EQ(mbi, 0x103000);
    CHECK_EQ(rd32(mbi), 0x245);         /* MEMORY CMDLINE MMAP LOADER */
    CHECK_EQ(rd32(mbi + 4), 639);
    CHECK_EQ(rd32(mbi + 8), (ram - MiB) >> 10);
    CHECK_STR_EQ(rdstr(rd32(mbi + 16)), "console=ttyS0 quiet");
    CHECK_EQ(rd32(mbi + 20), 0);        /* no modules */
    CHECK_STR_EQ(rdstr(rd32(mbi + 64)), "xen-lite");
    check_mmap(mbi, ram);
    /* Everything the MBI points at is above it and in RAM. */
    CHECK(rd32(mbi + 16) > mbi && rd32(mbi + 16) < ram);
    CHECK(rd32(mbi + 48) > mbi && rd32(mbi + 48) < ram);
    CHECK(rd32(mbi + 64) > mbi && rd32(mbi + 64) < ram);

    /* The ACPI tables list both vCPUs. */
    REQUIRE_EQ(acpi_find_rsdp(ram_map, 0, &rsdp), 0);
    REQUIRE_EQ(acpi_parse(ram_map, rsdp, info), 0);
    CHECK_EQ(info->nr_cpus, 2);
    CHECK_EQ(info->nr_ioapics, 1);
    free(info);
    done(&b);
}

TEST(builder_places_the_module)
{
    const struct kspec s = good_kernel();
    struct hvm_build_args over = { 0 };
    u8 *mod = malloc(5000);
    struct build b;
    u64 mbi, m;

    REQUIRE(mod);
    for ( unsigned int i = 0; i < 5000; i++ )
        mod[i] = i ^ 0x5a;
    over.module = mod;
    over.module_len = 5000;
    over.module_args = "env=1 mode=test";

    run_build(&b, &s, 4 * MiB, &over);
    REQUIRE_EQ(b.rc, 0);
    mbi = b.out.ebx;
    CHECK_EQ(rd32(mbi) & 0x8, 0x8);     /* MODS */
    CHECK_EQ(rd32(mbi + 20), 1);
    m = rd32(mbi + 24);
    CHECK_EQ(rd32(m), 0x103000);
    CHECK_EQ(rd32(m + 4), 0x103000 + 5000);
    CHECK_STR_EQ(rdstr(rd32(m + 8)), "env=1 mode=test");
    CHECK_EQ(rd32(m + 12), 0);
    CHECK(!memcmp(fake_ram() + 0x103000, mod, 5000));
    /* The MBI follows the module, page-aligned. */
    CHECK_EQ(mbi, ROUNDUP(0x103000 + 5000, 4096));
    CHECK_EQ(rd32(mbi) & 0x245, 0x245);
    check_mmap(mbi, 4 * MiB);
    done(&b);

    /* No arguments: an empty string. */
    over.module_args = NULL;
    run_build(&b, &s, 4 * MiB, &over);
    REQUIRE_EQ(b.rc, 0);
    CHECK_STR_EQ(rdstr(rd32(rd32(b.out.ebx + 24) + 8)), "");
    done(&b);

    /* An empty module is still a module. */
    over.module_len = 0;
    run_build(&b, &s, 4 * MiB, &over);
    REQUIRE_EQ(b.rc, 0);
    CHECK_EQ(rd32(b.out.ebx + 20), 1);
    m = rd32(b.out.ebx + 24);
    CHECK_EQ(rd32(m), rd32(m + 4));
    done(&b);
    free(mod);
}

TEST(builder_module_after_unaligned_kernel_end)
{
    struct kspec s = good_kernel();
    struct hvm_build_args over = { 0 };
    static const u8 mod[100] = { 1, 2, 3 };
    struct build b;

    s.seg[0].memsz = 0x2801;
    over.module = mod;
    over.module_len = sizeof(mod);
    run_build(&b, &s, 4 * MiB, &over);
    REQUIRE_EQ(b.rc, 0);
    CHECK_EQ(rd32(rd32(b.out.ebx + 24)), 0x103000);
    CHECK(ram_is(0x101000, 0, 0x1801));
    /* The byte after the bss was not touched. */
    CHECK_EQ(fake_ram()[0x102801], 0xa5);
    done(&b);
}

TEST(builder_no_cmdline_gives_empty_string)
{
    const struct kspec s = good_kernel();
    struct build b;

    setup(4 * MiB);
    b.img = make_image(&s);
    memset(&b.a, 0, sizeof(b.a));
    b.a.kernel = b.img;
    b.a.kernel_len = s.len;
    b.a.mem_bytes = 4 * MiB + 123;      /* rounded down to pages */
    b.a.nr_vcpus = 1;
    REQUIRE_EQ(hvm_build_domain(&dom, &b.a, &b.out), 0);
    CHECK_STR_EQ(rdstr(rd32(b.out.ebx + 16)), "");
    CHECK_EQ(rd32(b.out.ebx) & 0x4, 0x4);
    CHECK_EQ(fake_p2m_last_nr(), 1024);
    check_mmap(b.out.ebx, 4 * MiB);
    done(&b);
}

TEST(builder_several_segments_and_higher_half_entry)
{
    struct kspec s = good_kernel();
    struct build b;

    s.nseg = 4;
    /* Text at 1 MiB linked at 3 GiB + 1 MiB, data at 2 MiB. */
    s.seg[0] = (struct kseg){ PT_LOAD, 0x1000, 0xc0100000, 0x100000,
                              0x800, 0x800 };
    s.seg[1] = (struct kseg){ PT_NOTE, 0x1800, 0, 0, 0x10, 0x10 };
    s.seg[2] = (struct kseg){ PT_LOAD, 0x2000, 0xc0200000, 0x200000,
                              0x1000, 0x1800 };
    s.seg[3] = (struct kseg){ PT_LOAD, 0, 0, 0, 0, 0 };
    s.entry = 0xc0200123;
    run_build(&b, &s, 4 * MiB, NULL);
    REQUIRE_EQ(b.rc, 0);
    CHECK_EQ(b.out.eip, 0x200123);
    CHECK(!memcmp(fake_ram() + 0x100000, b.img + 0x1000, 0x800));
    CHECK(!memcmp(fake_ram() + 0x200000, b.img + 0x2000, 0x1000));
    CHECK(ram_is(0x201000, 0, 0x800));
    /* Between the segments nothing was written. */
    CHECK(ram_is(0x100800, 0xa5, 0x1000));
    CHECK_EQ(b.out.ebx, 0x202000);
    done(&b);
}

TEST(builder_header_at_the_end_of_the_window)
{
    struct kspec s = good_kernel();
    struct build b;

    /* The last 12 bytes of the first 8 KiB: still inside. */
    s.mb_off = 8192 - 12;
    run_build(&b, &s, 4 * MiB, NULL);
    CHECK_EQ(b.rc, 0);
    done(&b);

    s.mb_off = 8192 - 8;
    expect_reject(&s, 4 * MiB, -EINVAL, "header across 8 KiB");
    s.mb_off = 8192;
    expect_reject(&s, 4 * MiB, -EINVAL, "header beyond 8 KiB");
    s.mb_off = 0x102;
    expect_reject(&s, 4 * MiB, -EINVAL, "misaligned header");

    /* A bad header first, a good one later: the good one counts. */
    s = good_kernel();
    s.mb_off = 0x200;
    run_build(&b, &s, 4 * MiB, NULL);
    {
        u8 *img = b.img;

        put32(img, s.len, 0x100, MB_MAGIC);
        put32(img, s.len, 0x104, 0);
        put32(img, s.len, 0x108, 0);
        CHECK_EQ(hvm_build_domain(&dom, &b.a, &b.out), 0);
    }
    done(&b);
}

TEST(builder_aout_kludge)
{
    struct kspec s = good_kernel();
    struct build b;

    /* Not an ELF file at all: the header says where everything goes. */
    s.elf = false;
    s.mb_off = 0x40;
    s.mb_flags = 0x10003;
    s.aout[0] = 0x200040;           /* header_addr: file offset 0x40 */
    s.aout[1] = 0x200000;           /* load_addr: file offset 0 */
    s.aout[2] = 0x201000;           /* load_end_addr */
    s.aout[3] = 0x204000;           /* bss_end_addr */
    s.aout[4] = 0x200100;           /* entry_addr */
    run_build(&b, &s, 4 * MiB, NULL);
    REQUIRE_EQ(b.rc, 0);
    CHECK_EQ(b.out.eip, 0x200100);
    CHECK(!memcmp(fake_ram() + 0x200000, b.img, 0x1000));
    CHECK(ram_is(0x201000, 0, 0x3000));
    CHECK_EQ(b.out.ebx, 0x204000);
    done(&b);

    /*
     * In conventional memory, as Multiboot allows: loaded there, the
     * boot information from 1 MiB, past the EBDA and the BIOS area.
     */
    s.aout[0] = 0x80040;
    s.aout[1] = 0x80000;
    s.aout[2] = 0x81000;
    s.aout[3] = 0x82000;
    s.aout[4] = 0x80000;
    run_build(&b, &s, 4 * MiB, NULL);
    REQUIRE_EQ(b.rc, 0);
    CHECK_EQ(b.out.eip, 0x80000);
    CHECK(!memcmp(fake_ram() + 0x80000, b.img, 0x1000));
    CHECK(ram_is(0x81000, 0, 0x1000));
    CHECK_EQ(b.out.ebx, 0x100000);
    done(&b);
    s.aout[0] = 0x200040;
    s.aout[1] = 0x200000;
    s.aout[4] = 0x200100;

    /* load_end 0: the rest of the file; bss_end 0: no bss. */
    s.aout[2] = 0;
    s.aout[3] = 0;
    run_build(&b, &s, 4 * MiB, NULL);
    REQUIRE_EQ(b.rc, 0);
    CHECK(!memcmp(fake_ram() + 0x200000, b.img, s.len));
    CHECK_EQ(b.out.ebx, 0x203000);
    done(&b);

    /* And it wins over the ELF headers when both are there. */
    s = good_kernel();
    s.mb_flags = 0x10003;
    s.aout[0] = 0x300100;
    s.aout[1] = 0x300000;
    s.aout[2] = 0x301000;
    s.aout[3] = 0x302000;
    s.aout[4] = 0x300000;
    run_build(&b, &s, 4 * MiB, NULL);
    REQUIRE_EQ(b.rc, 0);
    CHECK_EQ(b.out.eip, 0x300000);
    CHECK(!memcmp(fake_ram() + 0x300000, b.img, 0x1000));
    CHECK(ram_is(0x100000, 0xa5, 0x1000));
    done(&b);
}

TEST(builder_rejects_bad_aout_headers)
{
    struct kspec base = good_kernel(), s;

    base.elf = false;
    base.mb_off = 0x40;
    base.mb_flags = 0x10003;
    base.aout[0] = 0x200040;
    base.aout[1] = 0x200000;
    base.aout[2] = 0x201000;
    base.aout[3] = 0x204000;
    base.aout[4] = 0x200100;

    s = base;
    s.aout[1] = 0x200044;
    expect_reject(&s, 4 * MiB, -EINVAL, "load_addr above header_addr");
    s = base;
    s.aout[1] = 0x1fff00;
    expect_reject(&s, 4 * MiB, -EINVAL, "load_addr before the file");
    s = base;
    s.aout[2] = 0x1fff00;
    expect_reject(&s, 4 * MiB, -EINVAL, "load_end below load_addr");
    s = base;
    s.aout[2] = 0x204000;
    expect_reject(&s, 4 * MiB, -EINVAL, "load_end past the file");
    s = base;
    s.aout[3] = 0x200800;
    expect_reject(&s, 4 * MiB, -EINVAL, "bss_end below load_end");
    s = base;
    s.aout[4] = 0x204000;
    expect_reject(&s, 4 * MiB, -EINVAL, "entry past bss_end");
    s = base;
    s.aout[4] = 0x1fffff;
    expect_reject(&s, 4 * MiB, -EINVAL, "entry below load_addr");
    s = base;
    s.aout[0] = 0x9e040;
    s.aout[1] = 0x9e000;
    s.aout[2] = 0x9f000;
    s.aout[3] = 0xa0000;
    s.aout[4] = 0x9e000;
    expect_reject(&s, 4 * MiB, -EINVAL, "a.out bss into the EBDA");
    s = base;
    s.aout[3] = 0x500000;
    expect_reject(&s, 4 * MiB, -E2BIG, "a.out bss past RAM");
    s = base;
    s.aout[0] = 0xfffff040;
    s.aout[1] = 0xfffff000;
    s.aout[2] = 0;
    s.aout[3] = 0;
    s.aout[4] = 0xfffff000;
    expect_reject(&s, 4 * MiB, -EINVAL, "a.out wrapping");
    /* The address fields must be inside the 8 KiB window too. */
    s = base;
    s.mb_off = 8192 - 16;
    s.aout[0] = 0x200000 + 8192 - 16;
    expect_reject(&s, 4 * MiB, -EINVAL, "a.out fields beyond 8 KiB");
}

TEST(builder_rejects_malformed_images)
{
    const u64 ram = 4 * MiB;
    struct kspec s;

    s = good_kernel();
    s.elf = false;
    expect_reject(&s, ram, -EINVAL, "not ELF");

    s = good_kernel();
    s.ei_class = 2;
    expect_reject(&s, ram, -EINVAL, "ELF64");

    s = good_kernel();
    s.ei_data = 2;
    expect_reject(&s, ram, -EINVAL, "big endian");

    s = good_kernel();
    s.machine = 62;
    expect_reject(&s, ram, -EINVAL, "x86-64 machine");

    s = good_kernel();
    s.type = 3;
    expect_reject(&s, ram, -EINVAL, "ET_DYN");

    s = good_kernel();
    s.phentsize = 56;
    expect_reject(&s, ram, -EINVAL, "wrong phentsize");

    s = good_kernel();
    s.mb = false;
    expect_reject(&s, ram, -EINVAL, "no multiboot header");

    s = good_kernel();
    s.mb_csum_delta = 1;
    expect_reject(&s, ram, -EINVAL, "bad multiboot checksum");

    s = good_kernel();
    s.mb_flags |= 1u << 2;
    expect_reject(&s, ram, -EINVAL, "video mode required");

    s = good_kernel();
    s.mb_flags |= 1u << 15;
    expect_reject(&s, ram, -EINVAL, "unknown required flag");

    s = good_kernel();
    s.phoff = 0x3000 - 16;
    expect_reject(&s, ram, -EINVAL, "program headers past the file");

    s = good_kernel();
    s.phoff = 0xfffffff0;
    expect_reject(&s, ram, -EINVAL, "program headers far past the file");

    s = good_kernel();
    s.nseg = 0;
    expect_reject(&s, ram, -EINVAL, "no program headers");

    s = good_kernel();
    s.seg[0].type = PT_NOTE;
    expect_reject(&s, ram, -EINVAL, "no PT_LOAD");

    s = good_kernel();
    s.seg[0].filesz = 0x2001;
    s.seg[0].memsz = 0x3000;
    expect_reject(&s, ram, -EINVAL, "segment beyond the file");

    s = good_kernel();
    s.seg[0].offset = 0xfffff000;
    expect_reject(&s, ram, -EINVAL, "segment offset wraps");

    s = good_kernel();
    s.seg[0].memsz = 0x800;
    expect_reject(&s, ram, -EINVAL, "filesz > memsz");

    s = good_kernel();
    s.seg[0].paddr = s.seg[0].vaddr = 0xe0000;
    s.entry = 0xe0010;
    expect_reject(&s, ram, -EINVAL, "segment over the BIOS area");

    s = good_kernel();
    s.seg[0].paddr = s.seg[0].vaddr = 0xff000;
    s.entry = 0xff010;
    expect_reject(&s, ram, -EINVAL, "segment crossing 1 MiB");

    s = good_kernel();
    s.seg[0].paddr = s.seg[0].vaddr = 0x3ff000;
    s.entry = 0x3ff010;
    expect_reject(&s, ram, -E2BIG, "segment past RAM");

    s = good_kernel();
    s.seg[0].paddr = s.seg[0].vaddr = ram - 0x3000 + 1;
    s.entry = s.seg[0].paddr;
    expect_reject(&s, ram, -E2BIG, "segment one byte past RAM");

    s = good_kernel();
    s.nseg = 2;
    s.seg[1] = (struct kseg){ PT_LOAD, 0x2000, 0x300000, 0x300000, 0x10, 0 };
    expect_reject(&s, ram, -EINVAL, "file bytes in an empty segment");

    s = good_kernel();
    s.seg[0].paddr = s.seg[0].vaddr = 0xfffff000;
    s.entry = 0xfffff010;
    expect_reject(&s, ram, -EINVAL, "segment wrapping 4 GiB");

    s = good_kernel();
    s.seg[0].memsz = 0xffffffff;
    expect_reject(&s, ram, -EINVAL, "huge memsz");

    s = good_kernel();
    s.entry = 0x103000;
    expect_reject(&s, ram, -EINVAL, "entry after the segment");

    s = good_kernel();
    s.entry = 0xfffff;
    expect_reject(&s, ram, -EINVAL, "entry before the segment");

    s = good_kernel();
    s.len = 51;
    s.mb_off = 0;
    expect_reject(&s, ram, -EINVAL, "shorter than an ELF header");

    s = good_kernel();
    s.len = 8;
    s.mb = false;
    expect_reject(&s, ram, -EINVAL, "8 bytes");
}

TEST(builder_rejects_bad_arguments)
{
    const struct kspec s = good_kernel();
    struct build b;

    CHECK_EQ(hvm_build_domain(&dom, NULL, &b.out), -EINVAL);

    run_build(&b, &s, 4 * MiB, NULL);
    REQUIRE_EQ(b.rc, 0);
    setup(4 * MiB);
    CHECK_EQ(hvm_build_domain(NULL, &b.a, &b.out), -EINVAL);
    CHECK_EQ(hvm_build_domain(&dom, &b.a, NULL), -EINVAL);

    b.a.kernel = NULL;
    CHECK_EQ(hvm_build_domain(&dom, &b.a, &b.out), -EINVAL);
    b.a.kernel = b.img;
    b.a.kernel_len = 0;
    CHECK_EQ(hvm_build_domain(&dom, &b.a, &b.out), -EINVAL);
    b.a.kernel_len = s.len;

    /* A module length without a module. */
    b.a.module_len = 1;
    CHECK_EQ(hvm_build_domain(&dom, &b.a, &b.out), -EINVAL);
    b.a.module_len = 0;

    b.a.mem_bytes = 2 * MiB - 4096;
    CHECK_EQ(hvm_build_domain(&dom, &b.a, &b.out), -EINVAL);
    b.a.mem_bytes = 0xfec00000ULL + 4096;
    CHECK_EQ(hvm_build_domain(&dom, &b.a, &b.out), -EINVAL);
    b.a.mem_bytes = 4 * MiB;

    b.a.nr_vcpus = 0;
    CHECK_EQ(hvm_build_domain(&dom, &b.a, &b.out), -EINVAL);
    b.a.nr_vcpus = 256;
    CHECK_EQ(hvm_build_domain(&dom, &b.a, &b.out), -EINVAL);
    b.a.nr_vcpus = 1;

    CHECK_EQ(fake_p2m_populate_calls(), 0);
    CHECK_EQ(fake_ram_writes(), 0);
    done(&b);
}

TEST(builder_too_little_ram)
{
    struct kspec s = good_kernel();
    struct hvm_build_args over = { 0 };
    u8 *mod = calloc(1, MiB);
    char *longline = malloc(70000);
    struct build b;

    REQUIRE(mod && longline);

    /* The module does not fit above the kernel. */
    over.module = mod;
    over.module_len = MiB;
    run_build(&b, &s, 2 * MiB, &over);
    CHECK_EQ(b.rc, -E2BIG);
    CHECK_EQ(fake_ram_writes(), 0);
    done(&b);

    /* It just fits, with room for the MBI: fine. */
    over.module_len = MiB - 0x3000 - 0x1000;
    run_build(&b, &s, 2 * MiB, &over);
    CHECK_EQ(b.rc, 0);
    done(&b);

    /* A length no memory has: refused before anything is read. */
    over.module_len = ~(size_t)0;
    run_build(&b, &s, 2 * MiB, &over);
    CHECK_EQ(b.rc, -E2BIG);
    CHECK_EQ(fake_ram_writes(), 0);
    done(&b);

    /* The kernel ends where RAM does: no room for the MBI. */
    s.seg[0].memsz = MiB;
    run_build(&b, &s, 2 * MiB, NULL);
    CHECK_EQ(b.rc, -E2BIG);
    CHECK_EQ(fake_ram_writes(), 0);
    done(&b);

    /* The module fills RAM exactly: no room for the MBI either. */
    s = good_kernel();
    over.module_len = 2 * MiB - 0x103000;
    run_build(&b, &s, 2 * MiB, &over);
    CHECK_EQ(b.rc, -E2BIG);
    done(&b);

    /* A command line too long to be real. */
    memset(longline, 'x', 69999);
    longline[69999] = '\0';
    memset(&over, 0, sizeof(over));
    over.cmdline = longline;
    run_build(&b, &s, 4 * MiB, &over);
    CHECK_EQ(b.rc, -E2BIG);
    CHECK_EQ(fake_ram_writes(), 0);
    done(&b);

    /* Long but not too long: 60000 bytes land in the guest. */
    longline[60000] = '\0';
    run_build(&b, &s, 4 * MiB, &over);
    CHECK_EQ(b.rc, 0);
    CHECK_EQ(strlen(rdstr(rd32(b.out.ebx + 16))), 60000);
    done(&b);

    free(mod);
    free(longline);
}

TEST(builder_reports_p2m_failure)
{
    const struct kspec s = good_kernel();
    struct build b;

    setup(4 * MiB);
    fake_p2m_fail(-ENOMEM);
    b.img = make_image(&s);
    memset(&b.a, 0, sizeof(b.a));
    b.a.kernel = b.img;
    b.a.kernel_len = s.len;
    b.a.mem_bytes = 4 * MiB;
    b.a.nr_vcpus = 1;
    CHECK_EQ(hvm_build_domain(&dom, &b.a, &b.out), -ENOMEM);
    CHECK_EQ(fake_ram_writes(), 0);
    done(&b);

    /* RAM the p2m cannot back (the fake has less than asked for). */
    setup(2 * MiB);
    b.img = make_image(&s);
    b.a.kernel = b.img;
    b.a.mem_bytes = 4 * MiB;
    CHECK_EQ(hvm_build_domain(&dom, &b.a, &b.out), -ENOMEM);
    done(&b);
}

/*
 * Random damage to a good image: whatever the builder makes of it, it
 * returns 0 or a documented error and never touches memory outside the
 * guest's RAM (the doubles and ASan watch).
 */
TEST(builder_survives_corrupted_images)
{
    static const u8 mod[64] = { 9 };
    unsigned int iter, ok = 0;
    struct build b;

    test_srand(12345);
    for ( iter = 0; iter < 3000; iter++ )
    {
        struct kspec s = good_kernel();
        unsigned int n, k;

        if ( iter % 3 == 0 )
        {
            s.mb_flags = 0x10003;
            s.aout[0] = 0x100100;
            s.aout[1] = 0x100000;
            s.aout[2] = 0x101000;
            s.aout[3] = 0x102000;
            s.aout[4] = 0x100000;
        }
        setup(4 * MiB);
        b.img = make_image(&s);
        n = 1 + test_rand() % 6;
        for ( k = 0; k < n; k++ )
        {
            /* Mostly the headers, where the interesting fields are. */
            unsigned int off = test_rand() % (k & 1 ? s.len : 0x140);

            b.img[off] = test_rand();
        }
        memset(&b.a, 0, sizeof(b.a));
        b.a.kernel = b.img;
        b.a.kernel_len = s.len - (iter % 7 == 0 ? test_rand() % s.len : 0);
        b.a.mem_bytes = 4 * MiB;
        b.a.nr_vcpus = 1;
        b.a.module = mod;
        b.a.module_len = sizeof(mod);
        b.rc = hvm_build_domain(&dom, &b.a, &b.out);
        if ( b.rc != 0 && b.rc != -EINVAL && b.rc != -E2BIG )
            harness_fail(__FILE__, __LINE__, false,
                         "iteration %u: rc %d", iter, b.rc);
        if ( b.rc == 0 )
        {
            ok++;
            CHECK(b.out.eip >= MiB && b.out.eip < 4 * MiB);
            CHECK(b.out.ebx > b.out.eip && b.out.ebx < 4 * MiB);
        }
        else if ( fake_ram_writes() )
            harness_fail(__FILE__, __LINE__, false,
                         "iteration %u: failed after writing", iter);
        done(&b);
        if ( harness_failures() )
            break;
    }
    /* Some damage is harmless: the good paths were exercised too. */
    CHECK(ok > 0);
}

/* --- PVH --- */

/* The good kernel, entered through a PVH note instead of Multiboot. */
static struct kspec pvh_kernel(void)
{
    struct kspec s = good_kernel();

    s.mb = false;
    s.nseg = 2;
    s.seg[1] = (struct kseg){ PT_NOTE, 0x2800, 0, 0, 0x18, 0x18 };
    s.pvh_entry = 0x100020;
    s.pvh_descsz = 4;
    return s;
}

/* hvm_start_info's fields (Xen's public arch-x86/hvm/start_info.h). */
#define SI_MAGIC        0
#define SI_VERSION      4
#define SI_FLAGS        8
#define SI_NR_MODULES   12
#define SI_MODLIST      16
#define SI_CMDLINE      24
#define SI_RSDP         32
#define SI_MEMMAP       40
#define SI_MEMMAP_NR    48

/* The PVH memory map: the same four ranges as the Multiboot one. */
static void check_pvh_mmap(u64 si, u64 ram)
{
    u64 p = rd64(si + SI_MEMMAP), mbi_map;
    unsigned int i;
    struct build mb;
    u64 mb_entries[4][3];

    CHECK_EQ(rd32(si + SI_MEMMAP_NR), 4);
    CHECK_EQ(p % 8, 0);
    /* Read it out before the Multiboot build reuses the fake RAM. */
    for ( i = 0; i < 4; i++, p += 24 )
    {
        mb_entries[i][0] = rd64(p);
        mb_entries[i][1] = rd64(p + 8);
        mb_entries[i][2] = rd32(p + 16);
        CHECK_EQ(rd32(p + 20), 0);
    }
    {
        const struct kspec k = good_kernel();

        run_build(&mb, &k, ram, NULL);
    }
    REQUIRE_EQ(mb.rc, 0);
    mbi_map = rd32(mb.out.ebx + 48);
    for ( i = 0; i < 4; i++, mbi_map += 24 )
    {
        CHECK_EQ(mb_entries[i][0], rd64(mbi_map + 4));
        CHECK_EQ(mb_entries[i][1], rd64(mbi_map + 12));
        CHECK_EQ(mb_entries[i][2], rd32(mbi_map + 20));
    }
    check_mmap(mb.out.ebx, ram);
    done(&mb);
}

TEST(builder_pvh_start_info)
{
    const struct kspec s = pvh_kernel();
    const u64 ram = 8 * MiB;
    struct hvm_build_args over = { 0 };
    u8 *initrd = malloc(5000);
    struct build b;
    u64 si, mod;

    REQUIRE(initrd);
    for ( unsigned int i = 0; i < 5000; i++ )
        initrd[i] = i ^ 0x3c;
    over.module = initrd;
    over.module_len = 5000;
    over.module_args = "rootfs";

    run_build(&b, &s, ram, &over);
    REQUIRE_EQ(b.rc, 0);
    CHECK(b.out.pvh);
    CHECK_EQ(b.out.eip, 0x100020);
    CHECK_EQ(b.out.eax, 0);
    /* The kernel's file bytes and bss, as for Multiboot. */
    CHECK(!memcmp(fake_ram() + 0x100000, b.img + 0x1000, 0x1000));
    CHECK(ram_is(0x101000, 0, 0x2000));

    /* After the kernel the initrd, then the start info, page-aligned. */
    si = b.out.ebx;
    CHECK_EQ(si, ROUNDUP(0x103000 + 5000, 4096));
    CHECK_EQ(rd32(si + SI_MAGIC), 0x336ec578);
    CHECK_EQ(rd32(si + SI_VERSION), 1);
    CHECK_EQ(rd32(si + SI_FLAGS), 0);
    CHECK_EQ(rd32(si + SI_NR_MODULES), 1);
    CHECK_STR_EQ(rdstr(rd64(si + SI_CMDLINE)), "console=ttyS0 quiet");
    CHECK_EQ(rd32(si + 52), 0);

    /* Module 0 is the initrd. */
    mod = rd64(si + SI_MODLIST);
    CHECK_EQ(mod % 8, 0);
    CHECK_EQ(rd64(mod), 0x103000);
    CHECK_EQ(rd64(mod + 8), 5000);
    CHECK_STR_EQ(rdstr(rd64(mod + 16)), "rootfs");
    CHECK_EQ(rd64(mod + 24), 0);
    CHECK(!memcmp(fake_ram() + 0x103000, initrd, 5000));

    /* The RSDP the ACPI builder wrote. */
    REQUIRE(rd64(si + SI_RSDP) + 8 <= ram);
    CHECK(!memcmp(fake_ram() + rd64(si + SI_RSDP), "RSD PTR ", 8));

    /* Everything it points at is above it and in RAM. */
    CHECK(rd64(si + SI_CMDLINE) > si && rd64(si + SI_CMDLINE) < ram);
    CHECK(mod > si && rd64(si + SI_MEMMAP) > si);
    check_pvh_mmap(si, ram);
    done(&b);
    free(initrd);
}

TEST(builder_pvh_8_byte_note_and_no_module)
{
    struct kspec s = pvh_kernel();
    struct build b;

    s.pvh_descsz = 8;
    s.pvh_entry = 0x100ffc;
    run_build(&b, &s, 4 * MiB, NULL);
    REQUIRE_EQ(b.rc, 0);
    CHECK(b.out.pvh);
    CHECK_EQ(b.out.eip, 0x100ffc);
    CHECK_EQ(b.out.ebx, 0x103000);
    CHECK_EQ(rd32(b.out.ebx + SI_NR_MODULES), 0);
    CHECK_EQ(rd64(b.out.ebx + SI_MODLIST), 0);
    check_pvh_mmap(b.out.ebx, 4 * MiB);
    done(&b);
}

TEST(builder_refuses_kernel_larger_than_domain)
{
    struct kspec s = pvh_kernel();

    /* A 5 MiB kernel in a 4 MiB domain: refused, naming both sizes. */
    s.seg[0].memsz = 5 * MiB;
    stub_log_clear();
    expect_reject(&s, 4 * MiB, -E2BIG, "kernel larger than RAM");
    CHECK(stub_log_contains("d3: the kernel needs 6144 KiB of RAM "
                            "(up to 0x600000) but the domain has "
                            "4096 KiB (mem=)"));

    /* The same for a Multiboot kernel. */
    s = good_kernel();
    s.seg[0].memsz = 5 * MiB;
    stub_log_clear();
    expect_reject(&s, 4 * MiB, -E2BIG, "Multiboot kernel larger than RAM");
    CHECK(stub_log_contains("needs 6144 KiB"));
}

TEST(builder_refuses_bad_pvh_notes)
{
    struct kspec s;

    s = pvh_kernel();
    s.pvh_descsz = 2;
    stub_log_clear();
    expect_reject(&s, 4 * MiB, -EINVAL, "2-byte PVH note");
    CHECK(stub_log_contains("d3: bad kernel image: a malformed note"));

    s = pvh_kernel();
    s.pvh_entry = 0x101800;             /* in the bss */
    expect_reject(&s, 4 * MiB, -EINVAL, "PVH entry in the bss");

    s = pvh_kernel();
    s.pvh_entry = 0x400000;
    expect_reject(&s, 4 * MiB, -EINVAL, "PVH entry outside");
}

/* --- the toolstack's build: hvm_build_platform --- */

/*
 * The boot builder's result for s (with a module and 3 vCPUs), then
 * the same domain built as the toolstack does it: RAM, the kernel's
 * bytes where libimage put them, hvm_build_platform, the module at the
 * address it gave.  Every byte of RAM must be the same.
 */
static void check_platform_matches_boot(const struct kspec *s, bool pvh)
{
    const u64 ram = 8 * MiB;
    struct hvm_build_args over = { 0 };
    struct hvm_platform_args pa = { 0 };
    struct hvm_boot_state bs;
    static u8 mod[5000];
    struct build b;
    u8 *boot_ram = malloc(ram), *kernel = malloc(0x3000);
    u64 module_paddr = 1;

    REQUIRE(boot_ram && kernel);
    for ( unsigned int i = 0; i < sizeof(mod); i++ )
        mod[i] = i ^ 0xa5;
    over.module = mod;
    over.module_len = sizeof(mod);
    over.module_args = "initrd args";
    over.cmdline = "root=/dev/ram0";
    over.nr_vcpus = 3;
    run_build(&b, s, ram, &over);
    REQUIRE_EQ(b.rc, 0);
    REQUIRE_EQ(b.out.pvh, pvh);
    memcpy(boot_ram, fake_ram(), ram);
    memcpy(kernel, fake_ram() + 0x100000, 0x3000);
    done(&b);

    setup(ram);
    REQUIRE_EQ(p2m_populate(&dom, 0, ram >> 12), 0);
    memcpy(fake_ram() + 0x100000, kernel, 0x3000);
    memset(fake_ram() + 0x103000, 0x77, sizeof(mod));
    pa.pvh = pvh;
    pa.entry = b.out.eip;
    pa.kernel_end = 0x103000;
    pa.module_len = sizeof(mod);
    pa.cmdline = "root=/dev/ram0";
    pa.module_args = "initrd args";
    pa.mem_bytes = ram;
    pa.nr_vcpus = 3;
    memset(&bs, 0xcc, sizeof(bs));
    REQUIRE_EQ(hvm_build_platform(&dom, &pa, &module_paddr, &bs), 0);
    CHECK_EQ(module_paddr, 0x103000);
    CHECK_EQ(bs.pvh, b.out.pvh);
    CHECK_EQ(bs.eip, b.out.eip);
    CHECK_EQ(bs.eax, b.out.eax);
    CHECK_EQ(bs.ebx, b.out.ebx);
    /* It wrote nothing where the kernel and the module go. */
    CHECK(!memcmp(fake_ram() + 0x100000, kernel, 0x3000));
    CHECK(ram_is(0x103000, 0x77, sizeof(mod)));
    memcpy(fake_ram() + module_paddr, mod, sizeof(mod));
    CHECK(!memcmp(fake_ram(), boot_ram, ram));
    CHECK_EQ(fake_ram_bad_accesses(), 0);
    unmap_all();
    free(boot_ram);
    free(kernel);
}

TEST(platform_matches_the_boot_builder_multiboot)
{
    const struct kspec s = good_kernel();

    check_platform_matches_boot(&s, false);
}

TEST(platform_matches_the_boot_builder_pvh)
{
    const struct kspec s = pvh_kernel();

    check_platform_matches_boot(&s, true);
}

/* hvm_build_platform with 'pa' on populated RAM must fail with rc. */
static void platform_refused(const struct hvm_platform_args *pa, int rc,
                             int line)
{
    struct hvm_boot_state bs;
    u64 module_paddr = 0x5555;
    unsigned int writes;
    int got;

    setup(4 * MiB);
    REQUIRE_EQ(p2m_populate(&dom, 0, (4 * MiB) >> 12), 0);
    writes = fake_ram_writes();
    got = hvm_build_platform(&dom, pa, &module_paddr, &bs);
    if ( got != rc )
        harness_fail(__FILE__, line, false, "rc %d, expected %d", got, rc);
    if ( fake_ram_writes() != writes || module_paddr != 0x5555 )
        harness_fail(__FILE__, line, false, "wrote before failing");
    CHECK_EQ(fake_ram_bad_accesses(), 0);
}
#define PLATFORM_REFUSED(pa, rc) platform_refused(pa, rc, __LINE__)

TEST(platform_refuses_bad_arguments)
{
    const struct hvm_platform_args good = {
        .pvh = false, .entry = 0x100010, .kernel_end = 0x103000,
        .module_len = 100, .cmdline = "x", .module_args = "y",
        .mem_bytes = 4 * MiB, .nr_vcpus = 2,
    };
    struct hvm_platform_args pa;
    struct hvm_boot_state bs;
    u64 mp;
    char *huge = malloc((64u << 10) + 2);

    REQUIRE(huge);
    setup(4 * MiB);
    REQUIRE_EQ(p2m_populate(&dom, 0, (4 * MiB) >> 12), 0);
    pa = good;
    REQUIRE_EQ(hvm_build_platform(&dom, &pa, &mp, &bs), 0);
    CHECK_EQ(mp, 0x103000);
    CHECK_EQ(bs.ebx, 0x104000);
    unmap_all();

    static const struct { u64 entry, end; } plans[] = {
        { 0xfffff, 0x103000 }, { 0, 0x103000 }, { 0x103000, 0x103000 },
        { 0x100010, MiB }, { 0x100010, 4 * MiB + 1 }, { 0x100010, ~0ULL },
        { 4 * MiB, 4 * MiB + 4096 },
    };
    for ( unsigned int i = 0; i < ARRAY_SIZE(plans); i++ )
    {
        pa = good;
        pa.entry = plans[i].entry;
        pa.kernel_end = plans[i].end;
        PLATFORM_REFUSED(&pa, -EINVAL);
    }
    pa = good;
    pa.mem_bytes = 2 * MiB - 4096;
    PLATFORM_REFUSED(&pa, -EINVAL);
    pa.mem_bytes = 0xfec00000ULL + 4096;
    PLATFORM_REFUSED(&pa, -EINVAL);
    pa = good;
    pa.nr_vcpus = 0;
    PLATFORM_REFUSED(&pa, -EINVAL);
    pa.nr_vcpus = 256;
    PLATFORM_REFUSED(&pa, -EINVAL);

    /* The module, then the boot information, must fit below the end. */
    pa = good;
    pa.module_len = 4 * MiB - 0x103000 + 1;
    PLATFORM_REFUSED(&pa, -E2BIG);
    pa.module_len = 4 * MiB - 0x103000;     /* no room for the MBI */
    PLATFORM_REFUSED(&pa, -E2BIG);
    pa.module_len = ~0ULL;
    PLATFORM_REFUSED(&pa, -E2BIG);
    pa = good;
    pa.kernel_end = 4 * MiB;
    PLATFORM_REFUSED(&pa, -E2BIG);
    memset(huge, 'c', (64u << 10) + 1);
    huge[(64u << 10) + 1] = '\0';
    pa = good;
    pa.cmdline = huge;
    PLATFORM_REFUSED(&pa, -E2BIG);
    pa = good;
    pa.module_args = huge;
    PLATFORM_REFUSED(&pa, -E2BIG);
    pa = good;
    huge[64u << 10] = '\0';             /* exactly 64 KiB fits */
    pa.cmdline = huge;
    setup(4 * MiB);
    REQUIRE_EQ(p2m_populate(&dom, 0, (4 * MiB) >> 12), 0);
    CHECK_EQ(hvm_build_platform(&dom, &pa, &mp, &bs), 0);
    CHECK_STR_EQ(rdstr(rd32(bs.ebx + 16)), huge);

    CHECK_EQ(hvm_build_platform(NULL, &good, &mp, &bs), -EINVAL);
    CHECK_EQ(hvm_build_platform(&dom, NULL, &mp, &bs), -EINVAL);
    CHECK_EQ(hvm_build_platform(&dom, &good, NULL, &bs), -EINVAL);
    CHECK_EQ(hvm_build_platform(&dom, &good, &mp, NULL), -EINVAL);
    unmap_all();
    free(huge);
}

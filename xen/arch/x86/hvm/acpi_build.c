/*
 * The ACPI tables of an HVM guest, written into its BIOS area
 * (GUEST_BIOS_START, 0xe0000, which the builder's memory map marks
 * reserved): RSDP, XSDT, RSDT, FADT, DSDT and the MADT that tells the
 * guest its vCPUs and the IOAPIC.  The layouts are those of xen/acpi.h,
 * which the hypervisor's own parser reads; the tests parse these tables
 * back with it.
 *
 * Choices a guest sees:
 * - MADT: local APIC at 0xfee00000, PCAT_COMPAT (the 8259 pair exists,
 *   see platform.c), one enabled Processor Local APIC entry per vCPU with
 *   ACPI processor id = APIC id = vCPU number (so at most 255 vCPUs: ID
 *   0xff means "no processor"), one IOAPIC with id 0 at 0xfec00000, GSI
 *   base 0 (id 0 as QEMU's tables have it, and what vioapic.c's ID
 *   register resets to: IOAPIC ids are a namespace of their own, and 0
 *   fits the register's 4 bits whatever the vCPU count), IRQ 0 -> GSI 2
 *   (edge, active high), LINT1 as NMI on every processor.
 * - FADT: the ACPI 6.0 layout, 276 bytes, hence revision 6 (the brief
 *   asked for "revision 5 layout, 276 bytes"; 276 bytes is the layout
 *   that ACPI 6.0 gave revision 6).  Flags: HW_REDUCED_ACPI, because the
 *   platform has none of the fixed hardware (no PM1 event/control blocks,
 *   no PM timer, no SCI, no GPEs, no FACS), which a full FADT would have
 *   to list; it also tells Linux not to set up the PIC and the PIT as
 *   interrupt sources, which this platform never raises.  WBINVD (it
 *   works), PROC_C1 (HLT is supported on every vCPU), PWR_BUTTON and
 *   SLP_BUTTON (no fixed-feature buttons), RESET_REG_SUP.  The sleep
 *   control and status registers and the reset register are the system
 *   I/O ports of acpi_pm.c (ACPI_PM_BASE); writing ACPI_RESET_VALUE to
 *   the reset register reboots the domain.  IAPC_BOOT_ARCH:
 *   LEGACY_DEVICES (the UART is an ISA device) and VGA_NOT_PRESENT; no
 *   8042 keyboard controller.
 * - DSDT: dsdt.asl, compiled by iasl at build time and copied as it is
 *   (iasl wrote its header and checksum): COM1 (PNP0501, 0x3f8, IRQ 4),
 *   \_S5, and the power button: a PNP0C0C device notified by a Generic
 *   Event Device (ACPI0013, GSI 23, event register at port 0x603 in
 *   acpi_pm.c), since PWR_BUTTON says there is no fixed one.  It must
 *   fit below the MADT (256 bytes; build_dsdt refuses more).
 *
 * Tables are streamed into guest memory piece by piece with a running
 * checksum and their header written last, so the MADT for any vCPU count
 * needs no buffer on the hypervisor stack.
 */
#include <xen/lib.h>
#include <xen/acpi.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <asm/hvm/builder.h>
#include <asm/hvm/io.h>
#include <asm/hvm/vlapic.h>

/* Where each table lives in the BIOS area. */
#define RSDP_GPA        (GUEST_BIOS_START + 0x000)
#define XSDT_GPA        (GUEST_BIOS_START + 0x040)
#define RSDT_GPA        (GUEST_BIOS_START + 0x080)
#define FADT_GPA        (GUEST_BIOS_START + 0x100)
#define DSDT_GPA        (GUEST_BIOS_START + 0x300)
#define MADT_GPA        (GUEST_BIOS_START + 0x400)
/* The MADT runs up to 2.1 KiB for 255 vCPUs. */
#define TABLES_END      (GUEST_BIOS_START + 0x1000)

#define ACPI_OEM_ID         "XENLIT"
#define ACPI_OEM_TABLE_ID   "XENLITE "
#define ACPI_CREATOR_ID     "XLIT"
#define ACPI_OEM_REVISION   1
#define ACPI_CREATOR_REV    1

#define MAX_ACPI_VCPUS      255
#define GUEST_IOAPIC_ID     0

#define MADT_PCAT_COMPAT    (1u << 0)
/* MPS INTI flags: active high (01), edge triggered (01 << 2). */
#define MPS_INTI_EDGE_HIGH  0x0005
#define ACPI_ALL_PROCESSORS 0xff

/* FADT flags. */
#define FADT_WBINVD             (1u << 0)
#define FADT_PROC_C1            (1u << 2)
#define FADT_PWR_BUTTON         (1u << 4)
#define FADT_SLP_BUTTON         (1u << 5)
#define FADT_RESET_REG_SUP      (1u << 10)
#define FADT_HW_REDUCED_ACPI    (1u << 20)
/* IAPC_BOOT_ARCH. */
#define BOOT_ARCH_LEGACY_DEVICES    (1u << 0)
#define BOOT_ARCH_VGA_NOT_PRESENT   (1u << 2)

#define FADT_REVISION       6
#define FADT_LENGTH         276

struct acpi_madt_lapic_nmi
{
    struct acpi_subtable_header h;      /* length 6 */
    u8 processor_id;
    u16 flags;
    u8 lint;
} __packed;

/* The FADT beyond what xen/acpi.h lays out (ACPI 6.0, 276 bytes). */
struct guest_fadt
{
    struct acpi_table_fadt base;
    u16 arm_boot_arch;
    u8 minor_version;
    u64 x_firmware_ctrl;
    u64 x_dsdt;
    struct acpi_generic_address x_pm1a_evt_blk;
    struct acpi_generic_address x_pm1b_evt_blk;
    struct acpi_generic_address x_pm1a_cnt_blk;
    struct acpi_generic_address x_pm1b_cnt_blk;
    struct acpi_generic_address x_pm2_cnt_blk;
    struct acpi_generic_address x_pm_tmr_blk;
    struct acpi_generic_address x_gpe0_blk;
    struct acpi_generic_address x_gpe1_blk;
    struct acpi_generic_address sleep_control_reg;
    struct acpi_generic_address sleep_status_reg;
    u64 hypervisor_vendor_id;
} __packed;

BUILD_BUG_ON(sizeof(struct acpi_rsdp) != 36);
BUILD_BUG_ON(sizeof(struct acpi_table_header) != 36);
BUILD_BUG_ON(sizeof(struct acpi_madt_lapic_nmi) != 6);
BUILD_BUG_ON(sizeof(struct acpi_table_fadt) != 129);
BUILD_BUG_ON(__builtin_offsetof(struct guest_fadt, x_dsdt) != 140);
BUILD_BUG_ON(__builtin_offsetof(struct guest_fadt, x_pm_tmr_blk) != 208);
BUILD_BUG_ON(sizeof(struct guest_fadt) != FADT_LENGTH);

/* A table being streamed into guest memory. */
struct table_writer
{
    struct domain *d;
    u64 base;               /* where the table (its header) starts */
    u32 len;                /* bytes so far, header included */
    u8 sum;                 /* of every byte written after the header */
    int rc;                 /* first error; later writes are skipped */
};

static void tw_start(struct table_writer *tw, struct domain *d, u64 base,
                     u32 header_len)
{
    tw->d = d;
    tw->base = base;
    tw->len = header_len;
    tw->sum = 0;
    tw->rc = 0;
}

static void tw_put(struct table_writer *tw, const void *p, u32 len)
{
    if ( tw->rc )
        return;
    tw->rc = copy_to_guest_phys(tw->d, tw->base + tw->len, p, len);
    tw->sum += acpi_checksum(p, len);
    tw->len += len;
}

static void fill_header(struct acpi_table_header *h, const char *sig,
                        u8 revision)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->signature, sig, 4);
    h->revision = revision;
    memcpy(h->oem_id, ACPI_OEM_ID, 6);
    memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
    h->oem_revision = ACPI_OEM_REVISION;
    memcpy(h->asl_compiler_id, ACPI_CREATOR_ID, 4);
    h->asl_compiler_revision = ACPI_CREATOR_REV;
}

/*
 * Write the table's fixed part 'hdr' (hdr_len bytes, starting with the
 * ACPI header) with the final length and checksum.
 */
static int tw_finish(struct table_writer *tw, void *hdr, u32 hdr_len)
{
    struct acpi_table_header *h = hdr;

    if ( tw->rc )
        return tw->rc;
    h->length = tw->len;
    h->checksum = 0;
    h->checksum = -(u8)(tw->sum + acpi_checksum(hdr, hdr_len));

    return copy_to_guest_phys(tw->d, tw->base, hdr, hdr_len);
}

/* A table that is only its fixed part. */
static int put_table(struct domain *d, u64 gpa, void *t, u32 len)
{
    struct table_writer tw;

    tw_start(&tw, d, gpa, len);
    return tw_finish(&tw, t, len);
}

static int build_madt(struct domain *d, unsigned int nr_vcpus)
{
    struct table_writer tw;
    struct acpi_table_madt madt;
    struct acpi_madt_lapic lapic;
    struct acpi_madt_ioapic ioapic;
    struct acpi_madt_int_override iso;
    struct acpi_madt_lapic_nmi nmi;
    unsigned int i;

    tw_start(&tw, d, MADT_GPA, sizeof(madt));

    for ( i = 0; i < nr_vcpus; i++ )
    {
        memset(&lapic, 0, sizeof(lapic));
        lapic.h.type = ACPI_MADT_LAPIC;
        lapic.h.length = sizeof(lapic);
        lapic.processor_id = i;
        lapic.apic_id = i;
        lapic.flags = ACPI_MADT_ENABLED;
        tw_put(&tw, &lapic, sizeof(lapic));
    }

    memset(&ioapic, 0, sizeof(ioapic));
    ioapic.h.type = ACPI_MADT_IOAPIC;
    ioapic.h.length = sizeof(ioapic);
    ioapic.id = GUEST_IOAPIC_ID;
    ioapic.address = VIOAPIC_BASE;
    ioapic.gsi_base = 0;
    tw_put(&tw, &ioapic, sizeof(ioapic));

    /* The PIT's IRQ 0 is wired to pin 2, as on every PC with an IOAPIC. */
    memset(&iso, 0, sizeof(iso));
    iso.h.type = ACPI_MADT_INT_OVERRIDE;
    iso.h.length = sizeof(iso);
    iso.bus = 0;
    iso.source_irq = 0;
    iso.gsi = 2;
    iso.flags = MPS_INTI_EDGE_HIGH;
    tw_put(&tw, &iso, sizeof(iso));

    memset(&nmi, 0, sizeof(nmi));
    nmi.h.type = ACPI_MADT_LAPIC_NMI;
    nmi.h.length = sizeof(nmi);
    nmi.processor_id = ACPI_ALL_PROCESSORS;
    nmi.flags = MPS_INTI_EDGE_HIGH;
    nmi.lint = 1;
    tw_put(&tw, &nmi, sizeof(nmi));

    memset(&madt, 0, sizeof(madt));
    fill_header(&madt.header, "APIC", 4);
    madt.lapic_address = APIC_DEFAULT_BASE;
    madt.flags = MADT_PCAT_COMPAT;

    return tw_finish(&tw, &madt, sizeof(madt));
}

/* A byte-wide register in system I/O space. */
static void set_io_gas(struct acpi_generic_address *gas, u16 port)
{
    gas->space_id = ACPI_GAS_IO;
    gas->bit_width = 8;
    gas->bit_offset = 0;
    gas->access_width = 1;      /* byte access */
    gas->address = port;
}

static int build_fadt(struct domain *d)
{
    struct guest_fadt fadt;

    memset(&fadt, 0, sizeof(fadt));
    fill_header(&fadt.base.header, "FACP", FADT_REVISION);
    fadt.base.dsdt = DSDT_GPA;
    fadt.base.flags = FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON |
                      FADT_SLP_BUTTON | FADT_RESET_REG_SUP |
                      FADT_HW_REDUCED_ACPI;
    fadt.base.iapc_boot_arch = BOOT_ARCH_LEGACY_DEVICES |
                               BOOT_ARCH_VGA_NOT_PRESENT;
    fadt.x_dsdt = DSDT_GPA;
    /* pm_tmr_blk/pm_tmr_len and x_pm_tmr_blk stay 0: no PM timer. */
    set_io_gas(&fadt.base.reset_reg, ACPI_RESET_PORT);
    fadt.base.reset_value = ACPI_RESET_VALUE;
    set_io_gas(&fadt.sleep_control_reg, ACPI_SLEEP_CONTROL_PORT);
    set_io_gas(&fadt.sleep_status_reg, ACPI_SLEEP_STATUS_PORT);

    return put_table(d, FADT_GPA, &fadt, sizeof(fadt));
}

static int build_dsdt(struct domain *d)
{
    /* iasl checked it; this is about where it goes. */
    if ( dsdt_aml_len < sizeof(struct acpi_table_header) ||
         dsdt_aml_len > MADT_GPA - DSDT_GPA )
        return -E2BIG;
    return copy_to_guest_phys(d, DSDT_GPA, dsdt_aml, dsdt_aml_len);
}

static int build_rsdt_xsdt(struct domain *d)
{
    /* The tables the root tables list: the FADT and the MADT. */
    static const u64 tables[] = { FADT_GPA, MADT_GPA };
    struct acpi_table_header h;
    struct table_writer tw;
    unsigned int i;
    int rc;

    tw_start(&tw, d, XSDT_GPA, sizeof(h));
    for ( i = 0; i < ARRAY_SIZE(tables); i++ )
        tw_put(&tw, &tables[i], sizeof(u64));
    fill_header(&h, "XSDT", 1);
    rc = tw_finish(&tw, &h, sizeof(h));
    if ( rc )
        return rc;

    tw_start(&tw, d, RSDT_GPA, sizeof(h));
    for ( i = 0; i < ARRAY_SIZE(tables); i++ )
    {
        u32 pa = tables[i];

        tw_put(&tw, &pa, sizeof(pa));
    }
    fill_header(&h, "RSDT", 1);
    return tw_finish(&tw, &h, sizeof(h));
}

static int build_rsdp(struct domain *d)
{
    struct acpi_rsdp rsdp;

    memset(&rsdp, 0, sizeof(rsdp));
    memcpy(rsdp.signature, "RSD PTR ", 8);
    memcpy(rsdp.oem_id, ACPI_OEM_ID, 6);
    rsdp.revision = 2;
    rsdp.rsdt_address = RSDT_GPA;
    rsdp.length = sizeof(rsdp);
    rsdp.xsdt_address = XSDT_GPA;
    /* The first over the ACPI 1.0 part, the second over all of it. */
    rsdp.checksum = -acpi_checksum(&rsdp, 20);
    rsdp.extended_checksum = -acpi_checksum(&rsdp, sizeof(rsdp));

    return copy_to_guest_phys(d, RSDP_GPA, &rsdp, sizeof(rsdp));
}

int hvm_build_acpi(struct domain *d, unsigned int nr_vcpus)
{
    int rc;

    BUILD_BUG_ON(RSDP_GPA % 16);
    BUILD_BUG_ON(MADT_GPA + sizeof(struct acpi_table_madt) +
                 MAX_ACPI_VCPUS * sizeof(struct acpi_madt_lapic) +
                 sizeof(struct acpi_madt_ioapic) +
                 sizeof(struct acpi_madt_int_override) +
                 sizeof(struct acpi_madt_lapic_nmi) > TABLES_END);

    if ( !d || !nr_vcpus || nr_vcpus > MAX_ACPI_VCPUS )
        return -EINVAL;

    rc = build_madt(d, nr_vcpus);
    if ( !rc )
        rc = build_dsdt(d);
    if ( !rc )
        rc = build_fadt(d);
    if ( !rc )
        rc = build_rsdt_xsdt(d);
    /* The RSDP last: a guest never finds it pointing at a half-built set. */
    if ( !rc )
        rc = build_rsdp(d);

    return rc;
}

/*
 * Boot-time ACPI table parsing: find the RSDP, walk the XSDT or RSDT, and
 * pull the CPUs, IOAPICs and interrupt overrides out of the MADT and the
 * PM timer and reset register out of the FADT.
 *
 * Every byte comes from firmware and is treated as hostile: a structure is
 * only read through a map() of a length already known to cover it, every
 * length is bounded before it is used, and every checksum is verified
 * before any field other than the signature and length is believed.
 *
 * Runs once on the boot CPU; no locking.
 */

#include <xen/acpi.h>
#include <xen/errno.h>
#include <xen/lib.h>

#define RSDP_V1_LEN         20
#define RSDP_V2_LEN         36
#define RSDP_MAX_LEN        1024

/* Far above any MADT or FADT; stops a hostile length mapping gigabytes. */
#define ACPI_MAX_TABLE_LEN  (1u << 20)

#define FADT_V1_LEN         116     /* up to and including 'flags' */
#define FADT_RESET_LEN      129     /* up to and including reset_value */

#define EBDA_SCAN_LEN       1024
#define BIOS_AREA_START     0xe0000
#define BIOS_AREA_END       0x100000

struct u32_unaligned { u32 v; } __packed;
struct u64_unaligned { u64 v; } __packed;

u8 acpi_checksum(const void *p, size_t len)
{
    const u8 *b = p;
    u8 sum = 0;

    while ( len-- )
        sum += *b++;

    return sum;
}

/*
 * Map and validate the RSDP at pa.  The result is readable for 20 bytes,
 * or for 'length' (>= 36) bytes when revision >= 2; NULL with *why set
 * when it is unusable.
 */
static const struct acpi_rsdp *rsdp_check(acpi_map_fn map, paddr_t pa,
                                          const char **why)
{
    const struct acpi_rsdp *r = map(pa, RSDP_V1_LEN);
    u32 len;

    if ( !r )
    {
        *why = "cannot be mapped";
        return NULL;
    }
    if ( memcmp(r->signature, "RSD PTR ", 8) )
    {
        *why = "bad signature";
        return NULL;
    }
    if ( acpi_checksum(r, RSDP_V1_LEN) )
    {
        *why = "bad checksum";
        return NULL;
    }
    if ( r->revision < 2 )
        return r;

    r = map(pa, RSDP_V2_LEN);
    if ( !r )
    {
        *why = "cannot be mapped";
        return NULL;
    }
    len = r->length;
    if ( len < RSDP_V2_LEN || len > RSDP_MAX_LEN )
    {
        *why = "bad length";
        return NULL;
    }
    r = map(pa, len);
    if ( !r )
    {
        *why = "cannot be mapped";
        return NULL;
    }
    if ( acpi_checksum(r, len) )
    {
        *why = "bad extended checksum";
        return NULL;
    }

    return r;
}

/* Look for a valid RSDP on the 16-byte boundaries of [start, end). */
static int rsdp_scan(acpi_map_fn map, paddr_t start, paddr_t end,
                     paddr_t *rsdp)
{
    const char *base, *why;
    size_t size, off;

    start = ROUNDUP(start, 16);
    if ( end <= start )
        return -ENOENT;
    size = end - start;

    base = map(start, size);
    if ( !base )
        return -ENOENT;

    /* The 20-byte ACPI 1.0 part must lie inside the area. */
    for ( off = 0; off + RSDP_V1_LEN <= size; off += 16 )
    {
        if ( memcmp(base + off, "RSD PTR ", 8) )
            continue;
        if ( rsdp_check(map, start + off, &why) )
        {
            *rsdp = start + off;
            return 0;
        }
    }

    return -ENOENT;
}

int acpi_find_rsdp(acpi_map_fn map, paddr_t ebda, paddr_t *rsdp)
{
    if ( ebda && !rsdp_scan(map, ebda, ebda + EBDA_SCAN_LEN, rsdp) )
        return 0;

    return rsdp_scan(map, BIOS_AREA_START, BIOS_AREA_END, rsdp);
}

static void table_warn(const char *sig, paddr_t pa, const char *why)
{
    printk(XENLOG_WARNING "ACPI: %.4s table at %" PRIpaddr " %s, ignored\n",
           sig, pa, why);
}

/*
 * Map the table at pa whole and validate it: signature 'sig', a length of
 * at least min_len and at most ACPI_MAX_TABLE_LEN, and a zero checksum.
 * NULL (after a warning) when any of that fails.
 */
static const void *map_table(acpi_map_fn map, paddr_t pa, const char *sig,
                             u32 min_len, u32 *plen)
{
    const struct acpi_table_header *h = map(pa, sizeof(*h));
    const void *t;
    u32 len;

    if ( !h )
    {
        table_warn(sig, pa, "cannot be mapped");
        return NULL;
    }
    if ( memcmp(h->signature, sig, 4) )
    {
        table_warn(sig, pa, "has a bad signature");
        return NULL;
    }

    /* Read once: the value checked is the value used. */
    len = h->length;
    if ( len < sizeof(*h) )
    {
        table_warn(sig, pa, "has a length shorter than its header");
        return NULL;
    }
    if ( len < min_len )
    {
        table_warn(sig, pa, "has a length shorter than its fixed fields");
        return NULL;
    }
    if ( len > ACPI_MAX_TABLE_LEN )
    {
        table_warn(sig, pa, "has an implausible length");
        return NULL;
    }

    t = map(pa, len);
    if ( !t )
    {
        table_warn(sig, pa, "cannot be mapped whole (truncated?)");
        return NULL;
    }
    if ( acpi_checksum(t, len) )
    {
        table_warn(sig, pa, "has a bad checksum");
        return NULL;
    }

    *plen = len;
    return t;
}

static void add_cpu(struct acpi_info *info, u32 apic_id, u32 acpi_id)
{
    unsigned int i;

    for ( i = 0; i < info->nr_cpus; i++ )
    {
        if ( info->cpus[i].apic_id == apic_id )
        {
            /* Firmware may list a CPU both as LAPIC and as x2APIC. */
            printk(XENLOG_INFO "ACPI: MADT lists APIC ID %#x twice\n",
                   apic_id);
            return;
        }
    }

    if ( info->nr_cpus == ACPI_MAX_CPUS )
    {
        info->nr_cpus_ignored++;
        return;
    }

    info->cpus[info->nr_cpus].apic_id = apic_id;
    info->cpus[info->nr_cpus].acpi_id = acpi_id;
    info->nr_cpus++;
}

/* Shortest valid length of a MADT entry of this type. */
static unsigned int madt_entry_min_len(u8 type)
{
    switch ( type )
    {
    case ACPI_MADT_LAPIC:
        return sizeof(struct acpi_madt_lapic);
    case ACPI_MADT_IOAPIC:
        return sizeof(struct acpi_madt_ioapic);
    case ACPI_MADT_INT_OVERRIDE:
        return sizeof(struct acpi_madt_int_override);
    case ACPI_MADT_LAPIC_OVERRIDE:
        return sizeof(struct acpi_madt_lapic_override);
    case ACPI_MADT_X2APIC:
        return sizeof(struct acpi_madt_x2apic);
    default:
        return sizeof(struct acpi_subtable_header);
    }
}

static void madt_entry(const struct acpi_subtable_header *sh,
                       struct acpi_info *info)
{
    const struct acpi_madt_lapic *lapic;
    const struct acpi_madt_x2apic *x2apic;
    const struct acpi_madt_ioapic *ioapic;
    const struct acpi_madt_int_override *iso;
    const struct acpi_madt_lapic_override *lao;

    switch ( sh->type )
    {
    case ACPI_MADT_LAPIC:
        lapic = (const void *)sh;
        /* ID 0xff is firmware's placeholder for "no such processor". */
        if ( (lapic->flags & (ACPI_MADT_ENABLED | ACPI_MADT_ONLINE_CAPABLE))
             && lapic->apic_id != 0xff )
            add_cpu(info, lapic->apic_id, lapic->processor_id);
        break;

    case ACPI_MADT_X2APIC:
        x2apic = (const void *)sh;
        if ( (x2apic->flags & (ACPI_MADT_ENABLED | ACPI_MADT_ONLINE_CAPABLE))
             && x2apic->x2apic_id != 0xffffffffu )
            add_cpu(info, x2apic->x2apic_id, x2apic->uid);
        break;

    case ACPI_MADT_IOAPIC:
        ioapic = (const void *)sh;
        if ( info->nr_ioapics == ACPI_MAX_IOAPICS )
        {
            printk(XENLOG_WARNING
                   "ACPI: MADT: IOAPIC %u beyond the limit of %u ignored\n",
                   ioapic->id, ACPI_MAX_IOAPICS);
            break;
        }
        info->ioapics[info->nr_ioapics].id = ioapic->id;
        info->ioapics[info->nr_ioapics].address = ioapic->address;
        info->ioapics[info->nr_ioapics].gsi_base = ioapic->gsi_base;
        info->nr_ioapics++;
        break;

    case ACPI_MADT_INT_OVERRIDE:
        iso = (const void *)sh;
        if ( info->nr_overrides == ACPI_MAX_OVERRIDES )
        {
            printk(XENLOG_WARNING
                   "ACPI: MADT: override of IRQ %u beyond the limit of %u "
                   "ignored\n", iso->source_irq, ACPI_MAX_OVERRIDES);
            break;
        }
        info->overrides[info->nr_overrides].source_irq = iso->source_irq;
        info->overrides[info->nr_overrides].gsi = iso->gsi;
        info->overrides[info->nr_overrides].flags = iso->flags;
        info->nr_overrides++;
        break;

    case ACPI_MADT_LAPIC_OVERRIDE:
        lao = (const void *)sh;
        info->lapic_address = lao->address;
        break;
    }
}

static void parse_madt(const struct acpi_table_madt *madt, u32 len,
                       struct acpi_info *info)
{
    const u8 *base = (const u8 *)madt;
    u32 off = sizeof(*madt);

    info->have_madt = true;
    info->lapic_address = madt->lapic_address;
    info->pic_present = madt->flags & 1;

    while ( off < len )
    {
        const struct acpi_subtable_header *sh;
        unsigned int need;

        if ( len - off < sizeof(*sh) )
        {
            printk(XENLOG_WARNING
                   "ACPI: MADT entry at offset %u is truncated\n", off);
            break;
        }
        sh = (const void *)(base + off);

        /* A zero length would never advance; too long would overread. */
        if ( sh->length < sizeof(*sh) || sh->length > len - off )
        {
            printk(XENLOG_WARNING
                   "ACPI: MADT entry at offset %u has bad length %u\n",
                   off, sh->length);
            break;
        }
        need = madt_entry_min_len(sh->type);
        if ( sh->length < need )
        {
            printk(XENLOG_WARNING
                   "ACPI: MADT entry of type %u at offset %u is too short "
                   "(%u < %u)\n", sh->type, off, sh->length, need);
            break;
        }

        madt_entry(sh, info);
        off += sh->length;
    }

    if ( info->nr_cpus_ignored )
        printk(XENLOG_WARNING
               "ACPI: MADT: %u CPUs beyond the limit of %u ignored\n",
               info->nr_cpus_ignored, ACPI_MAX_CPUS);
}

static void parse_fadt(const struct acpi_table_fadt *fadt, u32 len,
                       struct acpi_info *info)
{
    info->have_fadt = true;

    if ( fadt->pm_tmr_blk && fadt->pm_tmr_len == 4 )
    {
        info->pm_tmr_port = fadt->pm_tmr_blk;
        info->pm_tmr_32bit = fadt->flags & ACPI_FADT_TMR_VAL_EXT;
    }

    /* Address 0 would have us poke port 0 or page 0 to reboot. */
    if ( len >= FADT_RESET_LEN && (fadt->flags & ACPI_FADT_RESET_REG_SUP) &&
         fadt->reset_reg.address )
    {
        info->have_reset_reg = true;
        info->reset_reg = fadt->reset_reg;
        info->reset_value = fadt->reset_value;
    }
}

/* Look at one table listed by the root table. */
static void parse_entry(acpi_map_fn map, paddr_t pa, struct acpi_info *info)
{
    const struct acpi_table_header *h;
    const void *t;
    u32 len;

    if ( !pa )
        return;

    h = map(pa, sizeof(*h));
    if ( !h )
    {
        printk(XENLOG_WARNING
               "ACPI: table at %" PRIpaddr " cannot be mapped, ignored\n",
               pa);
        return;
    }

    /* Only the tables used are validated: the rest are never read. */
    if ( !memcmp(h->signature, "APIC", 4) )
    {
        if ( info->have_madt )
        {
            table_warn("APIC", pa, "is a second MADT");
            return;
        }
        t = map_table(map, pa, "APIC", sizeof(struct acpi_table_madt), &len);
        if ( t )
            parse_madt(t, len, info);
    }
    else if ( !memcmp(h->signature, "FACP", 4) )
    {
        if ( info->have_fadt )
        {
            table_warn("FACP", pa, "is a second FADT");
            return;
        }
        t = map_table(map, pa, "FACP", FADT_V1_LEN, &len);
        if ( t )
            parse_fadt(t, len, info);
    }
}

int acpi_parse(acpi_map_fn map, paddr_t rsdp_pa, struct acpi_info *info)
{
    const struct acpi_rsdp *rsdp;
    const u8 *root = NULL;
    unsigned int entry_size = 0, i, n;
    const char *why;
    u32 len = 0;

    memset(info, 0, sizeof(*info));
    info->rsdp = rsdp_pa;

    rsdp = rsdp_check(map, rsdp_pa, &why);
    if ( !rsdp )
    {
        printk(XENLOG_WARNING "ACPI: RSDP at %" PRIpaddr " %s, ignored\n",
               rsdp_pa, why);
        return -EINVAL;
    }
    memcpy(info->oem_id, rsdp->oem_id, sizeof(rsdp->oem_id));

    if ( rsdp->revision >= 2 && rsdp->xsdt_address )
    {
        root = map_table(map, rsdp->xsdt_address, "XSDT",
                         sizeof(struct acpi_table_header), &len);
        entry_size = 8;
    }
    if ( !root && rsdp->rsdt_address )
    {
        root = map_table(map, rsdp->rsdt_address, "RSDT",
                         sizeof(struct acpi_table_header), &len);
        entry_size = 4;
    }
    if ( !root )
    {
        printk(XENLOG_WARNING "ACPI: no usable RSDT or XSDT\n");
        return -EINVAL;
    }

    n = (len - sizeof(struct acpi_table_header)) / entry_size;
    root += sizeof(struct acpi_table_header);
    for ( i = 0; i < n; i++ )
    {
        const u8 *e = root + i * entry_size;
        paddr_t pa;

        if ( entry_size == 8 )
            pa = ((const struct u64_unaligned *)e)->v;
        else
            pa = ((const struct u32_unaligned *)e)->v;

        parse_entry(map, pa, info);
    }

    if ( !info->have_madt )
    {
        printk(XENLOG_WARNING "ACPI: no usable MADT\n");
        return -ENOENT;
    }

    return 0;
}

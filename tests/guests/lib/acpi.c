/*
 * Minimal ACPI table walk: RSDP search with checksum, RSDT or XSDT (the
 * XSDT when the RSDP is revision 2 or later and the table lies below
 * 4 GiB, since paging is off), MADT local APIC (type 0), IOAPIC (type 1)
 * and local x2APIC (type 9) entries. Every table's checksum is verified:
 * a hypervisor that builds tables must get them right.
 */
#include "acpi.h"
#include "string.h"

struct rsdp
{
    char sig[8];
    uint8_t csum;
    char oem[6];
    uint8_t rev;
    uint32_t rsdt;
    uint32_t len;
    uint64_t xsdt;
    uint8_t xcsum, res[3];
} __attribute__((packed));

struct sdt_hdr
{
    char sig[4];
    uint32_t len;
    uint8_t rev, csum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

static uint8_t sum8(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t s = 0;

    while ( n-- )
        s += *b++;
    return s;
}

static const struct rsdp *scan(uint32_t start, uint32_t len)
{
    uint32_t a;

    for ( a = start; a + 20 <= start + len; a += 16 )
    {
        const struct rsdp *r = (const void *)a;

        if ( !memcmp(r->sig, "RSD PTR ", 8) && !sum8(r, 20) )
            return r;
    }
    return NULL;
}

static const struct rsdp *find_rsdp(void)
{
    uint32_t ebda = (uint32_t)*(volatile uint16_t *)phys(0x40e) << 4;
    const struct rsdp *r = NULL;

    /* The first KiB of the EBDA, if the BDA points at a plausible one. */
    if ( ebda >= 0x80000 && ebda < 0xa0000 )
        r = scan(ebda, 1024);
    return r ?: scan(0xe0000, 0x20000);
}

const void *acpi_find_table(const char *sig)
{
    const struct rsdp *rsdp = find_rsdp();
    const struct sdt_hdr *root;
    unsigned int i, n, esize = 4;

    if ( !rsdp )
        return NULL;
    root = (const void *)rsdp->rsdt;
    if ( rsdp->rev >= 2 && rsdp->xsdt && !(rsdp->xsdt >> 32) &&
         !sum8(rsdp, rsdp->len) )
    {
        root = (const void *)(uint32_t)rsdp->xsdt;
        esize = 8;
    }
    if ( !root || sum8(root, root->len) )
        return NULL;

    n = (root->len - sizeof(*root)) / esize;
    for ( i = 0; i < n; i++ )
    {
        const uint8_t *e = (const uint8_t *)(root + 1) + i * esize;
        uint64_t a = esize == 8 ? *(const uint64_t *)e : *(const uint32_t *)e;
        const struct sdt_hdr *t = (const void *)(uint32_t)a;

        if ( !(a >> 32) && t && !memcmp(t->sig, sig, 4) &&
             !sum8(t, t->len) )
            return t;
    }
    return NULL;
}

const char *acpi_read_madt(struct madt_info *m)
{
    const struct rsdp *rsdp = find_rsdp();
    const struct sdt_hdr *root, *madt = NULL;
    unsigned int i, n, esize;
    const uint8_t *p, *end;

    memset(m, 0, sizeof(*m));
    if ( !rsdp )
        return "no ACPI RSDP in the EBDA or 0xE0000-0xFFFFF";
    m->rsdp_addr = (uint32_t)rsdp;

    if ( rsdp->rev >= 2 && rsdp->xsdt && !(rsdp->xsdt >> 32) &&
         !sum8(rsdp, rsdp->len) )
    {
        root = (const void *)(uint32_t)rsdp->xsdt;
        esize = 8;
        m->via_xsdt = true;
    }
    else
    {
        root = (const void *)rsdp->rsdt;
        esize = 4;
    }
    if ( !root || memcmp(root->sig, m->via_xsdt ? "XSDT" : "RSDT", 4) )
        return "RSDT/XSDT signature wrong";
    if ( sum8(root, root->len) )
        return "RSDT/XSDT checksum wrong";

    n = (root->len - sizeof(*root)) / esize;
    for ( i = 0; i < n; i++ )
    {
        const uint8_t *e = (const uint8_t *)(root + 1) + i * esize;
        uint64_t a = esize == 8 ? *(const uint64_t *)e : *(const uint32_t *)e;
        const struct sdt_hdr *t;

        if ( a >> 32 )
            continue;
        t = (const void *)(uint32_t)a;
        if ( !memcmp(t->sig, "APIC", 4) )
        {
            madt = t;
            break;
        }
    }
    if ( !madt )
        return "no MADT (APIC) table in the RSDT/XSDT";
    if ( sum8(madt, madt->len) )
        return "MADT checksum wrong";
    m->madt_addr = (uint32_t)madt;
    m->lapic_addr = *(const uint32_t *)(madt + 1);

    p = (const uint8_t *)(madt + 1) + 8;    /* LAPIC address, flags */
    end = (const uint8_t *)madt + madt->len;
    for ( ; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1] )
    {
        uint32_t id, flags;

        switch ( p[0] )
        {
        case 0:                             /* processor local APIC */
            id = p[3];
            flags = *(const uint32_t *)(p + 4);
            break;
        case 9:                             /* processor local x2APIC */
            id = *(const uint32_t *)(p + 4);
            flags = *(const uint32_t *)(p + 8);
            break;
        case 1:                             /* IOAPIC */
            if ( !m->ioapic_addr )
                m->ioapic_addr = *(const uint32_t *)(p + 4);
            continue;
        default:
            continue;
        }
        if ( !(flags & 1) )
        {
            m->disabled++;
            continue;
        }
        /* A CPU may be listed both as a local APIC and a local x2APIC. */
        for ( i = 0; i < m->ncpus && m->apic_id[i] != id; i++ )
            continue;
        if ( i < m->ncpus )
            continue;
        if ( m->ncpus == MAX_CPUS )
            return "more enabled CPUs in the MADT than MAX_CPUS";
        m->apic_id[m->ncpus++] = id;
    }
    if ( !m->ncpus )
        return "MADT lists no enabled CPU";
    return NULL;
}

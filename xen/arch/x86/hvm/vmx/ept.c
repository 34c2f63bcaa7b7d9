/*
 * Extended page tables for VMX: a 4-level table per domain mapping guest
 * frames to the domain's machine frames, built on demand from the p2m
 * exactly as npt.c builds SVM's: an entry is added when the guest first
 * touches a frame (an EPT violation), never removed while the domain
 * lives; MMIO frames stay unmapped so every access to them exits.
 *
 * With APICv the domain also gets a private APIC-access page mapped at
 * the xAPIC base, so that the CPU recognises the guest's xAPIC accesses
 * and virtualizes them instead of raising EPT violations.  The page's
 * contents are never used while "virtualize APIC accesses" is on; it is
 * per domain so that a guest in x2APIC mode (where the control is off)
 * reading or writing it sees only its own page.
 *
 * Locking: ept->lock serialises building the table.  The hardware walks
 * it concurrently; each new entry is written with one 64-bit store after
 * the table below it is complete, so a walk sees either nothing or a
 * whole path.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
#include <xen/xmalloc.h>
#include <asm/page.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/vmx/vmx.h>

#define EPT_R           (1ULL << 0)
#define EPT_W           (1ULL << 1)
#define EPT_X           (1ULL << 2)
#define EPT_RWX         (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT    3
#define EPT_PRESENT(e)  ((e) & EPT_RWX)

/* EPTP: memory type in 2:0, page-walk length - 1 in 5:3. */
#define EPTP_WALK_4     (3ULL << 3)

static u64 *alloc_table(void)
{
    u64 *t = alloc_xenheap_pages(0, 0);

    if ( t )
        memset(t, 0, PAGE_SIZE);
    return t;
}

int ept_domain_init(struct domain *d)
{
    struct ept *ept = xzalloc(struct ept);
    int rc;

    if ( !ept )
        return -ENOMEM;
    spin_lock_init(&ept->lock);
    ept->root = alloc_table();
    if ( !ept->root )
    {
        xfree(ept);
        return -ENOMEM;
    }
    ept->eptp = (u64)ept->root | EPTP_WALK_4 | vmx_caps.ept_memtype;
    d->hvm->backend = ept;

    if ( vmx_caps.apicv )
    {
        ept->apic_access_page = alloc_table();
        if ( !ept->apic_access_page )
            rc = -ENOMEM;
        else
            rc = ept_map_gfn(d, APIC_DEFAULT_BASE >> PAGE_SHIFT,
                             (u64)ept->apic_access_page >> PAGE_SHIFT);
        if ( rc )
        {
            ept_domain_destroy(d);
            return rc;
        }
    }
    return 0;
}

static void free_level(u64 *t, unsigned int level)
{
    for ( unsigned int i = 0; level > 1 && i < 512; i++ )
        if ( EPT_PRESENT(t[i]) )
            free_level((u64 *)(t[i] & PADDR_MASK), level - 1);
    free_xenheap_pages(t, 0);
}

void ept_domain_destroy(struct domain *d)
{
    struct ept *ept = d->hvm->backend;

    if ( !ept )
        return;
    free_level(ept->root, 4);
    if ( ept->apic_access_page )
        free_xenheap_pages(ept->apic_access_page, 0);
    xfree(ept);
    d->hvm->backend = NULL;
}

u64 ept_eptp(const struct domain *d)
{
    const struct ept *ept = d->hvm->backend;

    return ept->eptp;
}

void *ept_apic_access_page(const struct domain *d)
{
    const struct ept *ept = d->hvm->backend;

    return ept->apic_access_page;
}

int ept_map_gfn(struct domain *d, u64 gfn, u64 mfn)
{
    struct ept *ept = d->hvm->backend;
    u64 *t;
    int rc = 0;

    /* 4 levels translate 48-bit guest-physical addresses. */
    if ( gfn >> 36 )
        return -EINVAL;

    spin_lock(&ept->lock);
    t = ept->root;
    for ( unsigned int shift = 39; shift > 12; shift -= 9 )
    {
        u64 *e = &t[(gfn << 12 >> shift) & 511];

        if ( !EPT_PRESENT(*e) )
        {
            u64 *n = alloc_table();

            if ( !n )
            {
                rc = -ENOMEM;
                goto out;
            }
            /* The new table is zeroed before the entry makes it visible. */
            WRITE_ONCE(*e, (u64)n | EPT_RWX);
        }
        t = (u64 *)(*e & PADDR_MASK);
    }
    WRITE_ONCE(t[gfn & 511], (mfn << 12) | EPT_RWX |
                             ((u64)vmx_caps.ept_memtype << EPT_MT_SHIFT));
    ept->nr_mapped++;
 out:
    spin_unlock(&ept->lock);
    return rc;
}

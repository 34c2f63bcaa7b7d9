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
 * per domain.  A vCPU whose xAPIC page does not decode (APIC globally
 * disabled, or in x2APIC mode: SDM Vol. 3A 10.4.3, 10.12.2) must not
 * reach that page either, since with the control off an access to it is
 * an ordinary memory access: such a vCPU runs on a second view of the
 * same table that lacks the page, so its accesses exit as MMIO to an
 * unbacked address, as without APICv.  Both views only ever grow, so a
 * vCPU switching between them needs no invalidation.
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

/*
 * Writes entry i of table t.  The tables on the xAPIC path have a copy
 * in the no-APIC view that holds the same entries but the one leading
 * to (or, in the last table, mapping) the APIC-access page.
 */
static void ept_set(struct ept *ept, u64 *t, unsigned int i, u64 e)
{
    WRITE_ONCE(t[i], e);
    for ( unsigned int l = 0; ept->noapic_root && l < 4; l++ )
        if ( t == ept->path[l] && i != ept->path_index[l] )
            WRITE_ONCE(ept->noapic_path[l][i], e);
}

/*
 * Called with the APIC-access page mapped and nothing else yet, so the
 * copies start from the only entries there are: the path itself.
 */
static int build_noapic_view(struct ept *ept)
{
    u64 gfn = APIC_DEFAULT_BASE >> PAGE_SHIFT;
    u64 *t = ept->root;

    for ( unsigned int l = 0; l < 4; l++ )
    {
        ept->noapic_path[l] = alloc_table();
        if ( !ept->noapic_path[l] )
            return -ENOMEM;
    }
    for ( unsigned int l = 0, shift = 39; l < 4; l++, shift -= 9 )
    {
        unsigned int i = (gfn << 12 >> shift) & 511;
        u64 *copy = ept->noapic_path[l];

        ept->path[l] = t;
        ept->path_index[l] = i;
        memcpy(copy, t, PAGE_SIZE);
        if ( l == 3 )
        {
            copy[i] = 0;
            break;
        }
        copy[i] = (t[i] & ~PADDR_MASK) | (u64)ept->noapic_path[l + 1];
        t = (u64 *)(t[i] & PADDR_MASK);
    }
    ept->noapic_root = ept->noapic_path[0];
    ept->noapic_eptp = (u64)ept->noapic_root | EPTP_WALK_4 |
                       vmx_caps.ept_memtype;
    return 0;
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
        if ( !rc )
            rc = build_noapic_view(ept);
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
    /* The view's own tables; everything below them was freed above. */
    for ( unsigned int l = 0; l < 4; l++ )
        if ( ept->noapic_path[l] )
            free_xenheap_pages(ept->noapic_path[l], 0);
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

/* Without APICv there is one view. */
u64 ept_eptp_noapic(const struct domain *d)
{
    const struct ept *ept = d->hvm->backend;

    return ept->noapic_root ? ept->noapic_eptp : ept->eptp;
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
        unsigned int i = (gfn << 12 >> shift) & 511;
        u64 *e = &t[i];

        if ( !EPT_PRESENT(*e) )
        {
            u64 *n = alloc_table();

            if ( !n )
            {
                rc = -ENOMEM;
                goto out;
            }
            /* The new table is zeroed before the entry makes it visible. */
            ept_set(ept, t, i, (u64)n | EPT_RWX);
        }
        t = (u64 *)(*e & PADDR_MASK);
    }
    ept_set(ept, t, gfn & 511, (mfn << 12) | EPT_RWX |
                               ((u64)vmx_caps.ept_memtype << EPT_MT_SHIFT));
    ept->nr_mapped++;
 out:
    spin_unlock(&ept->lock);
    return rc;
}

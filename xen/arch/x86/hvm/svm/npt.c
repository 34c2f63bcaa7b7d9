/*
 * Nested page tables for SVM: a 4-level table per domain in the long-mode
 * format, mapping guest frames to the domain's machine frames.  Entries
 * are added on demand from the p2m when the guest first touches a frame
 * (a nested page fault), never removed while the domain lives; MMIO
 * frames stay unmapped so every access to them exits.
 *
 * Locking: npt->lock serialises building the table.  The hardware walks
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
#include <asm/hvm/svm/svm.h>

/* Guest accesses count as user accesses in nested paging: U must be set. */
#define NPT_TABLE   (_PAGE_PRESENT | _PAGE_RW | (1UL << 2))
#define NPT_LEAF    (_PAGE_PRESENT | _PAGE_RW | (1UL << 2))

static u64 *alloc_table(void)
{
    u64 *t = alloc_xenheap_pages(0, 0);

    if ( t )
        memset(t, 0, PAGE_SIZE);
    return t;
}

int npt_domain_init(struct domain *d)
{
    struct npt *npt = xzalloc(struct npt);

    if ( !npt )
        return -ENOMEM;
    spin_lock_init(&npt->lock);
    npt->root = alloc_table();
    if ( !npt->root )
    {
        xfree(npt);
        return -ENOMEM;
    }
    d->hvm->backend = npt;
    return 0;
}

static void free_level(u64 *t, unsigned int level)
{
    for ( unsigned int i = 0; level > 1 && i < 512; i++ )
        if ( t[i] & _PAGE_PRESENT )
            free_level((u64 *)(t[i] & PADDR_MASK), level - 1);
    free_xenheap_pages(t, 0);
}

void npt_domain_destroy(struct domain *d)
{
    struct npt *npt = d->hvm->backend;

    if ( !npt )
        return;
    free_level(npt->root, 4);
    xfree(npt);
    d->hvm->backend = NULL;
}

u64 npt_root_pa(const struct domain *d)
{
    const struct npt *npt = d->hvm->backend;

    return (u64)npt->root;
}

int npt_map_gfn(struct domain *d, u64 gfn, u64 mfn)
{
    struct npt *npt = d->hvm->backend;
    u64 *t;
    int rc = 0;

    if ( gfn >> 40 )
        return -EINVAL;

    spin_lock(&npt->lock);
    t = npt->root;
    for ( unsigned int shift = 39; shift > 12; shift -= 9 )
    {
        u64 *e = &t[(gfn << 12 >> shift) & 511];

        if ( !(*e & _PAGE_PRESENT) )
        {
            u64 *n = alloc_table();

            if ( !n )
            {
                rc = -ENOMEM;
                goto out;
            }
            /* The new table is zeroed before the entry makes it visible. */
            WRITE_ONCE(*e, (u64)n | NPT_TABLE);
        }
        t = (u64 *)(*e & PADDR_MASK);
    }
    WRITE_ONCE(t[gfn & 511], (mfn << 12) | NPT_LEAF);
    npt->nr_mapped++;
 out:
    spin_unlock(&npt->lock);
    return rc;
}

/*
 * The physical-to-machine map (p2m) of a domain: which machine frame backs
 * each guest frame, and the copies between hypervisor memory and guest-
 * physical memory built on it.
 *
 * The map is a radix tree over the 2^40 guest frames: a 16-entry root in
 * struct p2m (bits 39..36 of the gfn), three levels of 512-pointer nodes
 * (bits 35..9, 9 bits each) and 512-entry leaves (bits 8..0) holding the
 * machine address with P2M_PRESENT.  Nodes and leaves are one hypervisor
 * page each and exist only where some frame is populated.  Memory is
 * identity-mapped, so a machine address is also the pointer to its page.
 *
 * Locking: d->page_lock protects d->p2m (the tree and every entry),
 * d->page_list and d->tot_pages.  Copies hold it while they copy, so a
 * concurrent p2m_teardown() cannot free a page under them.  Taken inside
 * it: the page allocator and xmalloc (never the other way round).  Only
 * one domain's page_lock is ever held at a time.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
#include <xen/xmalloc.h>

#define P2M_GFN_BITS        40
#define P2M_MAX_GFN         (1ULL << P2M_GFN_BITS)     /* exclusive */
#define P2M_NODE_BITS       9
#define P2M_NODE_ENTRIES    (1U << P2M_NODE_BITS)
#define P2M_LEVELS          4                           /* below the root */
#define P2M_ROOT_SHIFT      (P2M_NODE_BITS * P2M_LEVELS)
#define P2M_ROOT_ENTRIES    (1U << (P2M_GFN_BITS - P2M_ROOT_SHIFT))

#define P2M_PRESENT         1ULL
#define INVALID_MFN         (~0ULL)

BUILD_BUG_ON(P2M_NODE_ENTRIES * sizeof(u64) != PAGE_SIZE);

/*
 * Tree levels: P2M_LEVELS is the root, 0 the leaves.  An entry of a node
 * at level l >= 1 points to a level l-1 node (or is 0); a leaf entry is a
 * machine address | P2M_PRESENT (or 0).
 */
struct p2m
{
    u64 root[P2M_ROOT_ENTRIES];
};

/* Guest frames covered by one entry of a level-l node. */
static u64 entry_span(unsigned int l)
{
    return 1ULL << (P2M_NODE_BITS * l);
}

static unsigned int entry_index(u64 gfn, unsigned int l)
{
    return (gfn >> (P2M_NODE_BITS * l)) & (P2M_NODE_ENTRIES - 1);
}

static u64 *node_of(u64 entry)
{
    return (u64 *)(uintptr_t)entry;
}

static void *maddr_to_virt(u64 maddr)
{
    return (void *)(uintptr_t)maddr;
}

/* Machine frame of gfn, or INVALID_MFN; page_lock held. */
static u64 lookup_locked(const struct domain *d, u64 gfn)
{
    const struct p2m *p2m = d->p2m;
    u64 e;

    if ( !p2m || gfn >= P2M_MAX_GFN )
        return INVALID_MFN;

    e = p2m->root[gfn >> P2M_ROOT_SHIFT];
    for ( unsigned int l = P2M_LEVELS - 1; e; l-- )
    {
        e = node_of(e)[entry_index(gfn, l)];
        if ( l == 0 )
            break;
    }
    return (e & P2M_PRESENT) ? PFN_DOWN(e) : INVALID_MFN;
}

/*
 * Count the nodes missing to map [lo, hi) below 'entry', an entry at
 * 'level' + 1 covering that range (0 when absent).  -EEXIST when any gfn
 * in the range is already mapped.  page_lock held.
 */
static long count_missing(u64 entry, unsigned int level, u64 lo, u64 hi)
{
    u64 *node = entry ? node_of(entry) : NULL;
    long n = node ? 0 : 1;
    u64 span = entry_span(level);

    if ( level == 0 )
    {
        if ( node )
            for ( u64 g = lo; g < hi; g++ )
                if ( node[entry_index(g, 0)] )
                    return -EEXIST;
        return n;
    }

    for ( u64 g = lo; g < hi; )
    {
        u64 end = min(ROUNDDOWN(g, span) + span, hi);
        long sub = count_missing(node ? node[entry_index(g, level)] : 0,
                                 level - 1, g, end);

        if ( sub < 0 )
            return sub;
        n += sub;
        g = end;
    }
    return n;
}

/* Node memory set aside before the tree is touched: a chain of pages. */
struct node_pool
{
    void *first;
};

static void *pool_take(struct node_pool *pool)
{
    void *p = pool->first;

    BUG_ON(!p);     /* count_missing() was wrong */
    pool->first = *(void **)p;
    memset(p, 0, PAGE_SIZE);
    return p;
}

static void pool_free(struct node_pool *pool)
{
    while ( pool->first )
    {
        void *p = pool->first;

        pool->first = *(void **)p;
        free_xenheap_pages(p, 0);
    }
}

/*
 * Map [lo, hi) below *entry (at level + 1) to the pages listed from *pos
 * on, advancing it, taking missing nodes from the pool.  Cannot fail.  page_lock held.
 */
static void map_range(u64 *entry, unsigned int level, u64 lo, u64 hi,
                      struct node_pool *pool, struct list_head **pos)
{
    u64 *node, span = entry_span(level);

    if ( !*entry )
        *entry = (u64)(uintptr_t)pool_take(pool);
    node = node_of(*entry);

    for ( u64 g = lo; g < hi; )
    {
        u64 end = min(ROUNDDOWN(g, span) + span, hi);

        if ( level == 0 )
        {
            struct page_info *pg = list_entry(*pos, struct page_info, list);

            node[entry_index(g, 0)] =
                ((u64)page_to_pfn(pg) << PAGE_SHIFT) | P2M_PRESENT;
            *pos = (*pos)->next;
        }
        else
            map_range(&node[entry_index(g, level)], level - 1, g, end,
                      pool, pos);
        g = end;
    }
}

static void free_pages_on(struct list_head *list)
{
    struct page_info *pg, *tmp;

    list_for_each_entry_safe ( pg, tmp, list, list )
    {
        list_del(&pg->list);
        free_heap_pages(pg, 0);
    }
}

/* Move every entry of 'from' to the tail of 'to'. */
static void move_list(struct list_head *from, struct list_head *to)
{
    while ( !list_empty(from) )
    {
        struct list_head *e = from->next;

        list_del(e);
        list_add_tail(e, to);
    }
}

/*
 * All or nothing: every node and page is obtained before the tree changes,
 * so a failure leaves the map, the page list and tot_pages as they were.
 */
int p2m_populate(struct domain *d, u64 gfn, u64 nr)
{
    struct node_pool pool = { NULL };
    LIST_HEAD(pages);
    struct list_head *pos;
    struct p2m *p2m;
    bool fresh = false;
    long need;
    int rc;

    if ( nr == 0 || gfn >= P2M_MAX_GFN || nr > P2M_MAX_GFN - gfn )
        return -EINVAL;

    spin_lock(&d->page_lock);

    /* Teardown follows the move to dying: after it, nothing may be added. */
    rc = -EINVAL;
    if ( __atomic_load_n(&d->state, __ATOMIC_SEQ_CST) != DOMSTATE_active )
        goto out;

    rc = -ENOMEM;
    if ( nr > d->max_pages || d->tot_pages > d->max_pages - nr )
        goto out;
    /*
     * A request the heap cannot meet is refused before it takes anything:
     * taking every free page first, then giving them all back, held a dom0
     * vCPU for half a minute on an emulator.  Another domain may still take
     * pages after this check; the loop below then fails as before.
     */
    if ( nr > free_heap_pages_count() )
        goto out;

    p2m = d->p2m;
    if ( !p2m )
    {
        p2m = xzalloc(struct p2m);
        if ( !p2m )
            goto out;
        d->p2m = p2m;
        fresh = true;
    }

    need = 0;
    for ( u64 g = gfn, span = entry_span(P2M_LEVELS); g < gfn + nr; )
    {
        u64 end = min(ROUNDDOWN(g, span) + span, gfn + nr);
        long sub = count_missing(p2m->root[g >> P2M_ROOT_SHIFT],
                                 P2M_LEVELS - 1, g, end);

        if ( sub < 0 )
        {
            rc = sub;
            goto fail;
        }
        need += sub;
        g = end;
    }

    rc = -ENOMEM;
    while ( need-- )
    {
        void *p = alloc_xenheap_pages(0, 0);

        if ( !p )
            goto fail;
        *(void **)p = pool.first;
        pool.first = p;
    }

    for ( u64 i = 0; i < nr; i++ )
    {
        struct page_info *pg = alloc_heap_pages(0, 0, PGS_domain,
                                                d->domain_id);

        if ( !pg )
            goto fail;
        list_add_tail(&pg->list, &pages);
    }

    /*
     * Never hand a guest what the previous owner left behind.  Zeroed only
     * now that every page is ours, so a failure costs no writes.
     */
    list_for_each ( pos, &pages )
    {
        struct page_info *pg = list_entry(pos, struct page_info, list);

        memset(maddr_to_virt((u64)page_to_pfn(pg) << PAGE_SHIFT), 0,
               PAGE_SIZE);
    }

    /* Nothing can fail from here on. */
    pos = pages.next;
    for ( u64 g = gfn, span = entry_span(P2M_LEVELS); g < gfn + nr; )
    {
        u64 end = min(ROUNDDOWN(g, span) + span, gfn + nr);

        map_range(&p2m->root[g >> P2M_ROOT_SHIFT], P2M_LEVELS - 1, g, end,
                  &pool, &pos);
        g = end;
    }
    ASSERT(pos == &pages && !pool.first);

    move_list(&pages, &d->page_list);
    d->tot_pages += nr;
    rc = 0;
    goto out;

 fail:
    free_pages_on(&pages);
    pool_free(&pool);
    if ( fresh )
    {
        d->p2m = NULL;
        xfree(p2m);
    }
 out:
    spin_unlock(&d->page_lock);
    return rc;
}

u64 p2m_lookup(const struct domain *d, u64 gfn)
{
    /* The lock is not part of the map's value: a const domain may take it. */
    spinlock_t *lock = (spinlock_t *)&d->page_lock;
    u64 mfn;

    spin_lock(lock);
    mfn = lookup_locked(d, gfn);
    spin_unlock(lock);
    return mfn;
}

/* Free the nodes below an entry at level + 1. */
static void free_tree(u64 entry, unsigned int level)
{
    u64 *node = node_of(entry);

    if ( !entry )
        return;
    if ( level > 0 )
        for ( unsigned int i = 0; i < P2M_NODE_ENTRIES; i++ )
            free_tree(node[i], level - 1);
    free_xenheap_pages(node, 0);
}

void p2m_teardown(struct domain *d)
{
    LIST_HEAD(pages);
    struct p2m *p2m;

    /* Detach under the lock, free outside it. */
    spin_lock(&d->page_lock);
    p2m = d->p2m;
    d->p2m = NULL;
    move_list(&d->page_list, &pages);
    d->tot_pages = 0;
    spin_unlock(&d->page_lock);

    free_pages_on(&pages);
    if ( p2m )
    {
        for ( unsigned int i = 0; i < P2M_ROOT_ENTRIES; i++ )
            free_tree(p2m->root[i], P2M_LEVELS - 1);
        xfree(p2m);
    }
}

/*
 * Copy len bytes between buf and guest-physical gpa.  Every frame of the
 * range is checked before the first byte moves, under the lock that
 * teardown takes: either the whole copy happens or none of it (-EFAULT).
 */
static int copy_guest_phys(struct domain *d, u64 gpa, void *buf, size_t len,
                           bool to_guest)
{
    u64 first, last;

    if ( len == 0 )
        return 0;
    if ( gpa + len - 1 < gpa )
        return -EFAULT;             /* wraps around the address space */
    first = PFN_DOWN(gpa);
    last = PFN_DOWN(gpa + len - 1);
    if ( last >= P2M_MAX_GFN )
        return -EFAULT;

    spin_lock(&d->page_lock);

    for ( u64 gfn = first; gfn <= last; gfn++ )
        if ( lookup_locked(d, gfn) == INVALID_MFN )
        {
            spin_unlock(&d->page_lock);
            return -EFAULT;
        }

    for ( size_t done = 0; done < len; )
    {
        u64 at = gpa + done;
        size_t off = at & (PAGE_SIZE - 1);
        size_t chunk = min(len - done, (size_t)(PAGE_SIZE - off));
        char *page = maddr_to_virt(lookup_locked(d, PFN_DOWN(at)) <<
                                   PAGE_SHIFT);

        if ( to_guest )
            memcpy(page + off, (char *)buf + done, chunk);
        else
            memcpy((char *)buf + done, page + off, chunk);
        done += chunk;
    }

    spin_unlock(&d->page_lock);
    return 0;
}

int copy_from_guest_phys(struct domain *d, void *dst, u64 gpa, size_t len)
{
    return copy_guest_phys(d, gpa, dst, len, false);
}

int copy_to_guest_phys(struct domain *d, u64 gpa, const void *src,
                       size_t len)
{
    /* Only read through when copying to the guest. */
    return copy_guest_phys(d, gpa, (void *)src, len, true);
}

/*
 * The physical page allocator: a binary buddy allocator over the frame
 * table.  Free memory sits in one list per order; every free block is
 * naturally aligned (its first pfn is a multiple of its size) and its head
 * page records the order, so a block's buddy is found by flipping one bit
 * of its pfn and merging needs no search.
 *
 * Locking: heap_lock protects the frame table entries, the free lists and
 * every counter below.  It is a plain spinlock, so the allocator must not
 * be called from interrupt context.  No other lock is taken under it.
 *
 * Misuse is a hypervisor bug and panics (after dropping heap_lock, with the
 * heap left untouched): freeing a page that is already free (double free)
 * or reserved, a misaligned or out-of-range block, handing a frame to the
 * heap twice, or asking for a page in a state other than xen or domain.
 */

#include <xen/lib.h>
#include <xen/mm.h>
#include <xen/spinlock.h>

#define NR_PAGE_STATES  (PGS_domain + 1)

static DEFINE_SPINLOCK(heap_lock);

static struct page_info *frame_table;
static unsigned long nr_frames;
static struct list_head free_lists[MAX_ORDER + 1];

static unsigned long nr_heap_pages;              /* ever handed to heap */
static unsigned long nr_in_state[NR_PAGE_STATES];

/*
 * Report misuse.  Everything is checked before anything is changed, so
 * dropping the lock first keeps the heap consistent for whoever inspects
 * it while the panic is reported.
 */
#define heap_bug(fmt, ...)                                              \
    do {                                                                \
        spin_unlock(&heap_lock);                                        \
        panic("page_alloc: " fmt, ##__VA_ARGS__);                       \
    } while ( 0 )

void page_alloc_init(struct page_info *ft, unsigned long nr)
{
    unsigned long i;
    unsigned int o;

    /* Boot time, before any other CPU runs: no one can hold the lock. */
    spin_lock_init(&heap_lock);

    BUG_ON(nr && !ft);

    frame_table = ft;
    nr_frames = nr;

    for ( i = 0; i < nr; i++ )
    {
        INIT_LIST_HEAD(&ft[i].list);
        ft[i].state = PGS_reserved;
        ft[i].order = 0;
        ft[i].head = false;
        ft[i].owner = 0;
    }

    for ( o = 0; o <= MAX_ORDER; o++ )
        INIT_LIST_HEAD(&free_lists[o]);

    nr_heap_pages = 0;
    for ( i = 0; i < NR_PAGE_STATES; i++ )
        nr_in_state[i] = 0;
    nr_in_state[PGS_reserved] = nr;
}

/*
 * Put the block [pfn, pfn + 2^order) on the free lists, merging it with its
 * buddy for as long as the buddy is a whole free block of the same order.
 * The caller has made every page of the block PGS_free.  heap_lock held.
 */
static void free_block(unsigned long pfn, unsigned int order)
{
    while ( order < MAX_ORDER )
    {
        unsigned long buddy = pfn ^ (1UL << order);
        struct page_info *b;

        if ( buddy >= nr_frames )
            break;

        b = &frame_table[buddy];
        if ( b->state != PGS_free || !b->head || b->order != order )
            break;

        list_del(&b->list);
        b->head = false;
        b->order = 0;
        pfn &= ~(1UL << order);
        order++;
    }

    frame_table[pfn].head = true;
    frame_table[pfn].order = order;
    list_add(&frame_table[pfn].list, &free_lists[order]);
}

void init_heap_pages(unsigned long pfn, unsigned long nr)
{
    unsigned long i;

    if ( !nr )
        return;

    spin_lock(&heap_lock);

    if ( pfn >= nr_frames || nr > nr_frames - pfn )
        heap_bug("init_heap_pages(%#lx, %#lx) beyond %#lx frames",
                 pfn, nr, nr_frames);

    for ( i = pfn; i < pfn + nr; i++ )
        if ( frame_table[i].state != PGS_reserved )
            heap_bug("init_heap_pages: pfn %#lx is not reserved (state %u)",
                     i, frame_table[i].state);

    for ( i = pfn; i < pfn + nr; i++ )
    {
        frame_table[i].state = PGS_free;
        frame_table[i].owner = 0;
    }

    nr_in_state[PGS_reserved] -= nr;
    nr_in_state[PGS_free] += nr;
    nr_heap_pages += nr;

    /*
     * Free in the largest naturally aligned chunks that fit rather than
     * page by page: the result is the same, the work is logarithmic.
     */
    while ( nr )
    {
        unsigned int order = 0;

        while ( order < MAX_ORDER &&
                !(pfn & (1UL << order)) &&
                (2UL << order) <= nr )
            order++;

        free_block(pfn, order);
        pfn += 1UL << order;
        nr -= 1UL << order;
    }

    spin_unlock(&heap_lock);
}

/* One past the highest pfn a MEMF_bits() limit allows; ~0UL for none. */
static unsigned long pfn_limit(unsigned int memflags)
{
    unsigned int bits = MEMF_bits_of(memflags);

    if ( !bits || bits >= PAGE_SHIFT + 8 * sizeof(unsigned long) )
        return ~0UL;
    if ( bits < PAGE_SHIFT )
        return 0;
    return 1UL << (bits - PAGE_SHIFT);
}

struct page_info *alloc_heap_pages(unsigned int order, unsigned int memflags,
                                   enum page_state state, u16 owner)
{
    unsigned long limit = pfn_limit(memflags), pfn = 0, i;
    struct page_info *pg = NULL;
    unsigned int o;

    if ( state != PGS_xen && state != PGS_domain )
        panic("page_alloc: cannot allocate pages in state %u", state);

    if ( order > MAX_ORDER || limit < (1UL << order) )
        return NULL;

    spin_lock(&heap_lock);

    /* Before page_alloc_init() the free lists are not even lists yet. */
    if ( !nr_frames )
    {
        spin_unlock(&heap_lock);
        return NULL;
    }

    /*
     * Smallest order first.  Splitting hands out the lowest part of a
     * block, so a block qualifies under a MEMF_bits() limit as soon as its
     * first 2^order pages lie below it.
     */
    for ( o = order; o <= MAX_ORDER && !pg; o++ )
    {
        struct page_info *cand;

        list_for_each_entry(cand, &free_lists[o], list)
        {
            unsigned long cpfn = cand - frame_table;

            if ( cpfn + (1UL << order) <= limit )
            {
                pg = cand;
                pfn = cpfn;
                break;
            }
        }
    }

    if ( !pg )
    {
        spin_unlock(&heap_lock);
        return NULL;
    }

    o = pg->order;
    list_del(&pg->list);
    pg->head = false;
    pg->order = 0;

    /* Give back the upper halves until the block is the size wanted. */
    while ( o > order )
    {
        struct page_info *upper;

        o--;
        upper = &frame_table[pfn + (1UL << o)];
        upper->head = true;
        upper->order = o;
        list_add(&upper->list, &free_lists[o]);
    }

    for ( i = 0; i < (1UL << order); i++ )
    {
        pg[i].state = state;
        pg[i].owner = state == PGS_domain ? owner : 0;
        INIT_LIST_HEAD(&pg[i].list);
    }

    nr_in_state[PGS_free] -= 1UL << order;
    nr_in_state[state] += 1UL << order;

    spin_unlock(&heap_lock);

    return pg;
}

void free_heap_pages(struct page_info *pg, unsigned int order)
{
    unsigned long pfn, i;

    spin_lock(&heap_lock);

    if ( pg < frame_table || pg >= frame_table + nr_frames )
        heap_bug("free_heap_pages: %p is not in the frame table",
                 (void *)pg);

    pfn = pg - frame_table;

    if ( order > MAX_ORDER || (pfn & ((1UL << order) - 1)) ||
         (1UL << order) > nr_frames - pfn )
        heap_bug("free_heap_pages: bad block pfn %#lx order %u", pfn, order);

    for ( i = 0; i < (1UL << order); i++ )
    {
        switch ( pg[i].state )
        {
        case PGS_xen:
        case PGS_domain:
            break;
        case PGS_free:
            heap_bug("double free of pfn %#lx", pfn + i);
        default:
            heap_bug("freeing reserved pfn %#lx", pfn + i);
        }
    }

    for ( i = 0; i < (1UL << order); i++ )
    {
        nr_in_state[pg[i].state]--;
        pg[i].state = PGS_free;
        pg[i].owner = 0;
        pg[i].head = false;
        pg[i].order = 0;
    }
    nr_in_state[PGS_free] += 1UL << order;

    free_block(pfn, order);

    spin_unlock(&heap_lock);
}

void assign_boot_pages(unsigned long pfn, unsigned long nr)
{
    unsigned long i;

    spin_lock(&heap_lock);

    if ( pfn >= nr_frames || nr > nr_frames - pfn )
        heap_bug("assign_boot_pages(%#lx, %#lx) beyond %#lx frames",
                 pfn, nr, nr_frames);
    for ( i = pfn; i < pfn + nr; i++ )
        if ( frame_table[i].state != PGS_reserved )
            heap_bug("assign_boot_pages: pfn %#lx is not reserved (state %u)",
                     i, frame_table[i].state);

    for ( i = pfn; i < pfn + nr; i++ )
        frame_table[i].state = PGS_xen;
    nr_in_state[PGS_reserved] -= nr;
    nr_in_state[PGS_xen] += nr;

    spin_unlock(&heap_lock);
}

unsigned long page_to_pfn(const struct page_info *pg)
{
    /* The frame table never moves after page_alloc_init(): no lock. */
    return pg - frame_table;
}

struct page_info *pfn_to_page(unsigned long pfn)
{
    return pfn < nr_frames ? &frame_table[pfn] : NULL;
}

enum page_state page_state_of(unsigned long pfn)
{
    enum page_state s = PGS_reserved;

    spin_lock(&heap_lock);
    if ( pfn < nr_frames )
        s = frame_table[pfn].state;
    spin_unlock(&heap_lock);

    return s;
}

unsigned long total_heap_pages(void)
{
    unsigned long n;

    spin_lock(&heap_lock);
    n = nr_heap_pages;
    spin_unlock(&heap_lock);

    return n;
}

unsigned long free_heap_pages_count(void)
{
    return pages_in_state(PGS_free);
}

unsigned long pages_in_state(enum page_state state)
{
    unsigned long n;

    if ( (unsigned int)state >= NR_PAGE_STATES )
        return 0;

    spin_lock(&heap_lock);
    n = nr_in_state[state];
    spin_unlock(&heap_lock);

    return n;
}

/*
 * xmalloc: small objects come from per-size-class pools of single pages
 * from the hypervisor heap; anything larger than the biggest class takes
 * whole pages of its own.
 *
 * Every page xmalloc hands objects out of starts with a header, and every
 * pointer it returns lies within the first page of its block, so xfree()
 * finds the header by rounding the pointer down to its page:
 *
 *  - a pool page: struct pool_page, then equal slots of its class; a
 *    bitmap of slots in use catches double and misaligned frees
 *    deterministically, without trusting anything stored in the objects;
 *  - a large block: struct large_hdr recording the order, then the object.
 *
 * Locking: xmalloc_lock protects the class lists and the header of every
 * pool page.  Pages are obtained and given back with the lock dropped, so
 * it never nests with the page allocator's lock.  Large blocks are
 * private to their owner and need no lock.  Like the page allocator, this
 * is not for interrupt context.
 */

#include <xen/lib.h>
#include <xen/list.h>
#include <xen/mm.h>
#include <xen/spinlock.h>
#include <xen/xmalloc.h>

#define XMALLOC_ALIGN   16

#define POOL_MAGIC      0x786d706fu      /* "xmpo" */
#define LARGE_MAGIC     0x786d6c67u      /* "xmlg" */

/* Slot sizes: multiples of 16, chosen to waste little of a 4 KiB page. */
static const unsigned int class_size[] = {
    16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 672, 1008, 1344, 2016,
};
#define NR_CLASSES      ARRAY_SIZE(class_size)

#define POOL_HDR_SIZE   64
#define POOL_SLOTS_MAX  ((PAGE_SIZE - POOL_HDR_SIZE) / 16)
#define BITMAP_WORDS    DIV_ROUND_UP(POOL_SLOTS_MAX, 64)

struct pool_page
{
    u32 magic;
    u16 cls;
    u16 inuse;                  /* slots handed out */
    struct list_head list;      /* on its class's list while not full */
    u64 used[BITMAP_WORDS];     /* bit set: slot handed out */
};

struct large_hdr
{
    u32 magic;
    u32 order;
    u64 pad;
};

BUILD_BUG_ON(sizeof(struct pool_page) > POOL_HDR_SIZE);
BUILD_BUG_ON(sizeof(struct large_hdr) != XMALLOC_ALIGN);
BUILD_BUG_ON(POOL_HDR_SIZE % XMALLOC_ALIGN);

struct size_class
{
    struct list_head pages;     /* pool pages with at least one free slot */
    unsigned int nr_empty;      /* of those, how many have no slot in use */
};

static DEFINE_SPINLOCK(xmalloc_lock);
static struct size_class classes[NR_CLASSES];
static bool classes_ready;

/* Keep one empty page per class so a free/alloc pair does not thrash. */
#define MAX_EMPTY_PER_CLASS 1

static unsigned int slots_per_page(unsigned int cls)
{
    return (PAGE_SIZE - POOL_HDR_SIZE) / class_size[cls];
}

static void classes_init(void)
{
    unsigned int i;

    /* The lock is held: the first caller sets the lists up. */
    if ( classes_ready )
        return;
    for ( i = 0; i < NR_CLASSES; i++ )
    {
        INIT_LIST_HEAD(&classes[i].pages);
        classes[i].nr_empty = 0;
    }
    classes_ready = true;
}

/* Take a free slot from a page of the class's list; lock held. */
static void *pool_take(unsigned int cls)
{
    struct size_class *c = &classes[cls];
    struct pool_page *pp;
    unsigned int w, slot;

    if ( list_empty(&c->pages) )
        return NULL;

    pp = list_first_entry(&c->pages, struct pool_page, list);

    for ( w = 0; ; w++ )
    {
        ASSERT(w < BITMAP_WORDS);
        if ( ~pp->used[w] )
            break;
    }
    slot = w * 64 + __builtin_ctzll(~pp->used[w]);
    ASSERT(slot < slots_per_page(cls));

    pp->used[w] |= 1ULL << (slot % 64);
    if ( pp->inuse++ == 0 )
        c->nr_empty--;
    if ( pp->inuse == slots_per_page(cls) )
        list_del(&pp->list);

    return (char *)pp + POOL_HDR_SIZE + slot * class_size[cls];
}

/* Make a fresh page from the heap a pool page of class cls; lock held. */
static void pool_add_page(unsigned int cls, void *page)
{
    struct pool_page *pp = page;
    unsigned int w, n = slots_per_page(cls);

    pp->magic = POOL_MAGIC;
    pp->cls = cls;
    pp->inuse = 0;
    /* Slots past the end of the page are marked used, never handed out. */
    for ( w = 0; w < BITMAP_WORDS; w++ )
    {
        if ( n >= (w + 1) * 64 )
            pp->used[w] = 0;
        else if ( n <= w * 64 )
            pp->used[w] = ~0ULL;
        else
            pp->used[w] = ~0ULL << (n - w * 64);
    }
    list_add_tail(&pp->list, &classes[cls].pages);
    classes[cls].nr_empty++;
}

static void *large_alloc(size_t size)
{
    struct large_hdr *h;
    unsigned int order = 0;

    if ( size > (PAGE_SIZE << MAX_ORDER) - sizeof(*h) )
        return NULL;
    while ( (PAGE_SIZE << order) < size + sizeof(*h) )
        order++;

    h = alloc_xenheap_pages(order, 0);
    if ( !h )
        return NULL;

    h->magic = LARGE_MAGIC;
    h->order = order;
    h->pad = 0;

    return h + 1;
}

void *xmalloc_bytes(size_t size)
{
    unsigned int cls;
    void *p, *page;

    /* Size 0 lands in the smallest class: a unique pointer xfree() takes. */
    for ( cls = 0; cls < NR_CLASSES; cls++ )
        if ( size <= class_size[cls] )
            break;
    if ( cls == NR_CLASSES )
        return large_alloc(size);

    spin_lock(&xmalloc_lock);
    classes_init();
    p = pool_take(cls);
    spin_unlock(&xmalloc_lock);
    if ( p )
        return p;

    page = alloc_xenheap_pages(0, 0);
    if ( !page )
        return NULL;

    /*
     * Another CPU may have refilled the class meanwhile; adding the page
     * anyway is harmless, the surplus empty page goes back on a free.
     */
    spin_lock(&xmalloc_lock);
    pool_add_page(cls, page);
    p = pool_take(cls);
    spin_unlock(&xmalloc_lock);

    return p;
}

void *xzalloc_bytes(size_t size)
{
    void *p = xmalloc_bytes(size);

    if ( p )
        memset(p, 0, size);
    return p;
}

void *xzalloc_array_bytes(size_t size, size_t n)
{
    size_t bytes;

    if ( __builtin_mul_overflow(size, n, &bytes) )
        return NULL;
    return xzalloc_bytes(bytes);
}

void xfree(void *p)
{
    unsigned long va = (unsigned long)p, off;
    struct pool_page *pp;
    unsigned int cls, slot;
    void *release = NULL;

    if ( !p )
        return;

    if ( va % XMALLOC_ALIGN )
        panic("xfree: misaligned pointer %p", p);

    pp = (struct pool_page *)(va & PAGE_MASK);
    off = va - (unsigned long)pp;

    if ( pp->magic == LARGE_MAGIC )
    {
        struct large_hdr *h = (struct large_hdr *)pp;
        unsigned int order = h->order;

        if ( off != sizeof(*h) || order > MAX_ORDER )
            panic("xfree: bad pointer %p", p);
        /* Forget the header so a second xfree() of p is not accepted. */
        h->magic = 0;
        free_xenheap_pages(h, order);
        return;
    }

    spin_lock(&xmalloc_lock);

    if ( pp->magic != POOL_MAGIC || pp->cls >= NR_CLASSES ||
         off < POOL_HDR_SIZE ||
         (off - POOL_HDR_SIZE) % class_size[pp->cls] )
    {
        spin_unlock(&xmalloc_lock);
        panic("xfree: bad pointer %p", p);
    }

    cls = pp->cls;
    slot = (off - POOL_HDR_SIZE) / class_size[cls];
    if ( slot >= slots_per_page(cls) ||
         !(pp->used[slot / 64] & (1ULL << (slot % 64))) )
    {
        spin_unlock(&xmalloc_lock);
        panic("xfree: double free of %p", p);
    }

    pp->used[slot / 64] &= ~(1ULL << (slot % 64));
    if ( pp->inuse-- == slots_per_page(cls) )
        list_add(&pp->list, &classes[cls].pages);

    if ( !pp->inuse )
    {
        if ( classes[cls].nr_empty >= MAX_EMPTY_PER_CLASS )
        {
            list_del(&pp->list);
            pp->magic = 0;
            release = pp;
        }
        else
            classes[cls].nr_empty++;
    }

    spin_unlock(&xmalloc_lock);

    if ( release )
        free_xenheap_pages(release, 0);
}

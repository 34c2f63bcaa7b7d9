/*
 * The physical page allocator: a binary buddy allocator over a frame table
 * that records, for every machine page, whether it is free, reserved
 * (firmware, MMIO holes, boot modules), the hypervisor's, or a domain's.
 */
#ifndef XEN_MM_H
#define XEN_MM_H

#include <xen/types.h>
#include <xen/list.h>

#define PAGE_SHIFT      12
#define PAGE_SIZE       (1UL << PAGE_SHIFT)
#define PAGE_MASK       (~(PAGE_SIZE - 1))
#define MAX_ORDER       20      /* largest block: 2^20 pages = 4 GiB */

#define PFN_DOWN(a)     ((a) >> PAGE_SHIFT)
#define PFN_UP(a)       (((a) + PAGE_SIZE - 1) >> PAGE_SHIFT)

enum page_state
{
    PGS_reserved = 0,   /* not RAM, firmware, or withheld: never allocated */
    PGS_free,           /* in the buddy free lists */
    PGS_xen,            /* owned by the hypervisor */
    PGS_domain,         /* owned by a domain (see owner) */
};

struct page_info
{
    struct list_head list;  /* free list link while free; owner's list */
    u8 state;               /* enum page_state */
    u8 order;               /* free: order of the block this page heads */
    bool head;              /* free: this page heads a free block */
    u16 owner;              /* PGS_domain: the owning domain id */
};

/* Allocation flags: MEMF_bits(n) keeps the block below 2^n bytes. */
#define MEMF_bits(n)    ((unsigned int)(n) & 0xff)
#define MEMF_bits_of(f) ((f) & 0xff)

/*
 * Start the allocator over 'nr' frames, all initially PGS_reserved.  The
 * frame table must hold 'nr' entries; page frame numbers index it.
 */
void page_alloc_init(struct page_info *frame_table, unsigned long nr);

/* Hand frames [pfn, pfn+nr) to the free lists, merging buddies. */
void init_heap_pages(unsigned long pfn, unsigned long nr);

/*
 * Record reserved frames [pfn, pfn+nr) as the hypervisor's own (its image,
 * the frame table) without handing them to the heap: they are never
 * allocated or freed, but the frame table says who uses them.
 */
void assign_boot_pages(unsigned long pfn, unsigned long nr);

/* Allocate 2^order contiguous, naturally aligned frames; NULL if none. */
struct page_info *alloc_heap_pages(unsigned int order, unsigned int memflags,
                                   enum page_state state, u16 owner);
void free_heap_pages(struct page_info *pg, unsigned int order);

unsigned long page_to_pfn(const struct page_info *pg);
struct page_info *pfn_to_page(unsigned long pfn);
enum page_state page_state_of(unsigned long pfn);

unsigned long total_heap_pages(void);   /* frames ever handed to the heap */
unsigned long free_heap_pages_count(void);
unsigned long pages_in_state(enum page_state state);

/*
 * Hypervisor-heap wrappers (arch/x86/mm.c): memory is identity-mapped, so
 * the returned pointer is also the machine address.
 */
void *alloc_xenheap_pages(unsigned int order, unsigned int memflags);
void free_xenheap_pages(void *v, unsigned int order);

#endif /* XEN_MM_H */

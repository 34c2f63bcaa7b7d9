/*
 * Building a guest's address space for the tests: page tables of every
 * paging mode written into a test domain's populated memory, and data
 * buffers mapped in it, so walks and hypercalls go through the real p2m
 * and page-table copy paths.
 *
 * The builder keeps its own record of the buffers it maps and reads and
 * writes them through guest-physical addresses, so the tests do not
 * depend on the walker they test.
 */
#ifndef UNIT_HYPERCALL_GUEST_H
#define UNIT_HYPERCALL_GUEST_H

#include <xen/types.h>
#include <xen/guest_access.h>
#include <xen/sched.h>

enum guest_mode { GM_NONE, GM_32, GM_PAE, GM_LONG };

/* Guest frames for page tables and buffers: [POOL_GFN, +POOL_PAGES). */
#define GUEST_POOL_GFN      0x100
#define GUEST_POOL_PAGES    192
/* guest_buf() hands out virtual addresses from here up. */
#define GUEST_DATA_VA       0x10000000ULL

#define GUEST_MAX_BUF_PAGES 256

struct guest
{
    struct domain *d;
    enum guest_mode mode;
    struct guest_paging pg;
    u64 pool_next;                  /* next free gfn of the pool */
    u64 data_va;                    /* next guest_buf() address */
    unsigned int nr_buf;
    struct { u64 va, gpa; } buf[GUEST_MAX_BUF_PAGES];
};

/* Paging-register values of each mode (NX enabled if 'nxe'). */
void guest_paging_for(enum guest_mode mode, bool nxe,
                      struct guest_paging *pg);

/* Populate d's pool and set up an empty address space of 'mode'. */
void guest_init(struct guest *g, struct domain *d, enum guest_mode mode,
                bool nxe);

/* A fresh zeroed page from the pool: its guest-physical address. */
u64 guest_alloc_page(struct guest *g);

/* Entry sizes in bytes and the page sizes a mode can map. */
#define SZ_4K   (1ULL << 12)
#define SZ_2M   (1ULL << 21)
#define SZ_4M   (1ULL << 22)
#define SZ_1G   (1ULL << 30)

/*
 * Map va to gpa with one page of 'size' and the leaf flags given (PS is
 * added for big pages); missing tables are made present and writable.
 * Returns the guest-physical address of the leaf entry.
 */
u64 guest_map(struct guest *g, u64 va, u64 gpa, u64 size, u64 leaf_flags);

/*
 * The guest-physical address of the entry for va at 'level' (1 = the
 * last level, the mode's top level = the table in CR3), following the
 * tables as built; ~0 if a table on the way is missing.
 */
u64 guest_entry_gpa(struct guest *g, u64 va, unsigned int level);
u64 guest_get_entry(struct guest *g, u64 entry_gpa);
void guest_set_entry(struct guest *g, u64 entry_gpa, u64 val);

/* Map 'bytes' (rounded up to pages) of fresh writable memory: its va. */
u64 guest_buf(struct guest *g, size_t bytes);
/* Unmap the page of a guest_buf() buffer holding va (clears its PTE). */
void guest_unmap(struct guest *g, u64 va);
/* Make the page holding va read-only. */
void guest_make_ro(struct guest *g, u64 va);

/* Access guest_buf() memory through the builder's own records. */
void guest_write(struct guest *g, u64 va, const void *src, size_t len);
void guest_read(struct guest *g, u64 va, void *dst, size_t len);

#endif /* UNIT_HYPERCALL_GUEST_H */

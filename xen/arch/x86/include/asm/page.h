/*
 * x86-64 page-table entry bits and the hypervisor's memory setup.
 */
#ifndef ASM_X86_PAGE_H
#define ASM_X86_PAGE_H

#include <xen/types.h>

#define _PAGE_PRESENT   (1UL << 0)
#define _PAGE_RW        (1UL << 1)
#define _PAGE_PWT       (1UL << 3)
#define _PAGE_PCD       (1UL << 4)
#define _PAGE_PSE       (1UL << 7)
#define _PAGE_GLOBAL    (1UL << 8)
#define _PAGE_NX        (1UL << 63)
#define PADDR_MASK      0x000ffffffffff000UL

/*
 * Build the frame table and page allocator from the memory map, then the
 * hypervisor's own page tables (W^X, NX, page 0 unmapped), and switch to
 * them.  Everything the loader handed over must be copied before this.
 */
void memory_init(void);

/* Machine address the APs load into CR3 (below 4 GiB). */
extern u64 idle_pg_table_pa;

/* Readable mapping of [pa, pa+len) in the direct map, or NULL. */
const void *map_phys(paddr_t pa, size_t len);

#endif /* ASM_X86_PAGE_H */

/*
 * Per-pCPU vector allocation: which vector of a pCPU belongs to whom.
 * Allocation is by named range, so a class of users (devices, the
 * posted-interrupt wakeup pool) can never take another class's vectors.
 */
#ifndef ASM_X86_VECTOR_ALLOC_H
#define ASM_X86_VECTOR_ALLOC_H

#include <xen/types.h>
#include <xen/spinlock.h>
#include <asm/irq_vectors.h>

enum vector_range
{
    VR_EXCEPTION,
    VR_LEGACY,
    VR_DYNAMIC,
    VR_PI_WAKEUP,
    VR_HYPERVISOR,
    VR_NR
};

struct vector_table
{
    spinlock_t lock;
    const char *owner[NR_VECTORS];      /* NULL = free */
};

/*
 * Empty table, then every exception vector and every fixed hypervisor
 * vector of asm/irq_vectors.h reserved under its own name.
 */
void vector_table_init(struct vector_table *vt);

/* Lowest free vector of range r, now owned by 'owner'; -ENOSPC if none. */
int vector_alloc(struct vector_table *vt, enum vector_range r,
                 const char *owner);

/*
 * n free vectors of range r at once, written to out[] in ascending order;
 * all or nothing: -ENOSPC leaves the table unchanged.  -EINVAL for n == 0.
 */
int vector_alloc_many(struct vector_table *vt, enum vector_range r,
                      unsigned int n, const char *owner, u8 *out);

/* Claim one specific vector: -EINVAL if out of 0..255, -EBUSY if taken. */
int vector_reserve(struct vector_table *vt, unsigned int vec,
                   const char *owner);

/* Give a vector back: -EINVAL for an exception or fixed vector or a free one. */
int vector_free(struct vector_table *vt, unsigned int vec);

const char *vector_owner(const struct vector_table *vt, unsigned int vec);
enum vector_range vector_range_of(unsigned int vec);
const char *vector_range_name(enum vector_range r);
unsigned int vector_range_first(enum vector_range r);
unsigned int vector_range_last(enum vector_range r);
unsigned int vectors_free_in_range(const struct vector_table *vt,
                                   enum vector_range r);

#endif /* ASM_X86_VECTOR_ALLOC_H */

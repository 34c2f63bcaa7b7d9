/*
 * White-box views of pi_blocked.c's per-pCPU lists (peek.c), so the tests
 * can check the invariants the file states: which vCPUs each list holds,
 * its count and vector, with every list lock held at once if need be.
 */
#ifndef UNIT_PI_BLOCKED_PEEK_H
#define UNIT_PI_BLOCKED_PEEK_H

#include <xen/types.h>

struct vcpu;

unsigned int peek_nr_lists(unsigned int cpu);
u8 peek_vector(unsigned int cpu, unsigned int idx);
/* The list's own count field (compare with peek_entries()). */
unsigned int peek_count(unsigned int cpu, unsigned int idx);
/*
 * Up to max entries of list (cpu, idx), in list order; returns how many
 * there are in all.  Single-threaded, or with the lock held.
 */
unsigned int peek_entries(unsigned int cpu, unsigned int idx,
                          struct vcpu **out, unsigned int max);
unsigned int peek_nr_blocked(unsigned int cpu);
unsigned int peek_peak_blocked(unsigned int cpu);
/* Every list lock of pCPUs 0..nr_cpus-1, in one fixed order. */
void peek_lock_all(unsigned int nr_cpus);
void peek_unlock_all(unsigned int nr_cpus);
/* pi_wakeup_vectors= back to its default (no option given). */
void peek_reset_option(void);

#endif /* UNIT_PI_BLOCKED_PEEK_H */

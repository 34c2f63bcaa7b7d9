/*
 * Blocked vCPUs wait on per-pCPU lists, one list (and one lock) per
 * wakeup vector.  Each pCPU reserves the same K vectors of the pool (the
 * wakeup and dynamic ranges, 0x30-0xdf): by default every vector free
 * there at boot but 16 left for devices, pi_wakeup_vectors=max for all
 * of them, pi_wakeup_vectors=K for K (at most what is free).  A vCPU
 * blocking
 * in HLT joins the least-loaded list of its pCPU and its descriptor's NV
 * becomes that list's vector, NDST its pCPU, SN 0; a post to it then
 * sends that vector to that pCPU, and the handler scans only that list,
 * waking the entries whose ON is set.  K = 1 is what Xen and KVM do (one
 * list per pCPU); K >= the number of blocked vCPUs makes a wakeup O(1).
 *
 * Protocol (the seeds/001 race): the blocking vCPU switches NV with a
 * cmpxchg on the control word and then reads ON again; a poster sets ON
 * with an atomic OR that returns NV/NDST/SN as they were.  Either the
 * poster saw the wakeup vector (and notifies the list's pCPU) or the
 * blocker sees ON (and does not sleep): a vCPU with a posted interrupt
 * never sleeps, and senders never take a scheduler lock.
 */
#ifndef ASM_X86_HVM_PI_BLOCKED_H
#define ASM_X86_HVM_PI_BLOCKED_H

#include <xen/types.h>
#include <asm/irq_vectors.h>

struct vcpu;

/* The pool's size: the most K can be. */
#define PI_WAKEUP_VECTORS_MAX \
    (PI_WAKEUP_VECTOR_LAST - DYNAMIC_VECTOR_FIRST + 1)

/*
 * Boot, once, on the boot pCPU (hvm_setup()) with every pCPU online and
 * before any pi_blocked_cpu_init(): pick K and the K vectors free on
 * every pCPU, and register the 'i' debug key.
 */
int pi_blocked_init(void);
/*
 * The pool's vectors free on every online pCPU, written to out[] (room
 * for PI_WAKEUP_VECTORS_MAX) in the order lists take them; returns how
 * many.
 */
unsigned int pi_wakeup_pool_free(u8 *out);
/*
 * Per pCPU, before it runs vCPUs: reserve the K vectors in its vector
 * table, set up one list per vector and route the vectors to the handler.
 */
int pi_blocked_cpu_init(unsigned int cpu);

/*
 * The HLT path, on v's own pCPU, after VPF_blocked is set: put v on a
 * list and point its descriptor there.  Returns false (and leaves v off
 * every list, NV unchanged, VPF_blocked cleared) when an interrupt is
 * already posted: then v must not sleep.
 */
bool pi_blocked_enter(struct vcpu *v);

/*
 * v is about to run (sched_context_switch): take it off its list if a
 * path other than the wakeup handler woke it.  Cheap when it is on none.
 */
void pi_blocked_leave(struct vcpu *v);

/*
 * Pinning: v's pCPU is now 'cpu' (the scheduler moved it).  If v is on a
 * wakeup list of another pCPU, move it to the least-loaded list of 'cpu'
 * and point NV/NDST there, unless an interrupt is posted already (ON
 * set: the old list's handler is about to wake it) or v's pCPU has
 * changed again since.  Any pCPU, no schedule lock held.  Returns
 * whether it moved v.
 */
bool pi_blocked_move(struct vcpu *v, unsigned int cpu);

/*
 * Whether v is on a wakeup list, for the context switch: a blocked prev
 * must keep notifying its list, a preempted one gets SN.  "No" stays
 * true until v runs again (only its own HLT puts it on a list); "yes"
 * may turn stale as the handler takes v off, which sets SN itself.
 */
bool pi_blocked_on_list(const struct vcpu *v);

/* Per-pCPU, per-vector counters, for the 'i' dump and the sysctl. */
struct pi_wakeup_stats
{
    u64 handler_runs;
    u64 entries_scanned;
    u64 woken;
    u64 spurious;               /* runs that woke nobody */
    u64 max_scan;               /* longest scan */
    u64 handler_cycles;         /* TSC cycles in the handlers, in all */
};

unsigned int pi_wakeup_vectors(void);   /* K */
/* Copy the counters of (cpu, index); false when out of range. */
bool pi_wakeup_stats_get(unsigned int cpu, unsigned int index,
                         struct pi_wakeup_stats *out, u8 *vector,
                         unsigned int *nr_blocked);

/*
 * A pCPU's K and its blocked vCPUs, now and the most at once; false when
 * it is offline or has no lists yet.
 */
bool pi_blocked_cpu_stats(unsigned int cpu, unsigned int *nr_vectors,
                          unsigned int *nr_blocked, unsigned int *peak);

/* Debug key 'i': wakeup vectors and every blocked list per pCPU. */
void pi_blocked_dump(void);

#endif /* ASM_X86_HVM_PI_BLOCKED_H */

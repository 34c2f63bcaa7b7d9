/*
 * Posted-interrupt descriptors, in the hardware (Intel VT-d/VMX) format
 * on every backend: VMX with posted-interrupt processing consumes them in
 * hardware; everywhere else the hypervisor moves PIR into the vlapic's IRR
 * before each guest entry.  One protocol, one source of truth.
 *
 * Post(v, vec): set PIR bit vec (atomic); if ON was already set, stop: the
 * one who set ON notifies.  Else set ON (atomic) and, unless SN, send
 * vector NV to the pCPU whose APIC ID is NDST.  Senders never take the
 * target's scheduler lock.
 */
#ifndef ASM_X86_HVM_PI_H
#define ASM_X86_HVM_PI_H

#include <xen/types.h>

struct vcpu;

struct pi_desc
{
    u32 pir[8];                 /* 256 posted-interrupt request bits */
    union
    {
        struct
        {
            u16 on:1;           /* outstanding notification */
            u16 sn:1;           /* suppress notification */
            u16 rsvd0:14;
            u8 nv;              /* notification vector */
            u8 rsvd1;
            u32 ndst;           /* notification destination (APIC ID) */
        };
        u64 control;
    };
    u32 rsvd[6];
} __attribute__((__aligned__(64)));

#define PI_ON_BIT   0
#define PI_SN_BIT   1

/* The same fields as masks of the 64-bit control word, for cmpxchg. */
#define PI_ON           (1ULL << PI_ON_BIT)
#define PI_SN           (1ULL << PI_SN_BIT)
#define PI_NV_SHIFT     16
#define PI_NV_MASK      (0xffULL << PI_NV_SHIFT)
#define PI_NDST_SHIFT   32
#define PI_NDST_MASK    (0xffffffffULL << PI_NDST_SHIFT)

/*
 * Counters of one descriptor, in its page after it, on their own cache
 * line.  Posters on any pCPU add to them with relaxed atomics: they are
 * statistics, ordered with nothing.
 */
struct pi_stats
{
    u64 posts;
    u64 coalesced;              /* ON was already set */
    u64 notifications;          /* owned ON, sent the posted vector */
    u64 wakeup_notifications;   /* owned ON, sent a wakeup vector */
    u64 suppressed;             /* owned ON, SN set: nothing sent */
    /*
     * TSC of the first post since the owner last took it (0: none); the
     * owner's entry path turns it into a wake latency.  A post racing
     * with that entry may be timed from the one before it: statistics.
     */
    u64 pending_since;
} __attribute__((__aligned__(64)));

/* The descriptor's counters. */
struct pi_stats *pi_desc_stats(struct pi_desc *pi);

/* Allocate (4 KiB-aligned: Bochs 3.0 insists) and free a descriptor. */
struct pi_desc *pi_desc_alloc(void);
void pi_desc_free(struct pi_desc *pi);

/*
 * Post 'vector' to v.  Returns true when this call set ON (and so owned
 * the notification).  A blocked target is woken by that notification,
 * which goes to its wakeup list (pi_blocked.h); pi_post itself never
 * calls the scheduler.
 */
bool pi_post(struct vcpu *v, u8 vector);

/*
 * Move PIR into the vlapic IRR (clearing ON first, so a post racing with
 * the move sets ON again and is not lost).  Returns whether any bit moved.
 */
bool pi_sync_pir_to_irr(struct vcpu *v);

/* Drop every posted request (PIR and ON), as INIT does. */
void pi_clear(struct vcpu *v);

/* Whether an interrupt is posted and not yet moved: ON or any PIR bit. */
bool pi_pending(const struct vcpu *v);

/*
 * Switch the descriptor for v's state: running on pCPU 'cpu' (NV = the
 * posted vector, SN = 0), runnable but not running (SN = 1).  Updates the
 * control word with cmpxchg so concurrent posts keep their ON bit.
 */
void pi_set_running(struct vcpu *v, unsigned int cpu);
void pi_set_not_running(struct vcpu *v);

/* An APIC ID in NDST's format: x2APIC hosts use all 32 bits, xAPIC 15:8. */
u32 pi_ndst_encode(u32 apic_id);

/* Hooks the HVM layer implements. */
struct pi_desc *vcpu_pi_desc(struct vcpu *v);
/* Send 'vector' to the pCPU with APIC ID 'apic_id'. */
void pi_send_notification(u32 apic_id, u8 vector);

#endif /* ASM_X86_HVM_PI_H */

/*
 * Posted-interrupt descriptors (pi.h): posting, notification ownership,
 * the move of PIR into the vlapic's IRR, and the descriptor's switches
 * between running and not running.
 *
 * Protocol (every step a full-barrier atomic; the arguments are written
 * next to the steps below):
 *  - post(v, vec): set PIR bit vec; set ON; if ON was clear this post
 *    owns the notification: unless SN, send NV to NDST.  That is all a
 *    post does: a blocked v has NV = a wakeup vector of its pCPU, whose
 *    handler wakes it (pi_blocked.c).
 *  - sync (the owner, before entering v): clear ON, then swap each PIR
 *    word with 0 and OR it into IRR.  TMR is not ours: the sender set
 *    it at acceptance, before the PIR bit (vlapic_set_irq).
 *  - HLT (the owner): set VPF_blocked, then look again (pi_pending(),
 *    vlapic_has_wakeup()); then pi_blocked_enter() switches NV to a
 *    wakeup vector unless ON is set; sleep only if nothing is there.
 *  - move (pinning, any pCPU, both lists' locks held): a blocked v's NV
 *    and NDST switch to a list of its new pCPU with a cmpxchg that
 *    refuses if ON is set, then v itself changes list (pi_blocked.c,
 *    "Migration").
 * Senders never take a lock of the target, nor call the scheduler.
 *
 * The control word is read and written as one u64 (ON bit 0, SN bit 1,
 * NV bits 23:16, NDST bits 63:32, as the bitfields in pi.h lay it out).
 * NDST holds the destination in the hardware's format: the x2APIC ID, or
 * the xAPIC ID in bits 15:8 when the host APIC is in xAPIC mode.
 */
#include <xen/lib.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <asm/apic.h>
#include <asm/irq_vectors.h>
#include <asm/processor.h>
#include <asm/smpboot.h>
#include <asm/hvm/pi.h>
#include <asm/hvm/vlapic.h>


/* What a descriptor page holds: the descriptor, then its counters. */
struct pi_page
{
    struct pi_desc desc;
    struct pi_stats stats;
};

BUILD_BUG_ON(sizeof(struct pi_desc) != 64);
BUILD_BUG_ON(sizeof(struct pi_page) > PAGE_SIZE);
BUILD_BUG_ON(__builtin_offsetof(struct pi_desc, control) != 32);

u32 pi_ndst_encode(u32 apic_id)
{
    return x2apic_enabled ? apic_id : (apic_id & 0xff) << 8;
}

static u32 ndst_decode(u32 ndst)
{
    return x2apic_enabled ? ndst : (ndst >> 8) & 0xff;
}

struct pi_desc *pi_desc_alloc(void)
{
    struct pi_desc *pi = alloc_xenheap_pages(0, 0);

    if ( !pi )
        return NULL;
    memset(pi, 0, PAGE_SIZE);
    /*
     * A new vCPU is not running: SN set, so a post before its first
     * pi_set_running() notifies nobody (NV and NDST are still 0, which
     * would send vector 0 to APIC 0).  The next entry syncs PIR anyway.
     */
    pi->control = PI_SN;
    return pi;
}

struct pi_stats *pi_desc_stats(struct pi_desc *pi)
{
    return &((struct pi_page *)pi)->stats;
}

void pi_desc_free(struct pi_desc *pi)
{
    free_xenheap_pages(pi, 0);
}

/* A counter bump: relaxed, since nothing is ordered by a statistic. */
static void stat_inc(u64 *c)
{
    __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

bool pi_post(struct vcpu *v, u8 vector)
{
    struct pi_desc *pi = vcpu_pi_desc(v);
    struct pi_stats *st = pi_desc_stats(pi);
    u64 old, zero = 0;
    u8 nv;

    stat_inc(&st->posts);
    /* Start the wake-latency clock unless an earlier post started it. */
    if ( !__atomic_load_n(&st->pending_since, __ATOMIC_RELAXED) )
        __atomic_compare_exchange_n(&st->pending_since, &zero, rdtsc(),
                                    false, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED);

    /* (1) The request itself. */
    __atomic_fetch_or(&pi->pir[vector / 32], 1u << (vector % 32),
                      __ATOMIC_SEQ_CST);

    /*
     * (2) Claim ON.  Ordered after (1) (both seq_cst RMWs): whoever
     * clears ON in a sync swaps PIR afterwards and finds our bit; if the
     * sync's clear came before (2), ON is set again and a later sync
     * takes the bit.  Either way the bit is not stranded with ON clear.
     * If ON was already set, its setter is notifying and waking (or the
     * owner has yet to sync, which it does before it can sleep): stop.
     */
    old = __atomic_fetch_or(&pi->control, PI_ON, __ATOMIC_SEQ_CST);
    if ( old & PI_ON )
    {
        stat_inc(&st->coalesced);
        return false;
    }

    /*
     * (3) Notify with the NV/NDST/SN that (2) read atomically with ON.
     * A pi_set_running() after (2) precedes the owner's entry sync, which
     * finds our bit: no notification is needed then.
     *
     * A blocked target is woken by this notification, not by us: its
     * pi_blocked_enter() switched NV to its list's wakeup vector with a
     * cmpxchg of this same word, refusing if ON was set.  So either (2)
     * came first and it does not sleep, or (2) read the wakeup vector
     * and NDST of its list, and that list's handler wakes it.  The
     * caller may hold any lock: no scheduler lock is taken here.
     */
    if ( old & PI_SN )
    {
        stat_inc(&st->suppressed);
        return true;
    }
    nv = (u8)((old & PI_NV_MASK) >> PI_NV_SHIFT);
    stat_inc(nv == POSTED_INTR_VECTOR ? &st->notifications
                                      : &st->wakeup_notifications);
    pi_send_notification(ndst_decode((u32)(old >> PI_NDST_SHIFT)), nv);
    return true;
}

bool pi_sync_pir_to_irr(struct vcpu *v)
{
    struct pi_desc *pi = vcpu_pi_desc(v);
    struct vlapic *vl = NULL;
    bool moved = false;

    /*
     * ON first.  A post whose PIR bit we do not swap out below set that
     * bit after our swap, so its ON test-and-set comes after this clear:
     * it finds ON clear, owns ON again and notifies/wakes; the bit waits
     * for the next sync.  A post whose bit we do take may set ON after
     * this clear: one spurious ON, which the next sync clears.
     */
    __atomic_fetch_and(&pi->control, ~PI_ON, __ATOMIC_SEQ_CST);

    for ( unsigned int i = 0; i < 8; i++ )
    {
        u32 *irr, bits;

        /*
         * A seq_cst load (a plain load on x86) to skip empty words: it
         * comes after the ON clear in the total order, so it sees every
         * PIR bit set before that clear.
         */
        if ( !__atomic_load_n(&pi->pir[i], __ATOMIC_SEQ_CST) )
            continue;
        if ( !vl )
            vl = vcpu_vlapic(v);
        bits = __atomic_exchange_n(&pi->pir[i], 0, __ATOMIC_SEQ_CST);
        if ( !bits )
            continue;
        irr = (u32 *)(vl->regs + APIC_REG_IRR + i * 0x10);
        WRITE_ONCE(*irr, READ_ONCE(*irr) | bits);
        moved = true;
    }
    return moved;
}

/*
 * INIT: nothing posted before it may be delivered after it.  ON first,
 * as in the sync above, so a post racing with this either has its bit
 * swapped out here or finds ON clear and notifies afresh (it was sent
 * after the INIT).
 */
void pi_clear(struct vcpu *v)
{
    struct pi_desc *pi = vcpu_pi_desc(v);

    __atomic_fetch_and(&pi->control, ~PI_ON, __ATOMIC_SEQ_CST);
    for ( unsigned int i = 0; i < 8; i++ )
        (void)__atomic_exchange_n(&pi->pir[i], 0, __ATOMIC_SEQ_CST);
}

bool pi_pending(const struct vcpu *v)
{
    const struct pi_desc *pi = vcpu_pi_desc((struct vcpu *)v);

    /* seq_cst loads: the HLT path's (b), after its VPF_blocked set. */
    if ( __atomic_load_n(&pi->control, __ATOMIC_SEQ_CST) & PI_ON )
        return true;
    for ( unsigned int i = 0; i < 8; i++ )
        if ( __atomic_load_n(&pi->pir[i], __ATOMIC_SEQ_CST) )
            return true;
    return false;
}

/*
 * Change the control word except ON, with cmpxchg so that a post setting
 * ON meanwhile is not undone (the loop retries with its ON).
 */
static void pi_update_control(struct pi_desc *pi, u64 clear, u64 set)
{
    u64 old = __atomic_load_n(&pi->control, __ATOMIC_RELAXED), new;

    do {
        new = (old & ~clear) | set;
    } while ( !__atomic_compare_exchange_n(&pi->control, &old, new, false,
                                           __ATOMIC_SEQ_CST,
                                           __ATOMIC_RELAXED) );
}

/*
 * Running on 'cpu': notifications go to that pCPU with the posted
 * vector.  Call before the last sync of the entry path: a post that read
 * the old SN=1 (and did not notify) has set its PIR bit before, and the
 * sync moves it.
 */
void pi_set_running(struct vcpu *v, unsigned int cpu)
{
    pi_update_control(vcpu_pi_desc(v), PI_SN | PI_NV_MASK | PI_NDST_MASK,
                      ((u64)POSTED_INTR_VECTOR << PI_NV_SHIFT) |
                      ((u64)pi_ndst_encode(cpu_to_apic_id(cpu)) <<
                       PI_NDST_SHIFT));
}

/* Runnable, not running: no notifications; the next entry syncs. */
void pi_set_not_running(struct vcpu *v)
{
    pi_update_control(vcpu_pi_desc(v), 0, PI_SN);
}

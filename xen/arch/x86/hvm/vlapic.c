/*
 * The virtual local APIC (Intel SDM vol. 3, chapter 11 "APIC"): one
 * register page per vCPU, reached through the xAPIC MMIO page and the
 * x2APIC MSRs, which both end in vlapic_reg_write()/vlapic_reg_read();
 * interrupt acceptance, priorities, EOI, IPIs with every delivery and
 * destination mode, the timer in its three modes, the APIC base MSR, and
 * the injection interface the backends use.
 *
 * Ownership and concurrency (see vlapic.h): the register page is written
 * only on the vCPU's own pCPU, by its exit handlers and by its timer,
 * whose function runs from the timer softirq of that same pCPU and so
 * never interleaves with an exit handler.  Other pCPUs only
 *  - set or clear the TMR bit of the vector they send (an atomic RMW;
 *    the owner's own TMR updates are atomic RMWs too), then post the
 *    interrupt into the target's posted-interrupt descriptor
 *    (vlapic_set_irq -> pi_post);
 *  - read single registers of the target to resolve destinations and
 *    lowest priority and to follow its local inputs (ID, LDR, DFR, PPR,
 *    SVR, LVTERR, LVT LINT1 and apic_base), with one
 *    READ_ONCE each: a register written concurrently is seen either old or
 *    new, as a message racing a register write is on hardware;
 *  - OR receive errors into the target's pending-error word (below) with
 *    an atomic, when a device sends it an illegal vector.
 *
 * Choices where the SDM leaves room (each repeated where it is made):
 *  - LVR = 0x00060014: version 0x14, 7 LVT entries (CMCI included), no
 *    EOI-broadcast suppression (SVR bit 12 is reserved).
 *  - The APIC ID is read-only in both modes: vcpu_id << 24 (xAPIC) and
 *    vcpu_id (x2APIC).  Writes are ignored (xAPIC) or #GP (x2APIC).
 *  - The APIC base stays 0xfee00000: a write with another base is #GP.
 *  - The MMIO page: a 4-byte access at the start of a register is the
 *    defined one.  Other sizes and offsets read the bytes of the register
 *    (bytes 4-15 of each 16-byte slot read 0) and writes are ignored.
 *  - Lowest priority goes to the matching vCPU with the lowest TPR class,
 *    as chipsets arbitrate (not PPR, as Xen's vlapic does: a vector in
 *    service on a target does not take it out of the running); ties
 *    rotate over vCPU ids (round-robin after the previous winner).
 *  - An ICR with an illegal vector (0-15) in fixed or lowest-priority mode
 *    sets "send illegal vector" in the sender's ESR and is not sent.
 *  - Periodic timers fire at most every VLAPIC_MIN_PERIOD; periods missed
 *    while the timer could not run coalesce into one interrupt (they
 *    would merge in IRR anyway) and the phase is kept (no drift).
 *  - Hardware-disabling the APIC (APIC base EN = 0) resets the register
 *    state to its power-on values (SDM 11.4.3 allows the state to be
 *    lost) and nothing is injected until it is enabled again.
 *
 * The pending-error word and any other state the struct in the contract
 * has no field for lives in a private area of the register page, at an
 * offset no APIC register uses (the architectural registers end at 0x3f0,
 * and neither the MMIO path nor VMX's virtual-APIC page reaches beyond).
 */
#include <xen/lib.h>
#include <xen/cpumask.h>
#include <xen/errno.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/time.h>
#include <xen/timer.h>
#include <asm/hvm/pi.h>
#include <asm/hvm/vlapic.h>

#define APIC_VERSION        0x00060014u     /* max LVT 6, version 0x14 */

/* SVR */
#define SVR_VECTOR          0x000000ffu
#define SVR_ENABLE          0x00000100u
#define SVR_FOCUS_DISABLE   0x00000200u     /* stored, ignored */
#define SVR_WRITABLE        (SVR_VECTOR | SVR_ENABLE | SVR_FOCUS_DISABLE)

/* LVT entries */
#define LVT_VECTOR          0x000000ffu
#define LVT_DM_SHIFT        8
#define LVT_DM_MASK         (7u << LVT_DM_SHIFT)
#define LVT_DELIV_STATUS    (1u << 12)      /* read-only, always idle */
#define LVT_POLARITY        (1u << 13)
#define LVT_REMOTE_IRR      (1u << 14)      /* read-only, never set */
#define LVT_LEVEL           (1u << 15)
#define LVT_MASKED          (1u << 16)
#define LVTT_MODE_SHIFT     17
#define LVTT_MODE_MASK      (3u << LVTT_MODE_SHIFT)
#define LVTT_ONESHOT        0u
#define LVTT_PERIODIC       1u
#define LVTT_TSC_DEADLINE   2u

#define LVTT_WRITABLE       (LVT_VECTOR | LVT_MASKED | LVTT_MODE_MASK)
#define LVT_DM_WRITABLE     (LVT_VECTOR | LVT_DM_MASK | LVT_MASKED)
#define LVT_LINT_WRITABLE   (LVT_DM_WRITABLE | LVT_POLARITY | LVT_LEVEL)
#define LVTERR_WRITABLE     (LVT_VECTOR | LVT_MASKED)

/* ICR (low word) */
#define ICR_VECTOR          0x000000ffu
#define ICR_DM_SHIFT        8
#define ICR_DM_MASK         (7u << ICR_DM_SHIFT)
#define ICR_LOGICAL         (1u << 11)
#define ICR_BUSY            (1u << 12)
#define ICR_ASSERT          (1u << 14)
#define ICR_LEVEL           (1u << 15)
#define ICR_SH_SHIFT        18
#define ICR_SH_MASK         (3u << ICR_SH_SHIFT)
#define ICR_WRITABLE        0x000ccfffu     /* all but 12, 13, 16-17, 20+ */

#define DM_FIXED            0u
#define DM_LOWEST           1u
#define DM_SMI              2u
#define DM_NMI              4u
#define DM_INIT             5u
#define DM_STARTUP          6u

#define SH_NONE             0u
#define SH_SELF             1u
#define SH_ALL_INCL         2u
#define SH_ALL_EXCL         3u

/* ESR */
#define ESR_SEND_ILLEGAL    (1u << 5)
#define ESR_RECV_ILLEGAL    (1u << 6)
#define ESR_ILLEGAL_REG     (1u << 7)

#define TDCR_WRITABLE       0x0000000bu
#define LDR_XAPIC_WRITABLE  0xff000000u
#define DFR_WRITABLE        0xf0000000u
#define DFR_FLAT            0xfu
#define DFR_CLUSTER         0x0u
#define ICR2_XAPIC_WRITABLE 0xff000000u

#define APICBASE_ADDR_MASK  (~0xfffULL)

/* The timer never fires a periodic interrupt more often than this. */
#define VLAPIC_MIN_PERIOD   MICROSECS(100)

/* Module state with no field in struct vlapic: in the register page. */
struct vlapic_priv
{
    /*
     * Errors detected since the last ESR write.  Any pCPU ORs bits in
     * (atomic); the owner swaps it out on an ESR write.
     */
    u32 esr_pending;
};

#define VLAPIC_PRIV_OFFSET  0x800

/*
 * Lowest-priority tie-break: the id of the previous winner.  Only a hint
 * (relaxed): two arbitrations racing may pick the same vCPU, which costs
 * fairness, never an interrupt.  It is shared by all domains because
 * struct domain has no field for it.
 */
static unsigned int lowest_prio_last;

static void vlapic_timer_fn(void *data);

/* --- register page access --- */

static inline u32 reg_get(const struct vlapic *vl, unsigned int reg)
{
    return READ_ONCE(*(const u32 *)(vl->regs + reg));
}

/* WRITE_ONCE: other pCPUs may read this register while we write it. */
static inline void reg_set(struct vlapic *vl, unsigned int reg, u32 val)
{
    WRITE_ONCE(*(u32 *)(vl->regs + reg), val);
}

static inline struct vlapic_priv *vpriv(const struct vlapic *vl)
{
    return (struct vlapic_priv *)(vl->regs + VLAPIC_PRIV_OFFSET);
}

/* The word of a 256-bit register (ISR/TMR/IRR) that holds 'vec'. */
static inline unsigned int vec_reg(unsigned int base, unsigned int vec)
{
    return base + (vec / 32) * 0x10;
}

static inline bool vec_test(const struct vlapic *vl, unsigned int base,
                            unsigned int vec)
{
    return reg_get(vl, vec_reg(base, vec)) & (1u << (vec % 32));
}

static inline void vec_set(struct vlapic *vl, unsigned int base,
                           unsigned int vec)
{
    unsigned int r = vec_reg(base, vec);

    reg_set(vl, r, reg_get(vl, r) | (1u << (vec % 32)));
}

static inline void vec_clear(struct vlapic *vl, unsigned int base,
                             unsigned int vec)
{
    unsigned int r = vec_reg(base, vec);

    reg_set(vl, r, reg_get(vl, r) & ~(1u << (vec % 32)));
}

/* Highest vector set in a 256-bit register, or -1. */
static int highest_vec(const struct vlapic *vl, unsigned int base)
{
    for ( int i = 7; i >= 0; i-- )
    {
        u32 w = reg_get(vl, base + i * 0x10);

        if ( w )
            return i * 32 + 31 - __builtin_clz(w);
    }
    return -1;
}

/* --- modes --- */

static inline u64 apic_base_of(const struct vlapic *vl)
{
    return READ_ONCE(vl->apic_base);
}

static inline bool hw_enabled(const struct vlapic *vl)
{
    return apic_base_of(vl) & APICBASE_ENABLE;
}

static inline bool x2apic_mode(const struct vlapic *vl)
{
    return (apic_base_of(vl) & (APICBASE_ENABLE | APICBASE_X2APIC)) ==
           (APICBASE_ENABLE | APICBASE_X2APIC);
}

static inline bool sw_enabled(const struct vlapic *vl)
{
    return reg_get(vl, APIC_REG_SVR) & SVR_ENABLE;
}

static inline unsigned int vcpu_id_of(const struct vlapic *vl)
{
    return vl->vcpu->vcpu_id;
}

/* x2APIC logical ID: cluster (id >> 4) in 31:16, bit (id & 0xf). */
static inline u32 x2apic_ldr(unsigned int id)
{
    return ((id >> 4) << 16) | (1u << (id & 0xf));
}

static inline unsigned int lvtt_mode(const struct vlapic *vl)
{
    return (reg_get(vl, APIC_REG_LVTT) & LVTT_MODE_MASK) >> LVTT_MODE_SHIFT;
}

/* --- priorities --- */

/*
 * PPR (SDM 11.8.3.1): TPR if its class is at least that of the highest
 * vector in service, else that class with sub-class 0.
 */
static void update_ppr(struct vlapic *vl)
{
    u32 tpr = reg_get(vl, APIC_REG_TPR) & 0xff;
    int isrv = highest_vec(vl, APIC_REG_ISR);
    u32 isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;

    reg_set(vl, APIC_REG_PPR, (tpr & 0xf0) >= isr_class ? tpr : isr_class);
}

/* The highest IRR vector whose class is above the PPR class, or -1. */
static int deliverable_vec(const struct vlapic *vl)
{
    int irr;

    if ( !hw_enabled(vl) || !sw_enabled(vl) )
        return -1;
    irr = highest_vec(vl, APIC_REG_IRR);
    if ( irr < 0 ||
         ((u32)irr & 0xf0) <= (reg_get(vl, APIC_REG_PPR) & 0xf0) )
        return -1;
    return irr;
}

/* --- errors --- */

static void accept_local(struct vlapic *vl, unsigned int vec, bool level);

/*
 * Record 'err' for the ESR and raise the error interrupt through LVTERR.
 * 'local' when called on the owner's pCPU in an exit handler (the vCPU
 * is not in the guest): the interrupt then goes straight into IRR.
 * Otherwise it is posted like any other interrupt.
 */
static void vlapic_error(struct vlapic *vl, u32 err, bool local)
{
    u32 lvterr;
    unsigned int vec;

    /*
     * Relaxed: the word carries no other data.  A remote error is
     * followed by the post of the error vector (seq_cst RMWs, so at
     * least release), and the owner's sync swaps that PIR bit out
     * (acquire) before the guest can handle it and write ESR: the OR
     * happens before the ESR write's exchange, which therefore sees it.
     */
    __atomic_fetch_or(&vpriv(vl)->esr_pending, err, __ATOMIC_RELAXED);

    lvterr = reg_get(vl, APIC_REG_LVTERR);
    if ( lvterr & LVT_MASKED )
        return;
    vec = lvterr & LVT_VECTOR;
    if ( vec < 16 )
    {
        /* An illegal error vector is one more error, and no interrupt. */
        __atomic_fetch_or(&vpriv(vl)->esr_pending, ESR_RECV_ILLEGAL,
                          __ATOMIC_RELAXED);
        return;
    }
    if ( local )
        accept_local(vl, vec, false);
    else
        vlapic_set_irq(vl, (u8)vec, false);
}

/* --- acceptance --- */

/*
 * Accept an interrupt for vl on vl's own pCPU while its vCPU is not in
 * the guest (an exit handler): straight into IRR, no descriptor, no
 * notification, so a self-IPI never leaves the pCPU.  TMR follows the
 * trigger mode of this acceptance, as on hardware.  A vector already
 * 'injected' is unaffected: this one waits in IRR separately.
 */
/*
 * TMR as an acceptance leaves it: set for a level-triggered message, clear
 * for an edge (SDM 11.8.4: "the trigger mode register ... indicates the
 * trigger mode of the interrupt").  An atomic RMW: senders on other pCPUs
 * update other bits of the same word (vlapic_set_irq).
 */
static void tmr_accept(struct vlapic *vl, unsigned int vec, bool level)
{
    u32 *w = (u32 *)(vl->regs + vec_reg(APIC_REG_TMR, vec));
    u32 bit = 1u << (vec % 32);

    if ( level )
        __atomic_fetch_or(w, bit, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(w, ~bit, __ATOMIC_SEQ_CST);
}

static void accept_local(struct vlapic *vl, unsigned int vec, bool level)
{
    if ( vec < 16 )
    {
        vlapic_error(vl, ESR_RECV_ILLEGAL, true);
        return;
    }
    tmr_accept(vl, vec, level);
    vec_set(vl, APIC_REG_IRR, vec);
}

void vlapic_set_irq(struct vlapic *target, u8 vector, bool level)
{
    if ( vector < 16 )
    {
        vlapic_error(target, ESR_RECV_ILLEGAL, false);
        return;
    }

    /*
     * TMR here, by the sender, before the PIR bit (both seq_cst RMWs),
     * as KVM and Xen do: with hardware posting the CPU moves PIR into the
     * virtual IRR itself, without the owner's sync, so TMR cannot wait
     * for the sync.  Whoever sees our PIR bit - the owner's sync, or the
     * CPU's posted-interrupt processing and thus the guest's EOI of the
     * vector and its EOI exit - sees TMR as this acceptance left it, and
     * the EOI goes to the vIOAPIC exactly when it was level.  Another
     * acceptance of the vector overwrites the bit, as on hardware.  A
     * reset racing this (INIT, APIC disable: memset by the owner) may
     * drop the bit while the PIR bit survives: the vector then arrives
     * as edge-triggered.
     */
    tmr_accept(target, vector, level);
    pi_post(target->vcpu, vector);
}

/* --- EOI --- */

static void do_eoi(struct vlapic *vl)
{
    int vec = highest_vec(vl, APIC_REG_ISR);

    /* Nothing in service: the EOI is ignored. */
    if ( vec < 0 )
        return;
    vec_clear(vl, APIC_REG_ISR, vec);
    update_ppr(vl);
    vl->nr_eoi++;
    if ( vec_test(vl, APIC_REG_TMR, vec) )
        vioapic_eoi(vl->vcpu->domain, (u8)vec);
}

/*
 * Paravirtual EOI (KVM's rules): the guest may skip the EOI of a vector
 * when it will be the only one in service, nothing waits in IRR (so no
 * nested interrupt can come before its EOI), and it is edge-triggered (a
 * level vector's EOI must reach the IOAPIC).  Called before an entry: the
 * vector is the one being injected now (it enters ISR once delivered) or,
 * with none injected, the one already in service.  -1: EOI normally.
 */
int vlapic_pv_eoi_candidate(struct vlapic *vl)
{
    unsigned int in_service = 0;
    int vec;

    for ( unsigned int i = 0; i < 8; i++ )
        in_service += hweight64(reg_get(vl, APIC_REG_ISR + 0x10 * i));
    if ( highest_vec(vl, APIC_REG_IRR) >= 0 )
        return -1;
    if ( vl->injected >= 0 )
    {
        if ( in_service )
            return -1;
        vec = vl->injected;
    }
    else
    {
        if ( in_service != 1 )
            return -1;
        vec = highest_vec(vl, APIC_REG_ISR);
    }
    return vec_test(vl, APIC_REG_TMR, vec) ? -1 : vec;
}

/* The guest took the PV EOI path for the vector in service: EOI it. */
void vlapic_pv_eoi(struct vlapic *vl)
{
    do_eoi(vl);
}

/* --- timer --- */

/* TDCR bits 3,1:0: 000 = 2, 001 = 4, ... 110 = 128, 111 = 1. */
static unsigned int timer_divisor(u32 tdcr)
{
    unsigned int v = (tdcr & 3) | ((tdcr >> 1) & 4);

    return v == 7 ? 1 : 2u << v;
}

/*
 * Bus ticks <-> ns.  ticks * div < 2^39 and ns < 2^39 * 10^6 /
 * VLAPIC_BUS_KHZ, so no product below passes 2^60: 64-bit arithmetic.
 */
static s_time_t ticks_to_ns(u64 ticks, unsigned int div)
{
    return (s_time_t)(ticks * div * 1000000ULL / VLAPIC_BUS_KHZ);
}

static u64 ns_to_ticks(s_time_t ns, unsigned int div)
{
    return (u64)ns * VLAPIC_BUS_KHZ / (1000000ULL * div);
}

/* Time between two expiries: the period, stretched to the minimum. */
static s_time_t timer_step(const struct vlapic *vl)
{
    s_time_t p = vl->timer_period;

    if ( lvtt_mode(vl) == LVTT_PERIODIC && p < VLAPIC_MIN_PERIOD )
        return p * DIV_ROUND_UP(VLAPIC_MIN_PERIOD, p);
    return p;
}

/*
 * Whether the timer is armed and when it expires, from the state alone.
 * One-shot and periodic: timer_start is the last expiry (or the load)
 * and the next is one step later; TSC-deadline: the deadline.
 */
static bool timer_armed_at(const struct vlapic *vl, s_time_t *at)
{
    if ( lvtt_mode(vl) == LVTT_TSC_DEADLINE )
    {
        if ( !vl->tsc_deadline )
            return false;
        *at = hvm_guest_tsc_to_time(vl->vcpu, vl->tsc_deadline);
        /* Beyond what system time reaches (2^64 - 1, say): never. */
        return *at != STIME_MAX;
    }
    if ( !vl->timer_period )
        return false;
    *at = vl->timer_start + timer_step(vl);
    return true;
}

/* Arm the timer for the expiry the state says, if any. */
static void timer_rearm(struct vlapic *vl)
{
    s_time_t at;

    if ( timer_armed_at(vl, &at) )
        set_timer(&vl->timer, at);
}

static void timer_disarm(struct vlapic *vl)
{
    stop_timer(&vl->timer);
    vl->timer_period = 0;
    vl->tsc_deadline = 0;
}

/* An expiry: the LVTT interrupt unless masked (SW-disable masks it). */
static void timer_fire(struct vlapic *vl, bool local)
{
    u32 lvtt = reg_get(vl, APIC_REG_LVTT);

    vl->nr_timer_fires++;
    if ( lvtt & LVT_MASKED )
        return;
    if ( local )
        accept_local(vl, lvtt & LVT_VECTOR, false);
    else
        vlapic_set_irq(vl, lvtt & LVT_VECTOR, false);
}

/*
 * Before a write that re-arms or disarms the timer: an expiry that the
 * guest's clock has already passed but the timer softirq has not yet
 * delivered (it runs after this exit) is delivered now.  On hardware that
 * interrupt would already sit in IRR when the write executes, so the write
 * must not cancel it.  Runs in the owner's exit, hence a local accept.
 */
static void timer_catch_up(struct vlapic *vl)
{
    s_time_t at;

    if ( lvtt_mode(vl) == LVTT_TSC_DEADLINE )
    {
        /* Exact, in guest TSC ticks: the guest can compare them itself. */
        if ( !vl->tsc_deadline ||
             hvm_guest_tsc(vl->vcpu) < vl->tsc_deadline )
            return;
        vl->tsc_deadline = 0;
    }
    else if ( !timer_armed_at(vl, &at) || NOW() < at )
        return;
    else if ( lvtt_mode(vl) == LVTT_ONESHOT )
        vl->timer_period = 0;
    else
        /* Periodic: this expiry is taken; the next counts from it. */
        vl->timer_start = at;
    stop_timer(&vl->timer);
    timer_fire(vl, true);
}

/* (Re)load the count from TMICT, now.  One-shot and periodic only. */
static void timer_load(struct vlapic *vl)
{
    u32 count = reg_get(vl, APIC_REG_TMICT);

    stop_timer(&vl->timer);
    if ( !count )
    {
        vl->timer_period = 0;
        return;
    }
    vl->timer_start = NOW();
    vl->timer_period = ticks_to_ns(count,
                                   timer_divisor(reg_get(vl, APIC_REG_TDCR)));
    if ( !vl->timer_period )
        vl->timer_period = 1;
    timer_rearm(vl);
}

/* Current count (SDM 11.5.4): TMICT minus the ticks counted so far. */
static u32 timer_current(const struct vlapic *vl)
{
    u32 tmict = reg_get(vl, APIC_REG_TMICT);
    s_time_t elapsed, period = vl->timer_period;
    u64 ticks;

    if ( lvtt_mode(vl) == LVTT_TSC_DEADLINE || !period )
        return 0;
    elapsed = NOW() - vl->timer_start;
    if ( lvtt_mode(vl) == LVTT_PERIODIC )
    {
        /* The softirq may run us a little early: elapsed may be < 0. */
        elapsed %= period;
        if ( elapsed < 0 )
            elapsed += period;
    }
    else if ( elapsed >= period )
        return 0;
    else if ( elapsed < 0 )
        elapsed = 0;
    ticks = ns_to_ticks(elapsed, timer_divisor(reg_get(vl, APIC_REG_TDCR)));
    return ticks >= tmict ? 0 : tmict - (u32)ticks;
}

/*
 * The timer function: on the vCPU's pCPU, from the timer softirq, never
 * during one of the vCPU's exit handlers.  The vCPU may be blocked or
 * descheduled, so the interrupt is posted (which wakes it).
 */
static void vlapic_timer_fn(void *data)
{
    struct vlapic *vl = data;
    s_time_t step, start, now;

    switch ( lvtt_mode(vl) )
    {
    case LVTT_TSC_DEADLINE:
        if ( !vl->tsc_deadline )
            return;
        /* The deadline is met: the MSR reads 0 again (SDM 11.5.4.1). */
        vl->tsc_deadline = 0;
        break;

    case LVTT_ONESHOT:
        if ( !vl->timer_period )
            return;
        vl->timer_period = 0;
        break;

    case LVTT_PERIODIC:
        if ( !vl->timer_period )
            return;
        /*
         * The next expiry counts from the one that just passed, not from
         * now, so the period does not drift.  If whole steps went by
         * unseen, skip them (keeping the phase): one interrupt for them.
         */
        step = timer_step(vl);
        start = vl->timer_start + step;
        now = NOW();
        if ( now - start >= step )
            start += (now - start) / step * step;
        vl->timer_start = start;
        set_timer(&vl->timer, start + step);
        break;

    default:
        return;
    }
    timer_fire(vl, false);
}

static void timer_set_divide(struct vlapic *vl, u32 tdcr)
{
    u32 cur = timer_current(vl);
    unsigned int div = timer_divisor(tdcr);
    s_time_t now, left;
    bool running = lvtt_mode(vl) != LVTT_TSC_DEADLINE &&
                   vl->timer_period && cur;

    reg_set(vl, APIC_REG_TDCR, tdcr);
    if ( !running )
        return;

    /*
     * The count goes on from where it is, at the new rate: move the
     * start so that the current count stays what it is now.
     */
    now = NOW();
    vl->timer_period = ticks_to_ns(reg_get(vl, APIC_REG_TMICT), div);
    if ( !vl->timer_period )
        vl->timer_period = 1;
    left = ticks_to_ns(cur, div);
    vl->timer_start = now - (vl->timer_period - left);
    timer_rearm(vl);
}

static int tsc_deadline_write(struct vlapic *vl, u64 val)
{
    /* Outside TSC-deadline mode, writes are ignored (SDM 11.5.4.1). */
    if ( lvtt_mode(vl) != LVTT_TSC_DEADLINE )
        return VLAPIC_OK;

    timer_catch_up(vl);
    stop_timer(&vl->timer);
    vl->tsc_deadline = val;
    if ( !val )
        return VLAPIC_OK;
    if ( hvm_guest_tsc(vl->vcpu) >= val )
    {
        /* Already passed: fires at once (we are in the owner's exit). */
        vl->tsc_deadline = 0;
        timer_fire(vl, true);
        return VLAPIC_OK;
    }
    timer_rearm(vl);
    return VLAPIC_OK;
}

/* --- power-on, INIT, APIC base --- */

/* Registers to the power-on values (SDM 11.4.7.1); apic_base is kept. */
static void reset_registers(struct vlapic *vl)
{
    static const unsigned int lvts[] = {
        APIC_REG_LVT_CMCI, APIC_REG_LVTT, APIC_REG_LVT_THERM,
        APIC_REG_LVT_PERF, APIC_REG_LVT0, APIC_REG_LVT1, APIC_REG_LVTERR,
    };

    timer_disarm(vl);
    vl->timer_start = 0;
    memset(vl->regs, 0, PAGE_SIZE);
    for ( unsigned int i = 0; i < ARRAY_SIZE(lvts); i++ )
        reg_set(vl, lvts[i], LVT_MASKED);
    reg_set(vl, APIC_REG_DFR, 0xffffffffu);
    reg_set(vl, APIC_REG_SVR, 0xff);
    /*
     * An INIT while a vector was handed to the hardware: the exit that
     * delivered the INIT said nothing about it, the guest context is
     * gone; drop it with the rest of IRR.
     */
    vl->injected = -1;
}

int vlapic_init(struct vcpu *v)
{
    struct vlapic *vl = vcpu_vlapic(v);

    BUILD_BUG_ON(VLAPIC_PRIV_OFFSET < APIC_REG_SELF_IPI + 0x10);
    BUILD_BUG_ON(VLAPIC_PRIV_OFFSET + sizeof(struct vlapic_priv) >
                 PAGE_SIZE);

    memset(vl, 0, sizeof(*vl));
    vl->vcpu = v;
    vl->regs = alloc_xenheap_pages(0, 0);
    if ( !vl->regs )
        return -ENOMEM;
    vl->apic_base = APIC_DEFAULT_BASE | APICBASE_ENABLE |
                    (v->vcpu_id == 0 ? APICBASE_BSP : 0);
    init_timer(&vl->timer, vlapic_timer_fn, vl, v->processor);
    reset_registers(vl);
    return 0;
}

void vlapic_destroy(struct vcpu *v)
{
    struct vlapic *vl = vcpu_vlapic(v);

    if ( !vl->regs )
        return;
    kill_timer(&vl->timer);
    free_xenheap_pages(vl->regs, 0);
    vl->regs = NULL;
}

/*
 * INIT (SDM 11.4.7.3): the state after power-on except the APIC ID, which
 * here is derived from the vCPU id anyway; IA32_APIC_BASE is kept, so a
 * vCPU in x2APIC mode stays there (SDM 11.12.5.1) with its LDR derived
 * from the ID.  The caller empties the posted-interrupt descriptor
 * first (hvm.c, INIT): what was sent before the INIT goes with IRR.  The
 * counters survive.
 */
void vlapic_reset(struct vlapic *vlapic)
{
    reset_registers(vlapic);
}

/*
 * IA32_APIC_BASE (SDM 11.12.5): the legal states are disabled (EN=0,
 * EXTD=0), xAPIC (1,0) and x2APIC (1,1).  xAPIC <-> disabled,
 * x2APIC -> disabled and xAPIC -> x2APIC are allowed; x2APIC -> xAPIC,
 * disabled -> x2APIC and the invalid state (0,1) are #GP, as are the
 * reserved bits 0-7 and 9.  The base stays at 0xfee00000: another base is
 * #GP (moving the page is legal on hardware, but no guest we run does it,
 * and a fixed page keeps the MMIO intercept simple).  BSP (bit 8) is
 * read-only: set for vCPU 0 only.
 */
static int apic_base_write(struct vlapic *vl, u64 val)
{
    u64 old = vl->apic_base;
    bool old_en = old & APICBASE_ENABLE, old_x2 = old & APICBASE_X2APIC;
    bool new_en = val & APICBASE_ENABLE, new_x2 = val & APICBASE_X2APIC;

    if ( (val & APICBASE_ADDR_MASK) != APIC_DEFAULT_BASE ||
         (val & 0xfffULL & ~(APICBASE_BSP | APICBASE_X2APIC |
                             APICBASE_ENABLE)) )
        return VLAPIC_GP;
    if ( new_x2 && !new_en )
        return VLAPIC_GP;                   /* invalid state */
    if ( old_x2 && new_en && !new_x2 )
        return VLAPIC_GP;                   /* x2APIC -> xAPIC */
    if ( !old_en && new_x2 )
        return VLAPIC_GP;                   /* disabled -> x2APIC */

    WRITE_ONCE(vl->apic_base,
               (val & ~APICBASE_BSP) |
               (vcpu_id_of(vl) == 0 ? APICBASE_BSP : 0));

    /* Hardware disable: back to the power-on register state. */
    if ( old_en && !new_en )
        reset_registers(vl);
    return VLAPIC_OK;
}

/* --- destinations and IPIs --- */

/*
 * Whether 't' is addressed by 'dest' (SDM 11.6.2).  'x2msg': the message
 * comes from an x2APIC-mode sender (32-bit destination, 0xffffffff is the
 * broadcast); otherwise the destination is the 8-bit xAPIC one (0xff is
 * the broadcast).  The logical models follow the target's mode and DFR.
 */
static bool match_dest(const struct vlapic *t, bool x2msg, u32 dest,
                       bool logical)
{
    unsigned int id = vcpu_id_of(t);
    bool t_x2 = x2apic_mode(t);

    if ( !logical )
    {
        if ( dest == (x2msg ? 0xffffffffu : 0xffu) || dest == 0xffffffffu )
            return true;
        return dest == (t_x2 ? id : (id & 0xff));
    }

    if ( t_x2 )
    {
        u32 ldr = x2apic_ldr(id);

        if ( dest == 0xffffffffu || (!x2msg && dest == 0xff) )
            return true;
        return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
    }
    else
    {
        u32 d8 = dest & 0xff;
        u32 ldr8 = reg_get(t, APIC_REG_LDR) >> 24;

        if ( d8 == 0xff )
            return true;
        switch ( reg_get(t, APIC_REG_DFR) >> 28 )
        {
        case DFR_FLAT:
            return ldr8 & d8;
        case DFR_CLUSTER:
            return (ldr8 >> 4) == (d8 >> 4) && (ldr8 & d8 & 0xf);
        default:
            return false;               /* a model that does not exist */
        }
    }
}

/* Deliver one message to 't' (a matching, hardware-enabled vlapic). */
static void deliver(struct vlapic *src, struct vlapic *t, unsigned int dm,
                    u8 vector, bool level)
{
    switch ( dm )
    {
    case DM_FIXED:
    case DM_LOWEST:
        if ( t == src )
            accept_local(t, vector, level);
        else
            vlapic_set_irq(t, vector, level);
        break;
    case DM_NMI:
        hvm_vcpu_send_nmi(t->vcpu);
        break;
    case DM_INIT:
        hvm_vcpu_send_init(t->vcpu);
        break;
    case DM_STARTUP:
        hvm_vcpu_send_sipi(t->vcpu, vector);
        break;
    }
}

/*
 * Lowest priority among the candidates seen in vCPU id order: the lowest
 * TPR class wins, as chipsets arbitrate (and Bochs does); an interrupt
 * that happens to be in service on a target right now does not count.
 * Among equals, the first id after the previous winner, else the first
 * one (round-robin).
 */
struct lowest_prio
{
    unsigned int last;          /* previous winner's id */
    u32 best_class;
    struct vlapic *after;       /* first best after 'last' */
    struct vlapic *first;       /* first best overall */
};

static void lowest_prio_consider(struct lowest_prio *lp, struct vlapic *t)
{
    u32 cls = (reg_get(t, APIC_REG_TPR) & 0xff) >> 4;
    unsigned int id = vcpu_id_of(t);

    if ( !lp->first || cls < lp->best_class )
    {
        lp->best_class = cls;
        lp->first = t;
        lp->after = id > lp->last ? t : NULL;
    }
    else if ( cls == lp->best_class && !lp->after && id > lp->last )
        lp->after = t;
}

/*
 * The IPI fast path (seeds/003): an x2APIC ICR write sending a fixed IPI
 * to one vCPU by physical ID, which is what a guest's IPIs mostly are.
 * It runs straight after the exit, before the general exit dispatch; it
 * does what the register write would do for this case (store ICR, post
 * the vector) and nothing else.  Anything else returns false untouched.
 */
bool vlapic_icr_fastpath(struct vlapic *vl, u64 val)
{
    u32 low = (u32)val, dest = (u32)(val >> 32);
    struct domain *d = vl->vcpu->domain;
    struct vlapic *target;

    if ( !x2apic_mode(vl) || (low & ~(ICR_WRITABLE | ICR_BUSY)) ||
         (low & (ICR_DM_MASK | ICR_LOGICAL | ICR_SH_MASK)) ||
         (low & ICR_VECTOR) < 16 || dest >= d->max_vcpus ||
         !d->vcpu[dest] )
        return false;
    /* The x2APIC ID is the vCPU id: only an x2APIC-mode target matches. */
    target = vcpu_vlapic(d->vcpu[dest]);
    if ( !x2apic_mode(target) )
        return false;

    reg_set(vl, APIC_REG_ICR2, dest);
    reg_set(vl, APIC_REG_ICR, low & ICR_WRITABLE);
    vl->nr_ipis_sent++;
    /* A self-IPI by physical ID never leaves the pCPU either. */
    if ( target == vl )
        accept_local(vl, low & ICR_VECTOR, false);
    else
        vlapic_set_irq(target, low & ICR_VECTOR, false);
    return true;
}

/*
 * One destination of KVM's PV send-IPI (kvm_hypercall.c): the vCPU whose
 * physical APIC ID is 'apic_id' gets a fixed interrupt or an NMI by the
 * same delivery as an ICR write naming it.  APIC IDs are vCPU ids (as
 * CPUID leaves 1 and 0xb say), in both APIC modes.  The caller has
 * checked the mode and, for fixed, the vector.  Returns whether the
 * interrupt was accepted, in KVM's sense: the target exists with its
 * APIC hardware-enabled, and for a fixed interrupt software-enabled too.
 * The vCPU array is read as vlapic_ipi() reads it: it is set up before
 * any vCPU of the domain runs and not changed while one does.
 */
bool vlapic_pv_ipi_one(struct vlapic *src, u64 apic_id, bool nmi,
                       u8 vector)
{
    struct domain *d = src->vcpu->domain;
    struct vcpu *v;
    struct vlapic *t;

    if ( apic_id >= d->max_vcpus || !d->vcpu || !(v = d->vcpu[apic_id]) ||
         !(t = vcpu_vlapic(v)) || !t->regs || !hw_enabled(t) )
        return false;
    if ( nmi )
    {
        deliver(src, t, DM_NMI, vector, false);
        return true;
    }
    deliver(src, t, DM_FIXED, vector, false);
    return sw_enabled(t);
}

void vlapic_ipi(struct vlapic *src, struct domain *d, u32 icr_low,
                u32 dest)
{
    unsigned int dm = (icr_low & ICR_DM_MASK) >> ICR_DM_SHIFT;
    unsigned int sh = src ? (icr_low & ICR_SH_MASK) >> ICR_SH_SHIFT
                          : SH_NONE;
    u8 vector = icr_low & ICR_VECTOR;
    bool logical = icr_low & ICR_LOGICAL;
    bool x2msg = src && x2apic_mode(src);
    /*
     * IPIs are edge-triggered whatever the trigger bit says (SDM table
     * 11-3: a level IPI is treated as edge); IOAPIC and MSI messages
     * (no source) keep their trigger mode, which sets TMR.
     */
    bool level = !src && (icr_low & ICR_LEVEL);
    struct lowest_prio lp = {
        .last = __atomic_load_n(&lowest_prio_last, __ATOMIC_RELAXED),
    };

    switch ( dm )
    {
    case DM_FIXED:
    case DM_LOWEST:
        if ( vector < 16 && src )
        {
            vlapic_error(src, ESR_SEND_ILLEGAL, true);
            return;
        }
        break;
    case DM_INIT:
        /* INIT level de-assert: nothing on this APIC generation. */
        if ( (icr_low & (ICR_LEVEL | ICR_ASSERT)) == ICR_LEVEL )
            return;
        break;
    case DM_NMI:
    case DM_STARTUP:
        break;
    default:
        return;                 /* SMI is ignored; the rest are reserved */
    }

    /* Self and all-including-self carry fixed interrupts only. */
    if ( (sh == SH_SELF || sh == SH_ALL_INCL) && dm != DM_FIXED )
        return;

    if ( src )
        src->nr_ipis_sent++;

    if ( sh == SH_SELF )
    {
        accept_local(src, vector, false);
        return;
    }

    for ( unsigned int i = 0; i < d->max_vcpus; i++ )
    {
        struct vcpu *v = d->vcpu ? d->vcpu[i] : NULL;
        struct vlapic *t;

        if ( !v || !(t = vcpu_vlapic(v)) || !t->regs || !hw_enabled(t) )
            continue;
        switch ( sh )
        {
        case SH_ALL_EXCL:
            if ( t == src )
                continue;
            break;
        case SH_NONE:
            if ( !match_dest(t, x2msg, dest, logical) )
                continue;
            break;
        }
        if ( dm == DM_LOWEST )
            lowest_prio_consider(&lp, t);
        else
            deliver(src, t, dm, vector, level);
    }

    if ( dm == DM_LOWEST && lp.first )
    {
        struct vlapic *t = lp.after ? lp.after : lp.first;

        __atomic_store_n(&lowest_prio_last, vcpu_id_of(t), __ATOMIC_RELAXED);
        deliver(src, t, dm, vector, level);
    }
}

/* --- local interrupt inputs --- */

/*
 * LINT1 (SDM Vol. 3A 11.5.1 "Local Vector Table", 10.5.1 in older
 * editions).  The input is an edge: the NMI button and the chipset's
 * NMI sources pulse the line, and the MADT describes it as edge
 * triggered, active high.  Any pCPU may call this (a domctl runs on the
 * caller's pCPU): the entry is read once and the event goes through the
 * paths other senders use, never into the register page.
 *  - A hardware-disabled APIC (IA32_APIC_BASE.EN = 0) makes the processor
 *    one without an APIC (SDM 11.4.3), whose LINT1 pin is its NMI pin:
 *    an NMI.
 *  - Masked, which a software-disabled APIC forces (SDM 11.4.7.2; the SVR
 *    is checked as well, for the window in which svr_write() has cleared
 *    the enable bit but not yet masked the entries): nothing.  An edge
 *    while masked is lost, as for the IOAPIC's edge pins.
 *  - NMI: an NMI; INIT: an INIT, as the same delivery modes of the ICR.
 *  - Fixed: the entry's vector, edge triggered whatever the trigger bit
 *    says: "level-sensitive interrupts are not supported for LINT1"
 *    (11.5.1), so TMR stays clear and the Remote IRR bit is never set.
 *    A vector below 16 is a receive-illegal-vector error, as for every
 *    locally generated interrupt (11.5.3).
 *  - SMI is not modelled (the ICR ignores it too); ExtINT would make the
 *    processor fetch the vector from an 8259, and no 8259 is wired to
 *    LINT1: nothing.  The reserved encodings do nothing.
 */
void vlapic_lint1_edge(struct vlapic *vl)
{
    u32 lvt;

    if ( !vl->regs )
        return;
    if ( !hw_enabled(vl) )
    {
        hvm_vcpu_send_nmi(vl->vcpu);
        return;
    }
    lvt = reg_get(vl, APIC_REG_LVT1);
    if ( (lvt & LVT_MASKED) || !sw_enabled(vl) )
        return;
    switch ( (lvt & LVT_DM_MASK) >> LVT_DM_SHIFT )
    {
    case DM_FIXED:
        vlapic_set_irq(vl, lvt & LVT_VECTOR, false);
        break;
    case DM_NMI:
        hvm_vcpu_send_nmi(vl->vcpu);
        break;
    case DM_INIT:
        hvm_vcpu_send_init(vl->vcpu);
        break;
    default:
        break;
    }
}

/* --- the register file --- */

static bool is_lvt(unsigned int reg)
{
    return reg == APIC_REG_LVT_CMCI ||
           (reg >= APIC_REG_LVTT && reg <= APIC_REG_LVTERR);
}

static u32 lvt_writable(unsigned int reg)
{
    switch ( reg )
    {
    case APIC_REG_LVTT:     return LVTT_WRITABLE;
    case APIC_REG_LVT0:
    case APIC_REG_LVT1:     return LVT_LINT_WRITABLE;
    case APIC_REG_LVTERR:   return LVTERR_WRITABLE;
    default:                return LVT_DM_WRITABLE;
    }
}

static bool in_range(unsigned int reg, unsigned int base)
{
    return reg >= base && reg < base + 8 * 0x10;
}

/* Registers of the xAPIC page (reserved offsets are not among them). */
static bool xapic_reg_exists(unsigned int reg)
{
    switch ( reg )
    {
    case APIC_REG_ID: case APIC_REG_LVR: case APIC_REG_TPR:
    case APIC_REG_APR: case APIC_REG_PPR: case APIC_REG_EOI:
    case APIC_REG_RRD: case APIC_REG_LDR: case APIC_REG_DFR:
    case APIC_REG_SVR: case APIC_REG_ESR: case APIC_REG_ICR:
    case APIC_REG_ICR2: case APIC_REG_TMICT: case APIC_REG_TMCCT:
    case APIC_REG_TDCR:
        return true;
    }
    return is_lvt(reg) || in_range(reg, APIC_REG_ISR) ||
           in_range(reg, APIC_REG_TMR) || in_range(reg, APIC_REG_IRR);
}

/*
 * Reads.  VLAPIC_GP: no such register in the current mode (the MSR path
 * raises #GP, the MMIO path records an illegal register address).
 */
int vlapic_reg_read(struct vlapic *vlapic, unsigned int reg, u32 *val)
{
    struct vlapic *vl = vlapic;
    bool x2 = x2apic_mode(vl);

    *val = 0;
    if ( reg & 0xf )
        return VLAPIC_GP;
    if ( !x2 && !xapic_reg_exists(reg) )
        return VLAPIC_GP;

    switch ( reg )
    {
    case APIC_REG_ID:
        *val = x2 ? vcpu_id_of(vl) : vcpu_id_of(vl) << 24;
        return VLAPIC_OK;
    case APIC_REG_LVR:
        *val = APIC_VERSION;
        return VLAPIC_OK;
    case APIC_REG_APR:          /* not in x2APIC; no arbitration here */
    case APIC_REG_RRD:          /* remote read is not supported */
    case APIC_REG_DFR:
    case APIC_REG_ICR2:
        if ( x2 )
            return VLAPIC_GP;
        if ( reg == APIC_REG_DFR || reg == APIC_REG_ICR2 )
            *val = reg_get(vl, reg);
        return VLAPIC_OK;
    case APIC_REG_EOI:
        return x2 ? VLAPIC_GP : VLAPIC_OK;     /* write-only */
    case APIC_REG_LDR:
        *val = x2 ? x2apic_ldr(vcpu_id_of(vl)) : reg_get(vl, reg);
        return VLAPIC_OK;
    case APIC_REG_TMCCT:
        *val = timer_current(vl);
        return VLAPIC_OK;
    case APIC_REG_SELF_IPI:
        return VLAPIC_GP;                       /* write-only */
    case APIC_REG_TPR: case APIC_REG_PPR: case APIC_REG_SVR:
    case APIC_REG_ESR: case APIC_REG_ICR: case APIC_REG_TMICT:
    case APIC_REG_TDCR:
        *val = reg_get(vl, reg);
        return VLAPIC_OK;
    }

    if ( is_lvt(reg) || in_range(reg, APIC_REG_ISR) ||
         in_range(reg, APIC_REG_TMR) || in_range(reg, APIC_REG_IRR) )
    {
        *val = reg_get(vl, reg);
        return VLAPIC_OK;
    }
    return VLAPIC_GP;
}

static int lvt_write(struct vlapic *vl, unsigned int reg, u32 val, bool x2)
{
    u32 writable = lvt_writable(reg);
    u32 old = reg_get(vl, reg), new = val & writable;
    bool rearm = false;

    /* The status bits are read-only; everything else is reserved. */
    if ( x2 && (val & ~(writable | LVT_DELIV_STATUS | LVT_REMOTE_IRR)) )
        return VLAPIC_GP;

    if ( reg == APIC_REG_LVTT )
    {
        unsigned int mode = (new & LVTT_MODE_MASK) >> LVTT_MODE_SHIFT;

        /* Mode 11b is reserved: #GP, or (xAPIC) the mode is kept. */
        if ( mode == 3 )
        {
            if ( x2 )
                return VLAPIC_GP;
            new = (new & ~LVTT_MODE_MASK) | (old & LVTT_MODE_MASK);
        }
        /*
         * Switching to or from TSC-deadline mode disarms the timer (SDM
         * 11.5.4.1): the count stops, TMICT and IA32_TSC_DEADLINE are
         * cleared.  Between one-shot and periodic the count goes on and
         * ends as the new mode says (re-armed below for the new step).
         */
        if ( (new ^ old) & LVTT_MODE_MASK )
        {
            bool was_dl = ((old & LVTT_MODE_MASK) >> LVTT_MODE_SHIFT) ==
                          LVTT_TSC_DEADLINE;

            timer_catch_up(vl);
            if ( was_dl != (mode == LVTT_TSC_DEADLINE) )
            {
                timer_disarm(vl);
                reg_set(vl, APIC_REG_TMICT, 0);
            }
            else
                rearm = true;
        }
    }

    /* A software-disabled APIC keeps every LVT masked (SDM 11.4.7.2). */
    if ( !sw_enabled(vl) )
        new |= LVT_MASKED;
    reg_set(vl, reg, new);
    if ( rearm )
    {
        stop_timer(&vl->timer);
        timer_rearm(vl);
    }
    return VLAPIC_OK;
}

static void svr_write(struct vlapic *vl, u32 val)
{
    static const unsigned int lvts[] = {
        APIC_REG_LVT_CMCI, APIC_REG_LVTT, APIC_REG_LVT_THERM,
        APIC_REG_LVT_PERF, APIC_REG_LVT0, APIC_REG_LVT1, APIC_REG_LVTERR,
    };

    reg_set(vl, APIC_REG_SVR, val & SVR_WRITABLE);
    if ( val & SVR_ENABLE )
        return;
    /* Software disable masks every LVT; re-enabling does not unmask. */
    for ( unsigned int i = 0; i < ARRAY_SIZE(lvts); i++ )
        reg_set(vl, lvts[i], reg_get(vl, lvts[i]) | LVT_MASKED);
}

/*
 * Writes.  In xAPIC mode reserved bits are dropped and read-only
 * registers ignore writes; in x2APIC mode both are #GP (SDM 11.12.1.3).
 * VLAPIC_GP also means "no such register in this mode" (see the reads).
 */
int vlapic_reg_write(struct vlapic *vlapic, unsigned int reg, u32 val)
{
    struct vlapic *vl = vlapic;
    bool x2 = x2apic_mode(vl);

    if ( reg & 0xf )
        return VLAPIC_GP;
    if ( !x2 && !xapic_reg_exists(reg) )
        return VLAPIC_GP;
    if ( is_lvt(reg) )
        return lvt_write(vl, reg, val, x2);

    switch ( reg )
    {
    case APIC_REG_TPR:
        if ( x2 && (val & ~0xffu) )
            return VLAPIC_GP;
        reg_set(vl, APIC_REG_TPR, val & 0xff);
        update_ppr(vl);
        return VLAPIC_OK;

    case APIC_REG_EOI:
        if ( x2 && val )
            return VLAPIC_GP;
        vl->nr_eoi_writes++;
        do_eoi(vl);
        return VLAPIC_OK;

    case APIC_REG_LDR:
        if ( x2 )
            return VLAPIC_GP;                   /* read-only, derived */
        reg_set(vl, APIC_REG_LDR, val & LDR_XAPIC_WRITABLE);
        return VLAPIC_OK;

    case APIC_REG_DFR:
        if ( x2 )
            return VLAPIC_GP;
        reg_set(vl, APIC_REG_DFR, (val & DFR_WRITABLE) | ~DFR_WRITABLE);
        return VLAPIC_OK;

    case APIC_REG_SVR:
        if ( x2 && (val & ~SVR_WRITABLE) )
            return VLAPIC_GP;
        svr_write(vl, val);
        return VLAPIC_OK;

    case APIC_REG_ESR:
        /*
         * A write latches the errors seen since the previous write and
         * starts collecting afresh (SDM 11.5.3).  x2APIC: only 0.
         */
        if ( x2 && val )
            return VLAPIC_GP;
        reg_set(vl, APIC_REG_ESR,
                __atomic_exchange_n(&vpriv(vl)->esr_pending, 0,
                                    __ATOMIC_RELAXED));
        return VLAPIC_OK;

    case APIC_REG_ICR:
        /* Bit 12 (busy) is reserved in x2APIC but ignored, as Intel does. */
        if ( x2 && (val & ~(ICR_WRITABLE | ICR_BUSY)) )
            return VLAPIC_GP;
        val &= ICR_WRITABLE;
        reg_set(vl, APIC_REG_ICR, val);
        vl->nr_ipis_slow++;
        vlapic_ipi(vl, vl->vcpu->domain, val,
                   x2 ? reg_get(vl, APIC_REG_ICR2)
                      : reg_get(vl, APIC_REG_ICR2) >> 24);
        return VLAPIC_OK;

    case APIC_REG_ICR2:
        if ( x2 )
            return VLAPIC_GP;               /* part of the 64-bit ICR */
        reg_set(vl, APIC_REG_ICR2, val & ICR2_XAPIC_WRITABLE);
        return VLAPIC_OK;

    case APIC_REG_TMICT:
        /* Ignored in TSC-deadline mode (SDM 11.5.4.1). */
        if ( lvtt_mode(vl) == LVTT_TSC_DEADLINE )
            return VLAPIC_OK;
        timer_catch_up(vl);
        reg_set(vl, APIC_REG_TMICT, val);
        timer_load(vl);
        return VLAPIC_OK;

    case APIC_REG_TDCR:
        if ( x2 && (val & ~TDCR_WRITABLE) )
            return VLAPIC_GP;
        timer_set_divide(vl, val & TDCR_WRITABLE);
        return VLAPIC_OK;

    case APIC_REG_SELF_IPI:
        if ( !x2 || (val & ~0xffu) )
            return VLAPIC_GP;
        /* Fixed, edge, to ourselves; an illegal vector is a receive one. */
        vl->nr_ipis_sent++;
        vl->nr_ipis_slow++;
        accept_local(vl, val & 0xff, false);
        return VLAPIC_OK;

    case APIC_REG_ID: case APIC_REG_LVR: case APIC_REG_APR:
    case APIC_REG_PPR: case APIC_REG_RRD: case APIC_REG_TMCCT:
        /* Read-only (the ID too, by choice); APR and RRD x2APIC-less. */
        return x2 ? VLAPIC_GP : VLAPIC_OK;
    }

    if ( in_range(reg, APIC_REG_ISR) || in_range(reg, APIC_REG_TMR) ||
         in_range(reg, APIC_REG_IRR) )
        return x2 ? VLAPIC_GP : VLAPIC_OK;  /* read-only */
    return VLAPIC_GP;
}

/* --- the xAPIC MMIO page --- */

static bool mmio_enabled(const struct vlapic *vl)
{
    return (apic_base_of(vl) & (APICBASE_ENABLE | APICBASE_X2APIC)) ==
           APICBASE_ENABLE;
}

bool vlapic_is_mmio(const struct vlapic *vlapic, u64 gpa)
{
    return mmio_enabled(vlapic) &&
           gpa - (apic_base_of(vlapic) & APICBASE_ADDR_MASK) < PAGE_SIZE;
}

/*
 * A register read with any size and offset: the bytes of the register's
 * first 4 that the access covers; bytes 4-15 of a slot and the page
 * beyond 0x3ff read 0.  An access to a reserved register in 0-0x3ff
 * records an illegal register address (SDM 11.5.3).
 */
void vlapic_mmio_read(struct vlapic *vlapic, unsigned int offset,
                      unsigned int size, u64 *val)
{
    unsigned int reg = offset & 0xff0, byte = offset & 0xf;
    u32 r;

    *val = 0;
    if ( !mmio_enabled(vlapic) || offset >= 0x400 || size > 8 )
        return;
    if ( vlapic_reg_read(vlapic, reg, &r) != VLAPIC_OK )
    {
        vlapic_error(vlapic, ESR_ILLEGAL_REG, true);
        return;
    }
    for ( unsigned int i = 0; i < size && byte + i < 4; i++ )
        *val |= (u64)((r >> ((byte + i) * 8)) & 0xff) << (i * 8);
}

/*
 * Only a 4-byte write at the start of a register writes it; any other
 * size or offset is ignored (SDM Vol. 3A 11.4.1 makes narrower accesses
 * model specific).  The TPR is the exception: APICv takes a write of any
 * size that lies within its first 4 bytes, stores those bytes and then
 * clears bytes 3:1 if the write began at byte 0 (SDM Vol. 3C 29.4.3.1,
 * 29.4.3.2), so the TPR becomes the low byte written at offset 0x80 and
 * a write to bytes 1-3 changes nothing (apic_write_exit() writes back
 * the register it left).  Without APICv the TPR behaves the same, so a
 * guest sees one APIC whichever way its accesses are handled.
 */
void vlapic_mmio_write(struct vlapic *vlapic, unsigned int offset,
                       unsigned int size, u64 val)
{
    unsigned int reg = offset & 0xff0;

    if ( !mmio_enabled(vlapic) || offset >= 0x400 )
        return;
    if ( !xapic_reg_exists(reg) )
    {
        vlapic_error(vlapic, ESR_ILLEGAL_REG, true);
        return;
    }
    if ( reg == APIC_REG_TPR && (offset & 0xf) + size <= 4 )
    {
        if ( !(offset & 0xf) )
            (void)vlapic_reg_write(vlapic, APIC_REG_TPR, (u32)val & 0xff);
        return;
    }
    if ( size != 4 || (offset & 0xf) )
        return;
    (void)vlapic_reg_write(vlapic, reg, (u32)val);
}

/* --- MSRs --- */

int vlapic_msr_read(struct vlapic *vlapic, u32 msr, u64 *val)
{
    struct vlapic *vl = vlapic;
    u32 r;

    *val = 0;
    if ( msr == MSR_IA32_APICBASE )
    {
        *val = vl->apic_base;
        return VLAPIC_OK;
    }
    if ( msr == MSR_IA32_TSC_DEADLINE )
    {
        /* Reads 0 outside TSC-deadline mode (SDM 11.5.4.1). */
        if ( lvtt_mode(vl) == LVTT_TSC_DEADLINE )
            *val = vl->tsc_deadline;
        return VLAPIC_OK;
    }
    if ( msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST ||
         !x2apic_mode(vl) )
        return VLAPIC_GP;

    if ( msr == MSR_X2APIC_FIRST + (APIC_REG_ICR >> 4) )
    {
        *val = ((u64)reg_get(vl, APIC_REG_ICR2) << 32) |
               reg_get(vl, APIC_REG_ICR);
        return VLAPIC_OK;
    }
    if ( vlapic_reg_read(vl, (msr - MSR_X2APIC_FIRST) << 4, &r) )
        return VLAPIC_GP;
    *val = r;
    return VLAPIC_OK;
}

int vlapic_msr_write(struct vlapic *vlapic, u32 msr, u64 val)
{
    struct vlapic *vl = vlapic;

    if ( msr == MSR_IA32_APICBASE )
        return apic_base_write(vl, val);
    if ( msr == MSR_IA32_TSC_DEADLINE )
        return tsc_deadline_write(vl, val);
    if ( msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST ||
         !x2apic_mode(vl) )
        return VLAPIC_GP;

    if ( msr == MSR_X2APIC_FIRST + (APIC_REG_ICR >> 4) )
    {
        /* One 64-bit register: destination in 63:32.  Check, then send. */
        u32 low = (u32)val;

        if ( low & ~(ICR_WRITABLE | ICR_BUSY) )
            return VLAPIC_GP;
        reg_set(vl, APIC_REG_ICR2, (u32)(val >> 32));
        return vlapic_reg_write(vl, APIC_REG_ICR, low);
    }
    /* Every other x2APIC register is 32 bits: 63:32 are reserved. */
    if ( val >> 32 )
        return VLAPIC_GP;
    return vlapic_reg_write(vl, (msr - MSR_X2APIC_FIRST) << 4, (u32)val);
}

/* --- injection --- */

/*
 * The injection protocol, on the vCPU's pCPU with interrupts off, around
 * every entry:
 *   pi_sync_pir_to_irr(v); vec = vlapic_pending_irq(vl);
 *   if the guest can take it: vlapic_ack_irq(vl, vec), inject vec;
 *   ... the guest runs, exits ...
 *   vlapic_injection_done(vl, delivered)  -- before handling the exit.
 * Between ack and injection_done the vector is in neither IRR nor ISR:
 * a new interrupt of the same vector lands in IRR and stays distinct
 * (seeds/002).
 */
int vlapic_pending_irq(struct vlapic *vlapic)
{
    /* One at a time: the fate of the previous one must be known first. */
    if ( vlapic->injected >= 0 )
        return -1;
    return deliverable_vec(vlapic);
}

void vlapic_ack_irq(struct vlapic *vlapic, int vector)
{
    ASSERT(vlapic->injected < 0);
    ASSERT(vector >= 16 && vector < 256);
    ASSERT(vec_test(vlapic, APIC_REG_IRR, vector));
    vec_clear(vlapic, APIC_REG_IRR, vector);
    vlapic->injected = vector;
}

/*
 * Delivered: the guest took it, it is in service.  Not delivered: it is
 * still a request, back to IRR; if the same vector was accepted
 * meanwhile the two are now one pending request, which is what the
 * hardware makes of two requests neither of which was dispatched.
 */
void vlapic_injection_done(struct vlapic *vlapic, bool delivered)
{
    int vec = vlapic->injected;

    if ( vec < 0 )
        return;
    vlapic->injected = -1;
    if ( delivered )
    {
        vec_set(vlapic, APIC_REG_ISR, vec);
        update_ppr(vlapic);
    }
    else
        vec_set(vlapic, APIC_REG_IRR, vec);
}

/*
 * For the HLT path, after it set VPF_blocked.  Syncs the descriptor and
 * looks for a deliverable vector; then looks at the descriptor again: a
 * post that raced with the sync has set ON again, and a vCPU must never
 * sleep with ON set (later posts would see ON, not notify, not wake).
 * So true means "do not sleep now", possibly for a vector that the PPR
 * still holds back; the caller just re-evaluates.
 */
bool vlapic_has_wakeup(struct vlapic *vlapic)
{
    if ( vlapic->injected >= 0 )
        return true;
    pi_sync_pir_to_irr(vlapic->vcpu);
    if ( deliverable_vec(vlapic) >= 0 )
        return true;
    return pi_pending(vlapic->vcpu);
}

/*
 * Move the timer to 'cpu'.  Call before the vCPU runs there, so that
 * the timer function and the vCPU's exit handlers keep sharing a pCPU.
 * kill_timer() waits out a run of the function on the old pCPU; a
 * re-arm it attempted meanwhile was refused (killed), so the expiry is
 * recomputed from the state the function left.  That state was written
 * before timer.c cleared 'running', which kill_timer() saw: the acquire
 * fence orders our reads after it (x86 stores are not reordered with
 * stores, so the function's writes are visible by then).
 */
void vlapic_migrate_timer(struct vlapic *vlapic, unsigned int cpu)
{
    kill_timer(&vlapic->timer);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    init_timer(&vlapic->timer, vlapic_timer_fn, vlapic, cpu);
    timer_rearm(vlapic);
}

/* --- debug key 'v' --- */

static void dump_vecs(const struct vlapic *vl, const char *name,
                      unsigned int base)
{
    printk("    %s %08x %08x %08x %08x %08x %08x %08x %08x\n", name,
           reg_get(vl, base + 0x70), reg_get(vl, base + 0x60),
           reg_get(vl, base + 0x50), reg_get(vl, base + 0x40),
           reg_get(vl, base + 0x30), reg_get(vl, base + 0x20),
           reg_get(vl, base + 0x10), reg_get(vl, base));
}

void vlapic_dump(const struct vlapic *vlapic)
{
    static const char *const modes[] = {
        "one-shot", "periodic", "tsc-deadline", "reserved",
    };
    const struct vlapic *vl = vlapic;
    const struct pi_desc *pi;
    u64 base;

    if ( !vl->regs )
    {
        printk("    vlapic: not initialised\n");
        return;
    }
    base = apic_base_of(vl);
    pi = vcpu_pi_desc(vl->vcpu);

    printk("    vlapic v%u: base %#llx (%s) svr %#x tpr %#x ppr %#x "
           "injected %d\n", vcpu_id_of(vl), (unsigned long long)base,
           !(base & APICBASE_ENABLE) ? "disabled"
           : (base & APICBASE_X2APIC) ? "x2apic" : "xapic",
           reg_get(vl, APIC_REG_SVR), reg_get(vl, APIC_REG_TPR),
           reg_get(vl, APIC_REG_PPR), vl->injected);
    printk("    ldr %#x dfr %#x esr %#x (pending %#x) icr %#x:%#x\n",
           reg_get(vl, APIC_REG_LDR), reg_get(vl, APIC_REG_DFR),
           reg_get(vl, APIC_REG_ESR),
           __atomic_load_n(&vpriv(vl)->esr_pending, __ATOMIC_RELAXED),
           reg_get(vl, APIC_REG_ICR2), reg_get(vl, APIC_REG_ICR));
    dump_vecs(vl, "IRR", APIC_REG_IRR);
    dump_vecs(vl, "ISR", APIC_REG_ISR);
    dump_vecs(vl, "TMR", APIC_REG_TMR);
    printk("    LVT timer %#x therm %#x perf %#x lint0 %#x lint1 %#x "
           "err %#x cmci %#x\n",
           reg_get(vl, APIC_REG_LVTT), reg_get(vl, APIC_REG_LVT_THERM),
           reg_get(vl, APIC_REG_LVT_PERF), reg_get(vl, APIC_REG_LVT0),
           reg_get(vl, APIC_REG_LVT1), reg_get(vl, APIC_REG_LVTERR),
           reg_get(vl, APIC_REG_LVT_CMCI));
    printk("    timer %s tmict %#x tdcr %#x period %lld ns start %lld "
           "tsc-deadline %#llx armed %d cpu %u\n",
           modes[lvtt_mode(vl)], reg_get(vl, APIC_REG_TMICT),
           reg_get(vl, APIC_REG_TDCR), (long long)vl->timer_period,
           (long long)vl->timer_start,
           (unsigned long long)vl->tsc_deadline,
           timer_is_active(&vl->timer), vl->timer.cpu);
    if ( pi )
        printk("    PI on %u sn %u nv %#x ndst %#x pir %08x %08x %08x %08x "
               "%08x %08x %08x %08x\n",
               (unsigned int)(READ_ONCE(pi->control) & 1),
               (unsigned int)((READ_ONCE(pi->control) >> 1) & 1),
               (unsigned int)((READ_ONCE(pi->control) >> 16) & 0xff),
               (unsigned int)(READ_ONCE(pi->control) >> 32),
               READ_ONCE(pi->pir[7]), READ_ONCE(pi->pir[6]),
               READ_ONCE(pi->pir[5]), READ_ONCE(pi->pir[4]),
               READ_ONCE(pi->pir[3]), READ_ONCE(pi->pir[2]),
               READ_ONCE(pi->pir[1]), READ_ONCE(pi->pir[0]));
    printk("    counters: eoi %llu ipis-sent %llu timer-expiries %llu\n",
           (unsigned long long)vl->nr_eoi,
           (unsigned long long)vl->nr_ipis_sent,
           (unsigned long long)vl->nr_timer_fires);
}

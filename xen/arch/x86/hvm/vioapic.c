/*
 * The virtual IOAPIC at 0xfec00000: 24 pins (GSI 0-23), version 0x11,
 * reached through IOREGSEL (offset 0x00) and IOWIN (offset 0x10) with
 * 32-bit accesses, like an 82093AA.  Other offsets and sizes are ignored
 * (reads give 0).
 *
 * Delivery turns a redirection entry into an ICR and hands it to the
 * vlapic layer (vlapic_ipi with no source vCPU), so destination modes,
 * lowest priority and posting are handled in exactly one place.  The ICR
 * built: vector (bits 0-7), delivery mode (8-10), destination mode (11),
 * level = assert (14, always set, as a real IOAPIC message asserts) and
 * trigger mode (15, set for level-triggered fixed and lowest-priority
 * entries: the vlapic records TMR for those and calls vioapic_eoi() when
 * the guest EOIs them).  'dest' is the 8-bit destination field (bits
 * 56-63 of the entry), unshifted; 0xff in physical mode is a broadcast.
 * Fixed, lowest priority, NMI and INIT are delivered; SMI, ExtINT (there
 * is no PIC to acknowledge it) and the reserved modes are dropped.  NMI
 * and INIT carry no EOI, so they are delivered on rising edges even when
 * the entry says level.
 *
 * Input lines: 'irr' holds the current level of every pin, whatever the
 * trigger mode ('level' in vioapic_set_irq() is the logical assertion;
 * the polarity bit is stored but does not invert it, the device models
 * speak in asserted/deasserted).  Edge pins deliver on a rising edge
 * while unmasked (an edge while masked is lost, as on hardware).  Level
 * pins deliver while asserted and unmasked unless remote IRR is set;
 * delivery sets remote IRR, the EOI of the entry's vector clears it and
 * delivers again if the line is still asserted.  Unmasking an asserted
 * level pin delivers.  Delivery status (bit 12) always reads 0: delivery
 * is synchronous, nothing ever waits.
 *
 * An entry write that changes which vector the pin sends level-triggered
 * (trigger mode, delivery mode, vector) tells the HVM layer
 * (hvm_vioapic_levels_changed), before any delivery it causes: VMX with
 * APICv traps the EOIs of those vectors with a bitmap it computes at each
 * VM entry, and makes the vCPUs running the guest exit to recompute it.
 *
 * Locking: vioapic.lock protects the registers and 'irr'.  Deliveries are
 * worked out under it and made after it is dropped, so the vlapic layer
 * may call back (vioapic_eoi) without deadlock and no lock order with the
 * vlapic or posting paths is created.  A device model may drive its line
 * with its own lock held (vuart.c: uart.lock, then vioapic.lock); nothing
 * here takes a device's lock.  Not for hard IRQ context.
 */
#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
#include <asm/hvm/domain.h>
#include <asm/hvm/io.h>
#include <asm/hvm/vlapic.h>

#include "devices.h"

#define IOREGSEL            0x00
#define IOWIN               0x10

#define IOAPIC_REG_ID       0x00
#define IOAPIC_REG_VERSION  0x01
#define IOAPIC_REG_ARB      0x02
#define IOAPIC_REG_REDIR    0x10    /* two registers per pin */

/* 24 entries (max redirection entry 23), version 0x11. */
#define IOAPIC_VERSION      (((VIOAPIC_PINS - 1) << 16) | 0x11)
#define IOAPIC_ID_SHIFT     24
#define IOAPIC_ID_MASK      0x0f

/* Redirection entry bits. */
#define RTE_VECTOR          0xffULL
#define RTE_DELIV_SHIFT     8
#define RTE_DELIV_MASK      (7ULL << RTE_DELIV_SHIFT)
#define RTE_DEST_LOGICAL    (1ULL << 11)
#define RTE_DELIV_STATUS    (1ULL << 12)
#define RTE_POLARITY_LOW    (1ULL << 13)
#define RTE_REMOTE_IRR      (1ULL << 14)
#define RTE_LEVEL           (1ULL << 15)
#define RTE_MASKED          (1ULL << 16)
#define RTE_DEST_SHIFT      56
/* What a guest may write: everything but the read-only and reserved bits. */
#define RTE_WRITABLE        (RTE_VECTOR | RTE_DELIV_MASK | RTE_DEST_LOGICAL | \
                             RTE_POLARITY_LOW | RTE_LEVEL | RTE_MASKED |    \
                             (0xffULL << RTE_DEST_SHIFT))

#define DELIV_FIXED         0
#define DELIV_LOWEST        1
#define DELIV_NMI           4
#define DELIV_INIT          5

/* ICR bits the vlapic reads. */
#define ICR_DELIV_SHIFT     8
#define ICR_DEST_LOGICAL    (1u << 11)
#define ICR_ASSERT          (1u << 14)
#define ICR_LEVEL           (1u << 15)

/* A delivery worked out under the lock, made after it. */
struct delivery
{
    u32 icr_low;
    u32 dest;
};

void vioapic_init(struct vioapic *vioapic)
{
    unsigned int i;

    spin_lock_init(&vioapic->lock);
    vioapic->ioregsel = 0;
    /* 0, as the MADT built by acpi_build.c says. */
    vioapic->id = 0;
    vioapic->irr = 0;
    for ( i = 0; i < VIOAPIC_PINS; i++ )
        vioapic->redir[i] = RTE_MASKED;
}

static unsigned int rte_mode(u64 rte)
{
    return (rte & RTE_DELIV_MASK) >> RTE_DELIV_SHIFT;
}

/* Whether this entry uses remote IRR and EOIs: level, fixed or lowest. */
static bool rte_is_level(u64 rte)
{
    unsigned int mode = rte_mode(rte);

    return (rte & RTE_LEVEL) && (mode == DELIV_FIXED || mode == DELIV_LOWEST);
}

/* The ICR for an entry; false for modes that are not delivered. */
static bool rte_to_icr(u64 rte, struct delivery *out)
{
    unsigned int mode = rte_mode(rte);
    u32 icr;

    switch ( mode )
    {
    case DELIV_FIXED:
    case DELIV_LOWEST:
    case DELIV_NMI:
    case DELIV_INIT:
        break;
    default:
        return false;
    }

    icr = (u32)(rte & RTE_VECTOR) | (mode << ICR_DELIV_SHIFT) | ICR_ASSERT;
    if ( rte & RTE_DEST_LOGICAL )
        icr |= ICR_DEST_LOGICAL;
    if ( rte_is_level(rte) )
        icr |= ICR_LEVEL;

    out->icr_low = icr;
    out->dest = rte >> RTE_DEST_SHIFT;
    return true;
}

/*
 * For progress.c: whether an unmasked entry would deliver an NMI or an
 * INIT, which end a HLT with interrupts disabled.  Read without the
 * lock: it is asked when no vCPU of d runs, so no entry changes.
 */
bool vioapic_sends_nmi_or_init(struct domain *d)
{
    const struct vioapic *vio = &d->hvm->vioapic;

    for ( unsigned int p = 0; p < VIOAPIC_PINS; p++ )
    {
        u64 rte = __atomic_load_n(&vio->redir[p], __ATOMIC_SEQ_CST);

        if ( !(rte & RTE_MASKED) &&
             (rte_mode(rte) == DELIV_NMI || rte_mode(rte) == DELIV_INIT) )
            return true;
    }
    return false;
}

/*
 * Pin 'pin' fires now (caller checked it should): record remote IRR for
 * level entries and queue the delivery.  Caller holds vioapic->lock.
 */
static void fire(struct vioapic *vioapic, unsigned int pin,
                 struct delivery *q, unsigned int *nr)
{
    u64 rte = vioapic->redir[pin];

    if ( !rte_to_icr(rte, &q[*nr]) )
        return;
    if ( rte_is_level(rte) )
        vioapic->redir[pin] = rte | RTE_REMOTE_IRR;
    (*nr)++;
}

/* A level pin that should deliver now.  Caller holds vioapic->lock. */
static bool level_pending(const struct vioapic *vioapic, unsigned int pin)
{
    u64 rte = vioapic->redir[pin];

    return rte_is_level(rte) && (vioapic->irr & (1u << pin)) &&
           !(rte & (RTE_MASKED | RTE_REMOTE_IRR));
}

static void deliver(struct domain *d, const struct delivery *q,
                    unsigned int nr)
{
    unsigned int i;

    for ( i = 0; i < nr; i++ )
        vlapic_ipi(NULL, d, q[i].icr_low, q[i].dest);
}

/* Caller holds vioapic->lock. */
static u32 reg_read(const struct vioapic *vioapic, u32 reg)
{
    unsigned int pin;

    switch ( reg )
    {
    case IOAPIC_REG_ID:
    case IOAPIC_REG_ARB:
        /* The arbitration ID follows the APIC ID. */
        return (vioapic->id & IOAPIC_ID_MASK) << IOAPIC_ID_SHIFT;
    case IOAPIC_REG_VERSION:
        return IOAPIC_VERSION;
    }

    if ( reg < IOAPIC_REG_REDIR ||
         reg >= IOAPIC_REG_REDIR + 2 * VIOAPIC_PINS )
        return 0;

    pin = (reg - IOAPIC_REG_REDIR) / 2;
    if ( reg & 1 )
        return vioapic->redir[pin] >> 32;
    return (u32)vioapic->redir[pin];
}

/* The vector this entry sends level-triggered, or -1. */
static int level_vector(u64 rte)
{
    return rte_is_level(rte) ? (int)(rte & RTE_VECTOR) : -1;
}

/*
 * Caller holds vioapic->lock; may queue one delivery in q.  Returns
 * whether the vectors sent level-triggered changed (see vioapic_mmio).
 */
static bool reg_write(struct vioapic *vioapic, u32 reg, u32 val,
                      struct delivery *q, unsigned int *nr)
{
    unsigned int pin;
    u64 rte, keep;
    bool changed;

    if ( reg == IOAPIC_REG_ID )
    {
        vioapic->id = (val >> IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK;
        return false;
    }
    /* Version and arbitration are read-only; the rest is not there. */
    if ( reg < IOAPIC_REG_REDIR ||
         reg >= IOAPIC_REG_REDIR + 2 * VIOAPIC_PINS )
        return false;

    pin = (reg - IOAPIC_REG_REDIR) / 2;
    rte = vioapic->redir[pin];
    if ( reg & 1 )
        rte = (rte & 0xffffffffULL) | ((u64)val << 32);
    else
        rte = (rte & ~0xffffffffULL) | val;

    /* The model owns delivery status and remote IRR. */
    keep = vioapic->redir[pin] & RTE_REMOTE_IRR;
    rte = (rte & RTE_WRITABLE) | keep;
    /* An edge entry has no EOI to wait for. */
    if ( !rte_is_level(rte) )
        rte &= ~RTE_REMOTE_IRR;
    changed = level_vector(rte) != level_vector(vioapic->redir[pin]);
    vioapic->redir[pin] = rte;

    /* Unmasking a level pin that is asserted delivers it now. */
    if ( level_pending(vioapic, pin) )
        fire(vioapic, pin, q, nr);
    return changed;
}

void vioapic_mmio(struct vcpu *v, bool write, u64 gpa, unsigned int size,
                  u64 *val)
{
    struct domain *d = v->domain;
    struct hvm_domain *hvm = domain_hvm(d);
    struct vioapic *vioapic;
    struct delivery q[1];
    unsigned int nr = 0;
    bool levels_changed = false;
    u64 offset = gpa - VIOAPIC_BASE;

    if ( !hvm )
        return;
    vioapic = &hvm->vioapic;

    if ( size != 4 || (offset != IOREGSEL && offset != IOWIN) )
    {
        if ( !write )
            *val = 0;
        return;
    }

    spin_lock(&vioapic->lock);
    if ( offset == IOREGSEL )
    {
        if ( write )
            vioapic->ioregsel = *val & 0xff;
        else
            *val = vioapic->ioregsel;
    }
    else if ( write )
        levels_changed = reg_write(vioapic, vioapic->ioregsel, *val, q, &nr);
    else
        *val = reg_read(vioapic, vioapic->ioregsel);
    spin_unlock(&vioapic->lock);

    /*
     * Before the delivery: a vCPU that caches the level vectors while it
     * runs (VMX's EOI-exit bitmap) must not take an interrupt of a vector
     * that just became level with the old cache (hvm.h).
     */
    if ( levels_changed )
        hvm_vioapic_levels_changed(d);
    deliver(d, q, nr);
}

void vioapic_set_irq(struct domain *d, unsigned int gsi, bool level)
{
    struct hvm_domain *hvm = d ? domain_hvm(d) : NULL;
    struct vioapic *vioapic;
    struct delivery q[1];
    unsigned int nr = 0;
    u32 bit;
    bool was;
    u64 rte;

    if ( !hvm || gsi >= VIOAPIC_PINS )
        return;
    vioapic = &hvm->vioapic;
    bit = 1u << gsi;

    spin_lock(&vioapic->lock);
    was = vioapic->irr & bit;
    if ( level )
        vioapic->irr |= bit;
    else
        vioapic->irr &= ~bit;

    rte = vioapic->redir[gsi];
    if ( rte_is_level(rte) )
    {
        if ( level_pending(vioapic, gsi) )
            fire(vioapic, gsi, q, &nr);
    }
    else if ( level && !was && !(rte & RTE_MASKED) )
        fire(vioapic, gsi, q, &nr);
    spin_unlock(&vioapic->lock);

    deliver(d, q, nr);
}

void vioapic_eoi(struct domain *d, u8 vector)
{
    struct hvm_domain *hvm = d ? domain_hvm(d) : NULL;
    struct vioapic *vioapic;
    struct delivery q[VIOAPIC_PINS];
    unsigned int pin, nr = 0;

    if ( !hvm )
        return;
    vioapic = &hvm->vioapic;

    /* Several pins may share a vector: every one of them is done. */
    spin_lock(&vioapic->lock);
    for ( pin = 0; pin < VIOAPIC_PINS; pin++ )
    {
        u64 rte = vioapic->redir[pin];

        if ( !(rte & RTE_REMOTE_IRR) || (rte & RTE_VECTOR) != vector )
            continue;
        vioapic->redir[pin] = rte & ~RTE_REMOTE_IRR;
        if ( level_pending(vioapic, pin) )
            fire(vioapic, pin, q, &nr);
    }
    spin_unlock(&vioapic->lock);

    deliver(d, q, nr);
}

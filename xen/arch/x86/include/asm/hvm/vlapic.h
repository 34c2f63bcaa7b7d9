/*
 * The virtual local APIC of one vCPU: xAPIC (MMIO page at the APIC base)
 * and x2APIC (MSRs 0x800-0x8ff) both end in one register-write function.
 *
 * Ownership: the register page is touched only by the vCPU's own pCPU
 * (its exits and its timer, which runs on the vCPU's pCPU), so it needs no
 * lock.  Other vCPUs and devices write one thing in it: the TMR bit of
 * the vector they send, with an atomic RMW, at acceptance (vlapic.c,
 * vlapic_set_irq); the interrupt itself they post into the target's
 * posted-interrupt descriptor (pi.h), which the owner moves into IRR
 * before entering the guest.
 *
 * Invariant: an accepted interrupt is never lost and never merged with
 * one in service.  A vector handed to the hardware for injection leaves
 * IRR and is held in 'injected' until the next exit says whether the
 * guest took it (then ISR) or not (then IRR again).
 */
#ifndef ASM_X86_HVM_VLAPIC_H
#define ASM_X86_HVM_VLAPIC_H

#include <xen/types.h>
#include <xen/timer.h>

struct vcpu;
struct domain;

/* Register offsets (xAPIC page layout). */
#define APIC_REG_ID         0x020
#define APIC_REG_LVR        0x030
#define APIC_REG_TPR        0x080
#define APIC_REG_APR        0x090
#define APIC_REG_PPR        0x0a0
#define APIC_REG_EOI        0x0b0
#define APIC_REG_RRD        0x0c0
#define APIC_REG_LDR        0x0d0
#define APIC_REG_DFR        0x0e0
#define APIC_REG_SVR        0x0f0
#define APIC_REG_ISR        0x100   /* 8 registers, 0x10 apart */
#define APIC_REG_TMR        0x180
#define APIC_REG_IRR        0x200
#define APIC_REG_ESR        0x280
#define APIC_REG_LVT_CMCI   0x2f0
#define APIC_REG_ICR        0x300
#define APIC_REG_ICR2       0x310
#define APIC_REG_LVTT       0x320
#define APIC_REG_LVT_THERM  0x330
#define APIC_REG_LVT_PERF   0x340
#define APIC_REG_LVT0       0x350
#define APIC_REG_LVT1       0x360
#define APIC_REG_LVTERR     0x370
#define APIC_REG_TMICT      0x380
#define APIC_REG_TMCCT      0x390
#define APIC_REG_TDCR       0x3e0
#define APIC_REG_SELF_IPI   0x3f0   /* x2APIC only */

#define MSR_IA32_APICBASE       0x0000001b
#define MSR_IA32_TSC_DEADLINE   0x000006e0
#define MSR_X2APIC_FIRST        0x00000800
#define MSR_X2APIC_LAST         0x000008ff

#define APICBASE_BSP        (1ULL << 8)
#define APICBASE_X2APIC     (1ULL << 10)
#define APICBASE_ENABLE     (1ULL << 11)
#define APIC_DEFAULT_BASE   0xfee00000ULL

/* The virtual APIC timer counts at 1 GHz (before the divide). */
#define VLAPIC_BUS_KHZ      1000000u

/* Results of an access, for the exit handlers. */
#define VLAPIC_OK   0
#define VLAPIC_GP   1       /* inject #GP(0) into the guest */

struct vlapic
{
    struct vcpu *vcpu;
    u8 *regs;                   /* 4 KiB register page, xAPIC layout */
    u64 apic_base;              /* IA32_APIC_BASE */
    int injected;               /* vector awaiting confirmation, or -1 */

    /* Timer: one-shot, periodic or TSC-deadline (LVTT mode bits). */
    struct timer timer;
    s_time_t timer_start;       /* when TMICT was last loaded */
    s_time_t timer_period;      /* ns per count-down, 0 = stopped */
    u64 tsc_deadline;           /* guest TSC, 0 = disarmed */

    /* Counters. */
    u64 nr_eoi;
    u64 nr_eoi_writes;          /* EOIs through the register: exits */
    u64 nr_ipis_sent;
    u64 nr_ipis_slow;           /* ICR/SELF_IPI writes, full exit path */
    u64 nr_timer_fires;
    u64 nr_pv_ipi_calls;        /* KVM PV send-IPI hypercalls made */
    u64 nr_pv_ipi_targets;      /* destinations they reached */
};

int vlapic_init(struct vcpu *v);            /* power-on state */
void vlapic_destroy(struct vcpu *v);
void vlapic_reset(struct vlapic *vlapic);   /* INIT: per the SDM */

/* The one register-write path, for both the MMIO and the MSR routes. */
int vlapic_reg_write(struct vlapic *vlapic, unsigned int reg, u32 val);
int vlapic_reg_read(struct vlapic *vlapic, unsigned int reg, u32 *val);

/* xAPIC MMIO access at 'offset' into the page (aligned 1/2/4 bytes). */
void vlapic_mmio_read(struct vlapic *vlapic, unsigned int offset,
                      unsigned int size, u64 *val);
void vlapic_mmio_write(struct vlapic *vlapic, unsigned int offset,
                       unsigned int size, u64 val);
/* Whether guest-physical 'gpa' falls in this vlapic's xAPIC page. */
bool vlapic_is_mmio(const struct vlapic *vlapic, u64 gpa);

/*
 * MSR access: IA32_APIC_BASE, TSC_DEADLINE and the x2APIC range.  Returns
 * VLAPIC_OK, or VLAPIC_GP where the hardware raises #GP (x2APIC range
 * with x2APIC disabled, reserved or read-only registers, write-only ones
 * read, reserved bits set, illegal APIC_BASE transitions).
 */
int vlapic_msr_read(struct vlapic *vlapic, u32 msr, u64 *val);
int vlapic_msr_write(struct vlapic *vlapic, u32 msr, u64 val);

/*
 * Accept 'vector' for the vCPU owning 'target' from any source: posts to
 * its descriptor (a level-triggered one also records TMR).  Vectors 0-15
 * are illegal and set the receive-illegal-vector error instead.
 */
void vlapic_set_irq(struct vlapic *target, u8 vector, bool level);

/*
 * A rising edge on the LINT1 pin (on a PC the chipset's NMI line, wired
 * to LINT1 of every processor as the MADT says), from any pCPU: what
 * happens is what the guest's LVT LINT1 entry says.
 */
void vlapic_lint1_edge(struct vlapic *vlapic);

/*
 * Deliver an IPI as the ICR (low, high) describes it, from 'src'.  Used
 * by ICR writes and by the IOAPIC/MSI paths (src NULL: no shorthand).
 */
void vlapic_ipi(struct vlapic *src, struct domain *d, u32 icr_low,
                u32 dest);

/*
 * KVM's PV send-IPI, one destination by physical APIC ID: a fixed
 * interrupt of 'vector' or an NMI, through the ICR's delivery.  Whether
 * it was accepted (the target exists, its APIC is enabled).
 */
bool vlapic_pv_ipi_one(struct vlapic *src, u64 apic_id, bool nmi,
                       u8 vector);

/*
 * The IPI fast path: handle an x2APIC ICR write of 'val' if it is a fixed
 * IPI to one vCPU by physical ID; false (and nothing done) otherwise.
 */
bool vlapic_icr_fastpath(struct vlapic *vlapic, u64 val);

/*
 * Paravirtual EOI: the vector in service that the guest may EOI by
 * clearing its flag (or -1), and the EOI of it once the guest has.
 */
int vlapic_pv_eoi_candidate(struct vlapic *vlapic);
void vlapic_pv_eoi(struct vlapic *vlapic);

/* Injection, for the backends' entry path. */
int vlapic_pending_irq(struct vlapic *vlapic);   /* vector or -1 */
void vlapic_ack_irq(struct vlapic *vlapic, int vector);   /* -> injected */
void vlapic_injection_done(struct vlapic *vlapic, bool delivered);

/* Whether a HLTing vCPU has something that would wake it (IRR > PPR). */
bool vlapic_has_wakeup(struct vlapic *vlapic);

/* The vCPU moved to another pCPU: move its timer with it. */
void vlapic_migrate_timer(struct vlapic *vlapic, unsigned int cpu);

/* Debug key 'v'. */
void vlapic_dump(const struct vlapic *vlapic);

/* Hooks the HVM layer implements (hvm.c) for the vlapic. */
struct vlapic *vcpu_vlapic(struct vcpu *v);
void hvm_vcpu_send_init(struct vcpu *target);
void hvm_vcpu_send_sipi(struct vcpu *target, u8 vector);
void hvm_vcpu_send_nmi(struct vcpu *target);
void vioapic_eoi(struct domain *d, u8 vector);
/*
 * The vIOAPIC changed which vectors it sends level-triggered: backends
 * that keep them per vCPU while it runs (VMX's EOI-exit bitmap) refresh
 * them before those vCPUs run on (hvm.c).
 */
void hvm_vioapic_levels_changed(struct domain *d);
u64 hvm_guest_tsc(const struct vcpu *v);
/* System time at which the guest TSC reaches 'tsc' (past: <= NOW()). */
s_time_t hvm_guest_tsc_to_time(const struct vcpu *v, u64 tsc);

#endif /* ASM_X86_HVM_VLAPIC_H */

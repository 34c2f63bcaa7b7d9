/*
 * KVM's paravirtual clock and steal time, as guests see them: the MSRs,
 * the CPUID feature bits and the shared structures of KVM's documented
 * ABI (Documentation/virt/kvm/x86/msr.rst, cpuid.rst), and the hooks the
 * HVM layer calls.  kvmclock.c has the clock, steal_time.c steal time,
 * pvclock.c the pure arithmetic.
 */
#ifndef ASM_X86_HVM_KVMCLOCK_H
#define ASM_X86_HVM_KVMCLOCK_H

#include <xen/types.h>
#include <xen/spinlock.h>

struct vcpu;
struct domain;

#define MSR_KVM_WALL_CLOCK_NEW      0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW     0x4b564d01
#define MSR_KVM_STEAL_TIME          0x4b564d03

/* CPUID 0x40000001 EAX bits (cpuid.rst). */
#define KVM_FEATURE_CLOCKSOURCE2            3
#define KVM_FEATURE_STEAL_TIME              5
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT  24

#define KVM_MSR_ENABLED             1ULL
/* pvclock_vcpu_time_info.flags */
#define PVCLOCK_TSC_STABLE_BIT      0x01
/* kvm_steal_time.preempted */
#define KVM_VCPU_PREEMPTED          0x01

/* The guest's structures (msr.rst). */
struct pvclock_vcpu_time_info
{
    u32 version;
    u32 pad0;
    u64 tsc_timestamp;
    u64 system_time;
    u32 tsc_to_system_mul;
    s8 tsc_shift;
    u8 flags;
    u8 pad[2];
};

struct pvclock_wall_clock
{
    u32 version;
    u32 sec;
    u32 nsec;
};

struct kvm_steal_time
{
    u64 steal;
    u32 version;
    u32 flags;
    u8 preempted;
    u8 pad8[3];
    u32 pad[11];
};

/* Natural alignment gives the ABI's layout; no packing needed. */
_Static_assert(sizeof(struct pvclock_vcpu_time_info) == 32, "pvclock size");
_Static_assert(sizeof(struct pvclock_wall_clock) == 12, "wall clock size");
_Static_assert(sizeof(struct kvm_steal_time) == 64, "steal time size");

/* Per vCPU, in struct hvm_vcpu.  Only the vCPU's own context writes it. */
struct kvm_pv_vcpu
{
    u64 system_time_msr;        /* as the guest wrote it */
    bool clock_active;          /* enabled and the address is good */
    u32 clock_version;          /* even between updates */
    u32 clock_gen;              /* the domain's tsc_gen last written */
    u64 steal_msr;
    bool steal_active;
    u32 steal_version;
    u64 steal_base;             /* runnable time (ns) when enabled */
};

/* Per domain, in struct hvm_domain. */
struct kvm_pv_domain
{
    /*
     * The epoch, kvmclock 0: vCPU 0's creation.  tsc_offset0 is its TSC
     * offset then (guest TSC 0), epoch_ns the system time then.  Both are
     * written before any vCPU runs and never again.
     */
    u64 tsc_offset0;
    s_time_t epoch_ns;
    /* Bumped (atomically) whenever a vCPU's TSC offset changes. */
    u32 tsc_gen;
    /* MSR_KVM_WALL_CLOCK_NEW: any vCPU may write it, so under 'lock'. */
    spinlock_t lock;
    u64 wall_clock_msr;
    u32 wall_version;
};

/* --- pvclock.c: the arithmetic --- */

/*
 * mul and shift for a TSC of khz kHz, such that
 * ns = ((delta << shift) * mul) >> 32 (right shift for shift < 0).
 */
void pvclock_scale_for_khz(u64 khz, u32 *mul, s8 *shift);
/* The guest's conversion of a TSC delta to ns (msr.rst). */
u64 pvclock_scale_delta(u64 delta, u32 mul, s8 shift);
/* Whether [gpa, gpa + len) lies inside one 4 KiB page. */
bool pvclock_in_one_page(u64 gpa, u64 len);

/* --- kvmclock.c --- */

/* The KVM feature bits CPUID 0x40000101 EAX offers. */
u32 kvm_pv_features(void);
/* hvm_vcpu_initialise(), after the TSC offset is set. */
void kvmclock_vcpu_init(struct vcpu *v);
/* INIT: kvmclock and steal time off, as KVM's vCPU reset does. */
void kvm_pv_vcpu_reset(struct vcpu *v);
/* The vCPU's TSC offset was changed (MSR write). */
void kvmclock_tsc_changed(struct vcpu *v);
/* Interrupts off, before each entry: catch up with TSC changes. */
void kvmclock_before_entry(struct vcpu *v);
/* Whether every vCPU of d has the same TSC offset. */
bool kvmclock_stable(const struct domain *d);
bool is_kvm_time_msr(u32 msr);
int kvm_time_msr_read(struct vcpu *v, u32 msr, u64 *val);
int kvm_time_msr_write(struct vcpu *v, u32 msr, u64 val);
/* sched_context_switch(): next was put on this pCPU, prev taken off. */
void kvm_pv_switch_in(struct vcpu *next);
void kvm_pv_switch_out(struct vcpu *prev);

/* --- steal_time.c --- */

int steal_time_msr_write(struct vcpu *v, u64 val);
void steal_time_update(struct vcpu *v);
void steal_time_preempted(struct vcpu *v);

#endif /* ASM_X86_HVM_KVMCLOCK_H */

/*
 * Test doubles for the vlapic and posted-interrupt suites: a fake domain
 * of up to ENV_MAX_VCPUS vCPUs (each with a vlapic and a descriptor), a
 * controllable clock and guest TSC, a timer API that records the armed
 * expiry (tests fire it by advancing time), and recording versions of
 * the HVM hooks (INIT/SIPI/NMI, vioapic_eoi, notifications, vcpu_wake).
 */
#ifndef UNIT_VLAPIC_ENV_H
#define UNIT_VLAPIC_ENV_H

#include <xen/types.h>
#include <xen/sched.h>
#include <xen/timer.h>
#include <asm/hvm/pi.h>
#include <asm/hvm/vlapic.h>

/* 130: KVM's PV send-IPI reaches IDs 64-127 through its second word. */
#define ENV_MAX_VCPUS   130

struct env_vcpu
{
    struct vcpu v;
    struct vlapic vl;
    struct pi_desc *pi;
};

extern struct domain env_dom;
extern struct env_vcpu env_vcpus[ENV_MAX_VCPUS];

/*
 * A fresh domain of n vCPUs: vCPU i has id i, runs on pCPU i % 4, has
 * an initialised vlapic and a descriptor set running on its pCPU.  All
 * records are cleared; time is 1 s, the guest TSC 2 per ns.
 */
void env_setup(unsigned int n);
/* Free what env_setup() allocated (env_setup() does it first too). */
void env_teardown(void);

static inline struct vcpu *VC(unsigned int i)
{
    return &env_vcpus[i].v;
}

static inline struct vlapic *VL(unsigned int i)
{
    return &env_vcpus[i].vl;
}

static inline struct pi_desc *PI(unsigned int i)
{
    return env_vcpus[i].pi;
}

/* --- time --- */
extern s_time_t env_now;
/* Guest TSC = env_now * ENV_TSC_PER_NS + env_tsc_offset. */
#define ENV_TSC_PER_NS  2
extern u64 env_tsc_offset;

/* --- the timer double --- */
extern unsigned int env_set_timer_calls;
/*
 * Advance time to 'to', running t's function each time its armed expiry
 * is reached on the way (with env_now at that expiry, plus 'late' ns).
 * Returns how many times it ran.
 */
unsigned int env_advance(struct timer *t, s_time_t to, s_time_t late);
/* Run t's function now if it is armed and due; whether it ran. */
bool env_run_timer(struct timer *t);

/* --- recorded hook calls --- */
struct env_record
{
    unsigned int init[ENV_MAX_VCPUS];
    unsigned int nmi[ENV_MAX_VCPUS];
    unsigned int sipi[ENV_MAX_VCPUS];
    int sipi_vector[ENV_MAX_VCPUS];
    unsigned int nr_eoi;                /* vioapic_eoi() calls */
    u8 eoi_vector[64];
    unsigned int nr_notify;             /* pi_send_notification(), atomic */
    u32 notify_apic_id;                 /* last one */
    u8 notify_vector;
    unsigned int wake[ENV_MAX_VCPUS];   /* vcpu_wake(), atomic */
};
extern struct env_record rec;

/*
 * Called from the vcpu_vlapic() double when set (NULL after env_setup):
 * lets a test act at the point pi_sync_pir_to_irr() looks up the vlapic,
 * which is after it cleared ON and before it swaps PIR.
 */
extern void (*env_vlapic_hook)(struct vcpu *v);

/* Host APIC: x2APIC or not, and the APIC ID of pCPU i is 0x10 + i. */
#define ENV_APIC_ID(cpu) (0x10u + (cpu))

#endif /* UNIT_VLAPIC_ENV_H */

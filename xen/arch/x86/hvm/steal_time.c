/*
 * KVM's steal time (Documentation/virt/kvm/x86/msr.rst,
 * MSR_KVM_STEAL_TIME): the time a vCPU was runnable but not running, as
 * the scheduler's runstate accounting counts it (RUNSTATE_runnable in
 * common/sched/core.c), published in the guest's struct kvm_steal_time
 * at every schedule-in, so a Linux guest on an overcommitted pCPU shows
 * it as "st".  'steal' counts from the enabling MSR write.
 *
 * The structure is written only from the vCPU's own context (its MSR
 * write, its schedule-in, and its switch-out before another pCPU may take
 * it), so struct kvm_pv_vcpu needs no lock.
 */
#include <xen/lib.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <asm/system.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/msr.h>
#include <asm/hvm/kvmclock.h>

/* Bits 5:1 are reserved: the structure is 64-byte aligned (msr.rst). */
#define STEAL_RESERVED      0x3eULL

#define OFF_VERSION     __builtin_offsetof(struct kvm_steal_time, version)
#define OFF_PREEMPTED   __builtin_offsetof(struct kvm_steal_time, preempted)

static u64 runnable_ns(struct vcpu *v)
{
    struct vcpu_runstate_info r;

    /* v is current at every caller: no schedule lock is taken. */
    vcpu_runstate_get(v, &r);
    return r.time[RUNSTATE_runnable];
}

/*
 * Reserved bits #GP, as in KVM.  An address that is not guest RAM does
 * not: KVM accepts it and never writes the structure (record_steal_time()
 * gives up on it), and so do we.  Aligned to 64 bytes, it cannot cross a
 * page.
 */
int steal_time_msr_write(struct vcpu *v, u64 val)
{
    struct kvm_pv_vcpu *k = &v->hvm->kvm_pv;
    u64 gpa = val & ~(KVM_MSR_ENABLED | STEAL_RESERVED);

    if ( val & STEAL_RESERVED )
        return MSR_GP;
    k->steal_msr = val;
    k->steal_active = (val & KVM_MSR_ENABLED) &&
                      p2m_lookup(v->domain, gpa >> PAGE_SHIFT) != ~0ULL;
    if ( k->steal_active )
    {
        k->steal_base = runnable_ns(v);
        steal_time_update(v);
    }
    return MSR_OK;
}

/*
 * The version protocol as for pvclock (kvmclock.c): odd while 'steal'
 * and 'preempted' change; x86 keeps the stores in order, the barriers
 * keep the compiler from reordering them.
 */
void steal_time_update(struct vcpu *v)
{
    struct kvm_pv_vcpu *k = &v->hvm->kvm_pv;
    struct domain *d = v->domain;
    u64 gpa = k->steal_msr & ~(KVM_MSR_ENABLED | STEAL_RESERVED);
    u64 steal;
    u32 version = k->steal_version + 1;
    u8 preempted = 0;

    if ( !k->steal_active )
        return;
    steal = runnable_ns(v) - k->steal_base;
    if ( copy_to_guest_phys(d, gpa + OFF_VERSION, &version,
                            sizeof(version)) )
    {
        k->steal_active = false;
        return;
    }
    smp_wmb();                  /* odd version before the fields */
    copy_to_guest_phys(d, gpa, &steal, sizeof(steal));
    copy_to_guest_phys(d, gpa + OFF_PREEMPTED, &preempted, 1);
    smp_wmb();                  /* the fields before the even version */
    version++;
    copy_to_guest_phys(d, gpa + OFF_VERSION, &version, sizeof(version));
    k->steal_version = version;
}

/*
 * 'preempted' tells the guest's other vCPUs that this one lost its pCPU
 * while runnable (Linux's vcpu_is_preempted(), for spinning on a lock
 * holder).  It is a hint written outside the version protocol, as KVM
 * does; the next schedule-in clears it.  The runstate was set by this
 * pCPU's schedule() just before the switch.
 */
void steal_time_preempted(struct vcpu *v)
{
    struct kvm_pv_vcpu *k = &v->hvm->kvm_pv;
    u64 gpa = k->steal_msr & ~(KVM_MSR_ENABLED | STEAL_RESERVED);
    u8 preempted = KVM_VCPU_PREEMPTED;

    if ( !k->steal_active ||
         READ_ONCE(v->runstate.state) != RUNSTATE_runnable )
        return;
    copy_to_guest_phys(v->domain, gpa + OFF_PREEMPTED, &preempted, 1);
}

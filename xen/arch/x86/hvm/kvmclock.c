/*
 * KVM's paravirtual clock (Documentation/virt/kvm/x86/msr.rst,
 * MSR_KVM_SYSTEM_TIME_NEW and MSR_KVM_WALL_CLOCK_NEW), so that a stock
 * Linux guest takes its TSC frequency and clocksource from it instead of
 * timing loops against the PIT, and the MSR dispatch and scheduling hooks
 * shared with steal time (steal_time.c).
 *
 * The clock of a domain is one function of the host TSC for all its
 * vCPUs: kvmclock(t) = ns since the epoch (vCPU 0's creation).  Each
 * vCPU's structure holds the same anchor, system_time 0 at the guest TSC
 * value of the epoch (tsc_timestamp = its TSC offset - vCPU 0's offset
 * then), with mul/shift for the TSC frequency calibrated once at boot.
 * Rewriting the structure (at enable, at every schedule-in, after a TSC
 * offset change) therefore never moves the clock: a guest extrapolating
 * from an older copy and one reading the new copy get the same value, so
 * the clock is monotonic across updates and across vCPUs, with no
 * rounding step as a re-anchored copy would have.  (KVM's "master clock"
 * likewise gives every vCPU one shared anchor.)  It assumes what the rest
 * of xen-lite assumes for system time: the pCPUs' TSCs are synchronised.
 *
 * Who writes what: a vCPU's structure only from that vCPU's own context
 * (its MSR writes and entries on the pCPU it runs on, its schedule-in),
 * never concurrently, so struct kvm_pv_vcpu needs no lock; the domain's
 * epoch is written before any vCPU runs; tsc_gen is atomic; the wall
 * clock, which any vCPU may ask for, is under the domain's kvm_pv.lock.
 */
#include <xen/lib.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/time.h>
#include <xen/wallclock.h>
#include <asm/system.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/msr.h>
#include <asm/hvm/pv_eoi.h>
#include <asm/hvm/kvmclock.h>
#include <asm/hvm/kvm_hypercall.h>

u32 kvm_pv_features(void)
{
    u32 f = (1u << KVM_FEATURE_CLOCKSOURCE2) |
            (1u << KVM_FEATURE_STEAL_TIME) |
            (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);

    if ( pv_eoi_offered() )
        f |= 1u << KVM_FEATURE_PV_EOI;
    if ( pv_send_ipi_offered() )
        f |= 1u << KVM_FEATURE_PV_SEND_IPI;
    return f;
}

static struct kvm_pv_domain *kvm_dom(const struct domain *d)
{
    return &domain_hvm((struct domain *)d)->kvm_pv;
}

void kvmclock_vcpu_init(struct vcpu *v)
{
    struct kvm_pv_domain *kd = kvm_dom(v->domain);

    if ( v->vcpu_id != 0 )
        return;
    /* Before any vCPU of the domain can run: see the header comment. */
    spin_lock_init(&kd->lock);
    kd->tsc_offset0 = v->hvm->tsc_offset;
    kd->epoch_ns = NOW();
}

/*
 * PVCLOCK_TSC_STABLE_BIT promises the guest that every vCPU's copy gives
 * the same, monotonic time, so Linux skips its cross-CPU "last value"
 * clamp.  That holds when (1) mul/shift never change - time.c calibrates
 * the TSC once at boot and never again - and (2) every vCPU's guest TSC
 * is the same function of the host TSC, i.e. all TSC offsets are equal
 * (as hvm_vcpu_initialise() sets them; a guest's write to one vCPU's
 * IA32_TSC breaks it until it writes the others alike).
 */
bool kvmclock_stable(const struct domain *d)
{
    u64 off = 0;
    bool first = true;

    for ( unsigned int i = 0; i < d->max_vcpus; i++ )
    {
        const struct vcpu *v = d->vcpu ? d->vcpu[i] : NULL;

        if ( !v || !v->hvm )
            continue;
        if ( !first && READ_ONCE(v->hvm->tsc_offset) != off )
            return false;
        off = READ_ONCE(v->hvm->tsc_offset);
        first = false;
    }
    return true;
}

/*
 * The version protocol (msr.rst): an odd version while the fields
 * change, the next even one after.  A guest reads version, fields,
 * version and retries on an odd or changed version.  x86 keeps stores in
 * order (SDM Vol. 3A 9.2.2), so the barriers only have to stop the
 * compiler from moving the field stores across the version stores; each
 * copy is also a separate call taking and releasing the p2m lock.
 */
static void clock_write(struct vcpu *v)
{
    struct kvm_pv_vcpu *k = &v->hvm->kvm_pv;
    struct kvm_pv_domain *kd = kvm_dom(v->domain);
    struct domain *d = v->domain;
    u64 gpa = k->system_time_msr & ~KVM_MSR_ENABLED;
    struct pvclock_vcpu_time_info t;
    u32 gen;

    /*
     * Read the generation before the offsets: an offset changed after
     * this read bumps it again, and the next entry rewrites the copy.
     */
    gen = __atomic_load_n(&kd->tsc_gen, __ATOMIC_ACQUIRE);
    memset(&t, 0, sizeof(t));
    t.version = k->clock_version + 1;
    t.tsc_timestamp = READ_ONCE(v->hvm->tsc_offset) - kd->tsc_offset0;
    t.system_time = 0;
    pvclock_scale_for_khz(cpu_khz, &t.tsc_to_system_mul, &t.tsc_shift);
    t.flags = kvmclock_stable(d) ? PVCLOCK_TSC_STABLE_BIT : 0;

    if ( copy_to_guest_phys(d, gpa, &t.version, sizeof(t.version)) )
    {
        /* Validated at enable; RAM never shrinks.  Stop, do not retry. */
        k->clock_active = false;
        return;
    }
    smp_wmb();                  /* odd version before the fields */
    copy_to_guest_phys(d, gpa + 8, (u8 *)&t + 8, sizeof(t) - 8);
    smp_wmb();                  /* the fields before the even version */
    t.version++;
    copy_to_guest_phys(d, gpa, &t.version, sizeof(t.version));
    k->clock_version = t.version;
    k->clock_gen = gen;
}

/* Whether the guest's [gpa, gpa + len) is RAM of d within one page. */
static bool guest_struct_ok(struct domain *d, u64 gpa, u64 len)
{
    return pvclock_in_one_page(gpa, len) &&
           p2m_lookup(d, gpa >> PAGE_SHIFT) != ~0ULL;
}

/*
 * A bad address does not fault.  KVM accepts any value of
 * MSR_KVM_SYSTEM_TIME_NEW (it reads back as written) and, when the
 * address is not usable guest memory, simply never updates the structure
 * (kvm_write_system_time() ignores the cache set-up failure); Linux
 * writes it with a non-"safe" WRMSR, so a #GP would be a hypervisor
 * deviation a guest could see.  So: beyond RAM, MMIO (no RAM behind it),
 * a structure crossing a page (msr.rst: it must not; KVM's cache refuses
 * it), misalignment (msr.rst asks for 4 bytes) or address bits above
 * what the p2m maps all leave the clock inactive, and nothing is written.
 */
static void system_time_msr_write(struct vcpu *v, u64 val)
{
    struct kvm_pv_vcpu *k = &v->hvm->kvm_pv;
    u64 gpa = val & ~KVM_MSR_ENABLED;

    k->system_time_msr = val;
    k->clock_active = (val & KVM_MSR_ENABLED) && !(gpa & 3) &&
                      guest_struct_ok(v->domain, gpa,
                          sizeof(struct pvclock_vcpu_time_info));
    if ( k->clock_active )
        clock_write(v);
}

/*
 * pvclock_wall_clock: the wall-clock time of kvmclock 0, from the time
 * the host's RTC gave at boot.  The guest adds its kvmclock reading.  As
 * for the system time MSR, a bad address is not a fault and writes
 * nothing.
 */
static void wall_clock_msr_write(struct vcpu *v, u64 val)
{
    struct kvm_pv_domain *kd = kvm_dom(v->domain);
    struct domain *d = v->domain;
    struct pvclock_wall_clock w;
    u64 ns = wallclock_ns(kd->epoch_ns);

    spin_lock(&kd->lock);
    kd->wall_clock_msr = val;
    if ( guest_struct_ok(d, val, sizeof(w)) )
    {
        w.version = kd->wall_version + 1;
        w.sec = (u32)(ns / NS_PER_SECOND);
        w.nsec = (u32)(ns % NS_PER_SECOND);
        copy_to_guest_phys(d, val, &w.version, sizeof(w.version));
        smp_wmb();              /* as in clock_write() */
        copy_to_guest_phys(d, val + 4, &w.sec, sizeof(w) - 4);
        smp_wmb();
        w.version++;
        copy_to_guest_phys(d, val, &w.version, sizeof(w.version));
        kd->wall_version = w.version;
    }
    spin_unlock(&kd->lock);
}

bool is_kvm_time_msr(u32 msr)
{
    return msr == MSR_KVM_WALL_CLOCK_NEW || msr == MSR_KVM_SYSTEM_TIME_NEW ||
           msr == MSR_KVM_STEAL_TIME;
}

int kvm_time_msr_read(struct vcpu *v, u32 msr, u64 *val)
{
    switch ( msr )
    {
    case MSR_KVM_WALL_CLOCK_NEW:
        spin_lock(&kvm_dom(v->domain)->lock);
        *val = kvm_dom(v->domain)->wall_clock_msr;
        spin_unlock(&kvm_dom(v->domain)->lock);
        return MSR_OK;
    case MSR_KVM_SYSTEM_TIME_NEW:
        *val = v->hvm->kvm_pv.system_time_msr;
        return MSR_OK;
    case MSR_KVM_STEAL_TIME:
        *val = v->hvm->kvm_pv.steal_msr;
        return MSR_OK;
    }
    return MSR_GP;
}

int kvm_time_msr_write(struct vcpu *v, u32 msr, u64 val)
{
    switch ( msr )
    {
    case MSR_KVM_WALL_CLOCK_NEW:
        wall_clock_msr_write(v, val);
        return MSR_OK;
    case MSR_KVM_SYSTEM_TIME_NEW:
        system_time_msr_write(v, val);
        return MSR_OK;
    case MSR_KVM_STEAL_TIME:
        return steal_time_msr_write(v, val);
    }
    return MSR_GP;
}

/*
 * The guest registers its structures again when it brings the vCPU back
 * up; until then the hypervisor must not write memory the guest may have
 * reused.  The version counters carry on, so a reader never sees one
 * repeat.
 */
void kvm_pv_vcpu_reset(struct vcpu *v)
{
    struct kvm_pv_vcpu *k = &v->hvm->kvm_pv;

    k->system_time_msr = 0;
    k->clock_active = false;
    k->steal_msr = 0;
    k->steal_active = false;
}

void kvmclock_tsc_changed(struct vcpu *v)
{
    /*
     * After the offset store (the caller's): whoever reads the new
     * generation then reads the new offset.
     */
    __atomic_fetch_add(&kvm_dom(v->domain)->tsc_gen, 1, __ATOMIC_RELEASE);
}

void kvmclock_before_entry(struct vcpu *v)
{
    struct kvm_pv_vcpu *k = &v->hvm->kvm_pv;

    if ( k->clock_active &&
         __atomic_load_n(&kvm_dom(v->domain)->tsc_gen, __ATOMIC_RELAXED) !=
         k->clock_gen )
        clock_write(v);
}

void kvm_pv_switch_in(struct vcpu *next)
{
    if ( next->hvm->kvm_pv.clock_active )
        clock_write(next);
    steal_time_update(next);
}

void kvm_pv_switch_out(struct vcpu *prev)
{
    steal_time_preempted(prev);
}

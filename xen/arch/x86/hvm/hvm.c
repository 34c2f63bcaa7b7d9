/*
 * The common HVM layer: domain and vCPU set-up, the loop that enters a
 * guest and handles its exits, interrupt injection from the vlapic, and
 * the hooks the vlapic, the posting code and the device models call.
 *
 * Injection (software posting, every backend): before each entry, with
 * interrupts off, PIR moves into IRR; the highest deliverable vector is
 * injected if the guest can take it now (it becomes 'injected' in the
 * vlapic), else an interrupt window is requested.  After the exit the
 * backend says whether the injected vector was delivered, which moves it
 * to ISR or back to IRR: nothing accepted is ever lost (seeds/002).
 */
#include <xen/lib.h>
#include <public/sysctl.h>
#include <xen/domain.h>
#include <xen/errno.h>
#include <xen/hypercall.h>
#include <xen/keyhandler.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/param.h>
#include <xen/sched.h>
#include <xen/shutdown.h>
#include <xen/smp.h>
#include <xen/softirq.h>
#include <xen/time.h>
#include <xen/xmalloc.h>
#include <asm/apic.h>
#include <asm/processor.h>
#include <asm/system.h>
#include <asm/time.h>
#include <asm/traps.h>
#include <asm/irq_vectors.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/gpr.h>
#include <asm/hvm/builder.h>
#include <asm/hvm/cpuid.h>
#include <asm/hvm/cr.h>
#include <asm/hvm/emulate.h>
#include <asm/hvm/exception.h>
#include <asm/hvm/kvmclock.h>
#include <asm/hvm/kvm_hypercall.h>
#include <asm/hvm/msr.h>
#include <asm/hvm/pi_blocked.h>
#include <asm/hvm/progress.h>
#include <asm/hvm/pv_eoi.h>
#include <asm/hvm/width.h>

const struct hvm_funcs *hvm_funcs;
extern const struct hvm_funcs svm_funcs;
bool svm_probe(void);
extern struct hvm_funcs vmx_funcs;
bool vmx_probe(void);

#define X86_EXC_DB  1
#define X86_EXC_UD  6
#define X86_EXC_GP  13

/* --- hooks for the vlapic, the posting code and the devices --- */

struct vlapic *vcpu_vlapic(struct vcpu *v)
{
    return &v->hvm->vlapic;
}

struct pi_desc *vcpu_pi_desc(struct vcpu *v)
{
    return v->hvm->pi_desc;
}

struct hvm_domain *domain_hvm(struct domain *d)
{
    return d->hvm;
}

void pi_send_notification(u32 apic_id, u8 vector)
{
    apic_send_ipi(apic_id, APIC_DM_FIXED | vector);
}

u64 hvm_guest_tsc(const struct vcpu *v)
{
    return rdtsc() + v->hvm->tsc_offset;
}

/*
 * When the guest's TSC reaches 'tsc': guest TSC = host TSC + offset, so
 * the host TSC is tsc - offset, unless that wraps past 2^64 - a guest
 * deadline so far ahead that the host TSC never gets there (STIME_MAX).
 */
s_time_t hvm_guest_tsc_to_time(const struct vcpu *v, u64 tsc)
{
    u64 host_now = rdtsc(), host = tsc - v->hvm->tsc_offset;

    /* One TSC read: ahead of the guest's now means ahead of the host's. */
    if ( tsc > host_now + v->hvm->tsc_offset && host < host_now )
        return STIME_MAX;
    return tsc_to_s_time(host);
}

/* Make v notice new work: an exit if it runs elsewhere, a wake if asleep. */
static void vcpu_kick(struct vcpu *v)
{
    /* Counted as able to run before it can: see progress.c. */
    hvm_vcpu_revive(v, HVM_INERT_HALTED);
    if ( __atomic_fetch_and(&v->pause_flags, ~VPF_blocked,
                            __ATOMIC_SEQ_CST) & VPF_blocked )
        vcpu_wake(v);
    else if ( READ_ONCE(v->is_running) &&
              READ_ONCE(v->processor) != smp_processor_id() )
        smp_send_event_check_cpu(READ_ONCE(v->processor));
}

void hvm_vioapic_levels_changed(struct domain *d)
{
    if ( hvm_funcs->vioapic_levels_changed )
        hvm_funcs->vioapic_levels_changed(d);
}

void hvm_vcpu_send_init(struct vcpu *target)
{
    WRITE_ONCE(target->hvm->init_pending, true);
    vcpu_kick(target);
}

void hvm_vcpu_send_sipi(struct vcpu *target, u8 vector)
{
    /*
     * A SIPI only starts a vCPU that waits for one, or will once it has
     * processed an INIT sent before this SIPI; running vCPUs ignore it.
     */
    bool init = READ_ONCE(target->hvm->init_pending);

    /*
     * init_pending first: the target sets WAIT_SIPI before it clears
     * init_pending (process_init_sipi), and x86 keeps loads in order, so
     * seeing it clear means seeing WAIT_SIPI below.
     */
    smp_rmb();
    if ( !init && READ_ONCE(target->hvm->boot_state) != HVM_VCPU_WAIT_SIPI )
        return;
    WRITE_ONCE(target->hvm->sipi_vector, vector);
    hvm_vcpu_revive(target, HVM_INERT_DOWN);
    vcpu_up(target);
    vcpu_kick(target);
}

void hvm_vcpu_send_nmi(struct vcpu *target)
{
    WRITE_ONCE(target->hvm->nmi_pending, true);
    vcpu_kick(target);
}

/* --- ending a domain --- */

/* Once every domain has stopped or is stuck, nothing is left to run. */
static void domain_stopped(void)
{
    hvm_progress_check();
}

void hvm_note_failure(void)
{
    hvm_progress_domain_failed();
}

void hvm_domain_exit(struct domain *d, u32 status)
{
    printk("d%u: exit port written, status %u\n", d->domain_id, status);
    d->hvm->exit_requested = true;
    d->hvm->exit_status = status;
    /*
     * A domain the toolstack built reports to the toolstack (its
     * exit_status in getdomaininfo); the run's verdict is its dom0's.
     */
    if ( status && !domain_toolstack_built(d) )
        hvm_progress_domain_failed();
    domain_shutdown(d, status ? 1 : 0);
    domain_stopped();
}

void hvm_domain_shutdown(struct domain *d, u8 reason)
{
    domain_shutdown(d, reason);
    domain_stopped();
}

static const char *exit_name(unsigned int reason);

/* Each vCPU's state, and its last exits, oldest first. */
void hvm_crash_domain(struct domain *d, const char *why)
{
    printk(XENLOG_ERR "d%u crashed: %s\n", d->domain_id, why);
    for ( unsigned int i = 0; i < d->max_vcpus; i++ )
    {
        const struct vcpu *v = d->vcpu[i];
        const struct hvm_vcpu *h;

        if ( !v || !v->hvm || !v->hvm->backend )
            continue;
        h = v->hvm;
        printk("  d%uv%u: last exits", d->domain_id, i);
        for ( unsigned int k = 1; k <= ARRAY_SIZE(h->recent_exits); k++ )
            printk(" %s", exit_name(h->recent_exits[
                (h->recent_exit_pos + k) % ARRAY_SIZE(h->recent_exits)]));
        printk("\n");
        hvm_funcs->dump_vcpu(d->vcpu[i]);
    }
    hvm_progress_domain_failed();
    domain_shutdown(d, 3);
    domain_stopped();
}

/* --- debug key 'v' --- */

/* HVM_EXIT_* are XEN_EXIT_* (irq_stats.c checks at build time). */
static const char *const exit_names[HVM_EXIT_NR] = XEN_EXIT_NAMES;

static const char *exit_name(unsigned int reason)
{
    return reason < HVM_EXIT_NR && exit_names[reason] ? exit_names[reason]
                                                       : "?";
}

void hvm_dump_exit_counters(const struct vcpu *v)
{
    char line[160];
    int n = 0;

    for ( unsigned int r = 0; r < HVM_EXIT_NR; r++ )
        if ( v->hvm->exits[r] && n < (int)sizeof(line) )
            n += snprintf(line + n, sizeof(line) - n, " %s=%lu",
                          exit_names[r], (unsigned long)v->hvm->exits[r]);
    line[n < (int)sizeof(line) ? n : (int)sizeof(line) - 1] = '\0';
    printk("    exits:%s (entries %lu)\n", n ? line : " none",
           (unsigned long)v->hvm->nr_entries);
    printk("    ipis sent %lu, by the fast path %lu; eois %lu, by PV EOI "
           "%lu\n", (unsigned long)v->hvm->vlapic.nr_ipis_sent,
           (unsigned long)v->hvm->ipi_fastpath,
           (unsigned long)v->hvm->vlapic.nr_eoi,
           (unsigned long)v->hvm->pv_eoi_skips);
    printk("    pv send-ipi calls %lu, targets %lu\n",
           (unsigned long)v->hvm->vlapic.nr_pv_ipi_calls,
           (unsigned long)v->hvm->vlapic.nr_pv_ipi_targets);
    exit_icount_dump(v);
}

static void dump_vlapics(unsigned char key)
{
    struct domain *d;

    printk("'%c' pressed -> dumping virtual local APICs\n", key);
    domlist_read_lock();
    for ( d = domain_first(); d; d = domain_next(d) )
        for ( unsigned int i = 0; i < d->max_vcpus; i++ )
        {
            struct vcpu *v = d->vcpu[i];

            if ( !v || !v->hvm )
                continue;
            printk("d%uv%u:\n", d->domain_id, i);
            vlapic_dump(&v->hvm->vlapic);
            hvm_dump_exit_counters(v);
            if ( v->hvm->backend )
                hvm_funcs->dump_vcpu(v);
        }
    domlist_read_unlock();
}

/* --- set-up --- */

unsigned int arch_physinfo_caps(void)
{
    if ( hvm_funcs == &svm_funcs )
        return XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_svm;
    if ( hvm_funcs == &vmx_funcs )
        return XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_vmx;
    return 0;
}

bool hvm_setup(void)
{
    if ( svm_probe() )
        hvm_funcs = &svm_funcs;
    else if ( vmx_probe() )
        hvm_funcs = &vmx_funcs;
    if ( !hvm_funcs )
    {
        printk(XENLOG_WARNING "HVM: no usable SVM (or VMX) on this CPU\n");
        return false;
    }
    /* QEMU's SVM lets XSETBV through despite its intercept. */
    xstate_init(!(boot_cpu.qemu_tcg && hvm_funcs == &svm_funcs));
    register_keyhandler('v', dump_vlapics, "dump virtual local APICs");
    hvm_cpuid_setup_walk();
    /*
     * The wakeup vectors, once for all pCPUs: they are all online, and
     * hvm_cpu_up() sets up each one's lists after this.
     */
    if ( pi_blocked_init() )
    {
        hvm_funcs = NULL;
        return false;
    }
    return true;
}

static void posted_intr_interrupt(struct cpu_user_regs *regs)
{
    /*
     * The notification did its job by making the guest exit; the loop
     * moves PIR into IRR before the next entry.
     */
    (void)regs;
}

int hvm_cpu_up(unsigned int cpu)
{
    int rc;

    if ( cpu == 0 )
        set_vector_handler(POSTED_INTR_VECTOR, posted_intr_interrupt);
    xstate_cpu_init();
    /* Its wakeup lists exist before any vCPU can block on this pCPU. */
    rc = pi_blocked_cpu_init(cpu);
    if ( rc )
        return rc;
    return hvm_funcs->cpu_up(cpu);
}

int hvm_domain_initialise(struct domain *d)
{
    int rc;

    d->hvm = xzalloc(struct hvm_domain);
    if ( !d->hvm )
        return -ENOMEM;
    if ( (rc = hvm_platform_init(d)) != 0 ||
         (rc = hvm_funcs->domain_init(d)) != 0 )
    {
        hvm_domain_destroy(d);
        return rc;
    }
    d->is_hvm = true;
    return 0;
}

void hvm_domain_destroy(struct domain *d)
{
    if ( !d->hvm )
        return;
    hvm_funcs->domain_destroy(d);
    hvm_platform_destroy(d);
    xfree(d->hvm);
    d->hvm = NULL;
}

int hvm_vcpu_initialise(struct vcpu *v)
{
    struct hvm_vcpu *h = xzalloc(struct hvm_vcpu);
    int rc;

    if ( !h )
        return -ENOMEM;
    v->hvm = h;
    /* On no wakeup list; hvm_vcpu_destroy() relies on it from here. */
    INIT_LIST_HEAD(&h->pi_blocked_link);
    h->pi_blocked_vcpu = v;
    h->pi_blocked_cpu = -1;
    h->sipi_vector = -1;
    h->boot_state = v->vcpu_id ? HVM_VCPU_WAIT_SIPI : HVM_VCPU_RUNNING;
    /* Down (VPF_down) until the builder or a SIPI starts it. */
    h->inert = HVM_INERT_DOWN;
    /* Every vCPU of a domain sees the same TSC, starting near zero. */
    h->tsc_offset = v->vcpu_id ? v->domain->vcpu[0]->hvm->tsc_offset
                               : -rdtsc();
    kvmclock_vcpu_init(v);
    h->msr_mtrr_def_type = 0x6;         /* WB, MTRRs disabled */
    h->msr_misc_enable = 1;             /* fast strings (msr.c) */
    h->pi_desc = pi_desc_alloc();
    if ( !h->pi_desc )
        rc = -ENOMEM;
    else if ( (rc = hvm_xstate_vcpu_init(v)) == 0 &&
              (rc = vlapic_init(v)) == 0 )
        rc = hvm_funcs->vcpu_init(v);
    if ( rc )
        hvm_vcpu_destroy(v);
    return rc;
}

void hvm_vcpu_destroy(struct vcpu *v)
{
    struct hvm_vcpu *h = v->hvm;

    if ( !h )
        return;
    /* A wakeup handler must not find it on a list once it is freed. */
    pi_blocked_leave(v);
    if ( h->backend )
        hvm_funcs->vcpu_destroy(v);
    if ( h->vlapic.regs )
        vlapic_destroy(v);
    if ( h->pi_desc )
        pi_desc_free(h->pi_desc);
    hvm_xstate_vcpu_destroy(v);
    xfree(h);
    v->hvm = NULL;
}

/* CS, and one descriptor for every data segment register. */
static void load_segments(struct vcpu *v, const struct segment_register *cs,
                          const struct segment_register *ds)
{
    static const enum x86_segment data[] = {
        x86_seg_ds, x86_seg_es, x86_seg_fs, x86_seg_gs, x86_seg_ss,
    };

    hvm_funcs->set_seg(v, x86_seg_cs, cs);
    for ( unsigned int i = 0; i < ARRAY_SIZE(data); i++ )
        hvm_funcs->set_seg(v, data[i], ds);
}

static void set_flat_segments(struct vcpu *v)
{
    struct segment_register cs = { 0x08, 0xc9b, 0xffffffff, 0 };
    struct segment_register ds = { 0x10, 0xc93, 0xffffffff, 0 };

    load_segments(v, &cs, &ds);
}

void hvm_vcpu_set_boot_state(struct vcpu *v, const struct hvm_boot_state *b)
{
    /*
     * Multiboot and PVH alike: 32-bit protected mode, flat segments,
     * paging off, CR4 clear, IF clear (Multiboot 0.6.96 section 3.2;
     * Xen's docs/misc/pvh.pandoc).
     */
    set_flat_segments(v);
    hvm_funcs->set_reg(v, HVM_REG_CR0, 0x11);      /* PE, ET */
    hvm_funcs->set_reg(v, HVM_REG_RFLAGS, 2);
    hvm_funcs->set_reg(v, HVM_REG_RIP, b->eip);
    hvm_funcs->set_reg(v, HVM_REG_RAX, b->eax);
    /* The boot code brings it up next (vcpu_up). */
    hvm_vcpu_revive(v, HVM_INERT_DOWN);
    v->hvm->gprs.rbx = b->ebx;
}

/*
 * Real mode at vector << 12, as a SIPI starts an AP (SDM Vol. 3A,
 * "Interrupt Command Register (ICR)", Start-Up: execution at physical
 * address 000VV000H, i.e. CS VV00H, IP 0).  Everything else is as the
 * INIT (hvm_vcpu_init_reset) or power-on (vcpu_init) left it.
 */
static void start_from_sipi(struct vcpu *v, u8 vector)
{
    struct segment_register cs = { (u16)(vector << 8), 0x9b, 0xffff,
                                   (u64)vector << 12 };

    hvm_funcs->set_seg(v, x86_seg_cs, &cs);
    hvm_funcs->set_reg(v, HVM_REG_RIP, 0);
    v->hvm->boot_state = HVM_VCPU_RUNNING;
}

/*
 * INIT (SDM Vol. 3A, 10.1 and Table 10-1 "IA-32 and Intel 64 Processor
 * States Following Power-up, Reset, or INIT", 9-1 in older editions), on
 * the vCPU's own pCPU with interrupts off:
 *  - EAX, EBX, ECX, ESI, EDI, EBP, ESP, R8-R15 0; EDX the processor
 *    signature, CPUID.1:EAX as this guest sees it;
 *  - EIP FFF0H, EFLAGS 2, CS F000H base FFFF0000H, the data segments,
 *    GDTR, IDTR, LDTR and TR as the table says (the backend);
 *  - CR0 60000010H "with CD and NW unchanged" (the table's footnote:
 *    bit 4 set, CD and NW as they were, all else clear; KVM reads it the
 *    same way), CR2, CR3, CR4 and EFER 0;
 *  - DR0-DR3 0, DR6 FFFF0FF0H, DR7 400H;
 *  - x87, SSE and AVX state, XCR0, the TSC and every MSR (PAT, MTRRs,
 *    SYSENTER and SYSCALL MSRs, TSC_AUX...) unchanged ("during an INIT,
 *    the internal caches, MSRs, MTRRs, and x87 FPU state are left
 *    unchanged", 10.1);
 *  - the local APIC as after power-up except its ID and IA32_APIC_BASE
 *    (SDM 11.4.7.3): IRR, ISR, TMR and TPR 0, software-disabled.  What
 *    was posted before the INIT (PIR, ON) goes with IRR: the processor
 *    has forgotten it, so nothing sent before the INIT arrives after it;
 *  - no event being delivered, no interrupt shadow, no NMI blocking and
 *    no NMI pending (a held NMI does not survive the reset; KVM drops
 *    it too);
 *  - the paravirtual MSRs (PV EOI, kvmclock, steal time) disabled, as
 *    KVM's INIT does, so the hypervisor never writes to guest memory the
 *    reset guest no longer knows about.
 */
static void hvm_vcpu_init_reset(struct vcpu *v)
{
    struct hvm_vcpu *h = v->hvm;
    struct cpuid_regs sig;
    u64 cr0 = hvm_funcs->get_reg(v, HVM_REG_CR0);

    hvm_cpuid(v, 1, 0, &sig);
    memset(&h->gprs, 0, sizeof(h->gprs));
    h->gprs.rdx = sig.eax;
    hvm_funcs->init_reset(v, X86_CR0_ET |
                             (cr0 & (X86_CR0_CD | X86_CR0_NW)));
    hvm_xstate_init_reset(v);
    WRITE_ONCE(h->nmi_pending, false);

    /* Posted requests first: the reset of IRR below then sees none. */
    pi_clear(v);
    vlapic_reset(&h->vlapic);
    pv_eoi_reset(v);
    kvm_pv_vcpu_reset(v);
}

/* --- the entry/exit loop --- */

/*
 * INIT and SIPI sent by other vCPUs, applied by this vCPU itself, in the
 * order they were sent: an INIT first (reset, wait for SIPI), then a SIPI
 * (start in real mode).  Returns whether the vCPU may enter the guest.
 */
static bool process_init_sipi(struct vcpu *v)
{
    struct hvm_vcpu *h = v->hvm;
    bool last;
    int sipi;

    if ( READ_ONCE(h->init_pending) )
    {
        /*
         * Waiting for a SIPI before the INIT stops being pending: a SIPI
         * sender (hvm_vcpu_send_sipi) that finds init_pending clear then
         * finds WAIT_SIPI, never a moment with neither, which would drop
         * its SIPI while the reset below runs.
         */
        WRITE_ONCE(h->boot_state, HVM_VCPU_WAIT_SIPI);
        (void)__atomic_exchange_n(&h->init_pending, false, __ATOMIC_SEQ_CST);
        hvm_vcpu_init_reset(v);
        h->entry_after_fastpath = false;    /* the APIC was reset */
    }
    sipi = __atomic_exchange_n(&h->sipi_vector, -1, __ATOMIC_SEQ_CST);
    if ( sipi >= 0 && h->boot_state == HVM_VCPU_WAIT_SIPI )
    {
        start_from_sipi(v, (u8)sipi);
        h->entry_after_fastpath = false;
    }
    if ( h->boot_state == HVM_VCPU_RUNNING )
        return true;

    /* Down until a SIPI: its sender brings the vCPU up again. */
    last = hvm_vcpu_inert(v, HVM_INERT_DOWN);
    __atomic_fetch_or(&v->pause_flags, VPF_down, __ATOMIC_SEQ_CST);
    if ( READ_ONCE(h->sipi_vector) >= 0 )
    {
        hvm_vcpu_revive(v, HVM_INERT_DOWN);
        vcpu_up(v);             /* a SIPI raced with going down */
    }
    else
    {
        vcpu_sleep_nosync(v);
        /* With interrupts on again: hvm_vcpu_run(). */
        h->progress_check_due = last;
    }
    return false;
}

static void inject_pending(struct vcpu *v)
{
    struct vlapic *vl = &v->hvm->vlapic;
    int vec;

    pi_sync_pir_to_irr(v);

    /*
     * IF does not mask NMIs; the STI and MOV SS shadows and a previous
     * NMI until its IRET do (SDM Vol. 3 6.7.1, 6.8.1, 6.8.3).  What of
     * that the backend sees, and an event queued already, is what
     * nmi_allowed() checks.
     */
    if ( READ_ONCE(v->hvm->nmi_pending) )
    {
        if ( hvm_funcs->nmi_allowed(v) )
        {
            WRITE_ONCE(v->hvm->nmi_pending, false);
            hvm_funcs->inject_event(v, 2, HVM_EVENT_NMI, false, 0);
            /*
             * An interrupt pending beside it goes in once the guest can
             * take it (the NMI handler's IRET restores IF), not at some
             * later exit: APICv's own delivery, or the window.
             */
            if ( !(hvm_funcs->deliver_pending &&
                   hvm_funcs->deliver_pending(v)) &&
                 vlapic_pending_irq(vl) >= 0 )
                hvm_funcs->enable_intr_window(v);
            return;
        }
        hvm_funcs->enable_nmi_window(v);
    }

    if ( hvm_funcs->deliver_pending && hvm_funcs->deliver_pending(v) )
        return;

    vec = vlapic_pending_irq(vl);
    if ( vec < 0 )
        return;
    if ( hvm_funcs->interrupts_enabled(v) )
    {
        vlapic_ack_irq(vl, vec);
        hvm_funcs->inject_event(v, vec, HVM_EVENT_EXTINT, false, 0);
    }
    else
        hvm_funcs->enable_intr_window(v);
}

/*
 * Called after event_delivered(), so nothing the exit's bookkeeping does
 * can discard the exception.  If the exit interrupted the delivery of an
 * event of the guest's own, the two combine as on the CPU (exception.c):
 * an exception being delivered gives way to this one, becomes #DF, or
 * the vCPU shuts down; an NMI stays pending; an external interrupt goes
 * back to IRR (the backend does that); a software interrupt or exception
 * is raised again when the guest re-executes its instruction, which the
 * exit left RIP pointing at.
 */
void hvm_raise_exception(struct vcpu *v, u8 vector, u32 error)
{
    unsigned int type;
    u8 first;
    int vec;

    if ( hvm_funcs->take_reinjection &&
         hvm_funcs->take_reinjection(v, &first, &type) )
    {
        if ( type == HVM_EVENT_NMI )
            WRITE_ONCE(v->hvm->nmi_pending, true);
        else if ( type == HVM_EVENT_EXCEPTION )
        {
            vec = x86_exception_combine(first, vector);
            if ( vec == X86_EXC_SHUTDOWN )
            {
                char why[80];

                snprintf(why, sizeof(why), "triple fault on vCPU %u: "
                         "exception %u while delivering exception %u",
                         v->vcpu_id, vector, first);
                hvm_crash_domain(v->domain, why);
                return;
            }
            if ( vec != vector )
                error = 0;
            vector = vec;
        }
    }
    hvm_funcs->inject_event(v, vector, HVM_EVENT_EXCEPTION,
                            x86_exception_has_error(vector), error);
}

static void inject_exception(struct vcpu *v, u8 vector, bool has_err)
{
    (void)has_err;              /* the vector says */
    hvm_raise_exception(v, vector, 0);
}

#define DR6_BS          (1UL << 14)

/*
 * An instruction completed on the guest's behalf: RIP past it, the
 * STI/MOV SS shadow over (it covers one instruction), RF cleared as
 * after any instruction that completes, and with TF set the single-step
 * trap hardware takes after it: #DB with DR6.BS (SDM Vol. 3B 18.3.1.4,
 * 18.2.3).
 */
static void advance_rip(struct vcpu *v, u64 next)
{
    u64 rflags = hvm_funcs->get_reg(v, HVM_REG_RFLAGS);

    hvm_funcs->set_reg(v, HVM_REG_RIP, next);
    hvm_funcs->set_reg(v, HVM_REG_INTR_SHADOW, 0);
    if ( rflags & X86_EFLAGS_RF )
        hvm_funcs->set_reg(v, HVM_REG_RFLAGS, rflags & ~X86_EFLAGS_RF);
    if ( rflags & X86_EFLAGS_TF )
    {
        hvm_funcs->set_reg(v, HVM_REG_DR6,
                           hvm_funcs->get_reg(v, HVM_REG_DR6) | DR6_BS);
        hvm_raise_exception(v, X86_EXC_DB, 0);
    }
}

static void handle_cpuid(struct vcpu *v, const struct hvm_exit *e)
{
    struct cpuid_regs r;
    struct hvm_gprs *g = &v->hvm->gprs;

    hvm_cpuid(v, (u32)hvm_funcs->get_reg(v, HVM_REG_RAX), (u32)g->rcx, &r);
    hvm_funcs->set_reg(v, HVM_REG_RAX, r.eax);
    g->rbx = r.ebx;
    g->rcx = r.ecx;
    g->rdx = r.edx;
    advance_rip(v, e->next_rip);
}

static void handle_io(struct vcpu *v, const struct hvm_exit *e)
{
    unsigned int size = e->io_size;
    u64 rax = hvm_funcs->get_reg(v, HVM_REG_RAX);
    u32 val = (u32)rax;

    if ( e->io_string || (size != 1 && size != 2 && size != 4) )
    {
        hvm_crash_domain(v->domain, "string or malformed port I/O");
        return;
    }
    hvm_portio(v, !e->io_in, e->port, size, &val);
    if ( e->io_in )
    {
        /* 8/16-bit IN keeps the rest of RAX; 32-bit zero-extends. */
        u64 mask = size == 4 ? ~0ULL : (1ULL << (size * 8)) - 1;

        rax = size == 4 ? val : (rax & ~mask) | (val & mask);
        hvm_funcs->set_reg(v, HVM_REG_RAX, rax);
    }
    advance_rip(v, e->next_rip);
}

static void handle_msr(struct vcpu *v, const struct hvm_exit *e)
{
    struct hvm_gprs *g = &v->hvm->gprs;
    u32 msr = (u32)g->rcx;
    u64 val;

    if ( e->reason == HVM_EXIT_MSR_READ )
    {
        if ( hvm_msr_read(v, msr, &val) != MSR_OK )
        {
            inject_exception(v, X86_EXC_GP, true);
            return;
        }
        hvm_funcs->set_reg(v, HVM_REG_RAX, (u32)val);
        g->rdx = val >> 32;
    }
    else
    {
        val = ((u64)(u32)g->rdx << 32) |
              (u32)hvm_funcs->get_reg(v, HVM_REG_RAX);
        if ( hvm_msr_write(v, msr, val) != MSR_OK )
        {
            inject_exception(v, X86_EXC_GP, true);
            return;
        }
    }
    advance_rip(v, e->next_rip);
}

/*
 * HLT with RFLAGS.IF = 0.  Only an NMI, SMI, INIT or reset resumes a
 * halted processor once maskable interrupts are disabled (SDM Vol. 2A
 * "HLT", Vol. 3 "HLT Instruction"): an interrupt already in IRR, or one
 * that arrives, stays pending until the guest sets IF again.  So v joins
 * no wakeup list (a post must not wake it: after the context switch its
 * descriptor has SN set and posts only collect in PIR); only vcpu_kick()
 * ends this sleep, which NMI, INIT and SIPI senders call.  The order is
 * handle_hlt()'s: VPF_blocked first, then their flags.
 *
 * Before that, v counts itself inert (progress.c); senders revive it
 * (vcpu_kick) before they clear VPF_blocked.  If we find their flag here
 * after all, we revive ourselves: exactly one of us undoes the count.
 */
static void halt_irqs_off(struct vcpu *v)
{
    bool last = hvm_vcpu_inert(v, HVM_INERT_HALTED);

    __atomic_fetch_or(&v->pause_flags, VPF_blocked, __ATOMIC_SEQ_CST);
    if ( READ_ONCE(v->hvm->nmi_pending) || READ_ONCE(v->hvm->init_pending) ||
         READ_ONCE(v->hvm->sipi_vector) >= 0 )
    {
        hvm_vcpu_revive(v, HVM_INERT_HALTED);
        __atomic_fetch_and(&v->pause_flags, ~VPF_blocked, __ATOMIC_SEQ_CST);
        return;
    }
    vcpu_sleep_nosync(v);
    if ( last )
        hvm_progress_check();
}

static void handle_hlt(struct vcpu *v, const struct hvm_exit *e)
{
    bool irqs_off = !(hvm_funcs->get_reg(v, HVM_REG_RFLAGS) & X86_EFLAGS_IF);

    advance_rip(v, e->next_rip);
    if ( irqs_off )
    {
        halt_irqs_off(v);
        return;
    }

    /*
     * Set VPF_blocked, then look for work.  INIT, SIPI and NMI senders
     * set their flag, then test-and-clear VPF_blocked (vcpu_kick): both
     * steps are full-barrier atomics, so either we see their flag here
     * or they see VPF_blocked and wake us.  Interrupts already posted
     * (ON, PIR, or moved into IRR) are seen here too.
     */
    __atomic_fetch_or(&v->pause_flags, VPF_blocked, __ATOMIC_SEQ_CST);
    if ( pi_pending(v) || vlapic_has_wakeup(&v->hvm->vlapic) ||
         READ_ONCE(v->hvm->nmi_pending) || READ_ONCE(v->hvm->init_pending) ||
         READ_ONCE(v->hvm->sipi_vector) >= 0 )
    {
        __atomic_fetch_and(&v->pause_flags, ~VPF_blocked, __ATOMIC_SEQ_CST);
        return;
    }

    /*
     * Posts from now on: the descriptor moves to a wakeup list of this
     * pCPU, unless ON is set by then; posters notify that list and its
     * handler wakes us (pi_blocked.h).  Refused: an interrupt is posted,
     * VPF_blocked is cleared again, do not sleep.
     */
    if ( !pi_blocked_enter(v) )
        return;
    v->hvm->pi_blocked_since_entry = true;
    vcpu_sleep_nosync(v);
}

static void handle_xsetbv(struct vcpu *v, const struct hvm_exit *e)
{
    u64 val = ((u64)(u32)v->hvm->gprs.rdx << 32) |
              (u32)hvm_funcs->get_reg(v, HVM_REG_RAX);
    int exc = hvm_xsetbv(v, (u32)v->hvm->gprs.rcx, val);

    if ( exc )
        inject_exception(v, exc, exc == X86_EXC_GP);
    else
        advance_rip(v, e->next_rip);
}

static enum x86_mode guest_mode(struct vcpu *v);

static void handle_hypercall(struct vcpu *v, const struct hvm_exit *e)
{
    struct hvm_gprs *g = &v->hvm->gprs;
    struct hypercall_ctx ctx = {
        .v = v,
        .cpl = (unsigned int)hvm_funcs->get_reg(v, HVM_REG_CPL),
        .paging = {
            .cr0 = hvm_funcs->get_reg(v, HVM_REG_CR0),
            .cr3 = hvm_funcs->get_reg(v, HVM_REG_CR3),
            .cr4 = hvm_funcs->get_reg(v, HVM_REG_CR4),
            .efer = hvm_funcs->get_reg(v, HVM_REG_EFER),
        },
    };
    u64 args[5] = { g->rdi, g->rsi, g->rdx, g->r10, g->r8 };
    u64 nr = hvm_funcs->get_reg(v, HVM_REG_RAX);
    long rc;

    /*
     * Outside 64-bit mode the caller has only eax, edi, esi and edx (the
     * upper halves are undefined there): three arguments, 32 bits each.
     */
    if ( guest_mode(v) != X86_MODE_LONG64 )
    {
        nr = (u32)nr;
        for ( unsigned int i = 0; i < 3; i++ )
            args[i] = (u32)args[i];
        args[3] = args[4] = 0;
    }

    advance_rip(v, e->next_rip);
    if ( kvm_hypercall_number(nr) )
    {
        /* KVM's numbers, with KVM's registers (kvm_hypercall.h). */
        const u64 kargs[4] = { g->rbx, g->rcx, g->rdx, g->rsi };

        rc = kvm_hypercall(v, ctx.cpl, guest_mode(v) == X86_MODE_LONG64,
                           nr, kargs);
    }
    else
        rc = do_hypercall(&ctx, nr, args);
    hvm_funcs->set_reg(v, HVM_REG_RAX, (u64)rc);
}

/* --- MMIO: a nested page fault on a frame that is not guest RAM --- */

struct mmio_ctx
{
    struct vcpu *v;
    struct guest_paging pg;
};

static unsigned int mmio_fetch(void *c, u64 rip, u8 *buf, unsigned int len)
{
    struct mmio_ctx *m = c;
    unsigned int got = 0;

    /* Byte by byte, so a fetch stops exactly where the mapping ends. */
    while ( got < len &&
            copy_from_guest_virt(m->v->domain, &m->pg, buf + got, rip + got,
                                 1) == 0 )
        got++;
    return got;
}

static u64 mmio_read_gpr(void *c, enum x86_gpr r)
{
    return hvm_get_gpr(((struct mmio_ctx *)c)->v, r);
}

static u64 mmio_seg_base(void *c, unsigned int s)
{
    struct segment_register reg;

    hvm_funcs->get_seg(((struct mmio_ctx *)c)->v, (enum x86_segment)s, &reg);
    return reg.base;
}

static bool mmio_str_access(void *c, u64 lin, unsigned int size, bool write,
                            u64 *val, u64 *fault);

static const struct emul_ops mmio_ops = {
    .fetch = mmio_fetch,
    .read_gpr = mmio_read_gpr,
    .seg_base = mmio_seg_base,
    .access = mmio_str_access,
};

static enum x86_mode guest_mode(struct vcpu *v)
{
    struct segment_register cs;

    hvm_funcs->get_seg(v, x86_seg_cs, &cs);
    if ( !(hvm_funcs->get_reg(v, HVM_REG_CR0) & 1) )
        return X86_MODE_REAL;
    if ( (hvm_funcs->get_reg(v, HVM_REG_EFER) & (1UL << 10)) &&
         (cs.attr & (1u << 9)) )
        return X86_MODE_LONG64;
    return (cs.attr & (1u << 10)) ? X86_MODE_PROT32 : X86_MODE_PROT16;
}

/* One access to the device (or the empty bus) behind gpa. */
static void mmio_access(struct vcpu *v, bool write, u64 gpa,
                        unsigned int size, u64 *val)
{
    struct vlapic *vl = &v->hvm->vlapic;

    if ( vlapic_is_mmio(vl, gpa) )
    {
        if ( write )
            vlapic_mmio_write(vl, gpa & 0xfff, size, *val);
        else
            vlapic_mmio_read(vl, gpa & 0xfff, size, val);
    }
    else if ( !hvm_mmio(v, write, gpa, size, val) && !write )
        *val = ~0ULL;           /* nothing there: the bus floats high */
}

#define X86_EXC_SS      12
#define X86_EXC_PF      14
#define PF_WRITE        (1u << 1)

/*
 * One string element at guest-linear lin, through the guest's paging:
 * MMIO (an emulated device, or nothing) or RAM, whichever the page is.
 * An element that crosses a page goes byte by byte.  False, with *fault
 * the address, when the guest's tables do not map it.
 */
static bool string_element(struct vcpu *v, const struct guest_paging *pg,
                           u64 lin, unsigned int size, bool write, u64 *val,
                           u64 *fault)
{
    struct domain *d = v->domain;
    unsigned int n = (lin & (PAGE_SIZE - 1)) + size > PAGE_SIZE ? 1 : size;
    u64 in = 0;

    for ( unsigned int done = 0; done < size; done += n )
    {
        u64 gpa, part = write ? (*val >> (8 * done)) & width_mask(n) : 0;

        if ( guest_walk(d, pg, lin + done, write, &gpa) )
        {
            *fault = lin + done;
            return false;
        }
        if ( p2m_lookup(d, gpa >> PAGE_SHIFT) == ~0ULL ||
             vlapic_is_mmio(&v->hvm->vlapic, gpa) )
            mmio_access(v, write, gpa, n, &part);
        else if ( write )
            (void)copy_to_guest_phys(d, gpa, &part, n);
        else
            (void)copy_from_guest_phys(d, &part, gpa, n);
        in |= (part & width_mask(n)) << (8 * done);
    }
    if ( !write )
        *val = in;
    return true;
}

static bool mmio_str_access(void *c, u64 lin, unsigned int size, bool write,
                            u64 *val, u64 *fault)
{
    struct mmio_ctx *m = c;

    return string_element(m->v, &m->pg, lin, size, write, val, fault);
}

/*
 * A string instruction with an operand in MMIO: one element per exit
 * (x86_string_step()).  RIP stays on a REP instruction until it is done,
 * so each element is an instruction boundary where interrupts come in,
 * as on the CPU (SDM vol. 2, REP), and no exit does more than one
 * element's work.  A page the guest's tables do not map gives #PF at
 * that address.
 */
static void handle_mmio_string(struct vcpu *v, struct mmio_ctx *m,
                               const struct mmio_insn *insn, u64 rip)
{
    struct x86_str_regs r = {
        .rax = hvm_get_gpr(v, GPR_RAX),
        .rcx = hvm_get_gpr(v, GPR_RCX),
        .rsi = hvm_get_gpr(v, GPR_RSI),
        .rdi = hvm_get_gpr(v, GPR_RDI),
        .rflags = hvm_funcs->get_reg(v, HVM_REG_RFLAGS),
    };
    enum x86_str_result res;
    u64 fault;
    bool fault_write;

    res = x86_string_step(insn, &mmio_ops, m, &r, &fault, &fault_write);
    switch ( res )
    {
    case X86_STR_FAULT:
        hvm_funcs->set_reg(v, HVM_REG_CR2, fault);
        hvm_raise_exception(v, X86_EXC_PF, fault_write ? PF_WRITE : 0);
        return;
    case X86_STR_GP:
    case X86_STR_SS:
        hvm_raise_exception(v, res == X86_STR_SS ? X86_EXC_SS : X86_EXC_GP,
                            0);
        return;
    default:
        break;
    }
    hvm_set_gpr(v, GPR_RAX, r.rax);
    hvm_set_gpr(v, GPR_RCX, r.rcx);
    hvm_set_gpr(v, GPR_RSI, r.rsi);
    hvm_set_gpr(v, GPR_RDI, r.rdi);
    hvm_funcs->set_reg(v, HVM_REG_RFLAGS, r.rflags);
    if ( res == X86_STR_DONE )
        advance_rip(v, rip + insn->len);
}

static void handle_mmio(struct vcpu *v, u64 gpa)
{
    struct mmio_ctx m = { .v = v };
    struct segment_register cs;
    struct mmio_insn insn;
    enum x86_mode mode = guest_mode(v);
    u64 rip = hvm_funcs->get_reg(v, HVM_REG_RIP);
    u64 mem = 0, store, reg_out, mask;
    u64 rflags = hvm_funcs->get_reg(v, HVM_REG_RFLAGS);
    int rc;

    m.pg.cr0 = hvm_funcs->get_reg(v, HVM_REG_CR0);
    m.pg.cr3 = hvm_funcs->get_reg(v, HVM_REG_CR3);
    m.pg.cr4 = hvm_funcs->get_reg(v, HVM_REG_CR4);
    m.pg.efer = hvm_funcs->get_reg(v, HVM_REG_EFER);
    hvm_funcs->get_seg(v, x86_seg_cs, &cs);
    if ( mode != X86_MODE_LONG64 )
        rip = (u32)(cs.base + rip);

    rc = x86_decode_mmio(&mmio_ops, &m, mode, rip, &insn);
    if ( rc == EMUL_BAD_INSN )
    {
        inject_exception(v, X86_EXC_UD, false);
        return;
    }
    if ( rc != EMUL_OK )
    {
        hvm_crash_domain(v->domain, rc == EMUL_FETCH_FAIL
                         ? "MMIO instruction could not be fetched"
                         : "MMIO instruction not emulated");
        return;
    }
    if ( insn.op >= MMIO_MOVS )
    {
        handle_mmio_string(v, &m, &insn,
                           hvm_funcs->get_reg(v, HVM_REG_RIP));
        return;
    }

    /*
     * The decoder computed the linear address; the fault gave the
     * physical one.  The access uses the physical address, at the
     * operand's offset within its page.
     */
    if ( insn.op != MMIO_MOV || !insn.write )
        mmio_access(v, false, gpa, insn.size, &mem);
    x86_mmio_complete(&insn, hvm_get_gpr(v, insn.reg), mem, &store, &reg_out,
                      &mask, &rflags);
    if ( insn.write )
        mmio_access(v, true, gpa, insn.size, &store);
    /* XCHG, XADD and CMPXCHG write memory and a register. */
    if ( mask )
        hvm_set_gpr(v, insn.wreg, (hvm_get_gpr(v, insn.wreg) & ~mask) |
                              (reg_out & mask));
    hvm_funcs->set_reg(v, HVM_REG_RFLAGS, rflags);
    advance_rip(v, hvm_funcs->get_reg(v, HVM_REG_RIP) + insn.len);
}

static void handle_npf(struct vcpu *v, const struct hvm_exit *e)
{
    struct domain *d = v->domain;
    u64 mfn = p2m_lookup(d, e->gpa >> PAGE_SHIFT);

    if ( mfn != ~0ULL && !vlapic_is_mmio(&v->hvm->vlapic, e->gpa) )
    {
        if ( hvm_funcs->map_gfn(d, e->gpa >> PAGE_SHIFT, mfn) )
            hvm_crash_domain(d, "out of memory for nested page tables");
        return;
    }
    handle_mmio(v, e->gpa);
}

static void handle_exit(struct vcpu *v, const struct hvm_exit *e)
{
    v->hvm->exits[e->reason]++;
    if ( e->raise_exc )
    {
        hvm_raise_exception(v, e->exc_vector, e->exc_error);
        return;
    }
    switch ( e->reason )
    {
    case HVM_EXIT_NONE:
    case HVM_EXIT_EXTINT:
    case HVM_EXIT_NMI:
        break;
    case HVM_EXIT_INTR_WINDOW:
        hvm_funcs->disable_intr_window(v);
        break;
    case HVM_EXIT_CPUID:
        handle_cpuid(v, e);
        break;
    case HVM_EXIT_HLT:
        handle_hlt(v, e);
        break;
    case HVM_EXIT_IO:
        handle_io(v, e);
        break;
    case HVM_EXIT_MSR_READ:
    case HVM_EXIT_MSR_WRITE:
        handle_msr(v, e);
        break;
    case HVM_EXIT_HYPERCALL:
        handle_hypercall(v, e);
        break;
    case HVM_EXIT_XSETBV:
        handle_xsetbv(v, e);
        break;
    case HVM_EXIT_NPF:
        handle_npf(v, e);
        break;
    case HVM_EXIT_TASK_SWITCH:
        hvm_task_switch(v, &e->ts);
        break;
    case HVM_EXIT_SHUTDOWN:
    {
        char why[48];

        snprintf(why, sizeof(why), "triple fault on vCPU %u", v->vcpu_id);
        hvm_crash_domain(v->domain, why);
        break;
    }
    case HVM_EXIT_FAILED_ENTRY:
    {
        char why[64];

        /* The backend has printed the details and the state. */
        snprintf(why, sizeof(why), "VM entry failed (code %#lx)",
                 (unsigned long)e->hw_code);
        hvm_crash_domain(v->domain, why);
        break;
    }
    default:
    {
        char why[64];

        snprintf(why, sizeof(why), "unhandled exit %#lx",
                 (unsigned long)e->hw_code);
        hvm_crash_domain(v->domain, why);
        break;
    }
    }
}

/*
 * The IPI fast path (seeds/003 and 000): a WRMSR to the x2APIC ICR that
 * sends a fixed IPI to one vCPU is completed here, straight after the
 * exit with interrupts still off, without the general exit dispatch.
 * The post only sets bits and may send a notification IPI, so it is safe
 * here; everything else falls through to handle_exit().
 */
#define MSR_X2APIC_ICR (MSR_X2APIC_FIRST + (APIC_REG_ICR >> 4))

/* ipi_fastpath=0: every ICR write takes the full path (for make bench). */
static bool opt_ipi_fastpath = true;
boolean_param("ipi_fastpath", opt_ipi_fastpath);

static bool ipi_fastpath(struct vcpu *v, const struct hvm_exit *e)
{
    struct hvm_gprs *g = &v->hvm->gprs;
    u64 val;

    if ( !opt_ipi_fastpath || e->reason != HVM_EXIT_MSR_WRITE ||
         (u32)g->rcx != MSR_X2APIC_ICR )
        return false;
    val = ((u64)(u32)g->rdx << 32) |
          (u32)hvm_funcs->get_reg(v, HVM_REG_RAX);
    if ( !vlapic_icr_fastpath(&v->hvm->vlapic, val) )
        return false;
    v->hvm->exits[HVM_EXIT_MSR_WRITE]++;
    v->hvm->ipi_fastpath++;
    advance_rip(v, e->next_rip);
    return true;
}

/*
 * Wake latency: from the first post since the last entry (pi_post() notes
 * its TSC) to this entry, for entries that end a blocked HLT.  Any other
 * entry only restarts the clock.  The load first keeps the common case
 * (nothing posted) free of an atomic write.
 */
static void wake_latency_account(struct vcpu *v, bool woke)
{
    u64 *since = &pi_desc_stats(v->hvm->pi_desc)->pending_since;
    u64 t, now;

    if ( !__atomic_load_n(since, __ATOMIC_RELAXED) )
        return;
    t = __atomic_exchange_n(since, 0, __ATOMIC_RELAXED);
    if ( !woke || !t )
        return;
    now = rdtsc();
    if ( now <= t )
        return;
    v->hvm->wakes++;
    v->hvm->wake_latency_sum += now - t;
    if ( now - t > v->hvm->wake_latency_max )
        v->hvm->wake_latency_max = now - t;
}

void hvm_vcpu_run(struct vcpu *v)
{
    unsigned int cpu = smp_processor_id();
    struct hvm_exit e;
    bool woke;

    for ( ; ; )
    {
        local_irq_disable();
        /* Leave for the scheduler and softirqs; re-checked every entry. */
        if ( softirq_pending(cpu) || !vcpu_runnable(v) ||
             v->domain->is_shutting_down || !process_init_sipi(v) )
        {
            v->hvm->entry_after_fastpath = false;
            local_irq_enable();
            if ( unlikely(v->hvm->progress_check_due) )
            {
                v->hvm->progress_check_due = false;
                hvm_progress_check();
            }
            return;
        }

        /*
         * Running again after a HLT that blocked.  Through a context
         * switch, sched_context_switch() did this already; but a vCPU
         * woken before the scheduler took it off (or picked again at
         * once) comes straight back here, maybe still on its wakeup list
         * (woken by a kick) or with SN set (by the handler).  Leave the
         * list first, then point notifications here again: the same
         * order as the context switch, and before inject_pending()'s
         * sync, as pi_set_running() requires.
         */
        woke = v->hvm->pi_blocked_since_entry;
        if ( unlikely(woke) )
        {
            v->hvm->pi_blocked_since_entry = false;
            pi_blocked_leave(v);
            pi_set_running(v, cpu);
        }

        inject_pending(v);
        pv_eoi_before_entry(v);
        kvmclock_before_entry(v);
        hvm_xstate_before_entry(v);
        hvm_msr_before_entry(v);
        wake_latency_account(v, woke);
        v->hvm->nr_entries++;
        hvm_funcs->run(v, &e);
        hvm_xstate_after_exit(v);
        v->hvm->recent_exit_pos = (v->hvm->recent_exit_pos + 1) %
                                  ARRAY_SIZE(v->hvm->recent_exits);
        v->hvm->recent_exits[v->hvm->recent_exit_pos] = e.reason;

        if ( v->hvm->vlapic.injected >= 0 )
            vlapic_injection_done(&v->hvm->vlapic,
                                  hvm_funcs->event_delivered(v));
        else
            (void)hvm_funcs->event_delivered(v);
        pv_eoi_after_exit(v);

        if ( ipi_fastpath(v, &e) )
        {
            v->hvm->entry_after_fastpath = true;
            local_irq_enable();
            continue;
        }
        v->hvm->entry_after_fastpath = false;
        local_irq_enable();

        handle_exit(v, &e);
    }
}

/*
 * The AMD-V (SVM) backend of hvm_funcs: enabling SVM per pCPU, one VMCB
 * per vCPU, entry and exit, event injection through EVENTINJ (external
 * interrupts through V_IRQ under QEMU: virq_injection) with the
 * interrupt window through V_IRQ and the VINTR intercept, and EXITINTINFO
 * re-injection.  QEMU's SVM has no NRIP-save and no decode assists, so
 * instruction lengths and CR writes are decoded from guest memory when
 * the CPU does not describe them (intercept.c).
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/smp.h>
#include <xen/xmalloc.h>
#include <asm/processor.h>
#include <asm/system.h>
#include <asm/hvm/cr.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/insn.h>
#include <asm/hvm/svm/svm.h>

#define MSR_VM_HSAVE_PA     0xc0010117
#define EFER_SVME           (1UL << 12)
#define CPUIDX1_ECX_SVM     (1u << 2)
#define SVM_FEATURE_NPT     (1u << 0)
#define SVM_FEATURE_NRIPS   (1u << 3)

bool svm_has_nrips;
/*
 * Running under an emulator or another hypervisor, whose #VMEXIT is
 * software: QEMU 7.2's does not restore the host's CR0 when the guest
 * left EFER.LME set with paging and PAE off (its CR0 update refuses to
 * turn paging on with the guest's CR4 and EFER still loaded), and it
 * stores a failed VMRUN's exit code -1 as 32 bits.  Real hardware does
 * neither, so these checks run only when the CPU says it is virtual.
 */
static bool vmexit_untrusted;

/*
 * QEMU TCG (7.2, and its later versions as far as read) injects an
 * EVENTINJ external interrupt inside its VMRUN helper and leaves the
 * vector in its pending-exception slot.  The next time another thread
 * only kicks that vCPU (an exclusive step for a locked access to MMIO,
 * a TB flush, queued work), before any exit or interrupt resets that
 * slot, the vector is delivered a second time, as an exception; if that
 * second delivery is cut short, EXITINTINFO reports an "exception"
 * above 31, which cannot be injected again.  Its delivery of V_IRQ does
 * not have the flaw, so under QEMU external interrupts go in through
 * V_IRQ (APM Vol. 2 15.21.4) with V_IGN_TPR, at entries where the guest
 * can take them at once.  Hardware takes the EVENTINJ path.
 */
static bool virq_injection;
static u32 nr_asids;
static u32 next_asid = 1;
static DEFINE_SPINLOCK(asid_lock);

/* Intercept every port and every MSR: both bitmaps all ones, shared. */
static u8 *iopm, *msrpm;

static DEFINE_PER_CPU(void *, hsave_area);
static DEFINE_PER_CPU(struct vmcb *, host_vmcb);

static struct svm_vcpu *svm(struct vcpu *v)
{
    return v->hvm->backend;
}

static struct vmcb *vmcb(struct vcpu *v)
{
    return svm(v)->vmcb;
}

bool svm_probe(void);
bool svm_probe(void)
{
    struct cpuid_regs r;

    cpuid_count(0x80000000, 0, &r);
    if ( r.eax < 0x8000000a )
        return false;
    cpuid_count(0x80000001, 0, &r);
    if ( !(r.ecx & CPUIDX1_ECX_SVM) )
        return false;
    cpuid_count(0x8000000a, 0, &r);
    if ( !(r.edx & SVM_FEATURE_NPT) )
    {
        printk(XENLOG_WARNING "SVM: no nested paging, not using SVM\n");
        return false;
    }
    svm_has_nrips = r.edx & SVM_FEATURE_NRIPS;
    vmexit_untrusted = boot_cpu.hypervisor;
    virq_injection = boot_cpu.qemu_tcg;
    nr_asids = r.ebx;
    printk("HVM: SVM with NPT, %u ASIDs, NRIP-save %s\n", nr_asids,
           svm_has_nrips ? "yes" : "no (RIP advanced by the hypervisor)");

    iopm = alloc_xenheap_pages(2, MEMF_bits(32));       /* 12 KiB used */
    msrpm = alloc_xenheap_pages(1, MEMF_bits(32));      /* 8 KiB */
    if ( !iopm || !msrpm )
        return false;
    memset(iopm, 0xff, PAGE_SIZE << 2);
    memset(msrpm, 0xff, PAGE_SIZE << 1);
    return true;
}

static int svm_cpu_up(unsigned int cpu)
{
    void *hsave = alloc_xenheap_pages(0, 0);
    struct vmcb *host = alloc_xenheap_pages(0, 0);

    if ( !hsave || !host )
        return -ENOMEM;
    memset(hsave, 0, PAGE_SIZE);
    memset(host, 0, PAGE_SIZE);
    per_cpu(hsave_area, cpu) = hsave;
    per_cpu(host_vmcb, cpu) = host;
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, (u64)hsave);
    return 0;
}

static void seg(struct vmcb_seg *s, u16 sel, u16 attr, u32 limit, u64 base)
{
    s->sel = sel;
    s->attr = attr;
    s->limit = limit;
    s->base = base;
}

/*
 * The registers INIT sets (SDM Vol. 3A, Table 10-1 "IA-32 and Intel 64
 * Processor States Following Power-up, Reset, or INIT"), as far as the
 * VMCB holds them, with SVME kept on; CR0 is the caller's.  The MSRs in
 * the VMCB (PAT, STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE, SYSENTER_*)
 * are left alone: INIT leaves MSRs unchanged (10.1).
 */
static void vmcb_init_regs(struct vmcb *c)
{
    seg(&c->cs, 0xf000, 0x9b, 0xffff, 0xffff0000);
    seg(&c->ds, 0, 0x93, 0xffff, 0);
    c->es = c->ss = c->fs = c->gs = c->ds;
    seg(&c->gdtr, 0, 0, 0xffff, 0);
    seg(&c->idtr, 0, 0, 0xffff, 0);
    seg(&c->ldtr, 0, 0x82, 0xffff, 0);
    seg(&c->tr, 0, 0x8b, 0xffff, 0);
    c->cpl = 0;
    c->efer = EFER_SVME;
    c->cr2 = 0;
    c->cr3 = 0;
    c->cr4 = 0;
    c->dr6 = 0xffff0ff0;
    c->dr7 = 0x400;
    c->rflags = 2;
    c->rip = 0xfff0;
    c->rsp = 0;
    c->rax = 0;
    c->int_state = 0;
    c->eventinj = 0;
}

/* Power-on state: INIT's, with CD and NW set and PAT at its default. */
static void vmcb_init_state(struct vmcb *c)
{
    vmcb_init_regs(c);
    c->cr0 = 0x60000010;
    c->g_pat = 0x0007040600070406ULL;
}

static u32 alloc_asid(bool *shared)
{
    u32 a;

    spin_lock(&asid_lock);
    *shared = next_asid >= nr_asids;
    a = *shared ? 1 : next_asid++;
    spin_unlock(&asid_lock);
    return a;
}

static int svm_vcpu_init(struct vcpu *v)
{
    struct svm_vcpu *s = xzalloc(struct svm_vcpu);
    struct vmcb *c;

    if ( !s )
        return -ENOMEM;
    c = alloc_xenheap_pages(0, 0);
    if ( !c )
    {
        xfree(s);
        return -ENOMEM;
    }
    memset(c, 0, PAGE_SIZE);
    s->vmcb = c;
    s->last_cpu = -1;
    s->injected = -1;
    s->asid = alloc_asid(&s->asid_shared);
    v->hvm->backend = s;

    /*
     * Task switches are intercepted and emulated (task_switch.c), as on
     * VMX, where they always exit: one implementation for both, and the
     * NMI blocking of a task gate and of its IRET kept where the
     * hypervisor tracks it.  Bochs 3.0's SVM (model ryzen) raises it
     * for CALL, IRET and task gates; QEMU 7.2 ignores it and switches by
     * itself, so there a task-returning IRET under NMI blocking comes
     * here only through the IRET intercept (svm_task_return()).
     */
    c->general1_intercepts = GENERAL1_INTR | GENERAL1_NMI | GENERAL1_SMI |
                             GENERAL1_INIT | GENERAL1_CPUID |
                             GENERAL1_INVD | GENERAL1_HLT | GENERAL1_IOIO |
                             GENERAL1_MSR | GENERAL1_SHUTDOWN |
                             GENERAL1_INVLPGA | GENERAL1_TASK_SWITCH;
    c->general2_intercepts = GENERAL2_VMRUN | GENERAL2_VMMCALL |
                             GENERAL2_VMLOAD | GENERAL2_VMSAVE |
                             GENERAL2_STGI | GENERAL2_CLGI |
                             GENERAL2_SKINIT | GENERAL2_XSETBV |
                             GENERAL2_MONITOR | GENERAL2_MWAIT |
                             GENERAL2_MWAIT_COND;
    /*
     * Every CR0 and CR4 write: EFER.LME is virtual until paging turns
     * long mode on (svm_set_reg), and the values are checked as the
     * hardware's manuals say (hvm/cr.c), not as the emulator allows.
     * CR8 writes too: CR8 is the vlapic's TPR, which decides injection;
     * reads come from V_TPR, which svm_sync_v_tpr() keeps equal to it.
     */
    c->cr_write_intercepts = CR_INTERCEPT_CR0 | CR_INTERCEPT_CR4 |
                             CR_INTERCEPT_CR8;
    c->iopm_base_pa = (u64)iopm;
    c->msrpm_base_pa = (u64)msrpm;
    c->guest_asid = s->asid;
    c->np_enable = 1;
    c->n_cr3 = npt_root_pa(v->domain);
    /* Physical interrupts stay under the host's IF while in the guest. */
    c->int_ctl = INTCTL_V_INTR_MASKING;
    vmcb_init_state(c);
    return 0;
}

static void svm_vcpu_destroy(struct vcpu *v)
{
    struct svm_vcpu *s = svm(v);

    if ( !s )
        return;
    free_xenheap_pages(s->vmcb, 0);
    xfree(s);
    v->hvm->backend = NULL;
}

/*
 * A failed VMRUN writes exit code -1 (APM vol. 2 15.5.1); an emulator
 * that stores it as 32 bits is recognised only where one can be.
 */
static bool vmrun_failed(const struct vmcb *c)
{
    return c->exitcode == VMEXIT_INVALID ||
           (vmexit_untrusted && c->exitcode == (u32)VMEXIT_INVALID);
}

/* With SVM hidden from the guest, its instructions are undefined. */
static void raise_ud(struct hvm_exit *e)
{
    e->raise_exc = true;
    e->exc_vector = 6;
    e->exc_error = 0;
}

static void svm_singlestep_done(struct vcpu *v, struct hvm_exit *e);

/*
 * IRET with EFLAGS.NT = 1 in protected mode outside v8086 and long mode
 * returns to the task in the link field (SDM Vol. 2 IRET, "TASK-RETURN").
 */
static bool iret_is_task_return(struct vcpu *v)
{
    const struct vmcb *c = vmcb(v);

    return (c->cr0 & X86_CR0_PE) && !(svm(v)->guest_efer & EFER_LMA) &&
           (c->rflags & (1u << 14)) && !(c->rflags & (1u << 17));
}

/*
 * A task-returning IRET met at the IRET intercept, which is on while an
 * NMI blocks the next: emulated at once (task_switch.c), not left to run
 * under the NMI-window single step.  That step's TF would go into the
 * old task's saved EFLAGS, and the switch leaves no instruction to trap
 * after.  The IRET ends the NMI blocking (set_nmi_blocking).  This is
 * also the path under QEMU 7.2, whose SVM never raises the task-switch
 * intercept but performs the switch itself.
 */
static void svm_task_return(struct vcpu *v, struct hvm_exit *e)
{
    svm_insn_exit(v, e, X86_INSN_IRET);
    if ( e->raise_exc || e->reason != HVM_EXIT_NONE )
        return;
    e->reason = HVM_EXIT_TASK_SWITCH;
    e->ts.source = TSW_IRET;
    e->ts.old_eip = (u32)e->next_rip;
}

/*
 * The task-switch intercept (APM Vol. 2 15.14.1; "fault" semantics: RIP
 * is that of the instruction, or of the interrupted code for an event).
 * EXITINFO1 bits 15:0: the new TSS selector; EXITINFO2: bit 36 IRET,
 * bit 38 JMP, bit 44 an error code in bits 31:0 to push.  An event
 * being delivered through a task gate is in EXITINTINFO (which
 * svm_event_delivered() then does not inject again); otherwise it was a
 * CALL.  Instructions are decoded for their length: the old task
 * resumes after them.
 */
static void svm_task_switch_exit(struct vcpu *v, struct hvm_exit *e)
{
    struct vmcb *c = vmcb(v);
    struct tsw_request *ts = &e->ts;
    u64 info2 = c->exitinfo2;
    u32 ev = c->exitintinfo;
    enum x86_insn_op op = X86_INSN_CALLF;

    ts->sel = c->exitinfo1 & 0xffff;
    ts->old_eip = (u32)c->rip;
    if ( info2 & (1ull << 36) )
    {
        ts->source = TSW_IRET;
        op = X86_INSN_IRET;
    }
    else if ( info2 & (1ull << 38) )
    {
        ts->source = TSW_JMP;
        op = X86_INSN_JMPF;
    }
    else if ( ev & EVENT_VALID )
    {
        ts->source = TSW_GATE;
        ts->ev_vector = ev & 0xff;
        ts->ev_type = (ev >> EVENT_TYPE_SHIFT) & 7;
        ts->has_error = info2 & (1ull << 44);
        ts->error = (u32)info2;
        op = X86_INSN_INT;
        /*
         * EXITINTINFO calls INT3 and INTO exceptions (APM Vol. 2 15.7.2:
         * type 4 is INTn only), yet they are instructions: the old task
         * resumes after them, and their delivery is not external.
         */
        if ( ts->ev_type == HVM_EVENT_EXCEPTION &&
             (ts->ev_vector == 3 || ts->ev_vector == 4) )   /* #BP, #OF */
            ts->ev_type = HVM_EVENT_SOFTWARE;
        if ( ts->ev_type != HVM_EVENT_SOFTWARE )
        {
            e->reason = HVM_EXIT_TASK_SWITCH;
            return;
        }
    }
    else
        ts->source = TSW_CALL;
    svm_insn_decode(v, e, op);
    if ( e->raise_exc || e->reason != HVM_EXIT_NONE )
        return;
    e->reason = HVM_EXIT_TASK_SWITCH;
    ts->old_eip = (u32)e->next_rip;
}

/*
 * With paging off (and so outside long mode) linear addresses are 32
 * bits, wrapping at 4 GiB, and are the physical addresses (SDM Vol. 3A
 * 4.1, Table 4-1).  QEMU's TCG
 * (7.2) forgets the wrap for the accesses it computes as base + offset
 * in 64 bits (an IDT gate at IDTR base 0xffffff00 + 8 * vector, say)
 * when nested paging translates them: the nested page fault names a
 * guest-physical address above 4 GiB.  Natively it wraps.  What the CPU
 * would have touched is the address's low 32 bits: a RAM page is
 * mapped at the faulting address as well (an alias above 4 GiB, where
 * the domain has no memory; it stays), anything else goes to the MMIO
 * path with the wrapped address.
 */
static void qemu_npf_wrap(struct vcpu *v, struct hvm_exit *e)
{
    struct vmcb *c = vmcb(v);
    u64 low = e->gpa & 0xffffffffULL, mfn;

    if ( !(e->gpa >> 32) || (c->cr0 & X86_CR0_PG) ||
         (svm(v)->guest_efer & EFER_LMA) )
        return;
    mfn = p2m_lookup(v->domain, low >> PAGE_SHIFT);
    if ( mfn == ~0ULL || vlapic_is_mmio(vcpu_vlapic(v), low) )
    {
        e->gpa = low;
        return;
    }
    if ( npt_map_gfn(v->domain, e->gpa >> PAGE_SHIFT, mfn) )
        hvm_crash_domain(v->domain, "out of memory for nested page tables");
    e->reason = HVM_EXIT_NONE;
}

static void decode_exit(struct vcpu *v, struct hvm_exit *e)
{
    struct vmcb *c = vmcb(v);
    u64 info1 = c->exitinfo1;

    memset(e, 0, sizeof(*e));
    e->hw_code = c->exitcode;
    if ( vmrun_failed(c) )
    {
        e->reason = HVM_EXIT_FAILED_ENTRY;
        return;
    }
    switch ( c->exitcode )
    {
    case VMEXIT_INTR:
        e->reason = HVM_EXIT_EXTINT;
        break;
    case VMEXIT_NMI:
        e->reason = HVM_EXIT_NMI;
        break;
    case VMEXIT_VINTR:
        e->reason = HVM_EXIT_INTR_WINDOW;
        break;
    case VMEXIT_CPUID:
        e->reason = HVM_EXIT_CPUID;
        svm_insn_exit(v, e, X86_INSN_CPUID);
        break;
    case VMEXIT_HLT:
        e->reason = HVM_EXIT_HLT;
        svm_insn_exit(v, e, X86_INSN_HLT);
        break;
    case VMEXIT_IOIO:
        e->reason = HVM_EXIT_IO;
        e->io_in = info1 & 1;
        e->io_string = info1 & 4;
        e->io_size = (info1 >> 4) & 7;       /* one-hot: 1, 2 or 4 */
        e->port = info1 >> 16;
        e->next_rip = c->exitinfo2;          /* always provided for IOIO */
        break;
    case VMEXIT_MSR:
        e->reason = info1 ? HVM_EXIT_MSR_WRITE : HVM_EXIT_MSR_READ;
        svm_insn_exit(v, e, info1 ? X86_INSN_WRMSR : X86_INSN_RDMSR);
        break;
    case VMEXIT_VMMCALL:
        e->reason = HVM_EXIT_HYPERCALL;
        svm_insn_exit(v, e, X86_INSN_VMMCALL);
        break;
    case VMEXIT_INVD:
        /* Caches are the host's business: INVD does nothing. */
        e->reason = HVM_EXIT_NONE;
        svm_insn_exit(v, e, X86_INSN_INVD);
        if ( e->reason == HVM_EXIT_NONE && !e->raise_exc )
        {
            c->rip = e->next_rip;
            c->int_state = 0;
        }
        break;
    case VMEXIT_CR0_WRITE:
        svm_cr_write(v, 0, e);
        break;
    case VMEXIT_CR4_WRITE:
        svm_cr_write(v, 4, e);
        break;
    case VMEXIT_CR8_WRITE:
        svm_cr_write(v, 8, e);
        break;
    case VMEXIT_VMRUN: case VMEXIT_VMLOAD: case VMEXIT_VMSAVE:
    case VMEXIT_STGI: case VMEXIT_CLGI: case VMEXIT_SKINIT:
    case VMEXIT_INVLPGA:
        /*
         * The guest's EFER.SVME is clear (CPUID hides SVM): #UD, as the
         * APM lists for each of them; the CPU saw the VMCB's SVME.
         */
        raise_ud(e);
        break;
    case VMEXIT_MONITOR: case VMEXIT_MWAIT: case VMEXIT_MWAIT_COND:
        /* CPUID hides MONITOR/MWAIT: #UD, as on VMX. */
        raise_ud(e);
        break;
    case VMEXIT_IRET:
        /*
         * The guest's IRET, about to run: NMIs stay blocked until it has
         * (svm_nmi_allowed), then no longer.  A task return is emulated
         * here and now (svm_task_return()).
         */
        e->reason = HVM_EXIT_NONE;
        c->general1_intercepts &= ~GENERAL1_IRET;
        svm(v)->nmi_blocked = false;
        if ( iret_is_task_return(v) )
        {
            svm_task_return(v, e);
            break;
        }
        svm(v)->iret_pending = true;
        svm(v)->iret_rip = c->rip;
        break;
    case VMEXIT_TASK_SWITCH:
        svm_task_switch_exit(v, e);
        break;
    case VMEXIT_EXCEPTION_DB:
        svm_singlestep_done(v, e);
        break;
    case VMEXIT_XSETBV:
        e->reason = HVM_EXIT_XSETBV;
        svm_insn_exit(v, e, X86_INSN_XSETBV);
        break;
    case VMEXIT_NPF:
        e->reason = HVM_EXIT_NPF;
        e->gpa = c->exitinfo2;
        e->npf_present = info1 & 1;
        e->npf_write = info1 & 2;
        if ( boot_cpu.qemu_tcg )
            qemu_npf_wrap(v, e);
        break;
    case VMEXIT_SHUTDOWN:
        e->reason = HVM_EXIT_SHUTDOWN;
        break;
    case VMEXIT_INIT:
        e->reason = HVM_EXIT_INIT;
        break;
    default:
        e->reason = HVM_EXIT_UNHANDLED;
        break;
    }
}

struct host_crs
{
    unsigned long cr0, cr4;
    u64 efer;
};

static void save_host_crs(struct host_crs *h)
{
    h->cr0 = read_cr0();
    h->cr4 = read_cr4();
    h->efer = rdmsr(MSR_EFER);
}

/*
 * After an emulated #VMEXIT: the host's control registers as they were
 * before VMRUN (APM vol. 2 15.6 says #VMEXIT reloads them from the host
 * save area).  CR4 and EFER first, so that turning paging back on finds
 * PAE and LME set, as the architecture requires.
 */
static void restore_host_crs(const struct host_crs *h)
{
    static bool warned;
    bool bad = false;

    if ( read_cr4() != h->cr4 )
    {
        write_cr4(h->cr4);
        bad = true;
    }
    if ( rdmsr(MSR_EFER) != h->efer )
    {
        wrmsr(MSR_EFER, h->efer);
        bad = true;
    }
    if ( read_cr0() != h->cr0 )
    {
        write_cr0(h->cr0);
        bad = true;
    }
    if ( bad && !warned )
    {
        warned = true;
        printk(XENLOG_WARNING "SVM: #VMEXIT left the host's CR0/CR4/EFER "
               "changed (emulator bug); restored\n");
    }
}

/*
 * With V_INTR_MASKING the guest's MOV from CR8 reads V_TPR (APM vol. 2
 * 15.21.1), so V_TPR follows the vlapic's TPR into every entry: the
 * guest may have written TPR through the APIC since the last one.
 */
static void svm_sync_v_tpr(struct vcpu *v, struct vmcb *c)
{
    u32 tpr = 0;

    (void)vlapic_reg_read(vcpu_vlapic(v), APIC_REG_TPR, &tpr);
    c->int_ctl = (c->int_ctl & ~INTCTL_V_TPR_MASK) | ((tpr >> 4) & 0xf);
}

static void svm_run(struct vcpu *v, struct hvm_exit *e)
{
    struct svm_vcpu *s = svm(v);
    struct vmcb *c = s->vmcb;
    unsigned int cpu = smp_processor_id();
    struct host_crs crs = { 0, 0, 0 };

    ASSERT(!local_irq_is_enabled());
    c->tlb_control = TLB_CONTROL_NONE;
    if ( s->asid_shared || s->last_cpu != (int)cpu || s->flush_tlb )
        c->tlb_control = TLB_CONTROL_ALL;
    s->flush_tlb = false;
    s->last_cpu = cpu;
    c->tsc_offset = v->hvm->tsc_offset;
    svm_sync_v_tpr(v, c);

    /*
     * GIF clear holds off every host interrupt, NMI included, across the
     * state swap; IF set lets a physical interrupt that arrives while the
     * guest runs cause an INTR exit (V_INTR_MASKING).  It is taken once
     * GIF is set again and the caller re-enables interrupts.
     */
    if ( unlikely(vmexit_untrusted) )
        save_host_crs(&crs);
    __asm__ __volatile__ ( "clgi" ::: "memory" );
    local_irq_enable();
    svm_vmrun((u64)c, &v->hvm->gprs, (u64)per_cpu(host_vmcb, cpu));
    local_irq_disable();
    if ( unlikely(vmexit_untrusted) )
        restore_host_crs(&crs);
    __asm__ __volatile__ ( "stgi" ::: "memory" );

    decode_exit(v, e);
}

/*
 * A virtual interrupt at the highest priority, ignoring V_TPR: the guest
 * takes it as soon as it can (APM Vol. 2 15.21.4).
 */
static void svm_set_v_irq(struct vmcb *c, u8 vector)
{
    c->int_ctl |= INTCTL_V_IRQ | INTCTL_V_IGN_TPR |
                  (0xfu << INTCTL_V_PRIO_SHIFT);
    c->int_vector = vector;
}

/* An external interrupt sits in V_IRQ, not EVENTINJ (virq_injection). */
static bool svm_virq_injected(const struct svm_vcpu *s)
{
    return virq_injection && s->injected >= 0;
}

static void svm_disable_intr_window(struct vmcb *c)
{
    c->int_ctl &= ~(INTCTL_V_IRQ | INTCTL_V_IGN_TPR |
                    (0xfu << INTCTL_V_PRIO_SHIFT));
    c->general1_intercepts &= ~GENERAL1_VINTR;
}

static bool svm_event_delivered(struct vcpu *v)
{
    struct svm_vcpu *s = svm(v);
    struct vmcb *c = s->vmcb;
    u32 info = c->exitintinfo;
    bool delivered = true;

    c->eventinj = 0;
    if ( svm_virq_injected(s) )
    {
        /*
         * V_IRQ still set: not taken.  QEMU also leaves it set when an
         * exit cuts the delivery short, and reports that in EXITINTINFO
         * as an exception (below).
         */
        if ( c->int_ctl & INTCTL_V_IRQ )
            delivered = false;
        svm_disable_intr_window(c);
    }
    if ( info & EVENT_VALID )
    {
        unsigned int type = (info >> EVENT_TYPE_SHIFT) & 7;
        bool extint = type == HVM_EVENT_EXTINT ||
                      (virq_injection && type == HVM_EVENT_EXCEPTION &&
                       (info & 0xff) >= 32);

        if ( c->exitcode == VMEXIT_TASK_SWITCH )
            ;   /* the switch task_switch.c emulates delivers it */
        else if ( extint && s->injected == (int)(info & 0xff) )
            delivered = false;      /* the vlapic takes it back */
        else
        {
            /* An event of the guest's own, cut short: deliver it again. */
            c->eventinj = info;
            c->eventinj_err = c->exitintinfo_err;
        }
    }
    s->injected = -1;
    return delivered;
}

static void svm_inject_event(struct vcpu *v, u8 vector, unsigned int type,
                             bool has_error, u32 error)
{
    struct svm_vcpu *s = svm(v);
    struct vmcb *c = s->vmcb;

    if ( type == HVM_EVENT_EXTINT && virq_injection )
    {
        /* The caller checked that the guest can take it now. */
        svm_set_v_irq(c, vector);
        c->general1_intercepts &= ~GENERAL1_VINTR;
        s->injected = vector;
        return;
    }
    /* Real mode pushes no error code (SDM vol. 3 20.1.4). */
    if ( !(c->cr0 & X86_CR0_PE) )
        has_error = false;
    c->eventinj = EVENT_VALID | (type << EVENT_TYPE_SHIFT) | vector |
                  (has_error ? EVENT_ERR_VALID : 0);
    c->eventinj_err = error;
    s->injected = type == HVM_EVENT_EXTINT ? vector : -1;
    if ( type == HVM_EVENT_NMI )
    {
        /*
         * Blocked from this entry on: the handler may run and reach its
         * IRET before the next exit, so the intercept goes in with the
         * NMI.  An NMI whose delivery an exit cuts short is delivered
         * again (svm_event_delivered), still blocking.
         */
        s->nmi_blocked = true;
        s->iret_pending = false;
        c->general1_intercepts |= GENERAL1_IRET;
    }
}

static bool svm_interrupts_enabled(struct vcpu *v)
{
    struct vmcb *c = vmcb(v);

    return (c->rflags & X86_EFLAGS_IF) && !(c->int_state & 1) &&
           !(c->eventinj & EVENT_VALID) && !svm_virq_injected(svm(v));
}

/* Whether the IRET the intercept saw has run (RIP moved off it). */
static bool iret_still_pending(struct svm_vcpu *s)
{
    if ( s->iret_pending && s->vmcb->rip != s->iret_rip )
        s->iret_pending = false;
    return s->iret_pending;
}

/*
 * NMIs wait for the interrupt shadow and for the IRET that ends the
 * handler of the last one (SDM Vol. 3A 6.7.1; APM vol. 2 8.5 and 15.21.4:
 * the processor blocks NMIs from delivery until the IRET).
 */
static bool svm_nmi_allowed(struct vcpu *v)
{
    struct svm_vcpu *s = svm(v);
    struct vmcb *c = s->vmcb;

    return !(c->int_state & 1) && !(c->eventinj & EVENT_VALID) &&
           !s->nmi_blocked && !iret_still_pending(s);
}

/*
 * The NMI blocking task_switch.c sets (an NMI through a task gate: as at
 * its injection) or ends (a task-returning IRET: the IRET intercept has
 * nothing left to wait for, and a single step over that IRET, if one
 * was set up, is called off with the guest's TF and RF back).
 */
/* The next VMRUN flushes this ASID's entries (TLB_CONTROL). */
static void svm_flush_guest_tlb(struct vcpu *v)
{
    svm(v)->flush_tlb = true;
}

static void svm_set_nmi_blocking(struct vcpu *v, bool blocked)
{
    struct svm_vcpu *s = svm(v);
    struct vmcb *c = s->vmcb;

    s->nmi_blocked = blocked;
    s->iret_pending = false;
    if ( blocked )
    {
        c->general1_intercepts |= GENERAL1_IRET;
        return;
    }
    c->general1_intercepts &= ~GENERAL1_IRET;
    if ( s->nmi_singlestep )
    {
        s->nmi_singlestep = false;
        c->exception_intercepts &= ~(1u << 1);
        c->rflags = (c->rflags & ~(X86_EFLAGS_TF | X86_EFLAGS_RF)) |
                    s->singlestep_flags;
    }
}

/*
 * An NMI waits.  While the handler runs, the IRET intercept is the
 * window.  For the IRET itself and for a shadow, the guest runs one
 * instruction under TF with #DB intercepted, as KVM does: the trap after
 * it is the window (svm_singlestep_done()).
 */
static void svm_enable_nmi_window(struct vcpu *v)
{
    struct svm_vcpu *s = svm(v);
    struct vmcb *c = s->vmcb;

    if ( s->nmi_blocked || s->nmi_singlestep ||
         !(iret_still_pending(s) || (c->int_state & 1)) )
        return;
    s->nmi_singlestep = true;
    s->singlestep_flags = c->rflags & (X86_EFLAGS_TF | X86_EFLAGS_RF);
    s->singlestep_dr6 = c->dr6;
    c->rflags |= X86_EFLAGS_TF | X86_EFLAGS_RF;
    c->exception_intercepts |= 1u << 1;
}

/*
 * The #DB after that one instruction: the guest's TF, RF and DR6 as
 * they were.  A #DB of the guest's own (its TF was set too) is passed
 * on.
 */
static void svm_singlestep_done(struct vcpu *v, struct hvm_exit *e)
{
    struct svm_vcpu *s = svm(v);
    struct vmcb *c = s->vmcb;

    e->reason = HVM_EXIT_NONE;
    if ( !s->nmi_singlestep )
    {
        e->raise_exc = true;
        e->exc_vector = 1;
        return;
    }
    s->nmi_singlestep = false;
    c->exception_intercepts &= ~(1u << 1);
    c->rflags = (c->rflags & ~(X86_EFLAGS_TF | X86_EFLAGS_RF)) |
                s->singlestep_flags;
    if ( s->singlestep_flags & X86_EFLAGS_TF )
    {
        e->raise_exc = true;
        e->exc_vector = 1;
        return;
    }
    c->dr6 = s->singlestep_dr6;
}

static void svm_enable_intr_window(struct vcpu *v)
{
    struct vmcb *c = vmcb(v);

    /*
     * A dummy virtual interrupt: the VINTR intercept turns the moment the
     * guest could take it into an exit instead.
     */
    svm_set_v_irq(c, 0);
    c->general1_intercepts |= GENERAL1_VINTR;
}

static u64 svm_get_reg(struct vcpu *v, enum hvm_reg r)
{
    struct vmcb *c = vmcb(v);

    switch ( r )
    {
    case HVM_REG_RAX:       return c->rax;
    case HVM_REG_RSP:       return c->rsp;
    case HVM_REG_RIP:       return c->rip;
    case HVM_REG_RFLAGS:
        /* While we single-step, TF and RF are ours: the guest's saved. */
        if ( svm(v)->nmi_singlestep )
            return (c->rflags & ~(X86_EFLAGS_TF | X86_EFLAGS_RF)) |
                   svm(v)->singlestep_flags;
        return c->rflags;
    case HVM_REG_CR0:       return c->cr0;
    case HVM_REG_CR2:       return c->cr2;
    case HVM_REG_CR3:       return c->cr3;
    case HVM_REG_CR4:       return c->cr4;
    case HVM_REG_EFER:      return svm(v)->guest_efer;
    case HVM_REG_PAT:       return c->g_pat;
    case HVM_REG_STAR:      return c->star;
    case HVM_REG_LSTAR:     return c->lstar;
    case HVM_REG_CSTAR:     return c->cstar;
    case HVM_REG_SFMASK:    return c->sfmask;
    case HVM_REG_KERNEL_GS_BASE: return c->kernel_gs_base;
    case HVM_REG_SYSENTER_CS:  return c->sysenter_cs;
    case HVM_REG_SYSENTER_ESP: return c->sysenter_esp;
    case HVM_REG_SYSENTER_EIP: return c->sysenter_eip;
    case HVM_REG_FS_BASE:   return c->fs.base;
    case HVM_REG_GS_BASE:   return c->gs.base;
    case HVM_REG_CPL:       return c->cpl;
    case HVM_REG_INTR_SHADOW: return c->int_state & 1;
    case HVM_REG_DR6:       return c->dr6;
    case HVM_REG_DR7:       return c->dr7;
    default:                return 0;
    }
}

/*
 * The guest's EFER into the VMCB.  SVME must stay set there for VMRUN to
 * accept the state, and is the hypervisor's, never the guest's.  LME
 * reaches the VMCB only with LMA, i.e. once the guest has turned paging
 * on in long mode (a CR0 write, intercepted): hardware accepts LME with
 * paging off, but it then depends on every CR0 write being seen, and
 * QEMU's #VMEXIT breaks the host on that state (see vmexit_untrusted).
 * KVM and Xen keep LME virtual the same way.
 */
static void set_efer(struct vcpu *v, u64 val)
{
    struct svm_vcpu *s = svm(v);

    s->guest_efer = val & ~EFER_SVME;
    s->vmcb->efer = EFER_SVME | ((val & EFER_LMA) ? s->guest_efer
                                 : s->guest_efer & ~EFER_LME);
}

static void svm_set_reg(struct vcpu *v, enum hvm_reg r, u64 val)
{
    struct vmcb *c = vmcb(v);

    switch ( r )
    {
    case HVM_REG_RAX:       c->rax = val; break;
    case HVM_REG_RSP:       c->rsp = val; break;
    case HVM_REG_RIP:       c->rip = val; break;
    case HVM_REG_RFLAGS:
        c->rflags = val | 2;
        if ( svm(v)->nmi_singlestep )
        {
            svm(v)->singlestep_flags = val & (X86_EFLAGS_TF | X86_EFLAGS_RF);
            c->rflags |= X86_EFLAGS_TF | X86_EFLAGS_RF;
        }
        break;
    case HVM_REG_CR0:
        c->cr0 = val;
        /* No long mode without paging (also after INIT and SIPI). */
        if ( !(val & X86_CR0_PG) )
            set_efer(v, svm(v)->guest_efer & ~EFER_LMA);
        break;
    case HVM_REG_CR2:       c->cr2 = val; break;
    case HVM_REG_CR3:       c->cr3 = val; break;
    case HVM_REG_CR4:       c->cr4 = val; break;
    case HVM_REG_EFER:      set_efer(v, val); break;
    case HVM_REG_PAT:       c->g_pat = val; break;
    case HVM_REG_STAR:      c->star = val; break;
    case HVM_REG_LSTAR:     c->lstar = val; break;
    case HVM_REG_CSTAR:     c->cstar = val; break;
    case HVM_REG_SFMASK:    c->sfmask = val; break;
    case HVM_REG_KERNEL_GS_BASE: c->kernel_gs_base = val; break;
    case HVM_REG_SYSENTER_CS:  c->sysenter_cs = val; break;
    case HVM_REG_SYSENTER_ESP: c->sysenter_esp = val; break;
    case HVM_REG_SYSENTER_EIP: c->sysenter_eip = val; break;
    case HVM_REG_FS_BASE:   c->fs.base = val; break;
    case HVM_REG_GS_BASE:   c->gs.base = val; break;
    case HVM_REG_CPL:       c->cpl = val; break;
    case HVM_REG_INTR_SHADOW: c->int_state = val & 1; break;
    case HVM_REG_DR6:       c->dr6 = val; break;
    case HVM_REG_DR7:       c->dr7 = val; break;
    default:                break;
    }
}

static struct vmcb_seg *seg_of(struct vmcb *c, enum x86_segment s)
{
    switch ( s )
    {
    case x86_seg_es:   return &c->es;
    case x86_seg_cs:   return &c->cs;
    case x86_seg_ss:   return &c->ss;
    case x86_seg_ds:   return &c->ds;
    case x86_seg_fs:   return &c->fs;
    case x86_seg_gs:   return &c->gs;
    case x86_seg_tr:   return &c->tr;
    case x86_seg_ldtr: return &c->ldtr;
    case x86_seg_gdtr: return &c->gdtr;
    default:           return &c->idtr;
    }
}

static void svm_get_seg(struct vcpu *v, enum x86_segment s,
                        struct segment_register *reg)
{
    const struct vmcb_seg *src = seg_of(vmcb(v), s);

    reg->sel = src->sel;
    reg->attr = src->attr;
    reg->limit = src->limit;
    reg->base = src->base;
}

static void svm_set_seg(struct vcpu *v, enum x86_segment s,
                        const struct segment_register *reg)
{
    struct vmcb *c = vmcb(v);
    struct vmcb_seg *dst = seg_of(c, s);

    dst->sel = reg->sel;
    dst->attr = reg->attr;
    dst->limit = reg->limit;
    dst->base = reg->base;
    /* SVM takes CPL from the VMCB, not from CS or SS. */
    if ( s == x86_seg_ss )
        c->cpl = (reg->attr >> 5) & 3;
}

/*
 * INIT (the hvm_funcs op): the VMCB's registers as INIT leaves them, the
 * guest's own EFER 0 with them, no event queued and no interrupt window
 * asked for (the common code opens one again when something is
 * pending), and the TLB flushed, as INIT invalidates it (SDM Vol. 3A,
 * 10.1).
 */
static void svm_init_reset(struct vcpu *v, u64 cr0)
{
    struct svm_vcpu *s = svm(v);
    struct vmcb *c = s->vmcb;

    vmcb_init_regs(c);
    s->guest_efer = 0;
    c->cr0 = cr0;
    s->injected = -1;
    svm_disable_intr_window(c);
    s->flush_tlb = true;
    /* No NMI blocking, no IRET awaited, no single step of ours. */
    s->nmi_blocked = false;
    s->iret_pending = false;
    s->nmi_singlestep = false;
    c->general1_intercepts &= ~GENERAL1_IRET;
    c->exception_intercepts &= ~(1u << 1);
}

static int svm_domain_init(struct domain *d)
{
    return npt_domain_init(d);
}

static void svm_dump_vcpu(struct vcpu *v)
{
    struct vmcb *c = vmcb(v);

    printk("    SVM: rip %016lx rsp %016lx rflags %08lx cpl %u "
           "cr0 %08lx cr3 %08lx cr4 %08lx efer %lx (guest's %lx)\n",
           c->rip, c->rsp, c->rflags, c->cpl, c->cr0, c->cr3, c->cr4,
           c->efer, svm(v)->guest_efer);
    printk("         cs %04x attr %03x limit %08x base %016lx "
           "ss %04x attr %03x dr6 %lx dr7 %lx\n", c->cs.sel, c->cs.attr,
           c->cs.limit, c->cs.base, c->ss.sel, c->ss.attr, c->dr6,
           c->dr7);
    printk("         exit %#lx info1 %#lx info2 %#lx intinfo %#x "
           "eventinj %#x int_ctl %#x\n", c->exitcode, c->exitinfo1,
           c->exitinfo2, c->exitintinfo, c->eventinj, c->int_ctl);
}

static void svm_close_intr_window(struct vcpu *v)
{
    svm_disable_intr_window(vmcb(v));
}

const struct hvm_funcs svm_funcs = {
    .name = "SVM",
    .cpu_up = svm_cpu_up,
    .vcpu_init = svm_vcpu_init,
    .vcpu_destroy = svm_vcpu_destroy,
    .domain_init = svm_domain_init,
    .domain_destroy = npt_domain_destroy,
    .run = svm_run,
    .get_reg = svm_get_reg,
    .set_reg = svm_set_reg,
    .get_seg = svm_get_seg,
    .set_seg = svm_set_seg,
    .init_reset = svm_init_reset,
    .inject_event = svm_inject_event,
    .interrupts_enabled = svm_interrupts_enabled,
    .nmi_allowed = svm_nmi_allowed,
    .set_nmi_blocking = svm_set_nmi_blocking,
    .flush_guest_tlb = svm_flush_guest_tlb,
    .enable_nmi_window = svm_enable_nmi_window,
    .enable_intr_window = svm_enable_intr_window,
    .disable_intr_window = svm_close_intr_window,
    .event_delivered = svm_event_delivered,
    .map_gfn = npt_map_gfn,
    .dump_vcpu = svm_dump_vcpu,
};

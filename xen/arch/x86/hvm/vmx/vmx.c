/*
 * The Intel VT-x (VMX) backend of hvm_funcs: one VMCS per vCPU, entry and
 * exit, exit decoding into struct hvm_exit, event injection through the
 * VM-entry interruption information with the interrupt window through
 * interrupt-window exiting, IDT-vectoring re-injection, APICv (virtual-
 * interrupt delivery into the vlapic's own register page) and hardware
 * posted-interrupt processing.
 *
 * Guest state lives in a cache in struct vmx_vcpu (enum vmx_cached):
 * the common code reads and writes the cache, run() writes what is dirty
 * into the VMCS before the entry and reads back after the exit what the
 * guest can change on its own (RIP, RSP, RFLAGS and the interruptibility
 * eagerly, the rest when first asked).  So the common code can set up a
 * vCPU, or apply a SIPI to it, before its VMCS is loaded anywhere, and
 * the dumps never need a VMCS.
 *
 * A VMCS is active on at most one pCPU.  When a vCPU comes to run on
 * another pCPU than the one its VMCS is active on, that pCPU is asked to
 * VMCLEAR it (Xen does the same); the state the cache had not read yet
 * is read first, there.  The TLBs tagged with the vCPU's VPID and its
 * domain's EPTP are flushed on the first entry on each new pCPU, as
 * svm.c flushes the ASID.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/smp.h>
#include <xen/softirq.h>
#include <xen/xmalloc.h>
#include <asm/apic.h>
#include <asm/desc.h>
#include <asm/processor.h>
#include <asm/time.h>
#include <asm/system.h>
#include <asm/irq_vectors.h>
#include <asm/hvm/task_switch.h>
#include <asm/hvm/cr.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/vmx/vmx.h>

#define X86_CR0_NE          (1UL << 5)
#define X86_CR0_NW          (1UL << 29)
#define X86_CR0_CD          (1UL << 30)
#define X86_CR4_VMXE        (1UL << 13)
#define EFER_LMA            (1UL << 10)
#define X86_EXC_UD          6
#define X86_EXC_GP          13

/* The VMCS current on this pCPU (VMPTRLD), as a vCPU's backend state. */
static DEFINE_PER_CPU(struct vmx_vcpu *, current_vmx);
/* Whose SYSCALL MSRs and KERNEL_GS_BASE this pCPU holds (vmx_vcpu id). */
static DEFINE_PER_CPU(u64, syscall_owner);

/*
 * Bochs's early virtual-interrupt delivery (undo_early_virq()) has been
 * seen in this domain: from then on its entries avoid provoking it.
 */
static bool virq_bug_seen(const struct domain *d)
{
    return ((const struct ept *)d->hvm->backend)->virq_bug_seen;
}

static u64 next_vcpu_id = 1;
static u32 next_vpid = 1;
static DEFINE_SPINLOCK(vpid_lock);

extern const char entry_stubs[];

static struct vmx_vcpu *vmx(const struct vcpu *v)
{
    return v->hvm->backend;
}

static bool vmcs_current_here(const struct vmx_vcpu *x)
{
    return this_cpu(current_vmx) == x;
}

/* --- the guest-state cache --- */

static inline bool cached(const struct vmx_vcpu *x, enum vmx_cached c)
{
    return x->valid & (1u << c);
}

static inline void set_dirty(struct vmx_vcpu *x, enum vmx_cached c)
{
    x->valid |= 1u << c;
    x->dirty |= 1u << c;
}

static u64 cr0_host_bits(void)
{
    return (vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG)) |
           ~vmx_caps.cr0_fixed1;
}

static u64 cr4_host_bits(void)
{
    return vmx_caps.cr4_fixed0 | ~vmx_caps.cr4_fixed1;
}

static void read_seg(struct vmx_vcpu *x, enum x86_segment s)
{
    struct segment_register *r = &x->seg[s];

    if ( s == x86_seg_gdtr || s == x86_seg_idtr )
    {
        bool g = s == x86_seg_gdtr;

        r->sel = 0;
        r->attr = 0;
        r->limit = vmr(g ? GUEST_GDTR_LIMIT : GUEST_IDTR_LIMIT);
        r->base = vmr(g ? GUEST_GDTR_BASE : GUEST_IDTR_BASE);
    }
    else
    {
        unsigned int i = s == x86_seg_tr ? VMCS_SEG_TR
                         : s == x86_seg_ldtr ? VMCS_SEG_LDTR : (unsigned)s;

        r->sel = vmr(GUEST_ES_SELECTOR + 2 * i);
        r->limit = vmr(GUEST_ES_LIMIT + 2 * i);
        r->base = vmr(GUEST_ES_BASE + 2 * i);
        r->attr = vmx_attr_from_ar(vmr(GUEST_ES_AR_BYTES + 2 * i));
    }
}

static void write_seg(struct vmx_vcpu *x, enum x86_segment s)
{
    const struct segment_register *r = &x->seg[s];

    if ( s == x86_seg_gdtr || s == x86_seg_idtr )
    {
        bool g = s == x86_seg_gdtr;

        vmw(g ? GUEST_GDTR_LIMIT : GUEST_IDTR_LIMIT, r->limit);
        vmw(g ? GUEST_GDTR_BASE : GUEST_IDTR_BASE, r->base);
    }
    else
    {
        unsigned int i = s == x86_seg_tr ? VMCS_SEG_TR
                         : s == x86_seg_ldtr ? VMCS_SEG_LDTR : (unsigned)s;

        vmw(GUEST_ES_SELECTOR + 2 * i, r->sel);
        vmw(GUEST_ES_LIMIT + 2 * i, r->limit);
        vmw(GUEST_ES_BASE + 2 * i, r->base);
        vmw(GUEST_ES_AR_BYTES + 2 * i, vmx_ar_from_attr(r->attr, r->sel, s));
    }
}

/* Read one cached item from the current VMCS. */
static void read_item(struct vmx_vcpu *x, enum vmx_cached c)
{
    switch ( c )
    {
    case VC_RIP:     x->rip = vmr(GUEST_RIP); break;
    case VC_RSP:     x->rsp = vmr(GUEST_RSP); break;
    case VC_RFLAGS:  x->rflags = vmr(GUEST_RFLAGS); break;
    case VC_INTR:    x->intr_state = vmr(GUEST_INTERRUPTIBILITY_INFO); break;
    case VC_CR3:     x->cr3 = vmr(GUEST_CR3); break;
    case VC_EFER:    x->efer = vmr(GUEST_IA32_EFER); break;
    case VC_PAT:     x->pat = vmr(GUEST_IA32_PAT); break;
    case VC_DR7:     x->dr7 = vmr(GUEST_DR7); break;
    case VC_CR0:
        x->cr0 = (vmr(GUEST_CR0) & ~cr0_host_bits()) |
                 (x->cr0_shadow & cr0_host_bits());
        break;
    case VC_CR4:
        x->cr4 = (vmr(GUEST_CR4) & ~cr4_host_bits()) |
                 (x->cr4_shadow & cr4_host_bits());
        break;
    case VC_SYSENTER:
        x->sysenter_cs = vmr(GUEST_SYSENTER_CS);
        x->sysenter_esp = vmr(GUEST_SYSENTER_ESP);
        x->sysenter_eip = vmr(GUEST_SYSENTER_EIP);
        break;
    default:
        read_seg(x, (enum x86_segment)(c - VC_SEG));
        break;
    }
    x->valid |= 1u << c;
}

/*
 * Make cached item c valid.  It is invalid only between an exit and the
 * next entry, while the VMCS is current on the pCPU that runs the vCPU;
 * a dump from elsewhere meanwhile gets the value of the previous exit.
 */
static void need(struct vmx_vcpu *x, enum vmx_cached c)
{
    if ( !cached(x, c) && vmcs_current_here(x) )
        read_item(x, c);
}

/* Everything the cache has not read yet, before the VMCS goes away. */
static void read_all(struct vmx_vcpu *x)
{
    for ( unsigned int c = 0; c < VC_NR; c++ )
        if ( !cached(x, c) )
            read_item(x, c);
}

/* The guest's CR0/CR4 as it set them, into the VMCS with the fixed bits. */
static void write_guest_cr0(struct vmx_vcpu *x)
{
    u64 hw = (x->cr0 | (vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG))) &
             vmx_caps.cr0_fixed1;

    vmw(GUEST_CR0, hw);
    vmw(CR0_READ_SHADOW, x->cr0);
    x->cr0_shadow = x->cr0;
}

static void write_guest_cr4(struct vmx_vcpu *x)
{
    u64 hw = (x->cr4 | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1;

    vmw(GUEST_CR4, hw);
    vmw(CR4_READ_SHADOW, x->cr4);
    x->cr4_shadow = x->cr4;
}

static void write_item(struct vmx_vcpu *x, enum vmx_cached c)
{
    switch ( c )
    {
    case VC_RIP:     vmw(GUEST_RIP, x->rip); break;
    case VC_RSP:     vmw(GUEST_RSP, x->rsp); break;
    case VC_RFLAGS:  vmw(GUEST_RFLAGS, x->rflags); break;
    case VC_INTR:    vmw(GUEST_INTERRUPTIBILITY_INFO, x->intr_state); break;
    case VC_CR3:     vmw(GUEST_CR3, x->cr3); break;
    case VC_CR0:     write_guest_cr0(x); break;
    case VC_CR4:     write_guest_cr4(x); break;
    case VC_DR7:     vmw(GUEST_DR7, x->dr7); break;
    case VC_PAT:
        if ( vmx_caps.load_pat )
            vmw(GUEST_IA32_PAT, x->pat);
        break;
    case VC_EFER:
        /* IA-32e mode guest must follow EFER.LMA. */
        vmw(GUEST_IA32_EFER, x->efer);
        vmw(VM_ENTRY_CONTROLS, vmx_caps.entry_ctls |
                               ((x->efer & EFER_LMA) ? ENTRY_IA32E_MODE : 0));
        break;
    case VC_SYSENTER:
        vmw(GUEST_SYSENTER_CS, x->sysenter_cs);
        vmw(GUEST_SYSENTER_ESP, x->sysenter_esp);
        vmw(GUEST_SYSENTER_EIP, x->sysenter_eip);
        break;
    default:
        write_seg(x, (enum x86_segment)(c - VC_SEG));
        break;
    }
}

static void flush_dirty(struct vmx_vcpu *x)
{
    u32 d = x->dirty;

    while ( d )
    {
        unsigned int c = __builtin_ctz(d);

        d &= d - 1;
        write_item(x, c);
    }
    x->dirty = 0;
}

/* --- VMCS placement --- */

/* On the pCPU where x's VMCS is active: save what is unread, VMCLEAR. */
static void vmclear_here(void *arg)
{
    struct vmx_vcpu *x = arg;
    struct vmx_vcpu *cur;
    unsigned long flags;

    local_irq_save(flags);
    if ( READ_ONCE(x->active_cpu) == (int)smp_processor_id() )
    {
        cur = this_cpu(current_vmx);
        if ( cur != x )
            (void)__vmptrld((u64)x->vmcs);
        read_all(x);
        (void)__vmclear((u64)x->vmcs);
        if ( cur && cur != x )
            (void)__vmptrld((u64)cur->vmcs);
        this_cpu(current_vmx) = cur == x ? NULL : cur;
        x->launched = false;
        WRITE_ONCE(x->active_cpu, -1);
    }
    local_irq_restore(flags);
}

static void vmclear_on(struct vmx_vcpu *x, int cpu)
{
    cpumask_t mask;

    cpumask_clear(&mask);
    cpumask_set_cpu(cpu, &mask);
    on_selected_cpus(&mask, vmclear_here, x, true);
}

/* --- vCPUs and domains --- */

static u16 alloc_vpid(void)
{
    u16 vpid = 0;

    spin_lock(&vpid_lock);
    if ( next_vpid <= 0xffff )
        vpid = next_vpid++;
    spin_unlock(&vpid_lock);
    return vpid;
}

static void seg_init(struct segment_register *s, u16 sel, u16 attr,
                     u32 limit, u64 base)
{
    s->sel = sel;
    s->attr = attr;
    s->limit = limit;
    s->base = base;
}

/*
 * The registers INIT sets (SDM Vol. 3A, Table 10-1 "IA-32 and Intel 64
 * Processor States Following Power-up, Reset, or INIT"), as svm.c sets
 * them; CR0 is the caller's.  The MSRs (PAT, SYSENTER_*, the SYSCALL
 * ones) are left alone: INIT leaves MSRs unchanged (10.1).
 */
static void init_regs(struct vmx_vcpu *x)
{
    seg_init(&x->seg[x86_seg_cs], 0xf000, 0x9b, 0xffff, 0xffff0000);
    seg_init(&x->seg[x86_seg_ds], 0, 0x93, 0xffff, 0);
    x->seg[x86_seg_es] = x->seg[x86_seg_ss] = x->seg[x86_seg_fs] =
        x->seg[x86_seg_gs] = x->seg[x86_seg_ds];
    seg_init(&x->seg[x86_seg_gdtr], 0, 0, 0xffff, 0);
    seg_init(&x->seg[x86_seg_idtr], 0, 0, 0xffff, 0);
    seg_init(&x->seg[x86_seg_ldtr], 0, 0x82, 0xffff, 0);
    seg_init(&x->seg[x86_seg_tr], 0, 0x8b, 0xffff, 0);
    x->cr2 = 0;
    x->cr3 = 0;
    x->cr4 = 0;
    x->efer = 0;
    x->dr7 = 0x400;
    x->rflags = 2;
    x->rip = 0xfff0;
    x->rsp = 0;
    x->rax = 0;
    x->intr_state = 0;
    for ( unsigned int c = VC_SEG; c < VC_SEG + x86_seg_idtr + 1; c++ )
        set_dirty(x, c);
    set_dirty(x, VC_CR3);
    set_dirty(x, VC_CR4);
    set_dirty(x, VC_EFER);
    set_dirty(x, VC_DR7);
    set_dirty(x, VC_RFLAGS);
    set_dirty(x, VC_RIP);
    set_dirty(x, VC_RSP);
    set_dirty(x, VC_INTR);
}

/* Power-on state: INIT's, with CD and NW set and PAT at its default. */
static void init_state(struct vmx_vcpu *x)
{
    init_regs(x);
    x->cr0 = 0x60000010;
    x->pat = 0x0007040600070406ULL;
    x->valid = x->dirty = (1u << VC_NR) - 1;
    x->syscall_dirty = true;
}

static int vmx_vcpu_init(struct vcpu *v)
{
    struct vmx_vcpu *x = xzalloc(struct vmx_vcpu);
    int rc;

    if ( !x )
        return -ENOMEM;
    if ( (rc = vmx_vmcs_alloc(x)) != 0 )
    {
        xfree(x);
        return rc;
    }
    x->active_cpu = x->host_cpu = x->last_cpu = -1;
    x->injected = -1;
    x->exit_exc = -1;
    x->id = __atomic_fetch_add(&next_vcpu_id, 1, __ATOMIC_RELAXED);
    x->pin_ctls = vmx_caps.pin_ctls;
    x->cpu_ctls = vmx_caps.cpu_ctls;
    x->cpu2_ctls = vmx_caps.cpu2_ctls;
    x->exit_ctls = vmx_caps.exit_ctls;

    /* Out of VPIDs: none, and every entry and exit flushes the TLB. */
    if ( vmx_caps.vpid && !(x->vpid = alloc_vpid()) )
        x->cpu2_ctls &= ~CPU2_VPID;

    if ( vmx_caps.apicv )
    {
        /*
         * The vlapic's register page is the virtual-APIC page; CR8 then
         * reads and writes its TPR without exits.  Which APIC accesses
         * are virtualized (xAPIC page or x2APIC MSRs) follows the
         * guest's APIC mode at each entry.
         */
        x->apicv = true;
        x->cpu_ctls |= CPU_TPR_SHADOW;
        x->cpu_ctls &= ~(CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING) |
                       vmx_caps.cpu_must1;
        x->cpu2_ctls |= CPU2_APIC_REG_VIRT | CPU2_VIRT_INTR_DELIVERY;
        if ( vmx_caps.posted_intr )
        {
            x->pin_ctls |= PIN_POSTED_INTR;
            x->exit_ctls |= EXIT_ACK_INTR_ON_EXIT;
        }
    }

    v->hvm->backend = x;
    init_state(x);
    return 0;
}

static void vmx_vcpu_destroy(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);
    int cpu;

    if ( !x )
        return;
    cpu = READ_ONCE(x->active_cpu);
    if ( cpu == (int)smp_processor_id() )
        vmclear_here(x);
    else if ( cpu >= 0 )
        vmclear_on(x, cpu);
    vmx_vmcs_free(x);
    xfree(x);
    v->hvm->backend = NULL;
}

/*
 * INIT (the hvm_funcs op), through the cache like any register write:
 * the VMCS may be current on another pCPU still, and vmx_run() writes
 * it where it is loaded next.  No event queued, no interrupt window,
 * no pending debug exception (with RFLAGS.TF clear a pending single
 * step would fail the entry), and the TLB flushed (SDM Vol. 3A, 10.1:
 * INIT invalidates it) as after a move to another pCPU.
 */
static void vmx_init_reset(struct vcpu *v, u64 cr0)
{
    struct vmx_vcpu *x = vmx(v);

    init_regs(x);
    x->cr0 = cr0;
    set_dirty(x, VC_CR0);
    x->entry_intr_info = 0;
    x->entry_dirty = true;
    x->injected = -1;
    x->cpu_ctls &= ~(CPU_INTR_WINDOW_EXITING | CPU_NMI_WINDOW_EXITING);
    x->nmi_in_progress = false;
    x->clear_pending_dbg = true;
    x->last_cpu = -1;
}

static int vmx_domain_init(struct domain *d)
{
    return ept_domain_init(d);
}

/* --- registers --- */

static u64 vmx_get_reg(struct vcpu *v, enum hvm_reg r)
{
    struct vmx_vcpu *x = vmx(v);

    switch ( r )
    {
    case HVM_REG_RAX:       return x->rax;
    case HVM_REG_RSP:       need(x, VC_RSP); return x->rsp;
    case HVM_REG_RIP:       need(x, VC_RIP); return x->rip;
    case HVM_REG_RFLAGS:    need(x, VC_RFLAGS); return x->rflags;
    case HVM_REG_CR0:       need(x, VC_CR0); return x->cr0;
    case HVM_REG_CR2:       return x->cr2;
    case HVM_REG_CR3:       need(x, VC_CR3); return x->cr3;
    case HVM_REG_CR4:       need(x, VC_CR4); return x->cr4;
    case HVM_REG_EFER:      need(x, VC_EFER); return x->efer;
    case HVM_REG_PAT:       need(x, VC_PAT); return x->pat;
    case HVM_REG_STAR:      return x->star;
    case HVM_REG_LSTAR:     return x->lstar;
    case HVM_REG_CSTAR:     return x->cstar;
    case HVM_REG_SFMASK:    return x->sfmask;
    case HVM_REG_KERNEL_GS_BASE: return x->kernel_gs_base;
    case HVM_REG_SYSENTER_CS:  need(x, VC_SYSENTER); return x->sysenter_cs;
    case HVM_REG_SYSENTER_ESP: need(x, VC_SYSENTER); return x->sysenter_esp;
    case HVM_REG_SYSENTER_EIP: need(x, VC_SYSENTER); return x->sysenter_eip;
    case HVM_REG_FS_BASE:
        need(x, VC_SEG + x86_seg_fs);
        return x->seg[x86_seg_fs].base;
    case HVM_REG_GS_BASE:
        need(x, VC_SEG + x86_seg_gs);
        return x->seg[x86_seg_gs].base;
    case HVM_REG_CPL:
        /* VMX keeps the CPL in SS.DPL. */
        need(x, VC_SEG + x86_seg_ss);
        return (x->seg[x86_seg_ss].attr >> 5) & 3;
    case HVM_REG_INTR_SHADOW:
        need(x, VC_INTR);
        return !!(x->intr_state & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS));
    case HVM_REG_DR6:
        /* Not in the VMCS: the register itself, switched as FPU state. */
        return hvm_xstate_get_dr6(v);
    case HVM_REG_DR7:       need(x, VC_DR7); return x->dr7;
    default:
        return 0;
    }
}

static void vmx_set_reg(struct vcpu *v, enum hvm_reg r, u64 val)
{
    struct vmx_vcpu *x = vmx(v);

    switch ( r )
    {
    case HVM_REG_RAX:       x->rax = val; break;
    case HVM_REG_RSP:       x->rsp = val; set_dirty(x, VC_RSP); break;
    case HVM_REG_RIP:       x->rip = val; set_dirty(x, VC_RIP); break;
    case HVM_REG_RFLAGS:
        x->rflags = val | 2;
        set_dirty(x, VC_RFLAGS);
        break;
    case HVM_REG_CR0:
        x->cr0 = val;
        set_dirty(x, VC_CR0);
        /*
         * Without paging there is no long mode (a SIPI after an INIT
         * lands here): IA-32e mode guest and EFER.LMA must say so.
         */
        need(x, VC_EFER);
        if ( !(val & X86_CR0_PG) && (x->efer & EFER_LMA) )
        {
            x->efer &= ~EFER_LMA;
            set_dirty(x, VC_EFER);
        }
        break;
    case HVM_REG_CR2:       x->cr2 = val; break;
    case HVM_REG_CR3:       x->cr3 = val; set_dirty(x, VC_CR3); break;
    case HVM_REG_CR4:       x->cr4 = val; set_dirty(x, VC_CR4); break;
    case HVM_REG_EFER:
        x->efer = val;
        set_dirty(x, VC_EFER);
        if ( val & EFER_LME )
            x->long_mode_seen = true;
        break;
    case HVM_REG_PAT:       x->pat = val; set_dirty(x, VC_PAT); break;
    case HVM_REG_STAR:      x->star = val; x->syscall_dirty = true; break;
    case HVM_REG_LSTAR:     x->lstar = val; x->syscall_dirty = true; break;
    case HVM_REG_CSTAR:     x->cstar = val; x->syscall_dirty = true; break;
    case HVM_REG_SFMASK:    x->sfmask = val; x->syscall_dirty = true; break;
    case HVM_REG_KERNEL_GS_BASE:
        x->kernel_gs_base = val;
        x->syscall_dirty = true;
        break;
    case HVM_REG_SYSENTER_CS:
    case HVM_REG_SYSENTER_ESP:
    case HVM_REG_SYSENTER_EIP:
        need(x, VC_SYSENTER);
        if ( r == HVM_REG_SYSENTER_CS )
            x->sysenter_cs = val;
        else if ( r == HVM_REG_SYSENTER_ESP )
            x->sysenter_esp = val;
        else
            x->sysenter_eip = val;
        set_dirty(x, VC_SYSENTER);
        break;
    case HVM_REG_FS_BASE:
    case HVM_REG_GS_BASE:
    {
        enum x86_segment s = r == HVM_REG_FS_BASE ? x86_seg_fs : x86_seg_gs;

        need(x, VC_SEG + s);
        x->seg[s].base = val;
        set_dirty(x, VC_SEG + s);
        break;
    }
    case HVM_REG_CPL:
        need(x, VC_SEG + x86_seg_ss);
        x->seg[x86_seg_ss].attr = (x->seg[x86_seg_ss].attr & ~0x60) |
                                  ((val & 3) << 5);
        set_dirty(x, VC_SEG + x86_seg_ss);
        break;
    case HVM_REG_INTR_SHADOW:
        need(x, VC_INTR);
        x->intr_state &= ~(INTR_BLOCK_STI | INTR_BLOCK_MOV_SS);
        if ( val )
            x->intr_state |= INTR_BLOCK_STI;
        set_dirty(x, VC_INTR);
        break;
    case HVM_REG_DR6:
        hvm_xstate_set_dr6(v, val);
        break;
    case HVM_REG_DR7:       x->dr7 = val; set_dirty(x, VC_DR7); break;
    default:
        break;
    }
}

static void vmx_get_seg(struct vcpu *v, enum x86_segment s,
                        struct segment_register *reg)
{
    struct vmx_vcpu *x = vmx(v);

    need(x, VC_SEG + s);
    *reg = x->seg[s];
}

static void vmx_set_seg(struct vcpu *v, enum x86_segment s,
                        const struct segment_register *reg)
{
    struct vmx_vcpu *x = vmx(v);

    x->seg[s] = *reg;
    set_dirty(x, VC_SEG + s);
}

/* --- events --- */

static void queue_event(struct vmx_vcpu *x, u8 vector, unsigned int type,
                        bool has_error, u32 error)
{
    /*
     * Without protected mode there are no error codes (unrestricted
     * guest in real mode): VM entry refuses one.
     */
    need(x, VC_CR0);
    if ( !(x->cr0 & X86_CR0_PE) )
        has_error = false;
    x->entry_intr_info = INTR_INFO_VALID | (type << INTR_INFO_TYPE_SHIFT) |
                         vector | (has_error ? INTR_INFO_ERR_VALID : 0);
    x->entry_err = error;
    x->entry_len = 0;
    x->entry_dirty = true;
}

static void vmx_inject_event(struct vcpu *v, u8 vector, unsigned int type,
                             bool has_error, u32 error)
{
    struct vmx_vcpu *x = vmx(v);

    /* The HVM_EVENT_* types are the VMX interruption types. */
    queue_event(x, vector, type, has_error, error);
    x->injected = type == HVM_EVENT_EXTINT ? vector : -1;
}

static bool vmx_interrupts_enabled(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);

    need(x, VC_RFLAGS);
    need(x, VC_INTR);
    return (x->rflags & X86_EFLAGS_IF) &&
           !(x->intr_state & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS)) &&
           !(x->entry_intr_info & INTR_INFO_VALID);
}

/*
 * NMIs wait for the STI and MOV SS shadows (VM entry refuses an NMI
 * under MOV SS blocking, and some CPUs under STI blocking: SDM Vol. 3C
 * 26.3.1.5) and, with virtual NMIs, for the IRET that ends the handler
 * of the last one (interruptibility bit 3).  Without virtual NMIs the
 * CPU never clears that bit on IRET (SDM Vol. 3C 25.3), so it cannot be
 * consulted: an NMI may then nest.
 */
static bool vmx_nmi_allowed(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);
    u32 block = INTR_BLOCK_STI | INTR_BLOCK_MOV_SS;

    if ( vmx_caps.virtual_nmis )
        block |= INTR_BLOCK_NMI;
    need(x, VC_INTR);
    return !(x->intr_state & block) &&
           !(x->entry_intr_info & INTR_INFO_VALID);
}

/*
 * With virtual NMIs the blocking is interruptibility bit 3, which
 * task_switch.c sets and clears as the CPU would have: VMX leaves the
 * task switch to the hypervisor, IRET's included.  Without them the
 * blocking is the CPU's own and cannot be changed.
 */
/*
 * Called on the vCPU's pCPU with its VMCS loaded.  Without VPID every
 * VM entry flushes the guest's linear translations anyway (SDM Vol. 3C,
 * "Caching Translation Information"); with it, this VPID's go now.
 */
static void vmx_flush_guest_tlb(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);

    if ( x->cpu2_ctls & CPU2_VPID )
        (void)__invvpid((vmx_caps.ept_vpid_cap & VMX_VPID_INVVPID_SINGLE)
                        ? INVVPID_SINGLE_CONTEXT : INVVPID_ALL_CONTEXT,
                        x->vpid);
}

static void vmx_set_nmi_blocking(struct vcpu *v, bool blocked)
{
    struct vmx_vcpu *x = vmx(v);

    if ( !vmx_caps.virtual_nmis )
        return;
    need(x, VC_INTR);
    if ( blocked )
        x->intr_state |= INTR_BLOCK_NMI;
    else
        x->intr_state &= ~INTR_BLOCK_NMI;
    x->nmi_in_progress = blocked;
    set_dirty(x, VC_INTR);
}

/*
 * An NMI waits: NMI-window exiting exits as soon as neither a shadow nor
 * virtual-NMI blocking holds it (SDM Vol. 3C 26.7.6).  Without virtual
 * NMIs only the shadows can hold it, and they end when interrupts could
 * be taken or at the next exit.
 */
static void vmx_enable_nmi_window(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);

    if ( vmx_caps.virtual_nmis )
        x->cpu_ctls |= CPU_NMI_WINDOW_EXITING;
    else
        x->cpu_ctls |= CPU_INTR_WINDOW_EXITING;
}

static void vmx_enable_intr_window(struct vcpu *v)
{
    vmx(v)->cpu_ctls |= CPU_INTR_WINDOW_EXITING;
}

static void vmx_disable_intr_window(struct vcpu *v)
{
    vmx(v)->cpu_ctls &= ~CPU_INTR_WINDOW_EXITING;
}

/* A task-switch exit whose source is a task gate in the IDT (3). */
static bool task_switch_by_gate(const struct vmx_vcpu *x)
{
    return (x->exit_reason & 0xffff) == EXIT_REASON_TASK_SWITCH &&
           ((x->exit_qual >> 30) & 3) == 3;
}

/*
 * After an exit (the common code calls this every time, interrupts off):
 * whether the external interrupt injected at the last entry reached the
 * guest.  If the exit interrupted the delivery of an event (IDT-vectoring
 * information), it is our external interrupt - the vlapic takes it back
 * into IRR - or an event of the guest's own, which is delivered again at
 * the next entry.  The same contract as svm_event_delivered().
 */
static bool vmx_event_delivered(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);
    bool delivered = true;

    if ( !x->entered )
    {
        /* No entry happened: whatever was queued is still queued. */
        if ( x->injected >= 0 )
        {
            x->entry_intr_info = 0;
            x->entry_dirty = true;
            delivered = false;
        }
        x->injected = -1;
        return delivered;
    }

    /* Every VM exit clears the valid bit of the entry information. */
    x->entry_intr_info = 0;
    x->entry_dirty = false;
    if ( x->idt_info & INTR_INFO_VALID )
    {
        unsigned int type = (x->idt_info & INTR_INFO_TYPE_MASK) >>
                            INTR_INFO_TYPE_SHIFT;

        if ( task_switch_by_gate(x) )
            ;   /* the switch task_switch.c emulates delivers it */
        else if ( type == INTR_TYPE_EXT_INTR &&
                  x->injected == (int)(x->idt_info & INTR_INFO_VECTOR_MASK) )
            delivered = false;
        else
        {
            x->entry_intr_info = x->idt_info & ~INTR_INFO_NMI_UNBLOCK;
            x->entry_err = x->idt_err;
            x->entry_len = x->insn_len;
            x->entry_dirty = true;
        }
    }
    x->injected = -1;
    return delivered;
}

static void virq_to_irr(struct vcpu *v, unsigned int vec);

/*
 * The hvm_funcs op: the event vmx_event_delivered() queued again from
 * the IDT-vectoring information, no longer to be delivered.  A virtual
 * interrupt there was started by APICv's virtual-interrupt delivery,
 * which had moved it from IRR to ISR already (SDM 29.2.2): it goes back.
 */
static bool vmx_take_reinjection(struct vcpu *v, u8 *vector,
                                 unsigned int *type)
{
    struct vmx_vcpu *x = vmx(v);
    u32 info = x->entry_intr_info;
    unsigned int t = (info & INTR_INFO_TYPE_MASK) >> INTR_INFO_TYPE_SHIFT;

    if ( !(info & INTR_INFO_VALID) )
        return false;
    *vector = info & INTR_INFO_VECTOR_MASK;
    /* The HVM_EVENT_* types are the VMX interruption types up to 3. */
    *type = t <= INTR_TYPE_HW_EXCEPTION ? t : HVM_EVENT_SOFTWARE;
    if ( t == INTR_TYPE_EXT_INTR && x->apicv )
        virq_to_irr(v, *vector);
    x->entry_intr_info = 0;
    x->entry_dirty = true;
    return true;
}

/* --- APICv --- */

static bool vlapic_hw_sw_enabled(const struct vlapic *vl)
{
    return (READ_ONCE(vl->apic_base) & APICBASE_ENABLE) &&
           (*(const u32 *)(vl->regs + APIC_REG_SVR) & 0x100);
}

static bool vlapic_in_x2apic(const struct vlapic *vl)
{
    return (READ_ONCE(vl->apic_base) & (APICBASE_ENABLE | APICBASE_X2APIC))
           == (APICBASE_ENABLE | APICBASE_X2APIC);
}

static int highest_bit256(const u8 *regs, unsigned int base)
{
    for ( int i = 7; i >= 0; i-- )
    {
        u32 w = *(const volatile u32 *)(regs + base + i * 0x10);

        if ( w )
            return i * 32 + 31 - __builtin_clz(w);
    }
    return -1;
}

/* The registers whose APIC-write exits need the value before the write. */
static const u16 snapshot_regs[VMX_APIC_SNAPSHOT_REGS] = {
    APIC_REG_ID, APIC_REG_LDR, APIC_REG_DFR, APIC_REG_SVR, APIC_REG_ESR,
    APIC_REG_LVT_CMCI, APIC_REG_ICR, APIC_REG_ICR2, APIC_REG_LVTT,
    APIC_REG_LVT_THERM, APIC_REG_LVT_PERF, APIC_REG_LVT0, APIC_REG_LVT1,
    APIC_REG_LVTERR, APIC_REG_TMICT, APIC_REG_TDCR,
};

/*
 * Before an entry with APICv.  The register page is the virtual-APIC
 * page: the CPU delivers from its IRR (through RVI) and EOIs into its
 * ISR (SVI); the vlapic's own writes to IRR and ISR since the last exit
 * are made known through RVI and SVI.  Level-triggered vectors exit on
 * EOI so that vioapic_eoi() runs (eoi_exit(), when TMR says level): those
 * in TMR, and every vector the vIOAPIC routes as level, since a level
 * interrupt may reach a running vCPU by hardware posting before any
 * entry sees its TMR bit.  A change of those entries kicks the running
 * vCPUs back here (vmx_vioapic_levels_changed()).
 */
static void apicv_sync(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);
    struct vlapic *vl = &v->hvm->vlapic;
    const struct vioapic *vio = &v->domain->hvm->vioapic;
    bool x2 = vlapic_in_x2apic(vl);
    u32 cpu2 = x->cpu2_ctls & ~(CPU2_VIRT_APIC_ACCESSES | CPU2_VIRT_X2APIC);
    u64 eoi[4] = { 0 };
    u64 bitmap, eptp;

    /* Before the entries are read: see vmx_vioapic_levels_changed(). */
    x->levels_gen_synced = __atomic_load_n(&v->domain->hvm->levels_gen,
                                           __ATOMIC_SEQ_CST);

    /*
     * Virtualize the APIC the guest uses, never both; where the xAPIC
     * page does not decode, the EPT view without the APIC-access page.
     */
    if ( x2 )
        cpu2 |= CPU2_VIRT_X2APIC;
    else if ( READ_ONCE(vl->apic_base) & APICBASE_ENABLE )
        cpu2 |= CPU2_VIRT_APIC_ACCESSES;
    x->cpu2_ctls = cpu2;
    eptp = (cpu2 & CPU2_VIRT_APIC_ACCESSES) ? ept_eptp(v->domain)
                                            : ept_eptp_noapic(v->domain);
    if ( eptp != x->eptp_hw )
    {
        vmw(EPT_POINTER, eptp);
        x->eptp_hw = eptp;
    }
    bitmap = (u64)(x2 ? vmx_msr_bitmap_x2apic : vmx_msr_bitmap_all);
    if ( bitmap != x->msr_bitmap_hw )
    {
        vmw(MSR_BITMAP, bitmap);
        x->msr_bitmap_hw = bitmap;
    }

    for ( unsigned int i = 0; i < 8; i++ )
        eoi[i / 2] |= (u64)*(const u32 *)(vl->regs + APIC_REG_TMR +
                                          i * 0x10) << ((i & 1) * 32);
    for ( unsigned int p = 0; p < VIOAPIC_PINS; p++ )
    {
        u64 rte = READ_ONCE(vio->redir[p]);

        if ( rte & (1u << 15) )
            eoi[(rte & 0xff) / 64] |= 1ULL << (rte & 63);
    }
    for ( unsigned int i = 0; i < 4; i++ )
        if ( eoi[i] != x->eoi_exit_hw[i] )
        {
            vmw(EOI_EXIT_BITMAP0 + 2 * i, eoi[i]);
            x->eoi_exit_hw[i] = eoi[i];
        }

    if ( !x2 )
    {
        u32 *page = (u32 *)vl->regs, id, lvr;

        /*
         * Virtualized xAPIC reads of ID and version come from the page,
         * where the vlapic (which computes them) keeps nothing.
         */
        (void)vlapic_reg_read(vl, APIC_REG_ID, &id);
        (void)vlapic_reg_read(vl, APIC_REG_LVR, &lvr);
        page[APIC_REG_ID / 4] = id;
        page[APIC_REG_LVR / 4] = lvr;
        for ( unsigned int i = 0; i < VMX_APIC_SNAPSHOT_REGS; i++ )
            x->apic_snapshot[i] = page[snapshot_regs[i] / 4];
    }
}

/*
 * Whether this entry must run apicv_sync().  Not after an exit that the
 * IPI fast path completed (entry_after_fastpath), as long as no
 * redirection entry changed since the last sync: such an exit changed
 * no input of the sync.  The APIC mode and base, which choose the
 * controls, the EPT view and the MSR bitmap, only change through the
 * vCPU's own exits, and INIT clears the flag; the fast path runs in
 * x2APIC mode only, so there is no xAPIC page to refresh.  TMR bits set
 * since by other vCPUs' deliveries come from level-triggered messages:
 * those of the vIOAPIC have their vector in the bitmap from its
 * redirection entry already, and vioapic_eoi() ignores any other.
 */
static bool apicv_sync_needed(struct vcpu *v)
{
    bool after_fastpath = v->hvm->entry_after_fastpath;

    v->hvm->entry_after_fastpath = false;
    return !after_fastpath ||
           vmx(v)->levels_gen_synced !=
           __atomic_load_n(&v->domain->hvm->levels_gen, __ATOMIC_SEQ_CST);
}

/*
 * RVI and SVI from the register page, the last thing before the entry:
 * IRR and ISR as the vlapic and the posting code left them.
 */
static void apicv_set_status(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);
    struct vlapic *vl = &v->hvm->vlapic;
    int irr, isr;
    u16 status;

    irr = vlapic_hw_sw_enabled(vl) ? highest_bit256(vl->regs, APIC_REG_IRR)
                                   : -1;
    isr = highest_bit256(vl->regs, APIC_REG_ISR);
    for ( unsigned int i = 0; i < 8; i++ )
        x->isr_at_entry[i] = *(const u32 *)(vl->regs + APIC_REG_ISR +
                                            i * 0x10);
    /*
     * Written every time: the CPU moves RVI and SVI itself as it
     * delivers and EOIs, so what was written last says nothing.
     */
    status = (irr > 0 ? irr : 0) | ((isr > 0 ? isr : 0) << 8);
    vmw(GUEST_INTR_STATUS, status);
    x->intr_status_hw = status;
    if ( virq_bug_seen(v->domain) && irr > 0 &&
         (irr & 0xf0) > (*(u32 *)(vl->regs + APIC_REG_PPR) & 0xf0) )
    {
        need(x, VC_RFLAGS);
        need(x, VC_INTR);
        if ( !(x->rflags & X86_EFLAGS_IF) ||
             (x->intr_state & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS)) )
            x->cpu_ctls |= CPU_INTR_WINDOW_EXITING;
    }
}

/*
 * The hvm_funcs op for the common entry path: with virtual-interrupt
 * delivery the CPU delivers the vlapic's interrupts itself (from IRR,
 * through RVI), so the software injection must stay out of its way.
 */
static bool vmx_deliver_pending(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);

    if ( !x->apicv )
        return false;
    return true;
}

/*
 * APIC-write exit (trap-like, xAPIC mode): the CPU has written the page
 * already.  The vlapic gets the write as if it came now, on the register
 * as it was before (from the entry's snapshot), so that it sees the old
 * value where it matters (timer mode, divider, ...).
 */
static void apic_write_exit(struct vcpu *v, unsigned int offset)
{
    struct vmx_vcpu *x = vmx(v);
    struct vlapic *vl = &v->hvm->vlapic;
    u32 *page = (u32 *)vl->regs, val;

    offset &= 0xff0;
    val = page[offset / 4];
    for ( unsigned int i = 0; i < VMX_APIC_SNAPSHOT_REGS; i++ )
        if ( snapshot_regs[i] == offset )
            page[offset / 4] = x->apic_snapshot[i];
    x->nr_apic_write_exits++;
    (void)vlapic_reg_write(vl, offset, val);
}

/*
 * EOI-induced exit: the CPU has done the EOI.  The bitmap traps every
 * vector the vIOAPIC routes level-triggered, whatever this acceptance
 * was, so the vIOAPIC hears the EOI only if TMR says the vector was
 * accepted level-triggered: the local APIC sends the EOI message only
 * then (SDM 11.8.5), and an edge interrupt of a vector that a level pin
 * also uses must not clear that pin's Remote IRR.  TMR is exact here
 * also for hardware-posted vectors (vlapic_set_irq sets it before PIR).
 */
static void eoi_exit(struct vcpu *v, u8 vector)
{
    struct vmx_vcpu *x = vmx(v);
    const u32 *tmr = (const u32 *)(v->hvm->vlapic.regs + APIC_REG_TMR +
                                   (vector / 32) * 0x10);

    x->nr_eoi_exits++;
    v->hvm->vlapic.nr_eoi++;
    v->hvm->vlapic.nr_eoi_writes++;
    if ( __atomic_load_n(tmr, __ATOMIC_SEQ_CST) & (1u << (vector % 32)) )
        vioapic_eoi(v->domain, vector);
}

/*
 * The hvm_funcs op (APICv): a redirection entry changed which vectors the
 * vIOAPIC sends level-triggered, and apicv_sync() computes the EOI-exit
 * bitmap from the entries only before an entry.  Every vCPU of d running
 * the guest elsewhere is made to exit (the event-check IPI; Xen and KVM
 * kick too), so none keeps a bitmap that lets the EOI of a vector that
 * just became level pass the vIOAPIC by; the bitmap is the same for all
 * vCPUs, so each one is concerned.  Called after the entry was stored
 * and before any delivery it causes, so the kick is sent before that
 * delivery's posted-interrupt notification; EVENT_CHECK_VECTOR (0xfc)
 * outranks POSTED_INTR_VECTOR (0xf0), so a target with both pending
 * takes the kick's VM exit first, and the notification waits in the
 * host APIC for drain_notifications() at the next entry.  (That the kick
 * arrives no later than a notification sent after it is the usual
 * in-order delivery of two IPIs from one sender to one destination.)
 *
 * Ordering (store buffering): here, the entry's store (vioapic.lock's
 * release), a full fence, then the load of is_running; on the target,
 * the scheduler's store of is_running, then pi_sync_pir_to_irr()'s
 * seq_cst clear of ON in inject_pending() (a full barrier), then
 * apicv_sync()'s loads of the entries.  So either we see it running and
 * kick it, or its next apicv_sync() sees the new entry.  A target seen
 * running that has already computed its bitmap takes the IPI, at the
 * latest, right after its VM entry (external-interrupt exiting), and
 * computes it again.  vCPUs not running compute it at their next entry.
 */
static void vmx_vioapic_levels_changed(struct domain *d)
{
    unsigned int cpu = smp_processor_id();

    /*
     * For apicv_sync_needed(): after the entry's store, before the kicks
     * (a locked RMW, so it is globally visible before any IPI below is
     * sent).  A vCPU that reads the old value at its entry either has
     * is_running set already, so that the load below sees it and kicks
     * it, or reads the new one (the argument above, with this load in
     * place of apicv_sync()'s loads of the entries).
     */
    __atomic_fetch_add(&d->hvm->levels_gen, 1, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for ( unsigned int i = 0; i < d->max_vcpus; i++ )
    {
        struct vcpu *v = d->vcpu ? d->vcpu[i] : NULL;
        unsigned int where;

        if ( !v || v == current || !READ_ONCE(v->is_running) )
            continue;
        where = READ_ONCE(v->processor);
        if ( where != cpu )
            smp_send_event_check_cpu(where);
    }
}

/*
 * A virtual interrupt APICv put in service (ISR) without its handler
 * running: pending in IRR again, and the PPR without it.  RVI and SVI
 * follow from the page at the next entry (apicv_set_status()).
 */
static void virq_to_irr(struct vcpu *v, unsigned int vec)
{
    u32 *page = (u32 *)v->hvm->vlapic.regs, tpr, ppr;
    int isr;

    page[(APIC_REG_ISR + (vec / 32) * 0x10) / 4] &= ~(1u << (vec % 32));
    page[(APIC_REG_IRR + (vec / 32) * 0x10) / 4] |= 1u << (vec % 32);
    tpr = page[APIC_REG_TPR / 4] & 0xff;
    isr = highest_bit256(v->hvm->vlapic.regs, APIC_REG_ISR);
    ppr = isr >= 0 && ((u32)isr & 0xf0) > (tpr & 0xf0) ? (u32)isr & 0xf0
                                                        : tpr;
    page[APIC_REG_PPR / 4] = ppr;
}

/*
 * Bochs (2.7 and 3.0) has a bug in virtual-interrupt delivery: when a
 * host interrupt is pending while the guest runs, its
 * InterruptAcknowledge() delivers a pending virtual interrupt (RVI above
 * VPPR) before the VM exit, even with the guest's RFLAGS.IF clear: it
 * tests the event without the IF mask that keeps it from being taken
 * anywhere else.  A guest that sends itself an IPI with interrupts off
 * then takes it with interrupts off.  Hardware never does this.
 *
 * The exit for that host interrupt follows at once, before the guest's
 * handler runs an instruction, so the wrong delivery can be recognised
 * there - the guest is at the entry of the handler of the vector just
 * put in service (SVI, not in service at the entry), on a frame whose
 * saved flags have IF clear, which no legal delivery produces - and
 * taken back: the frame is popped, the vector goes from ISR back to
 * IRR.  Only deliveries at the same privilege level in 32-bit protected
 * or 64-bit mode are recognised (all the test kernels and a kernel's
 * own interrupts-off sections).  Once the bug has been seen, entries
 * with interrupts blocked and a deliverable vector also request an
 * interrupt window, with which Bochs does not signal the virtual
 * interrupt at all (fewer undos).
 */
static void undo_early_virq(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);
    struct vlapic *vl = &v->hvm->vlapic;
    u32 *page = (u32 *)vl->regs;
    struct guest_paging pg;
    const struct segment_register *cs, *ss, *idt;
    unsigned int vec = vmr(GUEST_INTR_STATUS) >> 8;
    bool lm;
    u8 gate[16];
    u64 off, frame[5], ip, fl, sp;
    u32 f32[3];

    /* In service now, and not yet at the entry: taken in this stint. */
    if ( vec < 16 || !(page[(APIC_REG_ISR + (vec / 32) * 0x10) / 4] &
                       (1u << (vec % 32))) ||
         (x->isr_at_entry[vec / 32] & (1u << (vec % 32))) )
        return;
    need(x, VC_CR0);
    need(x, VC_CR3);
    need(x, VC_CR4);
    need(x, VC_EFER);
    need(x, VC_RSP);
    need(x, VC_SEG + x86_seg_cs);
    need(x, VC_SEG + x86_seg_ss);
    need(x, VC_SEG + x86_seg_idtr);
    cs = &x->seg[x86_seg_cs];
    ss = &x->seg[x86_seg_ss];
    idt = &x->seg[x86_seg_idtr];
    if ( !(x->cr0 & X86_CR0_PE) || (x->rflags & (1UL << 17)) )
        return;
    lm = (x->efer & EFER_LMA) && (cs->attr & (1u << 9));
    if ( !lm && !(cs->attr & (1u << 10)) )
        return;                             /* 16-bit protected mode */

    pg.cr0 = x->cr0;
    pg.cr3 = x->cr3;
    pg.cr4 = x->cr4;
    pg.efer = x->efer;
    if ( (vec + 1) * (lm ? 16 : 8) - 1 > idt->limit ||
         copy_from_guest_virt(v->domain, &pg, gate, idt->base +
                              vec * (lm ? 16 : 8), lm ? 16 : 8) )
        return;
    off = gate[0] | (gate[1] << 8) | ((u64)gate[6] << 16) |
          ((u64)gate[7] << 24);
    if ( lm )
        off |= (u64)(gate[8] | (gate[9] << 8) | (gate[10] << 16) |
                     ((u32)gate[11] << 24)) << 32;
    if ( !(gate[5] & 0x80) || off != x->rip ||
         (gate[2] | (gate[3] << 8)) != cs->sel )
        return;

    /* The frame the delivery pushed: same privilege only. */
    if ( lm )
    {
        if ( copy_from_guest_virt(v->domain, &pg, frame, x->rsp,
                                  sizeof(frame)) ||
             frame[1] != cs->sel || frame[4] != ss->sel )
            return;
        ip = frame[0];
        fl = frame[2];
        sp = frame[3];
    }
    else
    {
        if ( copy_from_guest_virt(v->domain, &pg, f32,
                                  (u32)(ss->base + (u32)x->rsp),
                                  sizeof(f32)) ||
             (f32[1] & 0xffff) != cs->sel )
            return;
        ip = f32[0];
        fl = f32[2];
        sp = (x->rsp & ~0xffffffffULL) | (u32)(x->rsp + sizeof(f32));
    }
    if ( fl & X86_EFLAGS_IF )
        return;                             /* a legal delivery */

    x->rip = ip;
    x->rflags = fl | 2;
    x->rsp = sp;
    set_dirty(x, VC_RIP);
    set_dirty(x, VC_RFLAGS);
    set_dirty(x, VC_RSP);
    virq_to_irr(v, vec);
    x->nr_virq_undone++;
    if ( !virq_bug_seen(v->domain) )
        printk(XENLOG_WARNING "d%uv%u: virtual interrupt %#x delivered "
               "with IF clear (emulator bug), taken back\n",
               v->domain->domain_id, v->vcpu_id, vec);
    ((struct ept *)v->domain->hvm->backend)->virq_bug_seen = true;
}

/*
 * Bochs 3.0 has been seen to save an exit (an external interrupt) that
 * follows the delivery of an exception with an error code with RIP still
 * on the faulting instruction: the frame is pushed, CS, SS, RSP and
 * RFLAGS are the handler's, but RIP is not, and there is no IDT-vectoring
 * information (docs/known-problems.md).  Linux then ran
 * the user instruction in kernel mode, or from kernel mode left a stale
 * frame that a later RET took its return address from.  Hardware saves
 * the handler's RIP (SDM Vol. 3C, "Saving RIP, RSP, RFLAGS, and SSP":
 * an exit between instructions saves the next instruction's).
 *
 * Recognised in 64-bit mode only, by a frame at RSP whose saved RIP is
 * the current RIP and which the delivery put exactly there: from the
 * same privilege level the saved CS and SS are the current ones and RSP
 * is the saved RSP rounded down to 16 bytes less the 48-byte frame; from
 * user mode the saved CS and SS have RPL 3, SS is now null and RSP is
 * 16-byte aligned.  The delivery is undone - RSP, RFLAGS and, from user
 * mode, CS and SS come back from the frame, the latter two read from the
 * GDT - and the instruction runs again, which raises its exception again,
 * this time delivered whole.  Called under Bochs only, at the exits that
 * come between instructions (external interrupt, NMI, preemption timer,
 * interrupt and NMI windows) and at EPT violations that
 * bochs_handler_fetch() does not explain.
 */
static bool bochs_gdt_seg(struct vcpu *v, const struct guest_paging *pg,
                          u16 sel, struct segment_register *r)
{
    const struct segment_register *gdt = &vmx(v)->seg[x86_seg_gdtr];
    u64 d;

    if ( (sel & 4) || (sel | 7) > gdt->limit ||
         copy_from_guest_virt(v->domain, pg, &d, gdt->base + (sel & ~7),
                              sizeof(d)) ||
         !(d & (1ULL << 47)) )
        return false;
    r->sel = sel;
    r->attr = desc_attr(d);
    r->base = desc_base(d);
    r->limit = desc_limit(d);
    return true;
}

static void bochs_stale_delivery(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);
    const struct segment_register *cs, *ss;
    struct segment_register ucs, uss;
    struct guest_paging pg;
    u64 f[6];               /* error code, RIP, CS, RFLAGS, RSP, SS */
    bool user;

    if ( x->idt_info & INTR_INFO_VALID )
        return;
    need(x, VC_EFER);
    need(x, VC_RSP);
    need(x, VC_SEG + x86_seg_cs);
    cs = &x->seg[x86_seg_cs];
    if ( !(x->efer & EFER_LMA) || !(cs->attr & (1u << 9)) ||
         (x->rsp & 0xf) || (cs->sel & 3) )
        return;
    need(x, VC_CR0);
    need(x, VC_CR3);
    need(x, VC_CR4);
    need(x, VC_SEG + x86_seg_ss);
    need(x, VC_SEG + x86_seg_gdtr);
    ss = &x->seg[x86_seg_ss];
    pg.cr0 = x->cr0;
    pg.cr3 = x->cr3;
    pg.cr4 = x->cr4;
    pg.efer = x->efer;
    /*
     * RFLAGS as a 64-bit VM entry accepts it (SDM Vol. 3C, "Checks on
     * Guest RIP, RFLAGS, and SSP"): bit 1 set; 3, 5, 15, VM and 63:22
     * clear.  The frame is the guest's memory.
     */
    if ( copy_from_guest_virt(v->domain, &pg, f, x->rsp, sizeof(f)) ||
         f[1] != x->rip || (f[0] >> 32) || !(f[3] & 2) ||
         (f[3] & 0x28028) || (f[3] >> 22) )
        return;
    user = (f[2] & 3) == 3;
    if ( user )
    {
        if ( (f[5] & 3) != 3 || ss->sel != 0 ||
             !bochs_gdt_seg(v, &pg, f[2], &ucs) ||
             !bochs_gdt_seg(v, &pg, f[5], &uss) ||
             /* A ring-3 code segment and a writable ring-3 data one. */
             (ucs.attr & 0x78) != 0x78 || (uss.attr & 0x7a) != 0x72 )
            return;
    }
    else if ( f[2] != cs->sel || f[5] != ss->sel ||
              x->rsp != (f[4] & ~0xfULL) - sizeof(f) )
        return;

    if ( !x->nr_stale_deliveries )
        printk(XENLOG_WARNING "d%uv%u: exception delivery at %#lx saved "
               "with its faulting RIP (emulator bug), undone\n",
               v->domain->domain_id, v->vcpu_id, (unsigned long)x->rip);
    if ( user )
    {
        x->seg[x86_seg_cs] = ucs;
        x->seg[x86_seg_ss] = uss;
        set_dirty(x, VC_SEG + x86_seg_cs);
        set_dirty(x, VC_SEG + x86_seg_ss);
    }
    x->rsp = f[4];
    x->rflags = f[3] | 2;
    set_dirty(x, VC_RSP);
    set_dirty(x, VC_RFLAGS);
    x->nr_stale_deliveries++;
}

/* --- exits handled here --- */

static u64 *gpr_slot(struct vcpu *v, unsigned int n)
{
    struct hvm_gprs *g = &v->hvm->gprs;

    switch ( n )
    {
    case 0:  return &vmx(v)->rax;
    case 1:  return &g->rcx;
    case 2:  return &g->rdx;
    case 3:  return &g->rbx;
    case 4:  return &vmx(v)->rsp;
    case 5:  return &g->rbp;
    case 6:  return &g->rsi;
    case 7:  return &g->rdi;
    case 8:  return &g->r8;
    case 9:  return &g->r9;
    case 10: return &g->r10;
    case 11: return &g->r11;
    case 12: return &g->r12;
    case 13: return &g->r13;
    case 14: return &g->r14;
    default: return &g->r15;
    }
}

static bool guest_64bit(struct vmx_vcpu *x)
{
    need(x, VC_EFER);
    need(x, VC_SEG + x86_seg_cs);
    return (x->efer & EFER_LMA) && (x->seg[x86_seg_cs].attr & (1u << 9));
}

/*
 * Where the exiting instruction ends.  Outside 64-bit mode EIP is 32
 * bits: after an instruction that ends at 4 GiB comes EIP 0, and RIP
 * bits 63:32 set there would fail the VM entry (SDM 26.3.1.4).
 */
static u64 next_rip(struct vmx_vcpu *x)
{
    u64 rip;

    need(x, VC_RIP);
    rip = x->rip + x->insn_len;
    /* Only a high RIP needs the mode (which costs VMREADs). */
    return (rip >> 32) && !guest_64bit(x) ? (u32)rip : rip;
}

static void skip_insn(struct vmx_vcpu *x)
{
    x->rip = next_rip(x);
    set_dirty(x, VC_RIP);
    need(x, VC_INTR);
    x->intr_state &= ~(INTR_BLOCK_STI | INTR_BLOCK_MOV_SS);
    set_dirty(x, VC_INTR);
}

/*
 * PAE paging outside long mode: with EPT the CPU takes the PDPTEs from
 * the VMCS at entry, so a CR0/CR4 write we emulate that starts such
 * paging must load them from the guest's CR3 as the CPU would.
 */
static bool load_pdptes(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);
    u64 p[4];

    need(x, VC_CR3);
    if ( copy_from_guest_phys(v->domain, p, x->cr3 & 0xffffffe0ULL,
                              sizeof(p)) )
        return false;
    for ( unsigned int i = 0; i < 4; i++ )
    {
        /*
         * Present entries with reserved bits set: #GP, as hardware (SDM
         * 4.4.1); the bits include 63:MAXPHYADDR (Table 4-8).
         */
        if ( (p[i] & 1) && (p[i] & guest_pae_pdpte_rsvd()) )
            return false;
        vmw(GUEST_PDPTE0 + 2 * i, p[i]);
    }
    return true;
}

/*
 * While decoding an exit: the instruction raises exception 'vector'
 * (error code 0 if it has one).  decode_exit() hands it to the common
 * code in struct hvm_exit: queued into the entry fields here, it would
 * be wiped by vmx_event_delivered() before the next entry, and the guest
 * would retry the instruction for ever.
 */
static void raise_on_exit(struct vmx_vcpu *x, u8 vector)
{
    x->exit_exc = vector;
}

static void inject_gp(struct vmx_vcpu *x)
{
    raise_on_exit(x, X86_EXC_GP);
}

/*
 * MOV to CR0 that touched a bit the hypervisor owns (CR0.NE and the bits
 * VMX fixes), every MOV to CR4, and CR8 without a TPR shadow; the rest
 * of CR0 the guest writes freely.  The values are checked by the common
 * rules (hvm/cr.c) against the guest's CPUID, then against what VMX
 * itself fixes.
 */
static bool cr_access(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);
    struct vlapic *vl = &v->hvm->vlapic;
    unsigned int cr = x->exit_qual & 0xf;
    unsigned int type = (x->exit_qual >> 4) & 3;
    u64 *reg = gpr_slot(v, (x->exit_qual >> 8) & 0xf);
    bool wide = guest_64bit(x);
    struct hvm_cr_policy pol;
    struct hvm_cr_regs r;
    u64 val, old, efer;

    if ( ((x->exit_qual >> 8) & 0xf) == 4 )
        need(x, VC_RSP);
    if ( type == 1 && cr == 8 )
    {
        u32 tpr;

        (void)vlapic_reg_read(vl, APIC_REG_TPR, &tpr);
        *reg = (tpr >> 4) & 0xf;
        if ( reg == &x->rsp )
            set_dirty(x, VC_RSP);
        skip_insn(x);
        return true;
    }
    /* CLTS and LMSW touch no bit we own: they never exit. */
    if ( type != 0 )
        return false;
    val = wide ? *reg : (u32)*reg;

    switch ( cr )
    {
    case 0:
        need(x, VC_CR0);
        need(x, VC_CR4);
        need(x, VC_EFER);
        need(x, VC_CR3);
        old = x->cr0;
        need(x, VC_SEG + x86_seg_cs);
        need(x, VC_SEG + x86_seg_tr);
        r = (struct hvm_cr_regs){ old, x->cr3, x->cr4, x->efer,
                                  x->seg[x86_seg_cs].attr & (1u << 9),
                                  x->seg[x86_seg_tr].attr & 0xf };
        hvm_cr_policy(v, &pol);
        if ( hvm_cr0_write(&pol, &r, val, &efer) )
        {
            inject_gp(x);
            return true;
        }
        if ( efer != x->efer )
        {
            x->efer = efer;
            set_dirty(x, VC_EFER);
        }
        if ( (val & X86_CR0_PG) && (x->cr4 & X86_CR4_PAE) &&
             !(x->efer & EFER_LMA) && !load_pdptes(v) )
        {
            inject_gp(x);
            return true;
        }
        x->cr0 = val;
        set_dirty(x, VC_CR0);
        break;
    case 4:
        need(x, VC_CR0);
        need(x, VC_CR4);
        need(x, VC_EFER);
        need(x, VC_CR3);
        need(x, VC_SEG + x86_seg_cs);
        r = (struct hvm_cr_regs){ x->cr0, x->cr3, x->cr4, x->efer,
                                  x->seg[x86_seg_cs].attr & (1u << 9), 0 };
        hvm_cr_policy(v, &pol);
        if ( hvm_cr4_write(&pol, &r, val) || (val & cr4_host_bits()) )
        {
            inject_gp(x);
            return true;
        }
        if ( (x->cr0 & X86_CR0_PG) && (val & X86_CR4_PAE) &&
             !(x->efer & EFER_LMA) && !load_pdptes(v) )
        {
            inject_gp(x);
            return true;
        }
        x->cr4 = val;
        set_dirty(x, VC_CR4);
        break;
    case 8:
        if ( val > 0xf )
        {
            inject_gp(x);
            return true;
        }
        (void)vlapic_reg_write(vl, APIC_REG_TPR, (u32)val << 4);
        break;
    default:
        return false;
    }
    skip_insn(x);
    return true;
}

/* --- entry and exit --- */

/* The TLBs may hold translations of this vCPU from an earlier visit. */
static void flush_tlbs(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);
    u64 cap = vmx_caps.ept_vpid_cap;

    if ( !(cap & VMX_EPT_INVEPT_SINGLE) )
        (void)__invept(INVEPT_ALL_CONTEXT, 0);
    else
    {
        /* Both views: the vCPU may have used either here. */
        (void)__invept(INVEPT_SINGLE_CONTEXT, ept_eptp(v->domain));
        if ( ept_eptp_noapic(v->domain) != ept_eptp(v->domain) )
            (void)__invept(INVEPT_SINGLE_CONTEXT,
                           ept_eptp_noapic(v->domain));
    }
    if ( x->cpu2_ctls & CPU2_VPID )
        (void)__invvpid((cap & VMX_VPID_INVVPID_SINGLE)
                        ? INVVPID_SINGLE_CONTEXT : INVVPID_ALL_CONTEXT,
                        x->vpid);
}

/*
 * The SYSCALL MSRs and KERNEL_GS_BASE are not in the VMCS.  The
 * hypervisor never uses them, so they stay loaded with the values of the
 * vCPU that last ran on this pCPU; loaded again only when another vCPU
 * ran meanwhile or the guest changed them through an exit.
 */
static void load_syscall_msrs(struct vmx_vcpu *x)
{
    if ( !x->syscall_dirty && this_cpu(syscall_owner) == x->id )
        return;
    wrmsr(MSR_STAR, x->star);
    wrmsr(MSR_LSTAR, x->lstar);
    wrmsr(MSR_CSTAR, x->cstar);
    wrmsr(MSR_SFMASK, x->sfmask);
    wrmsr(MSR_SHADOW_GS_BASE, x->kernel_gs_base);
    this_cpu(syscall_owner) = x->id;
    x->syscall_dirty = false;
}

static void write_controls(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);

    if ( x->cpu_ctls != x->cpu_ctls_hw )
    {
        vmw(CPU_BASED_VM_EXEC_CONTROL, x->cpu_ctls);
        x->cpu_ctls_hw = x->cpu_ctls;
    }
    if ( x->cpu2_ctls != x->cpu2_ctls_hw )
    {
        vmw(SECONDARY_VM_EXEC_CONTROL, x->cpu2_ctls);
        x->cpu2_ctls_hw = x->cpu2_ctls;
    }
    if ( v->hvm->tsc_offset != x->tsc_offset_hw )
    {
        vmw(TSC_OFFSET, v->hvm->tsc_offset);
        x->tsc_offset_hw = v->hvm->tsc_offset;
    }
    if ( x->entry_dirty )
    {
        vmw(VM_ENTRY_INTR_INFO, x->entry_intr_info);
        if ( x->entry_intr_info & INTR_INFO_ERR_VALID )
            vmw(VM_ENTRY_EXCEPTION_ERROR_CODE, x->entry_err);
        vmw(VM_ENTRY_INSTRUCTION_LEN, x->entry_len);
        x->entry_dirty = false;
    }
    if ( (x->entry_intr_info & INTR_INFO_VALID) &&
         ((x->entry_intr_info & INTR_INFO_TYPE_MASK) >>
          INTR_INFO_TYPE_SHIFT) == INTR_TYPE_NMI )
        x->nmi_in_progress = true;
}

/*
 * Bochs 3.0 (2.7 not checked): when fetching the first instruction of an
 * exception or interrupt handler takes an EPT violation, the exit saves
 * the event's delivery as done (the frame pushed, RSP below it) but RIP
 * rolled back to the instruction that raised the event, with no
 * IDT-vectoring information.  On hardware the delivery has completed
 * there and the fault-like exit saves the state before the instruction
 * that faulted, the handler's first (SDM Vol. 3C 28.1, 28.2.4: only
 * delivery itself is "during event delivery").  Resumed as Bochs saved
 * it, the guest runs the raising instruction again on a stack one frame
 * lower, and later returns through whatever lies there.  Recognised by
 * the fault's linear address outside the instruction at RIP, which is
 * then set to the handler's.  Called under Bochs only, for an EPT
 * violation on an instruction fetch with a valid linear address.
 */
static bool bochs_handler_fetch(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);
    const struct segment_register *cs;
    u64 gla = vmr(GUEST_LINEAR_ADDRESS), past;
    bool lm;

    if ( x->idt_info & INTR_INFO_VALID )
        return false;
    need(x, VC_EFER);
    need(x, VC_SEG + x86_seg_cs);
    cs = &x->seg[x86_seg_cs];
    lm = (x->efer & EFER_LMA) && (cs->attr & (1u << 9));
    /* How far past RIP the fault is, in the mode's address width. */
    past = lm ? gla - x->rip : (u32)(gla - cs->base - x->rip);
    /* An instruction is at most 15 bytes: it may cross into the page. */
    if ( past < 15 )
        return false;
    printk(XENLOG_WARNING "d%uv%u: EPT violation fetching the handler at "
           "%#lx saved with RIP %#lx (emulator bug), RIP set to the "
           "handler's\n", v->domain->domain_id, v->vcpu_id,
           (unsigned long)gla, (unsigned long)x->rip);
    x->rip = lm ? gla : (u32)(x->rip + past);
    set_dirty(x, VC_RIP);
    x->nr_handler_rip_fixed++;
    return true;
}

/*
 * Virtual-NMI blocking on a vCPU with no NMI of ours in its handler.
 * Hardware blocks only from an injected NMI to the guest's IRET, per
 * VMCS.  Bochs 2.7 and 3.0 keep the blocking as one flag per CPU that a
 * VM entry sets from the VMCS but never clears, so blocking from one
 * vCPU's NMI handler follows the pCPU into the next vCPU's VMCS, and
 * that vCPU, which never took an NMI, refuses every later one (its NMI
 * window never opens).  Seen at an exit, the stray bit is dropped: the
 * next NMI is injected directly, and the guest's IRET at its end clears
 * the emulator's flag.  Called under Bochs only.
 */
static void vnmi_leak(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);

    if ( !(x->intr_state & INTR_BLOCK_NMI) )
    {
        x->nmi_in_progress = false;
        return;
    }
    if ( x->nmi_in_progress )
        return;
    if ( !x->nr_vnmi_leaks++ )
        printk(XENLOG_WARNING "d%uv%u: virtual-NMI blocking without an NMI"
               " (emulator bug); dropped\n", v->domain->domain_id,
               v->vcpu_id);
    x->intr_state &= ~INTR_BLOCK_NMI;
    set_dirty(x, VC_INTR);
}

/* Run the host's handler for 'vector', which the exit took from it. */
static void host_vector(unsigned int vector)
{
    vmx_do_host_vector((unsigned long)entry_stubs + 16 * vector);
}

/*
 * Every task switch exits (SDM Vol. 3C 26.4.2) with the new TSS selector
 * in bits 15:0 of the qualification and its source in bits 31:30: 0
 * CALL, 1 IRET, 2 JMP, 3 a task gate in the IDT (SDM Vol. 3C Table
 * 28-2), the enum tsw_source order.  Through a gate, the IDT-vectoring
 * information is the event being delivered, which the switch delivers
 * (vmx_event_delivered() does not queue it again).  The instruction
 * length is that of CALL, IRET and JMP, and of INT n, INT3, INTO and
 * INT1 through a gate (SDM Vol. 3C 28.2.5): the old task resumes after
 * them; an exception, NMI or interrupt saves the current EIP.
 */
static void task_switch_exit(struct vmx_vcpu *x, struct hvm_exit *e)
{
    struct tsw_request *ts = &e->ts;
    unsigned int type;

    e->reason = HVM_EXIT_TASK_SWITCH;
    ts->sel = x->exit_qual & 0xffff;
    ts->source = (enum tsw_source)((x->exit_qual >> 30) & 3);
    need(x, VC_RIP);
    ts->old_eip = (u32)x->rip;
    if ( ts->source != TSW_GATE )
    {
        ts->old_eip = (u32)next_rip(x);
        return;
    }
    if ( !(x->idt_info & INTR_INFO_VALID) )
    {
        /* A gate with no event: no CPU reports that. */
        e->reason = HVM_EXIT_UNHANDLED;
        return;
    }
    type = (x->idt_info & INTR_INFO_TYPE_MASK) >> INTR_INFO_TYPE_SHIFT;
    ts->ev_vector = x->idt_info & INTR_INFO_VECTOR_MASK;
    ts->ev_type = type <= INTR_TYPE_HW_EXCEPTION ? type : HVM_EVENT_SOFTWARE;
    ts->has_error = x->idt_info & INTR_INFO_ERR_VALID;
    ts->error = x->idt_err;
    if ( type >= INTR_TYPE_SW_INTR )
        ts->old_eip = (u32)next_rip(x);
}

static void decode_exit(struct vcpu *v, struct hvm_exit *e)
{
    struct vmx_vcpu *x = vmx(v);
    unsigned int basic = x->exit_reason & 0xffff;
    u64 q = x->exit_qual;

    e->hw_code = x->exit_reason;
    x->exit_exc = -1;
    if ( x->exit_reason & EXIT_REASON_FAILED_ENTRY )
    {
        e->reason = HVM_EXIT_FAILED_ENTRY;
        return;
    }

    switch ( basic )
    {
    case EXIT_REASON_EXTERNAL_INTERRUPT:
        e->reason = HVM_EXIT_EXTINT;
        break;
    case EXIT_REASON_PREEMPTION_TIMER:
        /* A host timer is due: it fires once the loop enables interrupts. */
        e->reason = HVM_EXIT_EXTINT;
        break;
    case EXIT_REASON_EXCEPTION_NMI:
        /* Only NMIs exit here: the exception bitmap is empty. */
        e->reason = ((x->exit_intr_info & INTR_INFO_TYPE_MASK) >>
                     INTR_INFO_TYPE_SHIFT) == INTR_TYPE_NMI
                    ? HVM_EXIT_NMI : HVM_EXIT_UNHANDLED;
        break;
    case EXIT_REASON_INTR_WINDOW:
        e->reason = HVM_EXIT_INTR_WINDOW;
        break;
    case EXIT_REASON_NMI_WINDOW:
        /* The pending NMI goes in at this entry (inject_pending). */
        x->cpu_ctls &= ~CPU_NMI_WINDOW_EXITING;
        e->reason = HVM_EXIT_NONE;
        break;
    case EXIT_REASON_CPUID:
        e->reason = HVM_EXIT_CPUID;
        e->next_rip = next_rip(x);
        break;
    case EXIT_REASON_HLT:
        e->reason = HVM_EXIT_HLT;
        e->next_rip = next_rip(x);
        break;
    case EXIT_REASON_IO_INSTRUCTION:
        e->reason = HVM_EXIT_IO;
        e->io_size = (q & 7) + 1;
        e->io_in = q & 8;
        e->io_string = q & 16;
        e->port = q >> 16;
        e->next_rip = next_rip(x);
        break;
    case EXIT_REASON_MSR_READ:
    case EXIT_REASON_MSR_WRITE:
        e->reason = basic == EXIT_REASON_MSR_READ ? HVM_EXIT_MSR_READ
                                                  : HVM_EXIT_MSR_WRITE;
        e->next_rip = next_rip(x);
        break;
    case EXIT_REASON_VMCALL:
        e->reason = HVM_EXIT_HYPERCALL;
        e->next_rip = next_rip(x);
        break;
    case EXIT_REASON_TASK_SWITCH:
        task_switch_exit(x, e);
        break;
    case EXIT_REASON_EPT_VIOLATION:
        if ( boot_cpu.bochs &&
             !((q & 0x84) == 0x84 && bochs_handler_fetch(v)) )
            bochs_stale_delivery(v);
        e->reason = HVM_EXIT_NPF;
        e->gpa = x->exit_gpa;
        e->npf_write = q & 2;
        e->npf_present = q & 0x38;
        /*
         * An IRET that faulted after unblocking virtual NMIs runs again:
         * the blocking it ended comes back until then (SDM Vol. 3C
         * 27.2.3, 28.2.2 "NMI unblocking due to IRET").
         */
        if ( vmx_caps.virtual_nmis && (q & (1u << 12)) )
        {
            need(x, VC_INTR);
            x->intr_state |= INTR_BLOCK_NMI;
            set_dirty(x, VC_INTR);
            x->nmi_in_progress = true;
        }
        break;
    case EXIT_REASON_APIC_ACCESS:
    {
        unsigned int type = (q >> 12) & 0xf;

        /*
         * An xAPIC access the CPU does not virtualize (fault-like: the
         * instruction has not run): the same MMIO emulation as without
         * APICv, at the APIC page offset the exit names.
         */
        if ( type > 1 )
        {
            e->reason = HVM_EXIT_UNHANDLED;
            break;
        }
        e->reason = HVM_EXIT_NPF;
        e->gpa = (v->hvm->vlapic.apic_base & PAGE_MASK) | (q & 0xfff);
        e->npf_write = type == 1;
        e->npf_present = true;
        break;
    }
    case EXIT_REASON_TRIPLE_FAULT:
        e->reason = HVM_EXIT_SHUTDOWN;
        break;
    case EXIT_REASON_INIT:
        e->reason = HVM_EXIT_INIT;
        break;
    case EXIT_REASON_CR_ACCESS:
        if ( !cr_access(v) )
            e->reason = HVM_EXIT_UNHANDLED;
        break;
    case EXIT_REASON_APIC_WRITE:
        apic_write_exit(v, q & 0xfff);
        break;
    case EXIT_REASON_EOI_INDUCED:
        eoi_exit(v, q & 0xff);
        break;
    case EXIT_REASON_INVD:
    case EXIT_REASON_WBINVD:
        /* Caches are the host's business. */
        skip_insn(x);
        break;
    case EXIT_REASON_GETSEC:
    case EXIT_REASON_VMCLEAR: case EXIT_REASON_VMLAUNCH:
    case EXIT_REASON_VMPTRLD: case EXIT_REASON_VMPTRST:
    case EXIT_REASON_VMREAD: case EXIT_REASON_VMRESUME:
    case EXIT_REASON_VMWRITE: case EXIT_REASON_VMXOFF:
    case EXIT_REASON_VMXON: case EXIT_REASON_INVEPT:
    case EXIT_REASON_INVVPID: case EXIT_REASON_MWAIT:
    case EXIT_REASON_MONITOR:
        /* Not offered by CPUID: as on a CPU without them. */
        raise_on_exit(x, X86_EXC_UD);
        break;
    case EXIT_REASON_XSETBV:
        e->reason = HVM_EXIT_XSETBV;
        e->next_rip = next_rip(x);
        break;
    default:
        e->reason = HVM_EXIT_UNHANDLED;
        break;
    }

    if ( x->exit_exc >= 0 )
    {
        e->raise_exc = true;
        e->exc_vector = x->exit_exc;
        e->exc_error = 0;
    }
}

/*
 * Posted interrupts: a notification still pending in this pCPU's APIC
 * at the entry is processed by the CPU right after it, although the
 * entry path has already moved PIR into IRR in software.  On hardware
 * that finds PIR empty and does nothing; Bochs 3.0 then takes the
 * highest vector of an empty virtual IRR, which its
 * highest_priority_int() returns as -1, and delivers vector 0xff.  So
 * a pending notification is taken here, as late as possible, and what
 * came with it moved too.  A post whose notification lands after this
 * leaves its bit in PIR, where the CPU finds it.  False: a softirq came
 * up meanwhile; no entry now.
 */
static bool drain_notifications(struct vcpu *v)
{
    unsigned int irr = APIC_REG_IRR + (POSTED_INTR_VECTOR / 32) * 0x10;
    bool taken = false;

    while ( apic_read(irr) & (1u << (POSTED_INTR_VECTOR % 32)) )
    {
        local_irq_enable();
        __asm__ __volatile__ ( "nop" ::: "memory" );
        local_irq_disable();
        pi_sync_pir_to_irr(v);
        taken = true;
    }
    return !taken || !softirq_pending(smp_processor_id());
}

/*
 * The preemption timer's start value: until this pCPU's next timer
 * deadline (see vmx_caps.preempt_timer).  With none set, the longest.
 * Already due: 0, an exit before the first guest instruction, after which
 * the host takes the timer interrupt.
 */
static u32 preempt_timer_value(void)
{
    u64 deadline = timer_deadline_tsc(), now = rdtsc(), ticks;

    if ( !deadline )
        return ~0u;
    if ( deadline <= now )
        return 0;
    ticks = (deadline - now) >> vmx_caps.preempt_shift;
    return ticks > ~0u ? ~0u : (u32)ticks;
}

static void vmx_run(struct vcpu *v, struct hvm_exit *e)
{
    struct vmx_vcpu *x = vmx(v);
    unsigned int cpu = smp_processor_id();
    unsigned int basic;
    int active, rc;

    ASSERT(!local_irq_is_enabled());
    /*
     * Not memset(): with -fno-builtin that is a call to the byte loop of
     * common/string.c, four instructions a byte on every entry.
     */
    *e = (struct hvm_exit){ .reason = HVM_EXIT_NONE };
    x->entered = false;

    active = READ_ONCE(x->active_cpu);
    if ( active >= 0 && active != (int)cpu )
    {
        /*
         * Still active where the vCPU ran before.  Waiting for that pCPU
         * with interrupts off could deadlock against it doing the same,
         * so wait with them on, then let the common loop look at
         * softirqs again before it comes back here.
         */
        local_irq_enable();
        vmclear_on(x, active);
        local_irq_disable();
        return;
    }
    if ( !vmcs_current_here(x) )
    {
        rc = __vmptrld((u64)x->vmcs);
        if ( rc )
        {
            vmx_report_vmfail(v, rc, false);
            e->reason = HVM_EXIT_FAILED_ENTRY;
            return;
        }
        this_cpu(current_vmx) = x;
        WRITE_ONCE(x->active_cpu, cpu);
    }
    if ( !x->initialised )
        vmx_vmcs_setup(v);
    if ( x->host_cpu != (int)cpu )
    {
        vmx_vmcs_host_state(cpu);
        x->host_cpu = cpu;
    }
    if ( x->last_cpu != (int)cpu )
    {
        flush_tlbs(v);
        x->last_cpu = cpu;
    }

    if ( x->apicv && apicv_sync_needed(v) )
        apicv_sync(v);
    flush_dirty(x);
    if ( unlikely(x->clear_pending_dbg) )
    {
        vmw(GUEST_PENDING_DBG_EXCEPTIONS, 0);
        x->clear_pending_dbg = false;
    }
    load_syscall_msrs(x);
    if ( read_cr2() != x->cr2 )
        write_cr2(x->cr2);
    if ( boot_cpu.bochs && (x->pin_ctls & PIN_POSTED_INTR) &&
         !drain_notifications(v) )
        return;
    if ( x->apicv )
        apicv_set_status(v);
    write_controls(v);
    if ( x->pin_ctls & PIN_PREEMPT_TIMER )
        vmw(VMX_PREEMPTION_TIMER_VALUE, preempt_timer_value());

    /*
     * exit_icount=1: the TSC as late before entry and as early after the
     * exit as C allows; the barriers keep the compiler from moving other
     * work across the reads (exit_icount.c).
     */
    if ( unlikely(opt_exit_icount) )
    {
        u64 now = exit_icount_tsc();

        barrier();
        exit_icount_entry(v, now, (x->exit_reason & 0xffff) ==
                                  EXIT_REASON_MSR_WRITE, x->rax);
        barrier();
    }
    rc = vmx_enter(&v->hvm->gprs, &x->rax, x->launched);
    if ( unlikely(opt_exit_icount) )
    {
        v->hvm->icount.exit_tsc = exit_icount_tsc();
        barrier();
    }
    if ( rc )
    {
        x->nr_failed_entries++;
        vmx_report_vmfail(v, rc, !x->launched);
        e->reason = HVM_EXIT_FAILED_ENTRY;
        return;
    }
    x->entered = true;
    x->launched = true;
    x->cr2 = read_cr2();
    if ( x->long_mode_seen )
        x->kernel_gs_base = rdmsr(MSR_SHADOW_GS_BASE);

    x->exit_reason = vmr(VM_EXIT_REASON);
    x->exit_qual = vmr(EXIT_QUALIFICATION);
    x->idt_info = vmr(IDT_VECTORING_INFO);
    if ( x->idt_info & INTR_INFO_VALID )
        x->idt_err = vmr(IDT_VECTORING_ERROR_CODE);
    x->insn_len = vmr(VM_EXIT_INSTRUCTION_LEN);
    basic = x->exit_reason & 0xffff;
    x->exit_counts[basic < VMX_NR_EXIT_REASONS ? basic
                                               : VMX_NR_EXIT_REASONS]++;
    if ( basic == EXIT_REASON_EXCEPTION_NMI ||
         basic == EXIT_REASON_EXTERNAL_INTERRUPT )
        x->exit_intr_info = vmr(VM_EXIT_INTR_INFO);
    if ( basic == EXIT_REASON_EPT_VIOLATION )
        x->exit_gpa = vmr(GUEST_PHYSICAL_ADDRESS);

    /* What the guest may have changed without an exit. */
    x->valid = (1u << VC_PAT) | (1u << VC_SYSENTER);
    x->dirty = 0;
    read_item(x, VC_RIP);
    read_item(x, VC_RFLAGS);
    read_item(x, VC_INTR);
    if ( boot_cpu.bochs && vmx_caps.virtual_nmis )
        vnmi_leak(v);

    if ( x->exit_reason & EXIT_REASON_FAILED_ENTRY )
    {
        x->nr_failed_entries++;
        vmx_report_failed_entry(v, x->exit_reason, x->exit_qual);
        /*
         * The guest-state area still holds what the entry refused (SDM
         * 26.7): the cache takes all of it, so that the crash dump shows
         * that state and not the one of the last exit.
         */
        read_all(x);
    }
    else if ( basic == EXIT_REASON_EXCEPTION_NMI &&
              ((x->exit_intr_info & INTR_INFO_TYPE_MASK) >>
               INTR_INFO_TYPE_SHIFT) == INTR_TYPE_NMI )
        host_vector(2);                 /* the host's NMI */
    else if ( basic == EXIT_REASON_EXTERNAL_INTERRUPT &&
              (x->exit_intr_info & INTR_INFO_VALID) )
    {
        unsigned int vec = x->exit_intr_info & INTR_INFO_VECTOR_MASK;

        /* With posting, the CPU takes these in the guest, no exit. */
        if ( vec == POSTED_INTR_VECTOR )
            x->nr_notification_exits++;
        host_vector(vec);
    }

    if ( boot_cpu.bochs &&
         (basic == EXIT_REASON_EXTERNAL_INTERRUPT ||
          basic == EXIT_REASON_EXCEPTION_NMI ||
          basic == EXIT_REASON_PREEMPTION_TIMER ||
          basic == EXIT_REASON_INTR_WINDOW ||
          basic == EXIT_REASON_NMI_WINDOW) )
        bochs_stale_delivery(v);
    if ( boot_cpu.bochs && x->apicv &&
         basic == EXIT_REASON_EXTERNAL_INTERRUPT )
        undo_early_virq(v);
    decode_exit(v, e);
}

/* --- debug --- */

static void vmx_dump_vcpu(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx(v);
    char line[200];
    int n = 0;

    printk("    VMX: rip %016lx rsp %016lx rflags %08lx cr0 %08lx cr3 %08lx "
           "cr4 %08lx efer %lx%s\n", (unsigned long)x->rip,
           (unsigned long)x->rsp, (unsigned long)x->rflags,
           (unsigned long)x->cr0, (unsigned long)x->cr3,
           (unsigned long)x->cr4, (unsigned long)x->efer,
           x->valid == (1u << VC_NR) - 1 ? ""
                                         : " (some from an earlier exit)");
    printk("         exit %#x (%s) qual %#lx gpa %#lx idt-info %#x "
           "entry-info %#x intr %#x vpid %u cpu %d%s\n", x->exit_reason,
           vmx_exit_reason_name(x->exit_reason & 0xffff),
           (unsigned long)x->exit_qual, (unsigned long)x->exit_gpa,
           x->idt_info, x->entry_intr_info, x->intr_state, x->vpid,
           x->active_cpu, x->apicv ? (x->pin_ctls & PIN_POSTED_INTR
                                      ? " apicv+posted" : " apicv") : "");
    for ( unsigned int r = 0; r <= VMX_NR_EXIT_REASONS; r++ )
        if ( x->exit_counts[r] && n < (int)sizeof(line) )
            n += snprintf(line + n, sizeof(line) - n, " %s=%lu",
                          r < VMX_NR_EXIT_REASONS ? vmx_exit_reason_name(r)
                                                  : "other",
                          (unsigned long)x->exit_counts[r]);
    line[n < (int)sizeof(line) ? n : (int)sizeof(line) - 1] = '\0';
    printk("    vmx exits:%s\n", n ? line : " none");
    if ( x->apicv )
        printk("    apicv: intr-status %#x apic-write exits %lu eoi exits "
               "%lu, early deliveries undone %lu%s\n", x->intr_status_hw,
               (unsigned long)x->nr_apic_write_exits,
               (unsigned long)x->nr_eoi_exits,
               (unsigned long)x->nr_virq_undone,
               x->pin_ctls & PIN_POSTED_INTR ? ", posted" : "");
    if ( x->pin_ctls & PIN_POSTED_INTR )
        printk("    posted: notification exits %lu\n",
               (unsigned long)x->nr_notification_exits);
    if ( x->nr_handler_rip_fixed )
        printk("    handler fetches with RIP set right: %lu\n",
               (unsigned long)x->nr_handler_rip_fixed);
    if ( x->nr_stale_deliveries )
        printk("    exception deliveries saved with a stale RIP, undone: "
               "%lu\n", (unsigned long)x->nr_stale_deliveries);
}

/*
 * Not const: the APICv op is filled in by vmx_probe() only when the CPU
 * has APICv and it is on (as Xen's start_vmx() does), so that its
 * presence tells the common code whether interrupts are delivered in
 * hardware.
 */
struct hvm_funcs vmx_funcs = {
    .name = "VMX",
    .cpu_up = vmx_cpu_up,
    .vcpu_init = vmx_vcpu_init,
    .vcpu_destroy = vmx_vcpu_destroy,
    .domain_init = vmx_domain_init,
    .domain_destroy = ept_domain_destroy,
    .run = vmx_run,
    .get_reg = vmx_get_reg,
    .set_reg = vmx_set_reg,
    .get_seg = vmx_get_seg,
    .set_seg = vmx_set_seg,
    .init_reset = vmx_init_reset,
    .inject_event = vmx_inject_event,
    .interrupts_enabled = vmx_interrupts_enabled,
    .nmi_allowed = vmx_nmi_allowed,
    .set_nmi_blocking = vmx_set_nmi_blocking,
    .flush_guest_tlb = vmx_flush_guest_tlb,
    .enable_nmi_window = vmx_enable_nmi_window,
    .enable_intr_window = vmx_enable_intr_window,
    .disable_intr_window = vmx_disable_intr_window,
    .event_delivered = vmx_event_delivered,
    .take_reinjection = vmx_take_reinjection,
    .map_gfn = ept_map_gfn,
    .dump_vcpu = vmx_dump_vcpu,
};

void vmx_funcs_setup(void)
{
    if ( vmx_caps.apicv )
    {
        vmx_funcs.deliver_pending = vmx_deliver_pending;
        vmx_funcs.vioapic_levels_changed = vmx_vioapic_levels_changed;
    }
}

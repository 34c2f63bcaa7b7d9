/*
 * VMX set-up: what the CPU supports (every control computed from the
 * capability MSRs, never hard-coded), VMXON on each pCPU, the VMCS of a
 * vCPU (its constant fields and the host state of the pCPU it is loaded
 * on), and the report of a failed VM entry: the VM-instruction error in
 * the SDM's words, then the check the VMCS fails, found by repeating the
 * SDM's entry checks (vol. 3, 26.2-26.3) in software, then the guest
 * state.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/mm.h>
#include <xen/param.h>
#include <xen/sched.h>
#include <xen/smp.h>
#include <xen/xmalloc.h>
#include <asm/desc.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <asm/system.h>
#include <asm/irq_vectors.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/vmx/vmx.h>

#define CPUID1_ECX_VMX      (1u << 5)
#define X86_CR0_NE          (1UL << 5)
#define X86_CR0_CD          (1UL << 30)
#define X86_CR0_NW          (1UL << 29)
#define X86_CR4_PCIDE       (1UL << 17)
#define X86_CR4_VMXE        (1UL << 13)
#define EFER_LMA            (1UL << 10)
#define X86_EFLAGS_VM       (1UL << 17)

/* Boot options: apicv=0 and posted_intr=0 fall back to software. */
static bool opt_apicv = true;
boolean_param("apicv", opt_apicv);
static bool opt_posted_intr = true;
boolean_param("posted_intr", opt_posted_intr);
static bool opt_vmx_preempt_timer = true;
boolean_param("vmx_preempt_timer", opt_vmx_preempt_timer);

struct vmx_caps vmx_caps;

/* Every MSR and every port exits: bitmaps all ones, shared. */
u8 *vmx_msr_bitmap_all, *vmx_io_bitmaps;
/* APICv in x2APIC mode: the same, except the registers virtualized. */
u8 *vmx_msr_bitmap_x2apic;

static DEFINE_PER_CPU(void *, vmxon_region);

struct desc_ptr
{
    u16 limit;
    u64 base;
} __packed;

/* --- VMREAD / VMWRITE that say what went wrong --- */

u64 vmr(unsigned long field)
{
    unsigned long val = 0;

    if ( __vmread_safe(field, &val) )
        printk(XENLOG_ERR "VMX: VMREAD of field %#lx failed\n", field);
    return val;
}

void vmw(unsigned long field, u64 val)
{
    int rc = __vmwrite_safe(field, val);
    unsigned long err = 0;

    if ( !rc )
        return;
    if ( rc == VMX_FAIL_VALID )
        (void)__vmread_safe(VM_INSTRUCTION_ERROR, &err);
    printk(XENLOG_ERR "VMX: VMWRITE of %#lx to field %#lx failed: %s\n",
           (unsigned long)val, field,
           rc == VMX_FAIL_VALID ? vmx_insn_error_name(err)
                                : "no current VMCS");
}

/* --- capabilities --- */

/*
 * A control word from its capability MSR: bits 31:0 are the allowed-0
 * settings (a 1 there must be 1), bits 63:32 the allowed-1 settings (a 0
 * there must be 0).  'want' bits are taken where allowed; the caller
 * checks that the ones it cannot do without were.
 */
static u32 ctl_adjust(u32 msr, u32 want, u32 *must1, u32 *may1)
{
    u64 val = rdmsr(msr);

    *must1 = (u32)val;
    *may1 = (u32)(val >> 32);
    return (want & *may1) | *must1;
}

static bool ctl_check(const char *what, u32 ctl, u32 required, u32 forbidden)
{
    if ( (ctl & required) != required )
    {
        printk(XENLOG_WARNING "VMX: %s controls lack required bits %#x\n",
               what, required & ~ctl);
        return false;
    }
    if ( ctl & forbidden )
    {
        printk(XENLOG_WARNING "VMX: %s controls force unsupported bits "
               "%#x\n", what, ctl & forbidden);
        return false;
    }
    return true;
}

static void *alloc_zeroed_pages(unsigned int order, u8 fill)
{
    void *p = alloc_xenheap_pages(order, MEMF_bits(32));

    if ( p )
        memset(p, fill, PAGE_SIZE << order);
    return p;
}

/* x2APIC MSR 0x800 + (reg >> 4): clear its read and/or write exit bit. */
static void x2apic_passthrough(u8 *bitmap, unsigned int reg, bool rd,
                               bool wr)
{
    unsigned int msr = 0x800 + (reg >> 4);

    if ( rd )
        bitmap[msr / 8] &= ~(1u << (msr % 8));
    if ( wr )
        bitmap[2048 + msr / 8] &= ~(1u << (msr % 8));
}

static bool setup_bitmaps(void)
{
    vmx_msr_bitmap_all = alloc_zeroed_pages(0, 0xff);
    vmx_io_bitmaps = alloc_zeroed_pages(1, 0xff);
    if ( !vmx_msr_bitmap_all || !vmx_io_bitmaps )
        return false;
    if ( !vmx_caps.apicv )
        return true;

    /*
     * Virtualized x2APIC accesses: the reads the virtual-APIC page
     * answers correctly (the registers the vlapic keeps in it: TPR, PPR,
     * ISR, TMR, IRR) and the three writes the CPU virtualizes itself
     * (TPR, EOI, SELF IPI).  Everything else still exits: the vlapic
     * computes ID, LDR, version and the current count instead of
     * storing them, and other writes have side effects.  These bits
     * matter only with "virtualize x2APIC mode" on, which is set exactly
     * when the guest's APIC is in x2APIC mode; otherwise the all-ones
     * bitmap is used, as a cleared bit would then reach the real APIC.
     */
    vmx_msr_bitmap_x2apic = alloc_zeroed_pages(0, 0xff);
    if ( !vmx_msr_bitmap_x2apic )
        return false;
    x2apic_passthrough(vmx_msr_bitmap_x2apic, APIC_REG_TPR, true, true);
    x2apic_passthrough(vmx_msr_bitmap_x2apic, APIC_REG_PPR, true, false);
    x2apic_passthrough(vmx_msr_bitmap_x2apic, APIC_REG_EOI, false, true);
    x2apic_passthrough(vmx_msr_bitmap_x2apic, APIC_REG_SELF_IPI, false,
                       true);
    for ( unsigned int i = 0; i < 8; i++ )
    {
        x2apic_passthrough(vmx_msr_bitmap_x2apic, APIC_REG_ISR + i * 0x10,
                           true, false);
        x2apic_passthrough(vmx_msr_bitmap_x2apic, APIC_REG_TMR + i * 0x10,
                           true, false);
        x2apic_passthrough(vmx_msr_bitmap_x2apic, APIC_REG_IRR + i * 0x10,
                           true, false);
    }
    return true;
}

bool vmx_probe(void)
{
    struct vmx_caps *c = &vmx_caps;
    struct cpuid_regs r;
    u64 basic, cap;
    u32 pin_msr, cpu_msr, exit_msr, entry_msr, cpu2_may1 = 0, dummy;
    u32 apicv2 = CPU2_VIRT_APIC_ACCESSES | CPU2_VIRT_X2APIC |
                 CPU2_APIC_REG_VIRT | CPU2_VIRT_INTR_DELIVERY;

    cpuid_count(1, 0, &r);
    if ( !(r.ecx & CPUID1_ECX_VMX) )
        return false;

    basic = rdmsr(MSR_IA32_VMX_BASIC);
    c->revision = basic & VMX_BASIC_REVISION_MASK;
    c->true_ctls = basic & VMX_BASIC_TRUE_CTLS;
    if ( ((basic >> 32) & 0x1fff) > PAGE_SIZE )
    {
        printk(XENLOG_WARNING "VMX: VMCS larger than a page\n");
        return false;
    }
    pin_msr = c->true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS
                           : MSR_IA32_VMX_PINBASED_CTLS;
    cpu_msr = c->true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
                           : MSR_IA32_VMX_PROCBASED_CTLS;
    exit_msr = c->true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS
                            : MSR_IA32_VMX_EXIT_CTLS;
    entry_msr = c->true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS
                             : MSR_IA32_VMX_ENTRY_CTLS;

    /* Physical interrupts and NMIs always leave the guest. */
    c->pin_ctls = ctl_adjust(pin_msr, PIN_EXT_INTR_EXITING |
                             PIN_NMI_EXITING, &c->pin_must1, &c->pin_may1);
    /*
     * HLT blocks in the hypervisor, every port and MSR exits through the
     * all-ones bitmaps, MONITOR/MWAIT are refused (#UD: CPUID does not
     * offer them), CR8 goes to the vlapic's TPR unless APICv shadows it.
     * CR3 accesses, INVLPG, RDTSC and RDPMC must not exit: EPT with
     * unrestricted guest leaves paging to the guest.
     */
    c->cpu_ctls = ctl_adjust(cpu_msr, CPU_HLT_EXITING | CPU_TSC_OFFSETTING |
                             CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING |
                             CPU_IO_BITMAPS | CPU_MSR_BITMAPS |
                             CPU_MWAIT_EXITING | CPU_MONITOR_EXITING |
                             CPU_SECONDARY_CTLS, &c->cpu_must1,
                             &c->cpu_may1);
    if ( c->cpu_may1 & CPU_SECONDARY_CTLS )
        c->cpu2_ctls = ctl_adjust(MSR_IA32_VMX_PROCBASED_CTLS2,
                                  CPU2_EPT | CPU2_UNRESTRICTED_GUEST |
                                  CPU2_VPID | CPU2_RDTSCP, &dummy,
                                  &cpu2_may1);
    c->cpu2_may1 = cpu2_may1;
    /*
     * 64-bit host; EFER and PAT swapped by the CPU, and DR7 with
     * IA32_DEBUGCTL: saved at each exit and loaded at each entry, so the
     * guest's DR7 stays its own (the exit loads 400H for the host, SDM
     * Vol. 3C, 28.5.1).
     */
    c->exit_ctls = ctl_adjust(exit_msr, EXIT_HOST_ADDR_SPACE_SIZE |
                              EXIT_SAVE_DEBUG_CTLS |
                              EXIT_SAVE_EFER | EXIT_LOAD_EFER |
                              EXIT_SAVE_PAT | EXIT_LOAD_PAT,
                              &c->exit_must1, &c->exit_may1);
    c->entry_ctls = ctl_adjust(entry_msr, ENTRY_LOAD_DEBUG_CTLS |
                               ENTRY_LOAD_EFER | ENTRY_LOAD_PAT,
                               &c->entry_must1, &c->entry_may1);
    /* IA-32e mode guest follows the guest's EFER.LMA, entry by entry. */
    c->entry_ctls &= ~ENTRY_IA32E_MODE;

    if ( !ctl_check("pin-based", c->pin_ctls, PIN_EXT_INTR_EXITING |
                    PIN_NMI_EXITING, PIN_PREEMPT_TIMER | PIN_POSTED_INTR) ||
         !ctl_check("processor-based", c->cpu_ctls,
                    CPU_HLT_EXITING | CPU_TSC_OFFSETTING | CPU_IO_BITMAPS |
                    CPU_MSR_BITMAPS | CPU_SECONDARY_CTLS,
                    CPU_CR3_LOAD_EXITING | CPU_CR3_STORE_EXITING |
                    CPU_INVLPG_EXITING | CPU_RDTSC_EXITING |
                    CPU_RDPMC_EXITING | CPU_MOV_DR_EXITING |
                    CPU_UNCOND_IO_EXITING | CPU_MONITOR_TRAP_FLAG |
                    CPU_PAUSE_EXITING | CPU_TPR_SHADOW) ||
         !ctl_check("secondary", c->cpu2_ctls,
                    CPU2_EPT | CPU2_UNRESTRICTED_GUEST, 0) ||
         !ctl_check("VM-exit", c->exit_ctls, EXIT_HOST_ADDR_SPACE_SIZE |
                    EXIT_SAVE_DEBUG_CTLS | EXIT_SAVE_EFER | EXIT_LOAD_EFER,
                    EXIT_ACK_INTR_ON_EXIT | EXIT_LOAD_PERF_GLOBAL_CTRL) ||
         !ctl_check("VM-entry", c->entry_ctls, ENTRY_LOAD_DEBUG_CTLS |
                    ENTRY_LOAD_EFER,
                    ENTRY_SMM | ENTRY_DEACT_DUAL_MONITOR |
                    ENTRY_LOAD_PERF_GLOBAL_CTRL) )
    {
        printk(XENLOG_WARNING "VMX: not usable (needs EPT and unrestricted "
               "guest)\n");
        return false;
    }
    /* PAT goes both ways or not at all. */
    c->load_pat = (c->exit_ctls & EXIT_SAVE_PAT) &&
                  (c->exit_ctls & EXIT_LOAD_PAT) &&
                  (c->entry_ctls & ENTRY_LOAD_PAT);
    if ( !c->load_pat )
    {
        c->exit_ctls &= ~(EXIT_SAVE_PAT | EXIT_LOAD_PAT) | c->exit_must1;
        c->entry_ctls &= ~ENTRY_LOAD_PAT | c->entry_must1;
    }

    c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);

    /* EPT: 4-level walks, WB paging structures if the CPU says so. */
    cap = c->ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    if ( !(cap & VMX_EPT_WALK_LENGTH_4) ||
         !(cap & (VMX_EPT_MEMTYPE_WB | VMX_EPT_MEMTYPE_UC)) ||
         !(cap & VMX_EPT_INVEPT) ||
         !(cap & (VMX_EPT_INVEPT_SINGLE | VMX_EPT_INVEPT_ALL)) )
    {
        printk(XENLOG_WARNING "VMX: EPT capabilities %#lx not usable\n",
               (unsigned long)cap);
        return false;
    }
    c->ept_memtype = (cap & VMX_EPT_MEMTYPE_WB) ? 6 : 0;
    c->vpid = (c->cpu2_ctls & CPU2_VPID) && (cap & VMX_VPID_INVVPID) &&
              (cap & (VMX_VPID_INVVPID_SINGLE | VMX_VPID_INVVPID_ALL));
    if ( !c->vpid )
        c->cpu2_ctls &= ~CPU2_VPID;

    /*
     * APICv: a TPR shadow, both APIC virtualizations (one at a time, by
     * the guest's APIC mode), APIC-register virtualization and
     * virtual-interrupt delivery.  All or nothing.
     */
    c->apicv = opt_apicv && (c->cpu_may1 & CPU_TPR_SHADOW) &&
               (cpu2_may1 & apicv2) == apicv2;
    /* Posting needs the exit to acknowledge the interrupt. */
    c->posted_intr = c->apicv && opt_posted_intr &&
                     (c->pin_may1 & PIN_POSTED_INTR) &&
                     (c->exit_may1 & EXIT_ACK_INTR_ON_EXIT);

    /*
     * The VMX-preemption timer bounds every guest run by this pCPU's next
     * timer deadline.  Hardware does not need it: an external interrupt
     * exits whatever the guest's RFLAGS.IF.  Bochs (2.7 and 3.0) does not
     * exit while the guest runs with IF clear, so a guest spinning with
     * interrupts off would hold the pCPU, scheduler ticks and all, until
     * it enables them; the preemption timer exits regardless of IF.
     */
    /*
     * Virtual NMIs: the guest's IRET ends the blocking an injected NMI
     * starts, which is how the CPU models NMI blocking (SDM Vol. 3C
     * 25.3, 26.6.1.2); without them a second NMI would nest in the
     * handler of the first.  NMI-window exiting then says when the next
     * one may go in.
     */
    c->virtual_nmis = (c->pin_may1 & PIN_VIRTUAL_NMIS) &&
                      (c->cpu_may1 & CPU_NMI_WINDOW_EXITING);
    if ( c->virtual_nmis )
        c->pin_ctls |= PIN_VIRTUAL_NMIS;

    c->preempt_timer = opt_vmx_preempt_timer &&
                       (c->pin_may1 & PIN_PREEMPT_TIMER);
    if ( c->preempt_timer )
    {
        c->pin_ctls |= PIN_PREEMPT_TIMER;
        c->preempt_shift = rdmsr(MSR_IA32_VMX_MISC) & 0x1f;
    }

    /*
     * Tertiary controls, for IPI virtualization (SDM Vol. 3C 25.6.2,
     * A.3.4): a unicast IPI from a running vCPU posted by the CPU to
     * another through the PID-pointer table, no exit on either side.
     * Only read and logged: nothing uses them yet.  The MSR exists only
     * when the primary controls may set bit 17 (a read faults
     * otherwise); all its 64 bits are allowed-1 settings.
     */
    if ( c->cpu_may1 & CPU_TERTIARY_CTLS )
        c->cpu3_may1 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS3);
    c->ipi_virt = c->cpu3_may1 & CPU3_IPI_VIRT;

    if ( !setup_bitmaps() )
        return false;
    vmx_funcs_setup();

    printk("HVM: VMX revision %#x with EPT (%s), %sVPID, unrestricted "
           "guest, %s controls\n", c->revision,
           c->ept_memtype == 6 ? "WB" : "UC", c->vpid ? "" : "no ",
           c->true_ctls ? "TRUE" : "default");
    printk("HVM: VMX APICv %s, posted interrupts %s\n",
           c->apicv ? "on" : (cpu2_may1 & apicv2) == apicv2
                             ? "off (apicv=0)" : "not supported",
           c->posted_intr ? "on" : !c->apicv ? "off (no APICv)"
           : !(c->pin_may1 & PIN_POSTED_INTR) ? "not supported"
           : "off (posted_intr=0)");
    printk("HVM: VMX virtual NMIs %s\n",
           c->virtual_nmis ? "on" : "not supported (an NMI may nest in the "
           "guest's NMI handler)");
    printk("HVM: VMX preemption timer %s\n",
           c->preempt_timer ? "bounds guest runs by the next host timer"
           : (c->pin_may1 & PIN_PREEMPT_TIMER) ? "off (vmx_preempt_timer=0)"
           : "not supported");
    printk("HVM: VMX tertiary controls %s (PROCBASED_CTLS allowed-1 bit "
           "17 = %u), PROCBASED_CTLS3 %#lx: IPI virtualization %s\n",
           c->cpu_may1 & CPU_TERTIARY_CTLS ? "offered" : "not offered",
           !!(c->cpu_may1 & CPU_TERTIARY_CTLS),
           (unsigned long)c->cpu3_may1,
           c->ipi_virt ? "offered (not used)" : "not offered");
    printk("HVM: VMX controls pin %#x cpu %#x cpu2 %#x exit %#x entry %#x\n",
           c->pin_ctls, c->cpu_ctls, c->cpu2_ctls, c->exit_ctls,
           c->entry_ctls);
    return true;
}

/* --- VMXON --- */

int vmx_cpu_up(unsigned int cpu)
{
    u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    u32 *region;
    unsigned long cr0, cr4;
    int rc;

    /*
     * The firmware decides whether VMX may be used: with the lock bit set
     * and VMX outside SMX clear it may not.  Unlocked, we enable and lock
     * it as Linux does.
     */
    if ( !(fc & FEATURE_CONTROL_LOCK) )
    {
        fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
    }
    else if ( !(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX) )
    {
        printk(XENLOG_ERR "VMX: disabled by firmware on CPU %u "
               "(IA32_FEATURE_CONTROL %#lx)\n", cpu, (unsigned long)fc);
        return -ENODEV;
    }

    /* VMXON needs CR0 and CR4 inside the fixed bits (NE, VMXE). */
    cr0 = (read_cr0() | vmx_caps.cr0_fixed0) & vmx_caps.cr0_fixed1;
    cr4 = (read_cr4() | vmx_caps.cr4_fixed0 | X86_CR4_VMXE) &
          vmx_caps.cr4_fixed1;
    write_cr0(cr0);
    write_cr4(cr4);

    region = per_cpu(vmxon_region, cpu);
    if ( !region )
    {
        region = alloc_zeroed_pages(0, 0);
        if ( !region )
            return -ENOMEM;
        per_cpu(vmxon_region, cpu) = region;
    }
    region[0] = vmx_caps.revision;
    rc = __vmxon((u64)region);
    if ( rc )
    {
        printk(XENLOG_ERR "VMX: VMXON failed on CPU %u (%s)\n", cpu,
               rc == VMX_FAIL_INVALID ? "VMfailInvalid" : "VMfailValid");
        return -EIO;
    }
    /* Nothing of a previous owner of these VPIDs and EPTPs survives. */
    (void)__invept(INVEPT_ALL_CONTEXT, 0);
    if ( vmx_caps.vpid )
        (void)__invvpid(INVVPID_ALL_CONTEXT, 0);
    return 0;
}

/* --- one VMCS --- */

int vmx_vmcs_alloc(struct vmx_vcpu *x)
{
    u32 *vmcs = alloc_zeroed_pages(0, 0);

    if ( !vmcs )
        return -ENOMEM;
    vmcs[0] = vmx_caps.revision;
    x->vmcs = vmcs;
    /* The launch state starts clear; the VMCS is active nowhere. */
    if ( __vmclear((u64)vmcs) )
    {
        free_xenheap_pages(vmcs, 0);
        x->vmcs = NULL;
        return -EIO;
    }
    return 0;
}

void vmx_vmcs_free(struct vmx_vcpu *x)
{
    if ( x->vmcs )
        free_xenheap_pages(x->vmcs, 0);
    x->vmcs = NULL;
}

static u16 read_sel(unsigned int which)
{
    u16 s = 0;

    switch ( which )
    {
    case 0: __asm__ __volatile__ ( "mov %%es, %0" : "=r" (s) ); break;
    case 1: __asm__ __volatile__ ( "mov %%ss, %0" : "=r" (s) ); break;
    case 2: __asm__ __volatile__ ( "mov %%ds, %0" : "=r" (s) ); break;
    case 3: __asm__ __volatile__ ( "mov %%fs, %0" : "=r" (s) ); break;
    default: __asm__ __volatile__ ( "mov %%gs, %0" : "=r" (s) ); break;
    }
    /* RPL and TI must be 0 in the host-state selectors. */
    return s & ~7;
}

/*
 * The host state that differs between pCPUs: the per-CPU area (GS
 * base), the descriptor tables and the TSS.  Written whenever the VMCS
 * is loaded on another pCPU than the one whose state it holds.
 */
void vmx_vmcs_host_state(unsigned int cpu)
{
    struct desc_ptr gdt, idt;
    const u64 *d;
    u64 tr_base;

    (void)cpu;
    __asm__ __volatile__ ( "sgdt %0" : "=m" (gdt) );
    __asm__ __volatile__ ( "sidt %0" : "=m" (idt) );
    d = (const u64 *)(gdt.base + TSS_SEL);
    tr_base = ((d[0] >> 16) & 0xffffff) | (((d[0] >> 56) & 0xff) << 24) |
              ((d[1] & 0xffffffffULL) << 32);
    vmw(HOST_GDTR_BASE, gdt.base);
    vmw(HOST_IDTR_BASE, idt.base);
    vmw(HOST_TR_BASE, tr_base);
    vmw(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
    vmw(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
    vmw(HOST_CR3, read_cr3());
}

/*
 * The fields that stay the same for the life of the VMCS, and a first
 * value of all the others; written on the first load.  Guest state comes
 * from the vCPU's cache, which starts all dirty.
 */
void vmx_vmcs_setup(struct vcpu *v)
{
    struct vmx_vcpu *x = v->hvm->backend;
    const struct vmx_caps *c = &vmx_caps;

    vmw(PIN_BASED_VM_EXEC_CONTROL, x->pin_ctls);
    vmw(CPU_BASED_VM_EXEC_CONTROL, x->cpu_ctls);
    vmw(SECONDARY_VM_EXEC_CONTROL, x->cpu2_ctls);
    x->cpu_ctls_hw = x->cpu_ctls;
    x->cpu2_ctls_hw = x->cpu2_ctls;
    vmw(VM_EXIT_CONTROLS, x->exit_ctls);
    vmw(VM_ENTRY_CONTROLS, c->entry_ctls);
    vmw(EXCEPTION_BITMAP, 0);
    vmw(PAGE_FAULT_ERROR_CODE_MASK, 0);
    vmw(PAGE_FAULT_ERROR_CODE_MATCH, 0);
    vmw(CR3_TARGET_COUNT, 0);
    vmw(VM_EXIT_MSR_STORE_COUNT, 0);
    vmw(VM_EXIT_MSR_LOAD_COUNT, 0);
    vmw(VM_ENTRY_MSR_LOAD_COUNT, 0);
    vmw(VM_ENTRY_INTR_INFO, 0);
    vmw(IO_BITMAP_A, (u64)vmx_io_bitmaps);
    vmw(IO_BITMAP_B, (u64)vmx_io_bitmaps + PAGE_SIZE);
    vmw(MSR_BITMAP, (u64)vmx_msr_bitmap_all);
    x->msr_bitmap_hw = (u64)vmx_msr_bitmap_all;
    vmw(TSC_OFFSET, v->hvm->tsc_offset);
    x->tsc_offset_hw = v->hvm->tsc_offset;
    vmw(CR0_GUEST_HOST_MASK, (c->cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG)) |
                             ~c->cr0_fixed1);
    /*
     * Every CR4 bit: a write exits and is checked against the guest's
     * CPUID (hvm/cr.c), since the CPU would take bits of features the
     * guest is not offered.
     */
    vmw(CR4_GUEST_HOST_MASK, ~0UL);
    x->eptp_hw = ept_eptp(v->domain);
    vmw(EPT_POINTER, x->eptp_hw);
    if ( x->cpu2_ctls & CPU2_VPID )
        vmw(VIRTUAL_PROCESSOR_ID, x->vpid);

    if ( x->apicv )
    {
        vmw(VIRTUAL_APIC_PAGE_ADDR, (u64)v->hvm->vlapic.regs);
        vmw(APIC_ACCESS_ADDR, (u64)ept_apic_access_page(v->domain));
        vmw(TPR_THRESHOLD, 0);
        vmw(GUEST_INTR_STATUS, 0);
        for ( unsigned int i = 0; i < 4; i++ )
            vmw(EOI_EXIT_BITMAP0 + 2 * i, 0);
        x->intr_status_hw = 0;
        memset(x->eoi_exit_hw, 0, sizeof(x->eoi_exit_hw));
    }
    if ( x->pin_ctls & PIN_POSTED_INTR )
    {
        vmw(POSTED_INTR_NOTIFICATION_VECTOR, POSTED_INTR_VECTOR);
        vmw(POSTED_INTR_DESC_ADDR, (u64)v->hvm->pi_desc);
    }

    /* Guest state the common code never touches. */
    vmw(VMCS_LINK_POINTER, ~0ULL);
    vmw(GUEST_IA32_DEBUGCTL, 0);
    vmw(GUEST_ACTIVITY_STATE, 0);
    vmw(GUEST_PENDING_DBG_EXCEPTIONS, 0);

    /* Host state shared by every pCPU. */
    vmw(HOST_CR0, read_cr0());
    vmw(HOST_CR4, read_cr4());
    vmw(HOST_CS_SELECTOR, HYPERVISOR_CS);
    vmw(HOST_ES_SELECTOR, read_sel(0));
    vmw(HOST_SS_SELECTOR, read_sel(1));
    vmw(HOST_DS_SELECTOR, read_sel(2));
    vmw(HOST_FS_SELECTOR, read_sel(3));
    vmw(HOST_GS_SELECTOR, read_sel(4));
    vmw(HOST_TR_SELECTOR, TSS_SEL);
    vmw(HOST_IA32_SYSENTER_CS, 0);
    vmw(HOST_IA32_SYSENTER_ESP, 0);
    vmw(HOST_IA32_SYSENTER_EIP, 0);
    vmw(HOST_IA32_EFER, rdmsr(MSR_EFER));
    if ( c->load_pat )
        vmw(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
    vmw(HOST_RIP, (u64)vmx_exit_stub);

    x->initialised = true;
}

/* --- segment access rights --- */

/*
 * SVM's packed attributes (type 3:0, S 4, DPL 6:5, P 7, AVL 8, L 9,
 * DB 10, G 11) to VMX access rights (the same low byte, AVL 12, L 13,
 * DB 14, G 15, unusable 16).  A segment that is not present is
 * unusable; SS keeps its DPL even then, as the CPL lives there.  The
 * CPU sets the accessed bit of code and data segments it loads and
 * marks a loaded TSS busy, and VM entry insists on both.
 */
u32 vmx_ar_from_attr(u16 attr, u16 sel, enum x86_segment s)
{
    u32 ar = (attr & 0xff) | ((u32)(attr & 0xf00) << 4);

    (void)sel;
    if ( !(attr & 0x80) )
        return VMX_AR_UNUSABLE | (s == x86_seg_ss ? (attr & 0x60) : 0);
    if ( s == x86_seg_tr )
        ar |= 2;                                /* busy */
    else if ( s != x86_seg_ldtr && (ar & VMX_AR_S) )
        ar |= 1;                                /* accessed */
    return ar;
}

u16 vmx_attr_from_ar(u32 ar)
{
    if ( ar & VMX_AR_UNUSABLE )
        return ar & 0x60;
    return (ar & 0xff) | ((ar >> 4) & 0xf00);
}

/* --- reporting a failed VM entry --- */

static const char *const insn_errors[] = {
    [1] = "VMCALL executed in VMX root operation",
    [2] = "VMCLEAR with invalid physical address",
    [3] = "VMCLEAR with VMXON pointer",
    [4] = "VMLAUNCH with non-clear VMCS",
    [5] = "VMRESUME with non-launched VMCS",
    [6] = "VMRESUME after VMXOFF",
    [7] = "VM entry with invalid control field(s)",
    [8] = "VM entry with invalid host-state field(s)",
    [9] = "VMPTRLD with invalid physical address",
    [10] = "VMPTRLD with VMXON pointer",
    [11] = "VMPTRLD with incorrect VMCS revision identifier",
    [12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
    [13] = "VMWRITE to read-only VMCS component",
    [15] = "VMXON executed in VMX root operation",
    [16] = "VM entry with invalid executive-VMCS pointer",
    [17] = "VM entry with non-launched executive VMCS",
    [18] = "VM entry with executive-VMCS pointer not VMXON pointer",
    [19] = "VMCALL with non-clear VMCS",
    [20] = "VMCALL with invalid VM-exit control fields",
    [22] = "VMCALL with incorrect MSEG revision identifier",
    [23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
    [24] = "VMCALL with invalid SMM-monitor features",
    [25] = "VM entry with invalid VM-execution control fields in "
           "executive VMCS",
    [26] = "VM entry with events blocked by MOV SS",
    [28] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_insn_error_name(unsigned long err)
{
    if ( err < ARRAY_SIZE(insn_errors) && insn_errors[err] )
        return insn_errors[err];
    return "unknown VM-instruction error";
}

static const char *const exit_names[VMX_NR_EXIT_REASONS] = {
    [EXIT_REASON_EXCEPTION_NMI] = "exception-nmi",
    [EXIT_REASON_EXTERNAL_INTERRUPT] = "extint",
    [EXIT_REASON_TRIPLE_FAULT] = "triple-fault",
    [EXIT_REASON_INIT] = "init", [EXIT_REASON_SIPI] = "sipi",
    [EXIT_REASON_INTR_WINDOW] = "intr-window",
    [EXIT_REASON_NMI_WINDOW] = "nmi-window",
    [EXIT_REASON_TASK_SWITCH] = "task-switch",
    [EXIT_REASON_CPUID] = "cpuid", [EXIT_REASON_GETSEC] = "getsec",
    [EXIT_REASON_HLT] = "hlt", [EXIT_REASON_INVD] = "invd",
    [EXIT_REASON_INVLPG] = "invlpg", [EXIT_REASON_RDPMC] = "rdpmc",
    [EXIT_REASON_RDTSC] = "rdtsc", [EXIT_REASON_RSM] = "rsm",
    [EXIT_REASON_VMCALL] = "vmcall", [EXIT_REASON_VMCLEAR] = "vmclear",
    [EXIT_REASON_VMLAUNCH] = "vmlaunch", [EXIT_REASON_VMPTRLD] = "vmptrld",
    [EXIT_REASON_VMPTRST] = "vmptrst", [EXIT_REASON_VMREAD] = "vmread",
    [EXIT_REASON_VMRESUME] = "vmresume", [EXIT_REASON_VMWRITE] = "vmwrite",
    [EXIT_REASON_VMXOFF] = "vmxoff", [EXIT_REASON_VMXON] = "vmxon",
    [EXIT_REASON_CR_ACCESS] = "cr-access",
    [EXIT_REASON_DR_ACCESS] = "dr-access",
    [EXIT_REASON_IO_INSTRUCTION] = "io",
    [EXIT_REASON_MSR_READ] = "rdmsr", [EXIT_REASON_MSR_WRITE] = "wrmsr",
    [EXIT_REASON_INVALID_GUEST_STATE] = "invalid-guest-state",
    [EXIT_REASON_MSR_LOADING] = "msr-loading",
    [EXIT_REASON_MWAIT] = "mwait",
    [EXIT_REASON_MONITOR_TRAP_FLAG] = "mtf",
    [EXIT_REASON_MONITOR] = "monitor", [EXIT_REASON_PAUSE] = "pause",
    [EXIT_REASON_MCE_DURING_ENTRY] = "mce-during-entry",
    [EXIT_REASON_TPR_BELOW_THRESHOLD] = "tpr-below-threshold",
    [EXIT_REASON_APIC_ACCESS] = "apic-access",
    [EXIT_REASON_EOI_INDUCED] = "eoi-induced",
    [EXIT_REASON_GDTR_IDTR] = "gdtr-idtr",
    [EXIT_REASON_LDTR_TR] = "ldtr-tr",
    [EXIT_REASON_EPT_VIOLATION] = "ept-violation",
    [EXIT_REASON_EPT_MISCONFIG] = "ept-misconfig",
    [EXIT_REASON_INVEPT] = "invept", [EXIT_REASON_RDTSCP] = "rdtscp",
    [EXIT_REASON_PREEMPTION_TIMER] = "preemption-timer",
    [EXIT_REASON_INVVPID] = "invvpid", [EXIT_REASON_WBINVD] = "wbinvd",
    [EXIT_REASON_XSETBV] = "xsetbv", [EXIT_REASON_APIC_WRITE] = "apic-write",
    [EXIT_REASON_RDRAND] = "rdrand", [EXIT_REASON_INVPCID] = "invpcid",
    [EXIT_REASON_VMFUNC] = "vmfunc", [EXIT_REASON_ENCLS] = "encls",
    [EXIT_REASON_RDSEED] = "rdseed", [EXIT_REASON_XSAVES] = "xsaves",
    [EXIT_REASON_XRSTORS] = "xrstors",
};

const char *vmx_exit_reason_name(unsigned int reason)
{
    if ( reason < VMX_NR_EXIT_REASONS && exit_names[reason] )
        return exit_names[reason];
    return "other";
}

static unsigned int nr_failed_checks;

static void check(bool ok, const char *what)
{
    if ( ok )
        return;
    nr_failed_checks++;
    printk(XENLOG_ERR "  VM-entry check failed: %s\n", what);
}

static bool canonical(u64 a)
{
    return (u64)((s64)(a << 16) >> 16) == a;
}

static bool limit_g_ok(u32 limit, u32 ar)
{
    /* Limit bits 11:0 not all ones: G = 0; bits 31:20 not zero: G = 1. */
    if ( (limit & 0xfff) != 0xfff && (ar & VMX_AR_G) )
        return false;
    if ( (limit >> 20) && !(ar & VMX_AR_G) )
        return false;
    return true;
}

static bool pat_ok(u64 pat)
{
    for ( unsigned int i = 0; i < 8; i++ )
    {
        u8 t = pat >> (i * 8);

        if ( t > 7 || t == 2 || t == 3 )
            return false;
    }
    return true;
}

/* SDM 26.2.1: VM-execution, VM-exit and VM-entry control fields. */
static void check_controls(void)
{
    const struct vmx_caps *c = &vmx_caps;
    u32 pin = vmr(PIN_BASED_VM_EXEC_CONTROL);
    u32 cpu = vmr(CPU_BASED_VM_EXEC_CONTROL);
    u32 cpu2 = (cpu & CPU_SECONDARY_CTLS) ? vmr(SECONDARY_VM_EXEC_CONTROL)
                                          : 0;
    u32 exit = vmr(VM_EXIT_CONTROLS), entry = vmr(VM_ENTRY_CONTROLS);
    u64 eptp = vmr(EPT_POINTER);

    check((pin & c->pin_must1) == c->pin_must1 && !(pin & ~c->pin_may1),
          "pin-based controls within IA32_VMX_(TRUE_)PINBASED_CTLS");
    check((cpu & c->cpu_must1) == c->cpu_must1 && !(cpu & ~c->cpu_may1),
          "processor-based controls within IA32_VMX_(TRUE_)PROCBASED_CTLS");
    check(!(cpu2 & ~c->cpu2_may1),
          "secondary controls within IA32_VMX_PROCBASED_CTLS2");
    check((exit & c->exit_must1) == c->exit_must1 &&
          !(exit & ~c->exit_may1),
          "VM-exit controls within IA32_VMX_(TRUE_)EXIT_CTLS");
    check((entry & c->entry_must1) == c->entry_must1 &&
          !(entry & ~c->entry_may1),
          "VM-entry controls within IA32_VMX_(TRUE_)ENTRY_CTLS");
    check(vmr(CR3_TARGET_COUNT) <= 4, "CR3-target count <= 4");
    if ( cpu & CPU_IO_BITMAPS )
        check(!(vmr(IO_BITMAP_A) & 0xfff) && !(vmr(IO_BITMAP_B) & 0xfff),
              "I/O bitmap addresses 4 KiB aligned");
    if ( cpu & CPU_MSR_BITMAPS )
        check(!(vmr(MSR_BITMAP) & 0xfff), "MSR bitmap address aligned");
    check(!(cpu & CPU_NMI_WINDOW_EXITING) || (pin & PIN_VIRTUAL_NMIS),
          "NMI-window exiting requires virtual NMIs");
    check(!(pin & PIN_VIRTUAL_NMIS) || (pin & PIN_NMI_EXITING),
          "virtual NMIs require NMI exiting");
    if ( cpu & CPU_TPR_SHADOW )
    {
        check(!(vmr(VIRTUAL_APIC_PAGE_ADDR) & 0xfff),
              "virtual-APIC address 4 KiB aligned");
        check(!(vmr(TPR_THRESHOLD) & ~0xfULL),
              "TPR threshold bits 31:4 clear");
    }
    else
        check(!(cpu2 & (CPU2_VIRT_X2APIC | CPU2_APIC_REG_VIRT |
                        CPU2_VIRT_INTR_DELIVERY)),
              "x2APIC virtualization, APIC-register virtualization and "
              "virtual-interrupt delivery require the TPR shadow");
    if ( cpu2 & CPU2_VIRT_APIC_ACCESSES )
        check(!(vmr(APIC_ACCESS_ADDR) & 0xfff),
              "APIC-access address 4 KiB aligned");
    check(!((cpu2 & CPU2_VIRT_X2APIC) && (cpu2 & CPU2_VIRT_APIC_ACCESSES)),
          "virtualize x2APIC mode excludes virtualize APIC accesses");
    check(!(cpu2 & CPU2_VIRT_INTR_DELIVERY) || (pin & PIN_EXT_INTR_EXITING),
          "virtual-interrupt delivery requires external-interrupt "
          "exiting");
    if ( pin & PIN_POSTED_INTR )
    {
        check(cpu2 & CPU2_VIRT_INTR_DELIVERY,
              "posted interrupts require virtual-interrupt delivery");
        check(exit & EXIT_ACK_INTR_ON_EXIT,
              "posted interrupts require acknowledge interrupt on exit");
        check(!(vmr(POSTED_INTR_NOTIFICATION_VECTOR) & 0xff00),
              "posted-interrupt notification vector bits 15:8 clear");
        check(!(vmr(POSTED_INTR_DESC_ADDR) & 0x3f),
              "posted-interrupt descriptor 64-byte aligned");
    }
    if ( cpu2 & CPU2_VPID )
        check(vmr(VIRTUAL_PROCESSOR_ID) != 0, "VPID not 0");
    if ( cpu2 & CPU2_EPT )
    {
        check((eptp & 7) == c->ept_memtype,
              "EPTP memory type supported (IA32_VMX_EPT_VPID_CAP)");
        check(((eptp >> 3) & 7) == 3, "EPTP page-walk length 4");
        check(!(eptp & 0xf80), "EPTP bits 11:7 clear");
    }
    check(!(cpu2 & CPU2_UNRESTRICTED_GUEST) || (cpu2 & CPU2_EPT),
          "unrestricted guest requires EPT");
    check(!(entry & ENTRY_SMM) && !(entry & ENTRY_DEACT_DUAL_MONITOR),
          "no entry to SMM");
    check((exit & EXIT_HOST_ADDR_SPACE_SIZE) || !(entry & ENTRY_IA32E_MODE),
          "IA-32e mode guest requires a 64-bit host");
}

/* SDM 26.2.2-26.2.4: host state. */
static void check_host(void)
{
    const struct vmx_caps *c = &vmx_caps;
    u64 cr0 = vmr(HOST_CR0), cr4 = vmr(HOST_CR4);
    u32 exit = vmr(VM_EXIT_CONTROLS);
    static const unsigned long sels[] = {
        HOST_ES_SELECTOR, HOST_CS_SELECTOR, HOST_SS_SELECTOR,
        HOST_DS_SELECTOR, HOST_FS_SELECTOR, HOST_GS_SELECTOR,
        HOST_TR_SELECTOR,
    };

    check((cr0 & c->cr0_fixed0) == c->cr0_fixed0 && !(cr0 & ~c->cr0_fixed1),
          "host CR0 within IA32_VMX_CR0_FIXED0/1");
    check((cr4 & c->cr4_fixed0) == c->cr4_fixed0 && !(cr4 & ~c->cr4_fixed1),
          "host CR4 within IA32_VMX_CR4_FIXED0/1");
    check(!(vmr(HOST_CR3) >> 52), "host CR3 within the physical width");
    check(canonical(vmr(HOST_IA32_SYSENTER_ESP)) &&
          canonical(vmr(HOST_IA32_SYSENTER_EIP)),
          "host SYSENTER_ESP/EIP canonical");
    if ( exit & EXIT_LOAD_PAT )
        check(pat_ok(vmr(HOST_IA32_PAT)), "host PAT valid");
    if ( exit & EXIT_LOAD_EFER )
    {
        u64 efer = vmr(HOST_IA32_EFER);
        bool lm = exit & EXIT_HOST_ADDR_SPACE_SIZE;

        check(!(efer & ~0xd01ULL), "host EFER reserved bits clear");
        check(!!(efer & EFER_LMA) == lm && !!(efer & EFER_LME) == lm,
              "host EFER.LMA/LME match the host address-space size");
    }
    for ( unsigned int i = 0; i < ARRAY_SIZE(sels); i++ )
        check(!(vmr(sels[i]) & 7), "host selectors have RPL 0 and TI 0");
    check(vmr(HOST_CS_SELECTOR) != 0, "host CS selector not 0");
    check(vmr(HOST_TR_SELECTOR) != 0, "host TR selector not 0");
    check(canonical(vmr(HOST_FS_BASE)) && canonical(vmr(HOST_GS_BASE)) &&
          canonical(vmr(HOST_TR_BASE)) && canonical(vmr(HOST_GDTR_BASE)) &&
          canonical(vmr(HOST_IDTR_BASE)),
          "host FS/GS/TR/GDTR/IDTR bases canonical");
    check(exit & EXIT_HOST_ADDR_SPACE_SIZE,
          "host address-space size set (64-bit host)");
    check(cr4 & X86_CR4_PAE, "host CR4.PAE set");
    check(canonical(vmr(HOST_RIP)), "host RIP canonical");
}

static void check_seg_data(const char *name, unsigned int i, bool pe)
{
    u32 ar = vmr(GUEST_ES_AR_BYTES + 2 * i);
    u32 limit = vmr(GUEST_ES_LIMIT + 2 * i);
    char what[96];

    if ( ar & VMX_AR_UNUSABLE )
        return;
    snprintf(what, sizeof(what), "guest %s: accessed, readable if code, "
             "S = 1, present, reserved bits clear", name);
    check((ar & 1) && (!(ar & 8) || (ar & 2)) && (ar & VMX_AR_S) &&
          (ar & VMX_AR_P) && !(ar & 0xfffe0f00u), what);
    snprintf(what, sizeof(what), "guest %s: limit and granularity agree",
             name);
    check(limit_g_ok(limit, ar), what);
    if ( i != VMCS_SEG_FS && i != VMCS_SEG_GS )
    {
        snprintf(what, sizeof(what), "guest %s base bits 63:32 clear",
                 name);
        check(!(vmr(GUEST_ES_BASE + 2 * i) >> 32), what);
    }
    (void)pe;
}

/* SDM 26.3.1: guest state (with unrestricted guest and EPT). */
static void check_guest(void)
{
    const struct vmx_caps *c = &vmx_caps;
    u64 cr0 = vmr(GUEST_CR0), cr4 = vmr(GUEST_CR4);
    u32 entry = vmr(VM_ENTRY_CONTROLS);
    bool ia32e = entry & ENTRY_IA32E_MODE;
    u64 must0 = c->cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);
    u64 rflags = vmr(GUEST_RFLAGS), rip = vmr(GUEST_RIP);
    u32 cs_ar = vmr(GUEST_ES_AR_BYTES + 2 * VMCS_SEG_CS);
    u32 ss_ar = vmr(GUEST_ES_AR_BYTES + 2 * VMCS_SEG_SS);
    u32 tr_ar = vmr(GUEST_ES_AR_BYTES + 2 * VMCS_SEG_TR);
    u32 ldtr_ar = vmr(GUEST_ES_AR_BYTES + 2 * VMCS_SEG_LDTR);
    u32 intr = vmr(GUEST_INTERRUPTIBILITY_INFO);
    u32 info = vmr(VM_ENTRY_INTR_INFO);
    unsigned int cs_type = cs_ar & 0xf, cs_dpl = (cs_ar >> 5) & 3;
    unsigned int ss_dpl = (ss_ar >> 5) & 3;
    bool pe = cr0 & X86_CR0_PE;

    check((cr0 & must0) == must0 && !(cr0 & ~c->cr0_fixed1),
          "guest CR0 within IA32_VMX_CR0_FIXED0/1 (PE/PG exempt)");
    check(!(cr0 & X86_CR0_PG) || pe, "guest CR0.PG requires CR0.PE");
    check((cr4 & c->cr4_fixed0) == c->cr4_fixed0 && !(cr4 & ~c->cr4_fixed1),
          "guest CR4 within IA32_VMX_CR4_FIXED0/1");
    if ( ia32e )
        check((cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE),
              "IA-32e mode guest requires CR0.PG and CR4.PAE");
    else
        check(!(cr4 & X86_CR4_PCIDE), "CR4.PCIDE clear outside IA-32e");
    check(!(vmr(GUEST_CR3) >> 52), "guest CR3 within the physical width");
    check(!(vmr(GUEST_DR7) >> 32), "guest DR7 bits 63:32 clear");
    check(canonical(vmr(GUEST_SYSENTER_ESP)) &&
          canonical(vmr(GUEST_SYSENTER_EIP)),
          "guest SYSENTER_ESP/EIP canonical");
    if ( entry & ENTRY_LOAD_PAT )
        check(pat_ok(vmr(GUEST_IA32_PAT)), "guest PAT valid");
    if ( entry & ENTRY_LOAD_EFER )
    {
        u64 efer = vmr(GUEST_IA32_EFER);

        check(!(efer & ~0xd01ULL), "guest EFER reserved bits clear");
        check(!!(efer & EFER_LMA) == ia32e,
              "guest EFER.LMA equals the IA-32e mode guest control");
        check(!(cr0 & X86_CR0_PG) ||
              !!(efer & EFER_LMA) == !!(efer & EFER_LME),
              "guest EFER.LMA equals EFER.LME when paging");
    }

    /* Segments. */
    check(!(vmr(GUEST_TR_SELECTOR) & 4), "guest TR selector TI clear");
    check(!(cs_ar & VMX_AR_UNUSABLE), "guest CS usable");
    check(cs_type == 9 || cs_type == 11 || cs_type == 13 ||
          cs_type == 15 || cs_type == 3,
          "guest CS type accessed code (or 3, unrestricted guest)");
    check((cs_ar & VMX_AR_S) && (cs_ar & VMX_AR_P) &&
          !(cs_ar & 0xfffe0f00u),
          "guest CS: S = 1, present, reserved bits clear");
    if ( cs_type == 3 )
        check(cs_dpl == 0, "guest CS type 3 requires DPL 0");
    else if ( cs_type == 9 || cs_type == 11 )
        check(cs_dpl == ss_dpl, "guest CS DPL (non-conforming) = SS DPL");
    else
        check(cs_dpl <= ss_dpl, "guest CS DPL (conforming) <= SS DPL");
    check(!(ia32e && (cs_ar & VMX_AR_L) && (cs_ar & VMX_AR_DB)),
          "guest CS: L and D/B not both set");
    check(limit_g_ok(vmr(GUEST_ES_LIMIT + 2 * VMCS_SEG_CS), cs_ar),
          "guest CS: limit and granularity agree");
    check(!(vmr(GUEST_ES_BASE + 2 * VMCS_SEG_CS) >> 32),
          "guest CS base bits 63:32 clear");
    if ( !(ss_ar & VMX_AR_UNUSABLE) )
    {
        check((ss_ar & 0xf) == 3 || (ss_ar & 0xf) == 7,
              "guest SS type 3 or 7");
        check((ss_ar & VMX_AR_S) && (ss_ar & VMX_AR_P) &&
              !(ss_ar & 0xfffe0f00u),
              "guest SS: S = 1, present, reserved bits clear");
        check(limit_g_ok(vmr(GUEST_ES_LIMIT + 2 * VMCS_SEG_SS), ss_ar),
              "guest SS: limit and granularity agree");
    }
    if ( cs_type == 3 || !pe )
        check(ss_dpl == 0, "guest SS DPL 0 (real mode or CS type 3)");
    check_seg_data("DS", VMCS_SEG_DS, pe);
    check_seg_data("ES", VMCS_SEG_ES, pe);
    check_seg_data("FS", VMCS_SEG_FS, pe);
    check_seg_data("GS", VMCS_SEG_GS, pe);
    check(canonical(vmr(GUEST_ES_BASE + 2 * VMCS_SEG_FS)) &&
          canonical(vmr(GUEST_ES_BASE + 2 * VMCS_SEG_GS)) &&
          canonical(vmr(GUEST_ES_BASE + 2 * VMCS_SEG_TR)),
          "guest FS/GS/TR bases canonical");
    check(!(tr_ar & VMX_AR_UNUSABLE), "guest TR usable");
    check((tr_ar & 0xf) == 11 || (!ia32e && (tr_ar & 0xf) == 3),
          "guest TR type busy TSS (11, or 3 outside IA-32e)");
    check(!(tr_ar & VMX_AR_S) && (tr_ar & VMX_AR_P) &&
          !(tr_ar & 0xfffe0f00u),
          "guest TR: S = 0, present, reserved bits clear");
    check(limit_g_ok(vmr(GUEST_ES_LIMIT + 2 * VMCS_SEG_TR), tr_ar),
          "guest TR: limit and granularity agree");
    if ( !(ldtr_ar & VMX_AR_UNUSABLE) )
    {
        check(!(vmr(GUEST_LDTR_SELECTOR) & 4), "guest LDTR selector TI "
              "clear");
        check((ldtr_ar & 0xf) == 2 && !(ldtr_ar & VMX_AR_S) &&
              (ldtr_ar & VMX_AR_P) && !(ldtr_ar & 0xfffe0f00u),
              "guest LDTR: type 2, S = 0, present, reserved bits clear");
        check(limit_g_ok(vmr(GUEST_ES_LIMIT + 2 * VMCS_SEG_LDTR), ldtr_ar),
              "guest LDTR: limit and granularity agree");
        check(canonical(vmr(GUEST_ES_BASE + 2 * VMCS_SEG_LDTR)),
              "guest LDTR base canonical");
    }
    check(canonical(vmr(GUEST_GDTR_BASE)) && canonical(vmr(GUEST_IDTR_BASE)),
          "guest GDTR/IDTR bases canonical");
    check(!(vmr(GUEST_GDTR_LIMIT) >> 16) && !(vmr(GUEST_IDTR_LIMIT) >> 16),
          "guest GDTR/IDTR limits <= 0xffff");

    /* RIP and RFLAGS. */
    if ( ia32e && (cs_ar & VMX_AR_L) )
        check(canonical(rip), "guest RIP canonical (64-bit code)");
    else
        check(!(rip >> 32), "guest RIP bits 63:32 clear");
    check(!(rflags & ~0x3f7fd7ULL) && (rflags & 2),
          "guest RFLAGS reserved bits clear, bit 1 set");
    check(!(rflags & X86_EFLAGS_VM) || (!ia32e && pe),
          "guest RFLAGS.VM clear in IA-32e mode and real mode");

    /* Non-register state and event injection. */
    check(vmr(GUEST_ACTIVITY_STATE) <= 3, "guest activity state <= 3");
    check(!(intr & ~0x1fu), "interruptibility reserved bits clear");
    check((intr & 3) != 3, "blocking by STI and by MOV SS not both set");
    check(!(intr & INTR_BLOCK_STI) || (rflags & X86_EFLAGS_IF),
          "blocking by STI requires RFLAGS.IF");
    check(!(intr & INTR_BLOCK_SMI), "blocking by SMI clear outside SMM");
    check(vmr(VMCS_LINK_POINTER) == ~0ULL, "VMCS link pointer all ones");
    if ( info & INTR_INFO_VALID )
    {
        unsigned int type = (info >> 8) & 7, vec = info & 0xff;

        check(type != 1 && type != 7, "event type not reserved");
        check(type != INTR_TYPE_NMI || vec == 2, "NMI injected as vector 2");
        check(type != INTR_TYPE_HW_EXCEPTION || vec < 32,
              "hardware exception vector < 32");
        check(!(info & 0x7ffff000u), "interruption info bits 30:12 clear");
        if ( info & INTR_INFO_ERR_VALID )
            check(pe && type == INTR_TYPE_HW_EXCEPTION &&
                  (vec == 8 || (vec >= 10 && vec <= 14) || vec == 17),
                  "error code only for a protected-mode exception that "
                  "has one");
        if ( type == INTR_TYPE_EXT_INTR )
            check((rflags & X86_EFLAGS_IF) && !(intr & 3),
                  "external interrupt injected with IF set and no STI/MOV "
                  "SS blocking");
        if ( type == INTR_TYPE_NMI )
            check(!(intr & INTR_BLOCK_MOV_SS), "NMI not injected under MOV "
                  "SS blocking");
    }
}

static void dump_seg(const char *name, unsigned int i)
{
    printk("    %-4s sel %04lx ar %05lx limit %08lx base %016lx\n", name,
           (unsigned long)vmr(GUEST_ES_SELECTOR + 2 * i),
           (unsigned long)vmr(GUEST_ES_AR_BYTES + 2 * i),
           (unsigned long)vmr(GUEST_ES_LIMIT + 2 * i),
           (unsigned long)vmr(GUEST_ES_BASE + 2 * i));
}

/* Every guest-state field of the current VMCS. */
void vmx_dump_guest_state(void)
{
    static const char *const names[] = {
        "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr",
    };

    printk("  guest state:\n");
    printk("    rip %016lx rsp %016lx rflags %08lx\n",
           (unsigned long)vmr(GUEST_RIP), (unsigned long)vmr(GUEST_RSP),
           (unsigned long)vmr(GUEST_RFLAGS));
    printk("    cr0 %08lx (shadow %08lx mask %08lx) cr3 %08lx cr4 %08lx "
           "(shadow %08lx mask %08lx)\n",
           (unsigned long)vmr(GUEST_CR0), (unsigned long)vmr(CR0_READ_SHADOW),
           (unsigned long)vmr(CR0_GUEST_HOST_MASK),
           (unsigned long)vmr(GUEST_CR3), (unsigned long)vmr(GUEST_CR4),
           (unsigned long)vmr(CR4_READ_SHADOW),
           (unsigned long)vmr(CR4_GUEST_HOST_MASK));
    printk("    efer %lx pat %016lx dr7 %lx debugctl %lx\n",
           (unsigned long)vmr(GUEST_IA32_EFER),
           (unsigned long)vmr(GUEST_IA32_PAT),
           (unsigned long)vmr(GUEST_DR7),
           (unsigned long)vmr(GUEST_IA32_DEBUGCTL));
    for ( unsigned int i = 0; i < ARRAY_SIZE(names); i++ )
        dump_seg(names[i], i);
    printk("    gdtr %016lx/%04lx idtr %016lx/%04lx\n",
           (unsigned long)vmr(GUEST_GDTR_BASE),
           (unsigned long)vmr(GUEST_GDTR_LIMIT),
           (unsigned long)vmr(GUEST_IDTR_BASE),
           (unsigned long)vmr(GUEST_IDTR_LIMIT));
    printk("    sysenter cs %lx esp %lx eip %lx\n",
           (unsigned long)vmr(GUEST_SYSENTER_CS),
           (unsigned long)vmr(GUEST_SYSENTER_ESP),
           (unsigned long)vmr(GUEST_SYSENTER_EIP));
    printk("    interruptibility %lx activity %lx pending-dbg %lx link "
           "%016lx\n", (unsigned long)vmr(GUEST_INTERRUPTIBILITY_INFO),
           (unsigned long)vmr(GUEST_ACTIVITY_STATE),
           (unsigned long)vmr(GUEST_PENDING_DBG_EXCEPTIONS),
           (unsigned long)vmr(VMCS_LINK_POINTER));
    printk("    entry info %08lx error %lx length %lx; controls pin %lx "
           "cpu %lx cpu2 %lx exit %lx entry %lx\n",
           (unsigned long)vmr(VM_ENTRY_INTR_INFO),
           (unsigned long)vmr(VM_ENTRY_EXCEPTION_ERROR_CODE),
           (unsigned long)vmr(VM_ENTRY_INSTRUCTION_LEN),
           (unsigned long)vmr(PIN_BASED_VM_EXEC_CONTROL),
           (unsigned long)vmr(CPU_BASED_VM_EXEC_CONTROL),
           (unsigned long)vmr(SECONDARY_VM_EXEC_CONTROL),
           (unsigned long)vmr(VM_EXIT_CONTROLS),
           (unsigned long)vmr(VM_ENTRY_CONTROLS));
}

/* VMLAUNCH or VMRESUME did not even start: VMfailInvalid/VMfailValid. */
void vmx_report_vmfail(struct vcpu *v, int fail, bool launch)
{
    unsigned long err = 0;

    printk(XENLOG_ERR "d%uv%u: %s failed: ", v->domain->domain_id,
           v->vcpu_id, launch ? "VMLAUNCH" : "VMRESUME");
    if ( fail == VMX_FAIL_INVALID )
    {
        printk("VMfailInvalid (no current VMCS)\n");
        return;
    }
    (void)__vmread_safe(VM_INSTRUCTION_ERROR, &err);
    printk("VM-instruction error %lu: %s\n", err, vmx_insn_error_name(err));
    nr_failed_checks = 0;
    if ( err == 7 )
        check_controls();
    else if ( err == 8 )
        check_host();
    if ( (err == 7 || err == 8) && !nr_failed_checks )
        printk(XENLOG_ERR "  (no check of this hypervisor's list failed)\n");
    vmx_dump_guest_state();
}

/* The entry failed after the checks of controls and host state. */
void vmx_report_failed_entry(struct vcpu *v, u32 reason, u64 qual)
{
    static const char *const guest_quals[] = {
        [0] = "", [2] = " (PDPTE loading)", [3] = " (NMI injection)",
        [4] = " (VMCS link pointer)",
    };
    unsigned int basic = reason & 0xffff;

    printk(XENLOG_ERR "d%uv%u: VM entry failed, exit reason %#x: ",
           v->domain->domain_id, v->vcpu_id, reason);
    switch ( basic )
    {
    case EXIT_REASON_INVALID_GUEST_STATE:
        printk("invalid guest state%s\n",
               qual < ARRAY_SIZE(guest_quals) && guest_quals[qual]
               ? guest_quals[qual] : "");
        nr_failed_checks = 0;
        check_guest();
        if ( !nr_failed_checks )
            printk(XENLOG_ERR "  (no check of this hypervisor's list "
                   "failed)\n");
        break;
    case EXIT_REASON_MSR_LOADING:
        printk("MSR loading, entry %lu of the VM-entry MSR-load area\n",
               (unsigned long)qual);
        break;
    case EXIT_REASON_MCE_DURING_ENTRY:
        printk("machine-check event during VM entry\n");
        break;
    default:
        printk("%s\n", vmx_exit_reason_name(basic));
        break;
    }
    vmx_dump_guest_state();
}

/*
 * The VMX backend's private state and the interfaces between its files:
 * vmcs.c (capabilities, VMXON, building a VMCS, entry-failure reports),
 * ept.c (extended page tables), vmx.c (the hvm_funcs ops) and entry.S.
 */
#ifndef ASM_X86_HVM_VMX_VMX_H
#define ASM_X86_HVM_VMX_VMX_H

#include <xen/types.h>
#include <xen/spinlock.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/vmx/vmcs.h>

struct domain;
struct vcpu;

/*
 * What the CPU offers and what every VMCS gets, computed once from the
 * capability MSRs by vmx_probe().  The *_ctls fields are the controls
 * all VMCSs start with; APICv and posting add their bits per vCPU.
 */
struct vmx_caps
{
    u32 revision;
    bool true_ctls;                 /* IA32_VMX_BASIC bit 55 */
    /* allowed-0 (must be 1) and allowed-1 (may be 1) of each control */
    u32 pin_must1, pin_may1, cpu_must1, cpu_may1, cpu2_may1;
    u32 exit_must1, exit_may1, entry_must1, entry_may1;
    u32 pin_ctls, cpu_ctls, cpu2_ctls, exit_ctls, entry_ctls;
    u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    u64 ept_vpid_cap;
    u8 ept_memtype;                 /* 6 (WB) or 0 (UC) */
    bool vpid;
    bool apicv;                     /* x2APIC/APIC-access virtualization,
                                       APIC-register virtualization,
                                       virtual-interrupt delivery */
    bool posted_intr;               /* process posted interrupts */
    /* VMX-preemption timer: counts down once every 2^shift TSC ticks. */
    bool preempt_timer;
    u8 preempt_shift;
    /*
     * Virtual NMIs with NMI-window exiting: the CPU keeps the guest's NMI
     * blocking (interruptibility bit 3) from injection to IRET.
     */
    bool virtual_nmis;
    bool load_pat;
    /*
     * IA32_VMX_PROCBASED_CTLS3 (0 when the primary controls cannot
     * activate tertiary controls) and whether it offers IPI
     * virtualization.  Read and logged only: xen-lite does not use it.
     */
    u64 cpu3_may1;
    bool ipi_virt;
};
extern struct vmx_caps vmx_caps;

/* The nested page tables of a domain. */
struct ept
{
    spinlock_t lock;
    u64 *root;
    u64 eptp;
    unsigned long nr_mapped;
    void *apic_access_page;         /* APICv: backs gfn 0xfee00 */
    /*
     * APICv: the view for vCPUs whose xAPIC page does not decode (APIC
     * globally disabled or in x2APIC mode): the same table without the
     * APIC-access page.  It shares every table but the four on the path
     * to gfn 0xfee00; ept_map_gfn() mirrors entries written into those.
     */
    u64 *noapic_root;
    u64 noapic_eptp;
    u64 *path[4], *noapic_path[4];  /* PML4, PDPT, PD, PT to 0xfee00 */
    unsigned int path_index[4];
    /* Bochs's early virtual-interrupt delivery seen here (vmx.c). */
    bool virq_bug_seen;
};

/* Guest state cached in struct vmx_vcpu: one valid and one dirty bit each. */
enum vmx_cached
{
    VC_RIP, VC_RSP, VC_RFLAGS, VC_CR0, VC_CR3, VC_CR4, VC_EFER, VC_PAT,
    VC_INTR, VC_SYSENTER, VC_DR7,
    VC_SEG,                         /* + enum x86_segment, 10 of them */
    VC_NR = VC_SEG + 10
};

/* Offsets of the APIC registers whose writes trap (APIC-write exits). */
#define VMX_APIC_SNAPSHOT_REGS  16

struct vmx_vcpu
{
    void *vmcs;                     /* 4 KiB VMCS region */
    bool initialised;               /* constant fields written */
    bool launched;                  /* VMLAUNCH done since last VMCLEAR */
    int active_cpu;                 /* where it is active, or -1 */
    int host_cpu;                   /* whose host state it holds */
    int last_cpu;                   /* TLBs to flush when it moves */
    u16 vpid;                       /* 0: none (flush on every entry) */
    u64 id;                         /* unique, for per-pCPU MSR owners */

    /* The guest's RAX (the VMCS has RSP but no RAX). */
    u64 rax;

    /* Cached guest state: see enum vmx_cached. */
    u32 valid, dirty;
    u64 rip, rsp, rflags, cr3, efer, pat, dr7;
    u64 cr0, cr4;                   /* as the guest sees them */
    u64 cr0_shadow, cr4_shadow;     /* what the read shadows hold */
    u32 intr_state;
    u64 sysenter_cs, sysenter_esp, sysenter_eip;
    struct segment_register seg[10];
    /* Not in the VMCS: kept here and loaded around entry. */
    u64 cr2;
    u64 star, lstar, cstar, sfmask, kernel_gs_base;
    bool syscall_dirty;
    bool long_mode_seen;            /* SWAPGS possible: re-read KGS base */
    bool clear_pending_dbg;         /* INIT: none at the next entry */

    /* Controls as last written to the VMCS, and as wanted next. */
    u32 cpu_ctls, cpu2_ctls, pin_ctls, exit_ctls;
    u32 cpu_ctls_hw, cpu2_ctls_hw;
    u64 msr_bitmap_hw;
    u64 eptp_hw;                    /* which EPT view (ept.c) */
    u64 tsc_offset_hw;

    /* Event injection. */
    u32 entry_intr_info, entry_err, entry_len;
    bool entry_dirty;
    int injected;                   /* external interrupt vector, or -1 */
    bool entered;                   /* the last run() entered the guest */
    int exit_exc;                   /* decode_exit(): to raise, or -1 */

    /* The last exit. */
    u32 exit_reason, exit_intr_info, idt_info, idt_err, insn_len;
    u64 exit_qual, exit_gpa;

    /*
     * An NMI went in and its handler has not been seen to IRET: the one
     * reason the guest may show virtual-NMI blocking (vnmi_leak()).
     */
    bool nmi_in_progress;
    u64 nr_vnmi_leaks;

    /* APICv. */
    bool apicv;                     /* virtual-interrupt delivery in use */
    u16 intr_status_hw;             /* RVI/SVI as last written */
    u64 eoi_exit_hw[4];
    u64 levels_gen_synced;          /* levels_gen apicv_sync() read */
    u32 apic_snapshot[VMX_APIC_SNAPSHOT_REGS];
    u32 isr_at_entry[8];            /* ISR as the last entry left it */
    u64 nr_apic_write_exits, nr_eoi_exits;
    u64 nr_virq_undone;             /* see undo_early_virq() */
    u64 nr_notification_exits;      /* EXTINT exits for the PI vector */
    u64 nr_handler_rip_fixed;       /* see bochs_handler_fetch() */
    u64 nr_stale_deliveries;        /* see bochs_stale_delivery() */

    /* Exits by VMX basic exit reason; the last slot counts the rest. */
    u64 exit_counts[VMX_NR_EXIT_REASONS + 1];
    u64 nr_failed_entries;
};

/* vmcs.c */
bool vmx_probe(void);
int vmx_cpu_up(unsigned int cpu);
int vmx_vmcs_alloc(struct vmx_vcpu *x);
void vmx_vmcs_free(struct vmx_vcpu *x);
void vmx_vmcs_setup(struct vcpu *v);
void vmx_vmcs_host_state(unsigned int cpu);
u64 vmr(unsigned long field);
void vmw(unsigned long field, u64 val);
const char *vmx_insn_error_name(unsigned long err);
const char *vmx_exit_reason_name(unsigned int reason);
void vmx_report_vmfail(struct vcpu *v, int fail, bool launch);
void vmx_report_failed_entry(struct vcpu *v, u32 reason, u64 qual);
void vmx_dump_guest_state(void);
u32 vmx_ar_from_attr(u16 attr, u16 sel, enum x86_segment s);
u16 vmx_attr_from_ar(u32 ar);
extern u8 *vmx_msr_bitmap_all, *vmx_msr_bitmap_x2apic;
extern u8 *vmx_io_bitmaps;

/* vmx.c */
extern struct hvm_funcs vmx_funcs;
void vmx_funcs_setup(void);

/* ept.c */
int ept_domain_init(struct domain *d);
void ept_domain_destroy(struct domain *d);
int ept_map_gfn(struct domain *d, u64 gfn, u64 mfn);
u64 ept_eptp(const struct domain *d);
u64 ept_eptp_noapic(const struct domain *d);
void *ept_apic_access_page(const struct domain *d);

/* entry.S */
int vmx_enter(struct hvm_gprs *gprs, u64 *rax, int launched);
void vmx_exit_stub(void);
void vmx_do_host_vector(unsigned long stub);

#endif /* ASM_X86_HVM_VMX_VMX_H */

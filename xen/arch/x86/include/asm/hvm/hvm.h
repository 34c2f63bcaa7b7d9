/*
 * The common HVM layer.  hvm_funcs is the only place VMX and SVM differ;
 * everything else (exit handling, the vlapic, devices, posting) is shared.
 */
#ifndef ASM_X86_HVM_HVM_H
#define ASM_X86_HVM_HVM_H

#include <xen/types.h>
#include <xen/list.h>
#include <asm/hvm/vlapic.h>
#include <asm/hvm/domain.h>
#include <asm/hvm/pi.h>
#include <asm/hvm/xstate.h>
#include <asm/hvm/kvmclock.h>
#include <asm/hvm/task_switch.h>
#include <asm/hvm/exit_icount.h>

struct vcpu;
struct domain;

/* The guest registers the backends do not keep in their control block. */
struct hvm_gprs
{
    u64 rbx, rcx, rdx, rsi, rdi, rbp;
    u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

/* Why the vCPU exited, normalised across backends. */
enum hvm_exit_reason
{
    HVM_EXIT_NONE,              /* handled inside the backend */
    HVM_EXIT_EXTINT,            /* host interrupt: nothing to emulate */
    HVM_EXIT_NMI,
    HVM_EXIT_INTR_WINDOW,
    HVM_EXIT_CPUID,
    HVM_EXIT_HLT,
    HVM_EXIT_IO,
    HVM_EXIT_MSR_READ,
    HVM_EXIT_MSR_WRITE,
    HVM_EXIT_HYPERCALL,
    HVM_EXIT_NPF,               /* EPT/NPT violation */
    HVM_EXIT_SHUTDOWN,          /* triple fault */
    HVM_EXIT_INIT,
    HVM_EXIT_FAILED_ENTRY,
    HVM_EXIT_UNHANDLED,         /* anything else: the domain is crashed */
    HVM_EXIT_XSETBV,
    HVM_EXIT_TASK_SWITCH,       /* emulated by task_switch.c */
    HVM_EXIT_NR
};

struct hvm_exit
{
    enum hvm_exit_reason reason;
    u64 hw_code;                /* the backend's own exit code */
    /* IO */
    u16 port;
    u8 io_size;
    bool io_in, io_string;
    u64 next_rip;               /* where the instruction ends, if known */
    /* NPF */
    u64 gpa;
    bool npf_write, npf_present;
    /* TASK_SWITCH: what the backend found (task_switch.h). */
    struct tsw_request ts;
    /*
     * Any reason: the backend found, decoding the exit, that the
     * instruction raises exception exc_vector (error code exc_error)
     * instead of completing.  The common code raises it after the
     * exit's event bookkeeping (event_delivered), which would discard
     * an event the backend queued itself.
     */
    bool raise_exc;
    u8 exc_vector;
    u32 exc_error;
};

/* INIT/SIPI state of a vCPU. */
enum hvm_vcpu_boot
{
    HVM_VCPU_RUNNING,
    HVM_VCPU_WAIT_SIPI,         /* after INIT: only a SIPI starts it */
};

struct hvm_vcpu
{
    struct hvm_gprs gprs;
    struct vlapic vlapic;
    struct pi_desc *pi_desc;
    void *backend;              /* VMCB or VMCS state */
    enum hvm_vcpu_boot boot_state;
    /* Set by other vCPUs, consumed by this one before its next entry. */
    bool init_pending;
    int sipi_vector;            /* -1: none */
    bool nmi_pending;
    u64 tsc_offset;
    u64 msr_pat, msr_mtrr_def_type;
    u64 msr_tsc_aux;            /* IA32_TSC_AUX, for RDTSCP (msr.c) */
    u64 msr_misc_enable;        /* its read/write bits (msr.c) */
    u64 exits[HVM_EXIT_NR];
    u64 nr_entries;
    /* The last exits' HVM_EXIT_* reasons, newest at recent_exit_pos. */
    u8 recent_exits[4];
    unsigned int recent_exit_pos;
    u64 ipi_fastpath;           /* ICR writes handled by the fast path */
    /*
     * The last exit was an ICR write the IPI fast path completed, and
     * nothing since has changed this vCPU's APIC mode, base or INIT
     * state: the backend's next entry may skip work that only such a
     * change makes necessary.  Consumed by that entry.
     */
    bool entry_after_fastpath;
    u64 pv_eoi_msr;             /* MSR_KVM_PV_EOI_EN: flag address | 1 */
    bool pv_eoi_pending;        /* we set the flag before this entry */
    u64 pv_eoi_skips;           /* EOIs the guest did through the flag */
    struct kvm_pv_vcpu kvm_pv;  /* kvmclock and steal time */
    /* Entries that ended a blocked HLT: TSC cycles from the first post. */
    u64 wakes, wake_latency_sum, wake_latency_max;
    /*
     * pi_blocked.c: the wakeup list this vCPU waits on in HLT.  Under
     * that list's lock; pi_blocked_cpu is -1 when it is on none.
     */
    struct list_head pi_blocked_link;
    struct vcpu *pi_blocked_vcpu;       /* back pointer, for the handler */
    int pi_blocked_cpu;
    int pi_blocked_index;
    /* Blocked in HLT since its last entry: see hvm_vcpu_run(). */
    bool pi_blocked_since_entry;
    /* FPU/SSE/AVX, XCR0 and debug registers: xstate.c. */
    struct hvm_xstate xstate;
    /* enum hvm_inert: why it cannot run by itself (progress.c). */
    int inert;
    /* It went down last of its domain: check once interrupts are on. */
    bool progress_check_due;
    struct exit_icount icount;  /* exit_icount=1 only */
};

/* Segment register as the backends store it (SVM's packed attributes). */
struct segment_register
{
    u16 sel;
    u16 attr;       /* type 3:0, S 4, DPL 6:5, P 7, AVL 8, L 9, DB 10, G 11 */
    u32 limit;
    u64 base;
};

enum x86_segment
{
    x86_seg_es, x86_seg_cs, x86_seg_ss, x86_seg_ds, x86_seg_fs, x86_seg_gs,
    x86_seg_tr, x86_seg_ldtr, x86_seg_gdtr, x86_seg_idtr
};

/* Guest state the common code reads and writes through the backend. */
enum hvm_reg
{
    HVM_REG_RAX, HVM_REG_RSP, HVM_REG_RIP, HVM_REG_RFLAGS,
    HVM_REG_CR0, HVM_REG_CR2, HVM_REG_CR3, HVM_REG_CR4, HVM_REG_EFER,
    HVM_REG_PAT, HVM_REG_STAR, HVM_REG_LSTAR, HVM_REG_CSTAR,
    HVM_REG_SFMASK, HVM_REG_KERNEL_GS_BASE, HVM_REG_SYSENTER_CS,
    HVM_REG_SYSENTER_ESP, HVM_REG_SYSENTER_EIP, HVM_REG_FS_BASE,
    HVM_REG_GS_BASE, HVM_REG_CPL, HVM_REG_INTR_SHADOW, HVM_REG_DR6,
    HVM_REG_DR7,
    HVM_REG_NR
};

/* Event types for injection. */
#define HVM_EVENT_EXTINT    0
#define HVM_EVENT_NMI       2
#define HVM_EVENT_EXCEPTION 3
#define HVM_EVENT_SOFTWARE  4   /* INT n, INT3, INTO, INT1 */

struct hvm_funcs
{
    const char *name;
    int (*cpu_up)(unsigned int cpu);        /* enable on this pCPU */
    int (*vcpu_init)(struct vcpu *v);
    void (*vcpu_destroy)(struct vcpu *v);
    int (*domain_init)(struct domain *d);   /* nested page tables */
    void (*domain_destroy)(struct domain *d);
    /* Enter the guest once, with interrupts off; fill *exit on return. */
    void (*run)(struct vcpu *v, struct hvm_exit *exit);
    u64 (*get_reg)(struct vcpu *v, enum hvm_reg r);
    void (*set_reg)(struct vcpu *v, enum hvm_reg r, u64 val);
    void (*get_seg)(struct vcpu *v, enum x86_segment s,
                    struct segment_register *reg);
    void (*set_seg)(struct vcpu *v, enum x86_segment s,
                    const struct segment_register *reg);
    /*
     * INIT, on the vCPU's own pCPU between exit and entry: the state the
     * backend holds to the values INIT gives it (SDM Vol. 3A, Table
     * 10-1): RIP FFF0H, RSP, RAX and RFLAGS (2), segments, GDTR, IDTR,
     * LDTR and TR, CR2-CR4 0, CR0 'cr0', EFER 0, DR7 (and DR6 where the
     * backend holds it), no interrupt shadow, no NMI blocking, no event
     * queued, the TLB flushed.  MSRs stay.
     */
    void (*init_reset)(struct vcpu *v, u64 cr0);
    /* Queue an event for the next entry. */
    void (*inject_event)(struct vcpu *v, u8 vector, unsigned int type,
                         bool has_error, u32 error);
    /* Whether the guest can take an external interrupt right now. */
    bool (*interrupts_enabled)(struct vcpu *v);
    /*
     * Whether an NMI can be injected now: no STI or MOV SS shadow, no
     * NMI blocking the backend can see, no event queued already.  IF
     * does not matter.
     */
    bool (*nmi_allowed)(struct vcpu *v);
    /*
     * Optional (NULL: the backend has no NMI blocking to set).  Set or
     * end the guest's NMI blocking as the CPU would: an NMI delivered
     * through a task gate blocks, the IRET that returns from that task
     * ends it (task_switch.c emulates both).
     */
    void (*set_nmi_blocking)(struct vcpu *v, bool blocked);
    /*
     * The guest's own TLB entries (its linear translations) are dropped
     * before it runs again, as a load of CR3 by the CPU drops them: for
     * a CR3 the hypervisor loads on its behalf (task_switch.c).
     */
    void (*flush_guest_tlb)(struct vcpu *v);
    /* An NMI is pending but not allowed: exit as soon as it would be. */
    void (*enable_nmi_window)(struct vcpu *v);
    /* Ask for an exit as soon as it can (interrupt window), or stop. */
    void (*enable_intr_window)(struct vcpu *v);
    void (*disable_intr_window)(struct vcpu *v);
    /*
     * After an exit: whether the event injected at the last entry was
     * delivered (false: it is still pending, e.g. EXITINTINFO on SVM).
     */
    bool (*event_delivered)(struct vcpu *v);
    /*
     * Optional (NULL: no re-injection is ever reported).  After
     * event_delivered(): take back the event of the guest's own that
     * the next entry would deliver again because the exit interrupted
     * its delivery; its vector and HVM_EVENT_* type (software events
     * as HVM_EVENT_SOFTWARE).  The backend undoes what the CPU did to
     * start it (with APICv, the vector goes from ISR back to IRR).
     * False when there is none.
     */
    bool (*take_reinjection)(struct vcpu *v, u8 *vector,
                             unsigned int *type);
    /*
     * Optional (NULL: no).  Before an entry, after PIR was moved into
     * IRR: true when the backend delivers the vlapic's pending
     * interrupts itself (VMX virtual-interrupt delivery), so the
     * software injection must not take them.
     */
    bool (*deliver_pending)(struct vcpu *v);
    /*
     * Optional (NULL: nothing to do).  The vIOAPIC changed which vectors
     * it sends level-triggered (an entry's trigger mode, delivery mode or
     * vector), after storing the entry and before delivering anything
     * through it: a backend that caches those vectors per vCPU while it
     * runs (VMX's EOI-exit bitmap) makes the running vCPUs refresh it.
     */
    void (*vioapic_levels_changed)(struct domain *d);
    /* Map guest frame gfn to machine frame mfn in the nested tables. */
    int (*map_gfn)(struct domain *d, u64 gfn, u64 mfn);
    void (*dump_vcpu)(struct vcpu *v);
};

extern const struct hvm_funcs *hvm_funcs;

/* Pick the backend for this CPU (SVM or VMX); false when there is none. */
bool hvm_setup(void);
/* Per pCPU, after hvm_setup. */
int hvm_cpu_up(unsigned int cpu);

int hvm_domain_initialise(struct domain *d);
void hvm_domain_destroy(struct domain *d);
int hvm_vcpu_initialise(struct vcpu *v);
void hvm_vcpu_destroy(struct vcpu *v);

/*
 * Run 'v' on this pCPU until the next exit that needs the scheduler or
 * until a softirq is pending.  Called from the pCPU loop, interrupts on.
 */
void hvm_vcpu_run(struct vcpu *v);

/* Start vCPU 0 of a domain built by hvm_build_domain. */
struct hvm_boot_state;
void hvm_vcpu_set_boot_state(struct vcpu *v, const struct hvm_boot_state *b);

/* One line of per-reason exit counts, for the debug dumps. */
void hvm_dump_exit_counters(const struct vcpu *v);

/* Crash the domain (guest error the hardware would not survive). */
void hvm_crash_domain(struct domain *d, const char *why);

/*
 * Raise exception 'vector' (error code 'error' where the vector has one)
 * in v at its next entry, after the exit's event bookkeeping: combined
 * with an event whose delivery the exit interrupted as the CPU would
 * (exception.c).
 */
void hvm_raise_exception(struct vcpu *v, u8 vector, u32 error);

/*
 * Something the run was asked to do failed outside any domain (a boot
 * module that could not be built): the run ends with status 1.
 */
void hvm_note_failure(void);

#endif /* ASM_X86_HVM_HVM_H */

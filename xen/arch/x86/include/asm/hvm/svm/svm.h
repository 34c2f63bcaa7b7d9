/*
 * The SVM backend's private state.
 */
#ifndef ASM_X86_HVM_SVM_SVM_H
#define ASM_X86_HVM_SVM_SVM_H

#include <xen/types.h>
#include <xen/spinlock.h>
#include <asm/hvm/svm/vmcb.h>

struct domain;

struct npt
{
    spinlock_t lock;
    u64 *root;
    unsigned long nr_mapped;
};

struct svm_vcpu
{
    struct vmcb *vmcb;
    u32 asid;
    bool asid_shared;           /* out of ASIDs: flush on every entry */
    int last_cpu;               /* flush the TLB when it moves */
    int injected;               /* vector of an injected ext. interrupt */
    /*
     * EFER as the guest sees it.  The VMCB holds LME only once long mode
     * is active (LMA): see svm_set_reg().
     */
    u64 guest_efer;
    bool flush_tlb;             /* an emulated CR write changed paging */
    /*
     * NMI blocking, which the VMCB does not hold (no V_NMI here): set
     * when an NMI is injected, ended by the guest's IRET,
     * seen through the IRET intercept.  That intercept comes before the
     * IRET runs, so the blocking lasts until RIP leaves the IRET
     * (iret_rip); an NMI waiting for that single-steps the guest over
     * it.  All of it belongs to this vCPU's own pCPU (entry/exit path).
     */
    bool nmi_blocked;
    bool iret_pending;
    u64 iret_rip;
    bool nmi_singlestep;        /* TF set by us, #DB intercepted */
    u64 singlestep_flags;       /* the guest's own TF and RF, and DR6 */
    u64 singlestep_dr6;
};

int npt_domain_init(struct domain *d);
void npt_domain_destroy(struct domain *d);
int npt_map_gfn(struct domain *d, u64 gfn, u64 mfn);
u64 npt_root_pa(const struct domain *d);

void svm_vmrun(u64 vmcb_pa, void *gprs, u64 host_vmcb_pa);

/* svm/intercept.c: exits the CPU does not describe without decode assists */
struct vcpu;
struct hvm_exit;
enum x86_insn_op;
extern bool svm_has_nrips;
void svm_insn_exit(struct vcpu *v, struct hvm_exit *e, enum x86_insn_op op);
/*
 * The same from the bytes at RIP only, for exits whose NRIP the APM
 * does not define (it is saved for instruction intercepts; a task
 * switch is not one, and the VMCB field may still hold an older exit's).
 */
void svm_insn_decode(struct vcpu *v, struct hvm_exit *e, enum x86_insn_op op);
void svm_cr_write(struct vcpu *v, unsigned int cr, struct hvm_exit *e);

#endif /* ASM_X86_HVM_SVM_SVM_H */

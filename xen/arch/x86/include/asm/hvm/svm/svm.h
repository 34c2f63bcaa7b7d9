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
};

int npt_domain_init(struct domain *d);
void npt_domain_destroy(struct domain *d);
int npt_map_gfn(struct domain *d, u64 gfn, u64 mfn);
u64 npt_root_pa(const struct domain *d);

void svm_vmrun(u64 vmcb_pa, void *gprs, u64 host_vmcb_pa);

#endif /* ASM_X86_HVM_SVM_SVM_H */

/*
 * The architectural rules for a guest's writes to CR0, CR4 and EFER,
 * shared by the backends: which bits the guest's CPUID lets it set, and
 * which combinations raise #GP (Intel SDM vol. 2 MOV CR and WRMSR, vol. 3
 * 2.5 and 4.1.1; AMD APM vol. 2 3.1 and vol. 3 MOV CRn).
 */
#ifndef ASM_X86_HVM_CR_H
#define ASM_X86_HVM_CR_H

#include <xen/types.h>
#include <asm/processor.h>

struct vcpu;

#define X86_CR0_MP      (1UL << 1)
#define X86_CR0_EM      (1UL << 2)
#define X86_CR0_TS      (1UL << 3)
#define X86_CR0_ET      (1UL << 4)
#define X86_CR0_NE      (1UL << 5)
#define X86_CR0_AM      (1UL << 18)
#define X86_CR0_NW      (1UL << 29)
#define X86_CR0_CD      (1UL << 30)

#define X86_CR4_VME         (1UL << 0)
#define X86_CR4_PVI         (1UL << 1)
#define X86_CR4_TSD         (1UL << 2)
#define X86_CR4_DE          (1UL << 3)
#define X86_CR4_PSE         (1UL << 4)
#define X86_CR4_MCE         (1UL << 6)
#define X86_CR4_PCE         (1UL << 8)
#define X86_CR4_OSFXSR      (1UL << 9)
#define X86_CR4_OSXMMEXCPT  (1UL << 10)
#define X86_CR4_UMIP        (1UL << 11)
#define X86_CR4_LA57        (1UL << 12)
#define X86_CR4_VMXE        (1UL << 13)
#define X86_CR4_SMXE        (1UL << 14)
#define X86_CR4_FSGSBASE    (1UL << 16)
#define X86_CR4_PCIDE       (1UL << 17)
#define X86_CR4_OSXSAVE     (1UL << 18)
#define X86_CR4_KL          (1UL << 19)
#define X86_CR4_SMEP        (1UL << 20)
#define X86_CR4_SMAP        (1UL << 21)
#define X86_CR4_PKE         (1UL << 22)
#define X86_CR4_CET         (1UL << 23)
#define X86_CR4_PKS         (1UL << 24)

#define EFER_LMA        (1UL << 10)
#define EFER_SVME       (1UL << 12)

/* The control-register bits the guest's CPUID policy lets it set. */
struct hvm_cr_policy
{
    u64 cr4_valid;
    u64 efer_valid;             /* LMA included when long mode is */
};

/* The guest's view of its control registers before a write. */
struct hvm_cr_regs
{
    u64 cr0, cr3, cr4, efer;
    bool cs_l;                  /* CS.L, the descriptor bit, any mode */
    u8 tr_type;                 /* TR's descriptor type (MOV to CR0) */
};

/* From CPUID leaves 1, 7.0 and 0x80000001 as the guest sees them. */
void hvm_cr_policy_from_cpuid(struct hvm_cr_policy *p,
                              const struct cpuid_regs *l1,
                              const struct cpuid_regs *l7,
                              const struct cpuid_regs *x1);
/* The same for v, through hvm_cpuid(). */
void hvm_cr_policy(struct vcpu *v, struct hvm_cr_policy *p);

/*
 * Each returns 0 when the write is legal, else the exception vector it
 * raises (always #GP(0)).  hvm_cr0_write and hvm_efer_write give EFER as
 * it is after the write in *efer: a CR0 write that turns paging on or
 * off sets or clears EFER.LMA, and a WRMSR cannot change LMA.
 */
int hvm_cr0_write(const struct hvm_cr_policy *p, const struct hvm_cr_regs *r,
                  u64 val, u64 *efer);
int hvm_cr4_write(const struct hvm_cr_policy *p, const struct hvm_cr_regs *r,
                  u64 val);
int hvm_efer_write(const struct hvm_cr_policy *p,
                   const struct hvm_cr_regs *r, u64 val, u64 *efer);

#endif /* ASM_X86_HVM_CR_H */

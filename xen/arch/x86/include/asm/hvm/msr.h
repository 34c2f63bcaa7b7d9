/*
 * The MSR policy for HVM guests.
 */
#ifndef ASM_X86_HVM_MSR_H
#define ASM_X86_HVM_MSR_H

#include <xen/types.h>

struct vcpu;

#define MSR_OK  0
#define MSR_GP  1   /* inject #GP(0) */

/*
 * IA32_MISC_ENABLE's bits that change what CPUID reports (SDM Vol. 4,
 * Table 2-2): CPUID.0:EAX at most 2, and the XD (NX) flag cleared.
 */
#define MISC_ENABLE_LIMIT_CPUID     (1ULL << 22)
#define MISC_ENABLE_XD_DISABLE      (1ULL << 34)

int hvm_msr_read(struct vcpu *v, u32 msr, u64 *val);
int hvm_msr_write(struct vcpu *v, u32 msr, u64 val);
/* Before each VM entry: the guest's MSRs the CPU uses without an exit. */
void hvm_msr_before_entry(struct vcpu *v);

#endif /* ASM_X86_HVM_MSR_H */

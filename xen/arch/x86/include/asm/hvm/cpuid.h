/*
 * The filtered CPUID policy for HVM guests.
 */
#ifndef ASM_X86_HVM_CPUID_H
#define ASM_X86_HVM_CPUID_H

#include <xen/types.h>
#include <asm/processor.h>

struct vcpu;

void hvm_cpuid(struct vcpu *v, u32 leaf, u32 sub, struct cpuid_regs *r);
/* The same before IA32_MISC_ENABLE's CPUID limits (msr.c) apply. */
void hvm_cpuid_base(struct vcpu *v, u32 leaf, u32 sub,
                    struct cpuid_regs *r);

/* Make the guest page-table walks model the CPU guests are shown. */
void hvm_cpuid_setup_walk(void);

#endif /* ASM_X86_HVM_CPUID_H */

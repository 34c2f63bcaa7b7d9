/*
 * The filtered CPUID policy for HVM guests.
 */
#ifndef ASM_X86_HVM_CPUID_H
#define ASM_X86_HVM_CPUID_H

#include <xen/types.h>
#include <asm/processor.h>

struct vcpu;

void hvm_cpuid(struct vcpu *v, u32 leaf, u32 sub, struct cpuid_regs *r);

#endif /* ASM_X86_HVM_CPUID_H */

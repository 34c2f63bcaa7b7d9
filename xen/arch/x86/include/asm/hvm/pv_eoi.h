/*
 * Paravirtual EOI through KVM's MSR and CPUID interface.
 */
#ifndef ASM_X86_HVM_PV_EOI_H
#define ASM_X86_HVM_PV_EOI_H

#include <xen/types.h>

struct vcpu;

#define MSR_KVM_PV_EOI_EN   0x4b564d04
#define KVM_FEATURE_PV_EOI  6

bool pv_eoi_offered(void);
int pv_eoi_msr_write(struct vcpu *v, u64 val);
int pv_eoi_msr_read(struct vcpu *v, u64 *val);
/* INIT: disabled again. */
void pv_eoi_reset(struct vcpu *v);
/* Interrupts off, after the injection decision. */
void pv_eoi_before_entry(struct vcpu *v);
/* After the exit, once the injection's fate is known. */
void pv_eoi_after_exit(struct vcpu *v);

#endif /* ASM_X86_HVM_PV_EOI_H */

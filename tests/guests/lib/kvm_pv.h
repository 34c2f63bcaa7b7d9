/*
 * KVM's paravirtual interface as a guest sees it (the part xen-lite
 * offers): the signature search and paravirtual EOI, done as Linux does.
 */
#ifndef GUEST_KVM_PV_H
#define GUEST_KVM_PV_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_KVM_PV_EOI_EN   0x4b564d04
#define KVM_FEATURE_PV_EOI  6

/*
 * The CPUID base of the "KVMKVMKVM" leaves (searched from 0x40000000 in
 * steps of 0x100, as Linux does), or 0.
 */
uint32_t kvm_cpuid_base(void);

/* Whether the KVM leaves offer PV EOI. */
bool kvm_pv_eoi_offered(void);

/*
 * The EOI of an interrupt handler with PV EOI: an atomic test-and-clear
 * of the flag (bit 0); only if it was clear is the EOI register written.
 * Returns true when the flag did the EOI.
 */
bool kvm_pv_eoi(volatile uint32_t *flag);

#endif /* GUEST_KVM_PV_H */

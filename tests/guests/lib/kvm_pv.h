/*
 * KVM's paravirtual interface as a guest sees it (the part xen-lite
 * offers): the signature search, paravirtual EOI, kvmclock and steal
 * time, done as Linux does (Documentation/virt/kvm/x86/msr.rst).
 */
#ifndef GUEST_KVM_PV_H
#define GUEST_KVM_PV_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_KVM_PV_EOI_EN   0x4b564d04
#define KVM_FEATURE_PV_EOI  6

#define MSR_KVM_WALL_CLOCK_NEW              0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW             0x4b564d01
#define MSR_KVM_STEAL_TIME                  0x4b564d03
#define KVM_FEATURE_CLOCKSOURCE2            3
#define KVM_FEATURE_STEAL_TIME              5
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT  24
#define PVCLOCK_TSC_STABLE_BIT              0x01
#define KVM_VCPU_PREEMPTED                  0x01

struct pvclock_vcpu_time_info
{
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad[2];
} __attribute__((packed, aligned(32)));

struct pvclock_wall_clock
{
    uint32_t version;
    uint32_t sec;
    uint32_t nsec;
} __attribute__((packed, aligned(4)));

struct kvm_steal_time
{
    uint64_t steal;
    uint32_t version;
    uint32_t flags;
    uint8_t preempted;
    uint8_t pad8[3];
    uint32_t pad[11];
} __attribute__((packed, aligned(64)));

/* One consistent read of a pvclock (the version protocol). */
struct pvclock_sample
{
    uint64_t ns;                /* kvmclock: ns since its epoch */
    uint64_t tsc;               /* the TSC the time was computed from */
    uint32_t version;           /* even: what both version reads gave */
    uint8_t flags;
};

/* CPUID 0x40000001 EAX of the KVM leaves, 0 when there are none. */
uint32_t kvm_features(void);
/* ns = ((delta << shift) * mul) >> 32, right shift for shift < 0. */
uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift);
void pvclock_read(const volatile struct pvclock_vcpu_time_info *p,
                  struct pvclock_sample *s);
/* 'steal' read with the version protocol; *version gets the version. */
uint64_t kvm_steal_read(const volatile struct kvm_steal_time *st,
                        uint32_t *version);

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

/*
 * KVM's paravirtual interface from the guest side: finding its CPUID
 * leaves and the paravirtual EOI of an interrupt handler.
 */
#include "kvm_pv.h"
#include "apic.h"
#include "x86.h"

uint32_t kvm_cpuid_base(void)
{
    for ( uint32_t base = 0x40000000; base < 0x40010000; base += 0x100 )
    {
        uint32_t a, b, c, d;

        cpuid(base, 0, &a, &b, &c, &d);
        if ( b == 0x4b4d564b && c == 0x564b4d56 && d == 0x4d )
            return base;
    }
    return 0;
}

bool kvm_pv_eoi_offered(void)
{
    uint32_t base = kvm_cpuid_base(), a, b, c, d;

    if ( !base )
        return false;
    cpuid(base + 1, 0, &a, &b, &c, &d);
    return a & (1u << KVM_FEATURE_PV_EOI);
}

bool kvm_pv_eoi(volatile uint32_t *flag)
{
    uint8_t was;

    /* As Linux's kvm_guest_apic_eoi_write: one locked bit test-and-reset. */
    asm volatile ( "lock btrl $0, %0; setc %1"
                   : "+m" (*flag), "=q" (was) :: "memory", "cc" );
    if ( was )
        return true;
    apic_eoi();
    return false;
}

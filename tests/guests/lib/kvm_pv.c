/*
 * KVM's paravirtual interface from the guest side: finding its CPUID
 * leaves, the paravirtual EOI of an interrupt handler, and reading
 * kvmclock and steal time with their version protocol.
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

uint32_t kvm_features(void)
{
    uint32_t base = kvm_cpuid_base(), a, b, c, d;

    if ( !base )
        return 0;
    cpuid(base + 1, 0, &a, &b, &c, &d);
    return a;
}

uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
    uint64_t lo, hi;

    if ( shift < 0 )
        delta >>= -shift;
    else
        delta <<= shift;
    /* The top 64 bits of a 96-bit product, in 32-bit pieces. */
    lo = (uint64_t)(uint32_t)delta * mul;
    hi = (delta >> 32) * mul;
    return hi + (lo >> 32);
}

/*
 * As Linux's pvclock_clocksource_read(): version, fields and TSC, version
 * again; retry while it is odd (an update in progress) or moved.  Loads
 * are not reordered with loads on x86, so compiler barriers suffice.
 */
void pvclock_read(const volatile struct pvclock_vcpu_time_info *p,
                  struct pvclock_sample *s)
{
    uint32_t v;

    do {
        v = p->version;
        barrier();
        s->tsc = rdtsc();
        s->ns = p->system_time +
                pvclock_scale(s->tsc - p->tsc_timestamp,
                              p->tsc_to_system_mul, p->tsc_shift);
        s->flags = p->flags;
        barrier();
    } while ( (v & 1) || v != p->version );
    s->version = v;
}

uint64_t kvm_steal_read(const volatile struct kvm_steal_time *st,
                        uint32_t *version)
{
    uint32_t v;
    uint64_t steal;

    do {
        v = st->version;
        barrier();
        steal = st->steal;
        barrier();
    } while ( (v & 1) || v != st->version );
    if ( version )
        *version = v;
    return steal;
}

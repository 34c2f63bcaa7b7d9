/*
 * The arithmetic of KVM's pvclock (Documentation/virt/kvm/x86/msr.rst,
 * MSR_KVM_SYSTEM_TIME_NEW): how a guest turns a TSC delta into
 * nanoseconds with the structure's mul and shift, and how the hypervisor
 * picks them for its TSC frequency.
 */
#include <xen/lib.h>
#include <asm/hvm/kvmclock.h>

#define NS_PER_SEC      1000000000ULL
#define PAGE_BYTES      4096ULL

/*
 * ns = delta * 2^shift * mul / 2^32, so mul = 2^32 * 1e9 / (f * 2^shift)
 * with f in Hz.  mul must fit in 32 bits and should use all of them for
 * precision: pick the shift that puts d = f * 2^shift in (1e9, 2e9],
 * which puts mul in [2^31, 2^32).  For a TSC above 2 GHz d drops the
 * low bits of f, an error below 2^-30 (a nanosecond a second at most).
 */
void pvclock_scale_for_khz(u64 khz, u32 *mul, s8 *shift)
{
    u64 d = khz ? khz * 1000 : 1;
    int s = 0;

    while ( d <= NS_PER_SEC )
    {
        d <<= 1;
        s++;
    }
    while ( d > 2 * NS_PER_SEC )
    {
        d >>= 1;
        s--;
    }
    *shift = (s8)s;
    *mul = (u32)((NS_PER_SEC << 32) / d);
}

u64 pvclock_scale_delta(u64 delta, u32 mul, s8 shift)
{
    if ( shift < 0 )
        delta >>= -shift;
    else
        delta <<= shift;
    return (u64)(((unsigned __int128)delta * mul) >> 32);
}

bool pvclock_in_one_page(u64 gpa, u64 len)
{
    return len && (gpa & (PAGE_BYTES - 1)) + len <= PAGE_BYTES;
}

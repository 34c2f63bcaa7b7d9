/*
 * Local APIC access in xAPIC (MMIO) and x2APIC (MSR) mode, chosen per CPU
 * by apic_setup(). x2APIC quirks handled here: ICR is one 64-bit MSR, the
 * EOI write must be 0, DFR does not exist and LDR is read-only.
 */
#include "apic.h"
#include "smp.h"
#include "test.h"

#define APIC_BASE_EXTD      (1u << 10)
#define APIC_BASE_EN        (1u << 11)
#define APIC_BASE_ADDR      0xfffff000u

static uint32_t xapic_base = 0xfee00000u;

bool apic_has_x2apic(void)
{
    return cpuid_ecx(1) & CPUID1_ECX_X2APIC;
}

bool apic_is_x2apic(void)
{
    return this_cpu()->x2apic;
}

const char *apic_mode_name(enum apic_mode mode)
{
    return mode == APIC_MODE_X2APIC ? "x2APIC" : "xAPIC";
}

uint32_t apic_read(unsigned int reg)
{
    if ( this_cpu()->x2apic )
        return (uint32_t)rdmsr(0x800 + (reg >> 4));
    return mmio_read32(xapic_base + reg);
}

void apic_write(unsigned int reg, uint32_t v)
{
    if ( this_cpu()->x2apic )
        wrmsr(0x800 + (reg >> 4), v);
    else
        mmio_write32(xapic_base + reg, v);
}

uint32_t apic_id(void)
{
    if ( this_cpu()->x2apic )
        return (uint32_t)rdmsr(0x802);
    return mmio_read32(xapic_base + APIC_ID) >> 24;
}

void apic_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

static void xapic_wait_idle(void)
{
    unsigned int spins;

    for ( spins = 0; spins < 10000000; spins++ )
    {
        if ( !(mmio_read32(xapic_base + APIC_ICR) & APIC_DS_BUSY) )
            return;
        cpu_relax();
    }
    test_fail("ICR delivery status stuck busy on cpu %u", smp_cpu());
}

void apic_icr(uint32_t dest, uint32_t low)
{
    uint32_t f;

    if ( this_cpu()->x2apic )
    {
        wrmsr(0x830, ((uint64_t)dest << 32) | low);
        return;
    }

    /*
     * Two MMIO writes: an interrupt handler sending an IPI between them
     * would change ICR2 under us, so keep interrupts off across the pair.
     */
    f = read_eflags();
    cli();
    xapic_wait_idle();
    mmio_write32(xapic_base + APIC_ICR2, dest << 24);
    mmio_write32(xapic_base + APIC_ICR, low);
    xapic_wait_idle();
    write_eflags(f);
}

void apic_self_ipi_msr(uint8_t vec)
{
    wrmsr(0x83f, vec);
}

bool apic_vec_set(unsigned int base, unsigned int vec)
{
    return apic_read(base + 0x10 * (vec / 32)) & (1u << (vec % 32));
}

int apic_vec_highest(unsigned int base)
{
    int i;

    for ( i = 7; i >= 0; i-- )
    {
        uint32_t w = apic_read(base + 0x10 * i);

        if ( w )
            return i * 32 + 31 - __builtin_clz(w);
    }
    return -1;
}

void apic_setup(enum apic_mode mode)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    unsigned int i;

    if ( mode == APIC_MODE_X2APIC )
    {
        if ( !apic_has_x2apic() )
            test_fail("x2APIC mode requested but CPUID.1:ECX[21] is clear");
        /* xAPIC enabled first: disabled -> x2APIC directly is invalid. */
        if ( !(base & APIC_BASE_EN) )
            wrmsr(MSR_APIC_BASE, base |= APIC_BASE_EN);
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
    }
    else
    {
        /* Leaving x2APIC mode requires a pass through "disabled". */
        if ( base & APIC_BASE_EXTD )
        {
            base &= ~(uint64_t)(APIC_BASE_EN | APIC_BASE_EXTD);
            wrmsr(MSR_APIC_BASE, base);
        }
        if ( !(base & APIC_BASE_EN) )
            wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN);
        xapic_base = (uint32_t)base & APIC_BASE_ADDR;
    }
    this_cpu()->x2apic = mode == APIC_MODE_X2APIC;

    apic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
    apic_write(APIC_TPR, 0);
    if ( mode == APIC_MODE_XAPIC )
    {
        apic_write(APIC_DFR, APIC_DFR_FLAT);
        apic_write(APIC_LDR, 0);
    }
    apic_write(APIC_LVTT, APIC_LVT_MASKED);
    apic_write(APIC_TMICT, 0);
    apic_write(APIC_LINT0, APIC_LVT_MASKED);
    apic_write(APIC_LVT_ERR, APIC_LVT_MASKED);
    apic_write(APIC_ESR, 0);
    (void)apic_read(APIC_ESR);

    /* Whatever firmware left in service must not block our vectors. */
    for ( i = 0; i < 256 && apic_vec_highest(APIC_ISR) >= 0; i++ )
        apic_eoi();

    this_cpu()->apic_id = apic_id();
}

/*
 * TSC and LAPIC timer frequency discovery and TSC-based delays.
 *
 * Both calibrations compare two counters over a ~10 ms window, and both
 * must survive an emulator thread being descheduled at any moment (the
 * project's machines are small and busy). So each end of the window is a
 * "bracketed" sample: TSC, then the other counter, then TSC again. The
 * sample's time is the midpoint and its uncertainty the width; a
 * preemption in the middle of a read only widens that sample, and one in
 * between the two ends costs nothing because both counters keep running.
 * A run is accepted when the two widths together are under 0.1 % of the
 * window, else the best of several runs is used.
 *
 * PIT: channel 2 in mode 0 from 0xffff, gate (port 0x61 bit 0) on and the
 * speaker off, read with the counter-latch command.
 */
#include "apic.h"
#include "console.h"
#include "string.h"
#include "test.h"
#include "time.h"

#define PIT_HZ          1193182u
#define PIT_LATCH       11932u          /* ~10 ms of PIT ticks */
#define CAL_TRIES       10

uint32_t tsc_khz, lapic_khz;
const char *tsc_source = "none", *lapic_source = "none";
static uint32_t leaf_lapic_khz;

uint64_t tsc_to_us(uint64_t t)
{
    return muldiv64(t, 1000, tsc_khz);
}

uint64_t tsc_to_ns(uint64_t t)
{
    return muldiv64(t, 1000000, tsc_khz);
}

uint64_t us_to_lapic(uint64_t us)
{
    return muldiv64(us, lapic_khz, 1000);
}

void udelay(uint64_t us)
{
    uint64_t end = deadline_us(us);

    while ( rdtsc() < end )
        cpu_relax();
}

bool wait_u32(volatile uint32_t *flag, uint32_t want, uint64_t timeout_us)
{
    uint64_t end = deadline_us(timeout_us);

    for ( ;; )
    {
        if ( *flag >= want )
            return true;
        if ( rdtsc() >= end )
            return *flag >= want;
        cpu_relax();
    }
}

static bool timing_leaf(uint32_t *tsc, uint32_t *bus)
{
    uint32_t a, b, c, d;

    uint32_t sig[4];

    if ( !(cpuid_ecx(1) & CPUID1_ECX_HYPERVISOR) )
        return false;
    cpuid(0x40000000, 0, &a, &sig[0], &sig[1], &sig[2]);
    sig[3] = 0;
    printf("time: hypervisor CPUID leaves up to %#x, signature \"%s\"\n",
           a, (const char *)sig);
    if ( a < 0x40000010 || a > 0x400000ff )
        return false;
    cpuid(0x40000010, 0, &a, &b, &c, &d);
    if ( !a )
        return false;
    *tsc = a;
    *bus = b;
    return true;
}

struct sample
{
    uint64_t tsc, width;
    uint32_t count;
};

static void pit_sample(struct sample *sm)
{
    uint64_t a, b;
    uint8_t lo, hi;

    a = rdtsc();
    outb(0x43, 0x80);                   /* latch channel 2 */
    lo = inb(0x42);
    hi = inb(0x42);
    b = rdtsc();
    sm->count = lo | (hi << 8);
    sm->tsc = a + (b - a) / 2;
    sm->width = b - a;
}

static void lapic_sample(struct sample *sm)
{
    uint64_t a, b;

    a = rdtsc();
    sm->count = apic_read(APIC_TMCCT);
    b = rdtsc();
    sm->tsc = a + (b - a) / 2;
    sm->width = b - a;
}

/* One PIT window; returns false if no usable end sample was found. */
static bool pit_run(uint64_t *tsc, uint32_t *ticks, uint64_t *err)
{
    struct sample s0, s1;
    uint64_t min_w;
    unsigned int spins;

    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xb0);                   /* ch 2, lo/hi byte, mode 0 */
    outb(0x42, 0xff);
    outb(0x42, 0xff);

    /* Start sample: the narrowest of a few, once the count is running. */
    pit_sample(&s0);
    for ( spins = 0; spins < 4 || s0.count >= 0xfff0; spins++ )
    {
        struct sample t;

        if ( spins > 100000 )
            test_fail("PIT channel 2 does not count: no PIT to calibrate "
                      "the TSC and no timing leaf 0x40000010");
        pit_sample(&t);
        if ( t.count < 0xfff0 && (s0.count >= 0xfff0 || t.width < s0.width) )
            s0 = t;
    }
    min_w = s0.width;

    /* End sample: past 10 ms, and no wider than twice the best read. */
    for ( spins = 0; ; spins++ )
    {
        pit_sample(&s1);
        if ( s1.width < min_w )
            min_w = s1.width;
        if ( s1.count > s0.count || s1.count < 0x1000 || spins > 10000000 )
            return false;               /* wrapped, ran out, or stuck */
        if ( s0.count - s1.count >= PIT_LATCH && s1.width <= 2 * min_w )
            break;
    }
    *tsc = s1.tsc - s0.tsc;
    *ticks = s0.count - s1.count;
    *err = s0.width + s1.width;
    return true;
}

void time_init(void)
{
    uint32_t bus, ticks, best_ticks = 0;
    uint64_t tsc, err, best_tsc = 0, best_err = ~0ull;
    unsigned int i;

    if ( timing_leaf(&tsc_khz, &bus) )
    {
        tsc_source = "CPUID 0x40000010";
        leaf_lapic_khz = bus;
    }
    else
    {
        for ( i = 0; i < CAL_TRIES; i++ )
        {
            if ( !pit_run(&tsc, &ticks, &err) )
                continue;
            /* Compare relative errors err/tsc without dividing. */
            if ( !best_tsc || err * best_tsc < best_err * tsc )
            {
                best_tsc = tsc;
                best_ticks = ticks;
                best_err = err;
            }
            if ( best_err * 1000 < best_tsc )
                break;
        }
        if ( !best_tsc )
            test_fail("PIT calibration failed %u times", CAL_TRIES);
        tsc_khz = (uint32_t)muldiv64(best_tsc, PIT_HZ, best_ticks * 1000);
        tsc_source = "PIT";
    }
    if ( !tsc_khz )
        test_fail("TSC frequency is 0 (%s)", tsc_source);
    printf("time: TSC %u kHz (%s)\n", tsc_khz, tsc_source);
}

void lapic_timer_calibrate(void)
{
    uint64_t best_tsc = 0, best_err = ~0ull;
    uint32_t best_counts = 0;
    unsigned int i;

    if ( leaf_lapic_khz )
    {
        lapic_khz = leaf_lapic_khz;
        lapic_source = "CPUID 0x40000010";
    }
    else
    {
        /* Count down from the top, timer masked, for ~10 ms of TSC. */
        for ( i = 0; i < CAL_TRIES; i++ )
        {
            struct sample s0, s1;
            uint64_t end, err;

            apic_write(APIC_LVTT, APIC_LVT_MASKED);
            apic_write(APIC_TDCR, APIC_TDCR_DIV1);
            apic_write(APIC_TMICT, 0xffffffffu);
            lapic_sample(&s0);
            end = s0.tsc + us_to_tsc(10000);
            while ( rdtsc() < end )
                cpu_relax();
            lapic_sample(&s1);
            apic_write(APIC_TMICT, 0);
            if ( s1.count >= s0.count )
                test_fail("LAPIC timer does not count down (%u -> %u)",
                          s0.count, s1.count);
            if ( (s1.tsc - s0.tsc) >> 32 )
                continue;
            err = s0.width + s1.width;
            if ( !best_tsc || err * best_tsc < best_err * (s1.tsc - s0.tsc) )
            {
                best_tsc = s1.tsc - s0.tsc;
                best_counts = s0.count - s1.count;
                best_err = err;
            }
            if ( best_err * 1000 < best_tsc )
                break;
        }
        if ( !best_tsc )
            test_fail("LAPIC timer calibration failed %u times", CAL_TRIES);
        lapic_khz = (uint32_t)muldiv64(best_counts, tsc_khz,
                                       (uint32_t)best_tsc);
        lapic_source = "TSC";
    }
    if ( !lapic_khz )
        test_fail("LAPIC timer frequency is 0 (%s)", lapic_source);
    printf("time: LAPIC timer %u kHz at divide 1 (%s)\n", lapic_khz,
           lapic_source);
}

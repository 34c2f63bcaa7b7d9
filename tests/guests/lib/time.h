/*
 * TSC and LAPIC-timer frequencies and TSC-based delays. The frequencies
 * come from the hypervisor timing leaf 0x40000010 (EAX = TSC kHz, EBX =
 * LAPIC bus kHz) when CPUID says a hypervisor offers it, otherwise from
 * calibrating the TSC against PIT channel 2 and the LAPIC timer against
 * the TSC.
 */
#ifndef GUEST_TIME_H
#define GUEST_TIME_H

#include "string.h"
#include "x86.h"

extern uint32_t tsc_khz;        /* TSC ticks per millisecond */
extern uint32_t lapic_khz;      /* LAPIC timer ticks per ms at divide 1 */
extern const char *tsc_source, *lapic_source;

/* Find tsc_khz; call once on the BSP before any timeout is used. */
void time_init(void);
/* Find lapic_khz; this CPU's LAPIC must be set up. */
void lapic_timer_calibrate(void);

static inline uint64_t us_to_tsc(uint64_t us)
{
    return muldiv64(us, tsc_khz, 1000);
}

uint64_t tsc_to_us(uint64_t t);
uint64_t tsc_to_ns(uint64_t t);
uint64_t us_to_lapic(uint64_t us);

/* TSC value us microseconds from now. */
static inline uint64_t deadline_us(uint64_t us)
{
    return rdtsc() + us_to_tsc(us);
}

void udelay(uint64_t us);

/*
 * Spin until *flag reaches at least want, or timeout_us passes. Returns
 * whether it did.
 */
bool wait_u32(volatile uint32_t *flag, uint32_t want, uint64_t timeout_us);

#endif /* GUEST_TIME_H */

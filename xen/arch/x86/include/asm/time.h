/*
 * Boot-time clock setup: TSC calibration and the per-pCPU timer interrupt.
 */
#ifndef ASM_X86_TIME_H
#define ASM_X86_TIME_H

#include <xen/types.h>

/* Record the TSC at entry, so system time counts from boot. */
void time_early_init(void);
/* Calibrate the TSC against the PIT or ACPI PM timer (port 0 = none). */
void tsc_calibrate(u32 pm_tmr_port, bool pm_tmr_32bit);
/* Choose the timer mode and calibrate the LAPIC timer if needed. */
void lapic_timer_init(void);
void lapic_timer_cpu_init(void);
/* System time at which the host TSC reads 'tsc' (0 before boot). */
s_time_t tsc_to_s_time(u64 tsc);
u64 s_time_to_tsc(s_time_t t);
/* Read the host's RTC once: the base of wall-clock time (host_rtc.c). */
void host_rtc_init(void);
/* This pCPU's hardware timer deadline in TSC ticks, 0 when none is set. */
u64 timer_deadline_tsc(void);

#endif /* ASM_X86_TIME_H */

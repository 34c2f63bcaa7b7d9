/*
 * System time: nanoseconds since boot, derived from the TSC.
 */
#ifndef XEN_TIME_H
#define XEN_TIME_H

#include <xen/types.h>

#define MILLISECS(ms)   ((s_time_t)(ms) * 1000000LL)
#define MICROSECS(us)   ((s_time_t)(us) * 1000LL)
#define SECONDS(s)      ((s_time_t)(s) * 1000000000LL)
/* Later than any time a running system reaches: "never". */
#define STIME_MAX       ((s_time_t)0x7fffffffffffffffLL)

/* Nanoseconds since the TSC was calibrated; 0 before that. */
s_time_t get_s_time(void);
#define NOW() get_s_time()

/* TSC frequency in kHz, 0 before calibration. */
extern u64 cpu_khz;

void udelay(unsigned long usecs);

/*
 * Arm this pCPU's hardware timer to fire at system time 'timeout' (0 =
 * disarm).  Returns false when the time has already passed.
 */
bool reprogram_timer(s_time_t timeout);

#endif /* XEN_TIME_H */

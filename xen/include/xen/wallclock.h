/*
 * Wall-clock time: the host's RTC read once at boot, advanced with system
 * time, and the calendar arithmetic (proleptic Gregorian, UTC) the
 * virtual RTC and kvmclock need.
 */
#ifndef XEN_WALLCLOCK_H
#define XEN_WALLCLOCK_H

#include <xen/types.h>

#define NS_PER_SECOND   1000000000ULL

struct rtc_time
{
    unsigned int year;          /* e.g. 2026 */
    unsigned int mon;           /* 1-12 */
    unsigned int mday;          /* 1-31 */
    unsigned int hour, min, sec;
    unsigned int wday;          /* 0 = Sunday */
};

/* Days since 1970-01-01 of a date (month and day already in range). */
s64 days_from_civil(s64 year, unsigned int mon, unsigned int mday);
/* Seconds since the epoch of t (fields clamped to their ranges first). */
u64 rtc_time_to_secs(const struct rtc_time *t);
/* The calendar fields of a time in seconds since the epoch. */
void secs_to_rtc_time(u64 secs, struct rtc_time *t);
unsigned int days_in_month(unsigned int year, unsigned int mon);

/* The host's clock said 'secs' (since the epoch) at system time 'at'. */
void wallclock_set(u64 secs, s_time_t at);
/* Nanoseconds since the epoch at system time t. */
u64 wallclock_ns(s_time_t t);

#endif /* XEN_WALLCLOCK_H */

/*
 * Wall-clock time and the calendar: the base the host's RTC gave at boot
 * (arch/x86/host_rtc.c sets it), and conversions between seconds since
 * 1970-01-01 00:00:00 UTC and calendar fields.
 *
 * The base is written once on the boot CPU before any domain exists and
 * only read afterwards, so it needs no lock.
 */
#include <xen/lib.h>
#include <xen/wallclock.h>

static u64 base_secs;
static s_time_t base_at;

static bool leap(s64 y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned int days_in_month(unsigned int year, unsigned int mon)
{
    static const u8 days[12] = { 31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31 };

    if ( mon < 1 || mon > 12 )
        return 31;
    return days[mon - 1] + (mon == 2 && leap(year));
}

/*
 * Count from 0000-03-01 so that the leap day ends each 'year': a 400-year
 * era has 146097 days, and a year's day is a linear function of the
 * month (153 days per 5 months from March).
 */
s64 days_from_civil(s64 y, unsigned int m, unsigned int d)
{
    s64 era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static unsigned int clamp_u(unsigned int v, unsigned int lo, unsigned int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

u64 rtc_time_to_secs(const struct rtc_time *t)
{
    unsigned int year = clamp_u(t->year, 1970, 9999);
    unsigned int mon = clamp_u(t->mon, 1, 12);
    unsigned int mday = clamp_u(t->mday, 1, days_in_month(year, mon));
    s64 days = days_from_civil(year, mon, mday);

    return (u64)days * 86400 + clamp_u(t->hour, 0, 23) * 3600 +
           clamp_u(t->min, 0, 59) * 60 + clamp_u(t->sec, 0, 59);
}

void secs_to_rtc_time(u64 secs, struct rtc_time *t)
{
    u64 days = secs / 86400, rem = secs % 86400;
    u64 z = days + 719468, era = z / 146097, doe = z % 146097;
    u64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    u64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    u64 mp = (5 * doy + 2) / 153;

    t->mday = doy - (153 * mp + 2) / 5 + 1;
    t->mon = mp < 10 ? mp + 3 : mp - 9;
    t->year = yoe + era * 400 + (t->mon <= 2);
    t->hour = rem / 3600;
    t->min = rem / 60 % 60;
    t->sec = rem % 60;
    t->wday = (days + 4) % 7;           /* 1970-01-01 was a Thursday */
}

void wallclock_set(u64 secs, s_time_t at)
{
    base_secs = secs;
    base_at = at;
}

u64 wallclock_ns(s_time_t t)
{
    s64 since = t - base_at;
    u64 ns = base_secs * NS_PER_SECOND;

    /* Before the base was taken (a guest cannot get there): clamp. */
    if ( since < 0 && (u64)-since > ns )
        return 0;
    return ns + since;
}

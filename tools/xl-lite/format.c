/*
 * xl-lite's output formats (format.h): each line built exactly as xl
 * prints it, so scripts that parse xl's output can parse xl-lite's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

static char *vappend(char *buf, size_t size, const char *fmt, va_list ap)
{
    size_t used = strnlen(buf, size);

    if ( used + 1 < size )
        vsnprintf(buf + used, size - used, fmt, ap);
    return buf;
}

char *xlf_append(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vappend(buf, size, fmt, ap);
    va_end(ap);
    return buf;
}

char *xlf_list_header(char *buf, size_t size, bool verbose)
{
    xlf_append(buf, size, "Name                                        ID"
               "   Mem VCPUs\tState\tTime(s)");
    if ( verbose )
        xlf_append(buf, size, "   UUID                            "
                   "Reason-Code\tSecurity Label");
    return xlf_append(buf, size, "\n");
}

char *xlf_list_row(char *buf, size_t size, const char *name,
                   const struct xen_domctl_getdomaininfo *info,
                   bool verbose)
{
    /* Xen's shutdown codes: poweroff, reboot, suspend, crash, ... */
    static const char reasons[] = "-rscwS";
    bool shut = info->flags & XEN_DOMINF_shutdown;
    unsigned int reason = (info->flags >> XEN_DOMINF_shutdownshift) & 0xff;
    const uint8_t *u = info->handle;

    xlf_append(buf, size, "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f",
               name, (int)info->domain,
               (unsigned long)(info->tot_pages / 256),
               (int)info->nr_online_vcpus,
               info->flags & XEN_DOMINF_running ? 'r' : '-',
               info->flags & XEN_DOMINF_blocked ? 'b' : '-',
               info->flags & XEN_DOMINF_paused ? 'p' : '-',
               shut ? 's' : '-',
               !shut ? '-' : reason < sizeof(reasons) - 1 ? reasons[reason]
                                                          : '?',
               info->flags & XEN_DOMINF_dying ? 'd' : '-',
               (double)info->cpu_time / 1e9);
    if ( verbose )
    {
        xlf_append(buf, size, " %02x%02x%02x%02x-%02x%02x-%02x%02x-"
                   "%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
                   u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
                   u[12], u[13], u[14], u[15]);
        if ( shut )
            xlf_append(buf, size, " %8x", reason);
        else
            xlf_append(buf, size, " %8s", "-");
        /* xen-lite has no security labels: xl's "-" for none. */
        xlf_append(buf, size, " %16s", "-");
    }
    return xlf_append(buf, size, "\n");
}

char *xlf_bitmap(char *buf, size_t size, const struct xll_cpumap *map,
                 unsigned int nr_bits)
{
    unsigned int i, start, count = 0;
    bool first = true;

    if ( nr_bits > XLL_MAX_CPUS )
        nr_bits = XLL_MAX_CPUS;
    for ( i = 0; i < nr_bits; i++ )
        count += xll_cpumap_test(map, i);
    if ( nr_bits && count == nr_bits )
        return xlf_append(buf, size, "all");
    if ( !count )
        return xlf_append(buf, size, "none");
    for ( i = 0; i < nr_bits; i++ )
    {
        if ( !xll_cpumap_test(map, i) )
            continue;
        start = i;
        while ( i + 1 < nr_bits && xll_cpumap_test(map, i + 1) )
            i++;
        xlf_append(buf, size, first ? "" : ",");
        first = false;
        if ( start == i )
            xlf_append(buf, size, "%u", i);
        else
            xlf_append(buf, size, "%u-%u", start, i);
    }
    return buf;
}

char *xlf_vcpu_header(char *buf, size_t size)
{
    return xlf_append(buf, size, "%-32s %5s %5s %5s %5s %9s %s\n", "Name",
                      "ID", "VCPU", "CPU", "State", "Time(s)",
                      "Affinity (Hard / Soft)");
}

char *xlf_vcpu_row(char *buf, size_t size, const char *name,
                   uint32_t domid, const struct xen_domctl_getvcpuinfo *vi,
                   const struct xll_cpumap *hard, unsigned int nr_cpus)
{
    struct xll_cpumap soft;

    xlf_append(buf, size, "%-32s %5u %5u", name, domid, vi->vcpu);
    if ( !vi->online )
        xlf_append(buf, size, "%5c %3c%cp ", '-', '-', '-');
    else
        xlf_append(buf, size, "%5u %3c%c- ", vi->cpu,
                   vi->running ? 'r' : '-', vi->blocked ? 'b' : '-');
    xlf_append(buf, size, "%9.1f  ", (double)vi->cpu_time / 1e9);
    xlf_bitmap(buf, size, hard, nr_cpus);
    xlf_append(buf, size, " / ");
    /* xen-lite has no soft affinity: every pCPU, as xl's default. */
    memset(&soft, 0xff, sizeof(soft));
    xlf_bitmap(buf, size, &soft, nr_cpus);
    return xlf_append(buf, size, "\n");
}

char *xlf_info_line(char *buf, size_t size, const char *key,
                    const char *fmt, ...)
{
    va_list ap;

    xlf_append(buf, size, "%-23s: ", key);
    va_start(ap, fmt);
    vappend(buf, size, fmt, ap);
    va_end(ap);
    return xlf_append(buf, size, "\n");
}

char *xlf_sched_pool(char *buf, size_t size, const char *pool,
                     unsigned int tslice_ms, unsigned int ratelimit_us,
                     unsigned int migration_delay_us)
{
    return xlf_append(buf, size, "Cpupool %s: tslice=%dms ratelimit=%dus "
                      "migration-delay=%dus\n", pool, (int)tslice_ms,
                      (int)ratelimit_us, (int)migration_delay_us);
}

char *xlf_sched_header(char *buf, size_t size)
{
    return xlf_append(buf, size, "%-33s %4s %6s %4s\n", "Name", "ID",
                      "Weight", "Cap");
}

char *xlf_sched_row(char *buf, size_t size, const char *name,
                    uint32_t domid, unsigned int weight, unsigned int cap)
{
    return xlf_append(buf, size, "%-33s %4d %6d %4d\n", name, (int)domid,
                      (int)weight, (int)cap);
}

char *xlf_uptime_header(char *buf, size_t size)
{
    return xlf_append(buf, size, "%-33s %4s %s\n", "Name", "ID", "Uptime");
}

char *xlf_uptime_string(char *buf, size_t size, uint64_t seconds,
                        bool short_mode)
{
    unsigned int day = seconds / 86400, hour = seconds / 3600 % 24;
    unsigned int min = seconds / 60 % 60, sec = seconds % 60;

    if ( day )
        xlf_append(buf, size, "%u day%s, ", day, day > 1 ? "s" : "");
    if ( short_mode )
        return xlf_append(buf, size, "%2u:%02u", hour, min);
    return xlf_append(buf, size, "%2u:%02u:%02u", hour, min, sec);
}

char *xlf_uptime_row(char *buf, size_t size, const char *name,
                     uint32_t domid, uint64_t seconds)
{
    char up[64] = "";

    xlf_uptime_string(up, sizeof(up), seconds, false);
    return xlf_append(buf, size, "%-33s %4d %s\n", name, (int)domid, up);
}

/*
 * The commands about the host and the hypervisor: info, dmesg,
 * debug-keys and sched-credit, in xl's formats (format.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "format.h"
#include "xl.h"

#define DMESG_CHUNK     16384u

static void put(const char *s)
{
    fputs(s, stdout);
}

#define LINE(key, ...)                                                  \
    do {                                                                \
        line[0] = '\0';                                                 \
        put(xlf_info_line(line, sizeof(line), key, __VA_ARGS__));       \
    } while ( 0 )

int cmd_info(int argc, char **argv)
{
    struct xen_sysctl_physinfo pi;
    struct utsname u;
    char line[XLF_LINE], caps[64] = "";

    while ( xl_getopt(argc, argv, "") != -1 )
        ;
    if ( optind < argc )
        xl_usage_error("'%s' is extra", argv[optind]);
    xl_check(xll_physinfo(xl_handle(), &pi), "physinfo");
    if ( uname(&u) )
        xl_die("uname: %m");
    if ( pi.capabilities & XEN_SYSCTL_PHYSCAP_hvm )
        strcat(caps, " hvm");

    /* xl's lines and order; lines xen-lite has no value for are left
     * out (docs/xl-lite.md lists them). */
    LINE("host", "%s", u.nodename);
    LINE("release", "%s", u.release);
    LINE("version", "%s", u.version);
    LINE("machine", "%s", u.machine);
    LINE("nr_cpus", "%d", (int)pi.nr_cpus);
    LINE("max_cpu_id", "%d", (int)pi.max_cpu_id);
    LINE("cpu_mhz", "%d.%03d", (int)(pi.cpu_khz / 1000),
         (int)(pi.cpu_khz % 1000));
    /* xl prints each capability after a space: none after the colon. */
    LINE("virt_caps", "%s", caps[0] ? caps + 1 : caps);
    LINE("total_memory", "%llu",
         (unsigned long long)(pi.total_pages / 256));
    LINE("free_memory", "%llu", (unsigned long long)(pi.free_pages / 256));
    /* xen-lite has no claims and no CPU pools: all pCPUs are in use. */
    LINE("outstanding_claims", "%d", 0);
    LINE("free_cpus", "%d", 0);
    LINE("xen_scheduler", "%s", "credit");
    LINE("xen_pagesize", "%d", 4096);
    LINE("xend_config_format", "%d", 4);
    return 0;
}

int cmd_dmesg(int argc, char **argv)
{
    bool clear = false;
    uint64_t index = 0;
    char *buf = malloc(DMESG_CHUNK);
    int c, n;

    while ( (c = xl_getopt(argc, argv, "c")) != -1 )
        if ( c == 'c' )
            clear = true;
    if ( optind < argc )
        xl_usage_error("'%s' is extra", argv[optind]);
    if ( !buf )
        xl_die("out of memory");
    for ( ;; )
    {
        n = xll_readconsole(xl_handle(), false, true, &index, buf,
                            DMESG_CHUNK);
        xl_check(n, "readconsole");
        fwrite(buf, 1, n, stdout);
        /*
         * A short read reached what was written when it was made: stop
         * there.  Reading on until a read comes back empty would never
         * end when our own output reaches the ring (dom0's console is
         * the hypervisor's serial line, which the ring records).
         */
        if ( n < (int)DMESG_CHUNK )
            break;
    }
    if ( clear )
    {
        /* Whatever arrived since the last read, then the ring emptied. */
        n = xll_readconsole(xl_handle(), true, true, &index, buf,
                            DMESG_CHUNK);
        xl_check(n, "readconsole");
        fwrite(buf, 1, n, stdout);
    }
    free(buf);
    return 0;
}

int cmd_debug_keys(int argc, char **argv)
{
    int rc;

    while ( xl_getopt(argc, argv, "") != -1 )
        ;
    if ( optind >= argc )
        xl_usage_error("no KEYS given");
    if ( optind + 1 < argc )
        xl_usage_error("'%s' is extra", argv[optind + 1]);
    if ( !*argv[optind] || strlen(argv[optind]) > XEN_SYSCTL_DEBUG_KEYS_MAX )
        xl_usage_error("KEYS '%s': 1 to %d keys", argv[optind],
                       XEN_SYSCTL_DEBUG_KEYS_MAX);
    rc = xll_debug_keys(xl_handle(), argv[optind]);
    if ( rc )
        xl_die("cannot send debug keys: %s", xll_strerror(rc));
    return 0;
}

static void print_pool(void)
{
    struct xen_sysctl_credit_schedule p;
    char line[XLF_LINE] = "";

    xl_check(xll_sched_params_get(xl_handle(), &p), "scheduler_op");
    /* xen-lite's credit scheduler has no migration delay. */
    put(xlf_sched_pool(line, sizeof(line), "Pool-0", p.tslice_ms,
                       p.ratelimit_us, 0));
}

static void print_domain(uint32_t domid,
                         const struct xen_domctl_getdomaininfo *info)
{
    struct xen_domctl_sched_credit cr;
    char line[XLF_LINE] = "", *name;

    xl_check(xll_sched_credit_get(xl_handle(), domid, &cr), "scheduler_op");
    name = xl_domain_name(domid, info);
    put(xlf_sched_row(line, sizeof(line), name, domid, cr.weight, cr.cap));
    free(name);
}

int cmd_sched_credit(int argc, char **argv)
{
    const char *dom = NULL;
    long weight = -1, cap = -1, tslice = -1, ratelimit = -1;
    bool sched = false;
    char line[XLF_LINE] = "";
    int c;

    while ( (c = xl_getopt(argc, argv, "d:w:c:st:r:")) != -1 )
    {
        switch ( c )
        {
        case 'd': dom = optarg; break;
        case 'w': weight = xl_number(optarg, "weight", 1, 65535); break;
        case 'c': cap = xl_number(optarg, "cap", 0, 65535); break;
        case 's': sched = true; break;
        case 't': tslice = xl_number(optarg, "tslice", 1, 1000); break;
        case 'r': ratelimit = xl_number(optarg, "ratelimit", 0, 1000000);
                  break;
        }
    }
    if ( optind < argc )
        xl_usage_error("'%s' is extra", argv[optind]);
    if ( sched && (dom || weight >= 0 || cap >= 0) )
        xl_die("Specifying a cpupool or schedparam is not allowed with "
               "domain options.");
    if ( !dom && (weight >= 0 || cap >= 0) )
        xl_die("Must specify a domain.");
    if ( !sched && (tslice >= 0 || ratelimit >= 0) )
        xl_die("-t and -r need -s.");

    if ( sched )
    {
        struct xen_sysctl_credit_schedule p;

        if ( tslice < 0 && ratelimit < 0 )
        {
            print_pool();
            return 0;
        }
        xl_check(xll_sched_params_get(xl_handle(), &p), "scheduler_op");
        if ( tslice >= 0 )
            p.tslice_ms = tslice;
        if ( ratelimit >= 0 )
            p.ratelimit_us = ratelimit;
        xl_check(xll_sched_params_set(xl_handle(), &p), "scheduler_op");
        return 0;
    }
    if ( dom )
    {
        struct xen_domctl_getdomaininfo info;
        struct xen_domctl_sched_credit cr;
        uint32_t domid = xl_find_domain(dom, &info);

        if ( weight < 0 && cap < 0 )
        {
            put(xlf_sched_header(line, sizeof(line)));
            print_domain(domid, &info);
            return 0;
        }
        xl_check(xll_sched_credit_get(xl_handle(), domid, &cr),
                 "scheduler_op");
        if ( weight >= 0 )
            cr.weight = weight;
        if ( cap >= 0 )
            cr.cap = cap;
        xl_check(xll_sched_credit_set(xl_handle(), domid, &cr),
                 "scheduler_op");
        return 0;
    }

    {
        struct xen_domctl_getdomaininfo *infos;
        int nr = xll_domain_list(xl_handle(), &infos);

        xl_check(nr, "getdomaininfolist");
        print_pool();
        put(xlf_sched_header(line, sizeof(line)));
        for ( int i = 0; i < nr; i++ )
            print_domain(infos[i].domain, &infos[i]);
        free(infos);
    }
    return 0;
}

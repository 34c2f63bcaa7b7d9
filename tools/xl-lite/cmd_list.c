/*
 * The commands that list domains and their vCPUs: list, vcpu-list,
 * vcpu-pin and uptime, in xl's formats (format.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "xl.h"

/*
 * The domains named on the command line (all when none is), as
 * getdomaininfo entries: a malloc'd array, the count in *nr.
 */
static struct xen_domctl_getdomaininfo *domains_of(int argc, char **argv,
                                                   int *nr)
{
    struct xen_domctl_getdomaininfo *infos;
    int n;

    if ( optind >= argc )
    {
        n = xll_domain_list(xl_handle(), &infos);
        xl_check(n, "getdomaininfolist");
        *nr = n;
        return infos;
    }
    n = argc - optind;
    infos = calloc(n, sizeof(*infos));
    if ( !infos )
        xl_die("out of memory");
    for ( int i = 0; i < n; i++ )
        xl_find_domain(argv[optind + i], &infos[i]);
    *nr = n;
    return infos;
}

static void put(const char *s)
{
    fputs(s, stdout);
}

int cmd_list(int argc, char **argv)
{
    bool verbose = false, config = false;
    struct xen_domctl_getdomaininfo *infos;
    char line[XLF_LINE];
    int c, nr;

    while ( (c = xl_getopt(argc, argv, "lv")) != -1 )
    {
        if ( c == 'l' )
            config = true;
        else if ( c == 'v' )
            verbose = true;
    }
    infos = domains_of(argc, argv, &nr);
    if ( config )
    {
        const struct xll_config **cfgs = calloc(nr + 1, sizeof(*cfgs));
        uint32_t *ids = calloc(nr + 1, sizeof(*ids));
        unsigned int n = 0;
        char *err = NULL, *json;

        if ( !cfgs || !ids )
            xl_die("out of memory");
        /* As xl, only domains with a saved config (not Domain-0). */
        for ( int i = 0; i < nr; i++ )
        {
            char *name = infos[i].domain ?
                         xl_state_name(infos[i].domain, &infos[i]) : NULL;
            struct xll_config *cfg;

            if ( !name )
                continue;
            free(name);
            cfg = xl_state_config(infos[i].domain, &err);
            if ( !cfg )
                xl_die("%s", err);
            ids[n] = infos[i].domain;
            cfgs[n++] = cfg;
        }
        json = xll_domains_to_json(cfgs, ids, n, &err);
        if ( !json )
            xl_die("%s", err);
        put(json);
        free(json);
        for ( unsigned int i = 0; i < n; i++ )
            xll_config_free((struct xll_config *)cfgs[i]);
        free(cfgs);
        free(ids);
        free(infos);
        return 0;
    }
    line[0] = '\0';
    put(xlf_list_header(line, sizeof(line), verbose));
    for ( int i = 0; i < nr; i++ )
    {
        char *name = xl_domain_name(infos[i].domain, &infos[i]);

        line[0] = '\0';
        put(xlf_list_row(line, sizeof(line), name, &infos[i], verbose));
        free(name);
    }
    free(infos);
    return 0;
}

static unsigned int host_cpus(void)
{
    struct xen_sysctl_physinfo pi;

    xl_check(xll_physinfo(xl_handle(), &pi), "physinfo");
    return pi.max_cpu_id + 1;
}

int cmd_vcpu_list(int argc, char **argv)
{
    struct xen_domctl_getdomaininfo *infos;
    char line[XLF_LINE];
    unsigned int nr_cpus;
    int nr;

    while ( xl_getopt(argc, argv, "") != -1 )
        ;
    infos = domains_of(argc, argv, &nr);
    nr_cpus = host_cpus();
    line[0] = '\0';
    put(xlf_vcpu_header(line, sizeof(line)));
    for ( int i = 0; i < nr; i++ )
    {
        uint32_t domid = infos[i].domain;
        char *name = xl_domain_name(domid, &infos[i]);

        for ( uint32_t v = 0; v <= infos[i].max_vcpu_id; v++ )
        {
            struct xen_domctl_getvcpuinfo vi;
            struct xll_cpumap hard;

            xl_check(xll_vcpu_info(xl_handle(), domid, v, &vi),
                     "getvcpuinfo");
            xl_check(xll_vcpu_getaffinity(xl_handle(), domid, v, &hard),
                     "getvcpuaffinity");
            line[0] = '\0';
            put(xlf_vcpu_row(line, sizeof(line), name, domid, &vi, &hard,
                             nr_cpus));
        }
        free(name);
    }
    free(infos);
    return 0;
}

int cmd_vcpu_pin(int argc, char **argv)
{
    struct xen_domctl_getdomaininfo info;
    struct xll_cpumap map;
    const char *vcpu_arg, *cpus;
    uint32_t domid, first = 0, last = 0;
    unsigned int nr_cpus;
    char *why = NULL;

    while ( xl_getopt(argc, argv, "") != -1 )
        ;
    if ( argc - optind < 3 )
        xl_usage_error("needs DOM, VCPU and CPUS");
    if ( argc - optind > 4 )
        xl_usage_error("'%s' is extra", argv[optind + 4]);
    /* Soft affinity: xen-lite has none, so only "-" (unchanged). */
    if ( argc - optind == 4 && strcmp(argv[optind + 3], "-") )
        xl_usage_error("soft affinity '%s': xen-lite has no soft "
                       "affinity; give '-' or nothing", argv[optind + 3]);
    vcpu_arg = argv[optind + 1];
    cpus = argv[optind + 2];
    if ( xll_cpumap_parse(cpus, &map, &why) )
        xl_die("CPUS '%s': %s", cpus, why);
    if ( strcmp(vcpu_arg, "all") )
        first = last = xl_number(vcpu_arg, "VCPU", 0, XLL_MAX_VCPUS - 1);

    domid = xl_find_domain(argv[optind], &info);
    if ( !strcmp(vcpu_arg, "all") )
    {
        first = 0;
        last = info.max_vcpu_id;
    }
    else if ( first > info.max_vcpu_id )
        xl_die("VCPU '%s': domain %u has vCPUs 0 to %u", vcpu_arg, domid,
               info.max_vcpu_id);
    nr_cpus = host_cpus();
    for ( unsigned int cpu = nr_cpus; cpu < XLL_MAX_CPUS; cpu++ )
        map.bits[cpu / 64] &= ~(1ULL << (cpu % 64));
    for ( unsigned int cpu = 0; cpu < nr_cpus; cpu++ )
        if ( xll_cpumap_test(&map, cpu) )
            goto some;
    xl_die("CPUS '%s': no pCPU of this host (it has 0-%u)", cpus,
           nr_cpus - 1);
 some:
    for ( uint32_t v = first; v <= last; v++ )
    {
        int rc = xll_vcpu_setaffinity(xl_handle(), domid, v, &map);

        if ( rc )
            xl_die("setting vCPU %u's affinity to '%s': %s", v, cpus,
                   xll_strerror(rc));
    }
    return 0;
}

int cmd_uptime(int argc, char **argv)
{
    struct xen_domctl_getdomaininfo *infos;
    struct xen_sysctl_physinfo pi;
    bool short_mode = false;
    char line[XLF_LINE];
    int c, nr;

    while ( (c = xl_getopt(argc, argv, "s")) != -1 )
        if ( c == 's' )
            short_mode = true;
    infos = domains_of(argc, argv, &nr);
    xl_check(xll_physinfo(xl_handle(), &pi), "physinfo");
    line[0] = '\0';
    if ( !short_mode )
        put(xlf_uptime_header(line, sizeof(line)));
    for ( int i = 0; i < nr; i++ )
    {
        char *name = xl_domain_name(infos[i].domain, &infos[i]);
        /* Domain 0 is as old as the host; the others from creation. */
        uint64_t ns = infos[i].domain == 0 ? pi.now
                      : pi.now - infos[i].create_time;
        uint64_t secs = pi.now < infos[i].create_time ? 0 : ns / 1000000000;

        line[0] = '\0';
        if ( short_mode )
        {
            char up[64] = "", now[16];
            time_t t = time(NULL);

            strftime(now, sizeof(now), "%H:%M:%S", localtime(&t));
            xlf_uptime_string(up, sizeof(up), secs, true);
            printf(" %s up %s, %s (%u)\n", now, up, name, infos[i].domain);
        }
        else
            put(xlf_uptime_row(line, sizeof(line), name, infos[i].domain,
                               secs));
        free(name);
    }
    free(infos);
    return 0;
}

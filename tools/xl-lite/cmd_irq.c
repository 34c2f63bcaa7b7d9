/*
 * `irq-stats [DOM] [--json]`: the hypervisor's interrupt-delivery
 * counters (XEN_SYSCTL_irq_stats).  Per pCPU, each wakeup vector: its
 * handler's runs, list entries scanned (mean per run and the longest
 * scan), vCPUs woken, spurious runs, and the vCPUs blocked now and at
 * the peak.  Per vCPU: posts and how they were delivered, IPIs sent,
 * EOIs, wake latency (TSC cycles, shown in microseconds through the
 * host's cpu_khz) and the most frequent exit reasons.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <public/errno.h>
#include <yajl/yajl_gen.h>

#include "xl.h"

#define TOP_EXITS   5

static const char *const exit_names[XEN_EXIT_NR] = XEN_EXIT_NAMES;

static double mean(uint64_t sum, uint64_t n)
{
    return n ? (double)sum / (double)n : 0.0;
}

static double cycles_to_us(double cycles, uint32_t khz)
{
    return khz ? cycles * 1000.0 / khz : 0.0;
}

/* Exit reasons by count, largest first: their indices in order[]. */
static unsigned int top_exits(const struct xen_irq_stats_vcpu *st,
                              unsigned int order[TOP_EXITS])
{
    unsigned int n = 0, nr = st->nr_exit_reasons;
    bool used[XEN_IRQ_STATS_MAX_EXITS] = { false };

    if ( nr > XEN_IRQ_STATS_MAX_EXITS )
        nr = XEN_IRQ_STATS_MAX_EXITS;
    while ( n < TOP_EXITS )
    {
        int best = -1;

        for ( unsigned int i = 0; i < nr; i++ )
            if ( !used[i] && st->exits[i] &&
                 (best < 0 || st->exits[i] > st->exits[best]) )
                best = i;
        if ( best < 0 )
            break;
        used[best] = true;
        order[n++] = best;
    }
    return n;
}

static const char *exit_name(unsigned int i, char *buf, size_t size)
{
    if ( i < XEN_EXIT_NR && exit_names[i] )
        return exit_names[i];
    snprintf(buf, size, "exit%u", i);
    return buf;
}

static void gen_check(yajl_gen_status s)
{
    if ( s != yajl_gen_status_ok )
        xl_die("JSON output: yajl error %d", (int)s);
}

static void jkey(yajl_gen g, const char *k)
{
    gen_check(yajl_gen_string(g, (const unsigned char *)k, strlen(k)));
}

static void jint(yajl_gen g, const char *k, uint64_t v)
{
    char num[32];

    jkey(g, k);
    snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
    gen_check(yajl_gen_number(g, num, strlen(num)));
}

static void jdouble(yajl_gen g, const char *k, double v)
{
    char num[32];

    jkey(g, k);
    snprintf(num, sizeof(num), "%.3f", v);
    gen_check(yajl_gen_number(g, num, strlen(num)));
}

static void pcpu_text(const struct xen_irq_stats_pcpu *st)
{
    unsigned int nr = st->nr_vectors;

    if ( nr > XEN_IRQ_STATS_MAX_VECTORS )
        nr = XEN_IRQ_STATS_MAX_VECTORS;
    printf("pCPU %u (APIC %u): blocked now %u, peak %u\n", st->cpu,
           st->apic_id, st->nr_blocked, st->peak_blocked);
    for ( unsigned int i = 0; i < nr; i++ )
    {
        const struct xen_irq_stats_wakeup_vector *v = &st->vec[i];

        printf("  vector 0x%02x: handler runs %llu, scanned mean %.1f "
               "max %llu, woken %llu, spurious %llu, blocked %u\n",
               v->vector, (unsigned long long)v->handler_runs,
               mean(v->entries_scanned, v->handler_runs),
               (unsigned long long)v->max_scan,
               (unsigned long long)v->woken,
               (unsigned long long)v->spurious, v->nr_blocked);
    }
}

static void pcpu_json(yajl_gen g, const struct xen_irq_stats_pcpu *st)
{
    unsigned int nr = st->nr_vectors;

    if ( nr > XEN_IRQ_STATS_MAX_VECTORS )
        nr = XEN_IRQ_STATS_MAX_VECTORS;
    gen_check(yajl_gen_map_open(g));
    jint(g, "cpu", st->cpu);
    jint(g, "apic_id", st->apic_id);
    jint(g, "blocked_now", st->nr_blocked);
    jint(g, "blocked_peak", st->peak_blocked);
    jkey(g, "vectors");
    gen_check(yajl_gen_array_open(g));
    for ( unsigned int i = 0; i < nr; i++ )
    {
        const struct xen_irq_stats_wakeup_vector *v = &st->vec[i];

        gen_check(yajl_gen_map_open(g));
        jint(g, "vector", v->vector);
        jint(g, "handler_runs", v->handler_runs);
        jdouble(g, "scanned_mean", mean(v->entries_scanned,
                                        v->handler_runs));
        jint(g, "scanned_max", v->max_scan);
        jint(g, "woken", v->woken);
        jint(g, "spurious", v->spurious);
        jint(g, "blocked_now", v->nr_blocked);
        gen_check(yajl_gen_map_close(g));
    }
    gen_check(yajl_gen_array_close(g));
    gen_check(yajl_gen_map_close(g));
}

static void vcpu_text(const char *name, const struct xen_irq_stats_vcpu *st,
                      uint32_t khz)
{
    unsigned int order[TOP_EXITS], n = top_exits(st, order);
    char buf[16];

    printf("%s (%u) vCPU %u: posts %llu, coalesced %llu, notifications "
           "%llu posted %llu wakeup %llu suppressed, IPIs %llu fast %llu "
           "slow, EOI exits %llu, PV EOIs %llu, wakes %llu, wake latency "
           "mean %.1fus max %.1fus\n", name, st->domid, st->vcpu,
           (unsigned long long)st->posts,
           (unsigned long long)st->posts_coalesced,
           (unsigned long long)st->notifications,
           (unsigned long long)st->wakeup_notifications,
           (unsigned long long)st->notifications_suppressed,
           (unsigned long long)st->ipi_fastpath,
           (unsigned long long)st->ipi_slowpath,
           (unsigned long long)st->eoi_exits,
           (unsigned long long)st->pv_eoi_skips,
           (unsigned long long)st->wakes,
           cycles_to_us(mean(st->wake_latency_sum, st->wakes), khz),
           cycles_to_us((double)st->wake_latency_max, khz));
    printf("  top exits:");
    for ( unsigned int i = 0; i < n; i++ )
        printf("%s %s %llu", i ? "," : "",
               exit_name(order[i], buf, sizeof(buf)),
               (unsigned long long)st->exits[order[i]]);
    printf("%s\n", n ? "" : " none");
}

static void vcpu_json(yajl_gen g, const char *name,
                      const struct xen_irq_stats_vcpu *st, uint32_t khz)
{
    unsigned int order[TOP_EXITS], n = top_exits(st, order);
    char buf[16];

    gen_check(yajl_gen_map_open(g));
    jkey(g, "name");
    gen_check(yajl_gen_string(g, (const unsigned char *)name,
                              strlen(name)));
    jint(g, "domid", st->domid);
    jint(g, "vcpu", st->vcpu);
    jint(g, "posts", st->posts);
    jint(g, "coalesced", st->posts_coalesced);
    jint(g, "notifications_posted", st->notifications);
    jint(g, "notifications_wakeup", st->wakeup_notifications);
    jint(g, "notifications_suppressed", st->notifications_suppressed);
    jint(g, "ipi_fast", st->ipi_fastpath);
    jint(g, "ipi_slow", st->ipi_slowpath);
    jint(g, "eoi_exits", st->eoi_exits);
    jint(g, "pv_eois", st->pv_eoi_skips);
    jint(g, "wakes", st->wakes);
    jdouble(g, "wake_latency_mean_us",
            cycles_to_us(mean(st->wake_latency_sum, st->wakes), khz));
    jdouble(g, "wake_latency_max_us",
            cycles_to_us((double)st->wake_latency_max, khz));
    jkey(g, "top_exits");
    gen_check(yajl_gen_map_open(g));
    for ( unsigned int i = 0; i < n; i++ )
        jint(g, exit_name(order[i], buf, sizeof(buf)), st->exits[order[i]]);
    gen_check(yajl_gen_map_close(g));
    gen_check(yajl_gen_map_close(g));
}

int cmd_irq_stats(int argc, char **argv)
{
    struct xen_domctl_getdomaininfo *infos;
    struct xen_sysctl_physinfo pi;
    struct xen_irq_stats_pcpu *pst;
    struct xen_irq_stats_vcpu vst;
    bool json = false;
    yajl_gen g = NULL;
    int c, nr;

    while ( (c = xl_getopt(argc, argv, "")) != -1 )
        if ( c == 'J' )
            json = true;
    if ( argc - optind > 1 )
        xl_usage_error("'%s' is extra", argv[optind + 1]);
    if ( optind < argc )
    {
        infos = calloc(1, sizeof(*infos));
        if ( !infos )
            xl_die("out of memory");
        xl_find_domain(argv[optind], infos);
        nr = 1;
    }
    else
    {
        nr = xll_domain_list(xl_handle(), &infos);
        xl_check(nr, "getdomaininfolist");
    }
    xl_check(xll_physinfo(xl_handle(), &pi), "physinfo");
    pst = malloc(sizeof(*pst));
    if ( !pst )
        xl_die("out of memory");

    if ( json )
    {
        g = yajl_gen_alloc(NULL);
        if ( !g )
            xl_die("out of memory");
        yajl_gen_config(g, yajl_gen_beautify, 1);
        yajl_gen_config(g, yajl_gen_indent_string, "    ");
        gen_check(yajl_gen_map_open(g));
        jkey(g, "pcpus");
        gen_check(yajl_gen_array_open(g));
    }
    for ( uint32_t cpu = 0; cpu <= pi.max_cpu_id; cpu++ )
    {
        int rc = xll_irq_stats_pcpu(xl_handle(), cpu, pst);

        if ( rc == -XEN_EINVAL )
            continue;                   /* an id with no pCPU online */
        xl_check(rc, "irq_stats (pCPU)");
        if ( json )
            pcpu_json(g, pst);
        else
            pcpu_text(pst);
    }
    if ( json )
    {
        gen_check(yajl_gen_array_close(g));
        jkey(g, "vcpus");
        gen_check(yajl_gen_array_open(g));
    }
    for ( int i = 0; i < nr; i++ )
    {
        char *name;

        if ( !(infos[i].flags & XEN_DOMINF_hvm_guest) )
            continue;
        name = xl_domain_name(infos[i].domain, &infos[i]);
        for ( uint32_t v = 0; v <= infos[i].max_vcpu_id; v++ )
        {
            xl_check(xll_irq_stats_vcpu(xl_handle(), infos[i].domain, v,
                                        &vst), "irq_stats (vCPU)");
            if ( json )
                vcpu_json(g, name, &vst, pi.cpu_khz);
            else
                vcpu_text(name, &vst, pi.cpu_khz);
        }
        free(name);
    }
    if ( json )
    {
        const unsigned char *out;
        size_t len;

        gen_check(yajl_gen_array_close(g));
        gen_check(yajl_gen_map_close(g));
        gen_check(yajl_gen_get_buf(g, &out, &len));
        fwrite(out, 1, len, stdout);
        if ( len && out[len - 1] != '\n' )
            putchar('\n');
        yajl_gen_free(g);
    }
    free(pst);
    free(infos);
    return 0;
}

/*
 * The scheduler test double: see sched_double.h.  Its per-domain and
 * per-vCPU records come from the host malloc, not xmalloc, so they do
 * not disturb the leak accounting of the code under test; live_domains
 * and live_vcpus count them instead.
 */
#include <stdlib.h>
#include <string.h>

#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <xen/smp.h>

#include "harness.h"
#include "sched_double.h"

#define DOM_MAGIC   0x5dd0u
#define VCPU_MAGIC  0x5dc0u

struct sd_dom
{
    unsigned int magic;
    u16 weight, cap;
};

struct sd_vcpu
{
    unsigned int magic;
};

struct sched_double sd;

void sd_reset(void)
{
    /* What is in the scheduler stays there. */
    int live_domains = sd.live_domains, live_vcpus = sd.live_vcpus;

    memset(&sd, 0, sizeof(sd));
    sd.live_domains = live_domains;
    sd.live_vcpus = live_vcpus;
    sd.tslice_ms = 30;
    sd.ratelimit_us = 1000;
}

static void violation(const char *what, const struct vcpu *v)
{
    sd.violations++;
    harness_fail(__FILE__, __LINE__, false, "scheduler double: %s (d%u v%u)",
                 what, v ? v->domain->domain_id : 0, v ? v->vcpu_id : 0);
}

static void record(enum sd_op op, const struct domain *d,
                   const struct vcpu *v, unsigned int cpu)
{
    sd.calls[op]++;
    if ( sd.nr_log < SD_LOG_MAX )
    {
        struct sd_event *e = &sd.log[sd.nr_log++];

        e->op = op;
        e->domid = d ? d->domain_id : (v ? v->domain->domain_id : 0);
        e->vcpu_id = v ? v->vcpu_id : ~0u;
        e->cpu = cpu;
    }
}

unsigned int sd_count(enum sd_op op, domid_t domid, unsigned int vcpu_id)
{
    unsigned int n = 0;

    for ( unsigned int i = 0; i < sd.nr_log; i++ )
        if ( sd.log[i].op == op && sd.log[i].domid == domid &&
             sd.log[i].vcpu_id == vcpu_id )
            n++;
    return n;
}

bool sd_vcpu_in_sched(const struct vcpu *v)
{
    const struct sd_vcpu *sv = v->sched_priv;

    return sv && sv->magic == VCPU_MAGIC;
}

static struct sd_dom *dom_rec(const struct domain *d)
{
    struct sd_dom *sdd = d->sched_priv;

    return sdd && sdd->magic == DOM_MAGIC ? sdd : NULL;
}

void sd_dom_params(const struct domain *d, u16 *weight, u16 *cap)
{
    struct sd_dom *sdd = dom_rec(d);

    *weight = sdd ? sdd->weight : 0;
    *cap = sdd ? sdd->cap : 0;
}

int sched_init_domain(struct domain *d)
{
    struct sd_dom *sdd;

    record(SD_init_domain, d, NULL, 0);
    if ( sd.fail_init_domain )
        return sd.fail_init_domain;
    if ( dom_rec(d) )
        violation("domain initialised twice", NULL);
    sdd = malloc(sizeof(*sdd));
    sdd->magic = DOM_MAGIC;
    sdd->weight = 256;
    sdd->cap = 0;
    d->sched_priv = sdd;
    sd.live_domains++;
    return 0;
}

void sched_destroy_domain(struct domain *d)
{
    struct sd_dom *sdd = dom_rec(d);

    record(SD_destroy_domain, d, NULL, 0);
    if ( !sdd )
    {
        violation("destroying a domain not in the scheduler", NULL);
        return;
    }
    for ( unsigned int i = 0; i < d->max_vcpus; i++ )
        if ( d->vcpu[i] && sd_vcpu_in_sched(d->vcpu[i]) )
            violation("domain destroyed before its vCPU", d->vcpu[i]);
    sdd->magic = 0;
    free(sdd);
    d->sched_priv = NULL;
    sd.live_domains--;
}

int sched_init_vcpu(struct vcpu *v, unsigned int processor)
{
    struct sd_vcpu *sv;

    record(SD_init_vcpu, NULL, v, processor);
    if ( sd.fail_init_vcpu_at &&
         sd.calls[SD_init_vcpu] == sd.fail_init_vcpu_at )
        return -ENOMEM;
    if ( !dom_rec(v->domain) )
        violation("vCPU initialised before its domain", v);
    if ( processor >= NR_CPUS || !cpumask_test_cpu(processor,
                                                    &cpu_online_map) )
        violation("vCPU placed on an offline pCPU", v);
    sv = malloc(sizeof(*sv));
    sv->magic = VCPU_MAGIC;
    v->sched_priv = sv;
    v->processor = processor;
    sd.live_vcpus++;
    return 0;
}

void sched_destroy_vcpu(struct vcpu *v)
{
    struct sd_vcpu *sv = v->sched_priv;

    record(SD_destroy_vcpu, NULL, v, 0);
    if ( !sd_vcpu_in_sched(v) )
    {
        violation("destroying a vCPU not in the scheduler", v);
        return;
    }
    if ( v->is_running )
        violation("destroying a running vCPU", v);
    if ( vcpu_runnable(v) )
        violation("destroying a runnable vCPU", v);
    sv->magic = 0;
    free(sv);
    v->sched_priv = NULL;
    sd.live_vcpus--;
}

void vcpu_wake(struct vcpu *v)
{
    record(SD_wake, NULL, v, 0);
    if ( !is_idle_vcpu(v) && !sd_vcpu_in_sched(v) )
        violation("wake of a vCPU not in the scheduler", v);
}

void vcpu_sleep_nosync(struct vcpu *v)
{
    record(SD_sleep_nosync, NULL, v, 0);
    if ( !sd_vcpu_in_sched(v) )
        violation("sleep of a vCPU not in the scheduler", v);
}

/*
 * The real one waits until v is off its pCPU.  Whoever calls it must
 * already have made v unrunnable, or it could be scheduled right back.
 */
void vcpu_sleep_sync(struct vcpu *v)
{
    record(SD_sleep_sync, NULL, v, 0);
    if ( !sd_vcpu_in_sched(v) )
        violation("sleep of a vCPU not in the scheduler", v);
    if ( vcpu_runnable(v) )
        violation("vcpu_sleep_sync on a runnable vCPU", v);
    if ( v->is_running )
    {
        sd.waited++;
        v->is_running = false;
    }
}

void vcpu_runstate_get(const struct vcpu *v, struct vcpu_runstate_info *r)
{
    *r = v->runstate;
}

u64 vcpu_cpu_time(const struct vcpu *v)
{
    return v->runstate.time[RUNSTATE_running];
}

int sched_adjust(struct domain *d, struct xen_domctl_scheduler_op *op)
{
    struct sd_dom *sdd = dom_rec(d);

    record(SD_adjust, d, NULL, 0);
    if ( !sdd )
    {
        violation("sched_adjust on a domain not in the scheduler", NULL);
        return -EINVAL;
    }
    if ( op->sched_id != XEN_SCHEDULER_CREDIT )
        return -EINVAL;
    switch ( op->cmd )
    {
    case XEN_DOMCTL_SCHEDOP_getinfo:
        op->credit.weight = sdd->weight;
        op->credit.cap = sdd->cap;
        return 0;
    case XEN_DOMCTL_SCHEDOP_putinfo:
        if ( op->credit.cap > 100 * cpumask_weight(&cpu_online_map) )
            return -EINVAL;
        if ( op->credit.weight )            /* 0: unchanged, as in Xen */
            sdd->weight = op->credit.weight;
        sdd->cap = op->credit.cap;
        return 0;
    default:
        return -EINVAL;
    }
}

int sched_adjust_global(struct xen_sysctl_scheduler_op *op)
{
    record(SD_adjust_global, NULL, NULL, 0);
    if ( op->sched_id != XEN_SCHEDULER_CREDIT )
        return -EINVAL;
    switch ( op->cmd )
    {
    case XEN_SYSCTL_SCHEDOP_getinfo:
        op->credit.tslice_ms = sd.tslice_ms;
        op->credit.ratelimit_us = sd.ratelimit_us;
        return 0;
    case XEN_SYSCTL_SCHEDOP_putinfo:
        if ( op->credit.tslice_ms < 1 || op->credit.tslice_ms > 1000 )
            return -EINVAL;
        if ( op->credit.ratelimit_us &&
             (op->credit.ratelimit_us < 100 ||
              op->credit.ratelimit_us > op->credit.tslice_ms * 1000) )
            return -EINVAL;
        sd.tslice_ms = op->credit.tslice_ms;
        sd.ratelimit_us = op->credit.ratelimit_us;
        return 0;
    default:
        return -EINVAL;
    }
}

/*
 * Pinning: the mask becomes v's hard affinity, as in core.c (which also
 * moves v).  The domctl must have refused an empty mask or one with an
 * offline pCPU before calling: such a call is a violation here.
 */
int vcpu_set_hard_affinity(struct vcpu *v, const cpumask_t *mask)
{
    unsigned int cpu;

    record(SD_set_affinity, NULL, v, cpumask_next(-1, mask));
    if ( !sd_vcpu_in_sched(v) )
        violation("affinity of a vCPU not in the scheduler", v);
    if ( cpumask_empty(mask) )
    {
        violation("empty affinity passed on", v);
        return -EINVAL;
    }
    for_each_cpu ( cpu, mask )
        if ( !cpumask_test_cpu(cpu, &cpu_online_map) )
        {
            violation("offline pCPU in an affinity passed on", v);
            return -EINVAL;
        }
    cpumask_copy(&v->cpu_hard_affinity, mask);
    return 0;
}

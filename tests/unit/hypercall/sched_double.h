/*
 * A recording test double of the scheduler interface in xen/sched.h, so
 * domain and hypercall code can be tested without sched/core.c: it counts
 * every call, keeps which domains and vCPUs are in the scheduler, checks
 * the pause protocol, stores credit parameters, and can be told to fail.
 */
#ifndef UNIT_HYPERCALL_SCHED_DOUBLE_H
#define UNIT_HYPERCALL_SCHED_DOUBLE_H

#include <xen/sched.h>

#define SD_LOG_MAX 512

enum sd_op
{
    SD_init_domain, SD_destroy_domain, SD_init_vcpu, SD_destroy_vcpu,
    SD_wake, SD_sleep_nosync, SD_sleep_sync, SD_adjust, SD_adjust_global,
    SD_set_affinity,
};

struct sd_event
{
    enum sd_op op;
    domid_t domid;
    unsigned int vcpu_id;           /* ~0u for domain-wide calls */
    unsigned int cpu;               /* init_vcpu: the pCPU given */
};

struct sched_double
{
    unsigned int calls[SD_set_affinity + 1];
    int live_domains, live_vcpus;   /* in the scheduler now */

    /* Protocol violations seen (each also fails the test at once). */
    unsigned int violations;
    /* vcpu_sleep_sync() calls that found the vCPU running (it "waited"). */
    unsigned int waited;

    /* Failure injection: an errno for sched_init_domain, and the n-th
     * (1-based) sched_init_vcpu to fail, 0 = none. */
    int fail_init_domain;
    unsigned int fail_init_vcpu_at;

    /* Global credit parameters (sched_adjust_global). */
    u32 tslice_ms, ratelimit_us;

    struct sd_event log[SD_LOG_MAX];
    unsigned int nr_log;
};

extern struct sched_double sd;

/* Forget calls, log, failure injection and parameters (not who is in). */
void sd_reset(void);
/* Calls of one kind on one vCPU (vcpu_id ~0u: domain-wide ones). */
unsigned int sd_count(enum sd_op op, domid_t domid, unsigned int vcpu_id);
/* Whether v is in the scheduler (between init and destroy). */
bool sd_vcpu_in_sched(const struct vcpu *v);
/* A domain's credit parameters. */
void sd_dom_params(const struct domain *d, u16 *weight, u16 *cap);

#endif /* UNIT_HYPERCALL_SCHED_DOUBLE_H */

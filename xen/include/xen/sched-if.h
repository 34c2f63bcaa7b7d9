/*
 * The interface between the generic scheduler (sched/core.c) and a
 * scheduling policy (sched/credit.c).  core.c owns runstates, per-pCPU
 * locking, the current vCPU and the slice timer; the policy decides who
 * runs next and for how long.
 */
#ifndef XEN_SCHED_IF_H
#define XEN_SCHED_IF_H

#include <xen/sched.h>
#include <xen/smp.h>

/*
 * Per-pCPU scheduler state.  'lock' is the schedule lock: it protects the
 * pCPU's runqueue (in the policy's data), 'curr', and the scheduling
 * fields of every vCPU whose 'processor' is this pCPU.  Taken with
 * interrupts off (it is used from the schedule softirq and wakeups).
 */
struct sched_resource
{
    spinlock_t lock;
    struct vcpu *curr;                  /* running, or the idle vCPU */
    struct vcpu *idle;
    struct timer s_timer;               /* end of the current slice */
    void *sched_priv;                   /* policy's per-pCPU data */
    u64 nr_schedules;                   /* counters for the 's' dump */
    u64 nr_context_switches;
};

DECLARE_PER_CPU(struct sched_resource, sched_res);
#define sched_res_of(cpu) (&per_cpu(sched_res, cpu))

/* What do_schedule decides: run 'task' for 'time' ns (< 0: no limit). */
struct task_slice
{
    struct vcpu *task;
    s_time_t time;
    bool migrated;                      /* taken from another pCPU */
};

struct scheduler
{
    const char *name;
    const char *opt_name;               /* sched= on the command line */
    unsigned int sched_id;              /* XEN_SCHEDULER_* */

    int (*init)(void);
    int (*init_pdata)(unsigned int cpu);          /* boot and AP bring-up */
    void *(*alloc_domdata)(struct domain *d);     /* NULL on ENOMEM */
    void (*free_domdata)(void *data);
    void *(*alloc_vdata)(struct vcpu *v, void *domdata);
    void (*free_vdata)(void *data);

    /* All below run with the schedule lock of v->processor held. */
    void (*insert_vcpu)(struct vcpu *v);
    void (*remove_vcpu)(struct vcpu *v);
    void (*sleep)(struct vcpu *v);
    void (*wake)(struct vcpu *v);
    void (*yield)(struct vcpu *v);
    /* The pCPU v should run on (within its affinity); lock not needed. */
    unsigned int (*pick_cpu)(struct vcpu *v);
    /* Runs on 'cpu' with its schedule lock held. */
    struct task_slice (*do_schedule)(unsigned int cpu, s_time_t now);
    /* A vCPU left its pCPU ('prev' ran until now). */
    void (*context_saved)(struct vcpu *prev);

    int (*adjust)(struct domain *d, struct xen_domctl_scheduler_op *op);
    int (*adjust_global)(struct xen_sysctl_scheduler_op *op);

    void (*dump_settings)(void);
    void (*dump_cpu_state)(unsigned int cpu);
};

/*
 * Lock the schedule lock of the pCPU 'v' is assigned to, coping with a
 * concurrent migration (re-check 'processor' after taking it).
 */
spinlock_t *vcpu_schedule_lock_irqsave(const struct vcpu *v,
                                       unsigned long *flags);
void vcpu_schedule_unlock_irqrestore(spinlock_t *lock, unsigned long flags);

/*
 * Hook the architecture implements: the pCPU switches from running
 * 'prev' to 'next' (core.c has already updated curr and runstates).
 */
void sched_context_switch(struct vcpu *prev, struct vcpu *next);

/*
 * Hook the architecture implements: vcpu_migrate() has just moved v,
 * which is not running, to pCPU 'cpu' because its affinity no longer
 * allows the old one.  Called with no schedule lock held, so that the
 * architecture may take locks that come before them (x86: a blocked
 * vCPU's wakeup lists move with it).
 */
void sched_vcpu_migrated(struct vcpu *v, unsigned int cpu);

extern const struct scheduler sched_credit_def;

#endif /* XEN_SCHED_IF_H */

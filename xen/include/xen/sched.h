/*
 * The core objects: domains and their vCPUs, and the scheduler entry
 * points the rest of the hypervisor calls.
 *
 * Locking and lifetime:
 * - domlist_lock protects the domain list and the id space; lookups
 *   (get_domain_by_id) take a reference under it.
 * - d->refcnt: a domain's memory is freed when its last reference goes,
 *   which is never before domain_destroy() has dropped the list's own.
 * - pause counts are atomic; a vCPU runs only while vcpu_runnable() holds.
 * - A vCPU's scheduling state (runstate, processor, is_running, its
 *   policy data) is protected by the schedule lock of the pCPU it is
 *   assigned to (sched/core.c).
 */
#ifndef XEN_SCHED_H
#define XEN_SCHED_H

#include <xen/types.h>
#include <xen/cpumask.h>
#include <xen/list.h>
#include <xen/spinlock.h>
#include <xen/timer.h>
#include <public/xen.h>
#include <public/domctl.h>
#include <public/sysctl.h>

struct domain;
struct hvm_vcpu;
struct hvm_domain;

/* vCPU pause_flags bits: reasons a vCPU cannot run besides pausing. */
#define _VPF_blocked    0       /* halted, waiting for an event */
#define _VPF_down       1       /* not brought up yet, or taken down */
#define VPF_blocked     (1UL << _VPF_blocked)
#define VPF_down        (1UL << _VPF_down)

struct vcpu
{
    unsigned int vcpu_id;
    struct domain *domain;

    /* Scheduling: protected by the schedule lock of 'processor'. */
    unsigned int processor;             /* pCPU assigned */
    bool is_running;                    /* on a pCPU right now */
    bool is_migrating;                  /* context_saved() moving it */
    struct vcpu_runstate_info runstate;
    void *sched_priv;                   /* policy data (credit.c) */
    cpumask_t cpu_hard_affinity;        /* pCPUs it may run on */
    s_time_t last_run_time;             /* when it last left a pCPU */
    s_time_t wake_time;                 /* when it last became runnable */

    unsigned long pause_flags;          /* VPF_*, atomic bit operations */
    int pause_count;                    /* atomic */

    /* Counters for the debug dumps. */
    u64 nr_wakeups;
    u64 nr_context_switches;

    struct hvm_vcpu *hvm;               /* HVM state (arch/x86/hvm) */
};

enum domain_state
{
    DOMSTATE_active,
    DOMSTATE_dying,                     /* being torn down */
    DOMSTATE_dead,                      /* torn down, awaiting last ref */
};

#define DOMAIN_NAME_LEN 32

struct domain
{
    domid_t domain_id;
    bool is_privileged;
    bool is_hvm;
    enum domain_state state;
    char name[DOMAIN_NAME_LEN];

    unsigned int max_vcpus;
    struct vcpu **vcpu;                 /* max_vcpus entries, or NULL */

    int refcnt;                         /* atomic */
    int pause_count;                    /* atomic, domain-wide pauses */
    bool is_shutting_down;
    u8 shutdown_code;

    spinlock_t page_lock;               /* protects page_list, tot_pages */
    struct list_head page_list;
    u64 tot_pages;
    u64 max_pages;
    void *p2m;                          /* p2m.c's map; under page_lock */

    void *sched_priv;                   /* policy data (credit.c) */
    struct list_head domain_list;       /* on the domain list */

    struct hvm_domain *hvm;             /* HVM state (arch/x86/hvm) */
};

/* The idle domain: one idle vCPU per pCPU, run when nothing else is. */
extern struct domain *idle_domain;
#define is_idle_domain(d) ((d)->domain_id == DOMID_IDLE)
#define is_idle_vcpu(v)   is_idle_domain((v)->domain)

/* Each pCPU's running vCPU. */
struct vcpu *get_current(void);
#define current get_current()

/* Whether v may be chosen to run. */
static inline bool vcpu_runnable(const struct vcpu *v)
{
    return !(__atomic_load_n(&v->pause_flags, __ATOMIC_SEQ_CST) |
             __atomic_load_n(&v->pause_count, __ATOMIC_SEQ_CST) |
             __atomic_load_n(&v->domain->pause_count, __ATOMIC_SEQ_CST) |
             v->domain->is_shutting_down);
}

/* --- common/domain.c --- */

/* Create a domain (id 0 = lowest free id below DOMID_FIRST_RESERVED). */
int domain_create(domid_t domid, unsigned int flags, unsigned int max_vcpus,
                  u64 max_pages, struct domain **out);
int domain_destroy(struct domain *d);            /* drops the list's ref */
struct domain *get_domain_by_id(domid_t domid);  /* +1 ref, or NULL */
bool get_domain(struct domain *d);              /* false if dying */
void put_domain(struct domain *d);
int domain_pause_by_systemcontroller(struct domain *d);
int domain_unpause_by_systemcontroller(struct domain *d);
void domain_pause(struct domain *d);            /* waits until descheduled */
void domain_unpause(struct domain *d);
/*
 * The toolstack's build of a domain created through the domctl: it
 * starts paused by the toolstack (one unpause lets it run) and is
 * "building" until that unpause.  The build state and populate_ram's
 * size are the domctl layer's, used under its lock only.
 */
int domain_build_hold(struct domain *d);
bool domain_building(struct domain *d);
bool domain_toolstack_built(struct domain *d);  /* ever held for building */
u64 domain_ram_bytes(struct domain *d);         /* 0: none populated yet */
/* RAM at [0, bytes): -EEXIST if d has memory, else p2m_populate's rc. */
int domain_populate_ram(struct domain *d, u64 bytes);
s_time_t domain_create_time(struct domain *d);
void vcpu_pause(struct vcpu *v);
void vcpu_unpause(struct vcpu *v);
int vcpu_up(struct vcpu *v);                    /* clear VPF_down, wake */
void domain_shutdown(struct domain *d, u8 reason);
/* Iterate over live domains: the caller holds domlist_read_lock(). */
void domlist_read_lock(void);
void domlist_read_unlock(void);
struct domain *domain_first(void);
struct domain *domain_next(struct domain *d);
unsigned int domain_count(void);                /* not counting idle */
int idle_domain_init(void);                     /* boot, before SMP */
int idle_vcpu_init(unsigned int cpu);           /* each pCPU */

/* --- common/sched/core.c: the generic scheduler --- */

int scheduler_init(void);                       /* boot, picks sched= */
int sched_cpu_init(unsigned int cpu);           /* each pCPU, idle vCPU set */
int sched_init_vcpu(struct vcpu *v, unsigned int processor);
void sched_destroy_vcpu(struct vcpu *v);
int sched_init_domain(struct domain *d);
void sched_destroy_domain(struct domain *d);

void vcpu_wake(struct vcpu *v);
void vcpu_sleep_nosync(struct vcpu *v);
void vcpu_sleep_sync(struct vcpu *v);           /* until off its pCPU */
void vcpu_block(void);                          /* current blocks */
void vcpu_yield(void);
int vcpu_set_hard_affinity(struct vcpu *v, const cpumask_t *mask);
void vcpu_runstate_get(const struct vcpu *v, struct vcpu_runstate_info *r);
u64 vcpu_cpu_time(const struct vcpu *v);        /* ns in RUNSTATE_running */

int sched_adjust(struct domain *d, struct xen_domctl_scheduler_op *op);
int sched_adjust_global(struct xen_sysctl_scheduler_op *op);

void sched_dump_runqueues(void);                /* debug key 'r' */
void sched_dump_counters(void);                 /* debug key 's' */

#endif /* XEN_SCHED_H */

/*
 * Test doubles for the wakeup-list suite (test_pi_blocked): a fake domain
 * of up to ENV_MAX_VCPUS HVM vCPUs (descriptor, vlapic register page,
 * struct hvm_vcpu), up to ENV_MAX_CPUS pCPUs with their vector tables,
 * and recording versions of the hooks pi.c and pi_blocked.c call:
 * notifications (recorded, and in queue mode left pending on the target
 * pCPU until it takes them), vcpu_wake, set_vector_handler and
 * register_keyhandler.  A thread plays one pCPU at a time: env_cpu and
 * env_irq_on are thread-local.
 */
#ifndef UNIT_PI_BLOCKED_ENV_H
#define UNIT_PI_BLOCKED_ENV_H

#include <xen/types.h>
#include <xen/keyhandler.h>
#include <xen/sched.h>
#include <xen/smp.h>
#include <xen/spinlock.h>
#include <asm/apic.h>
#include <asm/system.h>
#include <asm/traps.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/pi.h>
#include <asm/hvm/pi_blocked.h>

#define ENV_MAX_CPUS    8
#define ENV_MAX_VCPUS   136

/* The APIC ID of pCPU c. */
#define ENV_APIC_ID(c)  (0x10u + (c))

struct env_vcpu
{
    struct vcpu v;
    struct hvm_vcpu h;
    struct pi_desc *pi;
    /* The stress test's scheduler model (test_pi_blocked.c). */
    spinlock_t slock;
    int state;
    bool is_running;
    bool since_entry;
};

extern struct domain env_dom;
extern struct env_vcpu env_vcpus[ENV_MAX_VCPUS];
extern unsigned int env_nr_cpus;

static inline struct vcpu *VC(unsigned int i)
{
    return &env_vcpus[i].v;
}

static inline struct pi_desc *PI(unsigned int i)
{
    return env_vcpus[i].pi;
}

static inline struct hvm_vcpu *HV(unsigned int i)
{
    return &env_vcpus[i].h;
}

/*
 * A fresh setup: pCPUs 0..nr_cpus-1 online, each with an empty vector
 * table, then env_boot_hook (if set; cleared after) for the boot users of
 * vectors, pi_blocked_init() after the boot options in 'cmdline' (NULL
 * for none; the option back at its default first) went through the real
 * parse_params, and each pCPU's pi_blocked_cpu_init(); nr_vcpus vCPUs of
 * domain 1, vCPU i with id i on
 * pCPU i % nr_cpus, on no list, its descriptor running there.  Records
 * and hooks cleared; the calling thread plays pCPU 0, interrupts on.
 */
void env_setup(unsigned int nr_cpus, unsigned int nr_vcpus,
               const char *cmdline);
extern void (*env_boot_hook)(void);
void env_teardown(void);

/* --- recorded hook calls --- */
#define ENV_NOTIFY_LOG  1024
struct env_notify
{
    u32 apic_id;
    u8 vector;
};
struct env_record
{
    unsigned int nr_notify;                 /* atomic */
    struct env_notify notify[ENV_NOTIFY_LOG];   /* the first ones */
    unsigned int wake[ENV_MAX_VCPUS];       /* vcpu_wake(), atomic */
    unsigned int no_handler;                /* vectors nobody handles */
};
extern struct env_record rec;

/* Whether notification i (0-based) was 'vector' to pCPU 'cpu'. */
bool env_notified(unsigned int i, unsigned int cpu, u8 vector);

/* set_vector_handler() and register_keyhandler() as called. */
extern irq_handler_t env_vector_handler[256];
extern keyhandler_fn env_key_handler[128];
extern const char *env_key_desc[128];

/*
 * Take 'vector' on pCPU 'cpu' now, as the interrupt gate does: this
 * thread plays 'cpu' with interrupts off while the handler runs.
 */
void env_interrupt(unsigned int cpu, unsigned int vector);

/*
 * Queue mode (stress test): a notification also leaves its vector
 * pending on the target pCPU; env_deliver(cpu), called by the thread
 * playing cpu with interrupts on, takes every pending one (vectors
 * without a handler, such as the posted vector, are only counted).
 * Returns how many it took.
 */
extern bool env_queue_notifications;
unsigned int env_deliver(unsigned int cpu);
bool env_pending(unsigned int cpu);

/* Called at the end of every vcpu_wake() when set. */
extern void (*env_wake_hook)(struct vcpu *v);

/*
 * Run once right after the next spin_lock() acquisition (env_lock_hook)
 * or right before it (env_lock_pre_hook), then cleared: lets a
 * single-threaded test act inside a critical section, or just before
 * one, where another pCPU could.
 */
extern void (*env_lock_hook)(void);
extern void (*env_lock_pre_hook)(void);

#endif /* UNIT_PI_BLOCKED_ENV_H */

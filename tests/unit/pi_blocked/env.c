/*
 * Test doubles for the wakeup-list suite (env.h).
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <xen/lib.h>
#include <xen/mm.h>
#include <xen/param.h>
#include <xen/smp.h>
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/smpboot.h>
#include <asm/vector_alloc.h>

#include "harness.h"
#include "stubs.h"
#include "env.h"
#include "peek.h"

__thread unsigned int env_cpu;
__thread bool env_irq_on = true;

struct domain env_dom;
struct env_vcpu env_vcpus[ENV_MAX_VCPUS];
static struct vcpu *env_vcpu_ptrs[ENV_MAX_VCPUS];
unsigned int env_nr_cpus;
static bool env_live;

struct env_record rec;
irq_handler_t env_vector_handler[256];
keyhandler_fn env_key_handler[128];
const char *env_key_desc[128];
bool env_queue_notifications;
void (*env_wake_hook)(struct vcpu *v);
void (*env_lock_hook)(void);
void (*env_lock_pre_hook)(void);
void (*env_boot_hook)(void);

bool x2apic_enabled = true;
u32 x86_cpu_to_apicid[NR_CPUS];
cpumask_t cpu_online_map;

static struct vector_table env_vt[NR_CPUS];
/* Vectors waiting on each pCPU (queue mode), one bit per vector. */
static u64 env_pend[NR_CPUS][4];

extern const struct kernel_param __start_pib_param[], __stop_pib_param[];

void env_teardown(void)
{
    if ( !env_live )
        return;
    for ( unsigned int i = 0; i < env_dom.max_vcpus; i++ )
    {
        pi_desc_free(env_vcpus[i].pi);
        free(env_vcpus[i].h.vlapic.regs);
    }
    env_live = false;
}

void env_setup(unsigned int nr_cpus, unsigned int nr_vcpus,
               const char *cmdline)
{
    REQUIRE(nr_cpus >= 1 && nr_cpus <= ENV_MAX_CPUS);
    REQUIRE(nr_vcpus <= ENV_MAX_VCPUS);
    env_teardown();

    memset(&rec, 0, sizeof(rec));
    memset(env_vector_handler, 0, sizeof(env_vector_handler));
    memset(env_key_handler, 0, sizeof(env_key_handler));
    memset(env_pend, 0, sizeof(env_pend));
    env_queue_notifications = false;
    env_wake_hook = NULL;
    env_lock_hook = NULL;
    env_lock_pre_hook = NULL;
    env_cpu = 0;
    env_irq_on = true;
    x2apic_enabled = true;
    for ( unsigned int c = 0; c < NR_CPUS; c++ )
        x86_cpu_to_apicid[c] = ENV_APIC_ID(c);

    /* The boot options: back to the default, then the test's. */
    peek_reset_option();
    stub_log_clear();
    if ( cmdline )
        parse_params(cmdline, __start_pib_param, __stop_pib_param);

    env_nr_cpus = nr_cpus;
    cpumask_clear(&cpu_online_map);
    for ( unsigned int c = 0; c < nr_cpus; c++ )
    {
        cpumask_set_cpu(c, &cpu_online_map);
        vector_table_init(&env_vt[c]);
    }
    if ( env_boot_hook )
        env_boot_hook();
    env_boot_hook = NULL;
    /* As at boot: sized once with every pCPU online, then per pCPU. */
    REQUIRE_EQ(pi_blocked_init(), 0);
    for ( unsigned int c = 0; c < nr_cpus; c++ )
        REQUIRE_EQ(pi_blocked_cpu_init(c), 0);

    memset(&env_dom, 0, sizeof(env_dom));
    memset(env_vcpus, 0, sizeof(env_vcpus));
    env_dom.domain_id = 1;
    env_dom.max_vcpus = nr_vcpus;
    env_dom.vcpu = env_vcpu_ptrs;
    for ( unsigned int i = 0; i < ENV_MAX_VCPUS; i++ )
        env_vcpu_ptrs[i] = i < nr_vcpus ? &env_vcpus[i].v : NULL;
    for ( unsigned int i = 0; i < nr_vcpus; i++ )
    {
        struct env_vcpu *e = &env_vcpus[i];

        e->v.vcpu_id = i;
        e->v.domain = &env_dom;
        e->v.processor = i % nr_cpus;
        e->v.hvm = &e->h;
        /* As hvm_vcpu_initialise() leaves them. */
        INIT_LIST_HEAD(&e->h.pi_blocked_link);
        e->h.pi_blocked_vcpu = &e->v;
        e->h.pi_blocked_cpu = -1;
        e->h.vlapic.vcpu = &e->v;
        e->h.vlapic.regs = calloc(1, PAGE_SIZE);
        REQUIRE(e->h.vlapic.regs);
        e->pi = pi_desc_alloc();
        REQUIRE(e->pi);
        e->h.pi_desc = e->pi;
        spin_lock_init(&e->slock);
        pi_set_running(&e->v, e->v.processor);
    }
    env_live = true;
}

bool env_notified(unsigned int i, unsigned int cpu, u8 vector)
{
    return i < ENV_NOTIFY_LOG && i < rec.nr_notify &&
           rec.notify[i].apic_id == ENV_APIC_ID(cpu) &&
           rec.notify[i].vector == vector;
}

void env_interrupt(unsigned int cpu, unsigned int vector)
{
    unsigned int old_cpu = env_cpu;
    bool old_irq = env_irq_on;
    struct cpu_user_regs regs;

    memset(&regs, 0, sizeof(regs));
    regs.vector = vector;
    env_cpu = cpu;
    env_irq_on = false;
    if ( vector < 256 && env_vector_handler[vector] )
        env_vector_handler[vector](&regs);
    else
        __atomic_fetch_add(&rec.no_handler, 1, __ATOMIC_RELAXED);
    /* The handler must give back the interrupt flag as it found it. */
    CHECK(!env_irq_on);
    env_cpu = old_cpu;
    env_irq_on = old_irq;
}

unsigned int env_deliver(unsigned int cpu)
{
    unsigned int n = 0;

    for ( unsigned int w = 0; w < 4; w++ )
    {
        u64 bits = __atomic_exchange_n(&env_pend[cpu][w], 0,
                                       __ATOMIC_SEQ_CST);

        while ( bits )
        {
            unsigned int b = __builtin_ctzll(bits);

            bits &= bits - 1;
            env_interrupt(cpu, w * 64 + b);
            n++;
        }
    }
    return n;
}

bool env_pending(unsigned int cpu)
{
    for ( unsigned int w = 0; w < 4; w++ )
        if ( __atomic_load_n(&env_pend[cpu][w], __ATOMIC_SEQ_CST) )
            return true;
    return false;
}

/* --- the hooks --- */

struct pi_desc *vcpu_pi_desc(struct vcpu *v)
{
    return container_of(v, struct env_vcpu, v)->pi;
}

struct vlapic *vcpu_vlapic(struct vcpu *v)
{
    return &v->hvm->vlapic;
}

void pi_send_notification(u32 apic_id, u8 vector)
{
    unsigned int i = __atomic_fetch_add(&rec.nr_notify, 1,
                                        __ATOMIC_SEQ_CST);

    if ( i < ENV_NOTIFY_LOG )
    {
        rec.notify[i].apic_id = apic_id;
        rec.notify[i].vector = vector;
    }
    if ( env_queue_notifications )
    {
        unsigned int cpu = apic_id - ENV_APIC_ID(0);

        CHECK(cpu < env_nr_cpus);
        if ( cpu < env_nr_cpus )
            __atomic_fetch_or(&env_pend[cpu][vector / 64],
                              1ULL << (vector % 64), __ATOMIC_SEQ_CST);
    }
}

void vcpu_wake(struct vcpu *v)
{
    void (*hook)(struct vcpu *) = env_wake_hook;

    __atomic_fetch_add(&rec.wake[v->vcpu_id], 1, __ATOMIC_SEQ_CST);
    if ( hook )
        hook(v);
}

struct vector_table *cpu_vector_table(unsigned int cpu)
{
    return &env_vt[cpu];
}

void set_vector_handler(unsigned int vector, irq_handler_t fn)
{
    CHECK(vector >= 32 && vector < 256);
    env_vector_handler[vector & 0xff] = fn;
}

void register_keyhandler(unsigned char key, keyhandler_fn fn,
                         const char *desc)
{
    CHECK(key < 128);
    env_key_handler[key & 0x7f] = fn;
    env_key_desc[key & 0x7f] = desc;
}

void env_spin_lock(spinlock_t *l)
{
    void (*hook)(void) = env_lock_pre_hook;
    unsigned int n = 0;

    if ( hook )
    {
        env_lock_pre_hook = NULL;
        hook();
    }
    while ( !spin_trylock(l) )
        if ( ++n % 16 == 0 )
            sched_yield();
        else
            cpu_relax();
    hook = env_lock_hook;
    if ( hook )
    {
        env_lock_hook = NULL;
        hook();
    }
}

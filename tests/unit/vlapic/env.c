/*
 * Test doubles for the vlapic and posted-interrupt suites (env.h).
 */
#include <stdlib.h>
#include <string.h>

#include <xen/lib.h>
#include <xen/time.h>
#include <asm/apic.h>
#include <asm/smpboot.h>

#include "harness.h"
#include "env.h"

struct domain env_dom;
struct env_vcpu env_vcpus[ENV_MAX_VCPUS];
static struct vcpu *env_vcpu_ptrs[ENV_MAX_VCPUS];
static bool env_live;

s_time_t env_now;
u64 env_tsc_offset;
u64 cpu_khz = 2000000;
unsigned int env_set_timer_calls;
struct env_record rec;
void (*env_vlapic_hook)(struct vcpu *v);

bool x2apic_enabled = true;
u32 x86_cpu_to_apicid[NR_CPUS];

void env_teardown(void)
{
    if ( !env_live )
        return;
    for ( unsigned int i = 0; i < env_dom.max_vcpus; i++ )
    {
        vlapic_destroy(&env_vcpus[i].v);
        pi_desc_free(env_vcpus[i].pi);
        env_vcpus[i].pi = NULL;
    }
    env_live = false;
}

void env_setup(unsigned int n)
{
    REQUIRE(n <= ENV_MAX_VCPUS);
    env_teardown();

    memset(&env_dom, 0, sizeof(env_dom));
    memset(env_vcpus, 0, sizeof(env_vcpus));
    memset(&rec, 0, sizeof(rec));
    env_now = SECONDS(1);
    env_tsc_offset = 12345;
    env_set_timer_calls = 0;
    env_vlapic_hook = NULL;
    x2apic_enabled = true;
    for ( unsigned int c = 0; c < NR_CPUS; c++ )
        x86_cpu_to_apicid[c] = ENV_APIC_ID(c);

    env_dom.domain_id = 1;
    env_dom.max_vcpus = n;
    env_dom.vcpu = env_vcpu_ptrs;
    for ( unsigned int i = 0; i < ENV_MAX_VCPUS; i++ )
        env_vcpu_ptrs[i] = i < n ? &env_vcpus[i].v : NULL;

    for ( unsigned int i = 0; i < n; i++ )
    {
        struct vcpu *v = &env_vcpus[i].v;

        v->vcpu_id = i;
        v->domain = &env_dom;
        v->processor = i % 4;
        rec.sipi_vector[i] = -1;
        env_vcpus[i].pi = pi_desc_alloc();
        REQUIRE(env_vcpus[i].pi);
        REQUIRE_EQ(vlapic_init(v), 0);
        pi_set_running(v, v->processor);
    }
    env_live = true;
}

/* --- clock and TSC --- */

s_time_t get_s_time(void)
{
    return env_now;
}

u64 hvm_guest_tsc(const struct vcpu *v)
{
    (void)v;
    return (u64)env_now * ENV_TSC_PER_NS + env_tsc_offset;
}

s_time_t hvm_guest_tsc_to_time(const struct vcpu *v, u64 tsc)
{
    u64 t;

    (void)v;
    /* As hvm.c: beyond what system time reaches is STIME_MAX. */
    if ( tsc < env_tsc_offset )
        return STIME_MAX;
    /* Rounded up: at that time the TSC has reached 'tsc'. */
    t = (tsc - env_tsc_offset) / ENV_TSC_PER_NS +
        ((tsc - env_tsc_offset) % ENV_TSC_PER_NS != 0);
    return t > (u64)STIME_MAX ? STIME_MAX : (s_time_t)t;
}

/* --- timers --- */

void init_timer(struct timer *t, void (*fn)(void *), void *data,
                unsigned int cpu)
{
    memset(t, 0, sizeof(*t));
    t->function = fn;
    t->data = data;
    t->cpu = cpu;
}

void set_timer(struct timer *t, s_time_t expires)
{
    env_set_timer_calls++;
    if ( t->killed )
        return;
    t->expires = expires;
    t->heap_pos = 1;
}

void stop_timer(struct timer *t)
{
    t->heap_pos = 0;
}

void kill_timer(struct timer *t)
{
    t->heap_pos = 0;
    t->killed = true;
}

bool timer_is_active(const struct timer *t)
{
    return t->heap_pos != 0;
}

bool env_run_timer(struct timer *t)
{
    if ( !t->heap_pos || t->expires > env_now )
        return false;
    t->heap_pos = 0;
    t->function(t->data);
    return true;
}

unsigned int env_advance(struct timer *t, s_time_t to, s_time_t late)
{
    unsigned int runs = 0;

    while ( t->heap_pos && t->expires + late <= to )
    {
        if ( env_now < t->expires + late )
            env_now = t->expires + late;
        if ( env_run_timer(t) )
            runs++;
    }
    env_now = to;
    return runs;
}

/* --- HVM hooks --- */

struct vlapic *vcpu_vlapic(struct vcpu *v)
{
    void (*hook)(struct vcpu *) = env_vlapic_hook;

    if ( hook )
    {
        env_vlapic_hook = NULL;     /* once */
        hook(v);
    }
    return &container_of(v, struct env_vcpu, v)->vl;
}

struct pi_desc *vcpu_pi_desc(struct vcpu *v)
{
    return container_of(v, struct env_vcpu, v)->pi;
}

void hvm_vcpu_send_init(struct vcpu *target)
{
    rec.init[target->vcpu_id]++;
}

void hvm_vcpu_send_sipi(struct vcpu *target, u8 vector)
{
    rec.sipi[target->vcpu_id]++;
    rec.sipi_vector[target->vcpu_id] = vector;
}

void hvm_vcpu_send_nmi(struct vcpu *target)
{
    rec.nmi[target->vcpu_id]++;
}

void vioapic_eoi(struct domain *d, u8 vector)
{
    CHECK(d == &env_dom);
    if ( rec.nr_eoi < ARRAY_SIZE(rec.eoi_vector) )
        rec.eoi_vector[rec.nr_eoi] = vector;
    rec.nr_eoi++;
}

void pi_send_notification(u32 apic_id, u8 vector)
{
    __atomic_store_n(&rec.notify_apic_id, apic_id, __ATOMIC_RELAXED);
    __atomic_store_n(&rec.notify_vector, vector, __ATOMIC_RELAXED);
    __atomic_fetch_add(&rec.nr_notify, 1, __ATOMIC_SEQ_CST);
}

void vcpu_wake(struct vcpu *v)
{
    __atomic_fetch_add(&rec.wake[v->vcpu_id], 1, __ATOMIC_SEQ_CST);
}

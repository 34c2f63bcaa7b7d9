/*
 * steal_time: KVM's steal time (MSR_KVM_STEAL_TIME), as Linux reads it
 * for its "st" figure: each CPU registers a 64-byte kvm_steal_time and
 * reads 'steal' with the version protocol.
 *
 * mode=shared (2 or more vCPUs on one pCPU: the hypervisor's smp=1):
 * every CPU spins for `ms`; asserted: each CPU's steal grows by at least
 * a fifth of that time and by no more than all of it, and each CPU sees
 * another's 'preempted' flag set at least once while it runs (that one is
 * waiting for the pCPU).
 * mode=alone (one vCPU on its own pCPU): the CPU alternates 20 ms asleep
 * in HLT (woken by its LAPIC timer) and 10 ms busy, `rounds` times;
 * asserted: steal stays under 5% of the time (sleeping is not waiting
 * for a pCPU), while the structure is rewritten at the wakeups.
 * Both: reserved bits 5:1 of the MSR #GP, addresses outside RAM are
 * accepted and never written, versions read are even.  SKIP without the
 * feature (natively).
 *
 * Environment: mode=shared|alone (shared), ms=N (400), rounds=N (10).
 */
#include "test.h"
#include "kvm_pv.h"

const char test_name[] = "steal_time";

static volatile struct kvm_steal_time st[MAX_CPUS];
static volatile uint64_t steal0[MAX_CPUS], steal1[MAX_CPUS];
static volatile uint64_t tsc0[MAX_CPUS], tsc1[MAX_CPUS];
static volatile uint32_t saw_preempted[MAX_CPUS], odd[MAX_CPUS];
static uint64_t spin_end;
static unsigned int cpus;

static volatile uint32_t gp_seen, gp_eip;

static void on_gp(struct regs *r)
{
    if ( r->eip != gp_eip )
        test_fail("exception 13 at %#x error %#x (not the WRMSR being "
                  "tested)", r->eip, r->error);
    gp_seen++;
    r->eip += 2;                        /* 0f 30 */
}

static void enable(void *arg)
{
    unsigned int c = smp_cpu();
    uint32_t v;

    (void)arg;
    wrmsr(MSR_KVM_STEAL_TIME, (uint32_t)(uintptr_t)&st[c] | 1);
    steal0[c] = kvm_steal_read(&st[c], &v);
    if ( v & 1 )
        odd[c]++;
    tsc0[c] = rdtsc();
}

static void spin(void *arg)
{
    unsigned int c = smp_cpu(), o;
    uint32_t v;

    (void)arg;
    while ( rdtsc() < spin_end )
        for ( o = 0; o < cpus; o++ )
            if ( o != c && (st[o].preempted & KVM_VCPU_PREEMPTED) )
                saw_preempted[c]++;
    steal1[c] = kvm_steal_read(&st[c], &v);
    tsc1[c] = rdtsc();
    if ( v & 1 )
        odd[c]++;
}

static uint64_t ms_of(uint64_t ns)
{
    return muldiv64(ns, 1, 1000000);
}

static void shared(uint32_t ms)
{
    unsigned int c;

    CHECK(cpus >= 2, "mode=shared needs 2 or more CPUs, have %u", cpus);
    spin_end = rdtsc() + us_to_tsc((uint64_t)ms * 1000);
    smp_call_all(spin, NULL, 120000000);
    for ( c = 0; c < cpus; c++ )
    {
        uint64_t el = tsc_to_ns(tsc1[c] - tsc0[c]);
        uint64_t s = steal1[c] - steal0[c];

        printf("steal_time: cpu %u stole %llu ms of %llu ms, saw another "
               "CPU preempted %u times\n", c, ms_of(s), ms_of(el),
               saw_preempted[c]);
        CHECK(s >= muldiv64(el, 1, 5) && s <= el, "cpu %u: steal grew by "
              "%llu ms in %llu ms sharing a pCPU", c, ms_of(s), ms_of(el));
        CHECK(saw_preempted[c], "cpu %u never saw another CPU preempted",
              c);
        CHECK(!odd[c], "cpu %u read an odd version", c);
    }
}

static void alone(uint32_t rounds)
{
    uint64_t s, el, asleep = 0;
    uint32_t v0, v1, r;

    kvm_steal_read(&st[0], &v0);
    tick_start(5000);
    for ( r = 0; r < rounds; r++ )
    {
        uint32_t t = this_cpu()->ticks;
        uint64_t t0 = rdtsc();

        /* 20 ms asleep: blocked, not runnable. */
        while ( this_cpu()->ticks < t + 4 )
        {
            sti_hlt();
            cli();
        }
        asleep += rdtsc() - t0;
        udelay(10000);
    }
    tick_stop();
    steal1[0] = kvm_steal_read(&st[0], &v1);
    tsc1[0] = rdtsc();
    s = steal1[0] - steal0[0];
    el = tsc_to_ns(tsc1[0] - tsc0[0]);
    printf("steal_time: alone, stole %llu us of %llu ms (%llu ms "
           "asleep), version %u -> %u\n", muldiv64(s, 1, 1000), ms_of(el),
           ms_of(tsc_to_ns(asleep)), v0, v1);
    CHECK(s < muldiv64(el, 1, 20), "alone on a pCPU: steal %llu us in %llu ms",
          muldiv64(s, 1, 1000), ms_of(el));
    CHECK(v1 != v0 && !(v1 & 1), "the structure was not rewritten at the "
          "wakeups (version %u -> %u)", v0, v1);
}

void test_main(void)
{
    const char *mode = env_get("mode") ? env_get("mode") : "shared";
    uint32_t f = kvm_features();

    if ( !kvm_cpuid_base() )
        test_skip("no KVM paravirtual CPUID leaves");
    if ( !(f & (1u << KVM_FEATURE_STEAL_TIME)) )
        test_skip("KVM features %#x without STEAL_TIME", f);
    cpus = platform_init(apic_mode_param(APIC_MODE_XAPIC),
                         strcmp(mode, "alone") != 0);

    /* Reserved bits 5:1 (64-byte alignment) #GP; nothing else does. */
    idt_set_handler(13, on_gp);
    asm volatile ( "movl $1f, %[fe]\n\t"
                   "1: wrmsr"
                   : [fe] "=m" (gp_eip)
                   : "c" (MSR_KVM_STEAL_TIME),
                     "a" ((uint32_t)(uintptr_t)&st[0] | 0x21), "d" (0)
                   : "memory" );
    CHECK(gp_seen == 1, "reserved bits of MSR_KVM_STEAL_TIME: %u #GP",
          gp_seen);
    memset((void *)st, 0x5a, sizeof(st));
    wrmsr(MSR_KVM_STEAL_TIME, 0xf0000000u | 1);         /* beyond RAM */
    CHECK(rdmsr(MSR_KVM_STEAL_TIME) == (0xf0000000u | 1),
          "MSR_KVM_STEAL_TIME does not read back");
    wrmsr(MSR_KVM_STEAL_TIME, 0);
    for ( unsigned int i = 0; i < sizeof(st); i++ )
        CHECK(((volatile uint8_t *)st)[i] == 0x5a,
              "guest memory written for a bad steal time address");
    memset((void *)st, 0, sizeof(st));

    if ( strcmp(mode, "alone") == 0 )
    {
        enable(NULL);
        alone(env_u32("rounds", 10));
        test_pass("alone on its pCPU: no steal while asleep");
    }
    smp_call_all(enable, NULL, 1000000);
    shared(env_u32("ms", 400));
    test_pass("%u CPUs on one pCPU: steal grew on each, preempted seen",
              cpus);
}

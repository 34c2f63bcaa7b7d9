/*
 * kvmclock: KVM's paravirtual clock (MSR_KVM_SYSTEM_TIME_NEW and
 * MSR_KVM_WALL_CLOCK_NEW), used as Linux uses it: each CPU registers its
 * own pvclock_vcpu_time_info and reads it with the version protocol.
 *
 * Asserted: the CPUID leaves offer CLOCKSOURCE2 and the stable bit;
 * addresses the hypervisor must not write (crossing a page, beyond RAM,
 * the LAPIC page) are accepted without a fault, read back, and the
 * guest's memory around them stays untouched; every CPU's structure is
 * written (even version, non-zero mul), has PVCLOCK_TSC_STABLE_BIT, and
 * converts TSC deltas at the frequency CPUID 0x40000010 reports (within
 * 100 ppm); the clock never goes back on one CPU nor across CPUs (reads
 * serialised by a lock on all CPUs for `ms`); the wall clock is written
 * with an even version and a time after 2020; after CPU 1 (with 2 or
 * more CPUs) moves its own TSC with WRMSR, its structure drops the stable
 * bit at once and CPU 0's by its next exit, and the clock itself does not
 * jump.  SKIP without the KVM leaves (natively).
 *
 * Environment: ms=N (default 100), the length of the cross-CPU phase.
 */
#include "test.h"
#include "kvm_pv.h"

const char test_name[] = "kvmclock";

#define MSR_TSC         0x10
#define TOL_PPM         100
#define WALL_2020       1577836800u

static volatile struct pvclock_vcpu_time_info pvti[MAX_CPUS];
static volatile struct pvclock_wall_clock wall;
static uint8_t two_pages[8192] __attribute__((aligned(4096)));

static spinlock_t order_lock = SPINLOCK_INIT;
static volatile uint64_t last_ns;
static volatile uint32_t backwards, reads, unstable;
static volatile uint64_t back_by;
static uint64_t phase_end;

static void enable(void *arg)
{
    (void)arg;
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint32_t)(uintptr_t)&pvti[smp_cpu()] | 1);
}

static void read_here(struct pvclock_sample *s)
{
    pvclock_read(&pvti[smp_cpu()], s);
}

/* Every CPU: take the lock, read, compare with the last read anywhere. */
static void ordered_reads(void *arg)
{
    struct pvclock_sample s;

    (void)arg;
    while ( rdtsc() < phase_end )
    {
        spin_lock(&order_lock);
        read_here(&s);
        if ( s.ns < last_ns )
        {
            backwards++;
            if ( last_ns - s.ns > back_by )
                back_by = last_ns - s.ns;
        }
        else
            last_ns = s.ns;
        if ( !(s.flags & PVCLOCK_TSC_STABLE_BIT) )
            unstable++;
        reads++;
        spin_unlock(&order_lock);
    }
}

static bool untouched(const uint8_t *p, unsigned int len, uint8_t fill)
{
    for ( unsigned int i = 0; i < len; i++ )
        if ( p[i] != fill )
            return false;
    return true;
}

/* The MSR accepts a value and reads it back, and nothing is written. */
static void bad_address(uint64_t val, const char *what)
{
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, val);
    CHECK(rdmsr(MSR_KVM_SYSTEM_TIME_NEW) == val,
          "system time MSR %s (%#llx) does not read back", what, val);
    CHECK(untouched(two_pages, sizeof(two_pages), 0x5a),
          "the hypervisor wrote guest memory for %s", what);
}

static void check_cpu(unsigned int cpu)
{
    volatile struct pvclock_vcpu_time_info *p = &pvti[cpu];
    uint64_t ticks = (uint64_t)tsc_khz * 1000, ns, want = 1000000000ull;

    CHECK(p->version && !(p->version & 1),
          "cpu %u: pvclock version %u after enabling", cpu, p->version);
    CHECK(p->tsc_to_system_mul, "cpu %u: pvclock mul is 0", cpu);
    CHECK(p->flags & PVCLOCK_TSC_STABLE_BIT,
          "cpu %u: PVCLOCK_TSC_STABLE_BIT clear (flags %#x)", cpu, p->flags);
    /* One second of TSC at the CPUID frequency is one second. */
    ns = pvclock_scale(ticks, p->tsc_to_system_mul, p->tsc_shift);
    CHECK(ns >= want - muldiv64(want, TOL_PPM, 1000000) &&
          ns <= want + muldiv64(want, TOL_PPM, 1000000),
          "cpu %u: %u kHz of TSC (CPUID 0x40000010) is %llu ns a second "
          "(mul %u shift %d)", cpu, tsc_khz, ns, p->tsc_to_system_mul,
          p->tsc_shift);
}

static struct pvclock_sample cpu1_sample;

static void tsc_jump(void *arg)
{
    (void)arg;
    wrmsr(MSR_TSC, rdtsc() + 1000000000000ull);
    read_here(&cpu1_sample);
}

void test_main(void)
{
    uint32_t f = kvm_features(), ms = env_u32("ms", 100), cpus, i;
    struct pvclock_sample a, b;

    if ( !kvm_cpuid_base() )
        test_skip("no KVM paravirtual CPUID leaves");
    CHECK(f & (1u << KVM_FEATURE_CLOCKSOURCE2),
          "KVM features %#x without CLOCKSOURCE2", f);
    CHECK(f & (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT),
          "KVM features %#x without CLOCKSOURCE_STABLE_BIT", f);
    cpus = platform_init(apic_mode_param(APIC_MODE_XAPIC), true);
    printf("kvmclock: %u CPUs, features %#x, TSC %u kHz (%s)\n", cpus, f,
           tsc_khz, tsc_source);

    /* Addresses the hypervisor must leave alone: no fault, no write. */
    memset(two_pages, 0x5a, sizeof(two_pages));
    bad_address((uint32_t)(uintptr_t)&two_pages[4096 - 16] | 1,
                "crossing a page");
    bad_address(0xf0000000u | 1, "beyond RAM");
    bad_address(0xfee00000u | 1, "in the LAPIC page");
    bad_address(0x100000000000ull | (uint32_t)(uintptr_t)two_pages | 1,
                "above the guest's address space");
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);

    memset((void *)pvti, 0xff, sizeof(pvti));
    for ( i = 0; i < cpus; i++ )
        pvti[i].version = 0;
    smp_call_all(enable, NULL, 1000000);
    for ( i = 0; i < cpus; i++ )
        check_cpu(i);

    /* The clock and the TSC advance together. */
    read_here(&a);
    udelay(20000);
    read_here(&b);
    {
        uint64_t want = muldiv64(b.tsc - a.tsc, 1000000, tsc_khz);
        uint64_t got = b.ns - a.ns;
        uint64_t tol = muldiv64(want, TOL_PPM, 1000000) + 1000;

        CHECK(b.ns > a.ns && got + tol >= want && got <= want + tol,
              "%llu TSC ticks are %llu ns of kvmclock, %llu at %u kHz",
              b.tsc - a.tsc, got, want, tsc_khz);
    }

    /* Monotonic on every CPU and across them. */
    phase_end = rdtsc() + us_to_tsc((uint64_t)ms * 1000);
    smp_call_all(ordered_reads, NULL, 60000000);
    CHECK(!backwards, "kvmclock went back %u times in %u serialised reads "
          "(by up to %llu ns)", backwards, reads, back_by);
    CHECK(!unstable, "%u of %u reads without the stable bit", unstable,
          reads);

    /* The wall clock of kvmclock 0. */
    wall.version = 1;
    wrmsr(MSR_KVM_WALL_CLOCK_NEW, (uint32_t)(uintptr_t)&wall);
    CHECK(wall.version && !(wall.version & 1) && wall.sec > WALL_2020 &&
          wall.nsec < 1000000000u, "wall clock version %u, %u s %u ns",
          wall.version, wall.sec, wall.nsec);
    read_here(&a);
    printf("kvmclock: wall clock %u s + %llu ms of kvmclock\n", wall.sec,
           muldiv64(a.ns, 1, 1000000));

    /* A vCPU's own TSC write: no longer stable, the clock does not jump. */
    if ( cpus >= 2 )
    {
        uint32_t v1 = pvti[1].version;

        read_here(&a);
        smp_call(1, tsc_jump, NULL);
        CHECK(smp_call_wait(1, 1000000), "CPU 1 did not write its TSC");
        CHECK(pvti[1].version != v1 &&
              !(pvti[1].flags & PVCLOCK_TSC_STABLE_BIT),
              "after CPU 1's TSC write its pvclock still says stable "
              "(version %u, was %u)", pvti[1].version, v1);
        (void)kvm_features();               /* an exit on this CPU */
        CHECK(!(pvti[0].flags & PVCLOCK_TSC_STABLE_BIT),
              "after CPU 1's TSC write CPU 0's pvclock still says stable");
        b = cpu1_sample;
        CHECK(b.ns >= a.ns && b.ns - a.ns < 10000000000ull,
              "CPU 1's kvmclock after its TSC write: %llu ns, before "
              "%llu ns", b.ns, a.ns);
    }

    test_pass("%u CPUs: stable, %u kHz, monotonic over %u serialised "
              "reads, wall clock %u s", cpus, tsc_khz, reads, wall.sec);
}

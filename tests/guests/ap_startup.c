/*
 * ap_startup: every CPU the MADT lists as enabled starts through
 * INIT-SIPI-SIPI, reports the APIC ID its own LAPIC and CPUID give it, and
 * runs code we hand it afterwards, each within a timeout.
 *
 * Environment: cpus=N      the CPU count the MADT must list (0: any)
 *              timeout_ms=T how long one AP may take from INIT to online
 *                           (default 1000)
 *              apic=xapic|x2apic  LAPIC mode for the start (default xapic)
 */
#include "test.h"

const char test_name[] = "ap_startup";

static volatile uint32_t ran_on[MAX_CPUS];
static volatile uint32_t ran_id[MAX_CPUS];

static void check_in(void *arg)
{
    (void)arg;
    ran_id[smp_cpu()] = apic_id();
    ran_on[smp_cpu()]++;
}

void test_main(void)
{
    enum apic_mode mode = apic_mode_param(APIC_MODE_XAPIC);
    uint32_t want = env_u32("cpus", 0);
    uint32_t timeout_ms = env_u32("timeout_ms", 1000);
    uint32_t a, b, c, d, bsp_cpuid;
    uint64_t slowest = 0, start;
    unsigned int i, j;
    char ids[4 * MAX_CPUS + 1];
    int n = 0;

    apic_setup(mode);
    time_init();
    smp_discover();

    if ( want && nr_cpus != want )
        test_fail("MADT lists %u enabled CPUs, expected %u", nr_cpus, want);

    cpuid(1, 0, &a, &b, &c, &d);
    bsp_cpuid = b >> 24;
    CHECK(percpu[0].apic_id == percpu[0].madt_id,
          "BSP LAPIC ID %u differs from its MADT entry %u",
          percpu[0].apic_id, percpu[0].madt_id);
    CHECK(bsp_cpuid == (percpu[0].apic_id & 0xff),
          "BSP CPUID.1 initial APIC ID %u, LAPIC says %u", bsp_cpuid,
          percpu[0].apic_id);

    start = rdtsc();
    for ( i = 1; i < nr_cpus; i++ )
    {
        struct percpu *p = &percpu[i];
        uint64_t took;

        if ( !smp_start_ap(i, mode, timeout_ms * 1000ull) )
            test_fail("CPU %u (APIC ID %u) not online %u ms after INIT",
                      i, p->madt_id, timeout_ms);
        took = tsc_to_us(p->online_tsc - p->sipi_tsc);
        if ( took > slowest )
            slowest = took;
        printf("ap_startup: CPU %u up: LAPIC ID %u, CPUID initial ID %u, "
               "MADT %u, %llu us after INIT\n", i, p->apic_id,
               p->cpuid_apic_id, p->madt_id, took);
        CHECK(p->apic_id == p->madt_id,
              "CPU %u reports LAPIC ID %u, the MADT says %u", i, p->apic_id,
              p->madt_id);
        CHECK(p->cpuid_apic_id == (p->madt_id & 0xff),
              "CPU %u reports CPUID initial APIC ID %u, the MADT says %u",
              i, p->cpuid_apic_id, p->madt_id);
        for ( j = 0; j < i; j++ )
            CHECK(percpu[j].apic_id != p->apic_id,
                  "CPUs %u and %u both report APIC ID %u", j, i,
                  p->apic_id);
    }

    /* Started is not enough: each AP must run what it is given. */
    smp_call_all(check_in, NULL, timeout_ms * 1000ull);
    for ( i = 0; i < nr_cpus; i++ )
    {
        CHECK(ran_on[i] == 1, "CPU %u ran the check-in call %u times", i,
              ran_on[i]);
        CHECK(ran_id[i] == percpu[i].apic_id,
              "CPU %u ran the check-in call as APIC ID %u, expected %u", i,
              ran_id[i], percpu[i].apic_id);
        n += snprintf(ids + n, sizeof(ids) - n, "%s%u", i ? "," : "",
                      ran_id[i]);
    }

    test_pass("%u CPUs online (%s mode), APIC IDs %s, slowest AP %llu us "
              "after INIT, all in %llu us", nr_cpus, apic_mode_name(mode),
              ids, slowest, tsc_to_us(rdtsc() - start));
}

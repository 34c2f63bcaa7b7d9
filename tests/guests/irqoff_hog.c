/*
 * irqoff_hog: a vCPU spinning with interrupts disabled gets the pCPU for
 * a time slice at a time, not for as long as it spins.  Two vCPUs share
 * one pCPU: vCPU 1 spins with RFLAGS.IF clear, vCPU 0 spins too (also
 * with IF clear) for 'ms' milliseconds; each notes the longest gap
 * between two of its own TSC reads, which is how long the other one held
 * the pCPU.  The credit scheduler's slice is 30 ms and its tick 10 ms,
 * so no gap may reach 'max_gap_ms' (default 100); both must have run.
 *
 * What it guards: the hypervisor's timer interrupts must reach it while
 * a guest runs with interrupts off.  On hardware they always do (an
 * external interrupt exits whatever the guest's IF); Bochs does not exit
 * then, and xen-lite's VMX backend bounds each guest run with the
 * VMX-preemption timer instead.
 *
 * Environment: ms=N (default 1000), max_gap_ms=N (default 100).
 */
#include "test.h"
#include "hypercall.h"

const char test_name[] = "irqoff_hog";

static volatile uint32_t stop;
static uint64_t gap[2], spins[2], ap_end;

static void hog(unsigned int me, uint64_t end)
{
    uint64_t last = rdtsc(), t;

    cli();
    while ( !stop )
    {
        t = rdtsc();
        if ( t - last > gap[me] )
            gap[me] = t - last;
        last = t;
        spins[me]++;
        if ( end && t >= end )
            break;
    }
}

/*
 * vCPU 1 stops when vCPU 0 says so, or at the latest at ap_end: if it got
 * the pCPU first and kept it (no backstop), vCPU 0 could never say so.
 */
static void hog_ap(void *arg)
{
    (void)arg;
    hog(1, ap_end);
}

void test_main(void)
{
    uint32_t ms = env_u32("ms", 1000), max_gap = env_u32("max_gap_ms", 100);
    static struct xen_sysctl_physinfo phys;
    static struct xen_irq_stats_vcpu st;

    if ( !xen_lite_present() )
        test_skip("needs xen-lite (the vCPUs must share a pCPU)");
    platform_init(apic_mode_param(APIC_MODE_X2APIC), true);
    CHECK(nr_cpus == 2, "needs 2 vCPUs, has %u", nr_cpus);
    CHECK(xen_physinfo(&phys) == 0, "physinfo failed");
    CHECK(phys.nr_cpus == 1, "needs 1 pCPU, has %u", phys.nr_cpus);

    ap_end = rdtsc() + us_to_tsc(3 * ms * 1000ull);
    smp_call(1, hog_ap, NULL);
    hog(0, rdtsc() + us_to_tsc(ms * 1000ull));
    stop = 1;
    sti();
    CHECK(smp_call_wait(1, 1000000), "vCPU 1 did not stop");
    CHECK(xen_irq_stats_vcpu(1, &st) == 0, "irq_stats failed");

    printf("irqoff_hog: %u ms, longest gap vCPU0 %llu us vCPU1 %llu us, "
           "spins %llu / %llu, vCPU1 timer exits %llu\n", ms,
           tsc_to_us(gap[0]), tsc_to_us(gap[1]), spins[0], spins[1],
           st.exits[XEN_EXIT_extint]);
    CHECK(spins[0] && spins[1], "a vCPU never ran");
    CHECK(tsc_to_us(gap[0]) < max_gap * 1000ull, "vCPU 0 waited %llu us "
          "while vCPU 1 spun with interrupts off", tsc_to_us(gap[0]));
    CHECK(tsc_to_us(gap[1]) < max_gap * 1000ull, "vCPU 1 waited %llu us "
          "while vCPU 0 spun with interrupts off", tsc_to_us(gap[1]));
    test_pass("two vCPUs spinning with interrupts off on one pCPU took "
              "turns; longest wait %llu us", tsc_to_us(gap[0] > gap[1] ?
                                                      gap[0] : gap[1]));
}

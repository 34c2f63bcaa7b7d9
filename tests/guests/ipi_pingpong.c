/*
 * ipi_pingpong: CPUs in pairs (0,1), (2,3), ... bounce fixed IPIs with one
 * vector: each receipt sends the next IPI to the partner from inside the
 * handler, before the EOI, so a new IPI often arrives while the previous
 * one is still in service (it must wait in IRR, not be merged). Every IPI
 * sent must be received exactly once: per pair, A's sent == B's received
 * and the other way round, and the total equals ipis=N (default 100000).
 * A pair that stops making progress for stall_ms (default 2000) fails.
 * With an odd CPU count the last CPU has no partner and must receive
 * nothing. SKIP with a single CPU (no second CPU to talk to).
 *
 * Environment: ipis=N, stall_ms=T, apic=xapic|x2apic (default xapic).
 */
#include "test.h"

const char test_name[] = "ipi_pingpong";

#define VEC_PING        0x50

struct pp
{
    volatile uint32_t sent, recv;
    uint32_t quota;                 /* IPIs this CPU must send */
    uint32_t partner;               /* CPU index, or ~0 */
    uint32_t partner_apic;
} __attribute__((aligned(64)));

static struct pp pp[MAX_CPUS];

static void on_ping(struct regs *r)
{
    struct pp *p = &pp[smp_cpu()];

    (void)r;
    p->recv++;
    if ( p->partner != ~0u && p->sent < p->quota )
    {
        p->sent++;
        apic_icr(p->partner_apic, APIC_DM_FIXED | VEC_PING);
    }
    apic_eoi();
}

static void kick(void *arg)
{
    struct pp *p = &pp[smp_cpu()];

    (void)arg;
    p->sent++;
    apic_icr(p->partner_apic, APIC_DM_FIXED | VEC_PING);
}

static bool cpu_done(unsigned int i)
{
    const struct pp *p = &pp[i];

    if ( p->partner == ~0u )
        return true;
    return p->sent == p->quota && p->recv == pp[p->partner].quota;
}

static void report(void)
{
    unsigned int i;

    for ( i = 0; i < nr_cpus; i++ )
        printf("ipi_pingpong: cpu %u (APIC ID %u): sent %u of %u, "
               "received %u\n", i, percpu[i].apic_id, pp[i].sent,
               pp[i].quota, pp[i].recv);
}

void test_main(void)
{
    enum apic_mode mode = apic_mode_param(APIC_MODE_XAPIC);
    uint32_t total = env_u32("ipis", 100000);
    uint32_t stall_ms = env_u32("stall_ms", 2000);
    unsigned int i, npairs;
    uint32_t sum_sent = 0, sum_recv = 0, last_progress = ~0u;
    uint64_t t0, t_end, progress_tsc;
    char per_cpu[16 * MAX_CPUS];
    int n = 0;

    platform_init(mode, true);
    if ( nr_cpus < 2 )
        test_skip("only 1 CPU: ping-pong needs at least 2");
    npairs = nr_cpus / 2;

    /*
     * Split the total over the pairs, and within a pair the first CPU
     * (which starts) sends the extra one when the pair's share is odd.
     */
    for ( i = 0; i < nr_cpus; i++ )
    {
        pp[i].partner = ~0u;
        if ( i / 2 < npairs )
        {
            unsigned int pair = i / 2;
            uint32_t share = total / npairs + (pair < total % npairs);

            pp[i].partner = i ^ 1;
            pp[i].partner_apic = percpu[i ^ 1].apic_id;
            pp[i].quota = (i & 1) ? share / 2 : share - share / 2;
        }
    }
    idt_set_handler(VEC_PING, on_ping);

    t0 = rdtsc();
    for ( i = 2; i < 2 * npairs; i += 2 )
        if ( pp[i].quota )
            smp_call(i, kick, NULL);
    sti();
    if ( pp[0].quota )
        kick(NULL);

    /*
     * Watch for completion, or for no progress at all for stall_ms. The
     * BSP waits in HLT between checks (woken by its own ping-pong IPIs or
     * a 1 ms tick), so it does not steal time from the other CPUs when
     * the emulator has fewer host CPUs than we have.
     */
    tick_start(1000);
    progress_tsc = rdtsc();
    for ( ;; )
    {
        uint32_t now = 0;
        bool done = true;

        for ( i = 0; i < nr_cpus; i++ )
        {
            now += pp[i].recv;
            done &= cpu_done(i);
        }
        if ( done )
            break;
        if ( now != last_progress )
        {
            last_progress = now;
            progress_tsc = rdtsc();
        }
        else if ( rdtsc() - progress_tsc > us_to_tsc(stall_ms * 1000ull) )
        {
            report();
            test_fail("no progress for %u ms after %u IPIs received: an IPI "
                      "was lost", stall_ms, now);
        }
        sti_hlt();
    }
    t_end = rdtsc();
    tick_stop();

    /* Anything late (a duplicate) shows up in the counts after a pause. */
    udelay(2000);
    report();
    for ( i = 0; i < nr_cpus; i++ )
    {
        const struct pp *p = &pp[i];

        sum_sent += p->sent;
        sum_recv += p->recv;
        if ( p->partner == ~0u )
        {
            CHECK(!p->recv, "cpu %u has no partner yet received %u IPIs",
                  i, p->recv);
            continue;
        }
        CHECK(p->sent == p->quota, "cpu %u sent %u IPIs, quota %u", i,
              p->sent, p->quota);
        CHECK(p->recv == pp[p->partner].sent, "cpu %u received %u IPIs, "
              "its partner cpu %u sent %u", i, p->recv, p->partner,
              pp[p->partner].sent);
        n += snprintf(per_cpu + n, sizeof(per_cpu) - n, "%s%u/%u",
                      i ? " " : "", p->sent, p->recv);
    }
    CHECK(sum_sent == total && sum_recv == total, "%u IPIs wanted, %u sent, "
          "%u received", total, sum_sent, sum_recv);

    test_pass("%u CPUs in %u pairs (%s): %u IPIs sent, %u received; "
              "sent/received per CPU %s; %llu ns per IPI (%llu ms)",
              nr_cpus, npairs, apic_mode_name(mode), sum_sent, sum_recv,
              per_cpu,
              udiv64(tsc_to_ns(t_end - t0) * npairs, total ?: 1, NULL),
              udiv64(tsc_to_us(t_end - t0), 1000, NULL));
}

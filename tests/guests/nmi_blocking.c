/*
 * nmi_blocking: NMIs are blocked by a previous NMI until the next IRET,
 * whatever RFLAGS.IF says, and at most one NMI waits meanwhile (SDM Vol.
 * 3A 6.7.1 "Handling Multiple NMIs"; APM Vol. 2 8.5 "NMI").  CPU 1 sends
 * every NMI to CPU 0 through the ICR (delivery mode NMI).
 *  1. With IF=0 on CPU 0, one NMI is taken at once.
 *  2. Nesting, each round: inside CPU 0's NMI handler, CPU 1 sends two
 *     more NMIs; the handler waits wait_ms and none of them may enter it.
 *     After its IRET exactly one of them is taken (the second was lost
 *     in the one pending slot, as on hardware), with nothing nested.
 *  3. That NMI comes right after the IRET: the loop the handler returns
 *     to (IF=0, no exits of its own) may not complete a single pass
 *     before it, as on hardware, where the IRET that unblocks NMIs lets
 *     the pending one in before the next instruction.
 *  4. An NMI and a fixed IPI sent to CPU 0 back to back while it spins
 *     with IF=1: when the NMI goes first, the IPI follows as soon as the
 *     NMI handler's IRET restores IF=1, not at some later exit (the loop
 *     may not complete a pass in between).  With one pCPU for both
 *     vCPUs, CPU 1 sends while CPU 0 is descheduled, so the two are
 *     pending together when it runs again.
 *
 * Environment: rounds=N (default 3), wait_ms=N (default 30).
 */
#include "test.h"

const char test_name[] = "nmi_blocking";

#define VEC_NMI         2
#define VEC_IRQ         0x64
#define TIMEOUT_US      2000000

static struct
{
    volatile uint32_t nmis, depth, max_depth;
    volatile uint32_t nest_round;       /* the handler waits, then sends */
    volatile uint32_t asked, sent;      /* handler -> CPU 1 -> handler */
    volatile uint32_t in_handler_extra; /* NMIs taken inside the handler */
    volatile uint32_t go, stop;
    volatile uint32_t spins;            /* passes of CPU 0's wait loop */
    volatile uint32_t spins_at_iret, after_nest, gap;
    uint32_t wait_ms;
    /* 4. */
    volatile uint32_t go_pair, pair_round, spins4;
    volatile uint32_t nmi_end_spins, nmi_done, irq_spins, irq_done;
    volatile uint32_t irq_after_nmi;
} s;

static void on_irq(struct regs *r)
{
    (void)r;
    s.irq_spins = s.spins4;
    s.irq_after_nmi = s.nmi_done;
    s.irq_done = 1;
    apic_eoi();
}

static void on_nmi(struct regs *r)
{
    uint32_t entry = s.nmis + 1;

    (void)r;
    if ( s.after_nest )
    {
        s.gap = s.spins - s.spins_at_iret;
        s.after_nest = 0;
    }
    s.depth++;
    if ( s.depth > s.max_depth )
        s.max_depth = s.depth;
    s.nmis = entry;
    if ( s.nest_round )
    {
        uint64_t end;

        s.nest_round = 0;
        s.asked = 1;
        /* Two NMIs from CPU 1 while this handler runs. */
        end = deadline_us(TIMEOUT_US);
        while ( !s.sent && rdtsc() < end )
            cpu_relax();
        end = deadline_us((uint64_t)s.wait_ms * 1000);
        while ( rdtsc() < end )
            cpu_relax();
        s.in_handler_extra = s.nmis - entry;
        s.spins_at_iret = s.spins;
        s.after_nest = 1;
    }
    if ( s.pair_round )
    {
        s.nmi_end_spins = s.spins4;
        s.nmi_done = 1;
    }
    s.depth--;
}

static void send_nmi_to_cpu0(void)
{
    apic_icr(percpu[0].apic_id, APIC_DM_NMI | APIC_ASSERT);
}

/* CPU 1: one NMI per request, two when the handler asks. */
static void sender(void *arg)
{
    (void)arg;
    while ( !s.stop )
    {
        if ( s.go )
        {
            s.go = 0;
            send_nmi_to_cpu0();
        }
        if ( s.go_pair )
        {
            /* Let CPU 0 reach its loop, then both at once. */
            s.go_pair = 0;
            udelay(2000);
            apic_icr(percpu[0].apic_id, APIC_DM_FIXED | VEC_IRQ);
            send_nmi_to_cpu0();
        }
        if ( s.asked )
        {
            s.asked = 0;
            send_nmi_to_cpu0();
            send_nmi_to_cpu0();
            s.sent = 1;
        }
        cpu_relax();
    }
}

/* CPU 0 with IF=0: wait for the NMI count to reach want. */
static bool wait_nmis(uint32_t want)
{
    uint64_t end = deadline_us(TIMEOUT_US);

    while ( s.nmis < want && rdtsc() < end )
        s.spins++;
    return s.nmis >= want;
}

void test_main(void)
{
    uint32_t rounds = env_u32("rounds", 3), r, before;
    uint64_t end;

    s.wait_ms = env_u32("wait_ms", 30);
    platform_init(APIC_MODE_XAPIC, true);
    if ( nr_cpus < 2 )
        test_skip("needs 2 CPUs, has %u", nr_cpus);
    idt_set_handler(VEC_NMI, on_nmi);
    cli();
    smp_call(1, sender, NULL);

    /* 1. IF=0 does not hold an NMI off. */
    s.go = 1;
    CHECK(wait_nmis(1), "no NMI within %u ms with IF=0",
          TIMEOUT_US / 1000);

    /* 2. and 3. */
    for ( r = 0; r < rounds; r++ )
    {
        before = s.nmis;
        s.sent = 0;
        s.nest_round = 1;
        s.go = 1;
        CHECK(wait_nmis(before + 1), "round %u: first NMI not taken", r);
        CHECK(s.sent, "round %u: CPU 1 never sent the nested NMIs", r);
        CHECK(!s.in_handler_extra, "round %u: %u NMIs entered the handler "
              "of the one before (no blocking until IRET)", r,
              s.in_handler_extra);
        CHECK(wait_nmis(before + 2), "round %u: the NMI sent during the "
              "handler was never taken after its IRET (count %u)", r,
              s.nmis - before);
        CHECK(s.gap <= 1, "round %u: the waiting NMI came %u loop passes "
              "after the IRET, not right after it", r, s.gap);
        end = deadline_us((uint64_t)s.wait_ms * 1000);
        while ( rdtsc() < end )
            cpu_relax();
        CHECK(s.nmis == before + 2, "round %u: %u NMIs taken for 3 sent "
              "(one may wait, the other is lost)", r, s.nmis - before);
    }
    CHECK(s.max_depth == 1, "NMI handlers nested %u deep", s.max_depth);

    /* 4. */
    idt_set_handler(VEC_IRQ, on_irq);
    for ( r = 0; r < rounds; r++ )
    {
        s.spins4 = s.nmi_done = s.irq_done = s.irq_after_nmi = 0;
        s.pair_round = 1;
        s.go_pair = 1;
        sti();
        end = deadline_us(TIMEOUT_US);
        while ( !(s.nmi_done && s.irq_done) && rdtsc() < end )
            s.spins4++;
        cli();
        s.pair_round = 0;
        CHECK(s.nmi_done && s.irq_done, "round %u: NMI %u, IPI %u", r,
              s.nmi_done, s.irq_done);
        printf("nmi_blocking: round %u: IPI %s the NMI, %u passes\n", r,
               s.irq_after_nmi ? "after" : "before",
               s.irq_after_nmi ? s.irq_spins - s.nmi_end_spins : 0);
        CHECK(!s.irq_after_nmi || s.irq_spins - s.nmi_end_spins <= 1,
              "round %u: the IPI came %u loop passes after the NMI "
              "handler returned with IF=1", r,
              s.irq_spins - s.nmi_end_spins);
    }

    s.stop = 1;
    CHECK(smp_call_wait(1, TIMEOUT_US), "CPU 1 did not stop");
    test_pass("%u NMIs: taken with IF=0, none nested, one of two held "
              "until IRET in %u rounds", s.nmis, rounds);
}

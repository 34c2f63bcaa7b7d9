/*
 * hlt_irqoff_nmi: HLT with interrupts disabled (IF=0) is left only by an
 * NMI (SDM Vol. 2A "HLT": an enabled interrupt, NMI, SMI, INIT or reset
 * resumes a halted processor; with IF=0 a maskable interrupt is not
 * enabled).  Each round:
 *  - CPU 1 disables interrupts, sends itself a fixed IPI, which stays
 *    pending in IRR, and halts;
 *  - CPU 0 sends it a second fixed IPI, waits wait_ms and checks that
 *    CPU 1 is still halted (neither IPI may end the HLT), then sends it
 *    an NMI through the ICR (delivery mode NMI);
 *  - CPU 1 must leave HLT through its NMI handler, entered at the
 *    instruction after the HLT with IF=0, with neither IPI taken; once it
 *    sets IF again both IPIs are delivered, once each.
 *
 * Environment: rounds=N (default 3), wait_ms=N (default 50).
 */
#include "test.h"

const char test_name[] = "hlt_irqoff_nmi";

#define VEC_NMI         2
#define VEC_SELF        0xd1
#define VEC_REMOTE      0xe1
#define WAKE_TIMEOUT_US 2000000

static struct
{
    volatile uint32_t halted, woke, done;
    volatile uint32_t nmis, self_irqs, remote_irqs;
    volatile uint32_t nmi_eip, nmi_eflags;
    uint32_t irq_pending_before;    /* VEC_SELF in IRR before the HLT */
    uint32_t nmis_at_wake, irqs_at_wake;
} s;

/* The address right after CPU 1's HLT (defined in sleeper()). */
extern const char hlt_irqoff_nmi_resume[];

static void on_nmi(struct regs *r)
{
    s.nmi_eip = r->eip;
    s.nmi_eflags = r->eflags;
    s.nmis++;
}

static void on_irq(struct regs *r)
{
    if ( r->vector == VEC_SELF )
        s.self_irqs++;
    else
        s.remote_irqs++;
    apic_eoi();
}

/* CPU 1. */
static void sleeper(void *arg)
{
    (void)arg;
    cli();
    apic_icr(apic_id(), APIC_DM_FIXED | VEC_SELF);
    s.irq_pending_before = apic_vec_set(APIC_IRR, VEC_SELF);
    s.halted = 1;
    asm volatile ( "hlt\n"
                   ".globl hlt_irqoff_nmi_resume\n"
                   "hlt_irqoff_nmi_resume:" ::: "memory" );
    s.nmis_at_wake = s.nmis;
    s.irqs_at_wake = s.self_irqs + s.remote_irqs;
    s.woke = 1;
    sti();
    /* Both IPIs are delivered at the latest after the STI shadow. */
    wait_u32(&s.remote_irqs, 1, WAKE_TIMEOUT_US);
    wait_u32(&s.self_irqs, 1, WAKE_TIMEOUT_US);
    s.done = 1;
}

static void one_round(unsigned int round, uint32_t wait_ms)
{
    uint32_t target = percpu[1].apic_id;
    uint64_t end;

    memset((void *)&s, 0, sizeof(s));
    barrier();
    smp_call(1, sleeper, NULL);
    if ( !wait_u32(&s.halted, 1, WAKE_TIMEOUT_US) )
        test_fail("round %u: cpu 1 never got to its HLT", round);
    CHECK(s.irq_pending_before, "round %u: the self-IPI is not pending in "
          "IRR with IF=0", round);

    apic_icr(target, APIC_DM_FIXED | VEC_REMOTE);
    end = deadline_us((uint64_t)wait_ms * 1000);
    while ( rdtsc() < end )
        CHECK(!s.woke, "round %u: cpu 1 left HLT with IF=0 before the "
              "NMI (NMIs %u, interrupts taken %u)", round, s.nmis,
              s.self_irqs + s.remote_irqs);

    apic_icr(target, APIC_DM_NMI | APIC_ASSERT);
    if ( !wait_u32(&s.woke, 1, WAKE_TIMEOUT_US) )
        test_fail("round %u: cpu 1 not woken from HLT by the NMI within "
                  "%u ms", round, WAKE_TIMEOUT_US / 1000);
    if ( !smp_call_wait(1, WAKE_TIMEOUT_US) )
        test_fail("round %u: cpu 1 did not finish", round);

    CHECK(s.nmis_at_wake == 1, "round %u: cpu 1 left HLT after %u NMIs, "
          "expected 1", round, s.nmis_at_wake);
    CHECK(s.nmi_eip == (uint32_t)hlt_irqoff_nmi_resume, "round %u: NMI "
          "taken at %#x, expected %#x (after the HLT)", round, s.nmi_eip,
          (uint32_t)hlt_irqoff_nmi_resume);
    CHECK(!(s.nmi_eflags & EFLAGS_IF), "round %u: NMI interrupted code with "
          "IF=1", round);
    CHECK(s.irqs_at_wake == 0, "round %u: %u maskable interrupts taken "
          "with IF=0", round, s.irqs_at_wake);
    CHECK(s.self_irqs == 1 && s.remote_irqs == 1, "round %u: after STI "
          "self-IPI taken %u times, IPI from cpu 0 %u times, expected 1 "
          "each", round, s.self_irqs, s.remote_irqs);
    CHECK(s.nmis == 1, "round %u: %u NMIs", round, s.nmis);
}

void test_main(void)
{
    uint32_t rounds = env_u32("rounds", 3), wait_ms = env_u32("wait_ms", 50);
    unsigned int r;

    platform_init(APIC_MODE_XAPIC, true);
    if ( nr_cpus < 2 )
        test_skip("needs 2 CPUs, has %u", nr_cpus);
    idt_set_handler(VEC_NMI, on_nmi);
    idt_set_handler(VEC_SELF, on_irq);
    idt_set_handler(VEC_REMOTE, on_irq);

    for ( r = 0; r < rounds; r++ )
        one_round(r, wait_ms);
    CHECK(!percpu[1].spurious, "cpu 1: %u spurious-vector interrupts",
          percpu[1].spurious);
    test_pass("%u rounds: HLT with IF=0 stayed halted %u ms with two IPIs "
              "pending, left by the NMI, IPIs delivered once each after "
              "STI", rounds, wait_ms);
}

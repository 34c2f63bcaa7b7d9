/*
 * nmi_sources: NMIs from the sources nmi_blocking and hlt_irqoff_nmi do
 * not use, each taken exactly once and where the SDM puts it.
 *
 * A. Self-NMIs (SDM Vol. 3A 11.6.1, "Interrupt Command Register"), with
 *    IF=1 and with IF=0, in xAPIC mode and (where the CPU has it) x2APIC
 *    mode: NMI to CPU 0's own APIC ID (no shorthand) reaches CPU 0 once
 *    and CPU 1 never; NMI to the physical broadcast ID (0xff, x2APIC
 *    0xffffffff) reaches every CPU, the sender included, once; NMI with
 *    the all-excluding-self shorthand reaches CPU 1 once and not CPU 0.
 *    (The self and all-including-self shorthands carry fixed interrupts
 *    only: an NMI with them is "invalid" in SDM tables 11-3/11-4, so the
 *    broadcast ID is how software sends an NMI to all including self.)
 * B. NMIs and the STI shadow (SDM Vol. 3A 6.8.3: after STI with IF=0,
 *    maskable interrupts stay inhibited up to the end of the next
 *    instruction; whether an NMI is inhibited too is model specific, and
 *    VM entry may refuse an NMI injected under STI blocking, SDM Vol. 3C
 *    26.3.1.5).  What holds on every processor, and so what a hypervisor
 *    must give: an NMI pending in the shadow arrives no later than right
 *    after it, is never lost, and never breaks the guest.
 *    B1. IF=0, a fixed self-IPI waiting in IRR; then STI followed by the
 *        instruction that sends CPU 0 an NMI (xAPIC: a MOV to the ICR,
 *        x2APIC: WRMSR), so the NMI is raised inside the shadow.  At the
 *        end of the shadow both are pending: the NMI is taken first (it
 *        has priority over maskable interrupts, SDM Vol. 3A 6.9), at the
 *        boundary right after the ICR write, with IF=1 saved; the vector
 *        comes at the same boundary, right after the NMI handler's IRET
 *        restores IF; each once.
 *    B2. CPU 0 runs a long chain of STI;CLI pairs (every other boundary
 *        is in an STI shadow) while CPU 1 sends it `rounds` NMIs, one at
 *        a time at varying moments: each is taken, exactly once, with
 *        the IF its boundary has (in the chain 1 after STI, 0 after CLI;
 *        0 in the loop around it).  Prints how many came at the end of an
 *        STI, i.e. inside its shadow (QEMU takes NMIs there, Bochs holds
 *        them for one instruction: both are allowed).
 * C. LINT1, only under xen-lite (natively nothing drives LINT1): the
 *    domctl XEN_DOMCTL_sendtrigger with the NMI trigger (`xl trigger
 *    <dom> nmi <vcpu>`) pulses the vCPU's LINT1 input, which follows the
 *    LVT LINT1 entry (SDM Vol. 3A 11.5.1).  With both CPUs' entries set to
 *    NMI, a trigger on vCPU 1 gives CPU 1 one NMI and CPU 0 none, a
 *    trigger on vCPU 0 the reverse; masked, no NMI (also none once it is
 *    unmasked: the edge is gone); Fixed with a vector, that vector once on
 *    CPU 1 and no NMI.  A vCPU index beyond the domain's (2, ~0) is
 *    -EINVAL, an unknown trigger -ENOSYS, a missing domain -ESRCH.
 *
 * Environment: rounds=N (B2, default 20), wait_ms=N (how long "none"
 * and "exactly once" are watched, default 20).
 */
#include <public/errno.h>

#include "hypercall.h"
#include "test.h"

const char test_name[] = "nmi_sources";

#define VEC_NMI         2
#define VEC_PENDING     0x71        /* B1: waits in IRR across the STI */
#define VEC_LINT        0x83        /* C: LVT LINT1 in fixed mode */
#define TIMEOUT_US      2000000

#define MSR_X2APIC_ICR  0x830

static struct
{
    volatile uint32_t nmis[2];
    /* CPU 0's last NMI: where it came and with which IF. */
    volatile uint32_t nmi_eip, nmi_eflags;
    volatile uint32_t pend_irqs, pend_eip;
    volatile uint32_t lint_vecs[2];
    /* Order of B1's events on CPU 0: 'N' NMI, 'I' the pending vector. */
    volatile char order[8];
    volatile uint32_t n_order;
    /* B2: CPU 0's NMIs while it runs the chain loop, and in the chain */
    volatile uint32_t go, stop, chain_active, chain_nmis;
    volatile uint32_t in_chain, in_shadow, if_wrong;
    uint32_t wait_ms;
} s;

/*
 * B1's instruction pairs: STI, then the ICR write in its shadow.  The
 * label after the write is the boundary where the shadow ends.
 *   nmi_sources_sti_store(addr, val): STI; MOV val to [addr]; CLI.
 *   nmi_sources_sti_wrmsr(msr, lo, hi): STI; WRMSR; CLI.
 * B2's chain: 64 STI;CLI pairs.
 */
extern const char nmi_sources_store_end[], nmi_sources_wrmsr_end[];
extern const char nmi_sources_chain[], nmi_sources_chain_end[];
void nmi_sources_sti_store(uint32_t addr, uint32_t val);
void nmi_sources_sti_wrmsr(uint32_t msr, uint32_t lo, uint32_t hi);
void nmi_sources_run_chain(void);

asm ( ".text\n"
      ".globl nmi_sources_sti_store\n"
      "nmi_sources_sti_store:\n"
      "    movl 4(%esp), %edx\n"
      "    movl 8(%esp), %eax\n"
      "    sti\n"
      "    movl %eax, (%edx)\n"
      ".globl nmi_sources_store_end\n"
      "nmi_sources_store_end:\n"
      "    cli\n"
      "    ret\n"
      ".globl nmi_sources_sti_wrmsr\n"
      "nmi_sources_sti_wrmsr:\n"
      "    movl 4(%esp), %ecx\n"
      "    movl 8(%esp), %eax\n"
      "    movl 12(%esp), %edx\n"
      "    sti\n"
      "    wrmsr\n"
      ".globl nmi_sources_wrmsr_end\n"
      "nmi_sources_wrmsr_end:\n"
      "    cli\n"
      "    ret\n"
      ".globl nmi_sources_run_chain\n"
      "nmi_sources_run_chain:\n"
      ".globl nmi_sources_chain\n"
      "nmi_sources_chain:\n"
      "    .rept 64\n"
      "    sti\n"
      "    cli\n"
      "    .endr\n"
      ".globl nmi_sources_chain_end\n"
      "nmi_sources_chain_end:\n"
      "    ret\n" );

static void on_nmi(struct regs *r)
{
    unsigned int cpu = smp_cpu();
    uint32_t eip = r->eip;

    if ( cpu > 1 )
        return;
    s.nmis[cpu]++;
    if ( cpu != 0 )
        return;
    s.nmi_eip = eip;
    s.nmi_eflags = r->eflags;
    if ( s.n_order < sizeof(s.order) )
        s.order[s.n_order++] = 'N';
    if ( !s.chain_active )
        return;
    /* The loop around the chain (IF=0) takes some too. */
    s.chain_nmis++;
    if ( eip >= (uint32_t)nmi_sources_chain &&
         eip <= (uint32_t)nmi_sources_chain_end )
    {
        /* 0xfa: CLI next, so the last instruction was an STI. */
        bool after_sti = *(const volatile uint8_t *)eip == 0xfa;

        s.in_chain++;
        if ( after_sti )
            s.in_shadow++;
        if ( !!(r->eflags & EFLAGS_IF) != after_sti )
            s.if_wrong++;
    }
    else if ( r->eflags & EFLAGS_IF )
        s.if_wrong++;
}

static void on_pending(struct regs *r)
{
    s.pend_irqs++;
    s.pend_eip = r->eip;
    if ( s.n_order < sizeof(s.order) )
        s.order[s.n_order++] = 'I';
    apic_eoi();
}

static void on_lint(struct regs *r)
{
    unsigned int cpu = smp_cpu();

    (void)r;
    if ( cpu <= 1 )
        s.lint_vecs[cpu]++;
    apic_eoi();
}

/* Wait until n[cpu] reaches want (IF as the caller has it). */
static bool wait_for(volatile uint32_t *n, uint32_t want)
{
    uint64_t end = deadline_us(TIMEOUT_US);

    while ( *n < want && rdtsc() < end )
        cpu_relax();
    return *n >= want;
}

static void settle(void)
{
    udelay((uint64_t)s.wait_ms * 1000);
}

/* --- A --- */

static void expect_nmis(const char *what, uint32_t b0, uint32_t b1,
                        uint32_t want0, uint32_t want1)
{
    if ( want0 )
        CHECK(wait_for(&s.nmis[0], b0 + want0), "%s: CPU 0 took no NMI "
              "within %u ms", what, TIMEOUT_US / 1000);
    if ( want1 )
        CHECK(wait_for(&s.nmis[1], b1 + want1), "%s: CPU 1 took no NMI "
              "within %u ms", what, TIMEOUT_US / 1000);
    settle();
    CHECK(s.nmis[0] - b0 == want0 && s.nmis[1] - b1 == want1,
          "%s: CPU 0 took %u NMIs, CPU 1 %u; wanted %u and %u", what,
          s.nmis[0] - b0, s.nmis[1] - b1, want0, want1);
}

static void self_nmis(bool x2)
{
    uint32_t bcast = x2 ? 0xffffffffu : 0xffu;
    char what[64];

    for ( unsigned int if_on = 0; if_on < 2; if_on++ )
    {
        const char *m = x2 ? "x2APIC" : "xAPIC";
        const char *f = if_on ? "IF=1" : "IF=0";
        uint32_t b0, b1;

        if ( if_on )
            sti();
        else
            cli();

        snprintf(what, sizeof(what), "%s %s: NMI to own APIC ID", m, f);
        b0 = s.nmis[0];
        b1 = s.nmis[1];
        apic_icr(apic_id(), APIC_DM_NMI | APIC_ASSERT);
        expect_nmis(what, b0, b1, 1, 0);

        snprintf(what, sizeof(what), "%s %s: NMI to broadcast ID %#x", m,
                 f, bcast);
        b0 = s.nmis[0];
        b1 = s.nmis[1];
        apic_icr(bcast, APIC_DM_NMI | APIC_ASSERT);
        expect_nmis(what, b0, b1, 1, 1);

        snprintf(what, sizeof(what), "%s %s: NMI to all excluding self", m,
                 f);
        b0 = s.nmis[0];
        b1 = s.nmis[1];
        apic_icr(0, APIC_SH_OTHERS | APIC_DM_NMI | APIC_ASSERT);
        expect_nmis(what, b0, b1, 0, 1);
    }
    cli();
}

/* --- B1 --- */

static void nmi_in_sti_shadow(bool x2)
{
    const char *m = x2 ? "x2APIC WRMSR" : "xAPIC MOV";
    uint32_t end = x2 ? (uint32_t)nmi_sources_wrmsr_end
                      : (uint32_t)nmi_sources_store_end;
    uint32_t b0 = s.nmis[0], b1 = s.nmis[1], low = APIC_DM_NMI | APIC_ASSERT;
    uint64_t until;

    cli();
    s.pend_irqs = 0;
    s.n_order = 0;
    apic_icr(apic_id(), APIC_DM_FIXED | VEC_PENDING);
    until = deadline_us(TIMEOUT_US);
    while ( !apic_vec_set(APIC_IRR, VEC_PENDING) && rdtsc() < until )
        cpu_relax();
    CHECK(apic_vec_set(APIC_IRR, VEC_PENDING), "%s: the self-IPI %#x is "
          "not pending in IRR with IF=0", m, VEC_PENDING);
    CHECK(!s.pend_irqs, "%s: the self-IPI was taken with IF=0", m);

    if ( x2 )
        nmi_sources_sti_wrmsr(MSR_X2APIC_ICR, low, apic_id());
    else
    {
        uint32_t base = (uint32_t)rdmsr(MSR_APIC_BASE) & 0xfffff000u;

        apic_write(APIC_ICR2, apic_id() << 24);
        nmi_sources_sti_store(base + APIC_ICR, low);
    }
    /* Back with IF=0: the CLI after the label. */
    CHECK(wait_for(&s.nmis[0], b0 + 1), "%s: the NMI sent in the STI "
          "shadow was never taken", m);
    CHECK(s.nmi_eip == end, "%s: the NMI sent in the STI shadow was taken "
          "at %#x, not where the shadow ends (%#x)", m, s.nmi_eip, end);
    CHECK(s.nmi_eflags & EFLAGS_IF, "%s: the NMI at the end of the STI "
          "shadow saved IF=0", m);
    CHECK(s.pend_irqs == 1, "%s: the vector pending across the STI was "
          "taken %u times before the CLI after the shadow", m, s.pend_irqs);
    CHECK(s.pend_eip == end, "%s: the pending vector came at %#x, not "
          "right after the NMI handler's IRET (%#x)", m, s.pend_eip, end);
    CHECK(s.n_order == 2 && s.order[0] == 'N' && s.order[1] == 'I',
          "%s: events in the order %c%c (%u), wanted the NMI first", m,
          s.n_order > 0 ? s.order[0] : '-', s.n_order > 1 ? s.order[1] : '-',
          s.n_order);
    settle();
    CHECK(s.nmis[0] == b0 + 1 && s.nmis[1] == b1 && s.pend_irqs == 1,
          "%s: %u NMIs on CPU 0, %u on CPU 1, %u pending vectors; wanted "
          "1, 0, 1", m, s.nmis[0] - b0, s.nmis[1] - b1, s.pend_irqs);
}

/* --- B2 --- */

/* CPU 1: one NMI to CPU 0 per request, after a delay that varies. */
static void chain_sender(void *arg)
{
    uint32_t r = 0;

    (void)arg;
    while ( !s.stop )
    {
        if ( s.go )
        {
            udelay((r * 37) % 400);
            s.go = 0;
            apic_icr(percpu[0].apic_id, APIC_DM_NMI | APIC_ASSERT);
            r++;
        }
        cpu_relax();
    }
}

static void nmis_in_sti_chain(uint32_t rounds)
{
    uint32_t b1 = s.nmis[1];

    cli();
    s.chain_nmis = s.in_chain = s.in_shadow = s.if_wrong = 0;
    s.stop = 0;
    s.chain_active = 1;
    smp_call(1, chain_sender, NULL);
    for ( uint32_t r = 0; r < rounds; r++ )
    {
        uint32_t want = s.chain_nmis + 1;
        uint64_t end = deadline_us(TIMEOUT_US);

        s.go = 1;
        while ( s.chain_nmis < want && rdtsc() < end )
            nmi_sources_run_chain();
        CHECK(s.chain_nmis >= want, "STI chain: NMI %u of %u never taken "
              "(CPU 0 ran STI;CLI pairs)", r + 1, rounds);
    }
    s.stop = 1;
    CHECK(smp_call_wait(1, TIMEOUT_US), "CPU 1 did not stop sending");
    for ( uint32_t i = 0; i < 4; i++ )
        nmi_sources_run_chain();
    settle();
    s.chain_active = 0;
    CHECK(s.chain_nmis == rounds, "STI chain: %u NMIs taken for %u sent",
          s.chain_nmis, rounds);
    CHECK(!s.if_wrong, "STI chain: %u NMIs saved an IF the boundary "
          "does not have", s.if_wrong);
    CHECK(s.nmis[1] == b1, "STI chain: CPU 1 took %u NMIs", s.nmis[1] - b1);
    printf("nmi_sources: STI chain: %u NMIs, %u in the chain, %u of them "
           "at the end of an STI (in its shadow)\n", rounds, s.in_chain,
           s.in_shadow);
}

/* --- C --- */

static struct xen_domctl op;

static long trigger(domid_t dom, uint32_t trig, uint32_t vcpu)
{
    memset(&op, 0, sizeof(op));
    op.cmd = XEN_DOMCTL_sendtrigger;
    op.domain = dom;
    op.u.sendtrigger.trigger = trig;
    op.u.sendtrigger.vcpu = vcpu;
    return xen_domctl(&op);
}

static void set_lint1(void *arg)
{
    apic_write(APIC_LINT1, (uint32_t)arg);
}

static void cpu1_lint1(uint32_t val)
{
    smp_call(1, set_lint1, (void *)val);
    CHECK(smp_call_wait(1, TIMEOUT_US), "CPU 1 did not set LVT LINT1");
}

static void nmi_trigger(uint32_t vcpu, const char *what)
{
    long rc = trigger(0, XEN_DOMCTL_SENDTRIGGER_NMI, vcpu);

    CHECK(rc == 0, "%s: sendtrigger NMI on vCPU %u: %ld", what, vcpu, rc);
}

static void lint1(void)
{
    uint32_t b0, b1;
    long rc;

    /* CPU 0 waits with IF=0, CPU 1 idles in HLT with IF=1. */
    cli();
    apic_write(APIC_LINT1, APIC_DM_NMI);
    cpu1_lint1(APIC_DM_NMI);

    b0 = s.nmis[0];
    b1 = s.nmis[1];
    nmi_trigger(1, "LINT1 NMI");
    expect_nmis("LINT1 NMI, trigger on vCPU 1", b0, b1, 0, 1);
    b1 = s.nmis[1];
    nmi_trigger(0, "LINT1 NMI");
    expect_nmis("LINT1 NMI, trigger on vCPU 0", b0, b1, 1, 0);

    b0 = s.nmis[0];
    b1 = s.nmis[1];
    cpu1_lint1(APIC_LVT_MASKED | APIC_DM_NMI);
    nmi_trigger(1, "LINT1 masked");
    expect_nmis("LINT1 masked", b0, b1, 0, 0);
    cpu1_lint1(APIC_DM_NMI);
    expect_nmis("LINT1 unmasked after a masked edge", b0, b1, 0, 0);

    idt_set_handler(VEC_LINT, on_lint);
    cpu1_lint1(APIC_DM_FIXED | VEC_LINT);
    nmi_trigger(1, "LINT1 fixed");
    CHECK(wait_for(&s.lint_vecs[1], 1), "LINT1 fixed %#x: not taken on "
          "CPU 1", VEC_LINT);
    settle();
    CHECK(s.lint_vecs[1] == 1 && s.lint_vecs[0] == 0,
          "LINT1 fixed %#x: taken %u times on CPU 1, %u on CPU 0", VEC_LINT,
          s.lint_vecs[1], s.lint_vecs[0]);
    CHECK(s.nmis[0] == b0 && s.nmis[1] == b1, "LINT1 fixed: %u and %u "
          "NMIs", s.nmis[0] - b0, s.nmis[1] - b1);
    cpu1_lint1(APIC_LVT_MASKED);
    apic_write(APIC_LINT1, APIC_LVT_MASKED);

    /* Refusals, none of which may deliver anything. */
    rc = trigger(0, XEN_DOMCTL_SENDTRIGGER_NMI, 2);
    CHECK(rc == -XEN_EINVAL, "trigger on vCPU 2 of 2: %ld, wanted %d", rc,
          -XEN_EINVAL);
    rc = trigger(0, XEN_DOMCTL_SENDTRIGGER_NMI, 0xffffffffu);
    CHECK(rc == -XEN_EINVAL, "trigger on vCPU 0xffffffff: %ld, wanted %d",
          rc, -XEN_EINVAL);
    rc = trigger(0, 2, 0);
    CHECK(rc == -XEN_ENOSYS, "trigger 2 (reset): %ld, wanted %d", rc,
          -XEN_ENOSYS);
    rc = trigger(77, XEN_DOMCTL_SENDTRIGGER_NMI, 0);
    CHECK(rc == -XEN_ESRCH, "trigger on d77: %ld, wanted %d", rc,
          -XEN_ESRCH);
    expect_nmis("refused triggers", b0, b1, 0, 0);
}

static void to_x2apic(void *arg)
{
    (void)arg;
    apic_setup(APIC_MODE_X2APIC);
}

void test_main(void)
{
    uint32_t rounds = env_u32("rounds", 20);
    bool x2, xen;

    s.wait_ms = env_u32("wait_ms", 20);
    platform_init(APIC_MODE_XAPIC, true);
    if ( nr_cpus < 2 )
        test_skip("needs 2 CPUs, has %u", nr_cpus);
    x2 = apic_has_x2apic();
    xen = xen_lite_present();
    idt_set_handler(VEC_NMI, on_nmi);
    idt_set_handler(VEC_PENDING, on_pending);

    self_nmis(false);
    nmi_in_sti_shadow(false);
    nmis_in_sti_chain(rounds);
    if ( xen )
        lint1();
    if ( x2 )
    {
        apic_setup(APIC_MODE_X2APIC);
        smp_call(1, to_x2apic, NULL);
        CHECK(smp_call_wait(1, TIMEOUT_US), "CPU 1 did not enter x2APIC");
        self_nmis(true);
        nmi_in_sti_shadow(true);
    }
    test_pass("self-NMIs (own ID, broadcast, all-but-self) and NMI at the "
              "end of an STI shadow in xAPIC%s; %u NMIs in STI;CLI, %u in "
              "a shadow; %s", x2 ? " and x2APIC" : " (x2APIC absent)",
              rounds, s.in_shadow,
              xen ? "LINT1 NMI, masked, fixed, refusals"
                  : "LINT1 not checked (no xen-lite)");
}

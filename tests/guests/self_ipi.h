/*
 * The body shared by self_ipi_xapic and self_ipi_x2apic: self-IPIs on the
 * BSP, each of which must be delivered exactly once, in send order.
 *
 * Phase 1 (ipis=N, default 10000): vectors cycle through 0x30-0xfe and the
 *   way of sending rotates: ICR with the "self" shorthand, ICR with no
 *   shorthand and our own APIC ID as physical destination, and (x2APIC)
 *   the SELF IPI MSR 0x83f. Each send is waited for: the handler must see
 *   exactly the vector just sent, once.
 * Phase 2 (256 sends): with interrupts off the IPI must show in IRR (not
 *   ISR) and not be taken; after STI it is taken once and IRR is clear.
 * Phase 3 (resend=M, default 1000): the handler sends the same vector to
 *   itself again before its EOI. The new one must wait in IRR while the
 *   old one is in ISR and be delivered after the EOI, never merged with
 *   it (the lost-IPI pattern of a hypervisor that tracks injection late).
 */
#ifndef SELF_IPI_H
#define SELF_IPI_H

#include "test.h"

#define VEC_FIRST       0x30
#define VEC_LAST        0xfe
#define VEC_RESEND      0x77
#define WAIT_US         100000

enum how
{
    HOW_SHORTHAND,
    HOW_PHYSICAL,
    HOW_MSR,
    NR_HOW,
};

static const char *const how_name[NR_HOW] = {
    "ICR self shorthand", "ICR physical own ID", "SELF IPI MSR",
};

static volatile uint32_t received;
static volatile uint32_t expect_vec;
static volatile uint32_t wrong_vec, wrong_expected, wrong_count;
static uint32_t per_vec[256];
static uint32_t sent_per_vec[256];

/* Phase 3 state. */
static volatile uint32_t resend_left, resend_got;
static volatile uint32_t resend_not_in_isr, resend_not_in_irr;

static void on_ipi(struct regs *r)
{
    if ( r->vector != expect_vec )
    {
        if ( !wrong_count++ )
        {
            wrong_vec = r->vector;
            wrong_expected = expect_vec;
        }
    }
    per_vec[r->vector]++;
    received++;
    apic_eoi();
}

static void send_self(enum how how, uint8_t vec)
{
    switch ( how )
    {
    case HOW_SHORTHAND:
        apic_icr(0, APIC_SH_SELF | APIC_DM_FIXED | vec);
        break;
    case HOW_PHYSICAL:
        apic_icr(this_cpu()->apic_id, APIC_DM_FIXED | vec);
        break;
    default:
        apic_self_ipi_msr(vec);
        break;
    }
}

static void on_resend(struct regs *r)
{
    unsigned int spins;

    resend_got++;
    if ( !apic_vec_set(APIC_ISR, r->vector) )
        resend_not_in_isr++;
    if ( resend_left )
    {
        resend_left--;
        apic_icr(0, APIC_SH_SELF | APIC_DM_FIXED | r->vector);
        /* Same vector, already in service: it can only wait in IRR. */
        for ( spins = 0; spins < 1000; spins++ )
            if ( apic_vec_set(APIC_IRR, r->vector) )
                break;
        if ( spins == 1000 )
            resend_not_in_irr++;
    }
    apic_eoi();
}

static void check_idle_state(const char *when)
{
    int irr = apic_vec_highest(APIC_IRR), isr = apic_vec_highest(APIC_ISR);

    CHECK(irr < 0 && isr < 0, "%s: IRR highest %d, ISR highest %d, both "
          "should be empty", when, irr, isr);
}

static void self_ipi_run(enum apic_mode mode)
{
    uint32_t n = env_u32("ipis", 10000);
    uint32_t resend = env_u32("resend", 1000);
    unsigned int nhow = mode == APIC_MODE_X2APIC ? NR_HOW : HOW_MSR;
    uint32_t per_how[NR_HOW] = { 0 };
    unsigned int i, v;
    uint64_t t0, t_total;

    platform_init(mode, false);
    for ( v = VEC_FIRST; v <= VEC_LAST; v++ )
        idt_set_handler(v, on_ipi);

    /* Phase 1. */
    sti();
    t0 = rdtsc();
    for ( i = 0; i < n; i++ )
    {
        uint8_t vec = VEC_FIRST + i % (VEC_LAST - VEC_FIRST + 1);
        enum how how = i % nhow;
        uint32_t before = received;

        expect_vec = vec;
        sent_per_vec[vec]++;
        per_how[how]++;
        send_self(how, vec);
        if ( !wait_u32(&received, before + 1, WAIT_US) )
            test_fail("self-IPI %u (vector %#x, %s) not delivered within "
                      "%u ms", i, vec, how_name[how], WAIT_US / 1000);
        CHECK(received == before + 1, "self-IPI %u (vector %#x, %s) "
              "delivered %u times", i, vec, how_name[how],
              received - before);
        CHECK(!wrong_count, "self-IPI %u: got vector %#x while %#x was "
              "the one sent", i, wrong_vec, wrong_expected);
    }
    t_total = rdtsc() - t0;
    udelay(1000);
    CHECK(received == n, "phase 1: %u self-IPIs sent, %u delivered", n,
          received);
    for ( v = 0; v < 256; v++ )
        CHECK(per_vec[v] == sent_per_vec[v], "vector %#x sent %u times, "
              "delivered %u times", v, sent_per_vec[v], per_vec[v]);
    check_idle_state("after phase 1");
    printf("self_ipi: phase 1: %u self-IPIs delivered once each, in order "
           "(%u shorthand, %u physical, %u MSR), %llu ns per IPI\n", n,
           per_how[HOW_SHORTHAND], per_how[HOW_PHYSICAL], per_how[HOW_MSR],
           n ? udiv64(tsc_to_ns(t_total), n, NULL) : 0);

    /* Phase 2. */
    for ( i = 0; i < 256; i++ )
    {
        uint8_t vec = VEC_FIRST + (i * 7) % (VEC_LAST - VEC_FIRST + 1);
        enum how how = i % nhow;
        uint32_t before = received;
        unsigned int spins;

        cli();
        expect_vec = vec;
        send_self(how, vec);
        for ( spins = 0; spins < 100000; spins++ )
            if ( apic_vec_set(APIC_IRR, vec) )
                break;
        CHECK(spins < 100000, "interrupts off: self-IPI vector %#x (%s) "
              "never showed in IRR", vec, how_name[how]);
        CHECK(!apic_vec_set(APIC_ISR, vec), "interrupts off: vector %#x "
              "in ISR before it was taken", vec);
        CHECK(received == before, "interrupts off: vector %#x was taken",
              vec);
        sti();
        if ( !wait_u32(&received, before + 1, WAIT_US) )
            test_fail("pending self-IPI vector %#x not taken after STI",
                      vec);
        udelay(10);
        CHECK(received == before + 1, "pending vector %#x taken %u times",
              vec, received - before);
        CHECK(!apic_vec_set(APIC_IRR, vec), "vector %#x still in IRR "
              "after it was taken", vec);
        CHECK(!wrong_count, "pending phase: got vector %#x while %#x was "
              "the one sent", wrong_vec, wrong_expected);
    }
    check_idle_state("after phase 2");
    printf("self_ipi: phase 2: 256 self-IPIs held in IRR with interrupts "
           "off, each taken once after STI\n");

    /* Phase 3. */
    if ( resend )
    {
        idt_set_handler(VEC_RESEND, on_resend);
        resend_left = resend - 1;
        apic_icr(0, APIC_SH_SELF | APIC_DM_FIXED | VEC_RESEND);
        if ( !wait_u32(&resend_got, resend, WAIT_US + resend * 100ull) )
            test_fail("resend from the handler: %u of %u delivered (a "
                      "resend merged into the one in service?)",
                      resend_got, resend);
        udelay(1000);
        CHECK(resend_got == resend, "resend from the handler: %u sent, %u "
              "delivered", resend, resend_got);
        CHECK(!resend_not_in_isr, "resend: vector not in ISR inside its "
              "handler %u times", resend_not_in_isr);
        CHECK(!resend_not_in_irr, "resend: the resent vector did not show "
              "in IRR while in service %u times", resend_not_in_irr);
        check_idle_state("after phase 3");
        printf("self_ipi: phase 3: %u self-IPIs resent from their own "
               "handler before EOI, each delivered once\n", resend);
    }

    test_pass("%s: %u self-IPIs in order exactly once (%s), 256 held "
              "pending with IF=0, %u resent while in service",
              apic_mode_name(mode), n,
              mode == APIC_MODE_X2APIC ? "shorthand, physical, MSR"
                                       : "shorthand, physical", resend);
}

#endif /* SELF_IPI_H */

/*
 * ioapic_lines: the IOAPIC end to end, its input lines driven by QEMU's
 * pc-testdev (a byte written to port 0x2000 + n sets ISA/IOAPIC line n
 * to that level; xen-lite has it in domains built with testdev=1).
 * Pins 10 and 11 (GSI = ISA IRQ, no MADT override), active high:
 *  1. registers: version 0x11 or 0x20 with at least 24 entries, the ID
 *     register, a redirection entry reads back what was written except
 *     Delivery Status and Remote IRR, which are read-only (82093AA
 *     3.2.4);
 *     and the testdev as QEMU's: its ports read 0 at every size, 16- and
 *     32-bit writes do nothing, any non-zero byte asserts the line;
 *  2. edge: one interrupt per rising edge, none while the line stays up
 *     or goes down; TMR clear in the handler;
 *  3. level: Remote IRR set from delivery to EOI, no second message
 *     while it is set (nothing in IRR), TMR set in the handler; an EOI
 *     with the line still asserted delivers again, after a deassert
 *     nothing follows;
 *  4. masked: a level line asserted while masked delivers once unmasked;
 *     an edge while masked is lost ("not delivered or held pending",
 *     82093AA 3.2.4, bit 16);
 *  5. two edges on two pins with interrupts off: both pending in IRR,
 *     both delivered once;
 *  6. a level line asserted, deasserted and asserted again before its
 *     EOI: one interrupt (Remote IRR holds the second back);
 *  7. sequential level interrupts on one pin, each handler lowering the
 *     line before its EOI: one interrupt each;
 *  8. with 2 CPUs: CPU 1 spins in the guest (no reason to leave it
 *     under a hypervisor) while CPU 0 turns a pin routed to it from edge
 *     to level and asserts it: CPU 1 sees TMR set, its EOI reaches the
 *     IOAPIC (Remote IRR clears, the still-asserted line delivers
 *     again); the same when the pin, its line up after an edge, is
 *     made level in one write (delivered at once); then, CPU 1 idle in
 *     HLT, a level pin with the same vector held in service on CPU 0
 *     and the first pin an edge again to CPU 1:
 *     CPU 1 sees TMR clear, and its EOI of the edge leaves CPU 0's
 *     Remote IRR alone (the local APIC sends no EOI message for an edge
 *     vector, SDM 11.8.5).
 * All of it in xAPIC mode, then in x2APIC mode where the CPU has it.
 *
 * Environment:
 *   rounds=N          sequential level interrupts (10)
 *   masked_edge=0     skip "an edge while masked is lost" (QEMU 7.2
 *                     delivers it when the pin is unmasked)
 *   held_edge=0       skip "a 1 written to a line already high is no
 *                     edge" (QEMU 7.2's IOAPIC delivers an edge pin on
 *                     every assert, rising or not)
 *   relevel=0         skip "an asserted edge pin made level delivers at
 *                     once" (the input of a level pin is sensed as a
 *                     level; xen-lite's vIOAPIC delivers, QEMU 7.2's
 *                     forgets the line once the edge was delivered and
 *                     waits for the next assert)
 *   spin_ipis=1       in x2APIC mode, CPU 1 spins in 8 sending itself
 *                     fixed IPIs by physical ID, so that nearly all its
 *                     exits are ICR writes a hypervisor's IPI fast path
 *                     completes: the redirection change must still
 *                     reach its EOI-exit bitmap
 */
#include "test.h"
#include "ioapic.h"

const char test_name[] = "ioapic_lines";

#define TESTDEV_IRQ     0x2000
#define PIN_A           10
#define PIN_B           11
#define VEC_A           0x61
#define VEC_B           0x72
#define VEC_C           0x91
#define VEC_SPIN        0xa3

#define REG_ID          0x00
#define REG_VERSION     0x01
#define REG_REDIR       0x10
#define RTE_DELIV_STATUS (1u << 12)
#define RTE_REMOTE_IRR  (1u << 14)

#define WAIT_US         2000000
#define QUIET_US        20000

enum mode
{
    EOI,            /* EOI at once */
    HOLD,           /* no EOI: the test does it */
    SERVICE,        /* lower the line, then EOI, as a driver does */
    REFIRE,         /* the first time EOI with the line up, then SERVICE */
};

static volatile uint8_t modes[MAX_CPUS][256];
static volatile uint32_t counts[MAX_CPUS][256];
static volatile uint8_t tmr_seen[MAX_CPUS][256];
static volatile uint8_t line_of[256];
static volatile uint32_t stop_spin, spin_ipis_taken;
static bool spin_ipis, in_x2apic;
static uint32_t ioapic;
static const char *mode_name;

static void line(unsigned int n, uint8_t level)
{
    outb(TESTDEV_IRQ + n, level);
}

static uint16_t in16(uint16_t port)
{
    uint16_t v;

    asm volatile ( "inw %1, %0" : "=a" (v) : "Nd" (port) );
    return v;
}

static uint32_t in32(uint16_t port)
{
    uint32_t v;

    asm volatile ( "inl %1, %0" : "=a" (v) : "Nd" (port) );
    return v;
}

static void on_irq(struct regs *r)
{
    unsigned int cpu = smp_cpu(), vec = r->vector;

    tmr_seen[cpu][vec] = apic_vec_set(APIC_TMR, vec);
    counts[cpu][vec]++;
    switch ( modes[cpu][vec] )
    {
    case HOLD:
        return;
    case REFIRE:
        if ( counts[cpu][vec] == 1 )
            break;
        /* fall through */
    case SERVICE:
        line(line_of[vec], 0);
        break;
    }
    apic_eoi();
}

static uint32_t rte_low(unsigned int pin)
{
    return ioapic_read(ioapic, REG_REDIR + 2 * pin);
}

static bool remote_irr(unsigned int pin)
{
    return rte_low(pin) & RTE_REMOTE_IRR;
}

/* Fixed, physical, active high, to CPU cpu. */
static void route(unsigned int pin, uint8_t vec, unsigned int cpu,
                  uint32_t flags, enum mode m)
{
    modes[cpu][vec] = m;
    line_of[vec] = pin;
    ioapic_route(ioapic, pin, vec, percpu[cpu].apic_id, flags);
}

static void reset_counts(void)
{
    for ( unsigned int c = 0; c < MAX_CPUS; c++ )
        for ( unsigned int v = 0; v < 256; v++ )
        {
            counts[c][v] = 0;
            tmr_seen[c][v] = 0xff;
        }
}

static void expect(unsigned int cpu, uint8_t vec, uint32_t n,
                   const char *what)
{
    CHECK(wait_u32(&counts[cpu][vec], n, WAIT_US),
          "%s: %s: %u interrupts on CPU %u, wanted %u", mode_name, what,
          counts[cpu][vec], cpu, n);
    udelay(QUIET_US);
    CHECK(counts[cpu][vec] == n, "%s: %s: %u interrupts on CPU %u, "
          "wanted %u", mode_name, what, counts[cpu][vec], cpu, n);
}

static void registers(void)
{
    uint32_t ver = ioapic_read(ioapic, REG_VERSION), id, lo, hi;
    unsigned int reg = REG_REDIR + 2 * PIN_A;

    CHECK((ver & 0xff) == 0x11 || (ver & 0xff) == 0x20,
          "IOAPIC version register %#x: version not 0x11 or 0x20", ver);
    CHECK(((ver >> 16) & 0xff) >= 23, "IOAPIC version register %#x: "
          "fewer than 24 redirection entries", ver);
    id = ioapic_read(ioapic, REG_ID);
    CHECK(!(id & 0xf0ffffff), "IOAPIC ID register %#x: reserved bits set",
          id);

    /* Masked, level, active low, logical, lowest priority, vector 0x5a. */
    ioapic_write(ioapic, reg + 1, 0xab000000);
    ioapic_write(ioapic, reg, IOAPIC_RTE_MASKED | IOAPIC_RTE_LEVEL |
                 IOAPIC_RTE_ACTIVE_LOW | (1u << 11) | (1u << 8) | 0x5a);
    lo = ioapic_read(ioapic, reg);
    hi = ioapic_read(ioapic, reg + 1);
    CHECK(lo == (IOAPIC_RTE_MASKED | IOAPIC_RTE_LEVEL |
                 IOAPIC_RTE_ACTIVE_LOW | (1u << 11) | (1u << 8) | 0x5a) &&
          (hi >> 24) == 0xab,
          "redirection entry reads back %#x %#x", hi, lo);
    /* The read-only bits stay clear when written as ones. */
    ioapic_write(ioapic, reg, IOAPIC_RTE_MASKED | IOAPIC_RTE_LEVEL |
                 RTE_DELIV_STATUS | RTE_REMOTE_IRR | 0x5b);
    lo = ioapic_read(ioapic, reg);
    CHECK(lo == (IOAPIC_RTE_MASKED | IOAPIC_RTE_LEVEL | 0x5b),
          "redirection entry %#x after writing Delivery Status and Remote "
          "IRR as ones", lo);
    ioapic_mask(ioapic, PIN_A);
    printf("ioapic_lines: version register %#x, ID register %#x\n", ver,
           id);
}

/* Before route() is first used: counts are clear. */
static void testdev(void)
{
    uint16_t port = TESTDEV_IRQ + PIN_A;
    uint32_t b = inb(port), w = in16(port), l = in32(port);

    CHECK(!b && !w && !l, "testdev port %#x reads %#x, %#x, %#x (8, 16, "
          "32 bits), wanted 0", port, b, w, l);
    route(PIN_A, VEC_A, 0, 0, EOI);
    outw(port, 1);
    outl(port, 1);
    udelay(QUIET_US);
    CHECK(counts[0][VEC_A] == 0, "16- or 32-bit testdev writes asserted "
          "the line");
    outb(port, 2);
    CHECK(wait_u32(&counts[0][VEC_A], 1, WAIT_US),
          "no interrupt from the testdev (pin %u, port %#x): no pc-testdev?",
          PIN_A, port);
    line(PIN_A, 0);
    ioapic_mask(ioapic, PIN_A);
}

static void edge(bool held_edge)
{
    route(PIN_A, VEC_A, 0, 0, EOI);
    line(PIN_A, 1);
    expect(0, VEC_A, 1, "edge, first rising edge");
    CHECK(tmr_seen[0][VEC_A] == 0, "%s: TMR set for an edge interrupt",
          mode_name);
    if ( held_edge )
    {
        line(PIN_A, 1);
        expect(0, VEC_A, 1, "edge, 1 written again to the high line");
    }
    line(PIN_A, 0);
    expect(0, VEC_A, 1, "edge, line lowered");
    line(PIN_A, 1);
    expect(0, VEC_A, 2, "edge, second rising edge");
    line(PIN_A, 0);
    CHECK(!remote_irr(PIN_A), "%s: Remote IRR set on an edge pin",
          mode_name);
}

static void level(void)
{
    route(PIN_A, VEC_A, 0, IOAPIC_RTE_LEVEL, HOLD);
    line(PIN_A, 1);
    expect(0, VEC_A, 1, "level, asserted");
    CHECK(tmr_seen[0][VEC_A] == 1, "%s: TMR clear for a level interrupt",
          mode_name);
    CHECK(remote_irr(PIN_A), "%s: Remote IRR clear before the EOI",
          mode_name);
    CHECK(!apic_vec_set(APIC_IRR, VEC_A), "%s: a second level message "
          "while Remote IRR was set", mode_name);
    /* EOI with the line still up: delivered again. */
    apic_eoi();
    expect(0, VEC_A, 2, "level, EOI with the line asserted");
    CHECK(remote_irr(PIN_A), "%s: Remote IRR clear after the re-delivery",
          mode_name);
    line(PIN_A, 0);
    apic_eoi();
    expect(0, VEC_A, 2, "level, EOI after the deassert");
    CHECK(!remote_irr(PIN_A), "%s: Remote IRR still set after the EOI",
          mode_name);
}

static void masked(bool masked_edge)
{
    uint32_t lo;

    route(PIN_A, VEC_A, 0, IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED, SERVICE);
    line(PIN_A, 1);
    udelay(QUIET_US);
    CHECK(counts[0][VEC_A] == 0 && !remote_irr(PIN_A),
          "%s: a masked level pin delivered", mode_name);
    lo = rte_low(PIN_A);
    ioapic_write(ioapic, REG_REDIR + 2 * PIN_A, lo & ~IOAPIC_RTE_MASKED);
    expect(0, VEC_A, 1, "level asserted while masked, then unmasked");
    CHECK(!remote_irr(PIN_A) && !apic_vec_set(APIC_ISR, VEC_A),
          "%s: Remote IRR or ISR set after the serviced interrupt",
          mode_name);

    route(PIN_B, VEC_B, 0, IOAPIC_RTE_MASKED, EOI);
    line(PIN_B, 1);
    udelay(QUIET_US);
    lo = rte_low(PIN_B);
    ioapic_write(ioapic, REG_REDIR + 2 * PIN_B, lo & ~IOAPIC_RTE_MASKED);
    udelay(QUIET_US);
    if ( masked_edge )
        CHECK(counts[0][VEC_B] == 0, "%s: an edge while masked was "
              "delivered after the unmask", mode_name);
    line(PIN_B, 0);
    ioapic_mask(ioapic, PIN_B);
}

static void two_edges(void)
{
    route(PIN_A, VEC_A, 0, 0, EOI);
    route(PIN_B, VEC_B, 0, 0, EOI);
    cli();
    line(PIN_A, 1);
    line(PIN_B, 1);
    CHECK(apic_vec_set(APIC_IRR, VEC_A) && apic_vec_set(APIC_IRR, VEC_B),
          "%s: two edges with IF=0: IRR has %s%s", mode_name,
          apic_vec_set(APIC_IRR, VEC_A) ? "A" : "",
          apic_vec_set(APIC_IRR, VEC_B) ? "B" : "");
    sti();
    expect(0, VEC_A, 1, "two edges at once, pin A");
    expect(0, VEC_B, 1, "two edges at once, pin B");
    line(PIN_A, 0);
    line(PIN_B, 0);
    ioapic_mask(ioapic, PIN_B);
}

static void coalesce(void)
{
    route(PIN_A, VEC_A, 0, IOAPIC_RTE_LEVEL, SERVICE);
    cli();
    line(PIN_A, 1);
    line(PIN_A, 0);
    line(PIN_A, 1);
    sti();
    expect(0, VEC_A, 1, "level asserted twice before the EOI");
    CHECK(!remote_irr(PIN_A), "%s: Remote IRR set after coalescing",
          mode_name);
}

static void sequential(unsigned int rounds)
{
    route(PIN_A, VEC_A, 0, IOAPIC_RTE_LEVEL, SERVICE);
    for ( unsigned int i = 0; i < rounds; i++ )
    {
        line(PIN_A, 1);
        CHECK(wait_u32(&counts[0][VEC_A], i + 1, WAIT_US),
              "%s: sequential level interrupt %u never came", mode_name,
              i + 1);
        CHECK(!remote_irr(PIN_A), "%s: Remote IRR set after sequential "
              "interrupt %u", mode_name, i + 1);
    }
    expect(0, VEC_A, rounds, "sequential level interrupts");
}

static void on_spin_ipi(struct regs *r)
{
    (void)r;
    spin_ipis_taken++;
    apic_eoi();
}

static void spin(void *arg)
{
    (void)arg;
    while ( !stop_spin )
    {
        if ( spin_ipis && in_x2apic )
            apic_icr(this_cpu()->apic_id, APIC_DM_FIXED | VEC_SPIN);
        cpu_relax();
    }
}

static void remote_cpu(bool relevel)
{
    /* a. An edge to the spinning CPU 1. */
    stop_spin = 0;
    smp_call(1, spin, NULL);
    route(PIN_A, VEC_C, 1, 0, EOI);
    line(PIN_A, 1);
    expect(1, VEC_C, 1, "edge to spinning CPU 1");
    line(PIN_A, 0);
    CHECK(tmr_seen[1][VEC_C] == 0, "%s: CPU 1: TMR set for an edge",
          mode_name);

    /* b. The same pin made level while CPU 1 runs on, then asserted. */
    route(PIN_A, VEC_C, 1, IOAPIC_RTE_LEVEL, REFIRE);
    counts[1][VEC_C] = 0;
    line(PIN_A, 1);
    expect(1, VEC_C, 2, "pin turned level to spinning CPU 1, EOI with the "
           "line up (Remote IRR must clear and the line deliver again)");
    CHECK(tmr_seen[1][VEC_C] == 1, "%s: CPU 1: TMR clear for a level "
          "interrupt", mode_name);
    CHECK(!remote_irr(PIN_A), "%s: Remote IRR set after CPU 1 serviced "
          "the level interrupt", mode_name);

    /*
     * b2. An edge pin whose line stays up, made level in one write while
     * CPU 1 runs on: the asserted level input delivers at once, through
     * the entry just written.
     */
    if ( relevel )
    {
        route(PIN_A, VEC_C, 1, 0, EOI);
        counts[1][VEC_C] = 0;
        line(PIN_A, 1);
        expect(1, VEC_C, 1, "edge to spinning CPU 1, line left up");
        modes[1][VEC_C] = REFIRE;
        counts[1][VEC_C] = 0;
        ioapic_write(ioapic, REG_REDIR + 2 * PIN_A,
                     VEC_C | IOAPIC_RTE_LEVEL);
        expect(1, VEC_C, 2, "asserted edge pin made level (delivered at "
               "once; Remote IRR must clear at the EOI and the line "
               "deliver again)");
        CHECK(tmr_seen[1][VEC_C] == 1, "%s: CPU 1: TMR clear for the "
              "level interrupt", mode_name);
        CHECK(!remote_irr(PIN_A), "%s: Remote IRR set after CPU 1 "
              "serviced the level interrupt", mode_name);
    }
    stop_spin = 1;
    CHECK(smp_call_wait(1, WAIT_US), "CPU 1 did not stop spinning");

    /* c. Level VEC_C held on CPU 0; an edge VEC_C to idle CPU 1. */
    route(PIN_B, VEC_C, 0, IOAPIC_RTE_LEVEL, HOLD);
    counts[0][VEC_C] = 0;
    line(PIN_B, 1);
    expect(0, VEC_C, 1, "level pin B held in service on CPU 0");
    CHECK(remote_irr(PIN_B), "%s: pin B: Remote IRR clear", mode_name);
    route(PIN_A, VEC_C, 1, 0, EOI);
    counts[1][VEC_C] = 0;
    line(PIN_A, 1);
    expect(1, VEC_C, 1, "edge to idle CPU 1 after the level ones");
    line(PIN_A, 0);
    CHECK(tmr_seen[1][VEC_C] == 0, "%s: CPU 1: TMR set for an edge after "
          "level interrupts of the same vector", mode_name);
    CHECK(remote_irr(PIN_B) && counts[0][VEC_C] == 1 &&
          !apic_vec_set(APIC_IRR, VEC_C),
          "%s: CPU 1's EOI of an edge vector reached the IOAPIC: pin B "
          "(level, same vector, in service on CPU 0) %s", mode_name,
          remote_irr(PIN_B) ? "delivered again" : "lost Remote IRR");
    line(PIN_B, 0);
    apic_eoi();
    udelay(QUIET_US);
    CHECK(!remote_irr(PIN_B) && counts[0][VEC_C] == 1,
          "%s: pin B after its EOI: Remote IRR %u, %u interrupts",
          mode_name, remote_irr(PIN_B), counts[0][VEC_C]);
    ioapic_mask(ioapic, PIN_A);
    ioapic_mask(ioapic, PIN_B);
}

static void to_x2apic(void *arg)
{
    (void)arg;
    cli();
    apic_setup(APIC_MODE_X2APIC);
    sti();
}

static void run_mode(enum apic_mode mode, unsigned int cpus,
                     unsigned int rounds, bool masked_edge, bool held_edge,
                     bool relevel)
{
    mode_name = apic_mode_name(mode);
    in_x2apic = mode == APIC_MODE_X2APIC;
    if ( mode == APIC_MODE_X2APIC )
        smp_call_all(to_x2apic, NULL, WAIT_US);
    reset_counts();
    edge(held_edge);
    reset_counts();
    level();
    reset_counts();
    masked(masked_edge);
    reset_counts();
    two_edges();
    reset_counts();
    coalesce();
    reset_counts();
    sequential(rounds);
    reset_counts();
    if ( cpus > 1 )
        remote_cpu(relevel);
    CHECK(!this_cpu()->spurious, "%s: %u spurious interrupts", mode_name,
          this_cpu()->spurious);
    printf("ioapic_lines: %s: all cases as the datasheet says\n",
           mode_name);
}

void test_main(void)
{
    unsigned int rounds = env_u32("rounds", 10);
    bool masked_edge = env_u32("masked_edge", 1);
    bool held_edge = env_u32("held_edge", 1);
    bool relevel = env_u32("relevel", 1);
    unsigned int cpus = platform_init(APIC_MODE_XAPIC, true);
    bool x2 = apic_has_x2apic();

    ioapic = madt.ioapic_addr;
    if ( !ioapic )
        test_fail("no IOAPIC in the MADT");
    idt_set_handler(VEC_A, on_irq);
    idt_set_handler(VEC_B, on_irq);
    idt_set_handler(VEC_C, on_irq);
    idt_set_handler(VEC_SPIN, on_spin_ipi);
    spin_ipis = env_u32("spin_ipis", 0);
    cpus = cpus > 2 ? 2 : cpus;
    sti();

    registers();
    reset_counts();
    testdev();
    run_mode(APIC_MODE_XAPIC, cpus, rounds, masked_edge,
                 held_edge, relevel);
    if ( x2 )
        run_mode(APIC_MODE_X2APIC, cpus, rounds, masked_edge,
                 held_edge, relevel);
    if ( spin_ipis && x2 && cpus > 1 )
        CHECK(spin_ipis_taken, "CPU 1 took none of its own IPIs");
    test_pass("edge, level with Remote IRR and EOI, masked, two edges, "
              "coalescing, %u sequential, %s; %s%s", rounds,
              cpus > 1 ? "level and edge on a running CPU 1"
                       : "1 CPU",
              x2 ? "xAPIC and x2APIC" : "xAPIC (x2APIC absent)",
              spin_ipis && x2 && cpus > 1 ? "; CPU 1 sending itself IPIs"
                                           : "");
}

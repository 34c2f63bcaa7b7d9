/*
 * tpr_priorities: the LAPIC's priority rules, on the BSP with self-IPIs,
 * in xAPIC mode and then (when the CPU has it) in x2APIC mode:
 *  1. TPR masking: with TPR class c, vectors of class <= c stay pending in
 *     IRR (never in ISR) and are delivered as soon as TPR drops below
 *     their class; higher classes are delivered at once.
 *  2. PPR: PPR = TPR when TPR's class >= the in-service class, else the
 *     in-service class with subclass 0.
 *  3. Nesting: inside a class-4 handler with interrupts enabled, a class-6
 *     vector interrupts it, a class-4 and a class-3 vector wait until the
 *     handler has sent its EOI, then come highest first.
 *  4. EOI order: with three vectors in service, each EOI clears the
 *     highest ISR bit.
 *  5. Pending vectors, sent with interrupts off, are delivered highest
 *     first (by vector, within a class too), and with TPR raised only
 *     those above it, the rest when TPR drops.
 *  6. (tpr_subword=1, xAPIC) Byte and word writes to the TPR: as APICv
 *     handles them (SDM Vol. 3C 29.4.3), a write at offset 0x80 sets the
 *     TPR to its low byte, which masks as any TPR does, and a write to
 *     bytes 1-3 changes nothing.  The SDM leaves narrow APIC accesses
 *     model specific (Vol. 3A 11.4.1): QEMU ignores them, so natively
 *     this part is off; under xen-lite it checks that the software path
 *     and APICv give one behaviour.
 * Every handler appends enter/exit events to a log that is compared with
 * the expected sequence.
 *
 * No spurious-vector interrupt may occur: the SDM only allows one when TPR
 * is raised while an interrupt is being signalled, and the test never does
 * that with one pending and interrupts enabled. Bochs 2.7 signals INTR for
 * a higher vector of the class already in service (it compares vectors,
 * not classes) and then delivers the spurious vector when the CPU
 * acknowledges; natively on Bochs spurious_ok=1 lets that pass (counted).
 *
 * Environment: apic=xapic|x2apic runs only that mode; spurious_ok=0|1;
 * tpr_subword=0|1.
 */
#include "test.h"

const char test_name[] = "tpr_priorities";

#define WAIT_US         100000
#define QUIET_US        2000
#define LOG_MAX         64
#define ENTER           0x100
#define EXIT            0x200

static volatile uint32_t ev_log[LOG_MAX];
static volatile uint32_t ev_n;
static void (*action[256])(unsigned int vec);
static bool skip_eoi[256];
static const char *mode_name;
static uint32_t spurious_ok, tpr_subword;

static void log_ev(uint32_t ev)
{
    if ( ev_n < LOG_MAX )
        ev_log[ev_n] = ev;
    ev_n++;
}

static void on_vec(struct regs *r)
{
    unsigned int v = r->vector;

    log_ev(ENTER | v);
    if ( action[v] )
        action[v](v);
    log_ev(EXIT | v);
    if ( !skip_eoi[v] )
        apic_eoi();
}

static void send_self(unsigned int vec)
{
    apic_icr(0, APIC_SH_SELF | APIC_DM_FIXED | vec);
}

static void log_reset(void)
{
    unsigned int v;

    ev_n = 0;
    for ( v = 0; v < 256; v++ )
    {
        action[v] = NULL;
        skip_eoi[v] = false;
    }
}

static void fmt_log(char *buf, size_t size, const volatile uint32_t *l,
                    unsigned int n)
{
    unsigned int i;
    int len = 0;

    buf[0] = '\0';
    for ( i = 0; i < n && i < LOG_MAX; i++ )
        len += snprintf(buf + len, size - len, "%s%c%02x", i ? " " : "",
                        l[i] & ENTER ? '>' : '<', l[i] & 0xff);
}

/* The log must equal want[] (">v" enter, "<v" exit in the messages). */
static void check_log(const char *what, const uint32_t *want, unsigned int n)
{
    char got_s[400], want_s[400];
    unsigned int i;
    bool ok = ev_n == n;

    for ( i = 0; ok && i < n; i++ )
        ok = ev_log[i] == want[i];
    if ( ok )
        return;
    fmt_log(got_s, sizeof(got_s), ev_log, ev_n);
    fmt_log(want_s, sizeof(want_s), want, n);
    test_fail("%s (%s): handler log \"%s\", expected \"%s\"", what,
              mode_name, got_s, want_s);
}

static void wait_log(unsigned int n)
{
    wait_u32(&ev_n, n, WAIT_US);
    /* Then a quiet spell, so anything extra shows up too. */
    udelay(QUIET_US);
}

static void expect_irr(const char *what, unsigned int vec, bool set)
{
    CHECK(apic_vec_set(APIC_IRR, vec) == set, "%s (%s): vector %#x %s IRR",
          what, mode_name, vec, set ? "not in" : "still in");
    CHECK(!apic_vec_set(APIC_ISR, vec), "%s (%s): vector %#x in ISR", what,
          mode_name, vec);
}

static void expect_ppr(const char *what, uint32_t want)
{
    uint32_t ppr = apic_read(APIC_PPR) & 0xff;

    CHECK(ppr == want, "%s (%s): PPR %#x, expected %#x (TPR %#x, ISR "
          "highest %d)", what, mode_name, ppr, want,
          apic_read(APIC_TPR) & 0xff, apic_vec_highest(APIC_ISR));
}

static void expect_isr(const char *what, const unsigned int *vecs,
                       unsigned int n)
{
    unsigned int v, i;

    for ( v = 16; v < 256; v++ )
    {
        bool want = false;

        for ( i = 0; i < n; i++ )
            want |= vecs[i] == v;
        CHECK(apic_vec_set(APIC_ISR, v) == want, "%s (%s): vector %#x "
              "%s ISR", what, mode_name, v, want ? "not in" : "in");
    }
}

static void expect_idle(const char *what)
{
    CHECK(apic_vec_highest(APIC_IRR) < 0 && apic_vec_highest(APIC_ISR) < 0,
          "%s (%s): IRR highest %d, ISR highest %d; both should be empty",
          what, mode_name, apic_vec_highest(APIC_IRR),
          apic_vec_highest(APIC_ISR));
}

/* 1. TPR masking. */
static void test_tpr_masking(void)
{
    static const uint32_t want1[] = { ENTER | 0x60, EXIT | 0x60 };
    static const uint32_t want2[] = {
        ENTER | 0x60, EXIT | 0x60, ENTER | 0x5f, EXIT | 0x5f,
    };
    static const uint32_t want3[] = {
        ENTER | 0x60, EXIT | 0x60, ENTER | 0x5f, EXIT | 0x5f,
        ENTER | 0x45, EXIT | 0x45,
    };
    static const uint32_t want4[] = { ENTER | 0xfe, EXIT | 0xfe };

    log_reset();
    apic_write(APIC_TPR, 0x50);
    expect_ppr("TPR 0x50, nothing in service", 0x50);
    send_self(0x5f);
    send_self(0x45);
    udelay(QUIET_US);
    CHECK(ev_n == 0, "TPR 0x50 (%s): %u vectors of class <= 5 delivered",
          mode_name, ev_n);
    expect_irr("TPR 0x50 masks class 5", 0x5f, true);
    expect_irr("TPR 0x50 masks class 4", 0x45, true);
    send_self(0x60);
    wait_log(2);
    check_log("TPR 0x50: class 6 goes through, classes 5 and 4 wait",
              want1, ARRAY_SIZE(want1));

    /* Subclass bits do not matter: 0x4f still masks class 4. */
    apic_write(APIC_TPR, 0x4f);
    wait_log(4);
    check_log("TPR 0x4f: class 5 delivered, class 4 still waits", want2,
              ARRAY_SIZE(want2));
    expect_irr("TPR 0x4f masks class 4", 0x45, true);
    apic_write(APIC_TPR, 0x3f);
    wait_log(6);
    check_log("TPR 0x3f: class 4 delivered", want3, ARRAY_SIZE(want3));

    /* TPR 0xf0 masks even class 15. */
    log_reset();
    apic_write(APIC_TPR, 0xf0);
    send_self(0xfe);
    udelay(QUIET_US);
    CHECK(ev_n == 0, "TPR 0xf0 (%s): vector 0xfe delivered", mode_name);
    expect_irr("TPR 0xf0 masks class 15", 0xfe, true);
    apic_write(APIC_TPR, 0);
    wait_log(2);
    check_log("TPR 0: pending 0xfe delivered", want4, ARRAY_SIZE(want4));
    expect_idle("after TPR masking");
}

/* 2. PPR against TPR and ISR. */
static volatile uint32_t ppr_checked;

static void ppr_action(unsigned int vec)
{
    (void)vec;
    /* In service: 0x85 (class 8), TPR 0x37 (class 3). */
    expect_ppr("in service 0x85, TPR 0x37", 0x80);
    apic_write(APIC_TPR, 0x9a);
    expect_ppr("in service 0x85, TPR 0x9a", 0x9a);
    apic_write(APIC_TPR, 0x85);
    expect_ppr("in service 0x85, TPR 0x85 (same class)", 0x85);
    apic_write(APIC_TPR, 0x7f);
    expect_ppr("in service 0x85, TPR 0x7f", 0x80);
    apic_write(APIC_TPR, 0x37);
    ppr_checked = 1;
}

static void test_ppr(void)
{
    static const uint32_t want[] = { ENTER | 0x85, EXIT | 0x85 };

    log_reset();
    ppr_checked = 0;
    apic_write(APIC_TPR, 0x37);
    expect_ppr("TPR 0x37, nothing in service", 0x37);
    action[0x85] = ppr_action;
    send_self(0x85);
    wait_log(2);
    check_log("PPR checks inside the 0x85 handler", want, ARRAY_SIZE(want));
    CHECK(ppr_checked, "PPR checks (%s) did not run", mode_name);
    expect_ppr("TPR 0x37 after EOI", 0x37);
    apic_write(APIC_TPR, 0);
    expect_ppr("TPR 0", 0x00);
    expect_idle("after PPR");
}

/* 3. Nesting. */
static void nest_outer(unsigned int vec)
{
    (void)vec;
    sti();
    send_self(0x65);            /* class 6 > 4: nests at once */
    udelay(QUIET_US);
    send_self(0x4a);            /* same class: waits for the EOI */
    send_self(0x35);            /* lower class: waits too */
    udelay(QUIET_US);
    cli();
    expect_irr("in a class-4 handler, class 4", 0x4a, true);
    expect_irr("in a class-4 handler, class 3", 0x35, true);
    expect_ppr("in service 0x45", 0x40);
}

static void nest_inner(unsigned int vec)
{
    static const unsigned int both[] = { 0x45, 0x65 };

    (void)vec;
    expect_isr("nested 0x65 in 0x45", both, ARRAY_SIZE(both));
    expect_ppr("in service 0x45 and 0x65", 0x60);
}

static void test_nesting(void)
{
    static const uint32_t want[] = {
        ENTER | 0x45, ENTER | 0x65, EXIT | 0x65, EXIT | 0x45,
        ENTER | 0x4a, EXIT | 0x4a, ENTER | 0x35, EXIT | 0x35,
    };

    log_reset();
    action[0x45] = nest_outer;
    action[0x65] = nest_inner;
    send_self(0x45);
    wait_log(ARRAY_SIZE(want));
    check_log("nesting in a class-4 handler", want, ARRAY_SIZE(want));
    expect_idle("after nesting");
}

/* 4. EOI clears the highest ISR bit first. */
static void eoi_outer(unsigned int vec)
{
    (void)vec;
    sti();
    send_self(0x65);
    udelay(QUIET_US);
    cli();
}

static void eoi_middle(unsigned int vec)
{
    (void)vec;
    sti();
    send_self(0x95);
    udelay(QUIET_US);
    cli();
}

static void eoi_inner(unsigned int vec)
{
    static const unsigned int three[] = { 0x35, 0x65, 0x95 };
    static const unsigned int two[] = { 0x35, 0x65 };
    static const unsigned int one[] = { 0x35 };

    (void)vec;
    expect_isr("three in service", three, ARRAY_SIZE(three));
    expect_ppr("three in service", 0x90);
    apic_eoi();
    expect_isr("after the first EOI", two, ARRAY_SIZE(two));
    expect_ppr("after the first EOI", 0x60);
    apic_eoi();
    expect_isr("after the second EOI", one, ARRAY_SIZE(one));
    expect_ppr("after the second EOI", 0x30);
}

static void test_eoi_order(void)
{
    static const uint32_t want[] = {
        ENTER | 0x35, ENTER | 0x65, ENTER | 0x95,
        EXIT | 0x95, EXIT | 0x65, EXIT | 0x35,
    };

    log_reset();
    action[0x35] = eoi_outer;
    action[0x65] = eoi_middle;
    action[0x95] = eoi_inner;
    /* The innermost handler does the EOIs for 0x95 and 0x65. */
    skip_eoi[0x95] = true;
    skip_eoi[0x65] = true;
    send_self(0x35);
    wait_log(ARRAY_SIZE(want));
    check_log("three nested vectors", want, ARRAY_SIZE(want));
    expect_idle("after the EOI-order check");
}

/* 5. Pending vectors come highest first. */
static const unsigned int pending[] = {
    0x41, 0x92, 0x63, 0x74, 0x38, 0x61, 0x6e, 0xe3,
};

static void send_pending(void)
{
    unsigned int i;

    cli();
    for ( i = 0; i < ARRAY_SIZE(pending); i++ )
        send_self(pending[i]);
    udelay(QUIET_US);
    for ( i = 0; i < ARRAY_SIZE(pending); i++ )
        expect_irr("sent with interrupts off", pending[i], true);
}

static void test_pending_order(void)
{
    static const uint32_t want[] = {
        ENTER | 0xe3, EXIT | 0xe3, ENTER | 0x92, EXIT | 0x92,
        ENTER | 0x74, EXIT | 0x74, ENTER | 0x6e, EXIT | 0x6e,
        ENTER | 0x63, EXIT | 0x63, ENTER | 0x61, EXIT | 0x61,
        ENTER | 0x41, EXIT | 0x41, ENTER | 0x38, EXIT | 0x38,
    };

    log_reset();
    send_pending();
    sti();
    wait_log(ARRAY_SIZE(want));
    check_log("eight pending vectors", want, ARRAY_SIZE(want));
    expect_idle("after pending order");

    /* Again with TPR 0x60: the top three now, the rest after TPR 0. */
    log_reset();
    send_pending();
    apic_write(APIC_TPR, 0x60);
    sti();
    wait_log(6);
    check_log("eight pending vectors, TPR 0x60", want, 6);
    apic_write(APIC_TPR, 0);
    wait_log(ARRAY_SIZE(want));
    check_log("eight pending vectors, TPR 0x60 then 0", want,
              ARRAY_SIZE(want));
    expect_idle("after pending order with TPR");
}

/* 6. Narrow TPR writes. */
static void test_tpr_subword(void)
{
    static const uint32_t want[] = { ENTER | 0x45, EXIT | 0x45 };
    volatile uint8_t *b = (volatile uint8_t *)(0xfee00000u + APIC_TPR);
    volatile uint16_t *w = (volatile uint16_t *)(0xfee00000u + APIC_TPR);

    log_reset();
    *b = 0x50;
    CHECK(apic_read(APIC_TPR) == 0x50, "TPR %#x after a byte write of "
          "0x50 at 0x80", apic_read(APIC_TPR));
    send_self(0x45);
    udelay(QUIET_US);
    CHECK(ev_n == 0, "TPR 0x50 by a byte write: vector 0x45 delivered");
    expect_irr("TPR 0x50 by a byte write masks class 4", 0x45, true);
    *w = 0x1230;
    wait_log(2);
    check_log("TPR 0x30 by a word write: 0x45 delivered", want,
              ARRAY_SIZE(want));
    CHECK(apic_read(APIC_TPR) == 0x30, "TPR %#x after a word write of "
          "0x1230 at 0x80", apic_read(APIC_TPR));
    b[1] = 0x7f;
    w[1] = 0x7f7f;
    CHECK(apic_read(APIC_TPR) == 0x30, "TPR %#x after byte and word "
          "writes to its bytes 1-3", apic_read(APIC_TPR));
    apic_write(APIC_TPR, 0);
    expect_idle("after narrow TPR writes");
}

static void run_mode(enum apic_mode mode)
{
    unsigned int v;

    cli();
    apic_setup(mode);
    mode_name = apic_mode_name(mode);
    for ( v = 0x30; v < 0xff; v++ )
        idt_set_handler(v, on_vec);
    sti();
    test_tpr_masking();
    test_ppr();
    test_nesting();
    test_eoi_order();
    test_pending_order();
    if ( mode == APIC_MODE_XAPIC && tpr_subword )
        test_tpr_subword();
    CHECK(spurious_ok || !this_cpu()->spurious, "%s: %u spurious-vector "
          "interrupts", mode_name, this_cpu()->spurious);
    printf("tpr_priorities: %s: TPR masking, PPR, nesting, EOI order and "
           "pending order all as the SDM says (%u spurious interrupts)\n",
           mode_name, this_cpu()->spurious);
    this_cpu()->spurious = 0;
}

void test_main(void)
{
    const char *only = env_get("apic");
    bool x2 = apic_has_x2apic();

    spurious_ok = env_u32("spurious_ok", 0);
    tpr_subword = env_u32("tpr_subword", 0);
    platform_init(APIC_MODE_XAPIC, false);
    if ( !only || !strcmp(only, "xapic") )
        run_mode(APIC_MODE_XAPIC);
    if ( x2 && (!only || !strcmp(only, "x2apic")) )
        run_mode(APIC_MODE_X2APIC);
    if ( only && !x2 && !strcmp(only, "x2apic") )
        test_skip("x2APIC absent (CPUID.1:ECX[21] clear)");

    test_pass("TPR masking, PPR, nesting, EOI order, pending order%s: %s%s",
              tpr_subword ? ", narrow TPR writes" : "", only && !strcmp(only, "x2apic") ? "" : "xAPIC",
              !x2 ? " (x2APIC absent, not tested)"
                  : only && !strcmp(only, "xapic") ? "" :
                    only ? "x2APIC" : " and x2APIC");
}

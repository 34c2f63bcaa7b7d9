/*
 * hlt_wakeup: HLT with interrupts enabled is left only through an
 * interrupt, and the interrupt is the one expected:
 *  1. timer: each CPU in turn arms its LAPIC one-shot timer (1 ms) and
 *     halts; it must wake by the timer vector, not before the timer is due
 *     (minus the calibration allowance), exactly once per HLT;
 *  2. IPI: for every ordered pair (waker, sleeper) the sleeper halts with
 *     its timer off, the waker waits until it has halted (plus 500 us so
 *     the HLT really is reached) and sends a fixed IPI; the sleeper must
 *     wake by that vector, after it was sent;
 *  3. both armed: the sleeper arms a 1 s timer and halts, the waker's
 *     IPI comes after ~1 ms: the wakeup must be the IPI, and the timer,
 *     cancelled afterwards, must not fire later.
 * A HLT that returns with no handler having run fails, as does a wakeup
 * through the wrong vector. With one CPU only part 1 runs. Each wakeup is
 * also watched from another CPU when there is one, so a lost wakeup fails
 * with a message instead of hanging.
 *
 * Environment: rounds=N wakeups per CPU or pair and part (default 10).
 */
#include "test.h"

const char test_name[] = "hlt_wakeup";

#define VEC_TIMER       0xd0
/*
 * The IPI outranks the timer: if an emulator holds the sleeper back until
 * both are pending, the IPI is still the one taken first.
 */
#define VEC_WAKE        0xe0
#define TIMER_US        1000
/* Far beyond any scheduling delay of an emulated CPU (seen: ~50 ms). */
/*
 * Far beyond the IPI's ~1 ms, so that the timer cannot be due too when
 * the sleeper's vCPU next runs, even with several vCPUs on one pCPU of a
 * busy emulator (it was 200 ms, which a loaded CI host exceeded once).
 * TMICT holds 32 bits: at 1 GHz, up to 4 s.
 */
#define LONG_TIMER_US   1000000
#define WAKE_TIMEOUT_US 2000000

struct sleeper
{
    volatile uint32_t ready, woke;
    volatile uint32_t irqs;         /* interrupts taken, any vector */
    volatile uint32_t last_vec, first_vec;
    volatile uint64_t irq_tsc;
    uint64_t armed_tsc, wake_tsc;
} __attribute__((aligned(64)));

static struct sleeper sl[MAX_CPUS];
static volatile uint64_t sent_tsc;
static unsigned int cur_sleeper, cur_waker;

static void on_irq(struct regs *r)
{
    struct sleeper *s = &sl[smp_cpu()];

    s->irq_tsc = rdtsc();
    s->last_vec = r->vector;
    if ( !s->first_vec )
        s->first_vec = r->vector;
    s->irqs++;
    apic_eoi();
}

/* Halt until an interrupt; returns how many handlers ran meanwhile. */
static uint32_t halt_once(struct sleeper *s)
{
    uint32_t before = s->irqs;

    s->first_vec = 0;
    s->ready = 1;
    sti_hlt();
    cli();
    return s->irqs - before;
}

static void expect_wake(struct sleeper *s, uint32_t n, uint32_t vec,
                        const char *what)
{
    CHECK(n >= 1, "%s: cpu %u left HLT with no interrupt taken", what,
          smp_cpu());
    CHECK(s->first_vec == vec, "%s: cpu %u woken by vector %#x, expected "
          "%#x", what, smp_cpu(), s->first_vec, vec);
    CHECK(n == 1, "%s: cpu %u took %u interrupts for one wakeup", what,
          smp_cpu(), n);
}

/* Part 1, run by the sleeper itself. */
static void sleep_timer(void *arg)
{
    struct sleeper *s = &sl[smp_cpu()];
    uint64_t due, early_ok = us_to_tsc(20) + us_to_tsc(TIMER_US) / 200;
    uint32_t n;

    (void)arg;
    cli();
    apic_write(APIC_TDCR, APIC_TDCR_DIV1);
    apic_write(APIC_LVTT, APIC_TIMER_ONESHOT | VEC_TIMER);
    s->armed_tsc = rdtsc();
    apic_write(APIC_TMICT, (uint32_t)us_to_lapic(TIMER_US));
    due = s->armed_tsc + us_to_tsc(TIMER_US);
    n = halt_once(s);
    s->wake_tsc = rdtsc();
    expect_wake(s, n, VEC_TIMER, "timer wakeup");
    CHECK(s->irq_tsc + early_ok >= due, "timer wakeup: cpu %u woke %llu us "
          "before its timer was due", smp_cpu(),
          tsc_to_us(due - s->irq_tsc));
    apic_write(APIC_LVTT, APIC_LVT_MASKED);
    s->woke = 1;
    sti();
}

/* Parts 2 and 3, sleeper side: arg != NULL arms the long timer too. */
static void sleep_ipi(void *arg)
{
    struct sleeper *s = &sl[smp_cpu()];
    uint32_t n;

    cli();
    if ( arg )
    {
        apic_write(APIC_TDCR, APIC_TDCR_DIV1);
        apic_write(APIC_LVTT, APIC_TIMER_ONESHOT | VEC_TIMER);
        apic_write(APIC_TMICT, (uint32_t)us_to_lapic(LONG_TIMER_US));
    }
    n = halt_once(s);
    s->wake_tsc = rdtsc();
    expect_wake(s, n, VEC_WAKE, arg ? "IPI wakeup with a timer armed"
                                    : "IPI wakeup");
    CHECK(s->irq_tsc >= sent_tsc, "IPI wakeup: cpu %u took the IPI %llu "
          "TSC ticks before it was sent", smp_cpu(), sent_tsc - s->irq_tsc);
    if ( arg )
    {
        apic_write(APIC_TMICT, 0);
        apic_write(APIC_LVTT, APIC_LVT_MASKED);
    }
    s->woke = 1;
    sti();
}

/* Waker side: wait until the sleeper halts, then wake it. */
static void waker(void *arg)
{
    struct sleeper *s = &sl[cur_sleeper];
    bool send = arg != NULL;

    if ( !wait_u32(&s->ready, 1, WAKE_TIMEOUT_US) )
        test_fail("cpu %u never got ready to halt", cur_sleeper);
    if ( send )
    {
        udelay(500);
        sent_tsc = rdtsc();
        apic_icr(percpu[cur_sleeper].apic_id, APIC_DM_FIXED | VEC_WAKE);
    }
    if ( !wait_u32(&s->woke, 1, WAKE_TIMEOUT_US) )
        test_fail("cpu %u not woken from HLT within %u ms (%s from cpu %u)",
                  cur_sleeper, WAKE_TIMEOUT_US / 1000,
                  send ? "IPI" : "its timer", cur_waker);
}

/*
 * One wakeup: sleeper runs sleep_fn, watcher runs waker (sending an IPI
 * when send); either may be the BSP, which runs its part last.
 */
static void one_wakeup(unsigned int sleeper, unsigned int watcher,
                       void (*sleep_fn)(void *), void *sleep_arg, bool send)
{
    sl[sleeper].ready = 0;
    sl[sleeper].woke = 0;
    cur_sleeper = sleeper;
    cur_waker = watcher;
    barrier();
    if ( sleeper )
        smp_call(sleeper, sleep_fn, sleep_arg);
    if ( watcher && watcher != sleeper )
        smp_call(watcher, waker, send ? (void *)1 : NULL);
    if ( !sleeper )
        sleep_fn(sleep_arg);
    else if ( !watcher )
        waker(send ? (void *)1 : NULL);
    if ( sleeper && !smp_call_wait(sleeper, WAKE_TIMEOUT_US) )
        test_fail("cpu %u never came back from HLT", sleeper);
    if ( watcher && watcher != sleeper &&
         !smp_call_wait(watcher, WAKE_TIMEOUT_US) )
        test_fail("cpu %u (watcher) did not finish", watcher);
}

void test_main(void)
{
    uint32_t rounds = env_u32("rounds", 10);
    unsigned int c, w, k, n_timer = 0, n_ipi = 0, n_both = 0;
    uint64_t lat_sum = 0, lat_max = 0;

    platform_init(APIC_MODE_XAPIC, true);
    idt_set_handler(VEC_TIMER, on_irq);
    idt_set_handler(VEC_WAKE, on_irq);
    sti();

    for ( c = 0; c < nr_cpus; c++ )
        for ( k = 0; k < rounds; k++ )
        {
            one_wakeup(c, nr_cpus > 1 ? (c + 1) % nr_cpus : 0, sleep_timer,
                       NULL, false);
            n_timer++;
        }
    printf("hlt_wakeup: timer: %u wakeups by the LAPIC timer\n", n_timer);

    for ( c = 0; c < nr_cpus; c++ )
        for ( w = 0; w < nr_cpus; w++ )
        {
            if ( w == c )
                continue;
            for ( k = 0; k < rounds; k++ )
            {
                uint64_t lat;

                one_wakeup(c, w, sleep_ipi, NULL, true);
                lat = sl[c].irq_tsc - sent_tsc;
                lat_sum += lat;
                if ( lat > lat_max )
                    lat_max = lat;
                n_ipi++;
                one_wakeup(c, w, sleep_ipi, (void *)1, true);
                n_both++;
            }
        }
    if ( n_ipi )
        printf("hlt_wakeup: IPI: %u wakeups, latency from send to handler "
               "avg %llu ns max %llu ns; %u more with a timer armed\n",
               n_ipi, tsc_to_ns(udiv64(lat_sum, n_ipi, NULL)),
               tsc_to_ns(lat_max), n_both);

    /* The cancelled long timers must stay quiet. */
    for ( c = 0; c < nr_cpus; c++ )
        sl[c].last_vec = 0;
    udelay(LONG_TIMER_US + 10000);
    for ( c = 0; c < nr_cpus; c++ )
        CHECK(sl[c].last_vec == 0, "cpu %u took vector %#x after all "
              "wakeups (a cancelled timer fired?)", c, sl[c].last_vec);
    for ( c = 0; c < nr_cpus; c++ )
        CHECK(!percpu[c].spurious, "cpu %u: %u spurious-vector interrupts",
              c, percpu[c].spurious);

    if ( nr_cpus < 2 )
        test_pass("1 CPU: %u HLT wakeups by the LAPIC timer; IPI wakeups "
                  "not tested (no second CPU)", n_timer);
    test_pass("%u CPUs: %u HLT wakeups by the LAPIC timer, %u by IPI from "
              "every other CPU, %u by IPI with a timer armed; IPI wakeup "
              "latency avg %llu ns", nr_cpus, n_timer, n_ipi, n_both,
              tsc_to_ns(udiv64(lat_sum, n_ipi ?: 1, NULL)));
}

/*
 * AP bring-up with INIT-SIPI-SIPI (the SDM's sequence: INIT, 10 ms, SIPI,
 * 200 us, SIPI if the AP has not checked in yet), one AP at a time so each
 * gets the shared trampoline to itself, and the smp_call() mailboxes.
 */
#include "apic.h"
#include "console.h"
#include "idt.h"
#include "smp.h"
#include "string.h"
#include "test.h"
#include "time.h"

struct percpu percpu[MAX_CPUS];
struct madt_info madt;
unsigned int nr_cpus = 1;

static uint8_t ap_stacks[MAX_CPUS][STACK_SIZE] __attribute__((aligned(16)));
static enum apic_mode ap_mode;

extern uint64_t gdt[];
extern const char tramp_start[], tramp_end[], tramp_stack[], tramp_cpu[];

void percpu_init(unsigned int idx)
{
    struct percpu *c = &percpu[idx];
    uint32_t base = (uint32_t)c;
    uint16_t sel = SEL_PERCPU(idx);

    c->self = c;
    c->index = idx;
    /* Data segment: base c, 4 KiB byte-granular limit, 32-bit, DPL 0. */
    gdt[3 + idx] = 0x0fffull | ((uint64_t)(base & 0xffffff) << 16) |
                   (0x92ull << 40) | (0x4ull << 52) |
                   ((uint64_t)(base >> 24) << 56);
    asm volatile ( "movw %0, %%gs" :: "r" (sel) : "memory" );
}

int smp_cpu_of(uint32_t apic_id)
{
    unsigned int i;

    for ( i = 0; i < nr_cpus; i++ )
        if ( percpu[i].apic_id == apic_id )
            return i;
    return -1;
}

void smp_discover(void)
{
    const char *err = acpi_read_madt(&madt);
    uint32_t bsp = this_cpu()->apic_id;
    unsigned int i, n = 1;

    if ( err )
        test_fail("ACPI: %s", err);
    printf("acpi: RSDP at %#x, MADT at %#x via %s, %u CPU(s) enabled, "
           "%u disabled, IOAPIC at %#x\n", madt.rsdp_addr, madt.madt_addr,
           madt.via_xsdt ? "XSDT" : "RSDT", madt.ncpus, madt.disabled,
           madt.ioapic_addr);

    for ( i = 0; i < madt.ncpus && madt.apic_id[i] != bsp; i++ )
        continue;
    if ( i == madt.ncpus )
        test_fail("BSP APIC ID %u is not in the MADT", bsp);
    percpu[0].madt_id = bsp;
    for ( i = 0; i < madt.ncpus; i++ )
    {
        if ( madt.apic_id[i] == bsp )
            continue;
        percpu[n].madt_id = madt.apic_id[i];
        percpu[n].apic_id = madt.apic_id[i];
        n++;
    }
    nr_cpus = n;
}

static void on_call(struct regs *r)
{
    (void)r;
    this_cpu()->kicked = 1;
    apic_eoi();
}

static void on_tick(struct regs *r)
{
    (void)r;
    this_cpu()->ticks++;
    apic_eoi();
}

void tick_start(uint32_t period_us)
{
    idt_set_handler(VEC_TICK, on_tick);
    apic_write(APIC_TDCR, APIC_TDCR_DIV1);
    apic_write(APIC_LVTT, APIC_TIMER_PERIODIC | VEC_TICK);
    apic_write(APIC_TMICT, (uint32_t)us_to_lapic(period_us) ?: 1);
}

void tick_stop(void)
{
    apic_write(APIC_LVTT, APIC_LVT_MASKED);
    apic_write(APIC_TMICT, 0);
}

/*
 * The deadline is 64 bits, written in two halves by the waiting CPU: the
 * watchdog reads it between two reads of wd_gen (odd while it changes)
 * and only trusts a value the generation did not move under.
 */
static volatile uint64_t wd_deadline;          /* 0: disarmed */
static volatile uint32_t wd_gen;
static const char *volatile wd_what;
static volatile uint32_t wd_running, wd_stop;
static unsigned int wd_cpu;

static void wd_set(uint64_t deadline)
{
    wd_gen++;
    barrier();
    wd_deadline = deadline;
    barrier();
    wd_gen++;
}

static uint64_t wd_get(void)
{
    uint32_t g;
    uint64_t dl;

    do {
        g = wd_gen;
        barrier();
        dl = wd_deadline;
        barrier();
    } while ( (g & 1) || g != wd_gen );
    return dl;
}

#define WATCHDOG_TICK_US 5000

static void watchdog_main(void *arg)
{
    (void)arg;
    tick_start(WATCHDOG_TICK_US);
    wd_running = 1;
    while ( !wd_stop )
    {
        uint64_t dl;

        cli();
        dl = wd_get();
        if ( dl && rdtsc() > dl )
            test_fail("watchdog on cpu %u: %s did not happen in time",
                      smp_cpu(), wd_what);
        sti_hlt();
    }
    tick_stop();
    wd_running = 0;
}

bool watchdog_start(void)
{
    if ( nr_cpus < 2 )
        return false;
    wd_cpu = nr_cpus - 1;
    wd_stop = 0;
    smp_call(wd_cpu, watchdog_main, NULL);
    if ( !wait_u32(&wd_running, 1, 1000000) )
        test_fail("watchdog did not start on cpu %u", wd_cpu);
    return true;
}

void watchdog_stop(void)
{
    if ( !wd_running )
        return;
    wd_stop = 1;
    if ( !smp_call_wait(wd_cpu, 1000000) )
        test_fail("watchdog on cpu %u did not stop", wd_cpu);
}

bool halt_until(volatile uint32_t *flag, uint32_t want, uint64_t timeout_us,
                const char *what)
{
    uint32_t f;

    if ( !wd_running )
        return wait_u32(flag, want, timeout_us);
    wd_what = what;
    wd_set(deadline_us(timeout_us));
    f = read_eflags();
    cli();
    while ( *flag < want )
    {
        sti_hlt();
        cli();
    }
    write_eflags(f);
    wd_set(0);
    return true;
}

static void ap_idle(struct percpu *c)
{
    for ( ;; )
    {
        uint32_t req;

        /* STI;HLT is atomic: a kick arriving before the HLT still wakes. */
        cli();
        while ( !c->kicked )
        {
            sti_hlt();
            cli();
        }
        c->kicked = 0;
        req = c->call_req;
        sti();
        if ( req == c->call_done )
            continue;
        barrier();
        c->call_fn(c->call_arg);
        barrier();
        c->call_done = req;
    }
}

/* C entry of an AP, called by the trampoline on its own stack. */
void ap_main(unsigned int idx)
{
    struct percpu *c;
    uint32_t a, b, cc, d;

    percpu_init(idx);
    c = this_cpu();
    idt_load();
    apic_setup(ap_mode);
    cpuid(1, 0, &a, &b, &cc, &d);
    c->cpuid_apic_id = b >> 24;
    c->online_tsc = rdtsc();
    barrier();
    c->online = 1;
    ap_idle(c);
}

bool smp_start_ap(unsigned int idx, enum apic_mode mode, uint64_t timeout_us)
{
    struct percpu *c = &percpu[idx];
    uint32_t dest = c->madt_id;
    uint32_t sipi = APIC_DM_STARTUP | (TRAMP_BASE >> 12);
    uint64_t end;

    idt_set_handler(VEC_CALL, on_call);
    ap_mode = mode;
    c->stack = ap_stacks[idx];
    c->online = 0;
    /* Only the AP itself may fill this in (from its own LAPIC). */
    c->apic_id = ~0u;
    memcpy(phys(TRAMP_BASE), tramp_start, tramp_end - tramp_start);
    *(volatile uint32_t *)phys(TRAMP_BASE + (tramp_stack - tramp_start)) =
        (uint32_t)(ap_stacks[idx] + STACK_SIZE);
    *(volatile uint32_t *)phys(TRAMP_BASE + (tramp_cpu - tramp_start)) = idx;
    barrier();

    c->sipi_tsc = rdtsc();
    apic_icr(dest, APIC_DM_INIT | APIC_ASSERT);
    udelay(10000);
    apic_icr(dest, sipi);
    udelay(200);
    if ( !c->online )
        apic_icr(dest, sipi);

    end = c->sipi_tsc + us_to_tsc(timeout_us);
    while ( !c->online && rdtsc() < end )
        cpu_relax();
    return c->online;
}

unsigned int smp_boot(enum apic_mode mode)
{
    unsigned int i;

    /*
     * A liveness bound, not a figure under test (ap_startup has its own):
     * under emulation the AP's host thread may not run for a while when
     * the host is busy, while the TSC keeps going, so it is generous.
     */
    for ( i = 1; i < nr_cpus; i++ )
        if ( !smp_start_ap(i, mode, 5000000) )
            test_fail("CPU %u (APIC ID %u) did not start within 5 s", i,
                      percpu[i].madt_id);
    printf("smp: %u CPU(s) online, LAPICs in %s mode\n", nr_cpus,
           apic_mode_name(mode));
    return nr_cpus;
}

void smp_call(unsigned int idx, void (*fn)(void *), void *arg)
{
    struct percpu *c = &percpu[idx];

    if ( !smp_call_wait(idx, 10000000) )
        test_fail("CPU %u still busy with its previous call after 10 s",
                  idx);
    c->call_fn = fn;
    c->call_arg = arg;
    barrier();
    c->call_req = c->call_done + 1;
    apic_icr(c->apic_id, APIC_DM_FIXED | VEC_CALL);
}

bool smp_call_wait(unsigned int idx, uint64_t timeout_us)
{
    struct percpu *c = &percpu[idx];
    uint64_t end = deadline_us(timeout_us);

    while ( c->call_req != c->call_done )
    {
        if ( rdtsc() >= end )
            return false;
        cpu_relax();
    }
    return true;
}

void smp_call_all(void (*fn)(void *), void *arg, uint64_t timeout_us)
{
    unsigned int i;

    for ( i = 1; i < nr_cpus; i++ )
        smp_call(i, fn, arg);
    fn(arg);
    for ( i = 1; i < nr_cpus; i++ )
        if ( !smp_call_wait(i, timeout_us) )
            test_fail("CPU %u did not finish its call in time", i);
}

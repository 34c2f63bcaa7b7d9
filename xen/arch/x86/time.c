/*
 * Time: the TSC, calibrated once against the PIT (or the ACPI PM timer),
 * gives system time in nanoseconds; each pCPU's local APIC timer, in
 * TSC-deadline mode when the CPU has it and one-shot mode otherwise,
 * raises the timer softirq when the earliest software timer is due.
 */
#include <xen/lib.h>
#include <xen/param.h>
#include <xen/softirq.h>
#include <xen/time.h>
#include <asm/apic.h>
#include <asm/io.h>
#include <asm/irq_vectors.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <asm/time.h>
#include <asm/traps.h>

#define PIT_HZ          1193182
#define PMTMR_HZ        3579545
#define CALIBRATE_MS    50

u64 cpu_khz;
static u64 boot_tsc;
/* ns = (tsc delta * ns_scale) >> 32 */
static u64 ns_scale;
/* tsc delta = (ns * tsc_scale) >> 32 */
static u64 tsc_scale;
static bool use_tsc_deadline;
static u64 lapic_timer_khz;     /* one-shot mode: APIC timer ticks per ms */

static char opt_calibrate[16] = "pit";
string_param("tsc_calibrate", opt_calibrate);
static bool opt_tsc_deadline = true;
boolean_param("tsc_deadline", opt_tsc_deadline);

void time_early_init(void)
{
    boot_tsc = rdtsc();
}

s_time_t get_s_time(void)
{
    if ( !ns_scale )
        return 0;
    return (s_time_t)(((unsigned __int128)(rdtsc() - boot_tsc) * ns_scale)
                      >> 32);
}

static u64 ns_to_tsc(s_time_t ns)
{
    return (u64)(((unsigned __int128)ns * tsc_scale) >> 32);
}

s_time_t tsc_to_s_time(u64 tsc)
{
    unsigned __int128 ns;

    if ( tsc <= boot_tsc || !ns_scale )
        return 0;
    ns = ((unsigned __int128)(tsc - boot_tsc) * ns_scale) >> 32;
    /* Centuries away: saturate rather than wrap into the past. */
    return ns >= (unsigned __int128)STIME_MAX ? STIME_MAX : (s_time_t)ns;
}

u64 s_time_to_tsc(s_time_t t)
{
    return boot_tsc + ns_to_tsc(t);
}

void udelay(unsigned long usecs)
{
    u64 end = rdtsc() + usecs * cpu_khz / 1000;

    while ( rdtsc() < end )
        __asm__ __volatile__ ( "pause" );
}

/* TSC ticks during CALIBRATE_MS, measured with PIT channel 2. */
static u64 calibrate_pit(void)
{
    u16 count = PIT_HZ / (1000 / CALIBRATE_MS);
    u64 t0, t1;

    /* Gate channel 2 on, speaker off; mode 0: OUT goes high at zero. */
    outb((inb(0x61) & ~0x02) | 0x01, 0x61);
    outb(0xb0, 0x43);
    outb(count & 0xff, 0x42);
    outb(count >> 8, 0x42);
    t0 = rdtsc();
    while ( !(inb(0x61) & 0x20) )
        ;
    t1 = rdtsc();
    return t1 - t0;
}

/* TSC ticks during CALIBRATE_MS, measured with the ACPI PM timer. */
static u64 calibrate_pmtimer(u32 port, bool wide)
{
    u32 mask = wide ? 0xffffffffu : 0xffffffu;
    u32 ticks = PMTMR_HZ / (1000 / CALIBRATE_MS);
    u32 start = inl(port) & mask;
    u64 t0 = rdtsc();

    while ( ((inl(port) - start) & mask) < ticks )
        ;
    return rdtsc() - t0;
}

void tsc_calibrate(u32 pm_tmr_port, bool pm_tmr_32bit)
{
    const char *source = "PIT";
    u64 ticks;

    if ( !strcmp(opt_calibrate, "pmtimer") )
    {
        if ( pm_tmr_port )
            source = "ACPI PM timer";
        else
            printk(XENLOG_WARNING "TSC: no ACPI PM timer, using the PIT\n");
    }
    else if ( strcmp(opt_calibrate, "pit") )
        printk(XENLOG_WARNING "Bad value for option 'tsc_calibrate': '%s'\n",
               opt_calibrate);

    ticks = source[0] == 'A' ? calibrate_pmtimer(pm_tmr_port, pm_tmr_32bit)
                             : calibrate_pit();
    cpu_khz = ticks / CALIBRATE_MS;
    if ( !cpu_khz )
        panic("TSC calibration against the %s failed", source);
    ns_scale = (1000000ULL << 32) / cpu_khz;
    tsc_scale = (cpu_khz << 32) / 1000000ULL;
    printk("TSC: %lu.%03lu MHz (calibrated against %s)\n",
           cpu_khz / 1000, cpu_khz % 1000, source);
}

static void timer_interrupt(struct cpu_user_regs *regs)
{
    (void)regs;
    raise_softirq(TIMER_SOFTIRQ);
}

void lapic_timer_init(void)
{
    set_vector_handler(LOCAL_TIMER_VECTOR, timer_interrupt);
    use_tsc_deadline = boot_cpu.tsc_deadline && opt_tsc_deadline;

    if ( !use_tsc_deadline )
    {
        u64 t0, start_count = 0xffffffffu;

        /* Count APIC timer ticks (divide by 1) over 10 ms of TSC. */
        apic_write(APIC_TDCR, 0xb);
        apic_write(APIC_LVTT, APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);
        apic_write(APIC_TMICT, (u32)start_count);
        t0 = rdtsc();
        while ( rdtsc() - t0 < cpu_khz * 10 )
            ;
        lapic_timer_khz = (start_count - apic_read(APIC_TMCCT)) / 10;
        apic_write(APIC_TMICT, 0);
        if ( !lapic_timer_khz )
            panic("LAPIC timer does not count");
    }
    printk("Timer: LAPIC %s mode%s\n",
           use_tsc_deadline ? "TSC-deadline" : "one-shot",
           use_tsc_deadline ? "" : " (calibrated against the TSC)");
    lapic_timer_cpu_init();
}

void lapic_timer_cpu_init(void)
{
    if ( use_tsc_deadline )
    {
        apic_write(APIC_LVTT, APIC_TIMER_TSC_DEADLINE | LOCAL_TIMER_VECTOR);
        /* Order the LVT write before any deadline write (SDM 10.5.4.1). */
        __asm__ __volatile__ ( "mfence" ::: "memory" );
    }
    else
    {
        apic_write(APIC_TDCR, 0xb);
        apic_write(APIC_LVTT, LOCAL_TIMER_VECTOR);
    }
}

/* The hardware timer's deadline on each pCPU, in TSC ticks (0: none). */
static DEFINE_PER_CPU(u64, timer_deadline_tsc);

u64 timer_deadline_tsc(void)
{
    return this_cpu(timer_deadline_tsc);
}

bool reprogram_timer(s_time_t timeout)
{
    s_time_t now;

    this_cpu(timer_deadline_tsc) = timeout > 0 ? s_time_to_tsc(timeout) : 0;
    if ( timeout == 0 )
    {
        if ( use_tsc_deadline )
            wrmsr(MSR_TSC_DEADLINE, 0);
        else
            apic_write(APIC_TMICT, 0);
        return true;
    }

    now = NOW();
    if ( timeout <= now )
        return false;

    if ( use_tsc_deadline )
        wrmsr(MSR_TSC_DEADLINE, boot_tsc + ns_to_tsc(timeout));
    else
    {
        u64 ticks = (u64)(timeout - now) * lapic_timer_khz / 1000000;

        apic_write(APIC_TMICT, (u32)min(max(ticks, (u64)1),
                                        (u64)0xffffffffu));
    }
    return true;
}

/*
 * Per-CPU data and SMP bring-up. CPU index 0 is the BSP, the others
 * follow MADT order. Each CPU reaches its own block through %gs (a GDT
 * segment per CPU), so finding "this CPU" costs no LAPIC access - under a
 * hypervisor an APIC ID read may be a VM exit.
 *
 * APs sit in an idle loop in HLT with interrupts enabled (a stray
 * interrupt is noticed, not left pending, and an idle AP costs the
 * emulator or hypervisor nothing) and run functions posted with
 * smp_call(), which wakes them with an IPI on VEC_CALL.
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include "acpi.h"
#include "apic.h"
#include "config.h"
#include "x86.h"

/* Vectors the library owns; tests use others. */
#define VEC_CALL        0xf1
#define VEC_TICK        0xf2

struct percpu
{
    struct percpu *self;            /* %gs:0 */
    unsigned int index;
    uint32_t apic_id;               /* this CPU's LAPIC ID */
    uint32_t madt_id;               /* what the MADT says it is */
    bool x2apic;                    /* LAPIC in x2APIC mode */
    volatile uint32_t online;
    uint32_t cpuid_apic_id;         /* CPUID.1:EBX[31:24] as seen by it */
    uint64_t sipi_tsc, online_tsc;  /* BSP's TSC at INIT, AP's when up */

    /*
     * smp_call() mailbox: the AP runs fn(arg) when req != done, once the
     * VEC_CALL IPI has set kicked (so that IPI is not still in flight when
     * fn starts and cannot be mistaken for one fn waits for).
     */
    void (*volatile call_fn)(void *);
    void *volatile call_arg;
    volatile uint32_t call_req, call_done, kicked;
    volatile uint32_t ticks;        /* tick_start() interrupts */
    volatile uint32_t spurious;     /* spurious-vector (0xff) interrupts */

    uint8_t *stack;
} __attribute__((aligned(64)));

extern struct percpu percpu[MAX_CPUS];
extern struct madt_info madt;
extern unsigned int nr_cpus;        /* CPUs known from the MADT */

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;

    /* volatile: must not be hoisted above the %gs load in percpu_init(). */
    asm volatile ( "movl %%gs:0, %0" : "=r" (p) );
    return p;
}

static inline unsigned int smp_cpu(void)
{
    return this_cpu()->index;
}

/* The index of the CPU with this APIC ID, or -1 if there is none. */
int smp_cpu_of(uint32_t apic_id);

/* Give CPU idx its per-CPU block and point %gs at it. */
void percpu_init(unsigned int idx);

/*
 * Read the MADT and order the CPUs (BSP first). The BSP's LAPIC must be
 * set up. Fails the test when the BSP is not listed.
 */
void smp_discover(void);

/* INIT-SIPI-SIPI one AP into the given APIC mode; true if it came up. */
bool smp_start_ap(unsigned int idx, enum apic_mode mode,
                  uint64_t timeout_us);

/* Start every AP the MADT lists, or fail the test. Returns nr_cpus. */
unsigned int smp_boot(enum apic_mode mode);

/* Post fn(arg) to CPU idx (an online AP); waits for its previous call. */
void smp_call(unsigned int idx, void (*fn)(void *), void *arg);
/* Wait for CPU idx to finish its last call; false on timeout. */
bool smp_call_wait(unsigned int idx, uint64_t timeout_us);
/* Run fn(arg) on every online CPU, the caller (BSP) included; wait. */
void smp_call_all(void (*fn)(void *), void *arg, uint64_t timeout_us);

/*
 * A periodic LAPIC timer interrupt on this CPU (VEC_TICK) that only counts,
 * so a CPU waiting in HLT wakes up now and then to check a timeout.
 * lapic_khz must be known.
 */
void tick_start(uint32_t period_us);
void tick_stop(void);

/*
 * A watchdog on the last CPU (which then runs nothing else), so that the
 * other CPUs may wait in HLT - the fair way to wait under an emulator or a
 * hypervisor - and still fail with a message instead of hanging when the
 * interrupt they wait for never comes. Needs at least 2 online CPUs;
 * returns whether it runs.
 */
bool watchdog_start(void);
void watchdog_stop(void);

/*
 * Wait until *flag >= want. With the watchdog running: in HLT, and the
 * watchdog fails the test (naming `what`) after timeout_us. Without it:
 * spinning, returning false on timeout.
 */
bool halt_until(volatile uint32_t *flag, uint32_t want, uint64_t timeout_us,
                const char *what);

#endif /* GUEST_SMP_H */

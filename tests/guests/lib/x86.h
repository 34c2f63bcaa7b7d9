/*
 * Basic types and inline wrappers for the x86 instructions the guest test
 * kernels use: port I/O, MSRs, CPUID, TSC, interrupt flag, PAUSE and HLT.
 * The kernels run in 32-bit protected mode with paging off, so a physical
 * address is also a pointer.
 */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define barrier()       asm volatile ( "" ::: "memory" )
#define noreturn        __attribute__((noreturn))
#define unused          __attribute__((unused))

/* Flat segments set up by head.S; GS selects this CPU's per-CPU block. */
#define SEL_CODE        0x08
#define SEL_DATA        0x10
#define SEL_PERCPU(i)   (0x18 + 8 * (i))

#define EFLAGS_IF       (1u << 9)

static inline void outb(uint16_t port, uint8_t v)
{
    asm volatile ( "outb %0, %1" :: "a" (v), "Nd" (port) );
}

static inline void outw(uint16_t port, uint16_t v)
{
    asm volatile ( "outw %0, %1" :: "a" (v), "Nd" (port) );
}

static inline void outl(uint16_t port, uint32_t v)
{
    asm volatile ( "outl %0, %1" :: "a" (v), "Nd" (port) );
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;

    asm volatile ( "inb %1, %0" : "=a" (v) : "Nd" (port) );
    return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    asm volatile ( "rdmsr" : "=a" (lo), "=d" (hi) : "c" (msr) );
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    asm volatile ( "wrmsr" :: "c" (msr), "a" ((uint32_t)v),
                   "d" ((uint32_t)(v >> 32)) : "memory" );
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a,
                         uint32_t *b, uint32_t *c, uint32_t *d)
{
    asm volatile ( "cpuid"
                   : "=a" (*a), "=b" (*b), "=c" (*c), "=d" (*d)
                   : "0" (leaf), "2" (sub) );
}

static inline uint32_t cpuid_ecx(uint32_t leaf)
{
    uint32_t a, b, c, d;

    cpuid(leaf, 0, &a, &b, &c, &d);
    return c;
}

/*
 * RDTSC is not ordered against earlier loads on its own; the timing tests
 * compare TSC values taken on different CPUs and in interrupt handlers, so
 * fence it on both sides (LFENCE is dispatch-serialising on Intel and on
 * AMD with the usual MSR setting; emulators serialise anyway).
 */
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile ( "lfence; rdtsc; lfence" : "=a" (lo), "=d" (hi)
                   :: "memory" );
    return ((uint64_t)hi << 32) | lo;
}

static inline void cli(void)
{
    asm volatile ( "cli" ::: "memory" );
}

static inline void sti(void)
{
    asm volatile ( "sti" ::: "memory" );
}

/* STI's one-instruction shadow makes the pair atomic: no lost wakeup. */
static inline void sti_hlt(void)
{
    asm volatile ( "sti; hlt" ::: "memory" );
}

static inline void cpu_relax(void)
{
    asm volatile ( "pause" ::: "memory" );
}

static inline uint32_t read_eflags(void)
{
    uint32_t f;

    asm volatile ( "pushfl; popl %0" : "=r" (f) :: "memory" );
    return f;
}

static inline void write_eflags(uint32_t f)
{
    asm volatile ( "pushl %0; popfl" :: "r" (f) : "memory", "cc" );
}

/*
 * A pointer to a fixed physical address. Laundering the number through an
 * empty asm keeps GCC from reasoning about "objects" at constant addresses
 * (its -Warray-bounds otherwise rejects reads of, say, the BDA at 0x40e).
 */
static inline void *phys(uint32_t addr)
{
    asm ( "" : "+r" (addr) );
    return (void *)addr;
}

static inline uint32_t mmio_read32(uint32_t addr)
{
    return *(volatile uint32_t *)phys(addr);
}

static inline void mmio_write32(uint32_t addr, uint32_t v)
{
    *(volatile uint32_t *)phys(addr) = v;
}

/* CPUID feature bits used by the tests. */
#define CPUID1_ECX_X2APIC       (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_ECX_HYPERVISOR   (1u << 31)

#define MSR_APIC_BASE           0x0000001b
#define MSR_TSC_DEADLINE        0x000006e0

#endif /* GUEST_X86_H */

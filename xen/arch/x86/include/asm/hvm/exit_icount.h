/*
 * exit_icount=1 (make bench): host instructions from a VM exit to the
 * next VM entry, for exits that are x2APIC fixed physical unicast ICR
 * writes, split by the path that handled them (fast or full).  It needs
 * a CPU whose TSC advances by one per instruction, as Bochs' does with
 * clock sync=none; exit_icount.c checks that at the first entry.
 */
#ifndef __ASM_HVM_EXIT_ICOUNT_H__
#define __ASM_HVM_EXIT_ICOUNT_H__

#include <xen/types.h>
#include <xen/compiler.h>

struct vcpu;

enum { EXIT_ICOUNT_FAST, EXIT_ICOUNT_FULL, EXIT_ICOUNT_KINDS };

/*
 * The first EXIT_ICOUNT_VALUES distinct counts seen and how often each;
 * samples with any other count (a host interrupt inside the window, a
 * context switch) are only counted in 'other'.
 */
#define EXIT_ICOUNT_VALUES 8

struct exit_icount_kind
{
    u64 n, other;
    u64 val[EXIT_ICOUNT_VALUES], cnt[EXIT_ICOUNT_VALUES];
};

/* Per vCPU, touched only by the pCPU that runs it. */
struct exit_icount
{
    u64 exit_tsc;               /* 0: no exit to measure from */
    u64 fastpath_seen;          /* hvm ipi_fastpath at the last entry */
    u64 calib[2];               /* see exit_icount.c */
    bool calibrated;
    struct exit_icount_kind k[EXIT_ICOUNT_KINDS];
};

extern bool opt_exit_icount;

/*
 * The TSC, read as the first instruction after a taken jump.  Bochs
 * brings its TSC up to date with its instruction count only between
 * traces of decoded instructions, and a taken jump ends a trace; read
 * anywhere else, the value may lag by the instructions of the current
 * trace.  On one emulated CPU (with more, it advances a quantum at a
 * time for all of them) two such reads differ by exactly the number of
 * instructions from the first RDTSC up to the second one's jump.
 */
static inline u64 exit_icount_tsc(void)
{
    u32 lo, hi;

    __asm__ __volatile__ ( "jmp 1f\n1:\trdtsc"
                           : "=a" (lo), "=d" (hi) :: "memory" );
    return ((u64)hi << 32) | lo;
}

/*
 * Called by the backend just before VM entry with the TSC it read there,
 * whether the exit this window began with was a WRMSR, and guest RAX.
 */
void exit_icount_entry(struct vcpu *v, u64 now, bool wrmsr, u64 rax);
void exit_icount_dump(const struct vcpu *v);
/* Every HVM vCPU's counts, once the run has ended (progress.c). */
void exit_icount_dump_all(void);

#endif /* __ASM_HVM_EXIT_ICOUNT_H__ */

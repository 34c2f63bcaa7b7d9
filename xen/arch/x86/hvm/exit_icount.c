/*
 * exit_icount=1: the instruction cost of an x2APIC ICR-write exit, for
 * make bench (docs/interrupt-bench.md).  The VMX backend reads the TSC
 * the first thing after vmx_enter() returns from a VM exit and the last
 * thing before it calls vmx_enter() again; on Bochs with one CPU and
 * clock sync=none, read as exit_icount_tsc() reads it, the TSC is
 * Bochs' instruction counter, so the difference is the number of host
 * instructions in between.  The bookkeeping runs after the entry read,
 * outside the window it measures.  Each vCPU checks that premise once:
 * the TSC across RDTSC, MOV, JMP must be 3 and across RDTSC, MOV, 100
 * NOPs, JMP 103; both are printed with the counts, and make bench
 * refuses counts without them.
 */
#include <xen/lib.h>
#include <xen/param.h>
#include <xen/sched.h>
#include <asm/processor.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/exit_icount.h>

bool opt_exit_icount;
boolean_param("exit_icount", opt_exit_icount);

#define MSR_X2APIC_ICR_NR   (MSR_X2APIC_FIRST + (APIC_REG_ICR >> 4))
/* Delivery mode, destination mode and shorthand of an ICR value. */
#define ICR_NOT_UNICAST     0x000c0f00u

/* TSC ticks across 'body' (AT&T, %ecx free); see exit_icount_tsc(). */
#define CALIB(body)                                                    \
    ({                                                                  \
        u32 d_;                                                         \
        __asm__ __volatile__ ( "jmp 1f\n1:\trdtsc\n\tmov %%eax, %%ecx\n\t"  \
                               body "\n\trdtsc\n\tsub %%ecx, %%eax"      \
                               : "=a" (d_) :: "rcx", "rdx", "memory" ); \
        (u64)d_;                                                        \
    })

static void calibrate(struct exit_icount *ic)
{
    ic->calib[0] = CALIB("jmp 2f\n2:");
    ic->calib[1] = CALIB(".rept 100\n\tnop\n\t.endr\n\tjmp 2f\n2:");
    ic->calibrated = true;
}

void exit_icount_entry(struct vcpu *v, u64 now, bool wrmsr, u64 rax)
{
    struct exit_icount *ic = &v->hvm->icount;
    struct exit_icount_kind *k;
    u64 d, start = ic->exit_tsc;
    bool fast = v->hvm->ipi_fastpath != ic->fastpath_seen;

    ic->exit_tsc = 0;
    ic->fastpath_seen = v->hvm->ipi_fastpath;
    if ( !ic->calibrated )
        calibrate(ic);
    if ( !start || now <= start || !wrmsr ||
         (u32)v->hvm->gprs.rcx != MSR_X2APIC_ICR_NR ||
         ((u32)rax & ICR_NOT_UNICAST) )
        return;
    k = &ic->k[fast ? EXIT_ICOUNT_FAST : EXIT_ICOUNT_FULL];
    d = now - start;
    k->n++;
    for ( unsigned int j = 0; j < EXIT_ICOUNT_VALUES; j++ )
        if ( k->val[j] == d || !k->cnt[j] )
        {
            k->val[j] = d;
            k->cnt[j]++;
            return;
        }
    k->other++;
}

void exit_icount_dump(const struct vcpu *v)
{
    const struct exit_icount *ic = &v->hvm->icount;
    static const char *const name[EXIT_ICOUNT_KINDS] = { "fast", "full" };

    if ( !opt_exit_icount )
        return;
    printk("    exit_icount d%u v%u calib %lu %lu\n", v->domain->domain_id,
           v->vcpu_id, (unsigned long)ic->calib[0],
           (unsigned long)ic->calib[1]);
    for ( unsigned int i = 0; i < EXIT_ICOUNT_KINDS; i++ )
    {
        const struct exit_icount_kind *k = &ic->k[i];
        unsigned int m = 0;

        if ( !k->n )
            continue;
        for ( unsigned int j = 1; j < EXIT_ICOUNT_VALUES; j++ )
            if ( k->cnt[j] > k->cnt[m] )
                m = j;
        printk("    exit_icount d%u v%u %s n %lu mode %lu at_mode %lu\n",
               v->domain->domain_id, v->vcpu_id, name[i],
               (unsigned long)k->n, (unsigned long)k->val[m],
               (unsigned long)k->cnt[m]);
        for ( unsigned int j = 0; j < EXIT_ICOUNT_VALUES && k->cnt[j]; j++ )
            printk("      %lu instructions: %lu\n",
                   (unsigned long)k->val[j], (unsigned long)k->cnt[j]);
        if ( k->other )
            printk("      other counts: %lu\n", (unsigned long)k->other);
    }
}

void exit_icount_dump_all(void)
{
    struct domain *d;

    if ( !opt_exit_icount )
        return;
    domlist_read_lock();
    for ( d = domain_first(); d; d = domain_next(d) )
        for ( unsigned int i = 0; i < d->max_vcpus; i++ )
            if ( d->vcpu && d->vcpu[i] && d->vcpu[i]->hvm )
                exit_icount_dump(d->vcpu[i]);
    domlist_read_unlock();
}

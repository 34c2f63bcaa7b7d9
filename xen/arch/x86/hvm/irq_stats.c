/*
 * The interrupt-delivery counters behind the irq_stats sysctl, gathered
 * into the public layout: a pCPU's wakeup vectors and blocked lists
 * (pi_blocked.c), and a vCPU's descriptor counters (pi.c), vLAPIC IPI
 * and EOI counts (vlapic.c), wake latency and exits (hvm.c).
 *
 * Locking: each wakeup list is copied under its own lock; the vCPU
 * counters are read without one, each a single aligned 64-bit load, so a
 * reader may see one counter a step ahead of another, never a torn value.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/irq_stats.h>
#include <xen/sched.h>
#include <asm/smpboot.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/pi.h>
#include <asm/hvm/pi_blocked.h>

/* The public exit numbering is the HVM layer's own. */
BUILD_BUG_ON(XEN_EXIT_NR != HVM_EXIT_NR);
BUILD_BUG_ON(XEN_EXIT_NR > XEN_IRQ_STATS_MAX_EXITS);
BUILD_BUG_ON(XEN_EXIT_hlt != HVM_EXIT_HLT);
BUILD_BUG_ON(XEN_EXIT_msr_write != HVM_EXIT_MSR_WRITE);
BUILD_BUG_ON(XEN_EXIT_unhandled != HVM_EXIT_UNHANDLED);
BUILD_BUG_ON(XEN_EXIT_xsetbv != HVM_EXIT_XSETBV);
BUILD_BUG_ON(XEN_EXIT_task_switch != HVM_EXIT_TASK_SWITCH);
BUILD_BUG_ON(XEN_IRQ_STATS_MAX_VECTORS < PI_WAKEUP_VECTORS_MAX);

int arch_irq_stats_pcpu(unsigned int cpu, struct xen_irq_stats_pcpu *out)
{
    unsigned int k, blocked, peak;

    memset(out, 0, sizeof(*out));
    if ( !pi_blocked_cpu_stats(cpu, &k, &blocked, &peak) )
        return -EINVAL;
    out->cpu = cpu;
    out->apic_id = cpu_to_apic_id(cpu);
    out->nr_vectors = k;
    out->nr_blocked = blocked;
    out->peak_blocked = peak;
    for ( unsigned int i = 0; i < k; i++ )
    {
        struct xen_irq_stats_wakeup_vector *o = &out->vec[i];
        struct pi_wakeup_stats s;
        unsigned int n;
        u8 vec;

        if ( !pi_wakeup_stats_get(cpu, i, &s, &vec, &n) )
            return -EINVAL;         /* went offline meanwhile */
        o->vector = vec;
        o->nr_blocked = n;
        o->handler_runs = s.handler_runs;
        o->entries_scanned = s.entries_scanned;
        o->woken = s.woken;
        o->spurious = s.spurious;
        o->max_scan = s.max_scan;
        o->handler_cycles = s.handler_cycles;
    }
    return 0;
}

static u64 rd(const u64 *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

int arch_irq_stats_vcpu(struct vcpu *v, struct xen_irq_stats_vcpu *out)
{
    struct hvm_vcpu *h = v->hvm;
    struct pi_stats *st;

    memset(out, 0, sizeof(*out));
    if ( !v->domain->is_hvm || !h || !h->pi_desc )
        return -EINVAL;
    st = pi_desc_stats(h->pi_desc);
    out->domid = v->domain->domain_id;
    out->vcpu = v->vcpu_id;
    out->nr_exit_reasons = XEN_EXIT_NR;
    out->posts = rd(&st->posts);
    out->posts_coalesced = rd(&st->coalesced);
    out->notifications = rd(&st->notifications);
    out->wakeup_notifications = rd(&st->wakeup_notifications);
    out->notifications_suppressed = rd(&st->suppressed);
    out->ipi_fastpath = rd(&h->ipi_fastpath);
    out->ipi_slowpath = rd(&h->vlapic.nr_ipis_slow);
    out->eoi_exits = rd(&h->vlapic.nr_eoi_writes);
    out->pv_eoi_skips = rd(&h->pv_eoi_skips);
    out->pv_ipi_calls = rd(&h->vlapic.nr_pv_ipi_calls);
    out->pv_ipi_targets = rd(&h->vlapic.nr_pv_ipi_targets);
    out->wakes = rd(&h->wakes);
    out->wake_latency_sum = rd(&h->wake_latency_sum);
    out->wake_latency_max = rd(&h->wake_latency_max);
    for ( unsigned int r = 0; r < XEN_EXIT_NR; r++ )
        out->exits[r] = rd(&h->exits[r]);
    return 0;
}

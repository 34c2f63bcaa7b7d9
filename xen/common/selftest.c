/*
 * Boot self-tests that prove the machinery the rest of the hypervisor
 * stands on, on the real image: every pCPU fires a software timer through
 * its own hardware timer and softirq, and (on request) one pCPU takes a
 * fault to show the crash path.
 */
#include <xen/lib.h>
#include <xen/param.h>
#include <xen/selftest.h>
#include <xen/smp.h>
#include <xen/softirq.h>
#include <xen/time.h>
#include <xen/timer.h>
#include <xen/spinlock.h>
#include <xen/xmalloc.h>

#define SELFTEST_DELAY MILLISECS(10)

/* selftest_fault=N: pCPU N executes an invalid opcode after boot. */
static unsigned int opt_selftest_fault = ~0u;
integer_param("selftest_fault", opt_selftest_fault);

struct timer_probe
{
    struct timer timer;
    s_time_t armed;
    s_time_t late;          /* how long after its deadline it ran */
};

static struct timer_probe *probes;
static unsigned int timers_fired;

static void probe_fired(void *data)
{
    struct timer_probe *p = data;

    p->late = NOW() - (p->armed + SELFTEST_DELAY);
    __atomic_fetch_add(&timers_fired, 1, __ATOMIC_SEQ_CST);
}

static void arm_probe(void *unused)
{
    struct timer_probe *p = &probes[smp_processor_id()];

    (void)unused;
    init_timer(&p->timer, probe_fired, p, smp_processor_id());
    p->armed = NOW();
    set_timer(&p->timer, p->armed + SELFTEST_DELAY);
}

void selftest_timers(void)
{
    unsigned int cpu, online = cpumask_weight(&cpu_online_map);
    s_time_t deadline, worst = 0;

    probes = xzalloc_array(struct timer_probe, NR_CPUS);
    if ( !probes )
        panic("no memory for the timer self-test");

    on_selected_cpus(&cpu_online_map, arm_probe, NULL, true);
    deadline = NOW() + SECONDS(2);
    /*
     * The boot pCPU is not idle, so it runs its own softirqs here: its
     * probe's softirq is what programs its hardware timer.
     */
    while ( READ_ONCE(timers_fired) < online && NOW() < deadline )
        do_softirq();

    for_each_online_cpu ( cpu )
        if ( probes[cpu].late > worst )
            worst = probes[cpu].late;
    printk("Timers: %u of %u pCPUs fired (latest %lu us after deadline)\n",
           READ_ONCE(timers_fired), online, (unsigned long)(worst / 1000));

    for_each_online_cpu ( cpu )
        kill_timer(&probes[cpu].timer);
    xfree(probes);
    probes = NULL;
}

static void take_fault(void *unused)
{
    (void)unused;
    __asm__ __volatile__ ( "ud2" );
}

void selftest_fault(void)
{
    cpumask_t target;

    if ( opt_selftest_fault == ~0u )
        return;
    if ( opt_selftest_fault >= NR_CPUS ||
         !cpumask_test_cpu(opt_selftest_fault, &cpu_online_map) )
    {
        printk(XENLOG_WARNING "selftest_fault: CPU %u is not online\n",
               opt_selftest_fault);
        return;
    }
    printk("selftest_fault: CPU %u takes an invalid opcode now\n",
           opt_selftest_fault);
    cpumask_clear(&target);
    cpumask_set_cpu(opt_selftest_fault, &target);
    on_selected_cpus(&target, take_fault, NULL, true);
}

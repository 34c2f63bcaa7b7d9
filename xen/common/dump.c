/*
 * The state dumps behind the debug keys: 'q' domains and vCPUs, 'r' and
 * 's' from the scheduler.  Output goes through printk into the console
 * ring, where dom0 reads it back.
 */
#include <xen/lib.h>
#include <xen/domain.h>
#include <xen/keyhandler.h>
#include <xen/sched.h>
#include <xen/time.h>

static const char *const runstate_names[RUNSTATE_NR] = {
    "running", "runnable", "blocked", "offline",
};

static void dump_vcpu(const struct vcpu *v)
{
    struct vcpu_runstate_info rs;

    vcpu_runstate_get(v, &rs);
    printk("    VCPU%u: CPU%u %s pause_count=%d pause_flags=%#lx "
           "wakeups=%lu\n", v->vcpu_id, v->processor,
           rs.state < RUNSTATE_NR ? runstate_names[rs.state] : "?",
           __atomic_load_n(&v->pause_count, __ATOMIC_RELAXED),
           __atomic_load_n(&v->pause_flags, __ATOMIC_RELAXED),
           (unsigned long)v->nr_wakeups);
    printk("        runstate ms: running %lu.%03lu runnable %lu.%03lu "
           "blocked %lu.%03lu offline %lu.%03lu\n",
           (unsigned long)(rs.time[0] / 1000000),
           (unsigned long)(rs.time[0] / 1000 % 1000),
           (unsigned long)(rs.time[1] / 1000000),
           (unsigned long)(rs.time[1] / 1000 % 1000),
           (unsigned long)(rs.time[2] / 1000000),
           (unsigned long)(rs.time[2] / 1000 % 1000),
           (unsigned long)(rs.time[3] / 1000000),
           (unsigned long)(rs.time[3] / 1000 % 1000));
}

static void dump_domain(const struct domain *d, bool idle)
{
    if ( idle )
        printk("Idle domain (d%u):\n", d->domain_id);
    else
        printk("Domain %u (%s)%s%s: refcnt=%d pause_count=%d pages=%lu/%lu\n",
               d->domain_id, d->name, d->is_privileged ? " privileged" : "",
               d->state != DOMSTATE_active ? " dying" : "",
               __atomic_load_n(&d->refcnt, __ATOMIC_RELAXED),
               __atomic_load_n(&d->pause_count, __ATOMIC_RELAXED),
               (unsigned long)d->tot_pages, (unsigned long)d->max_pages);
    /* domain_shutdown() writes the code before it sets the flag. */
    if ( !idle && __atomic_load_n(&d->is_shutting_down, __ATOMIC_SEQ_CST) )
        printk("    shut down, code %u\n", READ_ONCE(d->shutdown_code));
    for ( unsigned int i = 0; i < d->max_vcpus; i++ )
        if ( d->vcpu && d->vcpu[i] )
            dump_vcpu(d->vcpu[i]);
}

static void dump_domains(unsigned char key)
{
    s_time_t now = NOW();
    struct domain *d;

    printk("'%c' pressed -> dumping domain info (now = %lu.%06lu)\n", key,
           (unsigned long)(now / 1000000000),
           (unsigned long)(now % 1000000000 / 1000));
    dump_domain(idle_domain, true);
    domlist_read_lock();
    for ( d = domain_first(); d; d = domain_next(d) )
        dump_domain(d, false);
    domlist_read_unlock();
}

static void dump_runqueues(unsigned char key)
{
    printk("'%c' pressed -> dumping scheduler run queues\n", key);
    sched_dump_runqueues();
}

static void dump_counters(unsigned char key)
{
    struct domain *d;

    printk("'%c' pressed -> dumping scheduler counters\n", key);
    sched_dump_counters();

    /* And each guest vCPU's exits by reason. */
    domlist_read_lock();
    for ( d = domain_first(); d; d = domain_next(d) )
        for ( unsigned int i = 0; i < d->max_vcpus; i++ )
            if ( d->vcpu && d->vcpu[i] )
            {
                printk("d%uv%u:\n", d->domain_id, i);
                arch_dump_vcpu_counters(d->vcpu[i]);
            }
    domlist_read_unlock();
}

void dump_keys_init(void)
{
    register_keyhandler('q', dump_domains, "dump domain (and guest) info");
    register_keyhandler('r', dump_runqueues, "dump run queues");
    register_keyhandler('s', dump_counters, "dump scheduler counters");
}

/*
 * The real pi_blocked.c, compiled in this translation unit so that the
 * tests can look at its lists (peek.h); nothing in it is changed.
 */
#include "../../../xen/arch/x86/hvm/pi_blocked.c"

#include "peek.h"

unsigned int peek_nr_lists(unsigned int cpu)
{
    return __atomic_load_n(&per_cpu(pi_blocked, cpu).nr, __ATOMIC_ACQUIRE);
}

u8 peek_vector(unsigned int cpu, unsigned int idx)
{
    return per_cpu(pi_blocked, cpu).lists[idx].vector;
}

unsigned int peek_count(unsigned int cpu, unsigned int idx)
{
    return __atomic_load_n(&per_cpu(pi_blocked, cpu).lists[idx].count,
                           __ATOMIC_RELAXED);
}

unsigned int peek_entries(unsigned int cpu, unsigned int idx,
                          struct vcpu **out, unsigned int max)
{
    struct pi_blocked_list *l = &per_cpu(pi_blocked, cpu).lists[idx];
    struct hvm_vcpu *h;
    unsigned int n = 0;

    list_for_each_entry ( h, &l->vcpus, pi_blocked_link )
    {
        if ( n < max )
            out[n] = h->pi_blocked_vcpu;
        n++;
    }
    return n;
}

unsigned int peek_nr_blocked(unsigned int cpu)
{
    return __atomic_load_n(&per_cpu(pi_blocked, cpu).nr_blocked,
                           __ATOMIC_RELAXED);
}

unsigned int peek_peak_blocked(unsigned int cpu)
{
    return READ_ONCE(per_cpu(pi_blocked, cpu).peak_blocked);
}

void peek_lock_all(unsigned int nr_cpus)
{
    for ( unsigned int c = 0; c < nr_cpus; c++ )
        for ( unsigned int i = 0; i < peek_nr_lists(c); i++ )
            spin_lock(&per_cpu(pi_blocked, c).lists[i].lock);
}

void peek_unlock_all(unsigned int nr_cpus)
{
    for ( unsigned int c = 0; c < nr_cpus; c++ )
        for ( unsigned int i = 0; i < peek_nr_lists(c); i++ )
            spin_unlock(&per_cpu(pi_blocked, c).lists[i].lock);
}

void peek_reset_option(void)
{
    opt_wakeup_vectors = OPT_WAKEUP_DEFAULT;
}

/*
 * Sets of pCPUs as bitmaps of NR_CPUS bits.
 */
#ifndef XEN_CPUMASK_H
#define XEN_CPUMASK_H

#include <xen/types.h>

#define CPUMASK_LONGS ((NR_CPUS + 63) / 64)

typedef struct cpumask
{
    u64 bits[CPUMASK_LONGS];
} cpumask_t;

static inline void cpumask_clear(cpumask_t *m)
{
    for ( unsigned int i = 0; i < CPUMASK_LONGS; i++ )
        m->bits[i] = 0;
}

/* Atomic, so pCPUs may set and clear their own bits concurrently. */
static inline void cpumask_set_cpu(unsigned int cpu, cpumask_t *m)
{
    __atomic_fetch_or(&m->bits[cpu / 64], 1ULL << (cpu % 64),
                      __ATOMIC_SEQ_CST);
}

static inline void cpumask_clear_cpu(unsigned int cpu, cpumask_t *m)
{
    __atomic_fetch_and(&m->bits[cpu / 64], ~(1ULL << (cpu % 64)),
                       __ATOMIC_SEQ_CST);
}

static inline bool cpumask_test_cpu(unsigned int cpu, const cpumask_t *m)
{
    return (__atomic_load_n(&m->bits[cpu / 64], __ATOMIC_SEQ_CST) >>
            (cpu % 64)) & 1;
}

/* No popcnt without libgcc: count bits by clearing the lowest one. */
static inline unsigned int hweight64(u64 x)
{
    unsigned int n = 0;

    for ( ; x; x &= x - 1 )
        n++;
    return n;
}

static inline unsigned int cpumask_weight(const cpumask_t *m)
{
    unsigned int w = 0;

    for ( unsigned int i = 0; i < CPUMASK_LONGS; i++ )
        w += hweight64(__atomic_load_n(&m->bits[i], __ATOMIC_SEQ_CST));
    return w;
}

static inline bool cpumask_empty(const cpumask_t *m)
{
    return cpumask_weight(m) == 0;
}

static inline void cpumask_copy(cpumask_t *d, const cpumask_t *s)
{
    *d = *s;
}

/* Next set bit after 'cpu' (-1 to start), or NR_CPUS when none. */
static inline unsigned int cpumask_next(int cpu, const cpumask_t *m)
{
    for ( unsigned int c = cpu + 1; c < NR_CPUS; c++ )
        if ( cpumask_test_cpu(c, m) )
            return c;
    return NR_CPUS;
}

#define for_each_cpu(c, m)                                              \
    for ( (c) = cpumask_next(-1, m); (c) < NR_CPUS;                     \
          (c) = cpumask_next(c, m) )
#define for_each_online_cpu(c) for_each_cpu(c, &cpu_online_map)

#endif /* XEN_CPUMASK_H */

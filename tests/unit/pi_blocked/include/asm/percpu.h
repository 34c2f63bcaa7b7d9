/*
 * pi_blocked suite stand-in for the per-pCPU variables: one array element
 * per pCPU, and smp_processor_id() is the pCPU the calling thread plays
 * (env_cpu, thread-local: the stress test runs one thread per pCPU).  Same
 * include guard as the real header, so the two can never both be seen.
 */
#ifndef ASM_X86_PERCPU_H
#define ASM_X86_PERCPU_H

#include <xen/types.h>
#include <xen/compiler.h>

/* The pCPU this thread stands in for (env.c). */
extern __thread unsigned int env_cpu;

#define DEFINE_PER_CPU(type, name)                                      \
    __typeof__(type) per_cpu__##name[NR_CPUS]
#define DECLARE_PER_CPU(type, name)                                     \
    extern __typeof__(type) per_cpu__##name[NR_CPUS]

#define per_cpu(name, cpu)      (per_cpu__##name[(cpu)])
#define this_cpu(name)          per_cpu(name, smp_processor_id())

static inline unsigned int smp_processor_id(void)
{
    return env_cpu;
}

#endif /* ASM_X86_PERCPU_H */

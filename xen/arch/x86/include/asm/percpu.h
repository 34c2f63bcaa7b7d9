/*
 * Per-pCPU variables.  DEFINE_PER_CPU places a variable in the per-CPU
 * template (.percpu.bss, zero-filled); each pCPU gets its own zeroed copy
 * and finds it through the offset kept at %gs:8 of its copy.  The boot
 * pCPU uses the template itself (offset 0).
 */
#ifndef ASM_X86_PERCPU_H
#define ASM_X86_PERCPU_H

#include <xen/types.h>
#include <xen/compiler.h>

/* First in every per-CPU area, so %gs:0 and %gs:8 find these. */
struct percpu_hdr
{
    unsigned int cpu_id;
    unsigned int pad;
    unsigned long offset;
};

#define DEFINE_PER_CPU(type, name)                                      \
    __section(".percpu.bss") __typeof__(type) per_cpu__##name
#define DECLARE_PER_CPU(type, name)                                     \
    extern __typeof__(type) per_cpu__##name

extern unsigned long __per_cpu_offset[NR_CPUS];

/* Hide the arithmetic so the compiler makes no object-bounds assumption. */
#define RELOC_HIDE(ptr, off)                                            \
    ({ unsigned long p_;                                                \
       __asm__ ( "" : "=r" (p_) : "0" (ptr) );                          \
       (__typeof__(ptr))(p_ + (off)); })

#define per_cpu(name, cpu)                                              \
    (*RELOC_HIDE(&per_cpu__##name, __per_cpu_offset[cpu]))
#define this_cpu(name)                                                  \
    (*RELOC_HIDE(&per_cpu__##name, get_per_cpu_offset()))

static inline unsigned int smp_processor_id(void)
{
    unsigned int id;

    __asm__ __volatile__ ( "movl %%gs:0, %0" : "=r" (id) );
    return id;
}

static inline unsigned long get_per_cpu_offset(void)
{
    unsigned long off;

    __asm__ __volatile__ ( "movq %%gs:8, %0" : "=r" (off) );
    return off;
}

/* Make 'cpu' use the per-CPU area at template + offset (sets GS base). */
void percpu_set_area(unsigned int cpu, unsigned long offset);
/* Allocate and zero the area of an AP; 0 or -ENOMEM. */
int percpu_alloc_area(unsigned int cpu);

#endif /* ASM_X86_PERCPU_H */

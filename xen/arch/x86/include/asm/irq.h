/*
 * Each pCPU's interrupt vectors: who owns which, by named range.
 */
#ifndef ASM_X86_IRQ_H
#define ASM_X86_IRQ_H

#include <asm/vector_alloc.h>

/* Set up the vector table of 'cpu' before it takes interrupts. */
void irq_cpu_init(unsigned int cpu);
struct vector_table *cpu_vector_table(unsigned int cpu);
/* One log line per range: bounds and free vectors on 'cpu'. */
void irq_print_vector_ranges(unsigned int cpu);

#endif /* ASM_X86_IRQ_H */

/*
 * Descriptor tables and exception handling of each pCPU.
 */
#ifndef ASM_X86_TRAPS_H
#define ASM_X86_TRAPS_H

#include <xen/types.h>
#include <asm/regs.h>

/* Build and load this pCPU's GDT, TSS (with IST stacks) and IDT. */
int cpu_desc_init(unsigned int cpu);
void cpu_desc_load(unsigned int cpu);

/* Print a register dump and call trace for 'regs' (or the caller). */
void show_registers(const struct cpu_user_regs *regs);
void show_stack_trace(unsigned long rbp, unsigned long rip);

/* Set while the machine is going down after a fatal error. */
extern bool crash_in_progress;

typedef void (*irq_handler_t)(struct cpu_user_regs *regs);
/* Route a vector >= 32 to 'fn' on every pCPU. */
void set_vector_handler(unsigned int vector, irq_handler_t fn);

#endif /* ASM_X86_TRAPS_H */

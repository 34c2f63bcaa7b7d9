/*
 * Hypervisor stacks: STACK_SIZE bytes, aligned to their size, so the stack
 * an address is on can be found by masking.
 */
#ifndef ASM_X86_STACK_H
#define ASM_X86_STACK_H

#define STACK_ORDER 2
#define STACK_SIZE  (4096UL << STACK_ORDER)

/* Halt this pCPU for good, interrupts off (used when the machine dies). */
void stop_this_cpu(void) __attribute__((__noreturn__));

#endif /* ASM_X86_STACK_H */

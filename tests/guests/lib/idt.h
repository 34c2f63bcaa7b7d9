/*
 * The IDT: all 256 vectors have a stub (head.S) that saves the registers
 * and calls int_dispatch(), which runs the handler installed for that
 * vector. A vector without a handler is a test failure: an exception
 * prints "VERDICT <test> FAIL exception <vector> at <eip> error <code>",
 * a stray interrupt "VERDICT <test> FAIL stray interrupt <0xvector> at
 * <eip> on cpu <n>".
 * One vector is different: the LAPIC spurious vector (0xff, see
 * apic_setup()). The SDM lets a LAPIC deliver it when TPR is raised under
 * a pending interrupt, so by default it is only counted per CPU (no EOI:
 * it sets no ISR bit); tests that can rule it out check the count.
 */
#ifndef GUEST_IDT_H
#define GUEST_IDT_H

#include "x86.h"

/* The frame int_common builds: PUSHAL, then what the stub and CPU pushed. */
struct regs
{
    uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;
    uint32_t vector, error;
    uint32_t eip, cs, eflags;
};

typedef void (*int_handler_t)(struct regs *r);

#define VEC_GP          13
#define VEC_SPURIOUS    0xff

/* Build the IDT (once, on the BSP) and load it on this CPU. */
void idt_init(void);
void idt_load(void);

/* Shared by all CPUs; NULL makes the vector an unexpected one. */
void idt_set_handler(unsigned int vec, int_handler_t fn);

/* Let ring 3 raise vec with INT n (gate DPL 3). */
void idt_set_user(unsigned int vec);

/* Load an IDT with limit 0: the next exception triple-faults. */
noreturn void idt_triple_fault(void);

#endif /* GUEST_IDT_H */

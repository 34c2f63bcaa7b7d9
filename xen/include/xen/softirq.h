/*
 * Softirqs: work that an interrupt handler defers to a safe point (the
 * idle loop, later the return to a guest) on the same pCPU.
 */
#ifndef XEN_SOFTIRQ_H
#define XEN_SOFTIRQ_H

#include <xen/types.h>

enum
{
    TIMER_SOFTIRQ,
    SCHEDULE_SOFTIRQ,
    KEYPRESS_SOFTIRQ,       /* run debug keys typed on the console */
    NR_SOFTIRQS
};

typedef void (*softirq_handler)(void);

void open_softirq(unsigned int nr, softirq_handler fn);
void raise_softirq(unsigned int nr);            /* this pCPU */
void cpu_raise_softirq(unsigned int cpu, unsigned int nr);
bool softirq_pending(unsigned int cpu);
void do_softirq(void);

#endif /* XEN_SOFTIRQ_H */

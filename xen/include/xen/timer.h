/*
 * One-shot software timers.  Each timer lives on one pCPU's heap; its
 * function runs on that pCPU from the timer softirq once 'expires' (system
 * time, ns) has passed.
 */
#ifndef XEN_TIMER_H
#define XEN_TIMER_H

#include <xen/types.h>

struct timer
{
    s_time_t expires;
    unsigned int heap_pos;          /* 1 + index in its heap; 0 = not in */
    unsigned int cpu;
    void (*function)(void *data);
    void *data;
    bool killed;
};

void init_timer(struct timer *t, void (*fn)(void *), void *data,
                unsigned int cpu);
void set_timer(struct timer *t, s_time_t expires);
void stop_timer(struct timer *t);
void kill_timer(struct timer *t);
bool timer_is_active(const struct timer *t);

void timer_init(void);                  /* boot CPU, before SMP */
int timer_cpu_init(unsigned int cpu);   /* per pCPU, before it runs timers */

#endif /* XEN_TIMER_H */

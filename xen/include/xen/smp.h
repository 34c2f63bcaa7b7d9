/*
 * pCPU identity and cross-CPU calls.
 */
#ifndef XEN_SMP_H
#define XEN_SMP_H

#include <xen/types.h>
#include <xen/cpumask.h>
#include <asm/percpu.h>

extern unsigned int nr_cpu_ids;         /* pCPUs found in the MADT */
extern cpumask_t cpu_online_map;

/*
 * Run fn(data) on every pCPU in 'mask' (the caller included, if it is in
 * the mask), from interrupt context on the others; with 'wait', return
 * only once all have finished.
 */
void on_selected_cpus(const cpumask_t *mask, void (*fn)(void *),
                      void *data, bool wait);
void smp_call_function(void (*fn)(void *), void *data, bool wait);

/* Make 'cpu' look at its pending softirqs soon. */
void smp_send_event_check_cpu(unsigned int cpu);

#endif /* XEN_SMP_H */

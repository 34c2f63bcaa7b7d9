/*
 * Whether anything can still make progress: vCPUs that cannot run again
 * by themselves, domains none of whose vCPUs can, and the end of the run
 * (shutdown=exit) once every domain has shut down or is stuck.
 */
#ifndef ASM_X86_HVM_PROGRESS_H
#define ASM_X86_HVM_PROGRESS_H

#include <xen/types.h>

struct vcpu;

/* struct hvm_vcpu's 'inert': why the vCPU cannot run by itself. */
enum hvm_inert
{
    HVM_ACTIVE,                 /* it may run (or does) */
    HVM_INERT_HALTED,           /* HLT with IF=0: an NMI or INIT ends it */
    HVM_INERT_DOWN,             /* never started, or INIT: needs a SIPI */
};

/*
 * On v's own pCPU, before v blocks or goes down for 'kind'.  True when v
 * was the last vCPU of its domain that could run: the caller then calls
 * hvm_progress_check() once v is asleep for good.
 */
bool hvm_vcpu_inert(struct vcpu *v, enum hvm_inert kind);

/*
 * v, inert for 'kind', may run again: called by whoever ends that state
 * (a sender of NMI, INIT or SIPI, the boot code, or v itself when it
 * finds an event after all), before v can run.  No effect when v is not
 * inert for that reason.
 */
void hvm_vcpu_revive(struct vcpu *v, enum hvm_inert kind);

/* A domain failed or crashed: the run's end will say so (status 1). */
void hvm_progress_domain_failed(void);

/*
 * Something stopped (a vCPU went inert, a domain shut down): if every
 * domain has shut down or is stuck, report the stuck ones and end the
 * run (nothing_left_to_run).
 */
void hvm_progress_check(void);

/* The boot domains are all built and started: checks count from now. */
void hvm_progress_boot_done(void);

/* A privileged domain unpaused one: a check in flight must not decide. */
void hvm_progress_unpaused(void);

#endif /* ASM_X86_HVM_PROGRESS_H */

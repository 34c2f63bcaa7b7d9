/*
 * Ending a run: the hypervisor exits the emulator (or resets a real
 * machine) once nothing is left to run, or after a fatal error.
 */
#ifndef XEN_SHUTDOWN_H
#define XEN_SHUTDOWN_H

#include <xen/compiler.h>

/* shutdown=exit: end the run when there is nothing left to run. */
extern bool opt_shutdown_exit;

/*
 * Stop every other pCPU, print the final line with 'reason' and 'status'
 * (0 clean, nonzero failure), then end the emulator or reset the machine.
 * Never returns.
 */
noreturn void machine_exit(int status, const char *reason);

/*
 * Called once the last thing that could run is gone: with shutdown=exit
 * the run ends with 'status' (0 clean), else the pCPUs idle.
 */
void nothing_left_to_run(const char *why, int status);

/*
 * After a fatal error: halt every other pCPU, then end the run with
 * status 1 under shutdown=exit, or halt this pCPU too.
 */
noreturn void machine_crash_halt(void);

#endif /* XEN_SHUTDOWN_H */

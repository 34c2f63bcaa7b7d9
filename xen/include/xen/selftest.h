/*
 * Boot self-tests run on the real image once every pCPU is up.
 */
#ifndef XEN_SELFTEST_H
#define XEN_SELFTEST_H

void selftest_timers(void);
void selftest_fault(void);

#endif /* XEN_SELFTEST_H */

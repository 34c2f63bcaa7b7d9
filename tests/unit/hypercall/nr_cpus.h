/*
 * Forced into every object of the hypercall suites (hypercall.mk): the
 * hypervisor gets NR_CPUS from its make flags, the unit test flags have
 * none.  A definition on the command line wins.
 */
#ifndef NR_CPUS
#define NR_CPUS 64
#endif

/*
 * Forced (-include) into the hypervisor sources of test_cpuid_msr: their
 * cpuid_count() calls reach the test's synthetic host CPUID instead of
 * the CPUID instruction.  asm/processor.h is included first, so its
 * inline cpuid_count() is already defined (and stays unused) when the
 * macro appears; no hypervisor header has to know about the tests.
 */
#ifndef UNIT_CPUID_MSR_HOST_CPUID_H
#define UNIT_CPUID_MSR_HOST_CPUID_H

#include <asm/processor.h>

void test_host_cpuid(u32 leaf, u32 sub, struct cpuid_regs *r);

#define cpuid_count(leaf, sub, r) test_host_cpuid(leaf, sub, r)

#endif /* UNIT_CPUID_MSR_HOST_CPUID_H */

/*
 * Starting the application processors, and the pCPU <-> APIC ID map.
 */
#ifndef ASM_X86_SMPBOOT_H
#define ASM_X86_SMPBOOT_H

#include <xen/types.h>

struct acpi_info;

extern u32 x86_cpu_to_apicid[NR_CPUS];
static inline u32 cpu_to_apic_id(unsigned int cpu)
{
    return x86_cpu_to_apicid[cpu];
}

/* Bring up every pCPU the MADT lists (up to smp=N); returns how many. */
unsigned int smp_boot_cpus(const struct acpi_info *acpi);

void smp_intr_init(void);
/* Stop every other online pCPU; returns how many stopped. */
unsigned int stop_other_cpus(bool use_nmi);

#endif /* ASM_X86_SMPBOOT_H */

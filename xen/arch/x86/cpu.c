/*
 * Identifying the boot pCPU's features: the hypervisor relies on the ones
 * every pCPU of one machine shares.
 */
#include <xen/lib.h>
#include <asm/processor.h>

struct cpu_features boot_cpu;

void identify_boot_cpu(void)
{
    struct cpuid_regs r;

    cpuid_count(0, 0, &r);
    memcpy(boot_cpu.vendor + 0, &r.ebx, 4);
    memcpy(boot_cpu.vendor + 4, &r.edx, 4);
    memcpy(boot_cpu.vendor + 8, &r.ecx, 4);
    boot_cpu.vendor[12] = '\0';

    cpuid_count(1, 0, &r);
    boot_cpu.x2apic = r.ecx & CPUID1_ECX_X2APIC;
    boot_cpu.tsc_deadline = r.ecx & CPUID1_ECX_TSC_DEADLINE;
    boot_cpu.hypervisor = r.ecx & CPUID1_ECX_HYPERVISOR;
    if ( boot_cpu.hypervisor )
    {
        cpuid_count(0x40000000, 0, &r);
        boot_cpu.qemu_tcg = !memcmp(&r.ebx, "TCGT", 4) &&
                            !memcmp(&r.ecx, "CGTC", 4) &&
                            !memcmp(&r.edx, "GTCG", 4);
    }

    cpuid_count(0x80000001, 0, &r);
    boot_cpu.nx = r.edx & CPUIDX1_EDX_NX;
}

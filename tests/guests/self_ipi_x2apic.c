/*
 * self_ipi_x2apic: self-IPIs through the x2APIC ICR MSR and the SELF IPI
 * MSR (0x83f) are delivered exactly once per send and in order; see
 * self_ipi.h for the phases. SKIP when the CPU has no x2APIC.
 */
#include "self_ipi.h"

const char test_name[] = "self_ipi_x2apic";

void test_main(void)
{
    if ( !apic_has_x2apic() )
        test_skip("x2APIC absent (CPUID.1:ECX[21] clear)");
    self_ipi_run(APIC_MODE_X2APIC);
}

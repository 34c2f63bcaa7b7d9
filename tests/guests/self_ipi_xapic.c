/*
 * self_ipi_xapic: self-IPIs through the xAPIC MMIO ICR are delivered
 * exactly once per send and in order; see self_ipi.h for the phases.
 */
#include "self_ipi.h"

const char test_name[] = "self_ipi_xapic";

void test_main(void)
{
    self_ipi_run(APIC_MODE_XAPIC);
}

/*
 * init_all: leaves the domain with every vCPU waiting for a SIPI.  The
 * BSP starts the APs, then sends an INIT to every CPU, itself included,
 * by the physical broadcast destination 0xff with no shorthand (SDM
 * Vol. 3 table "Valid Combinations for the ... Local xAPIC Interrupt
 * Command Register": the all-including-self shorthand is not valid for
 * INIT).  Under xen-lite every vCPU, vCPU 0 too, then waits for a SIPI
 * that nobody is left to send: the hypervisor must see the domain stuck
 * and, with shutdown=exit, end the run.  No verdict, unless the INIT did
 * not stop the BSP (FAIL).  Not run natively: there, an INIT restarts
 * the BSP in the firmware.
 */
#include "test.h"

const char test_name[] = "init_all";

void test_main(void)
{
    platform_init(APIC_MODE_XAPIC, true);
    printf("init_all: %u CPUs up, sending INIT to all of them\n", nr_cpus);
    cli();
    apic_icr(0xff, APIC_DM_INIT | APIC_ASSERT);
    udelay(100000);
    test_fail("cpu 0 still runs 100 ms after the INIT it sent to itself");
}

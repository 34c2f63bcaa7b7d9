/*
 * cli_hlt_all: every CPU executes HLT with interrupts disabled, which
 * only an NMI, SMI, INIT or reset ends (SDM Vol. 2A "HLT").  With
 * pending=1 (the default) each CPU first sends itself a fixed IPI, which
 * stays pending in IRR and must not end the HLT.  Nothing is left that
 * could send an NMI or INIT: the hypervisor must see the domain stuck
 * and, with shutdown=exit, end the run.  No verdict, unless a CPU
 * leaves its HLT (FAIL).  Not run natively: it never ends there.
 *
 * Environment: pending=0|1.
 */
#include "test.h"

const char test_name[] = "cli_hlt_all";

#define VEC_PENDING     0xd2

static atomic_t halting;
static uint32_t pending;

static void halt_here(void *arg)
{
    (void)arg;
    cli();
    if ( pending )
    {
        apic_icr(apic_id(), APIC_DM_FIXED | VEC_PENDING);
        CHECK(apic_vec_set(APIC_IRR, VEC_PENDING), "cpu %u: self-IPI "
              "not pending in IRR with IF=0", smp_cpu());
    }
    atomic_inc(&halting);
    asm volatile ( "hlt" ::: "memory" );
    test_fail("cpu %u left HLT with interrupts disabled", smp_cpu());
}

void test_main(void)
{
    unsigned int i;

    pending = env_u32("pending", 1);
    platform_init(APIC_MODE_XAPIC, true);
    for ( i = 1; i < nr_cpus; i++ )
        smp_call(i, halt_here, NULL);
    if ( !wait_u32(&halting.v, nr_cpus - 1, 1000000) )
        test_fail("only %u of %u APs got to their HLT", halting.v,
                  nr_cpus - 1);
    printf("cli_hlt_all: %u CPUs halt with interrupts disabled%s\n",
           nr_cpus, pending ? ", an interrupt pending on each" : "");
    halt_here(NULL);
}

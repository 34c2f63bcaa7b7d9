/*
 * unknown_msr_gp: RDMSR and WRMSR of MSRs that do not exist raise #GP(0)
 * exactly once each, at the faulting instruction, without changing EAX or
 * EDX; the handler skips the 2-byte instruction and execution resumes
 * right after it. MSRs that do exist (the TSC, the APIC base) must not
 * fault, so the handler is not catching everything.  On an AMD CPU the
 * legacy performance counters 0xc0010000-0xc0010007 exist on every part
 * (APM Vol. 2, 13.2) and must not fault either.
 *
 * The MSR numbers are checked against the models used: 0x12345678 and
 * 0x8badf00d lie in no architectural or vendor range (not 0x0-0x1fff,
 * 0x40000000-0x400000ff hypervisor, 0x4b564d00-ff KVM, 0xc0000000-0xc001ffff
 * AMD).
 *
 * When the CPU has x2APIC, the x2APIC MSR range gets the same treatment:
 * with the LAPIC in xAPIC mode MSR 0x802 (x2APIC ID) does not exist, and
 * in x2APIC mode MSR 0x80e does not (there is no DFR in x2APIC mode).
 *
 * Natively neither emulator faults on unknown MSRs by default: QEMU 7.2
 * TCG reads them as 0 and ignores writes, Bochs does the same unless its
 * cpu option ignore_bad_msrs=0 is given (run-native.sh --bochs-cpu-opt).
 */
#include "test.h"

const char test_name[] = "unknown_msr_gp";

#define SENTINEL_LO     0x5a5a1234u
#define SENTINEL_HI     0xa5a54321u

static volatile uint32_t gp_count, gp_eip, gp_error, gp_unexpected;
static volatile uint32_t fault_eip;

static void on_gp(struct regs *r)
{
    if ( r->eip != fault_eip )
    {
        /* Not the instruction we meant to fault: a real failure. */
        test_fail("exception 13 at %#x error %#x (not at the MSR access "
                  "being tested, %#x)", r->eip, r->error, fault_eip);
    }
    gp_count++;
    gp_eip = r->eip;
    gp_error = r->error;
    r->eip += 2;                        /* 0f 32 / 0f 30 */
}

/* RDMSR msr; returns whether execution came back. */
static bool try_rdmsr(uint32_t msr, uint32_t *lo, uint32_t *hi)
{
    uint32_t a = SENTINEL_LO, d = SENTINEL_HI, resumed = 0;

    asm volatile ( "movl $1f, %[fe]\n\t"
                   "1: rdmsr\n\t"
                   "movl $1, %[res]"
                   : "+a" (a), "+d" (d), [fe] "=m" (fault_eip),
                     [res] "+r" (resumed)
                   : "c" (msr)
                   : "memory" );
    *lo = a;
    *hi = d;
    return resumed;
}

static bool try_wrmsr(uint32_t msr, uint64_t v)
{
    uint32_t resumed = 0;

    asm volatile ( "movl $1f, %[fe]\n\t"
                   "1: wrmsr\n\t"
                   "movl $1, %[res]"
                   : [fe] "=m" (fault_eip), [res] "+r" (resumed)
                   : "c" (msr), "a" ((uint32_t)v), "d" ((uint32_t)(v >> 32))
                   : "memory" );
    return resumed;
}

static void check_absent(uint32_t msr)
{
    uint32_t lo, hi, before = gp_count;

    CHECK(try_rdmsr(msr, &lo, &hi), "RDMSR %#x: execution did not resume "
          "after the instruction", msr);
    CHECK(gp_count == before + 1, "RDMSR %#x raised #GP %u times, expected "
          "once", msr, gp_count - before);
    CHECK(gp_error == 0, "RDMSR %#x: #GP error code %#x, expected 0", msr,
          gp_error);
    CHECK(lo == SENTINEL_LO && hi == SENTINEL_HI, "RDMSR %#x faulted but "
          "changed EDX:EAX to %#x:%#x", msr, hi, lo);

    before = gp_count;
    CHECK(try_wrmsr(msr, 0x0123456789abcdefull), "WRMSR %#x: execution did "
          "not resume after the instruction", msr);
    CHECK(gp_count == before + 1, "WRMSR %#x raised #GP %u times, expected "
          "once", msr, gp_count - before);
    CHECK(gp_error == 0, "WRMSR %#x: #GP error code %#x, expected 0", msr,
          gp_error);

    /* The write must not have created it. */
    before = gp_count;
    try_rdmsr(msr, &lo, &hi);
    CHECK(gp_count == before + 1, "RDMSR %#x after the WRMSR raised #GP %u "
          "times, expected once", msr, gp_count - before);
    printf("unknown_msr_gp: MSR %#x: RDMSR and WRMSR each raised #GP(0) "
           "once and resumed\n", msr);
}

static unsigned int x2apic_range(void)
{
    check_absent(0x802);                /* xAPIC mode: no x2APIC MSRs */
    apic_setup(APIC_MODE_X2APIC);
    check_absent(0x80e);                /* x2APIC mode: no DFR */
    return 2;
}

void test_main(void)
{
    static const uint32_t absent[] = { 0x12345678, 0x8badf00d };
    uint32_t lo, hi, before, base_lo, base_hi;
    uint64_t base;
    unsigned int i, n_x2 = 0;
    bool amd_perf = false;

    idt_set_handler(VEC_GP, on_gp);

    /* Controls: real MSRs read and write without a fault. */
    before = gp_count;
    CHECK(try_rdmsr(0x10, &lo, &hi), "RDMSR of the TSC did not resume");
    CHECK(try_rdmsr(MSR_APIC_BASE, &lo, &hi), "RDMSR of APIC_BASE did not "
          "resume");
    base = ((uint64_t)hi << 32) | lo;
    CHECK(try_wrmsr(MSR_APIC_BASE, base), "WRMSR of APIC_BASE did not "
          "resume");
    CHECK(gp_count == before, "existing MSRs (TSC, APIC_BASE) raised #GP %u "
          "times", gp_count - before);
    cpuid(0, 0, &lo, &hi, &base_lo, &base_hi);
    if ( hi == 0x68747541 )             /* "Auth"enticAMD */
    {
        for ( i = 0xc0010000u; i <= 0xc0010007u; i++ )
        {
            uint32_t l, h;

            before = gp_count;
            try_wrmsr(i, 0);
            try_rdmsr(i, &l, &h);
            CHECK(gp_count == before, "AMD performance counter MSR %#x "
                  "raised #GP", i);
        }
        amd_perf = true;
    }

    for ( i = 0; i < ARRAY_SIZE(absent); i++ )
        check_absent(absent[i]);

    if ( apic_has_x2apic() )
    {
        apic_setup(APIC_MODE_XAPIC);
        n_x2 = x2apic_range();
    }

    CHECK(gp_count == 3 * (ARRAY_SIZE(absent) + n_x2), "%u #GPs in all, "
          "expected %u", gp_count, 3 * (ARRAY_SIZE(absent) + n_x2));
    test_pass("%u absent MSRs: RDMSR and WRMSR each raised #GP(0) exactly "
              "once, EDX:EAX untouched, execution resumed; existing MSRs "
              "did not fault%s; %s", (unsigned int)ARRAY_SIZE(absent),
              amd_perf ? " (AMD performance counters too)" : "",
              n_x2 ? "x2APIC range (0x802 in xAPIC mode, 0x80e in x2APIC "
                     "mode) likewise" : "x2APIC absent, its range not tested");
}

/*
 * msr_value_gp: WRMSR of a value the architecture refuses raises exactly
 * one #GP(0) at the instruction, leaves the MSR as it was, and execution
 * resumes after it; the values it allows do not fault.  Under a
 * hypervisor these are values that, let through, would make a VM entry
 * fail (the domain would be crashed instead of seeing the #GP).
 *
 *   EFER with reserved bit 1 or 9 set       #GP(0)
 *   EFER.LME set while CR0.PG = 1           #GP(0) (SDM Vol. 3A
 *                                           "Initializing IA-32e Mode")
 *   SYSENTER_ESP/EIP non-canonical          #GP(0) (SDM WRMSR)
 *   SFMASK with bit 32 set                  #GP(0): bits 63:32 reserved
 *                                           (SDM Vol. 4 IA32_FMASK)
 * Controls, which must not fault: EFER.LME set and cleared with paging
 * off, a canonical SYSENTER_EIP above 4 GiB, and STAR with selectors in
 * 63:32 (a non-canonical value, as 64-bit kernels write it), read back
 * unchanged.
 *
 * IA32_MISC_ENABLE (SDM Vol. 4, Table 2-2) on an Intel CPU: the read-only
 * bits agree with CPUID (BTS and PEBS unavailable without DS, PMU
 * available with a leaf 0xa PMU, MONITOR FSM with MONITOR); a reserved
 * bit, or changing the MONITOR FSM bit, #GP(0); "limit CPUID maxval"
 * makes CPUID.0:EAX at most 2 until cleared; "XD bit disable" clears the
 * NX flag and makes EFER.NXE reserved until cleared.  On an AMD CPU the
 * MSR does not exist: RDMSR and WRMSR #GP(0).
 *
 * Paging for the LME case: 32-bit paging with 4 MiB pages mapping the
 * first 4 GiB onto itself (CPUID.1:EDX.PSE).
 *
 * Environment: sfmask_high=0 skips the SFMASK case; misc_enable=0 the
 * IA32_MISC_ENABLE cases.  QEMU 7.2 TCG checks
 * none of these values natively; Bochs 2.7 checks all but SFMASK's (no
 * #GP for bit 32).
 */
#include "test.h"

const char test_name[] = "msr_value_gp";

#define MSR_EFER            0xc0000080
#define MSR_SYSENTER_ESP    0x00000175
#define MSR_SYSENTER_EIP    0x00000176
#define MSR_STAR            0xc0000081
#define MSR_SFMASK          0xc0000084
#define MSR_MISC_ENABLE     0x000001a0
#define MISC_BTS_UNAVAIL    (1ull << 11)
#define MISC_PEBS_UNAVAIL   (1ull << 12)
#define MISC_PMU_AVAIL      (1ull << 7)
#define MISC_MONITOR_FSM    (1ull << 18)
#define MISC_LIMIT_CPUID    (1ull << 22)
#define MISC_XD_DISABLE     (1ull << 34)
#define EFER_NXE            (1ull << 11)
#define CPUID1_EDX_DS       (1u << 21)
#define CPUID1_ECX_MONITOR  (1u << 3)
#define CPUIDX1_EDX_NX      (1u << 20)
#define EFER_LME            (1ull << 8)
#define CR0_PG              (1u << 31)
#define CR4_PSE             (1u << 4)
#define CR4_PAE             (1u << 5)
#define CPUID1_EDX_PSE      (1u << 3)

static volatile uint32_t fault_at, resume_at;
static volatile uint32_t n_gp, gp_eip, gp_error;
static uint32_t pd[1024] __attribute__((aligned(4096)));

static unsigned int n_run, n_failed;
static char failed[400];

static void on_gp(struct regs *r)
{
    if ( !resume_at )
        test_fail("exception 13 at %#x error %#x outside a case", r->eip,
                  r->error);
    n_gp++;
    gp_eip = r->eip;
    gp_error = r->error;
    r->eip = resume_at;
}

static void try_wrmsr(uint32_t msr, uint64_t val)
{
    asm volatile ( "movl $1f, %[fa]\n\t"
                   "movl $2f, %[ra]\n\t"
                   "1: wrmsr\n"
                   "2:"
                   : [fa] "=m" (fault_at), [ra] "=m" (resume_at)
                   : "c" (msr), "a" ((uint32_t)val),
                     "d" ((uint32_t)(val >> 32))
                   : "memory" );
    resume_at = 0;
}

static void result(const char *name, const char *bad)
{
    n_run++;
    if ( !bad )
    {
        printf("msr_value_gp: %s: ok\n", name);
        return;
    }
    printf("msr_value_gp: %s: FAIL: %s\n", name, bad);
    n_failed++;
    if ( strlen(failed) + strlen(name) + 3 < sizeof(failed) )
        snprintf(failed + strlen(failed), sizeof(failed) - strlen(failed),
                 "%s%s", failed[0] ? ", " : "", name);
}

/* WRMSR msr, val must raise one #GP(0) at the instruction, MSR intact. */
static void expect_gp(const char *name, uint32_t msr, uint64_t val)
{
    uint64_t before = rdmsr(msr), after;
    static char why[120];

    n_gp = 0;
    try_wrmsr(msr, val);
    after = rdmsr(msr);
    if ( n_gp != 1 )
        snprintf(why, sizeof(why), "%u #GPs, expected one", n_gp);
    else if ( gp_eip != fault_at || gp_error != 0 )
        snprintf(why, sizeof(why), "#GP at %#x error %#x, expected at "
                 "%#x error 0", gp_eip, gp_error, fault_at);
    else if ( after != before )
        snprintf(why, sizeof(why), "MSR changed from %#llx to %#llx",
                 (unsigned long long)before, (unsigned long long)after);
    else
    {
        result(name, NULL);
        return;
    }
    result(name, why);
}

/* RDMSR msr must raise one #GP(0) at the instruction. */
static void expect_rdmsr_gp(const char *name, uint32_t msr)
{
    static char why[120];

    n_gp = 0;
    asm volatile ( "movl $1f, %[fa]\n\t"
                   "movl $2f, %[ra]\n\t"
                   "1: rdmsr\n"
                   "2:"
                   : [fa] "=m" (fault_at), [ra] "=m" (resume_at)
                   : "c" (msr) : "eax", "edx", "memory" );
    resume_at = 0;
    if ( n_gp == 1 && gp_eip == fault_at && gp_error == 0 )
    {
        result(name, NULL);
        return;
    }
    snprintf(why, sizeof(why), "%u #GPs (last at %#x error %#x), expected "
             "one at %#x", n_gp, gp_eip, gp_error, fault_at);
    result(name, why);
}

/* WRMSR msr, val must not fault and must read back as val. */
static void expect_ok(const char *name, uint32_t msr, uint64_t val)
{
    static char why[120];
    uint64_t got;

    n_gp = 0;
    try_wrmsr(msr, val);
    got = rdmsr(msr);
    if ( n_gp )
        snprintf(why, sizeof(why), "%u #GPs, expected none", n_gp);
    else if ( got != val )
        snprintf(why, sizeof(why), "reads back %#llx, wrote %#llx",
                 (unsigned long long)got, (unsigned long long)val);
    else
    {
        result(name, NULL);
        return;
    }
    result(name, why);
}

/* As a 64-bit kernel starts: CR4.PAE, then EFER.LME (then CR0.PG). */
static void lme_without_paging(uint64_t efer)
{
    uint32_t cr4;

    asm volatile ( "mov %%cr4, %0" : "=r" (cr4) );
    asm volatile ( "mov %0, %%cr4" :: "r" (cr4 | CR4_PAE) : "memory" );
    expect_ok("EFER.LME with paging off", MSR_EFER, efer | EFER_LME);
    expect_ok("EFER.LME cleared with paging off", MSR_EFER,
              efer & ~EFER_LME);
    asm volatile ( "mov %0, %%cr4" :: "r" (cr4) : "memory" );
}

static void lme_with_paging(uint64_t efer)
{
    uint32_t cr0, cr4, a, b, c, d;
    unsigned int i;

    cpuid(1, 0, &a, &b, &c, &d);
    if ( !(d & CPUID1_EDX_PSE) )
        test_fail("CPUID.1:EDX.PSE clear: no 4 MiB pages for the paging "
                  "case");
    for ( i = 0; i < 1024; i++ )
        pd[i] = (i << 22) | 0x83;           /* present, writable, 4 MiB */
    asm volatile ( "mov %%cr0, %0; mov %%cr4, %1" : "=r" (cr0), "=r" (cr4) );
    asm volatile ( "mov %0, %%cr3" :: "r" (pd) : "memory" );
    asm volatile ( "mov %0, %%cr4" :: "r" (cr4 | CR4_PSE) : "memory" );
    asm volatile ( "mov %0, %%cr0" :: "r" (cr0 | CR0_PG) : "memory" );
    expect_gp("EFER.LME with paging on", MSR_EFER, efer | EFER_LME);
    asm volatile ( "mov %0, %%cr0" :: "r" (cr0) : "memory" );
    asm volatile ( "mov %0, %%cr4" :: "r" (cr4) : "memory" );
}

static uint32_t cpuid_reg(uint32_t leaf, unsigned int reg)
{
    uint32_t r[4];

    cpuid(leaf, 0, &r[0], &r[1], &r[2], &r[3]);
    return r[reg];
}

static void misc_enable_intel(uint64_t efer)
{
    uint64_t misc = rdmsr(MSR_MISC_ENABLE), want = 0;
    uint32_t max = cpuid_reg(0, 0), l1c = cpuid_reg(1, 2);
    uint32_t l1d = cpuid_reg(1, 3), got;
    static char why[120];

    /* Read-only bits from CPUID. */
    if ( !(l1d & CPUID1_EDX_DS) )
        want |= MISC_BTS_UNAVAIL | MISC_PEBS_UNAVAIL;
    if ( max >= 0xa && (cpuid_reg(0xa, 0) & 0xff) )
        want |= MISC_PMU_AVAIL;
    if ( l1c & CPUID1_ECX_MONITOR )
        want |= MISC_MONITOR_FSM;
    snprintf(why, sizeof(why), "%#llx, CPUID says bits 7/11/12/18 %#llx",
             (unsigned long long)misc, (unsigned long long)want);
    result("MISC_ENABLE bits as CPUID says",
           ((misc ^ want) & (MISC_PMU_AVAIL | MISC_MONITOR_FSM)) ||
           (!(l1d & CPUID1_EDX_DS) &&
            (misc & (MISC_BTS_UNAVAIL | MISC_PEBS_UNAVAIL)) !=
            (MISC_BTS_UNAVAIL | MISC_PEBS_UNAVAIL)) ? why : NULL);

    expect_gp("MISC_ENABLE reserved bit 1", MSR_MISC_ENABLE, misc | 2);
    expect_gp("MISC_ENABLE MONITOR FSM changed", MSR_MISC_ENABLE,
              misc ^ MISC_MONITOR_FSM);

    expect_ok("MISC_ENABLE limit CPUID maxval", MSR_MISC_ENABLE,
              misc | MISC_LIMIT_CPUID);
    got = cpuid_reg(0, 0);
    wrmsr(MSR_MISC_ENABLE, misc);
    snprintf(why, sizeof(why), "CPUID.0:EAX %#x limited, %#x after, %#x "
             "before", got, cpuid_reg(0, 0), max);
    result("CPUID.0:EAX follows limit CPUID maxval",
           got > 2 || cpuid_reg(0, 0) != max ? why : NULL);

    if ( !(cpuid_reg(0x80000001u, 3) & CPUIDX1_EDX_NX) )
    {
        printf("msr_value_gp: XD bit disable: skipped (no NX)\n");
        return;
    }
    expect_ok("MISC_ENABLE XD bit disable", MSR_MISC_ENABLE,
              misc | MISC_XD_DISABLE);
    got = cpuid_reg(0x80000001u, 3) & CPUIDX1_EDX_NX;
    result("XD bit disable clears CPUID's NX", got ? "NX still set" : NULL);
    expect_gp("EFER.NXE with XD disabled", MSR_EFER, efer | EFER_NXE);
    wrmsr(MSR_MISC_ENABLE, misc);
    result("XD enabled again: NX back",
           cpuid_reg(0x80000001u, 3) & CPUIDX1_EDX_NX ? NULL : "NX clear");
    expect_ok("EFER.NXE with XD enabled", MSR_EFER, efer | EFER_NXE);
    wrmsr(MSR_EFER, efer);
}

static void misc_enable(uint64_t efer)
{
    uint32_t b = cpuid_reg(0, 1);

    if ( !memcmp(&b, "Genu", 4) )
        misc_enable_intel(efer);
    else if ( !memcmp(&b, "Auth", 4) )
    {
        expect_rdmsr_gp("MISC_ENABLE absent on AMD (RDMSR)",
                        MSR_MISC_ENABLE);
        n_gp = 0;
        try_wrmsr(MSR_MISC_ENABLE, 1);
        result("MISC_ENABLE absent on AMD (WRMSR)",
               n_gp == 1 && gp_eip == fault_at && gp_error == 0 ? NULL :
               "not one #GP(0) at the WRMSR");
    }
}

void test_main(void)
{
    uint64_t efer = rdmsr(MSR_EFER);
    uint64_t esp = rdmsr(MSR_SYSENTER_ESP), eip = rdmsr(MSR_SYSENTER_EIP);
    uint64_t star = rdmsr(MSR_STAR);

    idt_set_handler(VEC_GP, on_gp);

    expect_gp("EFER bit 1", MSR_EFER, efer | (1ull << 1));
    expect_gp("EFER bit 9", MSR_EFER, efer | (1ull << 9));
    lme_without_paging(efer);
    lme_with_paging(efer & ~EFER_LME);
    expect_gp("SYSENTER_ESP non-canonical", MSR_SYSENTER_ESP,
              0x8000000000000000ull);
    expect_gp("SYSENTER_EIP non-canonical", MSR_SYSENTER_EIP,
              0x0000800000001000ull);
    expect_ok("SYSENTER_EIP canonical above 4 GiB", MSR_SYSENTER_EIP,
              0xffffffff80001000ull);
    expect_ok("STAR with selectors", MSR_STAR, 0x0023001000000000ull);
    if ( env_u32("sfmask_high", 1) )
        expect_gp("SFMASK bit 32", MSR_SFMASK, rdmsr(MSR_SFMASK) |
                  (1ull << 32));
    else
        printf("msr_value_gp: SFMASK bit 32: skipped (sfmask_high=0)\n");

    if ( env_u32("misc_enable", 1) )
        misc_enable(efer & ~EFER_LME);
    else
        printf("msr_value_gp: MISC_ENABLE: skipped (misc_enable=0)\n");

    wrmsr(MSR_SYSENTER_ESP, esp);
    wrmsr(MSR_SYSENTER_EIP, eip);
    wrmsr(MSR_STAR, star);

    if ( n_failed )
        test_fail("%u of %u cases failed: %s", n_failed, n_run, failed);
    test_pass("%u cases: refused values raised one #GP(0) each at the "
              "WRMSR and left the MSR unchanged; allowed ones did not "
              "fault", n_run);
}

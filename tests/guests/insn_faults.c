/*
 * insn_faults: instructions that must fault raise exactly one exception
 * of the architectural vector, with the saved EIP at the instruction
 * (and error code 0 for #GP); the handler resumes after it.  Under a
 * hypervisor these are the instructions it intercepts and must refuse
 * itself: a refusal that never reaches the guest makes the vCPU retry
 * the instruction for ever (no verdict).
 *
 * Each case and the SDM rule it follows:
 *   MOV CR4 with VMXE        #GP(0) when CPUID.1:ECX.VMX = 0 (reserved)
 *   MOV CR4 with bit 15, 31  #GP(0): reserved on Intel and on AMD
 *   MOV CR0 NW=1 CD=0        #GP(0); again with CR0.NE flipped too, which
 *                            a VMX hypervisor owns, so the write exits
 *   MOV CR0 PG=1 PE=0        #GP(0); again with CR0.NE flipped
 *   VMXON, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH,
 *   VMRESUME, VMXOFF, INVEPT, INVVPID
 *                            #UD: CR4.VMXE = 0 / not in VMX operation
 *   GETSEC                   #UD: CR4.SMXE = 0
 *   XSETBV                   #UD while CR4.OSXSAVE = 0; with
 *                            CPUID.1:ECX.XSAVE offered and OSXSAVE set,
 *                            #GP(0) for ECX = 1 and for EAX bit 0 clear
 *   MONITOR, MWAIT           #UD when CPUID.1:ECX.MONITOR = 0
 * A case whose condition does not hold (the feature is offered, as on
 * bare emulators) is skipped and named in the verdict.
 *
 * Every case runs whatever the earlier ones did; the verdict lists the
 * cases that failed.  CR0 and CR4 are put back after each case.
 *
 * Environment: cr_checks=0 skips the MOV CR0/CR4 cases.  QEMU 7.2 TCG
 * checks none of those values natively: MOV CR4 with a reserved bit is
 * retried for ever, NW without CD is accepted, and so is PG without PE
 * (QEMU then stops as on a triple fault).  Bochs 2.7 faults all of them.
 */
#include "test.h"
#include "cr.h"

const char test_name[] = "insn_faults";

#define VEC_UD          6


#define CPUID1_ECX_MONITOR  (1u << 3)
#define CPUID1_ECX_VMX      (1u << 5)
#define CPUID1_ECX_XSAVE    (1u << 26)

/* Where the instruction under test starts and where execution resumes. */
static volatile uint32_t fault_at, resume_at;
static volatile uint32_t n_exc, exc_vector, exc_eip, exc_error;

static uint64_t vmx_region __attribute__((aligned(4096)));
static uint32_t inv_desc[4] __attribute__((aligned(16)));
static volatile uint32_t monitor_line __attribute__((aligned(64)));

static unsigned int n_run, n_failed, n_skipped;
static char failed[400], skipped[300];

static void on_exception(struct regs *r)
{
    if ( !resume_at )
        test_fail("exception %u at %#x error %#x outside a case",
                  r->vector, r->eip, r->error);
    n_exc++;
    exc_vector = r->vector;
    exc_eip = r->eip;
    exc_error = r->error;
    r->eip = resume_at;
}

/*
 * The instruction under test, between labels 1 and 2: the handler
 * resumes at 2.  One asm statement per case, so the labels are local.
 */
#define TRY(insn, ...)                                              \
    asm volatile ( "movl $1f, %[fa]\n\t"                            \
                   "movl $2f, %[ra]\n\t"                            \
                   "1: " insn "\n"                                  \
                   "2:"                                             \
                   : [fa] "=m" (fault_at), [ra] "=m" (resume_at)    \
                   : __VA_ARGS__                                    \
                   : "memory" )

static void vmxon(void)    { TRY("vmxon (%[p])", [p] "r" (&vmx_region)); }
static void vmclear(void)  { TRY("vmclear (%[p])", [p] "r" (&vmx_region)); }
static void vmptrld(void)  { TRY("vmptrld (%[p])", [p] "r" (&vmx_region)); }
static void vmptrst(void)  { TRY("vmptrst (%[p])", [p] "r" (&vmx_region)); }
/* Field 0x681e, guest RIP; the register is only written if no fault. */
static void vmread(void)   { TRY("vmread %[f], %[f]", [f] "r" (0x681e)); }
static void vmwrite(void)  { TRY("vmwrite %[f], %[f]", [f] "r" (0x681e)); }
static void vmlaunch(void) { TRY("vmlaunch", "i" (0)); }
static void vmresume(void) { TRY("vmresume", "i" (0)); }
static void vmxoff(void)   { TRY("vmxoff", "i" (0)); }

static void invept(void)
{
    TRY("invept (%[p]), %[t]", [p] "r" (inv_desc), [t] "r" (1));
}

static void invvpid(void)
{
    TRY("invvpid (%[p]), %[t]", [p] "r" (inv_desc), [t] "r" (1));
}

static void getsec(void)   { TRY("getsec", "a" (0)); }

static void xsetbv_ud(void)
{
    TRY("xsetbv", "c" (0), "a" (1), "d" (0));
}

static void xsetbv_bad_xcr(void)
{
    TRY("xsetbv", "c" (1), "a" (1), "d" (0));
}

static void xsetbv_no_x87(void)
{
    TRY("xsetbv", "c" (0), "a" (0), "d" (0));
}

static void monitor(void)
{
    TRY("monitor", "a" (&monitor_line), "c" (0), "d" (0));
}

static void mwait(void)
{
    TRY("mwait", "a" (0), "c" (0));
}

static uint32_t cr_value;

static void mov_cr4(void)  { TRY("mov %[v], %%cr4", [v] "r" (cr_value)); }
static void mov_cr0(void)  { TRY("mov %[v], %%cr0", [v] "r" (cr_value)); }

static void append(char *list, size_t size, const char *name)
{
    size_t n = strlen(list);

    if ( n + strlen(name) + 3 < size )
        snprintf(list + n, size - n, "%s%s", n ? ", " : "", name);
}

static void skip(const char *name, const char *why)
{
    printf("insn_faults: %s: skipped (%s)\n", name, why);
    n_skipped++;
    append(skipped, sizeof(skipped), name);
}

/*
 * Run fn, which must raise exactly one exception `vector` at its
 * instruction; CR0 and CR4 are restored afterwards whatever happened.
 */
static void expect(const char *name, void (*fn)(void), unsigned int vector)
{
    uint32_t cr0 = read_cr0(), cr4 = read_cr4();
    const char *bad = NULL;
    char why[120];

    n_exc = 0;
    exc_vector = exc_eip = exc_error = ~0u;
    fn();
    /* A second delivery of the same event would land here. */
    asm volatile ( "nop; nop; nop" ::: "memory" );
    resume_at = 0;
    if ( read_cr0() != cr0 )
        asm volatile ( "mov %0, %%cr0" :: "r" (cr0) : "memory" );
    if ( read_cr4() != cr4 )
        asm volatile ( "mov %0, %%cr4" :: "r" (cr4) : "memory" );

    n_run++;
    if ( n_exc != 1 )
    {
        snprintf(why, sizeof(why), "%u exceptions (last: vector %d), "
                 "expected one #%s", n_exc, (int)exc_vector,
                 vector == VEC_GP ? "GP" : "UD");
        bad = why;
    }
    else if ( exc_vector != vector )
    {
        snprintf(why, sizeof(why), "vector %u, expected %u", exc_vector,
                 vector);
        bad = why;
    }
    else if ( exc_eip != fault_at )
    {
        snprintf(why, sizeof(why), "saved EIP %#x, the instruction is at "
                 "%#x", exc_eip, fault_at);
        bad = why;
    }
    else if ( vector == VEC_GP && exc_error != 0 )
    {
        snprintf(why, sizeof(why), "error code %#x, expected 0", exc_error);
        bad = why;
    }

    if ( bad )
    {
        printf("insn_faults: %s: FAIL: %s\n", name, bad);
        n_failed++;
        append(failed, sizeof(failed), name);
    }
    else
        printf("insn_faults: %s: one %s at %#x, resumed\n", name,
               vector == VEC_GP ? "#GP(0)" : "#UD", fault_at);
}

static void cr4_case(const char *name, uint32_t bits)
{
    cr_value = read_cr4() | bits;
    expect(name, mov_cr4, VEC_GP);
}

static void cr0_case(const char *name, uint32_t set, uint32_t clear,
                     bool flip_ne)
{
    cr_value = (read_cr0() | set) & ~clear;
    if ( flip_ne )
        cr_value ^= CR0_NE;
    expect(name, mov_cr0, VEC_GP);
}

static void cr_cases(uint32_t ecx1)
{
    if ( ecx1 & CPUID1_ECX_VMX )
        skip("MOV CR4.VMXE", "CPUID.1:ECX.VMX set");
    else
        cr4_case("MOV CR4.VMXE", CR4_VMXE);
    cr4_case("MOV CR4 bit 15", 1u << 15);
    cr4_case("MOV CR4 bit 31", 1u << 31);
    cr0_case("MOV CR0 NW without CD", CR0_NW, CR0_CD, false);
    cr0_case("MOV CR0 NW without CD, NE flipped", CR0_NW, CR0_CD, true);
    cr0_case("MOV CR0 PG without PE", CR0_PG, CR0_PE, false);
    cr0_case("MOV CR0 PG without PE, NE flipped", CR0_PG, CR0_PE, true);
}

static void xsetbv_cases(uint32_t ecx1)
{
    uint32_t cr4 = read_cr4();

    if ( cr4 & CR4_OSXSAVE )
        asm volatile ( "mov %0, %%cr4" :: "r" (cr4 & ~CR4_OSXSAVE) );
    expect("XSETBV, CR4.OSXSAVE clear", xsetbv_ud, VEC_UD);
    if ( !(ecx1 & CPUID1_ECX_XSAVE) )
    {
        skip("XSETBV ECX=1", "CPUID.1:ECX.XSAVE clear");
        skip("XSETBV EAX.x87 clear", "CPUID.1:ECX.XSAVE clear");
    }
    else
    {
        asm volatile ( "mov %0, %%cr4" :: "r" (cr4 | CR4_OSXSAVE) );
        expect("XSETBV ECX=1", xsetbv_bad_xcr, VEC_GP);
        expect("XSETBV EAX.x87 clear", xsetbv_no_x87, VEC_GP);
    }
    asm volatile ( "mov %0, %%cr4" :: "r" (cr4) );
}

void test_main(void)
{
    static const struct
    {
        const char *name;
        void (*fn)(void);
    } vmx_insns[] = {
        { "VMXON", vmxon }, { "VMCLEAR", vmclear }, { "VMPTRLD", vmptrld },
        { "VMPTRST", vmptrst }, { "VMREAD", vmread }, { "VMWRITE", vmwrite },
        { "VMLAUNCH", vmlaunch }, { "VMRESUME", vmresume },
        { "VMXOFF", vmxoff }, { "INVEPT", invept }, { "INVVPID", invvpid },
    };
    uint32_t ecx1 = cpuid_ecx(1);
    unsigned int i;

    for ( i = 0; i < 32; i++ )
        if ( i != 2 )
            idt_set_handler(i, on_exception);

    if ( env_u32("cr_checks", 1) )
        cr_cases(ecx1);
    else
        skip("MOV CR0/CR4", "cr_checks=0");

    for ( i = 0; i < ARRAY_SIZE(vmx_insns); i++ )
        expect(vmx_insns[i].name, vmx_insns[i].fn, VEC_UD);
    expect("GETSEC", getsec, VEC_UD);
    xsetbv_cases(ecx1);

    /* Last: where they are not refused, MWAIT may wait a while. */
    if ( ecx1 & CPUID1_ECX_MONITOR )
    {
        skip("MONITOR", "CPUID.1:ECX.MONITOR set");
        skip("MWAIT", "CPUID.1:ECX.MONITOR set");
    }
    else
    {
        expect("MONITOR", monitor, VEC_UD);
        expect("MWAIT", mwait, VEC_UD);
    }

    if ( n_failed )
        test_fail("%u of %u cases failed: %s", n_failed, n_run, failed);
    test_pass("%u cases: one exception each, of the right vector, at the "
              "instruction, resumed after it; %u skipped%s%s%s", n_run,
              n_skipped, n_skipped ? " (" : "", skipped,
              n_skipped ? ")" : "");
}

/*
 * guest_state: guest writes to control registers, EFER and the MSRs
 * that hold addresses are checked as hardware checks them, so a value a
 * CPU would refuse raises the exception there and never reaches the
 * hypervisor's VM entry; instructions of features CPUID hides are #UD.
 * Each faulting instruction must fault exactly once, at itself, and
 * resume after it; each legal one must not fault and must read back.
 *   - MSR_STAR takes 0x0023001000000000 (selectors, not an address);
 *     SYSENTER_ESP/EIP, LSTAR, CSTAR, KERNEL_GS_BASE, FS/GS_BASE take a
 *     canonical address and #GP on a non-canonical one;
 *   - EFER: SVME (CPUID hides SVM) and a reserved bit #GP, the value
 *     reads back unchanged; LME cannot be set while paging is on
 *     (32-bit paging with 4 MiB pages here);
 *   - CR0: NW without CD, PG without PE #GP; CLTS clears TS; LMSW
 *     (register and memory) sets MP/TS and cannot clear PE;
 *   - CR4: bit 15, VMXE, SMXE, PCIDE (no PCID or no long mode) and every
 *     bit whose feature CPUID hides (leaf 7 SMEP, SMAP, PKE, FSGSBASE,
 *     UMIP; OSXSAVE without XSAVE) #GP; PSE, PGE, OSFXSR set and clear;
 *   - VMRUN, VMLOAD, VMSAVE, STGI, CLGI, SKINIT, INVLPGA (EFER.SVME is
 *     clear) and MONITOR, MWAIT (when CPUID hides them) raise #UD.
 * Expectations follow the CPUID the test sees, so it also runs natively:
 * with SVM in CPUID, EFER.SVME is writable and not checked.
 */
#include "cr.h"
#include "test.h"

const char test_name[] = "guest_state";

#define VEC_UD          6

#define MSR_SYSENTER_ESP    0x175
#define MSR_SYSENTER_EIP    0x176
#define MSR_STAR            0xc0000081
#define MSR_LSTAR           0xc0000082
#define MSR_CSTAR           0xc0000083
#define MSR_FS_BASE         0xc0000100
#define MSR_GS_BASE         0xc0000101
#define MSR_KERNEL_GS_BASE  0xc0000102

static volatile uint32_t faults[32], fault_eip, fault_len;

static void on_fault(struct regs *r)
{
    if ( r->eip != fault_eip )
        test_fail("exception %u at %#x error %#x (expected only at %#x)",
                  r->vector, r->eip, r->error, fault_eip);
    if ( r->vector == VEC_GP )
        CHECK(r->error == 0, "#GP error code %#x, expected 0", r->error);
    faults[r->vector]++;
    r->eip += fault_len;
}

/* Runs 'insn' (len bytes) once; the vector it raised, or -1. */
#define TRY(len, insn, ...)                                             \
    ({                                                                  \
        uint32_t gp_ = faults[VEC_GP], ud_ = faults[VEC_UD];            \
        fault_len = (len);                                              \
        asm volatile ( "movl $1f, %[fe]\n\t1: " insn                    \
                       : [fe] "=m" (fault_eip) __VA_ARGS__ );           \
        faults[VEC_GP] != gp_ ? (faults[VEC_GP] - gp_ == 1 ? VEC_GP     \
                                                           : 100)       \
        : faults[VEC_UD] != ud_ ? (faults[VEC_UD] - ud_ == 1 ? VEC_UD   \
                                                             : 100)     \
        : -1;                                                           \
    })

static int try_wrmsr(uint32_t msr, uint64_t v)
{
    return TRY(2, "wrmsr", : "c" (msr), "a" ((uint32_t)v),
               "d" ((uint32_t)(v >> 32)) : "memory");
}

static int try_cr0(uint32_t v)
{
    return TRY(3, "movl %%eax, %%cr0", : "a" (v) : "memory");
}

static int try_cr4(uint32_t v)
{
    return TRY(3, "movl %%eax, %%cr4", : "a" (v) : "memory");
}

static void check_msrs(void)
{
    static const struct { uint32_t msr; const char *name; } addr[] = {
        { MSR_SYSENTER_ESP, "SYSENTER_ESP" },
        { MSR_SYSENTER_EIP, "SYSENTER_EIP" },
        { MSR_LSTAR, "LSTAR" }, { MSR_CSTAR, "CSTAR" },
        { MSR_KERNEL_GS_BASE, "KERNEL_GS_BASE" },
        { MSR_FS_BASE, "FS_BASE" }, { MSR_GS_BASE, "GS_BASE" },
    };
    uint64_t old, v;
    int x;

    old = rdmsr(MSR_STAR);
    x = try_wrmsr(MSR_STAR, 0x0023001000000000ull);
    CHECK(x < 0, "WRMSR STAR 0x0023001000000000 raised vector %d", x);
    v = rdmsr(MSR_STAR);
    CHECK(v == 0x0023001000000000ull, "STAR reads %#llx",
          (unsigned long long)v);
    wrmsr(MSR_STAR, old);

    for ( unsigned int i = 0; i < ARRAY_SIZE(addr); i++ )
    {
        /* FS/GS_BASE are live: nothing may use them until restored. */
        old = rdmsr(addr[i].msr);
        x = try_wrmsr(addr[i].msr, 0x0000800000000000ull);
        CHECK(x == VEC_GP, "WRMSR %s non-canonical 0x0000800000000000: "
              "vector %d, expected #GP", addr[i].name, x);
        x = try_wrmsr(addr[i].msr, 0xffff800000001000ull);
        v = rdmsr(addr[i].msr);
        wrmsr(addr[i].msr, old);
        CHECK(x < 0, "WRMSR %s canonical 0xffff800000001000: vector %d",
              addr[i].name, x);
        CHECK(v == 0xffff800000001000ull, "%s reads %#llx", addr[i].name,
              (unsigned long long)v);
        CHECK(rdmsr(addr[i].msr) == old, "%s not restored", addr[i].name);
    }
    printf("guest_state: STAR takes selectors; 7 address MSRs #GP when "
           "non-canonical\n");
}

static void check_efer(bool svm)
{
    uint64_t efer = rdmsr(MSR_EFER);
    uint32_t cr0 = read_cr0(), cr4 = read_cr4();
    int x;

    x = svm ? VEC_GP : try_wrmsr(MSR_EFER, efer | EFER_SVME);
    CHECK(x == VEC_GP, "WRMSR EFER.SVME: vector %d, expected #GP", x);
    x = try_wrmsr(MSR_EFER, efer | (1u << 15));
    CHECK(x == VEC_GP, "WRMSR EFER bit 15: vector %d, expected #GP", x);
    CHECK(rdmsr(MSR_EFER) == efer, "EFER reads %#llx after refused "
          "writes, was %#llx", (unsigned long long)rdmsr(MSR_EFER),
          (unsigned long long)efer);

    /* 32-bit paging, identity, 4 MiB pages: then LME cannot change. */
    write_cr3(paging_identity_32());
    write_cr4(cr4 | CR4_PSE);
    write_cr0(cr0 | CR0_PG);
    x = try_wrmsr(MSR_EFER, efer | EFER_LME);
    write_cr0(cr0);
    write_cr4(cr4);
    CHECK(x == VEC_GP, "WRMSR EFER.LME with paging on: vector %d, "
          "expected #GP", x);
    CHECK(rdmsr(MSR_EFER) == efer, "EFER reads %#llx after LME with "
          "paging on", (unsigned long long)rdmsr(MSR_EFER));
    printf("guest_state: EFER.SVME, bit 15 and LME under paging #GP\n");
}

static void check_cr0(void)
{
    uint32_t cr0 = read_cr0();
    uint16_t msw;
    int x;

    x = try_cr0((cr0 | CR0_NW) & ~CR0_CD);
    CHECK(x == VEC_GP, "CR0.NW without CD: vector %d, expected #GP", x);
    x = try_cr0((cr0 | CR0_PG) & ~CR0_PE);
    CHECK(x == VEC_GP, "CR0.PG without PE: vector %d, expected #GP", x);
    CHECK(read_cr0() == cr0, "CR0 %#x after refused writes, was %#x",
          read_cr0(), cr0);

    write_cr0(cr0 | CR0_TS);
    CHECK(read_cr0() & CR0_TS, "CR0.TS did not set");
    asm volatile ( "clts" ::: "memory" );
    CHECK(!(read_cr0() & CR0_TS), "CLTS left TS set");

    /* LMSW: MP and TS on, PE stays although the source clears it. */
    msw = (cr0 & 0xfff0) | CR0_MP | CR0_TS;
    asm volatile ( "lmsw %0" :: "r" (msw) : "memory" );
    CHECK((read_cr0() & 0xf) == (CR0_PE | CR0_MP | CR0_TS), "LMSW reg "
          "gave CR0 %#x", read_cr0());
    msw = cr0 & 0xfff0;
    asm volatile ( "lmsw %0" :: "m" (msw) : "memory" );
    CHECK((read_cr0() & 0xf) == CR0_PE, "LMSW mem gave CR0 %#x",
          read_cr0());
    write_cr0(cr0);
    CHECK(read_cr0() == cr0, "CR0 %#x, was %#x", read_cr0(), cr0);
    printf("guest_state: CR0 NW/PG rules #GP; CLTS, LMSW work\n");
}

static void check_cr4(void)
{
    static const struct { uint32_t bit; const char *name; } hidden7[] = {
        { 1u << 11, "UMIP" }, { 1u << 16, "FSGSBASE" },
        { 1u << 20, "SMEP" }, { 1u << 21, "SMAP" }, { 1u << 22, "PKE" },
    };
    uint32_t cr4 = read_cr4(), a, b, c, d, l7b = 0, l7c = 0, l1c;
    unsigned int n_gp = 0;
    int x;

    cpuid(0, 0, &a, &b, &c, &d);
    if ( a >= 7 )
        cpuid(7, 0, &a, &l7b, &l7c, &d);
    l1c = cpuid_ecx(1);

#define EXPECT_GP(bit, what)                                            \
    do {                                                                \
        x = try_cr4(cr4 | (bit));                                       \
        CHECK(x == VEC_GP, "CR4.%s: vector %d, expected #GP", what, x); \
        n_gp++;                                                         \
    } while ( 0 )

    EXPECT_GP(1u << 15, "bit 15");
    if ( !(l1c & (1u << 5)) )
        EXPECT_GP(1u << 13, "VMXE (VMX hidden)");
    if ( !(l1c & (1u << 6)) )
        EXPECT_GP(1u << 14, "SMXE (SMX hidden)");
    /* PCIDE needs PCID and long mode: never outside long mode. */
    EXPECT_GP(1u << 17, "PCIDE (outside long mode)");
    if ( !(l1c & (1u << 26)) )
        EXPECT_GP(1u << 18, "OSXSAVE (XSAVE hidden)");
    for ( unsigned int i = 0; i < ARRAY_SIZE(hidden7); i++ )
    {
        uint32_t leaf7 = i == 0 || i == 4 ? l7c : l7b;
        uint32_t feat = (const uint32_t[]){ 1u << 2, 1u << 0, 1u << 7,
                                            1u << 20, 1u << 3 }[i];

        if ( !(leaf7 & feat) )
            EXPECT_GP(hidden7[i].bit, hidden7[i].name);
    }
    CHECK(read_cr4() == cr4, "CR4 %#x after refused writes, was %#x",
          read_cr4(), cr4);

    /* Offered bits set and read back. */
    x = try_cr4(cr4 | CR4_PSE | (1u << 7) | (1u << 9));
    CHECK(x < 0, "CR4.PSE|PGE|OSFXSR: vector %d", x);
    CHECK((read_cr4() & 0x290) == 0x290, "CR4 reads %#x", read_cr4());
    write_cr4(cr4);
    printf("guest_state: %u CR4 writes #GP, offered bits set\n", n_gp);
}

static void check_ud(bool monitor)
{
    static const struct { const char *name; } names[] = {
        { "VMRUN" }, { "VMLOAD" }, { "VMSAVE" }, { "STGI" }, { "CLGI" },
        { "SKINIT" }, { "INVLPGA" }, { "MONITOR" }, { "MWAIT" },
    };
    int x[9];

    /* Operands as the instructions take them, harmless if they ran. */
    x[0] = TRY(3, ".byte 0x0f, 0x01, 0xd8", : "a" (0) : "memory");
    x[1] = TRY(3, ".byte 0x0f, 0x01, 0xda", : "a" (0) : "memory");
    x[2] = TRY(3, ".byte 0x0f, 0x01, 0xdb", : "a" (0) : "memory");
    x[3] = TRY(3, ".byte 0x0f, 0x01, 0xdc", :: "memory");
    /* CLGI would hold off every interrupt until STGI: STGI follows. */
    x[4] = TRY(3, ".byte 0x0f, 0x01, 0xdd", :: "memory");
    if ( x[4] < 0 )
        asm volatile ( ".byte 0x0f, 0x01, 0xdc" ::: "memory" );
    x[5] = TRY(3, ".byte 0x0f, 0x01, 0xde", : "a" (0) : "memory");
    x[6] = TRY(3, ".byte 0x0f, 0x01, 0xdf", : "a" (0), "c" (0)
               : "memory");
    if ( !monitor )
    {
        x[7] = TRY(3, ".byte 0x0f, 0x01, 0xc8", : "a" (0x100000), "c" (0),
                   "d" (0) : "memory");
        x[8] = TRY(3, ".byte 0x0f, 0x01, 0xc9", : "a" (0), "c" (0)
                   : "memory");
    }
    else
        x[7] = x[8] = VEC_UD;
    for ( unsigned int i = 0; i < 9; i++ )
        CHECK(x[i] == VEC_UD, "%s: vector %d, expected #UD",
              names[i].name, x[i]);
    printf("guest_state: SVM instructions%s #UD\n",
           monitor ? " (MONITOR/MWAIT offered, not tried)"
                   : " and MONITOR/MWAIT");
}

void test_main(void)
{
    bool svm = cpuid_ecx(0x80000001) & (1u << 2);
    bool monitor = cpuid_ecx(1) & (1u << 3);

    if ( svm || monitor )
        printf("guest_state: CPUID offers%s%s\n", svm ? " SVM" : "",
               monitor ? " MONITOR" : "");
    idt_set_handler(VEC_GP, on_fault);
    idt_set_handler(VEC_UD, on_fault);
    cli();
    check_msrs();
    check_efer(svm);
    check_cr0();
    check_cr4();
    check_ud(monitor);
    sti();
    test_pass("address MSRs canonical or #GP, STAR not; EFER SVME/reserved/"
              "LME-under-paging #GP; CR0 and CR4 rules; SVM instructions "
              "and MONITOR/MWAIT #UD");
}

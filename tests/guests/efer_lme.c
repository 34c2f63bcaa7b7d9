/*
 * efer_lme: EFER.LME set with paging and PAE off, as a kernel does to
 * prepare for long mode, then the guest keeps running (exits included)
 * for spin_ms; on xen-lite a second domain runs ipi_pingpong beside it
 * and must pass too (an SVM backend once let this state reach QEMU's
 * #VMEXIT, which left the pCPU without paging and killed the other
 * domain).  EFER must read back LME=1, LMA=0 with CR0.PG still clear.
 * Turning paging on with LME but without CR4.PAE raises #GP(0).  Then
 * the real thing: PAE, identity page tables, CR0.PG -> LMA=1 (EFER reads
 * LME|LMA), compatibility mode runs, a far call into a 64-bit code
 * segment executes CPUID with REX and legacy prefixes (each once: the
 * leaf-0 result must come back), and back; CR0.PG off in compatibility
 * mode leaves long mode (LMA=0, LME kept); LME off again.
 * Interrupts stay off while in long mode: the IDT is a 32-bit one.
 *
 * Environment: spin_ms= (1000); pg_pae_gp=0 skips the #GP check of
 * CR0.PG with LME and no PAE, which QEMU 7.2 TCG does not raise (it
 * ignores the write: CR0 stays as it was).
 */
#include "cr.h"
#include "test.h"

const char test_name[] = "efer_lme";

extern uint64_t gdt[];
extern void lm_call64(uint32_t sel, uint32_t *out);

/*
 * A far call from 32-bit code into a 64-bit code segment: four CPUIDs of
 * leaf 0 with REX.W, a legacy prefix before REX, a REX that a legacy
 * prefix follows (so ignored), and two legacy prefixes before REX.B.
 * Each stores EAX; a CPUID run twice would use the first result (the
 * largest leaf) as its leaf.  Then a 32-bit far return.
 */
asm (
    "   .text\n"
    "   .code32\n"
    "   .globl lm_call64\n"
    "lm_call64:\n"
    "   push %ebp\n"
    "   mov %esp, %ebp\n"
    "   push %ebx\n"
    "   push %esi\n"
    "   push %edi\n"
    "   mov 12(%ebp), %edi\n"
    "   pushl 8(%ebp)\n"
    "   pushl $lm64_entry\n"
    "   lcall *(%esp)\n"
    "   add $8, %esp\n"
    "   pop %edi\n"
    "   pop %esi\n"
    "   pop %ebx\n"
    "   pop %ebp\n"
    "   ret\n"
    "   .code64\n"
    "lm64_entry:\n"
    "   mov %esp, %esp\n"
    "   mov %edi, %edi\n"
    "   xor %eax, %eax\n"
    "   xor %ecx, %ecx\n"
    "   .byte 0x48, 0x0f, 0xa2\n"
    "   mov %eax, 0(%rdi)\n"
    "   xor %eax, %eax\n"
    "   xor %ecx, %ecx\n"
    "   .byte 0x3e, 0x48, 0x0f, 0xa2\n"
    "   mov %eax, 4(%rdi)\n"
    "   xor %eax, %eax\n"
    "   xor %ecx, %ecx\n"
    "   .byte 0x48, 0x3e, 0x0f, 0xa2\n"
    "   mov %eax, 8(%rdi)\n"
    "   xor %eax, %eax\n"
    "   xor %ecx, %ecx\n"
    "   .byte 0x66, 0x2e, 0x41, 0x0f, 0xa2\n"
    "   mov %eax, 12(%rdi)\n"
    "   .byte 0xcb\n"                 /* lret, 32-bit operands */
    "   .code32\n"
);

static volatile uint32_t gp_count, gp_eip;
static volatile uint32_t fault_eip, fault_len;

static void on_gp(struct regs *r)
{
    if ( r->eip != fault_eip )
        test_fail("exception 13 at %#x error %#x (expected only at %#x)",
                  r->eip, r->error, fault_eip);
    gp_count++;
    r->eip += fault_len;
}

/* MOV EAX -> CR0 at a known address; whether it faulted. */
static bool try_write_cr0(uint32_t v)
{
    uint32_t before = gp_count;

    fault_len = 3;                      /* 0f 22 c0 */
    asm volatile ( "movl $1f, %[fe]\n\t"
                   "1: movl %%eax, %%cr0"
                   : [fe] "=m" (fault_eip) : "a" (v) : "memory" );
    return gp_count != before;
}

static uint32_t cpuid_eax(uint32_t leaf)
{
    uint32_t a, b, c, d;

    cpuid(leaf, 0, &a, &b, &c, &d);
    return a;
}

/* Exits of our own for ms milliseconds, with LME set. */
static unsigned int spin_with_exits(uint32_t ms)
{
    uint64_t end = deadline_us((uint64_t)ms * 1000);
    unsigned int n = 0;

    while ( rdtsc() < end )
    {
        (void)cpuid_eax(0);
        (void)inb(0x61);
        n++;
    }
    return n;
}

void test_main(void)
{
    uint32_t spin_ms = env_u32("spin_ms", 1000);
    bool pg_pae_gp = env_u32("pg_pae_gp", 1);
    uint32_t cr0 = read_cr0(), cr4 = read_cr4(), max_leaf = cpuid_eax(0);
    uint32_t sel64 = (2 + MAX_CPUS) * 8, got[4] = { 0 };
    uint64_t efer, efer0;
    unsigned int n;

    time_init();
    idt_set_handler(VEC_GP, on_gp);
    CHECK(cpuid_eax(0x80000000) >= 0x80000001, "no CPUID 0x80000001");
    {
        uint32_t a, b, c, d;

        cpuid(0x80000001, 0, &a, &b, &c, &d);
        if ( !(d & (1u << 29)) )
            test_skip("no long mode (CPUID 0x80000001 EDX[29])");
    }
    CHECK(!(cr0 & CR0_PG) && !(cr4 & CR4_PAE), "started with paging (CR0 "
          "%#x CR4 %#x)", cr0, cr4);

    /* 1. The one action: LME with paging and PAE off. */
    cli();
    efer0 = rdmsr(MSR_EFER);
    CHECK(!(efer0 & (EFER_LME | EFER_LMA)), "EFER %#llx at start",
          (unsigned long long)efer0);
    wrmsr(MSR_EFER, efer0 | EFER_LME);
    efer = rdmsr(MSR_EFER);
    CHECK((efer & (EFER_LME | EFER_LMA)) == EFER_LME, "EFER reads %#llx "
          "after setting LME with paging off, expected LME=1 LMA=0",
          (unsigned long long)efer);
    CHECK(read_cr0() == cr0, "CR0 changed to %#x", read_cr0());
    n = spin_with_exits(spin_ms);
    printf("efer_lme: %u ms with EFER.LME=1 and paging off, %u CPUID+IN "
           "pairs\n", spin_ms, n);
    efer = rdmsr(MSR_EFER);
    CHECK((efer & (EFER_LME | EFER_LMA)) == EFER_LME, "EFER reads %#llx "
          "after running with LME set", (unsigned long long)efer);

    /* 2. Paging on with LME but no PAE: #GP(0), nothing changes. */
    write_cr3(paging_identity_long());
    CHECK(try_write_cr0(cr0 | CR0_PG) || !pg_pae_gp, "CR0.PG with "
          "EFER.LME=1 and CR4.PAE=0 did not raise #GP");
    CHECK(read_cr0() == cr0, "CR0 %#x after the refused write", read_cr0());
    CHECK((rdmsr(MSR_EFER) & EFER_LMA) == 0, "EFER.LMA set after the "
          "refused write");

    /* 3. Into long mode: PAE, then PG. */
    gdt[2 + MAX_CPUS] = 0x00af9a000000ffffull;      /* 64-bit code */
    write_cr4(cr4 | CR4_PAE);
    CHECK(!try_write_cr0(cr0 | CR0_PG), "CR0.PG with LME and PAE raised "
          "#GP");
    efer = rdmsr(MSR_EFER);
    CHECK((efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA), "EFER "
          "reads %#llx in long mode, expected LME and LMA",
          (unsigned long long)efer);
    CHECK(read_cr0() & CR0_PG, "CR0.PG clear in long mode");
    CHECK(cpuid_eax(0) == max_leaf, "CPUID leaf 0 in compatibility mode "
          "gave %#x, expected %#x", cpuid_eax(0), max_leaf);
    printf("efer_lme: in compatibility mode, EFER %#llx\n",
           (unsigned long long)efer);
    lm_call64(sel64, got);
    for ( unsigned int i = 0; i < 4; i++ )
        CHECK(got[i] == max_leaf, "64-bit prefixed CPUID %u gave %#x, "
              "expected %#x (run twice?)", i, got[i], max_leaf);
    printf("efer_lme: 64-bit code ran 4 prefixed CPUIDs once each\n");

    /* 4. Out again, from compatibility mode. */
    CHECK(!try_write_cr0(cr0), "clearing CR0.PG in compatibility mode "
          "raised #GP");
    efer = rdmsr(MSR_EFER);
    CHECK((efer & (EFER_LME | EFER_LMA)) == EFER_LME, "EFER reads %#llx "
          "after leaving long mode, expected LME=1 LMA=0",
          (unsigned long long)efer);
    write_cr4(cr4);
    wrmsr(MSR_EFER, efer0);
    CHECK(rdmsr(MSR_EFER) == efer0, "EFER %#llx after clearing LME",
          (unsigned long long)rdmsr(MSR_EFER));
    CHECK(!pg_pae_gp || gp_count == 1, "%u #GPs, expected 1", gp_count);
    sti();
    test_pass("EFER.LME with paging off read back LME=1 LMA=0 for %u ms; "
              "PG without PAE %s; long mode entered (LME|LMA), 64-bit "
              "prefixed CPUIDs ran once, left again", spin_ms,
              pg_pae_gp ? "#GP" : "not checked");
}

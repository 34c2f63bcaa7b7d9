/*
 * init_state: INIT puts a CPU in the state the SDM's table "IA-32 and
 * Intel 64 Processor States Following Power-up, Reset, or INIT" (Vol. 3A
 * Table 10-1, 9-1 in older editions) gives, and forgets every interrupt
 * sent before it.
 *
 * Each round, CPU 1 leaves state no INIT has: CR0 with NE, MP, WP and AM
 * set and CD/NW clear, CR2, CR3, the CR4 bits CPUID allows, EFER.SCE and
 * NXE (where offered), DR0-DR3, DR6 and DR7, the test's GDT and IDT, TPR
 * 0x20, a vector in service (no EOI), the x87 control word, MXCSR and
 * XMM0, and the MSRs INIT keeps (TSC_AUX, SYSENTER_CS, STAR, PAT) and
 * those paravirtual ones the hypervisor must drop (KVM's PV EOI and
 * system time, where offered).  With interrupts off it then spins
 * (odd rounds) or halts (even rounds: INIT to a CPU blocked in HLT); the
 * BSP sends it a fixed IPI, which stays pending, then INIT and a SIPI to
 * a trampoline of this test.  A last round does the same to the BSP,
 * with CPU 1 sending the IPI, INIT and SIPI.  The trampoline records,
 * before it changes anything, the general registers, CR0, CR2, CR3, CR4,
 * EFER, DR0-DR3, DR6, DR7, EFLAGS, GDTR, IDTR and the data segment
 * selectors (CS too), and in protected mode LDTR and TR; the C code
 * after it reads the local APIC (TPR, SVR, IRR, ISR, TMR, ID,
 * IA32_APIC_BASE) and the MSRs, then enables its APIC and interrupts and
 * counts whether the vector sent before the INIT arrives (it must not).
 * The BSP compares it all with the table:
 *   EAX, EBX, ECX, ESI, EDI, EBP, ESP 0, EDX = CPUID.1:EAX (signature),
 *   EFLAGS 2, CR0 60000010H with CD and NW unchanged (the table's
 *   footnote: bit 4 set, all else clear), CR2, CR3, CR4 0, EFER 0,
 *   DR0-DR3 0, DR6 FFFF0FF0H, DR7 400H, GDTR and IDTR base 0 limit FFFFH,
 *   LDTR and TR selector 0, the local APIC in its power-up state except
 *   ID and base (SDM 11.4.7.3), the x87/SSE state and the MSRs unchanged
 *   (10.1: "during an INIT, the internal caches, MSRs, MTRRs, and x87
 *   FPU state are left unchanged"; Vol. 1 11.6.4 for SSE), the
 *   paravirtual MSRs disabled (as KVM does).
 *
 * CR0.CD and NW are expected as the CPU read them before the INIT: under
 * VMX they are the physical CPU's (VM entry never loads them: SDM Vol.
 * 3C, "Loading Guest Control Registers, Debug Registers, and MSRs"), so
 * the guest's write that clears them may not stick.
 *
 * Env: rounds (2), init_cr0 (0: the table's value with CD/NW kept; else
 * the value expected, for emulators that set CD/NW), init_edx (1: EDX is
 * the signature; 0: not checked, for Bochs, which leaves it 0 on INIT),
 * fpu_kept (1: the x87/SSE state must survive), bsp (1: the BSP round;
 * xen-lite has no firmware and lets a SIPI start the BSP after INIT,
 * natively the BSP runs the firmware after INIT, so 0 there).
 */
#include "cr.h"
#include "kvm_pv.h"
#include "test.h"
#include "hypercall.h"

const char test_name[] = "init_state";

#define ITR_BASE        0x9000          /* SIPI vector 9 */
#define VEC_PENDING     0x60            /* sent before the INIT */
#define VEC_INSERVICE   0x50            /* left in service before it */
#define AP              1u

#define MSR_SYSENTER_CS 0x174
#define MSR_PAT         0x277
#define MSR_STAR        0xc0000081
#define MSR_TSC_AUX     0xc0000103

/* The trampoline's record, 32-bit slots; R_* index them. */
#define R_EAX       0
#define R_EBX       1
#define R_ECX       2
#define R_EDX       3
#define R_ESI       4
#define R_EDI       5
#define R_EBP       6
#define R_ESP       7
#define R_CR0       8
#define R_CR2       9
#define R_CR3       10
#define R_CR4       11
#define R_DR0       12
#define R_DR1       13
#define R_DR2       14
#define R_DR3       15
#define R_DR6       16
#define R_DR7       17
#define R_EFER_LO   18
#define R_EFER_HI   19
#define R_EFLAGS    20
#define R_GDTR      21          /* two slots: limit (16), base (32) */
#define R_IDTR      23          /* two slots */
#define R_DS        25
#define R_ES        26
#define R_FS        27
#define R_GS        28
#define R_SS        29
#define R_CS        30
#define R_LDTR      31
#define R_TR        32
#define R_STARTED   33
#define R_NR        34

#define STR_(x)     #x
#define STR(x)      STR_(x)
/* The record slot, addressed relative to CS in real mode. */
#define RREC(i)     "%cs:(itr_rec - itr_start + 4 * " STR(i) ")"
/* The same slot by its linear address, in protected mode. */
#define PREC(i)     "(" STR(ITR_BASE) " + itr_rec - itr_start + 4 * " \
                    STR(i) ")"

/*
 * Copied to ITR_BASE.  It stores every register before it touches any
 * (the stack it needs for EFLAGS comes after ESP and SS are saved), then
 * enters protected mode on the test's GDT (itr_gdt_desc: the BSP's
 * GDTR) and calls init_continue() on itr_stack.
 */
asm (
    "   .pushsection .text\n"
    "   .code16\n"
    "   .globl itr_start, itr_end, itr_rec, itr_stack\n"
    "itr_start:\n"
    "   movl %eax, " RREC(R_EAX) "\n"
    "   movl %ebx, " RREC(R_EBX) "\n"
    "   movl %ecx, " RREC(R_ECX) "\n"
    "   movl %edx, " RREC(R_EDX) "\n"
    "   movl %esi, " RREC(R_ESI) "\n"
    "   movl %edi, " RREC(R_EDI) "\n"
    "   movl %ebp, " RREC(R_EBP) "\n"
    "   movl %esp, " RREC(R_ESP) "\n"
    "   movw %ds, " RREC(R_DS) "\n"
    "   movw %es, " RREC(R_ES) "\n"
    "   movw %fs, " RREC(R_FS) "\n"
    "   movw %gs, " RREC(R_GS) "\n"
    "   movw %ss, " RREC(R_SS) "\n"
    "   movw %cs, " RREC(R_CS) "\n"
    "   movl %cr0, %eax\n"
    "   movl %eax, " RREC(R_CR0) "\n"
    "   movl %cr2, %eax\n"
    "   movl %eax, " RREC(R_CR2) "\n"
    "   movl %cr3, %eax\n"
    "   movl %eax, " RREC(R_CR3) "\n"
    "   movl %cr4, %eax\n"
    "   movl %eax, " RREC(R_CR4) "\n"
    "   movl %db0, %eax\n"
    "   movl %eax, " RREC(R_DR0) "\n"
    "   movl %db1, %eax\n"
    "   movl %eax, " RREC(R_DR1) "\n"
    "   movl %db2, %eax\n"
    "   movl %eax, " RREC(R_DR2) "\n"
    "   movl %db3, %eax\n"
    "   movl %eax, " RREC(R_DR3) "\n"
    "   movl %db6, %eax\n"
    "   movl %eax, " RREC(R_DR6) "\n"
    "   movl %db7, %eax\n"
    "   movl %eax, " RREC(R_DR7) "\n"
    "   movl $0xc0000080, %ecx\n"
    "   rdmsr\n"
    "   movl %eax, " RREC(R_EFER_LO) "\n"
    "   movl %edx, " RREC(R_EFER_HI) "\n"
    "   sgdtl " RREC(R_GDTR) "\n"
    "   sidtl " RREC(R_IDTR) "\n"
    "   movw %cs, %ax\n"
    "   movw %ax, %ss\n"
    "   movw $(itr_stack16 - itr_start), %sp\n"
    "   pushfl\n"
    "   popl %eax\n"
    "   movl %eax, " RREC(R_EFLAGS) "\n"
    "   movl $1, " RREC(R_STARTED) "\n"
    "   cli\n"
    "   lgdtl %cs:(itr_gdt_desc - itr_start)\n"
    "   movl %cr0, %eax\n"
    "   orl $1, %eax\n"
    "   movl %eax, %cr0\n"
    "   ljmpl $0x08, $(" STR(ITR_BASE) " + itr_32 - itr_start)\n"
    "   .code32\n"
    "itr_32:\n"
    "   movl $0x10, %eax\n"
    "   movl %eax, %ds\n"
    "   movl %eax, %es\n"
    "   movl %eax, %ss\n"
    "   movl %eax, %fs\n"
    "   sldt %ax\n"
    "   movw %ax, " PREC(R_LDTR) "\n"
    "   str %ax\n"
    "   movw %ax, " PREC(R_TR) "\n"
    "   movl (" STR(ITR_BASE) " + itr_stack - itr_start), %esp\n"
    "   movl $init_continue, %eax\n"
    "   call *%eax\n"
    "1: cli\n"
    "   hlt\n"
    "   jmp 1b\n"
    "   .p2align 2\n"
    "itr_gdt_desc:\n"
    "   .word 0\n"
    "   .long 0\n"
    "itr_stack:\n"
    "   .long 0\n"
    "   .p2align 2\n"
    "itr_rec:\n"
    "   .fill " STR(R_NR) ", 4, 0\n"
    "   .fill 64, 1, 0\n"
    "itr_stack16:\n"
    "itr_end:\n"
    "   .popsection\n"
);

extern const char itr_start[], itr_end[], itr_rec[], itr_stack[],
    itr_gdt_desc[];

/* What the AP set before the INIT; what it found after (C part). */
struct after
{
    uint32_t tpr, svr, id, irr_any, isr_any, tmr_any;
    uint64_t apic_base, tsc_aux, sysenter_cs, star, pat, pv_eoi, kvmclock;
    uint16_t fcw;
    uint32_t mxcsr, xmm0;
    uint32_t cpuid1_eax;
    uint32_t pending_taken;     /* VEC_PENDING after interrupts are on */
};

static struct
{
    bool rdtscp, sep, pat, sce, nx, pv_eoi, kvmclock;
    uint32_t cr4;               /* the bits set before the INIT */
} offered;

static uint8_t ap_stack[STACK_SIZE] __attribute__((aligned(16)));
static uint8_t bsp_stack[STACK_SIZE] __attribute__((aligned(16)));
static uint32_t rounds, init_cr0;
static bool edx_sig, fpu_kept, bsp_round;
static volatile uint32_t round_no, ap_ready, ap_done;
static volatile uint32_t target;        /* the CPU the INIT goes to */
static volatile uint32_t bsp_req;       /* CPU 1: INIT the BSP now */
static volatile uint32_t inservice_taken, pending_taken;
static volatile uint32_t cr0_before;    /* CR0 as CPU 1 left it */
static struct after after;
static volatile uint32_t pv_eoi_flag __attribute__((aligned(4)));
static uint8_t kvmclock_area[64] __attribute__((aligned(64)));

static const uint16_t dirty_fcw = 0x027f;
static const uint32_t dirty_mxcsr = 0x1fa0;
static const uint32_t dirty_xmm0 = 0x5a5aa5a5;
static const uint64_t dirty_pat = 0x0007040600070106ull;
static const uint64_t dirty_star = 0x0023001000000000ull;

static uint32_t *rec(void)
{
    return phys(ITR_BASE + (itr_rec - itr_start));
}

static void on_inservice(struct regs *r)
{
    (void)r;
    inservice_taken++;          /* no EOI: stays in service */
}

static void on_pending(struct regs *r)
{
    (void)r;
    pending_taken++;
    apic_eoi();
}

static bool any_bit(unsigned int base)
{
    for ( unsigned int i = 0; i < 8; i++ )
        if ( apic_read(base + i * 0x10) )
            return true;
    return false;
}

/* State INIT must reset or keep; returns with interrupts off. */
static void dirty_state(void)
{
    uint32_t cr0, v;

    inservice_taken = 0;
    cr0 = read_cr0();
    cr0 = (cr0 | CR0_NE | CR0_MP | (1u << 16) | (1u << 18)) &
          ~(CR0_CD | CR0_NW);
    write_cr0(cr0);
    cr0_before = read_cr0();
    v = 0xdead0000;
    asm volatile ( "mov %0, %%cr2" :: "r" (v) );
    write_cr3(0x00123000);
    write_cr4(read_cr4() | offered.cr4);
    if ( offered.sce || offered.nx )
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | (offered.sce ? EFER_SCE : 0) |
                        (offered.nx ? EFER_NXE : 0));
    v = 0x00fff000;
    asm volatile ( "mov %0, %%db0" :: "r" (v) );
    v = 0x00ffe000;
    asm volatile ( "mov %0, %%db1" :: "r" (v) );
    v = 0x00ffd000;
    asm volatile ( "mov %0, %%db2" :: "r" (v) );
    v = 0x00ffc000;
    asm volatile ( "mov %0, %%db3" :: "r" (v) );
    v = 0xffff0ff1;
    asm volatile ( "mov %0, %%db6" :: "r" (v) );
    v = 0x00000402;                 /* G0: an execute breakpoint at DR0 */
    asm volatile ( "mov %0, %%db7" :: "r" (v) );

    asm volatile ( "fninit; fldcw %0" :: "m" (dirty_fcw) );
    asm volatile ( "ldmxcsr %0" :: "m" (dirty_mxcsr) );
    asm volatile ( "movd %0, %%xmm0" :: "m" (dirty_xmm0) );

    if ( offered.rdtscp )
        wrmsr(MSR_TSC_AUX, 0x5a5a);
    if ( offered.sep )
        wrmsr(MSR_SYSENTER_CS, SEL_CODE);
    if ( offered.sce )
        wrmsr(MSR_STAR, dirty_star);
    if ( offered.pat )
        wrmsr(MSR_PAT, dirty_pat);
    if ( offered.pv_eoi )
        wrmsr(MSR_KVM_PV_EOI_EN, (uint32_t)&pv_eoi_flag | 1);
    if ( offered.kvmclock )
        wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint32_t)kvmclock_area | 1);

    apic_write(APIC_TPR, 0x20);
    /* A vector in service: taken, never EOIed. */
    apic_icr(0, APIC_SH_SELF | APIC_DM_FIXED | VEC_INSERVICE);
    sti();
    while ( !inservice_taken )
        cpu_relax();
    cli();
}

/* On CPU 1: dirty_state(), then wait with IF=0. */
static noreturn void ap_round(void *arg)
{
    (void)arg;
    dirty_state();
    ap_ready = round_no;
    if ( round_no & 1 )
        for ( ;; )
            cpu_relax();
    for ( ;; )
        asm volatile ( "hlt" );
}

static void send_init_sipi(uint32_t dest, unsigned int n);
static noreturn void bsp_after_init(void);
static void bsp_watch(void);
static volatile uint32_t bsp_back;

/* After the trampoline, on the CPU's own stack, interrupts off. */
void init_continue(void);
void init_continue(void)
{
    struct after *a = &after;
    unsigned int idx = target;
    uint32_t b, c, d, cr4;

    percpu_init(idx);
    /* The local APIC as the INIT left it, before anything changes it. */
    a->apic_base = rdmsr(MSR_APIC_BASE);
    a->tpr = apic_read(APIC_TPR);
    a->svr = apic_read(APIC_SVR);
    a->id = apic_read(APIC_ID);
    a->irr_any = any_bit(APIC_IRR);
    a->isr_any = any_bit(APIC_ISR);
    a->tmr_any = any_bit(APIC_TMR);
    a->tsc_aux = offered.rdtscp ? rdmsr(MSR_TSC_AUX) : 0;
    a->sysenter_cs = offered.sep ? rdmsr(MSR_SYSENTER_CS) : 0;
    a->star = offered.sce ? rdmsr(MSR_STAR) : 0;
    a->pat = offered.pat ? rdmsr(MSR_PAT) : 0;
    a->pv_eoi = offered.pv_eoi ? rdmsr(MSR_KVM_PV_EOI_EN) : 0;
    a->kvmclock = offered.kvmclock ? rdmsr(MSR_KVM_SYSTEM_TIME_NEW) : 0;
    cpuid(1, 0, &a->cpuid1_eax, &b, &c, &d);
    /* SSE needs CR4.OSFXSR, which INIT cleared. */
    cr4 = read_cr4();
    write_cr4(cr4 | CR4_OSFXSR);
    asm volatile ( "fnstcw %0" : "=m" (a->fcw) );
    asm volatile ( "stmxcsr %0" : "=m" (a->mxcsr) );
    asm volatile ( "movd %%xmm0, %0" : "=m" (a->xmm0) );
    write_cr4(cr4);

    /* Does anything sent before the INIT arrive now? */
    idt_load();
    apic_setup(APIC_MODE_XAPIC);
    pending_taken = 0;
    sti();
    udelay(20000);
    cli();
    a->pending_taken = pending_taken;
    if ( idx == 0 )
    {
        bsp_back = 1;
        bsp_after_init();
    }

    /* CPU 1: the next round, or INIT and SIPI to the BSP, or halt. */
    ap_done = round_no;
    /*
     * The BSP's round is asked for by bsp_req alone, which the BSP sets
     * after target and round_no (x86 keeps stores in order).  Keying it
     * on target raced: CPU 1 could read target still 1 and round_no
     * already rounds + 1, and wait in ap_round() for an INIT that the
     * BSP, waiting for its own, never sends.
     */
    while ( round_no != 0 )
    {
        if ( bsp_req )
        {
            bsp_watch();
            break;
        }
        if ( round_no > ap_done && round_no <= rounds )
            ap_round(NULL);
        cpu_relax();
    }
    for ( ;; )
        asm volatile ( "cli; hlt" );
}

static unsigned int nfail;
static char failed[480];

static void check(bool ok, const char *what)
{
    size_t n = strlen(failed);

    if ( ok )
        return;
    nfail++;
    printf("init_state: round %u: %s\n", round_no, what);
    if ( n + strlen(what) + 3 < sizeof(failed) && nfail <= 6 )
        snprintf(failed + n, sizeof(failed) - n, "%s%s", n ? ", " : "",
                 what);
}

static void check32(const char *name, uint32_t got, uint32_t want)
{
    char line[96];

    snprintf(line, sizeof(line), "%s %#x, wanted %#x", name, got, want);
    check(got == want, line);
}

static void check64(const char *name, uint64_t got, uint64_t want)
{
    char line[96];

    snprintf(line, sizeof(line), "%s %#llx, wanted %#llx", name,
             (unsigned long long)got, (unsigned long long)want);
    check(got == want, line);
}

static void check_round(unsigned int idx)
{
    const uint32_t *r = rec();
    const struct after *a = &after;
    char line[48];
    static const char *const gpr[] = {
        "EAX", "EBX", "ECX", "EDX", "ESI", "EDI", "EBP", "ESP",
    };

    for ( unsigned int i = R_EAX; i <= R_ESP; i++ )
        if ( i != R_EDX || edx_sig )
            check32(gpr[i], r[i], i == R_EDX ? a->cpuid1_eax : 0);
    check32("EFLAGS", r[R_EFLAGS], 2);
    snprintf(line, sizeof(line), "CR0 (%#x before INIT)", cr0_before);
    check32(line, r[R_CR0], init_cr0 ?: 0x10 | (cr0_before &
                                                  (CR0_CD | CR0_NW)));
    check32("CR2", r[R_CR2], 0);
    check32("CR3", r[R_CR3], 0);
    check32("CR4", r[R_CR4], 0);
    check64("EFER", r[R_EFER_LO] | ((uint64_t)r[R_EFER_HI] << 32), 0);
    check32("DR0", r[R_DR0], 0);
    check32("DR1", r[R_DR1], 0);
    check32("DR2", r[R_DR2], 0);
    check32("DR3", r[R_DR3], 0);
    check32("DR6", r[R_DR6], 0xffff0ff0);
    check32("DR7", r[R_DR7], 0x400);
    check32("GDTR limit", r[R_GDTR] & 0xffff, 0xffff);
    check32("GDTR base", (r[R_GDTR] >> 16) | (r[R_GDTR + 1] << 16), 0);
    check32("IDTR limit", r[R_IDTR] & 0xffff, 0xffff);
    check32("IDTR base", (r[R_IDTR] >> 16) | (r[R_IDTR + 1] << 16), 0);
    check32("CS", r[R_CS], ITR_BASE >> 4);
    check32("DS", r[R_DS], 0);
    check32("ES", r[R_ES], 0);
    check32("FS", r[R_FS], 0);
    check32("GS", r[R_GS], 0);
    check32("SS", r[R_SS], 0);
    check32("LDTR", r[R_LDTR], 0);
    check32("TR", r[R_TR], 0);

    check32("TPR", a->tpr, 0);
    check32("SVR", a->svr, 0xff);
    check32("IRR bits", a->irr_any, 0);
    check32("ISR bits", a->isr_any, 0);
    check32("TMR bits", a->tmr_any, 0);
    check32("APIC ID", a->id >> 24, percpu[idx].apic_id);
    check64("APIC base", a->apic_base, 0xfee00800 | (idx ? 0 : 0x100));
    check32("pending vector taken after INIT", a->pending_taken, 0);
    if ( offered.rdtscp )
        check64("TSC_AUX", a->tsc_aux, 0x5a5a);
    if ( offered.sep )
        check64("SYSENTER_CS", a->sysenter_cs, SEL_CODE);
    if ( offered.sce )
        check64("STAR", a->star, dirty_star);
    if ( offered.pat )
        check64("PAT", a->pat, dirty_pat);
    if ( offered.pv_eoi )
        check64("PV EOI MSR", a->pv_eoi, 0);
    if ( offered.kvmclock )
        check64("kvmclock MSR", a->kvmclock, 0);
    if ( fpu_kept )
    {
        check32("x87 FCW", a->fcw, dirty_fcw);
        check32("MXCSR", a->mxcsr, dirty_mxcsr);
        check32("XMM0", a->xmm0, dirty_xmm0);
    }
}

static void probe(void)
{
    uint32_t a, b, c, d, max;

    cpuid(1, 0, &a, &b, &c, &d);
    offered.sep = d & (1u << 11);
    offered.pat = d & (1u << 16);
    if ( d & (1u << 2) )
        offered.cr4 |= 1u << 3;                 /* DE */
    if ( d & (1u << 3) )
        offered.cr4 |= CR4_PSE;
    if ( d & (1u << 13) )
        offered.cr4 |= 1u << 7;                 /* PGE */
    if ( d & (1u << 24) )
        offered.cr4 |= CR4_OSFXSR;
    if ( d & (1u << 25) )
        offered.cr4 |= CR4_OSXMMEXCPT;
    if ( d & (1u << 4) )
        offered.cr4 |= 1u << 2;                 /* TSD */
    cpuid(0x80000000, 0, &max, &b, &c, &d);
    if ( max >= 0x80000001 )
    {
        cpuid(0x80000001, 0, &a, &b, &c, &d);
        offered.sce = d & (1u << 11);
        offered.nx = d & (1u << 20);
        offered.rdtscp = d & (1u << 27);
    }
    offered.pv_eoi = kvm_pv_eoi_offered();
    offered.kvmclock = kvm_features() & (1u << KVM_FEATURE_CLOCKSOURCE2);
}

/*
 * A fixed IPI the target (interrupts off) must not take, then INIT and
 * SIPI to the trampoline.  Round n odd: the target spins and has 2 ms to
 * take the vector into IRR; even: it halts, and the INIT follows at
 * once, so that under a hypervisor the vector may still be posted.
 */
static void send_init_sipi(uint32_t dest, unsigned int n)
{
    uint32_t *r = rec();

    apic_icr(dest, APIC_DM_FIXED | VEC_PENDING);
    if ( n & 1 )
        udelay(2000);
    apic_icr(dest, APIC_DM_INIT | APIC_ASSERT);
    udelay(10000);
    apic_icr(dest, APIC_DM_STARTUP | (ITR_BASE >> 12));
    udelay(200);
    if ( !r[R_STARTED] )
        apic_icr(dest, APIC_DM_STARTUP | (ITR_BASE >> 12));
}

static void set_stack(uint8_t *stack)
{
    *(volatile uint32_t *)phys(ITR_BASE + (itr_stack - itr_start)) =
        (uint32_t)(stack + STACK_SIZE);
}

/*
 * CPU 1: INIT and SIPI to the BSP, then watch that it comes back, and
 * if not, fail with the hypervisor's view (its domains and vlapics).
 */
static void bsp_watch(void)
{
    uint64_t end;

    send_init_sipi(percpu[0].apic_id, round_no);
    end = deadline_us(3000000);
    while ( !bsp_back && rdtsc() < end )
        cpu_relax();
    if ( bsp_back )
        return;
    xen_debug_keys("qv");
    test_fail("round %u: the BSP did not come back from INIT-SIPI "
              "(started %u)", round_no, rec()[R_STARTED]);
}

static void run_round(unsigned int n)
{
    uint32_t *r = rec();
    uint64_t end;

    memset(r, 0, R_NR * 4);
    round_no = n;
    if ( n == 1 )
        smp_call(AP, ap_round, NULL);
    if ( !wait_u32(&ap_ready, n, 2000000) )
        test_fail("round %u: cpu 1 did not get ready", n);
    udelay(2000);
    send_init_sipi(percpu[AP].apic_id, n);
    end = deadline_us(2000000);
    while ( ap_done != n && rdtsc() < end )
        cpu_relax();
    if ( ap_done != n )
        test_fail("round %u: cpu 1 did not come back from INIT-SIPI "
                  "(started %u)", n, r[R_STARTED]);
    printf("init_state: round %u (cpu 1, %s): CR0 %#x before INIT, %#x "
           "after\n", n, n & 1 ? "running" : "in HLT", cr0_before,
           r[R_CR0]);
    check_round(AP);
}

static noreturn void finish(void)
{
    if ( nfail )
        test_fail("%u checks failed: %s", nfail, failed);
    test_pass("%u rounds (cpu 1 running, in HLT%s): registers%s, CR0 %#x, "
              "APIC reset, the vector sent before INIT not taken; MSRs%s "
              "kept%s", rounds + bsp_round, bsp_round ? "; the BSP" : "",
              edx_sig ? "" : " (EDX not checked)", rec()[R_CR0],
              fpu_kept ? " and x87/SSE" : "",
              offered.pv_eoi ? "; PV EOI MSR cleared" : "");
}

/* The BSP after its INIT and the SIPI CPU 1 sent it. */
static noreturn void bsp_after_init(void)
{
    printf("init_state: round %u (the BSP): CR0 %#x before INIT, %#x "
           "after\n", round_no, cr0_before, rec()[R_CR0]);
    check_round(0);
    finish();
}

void test_main(void)
{
    rounds = env_u32("rounds", 2);
    init_cr0 = env_u32("init_cr0", 0);
    edx_sig = env_u32("init_edx", 1);
    fpu_kept = env_u32("fpu_kept", 1);
    bsp_round = env_u32("bsp", 1);

    platform_init(APIC_MODE_XAPIC, true);
    if ( nr_cpus < 2 )
        test_skip("only 1 CPU");
    probe();
    idt_set_handler(VEC_INSERVICE, on_inservice);
    idt_set_handler(VEC_PENDING, on_pending);
    memcpy(phys(ITR_BASE), itr_start, itr_end - itr_start);
    asm volatile ( "sgdtl %0"
                   : "=m" (*(uint8_t (*)[6])phys(ITR_BASE + (itr_gdt_desc -
                                                            itr_start))) );

    target = AP;
    set_stack(ap_stack);
    for ( unsigned int n = 1; n <= rounds; n++ )
        run_round(n);
    if ( !bsp_round )
    {
        round_no = 0;                   /* CPU 1 halts */
        finish();
    }

    /*
     * INIT to the BSP, by CPU 1.  xen-lite has no firmware: after INIT
     * every vCPU, the BSP too, waits for a SIPI (see init_all), and CPU
     * 1 sends one.  Natively the BSP would run the firmware instead.
     */
    memset(rec(), 0, R_NR * 4);
    target = 0;
    set_stack(bsp_stack);
    round_no = rounds + 1;
    dirty_state();
    bsp_req = 1;
    for ( ;; )
        cpu_relax();
}

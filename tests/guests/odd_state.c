/*
 * odd_state: segment and descriptor-table state that is unusual but
 * valid, with VM exits taken in it.  A hypervisor that writes back, or
 * checks, the guest's segment caches, TR, LDTR, GDTR, IDTR or RFLAGS
 * after an exit must hand the CPU exactly what the guest had: the VM
 * entry fails otherwise (SDM Vol. 3C 26.3.1.2-26.3.1.5; APM Vol. 2
 * 15.5.1) or the guest runs on with changed state.
 *
 * Every case takes a CPUID (vendor checked), a write and read of the
 * UART scratch register, and where the CPL allows an RDMSR of
 * IA32_APIC_BASE; where its state can take interrupts also a self-IPI
 * through the xAPIC ICR and a LAPIC timer interrupt (in HLT where the
 * CPL allows), each delivered exactly once.  Then it checks that its
 * state is intact and prints one line:
 *   - idt_limit0: IDTR limit 0 with IF = 0 and a self-IPI pending: no
 *     event may come in; with the IDT back, the IPI is taken once;
 *   - idt_wrap: IDTR base 0xffffff00 limit 0xffff, the IPI's and the
 *     timer's gates where 32-bit linear addresses wrap to (0x108);
 *   - gdt_limit7: GDTR limit 7 (only the null descriptor): the segment
 *     registers keep their cached descriptors through the exits;
 *   - null_data: DS, ES, FS and GS hold the null selector (VMX:
 *     unusable) while the exits and interrupts happen; they are still
 *     null after, and a load through DS still raises #GP(0);
 *   - expand_down: SS, DS and ES expand-down (limit 0xfff, B = 1): the
 *     C code runs on them; an offset below the limit still faults
 *     (#SS(0) for SS, #GP(0) for DS), one above does not;
 *   - ldt: LLDT, then FS from the LDT (TI = 1) with a base that is not
 *     page (nor 4-byte) aligned and a byte-granular limit of 0x12345:
 *     reads through FS at 0x10 and at the limit see the right bytes,
 *     the limit + 1 faults; the CPU set the descriptor's accessed bit;
 *   - code16: a 16-bit code segment (D = 0) at an odd base runs the
 *     exits with operand and address prefixes (the ICR write is a
 *     prefixed MMIO store), CS is the 16-bit selector throughout;
 *   - conforming: ring 3 (IOPL 3) jumps into a conforming DPL-0 code
 *     segment: CPL stays 3 (CS.RPL 3 while CS.DPL is 0) through the
 *     exits and the interrupts taken from there to ring 0;
 *   - v86: virtual-8086 mode entered by IRET (IOPL 3, an I/O bitmap
 *     that opens the scratch port): CPUID, port I/O and a timer
 *     interrupt taken to ring 0 and back; INT 0x44 leaves;
 *   - tss16: TR loaded from a 16-bit TSS (busy type 3 after LTR);
 *   - tss16_lm: with that TR, MOV to CR0 turning on long mode (plain,
 *     and with CR0.NE flipped) raises #GP(0) and leaves it off;
 *   - movss_step: TF set, then MOV SS and an intercepted instruction in
 *     its shadow (CPUID, IN, RDMSR): the delayed single-step trap comes
 *     once, after that instruction, with DR6.BS;
 *   - cs_l: a 32-bit code segment with L also set; then (lm_checks)
 *     MOV to CR0 setting PG with EFER.LME and CR4.PAE from it #GP(0),
 *     also with CR0.NE flipped, and leaves paging and long mode off;
 *   - real: real mode (CR0.PE cleared and set again by MOVs that also
 *     flip CR0.NE, which a VMX hypervisor emulates; VMX: unrestricted
 *     guest) with DS and ES still holding 4 GiB limits ("unreal"
 *     mode): the exits, a self-IPI and a timer interrupt in HLT
 *     through a real-mode IVT at 0x6400, the ICR written with an
 *     address-size prefix.
 *
 * seg_checks=0 skips the checks that an access beyond a segment limit,
 * or through a null DS, faults and that a far jump sets the accessed
 * bit of the code segment: QEMU's TCG does none of these (natively and
 * under its SVM alike).  lm_checks=0 skips turning long mode on with CS.L
 * set or a 16-bit TSS in TR: QEMU's TCG allows both (and with CS.L
 * jumps straight into 64-bit code).
 *
 * With a second CPU, that CPU is a watchdog: a case that makes no
 * progress for 5 s fails the test by name instead of hanging the run.
 *
 * Low memory used: 0x6000 counters and results, 0x6400 the real-mode
 * IVT, 0x6800-0x6fff the real-mode and V86 stack, 0x7000 the V86 or
 * real-mode code.
 */
#include "cr.h"
#include "test.h"

const char test_name[] = "odd_state";

#define STR_(x)         #x
#define STR(x)          STR_(x)

#define VEC_SS          12
#define VEC_IPI         0x41
#define VEC_TMR         0x42
#define VEC_V86_BACK    0x44
#define VEC_R3_BACK     0x45

#define LOW_CNT         0x6000      /* IPIs, timer ticks, bad vectors */
#define LOW_OUT         0x6010      /* what the asm cases saw */
#define LOW_IVT         0x6400
#define LOW_STACK       0x6ff0
#define LOW_CODE        0x7000
#define SCRATCH_PORT    0x3ff       /* COM1 scratch register */

/* GDT slots of this test (the last per-CPU slots: it runs on 1 CPU). */
#define I_CODE16        140
#define I_DATA16        141
#define I_CODE16R       142
#define I_EXPDOWN       143
#define I_CONF          144
#define I_LDT           145
#define I_TSS16         146
#define I_TSS32         147
#define I_UCODE         148
#define I_UDATA         149
#define I_CODEL         150
#define SEL(i)          ((i) * 8)
#define SEL_LDT_DATA    0x0c        /* LDT index 1, TI = 1, RPL 0 */

extern uint64_t gdt[];

static volatile uint32_t *const cnt = (volatile uint32_t *)LOW_CNT;
#define N_IPI           (cnt[0])
#define N_TMR           (cnt[1])
#define N_BAD           (cnt[2])
static volatile uint32_t *const out = (volatile uint32_t *)LOW_OUT;

static uint32_t vendor, apic_base_lo;
static bool limits;                 /* seg_checks */
static unsigned int n_cases;
static char names[200];

/* --- descriptors --- */

/* access: P, DPL, S, type; flags: G, D/B, L, AVL (bits 55:52). */
static uint64_t desc(uint32_t base, uint32_t limit, unsigned int access,
                     unsigned int flags)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)access << 40) | ((uint64_t)(limit >> 16 & 0xf) << 48) |
           ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

static bool accessed(unsigned int i)
{
    return gdt[i] & (1ull << 40);
}

struct dtr
{
    uint16_t pad;
    uint16_t limit;
    uint32_t base;
} __attribute__((packed, aligned(4)));

static struct dtr idtr0, gdtr0;

static uint16_t sel_of(int which)
{
    uint16_t s = 0;

    switch ( which )
    {
    case 0: asm volatile ( "mov %%ds, %0" : "=r" (s) ); break;
    case 1: asm volatile ( "mov %%es, %0" : "=r" (s) ); break;
    case 2: asm volatile ( "mov %%fs, %0" : "=r" (s) ); break;
    case 3: asm volatile ( "mov %%gs, %0" : "=r" (s) ); break;
    case 4: asm volatile ( "mov %%ss, %0" : "=r" (s) ); break;
    default: asm volatile ( "mov %%cs, %0" : "=r" (s) ); break;
    }
    return s;
}

/* --- interrupt and fault stubs that need no data segment --- */

/*
 * The self-IPI and the timer: count at a fixed low address (the V86 and
 * real-mode code poll it too) and EOI, with DS loaded for the purpose:
 * the interrupted code's DS may be null, expand-down, or nulled by the
 * CPU on the way out of virtual-8086 mode.
 *
 * #GP and #SS: a fault the test provokes resumes at fault_resume (set
 * just before the instruction, with SS, which every case keeps flat or
 * covering these addresses); any other goes to the library's stub,
 * which fails the test.
 */
uint32_t fault_resume, fault_count, fault_vec, fault_err;
extern const char int_stubs[];

#define IRQ_STUB(name, counter)                                         \
    "   .globl " #name "\n"                                             \
    #name ":\n"                                                         \
    "   pushl %ds\n"                                                    \
    "   pushl %eax\n"                                                   \
    "   movl $" STR(SEL_DATA) ", %eax\n"                                \
    "   movl %eax, %ds\n"                                               \
    "   incl " STR(counter) "\n"                                            \
    "   movl $0, 0xfee000b0\n"                                          \
    "   popl %eax\n"                                                    \
    "   popl %ds\n"                                                     \
    "   iret\n"

#define FAULT_STUB(name, vec)                                           \
    "   .globl " #name "\n"                                             \
    #name ":\n"                                                         \
    "   cmpl $0, %ss:fault_resume\n"                                    \
    "   jne 1f\n"                                                       \
    "   jmp int_stubs + 16 * " #vec "\n"                                \
    "1: pushl %eax\n"                                                   \
    "   movl $" #vec ", %ss:fault_vec\n"                                \
    "   movl 4(%esp), %eax\n"                                           \
    "   movl %eax, %ss:fault_err\n"                                     \
    "   movl %ss:fault_resume, %eax\n"                                  \
    "   movl %eax, 8(%esp)\n"                                           \
    "   movl $0, %ss:fault_resume\n"                                    \
    "   incl %ss:fault_count\n"                                         \
    "   popl %eax\n"                                                    \
    "   addl $4, %esp\n"                                                \
    "   iret\n"

asm (
    "   .text\n"
    IRQ_STUB(irq_ipi_stub, LOW_CNT)
    IRQ_STUB(irq_tmr_stub, LOW_CNT + 4)
    FAULT_STUB(fault_ss_stub, 12)
    FAULT_STUB(fault_gp_stub, 13)
);
extern const char irq_ipi_stub[], irq_tmr_stub[], fault_ss_stub[],
                  fault_gp_stub[];

/*
 * One access that may fault: the vector it raised (with the error code
 * in fault_err), or -1.
 */
#define PROBE(insn, ...)                                                \
    ({                                                                  \
        uint32_t c_ = fault_count;                                      \
        asm volatile ( "movl $1f, %%ss:fault_resume\n\t"                \
                       insn "\n"                                        \
                       "1:\tmovl $0, %%ss:fault_resume"                 \
                       __VA_ARGS__ );                                   \
        fault_count != c_ ? (int)fault_vec : -1;                        \
    })

static void set_gate(unsigned int vec, const void *fn, unsigned int type)
{
    uint32_t *g = (uint32_t *)(idtr0.base + vec * 8);
    uint32_t a = (uint32_t)fn;

    g[0] = (SEL_CODE << 16) | (a & 0xffff);
    g[1] = (a & 0xffff0000) | (type << 8);
}

/* --- the exits, from C --- */

static void arm_timer(uint32_t us)
{
    apic_write(APIC_LVTT, VEC_TMR);
    apic_write(APIC_TMICT, us_to_lapic(us));
}

static void check_basic(const char *c, uint32_t ebx, uint8_t scr,
                        uint8_t want_scr)
{
    CHECK(ebx == vendor, "%s: CPUID.0:EBX %#x, expected %#x", c, ebx,
          vendor);
    CHECK(scr == want_scr, "%s: scratch register read %#x, wrote %#x", c,
          scr, want_scr);
}

/* Wait for the timer in HLT (or spinning), with a bound. */
static void wait_tick(const char *c, uint32_t t0, bool halt)
{
    uint64_t end = deadline_us(2000000);

    while ( N_TMR == t0 )
    {
        if ( halt )
            sti_hlt();
        else
        {
            sti();
            cpu_relax();
        }
        cli();
        CHECK(rdtsc() < end, "%s: no timer interrupt in 2 s", c);
    }
}

static void exits(const char *c, bool irqs)
{
    uint32_t a, b, cx, d, i0 = N_IPI, t0 = N_TMR;
    uint8_t pat = 0x5a ^ (uint8_t)n_cases;

    cpuid(0, 0, &a, &b, &cx, &d);
    outb(SCRATCH_PORT, pat);
    check_basic(c, b, inb(SCRATCH_PORT), pat);
    CHECK((uint32_t)rdmsr(MSR_APIC_BASE) == apic_base_lo, "%s: "
          "IA32_APIC_BASE reads %#x, was %#x", c,
          (uint32_t)rdmsr(MSR_APIC_BASE), apic_base_lo);
    if ( !irqs )
        return;
    arm_timer(1000);
    apic_icr(0, APIC_SH_SELF | VEC_IPI);
    wait_tick(c, t0, true);
    CHECK(N_IPI == i0 + 1 && N_TMR == t0 + 1, "%s: %u self-IPIs and %u "
          "timer interrupts, expected 1 each", c, N_IPI - i0, N_TMR - t0);
}

/*
 * With a second CPU, it watches the first: a case that makes no
 * progress for 5 s (an interrupt lost, a hang in V86 or real mode)
 * fails the test with its name instead of hanging the run.
 */
static volatile uint64_t wd_deadline;
static const char *volatile wd_case;

static void wd_main(void *arg)
{
    (void)arg;
    cli();
    for ( ;; )
    {
        uint64_t dl = wd_deadline;

        if ( dl && rdtsc() > dl )
            test_fail("%s: no progress in 5 s (watchdog on cpu %u)",
                      wd_case, smp_cpu());
        cpu_relax();
    }
}

static void begin(const char *c)
{
    wd_case = c;
    barrier();
    wd_deadline = deadline_us(5000000);
}

static void done(const char *c, const char *what)
{
    wd_deadline = 0;
    CHECK(N_BAD == 0, "%s: a real-mode vector other than the test's",
          c);
    printf("odd_state: %s: %s\n", c, what);
    size_t n = strlen(names);

    if ( n_cases && n < sizeof(names) - 1 )
        names[n++] = ' ';
    for ( ; *c && n < sizeof(names) - 1; c++ )
        names[n++] = *c;
    names[n] = '\0';
    n_cases++;
}

static void lidt(const struct dtr *d)
{
    asm volatile ( "lidt %0" :: "m" (d->limit) : "memory" );
}

static void lgdt(const struct dtr *d)
{
    asm volatile ( "lgdt %0" :: "m" (d->limit) : "memory" );
}

/* --- idt_limit0, gdt_limit7 --- */

static void case_idt_limit0(void)
{
    struct dtr z = { 0, 0, idtr0.base };
    uint32_t i0 = N_IPI;

    begin("idt_limit0");
    cli();
    apic_icr(0, APIC_SH_SELF | VEC_IPI);
    lidt(&z);
    exits("idt_limit0", false);
    lidt(&idtr0);
    CHECK(N_IPI == i0, "idt_limit0: IPI taken with IF = 0");
    sti();
    udelay(1000);
    cli();
    CHECK(N_IPI == i0 + 1, "idt_limit0: pending self-IPI taken %u times "
          "after the IDT came back", N_IPI - i0);
    done("idt_limit0", "exits with IDTR limit 0, IPI taken once after");
}

/*
 * IDTR base 0xffffff00, limit 0xffff: outside 64-bit mode linear
 * addresses are 32 bits, so the gates of vectors 0x20 and up wrap to
 * 8 * vector - 0x100 (SDM Vol. 3A 3.3.1 and 6.10): the IPI's and the
 * timer's gates are written at 0x108 and 0x110 (the real-mode IVT's
 * place, put back after).  No exception may happen meanwhile: vectors
 * 0-31 would read their gates from the top of the address space.
 */
static void case_idt_wrap(void)
{
    struct dtr w = { 0, 0xffff, 0xffffff00 };
    volatile uint32_t *lo = phys(8 * VEC_IPI - 0x100);
    uint32_t keep[4];

    begin("idt_wrap");

    for ( int i = 0; i < 4; i++ )
        keep[i] = lo[i];
    memcpy((void *)lo, (const void *)(idtr0.base + 8 * VEC_IPI), 16);
    cli();
    lidt(&w);
    exits("idt_wrap", true);
    lidt(&idtr0);
    for ( int i = 0; i < 4; i++ )
        lo[i] = keep[i];
    done("idt_wrap", "exits, IPI and timer through gates at IDTR base "
         "0xffffff00 wrapping to 0x108");
}

static void case_gdt_limit7(void)
{
    struct dtr g7 = { 0, 7, gdtr0.base };
    uint16_t before[6], after[6];
    struct dtr now;

    begin("gdt_limit7");
    cli();
    for ( int i = 0; i < 6; i++ )
        before[i] = sel_of(i);
    lgdt(&g7);
    exits("gdt_limit7", false);
    asm volatile ( "sgdt %0" : "=m" (now.limit) );
    /* percpu through GS, the stack through SS: the cached descriptors. */
    CHECK(this_cpu()->index == 0, "gdt_limit7: GS no longer reaches the "
          "per-CPU block");
    for ( int i = 0; i < 6; i++ )
        after[i] = sel_of(i);
    lgdt(&gdtr0);
    CHECK(now.limit == 7 && now.base == gdtr0.base, "gdt_limit7: SGDT "
          "%#x/%#x", now.base, now.limit);
    CHECK(!memcmp(before, after, sizeof(before)), "gdt_limit7: selectors "
          "changed");
    done("gdt_limit7", "exits with GDTR limit 7, segments intact");
}

/* --- null_data --- */

static void case_null_data(void)
{
    uint32_t i0 = N_IPI, t0 = N_TMR;
    int gp;

    begin("null_data");
    cli();
    arm_timer(1000);
    out[3] = 0xffff;
    asm volatile (
        "pushl %%ds; pushl %%es; pushl %%fs; pushl %%gs\n\t"
        "xorl %%eax, %%eax\n\t"
        "movl %%eax, %%ds; movl %%eax, %%es\n\t"
        "movl %%eax, %%fs; movl %%eax, %%gs\n\t"
        "xorl %%ecx, %%ecx\n\t"
        "cpuid\n\t"
        "movl %%ebx, %%ss:" STR(LOW_OUT) "\n\t"
        "movb $0xc3, %%al\n\t"
        "movw $" STR(SCRATCH_PORT) ", %%dx\n\t"
        "outb %%al, %%dx\n\t"
        "movb $0, %%al\n\t"
        "inb %%dx, %%al\n\t"
        "movb %%al, %%ss:" STR(LOW_OUT) "+4\n\t"
        "movl $0x1b, %%ecx\n\t"
        "rdmsr\n\t"
        "movl %%eax, %%ss:" STR(LOW_OUT) "+8\n\t"
        "movl %%ss:" STR(LOW_CNT) "+4, %%esi\n\t"
        "movl $" STR(APIC_SH_SELF) "+" STR(VEC_IPI) ", %%ss:0xfee00300\n\t"
        "1: sti; hlt; cli\n\t"
        "cmpl %%ss:" STR(LOW_CNT) "+4, %%esi\n\t"
        "je 1b\n\t"
        "movl %%ds, %%eax; movl %%es, %%ecx\n\t"
        "orl %%ecx, %%eax; movl %%fs, %%ecx; orl %%ecx, %%eax\n\t"
        "movl %%gs, %%ecx; orl %%ecx, %%eax\n\t"
        "movl %%eax, %%ss:" STR(LOW_OUT) "+12\n\t"
        /* Still unusable: a load through DS faults. */
        "movl $2f, %%ss:fault_resume\n\t"
        "movl %%ds:" STR(LOW_CNT) ", %%eax\n\t"
        "2: movl $0, %%ss:fault_resume\n\t"
        "popl %%gs; popl %%fs; popl %%es; popl %%ds"
        ::: "eax", "ebx", "ecx", "edx", "esi", "memory" );
    check_basic("null_data", out[0], out[1], 0xc3);
    CHECK(out[2] == apic_base_lo, "null_data: RDMSR gave %#x", out[2]);
    CHECK(out[3] == 0, "null_data: selectors %#x after the exits, not 0",
          out[3]);
    gp = fault_count;
    if ( limits )
        CHECK(gp == 1 && fault_vec == VEC_GP && fault_err == 0, "null_data: "
              "a load through the null DS raised %u faults (vector %u "
              "error %#x), expected one #GP(0)", gp, fault_vec, fault_err);
    fault_count = 0;
    CHECK(N_IPI == i0 + 1 && N_TMR == t0 + 1, "null_data: %u IPIs, %u "
          "ticks", N_IPI - i0, N_TMR - t0);
    done("null_data", limits ? "exits, IPI and timer with DS/ES/FS/GS "
         "null; DS still faults" : "exits, IPI and timer with DS/ES/FS/GS "
         "null");
}

/* --- expand_down --- */

static void case_expand_down(void)
{
    int x, y, z;

    begin("expand_down");
    gdt[I_EXPDOWN] = desc(0, 0xfff, 0x96, 0x4);
    cli();
    asm volatile ( "movl %0, %%ds; movl %0, %%es; movl %0, %%ss"
                   :: "r" (SEL(I_EXPDOWN)) : "memory" );
    exits("expand_down", true);
    x = PROBE("movl %%ds:0x800, %%eax", ::: "eax", "memory");
    y = PROBE("movl %%ss:0x800, %%eax", ::: "eax", "memory");
    z = PROBE("movl %%ds:0x1000, %%eax", ::: "eax", "memory");
    asm volatile ( "movl %0, %%ds; movl %0, %%es; movl %0, %%ss"
                   :: "r" (SEL_DATA) : "memory" );
    CHECK(accessed(I_EXPDOWN), "expand_down: accessed bit not set");
    CHECK(z < 0, "expand_down: DS:0x1000 raised vector %d", z);
    if ( limits )
    {
        CHECK(x == VEC_GP, "expand_down: DS:0x800 raised vector %d, "
              "expected #GP", x);
        CHECK(y == VEC_SS, "expand_down: SS:0x800 raised vector %d, "
              "expected #SS", y);
    }
    fault_count = 0;
    done("expand_down", limits ? "SS/DS/ES expand-down through the exits, "
         "limits still fault" : "SS/DS/ES expand-down through the exits "
         "(limits not checked: seg_checks=0)");
}

/* --- ldt --- */

static uint64_t ldt[2];
static uint8_t ldt_area[0x12350];

static void case_ldt(void)
{
    uint32_t base = (uint32_t)ldt_area + 3;
    uint8_t b10 = 0, blim = 0;
    uint16_t fs, ldtr;
    int x;

    begin("ldt");
    ldt_area[3 + 0x10] = 0x11;
    ldt_area[3 + 0x12345] = 0x45;
    ldt[1] = desc(base, 0x12345, 0x92, 0x4);
    gdt[I_LDT] = desc((uint32_t)ldt, sizeof(ldt) - 1, 0x82, 0);
    cli();
    asm volatile ( "lldt %w0; movl %1, %%fs"
                   :: "r" (SEL(I_LDT)), "r" (SEL_LDT_DATA) : "memory" );
    exits("ldt", true);
    asm volatile ( "movb %%fs:0x10, %0; movb %%fs:0x12345, %1"
                   : "=q" (b10), "=q" (blim) );
    x = PROBE("movb %%fs:0x12346, %%al", ::: "eax", "memory");
    fs = sel_of(2);
    asm volatile ( "sldt %0" : "=r" (ldtr) );
    asm volatile ( "movl %0, %%fs; lldt %w1"
                   :: "r" (SEL_DATA), "r" (0) : "memory" );
    CHECK(fs == SEL_LDT_DATA && ldtr == SEL(I_LDT), "ldt: FS %#x LDTR %#x",
          fs, ldtr);
    CHECK(b10 == 0x11 && blim == 0x45, "ldt: FS:0x10 %#x, FS:0x12345 %#x",
          b10, blim);
    CHECK(ldt[1] & (1ull << 40), "ldt: accessed bit not set");
    if ( limits )
        CHECK(x == VEC_GP && fault_err == 0, "ldt: FS:0x12346 raised "
              "vector %d error %#x, expected #GP(0)", x, fault_err);
    fault_count = 0;
    done("ldt", "FS from the LDT, odd base, byte limit 0x12345");
}

/* --- code16 --- */

asm (
    "   .text\n"
    "   .align 16\n"
    "   .skip 5\n"
    "   .globl c16_start\n"
    "c16_start:\n"
    "   .code16\n"
    "   xorl %eax, %eax\n"
    "   xorl %ecx, %ecx\n"
    "   cpuid\n"
    "   movl %ebx, %ss:" STR(LOW_OUT) "\n"
    "   movb $0x69, %al\n"
    "   movw $" STR(SCRATCH_PORT) ", %dx\n"
    "   outb %al, %dx\n"
    "   movb $0, %al\n"
    "   inb %dx, %al\n"
    "   movb %al, %ss:" STR(LOW_OUT) "+4\n"
    "   movl $0x1b, %ecx\n"
    "   rdmsr\n"
    "   movl %eax, %ss:" STR(LOW_OUT) "+8\n"
    "   movl %ss:" STR(LOW_CNT) "+4, %esi\n"
    "   addr32 movl $" STR(APIC_SH_SELF) "+" STR(VEC_IPI) ", %ds:0xfee00300\n"
    "1: sti\n"
    "   hlt\n"
    "   cli\n"
    "   cmpl %ss:" STR(LOW_CNT) "+4, %esi\n"
    "   je 1b\n"
    "   movw %cs, %ss:" STR(LOW_OUT) "+12\n"
    "   ljmpl $" STR(SEL_CODE) ", $c16_back\n"
    "   .code32\n"
    "c16_back:\n"
    "   ret\n"
    "   .globl c16_run\n"
    "c16_run:\n"
    "   pushal\n"
    "   call 1f\n"
    "   popal\n"
    "   ret\n"
    "1: ljmp $" STR(SEL(I_CODE16)) ", $0\n"
);
extern const char c16_start[];
extern void c16_run(void);

static void case_code16(void)
{
    uint32_t i0 = N_IPI, t0 = N_TMR;

    begin("code16");
    gdt[I_CODE16] = desc((uint32_t)c16_start, 0xffff, 0x9a, 0);
    cli();
    arm_timer(1000);
    out[3] = 0;
    c16_run();
    check_basic("code16", out[0], out[1], 0x69);
    CHECK(out[2] == apic_base_lo, "code16: RDMSR gave %#x", out[2]);
    CHECK((out[3] & 0xffff) == SEL(I_CODE16), "code16: CS %#x",
          out[3] & 0xffff);
    if ( limits )
        CHECK(accessed(I_CODE16), "code16: accessed bit not set");
    CHECK(N_IPI == i0 + 1 && N_TMR == t0 + 1, "code16: %u IPIs, %u ticks",
          N_IPI - i0, N_TMR - t0);
    done("code16", "exits, prefixed ICR write and HLT in a 16-bit code "
         "segment at an odd base");
}

/* --- conforming (ring 3) and v86: a 32-bit TSS --- */

static struct
{
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t gpr[8], seg[6], ldt;
    uint16_t trap, iomap;
    uint8_t bitmap[0x81];
} __attribute__((packed)) tss32;
static uint8_t kstack[4096] __attribute__((aligned(16)));
uint8_t ustack[4096] __attribute__((aligned(16)));
uint32_t saved_esp;

asm (
    "   .text\n"
    "   .globl r3_run, r3_back\n"
    "r3_run:\n"
    "   pushal\n"
    "   movl %esp, saved_esp\n"
    "   pushl $" STR(SEL(I_UDATA) + 3) "\n"
    "   pushl $ustack + 4096\n"
    "   pushl $0x3002\n"
    "   pushl $" STR(SEL(I_UCODE) + 3) "\n"
    "   pushl $1f\n"
    "   iret\n"
    "1: movl $" STR(SEL(I_UDATA) + 3) ", %eax\n"
    "   movl %eax, %ds\n"
    "   movl %eax, %es\n"
    "   ljmp $" STR(SEL(I_CONF)) ", $2f\n"
    "2: movw %cs, " STR(LOW_OUT) "+12\n"
    "   xorl %eax, %eax\n"
    "   xorl %ecx, %ecx\n"
    "   cpuid\n"
    "   movl %ebx, " STR(LOW_OUT) "\n"
    "   movb $0x78, %al\n"
    "   movw $" STR(SCRATCH_PORT) ", %dx\n"
    "   outb %al, %dx\n"
    "   movb $0, %al\n"
    "   inb %dx, %al\n"
    "   movb %al, " STR(LOW_OUT) "+4\n"
    "   movl " STR(LOW_CNT) "+4, %esi\n"
    "   movl $" STR(APIC_SH_SELF) "+" STR(VEC_IPI) ", 0xfee00300\n"
    "   sti\n"
    "3: pause\n"
    "   cmpl " STR(LOW_CNT) "+4, %esi\n"
    "   je 3b\n"
    "   cli\n"
    "   movw %cs, " STR(LOW_OUT) "+14\n"
    "   int $" STR(VEC_R3_BACK) "\n"
    "r3_back:\n"
    "   pushl $2\n"                     /* IOPL back to 0 */
    "   popfl\n"
    "   movl $" STR(SEL_DATA) ", %eax\n"
    "   movl %eax, %ds\n"
    "   movl %eax, %es\n"
    "   movl %eax, %ss\n"
    "   movl saved_esp, %esp\n"
    "   popal\n"
    "   ret\n"
);
extern void r3_run(void);
extern const char r3_back[];

static void setup_tss32(void)
{
    memset(&tss32, 0, sizeof(tss32));
    tss32.ss0 = SEL_DATA;
    tss32.esp0 = (uint32_t)kstack + sizeof(kstack);
    tss32.iomap = offsetof(typeof(tss32), bitmap);
    memset(tss32.bitmap, 0xff, sizeof(tss32.bitmap));
    tss32.bitmap[SCRATCH_PORT / 8] &= ~(1u << (SCRATCH_PORT % 8));
    gdt[I_TSS32] = desc((uint32_t)&tss32, sizeof(tss32) - 1, 0x89, 0);
    asm volatile ( "ltr %w0" :: "r" (SEL(I_TSS32)) : "memory" );
}

static void case_conforming(void)
{
    uint16_t fs = sel_of(2), gs = sel_of(3);
    uint32_t i0 = N_IPI, t0 = N_TMR;

    begin("conforming");
    gdt[I_CONF] = desc(0, 0xfffff, 0x9e, 0xc);
    gdt[I_UCODE] = desc(0, 0xfffff, 0xfa, 0xc);
    gdt[I_UDATA] = desc(0, 0xfffff, 0xf2, 0xc);
    cli();
    arm_timer(1000);
    out[3] = 0;
    r3_run();
    /* IRET to ring 3 nulled FS and GS (DPL 0). */
    asm volatile ( "movl %0, %%fs; movl %1, %%gs" :: "r" ((uint32_t)fs),
                   "r" ((uint32_t)gs) : "memory" );
    check_basic("conforming", out[0], out[1], 0x78);
    CHECK(out[3] == ((SEL(I_CONF) + 3) | (SEL(I_CONF) + 3) << 16),
          "conforming: CS %#x before and %#x after the interrupts, "
          "expected %#x (RPL 3)", out[3] & 0xffff, out[3] >> 16,
          SEL(I_CONF) + 3);
    if ( limits )
        CHECK(accessed(I_CONF), "conforming: accessed bit not set");
    CHECK(N_IPI == i0 + 1 && N_TMR == t0 + 1, "conforming: %u IPIs, %u "
          "ticks", N_IPI - i0, N_TMR - t0);
    done("conforming", "CPL 3 in a conforming DPL-0 code segment");
}

/*
 * Virtual-8086 mode: code copied to 0x7000 (CS 0x0700), DS and SS 0.
 * The timer interrupt goes to ring 0 (TSS esp0) and back; INT 0x44
 * (a DPL-3 gate) leaves for good.
 */
asm (
    "   .text\n"
    "   .globl v86_code, v86_code_end, v86_run, v86_back\n"
    "v86_code:\n"
    "   .code16\n"
    "   xorl %eax, %eax\n"
    "   xorl %ecx, %ecx\n"
    "   cpuid\n"
    "   movl %ebx, " STR(LOW_OUT) "\n"
    "   movb $0x96, %al\n"
    "   movw $" STR(SCRATCH_PORT) ", %dx\n"
    "   outb %al, %dx\n"
    "   movb $0, %al\n"
    "   inb %dx, %al\n"
    "   movb %al, " STR(LOW_OUT) "+4\n"
    "   movl " STR(LOW_CNT) "+4, %esi\n"
    "   sti\n"
    "1: cmpl " STR(LOW_CNT) "+4, %esi\n"
    "   je 1b\n"
    "   cli\n"
    "   pushfl\n"
    "   popl %eax\n"
    "   movl %eax, " STR(LOW_OUT) "+8\n"
    "   movw %cs, " STR(LOW_OUT) "+12\n"
    "   int $" STR(VEC_V86_BACK) "\n"
    "   .code32\n"
    "v86_code_end:\n"
    "v86_run:\n"
    "   pushal\n"
    "   movl %esp, saved_esp\n"
    "   pushl $0\n"                     /* GS */
    "   pushl $0\n"                     /* FS */
    "   pushl $0\n"                     /* DS */
    "   pushl $0\n"                     /* ES */
    "   pushl $0\n"                     /* SS */
    "   pushl $" STR(LOW_STACK) "\n"
    "   pushl $0x23002\n"               /* VM, IOPL 3, IF 0 */
    "   pushl $" STR(LOW_CODE >> 4) "\n"
    "   pushl $0\n"
    "   iret\n"
    "v86_back:\n"
    "   pushl $2\n"                     /* IOPL back to 0 */
    "   popfl\n"
    "   movl $" STR(SEL_DATA) ", %eax\n"
    "   movl %eax, %ds\n"
    "   movl %eax, %es\n"
    "   movl saved_esp, %esp\n"
    "   popal\n"
    "   ret\n"
);
extern const char v86_code[], v86_code_end[], v86_back[];
extern void v86_run(void);

static void case_v86(void)
{
    uint16_t fs = sel_of(2), gs = sel_of(3);
    uint32_t t0 = N_TMR;

    begin("v86");
    memcpy(phys(LOW_CODE), v86_code, v86_code_end - v86_code);
    cli();
    arm_timer(1000);
    out[2] = out[3] = 0;
    v86_run();
    asm volatile ( "movl %0, %%fs; movl %1, %%gs" :: "r" ((uint32_t)fs),
                   "r" ((uint32_t)gs) : "memory" );
    check_basic("v86", out[0], out[1], 0x96);
    CHECK((out[2] & 0x3000) == 0x3000, "v86: EFLAGS %#x in V86, IOPL not "
          "3", out[2]);
    CHECK((out[3] & 0xffff) == LOW_CODE >> 4, "v86: CS %#x",
          out[3] & 0xffff);
    CHECK(N_TMR == t0 + 1, "v86: %u ticks", N_TMR - t0);
    done("v86", "CPUID, port I/O and a timer interrupt in virtual-8086 "
         "mode");
}

/* --- tss16 --- */

static struct
{
    uint16_t link, sp0, ss0, sp1, ss1, sp2, ss2, ip, flags;
    uint16_t gpr[8], seg[4], ldt;
} __attribute__((packed)) tss16;

static void case_tss16(void)
{
    uint16_t tr;

    begin("tss16");
    memset(&tss16, 0, sizeof(tss16));
    gdt[I_TSS16] = desc((uint32_t)&tss16, sizeof(tss16) - 1, 0x81, 0);
    cli();
    asm volatile ( "ltr %w0" :: "r" (SEL(I_TSS16)) : "memory" );
    CHECK(((gdt[I_TSS16] >> 40) & 0xf) == 3, "tss16: descriptor type %u "
          "after LTR, expected 3 (busy)",
          (unsigned int)(gdt[I_TSS16] >> 40) & 0xf);
    exits("tss16", true);
    asm volatile ( "str %0" : "=r" (tr) );
    CHECK(tr == SEL(I_TSS16), "tss16: TR %#x", tr);
    done("tss16", "TR a busy 16-bit TSS through the exits");
}

/*
 * With the 16-bit TSS still in TR, long mode cannot be turned on: MOV
 * to CR0 setting PG with EFER.LME and CR4.PAE raises #GP(0) (SDM Vol.
 * 2B MOV CR, protected-mode exceptions), so the CPU never runs IA-32e
 * mode with a TR of type 3, which a VM entry refuses (SDM Vol. 3C
 * 26.3.1.2).  Once by a plain MOV, once with CR0.NE flipped (a VMX
 * hypervisor emulates that MOV; SVM's intercepts every CR0 write).
 */
static bool lm_checks;

static int try_long_mode(bool flip_ne, uint32_t *cr0_after,
                         uint64_t *efer_after)
{
    uint32_t cr0 = read_cr0(), cr4 = read_cr4();
    uint64_t efer = rdmsr(MSR_EFER);
    int x;

    write_cr3(paging_identity_long());
    write_cr4(cr4 | CR4_PAE);
    wrmsr(MSR_EFER, efer | EFER_LME);
    x = PROBE("movl %%eax, %%cr0", :: "a" ((cr0 | CR0_PG) ^
                                           (flip_ne ? CR0_NE : 0))
              : "memory");
    *cr0_after = read_cr0();
    *efer_after = rdmsr(MSR_EFER);
    write_cr0(cr0);
    wrmsr(MSR_EFER, efer);
    write_cr4(cr4);
    return x;
}

static void check_refused(const char *c, int x, int y, uint32_t cr0,
                          uint64_t efer)
{
    CHECK(x == VEC_GP && y == VEC_GP, "%s: CR0.PG with EFER.LME raised "
          "vector %d (%d with NE flipped), expected #GP", c, x, y);
    CHECK(fault_err == 0, "%s: #GP error %#x", c, fault_err);
    CHECK(!(cr0 & CR0_PG) && !(efer & EFER_LMA), "%s: CR0 %#x EFER "
          "%#llx after the refused MOVs", c, cr0, (unsigned long long)efer);
    fault_count = 0;
}

static void case_tss16_lm(void)
{
    uint32_t cr0;
    uint64_t efer;
    uint16_t tr;
    int x, y;

    begin("tss16_lm");
    if ( !lm_checks )
    {
        done("tss16_lm", "not tried (lm_checks=0)");
        return;
    }
    cli();
    x = try_long_mode(false, &cr0, &efer);
    y = try_long_mode(true, &cr0, &efer);
    asm volatile ( "str %0" : "=r" (tr) );
    check_refused("tss16_lm", x, y, cr0, efer);
    CHECK(tr == SEL(I_TSS16), "tss16_lm: TR %#x", tr);
    done("tss16_lm", "long mode refused with a 16-bit TSS in TR");
}

/* --- movss_step --- */

#define VEC_DB          1
#define DR6_BS          (1u << 14)

static volatile uint32_t n_db, db_eip, db_dr6;

static void on_db(struct regs *r)
{
    uint32_t dr6;

    asm volatile ( "mov %%dr6, %0" : "=r" (dr6) );
    n_db++;
    db_eip = r->eip;
    db_dr6 = dr6;
    r->eflags &= ~(1u << 8);
}

/*
 * POPF sets TF: the single-step trap is due after the next instruction,
 * a MOV to SS, which delays it past one more instruction (SDM Vol. 3A
 * 6.8.3): an intercepted one here.  Exactly one #DB, after that
 * instruction, with DR6.BS.  A VM exit in the MOV SS shadow saves the
 * trap as a pending debug exception (SDM Vol. 3C 27.3.4) beside the
 * blocking; the hypervisor that completes the instruction delivers it.
 */
#define MOVSS_STEP(insn, end, ...)                                      \
    asm volatile ( "mov %%ss, %%ebp\n\t"                                 \
                   "pushf\n\t"                                          \
                   "orl $0x100, (%%esp)\n\t"                            \
                   "popf\n\t"                                           \
                   "mov %%ebp, %%ss\n\t"                                 \
                   insn "\n"                                            \
                   "1:\n\t"                                             \
                   "movl $1b, %[e]"                                     \
                   : [e] "=m" (end), ##__VA_ARGS__ )

static void step_check(const char *what, uint32_t end)
{
    CHECK(n_db == 1, "movss_step: %s: %u #DBs, expected 1", what, n_db);
    CHECK(db_eip == end, "movss_step: %s: #DB at %#x, expected %#x", what,
          db_eip, end);
    CHECK(db_dr6 & DR6_BS, "movss_step: %s: DR6 %#x without BS", what,
          db_dr6);
    n_db = 0;
    asm volatile ( "mov %0, %%dr6" :: "r" (0xffff0ff0u) );
}

static void case_movss_step(void)
{
    uint32_t end, a, b, c, d;
    uint8_t v;

    begin("movss_step");
    idt_set_handler(VEC_DB, on_db);
    cli();
    asm volatile ( "mov %0, %%dr6" :: "r" (0xffff0ff0u) );
    a = c = 0;
    MOVSS_STEP("cpuid", end, "+a" (a), "=b" (b), "+c" (c), "=d" (d)
               :: "ebp", "memory");
    step_check("CPUID", end);
    CHECK(b == vendor, "movss_step: CPUID.0:EBX %#x", b);
    outb(SCRATCH_PORT, 0x3c);
    MOVSS_STEP("inb %%dx, %%al", end, "=a" (v) : "d" (SCRATCH_PORT)
               : "ebp", "memory");
    step_check("IN", end);
    CHECK(v == 0x3c, "movss_step: IN gave %#x", v);
    MOVSS_STEP("rdmsr", end, "=a" (a), "=d" (d) : "c" (MSR_APIC_BASE)
               : "ebp", "memory");
    step_check("RDMSR", end);
    CHECK(a == apic_base_lo, "movss_step: RDMSR gave %#x", a);
    idt_set_handler(VEC_DB, NULL);
    done("movss_step", "TF with an exit in the MOV SS shadow: one #DB "
         "after CPUID, IN, RDMSR");
}

/* --- cs_l --- */

/*
 * A 32-bit code segment whose descriptor also has L set: outside IA-32e
 * mode L means nothing, so the exits run as in any 32-bit segment.  But
 * long mode cannot be activated from it: MOV to CR0 setting PG with
 * EFER.LME raises #GP(0) while CS.L is 1 (Intel SDM Vol. 2B "MOV-Move
 * to/from Control Registers"; Bochs and KVM check it too), so the CPU
 * never runs with CS.L and CS.D both set in long mode, which a VM entry
 * refuses (SDM Vol. 3C 26.3.1.2; APM Vol. 2 15.5.1 for VMRUN).  Both as
 * a plain MOV and with CR0.NE flipped, which makes a VMX hypervisor
 * emulate the MOV.
 */
static void case_cs_l(void)
{
    uint32_t cr0 = 0;
    uint64_t efer = 0;
    int x = -1, y = -1;

    begin("cs_l");
    /* A 32-bit TSS in TR (not busy again first): only CS.L in the way. */
    gdt[I_TSS32] &= ~(2ull << 40);
    asm volatile ( "ltr %w0" :: "r" (SEL(I_TSS32)) : "memory" );
    gdt[I_CODEL] = desc(0, 0xfffff, 0x9a, 0xe);
    cli();
    asm volatile ( "ljmp $" STR(SEL(I_CODEL)) ", $1f\n1:" ::: "memory" );
    exits("cs_l", true);
    if ( lm_checks )
    {
        x = try_long_mode(false, &cr0, &efer);
        y = try_long_mode(true, &cr0, &efer);
    }
    asm volatile ( "ljmp $" STR(SEL_CODE) ", $1f\n1:" ::: "memory" );
    if ( lm_checks )
        check_refused("cs_l", x, y, cr0, efer);
    done("cs_l", lm_checks ? "exits in a 32-bit segment with L set; "
         "long mode refused from it" : "exits in a 32-bit segment with L "
         "set (activation not tried: lm_checks=0)");
}

/* --- real --- */

asm (
    "   .text\n"
    "   .globl rm_code, rm_code_end, rm_isr_ipi, rm_isr_tmr, rm_isr_bad\n"
    "   .globl rm_run\n"
    "rm_code:\n"
    "   .code16\n"
    "   movl %cr0, %eax\n"
    "   andl $0xfffffffe, %eax\n"
    "   xorl $" STR(CR0_NE) ", %eax\n"     /* VMX: the MOV exits */
    "   movl %eax, %cr0\n"
    "   ljmp $" STR(LOW_CODE >> 4) ", $(1f - rm_code)\n"
    "1: xorw %ax, %ax\n"
    "   movw %ax, %ss\n"
    "   movw $" STR(LOW_STACK) ", %sp\n"
    "   xorl %eax, %eax\n"
    "   xorl %ecx, %ecx\n"
    "   cpuid\n"
    "   movl %ebx, " STR(LOW_OUT) "\n"
    "   movb $0xa5, %al\n"
    "   movw $" STR(SCRATCH_PORT) ", %dx\n"
    "   outb %al, %dx\n"
    "   movb $0, %al\n"
    "   inb %dx, %al\n"
    "   movb %al, " STR(LOW_OUT) "+4\n"
    "   movl $0x1b, %ecx\n"
    "   rdmsr\n"
    "   movl %eax, " STR(LOW_OUT) "+8\n"
    "   movl " STR(LOW_CNT) "+4, %esi\n"
    "   addr32 movl $" STR(APIC_SH_SELF) "+" STR(VEC_IPI) ", %es:0xfee00300\n"
    "2: sti\n"
    "   hlt\n"
    "   cli\n"
    "   cmpl " STR(LOW_CNT) "+4, %esi\n"
    "   je 2b\n"
    "   movw %cs, " STR(LOW_OUT) "+12\n"
    "   movl %cr0, %eax\n"
    "   orl $1, %eax\n"
    "   xorl $" STR(CR0_NE) ", %eax\n"
    "   movl %eax, %cr0\n"
    "   ljmpl $" STR(SEL_CODE) ", $rm_back\n"
    "rm_isr_ipi:\n"
    "   incl %es:" STR(LOW_CNT) "\n"
    "   addr32 movl $0, %es:0xfee000b0\n"
    "   iret\n"
    "rm_isr_tmr:\n"
    "   incl %es:" STR(LOW_CNT) "+4\n"
    "   addr32 movl $0, %es:0xfee000b0\n"
    "   iret\n"
    "rm_isr_bad:\n"
    "   incl %es:" STR(LOW_CNT) "+8\n"
    "   iret\n"
    "   .code32\n"
    "rm_code_end:\n"
    "rm_run:\n"
    "   pushal\n"
    "   movl %esp, saved_esp\n"
    "   movl $" STR(SEL_DATA) ", %eax\n"
    "   movl %eax, %ds\n"
    "   movl %eax, %es\n"
    "   movl $" STR(SEL(I_DATA16)) ", %eax\n"
    "   movl %eax, %ss\n"
    "   movl $" STR(LOW_STACK) ", %esp\n"
    "   ljmp $" STR(SEL(I_CODE16R)) ", $" STR(LOW_CODE) "\n"
    "rm_back:\n"
    "   movl $" STR(SEL_DATA) ", %eax\n"
    "   movl %eax, %ds\n"
    "   movl %eax, %es\n"
    "   movl %eax, %ss\n"
    "   movl saved_esp, %esp\n"
    "   popal\n"
    "   ret\n"
);
extern const char rm_code[], rm_code_end[], rm_isr_ipi[], rm_isr_tmr[],
                  rm_isr_bad[];
extern void rm_run(void);

static void case_real(void)
{
    volatile uint32_t *ivt = phys(LOW_IVT);
    struct dtr rm_idt = { 0, 0x3ff, LOW_IVT };
    uint32_t seg = (LOW_CODE >> 4) << 16, i0 = N_IPI, t0 = N_TMR;

    begin("real");
    for ( unsigned int v = 0; v < 256; v++ )
        ivt[v] = seg | (uint32_t)(rm_isr_bad - rm_code);
    ivt[VEC_IPI] = seg | (uint32_t)(rm_isr_ipi - rm_code);
    ivt[VEC_TMR] = seg | (uint32_t)(rm_isr_tmr - rm_code);
    memcpy(phys(LOW_CODE), rm_code, rm_code_end - rm_code);
    gdt[I_DATA16] = desc(0, 0xffff, 0x93, 0);
    gdt[I_CODE16R] = desc(0, 0xffff, 0x9b, 0);
    cli();
    arm_timer(1000);
    out[3] = 0;
    lidt(&rm_idt);
    rm_run();
    lidt(&idtr0);
    check_basic("real", out[0], out[1], 0xa5);
    CHECK(out[2] == apic_base_lo, "real: RDMSR gave %#x", out[2]);
    CHECK((out[3] & 0xffff) == LOW_CODE >> 4, "real: CS %#x",
          out[3] & 0xffff);
    CHECK(N_IPI == i0 + 1 && N_TMR == t0 + 1, "real: %u IPIs, %u ticks",
          N_IPI - i0, N_TMR - t0);
    done("real", "exits, self-IPI and timer in HLT in (unreal) real mode");
}

void test_main(void)
{
    uint32_t a, c, d;

    limits = env_u32("seg_checks", 1);
    lm_checks = env_u32("lm_checks", 1);
    if ( platform_init(APIC_MODE_XAPIC, true) > 1 )
        smp_call(1, wd_main, NULL);
    else
        printf("odd_state: one CPU, no watchdog\n");
    apic_write(APIC_TDCR, APIC_TDCR_DIV1);
    cpuid(0, 0, &a, &vendor, &c, &d);
    apic_base_lo = (uint32_t)rdmsr(MSR_APIC_BASE);
    memset(phys(LOW_CNT), 0, 0x20);
    asm volatile ( "sidt %0" : "=m" (idtr0.limit) );
    asm volatile ( "sgdt %0" : "=m" (gdtr0.limit) );
    set_gate(VEC_IPI, irq_ipi_stub, 0x8e);
    set_gate(VEC_TMR, irq_tmr_stub, 0x8e);
    set_gate(VEC_SS, fault_ss_stub, 0x8e);
    set_gate(VEC_GP, fault_gp_stub, 0x8e);
    set_gate(VEC_V86_BACK, v86_back, 0xee);
    set_gate(VEC_R3_BACK, r3_back, 0xee);

    case_idt_limit0();
    case_idt_wrap();
    case_gdt_limit7();
    case_null_data();
    case_expand_down();
    case_ldt();
    case_code16();
    setup_tss32();
    case_conforming();
    case_v86();
    case_tss16();
    case_tss16_lm();
    case_movss_step();
    case_cs_l();
    case_real();
    sti();
    test_pass("%u cases: %s", n_cases, names);
}

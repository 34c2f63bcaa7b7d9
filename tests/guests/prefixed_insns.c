/*
 * prefixed_insns: instructions a hypervisor intercepts, with prefixes in
 * front, run exactly once and resume right after their last byte.  SVM
 * without NRIP-save reports only where the instruction starts, so a
 * hypervisor that adds a fixed length lands inside it: `3e 3e 0f a2`
 * would run CPUID twice (the second time with the first's EAX as leaf),
 * a prefixed WRMSR twice, a prefixed HLT twice, and a prefixed VMMCALL's
 * tail (`01 d9`) as ADD ECX, EBX.  Checked from ring 0:
 *   - CPUID leaf 0 with 1, 2, 3 and 13 prefixes (15 bytes, the limit)
 *     returns the largest leaf, as unprefixed;
 *   - 14 prefixes (16 bytes) raise #GP(0) at the first byte, once;
 *   - a prefixed WRMSR to the x2APIC SELF IPI register sends one IPI;
 *   - a prefixed HLT waits for one timer tick, not two;
 *   - a prefixed VMMCALL (VMCALL on Intel) returns what the plain one
 *     does and leaves ECX alone;
 *   - INVD, plain and prefixed, runs and execution goes on after it;
 * and from ring 3 (TSS, DPL-3 segments, INT 0x80 back): prefixed CPUIDs.
 * Natively (no xen-lite CPUID leaves) there is no hypercall to make and
 * that check is left out; without x2APIC, the WRMSR one.
 */
#include "hypercall.h"
#include "test.h"

const char test_name[] = "prefixed_insns";

#define VEC_SELF        0x40
#define VEC_BACK        0x80
#define MSR_X2APIC_SELF_IPI 0x83f

#define P2  "0x3e, 0x3e, "
#define P13 "0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, " \
            "0x2e, 0x26, 0x66, 0xf3, "

#define CPUID_WITH(name, bytes)                                         \
    static uint32_t name(void)                                          \
    {                                                                   \
        uint32_t a = 0, c = 0;                                          \
        asm volatile ( ".byte " bytes "0x0f, 0xa2"                      \
                       : "+a" (a), "+c" (c) :: "ebx", "edx" );         \
        return a;                                                       \
    }

CPUID_WITH(cpuid_1, "0x3e, ")
CPUID_WITH(cpuid_2, P2)
CPUID_WITH(cpuid_3, "0xf3, 0x2e, 0x66, ")
CPUID_WITH(cpuid_13, P13)

static volatile uint32_t gp_count, fault_eip, self_ipis;
static bool did_wrmsr, did_hcall;

static void on_gp(struct regs *r)
{
    if ( r->eip != fault_eip )
        test_fail("exception 13 at %#x error %#x (expected only at %#x)",
                  r->eip, r->error, fault_eip);
    CHECK(r->error == 0, "#GP error code %#x, expected 0", r->error);
    gp_count++;
    r->eip += 16;
}

/* 14 prefixes and CPUID: 16 bytes, one over the limit. */
static bool cpuid_16_faults(void)
{
    uint32_t before = gp_count, a = 0x12345678, c = 0;

    asm volatile ( "movl $1f, %[fe]\n\t"
                   "1: .byte " P13 "0x3e, 0x0f, 0xa2"
                   : [fe] "=m" (fault_eip), "+a" (a), "+c" (c)
                   :: "ebx", "edx", "memory" );
    CHECK(a == 0x12345678, "the 16-byte CPUID changed EAX to %#x", a);
    return gp_count == before + 1;
}

static void on_self(struct regs *r)
{
    (void)r;
    self_ipis++;
    apic_eoi();
}

static bool amd(void)
{
    uint32_t a, b, c, d;

    cpuid(0, 0, &a, &b, &c, &d);
    return b == 0x68747541;             /* "Auth" */
}

/* An unknown hypercall, plain or with two DS prefixes; ECX back. */
static uint32_t hcall(bool prefixed, uint32_t *ecx)
{
    uint32_t ret = 0x7ff0, c = 0x5a5a0000, b = 0x00000101;

    if ( prefixed && amd() )
        asm volatile ( ".byte " P2 "0x0f, 0x01, 0xd9"
                       : "+a" (ret), "+c" (c)
                       : "b" (b), "D" (0), "S" (0), "d" (0) : "memory" );
    else if ( prefixed )
        asm volatile ( ".byte " P2 "0x0f, 0x01, 0xc1"
                       : "+a" (ret), "+c" (c)
                       : "b" (b), "D" (0), "S" (0), "d" (0) : "memory" );
    else if ( amd() )
        asm volatile ( "vmmcall"
                       : "+a" (ret), "+c" (c)
                       : "b" (b), "D" (0), "S" (0), "d" (0) : "memory" );
    else
        asm volatile ( "vmcall"
                       : "+a" (ret), "+c" (c)
                       : "b" (b), "D" (0), "S" (0), "d" (0) : "memory" );
    *ecx = c;
    return ret;
}

/* --- ring 3 --- */

#define STR_(x)         #x
#define STR(x)          STR_(x)

extern uint64_t gdt[];
#define SLOT_UCODE      (MAX_CPUS - 1)      /* last per-CPU slots: 1 CPU */
#define SEL_UCODE       ((3 + SLOT_UCODE) * 8 + 3)
#define SEL_UDATA       ((3 + SLOT_UCODE - 1) * 8 + 3)
#define SEL_TSS         ((3 + SLOT_UCODE - 2) * 8)

static struct
{
    uint32_t link, esp0, ss0, rest[23];
} __attribute__((packed)) tss;
static uint8_t kstack[4096] __attribute__((aligned(16)));
uint8_t user_stack[4096] __attribute__((aligned(16)));
uint32_t user_out[4], user_saved_esp;
extern const char user_code[], user_back[];

/*
 * user_run: iret to ring 3 at user_code, which runs prefixed CPUIDs of
 * leaf 0 into user_out[] and comes back by INT 0x80; on_back() resumes
 * ring 0 at user_back, which restores the stack and segments.
 */
asm (
    "   .text\n"
    "   .globl user_run, user_code, user_back\n"
    "user_run:\n"
    "   pushal\n"
    "   mov %esp, user_saved_esp\n"
    "   pushl $" STR(SEL_UDATA) "\n"
    "   pushl $user_stack + 4096\n"
    "   pushl $2\n"
    "   pushl $" STR(SEL_UCODE) "\n"
    "   pushl $user_code\n"
    "   iret\n"
    "user_code:\n"
    "   mov $" STR(SEL_UDATA) ", %eax\n"
    "   mov %eax, %ds\n"
    "   mov %eax, %es\n"
    "   xor %eax, %eax\n"
    "   xor %ecx, %ecx\n"
    "   .byte 0x0f, 0xa2\n"
    "   mov %eax, user_out\n"
    "   xor %eax, %eax\n"
    "   xor %ecx, %ecx\n"
    "   .byte 0x3e, 0x3e, 0x0f, 0xa2\n"
    "   mov %eax, user_out + 4\n"
    "   xor %eax, %eax\n"
    "   xor %ecx, %ecx\n"
    "   .byte 0x66, 0x2e, 0xf3, 0x0f, 0xa2\n"
    "   mov %eax, user_out + 8\n"
    "   xor %eax, %eax\n"
    "   xor %ecx, %ecx\n"
    "   .byte " P13 "0x0f, 0xa2\n"
    "   mov %eax, user_out + 12\n"
    "   int $0x80\n"
    "user_back:\n"
    "   mov $0x10, %eax\n"
    "   mov %eax, %ds\n"
    "   mov %eax, %es\n"
    "   mov %eax, %ss\n"
    "   mov user_saved_esp, %esp\n"
    "   popal\n"
    "   ret\n"
);
extern void user_run(void);

static void on_back(struct regs *r)
{
    CHECK((r->cs & 3) == 3, "INT 0x80 from CPL %u", r->cs & 3);
    r->eip = (uint32_t)user_back;
    r->cs = SEL_CODE;
}

static void ring3_cpuids(uint32_t max_leaf)
{
    uint32_t base = (uint32_t)&tss, fs, gs;

    gdt[3 + SLOT_UCODE] = 0x00cffa000000ffffull;
    gdt[3 + SLOT_UCODE - 1] = 0x00cff2000000ffffull;
    gdt[3 + SLOT_UCODE - 2] = (sizeof(tss) - 1) |
        ((uint64_t)(base & 0xffffff) << 16) | (0x89ull << 40) |
        ((uint64_t)(base >> 24) << 56);
    tss.ss0 = SEL_DATA;
    tss.esp0 = (uint32_t)kstack + sizeof(kstack);
    asm volatile ( "ltr %w0" :: "r" (SEL_TSS) );
    idt_set_user(VEC_BACK);
    idt_set_handler(VEC_BACK, on_back);
    /* IRET to ring 3 nulls FS and GS (DPL 0): keep them. */
    asm volatile ( "mov %%fs, %0; mov %%gs, %1" : "=r" (fs), "=r" (gs) );
    user_run();
    asm volatile ( "mov %0, %%fs; mov %1, %%gs" :: "r" (fs), "r" (gs) );
    for ( unsigned int i = 0; i < 4; i++ )
        CHECK(user_out[i] == max_leaf, "ring 3 CPUID %u (with %s) gave "
              "%#x, expected %#x (run twice?)", i,
              (const char *[]){ "no prefix", "3e 3e", "66 2e f3",
                                "13 prefixes" }[i], user_out[i], max_leaf);
    printf("prefixed_insns: ring 3 prefixed CPUIDs ran once each\n");
}

void test_main(void)
{
    uint32_t a, b, c, d, max_leaf, ticks, ecx_plain, ecx_pre, r_plain, r_pre;
    enum apic_mode mode = apic_has_x2apic() ? APIC_MODE_X2APIC
                                            : APIC_MODE_XAPIC;

    cpuid(0, 0, &a, &b, &c, &d);
    max_leaf = a;
    idt_set_handler(VEC_GP, on_gp);

    /* CPUID: a second run would use max_leaf as its leaf. */
    CHECK(cpuid_1() == max_leaf, "CPUID with 1 prefix gave %#x, expected "
          "%#x", cpuid_1(), max_leaf);
    CHECK(cpuid_2() == max_leaf, "CPUID with 3e 3e gave %#x, expected %#x",
          cpuid_2(), max_leaf);
    CHECK(cpuid_3() == max_leaf, "CPUID with f3 2e 66 gave %#x, expected "
          "%#x", cpuid_3(), max_leaf);
    CHECK(cpuid_13() == max_leaf, "CPUID with 13 prefixes (15 bytes) gave "
          "%#x, expected %#x", cpuid_13(), max_leaf);
    CHECK(cpuid_16_faults(), "CPUID with 14 prefixes (16 bytes) did not "
          "raise #GP once (%u)", gp_count);
    printf("prefixed_insns: CPUID with 1-13 prefixes ran once, 16 bytes "
           "#GP\n");

    /* INVD: a 2-byte MOV after it shows where execution went on. */
    a = 0;
    asm volatile ( ".byte 0x0f, 0x08, " P2 "0x0f, 0x08\n\t"
                   "movl $1, %0" : "+r" (a) :: "memory" );
    CHECK(a == 1, "execution did not go on after INVD");
    printf("prefixed_insns: INVD and 3e 3e INVD ran\n");

    /* VMMCALL/VMCALL: the tail of a mis-resumed one is ADD ECX, EBX. */
    if ( !xen_lite_present() )
    {
        printf("prefixed_insns: not on xen-lite, no hypercall check\n");
        goto no_hypercall;
    }
    r_plain = hcall(false, &ecx_plain);
    r_pre = hcall(true, &ecx_pre);
    CHECK(r_pre == r_plain && ecx_pre == 0x5a5a0000 &&
          ecx_plain == 0x5a5a0000, "hypercall: plain returned %#x ECX %#x, "
          "prefixed returned %#x ECX %#x (expected ECX 0x5a5a0000)",
          r_plain, ecx_plain, r_pre, ecx_pre);
    printf("prefixed_insns: prefixed hypercall returned %#x, ECX kept\n",
           r_pre);
    did_hcall = true;
 no_hypercall:

    platform_init(mode, false);

    /* WRMSR: a prefixed SELF IPI write sends one IPI, not two. */
    if ( mode == APIC_MODE_X2APIC )
    {
        idt_set_handler(VEC_SELF, on_self);
        sti();
        asm volatile ( ".byte " P2 "0x0f, 0x30"
                       :: "c" (MSR_X2APIC_SELF_IPI), "a" (VEC_SELF),
                          "d" (0) : "memory" );
        udelay(2000);
        cli();
        CHECK(self_ipis == 1, "a prefixed WRMSR to SELF IPI delivered %u "
              "IPIs, expected 1", self_ipis);
        printf("prefixed_insns: prefixed WRMSR sent one self-IPI\n");
        did_wrmsr = true;
    }

    /* HLT: wakes at the next tick and resumes after the instruction. */
    tick_start(100000);         /* long: a second tick means a second HLT */
    cli();
    ticks = this_cpu()->ticks;
    asm volatile ( "sti\n\t.byte " P2 "0xf4\n\tcli" ::: "memory" );
    ticks = this_cpu()->ticks - ticks;
    tick_stop();
    CHECK(ticks == 1, "a prefixed HLT returned after %u ticks, expected 1",
          ticks);
    printf("prefixed_insns: prefixed HLT waited for one tick\n");

    ring3_cpuids(max_leaf);
    CHECK(gp_count == 1, "%u #GPs, expected 1", gp_count);
    test_pass("CPUID with 1-13 prefixes once (ring 0 and 3), 16 bytes #GP; "
              "INVD; prefixed HLT%s%s once each", did_wrmsr ? ", WRMSR" : "",
              did_hcall ? ", hypercall" : "");
}

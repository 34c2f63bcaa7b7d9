/*
 * singlestep_emulated: with RFLAGS.TF set, every instruction ends in a
 * single-step #DB with DR6.BS set, taken with EIP after the instruction
 * (SDM Vol. 3B 18.3.1.4), also when a hypervisor completes it for the
 * guest: CPUID, IN/OUT, RDMSR/WRMSR, a read and a write of the xAPIC page
 * (emulated MMIO without APICv), and, as a control, NOP.  Each case sets
 * TF with POPF (the trap comes after the instruction that follows the
 * POPF), steps exactly one instruction and clears TF in the handler.
 *
 * Asserted per case: exactly one #DB, at the address right after the
 * instruction, DR6.BS set; and the instruction did its work (CPUID's
 * vendor, the port and MSR values, the APIC register).
 */
#include "test.h"

const char test_name[] = "singlestep_emulated";

#define VEC_DB          1
#define EFLAGS_TF       (1u << 8)
#define DR6_BS          (1u << 14)
#define DR6_INIT        0xffff0ff0u
#define APIC_PAGE       0xfee00000u

static volatile uint32_t n_db, db_eip, db_dr6;

static void on_db(struct regs *r)
{
    uint32_t dr6;

    asm volatile ( "mov %%dr6, %0" : "=r" (dr6) );
    n_db++;
    db_eip = r->eip;
    db_dr6 = dr6;
    r->eflags &= ~EFLAGS_TF;
}

static void dr6_reset(void)
{
    asm volatile ( "mov %0, %%dr6" :: "r" (DR6_INIT) );
}

/*
 * One case: "pushf; orl $TF,(%esp); popf; <insn>; 1:" and the #DB must
 * land at 1.  The instruction's own operands are set up by the caller
 * through the registers listed in each macro use.
 */
#define STEP(insn, end, ...)                                        \
    asm volatile ( "pushf\n\t"                                       \
                   "orl $0x100, (%%esp)\n\t"                         \
                   "popf\n\t"                                        \
                   insn "\n"                                         \
                   "1:\n\t"                                          \
                   "movl $1b, %[e]"                                  \
                   : [e] "=m" (end), ##__VA_ARGS__ )

static void check(const char *name, uint32_t end)
{
    CHECK(n_db == 1, "%s: %u #DBs for one stepped instruction", name, n_db);
    CHECK(db_eip == end, "%s: #DB at %#x, the next instruction is at %#x",
          name, db_eip, end);
    CHECK(db_dr6 & DR6_BS, "%s: DR6 %#x without BS", name, db_dr6);
    printf("singlestep_emulated: %s: #DB at %#x, DR6 %#x\n", name, db_eip,
           db_dr6);
    n_db = 0;
    dr6_reset();
}

void test_main(void)
{
    uint32_t end, a, b, c, d, lo, hi, ver;
    volatile uint32_t *ver_reg = (volatile uint32_t *)(APIC_PAGE + 0x30);
    volatile uint32_t *tpr_reg = (volatile uint32_t *)(APIC_PAGE + 0x80);

    platform_init(APIC_MODE_XAPIC, false);
    idt_set_handler(VEC_DB, on_db);
    dr6_reset();

    STEP("nop", end);
    check("nop", end);

    a = 0;
    STEP("cpuid", end, "+a" (a), "=b" (b), "=c" (c), "=d" (d));
    check("cpuid", end);
    CHECK(b != 0, "cpuid leaf 0: EBX 0");

    /* Port 0x80 (POST code): written, ignored. */
    STEP("outb %%al, $0x80", end, "+a" (a));
    check("out", end);
    /* Port 0x61 (system control port B) reads. */
    STEP("inb $0x61, %%al", end, "+a" (a));
    check("in", end);

    c = MSR_APIC_BASE;
    STEP("rdmsr", end, "+c" (c), "=a" (lo), "=d" (hi));
    check("rdmsr", end);
    CHECK((lo & 0xfffff000u) == APIC_PAGE, "APIC base %#x", lo);
    c = MSR_APIC_BASE;
    STEP("wrmsr", end, "+c" (c), "+a" (lo), "+d" (hi));
    check("wrmsr", end);

    /* The xAPIC page: version register read, TPR write. */
    STEP("movl (%[p]), %[v]", end, [v] "=r" (ver),
         [p] "+r" (ver_reg));
    check("mmio read", end);
    CHECK((ver & 0xff) >= 0x10, "APIC version %#x", ver);
    a = 0x20;
    STEP("movl %%eax, (%[p])", end, "+a" (a), [p] "+r" (tpr_reg));
    check("mmio write", end);
    CHECK(apic_read(APIC_TPR) == 0x20, "TPR %#x after the stepped write",
          apic_read(APIC_TPR));
    apic_write(APIC_TPR, 0);

    test_pass("one #DB with DR6.BS after each of nop, cpuid, out, in, "
              "rdmsr, wrmsr, mmio read and write");
}

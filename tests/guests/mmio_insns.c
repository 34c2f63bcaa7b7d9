/*
 * mmio_insns: every instruction form a guest may aim at an emulated MMIO
 * register completes as the CPU completes it on RAM.  Each form runs
 * twice with the same register, EAX and flags: once on a RAM word that
 * holds the register's value, once on the xAPIC TPR (0xfee00080, through
 * the hypervisor's MMIO emulation when APIC accesses exit).  The TPR
 * keeps bits 7:0 and reads 0 above (SDM Vol. 3A, 11.8.3.1), so the MMIO
 * word afterwards must equal the RAM word's low byte, and the registers
 * and the flags the instruction defines must be identical.  Covered: ADD,
 * OR, ADC, SBB, AND, SUB, XOR, CMP and TEST in both directions and with
 * immediates, NOT, NEG, INC, DEC, XCHG, XADD, CMPXCHG (equal and not),
 * BT/BTS/BTR/BTC with register and immediate offsets, MOV, a
 * REP-prefixed MOV (f3 89, which the CPU runs as a MOV), LOCK forms and
 * XACQUIRE LOCK ADD, a segment override.
 *
 * Without APICv nothing here is virtualized by the CPU; with APICv the
 * TPR is (and the test then checks the CPU, which must agree too).
 *
 * Environment: rounds=N (default 64): random operand sets per form.
 */
#include "test.h"

const char test_name[] = "mmio_insns";

#define TPR_ADDR        0xfee00080u
#define FL_CF           0x001u
#define FL_AF           0x010u
#define FL_ARITH        0x8d5u          /* CF PF AF ZF SF OF */

struct st
{
    uint32_t reg, eax, fl;
};

/*
 * One form: run 'text' with [m] the target, [r] the register, EAX.  All
 * 32-bit: the xAPIC defines only aligned 32-bit accesses (SDM Vol. 3A,
 * 11.4.1); the decoder's other operand sizes are covered by its host unit
 * tests against the host CPU.
 */
#define FORM(fn, text)                                                  \
    static void fn(volatile uint32_t *mp, struct st *s)                 \
    {                                                                   \
        uint32_t r = s->reg, a = s->eax, fl = s->fl;                    \
        asm volatile ( "push %[fl]; popf; " text "; pushf; pop %[fl]"   \
                       : [m] "+m" (*mp), [r] "+q" (r), [fl] "+r" (fl),  \
                         "+a" (a) :: "cc", "memory" );                  \
        s->reg = r;                                                     \
        s->eax = a;                                                     \
        s->fl = fl;                                                     \
    }
FORM(f_add_rm, "addl %[r], %[m]")
FORM(f_add_mr, "addl %[m], %[r]")
FORM(f_or_rm, "orl %[r], %[m]")
FORM(f_or_mr, "orl %[m], %[r]")
FORM(f_adc_rm, "adcl %[r], %[m]")
FORM(f_adc_mr, "adcl %[m], %[r]")
FORM(f_sbb_rm, "sbbl %[r], %[m]")
FORM(f_sbb_mr, "sbbl %[m], %[r]")
FORM(f_and_rm, "andl %[r], %[m]")
FORM(f_and_mr, "andl %[m], %[r]")
FORM(f_sub_rm, "subl %[r], %[m]")
FORM(f_sub_mr, "subl %[m], %[r]")
FORM(f_xor_rm, "xorl %[r], %[m]")
FORM(f_xor_mr, "xorl %[m], %[r]")
FORM(f_cmp_rm, "cmpl %[r], %[m]")
FORM(f_cmp_mr, "cmpl %[m], %[r]")
FORM(f_test_rm, "testl %[r], %[m]")
FORM(f_addi, "addl $0x35, %[m]")
FORM(f_adci, "adcl $0xf0, %[m]")
FORM(f_sbbi, "sbbl $-3, %[m]")
FORM(f_cmpi, "cmpl $0x80, %[m]")
FORM(f_testi, "testl $0x81, %[m]")
FORM(f_not, "notl %[m]")
FORM(f_neg, "negl %[m]")
FORM(f_inc, "incl %[m]")
FORM(f_dec, "decl %[m]")
FORM(f_xchg, "xchgl %[r], %[m]")
FORM(f_xadd, "xaddl %[r], %[m]")
FORM(f_lock_xadd, "lock xaddl %[r], %[m]")
FORM(f_cmpxchg, "cmpxchgl %[r], %[m]")
FORM(f_lock_cmpxchg, "lock cmpxchgl %[r], %[m]")
FORM(f_bt, "btl %[r], %[m]")
FORM(f_bts, "btsl $3, %[m]")
FORM(f_lock_btr, "lock btrl %[r], %[m]")
FORM(f_btc, "btcl $6, %[m]")
FORM(f_mov_st, "movl %[r], %[m]")
FORM(f_mov_ld, "movl %[m], %[r]")
FORM(f_rep_mov, ".byte 0xf3; movl %[r], %[m]")
FORM(f_xacq_add, ".byte 0xf2; lock addl %[r], %[m]")
FORM(f_lock_or, "lock orl $0x11, %[m]")
FORM(f_ds_mov, "movl %[r], %%ds:%[m]")

#define LOGIC   (FL_ARITH & ~FL_AF)     /* AF undefined after them */
#define BITS    FL_CF                   /* the rest undefined */

static const struct
{
    const char *name;
    void (*fn)(volatile uint32_t *mp, struct st *s);
    uint32_t flags;                     /* the flags the form defines */
    uint32_t regmax;                    /* bit offsets: below this */
} forms[] = {
    { "add r,m", f_add_rm, FL_ARITH, 0 }, { "add m,r", f_add_mr, FL_ARITH, 0 },
    { "or r,m", f_or_rm, LOGIC, 0 }, { "or m,r", f_or_mr, LOGIC, 0 },
    { "adc r,m", f_adc_rm, FL_ARITH, 0 }, { "adc m,r", f_adc_mr, FL_ARITH, 0 },
    { "sbb r,m", f_sbb_rm, FL_ARITH, 0 },
    { "sbb m,r", f_sbb_mr, FL_ARITH, 0 },
    { "and r,m", f_and_rm, LOGIC, 0 }, { "and m,r", f_and_mr, LOGIC, 0 },
    { "sub r,m", f_sub_rm, FL_ARITH, 0 }, { "sub m,r", f_sub_mr, FL_ARITH, 0 },
    { "xor r,m", f_xor_rm, LOGIC, 0 }, { "xor m,r", f_xor_mr, LOGIC, 0 },
    { "cmp r,m", f_cmp_rm, FL_ARITH, 0 }, { "cmp m,r", f_cmp_mr, FL_ARITH, 0 },
    { "test r,m", f_test_rm, LOGIC, 0 },
    { "add $i,m", f_addi, FL_ARITH, 0 }, { "adc $i,m", f_adci, FL_ARITH, 0 },
    { "sbb $-3,m", f_sbbi, FL_ARITH, 0 }, { "cmp $i,m", f_cmpi, FL_ARITH, 0 },
    { "test $i,m", f_testi, LOGIC, 0 },
    { "not m", f_not, FL_ARITH, 0 }, { "neg m", f_neg, FL_ARITH, 0 },
    { "inc m", f_inc, FL_ARITH, 0 }, { "dec m", f_dec, FL_ARITH, 0 },
    { "xchg r,m", f_xchg, FL_ARITH, 0 },
    { "xadd r,m", f_xadd, FL_ARITH, 0 },
    { "lock xadd r,m", f_lock_xadd, FL_ARITH, 0 },
    { "cmpxchg r,m", f_cmpxchg, FL_ARITH, 0 },
    { "lock cmpxchg r,m", f_lock_cmpxchg, FL_ARITH, 0 },
    { "bt r,m", f_bt, BITS, 32 }, { "bts $3,m", f_bts, BITS, 0 },
    { "lock btr r,m", f_lock_btr, BITS, 32 },
    { "btc $6,m", f_btc, BITS, 0 },
    { "mov r,m", f_mov_st, FL_ARITH, 0 }, { "mov m,r", f_mov_ld, FL_ARITH, 0 },
    { "rep mov r,m (f3 89)", f_rep_mov, FL_ARITH, 0 },
    { "xacquire lock add r,m", f_xacq_add, FL_ARITH, 0 },
    { "lock or $i,m", f_lock_or, LOGIC, 0 },
    { "mov r,%ds:m", f_ds_mov, FL_ARITH, 0 },
};

static uint32_t seed = 12345;

static uint32_t rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) ^ (seed << 20);
}

/* Values that make flags interesting in the low byte. */
static uint32_t operand(void)
{
    static const uint32_t edge[] = { 0, 1, 0x7f, 0x80, 0x81, 0xff, 0xfe };

    return rnd() & 1 ? edge[rnd() % ARRAY_SIZE(edge)] : rnd() & 0xff;
}

void test_main(void)
{
    volatile uint32_t *tpr = (volatile uint32_t *)TPR_ADDR;
    static volatile uint32_t ram;
    uint32_t rounds = env_u32("rounds", 64), checks = 0;

    platform_init(APIC_MODE_XAPIC, false);
    cli();
    for ( unsigned int i = 0; i < ARRAY_SIZE(forms); i++ )
        for ( uint32_t n = 0; n < rounds; n++ )
        {
            uint32_t v = operand();
            struct st in, a, b;

            in.reg = rnd();
            if ( n & 1 )
                in.reg = (in.reg & ~0xffffu) | operand() | (operand() << 8);
            if ( forms[i].regmax )
                in.reg %= forms[i].regmax;
            in.eax = n & 2 ? v : rnd();     /* CMPXCHG equal, half */
            in.fl = (rnd() & FL_ARITH) | 0x2;
            a = b = in;
            ram = v;
            *tpr = v;
            forms[i].fn(&ram, &a);
            forms[i].fn(tpr, &b);
            CHECK(*tpr == (ram & 0xff), "%s: mem %#x reg %#x eax %#x fl "
                  "%#x: TPR %#x, RAM gives %#x", forms[i].name, v, in.reg,
                  in.eax, in.fl, *tpr, ram);
            CHECK(a.reg == b.reg && a.eax == b.eax, "%s: mem %#x reg %#x "
                  "eax %#x: registers %#x/%#x, RAM gives %#x/%#x",
                  forms[i].name, v, in.reg, in.eax, b.reg, b.eax, a.reg,
                  a.eax);
            CHECK((a.fl & forms[i].flags) == (b.fl & forms[i].flags),
                  "%s: mem %#x reg %#x eax %#x fl %#x: flags %#x, RAM "
                  "gives %#x", forms[i].name, v, in.reg, in.eax, in.fl,
                  b.fl & forms[i].flags, a.fl & forms[i].flags);
            checks++;
        }
    *tpr = 0;
    sti();
    test_pass("%u forms, %u checks against the same instruction on RAM",
              (unsigned int)ARRAY_SIZE(forms), checks);
}

/*
 * cr8_tpr: CR8 and the local APIC's TPR are one register (SDM Vol. 3A
 * 11.8.6.1, APM Vol. 2 16.6.4): CR8[3:0] is TPR[7:4], a MOV to CR8
 * clears TPR[3:0], and interrupt delivery follows whichever was written
 * last.  A 32-bit kernel reaches CR8 through AMD's alternative encoding,
 * LOCK MOV CR0 (CPUID 0x80000001 ECX bit 4, AltMovCr8); without it (every
 * Intel CPU) the test skips.
 *
 * Asserted, with interrupts enabled and self-IPIs:
 *  1. TPR written through the APIC (0x3c) reads back from CR8 as 3.
 *  2. CR8 written (0xf) reads back from the APIC's TPR as 0xf0, and from
 *     CR8 as 0xf.
 *  3. With CR8 = 9, a class-8 vector sent to self stays in IRR; lowering
 *     CR8 to 8 keeps it there; lowering it to 7 delivers it at once,
 *     before the instruction after the MOV completes a second MOV.
 *  4. A class-10 vector is delivered at once with CR8 = 9.
 *  5. A MOV to CR8 with a bit above 3 set raises #GP(0) and leaves CR8
 *     and TPR unchanged (SDM "MOV-Move to/from Control Registers").
 *
 * Environment: apic=xapic|x2apic (default xapic); reserved=0 skips case 5
 * (QEMU 7.2's TCG takes CR8 = 0x19 without #GP, natively).
 */
#include "test.h"

const char test_name[] = "cr8_tpr";

#define CPUIDX1_ECX_ALTMOVCR8   (1u << 4)
#define VEC_CLASS8      0x85
#define VEC_CLASS10     0xa5
#define WAIT_US         20000

static volatile uint32_t got_class8, got_class10;
static volatile uint32_t resume_at, n_gp, gp_error;

static void on_class8(struct regs *r)
{
    (void)r;
    got_class8++;
    apic_eoi();
}

static void on_class10(struct regs *r)
{
    (void)r;
    got_class10++;
    apic_eoi();
}

static void on_gp(struct regs *r)
{
    if ( !resume_at )
        test_fail("#GP at %#x error %#x outside the reserved-bit case",
                  r->eip, r->error);
    n_gp++;
    gp_error = r->error;
    r->eip = resume_at;
}

/* LOCK MOV to/from CR0: CR8 where AltMovCr8 is offered. */
static uint32_t read_cr8(void)
{
    uint32_t v;

    asm volatile ( "lock; mov %%cr0, %0" : "=r" (v) );
    return v;
}

static void write_cr8(uint32_t v)
{
    asm volatile ( "lock; mov %0, %%cr0" :: "r" (v) : "memory" );
}

/* A reserved bit: #GP expected; returns after the MOV either way. */
static void try_write_cr8(uint32_t v)
{
    asm volatile ( "movl $1f, %[ra]\n\t"
                   "lock; mov %[v], %%cr0\n"
                   "1:"
                   : [ra] "=m" (resume_at) : [v] "r" (v) : "memory" );
    resume_at = 0;
}

static void self_ipi(uint8_t vec)
{
    apic_icr(0, APIC_SH_SELF | APIC_DM_FIXED | vec);
}

static void wait_for(volatile uint32_t *flag)
{
    uint64_t end = rdtsc() + us_to_tsc(WAIT_US);

    while ( !*flag && rdtsc() < end )
        cpu_relax();
}

void test_main(void)
{
    uint32_t a, b, c, d, v, tpr;
    enum apic_mode mode = apic_mode_param(APIC_MODE_XAPIC);

    cpuid(0x80000000u, 0, &a, &b, &c, &d);
    if ( a < 0x80000001u )
        test_skip("no CPUID leaf 0x80000001");
    cpuid(0x80000001u, 0, &a, &b, &c, &d);
    if ( !(c & CPUIDX1_ECX_ALTMOVCR8) )
        test_skip("no AltMovCr8 (CR8 only in 64-bit mode)");

    platform_init(mode, false);
    idt_set_handler(VEC_CLASS8, on_class8);
    idt_set_handler(VEC_CLASS10, on_class10);
    idt_set_handler(VEC_GP, on_gp);
    printf("cr8_tpr: %s\n", apic_mode_name(mode));

    /* 1. APIC to CR8. */
    apic_write(APIC_TPR, 0x3c);
    v = read_cr8();
    CHECK(v == 3, "TPR 0x3c but CR8 reads %#x (want 3)", v);

    /* 2. CR8 to APIC. */
    write_cr8(0xf);
    tpr = apic_read(APIC_TPR);
    v = read_cr8();
    CHECK(tpr == 0xf0 && v == 0xf,
          "after CR8 = 0xf, TPR %#x (want 0xf0) and CR8 %#x", tpr, v);

    /* 3. Delivery follows CR8. */
    write_cr8(9);
    sti();
    self_ipi(VEC_CLASS8);
    udelay(WAIT_US);
    CHECK(!got_class8 && apic_vec_set(APIC_IRR, VEC_CLASS8),
          "vector %#x with CR8 = 9: delivered %u, in IRR %d", VEC_CLASS8,
          got_class8, apic_vec_set(APIC_IRR, VEC_CLASS8));
    write_cr8(8);
    udelay(WAIT_US);
    CHECK(!got_class8, "vector %#x delivered with CR8 = 8 (TPR %#x)",
          VEC_CLASS8, apic_read(APIC_TPR));
    write_cr8(7);
    v = got_class8;
    CHECK(v == 1, "vector %#x not delivered right after CR8 = 7 (count %u,"
          " TPR %#x, in IRR %d)", VEC_CLASS8, v, apic_read(APIC_TPR),
          apic_vec_set(APIC_IRR, VEC_CLASS8));

    /* 4. Above the class: at once. */
    write_cr8(9);
    self_ipi(VEC_CLASS10);
    wait_for(&got_class10);
    CHECK(got_class10 == 1, "vector %#x not delivered with CR8 = 9",
          VEC_CLASS10);
    cli();

    /* 5. Reserved bits. */
    if ( env_u32("reserved", 1) )
    {
        try_write_cr8(0x19);
        v = read_cr8();
        tpr = apic_read(APIC_TPR);
        CHECK(n_gp == 1 && gp_error == 0, "CR8 = 0x19: %u #GP, error %#x",
              n_gp, gp_error);
        CHECK(v == 9 && tpr == 0x90, "after the faulting MOV, CR8 %#x and "
              "TPR %#x (want 9 and 0x90)", v, tpr);
    }

    write_cr8(0);
    test_pass("CR8 and TPR are one register, delivery follows it (%s%s)",
              apic_mode_name(mode),
              env_u32("reserved", 1) ? ", reserved bits #GP" : "");
}

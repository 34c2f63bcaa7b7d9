/*
 * xstate_isolation: the registers a VM entry does not switch stay each
 * vCPU's own.  Every vCPU first checks that it starts in the power-up
 * state (SDM Vol. 3A, Table 9-1: x87 control word 0040H, MXCSR 1F80H,
 * XMM/YMM 0, DR0-DR3 0, DR6 FFFF0FF0H, DR7 00000400H, XCR0 1), so
 * nothing of another vCPU or domain is visible, then loads a pattern of
 * its own (from `seed` and its CPU index) into the x87 control word and
 * stack, MXCSR, XMM0-7, the upper halves of YMM0-7 and XCR0 (when XSAVE
 * and AVX are offered), DR0-DR3, DR6 and DR7 (no breakpoint enabled),
 * and checks them again and again for `ms` milliseconds while it spins
 * and now and then halts.  Run it as two domains (different seeds) on
 * one pCPU, or with two vCPUs on one pCPU: the vCPUs then take turns,
 * and any register that follows the pCPU instead of the vCPU shows up as
 * a mismatch.  A gap of over 500 us between two TSC reads of the spin
 * loop is another vCPU's turn; at least `min_switches` of them must be
 * seen, or the run proved nothing.
 *
 * Environment: seed=N (default 1), ms=N (default 400), min_switches=N
 * (default 3; 0 when run alone natively), start_fcw=N (the x87 control
 * word expected at start, default 0x40: QEMU 7.2 natively starts with
 * 0x37f, the value FNINIT gives).
 */
#include "test.h"
#include "cr.h"

const char test_name[] = "xstate_isolation";

struct pattern
{
    uint16_t fcw;
    uint32_t mxcsr;
    uint32_t st[2];                 /* two x87 stack entries, as floats */
    uint32_t xmm[8][4];
    uint32_t ymm_hi[8][4];
    uint64_t xcr0;
    uint32_t dr[4], dr6, dr7;
};

struct cpu_result
{
    volatile uint32_t done;
    uint32_t checks, switches;
    char error[120];
};

static struct cpu_result result[MAX_CPUS];
static uint32_t seed, ms, start_fcw;
static bool have_xsave, have_avx;

/* Every register of the pattern, as the CPU has it now. */
/* ymm: the upper YMM halves too (only once XCR0 enables AVX). */
static void save_regs(struct pattern *p, bool ymm)
{
    uint32_t v;

    asm volatile ( "fnstcw %0" : "=m" (p->fcw) );
    asm volatile ( "stmxcsr %0" : "=m" (p->mxcsr) );
    /* ST(0) and ST(1) without popping. */
    asm volatile ( "fsts %0" : "=m" (p->st[0]) );
    asm volatile ( "fxch; fsts %0; fxch" : "=m" (p->st[1]) );
    asm volatile ( "movdqu %%xmm0, %0" : "=m" (p->xmm[0]) );
    asm volatile ( "movdqu %%xmm1, %0" : "=m" (p->xmm[1]) );
    asm volatile ( "movdqu %%xmm2, %0" : "=m" (p->xmm[2]) );
    asm volatile ( "movdqu %%xmm3, %0" : "=m" (p->xmm[3]) );
    asm volatile ( "movdqu %%xmm4, %0" : "=m" (p->xmm[4]) );
    asm volatile ( "movdqu %%xmm5, %0" : "=m" (p->xmm[5]) );
    asm volatile ( "movdqu %%xmm6, %0" : "=m" (p->xmm[6]) );
    asm volatile ( "movdqu %%xmm7, %0" : "=m" (p->xmm[7]) );
    if ( ymm )
    {
        asm volatile ( "vextractf128 $1, %%ymm0, %0" : "=m" (p->ymm_hi[0]) );
        asm volatile ( "vextractf128 $1, %%ymm1, %0" : "=m" (p->ymm_hi[1]) );
        asm volatile ( "vextractf128 $1, %%ymm2, %0" : "=m" (p->ymm_hi[2]) );
        asm volatile ( "vextractf128 $1, %%ymm3, %0" : "=m" (p->ymm_hi[3]) );
        asm volatile ( "vextractf128 $1, %%ymm4, %0" : "=m" (p->ymm_hi[4]) );
        asm volatile ( "vextractf128 $1, %%ymm5, %0" : "=m" (p->ymm_hi[5]) );
        asm volatile ( "vextractf128 $1, %%ymm6, %0" : "=m" (p->ymm_hi[6]) );
        asm volatile ( "vextractf128 $1, %%ymm7, %0" : "=m" (p->ymm_hi[7]) );
    }
    p->xcr0 = have_xsave ? xgetbv0() : 1;
    asm volatile ( "mov %%db0, %0" : "=r" (v) ); p->dr[0] = v;
    asm volatile ( "mov %%db1, %0" : "=r" (v) ); p->dr[1] = v;
    asm volatile ( "mov %%db2, %0" : "=r" (v) ); p->dr[2] = v;
    asm volatile ( "mov %%db3, %0" : "=r" (v) ); p->dr[3] = v;
    asm volatile ( "mov %%db6, %0" : "=r" (v) ); p->dr6 = v;
    asm volatile ( "mov %%db7, %0" : "=r" (v) ); p->dr7 = v;
}

/* ST(0)/ST(1) are loaded by the caller; the rest here. */
static void load_regs(const struct pattern *p)
{
    asm volatile ( "fldcw %0" :: "m" (p->fcw) );
    asm volatile ( "ldmxcsr %0" :: "m" (p->mxcsr) );
    asm volatile ( "movdqu %0, %%xmm0" :: "m" (p->xmm[0]) );
    asm volatile ( "movdqu %0, %%xmm1" :: "m" (p->xmm[1]) );
    asm volatile ( "movdqu %0, %%xmm2" :: "m" (p->xmm[2]) );
    asm volatile ( "movdqu %0, %%xmm3" :: "m" (p->xmm[3]) );
    asm volatile ( "movdqu %0, %%xmm4" :: "m" (p->xmm[4]) );
    asm volatile ( "movdqu %0, %%xmm5" :: "m" (p->xmm[5]) );
    asm volatile ( "movdqu %0, %%xmm6" :: "m" (p->xmm[6]) );
    asm volatile ( "movdqu %0, %%xmm7" :: "m" (p->xmm[7]) );
    if ( have_avx )
    {
        asm volatile ( "vinsertf128 $1, %0, %%ymm0, %%ymm0"
                       :: "m" (p->ymm_hi[0]) );
        asm volatile ( "vinsertf128 $1, %0, %%ymm1, %%ymm1"
                       :: "m" (p->ymm_hi[1]) );
        asm volatile ( "vinsertf128 $1, %0, %%ymm2, %%ymm2"
                       :: "m" (p->ymm_hi[2]) );
        asm volatile ( "vinsertf128 $1, %0, %%ymm3, %%ymm3"
                       :: "m" (p->ymm_hi[3]) );
        asm volatile ( "vinsertf128 $1, %0, %%ymm4, %%ymm4"
                       :: "m" (p->ymm_hi[4]) );
        asm volatile ( "vinsertf128 $1, %0, %%ymm5, %%ymm5"
                       :: "m" (p->ymm_hi[5]) );
        asm volatile ( "vinsertf128 $1, %0, %%ymm6, %%ymm6"
                       :: "m" (p->ymm_hi[6]) );
        asm volatile ( "vinsertf128 $1, %0, %%ymm7, %%ymm7"
                       :: "m" (p->ymm_hi[7]) );
    }
    asm volatile ( "mov %0, %%db0" :: "r" (p->dr[0]) );
    asm volatile ( "mov %0, %%db1" :: "r" (p->dr[1]) );
    asm volatile ( "mov %0, %%db2" :: "r" (p->dr[2]) );
    asm volatile ( "mov %0, %%db3" :: "r" (p->dr[3]) );
    asm volatile ( "mov %0, %%db6" :: "r" (p->dr6) );
    asm volatile ( "mov %0, %%db7" :: "r" (p->dr7) );
}

static void power_up_pattern(struct pattern *p)
{
    memset(p, 0, sizeof(*p));
    p->fcw = 0x0040;
    p->mxcsr = 0x1f80;
    p->xcr0 = 1;
    p->dr6 = 0xffff0ff0;
    p->dr7 = 0x400;
}

/*
 * This vCPU's own values.  MXCSR: rounding mode and the exception masks
 * vary, reserved bits stay clear.  DR6: only B0-B3 are writable in the
 * low bits; DR7: the R/W and LEN fields, with no breakpoint enabled.
 */
static void my_pattern(struct pattern *p, unsigned int cpu)
{
    uint32_t k = seed * 16 + cpu;

    memset(p, 0, sizeof(*p));
    p->fcw = 0x0040 | ((k & 3) << 10) | (k & 0x3f & ~0x02);
    p->mxcsr = 0x1f80 ^ ((k & 3) << 13) ^ ((k & 0x1f) << 7);
    p->st[0] = 0x3f800000 + k;      /* floats near 1.0 and 2.0 */
    p->st[1] = 0x40000000 + k;
    for ( unsigned int r = 0; r < 8; r++ )
        for ( unsigned int i = 0; i < 4; i++ )
        {
            p->xmm[r][i] = 0x5a000000 | (k << 12) | (r << 4) | i;
            p->ymm_hi[r][i] = have_avx ? 0xa5000000 | (k << 12) |
                                         (r << 4) | i : 0;
        }
    p->xcr0 = have_xsave ? (have_avx ? 7 : 3) : 1;
    for ( unsigned int i = 0; i < 4; i++ )
        p->dr[i] = 0x00100000 + (k << 8) + i * 4;
    p->dr6 = 0xffff0ff0 | (k & 0xf);
    p->dr7 = 0x400 | ((k & 0xffff) << 16);
}

static bool compare(const struct pattern *want, const struct pattern *got,
                    char *err, size_t len)
{
    if ( got->fcw != want->fcw )
        snprintf(err, len, "x87 control word %#x, expected %#x",
                 got->fcw, want->fcw);
    else if ( got->mxcsr != want->mxcsr )
        snprintf(err, len, "MXCSR %#x, expected %#x", got->mxcsr,
                 want->mxcsr);
    else if ( got->st[0] != want->st[0] || got->st[1] != want->st[1] )
        snprintf(err, len, "x87 stack %#x %#x, expected %#x %#x",
                 got->st[0], got->st[1], want->st[0], want->st[1]);
    else if ( memcmp(got->xmm, want->xmm, sizeof(got->xmm)) )
        snprintf(err, len, "XMM registers changed (xmm0 %#x, expected "
                 "%#x)", got->xmm[0][0], want->xmm[0][0]);
    else if ( memcmp(got->ymm_hi, want->ymm_hi, sizeof(got->ymm_hi)) )
        snprintf(err, len, "YMM upper halves changed (ymm0 %#x, expected "
                 "%#x)", got->ymm_hi[0][0], want->ymm_hi[0][0]);
    else if ( got->xcr0 != want->xcr0 )
        snprintf(err, len, "XCR0 %#llx, expected %#llx", got->xcr0,
                 want->xcr0);
    else if ( memcmp(got->dr, want->dr, sizeof(got->dr)) )
        snprintf(err, len, "DR0-3 %#x %#x %#x %#x, expected %#x ...",
                 got->dr[0], got->dr[1], got->dr[2], got->dr[3],
                 want->dr[0]);
    else if ( got->dr6 != want->dr6 )
        snprintf(err, len, "DR6 %#x, expected %#x", got->dr6, want->dr6);
    else if ( got->dr7 != want->dr7 )
        snprintf(err, len, "DR7 %#x, expected %#x", got->dr7, want->dr7);
    else
        return true;
    return false;
}

static void exercise(void *arg)
{
    unsigned int cpu = smp_cpu();
    struct cpu_result *res = &result[cpu];
    struct pattern want, got;
    uint64_t end, last, t, gap = us_to_tsc(500);
    uint32_t n = 0;
    char why[100];

    (void)arg;
    cli();
    tick_start(1000);
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT |
              (have_xsave ? CR4_OSXSAVE : 0));

    /* The state this vCPU was started with: nobody else's. */
    power_up_pattern(&want);
    want.fcw = start_fcw;
    /*
     * YMM are not readable before XCR0 enables them.  (A flag of this
     * call's own: the other vCPUs run the same code at the same time.)
     */
    memset(&got, 0, sizeof(got));
    save_regs(&got, false);
    want.st[0] = got.st[0];         /* the x87 stack is empty: no value */
    want.st[1] = got.st[1];
    if ( !compare(&want, &got, why, sizeof(why)) )
    {
        snprintf(res->error, sizeof(res->error), "at start: %s", why);
        tick_stop();
        sti();
        res->done = 1;
        return;
    }

    my_pattern(&want, cpu);
    if ( have_xsave )
        xsetbv0(want.xcr0);
    asm volatile ( "fninit" );
    asm volatile ( "flds %0; flds %1" :: "m" (want.st[1]),
                   "m" (want.st[0]) );
    load_regs(&want);

    end = rdtsc() + us_to_tsc(ms * 1000ull);
    last = rdtsc();
    while ( (t = rdtsc()) < end )
    {
        if ( t - last > gap )
            res->switches++;
        last = t;
        save_regs(&got, have_avx);
        res->checks++;
        if ( !compare(&want, &got, res->error, sizeof(res->error)) )
            break;
        /* Now and then block in HLT, so the other vCPU runs meanwhile. */
        if ( ++n % 4096 == 0 )
        {
            sti_hlt();
            cli();
            last = rdtsc();
        }
    }
    tick_stop();
    sti();
    res->done = 1;
}

void test_main(void)
{
    uint32_t min_switches = env_u32("min_switches", 3);
    uint32_t c = cpuid_ecx(1), switches = 0, checks = 0;
    unsigned int cpus;

    seed = env_u32("seed", 1);
    ms = env_u32("ms", 400);
    start_fcw = env_u32("start_fcw", 0x40);
    have_xsave = c & (1u << 26);
    have_avx = (c & (1u << 28)) && have_xsave;
    cpus = platform_init(APIC_MODE_XAPIC, true);
    for ( unsigned int i = 1; i < cpus; i++ )
        smp_call(i, exercise, NULL);
    exercise(NULL);
    for ( unsigned int i = 0; i < cpus; i++ )
    {
        CHECK(wait_u32(&result[i].done, 1, 10000000),
              "cpu %u did not finish", i);
        CHECK(!result[i].error[0], "cpu %u (seed %u): %s after %u checks",
              i, seed, result[i].error, result[i].checks);
        switches += result[i].switches;
        checks += result[i].checks;
    }
    CHECK(switches >= min_switches, "only %u turns of other vCPUs seen in "
          "%u ms (need %u): the vCPUs did not share a pCPU", switches, ms,
          min_switches);
    test_pass("seed %u, %u vCPUs: %u checks of x87/SSE%s%s/DR0-7 across %u "
              "turns of other vCPUs", seed, cpus, checks,
              have_avx ? "/AVX" : "", have_xsave ? "/XCR0" : "", switches);
}

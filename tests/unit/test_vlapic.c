/*
 * Unit tests for the virtual local APIC (xen/arch/x86/hvm/vlapic.c):
 * registers in both modes, APIC base, priorities, EOI, the 'injected'
 * state, IPIs in every destination mode, errors, the timer, MMIO and MSR
 * paths, over the doubles of tests/unit/vlapic/.
 */
#include <stdio.h>
#include <string.h>

#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/time.h>
#include <asm/irq_vectors.h>

#include "harness.h"
#include "stubs.h"
#include "env.h"

#define MSR_X2(reg)     (MSR_X2APIC_FIRST + ((reg) >> 4))
#define BASE_XAPIC      (APIC_DEFAULT_BASE | APICBASE_ENABLE)
#define BASE_X2APIC     (BASE_XAPIC | APICBASE_X2APIC)

#define LVT_MASKED      (1u << 16)
#define SVR_ON          0x1ffu

#define ICR_FIXED       (0u << 8)
#define ICR_LOWEST      (1u << 8)
#define ICR_SMI         (2u << 8)
#define ICR_NMI         (4u << 8)
#define ICR_INIT        (5u << 8)
#define ICR_SIPI        (6u << 8)
#define ICR_LOGICAL     (1u << 11)
#define ICR_ASSERT      (1u << 14)
#define ICR_LEVEL       (1u << 15)
#define ICR_SELF        (1u << 18)
#define ICR_ALL_INCL    (2u << 18)
#define ICR_ALL_EXCL    (3u << 18)

#define ESR_SEND_ILL    (1u << 5)
#define ESR_RECV_ILL    (1u << 6)
#define ESR_ILL_REG     (1u << 7)

static const unsigned int lvt_regs[] = {
    APIC_REG_LVT_CMCI, APIC_REG_LVTT, APIC_REG_LVT_THERM, APIC_REG_LVT_PERF,
    APIC_REG_LVT0, APIC_REG_LVT1, APIC_REG_LVTERR,
};

/* --- helpers --- */

static u32 rd(unsigned int i, unsigned int reg)
{
    u32 v = 0xdeadbeef;

    CHECK_EQ(vlapic_reg_read(VL(i), reg, &v), VLAPIC_OK);
    return v;
}

static int wr(unsigned int i, unsigned int reg, u32 val)
{
    return vlapic_reg_write(VL(i), reg, val);
}

static u64 mrd(unsigned int i, u32 msr)
{
    u64 v = 0xdeadbeef;

    CHECK_EQ(vlapic_msr_read(VL(i), msr, &v), VLAPIC_OK);
    return v;
}

static int mrd_rc(unsigned int i, u32 msr)
{
    u64 v;

    return vlapic_msr_read(VL(i), msr, &v);
}

static int mwr(unsigned int i, u32 msr, u64 val)
{
    return vlapic_msr_write(VL(i), msr, val);
}

static u64 mmio_rd(unsigned int i, unsigned int off, unsigned int size)
{
    u64 v = 0xdeadbeef;

    vlapic_mmio_read(VL(i), off, size, &v);
    return v;
}

static void mmio_wr(unsigned int i, unsigned int off, unsigned int size,
                    u64 val)
{
    vlapic_mmio_write(VL(i), off, size, val);
}

static void to_x2apic(unsigned int i)
{
    REQUIRE_EQ(mwr(i, MSR_IA32_APICBASE, BASE_X2APIC), VLAPIC_OK);
}

static void sw_enable(unsigned int i)
{
    REQUIRE_EQ(wr(i, APIC_REG_SVR, SVR_ON), VLAPIC_OK);
}

static u32 *regp(unsigned int i, unsigned int reg)
{
    return (u32 *)(VL(i)->regs + reg);
}

static bool vec_in(unsigned int i, unsigned int base, unsigned int vec)
{
    return *regp(i, base + (vec / 32) * 0x10) & (1u << (vec % 32));
}

static bool pir_has(unsigned int i, unsigned int vec)
{
    return PI(i)->pir[vec / 32] & (1u << (vec % 32));
}

/* Sync vCPU i's descriptor and look at IRR. */
static bool irr_has(unsigned int i, unsigned int vec)
{
    pi_sync_pir_to_irr(VC(i));
    return vec_in(i, APIC_REG_IRR, vec);
}

/* Which of the first n vCPUs got 'vec' (IRR after a sync); clears it. */
static u32 got(unsigned int n, unsigned int vec)
{
    u32 mask = 0;

    for ( unsigned int i = 0; i < n; i++ )
        if ( irr_has(i, vec) )
        {
            mask |= 1u << i;
            *regp(i, APIC_REG_IRR + (vec / 32) * 0x10) &= ~(1u << (vec % 32));
        }
    return mask;
}

/* One entry/exit: sync, inject the pending vector, the guest takes it. */
static int take(unsigned int i)
{
    int vec;

    pi_sync_pir_to_irr(VC(i));
    vec = vlapic_pending_irq(VL(i));
    if ( vec >= 0 )
    {
        vlapic_ack_irq(VL(i), vec);
        vlapic_injection_done(VL(i), true);
    }
    return vec;
}

static void eoi(unsigned int i)
{
    CHECK_EQ(wr(i, APIC_REG_EOI, 0), VLAPIC_OK);
}

/* Take and EOI everything deliverable, counting per vector. */
static unsigned int drain(unsigned int i, unsigned int *counts)
{
    unsigned int n = 0;
    int vec;

    while ( (vec = take(i)) >= 0 )
    {
        if ( counts )
            counts[vec]++;
        n++;
        eoi(i);
    }
    return n;
}

/* Latch and read the ESR. */
static u32 esr(unsigned int i)
{
    CHECK_EQ(wr(i, APIC_REG_ESR, 0), VLAPIC_OK);
    return rd(i, APIC_REG_ESR);
}

static void send_xapic(unsigned int i, u32 dest8, u32 icr)
{
    CHECK_EQ(wr(i, APIC_REG_ICR2, dest8 << 24), VLAPIC_OK);
    CHECK_EQ(wr(i, APIC_REG_ICR, icr), VLAPIC_OK);
}

static void send_x2(unsigned int i, u32 dest, u32 icr)
{
    CHECK_EQ(mwr(i, MSR_X2(APIC_REG_ICR), ((u64)dest << 32) | icr),
             VLAPIC_OK);
}

/* --- power-on and INIT --- */

static void check_poweron_regs(unsigned int i)
{
    CHECK_EQ(rd(i, APIC_REG_LVR), 0x00060014);
    CHECK_EQ(rd(i, APIC_REG_TPR), 0);
    CHECK_EQ(rd(i, APIC_REG_APR), 0);
    CHECK_EQ(rd(i, APIC_REG_PPR), 0);
    CHECK_EQ(rd(i, APIC_REG_SVR), 0xff);
    CHECK_EQ(rd(i, APIC_REG_ESR), 0);
    CHECK_EQ(rd(i, APIC_REG_ICR), 0);
    CHECK_EQ(rd(i, APIC_REG_TMICT), 0);
    CHECK_EQ(rd(i, APIC_REG_TMCCT), 0);
    CHECK_EQ(rd(i, APIC_REG_TDCR), 0);
    for ( unsigned int k = 0; k < ARRAY_SIZE(lvt_regs); k++ )
        CHECK_EQ(rd(i, lvt_regs[k]), LVT_MASKED);
    for ( unsigned int w = 0; w < 8; w++ )
    {
        CHECK_EQ(rd(i, APIC_REG_IRR + w * 0x10), 0);
        CHECK_EQ(rd(i, APIC_REG_ISR + w * 0x10), 0);
        CHECK_EQ(rd(i, APIC_REG_TMR + w * 0x10), 0);
    }
    CHECK_EQ(VL(i)->injected, -1);
    CHECK(!timer_is_active(&VL(i)->timer));
}

TEST(poweron_state)
{
    env_setup(3);
    CHECK_EQ(mrd(0, MSR_IA32_APICBASE), 0xfee00900);
    CHECK_EQ(mrd(1, MSR_IA32_APICBASE), 0xfee00800);
    CHECK_EQ(rd(0, APIC_REG_ID), 0);
    CHECK_EQ(rd(2, APIC_REG_ID), 2u << 24);
    CHECK_EQ(rd(2, APIC_REG_LDR), 0);
    CHECK_EQ(rd(2, APIC_REG_DFR), 0xffffffff);
    CHECK_EQ(rd(2, APIC_REG_ICR2), 0);
    check_poweron_regs(0);
    check_poweron_regs(2);
    CHECK_EQ(VL(2)->vcpu, VC(2));
    CHECK_EQ(VL(2)->timer.cpu, 2);
    /* The register page is 4 KiB-aligned xenheap. */
    CHECK_EQ((unsigned long)VL(1)->regs & 0xfff, 0);
    env_teardown();
    CHECK_EQ(stub_xenheap_pages_outstanding(), 0);
}

TEST(init_resets_state)
{
    env_setup(2);
    sw_enable(1);
    wr(1, APIC_REG_TPR, 0x20);
    wr(1, APIC_REG_LDR, 0x0f000000);
    wr(1, APIC_REG_DFR, 0);
    wr(1, APIC_REG_LVTT, 0x20031);          /* periodic */
    wr(1, APIC_REG_TDCR, 0xb);
    wr(1, APIC_REG_TMICT, 5000);
    wr(1, APIC_REG_LVT0, 0x700);
    send_xapic(1, 1, 0x55);                 /* self, in IRR */
    send_xapic(1, 1, 0x66);
    CHECK_EQ(take(1), 0x66);                /* in ISR */
    send_xapic(1, 1, 0x05);                 /* error pending */
    CHECK(timer_is_active(&VL(1)->timer));
    CHECK_EQ(VL(1)->nr_ipis_sent, 2);

    vlapic_reset(VL(1));
    check_poweron_regs(1);
    CHECK_EQ(rd(1, APIC_REG_LDR), 0);
    CHECK_EQ(rd(1, APIC_REG_DFR), 0xffffffff);
    CHECK_EQ(esr(1), 0);
    CHECK_EQ(mrd(1, MSR_IA32_APICBASE), 0xfee00800);
    CHECK_EQ(rd(1, APIC_REG_ID), 1u << 24);
    /* Counters survive an INIT. */
    CHECK_EQ(VL(1)->nr_ipis_sent, 2);

    /* In x2APIC mode the vCPU stays in x2APIC mode, LDR derived. */
    sw_enable(1);
    to_x2apic(1);
    wr(1, APIC_REG_TPR, 0x30);
    vlapic_reset(VL(1));
    CHECK_EQ(mrd(1, MSR_IA32_APICBASE), 0xfee00c00);
    CHECK_EQ(mrd(1, MSR_X2(APIC_REG_LDR)), 0x2);
    CHECK_EQ(mrd(1, MSR_X2(APIC_REG_TPR)), 0);
    CHECK_EQ(mrd(1, MSR_X2(APIC_REG_SVR)), 0xff);
    env_teardown();
}

TEST(init_failure_and_destroy)
{
    struct env_vcpu ev;

    env_setup(1);
    memset(&ev, 0, sizeof(ev));
    ev.v.domain = &env_dom;
    stub_xenheap_fail_after(0);
    CHECK_EQ(vlapic_init(&ev.v), -ENOMEM);
    CHECK(ev.vl.regs == NULL);
    stub_xenheap_fail_after(-1);
    /* destroy kills the timer and frees the page, and may be repeated. */
    wr(0, APIC_REG_TMICT, 100);
    vlapic_destroy(VC(0));
    CHECK(VL(0)->regs == NULL);
    CHECK(VL(0)->timer.killed);
    vlapic_destroy(VC(0));
    env_teardown();
    CHECK_EQ(stub_xenheap_pages_outstanding(), 0);
}

/* --- ID, version, LDR, DFR --- */

TEST(id_version_readonly_xapic)
{
    env_setup(4);
    CHECK_EQ(wr(3, APIC_REG_ID, 0x07000000), VLAPIC_OK);
    CHECK_EQ(rd(3, APIC_REG_ID), 3u << 24);
    CHECK_EQ(wr(3, APIC_REG_LVR, 0), VLAPIC_OK);
    CHECK_EQ(rd(3, APIC_REG_LVR), 0x00060014);
    CHECK_EQ(wr(3, APIC_REG_PPR, 0xff), VLAPIC_OK);
    CHECK_EQ(rd(3, APIC_REG_PPR), 0);
    CHECK_EQ(wr(3, APIC_REG_APR, 0xff), VLAPIC_OK);
    CHECK_EQ(rd(3, APIC_REG_APR), 0);
    CHECK_EQ(wr(3, APIC_REG_RRD, 0xff), VLAPIC_OK);
    CHECK_EQ(rd(3, APIC_REG_RRD), 0);
    for ( unsigned int w = 0; w < 8; w++ )
    {
        CHECK_EQ(wr(3, APIC_REG_ISR + w * 0x10, ~0u), VLAPIC_OK);
        CHECK_EQ(wr(3, APIC_REG_TMR + w * 0x10, ~0u), VLAPIC_OK);
        CHECK_EQ(wr(3, APIC_REG_IRR + w * 0x10, ~0u), VLAPIC_OK);
        CHECK_EQ(rd(3, APIC_REG_ISR + w * 0x10), 0);
        CHECK_EQ(rd(3, APIC_REG_TMR + w * 0x10), 0);
        CHECK_EQ(rd(3, APIC_REG_IRR + w * 0x10), 0);
    }
    CHECK_EQ(wr(3, APIC_REG_TMCCT, 5), VLAPIC_OK);
    CHECK_EQ(rd(3, APIC_REG_TMCCT), 0);
    env_teardown();
}

TEST(ldr_dfr_xapic)
{
    env_setup(2);
    CHECK_EQ(wr(1, APIC_REG_LDR, 0xffffffff), VLAPIC_OK);
    CHECK_EQ(rd(1, APIC_REG_LDR), 0xff000000);
    CHECK_EQ(wr(1, APIC_REG_LDR, 0x12345678), VLAPIC_OK);
    CHECK_EQ(rd(1, APIC_REG_LDR), 0x12000000);
    CHECK_EQ(wr(1, APIC_REG_DFR, 0), VLAPIC_OK);
    CHECK_EQ(rd(1, APIC_REG_DFR), 0x0fffffff);
    CHECK_EQ(wr(1, APIC_REG_DFR, 0xf0000000), VLAPIC_OK);
    CHECK_EQ(rd(1, APIC_REG_DFR), 0xffffffff);
    env_teardown();
}

TEST(x2apic_id_ldr)
{
    static const unsigned int ids[] = { 0, 5, 15, 16, 17, 31 };

    env_setup(32);
    for ( unsigned int k = 0; k < ARRAY_SIZE(ids); k++ )
    {
        unsigned int i = ids[k];

        to_x2apic(i);
        CHECK_EQ(mrd(i, MSR_X2(APIC_REG_ID)), i);
        CHECK_EQ(mrd(i, MSR_X2(APIC_REG_LDR)),
                 ((i >> 4) << 16) | (1u << (i & 0xf)));
        CHECK_EQ(mrd(i, MSR_X2(APIC_REG_LVR)), 0x00060014);
        /* Read-only in x2APIC mode: #GP on write. */
        CHECK_EQ(mwr(i, MSR_X2(APIC_REG_ID), i), VLAPIC_GP);
        CHECK_EQ(mwr(i, MSR_X2(APIC_REG_LDR), 0), VLAPIC_GP);
        CHECK_EQ(mwr(i, MSR_X2(APIC_REG_LVR), 0), VLAPIC_GP);
    }
    CHECK_EQ(mrd(17, MSR_X2(APIC_REG_LDR)), 0x00010002);
    /* DFR does not exist in x2APIC mode. */
    CHECK_EQ(mrd_rc(5, MSR_X2(APIC_REG_DFR)), VLAPIC_GP);
    CHECK_EQ(mwr(5, MSR_X2(APIC_REG_DFR), 0xffffffff), VLAPIC_GP);
    env_teardown();
}

/* --- TPR, PPR, pending order --- */

TEST(tpr_ppr_math)
{
    env_setup(1);
    sw_enable(0);
    wr(0, APIC_REG_TPR, 0x35);
    CHECK_EQ(rd(0, APIC_REG_PPR), 0x35);

    send_xapic(0, 0, 0x52);
    CHECK_EQ(take(0), 0x52);
    CHECK_EQ(rd(0, APIC_REG_PPR), 0x50);    /* ISR class wins */
    wr(0, APIC_REG_TPR, 0x57);
    CHECK_EQ(rd(0, APIC_REG_PPR), 0x57);    /* equal class: TPR */
    wr(0, APIC_REG_TPR, 0x62);
    CHECK_EQ(rd(0, APIC_REG_PPR), 0x62);
    wr(0, APIC_REG_TPR, 0x10);
    CHECK_EQ(rd(0, APIC_REG_PPR), 0x50);
    eoi(0);
    CHECK_EQ(rd(0, APIC_REG_PPR), 0x10);

    /* xAPIC drops reserved bits; x2APIC raises #GP. */
    CHECK_EQ(wr(0, APIC_REG_TPR, 0x1ff), VLAPIC_OK);
    CHECK_EQ(rd(0, APIC_REG_TPR), 0xff);
    CHECK_EQ(rd(0, APIC_REG_PPR), 0xff);
    to_x2apic(0);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_TPR), 0x100), VLAPIC_GP);
    CHECK_EQ(mrd(0, MSR_X2(APIC_REG_TPR)), 0xff);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_TPR), 0x20), VLAPIC_OK);
    CHECK_EQ(mrd(0, MSR_X2(APIC_REG_PPR)), 0x20);
    CHECK_EQ(mrd_rc(0, MSR_X2(APIC_REG_APR)), VLAPIC_GP);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_PPR), 0), VLAPIC_GP);
    env_teardown();
}

TEST(pending_priority_order)
{
    static const unsigned int vecs[] = { 0x31, 0x45, 0x4f, 0x90, 0xe1 };

    env_setup(1);
    sw_enable(0);
    for ( unsigned int k = 0; k < ARRAY_SIZE(vecs); k++ )
        vlapic_set_irq(VL(0), vecs[k], false);

    /* Nested: each in service blocks its class and everything below. */
    CHECK_EQ(take(0), 0xe1);
    CHECK_EQ(vlapic_pending_irq(VL(0)), -1);
    eoi(0);
    CHECK_EQ(take(0), 0x90);
    CHECK_EQ(take(0), -1);
    eoi(0);
    CHECK_EQ(take(0), 0x4f);
    CHECK_EQ(take(0), -1);                  /* 0x45: same class as 0x4f */
    eoi(0);
    CHECK_EQ(take(0), 0x45);
    CHECK_EQ(take(0), -1);
    eoi(0);
    CHECK_EQ(take(0), 0x31);
    eoi(0);
    CHECK_EQ(take(0), -1);
    CHECK_EQ(VL(0)->nr_eoi, 5);
    env_teardown();
}

TEST(pending_blocked_by_tpr)
{
    env_setup(1);
    sw_enable(0);
    wr(0, APIC_REG_TPR, 0x4f);
    vlapic_set_irq(VL(0), 0x45, false);
    vlapic_set_irq(VL(0), 0x4f, false);
    pi_sync_pir_to_irr(VC(0));
    CHECK_EQ(vlapic_pending_irq(VL(0)), -1);
    CHECK(!vlapic_has_wakeup(VL(0)));
    vlapic_set_irq(VL(0), 0x50, false);
    CHECK(vlapic_has_wakeup(VL(0)));
    CHECK_EQ(take(0), 0x50);
    eoi(0);
    wr(0, APIC_REG_TPR, 0x3f);
    CHECK_EQ(take(0), 0x4f);
    env_teardown();
}

TEST(pending_needs_enabled_apic)
{
    env_setup(2);
    /* Power-on: software-disabled; the vector is held, not injected. */
    vlapic_set_irq(VL(1), 0x70, false);
    pi_sync_pir_to_irr(VC(1));
    CHECK(vec_in(1, APIC_REG_IRR, 0x70));
    CHECK_EQ(vlapic_pending_irq(VL(1)), -1);
    CHECK(!vlapic_has_wakeup(VL(1)));
    sw_enable(1);
    CHECK_EQ(vlapic_pending_irq(VL(1)), 0x70);
    /* Hardware-disabled: nothing is injected either. */
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, APIC_DEFAULT_BASE), VLAPIC_OK);
    vlapic_set_irq(VL(1), 0x71, false);
    pi_sync_pir_to_irr(VC(1));
    wr(1, APIC_REG_SVR, SVR_ON);
    CHECK_EQ(vlapic_pending_irq(VL(1)), -1);
    env_teardown();
}

/* --- EOI --- */

TEST(eoi_highest_first_and_empty)
{
    env_setup(1);
    sw_enable(0);
    vlapic_set_irq(VL(0), 0x40, false);
    CHECK_EQ(take(0), 0x40);
    vlapic_set_irq(VL(0), 0x80, false);
    CHECK_EQ(take(0), 0x80);                /* nested above 0x40 */
    CHECK(vec_in(0, APIC_REG_ISR, 0x40) && vec_in(0, APIC_REG_ISR, 0x80));
    eoi(0);
    CHECK(vec_in(0, APIC_REG_ISR, 0x40));
    CHECK(!vec_in(0, APIC_REG_ISR, 0x80));
    CHECK_EQ(rd(0, APIC_REG_PPR), 0x40);
    eoi(0);
    CHECK(!vec_in(0, APIC_REG_ISR, 0x40));
    CHECK_EQ(VL(0)->nr_eoi, 2);
    /* Nothing in service: ignored. */
    eoi(0);
    CHECK_EQ(VL(0)->nr_eoi, 2);
    CHECK_EQ(rec.nr_eoi, 0);
    /* xAPIC: the value is ignored, EOI reads 0. */
    vlapic_set_irq(VL(0), 0x41, false);
    CHECK_EQ(take(0), 0x41);
    CHECK_EQ(wr(0, APIC_REG_EOI, 0x1234), VLAPIC_OK);
    CHECK_EQ(VL(0)->nr_eoi, 3);
    CHECK_EQ(rd(0, APIC_REG_EOI), 0);
    env_teardown();
}

TEST(eoi_level_goes_to_vioapic)
{
    env_setup(1);
    sw_enable(0);
    vlapic_set_irq(VL(0), 0x61, true);
    CHECK(irr_has(0, 0x61));
    CHECK(vec_in(0, APIC_REG_TMR, 0x61));
    vlapic_set_irq(VL(0), 0x62, false);
    CHECK_EQ(take(0), 0x62);
    eoi(0);
    CHECK_EQ(rec.nr_eoi, 0);                /* edge: no EOI message */
    CHECK_EQ(take(0), 0x61);
    eoi(0);
    CHECK_EQ(rec.nr_eoi, 1);
    CHECK_EQ(rec.eoi_vector[0], 0x61);
    /* The same vector accepted edge-triggered clears its TMR bit. */
    vlapic_set_irq(VL(0), 0x61, false);
    CHECK(irr_has(0, 0x61));
    CHECK(!vec_in(0, APIC_REG_TMR, 0x61));
    CHECK_EQ(take(0), 0x61);
    eoi(0);
    CHECK_EQ(rec.nr_eoi, 1);
    env_teardown();
}

TEST(x2apic_eoi_rules)
{
    env_setup(1);
    sw_enable(0);
    to_x2apic(0);
    vlapic_set_irq(VL(0), 0x61, true);
    CHECK_EQ(take(0), 0x61);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_EOI), 1), VLAPIC_GP);
    CHECK(vec_in(0, APIC_REG_ISR, 0x61));
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_EOI), 1ULL << 32), VLAPIC_GP);
    CHECK_EQ(mrd_rc(0, MSR_X2(APIC_REG_EOI)), VLAPIC_GP);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_EOI), 0), VLAPIC_OK);
    CHECK(!vec_in(0, APIC_REG_ISR, 0x61));
    CHECK_EQ(rec.nr_eoi, 1);
    env_teardown();
}

/* --- the 'injected' state (seeds/002) --- */

/*
 * A vector is injected; before the exit the same vector is accepted
 * again (the sender saw the first handled and sent another).  The guest
 * took the first: after injection_done both must be seen, the first in
 * service and the second pending: two deliveries.
 */
TEST(injected_same_vector_guest_took_it)
{
    unsigned int counts[256] = { 0 };

    env_setup(2);
    sw_enable(0);
    vlapic_set_irq(VL(0), 0x70, false);
    pi_sync_pir_to_irr(VC(0));
    REQUIRE_EQ(vlapic_pending_irq(VL(0)), 0x70);
    vlapic_ack_irq(VL(0), 0x70);
    counts[0x70]++;                         /* handed to the hardware */
    CHECK_EQ(VL(0)->injected, 0x70);
    CHECK(!vec_in(0, APIC_REG_IRR, 0x70));
    CHECK(!vec_in(0, APIC_REG_ISR, 0x70));
    /* While one is injected nothing else is offered. */
    CHECK_EQ(vlapic_pending_irq(VL(0)), -1);

    /* The second IPI, from another vCPU, and a later sync. */
    send_xapic(1, 0, 0x70);
    CHECK(irr_has(0, 0x70));

    vlapic_injection_done(VL(0), true);
    CHECK_EQ(VL(0)->injected, -1);
    CHECK(vec_in(0, APIC_REG_ISR, 0x70));
    CHECK(vec_in(0, APIC_REG_IRR, 0x70));
    /* In service blocks its own class until the EOI. */
    CHECK_EQ(vlapic_pending_irq(VL(0)), -1);
    eoi(0);
    drain(0, counts);
    CHECK_EQ(counts[0x70], 2);
    CHECK_EQ(VL(0)->nr_eoi, 2);
    env_teardown();
}

/*
 * The same race, but the injection did not happen (the exit came first):
 * the first is still a request and goes back to IRR; the second, also
 * undispatched, is the same pending request, exactly as two requests of
 * one vector merge in IRR on hardware before the CPU takes either.  The
 * vector is delivered once more and nothing is lost.
 */
TEST(injected_same_vector_not_taken)
{
    unsigned int counts[256] = { 0 };

    env_setup(2);
    sw_enable(0);
    vlapic_set_irq(VL(0), 0x70, false);
    pi_sync_pir_to_irr(VC(0));
    REQUIRE_EQ(vlapic_pending_irq(VL(0)), 0x70);
    vlapic_ack_irq(VL(0), 0x70);
    send_xapic(1, 0, 0x70);
    CHECK(irr_has(0, 0x70));
    vlapic_injection_done(VL(0), false);
    CHECK_EQ(VL(0)->injected, -1);
    CHECK(vec_in(0, APIC_REG_IRR, 0x70));
    CHECK(!vec_in(0, APIC_REG_ISR, 0x70));
    CHECK_EQ(drain(0, counts), 1);
    CHECK_EQ(counts[0x70], 1);

    /* Not taken, nothing else arrived: back to IRR, delivered later. */
    vlapic_set_irq(VL(0), 0x71, false);
    pi_sync_pir_to_irr(VC(0));
    vlapic_ack_irq(VL(0), vlapic_pending_irq(VL(0)));
    vlapic_injection_done(VL(0), false);
    CHECK(vec_in(0, APIC_REG_IRR, 0x71));
    CHECK_EQ(drain(0, counts), 1);
    CHECK_EQ(counts[0x71], 1);
    /* A done with nothing injected changes nothing. */
    vlapic_injection_done(VL(0), true);
    CHECK_EQ(rd(0, APIC_REG_ISR + 0x30), 0);
    env_teardown();
}

TEST(injected_higher_vector_meanwhile)
{
    env_setup(1);
    sw_enable(0);
    vlapic_set_irq(VL(0), 0x40, false);
    pi_sync_pir_to_irr(VC(0));
    vlapic_ack_irq(VL(0), vlapic_pending_irq(VL(0)));
    vlapic_set_irq(VL(0), 0x90, false);
    pi_sync_pir_to_irr(VC(0));
    vlapic_injection_done(VL(0), true);
    /* 0x90 preempts 0x40 in service. */
    CHECK_EQ(take(0), 0x90);
    eoi(0);
    eoi(0);
    CHECK_EQ(rd(0, APIC_REG_PPR), 0);
    CHECK_EQ(take(0), -1);
    env_teardown();
}

TEST(ack_misuse_panics)
{
    env_setup(1);
    sw_enable(0);
    vlapic_set_irq(VL(0), 0x40, false);
    vlapic_set_irq(VL(0), 0x50, false);
    pi_sync_pir_to_irr(VC(0));
    CHECK_PANICS(vlapic_ack_irq(VL(0), 0x60));      /* not in IRR */
    vlapic_ack_irq(VL(0), 0x50);
    CHECK_PANICS(vlapic_ack_irq(VL(0), 0x40));      /* one at a time */
    env_teardown();
}

/* --- IPIs: destinations --- */

TEST(ipi_physical_xapic)
{
    unsigned int notes;

    env_setup(8);
    for ( unsigned int i = 0; i < 8; i++ )
        sw_enable(i);
    send_xapic(0, 5, 0x40);
    CHECK_EQ(got(8, 0x40), 1u << 5);
    /* Posted to v5: one notification to v5's pCPU, posted vector. */
    CHECK_EQ(rec.nr_notify, 1);
    CHECK_EQ(rec.notify_apic_id, ENV_APIC_ID(5 % 4));
    CHECK_EQ(rec.notify_vector, POSTED_INTR_VECTOR);
    send_xapic(0, 0xff, 0x41);
    CHECK_EQ(got(8, 0x41), 0xff);
    send_xapic(0, 9, 0x42);
    CHECK_EQ(got(8, 0x42), 0);
    notes = rec.nr_notify;
    send_xapic(3, 3, 0x43);                 /* to itself by ID: local */
    CHECK(vec_in(3, APIC_REG_IRR, 0x43));
    CHECK(!pir_has(3, 0x43));
    CHECK_EQ(rec.nr_notify, notes);
    CHECK_EQ(got(8, 0x43), 1u << 3);
    CHECK_EQ(VL(0)->nr_ipis_sent, 3);
    env_teardown();
}

TEST(ipi_logical_flat)
{
    env_setup(8);
    for ( unsigned int i = 0; i < 8; i++ )
        wr(i, APIC_REG_LDR, 1u << (24 + i));
    send_xapic(0, 0x25, ICR_LOGICAL | 0x40);
    CHECK_EQ(got(8, 0x40), 0x25);
    send_xapic(7, 0x80, ICR_LOGICAL | 0x41);
    CHECK_EQ(got(8, 0x41), 0x80);
    send_xapic(0, 0xff, ICR_LOGICAL | 0x42);
    CHECK_EQ(got(8, 0x42), 0xff);
    send_xapic(0, 0, ICR_LOGICAL | 0x43);
    CHECK_EQ(got(8, 0x43), 0);
    /* Two vCPUs may share a logical ID bit. */
    wr(6, APIC_REG_LDR, 1u << 24);
    send_xapic(0, 0x01, ICR_LOGICAL | 0x44);
    CHECK_EQ(got(8, 0x44), 0x41);
    env_teardown();
}

TEST(ipi_logical_cluster)
{
    env_setup(8);
    for ( unsigned int i = 0; i < 8; i++ )
    {
        wr(i, APIC_REG_DFR, 0x0fffffff);
        wr(i, APIC_REG_LDR, (((i / 4) << 4) | (1u << (i % 4))) << 24);
    }
    send_xapic(0, 0x13, ICR_LOGICAL | 0x40);   /* cluster 1, bits 0, 1 */
    CHECK_EQ(got(8, 0x40), 0x30);
    send_xapic(0, 0x0f, ICR_LOGICAL | 0x41);   /* cluster 0, all */
    CHECK_EQ(got(8, 0x41), 0x0f);
    send_xapic(0, 0x28, ICR_LOGICAL | 0x42);   /* cluster 2: nobody */
    CHECK_EQ(got(8, 0x42), 0);
    send_xapic(0, 0xff, ICR_LOGICAL | 0x43);   /* broadcast */
    CHECK_EQ(got(8, 0x43), 0xff);
    /* Flat-model vCPUs read the same byte as a bitmap. */
    wr(4, APIC_REG_DFR, 0xffffffff);           /* LDR 0x11 */
    send_xapic(0, 0x01, ICR_LOGICAL | 0x44);
    CHECK_EQ(got(8, 0x44), 0x11);
    env_teardown();
}

TEST(ipi_x2apic_physical)
{
    env_setup(8);
    for ( unsigned int i = 0; i < 8; i++ )
        to_x2apic(i);
    send_x2(0, 6, 0x40);
    CHECK_EQ(got(8, 0x40), 1u << 6);
    send_x2(2, 0xffffffff, 0x41);
    CHECK_EQ(got(8, 0x41), 0xff);
    send_x2(0, 0xff, 0x42);                 /* an ID, not a broadcast */
    CHECK_EQ(got(8, 0x42), 0);
    send_x2(0, 0x100 | 6, 0x43);            /* 32 bits are compared */
    CHECK_EQ(got(8, 0x43), 0);
    /* The ICR reads back as one 64-bit register. */
    CHECK_EQ(mrd(0, MSR_X2(APIC_REG_ICR)), (0x106ULL << 32) | 0x43);
    env_teardown();
}

TEST(ipi_x2apic_logical)
{
    env_setup(20);
    for ( unsigned int i = 0; i < 20; i++ )
        to_x2apic(i);
    send_x2(0, (1u << 16) | 0x3, ICR_LOGICAL | 0x40);
    CHECK_EQ(got(20, 0x40), (1u << 16) | (1u << 17));
    send_x2(0, 0x81, ICR_LOGICAL | 0x41);
    CHECK_EQ(got(20, 0x41), (1u << 0) | (1u << 7));
    send_x2(0, (1u << 16) | 0x10, ICR_LOGICAL | 0x42);   /* id 20: none */
    CHECK_EQ(got(20, 0x42), 0);
    send_x2(0, 0xffffffff, ICR_LOGICAL | 0x43);
    CHECK_EQ(got(20, 0x43), 0xfffff);
    send_x2(0, (2u << 16) | 0xffff, ICR_LOGICAL | 0x44);
    CHECK_EQ(got(20, 0x44), 0);
    env_teardown();
}

TEST(ipi_shorthands)
{
    unsigned int notes;

    env_setup(8);
    for ( unsigned int i = 0; i < 8; i++ )
        sw_enable(i);

    /* Self: straight into our IRR, no descriptor, no notification. */
    notes = rec.nr_notify;
    send_xapic(2, 0, ICR_SELF | 0x40);
    CHECK(vec_in(2, APIC_REG_IRR, 0x40));
    CHECK(!pir_has(2, 0x40));
    CHECK_EQ(rec.nr_notify, notes);
    CHECK_EQ(got(8, 0x40), 1u << 2);

    send_xapic(2, 0, ICR_ALL_INCL | 0x41);
    CHECK(vec_in(2, APIC_REG_IRR, 0x41));   /* our own copy: local */
    CHECK(!pir_has(2, 0x41));
    CHECK(pir_has(3, 0x41));                /* the others: posted */
    CHECK_EQ(got(8, 0x41), 0xff);
    send_xapic(2, 0, ICR_ALL_EXCL | 0x42);
    CHECK_EQ(got(8, 0x42), 0xff & ~(1u << 2));
    /* The destination field is ignored with a shorthand. */
    send_xapic(2, 5, ICR_ALL_EXCL | 0x43);
    CHECK_EQ(got(8, 0x43), 0xfb);

    /* Self and all-including-self carry fixed interrupts only. */
    send_xapic(2, 0, ICR_SELF | ICR_NMI);
    send_xapic(2, 0, ICR_ALL_INCL | ICR_INIT | ICR_ASSERT);
    send_xapic(2, 0, ICR_SELF | ICR_LOWEST | 0x44);
    for ( unsigned int i = 0; i < 8; i++ )
    {
        CHECK_EQ(rec.nmi[i], 0);
        CHECK_EQ(rec.init[i], 0);
    }
    CHECK_EQ(got(8, 0x44), 0);

    /* The same in x2APIC mode. */
    for ( unsigned int i = 0; i < 8; i++ )
        to_x2apic(i);
    send_x2(5, 0, ICR_SELF | 0x45);
    CHECK_EQ(got(8, 0x45), 1u << 5);
    send_x2(5, 0, ICR_ALL_EXCL | 0x46);
    CHECK_EQ(got(8, 0x46), 0xdf);
    env_teardown();
}

TEST(ipi_self_ipi_register)
{
    unsigned int notes;

    env_setup(2);
    sw_enable(1);
    CHECK_EQ(mwr(1, MSR_X2(APIC_REG_SELF_IPI), 0x55), VLAPIC_GP);  /* xAPIC */
    CHECK_EQ(mmio_rd(1, APIC_REG_SELF_IPI, 4), 0);  /* reserved in xAPIC */
    CHECK_EQ(esr(1), ESR_ILL_REG);
    to_x2apic(1);
    notes = rec.nr_notify;
    CHECK_EQ(mwr(1, MSR_X2(APIC_REG_SELF_IPI), 0x55), VLAPIC_OK);
    CHECK(vec_in(1, APIC_REG_IRR, 0x55));
    CHECK(!pir_has(1, 0x55));
    CHECK_EQ(rec.nr_notify, notes);
    CHECK_EQ(take(1), 0x55);
    CHECK_EQ(mrd_rc(1, MSR_X2(APIC_REG_SELF_IPI)), VLAPIC_GP);
    CHECK_EQ(mwr(1, MSR_X2(APIC_REG_SELF_IPI), 0x155), VLAPIC_GP);
    CHECK_EQ(mwr(1, MSR_X2(APIC_REG_SELF_IPI), 1ULL << 40), VLAPIC_GP);
    CHECK(!vec_in(1, APIC_REG_IRR, 0x55));
    /* An illegal vector is a receive error. */
    CHECK_EQ(mwr(1, MSR_X2(APIC_REG_SELF_IPI), 0x05), VLAPIC_OK);
    CHECK_EQ(mwr(1, MSR_X2(APIC_REG_ESR), 0), VLAPIC_OK);
    CHECK_EQ(mrd(1, MSR_X2(APIC_REG_ESR)), ESR_RECV_ILL);
    env_teardown();
}

TEST(ipi_lowest_priority)
{
    unsigned int counts[8] = { 0 };
    int prev = -1, alternations = 0;

    env_setup(8);
    for ( unsigned int i = 0; i < 8; i++ )
    {
        sw_enable(i);
        wr(i, APIC_REG_LDR, 1u << (24 + i));
    }
    wr(1, APIC_REG_TPR, 0x20);
    wr(2, APIC_REG_TPR, 0x10);
    wr(3, APIC_REG_TPR, 0x1f);              /* same class as v2 */
    wr(4, APIC_REG_TPR, 0x30);
    wr(5, APIC_REG_TPR, 0x00);              /* lowest, not addressed */

    for ( unsigned int k = 0; k < 10; k++ )
    {
        u32 m;

        send_xapic(0, 0x1e, ICR_LOGICAL | ICR_LOWEST | 0x50);
        m = got(8, 0x50);
        CHECK(m == (1u << 2) || m == (1u << 3));
        for ( unsigned int i = 0; i < 8; i++ )
            if ( m & (1u << i) )
            {
                counts[i]++;
                if ( prev >= 0 && prev != (int)i )
                    alternations++;
                prev = i;
            }
    }
    /* Ties rotate: exactly alternating. */
    CHECK_EQ(counts[2], 5);
    CHECK_EQ(counts[3], 5);
    CHECK_EQ(alternations, 9);

    /*
     * Arbitration is on TPR, as chipsets do: v2 with an interrupt in
     * service (PPR class 5, TPR class as before) still takes its turn.
     */
    send_xapic(2, 2, 0x55);
    CHECK_EQ(take(2), 0x55);
    CHECK_EQ(rd(2, APIC_REG_PPR), 0x50);
    {
        u32 seen = 0;

        for ( unsigned int k = 0; k < 4; k++ )
        {
            send_xapic(0, 0x1e, ICR_LOGICAL | ICR_LOWEST | 0x51);
            seen |= got(8, 0x51);
        }
        CHECK_EQ(seen, (1u << 2) | (1u << 3));
    }
    /* Physical broadcast: everyone competes; v5 has the lowest class. */
    send_xapic(0, 0xff, ICR_LOWEST | 0x52);
    /* v0, v5, v6, v7 tie at class 0; the previous winner was v3. */
    CHECK_EQ(got(8, 0x52), 1u << 5);
    /* All-excluding-self with lowest priority: one of the others. */
    wr(0, APIC_REG_TPR, 0xf0);
    for ( unsigned int i = 1; i < 8; i++ )
        wr(i, APIC_REG_TPR, 0x80);
    wr(6, APIC_REG_TPR, 0x70);
    send_xapic(0, 0, ICR_ALL_EXCL | ICR_LOWEST | 0x53);
    CHECK_EQ(got(8, 0x53), 1u << 6);
    env_teardown();
}

TEST(ipi_nmi_init_sipi)
{
    env_setup(8);
    send_xapic(0, 3, ICR_NMI);
    CHECK_EQ(rec.nmi[3], 1);
    send_xapic(0, 4, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
    CHECK_EQ(rec.init[4], 1);
    /* INIT level de-assert: nothing. */
    send_xapic(0, 4, ICR_INIT | ICR_LEVEL);
    CHECK_EQ(rec.init[4], 1);
    send_xapic(0, 5, ICR_SIPI | 0x9a);
    CHECK_EQ(rec.sipi[5], 1);
    CHECK_EQ(rec.sipi_vector[5], 0x9a);
    /* SIPI vectors below 16 are fine (it is a page number). */
    send_xapic(0, 5, ICR_SIPI | 0x08);
    CHECK_EQ(rec.sipi_vector[5], 0x08);
    /* The usual AP start: INIT then SIPI to all but self. */
    send_xapic(0, 0, ICR_ALL_EXCL | ICR_INIT | ICR_ASSERT);
    send_xapic(0, 0, ICR_ALL_EXCL | ICR_SIPI | 0x10);
    CHECK_EQ(rec.init[0], 0);
    CHECK_EQ(rec.sipi[0], 0);
    for ( unsigned int i = 1; i < 8; i++ )
    {
        CHECK_EQ(rec.init[i], i == 4 ? 2u : 1u);
        CHECK_EQ(rec.sipi_vector[i], 0x10);
    }
    /* Logical NMI to two vCPUs. */
    for ( unsigned int i = 0; i < 8; i++ )
        wr(i, APIC_REG_LDR, 1u << (24 + i));
    send_xapic(0, 0x81, ICR_LOGICAL | ICR_NMI);
    CHECK_EQ(rec.nmi[0], 1);
    CHECK_EQ(rec.nmi[7], 1);
    CHECK_EQ(rec.nmi[3], 1);
    /* SMI and the reserved modes do nothing at all. */
    send_xapic(0, 6, ICR_SMI | 0x40);
    send_xapic(0, 6, (3u << 8) | 0x40);
    send_xapic(0, 6, (7u << 8) | 0x40);
    CHECK_EQ(got(8, 0x40), 0);
    CHECK_EQ(rec.nmi[6] + rec.init[6] + rec.sipi[6], 2);  /* INIT, SIPI */
    for ( unsigned int i = 0; i < 8; i++ )
        for ( unsigned int w = 0; w < 8; w++ )
            CHECK_EQ(PI(i)->pir[w], 0);
    env_teardown();
}

TEST(ipi_from_ioapic)
{
    env_setup(4);
    /* No source: level trigger kept (TMR), shorthand bits ignored. */
    vlapic_ipi(NULL, &env_dom, ICR_LEVEL | ICR_ASSERT | 0x71, 2);
    CHECK(irr_has(2, 0x71));
    CHECK(vec_in(2, APIC_REG_TMR, 0x71));
    vlapic_ipi(NULL, &env_dom, ICR_SELF | 0x72, 1);
    CHECK_EQ(got(4, 0x72), 1u << 1);
    vlapic_ipi(NULL, &env_dom, 0x73, 0xff);
    CHECK_EQ(got(4, 0x73), 0xf);
    vlapic_ipi(NULL, &env_dom, ICR_LOWEST | ICR_LEVEL | 0x74, 0xff);
    CHECK_EQ(__builtin_popcount(got(4, 0x74)), 1);
    vlapic_ipi(NULL, &env_dom, ICR_NMI, 3);
    CHECK_EQ(rec.nmi[3], 1);
    /* An illegal vector from a device: a receive error at the target. */
    vlapic_ipi(NULL, &env_dom, 0x07, 1);
    CHECK_EQ(esr(1), ESR_RECV_ILL);
    CHECK_EQ(esr(0), 0);
    /* An IPI's level bit does not make it level-triggered. */
    send_xapic(0, 2, ICR_LEVEL | ICR_ASSERT | 0x75);
    CHECK(irr_has(2, 0x75));
    CHECK(!vec_in(2, APIC_REG_TMR, 0x75));
    env_teardown();
}

TEST(ipi_skips_disabled_apics)
{
    env_setup(4);
    CHECK_EQ(mwr(3, MSR_IA32_APICBASE, APIC_DEFAULT_BASE), VLAPIC_OK);
    send_xapic(0, 0xff, 0x40);
    CHECK_EQ(got(4, 0x40), 0x7);
    send_xapic(0, 3, ICR_INIT | ICR_ASSERT);
    CHECK_EQ(rec.init[3], 0);
    send_xapic(0, 3, 0x41);
    CHECK_EQ(got(4, 0x41), 0);
    env_teardown();
}

/* --- errors --- */

TEST(illegal_vectors_and_esr)
{
    env_setup(4);
    for ( unsigned int i = 0; i < 4; i++ )
        sw_enable(i);
    /* ESR reads what the last write latched. */
    send_xapic(0, 2, 0x05);
    CHECK_EQ(rd(0, APIC_REG_ESR), 0);
    CHECK_EQ(esr(0), ESR_SEND_ILL);
    CHECK_EQ(esr(0), 0);                     /* the write cleared it */
    CHECK_EQ(esr(2), 0);                     /* nothing was sent */
    CHECK_EQ(got(4, 0x05), 0);
    send_xapic(0, 2, ICR_LOWEST | 0x0f);
    CHECK_EQ(esr(0), ESR_SEND_ILL);

    /* Received by a vCPU: its receive-illegal bit. */
    vlapic_set_irq(VL(3), 3, false);
    CHECK_EQ(esr(3), ESR_RECV_ILL);
    CHECK(!pir_has(3, 3));

    /* An unmasked LVTERR raises the error interrupt. */
    wr(0, APIC_REG_LVTERR, 0xe5);
    send_xapic(0, 1, 0x01);
    CHECK(vec_in(0, APIC_REG_IRR, 0xe5));
    wr(3, APIC_REG_LVTERR, 0xe6);
    vlapic_set_irq(VL(3), 2, false);         /* posted: remote error */
    CHECK(irr_has(3, 0xe6));
    /* An illegal error vector is one more error, no interrupt. */
    wr(1, APIC_REG_LVTERR, 0x02);
    send_xapic(1, 0, 0x0a);
    CHECK_EQ(esr(1), ESR_SEND_ILL | ESR_RECV_ILL);
    CHECK_EQ(got(4, 0x02), 0);

    /* An LVT with an illegal vector firing: a receive error. */
    wr(2, APIC_REG_TDCR, 0xb);
    wr(2, APIC_REG_LVTT, 0x04);
    wr(2, APIC_REG_TMICT, 10);
    CHECK_EQ(env_advance(&VL(2)->timer, env_now + 100, 0), 1);
    CHECK_EQ(esr(2), ESR_RECV_ILL);

    /* x2APIC: only 0 may be written. */
    to_x2apic(2);
    CHECK_EQ(mwr(2, MSR_X2(APIC_REG_ESR), 1), VLAPIC_GP);
    CHECK_EQ(mwr(2, MSR_X2(APIC_REG_ESR), 0), VLAPIC_OK);
    env_teardown();
}

TEST(illegal_register_address)
{
    env_setup(1);
    CHECK_EQ(mmio_rd(0, 0x040, 4), 0);
    CHECK_EQ(esr(0), ESR_ILL_REG);
    mmio_wr(0, 0x3f0, 4, 0x40);              /* SELF_IPI: not in xAPIC */
    CHECK_EQ(esr(0), ESR_ILL_REG);
    CHECK(!vec_in(0, APIC_REG_IRR, 0x40));
    mmio_wr(0, 0x2c0, 1, 0);
    CHECK_EQ(esr(0), ESR_ILL_REG);
    /* Defined registers and the page above 0x3ff: no error. */
    mmio_rd(0, 0x080, 4);
    mmio_rd(0, 0x800, 4);
    mmio_wr(0, 0xc00, 4, 1);
    CHECK_EQ(esr(0), 0);
    CHECK_EQ(vlapic_reg_write(VL(0), 0x081, 0), VLAPIC_GP);
    env_teardown();
}

/* --- LVT and SVR --- */

TEST(lvt_writable_bits_xapic)
{
    static const struct { unsigned int reg; u32 mask; } m[] = {
        { APIC_REG_LVT_CMCI,  0x107ff },
        { APIC_REG_LVTT,      0x100ff },     /* mode 11b: mode kept */
        { APIC_REG_LVT_THERM, 0x107ff },
        { APIC_REG_LVT_PERF,  0x107ff },
        { APIC_REG_LVT0,      0x1a7ff },
        { APIC_REG_LVT1,      0x1a7ff },
        { APIC_REG_LVTERR,    0x100ff },
    };

    env_setup(1);
    sw_enable(0);
    for ( unsigned int k = 0; k < ARRAY_SIZE(m); k++ )
    {
        CHECK_EQ(wr(0, m[k].reg, 0xffffffff), VLAPIC_OK);
        CHECK_EQ(rd(0, m[k].reg), m[k].mask);
        CHECK_EQ(wr(0, m[k].reg, 0), VLAPIC_OK);
        CHECK_EQ(rd(0, m[k].reg), 0);
    }
    CHECK_EQ(wr(0, APIC_REG_LVTT, 0x400ff), VLAPIC_OK);
    CHECK_EQ(rd(0, APIC_REG_LVTT), 0x400ff);
    env_teardown();
}

TEST(lvt_reserved_bits_x2apic)
{
    env_setup(1);
    sw_enable(0);
    to_x2apic(0);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_LVTT), 0x80040), VLAPIC_GP);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_LVTT), 0x60040), VLAPIC_GP);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_LVTT), 0x700), VLAPIC_GP);
    CHECK_EQ(mrd(0, MSR_X2(APIC_REG_LVTT)), LVT_MASKED);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_LVTT), 0x20040), VLAPIC_OK);
    CHECK_EQ(mrd(0, MSR_X2(APIC_REG_LVTT)), 0x20040);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_LVT0), 0x1a7ff), VLAPIC_OK);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_LVT0), 0x20000), VLAPIC_GP);
    /* The read-only status bits may be written back: ignored. */
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_LVT1), 0x5000 | 0x40), VLAPIC_OK);
    CHECK_EQ(mrd(0, MSR_X2(APIC_REG_LVT1)), 0x40);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_LVTERR), 0x700), VLAPIC_GP);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_LVT_CMCI), 0x2000), VLAPIC_GP);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_LVT_THERM), 1ULL << 32), VLAPIC_GP);
    env_teardown();
}

TEST(sw_disable_masks_lvts)
{
    env_setup(1);
    sw_enable(0);
    for ( unsigned int k = 0; k < ARRAY_SIZE(lvt_regs); k++ )
        wr(0, lvt_regs[k], 0x40 + k);
    wr(0, APIC_REG_SVR, 0xff);               /* software disable */
    for ( unsigned int k = 0; k < ARRAY_SIZE(lvt_regs); k++ )
        CHECK_EQ(rd(0, lvt_regs[k]), LVT_MASKED | (0x40 + k));
    /* Cannot be unmasked while disabled. */
    wr(0, APIC_REG_LVTT, 0x50);
    CHECK_EQ(rd(0, APIC_REG_LVTT), LVT_MASKED | 0x50);
    /* Re-enabling does not unmask; a write does. */
    sw_enable(0);
    CHECK_EQ(rd(0, APIC_REG_LVTT), LVT_MASKED | 0x50);
    wr(0, APIC_REG_LVTT, 0x50);
    CHECK_EQ(rd(0, APIC_REG_LVTT), 0x50);
    env_teardown();
}

TEST(svr_bits)
{
    env_setup(1);
    CHECK_EQ(wr(0, APIC_REG_SVR, 0xffffffff), VLAPIC_OK);
    CHECK_EQ(rd(0, APIC_REG_SVR), 0x3ff);
    CHECK_EQ(wr(0, APIC_REG_SVR, 0x10f), VLAPIC_OK);
    CHECK_EQ(rd(0, APIC_REG_SVR), 0x10f);
    to_x2apic(0);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_SVR), 0x1000 | 0x1ff), VLAPIC_GP);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_SVR), 0x3ff), VLAPIC_OK);
    CHECK_EQ(mrd(0, MSR_X2(APIC_REG_SVR)), 0x3ff);
    env_teardown();
}

/* --- ICR and ICR2 --- */

TEST(icr_register_xapic)
{
    env_setup(2);
    CHECK_EQ(wr(0, APIC_REG_ICR2, 0x12345678), VLAPIC_OK);
    CHECK_EQ(rd(0, APIC_REG_ICR2), 0x12000000);
    /* Busy and reserved bits read 0; delivery is never pending. */
    CHECK_EQ(wr(0, APIC_REG_ICR2, 0x01000000), VLAPIC_OK);
    CHECK_EQ(wr(0, APIC_REG_ICR, 0xfff3f040), VLAPIC_OK);
    CHECK_EQ(rd(0, APIC_REG_ICR), 0x0000c040);
    CHECK_EQ(got(2, 0x40), 1u << 1);        /* dest 1, fixed 0x40 */
    CHECK_EQ(rd(0, APIC_REG_ICR) & (1u << 12), 0);
    CHECK_EQ(mmio_rd(0, APIC_REG_ICR, 4) & (1u << 12), 0);
    env_teardown();
}

TEST(icr_x2apic_msr)
{
    env_setup(4);
    for ( unsigned int i = 0; i < 4; i++ )
        to_x2apic(i);
    /* Reserved bits 13, 16-17, 20-31: #GP and nothing is sent. */
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_ICR), (2ULL << 32) | 0x2040),
             VLAPIC_GP);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_ICR), (2ULL << 32) | 0x10040),
             VLAPIC_GP);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_ICR), (2ULL << 32) | 0x100040),
             VLAPIC_GP);
    CHECK_EQ(got(4, 0x40), 0);
    CHECK_EQ(VL(0)->nr_ipis_sent, 0);
    CHECK_EQ(mrd(0, MSR_X2(APIC_REG_ICR)), 0);  /* nothing was written */
    /* Bit 12 (busy) is ignored, as Intel does. */
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_ICR), (2ULL << 32) | 0x1040),
             VLAPIC_OK);
    CHECK_EQ(got(4, 0x40), 1u << 2);
    CHECK_EQ(mrd(0, MSR_X2(APIC_REG_ICR)), (2ULL << 32) | 0x40);
    /* No ICR2 in x2APIC mode. */
    CHECK_EQ(mrd_rc(0, MSR_X2(APIC_REG_ICR2)), VLAPIC_GP);
    CHECK_EQ(mwr(0, MSR_X2(APIC_REG_ICR2), 0), VLAPIC_GP);
    env_teardown();
}

/* --- MMIO path --- */

TEST(mmio_access_rules)
{
    env_setup(2);
    CHECK(vlapic_is_mmio(VL(1), 0xfee00000));
    CHECK(vlapic_is_mmio(VL(1), 0xfee00fff));
    CHECK(!vlapic_is_mmio(VL(1), 0xfee01000));
    CHECK(!vlapic_is_mmio(VL(1), 0xfedfffff));

    mmio_wr(1, APIC_REG_TPR, 4, 0x12345678);
    CHECK_EQ(rd(1, APIC_REG_TPR), 0x78);
    mmio_wr(1, APIC_REG_LDR, 4, 0xa1b2c3d4);
    CHECK_EQ(mmio_rd(1, APIC_REG_LDR, 4), 0xa1000000);
    CHECK_EQ(mmio_rd(1, APIC_REG_LDR + 3, 1), 0xa1);
    CHECK_EQ(mmio_rd(1, APIC_REG_LDR + 2, 2), 0xa100);
    CHECK_EQ(mmio_rd(1, APIC_REG_ID + 2, 2), 0x0100);
    CHECK_EQ(mmio_rd(1, APIC_REG_LVR, 1), 0x14);
    CHECK_EQ(mmio_rd(1, APIC_REG_LVR + 2, 1), 0x06);
    CHECK_EQ(mmio_rd(1, APIC_REG_DFR + 4, 4), 0);   /* bytes 4-7 */
    CHECK_EQ(mmio_rd(1, APIC_REG_DFR, 8), 0xffffffff);
    CHECK_EQ(mmio_rd(1, APIC_REG_DFR + 2, 4), 0xffff);
    /* Only an aligned 4-byte write writes... */
    mmio_wr(1, APIC_REG_LDR, 1, 0x20);
    mmio_wr(1, APIC_REG_LDR + 3, 1, 0x20);
    mmio_wr(1, APIC_REG_LDR, 2, 0x20);
    mmio_wr(1, APIC_REG_LDR + 4, 4, 0x20);
    mmio_wr(1, APIC_REG_LDR, 8, 0x20);
    CHECK_EQ(mmio_rd(1, APIC_REG_LDR, 4), 0xa1000000);
    mmio_wr(1, APIC_REG_TPR + 1, 1, 0x20);
    mmio_wr(1, APIC_REG_TPR + 2, 2, 0x20);
    mmio_wr(1, APIC_REG_TPR + 4, 4, 0x20);
    mmio_wr(1, APIC_REG_TPR, 8, 0x20);
    mmio_wr(1, APIC_REG_TPR + 2, 4, 0x20);
    CHECK_EQ(rd(1, APIC_REG_TPR), 0x78);
    /* ...but the TPR takes the low byte of any write at 0x80, as APICv. */
    mmio_wr(1, APIC_REG_TPR, 1, 0x20);
    CHECK_EQ(rd(1, APIC_REG_TPR), 0x20);
    mmio_wr(1, APIC_REG_TPR, 2, 0x1234);
    CHECK_EQ(rd(1, APIC_REG_TPR), 0x34);
    mmio_wr(1, APIC_REG_TPR, 4, 0x78);
    CHECK_EQ(esr(1), 0);
    /* The write path is the register-write path: EOI, ICR... */
    mmio_wr(1, APIC_REG_SVR, 4, SVR_ON);
    mmio_wr(1, APIC_REG_ICR2, 4, 0);
    mmio_wr(1, APIC_REG_ICR, 4, 0x40);
    CHECK_EQ(got(2, 0x40), 1u << 0);

    /* x2APIC mode: no MMIO page. */
    to_x2apic(1);
    CHECK(!vlapic_is_mmio(VL(1), 0xfee00000));
    CHECK_EQ(mmio_rd(1, APIC_REG_TPR, 4), 0);
    mmio_wr(1, APIC_REG_TPR, 4, 0x30);
    CHECK_EQ(mrd(1, MSR_X2(APIC_REG_TPR)), 0x78);
    /* Hardware-disabled: none either. */
    CHECK_EQ(mwr(0, MSR_IA32_APICBASE, APIC_DEFAULT_BASE | APICBASE_BSP),
             VLAPIC_OK);
    CHECK(!vlapic_is_mmio(VL(0), 0xfee00080));
    env_teardown();
}

/* --- MSR path --- */

TEST(msr_path_rules)
{
    static const unsigned int rsvd[] = {
        0x800, 0x801, 0x804, 0x805, 0x806, 0x807, 0x809, 0x80c, 0x80e,
        0x829, 0x82a, 0x82b, 0x82c, 0x82d, 0x82e, 0x831, 0x83a, 0x83b,
        0x83c, 0x83d, 0x840, 0x8ff,
    };
    static const unsigned int ro[] = {
        0x802, 0x803, 0x80a, 0x80d, 0x810, 0x817, 0x818, 0x81f, 0x820,
        0x827, 0x839,
    };
    static const unsigned int rw[] = {
        0x808, 0x80f, 0x828, 0x82f, 0x830, 0x832, 0x833, 0x834, 0x835,
        0x836, 0x837, 0x838, 0x83e,
    };

    env_setup(1);
    /* xAPIC mode: the whole x2APIC range is #GP. */
    for ( unsigned int m = MSR_X2APIC_FIRST; m <= MSR_X2APIC_LAST; m++ )
    {
        CHECK_EQ(mrd_rc(0, m), VLAPIC_GP);
        CHECK_EQ(mwr(0, m, 0), VLAPIC_GP);
    }
    CHECK_EQ(mrd_rc(0, 0x10), VLAPIC_GP);   /* not an APIC MSR */
    CHECK_EQ(mwr(0, 0x10, 0), VLAPIC_GP);

    sw_enable(0);
    to_x2apic(0);
    for ( unsigned int k = 0; k < ARRAY_SIZE(rsvd); k++ )
    {
        CHECK_EQ(mrd_rc(0, rsvd[k]), VLAPIC_GP);
        CHECK_EQ(mwr(0, rsvd[k], 0), VLAPIC_GP);
    }
    for ( unsigned int k = 0; k < ARRAY_SIZE(ro); k++ )
    {
        CHECK_EQ(mrd_rc(0, ro[k]), VLAPIC_OK);
        CHECK_EQ(mwr(0, ro[k], 0), VLAPIC_GP);
    }
    for ( unsigned int k = 0; k < ARRAY_SIZE(rw); k++ )
        CHECK_EQ(mrd_rc(0, rw[k]), VLAPIC_OK);
    /* 32-bit registers: bits 63:32 are reserved. */
    CHECK_EQ(mwr(0, 0x838, 1ULL << 32), VLAPIC_GP);
    CHECK_EQ(mwr(0, 0x83e, 1ULL << 63), VLAPIC_GP);
    CHECK_EQ(mwr(0, 0x83e, 0x10), VLAPIC_GP);       /* TDCR bit 4 */
    CHECK_EQ(mwr(0, 0x83e, 0xb), VLAPIC_OK);
    CHECK_EQ(mrd(0, 0x83e), 0xb);
    env_teardown();
}

/* --- APIC base MSR --- */

TEST(apic_base_transitions)
{
    env_setup(2);
    /* Reserved bits, another base, the invalid state. */
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, BASE_XAPIC | 0x1), VLAPIC_GP);
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, BASE_XAPIC | 0x80), VLAPIC_GP);
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, BASE_XAPIC | 0x200), VLAPIC_GP);
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, 0xfed00000 | APICBASE_ENABLE),
             VLAPIC_GP);
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, BASE_XAPIC | (1ULL << 40)),
             VLAPIC_GP);
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, APIC_DEFAULT_BASE |
                 APICBASE_X2APIC), VLAPIC_GP);
    CHECK_EQ(mrd(1, MSR_IA32_APICBASE), BASE_XAPIC);

    /* xAPIC -> x2APIC -> (not xAPIC) -> disabled -> (not x2APIC). */
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, BASE_X2APIC), VLAPIC_OK);
    CHECK_EQ(mrd(1, MSR_IA32_APICBASE), BASE_X2APIC);
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, BASE_X2APIC), VLAPIC_OK);
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, BASE_XAPIC), VLAPIC_GP);
    CHECK_EQ(mrd(1, MSR_IA32_APICBASE), BASE_X2APIC);
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, APIC_DEFAULT_BASE), VLAPIC_OK);
    CHECK_EQ(mrd(1, MSR_IA32_APICBASE), APIC_DEFAULT_BASE);
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, BASE_X2APIC), VLAPIC_GP);
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, BASE_XAPIC), VLAPIC_OK);
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, BASE_X2APIC), VLAPIC_OK);

    /* BSP is read-only. */
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, BASE_X2APIC | APICBASE_BSP),
             VLAPIC_OK);
    CHECK_EQ(mrd(1, MSR_IA32_APICBASE), BASE_X2APIC);
    CHECK_EQ(mwr(0, MSR_IA32_APICBASE, BASE_XAPIC), VLAPIC_OK);
    CHECK_EQ(mrd(0, MSR_IA32_APICBASE), BASE_XAPIC | APICBASE_BSP);
    env_teardown();
}

TEST(apic_base_disable_resets)
{
    env_setup(1);
    sw_enable(0);
    wr(0, APIC_REG_TPR, 0x20);
    wr(0, APIC_REG_LVTT, 0x30);
    wr(0, APIC_REG_TMICT, 1000);
    vlapic_set_irq(VL(0), 0x40, false);
    CHECK_EQ(take(0), 0x40);
    vlapic_set_irq(VL(0), 0x50, false);
    pi_sync_pir_to_irr(VC(0));
    CHECK(timer_is_active(&VL(0)->timer));

    CHECK_EQ(mwr(0, MSR_IA32_APICBASE, APIC_DEFAULT_BASE), VLAPIC_OK);
    CHECK(!timer_is_active(&VL(0)->timer));
    CHECK_EQ(vlapic_pending_irq(VL(0)), -1);
    CHECK_EQ(mwr(0, MSR_IA32_APICBASE, BASE_XAPIC), VLAPIC_OK);
    check_poweron_regs(0);
    CHECK_EQ(rd(0, APIC_REG_DFR), 0xffffffff);
    env_teardown();
}

/* --- the timer --- */

static void timer_setup(unsigned int i, u32 lvtt, u32 tdcr)
{
    sw_enable(i);
    CHECK_EQ(wr(i, APIC_REG_TDCR, tdcr), VLAPIC_OK);
    CHECK_EQ(wr(i, APIC_REG_LVTT, lvtt), VLAPIC_OK);
}

TEST(timer_oneshot)
{
    s_time_t t0;

    env_setup(1);
    timer_setup(0, 0x30, 0xb);               /* divide by 1: 1 ns/count */
    t0 = env_now;
    wr(0, APIC_REG_TMICT, 1000);
    CHECK(timer_is_active(&VL(0)->timer));
    CHECK_EQ(VL(0)->timer.expires, t0 + 1000);
    CHECK_EQ(rd(0, APIC_REG_TMICT), 1000);
    CHECK_EQ(rd(0, APIC_REG_TMCCT), 1000);
    env_now = t0 + 250;
    CHECK_EQ(rd(0, APIC_REG_TMCCT), 750);
    env_now = t0 + 999;
    CHECK_EQ(rd(0, APIC_REG_TMCCT), 1);
    CHECK(!env_run_timer(&VL(0)->timer));    /* not due yet */
    CHECK(!irr_has(0, 0x30));
    CHECK_EQ(env_advance(&VL(0)->timer, t0 + 5000, 0), 1);
    CHECK(irr_has(0, 0x30));
    CHECK_EQ(rd(0, APIC_REG_TMCCT), 0);
    CHECK_EQ(rd(0, APIC_REG_TMICT), 1000);
    CHECK(!timer_is_active(&VL(0)->timer));
    CHECK_EQ(VL(0)->nr_timer_fires, 1);
    CHECK_EQ(take(0), 0x30);
    /* Reloading TMICT starts a new count. */
    wr(0, APIC_REG_TMICT, 10);
    CHECK_EQ(VL(0)->timer.expires, env_now + 10);
    env_teardown();
}

TEST(timer_divide_values)
{
    static const struct { u32 tdcr; unsigned int div; } d[] = {
        { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 }, { 0x8, 32 },
        { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
    };

    env_setup(1);
    for ( unsigned int k = 0; k < ARRAY_SIZE(d); k++ )
    {
        s_time_t t0 = env_now;

        timer_setup(0, 0x30, d[k].tdcr);
        CHECK_EQ(rd(0, APIC_REG_TDCR), d[k].tdcr);
        wr(0, APIC_REG_TMICT, 100);
        CHECK_EQ(VL(0)->timer.expires, t0 + 100 * (s_time_t)d[k].div);
        env_now = t0 + 50 * d[k].div;
        CHECK_EQ(rd(0, APIC_REG_TMCCT), 50);
        env_now = t0 + 50 * d[k].div + d[k].div - 1;
        CHECK_EQ(rd(0, APIC_REG_TMCCT), 50);
        env_now += 1;
        CHECK_EQ(rd(0, APIC_REG_TMCCT), 49);
        wr(0, APIC_REG_TMICT, 0);
    }
    /* Reserved TDCR bits are dropped in xAPIC mode. */
    wr(0, APIC_REG_TDCR, 0xfffffff4);
    CHECK_EQ(rd(0, APIC_REG_TDCR), 0);
    /* The largest count at the largest divide: no overflow. */
    timer_setup(0, 0x30, 0xa);
    wr(0, APIC_REG_TMICT, 0xffffffff);
    CHECK_EQ(VL(0)->timer.expires - env_now, 0xffffffffLL * 128);
    env_now += 0xffffffffLL * 64;
    CHECK_EQ(rd(0, APIC_REG_TMCCT), 0x80000000u);
    env_teardown();
}

TEST(timer_periodic_no_drift)
{
    const s_time_t period = MILLISECS(1);
    unsigned int counts[256] = { 0 };
    s_time_t t0;
    unsigned int k;

    env_setup(1);
    timer_setup(0, 0x20031, 0xb);
    t0 = env_now;
    wr(0, APIC_REG_TMICT, 1000000);
    for ( k = 1; k <= 1000; k++ )
    {
        s_time_t late = (s_time_t)(test_rand() % 300000);

        REQUIRE_EQ(VL(0)->timer.expires, t0 + k * period);
        CHECK_EQ(env_advance(&VL(0)->timer, t0 + k * period + late, late),
                 1);
        CHECK_EQ(drain(0, counts), 1);
        /* The count follows the phase, not the late callback. */
        CHECK_EQ(rd(0, APIC_REG_TMCCT), 1000000 - (u32)late);
    }
    CHECK_EQ(counts[0x31], 1000);
    CHECK_EQ(VL(0)->timer.expires, t0 + 1001 * period);
    CHECK_EQ(VL(0)->nr_timer_fires, 1000);
    /* A callback that runs early (timer slop) keeps the phase too. */
    env_now = VL(0)->timer.expires - 20000;
    VL(0)->timer.heap_pos = 0;
    VL(0)->timer.function(VL(0)->timer.data);
    CHECK_EQ(VL(0)->timer.expires, t0 + 1002 * period);
    /* The count has not really wrapped yet: 20 us of it are left. */
    CHECK_EQ(rd(0, APIC_REG_TMCCT), 20000);
    env_teardown();
}

TEST(timer_periodic_skips_missed_periods)
{
    s_time_t t0;

    env_setup(1);
    timer_setup(0, 0x20031, 0xb);
    t0 = env_now;
    wr(0, APIC_REG_TMICT, 1000000);
    /* The callback runs 5.5 periods late: one interrupt, phase kept. */
    env_now = t0 + 6500000;
    CHECK(env_run_timer(&VL(0)->timer));
    CHECK_EQ(VL(0)->timer.expires, t0 + 7000000);
    CHECK_EQ(rd(0, APIC_REG_TMCCT), 500000);
    CHECK_EQ(drain(0, NULL), 1);
    env_teardown();
}

TEST(timer_periodic_minimum_period)
{
    s_time_t t0;

    env_setup(1);
    timer_setup(0, 0x20031, 0xb);
    t0 = env_now;
    wr(0, APIC_REG_TMICT, 30);               /* 30 ns */
    CHECK_EQ(VL(0)->timer.expires, t0 + 100020);   /* 3334 * 30 ns */
    env_now = t0 + 45;
    CHECK_EQ(rd(0, APIC_REG_TMCCT), 15);     /* the count still runs */
    CHECK_EQ(env_advance(&VL(0)->timer, t0 + 100020 * 10, 0), 10);
    env_teardown();
}

TEST(timer_stop_and_mask)
{
    s_time_t t0;

    env_setup(1);
    timer_setup(0, 0x30, 0xb);
    wr(0, APIC_REG_TMICT, 1000);
    wr(0, APIC_REG_TMICT, 0);                /* stops it */
    CHECK(!timer_is_active(&VL(0)->timer));
    CHECK_EQ(rd(0, APIC_REG_TMCCT), 0);
    CHECK_EQ(env_advance(&VL(0)->timer, env_now + 5000, 0), 0);
    CHECK(!irr_has(0, 0x30));

    /* Masked: the count runs and expires, no interrupt. */
    wr(0, APIC_REG_LVTT, LVT_MASKED | 0x20030);
    t0 = env_now;
    wr(0, APIC_REG_TMICT, 200000);
    CHECK_EQ(env_advance(&VL(0)->timer, t0 + 1000000, 0), 5);
    CHECK(!irr_has(0, 0x30));
    CHECK_EQ(VL(0)->nr_timer_fires, 5);
    /* Unmasking does not change the mode: no disarm, same phase. */
    wr(0, APIC_REG_LVTT, 0x20030);
    CHECK_EQ(VL(0)->timer.expires, t0 + 1200000);
    CHECK_EQ(env_advance(&VL(0)->timer, t0 + 1200000, 0), 1);
    CHECK(irr_has(0, 0x30));
    /* Software disable masks the timer too. */
    wr(0, APIC_REG_SVR, 0xff);
    *regp(0, APIC_REG_IRR + 0x10) = 0;
    CHECK_EQ(env_advance(&VL(0)->timer, t0 + 1400000, 0), 1);
    CHECK(!irr_has(0, 0x30));
    env_teardown();
}

TEST(timer_divide_change_midway)
{
    s_time_t t0;

    env_setup(1);
    timer_setup(0, 0x30, 0xb);
    t0 = env_now;
    wr(0, APIC_REG_TMICT, 1000);
    env_now = t0 + 400;
    CHECK_EQ(rd(0, APIC_REG_TMCCT), 600);
    wr(0, APIC_REG_TDCR, 0x0);               /* divide by 2 now */
    CHECK_EQ(rd(0, APIC_REG_TMCCT), 600);
    CHECK_EQ(VL(0)->timer.expires, t0 + 400 + 1200);
    env_now = t0 + 400 + 200;
    CHECK_EQ(rd(0, APIC_REG_TMCCT), 500);
    CHECK_EQ(env_advance(&VL(0)->timer, t0 + 1600, 0), 1);
    CHECK(irr_has(0, 0x30));
    env_teardown();
}

TEST(timer_tsc_deadline)
{
    u64 tsc;

    env_setup(1);
    timer_setup(0, 0x40032, 0xb);
    CHECK_EQ(rd(0, APIC_REG_LVTT), 0x40032);
    /* TMICT is ignored, TMCCT reads 0. */
    wr(0, APIC_REG_TMICT, 1000);
    CHECK_EQ(rd(0, APIC_REG_TMICT), 0);
    CHECK_EQ(rd(0, APIC_REG_TMCCT), 0);
    CHECK(!timer_is_active(&VL(0)->timer));

    tsc = hvm_guest_tsc(VC(0));
    CHECK_EQ(mwr(0, MSR_IA32_TSC_DEADLINE, tsc + 2000), VLAPIC_OK);
    CHECK_EQ(mrd(0, MSR_IA32_TSC_DEADLINE), tsc + 2000);
    CHECK(timer_is_active(&VL(0)->timer));
    CHECK_EQ(VL(0)->timer.expires, env_now + 1000);
    CHECK_EQ(env_advance(&VL(0)->timer, env_now + 999, 0), 0);
    CHECK_EQ(env_advance(&VL(0)->timer, env_now + 1, 0), 1);
    CHECK(irr_has(0, 0x32));
    CHECK_EQ(mrd(0, MSR_IA32_TSC_DEADLINE), 0);
    CHECK(!timer_is_active(&VL(0)->timer));
    CHECK_EQ(take(0), 0x32);
    eoi(0);

    /* Writing 0 disarms. */
    CHECK_EQ(mwr(0, MSR_IA32_TSC_DEADLINE, hvm_guest_tsc(VC(0)) + 100),
             VLAPIC_OK);
    CHECK_EQ(mwr(0, MSR_IA32_TSC_DEADLINE, 0), VLAPIC_OK);
    CHECK(!timer_is_active(&VL(0)->timer));
    CHECK_EQ(env_advance(&VL(0)->timer, env_now + 1000, 0), 0);
    CHECK_EQ(take(0), -1);

    /* A deadline already passed fires at once, locally. */
    CHECK_EQ(mwr(0, MSR_IA32_TSC_DEADLINE, hvm_guest_tsc(VC(0)) - 5),
             VLAPIC_OK);
    CHECK(vec_in(0, APIC_REG_IRR, 0x32));
    CHECK(!pir_has(0, 0x32));
    CHECK(!timer_is_active(&VL(0)->timer));
    CHECK_EQ(mrd(0, MSR_IA32_TSC_DEADLINE), 0);
    CHECK_EQ(VL(0)->nr_timer_fires, 2);

    /* Not in TSC-deadline mode: writes ignored, reads 0. */
    wr(0, APIC_REG_LVTT, 0x32);
    CHECK_EQ(mwr(0, MSR_IA32_TSC_DEADLINE, hvm_guest_tsc(VC(0)) + 9),
             VLAPIC_OK);
    CHECK_EQ(mrd(0, MSR_IA32_TSC_DEADLINE), 0);
    CHECK(!timer_is_active(&VL(0)->timer));
    env_teardown();
}

/*
 * A write that re-arms or disarms the timer after the guest's clock has
 * passed the expiry, but before the timer softirq ran, must not swallow
 * that expiry: on hardware it is already in IRR.
 */
TEST(timer_write_after_unseen_expiry_delivers_it)
{
    u64 tsc;
    s_time_t t0;

    env_setup(1);
    /* TSC-deadline: deadline passed, then 0 written. */
    timer_setup(0, 0x40032, 0xb);
    tsc = hvm_guest_tsc(VC(0));
    CHECK_EQ(mwr(0, MSR_IA32_TSC_DEADLINE, tsc + 200), VLAPIC_OK);
    env_now += 100;                          /* 200 ticks at 2 per ns */
    CHECK_EQ(mwr(0, MSR_IA32_TSC_DEADLINE, 0), VLAPIC_OK);
    CHECK(vec_in(0, APIC_REG_IRR, 0x32));
    CHECK(!timer_is_active(&VL(0)->timer));
    CHECK_EQ(VL(0)->nr_timer_fires, 1);
    CHECK_EQ(take(0), 0x32);
    eoi(0);
    /* One tick short of it: the write of 0 still cancels. */
    tsc = hvm_guest_tsc(VC(0));
    CHECK_EQ(mwr(0, MSR_IA32_TSC_DEADLINE, tsc + 202), VLAPIC_OK);
    env_now += 100;
    CHECK_EQ(mwr(0, MSR_IA32_TSC_DEADLINE, 0), VLAPIC_OK);
    CHECK_EQ(env_advance(&VL(0)->timer, env_now + 5000, 0), 0);
    CHECK_EQ(take(0), -1);
    CHECK_EQ(VL(0)->nr_timer_fires, 1);

    /* One-shot: count ran out, then TMICT rewritten. */
    timer_setup(0, 0x30, 0xb);
    t0 = env_now;
    wr(0, APIC_REG_TMICT, 1000);
    env_now = t0 + 1000;
    wr(0, APIC_REG_TMICT, 1000);
    CHECK(vec_in(0, APIC_REG_IRR, 0x30));
    CHECK_EQ(VL(0)->nr_timer_fires, 2);
    CHECK_EQ(VL(0)->timer.expires, env_now + 1000);
    CHECK_EQ(take(0), 0x30);
    eoi(0);
    /* ... and a mode change after it ran out. */
    env_now += 1000;
    wr(0, APIC_REG_LVTT, 0x20030);
    CHECK(vec_in(0, APIC_REG_IRR, 0x30));
    CHECK(!timer_is_active(&VL(0)->timer));
    CHECK_EQ(VL(0)->nr_timer_fires, 3);
    env_teardown();
}

TEST(timer_mode_switch_disarms_only_to_or_from_tsc_deadline)
{
    s_time_t t0;

    env_setup(1);
    timer_setup(0, 0x30, 0xb);
    t0 = env_now;
    wr(0, APIC_REG_TMICT, 200000);
    /*
     * One-shot -> periodic: the count goes on (SDM 11.5.4.1 disarms only
     * on TSC-deadline transitions), ends at t0 + 200000 and reloads
     * (a period above VLAPIC_MIN_PERIOD, which would stretch it).
     */
    env_now = t0 + 80000;
    wr(0, APIC_REG_LVTT, 0x20030);
    CHECK(timer_is_active(&VL(0)->timer));
    CHECK_EQ(rd(0, APIC_REG_TMICT), 200000);
    CHECK_EQ(VL(0)->timer.expires, t0 + 200000);
    CHECK_EQ(env_advance(&VL(0)->timer, t0 + 200000, 0), 1);
    CHECK_EQ(take(0), 0x30);
    eoi(0);
    CHECK_EQ(VL(0)->timer.expires, t0 + 400000);
    /* Periodic -> one-shot: the running period ends once, then stops. */
    env_now = t0 + 300000;
    wr(0, APIC_REG_LVTT, 0x30);
    CHECK_EQ(env_advance(&VL(0)->timer, t0 + 400000, 0), 1);
    CHECK_EQ(take(0), 0x30);
    eoi(0);
    CHECK(!timer_is_active(&VL(0)->timer));
    CHECK_EQ(rd(0, APIC_REG_TMCCT), 0);
    CHECK_EQ(env_advance(&VL(0)->timer, env_now + 5000, 0), 0);
    CHECK_EQ(take(0), -1);

    /* TSC-deadline armed -> one-shot: disarmed, MSR cleared. */
    wr(0, APIC_REG_LVTT, 0x40030);
    CHECK_EQ(mwr(0, MSR_IA32_TSC_DEADLINE, hvm_guest_tsc(VC(0)) + 100),
             VLAPIC_OK);
    CHECK(timer_is_active(&VL(0)->timer));
    wr(0, APIC_REG_LVTT, 0x30);
    CHECK(!timer_is_active(&VL(0)->timer));
    wr(0, APIC_REG_LVTT, 0x40030);
    CHECK_EQ(mrd(0, MSR_IA32_TSC_DEADLINE), 0);
    CHECK_EQ(env_advance(&VL(0)->timer, env_now + 5000, 0), 0);
    CHECK(!irr_has(0, 0x30));
    /* Periodic -> TSC-deadline stops the count, TMICT cleared. */
    wr(0, APIC_REG_LVTT, 0x20030);
    wr(0, APIC_REG_TMICT, 1000);
    wr(0, APIC_REG_LVTT, 0x40030);
    CHECK(!timer_is_active(&VL(0)->timer));
    CHECK_EQ(rd(0, APIC_REG_TMICT), 0);
    env_teardown();
}

/*
 * A deadline beyond what system time reaches (2^64 - 1, 2^63) is armed
 * as far as the guest can tell - the MSR reads it back - and never fires.
 */
TEST(timer_tsc_deadline_far_future_never_fires)
{
    static const u64 far[] = { ~0ULL, 1ULL << 63, (1ULL << 63) + 12345 };

    env_setup(1);
    timer_setup(0, 0x40032, 0xb);
    for ( unsigned int i = 0; i < ARRAY_SIZE(far); i++ )
    {
        CHECK_EQ(mwr(0, MSR_IA32_TSC_DEADLINE, far[i]), VLAPIC_OK);
        CHECK_EQ(mrd(0, MSR_IA32_TSC_DEADLINE), far[i]);
        CHECK_EQ(env_advance(&VL(0)->timer, env_now + 1000000, 0), 0);
        CHECK_EQ(take(0), -1);
        CHECK_EQ(VL(0)->nr_timer_fires, 0);
    }
    env_teardown();
}

TEST(icr_fastpath_self_ipi_stays_on_the_pcpu)
{
    unsigned int notes;

    env_setup(2);
    to_x2apic(0);
    to_x2apic(1);
    notes = rec.nr_notify;
    /* To its own x2APIC ID: straight into IRR, no post, no notification. */
    CHECK(vlapic_icr_fastpath(VL(0), (0ULL << 32) | 0x45));
    CHECK(vec_in(0, APIC_REG_IRR, 0x45));
    CHECK(!pir_has(0, 0x45));
    CHECK_EQ(rec.nr_notify, notes);
    CHECK_EQ(VL(0)->nr_ipis_sent, 1);
    env_teardown();
}

TEST(timer_migrate)
{
    s_time_t exp;

    env_setup(2);
    timer_setup(1, 0x20030, 0xb);
    wr(1, APIC_REG_TMICT, 100000);
    exp = VL(1)->timer.expires;
    CHECK_EQ(VL(1)->timer.cpu, 1);
    vlapic_migrate_timer(VL(1), 3);
    CHECK_EQ(VL(1)->timer.cpu, 3);
    CHECK(timer_is_active(&VL(1)->timer));
    CHECK(!VL(1)->timer.killed);
    CHECK_EQ(VL(1)->timer.expires, exp);
    CHECK_EQ(env_advance(&VL(1)->timer, exp, 0), 1);
    CHECK_EQ(VL(1)->timer.expires, exp + 100000);
    /* An expiry that was due but had not run is not lost. */
    env_now = exp + 150000;
    vlapic_migrate_timer(VL(1), 2);
    CHECK_EQ(VL(1)->timer.expires, exp + 100000);
    CHECK(env_run_timer(&VL(1)->timer));
    /* Unarmed stays unarmed; TSC-deadline moves too. */
    wr(1, APIC_REG_LVTT, 0x40030);
    vlapic_migrate_timer(VL(1), 1);
    CHECK(!timer_is_active(&VL(1)->timer));
    mwr(1, MSR_IA32_TSC_DEADLINE, hvm_guest_tsc(VC(1)) + 4000);
    exp = VL(1)->timer.expires;
    vlapic_migrate_timer(VL(1), 0);
    CHECK_EQ(VL(1)->timer.cpu, 0);
    CHECK_EQ(VL(1)->timer.expires, exp);
    env_teardown();
}

TEST(timer_wakes_blocked_vcpu)
{
    env_setup(2);
    timer_setup(1, 0x30, 0xb);
    wr(1, APIC_REG_TMICT, 500);
    __atomic_fetch_or(&VC(1)->pause_flags, VPF_blocked, __ATOMIC_SEQ_CST);
    CHECK_EQ(env_advance(&VL(1)->timer, env_now + 500, 0), 1);
    /*
     * The expiry posts and notifies NV; the wakeup itself is the
     * notification's business (a blocked vCPU's NV is its wakeup
     * list's vector, test_pi_blocked), never a vcpu_wake from here.
     */
    CHECK_EQ(rec.nr_notify, 1);
    CHECK_EQ(rec.wake[1], 0);
    CHECK(VC(1)->pause_flags & VPF_blocked);
    CHECK(pir_has(1, 0x30));
    env_teardown();
}

/* --- wakeup, dump --- */

TEST(has_wakeup)
{
    env_setup(2);
    sw_enable(1);
    CHECK(!vlapic_has_wakeup(VL(1)));
    vlapic_set_irq(VL(1), 0x40, false);
    CHECK(pir_has(1, 0x40));
    CHECK(vlapic_has_wakeup(VL(1)));         /* synced it */
    CHECK(!pir_has(1, 0x40));
    CHECK(vec_in(1, APIC_REG_IRR, 0x40));
    CHECK_EQ(take(1), 0x40);
    CHECK(!vlapic_has_wakeup(VL(1)));        /* in service, nothing new */
    vlapic_set_irq(VL(1), 0x41, false);      /* same class: held */
    CHECK(!vlapic_has_wakeup(VL(1)));
    eoi(1);
    CHECK(vlapic_has_wakeup(VL(1)));
    env_teardown();
}

TEST(dump_shows_state)
{
    env_setup(2);
    sw_enable(1);
    wr(1, APIC_REG_TPR, 0x20);
    vlapic_set_irq(VL(1), 0x61, true);
    CHECK_EQ(take(1), 0x61);
    vlapic_set_irq(VL(1), 0x22, false);
    pi_sync_pir_to_irr(VC(1));
    vlapic_set_irq(VL(1), 0xf1, false);      /* still in PIR */
    wr(1, APIC_REG_LVTT, 0x20030);
    wr(1, APIC_REG_TMICT, 12345);
    stub_log_clear();
    vlapic_dump(VL(1));
    CHECK(stub_log_contains("IRR 00000000 00000000 00000000 00000000 "
                            "00000000 00000000 00000004 00000000"));
    CHECK(stub_log_contains("ISR 00000000 00000000 00000000 00000000 "
                            "00000002 00000000 00000000 00000000"));
    CHECK(stub_log_contains("TMR 00000000 00000000 00000000 00000000 "
                            "00000002 00000000 00000000 00000000"));
    CHECK(stub_log_contains("tpr 0x20 ppr 0x60"));
    CHECK(stub_log_contains("(xapic)"));
    CHECK(stub_log_contains("timer periodic tmict 0x3039"));
    CHECK(stub_log_contains("pir 00020000 00000000"));
    CHECK(stub_log_contains("LVT timer 0x20030"));
    CHECK(stub_log_contains("counters:"));
    env_teardown();
}

TEST(icr_fastpath_takes_only_fixed_physical_single_destination_ipis)
{
    env_setup(4);
    for ( unsigned int i = 0; i < 3; i++ )
        to_x2apic(i);                       /* vCPU 3 stays in xAPIC mode */

    /* Fixed, physical, no shorthand, one vCPU: done, as the MSR would. */
    CHECK(vlapic_icr_fastpath(VL(0), (2ULL << 32) | 0x41));
    CHECK_EQ(got(4, 0x41), 1u << 2);
    CHECK_EQ(mrd(0, MSR_X2(APIC_REG_ICR)), (2ULL << 32) | 0x41);
    CHECK_EQ(VL(0)->nr_ipis_sent, 1);

    /* Everything else is left to the full path, with nothing done. */
    CHECK(!vlapic_icr_fastpath(VL(0), (1ULL << 32) | 0x842));  /* logical */
    CHECK(!vlapic_icr_fastpath(VL(0), (1ULL << 32) | 0x40142)); /* self */
    CHECK(!vlapic_icr_fastpath(VL(0), (1ULL << 32) | 0x142));  /* lowest */
    CHECK(!vlapic_icr_fastpath(VL(0), (1ULL << 32) | 0x400));  /* NMI */
    CHECK(!vlapic_icr_fastpath(VL(0), (1ULL << 32) | 0x0f));   /* vec < 16 */
    CHECK(!vlapic_icr_fastpath(VL(0), (0xffffffffULL << 32) | 0x42));
    CHECK(!vlapic_icr_fastpath(VL(0), (9ULL << 32) | 0x42));   /* no vCPU */
    CHECK(!vlapic_icr_fastpath(VL(0), (3ULL << 32) | 0x42));   /* xAPIC */
    CHECK(!vlapic_icr_fastpath(VL(0), (1ULL << 32) | 0x100042)); /* rsvd */
    CHECK(!vlapic_icr_fastpath(VL(3), (1ULL << 32) | 0x42)); /* sender xAPIC */
    CHECK_EQ(got(4, 0x42), 0);
    CHECK_EQ(VL(0)->nr_ipis_sent, 1);
    CHECK_EQ(mrd(0, MSR_X2(APIC_REG_ICR)), (2ULL << 32) | 0x41);
    env_teardown();
}

static void set_bit_reg(unsigned int i, unsigned int base, unsigned int vec)
{
    regp(i, base + 0x10 * (vec / 32))[0] |= 1u << (vec % 32);
}

TEST(pv_eoi_offered_only_for_a_lone_edge_vector)
{
    env_setup(1);
    sw_enable(0);

    CHECK_EQ(vlapic_pv_eoi_candidate(VL(0)), -1);        /* nothing */

    set_bit_reg(0, APIC_REG_ISR, 0x51);                  /* alone, edge */
    CHECK_EQ(vlapic_pv_eoi_candidate(VL(0)), 0x51);

    set_bit_reg(0, APIC_REG_IRR, 0x40);                  /* one waits */
    CHECK_EQ(vlapic_pv_eoi_candidate(VL(0)), -1);
    regp(0, APIC_REG_IRR + 0x10 * 2)[0] = 0;

    set_bit_reg(0, APIC_REG_ISR, 0x61);                  /* nested */
    CHECK_EQ(vlapic_pv_eoi_candidate(VL(0)), -1);
    regp(0, APIC_REG_ISR + 0x10 * 3)[0] = 0;

    set_bit_reg(0, APIC_REG_TMR, 0x51);                  /* level */
    CHECK_EQ(vlapic_pv_eoi_candidate(VL(0)), -1);
    regp(0, APIC_REG_TMR + 0x10 * 2)[0] = 0;

    /* Being injected with nothing in service: that vector. */
    regp(0, APIC_REG_ISR + 0x10 * 2)[0] = 0;
    VL(0)->injected = 0x45;
    CHECK_EQ(vlapic_pv_eoi_candidate(VL(0)), 0x45);
    set_bit_reg(0, APIC_REG_ISR, 0x30);                  /* not alone */
    CHECK_EQ(vlapic_pv_eoi_candidate(VL(0)), -1);
    regp(0, APIC_REG_ISR + 0x10 * 1)[0] = 0;
    VL(0)->injected = -1;

    /* The EOI done for the guest clears what is in service. */
    set_bit_reg(0, APIC_REG_ISR, 0x51);
    vlapic_pv_eoi(VL(0));
    CHECK(!irr_has(0, 0x51));
    CHECK_EQ(regp(0, APIC_REG_ISR + 0x10 * 2)[0], 0);
    env_teardown();
}

/* --- the LINT1 input --- */

#define LVT_FIXED       (0u << 8)
#define LVT_SMI         (2u << 8)
#define LVT_NMI         (4u << 8)
#define LVT_INIT        (5u << 8)
#define LVT_EXTINT      (7u << 8)
#define LVT_REMOTE_IRR  (1u << 14)
#define LVT_LEVEL       (1u << 15)

/* Nothing reached any of the first n vCPUs: no NMI, INIT or vector. */
static void check_lint1_nothing(unsigned int n)
{
    for ( unsigned int i = 0; i < n; i++ )
    {
        CHECK_EQ(rec.nmi[i], 0);
        CHECK_EQ(rec.init[i], 0);
        for ( unsigned int w = 0; w < 8; w++ )
            CHECK_EQ(PI(i)->pir[w], 0);
        pi_sync_pir_to_irr(VC(i));
        CHECK_EQ(vlapic_pending_irq(VL(i)), -1);
    }
}

TEST(lint1_masked_at_power_on_and_by_software_disable)
{
    env_setup(4);
    /* Power-on: every LVT masked; the APIC software-disabled too. */
    for ( unsigned int i = 0; i < 4; i++ )
        vlapic_lint1_edge(VL(i));
    check_lint1_nothing(4);
    sw_enable(1);
    vlapic_lint1_edge(VL(1));
    check_lint1_nothing(4);
    /* Masked NMI and masked fixed entries: nothing, and nothing later. */
    CHECK_EQ(wr(1, APIC_REG_LVT1, LVT_MASKED | LVT_NMI), VLAPIC_OK);
    vlapic_lint1_edge(VL(1));
    CHECK_EQ(wr(1, APIC_REG_LVT1, LVT_MASKED | LVT_FIXED | 0x61),
             VLAPIC_OK);
    vlapic_lint1_edge(VL(1));
    CHECK_EQ(wr(1, APIC_REG_LVT1, LVT_FIXED | 0x61), VLAPIC_OK);
    check_lint1_nothing(4);
    /* Software disable masks the entry (SDM 11.4.7.2) ... */
    CHECK_EQ(wr(1, APIC_REG_LVT1, LVT_NMI), VLAPIC_OK);
    CHECK_EQ(wr(1, APIC_REG_SVR, 0xff), VLAPIC_OK);
    CHECK(rd(1, APIC_REG_LVT1) & LVT_MASKED);
    vlapic_lint1_edge(VL(1));
    check_lint1_nothing(4);
    /* ... and re-enabling leaves it masked. */
    sw_enable(1);
    vlapic_lint1_edge(VL(1));
    check_lint1_nothing(4);
    /* Disabled while the entry still reads unmasked (mid svr_write). */
    CHECK_EQ(wr(1, APIC_REG_LVT1, LVT_NMI), VLAPIC_OK);
    *regp(1, APIC_REG_SVR) = 0xff;
    vlapic_lint1_edge(VL(1));
    check_lint1_nothing(4);
    env_teardown();
}

TEST(lint1_nmi_init_and_ignored_modes)
{
    env_setup(4);
    for ( unsigned int i = 0; i < 4; i++ )
    {
        sw_enable(i);
        CHECK_EQ(wr(i, APIC_REG_LVT1, LVT_NMI), VLAPIC_OK);
    }
    /* Only the vCPU whose pin is driven gets it, once per edge. */
    vlapic_lint1_edge(VL(1));
    CHECK_EQ(rec.nmi[1], 1);
    CHECK_EQ(rec.nmi[0] + rec.nmi[2] + rec.nmi[3], 0);
    vlapic_lint1_edge(VL(1));
    CHECK_EQ(rec.nmi[1], 2);
    /* NMI mode ignores the vector and the trigger bit. */
    CHECK_EQ(wr(2, APIC_REG_LVT1, LVT_NMI | LVT_LEVEL | 0x33), VLAPIC_OK);
    vlapic_lint1_edge(VL(2));
    CHECK_EQ(rec.nmi[2], 1);
    CHECK_EQ(got(4, 0x33), 0);
    /* x2APIC mode: the same entry through the MSR. */
    to_x2apic(3);
    CHECK_EQ(mwr(3, MSR_X2(APIC_REG_LVT1), LVT_NMI), VLAPIC_OK);
    vlapic_lint1_edge(VL(3));
    CHECK_EQ(rec.nmi[3], 1);
    CHECK_EQ(rec.nmi[0], 0);
    /* INIT mode: an INIT, as the ICR's. */
    CHECK_EQ(wr(0, APIC_REG_LVT1, LVT_INIT), VLAPIC_OK);
    vlapic_lint1_edge(VL(0));
    CHECK_EQ(rec.init[0], 1);
    CHECK_EQ(rec.nmi[0], 0);
    /* SMI, ExtINT (no 8259 on LINT1) and the reserved modes: nothing. */
    static const u32 none[] = {
        LVT_SMI, LVT_EXTINT, 1u << 8, 3u << 8, 6u << 8,
    };
    for ( unsigned int k = 0; k < ARRAY_SIZE(none); k++ )
    {
        CHECK_EQ(wr(0, APIC_REG_LVT1, none[k] | 0x44), VLAPIC_OK);
        vlapic_lint1_edge(VL(0));
    }
    CHECK_EQ(rec.nmi[0], 0);
    CHECK_EQ(rec.init[0], 1);
    CHECK_EQ(got(4, 0x44), 0);
    CHECK_EQ(esr(0), 0);
    env_teardown();
}

TEST(lint1_fixed_is_an_edge_vector)
{
    unsigned int counts[256] = { 0 };

    env_setup(4);
    for ( unsigned int i = 0; i < 4; i++ )
        sw_enable(i);
    CHECK_EQ(wr(2, APIC_REG_LVT1, LVT_FIXED | 0x61), VLAPIC_OK);
    /* Posted like any interrupt from another pCPU, to vCPU 2 only. */
    vlapic_lint1_edge(VL(2));
    CHECK(pir_has(2, 0x61));
    CHECK_EQ(got(4, 0x61), 1u << 2);
    CHECK_EQ(rec.nmi[2], 0);
    /* Taken once, edge (TMR clear, the EOI stays local). */
    vlapic_lint1_edge(VL(2));
    CHECK_EQ(drain(2, counts), 1);
    CHECK_EQ(counts[0x61], 1);
    CHECK(!vec_in(2, APIC_REG_TMR, 0x61));
    CHECK_EQ(rec.nr_eoi, 0);
    /*
     * The level bit: LINT1 takes no level-sensitive interrupts (SDM
     * 11.5.1), so still an edge: TMR clear, no Remote IRR, and a second
     * edge before the EOI is accepted (it waits in IRR).
     */
    CHECK_EQ(wr(2, APIC_REG_LVT1, LVT_FIXED | LVT_LEVEL | 0x62), VLAPIC_OK);
    vlapic_lint1_edge(VL(2));
    CHECK_EQ(take(2), 0x62);
    CHECK(!(rd(2, APIC_REG_LVT1) & LVT_REMOTE_IRR));
    CHECK(!vec_in(2, APIC_REG_TMR, 0x62));
    vlapic_lint1_edge(VL(2));
    CHECK(irr_has(2, 0x62));
    eoi(2);
    CHECK_EQ(take(2), 0x62);
    eoi(2);
    CHECK_EQ(take(2), -1);
    CHECK_EQ(rec.nr_eoi, 0);
    /* An illegal vector: the receive error, no interrupt. */
    CHECK_EQ(esr(2), 0);
    CHECK_EQ(wr(2, APIC_REG_LVT1, LVT_FIXED | 0x05), VLAPIC_OK);
    vlapic_lint1_edge(VL(2));
    CHECK_EQ(esr(2), ESR_RECV_ILL);
    CHECK_EQ(got(4, 0x05), 0);
    check_lint1_nothing(4);
    env_teardown();
}

TEST(lint1_is_the_nmi_pin_of_a_hardware_disabled_apic)
{
    env_setup(2);
    /* Globally disabled: a processor without an APIC (SDM 11.4.3). */
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, APIC_DEFAULT_BASE), VLAPIC_OK);
    vlapic_lint1_edge(VL(1));
    CHECK_EQ(rec.nmi[1], 1);
    CHECK_EQ(rec.nmi[0], 0);
    /* Enabled again: power-on state, the entry masked. */
    CHECK_EQ(mwr(1, MSR_IA32_APICBASE, BASE_XAPIC), VLAPIC_OK);
    vlapic_lint1_edge(VL(1));
    CHECK_EQ(rec.nmi[1], 1);
    env_teardown();
}

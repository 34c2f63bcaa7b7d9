/*
 * Unit tests for KVM's hypercalls beside xen-lite's
 * (xen/arch/x86/hvm/kvm_hypercall.c): which numbers are KVM's, the
 * privilege and feature checks, and KVM_HC_SEND_IPI - every bitmap word
 * in both modes, bases, IDs without a vCPU, disabled APICs, NMIs, and
 * each bad argument refused with nothing delivered - over the vlapic
 * doubles of tests/unit/vlapic/.
 */
#include <stdio.h>
#include <string.h>

#include <xen/lib.h>
#include <public/xen.h>
#include <asm/hvm/kvm_hypercall.h>

#include "harness.h"
#include "stubs.h"
#include "env.h"

#define BASE_XAPIC      (APIC_DEFAULT_BASE | APICBASE_ENABLE)
#define SVR_ON          0x1ffu
#define ICR_NMI         (4u << 8)
#define ICR_LOGICAL     (1u << 11)
#define ICR_ASSERT      (1u << 14)
#define ICR_LEVEL       (1u << 15)
#define VEC             0x41u

static long hc(unsigned int from, unsigned int cpl, bool long64, u64 nr,
               u64 a0, u64 a1, u64 a2, u64 a3)
{
    const u64 a[4] = { a0, a1, a2, a3 };

    return kvm_hypercall(VC(from), cpl, long64, nr, a);
}

/* The 64-bit PV send-IPI from vCPU 'from'. */
static long ipi(unsigned int from, u64 lo, u64 hi, u64 min, u64 icr)
{
    return hc(from, 0, true, KVM_HC_SEND_IPI, lo, hi, min, icr);
}

static void sw_enable_all(unsigned int n)
{
    for ( unsigned int i = 0; i < n; i++ )
        REQUIRE_EQ(vlapic_reg_write(VL(i), APIC_REG_SVR, SVR_ON), VLAPIC_OK);
}

static bool reg_bit(unsigned int i, unsigned int base, unsigned int vec)
{
    const u32 *r = (const u32 *)(VL(i)->regs + base + (vec / 32) * 0x10);

    return *r & (1u << (vec % 32));
}

/* Whether vCPU i got 'vec' (after a sync); clears it from IRR. */
static bool got_one(unsigned int i, unsigned int vec)
{
    u32 *r = (u32 *)(VL(i)->regs + APIC_REG_IRR + (vec / 32) * 0x10);
    bool had;

    pi_sync_pir_to_irr(VC(i));
    had = *r & (1u << (vec % 32));
    *r &= ~(1u << (vec % 32));
    return had;
}

/* Check that exactly the vCPUs in want[] (of n) got 'vec'. */
static void check_got(unsigned int n, unsigned int vec, const bool *want)
{
    for ( unsigned int i = 0; i < n; i++ )
        if ( got_one(i, vec) != want[i] )
            harness_fail(__FILE__, __LINE__, false, "vCPU %u: %s", i,
                         want[i] ? "missed the IPI" : "got a stray IPI");
}

static void check_none(unsigned int n)
{
    bool want[ENV_MAX_VCPUS] = { false };

    for ( unsigned int vec = 0; vec < 256; vec++ )
        check_got(n, vec, want);
    for ( unsigned int i = 0; i < n; i++ )
        CHECK_EQ(rec.nmi[i], 0);
    CHECK_EQ(rec.nr_notify, 0);
}

TEST(kvm_numbers_are_1_to_12_and_xen_lites_are_not_among_them)
{
    for ( u64 nr = 1; nr <= 12; nr++ )
        CHECK(kvm_hypercall_number(nr));
    CHECK(!kvm_hypercall_number(0));
    CHECK(!kvm_hypercall_number(13));
    CHECK(!kvm_hypercall_number(__HYPERVISOR_console_io));
    CHECK(!kvm_hypercall_number(__HYPERVISOR_sysctl));
    CHECK(!kvm_hypercall_number(__HYPERVISOR_domctl));
    /* The whole register counts: no aliasing through the upper half. */
    CHECK(!kvm_hypercall_number((1ULL << 32) | KVM_HC_SEND_IPI));
    CHECK(!kvm_hypercall_number(~0ULL));
}

TEST(send_ipi_reaches_each_set_bit_once_and_nobody_else)
{
    bool want[8] = { false };
    const u64 map = 0xb6;                   /* IDs 1, 2, 4, 5, 7 */

    env_setup(8);
    sw_enable_all(8);
    CHECK_EQ(ipi(0, map, 0, 0, VEC), 5);
    for ( unsigned int i = 0; i < 8; i++ )
        want[i] = map & (1u << i);
    check_got(8, VEC, want);
    /* Each target posted once: one notification each (all running). */
    CHECK_EQ(rec.nr_notify, 5);
    CHECK_EQ(VL(0)->nr_pv_ipi_calls, 1);
    CHECK_EQ(VL(0)->nr_pv_ipi_targets, 5);
    /* Edge, whatever the trigger bit says (as the ICR's IPIs). */
    CHECK_EQ(ipi(3, 1u << 6, 0, 0, VEC | ICR_LEVEL | ICR_ASSERT), 1);
    CHECK(!reg_bit(6, APIC_REG_TMR, VEC));
    memset(want, 0, sizeof(want));
    want[6] = true;
    check_got(8, VEC, want);
    CHECK_EQ(VL(3)->nr_pv_ipi_calls, 1);
    CHECK_EQ(VL(0)->nr_pv_ipi_calls, 1);
    env_teardown();
}

TEST(send_ipi_to_itself_is_accepted_locally)
{
    bool want[4] = { true, false, true, false };

    env_setup(4);
    sw_enable_all(4);
    CHECK_EQ(ipi(0, 0x5, 0, 0, 0x50), 2);
    /* The sender's own bit goes straight to its IRR, not its PIR. */
    CHECK(reg_bit(0, APIC_REG_IRR, 0x50));
    CHECK_EQ(rec.nr_notify, 1);
    check_got(4, 0x50, want);
    env_teardown();
}

TEST(send_ipi_bitmap_starts_at_a2)
{
    bool want[16] = { false };

    env_setup(16);
    sw_enable_all(16);
    CHECK_EQ(ipi(2, 0x5, 0, 3, VEC), 2);    /* IDs 3 and 5 */
    want[3] = want[5] = true;
    check_got(16, VEC, want);
    CHECK_EQ(ipi(2, 1, 0, 15, VEC), 1);     /* ID 15 */
    memset(want, 0, sizeof(want));
    want[15] = true;
    check_got(16, VEC, want);
    env_teardown();
}

TEST(send_ipi_second_word_continues_the_bitmap_in_64_bit_mode)
{
    bool want[ENV_MAX_VCPUS] = { false };
    unsigned int n = ENV_MAX_VCPUS;

    env_setup(n);
    sw_enable_all(n);
    /* a0 bit 0 is ID 1; a1 bits 0 and 63 are IDs 65 and 128. */
    CHECK_EQ(ipi(0, 1, 1 | (1ULL << 63), 1, VEC), 3);
    want[1] = want[65] = want[128] = true;
    check_got(n, VEC, want);
    /* a0 bit 63 and a1 bit 0 are neighbours: IDs 63 and 64. */
    memset(want, 0, sizeof(want));
    CHECK_EQ(ipi(0, 1ULL << 63, 1, 0, VEC), 2);
    want[63] = want[64] = true;
    check_got(n, VEC, want);
    env_teardown();
}

TEST(send_ipi_words_are_32_bits_outside_64_bit_mode)
{
    bool want[ENV_MAX_VCPUS] = { false };
    unsigned int n = 70;

    env_setup(n);
    sw_enable_all(n);
    /*
     * Bits above 31 of each word are not the caller's (its registers are
     * 32-bit): a0 bit 32 is no ID 34; a1 bit 0 is ID 2 + 32.  A 64-bit
     * caller's a1 bit 0 would be ID 66.
     */
    CHECK_EQ(hc(1, 0, false, KVM_HC_SEND_IPI, 1 | (1ULL << 32), 1, 2, VEC),
             2);
    want[2] = want[34] = true;
    check_got(n, VEC, want);
    /* a2 and a3 too: their upper halves are not read. */
    memset(want, 0, sizeof(want));
    CHECK_EQ(hc(1, 0, false, KVM_HC_SEND_IPI, 1, 0, (7ULL << 32) | 5,
                (1ULL << 40) | VEC), 1);
    want[5] = true;
    check_got(n, VEC, want);
    env_teardown();
}

TEST(send_ipi_skips_ids_without_a_vcpu)
{
    bool want[4] = { false, false, true, true };

    env_setup(4);
    sw_enable_all(4);
    CHECK_EQ(ipi(0, ~0ULL, ~0ULL, 2, VEC), 2);
    check_got(4, VEC, want);
    CHECK_EQ(VL(0)->nr_pv_ipi_targets, 2);
    rec.nr_notify = 0;
    /* A base past the last vCPU: a call that reaches nobody. */
    CHECK_EQ(ipi(0, ~0ULL, ~0ULL, 4, VEC), 0);
    CHECK_EQ(ipi(0, ~0ULL, ~0ULL, 0xffffffffULL, VEC), 0);
    /* Near 2^32 the second word does not wrap around to ID 0. */
    CHECK_EQ(ipi(0, 0, 1, 0xffffffc0ULL, VEC), 0);
    CHECK_EQ(hc(0, 0, false, KVM_HC_SEND_IPI, 0, 1, 0xffffffe0ULL, VEC), 0);
    check_none(4);
    CHECK_EQ(VL(0)->nr_pv_ipi_calls, 5);
    CHECK_EQ(VL(0)->nr_pv_ipi_targets, 2);
    env_teardown();
}

TEST(send_ipi_counts_only_apics_that_accept)
{
    bool want[4] = { true, false, true, true };

    env_setup(4);
    sw_enable_all(4);
    /* vCPU 1's APIC hardware-disabled: not there (KVM's APIC map). */
    CHECK_EQ(vlapic_msr_write(VL(1), MSR_IA32_APICBASE, APIC_DEFAULT_BASE),
             VLAPIC_OK);
    CHECK_EQ(ipi(0, 0xf, 0, 0, VEC), 3);
    check_got(4, VEC, want);
    /* vCPU 2 software-disabled: a fixed IPI is not accepted... */
    CHECK_EQ(vlapic_reg_write(VL(2), APIC_REG_SVR, 0xff), VLAPIC_OK);
    CHECK_EQ(ipi(0, 0x4, 0, 0, VEC), 0);
    /* ...an NMI is. */
    CHECK_EQ(ipi(0, 0xf, 0, 0, ICR_NMI), 3);
    CHECK_EQ(rec.nmi[0], 1);
    CHECK_EQ(rec.nmi[1], 0);
    CHECK_EQ(rec.nmi[2], 1);
    CHECK_EQ(rec.nmi[3], 1);
    env_teardown();
}

TEST(send_ipi_nmi_ignores_the_vector_field)
{
    env_setup(4);
    sw_enable_all(4);
    /* Linux sends NMIs as APIC_DM_NMI with vector 0. */
    CHECK_EQ(ipi(3, 0x6, 0, 0, ICR_NMI), 2);
    CHECK_EQ(ipi(3, 0x1, 0, 0, ICR_NMI | 0x02), 1);
    CHECK_EQ(rec.nmi[0], 1);
    CHECK_EQ(rec.nmi[1], 1);
    CHECK_EQ(rec.nmi[2], 1);
    CHECK_EQ(rec.nmi[3], 0);
    /* No fixed interrupt on the way. */
    for ( unsigned int i = 0; i < 4; i++ )
        for ( unsigned int vec = 0; vec < 256; vec++ )
            CHECK(!got_one(i, vec));
    env_teardown();
}

/* A refused call: the error, and nothing delivered or counted. */
static void refused(unsigned int cpl, bool long64, u64 nr, u64 a2, u64 a3,
                    long err)
{
    env_setup(8);
    sw_enable_all(8);
    CHECK_EQ(hc(0, cpl, long64, nr, 0xff, ~0ULL, a2, a3), -err);
    check_none(8);
    CHECK_EQ(VL(0)->nr_pv_ipi_calls, 0);
    CHECK_EQ(VL(0)->nr_pv_ipi_targets, 0);
    env_teardown();
}

TEST(send_ipi_refuses_user_space)
{
    for ( unsigned int cpl = 1; cpl <= 3; cpl++ )
    {
        refused(cpl, true, KVM_HC_SEND_IPI, 0, VEC, KVM_EPERM);
        refused(cpl, false, KVM_HC_SEND_IPI, 0, VEC, KVM_EPERM);
        /* Before the number is looked at, as KVM. */
        refused(cpl, true, 5, 0, VEC, KVM_EPERM);
    }
}

TEST(send_ipi_refuses_logical_mode_and_shorthands)
{
    refused(0, true, KVM_HC_SEND_IPI, 0, VEC | ICR_LOGICAL, KVM_EINVAL);
    for ( u64 sh = 1; sh <= 3; sh++ )
        refused(0, true, KVM_HC_SEND_IPI, 0, VEC | (sh << 18), KVM_EINVAL);
}

TEST(send_ipi_refuses_reserved_icr_bits)
{
    static const unsigned int bits[] = { 12, 13, 16, 17 };

    for ( unsigned int i = 0; i < ARRAY_SIZE(bits); i++ )
        refused(0, true, KVM_HC_SEND_IPI, 0, VEC | (1ULL << bits[i]),
                KVM_EINVAL);
    for ( unsigned int b = 20; b < 64; b++ )
        refused(0, true, KVM_HC_SEND_IPI, 0, VEC | (1ULL << b), KVM_EINVAL);
    /* Outside 64-bit mode only bits 20-31 are the caller's. */
    for ( unsigned int b = 20; b < 32; b++ )
        refused(0, false, KVM_HC_SEND_IPI, 0, VEC | (1ULL << b), KVM_EINVAL);
}

TEST(send_ipi_refuses_modes_other_than_fixed_and_nmi)
{
    /* Lowest priority, SMI, reserved, INIT, start-up, ExtINT. */
    static const u64 modes[] = { 1, 2, 3, 5, 6, 7 };

    for ( unsigned int i = 0; i < ARRAY_SIZE(modes); i++ )
        refused(0, true, KVM_HC_SEND_IPI, 0, VEC | (modes[i] << 8),
                KVM_EINVAL);
}

TEST(send_ipi_refuses_illegal_fixed_vectors)
{
    for ( u64 vec = 0; vec < 16; vec++ )
        refused(0, true, KVM_HC_SEND_IPI, 0, vec, KVM_EINVAL);
}

TEST(send_ipi_refuses_a_base_beyond_32_bits)
{
    refused(0, true, KVM_HC_SEND_IPI, 1ULL << 32, VEC, KVM_EINVAL);
    refused(0, true, KVM_HC_SEND_IPI, ~0ULL, VEC, KVM_EINVAL);
}

TEST(send_ipi_does_not_exist_when_hidden)
{
    opt_pv_send_ipi = false;
    CHECK(!pv_send_ipi_offered());
    refused(0, true, KVM_HC_SEND_IPI, 0, VEC, KVM_ENOSYS);
    refused(0, false, KVM_HC_SEND_IPI, 0, VEC, KVM_ENOSYS);
    /* User space still gets -KVM_EPERM first. */
    refused(3, true, KVM_HC_SEND_IPI, 0, VEC, KVM_EPERM);
    opt_pv_send_ipi = true;
    CHECK(pv_send_ipi_offered());
}

TEST(other_kvm_numbers_do_not_exist)
{
    for ( u64 nr = 1; nr <= 12; nr++ )
        if ( nr != KVM_HC_SEND_IPI )
            refused(0, true, nr, 0, VEC, KVM_ENOSYS);
}

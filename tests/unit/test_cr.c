/*
 * Tests for the control-register rules of hvm/cr.c: the CPUID policy and
 * the #GP conditions of CR0, CR4 and EFER writes from the SDM and APM.
 */
#include <xen/lib.h>
#include <asm/hvm/cpuid.h>
#include <asm/hvm/cr.h>

#include "harness.h"

#define GP 13

/* hvm_cpuid() for hvm_cr_policy(): leaves set by the test. */
static struct cpuid_regs leaf0, leaf1, leaf7, xleaf1;

void hvm_cpuid(struct vcpu *v, u32 leaf, u32 sub, struct cpuid_regs *r)
{
    (void)v;
    (void)sub;
    *r = leaf == 0 ? leaf0 : leaf == 1 ? leaf1 : leaf == 7 ? leaf7
       : leaf == 0x80000001u ? xleaf1 : (struct cpuid_regs){ 0, 0, 0, 0 };
}

/* A modern CPU's leaf 1 EDX, with SVM/VMX/SMX/PCID/XSAVE hidden. */
static void typical(void)
{
    leaf0 = (struct cpuid_regs){ 0xd, 0, 0, 0 };
    leaf1 = (struct cpuid_regs){ 0, 0, 0, 0x178bfbff };
    leaf7 = (struct cpuid_regs){ 0, 0, 0, 0 };
    xleaf1 = (struct cpuid_regs){ 0, 0, 0, (1u << 11) | (1u << 20) |
                                           (1u << 29) };
}

static struct hvm_cr_policy policy(void)
{
    struct hvm_cr_policy p;

    hvm_cr_policy(NULL, &p);
    return p;
}

TEST(cr4_bits_follow_cpuid)
{
    struct hvm_cr_policy p;

    typical();
    p = policy();
    CHECK(p.cr4_valid & X86_CR4_PAE);
    CHECK(p.cr4_valid & X86_CR4_PSE);
    CHECK(p.cr4_valid & X86_CR4_PGE);
    CHECK(p.cr4_valid & X86_CR4_OSFXSR);
    CHECK(p.cr4_valid & X86_CR4_PCE);
    CHECK(!(p.cr4_valid & X86_CR4_VMXE));
    CHECK(!(p.cr4_valid & X86_CR4_SMXE));
    CHECK(!(p.cr4_valid & X86_CR4_PCIDE));
    CHECK(!(p.cr4_valid & X86_CR4_OSXSAVE));
    CHECK(!(p.cr4_valid & X86_CR4_SMEP));
    CHECK(!(p.cr4_valid & X86_CR4_SMAP));
    CHECK(!(p.cr4_valid & X86_CR4_PKE));
    CHECK(!(p.cr4_valid & (1UL << 15)));
    CHECK(!(p.cr4_valid >> 32));

    /* Offer XSAVE, PCID and leaf-7 SMEP/SMAP/FSGSBASE/PKU/UMIP. */
    leaf1.ecx = (1u << 26) | (1u << 17);
    leaf7 = (struct cpuid_regs){ 0, (1u << 0) | (1u << 7) | (1u << 20),
                                 (1u << 2) | (1u << 3), 0 };
    p = policy();
    CHECK(p.cr4_valid & X86_CR4_OSXSAVE);
    CHECK(p.cr4_valid & X86_CR4_PCIDE);
    CHECK(p.cr4_valid & X86_CR4_SMEP);
    CHECK(p.cr4_valid & X86_CR4_SMAP);
    CHECK(p.cr4_valid & X86_CR4_FSGSBASE);
    CHECK(p.cr4_valid & X86_CR4_PKE);
    CHECK(p.cr4_valid & X86_CR4_UMIP);

    /* Leaf 7 beyond the largest basic leaf is not read. */
    leaf0.eax = 6;
    p = policy();
    CHECK(!(p.cr4_valid & X86_CR4_SMEP));
}

TEST(efer_bits_follow_cpuid)
{
    struct hvm_cr_policy p;

    typical();
    p = policy();
    CHECK_EQ(p.efer_valid, EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE);
    xleaf1.edx = 0;
    p = policy();
    CHECK_EQ(p.efer_valid, 0);
    /* Intel hides SYSCALL outside 64-bit mode; SCE still exists. */
    xleaf1.edx = 1u << 29;
    p = policy();
    CHECK(p.efer_valid & EFER_SCE);
}

TEST(cr0_rules)
{
    struct hvm_cr_policy p;
    struct hvm_cr_regs r = { 0x11, 0, 0, 0, false, 11 };
    u64 efer;

    typical();
    p = policy();
    CHECK_EQ(hvm_cr0_write(&p, &r, 0x11 | X86_CR0_PG, &efer), 0);
    CHECK_EQ(efer, 0);
    CHECK_EQ(hvm_cr0_write(&p, &r, 0x1ULL << 32 | 0x11, &efer), GP);
    CHECK_EQ(hvm_cr0_write(&p, &r, X86_CR0_PG | 0x10, &efer), GP);
    CHECK_EQ(hvm_cr0_write(&p, &r, X86_CR0_NW | 0x11, &efer), GP);
    CHECK_EQ(hvm_cr0_write(&p, &r, X86_CR0_NW | X86_CR0_CD | 0x11, &efer),
             0);
    CHECK_EQ(hvm_cr0_write(&p, &r, X86_CR0_CD | 0x11, &efer), 0);

    /* LME: PG needs PAE, and then activates long mode. */
    r.efer = EFER_LME;
    CHECK_EQ(hvm_cr0_write(&p, &r, 0x11 | X86_CR0_PG, &efer), GP);
    r.cr4 = X86_CR4_PAE;
    CHECK_EQ(hvm_cr0_write(&p, &r, 0x11 | X86_CR0_PG, &efer), 0);
    CHECK_EQ(efer, EFER_LME | EFER_LMA);
    /* Not from a code segment with L set (ignored outside long mode). */
    r.cs_l = true;
    CHECK_EQ(hvm_cr0_write(&p, &r, 0x11 | X86_CR0_PG, &efer), GP);
    CHECK_EQ(efer, EFER_LME);
    r.cs_l = false;
    /* Nor with a 16-bit TSS in TR (busy or not); a 32-bit one is fine. */
    r.tr_type = 3;
    CHECK_EQ(hvm_cr0_write(&p, &r, 0x11 | X86_CR0_PG, &efer), GP);
    r.tr_type = 1;
    CHECK_EQ(hvm_cr0_write(&p, &r, 0x11 | X86_CR0_PG, &efer), GP);
    r.tr_type = 11;
    CHECK_EQ(hvm_cr0_write(&p, &r, 0x11 | X86_CR0_PG, &efer), 0);
    r.tr_type = 11;
    /* Other CR0 writes in long mode keep LMA. */
    r = (struct hvm_cr_regs){ 0x80000011, 0, X86_CR4_PAE,
                              EFER_LME | EFER_LMA, true, 11 };
    CHECK_EQ(hvm_cr0_write(&p, &r, 0x80000011 | X86_CR0_TS, &efer), 0);
    CHECK_EQ(efer, EFER_LME | EFER_LMA);
    /* Leaving long mode: not from 64-bit code; from compat mode yes. */
    CHECK_EQ(hvm_cr0_write(&p, &r, 0x11, &efer), GP);
    r.cs_l = false;
    CHECK_EQ(hvm_cr0_write(&p, &r, 0x11, &efer), 0);
    CHECK_EQ(efer, EFER_LME);
    /* Nor with PCIDE on. */
    r.cr4 |= X86_CR4_PCIDE;
    CHECK_EQ(hvm_cr0_write(&p, &r, 0x11, &efer), GP);
}

TEST(cr4_rules)
{
    struct hvm_cr_policy p;
    struct hvm_cr_regs r = { 0x11, 0, 0, 0, false, 11 };

    typical();
    p = policy();
    CHECK_EQ(hvm_cr4_write(&p, &r, X86_CR4_PAE | X86_CR4_PSE), 0);
    CHECK_EQ(hvm_cr4_write(&p, &r, 1UL << 15), GP);
    CHECK_EQ(hvm_cr4_write(&p, &r, X86_CR4_VMXE), GP);
    CHECK_EQ(hvm_cr4_write(&p, &r, X86_CR4_OSXSAVE), GP);
    CHECK_EQ(hvm_cr4_write(&p, &r, X86_CR4_SMEP), GP);
    CHECK_EQ(hvm_cr4_write(&p, &r, 1ULL << 32), GP);

    /* Long mode keeps PAE. */
    r = (struct hvm_cr_regs){ 0x80010011, 0x1000, X86_CR4_PAE,
                              EFER_LME | EFER_LMA, true, 11 };
    CHECK_EQ(hvm_cr4_write(&p, &r, 0), GP);
    CHECK_EQ(hvm_cr4_write(&p, &r, X86_CR4_PAE | X86_CR4_PGE), 0);

    /* PCIDE (offered): long mode and CR3[11:0] = 0. */
    leaf1.ecx = 1u << 17;
    p = policy();
    CHECK_EQ(hvm_cr4_write(&p, &r, X86_CR4_PAE | X86_CR4_PCIDE), 0);
    r.cr3 = 0x1001;
    CHECK_EQ(hvm_cr4_write(&p, &r, X86_CR4_PAE | X86_CR4_PCIDE), GP);
    r = (struct hvm_cr_regs){ 0x11, 0, 0, 0, false, 11 };
    CHECK_EQ(hvm_cr4_write(&p, &r, X86_CR4_PCIDE), GP);
}

TEST(efer_rules)
{
    struct hvm_cr_policy p;
    struct hvm_cr_regs r = { 0x11, 0, 0, 0, false, 11 };
    u64 efer;

    typical();
    p = policy();
    /* LME with paging off is legal (preparing for long mode). */
    CHECK_EQ(hvm_efer_write(&p, &r, EFER_LME, &efer), 0);
    CHECK_EQ(efer, EFER_LME);
    CHECK_EQ(hvm_efer_write(&p, &r, EFER_SVME, &efer), GP);
    CHECK_EQ(hvm_efer_write(&p, &r, 1UL << 15, &efer), GP);
    /* LMA is the CPU's: a write does not change it. */
    CHECK_EQ(hvm_efer_write(&p, &r, EFER_LMA | EFER_NXE, &efer), 0);
    CHECK_EQ(efer, EFER_NXE);
    /* Paging on: LME cannot change, other bits can. */
    r.cr0 = 0x80000011;
    CHECK_EQ(hvm_efer_write(&p, &r, EFER_LME, &efer), GP);
    CHECK_EQ(hvm_efer_write(&p, &r, EFER_NXE | EFER_SCE, &efer), 0);
    r = (struct hvm_cr_regs){ 0x80000011, 0, X86_CR4_PAE,
                              EFER_LME | EFER_LMA, true, 11 };
    CHECK_EQ(hvm_efer_write(&p, &r, 0, &efer), GP);
    CHECK_EQ(hvm_efer_write(&p, &r, EFER_LME | EFER_NXE, &efer), 0);
    CHECK_EQ(efer, EFER_LME | EFER_LMA | EFER_NXE);
    /* Without NX in CPUID, NXE is reserved. */
    xleaf1.edx &= ~(1u << 20);
    p = policy();
    CHECK_EQ(hvm_efer_write(&p, &r, EFER_LME | EFER_NXE, &efer), GP);
}

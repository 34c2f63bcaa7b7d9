/*
 * The architectural validation of a guest's CR0, CR4 and EFER writes, in
 * one place for both backends.  The emulators these backends run on
 * accept values real CPUs reject (QEMU takes CR0.NW without CD, reserved
 * CR4 bits and CR4.VMXE on AMD), and a value the CPU would refuse at VM
 * entry must never get that far: so the rules are applied here, from the
 * manuals, and a bit is only settable when the guest's CPUID offers the
 * feature behind it.
 */
#include <xen/lib.h>
#include <asm/hvm/cpuid.h>
#include <asm/hvm/cr.h>

#define X86_EXC_GP      13

/* CPUID.1:EDX, CPUID.1:ECX, CPUID.7.0 and CPUID.0x80000001:EDX bits. */
#define L1D_VME         (1u << 1)
#define L1D_DE          (1u << 2)
#define L1D_PSE         (1u << 3)
#define L1D_TSC         (1u << 4)
#define L1D_PAE         (1u << 6)
#define L1D_MCE         (1u << 7)
#define L1D_PGE         (1u << 13)
#define L1D_FXSR        (1u << 24)
#define L1D_SSE         (1u << 25)
#define L1C_VMX         (1u << 5)
#define L1C_SMX         (1u << 6)
#define L1C_PCID        (1u << 17)
#define L1C_XSAVE       (1u << 26)
#define L7B_FSGSBASE    (1u << 0)
#define L7B_SMEP        (1u << 7)
#define L7B_SMAP        (1u << 20)
#define L7C_UMIP        (1u << 2)
#define L7C_PKU         (1u << 3)
#define L7C_CET_SS      (1u << 7)
#define L7C_LA57        (1u << 16)
#define L7C_KL          (1u << 23)
#define L7C_PKS         (1u << 31)
#define L7D_CET_IBT     (1u << 20)
#define X1D_SYSCALL     (1u << 11)
#define X1D_NX          (1u << 20)
#define X1D_LM          (1u << 29)

void hvm_cr_policy_from_cpuid(struct hvm_cr_policy *p,
                              const struct cpuid_regs *l1,
                              const struct cpuid_regs *l7,
                              const struct cpuid_regs *x1)
{
    /* Each CR4 bit with the CPUID flag that makes it defined (SDM 2.5). */
    static const struct
    {
        u64 cr4;
        u8 reg;                 /* 0 l1.edx 1 l1.ecx 2 l7.ebx 3 l7.ecx */
        u32 bit;                /*   4 l7.edx */
    } deps[] = {
        { X86_CR4_VME | X86_CR4_PVI, 0, L1D_VME },
        { X86_CR4_TSD, 0, L1D_TSC },
        { X86_CR4_DE, 0, L1D_DE },
        { X86_CR4_PSE, 0, L1D_PSE },
        { X86_CR4_PAE, 0, L1D_PAE },
        { X86_CR4_MCE, 0, L1D_MCE },
        { X86_CR4_PGE, 0, L1D_PGE },
        { X86_CR4_OSFXSR, 0, L1D_FXSR },
        { X86_CR4_OSXMMEXCPT, 0, L1D_SSE },
        { X86_CR4_UMIP, 3, L7C_UMIP },
        { X86_CR4_LA57, 3, L7C_LA57 },
        { X86_CR4_VMXE, 1, L1C_VMX },
        { X86_CR4_SMXE, 1, L1C_SMX },
        { X86_CR4_FSGSBASE, 2, L7B_FSGSBASE },
        { X86_CR4_PCIDE, 1, L1C_PCID },
        { X86_CR4_OSXSAVE, 1, L1C_XSAVE },
        { X86_CR4_KL, 3, L7C_KL },
        { X86_CR4_SMEP, 2, L7B_SMEP },
        { X86_CR4_SMAP, 2, L7B_SMAP },
        { X86_CR4_PKE, 3, L7C_PKU },
        { X86_CR4_CET, 3, L7C_CET_SS },
        { X86_CR4_CET, 4, L7D_CET_IBT },
        { X86_CR4_PKS, 3, L7C_PKS },
    };
    const u32 regs[] = { l1->edx, l1->ecx, l7->ebx, l7->ecx, l7->edx };

    /* PCE has no CPUID flag: RDPMC exists on every CPU with long mode. */
    p->cr4_valid = X86_CR4_PCE;
    for ( unsigned int i = 0; i < ARRAY_SIZE(deps); i++ )
        if ( regs[deps[i].reg] & deps[i].bit )
            p->cr4_valid |= deps[i].cr4;

    /*
     * EFER.SVME is absent: the guest's CPUID hides SVM, which makes it a
     * reserved bit (APM vol. 2 3.1.7).  Intel reports SYSCALL in
     * 0x80000001 only to 64-bit code, yet EFER.SCE exists wherever long
     * mode does.
     */
    p->efer_valid = 0;
    if ( x1->edx & (X1D_SYSCALL | X1D_LM) )
        p->efer_valid |= EFER_SCE;
    if ( x1->edx & X1D_LM )
        p->efer_valid |= EFER_LME | EFER_LMA;
    if ( x1->edx & X1D_NX )
        p->efer_valid |= EFER_NXE;
}

void hvm_cr_policy(struct vcpu *v, struct hvm_cr_policy *p)
{
    struct cpuid_regs l0, l1, l7, x1;

    hvm_cpuid(v, 0, 0, &l0);
    hvm_cpuid(v, 1, 0, &l1);
    if ( l0.eax >= 7 )
        hvm_cpuid(v, 7, 0, &l7);
    else
        memset(&l7, 0, sizeof(l7));
    hvm_cpuid(v, 0x80000001u, 0, &x1);
    hvm_cr_policy_from_cpuid(p, &l1, &l7, &x1);
}

/*
 * MOV to CR0 (SDM vol. 2 "MOV - Move to/from Control Registers", vol. 3
 * 9.8.5; APM vol. 2 14.6.1): bits 63:32 are reserved; PG needs PE; NW
 * needs CD; turning paging on with EFER.LME needs CR4.PAE and activates
 * long mode; turning it off leaves long mode, which 64-bit code cannot
 * do, and which CR4.PCIDE forbids.  The low reserved bits are ignored,
 * as the CPUs do.
 *
 * Activating long mode also raises #GP(0) while the current CS has its
 * L bit set (a descriptor legacy mode loads and ignores L of) or TR
 * holds a 16-bit TSS (SDM vol. 2 MOV CR, protected-mode exceptions; so
 * Bochs's CPU model, and KVM for CS.L).  Let through, the first would
 * run long mode with CS.L and, for a 32-bit segment, CS.D both set, and
 * the second with a TR of type 3: states VMRUN (APM vol. 2 15.5.1) and
 * VM entry (SDM vol. 3C 26.3.1.2) refuse, so the domain died of a
 * failed entry.
 */
int hvm_cr0_write(const struct hvm_cr_policy *p, const struct hvm_cr_regs *r,
                  u64 val, u64 *efer)
{
    bool pg_on = (val & X86_CR0_PG) && !(r->cr0 & X86_CR0_PG);
    bool pg_off = !(val & X86_CR0_PG) && (r->cr0 & X86_CR0_PG);

    (void)p;
    *efer = r->efer;
    if ( (val >> 32) || ((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
         ((val & X86_CR0_NW) && !(val & X86_CR0_CD)) )
        return X86_EXC_GP;
    if ( pg_on && (r->efer & EFER_LME) )
    {
        if ( !(r->cr4 & X86_CR4_PAE) || r->cs_l ||
             r->tr_type == 1 || r->tr_type == 3 )
            return X86_EXC_GP;
        *efer |= EFER_LMA;
    }
    if ( pg_off )
    {
        if ( (r->efer & EFER_LMA) && r->cs_l )
            return X86_EXC_GP;
        if ( r->cr4 & X86_CR4_PCIDE )
            return X86_EXC_GP;
        *efer &= ~EFER_LMA;
    }
    return 0;
}

/*
 * MOV to CR4 (SDM vol. 2 MOV CR; APM vol. 3 MOV CRn): a bit the guest's
 * CPUID does not define is reserved; long mode needs PAE and keeps its
 * paging depth (LA57); PCIDE can only be turned on in long mode with
 * CR3[11:0] clear.
 */
int hvm_cr4_write(const struct hvm_cr_policy *p, const struct hvm_cr_regs *r,
                  u64 val)
{
    bool lma = r->efer & EFER_LMA;

    if ( val & ~p->cr4_valid )
        return X86_EXC_GP;
    if ( lma && (!(val & X86_CR4_PAE) ||
                 ((val ^ r->cr4) & X86_CR4_LA57)) )
        return X86_EXC_GP;
    if ( (val & X86_CR4_PCIDE) && !(r->cr4 & X86_CR4_PCIDE) &&
         (!lma || (r->cr3 & 0xfff)) )
        return X86_EXC_GP;
    if ( (val & X86_CR4_CET) && !(r->cr0 & X86_CR0_WP) )
        return X86_EXC_GP;
    return 0;
}

/*
 * WRMSR to EFER (SDM vol. 4 table 2-2, vol. 3 9.8.5; APM vol. 2 3.1.7):
 * reserved bits #GP; LME cannot change while paging is on; LMA is the
 * CPU's and a write leaves it as it is.
 */
int hvm_efer_write(const struct hvm_cr_policy *p,
                   const struct hvm_cr_regs *r, u64 val, u64 *efer)
{
    *efer = r->efer;
    if ( val & ~p->efer_valid )
        return X86_EXC_GP;
    if ( ((val ^ r->efer) & EFER_LME) && (r->cr0 & X86_CR0_PG) )
        return X86_EXC_GP;
    *efer = (val & ~EFER_LMA) | (r->efer & EFER_LMA);
    return 0;
}

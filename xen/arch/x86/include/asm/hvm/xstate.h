/*
 * A vCPU's register state that neither the VMCS nor the VMCB switches:
 * the x87/SSE/AVX state (XSAVE area, or FXSAVE image), XCR0, and the
 * debug registers DR0-DR3 and DR6.  It follows its vCPU across context
 * switches so that no domain sees or changes another's.
 */
#ifndef ASM_X86_HVM_XSTATE_H
#define ASM_X86_HVM_XSTATE_H

#include <xen/types.h>

struct vcpu;
struct cpuid_regs;

/* Per vCPU; lives in struct hvm_vcpu. */
struct hvm_xstate
{
    void *area;             /* XSAVE (or FXSAVE) image, 64-byte aligned */
    u64 xcr0;               /* the guest's XCR0, as XSETBV set it */
    u64 dr[4], dr6;
    int cpu;                /* pCPU whose registers held it last; -1 */
};

/*
 * Boot pCPU, once: which state components the host can switch.
 * xsetbv_exits: false where the CPU lets a guest's XSETBV through
 * despite the intercept (see hvm_xstate_after_exit).
 */
void xstate_init(bool xsetbv_exits);
/* Every pCPU, before it runs a guest: CR4.OSFXSR/OSXSAVE and XCR0. */
void xstate_cpu_init(void);

int hvm_xstate_vcpu_init(struct vcpu *v);
void hvm_xstate_vcpu_destroy(struct vcpu *v);

/* INIT: the debug registers to their INIT values (the rest stays). */
void hvm_xstate_init_reset(struct vcpu *v);

/*
 * On the pCPU that ran prev, before anyone else may run it: its state
 * goes from the registers into its area.  switch_in puts next's there.
 */
void hvm_xstate_switch_out(struct vcpu *prev);
void hvm_xstate_switch_in(struct vcpu *next);

/* Last thing before a VM entry: the guest's own XCR0 in the CPU. */
void hvm_xstate_before_entry(struct vcpu *v);
/* First thing after a VM exit. */
void hvm_xstate_after_exit(struct vcpu *v);
/*
 * The guest's DR6 where VMX leaves it: in the register while its state
 * is loaded on this pCPU (the exit path), else in the saved image.
 */
u64 hvm_xstate_get_dr6(struct vcpu *v);
void hvm_xstate_set_dr6(struct vcpu *v, u64 val);

/*
 * XSETBV by the guest: 0 when done, else the exception vector to raise
 * (X86_EXC_UD or X86_EXC_GP with error code 0).
 */
int hvm_xsetbv(struct vcpu *v, u32 index, u64 val);

/* The XCR0 bits a guest may set; 0 when XSAVE is not offered. */
u64 hvm_xcr0_offered(void);
/* CPUID leaf 0xd as the guest sees it. */
void hvm_xstate_cpuid(struct vcpu *v, u32 sub, struct cpuid_regs *r);

#endif /* ASM_X86_HVM_XSTATE_H */

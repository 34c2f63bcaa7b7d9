/*
 * KVM's hypercall ABI (Documentation/virt/kvm/x86/hypercalls.rst) next to
 * xen-lite's own: the numbers KVM claims, its register convention and
 * error codes, and the one call xen-lite implements, KVM_HC_SEND_IPI.
 *
 * Both ABIs put the call number in RAX and trap with VMCALL/VMMCALL.
 * They are told apart by number: 1-12 (KVM_HC_VAPIC_POLL_IRQ to
 * KVM_HC_MAP_GPA_RANGE) are KVM's, with its arguments in RBX, RCX, RDX
 * and RSI; every other number is xen-lite's (public/xen.h), with its
 * arguments in RDI, RSI, RDX, R10 and R8.  xen-lite's own numbers stay
 * outside 1-12 (hypercall.c checks that at build time), and dom0's
 * privcmd driver does not make KVM's.  Xen's calls at 1-12 (mostly for
 * PV guests; platform_op is 7, memory_op 12) are not among xen-lite's:
 * taking one of them would need another number.
 */
#ifndef ASM_X86_HVM_KVM_HYPERCALL_H
#define ASM_X86_HVM_KVM_HYPERCALL_H

#include <xen/types.h>

struct vcpu;

#define KVM_HC_FIRST            1       /* KVM_HC_VAPIC_POLL_IRQ */
#define KVM_HC_SEND_IPI         10
#define KVM_HC_LAST             12      /* KVM_HC_MAP_GPA_RANGE */

/* KVM's error codes (include/uapi/linux/kvm_para.h), returned negated. */
#define KVM_EPERM               1
#define KVM_EINVAL              22
#define KVM_ENOSYS              1000

/* CPUID 0x40000001 EAX (cpuid.rst). */
#define KVM_FEATURE_PV_SEND_IPI 11

/* Whether RAX = nr (as the caller's mode reads it) is a KVM hypercall. */
static inline bool kvm_hypercall_number(u64 nr)
{
    return nr >= KVM_HC_FIRST && nr <= KVM_HC_LAST;
}

/* The `pv_send_ipi` boot option (default on). */
extern bool opt_pv_send_ipi;
/* Whether PV send-IPI is offered (CPUID) and the hypercall exists. */
bool pv_send_ipi_offered(void);

/*
 * A KVM hypercall 'nr' by v at privilege level 'cpl', with KVM's four
 * arguments a[] (RBX, RCX, RDX, RSI); 'long64' when the caller is in
 * 64-bit mode (otherwise the arguments and the number are 32-bit, as
 * KVM reads them).  Returns the value for RAX: >= 0, or a negated KVM_E*.
 */
long kvm_hypercall(struct vcpu *v, unsigned int cpl, bool long64, u64 nr,
                   const u64 a[4]);

#endif /* ASM_X86_HVM_KVM_HYPERCALL_H */

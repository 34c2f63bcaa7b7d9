/*
 * The hypercall ABI shared by the hypervisor, its guests and the dom0
 * tools.  Only fixed-size types; every structure has an explicit layout.
 *
 * Calling convention: VMCALL (Intel) or VMMCALL (AMD) with the hypercall
 * number in rax and up to five arguments in rdi, rsi, rdx, r10, r8; the
 * result comes back in rax: >= 0 on success, a negated XEN_E* value
 * (public/errno.h) on failure.  A caller outside 64-bit mode uses eax,
 * edi, esi and edx: three arguments of 32 bits.
 *
 * Numbers 1 to 12 are KVM's hypercalls (KVM_HC_*), with KVM's convention
 * (arguments in rbx, rcx, rdx, rsi; KVM's error codes), for guests that
 * use KVM's paravirtual interface; xen-lite's own numbers avoid them.
 */
#ifndef XEN_PUBLIC_XEN_H
#define XEN_PUBLIC_XEN_H

#include <stdint.h>

typedef uint16_t domid_t;

#define DOMID_FIRST_RESERVED    0x7ff0U
#define DOMID_IDLE              0x7fffU     /* the idle domain */
#define DOMID_SELF              0x7ff0U

/* Hypercall numbers. */
#define __HYPERVISOR_console_io     18
#define __HYPERVISOR_sysctl         35
#define __HYPERVISOR_domctl         36
#define NR_hypercalls               64

/* console_io: arg0 = command, arg1 = length, arg2 = guest buffer. */
#define CONSOLEIO_write             0
#define CONSOLEIO_read              1

/*
 * A guest buffer: a guest virtual address in the caller's address space.
 * It is 64 bits wide in every structure, whatever the caller's mode.
 */
typedef uint64_t xen_guest_handle_t;

/*
 * Why a domain shut down (its shutdown code in getdomaininfo), as in
 * Xen's sched.h.
 */
#define SHUTDOWN_poweroff   0
#define SHUTDOWN_reboot     1
#define SHUTDOWN_crash      3

/* vCPU run states, as in Xen's vcpu_runstate_info. */
#define RUNSTATE_running    0
#define RUNSTATE_runnable   1
#define RUNSTATE_blocked    2
#define RUNSTATE_offline    3
#define RUNSTATE_NR         4

struct vcpu_runstate_info
{
    uint32_t state;
    uint32_t pad;
    uint64_t state_entry_time;          /* ns of system time */
    uint64_t time[RUNSTATE_NR];         /* ns spent in each state */
};

#endif /* XEN_PUBLIC_XEN_H */

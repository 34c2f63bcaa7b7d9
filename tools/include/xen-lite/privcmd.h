/*
 * The ABI of /dev/xen-lite/privcmd, the dom0 driver that lets root issue
 * hypercalls (tools/dom0/privcmd): shared by the Linux module and the
 * user-space tools, so only <linux/types.h> and <linux/ioctl.h>, which
 * both sides have.
 *
 * One ioctl, XEN_LITE_PRIVCMD_HYPERCALL: the driver issues hypercall 'op'
 * with arguments arg[0..4] (rdi, rsi, rdx, r10, r8; public/xen.h) from
 * the calling process's context, at CPL 0 and with the process's page
 * tables loaded, and stores what the hypervisor returned (rax: >= 0, or a
 * negated XEN_E* value, which are Linux's errno values) in 'result'.
 *
 * The ioctl itself returns 0 once the hypercall has been made, whatever
 * its result; -1 with errno only for the driver's own refusals:
 *   EPERM   the caller lacks CAP_SYS_ADMIN (the device is also mode 0600,
 *           root's only)
 *   EFAULT  the struct itself cannot be read or written back
 *   ENOTTY  an ioctl number other than the one below
 * Whether a domain may make a call is the hypervisor's decision, not the
 * driver's: domctl and sysctl give -EPERM in 'result' in any domain but
 * the privileged one.  Numbers 1-12 are KVM's hypercalls, with another
 * register convention (public/xen.h): the driver does not make them and
 * gives -ENOSYS in 'result', as for any number xen-lite does not have.
 *
 * The rule for buffers.  Pointers inside the arguments (a struct
 * xen_domctl, a console text, a buffer a sysctl fills) are the process's
 * virtual addresses, and the hypervisor reaches them by walking the
 * process's page tables itself, without Linux: it cannot fault a page
 * in.  Every byte of every buffer the hypervisor reads must therefore be
 * present in the page tables for the whole call, and every byte it
 * writes present and writable (not a copy-on-write or zero page).  A
 * page Linux has not faulted in yet, or has swapped out, gives -EFAULT
 * (14) in 'result'.  So lock buffers: mlock() (or mlockall()) faults a
 * private writable mapping in, writable, and keeps it there; a buffer
 * that is merely touched first can still be reclaimed before the call.
 * Not across fork(): it makes the parent's private pages copy-on-write
 * again, locked or not, so a buffer the hypervisor writes must be locked
 * again (or written by the process) after a fork and before the call.
 */
#ifndef XEN_LITE_PRIVCMD_H
#define XEN_LITE_PRIVCMD_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The device node, created by devtmpfs when the module loads. */
#define XEN_LITE_PRIVCMD_PATH   "/dev/xen-lite/privcmd"

struct xen_lite_privcmd_hypercall
{
    __u64 op;           /* in: hypercall number (rax) */
    __u64 arg[5];       /* in: rdi, rsi, rdx, r10, r8 */
    __s64 result;       /* out: rax, >= 0 or -XEN_E* */
};

/*
 * 0xE7: the ioctl "type" byte of this device.  Only the device's own
 * driver sees its ioctls, so the magic guards against sending the call
 * to the wrong device by mistake, not against other drivers.
 */
#define XEN_LITE_PRIVCMD_IOC_MAGIC  0xE7
#define XEN_LITE_PRIVCMD_HYPERCALL \
    _IOWR(XEN_LITE_PRIVCMD_IOC_MAGIC, 0, struct xen_lite_privcmd_hypercall)

#endif /* XEN_LITE_PRIVCMD_H */

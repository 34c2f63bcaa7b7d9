// SPDX-License-Identifier: GPL-2.0
/*
 * privcmd: /dev/xen-lite/privcmd for dom0's toolstack, an out-of-tree
 * module for Debian's Linux 6.1 built against its linux-headers.  Linux
 * code, written in the project's (Xen's) style.
 *
 * One ioctl issues one hypercall (number and five arguments) from the
 * calling process's context and hands back the hypervisor's result; the
 * ABI and the rule for buffers are in tools/include/xen-lite/privcmd.h.
 * The hypercall runs at CPL 0 with the caller's page tables in CR3, so the
 * hypervisor resolves the buffer pointers inside the arguments through
 * the process's own mappings.  Its page walk is a supervisor access that
 * ignores U/S (xen/arch/x86/guest_walk.c), so SMAP, which only restricts
 * the CPU's own accesses, needs no STAC/CLAC here: the guest never touches
 * the user buffers itself.
 *
 * Privilege is the hypervisor's to enforce (domctl and sysctl only from
 * the privileged domain); the driver asks only that the caller be root
 * with CAP_SYS_ADMIN, through the device's mode and in the ioctl.
 *
 * The instruction is the one the hypervisor intercepts: VMMCALL on AMD
 * (SVM), VMCALL on Intel (VMX); the other one would raise #UD.  Linux
 * sets X86_FEATURE_VMMCALL on exactly the CPUs that need VMMCALL, and the
 * choice is made once at load.  The module refuses to load (-ENODEV)
 * unless CPUID's hypervisor leaf says xen-lite.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>

#include <xen-lite/privcmd.h>

#define XEN_LITE_CPUID_BASE 0x40000000u
/* The numbers that are KVM's hypercalls (public/xen.h). */
#define XEN_LITE_KVM_HC_FIRST   1
#define XEN_LITE_KVM_HC_LAST    12

static bool use_vmmcall __ro_after_init;

static long xen_lite_hypercall(u64 op, const u64 arg[5])
{
    register u64 r10 asm ( "r10" ) = arg[3];
    register u64 r8 asm ( "r8" ) = arg[4];
    u64 rax = op, rdi = arg[0], rsi = arg[1], rdx = arg[2];

    /*
     * The hypervisor changes only rax, but reads memory through the
     * pointers in the arguments: "memory".  The argument registers are
     * listed as outputs so that nothing assumes they survive.
     */
    if ( use_vmmcall )
        asm volatile ( "vmmcall"
                       : "+a" (rax), "+D" (rdi), "+S" (rsi), "+d" (rdx),
                         "+r" (r10), "+r" (r8)
                       : : "memory" );
    else
        asm volatile ( "vmcall"
                       : "+a" (rax), "+D" (rdi), "+S" (rsi), "+d" (rdx),
                         "+r" (r10), "+r" (r8)
                       : : "memory" );
    return (long)rax;
}

static long privcmd_ioctl(struct file *file, unsigned int cmd,
                          unsigned long data)
{
    struct xen_lite_privcmd_hypercall __user *uhc = (void __user *)data;
    struct xen_lite_privcmd_hypercall hc;

    if ( cmd != XEN_LITE_PRIVCMD_HYPERCALL )
        return -ENOTTY;
    if ( !capable(CAP_SYS_ADMIN) )
        return -EPERM;
    if ( copy_from_user(&hc, uhc, sizeof(hc)) )
        return -EFAULT;

    /*
     * KVM's numbers take their arguments in other registers (rbx, rcx,
     * ...), which would carry whatever this function left there.
     */
    if ( hc.op >= XEN_LITE_KVM_HC_FIRST && hc.op <= XEN_LITE_KVM_HC_LAST )
        hc.result = -ENOSYS;
    else
        hc.result = xen_lite_hypercall(hc.op, hc.arg);

    if ( put_user(hc.result, &uhc->result) )
        return -EFAULT;
    return 0;
}

static const struct file_operations privcmd_fops = {
    .owner          = THIS_MODULE,
    .unlocked_ioctl = privcmd_ioctl,
    .compat_ioctl   = compat_ptr_ioctl,
    .llseek         = noop_llseek,
};

/* devtmpfs makes /dev/xen-lite/ for the node name's directory. */
static struct miscdevice privcmd_dev = {
    .minor    = MISC_DYNAMIC_MINOR,
    .name     = "xen-lite-privcmd",
    .nodename = "xen-lite/privcmd",
    .mode     = 0600,
    .fops     = &privcmd_fops,
};

static bool on_xen_lite(void)
{
    u32 eax, sig[3];

    if ( !boot_cpu_has(X86_FEATURE_HYPERVISOR) )
        return false;
    cpuid(XEN_LITE_CPUID_BASE, &eax, &sig[0], &sig[1], &sig[2]);
    return !memcmp(sig, "xen-lite\0\0\0\0", sizeof(sig));
}

static int __init privcmd_init(void)
{
    int rc;

    if ( !on_xen_lite() )
    {
        pr_info("xen-lite privcmd: not running on xen-lite\n");
        return -ENODEV;
    }
    use_vmmcall = boot_cpu_has(X86_FEATURE_VMMCALL);

    rc = misc_register(&privcmd_dev);
    if ( rc )
        return rc;
    pr_info("xen-lite privcmd: /dev/%s, hypercalls by %s\n",
            privcmd_dev.nodename, use_vmmcall ? "VMMCALL" : "VMCALL");
    return 0;
}

static void __exit privcmd_exit(void)
{
    misc_deregister(&privcmd_dev);
}

module_init(privcmd_init);
module_exit(privcmd_exit);

MODULE_DESCRIPTION("xen-lite hypercalls for dom0's toolstack");
MODULE_LICENSE("GPL");

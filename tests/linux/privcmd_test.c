/*
 * privcmd-test: exercises /dev/xen-lite/privcmd (tools/dom0/privcmd) from
 * user space inside a Linux domain, in the test initramfs.  Every check
 * prints a "XENLITE-PRIVCMD ..." line with the values it saw, which
 * tests/integration/test_privcmd.py asserts too, and the last line is
 * "XENLITE-PRIVCMD OK" or "XENLITE-PRIVCMD FAIL"; the exit status is 0
 * only for OK.
 *
 *   privcmd-test dom0     in the privileged domain: sysctl and domctl work
 *   privcmd-test domu     in any other: they give -EPERM
 *   privcmd-test power D  in the privileged domain: press domain D's ACPI
 *                         power button (XEN_DOMCTL_SENDTRIGGER_POWER)
 *                         until D has shut down (powered off) or gone
 *
 * Buffers the hypervisor reads or writes are mlock()ed, as the driver's
 * header asks; two checks show what happens to buffers that are not
 * present (an unmapped page and a page never touched): -EFAULT, and both
 * the hypervisor and this domain carry on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <public/domctl.h>
#include <public/errno.h>
#include <public/sysctl.h>
#include <public/xen.h>
#include <xen-lite/privcmd.h>

#define PAGE            4096UL
/* What loading privcmd.ko may add to /proc/sys/kernel/tainted: O and E. */
#define TAINT_OOT       (1UL << 12)
#define TAINT_UNSIGNED  (1UL << 13)

static bool failed;

#define check(cond, ...)                                                \
    do {                                                                \
        if ( !(cond) )                                                  \
        {                                                               \
            printf("XENLITE-PRIVCMD check failed (%s:%d): ", __FILE__,  \
                   __LINE__);                                           \
            printf(__VA_ARGS__);                                        \
            printf("\n");                                               \
            failed = true;                                              \
        }                                                               \
    } while ( 0 )

/* The hypercall's result, or -1000 - errno if the ioctl itself failed. */
static int64_t hypercall(int fd, uint64_t op, uint64_t a0, uint64_t a1,
                         uint64_t a2)
{
    struct xen_lite_privcmd_hypercall hc = {
        .op = op, .arg = { a0, a1, a2, 0, 0 }, .result = 0x5a5a,
    };

    if ( ioctl(fd, XEN_LITE_PRIVCMD_HYPERCALL, &hc) )
        return -1000 - errno;
    return hc.result;
}

/*
 * Before a call that prints on the hypervisor's console: let the serial
 * line finish what this program wrote, so the hypervisor's line does not
 * land in the middle of one of ours (stdout not a tty: nothing to do).
 */
static void drain(void)
{
    tcdrain(STDOUT_FILENO);
}

/* A page-aligned, locked (present and writable) buffer of 'pages'. */
static void *locked_pages(size_t pages)
{
    void *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if ( p == MAP_FAILED )
    {
        printf("XENLITE-PRIVCMD mmap: %s\n", strerror(errno));
        exit(1);
    }
    if ( mlock(p, pages * PAGE) )
    {
        printf("XENLITE-PRIVCMD mlock: %s\n", strerror(errno));
        exit(1);
    }
    return p;
}

static void check_node(void)
{
    struct stat st;

    if ( stat(XEN_LITE_PRIVCMD_PATH, &st) )
    {
        printf("XENLITE-PRIVCMD stat %s: %s\n", XEN_LITE_PRIVCMD_PATH,
               strerror(errno));
        failed = true;
        return;
    }
    printf("XENLITE-PRIVCMD node %s %s mode %04o uid %u gid %u\n",
           XEN_LITE_PRIVCMD_PATH, S_ISCHR(st.st_mode) ? "char" : "not-char",
           (unsigned int)(st.st_mode & 07777), (unsigned int)st.st_uid,
           (unsigned int)st.st_gid);
    check(S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0600 &&
          st.st_uid == 0, "the node should be a char device, 0600, root's");
}

static void check_taint(void)
{
    unsigned long tainted = ~0UL;
    FILE *f = fopen("/proc/sys/kernel/tainted", "r");

    if ( !f || fscanf(f, "%lu", &tainted) != 1 )
        printf("XENLITE-PRIVCMD cannot read /proc/sys/kernel/tainted\n");
    if ( f )
        fclose(f);
    printf("XENLITE-PRIVCMD tainted %lu\n", tainted);
    check(tainted == (TAINT_OOT | TAINT_UNSIGNED),
          "only the out-of-tree and unsigned-module taints are expected");
}

/* (a) console_io write from a locked buffer: the count comes back. */
static void check_console_write(int fd, char *buf, const char *who)
{
    int64_t rc;
    int len = snprintf(buf, PAGE, "privcmd-test: console_io from %s user "
                       "space", who);

    drain();
    rc = hypercall(fd, __HYPERVISOR_console_io, CONSOLEIO_write, len,
                   (uintptr_t)buf);
    printf("XENLITE-PRIVCMD console_io write %d -> %lld\n", len,
           (long long)rc);
    check(rc == len, "console_io should return the count written");
}

/* (b) numbers without a handler, below and above NR_hypercalls. */
static void check_enosys(int fd)
{
    static const uint64_t ops[] = {
        0, NR_hypercalls - 1, NR_hypercalls, 1000,
        /* console_io's number with high bits: no truncation to 32 bits */
        (1ULL << 32) | __HYPERVISOR_console_io,
        /* KVM's numbers (KVM_HC_SEND_IPI): the driver does not make them */
        1, 10, 12,
    };

    for ( size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++ )
    {
        int64_t rc = hypercall(fd, ops[i], 0, 0, 0);

        printf("XENLITE-PRIVCMD hypercall %#llx -> %lld\n",
               (unsigned long long)ops[i], (long long)rc);
        check(rc == -XEN_ENOSYS, "an unknown hypercall gives -ENOSYS");
    }
}

/* sysctl physinfo: the hypervisor's view of the host. */
static void check_physinfo(int fd, struct xen_sysctl *op, bool dom0)
{
    int64_t rc;

    memset(op, 0, sizeof(*op));
    op->cmd = XEN_SYSCTL_physinfo;
    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    rc = hypercall(fd, __HYPERVISOR_sysctl, (uintptr_t)op, 0, 0);
    printf("XENLITE-PRIVCMD sysctl physinfo -> %lld", (long long)rc);
    if ( rc == 0 )
        printf(" nr_cpus %u max_cpu_id %u caps %#x total_pages %llu",
               op->u.physinfo.nr_cpus, op->u.physinfo.max_cpu_id,
               op->u.physinfo.capabilities,
               (unsigned long long)op->u.physinfo.total_pages);
    printf("\n");
    if ( dom0 )
        check(rc == 0 && op->u.physinfo.nr_cpus >= 1 &&
              (op->u.physinfo.capabilities & XEN_SYSCTL_PHYSCAP_hvm),
              "physinfo should work in dom0");
    else
        check(rc == -XEN_EPERM, "sysctl is the privileged domain's only");
}

/* (c) domctl getdomaininfo of domain 0, its struct in locked memory. */
static void check_getdomaininfo(int fd, struct xen_domctl *op, bool dom0)
{
    const struct xen_domctl_getdomaininfo *info = &op->u.getdomaininfo;
    long vcpus = sysconf(_SC_NPROCESSORS_ONLN);
    int64_t rc;

    memset(op, 0, sizeof(*op));
    op->cmd = XEN_DOMCTL_getdomaininfo;
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    op->domain = 0;
    rc = hypercall(fd, __HYPERVISOR_domctl, (uintptr_t)op, 0, 0);
    printf("XENLITE-PRIVCMD domctl getdomaininfo 0 -> %lld", (long long)rc);
    if ( rc == 0 )
        printf(" domain %u flags %#x vcpus %u max_vcpu_id %u tot_pages %llu "
               "max_pages %llu", info->domain, info->flags,
               info->nr_online_vcpus, info->max_vcpu_id,
               (unsigned long long)info->tot_pages,
               (unsigned long long)info->max_pages);
    printf("\n");
    if ( !dom0 )
    {
        check(rc == -XEN_EPERM, "domctl is the privileged domain's only");
        return;
    }
    check(rc == 0, "getdomaininfo of domain 0 should work in dom0");
    if ( rc )
        return;
    check(info->domain == 0, "domain id");
    check((info->flags & (XEN_DOMINF_privileged | XEN_DOMINF_hvm_guest |
                          XEN_DOMINF_running)) ==
          (XEN_DOMINF_privileged | XEN_DOMINF_hvm_guest | XEN_DOMINF_running),
          "domain 0 is privileged, HVM and running (this vCPU)");
    check(!(info->flags & (XEN_DOMINF_dying | XEN_DOMINF_shutdown |
                           XEN_DOMINF_paused)),
          "domain 0 is neither dying, shut down nor paused");
    check(info->nr_online_vcpus == vcpus && info->max_vcpu_id == vcpus - 1,
          "the hypervisor's vCPUs (%u, last %u) against Linux's CPUs (%ld)",
          info->nr_online_vcpus, info->max_vcpu_id, vcpus);
    check(info->tot_pages > 0 && info->tot_pages <= info->max_pages,
          "tot_pages within max_pages");
}

/*
 * A multicast IPI through PV send-IPI, whatever the boot sent: sysrq 'l'
 * (backtraces of all CPUs) raises an NMI on every other online CPU with
 * one apic->send_IPI_mask() call, which is kvm_send_ipi_mask() once PV
 * IPIs are set up.  Which multicasts a boot makes depends on timing; one
 * boot in a fresh-clone run made none.  The console is quieted meanwhile
 * (console_loglevel 1): the backtraces are not this test's subject.
 */
static void multicast_ipi(void)
{
    char level[64] = "";
    int fd = open("/proc/sys/kernel/printk", O_RDWR);
    int trig = open("/proc/sysrq-trigger", O_WRONLY);
    ssize_t n = fd >= 0 ? read(fd, level, sizeof(level) - 1) : -1;

    /* sysrq's own line goes to the console at once: not into ours. */
    fflush(stdout);
    tcdrain(STDOUT_FILENO);
    if ( fd >= 0 )
        (void)!pwrite(fd, "1", 1, 0);
    if ( trig < 0 || write(trig, "l", 1) != 1 )
        printf("XENLITE-PRIVCMD sysrq-trigger: %s\n", strerror(errno));
    /*
     * The write returns once every CPU has stored its backtrace; from
     * NMI context they reach the console later.  A line of our own,
     * twice and a second apart, flushes them at the quiet level before
     * the old level is back.
     */
    for ( int i = 0; i < 2; i++ )
    {
        int kmsg = open("/dev/kmsg", O_WRONLY);

        if ( kmsg >= 0 )
        {
            (void)!write(kmsg, "<6>privcmd-test: backtraces flushed\n", 36);
            close(kmsg);
        }
        sleep(1);
    }
    if ( fd >= 0 && n > 0 )
        (void)!pwrite(fd, level, (size_t)n, 0);
    if ( trig >= 0 )
        close(trig);
    if ( fd >= 0 )
        close(fd);
}

/*
 * sysctl irq_stats of each of this domain's online vCPUs (dom0 only):
 * the KVM PV send-IPI hypercalls Linux made (kvm_send_ipi_mask*) and the
 * targets they reached, per vCPU and in total.
 */
static void check_pv_send_ipi(int fd, char *page)
{
    struct xen_sysctl *op = (struct xen_sysctl *)page;
    struct xen_irq_stats_vcpu *st =
        (struct xen_irq_stats_vcpu *)(page + PAGE / 2);
    long vcpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t calls = 0, targets = 0;

    _Static_assert(sizeof(*op) <= PAGE / 2 && sizeof(*st) <= PAGE / 2,
                   "both fit in the locked page");
    if ( vcpus > 1 )
        multicast_ipi();
    for ( long i = 0; i < vcpus; i++ )
    {
        int64_t rc;

        memset(page, 0, PAGE);
        op->cmd = XEN_SYSCTL_irq_stats;
        op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
        op->u.irq_stats.version = XEN_IRQ_STATS_VERSION;
        op->u.irq_stats.kind = XEN_IRQ_STATS_vcpu;
        op->u.irq_stats.domid = 0;
        op->u.irq_stats.vcpu = (uint32_t)i;
        op->u.irq_stats.size = sizeof(*st);
        op->u.irq_stats.buffer = (uintptr_t)st;
        rc = hypercall(fd, __HYPERVISOR_sysctl, (uintptr_t)op, 0, 0);
        printf("XENLITE-PRIVCMD irq_stats vcpu %ld -> %lld pv send-ipi "
               "calls %llu targets %llu\n", i, (long long)rc,
               (unsigned long long)st->pv_ipi_calls,
               (unsigned long long)st->pv_ipi_targets);
        check(rc == 0, "irq_stats of vCPU %ld", i);
        calls += st->pv_ipi_calls;
        targets += st->pv_ipi_targets;
    }
    printf("XENLITE-PRIVCMD pv send-ipi total calls %llu targets %llu\n",
           (unsigned long long)calls, (unsigned long long)targets);
}

/*
 * (d) Buffers that are not present: a page unmapped again, and a page
 * mapped but never touched (Linux has not faulted it in).  Both give
 * -EFAULT; the same page once locked works.
 */
static void check_efault(int fd, bool dom0)
{
    char *gone = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *fresh = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    static const char text[] = "privcmd-test: a page locked after -EFAULT";
    int64_t rc;

    if ( gone == MAP_FAILED || fresh == MAP_FAILED || munmap(gone, PAGE) )
    {
        printf("XENLITE-PRIVCMD mmap/munmap: %s\n", strerror(errno));
        failed = true;
        return;
    }

    rc = hypercall(fd, __HYPERVISOR_console_io, CONSOLEIO_write, 16,
                   (uintptr_t)gone);
    printf("XENLITE-PRIVCMD console_io unmapped -> %lld\n", (long long)rc);
    check(rc == -XEN_EFAULT, "an unmapped buffer gives -EFAULT");

    if ( dom0 )
    {
        rc = hypercall(fd, __HYPERVISOR_domctl, (uintptr_t)gone, 0, 0);
        printf("XENLITE-PRIVCMD domctl unmapped -> %lld\n", (long long)rc);
        check(rc == -XEN_EFAULT, "an unmapped domctl gives -EFAULT");
        rc = hypercall(fd, __HYPERVISOR_sysctl, (uintptr_t)gone, 0, 0);
        printf("XENLITE-PRIVCMD sysctl unmapped -> %lld\n", (long long)rc);
        check(rc == -XEN_EFAULT, "an unmapped sysctl gives -EFAULT");
    }

    rc = hypercall(fd, __HYPERVISOR_console_io, CONSOLEIO_write, 16,
                   (uintptr_t)fresh);
    printf("XENLITE-PRIVCMD console_io untouched -> %lld\n", (long long)rc);
    check(rc == -XEN_EFAULT, "a page never faulted in gives -EFAULT");

    if ( mlock(fresh, PAGE) )
    {
        printf("XENLITE-PRIVCMD mlock: %s\n", strerror(errno));
        failed = true;
        return;
    }
    memcpy(fresh, text, sizeof(text) - 1);
    drain();
    rc = hypercall(fd, __HYPERVISOR_console_io, CONSOLEIO_write,
                   sizeof(text) - 1, (uintptr_t)fresh);
    printf("XENLITE-PRIVCMD console_io locked -> %lld\n", (long long)rc);
    check(rc == (int64_t)sizeof(text) - 1, "the locked page works");
    munmap(fresh, PAGE);
}

/* The driver's own errors: a bad struct pointer, an unknown ioctl. */
static void check_driver_errors(int fd)
{
    int rc = ioctl(fd, XEN_LITE_PRIVCMD_HYPERCALL, NULL);
    int err = errno;

    printf("XENLITE-PRIVCMD ioctl NULL -> %d %s\n", rc, strerror(err));
    check(rc == -1 && err == EFAULT, "a NULL struct gives EFAULT");
    rc = ioctl(fd, _IO(XEN_LITE_PRIVCMD_IOC_MAGIC, 1));
    err = errno;
    printf("XENLITE-PRIVCMD ioctl unknown -> %d %s\n", rc, strerror(err));
    check(rc == -1 && err == ENOTTY, "an unknown ioctl gives ENOTTY");
}

/*
 * Without root's capabilities (a child that became 'nobody'): open()
 * is refused by the mode, and the ioctl on a descriptor inherited from
 * root by the CAP_SYS_ADMIN check.
 */
static void check_unprivileged(int fd)
{
    int status = 0;
    pid_t pid = fork();

    if ( pid == 0 )
    {
        int open_err = 0, ioctl_err = 0, fd2;
        int64_t rc;

        if ( setgid(65534) || setuid(65534) )
            _exit(2);
        fd2 = open(XEN_LITE_PRIVCMD_PATH, O_RDWR);
        if ( fd2 < 0 )
            open_err = errno;
        rc = hypercall(fd, __HYPERVISOR_console_io, CONSOLEIO_write, 0, 0);
        if ( rc <= -1000 )
            ioctl_err = (int)(-1000 - rc);
        printf("XENLITE-PRIVCMD unprivileged open -> %s, ioctl -> %s\n",
               open_err ? strerror(open_err) : "opened",
               ioctl_err ? strerror(ioctl_err) : "issued");
        _exit(open_err == EACCES && ioctl_err == EPERM ? 0 : 1);
    }
    if ( pid < 0 || waitpid(pid, &status, 0) != pid )
        status = -1;
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "without CAP_SYS_ADMIN: open EACCES and ioctl EPERM");
}

static int64_t sendtrigger(int fd, struct xen_domctl *op, uint16_t domid,
                           uint32_t trigger, uint32_t vcpu)
{
    memset(op, 0, sizeof(*op));
    op->cmd = XEN_DOMCTL_sendtrigger;
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    op->domain = domid;
    op->u.sendtrigger.trigger = trigger;
    op->u.sendtrigger.vcpu = vcpu;
    return hypercall(fd, __HYPERVISOR_domctl, (uintptr_t)op, 0, 0);
}

/*
 * Whether domid has shut down: 1 (its reason in *reason, or -1 when it
 * is gone already), 0 while it runs, -1 on another error.
 */
static int domain_shut_down(int fd, struct xen_domctl *op, uint16_t domid,
                            int *reason)
{
    int64_t rc;

    memset(op, 0, sizeof(*op));
    op->cmd = XEN_DOMCTL_getdomaininfo;
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    op->domain = domid;
    rc = hypercall(fd, __HYPERVISOR_domctl, (uintptr_t)op, 0, 0);
    if ( rc == -XEN_ESRCH )
    {
        *reason = -1;
        return 1;
    }
    if ( rc )
        return -1;
    if ( !(op->u.getdomaininfo.flags & XEN_DOMINF_shutdown) )
        return 0;
    *reason = (op->u.getdomaininfo.flags >> XEN_DOMINF_shutdownshift) & 0xff;
    return 1;
}

#define PRESS_WAIT_MS   2000    /* for the guest to act on one press */
#define PRESSES_MAX     30      /* a guest still booting misses presses */

/*
 * As a person at the machine would: press, wait, press again if nothing
 * happened.  Presses that reach the guest before its power button driver
 * and acpid are ready are lost (the guest took them, nobody acted), so
 * one press is not enough while it boots.  First the refusals a bad vCPU
 * gets through the real path.
 */
static void press_power(int fd, struct xen_domctl *op, uint16_t domid)
{
    int64_t rc;
    int state = 0, reason = 0;
    unsigned int presses, ms;

    rc = sendtrigger(fd, op, domid, XEN_DOMCTL_SENDTRIGGER_POWER, 4096);
    printf("XENLITE-PRIVCMD power d%u vcpu 4096 -> %lld\n", domid,
           (long long)rc);
    check(rc == -XEN_EINVAL, "a vCPU the domain does not have: -EINVAL");
    rc = sendtrigger(fd, op, domid, 2, 0);
    printf("XENLITE-PRIVCMD trigger 2 d%u -> %lld\n", domid, (long long)rc);
    check(rc == -XEN_ENOSYS, "a trigger the platform does not have");

    for ( presses = 0; presses < PRESSES_MAX && state == 0; )
    {
        rc = sendtrigger(fd, op, domid, XEN_DOMCTL_SENDTRIGGER_POWER, 0);
        presses++;
        printf("XENLITE-PRIVCMD power d%u press %u -> %lld\n", domid,
               presses, (long long)rc);
        if ( rc )
        {
            check(false, "pressing the power button should work");
            return;
        }
        for ( ms = 0; ms < PRESS_WAIT_MS && state == 0; ms += 100 )
        {
            usleep(100 * 1000);
            state = domain_shut_down(fd, op, domid, &reason);
        }
    }
    printf("XENLITE-PRIVCMD power d%u after %u presses: %s reason %d\n",
           domid, presses,
           state == 1 ? "shut down" : state == 0 ? "still running" : "error",
           reason);
    check(state == 1 && (reason == SHUTDOWN_poweroff || reason == -1),
          "the domain should have powered off");
}

int main(int argc, char **argv)
{
    bool dom0, power = false;
    unsigned long domid = 0;
    char *page, *end;
    int fd;

    setvbuf(stdout, NULL, _IONBF, 0);
    if ( argc == 3 && !strcmp(argv[1], "power") )
    {
        domid = strtoul(argv[2], &end, 0);
        power = *argv[2] && !*end && domid < 0x7ff0;
    }
    if ( !power &&
         (argc != 2 || (strcmp(argv[1], "dom0") && strcmp(argv[1], "domu"))) )
    {
        fprintf(stderr, "usage: privcmd-test dom0|domu|power DOMID\n");
        return 2;
    }
    dom0 = power || !strcmp(argv[1], "dom0");

    check_node();
    check_taint();
    fd = open(XEN_LITE_PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
    if ( fd < 0 )
    {
        printf("XENLITE-PRIVCMD open %s: %s\n", XEN_LITE_PRIVCMD_PATH,
               strerror(errno));
        printf("XENLITE-PRIVCMD FAIL\n");
        return 1;
    }

    /* One locked page: the console text, then the sysctl/domctl struct. */
    page = locked_pages(1);
    if ( power )
    {
        press_power(fd, (struct xen_domctl *)page, domid);
        close(fd);
        printf("XENLITE-PRIVCMD %s\n", failed ? "FAIL" : "OK");
        return failed;
    }
    check_console_write(fd, page, dom0 ? "dom0" : "domU");
    check_enosys(fd);
    check_physinfo(fd, (struct xen_sysctl *)page, dom0);
    check_getdomaininfo(fd, (struct xen_domctl *)page, dom0);
    if ( dom0 )
        check_pv_send_ipi(fd, page);
    check_efault(fd, dom0);
    /* Still answering after the faults. */
    check_physinfo(fd, (struct xen_sysctl *)page, dom0);
    check_driver_errors(fd);
    check_unprivileged(fd);

    close(fd);
    printf("XENLITE-PRIVCMD %s\n", failed ? "FAIL" : "OK");
    return failed;
}

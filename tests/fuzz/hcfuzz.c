/*
 * hcfuzz: a hypercall fuzzer that runs as root in dom0 (static, in dom0's
 * image as /bin/hcfuzz) and talks to the hypervisor through
 * /dev/xen-lite/privcmd.
 *
 *   hcfuzz SEED COUNT [CFG]
 *   hcfuzz pages          prints the hypervisor's free pages (physinfo),
 *                         for the lifecycle tests' page-exact check
 *
 * COUNT calls, chosen from SEED: random hypercall numbers and arguments;
 * domctl and sysctl built valid for their command and then, mostly, one
 * field or byte mutated (version, command, domain id, a field of the
 * union, a pad byte, a buffer pointer); privcmd's own ioctl with bad
 * command numbers and argument pointers.  Domain ids come from the live
 * list (dom0 itself, running, paused and dying domains), from domains
 * the fuzzer made, and at random.  With CFG a child process meanwhile
 * creates and destroys a small domU with xl-lite, in a loop.
 *
 * Buffers are either good (locked, as the driver asks) or bad: NULL,
 * unmapped, read-only, page-crossing into a hole, non-canonical.  Never
 * kernel addresses: the hypervisor's walk of dom0's page tables ignores
 * U/S, so a write-back to one would overwrite dom0's own kernel, which
 * root in dom0 may do and which would only end the run.
 *
 * Refused on dom0 (the caller) before the call, because they would end
 * or stall the run rather than test anything the hypervisor must refuse:
 *   sendtrigger      NMI or the power button into dom0's own kernel;
 *   console_io write typed input for dom0's shell (the test's channel);
 *   scheduler_op put a cap or weight that can starve dom0;
 *   setvcpuaffinity  pinning dom0's vCPUs where the run cannot go on.
 * destroydomain and pausedomain of dom0 are sent: the hypervisor must
 * refuse them (-EINVAL), and the fuzzer counts any other answer as a
 * failure.  sysctl scheduler_op put (global time slice) is sent and the
 * values found at the start are put back at the end.
 *
 * At the end: the child stops, every domain but dom0 is destroyed, and
 * once none is left the counts are printed ("HCFUZZ ..." lines: calls,
 * successes, errors by code, skips) and "HCFUZZ OK" or "HCFUZZ FAIL".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <public/domctl.h>
#include <public/errno.h>
#include <public/sysctl.h>
#include <public/xen.h>
#include <xen-lite/privcmd.h>

#define PAGE            4096UL
#define GOOD_PAGES      8           /* an irq_stats pcpu record is ~14 KiB */
#define MAX_IDS         64
#define MAX_MINE        6           /* live domains the fuzzer made */
#define NR_ERR          128

static int fd;
static uint64_t rng_state;
static bool failed;

/* Outcomes. */
static uint64_t n_calls, n_ok, n_skipped, n_ioctl;
static uint64_t n_err[NR_ERR], n_err_other;
static uint64_t n_ioctl_err[NR_ERR];

/* Buffers: GOOD_PAGES locked, then one read-only, then one unmapped. */
static uint8_t *good, *ro_page, *hole;

static domid_t ids[MAX_IDS];        /* the live list, refreshed often */
static unsigned int nr_ids;
static domid_t mine[MAX_MINE];      /* created here and not destroyed */
static unsigned int nr_mine;
static domid_t gone = 1;            /* a recently destroyed id */

static uint64_t rnd(void)
{
    /* xorshift64*: the same seed gives the same run. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

static bool one_in(uint64_t n)
{
    return below(n) == 0;
}

/* The hypercall's result, or -1000 - errno if the ioctl failed. */
static int64_t raw_call(uint64_t op, const uint64_t arg[5])
{
    struct xen_lite_privcmd_hypercall hc = { .op = op, .result = 0x5a5a };

    memcpy(hc.arg, arg, sizeof(hc.arg));
    if ( ioctl(fd, XEN_LITE_PRIVCMD_HYPERCALL, &hc) )
        return -1000 - errno;
    return hc.result;
}

static void count(int64_t rc)
{
    n_calls++;
    if ( rc >= 0 )
        n_ok++;
    else if ( rc <= -1000 && -1000 - rc < NR_ERR )
        n_ioctl_err[-1000 - rc]++;
    else if ( -rc < NR_ERR )
        n_err[-rc]++;
    else
        n_err_other++;
}

static int64_t domctl(struct xen_domctl *op)
{
    uint64_t a[5] = { (uintptr_t)op };

    return raw_call(__HYPERVISOR_domctl, a);
}

static int64_t sysctl(struct xen_sysctl *op)
{
    uint64_t a[5] = { (uintptr_t)op };

    return raw_call(__HYPERVISOR_sysctl, a);
}

/* The live domains' ids, from getdomaininfolist (not counted). */
static void refresh_ids(void)
{
    static struct xen_domctl_getdomaininfo info[MAX_IDS];
    struct xen_sysctl op = {
        .cmd = XEN_SYSCTL_getdomaininfolist,
        .interface_version = XEN_SYSCTL_INTERFACE_VERSION,
        .u.getdomaininfolist = {
            .max_domains = MAX_IDS, .buffer = (uintptr_t)info,
        },
    };

    int64_t rc = sysctl(&op);

    if ( rc < 0 )
    {
        printf("HCFUZZ getdomaininfolist failed: %" PRId64 "\n", rc);
        failed = true;
        return;
    }
    nr_ids = op.u.getdomaininfolist.num_domains;
    for ( unsigned int i = 0; i < nr_ids; i++ )
        ids[i] = info[i].domain;
}

static domid_t pick_domid(void)
{
    switch ( below(10) )
    {
    case 0:
        return 0;
    case 1:
        return DOMID_SELF;
    case 2:
        return below(2) ? DOMID_IDLE : (domid_t)rnd();
    case 3:
        return gone;
    case 4: case 5:
        if ( nr_mine )
            return mine[below(nr_mine)];
        /* fall through */
    default:
        return nr_ids ? ids[below(nr_ids)] : 0;
    }
}

/* A guest buffer of 'size' bytes, good or bad. */
static uint64_t pick_buf(size_t size)
{
    size_t room = GOOD_PAGES * PAGE;

    switch ( below(12) )
    {
    case 0:
        return 0;
    case 1:
        return (uintptr_t)hole + below(PAGE);
    case 2:
        return (uintptr_t)ro_page + below(PAGE);
    case 3:
        /* Starts good, runs into the read-only page and the hole. */
        return (uintptr_t)ro_page - 1 - below(size ? size : 1);
    case 4:
        return 0x8000000000000000ULL | rnd();
    case 5:
        /* A user address, almost surely unmapped. */
        return (rnd() & 0x00007ffffffff000ULL) | below(PAGE);
    default:
        if ( size >= room )
            return (uintptr_t)good;
        return (uintptr_t)good + below(room - size + 1);
    }
}

/* Mostly small, sometimes anything. */
static uint64_t pick_size(uint64_t usual)
{
    switch ( below(8) )
    {
    case 0:
        return rnd();
    case 1:
        return (uint32_t)rnd();
    case 2:
        return 0;
    default:
        return below(usual + 1);
    }
}

static void mutate(void *p, size_t used, size_t total)
{
    uint8_t *b = p;

    switch ( below(4) )
    {
    case 0:
        b[below(used)] = (uint8_t)rnd();
        break;
    case 1:
        b[below(used)] ^= 1u << below(8);
        break;
    case 2:
        b[below(total)] = (uint8_t)rnd();
        break;
    default:
        /* A whole aligned 32-bit field. */
        ((uint32_t *)p)[below(used / 4)] = (uint32_t)rnd();
        break;
    }
}

static domid_t self_id;

/* Whether the finished op would harm dom0 itself (see the top). */
static bool harms_self(const struct xen_domctl *op)
{
    if ( op->domain != self_id )
        return false;
    switch ( op->cmd )
    {
    case XEN_DOMCTL_sendtrigger:
    case XEN_DOMCTL_setvcpuaffinity:
        return true;
    case XEN_DOMCTL_console_io:
        return op->u.console_io.cmd != XEN_DOMCTL_CONSOLE_READ;
    case XEN_DOMCTL_scheduler_op:
        return op->u.scheduler_op.cmd != XEN_DOMCTL_SCHEDOP_getinfo;
    }
    return false;
}

static void forget_mine(domid_t d)
{
    for ( unsigned int i = 0; i < nr_mine; i++ )
        if ( mine[i] == d )
        {
            mine[i] = mine[--nr_mine];
            return;
        }
}

static void fuzz_domctl(void)
{
    struct xen_domctl *op = (void *)(good + GOOD_PAGES * PAGE -
                                     sizeof(*op) - below(64) * 8);
    unsigned int cmd = 1 + below(XEN_DOMCTL_console_io);
    size_t used = 16;
    int64_t rc;

    memset(op, 0, sizeof(*op));
    op->cmd = cmd;
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    op->domain = pick_domid();

    switch ( cmd )
    {
    case XEN_DOMCTL_createdomain:
        if ( nr_mine == MAX_MINE )
        {
            /* Make room: the oldest one goes, dying under the fuzzing. */
            op->cmd = XEN_DOMCTL_destroydomain;
            op->domain = mine[0];
            count(domctl(op));
            gone = mine[0];
            forget_mine(mine[0]);
            return;
        }
        op->domain = one_in(4) ? (domid_t)below(40) : 0;
        op->u.createdomain.flags = below(4) ? XEN_DOMCTL_CDF_hvm
                                            : (uint32_t)below(8);
        op->u.createdomain.max_vcpus = below(4) ? 1 + below(4)
                                                : (uint32_t)rnd();
        op->u.createdomain.max_pages = below(4) ? below(16384)
                                                : rnd();
        used += sizeof(op->u.createdomain);
        break;
    case XEN_DOMCTL_max_vcpus:
        op->u.max_vcpus.max = below(4) ? below(4) : (uint32_t)rnd();
        used += 4;
        break;
    case XEN_DOMCTL_getvcpuinfo:
    case XEN_DOMCTL_getvcpuaffinity:
        op->u.getvcpuinfo.vcpu = below(4) ? below(4) : (uint32_t)rnd();
        used += 4;
        break;
    case XEN_DOMCTL_setvcpuaffinity:
        op->u.vcpuaffinity.vcpu = below(4) ? below(4) : (uint32_t)rnd();
        op->u.vcpuaffinity.cpumap[0] = below(4) ? 1 + below(3) : rnd();
        if ( one_in(8) )
            op->u.vcpuaffinity.cpumap[below(4)] = rnd();
        used += sizeof(op->u.vcpuaffinity);
        break;
    case XEN_DOMCTL_scheduler_op:
        op->u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
        op->u.scheduler_op.cmd = below(2);
        op->u.scheduler_op.credit.weight = 1 + below(1024);
        op->u.scheduler_op.credit.cap = below(4) ? 0 : below(200);
        used += 12;
        break;
    case XEN_DOMCTL_sendtrigger:
        op->u.sendtrigger.trigger = below(2) ? XEN_DOMCTL_SENDTRIGGER_NMI
                                             : XEN_DOMCTL_SENDTRIGGER_POWER;
        op->u.sendtrigger.vcpu = below(3);
        used += 8;
        break;
    case XEN_DOMCTL_populate_ram:
        op->u.populate_ram.mem_bytes = below(4) ? below(64) << 20 : rnd();
        used += 8;
        break;
    case XEN_DOMCTL_copy_to_guest:
        op->u.copy_to_guest.gpaddr = below(4) ? below(64 << 20) : rnd();
        op->u.copy_to_guest.size = pick_size(XEN_DOMCTL_COPY_MAX);
        op->u.copy_to_guest.buffer =
            pick_buf(op->u.copy_to_guest.size);
        used += 20;
        break;
    case XEN_DOMCTL_build_platform:
    {
        struct xen_domctl_build_platform *bp = &op->u.build_platform;

        bp->kind = 1 + below(2);
        bp->entry = below(4) ? 0x100000 + below(1 << 20) : rnd();
        bp->kernel_end = below(4) ? 0x200000 + below(4 << 20) : rnd();
        bp->module_size = below(2) ? 0 : pick_size(1 << 20);
        bp->cmdline_len = pick_size(256);
        bp->cmdline = pick_buf(bp->cmdline_len);
        bp->module_args_len = pick_size(256);
        bp->module_args = pick_buf(bp->module_args_len);
        used += 64;
        break;
    }
    case XEN_DOMCTL_setvcpucontext:
        op->u.setvcpucontext.vcpu = below(3);
        op->u.setvcpucontext.boot.eip = below(4) ? 0x100000 : rnd();
        op->u.setvcpucontext.boot.flags = below(2);
        used += 24;
        break;
    case XEN_DOMCTL_console_io:
        op->u.console_io.cmd = below(4) ? XEN_DOMCTL_CONSOLE_READ
                                        : XEN_DOMCTL_CONSOLE_WRITE;
        op->u.console_io.size = pick_size(4096);
        op->u.console_io.index = below(2) ? 0 : rnd() & 0xffffff;
        op->u.console_io.buffer = pick_buf(op->u.console_io.size);
        used += 24;
        break;
    default:
        break;
    }

    /* Mostly valid headers with one field or byte changed. */
    if ( below(4) )
        mutate(op, used, sizeof(*op));
    if ( harms_self(op) )
    {
        n_skipped++;
        return;
    }
    /* Most createdomain mutations still succeed: keep the count down. */
    if ( op->cmd == XEN_DOMCTL_createdomain && nr_mine == MAX_MINE )
        return;

    rc = domctl(op);
    count(rc);

    if ( op->cmd == XEN_DOMCTL_createdomain && rc == 0 )
        mine[nr_mine++] = op->domain;
    if ( op->cmd == XEN_DOMCTL_destroydomain && rc == 0 )
    {
        forget_mine(op->domain);
        gone = op->domain;
    }
    if ( (op->cmd == XEN_DOMCTL_destroydomain ||
          op->cmd == XEN_DOMCTL_pausedomain) &&
         op->domain == self_id && rc != -XEN_EINVAL &&
         op->interface_version == XEN_DOMCTL_INTERFACE_VERSION &&
         rc > -1000 && rc != -XEN_EFAULT )
    {
        printf("HCFUZZ domctl %u of dom0 gave %" PRId64 "\n", op->cmd, rc);
        failed = true;
    }
}

static void fuzz_sysctl(void)
{
    struct xen_sysctl *op = (void *)(good + below(64) * 8);
    unsigned int cmd = 1 + below(XEN_SYSCTL_irq_stats);
    size_t used = 8;

    memset(op, 0, sizeof(*op));
    op->cmd = cmd;
    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;

    switch ( cmd )
    {
    case XEN_SYSCTL_readconsole:
        op->u.readconsole.clear = one_in(16);
        op->u.readconsole.incremental = below(2);
        op->u.readconsole.count = pick_size(8192);
        op->u.readconsole.index = below(2) ? 0 : rnd() & 0xfffff;
        op->u.readconsole.buffer = pick_buf(op->u.readconsole.count);
        used += 24;
        break;
    case XEN_SYSCTL_getdomaininfolist:
        op->u.getdomaininfolist.first_domain = pick_domid();
        op->u.getdomaininfolist.max_domains = pick_size(64);
        op->u.getdomaininfolist.buffer = pick_buf(
            op->u.getdomaininfolist.max_domains *
            sizeof(struct xen_domctl_getdomaininfo));
        used += 24;
        break;
    case XEN_SYSCTL_debug_keys:
        /* Each key prints on the serial line: rare and short. */
        if ( !one_in(32) )
            return;
        good[0] = "qrsivh?"[below(7)];
        good[1] = (uint8_t)rnd();
        op->u.debug_keys.keys = below(4) ? (uintptr_t)good
                                         : pick_buf(2);
        op->u.debug_keys.nr_keys = below(4) ? 1 + below(2)
                                            : (uint32_t)rnd();
        used += 16;
        break;
    case XEN_SYSCTL_scheduler_op:
        op->u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
        op->u.scheduler_op.cmd = below(2);
        op->u.scheduler_op.credit.tslice_ms = 1 + below(100);
        op->u.scheduler_op.credit.ratelimit_us = below(2) ? 0 : 100;
        used += 16;
        break;
    case XEN_SYSCTL_irq_stats:
    {
        struct xen_sysctl_irq_stats *is = &op->u.irq_stats;

        is->version = XEN_IRQ_STATS_VERSION;
        is->kind = below(2);
        is->cpu = below(3);
        is->domid = pick_domid();
        is->vcpu = below(3);
        is->size = below(4) ? (is->kind ? sizeof(struct xen_irq_stats_vcpu)
                                        : sizeof(struct xen_irq_stats_pcpu))
                            : pick_size(1 << 16);
        is->buffer = pick_buf(is->size);
        used += 32;
        break;
    }
    default:
        break;
    }
    if ( below(4) )
        mutate(op, used, sizeof(*op));
    /* Keys typed by mutation are not limited: keep them off the wire. */
    if ( op->cmd == XEN_SYSCTL_debug_keys && cmd != XEN_SYSCTL_debug_keys )
        return;
    count(sysctl(op));
}

/* Any number, any arguments; the buffers among them good or bad. */
static void fuzz_raw(void)
{
    uint64_t a[5];
    uint64_t op = below(4) ? below(NR_hypercalls + 8) : rnd();

    for ( unsigned int i = 0; i < 5; i++ )
        a[i] = below(2) ? pick_buf(below(4096)) : pick_size(1 << 16);
    /* Written text goes to the serial line: keep it short and rare. */
    if ( op == __HYPERVISOR_console_io && a[0] == CONSOLEIO_write &&
         (!one_in(16) || a[1] > 64) )
        return;
    /* The argument structures of these two are fuzzed above. */
    if ( op == __HYPERVISOR_domctl || op == __HYPERVISOR_sysctl )
        a[0] = pick_buf(sizeof(struct xen_domctl));
    count(raw_call(op, a));
}

/* privcmd's own ioctl: bad command numbers and argument pointers. */
static void fuzz_ioctl(void)
{
    static const unsigned long cmds[] = {
        XEN_LITE_PRIVCMD_HYPERCALL,
        _IOWR(XEN_LITE_PRIVCMD_IOC_MAGIC, 1,
              struct xen_lite_privcmd_hypercall),
        _IOW(XEN_LITE_PRIVCMD_IOC_MAGIC, 0,
             struct xen_lite_privcmd_hypercall),
        _IOWR(XEN_LITE_PRIVCMD_IOC_MAGIC, 0, uint64_t),
        0, 0x5401 /* TCGETS */,
    };
    unsigned long cmd = below(4) ? cmds[below(6)] : (uint32_t)rnd();
    struct xen_lite_privcmd_hypercall *hc;
    uint64_t arg;

    /* A good pointer holds a harmless call: physinfo. */
    arg = pick_buf(sizeof(*hc));
    if ( arg >= (uintptr_t)good && arg < (uintptr_t)good + GOOD_PAGES * PAGE )
    {
        static struct xen_sysctl pi;

        pi = (struct xen_sysctl){
            .cmd = XEN_SYSCTL_physinfo,
            .interface_version = XEN_SYSCTL_INTERFACE_VERSION,
        };
        arg = (uintptr_t)good + GOOD_PAGES * PAGE - sizeof(*hc) -
              below(8) * 8;
        hc = (void *)(uintptr_t)arg;
        memset(hc, 0, sizeof(*hc));
        hc->op = __HYPERVISOR_sysctl;
        hc->arg[0] = (uintptr_t)&pi;
    }
    else if ( arg >= (uintptr_t)ro_page && arg < (uintptr_t)ro_page + PAGE )
    {
        /* Read-only: the call is made, its result cannot come back. */
        arg = (uintptr_t)ro_page;
    }
    n_ioctl++;
    if ( ioctl(fd, cmd, (void *)(uintptr_t)arg) )
        n_ioctl_err[errno < NR_ERR ? errno : 0]++;
}

static void one_call(void)
{
    unsigned int r = below(16);

    if ( r < 8 )
        fuzz_domctl();
    else if ( r < 12 )
        fuzz_sysctl();
    else if ( r < 14 )
        fuzz_raw();
    else
        fuzz_ioctl();
}

/* Runs xl-lite with 'args', its output thrown away: its exit status. */
static int run_xl(char *const args[])
{
    int status;
    pid_t pid = fork();

    if ( pid == 0 )
    {
        int null = open("/dev/null", O_WRONLY);

        dup2(null, 1);
        dup2(null, 2);
        execvp("xl-lite", args);
        _exit(127);
    }
    if ( pid < 0 || waitpid(pid, &status, 0) != pid )
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * A child: xl-lite create (running or paused), a short wait, destroy,
 * again, until the parent closes 'stop'.  Failures are expected (the
 * fuzzer destroys and pauses the same domains, or has taken the memory)
 * and only counted.
 */
static pid_t start_churn(char *cfg, int *stop_fd)
{
    char *create[] = { "xl-lite", "create", "-q", cfg, "name=\"fzchurn\"",
                       "on_poweroff=\"destroy\"", NULL };
    char *create_p[] = { "xl-lite", "create", "-q", "-p", cfg,
                         "name=\"fzchurn\"", NULL };
    char *destroy[] = { "xl-lite", "destroy", "fzchurn", NULL };
    unsigned long creates = 0, destroys = 0, tries = 0;
    int p[2];
    pid_t pid;

    if ( pipe(p) )
        return -1;
    pid = fork();
    if ( pid )
    {
        close(p[0]);
        *stop_fd = p[1];
        return pid;
    }
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    for ( ;; )
    {
        char c;
        ssize_t r = read(p[0], &c, 1);

        if ( r == 0 || (r < 0 && errno != EAGAIN) )
            break;
        tries++;
        creates += run_xl(below(2) ? create : create_p) == 0;
        usleep(below(200000));
        destroys += run_xl(destroy) == 0;
    }
    printf("HCFUZZ churn tries %lu creates %lu destroys %lu\n", tries,
           creates, destroys);
    _exit(0);
}

static void put_sched(const struct xen_sysctl_credit_schedule *c)
{
    struct xen_sysctl op = {
        .cmd = XEN_SYSCTL_scheduler_op,
        .interface_version = XEN_SYSCTL_INTERFACE_VERSION,
        .u.scheduler_op = {
            .sched_id = XEN_SCHEDULER_CREDIT,
            .cmd = XEN_SYSCTL_SCHEDOP_putinfo, .credit = *c,
        },
    };

    if ( sysctl(&op) )
    {
        printf("HCFUZZ cannot put the time slice back\n");
        failed = true;
    }
}

static bool get_sched(struct xen_sysctl_credit_schedule *c)
{
    struct xen_sysctl op = {
        .cmd = XEN_SYSCTL_scheduler_op,
        .interface_version = XEN_SYSCTL_INTERFACE_VERSION,
        .u.scheduler_op = {
            .sched_id = XEN_SCHEDULER_CREDIT,
            .cmd = XEN_SYSCTL_SCHEDOP_getinfo,
        },
    };

    if ( sysctl(&op) )
        return false;
    *c = op.u.scheduler_op.credit;
    return true;
}

/* Destroys every domain but this one; true once none is left. */
static bool destroy_others(void)
{
    for ( int tries = 0; tries < 100; tries++ )
    {
        refresh_ids();
        if ( nr_ids == 1 && ids[0] == self_id )
            return true;
        for ( unsigned int i = 0; i < nr_ids; i++ )
        {
            struct xen_domctl op = {
                .cmd = XEN_DOMCTL_destroydomain,
                .interface_version = XEN_DOMCTL_INTERFACE_VERSION,
                .domain = ids[i],
            };

            if ( ids[i] != self_id )
                domctl(&op);
        }
        usleep(100000);
    }
    printf("HCFUZZ domains left after the run: %u\n", nr_ids);
    return false;
}

/* Dom0's own id: the privileged domain in the list. */
static bool find_self(void)
{
    struct xen_domctl op = {
        .cmd = XEN_DOMCTL_getdomaininfo,
        .interface_version = XEN_DOMCTL_INTERFACE_VERSION,
    };

    for ( unsigned int d = 0; d < DOMID_FIRST_RESERVED; d = op.domain + 1 )
    {
        op.domain = d;
        if ( domctl(&op) )
            return false;
        if ( op.u.getdomaininfo.flags & XEN_DOMINF_privileged )
        {
            self_id = op.domain;
            return true;
        }
    }
    return false;
}

static void *map_pages(size_t pages, int prot)
{
    void *p = mmap(NULL, pages * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);

    if ( p == MAP_FAILED )
    {
        perror("hcfuzz: mmap");
        exit(1);
    }
    return p;
}

static int print_free_pages(void)
{
    struct xen_sysctl op = {
        .cmd = XEN_SYSCTL_physinfo,
        .interface_version = XEN_SYSCTL_INTERFACE_VERSION,
    };

    if ( sysctl(&op) )
        return 1;
    printf("%" PRIu64 "\n", (uint64_t)op.u.physinfo.free_pages);
    return 0;
}

int main(int argc, char **argv)
{
    struct xen_sysctl_credit_schedule sched;
    uint64_t seed, n;
    pid_t churn = -1;
    int stop = -1, status;

    if ( (argc < 3 || argc > 4) &&
         !(argc == 2 && !strcmp(argv[1], "pages")) )
    {
        fprintf(stderr, "usage: hcfuzz SEED COUNT [CFG] | hcfuzz pages\n");
        return 2;
    }
    fd = open(XEN_LITE_PRIVCMD_PATH, O_RDWR);
    if ( fd < 0 )
    {
        perror("hcfuzz: " XEN_LITE_PRIVCMD_PATH);
        return 1;
    }
    if ( argc == 2 )
        return print_free_pages();
    seed = strtoull(argv[1], NULL, 0);
    n = strtoull(argv[2], NULL, 0);
    rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    /*
     * Every buffer the hypervisor reads or writes present, as the driver
     * asks (the bad ones are bad on purpose).
     */
    if ( mlockall(MCL_CURRENT | MCL_FUTURE) )
    {
        perror("hcfuzz: mlockall");
        return 1;
    }
    /* Good pages, a read-only page, a hole: in that order. */
    good = map_pages(GOOD_PAGES + 2, PROT_READ | PROT_WRITE);
    ro_page = good + GOOD_PAGES * PAGE;
    hole = ro_page + PAGE;
    for ( size_t i = 0; i < GOOD_PAGES * PAGE; i++ )
        good[i] = (uint8_t)rnd();
    if ( mprotect(ro_page, PAGE, PROT_READ) || munmap(hole, PAGE) )
    {
        perror("hcfuzz: mlock/mprotect/munmap");
        return 1;
    }
    if ( !find_self() || !get_sched(&sched) )
    {
        printf("HCFUZZ cannot find dom0 or the scheduler's parameters\n");
        return 1;
    }
    printf("HCFUZZ seed %" PRIu64 " count %" PRIu64 " self %u\n", seed, n,
           self_id);

    if ( argc == 4 )
    {
        churn = start_churn(argv[3], &stop);
        /*
         * fork() made every private page copy-on-write again, locked or
         * not, and the hypervisor cannot break the sharing: lock again,
         * which faults each writable page in for writing.
         */
        if ( mlockall(MCL_CURRENT | MCL_FUTURE) )
        {
            perror("hcfuzz: mlockall");
            return 1;
        }
    }
    for ( uint64_t i = 0; i < n; i++ )
    {
        if ( i % 64 == 0 )
            refresh_ids();
        one_call();
        if ( i % 100000 == 99999 )
            printf("HCFUZZ progress %" PRIu64 "\n", i + 1);
    }
    if ( churn > 0 )
    {
        close(stop);
        waitpid(churn, &status, 0);
    }
    put_sched(&sched);
    if ( !destroy_others() )
        failed = true;

    printf("HCFUZZ calls %" PRIu64 " ok %" PRIu64 " skipped %" PRIu64
           " ioctls %" PRIu64 "\n", n_calls, n_ok, n_skipped, n_ioctl);
    for ( int e = 1; e < NR_ERR; e++ )
        if ( n_err[e] )
            printf("HCFUZZ error -%d %" PRIu64 "\n", e, n_err[e]);
    if ( n_err_other )
        printf("HCFUZZ error other %" PRIu64 "\n", n_err_other);
    for ( int e = 0; e < NR_ERR; e++ )
        if ( n_ioctl_err[e] )
            printf("HCFUZZ ioctl-errno %d %" PRIu64 "\n", e, n_ioctl_err[e]);
    printf("HCFUZZ %s\n", failed ? "FAIL" : "OK");
    return failed;
}

/*
 * linux-bench: the Linux workloads of `make bench`
 * (tests/bench/linux_workloads.py), run in dom0 from the test initramfs.
 * Around each workload it reads the hypervisor's interrupt counters
 * (sysctl irq_stats through /dev/xen-lite/privcmd) of every vCPU of
 * domain 0 and of every pCPU, and prints the differences with the
 * workload's count of operations and its length by the guest's clock
 * (CLOCK_MONOTONIC), as "XENLITE-BENCH ..." lines.
 *
 *   linux-bench pingpong N    N pipe round trips, CPU 0 <-> CPU 1
 *   linux-bench wakeups N     CPU 0 wakes a random other CPU N times;
 *                             those CPUs sleep with random timeouts
 *   linux-bench shootdown N   4 threads on CPUs 0-3, N mmap/mprotect/
 *                             munmap rounds each (TLB shootdowns)
 *
 * Exit status 0 only if the workload ran to the end and every sysctl
 * worked.  Static, like /init.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <public/sysctl.h>
#include <public/xen.h>
#include <xen-lite/privcmd.h>

#define PAGE            4096UL
#define MAX_VCPUS       128
#define MAX_PCPUS       64
#define SHOOT_THREADS   4
#define SHOOT_PAGES     4

static struct xen_sysctl *op;           /* both in one locked page */
static void *statbuf;
static int xfd = -1;

static struct xen_irq_stats_vcpu vcpu0[MAX_VCPUS], vcpu1[MAX_VCPUS];
static struct xen_irq_stats_pcpu pcpu0[MAX_PCPUS], pcpu1[MAX_PCPUS];
static unsigned int nr_vcpus, nr_pcpus;

static int64_t sysctl(void)
{
    struct xen_lite_privcmd_hypercall hc = {
        .op = __HYPERVISOR_sysctl, .arg = { (uintptr_t)op },
    };

    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    if ( ioctl(xfd, XEN_LITE_PRIVCMD_HYPERCALL, &hc) )
        return -1000 - errno;
    return hc.result;
}

static int irq_stats(uint32_t kind, uint32_t idx, void *out, size_t size)
{
    int64_t rc;

    memset(op, 0, sizeof(*op));
    op->cmd = XEN_SYSCTL_irq_stats;
    op->u.irq_stats.version = XEN_IRQ_STATS_VERSION;
    op->u.irq_stats.kind = kind;
    /* The field of the other kind must stay 0: the hypervisor checks. */
    if ( kind == XEN_IRQ_STATS_pcpu )
        op->u.irq_stats.cpu = idx;
    else
        op->u.irq_stats.vcpu = idx;
    op->u.irq_stats.size = size;
    op->u.irq_stats.buffer = (uintptr_t)statbuf;
    rc = sysctl();
    if ( rc )
    {
        printf("XENLITE-BENCH irq_stats kind %u index %u buffer %p -> "
               "%lld\n", kind, idx, statbuf, (long long)rc);
        return 1;
    }
    memcpy(out, statbuf, size);
    return 0;
}

static int open_privcmd(void)
{
    /* Room for the op and the larger of the two structures. */
    size_t len = 2 * PAGE + sizeof(struct xen_irq_stats_pcpu);
    char *buf;

    xfd = open(XEN_LITE_PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
    if ( xfd < 0 )
    {
        printf("XENLITE-BENCH open %s: %s\n", XEN_LITE_PRIVCMD_PATH,
               strerror(errno));
        return 1;
    }
    /*
     * Locked, as the hypervisor cannot fault a page in, and kept out of
     * the workloads' fork()s: a fork makes the parent's private pages
     * copy-on-write (read-only), and the hypervisor's write to one gives
     * -EFAULT.
     */
    buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if ( buf == MAP_FAILED || madvise(buf, len, MADV_DONTFORK) ||
         mlock(buf, len) )
    {
        printf("XENLITE-BENCH buffer: %s\n", strerror(errno));
        return 1;
    }
    op = (struct xen_sysctl *)buf;
    statbuf = (char *)op + PAGE;
    memset(op, 0, sizeof(*op));
    op->cmd = XEN_SYSCTL_physinfo;
    if ( sysctl() )
        return 1;
    nr_pcpus = op->u.physinfo.nr_cpus;
    nr_vcpus = sysconf(_SC_NPROCESSORS_ONLN);
    if ( nr_pcpus > MAX_PCPUS || nr_vcpus > MAX_VCPUS )
    {
        printf("XENLITE-BENCH %u pCPUs, %u vCPUs: too many\n", nr_pcpus,
               nr_vcpus);
        return 1;
    }
    return 0;
}

static int snapshot(struct xen_irq_stats_vcpu *v,
                    struct xen_irq_stats_pcpu *p)
{
    int bad = 0;

    for ( unsigned int i = 0; i < nr_vcpus; i++ )
        bad |= irq_stats(XEN_IRQ_STATS_vcpu, i, &v[i], sizeof(v[i]));
    for ( unsigned int i = 0; i < nr_pcpus; i++ )
        bad |= irq_stats(XEN_IRQ_STATS_pcpu, i, &p[i], sizeof(p[i]));
    return bad;
}

#define D(f) ((unsigned long long)(b->f - a->f))

/*
 * One line per vCPU and per pCPU, the counters' growth over the run;
 * wake_max is the longest wake since boot (a maximum has no difference).
 */
static void report(const char *name)
{
    for ( unsigned int i = 0; i < nr_vcpus; i++ )
    {
        const struct xen_irq_stats_vcpu *a = &vcpu0[i], *b = &vcpu1[i];
        unsigned long long all = 0;

        for ( unsigned int r = 0; r < XEN_EXIT_NR; r++ )
            all += b->exits[r] - a->exits[r];
        printf("XENLITE-BENCH vcpu %s %u posts %llu notifications %llu "
               "wakeup_notifications %llu fast %llu slow %llu pv_calls %llu "
               "pv_targets %llu eoi_exits %llu pv_eois %llu wakes %llu "
               "wake_cycles %llu wake_max %llu exits %llu extint %llu "
               "intr_window %llu hlt %llu msr_write %llu hypercall %llu\n",
               name, i, D(posts), D(notifications), D(wakeup_notifications),
               D(ipi_fastpath), D(ipi_slowpath), D(pv_ipi_calls),
               D(pv_ipi_targets), D(eoi_exits), D(pv_eoi_skips), D(wakes),
               D(wake_latency_sum),
               (unsigned long long)b->wake_latency_max, all,
               D(exits[XEN_EXIT_extint]), D(exits[XEN_EXIT_intr_window]),
               D(exits[XEN_EXIT_hlt]), D(exits[XEN_EXIT_msr_write]),
               D(exits[XEN_EXIT_hypercall]));
    }
    for ( unsigned int i = 0; i < nr_pcpus; i++ )
    {
        unsigned long long runs = 0, scanned = 0, woken = 0;

        for ( unsigned int k = 0; k < pcpu1[i].nr_vectors &&
                                  k < XEN_IRQ_STATS_MAX_VECTORS; k++ )
        {
            const struct xen_irq_stats_wakeup_vector *a = &pcpu0[i].vec[k];
            const struct xen_irq_stats_wakeup_vector *b = &pcpu1[i].vec[k];

            runs += b->handler_runs - a->handler_runs;
            scanned += b->entries_scanned - a->entries_scanned;
            woken += b->woken - a->woken;
        }
        printf("XENLITE-BENCH pcpu %s %u K %u runs %llu scanned %llu "
               "woken %llu peak_blocked %u\n", name, i, pcpu1[i].nr_vectors,
               runs, scanned, woken, pcpu1[i].peak_blocked);
    }
}

static void pin_to(unsigned int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if ( sched_setaffinity(0, sizeof(set), &set) )
        printf("XENLITE-BENCH pin to CPU %u: %s\n", cpu, strerror(errno));
}

static uint64_t now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

/*
 * (a) perf bench sched pipe's pattern: every byte wakes the other side,
 * a cross-vCPU wakeup (a reschedule IPI) each way; CPUs 2.. stay idle.
 */
static unsigned long pingpong(unsigned long rounds)
{
    int ab[2], ba[2], status;
    unsigned long i;
    pid_t pid;
    char c = 'x';

    if ( pipe(ab) || pipe(ba) )
        return 0;
    pid = fork();
    if ( pid < 0 )
        return 0;
    if ( pid == 0 )
    {
        pin_to(1);
        for ( i = 0; i < rounds; i++ )
            if ( read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1 )
                _exit(1);
        _exit(0);
    }
    for ( i = 0; i < rounds; i++ )
        if ( write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1 )
            break;
    waitpid(pid, &status, 0);
    close(ab[0]), close(ab[1]), close(ba[0]), close(ba[1]);
    return WIFEXITED(status) && !WEXITSTATUS(status) ? i : 0;
}

/*
 * (b) One sleeper on each CPU but 0, in poll() with a random timeout of
 * 2-40 ms (timer wakeups); CPU 0 wakes a random sleeper through its pipe
 * and waits for its answer, 'n' times.  Most CPUs are idle most of the
 * time; each wakeup is an IPI to a halted vCPU.
 */
static unsigned long wakeups(unsigned long n)
{
    unsigned int cpus = nr_vcpus;
    int (*to)[2] = calloc(cpus, sizeof(*to)), back[2], status;
    pid_t *pids = calloc(cpus, sizeof(*pids));
    unsigned long i, done = 0;
    char c = 'w';

    if ( !to || !pids || cpus < 2 || pipe(back) )
        return 0;
    for ( unsigned int cpu = 1; cpu < cpus; cpu++ )
    {
        if ( pipe(to[cpu]) )
            return 0;
        pids[cpu] = fork();
        if ( pids[cpu] < 0 )
            return 0;
        if ( pids[cpu] == 0 )
        {
            struct pollfd pfd = { .fd = to[cpu][0], .events = POLLIN };
            unsigned int seed = cpu * 2654435761u;

            /* Only the parent may hold write ends: EOF ends the loop. */
            for ( unsigned int j = 1; j <= cpu; j++ )
                close(to[j][1]);
            pin_to(cpu);
            for ( ;; )
            {
                int r = poll(&pfd, 1, 2 + rand_r(&seed) % 39);

                if ( r < 0 && errno != EINTR )
                    _exit(1);
                if ( r <= 0 )
                    continue;
                if ( read(to[cpu][0], &c, 1) != 1 )
                    _exit(0);           /* closed: the end */
                if ( write(back[1], &c, 1) != 1 )
                    _exit(1);
            }
        }
        close(to[cpu][0]);
    }
    /* Let every sleeper reach its first poll(). */
    usleep(200000);
    {
        unsigned int seed = 12345;

        for ( i = 0; i < n; i++ )
        {
            unsigned int cpu = 1 + rand_r(&seed) % (cpus - 1);

            if ( write(to[cpu][1], &c, 1) != 1 || read(back[0], &c, 1) != 1 )
                break;
            done++;
        }
    }
    for ( unsigned int cpu = 1; cpu < cpus; cpu++ )
        close(to[cpu][1]);
    for ( unsigned int cpu = 1; cpu < cpus; cpu++ )
        if ( waitpid(pids[cpu], &status, 0) != pids[cpu] ||
             !WIFEXITED(status) || WEXITSTATUS(status) )
            done = 0;
    close(back[0]), close(back[1]);
    free(to), free(pids);
    return done;
}

/*
 * (c) Threads of one process on CPUs 0-3 map, touch, write-protect and
 * unmap a few pages in a loop: each mprotect and munmap of pages another
 * CPU may cache flushes the other CPUs running the mm (a multicast
 * function-call IPI, or KVM's PV send-IPI when offered).
 */
static unsigned long shoot_rounds;
static volatile int shoot_bad;

static void *shoot_thread(void *arg)
{
    unsigned int cpu = (uintptr_t)arg;

    pin_to(cpu);
    for ( unsigned long i = 0; i < shoot_rounds; i++ )
    {
        char *p = mmap(NULL, SHOOT_PAGES * PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if ( p == MAP_FAILED )
        {
            shoot_bad = 1;
            break;
        }
        for ( unsigned int k = 0; k < SHOOT_PAGES; k++ )
            p[k * PAGE] = (char)i;
        if ( mprotect(p, SHOOT_PAGES * PAGE, PROT_READ) ||
             munmap(p, SHOOT_PAGES * PAGE) )
        {
            shoot_bad = 1;
            break;
        }
    }
    return NULL;
}

static unsigned long shootdown(unsigned long n)
{
    pthread_t t[SHOOT_THREADS];
    unsigned int nt = nr_vcpus < SHOOT_THREADS ? nr_vcpus : SHOOT_THREADS;

    shoot_rounds = n;
    for ( unsigned int i = 1; i < nt; i++ )
        if ( pthread_create(&t[i], NULL, shoot_thread,
                            (void *)(uintptr_t)i) )
            return 0;
    shoot_thread((void *)0);
    for ( unsigned int i = 1; i < nt; i++ )
        pthread_join(t[i], NULL);
    return shoot_bad ? 0 : n * nt;
}

int main(int argc, char **argv)
{
    static const struct
    {
        const char *name;
        unsigned long (*run)(unsigned long);
    } loads[] = {
        { "pingpong", pingpong },
        { "wakeups", wakeups },
        { "shootdown", shootdown },
    };
    unsigned long n, ops;
    uint64_t t0, t1;
    char *end;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if ( argc != 3 || (n = strtoul(argv[2], &end, 0)) == 0 || *end )
    {
        printf("usage: linux-bench pingpong|wakeups|shootdown N\n");
        return 2;
    }
    for ( unsigned int w = 0; w < sizeof(loads) / sizeof(loads[0]); w++ )
    {
        if ( strcmp(argv[1], loads[w].name) )
            continue;
        if ( open_privcmd() )
            return 1;
        pin_to(0);
        if ( snapshot(vcpu0, pcpu0) )
            return 1;
        t0 = now_ns();
        ops = loads[w].run(n);
        t1 = now_ns();
        if ( snapshot(vcpu1, pcpu1) )
            return 1;
        report(argv[1]);
        printf("XENLITE-BENCH result %s ops %lu ns %llu vcpus %u pcpus %u\n",
               argv[1], ops, (unsigned long long)(t1 - t0), nr_vcpus,
               nr_pcpus);
        return ops == 0;
    }
    printf("linux-bench: no workload '%s'\n", argv[1]);
    return 2;
}

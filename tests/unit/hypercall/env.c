/*
 * Host environment for the hypercall suites: see env.h.  Also the
 * hypervisor symbols these tests need besides the modules under test:
 * cpu_online_map, nr_cpu_ids, cpu_khz, get_s_time, xmalloc and the
 * console ring's read side.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xen/lib.h>
#include <xen/console.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/domain.h>
#include <xen/errno.h>
#include <xen/smp.h>
#include <xen/time.h>
#include <xen/xmalloc.h>

#include "harness.h"
#include "stubs.h"
#include <xen/irq_stats.h>
#include "env.h"
#include "sched_double.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

cpumask_t cpu_online_map;
unsigned int nr_cpu_ids = ENV_NR_CPU_IDS;
u64 cpu_khz = ENV_CPU_KHZ;
s_time_t env_now;

static const unsigned int online_cpus[ENV_NR_ONLINE] = { 0, 1, 2, 5 };

static struct page_info *frame_table;
static unsigned long base_pfn;

static char console_out[ENV_CONSOLE_RING];   /* env_console_out_puts */
static long xm_outstanding, xm_budget = -1;
static long xm_baseline;
static unsigned long xh_baseline;

s_time_t get_s_time(void)
{
    return env_now;
}

unsigned int env_online_cpu(unsigned int n)
{
    return online_cpus[n % ENV_NR_ONLINE];
}

unsigned long env_heap_base_pfn(void)
{
    return base_pfn;
}

/*
 * Low addresses are plain application memory for ASan on x86-64 (below
 * its shadow) and far from where the loader and malloc put things.
 */
static void *map_low(size_t len)
{
    static const uintptr_t tries[] = {
        0x10000000, 0x20000000, 0x30000000, 0x40000000, 0x50000000,
    };

    for ( unsigned int i = 0; i < sizeof(tries) / sizeof(tries[0]); i++ )
    {
        void *p = mmap((void *)tries[i], len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                       -1, 0);

        if ( p == (void *)tries[i] )
            return p;
        if ( p != MAP_FAILED )
            munmap(p, len);
    }
    return NULL;
}

static void mem_init_once(void)
{
    void *mem;

    if ( frame_table )
        return;
    mem = map_low(ENV_HEAP_PAGES * PAGE_SIZE);
    if ( !mem )
    {
        printf("cannot map machine memory at a low address\n");
        exit(2);
    }
    base_pfn = (uintptr_t)mem >> PAGE_SHIFT;
    frame_table = calloc(base_pfn + ENV_HEAP_PAGES, sizeof(*frame_table));
    if ( !frame_table )
    {
        printf("cannot allocate the frame table\n");
        exit(2);
    }
}

static void idle_init_once(void)
{
    if ( idle_domain )
        return;
    REQUIRE_EQ(idle_domain_init(), 0);
    for ( unsigned int i = 0; i < ENV_NR_ONLINE; i++ )
        REQUIRE_EQ(idle_vcpu_init(online_cpus[i]), 0);
}

/* --- the console ring (same semantics as common/console.c) --- */

#define RING_SIZE 4096

static char ring[RING_SIZE];
static u64 ring_written, ring_start;

void env_console_puts(const char *s)
{
    for ( ; *s; s++ )
        ring[ring_written++ & (RING_SIZE - 1)] = *s;
}

size_t console_ring_read(u64 *pos, char *buf, size_t size)
{
    size_t n = 0;

    if ( ring_written - *pos > RING_SIZE )
        *pos = ring_written - RING_SIZE;
    if ( *pos < ring_start )
        *pos = ring_start;
    while ( n < size && *pos < ring_written )
    {
        buf[n++] = ring[*pos & (RING_SIZE - 1)];
        (*pos)++;
    }
    return n;
}

u64 console_ring_written(void)
{
    return ring_written;
}

void console_ring_clear(void)
{
    ring_start = ring_written;
}

/* --- xmalloc: host malloc, counted, so ASan and the tests see leaks --- */

void *xmalloc_bytes(size_t size)
{
    void *p;

    if ( xm_budget == 0 )
        return NULL;
    if ( xm_budget > 0 )
        xm_budget--;
    p = aligned_alloc(16, size ? (size + 15) & ~(size_t)15 : 16);
    if ( p )
    {
        memset(p, 0xa5, size);  /* nobody may rely on zeroes */
        xm_outstanding++;
    }
    return p;
}

void *xzalloc_bytes(size_t size)
{
    void *p = xmalloc_bytes(size);

    if ( p )
        memset(p, 0, size);
    return p;
}

void *xzalloc_array_bytes(size_t size, size_t n)
{
    if ( n && size > SIZE_MAX / n )
        return NULL;
    return xzalloc_bytes(size * n);
}

void xfree(void *p)
{
    if ( !p )
        return;
    xm_outstanding--;
    free(p);
}

long env_xmalloc_outstanding(void)
{
    return xm_outstanding;
}

void env_xmalloc_fail_after(long n)
{
    xm_budget = n;
}

/* --- setup and checks --- */

unsigned int env_domain_ids(domid_t *ids, unsigned int max)
{
    unsigned int n = 0;

    domlist_read_lock();
    for ( struct domain *d = domain_first(); d; d = domain_next(d) )
        if ( n < max )
            ids[n++] = d->domain_id;
    domlist_read_unlock();
    return n;
}

void env_setup(void)
{
    struct domain *d;

    mem_init_once();
    env_xmalloc_fail_after(-1);
    stub_xenheap_fail_after(-1);

    /* Whatever an aborted test left behind. */
    for ( ;; )
    {
        domlist_read_lock();
        d = domain_first();
        domlist_read_unlock();
        if ( !d )
            break;
        domain_destroy(d);
    }

    page_alloc_init(frame_table, base_pfn + ENV_HEAP_PAGES);
    init_heap_pages(base_pfn, ENV_HEAP_PAGES);

    cpumask_clear(&cpu_online_map);
    for ( unsigned int i = 0; i < ENV_NR_ONLINE; i++ )
        cpumask_set_cpu(online_cpus[i], &cpu_online_map);
    env_now = 1000000000;

    memset(ring, 0, sizeof(ring));
    ring_written = ring_start = 0;

    memset(&env_build, 0, sizeof(env_build));
    env_set_boot_calls = 0;
    env_set_boot_vcpu = NULL;
    memset(&env_set_boot_state, 0, sizeof(env_set_boot_state));
    memset(console_out, 0, sizeof(console_out));
    env_console_written = 0;
    memset(env_console_in, 0, sizeof(env_console_in));
    env_console_in_len = 0;
    env_console_in_room = sizeof(env_console_in);
    env_exit_status = 0;

    idle_init_once();
    sd_reset();
    stub_log_clear();

    xm_baseline = xm_outstanding;
    xh_baseline = stub_xenheap_pages_outstanding();
}

void env_check_clean(void)
{
    CHECK_EQ(env_xmalloc_outstanding(), xm_baseline);
    CHECK_EQ(stub_xenheap_pages_outstanding(), xh_baseline);
    CHECK_EQ(free_heap_pages_count(), ENV_HEAP_PAGES);
    CHECK_EQ(pages_in_state(PGS_domain), 0);
    CHECK_EQ(sd.live_domains, 0);
    CHECK_EQ(sd.live_vcpus, 0);
    CHECK_EQ(sd.violations, 0);
}

/* --- xen/domain.h: architecture hooks --- */

int env_arch_domains;
bool env_arch_fail_next;

unsigned int env_irq_stats_calls;
unsigned int env_dom0_stopped_calls;

/* xen/console.h: serial input follows dom0. */
void console_dom0_stopped(void)
{
    env_dom0_stopped_calls++;
}

unsigned int arch_physinfo_caps(void)
{
    return XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_svm;
}

int arch_irq_stats_pcpu(unsigned int cpu, struct xen_irq_stats_pcpu *out)
{
    env_irq_stats_calls++;
    memset(out, 0, sizeof(*out));
    if ( cpu >= ENV_NR_ONLINE )
        return -EINVAL;
    out->cpu = cpu;
    out->apic_id = 2 * cpu;
    /* pCPU 3 has 176 lists (the whole pool), past version 1's 64. */
    out->nr_vectors = cpu == 3 ? 176 : cpu + 1;
    out->nr_blocked = cpu;
    out->peak_blocked = 3 * cpu;
    for ( unsigned int i = 0; i < out->nr_vectors; i++ )
    {
        out->vec[i].vector = i < 64 ? 0xa0 + i : 0x9f - (i - 64);
        out->vec[i].handler_runs = 100 * cpu + i;
        out->vec[i].max_scan = i;
    }
    return 0;
}

int arch_irq_stats_vcpu(struct vcpu *v, struct xen_irq_stats_vcpu *out)
{
    env_irq_stats_calls++;
    memset(out, 0, sizeof(*out));
    if ( !v->domain->is_hvm )
        return -EINVAL;
    out->domid = v->domain->domain_id;
    out->vcpu = v->vcpu_id;
    out->nr_exit_reasons = XEN_EXIT_NR;
    out->posts = 1000 * v->domain->domain_id + v->vcpu_id;
    for ( unsigned int r = 0; r < XEN_EXIT_NR; r++ )
        out->exits[r] = r;
    return 0;
}

int arch_domain_create(struct domain *d, unsigned int flags)
{
    (void)d;
    (void)flags;
    if ( env_arch_fail_next )
    {
        env_arch_fail_next = false;
        return -ENOMEM;
    }
    env_arch_domains++;
    return 0;
}

void arch_domain_destroy(struct domain *d)
{
    (void)d;
    env_arch_domains--;
}

void arch_domain_unpaused(struct domain *d)
{
    (void)d;
}

unsigned int env_nmi_trigger_calls;
struct vcpu *env_nmi_trigger_last;

void arch_vcpu_nmi_trigger(struct vcpu *v)
{
    env_nmi_trigger_calls++;
    env_nmi_trigger_last = v;
}

/* --- the domain-building hooks (env.h) --- */

struct env_build env_build;
unsigned int env_set_boot_calls;
struct vcpu *env_set_boot_vcpu;
struct xen_domctl_vcpu_boot env_set_boot_state;
u64 env_console_written;
char env_console_in[256];
unsigned int env_console_in_len, env_console_in_room;
u32 env_exit_status;
int arch_domain_build_platform(struct domain *d,
                               const struct domain_platform *p,
                               u64 *module_paddr,
                               struct xen_domctl_vcpu_boot *boot)
{
    env_build.calls++;
    env_build.d = d;
    env_build.p = *p;
    snprintf(env_build.cmdline, sizeof(env_build.cmdline), "%s",
             p->cmdline);
    snprintf(env_build.module_args, sizeof(env_build.module_args), "%s",
             p->module_args);
    env_build.p.cmdline = env_build.cmdline;
    env_build.p.module_args = env_build.module_args;
    if ( env_build.rc )
        return env_build.rc;
    *module_paddr = p->module_size ? ROUNDUP(p->kernel_end, PAGE_SIZE) : 0;
    boot->eip = ENV_BOOT_EIP;
    boot->eax = 0;
    boot->ebx = ENV_BOOT_EBX;
    boot->flags = p->kind == XEN_DOMCTL_PLATFORM_PVH ?
                  XEN_DOMCTL_VCPU_BOOT_PVH : 0;
    return 0;
}

void arch_vcpu_set_boot(struct vcpu *v,
                        const struct xen_domctl_vcpu_boot *boot)
{
    env_set_boot_calls++;
    env_set_boot_vcpu = v;
    env_set_boot_state = *boot;
}

void env_console_out_puts(const char *s)
{
    for ( ; *s; s++ )
        console_out[env_console_written++ % ENV_CONSOLE_RING] = *s;
}

long arch_domain_console_read(struct domain *d, u64 *index, char *buf,
                              unsigned int size)
{
    unsigned int n = 0;
    u64 pos = *index;

    (void)d;
    if ( pos > env_console_written )
        return -EINVAL;
    if ( env_console_written - pos > ENV_CONSOLE_RING )
        pos = env_console_written - ENV_CONSOLE_RING;
    while ( n < size && pos < env_console_written )
        buf[n++] = console_out[pos++ % ENV_CONSOLE_RING];
    *index = pos;
    return n;
}

unsigned int arch_domain_console_input(struct domain *d, const char *buf,
                                       unsigned int len)
{
    unsigned int n = min(len, env_console_in_room);

    (void)d;
    n = min(n, (unsigned int)sizeof(env_console_in) - env_console_in_len);
    memcpy(env_console_in + env_console_in_len, buf, n);
    env_console_in_len += n;
    return n;
}

u32 arch_domain_exit_status(struct domain *d)
{
    (void)d;
    return env_exit_status;
}

unsigned int env_power_trigger_calls;
struct domain *env_power_trigger_last;

void arch_domain_power_trigger(struct domain *d)
{
    env_power_trigger_calls++;
    env_power_trigger_last = d;
}

/*
 * The host environment of the domain, p2m, guest-walk and hypercall
 * tests: machine memory for the real page allocator, the pCPUs, time, a
 * console ring, and a counting xmalloc, with hooks to steer and inspect
 * them.
 *
 * Machine memory is an anonymous mapping at a fixed low host address, so
 * that pfn << 12 is the host pointer (the hypervisor's identity map) and
 * the frame table, which must reach that pfn, stays a few MiB.
 */
#ifndef UNIT_HYPERCALL_ENV_H
#define UNIT_HYPERCALL_ENV_H

#include <xen/types.h>
#include <xen/sched.h>
#include <xen/domain.h>

#define ENV_HEAP_PAGES      8192            /* 32 MiB of machine memory */

/* pCPUs 0, 1, 2 and 5 are online, of 6 (nr_cpu_ids). */
#define ENV_NR_CPU_IDS      6
#define ENV_NR_ONLINE       4
#define ENV_CPU_KHZ         2400000

/*
 * Start of every test: destroy what an earlier test left, fresh page
 * allocator, scheduler double, console ring and failure injection, the
 * idle domain (once), and the baselines env_check_clean() compares with.
 */
void env_setup(void);

/*
 * Nothing leaked since env_setup(): xmalloc and xenheap back at their
 * baselines, every machine page free, nothing left in the scheduler.
 */
void env_check_clean(void);

unsigned long env_heap_base_pfn(void);

/* The n-th online pCPU (0, 1, 2, 5). */
unsigned int env_online_cpu(unsigned int n);

/* xmalloc: objects outstanding; fail after n more successes (< 0: never). */
long env_xmalloc_outstanding(void);
void env_xmalloc_fail_after(long n);

/* The console ring behind console_ring_read() and friends. */
void env_console_puts(const char *s);

/* NOW() */
extern s_time_t env_now;

/* Every domain on the list, in order, as ids; returns how many. */
unsigned int env_domain_ids(domid_t *ids, unsigned int max);

/*
 * The architecture hooks of xen/domain.h: counts of live arch state and a
 * way to make arch_domain_create fail (-ENOMEM) once.
 */
extern int env_arch_domains;
extern bool env_arch_fail_next;
/*
 * The irq_stats doubles: pCPU c reports K = c + 1 wakeup vectors
 * (0xa0 + i) with counters derived from c and i; vCPU v of domain d
 * reports posts = 1000 * d + v and its exits[r] = r.  Calls are counted.
 */
extern unsigned int env_irq_stats_calls;
/* console_dom0_stopped() calls (domain_shutdown of domain 0). */
extern unsigned int env_dom0_stopped_calls;
/* arch_vcpu_nmi_trigger(): calls, and the vCPU of the last one. */
extern unsigned int env_nmi_trigger_calls;
extern struct vcpu *env_nmi_trigger_last;
/* arch_domain_power_trigger(): calls, and the domain of the last one. */
extern unsigned int env_power_trigger_calls;
extern struct domain *env_power_trigger_last;

/*
 * The domain-building hooks.  arch_domain_build_platform() records its
 * call (with copies of the strings) and answers module_paddr = the
 * kernel_end rounded up to a page (0 without a module) and the boot
 * state below, or env_build_rc when that is set.
 */
struct env_build
{
    unsigned int calls;
    struct domain *d;
    struct domain_platform p;
    char cmdline[256], module_args[256];
    int rc;
};
extern struct env_build env_build;
#define ENV_BOOT_EIP    0x100040u
#define ENV_BOOT_EBX    0x300000u
/* arch_vcpu_set_boot(): calls, the last vCPU and state. */
extern unsigned int env_set_boot_calls;
extern struct vcpu *env_set_boot_vcpu;
extern struct xen_domctl_vcpu_boot env_set_boot_state;
/*
 * The console: arch_domain_console_read() reads env_console_out (a ring
 * of ENV_CONSOLE_RING bytes, env_console_written bytes ever put in by
 * env_console_out_puts); arch_domain_console_input() takes at most
 * env_console_in_room bytes into env_console_in.
 */
#define ENV_CONSOLE_RING    64
void env_console_out_puts(const char *s);
extern u64 env_console_written;
extern char env_console_in[256];
extern unsigned int env_console_in_len, env_console_in_room;
/* arch_domain_exit_status() answers this. */
extern u32 env_exit_status;

#endif /* UNIT_HYPERCALL_ENV_H */

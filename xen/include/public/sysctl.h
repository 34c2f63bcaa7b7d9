/*
 * sysctl: system-wide operations, for the privileged domain only.
 *
 * The caller passes the guest address of a struct xen_sysctl; it is copied
 * in, 'interface_version' and every field are checked, and it is copied
 * back with results.  Buffers inside it are guest virtual addresses.
 */
#ifndef XEN_PUBLIC_SYSCTL_H
#define XEN_PUBLIC_SYSCTL_H

#include "xen.h"
#include "domctl.h"

/* Version 2: physinfo gained 'now'; domain info as domctl version 2. */
#define XEN_SYSCTL_INTERFACE_VERSION 0x00000002

#define XEN_SYSCTL_readconsole          1
#define XEN_SYSCTL_physinfo             2
#define XEN_SYSCTL_getdomaininfolist    3
#define XEN_SYSCTL_debug_keys           4
#define XEN_SYSCTL_scheduler_op         5
#define XEN_SYSCTL_irq_stats            6

/*
 * readconsole: copy console ring text into 'buffer'.  With 'incremental'
 * the read starts at 'index' (bytes ever written) and 'index' comes back
 * advanced; otherwise it starts at the oldest text kept.  'count' is the
 * buffer size in, the bytes written out.  'clear' empties the ring after.
 */
struct xen_sysctl_readconsole
{
    uint8_t clear;
    uint8_t incremental;
    uint16_t pad0;
    uint32_t count;
    uint64_t index;
    xen_guest_handle_t buffer;
};

struct xen_sysctl_physinfo
{
    uint32_t nr_cpus;               /* online pCPUs */
    uint32_t max_cpu_id;
    uint32_t cpu_khz;
    uint32_t capabilities;          /* XEN_SYSCTL_PHYSCAP_* */
    uint64_t total_pages;
    uint64_t free_pages;
    uint64_t now;                   /* ns of system time (uptime) */
};
#define XEN_SYSCTL_PHYSCAP_hvm      (1u << 0)
#define XEN_SYSCTL_PHYSCAP_vmx      (1u << 1)
#define XEN_SYSCTL_PHYSCAP_svm      (1u << 2)

/*
 * getdomaininfolist: up to 'max_domains' entries, from the first domain
 * whose id is >= 'first_domain', into the array at 'buffer';
 * 'num_domains' comes back with how many were written.
 */
struct xen_sysctl_getdomaininfolist
{
    domid_t first_domain;
    uint16_t pad0;
    uint32_t max_domains;
    xen_guest_handle_t buffer;      /* struct xen_domctl_getdomaininfo[] */
    uint32_t num_domains;
    uint32_t pad1;
};

/* debug_keys: run the debug-key handlers for 'nr_keys' characters. */
struct xen_sysctl_debug_keys
{
    xen_guest_handle_t keys;
    uint32_t nr_keys;               /* 1 .. 64 */
    uint32_t pad;
};
#define XEN_SYSCTL_DEBUG_KEYS_MAX   64

/* scheduler_op: the credit scheduler's global parameters. */
#define XEN_SYSCTL_SCHEDOP_putinfo  0
#define XEN_SYSCTL_SCHEDOP_getinfo  1
struct xen_sysctl_credit_schedule
{
    uint32_t tslice_ms;             /* 1 .. 1000 */
    uint32_t ratelimit_us;          /* 0 (off) or 100 .. tslice */
};
struct xen_sysctl_scheduler_op
{
    uint32_t sched_id;              /* XEN_SCHEDULER_CREDIT */
    uint32_t cmd;                   /* XEN_SYSCTL_SCHEDOP_* */
    struct xen_sysctl_credit_schedule credit;
};

/*
 * irq_stats: the interrupt-delivery counters, in a structure of its own
 * version (XEN_IRQ_STATS_VERSION, checked: a caller built against another
 * layout gets -EACCES).  'kind' picks what is read into 'buffer':
 *  - XEN_IRQ_STATS_pcpu: pCPU 'cpu', its wakeup vectors and their blocked
 *    lists (struct xen_irq_stats_pcpu);
 *  - XEN_IRQ_STATS_vcpu: vCPU 'vcpu' of domain 'domid' (an HVM domain),
 *    its posts, notifications, IPIs, EOIs, wakeups and exits
 *    (struct xen_irq_stats_vcpu).
 * 'size' is the buffer's size in (at least the structure's) and the bytes
 * written out.  Counters only grow; a reader takes differences.
 */
/*
 * Version 2: vec[] of the pCPU structure holds 256 entries (every vector
 * a wakeup list can have), not 64, since K may exceed 64.
 * Version 3: the vCPU structure ends with the KVM PV send-IPI counters.
 */
#define XEN_IRQ_STATS_VERSION       0x00000003
#define XEN_IRQ_STATS_pcpu          0
#define XEN_IRQ_STATS_vcpu          1

struct xen_sysctl_irq_stats
{
    uint32_t version;               /* XEN_IRQ_STATS_VERSION */
    uint32_t kind;                  /* XEN_IRQ_STATS_* */
    uint32_t cpu;                   /* pcpu: the pCPU */
    domid_t domid;                  /* vcpu: the domain ... */
    uint16_t pad0;
    uint32_t vcpu;                  /* ... and its vCPU */
    uint32_t size;                  /* in: buffer bytes; out: written */
    xen_guest_handle_t buffer;
};

/* Room for every vector; entries from nr_vectors on are zero. */
#define XEN_IRQ_STATS_MAX_VECTORS   256

/* One wakeup vector of a pCPU and its list of blocked vCPUs. */
struct xen_irq_stats_wakeup_vector
{
    uint8_t vector;
    uint8_t pad[3];
    uint32_t nr_blocked;            /* on the list now */
    uint64_t handler_runs;
    uint64_t entries_scanned;       /* list entries looked at, all runs */
    uint64_t woken;                 /* vCPUs woken */
    uint64_t spurious;              /* runs that woke nobody */
    uint64_t max_scan;              /* longest single scan */
    uint64_t handler_cycles;        /* TSC cycles in the handler, all runs */
};

struct xen_irq_stats_pcpu
{
    uint32_t cpu;
    uint32_t apic_id;
    uint32_t nr_vectors;            /* K: entries of vec[] in use */
    uint32_t nr_blocked;            /* on all its lists now */
    uint32_t peak_blocked;          /* most at once since boot */
    uint32_t pad;
    struct xen_irq_stats_wakeup_vector vec[XEN_IRQ_STATS_MAX_VECTORS];
};

/* Exit reasons, the indices of xen_irq_stats_vcpu.exits[]. */
#define XEN_EXIT_none               0   /* handled inside the backend */
#define XEN_EXIT_extint             1
#define XEN_EXIT_nmi                2
#define XEN_EXIT_intr_window        3
#define XEN_EXIT_cpuid              4
#define XEN_EXIT_hlt                5
#define XEN_EXIT_io                 6
#define XEN_EXIT_msr_read           7
#define XEN_EXIT_msr_write          8
#define XEN_EXIT_hypercall          9
#define XEN_EXIT_npf                10
#define XEN_EXIT_shutdown           11
#define XEN_EXIT_init               12
#define XEN_EXIT_failed_entry       13
#define XEN_EXIT_unhandled          14
#define XEN_EXIT_xsetbv             15
#define XEN_EXIT_task_switch        16
#define XEN_EXIT_NR                 17

/*
 * Their names, one spelling for the hypervisor's dumps and the tools'
 * output: an initializer for a const char *[XEN_EXIT_NR].
 */
#define XEN_EXIT_NAMES {                                                \
    [XEN_EXIT_none] = "none", [XEN_EXIT_extint] = "extint",             \
    [XEN_EXIT_nmi] = "nmi", [XEN_EXIT_intr_window] = "intr_window",     \
    [XEN_EXIT_cpuid] = "cpuid", [XEN_EXIT_hlt] = "hlt",                 \
    [XEN_EXIT_io] = "io", [XEN_EXIT_msr_read] = "msr_read",             \
    [XEN_EXIT_msr_write] = "msr_write",                                 \
    [XEN_EXIT_hypercall] = "hypercall", [XEN_EXIT_npf] = "npf",         \
    [XEN_EXIT_shutdown] = "shutdown", [XEN_EXIT_init] = "init",         \
    [XEN_EXIT_failed_entry] = "failed_entry",                           \
    [XEN_EXIT_unhandled] = "unhandled", [XEN_EXIT_xsetbv] = "xsetbv",   \
    [XEN_EXIT_task_switch] = "task_switch",                             \
}
#define XEN_IRQ_STATS_MAX_EXITS     32

struct xen_irq_stats_vcpu
{
    domid_t domid;
    uint16_t pad0;
    uint32_t vcpu;
    uint32_t nr_exit_reasons;       /* XEN_EXIT_NR */
    uint32_t pad1;
    /* Posted-interrupt descriptor: every interrupt sent to this vCPU. */
    uint64_t posts;
    uint64_t posts_coalesced;       /* found ON set: no notification */
    uint64_t notifications;         /* owned ON, sent the posted vector */
    uint64_t wakeup_notifications;  /* owned ON, sent a wakeup vector */
    uint64_t notifications_suppressed;  /* owned ON, SN was set */
    /* IPIs this vCPU sent, and its EOIs. */
    uint64_t ipi_fastpath;          /* x2APIC ICR writes, fast path */
    uint64_t ipi_slowpath;          /* ICR/SELF_IPI writes, full path */
    uint64_t eoi_exits;             /* EOI register writes that exited */
    uint64_t pv_eoi_skips;          /* EOIs done through the PV flag */
    /* Wakeups from HLT: TSC cycles from the first post to the entry. */
    uint64_t wakes;
    uint64_t wake_latency_sum;
    uint64_t wake_latency_max;
    uint64_t exits[XEN_IRQ_STATS_MAX_EXITS];    /* by XEN_EXIT_* */
    /* KVM PV send-IPI hypercalls this vCPU made, and targets reached. */
    uint64_t pv_ipi_calls;
    uint64_t pv_ipi_targets;
};

struct xen_sysctl
{
    uint32_t cmd;
    uint32_t interface_version;
    union
    {
        struct xen_sysctl_readconsole readconsole;
        struct xen_sysctl_physinfo physinfo;
        struct xen_sysctl_getdomaininfolist getdomaininfolist;
        struct xen_sysctl_debug_keys debug_keys;
        struct xen_sysctl_scheduler_op scheduler_op;
        struct xen_sysctl_irq_stats irq_stats;
        uint8_t pad[128];
    } u;
};

#endif /* XEN_PUBLIC_SYSCTL_H */

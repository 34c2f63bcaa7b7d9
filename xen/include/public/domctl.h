/*
 * domctl: operations on one domain, for the privileged domain only.
 *
 * The caller passes the guest address of a struct xen_domctl; the
 * hypervisor copies it in, checks 'interface_version' and every field,
 * and copies it back with results.  Unused bytes must be zero.
 */
#ifndef XEN_PUBLIC_DOMCTL_H
#define XEN_PUBLIC_DOMCTL_H

#include "xen.h"

#define XEN_DOMCTL_INTERFACE_VERSION 0x00000001

#define XEN_DOMCTL_createdomain     1
#define XEN_DOMCTL_destroydomain    2
#define XEN_DOMCTL_pausedomain      3
#define XEN_DOMCTL_unpausedomain    4
#define XEN_DOMCTL_getdomaininfo    5
#define XEN_DOMCTL_max_vcpus        6
#define XEN_DOMCTL_getvcpuinfo      7
#define XEN_DOMCTL_scheduler_op     8
#define XEN_DOMCTL_sendtrigger      9

/* createdomain: 'domain' is the wanted id, or 0 to let Xen choose. */
struct xen_domctl_createdomain
{
    uint32_t flags;                 /* XEN_DOMCTL_CDF_* */
    uint32_t max_vcpus;             /* 1 .. XEN_MAX_VCPUS */
    uint64_t max_pages;             /* memory limit in 4 KiB pages */
};
#define XEN_DOMCTL_CDF_privileged   (1u << 0)
#define XEN_DOMCTL_CDF_hvm          (1u << 1)
#define XEN_DOMCTL_CDF_MASK         0x3u

#define XEN_MAX_VCPUS               255     /* xAPIC IDs 0..254 */

struct xen_domctl_getdomaininfo
{
    domid_t domain;                 /* out */
    uint16_t pad0;
    uint32_t flags;                 /* out: XEN_DOMINF_* */
    uint64_t tot_pages;
    uint64_t max_pages;
    uint64_t cpu_time;              /* ns, all vCPUs */
    uint32_t nr_online_vcpus;
    uint32_t max_vcpu_id;
    uint32_t ssidref;
    uint32_t cpupool;
    uint8_t handle[16];
};
#define XEN_DOMINF_dying        (1u << 0)
#define XEN_DOMINF_hvm_guest    (1u << 1)
#define XEN_DOMINF_shutdown     (1u << 2)
#define XEN_DOMINF_paused       (1u << 3)
#define XEN_DOMINF_blocked      (1u << 4)
#define XEN_DOMINF_running      (1u << 5)
#define XEN_DOMINF_privileged   (1u << 6)
#define XEN_DOMINF_shutdownshift 16         /* reason in bits 16..23 */

struct xen_domctl_max_vcpus
{
    uint32_t max;
    uint32_t pad;
};

struct xen_domctl_getvcpuinfo
{
    uint32_t vcpu;                  /* in */
    uint8_t online;                 /* out */
    uint8_t blocked;
    uint8_t running;
    uint8_t pad;
    uint64_t cpu_time;              /* ns */
    uint32_t cpu;                   /* pCPU it runs or last ran on */
    uint32_t pad1;
    struct vcpu_runstate_info runstate;
};

#define XEN_SCHEDULER_CREDIT    5
#define XEN_DOMCTL_SCHEDOP_putinfo 0
#define XEN_DOMCTL_SCHEDOP_getinfo 1

struct xen_domctl_sched_credit
{
    uint16_t weight;                /* 1 .. 65535 */
    uint16_t cap;                   /* percent of one pCPU, 0 = none */
    uint32_t pad;
};

struct xen_domctl_scheduler_op
{
    uint32_t sched_id;              /* XEN_SCHEDULER_* */
    uint32_t cmd;                   /* XEN_DOMCTL_SCHEDOP_* */
    struct xen_domctl_sched_credit credit;
};

/*
 * sendtrigger: an event from the platform to one vCPU, as `xl trigger`
 * sends.  NMI is the machine's NMI line (the NMI button), which reaches
 * the vCPU through its local APIC's LINT1 input: the guest's LVT LINT1
 * entry decides what it becomes (NMI, a vector, or nothing when masked).
 * A vCPU index beyond the domain's: -EINVAL (checked first); other
 * triggers: -ENOSYS.
 */
#define XEN_DOMCTL_SENDTRIGGER_NMI  1

struct xen_domctl_sendtrigger
{
    uint32_t trigger;               /* XEN_DOMCTL_SENDTRIGGER_* */
    uint32_t vcpu;                  /* index of the target vCPU */
};

struct xen_domctl
{
    uint32_t cmd;
    uint32_t interface_version;
    domid_t domain;
    uint16_t pad[3];
    union
    {
        struct xen_domctl_createdomain createdomain;
        struct xen_domctl_getdomaininfo getdomaininfo;
        struct xen_domctl_max_vcpus max_vcpus;
        struct xen_domctl_getvcpuinfo getvcpuinfo;
        struct xen_domctl_scheduler_op scheduler_op;
        struct xen_domctl_sendtrigger sendtrigger;
        uint8_t pad[128];
    } u;
};

#endif /* XEN_PUBLIC_DOMCTL_H */

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

#define XEN_SYSCTL_INTERFACE_VERSION 0x00000001

#define XEN_SYSCTL_readconsole          1
#define XEN_SYSCTL_physinfo             2
#define XEN_SYSCTL_getdomaininfolist    3
#define XEN_SYSCTL_debug_keys           4
#define XEN_SYSCTL_scheduler_op         5

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
        uint8_t pad[128];
    } u;
};

#endif /* XEN_PUBLIC_SYSCTL_H */

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

/*
 * Version 2: getdomaininfo gained exit_status and create_time, and the domain-building
 * commands (populate_ram .. console_io) were added.
 */
#define XEN_DOMCTL_INTERFACE_VERSION 0x00000002

#define XEN_DOMCTL_createdomain     1
#define XEN_DOMCTL_destroydomain    2
#define XEN_DOMCTL_pausedomain      3
#define XEN_DOMCTL_unpausedomain    4
#define XEN_DOMCTL_getdomaininfo    5
#define XEN_DOMCTL_max_vcpus        6
#define XEN_DOMCTL_getvcpuinfo      7
#define XEN_DOMCTL_scheduler_op     8
#define XEN_DOMCTL_sendtrigger      9
#define XEN_DOMCTL_populate_ram     10
#define XEN_DOMCTL_copy_to_guest    11
#define XEN_DOMCTL_build_platform   12
#define XEN_DOMCTL_setvcpucontext   13
#define XEN_DOMCTL_setvcpuaffinity  14
#define XEN_DOMCTL_getvcpuaffinity  15
#define XEN_DOMCTL_console_io       16

/*
 * createdomain: 'domain' is the wanted id, or 0 to let Xen choose.  A
 * domain made this way starts paused by the toolstack (one
 * unpausedomain lets it run once it is built) with every vCPU down and
 * no memory: the builder then calls populate_ram, copy_to_guest,
 * build_platform and setvcpucontext, in that order.
 */
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
    uint32_t exit_status;           /* the exit port's value, once shut */
    uint32_t pad1;
    uint64_t create_time;           /* ns of system time at creation */
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
 * sendtrigger: an event from the platform, as `xl trigger` sends.  NMI
 * is the machine's NMI line (the NMI button) to one vCPU, which reaches
 * it through its local APIC's LINT1 input: the guest's LVT LINT1 entry
 * decides what it becomes (NMI, a vector, or nothing when masked).
 * POWER presses the domain's ACPI power button (`xl shutdown -F`): the
 * domain's, not a vCPU's, though 'vcpu' is checked all the same; the
 * guest's OS decides what follows, and a press before the guest has
 * taken the last one changes nothing.  A vCPU index beyond the
 * domain's: -EINVAL (checked first); other triggers: -ENOSYS.
 */
#define XEN_DOMCTL_SENDTRIGGER_NMI      1
#define XEN_DOMCTL_SENDTRIGGER_POWER    3

struct xen_domctl_sendtrigger
{
    uint32_t trigger;               /* XEN_DOMCTL_SENDTRIGGER_* */
    uint32_t vcpu;                  /* index of the target vCPU */
};

/*
 * populate_ram: give the domain its RAM, guest-physical [0, mem_bytes),
 * once.  mem_bytes is a multiple of 4 KiB, at least 2 MiB, at most
 * max_pages pages and below the IOAPIC (0xfec00000).  -EEXIST when the
 * domain already has RAM, -ENOMEM when the host has too little.
 */
struct xen_domctl_populate_ram
{
    uint64_t mem_bytes;
};

/*
 * copy_to_guest: 'size' bytes from the caller's 'buffer' to the domain's
 * guest-physical 'gpaddr', all inside its RAM; at most
 * XEN_DOMCTL_COPY_MAX bytes per call (the tools loop).  A NULL buffer
 * (0) writes zeroes instead.  Only before the domain first runs
 * (-EBUSY after).
 */
#define XEN_DOMCTL_COPY_MAX         (64u << 10)
struct xen_domctl_copy_to_guest
{
    uint64_t gpaddr;
    xen_guest_handle_t buffer;
    uint32_t size;
    uint32_t pad;
};

/*
 * build_platform: what a boot loader leaves for the kernel, built by the
 * same code as for the boot modules' domains: the ACPI tables for the
 * domain's vCPUs, the memory map, and the boot information of the
 * image's convention (hvm_start_info for PVH, the MBI for Multiboot)
 * with the command line and one module.  The tools have loaded the
 * kernel, whose segments end at 'kernel_end' (libimage's plan); the
 * module (Linux's initrd), 'module_size' bytes, goes at 'module_paddr',
 * which comes back page-aligned after the kernel: the tools copy it
 * there.  'boot' comes back with vCPU 0's entry registers, for
 * setvcpucontext.  Strings are at most 64 KiB, without their NUL.
 */
#define XEN_DOMCTL_PLATFORM_PVH         1
#define XEN_DOMCTL_PLATFORM_MULTIBOOT   2

struct xen_domctl_vcpu_boot
{
    uint32_t eip;
    uint32_t eax;
    uint32_t ebx;
    uint32_t flags;                 /* XEN_DOMCTL_VCPU_BOOT_* */
};
#define XEN_DOMCTL_VCPU_BOOT_PVH    (1u << 0)

struct xen_domctl_build_platform
{
    uint32_t kind;                  /* XEN_DOMCTL_PLATFORM_* */
    uint32_t pad;
    uint64_t entry;                 /* the image's entry point */
    uint64_t kernel_end;
    uint64_t module_size;           /* 0: no module */
    xen_guest_handle_t cmdline;
    uint32_t cmdline_len;
    uint32_t module_args_len;
    xen_guest_handle_t module_args;
    uint64_t module_paddr;          /* out */
    struct xen_domctl_vcpu_boot boot;   /* out */
};

/*
 * setvcpucontext: vCPU 'vcpu' starts in 32-bit flat protected mode,
 * paging off, at boot.eip with boot.eax and boot.ebx (the state
 * build_platform returned), and is brought up: it runs once the domain
 * is unpaused.  Only for a vCPU that is down, before the domain first
 * runs; eip must lie in the domain's RAM.
 */
struct xen_domctl_setvcpucontext
{
    uint32_t vcpu;
    uint32_t pad;
    struct xen_domctl_vcpu_boot boot;
};

/*
 * set/getvcpuaffinity: the pCPUs vCPU 'vcpu' may run on (its hard
 * affinity), bit N of cpumap[N / 64] for pCPU N.  Set: a non-empty
 * subset of the online pCPUs (-EINVAL otherwise); a vCPU on a pCPU it
 * may no longer use moves, and so does one blocked on a wakeup list of
 * such a pCPU.  Get: the mask in force.
 */
#define XEN_DOMCTL_CPUMAP_BITS      256
struct xen_domctl_vcpuaffinity
{
    uint32_t vcpu;
    uint32_t pad;
    uint64_t cpumap[XEN_DOMCTL_CPUMAP_BITS / 64];
};

/*
 * console_io: the domain's serial console (its UART, COM1).
 * READ: up to 'size' bytes of its output into 'buffer', starting at
 * 'index' (bytes ever written; text older than the ring holds is
 * skipped); 'index' comes back past the last byte read and 'size' with
 * the count.  WRITE: 'size' bytes (at most XEN_DOMCTL_COPY_MAX) from
 * 'buffer' as its serial input; 'size' comes back with how many the
 * line took (the rest would overrun it).
 */
#define XEN_DOMCTL_CONSOLE_READ     0
#define XEN_DOMCTL_CONSOLE_WRITE    1
struct xen_domctl_console_io
{
    uint32_t cmd;                   /* XEN_DOMCTL_CONSOLE_* */
    uint32_t size;
    uint64_t index;
    xen_guest_handle_t buffer;
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
        struct xen_domctl_populate_ram populate_ram;
        struct xen_domctl_copy_to_guest copy_to_guest;
        struct xen_domctl_build_platform build_platform;
        struct xen_domctl_setvcpucontext setvcpucontext;
        struct xen_domctl_vcpuaffinity vcpuaffinity;
        struct xen_domctl_console_io console_io;
        uint8_t pad[128];
    } u;
};

#endif /* XEN_PUBLIC_DOMCTL_H */

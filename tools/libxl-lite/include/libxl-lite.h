/*
 * libxl-lite: the toolstack library's one public header: a domain's
 * configuration, read from an xl.cfg file or from libvirt's domain XML
 * and written as JSON in the shape of `xl list -l`; the hypercall
 * wrappers over /dev/xen-lite/privcmd; the domain builder.
 *
 * Names start with xll_ (libxl-lite).  Every function that can fail
 * returns NULL or -1 and, when 'err' is not NULL, sets *err to one
 * malloc'd line without a newline, which the caller frees:
 *   "FILE:LINE:COLUMN: MESSAGE"  xl.cfg (columns count bytes from 1)
 *   "FILE:LINE: MESSAGE"         domain XML (libxml2 has no columns for
 *                                elements; its syntax errors have one)
 *   "FILE: MESSAGE"              a file that cannot be read
 */
#ifndef LIBXL_LITE_H
#define LIBXL_LITE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Bits in a cpumap.  The hypervisor's NR_CPUS is a build option (64 by
 * default); this leaves room for larger builds.  Pinning later keeps
 * only the pCPUs the host has, as xl does with "all".
 */
#define XLL_MAX_CPUS        256
/* XEN_MAX_VCPUS in the public domctl.h (xAPIC IDs 0..254). */
#define XLL_MAX_VCPUS       255
/* Largest memory or maxmem, MiB: 1 TiB. */
#define XLL_MAX_MEMORY_MIB  (1u << 20)
/* libxl's memory when a config gives neither memory nor maxmem. */
#define XLL_DEFAULT_MEMORY_MIB 32
/* The credit scheduler's weight when none is given (xl.cfg(5)). */
#define XLL_DEFAULT_WEIGHT  256

enum xll_domain_type
{
    XLL_TYPE_PVH,           /* "pvh": a kernel with Xen's PVH entry note */
    /*
     * "multiboot": a Multiboot v1 kernel (the guest test kernels).  Xen
     * has no such type (its HVM guests boot firmware), so the name is
     * xen-lite's own; it says what the builder does with the image, as
     * "pvh" does, and is spelled the same in xl.cfg and in the XML.
     */
    XLL_TYPE_MULTIBOOT,
};

/* What happens when the domain powers off, reboots or crashes. */
enum xll_action
{
    XLL_ACTION_DESTROY,
    XLL_ACTION_RESTART,
    XLL_ACTION_RENAME_RESTART,
    XLL_ACTION_PRESERVE,
    XLL_ACTION_COREDUMP_DESTROY,
    XLL_ACTION_COREDUMP_RESTART,
    XLL_ACTION_SOFT_RESET,
};

struct xll_cpumap
{
    uint64_t bits[XLL_MAX_CPUS / 64];
};

struct xll_config
{
    char *name;
    enum xll_domain_type type;
    unsigned int memory_mib;        /* at start (xl's memory) */
    unsigned int maxmem_mib;        /* the limit, >= memory_mib */
    unsigned int vcpus;             /* online at start */
    unsigned int max_vcpus;         /* >= vcpus */
    char *kernel;                   /* NULL: none given */
    char *ramdisk;                  /* PVH: the initrd; Multiboot: module */
    char *cmdline;                  /* NULL: none */
    enum xll_action on_poweroff, on_reboot, on_crash;
    /*
     * Hard affinity: vCPU i may run on cpumaps[i] for i < nr_cpumaps
     * and on any pCPU beyond that; nr_cpumaps == 0 without cpus=.
     * cpus="LIST" gives every vCPU the same map, as xl does.
     */
    unsigned int nr_cpumaps;
    struct xll_cpumap *cpumaps;
    unsigned int cpu_weight;        /* 1..65535 */
    unsigned int cap;               /* % of one pCPU, 0 = no cap */
};

/*
 * Read an xl.cfg file.  'extra' holds nr_extra further "KEY=VALUE"
 * statements, from `xl create FILE KEY=VALUE...`: as in xl they are read
 * after the file, so they win over it; their errors name the source
 * "command line", line N being extra[N - 1].
 */
struct xll_config *xll_config_from_xlcfg(const char *path,
                                         const char *const *extra,
                                         unsigned int nr_extra,
                                         char **err);

/* Read a libvirt domain XML file (<domain type='xen'>). */
struct xll_config *xll_config_from_xml(const char *path, char **err);

void xll_config_free(struct xll_config *cfg);

/* True when both describe the same domain (every field above). */
bool xll_config_equal(const struct xll_config *a,
                      const struct xll_config *b);

/*
 * The JSON `xl list -l` prints for these domains: an array of
 * {"domid": N, "config": {...}}, indented by four spaces as xl does,
 * ending in a newline.  malloc'd; NULL (with *err) on failure.
 */
char *xll_domains_to_json(const struct xll_config *const *cfgs,
                          const uint32_t *domids, unsigned int nr,
                          char **err);

/* xl.cfg's name of an action ("rename-restart") and back (-1: none). */
const char *xll_action_name(enum xll_action action);
int xll_action_from_name(const char *name);
/* "pvh" or "multiboot", and back (-1: none). */
const char *xll_type_name(enum xll_domain_type type);
int xll_type_from_name(const char *name);

/*
 * Parse xl's CPU list syntax into 'map': comma-separated items, each
 * "all", "N" or "N-M", an item starting with '^' taking its CPUs out
 * again ("0-3,^2" is 0, 1 and 3).  On error returns -1 and sets *why to
 * a malloc'd reason naming the bad item.
 */
int xll_cpumap_parse(const char *s, struct xll_cpumap *map, char **why);
bool xll_cpumap_test(const struct xll_cpumap *map, unsigned int cpu);

/*
 * ---- The hypervisor: hypercall wrappers ----
 *
 * Needs the public ABI headers (xen/include on the include path).  Every
 * call returns 0 (or a count) on success and a negative errno-style value
 * on failure: the hypervisor's -XEN_E* codes, which are Linux's errno
 * values, or the driver's own errno, negated.  xll_strerror() says it in
 * words ("permission denied" for -EPERM, what a domU gets).
 */
#include <stddef.h>
#include <public/domctl.h>
#include <public/sysctl.h>

/*
 * How a handle reaches the hypervisor: one domctl or sysctl, with the one
 * buffer its pointers refer to (or NULL), so that the privcmd backend can
 * lock it and a test's mock can look at it.  Returns the result.
 */
struct xll_ops
{
    int (*domctl)(void *priv, struct xen_domctl *op, void *buf,
                  size_t len);
    int (*sysctl)(void *priv, struct xen_sysctl *op, void *buf,
                  size_t len);
};

struct xll_handle;

/* Open /dev/xen-lite/privcmd: NULL with *err ("PATH: REASON") if not. */
struct xll_handle *xll_open(char **err);
/* A handle over other ops (a test's mock). */
struct xll_handle *xll_open_ops(const struct xll_ops *ops, void *priv);
void xll_close(struct xll_handle *h);

/* Words for a negative result, lower case, no newline. */
const char *xll_strerror(int rc);

int xll_domain_create(struct xll_handle *h, uint32_t max_vcpus,
                      uint64_t max_pages, uint32_t *domid);
int xll_domain_destroy(struct xll_handle *h, uint32_t domid);
int xll_domain_pause(struct xll_handle *h, uint32_t domid);
int xll_domain_unpause(struct xll_handle *h, uint32_t domid);
/* Press the domain's ACPI power button (sendtrigger POWER, vCPU 0). */
int xll_domain_power_button(struct xll_handle *h, uint32_t domid);
/* Exactly this domain: -ESRCH when it does not exist. */
int xll_domain_info(struct xll_handle *h, uint32_t domid,
                    struct xen_domctl_getdomaininfo *info);
/*
 * Every domain, by ascending id: a malloc'd array in *infos, the count
 * as the result.
 */
int xll_domain_list(struct xll_handle *h,
                    struct xen_domctl_getdomaininfo **infos);
int xll_populate_ram(struct xll_handle *h, uint32_t domid,
                     uint64_t mem_bytes);
/* Any size: split into XEN_DOMCTL_COPY_MAX chunks.  src NULL: zeroes. */
int xll_copy_to_guest(struct xll_handle *h, uint32_t domid,
                      uint64_t gpaddr, const void *src, uint64_t size);
/* bp's in fields set by the caller; module_paddr and boot come back. */
int xll_build_platform(struct xll_handle *h, uint32_t domid,
                       struct xen_domctl_build_platform *bp,
                       const char *cmdline);
int xll_setvcpucontext(struct xll_handle *h, uint32_t domid,
                       uint32_t vcpu,
                       const struct xen_domctl_vcpu_boot *boot);
int xll_vcpu_setaffinity(struct xll_handle *h, uint32_t domid,
                         uint32_t vcpu, const struct xll_cpumap *map);
int xll_vcpu_getaffinity(struct xll_handle *h, uint32_t domid,
                         uint32_t vcpu, struct xll_cpumap *map);
int xll_vcpu_info(struct xll_handle *h, uint32_t domid, uint32_t vcpu,
                  struct xen_domctl_getvcpuinfo *info);
int xll_sched_credit_get(struct xll_handle *h, uint32_t domid,
                         struct xen_domctl_sched_credit *c);
int xll_sched_credit_set(struct xll_handle *h, uint32_t domid,
                         const struct xen_domctl_sched_credit *c);
int xll_sched_params_get(struct xll_handle *h,
                         struct xen_sysctl_credit_schedule *p);
int xll_sched_params_set(struct xll_handle *h,
                         const struct xen_sysctl_credit_schedule *p);
/*
 * A domain's serial console.  Read: up to len bytes from *index on,
 * *index advanced; returns the count.  Write: returns how many the
 * line took.
 */
int xll_console_read(struct xll_handle *h, uint32_t domid,
                     uint64_t *index, void *buf, uint32_t len);
int xll_console_write(struct xll_handle *h, uint32_t domid,
                      const void *buf, uint32_t len);
/* The hypervisor's console ring: the count read into buf. */
int xll_readconsole(struct xll_handle *h, bool clear, bool incremental,
                    uint64_t *index, char *buf, uint32_t len);
int xll_physinfo(struct xll_handle *h, struct xen_sysctl_physinfo *pi);
int xll_debug_keys(struct xll_handle *h, const char *keys);
int xll_irq_stats_pcpu(struct xll_handle *h, uint32_t cpu,
                       struct xen_irq_stats_pcpu *st);
int xll_irq_stats_vcpu(struct xll_handle *h, uint32_t domid,
                       uint32_t vcpu, struct xen_irq_stats_vcpu *st);

/*
 * ---- The domain builder ----
 *
 * Builds and (unless 'paused') starts the domain 'cfg' describes: reads
 * its kernel and ramdisk, plans the image with libimage (the hypervisor's
 * own code), then createdomain, populate_ram, copy_to_guest,
 * build_platform, the ramdisk, setvcpucontext, affinity, weight and cap,
 * unpause.  A failure after createdomain destroys the domain again.
 * Returns 0 with *domid, or -1 with *err (one line naming what failed).
 */
int xll_build_domain(struct xll_handle *h, const struct xll_config *cfg,
                     bool paused, uint32_t *domid, char **err);

#endif /* LIBXL_LITE_H */

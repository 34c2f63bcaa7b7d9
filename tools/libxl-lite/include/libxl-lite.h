/*
 * libxl-lite: the toolstack library's one public header.  For now: a
 * domain's configuration, read from an xl.cfg file or from libvirt's
 * domain XML, and written as JSON in the shape of `xl list -l`.
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

#endif /* LIBXL_LITE_H */

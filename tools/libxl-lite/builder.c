/*
 * libxl-lite's domain builder: from a configuration to a running domain,
 * through the hypercall wrappers, with the image planned by libimage
 * (xen/common/libimage, the very code the hypervisor's boot builder
 * uses, compiled for the tools).  The hypervisor checks everything
 * again; planning here first means a bad kernel is refused before any
 * domain exists, with a message that names the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <public/errno.h>

#include "libimage.h"
#include "private.h"

/* The guest layout the hypervisor's builder uses (asm/hvm/builder.h). */
#define GUEST_LOW_RAM_END   0x9fc00ULL
#define GUEST_HIGH_RAM      0x100000ULL
#define GUEST_MIN_RAM_MIB   2u
/* populate_ram's limit: RAM ends below the IOAPIC at 0xfec00000. */
#define GUEST_MAX_RAM_MIB   4076u

struct build
{
    struct xll_handle *h;
    const struct xll_config *cfg;
    char **err;
    uint32_t domid;
    bool created;
    int copy_rc;                /* the wrappers' error inside image_load */
};

static int copy_fn(void *ctx, uint64_t paddr, const void *src, uint64_t n)
{
    struct build *b = ctx;

    b->copy_rc = xll_copy_to_guest(b->h, b->domid, paddr, src, n);
    return b->copy_rc;
}

static int fail_call(struct build *b, const char *what, int rc)
{
    return xll__error(b->err, "domain '%s': %s failed: %s", b->cfg->name,
                      what, xll_strerror(rc));
}

/*
 * The host's pCPUs a vCPU may use: the configured map less the pCPUs
 * beyond the host's, as xl does with "all".
 */
static int set_affinity(struct build *b, unsigned int max_cpu_id)
{
    const struct xll_config *cfg = b->cfg;

    for ( unsigned int v = 0; v < cfg->max_vcpus && v < cfg->nr_cpumaps;
          v++ )
    {
        struct xll_cpumap map = cfg->cpumaps[v];
        bool any = false;
        int rc;

        for ( unsigned int cpu = 0; cpu < XLL_MAX_CPUS; cpu++ )
        {
            if ( cpu > max_cpu_id )
                map.bits[cpu / 64] &= ~(1ULL << (cpu % 64));
            else if ( xll_cpumap_test(&map, cpu) )
                any = true;
        }
        if ( !any )
            return xll__error(b->err, "domain '%s': cpus= leaves vCPU %u "
                              "no pCPU of this host (pCPUs 0-%u)",
                              cfg->name, v, max_cpu_id);
        rc = xll_vcpu_setaffinity(b->h, b->domid, v, &map);
        if ( rc )
        {
            char what[48];

            snprintf(what, sizeof(what), "setvcpuaffinity (vCPU %u)", v);
            return fail_call(b, what, rc);
        }
    }
    return 0;
}

static int build(struct build *b, const void *kernel, size_t kernel_len,
                 const void *ramdisk, size_t ramdisk_len, bool paused)
{
    const struct xll_config *cfg = b->cfg;
    struct xen_domctl_build_platform bp;
    struct xen_domctl_sched_credit credit;
    struct xen_sysctl_physinfo pi;
    struct image_limits lim;
    struct image_plan plan;
    enum image_error ierr;
    int rc;

    if ( cfg->memory_mib < GUEST_MIN_RAM_MIB ||
         cfg->memory_mib > GUEST_MAX_RAM_MIB )
        return xll__error(b->err, "domain '%s': memory=%u MiB: xen-lite "
                          "domains have %u to %u MiB", cfg->name,
                          cfg->memory_mib, GUEST_MIN_RAM_MIB,
                          GUEST_MAX_RAM_MIB);

    memset(&lim, 0, sizeof(lim));
    lim.min_paddr = GUEST_HIGH_RAM;
    lim.low_ram_end = GUEST_LOW_RAM_END;
    lim.ram_end = (uint64_t)cfg->memory_mib << 20;
    ierr = image_plan(kernel, kernel_len, &lim, &plan);
    if ( ierr == IMAGE_E_TOO_BIG )
        return xll__error(b->err, "%s: the image needs %llu KiB of memory "
                          "up to 0x%llx, more than memory=%u MiB",
                          cfg->kernel,
                          (unsigned long long)((plan.end + 1023) >> 10),
                          (unsigned long long)plan.end, cfg->memory_mib);
    if ( ierr != IMAGE_OK )
        return xll__error(b->err, "%s: %s", cfg->kernel,
                          image_strerror(ierr));
    if ( (plan.kind == IMAGE_PVH) != (cfg->type == XLL_TYPE_PVH) )
        return xll__error(b->err, "%s: a %s kernel, but the domain's type "
                          "is \"%s\"", cfg->kernel,
                          plan.kind == IMAGE_PVH ? "PVH" : "Multiboot",
                          xll_type_name(cfg->type));

    rc = xll_physinfo(b->h, &pi);
    if ( rc )
        return fail_call(b, "physinfo", rc);

    rc = xll_domain_create(b->h, cfg->max_vcpus,
                           (uint64_t)cfg->maxmem_mib << 8, &b->domid);
    if ( rc )
        return fail_call(b, "createdomain", rc);
    b->created = true;

    rc = xll_populate_ram(b->h, b->domid, lim.ram_end);
    if ( rc )
        return fail_call(b, "populate_ram", rc);

    rc = image_load(&plan, kernel, kernel_len, &lim, copy_fn, b);
    if ( rc )
        return b->copy_rc ? fail_call(b, "copy_to_guest", b->copy_rc)
               : xll__error(b->err, "%s: the image changed under the "
                            "builder", cfg->kernel);

    memset(&bp, 0, sizeof(bp));
    bp.kind = plan.kind == IMAGE_PVH ? XEN_DOMCTL_PLATFORM_PVH
                                     : XEN_DOMCTL_PLATFORM_MULTIBOOT;
    bp.entry = plan.entry;
    bp.kernel_end = plan.end;
    bp.module_size = ramdisk_len;
    rc = xll_build_platform(b->h, b->domid, &bp, cfg->cmdline);
    if ( rc )
        return fail_call(b, "build_platform", rc);

    if ( ramdisk_len )
    {
        if ( bp.module_paddr < plan.end ||
             bp.module_paddr + ramdisk_len > lim.ram_end )
            return xll__error(b->err, "domain '%s': build_platform put "
                              "the ramdisk at 0x%llx, outside the "
                              "domain's free RAM", cfg->name,
                              (unsigned long long)bp.module_paddr);
        rc = xll_copy_to_guest(b->h, b->domid, bp.module_paddr, ramdisk,
                               ramdisk_len);
        if ( rc )
            return fail_call(b, "copy_to_guest (ramdisk)", rc);
    }

    rc = xll_setvcpucontext(b->h, b->domid, 0, &bp.boot);
    if ( rc )
        return fail_call(b, "setvcpucontext", rc);

    rc = set_affinity(b, pi.max_cpu_id);
    if ( rc )
        return rc;

    credit.weight = cfg->cpu_weight;
    credit.cap = cfg->cap;
    credit.pad = 0;
    rc = xll_sched_credit_set(b->h, b->domid, &credit);
    if ( rc )
        return fail_call(b, "scheduler_op (weight, cap)", rc);

    if ( !paused )
    {
        rc = xll_domain_unpause(b->h, b->domid);
        if ( rc )
            return fail_call(b, "unpausedomain", rc);
    }
    return 0;
}

int xll_build_domain(struct xll_handle *h, const struct xll_config *cfg,
                     bool paused, uint32_t *domid, char **err)
{
    struct build b = { .h = h, .cfg = cfg, .err = err };
    char *kernel = NULL, *ramdisk = NULL;
    size_t kernel_len = 0, ramdisk_len = 0;
    int rc = -1;

    if ( !cfg->kernel )
        return xll__error(err, "domain '%s': no kernel= given", cfg->name);
    kernel = xll__read_file(cfg->kernel, &kernel_len, err);
    if ( !kernel )
        return -1;
    if ( cfg->ramdisk )
    {
        ramdisk = xll__read_file(cfg->ramdisk, &ramdisk_len, err);
        if ( !ramdisk )
            goto out;
    }

    rc = build(&b, kernel, kernel_len, ramdisk, ramdisk_len, paused);
    if ( rc && b.created )
        xll_domain_destroy(h, b.domid);
    else if ( rc == 0 )
        *domid = b.domid;
    rc = rc ? -1 : 0;
 out:
    free(kernel);
    free(ramdisk);
    return rc;
}

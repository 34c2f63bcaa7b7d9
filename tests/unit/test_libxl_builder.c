/*
 * Tests for libxl-lite's domain builder and hypercall wrappers
 * (tools/libxl-lite/builder.c, hypercall.c), run against a mock of the
 * hypervisor that records every domctl and sysctl and keeps the domain's
 * RAM in a buffer: good PVH and Multiboot images (generated here) land
 * byte for byte where their plan says, with the calls in the ABI's
 * order; malformed images and missing files are refused, each with its
 * message, before any domain exists; a failing call destroys the
 * half-built domain.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <public/errno.h>

#include "libxl-lite.h"

#include "harness.h"
#include "xl_images.h"

#define MiB             (1ULL << 20)
#define MOCK_DOMID      7
#define MAX_CALLS       4096
#define MOCK_MAX_CPU    3           /* the mock host has pCPUs 0-3 */

/* ---- the mock hypervisor ---- */

struct call
{
    uint32_t cmd;
    bool sys;
    struct xen_domctl op;
};

struct mock
{
    unsigned int nr_calls;
    struct call calls[MAX_CALLS];
    uint8_t *ram;
    uint64_t ram_size;
    char cmdline[256];
    /* Fail this domctl (0: none) with fail_rc. */
    uint32_t fail_cmd;
    int fail_rc;
    struct xen_domctl_vcpu_boot boot;
    struct xll_cpumap affinity[8];
};

static int mock_domctl(void *priv, struct xen_domctl *op, void *buf,
                       size_t len)
{
    struct mock *m = priv;
    struct call *c = &m->calls[m->nr_calls < MAX_CALLS ? m->nr_calls++
                                                        : MAX_CALLS - 1];

    c->cmd = op->cmd;
    c->sys = false;
    c->op = *op;
    if ( op->interface_version != XEN_DOMCTL_INTERFACE_VERSION )
        return -XEN_EACCES;
    if ( op->cmd == m->fail_cmd )
        return m->fail_rc;
    switch ( op->cmd )
    {
    case XEN_DOMCTL_createdomain:
        op->domain = MOCK_DOMID;
        return 0;
    case XEN_DOMCTL_populate_ram:
        if ( m->ram )
            return -XEN_EEXIST;
        m->ram_size = op->u.populate_ram.mem_bytes;
        m->ram = calloc(1, m->ram_size);
        return m->ram ? 0 : -XEN_ENOMEM;
    case XEN_DOMCTL_copy_to_guest:
    {
        struct xen_domctl_copy_to_guest *cp = &op->u.copy_to_guest;

        if ( cp->size > XEN_DOMCTL_COPY_MAX || !m->ram ||
             cp->gpaddr + cp->size > m->ram_size ||
             (cp->buffer && ((void *)(uintptr_t)cp->buffer != buf ||
                             len != cp->size)) )
            return -XEN_EINVAL;
        if ( cp->buffer )
            memcpy(m->ram + cp->gpaddr, buf, cp->size);
        else
            memset(m->ram + cp->gpaddr, 0, cp->size);
        return 0;
    }
    case XEN_DOMCTL_build_platform:
    {
        struct xen_domctl_build_platform *bp = &op->u.build_platform;

        if ( bp->cmdline_len )
        {
            if ( bp->cmdline_len >= sizeof(m->cmdline) || len !=
                 bp->cmdline_len )
                return -XEN_EINVAL;
            memcpy(m->cmdline, (void *)(uintptr_t)bp->cmdline,
                   bp->cmdline_len);
        }
        bp->module_paddr = (bp->kernel_end + 4095) & ~4095ULL;
        bp->boot.eip = bp->entry;
        bp->boot.eax = bp->kind == XEN_DOMCTL_PLATFORM_PVH ? 0x336ec578
                                                          : 0x2badb002;
        bp->boot.ebx = 0x9000;
        bp->boot.flags = bp->kind == XEN_DOMCTL_PLATFORM_PVH ?
                         XEN_DOMCTL_VCPU_BOOT_PVH : 0;
        m->boot = bp->boot;
        return 0;
    }
    case XEN_DOMCTL_setvcpuaffinity:
        if ( op->u.vcpuaffinity.vcpu >= 8 )
            return -XEN_EINVAL;
        memcpy(m->affinity[op->u.vcpuaffinity.vcpu].bits,
               op->u.vcpuaffinity.cpumap, sizeof(m->affinity[0].bits));
        return 0;
    case XEN_DOMCTL_getdomaininfo:
        /* As Xen: the first domain from the id on, here always 9. */
        op->domain = 9;
        op->u.getdomaininfo.domain = 9;
        return 0;
    case XEN_DOMCTL_console_io:
        if ( op->u.console_io.cmd == XEN_DOMCTL_CONSOLE_READ )
        {
            const char text[] = "hello";
            uint32_t n = op->u.console_io.size < 5 ? op->u.console_io.size
                                                  : 5;

            memcpy(buf, text, n);
            op->u.console_io.size = n;
            op->u.console_io.index += n;
        }
        return 0;
    default:
        return 0;
    }
}

static int mock_sysctl(void *priv, struct xen_sysctl *op, void *buf,
                       size_t len)
{
    struct mock *m = priv;
    struct call *c = &m->calls[m->nr_calls < MAX_CALLS ? m->nr_calls++
                                                        : MAX_CALLS - 1];

    (void)buf;
    (void)len;
    c->cmd = op->cmd;
    c->sys = true;
    if ( op->interface_version != XEN_SYSCTL_INTERFACE_VERSION )
        return -XEN_EACCES;
    if ( op->cmd == XEN_SYSCTL_physinfo )
    {
        op->u.physinfo.nr_cpus = MOCK_MAX_CPU + 1;
        op->u.physinfo.max_cpu_id = MOCK_MAX_CPU;
        return 0;
    }
    return -XEN_ENOSYS;
}

static const struct xll_ops mock_ops = {
    .domctl = mock_domctl,
    .sysctl = mock_sysctl,
};

static struct mock *mock_new(struct xll_handle **h)
{
    struct mock *m = calloc(1, sizeof(*m));

    REQUIRE(m != NULL);
    *h = xll_open_ops(&mock_ops, m);
    REQUIRE(*h != NULL);
    return m;
}

static void mock_free(struct mock *m, struct xll_handle *h)
{
    xll_close(h);
    free(m->ram);
    free(m);
}

/* The domctls the mock saw, in order, with copy_to_guest runs merged. */
static const char *sequence(const struct mock *m)
{
    static char buf[1024];
    static const char *const names[] = {
        [XEN_DOMCTL_createdomain] = "create",
        [XEN_DOMCTL_destroydomain] = "destroy",
        [XEN_DOMCTL_unpausedomain] = "unpause",
        [XEN_DOMCTL_scheduler_op] = "sched",
        [XEN_DOMCTL_populate_ram] = "populate",
        [XEN_DOMCTL_copy_to_guest] = "copy",
        [XEN_DOMCTL_build_platform] = "platform",
        [XEN_DOMCTL_setvcpucontext] = "context",
        [XEN_DOMCTL_setvcpuaffinity] = "affinity",
    };
    const char *last = NULL;

    buf[0] = '\0';
    for ( unsigned int i = 0; i < m->nr_calls; i++ )
    {
        const char *n = m->calls[i].sys ? "sysctl"
                        : m->calls[i].cmd < sizeof(names) / sizeof(names[0])
                          && names[m->calls[i].cmd] ? names[m->calls[i].cmd]
                        : "?";

        if ( last && !strcmp(n, "copy") && !strcmp(last, "copy") )
            continue;
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
                 buf[0] ? " " : "", n);
        last = n;
    }
    return buf;
}

static const struct call *find_call(const struct mock *m, uint32_t cmd)
{
    for ( unsigned int i = 0; i < m->nr_calls; i++ )
        if ( !m->calls[i].sys && m->calls[i].cmd == cmd )
            return &m->calls[i];
    return NULL;
}

/* ---- images and files ---- */

static char *tmp_file(const void *data, size_t len)
{
    char *path = strdup("/tmp/xll-builder-XXXXXX");
    int fd;

    REQUIRE(path != NULL);
    fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, data, len) == (ssize_t)len);
    close(fd);
    return path;
}

static struct xll_config *config(const char *fmt, ...)
    __attribute__((__format__(__printf__, 1, 2)));

static struct xll_config *config(const char *fmt, ...)
{
    char text[1024], *path, *err = NULL;
    struct xll_config *cfg;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    path = tmp_file(text, strlen(text));
    cfg = xll_config_from_xlcfg(path, NULL, 0, &err);
    if ( !cfg )
        harness_fail(__FILE__, __LINE__, true, "%s", err);
    unlink(path);
    free(path);
    return cfg;
}

/* ---- good images ---- */

TEST(builder_pvh_with_ramdisk_affinity_and_weights)
{
    size_t klen;
    uint8_t *kernel = make_pvh(&klen, 0x200000, 0x2345, true);
    uint8_t ramdisk[5000];
    char *kpath = tmp_file(kernel, klen), *rpath, *err = NULL;
    struct xll_handle *h;
    struct mock *m = mock_new(&h);
    struct xll_config *cfg;
    const struct call *c;
    uint32_t domid = 0;

    for ( unsigned int i = 0; i < sizeof(ramdisk); i++ )
        ramdisk[i] = (uint8_t)(i ^ 0x5a);
    rpath = tmp_file(ramdisk, sizeof(ramdisk));
    cfg = config("name='pvh'\ntype='pvh'\nmemory=16\nmaxmem=32\nvcpus=3\n"
                 "kernel='%s'\nramdisk='%s'\ncmdline='console=hvc0'\n"
                 "cpus='1-2,7'\ncpu_weight=512\ncap=50\n", kpath, rpath);

    REQUIRE_EQ(xll_build_domain(h, cfg, false, &domid, &err), 0);
    CHECK(err == NULL);
    CHECK_EQ(domid, MOCK_DOMID);
    CHECK_STR_EQ(sequence(m), "sysctl create populate copy platform copy "
                 "context affinity affinity affinity sched unpause");

    c = find_call(m, XEN_DOMCTL_createdomain);
    REQUIRE(c != NULL);
    CHECK_EQ(c->op.u.createdomain.max_vcpus, 3);
    CHECK_EQ(c->op.u.createdomain.max_pages, 32 * 256);
    CHECK_EQ(c->op.u.createdomain.flags, XEN_DOMCTL_CDF_hvm);
    c = find_call(m, XEN_DOMCTL_populate_ram);
    CHECK_EQ(c->op.u.populate_ram.mem_bytes, 16 * MiB);

    /* The kernel's bytes, then its bss zeroed, where the plan puts it. */
    REQUIRE(m->ram != NULL);
    CHECK(!memcmp(m->ram + 0x200000, kernel + 0x1000, 0x2345));
    for ( unsigned int i = 0x2345; i < 0x3345; i++ )
        if ( m->ram[0x200000 + i] )
        {
            CHECK_EQ(m->ram[0x200000 + i], 0);
            break;
        }

    c = find_call(m, XEN_DOMCTL_build_platform);
    CHECK_EQ(c->op.u.build_platform.kind, XEN_DOMCTL_PLATFORM_PVH);
    CHECK_EQ(c->op.u.build_platform.entry, 0x200000);
    CHECK_EQ(c->op.u.build_platform.kernel_end, 0x203345);
    CHECK_EQ(c->op.u.build_platform.module_size, sizeof(ramdisk));
    CHECK_EQ(c->op.u.build_platform.cmdline_len, 12);
    CHECK_STR_EQ(m->cmdline, "console=hvc0");
    /* The ramdisk where build_platform said, page-aligned after. */
    CHECK(!memcmp(m->ram + 0x204000, ramdisk, sizeof(ramdisk)));

    c = find_call(m, XEN_DOMCTL_setvcpucontext);
    CHECK_EQ(c->op.u.setvcpucontext.vcpu, 0);
    CHECK_EQ(c->op.u.setvcpucontext.boot.eip, 0x200000);
    CHECK_EQ(c->op.u.setvcpucontext.boot.eax, 0x336ec578);
    CHECK_EQ(c->op.u.setvcpucontext.boot.ebx, m->boot.ebx);
    CHECK_EQ(c->op.u.setvcpucontext.boot.flags, XEN_DOMCTL_VCPU_BOOT_PVH);

    /* pCPU 7 is beyond the host's 0-3: left out, as xl does. */
    for ( unsigned int v = 0; v < 3; v++ )
        CHECK_EQ(m->affinity[v].bits[0], 0x6);

    c = find_call(m, XEN_DOMCTL_scheduler_op);
    CHECK_EQ(c->op.u.scheduler_op.cmd, XEN_DOMCTL_SCHEDOP_putinfo);
    CHECK_EQ(c->op.u.scheduler_op.credit.weight, 512);
    CHECK_EQ(c->op.u.scheduler_op.credit.cap, 50);
    CHECK(find_call(m, XEN_DOMCTL_destroydomain) == NULL);

    unlink(kpath);
    unlink(rpath);
    free(kpath);
    free(rpath);
    free(kernel);
    xll_config_free(cfg);
    mock_free(m, h);
}

TEST(builder_multiboot_paused_large_module_in_chunks)
{
    size_t klen, mlen = 200 * 1024 + 17;
    uint8_t *kernel = make_multiboot(&klen), *module = malloc(mlen);
    char *kpath = tmp_file(kernel, klen), *mpath, *err = NULL;
    struct xll_handle *h;
    struct mock *m = mock_new(&h);
    struct xll_config *cfg;
    const struct call *c;
    unsigned int chunks = 0;
    uint32_t domid = 0;

    REQUIRE(module != NULL);
    for ( size_t i = 0; i < mlen; i++ )
        module[i] = (uint8_t)(i * 31);
    mpath = tmp_file(module, mlen);
    cfg = config("name='mb'\ntype='multiboot'\nmemory=8\nkernel='%s'\n"
                 "ramdisk='%s'\n", kpath, mpath);

    REQUIRE_EQ(xll_build_domain(h, cfg, true, &domid, &err), 0);
    CHECK_STR_EQ(sequence(m), "sysctl create populate copy platform copy "
                 "context sched");
    c = find_call(m, XEN_DOMCTL_build_platform);
    CHECK_EQ(c->op.u.build_platform.kind, XEN_DOMCTL_PLATFORM_MULTIBOOT);
    CHECK_EQ(c->op.u.build_platform.entry, 0x100010);
    CHECK_EQ(c->op.u.build_platform.kernel_end, 0x102000);
    CHECK_EQ(c->op.u.build_platform.cmdline_len, 0);
    CHECK(!memcmp(m->ram + 0x100000, kernel + 0x1000, 0x1000));
    CHECK(!memcmp(m->ram + 0x102000, module, mlen));
    for ( unsigned int i = 0; i < m->nr_calls; i++ )
        if ( m->calls[i].cmd == XEN_DOMCTL_copy_to_guest &&
             !m->calls[i].sys &&
             m->calls[i].op.u.copy_to_guest.gpaddr >= 0x102000 )
        {
            CHECK(m->calls[i].op.u.copy_to_guest.size <=
                  XEN_DOMCTL_COPY_MAX);
            chunks++;
        }
    CHECK_EQ(chunks, 4);                /* 200 KiB + 17 in 64 KiB pieces */
    CHECK(find_call(m, XEN_DOMCTL_unpausedomain) == NULL);
    CHECK(find_call(m, XEN_DOMCTL_setvcpuaffinity) == NULL);

    unlink(kpath);
    unlink(mpath);
    free(kpath);
    free(mpath);
    free(kernel);
    free(module);
    xll_config_free(cfg);
    mock_free(m, h);
}

/* ---- malformed images and files: refused before createdomain ---- */

static void expect_refusal(const uint8_t *img, size_t len,
                           const char *type, unsigned int memory,
                           const char *message)
{
    char *path = img ? tmp_file(img, len) : strdup("/nonexistent/vmlinuz");
    char *err = NULL, expected[512];
    struct xll_handle *h;
    struct mock *m = mock_new(&h);
    struct xll_config *cfg = config("name='bad'\ntype='%s'\nmemory=%u\n"
                                    "kernel='%s'\n", type, memory, path);
    uint32_t domid = 0;

    snprintf(expected, sizeof(expected), "%s: %s", path, message);
    CHECK_EQ(xll_build_domain(h, cfg, false, &domid, &err), -1);
    CHECK_STR_EQ(err, expected);
    CHECK(find_call(m, XEN_DOMCTL_createdomain) == NULL);
    free(err);
    if ( img )
        unlink(path);
    free(path);
    xll_config_free(cfg);
    mock_free(m, h);
}

TEST(builder_refuses_truncated_image)
{
    size_t len;
    uint8_t *img = make_pvh(&len, 0x100000, 0x100, true);

    expect_refusal(img, 40, "pvh", 16,
                   "a header runs past the end of the file");
    free(img);
}

TEST(builder_refuses_image_without_note_or_header)
{
    size_t len;
    uint8_t *img = make_pvh(&len, 0x100000, 0x100, false);

    expect_refusal(img, len, "pvh", 16,
                   "neither a PVH entry note nor a Multiboot header");
    free(img);
}

TEST(builder_refuses_segment_outside_the_file)
{
    size_t len;
    uint8_t *img = make_pvh(&len, 0x100000, 0x100, true);

    /* p_filesz past the end of the file. */
    put64(img + 64 + 32, 0x10000);
    put64(img + 64 + 40, 0x10000);
    expect_refusal(img, len, "pvh", 16, "a segment's bytes lie outside "
                   "the file or exceed its memory size");
    free(img);
}

TEST(builder_refuses_image_too_big_for_memory)
{
    size_t len;
    uint8_t *img = make_pvh(&len, 0x100000, 0x100, true);

    /* 8 MiB of bss in a 4 MiB domain. */
    put64(img + 64 + 40, 8 * MiB);
    expect_refusal(img, len, "pvh", 4, "the image needs 9216 KiB of memory "
                   "up to 0x900000, more than memory=4 MiB");
    free(img);
}

TEST(builder_refuses_missing_kernel_file)
{
    expect_refusal(NULL, 0, "pvh", 16, "No such file or directory");
}

TEST(builder_refuses_kernel_of_the_other_type)
{
    size_t len;
    uint8_t *img = make_multiboot(&len);

    expect_refusal(img, len, "pvh", 16, "a Multiboot kernel, but the "
                   "domain's type is \"pvh\"");
    free(img);
}

TEST(builder_refuses_missing_ramdisk_before_creating)
{
    size_t len;
    uint8_t *img = make_pvh(&len, 0x100000, 0x100, true);
    char *kpath = tmp_file(img, len), *err = NULL;
    struct xll_handle *h;
    struct mock *m = mock_new(&h);
    struct xll_config *cfg = config("name='x'\nkernel='%s'\n"
                                    "ramdisk='/nonexistent/initrd'\n",
                                    kpath);
    uint32_t domid;

    CHECK_EQ(xll_build_domain(h, cfg, false, &domid, &err), -1);
    CHECK_STR_EQ(err, "/nonexistent/initrd: No such file or directory");
    CHECK_EQ(m->nr_calls, 0);
    free(err);
    unlink(kpath);
    free(kpath);
    free(img);
    xll_config_free(cfg);
    mock_free(m, h);
}

/* ---- failures after createdomain destroy the domain ---- */

static void expect_destroyed(uint32_t fail_cmd, int fail_rc,
                             const char *cfg_extra, const char *message)
{
    size_t len;
    uint8_t *img = make_pvh(&len, 0x100000, 0x100, true);
    char *kpath = tmp_file(img, len), *err = NULL;
    struct xll_handle *h;
    struct mock *m = mock_new(&h);
    struct xll_config *cfg = config("name='half'\nkernel='%s'\n%s", kpath,
                                    cfg_extra);
    const struct call *c;
    uint32_t domid = 0;

    m->fail_cmd = fail_cmd;
    m->fail_rc = fail_rc;
    CHECK_EQ(xll_build_domain(h, cfg, false, &domid, &err), -1);
    CHECK_STR_EQ(err, message);
    c = find_call(m, XEN_DOMCTL_destroydomain);
    CHECK(c != NULL);
    if ( c )
        CHECK_EQ(c->op.domain, MOCK_DOMID);
    CHECK(find_call(m, XEN_DOMCTL_unpausedomain) == NULL ||
          fail_cmd == XEN_DOMCTL_unpausedomain);
    CHECK_EQ(domid, 0);
    free(err);
    unlink(kpath);
    free(kpath);
    free(img);
    xll_config_free(cfg);
    mock_free(m, h);
}

TEST(builder_destroys_the_domain_when_a_step_fails)
{
    expect_destroyed(XEN_DOMCTL_populate_ram, -XEN_ENOMEM, "",
                     "domain 'half': populate_ram failed: out of memory");
    expect_destroyed(XEN_DOMCTL_copy_to_guest, -XEN_EFAULT, "",
                     "domain 'half': copy_to_guest failed: bad address "
                     "(buffer not present)");
    expect_destroyed(XEN_DOMCTL_build_platform, -XEN_EPERM, "",
                     "domain 'half': build_platform failed: permission "
                     "denied");
    expect_destroyed(XEN_DOMCTL_setvcpucontext, -XEN_EINVAL, "",
                     "domain 'half': setvcpucontext failed: invalid "
                     "argument");
    expect_destroyed(XEN_DOMCTL_setvcpuaffinity, -XEN_EINVAL, "cpus='1'\n",
                     "domain 'half': setvcpuaffinity (vCPU 0) failed: "
                     "invalid argument");
    expect_destroyed(0, 0, "cpus='8-9'\n", "domain 'half': cpus= leaves "
                     "vCPU 0 no pCPU of this host (pCPUs 0-3)");
    expect_destroyed(XEN_DOMCTL_scheduler_op, -XEN_EINVAL, "",
                     "domain 'half': scheduler_op (weight, cap) failed: "
                     "invalid argument");
    expect_destroyed(XEN_DOMCTL_unpausedomain, -XEN_ESRCH, "",
                     "domain 'half': unpausedomain failed: no such "
                     "domain");
}

TEST(builder_reports_createdomain_refusal_from_a_domu)
{
    size_t len;
    uint8_t *img = make_pvh(&len, 0x100000, 0x100, true);
    char *kpath = tmp_file(img, len), *err = NULL;
    struct xll_handle *h;
    struct mock *m = mock_new(&h);
    struct xll_config *cfg = config("name='u'\nkernel='%s'\n", kpath);
    uint32_t domid;

    m->fail_cmd = XEN_DOMCTL_createdomain;
    m->fail_rc = -XEN_EPERM;
    CHECK_EQ(xll_build_domain(h, cfg, false, &domid, &err), -1);
    CHECK_STR_EQ(err, "domain 'u': createdomain failed: permission denied");
    CHECK(find_call(m, XEN_DOMCTL_destroydomain) == NULL);
    free(err);
    unlink(kpath);
    free(kpath);
    free(img);
    xll_config_free(cfg);
    mock_free(m, h);
}

/* ---- the wrappers ---- */

TEST(wrappers_errors_and_exact_domain)
{
    struct xll_handle *h;
    struct mock *m = mock_new(&h);
    struct xen_domctl_getdomaininfo info;
    uint64_t index = 10;
    char buf[3];

    CHECK_STR_EQ(xll_strerror(-XEN_EPERM), "permission denied");
    CHECK_STR_EQ(xll_strerror(-XEN_ESRCH), "no such domain");
    CHECK_STR_EQ(xll_strerror(-XEN_EINVAL), "invalid argument");
    CHECK_STR_EQ(xll_strerror(-9999), "unknown error");
    /* Xen's getdomaininfo answers with the next domain: not this one. */
    CHECK_EQ(xll_domain_info(h, 8, &info), -XEN_ESRCH);
    CHECK_EQ(xll_domain_info(h, 9, &info), 0);
    CHECK_EQ(info.domain, 9);
    CHECK_EQ(xll_domain_destroy(h, DOMID_FIRST_RESERVED), -XEN_ESRCH);
    CHECK_EQ(xll_console_read(h, 9, &index, buf, sizeof(buf)), 3);
    CHECK_EQ(index, 13);
    CHECK(!memcmp(buf, "hel", 3));
    CHECK_EQ(xll_debug_keys(h, ""), -XEN_EINVAL);
    mock_free(m, h);
}

/*
 * Tests for xl-lite (tools/xl-lite): its output formats against the
 * strings xl prints for the same values (the printf formats in
 * ../shared/design/XL-CONVENTIONS.md, spelled out here byte by byte),
 * and its command line, run as a program: every bad argument gives one
 * line on stderr naming it and a non-zero exit, found before the
 * hypervisor's device is opened; --help and create -n work without it.
 * Then the commands end to end on a fake hypervisor (xl_fakehv.c) shared
 * by every run through a file: create, list, list -l, vcpu-list,
 * vcpu-pin, sched-credit, pause, console, debug-keys, dmesg, irq-stats,
 * destroy, and the monitor carrying out on_poweroff, on_reboot and
 * on_crash; and a domU's -EPERM said as "permission denied".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "format.h"
#include "libxl-lite.h"

#include "harness.h"
#include "xl_fakehv.h"
#include "xl_images.h"

#ifndef XL_PROG
#define XL_PROG "tests/unit/build/xl-lite"
#endif
#ifndef XL_FAKE_PROG
#define XL_FAKE_PROG "tests/unit/build/xl-lite-fake"
#endif

#define LINUX_CFG   TOOLS_DIR "/dom0/etc/linux.cfg"

static char buf[1024];

static const char *fresh(void)
{
    buf[0] = '\0';
    return buf;
}

static struct xen_domctl_getdomaininfo dominfo(uint16_t domid,
                                               uint64_t pages,
                                               uint32_t vcpus,
                                               uint32_t flags,
                                               uint64_t cpu_ns)
{
    struct xen_domctl_getdomaininfo i;

    memset(&i, 0, sizeof(i));
    i.domain = domid;
    i.tot_pages = pages;
    i.nr_online_vcpus = vcpus;
    i.flags = flags;
    i.cpu_time = cpu_ns;
    return i;
}

/* ---- list ---- */

TEST(xl_list_header)
{
    fresh();
    CHECK_STR_EQ(xlf_list_header(buf, sizeof(buf), false),
                 "Name                                        ID   Mem VCPUs"
                 "\tState\tTime(s)\n");
    fresh();
    CHECK_STR_EQ(xlf_list_header(buf, sizeof(buf), true),
                 "Name                                        ID   Mem VCPUs"
                 "\tState\tTime(s)   UUID                            "
                 "Reason-Code\tSecurity Label\n");
}

TEST(xl_list_rows_state_letters)
{
    struct xen_domctl_getdomaininfo i;

    i = dominfo(0, 262144, 4, XEN_DOMINF_running, 12340000000ULL);
    fresh();
    CHECK_STR_EQ(xlf_list_row(buf, sizeof(buf), "Domain-0", &i, false),
                 "Domain-0                                     0  1024     4"
                 "     r-----      12.3\n");

    i = dominfo(3, 131072 + 255, 2,
                XEN_DOMINF_blocked | XEN_DOMINF_paused, 50000000);
    fresh();
    CHECK_STR_EQ(xlf_list_row(buf, sizeof(buf), "guest", &i, false),
                 "guest                                        3   512     2"
                 "     -bp---       0.1\n");

    /* Shut down: 's', then the reason: crash 'c', reboot 'r',
     * poweroff '-'; dying 'd'. */
    i = dominfo(12, 256, 1, XEN_DOMINF_shutdown |
                (SHUTDOWN_crash << XEN_DOMINF_shutdownshift), 0);
    fresh();
    CHECK_STR_EQ(xlf_list_row(buf, sizeof(buf), "c", &i, false),
                 "c                                           12     1     1"
                 "     ---sc-       0.0\n");
    i.flags = XEN_DOMINF_shutdown | XEN_DOMINF_dying |
              (SHUTDOWN_reboot << XEN_DOMINF_shutdownshift);
    fresh();
    CHECK_STR_EQ(xlf_list_row(buf, sizeof(buf), "c", &i, false),
                 "c                                           12     1     1"
                 "     ---srd       0.0\n");
    i.flags = XEN_DOMINF_shutdown |
              (SHUTDOWN_poweroff << XEN_DOMINF_shutdownshift);
    fresh();
    CHECK_STR_EQ(xlf_list_row(buf, sizeof(buf), "c", &i, false),
                 "c                                           12     1     1"
                 "     ---s--       0.0\n");
}

TEST(xl_list_verbose_row)
{
    struct xen_domctl_getdomaininfo i = dominfo(5, 512, 1, 0, 0);

    for ( unsigned int b = 0; b < 16; b++ )
        i.handle[b] = b * 0x11;
    fresh();
    CHECK_STR_EQ(xlf_list_row(buf, sizeof(buf), "v", &i, true),
                 "v                                            5     2     1"
                 "     ------       0.0 00112233-4455-6677-8899-aabbccddeeff"
                 "        -                -\n");
    i.flags = XEN_DOMINF_shutdown |
              (SHUTDOWN_crash << XEN_DOMINF_shutdownshift);
    fresh();
    CHECK_STR_EQ(xlf_list_row(buf, sizeof(buf), "v", &i, true),
                 "v                                            5     2     1"
                 "     ---sc-       0.0 00112233-4455-6677-8899-aabbccddeeff"
                 "        3                -\n");
}

/* ---- vcpu-list ---- */

static struct xll_cpumap cpus(const char *s)
{
    struct xll_cpumap m;
    char *why = NULL;

    if ( xll_cpumap_parse(s, &m, &why) )
        harness_fail(__FILE__, __LINE__, true, "%s", why);
    return m;
}

TEST(xl_bitmaps)
{
    struct xll_cpumap m;

    m = cpus("0-3");
    CHECK_STR_EQ(xlf_bitmap((char *)fresh(), sizeof(buf), &m, 4), "all");
    CHECK_STR_EQ(xlf_bitmap((char *)fresh(), sizeof(buf), &m, 8), "0-3");
    m = cpus("0-3,5,7-8,^2");
    CHECK_STR_EQ(xlf_bitmap((char *)fresh(), sizeof(buf), &m, 16),
                 "0-1,3,5,7-8");
    memset(&m, 0, sizeof(m));
    CHECK_STR_EQ(xlf_bitmap((char *)fresh(), sizeof(buf), &m, 4), "none");
    m = cpus("1");
    CHECK_STR_EQ(xlf_bitmap((char *)fresh(), sizeof(buf), &m, 2), "1");
}

/*
 * xl's row format has no space before the CPU column ("%5u" after
 * "%5u"), so its rows sit one column left of the header: kept.
 */
TEST(xl_vcpu_list_lines)
{
    struct xen_domctl_getvcpuinfo vi;
    struct xll_cpumap hard = cpus("0-1,3");

    fresh();
    CHECK_STR_EQ(xlf_vcpu_header(buf, sizeof(buf)),
                 "Name                                ID  VCPU   CPU State"
                 "   Time(s) Affinity (Hard / Soft)\n");
    memset(&vi, 0, sizeof(vi));
    vi.vcpu = 1;
    vi.online = 1;
    vi.blocked = 1;
    vi.cpu = 2;
    vi.cpu_time = 500000000;
    fresh();
    CHECK_STR_EQ(xlf_vcpu_row(buf, sizeof(buf), "guest", 3, &vi, &hard, 4),
                 "guest                                3     1    2   -b-"
                 "       0.5  0-1,3 / all\n");
    vi.running = 1;
    vi.blocked = 0;
    hard = cpus("all");
    fresh();
    CHECK_STR_EQ(xlf_vcpu_row(buf, sizeof(buf), "Domain-0", 0, &vi, &hard,
                              4),
                 "Domain-0                             0     1    2   r--"
                 "       0.5  all / all\n");
    vi.online = 0;
    fresh();
    CHECK_STR_EQ(xlf_vcpu_row(buf, sizeof(buf), "Domain-0", 0, &vi, &hard,
                              4),
                 "Domain-0                             0     1    -   --p"
                 "       0.5  all / all\n");
}

/* ---- info, sched-credit, uptime ---- */

TEST(xl_info_lines)
{
    fresh();
    CHECK_STR_EQ(xlf_info_line(buf, sizeof(buf), "nr_cpus", "%d", 4),
                 "nr_cpus                : 4\n");
    fresh();
    CHECK_STR_EQ(xlf_info_line(buf, sizeof(buf), "cpu_mhz", "%d.%03d", 2894,
                               56),
                 "cpu_mhz                : 2894.056\n");
    fresh();
    CHECK_STR_EQ(xlf_info_line(buf, sizeof(buf), "xend_config_format", "%d",
                               4),
                 "xend_config_format     : 4\n");
}

TEST(xl_sched_credit_lines)
{
    fresh();
    CHECK_STR_EQ(xlf_sched_pool(buf, sizeof(buf), "Pool-0", 30, 1000, 0),
                 "Cpupool Pool-0: tslice=30ms ratelimit=1000us "
                 "migration-delay=0us\n");
    fresh();
    CHECK_STR_EQ(xlf_sched_header(buf, sizeof(buf)),
                 "Name                                ID Weight  Cap\n");
    fresh();
    CHECK_STR_EQ(xlf_sched_row(buf, sizeof(buf), "Domain-0", 0, 256, 0),
                 "Domain-0                             0    256    0\n");
    fresh();
    CHECK_STR_EQ(xlf_sched_row(buf, sizeof(buf), "guest", 12, 65535, 150),
                 "guest                               12  65535  150\n");
}

TEST(xl_uptime_lines)
{
    fresh();
    CHECK_STR_EQ(xlf_uptime_header(buf, sizeof(buf)),
                 "Name                                ID Uptime\n");
    fresh();
    CHECK_STR_EQ(xlf_uptime_row(buf, sizeof(buf), "Domain-0", 0, 3725),
                 "Domain-0                             0  1:02:05\n");
    fresh();
    CHECK_STR_EQ(xlf_uptime_row(buf, sizeof(buf), "g", 4, 90061),
                 "g                                    4 1 day,  1:01:01\n");
    fresh();
    CHECK_STR_EQ(xlf_uptime_string(buf, sizeof(buf), 2 * 86400 + 600 + 7,
                                   false), "2 days,  0:10:07");
    fresh();
    CHECK_STR_EQ(xlf_uptime_string(buf, sizeof(buf), 3725, true), " 1:02");
}

/* ---- the command line ---- */

struct run
{
    int status;
    char out[8192];
    char err[4096];
};

static void slurp(int fd, char *dst, size_t size)
{
    size_t used = 0;
    ssize_t n;

    while ( used + 1 < size &&
            (n = read(fd, dst + used, size - 1 - used)) > 0 )
        used += n;
    dst[used] = '\0';
}

/* The fake host's files, when the fake build runs. */
static char fake_dir[64];
static const char *stdin_text;

static void run_prog(const char *prog, struct run *r,
                     const char *const *args);

/* Run xl-lite with args (NULL-terminated); no state dir of the host's. */
static void run(struct run *r, const char *const *args)
{
    run_prog(XL_PROG, r, args);
}

static void run_prog(const char *prog, struct run *r,
                     const char *const *args)
{
    int out[2], err[2], in[2];
    pid_t pid;
    char *argv[16];
    unsigned int n = 0;

    argv[n++] = (char *)prog;
    while ( args[n - 1] && n < 15 )
    {
        argv[n] = (char *)args[n - 1];
        n++;
    }
    argv[n] = NULL;
    REQUIRE(pipe(out) == 0 && pipe(err) == 0 && pipe(in) == 0);
    pid = fork();
    REQUIRE(pid >= 0);
    if ( pid == 0 )
    {
        char path[128];

        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        /*
         * The pipes' write ends stay open beyond fd 2 as well, as a
         * careless caller's might: the monitor xl-lite forks must close
         * them, or the reads below never see the end.
         */
        close(in[1]);
        close(out[0]);
        close(err[0]);
        if ( fake_dir[0] )
        {
            snprintf(path, sizeof(path), "%s/state", fake_dir);
            setenv("XL_LITE_STATE_DIR", path, 1);
            snprintf(path, sizeof(path), "%s/hv", fake_dir);
            setenv("XL_LITE_FAKE_HV", path, 1);
        }
        else
            setenv("XL_LITE_STATE_DIR", "/nonexistent/xl-lite-state", 1);
        execv(prog, argv);
        _exit(127);
    }
    close(in[0]);
    if ( stdin_text )
        CHECK(write(in[1], stdin_text, strlen(stdin_text)) ==
              (ssize_t)strlen(stdin_text));
    close(in[1]);
    close(out[1]);
    close(err[1]);
    slurp(out[0], r->out, sizeof(r->out));
    slurp(err[0], r->err, sizeof(r->err));
    close(out[0]);
    close(err[0]);
    REQUIRE(waitpid(pid, &r->status, 0) == pid);
}

static unsigned int lines(const char *s)
{
    unsigned int n = 0;

    for ( ; *s; s++ )
        n += *s == '\n';
    return n;
}

#define EXPECT_ERROR(line, ...)                                         \
    do {                                                                \
        static const char *const a_[] = { __VA_ARGS__, NULL };          \
        struct run r_;                                                  \
                                                                        \
        run(&r_, a_);                                                   \
        CHECK(WIFEXITED(r_.status) && WEXITSTATUS(r_.status) == 1);     \
        CHECK_STR_EQ(r_.err, line "\n");                                \
        CHECK_EQ(lines(r_.err), 1);                                     \
        CHECK_STR_EQ(r_.out, "");                                       \
    } while ( 0 )

TEST(xl_cli_argument_errors)
{
    EXPECT_ERROR("xl-lite: no command 'frobnicate' (see 'xl-lite help')",
                 "frobnicate");
    EXPECT_ERROR("xl-lite: list: unknown option '-x' (see 'xl-lite list "
                 "--help')", "list", "-x");
    EXPECT_ERROR("xl-lite: irq-stats: unknown option '--bogus' (see "
                 "'xl-lite irq-stats --help')", "irq-stats", "--bogus");
    EXPECT_ERROR("xl-lite: create: no config FILE given (see 'xl-lite "
                 "create --help')", "create", "-q");
    EXPECT_ERROR("xl-lite: create: 'memory' is not KEY=VALUE (see "
                 "'xl-lite create --help')", "create", "-q", "x.cfg",
                 "memory");
    EXPECT_ERROR("xl-lite: /nonexistent/dom.cfg: No such file or directory",
                 "create", "-q", "/nonexistent/dom.cfg");
    EXPECT_ERROR("xl-lite: command line:1:8: memory: expected a number, not a "
                 "string",
                 "create", "-q", "-n", LINUX_CFG, "memory=\"lots\"");
    EXPECT_ERROR("xl-lite: destroy: no domain given (see 'xl-lite destroy "
                 "--help')", "destroy");
    EXPECT_ERROR("xl-lite: pause: one domain at a time ('b' is extra) (see "
                 "'xl-lite pause --help')", "pause", "a", "b");
    EXPECT_ERROR("xl-lite: vcpu-pin: needs DOM, VCPU and CPUS (see "
                 "'xl-lite vcpu-pin --help')", "vcpu-pin", "a", "0");
    EXPECT_ERROR("xl-lite: VCPU 'x': not a number from 0 to 254",
                 "vcpu-pin", "a", "x", "1");
    EXPECT_ERROR("xl-lite: Must specify a domain.", "sched-credit", "-w",
                 "5");
    EXPECT_ERROR("xl-lite: weight '0': not a number from 1 to 65535",
                 "sched-credit", "-d", "1", "-w", "0");
    EXPECT_ERROR("xl-lite: cap '-1': not a number from 0 to 65535",
                 "sched-credit", "-d", "1", "-c", "-1");
    EXPECT_ERROR("xl-lite: Specifying a cpupool or schedparam is not "
                 "allowed with domain options.", "sched-credit", "-s", "-d",
                 "1");
    EXPECT_ERROR("xl-lite: sched-credit: option '-t' needs a value (see "
                 "'xl-lite sched-credit --help')", "sched-credit", "-s",
                 "-t");
    EXPECT_ERROR("xl-lite: debug-keys: no KEYS given (see 'xl-lite "
                 "debug-keys --help')", "debug-keys");
    EXPECT_ERROR("xl-lite: dmesg: 'x' is extra (see 'xl-lite dmesg "
                 "--help')", "dmesg", "x");
}

TEST(xl_cli_cpus_error_names_the_value)
{
    static const char *const args[] = { "vcpu-pin", "d", "0", "1-x", NULL };
    struct run r;

    run(&r, args);
    CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1);
    CHECK(!strncmp(r.err, "xl-lite: CPUS '1-x': ", 21));
    CHECK_EQ(lines(r.err), 1);
}

TEST(xl_cli_help_and_dry_run_need_no_device)
{
    static const char *const help[] = { "list", "--help", NULL };
    static const char *const dry[] = { "create", "-n", LINUX_CFG,
                                       "memory=300", NULL };
    struct run r;
    yajl_val tree, mem;
    const char *path[] = { "b_info", "target_memkb", NULL };
    char errbuf[128];

    run(&r, help);
    CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
    CHECK(!strncmp(r.out, "Usage: xl-lite list [-l] [-v] [DOM ...]\n", 40));

    run(&r, dry);
    CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
    CHECK_STR_EQ(r.err, "Parsing config from " LINUX_CFG "\n");
    tree = yajl_tree_parse(r.out, errbuf, sizeof(errbuf));
    REQUIRE(tree != NULL && YAJL_IS_ARRAY(tree));
    REQUIRE(tree->u.array.len == 1);
    {
        const char *cp[] = { "config", NULL };
        yajl_val config = yajl_tree_get(tree->u.array.values[0], cp,
                                        yajl_t_object);

        REQUIRE(config != NULL);
        mem = yajl_tree_get(config, path, yajl_t_number);
        CHECK(mem != NULL && YAJL_GET_INTEGER(mem) == 300 * 1024);
    }
    yajl_tree_free(tree);
}

TEST(xl_cli_no_device_is_one_line)
{
    static const char *const args[] = { "list", NULL };
    struct run r;

    if ( access("/dev/xen-lite/privcmd", F_OK) == 0 )
        return;                         /* a dom0: not this case */
    run(&r, args);
    CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1);
    CHECK_STR_EQ(r.err, "xl-lite: /dev/xen-lite/privcmd: no such device "
                 "(is privcmd.ko loaded?)\n");
    CHECK_STR_EQ(r.out, "");
}

/* ---- end to end, on the fake hypervisor ---- */

static struct fake_hv *hv;
static int hv_fd;
static char kernel_path[128], cfg_path[128];

static void fake_setup(void)
{
    char path[128];
    size_t len;
    uint8_t *img = make_pvh(&len, 0x100000, 0x800, true);
    FILE *f;

    strcpy(fake_dir, "/tmp/xl-fake-XXXXXX");
    REQUIRE(mkdtemp(fake_dir) != NULL);
    snprintf(path, sizeof(path), "%s/hv", fake_dir);
    hv = fake_hv_map(path, &hv_fd);
    REQUIRE(hv != NULL);
    snprintf(kernel_path, sizeof(kernel_path), "%s/vmlinuz", fake_dir);
    f = fopen(kernel_path, "wb");
    REQUIRE(f != NULL);
    REQUIRE(fwrite(img, 1, len, f) == len);
    fclose(f);
    free(img);
    snprintf(cfg_path, sizeof(cfg_path), "%s/guest.cfg", fake_dir);
    f = fopen(cfg_path, "w");
    REQUIRE(f != NULL);
    fprintf(f, "name = \"guest\"\ntype = \"pvh\"\nmemory = 16\n"
            "vcpus = 2\nkernel = \"%s\"\non_crash = \"preserve\"\n",
            kernel_path);
    fclose(f);
}

static void fake_teardown(void)
{
    char cmd[160];

    munmap(hv, sizeof(*hv));
    close(hv_fd);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_dir);
    CHECK(system(cmd) == 0);
    fake_dir[0] = '\0';
}

#define XL(r, ...)                                                      \
    do {                                                                \
        const char *const a_[] = { __VA_ARGS__, NULL };                 \
        run_prog(XL_FAKE_PROG, (r), a_);                                \
    } while ( 0 )

static bool ok(const struct run *r)
{
    if ( WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0 )
        return true;
    harness_fail(__FILE__, __LINE__, false, "xl-lite failed: %s", r->err);
    return false;
}

static struct fake_dom *fake_dom_named(uint16_t id)
{
    for ( unsigned int i = 0; i < FAKE_MAX_DOMS; i++ )
        if ( hv->doms[i].used && hv->doms[i].id == id )
            return &hv->doms[i];
    return NULL;
}

static bool state_exists(unsigned int domid)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/state/%u/name", fake_dir, domid);
    return access(path, F_OK) == 0;
}

/* Wait up to 5 s for 'list' to print exactly 'want'. */
static bool list_becomes(const char *want)
{
    struct run r;

    for ( int i = 0; i < 50; i++ )
    {
        XL(&r, "list");
        if ( !strcmp(r.out, want) )
            return true;
        usleep(100000);
    }
    CHECK_STR_EQ(r.out, want);
    return false;
}

#define HEADER "Name                                        ID   Mem VCPUs" \
               "\tState\tTime(s)\n"
#define DOM0   "Domain-0                                     0  1024     1" \
               "     r-----       1.5\n"

TEST(xl_fake_create_list_and_destroy)
{
    struct run r;
    yajl_val tree;
    char errbuf[128];

    fake_setup();
    XL(&r, "list");
    REQUIRE(ok(&r));
    CHECK_STR_EQ(r.out, HEADER DOM0);

    XL(&r, "create", cfg_path, "cpu_weight=512");
    REQUIRE(ok(&r));
    CHECK_STR_EQ(r.out, "");
    CHECK(!strncmp(r.err, "Parsing config from ", 20));
    CHECK(state_exists(1));
    XL(&r, "list");
    CHECK_STR_EQ(r.out, HEADER DOM0
                 "guest                                        1    16     1"
                 "     r-----       1.5\n");
    XL(&r, "list", "-v", "guest");
    CHECK(strstr(r.out, "\nguest ") != NULL);
    CHECK(strstr(r.out, "Domain-0") == NULL);

    XL(&r, "create", "-q", cfg_path);
    CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1);
    CHECK_STR_EQ(r.err, "xl-lite: domain 'guest' already exists\n");

    XL(&r, "list", "-l");
    REQUIRE(ok(&r));
    tree = yajl_tree_parse(r.out, errbuf, sizeof(errbuf));
    REQUIRE(tree != NULL && YAJL_IS_ARRAY(tree) &&
            tree->u.array.len == 1);
    {
        const char *idp[] = { "domid", NULL };
        const char *namep[] = { "config", "c_info", "name", NULL };
        const char *wp[] = { "config", "b_info", "sched_params", "weight",
                             NULL };
        yajl_val d = tree->u.array.values[0], w;

        CHECK_EQ(YAJL_GET_INTEGER(yajl_tree_get(d, idp, yajl_t_number)), 1);
        CHECK_STR_EQ(YAJL_GET_STRING(yajl_tree_get(d, namep,
                                                   yajl_t_string)),
                     "guest");
        /* The KEY=VALUE override is part of the saved config. */
        w = yajl_tree_get(d, wp, yajl_t_number);
        CHECK(w != NULL && YAJL_GET_INTEGER(w) == 512);
    }
    yajl_tree_free(tree);

    XL(&r, "sched-credit", "-d", "guest");
    REQUIRE(ok(&r));
    CHECK_STR_EQ(r.out, "Name                                ID Weight  Cap\n"
                 "guest                                1    512    0\n");

    XL(&r, "destroy", "guest");
    REQUIRE(ok(&r));
    CHECK_STR_EQ(r.out, "");
    CHECK_STR_EQ(r.err, "");
    CHECK(!state_exists(1));
    XL(&r, "list");
    CHECK_STR_EQ(r.out, HEADER DOM0);
    XL(&r, "destroy", "0");
    CHECK_STR_EQ(r.err, "xl-lite: Not destroying domain 0; use -f to "
                 "force.\n");
    XL(&r, "pause", "guest");
    CHECK_STR_EQ(r.err, "xl-lite: no domain named 'guest'\n");
    XL(&r, "pause", "42");
    CHECK_STR_EQ(r.err, "xl-lite: no domain with id 42\n");
    fake_teardown();
}

TEST(xl_fake_vcpus_sched_pause_console_dmesg_irq)
{
    struct run r;
    yajl_val tree;
    char errbuf[128];

    fake_setup();
    XL(&r, "create", "-q", "-p", cfg_path);
    REQUIRE(ok(&r));
    XL(&r, "list", "guest");
    CHECK(strstr(r.out, "     -bp---       1.5\n") == NULL);
    CHECK(strstr(r.out, "     --p---       1.5\n") != NULL);
    XL(&r, "unpause", "guest");
    REQUIRE(ok(&r));
    XL(&r, "pause", "1");
    REQUIRE(ok(&r));
    CHECK(fake_dom_named(1) && fake_dom_named(1)->paused);
    XL(&r, "unpause", "1");
    CHECK(fake_dom_named(1) && !fake_dom_named(1)->paused);

    XL(&r, "vcpu-pin", "guest", "all", "1-2");
    REQUIRE(ok(&r));
    XL(&r, "vcpu-pin", "guest", "0", "3");
    REQUIRE(ok(&r));
    XL(&r, "vcpu-list", "guest");
    REQUIRE(ok(&r));
    CHECK_STR_EQ(r.out, "Name                                ID  VCPU   CPU "
                 "State   Time(s) Affinity (Hard / Soft)\n"
                 "guest                                1     0    0   r--"
                 "       1.5  3 / all\n"
                 "guest                                1     1    -   --p"
                 "       0.0  1-2 / all\n");
    XL(&r, "vcpu-pin", "guest", "5", "1");
    CHECK_STR_EQ(r.err, "xl-lite: VCPU '5': domain 1 has vCPUs 0 to 1\n");
    XL(&r, "vcpu-pin", "guest", "0", "6-7");
    CHECK_STR_EQ(r.err, "xl-lite: CPUS '6-7': no pCPU of this host (it "
                 "has 0-3)\n");

    XL(&r, "sched-credit", "-d", "guest", "-w", "700", "-c", "25");
    REQUIRE(ok(&r));
    CHECK_STR_EQ(r.out, "");
    XL(&r, "sched-credit", "-s", "-t", "10", "-r", "500");
    REQUIRE(ok(&r));
    XL(&r, "sched-credit");
    REQUIRE(ok(&r));
    CHECK_STR_EQ(r.out, "Cpupool Pool-0: tslice=10ms ratelimit=500us "
                 "migration-delay=0us\n"
                 "Name                                ID Weight  Cap\n"
                 "Domain-0                             0    256    0\n"
                 "guest                                1    700   25\n");

    stdin_text = "ping\n";
    XL(&r, "console", "guest");
    stdin_text = NULL;
    REQUIRE(ok(&r));
    CHECK_STR_EQ(r.out, "got: ping\n");

    XL(&r, "debug-keys", "i");
    REQUIRE(ok(&r));
    CHECK_STR_EQ(r.out, "");
    XL(&r, "dmesg", "-c");
    REQUIRE(ok(&r));
    CHECK_STR_EQ(r.out, "(XEN) fake hypervisor up\n(XEN) debug key 'i'\n");
    XL(&r, "dmesg");
    CHECK_STR_EQ(r.out, "");

    XL(&r, "irq-stats", "guest");
    REQUIRE(ok(&r));
    CHECK(strstr(r.out, "pCPU 3 (APIC 6): blocked now 1, peak 2\n"
                 "  vector 0xf0: handler runs 10, scanned mean 1.5 max 3, "
                 "woken 8, spurious 2, blocked 1\n") != NULL);
    CHECK(strstr(r.out, "guest (1) vCPU 1: posts 100, coalesced 4, "
                 "notifications 60 posted 30 wakeup 6 suppressed, IPIs 40 "
                 "fast 2 slow, EOI exits 5, PV EOIs 90, wakes 30, wake "
                 "latency mean 2.0us max 5.0us\n"
                 "  top exits: hlt 50, io 30, cpuid 5\n") != NULL);
    XL(&r, "irq-stats", "--json");
    REQUIRE(ok(&r));
    tree = yajl_tree_parse(r.out, errbuf, sizeof(errbuf));
    REQUIRE(tree != NULL);
    {
        const char *pp[] = { "pcpus", NULL }, *vp[] = { "vcpus", NULL };
        yajl_val p = yajl_tree_get(tree, pp, yajl_t_array);
        yajl_val v = yajl_tree_get(tree, vp, yajl_t_array);

        CHECK(p && p->u.array.len == FAKE_CPUS);
        /* Domain-0's two vCPUs and the guest's two. */
        CHECK(v && v->u.array.len == 4);
    }
    yajl_tree_free(tree);

    XL(&r, "uptime", "guest");
    REQUIRE(ok(&r));
    /* Seconds since creation: the test has taken a few. */
    {
        static const char head[] = "Name                                ID "
                                   "Uptime\nguest                       "
                                   "         1  0:00:0";

        CHECK(!strncmp(r.out, head, sizeof(head) - 1));
        CHECK_EQ(strlen(r.out), sizeof(head) + 1);
    }
    XL(&r, "shutdown", "guest");
    REQUIRE(ok(&r));
    CHECK_STR_EQ(r.err, "PV control interface not available: sending ACPI "
                 "power button event.\n");
    CHECK_EQ(r.out[0], '\0');
    flock(hv_fd, LOCK_EX);
    CHECK_EQ(fake_dom_named(1)->power_presses, 1);
    flock(hv_fd, LOCK_UN);
    XL(&r, "destroy", "guest");
    REQUIRE(ok(&r));
    fake_teardown();
}

/* The guest's part: shut down with 'reason', as the hypervisor records. */
static void guest_shuts_down(uint16_t id, uint32_t reason)
{
    struct fake_dom *d;

    flock(hv_fd, LOCK_EX);
    d = fake_dom_named(id);
    if ( d )
    {
        d->shutdown = true;
        d->reason = reason;
    }
    flock(hv_fd, LOCK_UN);
    CHECK(d != NULL);
}

TEST(xl_fake_monitor_carries_out_on_actions)
{
    struct run r;

    fake_setup();
    /* on_poweroff=destroy (the default): gone, state and all. */
    XL(&r, "create", "-q", cfg_path);
    REQUIRE(ok(&r));
    guest_shuts_down(1, SHUTDOWN_poweroff);
    CHECK(list_becomes(HEADER DOM0));
    CHECK(!state_exists(1));

    /* on_reboot=restart (the default): the same name, a new domain. */
    XL(&r, "create", "-q", cfg_path);
    REQUIRE(ok(&r));
    guest_shuts_down(2, SHUTDOWN_reboot);
    CHECK(list_becomes(HEADER DOM0
                       "guest                                        3    16"
                       "     1     r-----       1.5\n"));
    CHECK(!state_exists(2));
    CHECK(state_exists(3));

    /* on_crash=preserve: left shut down, 's' and 'c', until destroyed. */
    guest_shuts_down(3, SHUTDOWN_crash);
    usleep(600000);
    CHECK(list_becomes(HEADER DOM0
                       "guest                                        3    16"
                       "     1     ---sc-       1.5\n"));
    XL(&r, "destroy", "guest");
    REQUIRE(ok(&r));
    CHECK(list_becomes(HEADER DOM0));
    fake_teardown();
}

TEST(xl_fake_create_from_libvirt_xml_and_restart_it)
{
    char xml_path[160], ramdisk[160];
    struct run r;
    FILE *f;

    fake_setup();
    snprintf(ramdisk, sizeof(ramdisk), "%s/initrd", fake_dir);
    f = fopen(ramdisk, "w");
    REQUIRE(f != NULL);
    fputs("an initrd", f);
    fclose(f);
    snprintf(xml_path, sizeof(xml_path), "%s/guest.xml", fake_dir);
    f = fopen(xml_path, "w");
    REQUIRE(f != NULL);
    fprintf(f, "<domain type='xen'>\n  <name>xmlguest</name>\n"
            "  <memory unit='MiB'>8</memory>\n  <vcpu>1</vcpu>\n"
            "  <os>\n    <type>xenpvh</type>\n"
            "    <kernel>%s</kernel>\n    <initrd>%s</initrd>\n"
            "  </os>\n  <on_reboot>restart</on_reboot>\n</domain>\n",
            kernel_path, ramdisk);
    fclose(f);

    XL(&r, "create", xml_path, "memory=9");
    {
        char want[256];

        snprintf(want, sizeof(want), "xl-lite: create: KEY=VALUE applies "
                 "to xl.cfg files, not to '%s' (see 'xl-lite create "
                 "--help')\n", xml_path);
        CHECK_STR_EQ(r.err, want);
    }
    CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1);
    CHECK_EQ(lines(r.err), 1);

    XL(&r, "create", "-q", xml_path);
    REQUIRE(ok(&r));
    XL(&r, "list", "xmlguest");
    CHECK_STR_EQ(r.out, HEADER
                 "xmlguest                                     1     8     1"
                 "     r-----       1.5\n");
    /* The restart builds it again from the saved XML. */
    guest_shuts_down(1, SHUTDOWN_reboot);
    CHECK(list_becomes(HEADER DOM0
                       "xmlguest                                     2     8"
                       "     1     r-----       1.5\n"));
    XL(&r, "destroy", "xmlguest");
    REQUIRE(ok(&r));
    fake_teardown();
}

TEST(xl_fake_domu_gets_permission_denied)
{
    struct run r;

    fake_setup();
    hv->domu = true;
    XL(&r, "list");
    CHECK_STR_EQ(r.err, "xl-lite: getdomaininfolist: permission denied\n");
    XL(&r, "info");
    CHECK_STR_EQ(r.err, "xl-lite: physinfo: permission denied\n");
    XL(&r, "debug-keys", "q");
    CHECK_STR_EQ(r.err, "xl-lite: cannot send debug keys: permission "
                 "denied\n");
    XL(&r, "create", "-q", cfg_path);
    CHECK_STR_EQ(r.err, "xl-lite: getdomaininfolist: permission denied\n");
    XL(&r, "destroy", "1");
    CHECK_STR_EQ(r.err, "xl-lite: getdomaininfo: permission denied\n");
    CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1);
    fake_teardown();
}

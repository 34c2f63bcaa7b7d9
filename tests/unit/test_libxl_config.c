/*
 * Tests for libxl-lite's configuration (tools/libxl-lite): the xl.cfg and
 * libvirt XML parsers on the sample configs and on malformed files, each
 * error message checked in full, xl create's KEY=VALUE overrides, xl's
 * CPU list syntax, and the `xl list -l` JSON, which must pass python3's
 * json.tool and hold the parsed values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "libxl-lite.h"

#include "harness.h"

#define DATA        LIBXL_TEST_DATA
#define LINUX_CFG   TOOLS_DIR "/dom0/etc/linux.cfg"
#define LINUX_XML   TOOLS_DIR "/dom0/etc/linux.xml"
#define MB_CFG      TOOLS_DIR "/libxl-lite/examples/ipi_pingpong.cfg"
#define MB_XML      TOOLS_DIR "/libxl-lite/examples/ipi_pingpong.xml"
#define DOM0_MB_CFG TOOLS_DIR "/dom0/etc/ipi_pingpong.cfg"
#define DOM0_MB_XML TOOLS_DIR "/dom0/etc/ipi_pingpong.xml"

static struct xll_config *xlcfg(const char *path)
{
    char *err = NULL;
    struct xll_config *cfg = xll_config_from_xlcfg(path, NULL, 0, &err);

    if ( !cfg )
        harness_fail(__FILE__, __LINE__, false, "%s", err);
    CHECK(cfg ? err == NULL : err != NULL);
    free(err);
    return cfg;
}

static struct xll_config *xml(const char *path)
{
    char *err = NULL;
    struct xll_config *cfg = xll_config_from_xml(path, &err);

    if ( !cfg )
        harness_fail(__FILE__, __LINE__, false, "%s", err);
    CHECK(cfg ? err == NULL : err != NULL);
    free(err);
    return cfg;
}

/* The map's CPUs as xl prints a bitmap's ranges, e.g. "0-1,3". */
static const char *cpus_of(const struct xll_cpumap *map)
{
    static char buf[256];
    unsigned int cpu, end;
    size_t n = 0;

    buf[0] = '\0';
    for ( cpu = 0; cpu < XLL_MAX_CPUS; cpu++ )
    {
        if ( !xll_cpumap_test(map, cpu) )
            continue;
        for ( end = cpu; end + 1 < XLL_MAX_CPUS &&
                         xll_cpumap_test(map, end + 1); end++ )
            ;
        n += snprintf(buf + n, sizeof(buf) - n, "%s%u", n ? "," : "", cpu);
        if ( end > cpu )
            n += snprintf(buf + n, sizeof(buf) - n, "-%u", end);
        cpu = end;
    }
    return buf;
}

static void check_linux(const struct xll_config *cfg)
{
    CHECK_STR_EQ(cfg->name, "linux");
    CHECK_EQ(cfg->type, XLL_TYPE_PVH);
    CHECK_EQ(cfg->memory_mib, 256);
    CHECK_EQ(cfg->maxmem_mib, 256);
    CHECK_EQ(cfg->vcpus, 2);
    CHECK_EQ(cfg->max_vcpus, 2);
    CHECK_STR_EQ(cfg->kernel, "/boot/vmlinux");
    CHECK_STR_EQ(cfg->ramdisk, "/boot/initramfs.cpio");
    CHECK_STR_EQ(cfg->cmdline, "console=ttyS0 tsc=reliable quiet -- acpid shell");
    CHECK_EQ(cfg->on_poweroff, XLL_ACTION_DESTROY);
    CHECK_EQ(cfg->on_reboot, XLL_ACTION_RESTART);
    CHECK_EQ(cfg->on_crash, XLL_ACTION_DESTROY);
    CHECK_EQ(cfg->nr_cpumaps, 0);
    CHECK_EQ(cfg->cpu_weight, 256);
    CHECK_EQ(cfg->cap, 0);
}

static void check_multiboot(const struct xll_config *cfg)
{
    unsigned int i;

    CHECK_STR_EQ(cfg->name, "ipi_pingpong");
    CHECK_EQ(cfg->type, XLL_TYPE_MULTIBOOT);
    CHECK_EQ(cfg->memory_mib, 64);
    CHECK_EQ(cfg->maxmem_mib, 128);
    CHECK_EQ(cfg->vcpus, 2);
    CHECK_EQ(cfg->max_vcpus, 4);
    CHECK_STR_EQ(cfg->kernel, "/boot/guests/ipi_pingpong.elf");
    CHECK_STR_EQ(cfg->ramdisk, "/boot/guests/ipi_pingpong.env");
    CHECK_STR_EQ(cfg->cmdline, "ipi_pingpong");
    CHECK_EQ(cfg->on_poweroff, XLL_ACTION_DESTROY);
    CHECK_EQ(cfg->on_reboot, XLL_ACTION_RENAME_RESTART);
    CHECK_EQ(cfg->on_crash, XLL_ACTION_PRESERVE);
    /* One map per vCPU, online or not, as xl makes them. */
    REQUIRE_EQ(cfg->nr_cpumaps, 4);
    for ( i = 0; i < 4; i++ )
        CHECK_STR_EQ(cpus_of(&cfg->cpumaps[i]), "0-1,3");
    CHECK_EQ(cfg->cpu_weight, 256);
    CHECK_EQ(cfg->cap, 0);
}

TEST(xlcfg_linux_pvh)
{
    struct xll_config *cfg = xlcfg(LINUX_CFG);

    REQUIRE(cfg);
    check_linux(cfg);
    xll_config_free(cfg);
}

TEST(xml_linux_pvh_equals_xlcfg)
{
    struct xll_config *a = xlcfg(LINUX_CFG), *b = xml(LINUX_XML);

    REQUIRE(a && b);
    check_linux(b);
    CHECK(xll_config_equal(a, b));
    xll_config_free(a);
    xll_config_free(b);
}

TEST(xlcfg_multiboot)
{
    struct xll_config *cfg = xlcfg(MB_CFG);

    REQUIRE(cfg);
    check_multiboot(cfg);
    xll_config_free(cfg);
}

/* dom0's ready test-kernel domain, in both languages. */
TEST(dom0_multiboot_xml_equals_xlcfg)
{
    struct xll_config *a = xlcfg(DOM0_MB_CFG), *b = xml(DOM0_MB_XML);

    REQUIRE(a && b);
    CHECK_STR_EQ(a->name, "ipi_pingpong");
    CHECK_EQ(a->type, XLL_TYPE_MULTIBOOT);
    CHECK_EQ(a->memory_mib, 16);
    CHECK_EQ(a->vcpus, 2);
    CHECK_STR_EQ(a->ramdisk, "/boot/guests/ipi_pingpong.env");
    CHECK(xll_config_equal(a, b));
    xll_config_free(a);
    xll_config_free(b);
}

TEST(xml_multiboot_equals_xlcfg)
{
    struct xll_config *a = xlcfg(MB_CFG), *b = xml(MB_XML);

    REQUIRE(a && b);
    check_multiboot(b);
    CHECK(xll_config_equal(a, b));
    xll_config_free(a);
    xll_config_free(b);
}

/* xll_config_equal itself: one field apart is not equal. */
TEST(config_equal_sees_each_field)
{
    struct xll_config *a = xlcfg(MB_CFG), *b = xlcfg(MB_CFG);

    REQUIRE(a && b);
    CHECK(xll_config_equal(a, b));
    b->cap = 10;
    CHECK(!xll_config_equal(a, b));
    b->cap = 0;
    b->cpumaps[3].bits[0] ^= 4;
    CHECK(!xll_config_equal(a, b));
    b->cpumaps[3].bits[0] ^= 4;
    free(b->ramdisk);
    b->ramdisk = NULL;
    CHECK(!xll_config_equal(a, b));
    xll_config_free(a);
    xll_config_free(b);
}

TEST(xlcfg_grammar)
{
    struct xll_config *cfg = xlcfg(DATA "/grammar.cfg");

    REQUIRE(cfg);
    CHECK_STR_EQ(cfg->name, "grammar");         /* escapes; last wins */
    CHECK_EQ(cfg->type, XLL_TYPE_MULTIBOOT);    /* after a ';' */
    CHECK_EQ(cfg->memory_mib, 256);             /* 0x100 */
    CHECK_EQ(cfg->maxmem_mib, 256);             /* 0400 */
    CHECK_EQ(cfg->vcpus, 3);
    CHECK_EQ(cfg->max_vcpus, 3);
    CHECK_STR_EQ(cfg->kernel, "/k\"q\"\\x");
    CHECK_STR_EQ(cfg->cmdline, "a\tb+c");       /* cmdline beats root */
    CHECK_EQ(cfg->on_reboot, XLL_ACTION_SOFT_RESET);
    CHECK_EQ(cfg->cpu_weight, 512);
    CHECK_EQ(cfg->cap, 150);
    /* A list over lines with a comment and a trailing comma, then +=. */
    REQUIRE_EQ(cfg->nr_cpumaps, 3);
    CHECK_STR_EQ(cpus_of(&cfg->cpumaps[0]), "0");
    CHECK_STR_EQ(cpus_of(&cfg->cpumaps[1]), "1-2");
    CHECK_STR_EQ(cpus_of(&cfg->cpumaps[2]), "0-255");
    xll_config_free(cfg);
}

/* A lone name with no newline at the end: every other field xl's default. */
TEST(xlcfg_defaults)
{
    struct xll_config *cfg = xlcfg(DATA "/minimal.cfg");

    REQUIRE(cfg);
    CHECK_STR_EQ(cfg->name, "minimal");
    CHECK_EQ(cfg->type, XLL_TYPE_PVH);
    CHECK_EQ(cfg->memory_mib, 32);
    CHECK_EQ(cfg->maxmem_mib, 32);
    CHECK_EQ(cfg->vcpus, 1);
    CHECK_EQ(cfg->max_vcpus, 1);
    CHECK(!cfg->kernel && !cfg->ramdisk && !cfg->cmdline);
    CHECK_EQ(cfg->on_poweroff, XLL_ACTION_DESTROY);
    CHECK_EQ(cfg->on_reboot, XLL_ACTION_RESTART);
    CHECK_EQ(cfg->on_crash, XLL_ACTION_DESTROY);
    CHECK_EQ(cfg->nr_cpumaps, 0);
    CHECK_EQ(cfg->cpu_weight, 256);
    CHECK_EQ(cfg->cap, 0);
    xll_config_free(cfg);
}

static struct xll_config *with(const char *path, const char *const *extra,
                               unsigned int nr, char **err)
{
    *err = NULL;
    return xll_config_from_xlcfg(path, extra, nr, err);
}

/* xl create FILE KEY=VALUE...: read after the file, so they win. */
TEST(xlcfg_overrides)
{
    static const char *const extra[] = {
        "memory=1024", "name=\"other\"; vcpus=4", "maxmem = 2048",
        "cpus=\"1\"",
    };
    struct xll_config *cfg;
    char *err;

    cfg = with(LINUX_CFG, extra, 4, &err);
    REQUIRE(cfg);
    CHECK(!err);
    CHECK_STR_EQ(cfg->name, "other");
    CHECK_EQ(cfg->memory_mib, 1024);
    CHECK_EQ(cfg->maxmem_mib, 2048);
    CHECK_EQ(cfg->vcpus, 4);
    CHECK_EQ(cfg->nr_cpumaps, 4);
    CHECK_STR_EQ(cfg->kernel, "/boot/vmlinux");
    xll_config_free(cfg);
}

/* xl's kernel command line: cmdline, else root= and extra combined. */
TEST(xlcfg_cmdline_rule)
{
    static const char *const root[] = { "root=\"/dev/xvda1\"" };
    static const char *const both[] = {
        "extra=\"console=hvc0\"", "root=\"/dev/xvda1\"",
    };
    static const char *const all[] = {
        "extra=\"console=hvc0\"", "root=\"/dev/xvda1\"", "cmdline=\"ro\"",
    };
    struct xll_config *cfg;
    char *err;

    /* xl's own format keeps the space after root= without extra. */
    cfg = with(DATA "/minimal.cfg", root, 1, &err);
    REQUIRE(cfg);
    CHECK_STR_EQ(cfg->cmdline, "root=/dev/xvda1 ");
    xll_config_free(cfg);

    cfg = with(DATA "/minimal.cfg", both, 2, &err);
    REQUIRE(cfg);
    CHECK_STR_EQ(cfg->cmdline, "root=/dev/xvda1 console=hvc0");
    xll_config_free(cfg);

    cfg = with(DATA "/minimal.cfg", both, 1, &err);
    REQUIRE(cfg);
    CHECK_STR_EQ(cfg->cmdline, "console=hvc0");
    xll_config_free(cfg);

    cfg = with(DATA "/minimal.cfg", all, 3, &err);
    REQUIRE(cfg);
    CHECK_STR_EQ(cfg->cmdline, "ro");
    xll_config_free(cfg);
}

/* Errors in an override name "command line", line N for the Nth. */
TEST(xlcfg_override_errors)
{
    static const char *const type[] = { "memory=64", "vcpus=\"2\"" };
    static const char *const key[] = { "memroy=64" };
    static const char *const syntax[] = { "vcpus=2", "memory=" };
    struct xll_config *cfg;
    char *err;

    cfg = with(DATA "/minimal.cfg", type, 2, &err);
    CHECK(!cfg);
    CHECK_STR_EQ(err, "command line:2:7: vcpus: expected a number, "
                 "not a string");
    free(err);

    cfg = with(DATA "/minimal.cfg", key, 1, &err);
    CHECK(!cfg);
    CHECK_STR_EQ(err, "command line:1:1: unknown key \"memroy\"");
    free(err);

    cfg = with(DATA "/minimal.cfg", syntax, 2, &err);
    CHECK(!cfg);
    CHECK_STR_EQ(err, "command line:2:8: expected a value");
    free(err);
}

struct bad_case
{
    const char *file;
    const char *message;        /* after "PATH:" */
};

/* One malformed xl.cfg per kind of error, each message in full. */
static const struct bad_case bad_xlcfg[] = {
    { "bad_token.cfg", "2:13: unexpected character '@'" },
    { "unterminated.cfg", "1:8: unterminated string" },
    { "unknown_key.cfg", "2:1: unknown key \"memroy\"" },
    { "wrong_type.cfg", "2:10: memory: expected a number, not a string" },
    { "list_for_string.cfg",
      "2:10: kernel: expected a string, not a list" },
    { "out_of_range.cfg", "2:9: vcpus: 256 is out of range (1-255)" },
    { "missing_name.cfg", "3:1: missing name (the one mandatory key)" },
    { "bad_number.cfg", "2:10: bad number \"09\"" },
    { "bad_escape.cfg", "1:10: unknown escape '\\q' in string" },
    { "nul_escape.cfg", "1:10: NUL byte in string" },
    { "bad_key.cfg",
      "2:1: bad key \"Memory\" (keys are [a-z][._0-9a-z]*)" },
    { "no_equals.cfg", "2:8: expected '=' or '+=' after \"memory\"" },
    { "two_values.cfg",
      "2:13: expected a new line or ';' after the value of memory" },
    { "unclosed_list.cfg", "4:1: expected ',' or ']' in list" },
    { "append_number.cfg",
      "3:11: \"+=\" adds a number to a number" },
    { "append_mixed.cfg", "3:10: \"+=\" adds a list to a string" },
    { "bad_type.cfg", "2:8: type: \"hvm\" is not a domain type xen-lite "
      "builds (pvh, multiboot)" },
    { "bad_action.cfg", "2:12: on_crash: unknown action \"explode\" "
      "(destroy, restart, rename-restart, preserve, coredump-destroy, "
      "coredump-restart, soft-reset)" },
    { "bad_cpus.cfg", "3:8: cpus: bad CPU range \"x\"" },
    { "bad_cpus_item.cfg", "4:5: cpus: CPU range \"2-300\" is out of "
      "range (0-255)" },
    { "raw_nul.cfg", "1:11: NUL byte in string" },
    { "too_many_cpus.cfg", "3:8: cpus: 3 CPU lists for 2 vCPUs" },
    { "maxmem_less.cfg",
      "3:10: maxmem: 256 MiB is less than memory (512 MiB)" },
    { "cap_range.cfg",
      "3:7: cap: 201 is out of range (0-200: 100 per vCPU)" },
    { "numeric_name.cfg", "1:8: name: the name is a number, which would "
      "read as a domain ID" },
};

static const struct bad_case bad_xml[] = {
    { "invalid.xml",
      "2:16: Opening and ending tag mismatch: name line 2 and nam" },
    /* libxml2 says which bytes on a second line: only the first is kept. */
    { "not_utf8.xml",
      "2:10: Input is not proper UTF-8, indicate encoding !" },
    { "wrong_root.xml", "1: wrong root element <config>, expected <domain>" },
    { "not_xen.xml", "1: <domain type='kvm'> is not a Xen domain "
      "(type='xen')" },
    { "missing_name.xml", "1: missing <name>" },
    { "bad_unit.xml", "3: <memory>: unknown unit \"KB2\"" },
    { "not_mib.xml", "3: <memory>: 1000 KiB is not a whole number of MiB" },
    { "memory_range.xml",
      "3: <memory>: 2 TiB is out of range (1-1048576 MiB)" },
    { "bad_number.xml", "3: <vcpu>: bad number \"two\"" },
    { "out_of_range.xml", "3: <vcpu>: 0 is out of range (1-255)" },
    { "unknown_element.xml", "3: unsupported element <devices> in <domain>" },
    { "bad_os_type.xml", "5: <type>: \"hvm\" is not an OS type xen-lite "
      "builds (xenpvh, multiboot)" },
    { "duplicate.xml", "3: <name> given twice (first at line 2)" },
    { "bad_action.xml", "3: <on_crash>: unknown action \"explode\" "
      "(destroy, restart, rename-restart, preserve, coredump-destroy, "
      "coredump-restart, soft-reset)" },
    { "current_more.xml",
      "4: <currentMemory>: 128 MiB is more than <memory> (64 MiB)" },
    { "missing_os.xml", "1: missing <os>" },
    { "element_in_text.xml", "2: <b> inside <name>, which holds only text" },
    { "bad_cpuset.xml", "3: <vcpu cpuset>: \"^all\" would leave no CPU" },
};

static void check_bad(const struct bad_case *c, bool is_xml)
{
    char path[512], want[1024];
    struct xll_config *cfg;
    char *err = (char *)1;

    snprintf(path, sizeof(path), "%s/bad/%s", DATA, c->file);
    snprintf(want, sizeof(want), "%s:%s", path, c->message);
    cfg = is_xml ? xll_config_from_xml(path, &err)
                 : xll_config_from_xlcfg(path, NULL, 0, &err);
    CHECK(!cfg);
    CHECK_STR_EQ(err, want);
    xll_config_free(cfg);
    free(err);
}

TEST(xlcfg_malformed)
{
    unsigned int i;

    for ( i = 0; i < sizeof(bad_xlcfg) / sizeof(bad_xlcfg[0]); i++ )
        check_bad(&bad_xlcfg[i], false);
}

TEST(xml_malformed)
{
    unsigned int i;

    for ( i = 0; i < sizeof(bad_xml) / sizeof(bad_xml[0]); i++ )
        check_bad(&bad_xml[i], true);
}

/* No error string asked for: still NULL, nothing leaked. */
TEST(errors_without_err_pointer)
{
    CHECK(!xll_config_from_xlcfg(DATA "/bad/bad_token.cfg", NULL, 0, NULL));
    CHECK(!xll_config_from_xml(DATA "/bad/invalid.xml", NULL));
}

TEST(missing_file)
{
    char *err = NULL;

    CHECK(!xll_config_from_xlcfg(DATA "/nonexistent.cfg", NULL, 0, &err));
    CHECK_STR_EQ(err, DATA "/nonexistent.cfg: No such file or directory");
    free(err);
    err = NULL;
    CHECK(!xll_config_from_xml(DATA "/nonexistent.xml", &err));
    CHECK_STR_EQ(err, DATA "/nonexistent.xml: No such file or directory");
    free(err);
}

TEST(cpumap_syntax)
{
    static const struct
    {
        const char *in, *cpus, *why;
    } cases[] = {
        { "all", "0-255", NULL },
        { "0-3,^2", "0-1,3", NULL },
        { "5", "5", NULL },
        { "all,^0-253", "254-255", NULL },
        { "3,1,2", "1-3", NULL },
        { "^1", NULL, "the CPU list leaves no CPU" },
        { "3-1", NULL, "CPU range \"3-1\" runs backwards" },
        { "256", NULL, "CPU range \"256\" is out of range (0-255)" },
        { "250-300", NULL,
          "CPU range \"250-300\" is out of range (0-255)" },
        { "0,,1", NULL, "empty item in CPU list" },
        { "0-", NULL, "bad CPU range \"0-\"" },
        { "-1", NULL, "bad CPU range \"-1\"" },
        { "^all", NULL, "\"^all\" would leave no CPU" },
        { "nodes:0", NULL, "\"nodes:0\": xen-lite has no NUMA nodes" },
        { "99999999999999999999", NULL,
          "CPU range \"99999999999999999999\" is out of range (0-255)" },
    };
    struct xll_cpumap map;
    unsigned int i;
    char *why;

    for ( i = 0; i < sizeof(cases) / sizeof(cases[0]); i++ )
    {
        why = NULL;
        if ( cases[i].cpus )
        {
            CHECK_EQ(xll_cpumap_parse(cases[i].in, &map, &why), 0);
            CHECK_STR_EQ(cpus_of(&map), cases[i].cpus);
        }
        else
        {
            CHECK_EQ(xll_cpumap_parse(cases[i].in, &map, &why), -1);
            CHECK_STR_EQ(why, cases[i].why);
        }
        free(why);
    }
}

TEST(names_round_trip)
{
    static const char *const actions[] = {
        "destroy", "restart", "rename-restart", "preserve",
        "coredump-destroy", "coredump-restart", "soft-reset",
    };
    unsigned int i;

    for ( i = 0; i < 7; i++ )
    {
        CHECK_EQ(xll_action_from_name(actions[i]), i);
        CHECK_STR_EQ(xll_action_name(i), actions[i]);
    }
    CHECK_EQ(xll_action_from_name("Destroy"), -1);
    CHECK(!xll_action_name(7));
    CHECK_EQ(xll_type_from_name("pvh"), XLL_TYPE_PVH);
    CHECK_EQ(xll_type_from_name("multiboot"), XLL_TYPE_MULTIBOOT);
    CHECK_EQ(xll_type_from_name("hvm"), -1);
    CHECK_STR_EQ(xll_type_name(XLL_TYPE_MULTIBOOT), "multiboot");
}

/*
 * The JSON as python3's json.tool reads it: 'json' goes through
 * `python3 -m json.tool`, which must accept it, and its output is parsed
 * back with yajl's tree parser for the checks.
 */
static yajl_val through_json_tool(const char *json)
{
    char tmpl[] = "/tmp/libxl-json-XXXXXX", cmd[128], ebuf[256];
    char *out = NULL;
    size_t len = 0, n;
    yajl_val tree = NULL;
    FILE *f, *p;
    int fd, status;

    fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    f = fdopen(fd, "w");
    REQUIRE(f);
    CHECK_EQ(fputs(json, f) >= 0, 1);
    CHECK_EQ(fclose(f), 0);

    snprintf(cmd, sizeof(cmd), "python3 -m json.tool %s", tmpl);
    p = popen(cmd, "r");
    if ( !p )
    {
        unlink(tmpl);
        REQUIRE(p);
    }
    for ( ;; )
    {
        out = realloc(out, len + 4096 + 1);
        if ( !out )
            break;
        n = fread(out + len, 1, 4096, p);
        len += n;
        if ( n == 0 )
            break;
    }
    status = pclose(p);
    unlink(tmpl);
    REQUIRE(out);
    out[len] = '\0';
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if ( !(WIFEXITED(status) && WEXITSTATUS(status) == 0) )
        printf("  json.tool said: %s\n  on: %s\n", out, json);
    tree = yajl_tree_parse(out, ebuf, sizeof(ebuf));
    if ( !tree )
        harness_fail(__FILE__, __LINE__, false, "yajl: %s", ebuf);
    free(out);
    return tree;
}

static yajl_val get(yajl_val v, const char *a, const char *b, const char *c)
{
    const char *path[] = { a, b, c, NULL };

    return yajl_tree_get(v, path, yajl_t_any);
}

static void check_string(yajl_val v, const char *a, const char *b,
                         const char *want)
{
    yajl_val s = get(v, a, b, NULL);

    if ( !want )
    {
        CHECK(!s);
        return;
    }
    REQUIRE(s && YAJL_IS_STRING(s));
    CHECK_STR_EQ(YAJL_GET_STRING(s), want);
}

static long long integer(yajl_val v, const char *a, const char *b,
                         const char *c)
{
    yajl_val n = get(v, a, b, c);

    if ( !n || !YAJL_IS_INTEGER(n) )
    {
        harness_fail(__FILE__, __LINE__, false, "no integer at %s.%s.%s",
                     a, b, c ? c : "");
        return -1;
    }
    return YAJL_GET_INTEGER(n);
}

/* An array of integers, as "0,1,3" (bitmaps and avail_vcpus). */
static const char *int_list(yajl_val a)
{
    static char buf[1024];
    size_t n = 0, i;

    buf[0] = '\0';
    if ( !a || !YAJL_IS_ARRAY(a) )
        return "(not an array)";
    for ( i = 0; i < a->u.array.len; i++ )
    {
        if ( !YAJL_IS_INTEGER(a->u.array.values[i]) )
            return "(not integers)";
        n += snprintf(buf + n, sizeof(buf) - n, "%s%lld", i ? "," : "",
                      YAJL_GET_INTEGER(a->u.array.values[i]));
    }
    return buf;
}

/* Every value the JSON should hold for 'cfg', against the struct. */
static void check_domain_json(yajl_val dom, unsigned int domid,
                              const struct xll_config *cfg)
{
    static const char *const libxl_action[] = {
        "destroy", "restart", "restart_rename", "preserve",
        "coredump_destroy", "coredump_restart", "soft_reset",
    };
    yajl_val config = get(dom, "config", NULL, NULL);
    yajl_val v;
    char want[1024], key[32];
    size_t n = 0;
    unsigned int i;

    REQUIRE(config && YAJL_IS_OBJECT(config));
    CHECK_EQ(integer(dom, "domid", NULL, NULL), domid);
    check_string(config, "c_info", "name", cfg->name);
    check_string(config, "c_info", "type", xll_type_name(cfg->type));
    CHECK_EQ(integer(config, "b_info", "max_vcpus", NULL), cfg->max_vcpus);
    for ( i = 0; i < cfg->vcpus; i++ )
        n += snprintf(want + n, sizeof(want) - n, "%s%u", i ? "," : "", i);
    CHECK_STR_EQ(int_list(get(config, "b_info", "avail_vcpus", NULL)), want);
    CHECK_EQ(integer(config, "b_info", "max_memkb", NULL),
             cfg->maxmem_mib * 1024ULL);
    CHECK_EQ(integer(config, "b_info", "target_memkb", NULL),
             cfg->memory_mib * 1024ULL);
    check_string(config, "b_info", "kernel", cfg->kernel);
    check_string(config, "b_info", "ramdisk", cfg->ramdisk);
    check_string(config, "b_info", "cmdline", cfg->cmdline);
    snprintf(key, sizeof(key), "type.%s", xll_type_name(cfg->type));
    v = get(config, "b_info", key, NULL);
    CHECK(v && YAJL_IS_OBJECT(v) && v->u.object.len == 0);

    v = get(config, "b_info", "sched_params", NULL);
    REQUIRE(v && YAJL_IS_OBJECT(v));
    if ( cfg->cpu_weight != 256 )
        CHECK_EQ(integer(v, "weight", NULL, NULL), cfg->cpu_weight);
    else
        CHECK(!get(v, "weight", NULL, NULL));
    if ( cfg->cap )
        CHECK_EQ(integer(v, "cap", NULL, NULL), cfg->cap);
    else
        CHECK(!get(v, "cap", NULL, NULL));

    v = get(config, "b_info", "vcpu_hard_affinity", NULL);
    if ( !cfg->nr_cpumaps )
        CHECK(!v);
    else
    {
        REQUIRE(v && YAJL_IS_ARRAY(v));
        REQUIRE_EQ(v->u.array.len, cfg->nr_cpumaps);
        for ( i = 0; i < cfg->nr_cpumaps; i++ )
        {
            unsigned int cpu;

            n = 0;
            want[0] = '\0';
            for ( cpu = 0; cpu < XLL_MAX_CPUS; cpu++ )
                if ( xll_cpumap_test(&cfg->cpumaps[i], cpu) )
                    n += snprintf(want + n, sizeof(want) - n, "%s%u",
                                  n ? "," : "", cpu);
            CHECK_STR_EQ(int_list(v->u.array.values[i]), want);
        }
    }

    /* libxl leaves out what equals its default, destroy. */
    check_string(dom, "config", "on_poweroff",
                 cfg->on_poweroff ? libxl_action[cfg->on_poweroff] : NULL);
    check_string(dom, "config", "on_reboot",
                 cfg->on_reboot ? libxl_action[cfg->on_reboot] : NULL);
    check_string(dom, "config", "on_crash",
                 cfg->on_crash ? libxl_action[cfg->on_crash] : NULL);
}

static void check_json_of(const struct xll_config *const *cfgs,
                          const uint32_t *domids, unsigned int nr)
{
    char *err = NULL, *json;
    yajl_val tree;
    unsigned int i;

    json = xll_domains_to_json(cfgs, domids, nr, &err);
    REQUIRE(json);
    CHECK(!err);
    tree = through_json_tool(json);
    free(json);
    REQUIRE(tree);
    if ( !YAJL_IS_ARRAY(tree) || tree->u.array.len != nr )
    {
        yajl_tree_free(tree);
        REQUIRE(!"the JSON is not an array of one entry per domain");
    }
    for ( i = 0; i < nr; i++ )
        check_domain_json(tree->u.array.values[i], domids[i], cfgs[i]);
    yajl_tree_free(tree);
}

TEST(json_linux_pvh)
{
    struct xll_config *cfg = xlcfg(LINUX_CFG);
    const struct xll_config *cfgs[] = { cfg };
    const uint32_t domids[] = { 1 };

    REQUIRE(cfg);
    check_json_of(cfgs, domids, 1);
    xll_config_free(cfg);
}

TEST(json_multiboot_and_grammar)
{
    struct xll_config *a = xml(MB_XML), *b = xlcfg(DATA "/grammar.cfg");
    const struct xll_config *cfgs[] = { a, b };
    const uint32_t domids[] = { 7, 12 };

    REQUIRE(a && b);
    check_json_of(cfgs, domids, 2);
    xll_config_free(a);
    xll_config_free(b);
}

/* The exact text for the smallest config: xl's layout, as yajl makes it. */
TEST(json_layout)
{
    static const char want[] =
        "[\n"
        "    {\n"
        "        \"domid\": 3,\n"
        "        \"config\": {\n"
        "            \"c_info\": {\n"
        "                \"type\": \"pvh\",\n"
        "                \"name\": \"minimal\"\n"
        "            },\n"
        "            \"b_info\": {\n"
        "                \"max_vcpus\": 1,\n"
        "                \"avail_vcpus\": [\n"
        "                    0\n"
        "                ],\n"
        "                \"max_memkb\": 32768,\n"
        "                \"target_memkb\": 32768,\n"
        "                \"sched_params\": {\n"
        "\n"
        "                },\n"
        "                \"type.pvh\": {\n"
        "\n"
        "                }\n"
        "            },\n"
        "            \"on_reboot\": \"restart\"\n"
        "        }\n"
        "    }\n"
        "]\n";
    struct xll_config *cfg = xlcfg(DATA "/minimal.cfg");
    const struct xll_config *cfgs[] = { cfg };
    const uint32_t domids[] = { 3 };
    char *json, *err = NULL;

    REQUIRE(cfg);
    json = xll_domains_to_json(cfgs, domids, 1, &err);
    CHECK_STR_EQ(json, want);
    free(json);
    free(err);

    /* No domains: an empty array, as xl list -l prints for none. */
    json = xll_domains_to_json(NULL, NULL, 0, &err);
    CHECK_STR_EQ(json, "[\n\n]\n");
    free(json);
    xll_config_free(cfg);
}

/* Bytes that are not UTF-8 cannot go into JSON: said, not mangled. */
TEST(json_refuses_invalid_utf8)
{
    static const char *const extra[] = { "name=\"caf\\xe9\"" };
    struct xll_config *cfg;
    const struct xll_config *cfgs[1];
    const uint32_t domids[] = { 2 };
    char *json, *err = NULL;

    cfg = xll_config_from_xlcfg(DATA "/minimal.cfg", extra, 1, &err);
    REQUIRE(cfg);
    cfgs[0] = cfg;
    json = xll_domains_to_json(cfgs, domids, 1, &err);
    CHECK(!json);
    CHECK_STR_EQ(err, "JSON: name of domain caf\xe9 is not valid UTF-8");
    free(json);
    free(err);
    xll_config_free(cfg);
}

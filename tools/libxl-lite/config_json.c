/*
 * Domain configurations as JSON in the shape of `xl list -l`, written
 * with yajl: an array of {"domid": N, "config": {...}} where config is
 * libxl_domain_config as libxl's generated JSON writes it (see
 * XL-CONVENTIONS.md): c_info, b_info and the on_* actions, fields left
 * out when they hold their default, enums as lowercase strings, bitmaps
 * as arrays of the set bits, the build type as "type.pvh": {}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "private.h"

/*
 * libxl's names for libxl_action_on_shutdown, in xll_action order; they
 * differ from xl.cfg's ("rename-restart" is "restart_rename").
 */
static const char *const json_actions[] = {
    [XLL_ACTION_DESTROY]          = "destroy",
    [XLL_ACTION_RESTART]          = "restart",
    [XLL_ACTION_RENAME_RESTART]   = "restart_rename",
    [XLL_ACTION_PRESERVE]         = "preserve",
    [XLL_ACTION_COREDUMP_DESTROY] = "coredump_destroy",
    [XLL_ACTION_COREDUMP_RESTART] = "coredump_restart",
    [XLL_ACTION_SOFT_RESET]       = "soft_reset",
};

/*
 * yajl's calls return yajl_gen_status_ok (0) or an error; these chain
 * them so that the first failure ends the output.
 */
struct out
{
    yajl_gen g;
    yajl_gen_status st;
    const char *what;           /* the field being written, for errors */
};

static void key(struct out *o, const char *k)
{
    if ( o->st == yajl_gen_status_ok )
    {
        o->what = k;
        o->st = yajl_gen_string(o->g, (const unsigned char *)k, strlen(k));
    }
}

static void str(struct out *o, const char *k, const char *v)
{
    key(o, k);
    if ( o->st == yajl_gen_status_ok )
        o->st = yajl_gen_string(o->g, (const unsigned char *)v, strlen(v));
}

static void num(struct out *o, const char *k, long long v)
{
    key(o, k);
    if ( o->st == yajl_gen_status_ok )
        o->st = yajl_gen_integer(o->g, v);
}

static void map_open(struct out *o, const char *k)
{
    if ( k )
        key(o, k);
    if ( o->st == yajl_gen_status_ok )
        o->st = yajl_gen_map_open(o->g);
}

static void map_close(struct out *o)
{
    if ( o->st == yajl_gen_status_ok )
        o->st = yajl_gen_map_close(o->g);
}

static void array_open(struct out *o, const char *k)
{
    if ( k )
        key(o, k);
    if ( o->st == yajl_gen_status_ok )
        o->st = yajl_gen_array_open(o->g);
}

static void array_close(struct out *o)
{
    if ( o->st == yajl_gen_status_ok )
        o->st = yajl_gen_array_close(o->g);
}

static void bitmap(struct out *o, const struct xll_cpumap *map)
{
    unsigned int cpu;

    array_open(o, NULL);
    for ( cpu = 0; cpu < XLL_MAX_CPUS; cpu++ )
        if ( xll_cpumap_test(map, cpu) && o->st == yajl_gen_status_ok )
            o->st = yajl_gen_integer(o->g, cpu);
    array_close(o);
}

static void action(struct out *o, const char *k, enum xll_action a)
{
    /* libxl's default for every on_* is destroy: left out, as xl does. */
    if ( a != XLL_ACTION_DESTROY )
        str(o, k, json_actions[a]);
}

static void config(struct out *o, const struct xll_config *cfg)
{
    const char *type = xll_type_name(cfg->type);
    char union_key[32];
    unsigned int i;

    map_open(o, "config");

    map_open(o, "c_info");
    str(o, "type", type);
    str(o, "name", cfg->name);
    map_close(o);

    map_open(o, "b_info");
    num(o, "max_vcpus", cfg->max_vcpus);
    array_open(o, "avail_vcpus");
    for ( i = 0; i < cfg->vcpus && o->st == yajl_gen_status_ok; i++ )
        o->st = yajl_gen_integer(o->g, i);
    array_close(o);
    if ( cfg->nr_cpumaps )
    {
        array_open(o, "vcpu_hard_affinity");
        for ( i = 0; i < cfg->nr_cpumaps; i++ )
            bitmap(o, &cfg->cpumaps[i]);
        array_close(o);
    }
    num(o, "max_memkb", (long long)cfg->maxmem_mib * 1024);
    num(o, "target_memkb", (long long)cfg->memory_mib * 1024);
    /*
     * libxl leaves weight and cap out when xl.cfg did not set them; here
     * the defaults are resolved already, so they are left out when they
     * equal the scheduler's defaults.
     */
    map_open(o, "sched_params");
    if ( cfg->cpu_weight != XLL_DEFAULT_WEIGHT )
        num(o, "weight", cfg->cpu_weight);
    if ( cfg->cap )
        num(o, "cap", cfg->cap);
    map_close(o);
    if ( cfg->kernel )
        str(o, "kernel", cfg->kernel);
    if ( cfg->cmdline )
        str(o, "cmdline", cfg->cmdline);
    if ( cfg->ramdisk )
        str(o, "ramdisk", cfg->ramdisk);
    snprintf(union_key, sizeof(union_key), "type.%s", type);
    map_open(o, union_key);
    map_close(o);
    map_close(o);

    /*
     * libxl_domain_config's order; on_watchdog and on_soft_reset are
     * always destroy here, so never printed.
     */
    action(o, "on_poweroff", cfg->on_poweroff);
    action(o, "on_reboot", cfg->on_reboot);
    action(o, "on_crash", cfg->on_crash);

    map_close(o);
}

char *xll_domains_to_json(const struct xll_config *const *cfgs,
                          const uint32_t *domids, unsigned int nr,
                          char **err)
{
    struct out o = { .st = yajl_gen_status_ok };
    const unsigned char *buf;
    size_t len;
    char *s = NULL;
    unsigned int i;

    if ( err )
        *err = NULL;
    o.g = yajl_gen_alloc(NULL);
    if ( !o.g )
    {
        xll__error(err, "JSON: out of memory");
        return NULL;
    }
    /* xl's own settings: pretty, four spaces, and only valid UTF-8. */
    yajl_gen_config(o.g, yajl_gen_beautify, 1);
    yajl_gen_config(o.g, yajl_gen_indent_string, "    ");
    yajl_gen_config(o.g, yajl_gen_validate_utf8, 1);

    array_open(&o, NULL);
    for ( i = 0; i < nr; i++ )
    {
        map_open(&o, NULL);
        num(&o, "domid", domids[i]);
        config(&o, cfgs[i]);
        map_close(&o);
        if ( o.st != yajl_gen_status_ok )
            break;
    }
    array_close(&o);

    if ( o.st == yajl_gen_invalid_string )
        xll__error(err, "JSON: %s of domain %s is not valid UTF-8", o.what,
                   cfgs[i]->name);
    else if ( o.st != yajl_gen_status_ok ||
              yajl_gen_get_buf(o.g, &buf, &len) != yajl_gen_status_ok )
        xll__error(err, "JSON: yajl failed (status %d)", o.st);
    else if ( !(s = malloc(len + 2)) )
        xll__error(err, "JSON: out of memory");
    else
    {
        memcpy(s, buf, len);
        /* One line per field, the last one ended like the others. */
        if ( !len || buf[len - 1] != '\n' )
            s[len++] = '\n';
        s[len] = '\0';
    }
    yajl_gen_free(o.g);
    return s;
}

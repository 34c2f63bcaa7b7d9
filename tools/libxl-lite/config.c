/*
 * libxl-lite's domain configuration: defaults, freeing, comparing, the
 * names of domain types and shutdown actions, xl's CPU list syntax, and
 * the small helpers (errors, reading files) the parsers share.
 */
#define _GNU_SOURCE             /* vasprintf */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

char *xll__vprintf(const char *fmt, va_list ap)
{
    char *s;

    if ( vasprintf(&s, fmt, ap) < 0 )
        return NULL;
    return s;
}

char *xll__printf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = xll__vprintf(fmt, ap);
    va_end(ap);
    return s;
}

int xll__error(char **err, const char *fmt, ...)
{
    va_list ap;

    if ( err )
    {
        va_start(ap, fmt);
        *err = xll__vprintf(fmt, ap);
        va_end(ap);
    }
    return -1;
}

char *xll__read_file(const char *path, size_t *len, char **err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL, *nbuf;
    size_t size = 0, used = 0, n;

    if ( !f )
    {
        xll__error(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    for ( ;; )
    {
        if ( size - used < 4096 )
        {
            size = size ? size * 2 : 8192;
            nbuf = realloc(buf, size);
            if ( !nbuf )
            {
                xll__error(err, "%s: out of memory", path);
                goto fail;
            }
            buf = nbuf;
        }
        /* Leave a byte for the terminating NUL. */
        n = fread(buf + used, 1, size - used - 1, f);
        used += n;
        if ( n == 0 )
            break;
    }
    if ( ferror(f) )
    {
        xll__error(err, "%s: read error", path);
        goto fail;
    }
    fclose(f);
    buf[used] = '\0';
    *len = used;
    return buf;

 fail:
    fclose(f);
    free(buf);
    return NULL;
}

struct xll_config *xll__config_new(void)
{
    struct xll_config *cfg = calloc(1, sizeof(*cfg));

    if ( !cfg )
        return NULL;
    cfg->type = XLL_TYPE_PVH;
    cfg->memory_mib = XLL_DEFAULT_MEMORY_MIB;
    cfg->maxmem_mib = XLL_DEFAULT_MEMORY_MIB;
    cfg->vcpus = 1;
    cfg->max_vcpus = 1;
    /* xl.cfg(5): destroy, restart, destroy. */
    cfg->on_poweroff = XLL_ACTION_DESTROY;
    cfg->on_reboot = XLL_ACTION_RESTART;
    cfg->on_crash = XLL_ACTION_DESTROY;
    cfg->cpu_weight = XLL_DEFAULT_WEIGHT;
    cfg->cap = 0;
    return cfg;
}

void xll_config_free(struct xll_config *cfg)
{
    if ( !cfg )
        return;
    free(cfg->name);
    free(cfg->kernel);
    free(cfg->ramdisk);
    free(cfg->cmdline);
    free(cfg->cpumaps);
    free(cfg);
}

int xll__config_set_cpumaps(struct xll_config *cfg,
                            const struct xll_cpumap *maps,
                            unsigned int count)
{
    struct xll_cpumap *copy = NULL;

    if ( count )
    {
        copy = calloc(count, sizeof(*copy));
        if ( !copy )
            return -1;
        memcpy(copy, maps, count * sizeof(*copy));
    }
    free(cfg->cpumaps);
    cfg->cpumaps = copy;
    cfg->nr_cpumaps = count;
    return 0;
}

static bool str_equal(const char *a, const char *b)
{
    if ( !a || !b )
        return a == b;
    return !strcmp(a, b);
}

bool xll_config_equal(const struct xll_config *a,
                      const struct xll_config *b)
{
    return str_equal(a->name, b->name) &&
           a->type == b->type &&
           a->memory_mib == b->memory_mib &&
           a->maxmem_mib == b->maxmem_mib &&
           a->vcpus == b->vcpus &&
           a->max_vcpus == b->max_vcpus &&
           str_equal(a->kernel, b->kernel) &&
           str_equal(a->ramdisk, b->ramdisk) &&
           str_equal(a->cmdline, b->cmdline) &&
           a->on_poweroff == b->on_poweroff &&
           a->on_reboot == b->on_reboot &&
           a->on_crash == b->on_crash &&
           a->nr_cpumaps == b->nr_cpumaps &&
           (!a->nr_cpumaps ||
            !memcmp(a->cpumaps, b->cpumaps,
                    a->nr_cpumaps * sizeof(*a->cpumaps))) &&
           a->cpu_weight == b->cpu_weight &&
           a->cap == b->cap;
}

/* xl.cfg(5)'s spelling, in enum order. */
static const char *const action_names[] = {
    [XLL_ACTION_DESTROY]          = "destroy",
    [XLL_ACTION_RESTART]          = "restart",
    [XLL_ACTION_RENAME_RESTART]   = "rename-restart",
    [XLL_ACTION_PRESERVE]         = "preserve",
    [XLL_ACTION_COREDUMP_DESTROY] = "coredump-destroy",
    [XLL_ACTION_COREDUMP_RESTART] = "coredump-restart",
    [XLL_ACTION_SOFT_RESET]       = "soft-reset",
};

const char *xll_action_name(enum xll_action action)
{
    if ( (unsigned int)action >= sizeof(action_names) /
                                 sizeof(action_names[0]) )
        return NULL;
    return action_names[action];
}

int xll_action_from_name(const char *name)
{
    unsigned int i;

    for ( i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++ )
        if ( !strcmp(name, action_names[i]) )
            return i;
    return -1;
}

static const char *const type_names[] = {
    [XLL_TYPE_PVH]       = "pvh",
    [XLL_TYPE_MULTIBOOT] = "multiboot",
};

const char *xll_type_name(enum xll_domain_type type)
{
    if ( (unsigned int)type >= sizeof(type_names) / sizeof(type_names[0]) )
        return NULL;
    return type_names[type];
}

int xll_type_from_name(const char *name)
{
    unsigned int i;

    for ( i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++ )
        if ( !strcmp(name, type_names[i]) )
            return i;
    return -1;
}

bool xll_cpumap_test(const struct xll_cpumap *map, unsigned int cpu)
{
    return cpu < XLL_MAX_CPUS && (map->bits[cpu / 64] >> (cpu % 64)) & 1;
}

static void cpumap_assign(struct xll_cpumap *map, unsigned int cpu,
                          bool set)
{
    if ( set )
        map->bits[cpu / 64] |= 1ULL << (cpu % 64);
    else
        map->bits[cpu / 64] &= ~(1ULL << (cpu % 64));
}

/* A CPU number at *p: decimal digits only, as xl reads them. */
static int cpu_number(const char **p, unsigned long *v)
{
    const char *s = *p;
    unsigned long n = 0;

    if ( *s < '0' || *s > '9' )
        return -1;
    while ( *s >= '0' && *s <= '9' )
    {
        /* Past XLL_MAX_CPUS is refused by the caller: stop growing. */
        if ( n <= XLL_MAX_CPUS )
            n = n * 10 + (*s - '0');
        s++;
    }
    *p = s;
    *v = n;
    return 0;
}

/* One item of a CPU list, between commas: [^](all|N|N-M). */
static int cpumap_item(const char *item, size_t len,
                       struct xll_cpumap *map, char **why)
{
    char buf[64];
    const char *p = buf;
    bool remove = false;
    unsigned long lo, hi, cpu;

    if ( len == 0 )
        return xll__error(why, "empty item in CPU list");
    if ( len >= sizeof(buf) )
        return xll__error(why, "bad CPU range \"%.*s\"", (int)len, item);
    memcpy(buf, item, len);
    buf[len] = '\0';

    if ( *p == '^' )
    {
        remove = true;
        p++;
    }
    if ( !strcmp(p, "all") )
    {
        /* xl refuses "^all" too: it would leave nothing. */
        if ( remove )
            return xll__error(why, "\"^all\" would leave no CPU");
        memset(map->bits, 0xff, sizeof(map->bits));
        return 0;
    }
    if ( !strncmp(p, "node:", 5) || !strncmp(p, "nodes:", 6) )
        return xll__error(why, "\"%s\": xen-lite has no NUMA nodes", buf);
    if ( cpu_number(&p, &lo) )
        return xll__error(why, "bad CPU range \"%s\"", buf);
    hi = lo;
    if ( *p == '-' )
    {
        p++;
        if ( cpu_number(&p, &hi) )
            return xll__error(why, "bad CPU range \"%s\"", buf);
    }
    if ( *p )
        return xll__error(why, "bad CPU range \"%s\"", buf);
    if ( hi < lo )
        return xll__error(why, "CPU range \"%s\" runs backwards", buf);
    if ( hi >= XLL_MAX_CPUS )
        return xll__error(why, "CPU range \"%s\" is out of range (0-%u)",
                          buf, XLL_MAX_CPUS - 1);
    for ( cpu = lo; cpu <= hi; cpu++ )
        cpumap_assign(map, cpu, !remove);
    return 0;
}

int xll_cpumap_parse(const char *s, struct xll_cpumap *map, char **why)
{
    const char *comma;
    unsigned int i;

    memset(map, 0, sizeof(*map));
    for ( ;; )
    {
        comma = strchr(s, ',');
        if ( cpumap_item(s, comma ? (size_t)(comma - s) : strlen(s),
                         map, why) )
            return -1;
        if ( !comma )
            break;
        s = comma + 1;
    }
    for ( i = 0; i < XLL_MAX_CPUS / 64; i++ )
        if ( map->bits[i] )
            return 0;
    /* xl would take it and fail at pinning; say it now. */
    return xll__error(why, "the CPU list leaves no CPU");
}

const char *xll__name_problem(const char *name)
{
    const char *p;

    if ( !*name )
        return "the name is empty";
    for ( p = name; *p; p++ )
        if ( (unsigned char)*p < 0x20 || *p == 0x7f )
            return "the name holds a control character";
    /* `xl destroy 5` means domain ID 5: a name must not look like one. */
    if ( strspn(name, "0123456789") == strlen(name) )
        return "the name is a number, which would read as a domain ID";
    return NULL;
}

/*
 * libvirt domain XML (formatdomain.rst) for Xen PVH guests, read with
 * libxml2 into the same struct xll_config as an xl.cfg file:
 *
 *   <domain type='xen'>
 *     <name>, <memory unit=...> (the maximum), <currentMemory unit=...>
 *     (at start, default <memory>), <vcpu current=... cpuset=...>,
 *     <os> with <type>xenpvh</type> (or multiboot), <kernel>, <initrd>,
 *     <cmdline>, and <on_poweroff>, <on_reboot>, <on_crash>
 *
 * Any other element is refused rather than ignored, so that nothing a
 * file asks for is silently dropped; only <title>, <description> and
 * <metadata>, which describe and do not configure, are skipped.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "private.h"

#define MIB (1ULL << 20)

struct xml_ctx
{
    const char *path;
    char **err;
};

static int xerror(struct xml_ctx *x, xmlNodePtr node, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static int xerror(struct xml_ctx *x, xmlNodePtr node, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = xll__vprintf(fmt, ap);
    va_end(ap);
    xll__error(x->err, "%s:%ld: %s", x->path, xmlGetLineNo(node),
               msg ? msg : "out of memory");
    free(msg);
    return -1;
}

static bool is(xmlNodePtr node, const char *name)
{
    return !strcmp((const char *)node->name, name);
}

/*
 * The text of a leaf element, malloc'd; an element inside it is an
 * error.  'trim' drops surrounding blanks, for numbers and keywords.
 */
static int leaf_text(struct xml_ctx *x, xmlNodePtr node, bool trim,
                     char **out)
{
    xmlNodePtr c;
    xmlChar *content;
    char *s, *e;

    for ( c = node->children; c; c = c->next )
        if ( c->type == XML_ELEMENT_NODE )
            return xerror(x, c, "<%s> inside <%s>, which holds only text",
                          (const char *)c->name, (const char *)node->name);
    content = xmlNodeGetContent(node);
    if ( !content )
        return xerror(x, node, "out of memory");
    s = (char *)content;
    if ( trim )
    {
        s += strspn(s, " \t\r\n");
        e = s + strlen(s);
        while ( e > s && strchr(" \t\r\n", e[-1]) )
            e--;
        *e = '\0';
    }
    *out = strdup(s);
    xmlFree(content);
    if ( !*out )
        return xerror(x, node, "out of memory");
    return 0;
}

/* A decimal number as libvirt reads one; 'what' names it in errors. */
static int parse_ull(struct xml_ctx *x, xmlNodePtr node, const char *what,
                     const char *s, unsigned long long *v)
{
    char *end;

    errno = 0;
    if ( *s < '0' || *s > '9' )
        return xerror(x, node, "%s: bad number \"%s\"", what, s);
    *v = strtoull(s, &end, 10);
    if ( *end )
        return xerror(x, node, "%s: bad number \"%s\"", what, s);
    if ( errno == ERANGE )
        return xerror(x, node, "%s: %s is too large", what, s);
    return 0;
}

static int element_number(struct xml_ctx *x, xmlNodePtr node,
                          unsigned long long min, unsigned long long max,
                          unsigned int *out)
{
    unsigned long long v;
    char *text, what[64];
    int rc = -1;

    snprintf(what, sizeof(what), "<%s>", (const char *)node->name);
    if ( leaf_text(x, node, true, &text) )
        return -1;
    if ( parse_ull(x, node, what, text, &v) )
        goto out;
    if ( v < min || v > max )
    {
        xerror(x, node, "%s: %llu is out of range (%llu-%llu)", what, v,
               min, max);
        goto out;
    }
    *out = v;
    rc = 0;
 out:
    free(text);
    return rc;
}

/* libvirt's memory units (formatdomain.rst, "Memory Allocation"). */
static const struct
{
    const char *name;
    unsigned long long scale;
} units[] = {
    { "b", 1 }, { "bytes", 1 },
    { "KB", 1000ULL }, { "k", 1ULL << 10 }, { "KiB", 1ULL << 10 },
    { "MB", 1000000ULL }, { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
    { "GB", 1000000000ULL }, { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
    { "TB", 1000000000000ULL }, { "T", 1ULL << 40 }, { "TiB", 1ULL << 40 },
    { "PB", 1000000000000000ULL }, { "P", 1ULL << 50 },
    { "PiB", 1ULL << 50 },
    { "EB", 1000000000000000000ULL }, { "E", 1ULL << 60 },
    { "EiB", 1ULL << 60 },
};

/* <memory> or <currentMemory>: a size in KiB unless unit= says. */
static int element_memory(struct xml_ctx *x, xmlNodePtr node,
                          unsigned int *mib)
{
    xmlChar *unit = xmlGetProp(node, (const xmlChar *)"unit");
    const char *uname = unit ? (const char *)unit : "KiB";
    unsigned long long v, scale = 0;
    char *text = NULL, what[64];
    unsigned int i;
    int rc = -1;

    snprintf(what, sizeof(what), "<%s>", (const char *)node->name);
    for ( i = 0; i < sizeof(units) / sizeof(units[0]); i++ )
        if ( !strcmp(uname, units[i].name) )
            scale = units[i].scale;
    if ( !scale )
    {
        xerror(x, node, "%s: unknown unit \"%s\"", what, uname);
        goto out;
    }
    if ( leaf_text(x, node, true, &text) ||
         parse_ull(x, node, what, text, &v) )
        goto out;
    if ( v > ULLONG_MAX / scale ||
         v * scale > (unsigned long long)XLL_MAX_MEMORY_MIB * MIB )
    {
        xerror(x, node, "%s: %s %s is out of range (1-%u MiB)", what, text,
               uname, XLL_MAX_MEMORY_MIB);
        goto out;
    }
    v *= scale;
    if ( v == 0 )
    {
        xerror(x, node, "%s: %s %s is out of range (1-%u MiB)", what, text,
               uname, XLL_MAX_MEMORY_MIB);
        goto out;
    }
    /* The hypervisor's memory limit and xl's sizes are whole MiB. */
    if ( v % MIB )
    {
        xerror(x, node, "%s: %s %s is not a whole number of MiB", what,
               text, uname);
        goto out;
    }
    *mib = v / MIB;
    rc = 0;
 out:
    free(text);
    xmlFree(unit);
    return rc;
}

static int element_action(struct xml_ctx *x, xmlNodePtr node,
                          enum xll_action *out)
{
    char *text;
    int a;

    if ( leaf_text(x, node, true, &text) )
        return -1;
    a = xll_action_from_name(text);
    if ( a < 0 )
        xerror(x, node, "<%s>: unknown action \"%s\" (destroy, restart, "
               "rename-restart, preserve, coredump-destroy, "
               "coredump-restart, soft-reset)", (const char *)node->name,
               text);
    else
        *out = a;
    free(text);
    return a < 0 ? -1 : 0;
}

/* An element may appear once: the second is an error, not an override. */
static int once(struct xml_ctx *x, xmlNodePtr node, xmlNodePtr *seen)
{
    if ( *seen )
        return xerror(x, node, "<%s> given twice (first at line %ld)",
                      (const char *)node->name, xmlGetLineNo(*seen));
    *seen = node;
    return 0;
}

/* <type arch='x86_64' machine='xenpvh'>xenpvh</type> */
static int os_type(struct xml_ctx *x, xmlNodePtr node,
                   struct xll_config *cfg)
{
    xmlChar *arch = xmlGetProp(node, (const xmlChar *)"arch");
    xmlChar *machine = xmlGetProp(node, (const xmlChar *)"machine");
    char *text = NULL;
    int rc = -1;

    if ( leaf_text(x, node, true, &text) )
        goto out;
    if ( !strcmp(text, "xenpvh") )
        cfg->type = XLL_TYPE_PVH;
    else if ( !strcmp(text, "multiboot") )
        cfg->type = XLL_TYPE_MULTIBOOT;
    else
    {
        xerror(x, node, "<type>: \"%s\" is not an OS type xen-lite builds "
               "(xenpvh, multiboot)", text);
        goto out;
    }
    if ( arch && strcmp((const char *)arch, "x86_64") )
    {
        xerror(x, node, "<type>: arch \"%s\" is not x86_64",
               (const char *)arch);
        goto out;
    }
    if ( machine && strcmp((const char *)machine, text) )
    {
        xerror(x, node, "<type>: machine \"%s\" is not \"%s\"",
               (const char *)machine, text);
        goto out;
    }
    rc = 0;
 out:
    free(text);
    xmlFree(arch);
    xmlFree(machine);
    return rc;
}

static int parse_os(struct xml_ctx *x, xmlNodePtr os, struct xll_config *cfg)
{
    xmlNodePtr n, type = NULL, kernel = NULL, initrd = NULL, cmdline = NULL;

    for ( n = os->children; n; n = n->next )
    {
        if ( n->type != XML_ELEMENT_NODE )
            continue;
        if ( is(n, "type") )
        {
            if ( once(x, n, &type) || os_type(x, n, cfg) )
                return -1;
        }
        else if ( is(n, "kernel") )
        {
            if ( once(x, n, &kernel) || leaf_text(x, n, false, &cfg->kernel) )
                return -1;
        }
        else if ( is(n, "initrd") )
        {
            if ( once(x, n, &initrd) ||
                 leaf_text(x, n, false, &cfg->ramdisk) )
                return -1;
        }
        else if ( is(n, "cmdline") )
        {
            if ( once(x, n, &cmdline) ||
                 leaf_text(x, n, false, &cfg->cmdline) )
                return -1;
        }
        else
            return xerror(x, n, "unsupported element <%s> in <os>",
                          (const char *)n->name);
    }
    if ( !type )
        return xerror(x, os, "<os> has no <type>");
    return 0;
}

/* <vcpu current='N' cpuset='LIST' placement='static'>MAX</vcpu> */
static int parse_vcpu(struct xml_ctx *x, xmlNodePtr node,
                      struct xll_config *cfg)
{
    xmlChar *current = xmlGetProp(node, (const xmlChar *)"current");
    xmlChar *cpuset = xmlGetProp(node, (const xmlChar *)"cpuset");
    xmlChar *placement = xmlGetProp(node, (const xmlChar *)"placement");
    struct xll_cpumap *maps = NULL;
    unsigned long long v;
    char *why = NULL;
    unsigned int i;
    int rc = -1;

    if ( element_number(x, node, 1, XLL_MAX_VCPUS, &cfg->max_vcpus) )
        goto out;
    cfg->vcpus = cfg->max_vcpus;
    if ( current )
    {
        if ( parse_ull(x, node, "<vcpu current>", (const char *)current,
                       &v) )
            goto out;
        if ( v < 1 || v > cfg->max_vcpus )
        {
            xerror(x, node, "<vcpu current>: %llu is out of range (1-%u)",
                   v, cfg->max_vcpus);
            goto out;
        }
        cfg->vcpus = v;
    }
    /* 'auto' asks numad where to run: there is no numad here. */
    if ( placement && strcmp((const char *)placement, "static") )
    {
        xerror(x, node, "<vcpu placement>: \"%s\" is not supported "
               "(static)", (const char *)placement);
        goto out;
    }
    if ( cpuset )
    {
        maps = calloc(cfg->max_vcpus, sizeof(*maps));
        if ( !maps )
        {
            xerror(x, node, "out of memory");
            goto out;
        }
        if ( xll_cpumap_parse((const char *)cpuset, &maps[0], &why) )
        {
            xerror(x, node, "<vcpu cpuset>: %s",
                   why ? why : "out of memory");
            goto out;
        }
        /* libvirt's cpuset holds for every vCPU, like xl's cpus="..." */
        for ( i = 1; i < cfg->max_vcpus; i++ )
            maps[i] = maps[0];
        if ( xll__config_set_cpumaps(cfg, maps, cfg->max_vcpus) )
        {
            xerror(x, node, "out of memory");
            goto out;
        }
    }
    rc = 0;
 out:
    free(why);
    free(maps);
    xmlFree(current);
    xmlFree(cpuset);
    xmlFree(placement);
    return rc;
}

static int parse_domain(struct xml_ctx *x, xmlNodePtr root,
                        struct xll_config *cfg)
{
    xmlNodePtr n, name = NULL, memory = NULL, current = NULL, vcpu = NULL;
    xmlNodePtr os = NULL, poweroff = NULL, reboot = NULL, crash = NULL;
    xmlChar *type;
    const char *why;
    int rc;

    if ( strcmp((const char *)root->name, "domain") )
        return xerror(x, root, "wrong root element <%s>, expected <domain>",
                      (const char *)root->name);
    type = xmlGetProp(root, (const xmlChar *)"type");
    rc = !type || strcmp((const char *)type, "xen");
    if ( rc )
        xerror(x, root, "<domain type='%s'> is not a Xen domain "
               "(type='xen')", type ? (const char *)type : "");
    xmlFree(type);
    if ( rc )
        return -1;

    for ( n = root->children; n; n = n->next )
    {
        if ( n->type != XML_ELEMENT_NODE )
            continue;
        if ( is(n, "name") )
            rc = once(x, n, &name) || leaf_text(x, n, false, &cfg->name);
        else if ( is(n, "memory") )
            rc = once(x, n, &memory) ||
                 element_memory(x, n, &cfg->maxmem_mib);
        else if ( is(n, "currentMemory") )
            rc = once(x, n, &current) ||
                 element_memory(x, n, &cfg->memory_mib);
        else if ( is(n, "vcpu") )
            rc = once(x, n, &vcpu) || parse_vcpu(x, n, cfg);
        else if ( is(n, "os") )
            rc = once(x, n, &os) || parse_os(x, n, cfg);
        else if ( is(n, "on_poweroff") )
            rc = once(x, n, &poweroff) ||
                 element_action(x, n, &cfg->on_poweroff);
        else if ( is(n, "on_reboot") )
            rc = once(x, n, &reboot) ||
                 element_action(x, n, &cfg->on_reboot);
        else if ( is(n, "on_crash") )
            rc = once(x, n, &crash) || element_action(x, n, &cfg->on_crash);
        else if ( is(n, "title") || is(n, "description") ||
                  is(n, "metadata") )
            rc = 0;
        else
            rc = xerror(x, n, "unsupported element <%s> in <domain>",
                        (const char *)n->name);
        if ( rc )
            return -1;
    }

    if ( !name )
        return xerror(x, root, "missing <name>");
    why = xll__name_problem(cfg->name);
    if ( why )
        return xerror(x, name, "<name>: %s", why);
    if ( !memory )
        return xerror(x, root, "missing <memory>");
    if ( !current )
        cfg->memory_mib = cfg->maxmem_mib;
    else if ( cfg->memory_mib > cfg->maxmem_mib )
        return xerror(x, current, "<currentMemory>: %u MiB is more than "
                      "<memory> (%u MiB)", cfg->memory_mib,
                      cfg->maxmem_mib);
    if ( !os )
        return xerror(x, root, "missing <os>");
    return 0;
}

struct xll_config *xll_config_from_xml(const char *path, char **err)
{
    struct xml_ctx x = { .path = path, .err = err };
    struct xll_config *cfg = NULL;
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr doc = NULL;
    xmlErrorPtr e;
    xmlNodePtr root;
    size_t len, mlen;
    char *text;

    if ( err )
        *err = NULL;
    text = xll__read_file(path, &len, err);
    if ( !text )
        return NULL;
    if ( len > INT_MAX )
    {
        xll__error(err, "%s: too large for an XML file", path);
        goto out;
    }
    ctxt = xmlNewParserCtxt();
    if ( !ctxt )
    {
        xll__error(err, "%s: out of memory", path);
        goto out;
    }
    /* No network, and errors come back to us instead of to stderr. */
    doc = xmlCtxtReadMemory(ctxt, text, len, path, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING);
    if ( !doc )
    {
        e = xmlCtxtGetLastError(ctxt);
        if ( !e || !e->message )
        {
            xll__error(err, "%s: not XML", path);
            goto out;
        }
        /*
         * libxml2 ends its messages with a newline, and some go on to a
         * second line (the bytes that are not UTF-8): keep the first.
         */
        mlen = strcspn(e->message, "\n");
        xll__error(err, "%s:%d:%d: %.*s", path, e->line, e->int2,
                   (int)mlen, e->message);
        goto out;
    }
    root = xmlDocGetRootElement(doc);
    if ( !root )
    {
        xll__error(err, "%s: no root element", path);
        goto out;
    }
    cfg = xll__config_new();
    if ( !cfg )
    {
        xll__error(err, "%s: out of memory", path);
        goto out;
    }
    if ( parse_domain(&x, root, cfg) )
    {
        xll_config_free(cfg);
        cfg = NULL;
    }

 out:
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    free(text);
    return cfg;
}

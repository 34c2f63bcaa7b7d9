/*
 * The commands that make, end or stop domains: create, destroy,
 * shutdown, pause, unpause.
 */
#define _GNU_SOURCE             /* asprintf */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <public/errno.h>

#include "xl.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && !strcmp(s + n - m, suffix);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    size_t len = 0;
    FILE *out;
    int c;

    if ( !f )
        xl_die("%s: %m", path);
    out = open_memstream(&text, &len);
    if ( !out )
        xl_die("out of memory");
    while ( (c = getc(f)) != EOF )
        putc(c, out);
    fclose(f);
    fclose(out);
    return text;
}

uint32_t xl_create_domain(const struct xll_config *cfg, bool xml,
                          const char *text, bool paused, char **err,
                          int *ok)
{
    struct xll_handle *h = xl_handle();
    struct xen_domctl_getdomaininfo info;
    uint32_t domid;
    int rc;

    *ok = 0;
    if ( xl_domain_by_name(cfg->name) >= 0 )
    {
        if ( asprintf(err, "domain '%s' already exists", cfg->name) < 0 )
            *err = NULL;
        return 0;
    }
    /* Built paused: its state is written before it runs a cycle. */
    if ( xll_build_domain(h, cfg, true, &domid, err) )
        return 0;
    rc = xll_domain_info(h, domid, &info);
    if ( rc )
    {
        if ( asprintf(err, "getdomaininfo of the new domain: %s",
                      xll_strerror(rc)) < 0 )
            *err = NULL;
        xll_domain_destroy(h, domid);
        return 0;
    }
    if ( xl_state_save(domid, cfg->name, xml, text, info.create_time, err) )
    {
        xll_domain_destroy(h, domid);
        xl_state_remove(domid);
        return 0;
    }
    if ( !paused )
    {
        rc = xll_domain_unpause(h, domid);
        if ( rc )
        {
            if ( asprintf(err, "unpausedomain: %s", xll_strerror(rc)) < 0 )
                *err = NULL;
            xll_domain_destroy(h, domid);
            xl_state_remove(domid);
            return 0;
        }
    }
    *ok = 1;
    return domid;
}

int cmd_create(int argc, char **argv)
{
    bool paused = false, quiet = false, dry = false, xml;
    struct xll_config *cfg;
    const char *file;
    char *err = NULL, *text, *full;
    size_t len;
    FILE *out;
    uint32_t domid;
    int c, ok, nr_extra;

    while ( (c = xl_getopt(argc, argv, "pqn")) != -1 )
    {
        if ( c == 'p' )
            paused = true;
        else if ( c == 'q' )
            quiet = true;
        else if ( c == 'n' )
            dry = true;
    }
    if ( optind >= argc )
        xl_usage_error("no config FILE given");
    file = argv[optind];
    nr_extra = argc - optind - 1;
    for ( int i = 0; i < nr_extra; i++ )
        if ( !strchr(argv[optind + 1 + i], '=') )
            xl_usage_error("'%s' is not KEY=VALUE", argv[optind + 1 + i]);
    xml = ends_with(file, ".xml");
    if ( xml && nr_extra )
        xl_usage_error("KEY=VALUE applies to xl.cfg files, not to '%s'",
                       file);

    if ( !quiet )
        fprintf(stderr, "Parsing config from %s\n", file);
    cfg = xml ? xll_config_from_xml(file, &err)
              : xll_config_from_xlcfg(file,
                                      (const char *const *)argv + optind + 1,
                                      nr_extra, &err);
    if ( !cfg )
        xl_die("%s", err);

    if ( dry )
    {
        uint32_t none = 0;
        const struct xll_config *one = cfg;
        char *json = xll_domains_to_json(&one, &none, 1, &err);

        if ( !json )
            xl_die("%s", err);
        fputs(json, stdout);
        free(json);
        xll_config_free(cfg);
        return 0;
    }

    /* What a restart parses again: the file, then the overrides. */
    text = slurp(file);
    out = open_memstream(&full, &len);
    if ( !out )
        xl_die("out of memory");
    fputs(text, out);
    if ( nr_extra )
        fputs("\n# xl-lite create's KEY=VALUE arguments\n", out);
    for ( int i = 0; i < nr_extra; i++ )
        fprintf(out, "%s\n", argv[optind + 1 + i]);
    fclose(out);
    free(text);

    domid = xl_create_domain(cfg, xml, full, paused, &err, &ok);
    free(full);
    if ( !ok )
        xl_die("%s", err ? err : "out of memory");
    xl_spawn_monitor(domid);
    xll_config_free(cfg);
    return 0;
}

/* The one DOM argument of destroy, shutdown, pause and unpause. */
static uint32_t one_domain(int argc, char **argv, const char *opts,
                           bool *force, struct xen_domctl_getdomaininfo *info)
{
    int c;

    while ( (c = xl_getopt(argc, argv, opts)) != -1 )
        if ( c == 'f' && force )
            *force = true;
    if ( optind >= argc )
        xl_usage_error("no domain given");
    if ( optind + 1 < argc )
        xl_usage_error("one domain at a time ('%s' is extra)",
                       argv[optind + 1]);
    return xl_find_domain(argv[optind], info);
}

int cmd_destroy(int argc, char **argv)
{
    bool force = false;
    uint32_t domid;
    int rc;

    domid = one_domain(argc, argv, "f", &force, NULL);
    if ( domid == 0 && !force )
        xl_die("Not destroying domain 0; use -f to force.");
    rc = xll_domain_destroy(xl_handle(), domid);
    if ( rc )
        xl_die("destroy failed (rc=%d): %s", rc, xll_strerror(rc));
    /* The monitor sees the state gone and ends without acting. */
    xl_state_remove(domid);
    return 0;
}

/*
 * xen-lite's guests have no PV control interface (no xenstore), so, as
 * xl falls back to with -F for HVM guests, the request is the ACPI power
 * button: the guest's OS decides what to do with it.  -F is accepted
 * and implied; -w waits until the domain has shut down or is gone.
 */
int cmd_shutdown(int argc, char **argv)
{
    struct xen_domctl_getdomaininfo info;
    bool wait = false;
    uint32_t domid;
    char *name;
    int c, rc;

    while ( (c = xl_getopt(argc, argv, "wF")) != -1 )
        if ( c == 'w' )
            wait = true;
    if ( optind >= argc )
        xl_usage_error("no domain given");
    if ( optind + 1 < argc )
        xl_usage_error("one domain at a time ('%s' is extra)",
                       argv[optind + 1]);
    domid = xl_find_domain(argv[optind], &info);
    name = xl_domain_name(domid, &info);

    fprintf(stderr, "PV control interface not available: sending ACPI "
            "power button event.\n");
    rc = xll_domain_power_button(xl_handle(), domid);
    if ( rc )
        xl_die("cannot shut down domain '%s': %s", name, xll_strerror(rc));
    /* Until the guest acted on it, or its monitor destroyed it. */
    while ( wait && !xll_domain_info(xl_handle(), domid, &info) &&
            !(info.flags & XEN_DOMINF_shutdown) )
        usleep(200 * 1000);
    free(name);
    return 0;
}

int cmd_pause(int argc, char **argv)
{
    uint32_t domid = one_domain(argc, argv, "", NULL, NULL);

    xl_check(xll_domain_pause(xl_handle(), domid), "pausedomain");
    return 0;
}

int cmd_unpause(int argc, char **argv)
{
    uint32_t domid = one_domain(argc, argv, "", NULL, NULL);

    xl_check(xll_domain_unpause(xl_handle(), domid), "unpausedomain");
    return 0;
}

/*
 * Domain names and state.  The hypervisor knows domains by id only; the
 * name, the configuration (for `list -l` and for restarts) and the
 * monitor's pid live in files under STATE_DIR/<domid>/, which outlive
 * xl-lite as the domains do.  'create_time' tells a domain from a later
 * one that reused its id: state whose domain is gone is removed when it
 * is next looked at.
 */
#define _GNU_SOURCE             /* asprintf */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <public/errno.h>

#include "xl.h"

#define DEFAULT_STATE_DIR   "/run/xen-lite"

const char *xl_state_dir(void)
{
    const char *dir = getenv("XL_LITE_STATE_DIR");

    return dir && *dir ? dir : DEFAULT_STATE_DIR;
}

static char *path_of(uint32_t domid, const char *file)
{
    char *p;

    if ( asprintf(&p, "%s/%u%s%s", xl_state_dir(), domid, file ? "/" : "",
                  file ? file : "") < 0 )
        xl_die("out of memory");
    return p;
}

static int write_file(uint32_t domid, const char *file, const char *text,
                      char **err)
{
    char *path = path_of(domid, file);
    FILE *f = fopen(path, "w");
    int rc = 0;

    if ( !f || fputs(text, f) == EOF )
        rc = -1;
    if ( f && fclose(f) )
        rc = -1;
    if ( rc && err && asprintf(err, "%s: %s", path, strerror(errno)) < 0 )
        *err = NULL;
    free(path);
    return rc;
}

static char *read_small(uint32_t domid, const char *file)
{
    char *path = path_of(domid, file), *buf = NULL;
    size_t cap = 0;
    FILE *f = fopen(path, "r");
    ssize_t n;

    free(path);
    if ( !f )
        return NULL;
    n = getline(&buf, &cap, f);
    fclose(f);
    if ( n < 0 )
    {
        free(buf);
        return NULL;
    }
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

static int mkdir_p(const char *dir)
{
    char *copy = strdup(dir), *p;
    int rc = 0;

    if ( !copy )
        return -1;
    for ( p = copy + 1; ; p++ )
    {
        if ( *p != '/' && *p )
            continue;
        char c = *p;

        *p = '\0';
        if ( mkdir(copy, 0700) && errno != EEXIST )
            rc = -1;
        *p = c;
        if ( !c || rc )
            break;
    }
    free(copy);
    return rc;
}

int xl_state_save(uint32_t domid, const char *name, bool xml,
                  const char *text, uint64_t create_time, char **err)
{
    char *dir = path_of(domid, NULL), num[32];
    int rc;

    /* Leftovers of an earlier domain with this id are not ours. */
    xl_state_remove(domid);
    if ( mkdir_p(dir) )
    {
        if ( asprintf(err, "%s: %s", dir, strerror(errno)) < 0 )
            *err = NULL;
        free(dir);
        return -1;
    }
    free(dir);
    snprintf(num, sizeof(num), "%llu\n", (unsigned long long)create_time);
    rc = write_file(domid, xml ? "config.xml" : "config.cfg", text, err);
    if ( !rc )
        rc = write_file(domid, "create_time", num, err);
    /* The name last: a directory with a name is complete. */
    if ( !rc )
    {
        char *line;

        if ( asprintf(&line, "%s\n", name) < 0 )
            xl_die("out of memory");
        rc = write_file(domid, "name", line, err);
        free(line);
    }
    return rc;
}

int xl_state_set_monitor(uint32_t domid, long pid)
{
    char num[32];

    snprintf(num, sizeof(num), "%ld\n", pid);
    return write_file(domid, "monitor.pid", num, NULL);
}

void xl_state_remove(uint32_t domid)
{
    static const char *const files[] = {
        "name", "config.cfg", "config.xml", "create_time", "monitor.pid",
    };
    char *dir = path_of(domid, NULL);

    for ( unsigned int i = 0; i < sizeof(files) / sizeof(files[0]); i++ )
    {
        char *p = path_of(domid, files[i]);

        unlink(p);
        free(p);
    }
    rmdir(dir);
    free(dir);
}

void xl_state_remove_own(uint32_t domid, uint64_t create_time)
{
    char *ct = read_small(domid, "create_time");

    /*
     * Only the state of the domain created at create_time: once the id
     * was reused, the state there is the new domain's (or is being
     * written for it, create_time not yet there).
     */
    if ( ct && strtoull(ct, NULL, 10) == create_time )
        xl_state_remove(domid);
    free(ct);
}

struct xll_config *xl_state_config(uint32_t domid, char **err)
{
    char *cfg_path = path_of(domid, "config.cfg");
    char *xml_path = path_of(domid, "config.xml");
    struct xll_config *cfg;

    if ( access(xml_path, R_OK) == 0 )
        cfg = xll_config_from_xml(xml_path, err);
    else
        cfg = xll_config_from_xlcfg(cfg_path, NULL, 0, err);
    free(cfg_path);
    free(xml_path);
    return cfg;
}

char *xl_state_name(uint32_t domid,
                    const struct xen_domctl_getdomaininfo *info)
{
    char *name = read_small(domid, "name");
    char *ct = read_small(domid, "create_time");

    if ( name && ct && strtoull(ct, NULL, 10) != info->create_time )
    {
        /* The id was reused: that state described a domain now gone. */
        xl_state_remove(domid);
        free(name);
        name = NULL;
    }
    free(ct);
    return name;
}

char *xl_domain_name(uint32_t domid,
                     const struct xen_domctl_getdomaininfo *info)
{
    char *name;

    if ( domid == 0 )
        return strdup("Domain-0");
    name = xl_state_name(domid, info);
    /*
     * A domain xl-lite did not create (a boot module's) has no saved
     * name: it is called after its id, as Domain-0 is.
     */
    if ( !name && asprintf(&name, "Domain-%u", domid) < 0 )
        xl_die("out of memory");
    return name;
}

long xl_domain_by_name(const char *name)
{
    struct xen_domctl_getdomaininfo *infos;
    long found = -1;
    int nr = xll_domain_list(xl_handle(), &infos);

    xl_check(nr, "getdomaininfolist");
    for ( int i = 0; i < nr && found < 0; i++ )
    {
        char *n = xl_domain_name(infos[i].domain, &infos[i]);

        if ( !strcmp(n, name) )
            found = infos[i].domain;
        free(n);
    }
    free(infos);
    return found;
}

uint32_t xl_find_domain(const char *arg,
                        struct xen_domctl_getdomaininfo *info)
{
    struct xen_domctl_getdomaininfo tmp;
    const char *p = arg;
    long domid;
    int rc;

    if ( !info )
        info = &tmp;
    while ( *p >= '0' && *p <= '9' )
        p++;
    if ( *arg && !*p )
    {
        domid = strlen(arg) > 5 ? DOMID_FIRST_RESERVED : atol(arg);
        if ( domid >= DOMID_FIRST_RESERVED )
            xl_die("no domain with id %s", arg);
        rc = xll_domain_info(xl_handle(), domid, info);
        if ( rc == -XEN_ESRCH )
            xl_die("no domain with id %s", arg);
        xl_check(rc, "getdomaininfo");
        return domid;
    }
    domid = xl_domain_by_name(arg);
    if ( domid < 0 )
        xl_die("no domain named '%s'", arg);
    rc = xll_domain_info(xl_handle(), domid, info);
    if ( rc == -XEN_ESRCH )
        xl_die("no domain named '%s'", arg);
    xl_check(rc, "getdomaininfo");
    return domid;
}

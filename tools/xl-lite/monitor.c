/*
 * The monitor `create` leaves behind for each domain, as xl's daemonized
 * child: it polls getdomaininfo every 200 ms, carries out on_poweroff,
 * on_reboot and on_crash when the domain shuts down, and removes the
 * domain's state once it is gone.  Its messages go to
 * STATE_DIR/xl-lite-NAME.log, as xl's to /var/log/xen/xl-NAME.log.
 */
#define _GNU_SOURCE             /* asprintf */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <public/errno.h>

#include "xl.h"

#define POLL_NS         200000000L
/* How long a destroyed domain may take to go before a restart. */
#define GONE_POLLS      150

static void nap(void)
{
    struct timespec ts = { 0, POLL_NS };

    nanosleep(&ts, NULL);
}

static char *read_text(uint32_t domid, bool *xml)
{
    char *path, *text = NULL;
    size_t len = 0;
    FILE *f, *out = open_memstream(&text, &len);
    int c;

    if ( !out )
        return NULL;
    *xml = true;
    if ( asprintf(&path, "%s/%u/config.xml", xl_state_dir(), domid) < 0 )
        return NULL;
    f = fopen(path, "r");
    free(path);
    if ( !f )
    {
        *xml = false;
        if ( asprintf(&path, "%s/%u/config.cfg", xl_state_dir(), domid) < 0 )
            return NULL;
        f = fopen(path, "r");
        free(path);
    }
    if ( f )
    {
        while ( (c = getc(f)) != EOF )
            putc(c, out);
        fclose(f);
    }
    fclose(out);
    if ( !f )
    {
        free(text);
        return NULL;
    }
    return text;
}

static void wait_gone(struct xll_handle *h, uint32_t domid)
{
    struct xen_domctl_getdomaininfo info;

    for ( int i = 0; i < GONE_POLLS; i++ )
    {
        if ( xll_domain_info(h, domid, &info) == -XEN_ESRCH )
            return;
        nap();
    }
}

static enum xll_action action_for(const struct xll_config *cfg,
                                  unsigned int reason)
{
    switch ( reason )
    {
    case SHUTDOWN_poweroff: return cfg->on_poweroff;
    case SHUTDOWN_reboot:   return cfg->on_reboot;
    case SHUTDOWN_crash:    return cfg->on_crash;
    }
    return XLL_ACTION_DESTROY;
}

/* Returns the domain to watch next, or -1 when the watch is over. */
static long handle_shutdown(struct xll_handle *h, uint32_t domid,
                            unsigned int reason)
{
    char *err = NULL, *text;
    struct xll_config *cfg = xl_state_config(domid, &err);
    enum xll_action action;
    uint32_t newid;
    bool xml;
    int ok;

    if ( !cfg )
    {
        fprintf(stderr, "domain %u: its saved config: %s; destroying\n",
                domid, err);
        free(err);
        xll_domain_destroy(h, domid);
        xl_state_remove(domid);
        return -1;
    }
    action = action_for(cfg, reason);
    fprintf(stderr, "domain %u (%s): shut down, reason %u: %s\n", domid,
            cfg->name, reason, xll_action_name(action));
    switch ( action )
    {
    case XLL_ACTION_PRESERVE:
        /* Left as it is, for the user to look at and destroy. */
        xll_config_free(cfg);
        return -1;
    case XLL_ACTION_RESTART:
    case XLL_ACTION_RENAME_RESTART:
    case XLL_ACTION_COREDUMP_RESTART:
    case XLL_ACTION_SOFT_RESET:
        text = read_text(domid, &xml);
        xll_domain_destroy(h, domid);
        wait_gone(h, domid);
        xl_state_remove(domid);
        if ( !text )
        {
            fprintf(stderr, "domain %u: no saved config to restart\n",
                    domid);
            xll_config_free(cfg);
            return -1;
        }
        newid = xl_create_domain(cfg, xml, text, false, &err, &ok);
        free(text);
        if ( !ok )
        {
            fprintf(stderr, "restarting '%s': %s\n", cfg->name, err);
            free(err);
            xll_config_free(cfg);
            return -1;
        }
        xl_state_set_monitor(newid, getpid());
        fprintf(stderr, "domain '%s' restarted as %u\n", cfg->name, newid);
        xll_config_free(cfg);
        return newid;
    default:
        xll_domain_destroy(h, domid);
        wait_gone(h, domid);
        xl_state_remove(domid);
        xll_config_free(cfg);
        return -1;
    }
}

static void monitor(uint32_t domid)
{
    struct xll_handle *h = xl_handle();
    struct xen_domctl_getdomaininfo info;
    uint64_t created;
    char *name;
    int rc;

    if ( xll_domain_info(h, domid, &info) )
        return;
    created = info.create_time;
    for ( ;; )
    {
        nap();
        rc = xll_domain_info(h, domid, &info);
        /*
         * Gone.  The id may already be another domain's, with its own
         * state and monitor: take away only what was ours.
         */
        if ( rc == -XEN_ESRCH || (rc == 0 && info.create_time != created) )
        {
            xl_state_remove_own(domid, created);
            return;
        }
        if ( rc )
            continue;
        /* `destroy` removed the state: nothing left to do. */
        name = xl_state_name(domid, &info);
        if ( !name )
            return;
        free(name);
        if ( (info.flags & XEN_DOMINF_shutdown) &&
             !(info.flags & XEN_DOMINF_dying) )
        {
            long next = handle_shutdown(h, domid,
                                        (info.flags >>
                                         XEN_DOMINF_shutdownshift) & 0xff);

            if ( next < 0 )
                return;
            domid = next;
            if ( xll_domain_info(h, domid, &info) )
                return;
            created = info.create_time;
        }
    }
}

void xl_spawn_monitor(uint32_t domid)
{
    struct xen_domctl_getdomaininfo info;
    char *name, *log;
    pid_t pid;
    int fd;

    if ( xll_domain_info(xl_handle(), domid, &info) )
        return;
    name = xl_domain_name(domid, &info);
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if ( pid < 0 )
        xl_die("fork the monitor: %m");
    if ( pid > 0 )
    {
        xl_state_set_monitor(domid, pid);
        free(name);
        return;
    }
    setsid();
    fd = open("/dev/null", O_RDWR);
    if ( fd >= 0 )
    {
        dup2(fd, 0);
        dup2(fd, 1);
        close(fd);
    }
    if ( asprintf(&log, "%s/xl-lite-%s.log", xl_state_dir(), name) >= 0 )
    {
        fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if ( fd >= 0 )
        {
            dup2(fd, 2);
            close(fd);
        }
        free(log);
    }
    free(name);
    /*
     * Nothing of the caller's but 0-2 (a pipe held open would keep a
     * script reading xl-lite's output waiting): the device too, opened
     * again below.
     */
    xl_handle_drop();
    close_range(3, ~0u, 0);
    monitor(domid);
    _exit(0);
}

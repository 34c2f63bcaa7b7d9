/*
 * xl-lite's internals, shared by its source files: the command table,
 * error exits, the handle, and domain names and state (state.c).
 */
#ifndef XL_LITE_XL_H
#define XL_LITE_XL_H

#include <stdbool.h>
#include <stdint.h>

#include "libxl-lite.h"

struct xl_cmd
{
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *args;           /* usage after the command's name */
    const char *summary;
    const char *options;        /* one option a line, or NULL */
};

/* The command being run, for messages and --help. */
extern const struct xl_cmd *xl_current;

/* "xl-lite: MESSAGE" on stderr and exit(1). */
void xl_die(const char *fmt, ...)
    __attribute__((__format__(__printf__, 1, 2), __noreturn__));
/* The same, naming the command: "xl-lite: CMD: MESSAGE". */
void xl_usage_error(const char *fmt, ...)
    __attribute__((__format__(__printf__, 1, 2), __noreturn__));

/*
 * getopt over the command's own options ('opts', getopt syntax), with
 * --help/-h printing its usage (exit 0) and an unknown option or a
 * missing argument ending in one line (exit 1).
 */
int xl_getopt(int argc, char **argv, const char *opts);
void xl_print_usage(const struct xl_cmd *cmd);

/* A decimal number in [min, max], or an error naming 'what' and 's'. */
unsigned long xl_number(const char *s, const char *what, unsigned long min,
                        unsigned long max);

/* The hypervisor, opened once (dies with one line if it cannot). */
struct xll_handle *xl_handle(void);
/* Close it: the next xl_handle() opens it again. */
void xl_handle_drop(void);
/* Dies with "xl-lite: WHAT: REASON" when rc < 0. */
void xl_check(int rc, const char *what);

/*
 * ---- Domain names and state (state.c) ----
 * STATE_DIR/<domid>/ holds 'name', 'config.cfg' or 'config.xml' (the
 * config as given, xl create's KEY=VALUE lines appended), 'create_time'
 * (to tell a reused id), 'monitor.pid'.  STATE_DIR is $XL_LITE_STATE_DIR
 * or /run/xen-lite.
 */
const char *xl_state_dir(void);
int xl_state_save(uint32_t domid, const char *name, bool xml,
                  const char *text, uint64_t create_time, char **err);
void xl_state_remove(uint32_t domid);
/* The same, only if that state is the domain created at create_time's. */
void xl_state_remove_own(uint32_t domid, uint64_t create_time);
int xl_state_set_monitor(uint32_t domid, long pid);
/* The saved config, parsed again; NULL with *err if none. */
struct xll_config *xl_state_config(uint32_t domid, char **err);
/* Saved name of a live domain (stale state is removed); NULL: none. */
char *xl_state_name(uint32_t domid, const struct xen_domctl_getdomaininfo
                    *info);
/* What `list` calls the domain: malloc'd. */
char *xl_domain_name(uint32_t domid,
                     const struct xen_domctl_getdomaininfo *info);
/*
 * A live domain named by name or id: dies with "xl-lite: no domain
 * named 'X'" (or "with id N") if there is none.
 */
uint32_t xl_find_domain(const char *arg,
                        struct xen_domctl_getdomaininfo *info);
/* The id of the live domain called 'name', or -1. */
long xl_domain_by_name(const char *name);

/* ---- The monitor (monitor.c) ---- */
/* Fork the monitor of a domain just created; returns in the parent. */
void xl_spawn_monitor(uint32_t domid);

/* Create from a parsed config and its source: the new id. */
uint32_t xl_create_domain(const struct xll_config *cfg, bool xml,
                          const char *text, bool paused, char **err,
                          int *ok);

int cmd_create(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_vcpu_list(int argc, char **argv);
int cmd_vcpu_pin(int argc, char **argv);
int cmd_sched_credit(int argc, char **argv);
int cmd_debug_keys(int argc, char **argv);
int cmd_dmesg(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_uptime(int argc, char **argv);
int cmd_irq_stats(int argc, char **argv);

#endif /* XL_LITE_XL_H */

/*
 * xl-lite: xen-lite's xl, the command-line toolstack run in dom0.  This
 * file holds main(), the command table, `help` and the helpers every
 * command shares; the commands live in cmd_*.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl.h"

static int cmd_help(int argc, char **argv);

static const struct xl_cmd commands[] = {
    { "create", cmd_create, "[-p] [-q] [-n] FILE [KEY=VALUE ...]",
      "Create a domain from an xl.cfg file (or libvirt XML: FILE.xml)",
      "-p  leave the domain paused\n"
      "-q  quiet: no \"Parsing config from\"\n"
      "-n  dry run: print the configuration as JSON" },
    { "list", cmd_list, "[-l] [-v] [DOM ...]", "List domains",
      "-l  the configurations, as JSON\n"
      "-v  also the UUID, the shutdown reason and the security label" },
    { "destroy", cmd_destroy, "[-f] DOM",
      "Destroy a domain at once", "-f  allow domain 0" },
    { "shutdown", cmd_shutdown, "[-w] [-F] DOM",
      "Ask a domain to shut down (its ACPI power button)",
      "-w  wait until it has shut down\n"
      "-F  accepted: the power button is the only way to ask" },
    { "pause", cmd_pause, "DOM", "Pause a domain", NULL },
    { "unpause", cmd_unpause, "DOM", "Unpause a domain", NULL },
    { "vcpu-list", cmd_vcpu_list, "[DOM ...]", "List the vCPUs", NULL },
    { "vcpu-pin", cmd_vcpu_pin, "DOM VCPU|all CPUS [-]",
      "Set a vCPU's hard affinity (CPUS: \"all\", \"0-3,^1\", ...)",
      NULL },
    { "sched-credit", cmd_sched_credit,
      "[-d DOM [-w WEIGHT] [-c CAP]] [-s [-t TSLICE] [-r RATELIMIT]]",
      "Read or set the credit scheduler's parameters",
      "-d DOM        the domain\n"
      "-w WEIGHT     its weight, 1..65535\n"
      "-c CAP        its cap, percent of one pCPU (0: none)\n"
      "-s            the scheduler's own parameters\n"
      "-t TSLICE     the time slice, ms\n"
      "-r RATELIMIT  the rate limit, us (0: off)" },
    { "debug-keys", cmd_debug_keys, "KEYS",
      "Run the hypervisor's debug-key handlers", NULL },
    { "dmesg", cmd_dmesg, "[-c]", "Print the hypervisor's console ring",
      "-c  clear it afterwards" },
    { "info", cmd_info, "", "Print information about the host", NULL },
    { "console", cmd_console, "DOM",
      "Attach to a domain's serial console (Ctrl-] leaves)", NULL },
    { "uptime", cmd_uptime, "[-s] [DOM ...]", "Print domains' uptimes",
      "-s  short: \" TIME up UPTIME, NAME (ID)\"" },
    { "irq-stats", cmd_irq_stats, "[DOM] [--json]",
      "Print the interrupt-delivery statistics",
      "--json  as JSON" },
    { "help", cmd_help, "[COMMAND]", "Print this help", NULL },
};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct xl_cmd *xl_current;
static struct xll_handle *handle;

void xl_die(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fputs("xl-lite: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_FAILURE);
}

void xl_usage_error(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "xl-lite: %s: ", xl_current->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'xl-lite %s --help')\n", xl_current->name);
    exit(EXIT_FAILURE);
}

void xl_print_usage(const struct xl_cmd *cmd)
{
    const char *p;

    printf("Usage: xl-lite %s%s%s\n\n%s.\n", cmd->name,
           cmd->args[0] ? " " : "", cmd->args, cmd->summary);
    if ( !cmd->options )
        return;
    printf("\nOptions:\n");
    for ( p = cmd->options; *p; )
    {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);

        printf("  %.*s\n", len, p);
        p += len + (nl != NULL);
    }
}

int xl_getopt(int argc, char **argv, const char *opts)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "json", no_argument, NULL, 'J' },
        { NULL, 0, NULL, 0 },
    };
    char full[64];
    int c;

    snprintf(full, sizeof(full), "+:h%s", opts);
    opterr = 0;
    c = getopt_long(argc, argv, full, longopts, NULL);
    switch ( c )
    {
    case 'h':
        xl_print_usage(xl_current);
        exit(EXIT_SUCCESS);
    case 'J':
        if ( strcmp(xl_current->name, "irq-stats") )
            xl_usage_error("unknown option '--json'");
        return c;
    case ':':
        xl_usage_error("option '-%c' needs a value", optopt);
    case '?':
        if ( optopt )
            xl_usage_error("unknown option '-%c'", optopt);
        xl_usage_error("unknown option '%s'", argv[optind - 1]);
    }
    return c;
}

unsigned long xl_number(const char *s, const char *what, unsigned long min,
                        unsigned long max)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if ( !*s || *end || *s == '-' || *s == '+' || errno || v < min ||
         v > max )
        xl_die("%s '%s': not a number from %lu to %lu", what, s, min, max);
    return v;
}

struct xll_handle *xl_handle(void)
{
    char *err = NULL;

    if ( handle )
        return handle;
    handle = xll_open(&err);
    if ( !handle )
        xl_die("%s", err);
    return handle;
}

void xl_handle_drop(void)
{
    xll_close(handle);
    handle = NULL;
}

void xl_check(int rc, const char *what)
{
    if ( rc < 0 )
        xl_die("%s: %s", what, xll_strerror(rc));
}

static const struct xl_cmd *find_command(const char *name)
{
    for ( unsigned int i = 0; i < NR_COMMANDS; i++ )
        if ( !strcmp(commands[i].name, name) )
            return &commands[i];
    return NULL;
}

static void print_help(FILE *f)
{
    fprintf(f, "Usage: xl-lite COMMAND [ARGS]\n\n"
            "xen-lite's toolstack, after Xen's xl.  Commands:\n\n");
    for ( unsigned int i = 0; i < NR_COMMANDS; i++ )
        fprintf(f, " %-16s%s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'xl-lite COMMAND --help' shows a command's usage.\n");
}

static int cmd_help(int argc, char **argv)
{
    const struct xl_cmd *cmd;

    while ( xl_getopt(argc, argv, "") != -1 )
        ;
    if ( optind == argc )
    {
        print_help(stdout);
        return 0;
    }
    if ( optind + 1 < argc )
        xl_usage_error("one command at a time");
    cmd = find_command(argv[optind]);
    if ( !cmd )
        xl_die("no command '%s' (see 'xl-lite help')", argv[optind]);
    xl_print_usage(cmd);
    return 0;
}

int main(int argc, char **argv)
{
    int rc;

    if ( argc < 2 )
    {
        print_help(stderr);
        return EXIT_FAILURE;
    }
    if ( !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") )
    {
        print_help(stdout);
        return 0;
    }
    xl_current = find_command(argv[1]);
    if ( !xl_current )
        xl_die("no command '%s' (see 'xl-lite help')", argv[1]);
    rc = xl_current->fn(argc - 1, argv + 1);
    if ( fflush(stdout) )
        xl_die("writing the output: %s", strerror(errno));
    xll_close(handle);
    return rc ? EXIT_FAILURE : EXIT_SUCCESS;
}

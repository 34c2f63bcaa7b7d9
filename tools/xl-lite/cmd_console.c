/*
 * `console DOM`: the domain's serial console, its output read with
 * console_io READ and its input sent with WRITE.  On a terminal the
 * terminal is raw and Ctrl-] leaves; otherwise stdin's bytes are sent,
 * output printed, and the command returns once stdin has ended and the
 * domain has printed nothing for about a second, so a script can drive
 * it.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <public/errno.h>

#include "xl.h"

#define CTRL_CLOSE_BRACKET  0x1d
#define POLL_MS             50
#define QUIET_POLLS         20      /* 1 s of no output after EOF */
#define CHUNK               4096
#define STUCK_POLLS         200     /* 10 s */

static struct termios saved;
static bool raw;

static void restore_tty(void)
{
    if ( raw )
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

static void make_raw(void)
{
    struct termios t;

    if ( tcgetattr(STDIN_FILENO, &saved) )
        return;
    t = saved;
    cfmakeraw(&t);
    if ( tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0 )
    {
        raw = true;
        atexit(restore_tty);
    }
}

/* Print what the domain wrote since *index; the count, or < 0. */
static int drain_output(uint32_t domid, uint64_t *index, char *buf)
{
    int n, total = 0;

    do {
        n = xll_console_read(xl_handle(), domid, index, buf, CHUNK);
        if ( n < 0 )
            return n;
        if ( n && fwrite(buf, 1, n, stdout) != (size_t)n )
            xl_die("writing the output: %s", strerror(errno));
        total += n;
    } while ( n == CHUNK );
    fflush(stdout);
    return total;
}

/* Send all of buf, waiting while the line is full. */
static void send_input(uint32_t domid, const char *buf, size_t len,
                       uint64_t *index, char *out)
{
    unsigned int stuck = 0;

    while ( len )
    {
        int n = xll_console_write(xl_handle(), domid, buf, len);

        if ( n < 0 )
            xl_die("console input: %s", xll_strerror(n));
        /* A guest that never reads its UART must not hang us. */
        stuck = n ? 0 : stuck + 1;
        if ( stuck > STUCK_POLLS )
            xl_die("console input: the domain has taken none for %d s",
                   STUCK_POLLS * POLL_MS / 1000);
        buf += n;
        len -= n;
        if ( len )
        {
            xl_check(drain_output(domid, index, out), "console output");
            poll(NULL, 0, POLL_MS);
        }
    }
}

int cmd_console(int argc, char **argv)
{
    struct xen_domctl_getdomaininfo info;
    bool tty, eof = false;
    uint64_t index = 0;
    char out[CHUNK], in[CHUNK];
    unsigned int quiet = 0;
    uint32_t domid;

    while ( xl_getopt(argc, argv, "") != -1 )
        ;
    if ( optind >= argc )
        xl_usage_error("no domain given");
    if ( optind + 1 < argc )
        xl_usage_error("'%s' is extra", argv[optind + 1]);
    domid = xl_find_domain(argv[optind], &info);
    tty = isatty(STDIN_FILENO);
    if ( tty )
        make_raw();

    for ( ;; )
    {
        struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
        int n = drain_output(domid, &index, out);

        if ( n == -XEN_ESRCH )
            break;                      /* the domain is gone */
        xl_check(n, "console output");
        quiet = n ? 0 : quiet + 1;
        if ( eof && quiet >= QUIET_POLLS )
            break;
        if ( eof )
        {
            poll(NULL, 0, POLL_MS);
            continue;
        }
        if ( poll(&pfd, 1, POLL_MS) <= 0 )
            continue;
        n = read(STDIN_FILENO, in, sizeof(in));
        if ( n <= 0 )
        {
            if ( n < 0 && errno == EINTR )
                continue;
            eof = true;
            quiet = 0;
            continue;
        }
        if ( tty )
        {
            char *esc = memchr(in, CTRL_CLOSE_BRACKET, n);

            if ( esc )
            {
                send_input(domid, in, esc - in, &index, out);
                break;
            }
        }
        send_input(domid, in, n, &index, out);
    }
    restore_tty();
    raw = false;
    return 0;
}

/*
 * printk and the console ring.  Every line gets the "(XEN) " prefix and a
 * boot timestamp, as in Xen, goes to the serial port and is kept in a ring
 * buffer that is read back later by the dmesg path.
 *
 * Locking: console_lock (irqsave, since printk runs in interrupt context)
 * serialises the ring, the line-start state and the serial output, so the
 * lines of two pCPUs never interleave.
 */
#include <xen/lib.h>
#include <xen/console.h>
#include <xen/serial.h>
#include <xen/spinlock.h>
#include <xen/time.h>
#include <xen/param.h>
#include <xen/shutdown.h>
#include <xen/smp.h>
#include <xen/keyhandler.h>
#include <xen/softirq.h>
#include <xen/sched.h>
#include <xen/domain.h>

#define RING_SIZE   (64 * 1024)     /* power of two */

static char ring[RING_SIZE];
static u64 ring_written;            /* bytes ever written */
static u64 ring_start;              /* nothing before it is read: cleared */
static bool at_line_start = true;
/*
 * Who wrote the unfinished line on the serial line: the hypervisor's
 * printk or dom0's raw output.  Each starts its own line rather than
 * finishing the other's, so a hypervisor message in the middle of a
 * Linux dom0's line stays whole and keeps its stamp.
 */
static bool line_is_raw;
static int loglevel = LOGLVL_INFO;
static DEFINE_SPINLOCK(console_lock);

static int parse_loglvl(const char *arg)
{
    static const struct { const char *name; int lvl; } levels[] = {
        { "none", -1 }, { "error", LOGLVL_ERR },
        { "warning", LOGLVL_WARNING }, { "info", LOGLVL_INFO },
        { "debug", LOGLVL_DEBUG }, { "all", LOGLVL_DEBUG },
    };

    for ( unsigned int i = 0; i < ARRAY_SIZE(levels); i++ )
    {
        size_t n = strlen(levels[i].name);

        /* Xen's "level/ratelimited-level": the second half is ignored. */
        if ( !strncmp(arg, levels[i].name, n) &&
             (arg[n] == '\0' || arg[n] == '/') )
        {
            loglevel = levels[i].lvl;
            return 0;
        }
    }
    return -1;
}
custom_param("loglvl", parse_loglvl);

/* console=com1: the only console this hypervisor drives. */
static int parse_console(const char *arg)
{
    return strcmp(arg, "com1") ? -1 : 0;
}
custom_param("console", parse_console);

void console_init(void)
{
    serial_init();
}

/*
 * Serial input, routed as in Xen: to dom0's UART while dom0 runs, to the
 * hypervisor's debug keys otherwise; three Ctrl-A in a row switch
 * between the two.  Input starts with the hypervisor, switches to dom0
 * when dom0 starts and back when it stops.  Switched to dom0 by hand
 * with no dom0 running, input is dropped.
 *
 * The serial interrupt only queues raw bytes in rx_ring; the keypress
 * softirq, on the same pCPU, routes them.  rx_ring has one producer and
 * one consumer on that pCPU, so its indices need no lock (READ_ONCE and
 * WRITE_ONCE keep the compiler from caching them across the interrupt).
 * Routing in the softirq keeps the guest UART's lock, the vIOAPIC and
 * the posting path out of hard interrupt context.
 *
 * input_lock covers input_to_xen and ctrl_a_count: the softirq and the
 * dom0 start/stop hooks (any pCPU) change them.  Lock order: input_lock,
 * then console_lock (the switch message).  dom0's UART is fed after
 * input_lock is dropped.
 */
/*
 * Room for a typed line and more: the host UART's interrupt fills this
 * faster than the softirq drains it when a line arrives at once (a
 * pasted command; 64 bytes lost the tail of 70-byte lines in tests).
 */
#define RX_RING_SIZE 4096
#define CTRL_A       0x01

static char rx_ring[RX_RING_SIZE];
static unsigned int rx_prod, rx_cons;
static DEFINE_SPINLOCK(input_lock);
static unsigned int ctrl_a_count;
static bool input_to_xen = true;

/* Caller holds input_lock. */
static void show_input_target(void)
{
    printk("*** Serial input to %s (type 'CTRL-a' three times to switch "
           "input)\n", input_to_xen ? "Xen" : "DOM0");
}

void console_rx_char(char c)
{
    unsigned int prod = READ_ONCE(rx_prod);

    if ( prod - READ_ONCE(rx_cons) == RX_RING_SIZE )
        return;                         /* full: drop, as a UART would */
    rx_ring[prod % RX_RING_SIZE] = c;
    WRITE_ONCE(rx_prod, prod + 1);
    raise_softirq(KEYPRESS_SOFTIRQ);
}

enum input_target { INPUT_NONE, INPUT_XEN, INPUT_DOM0 };

/* Where byte c goes; a Ctrl-A goes nowhere (three switch the target). */
static enum input_target route_char(char c)
{
    enum input_target t;

    spin_lock(&input_lock);
    if ( c == CTRL_A )
    {
        t = INPUT_NONE;
        if ( ++ctrl_a_count == 3 )
        {
            ctrl_a_count = 0;
            input_to_xen = !input_to_xen;
            show_input_target();
        }
    }
    else
    {
        ctrl_a_count = 0;
        t = input_to_xen ? INPUT_XEN : INPUT_DOM0;
    }
    spin_unlock(&input_lock);

    return t;
}

/* A byte for dom0's console, dropped when no dom0 runs. */
static void to_dom0(char c)
{
    struct domain *d = get_domain_by_id(0);

    if ( !d )
        return;
    if ( !READ_ONCE(d->is_shutting_down) )
        arch_domain_console_input(d, &c, 1);
    put_domain(d);
}

static void keypress_softirq(void)
{
    unsigned int cons = READ_ONCE(rx_cons);

    while ( cons != READ_ONCE(rx_prod) )
    {
        char c = rx_ring[cons % RX_RING_SIZE];

        WRITE_ONCE(rx_cons, ++cons);
        switch ( route_char(c) )
        {
        case INPUT_XEN:
            handle_keypress((unsigned char)c);
            break;
        case INPUT_DOM0:
            to_dom0(c);
            break;
        default:
            break;
        }
    }
}

void console_input_init(void)
{
    open_softirq(KEYPRESS_SOFTIRQ, keypress_softirq);
    spin_lock(&input_lock);
    show_input_target();
    spin_unlock(&input_lock);
}

static void switch_input(bool to_xen)
{
    spin_lock(&input_lock);
    if ( input_to_xen != to_xen )
    {
        input_to_xen = to_xen;
        ctrl_a_count = 0;
        show_input_target();
    }
    spin_unlock(&input_lock);
}

void console_dom0_started(void)
{
    switch_input(false);
}

void console_dom0_stopped(void)
{
    switch_input(true);
}

static void ring_putc(char c)
{
    ring[ring_written & (RING_SIZE - 1)] = c;
    ring_written++;
}

static void emit(char c)
{
    serial_putc(c);
    ring_putc(c);
}

static void emit_str(const char *s)
{
    while ( *s )
        emit(*s++);
}

/* Caller holds console_lock. */
static void emit_text(const char *s)
{
    if ( !*s )
        return;
    if ( !at_line_start && line_is_raw )
    {
        emit('\n');
        at_line_start = true;
    }
    line_is_raw = false;
    for ( ; *s; s++ )
    {
        if ( at_line_start )
        {
            char stamp[32];
            s_time_t now = NOW();

            snprintf(stamp, sizeof(stamp), "(XEN) [%5lu.%06lu] ",
                     (unsigned long)(now / 1000000000),
                     (unsigned long)(now % 1000000000) / 1000);
            emit_str(stamp);
            at_line_start = false;
        }
        emit(*s);
        if ( *s == '\n' )
            at_line_start = true;
    }
}

void console_write_raw(const char *s, size_t len)
{
    unsigned long flags;

    spin_lock_irqsave(&console_lock, flags);
    if ( len && !at_line_start && !line_is_raw )
    {
        emit('\n');
        at_line_start = true;
    }
    if ( len )
        line_is_raw = true;
    for ( size_t i = 0; i < len; i++ )
    {
        emit(s[i]);
        at_line_start = s[i] == '\n';
    }
    spin_unlock_irqrestore(&console_lock, flags);
}

void vprintk(const char *fmt, va_list args)
{
    char buf[512];
    int level = LOGLVL_INFO;
    unsigned long flags;

    vsnprintf(buf, sizeof(buf), fmt, args);

    if ( buf[0] == '<' && buf[1] >= '0' && buf[1] <= '3' && buf[2] == '>' )
    {
        level = buf[1] - '0';
        memmove(buf, buf + 3, strlen(buf + 3) + 1);
    }
    if ( level > loglevel )
        return;

    spin_lock_irqsave(&console_lock, flags);
    emit_text(buf);
    spin_unlock_irqrestore(&console_lock, flags);
}

void printk(const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    vprintk(fmt, args);
    va_end(args);
}

size_t console_ring_read(u64 *pos, char *buf, size_t size)
{
    unsigned long flags;
    size_t n = 0;

    spin_lock_irqsave(&console_lock, flags);
    if ( ring_written - *pos > RING_SIZE )
        *pos = ring_written - RING_SIZE;     /* older text is gone */
    if ( *pos < ring_start )
        *pos = ring_start;
    while ( n < size && *pos < ring_written )
    {
        buf[n++] = ring[*pos & (RING_SIZE - 1)];
        (*pos)++;
    }
    spin_unlock_irqrestore(&console_lock, flags);
    return n;
}

u64 console_ring_written(void)
{
    return READ_ONCE(ring_written);
}

void console_ring_clear(void)
{
    unsigned long flags;

    spin_lock_irqsave(&console_lock, flags);
    ring_start = ring_written;
    spin_unlock_irqrestore(&console_lock, flags);
}

void console_force_unlock(void)
{
    spin_lock_init(&console_lock);
}

noreturn void panic(const char *fmt, ...)
{
    static DEFINE_SPINLOCK(panic_lock);
    char buf[256];
    va_list args;

    local_irq_disable();
    spin_lock(&panic_lock);     /* one panic message at a time */
    console_force_unlock();     /* we may have died inside printk */

    va_start(args, fmt);
    vsnprintf(buf, sizeof(buf), fmt, args);
    va_end(args);

    printk(XENLOG_ERR "\n****************************************\n");
    printk(XENLOG_ERR "Panic on CPU %u:\n%s\n", smp_processor_id(), buf);
    printk(XENLOG_ERR "****************************************\n\n");

    machine_crash_halt();
}

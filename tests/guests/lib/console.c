/*
 * The UART console and a minimal vsnprintf: %d %i %u %x %X %p %s %c %%,
 * with '-', '0' and '#' flags, a field width and the l, ll and z length
 * modifiers.
 *
 * The UART is barely touched: no divisor (a hypervisor's UART need not
 * implement DLAB, and then the divisor bytes would come out as data), no
 * FIFO set-up. Only the line format is forced to 8 data bits when it is
 * not already: Bochs' BIOS leaves LCR at 0 (5-bit words) and Bochs then
 * masks every byte to its low 5 bits.
 */
#include "atomic.h"
#include "console.h"
#include "string.h"

#define UART_THR        0
#define UART_LCR        3
#define UART_LSR        5
#define UART_LCR_8N1    0x03
#define UART_LSR_THRE   0x20
#define UART_LSR_TEMT   0x40

static spinlock_t console_lock = SPINLOCK_INIT;
volatile uint32_t console_closed;

static void uart_putc(char c)
{
    unsigned int spins;

    /*
     * Bounded: a missing UART reads as 0xff (THRE set) and an emulated one
     * is never busy for long, but never hang the test on the console.
     */
    for ( spins = 0; spins < 1000000; spins++ )
        if ( inb(UART_BASE + UART_LSR) & UART_LSR_THRE )
            break;
    outb(UART_BASE + UART_THR, c);
}

static void uart_puts(const char *s)
{
    static bool lcr_checked;

    if ( !lcr_checked )
    {
        lcr_checked = true;
        if ( (inb(UART_BASE + UART_LCR) & 0x83) != UART_LCR_8N1 )
            outb(UART_BASE + UART_LCR, UART_LCR_8N1);
    }
    for ( ; *s; s++ )
    {
        if ( *s == '\n' )
            uart_putc('\r');
        uart_putc(*s);
    }
}

struct out
{
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if ( o->len + 1 < o->size )
        o->buf[o->len] = c;
    o->len++;
}

static void put_num(struct out *o, uint64_t v, unsigned int base, bool upper,
                    bool neg, int width, bool zero, bool left)
{
    char tmp[24];
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0, pad;
    uint32_t r;

    do {
        v = udiv64(v, base, &r);
        tmp[n++] = digits[r];
    } while ( v );

    pad = width - n - (neg ? 1 : 0);
    if ( !left && !zero )
        for ( ; pad > 0; pad-- )
            put(o, ' ');
    if ( neg )
        put(o, '-');
    if ( !left && zero )
        for ( ; pad > 0; pad-- )
            put(o, '0');
    while ( n )
        put(o, tmp[--n]);
    if ( left )
        for ( ; pad > 0; pad-- )
            put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for ( ; *fmt; fmt++ )
    {
        bool zero = false, left = false, alt = false;
        int width = 0, lng = 0;
        uint64_t u;
        int64_t s;
        const char *str;

        if ( *fmt != '%' )
        {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        for ( ; *fmt == '0' || *fmt == '-' || *fmt == '#'; fmt++ )
        {
            if ( *fmt == '0' )
                zero = true;
            else if ( *fmt == '-' )
                left = true;
            else
                alt = true;
        }
        for ( ; *fmt >= '0' && *fmt <= '9'; fmt++ )
            width = width * 10 + (*fmt - '0');
        for ( ; *fmt == 'l' || *fmt == 'z'; fmt++ )
            lng += *fmt == 'l' ? 1 : 0;

        switch ( *fmt )
        {
        case 'd':
        case 'i':
            s = lng >= 2 ? va_arg(ap, long long) : va_arg(ap, int);
            u = s < 0 ? -(uint64_t)s : (uint64_t)s;
            put_num(&o, u, 10, false, s < 0, width, zero, left);
            break;
        case 'u':
        case 'x':
        case 'X':
            u = lng >= 2 ? va_arg(ap, unsigned long long)
                         : va_arg(ap, unsigned int);
            if ( alt && *fmt != 'u' )
            {
                put(&o, '0');
                put(&o, 'x');
                width -= 2;
            }
            put_num(&o, u, *fmt == 'u' ? 10 : 16, *fmt == 'X', false,
                    width, zero, left);
            break;
        case 'p':
            put(&o, '0');
            put(&o, 'x');
            put_num(&o, (uint32_t)va_arg(ap, void *), 16, false, false,
                    8, true, false);
            break;
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 's':
            str = va_arg(ap, const char *);
            if ( !str )
                str = "(null)";
            width -= strlen(str);
            for ( ; !left && width > 0; width-- )
                put(&o, ' ');
            for ( ; *str; str++ )
                put(&o, *str);
            for ( ; left && width > 0; width-- )
                put(&o, ' ');
            break;
        case '%':
            put(&o, '%');
            break;
        default:
            /* Unknown conversion: show it rather than guess. */
            put(&o, '%');
            if ( !*fmt )
                goto out;
            put(&o, *fmt);
            break;
        }
    }
 out:
    if ( size )
        buf[o.len < size ? o.len : size - 1] = '\0';
    return o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

void vprintf(const char *fmt, va_list ap)
{
    char buf[512];
    uint32_t f;

    /* After the verdict nothing else may reach the log. */
    if ( console_closed )
        return;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    f = spin_lock_irqsave(&console_lock);
    uart_puts(buf);
    spin_unlock_irqrestore(&console_lock, f);
}

void printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

void console_flush(void)
{
    unsigned int spins;

    for ( spins = 0; spins < 1000000; spins++ )
        if ( inb(UART_BASE + UART_LSR) & UART_LSR_TEMT )
            break;
}

void console_write_force(const char *s)
{
    unsigned int tries;
    bool locked = false;

    /*
     * The fatal paths use this: the lock may be held by this very CPU (a
     * fault inside printf) or by a CPU that will never let go; after a
     * while print anyway, a garbled line beats a silent hang.
     */
    for ( tries = 0; tries < 10000000 && !locked; tries++ )
        locked = spin_trylock(&console_lock);
    uart_puts(s);
    if ( locked )
        spin_unlock(&console_lock);
}

/*
 * printf-style formatting for printk and snprintf: the conversions the
 * hypervisor uses (d i u x X o p s c %), with flags, width, precision and
 * the hh/h/l/ll/z/t/j length modifiers.  No floating point.
 */
#include <xen/lib.h>

struct out
{
    char *buf;
    size_t size;
    size_t len;         /* characters produced, even past 'size' */
};

static void put(struct out *o, char c)
{
    if ( o->len + 1 < o->size )
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while ( n-- > 0 )
        put(o, c);
}

/* F_PTR: the 0x prefix even for zero, so every pointer is 18 wide. */
enum { F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16,
       F_PTR = 32 };

static void number(struct out *o, unsigned long long v, bool neg,
                   unsigned int base, bool upper, int flags, int width,
                   int prec)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0, len;
    char sign = 0;
    const char *prefix = "";

    if ( neg )
        sign = '-';
    else if ( flags & F_PLUS )
        sign = '+';
    else if ( flags & F_SPACE )
        sign = ' ';
    if ( flags & F_PTR )
        prefix = "0x";
    else if ( (flags & F_ALT) && v )
        prefix = base == 16 ? (upper ? "0X" : "0x") : base == 8 ? "0" : "";

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while ( v );
    if ( prec == 0 && n == 1 && tmp[0] == '0' )
        n = 0;

    len = (n > prec ? n : prec) + (sign ? 1 : 0) + (int)strlen(prefix);
    if ( !(flags & (F_LEFT | F_ZERO)) || prec >= 0 )
        pad(o, ' ', (flags & F_LEFT) ? 0 : width - len);
    if ( sign )
        put(o, sign);
    while ( *prefix )
        put(o, *prefix++);
    if ( (flags & F_ZERO) && !(flags & F_LEFT) && prec < 0 )
        pad(o, '0', width - len);
    pad(o, '0', prec - n);
    while ( n )
        put(o, tmp[--n]);
    if ( flags & F_LEFT )
        pad(o, ' ', width - len);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
    struct out o = { buf, size, 0 };

    for ( ; *fmt; fmt++ )
    {
        int flags = 0, width = -1, prec = -1, lng = 0;
        unsigned long long v;
        bool neg = false;

        if ( *fmt != '%' )
        {
            put(&o, *fmt);
            continue;
        }

        for ( ; ; )
        {
            char c = *++fmt;

            if ( c == '-' )
                flags |= F_LEFT;
            else if ( c == '0' )
                flags |= F_ZERO;
            else if ( c == '+' )
                flags |= F_PLUS;
            else if ( c == ' ' )
                flags |= F_SPACE;
            else if ( c == '#' )
                flags |= F_ALT;
            else
                break;
        }

        if ( *fmt == '*' )
        {
            width = va_arg(args, int);
            if ( width < 0 )
            {
                flags |= F_LEFT;
                width = -width;
            }
            fmt++;
        }
        else
            for ( width = 0; *fmt >= '0' && *fmt <= '9'; fmt++ )
                width = width * 10 + (*fmt - '0');

        if ( *fmt == '.' )
        {
            fmt++;
            if ( *fmt == '*' )
            {
                prec = va_arg(args, int);
                fmt++;
            }
            else
                for ( prec = 0; *fmt >= '0' && *fmt <= '9'; fmt++ )
                    prec = prec * 10 + (*fmt - '0');
        }

        /* lng: -2 hh, -1 h, 0 int, 1 long, 2 long long */
        if ( *fmt == 'h' )
        {
            lng = -1;
            if ( *++fmt == 'h' )
            {
                lng = -2;
                fmt++;
            }
        }
        else if ( *fmt == 'l' )
        {
            lng = 1;
            if ( *++fmt == 'l' )
            {
                lng = 2;
                fmt++;
            }
        }
        else if ( *fmt == 'z' || *fmt == 't' || *fmt == 'j' )
        {
            lng = 2;
            fmt++;
        }

        switch ( *fmt )
        {
        case 'c':
            if ( !(flags & F_LEFT) )
                pad(&o, ' ', width - 1);
            put(&o, (char)va_arg(args, int));
            if ( flags & F_LEFT )
                pad(&o, ' ', width - 1);
            break;

        case 's':
        {
            const char *s = va_arg(args, const char *);
            int n;

            if ( !s )
                s = "(null)";
            n = (int)strnlen(s, prec < 0 ? ~(size_t)0 >> 1 : (size_t)prec);
            if ( !(flags & F_LEFT) )
                pad(&o, ' ', width - n);
            for ( int i = 0; i < n; i++ )
                put(&o, s[i]);
            if ( flags & F_LEFT )
                pad(&o, ' ', width - n);
            break;
        }

        case 'p':
            v = (unsigned long)va_arg(args, void *);
            number(&o, v, false, 16, false, flags | F_PTR | F_ZERO, 18, -1);
            break;

        case 'd':
        case 'i':
        {
            long long sv;

            if ( lng == 2 )
                sv = va_arg(args, long long);
            else if ( lng == 1 )
                sv = va_arg(args, long);
            else
                sv = va_arg(args, int);
            if ( lng == -1 )
                sv = (short)sv;
            else if ( lng == -2 )
                sv = (signed char)sv;
            neg = sv < 0;
            v = neg ? -(unsigned long long)sv : (unsigned long long)sv;
            number(&o, v, neg, 10, false, flags, width, prec);
            break;
        }

        case 'u':
        case 'x':
        case 'X':
        case 'o':
            if ( lng == 2 )
                v = va_arg(args, unsigned long long);
            else if ( lng == 1 )
                v = va_arg(args, unsigned long);
            else
                v = va_arg(args, unsigned int);
            if ( lng == -1 )
                v = (unsigned short)v;
            else if ( lng == -2 )
                v = (unsigned char)v;
            number(&o, v, false,
                   *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16,
                   *fmt == 'X', flags, width, prec);
            break;

        case '%':
            put(&o, '%');
            break;

        case '\0':
            fmt--;      /* a lone '%' at the end: stop at the terminator */
            break;

        default:
            /* Unknown conversion: print it as written, visibly. */
            put(&o, '%');
            put(&o, *fmt);
            break;
        }
    }

    if ( size )
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list args;
    int n;

    va_start(args, fmt);
    n = vsnprintf(buf, size, fmt, args);
    va_end(args);
    return n;
}

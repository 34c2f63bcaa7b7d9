/*
 * Command line parsing: split the line into options and apply each one to
 * the matching entries of a kernel_param table.
 *
 * Grammar, per option (options are separated by blanks):
 *   name              boolean true; empty value for strings and custom
 *   no-name           boolean false (booleans only)
 *   name=value        value up to the next blank outside double quotes;
 *                     the quotes themselves are dropped, so name="a b"
 *                     gives 'a b'
 * Numbers are decimal or 0x hex; octal is deliberately not supported, so
 * "010" is ten.  Sizes take an optional K, M, G or T suffix (any case).
 *
 * parse_params() runs at boot on one CPU; the value buffer is static
 * (boot stacks are small), so it is not reentrant and needs no lock.
 */

#include <xen/errno.h>
#include <xen/lib.h>
#include <xen/param.h>

/* As long as the longest command line the boot code keeps. */
#define MAX_VALUE_LEN 1024

static char value_buf[MAX_VALUE_LEN];
static char name_buf[MAX_VALUE_LEN];

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int parse_bool(const char *s)
{
    static const char *const yes[] = { "1", "yes", "on", "true", "enable" };
    static const char *const no[] = { "0", "no", "off", "false", "disable" };
    unsigned int i;

    if ( !s )
        return -1;

    for ( i = 0; i < ARRAY_SIZE(yes); i++ )
    {
        if ( !strcmp(s, yes[i]) )
            return 1;
        if ( !strcmp(s, no[i]) )
            return 0;
    }

    return -1;
}

/*
 * Parse a whole string as an unsigned number: decimal, or hex after 0x.
 * Sets *end to the first character not consumed; false on no digits or
 * on overflow of 64 bits.
 */
static bool parse_u64(const char *s, u64 *val, const char **end)
{
    unsigned int base = 10, digits = 0;
    u64 v = 0;

    if ( s[0] == '0' && (s[1] == 'x' || s[1] == 'X') )
    {
        base = 16;
        s += 2;
    }

    for ( ; ; s++, digits++ )
    {
        unsigned int d;

        if ( *s >= '0' && *s <= '9' )
            d = *s - '0';
        else if ( base == 16 && *s >= 'a' && *s <= 'f' )
            d = *s - 'a' + 10;
        else if ( base == 16 && *s >= 'A' && *s <= 'F' )
            d = *s - 'A' + 10;
        else
            break;

        if ( __builtin_mul_overflow(v, base, &v) ||
             __builtin_add_overflow(v, d, &v) )
            return false;
    }

    *val = v;
    *end = s;
    return digits != 0;
}

/* Store v into an unsigned variable of 'len' bytes; false if it won't fit. */
static bool store_uint(void *var, unsigned int len, u64 v)
{
    switch ( len )
    {
    case 1:
        if ( v > 0xff )
            return false;
        *(u8 *)var = v;
        return true;
    case 2:
        if ( v > 0xffff )
            return false;
        *(u16 *)var = v;
        return true;
    case 4:
        if ( v > 0xffffffffu )
            return false;
        *(u32 *)var = v;
        return true;
    case 8:
        *(u64 *)var = v;
        return true;
    default:
        return false;
    }
}

static bool parse_uint_opt(const struct kernel_param *p, const char *val)
{
    const char *end;
    u64 v;

    if ( !parse_u64(val, &v, &end) || *end )
        return false;
    return store_uint(p->par.var, p->len, v);
}

static bool parse_size_opt(const struct kernel_param *p, const char *val)
{
    unsigned int shift = 0;
    const char *end;
    u64 v;

    if ( !parse_u64(val, &v, &end) )
        return false;

    switch ( *end )
    {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    }

    if ( *end || (shift && v > (~0ULL >> shift)) )
        return false;

    return store_uint(p->par.var, p->len, v << shift);
}

static bool parse_str_opt(const struct kernel_param *p, const char *val)
{
    size_t n = strlen(val);

    /* Too long is an error rather than a silent truncation. */
    if ( n >= p->len )
        return false;
    memcpy(p->par.var, val, n + 1);
    return true;
}

/*
 * Apply one option to one table entry.  'val' is NULL when the option had
 * no '=', 'negated' when it was written as no-name (booleans only).
 * Returns 1 if the value is bad, 0 if it was applied.
 */
static int apply(const struct kernel_param *p, const char *val, bool negated)
{
    bool ok = false;
    int b;

    switch ( p->type )
    {
    case OPT_BOOL:
        /* As in Xen, "no-name=value" inverts the value. */
        b = val ? parse_bool(val) : 1;
        if ( b >= 0 )
            ok = store_uint(p->par.var, p->len, negated ? !b : b);
        break;
    case OPT_UINT:
        ok = val && parse_uint_opt(p, val);
        break;
    case OPT_SIZE:
        ok = val && parse_size_opt(p, val);
        break;
    case OPT_STR:
        ok = parse_str_opt(p, val ? val : "");
        break;
    case OPT_CUSTOM:
        ok = p->par.func(val ? val : "") == 0;
        break;
    }

    return !ok;
}

/* Does table entry p have the name [name, name + len)? */
static bool name_is(const struct kernel_param *p, const char *name,
                    size_t len)
{
    return !strncmp(p->name, name, len) && p->name[len] == '\0';
}

/* Copy at most size - 1 bytes of [s, s + n) and terminate. */
static void copy_bounded(char *dst, size_t size, const char *s, size_t n)
{
    if ( n >= size )
        n = size - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/*
 * Handle the option [opt, opt_end).  Returns 1 when it is rejected,
 * 0 when it was applied.
 */
static int parse_one(const char *opt, const char *opt_end,
                     const struct kernel_param *start,
                     const struct kernel_param *end)
{
    const struct kernel_param *p;
    const char *eq = opt, *val = NULL;
    size_t name_len;
    bool found = false, bad = false, too_long = false;

    while ( eq < opt_end && *eq != '=' )
        eq++;
    name_len = eq - opt;

    if ( eq < opt_end )
    {
        const char *s;
        size_t n = 0;

        for ( s = eq + 1; s < opt_end; s++ )
        {
            if ( *s == '"' )
                continue;
            if ( n + 1 >= sizeof(value_buf) )
            {
                too_long = true;
                break;
            }
            value_buf[n++] = *s;
        }
        value_buf[n] = '\0';
        val = value_buf;
    }

    copy_bounded(name_buf, sizeof(name_buf), opt, name_len);

    for ( p = start; p < end; p++ )
    {
        if ( !name_is(p, opt, name_len) )
            continue;
        found = true;
        bad |= too_long || apply(p, val, false);
    }

    /* "no-name" only means something for a boolean called "name". */
    if ( !found && name_len > 3 && !strncmp(opt, "no-", 3) )
    {
        for ( p = start; p < end; p++ )
        {
            if ( p->type != OPT_BOOL || !name_is(p, opt + 3, name_len - 3) )
                continue;
            found = true;
            bad |= too_long || apply(p, val, true);
        }
    }

    if ( !found )
    {
        printk(XENLOG_WARNING "Unknown command line option '%s'\n",
               name_buf);
        return 1;
    }

    if ( bad )
    {
        printk(XENLOG_WARNING "Bad value for option '%s': '%s'\n",
               name_buf, val ? val : "");
        return 1;
    }

    return 0;
}

int parse_params(const char *cmdline, const struct kernel_param *start,
                 const struct kernel_param *end)
{
    const char *s = cmdline;
    int rejected = 0;

    if ( !s )
        return 0;

    for ( ; ; )
    {
        const char *opt;
        bool quoted = false;

        while ( is_blank(*s) )
            s++;
        if ( !*s )
            break;

        /* Blanks inside double quotes belong to the option. */
        for ( opt = s; *s && (quoted || !is_blank(*s)); s++ )
            if ( *s == '"' )
                quoted = !quoted;

        rejected += parse_one(opt, s, start, end);
    }

    return rejected;
}

/*
 * xl.cfg files: a hand-written lexer and parser for xl's grammar
 * (xl.cfg(5); XL-CONVENTIONS.md), then the keys libxl-lite knows turned
 * into a struct xll_config.
 *
 *   file  := { [ KEY ("=" | "+=") value ] (NEWLINE | ";") } [ statement ]
 *   value := STRING | NUMBER | "[" { value "," } [ value ] "]"
 *
 * Keys are [a-z][._0-9a-z]*; strings are "..." or '...' with backslash
 * escapes; numbers are decimal, 0-octal or 0x-hex; # starts a comment to
 * the end of the line; newlines may appear inside lists.  A key given
 * twice takes its last value, as in xl; "+=" appends to a list or a
 * string.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

/* Deeper nesting than any key uses; bounds the parser's recursion. */
#define MAX_LIST_DEPTH  8

enum value_type
{
    V_STRING,
    V_NUMBER,
    V_LIST,
};

struct value
{
    enum value_type type;
    char *text;                 /* the string, or the number as written */
    unsigned long long num;     /* V_NUMBER */
    struct value *items;        /* V_LIST */
    unsigned int nr_items;
    unsigned int line, col;
};

struct setting
{
    char *key;
    const char *source;         /* the file's name or "command line" */
    unsigned int line, col;     /* of the key */
    struct value value;
};

enum token_type
{
    T_EOF,
    T_NEWLINE,
    T_SEMI,
    T_KEY,
    T_STRING,
    T_NUMBER,
    T_ASSIGN,
    T_APPEND,
    T_LBRACKET,
    T_RBRACKET,
    T_COMMA,
};

struct token
{
    enum token_type type;
    unsigned int line, col;
    char *text;                 /* T_KEY, T_STRING, T_NUMBER: malloc'd */
    unsigned long long num;
};

struct parser
{
    const char *source;
    const char *p, *end;
    unsigned int line, col;
    struct token tok;           /* the current token */
    struct setting *settings;
    unsigned int nr_settings, max_settings;
    char **err;
};

static int perror_at(struct parser *ps, unsigned int line, unsigned int col,
                     const char *fmt, ...)
    __attribute__((__format__(__printf__, 4, 5)));

static int perror_at(struct parser *ps, unsigned int line, unsigned int col,
                     const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = xll__vprintf(fmt, ap);
    va_end(ap);
    xll__error(ps->err, "%s:%u:%u: %s", ps->source, line, col,
               msg ? msg : "out of memory");
    free(msg);
    return -1;
}

static void value_clear(struct value *v)
{
    unsigned int i;

    for ( i = 0; i < v->nr_items; i++ )
        value_clear(&v->items[i]);
    free(v->items);
    free(v->text);
    memset(v, 0, sizeof(*v));
}

/* Advance over one byte, keeping line and column. */
static void advance(struct parser *ps)
{
    if ( *ps->p == '\n' )
    {
        ps->line++;
        ps->col = 1;
    }
    else
        ps->col++;
    ps->p++;
}

static int hex_digit(char c)
{
    if ( c >= '0' && c <= '9' )
        return c - '0';
    if ( c >= 'a' && c <= 'f' )
        return c - 'a' + 10;
    if ( c >= 'A' && c <= 'F' )
        return c - 'A' + 10;
    return -1;
}

/* A quoted string, the opening quote at ps->p. */
static int lex_string(struct parser *ps, struct token *t)
{
    char quote = *ps->p;
    char *out;
    size_t n = 0;
    unsigned int eline, ecol;
    int c, d, i;

    /* The decoded string is never longer than the source. */
    out = malloc(ps->end - ps->p + 1);
    if ( !out )
        return perror_at(ps, t->line, t->col, "out of memory");
    advance(ps);
    for ( ;; )
    {
        if ( ps->p == ps->end || *ps->p == '\n' )
        {
            free(out);
            return perror_at(ps, t->line, t->col, "unterminated string");
        }
        if ( *ps->p == quote )
            break;
        if ( *ps->p == '\0' )
        {
            free(out);
            /* Every consumer takes C strings: a NUL would cut it short. */
            return perror_at(ps, ps->line, ps->col, "NUL byte in string");
        }
        if ( *ps->p != '\\' )
        {
            out[n++] = *ps->p;
            advance(ps);
            continue;
        }

        /* An escape: \n \t etc., \ooo octal, \xHH hex, \ any quote. */
        eline = ps->line;
        ecol = ps->col;
        advance(ps);
        if ( ps->p == ps->end || *ps->p == '\n' )
            continue;           /* reported as unterminated above */
        c = (unsigned char)*ps->p;
        advance(ps);
        switch ( c )
        {
        case 'a': c = '\a'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'v': c = '\v'; break;
        case '\\': case '"': case '\'':
            break;
        case 'x':
            c = 0;
            for ( i = 0; i < 2 && ps->p < ps->end &&
                         (d = hex_digit(*ps->p)) >= 0; i++ )
            {
                c = c * 16 + d;
                advance(ps);
            }
            if ( i == 0 )
            {
                free(out);
                return perror_at(ps, eline, ecol,
                                 "\\x without hex digits in string");
            }
            break;
        case '0': case '1': case '2': case '3':
        case '4': case '5': case '6': case '7':
            c -= '0';
            for ( i = 1; i < 3 && ps->p < ps->end &&
                         *ps->p >= '0' && *ps->p <= '7'; i++ )
            {
                c = c * 8 + (*ps->p - '0');
                advance(ps);
            }
            if ( c > 0xff )
            {
                free(out);
                return perror_at(ps, eline, ecol,
                                 "octal escape above \\377 in string");
            }
            break;
        default:
            free(out);
            if ( isprint(c) )
                return perror_at(ps, eline, ecol,
                                 "unknown escape '\\%c' in string", c);
            return perror_at(ps, eline, ecol, "unknown escape in string");
        }
        if ( c == 0 )
        {
            free(out);
            /* Every consumer takes C strings: a NUL would cut it short. */
            return perror_at(ps, eline, ecol, "NUL byte in string");
        }
        out[n++] = c;
    }
    advance(ps);                /* the closing quote */
    out[n] = '\0';
    t->type = T_STRING;
    t->text = out;
    return 0;
}

/* A number: a digit, then letters and digits, read as C does (base 0). */
static int lex_number(struct parser *ps, struct token *t)
{
    const char *start = ps->p;
    char *endp;

    while ( ps->p < ps->end && (isalnum((unsigned char)*ps->p) ||
                                *ps->p == '_' || *ps->p == '.') )
        advance(ps);
    t->text = strndup(start, ps->p - start);
    if ( !t->text )
        return perror_at(ps, t->line, t->col, "out of memory");
    errno = 0;
    t->num = strtoull(t->text, &endp, 0);
    if ( *endp )
        return perror_at(ps, t->line, t->col, "bad number \"%s\"", t->text);
    if ( errno == ERANGE )
        return perror_at(ps, t->line, t->col, "number %s is too large",
                         t->text);
    t->type = T_NUMBER;
    return 0;
}

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_';
}

/* The next token into ps->tok (the previous one freed). */
static int next_token(struct parser *ps)
{
    struct token *t = &ps->tok;
    const char *start;
    unsigned char c;

    free(t->text);
    memset(t, 0, sizeof(*t));

    while ( ps->p < ps->end &&
            (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r') )
        advance(ps);
    if ( ps->p < ps->end && *ps->p == '#' )
        while ( ps->p < ps->end && *ps->p != '\n' )
            advance(ps);

    t->line = ps->line;
    t->col = ps->col;
    if ( ps->p == ps->end )
    {
        t->type = T_EOF;
        return 0;
    }

    c = *ps->p;
    switch ( c )
    {
    case '\n': advance(ps); t->type = T_NEWLINE; return 0;
    case ';':  advance(ps); t->type = T_SEMI; return 0;
    case '=':  advance(ps); t->type = T_ASSIGN; return 0;
    case '[':  advance(ps); t->type = T_LBRACKET; return 0;
    case ']':  advance(ps); t->type = T_RBRACKET; return 0;
    case ',':  advance(ps); t->type = T_COMMA; return 0;
    case '"': case '\'':
        return lex_string(ps, t);
    case '+':
        if ( ps->end - ps->p >= 2 && ps->p[1] == '=' )
        {
            advance(ps);
            advance(ps);
            t->type = T_APPEND;
            return 0;
        }
        break;
    }
    if ( c >= '0' && c <= '9' )
        return lex_number(ps, t);
    if ( isalpha(c) || c == '_' )
    {
        start = ps->p;
        while ( ps->p < ps->end && (isalnum((unsigned char)*ps->p) ||
                                    *ps->p == '.' || *ps->p == '_') )
            advance(ps);
        t->text = strndup(start, ps->p - start);
        if ( !t->text )
            return perror_at(ps, t->line, t->col, "out of memory");
        for ( start = t->text + 1; *start && key_char(*start); start++ )
            ;
        if ( !(t->text[0] >= 'a' && t->text[0] <= 'z') || *start )
            return perror_at(ps, t->line, t->col,
                             "bad key \"%s\" (keys are [a-z][._0-9a-z]*)",
                             t->text);
        t->type = T_KEY;
        return 0;
    }
    if ( isprint(c) )
        return perror_at(ps, t->line, t->col, "unexpected character '%c'",
                         c);
    return perror_at(ps, t->line, t->col, "unexpected byte 0x%02x", c);
}

static int skip_newlines(struct parser *ps)
{
    while ( ps->tok.type == T_NEWLINE )
        if ( next_token(ps) )
            return -1;
    return 0;
}

static int parse_value(struct parser *ps, struct value *v,
                       unsigned int depth)
{
    struct token *t = &ps->tok;
    struct value *items;

    memset(v, 0, sizeof(*v));
    v->line = t->line;
    v->col = t->col;
    switch ( t->type )
    {
    case T_STRING:
    case T_NUMBER:
        v->type = t->type == T_STRING ? V_STRING : V_NUMBER;
        v->text = t->text;
        v->num = t->num;
        t->text = NULL;
        return next_token(ps);
    case T_LBRACKET:
        break;
    default:
        return perror_at(ps, t->line, t->col, "expected a value");
    }

    if ( depth >= MAX_LIST_DEPTH )
        return perror_at(ps, t->line, t->col,
                         "lists nested more than %u deep", MAX_LIST_DEPTH);
    v->type = V_LIST;
    if ( next_token(ps) || skip_newlines(ps) )
        return -1;
    while ( t->type != T_RBRACKET )
    {
        items = realloc(v->items, (v->nr_items + 1) * sizeof(*items));
        if ( !items )
            return perror_at(ps, t->line, t->col, "out of memory");
        v->items = items;
        if ( parse_value(ps, &v->items[v->nr_items++], depth + 1) ||
             skip_newlines(ps) )
            return -1;
        if ( t->type == T_COMMA )
        {
            if ( next_token(ps) || skip_newlines(ps) )
                return -1;
        }
        else if ( t->type != T_RBRACKET )
            return perror_at(ps, t->line, t->col,
                             "expected ',' or ']' in list");
    }
    return next_token(ps);
}

static const char *type_word(enum value_type type)
{
    switch ( type )
    {
    case V_STRING: return "a string";
    case V_NUMBER: return "a number";
    default:       return "a list";
    }
}

static struct setting *find_setting(struct setting *s, unsigned int nr,
                                    const char *key)
{
    unsigned int i;

    for ( i = 0; i < nr; i++ )
        if ( !strcmp(s[i].key, key) )
            return &s[i];
    return NULL;
}

/*
 * Keep 'key OP value': a later "=" replaces an earlier one; "+=", as in
 * xl, adds a list's items to the list already there or a string to the
 * end of the string (and is "=" when the key is new).  Takes over key
 * and value.
 */
static int store_setting(struct parser *ps, char *key, unsigned int line,
                         unsigned int col, bool append, struct value *v)
{
    struct setting *s = find_setting(ps->settings, ps->nr_settings, key);
    struct value *items;
    char *joined;

    if ( s && append )
    {
        if ( v->type == V_NUMBER || s->value.type == V_NUMBER ||
             v->type != s->value.type )
        {
            perror_at(ps, v->line, v->col, "\"+=\" adds %s to %s",
                      type_word(v->type), type_word(s->value.type));
            goto fail;
        }
        if ( v->type == V_STRING )
        {
            joined = xll__printf("%s%s", s->value.text, v->text);
            if ( !joined )
            {
                perror_at(ps, line, col, "out of memory");
                goto fail;
            }
            free(s->value.text);
            s->value.text = joined;
            value_clear(v);
            free(key);
            return 0;
        }
        items = realloc(s->value.items, (s->value.nr_items + v->nr_items) *
                                        sizeof(*items));
        if ( !items && s->value.nr_items + v->nr_items )
        {
            perror_at(ps, line, col, "out of memory");
            goto fail;
        }
        s->value.items = items;
        memcpy(&items[s->value.nr_items], v->items,
               v->nr_items * sizeof(*items));
        s->value.nr_items += v->nr_items;
        free(v->items);
        free(key);
        return 0;
    }
    if ( !s )
    {
        if ( ps->nr_settings == ps->max_settings )
        {
            unsigned int max = ps->max_settings ? ps->max_settings * 2 : 16;

            s = realloc(ps->settings, max * sizeof(*s));
            if ( !s )
            {
                perror_at(ps, line, col, "out of memory");
                goto fail;
            }
            ps->settings = s;
            ps->max_settings = max;
        }
        s = &ps->settings[ps->nr_settings++];
        s->key = key;
    }
    else
    {
        value_clear(&s->value);
        free(key);
    }
    s->source = ps->source;
    s->line = line;
    s->col = col;
    s->value = *v;
    return 0;

 fail:
    value_clear(v);
    free(key);
    return -1;
}

/* Every statement in [text, text + len), into ps->settings. */
static int parse_text(struct parser *ps, const char *source,
                      const char *text, size_t len, unsigned int line)
{
    struct token *t = &ps->tok;
    struct value v;
    char *key;
    unsigned int kline, kcol;
    bool append;

    ps->source = source;
    ps->p = text;
    ps->end = text + len;
    ps->line = line;
    ps->col = 1;
    if ( next_token(ps) )
        return -1;
    for ( ;; )
    {
        switch ( t->type )
        {
        case T_EOF:
            return 0;
        case T_NEWLINE:
        case T_SEMI:
            if ( next_token(ps) )
                return -1;
            continue;
        case T_KEY:
            break;
        default:
            return perror_at(ps, t->line, t->col, "expected a key");
        }

        key = t->text;
        t->text = NULL;
        kline = t->line;
        kcol = t->col;
        if ( next_token(ps) )
            goto fail_key;
        if ( t->type != T_ASSIGN && t->type != T_APPEND )
        {
            perror_at(ps, t->line, t->col,
                      "expected '=' or '+=' after \"%s\"", key);
            goto fail_key;
        }
        append = t->type == T_APPEND;
        if ( next_token(ps) )
            goto fail_key;
        if ( parse_value(ps, &v, 0) )
        {
            value_clear(&v);
            goto fail_key;
        }
        if ( t->type != T_NEWLINE && t->type != T_SEMI && t->type != T_EOF )
        {
            value_clear(&v);
            perror_at(ps, t->line, t->col,
                      "expected a new line or ';' after the value of %s",
                      key);
            goto fail_key;
        }
        if ( store_setting(ps, key, kline, kcol, append, &v) )
            return -1;
    }

 fail_key:
    free(key);
    return -1;
}

/*
 * An error in a setting's value 'v' (the value itself or an item of its
 * list): "SOURCE:LINE:COLUMN: KEY: MESSAGE", pointing at 'v'.
 */
static int verror(struct parser *ps, const struct setting *s,
                  const struct value *v, const char *fmt, va_list ap)
{
    char *msg = xll__vprintf(fmt, ap);

    xll__error(ps->err, "%s:%u:%u: %s: %s", s->source, v->line, v->col,
               s->key, msg ? msg : "out of memory");
    free(msg);
    return -1;
}

static int serror(struct parser *ps, const struct setting *s,
                  const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static int serror(struct parser *ps, const struct setting *s,
                  const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    verror(ps, s, &s->value, fmt, ap);
    va_end(ap);
    return -1;
}

static int ierror(struct parser *ps, const struct setting *s,
                  const struct value *item, const char *fmt, ...)
    __attribute__((__format__(__printf__, 4, 5)));

static int ierror(struct parser *ps, const struct setting *s,
                  const struct value *item, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    verror(ps, s, item, fmt, ap);
    va_end(ap);
    return -1;
}

static int want_type(struct parser *ps, const struct setting *s,
                     enum value_type type)
{
    if ( s->value.type == type )
        return 0;
    return serror(ps, s, "expected %s, not %s", type_word(type),
                  type_word(s->value.type));
}

static int get_number(struct parser *ps, const struct setting *s,
                      unsigned long long min, unsigned long long max,
                      const char *unit, unsigned int *out)
{
    if ( want_type(ps, s, V_NUMBER) )
        return -1;
    if ( s->value.num < min || s->value.num > max )
        return serror(ps, s, "%s is out of range (%llu-%llu%s)",
                      s->value.text, min, max, unit);
    *out = s->value.num;
    return 0;
}

static int get_string(struct parser *ps, const struct setting *s,
                      char **out)
{
    if ( want_type(ps, s, V_STRING) )
        return -1;
    free(*out);
    *out = strdup(s->value.text);
    if ( !*out )
        return serror(ps, s, "out of memory");
    return 0;
}

static int get_action(struct parser *ps, const struct setting *s,
                      enum xll_action *out)
{
    int a;

    if ( want_type(ps, s, V_STRING) )
        return -1;
    a = xll_action_from_name(s->value.text);
    if ( a < 0 )
        return serror(ps, s, "unknown action \"%s\" (destroy, restart, "
                      "rename-restart, preserve, coredump-destroy, "
                      "coredump-restart, soft-reset)", s->value.text);
    *out = a;
    return 0;
}

static int get_cpumap(struct parser *ps, const struct setting *s,
                      const struct value *v, struct xll_cpumap *map)
{
    char *why = NULL;
    int rc = 0;

    if ( v->type != V_STRING )
        return ierror(ps, s, v, "expected a string or a list of strings, "
                      "not %s", type_word(v->type));
    if ( xll_cpumap_parse(v->text, map, &why) )
        rc = ierror(ps, s, v, "%s", why ? why : "out of memory");
    free(why);
    return rc;
}

/* cpus="LIST" for every vCPU, or ["LIST", "LIST", ...] one per vCPU. */
static int get_cpus(struct parser *ps, const struct setting *s,
                    struct xll_config *cfg)
{
    const struct value *v = &s->value;
    struct xll_cpumap *maps;
    unsigned int i, n;
    int rc = -1;

    n = v->type == V_LIST ? v->nr_items : cfg->max_vcpus;
    if ( v->type == V_LIST && n > cfg->max_vcpus )
        return serror(ps, s, "%u CPU lists for %u vCPUs", n,
                      cfg->max_vcpus);
    maps = calloc(n ? n : 1, sizeof(*maps));
    if ( !maps )
        return serror(ps, s, "out of memory");
    for ( i = 0; i < n; i++ )
    {
        if ( v->type == V_LIST )
        {
            if ( get_cpumap(ps, s, &v->items[i], &maps[i]) )
                goto out;
        }
        else if ( i == 0 )
        {
            if ( get_cpumap(ps, s, v, &maps[0]) )
                goto out;
        }
        else
            maps[i] = maps[0];
    }
    if ( xll__config_set_cpumaps(cfg, maps, n) )
        serror(ps, s, "out of memory");
    else
        rc = 0;
 out:
    free(maps);
    return rc;
}

/*
 * The keys libxl-lite knows, in the order they are applied: those that
 * others depend on first (cpus needs maxvcpus, cap needs maxvcpus).
 */
enum key
{
    K_NAME, K_TYPE, K_MEMORY, K_MAXMEM, K_VCPUS, K_MAXVCPUS, K_KERNEL,
    K_RAMDISK, K_CMDLINE, K_ROOT, K_EXTRA, K_ON_POWEROFF, K_ON_REBOOT,
    K_ON_CRASH, K_CPUS, K_CPU_WEIGHT, K_CAP, NR_KEYS
};

static const char *const key_names[NR_KEYS] = {
    [K_NAME] = "name", [K_TYPE] = "type", [K_MEMORY] = "memory",
    [K_MAXMEM] = "maxmem", [K_VCPUS] = "vcpus", [K_MAXVCPUS] = "maxvcpus",
    [K_KERNEL] = "kernel", [K_RAMDISK] = "ramdisk",
    [K_CMDLINE] = "cmdline", [K_ROOT] = "root", [K_EXTRA] = "extra",
    [K_ON_POWEROFF] = "on_poweroff", [K_ON_REBOOT] = "on_reboot",
    [K_ON_CRASH] = "on_crash", [K_CPUS] = "cpus",
    [K_CPU_WEIGHT] = "cpu_weight", [K_CAP] = "cap",
};

/*
 * xl's rule for the kernel command line: cmdline wins; otherwise root
 * gives "root=ROOT EXTRA" (xl's own format, the space kept even without
 * extra), and extra alone is taken as it is.
 */
static int make_cmdline(struct parser *ps, struct setting *const *k,
                        struct xll_config *cfg)
{
    const char *extra = k[K_EXTRA] ? k[K_EXTRA]->value.text : NULL;

    if ( k[K_CMDLINE] )
        return get_string(ps, k[K_CMDLINE], &cfg->cmdline);
    if ( k[K_ROOT] )
    {
        cfg->cmdline = xll__printf("root=%s %s", k[K_ROOT]->value.text,
                                   extra ? extra : "");
        if ( !cfg->cmdline )
            return serror(ps, k[K_ROOT], "out of memory");
    }
    else if ( extra )
        return get_string(ps, k[K_EXTRA], &cfg->cmdline);
    return 0;
}

static int check_name(struct parser *ps, const struct setting *s)
{
    const char *why = xll__name_problem(s->value.text);

    return why ? serror(ps, s, "%s", why) : 0;
}

static int apply_settings(struct parser *ps, struct xll_config *cfg,
                          const char *path, unsigned int eof_line,
                          unsigned int eof_col)
{
    struct setting *k[NR_KEYS] = { NULL };
    struct setting *s;
    unsigned int i, j;
    int type;

    for ( i = 0; i < ps->nr_settings; i++ )
    {
        s = &ps->settings[i];
        for ( j = 0; j < NR_KEYS; j++ )
            if ( !strcmp(s->key, key_names[j]) )
                break;
        if ( j == NR_KEYS )
            return xll__error(ps->err, "%s:%u:%u: unknown key \"%s\"",
                              s->source, s->line, s->col, s->key);
        k[j] = s;
    }

    if ( !k[K_NAME] )
        return xll__error(ps->err, "%s:%u:%u: missing name (the one "
                          "mandatory key)", path, eof_line, eof_col);
    if ( get_string(ps, k[K_NAME], &cfg->name) ||
         check_name(ps, k[K_NAME]) )
        return -1;

    if ( k[K_TYPE] )
    {
        if ( want_type(ps, k[K_TYPE], V_STRING) )
            return -1;
        type = xll_type_from_name(k[K_TYPE]->value.text);
        if ( type < 0 )
            return serror(ps, k[K_TYPE], "\"%s\" is not a domain type "
                          "xen-lite builds (pvh, multiboot)",
                          k[K_TYPE]->value.text);
        cfg->type = type;
    }

    /* Either memory size defaults to the other, as in libxl. */
    if ( k[K_MEMORY] && get_number(ps, k[K_MEMORY], 1, XLL_MAX_MEMORY_MIB,
                                   " MiB", &cfg->memory_mib) )
        return -1;
    if ( k[K_MAXMEM] && get_number(ps, k[K_MAXMEM], 1, XLL_MAX_MEMORY_MIB,
                                   " MiB", &cfg->maxmem_mib) )
        return -1;
    if ( !k[K_MAXMEM] )
        cfg->maxmem_mib = cfg->memory_mib;
    else if ( !k[K_MEMORY] )
        cfg->memory_mib = cfg->maxmem_mib;
    if ( cfg->maxmem_mib < cfg->memory_mib )
        return serror(ps, k[K_MAXMEM], "%u MiB is less than memory (%u MiB)",
                      cfg->maxmem_mib, cfg->memory_mib);

    if ( k[K_VCPUS] && get_number(ps, k[K_VCPUS], 1, XLL_MAX_VCPUS, "",
                                  &cfg->vcpus) )
        return -1;
    if ( k[K_MAXVCPUS] && get_number(ps, k[K_MAXVCPUS], 1, XLL_MAX_VCPUS,
                                     "", &cfg->max_vcpus) )
        return -1;
    if ( !k[K_MAXVCPUS] )
        cfg->max_vcpus = cfg->vcpus;
    else if ( !k[K_VCPUS] )
        cfg->vcpus = cfg->max_vcpus;
    if ( cfg->max_vcpus < cfg->vcpus )
        return serror(ps, k[K_MAXVCPUS], "%u is less than vcpus (%u)",
                      cfg->max_vcpus, cfg->vcpus);

    if ( (k[K_KERNEL] && get_string(ps, k[K_KERNEL], &cfg->kernel)) ||
         (k[K_RAMDISK] && get_string(ps, k[K_RAMDISK], &cfg->ramdisk)) )
        return -1;
    if ( (k[K_CMDLINE] && want_type(ps, k[K_CMDLINE], V_STRING)) ||
         (k[K_ROOT] && want_type(ps, k[K_ROOT], V_STRING)) ||
         (k[K_EXTRA] && want_type(ps, k[K_EXTRA], V_STRING)) ||
         make_cmdline(ps, k, cfg) )
        return -1;

    if ( (k[K_ON_POWEROFF] &&
          get_action(ps, k[K_ON_POWEROFF], &cfg->on_poweroff)) ||
         (k[K_ON_REBOOT] && get_action(ps, k[K_ON_REBOOT], &cfg->on_reboot)) ||
         (k[K_ON_CRASH] && get_action(ps, k[K_ON_CRASH], &cfg->on_crash)) )
        return -1;

    if ( k[K_CPUS] && get_cpus(ps, k[K_CPUS], cfg) )
        return -1;
    if ( k[K_CPU_WEIGHT] && get_number(ps, k[K_CPU_WEIGHT], 1,
                                       XLL_MAX_WEIGHT, "",
                                       &cfg->cpu_weight) )
        return -1;
    /* The credit scheduler takes at most 100% per vCPU. */
    if ( k[K_CAP] && get_number(ps, k[K_CAP], 0, 100ULL * cfg->max_vcpus,
                                ": 100 per vCPU", &cfg->cap) )
        return -1;
    return 0;
}

struct xll_config *xll_config_from_xlcfg(const char *path,
                                         const char *const *extra,
                                         unsigned int nr_extra,
                                         char **err)
{
    struct parser ps = { .err = err };
    struct xll_config *cfg = NULL;
    unsigned int i, eof_line, eof_col;
    size_t len;
    char *text;
    int rc = -1;

    if ( err )
        *err = NULL;
    text = xll__read_file(path, &len, err);
    if ( !text )
        return NULL;
    if ( parse_text(&ps, path, text, len, 1) )
        goto out;
    eof_line = ps.line;
    eof_col = ps.col;
    /* As xl does, each KEY=VALUE is one more line after the file's. */
    for ( i = 0; i < nr_extra; i++ )
        if ( parse_text(&ps, "command line", extra[i], strlen(extra[i]),
                        i + 1) )
            goto out;

    cfg = xll__config_new();
    if ( !cfg )
    {
        xll__error(err, "%s: out of memory", path);
        goto out;
    }
    rc = apply_settings(&ps, cfg, path, eof_line, eof_col);

 out:
    free(ps.tok.text);
    for ( i = 0; i < ps.nr_settings; i++ )
    {
        free(ps.settings[i].key);
        value_clear(&ps.settings[i].value);
    }
    free(ps.settings);
    free(text);
    if ( rc )
    {
        xll_config_free(cfg);
        return NULL;
    }
    return cfg;
}

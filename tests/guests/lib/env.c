/*
 * Environment-file parsing. The module is copied into a static buffer at
 * boot (the loader's copy may sit in memory the test reuses), split into
 * lines in place, and looked up linearly: there are only a few keys.
 */
#include "console.h"
#include "env.h"
#include "string.h"
#include "test.h"

#define ENV_MAX_BYTES   4096
#define ENV_MAX_KEYS    64

static char env_buf[ENV_MAX_BYTES + 1];
static const char *keys[ENV_MAX_KEYS], *vals[ENV_MAX_KEYS];
static unsigned int nkeys;

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static char *trim(char *s)
{
    char *e;

    while ( is_space(*s) )
        s++;
    e = s + strlen(s);
    while ( e > s && is_space(e[-1]) )
        *--e = '\0';
    return s;
}

void env_init(const char *data, size_t len)
{
    char *line, *next, *eq;

    if ( len > ENV_MAX_BYTES )
        test_fail("environment file too large (%u bytes, max %u)",
                  (unsigned int)len, ENV_MAX_BYTES);
    memcpy(env_buf, data, len);
    env_buf[len] = '\0';

    for ( line = env_buf; line && *line; line = next )
    {
        next = line;
        while ( *next && *next != '\n' )
            next++;
        if ( *next )
            *next++ = '\0';
        else
            next = NULL;

        line = trim(line);
        if ( !*line || *line == '#' )
            continue;
        eq = line;
        while ( *eq && *eq != '=' )
            eq++;
        if ( !*eq )
            test_fail("environment line without '=': \"%s\"", line);
        *eq = '\0';
        if ( nkeys == ENV_MAX_KEYS )
            test_fail("more than %u keys in the environment file",
                      ENV_MAX_KEYS);
        keys[nkeys] = trim(line);
        vals[nkeys] = trim(eq + 1);
        printf("env: %s=%s\n", keys[nkeys], vals[nkeys]);
        nkeys++;
    }
}

unsigned int env_count(void)
{
    return nkeys;
}

const char *env_get(const char *key)
{
    unsigned int i;

    /* The last assignment wins, as in a shell. */
    for ( i = nkeys; i-- > 0; )
        if ( !strcmp(keys[i], key) )
            return vals[i];
    return NULL;
}

uint32_t env_u32(const char *key, uint32_t def)
{
    const char *s = env_get(key), *p;
    uint64_t v = 0;
    unsigned int base = 10;

    if ( !s )
    {
        printf("param: %s=%u (default)\n", key, def);
        return def;
    }
    p = s;
    if ( p[0] == '0' && (p[1] == 'x' || p[1] == 'X') )
    {
        base = 16;
        p += 2;
    }
    if ( !*p )
        test_fail("bad number for %s: \"%s\"", key, s);
    for ( ; *p; p++ )
    {
        unsigned int d;

        if ( *p >= '0' && *p <= '9' )
            d = *p - '0';
        else if ( base == 16 && *p >= 'a' && *p <= 'f' )
            d = *p - 'a' + 10;
        else if ( base == 16 && *p >= 'A' && *p <= 'F' )
            d = *p - 'A' + 10;
        else
            test_fail("bad number for %s: \"%s\"", key, s);
        v = v * base + d;
        if ( v >> 32 )
            test_fail("number too large for %s: \"%s\"", key, s);
    }
    printf("param: %s=%u (environment file)\n", key, (uint32_t)v);
    return (uint32_t)v;
}

/*
 * Tests for the hypervisor's string functions and printf formatting
 * (xen/common/string.c, vsnprintf.c), built as xen_* beside the C
 * library's so that every result can be compared with libc's.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

void *xen_memset(void *s, int c, size_t n);
void *xen_memcpy(void *dst, const void *src, size_t n);
void *xen_memmove(void *dst, const void *src, size_t n);
int xen_memcmp(const void *a, const void *b, size_t n);
size_t xen_strlen(const char *s);
size_t xen_strnlen(const char *s, size_t max);
int xen_strcmp(const char *a, const char *b);
int xen_strncmp(const char *a, const char *b, size_t n);
char *xen_strchr(const char *s, int c);
size_t xen_strlcpy(char *dst, const char *src, size_t size);
unsigned long long xen_simple_strtoull(const char *s, const char **end,
                                       unsigned int base);
int xen_vsnprintf(char *buf, size_t size, const char *fmt, va_list args);

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

/* Format with both implementations; the text and the length must agree. */
static void check_format(const char *file, int line, size_t size,
                         const char *fmt, ...)
{
    char ours[256], theirs[256];
    va_list a, b;
    int n_ours, n_theirs;

    memset(ours, 'X', sizeof(ours));
    memset(theirs, 'X', sizeof(theirs));
    va_start(a, fmt);
    va_copy(b, a);
    n_ours = xen_vsnprintf(ours, size, fmt, a);
    n_theirs = vsnprintf(theirs, size, fmt, b);
    va_end(a);
    va_end(b);

    if ( n_ours != n_theirs || memcmp(ours, theirs, sizeof(ours)) )
        harness_fail(file, line, false, "format \"%s\" size %zu: got "
                     "\"%.*s\" (%d), libc \"%.*s\" (%d)", fmt, size,
                     (int)(size ? size : 1), ours, n_ours,
                     (int)(size ? size : 1), theirs, n_theirs);
}
#define FMT(size, ...) check_format(__FILE__, __LINE__, size, __VA_ARGS__)

TEST(integers_format_like_libc_with_flags_width_and_precision)
{
    FMT(256, "%d %i %u %x %X %o", -5, 42, 3000000000u, 0xbeef, 0xBEEF, 8);
    FMT(256, "[%5d][%-5d][%05d][%+d][% d]", 42, 42, 42, 42, 42);
    FMT(256, "[%#x][%#o][%#x][%.3d][%8.3d][%-8.3x]", 255, 8, 0, 7, 7, 7);
    FMT(256, "[%.0d][%5.0d][%+.0d]", 0, 0, 0);
    FMT(256, "%d %d", INT_MIN, INT_MAX);
    FMT(256, "%ld %lu %lx", LONG_MIN, ULONG_MAX, ULONG_MAX);
    FMT(256, "%lld %llu", LLONG_MIN, ULLONG_MAX);
    FMT(256, "%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
    FMT(256, "%zu %zx", (size_t)123456789, (size_t)0xfff);
    FMT(256, "[%*d][%-*d][%0*d]", 6, 1, 6, 1, 6, -1);
}

TEST(strings_chars_and_percent_format_like_libc)
{
    FMT(256, "[%s][%10s][%-10s][%.2s][%.*s]", "abc", "abc", "abc", "abc",
        1, "xyz");
    FMT(256, "[%c][%3c][%-3c]", 'z', 'y', 'x');
    FMT(256, "100%% [%016lx]", 0xabcUL);
    FMT(256, "");
}

TEST(truncation_terminates_and_returns_the_full_length)
{
    FMT(1, "hello %d", 12345);
    FMT(5, "hello %d", 12345);
    FMT(11, "hello %d", 12345);
    FMT(12, "hello %d", 12345);
    FMT(0, "hello");
}

TEST(random_integers_and_widths_match_libc)
{
    static const char *const fmts[] = {
        "%d", "%u", "%x", "%o", "%ld", "%lx", "%-12d", "%012lx", "%+8ld",
        "%#10x", "%.7u", "% 5d",
    };

    srand(1234);
    for ( unsigned int i = 0; i < 20000; i++ )
    {
        long v = (long)(((unsigned long)rand() << 33) ^
                        ((unsigned long)rand() << 2) ^ (unsigned long)rand());
        const char *f = fmts[i % (sizeof(fmts) / sizeof(fmts[0]))];

        if ( f[strlen(f) - 2] == 'l' )
            FMT(64, f, v);
        else
            FMT(64, f, (int)v);
    }
}

static int xen_fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list args;
    int n;

    va_start(args, fmt);
    n = xen_vsnprintf(buf, size, fmt, args);
    va_end(args);
    return n;
}

TEST(pointer_prints_as_0x_and_16_hex_digits)
{
    char buf[64];

    /* Fixed width, unlike glibc, so register dumps line up. */
    CHECK_EQ(xen_fmt(buf, sizeof(buf), "%p", (void *)0xdeadbeefUL), 18);
    CHECK_STR_EQ(buf, "0x00000000deadbeef");
    xen_fmt(buf, sizeof(buf), "[%p]", (void *)0);
    CHECK_STR_EQ(buf, "[0x0000000000000000]");
}

TEST(unknown_conversion_is_printed_visibly)
{
    char buf[64];

    CHECK_EQ(xen_fmt(buf, sizeof(buf), "a%qb"), 4);
    CHECK_STR_EQ(buf, "a%qb");
    xen_fmt(buf, sizeof(buf), "tail%");
    CHECK_STR_EQ(buf, "tail");
}

TEST(memory_functions_match_libc_including_overlap)
{
    unsigned char a[64], b[64];

    for ( int i = 0; i < 64; i++ )
        a[i] = b[i] = (unsigned char)(i * 7);
    xen_memmove(a + 3, a, 40);
    memmove(b + 3, b, 40);
    CHECK(!memcmp(a, b, 64));
    xen_memmove(a, a + 5, 40);
    memmove(b, b + 5, 40);
    CHECK(!memcmp(a, b, 64));
    xen_memset(a, 0xab, 10);
    memset(b, 0xab, 10);
    CHECK(!memcmp(a, b, 64));
    CHECK_EQ(xen_memcpy(a, "xyz", 3), a);
    CHECK(!memcmp(a, "xyz", 3));
    CHECK_EQ(sign(xen_memcmp("abc", "abd", 3)), -1);
    CHECK_EQ(sign(xen_memcmp("abd", "abc", 3)), 1);
    CHECK_EQ(xen_memcmp("abc", "abd", 2), 0);
    CHECK_EQ(sign(xen_memcmp("\x80", "\x01", 1)), 1);   /* unsigned */
}

TEST(string_functions_match_libc)
{
    static const char *const s[] = { "", "a", "abc", "abd", "ab", "\xff" };
    char buf[8];

    for ( unsigned int i = 0; i < 6; i++ )
    {
        CHECK_EQ(xen_strlen(s[i]), strlen(s[i]));
        CHECK_EQ(xen_strnlen(s[i], 2), strnlen(s[i], 2));
        for ( unsigned int j = 0; j < 6; j++ )
        {
            CHECK_EQ(sign(xen_strcmp(s[i], s[j])), sign(strcmp(s[i], s[j])));
            CHECK_EQ(sign(xen_strncmp(s[i], s[j], 2)),
                     sign(strncmp(s[i], s[j], 2)));
        }
    }
    CHECK_PTR_EQ(xen_strchr("hello", 'l'), strchr("hello", 'l'));
    CHECK(xen_strchr("hello", 'z') == NULL);
    CHECK_PTR_EQ(xen_strchr("hello", '\0'), strchr("hello", '\0'));

    CHECK_EQ(xen_strlcpy(buf, "truncated!", sizeof(buf)), 10);
    CHECK_STR_EQ(buf, "truncat");
    CHECK_EQ(xen_strlcpy(buf, "ok", sizeof(buf)), 2);
    CHECK_STR_EQ(buf, "ok");
    buf[0] = 'q';
    CHECK_EQ(xen_strlcpy(buf, "ok", 0), 2);
    CHECK_EQ(buf[0], 'q');                      /* size 0 writes nothing */
}

TEST(strtoull_parses_bases_and_saturates_on_overflow)
{
    const char *end;

    CHECK_EQ(xen_simple_strtoull("1234x", &end, 10), 1234);
    CHECK_EQ(*end, 'x');
    CHECK_EQ(xen_simple_strtoull("0x1F", &end, 0), 0x1f);
    CHECK_EQ(*end, '\0');
    CHECK_EQ(xen_simple_strtoull("0x1F", &end, 16), 0x1f);
    CHECK_EQ(xen_simple_strtoull("017", &end, 0), 15);
    CHECK_EQ(xen_simple_strtoull("0x", &end, 0), 0);    /* just the 0 */
    CHECK_EQ(*end, 'x');
    CHECK_EQ(xen_simple_strtoull("18446744073709551615", &end, 10),
             ULLONG_MAX);
    CHECK_EQ(xen_simple_strtoull("18446744073709551616", &end, 10),
             ULLONG_MAX);
    CHECK_EQ(*end, '\0');
    CHECK_EQ(xen_simple_strtoull("99999999999999999999999", NULL, 10),
             ULLONG_MAX);
}

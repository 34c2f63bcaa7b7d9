/*
 * Memory and string functions (GCC may emit calls to memset and memcpy
 * even in freestanding code) and 64-by-32-bit division done with two DIVL
 * steps, since no 32-bit libgcc is available to provide __udivdi3.
 */
#include "string.h"

void *memset(void *s, int c, size_t n)
{
    unsigned char *p = s;

    while ( n-- )
        *p++ = (unsigned char)c;
    return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;

    while ( n-- )
        *dp++ = *sp++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *pa = a, *pb = b;

    for ( ; n; n--, pa++, pb++ )
        if ( *pa != *pb )
            return *pa - *pb;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while ( s[n] )
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while ( *a && *a == *b )
    {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for ( ; n; n--, a++, b++ )
    {
        if ( *a != *b )
            return (unsigned char)*a - (unsigned char)*b;
        if ( !*a )
            break;
    }
    return 0;
}

uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem)
{
    uint32_t hi = n >> 32, lo = (uint32_t)n, qhi, qlo, r;

    /* Divide the high word first so the second DIVL cannot overflow. */
    qhi = hi / d;
    r = hi % d;
    asm ( "divl %4" : "=a" (qlo), "=d" (r) : "0" (lo), "1" (r), "rm" (d) );
    if ( rem )
        *rem = r;
    return ((uint64_t)qhi << 32) | qlo;
}

uint64_t muldiv64(uint64_t n, uint32_t mul, uint32_t div)
{
    uint32_t r;
    uint64_t q = udiv64(n, div, &r);

    /*
     * n = q * div + r, so n * mul / div = q * mul + r * mul / div; the
     * second product fits in 64 bits because r < 2^32 and mul < 2^32.
     */
    return q * mul + udiv64((uint64_t)r * mul, div, NULL);
}

/*
 * String and memory functions.  The prototypes match the C library's, so
 * host-compiled unit tests link against libc while the hypervisor links
 * against common/string.c.
 */
#ifndef XEN_STRING_H
#define XEN_STRING_H

#include <xen/types.h>

void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* Copy at most size-1 bytes and always terminate; returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);

/*
 * Parse an unsigned number in base 10, or 16 with a 0x prefix, or 8 with a
 * leading 0 (base 0), like the C library's strtoull.  A value too large
 * for 64 bits saturates at ~0ULL.
 */
unsigned long long simple_strtoull(const char *s, const char **end,
                                   unsigned int base);

#endif /* XEN_STRING_H */

/*
 * The few string and memory functions the test kernels need, plus 64-bit
 * division helpers: there is no 32-bit libgcc here, so any plain 64-bit
 * '/' or '%' would fail to link (__udivdi3), which is what we want.
 */
#ifndef GUEST_STRING_H
#define GUEST_STRING_H

#include "x86.h"

void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* n / d, remainder in *rem if rem is not NULL. */
uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem);

/* n * mul / div without overflow for n < 2^64 / mul (any div > 0). */
uint64_t muldiv64(uint64_t n, uint32_t mul, uint32_t div);

#endif /* GUEST_STRING_H */

/*
 * Output to the 16550 UART at 0x3f8 and a small printf. Each printf call
 * is emitted as a unit under a lock, so lines from different CPUs do not
 * interleave mid-line.
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include "x86.h"

#define UART_BASE       0x3f8

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);

/* Set by the verdict: printf output is dropped from then on. */
extern volatile uint32_t console_closed;

/* Write a string, not waiting more than a bounded time for the lock. */
void console_write_force(const char *s);

/*
 * Wait (bounded) until the UART has sent everything: Bochs drops bytes
 * still in the transmitter when the machine is shut down.
 */
void console_flush(void);

#endif /* GUEST_CONSOLE_H */

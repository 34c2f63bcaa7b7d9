/*
 * printk, panic, assertions and the small helpers every file needs.
 */
#ifndef XEN_LIB_H
#define XEN_LIB_H

#include <stdarg.h>
#include <xen/types.h>
#include <xen/compiler.h>
#include <xen/string.h>

/*
 * Log levels, as in Xen: a message starts with one of these prefixes and
 * is printed when its level is at or below the loglvl= threshold.
 */
#define XENLOG_ERR      "<0>"
#define XENLOG_WARNING  "<1>"
#define XENLOG_INFO     "<2>"
#define XENLOG_DEBUG    "<3>"

void printk(const char *fmt, ...) __printf(1, 2);
void vprintk(const char *fmt, va_list args);
noreturn void panic(const char *fmt, ...) __printf(1, 2);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list args);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#define BUG() panic("BUG at %s:%d", __FILE__, __LINE__)
#define BUG_ON(c) do { if ( unlikely(c) ) BUG(); } while ( 0 )
#define ASSERT(c)                                                       \
    do {                                                                \
        if ( unlikely(!(c)) )                                           \
            panic("Assertion '%s' failed at %s:%d", #c, __FILE__,       \
                  __LINE__);                                            \
    } while ( 0 )

/* Whether all 'len' bytes at p are zero (reserved fields of an ABI). */
static inline bool mem_is_zero(const void *p, size_t len)
{
    const u8 *b = p;

    for ( size_t i = 0; i < len; i++ )
        if ( b[i] )
            return false;
    return true;
}

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define ROUNDUP(x, a)   (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ROUNDDOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))

#define min(a, b) ({ __typeof__(a) a_ = (a); __typeof__(b) b_ = (b);   \
                     a_ < b_ ? a_ : b_; })
#define max(a, b) ({ __typeof__(a) a_ = (a); __typeof__(b) b_ = (b);   \
                     a_ > b_ ? a_ : b_; })

#endif /* XEN_LIB_H */

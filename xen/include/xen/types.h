/*
 * Basic integer types for the hypervisor.  Only the compiler's freestanding
 * headers are used, so the same definitions serve the hypervisor image and
 * the host-compiled unit tests.
 */
#ifndef XEN_TYPES_H
#define XEN_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint8_t  u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t   s8;
typedef int16_t  s16;
typedef int32_t  s32;
typedef int64_t  s64;

typedef uint64_t paddr_t;       /* host physical address */
typedef int64_t  s_time_t;      /* system time in nanoseconds */

#define PRIpaddr "016lx"

#endif /* XEN_TYPES_H */

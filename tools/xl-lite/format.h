/*
 * xl-lite's output formats, as pure functions writing into a buffer, so
 * the unit tests can hold them against xl's exact strings
 * (../shared/design/XL-CONVENTIONS.md): `list`, `list -v`, `vcpu-list`
 * and its bitmaps, `info` lines, `sched-credit`, `uptime`.
 *
 * Every function appends to 'buf' (a NUL-terminated string of 'size'
 * bytes, truncating if it must) and returns buf.
 */
#ifndef XL_LITE_FORMAT_H
#define XL_LITE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libxl-lite.h"

#define XLF_LINE    512

char *xlf_append(char *buf, size_t size, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

/* The header line of `list` (and `list -v`), with its newline. */
char *xlf_list_header(char *buf, size_t size, bool verbose);
/* One domain's row, with its newline. */
char *xlf_list_row(char *buf, size_t size, const char *name,
                   const struct xen_domctl_getdomaininfo *info,
                   bool verbose);

/* "all", "none" or ranges such as "0-3,5" over bits [0, nr_bits). */
char *xlf_bitmap(char *buf, size_t size, const struct xll_cpumap *map,
                 unsigned int nr_bits);
char *xlf_vcpu_header(char *buf, size_t size);
/* One vCPU's row; 'nr_cpus' bits of the affinity count for "all". */
char *xlf_vcpu_row(char *buf, size_t size, const char *name,
                   uint32_t domid, const struct xen_domctl_getvcpuinfo *vi,
                   const struct xll_cpumap *hard, unsigned int nr_cpus);

/* "key<padding to 23>: value\n" */
char *xlf_info_line(char *buf, size_t size, const char *key,
                    const char *fmt, ...)
    __attribute__((__format__(__printf__, 4, 5)));

char *xlf_sched_pool(char *buf, size_t size, const char *pool,
                     unsigned int tslice_ms, unsigned int ratelimit_us,
                     unsigned int migration_delay_us);
char *xlf_sched_header(char *buf, size_t size);
char *xlf_sched_row(char *buf, size_t size, const char *name,
                    uint32_t domid, unsigned int weight, unsigned int cap);

char *xlf_uptime_header(char *buf, size_t size);
/* xl's uptime text: "H:MM:SS" or "D day(s), H:MM:SS" ('short_mode'
 * drops the seconds). */
char *xlf_uptime_string(char *buf, size_t size, uint64_t seconds,
                        bool short_mode);
char *xlf_uptime_row(char *buf, size_t size, const char *name,
                     uint32_t domid, uint64_t seconds);

#endif /* XL_LITE_FORMAT_H */

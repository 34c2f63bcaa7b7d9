/*
 * libxl-lite's internal helpers, shared by its source files and by no
 * one else: error strings, file reading, the checks every configuration
 * passes whichever format it came from.
 */
#ifndef LIBXL_LITE_PRIVATE_H
#define LIBXL_LITE_PRIVATE_H

#include <stdarg.h>
#include <stddef.h>

#include "libxl-lite.h"

#define XLL_MAX_WEIGHT      65535u

/* *err = the formatted message, if err is not NULL.  Returns -1. */
int xll__error(char **err, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));
/* A malloc'd formatted string, NULL when out of memory. */
char *xll__printf(const char *fmt, ...)
    __attribute__((__format__(__printf__, 1, 2)));
char *xll__vprintf(const char *fmt, va_list ap);

/*
 * The whole file, NUL-terminated (*len excludes the NUL), or NULL with
 * *err = "PATH: REASON".
 */
char *xll__read_file(const char *path, size_t *len, char **err);

/* A configuration with xl's defaults and no name. */
struct xll_config *xll__config_new(void);

/* Why 'name' cannot name a domain, or NULL when it can. */
const char *xll__name_problem(const char *name);

/* 'count' vCPU maps, every one a copy of 'map'. */
int xll__config_set_cpumaps(struct xll_config *cfg,
                            const struct xll_cpumap *maps,
                            unsigned int count);

/* A handle: its ops and their argument; fd is privcmd's, or -1. */
struct xll_handle
{
    const struct xll_ops *ops;
    void *priv;
    int fd;
};

#endif /* LIBXL_LITE_PRIVATE_H */

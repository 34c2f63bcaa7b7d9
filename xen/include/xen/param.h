/*
 * Xen-style command line options.  A file declares an option next to the
 * variable it sets; the declarations gather in a table that the boot code
 * hands to parse_params().
 *
 * Syntax: options are separated by blanks; "name=value" or a bare "name"
 * (true for booleans); "no-name" sets a boolean to false; a value may be
 * wrapped in double quotes to hold blanks.
 */
#ifndef XEN_PARAM_H
#define XEN_PARAM_H

#include <xen/types.h>
#include <xen/compiler.h>

enum param_type
{
    OPT_STR,        /* copied into a char array of 'len' bytes */
    OPT_UINT,       /* unsigned integer of 'len' bytes (1, 2, 4 or 8) */
    OPT_BOOL,       /* bool */
    OPT_SIZE,       /* u64 byte count with optional K, M, G, T suffix */
    OPT_CUSTOM,     /* func(value) returns 0 or -EINVAL */
};

struct kernel_param
{
    const char *name;
    enum param_type type;
    unsigned int len;
    union
    {
        void *var;
        int (*func)(const char *value);
    } par;
};

/* Aligned to their size, so GCC pads none of them: the table is an array. */
#define PARAM_SECTION_ __used __section(".rodata.param") __aligned(8)

#define string_param(nm, v)                                           \
    static const struct kernel_param param_##v PARAM_SECTION_ =       \
        { .name = nm, .type = OPT_STR, .len = sizeof(v),              \
          .par.var = &v }
#define integer_param(nm, v)                                          \
    static const struct kernel_param param_##v PARAM_SECTION_ =       \
        { .name = nm, .type = OPT_UINT, .len = sizeof(v),             \
          .par.var = &v }
#define boolean_param(nm, v)                                          \
    static const struct kernel_param param_##v PARAM_SECTION_ =       \
        { .name = nm, .type = OPT_BOOL, .len = sizeof(v),             \
          .par.var = &v }
#define size_param(nm, v)                                             \
    static const struct kernel_param param_##v PARAM_SECTION_ =       \
        { .name = nm, .type = OPT_SIZE, .len = sizeof(v),             \
          .par.var = &v }
#define custom_param(nm, fn)                                            \
    static const struct kernel_param param_##fn PARAM_SECTION_ =        \
        { .name = nm, .type = OPT_CUSTOM, .len = 0, .par.func = fn }

/*
 * Apply every option in 'cmdline' that names an entry of [start, end).
 * Unknown options and bad values are reported with printk and skipped;
 * the rest still apply.  Returns the number of options that were rejected.
 */
int parse_params(const char *cmdline, const struct kernel_param *start,
                 const struct kernel_param *end);

/* Parse a boolean word: 1/0, yes/no, on/off, true/false, enable/disable. */
int parse_bool(const char *s);   /* 1, 0, or -1 when not a boolean */

#endif /* XEN_PARAM_H */

/*
 * Looking up the hypervisor's own text symbols, for stack traces.
 */
#ifndef XEN_SYMBOLS_H
#define XEN_SYMBOLS_H

#include <xen/types.h>

/*
 * The function containing 'addr': its name, the offset into it and its
 * size.  NULL when 'addr' is not in the hypervisor's text.
 */
const char *symbols_lookup(unsigned long addr, unsigned long *offset,
                           unsigned long *size);

#endif /* XEN_SYMBOLS_H */

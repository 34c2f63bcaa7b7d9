/*
 * xmalloc: the hypervisor's allocator for small objects, carved from pages
 * of the hypervisor heap; larger requests take whole pages.
 */
#ifndef XEN_XMALLOC_H
#define XEN_XMALLOC_H

#include <xen/types.h>

void *xmalloc_bytes(size_t size);          /* 16-byte aligned, or NULL */
void *xzalloc_bytes(size_t size);          /* zeroed */
void xfree(void *p);                       /* NULL is allowed */

#define xmalloc(type)  ((type *)xmalloc_bytes(sizeof(type)))
#define xzalloc(type)  ((type *)xzalloc_bytes(sizeof(type)))
/* NULL on overflow of n * sizeof(type) as well as on exhaustion. */
#define xzalloc_array(type, n)                                          \
    ((type *)xzalloc_array_bytes(sizeof(type), (n)))
void *xzalloc_array_bytes(size_t size, size_t n);

#endif /* XEN_XMALLOC_H */

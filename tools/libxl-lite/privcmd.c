/*
 * libxl-lite's way to the hypervisor in real use: /dev/xen-lite/privcmd
 * (tools/dom0/privcmd), one ioctl per hypercall.  Kept apart from the
 * wrappers (hypercall.c) so that a test build of xl-lite can link a fake
 * hypervisor in its place.
 *
 * The driver's rule for buffers (tools/include/xen-lite/privcmd.h): the
 * hypervisor walks this process's page tables and cannot fault a page
 * in, so the domctl/sysctl structure and the buffer it points to are
 * mlock()ed for the call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <public/errno.h>
#include <public/xen.h>
#include <xen-lite/privcmd.h>

#include "private.h"

/* Lock [p, p + len) for a call; false if the kernel refused. */
static bool lock_range(const void *p, size_t len)
{
    return !p || !len || mlock(p, len) == 0;
}

static void unlock_range(const void *p, size_t len)
{
    if ( p && len )
        munlock(p, len);
}

/*
 * One hypercall through the driver.  When mlock() is refused (a small
 * RLIMIT_MEMLOCK for a non-root caller), touching the bytes is the best
 * left: the call usually works, and -EFAULT says when it did not.
 */
static int privcmd_call(int fd, unsigned int nr, void *op, size_t oplen,
                        void *buf, size_t len)
{
    struct xen_lite_privcmd_hypercall hc = {
        .op = nr, .arg = { (uintptr_t)op },
    };
    bool locked_op = lock_range(op, oplen);
    bool locked_buf = lock_range(buf, len);
    volatile const char *touch = buf;
    int rc;

    for ( size_t i = 0; !locked_buf && i < len; i += 4096 )
        (void)touch[i];
    if ( ioctl(fd, XEN_LITE_PRIVCMD_HYPERCALL, &hc) )
        rc = -errno;
    else
        rc = hc.result < -4095 || hc.result > 0x7fffffff ? -XEN_EIO
                                                          : (int)hc.result;
    if ( locked_buf )
        unlock_range(buf, len);
    if ( locked_op )
        unlock_range(op, oplen);
    return rc;
}

static int privcmd_domctl(void *priv, struct xen_domctl *op, void *buf,
                          size_t len)
{
    return privcmd_call(*(int *)priv, __HYPERVISOR_domctl, op, sizeof(*op),
                        buf, len);
}

static int privcmd_sysctl(void *priv, struct xen_sysctl *op, void *buf,
                          size_t len)
{
    return privcmd_call(*(int *)priv, __HYPERVISOR_sysctl, op, sizeof(*op),
                        buf, len);
}

static const struct xll_ops privcmd_ops = {
    .domctl = privcmd_domctl,
    .sysctl = privcmd_sysctl,
};

struct xll_handle *xll_open(char **err)
{
    struct xll_handle *h = calloc(1, sizeof(*h));

    if ( !h )
    {
        xll__error(err, "out of memory");
        return NULL;
    }
    h->fd = open(XEN_LITE_PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
    if ( h->fd < 0 )
    {
        xll__error(err, "%s: %s", XEN_LITE_PRIVCMD_PATH,
                   errno == ENOENT ? "no such device (is privcmd.ko "
                   "loaded?)" : xll_strerror(-errno));
        free(h);
        return NULL;
    }
    h->ops = &privcmd_ops;
    h->priv = &h->fd;
    return h;
}


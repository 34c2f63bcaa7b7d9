/*
 * Port I/O and MMIO dispatch for the emulated devices of an HVM domain.
 *
 * Each domain keeps small fixed tables of claimed ranges in its struct
 * hvm_domain.  They are filled while the domain is built, before any of
 * its vCPUs runs, and only read afterwards, so the exit paths look them
 * up without a lock: an entry is written whole before the release store
 * of the count that publishes it.  Registration is not reentrant (one
 * builder per domain) and there is no unregistration while the domain
 * runs: hvm_platform_destroy() empties the tables once it is dead.
 *
 * What no handler claims behaves like an empty PC bus: port reads return
 * all ones, writes vanish.  A port access that runs past the end of a
 * claimed range is split into bytes, each going where its own port
 * belongs, as the ISA bus would do.  A handler is therefore only ever
 * called with an access that lies wholly inside its range, with a size
 * of 1, 2 or 4 (port) or 1, 2, 4 or 8 (MMIO).
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <asm/hvm/domain.h>
#include <asm/hvm/io.h>

#include "devices.h"

static struct hvm_domain *vcpu_hvm(struct vcpu *v)
{
    if ( !v || !v->domain )
        return NULL;
    return domain_hvm(v->domain);
}

/* Entries published so far (acquire: pairs with the registration). */
static unsigned int nr_portio(const struct hvm_domain *hvm)
{
    unsigned int n = __atomic_load_n(&hvm->nr_portio, __ATOMIC_ACQUIRE);

    return min(n, (unsigned int)HVM_MAX_PORTIO);
}

static unsigned int nr_mmio(const struct hvm_domain *hvm)
{
    unsigned int n = __atomic_load_n(&hvm->nr_mmio, __ATOMIC_ACQUIRE);

    return min(n, (unsigned int)HVM_MAX_MMIO);
}

int register_portio_handler(struct domain *d, u16 port, u16 count,
                            portio_fn fn)
{
    struct hvm_domain *hvm = d ? domain_hvm(d) : NULL;
    unsigned int i, n, end = (unsigned int)port + count;

    /* Port 0xffff is the last one: a range may end at 0x10000, no later. */
    if ( !hvm || !fn || !count || end > 0x10000 )
        return -EINVAL;

    n = nr_portio(hvm);
    for ( i = 0; i < n; i++ )
    {
        const struct hvm_portio_range *r = &hvm->portio[i];

        if ( port < (unsigned int)r->port + r->count && r->port < end )
            return -EEXIST;
    }
    if ( n == HVM_MAX_PORTIO )
        return -ENOSPC;

    hvm->portio[n].port = port;
    hvm->portio[n].count = count;
    hvm->portio[n].fn = fn;
    __atomic_store_n(&hvm->nr_portio, n + 1, __ATOMIC_RELEASE);

    return 0;
}

int register_mmio_handler(struct domain *d, u64 gpa, u64 len, mmio_fn fn)
{
    struct hvm_domain *hvm = d ? domain_hvm(d) : NULL;
    unsigned int i, n;
    u64 last;

    /* Compare last bytes, not ends: a range may reach 2^64 - 1. */
    if ( !hvm || !fn || !len )
        return -EINVAL;
    last = gpa + len - 1;
    if ( last < gpa )
        return -EINVAL;

    n = nr_mmio(hvm);
    for ( i = 0; i < n; i++ )
    {
        const struct hvm_mmio_range *r = &hvm->mmio[i];

        if ( gpa <= r->gpa + r->len - 1 && r->gpa <= last )
            return -EEXIST;
    }
    if ( n == HVM_MAX_MMIO )
        return -ENOSPC;

    hvm->mmio[n].gpa = gpa;
    hvm->mmio[n].len = len;
    hvm->mmio[n].fn = fn;
    __atomic_store_n(&hvm->nr_mmio, n + 1, __ATOMIC_RELEASE);

    return 0;
}

/* The handler whose range holds all of [port, port + size), or NULL. */
static const struct hvm_portio_range *find_port(const struct hvm_domain *hvm,
                                                unsigned int port,
                                                unsigned int size)
{
    unsigned int i, n = nr_portio(hvm);

    for ( i = 0; i < n; i++ )
    {
        const struct hvm_portio_range *r = &hvm->portio[i];

        if ( port >= r->port &&
             port + size <= (unsigned int)r->port + r->count )
            return r;
    }

    return NULL;
}

/* The handler whose range holds gpa, or NULL. */
static const struct hvm_mmio_range *find_mmio(const struct hvm_domain *hvm,
                                              u64 gpa)
{
    unsigned int i, n = nr_mmio(hvm);

    for ( i = 0; i < n; i++ )
    {
        const struct hvm_mmio_range *r = &hvm->mmio[i];

        if ( gpa >= r->gpa && gpa - r->gpa < r->len )
            return r;
    }

    return NULL;
}

/* One access wholly inside r's range. */
static void port_access(const struct hvm_portio_range *r, struct vcpu *v,
                        bool write, u16 port, unsigned int size, u32 *val)
{
    u32 mask = portio_mask(size), data;

    if ( write )
    {
        data = *val & mask;
        r->fn(v, true, port, size, &data);
    }
    else
    {
        /* A handler that leaves a register alone reads as the empty bus. */
        data = ~0u;
        r->fn(v, false, port, size, &data);
        *val = data & mask;
    }
}

void hvm_portio(struct vcpu *v, bool write, u16 port, unsigned int size,
                u32 *val)
{
    struct hvm_domain *hvm = vcpu_hvm(v);
    const struct hvm_portio_range *r;
    u32 result = 0;
    unsigned int i;

    if ( !val )
        return;
    if ( size != 1 && size != 2 && size != 4 )
    {
        /* Not an access the instruction set can make: the empty bus. */
        if ( !write )
            *val = ~0u;
        return;
    }

    r = hvm ? find_port(hvm, port, size) : NULL;
    if ( r )
    {
        port_access(r, v, write, port, size, val);
        return;
    }

    /* Straddling ranges, or nobody's: byte by byte, like the ISA bus. */
    for ( i = 0; i < size; i++ )
    {
        unsigned int p = (unsigned int)port + i;
        u32 byte = write ? (*val >> (8 * i)) & 0xff : 0xff;

        /* Bytes beyond port 0xffff go nowhere. */
        r = (hvm && p <= 0xffff) ? find_port(hvm, p, 1) : NULL;
        if ( r )
            port_access(r, v, write, p, 1, &byte);
        result |= (byte & 0xff) << (8 * i);
    }
    if ( !write )
        *val = result;
}

bool hvm_mmio(struct vcpu *v, bool write, u64 gpa, unsigned int size,
              u64 *val)
{
    struct hvm_domain *hvm = vcpu_hvm(v);
    const struct hvm_mmio_range *r;
    u64 mask, data;

    if ( !hvm || !val )
        return false;
    r = find_mmio(hvm, gpa);
    if ( !r )
        return false;

    mask = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;

    /*
     * Claimed, but not an access the handler can take (a bad size, or one
     * running off the end of its range): dropped, reads as the empty bus.
     */
    if ( (size != 1 && size != 2 && size != 4 && size != 8) ||
         size - 1 > r->len - 1 - (gpa - r->gpa) )
    {
        if ( !write )
            *val = mask;
        return true;
    }

    if ( write )
    {
        data = *val & mask;
        r->fn(v, true, gpa, size, &data);
    }
    else
    {
        data = ~0ULL;
        r->fn(v, false, gpa, size, &data);
        *val = data & mask;
    }

    return true;
}

bool hvm_mmio_claimed(const struct domain *d, u64 gpa)
{
    struct hvm_domain *hvm;

    if ( !d )
        return false;
    /* domain_hvm() takes a mutable domain; nothing is written here. */
    hvm = domain_hvm((struct domain *)d);

    return hvm && find_mmio(hvm, gpa);
}

/*
 * Per-pCPU interrupt vector allocation.  The vector space is split into
 * the ranges of asm/irq_vectors.h; allocation always stays inside one
 * range and takes the lowest free vector, so the result is predictable.
 *
 * Locking: vt->lock serialises every change to vt->owner[].  Owners are
 * stored with WRITE_ONCE, so the read-only queries (vector_owner,
 * vectors_free_in_range) take no lock and see a possibly stale but never
 * torn value.  Plain spin_lock: not to be called from interrupt context.
 */

#include <xen/errno.h>
#include <xen/lib.h>
#include <asm/vector_alloc.h>

static const struct
{
    unsigned int first, last;
    const char *name;
} ranges[VR_NR] = {
    [VR_EXCEPTION]  = { EXCEPTION_VECTOR_FIRST, EXCEPTION_VECTOR_LAST,
                        "exception" },
    [VR_LEGACY]     = { LEGACY_VECTOR_FIRST, LEGACY_VECTOR_LAST, "legacy" },
    [VR_DYNAMIC]    = { DYNAMIC_VECTOR_FIRST, DYNAMIC_VECTOR_LAST,
                        "dynamic" },
    [VR_PI_WAKEUP]  = { PI_WAKEUP_VECTOR_FIRST, PI_WAKEUP_VECTOR_LAST,
                        "pi-wakeup" },
    [VR_HYPERVISOR] = { HYPERVISOR_VECTOR_FIRST, HYPERVISOR_VECTOR_LAST,
                        "hypervisor" },
};

static const struct
{
    unsigned int vec;
    const char *name;
} fixed_vectors[] = {
    { POSTED_INTR_VECTOR,   "posted-intr" },
    { LOCAL_TIMER_VECTOR,   "lapic-timer" },
    { CALL_FUNCTION_VECTOR, "call-function" },
    { EVENT_CHECK_VECTOR,   "event-check" },
    { HALT_VECTOR,          "halt" },
    { ERROR_APIC_VECTOR,    "apic-error" },
    { SPURIOUS_APIC_VECTOR, "spurious" },
};

static bool is_fixed_vector(unsigned int vec)
{
    unsigned int i;

    for ( i = 0; i < ARRAY_SIZE(fixed_vectors); i++ )
        if ( fixed_vectors[i].vec == vec )
            return true;

    return false;
}

void vector_table_init(struct vector_table *vt)
{
    unsigned int i;

    spin_lock_init(&vt->lock);

    for ( i = 0; i < NR_VECTORS; i++ )
        vt->owner[i] = NULL;
    for ( i = EXCEPTION_VECTOR_FIRST; i <= EXCEPTION_VECTOR_LAST; i++ )
        vt->owner[i] = "exception";
    for ( i = 0; i < ARRAY_SIZE(fixed_vectors); i++ )
        vt->owner[fixed_vectors[i].vec] = fixed_vectors[i].name;
}

int vector_alloc(struct vector_table *vt, enum vector_range r,
                 const char *owner)
{
    unsigned int v;
    int rc = -ENOSPC;

    if ( (unsigned int)r >= VR_NR || !owner )
        return -EINVAL;

    spin_lock(&vt->lock);
    for ( v = ranges[r].first; v <= ranges[r].last; v++ )
    {
        if ( !vt->owner[v] )
        {
            WRITE_ONCE(vt->owner[v], owner);
            rc = v;
            break;
        }
    }
    spin_unlock(&vt->lock);

    return rc;
}

int vector_alloc_many(struct vector_table *vt, enum vector_range r,
                      unsigned int n, const char *owner, u8 *out)
{
    unsigned int v, found = 0;

    if ( (unsigned int)r >= VR_NR || !owner || !out || !n )
        return -EINVAL;

    spin_lock(&vt->lock);

    /* Count first so that failure changes nothing. */
    for ( v = ranges[r].first; v <= ranges[r].last && found < n; v++ )
        if ( !vt->owner[v] )
            found++;

    if ( found < n )
    {
        spin_unlock(&vt->lock);
        return -ENOSPC;
    }

    found = 0;
    for ( v = ranges[r].first; found < n; v++ )
    {
        if ( !vt->owner[v] )
        {
            WRITE_ONCE(vt->owner[v], owner);
            out[found++] = v;
        }
    }

    spin_unlock(&vt->lock);

    return 0;
}

int vector_reserve(struct vector_table *vt, unsigned int vec,
                   const char *owner)
{
    int rc = 0;

    if ( vec >= NR_VECTORS || !owner )
        return -EINVAL;

    spin_lock(&vt->lock);
    if ( vt->owner[vec] )
        rc = -EBUSY;
    else
        WRITE_ONCE(vt->owner[vec], owner);
    spin_unlock(&vt->lock);

    return rc;
}

int vector_free(struct vector_table *vt, unsigned int vec)
{
    int rc = 0;

    if ( vec >= NR_VECTORS || vector_range_of(vec) == VR_EXCEPTION ||
         is_fixed_vector(vec) )
        return -EINVAL;

    spin_lock(&vt->lock);
    if ( !vt->owner[vec] )
        rc = -EINVAL;
    else
        WRITE_ONCE(vt->owner[vec], NULL);
    spin_unlock(&vt->lock);

    return rc;
}

const char *vector_owner(const struct vector_table *vt, unsigned int vec)
{
    return vec < NR_VECTORS ? READ_ONCE(vt->owner[vec]) : NULL;
}

enum vector_range vector_range_of(unsigned int vec)
{
    unsigned int r;

    for ( r = 0; r < VR_NR; r++ )
        if ( vec >= ranges[r].first && vec <= ranges[r].last )
            return r;

    return VR_NR;
}

const char *vector_range_name(enum vector_range r)
{
    return (unsigned int)r < VR_NR ? ranges[r].name : "invalid";
}

/*
 * An invalid range reads as empty (first > last), so a caller's
 * "for ( v = first; v <= last; v++ )" does nothing.
 */
unsigned int vector_range_first(enum vector_range r)
{
    return (unsigned int)r < VR_NR ? ranges[r].first : NR_VECTORS;
}

unsigned int vector_range_last(enum vector_range r)
{
    return (unsigned int)r < VR_NR ? ranges[r].last : 0;
}

unsigned int vectors_free_in_range(const struct vector_table *vt,
                                   enum vector_range r)
{
    unsigned int v, n = 0;

    if ( (unsigned int)r >= VR_NR )
        return 0;

    for ( v = ranges[r].first; v <= ranges[r].last; v++ )
        if ( !READ_ONCE(vt->owner[v]) )
            n++;

    return n;
}

/*
 * Domains and their vCPUs: creation with id allocation, reference
 * counting, pausing, shutdown and destruction, the domain list, and the
 * idle domain with its one vCPU per pCPU.
 *
 * Locking and lifetime:
 * - domlist_lock protects domain_list (sorted by id), nr_domains and the
 *   move of a domain from active to dying, so a domain is on the list
 *   exactly while it is active.  Only atomics are used under it.
 * - domcreate_lock serialises domain_create: only creation adds ids, so
 *   an id found free stays free until the new domain is on the list, and
 *   the (allocating, scheduler-calling) construction runs without
 *   domlist_lock.  Order: domcreate_lock, then allocator and scheduler
 *   locks, then domlist_lock.
 * - refcnt and the pause counts are atomics.  The list holds one
 *   reference from creation until domain_destroy() drops it; the struct
 *   and its vCPUs are freed by the last put_domain().
 * - Each domain's state_lock (in struct domain_extra below) orders
 *   domain_shutdown() and vcpu_up(), which call into the scheduler,
 *   against domain_destroy(): once destroy has taken it after marking the
 *   domain dying, no such call is in flight and none starts.
 * - Destroy must not race other pause/unpause calls on the same domain;
 *   the domctl layer serialises those (domctl_lock), as in Xen.
 * - A domain created by the domctl is held for building (building,
 *   ram_bytes in struct domain_extra): see there for their protocol.
 */
#include <xen/lib.h>
#include <xen/console.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/domain.h>
#include <xen/smp.h>
#include <xen/spinlock.h>
#include <xen/time.h>
#include <xen/xmalloc.h>

/*
 * What struct domain (an agreed contract) has no fields for, kept beside
 * it: every domain is allocated as one of these, so container_of finds
 * them.
 */
struct domain_extra
{
    struct domain d;
    int controller_pause_count;         /* atomic: toolstack pauses */
    spinlock_t state_lock;              /* see the top of the file */
    s_time_t create_time;               /* NOW() at creation; constant */
    /*
     * The toolstack's build (domain_build_hold): 'toolstack_built' is
     * set once, before the domctl returns the new id, and never changes;
     * 'building' and 'ram_bytes' are written only under the domctl
     * layer's domctl_lock (domain_unpause_by_systemcontroller, which
     * clears 'building', is only called with it held) and read under it,
     * except by the stuck-domain report (progress.c), which reads
     * 'building' once (READ_ONCE) for its message only.
     */
    bool toolstack_built;
    bool building;                      /* not unpaused yet */
    u64 ram_bytes;                      /* populate_ram's [0, ram_bytes) */
};

/* The toolstack cannot overflow pause_count with repeated pauses. */
#define CONTROLLER_PAUSE_MAX    255

/* The p2m's guest frame space (p2m.c): no domain can use more. */
#define MAX_GUEST_PAGES         (1ULL << 40)

static DEFINE_SPINLOCK(domlist_lock);
static DEFINE_SPINLOCK(domcreate_lock);
static LIST_HEAD(domain_list);
static unsigned int nr_domains;

struct domain *idle_domain;

static struct domain_extra *dom_extra(struct domain *d)
{
    return container_of(d, struct domain_extra, d);
}

static void free_domain_struct(struct domain *d)
{
    if ( d->vcpu )
        for ( unsigned int i = 0; i < d->max_vcpus; i++ )
            xfree(d->vcpu[i]);
    xfree(d->vcpu);
    xfree(dom_extra(d));
}

/* A zeroed domain with room for nr_vcpus vCPU pointers, all NULL. */
static struct domain *alloc_domain_struct(domid_t id, unsigned int nr_vcpus)
{
    struct domain_extra *x = xzalloc(struct domain_extra);
    struct domain *d;

    if ( !x )
        return NULL;
    d = &x->d;

    d->domain_id = id;
    d->state = DOMSTATE_active;
    d->refcnt = 1;
    d->max_vcpus = nr_vcpus;
    spin_lock_init(&d->page_lock);
    INIT_LIST_HEAD(&d->page_list);
    INIT_LIST_HEAD(&d->domain_list);
    spin_lock_init(&x->state_lock);

    d->vcpu = xzalloc_array(struct vcpu *, nr_vcpus);
    if ( !d->vcpu )
    {
        xfree(x);
        return NULL;
    }
    return d;
}

static struct vcpu *alloc_vcpu_struct(struct domain *d, unsigned int id)
{
    struct vcpu *v = xzalloc(struct vcpu);

    if ( !v )
        return NULL;
    v->vcpu_id = id;
    v->domain = d;
    v->runstate.state = RUNSTATE_offline;
    v->runstate.state_entry_time = NOW();
    return v;
}

/* The n-th online pCPU, counting modulo the number online. */
static unsigned int nth_online_cpu(unsigned int n)
{
    unsigned int nr = cpumask_weight(&cpu_online_map), cpu;

    if ( !nr )
        return 0;       /* nothing online yet: the boot pCPU */
    n %= nr;
    for_each_online_cpu ( cpu )
        if ( n-- == 0 )
            break;
    return cpu;
}

/* The domain with this id on the list, or NULL; domlist_lock held. */
static struct domain *find_domain_locked(domid_t id)
{
    struct domain *d;

    list_for_each_entry ( d, &domain_list, domain_list )
    {
        if ( d->domain_id == id )
            return d;
        if ( d->domain_id > id )
            break;
    }
    return NULL;
}

/* The lowest id >= first that no domain has; domlist_lock held. */
static unsigned int lowest_free_id(unsigned int first)
{
    unsigned int id = first;
    struct domain *d;

    list_for_each_entry ( d, &domain_list, domain_list )
    {
        if ( d->domain_id < id )
            continue;
        if ( d->domain_id > id )
            break;
        id++;
    }
    return id;
}

/* Keep the list sorted by id; domlist_lock held, id not on the list. */
static void insert_domain_locked(struct domain *d)
{
    struct domain *pos;

    list_for_each_entry ( pos, &domain_list, domain_list )
        if ( pos->domain_id > d->domain_id )
            break;
    /* Before 'pos', or at the tail when the loop ran off the end. */
    list_add_tail(&d->domain_list, &pos->domain_list);
    nr_domains++;
}

/*
 * Which id a new domain gets.  0 asks for the lowest free id from 1: id 0
 * is dom0's, and the only automatic way to get it is to be the first,
 * privileged domain (the boot code building dom0 with domid 0).
 */
static int pick_domid(domid_t want, unsigned int flags, domid_t *id)
{
    unsigned int got = want;
    int rc = 0;

    spin_lock(&domlist_lock);
    if ( want == 0 )
    {
        if ( list_empty(&domain_list) &&
             (flags & XEN_DOMCTL_CDF_privileged) )
            got = 0;
        else
            got = lowest_free_id(1);
        if ( got >= DOMID_FIRST_RESERVED )
            rc = -ENOSPC;
    }
    else if ( find_domain_locked(want) )
        rc = -EEXIST;
    spin_unlock(&domlist_lock);

    *id = got;
    return rc;
}

int domain_create(domid_t domid, unsigned int flags, unsigned int max_vcpus,
                  u64 max_pages, struct domain **out)
{
    struct domain *d;
    unsigned int i, nr_sched_vcpus = 0;
    int rc;

    if ( flags & ~XEN_DOMCTL_CDF_MASK )
        return -EINVAL;
    if ( max_vcpus < 1 || max_vcpus > XEN_MAX_VCPUS )
        return -EINVAL;
    if ( max_pages == 0 || max_pages > MAX_GUEST_PAGES )
        return -EINVAL;
    if ( domid >= DOMID_FIRST_RESERVED )
        return -EINVAL;

    spin_lock(&domcreate_lock);

    rc = pick_domid(domid, flags, &domid);
    if ( rc )
        goto out;

    rc = -ENOMEM;
    d = alloc_domain_struct(domid, max_vcpus);
    if ( !d )
        goto out;
    d->is_privileged = flags & XEN_DOMCTL_CDF_privileged;
    d->is_hvm = flags & XEN_DOMCTL_CDF_hvm;
    d->max_pages = max_pages;
    dom_extra(d)->create_time = NOW();
    snprintf(d->name, sizeof(d->name), "d%u", domid);

    for ( i = 0; i < max_vcpus; i++ )
    {
        struct vcpu *v = alloc_vcpu_struct(d, i);

        if ( !v )
            goto fail_free;
        /* Not running until vcpu_up(), as a vCPU of a new Xen domain. */
        v->pause_flags = VPF_down;
        for ( unsigned int c = 0; c < NR_CPUS; c++ )
            cpumask_set_cpu(c, &v->cpu_hard_affinity);
        d->vcpu[i] = v;
    }

    rc = arch_domain_create(d, flags);
    if ( rc )
        goto fail_free;

    rc = sched_init_domain(d);
    if ( rc )
        goto fail_arch;

    for ( i = 0; i < max_vcpus; i++ )
    {
        struct vcpu *v = d->vcpu[i];

        /* Offset by the id so one-vCPU domains spread out as well. */
        v->processor = nth_online_cpu(domid + i);
        rc = sched_init_vcpu(v, v->processor);
        if ( rc )
            goto fail_sched;
        nr_sched_vcpus++;
    }

    spin_lock(&domlist_lock);
    insert_domain_locked(d);
    spin_unlock(&domlist_lock);

    if ( out )
        *out = d;
    rc = 0;
    goto out;

 fail_sched:
    while ( nr_sched_vcpus )
        sched_destroy_vcpu(d->vcpu[--nr_sched_vcpus]);
    sched_destroy_domain(d);
 fail_arch:
    arch_domain_destroy(d);
 fail_free:
    free_domain_struct(d);
 out:
    spin_unlock(&domcreate_lock);
    return rc;
}

bool get_domain(struct domain *d)
{
    int old = __atomic_load_n(&d->refcnt, __ATOMIC_SEQ_CST);

    do {
        if ( old <= 0 ||
             __atomic_load_n(&d->state, __ATOMIC_SEQ_CST) !=
             DOMSTATE_active )
            return false;
    } while ( !__atomic_compare_exchange_n(&d->refcnt, &old, old + 1,
                                           false, __ATOMIC_SEQ_CST,
                                           __ATOMIC_SEQ_CST) );
    return true;
}

void put_domain(struct domain *d)
{
    int left = __atomic_sub_fetch(&d->refcnt, 1, __ATOMIC_SEQ_CST);

    BUG_ON(left < 0);
    if ( left )
        return;
    /* Only the list's reference keeps a live domain: it must be dead. */
    BUG_ON(__atomic_load_n(&d->state, __ATOMIC_SEQ_CST) != DOMSTATE_dead);
    free_domain_struct(d);
}

struct domain *get_domain_by_id(domid_t domid)
{
    struct domain *d;

    spin_lock(&domlist_lock);
    d = find_domain_locked(domid);
    if ( d && !get_domain(d) )
        d = NULL;
    spin_unlock(&domlist_lock);
    return d;
}

int domain_destroy(struct domain *d)
{
    struct domain_extra *x = dom_extra(d);

    if ( is_idle_domain(d) )
        return -EINVAL;

    spin_lock(&domlist_lock);
    if ( d->state != DOMSTATE_active )
    {
        spin_unlock(&domlist_lock);
        return -EINVAL;     /* someone else is destroying it */
    }
    __atomic_store_n(&d->state, DOMSTATE_dying, __ATOMIC_SEQ_CST);
    list_del(&d->domain_list);
    nr_domains--;
    spin_unlock(&domlist_lock);

    /* Wait out any shutdown or vcpu_up that saw the domain active. */
    spin_lock(&x->state_lock);
    spin_unlock(&x->state_lock);

    /* Never unpaused again: no vCPU of d runs anywhere from here on. */
    domain_pause(d);

    for ( unsigned int i = 0; i < d->max_vcpus; i++ )
        sched_destroy_vcpu(d->vcpu[i]);
    sched_destroy_domain(d);

    arch_domain_destroy(d);
    p2m_teardown(d);

    __atomic_store_n(&d->state, DOMSTATE_dead, __ATOMIC_SEQ_CST);
    put_domain(d);
    return 0;
}

void domain_pause(struct domain *d)
{
    __atomic_add_fetch(&d->pause_count, 1, __ATOMIC_SEQ_CST);
    /* vcpu_runnable() is now false: wait until each vCPU is off-CPU. */
    for ( unsigned int i = 0; i < d->max_vcpus; i++ )
        if ( d->vcpu[i] )
            vcpu_sleep_sync(d->vcpu[i]);
}

void domain_unpause(struct domain *d)
{
    int left = __atomic_sub_fetch(&d->pause_count, 1, __ATOMIC_SEQ_CST);

    BUG_ON(left < 0);
    if ( left )
        return;
    for ( unsigned int i = 0; i < d->max_vcpus; i++ )
        if ( d->vcpu[i] )
            vcpu_wake(d->vcpu[i]);
}

int domain_pause_by_systemcontroller(struct domain *d)
{
    int *cnt = &dom_extra(d)->controller_pause_count;
    int old = __atomic_load_n(cnt, __ATOMIC_SEQ_CST);

    do {
        if ( old >= CONTROLLER_PAUSE_MAX )
            return -EOVERFLOW;
    } while ( !__atomic_compare_exchange_n(cnt, &old, old + 1, false,
                                           __ATOMIC_SEQ_CST,
                                           __ATOMIC_SEQ_CST) );
    domain_pause(d);
    return 0;
}

int domain_unpause_by_systemcontroller(struct domain *d)
{
    int *cnt = &dom_extra(d)->controller_pause_count;
    int old = __atomic_load_n(cnt, __ATOMIC_SEQ_CST);

    do {
        if ( old <= 0 )
            return -EINVAL;     /* not paused by the toolstack */
    } while ( !__atomic_compare_exchange_n(cnt, &old, old - 1, false,
                                           __ATOMIC_SEQ_CST,
                                           __ATOMIC_SEQ_CST) );
    /* Before it can run: from here on the build domctls are refused. */
    if ( old == 1 )
        WRITE_ONCE(dom_extra(d)->building, false);
    domain_unpause(d);
    arch_domain_unpaused(d);
    return 0;
}

int domain_build_hold(struct domain *d)
{
    struct domain_extra *x = dom_extra(d);
    int rc = domain_pause_by_systemcontroller(d);

    if ( rc )
        return rc;
    WRITE_ONCE(x->toolstack_built, true);
    WRITE_ONCE(x->building, true);
    return 0;
}

bool domain_building(struct domain *d)
{
    return READ_ONCE(dom_extra(d)->building);
}

bool domain_toolstack_built(struct domain *d)
{
    return READ_ONCE(dom_extra(d)->toolstack_built);
}

s_time_t domain_create_time(struct domain *d)
{
    return dom_extra(d)->create_time;
}

u64 domain_ram_bytes(struct domain *d)
{
    return dom_extra(d)->ram_bytes;
}

int domain_populate_ram(struct domain *d, u64 bytes)
{
    u64 tot;
    int rc;

    spin_lock(&d->page_lock);
    tot = d->tot_pages;
    spin_unlock(&d->page_lock);
    /*
     * After creation only populate_ram adds RAM, under domctl_lock: the
     * check and the populate cannot be raced by another.
     */
    if ( tot || dom_extra(d)->ram_bytes )
        return -EEXIST;
    rc = p2m_populate(d, 0, bytes >> PAGE_SHIFT);
    if ( !rc )
        dom_extra(d)->ram_bytes = bytes;
    return rc;
}

void vcpu_pause(struct vcpu *v)
{
    __atomic_add_fetch(&v->pause_count, 1, __ATOMIC_SEQ_CST);
    vcpu_sleep_sync(v);
}

void vcpu_unpause(struct vcpu *v)
{
    int left = __atomic_sub_fetch(&v->pause_count, 1, __ATOMIC_SEQ_CST);

    BUG_ON(left < 0);
    if ( !left )
        vcpu_wake(v);
}

int vcpu_up(struct vcpu *v)
{
    struct domain *d = v->domain;
    struct domain_extra *x = dom_extra(d);
    int rc = 0;

    if ( is_idle_domain(d) )
        return -EINVAL;

    spin_lock(&x->state_lock);
    if ( __atomic_load_n(&d->state, __ATOMIC_SEQ_CST) != DOMSTATE_active )
        rc = -EINVAL;
    else if ( __atomic_fetch_and(&v->pause_flags, ~VPF_down,
                                 __ATOMIC_SEQ_CST) & VPF_down )
        vcpu_wake(v);           /* runs if nothing else holds it */
    spin_unlock(&x->state_lock);
    return rc;
}

void domain_shutdown(struct domain *d, u8 reason)
{
    struct domain_extra *x = dom_extra(d);
    bool stopped = false;

    if ( is_idle_domain(d) )
        return;

    spin_lock(&x->state_lock);
    /* The first reason sticks, as in Xen. */
    if ( !d->is_shutting_down &&
         __atomic_load_n(&d->state, __ATOMIC_SEQ_CST) == DOMSTATE_active )
    {
        stopped = true;
        d->shutdown_code = reason;
        __atomic_store_n(&d->is_shutting_down, true, __ATOMIC_SEQ_CST);
        /* vcpu_runnable() is false now; take them off their pCPUs. */
        for ( unsigned int i = 0; i < d->max_vcpus; i++ )
            vcpu_sleep_nosync(d->vcpu[i]);
    }
    spin_unlock(&x->state_lock);

    /* Serial input for dom0 goes back to the hypervisor. */
    if ( stopped && d->domain_id == 0 )
        console_dom0_stopped();
}

void domlist_read_lock(void)
{
    spin_lock(&domlist_lock);
}

void domlist_read_unlock(void)
{
    spin_unlock(&domlist_lock);
}

struct domain *domain_first(void)
{
    if ( list_empty(&domain_list) )
        return NULL;
    return list_first_entry(&domain_list, struct domain, domain_list);
}

struct domain *domain_next(struct domain *d)
{
    if ( d->domain_list.next == &domain_list )
        return NULL;
    return list_entry(d->domain_list.next, struct domain, domain_list);
}

unsigned int domain_count(void)
{
    /* One aligned word: a racy but untorn read, callable under the lock. */
    return READ_ONCE(nr_domains);
}

int idle_domain_init(void)
{
    struct domain *d;

    if ( idle_domain )
        return -EEXIST;

    /* Slots for every possible pCPU; idle_vcpu_init() fills them. */
    d = alloc_domain_struct(DOMID_IDLE, NR_CPUS);
    if ( !d )
        return -ENOMEM;
    snprintf(d->name, sizeof(d->name), "idle");
    idle_domain = d;
    return 0;
}

int idle_vcpu_init(unsigned int cpu)
{
    struct vcpu *v;

    if ( !idle_domain || cpu >= NR_CPUS )
        return -EINVAL;
    if ( __atomic_load_n(&idle_domain->vcpu[cpu], __ATOMIC_ACQUIRE) )
        return -EEXIST;

    v = alloc_vcpu_struct(idle_domain, cpu);
    if ( !v )
        return -ENOMEM;
    /* Runnable and bound to its pCPU; sched_cpu_init() makes it curr. */
    v->processor = cpu;
    cpumask_set_cpu(cpu, &v->cpu_hard_affinity);
    v->runstate.state = RUNSTATE_running;

    /* Publish the initialised vCPU to whoever reads the slot next. */
    __atomic_store_n(&idle_domain->vcpu[cpu], v, __ATOMIC_RELEASE);
    return 0;
}

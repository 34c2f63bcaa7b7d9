/*
 * Tests for the hypercall layer: dispatch and privilege
 * (xen/common/hypercall.c), every domctl (domctl.c), every sysctl
 * (sysctl.c) and console_io (console_io.c).
 *
 * Every call is made the way a guest makes it: the argument structures
 * and buffers live in the calling domain's memory, mapped by its own
 * long-mode page tables, and straddle a page boundary, so each call goes
 * through the real guest walk and p2m copies.  Every refusal is checked
 * to change nothing: the domain list, pause and shutdown state, vCPU
 * flags, scheduler parameters and calls (through the double), memory,
 * the console ring and log, and the caller's argument.
 */
#include <stdio.h>

#include <xen/lib.h>
#include <xen/console.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/hypercall.h>
#include <xen/keyhandler.h>
#include <xen/mm.h>
#include <xen/sched.h>

#include "harness.h"
#include "stubs.h"
#include "hypercall/env.h"
#include "hypercall/guest.h"
#include "hypercall/sched_double.h"

#define HVM     XEN_DOMCTL_CDF_hvm
#define PRIV    XEN_DOMCTL_CDF_privileged

/* Addresses nothing is mapped at in the callers' address spaces. */
#define UNMAPPED_VA     0x0000500000000000ULL
#define NONCANON_VA     0x0000800000000000ULL

static struct
{
    struct domain *d0, *du;         /* privileged caller, ordinary one */
    struct guest g0, gu;
    struct hypercall_ctx c0, cu;
    u64 arg0, argu;                 /* argument: 40 bytes before a page end */
    u64 arg_half;                   /* the same, with the next page unmapped */
    u64 arg_ro;                     /* readable, not writable */
    u64 buf0;                       /* 4 pages of data buffer in dom0 */
} f;

static void fx_setup(void)
{
    env_setup();
    memset(&f, 0, sizeof(f));
    REQUIRE_EQ(domain_create(0, PRIV | HVM, 2, 1024, &f.d0), 0);
    REQUIRE_EQ(domain_create(0, HVM, 1, 1024, &f.du), 0);
    REQUIRE_EQ(f.d0->domain_id, 0);
    REQUIRE_EQ(f.du->domain_id, 1);
    guest_init(&f.g0, f.d0, GM_LONG, true);
    guest_init(&f.gu, f.du, GM_LONG, true);
    f.c0.v = f.d0->vcpu[0];
    f.c0.paging = f.g0.pg;
    f.cu.v = f.du->vcpu[0];
    f.cu.paging = f.gu.pg;

    f.arg0 = guest_buf(&f.g0, 2 * PAGE_SIZE) + PAGE_SIZE - 40;
    f.argu = guest_buf(&f.gu, 2 * PAGE_SIZE) + PAGE_SIZE - 40;
    f.arg_half = guest_buf(&f.g0, 2 * PAGE_SIZE) + PAGE_SIZE - 40;
    guest_unmap(&f.g0, f.arg_half + PAGE_SIZE);
    f.arg_ro = guest_buf(&f.g0, 2 * PAGE_SIZE) + PAGE_SIZE - 40;
    guest_make_ro(&f.g0, f.arg_ro);
    f.buf0 = guest_buf(&f.g0, 4 * PAGE_SIZE);
    sd_reset();
    stub_log_clear();
}

static void fx_finish(void)
{
    struct domain *d;

    for ( ;; )
    {
        domlist_read_lock();
        d = domain_first();
        domlist_read_unlock();
        if ( !d )
            break;
        REQUIRE_EQ(domain_destroy(d), 0);
    }
    env_check_clean();
}

static struct domain *victim(domid_t id, unsigned int vcpus)
{
    struct domain *d = NULL;

    REQUIRE_EQ(domain_create(id, HVM, vcpus, 64, &d), 0);
    return d;
}

static long hcall(struct hypercall_ctx *c, u64 nr, u64 a0, u64 a1, u64 a2)
{
    const u64 args[5] = { a0, a1, a2, 0, 0 };

    return do_hypercall(c, nr, args);
}

/* --- the state a refused call must leave alone --- */

#define SNAP_DOMS   16
#define SNAP_RING   4096

struct snap
{
    unsigned int nr;
    struct
    {
        domid_t id;
        int refcnt, pause;
        bool shut;
        u8 code;
        u16 weight, cap;
        u64 tot_pages;
        unsigned long pf[4];
        int vpause[4];
    } dom[SNAP_DOMS];
    u32 tslice, ratelimit;
    long xm;
    unsigned long free_pages, xenheap;
    size_t ring_len, log_len;
    char ring[SNAP_RING];
    unsigned int calls[SD_set_affinity + 1];
};

static void snap_take(struct snap *s)
{
    u64 pos = 0;

    memset(s, 0, sizeof(*s));
    domlist_read_lock();
    for ( struct domain *d = domain_first(); d; d = domain_next(d) )
    {
        unsigned int i = s->nr++;

        if ( i >= SNAP_DOMS )
            continue;
        s->dom[i].id = d->domain_id;
        s->dom[i].refcnt = d->refcnt;
        s->dom[i].pause = d->pause_count;
        s->dom[i].shut = d->is_shutting_down;
        s->dom[i].code = d->shutdown_code;
        sd_dom_params(d, &s->dom[i].weight, &s->dom[i].cap);
        s->dom[i].tot_pages = d->tot_pages;
        for ( unsigned int v = 0; v < d->max_vcpus && v < 4; v++ )
        {
            s->dom[i].pf[v] = d->vcpu[v]->pause_flags;
            s->dom[i].vpause[v] = d->vcpu[v]->pause_count;
        }
    }
    domlist_read_unlock();
    s->tslice = sd.tslice_ms;
    s->ratelimit = sd.ratelimit_us;
    s->xm = env_xmalloc_outstanding();
    s->free_pages = free_heap_pages_count();
    s->xenheap = stub_xenheap_pages_outstanding();
    s->ring_len = console_ring_read(&pos, s->ring, SNAP_RING);
    s->log_len = strlen(stub_log());
    memcpy(s->calls, sd.calls, sizeof(s->calls));
}

/* Same state; with 'calls', also no scheduler call in between. */
static bool snap_same(const struct snap *a, const struct snap *b,
                      bool calls)
{
    size_t n = offsetof(struct snap, calls);

    if ( calls )
        n = sizeof(*a);
    if ( !memcmp(a, b, n) )
        return true;
    printf("  state changed: domains %u -> %u, xmalloc %ld -> %ld, "
           "free pages %lu -> %lu, ring %zu -> %zu, log %zu -> %zu\n",
           a->nr, b->nr, a->xm, b->xm, a->free_pages, b->free_pages,
           a->ring_len, b->ring_len, a->log_len, b->log_len);
    for ( unsigned int i = 0; i <= SD_set_affinity; i++ )
        if ( a->calls[i] != b->calls[i] )
            printf("  scheduler op %u: %u -> %u calls\n", i, a->calls[i],
                   b->calls[i]);
    return false;
}

/* --- domctl --- */

static struct xen_domctl mk_domctl(u32 cmd, domid_t dom)
{
    struct xen_domctl op;

    memset(&op, 0, sizeof(op));
    op.cmd = cmd;
    op.interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    op.domain = dom;
    return op;
}

/*
 * Write op at the argument address, call as 'c', read it back.  When
 * 'same' is given, the argument must come back unchanged.
 */
static long domctl_at(struct hypercall_ctx *c, struct guest *g, u64 arg,
                      struct xen_domctl *op, bool same)
{
    struct xen_domctl in = *op;
    long rc;

    guest_write(g, arg, op, sizeof(*op));
    rc = hcall(c, __HYPERVISOR_domctl, arg, 0, 0);
    guest_read(g, arg, op, sizeof(*op));
    if ( same )
        CHECK_EQ(memcmp(&in, op, sizeof(in)), 0);
    return rc;
}

static long domctl(struct xen_domctl *op)
{
    return domctl_at(&f.c0, &f.g0, f.arg0, op, false);
}

/* A refused domctl: the error, the argument and the state unchanged. */
static void domctl_refused(const struct xen_domctl *op, long err, int line)
{
    struct xen_domctl tmp = *op;
    struct snap before, after;
    long rc;

    snap_take(&before);
    rc = domctl_at(&f.c0, &f.g0, f.arg0, &tmp, true);
    snap_take(&after);
    if ( rc != err )
        harness_fail(__FILE__, line, false, "domctl %u: %ld, wanted %ld",
                     op->cmd, rc, err);
    if ( !snap_same(&before, &after, true) )
        harness_fail(__FILE__, line, false, "domctl %u changed state",
                     op->cmd);
}
#define DOMCTL_REFUSED(op, err) domctl_refused(op, err, __LINE__)

/*
 * What every domctl refuses: a wrong interface version, nonzero padding
 * or unused bytes, an unprivileged or non-kernel caller, an argument
 * that is unmapped, partly mapped or non-canonical.  'valid' would
 * succeed; 'used' is how much of the union the command reads.
 */
static void check_domctl_refusals(const struct xen_domctl *valid,
                                  size_t used)
{
    struct xen_domctl op;
    struct snap before, after;
    struct hypercall_ctx c;

    op = *valid;
    op.interface_version++;
    DOMCTL_REFUSED(&op, -EACCES);
    op.interface_version = 0;
    DOMCTL_REFUSED(&op, -EACCES);

    for ( unsigned int i = 0; i < ARRAY_SIZE(op.pad); i++ )
    {
        op = *valid;
        op.pad[i] = 1 << i;
        DOMCTL_REFUSED(&op, -EINVAL);
    }
    for ( size_t b = used; b < sizeof(op.u); b++ )
    {
        op = *valid;
        op.u.pad[b] = 0x80;
        DOMCTL_REFUSED(&op, -EINVAL);
    }

    snap_take(&before);

    /* Not the control domain, or not its kernel. */
    op = *valid;
    CHECK_EQ(domctl_at(&f.cu, &f.gu, f.argu, &op, true), -EPERM);
    for ( unsigned int cpl = 1; cpl <= 3; cpl++ )
    {
        c = f.c0;
        c.cpl = cpl;
        op = *valid;
        CHECK_EQ(domctl_at(&c, &f.g0, f.arg0, &op, true), -EPERM);
    }

    /* Argument not (all) there. */
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, UNMAPPED_VA, 0, 0), -EFAULT);
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, NONCANON_VA, 0, 0), -EFAULT);
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, 0, 0, 0), -EFAULT);
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, ~0ULL - 8, 0, 0), -EFAULT);
    op = *valid;
    guest_write(&f.g0, f.arg_half, &op, 40);
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, f.arg_half, 0, 0), -EFAULT);

    snap_take(&after);
    CHECK(snap_same(&before, &after, true));
}

/* Ids no domctl finds: missing, idle, reserved. */
static void check_domctl_bad_domains(const struct xen_domctl *valid)
{
    static const domid_t bad[] = {
        2, 77, DOMID_FIRST_RESERVED - 1, DOMID_SELF, DOMID_FIRST_RESERVED + 5,
        DOMID_IDLE, 0x8000, 0xffff,
    };

    for ( unsigned int i = 0; i < ARRAY_SIZE(bad); i++ )
    {
        struct xen_domctl op = *valid;

        op.domain = bad[i];
        DOMCTL_REFUSED(&op, -ESRCH);
    }
}

TEST(domctl_createdomain)
{
    struct xen_domctl op, valid;
    struct domain *d;
    struct snap before, after;

    fx_setup();
    valid = mk_domctl(XEN_DOMCTL_createdomain, 0);
    valid.u.createdomain.flags = HVM;
    valid.u.createdomain.max_vcpus = 3;
    valid.u.createdomain.max_pages = 64;

    op = valid;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(op.domain, 2);         /* copied back */
    d = get_domain_by_id(2);
    REQUIRE(d != NULL);
    CHECK(d->is_hvm);
    CHECK(!d->is_privileged);
    CHECK_EQ(d->max_vcpus, 3);
    CHECK_EQ(d->max_pages, 64);
    put_domain(d);

    op = valid;
    op.domain = 9;
    op.u.createdomain.flags = PRIV;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(op.domain, 9);
    d = get_domain_by_id(9);
    REQUIRE(d != NULL);
    CHECK(d->is_privileged);
    CHECK(!d->is_hvm);
    put_domain(d);

    /* Bad values. */
    op = valid;
    op.domain = 9;
    DOMCTL_REFUSED(&op, -EEXIST);
    op.domain = 0;                  /* dom0 exists: 0 means "choose" */
    op.u.createdomain.flags = 4;
    DOMCTL_REFUSED(&op, -EINVAL);
    op.u.createdomain.flags = ~0u;
    DOMCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.createdomain.max_vcpus = 0;
    DOMCTL_REFUSED(&op, -EINVAL);
    op.u.createdomain.max_vcpus = XEN_MAX_VCPUS + 1;
    DOMCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.createdomain.max_pages = 0;
    DOMCTL_REFUSED(&op, -EINVAL);
    op.u.createdomain.max_pages = ~0ULL;
    DOMCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.domain = DOMID_FIRST_RESERVED;
    DOMCTL_REFUSED(&op, -EINVAL);
    op.domain = DOMID_IDLE;
    DOMCTL_REFUSED(&op, -EINVAL);
    op.domain = 0xffff;
    DOMCTL_REFUSED(&op, -EINVAL);

    check_domctl_refusals(&valid, sizeof(valid.u.createdomain));

    /* The new id cannot be copied back: the domain is not kept. */
    snap_take(&before);
    op = valid;
    guest_write(&f.g0, f.arg_ro, &op, sizeof(op));
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, f.arg_ro, 0, 0), -EFAULT);
    snap_take(&after);
    CHECK(snap_same(&before, &after, false));
    CHECK(get_domain_by_id(3) == NULL);

    fx_finish();
}

TEST(domctl_destroydomain)
{
    struct xen_domctl op, valid;
    struct domain *d;
    long xm;

    fx_setup();
    xm = env_xmalloc_outstanding();
    d = victim(5, 2);
    REQUIRE_EQ(p2m_populate(d, 0, 8), 0);
    valid = mk_domctl(XEN_DOMCTL_destroydomain, 5);

    check_domctl_refusals(&valid, 0);
    check_domctl_bad_domains(&valid);
    op = mk_domctl(XEN_DOMCTL_destroydomain, 0);
    DOMCTL_REFUSED(&op, -EINVAL);   /* not itself */

    op = valid;
    CHECK_EQ(domctl(&op), 0);
    CHECK(get_domain_by_id(5) == NULL);
    CHECK_EQ(domain_count(), 2);
    CHECK_EQ(env_xmalloc_outstanding(), xm);
    CHECK_EQ(pages_in_state(PGS_domain), 2 * GUEST_POOL_PAGES);
    CHECK_EQ(sd_count(SD_destroy_domain, 5, ~0u), 1);
    /* Gone: a second destroy finds nothing. */
    op = valid;
    DOMCTL_REFUSED(&op, -ESRCH);

    /* Nothing to copy back: a read-only argument is fine. */
    victim(6, 1);
    op = mk_domctl(XEN_DOMCTL_destroydomain, 6);
    guest_write(&f.g0, f.arg_ro, &op, sizeof(op));
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, f.arg_ro, 0, 0), 0);
    CHECK_EQ(domain_count(), 2);

    /* A privileged domain may destroy the unprivileged one. */
    op = mk_domctl(XEN_DOMCTL_destroydomain, 1);
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(domain_count(), 1);
    fx_finish();
}

TEST(domctl_pausedomain)
{
    struct xen_domctl op, valid;
    struct domain *d;

    fx_setup();
    d = victim(5, 2);
    REQUIRE_EQ(vcpu_up(d->vcpu[0]), 0);
    d->vcpu[0]->is_running = true;
    valid = mk_domctl(XEN_DOMCTL_pausedomain, 5);

    check_domctl_refusals(&valid, 0);
    check_domctl_bad_domains(&valid);
    op = mk_domctl(XEN_DOMCTL_pausedomain, 0);
    DOMCTL_REFUSED(&op, -EINVAL);   /* would wait for itself */

    op = valid;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(d->pause_count, 1);
    CHECK(!d->vcpu[0]->is_running);
    CHECK_EQ(sd.waited, 1);
    for ( unsigned int i = 1; i < 255; i++ )
    {
        op = valid;
        REQUIRE_EQ(domctl(&op), 0);
    }
    CHECK_EQ(d->pause_count, 255);
    op = valid;
    DOMCTL_REFUSED(&op, -EOVERFLOW);
    fx_finish();
}

TEST(domctl_unpausedomain)
{
    struct xen_domctl op, valid;
    struct domain *d;

    fx_setup();
    d = victim(5, 2);
    valid = mk_domctl(XEN_DOMCTL_unpausedomain, 5);

    /* Not paused by the toolstack. */
    op = valid;
    DOMCTL_REFUSED(&op, -EINVAL);
    domain_pause(d);                /* an internal pause does not count */
    op = valid;
    DOMCTL_REFUSED(&op, -EINVAL);
    domain_unpause(d);

    op = mk_domctl(XEN_DOMCTL_pausedomain, 5);
    REQUIRE_EQ(domctl(&op), 0);
    REQUIRE_EQ(domctl(&op), 0);
    check_domctl_refusals(&valid, 0);
    check_domctl_bad_domains(&valid);

    sd_reset();
    op = valid;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(d->pause_count, 1);
    CHECK_EQ(sd.calls[SD_wake], 0);
    op = valid;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(d->pause_count, 0);
    CHECK_EQ(sd_count(SD_wake, 5, 0), 1);
    CHECK_EQ(sd_count(SD_wake, 5, 1), 1);
    op = valid;
    DOMCTL_REFUSED(&op, -EINVAL);
    fx_finish();
}

TEST(domctl_getdomaininfo)
{
    struct xen_domctl op, valid;
    struct xen_domctl_getdomaininfo *info = &op.u.getdomaininfo;
    struct domain *d;

    fx_setup();
    d = victim(5, 3);
    valid = mk_domctl(XEN_DOMCTL_getdomaininfo, 0);

    op = valid;
    memset(info, 0xff, sizeof(*info));      /* outputs are ignored ... */
    info->pad0 = 0;                         /* ... but padding is not */
    info->pad1 = 0;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(op.domain, 0);
    CHECK_EQ(info->domain, 0);
    CHECK_EQ(info->flags, XEN_DOMINF_privileged | XEN_DOMINF_hvm_guest);
    CHECK_EQ(info->tot_pages, GUEST_POOL_PAGES);
    CHECK_EQ(info->max_pages, 1024);
    CHECK_EQ(info->nr_online_vcpus, 0);
    CHECK_EQ(info->max_vcpu_id, 1);
    CHECK_EQ(info->cpu_time, 0);
    CHECK_EQ(info->ssidref, 0);
    CHECK_EQ(info->cpupool, 0);
    CHECK_EQ(info->pad0, 0);
    CHECK_EQ(info->pad1, 0);
    CHECK_EQ(info->exit_status, 0);
    CHECK_EQ(info->create_time, 1000000000);   /* env_now at setup */

    /* The first domain at or above the id asked for. */
    op = valid;
    op.domain = 2;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(op.domain, 5);
    CHECK_EQ(info->domain, 5);
    CHECK_EQ(info->max_vcpu_id, 2);
    CHECK_EQ(info->flags, XEN_DOMINF_hvm_guest);

    /* vCPU state, time, pause and shutdown show. */
    REQUIRE_EQ(vcpu_up(d->vcpu[0]), 0);
    REQUIRE_EQ(vcpu_up(d->vcpu[2]), 0);
    d->vcpu[2]->is_running = true;
    d->vcpu[0]->runstate.time[RUNSTATE_running] = 1000;
    d->vcpu[1]->runstate.time[RUNSTATE_running] = 20;
    d->vcpu[2]->runstate.time[RUNSTATE_running] = 300;
    op = valid;
    op.domain = 5;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(info->nr_online_vcpus, 2);
    CHECK_EQ(info->cpu_time, 1320);
    CHECK_EQ(info->flags, XEN_DOMINF_hvm_guest | XEN_DOMINF_running);

    /* Blocked only when every online vCPU is. */
    __atomic_fetch_or(&d->vcpu[0]->pause_flags, VPF_blocked,
                      __ATOMIC_SEQ_CST);
    op = valid;
    op.domain = 5;
    CHECK_EQ(domctl(&op), 0);
    CHECK(!(info->flags & XEN_DOMINF_blocked));
    __atomic_fetch_or(&d->vcpu[2]->pause_flags, VPF_blocked,
                      __ATOMIC_SEQ_CST);
    d->vcpu[2]->is_running = false;
    op = valid;
    op.domain = 5;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(info->flags, XEN_DOMINF_hvm_guest | XEN_DOMINF_blocked);

    REQUIRE_EQ(domain_pause_by_systemcontroller(d), 0);
    domain_shutdown(d, 4);
    op = valid;
    op.domain = 5;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(info->flags, XEN_DOMINF_hvm_guest | XEN_DOMINF_blocked |
                          XEN_DOMINF_paused | XEN_DOMINF_shutdown |
                          (4u << XEN_DOMINF_shutdownshift));
    CHECK_EQ(info->exit_status, 0);
    /* The exit port's status shows once the domain is shut down. */
    env_exit_status = 42;
    op = valid;
    op.domain = 5;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(info->exit_status, 42);
    op = valid;                     /* dom0 is not shut down */
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(info->exit_status, 0);
    /* Each domain keeps the time it was created at. */
    env_now += 12345;
    victim(7, 1);
    op = valid;
    op.domain = 7;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(info->create_time, 1000012345);
    op = valid;
    op.domain = 5;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(info->create_time, 1000000000);

    /* Nothing at or above. */
    op = valid;
    op.domain = 8;
    DOMCTL_REFUSED(&op, -ESRCH);
    op.domain = DOMID_FIRST_RESERVED;
    DOMCTL_REFUSED(&op, -ESRCH);
    op.domain = DOMID_IDLE;
    DOMCTL_REFUSED(&op, -ESRCH);
    op.domain = 0xffff;
    DOMCTL_REFUSED(&op, -ESRCH);

    op = valid;
    op.u.getdomaininfo.pad0 = 1;
    DOMCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.getdomaininfo.pad1 = 0x80000000;
    DOMCTL_REFUSED(&op, -EINVAL);
    check_domctl_refusals(&valid, sizeof(valid.u.getdomaininfo));

    /* The answer cannot be copied back. */
    op = valid;
    guest_write(&f.g0, f.arg_ro, &op, sizeof(op));
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, f.arg_ro, 0, 0), -EFAULT);
    fx_finish();
}

TEST(domctl_max_vcpus)
{
    struct xen_domctl op, valid;
    static const u32 bad[] = { 0, 1, 3, XEN_MAX_VCPUS, ~0u };

    fx_setup();
    victim(5, 2);
    valid = mk_domctl(XEN_DOMCTL_max_vcpus, 5);
    valid.u.max_vcpus.max = 2;

    op = valid;
    CHECK_EQ(domctl_at(&f.c0, &f.g0, f.arg0, &op, true), 0);
    /* Changing the number of vCPUs is not supported. */
    for ( unsigned int i = 0; i < ARRAY_SIZE(bad); i++ )
    {
        op = valid;
        op.u.max_vcpus.max = bad[i];
        DOMCTL_REFUSED(&op, -EINVAL);
    }
    op = valid;
    op.u.max_vcpus.pad = 1;
    DOMCTL_REFUSED(&op, -EINVAL);

    check_domctl_refusals(&valid, sizeof(valid.u.max_vcpus));
    check_domctl_bad_domains(&valid);
    fx_finish();
}

TEST(domctl_getvcpuinfo)
{
    struct xen_domctl op, valid;
    struct xen_domctl_getvcpuinfo *vi = &op.u.getvcpuinfo;
    struct domain *d;
    struct vcpu *v;

    fx_setup();
    d = victim(5, 2);
    v = d->vcpu[1];
    valid = mk_domctl(XEN_DOMCTL_getvcpuinfo, 5);
    valid.u.getvcpuinfo.vcpu = 1;

    op = valid;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(vi->vcpu, 1);
    CHECK_EQ(vi->online, 0);
    CHECK_EQ(vi->blocked, 0);
    CHECK_EQ(vi->running, 0);
    CHECK_EQ(vi->cpu, v->processor);
    CHECK_EQ(vi->runstate.state, RUNSTATE_offline);

    REQUIRE_EQ(vcpu_up(v), 0);
    v->is_running = true;
    v->runstate.state = RUNSTATE_running;
    v->runstate.time[RUNSTATE_running] = 4242;
    v->runstate.time[RUNSTATE_blocked] = 7;
    op = valid;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(vi->online, 1);
    CHECK_EQ(vi->running, 1);
    CHECK_EQ(vi->cpu_time, 4242);
    CHECK_EQ(vi->runstate.state, RUNSTATE_running);
    CHECK_EQ(vi->runstate.time[RUNSTATE_blocked], 7);
    __atomic_fetch_or(&v->pause_flags, VPF_blocked, __ATOMIC_SEQ_CST);
    op = valid;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(vi->blocked, 1);

    op = valid;
    op.u.getvcpuinfo.vcpu = 2;
    DOMCTL_REFUSED(&op, -EINVAL);
    op.u.getvcpuinfo.vcpu = ~0u;
    DOMCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.getvcpuinfo.pad = 1;
    DOMCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.getvcpuinfo.pad1 = 1;
    DOMCTL_REFUSED(&op, -EINVAL);

    check_domctl_refusals(&valid, sizeof(valid.u.getvcpuinfo));
    check_domctl_bad_domains(&valid);

    op = valid;
    guest_write(&f.g0, f.arg_ro, &op, sizeof(op));
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, f.arg_ro, 0, 0), -EFAULT);
    fx_finish();
}

TEST(domctl_sendtrigger)
{
    struct xen_domctl op, valid;
    struct domain *d;
    struct vcpu *v1;
    unsigned int calls;

    fx_setup();
    d = victim(5, 2);
    env_nmi_trigger_calls = 0;
    env_nmi_trigger_last = NULL;
    valid = mk_domctl(XEN_DOMCTL_sendtrigger, 5);
    valid.u.sendtrigger.trigger = XEN_DOMCTL_SENDTRIGGER_NMI;
    valid.u.sendtrigger.vcpu = 1;

    /* The NMI goes to the named vCPU's LINT1, once per call. */
    op = valid;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(env_nmi_trigger_calls, 1);
    CHECK(env_nmi_trigger_last == d->vcpu[1]);
    CHECK_EQ(memcmp(&op, &valid, sizeof(op)), 0);
    op = valid;
    op.u.sendtrigger.vcpu = 0;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(env_nmi_trigger_calls, 2);
    CHECK(env_nmi_trigger_last == d->vcpu[0]);
    /* The caller's own domain too (an NMI to dom0's second vCPU). */
    op = valid;
    op.domain = 0;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(env_nmi_trigger_calls, 3);
    CHECK(env_nmi_trigger_last == f.d0->vcpu[1]);

    calls = env_nmi_trigger_calls;
    /* A vCPU the domain does not have. */
    static const u32 bad_vcpus[] = { 2, 3, 255, 256, 0x80000000u, ~0u };
    for ( unsigned int i = 0; i < ARRAY_SIZE(bad_vcpus); i++ )
    {
        op = valid;
        op.u.sendtrigger.vcpu = bad_vcpus[i];
        DOMCTL_REFUSED(&op, -EINVAL);
    }
    /* du has one vCPU: index 1 is beyond it. */
    op = valid;
    op.domain = 1;
    DOMCTL_REFUSED(&op, -EINVAL);
    /* An index below max_vcpus with no vCPU behind it. */
    v1 = d->vcpu[1];
    d->vcpu[1] = NULL;
    op = valid;
    CHECK_EQ(domctl_at(&f.c0, &f.g0, f.arg0, &op, true), -ESRCH);
    d->vcpu[1] = v1;
    /*
     * Triggers this platform does not have (Xen's RESET, INIT and SLEEP
     * are 2, 4 and 5), and nonsense.
     */
    static const u32 bad_triggers[] = { 0, 2, 4, 5, 6, 0x100, ~0u };
    for ( unsigned int i = 0; i < ARRAY_SIZE(bad_triggers); i++ )
    {
        op = valid;
        op.u.sendtrigger.trigger = bad_triggers[i];
        DOMCTL_REFUSED(&op, -ENOSYS);
    }
    /* The vCPU is checked before the trigger, as Xen does. */
    op = valid;
    op.u.sendtrigger.trigger = 2;
    op.u.sendtrigger.vcpu = 2;
    DOMCTL_REFUSED(&op, -EINVAL);

    check_domctl_refusals(&valid, sizeof(valid.u.sendtrigger));
    check_domctl_bad_domains(&valid);
    CHECK_EQ(env_nmi_trigger_calls, calls);
    CHECK_EQ(env_power_trigger_calls, 0);

    /* Nothing is copied back: a read-only argument is fine. */
    op = valid;
    guest_write(&f.g0, f.arg_ro, &op, sizeof(op));
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, f.arg_ro, 0, 0), 0);
    CHECK_EQ(env_nmi_trigger_calls, calls + 1);
    fx_finish();
}

TEST(domctl_sendtrigger_power)
{
    struct xen_domctl op, valid;
    struct domain *d;
    struct vcpu *v1;

    fx_setup();
    d = victim(5, 2);
    env_nmi_trigger_calls = 0;
    env_power_trigger_calls = 0;
    env_power_trigger_last = NULL;
    valid = mk_domctl(XEN_DOMCTL_sendtrigger, 5);
    valid.u.sendtrigger.trigger = XEN_DOMCTL_SENDTRIGGER_POWER;
    valid.u.sendtrigger.vcpu = 1;
    CHECK_EQ(XEN_DOMCTL_SENDTRIGGER_POWER, 3);      /* Xen's value */

    /* The domain's button, whichever valid vCPU is named. */
    op = valid;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(env_power_trigger_calls, 1);
    CHECK(env_power_trigger_last == d);
    CHECK_EQ(memcmp(&op, &valid, sizeof(op)), 0);
    op = valid;
    op.u.sendtrigger.vcpu = 0;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(env_power_trigger_calls, 2);
    CHECK(env_power_trigger_last == d);
    /* du (one vCPU) and the caller's own domain. */
    op = valid;
    op.domain = 1;
    op.u.sendtrigger.vcpu = 0;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(env_power_trigger_calls, 3);
    CHECK(env_power_trigger_last == f.du);
    op = valid;
    op.domain = 0;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(env_power_trigger_calls, 4);
    CHECK(env_power_trigger_last == f.d0);
    CHECK_EQ(env_nmi_trigger_calls, 0);

    /* The vCPU is validated all the same. */
    static const u32 bad_vcpus[] = { 2, 3, 255, 256, 0x80000000u, ~0u };
    for ( unsigned int i = 0; i < ARRAY_SIZE(bad_vcpus); i++ )
    {
        op = valid;
        op.u.sendtrigger.vcpu = bad_vcpus[i];
        DOMCTL_REFUSED(&op, -EINVAL);
    }
    op = valid;
    op.domain = 1;
    DOMCTL_REFUSED(&op, -EINVAL);
    v1 = d->vcpu[1];
    d->vcpu[1] = NULL;
    op = valid;
    CHECK_EQ(domctl_at(&f.c0, &f.g0, f.arg0, &op, true), -ESRCH);
    d->vcpu[1] = v1;

    check_domctl_refusals(&valid, sizeof(valid.u.sendtrigger));
    check_domctl_bad_domains(&valid);
    CHECK_EQ(env_power_trigger_calls, 4);
    CHECK_EQ(env_nmi_trigger_calls, 0);
    fx_finish();
}

TEST(domctl_scheduler_op)
{
    struct xen_domctl op, get, put;
    struct domain *d;
    u16 w, c;

    fx_setup();
    d = victim(5, 1);
    get = mk_domctl(XEN_DOMCTL_scheduler_op, 5);
    get.u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
    get.u.scheduler_op.cmd = XEN_DOMCTL_SCHEDOP_getinfo;
    put = get;
    put.u.scheduler_op.cmd = XEN_DOMCTL_SCHEDOP_putinfo;
    put.u.scheduler_op.credit.weight = 512;
    put.u.scheduler_op.credit.cap = 50;

    op = get;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(op.u.scheduler_op.credit.weight, 256);
    CHECK_EQ(op.u.scheduler_op.credit.cap, 0);

    op = put;
    CHECK_EQ(domctl(&op), 0);
    sd_dom_params(d, &w, &c);
    CHECK_EQ(w, 512);
    CHECK_EQ(c, 50);
    op = get;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(op.u.scheduler_op.credit.weight, 512);
    CHECK_EQ(op.u.scheduler_op.credit.cap, 50);

    /* Refused here, before the scheduler is asked. */
    op = get;
    op.u.scheduler_op.cmd = 2;
    DOMCTL_REFUSED(&op, -EINVAL);
    op.u.scheduler_op.cmd = ~0u;
    DOMCTL_REFUSED(&op, -EINVAL);
    op = put;
    op.u.scheduler_op.credit.pad = 1;
    DOMCTL_REFUSED(&op, -EINVAL);
    /* Refused by the scheduler: its answer, nothing changed. */
    {
        struct snap before, after;

        snap_take(&before);
        op = put;
        op.u.scheduler_op.sched_id = 1;
        CHECK_EQ(domctl_at(&f.c0, &f.g0, f.arg0, &op, true), -EINVAL);
        op = put;
        op.u.scheduler_op.credit.cap = 1000;
        CHECK_EQ(domctl_at(&f.c0, &f.g0, f.arg0, &op, true), -EINVAL);
        snap_take(&after);
        CHECK(snap_same(&before, &after, false));
    }

    check_domctl_refusals(&get, sizeof(get.u.scheduler_op));
    check_domctl_refusals(&put, sizeof(put.u.scheduler_op));
    check_domctl_bad_domains(&get);
    check_domctl_bad_domains(&put);

    /* getinfo must copy back; putinfo need not. */
    op = get;
    guest_write(&f.g0, f.arg_ro, &op, sizeof(op));
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, f.arg_ro, 0, 0), -EFAULT);
    op = put;
    op.u.scheduler_op.credit.weight = 100;
    guest_write(&f.g0, f.arg_ro, &op, sizeof(op));
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, f.arg_ro, 0, 0), 0);
    sd_dom_params(d, &w, &c);
    CHECK_EQ(w, 100);
    fx_finish();
}

/* --- building a domain: createdomain, then the build domctls --- */

#define MiB(n)      ((u64)(n) << 20)

/*
 * A domain created through the domctl, held for building.  Ids from 10
 * up: check_domctl_bad_domains() needs 2 free.
 */
static struct domain *built(domid_t id, unsigned int vcpus, u64 max_pages)
{
    struct xen_domctl op = mk_domctl(XEN_DOMCTL_createdomain, id);
    struct domain *d;

    op.u.createdomain.flags = HVM;
    op.u.createdomain.max_vcpus = vcpus;
    op.u.createdomain.max_pages = max_pages;
    REQUIRE_EQ(domctl(&op), 0);
    d = get_domain_by_id(op.domain);
    REQUIRE(d != NULL);
    put_domain(d);      /* the list keeps it */
    return d;
}

static struct xen_domctl mk_populate(domid_t dom, u64 bytes)
{
    struct xen_domctl op = mk_domctl(XEN_DOMCTL_populate_ram, dom);

    op.u.populate_ram.mem_bytes = bytes;
    return op;
}

static struct xen_domctl mk_copy(domid_t dom, u64 gpaddr, u64 buffer,
                                 u32 size)
{
    struct xen_domctl op = mk_domctl(XEN_DOMCTL_copy_to_guest, dom);

    op.u.copy_to_guest.gpaddr = gpaddr;
    op.u.copy_to_guest.buffer = buffer;
    op.u.copy_to_guest.size = size;
    return op;
}

static void unpause_dom(domid_t dom)
{
    struct xen_domctl op = mk_domctl(XEN_DOMCTL_unpausedomain, dom);

    REQUIRE_EQ(domctl(&op), 0);
}

TEST(domctl_createdomain_holds_the_domain_for_building)
{
    struct xen_domctl op;
    struct domain *d;

    fx_setup();
    sd_reset();
    d = built(10, 2, 64);
    CHECK_EQ(d->pause_count, 1);
    CHECK(domain_building(d));
    CHECK(domain_toolstack_built(d));
    CHECK_EQ(d->tot_pages, 0);
    CHECK_EQ(domain_ram_bytes(d), 0);
    for ( unsigned int i = 0; i < 2; i++ )
        CHECK(d->vcpu[i]->pause_flags & VPF_down);
    CHECK_EQ(sd.calls[SD_wake], 0);

    op = mk_domctl(XEN_DOMCTL_getdomaininfo, d->domain_id);
    CHECK_EQ(domctl(&op), 0);
    CHECK(op.u.getdomaininfo.flags & XEN_DOMINF_paused);
    CHECK_EQ(op.u.getdomaininfo.nr_online_vcpus, 0);

    /* A second toolstack pause: still building after one unpause. */
    op = mk_domctl(XEN_DOMCTL_pausedomain, d->domain_id);
    REQUIRE_EQ(domctl(&op), 0);
    unpause_dom(d->domain_id);
    CHECK(domain_building(d));
    unpause_dom(d->domain_id);
    CHECK(!domain_building(d));
    CHECK_EQ(d->pause_count, 0);
    CHECK(domain_toolstack_built(d));

    /* The fixture's domains were not made by the domctl. */
    CHECK(!domain_building(f.d0));
    CHECK(!domain_toolstack_built(f.du));
    fx_finish();
}

TEST(domctl_populate_ram)
{
    struct xen_domctl op, valid;
    struct domain *d;

    fx_setup();
    d = built(11, 1, 2048);                 /* max 8 MiB */
    valid = mk_populate(d->domain_id, MiB(4));

    check_domctl_refusals(&valid, sizeof(valid.u.populate_ram));
    check_domctl_bad_domains(&valid);

    /* Size: 4 KiB multiple, >= 2 MiB, <= max_pages, below the IOAPIC. */
    static const u64 bad[] = {
        0, PAGE_SIZE, MiB(2) - PAGE_SIZE, MiB(4) + 1, MiB(4) + 0x800,
        MiB(8) + PAGE_SIZE, MiB(16), 0xfec00000ULL, ~0ULL,
        ~0ULL & PAGE_MASK,
    };
    for ( unsigned int i = 0; i < ARRAY_SIZE(bad); i++ )
    {
        op = valid;
        op.u.populate_ram.mem_bytes = bad[i];
        DOMCTL_REFUSED(&op, -EINVAL);
    }
    /* Not even a huge max_pages lets RAM reach into the IOAPIC. */
    d->max_pages = 1ULL << 30;
    op = valid;
    op.u.populate_ram.mem_bytes = 0xfec00000ULL + PAGE_SIZE;
    DOMCTL_REFUSED(&op, -EINVAL);
    op.u.populate_ram.mem_bytes = 1ULL << 32;
    DOMCTL_REFUSED(&op, -EINVAL);
    /* More than the host has (32 MiB in all, some in use). */
    op.u.populate_ram.mem_bytes = MiB(31);
    DOMCTL_REFUSED(&op, -ENOMEM);
    d->max_pages = 2048;

    op = valid;
    CHECK_EQ(domctl_at(&f.c0, &f.g0, f.arg0, &op, true), 0);
    CHECK_EQ(d->tot_pages, MiB(4) >> PAGE_SHIFT);
    CHECK_EQ(domain_ram_bytes(d), MiB(4));
    CHECK(p2m_lookup(d, (MiB(4) >> PAGE_SHIFT) - 1) != ~0ULL);
    CHECK(p2m_lookup(d, MiB(4) >> PAGE_SHIFT) == ~0ULL);

    /* Once only; a domain with memory already has RAM. */
    op = valid;
    DOMCTL_REFUSED(&op, -EEXIST);
    op.u.populate_ram.mem_bytes = MiB(2);
    DOMCTL_REFUSED(&op, -EEXIST);
    op = mk_populate(1, MiB(2));
    DOMCTL_REFUSED(&op, -EEXIST);
    fx_finish();
}

TEST(domctl_copy_to_guest)
{
    struct xen_domctl op, valid;
    struct domain *d, *bare;
    static u8 data[XEN_DOMCTL_COPY_MAX], back[XEN_DOMCTL_COPY_MAX];
    u64 big;

    fx_setup();
    d = built(12, 1, 1024);
    bare = built(13, 1, 1024);
    op = mk_populate(d->domain_id, MiB(4));
    REQUIRE_EQ(domctl(&op), 0);
    big = guest_buf(&f.g0, XEN_DOMCTL_COPY_MAX + PAGE_SIZE);
    for ( unsigned int i = 0; i < sizeof(data); i++ )
        data[i] = i * 7 + (i >> 9);
    guest_write(&f.g0, big, data, sizeof(data));

    /* Straddling a page on both sides. */
    valid = mk_copy(d->domain_id, MiB(1) + PAGE_SIZE - 100, big + 50, 300);
    check_domctl_refusals(&valid, sizeof(valid.u.copy_to_guest));
    check_domctl_bad_domains(&valid);

    op = valid;
    CHECK_EQ(domctl_at(&f.c0, &f.g0, f.arg0, &op, true), 0);
    REQUIRE_EQ(copy_from_guest_phys(d, back, MiB(1) + PAGE_SIZE - 100,
                                    300), 0);
    CHECK_EQ(memcmp(back, data + 50, 300), 0);

    /* The largest chunk, up to the last byte of RAM. */
    op = mk_copy(d->domain_id, MiB(4) - XEN_DOMCTL_COPY_MAX, big,
                 XEN_DOMCTL_COPY_MAX);
    CHECK_EQ(domctl(&op), 0);
    REQUIRE_EQ(copy_from_guest_phys(d, back, MiB(4) - XEN_DOMCTL_COPY_MAX,
                                    XEN_DOMCTL_COPY_MAX), 0);
    CHECK_EQ(memcmp(back, data, XEN_DOMCTL_COPY_MAX), 0);

    /* A NULL buffer writes zeroes. */
    op = mk_copy(d->domain_id, MiB(4) - 1000, 0, 600);
    CHECK_EQ(domctl(&op), 0);
    REQUIRE_EQ(copy_from_guest_phys(d, back, MiB(4) - 1000, 1000), 0);
    for ( unsigned int i = 0; i < 600; i++ )
        CHECK_EQ(back[i], 0);
    CHECK_EQ(memcmp(back + 600, data + XEN_DOMCTL_COPY_MAX - 400, 400), 0);

    /* Sizes. */
    op = valid;
    op.u.copy_to_guest.size = 0;
    DOMCTL_REFUSED(&op, -EINVAL);
    op.u.copy_to_guest.size = XEN_DOMCTL_COPY_MAX + 1;
    DOMCTL_REFUSED(&op, -EINVAL);
    op.u.copy_to_guest.size = ~0u;
    DOMCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.copy_to_guest.pad = 1;
    DOMCTL_REFUSED(&op, -EINVAL);

    /* Ranges that leave RAM (also by wrapping). */
    static const struct { u64 gpa; u32 size; } out[] = {
        { MiB(4) - 299, 300 }, { MiB(4), 1 }, { MiB(4) + PAGE_SIZE, 16 },
        { 0xfec00000ULL, 4 }, { ~0ULL, 1 }, { ~0ULL - 10, 300 },
        { 1ULL << 52, 8 },
    };
    for ( unsigned int i = 0; i < ARRAY_SIZE(out); i++ )
    {
        op = mk_copy(d->domain_id, out[i].gpa, big, out[i].size);
        DOMCTL_REFUSED(&op, -EINVAL);
        op.u.copy_to_guest.buffer = 0;
        DOMCTL_REFUSED(&op, -EINVAL);
    }

    /* A bad buffer writes nothing at all. */
    REQUIRE_EQ(copy_from_guest_phys(d, data, MiB(2), 200), 0);
    op = mk_copy(d->domain_id, MiB(2), f.arg_half + 36, 200);
    DOMCTL_REFUSED(&op, -EFAULT);
    op.u.copy_to_guest.buffer = UNMAPPED_VA;
    DOMCTL_REFUSED(&op, -EFAULT);
    op.u.copy_to_guest.buffer = NONCANON_VA;
    DOMCTL_REFUSED(&op, -EFAULT);
    REQUIRE_EQ(copy_from_guest_phys(d, back, MiB(2), 200), 0);
    CHECK_EQ(memcmp(back, data, 200), 0);

    env_xmalloc_fail_after(0);
    op = valid;
    DOMCTL_REFUSED(&op, -ENOMEM);
    env_xmalloc_fail_after(-1);

    /* No RAM yet; a domain not being built; one that was let run. */
    op = mk_copy(bare->domain_id, MiB(1), big, 16);
    DOMCTL_REFUSED(&op, -ENODATA);
    op = mk_copy(1, GUEST_POOL_GFN << PAGE_SHIFT, big, 16);
    DOMCTL_REFUSED(&op, -EBUSY);
    op = mk_copy(0, GUEST_POOL_GFN << PAGE_SHIFT, big, 16);
    DOMCTL_REFUSED(&op, -EBUSY);
    unpause_dom(d->domain_id);
    op = valid;
    DOMCTL_REFUSED(&op, -EBUSY);
    fx_finish();
}

static struct xen_domctl mk_platform(domid_t dom, u64 cmdline, u32 clen,
                                     u64 modargs, u32 mlen)
{
    struct xen_domctl op = mk_domctl(XEN_DOMCTL_build_platform, dom);
    struct xen_domctl_build_platform *bp = &op.u.build_platform;

    bp->kind = XEN_DOMCTL_PLATFORM_MULTIBOOT;
    bp->entry = 0x100010;
    bp->kernel_end = 0x102345;
    bp->module_size = 5000;
    bp->cmdline = cmdline;
    bp->cmdline_len = clen;
    bp->module_args = modargs;
    bp->module_args_len = mlen;
    return op;
}

TEST(domctl_build_platform)
{
    struct xen_domctl op, valid;
    struct xen_domctl_build_platform *bp = &op.u.build_platform;
    struct domain *d, *bare;
    u64 str, big;
    static char huge[(64u << 10) + 2];

    fx_setup();
    d = built(14, 3, 1024);
    bare = built(15, 1, 1024);
    op = mk_populate(d->domain_id, MiB(4));
    REQUIRE_EQ(domctl(&op), 0);
    str = guest_buf(&f.g0, PAGE_SIZE);
    guest_write(&f.g0, str, "console=com1 x\0env a=1", 23);
    big = guest_buf(&f.g0, sizeof(huge));
    memset(huge, 'h', sizeof(huge));
    guest_write(&f.g0, big, huge, sizeof(huge));

    valid = mk_platform(d->domain_id, str, 14, str + 15, 7);
    check_domctl_refusals(&valid, sizeof(valid.u.build_platform));
    check_domctl_bad_domains(&valid);
    CHECK_EQ(env_build.calls, 0);

    op = valid;
    bp->module_paddr = 0x1234;          /* outputs: ignored */
    bp->boot.eip = 7;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(env_build.calls, 1);
    CHECK(env_build.d == d);
    CHECK_EQ(env_build.p.kind, XEN_DOMCTL_PLATFORM_MULTIBOOT);
    CHECK_EQ(env_build.p.entry, 0x100010);
    CHECK_EQ(env_build.p.kernel_end, 0x102345);
    CHECK_EQ(env_build.p.module_size, 5000);
    CHECK_EQ(env_build.p.ram_bytes, MiB(4));
    CHECK_STR_EQ(env_build.cmdline, "console=com1 x");
    CHECK_STR_EQ(env_build.module_args, "env a=1");
    CHECK_EQ(bp->module_paddr, 0x103000);
    CHECK_EQ(bp->boot.eip, ENV_BOOT_EIP);
    CHECK_EQ(bp->boot.ebx, ENV_BOOT_EBX);
    CHECK_EQ(bp->boot.flags, 0);

    /* PVH; no strings, no module (the handles are then not read). */
    op = mk_platform(d->domain_id, UNMAPPED_VA, 0, 0, 0);
    bp->kind = XEN_DOMCTL_PLATFORM_PVH;
    bp->module_size = 0;
    bp->entry = 0x102344;
    bp->kernel_end = MiB(4);
    CHECK_EQ(domctl(&op), 0);
    CHECK_STR_EQ(env_build.cmdline, "");
    CHECK_STR_EQ(env_build.module_args, "");
    CHECK_EQ(bp->module_paddr, 0);
    CHECK_EQ(bp->boot.flags, XEN_DOMCTL_VCPU_BOOT_PVH);

    /* Strings of 64 KiB are the most. */
    op = mk_platform(d->domain_id, big, 64u << 10, big + 1, 64u << 10);
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(env_build.calls, 3);
    op.u.build_platform.cmdline_len++;
    DOMCTL_REFUSED(&op, -E2BIG);
    op = mk_platform(d->domain_id, big, 1, big, (64u << 10) + 1);
    DOMCTL_REFUSED(&op, -E2BIG);
    op.u.build_platform.module_args_len = ~0u;
    DOMCTL_REFUSED(&op, -E2BIG);

    /* Each bad field. */
    static const u32 kinds[] = { 0, 3, 0x101, ~0u };
    for ( unsigned int i = 0; i < ARRAY_SIZE(kinds); i++ )
    {
        op = valid;
        bp->kind = kinds[i];
        DOMCTL_REFUSED(&op, -EINVAL);
    }
    op = valid;
    bp->pad = 1;
    DOMCTL_REFUSED(&op, -EINVAL);
    static const struct { u64 entry, end; } plans[] = {
        { 0x100010, MiB(1) },           /* kernel_end at 1 MiB */
        { 0x100010, 0x100010 },         /* entry == kernel_end */
        { 0x102345, 0x102345 },
        { 0xfffff, 0x102345 },          /* entry below 1 MiB */
        { 0, 0x102345 },
        { 0x100010, MiB(4) + 1 },       /* kernel_end past RAM */
        { MiB(4), MiB(4) + PAGE_SIZE },
        { 0x100010, ~0ULL },
        { ~0ULL, 0x102345 },
        { 1ULL << 32 | 0x100010, 0x102345 },
    };
    for ( unsigned int i = 0; i < ARRAY_SIZE(plans); i++ )
    {
        op = valid;
        bp->entry = plans[i].entry;
        bp->kernel_end = plans[i].end;
        DOMCTL_REFUSED(&op, -EINVAL);
    }
    op = valid;
    bp->module_size = MiB(4) + 1;
    DOMCTL_REFUSED(&op, -E2BIG);
    bp->module_size = ~0ULL;
    DOMCTL_REFUSED(&op, -E2BIG);
    op = valid;
    bp->module_size = 0;                /* arguments, but no module */
    DOMCTL_REFUSED(&op, -EINVAL);
    /* A NUL inside a string; strings that are not (all) there. */
    op = mk_platform(d->domain_id, str, 16, 0, 0);
    DOMCTL_REFUSED(&op, -EINVAL);
    op = mk_platform(d->domain_id, str + 15, 8, str, 15);
    DOMCTL_REFUSED(&op, -EINVAL);
    op = mk_platform(d->domain_id, UNMAPPED_VA, 4, 0, 0);
    DOMCTL_REFUSED(&op, -EFAULT);
    op = mk_platform(d->domain_id, str, 4, NONCANON_VA, 4);
    DOMCTL_REFUSED(&op, -EFAULT);
    op = mk_platform(d->domain_id, f.arg_half + 30, 20, 0, 0);
    DOMCTL_REFUSED(&op, -EFAULT);
    env_xmalloc_fail_after(1);
    op = valid;
    DOMCTL_REFUSED(&op, -ENOMEM);
    env_xmalloc_fail_after(-1);
    CHECK_EQ(env_build.calls, 3);

    /* The architecture's verdict comes back, and nothing else. */
    env_build.rc = -E2BIG;
    op = valid;
    DOMCTL_REFUSED(&op, -E2BIG);
    CHECK_EQ(env_build.calls, 4);
    env_build.rc = 0;

    /* The answer cannot be copied back. */
    op = valid;
    guest_write(&f.g0, f.arg_ro, &op, sizeof(op));
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, f.arg_ro, 0, 0), -EFAULT);

    /* No RAM yet; not being built; let run. */
    op = valid;
    op.domain = bare->domain_id;
    DOMCTL_REFUSED(&op, -ENODATA);
    op.domain = 1;
    DOMCTL_REFUSED(&op, -EBUSY);
    unpause_dom(d->domain_id);
    op = valid;
    DOMCTL_REFUSED(&op, -EBUSY);
    CHECK_EQ(env_build.calls, 5);
    fx_finish();
}

static struct xen_domctl mk_vcpuctx(domid_t dom, u32 vcpu, u32 eip)
{
    struct xen_domctl op = mk_domctl(XEN_DOMCTL_setvcpucontext, dom);

    op.u.setvcpucontext.vcpu = vcpu;
    op.u.setvcpucontext.boot.eip = eip;
    op.u.setvcpucontext.boot.eax = 0x2badb002;
    op.u.setvcpucontext.boot.ebx = 0x104000;
    return op;
}

TEST(domctl_setvcpucontext)
{
    struct xen_domctl op, valid;
    struct domain *d, *bare;

    fx_setup();
    d = built(16, 3, 1024);
    bare = built(17, 1, 1024);
    op = mk_populate(d->domain_id, MiB(4));
    REQUIRE_EQ(domctl(&op), 0);

    valid = mk_vcpuctx(d->domain_id, 1, 0x100010);
    valid.u.setvcpucontext.boot.flags = XEN_DOMCTL_VCPU_BOOT_PVH;
    check_domctl_refusals(&valid, sizeof(valid.u.setvcpucontext));
    check_domctl_bad_domains(&valid);

    static const u32 vcpus[] = { 3, 4, XEN_MAX_VCPUS, ~0u };
    for ( unsigned int i = 0; i < ARRAY_SIZE(vcpus); i++ )
    {
        op = valid;
        op.u.setvcpucontext.vcpu = vcpus[i];
        DOMCTL_REFUSED(&op, -EINVAL);
    }
    static const u32 flags[] = { 2, 3, 0x80000000, ~0u };
    for ( unsigned int i = 0; i < ARRAY_SIZE(flags); i++ )
    {
        op = valid;
        op.u.setvcpucontext.boot.flags = flags[i];
        DOMCTL_REFUSED(&op, -EINVAL);
    }
    static const u32 eips[] = { MiB(4), MiB(4) + 1, 0xfec00000, ~0u };
    for ( unsigned int i = 0; i < ARRAY_SIZE(eips); i++ )
    {
        op = valid;
        op.u.setvcpucontext.boot.eip = eips[i];
        DOMCTL_REFUSED(&op, -EINVAL);
    }
    op = valid;
    op.u.setvcpucontext.pad = 1;
    DOMCTL_REFUSED(&op, -EINVAL);
    CHECK_EQ(env_set_boot_calls, 0);

    sd_reset();
    op = valid;
    CHECK_EQ(domctl_at(&f.c0, &f.g0, f.arg0, &op, true), 0);
    CHECK_EQ(env_set_boot_calls, 1);
    CHECK(env_set_boot_vcpu == d->vcpu[1]);
    CHECK_EQ(memcmp(&env_set_boot_state, &valid.u.setvcpucontext.boot,
                    sizeof(env_set_boot_state)), 0);
    CHECK(!(d->vcpu[1]->pause_flags & VPF_down));
    CHECK(d->vcpu[0]->pause_flags & VPF_down);
    /* Up, but held by the toolstack's pause. */
    CHECK(!vcpu_runnable(d->vcpu[1]));

    /* Only a vCPU that is down; eip anywhere in RAM. */
    op = valid;
    DOMCTL_REFUSED(&op, -EBUSY);
    op = mk_vcpuctx(d->domain_id, 0, MiB(4) - 1);
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(env_set_boot_calls, 2);
    CHECK_EQ(env_set_boot_state.flags, 0);

    /* No RAM; not being built; let run. */
    op = mk_vcpuctx(bare->domain_id, 0, 0x100010);
    DOMCTL_REFUSED(&op, -ENODATA);
    op = mk_vcpuctx(1, 0, 0x100010);
    DOMCTL_REFUSED(&op, -EBUSY);
    sd_reset();
    unpause_dom(d->domain_id);
    CHECK(vcpu_runnable(d->vcpu[1]));
    CHECK_EQ(sd_count(SD_wake, d->domain_id, 1), 1);
    op = mk_vcpuctx(d->domain_id, 2, 0x100010);
    DOMCTL_REFUSED(&op, -EBUSY);
    CHECK_EQ(env_set_boot_calls, 2);
    fx_finish();
}

static struct xen_domctl mk_cons(domid_t dom, u32 cmd, u64 index, u64 buf,
                                 u32 size)
{
    struct xen_domctl op = mk_domctl(XEN_DOMCTL_console_io, dom);

    op.u.console_io.cmd = cmd;
    op.u.console_io.index = index;
    op.u.console_io.buffer = buf;
    op.u.console_io.size = size;
    return op;
}

TEST(domctl_console_io)
{
    struct xen_domctl op, valid;
    struct xen_domctl_console_io *cio = &op.u.console_io;
    char text[128];
    u64 buf, big;

    fx_setup();
    buf = f.buf0 + PAGE_SIZE - 5;       /* straddles a page */
    big = guest_buf(&f.g0, XEN_DOMCTL_COPY_MAX + 1);
    env_console_out_puts("hello\nworld\n");

    valid = mk_cons(1, XEN_DOMCTL_CONSOLE_READ, 0, buf, 100);
    check_domctl_refusals(&valid, sizeof(valid.u.console_io));
    check_domctl_bad_domains(&valid);

    op = valid;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(cio->size, 12);
    CHECK_EQ(cio->index, 12);
    guest_read(&f.g0, buf, text, 12);
    CHECK_EQ(memcmp(text, "hello\nworld\n", 12), 0);
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_READ, 3, buf, 4);
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(cio->size, 4);
    CHECK_EQ(cio->index, 7);
    guest_read(&f.g0, buf, text, 4);
    CHECK_EQ(memcmp(text, "lo\nw", 4), 0);
    /* Nothing new; an empty read. */
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_READ, 12, buf, 100);
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(cio->size, 0);
    CHECK_EQ(cio->index, 12);
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_READ, 5, UNMAPPED_VA, 0);
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(cio->size, 0);
    CHECK_EQ(cio->index, 5);
    /* Text the ring no longer holds is skipped. */
    for ( unsigned int i = 0; i < 10; i++ )
        env_console_out_puts("0123456789");
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_READ, 0, buf, 1000);
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(cio->size, ENV_CONSOLE_RING);
    CHECK_EQ(cio->index, 112);
    guest_read(&f.g0, buf, text, 4);
    CHECK_EQ(memcmp(text, "6789", 4), 0);      /* byte 48 of the text */

    /* Past what was written; bad commands and buffers. */
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_READ, 113, buf, 10);
    DOMCTL_REFUSED(&op, -EINVAL);
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_READ, ~0ULL, buf, 0);
    DOMCTL_REFUSED(&op, -EINVAL);
    static const u32 cmds[] = { 2, 3, 0x100, ~0u };
    for ( unsigned int i = 0; i < ARRAY_SIZE(cmds); i++ )
    {
        op = valid;
        cio->cmd = cmds[i];
        DOMCTL_REFUSED(&op, -EINVAL);
    }
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_READ, 0, UNMAPPED_VA, 10);
    DOMCTL_REFUSED(&op, -EFAULT);
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_READ, 0, f.arg_ro, 10);
    DOMCTL_REFUSED(&op, -EFAULT);

    /* WRITE: the bytes go to the domain's receiver. */
    guest_write(&f.g0, buf, "ls -l\n", 6);
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_WRITE, 0, buf, 6);
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(cio->size, 6);
    CHECK_EQ(env_console_in_len, 6);
    CHECK_EQ(memcmp(env_console_in, "ls -l\n", 6), 0);
    /* A full line takes what it can. */
    env_console_in_room = 2;
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_WRITE, 0, buf, 6);
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(cio->size, 2);
    CHECK_EQ(env_console_in_len, 8);
    env_console_in_room = 0;
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_WRITE, 0, big,
                 XEN_DOMCTL_COPY_MAX);
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(cio->size, 0);
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_WRITE, 0, UNMAPPED_VA, 0);
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(cio->size, 0);
    env_console_in_room = 100;

    op = mk_cons(1, XEN_DOMCTL_CONSOLE_WRITE, 0, big,
                 XEN_DOMCTL_COPY_MAX + 1);
    DOMCTL_REFUSED(&op, -EINVAL);
    op.u.console_io.size = ~0u;
    DOMCTL_REFUSED(&op, -EINVAL);
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_WRITE, 1, buf, 6);
    DOMCTL_REFUSED(&op, -EINVAL);
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_WRITE, 0, UNMAPPED_VA, 6);
    DOMCTL_REFUSED(&op, -EFAULT);
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_WRITE, 0, f.arg_half + 30, 20);
    DOMCTL_REFUSED(&op, -EFAULT);
    env_xmalloc_fail_after(0);
    op = mk_cons(1, XEN_DOMCTL_CONSOLE_WRITE, 0, buf, 6);
    DOMCTL_REFUSED(&op, -ENOMEM);
    env_xmalloc_fail_after(-1);
    CHECK_EQ(env_console_in_len, 8);
    fx_finish();
}

/* The whole sequence the tools follow, as the header orders it. */
TEST(domctl_build_sequence)
{
    struct xen_domctl op, plat;
    struct domain *d;
    u8 kernel[64], back[64];
    u64 kbuf, free_before;

    fx_setup();
    free_before = free_heap_pages_count();
    for ( unsigned int i = 0; i < sizeof(kernel); i++ )
        kernel[i] = 0x90 + i;
    kbuf = guest_buf(&f.g0, PAGE_SIZE);
    guest_write(&f.g0, kbuf, kernel, sizeof(kernel));

    d = built(18, 1, 1024);
    op = mk_populate(d->domain_id, MiB(4));
    REQUIRE_EQ(domctl(&op), 0);
    op = mk_copy(d->domain_id, MiB(1), kbuf, sizeof(kernel));
    REQUIRE_EQ(domctl(&op), 0);
    plat = mk_platform(d->domain_id, 0, 0, 0, 0);
    plat.u.build_platform.module_size = 100;
    REQUIRE_EQ(domctl(&plat), 0);
    op = mk_copy(d->domain_id, plat.u.build_platform.module_paddr, kbuf, 100);
    REQUIRE_EQ(domctl(&op), 0);
    op = mk_domctl(XEN_DOMCTL_setvcpucontext, d->domain_id);
    op.u.setvcpucontext.boot = plat.u.build_platform.boot;
    REQUIRE_EQ(domctl(&op), 0);
    REQUIRE_EQ(copy_from_guest_phys(d, back, MiB(1), sizeof(back)), 0);
    CHECK_EQ(memcmp(back, kernel, sizeof(kernel)), 0);
    CHECK(!vcpu_runnable(d->vcpu[0]));
    unpause_dom(d->domain_id);
    CHECK(vcpu_runnable(d->vcpu[0]));

    /* Destroyed, its RAM is back. */
    op = mk_domctl(XEN_DOMCTL_destroydomain, d->domain_id);
    REQUIRE_EQ(domctl(&op), 0);
    CHECK_EQ(free_heap_pages_count(), free_before);
    fx_finish();
}

static void set_bit_map(u64 *map, unsigned int bit)
{
    map[bit / 64] |= 1ULL << (bit % 64);
}

/* The environment's online pCPUs are 0, 1, 2 and 5 (hypercall/env.c). */
TEST(domctl_vcpuaffinity)
{
    struct xen_domctl op, set, get;
    struct xen_domctl_vcpuaffinity *va = &op.u.vcpuaffinity;
    struct domain *d;
    struct vcpu *v1;
    cpumask_t before;
    unsigned int calls;

    fx_setup();
    d = victim(5, 2);
    set = mk_domctl(XEN_DOMCTL_setvcpuaffinity, 5);
    set.u.vcpuaffinity.vcpu = 1;
    set_bit_map(set.u.vcpuaffinity.cpumap, 2);
    set_bit_map(set.u.vcpuaffinity.cpumap, 5);
    get = mk_domctl(XEN_DOMCTL_getvcpuaffinity, 5);
    get.u.vcpuaffinity.vcpu = 1;

    /* Set, then read back: the same map, passed on to the scheduler. */
    op = set;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(sd_count(SD_set_affinity, 5, 1), 1);
    CHECK(cpumask_test_cpu(2, &d->vcpu[1]->cpu_hard_affinity));
    CHECK(cpumask_test_cpu(5, &d->vcpu[1]->cpu_hard_affinity));
    CHECK_EQ(cpumask_weight(&d->vcpu[1]->cpu_hard_affinity), 2);
    op = get;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(va->vcpu, 1);
    CHECK_EQ(va->cpumap[0], (1ULL << 2) | (1ULL << 5));
    for ( unsigned int w = 1; w < XEN_DOMCTL_CPUMAP_BITS / 64; w++ )
        CHECK_EQ(va->cpumap[w], 0);
    /* Get ignores whatever map it is given. */
    op = get;
    memset(va->cpumap, 0xff, sizeof(va->cpumap));
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(va->cpumap[0], (1ULL << 2) | (1ULL << 5));
    CHECK_EQ(va->cpumap[3], 0);
    /* One pCPU; the caller's own vCPU. */
    op = set;
    memset(va->cpumap, 0, sizeof(va->cpumap));
    set_bit_map(va->cpumap, 0);
    op.domain = 0;
    op.u.vcpuaffinity.vcpu = 0;
    CHECK_EQ(domctl(&op), 0);
    op = get;
    op.domain = 0;
    op.u.vcpuaffinity.vcpu = 0;
    CHECK_EQ(domctl(&op), 0);
    CHECK_EQ(va->cpumap[0], 1);

    cpumask_copy(&before, &d->vcpu[1]->cpu_hard_affinity);
    /* A vCPU the domain does not have, for set and get. */
    static const u32 bad_vcpus[] = { 2, 3, 255, 256, 0x80000000u, ~0u };
    for ( unsigned int i = 0; i < ARRAY_SIZE(bad_vcpus); i++ )
    {
        op = set;
        op.u.vcpuaffinity.vcpu = bad_vcpus[i];
        DOMCTL_REFUSED(&op, -EINVAL);
        op = get;
        op.u.vcpuaffinity.vcpu = bad_vcpus[i];
        DOMCTL_REFUSED(&op, -EINVAL);
    }
    /* An index below max_vcpus with no vCPU behind it. */
    v1 = d->vcpu[1];
    d->vcpu[1] = NULL;
    calls = sd.calls[SD_set_affinity];
    op = set;
    CHECK_EQ(domctl_at(&f.c0, &f.g0, f.arg0, &op, true), -EINVAL);
    op = get;
    CHECK_EQ(domctl_at(&f.c0, &f.g0, f.arg0, &op, true), -EINVAL);
    CHECK_EQ(sd.calls[SD_set_affinity], calls);
    d->vcpu[1] = v1;
    /* The pad, for set and get. */
    op = set;
    op.u.vcpuaffinity.pad = 1;
    DOMCTL_REFUSED(&op, -EINVAL);
    op = get;
    op.u.vcpuaffinity.pad = 0x80000000u;
    DOMCTL_REFUSED(&op, -EINVAL);
    /* Empty. */
    op = set;
    memset(va->cpumap, 0, sizeof(va->cpumap));
    DOMCTL_REFUSED(&op, -EINVAL);
    /* An offline pCPU, alone or with online ones. */
    static const unsigned int offline[] = { 3, 4, 6, 63 };
    for ( unsigned int i = 0; i < ARRAY_SIZE(offline); i++ )
    {
        op = set;
        set_bit_map(va->cpumap, offline[i]);
        DOMCTL_REFUSED(&op, -EINVAL);
        memset(va->cpumap, 0, sizeof(va->cpumap));
        set_bit_map(va->cpumap, offline[i]);
        DOMCTL_REFUSED(&op, -EINVAL);
    }
    /* Bits at and beyond NR_CPUS (64 here), up to the map's last. */
    static const unsigned int beyond[] = { 64, 65, 127, 128, 200, 255 };
    for ( unsigned int i = 0; i < ARRAY_SIZE(beyond); i++ )
    {
        op = set;
        set_bit_map(va->cpumap, beyond[i]);
        DOMCTL_REFUSED(&op, -EINVAL);
    }
    CHECK_EQ(memcmp(&before, &d->vcpu[1]->cpu_hard_affinity,
                    sizeof(before)), 0);

    check_domctl_refusals(&set, sizeof(set.u.vcpuaffinity));
    check_domctl_refusals(&get, sizeof(get.u.vcpuaffinity));
    check_domctl_bad_domains(&set);
    check_domctl_bad_domains(&get);

    /* get must copy back; set need not. */
    op = get;
    guest_write(&f.g0, f.arg_ro, &op, sizeof(op));
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, f.arg_ro, 0, 0), -EFAULT);
    op = set;
    memset(va->cpumap, 0, sizeof(va->cpumap));
    set_bit_map(va->cpumap, 1);
    guest_write(&f.g0, f.arg_ro, &op, sizeof(op));
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_domctl, f.arg_ro, 0, 0), 0);
    CHECK(cpumask_test_cpu(1, &d->vcpu[1]->cpu_hard_affinity));
    CHECK_EQ(cpumask_weight(&d->vcpu[1]->cpu_hard_affinity), 1);
    fx_finish();
}

TEST(domctl_unknown_commands)
{
    static const u32 cmds[] = { 0, 17, 100, ~0u };

    fx_setup();
    for ( unsigned int i = 0; i < ARRAY_SIZE(cmds); i++ )
    {
        struct xen_domctl op = mk_domctl(cmds[i], 0);

        DOMCTL_REFUSED(&op, -ENOSYS);
        /* The version is checked first. */
        op.interface_version = 0;
        DOMCTL_REFUSED(&op, -EACCES);
    }
    fx_finish();
}

/* --- sysctl --- */

static struct xen_sysctl mk_sysctl(u32 cmd)
{
    struct xen_sysctl op;

    memset(&op, 0, sizeof(op));
    op.cmd = cmd;
    op.interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    return op;
}

static long sysctl_at(struct hypercall_ctx *c, struct guest *g, u64 arg,
                      struct xen_sysctl *op, bool same)
{
    struct xen_sysctl in = *op;
    long rc;

    guest_write(g, arg, op, sizeof(*op));
    rc = hcall(c, __HYPERVISOR_sysctl, arg, 0, 0);
    guest_read(g, arg, op, sizeof(*op));
    if ( same )
        CHECK_EQ(memcmp(&in, op, sizeof(in)), 0);
    return rc;
}

static long sysctl(struct xen_sysctl *op)
{
    return sysctl_at(&f.c0, &f.g0, f.arg0, op, false);
}

static void sysctl_refused(const struct xen_sysctl *op, long err, int line)
{
    struct xen_sysctl tmp = *op;
    struct snap before, after;
    long rc;

    snap_take(&before);
    rc = sysctl_at(&f.c0, &f.g0, f.arg0, &tmp, true);
    snap_take(&after);
    if ( rc != err )
        harness_fail(__FILE__, line, false, "sysctl %u: %ld, wanted %ld",
                     op->cmd, rc, err);
    if ( !snap_same(&before, &after, true) )
        harness_fail(__FILE__, line, false, "sysctl %u changed state",
                     op->cmd);
}
#define SYSCTL_REFUSED(op, err) sysctl_refused(op, err, __LINE__)

static void check_sysctl_refusals(const struct xen_sysctl *valid,
                                  size_t used)
{
    struct xen_sysctl op;
    struct snap before, after;
    struct hypercall_ctx c;

    op = *valid;
    op.interface_version++;
    SYSCTL_REFUSED(&op, -EACCES);
    op.interface_version = XEN_DOMCTL_INTERFACE_VERSION + 0x100;
    SYSCTL_REFUSED(&op, -EACCES);

    for ( size_t b = used; b < sizeof(op.u); b++ )
    {
        op = *valid;
        op.u.pad[b] = 0x01;
        SYSCTL_REFUSED(&op, -EINVAL);
    }

    snap_take(&before);
    op = *valid;
    CHECK_EQ(sysctl_at(&f.cu, &f.gu, f.argu, &op, true), -EPERM);
    for ( unsigned int cpl = 1; cpl <= 3; cpl++ )
    {
        c = f.c0;
        c.cpl = cpl;
        op = *valid;
        CHECK_EQ(sysctl_at(&c, &f.g0, f.arg0, &op, true), -EPERM);
    }
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_sysctl, UNMAPPED_VA, 0, 0), -EFAULT);
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_sysctl, NONCANON_VA, 0, 0), -EFAULT);
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_sysctl, ~0ULL - 8, 0, 0), -EFAULT);
    op = *valid;
    guest_write(&f.g0, f.arg_half, &op, 40);
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_sysctl, f.arg_half, 0, 0), -EFAULT);
    snap_take(&after);
    CHECK(snap_same(&before, &after, true));
}

static struct xen_sysctl mk_readconsole(u32 count, u64 buffer)
{
    struct xen_sysctl op = mk_sysctl(XEN_SYSCTL_readconsole);

    op.u.readconsole.count = count;
    op.u.readconsole.buffer = buffer;
    return op;
}

TEST(sysctl_readconsole)
{
    struct xen_sysctl op, valid;
    char text[64];
    u64 buf;

    fx_setup();
    /* The buffer crosses a page boundary too. */
    buf = f.buf0 + PAGE_SIZE - 5;
    env_console_puts("hello\nworld\n");
    valid = mk_readconsole(100, buf);

    op = valid;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.readconsole.count, 12);
    CHECK_EQ(op.u.readconsole.index, 12);
    guest_read(&f.g0, buf, text, 12);
    CHECK_EQ(memcmp(text, "hello\nworld\n", 12), 0);

    /* From the oldest text, at most 'count'. */
    op = valid;
    op.u.readconsole.count = 5;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.readconsole.count, 5);
    CHECK_EQ(op.u.readconsole.index, 5);

    /* Incremental from an index. */
    op = valid;
    op.u.readconsole.incremental = 1;
    op.u.readconsole.index = 6;
    memset(text, 0, sizeof(text));
    guest_write(&f.g0, buf, text, 12);
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.readconsole.count, 6);
    CHECK_EQ(op.u.readconsole.index, 12);
    guest_read(&f.g0, buf, text, 7);
    CHECK_EQ(memcmp(text, "world\n\0", 7), 0);
    op.u.readconsole.count = 100;
    CHECK_EQ(sysctl(&op), 0);       /* nothing new */
    CHECK_EQ(op.u.readconsole.count, 0);
    CHECK_EQ(op.u.readconsole.index, 12);

    /* Bad values. */
    op = valid;
    op.u.readconsole.count = 0;
    SYSCTL_REFUSED(&op, -EINVAL);
    op.u.readconsole.count = (1u << 20) + 1;
    SYSCTL_REFUSED(&op, -EINVAL);
    op.u.readconsole.count = ~0u;
    SYSCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.readconsole.clear = 2;
    SYSCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.readconsole.incremental = 2;
    SYSCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.readconsole.pad0 = 1;
    SYSCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.readconsole.incremental = 1;
    op.u.readconsole.index = 13;    /* not written yet */
    SYSCTL_REFUSED(&op, -EINVAL);
    op.u.readconsole.index = ~0ULL;
    SYSCTL_REFUSED(&op, -EINVAL);

    /* The buffer is not there: nothing read, nothing cleared. */
    op = valid;
    op.u.readconsole.clear = 1;
    op.u.readconsole.buffer = UNMAPPED_VA;
    SYSCTL_REFUSED(&op, -EFAULT);
    op.u.readconsole.buffer = f.arg_half + PAGE_SIZE - 8;
    SYSCTL_REFUSED(&op, -EFAULT);
    op.u.readconsole.buffer = f.arg_half + 36;  /* runs into the hole */
    SYSCTL_REFUSED(&op, -EFAULT);
    op.u.readconsole.buffer = f.arg_ro;
    SYSCTL_REFUSED(&op, -EFAULT);
    /* The answer cannot be copied back: not cleared either. */
    {
        struct snap before, after;

        snap_take(&before);
        op = valid;
        op.u.readconsole.clear = 1;
        guest_write(&f.g0, f.arg_ro, &op, sizeof(op));
        CHECK_EQ(hcall(&f.c0, __HYPERVISOR_sysctl, f.arg_ro, 0, 0),
                 -EFAULT);
        snap_take(&after);
        CHECK(snap_same(&before, &after, true));
    }

    check_sysctl_refusals(&valid, sizeof(valid.u.readconsole));

    /* Clear: read, then the ring starts afresh. */
    op = valid;
    op.u.readconsole.clear = 1;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.readconsole.count, 12);
    op = valid;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.readconsole.count, 0);
    env_console_puts("again");
    op = valid;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.readconsole.count, 5);
    CHECK_EQ(op.u.readconsole.index, 17);
    fx_finish();
}

TEST(sysctl_physinfo)
{
    struct xen_sysctl op, valid;
    struct xen_sysctl_physinfo *pi = &op.u.physinfo;

    fx_setup();
    valid = mk_sysctl(XEN_SYSCTL_physinfo);

    op = valid;
    memset(pi, 0xff, sizeof(*pi));          /* outputs: ignored */
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(pi->nr_cpus, ENV_NR_ONLINE);
    CHECK_EQ(pi->max_cpu_id, ENV_NR_CPU_IDS - 1);
    CHECK_EQ(pi->cpu_khz, ENV_CPU_KHZ);
    CHECK_EQ(pi->capabilities,
             XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_svm);
    CHECK_EQ(pi->total_pages, ENV_HEAP_PAGES);
    CHECK_EQ(pi->free_pages, free_heap_pages_count());
    CHECK(pi->free_pages < ENV_HEAP_PAGES);
    CHECK_EQ(pi->now, 1000000000);
    env_now += 777;
    op = valid;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(pi->now, 1000000777);

    check_sysctl_refusals(&valid, sizeof(valid.u.physinfo));
    op = valid;
    guest_write(&f.g0, f.arg_ro, &op, sizeof(op));
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_sysctl, f.arg_ro, 0, 0), -EFAULT);
    fx_finish();
}

static struct xen_sysctl mk_irq_stats(u32 kind, u32 cpu, domid_t domid,
                                      u32 vcpu, u32 size, u64 buffer)
{
    struct xen_sysctl op = mk_sysctl(XEN_SYSCTL_irq_stats);

    op.u.irq_stats.version = XEN_IRQ_STATS_VERSION;
    op.u.irq_stats.kind = kind;
    op.u.irq_stats.cpu = cpu;
    op.u.irq_stats.domid = domid;
    op.u.irq_stats.vcpu = vcpu;
    op.u.irq_stats.size = size;
    op.u.irq_stats.buffer = buffer;
    return op;
}

TEST(sysctl_irq_stats)
{
    struct xen_sysctl op, valid, vvalid;
    struct xen_irq_stats_pcpu pc;
    struct xen_irq_stats_vcpu vc;
    const u32 psz = sizeof(pc), vsz = sizeof(vc);
    /*
     * Both structures cross page boundaries (the pCPU one, 14 KiB, three
     * of them) and fit in the 4 pages of buf0.
     */
    u64 buf, vbuf;

    fx_setup();
    BUILD_BUG_ON(sizeof(pc) + 100 > 4 * PAGE_SIZE);
    buf = f.buf0 + 100;
    vbuf = f.buf0 + PAGE_SIZE - 100;
    victim(5, 2);
    valid = mk_irq_stats(XEN_IRQ_STATS_pcpu, 2, 0, 0, psz + 8, buf);
    vvalid = mk_irq_stats(XEN_IRQ_STATS_vcpu, 0, 5, 1, vsz, vbuf);

    /* A pCPU: its K vectors and their counters. */
    op = valid;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.irq_stats.size, psz);
    guest_read(&f.g0, buf, &pc, psz);
    CHECK_EQ(pc.cpu, 2);
    CHECK_EQ(pc.apic_id, 4);
    CHECK_EQ(pc.nr_vectors, 3);
    CHECK_EQ(pc.peak_blocked, 6);
    CHECK_EQ(pc.vec[2].vector, 0xa2);
    CHECK_EQ(pc.vec[2].handler_runs, 202);
    CHECK_EQ(pc.vec[3].vector, 0);
    /* K beyond version 1's 64 entries: every list reaches the caller. */
    op = valid;
    op.u.irq_stats.cpu = 3;
    CHECK_EQ(sysctl(&op), 0);
    guest_read(&f.g0, buf, &pc, psz);
    CHECK_EQ(pc.nr_vectors, 176);
    CHECK_EQ(pc.vec[64].vector, 0x9f);
    CHECK_EQ(pc.vec[175].vector, 0x30);
    CHECK_EQ(pc.vec[175].handler_runs, 300 + 175);
    CHECK_EQ(pc.vec[176].vector, 0);

    /* A vCPU of another domain, and of the caller's own (DOMID_SELF). */
    op = vvalid;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.irq_stats.size, vsz);
    guest_read(&f.g0, vbuf, &vc, vsz);
    CHECK_EQ(vc.domid, 5);
    CHECK_EQ(vc.vcpu, 1);
    CHECK_EQ(vc.posts, 5001);
    CHECK_EQ(vc.nr_exit_reasons, XEN_EXIT_NR);
    CHECK_EQ(vc.exits[XEN_EXIT_hlt], XEN_EXIT_hlt);
    op = vvalid;
    op.u.irq_stats.domid = DOMID_SELF;
    op.u.irq_stats.vcpu = 1;
    CHECK_EQ(sysctl(&op), 0);
    guest_read(&f.g0, vbuf, &vc, vsz);
    CHECK_EQ(vc.domid, 0);
    CHECK_EQ(vc.posts, 1);

    /* Refused: no call reaches the architecture, nothing is written. */
    env_irq_stats_calls = 0;
    op = valid;
    op.u.irq_stats.version = XEN_IRQ_STATS_VERSION + 1;
    SYSCTL_REFUSED(&op, -EACCES);
    op.u.irq_stats.version = 0;
    SYSCTL_REFUSED(&op, -EACCES);
    op.u.irq_stats.version = 1;             /* the 64-entry layout */
    SYSCTL_REFUSED(&op, -EACCES);
    op = valid;
    op.u.irq_stats.kind = 2;
    SYSCTL_REFUSED(&op, -EINVAL);
    op.u.irq_stats.kind = ~0u;
    SYSCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.irq_stats.size = psz - 1;
    SYSCTL_REFUSED(&op, -EINVAL);
    op.u.irq_stats.size = 0;
    SYSCTL_REFUSED(&op, -EINVAL);
    op = vvalid;
    op.u.irq_stats.size = vsz - 1;
    SYSCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.irq_stats.domid = 5;               /* not a vCPU query */
    SYSCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.irq_stats.vcpu = 1;
    SYSCTL_REFUSED(&op, -EINVAL);
    op = vvalid;
    op.u.irq_stats.cpu = 1;                 /* not a pCPU query */
    SYSCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.irq_stats.pad0 = 1;
    SYSCTL_REFUSED(&op, -EINVAL);
    CHECK_EQ(env_irq_stats_calls, 0);

    /* Refused by what they name: a pCPU, a domain, a vCPU. */
    op = valid;
    op.u.irq_stats.cpu = ENV_NR_ONLINE;
    SYSCTL_REFUSED(&op, -EINVAL);
    op.u.irq_stats.cpu = ~0u;
    SYSCTL_REFUSED(&op, -EINVAL);
    op = vvalid;
    op.u.irq_stats.domid = 6;
    SYSCTL_REFUSED(&op, -ESRCH);
    op.u.irq_stats.domid = DOMID_IDLE;
    SYSCTL_REFUSED(&op, -ESRCH);
    op = vvalid;
    op.u.irq_stats.vcpu = 2;
    SYSCTL_REFUSED(&op, -EINVAL);
    op.u.irq_stats.vcpu = ~0u;
    SYSCTL_REFUSED(&op, -EINVAL);

    /* A buffer that is not (all) there: -EFAULT, the rest untouched. */
    op = vvalid;
    op.u.irq_stats.buffer = UNMAPPED_VA;
    SYSCTL_REFUSED(&op, -EFAULT);
    op.u.irq_stats.buffer = NONCANON_VA;
    SYSCTL_REFUSED(&op, -EFAULT);
    op.u.irq_stats.buffer = f.arg_half + 40 - 64;
    SYSCTL_REFUSED(&op, -EFAULT);

    check_sysctl_refusals(&valid, sizeof(valid.u.irq_stats));
    fx_finish();
}

static struct xen_sysctl mk_dil(domid_t first, u32 max, u64 buffer)
{
    struct xen_sysctl op = mk_sysctl(XEN_SYSCTL_getdomaininfolist);

    op.u.getdomaininfolist.first_domain = first;
    op.u.getdomaininfolist.max_domains = max;
    op.u.getdomaininfolist.buffer = buffer;
    return op;
}

TEST(sysctl_getdomaininfolist)
{
    struct xen_sysctl op, valid;
    struct xen_domctl_getdomaininfo info[8], zero[8];
    struct xen_domctl dop;
    /* Entries cross a page boundary. */
    u64 buf = f.buf0 + PAGE_SIZE - 100;

    fx_setup();
    buf = f.buf0 + PAGE_SIZE - 100;
    victim(5, 2);
    victim(7, 1);
    valid = mk_dil(0, 8, buf);

    op = valid;
    op.u.getdomaininfolist.num_domains = 99;    /* an output */
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.getdomaininfolist.num_domains, 4);
    guest_read(&f.g0, buf, info, 4 * sizeof(info[0]));
    CHECK_EQ(info[0].domain, 0);
    CHECK_EQ(info[1].domain, 1);
    CHECK_EQ(info[2].domain, 5);
    CHECK_EQ(info[3].domain, 7);
    CHECK_EQ(info[0].tot_pages, GUEST_POOL_PAGES);
    CHECK_EQ(info[2].max_vcpu_id, 1);
    /* The very same description as domctl getdomaininfo. */
    dop = mk_domctl(XEN_DOMCTL_getdomaininfo, 5);
    REQUIRE_EQ(domctl(&dop), 0);
    CHECK_EQ(memcmp(&dop.u.getdomaininfo, &info[2], sizeof(info[2])), 0);

    op = valid;
    op.u.getdomaininfolist.first_domain = 2;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.getdomaininfolist.num_domains, 2);
    guest_read(&f.g0, buf, info, sizeof(info[0]));
    CHECK_EQ(info[0].domain, 5);
    op = valid;
    op.u.getdomaininfolist.max_domains = 1;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.getdomaininfolist.num_domains, 1);
    op = valid;
    op.u.getdomaininfolist.first_domain = 8;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.getdomaininfolist.num_domains, 0);
    op.u.getdomaininfolist.first_domain = DOMID_IDLE;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.getdomaininfolist.num_domains, 0);

    /* Bad values. */
    op = valid;
    op.u.getdomaininfolist.max_domains = 0;
    SYSCTL_REFUSED(&op, -EINVAL);
    op.u.getdomaininfolist.max_domains = 1025;
    SYSCTL_REFUSED(&op, -EINVAL);
    op.u.getdomaininfolist.max_domains = ~0u;
    SYSCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.getdomaininfolist.pad0 = 1;
    SYSCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.getdomaininfolist.pad1 = 1;
    SYSCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.getdomaininfolist.max_domains = 1024;
    CHECK_EQ(sysctl(&op), 0);

    /* The array is not (all) there: no entry is written. */
    memset(zero, 0, sizeof(zero));
    op = valid;
    op.u.getdomaininfolist.buffer = UNMAPPED_VA;
    SYSCTL_REFUSED(&op, -EFAULT);
    op.u.getdomaininfolist.buffer = f.arg_half + 40 - 2 * sizeof(info[0]);
    guest_write(&f.g0, op.u.getdomaininfolist.buffer, zero,
                2 * sizeof(info[0]));
    SYSCTL_REFUSED(&op, -EFAULT);
    guest_read(&f.g0, op.u.getdomaininfolist.buffer, info,
               2 * sizeof(info[0]));
    CHECK_EQ(memcmp(info, zero, 2 * sizeof(info[0])), 0);
    /* Room for two in the mapped part is enough for two. */
    op.u.getdomaininfolist.max_domains = 2;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.getdomaininfolist.num_domains, 2);
    op = valid;
    op.u.getdomaininfolist.buffer = f.arg_ro - 100;
    SYSCTL_REFUSED(&op, -EFAULT);

    check_sysctl_refusals(&valid, sizeof(valid.u.getdomaininfolist));
    op = valid;
    guest_write(&f.g0, f.arg_ro, &op, sizeof(op));
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_sysctl, f.arg_ro, 0, 0), -EFAULT);
    fx_finish();
}

static char keys_seen[128];
static unsigned int nr_keys_seen;

static void record_key(unsigned char key)
{
    if ( nr_keys_seen < sizeof(keys_seen) - 1 )
        keys_seen[nr_keys_seen++] = key;
    printk("key %c pressed\n", key);
}

static struct xen_sysctl mk_keys(u32 nr, u64 keys)
{
    struct xen_sysctl op = mk_sysctl(XEN_SYSCTL_debug_keys);

    op.u.debug_keys.nr_keys = nr;
    op.u.debug_keys.keys = keys;
    return op;
}

TEST(sysctl_debug_keys)
{
    static bool registered;
    struct xen_sysctl op, valid;
    char keys[65];
    u64 kbuf;

    fx_setup();
    if ( !registered )
    {
        register_keyhandler('z', record_key, "test key");
        register_keyhandler('y', record_key, "other test key");
        registered = true;
    }
    memset(keys_seen, 0, sizeof(keys_seen));
    nr_keys_seen = 0;
    kbuf = f.buf0 + PAGE_SIZE - 2;  /* keys cross a page boundary */
    memset(keys, 'z', sizeof(keys));
    memcpy(keys, "zyQz", 4);
    guest_write(&f.g0, kbuf, keys, sizeof(keys));
    valid = mk_keys(4, kbuf);

    op = valid;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_STR_EQ(keys_seen, "zyz");
    CHECK(stub_log_contains("'Q' (ascii '51'): no handler"));
    CHECK_EQ(stub_log_count("key z pressed"), 2);

    op = valid;
    op.u.debug_keys.nr_keys = 64;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(nr_keys_seen, 3 + 63);

    guest_write(&f.g0, kbuf, "h", 1);
    op = valid;
    op.u.debug_keys.nr_keys = 1;
    CHECK_EQ(sysctl(&op), 0);
    CHECK(stub_log_contains("=> test key"));

    /* Bad values. */
    nr_keys_seen = 0;
    op = valid;
    op.u.debug_keys.nr_keys = 0;
    SYSCTL_REFUSED(&op, -EINVAL);
    op.u.debug_keys.nr_keys = XEN_SYSCTL_DEBUG_KEYS_MAX + 1;
    SYSCTL_REFUSED(&op, -EINVAL);
    op.u.debug_keys.nr_keys = ~0u;
    SYSCTL_REFUSED(&op, -EINVAL);
    op = valid;
    op.u.debug_keys.pad = 1;
    SYSCTL_REFUSED(&op, -EINVAL);

    /* The keys are not (all) there: none is pressed. */
    op = valid;
    op.u.debug_keys.keys = UNMAPPED_VA;
    SYSCTL_REFUSED(&op, -EFAULT);
    op.u.debug_keys.keys = NONCANON_VA - 2;
    SYSCTL_REFUSED(&op, -EFAULT);
    guest_write(&f.g0, f.arg_half + 38, "zz", 2);
    op.u.debug_keys.keys = f.arg_half + 38;
    op.u.debug_keys.nr_keys = 3;
    SYSCTL_REFUSED(&op, -EFAULT);
    CHECK_EQ(nr_keys_seen, 0);
    /* Reading from a read-only page is fine. */
    guest_write(&f.g0, f.arg_ro, "zz", 2);
    op.u.debug_keys.keys = f.arg_ro;
    op.u.debug_keys.nr_keys = 2;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(nr_keys_seen, 2);

    nr_keys_seen = 0;
    check_sysctl_refusals(&valid, sizeof(valid.u.debug_keys));
    CHECK_EQ(nr_keys_seen, 0);
    fx_finish();
}

TEST(sysctl_scheduler_op)
{
    struct xen_sysctl op, get, put;

    fx_setup();
    get = mk_sysctl(XEN_SYSCTL_scheduler_op);
    get.u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
    get.u.scheduler_op.cmd = XEN_SYSCTL_SCHEDOP_getinfo;
    put = get;
    put.u.scheduler_op.cmd = XEN_SYSCTL_SCHEDOP_putinfo;
    put.u.scheduler_op.credit.tslice_ms = 10;
    put.u.scheduler_op.credit.ratelimit_us = 500;

    op = get;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.scheduler_op.credit.tslice_ms, 30);
    CHECK_EQ(op.u.scheduler_op.credit.ratelimit_us, 1000);
    op = put;
    CHECK_EQ(sysctl_at(&f.c0, &f.g0, f.arg0, &op, true), 0);
    CHECK_EQ(sd.tslice_ms, 10);
    CHECK_EQ(sd.ratelimit_us, 500);
    op = get;
    CHECK_EQ(sysctl(&op), 0);
    CHECK_EQ(op.u.scheduler_op.credit.tslice_ms, 10);

    op = get;
    op.u.scheduler_op.cmd = 2;
    SYSCTL_REFUSED(&op, -EINVAL);
    {
        struct snap before, after;

        snap_take(&before);
        op = put;
        op.u.scheduler_op.sched_id = 0;
        CHECK_EQ(sysctl_at(&f.c0, &f.g0, f.arg0, &op, true), -EINVAL);
        op = put;
        op.u.scheduler_op.credit.tslice_ms = 0;
        CHECK_EQ(sysctl_at(&f.c0, &f.g0, f.arg0, &op, true), -EINVAL);
        op = put;
        op.u.scheduler_op.credit.ratelimit_us = 50;
        CHECK_EQ(sysctl_at(&f.c0, &f.g0, f.arg0, &op, true), -EINVAL);
        snap_take(&after);
        CHECK(snap_same(&before, &after, false));
    }

    check_sysctl_refusals(&get, sizeof(get.u.scheduler_op));
    check_sysctl_refusals(&put, sizeof(put.u.scheduler_op));
    op = get;
    guest_write(&f.g0, f.arg_ro, &op, sizeof(op));
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_sysctl, f.arg_ro, 0, 0), -EFAULT);
    fx_finish();
}

TEST(sysctl_unknown_commands)
{
    static const u32 cmds[] = { 0, 7, 0x1000, ~0u };

    fx_setup();
    for ( unsigned int i = 0; i < ARRAY_SIZE(cmds); i++ )
    {
        struct xen_sysctl op = mk_sysctl(cmds[i]);

        SYSCTL_REFUSED(&op, -ENOSYS);
        op.interface_version = 0;
        SYSCTL_REFUSED(&op, -EACCES);
    }
    fx_finish();
}

/* --- console_io and the dispatcher --- */

static long console_write(struct hypercall_ctx *c, struct guest *g,
                          const char *s, size_t len)
{
    u64 va = guest_buf(g, len + 1);

    guest_write(g, va, s, len);
    return hcall(c, __HYPERVISOR_console_io, CONSOLEIO_write, len, va);
}

TEST(console_io_write)
{
    char line[300];
    char want[400];
    struct hypercall_ctx c;
    u64 va;

    fx_setup();
    CHECK_EQ(console_write(&f.cu, &f.gu, "hello\nworld", 11), 11);
    CHECK_STR_EQ(stub_log(), "(d1) hello\n(d1) world\n");

    stub_log_clear();
    CHECK_EQ(console_write(&f.c0, &f.g0, "a\x01" "b\tc\x7f\xff" "d\r\n", 10),
             10);
    CHECK_STR_EQ(stub_log(), "(d0) ab\tcd\n");

    /* Format characters are text; blank lines stay. */
    stub_log_clear();
    CHECK_EQ(console_write(&f.cu, &f.gu, "%s%n\n\nx", 7), 7);
    CHECK_STR_EQ(stub_log(), "(d1) %s%n\n(d1) \n(d1) x\n");

    /* Long lines are split, without a blank line after the split. */
    stub_log_clear();
    memset(line, 'x', sizeof(line));
    line[256] = '\n';
    CHECK_EQ(console_write(&f.cu, &f.gu, line, 257), 257);
    CHECK_EQ(stub_log_count("(d1) "), 1);
    stub_log_clear();
    CHECK_EQ(console_write(&f.cu, &f.gu, line, 300), 300);
    snprintf(want, sizeof(want), "(d1) %.256s\n(d1) %.43s\n", line,
             line + 257);
    CHECK_STR_EQ(stub_log(), want);

    /* The most one call takes, and more. */
    stub_log_clear();
    va = guest_buf(&f.gu, 4097);
    CHECK_EQ(hcall(&f.cu, __HYPERVISOR_console_io, CONSOLEIO_write, 4096,
                   va), 4096);
    CHECK_EQ(stub_log_count("(d1) "), 0);   /* zero bytes: dropped */
    CHECK_EQ(hcall(&f.cu, __HYPERVISOR_console_io, CONSOLEIO_write, 4097,
                   va), -EINVAL);
    CHECK_EQ(hcall(&f.cu, __HYPERVISOR_console_io, CONSOLEIO_write, ~0ULL,
                   va), -EINVAL);
    CHECK_EQ(hcall(&f.cu, __HYPERVISOR_console_io, CONSOLEIO_write, 0,
                   UNMAPPED_VA), 0);

    /* Bad buffers print nothing at all. */
    guest_write(&f.g0, f.arg_half, "partial\n", 8);
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_console_io, CONSOLEIO_write, 100,
                   f.arg_half), -EFAULT);
    CHECK_EQ(hcall(&f.cu, __HYPERVISOR_console_io, CONSOLEIO_write, 10,
                   UNMAPPED_VA), -EFAULT);
    CHECK_EQ(hcall(&f.cu, __HYPERVISOR_console_io, CONSOLEIO_write, 10,
                   NONCANON_VA), -EFAULT);
    CHECK_STR_EQ(stub_log(), "");

    /* Not from user space; unknown commands. */
    c = f.cu;
    c.cpl = 3;
    CHECK_EQ(console_write(&c, &f.gu, "user\n", 5), -EPERM);
    CHECK_EQ(hcall(&f.cu, __HYPERVISOR_console_io, 2, 1, f.argu), -ENOSYS);
    CHECK_EQ(hcall(&f.cu, __HYPERVISOR_console_io, ~0ULL, 1, f.argu),
             -ENOSYS);
    CHECK_STR_EQ(stub_log(), "");

    env_xmalloc_fail_after(0);
    CHECK_EQ(console_write(&f.cu, &f.gu, "oom\n", 4), -ENOMEM);
    env_xmalloc_fail_after(-1);
    CHECK_STR_EQ(stub_log(), "");
    fx_finish();
}

TEST(console_io_read)
{
    char text[16];
    u64 buf;

    fx_setup();
    buf = f.buf0 + PAGE_SIZE - 3;
    env_console_puts("abcdef");

    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_console_io, CONSOLEIO_read, 3, buf),
             3);
    guest_read(&f.g0, buf, text, 3);
    CHECK_EQ(memcmp(text, "def", 3), 0);
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_console_io, CONSOLEIO_read, 100,
                   buf), 6);
    guest_read(&f.g0, buf, text, 6);
    CHECK_EQ(memcmp(text, "abcdef", 6), 0);
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_console_io, CONSOLEIO_read, 0,
                   UNMAPPED_VA), 0);

    /* Only the control domain reads the console. */
    CHECK_EQ(hcall(&f.cu, __HYPERVISOR_console_io, CONSOLEIO_read, 3,
                   f.argu), -EPERM);
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_console_io, CONSOLEIO_read, 3,
                   UNMAPPED_VA), -EFAULT);
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_console_io, CONSOLEIO_read, 6,
                   f.arg_ro), -EFAULT);
    CHECK_EQ(hcall(&f.c0, __HYPERVISOR_console_io, CONSOLEIO_read, 60,
                   f.arg_half + 36), -EFAULT);
    fx_finish();
}

TEST(dispatch_refuses_unknown_calls_and_the_unprivileged)
{
    static const u64 unknown[] = { 0, 17, 19, 34, 37, 63, 64, 1ULL << 40,
                                   ~0ULL };
    struct xen_domctl dop;
    struct xen_sysctl sop;
    struct snap before, after;
    struct hypercall_ctx c;

    fx_setup();
    snap_take(&before);
    for ( unsigned int i = 0; i < ARRAY_SIZE(unknown); i++ )
    {
        CHECK_EQ(hcall(&f.c0, unknown[i], f.arg0, 0, 0), -ENOSYS);
        CHECK_EQ(hcall(&f.cu, unknown[i], f.argu, 0, 0), -ENOSYS);
    }

    /* Even a perfect request is refused to the unprivileged. */
    dop = mk_domctl(XEN_DOMCTL_pausedomain, 0);
    CHECK_EQ(domctl_at(&f.cu, &f.gu, f.argu, &dop, true), -EPERM);
    sop = mk_sysctl(XEN_SYSCTL_physinfo);
    CHECK_EQ(sysctl_at(&f.cu, &f.gu, f.argu, &sop, true), -EPERM);
    /* And to the control domain's user space. */
    c = f.c0;
    c.cpl = 3;
    dop = mk_domctl(XEN_DOMCTL_pausedomain, 1);
    CHECK_EQ(domctl_at(&c, &f.g0, f.arg0, &dop, true), -EPERM);
    c.cpl = 1;
    CHECK_EQ(hcall(&c, __HYPERVISOR_console_io, CONSOLEIO_read, 3, f.buf0),
             -EPERM);
    snap_take(&after);
    CHECK(snap_same(&before, &after, true));
    fx_finish();
}

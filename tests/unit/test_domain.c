/*
 * Tests for domains and vCPUs (xen/common/domain.c): ids, creation and
 * its failure paths, reference counting, destruction, pausing, vCPU
 * bring-up, shutdown, the domain list and the idle domain.  The
 * scheduler is the recording double of hypercall/sched_double.c.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/smp.h>

#include "harness.h"
#include "stubs.h"
#include "hypercall/env.h"
#include "hypercall/sched_double.h"

#define HVM     XEN_DOMCTL_CDF_hvm
#define PRIV    XEN_DOMCTL_CDF_privileged

static struct domain *create(domid_t id, unsigned int flags,
                             unsigned int vcpus)
{
    struct domain *d = NULL;

    REQUIRE_EQ(domain_create(id, flags, vcpus, 256, &d), 0);
    REQUIRE(d != NULL);
    return d;
}

static void destroy_all(void)
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
}

static void check_ids(const domid_t *want, unsigned int n)
{
    domid_t ids[64];
    unsigned int got = env_domain_ids(ids, 64);

    CHECK_EQ(got, n);
    CHECK_EQ(domain_count(), n);
    for ( unsigned int i = 0; i < n && i < got; i++ )
        CHECK_EQ(ids[i], want[i]);
}

TEST(ids_are_the_lowest_free_from_1_and_the_list_stays_sorted)
{
    struct domain *d2;

    env_setup();
    CHECK_EQ(create(0, HVM, 1)->domain_id, 1);
    d2 = create(0, HVM, 1);
    CHECK_EQ(d2->domain_id, 2);
    CHECK_EQ(create(0, HVM, 1)->domain_id, 3);
    CHECK_EQ(create(10, HVM, 1)->domain_id, 10);
    CHECK_EQ(create(7, 0, 1)->domain_id, 7);

    REQUIRE_EQ(domain_destroy(d2), 0);
    check_ids((const domid_t[]){ 1, 3, 7, 10 }, 4);

    /* The hole is reused first, then the gaps above. */
    CHECK_EQ(create(0, HVM, 1)->domain_id, 2);
    CHECK_EQ(create(0, HVM, 1)->domain_id, 4);
    CHECK_EQ(create(DOMID_FIRST_RESERVED - 1, 0, 1)->domain_id,
             DOMID_FIRST_RESERVED - 1);
    check_ids((const domid_t[]){ 1, 2, 3, 4, 7, 10,
                                 DOMID_FIRST_RESERVED - 1 }, 7);

    destroy_all();
    CHECK_EQ(domain_count(), 0);
    env_check_clean();
}

TEST(only_the_first_privileged_domain_gets_id_0)
{
    env_setup();

    /* An ordinary first domain does not take dom0's id. */
    CHECK_EQ(create(0, HVM, 1)->domain_id, 1);
    CHECK_EQ(create(0, PRIV | HVM, 1)->domain_id, 2);
    destroy_all();

    /* The boot code building dom0 first. */
    CHECK_EQ(create(0, PRIV | HVM, 2)->domain_id, 0);
    CHECK_EQ(create(0, PRIV | HVM, 1)->domain_id, 1);
    CHECK_EQ(create(0, HVM, 1)->domain_id, 2);
    check_ids((const domid_t[]){ 0, 1, 2 }, 3);
    destroy_all();
    env_check_clean();
}

TEST(create_fills_in_the_domain_and_its_vcpus)
{
    struct domain *d = NULL;

    env_setup();
    REQUIRE_EQ(domain_create(5, PRIV | HVM, 6, 1000, &d), 0);
    REQUIRE(d != NULL);

    CHECK_EQ(d->domain_id, 5);
    CHECK_STR_EQ(d->name, "d5");
    CHECK(d->is_privileged);
    CHECK(d->is_hvm);
    CHECK_EQ(d->state, DOMSTATE_active);
    CHECK_EQ(d->refcnt, 1);
    CHECK_EQ(d->pause_count, 0);
    CHECK(!d->is_shutting_down);
    CHECK_EQ(d->max_pages, 1000);
    CHECK_EQ(d->tot_pages, 0);
    CHECK(list_empty(&d->page_list));
    CHECK_EQ(d->max_vcpus, 6);
    CHECK(d->sched_priv != NULL);

    CHECK_EQ(sd.calls[SD_init_domain], 1);
    CHECK_EQ(sd.calls[SD_init_vcpu], 6);
    for ( unsigned int i = 0; i < 6; i++ )
    {
        struct vcpu *v = d->vcpu[i];

        REQUIRE(v != NULL);
        CHECK_EQ(v->vcpu_id, i);
        CHECK_PTR_EQ(v->domain, d);
        /* Down until vcpu_up(), so not runnable. */
        CHECK_EQ(v->pause_flags, VPF_down);
        CHECK(!vcpu_runnable(v));
        CHECK(!v->is_running);
        CHECK_EQ(v->runstate.state, RUNSTATE_offline);
        CHECK(sd_vcpu_in_sched(v));
        /* Round robin over the online pCPUs, offset by the id. */
        CHECK_EQ(v->processor, env_online_cpu(5 + i));
        CHECK_EQ(sd.log[1 + i].op, SD_init_vcpu);
        CHECK_EQ(sd.log[1 + i].cpu, env_online_cpu(5 + i));
        CHECK(cpumask_test_cpu(0, &v->cpu_hard_affinity));
        CHECK(cpumask_test_cpu(NR_CPUS - 1, &v->cpu_hard_affinity));
    }
    /* The scheduler learnt of the domain before its vCPUs. */
    CHECK_EQ(sd.log[0].op, SD_init_domain);

    CHECK_EQ(domain_create(5, 0, 1, 1, NULL), -EEXIST);

    REQUIRE_EQ(domain_destroy(d), 0);
    env_check_clean();
}

TEST(create_rejects_bad_arguments_and_changes_nothing)
{
    struct domain *d = NULL;
    static const domid_t bad_ids[] = {
        DOMID_FIRST_RESERVED, DOMID_SELF, DOMID_IDLE, 0x7ff5, 0x8000, 0xffff,
    };

    env_setup();
    create(3, 0, 1);
    sd_reset();

    CHECK_EQ(domain_create(0, 0x4, 1, 1, &d), -EINVAL);
    CHECK_EQ(domain_create(0, ~0u, 1, 1, &d), -EINVAL);
    CHECK_EQ(domain_create(0, 0, 0, 1, &d), -EINVAL);
    CHECK_EQ(domain_create(0, 0, XEN_MAX_VCPUS + 1, 1, &d), -EINVAL);
    CHECK_EQ(domain_create(0, 0, ~0u, 1, &d), -EINVAL);
    CHECK_EQ(domain_create(0, 0, 1, 0, &d), -EINVAL);
    CHECK_EQ(domain_create(0, 0, 1, (1ULL << 40) + 1, &d), -EINVAL);
    CHECK_EQ(domain_create(0, 0, 1, ~0ULL, &d), -EINVAL);
    for ( unsigned int i = 0; i < ARRAY_SIZE(bad_ids); i++ )
        CHECK_EQ(domain_create(bad_ids[i], 0, 1, 1, &d), -EINVAL);
    CHECK_EQ(domain_create(3, 0, 1, 1, &d), -EEXIST);
    CHECK(d == NULL);

    /* Nothing reached the scheduler, nothing was allocated. */
    for ( unsigned int op = 0; op <= SD_set_affinity; op++ )
        CHECK_EQ(sd.calls[op], 0);
    check_ids((const domid_t[]){ 3 }, 1);

    /* The limits themselves are fine. */
    CHECK_EQ(domain_create(0, PRIV | HVM, XEN_MAX_VCPUS, 1ULL << 40, &d), 0);
    CHECK_EQ(d->max_vcpus, XEN_MAX_VCPUS);

    destroy_all();
    env_check_clean();
}

TEST(create_frees_everything_when_an_allocation_fails)
{
    struct domain *d = NULL;
    long n;
    int rc;

    env_setup();
    create(1, 0, 1);

    /* Fail the n-th allocation for every n until creation succeeds. */
    for ( n = 0; ; n++ )
    {
        long before = env_xmalloc_outstanding();

        sd_reset();
        env_xmalloc_fail_after(n);
        rc = domain_create(0, HVM, 3, 16, &d);
        env_xmalloc_fail_after(-1);
        if ( rc == 0 )
            break;
        CHECK_EQ(rc, -ENOMEM);
        CHECK_EQ(env_xmalloc_outstanding(), before);
        /* Only domain 1 is in the scheduler. */
        CHECK_EQ(sd.live_domains, 1);
        CHECK_EQ(sd.live_vcpus, 1);
        check_ids((const domid_t[]){ 1 }, 1);
        REQUIRE(n < 100);
    }
    /* domain, vCPU array, three vCPUs. */
    CHECK_EQ(n, 5);
    CHECK_EQ(d->domain_id, 2);

    destroy_all();
    env_check_clean();
}

TEST(create_undoes_the_scheduler_when_it_fails)
{
    struct domain *d = NULL;

    env_setup();

    sd.fail_init_domain = -ENOMEM;
    CHECK_EQ(domain_create(0, HVM, 2, 16, &d), -ENOMEM);
    CHECK_EQ(sd.calls[SD_init_vcpu], 0);
    CHECK_EQ(sd.calls[SD_destroy_domain], 0);
    CHECK_EQ(domain_count(), 0);
    env_check_clean();

    /* The third vCPU fails: the first two and the domain are undone. */
    sd_reset();
    sd.fail_init_vcpu_at = 3;
    CHECK_EQ(domain_create(0, HVM, 4, 16, &d), -ENOMEM);
    CHECK_EQ(sd.calls[SD_init_vcpu], 3);
    CHECK_EQ(sd.calls[SD_destroy_vcpu], 2);
    CHECK_EQ(sd.calls[SD_destroy_domain], 1);
    CHECK_EQ(sd.log[sd.nr_log - 1].op, SD_destroy_domain);
    CHECK_EQ(domain_count(), 0);
    CHECK(d == NULL);
    env_check_clean();
}

TEST(references_keep_a_destroyed_domain_until_the_last_put)
{
    struct domain *d, *r;
    long live;

    env_setup();
    d = create(4, 0, 2);

    r = get_domain_by_id(4);
    CHECK_PTR_EQ(r, d);
    CHECK_EQ(d->refcnt, 2);
    CHECK(get_domain(d));
    CHECK_EQ(d->refcnt, 3);
    put_domain(d);
    CHECK_EQ(d->refcnt, 2);

    CHECK(get_domain_by_id(5) == NULL);
    CHECK(get_domain_by_id(DOMID_IDLE) == NULL);
    CHECK(get_domain_by_id(DOMID_SELF) == NULL);

    live = env_xmalloc_outstanding();
    REQUIRE_EQ(domain_destroy(d), 0);
    /* Off the list, torn down, but the struct is still ours. */
    CHECK_EQ(d->state, DOMSTATE_dead);
    CHECK_EQ(d->refcnt, 1);
    CHECK_EQ(domain_count(), 0);
    CHECK(get_domain_by_id(4) == NULL);
    CHECK(!get_domain(d));
    CHECK_EQ(env_xmalloc_outstanding(), live);
    CHECK_EQ(sd.live_vcpus, 0);
    /* A second destroy is refused. */
    CHECK_EQ(domain_destroy(d), -EINVAL);

    /* The id is free again at once. */
    CHECK_EQ(create(4, 0, 1)->domain_id, 4);

    put_domain(d);
    destroy_all();
    env_check_clean();
}

TEST(destroy_pauses_waits_and_removes_everything)
{
    struct domain *d;

    env_setup();
    d = create(2, HVM, 3);
    REQUIRE_EQ(p2m_populate(d, 0, 64), 0);
    REQUIRE_EQ(p2m_populate(d, 0x100000, 3), 0);
    CHECK_EQ(pages_in_state(PGS_domain), 67);
    CHECK_EQ(vcpu_up(d->vcpu[0]), 0);
    CHECK_EQ(vcpu_up(d->vcpu[2]), 0);
    /* vCPU 2 is on a pCPU right now: destroy must wait for it. */
    d->vcpu[2]->is_running = true;
    sd_reset();

    REQUIRE_EQ(domain_destroy(d), 0);

    CHECK_EQ(sd.waited, 1);
    for ( unsigned int i = 0; i < 3; i++ )
    {
        CHECK_EQ(sd_count(SD_sleep_sync, 2, i), 1);
        CHECK_EQ(sd_count(SD_destroy_vcpu, 2, i), 1);
    }
    CHECK_EQ(sd_count(SD_destroy_domain, 2, ~0u), 1);
    /* Every sleep came before the first removal, the domain last. */
    CHECK_EQ(sd.log[0].op, SD_sleep_sync);
    CHECK_EQ(sd.log[2].op, SD_sleep_sync);
    CHECK_EQ(sd.log[3].op, SD_destroy_vcpu);
    CHECK_EQ(sd.log[6].op, SD_destroy_domain);
    CHECK_EQ(sd.nr_log, 7);
    env_check_clean();
}

TEST(destroy_refuses_the_idle_domain)
{
    env_setup();
    REQUIRE(idle_domain != NULL);
    CHECK_EQ(domain_destroy(idle_domain), -EINVAL);
    CHECK_EQ(idle_domain->state, DOMSTATE_active);
    env_check_clean();
}

TEST(controller_pauses_nest_and_the_last_unpause_wakes)
{
    struct domain *d;

    env_setup();
    d = create(1, 0, 2);
    d->vcpu[1]->is_running = true;

    CHECK_EQ(domain_unpause_by_systemcontroller(d), -EINVAL);
    CHECK_EQ(d->pause_count, 0);

    CHECK_EQ(domain_pause_by_systemcontroller(d), 0);
    CHECK_EQ(d->pause_count, 1);
    /* Paused means off every pCPU: the pause waited. */
    CHECK(!d->vcpu[1]->is_running);
    CHECK_EQ(sd.waited, 1);
    CHECK_EQ(sd.calls[SD_sleep_sync], 2);

    CHECK_EQ(domain_pause_by_systemcontroller(d), 0);
    CHECK_EQ(d->pause_count, 2);

    CHECK_EQ(domain_unpause_by_systemcontroller(d), 0);
    CHECK_EQ(d->pause_count, 1);
    CHECK_EQ(sd.calls[SD_wake], 0);

    CHECK_EQ(domain_unpause_by_systemcontroller(d), 0);
    CHECK_EQ(d->pause_count, 0);
    CHECK_EQ(sd_count(SD_wake, 1, 0), 1);
    CHECK_EQ(sd_count(SD_wake, 1, 1), 1);

    CHECK_EQ(domain_unpause_by_systemcontroller(d), -EINVAL);
    CHECK_EQ(d->pause_count, 0);
    CHECK_EQ(sd.calls[SD_wake], 2);

    destroy_all();
    env_check_clean();
}

TEST(controller_pauses_are_capped_and_internal_pauses_are_separate)
{
    struct domain *d;
    unsigned int i;

    env_setup();
    d = create(1, 0, 1);

    for ( i = 0; i < 255; i++ )
        REQUIRE_EQ(domain_pause_by_systemcontroller(d), 0);
    CHECK_EQ(domain_pause_by_systemcontroller(d), -EOVERFLOW);
    CHECK_EQ(d->pause_count, 255);

    /* An internal pause does not count as the toolstack's. */
    domain_pause(d);
    CHECK_EQ(d->pause_count, 256);
    for ( i = 0; i < 255; i++ )
        REQUIRE_EQ(domain_unpause_by_systemcontroller(d), 0);
    CHECK_EQ(domain_unpause_by_systemcontroller(d), -EINVAL);
    CHECK_EQ(d->pause_count, 1);
    CHECK_EQ(sd.calls[SD_wake], 0);
    domain_unpause(d);
    CHECK_EQ(sd.calls[SD_wake], 1);

    destroy_all();
    env_check_clean();
}

TEST(vcpu_pauses_nest_per_vcpu)
{
    struct domain *d;
    struct vcpu *v;

    env_setup();
    d = create(1, 0, 2);
    v = d->vcpu[1];
    CHECK_EQ(vcpu_up(v), 0);
    CHECK(vcpu_runnable(v));
    v->is_running = true;
    sd_reset();

    vcpu_pause(v);
    CHECK(!vcpu_runnable(v));
    CHECK(!v->is_running);
    CHECK_EQ(sd.waited, 1);
    vcpu_pause(v);
    CHECK_EQ(v->pause_count, 2);
    CHECK_EQ(d->vcpu[0]->pause_count, 0);

    vcpu_unpause(v);
    CHECK_EQ(sd.calls[SD_wake], 0);
    CHECK(!vcpu_runnable(v));
    vcpu_unpause(v);
    CHECK_EQ(sd.calls[SD_wake], 1);
    CHECK_EQ(sd_count(SD_wake, 1, 1), 1);
    CHECK(vcpu_runnable(v));

    /* A domain pause overrides: runnable needs both at zero. */
    domain_pause(d);
    CHECK(!vcpu_runnable(v));
    domain_unpause(d);
    CHECK(vcpu_runnable(v));

    /* Unpausing what is not paused is a hypervisor bug. */
    CHECK_PANICS(vcpu_unpause(v));
    CHECK_EQ(v->pause_count, -1);
    v->pause_count = 0;
    CHECK_PANICS(domain_unpause(d));
    d->pause_count = 0;

    destroy_all();
    env_check_clean();
}

TEST(vcpu_up_brings_a_vcpu_up_once)
{
    struct domain *d;

    env_setup();
    d = create(1, 0, 2);
    sd_reset();

    CHECK_EQ(vcpu_up(d->vcpu[1]), 0);
    CHECK_EQ(d->vcpu[1]->pause_flags, 0);
    CHECK_EQ(d->vcpu[0]->pause_flags, VPF_down);
    CHECK_EQ(sd_count(SD_wake, 1, 1), 1);
    CHECK_EQ(vcpu_up(d->vcpu[1]), 0);
    CHECK_EQ(sd.calls[SD_wake], 1);

    CHECK_EQ(vcpu_up(idle_domain->vcpu[0]), -EINVAL);

    destroy_all();
    env_check_clean();
}

TEST(shutdown_stops_every_vcpu_and_keeps_the_first_reason)
{
    struct domain *d;

    env_setup();
    d = create(1, 0, 3);
    CHECK_EQ(vcpu_up(d->vcpu[0]), 0);
    CHECK(vcpu_runnable(d->vcpu[0]));
    sd_reset();

    domain_shutdown(d, 3);
    CHECK(d->is_shutting_down);
    CHECK_EQ(d->shutdown_code, 3);
    CHECK(!vcpu_runnable(d->vcpu[0]));
    for ( unsigned int i = 0; i < 3; i++ )
        CHECK_EQ(sd_count(SD_sleep_nosync, 1, i), 1);
    /* No waiting. */
    CHECK_EQ(sd.calls[SD_sleep_sync], 0);

    domain_shutdown(d, 5);
    CHECK_EQ(d->shutdown_code, 3);
    CHECK_EQ(sd.calls[SD_sleep_nosync], 3);

    /* The idle domain never shuts down. */
    domain_shutdown(idle_domain, 1);
    CHECK(!idle_domain->is_shutting_down);

    destroy_all();
    env_check_clean();
}

TEST(dom0_shutdown_hands_serial_input_back_once)
{
    struct domain *d0, *d1;

    env_setup();
    env_dom0_stopped_calls = 0;
    d0 = create(0, PRIV | HVM, 1);
    d1 = create(0, HVM, 1);
    REQUIRE_EQ(d0->domain_id, 0);

    domain_shutdown(d1, 0);
    CHECK_EQ(env_dom0_stopped_calls, 0);
    domain_shutdown(d0, 0);
    CHECK_EQ(env_dom0_stopped_calls, 1);
    domain_shutdown(d0, 1);
    CHECK_EQ(env_dom0_stopped_calls, 1);

    destroy_all();
    env_check_clean();
}

TEST(the_domain_list_walks_in_id_order)
{
    struct domain *d;
    unsigned int n = 0;
    domid_t last = 0;

    env_setup();
    CHECK(domain_first() == NULL);
    create(9, 0, 1);
    create(3, 0, 1);
    create(0, 0, 1);
    create(6, 0, 1);

    domlist_read_lock();
    for ( d = domain_first(); d; d = domain_next(d) )
    {
        CHECK(n == 0 || d->domain_id > last);
        last = d->domain_id;
        n++;
    }
    domlist_read_unlock();
    CHECK_EQ(n, 4);
    CHECK_EQ(domain_count(), 4);
    check_ids((const domid_t[]){ 1, 3, 6, 9 }, 4);

    destroy_all();
    env_check_clean();
}

TEST(idle_domain_has_one_runnable_vcpu_per_pcpu_outside_the_list)
{
    struct domain *d = idle_domain;

    env_setup();
    REQUIRE(d != NULL);
    CHECK_EQ(d->domain_id, DOMID_IDLE);
    CHECK(is_idle_domain(d));
    CHECK_EQ(d->max_vcpus, NR_CPUS);
    CHECK(d->sched_priv == NULL);
    CHECK_EQ(domain_count(), 0);
    CHECK(get_domain_by_id(DOMID_IDLE) == NULL);

    for ( unsigned int cpu = 0; cpu < NR_CPUS; cpu++ )
    {
        struct vcpu *v = d->vcpu[cpu];
        bool online = cpumask_test_cpu(cpu, &cpu_online_map);

        CHECK_EQ(v != NULL, online);
        if ( !v )
            continue;
        CHECK_EQ(v->vcpu_id, cpu);
        CHECK_EQ(v->processor, cpu);
        CHECK(is_idle_vcpu(v));
        CHECK(vcpu_runnable(v));
        CHECK(v->sched_priv == NULL);
        CHECK_EQ(cpumask_weight(&v->cpu_hard_affinity), 1);
        CHECK(cpumask_test_cpu(cpu, &v->cpu_hard_affinity));
    }

    CHECK_EQ(idle_domain_init(), -EEXIST);
    CHECK_EQ(idle_vcpu_init(0), -EEXIST);
    CHECK_EQ(idle_vcpu_init(NR_CPUS), -EINVAL);
    CHECK_EQ(idle_vcpu_init(~0u), -EINVAL);
    CHECK_EQ(sd.calls[SD_init_vcpu], 0);

    /* A pCPU coming up later gets its vCPU. */
    REQUIRE(d->vcpu[3] == NULL);
    env_xmalloc_fail_after(0);
    CHECK_EQ(idle_vcpu_init(3), -ENOMEM);
    env_xmalloc_fail_after(-1);
    CHECK(d->vcpu[3] == NULL);
    CHECK_EQ(idle_vcpu_init(3), 0);
    CHECK_EQ(d->vcpu[3]->processor, 3);
    /* (It stays: the idle domain lives forever.) */
}

TEST(ids_run_out_cleanly)
{
    struct domain *d = NULL;
    unsigned int id;

    env_setup();
    /* Descending, so every insertion is at the head of the list. */
    for ( id = DOMID_FIRST_RESERVED - 1; id >= 1; id-- )
        REQUIRE_EQ(domain_create(id, 0, 1, 1, NULL), 0);
    CHECK_EQ(domain_count(), DOMID_FIRST_RESERVED - 1);

    sd_reset();
    CHECK_EQ(domain_create(0, 0, 1, 1, &d), -ENOSPC);
    CHECK(d == NULL);
    CHECK_EQ(sd.calls[SD_init_domain], 0);

    /* Dom0's id is not handed out automatically. */
    CHECK_EQ(domain_create(0, PRIV, 1, 1, &d), -ENOSPC);
    CHECK_EQ(domain_create(0x4000, 0, 1, 1, &d), -EEXIST);

    destroy_all();
    env_check_clean();
}

TEST(arch_state_lives_exactly_as_long_as_the_domain)
{
    struct domain *d;

    env_setup();
    env_arch_domains = 0;
    d = create(0, HVM, 2);
    CHECK_EQ(env_arch_domains, 1);
    REQUIRE_EQ(domain_destroy(d), 0);
    CHECK_EQ(env_arch_domains, 0);

    /* A failing arch hook leaves no domain and no arch state behind. */
    env_arch_fail_next = true;
    CHECK_EQ(domain_create(0, HVM, 2, 256, &d), -ENOMEM);
    CHECK_EQ(domain_count(), 0);
    CHECK_EQ(env_arch_domains, 0);

    /* A scheduler failure after the arch hook undoes the arch state. */
    sd.fail_init_domain = -ENOMEM;
    CHECK_EQ(domain_create(0, HVM, 2, 256, &d), -ENOMEM);
    sd.fail_init_domain = 0;
    CHECK_EQ(env_arch_domains, 0);
    CHECK_EQ(domain_count(), 0);
    env_check_clean();
}

/*
 * Unit tests for posted-interrupt delivery (xen/arch/x86/hvm/pi.c) and
 * its contract with the vlapic: ON ownership, SN, NV/NDST, the move of
 * PIR into IRR/TMR, posts to blocked vCPUs (a notification, never a
 * vcpu_wake: the wakeup lists are test_pi_blocked's), and pthread stress
 * tests of posting against syncing and of posting against the HLT path.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xen/lib.h>
#include <xen/mm.h>
#include <asm/apic.h>
#include <asm/irq_vectors.h>
#include <asm/processor.h>

#include "harness.h"
#include "stubs.h"
#include "env.h"

#define PI_ON   (1ULL << PI_ON_BIT)
#define PI_SN   (1ULL << PI_SN_BIT)

static bool pir_has(unsigned int i, unsigned int vec)
{
    return __atomic_load_n(&PI(i)->pir[vec / 32], __ATOMIC_SEQ_CST) &
           (1u << (vec % 32));
}

static bool irr_has(unsigned int i, unsigned int vec)
{
    return *(u32 *)(VL(i)->regs + APIC_REG_IRR + (vec / 32) * 0x10) &
           (1u << (vec % 32));
}

static bool tmr_has(unsigned int i, unsigned int vec)
{
    return *(u32 *)(VL(i)->regs + APIC_REG_TMR + (vec / 32) * 0x10) &
           (1u << (vec % 32));
}

static u64 ctl(unsigned int i)
{
    return __atomic_load_n(&PI(i)->control, __ATOMIC_SEQ_CST);
}

static void sw_enable(unsigned int i)
{
    REQUIRE_EQ(vlapic_reg_write(VL(i), APIC_REG_SVR, 0x1ff), VLAPIC_OK);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- the descriptor --- */

TEST(desc_alloc_free)
{
    struct pi_desc *pi;
    unsigned long before = stub_xenheap_pages_outstanding();

    pi = pi_desc_alloc();
    REQUIRE(pi);
    CHECK_EQ((unsigned long)pi & (PAGE_SIZE - 1), 0);
    for ( unsigned int i = 0; i < 8; i++ )
        CHECK_EQ(pi->pir[i], 0);
    CHECK_EQ(pi->on, 0);
    CHECK_EQ(pi->sn, 1);                    /* not running yet */
    CHECK_EQ(pi->nv, 0);
    CHECK_EQ(pi->ndst, 0);
    for ( unsigned int i = 0; i < 6; i++ )
        CHECK_EQ(pi->rsvd[i], 0);
    CHECK_EQ(stub_xenheap_pages_outstanding(), before + 1);
    pi_desc_free(pi);
    CHECK_EQ(stub_xenheap_pages_outstanding(), before);

    stub_xenheap_fail_after(0);
    CHECK(pi_desc_alloc() == NULL);
}

TEST(control_word_layout)
{
    struct pi_desc pi;

    memset(&pi, 0, sizeof(pi));
    pi.on = 1;
    CHECK_EQ(pi.control, PI_ON);
    pi.on = 0;
    pi.sn = 1;
    CHECK_EQ(pi.control, PI_SN);
    pi.sn = 0;
    pi.nv = 0xab;
    pi.ndst = 0x12345678;
    CHECK_EQ(pi.control, (0x12345678ULL << 32) | (0xabULL << 16));
    CHECK_EQ(sizeof(pi), 64);
}

/* --- running / not running --- */

TEST(set_running_and_not_running)
{
    env_setup(4);
    /* env_setup set v2 running on pCPU 2: posted vector, its APIC ID. */
    CHECK_EQ(PI(2)->nv, POSTED_INTR_VECTOR);
    CHECK_EQ(PI(2)->ndst, ENV_APIC_ID(2));
    CHECK_EQ(PI(2)->sn, 0);
    pi_set_running(VC(2), 3);
    CHECK_EQ(PI(2)->ndst, ENV_APIC_ID(3));
    pi_set_not_running(VC(2));
    CHECK_EQ(PI(2)->sn, 1);
    CHECK_EQ(PI(2)->nv, POSTED_INTR_VECTOR);
    CHECK_EQ(PI(2)->ndst, ENV_APIC_ID(3));

    /* ON survives both switches. */
    CHECK(pi_post(VC(2), 0x40));
    CHECK(ctl(2) & PI_ON);
    pi_set_running(VC(2), 1);
    CHECK(ctl(2) & PI_ON);
    CHECK_EQ(PI(2)->sn, 0);
    pi_set_not_running(VC(2));
    CHECK(ctl(2) & PI_ON);
    CHECK(pir_has(2, 0x40));

    /* xAPIC host: NDST holds the APIC ID in bits 15:8. */
    x2apic_enabled = false;
    pi_set_running(VC(1), 2);
    CHECK_EQ(PI(1)->ndst, ENV_APIC_ID(2) << 8);
    rec.nr_notify = 0;
    CHECK(pi_post(VC(1), 0x41));
    CHECK_EQ(rec.nr_notify, 1);
    CHECK_EQ(rec.notify_apic_id, ENV_APIC_ID(2));
    CHECK_EQ(rec.notify_vector, POSTED_INTR_VECTOR);
    env_teardown();
}

/* --- posting --- */

TEST(post_on_ownership)
{
    static const u8 vecs[] = { 0x40, 0x41, 0x80, 0x40, 0xff, 0x20, 0x9c };

    env_setup(2);
    for ( unsigned int k = 0; k < ARRAY_SIZE(vecs); k++ )
        CHECK_EQ(pi_post(VC(1), vecs[k]), k == 0);
    /* Of N posts before a sync only the first notified. */
    CHECK_EQ(rec.nr_notify, 1);
    CHECK_EQ(rec.notify_apic_id, ENV_APIC_ID(1));
    CHECK_EQ(rec.notify_vector, POSTED_INTR_VECTOR);
    CHECK(ctl(1) & PI_ON);
    for ( unsigned int k = 0; k < ARRAY_SIZE(vecs); k++ )
        CHECK(pir_has(1, vecs[k]));
    CHECK(pi_pending(VC(1)));
    CHECK(!pi_pending(VC(0)));

    /* After a sync the next post owns ON again. */
    CHECK(pi_sync_pir_to_irr(VC(1)));
    CHECK(!(ctl(1) & PI_ON));
    CHECK(!pi_pending(VC(1)));
    CHECK(pi_post(VC(1), 0x50));
    CHECK_EQ(rec.nr_notify, 2);
    CHECK(!pi_post(VC(1), 0x51));
    CHECK_EQ(rec.nr_notify, 2);
    env_teardown();
}

TEST(post_sn_suppresses_notification)
{
    env_setup(2);
    pi_set_not_running(VC(1));
    /* The post still owns ON; it just does not notify.  PIR is kept. */
    CHECK(pi_post(VC(1), 0x60));
    CHECK(!pi_post(VC(1), 0x61));
    CHECK_EQ(rec.nr_notify, 0);
    CHECK(pir_has(1, 0x60) && pir_has(1, 0x61));
    CHECK(pi_pending(VC(1)));
    /* The next entry: running, then sync. */
    pi_set_running(VC(1), 1);
    CHECK(pi_sync_pir_to_irr(VC(1)));
    CHECK(irr_has(1, 0x60) && irr_has(1, 0x61));
    CHECK_EQ(rec.nr_notify, 0);
    env_teardown();
}

/* Every post is counted once, by what it did with ON, SN and NV. */
TEST(post_counters)
{
    struct pi_stats *st;
    u64 t0;

    env_setup(3);
    st = pi_desc_stats(PI(1));
    CHECK_EQ(st->posts, 0);
    CHECK_EQ(st->pending_since, 0);
    t0 = rdtsc();
    pi_post(VC(1), 0x40);                   /* owns ON, notifies */
    pi_post(VC(1), 0x41);                   /* coalesced */
    pi_post(VC(1), 0x40);                   /* coalesced */
    CHECK_EQ(st->posts, 3);
    CHECK_EQ(st->coalesced, 2);
    CHECK_EQ(st->notifications, 1);
    CHECK_EQ(st->wakeup_notifications, 0);
    CHECK_EQ(st->suppressed, 0);
    /* The first post started the clock; later ones leave it alone. */
    CHECK(st->pending_since >= t0 && st->pending_since <= rdtsc());
    __atomic_store_n(&st->pending_since, 1, __ATOMIC_RELAXED);
    pi_sync_pir_to_irr(VC(1));
    pi_post(VC(1), 0x42);
    CHECK_EQ(st->pending_since, 1);
    CHECK_EQ(st->notifications, 2);

    /* SN: owned, suppressed. */
    pi_sync_pir_to_irr(VC(1));
    pi_set_not_running(VC(1));
    pi_post(VC(1), 0x43);
    CHECK_EQ(st->suppressed, 1);
    CHECK_EQ(st->notifications, 2);

    /* A wakeup vector in NV: counted as a wakeup notification. */
    pi_sync_pir_to_irr(VC(1));
    __atomic_store_n(&PI(1)->control,
                     ((u64)PI_WAKEUP_VECTOR_FIRST << PI_NV_SHIFT) |
                     ((u64)pi_ndst_encode(ENV_APIC_ID(1)) << PI_NDST_SHIFT),
                     __ATOMIC_SEQ_CST);
    pi_post(VC(1), 0x44);
    CHECK_EQ(st->wakeup_notifications, 1);
    CHECK_EQ(rec.notify_vector, PI_WAKEUP_VECTOR_FIRST);
    CHECK_EQ(st->posts, 6);
    CHECK_EQ(st->posts, st->coalesced + st->notifications +
                        st->wakeup_notifications + st->suppressed);
    /* Another vCPU's counters are its own. */
    CHECK_EQ(pi_desc_stats(PI(2))->posts, 0);
    env_teardown();
}

TEST(sync_moves_exactly_once)
{
    u32 irr[8];

    env_setup(1);
    CHECK(!pi_sync_pir_to_irr(VC(0)));      /* nothing there */
    for ( unsigned int v = 16; v < 256; v += 7 )
        pi_post(VC(0), v);
    CHECK(pi_sync_pir_to_irr(VC(0)));
    for ( unsigned int v = 16; v < 256; v++ )
    {
        CHECK_EQ(irr_has(0, v), (v - 16) % 7 == 0);
        CHECK(!pir_has(0, v));
        CHECK(!tmr_has(0, v));
    }
    CHECK(!(ctl(0) & PI_ON));
    for ( unsigned int w = 0; w < 8; w++ )
        irr[w] = *(u32 *)(VL(0)->regs + APIC_REG_IRR + w * 0x10);
    /* A second sync moves nothing and changes nothing. */
    CHECK(!pi_sync_pir_to_irr(VC(0)));
    for ( unsigned int w = 0; w < 8; w++ )
        CHECK_EQ(*(u32 *)(VL(0)->regs + APIC_REG_IRR + w * 0x10), irr[w]);
    /* Bits already in IRR are kept when more arrive. */
    pi_post(VC(0), 0x21);
    CHECK(pi_sync_pir_to_irr(VC(0)));
    CHECK(irr_has(0, 0x21) && irr_has(0, 0x10) && irr_has(0, 0xf7));
    env_teardown();
}

TEST(tmr_set_at_acceptance)
{
    env_setup(1);
    /* Before any sync: hardware posting may deliver without one. */
    vlapic_set_irq(VL(0), 0x91, true);
    CHECK(tmr_has(0, 0x91));
    vlapic_set_irq(VL(0), 0x92, false);
    CHECK(!tmr_has(0, 0x92));
    CHECK(pi_sync_pir_to_irr(VC(0)));
    CHECK(irr_has(0, 0x91) && tmr_has(0, 0x91));
    CHECK(irr_has(0, 0x92) && !tmr_has(0, 0x92));
    /* Edge acceptance of the same vector clears TMR; level sets it. */
    vlapic_set_irq(VL(0), 0x91, false);
    vlapic_set_irq(VL(0), 0x92, true);
    CHECK(!tmr_has(0, 0x91));
    CHECK(tmr_has(0, 0x92));
    pi_sync_pir_to_irr(VC(0));
    CHECK(!tmr_has(0, 0x91));
    CHECK(tmr_has(0, 0x92));
    env_teardown();
}

/*
 * INIT as hvm.c applies it (pi_clear, then vlapic_reset): what was posted
 * before it, in PIR or already in IRR, level (TMR) or edge, is gone, and
 * a post after it is delivered as usual.
 */
TEST(init_clears_posted_and_accepted)
{
    env_setup(1);
    vlapic_set_irq(VL(0), 0x61, true);
    CHECK(pi_sync_pir_to_irr(VC(0)));
    vlapic_set_irq(VL(0), 0x62, false);
    vlapic_set_irq(VL(0), 0x63, true);
    CHECK(ctl(0) & PI_ON);
    pi_clear(VC(0));
    vlapic_reset(VL(0));
    CHECK(!(ctl(0) & PI_ON));
    for ( unsigned int v = 16; v < 256; v++ )
    {
        CHECK(!pir_has(0, v));
        CHECK(!irr_has(0, v));
        CHECK(!tmr_has(0, v));
    }
    CHECK(!pi_sync_pir_to_irr(VC(0)));
    /* After the INIT: accepted and moved as before it. */
    CHECK(pi_post(VC(0), 0x64));
    CHECK(pi_sync_pir_to_irr(VC(0)));
    CHECK(irr_has(0, 0x64) && !irr_has(0, 0x61) && !irr_has(0, 0x62));
    env_teardown();
}

/*
 * A level vector that the CPU's posted-interrupt processing took out of
 * PIR (no sync saw it) leaves nothing behind that makes a later edge of
 * the same vector level-triggered.
 */
TEST(hardware_posted_level_leaves_no_stale_level)
{
    struct pi_desc *pi;

    env_setup(1);
    pi = vcpu_pi_desc(VC(0));
    vlapic_set_irq(VL(0), 0xa0, true);
    CHECK(pir_has(0, 0xa0));
    CHECK(tmr_has(0, 0xa0));
    /* The CPU moves PIR to the virtual IRR and clears ON itself. */
    __atomic_exchange_n(&pi->pir[0xa0 / 32], 0, __ATOMIC_SEQ_CST);
    __atomic_fetch_and(&pi->control, ~PI_ON, __ATOMIC_SEQ_CST);
    CHECK(tmr_has(0, 0xa0));
    vlapic_set_irq(VL(0), 0xa0, false);
    CHECK(pi_sync_pir_to_irr(VC(0)));
    CHECK(irr_has(0, 0xa0));
    CHECK(!tmr_has(0, 0xa0));
    env_teardown();
}

/* --- blocked vCPUs --- */

/*
 * A post never wakes a blocked vCPU itself: it only notifies NV at NDST
 * (a blocked vCPU's NV is its wakeup list's vector, whose handler wakes
 * it), and it leaves pause_flags alone.
 */
TEST(post_never_wakes_blocked)
{
    env_setup(3);
    __atomic_fetch_or(&VC(2)->pause_flags, VPF_blocked | VPF_down,
                      __ATOMIC_SEQ_CST);
    for ( unsigned int k = 0; k < 5; k++ )
        pi_post(VC(2), 0x40 + k);
    CHECK_EQ(rec.wake[2], 0);
    CHECK_EQ(rec.nr_notify, 1);             /* the first post's, to NV */
    CHECK_EQ(rec.notify_vector, POSTED_INTR_VECTOR);
    CHECK_EQ(rec.notify_apic_id, ENV_APIC_ID(2));
    CHECK_EQ(VC(2)->pause_flags, VPF_blocked | VPF_down);
    /* Not blocked: no wake either. */
    pi_sync_pir_to_irr(VC(2));
    pi_post(VC(1), 0x40);
    pi_post(VC(2), 0x40);
    CHECK_EQ(rec.wake[1], 0);
    CHECK_EQ(rec.wake[2], 0);
    /* Blocked again with SN set: no notification, no wake. */
    pi_sync_pir_to_irr(VC(2));
    pi_set_not_running(VC(2));
    __atomic_fetch_or(&VC(2)->pause_flags, VPF_blocked, __ATOMIC_SEQ_CST);
    rec.nr_notify = 0;
    CHECK(pi_post(VC(2), 0x50));
    CHECK_EQ(rec.nr_notify, 0);
    CHECK_EQ(rec.wake[2], 0);
    CHECK(VC(2)->pause_flags & VPF_blocked);
    env_teardown();
}

/* The HLT path of hvm.c: set VPF_blocked, then look for work. */
static bool hlt_would_sleep(unsigned int i)
{
    __atomic_fetch_or(&VC(i)->pause_flags, VPF_blocked, __ATOMIC_SEQ_CST);
    if ( pi_pending(VC(i)) || vlapic_has_wakeup(VL(i)) )
    {
        __atomic_fetch_and(&VC(i)->pause_flags, ~VPF_blocked,
                           __ATOMIC_SEQ_CST);
        return false;
    }
    return true;
}

TEST(hlt_sees_earlier_post)
{
    env_setup(2);
    sw_enable(1);
    CHECK(hlt_would_sleep(1));
    __atomic_fetch_and(&VC(1)->pause_flags, ~VPF_blocked, __ATOMIC_SEQ_CST);
    pi_post(VC(1), 0x70);
    CHECK(!hlt_would_sleep(1));
    CHECK(!(VC(1)->pause_flags & VPF_blocked));
    CHECK_EQ(rec.wake[1], 0);
    env_teardown();
}

/* Posted by the vcpu_vlapic() double in the middle of a sync. */
static void post_during_sync(struct vcpu *v)
{
    pi_post(v, 0x31);
}

/*
 * A vector that the PPR holds back does not wake a HLTed vCPU, but a post
 * that races with the sync in vlapic_has_wakeup() leaves ON set, and a
 * vCPU must not sleep with ON set (later posts would not wake it).
 */
TEST(has_wakeup_rechecks_after_sync)
{
    env_setup(1);
    sw_enable(0);
    vlapic_reg_write(VL(0), APIC_REG_TPR, 0xf0);
    pi_post(VC(0), 0x40);
    CHECK(!vlapic_has_wakeup(VL(0)));       /* held back by the TPR */
    CHECK(irr_has(0, 0x40));

    pi_post(VC(0), 0x41);
    env_vlapic_hook = post_during_sync;     /* after ON clear, before swap */
    CHECK(vlapic_has_wakeup(VL(0)));
    CHECK(ctl(0) & PI_ON);
    /* 0x31's word had been passed: it waits in PIR, ON says so. */
    CHECK(pir_has(0, 0x31));
    CHECK(irr_has(0, 0x41));
    /* The next look moves it, clears ON and, all held back, sleeps. */
    CHECK(!vlapic_has_wakeup(VL(0)));
    CHECK(irr_has(0, 0x31));
    CHECK(!(ctl(0) & PI_ON));
    CHECK(hlt_would_sleep(0));
    /* Asleep: the next post owns ON and notifies; it does not wake. */
    rec.nr_notify = 0;
    CHECK(pi_post(VC(0), 0x42));
    CHECK_EQ(rec.nr_notify, 1);
    CHECK_EQ(rec.wake[0], 0);
    env_teardown();
}

/* --- stress: posting against syncing --- */

#define NR_POSTERS      4

struct stress
{
    unsigned int posts_per_thread;
    unsigned int seed[NR_POSTERS];
    bool stop;                              /* posters are done */
    bool abort;                             /* a token never came back */
    unsigned int epoch;                     /* consumer's sync count */
    /* Token mode: a vector is posted again only after its delivery. */
    bool tokens;
    bool batches;                           /* wait for a sync per 64 */
    u8 token[256];
    unsigned int bit_was_set;               /* token mode: must stay 0 */
    /* Counts. */
    unsigned int posted[256];
    unsigned int delivered[256];
    unsigned int moved;                     /* bits seen entering IRR */
    unsigned int productive;                /* syncs that moved bits */
    unsigned int bad;                       /* consumer-side anomalies */
    /* Merge mode: per post, its vector and epoch bracket. */
    struct post_rec { u8 vec; unsigned int s, f; } *recs[NR_POSTERS];
    /* Merge mode: the epochs in which each vector was delivered. */
    unsigned int *dl_epochs[256];
    unsigned int nr_dl[256], cap_dl[256];
};

static struct stress st;

static unsigned int rnd(unsigned int *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

struct poster_arg
{
    unsigned int id;
    unsigned int nvecs;                     /* vectors 32 .. 32+nvecs-1 */
};

static void *poster(void *p)
{
    struct poster_arg *a = p;
    unsigned int *seed = &st.seed[a->id];

    for ( unsigned int n = 0; n < st.posts_per_thread; n++ )
    {
        unsigned int vec = 32 + rnd(seed) % a->nvecs;
        struct post_rec *r = st.recs[a->id] ? &st.recs[a->id][n] : NULL;

        if ( st.tokens )
        {
            /* Claim a vector nobody has in flight. */
            u8 zero = 0;
            double t0 = now_s();

            while ( !__atomic_compare_exchange_n(&st.token[vec], &zero, 1,
                                                 false, __ATOMIC_ACQ_REL,
                                                 __ATOMIC_RELAXED) )
            {
                zero = 0;
                vec = 32 + rnd(seed) % a->nvecs;
                sched_yield();              /* let the consumer run */
                /* Tokens lost (interrupts never delivered): give up. */
                if ( __atomic_load_n(&st.abort, __ATOMIC_RELAXED) ||
                     now_s() - t0 > 5.0 )
                {
                    __atomic_store_n(&st.abort, true, __ATOMIC_RELAXED);
                    return NULL;
                }
            }
            /* Delivered before released: the bit must be clear now. */
            if ( pir_has(0, vec) )
                __atomic_fetch_add(&st.bit_was_set, 1, __ATOMIC_RELAXED);
        }
        else
        {
            r->vec = vec;
            r->s = __atomic_load_n(&st.epoch, __ATOMIC_SEQ_CST);
        }
        vlapic_set_irq(VL(0), vec, false);
        /*
         * Every 64 posts, wait until the consumer starts another sync,
         * so that posting and syncing really interleave however the
         * host schedules the threads (a 2-CPU host may otherwise run
         * all the posts in one slice of its own).
         */
        if ( st.batches && n % 64 == 63 )
        {
            unsigned int e = __atomic_load_n(&st.epoch, __ATOMIC_SEQ_CST);

            while ( __atomic_load_n(&st.epoch, __ATOMIC_SEQ_CST) == e )
                sched_yield();
        }
        if ( !st.tokens )
            r->f = __atomic_load_n(&st.epoch, __ATOMIC_SEQ_CST);
        __atomic_fetch_add(&st.posted[vec], 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void record_delivery(unsigned int vec, unsigned int epoch)
{
    st.delivered[vec]++;
    if ( st.tokens )
    {
        __atomic_store_n(&st.token[vec], 0, __ATOMIC_RELEASE);
        return;
    }
    if ( st.nr_dl[vec] == st.cap_dl[vec] )
    {
        st.cap_dl[vec] = st.cap_dl[vec] ? 2 * st.cap_dl[vec] : 64;
        st.dl_epochs[vec] = realloc(st.dl_epochs[vec],
                                    st.cap_dl[vec] * sizeof(unsigned int));
    }
    st.dl_epochs[vec][st.nr_dl[vec]++] = epoch;
}

/* One sync and everything it brought in taken, as on each entry. */
static void consume_once(void)
{
    unsigned int epoch = __atomic_add_fetch(&st.epoch, 1, __ATOMIC_SEQ_CST);
    unsigned int in_irr = 0;
    int vec;

    pi_sync_pir_to_irr(VC(0));
    for ( unsigned int w = 0; w < 8; w++ )
        in_irr += __builtin_popcount(*(u32 *)(VL(0)->regs + APIC_REG_IRR +
                                              w * 0x10));
    st.moved += in_irr;
    if ( in_irr )
        st.productive++;
    while ( (vec = vlapic_pending_irq(VL(0))) >= 0 )
    {
        vlapic_ack_irq(VL(0), vec);
        vlapic_injection_done(VL(0), true);
        record_delivery(vec, epoch);
        if ( vlapic_reg_write(VL(0), APIC_REG_EOI, 0) != VLAPIC_OK )
            st.bad++;
    }
    /* Everything was deliverable: IRR must be empty again. */
    for ( unsigned int w = 0; w < 8; w++ )
        if ( *(u32 *)(VL(0)->regs + APIC_REG_IRR + w * 0x10) )
            st.bad++;
}

static void *consumer(void *p)
{
    (void)p;
    while ( !__atomic_load_n(&st.stop, __ATOMIC_SEQ_CST) )
        consume_once();
    /* Once more after every post has completed. */
    consume_once();
    return NULL;
}

static void run_stress(unsigned int nvecs)
{
    pthread_t cons, post[NR_POSTERS];
    struct poster_arg args[NR_POSTERS];

    REQUIRE_EQ(pthread_create(&cons, NULL, consumer, NULL), 0);
    for ( unsigned int t = 0; t < NR_POSTERS; t++ )
    {
        args[t].id = t;
        args[t].nvecs = nvecs;
        st.seed[t] = 0x9e3779b9u * (t + 1);
        REQUIRE_EQ(pthread_create(&post[t], NULL, poster, &args[t]), 0);
    }
    for ( unsigned int t = 0; t < NR_POSTERS; t++ )
        pthread_join(post[t], NULL);
    __atomic_store_n(&st.stop, true, __ATOMIC_SEQ_CST);
    pthread_join(cons, NULL);
}

/*
 * Every post finds its PIR bit clear (a vector is posted again only once
 * its previous post was delivered), so the accounting is exact: each
 * vector is delivered exactly as often as it was posted.
 */
TEST(stress_every_post_delivered_exactly)
{
    unsigned int total = 0;

    env_setup(1);
    sw_enable(0);
    memset(&st, 0, sizeof(st));
    st.tokens = true;
    st.posts_per_thread = 10000;
    run_stress(224);

    CHECK(!st.abort);
    CHECK_EQ(st.bit_was_set, 0);
    CHECK_EQ(st.bad, 0);
    for ( unsigned int v = 0; v < 256; v++ )
    {
        if ( st.posted[v] != st.delivered[v] )
            printf("  vector %#x: posted %u delivered %u\n", v,
                   st.posted[v], st.delivered[v]);
        CHECK_EQ(st.posted[v], st.delivered[v]);
        total += st.delivered[v];
    }
    CHECK_EQ(total, NR_POSTERS * st.posts_per_thread);
    CHECK_EQ(st.moved, total);
    CHECK(!pi_pending(VC(0)));
    env_teardown();
}

/* First delivery epoch >= s for 'vec', or ~0u. */
static unsigned int first_delivery_from(unsigned int vec, unsigned int s)
{
    unsigned int lo = 0, hi = st.nr_dl[vec];

    while ( lo < hi )
    {
        unsigned int mid = (lo + hi) / 2;

        if ( st.dl_epochs[vec][mid] < s )
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < st.nr_dl[vec] ? st.dl_epochs[vec][lo] : ~0u;
}

/*
 * Free-running posts of few vectors, so that posts of one vector merge
 * while it is pending in PIR, as on hardware.  Merging is the only
 * allowed difference: every post that found its bit clear is one
 * delivery (each delivery is one bit that entered IRR: moved ==
 * deliveries), there are never more deliveries than posts, and no post
 * is lost: a post that began while the consumer was at epoch s and
 * returned when it was at f is delivered by a sync in [s, f + 1] (one
 * that swapped PIR after the post set its bit; the sync at f + 1 began
 * after the post returned, so it sees the bit if no earlier one took it).
 */
TEST(stress_merging_never_loses)
{
    unsigned int lost = 0, total_d = 0, total_p = 0;

    env_setup(1);
    sw_enable(0);
    memset(&st, 0, sizeof(st));
    st.posts_per_thread = 12000;
    st.batches = true;
    for ( unsigned int t = 0; t < NR_POSTERS; t++ )
        st.recs[t] = calloc(st.posts_per_thread, sizeof(struct post_rec));
    run_stress(6);

    CHECK_EQ(st.bad, 0);
    for ( unsigned int v = 0; v < 256; v++ )
    {
        CHECK(st.delivered[v] <= st.posted[v]);
        CHECK_EQ(st.delivered[v] > 0, st.posted[v] > 0);
        total_d += st.delivered[v];
        total_p += st.posted[v];
    }
    CHECK_EQ(st.moved, total_d);
    CHECK_EQ(total_p, NR_POSTERS * st.posts_per_thread);
    for ( unsigned int t = 0; t < NR_POSTERS; t++ )
        for ( unsigned int n = 0; n < st.posts_per_thread; n++ )
        {
            struct post_rec *r = &st.recs[t][n];
            unsigned int e = first_delivery_from(r->vec, r->s);

            if ( e > r->f + 1 )
            {
                if ( !lost )
                    printf("  post %u/%u of %#x (epochs %u-%u) not "
                           "delivered (next %u)\n", t, n, r->vec, r->s,
                           r->f, e);
                lost++;
            }
        }
    CHECK_EQ(lost, 0);
    /* Merging and interleaving must have happened, or nothing was tested. */
    CHECK(total_d < total_p);
    CHECK(st.productive >= 100);
    printf("  %u posts, %u deliveries, %u syncs (%u moved bits in)\n",
           total_p, total_d, st.epoch, st.productive);
    for ( unsigned int t = 0; t < NR_POSTERS; t++ )
        free(st.recs[t]);
    for ( unsigned int v = 0; v < 256; v++ )
        free(st.dl_epochs[v]);
    env_teardown();
}

/* --- stress: posting against the HLT path --- */

struct hlt_race
{
    unsigned int rounds;
    unsigned int consumed;                  /* deliveries so far */
    unsigned int hlts;                      /* HLT checks */
    unsigned int sleeps;                    /* times the vCPU slept */
    unsigned int stuck;                     /* slept through a post */
    bool abort;
};

static struct hlt_race hr;

static void *hlt_vcpu(void *p)
{
    (void)p;
    while ( __atomic_load_n(&hr.consumed, __ATOMIC_SEQ_CST) < hr.rounds &&
            !__atomic_load_n(&hr.abort, __ATOMIC_SEQ_CST) )
    {
        unsigned int notified;
        int vec;
        double t0;

        /* Entry: sync and take everything. */
        pi_sync_pir_to_irr(VC(0));
        while ( (vec = vlapic_pending_irq(VL(0))) >= 0 )
        {
            vlapic_ack_irq(VL(0), vec);
            vlapic_injection_done(VL(0), true);
            vlapic_reg_write(VL(0), APIC_REG_EOI, 0);
            __atomic_fetch_add(&hr.consumed, 1, __ATOMIC_SEQ_CST);
        }
        if ( __atomic_load_n(&hr.consumed, __ATOMIC_SEQ_CST) >= hr.rounds )
            break;

        /*
         * HLT: block unless there is work.  Asleep until a notification
         * (in the hypervisor, the wakeup vector whose handler wakes us):
         * notifications counted from before VPF_blocked was set.
         */
        hr.hlts++;
        notified = __atomic_load_n(&rec.nr_notify, __ATOMIC_SEQ_CST);
        if ( !hlt_would_sleep(0) )
            continue;
        hr.sleeps++;
        t0 = now_s();
        while ( __atomic_load_n(&rec.nr_notify, __ATOMIC_SEQ_CST) ==
                notified )
        {
            if ( now_s() - t0 > 2.0 )
            {
                /* Nobody woke us: the poster waits for this delivery. */
                hr.stuck++;
                __atomic_store_n(&hr.abort, true, __ATOMIC_SEQ_CST);
                return NULL;
            }
            sched_yield();
        }
        __atomic_fetch_and(&VC(0)->pause_flags, ~VPF_blocked,
                           __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static void *hlt_poster(void *p)
{
    unsigned int seed = 0x1234567u;

    (void)p;
    for ( unsigned int n = 0; n < hr.rounds; n++ )
    {
        /* One interrupt in flight at a time: only a wake can deliver it. */
        while ( __atomic_load_n(&hr.consumed, __ATOMIC_SEQ_CST) < n )
        {
            if ( __atomic_load_n(&hr.abort, __ATOMIC_SEQ_CST) )
                return NULL;
            sched_yield();
        }
        for ( unsigned int d = rnd(&seed) % 64; d; d-- )
            __asm__ __volatile__ ( "pause" ::: "memory" );
        vlapic_set_irq(VL(0), 0x40 + rnd(&seed) % 0x80, false);
    }
    return NULL;
}

/*
 * A vCPU that HLTs (set VPF_blocked, then pi_pending/has_wakeup) races
 * posts that set PIR/ON and notify if they set ON.  It must never sleep
 * through a posted interrupt: either it sees it, or the post notifies
 * after the look (what the wakeup vector relies on).  The poster sends
 * the next one only after this one is taken, so a missed notification
 * hangs, and the sleeper's timeout reports it.  pi_post never wakes.
 */
TEST(stress_hlt_never_sleeps_through_a_post)
{
    pthread_t a, b;
    unsigned int wakes;

    env_setup(1);
    sw_enable(0);
    memset(&hr, 0, sizeof(hr));
    hr.rounds = 100000;
    REQUIRE_EQ(pthread_create(&a, NULL, hlt_vcpu, NULL), 0);
    REQUIRE_EQ(pthread_create(&b, NULL, hlt_poster, NULL), 0);
    pthread_join(b, NULL);
    pthread_join(a, NULL);

    wakes = __atomic_load_n(&rec.wake[0], __ATOMIC_SEQ_CST);
    CHECK_EQ(hr.stuck, 0);
    CHECK_EQ(hr.consumed, hr.rounds);
    /*
     * Every sleep ended with a notification; each post that owned ON
     * sent one, at most one per round.  Never a vcpu_wake from pi_post.
     */
    CHECK(rec.nr_notify >= hr.sleeps);
    CHECK(rec.nr_notify <= hr.rounds);
    CHECK_EQ(wakes, 0);
    CHECK(hr.sleeps > 0);
    printf("  %u rounds, %u HLTs, %u sleeps, %u notifications\n",
           hr.rounds, hr.hlts, hr.sleeps, rec.nr_notify);
    env_teardown();
}

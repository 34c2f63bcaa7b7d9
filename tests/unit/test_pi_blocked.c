/*
 * Unit tests for the wakeup lists of blocked vCPUs
 * (xen/arch/x86/hvm/pi_blocked.c) with the real posting code (pi.c): the
 * pi_wakeup_vectors= option, least-loaded placement, the descriptor of a
 * blocked vCPU, posts to it (its list's vector to its pCPU, never a
 * vcpu_wake), the handler (only its list, only the posted vCPUs, the
 * counters), refusing to block with ON set, leaving a list after another
 * wakeup, the 'i' dump, and a pthread stress test with threads playing
 * pCPUs that hammers posts against blocking, unblocking and kicks.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xen/errno.h>
#include <xen/lib.h>
#include <asm/irq.h>
#include <asm/irq_vectors.h>
#include <asm/vector_alloc.h>

#include "harness.h"
#include "stubs.h"
#include "env.h"
#include "peek.h"

#define PI_ON   (1ULL << PI_ON_BIT)
#define PI_SN   (1ULL << PI_SN_BIT)

static u64 ctl(unsigned int i)
{
    return __atomic_load_n(&PI(i)->control, __ATOMIC_SEQ_CST);
}

static u8 nv(unsigned int i)
{
    return (u8)(ctl(i) >> 16);
}

static u32 ndst(unsigned int i)
{
    return (u32)(ctl(i) >> 32);
}

/* The vector of the list vCPU i is on (it must be on one). */
static u8 list_vector(unsigned int i)
{
    return peek_vector((unsigned int)HV(i)->pi_blocked_cpu,
                       (unsigned int)HV(i)->pi_blocked_index);
}

static bool blocked_flag(unsigned int i)
{
    return __atomic_load_n(&VC(i)->pause_flags, __ATOMIC_SEQ_CST) &
           VPF_blocked;
}

/*
 * hvm.c's handle_hlt() for vCPU i, on its pCPU: set VPF_blocked, look
 * for work, then pi_blocked_enter().  Whether it would sleep.
 */
static bool hlt(unsigned int i)
{
    unsigned int old = env_cpu;
    bool r;

    env_cpu = VC(i)->processor;
    __atomic_fetch_or(&VC(i)->pause_flags, VPF_blocked, __ATOMIC_SEQ_CST);
    if ( pi_pending(VC(i)) )
    {
        __atomic_fetch_and(&VC(i)->pause_flags, ~VPF_blocked,
                           __ATOMIC_SEQ_CST);
        r = false;
    }
    else
        r = pi_blocked_enter(VC(i));
    env_cpu = old;
    return r;
}

/* vcpu_kick(): another path (INIT, SIPI, NMI) wakes vCPU i. */
static void kick(unsigned int i)
{
    if ( __atomic_fetch_and(&VC(i)->pause_flags, ~VPF_blocked,
                            __ATOMIC_SEQ_CST) & VPF_blocked )
        vcpu_wake(VC(i));
}

/* sched_context_switch(): vCPU i goes to run on pCPU 'cpu'. */
static void switch_to(unsigned int i, unsigned int cpu)
{
    unsigned int old = env_cpu;

    env_cpu = cpu;
    pi_blocked_leave(VC(i));
    pi_set_running(VC(i), cpu);
    VC(i)->processor = cpu;
    env_cpu = old;
}

static struct pi_wakeup_stats stats(unsigned int cpu, unsigned int idx)
{
    struct pi_wakeup_stats s;

    memset(&s, 0xff, sizeof(s));
    CHECK(pi_wakeup_stats_get(cpu, idx, &s, NULL, NULL));
    return s;
}

static unsigned int total_blocked(unsigned int cpu)
{
    unsigned int n = 0;

    for ( unsigned int i = 0; i < peek_nr_lists(cpu); i++ )
        n += peek_count(cpu, i);
    return n;
}

/* --- the option and the set-up --- */

/* The vector list i takes: the wakeup range up, then dynamic down. */
static unsigned int pool_vector(unsigned int i)
{
    return i < 64 ? PI_WAKEUP_VECTOR_FIRST + i
                  : DYNAMIC_VECTOR_LAST - (i - 64);
}

TEST(option_default_vectors_and_handlers)
{
    /*
     * Nothing else in the pool: 112 dynamic + 64 wakeup vectors free,
     * the default takes all but 16.
     */
    env_setup(2, 1, NULL);
    CHECK_EQ(PI_WAKEUP_VECTORS_MAX, 176);
    CHECK_EQ(pi_wakeup_vectors(), 160);
    for ( unsigned int c = 0; c < 2; c++ )
    {
        CHECK_EQ(peek_nr_lists(c), 160);
        for ( unsigned int i = 0; i < 160; i++ )
        {
            u8 vec;
            unsigned int nr = 99;

            /* The same vectors on every pCPU. */
            CHECK_EQ(peek_vector(c, i), pool_vector(i));
            CHECK_STR_EQ(vector_owner(cpu_vector_table(c), pool_vector(i)),
                         "pi-wakeup");
            CHECK(env_vector_handler[pool_vector(i)]);
            CHECK(pi_wakeup_stats_get(c, i, NULL, &vec, &nr));
            CHECK_EQ(vec, pool_vector(i));
            CHECK_EQ(nr, 0);
        }
        CHECK_EQ(vectors_free_in_range(cpu_vector_table(c), VR_PI_WAKEUP),
                 0);
        /* The 16 left for devices are the lowest dynamic ones. */
        CHECK_EQ(vectors_free_in_range(cpu_vector_table(c), VR_DYNAMIC),
                 16);
        CHECK(!vector_owner(cpu_vector_table(c), DYNAMIC_VECTOR_FIRST));
        CHECK(!vector_owner(cpu_vector_table(c), DYNAMIC_VECTOR_FIRST + 15));
    }
    CHECK(!env_vector_handler[DYNAMIC_VECTOR_FIRST + 15]);
    CHECK(!pi_wakeup_stats_get(0, 160, NULL, NULL, NULL));
    CHECK(!pi_wakeup_stats_get(2, 0, NULL, NULL, NULL));     /* offline */
    /* The dump's range covers both parts: 0xa0-0xdf and 0x40-0x9f. */
    pi_blocked_dump();
    CHECK(stub_log_contains("CPU1: vectors 0x40-0xdf blocked 0 peak 0"));
    CHECK(stub_log_contains("  (160 idle lists not shown)"));
    CHECK(env_key_handler['i'] != NULL);
    CHECK_STR_EQ(env_key_desc['i'], "dump interrupt and wakeup-vector state");
    CHECK(stub_log_contains("PI: 160 wakeup vectors per pCPU\n"));
    CHECK(stub_log_contains("PI: 176 of the pool's vectors 0x30-0xdf free "
                            "at boot, 16 left (pi_wakeup_vectors=default)"));
    CHECK(!stub_log_contains("Bad value"));
    env_teardown();
}

TEST(option_range_and_bad_values)
{
    static const struct
    {
        const char *val;
        unsigned int k;
    } cases[] = {
        { "1", 1 }, { "64", 64 }, { "7", 7 }, { "016", 16 }, { "65", 65 },
        { "128", 128 }, { "176", 176 }, { "max", 176 },
        { "0", 0 }, { "257", 0 }, { "100000000000000000000", 0 },
        { "x", 0 }, { "", 0 }, { "-1", 0 }, { "8x", 0 }, { "0x10", 0 },
        { "MAX", 0 }, { "max1", 0 }, { "ma", 0 },
    };

    for ( unsigned int t = 0; t < ARRAY_SIZE(cases); t++ )
    {
        char cmd[64], msg[128];
        unsigned int k = cases[t].k ? cases[t].k : 160;

        snprintf(cmd, sizeof(cmd), "pi_wakeup_vectors=%s", cases[t].val);
        snprintf(msg, sizeof(msg),
                 "<1>Bad value for option 'pi_wakeup_vectors': '%s'\n",
                 cases[t].val);
        env_setup(2, 1, cmd);
        CHECK_EQ(pi_wakeup_vectors(), k);
        CHECK_EQ(peek_nr_lists(1), k);
        CHECK_EQ(peek_vector(1, k - 1), pool_vector(k - 1));
        /* Out of range: reported once (not again by parse_params). */
        CHECK_EQ(stub_log_contains(msg), cases[t].k == 0);
        CHECK_EQ(stub_log_count("Bad value"), cases[t].k == 0);
        CHECK(!stub_log_contains("only"));
        if ( harness_failures() )
        {
            printf("  with %s\n", cmd);
            break;
        }
    }
    /* max takes the whole pool. */
    env_setup(1, 1, "pi_wakeup_vectors=max");
    CHECK_EQ(vectors_free_in_range(cpu_vector_table(0), VR_PI_WAKEUP), 0);
    CHECK_EQ(vectors_free_in_range(cpu_vector_table(0), VR_DYNAMIC), 0);
    CHECK_EQ(peek_vector(0, 63), PI_WAKEUP_VECTOR_LAST);
    CHECK_EQ(peek_vector(0, 175), DYNAMIC_VECTOR_FIRST);
    CHECK(stub_log_contains("0 left (pi_wakeup_vectors=max)"));
    env_teardown();
}

/*
 * The boot users of the pool, as on a real boot: the serial port's
 * vector on pCPU 0 only (setup.c takes the lowest dynamic one) and one
 * more a device took on pCPU 1, high in the dynamic range.
 */
static void boot_users(void)
{
    CHECK_EQ(vector_alloc(cpu_vector_table(0), VR_DYNAMIC, "com1"),
             DYNAMIC_VECTOR_FIRST);
    CHECK_EQ(vector_reserve(cpu_vector_table(1), 0x90, "device"), 0);
}

TEST(option_sized_from_what_is_free_on_every_pcpu)
{
    u8 free[PI_WAKEUP_VECTORS_MAX];

    /* Default: 174 free on both pCPUs, 16 left. */
    env_boot_hook = boot_users;
    env_setup(2, 1, NULL);
    CHECK_EQ(pi_wakeup_vectors(), 158);
    CHECK(stub_log_contains("PI: 174 of the pool's vectors"));
    CHECK_EQ(pi_wakeup_pool_free(free), 16);
    for ( unsigned int c = 0; c < 2; c++ )
        for ( unsigned int i = 0; i < 158; i++ )
        {
            u8 v = peek_vector(c, i);

            /* Neither boot user's vector, on either pCPU. */
            CHECK(v != DYNAMIC_VECTOR_FIRST && v != 0x90);
            CHECK_EQ(v, peek_vector(0, i));
            CHECK_STR_EQ(vector_owner(cpu_vector_table(c), v), "pi-wakeup");
        }
    CHECK_STR_EQ(vector_owner(cpu_vector_table(0), DYNAMIC_VECTOR_FIRST),
                 "com1");
    CHECK_STR_EQ(vector_owner(cpu_vector_table(1), 0x90), "device");
    /* The handler of the serial vector is not the wakeup handler's. */
    CHECK(!env_vector_handler[DYNAMIC_VECTOR_FIRST]);

    /*
     * max: all 174.  A later device on pCPU 0 finds only the vector that
     * is taken on pCPU 1, then nothing.
     */
    env_boot_hook = boot_users;
    env_setup(2, 1, "pi_wakeup_vectors=max");
    CHECK_EQ(pi_wakeup_vectors(), 174);
    CHECK_EQ(pi_wakeup_pool_free(free), 0);
    CHECK_EQ(vector_alloc(cpu_vector_table(0), VR_DYNAMIC, "late"), 0x90);
    CHECK_EQ(vector_alloc(cpu_vector_table(0), VR_DYNAMIC, "late"),
             -ENOSPC);
    /* pCPU 1 keeps the serial port's vector number, free there. */
    CHECK(!vector_owner(cpu_vector_table(1), DYNAMIC_VECTOR_FIRST));

    /* More than is free: clamped, with one line saying so. */
    env_boot_hook = boot_users;
    env_setup(2, 1, "pi_wakeup_vectors=200");
    CHECK_EQ(pi_wakeup_vectors(), 174);
    CHECK(stub_log_contains("<1>PI: pi_wakeup_vectors=200 but only 174 "
                            "vectors free: using 174\n"));
    CHECK_EQ(stub_log_count("only 174"), 1);
    CHECK(!stub_log_contains("Bad value"));
    /* Exactly what is free: no clamp. */
    env_boot_hook = boot_users;
    env_setup(2, 1, "pi_wakeup_vectors=174");
    CHECK_EQ(pi_wakeup_vectors(), 174);
    CHECK(!stub_log_contains("only"));
    env_teardown();
}

static void fill_pool_but(unsigned int left)
{
    for ( unsigned int c = 0; c < 2; c++ )
        for ( unsigned int v = DYNAMIC_VECTOR_FIRST + left;
              v <= PI_WAKEUP_VECTOR_LAST; v++ )
            CHECK_EQ(vector_reserve(cpu_vector_table(c), v, "device"), 0);
}

static void fill_pool_but_10(void)
{
    fill_pool_but(10);
}

static void fill_pool_but_17(void)
{
    fill_pool_but(17);
}

TEST(option_default_with_little_free)
{
    /* 17 free: the default leaves 16 and takes 1. */
    env_boot_hook = fill_pool_but_17;
    env_setup(2, 1, NULL);
    CHECK_EQ(pi_wakeup_vectors(), 1);
    CHECK_EQ(peek_vector(1, 0), DYNAMIC_VECTOR_FIRST + 16);
    /* 10 free, fewer than the reserve: still one list. */
    env_boot_hook = fill_pool_but_10;
    env_setup(2, 1, NULL);
    CHECK_EQ(pi_wakeup_vectors(), 1);
    CHECK_EQ(peek_vector(0, 0), DYNAMIC_VECTOR_FIRST + 9);
    env_teardown();
}

/* --- placement --- */

TEST(placement_least_loaded_lowest_index_first)
{
    /* 20 vCPUs on pCPU 0 (the even ones), 6 lists. */
    env_setup(2, 40, "pi_wakeup_vectors=6");
    for ( unsigned int i = 0; i < 40; i += 2 )
    {
        unsigned int min = ~0u, expect = 0, lo = ~0u, hi = 0;

        for ( unsigned int l = 0; l < 6; l++ )
            if ( peek_count(0, l) < min )
            {
                min = peek_count(0, l);
                expect = l;
            }
        REQUIRE(hlt(i));
        CHECK_EQ(HV(i)->pi_blocked_cpu, 0);
        CHECK_EQ(HV(i)->pi_blocked_index, expect);
        for ( unsigned int l = 0; l < 6; l++ )
        {
            lo = min(lo, peek_count(0, l));
            hi = max(hi, peek_count(0, l));
        }
        CHECK(hi - lo <= 1);
    }
    /* 20 over 6: 4, 4, 3, 3, 3, 3; nothing on pCPU 1's lists. */
    for ( unsigned int l = 0; l < 6; l++ )
    {
        struct vcpu *ents[40];
        unsigned int nr = 99;

        CHECK_EQ(peek_count(0, l), l < 2 ? 4 : 3);
        CHECK_EQ(peek_entries(0, l, ents, 40), peek_count(0, l));
        CHECK(pi_wakeup_stats_get(0, l, NULL, NULL, &nr));
        CHECK_EQ(nr, peek_count(0, l));
        CHECK_EQ(peek_count(1, l), 0);
    }
    CHECK_EQ(peek_nr_blocked(0), 20);
    CHECK_EQ(peek_peak_blocked(0), 20);

    /*
     * vCPUs 2 and 14 blocked 2nd and 8th: both on list 1.  With both off
     * (woken another way), list 1 is the emptiest (2): the next block
     * goes there; then lists 1..5 tie at 3 and list 1 is the lowest;
     * then list 2.
     */
    CHECK_EQ(HV(2)->pi_blocked_index, 1);
    CHECK_EQ(HV(14)->pi_blocked_index, 1);
    kick(2);
    switch_to(2, 1);
    kick(14);
    switch_to(14, 1);
    CHECK_EQ(peek_count(0, 1), 2);
    CHECK_EQ(peek_nr_blocked(0), 18);
    VC(1)->processor = 0;
    VC(3)->processor = 0;
    VC(5)->processor = 0;
    REQUIRE(hlt(1));
    CHECK_EQ(HV(1)->pi_blocked_index, 1);
    REQUIRE(hlt(3));
    CHECK_EQ(HV(3)->pi_blocked_index, 1);
    REQUIRE(hlt(5));
    CHECK_EQ(HV(5)->pi_blocked_index, 2);
    CHECK_EQ(peek_peak_blocked(0), 21);
    env_teardown();
}

/* --- the descriptor of a blocked vCPU, and posts to it --- */

TEST(enter_points_the_descriptor_at_the_list)
{
    env_setup(4, 8, "pi_wakeup_vectors=4");
    CHECK(!pi_blocked_on_list(VC(6)));
    REQUIRE(hlt(6));                        /* vCPU 6 is on pCPU 2 */
    CHECK(pi_blocked_on_list(VC(6)));
    CHECK_EQ(HV(6)->pi_blocked_cpu, 2);
    CHECK_EQ(nv(6), list_vector(6));
    CHECK_EQ(ndst(6), ENV_APIC_ID(2));
    CHECK(!(ctl(6) & PI_SN));
    CHECK(!(ctl(6) & PI_ON));
    CHECK(blocked_flag(6));                 /* still blocked: sleep */

    /* xAPIC host: NDST carries the APIC ID in bits 15:8. */
    x2apic_enabled = false;
    pi_set_running(VC(5), 1);
    REQUIRE(hlt(5));
    CHECK_EQ(ndst(5), ENV_APIC_ID(1) << 8);
    CHECK(pi_post(VC(5), 0x70));
    CHECK_EQ(rec.nr_notify, 1);
    CHECK(env_notified(0, 1, list_vector(5)));
    CHECK_EQ(rec.wake[5], 0);
    env_teardown();
}

TEST(post_to_blocked_sends_its_lists_vector_to_its_pcpu)
{
    env_setup(3, 12, "pi_wakeup_vectors=4");
    for ( unsigned int i = 0; i < 12; i++ )
        REQUIRE(hlt(i));
    for ( unsigned int i = 0; i < 12; i++ )
    {
        unsigned int n0 = rec.nr_notify;

        CHECK(pi_post(VC(i), 0x40 + i));
        CHECK_EQ(rec.nr_notify, n0 + 1);
        CHECK(env_notified(n0, VC(i)->processor, list_vector(i)));
        /* A second post finds ON set: the first one notified. */
        CHECK(!pi_post(VC(i), 0x80));
        CHECK_EQ(rec.nr_notify, n0 + 1);
        /* pi_post never wakes: the handler does. */
        CHECK_EQ(rec.wake[i], 0);
        CHECK(blocked_flag(i));
        CHECK(pi_blocked_on_list(VC(i)));
    }
    env_teardown();
}

/* --- the handler --- */

TEST(handler_scans_only_its_list_and_wakes_only_the_posted)
{
    struct vcpu *ents[64];
    unsigned int n, l1[8], l3[8], woken_a, woken_b, other;
    u8 vec1, vec3;

    /* 24 blocked on each of 2 pCPUs over 4 lists: 6 per list. */
    env_setup(2, 48, "pi_wakeup_vectors=4");
    for ( unsigned int i = 0; i < 48; i++ )
        REQUIRE(hlt(i));
    for ( unsigned int c = 0; c < 2; c++ )
        for ( unsigned int l = 0; l < 4; l++ )
            CHECK_EQ(peek_count(c, l), 6);

    n = peek_entries(0, 1, ents, 64);
    REQUIRE_EQ(n, 6);
    for ( unsigned int k = 0; k < 6; k++ )
        l1[k] = ents[k]->vcpu_id;
    REQUIRE_EQ(peek_entries(0, 3, ents, 64), 6);
    for ( unsigned int k = 0; k < 6; k++ )
        l3[k] = ents[k]->vcpu_id;
    vec1 = peek_vector(0, 1);
    vec3 = peek_vector(0, 3);

    /* Two posted on list 1, one on list 3, one on pCPU 1. */
    woken_a = l1[1];
    woken_b = l1[4];
    other = 1;                              /* odd: pCPU 1 */
    pi_post(VC(woken_a), 0x41);
    pi_post(VC(woken_b), 0x42);
    pi_post(VC(l3[2]), 0x43);
    pi_post(VC(other), 0x44);
    CHECK_EQ(rec.nr_notify, 4);
    CHECK(env_notified(0, 0, vec1));
    CHECK(env_notified(1, 0, vec1));
    CHECK(env_notified(2, 0, vec3));
    CHECK(env_notified(3, 1, list_vector(other)));

    env_interrupt(0, vec1);
    {
        struct pi_wakeup_stats s = stats(0, 1);

        CHECK_EQ(s.handler_runs, 1);
        /* Only its own list: ceil(48 / 2 pCPUs / 4 lists) = 6. */
        CHECK_EQ(s.entries_scanned, 6);
        CHECK_EQ(s.max_scan, 6);
        CHECK_EQ(s.woken, 2);
        CHECK_EQ(s.spurious, 0);
    }
    for ( unsigned int i = 0; i < 48; i++ )
    {
        bool w = i == woken_a || i == woken_b;

        CHECK_EQ(rec.wake[i], w);
        CHECK_EQ(blocked_flag(i), !w);
        CHECK_EQ(pi_blocked_on_list(VC(i)), !w);
        if ( w )
        {
            /* Runnable, not running: posted vector, SN, ON kept. */
            CHECK_EQ(nv(i), POSTED_INTR_VECTOR);
            CHECK(ctl(i) & PI_SN);
            CHECK(ctl(i) & PI_ON);
            CHECK_EQ(HV(i)->pi_blocked_cpu, -1);
        }
    }
    CHECK_EQ(peek_count(0, 1), 4);
    CHECK_EQ(peek_nr_blocked(0), 22);
    /* The other lists' handlers did not run. */
    CHECK_EQ(stats(0, 3).handler_runs, 0);
    CHECK_EQ(stats(1, 1).handler_runs, 0);
    CHECK(pi_blocked_on_list(VC(l3[2])));

    /* A woken vCPU posted again: no notification (SN, and ON set). */
    CHECK(!pi_post(VC(woken_a), 0x45));
    CHECK_EQ(rec.nr_notify, 4);

    env_interrupt(0, vec3);
    CHECK_EQ(stats(0, 3).entries_scanned, 6);
    CHECK_EQ(stats(0, 3).woken, 1);
    CHECK_EQ(rec.wake[l3[2]], 1);
    env_interrupt(1, list_vector(other));
    CHECK_EQ(rec.wake[other], 1);
    CHECK_EQ(rec.no_handler, 0);
    env_teardown();
}

/*
 * The bench's scan part on one pCPU: vCPUs 1..128 blocked, vCPU 0 wakes
 * them round-robin, each woken one runs and blocks again before the next
 * wakeup, so every wakeup finds 128 blocked.  Every handler run scans
 * exactly ceil(128 / K): 1 with the default K and with max.
 */
static void scan_at_128_blocked(const char *cmdline, unsigned int k)
{
    const unsigned int n = 128, expect = (n + k - 1) / k;

    env_setup(1, n + 1, cmdline);
    REQUIRE_EQ(pi_wakeup_vectors(), k);
    for ( unsigned int i = 1; i <= n; i++ )
        REQUIRE(hlt(i));
    for ( unsigned int round = 0; round < 3; round++ )
        for ( unsigned int i = 1; i <= n; i++ )
        {
            unsigned int idx = (unsigned int)HV(i)->pi_blocked_index;
            struct pi_wakeup_stats before = stats(0, idx), after;

            CHECK_EQ(peek_nr_blocked(0), n);
            CHECK(pi_post(VC(i), 0x41));
            env_interrupt(0, list_vector(i));
            after = stats(0, idx);
            CHECK_EQ(after.handler_runs - before.handler_runs, 1);
            CHECK_EQ(after.entries_scanned - before.entries_scanned, expect);
            CHECK_EQ(after.woken - before.woken, 1);
            /* It runs, takes the interrupt, and halts again. */
            switch_to(i, 0);
            pi_sync_pir_to_irr(VC(i));
            REQUIRE(hlt(i));
            if ( harness_failures() )
            {
                printf("  K %u, wakeup of vCPU %u in round %u\n", k, i,
                       round);
                env_teardown();
                return;
            }
        }
    CHECK_EQ(peek_peak_blocked(0), n);
    for ( unsigned int l = 0; l < k; l++ )
        CHECK(stats(0, l).max_scan <= expect);
    env_teardown();
}

TEST(scan_is_one_entry_at_128_blocked_with_default_and_max)
{
    scan_at_128_blocked(NULL, 160);
    scan_at_128_blocked("pi_wakeup_vectors=max", 176);
    scan_at_128_blocked("pi_wakeup_vectors=128", 128);
    /* Below 128 lists the bound is ceil(128 / K), and reached. */
    scan_at_128_blocked("pi_wakeup_vectors=64", 64);
    scan_at_128_blocked("pi_wakeup_vectors=16", 16);
    scan_at_128_blocked("pi_wakeup_vectors=1", 1);
}

TEST(spurious_runs_are_counted)
{
    env_setup(1, 4, "pi_wakeup_vectors=3");
    for ( unsigned int i = 0; i < 4; i++ )
        REQUIRE(hlt(i));                    /* lists: 2, 1, 1 */
    env_interrupt(0, peek_vector(0, 0));    /* nobody posted */
    CHECK_EQ(stats(0, 0).handler_runs, 1);
    CHECK_EQ(stats(0, 0).spurious, 1);
    CHECK_EQ(stats(0, 0).entries_scanned, 2);
    CHECK_EQ(stats(0, 0).woken, 0);
    for ( unsigned int i = 0; i < 4; i++ )
    {
        CHECK_EQ(rec.wake[i], 0);
        CHECK(pi_blocked_on_list(VC(i)));
    }

    /*
     * Posted, but another path woke it and it left the list before the
     * notification arrived: the run finds nothing.
     */
    pi_post(VC(1), 0x50);
    kick(1);
    CHECK_EQ(rec.wake[1], 1);
    switch_to(1, 0);
    env_interrupt(0, peek_vector(0, 1));
    CHECK_EQ(stats(0, 1).handler_runs, 1);
    CHECK_EQ(stats(0, 1).spurious, 1);
    CHECK_EQ(stats(0, 1).entries_scanned, 0);
    CHECK_EQ(rec.wake[1], 1);

    /* A productive run is not spurious. */
    pi_post(VC(2), 0x51);
    env_interrupt(0, peek_vector(0, 2));
    CHECK_EQ(stats(0, 2).spurious, 0);
    CHECK_EQ(stats(0, 2).woken, 1);
    env_teardown();
}

/* --- refusing to block --- */

TEST(enter_refuses_when_on_is_already_set)
{
    env_setup(2, 2, "pi_wakeup_vectors=4");
    CHECK(pi_post(VC(1), 0x60));
    CHECK_EQ(rec.nr_notify, 1);
    CHECK(env_notified(0, 1, POSTED_INTR_VECTOR));

    /* handle_hlt would have seen it; pi_blocked_enter must too. */
    env_cpu = 1;
    __atomic_fetch_or(&VC(1)->pause_flags, VPF_blocked, __ATOMIC_SEQ_CST);
    CHECK(!pi_blocked_enter(VC(1)));
    env_cpu = 0;
    CHECK(!blocked_flag(1));
    CHECK(!pi_blocked_on_list(VC(1)));
    CHECK_EQ(HV(1)->pi_blocked_cpu, -1);
    CHECK_EQ(total_blocked(1), 0);
    CHECK_EQ(peek_nr_blocked(1), 0);
    CHECK_EQ(peek_peak_blocked(1), 0);
    /* Descriptor unchanged: still running there, notifications on. */
    CHECK_EQ(nv(1), POSTED_INTR_VECTOR);
    CHECK_EQ(ndst(1), ENV_APIC_ID(1));
    CHECK(!(ctl(1) & PI_SN));
    CHECK(ctl(1) & PI_ON);
    CHECK_EQ(rec.wake[1], 0);

    /* Once synced, it blocks. */
    pi_sync_pir_to_irr(VC(1));
    CHECK(hlt(1));
    env_teardown();
}

static void post_vcpu0(void)
{
    pi_post(VC(0), 0x61);
}

TEST(enter_refuses_a_post_that_lands_inside_it)
{
    env_setup(1, 1, "pi_wakeup_vectors=2");
    /*
     * After handle_hlt's look, with the list lock held, before the
     * cmpxchg: the post reads the old NV (posted vector) and notifies it;
     * enter must see its ON and refuse.
     */
    __atomic_fetch_or(&VC(0)->pause_flags, VPF_blocked, __ATOMIC_SEQ_CST);
    REQUIRE(!pi_pending(VC(0)));
    env_lock_hook = post_vcpu0;
    CHECK(!pi_blocked_enter(VC(0)));
    CHECK(env_lock_hook == NULL);           /* it did run */
    CHECK(!blocked_flag(0));
    CHECK(!pi_blocked_on_list(VC(0)));
    CHECK_EQ(total_blocked(0), 0);
    CHECK_EQ(peek_nr_blocked(0), 0);
    CHECK_EQ(nv(0), POSTED_INTR_VECTOR);
    CHECK(!(ctl(0) & PI_SN));
    CHECK(env_notified(0, 0, POSTED_INTR_VECTOR));
    env_teardown();
}

/* --- leaving a list --- */

TEST(leave_after_another_wakeup_removes_the_entry)
{
    env_setup(3, 6, "pi_wakeup_vectors=2");
    REQUIRE(hlt(4));                        /* on pCPU 1 */
    REQUIRE(hlt(1));
    CHECK_EQ(peek_count(1, 0) + peek_count(1, 1), 2);

    /* An INIT/SIPI/NMI kick wakes it: still on the list until it runs. */
    kick(4);
    CHECK_EQ(rec.wake[4], 1);
    CHECK(pi_blocked_on_list(VC(4)));

    /* It runs on pCPU 2: leaves pCPU 1's list from there. */
    switch_to(4, 2);
    CHECK(!pi_blocked_on_list(VC(4)));
    CHECK_EQ(HV(4)->pi_blocked_cpu, -1);
    CHECK_EQ(total_blocked(1), 1);
    CHECK_EQ(peek_nr_blocked(1), 1);
    CHECK_EQ(nv(4), POSTED_INTR_VECTOR);
    CHECK_EQ(ndst(4), ENV_APIC_ID(2));
    CHECK(!(ctl(4) & PI_SN));
    /* Posts now go to it running on pCPU 2. */
    pi_post(VC(4), 0x66);
    CHECK(env_notified(rec.nr_notify - 1, 2, POSTED_INTR_VECTOR));

    /* Again, or for a vCPU on no list: nothing happens. */
    pi_blocked_leave(VC(4));
    pi_blocked_leave(VC(0));
    CHECK_EQ(total_blocked(1), 1);
    CHECK_EQ(peek_nr_blocked(1), 1);

    /* Taken off by the handler first: leave must not remove it again. */
    pi_post(VC(1), 0x67);
    env_interrupt(1, list_vector(1));
    CHECK_EQ(rec.wake[1], 1);
    CHECK_EQ(total_blocked(1), 0);
    switch_to(1, 1);
    CHECK_EQ(total_blocked(1), 0);
    CHECK_EQ(peek_nr_blocked(1), 0);
    CHECK_EQ(nv(1), POSTED_INTR_VECTOR);
    CHECK(!(ctl(1) & PI_SN));
    env_teardown();
}

static unsigned int race_vcpu;

/* The list's pCPU takes the wakeup vector, as it could right then. */
static void handler_now(void)
{
    env_interrupt((unsigned int)HV(race_vcpu)->pi_blocked_cpu,
                  list_vector(race_vcpu));
}

/*
 * leave() has read which list v is on, and the handler takes v off
 * before leave() gets the lock: leave() must see that under the lock and
 * not remove v a second time.
 */
TEST(leave_racing_the_handler_removes_once)
{
    env_setup(2, 4, "pi_wakeup_vectors=1");
    REQUIRE(hlt(1));
    REQUIRE(hlt(3));                        /* both on pCPU 1's list */
    pi_post(VC(1), 0x68);
    kick(1);                                /* and woken another way */
    CHECK_EQ(rec.wake[1], 1);
    race_vcpu = 1;
    env_lock_pre_hook = handler_now;
    switch_to(1, 0);
    CHECK(env_lock_pre_hook == NULL);       /* it did run */
    CHECK_EQ(stats(1, 0).handler_runs, 1);
    CHECK_EQ(stats(1, 0).woken, 1);
    CHECK_EQ(rec.wake[1], 1);               /* VPF_blocked was clear */
    CHECK_EQ(peek_count(1, 0), 1);
    CHECK_EQ(peek_nr_blocked(1), 1);
    CHECK(pi_blocked_on_list(VC(3)));
    CHECK(!pi_blocked_on_list(VC(1)));
    /* The one left is still there and still woken by its post. */
    pi_post(VC(3), 0x69);
    env_interrupt(1, list_vector(3));
    CHECK_EQ(rec.wake[3], 1);
    CHECK_EQ(peek_count(1, 0), 0);
    CHECK_EQ(peek_nr_blocked(1), 0);
    /* And running on pCPU 0 with notifications on. */
    CHECK_EQ(nv(1), POSTED_INTR_VECTOR);
    CHECK_EQ(ndst(1), ENV_APIC_ID(0));
    CHECK(!(ctl(1) & PI_SN));
    env_teardown();
}

/* --- moving a blocked vCPU to another pCPU's list (pinning) --- */

/* vcpu_migrate() for vCPU i, then its architecture hook. */
static bool pin(unsigned int i, unsigned int cpu)
{
    VC(i)->processor = cpu;
    return pi_blocked_move(VC(i), cpu);
}

TEST(move_takes_a_blocked_vcpu_to_a_list_of_its_new_pcpu)
{
    env_setup(3, 6, "pi_wakeup_vectors=2");
    REQUIRE(hlt(4));                        /* pCPU 1, list 0 */
    REQUIRE(hlt(1));                        /* pCPU 1, list 1 */
    REQUIRE(hlt(2));                        /* pCPU 2, list 0 */
    CHECK(pin(4, 2));
    CHECK_EQ(HV(4)->pi_blocked_cpu, 2);
    CHECK_EQ(HV(4)->pi_blocked_index, 1);   /* the least loaded */
    CHECK_EQ(total_blocked(1), 1);
    CHECK_EQ(peek_nr_blocked(1), 1);
    CHECK_EQ(total_blocked(2), 2);
    CHECK_EQ(peek_nr_blocked(2), 2);
    CHECK_EQ(peek_peak_blocked(2), 2);
    CHECK_EQ(nv(4), peek_vector(2, 1));
    CHECK_EQ(ndst(4), ENV_APIC_ID(2));
    CHECK(!(ctl(4) & (PI_SN | PI_ON)));

    /* A post now notifies the new list, whose handler wakes it. */
    pi_post(VC(4), 0x61);
    CHECK(env_notified(rec.nr_notify - 1, 2, peek_vector(2, 1)));
    env_interrupt(2, peek_vector(2, 1));
    CHECK_EQ(rec.wake[4], 1);
    CHECK(!pi_blocked_on_list(VC(4)));
    CHECK_EQ(total_blocked(2), 1);

    /* Nothing to do: on no list, already there, pCPU changed since. */
    CHECK(!pin(0, 1));
    CHECK(!pin(2, 2));
    VC(1)->processor = 0;
    CHECK(!pi_blocked_move(VC(1), 2));
    CHECK_EQ(HV(1)->pi_blocked_cpu, 1);
    CHECK_EQ(nv(1), peek_vector(1, 1));
    CHECK_EQ(ndst(1), ENV_APIC_ID(1));
    env_teardown();
}

TEST(move_leaves_a_posted_vcpu_to_its_old_list)
{
    env_setup(3, 6, "pi_wakeup_vectors=2");
    REQUIRE(hlt(4));
    pi_post(VC(4), 0x62);
    CHECK(env_notified(rec.nr_notify - 1, 1, peek_vector(1, 0)));
    CHECK(!pin(4, 2));
    CHECK_EQ(HV(4)->pi_blocked_cpu, 1);
    CHECK_EQ(nv(4), peek_vector(1, 0));
    CHECK_EQ(ndst(4), ENV_APIC_ID(1));
    CHECK_EQ(total_blocked(2), 0);
    /* The notification already sent wakes it. */
    env_interrupt(1, peek_vector(1, 0));
    CHECK_EQ(rec.wake[4], 1);
    CHECK(!pi_blocked_on_list(VC(4)));
    env_teardown();
}

static void post_vcpu4(void)
{
    pi_post(VC(4), 0x63);
}

/*
 * A post lands inside the move, after its first lock and before the
 * cmpxchg: it reads the old list's vector and pCPU and notifies them.
 * The move must see its ON and leave the vCPU there, or that
 * notification finds nobody and the vCPU sleeps with ON set.
 */
TEST(move_racing_a_post_loses_nothing)
{
    env_setup(3, 6, "pi_wakeup_vectors=2");
    REQUIRE(hlt(4));                        /* pCPU 1 */
    env_lock_hook = post_vcpu4;
    CHECK(!pin(4, 2));
    CHECK(env_lock_hook == NULL);           /* it did run */
    CHECK(env_notified(rec.nr_notify - 1, 1, peek_vector(1, 0)));
    env_interrupt(1, peek_vector(1, 0));
    CHECK_EQ(rec.wake[4], 1);
    CHECK(!pi_blocked_on_list(VC(4)));
    CHECK_EQ(total_blocked(1) + total_blocked(2), 0);
    env_teardown();
}

static void move_vcpu4_to_2(void)
{
    CHECK(pin(4, 2));
}

/*
 * Woken by a kick while on pCPU 1's list, then moved to pCPU 2's between
 * leave()'s look at its fields and its lock: leave() must find it on the
 * new list and take it off there.
 */
TEST(leave_racing_a_move_takes_the_vcpu_off_its_new_list)
{
    env_setup(3, 6, "pi_wakeup_vectors=2");
    REQUIRE(hlt(4));
    kick(4);
    env_lock_pre_hook = move_vcpu4_to_2;
    switch_to(4, 0);
    CHECK(env_lock_pre_hook == NULL);       /* it did run */
    CHECK(!pi_blocked_on_list(VC(4)));
    CHECK_EQ(total_blocked(1), 0);
    CHECK_EQ(total_blocked(2), 0);
    CHECK_EQ(peek_nr_blocked(2), 0);
    CHECK_EQ(nv(4), POSTED_INTR_VECTOR);
    CHECK_EQ(ndst(4), ENV_APIC_ID(0));
    env_teardown();
}

/* --- the dump --- */

TEST(dump_shows_lists_and_counters)
{
    env_setup(2, 6, "pi_wakeup_vectors=2");
    REQUIRE(hlt(0));                        /* list 0 */
    REQUIRE(hlt(2));                        /* list 1 */
    REQUIRE(hlt(4));                        /* list 0 */
    pi_post(VC(2), 0x40);
    env_interrupt(0, peek_vector(0, 1));
    stub_log_clear();
    env_key_handler['i']('i');
    CHECK(stub_log_contains(
        "'i' pressed -> dumping interrupt and wakeup-vector state\n"));
    CHECK(stub_log_contains("PI wakeup vectors: 2 per pCPU"));
    CHECK(stub_log_contains("CPU0: vectors 0xa0-0xa1 blocked 2 peak 3 runs 1 "
                            "scanned 1 woken 1 spurious 0 max_scan 1\n"));
    CHECK(stub_log_contains("  vec 0xa0: blocked 2 [ d1v0 d1v4 ] runs 0 "
                            "scanned 0 woken 0 spurious 0 max_scan 0\n"));
    CHECK(stub_log_contains("  vec 0xa1: blocked 0 [ ] runs 1 scanned 1 "
                            "woken 1 spurious 0 max_scan 1\n"));
    CHECK(stub_log_contains("CPU1: vectors 0xa0-0xa1 blocked 0 peak 0"));
    CHECK(stub_log_contains("  (2 idle lists not shown)\n"));
    CHECK(stub_log_contains("All pCPUs: blocked 2 runs 1 scanned 1 woken 1 "
                            "spurious 0 max_scan 1\n"));
    if ( harness_failures() )
        printf("%s", stub_log());
    env_teardown();
}

/* --- stress: threads playing pCPUs --- */

#define SP_CPUS     3
#define SP_VCPUS    24
#define SP_K        4

enum { VS_RUNNING, VS_QUEUED, VS_BLOCKED };

struct sp_cpu
{
    spinlock_t rq_lock;
    unsigned int rq[SP_VCPUS], rq_head, rq_len;
};

static struct
{
    struct sp_cpu cpu[SP_CPUS];
    bool kicker_on;                         /* the kicker runs */
    bool mover_on;                          /* the mover runs */
    bool stop_posting, stop_cpus, stop_checker;
    unsigned long posts, kicks, kick_wakes, hlts, enters, refused,
                  pending_no_sleep, resumed, blocks, preempts, switches,
                  checks, rq_overflow, move_tries, moves;
    unsigned long violations;
    char first_violation[160];
} sp;

static __thread unsigned int sp_seed;

static unsigned int sp_rnd(void)
{
    sp_seed ^= sp_seed << 13;
    sp_seed ^= sp_seed >> 17;
    sp_seed ^= sp_seed << 5;
    return sp_seed;
}

static void sp_add(unsigned long *c, unsigned long n)
{
    __atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static void sp_violation(const char *fmt, unsigned int a, unsigned int b)
{
    if ( __atomic_fetch_add(&sp.violations, 1, __ATOMIC_SEQ_CST) == 0 )
        snprintf(sp.first_violation, sizeof(sp.first_violation), fmt, a, b);
}

static void rq_push(unsigned int cpu, unsigned int id)
{
    struct sp_cpu *c = &sp.cpu[cpu];
    unsigned long f;

    spin_lock_irqsave(&c->rq_lock, f);
    if ( c->rq_len == SP_VCPUS )
        sp_add(&sp.rq_overflow, 1);
    else
        c->rq[(c->rq_head + c->rq_len++) % SP_VCPUS] = id;
    spin_unlock_irqrestore(&c->rq_lock, f);
}

static int rq_pop(unsigned int cpu)
{
    struct sp_cpu *c = &sp.cpu[cpu];
    unsigned long f;
    int id = -1;

    spin_lock_irqsave(&c->rq_lock, f);
    if ( c->rq_len )
    {
        id = (int)c->rq[c->rq_head];
        c->rq_head = (c->rq_head + 1) % SP_VCPUS;
        c->rq_len--;
    }
    spin_unlock_irqrestore(&c->rq_lock, f);
    return id;
}

/*
 * The vcpu_wake() of the model scheduler: a vCPU descheduled as blocked
 * whose VPF_blocked is clear goes to a runqueue; re-read under its lock,
 * as core.c does.  While its old pCPU still switches it out (is_running)
 * it can only go back there, as in core.c.
 */
static void sp_wake(struct vcpu *v)
{
    struct env_vcpu *e = container_of(v, struct env_vcpu, v);
    unsigned long f;

    spin_lock_irqsave(&e->slock, f);
    if ( e->state == VS_BLOCKED &&
         !(__atomic_load_n(&v->pause_flags, __ATOMIC_SEQ_CST) &
           VPF_blocked) )
    {
        unsigned int target = __atomic_load_n(&e->is_running,
                                              __ATOMIC_ACQUIRE)
                              ? v->processor : sp_rnd() % SP_CPUS;

        e->state = VS_QUEUED;
        v->processor = target;
        rq_push(target, v->vcpu_id);
    }
    spin_unlock_irqrestore(&e->slock, f);
}

/* domain.c's sched_context_switch() for prev, then context_saved(). */
static void sp_switch_out(struct env_vcpu *e)
{
    if ( !pi_blocked_on_list(&e->v) )
        pi_set_not_running(&e->v);
    __atomic_store_n(&e->is_running, false, __ATOMIC_RELEASE);
}

static void sp_preempt(unsigned int cpu, struct env_vcpu *e)
{
    unsigned long f;

    (void)cpu;
    sp_switch_out(e);
    spin_lock_irqsave(&e->slock, f);
    e->state = VS_QUEUED;
    e->v.processor = sp_rnd() % SP_CPUS;
    rq_push(e->v.processor, e->v.vcpu_id);
    spin_unlock_irqrestore(&e->slock, f);
    sp_add(&sp.preempts, 1);
}

static void sp_post_random(void)
{
    unsigned int id = sp_rnd() % SP_VCPUS;

    pi_post(VC(id), 0x20 + sp_rnd() % 0xe0);
    sp_add(&sp.posts, 1);
}

/* hvm_vcpu_run() and handle_hlt() for vCPU e on pCPU cpu. */
static void sp_run(unsigned int cpu, struct env_vcpu *e)
{
    struct vcpu *v = &e->v;
    unsigned long f;

    for ( ; ; )
    {
        env_deliver(cpu);
        if ( __atomic_load_n(&sp.stop_cpus, __ATOMIC_RELAXED) )
        {
            sp_preempt(cpu, e);
            return;
        }

        /* The entry: back from a HLT that blocked, then the sync. */
        if ( e->since_entry )
        {
            e->since_entry = false;
            pi_blocked_leave(v);
            pi_set_running(v, cpu);
            if ( pi_blocked_on_list(v) )
                sp_violation("vCPU %u resumes on pCPU %u still on a list",
                             v->vcpu_id, cpu);
        }
        pi_sync_pir_to_irr(v);
        for ( unsigned int w = 0; w < 8; w++ )
            *(u32 *)(e->h.vlapic.regs + 0x200 + w * 0x10) = 0;

        /* The guest: sends an IPI now and then, or is preempted. */
        if ( !__atomic_load_n(&sp.stop_posting, __ATOMIC_RELAXED) &&
             sp_rnd() % 4 == 0 )
            sp_post_random();
        if ( sp_rnd() % 32 == 0 )
        {
            sp_preempt(cpu, e);
            return;
        }

        /* HLT. */
        sp_add(&sp.hlts, 1);
        __atomic_fetch_or(&v->pause_flags, VPF_blocked, __ATOMIC_SEQ_CST);
        if ( pi_pending(v) )
        {
            __atomic_fetch_and(&v->pause_flags, ~VPF_blocked,
                               __ATOMIC_SEQ_CST);
            sp_add(&sp.pending_no_sleep, 1);
            continue;
        }
        /* A pCPU can be slow here too: widen the window for posts. */
        if ( sp_rnd() % 8 == 0 )
            sched_yield();
        if ( !pi_blocked_enter(v) )
        {
            if ( blocked_flag(v->vcpu_id) )
                sp_violation("vCPU %u: refused with VPF_blocked set%u",
                             v->vcpu_id, 0);
            sp_add(&sp.refused, 1);
            continue;
        }
        sp_add(&sp.enters, 1);
        e->since_entry = true;

        /* Interrupts may come in before the scheduler runs. */
        if ( sp_rnd() % 2 )
            env_deliver(cpu);

        /* vcpu_sleep_nosync() and schedule(). */
        spin_lock_irqsave(&e->slock, f);
        if ( __atomic_load_n(&v->pause_flags, __ATOMIC_SEQ_CST) &
             VPF_blocked )
        {
            e->state = VS_BLOCKED;
            spin_unlock_irqrestore(&e->slock, f);
            sp_switch_out(e);
            sp_add(&sp.blocks, 1);
            return;
        }
        spin_unlock_irqrestore(&e->slock, f);
        /* Woken already: picked again at once, or preempted. */
        sp_add(&sp.resumed, 1);
        if ( sp_rnd() % 4 == 0 )
        {
            sp_preempt(cpu, e);
            return;
        }
    }
}

static void *sp_cpu_main(void *arg)
{
    unsigned int cpu = (unsigned int)(uintptr_t)arg;

    env_cpu = cpu;
    env_irq_on = true;
    sp_seed = 0x2545f491u * (cpu + 1);
    while ( !__atomic_load_n(&sp.stop_cpus, __ATOMIC_SEQ_CST) )
    {
        struct env_vcpu *e;
        unsigned long f;
        int id;

        env_deliver(cpu);
        id = rq_pop(cpu);
        if ( id < 0 )
        {
            sched_yield();
            continue;
        }
        e = &env_vcpus[id];
        if ( __atomic_load_n(&e->is_running, __ATOMIC_ACQUIRE) )
            sp_violation("vCPU %u picked while running (cpu %u)", id, cpu);
        spin_lock_irqsave(&e->slock, f);
        e->state = VS_RUNNING;
        __atomic_store_n(&e->is_running, true, __ATOMIC_RELAXED);
        e->v.processor = cpu;
        spin_unlock_irqrestore(&e->slock, f);
        /* sched_context_switch() for next. */
        pi_blocked_leave(&e->v);
        pi_set_running(&e->v, cpu);
        /* Only its own HLT puts it on a list again. */
        if ( pi_blocked_on_list(&e->v) )
            sp_violation("vCPU %u runs on pCPU %u still on a list", id, cpu);
        sp_add(&sp.switches, 1);
        sp_run(cpu, e);
    }
    return NULL;
}

static void *sp_poster(void *arg)
{
    (void)arg;
    sp_seed = 0x9e3779b9u;
    while ( !__atomic_load_n(&sp.stop_posting, __ATOMIC_SEQ_CST) )
    {
        sp_post_random();
        /* Not so fast that every vCPU always has ON set already. */
        for ( unsigned int d = sp_rnd() % 32; d; d-- )
            cpu_relax();
        /* Leave the host's CPUs to lock holders now and then. */
        if ( sp_rnd() % 1024 == 0 )
            sched_yield();
    }
    return NULL;
}

static void *sp_kicker(void *arg)
{
    (void)arg;
    sp_seed = 0x85ebca6bu;
    while ( !__atomic_load_n(&sp.stop_posting, __ATOMIC_SEQ_CST) )
    {
        unsigned int id = sp_rnd() % SP_VCPUS;

        if ( __atomic_fetch_and(&VC(id)->pause_flags, ~VPF_blocked,
                                __ATOMIC_SEQ_CST) & VPF_blocked )
        {
            vcpu_wake(VC(id));
            sp_add(&sp.kick_wakes, 1);
        }
        sp_add(&sp.kicks, 1);
        for ( unsigned int d = sp_rnd() % 200; d; d-- )
            cpu_relax();
        if ( sp_rnd() % 64 == 0 )
            sched_yield();
    }
    return NULL;
}

/*
 * Pinning (core.c's vcpu_set_hard_affinity() and vcpu_migrate(), then
 * the architecture's hook): a vCPU descheduled as blocked, off its pCPU
 * (not is_running), changes pCPU under its scheduling lock, then, with
 * no lock held, its wakeup list follows it.  Posts, handlers, kicks and
 * leaves race with every step.
 */
static void *sp_mover(void *arg)
{
    (void)arg;
    sp_seed = 0x27d4eb2fu;
    while ( !__atomic_load_n(&sp.stop_posting, __ATOMIC_SEQ_CST) )
    {
        unsigned int id = sp_rnd() % SP_VCPUS, target = SP_CPUS;
        struct env_vcpu *e = &env_vcpus[id];
        unsigned long f;

        spin_lock_irqsave(&e->slock, f);
        if ( e->state == VS_BLOCKED &&
             !__atomic_load_n(&e->is_running, __ATOMIC_ACQUIRE) )
        {
            target = (e->v.processor + 1 + sp_rnd() % (SP_CPUS - 1)) %
                     SP_CPUS;
            WRITE_ONCE(e->v.processor, target);
        }
        spin_unlock_irqrestore(&e->slock, f);
        if ( target < SP_CPUS )
        {
            sp_add(&sp.move_tries, 1);
            if ( pi_blocked_move(&e->v, target) )
                sp_add(&sp.moves, 1);
        }
        for ( unsigned int d = sp_rnd() % 200; d; d-- )
            cpu_relax();
        if ( sp_rnd() % 64 == 0 )
            sched_yield();
    }
    return NULL;
}

/*
 * With every list lock held: each vCPU is on at most one list; an entry's
 * fields name its list; its descriptor notifies that list's vector at
 * that list's pCPU (NV, NDST, SN = 0); a vCPU on no list says so; each
 * count is its list's length.
 */
static void sp_check_lists(void)
{
    unsigned int seen[SP_VCPUS] = { 0 };
    struct vcpu *ents[SP_VCPUS + 1];

    for ( unsigned int c = 0; c < SP_CPUS; c++ )
        for ( unsigned int l = 0; l < SP_K; l++ )
        {
            unsigned int n = peek_entries(c, l, ents, SP_VCPUS + 1);

            if ( n != peek_count(c, l) )
                sp_violation("list %u/%u: count differs from length", c, l);
            for ( unsigned int k = 0; k < n && k <= SP_VCPUS; k++ )
            {
                unsigned int id = ents[k]->vcpu_id;

                seen[id]++;
                if ( HV(id)->pi_blocked_cpu != (int)c ||
                     HV(id)->pi_blocked_index != (int)l )
                    sp_violation("vCPU %u: fields name another list "
                                 "than %u", id, c * SP_K + l);
                if ( nv(id) != peek_vector(c, l) )
                    sp_violation("vCPU %u: NV is not its list's (%u)", id,
                                 nv(id));
                if ( ndst(id) != ENV_APIC_ID(c) || (ctl(id) & PI_SN) )
                    sp_violation("vCPU %u: NDST/SN wrong for pCPU %u", id,
                                 c);
            }
        }
    for ( unsigned int id = 0; id < SP_VCPUS; id++ )
    {
        if ( seen[id] > 1 )
            sp_violation("vCPU %u on %u lists", id, seen[id]);
        if ( !seen[id] && HV(id)->pi_blocked_cpu != -1 )
            sp_violation("vCPU %u on no list, fields say %u", id,
                         (unsigned int)HV(id)->pi_blocked_cpu);
    }
}

static void *sp_checker(void *arg)
{
    (void)arg;
    while ( !__atomic_load_n(&sp.stop_checker, __ATOMIC_SEQ_CST) )
    {
        unsigned long f;

        local_irq_save(f);
        peek_lock_all(SP_CPUS);
        sp_check_lists();
        peek_unlock_all(SP_CPUS);
        local_irq_restore(f);
        sp_add(&sp.checks, 1);
        usleep(1000);
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool sp_enough(void)
{
    /* Without kicks, only a post in a short window resumes a vCPU. */
    return __atomic_load_n(&sp.refused, __ATOMIC_RELAXED) >= 20 &&
           (!sp.kicker_on ||
            (__atomic_load_n(&sp.resumed, __ATOMIC_RELAXED) >= 20 &&
             __atomic_load_n(&sp.kick_wakes, __ATOMIC_RELAXED) >= 100)) &&
           (!sp.mover_on ||
            __atomic_load_n(&sp.moves, __ATOMIC_RELAXED) >= 1000) &&
           __atomic_load_n(&sp.blocks, __ATOMIC_RELAXED) >= 10000 &&
           __atomic_load_n(&sp.checks, __ATOMIC_RELAXED) >= 100;
}

static bool sp_quiescent(void)
{
    for ( unsigned int c = 0; c < SP_CPUS; c++ )
        if ( env_pending(c) || __atomic_load_n(&sp.cpu[c].rq_len,
                                               __ATOMIC_SEQ_CST) )
            return false;
    for ( unsigned int id = 0; id < SP_VCPUS; id++ )
        if ( __atomic_load_n(&env_vcpus[id].state, __ATOMIC_SEQ_CST) !=
             VS_BLOCKED ||
             __atomic_load_n(&env_vcpus[id].is_running, __ATOMIC_SEQ_CST) )
            return false;
    return true;
}

/*
 * SP_CPUS threads play pCPUs running SP_VCPUS vCPUs under a model of the
 * scheduler (runqueues, vcpu_wake, the context switch as domain.c does
 * it, the HLT path as hvm.c does it, with the real pi.c/pi_blocked.c);
 * a poster thread and the running vCPUs post interrupts, a kicker (if
 * 'kicks') wakes vCPUs the other way (INIT/SIPI/NMI), a checker holds
 * every list lock now and then and checks the lists, a mover (if
 * 'moves') pins blocked vCPUs to other pCPUs, moving them between the
 * pCPUs' lists.  Notifications wait
 * on their target pCPU until its thread takes them.  Then posting stops,
 * and every vCPU must end blocked with nothing posted (no lost wakeup: a
 * vCPU left blocked with ON set was never woken) on exactly the list its
 * NV names.
 */
static void sp_stress(bool kicks, bool moves)
{
    pthread_t cpus[SP_CPUS], poster, kicker, mover, checker;
    const char *secs_env = getenv("PI_BLOCKED_STRESS_SECONDS");
    double secs = secs_env ? atof(secs_env) : 2.0, t0, ran;
    unsigned long woken = 0, runs = 0, spurious = 0, max_scan = 0;
    unsigned int lost = 0, quiet_rounds = 0;
    bool quiet = false;

    env_setup(SP_CPUS, SP_VCPUS, "pi_wakeup_vectors=4");
    memset(&sp, 0, sizeof(sp));
    sp.kicker_on = kicks;
    sp.mover_on = moves;
    env_queue_notifications = true;
    env_wake_hook = sp_wake;
    for ( unsigned int c = 0; c < SP_CPUS; c++ )
        spin_lock_init(&sp.cpu[c].rq_lock);
    /* Everyone starts runnable, queued on its own pCPU. */
    for ( unsigned int id = 0; id < SP_VCPUS; id++ )
    {
        env_vcpus[id].state = VS_QUEUED;
        VC(id)->processor = id % SP_CPUS;
        pi_set_not_running(VC(id));
        rq_push(id % SP_CPUS, id);
    }

    for ( unsigned int c = 0; c < SP_CPUS; c++ )
        REQUIRE_EQ(pthread_create(&cpus[c], NULL, sp_cpu_main,
                                  (void *)(uintptr_t)c), 0);
    REQUIRE_EQ(pthread_create(&poster, NULL, sp_poster, NULL), 0);
    if ( kicks )
        REQUIRE_EQ(pthread_create(&kicker, NULL, sp_kicker, NULL), 0);
    if ( moves )
        REQUIRE_EQ(pthread_create(&mover, NULL, sp_mover, NULL), 0);
    REQUIRE_EQ(pthread_create(&checker, NULL, sp_checker, NULL), 0);

    /*
     * The time asked for, and on a slow or busy host up to four times
     * that until every path below has been taken often enough to count.
     */
    t0 = now_s();
    while ( now_s() - t0 < secs ||
            (now_s() - t0 < 4 * secs && !sp_enough()) )
        usleep(20000);
    ran = now_s() - t0;
    __atomic_store_n(&sp.stop_posting, true, __ATOMIC_SEQ_CST);
    pthread_join(poster, NULL);
    if ( kicks )
        pthread_join(kicker, NULL);
    if ( moves )
        pthread_join(mover, NULL);

    /* Drain: every vCPU runs out of work and blocks. */
    t0 = now_s();
    while ( now_s() - t0 < 10.0 )
    {
        quiet_rounds = sp_quiescent() ? quiet_rounds + 1 : 0;
        if ( quiet_rounds == 5 )
        {
            quiet = true;
            break;
        }
        usleep(10000);
    }
    __atomic_store_n(&sp.stop_cpus, true, __ATOMIC_SEQ_CST);
    for ( unsigned int c = 0; c < SP_CPUS; c++ )
        pthread_join(cpus[c], NULL);
    __atomic_store_n(&sp.stop_checker, true, __ATOMIC_SEQ_CST);
    pthread_join(checker, NULL);

    CHECK(quiet);
    CHECK_EQ(sp.violations, 0);
    if ( sp.violations )
        printf("  %lu violations, first: %s\n", sp.violations,
               sp.first_violation);
    CHECK_EQ(sp.rq_overflow, 0);

    /* At quiescence (before the stop preempted them all). */
    if ( quiet )
    {
        sp_check_lists();
        CHECK_EQ(sp.violations, 0);
    }
    for ( unsigned int id = 0; id < SP_VCPUS; id++ )
    {
        /* Quiet: every vCPU blocked, on a list (checked above: its NV's). */
        if ( quiet )
            CHECK(pi_blocked_on_list(VC(id)));
        if ( pi_pending(VC(id)) && pi_blocked_on_list(VC(id)) )
        {
            if ( !lost )
                printf("  vCPU %u left blocked with an interrupt posted "
                       "(control %#llx)\n", id,
                       (unsigned long long)ctl(id));
            lost++;
        }
    }
    CHECK_EQ(lost, 0);

    for ( unsigned int c = 0; c < SP_CPUS; c++ )
    {
        unsigned int peak = peek_peak_blocked(c);

        for ( unsigned int l = 0; l < SP_K; l++ )
        {
            struct pi_wakeup_stats s = stats(c, l);

            woken += s.woken;
            runs += s.handler_runs;
            spurious += s.spurious;
            max_scan = max(max_scan, (unsigned long)s.max_scan);
            /*
             * Least-loaded placement bounds every scan.  Not with moves:
             * a move to another pCPU can join a list that pCPU's own
             * HLT picked at the same time (pi_blocked.c's
             * least_loaded()).
             */
            if ( !moves )
                CHECK(s.max_scan <= DIV_ROUND_UP(peak, SP_K));
        }
    }

    printf("  %.1f s: %lu posts, %lu HLTs, %lu blocked (%lu refused with "
           "ON set, %lu saw it pending), %lu resumed before descheduling, "
           "%lu kick wakeups; handler: %lu runs, %lu woken, %lu spurious, "
           "max scan %lu; %lu context switches, %lu list checks, "
           "%lu of %lu moves done\n",
           ran, sp.posts, sp.hlts, sp.blocks, sp.refused,
           sp.pending_no_sleep, sp.resumed, sp.kick_wakes, runs, woken,
           spurious, max_scan, sp.switches, sp.checks, sp.moves,
           sp.move_tries);

    /* Every path was taken, or the test proved nothing. */
    CHECK(sp_enough());
    CHECK(sp.posts >= 100000);
    CHECK(woken >= 1000);
    /* Entries that left by pi_blocked_leave (after kicks). */
    if ( kicks )
        CHECK(sp.enters > woken + SP_VCPUS);
    env_wake_hook = NULL;
    env_queue_notifications = false;
    env_teardown();
}

/*
 * Only posts wake vCPUs: a lost wakeup (a vCPU blocked with ON set and no
 * notification on its way) stays lost, as later posts find ON set.
 */
TEST(stress_posts_against_blocking)
{
    sp_stress(false, false);
}

/* With kicks too: vCPUs leave lists through pi_blocked_leave. */
TEST(stress_posts_against_blocking_and_other_wakeups)
{
    sp_stress(true, false);
}

/*
 * Pinning too: blocked vCPUs move between the pCPUs' lists while posts
 * (and their notifications), handlers and HLTs race with the moves.
 */
TEST(stress_posts_against_blocking_and_moves)
{
    sp_stress(false, true);
}

/* Moves with kicks: leaves race with moves as well. */
TEST(stress_posts_against_moves_and_other_wakeups)
{
    sp_stress(true, true);
}

/*
 * The scan bound at 128 blocked vCPUs under concurrent posts: a poster
 * thread posts to random vCPUs of 1..128 while this thread plays the one
 * pCPU, taking the wakeup vectors as they arrive and letting each vCPU
 * they woke run (its interrupt moved to the vLAPIC) and halt again.  No
 * handler run may scan more than ceil(128 / K) entries.
 */
#define SB_VCPUS    128

static struct
{
    unsigned int woken[SB_VCPUS];   /* by this pCPU's handler, in turn */
    unsigned int nr_woken;
    unsigned long wakes;
    bool stop;
    unsigned long posts;
} sb;

/* In the handler, on the pCPU's thread: queue the vCPU to run. */
static void sb_wake(struct vcpu *v)
{
    REQUIRE(sb.nr_woken < SB_VCPUS);
    sb.woken[sb.nr_woken++] = v->vcpu_id;
    sb.wakes++;
}

static void *sb_poster(void *arg)
{
    (void)arg;
    sp_seed = 0x51ed270bu;
    while ( !__atomic_load_n(&sb.stop, __ATOMIC_SEQ_CST) )
    {
        pi_post(VC(1 + sp_rnd() % SB_VCPUS), 0x41);
        __atomic_fetch_add(&sb.posts, 1, __ATOMIC_RELAXED);
        for ( unsigned int d = sp_rnd() % 64; d; d-- )
            cpu_relax();
        if ( sp_rnd() % 256 == 0 )
            sched_yield();
    }
    return NULL;
}

/* Run the woken vCPUs until each has blocked again. */
static void sb_run_woken(void)
{
    while ( sb.nr_woken )
    {
        unsigned int i = sb.woken[--sb.nr_woken];

        switch_to(i, 0);
        do
            pi_sync_pir_to_irr(VC(i));
        while ( !hlt(i) );
    }
}

static void scan_bound_under_posts(const char *cmdline, unsigned int k)
{
    const unsigned int bound = (SB_VCPUS + k - 1) / k;
    unsigned long runs = 0, woken = 0, scanned = 0, max_scan = 0;
    pthread_t poster;
    double t0;

    env_setup(1, SB_VCPUS + 1, cmdline);
    REQUIRE_EQ(pi_wakeup_vectors(), k);
    memset(&sb, 0, sizeof(sb));
    env_queue_notifications = true;
    env_wake_hook = sb_wake;
    for ( unsigned int i = 1; i <= SB_VCPUS; i++ )
        REQUIRE(hlt(i));
    REQUIRE_EQ(pthread_create(&poster, NULL, sb_poster, NULL), 0);
    /* Half a second, and on a busy host up to 4 s for 1000 wakes. */
    t0 = now_s();
    while ( now_s() - t0 < 0.5 ||
            (now_s() - t0 < 4.0 && sb.wakes < 1000) )
    {
        env_deliver(0);
        sb_run_woken();
    }
    __atomic_store_n(&sb.stop, true, __ATOMIC_SEQ_CST);
    REQUIRE_EQ(pthread_join(poster, NULL), 0);
    /* What is still on its way. */
    while ( env_pending(0) || sb.nr_woken )
    {
        env_deliver(0);
        sb_run_woken();
    }

    CHECK_EQ(peek_nr_blocked(0), SB_VCPUS);
    CHECK_EQ(peek_peak_blocked(0), SB_VCPUS);
    for ( unsigned int l = 0; l < k; l++ )
    {
        struct pi_wakeup_stats s = stats(0, l);

        runs += s.handler_runs;
        woken += s.woken;
        scanned += s.entries_scanned;
        max_scan = max(max_scan, (unsigned long)s.max_scan);
        CHECK(s.max_scan <= bound);
    }
    /* Every vCPU ends blocked with nothing posted: no wakeup lost. */
    for ( unsigned int i = 1; i <= SB_VCPUS; i++ )
        CHECK(!pi_pending(VC(i)) && pi_blocked_on_list(VC(i)));
    CHECK(runs >= 100 && woken == sb.wakes);
    printf("  K %u: %lu posts, %lu handler runs, %lu woken, %lu scanned, "
           "max scan %lu (bound %u)\n", k, sb.posts, runs, woken, scanned,
           max_scan, bound);
    env_wake_hook = NULL;
    env_queue_notifications = false;
    env_teardown();
}

TEST(stress_scan_bound_at_128_blocked_under_posts)
{
    scan_bound_under_posts(NULL, 160);
    scan_bound_under_posts("pi_wakeup_vectors=max", 176);
    scan_bound_under_posts("pi_wakeup_vectors=16", 16);
}

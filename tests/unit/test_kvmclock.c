/*
 * Tests for KVM's paravirtual clock and steal time (kvmclock.c,
 * pvclock.c, steal_time.c): the TSC-to-ns arithmetic against 128-bit
 * reference arithmetic, the version protocol (observed at every write to
 * guest memory), MSR validation for every kind of bad address, the
 * stable flag and cross-vCPU consistency, the wall clock, and steal-time
 * accounting from the runstate.  Guest RAM, the clock and the domain
 * binding come from the platform doubles.
 */
#include <stdio.h>
#include <stdlib.h>

#include <xen/lib.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/time.h>
#include <xen/wallclock.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/msr.h>
#include <asm/hvm/kvmclock.h>
#include <asm/hvm/pv_eoi.h>

#include "harness.h"
#include "stubs.h"
#include "doubles.h"

#define RAM_BYTES   (64 * PAGE_SIZE)
#define HOLE_GFN    40          /* an unpopulated frame below RAM's end */
#define CLOCK_GPA   0x3000ULL
#define STEAL_GPA   0x5040ULL
#define WALL_GPA    0x6000ULL

/* --- what kvmclock.c and steal_time.c call outside themselves --- */

u64 cpu_khz = 2598766;
static bool pv_eoi_on;
static s_time_t runnable_ns[2];
static unsigned int runstate_calls;

bool pv_eoi_offered(void)
{
    return pv_eoi_on;
}

/* kvm_hypercall.c's, which this suite does not link. */
static bool pv_send_ipi_on;

bool pv_send_ipi_offered(void)
{
    return pv_send_ipi_on;
}

void vcpu_runstate_get(const struct vcpu *v, struct vcpu_runstate_info *r)
{
    memset(r, 0, sizeof(*r));
    r->time[RUNSTATE_runnable] = runnable_ns[v->vcpu_id];
    runstate_calls++;
}

/* --- a domain with two vCPUs over fake RAM --- */

static struct domain dom;
static struct vcpu vcpus[2];
static struct vcpu *vcpu_ptrs[2];
static struct hvm_vcpu hvcpu[2];
static struct hvm_domain *hvm;

static void setup(void)
{
    stub_reset();
    fake_reset_all();
    fake_ram_reset(RAM_BYTES);
    REQUIRE_EQ(p2m_populate(&dom, 0, HOLE_GFN), 0);
    REQUIRE_EQ(p2m_populate(&dom, HOLE_GFN + 1,
                            RAM_BYTES / PAGE_SIZE - HOLE_GFN - 1), 0);
    free(hvm);
    hvm = calloc(1, sizeof(*hvm));
    REQUIRE(hvm);
    memset(&dom, 0, sizeof(dom));
    memset(vcpus, 0, sizeof(vcpus));
    memset(hvcpu, 0, sizeof(hvcpu));
    dom.max_vcpus = 2;
    dom.vcpu = vcpu_ptrs;
    fake_hvm_bind(&dom, hvm);
    fake_set_now(SECONDS(3));
    wallclock_set(1796491892ULL, SECONDS(1));
    runnable_ns[0] = runnable_ns[1] = 0;
    pv_eoi_on = false;
    for ( unsigned int i = 0; i < 2; i++ )
    {
        vcpu_ptrs[i] = &vcpus[i];
        vcpus[i].vcpu_id = i;
        vcpus[i].domain = &dom;
        vcpus[i].hvm = &hvcpu[i];
        /* As hvm_vcpu_initialise(): every vCPU copies vCPU 0's offset. */
        hvcpu[i].tsc_offset = -123456789ULL;
        kvmclock_vcpu_init(&vcpus[i]);
    }
}

static struct pvclock_vcpu_time_info *clock_at(u64 gpa)
{
    return (struct pvclock_vcpu_time_info *)(fake_ram() + gpa);
}

/* kvmclock as the guest computes it at host TSC 'host', on vCPU i. */
static u64 guest_ns(unsigned int i, u64 gpa, u64 host)
{
    const struct pvclock_vcpu_time_info *p = clock_at(gpa);
    u64 tsc = host + hvcpu[i].tsc_offset;

    return p->system_time + pvclock_scale_delta(tsc - p->tsc_timestamp,
                                                p->tsc_to_system_mul,
                                                p->tsc_shift);
}

/* --- the arithmetic --- */

TEST(pvclock_scale_matches_128bit_reference)
{
    static const u64 khz[] = { 1000000, 2598766, 2000000, 999999, 1000001,
                               3999999, 100000, 12345678, 1193, 4294967 };
    static const u64 secs[] = { 0, 1, 7, 3600, 86400 * 30 };

    for ( unsigned int i = 0; i < ARRAY_SIZE(khz); i++ )
    {
        u32 mul;
        s8 shift;

        pvclock_scale_for_khz(khz[i], &mul, &shift);
        /* All 32 bits of mul carry precision. */
        CHECK(mul >= 0x80000000u);
        for ( unsigned int j = 0; j < ARRAY_SIZE(secs); j++ )
            for ( u64 extra = 0; extra < 3; extra++ )
            {
                u64 delta = secs[j] * khz[i] * 1000 + extra * 12345;
                u64 ref = (u64)((unsigned __int128)delta * 1000000 / khz[i]);
                u64 got = pvclock_scale_delta(delta, mul, shift);
                u64 tol = ref / (1ULL << 29) + 2;

                if ( got > ref + tol || got + tol < ref )
                    harness_fail(__FILE__, __LINE__, false,
                                 "%llu kHz, delta %llu: %llu ns, want %llu",
                                 (unsigned long long)khz[i],
                                 (unsigned long long)delta,
                                 (unsigned long long)got,
                                 (unsigned long long)ref);
            }
    }
}

TEST(pvclock_scale_shift_sides)
{
    u32 mul;
    s8 shift;

    /* 2.6 GHz: halve the delta first; 100 MHz: multiply it by 16. */
    pvclock_scale_for_khz(2598766, &mul, &shift);
    CHECK_EQ(shift, -1);
    pvclock_scale_for_khz(100000, &mul, &shift);
    CHECK_EQ(shift, 4);
    /* Exactly 1 GHz: 1 ns a tick. */
    pvclock_scale_for_khz(1000000, &mul, &shift);
    CHECK_EQ(pvclock_scale_delta(123456789, mul, shift), 123456789);
    CHECK(pvclock_in_one_page(0x1fe0, 32));
    CHECK(!pvclock_in_one_page(0x1ff0, 32));
    CHECK(!pvclock_in_one_page(0x1000, 0));
}

/* --- the version protocol --- */

static unsigned int body_writes, body_writes_even;

static void watch_clock(u64 gpa, size_t len)
{
    /* A write to the fields (not the version) must see an odd version. */
    if ( gpa >= CLOCK_GPA + 8 && gpa < CLOCK_GPA + 32 )
    {
        body_writes++;
        if ( !(clock_at(CLOCK_GPA)->version & 1) )
            body_writes_even++;
    }
    (void)len;
}

TEST(clock_version_protocol)
{
    struct pvclock_vcpu_time_info *p;
    u32 v;

    setup();
    fake_ram_write_hook(watch_clock);
    CHECK_EQ(kvm_time_msr_write(&vcpus[0], MSR_KVM_SYSTEM_TIME_NEW,
                               CLOCK_GPA | 1), MSR_OK);
    p = clock_at(CLOCK_GPA);
    CHECK(p->version && !(p->version & 1));
    CHECK(body_writes >= 1);
    CHECK_EQ(body_writes_even, 0);
    CHECK(p->flags & PVCLOCK_TSC_STABLE_BIT);
    CHECK_EQ(p->system_time, 0);
    /* The epoch is vCPU 0's creation: guest TSC 0 there. */
    CHECK_EQ(p->tsc_timestamp, 0);
    v = p->version;
    /* Every schedule-in rewrites it, two versions on. */
    kvm_pv_switch_in(&vcpus[0]);
    CHECK_EQ(p->version, v + 2);
    kvm_pv_switch_in(&vcpus[0]);
    CHECK_EQ(p->version, v + 4);
    CHECK_EQ(body_writes_even, 0);
    /* Nothing changed: no rewrite before an entry. */
    kvmclock_before_entry(&vcpus[0]);
    CHECK_EQ(p->version, v + 4);
    CHECK_EQ(fake_ram_bad_accesses(), 0);
}

/* --- MSR validation --- */

static void expect_inactive(u64 val)
{
    unsigned int writes;
    u64 back = 0;

    setup();
    writes = fake_ram_writes();
    CHECK_EQ(kvm_time_msr_write(&vcpus[0], MSR_KVM_SYSTEM_TIME_NEW, val),
             MSR_OK);
    CHECK_EQ(kvm_time_msr_read(&vcpus[0], MSR_KVM_SYSTEM_TIME_NEW, &back),
             MSR_OK);
    CHECK_EQ(back, val);
    CHECK(!hvcpu[0].kvm_pv.clock_active);
    /* Later updates write nothing either. */
    kvm_pv_switch_in(&vcpus[0]);
    kvmclock_tsc_changed(&vcpus[0]);
    kvmclock_before_entry(&vcpus[0]);
    CHECK_EQ(fake_ram_writes(), writes);
    CHECK_EQ(fake_ram_bad_accesses(), 0);
}

TEST(clock_bad_addresses_are_never_written)
{
    expect_inactive(RAM_BYTES | 1);                     /* beyond RAM */
    expect_inactive((RAM_BYTES - 16) | 1);              /* crosses RAM's end */
    expect_inactive(((u64)HOLE_GFN << PAGE_SHIFT) | 1); /* a hole (MMIO) */
    expect_inactive(0xfee00000ULL | 1);                 /* the LAPIC page */
    expect_inactive((CLOCK_GPA + PAGE_SIZE - 16) | 1);  /* crosses a page */
    expect_inactive((CLOCK_GPA + 2) | 1);               /* misaligned */
    expect_inactive((1ULL << 52) | CLOCK_GPA | 1);      /* above MAXPHYADDR */
    expect_inactive(~0ULL);                             /* all bits */
    expect_inactive(CLOCK_GPA);                         /* not enabled */
}

TEST(clock_disable_stops_updates)
{
    unsigned int writes;

    setup();
    CHECK_EQ(kvm_time_msr_write(&vcpus[0], MSR_KVM_SYSTEM_TIME_NEW,
                               CLOCK_GPA | 1), MSR_OK);
    CHECK(hvcpu[0].kvm_pv.clock_active);
    CHECK_EQ(kvm_time_msr_write(&vcpus[0], MSR_KVM_SYSTEM_TIME_NEW,
                               CLOCK_GPA), MSR_OK);
    writes = fake_ram_writes();
    kvm_pv_switch_in(&vcpus[0]);
    CHECK_EQ(fake_ram_writes(), writes);
}

TEST(init_turns_both_off)
{
    unsigned int writes;
    u64 back;

    setup();
    kvm_time_msr_write(&vcpus[1], MSR_KVM_SYSTEM_TIME_NEW, CLOCK_GPA | 1);
    kvm_time_msr_write(&vcpus[1], MSR_KVM_STEAL_TIME, STEAL_GPA | 1);
    kvm_pv_vcpu_reset(&vcpus[1]);
    writes = fake_ram_writes();
    vcpus[1].runstate.state = RUNSTATE_runnable;
    kvm_pv_switch_out(&vcpus[1]);
    kvm_pv_switch_in(&vcpus[1]);
    CHECK_EQ(fake_ram_writes(), writes);
    kvm_time_msr_read(&vcpus[1], MSR_KVM_SYSTEM_TIME_NEW, &back);
    CHECK_EQ(back, 0);
    kvm_time_msr_read(&vcpus[1], MSR_KVM_STEAL_TIME, &back);
    CHECK_EQ(back, 0);
}

TEST(unknown_kvm_msr_is_gp)
{
    u64 val;

    setup();
    CHECK_EQ(kvm_time_msr_write(&vcpus[0], 0x4b564d02, 1), MSR_GP);
    CHECK_EQ(kvm_time_msr_read(&vcpus[0], 0x4b564d05, &val), MSR_GP);
    CHECK(!is_kvm_time_msr(MSR_KVM_PV_EOI_EN));
    CHECK(is_kvm_time_msr(MSR_KVM_STEAL_TIME));
}

/* --- stable flag and consistency --- */

TEST(clock_consistent_across_vcpus_and_tsc_writes)
{
    const u64 gpa1 = CLOCK_GPA + 0x40;
    u64 host = 987654321012ULL;

    setup();
    kvm_time_msr_write(&vcpus[0], MSR_KVM_SYSTEM_TIME_NEW, CLOCK_GPA | 1);
    kvm_time_msr_write(&vcpus[1], MSR_KVM_SYSTEM_TIME_NEW, gpa1 | 1);
    CHECK(kvmclock_stable(&dom));
    CHECK_EQ(guest_ns(0, CLOCK_GPA, host), guest_ns(1, gpa1, host));

    /* vCPU 1 moves its TSC: its copy follows, the clock does not move. */
    hvcpu[1].tsc_offset += 5000000000ULL;
    kvmclock_tsc_changed(&vcpus[1]);
    CHECK(!kvmclock_stable(&dom));
    kvmclock_before_entry(&vcpus[1]);
    CHECK(!(clock_at(gpa1)->flags & PVCLOCK_TSC_STABLE_BIT));
    CHECK_EQ(guest_ns(0, CLOCK_GPA, host), guest_ns(1, gpa1, host));
    /* vCPU 0's copy drops the flag at its next entry. */
    CHECK(clock_at(CLOCK_GPA)->flags & PVCLOCK_TSC_STABLE_BIT);
    kvmclock_before_entry(&vcpus[0]);
    CHECK(!(clock_at(CLOCK_GPA)->flags & PVCLOCK_TSC_STABLE_BIT));

    /* Equal offsets again: stable again. */
    hvcpu[0].tsc_offset = hvcpu[1].tsc_offset;
    kvmclock_tsc_changed(&vcpus[0]);
    kvmclock_before_entry(&vcpus[0]);
    kvmclock_before_entry(&vcpus[1]);
    CHECK(clock_at(CLOCK_GPA)->flags & PVCLOCK_TSC_STABLE_BIT);
    CHECK(clock_at(gpa1)->flags & PVCLOCK_TSC_STABLE_BIT);
    CHECK_EQ(guest_ns(0, CLOCK_GPA, host), guest_ns(1, gpa1, host));
}

TEST(clock_advances_at_tsc_rate)
{
    u64 host = 123456789ULL + 1000;         /* the guest's TSC at 1000 */
    u64 t0, t1;

    setup();
    kvm_time_msr_write(&vcpus[0], MSR_KVM_SYSTEM_TIME_NEW, CLOCK_GPA | 1);
    t0 = guest_ns(0, CLOCK_GPA, host);
    t1 = guest_ns(0, CLOCK_GPA, host + cpu_khz * 1000 * 10);
    /* Ten seconds of TSC are ten seconds, within a nanosecond a second. */
    CHECK(t1 - t0 >= 10000000000ULL - 10 && t1 - t0 <= 10000000000ULL + 10);
}

/* --- wall clock --- */

TEST(wall_clock_is_the_time_of_kvmclock_zero)
{
    struct pvclock_wall_clock *w;
    u64 back;

    setup();
    /* The epoch is 2 s after the wall-clock base (setup's clock). */
    fake_advance(SECONDS(7));
    CHECK_EQ(kvm_time_msr_write(&vcpus[1], MSR_KVM_WALL_CLOCK_NEW, WALL_GPA),
             MSR_OK);
    w = (struct pvclock_wall_clock *)(fake_ram() + WALL_GPA);
    CHECK_EQ(w->sec, 1796491892ULL + 2);
    CHECK_EQ(w->nsec, 0);
    CHECK(w->version && !(w->version & 1));
    CHECK_EQ(kvm_time_msr_read(&vcpus[0], MSR_KVM_WALL_CLOCK_NEW, &back),
             MSR_OK);
    CHECK_EQ(back, WALL_GPA);
    /* A bad address writes nothing and does not fault. */
    CHECK_EQ(kvm_time_msr_write(&vcpus[0], MSR_KVM_WALL_CLOCK_NEW,
                               PAGE_SIZE * 3 - 4), MSR_OK);
    CHECK_EQ(kvm_time_msr_write(&vcpus[0], MSR_KVM_WALL_CLOCK_NEW,
                               RAM_BYTES), MSR_OK);
    CHECK_EQ(fake_ram_bad_accesses(), 0);
}

/* --- CPUID features --- */

TEST(kvm_features_each_bit_on_its_own)
{
    pv_eoi_on = false;
    pv_send_ipi_on = false;
    CHECK_EQ(kvm_pv_features(), (1u << 3) | (1u << 5) | (1u << 24));
    pv_eoi_on = true;
    CHECK_EQ(kvm_pv_features(), (1u << 3) | (1u << 5) | (1u << 6) |
                                (1u << 24));
    pv_eoi_on = false;
    pv_send_ipi_on = true;
    CHECK_EQ(kvm_pv_features(), (1u << 3) | (1u << 5) | (1u << 11) |
                                (1u << 24));
    pv_send_ipi_on = false;
}

/* --- steal time --- */

static struct kvm_steal_time *steal_at(u64 gpa)
{
    return (struct kvm_steal_time *)(fake_ram() + gpa);
}

static unsigned int steal_body_even;

static void watch_steal(u64 gpa, size_t len)
{
    if ( (gpa == STEAL_GPA || gpa == STEAL_GPA + 16) && len != 4 &&
         !(steal_at(STEAL_GPA)->version & 1) &&
         steal_at(STEAL_GPA)->preempted != KVM_VCPU_PREEMPTED )
        steal_body_even++;
}

TEST(steal_time_accounts_runnable_time)
{
    struct kvm_steal_time *st;
    u64 back;
    u32 v;

    setup();
    memset(fake_ram() + STEAL_GPA, 0xee, sizeof(*st));
    fake_ram_write_hook(watch_steal);
    runnable_ns[0] = 5000000;
    CHECK_EQ(kvm_time_msr_write(&vcpus[0], MSR_KVM_STEAL_TIME,
                               STEAL_GPA | 1), MSR_OK);
    CHECK_EQ(kvm_time_msr_read(&vcpus[0], MSR_KVM_STEAL_TIME, &back), MSR_OK);
    CHECK_EQ(back, STEAL_GPA | 1);
    st = steal_at(STEAL_GPA);
    CHECK_EQ(st->steal, 0);         /* counts from the enabling write */
    CHECK(st->version && !(st->version & 1));
    CHECK_EQ(st->preempted, 0);
    v = st->version;

    /* Preempted while runnable: the hint is set; blocked: it is not. */
    vcpus[0].runstate.state = RUNSTATE_runnable;
    kvm_pv_switch_out(&vcpus[0]);
    CHECK_EQ(st->preempted, KVM_VCPU_PREEMPTED);
    runnable_ns[0] = 12000000;
    kvm_pv_switch_in(&vcpus[0]);
    CHECK_EQ(st->steal, 7000000);
    CHECK_EQ(st->preempted, 0);
    CHECK_EQ(st->version, v + 2);
    vcpus[0].runstate.state = RUNSTATE_blocked;
    kvm_pv_switch_out(&vcpus[0]);
    CHECK_EQ(st->preempted, 0);
    kvm_pv_switch_in(&vcpus[0]);
    CHECK_EQ(st->steal, 7000000);
    CHECK_EQ(st->version, v + 4);
    CHECK_EQ(steal_body_even, 0);
    CHECK_EQ(fake_ram_bad_accesses(), 0);
}

TEST(steal_time_msr_validation)
{
    unsigned int writes;
    u64 back;

    setup();
    /* Bits 5:1 are reserved: #GP, nothing stored. */
    for ( unsigned int bit = 1; bit <= 5; bit++ )
        CHECK_EQ(kvm_time_msr_write(&vcpus[0], MSR_KVM_STEAL_TIME,
                                   STEAL_GPA | 1 | (1ULL << bit)), MSR_GP);
    CHECK_EQ(kvm_time_msr_read(&vcpus[0], MSR_KVM_STEAL_TIME, &back), MSR_OK);
    CHECK_EQ(back, 0);
    /* Not RAM: accepted (as KVM), never written. */
    writes = fake_ram_writes();
    CHECK_EQ(kvm_time_msr_write(&vcpus[0], MSR_KVM_STEAL_TIME,
                               RAM_BYTES | 1), MSR_OK);
    CHECK_EQ(kvm_time_msr_write(&vcpus[0], MSR_KVM_STEAL_TIME,
                               ((u64)HOLE_GFN << PAGE_SHIFT) | 1), MSR_OK);
    CHECK_EQ(kvm_time_msr_write(&vcpus[0], MSR_KVM_STEAL_TIME,
                               (1ULL << 52) | 1), MSR_OK);
    vcpus[0].runstate.state = RUNSTATE_runnable;
    kvm_pv_switch_out(&vcpus[0]);
    kvm_pv_switch_in(&vcpus[0]);
    CHECK_EQ(fake_ram_writes(), writes);
    CHECK_EQ(fake_ram_bad_accesses(), 0);
}

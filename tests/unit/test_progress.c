/*
 * Unit tests for the end of the run when nothing can make progress
 * (xen/arch/x86/hvm/progress.c, compiled into this file so that each test
 * starts from fresh state): counting inert vCPUs, what makes a domain
 * stuck and what does not, the report and the status, and a revive
 * during a check.  The doubles are here: a domain list, the vIOAPIC
 * query, domain_building() and nothing_left_to_run(), which records its
 * calls.
 */
#include "../../xen/arch/x86/hvm/progress.c"

#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "stubs.h"

#define MAX_DOMS    4
#define MAX_VCPUS   4

static struct domain doms[MAX_DOMS];
static struct hvm_domain hdoms[MAX_DOMS];
static struct vcpu vcpus[MAX_DOMS][MAX_VCPUS];
static struct vcpu *vcpu_ptrs[MAX_DOMS][MAX_VCPUS];
static struct hvm_vcpu hvcpus[MAX_DOMS][MAX_VCPUS];
static unsigned int nr_doms;
static bool ioapic_nmi[MAX_DOMS];
static bool building[MAX_DOMS];         /* domain_building() */

static unsigned int ended, icount_dumps;
static int end_status;
static char end_why[64];

/* Run between two domains of a scan, once (a concurrent event). */
static void (*mid_scan)(void);

void domlist_read_lock(void)
{
}

void domlist_read_unlock(void)
{
}

struct domain *domain_first(void)
{
    return nr_doms ? &doms[0] : NULL;
}

struct domain *domain_next(struct domain *d)
{
    unsigned int i = d - doms + 1;

    if ( mid_scan )
    {
        void (*fn)(void) = mid_scan;

        mid_scan = NULL;
        fn();
    }
    return i < nr_doms ? &doms[i] : NULL;
}

bool domain_building(struct domain *d)
{
    return building[d - doms];
}

bool vioapic_sends_nmi_or_init(struct domain *d)
{
    return ioapic_nmi[d - doms];
}

/* exit_icount.c's report, made once the run has ended. */
void exit_icount_dump_all(void)
{
    icount_dumps++;
}

void nothing_left_to_run(const char *why, int status)
{
    CHECK_EQ(icount_dumps, ended + 1);
    ended++;
    end_status = status;
    snprintf(end_why, sizeof(end_why), "%s", why);
}

/*
 * Fresh state: n domains of nv vCPUs each, every vCPU down as at
 * creation, and the boot not done yet.
 */
static void setup(unsigned int n, unsigned int nv)
{
    memset(doms, 0, sizeof(doms));
    memset(hdoms, 0, sizeof(hdoms));
    memset(vcpus, 0, sizeof(vcpus));
    memset(hvcpus, 0, sizeof(hvcpus));
    memset(ioapic_nmi, 0, sizeof(ioapic_nmi));
    memset(building, 0, sizeof(building));
    nr_doms = n;
    for ( unsigned int d = 0; d < n; d++ )
    {
        doms[d].domain_id = d;
        doms[d].max_vcpus = nv;
        doms[d].vcpu = vcpu_ptrs[d];
        doms[d].hvm = &hdoms[d];
        for ( unsigned int i = 0; i < nv; i++ )
        {
            vcpus[d][i].vcpu_id = i;
            vcpus[d][i].domain = &doms[d];
            vcpus[d][i].hvm = &hvcpus[d][i];
            hvcpus[d][i].inert = HVM_INERT_DOWN;
            hvcpus[d][i].sipi_vector = -1;
            vcpu_ptrs[d][i] = &vcpus[d][i];
        }
    }
    progress_gen = 0;
    boot_done = false;
    any_domain_failed = false;
    run_ended = false;
    ended = icount_dumps = 0;
    end_status = -1;
    end_why[0] = '\0';
    mid_scan = NULL;
    stub_log_clear();
}

static struct vcpu *V(unsigned int d, unsigned int i)
{
    return &vcpus[d][i];
}

/* Domain d started: vCPU 0 up and running guest code, as built. */
static void start(unsigned int d)
{
    hvm_vcpu_revive(V(d, 0), HVM_INERT_DOWN);
    hvcpus[d][0].nr_entries = 1;
}

static void shut(unsigned int d)
{
    doms[d].is_shutting_down = true;
}

TEST(nothing_is_decided_before_the_boot_domains_are_started)
{
    setup(1, 1);
    start(0);
    CHECK(hvm_vcpu_inert(V(0, 0), HVM_INERT_HALTED));
    hvm_progress_check();
    CHECK_EQ(ended, 0);
    hvm_progress_boot_done();
    CHECK_EQ(ended, 1);
    CHECK_EQ(end_status, 2);
}

TEST(all_exited_is_a_clean_end)
{
    setup(2, 1);
    start(0);
    start(1);
    hvm_progress_boot_done();
    shut(0);
    hvm_progress_check();
    CHECK_EQ(ended, 0);
    shut(1);
    hvm_progress_check();
    CHECK_EQ(ended, 1);
    CHECK_EQ(end_status, 0);
    CHECK_STR_EQ(end_why, "all domains have exited");
    CHECK(!stub_log_contains("stuck"));
}

TEST(halted_with_irqs_off_everywhere_is_stuck)
{
    setup(1, 2);
    start(0);
    hvm_vcpu_revive(V(0, 1), HVM_INERT_DOWN);   /* SIPI */
    hvm_progress_boot_done();
    /* One halts: the other still runs, nothing is decided. */
    CHECK(!hvm_vcpu_inert(V(0, 1), HVM_INERT_HALTED));
    hvm_progress_check();
    CHECK_EQ(ended, 0);
    CHECK(hvm_vcpu_inert(V(0, 0), HVM_INERT_HALTED));
    hvm_progress_check();
    CHECK_EQ(ended, 1);
    CHECK_EQ(end_status, 2);
    CHECK_STR_EQ(end_why, "every domain left is stuck");
    CHECK(stub_log_contains(
        "d0 stuck: every vCPU halted with interrupts disabled\n"));
}

TEST(a_pending_nmi_or_init_is_not_stuck)
{
    setup(1, 1);
    start(0);
    hvm_progress_boot_done();
    hvcpus[0][0].nmi_pending = true;
    CHECK(hvm_vcpu_inert(V(0, 0), HVM_INERT_HALTED));
    hvm_progress_check();
    CHECK_EQ(ended, 0);
    hvcpus[0][0].nmi_pending = false;
    hvcpus[0][0].init_pending = true;
    hvm_progress_check();
    CHECK_EQ(ended, 0);
    hvcpus[0][0].init_pending = false;
    hvm_progress_check();
    CHECK_EQ(ended, 1);
}

TEST(a_device_that_can_send_an_nmi_keeps_a_halted_domain_alive)
{
    setup(1, 2);
    start(0);
    hvm_progress_boot_done();
    ioapic_nmi[0] = true;
    CHECK(hvm_vcpu_inert(V(0, 0), HVM_INERT_HALTED));
    hvm_progress_check();
    CHECK_EQ(ended, 0);
    /* An NMI or INIT does not start a vCPU that waits for a SIPI. */
    hvm_vcpu_revive(V(0, 0), HVM_INERT_HALTED);
    CHECK(hvm_vcpu_inert(V(0, 0), HVM_INERT_DOWN));
    hvm_progress_check();
    CHECK_EQ(ended, 1);
    CHECK(stub_log_contains("d0 stuck: every vCPU waits for a SIPI\n"));
}

TEST(waiting_for_a_sipi)
{
    setup(1, 2);
    start(0);
    hvm_progress_boot_done();
    /* An INIT pending on a down vCPU changes nothing; a SIPI does. */
    hvcpus[0][1].init_pending = true;
    hvcpus[0][1].sipi_vector = 0x10;
    CHECK(hvm_vcpu_inert(V(0, 0), HVM_INERT_DOWN));
    hvm_progress_check();
    CHECK_EQ(ended, 0);
    hvcpus[0][1].sipi_vector = -1;
    hvm_progress_check();
    CHECK_EQ(ended, 1);
    CHECK(stub_log_contains("d0 stuck: every vCPU waits for a SIPI\n"));
}

TEST(mixed_halted_and_down)
{
    setup(1, 2);
    start(0);
    hvm_progress_boot_done();
    CHECK(hvm_vcpu_inert(V(0, 0), HVM_INERT_HALTED));
    hvm_progress_check();
    CHECK_EQ(ended, 1);
    CHECK(stub_log_contains("d0 stuck: every vCPU halted with interrupts "
                            "disabled or waits for a SIPI\n"));
}

TEST(created_and_left_behind)
{
    setup(2, 2);
    start(0);
    hvm_progress_boot_done();
    /* d1 never started: not decided while d0 (which made it) runs. */
    hvm_progress_check();
    CHECK_EQ(ended, 0);
    shut(0);
    hvm_progress_check();
    CHECK_EQ(ended, 1);
    CHECK_EQ(end_status, 2);
    CHECK(stub_log_contains("d1 stuck: never started\n"));
    CHECK(!stub_log_contains("d0 stuck"));
}

TEST(paused_and_left_behind)
{
    setup(2, 1);
    start(0);
    start(1);
    hvm_progress_boot_done();
    doms[1].pause_count = 1;
    hvm_progress_check();
    CHECK_EQ(ended, 0);
    shut(0);
    hvm_progress_check();
    CHECK_EQ(ended, 1);
    CHECK(stub_log_contains("d1 stuck: paused, and no domain left that "
                            "could unpause it\n"));
}

/* As left_behind mode=create: the domctl holds it for building. */
TEST(held_for_building_and_left_behind)
{
    setup(2, 1);
    start(0);
    hvm_progress_boot_done();
    doms[1].pause_count = 1;
    building[1] = true;
    hvm_progress_check();
    CHECK_EQ(ended, 0);
    shut(0);
    hvm_progress_check();
    CHECK_EQ(ended, 1);
    CHECK_EQ(end_status, 2);
    CHECK(stub_log_contains("d1 stuck: never started\n"));
}

TEST(a_failed_domain_makes_it_status_1)
{
    setup(2, 1);
    start(0);
    hvm_progress_boot_done();
    hvm_progress_domain_failed();
    shut(0);
    hvm_progress_check();
    CHECK_EQ(ended, 1);
    CHECK_EQ(end_status, 1);
    CHECK_STR_EQ(end_why, "a domain failed");
    CHECK(stub_log_contains("d1 stuck: never started\n"));
}

TEST(counts_change_once_per_transition)
{
    setup(1, 1);
    start(0);
    CHECK_EQ(hdoms[0].nr_active, 1);
    /* A second revive (a kick of a vCPU that runs) changes nothing. */
    hvm_vcpu_revive(V(0, 0), HVM_INERT_HALTED);
    hvm_vcpu_revive(V(0, 0), HVM_INERT_DOWN);
    CHECK_EQ(hdoms[0].nr_active, 1);
    CHECK(hvm_vcpu_inert(V(0, 0), HVM_INERT_HALTED));
    CHECK_EQ(hdoms[0].nr_active, 0);
    CHECK(!hvm_vcpu_inert(V(0, 0), HVM_INERT_DOWN));
    CHECK_EQ(hdoms[0].nr_active, 0);
    /* A SIPI does not end a HLT; an NMI does, once. */
    hvm_vcpu_revive(V(0, 0), HVM_INERT_DOWN);
    CHECK_EQ(hdoms[0].nr_active, 0);
    hvm_vcpu_revive(V(0, 0), HVM_INERT_HALTED);
    hvm_vcpu_revive(V(0, 0), HVM_INERT_HALTED);
    CHECK_EQ(hdoms[0].nr_active, 1);
    CHECK_EQ(hvcpus[0][0].inert, HVM_ACTIVE);
}

/*
 * d0 is read as paused; then, before the scan reads d1, d1 (privileged)
 * unpauses d0 and halts.  Read one by one, both look stuck, yet d0 runs.
 */
static void unpause_then_halt(void)
{
    doms[0].pause_count = 0;
    hvm_progress_unpaused();
    CHECK(hvm_vcpu_inert(V(1, 0), HVM_INERT_HALTED));
}

TEST(an_unpause_during_a_check_is_not_missed)
{
    setup(2, 1);
    start(0);
    start(1);
    hvm_progress_boot_done();
    doms[0].pause_count = 1;
    mid_scan = unpause_then_halt;
    hvm_progress_check();
    CHECK_EQ(ended, 0);
    /* d0 runs on; when it halts too, the run ends. */
    CHECK(hvm_vcpu_inert(V(0, 0), HVM_INERT_HALTED));
    hvm_progress_check();
    CHECK_EQ(ended, 1);
}

/*
 * The mechanism itself: d0 is read as stuck, then something revives its
 * vCPU and d1 halts before the scan reads it.  Read one by one both look
 * stuck, yet d0 runs; whatever the reviver was, the check must give up.
 */
static void revive_d0(void)
{
    hvm_vcpu_revive(V(0, 0), HVM_INERT_HALTED);
    CHECK(hvm_vcpu_inert(V(1, 0), HVM_INERT_HALTED));
}

TEST(a_check_gives_up_when_anything_was_revived_meanwhile)
{
    setup(2, 1);
    start(0);
    start(1);
    hvm_progress_boot_done();
    CHECK(hvm_vcpu_inert(V(0, 0), HVM_INERT_HALTED));
    mid_scan = revive_d0;
    hvm_progress_check();
    CHECK_EQ(ended, 0);
}

TEST(the_end_is_decided_once)
{
    setup(1, 1);
    start(0);
    hvm_progress_boot_done();
    CHECK(hvm_vcpu_inert(V(0, 0), HVM_INERT_HALTED));
    hvm_progress_check();
    hvm_progress_check();
    CHECK_EQ(ended, 1);
    CHECK_EQ(stub_log_count("d0 stuck:"), 1);
}

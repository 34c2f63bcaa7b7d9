/*
 * left_behind: the privileged domain (dom0) leaves a domain behind that
 * can never run, then exits with PASS.  The hypervisor must see that
 * domain stuck once dom0 is gone and, with shutdown=exit, end the run.
 *  mode=create: creates a 2-vCPU domain with XEN_DOMCTL_createdomain;
 *    nothing can start its vCPUs, so it never runs.
 *  mode=pause: waits until domain 1 (another boot module, run with
 *    mode=run) has run, pauses it with XEN_DOMCTL_pausedomain and checks
 *    that getdomaininfo says paused.
 *  mode=run: the domain to pause: waits in HLT for its LAPIC timer
 *    forever, printing one line; no verdict.
 *
 * Environment: mode=create|pause|run (create).
 */
#include "hypercall.h"
#include "test.h"

const char test_name[] = "left_behind";

#define VEC_TICK_RUN    0xd3

static struct xen_domctl op;

static long getdomaininfo(domid_t id)
{
    memset(&op, 0, sizeof(op));
    op.cmd = XEN_DOMCTL_getdomaininfo;
    op.domain = id;
    return xen_domctl(&op);
}

static void create(void)
{
    long rc;

    memset(&op, 0, sizeof(op));
    op.cmd = XEN_DOMCTL_createdomain;
    op.u.createdomain.flags = XEN_DOMCTL_CDF_hvm;
    op.u.createdomain.max_vcpus = 2;
    op.u.createdomain.max_pages = 256;
    rc = xen_domctl(&op);
    CHECK(rc == 0, "createdomain failed: %ld", rc);
    test_pass("created d%u and left it behind, never started", op.domain);
}

static void pause_other(void)
{
    uint64_t end = deadline_us(60000000);
    long rc;

    /* Domain 1 is built after us: wait until it exists and has run. */
    for ( ;; )
    {
        rc = getdomaininfo(1);
        if ( rc == 0 && op.domain == 1 && op.u.getdomaininfo.cpu_time )
            break;
        CHECK(rc == 0 || rc == -3, "getdomaininfo failed: %ld", rc);
        CHECK(rdtsc() < end, "domain 1 did not run within 60 s");
        udelay(1000);
    }
    memset(&op, 0, sizeof(op));
    op.cmd = XEN_DOMCTL_pausedomain;
    op.domain = 1;
    rc = xen_domctl(&op);
    CHECK(rc == 0, "pausedomain failed: %ld", rc);
    rc = getdomaininfo(1);
    CHECK(rc == 0 && op.domain == 1 &&
          (op.u.getdomaininfo.flags & XEN_DOMINF_paused),
          "d1 not paused after pausedomain (rc %ld, flags %#x)", rc,
          op.u.getdomaininfo.flags);
    test_pass("paused d1 and left it behind");
}

static void on_tick(struct regs *r)
{
    (void)r;
    apic_eoi();
}

static void run_forever(void)
{
    idt_set_handler(VEC_TICK_RUN, on_tick);
    apic_write(APIC_TDCR, APIC_TDCR_DIV1);
    apic_write(APIC_LVTT, APIC_TIMER_PERIODIC | VEC_TICK_RUN);
    apic_write(APIC_TMICT, (uint32_t)us_to_lapic(10000));
    printf("left_behind: running until paused\n");
    for ( ;; )
        sti_hlt();
}

void test_main(void)
{
    const char *mode = env_get("mode");

    platform_init(APIC_MODE_XAPIC, false);
    if ( mode && !strcmp(mode, "run") )
        run_forever();
    if ( !xen_lite_present() )
        test_skip("needs xen-lite (domctl)");
    if ( mode && !strcmp(mode, "pause") )
        pause_other();
    if ( mode && strcmp(mode, "create") )
        test_fail("bad value for mode: \"%s\"", mode);
    create();
}

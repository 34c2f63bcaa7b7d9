/*
 * apicv_noexit: the VM exits an interrupt costs, as xen-lite counts them.
 * Each phase is framed by two dumps of debug key 'v' (per-vCPU exit
 * counters), which the kernel requests itself through the sysctl
 * hypercall - it runs as domain 0, which may - so that a test reading
 * the log can compare the counters before and after:
 *
 *  self-xapic   N self-IPIs written to the xAPIC ICR (self shorthand, low
 *               word only), each taken and EOIed through the xAPIC page;
 *  self-x2apic  N self-IPIs through the x2APIC SELF IPI MSR, EOI MSR;
 *  remote       (2 CPUs) CPU 0 sends N fixed IPIs to CPU 1 (x2APIC), which
 *               spins with interrupts on and EOIs each.
 *
 * Each IPI is waited for before the next one, so none merge and the
 * kernel checks that every one is delivered exactly once.  Around each
 * phase it prints "apicv_noexit: phase <name> begin" before the first
 * dump and "apicv_noexit: phase <name> end" after the second; nothing is
 * printed in between (a UART write is an exit too).  Whether a phase may
 * exit is for the test to judge: it knows whether the hypervisor uses
 * APICv and posted interrupts.  SKIP when not running under xen-lite.
 *
 * Environment: ipis=N (default 1000).
 */
#include "hypercall.h"
#include "test.h"

const char test_name[] = "apicv_noexit";

#define VEC_SELF        0x71
#define VEC_REMOTE      0x72
#define WAIT_US         200000

static bool use_vmcall;
static volatile uint32_t self_got, remote_got, remote_stop;
static volatile uint32_t wrong_vec;

static long hypercall1(uint32_t nr, uint32_t arg)
{
    long ret;

    if ( use_vmcall )
        asm volatile ( "vmcall" : "=a" (ret) : "a" (nr), "D" (arg)
                       : "memory" );
    else
        asm volatile ( "vmmcall" : "=a" (ret) : "a" (nr), "D" (arg)
                       : "memory" );
    return ret;
}

static void dump_exits(void)
{
    static const char key = 'v';
    static struct xen_sysctl op;
    long rc;

    /*
     * Not xen_debug_keys(): its CPUID (to pick the instruction) would
     * add an exit to the counts this dump reads.
     */
    memset(&op, 0, sizeof(op));
    op.cmd = XEN_SYSCTL_debug_keys;
    op.interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    op.u.debug_keys.keys = (uint32_t)&key;
    op.u.debug_keys.nr_keys = 1;
    rc = hypercall1(__HYPERVISOR_sysctl, (uint32_t)&op);
    CHECK(rc == 0, "debug-keys sysctl failed: %ld", rc);
}

static void on_self(struct regs *r)
{
    if ( r->vector != VEC_SELF )
        wrong_vec = r->vector;
    self_got++;
    apic_eoi();
}

static void on_remote(struct regs *r)
{
    if ( r->vector != VEC_REMOTE )
        wrong_vec = r->vector;
    remote_got++;
    apic_eoi();
}

static void self_phase(const char *name, bool x2apic, uint32_t n)
{
    uint32_t i;

    self_got = 0;
    printf("apicv_noexit: phase %s begin\n", name);
    dump_exits();
    for ( i = 0; i < n; i++ )
    {
        if ( x2apic )
            apic_self_ipi_msr(VEC_SELF);
        else
            mmio_write32(0xfee00000u + APIC_ICR,
                         APIC_SH_SELF | APIC_DM_FIXED | VEC_SELF);
        if ( !wait_u32(&self_got, i + 1, WAIT_US) )
            break;
    }
    dump_exits();
    printf("apicv_noexit: phase %s end\n", name);
    CHECK(self_got == n, "%s: %u of %u self-IPIs delivered", name,
          self_got, n);
    CHECK(!wrong_vec, "%s: vector %#x taken", name, wrong_vec);
}

/* On CPU 1: take IPIs with interrupts on until told to stop. */
static void remote_spin(void *arg)
{
    (void)arg;
    sti();
    while ( !remote_stop )
        cpu_relax();
}

static void remote_phase(uint32_t n)
{
    uint32_t i;

    remote_got = 0;
    remote_stop = 0;
    smp_call(1, remote_spin, NULL);
    udelay(1000);
    printf("apicv_noexit: phase remote begin\n");
    dump_exits();
    for ( i = 0; i < n; i++ )
    {
        apic_icr(percpu[1].apic_id, APIC_DM_FIXED | VEC_REMOTE);
        if ( !wait_u32(&remote_got, i + 1, WAIT_US) )
            break;
    }
    dump_exits();
    printf("apicv_noexit: phase remote end\n");
    remote_stop = 1;
    CHECK(smp_call_wait(1, WAIT_US), "CPU 1 did not stop spinning");
    CHECK(remote_got == n, "remote: %u of %u IPIs delivered", remote_got,
          n);
    CHECK(!wrong_vec, "remote: vector %#x taken", wrong_vec);
}

void test_main(void)
{
    uint32_t n = env_u32("ipis", 1000);
    uint32_t a, b, c, d;
    char sig[13];
    unsigned int cpus;

    cpuid(0x40000000, 0, &a, &b, &c, &d);
    memcpy(sig, &b, 4);
    memcpy(sig + 4, &c, 4);
    sig[8] = '\0';
    if ( strcmp(sig, "xen-lite") )
        test_skip("not running under xen-lite (no debug-key hypercall)");
    cpuid(0, 0, &a, &b, &c, &d);
    memcpy(sig, &b, 4);
    memcpy(sig + 4, &d, 4);
    memcpy(sig + 8, &c, 4);
    sig[12] = '\0';
    use_vmcall = !strcmp(sig, "GenuineIntel");
    printf("apicv_noexit: %s, hypercalls by %s\n", sig,
           use_vmcall ? "VMCALL" : "VMMCALL");

    cpus = platform_init(APIC_MODE_XAPIC, false);
    idt_set_handler(VEC_SELF, on_self);
    idt_set_handler(VEC_REMOTE, on_remote);
    sti();

    self_phase("self-xapic", false, n);
    if ( !apic_has_x2apic() )
        test_pass("%u xAPIC self-IPIs (no x2APIC: nothing more)", n);
    apic_setup(APIC_MODE_X2APIC);
    self_phase("self-x2apic", true, n);
    if ( cpus < 2 )
        test_pass("%u self-IPIs each through xAPIC and x2APIC (1 CPU: no "
                  "remote phase)", n);

    CHECK(smp_start_ap(1, APIC_MODE_X2APIC, 1000000),
          "CPU 1 did not start");
    remote_phase(n);
    test_pass("%u self-IPIs each through xAPIC and x2APIC, %u IPIs to a "
              "spinning CPU", n, n);
}

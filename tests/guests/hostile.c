/*
 * hostile: a guest kernel that abuses the hypervisor (issue 13).  From a
 * seed it runs a long random sequence of actions on both vCPUs: random
 * hypercalls and domctl/sysctl with one field garbage, RDMSR/WRMSR of
 * random and sensitive MSRs (EFER, APIC base, the x2APIC range, the KVM
 * PV MSRs pointed at bad addresses, SVM/VMX MSRs), port I/O of every
 * size, MMIO of every size and form to the xAPIC page, the IOAPIC and
 * unbacked addresses, ICR writes of every mode and shorthand, LAPIC
 * timer storms, illegal LVT vectors, control-register, XCR0 and
 * descriptor-table junk, exceptions; then it triple-faults.  It is
 * meant to run as dom0 (the domctls need the privilege) beside a
 * well-behaved domain, which must still pass.
 *
 * Each action is logged before it is done, one short line through the
 * console_io hypercall (one exit per line, not two per character as on
 * the UART): "<cpu>.<index> <op> <hex args>", op letters in op_legend.
 * A hypervisor fault or hang is then traced to the last lines.
 *
 * Every fault an action raises is counted and resumes after the action
 * (per-CPU recovery address): the kernel only fails (a FAIL verdict, not
 * the expected triple fault) if an exception comes outside an action.
 *
 * What it keeps away from, so that a run is as long as asked: port 0xf4
 * (the exit port) and 0x600/0x602 (ACPI sleep and reset), writes to
 * COM1 (its own log), INIT to its own CPUs except the storm action that
 * restarts CPU 1, MSR writes that would move its clock (TSC,
 * TSC_ADJUST) or its %gs base, PV MSRs pointed at its own kernel, and
 * ICR/LVT writes hidden in the MMIO action (the ICR and LVT actions do
 * those, with their delivery modes filtered the same way).  Vectors
 * 16-31 are never sent as interrupts: the IDT stubs of vectors with an
 * error code would misread the frame, as they would on hardware.
 *
 * Environment: seed= (1), actions= (BSP actions, 2000), chunk= (CPU 1
 * actions per batch, 8), log= (1: every action; 0: none), unemulated=
 * (0; 1: also INS/OUTS and, on MMIO, CMPXCHG8B and SSE moves, which
 * xen-lite does not emulate: it crashes the domain, "string or malformed
 * port I/O" or "MMIO instruction not emulated", ending the run there).
 */
#include "test.h"
#include "cr.h"
#include "hypercall.h"

const char test_name[] = "hostile";

#define MSR_APIC_BASE_   0x1b
#define APIC_EN         (1u << 11)
#define APIC_EXTD       (1u << 10)
#define IOAPIC_BASE     0xfec00000u
#define XAPIC_BASE      0xfee00000u
#define EFLAGS_TF       (1u << 8)

static const char op_legend[] =
    "H hypercall nr a0 a1 a2 | D domctl cmd dom field op | "
    "S sysctl cmd field op | R rdmsr msr | W wrmsr msr hi lo | "
    "I port port size form | M mmio addr size form | C icr dest low | "
    "N init/sipi storm | T timer lvt count | L lvt reg val | "
    "B apic-base val | X cr n val | G desc kind | E exc kind | "
    "F triple fault";

struct cpu_state
{
    uint64_t rng;
    uint32_t done;                  /* actions completed */
    volatile uint32_t recover;      /* resume address of the action */
    uint32_t faults[32];
    uint32_t irqs, nmis, unexpected;
    uint32_t log_idx;
    /* The exception before this one: what a FAIL report names. */
    uint32_t prev_vector, prev_eip, prev_resume;
    char line[96];
} __attribute__((aligned(64)));

static struct cpu_state cs[2];
static bool do_log = true;
static bool unemulated;
static bool has_x2apic, has_xsave, has_sse;
static uint32_t ram_end;
static enum apic_mode mode = APIC_MODE_XAPIC;

/*
 * The buffers the hypervisor may write into: everything hostile points
 * hypercalls and PV MSRs at in its own RAM lies here.
 */
static uint8_t scratch[8 * 4096] __attribute__((aligned(4096)));

/* Each CPU's half: its op structures must not race the other's. */
static uint8_t *my_scratch(void)
{
    return scratch + 16384 * (smp_cpu() & 1);
}
/* Where buffers the hypervisor writes into land (sink_fix). */
static uint8_t sink[65536] __attribute__((aligned(4096)));
/* A page the APIC may be moved onto. */
static uint8_t apic_landing[4096] __attribute__((aligned(4096)));

static uint32_t irq_save(void)
{
    uint32_t f = read_eflags();

    cli();
    return f;
}

static void irq_restore(uint32_t f)
{
    if ( f & EFLAGS_IF )
        sti();
}

static struct cpu_state *me(void)
{
    return &cs[smp_cpu() & 1];
}

static uint64_t rnd(struct cpu_state *c)
{
    uint64_t x = c->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

static uint32_t r32(struct cpu_state *c)
{
    return (uint32_t)(rnd(c) >> 32);
}

static uint32_t below(struct cpu_state *c, uint32_t n)
{
    return r32(c) % n;
}

/* A value of the kinds that break validation: 0, ~0, one bit, random. */
static uint64_t junk64(struct cpu_state *c)
{
    switch ( below(c, 6) )
    {
    case 0: return 0;
    case 1: return ~0ull;
    case 2: return 1ull << below(c, 64);
    case 3: return r32(c);
    case 4: return 0x8000000000000000ull | r32(c);   /* non-canonical */
    default: return rnd(c);
    }
}

static void log_action(struct cpu_state *c, char op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void log_action(struct cpu_state *c, char op, const char *fmt, ...)
{
    va_list ap;
    int n;

    c->log_idx++;
    if ( !do_log )
        return;
    n = snprintf(c->line, sizeof(c->line), "%u.%x %c ", smp_cpu(),
                 c->log_idx, op);
    va_start(ap, fmt);
    n += vsnprintf(c->line + n, sizeof(c->line) - n - 1, fmt, ap);
    va_end(ap);
    if ( n > (int)sizeof(c->line) - 2 )
        n = sizeof(c->line) - 2;
    c->line[n++] = '\n';
    hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, n,
               (uint32_t)c->line);
}

/* --- exceptions and interrupts --- */

static void on_exc(struct regs *r)
{
    struct cpu_state *c = me();

    if ( r->vector == 2 )
    {
        c->nmis++;
        return;
    }
    c->faults[r->vector & 31]++;
    r->eflags &= ~EFLAGS_TF;
    if ( c->recover )
    {
        c->prev_vector = r->vector;
        c->prev_eip = r->eip;
        c->prev_resume = c->recover;
        r->eip = c->recover;
        c->recover = 0;
        return;
    }
    /* Traps that left EIP after themselves: INT3, single step. */
    if ( r->vector == 1 || r->vector == 3 )
        return;
    c->unexpected++;
    test_fail("exception %u at %#x error %#x outside any action "
              "(cpu %u, action %u; the one before: %u at %#x, resumed at "
              "%#x; ESP %#x)", r->vector, r->eip, r->error, smp_cpu(),
              c->log_idx, c->prev_vector, c->prev_eip, c->prev_resume,
              (uint32_t)(&r->eflags + 1));
}

static void on_irq(struct regs *r)
{
    struct cpu_state *c = me();
    uint32_t saved = c->recover;

    /* A fault in here must not jump into the interrupted action. */
    c->recover = 0;
    c->irqs++;
    if ( apic_vec_set(APIC_ISR, r->vector) )
        apic_eoi();
    c->recover = saved;
}

/*
 * An action's instructions: on any fault, execution continues at the
 * end of the asm (outputs are then whatever they were).
 */
#define GUARD_BEGIN "movl $.Lrec%=, %[rec]\n\t"
#define GUARD_END   "\n.Lrec%=:\n\tmovl $0, %[rec]"

static bool g_rdmsr(uint32_t msr, uint64_t *v)
{
    struct cpu_state *c = me();
    uint32_t lo = 0, hi = 0, ok = 0;

    asm volatile ( GUARD_BEGIN "rdmsr\n\tmovl $1, %[ok]" GUARD_END
                   : "+a" (lo), "+d" (hi), [ok] "+r" (ok),
                     [rec] "+m" (c->recover)
                   : "c" (msr) : "memory" );
    *v = ((uint64_t)hi << 32) | lo;
    return ok;
}

static bool g_wrmsr(uint32_t msr, uint64_t v)
{
    struct cpu_state *c = me();
    uint32_t ok = 0;

    asm volatile ( GUARD_BEGIN "wrmsr\n\tmovl $1, %[ok]" GUARD_END
                   : [ok] "+r" (ok), [rec] "+m" (c->recover)
                   : "c" (msr), "a" ((uint32_t)v),
                     "d" ((uint32_t)(v >> 32)) : "memory" );
    return ok;
}

/* --- addresses --- */

/* A guest address for a hypercall buffer or a PV MSR. */
static uint64_t bad_addr(struct cpu_state *c)
{
    switch ( below(c, 12) )
    {
    case 0: return 0;                               /* NULL */
    case 1: return (uint32_t)scratch;               /* fine */
    case 2: return (uint32_t)scratch + 4096 - 4;    /* page-crossing */
    case 3: return (uint32_t)scratch + 1 + below(c, 64);   /* unaligned */
    case 4: return ram_end - 4;                     /* crosses RAM's end */
    case 5: return ram_end + below(c, 1u << 20);    /* beyond RAM */
    case 6: return XAPIC_BASE + below(c, 4096);     /* MMIO */
    case 7: return IOAPIC_BASE;
    case 8: return 0xfffffff8u;                     /* wraps 4 GiB */
    case 9: return 0x8000000000000000ull;           /* non-canonical */
    case 10: return 0x0000800000000000ull - 8;      /* canonical edge */
    default: return rnd(c);
    }
}

/* --- hypercalls --- */

/*
 * What the hypervisor must answer whatever the rest: a structure it
 * cannot read is -EFAULT, a version it does not know -EACCES.
 */
/*
 * A buffer the hypervisor will write 'len' bytes into: if it lies in
 * this kernel's RAM (a mutation made it so), into the sink instead, or
 * beyond RAM when too long.  The hypervisor does as it is told there;
 * what is checked is that it does nothing else.
 */
static void sink_fix(uint64_t *buf, uint64_t len)
{
    uint64_t b = *buf;

    if ( b >= ram_end || (b >= (uint32_t)sink &&
                          b + len <= (uint32_t)sink + sizeof(sink)) )
        return;
    *buf = len <= sizeof(sink) / 2 ? (uint32_t)sink + (b & 0x7fff)
                                   : ram_end + 0x1000;
}

static bool unreadable(uint32_t place, size_t size)
{
    return place + size > ram_end ||
           (place >= XAPIC_BASE && place < XAPIC_BASE + 4096);
}

static void expect_rc(struct cpu_state *c, const char *what, long rc,
                      uint32_t place, size_t size, bool bad_version)
{
    long want = 0;

    if ( unreadable(place, size) )
        want = -14;
    else if ( bad_version )
        want = -13;
    if ( want && rc != want )
        test_fail("%s (action %u.%x) at %#x returned %ld, expected %ld",
                  what, smp_cpu(), c->log_idx, place, rc, want);
}

static void act_hypercall(struct cpu_state *c)
{
    static const uint32_t nrs[] = { 0, 1, 17, 18, 19, 34, 35, 36, 37, 63,
                                    64, 65, 0x7fffffff, 0xffffffff };
    uint32_t nr, a[3];
    unsigned int i;
    long rc;

    nr = below(c, 2) ? nrs[below(c, ARRAY_SIZE(nrs))] : r32(c);
    for ( i = 0; i < 3; i++ )
        a[i] = below(c, 2) ? (uint32_t)bad_addr(c) : (uint32_t)junk64(c);
    /* console_io write: keep the junk text short, or the log drowns. */
    if ( nr == __HYPERVISOR_console_io && a[0] == CONSOLEIO_write &&
         a[1] > 64 && below(c, 16) )
        a[1] &= 63;
    if ( nr == __HYPERVISOR_console_io && a[0] == CONSOLEIO_read )
    {
        uint64_t b = a[2];

        sink_fix(&b, a[1]);
        a[2] = b;
    }
    /* A random structure in RAM is read and may be written back. */
    if ( (nr == __HYPERVISOR_sysctl || nr == __HYPERVISOR_domctl) &&
         a[0] < ram_end )
        a[0] = (uint32_t)sink + (a[0] & 0x7fff);
    log_action(c, 'H', "%x %x %x %x", nr, a[0], a[1], a[2]);
    rc = hypercall3(nr, a[0], a[1], a[2]);
    /*
     * 1-12 are KVM's numbers, answered in KVM's codes (-KVM_ENOSYS,
     * 1000); 10, KVM_HC_SEND_IPI, is implemented: with junk in its
     * registers (RBX, RCX, RDX, RSI) it sends or refuses, either is fine.
     */
    if ( nr >= 1 && nr <= 12 )
    {
        if ( nr != 10 && rc != -1000 )
            test_fail("KVM hypercall %#x (action %u.%x) returned %ld, not "
                      "-KVM_ENOSYS", nr, smp_cpu(), c->log_idx, rc);
    }
    else if ( nr != __HYPERVISOR_console_io && nr != __HYPERVISOR_sysctl &&
              nr != __HYPERVISOR_domctl && rc != -38 )
        test_fail("hypercall %#x (action %u.%x) returned %ld, not -ENOSYS",
                  nr, smp_cpu(), c->log_idx, rc);
}

/* Where the op structure goes: in scratch, crossing a page, or bad. */
static uint32_t op_place(struct cpu_state *c, size_t size)
{
    switch ( below(c, 8) )
    {
    case 0: return 0;
    case 1: return (uint32_t)my_scratch() + 4096 - size / 2;
    case 2: return ram_end - size / 2;
    case 3: return ram_end + 4096;
    case 4: return XAPIC_BASE;
    default: return (uint32_t)my_scratch() + 8192 + 8 * below(c, 32);
    }
}

/* Scribble over one field (a byte range) of a structure. */
static unsigned int mutate(struct cpu_state *c, uint8_t *p, size_t size)
{
    unsigned int off = below(c, size), len = 1u << below(c, 4), i;
    uint64_t v = junk64(c);

    if ( off + len > size )
        len = size - off;
    for ( i = 0; i < len; i++ )
        p[off + i] = (uint8_t)(v >> (8 * (i & 7)));
    return off;
}

static void act_domctl(struct cpu_state *c)
{
    static const domid_t doms[] = { 0, 1, 2, 3, 0x7fef, DOMID_SELF,
                                    DOMID_IDLE, 0x7ff1, 0xffff };
    struct xen_domctl *op = (struct xen_domctl *)(my_scratch() + 12288);
    uint32_t cmd = 1 + below(c, 16), place, field = ~0u;
    domid_t dom = doms[below(c, ARRAY_SIZE(doms))];
    long rc;

    memset(op, 0, sizeof(*op));
    op->cmd = cmd;
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    op->domain = dom;
    switch ( cmd )
    {
    case XEN_DOMCTL_createdomain:
        op->u.createdomain.flags = XEN_DOMCTL_CDF_hvm;
        op->u.createdomain.max_vcpus = 1;
        op->u.createdomain.max_pages = 512;
        op->domain = 0;
        break;
    case XEN_DOMCTL_scheduler_op:
        op->u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
        op->u.scheduler_op.cmd = XEN_DOMCTL_SCHEDOP_getinfo;
        break;
    case XEN_DOMCTL_copy_to_guest:
        op->u.copy_to_guest.buffer = (uint32_t)scratch;
        op->u.copy_to_guest.size = 64;
        break;
    case XEN_DOMCTL_console_io:
        op->u.console_io.cmd = XEN_DOMCTL_CONSOLE_READ;
        op->u.console_io.size = 256;
        op->u.console_io.buffer = (uint32_t)scratch;
        break;
    case XEN_DOMCTL_build_platform:
        op->u.build_platform.kind = XEN_DOMCTL_PLATFORM_MULTIBOOT;
        op->u.build_platform.cmdline = (uint32_t)scratch;
        op->u.build_platform.cmdline_len = 8;
        break;
    case XEN_DOMCTL_sendtrigger:
        op->u.sendtrigger.trigger = XEN_DOMCTL_SENDTRIGGER_NMI;
        op->u.sendtrigger.vcpu = below(c, 3);
        break;
    case XEN_DOMCTL_setvcpuaffinity:
    case XEN_DOMCTL_getvcpuaffinity:
        op->u.vcpuaffinity.cpumap[0] = 1u << below(c, 3);
        break;
    }
    if ( below(c, 4) )
        field = mutate(c, (uint8_t *)op, sizeof(*op));
    if ( op->cmd == XEN_DOMCTL_console_io )
        sink_fix(&op->u.console_io.buffer, op->u.console_io.size);

    /*
     * What this domain may not do to itself or its neighbour and still
     * finish the run: stop itself (destroy, pause), stop or slow domain
     * 1 (pause, destroy, weights, affinity, console input, triggers).
     * Those go to ids that are no domain.
     */
    if ( op->domain == 0 || op->domain == 1 || op->domain == DOMID_SELF )
    {
        bool bad = false;

        switch ( op->cmd )
        {
        case XEN_DOMCTL_destroydomain:
        case XEN_DOMCTL_pausedomain:
            bad = true;
            break;
        case XEN_DOMCTL_scheduler_op:
            bad = op->u.scheduler_op.cmd != XEN_DOMCTL_SCHEDOP_getinfo;
            break;
        case XEN_DOMCTL_setvcpuaffinity:
        case XEN_DOMCTL_sendtrigger:
        case XEN_DOMCTL_max_vcpus:
            bad = op->domain == 1;
            break;
        case XEN_DOMCTL_console_io:
            bad = op->domain == 1 &&
                  op->u.console_io.cmd != XEN_DOMCTL_CONSOLE_READ;
            break;
        case XEN_DOMCTL_copy_to_guest:
        case XEN_DOMCTL_populate_ram:
        case XEN_DOMCTL_build_platform:
        case XEN_DOMCTL_setvcpucontext:
        case XEN_DOMCTL_unpausedomain:
            /* Refused once a domain has run: what is checked here. */
            break;
        }
        if ( bad )
            op->domain = 0x7fef;
    }
    place = op_place(c, sizeof(*op));
    if ( place >= (uint32_t)scratch && place + sizeof(*op) <=
         (uint32_t)scratch + sizeof(scratch) )
        memcpy((void *)place, op, sizeof(*op));
    else if ( place != 0 && below(c, 2) )
        place = (uint32_t)op;
    log_action(c, 'D', "%x %x %x %x", op->cmd, op->domain, field, place);
    rc = hypercall3(__HYPERVISOR_domctl, place, 0, 0);
    expect_rc(c, "domctl", rc, place, sizeof(*op),
              op->interface_version != XEN_DOMCTL_INTERFACE_VERSION);

    /* A domain made by a garbage create is destroyed again at once. */
    if ( rc == 0 && cmd == XEN_DOMCTL_createdomain &&
         place >= (uint32_t)scratch &&
         place < (uint32_t)scratch + sizeof(scratch) )
    {
        struct xen_domctl *done = (struct xen_domctl *)place;
        struct xen_domctl d;

        memset(&d, 0, sizeof(d));
        d.cmd = XEN_DOMCTL_destroydomain;
        d.domain = done->domain;
        log_action(c, 'D', "destroy %x", d.domain);
        if ( d.domain > 1 && d.domain < DOMID_FIRST_RESERVED )
            xen_domctl(&d);
    }
}

static void act_sysctl(struct cpu_state *c)
{
    struct xen_sysctl *op = (struct xen_sysctl *)(my_scratch() + 12288);
    uint32_t cmd = 1 + below(c, 6), place, field = ~0u;

    memset(op, 0, sizeof(*op));
    op->cmd = cmd;
    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    switch ( cmd )
    {
    case XEN_SYSCTL_readconsole:
        op->u.readconsole.count = 512;
        op->u.readconsole.buffer = (uint32_t)scratch;
        break;
    case XEN_SYSCTL_getdomaininfolist:
        op->u.getdomaininfolist.max_domains = 4;
        op->u.getdomaininfolist.buffer = (uint32_t)scratch;
        break;
    case XEN_SYSCTL_debug_keys:
        /* Dumps are long: one in 16, and mostly refused ones. */
        scratch[0] = "qrsvi"[below(c, 5)];
        op->u.debug_keys.keys = (uint32_t)scratch;
        op->u.debug_keys.nr_keys = below(c, 16) ? 0 : 1;
        break;
    case XEN_SYSCTL_scheduler_op:
        op->u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
        op->u.scheduler_op.cmd = XEN_SYSCTL_SCHEDOP_getinfo;
        break;
    case XEN_SYSCTL_irq_stats:
        op->u.irq_stats.version = XEN_IRQ_STATS_VERSION;
        op->u.irq_stats.kind = below(c, 2);
        op->u.irq_stats.domid = below(c, 2);
        op->u.irq_stats.vcpu = below(c, 2);
        op->u.irq_stats.size = sizeof(struct xen_irq_stats_vcpu);
        op->u.irq_stats.buffer = (uint32_t)scratch;
        break;
    }
    if ( below(c, 4) )
        field = mutate(c, (uint8_t *)op, sizeof(*op));
    switch ( op->cmd )
    {
    case XEN_SYSCTL_readconsole:
        sink_fix(&op->u.readconsole.buffer, op->u.readconsole.count);
        break;
    case XEN_SYSCTL_getdomaininfolist:
        sink_fix(&op->u.getdomaininfolist.buffer,
                 (uint64_t)op->u.getdomaininfolist.max_domains *
                 sizeof(struct xen_domctl_getdomaininfo));
        break;
    case XEN_SYSCTL_irq_stats:
        sink_fix(&op->u.irq_stats.buffer,
                 sizeof(struct xen_irq_stats_pcpu));
        break;
    }
    /* Never a real key dump from a mutation, and no global settings. */
    if ( op->cmd == XEN_SYSCTL_debug_keys && op->u.debug_keys.nr_keys &&
         op->u.debug_keys.nr_keys <= XEN_SYSCTL_DEBUG_KEYS_MAX &&
         field != ~0u )
        op->u.debug_keys.nr_keys = 0;
    if ( op->cmd == XEN_SYSCTL_scheduler_op )
        op->u.scheduler_op.cmd |= 0x100;   /* an unknown command */
    place = op_place(c, sizeof(*op));
    if ( place >= (uint32_t)scratch && place + sizeof(*op) <=
         (uint32_t)scratch + sizeof(scratch) )
        memcpy((void *)place, op, sizeof(*op));
    else if ( place != 0 && below(c, 2) )
        place = (uint32_t)op;
    log_action(c, 'S', "%x %x %x", op->cmd, field, place);
    expect_rc(c, "sysctl", hypercall3(__HYPERVISOR_sysctl, place, 0, 0),
              place, sizeof(*op),
              op->interface_version != XEN_SYSCTL_INTERFACE_VERSION);
}

/* --- MSRs --- */

static bool write_excluded(uint32_t msr)
{
    return msr == 0x10 || msr == 0x3b ||          /* the TSC */
           msr == MSR_APIC_BASE_ ||               /* act_apic_base */
           msr == 0x11 || msr == 0x12 ||          /* KVM's old PV */
           (msr >= 0x4b564d00 && msr <= 0x4b564dff) ||
           msr == 0xc0000101 ||                   /* %gs base */
           msr == 0x830 ||                        /* x2APIC ICR */
           (msr >= 0x832 && msr <= 0x837) ||      /* x2APIC LVTs */
           msr == 0x82f ||                        /* CMCI LVT */
           msr == 0x83f;                          /* SELF IPI */
}

static uint32_t pick_msr(struct cpu_state *c)
{
    static const uint32_t sensitive[] = {
        0xc0000080, 0x1b, 0x1a0, 0x277, 0x2ff, 0x174, 0x175, 0x176,
        0x1d9, 0x3a, 0x48, 0x49, 0x79, 0x8b, 0x6e0, 0xc0000081,
        0xc0000082, 0xc0000083, 0xc0000084, 0xc0000100, 0xc0000102,
        0xc0000103, 0xc0010114, 0xc0010115, 0xc0010117, 0xc0010010,
        0xc0010000, 0xc0010004, 0x480, 0x481, 0x482, 0x485, 0x48b,
        0x48c, 0x491, 0x40000000, 0x40000001, 0x4b564d00, 0x4b564d01,
        0x4b564d02, 0x4b564d03, 0x4b564d04, 0x4b564d05, 0x11, 0x12,
        0x800, 0x802, 0x803, 0x808, 0x80a, 0x80b, 0x80d, 0x80e, 0x80f,
        0x828, 0x838, 0x839, 0x83e, 0x8ff, 0x10, 0x3b,
    };

    switch ( below(c, 6) )
    {
    case 0: return sensitive[below(c, ARRAY_SIZE(sensitive))];
    case 1: return below(c, 0x2000);
    case 2: return 0xc0000000 + below(c, 0x2000);
    case 3: return 0xc0010000 + below(c, 0x2000);
    case 4: return 0x800 + below(c, 0x100);
    default: return r32(c);
    }
}

/* MSRs put back after a random write: the kernel still needs them. */
static bool restore_after(uint32_t msr)
{
    return msr == 0xc0000080 || msr == 0x1a0 || msr == 0x277 ||
           msr == 0x1d9 || msr == 0xc0000100 || msr == 0x2ff ||
           (msr >= 0x200 && msr < 0x280) || (msr >= 0x800 && msr < 0x900);
}

static void act_msr(struct cpu_state *c)
{
    uint32_t msr = pick_msr(c);
    uint64_t v, old;
    bool had;

    if ( below(c, 2) || write_excluded(msr) )
    {
        log_action(c, 'R', "%x", msr);
        g_rdmsr(msr, &v);
        return;
    }
    v = junk64(c);
    had = restore_after(msr) && g_rdmsr(msr, &old);
    log_action(c, 'W', "%x %x %x", msr, (uint32_t)(v >> 32), (uint32_t)v);
    g_wrmsr(msr, v);
    if ( had )
        g_wrmsr(msr, old);
    if ( msr == 0xc0000100 )
        asm volatile ( "mov %0, %%fs" :: "r" (SEL_DATA) );
}

/* The KVM PV MSRs at bad addresses; a RAM address is always scratch. */
static void act_pv_msr(struct cpu_state *c)
{
    static const uint32_t pv[] = { 0x4b564d00, 0x4b564d01, 0x4b564d03,
                                   0x4b564d04, 0x11, 0x12 };
    uint32_t msr = pv[below(c, ARRAY_SIZE(pv))];
    uint64_t v = bad_addr(c);

    /* Random addresses may hit this kernel: keep those in scratch. */
    if ( v < ram_end && (v < (uint32_t)scratch ||
                         v >= (uint32_t)scratch + sizeof(scratch)) )
        v = (uint32_t)scratch + (v & 0xfff);
    v |= below(c, 4) ? 1 : (rnd(c) & 0x3f);     /* enable, or reserved */
    if ( !below(c, 8) )
        v = 0;
    log_action(c, 'W', "%x %x %x", msr, (uint32_t)(v >> 32), (uint32_t)v);
    g_wrmsr(msr, v);
}

/* --- the APIC --- */

static void apic_resync(void)
{
    apic_setup(mode);
    apic_write(APIC_LINT1, APIC_LVT_MASKED);
}

/* APIC base: disable, x2APIC, moved, reserved bits; then back. */
static void act_apic_base(struct cpu_state *c)
{
    uint64_t old, v;
    uint32_t f = irq_save();

    if ( !g_rdmsr(MSR_APIC_BASE_, &old) )
        test_fail("RDMSR APIC_BASE faulted");
    switch ( below(c, 7) )
    {
    case 0: v = old & ~(uint64_t)APIC_EN; break;
    case 1: v = old | APIC_EXTD; break;
    case 2: v = (old & ~(uint64_t)APIC_EN) | APIC_EXTD; break;
    case 3: v = (old & 0xfff) | (uint32_t)apic_landing; break;
    case 4: v = (old & 0xfff) | 0xc0000000u; break;
    case 5: v = old | (1ull << (32 + below(c, 32))) | (1u << below(c, 12));
        break;
    default: v = junk64(c); break;
    }
    log_action(c, 'B', "%x %x", (uint32_t)(v >> 32), (uint32_t)v);
    if ( g_wrmsr(MSR_APIC_BASE_, v) && (v & APIC_EN) && !(v & APIC_EXTD) )
    {
        /* Touch the APIC where it went: a read and a TPR write. */
        volatile uint32_t *p = (volatile uint32_t *)((uint32_t)v &
                                                     0xfffff000u);

        if ( (uint32_t)p == (uint32_t)apic_landing ||
             (uint32_t)p >= ram_end )
        {
            (void)p[APIC_VERSION / 4];
            p[APIC_TPR / 4] = 0x20;
        }
    }
    /* Back to the original base through "disabled" (from any mode). */
    g_wrmsr(MSR_APIC_BASE_, old & ~(uint64_t)(APIC_EN | APIC_EXTD));
    g_wrmsr(MSR_APIC_BASE_, old & ~(uint64_t)APIC_EXTD);
    apic_resync();
    irq_restore(f);
}

/* A vector for an interrupt: never 16-31 (see the top comment). */
static uint32_t irq_vector(struct cpu_state *c)
{
    uint32_t v = below(c, 16) ? 0x20 + below(c, 0xdf) : below(c, 16);

    return v;
}

static void act_icr(struct cpu_state *c)
{
    uint32_t dm = below(c, 8), low, dest;

    low = (dm << 8) | irq_vector(c);
    if ( below(c, 2) )
        low |= APIC_DEST_LOGICAL;
    if ( below(c, 4) )
        low |= APIC_ASSERT;
    if ( !below(c, 4) )
        low |= APIC_LEVEL;
    low |= below(c, 4) << 18;
    dest = below(c, 2) ? below(c, 2) : r32(c) & (mode ? ~0u : 0xff);
    if ( dm == 5 )
    {
        /*
         * INIT only where no CPU of this domain is (the storm action
         * does CPU 1): another physical ID, a logical one (LDRs are 0).
         */
        low &= ~(3u << 18);
        if ( !(low & APIC_DEST_LOGICAL) && dest < 2 )
            dest = 2 + below(c, 0xfd);
        if ( dest == 0xff || dest == ~0u )
            dest = 0x80;
    }
    log_action(c, 'C', "%x %x", dest, low);
    apic_icr(dest, low);
}

/* INIT/SIPI storm at CPU 1 (from the BSP), then CPU 1 started again. */
static void act_init_storm(struct cpu_state *c)
{
    unsigned int n = 1 + below(c, 8), i;
    uint32_t ap = percpu[1].madt_id;

    if ( !smp_call_wait(1, 5000000) )
        test_fail("CPU 1 did not finish its actions in 5 s");
    log_action(c, 'N', "%x %x", ap, n);
    /* SIPIs at a running CPU are ignored; NMIs are taken. */
    for ( i = 0; i < n; i++ )
    {
        apic_icr(ap, APIC_DM_STARTUP | below(c, 256));
        apic_icr(ap, APIC_DM_NMI);
    }
    /*
     * No NMI after the first INIT: xen-lite keeps an NMI that reaches a
     * vCPU waiting for its SIPI and delivers it right after the SIPI, in
     * real mode, where CPU 1's trampoline has no IVT for it (it then
     * never comes up).  Whether hardware drops it is left open here.
     */
    for ( i = 0; i < n; i++ )
    {
        switch ( below(c, 3) )
        {
        case 0: apic_icr(ap, APIC_DM_INIT | APIC_ASSERT); break;
        case 1: apic_icr(0, APIC_DM_INIT | APIC_ASSERT | APIC_SH_OTHERS);
            break;
        default:
            /* INIT level de-assert: no reset (SDM 10.6.1). */
            apic_icr(0, APIC_DM_INIT | APIC_LEVEL | APIC_SH_ALL);
            break;
        }
    }
    if ( !smp_start_ap(1, mode, 2000000) )
        test_fail("CPU 1 did not start again after an INIT storm");
}

static void act_timer(struct cpu_state *c)
{
    uint32_t lvt = irq_vector(c), count = 1 + below(c, 64);
    uint64_t end;

    switch ( below(c, 3) )
    {
    case 0: lvt |= APIC_TIMER_PERIODIC; break;
    case 1: lvt |= APIC_TIMER_ONESHOT; break;
    default: lvt |= APIC_TIMER_DEADLINE; break;
    }
    log_action(c, 'T', "%x %x", lvt, count);
    apic_write(APIC_TDCR, below(c, 2) ? APIC_TDCR_DIV1 : below(c, 16));
    apic_write(APIC_LVTT, lvt);
    if ( (lvt & (3u << 17)) == APIC_TIMER_DEADLINE )
        g_wrmsr(0x6e0, below(c, 2) ? 1 : rdtsc() + count);
    else
        apic_write(APIC_TMICT, count);
    end = rdtsc() + us_to_tsc(100 + below(c, 400));
    while ( rdtsc() < end )
        cpu_relax();
    apic_write(APIC_LVTT, APIC_LVT_MASKED);
    apic_write(APIC_TMICT, 0);
    g_wrmsr(0x6e0, 0);
}

static void act_lvt(struct cpu_state *c)
{
    static const uint16_t regs[] = { APIC_LVTT, APIC_LVT_THERM,
                                     APIC_LVT_PMC, APIC_LINT0, APIC_LINT1,
                                     APIC_LVT_ERR, 0x2f0 };
    uint32_t reg = regs[below(c, ARRAY_SIZE(regs))];
    uint32_t v = r32(c) & ~0xffu, dm = (v >> 8) & 7;

    /* INIT from a LINT pin or the sendtrigger NMI button resets a CPU. */
    if ( dm == 5 )
        v &= ~(7u << 8);
    v |= irq_vector(c);
    if ( below(c, 2) )
        v &= ~APIC_LVT_MASKED;
    log_action(c, 'L', "%x %x", reg, v);
    apic_write(reg, v);
    if ( reg == APIC_LVT_ERR )
    {
        /* An illegal vector sent to itself raises the error. */
        apic_icr(0, APIC_SH_SELF | below(c, 16));
        apic_write(APIC_ESR, 0);
    }
    udelay(20);
    apic_resync();
}

/* --- port I/O --- */

static bool port_forbidden(uint32_t port, uint32_t size, bool write)
{
    uint32_t end = port + size;

    if ( end > 0x10000 )
        return true;
    if ( port < 0xf8 && end > 0xf4 )           /* exit port */
        return true;
    if ( port < 0x603 && end > 0x600 && !(port == 0x601 && size == 1) )
        return true;                           /* ACPI sleep, reset */
    if ( write && port < 0x400 && end > 0x3f8 )  /* our UART */
        return true;
    if ( port < 0x8901 && end > 0x88ff )       /* Bochs shutdown */
        return true;
    return false;
}

static void act_port(struct cpu_state *c)
{
    static const uint16_t ports[] = {
        0x20, 0x21, 0xa0, 0xa1, 0x40, 0x41, 0x42, 0x43, 0x61, 0x70, 0x71,
        0x80, 0x92, 0xcf8, 0xcf9, 0xcfa, 0xcfc, 0xcfd, 0xcfe, 0xcff,
        0x601, 0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff,
        0x2000, 0x2001, 0x200a, 0x200b, 0x2017, 0xf0, 0xf1, 0xf3, 0xf8,
        0x5ff, 0x603, 0xffff,
    };
    uint32_t port, size = 1u << below(c, 3), form = below(c, 4);
    uint32_t count = 1 + below(c, 8), v = r32(c), tries;
    bool write = form & 1;
    uint8_t *buf = scratch + 8192;

    /* INS/OUTS crash the domain under xen-lite: see unemulated=. */
    if ( !unemulated )
        form &= 1;

    for ( tries = 0; ; tries++ )
    {
        port = below(c, 2) ? ports[below(c, ARRAY_SIZE(ports))]
                           : below(c, 0x10000);
        if ( !port_forbidden(port, size, write) )
            break;
    }
    log_action(c, 'I', "%x %x %x %x", port, size, form, v);
    switch ( form * 4 + size )
    {
    case 0 * 4 + 1: (void)inb(port); break;
    case 0 * 4 + 2:
        asm volatile ( "inw %w1, %w0" : "=a" (v) : "d" (port) ); break;
    case 0 * 4 + 4:
        asm volatile ( "inl %w1, %0" : "=a" (v) : "d" (port) ); break;
    case 1 * 4 + 1: outb(port, v); break;
    case 1 * 4 + 2: outw(port, v); break;
    case 1 * 4 + 4: outl(port, v); break;
    case 2 * 4 + 1:
        asm volatile ( "cld; rep insb" : "+D" (buf), "+c" (count)
                       : "d" (port) : "memory" ); break;
    case 2 * 4 + 2:
        asm volatile ( "cld; rep insw" : "+D" (buf), "+c" (count)
                       : "d" (port) : "memory" ); break;
    case 2 * 4 + 4:
        asm volatile ( "cld; rep insl" : "+D" (buf), "+c" (count)
                       : "d" (port) : "memory" ); break;
    case 3 * 4 + 1:
        asm volatile ( "cld; rep outsb" : "+S" (buf), "+c" (count)
                       : "d" (port) : "memory" ); break;
    case 3 * 4 + 2:
        asm volatile ( "cld; rep outsw" : "+S" (buf), "+c" (count)
                       : "d" (port) : "memory" ); break;
    case 3 * 4 + 4:
        asm volatile ( "cld; rep outsl" : "+S" (buf), "+c" (count)
                       : "d" (port) : "memory" ); break;
    }
}

/* --- MMIO --- */

/* Writes the MMIO action must not make (the ICR, LVT, LDR/DFR). */
static bool mmio_forbidden(uint32_t a, uint32_t len)
{
    uint32_t end = a + len;

    if ( a < XAPIC_BASE + 0x1000 && end > XAPIC_BASE )
    {
        uint32_t o = a - XAPIC_BASE, oe = end - XAPIC_BASE;

        if ( o < 0x310 && oe > 0x300 )
            return true;
        if ( o < 0x380 && oe > 0x2f0 )
            return true;
        if ( o < 0xf0 && oe > 0xd0 )
            return true;
        return a < XAPIC_BASE;
    }
    if ( a < IOAPIC_BASE + 0x20 && end > IOAPIC_BASE + 0x10 )
        return true;                            /* IOWIN: act_ioapic */
    return a < XAPIC_BASE + 0x1000 && end > IOAPIC_BASE - 0x1000 &&
           a < IOAPIC_BASE;
}

static uint32_t mmio_targets = 0x3f, mmio_forms = 0xffff;

static uint32_t mmio_target(struct cpu_state *c)
{
    uint32_t t;

    do
        t = below(c, 6);
    while ( !(mmio_targets & (1u << t)) );
    switch ( t )
    {
    case 0: case 1: return XAPIC_BASE + below(c, 0x1000);
    case 2: return IOAPIC_BASE + below(c, 0x80);
    case 3: return 0xc0000000u + below(c, 0x2000);
    case 4: return ram_end + 0x100000 + below(c, 0x2000);
    default: return 0xfed00000u + below(c, 0x1000);     /* no HPET */
    }
}

static void act_mmio(struct cpu_state *c)
{
    struct cpu_state *cc = c;
    uint32_t a, form = below(c, 16), size = 1u << below(c, 3);
    uint32_t count = 1 + below(c, 8), len, v = r32(c), tries;
    uint32_t ax = v, dx = ~v;
    uint8_t *buf = scratch + 8192;

    static const uint8_t form_len[16] = { 4, 4, 4, 0, 0, 4, 4, 4, 8, 4,
                                          16, 16, 8, 0, 4, 0 };

    while ( !(mmio_forms & (1u << form)) )
        form = below(c, 16);
    for ( tries = 0; ; tries++ )
    {
        a = mmio_target(c);
        if ( form == 2 )
            a |= 1 + below(c, 3);               /* unaligned */
        len = form_len[form] ? form_len[form] : size * count;
        if ( form == 0 || form == 3 || form == 10 || form == 12 )
            break;                              /* reads */
        if ( !mmio_forbidden(a, len) || tries > 100 )
            break;
    }
    if ( tries > 100 )
        form = 0;
    /*
     * CMPXCHG8B and the SSE moves are beyond xen-lite's MMIO decoder,
     * which crashes the domain ("MMIO instruction not emulated"): only
     * with unemulated=1, where that is the end of the run.
     */
    if ( !unemulated && (form == 8 || (form >= 10 && form <= 12)) )
        form = 1;
    log_action(c, 'M', "%x %x %x %x", a, size, form, count);
    (void)cc;
    switch ( form )
    {
    case 0:                                     /* loads of every size */
        if ( size == 1 )
            asm volatile ( GUARD_BEGIN "movb (%[p]), %%al" GUARD_END
                           : "+a" (ax), [rec] "+m" (c->recover)
                           : [p] "r" (a) : "memory" );
        else if ( size == 2 )
            asm volatile ( GUARD_BEGIN "movw (%[p]), %%ax" GUARD_END
                           : "+a" (ax), [rec] "+m" (c->recover)
                           : [p] "r" (a) : "memory" );
        else
            asm volatile ( GUARD_BEGIN "movl (%[p]), %%eax" GUARD_END
                           : "+a" (ax), [rec] "+m" (c->recover)
                           : [p] "r" (a) : "memory" );
        break;
    case 1:                                     /* stores */
        if ( size == 1 )
            asm volatile ( GUARD_BEGIN "movb %%al, (%[p])" GUARD_END
                           : [rec] "+m" (c->recover)
                           : [p] "r" (a), "a" (v) : "memory" );
        else if ( size == 2 )
            asm volatile ( GUARD_BEGIN "movw %%ax, (%[p])" GUARD_END
                           : [rec] "+m" (c->recover)
                           : [p] "r" (a), "a" (v) : "memory" );
        else
            asm volatile ( GUARD_BEGIN "movl %%eax, (%[p])" GUARD_END
                           : [rec] "+m" (c->recover)
                           : [p] "r" (a), "a" (v) : "memory" );
        break;
    case 2:                                     /* unaligned both ways */
        asm volatile ( GUARD_BEGIN "movl (%[p]), %%edx\n\t"
                       "movl %%eax, (%[p])" GUARD_END
                       : "+a" (ax), "+d" (dx), [rec] "+m" (c->recover)
                       : [p] "r" (a) : "memory" );
        break;
    case 3:                                     /* rep movs from MMIO */
    case 4:                                     /* rep movs to MMIO */
    case 13:                                    /* rep stos */
    case 15:                                    /* MMIO to MMIO */
    {
        uint32_t s = form == 3 || form == 15 ? a : (uint32_t)buf;
        uint32_t d = form == 3 ? (uint32_t)buf : a;

        if ( form == 15 )
            d = mmio_forbidden(0xc0000000u, len) ? (uint32_t)buf
                                                 : 0xc0000000u;
        if ( form == 13 )
            asm volatile ( GUARD_BEGIN "cld; rep stosb" GUARD_END
                           : "+D" (d), "+c" (len), [rec] "+m" (c->recover)
                           : "a" (v) : "memory" );
        else if ( size == 1 )
            asm volatile ( GUARD_BEGIN "cld; rep movsb" GUARD_END
                           : "+S" (s), "+D" (d), "+c" (count),
                             [rec] "+m" (c->recover) :: "memory" );
        else if ( size == 2 )
            asm volatile ( GUARD_BEGIN "cld; rep movsw" GUARD_END
                           : "+S" (s), "+D" (d), "+c" (count),
                             [rec] "+m" (c->recover) :: "memory" );
        else if ( size == 4 )
            asm volatile ( GUARD_BEGIN "cld; rep movsl" GUARD_END
                           : "+S" (s), "+D" (d), "+c" (count),
                             [rec] "+m" (c->recover) :: "memory" );
        else
            asm volatile ( GUARD_BEGIN "std; movsl; movsb; cld" GUARD_END
                           : "+S" (s), "+D" (d),
                             [rec] "+m" (c->recover) :: "memory" );
        asm volatile ( "cld" );
        break;
    }
    case 5:                                     /* locked ALU */
        if ( below(c, 2) )
            asm volatile ( GUARD_BEGIN "lock orl %%eax, (%[p])" GUARD_END
                           : [rec] "+m" (c->recover)
                           : [p] "r" (a), "a" (v) : "memory" );
        else
            asm volatile ( GUARD_BEGIN "lock xaddl %%eax, (%[p])"
                           GUARD_END
                           : "+a" (ax), [rec] "+m" (c->recover)
                           : [p] "r" (a) : "memory" );
        break;
    case 6:
        asm volatile ( GUARD_BEGIN "xchgl %%eax, (%[p])" GUARD_END
                       : "+a" (ax), [rec] "+m" (c->recover)
                       : [p] "r" (a) : "memory" );
        break;
    case 7:
        asm volatile ( GUARD_BEGIN "lock cmpxchgl %%edx, (%[p])"
                       GUARD_END
                       : "+a" (ax), "+d" (dx), [rec] "+m" (c->recover)
                       : [p] "r" (a) : "memory" );
        break;
    case 8:
        asm volatile ( GUARD_BEGIN "lock cmpxchg8b (%[p])" GUARD_END
                       : "+a" (ax), "+d" (dx), [rec] "+m" (c->recover)
                       : [p] "S" (a), "b" (v), "c" (~v) : "memory" );
        break;
    case 9:
        asm volatile ( GUARD_BEGIN "movnti %%eax, (%[p])" GUARD_END
                       : [rec] "+m" (c->recover)
                       : [p] "r" (a), "a" (v) : "memory" );
        break;
    case 10:                                    /* SSE loads */
        if ( has_sse )
            asm volatile ( GUARD_BEGIN "movups (%[p]), %%xmm1\n\t"
                           "movdqu (%[p]), %%xmm2" GUARD_END
                           : [rec] "+m" (c->recover)
                           : [p] "r" (a) : "memory" );
        break;
    case 11:                                    /* SSE stores */
        if ( has_sse )
            asm volatile ( GUARD_BEGIN "movups %%xmm1, (%[p])\n\t"
                           "movntps %%xmm1, (%[p])" GUARD_END
                           : [rec] "+m" (c->recover)
                           : [p] "r" (a & ~15u) : "memory" );
        break;
    case 12:                                    /* 8 bytes: MOVQ */
        if ( has_sse )
            asm volatile ( GUARD_BEGIN "movq (%[p]), %%xmm3" GUARD_END
                           : [rec] "+m" (c->recover)
                           : [p] "r" (a) : "memory" );
        break;
    case 14:                                    /* locked bit ops */
        asm volatile ( GUARD_BEGIN "lock btsl %%eax, (%[p])\n\t"
                       "lock btrl %%eax, (%[p])" GUARD_END
                       : [rec] "+m" (c->recover)
                       : [p] "r" (a), "a" (v & 31) : "memory" );
        break;
    }
}

/* IOAPIC redirection entries, their delivery modes filtered. */
static void act_ioapic(struct cpu_state *c)
{
    volatile uint32_t *io = (volatile uint32_t *)IOAPIC_BASE;
    uint32_t reg = below(c, 4) ? 0x10 + below(c, 48) : below(c, 256);
    uint32_t v = r32(c);

    if ( reg >= 0x10 && reg < 0x40 && !(reg & 1) )
    {
        if ( ((v >> 8) & 7) == 5 )
            v &= ~(7u << 8);
        v = (v & ~0xffu) | irq_vector(c);
    }
    log_action(c, 'M', "ioapic %x %x", reg, v);
    io[0] = reg;
    io[4] = v;
    (void)io[4];
}

/* --- control registers, XCR0, descriptor tables, exceptions --- */

static void act_cr(struct cpu_state *c)
{
    uint32_t cr0 = read_cr0(), cr4 = read_cr4(), v, gp;
    uint32_t which = below(c, 6);

    switch ( which )
    {
    case 0:                                     /* CR0: never PE off */
        v = (cr0 ^ (r32(c) & 0xe005002e)) | CR0_PE;
        if ( (v & CR0_PG) && below(c, 2) )
            v &= ~CR0_PE;                        /* PG without PE: #GP */
        else
            v &= ~CR0_PG;
        log_action(c, 'X', "0 %x", v);
        asm volatile ( GUARD_BEGIN "mov %[v], %%cr0" GUARD_END
                       : [rec] "+m" (c->recover) : [v] "r" (v) : "memory" );
        break;
    case 1:                                     /* CR4 bits, reserved too */
        v = cr4 ^ (1u << below(c, 32));
        v &= ~CR4_PAE;
        log_action(c, 'X', "4 %x", v);
        gp = c->faults[13];
        asm volatile ( GUARD_BEGIN "mov %[v], %%cr4" GUARD_END
                       : [rec] "+m" (c->recover) : [v] "r" (v) : "memory" );
        /* Bits 15 and 25-31 are reserved on every CPU: #GP(0). */
        if ( (v & 0xfe008000u) && c->faults[13] != gp + 1 )
            test_fail("MOV CR4 %#x (action %u.%x) did not #GP", v,
                      smp_cpu(), c->log_idx);
        break;
    case 2:
        v = r32(c);
        log_action(c, 'X', "3 %x", v);
        asm volatile ( GUARD_BEGIN "mov %[v], %%cr3" GUARD_END
                       : [rec] "+m" (c->recover) : [v] "r" (v) : "memory" );
        break;
    case 3:                                     /* XSETBV */
    {
        uint32_t ecx = below(c, 4) ? 0 : r32(c) & 3;
        uint64_t x = below(c, 2) ? (1u << below(c, 10)) | 1 : junk64(c);

        if ( has_xsave && !(cr4 & CR4_OSXSAVE) && below(c, 2) )
            write_cr4(cr4 | CR4_OSXSAVE);
        log_action(c, 'X', "x %x %x %x", ecx, (uint32_t)(x >> 32),
                   (uint32_t)x);
        asm volatile ( GUARD_BEGIN "xsetbv" GUARD_END
                       : [rec] "+m" (c->recover)
                       : "c" (ecx), "a" ((uint32_t)x),
                         "d" ((uint32_t)(x >> 32)) : "memory" );
        if ( read_cr4() & CR4_OSXSAVE )
            asm volatile ( GUARD_BEGIN "xsetbv" GUARD_END
                           : [rec] "+m" (c->recover)
                           : "c" (0), "a" (3), "d" (0) : "memory" );
        break;
    }
    case 4:                                     /* debug registers */
        v = r32(c) & ~(0xffu | (1u << 13));     /* no breakpoint, no GD */
        log_action(c, 'X', "d7 %x", v);
        asm volatile ( GUARD_BEGIN "mov %[a], %%dr0\n\t"
                       "mov %[v], %%dr7\n\tmov %%dr6, %[v]\n\t"
                       "mov %[v], %%dr6" GUARD_END
                       : [rec] "+m" (c->recover), [v] "+r" (v)
                       : [a] "r" (0xc0000000u) : "memory" );
        asm volatile ( "mov %0, %%dr7" :: "r" (0x400) );
        break;
    default:                                    /* CR2, CR8 is 64-bit */
        v = r32(c);
        log_action(c, 'X', "2 %x", v);
        asm volatile ( "mov %0, %%cr2" :: "r" (v) );
        break;
    }
    /* Back to what the kernel runs with. */
    asm volatile ( GUARD_BEGIN "mov %[v], %%cr4" GUARD_END
                   : [rec] "+m" (c->recover) : [v] "r" (cr4) : "memory" );
    asm volatile ( GUARD_BEGIN "mov %[v], %%cr0" GUARD_END
                   : [rec] "+m" (c->recover) : [v] "r" (cr0) : "memory" );
    if ( read_cr0() != cr0 || read_cr4() != cr4 )
        test_fail("CR0/CR4 not restored: %#x/%#x, expected %#x/%#x",
                  read_cr0(), read_cr4(), cr0, cr4);
}

struct dtr
{
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

static void act_desc(struct cpu_state *c)
{
    struct dtr save, junk = { (uint16_t)r32(c), r32(c) }, back;
    uint32_t f = irq_save(), sel = r32(c) & 0xffff;
    uint32_t kind = below(c, 6);

    /*
     * With a junk GDT or IDT loaded, an NMI from CPU 1 (its ICR action or
     * a sendtrigger) would triple-fault this CPU: CPU 1 idle first.
     */
    if ( kind < 2 && !smp_call_wait(1, 5000000) )
        test_fail("CPU 1 did not finish its actions in 5 s");
    log_action(c, 'G', "%x %x %x %x", kind, junk.limit, junk.base, sel);
    switch ( kind )
    {
    case 0:                                     /* LGDT junk, back */
        asm volatile ( "sgdt %0" : "=m" (save) );
        asm volatile ( "lgdt %1\n\tsgdt %0\n\tlgdt %2"
                       : "=m" (back) : "m" (junk), "m" (save) );
        break;
    case 1:                                     /* LIDT junk, back */
        asm volatile ( "sidt %0" : "=m" (save) );
        asm volatile ( "lidt %1\n\tsidt %0\n\tlidt %2"
                       : "=m" (back) : "m" (junk), "m" (save) );
        break;
    case 2:                                     /* LLDT */
        asm volatile ( GUARD_BEGIN "lldt %w[s]\n\tsldt %w[s]" GUARD_END
                       : [rec] "+m" (c->recover), [s] "+r" (sel)
                       :: "memory" );
        asm volatile ( "lldt %w0" :: "r" (0) );
        break;
    case 3:                                     /* LTR */
        asm volatile ( GUARD_BEGIN "ltr %w[s]" GUARD_END
                       : [rec] "+m" (c->recover) : [s] "r" (sel)
                       : "memory" );
        break;
    case 4:                                     /* FS/ES loads */
        asm volatile ( GUARD_BEGIN "mov %w[s], %%fs\n\tmov %w[s], %%es"
                       GUARD_END
                       : [rec] "+m" (c->recover) : [s] "r" (sel)
                       : "memory" );
        asm volatile ( "mov %0, %%fs\n\tmov %0, %%es" :: "r" (SEL_DATA) );
        break;
    default:                                    /* LAR/LSL/VERR/VERW */
        asm volatile ( "lar %w0, %0\n\tlsl %w0, %0\n\tverr %w0\n\t"
                       "verw %w0" : "+r" (sel) :: "cc" );
        break;
    }
    irq_restore(f);
}

static void act_exception(struct cpu_state *c)
{
    uint32_t kind = below(c, 10), n = r32(c) & 0xff;
    static const uint8_t err_vec[] = { 8, 10, 11, 12, 13, 14, 17, 21, 29,
                                       30 };
    unsigned int i;

    for ( i = 0; i < ARRAY_SIZE(err_vec); i++ )
        if ( n == err_vec[i] )
            n = 0x40;
    log_action(c, 'E', "%x %x", kind, n);
    switch ( kind )
    {
    case 0:
        asm volatile ( GUARD_BEGIN "ud2" GUARD_END
                       : [rec] "+m" (c->recover) :: "memory" );
        break;
    case 1:
        asm volatile ( GUARD_BEGIN "int3" GUARD_END
                       : [rec] "+m" (c->recover) :: "memory" );
        break;
    case 2:
        asm volatile ( GUARD_BEGIN "xorl %%ecx, %%ecx\n\tdivl %%ecx"
                       GUARD_END : [rec] "+m" (c->recover)
                       :: "eax", "ecx", "edx", "memory" );
        break;
    case 3:                                     /* INTO with OF */
        asm volatile ( GUARD_BEGIN "movb $0x7f, %%al\n\taddb $1, %%al\n\t"
                       "into" GUARD_END : [rec] "+m" (c->recover)
                       :: "eax", "memory", "cc" );
        break;
    case 4:                                     /* single step */
        asm volatile ( GUARD_BEGIN "pushfl\n\torl $0x100, (%%esp)\n\t"
                       "popfl\n\tnop\n\tnop" GUARD_END
                       : [rec] "+m" (c->recover) :: "memory", "cc" );
        break;
    case 5:                                     /* ICEBP */
        asm volatile ( GUARD_BEGIN ".byte 0xf1" GUARD_END
                       : [rec] "+m" (c->recover) :: "memory" );
        break;
    case 6:                                     /* #NM: TS and SSE */
        if ( has_sse )
        {
            uint32_t cr0 = read_cr0();

            write_cr0(cr0 | CR0_TS);
            asm volatile ( GUARD_BEGIN "movups %%xmm0, %%xmm1" GUARD_END
                           : [rec] "+m" (c->recover) :: "memory" );
            write_cr0(cr0);
        }
        break;
    case 7:                                     /* BOUND out of range */
    {
        static const int32_t bounds[2] = { 10, 20 };

        asm volatile ( GUARD_BEGIN "bound %%eax, %[b]" GUARD_END
                       : [rec] "+m" (c->recover)
                       : "a" (5), [b] "m" (bounds) : "memory" );
        break;
    }
    case 8:                                     /* LOCK NOP: #UD */
        asm volatile ( GUARD_BEGIN ".byte 0xf0, 0x90" GUARD_END
                       : [rec] "+m" (c->recover) :: "memory" );
        break;
    default:                                    /* INT n */
    {
        /*
         * INT n takes an immediate: a stub "INT n; RET", called.  A
         * fault resumes at its RET, so the call returns as usual.
         */
        static uint8_t stub[3] = { 0xcd, 0, 0xc3 };

        stub[1] = n;
        c->recover = (uint32_t)&stub[2];
        asm volatile ( "call *%[f]" :: [f] "r" (stub)
                       : "memory", "eax", "ecx", "edx" );
        c->recover = 0;
        break;
    }
    }
}

/* --- the sequence --- */

/* Categories, their weights (of 100) and letters, for ops= and the log. */
static const struct
{
    void (*fn)(struct cpu_state *c);
    uint8_t weight;
    bool bsp_only;
} cats[] = {
    { act_hypercall, 10, false },       /* 0 H */
    { act_domctl, 10, false },          /* 1 D */
    { act_sysctl, 6, false },           /* 2 S */
    { act_msr, 12, false },             /* 3 R W */
    { act_pv_msr, 3, false },           /* 4 W (PV) */
    { act_apic_base, 3, false },        /* 5 B */
    { act_port, 10, false },            /* 6 I */
    { act_mmio, 14, false },            /* 7 M */
    { act_ioapic, 3, false },           /* 8 M ioapic */
    { act_icr, 8, false },              /* 9 C */
    { act_init_storm, 2, true },        /* 10 N */
    { act_timer, 3, false },            /* 11 T */
    { act_lvt, 3, false },              /* 12 L */
    { act_cr, 5, false },               /* 13 X */
    { act_desc, 2, true },              /* 14 G */
    { act_exception, 6, false },        /* 15 E */
};
static uint32_t ops_mask = ~0u;

static void one_action(struct cpu_state *c, bool bsp)
{
    unsigned int i;
    uint32_t k;

    for ( ; ; )
    {
        k = below(c, 100);
        for ( i = 0; i < ARRAY_SIZE(cats) - 1 && k >= cats[i].weight; i++ )
            k -= cats[i].weight;
        if ( (ops_mask & (1u << i)) && (bsp || !cats[i].bsp_only) )
            break;
    }
    cats[i].fn(c);
    c->done++;
}

static volatile uint32_t ap_chunk;

static void ap_run(void *arg)
{
    struct cpu_state *c = &cs[1];
    uint32_t i, n = (uint32_t)(uintptr_t)arg;

    /* Also after an INIT storm, which resets CR4. */
    if ( has_sse && !(read_cr4() & CR4_OSFXSR) )
        write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    for ( i = 0; i < n; i++ )
        one_action(c, false);
    apic_resync();
    (void)ap_chunk;
}

static void summary(const char *what, struct cpu_state *c)
{
    printf("hostile: cpu %s: %u actions, #DE %u #DB %u #BP %u #OF %u "
           "#BR %u #UD %u #NM %u #GP %u, %u interrupts, %u NMIs\n", what,
           c->done, c->faults[0], c->faults[1], c->faults[3], c->faults[4],
           c->faults[5], c->faults[6], c->faults[7], c->faults[13],
           c->irqs, c->nmis);
}

void test_main(void)
{
    uint32_t seed = env_u32("seed", 1), actions = env_u32("actions", 2000);
    uint32_t chunk = env_u32("chunk", 8), i, a, b, cx, d;
    unsigned int v, cpus;

    do_log = env_u32("log", 1);
    unemulated = env_u32("unemulated", 0);
    ops_mask = env_u32("ops", 0xffff);
    mmio_targets = env_u32("mmio_targets", 0x3f);
    /*
     * LOCK BTS/BTR on MMIO (form 14) makes a neighbour domain's IPIs
     * arrive twice on QEMU's SVM (test_hostile.py's xfail reproducer):
     * off by default until that is fixed.
     */
    mmio_forms = env_u32("mmio_forms", 0xbfff);
    if ( !mmio_targets || !mmio_forms )
        test_fail("mmio_targets= and mmio_forms= need a bit set");
    if ( !(ops_mask & 0xbbff) )
        test_fail("ops=%#x leaves CPU 1 nothing to do", ops_mask);
    cs[0].rng = 0x9e3779b97f4a7c15ull * (seed + 1);
    cs[1].rng = 0xc2b2ae3d27d4eb4full * (seed + 7);
    ram_end = 0x100000 + mem_upper_kb * 1024;

    cpuid(1, 0, &a, &b, &cx, &d);
    has_x2apic = cx & (1u << 21);
    has_xsave = cx & (1u << 26);
    has_sse = d & (1u << 25);
    if ( has_sse )
        write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    write_cr0(read_cr0() & ~(CR0_EM | CR0_TS));

    cpus = platform_init(mode, true);
    if ( cpus < 2 )
        test_fail("needs 2 vCPUs, has %u", cpus);
    for ( v = 0; v < 32; v++ )
        idt_set_handler(v, on_exc);
    for ( v = 32; v < 256; v++ )
        if ( v != VEC_CALL && v != VEC_SPURIOUS && v != VEC_TICK )
            idt_set_handler(v, on_irq);
    /* VEC_TICK is not used here: a random interrupt on it is counted. */
    idt_set_handler(VEC_TICK, on_irq);

    printf("hostile: seed %u, %u actions on CPU 0, CPU 1 in chunks of %u, "
           "RAM ends at %#x, x2APIC %u XSAVE %u SSE %u\n", seed, actions,
           chunk, ram_end, has_x2apic, has_xsave, has_sse);
    printf("hostile: log: <cpu>.<index> <op> <args>: %s\n", op_legend);

    /* Interrupts on: the storms are to be taken, here too. */
    sti();
    for ( i = 0; i < actions; i++ )
    {
        if ( chunk && percpu[1].call_req == percpu[1].call_done )
            smp_call(1, ap_run, (void *)(uintptr_t)chunk);
        one_action(&cs[0], true);
    }
    if ( chunk && !smp_call_wait(1, 10000000) )
        test_fail("CPU 1 did not finish its last chunk in 10 s");

    /* peek=1: the neighbour's IPI counters, to compare with its own. */
    if ( env_u32("peek", 0) )
        udelay(1000ull * env_u32("peek", 0));
    if ( env_u32("peek", 0) )
        for ( v = 0; v < 2; v++ )
        {
            long rc;
            struct xen_sysctl op;
            static struct xen_irq_stats_vcpu st;

            memset(&op, 0, sizeof(op));
            op.cmd = XEN_SYSCTL_irq_stats;
            op.u.irq_stats.version = XEN_IRQ_STATS_VERSION;
            op.u.irq_stats.kind = XEN_IRQ_STATS_vcpu;
            op.u.irq_stats.domid = 1;
            op.u.irq_stats.vcpu = v;
            op.u.irq_stats.size = sizeof(st);
            op.u.irq_stats.buffer = (uint32_t)&st;
            rc = xen_sysctl(&op);
            printf("hostile: d1v%u: rc %ld posts %u ipi slow %u fast %u "
                   "npf exits %u extint %u\n", v, rc,
                   (uint32_t)st.posts, (uint32_t)st.ipi_slowpath,
                   (uint32_t)st.ipi_fastpath, (uint32_t)st.exits[XEN_EXIT_npf],
                   (uint32_t)st.exits[XEN_EXIT_extint]);
        }
    summary("0", &cs[0]);
    summary("1", &cs[1]);
    printf("hostile: done %u actions (seed %u), now the triple fault\n",
           cs[0].done + cs[1].done, seed);
    log_action(&cs[0], 'F', "0");
    console_flush();
    idt_triple_fault();
}

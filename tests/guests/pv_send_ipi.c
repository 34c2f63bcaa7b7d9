/*
 * pv_send_ipi: KVM's paravirtual multicast IPI (KVM_HC_SEND_IPI, CPUID
 * 0x40000001 EAX bit 11), made as Linux makes it but from 32-bit code, so
 * each bitmap word covers 32 APIC IDs: eax = 10, ebx and ecx the bitmap
 * (bit i of ebx is APIC ID edx + i, bit i of ecx ID edx + 32 + i), esi
 * the ICR's low word; the count of CPUs reached comes back in eax.
 *
 * Asserted, with every CPU as the sender in turn: each of the 15 sets of
 * the 4 CPUs, named by a bitmap from base 0 and by one starting at its
 * lowest APIC ID, reaches exactly those CPUs, each once, and nobody else,
 * and the call returns their number; bits for APIC IDs no CPU has (the
 * rest of the first word, the whole second one) reach nobody; NMIs go to
 * exactly the CPUs named; every bad ICR word (logical destination,
 * shorthands, reserved bits, delivery modes other than fixed and NMI,
 * vectors 0-15) gives -KVM_EINVAL, a base beyond 32 bits cannot be
 * written from 32-bit code, and ring 3 gets -KVM_EPERM, none of them
 * delivering anything.  Under xen-lite also: its own hypercalls (the
 * irq_stats sysctl) still work beside KVM's, and its per-vCPU counters
 * grew by exactly the calls each CPU made and the targets they reached,
 * with one hypercall exit per call.  Without the feature bit (natively;
 * xen-lite's pv_send_ipi=0) the hypercall must not exist: -KVM_ENOSYS,
 * then SKIP.
 *
 * Environment: apic=xapic|x2apic (default x2apic), settle_us=T (default
 * 2000: how long to wait for anything extra after the expected IPIs).
 */
#include "test.h"
#include "hypercall.h"
#include "kvm_pv.h"

const char test_name[] = "pv_send_ipi";

#define KVM_HC_SEND_IPI             10
#define KVM_FEATURE_PV_SEND_IPI     11
#define KVM_EPERM                   1
#define KVM_EINVAL                  22
#define KVM_ENOSYS                  1000

#define VEC_PV          0x61
#define VEC_NMI         2
#define ARRIVE_US       200000

static volatile uint32_t got[MAX_CPUS], nmis[MAX_CPUS];
static uint32_t settle_us;
static bool use_vmmcall;
static unsigned int ncases;
/* Calls each CPU made that were accepted, and the targets they reached. */
static uint32_t calls[MAX_CPUS], targets[MAX_CPUS];

static void on_pv(struct regs *r)
{
    (void)r;
    got[smp_cpu()]++;
    apic_eoi();
}

static void on_nmi(struct regs *r)
{
    (void)r;
    nmis[smp_cpu()]++;
}

static long kvm_send_ipi(uint32_t lo, uint32_t hi, uint32_t min,
                         uint32_t icr)
{
    uint32_t ret = KVM_HC_SEND_IPI;

    if ( use_vmmcall )
        asm volatile ( "vmmcall"
                       : "+a" (ret)
                       : "b" (lo), "c" (hi), "d" (min), "S" (icr)
                       : "memory" );
    else
        asm volatile ( "vmcall"
                       : "+a" (ret)
                       : "b" (lo), "c" (hi), "d" (min), "S" (icr)
                       : "memory" );
    return (int32_t)ret;
}

struct send
{
    uint32_t lo, hi, min, icr;
    volatile long rc;
};

static struct send send_args;

static void do_send(void *arg)
{
    struct send *s = arg;

    s->rc = kvm_send_ipi(s->lo, s->hi, s->min, s->icr);
}

/* Run the call on 'sender' and return its result. */
static long send_from(unsigned int sender, uint32_t lo, uint32_t hi,
                      uint32_t min, uint32_t icr)
{
    send_args = (struct send){ lo, hi, min, icr, -12345 };
    barrier();
    if ( sender == 0 )
        do_send(&send_args);
    else
    {
        smp_call(sender, do_send, &send_args);
        if ( !smp_call_wait(sender, 1000000) )
            test_fail("cpu %u did not get round to sending", sender);
    }
    return send_args.rc;
}

/* Wait for every CPU in 'want' to have one, then for strays. */
static void settle(volatile uint32_t *count, uint32_t want)
{
    uint64_t end = deadline_us(ARRIVE_US);

    for ( ;; )
    {
        bool all = true;

        for ( unsigned int i = 0; i < nr_cpus; i++ )
            if ( (want >> i) & 1 && !count[i] )
                all = false;
        if ( all || rdtsc() >= end )
            break;
        cpu_relax();
    }
    udelay(settle_us);
}

static void clear_counts(void)
{
    for ( unsigned int i = 0; i < nr_cpus; i++ )
        got[i] = nmis[i] = 0;
}

/* The bitmap of the CPUs in 'set' (by index) from APIC ID 'min'. */
static uint32_t bitmap_of(uint32_t set, uint32_t min)
{
    uint32_t map = 0;

    for ( unsigned int i = 0; i < nr_cpus; i++ )
        if ( (set >> i) & 1 )
        {
            uint32_t id = percpu[i].apic_id;

            CHECK(id >= min && id - min < 32, "APIC ID %u outside the "
                  "word from %u", id, min);
            map |= 1u << (id - min);
        }
    return map;
}

static void expect(const char *what, unsigned int sender, uint32_t lo,
                   uint32_t hi, uint32_t min, uint32_t icr, uint32_t want)
{
    bool nmi = (icr & 0x700) == APIC_DM_NMI;
    volatile uint32_t *count = nmi ? nmis : got;
    uint32_t n = 0;
    long rc;

    for ( unsigned int i = 0; i < nr_cpus; i++ )
        n += (want >> i) & 1;
    clear_counts();
    rc = send_from(sender, lo, hi, min, icr);
    settle(count, want);
    CHECK(rc == (long)n, "%s from cpu %u (bitmap %#x:%#x from %u, ICR "
          "%#x): returned %ld, expected %u", what, sender, hi, lo, min, icr,
          rc, n);
    for ( unsigned int i = 0; i < nr_cpus; i++ )
    {
        CHECK(count[i] == ((want >> i) & 1), "%s from cpu %u (bitmap "
              "%#x:%#x from %u, ICR %#x): cpu %u got %u, expected %u", what,
              sender, hi, lo, min, icr, i, count[i], (want >> i) & 1);
        CHECK((nmi ? got : nmis)[i] == 0, "%s from cpu %u: cpu %u got an "
              "%s", what, sender, i, nmi ? "interrupt" : "NMI");
    }
    calls[sender]++;
    targets[sender] += n;
    ncases++;
}

static void refused(const char *what, unsigned int sender, uint32_t icr,
                    long err)
{
    long rc;

    clear_counts();
    rc = send_from(sender, (1u << nr_cpus) - 1, 0, 0, icr);
    settle(got, 0);
    CHECK(rc == -err, "%s (ICR %#x) from cpu %u: returned %ld, expected "
          "%ld", what, icr, sender, rc, -err);
    for ( unsigned int i = 0; i < nr_cpus; i++ )
        CHECK(!got[i] && !nmis[i], "%s (ICR %#x) was refused but cpu %u "
              "got %u interrupts and %u NMIs", what, icr, i, got[i],
              nmis[i]);
    ncases++;
}

/* --- ring 3: the call from user space (prefixed_insns.c's scheme) --- */

#define STR_(x)         #x
#define STR(x)          STR_(x)

extern uint64_t gdt[];
#define SLOT_UCODE      (MAX_CPUS - 1)
#define SEL_UCODE       ((3 + SLOT_UCODE) * 8 + 3)
#define SEL_UDATA       ((3 + SLOT_UCODE - 1) * 8 + 3)
#define SEL_TSS         ((3 + SLOT_UCODE - 2) * 8)
#define VEC_BACK        0x80

static struct
{
    uint32_t link, esp0, ss0, rest[23];
} __attribute__((packed)) tss;
static uint8_t kstack[4096] __attribute__((aligned(16)));
uint8_t pvipi_user_stack[4096] __attribute__((aligned(16)));
uint32_t pvipi_user_rc, pvipi_user_saved_esp, pvipi_user_amd;
extern const char pvipi_user_code[], pvipi_user_back[];

/*
 * pvipi_user_run: iret to ring 3, make KVM_HC_SEND_IPI to every CPU there
 * (result in pvipi_user_rc) and come back by INT 0x80.
 */
asm (
    "   .text\n"
    "   .globl pvipi_user_run, pvipi_user_code, pvipi_user_back\n"
    "pvipi_user_run:\n"
    "   pushal\n"
    "   mov %esp, pvipi_user_saved_esp\n"
    "   pushl $" STR(SEL_UDATA) "\n"
    "   pushl $pvipi_user_stack + 4096\n"
    "   pushl $2\n"
    "   pushl $" STR(SEL_UCODE) "\n"
    "   pushl $pvipi_user_code\n"
    "   iret\n"
    "pvipi_user_code:\n"
    "   mov $" STR(SEL_UDATA) ", %eax\n"
    "   mov %eax, %ds\n"
    "   mov %eax, %es\n"
    "   mov $" STR(KVM_HC_SEND_IPI) ", %eax\n"
    "   mov $0xf, %ebx\n"
    "   xor %ecx, %ecx\n"
    "   xor %edx, %edx\n"
    "   mov $" STR(VEC_PV) ", %esi\n"
    "   cmpl $0, pvipi_user_amd\n"
    "   je 1f\n"
    "   vmmcall\n"
    "   jmp 2f\n"
    "1: vmcall\n"
    "2: mov %eax, pvipi_user_rc\n"
    "   int $0x80\n"
    "pvipi_user_back:\n"
    "   mov $0x10, %eax\n"
    "   mov %eax, %ds\n"
    "   mov %eax, %es\n"
    "   mov %eax, %ss\n"
    "   mov pvipi_user_saved_esp, %esp\n"
    "   popal\n"
    "   ret\n"
);
extern void pvipi_user_run(void);

static void on_back(struct regs *r)
{
    CHECK((r->cs & 3) == 3, "INT 0x80 from CPL %u", r->cs & 3);
    r->eip = (uint32_t)pvipi_user_back;
    r->cs = SEL_CODE;
}

static void from_ring3(void)
{
    uint32_t base = (uint32_t)&tss, fs, gs;

    gdt[3 + SLOT_UCODE] = 0x00cffa000000ffffull;
    gdt[3 + SLOT_UCODE - 1] = 0x00cff2000000ffffull;
    gdt[3 + SLOT_UCODE - 2] = (sizeof(tss) - 1) |
        ((uint64_t)(base & 0xffffff) << 16) | (0x89ull << 40) |
        ((uint64_t)(base >> 24) << 56);
    tss.ss0 = SEL_DATA;
    tss.esp0 = (uint32_t)kstack + sizeof(kstack);
    asm volatile ( "ltr %w0" :: "r" (SEL_TSS) );
    idt_set_user(VEC_BACK);
    idt_set_handler(VEC_BACK, on_back);
    pvipi_user_amd = use_vmmcall;
    clear_counts();
    /* IRET to ring 3 nulls FS and GS (DPL 0): keep them. */
    asm volatile ( "mov %%fs, %0; mov %%gs, %1" : "=r" (fs), "=r" (gs) );
    pvipi_user_run();
    asm volatile ( "mov %0, %%fs; mov %1, %%gs" :: "r" (fs), "r" (gs) );
    /* The IRET back took ring 3's EFLAGS (IF clear): as before. */
    sti();
    settle(got, 0);
    CHECK((int32_t)pvipi_user_rc == -KVM_EPERM, "from ring 3: returned "
          "%d, expected %d", (int32_t)pvipi_user_rc, -KVM_EPERM);
    for ( unsigned int i = 0; i < nr_cpus; i++ )
        CHECK(!got[i], "from ring 3: cpu %u got %u interrupts", i, got[i]);
    ncases++;
}

static bool amd(void)
{
    uint32_t a, b, c, d;

    cpuid(0, 0, &a, &b, &c, &d);
    return b == 0x68747541;             /* "Auth"enticAMD */
}

static void stats_all(struct xen_irq_stats_vcpu *st)
{
    for ( unsigned int i = 0; i < nr_cpus; i++ )
        CHECK(xen_irq_stats_vcpu(i, &st[i]) == 0, "irq_stats sysctl for "
              "vCPU %u failed", i);
}

void test_main(void)
{
    static struct xen_irq_stats_vcpu st0[MAX_CPUS], st1[MAX_CPUS];
    static const unsigned int reserved[] = { 12, 13, 16, 17, 20, 21, 24,
                                             28, 31 };
    static const uint32_t modes[] = { 1, 2, 3, 5, 6, 7 };
    uint32_t base, features, all, set, hc0, hc1;
    bool xl = xen_lite_present();
    unsigned int s, i, cases_ok, nrefused;
    long rc;

    settle_us = env_u32("settle_us", 2000);
    use_vmmcall = amd();
    base = kvm_cpuid_base();
    if ( !base )
        test_skip("no KVM paravirtual CPUID leaves");
    features = kvm_features();
    if ( !(features & (1u << KVM_FEATURE_PV_SEND_IPI)) )
    {
        rc = kvm_send_ipi(1, 0, 0, VEC_PV);
        CHECK(rc == -KVM_ENOSYS, "PV send-IPI not offered, but "
              "KVM_HC_SEND_IPI returned %ld, not %d", rc, -KVM_ENOSYS);
        test_skip("KVM leaves at %#x without the PV send-IPI feature "
                  "(KVM_HC_SEND_IPI gives -KVM_ENOSYS)", base);
    }

    platform_init(apic_mode_param(APIC_MODE_X2APIC), true);
    if ( nr_cpus < 2 || nr_cpus > 32 )
        test_skip("needs 2 to 32 CPUs, has %u", nr_cpus);
    for ( i = 0; i < nr_cpus; i++ )
        CHECK(percpu[i].apic_id < 32, "cpu %u has APIC ID %u (want < 32)",
              i, percpu[i].apic_id);
    idt_set_handler(VEC_PV, on_pv);
    idt_set_handler(VEC_NMI, on_nmi);
    sti();
    all = (1u << nr_cpus) - 1;
    if ( xl )
        stats_all(st0);

    for ( s = 0; s < nr_cpus; s++ )
    {
        uint32_t lowest_absent = 0;

        for ( set = 1; set <= all; set++ )
        {
            uint32_t min = 32;

            expect("bitmap from 0", s, bitmap_of(set, 0), 0, 0,
                   APIC_DM_FIXED | VEC_PV, set);
            for ( i = 0; i < nr_cpus; i++ )
                if ( (set >> i) & 1 && percpu[i].apic_id < min )
                    min = percpu[i].apic_id;
            expect("bitmap from its lowest ID", s, bitmap_of(set, min), 0,
                   min, APIC_DM_FIXED | VEC_PV, set);
        }
        /* IDs no CPU has: the rest of word 0, all of word 1. */
        for ( i = 0; i < 32; i++ )
            if ( smp_cpu_of(i) < 0 )
                lowest_absent |= 1u << i;
        expect("every ID, present or not", s, bitmap_of(all, 0) |
               lowest_absent, ~0u, 0, APIC_DM_FIXED | VEC_PV, all);
        expect("only IDs no CPU has", s, lowest_absent, ~0u, 0,
               APIC_DM_FIXED | VEC_PV, 0);
        expect("a base past every CPU", s, ~0u, ~0u, 32,
               APIC_DM_FIXED | VEC_PV, 0);
        expect("a base near 2^32", s, ~0u, ~0u, 0xffffffe0u,
               APIC_DM_FIXED | VEC_PV, 0);
        /* NMIs: Linux sends APIC_DM_NMI with vector 0. */
        expect("NMI to all", s, bitmap_of(all, 0), 0, 0, APIC_DM_NMI, all);
        expect("NMI to the sender only", s, bitmap_of(1u << s, 0), 0, 0,
               APIC_DM_NMI, 1u << s);
        expect("NMI to the others", s, bitmap_of(all & ~(1u << s), 0), 0,
               0, APIC_DM_NMI, all & ~(1u << s));
    }
    cases_ok = ncases;
    printf("pv_send_ipi: %u calls delivered as asked (%u CPUs, each the "
           "sender)\n", cases_ok, nr_cpus);

    /* Refused, with nothing delivered. */
    for ( s = 0; s < nr_cpus; s++ )
    {
        refused("logical destination", s,
                APIC_DM_FIXED | APIC_DEST_LOGICAL | VEC_PV, KVM_EINVAL);
        refused("shorthand self", s, APIC_SH_SELF | VEC_PV, KVM_EINVAL);
        refused("shorthand all", s, APIC_SH_ALL | VEC_PV, KVM_EINVAL);
        refused("shorthand others", s, APIC_SH_OTHERS | VEC_PV, KVM_EINVAL);
    }
    for ( i = 0; i < ARRAY_SIZE(reserved); i++ )
        refused("a reserved ICR bit", 0, (1u << reserved[i]) | VEC_PV,
                KVM_EINVAL);
    for ( i = 0; i < ARRAY_SIZE(modes); i++ )
        refused("a delivery mode other than fixed and NMI", 1 % nr_cpus,
                (modes[i] << 8) | VEC_PV, KVM_EINVAL);
    for ( i = 0; i < 16; i++ )
        refused("an illegal fixed vector", 0, i, KVM_EINVAL);
    from_ring3();
    nrefused = ncases - cases_ok;
    printf("pv_send_ipi: %u bad calls refused, delivering nothing\n",
           nrefused);

    if ( xl )
    {
        stats_all(st1);
        for ( i = 0; i < nr_cpus; i++ )
        {
            uint64_t c = st1[i].pv_ipi_calls - st0[i].pv_ipi_calls;
            uint64_t t = st1[i].pv_ipi_targets - st0[i].pv_ipi_targets;

            CHECK(c == calls[i] && t == targets[i], "vCPU %u: the "
                  "hypervisor counted %llu PV send-IPI calls reaching %llu "
                  "targets, the guest made %u reaching %u", i, c, t,
                  calls[i], targets[i]);
        }
        /* One exit per call, whatever the number of targets. */
        CHECK(xen_irq_stats_vcpu(0, &st0[0]) == 0, "irq_stats failed");
        expect("one exit for every CPU", 0, bitmap_of(all, 0), 0, 0,
               APIC_DM_FIXED | VEC_PV, all);
        CHECK(xen_irq_stats_vcpu(0, &st1[0]) == 0, "irq_stats failed");
        hc0 = (uint32_t)st0[0].exits[XEN_EXIT_hypercall];
        hc1 = (uint32_t)st1[0].exits[XEN_EXIT_hypercall];
        /* The call, and the sysctl that read the second count. */
        CHECK(hc1 - hc0 == 2, "a PV send-IPI to %u CPUs took %u hypercall "
              "exits besides the sysctl", nr_cpus, hc1 - hc0 - 1);
        printf("pv_send_ipi: counters match the guest's calls; one exit "
               "per call\n");
    }

    test_pass("%u CPUs (%s): %u multicast calls each reached exactly its "
              "targets once, %u bad ones refused%s", nr_cpus,
              apic_is_x2apic() ? "x2APIC" : "xAPIC", cases_ok,
              nrefused,
              xl ? "; xen-lite's counters agree, one exit per call" : "");
}

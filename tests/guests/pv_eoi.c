/*
 * pv_eoi: KVM's paravirtual EOI, used as Linux uses it.  The kernel looks
 * for the "KVMKVMKVM" signature in the hypervisor CPUID blocks (0x40000000
 * upwards in steps of 0x100), checks the PV EOI feature bit, registers a
 * flag with MSR 0x4b564d04, and in its interrupt handler test-and-clears
 * the flag, writing the EOI register only when the flag was clear.
 *
 * Asserted: every self-IPI is delivered exactly once; nearly all EOIs go
 * through the flag when one interrupt is handled at a time; when a second
 * interrupt is already pending, the handler running first is not offered
 * the flag (the hypervisor must see that EOI to deliver the next) and
 * EOIs through the register; nothing stays in
 * service afterwards (the hypervisor completed every flag EOI); after the
 * MSR is cleared, the flag is never set again.  SKIP when the feature is
 * absent (natively, with xen-lite's pv_eoi=0, or with APICv), after
 * checking, where the KVM leaves are there, that the MSR then does not
 * exist: RDMSR and WRMSR raise #GP, as under KVM.
 *
 * Environment: ipis=N (default 2000).
 */
#include "test.h"
#include "hypercall.h"
#include "kvm_pv.h"

const char test_name[] = "pv_eoi";

#define VEC                 0x60
#define VEC_HIGH            0x70

static volatile uint32_t pv_flag __attribute__((aligned(4)));
static volatile uint32_t delivered, high_delivered, skipped, eoi_writes;
static volatile uint32_t high_skipped;
static volatile uint32_t gp_count, gp_resume;

static void on_gp(struct regs *r)
{
    if ( !gp_resume )
        test_fail("#GP at %#x outside an MSR probe", r->eip);
    gp_count++;
    r->eip = gp_resume;
}

/* RDMSR then WRMSR of msr: how many of the two raised #GP. */
static uint32_t msr_faults(uint32_t msr)
{
    uint32_t lo, hi;

    gp_count = 0;
    asm volatile ( "movl $1f, %[r]\n\t"
                   "rdmsr\n"
                   "1:"
                   : [r] "=m" (gp_resume), "=a" (lo), "=d" (hi)
                   : "c" (msr) : "memory" );
    asm volatile ( "movl $1f, %[r]\n\t"
                   "wrmsr\n"
                   "1:"
                   : [r] "=m" (gp_resume)
                   : "c" (msr), "a" ((uint32_t)(uintptr_t)&pv_flag | 1),
                     "d" (0) : "memory" );
    gp_resume = 0;
    return gp_count;
}

static void eoi(void)
{
    if ( kvm_pv_eoi(&pv_flag) )
        skipped++;
    else
        eoi_writes++;
}

static void on_vec(struct regs *r)
{
    (void)r;
    delivered++;
    eoi();
}

static void on_high(struct regs *r)
{
    uint32_t before = skipped;

    (void)r;
    high_delivered++;
    eoi();
    high_skipped += skipped - before;
}

static void self_ipi(uint8_t vec)
{
    if ( apic_is_x2apic() )
        apic_self_ipi_msr(vec);
    else
        apic_icr(0, 0x40000 | vec);         /* shorthand: self */
}

static void wait_for(volatile uint32_t *count, uint32_t want)
{
    uint64_t end = rdtsc() + us_to_tsc(200000);

    while ( *count < want && rdtsc() < end )
        cpu_relax();
    CHECK(*count == want, "interrupt %u not delivered within 200 ms "
          "(delivered %u)", want, *count);
}

void test_main(void)
{
    uint32_t base, a, b, c, d, n = env_u32("ipis", 2000), i;
    uint32_t skipped_before;
    static struct xen_irq_stats_vcpu st0, st1;
    bool xl = xen_lite_present();

    base = kvm_cpuid_base();
    if ( !base )
        test_skip("no KVM paravirtual CPUID leaves");
    platform_init(apic_mode_param(APIC_MODE_X2APIC), false);
    cpuid(base + 1, 0, &a, &b, &c, &d);
    if ( !(a & (1u << KVM_FEATURE_PV_EOI)) )
    {
        idt_set_handler(VEC_GP, on_gp);
        i = msr_faults(MSR_KVM_PV_EOI_EN);
        CHECK(i == 2, "PV EOI not offered, but %u of RDMSR and WRMSR of "
              "its MSR raised #GP", i);
        test_skip("KVM leaves at %#x without the PV EOI feature (its MSR "
                  "raises #GP)", base);
    }
    printf("pv_eoi: KVM leaves at %#x, features %#x\n", base, a);

    idt_set_handler(VEC, on_vec);
    idt_set_handler(VEC_HIGH, on_high);
    pv_flag = 0;
    wrmsr(MSR_KVM_PV_EOI_EN, (uint32_t)(uintptr_t)&pv_flag | 1);
    CHECK(rdmsr(MSR_KVM_PV_EOI_EN) == ((uint32_t)(uintptr_t)&pv_flag | 1),
          "MSR 0x4b564d04 does not read back");

    /* One at a time: each EOI may go through the flag. */
    if ( xl )
        CHECK(xen_irq_stats_vcpu(0, &st0) == 0, "irq_stats sysctl failed");
    sti();
    for ( i = 1; i <= n; i++ )
    {
        self_ipi(VEC);
        wait_for(&delivered, i);
    }
    CHECK(skipped + eoi_writes == n, "%u EOIs for %u interrupts",
          skipped + eoi_writes, n);
    CHECK(skipped >= n - n / 10, "only %u of %u EOIs went through the "
          "PV EOI flag", skipped, n);
    /* The hypervisor's own count: EOI exits only for the register EOIs. */
    if ( xl )
    {
        CHECK(xen_irq_stats_vcpu(0, &st1) == 0, "irq_stats sysctl failed");
        CHECK(st1.eoi_exits - st0.eoi_exits == eoi_writes &&
              st1.pv_eoi_skips - st0.pv_eoi_skips == skipped,
              "hypervisor counted %llu EOI exits and %llu PV EOIs, the "
              "guest did %u and %u", st1.eoi_exits - st0.eoi_exits,
              st1.pv_eoi_skips - st0.pv_eoi_skips, eoi_writes, skipped);
        printf("pv_eoi: %u interrupts, %llu EOI exits (irq_stats)\n", n,
               st1.eoi_exits - st0.eoi_exits);
    }

    /*
     * Two pending at once: the higher one runs first while the lower
     * waits in IRR, so its handler must not be offered the flag (the
     * lower one, alone once the higher is done, may be); both are
     * delivered exactly once.
     */
    cli();
    self_ipi(VEC);
    self_ipi(VEC_HIGH);
    sti();
    wait_for(&high_delivered, 1);
    wait_for(&delivered, n + 1);
    CHECK(!high_skipped, "the flag was offered while another interrupt "
          "was pending");
    CHECK(apic_vec_highest(0x100) < 0, "vector %#x still in service",
          apic_vec_highest(0x100));

    /* Disabled: the flag is never set again. */
    wrmsr(MSR_KVM_PV_EOI_EN, 0);
    skipped_before = skipped;
    for ( i = 1; i <= 100; i++ )
    {
        self_ipi(VEC);
        wait_for(&delivered, n + 1 + i);
    }
    CHECK(skipped == skipped_before && !pv_flag, "PV EOI used after the "
          "MSR was cleared");
    CHECK(apic_vec_highest(0x100) < 0, "vector %#x still in service",
          apic_vec_highest(0x100));

    test_pass("%u self-IPIs delivered once each, %u EOIs through the PV "
              "EOI flag; with a second interrupt pending the flag was not "
              "offered; none left in service; off after the MSR was "
              "cleared", n, skipped);
}

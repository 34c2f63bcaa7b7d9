/*
 * CPUID advertises only what is emulated (test_cpuid_msr): the real
 * hvm_cpuid() (cpuid.c) over a synthetic host whose CPUID has every bit
 * set, for an Intel and an AMD host and for guests of 1 and 4 vCPUs, and
 * one table from each feature bit to the MSRs the manuals tie to it.  A
 * feature the guest is offered must have every MSR of its row handled by
 * the real hvm_msr_read()/hvm_msr_write() (msr.c, with the real vlapic,
 * PV EOI, kvmclock and steal time behind it); every row says on which
 * vendor's guests it is offered today, so a change that starts (or stops)
 * offering a feature fails here until the table is updated; and every
 * bit a guest sees in a feature register must be a row or a known
 * MSR-less feature, so a bit nobody decided on fails too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/time.h>
#include <xen/timer.h>
#include <asm/processor.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/cpuid.h>
#include <asm/hvm/cr.h>
#include <asm/hvm/msr.h>
#include <asm/hvm/pi.h>
#include <asm/hvm/vlapic.h>
#include <asm/hvm/kvmclock.h>
#include <xen/guest_access.h>

#include "harness.h"
#include "stubs.h"

/* ------------------------------------------------------------------ */
/* The synthetic host and the doubles of what the sources call.        */
/* ------------------------------------------------------------------ */

/*
 * The worst case: a host with every CPUID bit set, in every leaf and
 * sub-leaf, but for the vendor string (so the bits mean what that
 * vendor's manual says) and the largest leaves (all ones: the filter
 * must clamp them).
 */
struct cpu_features boot_cpu;

void test_host_cpuid(u32 leaf, u32 sub, struct cpuid_regs *r)
{
    (void)sub;
    memset(r, 0xff, sizeof(*r));
    if ( leaf == 0 )
    {
        memcpy(&r->ebx, boot_cpu.vendor, 4);
        memcpy(&r->edx, boot_cpu.vendor + 4, 4);
        memcpy(&r->ecx, boot_cpu.vendor + 8, 4);
    }
}

u64 cpu_khz = 2000000;
bool x2apic_enabled = true;
u32 x86_cpu_to_apicid[NR_CPUS];

static struct guest_walk_cpu walk_cpu;

void guest_walk_set_cpu(const struct guest_walk_cpu *c)
{
    walk_cpu = *c;
}

/*
 * xstate.c cannot be initialised on the host (XSETBV, CR4), so leaf 0xd
 * and the XCR0 mask are doubles that answer as xstate.c does once it
 * has found XSAVE: x87, SSE and AVX offered, and sub-leaf 1 with none of
 * XSAVEOPT, XSAVEC, XGETBV1 or XSAVES (xstate.c's hvm_xstate_cpuid).
 * The XSAVES row below is therefore only as good as this double.
 */
#define XCR0_OFFERED 0x7ULL

u64 hvm_xcr0_offered(void)
{
    return XCR0_OFFERED;
}

void hvm_xstate_cpuid(struct vcpu *v, u32 sub, struct cpuid_regs *r)
{
    (void)v;
    memset(r, 0, sizeof(*r));
    if ( sub == 0 )
    {
        r->eax = (u32)XCR0_OFFERED;
        r->ebx = r->ecx = 832;
    }
    else if ( sub == 2 )
    {
        r->eax = 256;
        r->ebx = 576;
    }
}

/* A clock that stands still and a guest TSC that follows it. */
#define NOW_NS  SECONDS(5)

s_time_t get_s_time(void)
{
    return NOW_NS;
}

u64 hvm_guest_tsc(const struct vcpu *v)
{
    return (u64)NOW_NS * 2 + v->hvm->tsc_offset;
}

s_time_t hvm_guest_tsc_to_time(const struct vcpu *v, u64 tsc)
{
    (void)v;
    return (s_time_t)(tsc / 2);
}

void vcpu_runstate_get(const struct vcpu *v, struct vcpu_runstate_info *r)
{
    (void)v;
    memset(r, 0, sizeof(*r));
}

/* Timers only armed and disarmed: nothing here waits for one to fire. */
void init_timer(struct timer *t, void (*fn)(void *), void *data,
                unsigned int cpu)
{
    memset(t, 0, sizeof(*t));
    t->function = fn;
    t->data = data;
    t->cpu = cpu;
}

void set_timer(struct timer *t, s_time_t expires)
{
    if ( !t->killed )
    {
        t->expires = expires;
        t->heap_pos = 1;
    }
}

void stop_timer(struct timer *t)
{
    t->heap_pos = 0;
}

void kill_timer(struct timer *t)
{
    t->heap_pos = 0;
    t->killed = true;
}

bool timer_is_active(const struct timer *t)
{
    return t->heap_pos != 0;
}

/*
 * The guest has no RAM: the table writes back what it read, which
 * disables the PV structures, so none of them is ever written.
 */
u64 p2m_lookup(const struct domain *d, u64 gfn)
{
    (void)d;
    (void)gfn;
    return ~0ULL;
}

int copy_to_guest_phys(struct domain *d, u64 gpa, const void *src,
                       size_t len)
{
    (void)d;
    (void)gpa;
    (void)src;
    (void)len;
    harness_fail(__FILE__, __LINE__, false, "guest memory written");
    return -1;
}

int copy_from_guest_phys(struct domain *d, void *dst, u64 gpa, size_t len)
{
    (void)d;
    (void)dst;
    (void)gpa;
    (void)len;
    harness_fail(__FILE__, __LINE__, false, "guest memory read");
    return -1;
}

/*
 * What an ICR write or an EOI may reach.  The values written back (ICR
 * 0: a fixed IPI of the illegal vector 0; no EOI with ISR empty) send
 * nothing, so none of these may be called.
 */
void hvm_vcpu_send_init(struct vcpu *target)
{
    (void)target;
    harness_fail(__FILE__, __LINE__, false, "INIT sent");
}

void hvm_vcpu_send_sipi(struct vcpu *target, u8 vector)
{
    (void)target;
    (void)vector;
    harness_fail(__FILE__, __LINE__, false, "SIPI sent");
}

void hvm_vcpu_send_nmi(struct vcpu *target)
{
    (void)target;
    harness_fail(__FILE__, __LINE__, false, "NMI sent");
}

void vioapic_eoi(struct domain *d, u8 vector)
{
    (void)d;
    (void)vector;
    harness_fail(__FILE__, __LINE__, false, "EOI reached the vIOAPIC");
}

void pi_send_notification(u32 apic_id, u8 vector)
{
    (void)apic_id;
    (void)vector;
    harness_fail(__FILE__, __LINE__, false, "notification sent");
}

/* --- a domain of up to MAX_VCPUS vCPUs and its backend registers --- */

#define MAX_VCPUS 4

static struct domain dom;
static struct vcpu vcpus[MAX_VCPUS];
static struct vcpu *vcpu_ptrs[MAX_VCPUS];
static struct hvm_vcpu hvcpus[MAX_VCPUS];
static struct hvm_domain *hdom;
static u64 regs[MAX_VCPUS][HVM_REG_NR];

struct hvm_domain *domain_hvm(struct domain *d)
{
    return d == &dom ? hdom : NULL;
}

struct vlapic *vcpu_vlapic(struct vcpu *v)
{
    return &v->hvm->vlapic;
}

struct pi_desc *vcpu_pi_desc(struct vcpu *v)
{
    return v->hvm->pi_desc;
}

static u64 fake_get_reg(struct vcpu *v, enum hvm_reg r)
{
    return regs[v->vcpu_id][r];
}

static void fake_set_reg(struct vcpu *v, enum hvm_reg r, u64 val)
{
    regs[v->vcpu_id][r] = val;
}

/*
 * No deliver_pending: the backend without virtual-interrupt delivery,
 * where PV EOI is offered (the worst case for the KVM leaf).
 */
static const struct hvm_funcs fake_funcs = {
    .name = "fake",
    .get_reg = fake_get_reg,
    .set_reg = fake_set_reg,
};
const struct hvm_funcs *hvm_funcs = &fake_funcs;

static void domain_teardown(void)
{
    for ( unsigned int i = 0; i < dom.max_vcpus; i++ )
    {
        vlapic_destroy(&vcpus[i]);
        pi_desc_free(hvcpus[i].pi_desc);
        hvcpus[i].pi_desc = NULL;
    }
    dom.max_vcpus = 0;
    free(hdom);
    hdom = NULL;
}

/* A fresh domain of n vCPUs on a host of this vendor, booted. */
static void domain_setup(const char *vendor, unsigned int n)
{
    REQUIRE(n <= MAX_VCPUS);
    domain_teardown();
    stub_reset();
    memset(&boot_cpu, 0, sizeof(boot_cpu));
    strcpy(boot_cpu.vendor, vendor);
    /* What boot does once the host is known. */
    hvm_cpuid_setup_walk();

    memset(&dom, 0, sizeof(dom));
    memset(vcpus, 0, sizeof(vcpus));
    memset(hvcpus, 0, sizeof(hvcpus));
    memset(regs, 0, sizeof(regs));
    hdom = calloc(1, sizeof(*hdom));
    REQUIRE(hdom);
    dom.domain_id = 1;
    dom.is_hvm = true;
    dom.max_vcpus = n;
    dom.vcpu = vcpu_ptrs;
    for ( unsigned int i = 0; i < MAX_VCPUS; i++ )
        vcpu_ptrs[i] = i < n ? &vcpus[i] : NULL;
    for ( unsigned int i = 0; i < n; i++ )
    {
        struct vcpu *v = &vcpus[i];

        v->vcpu_id = i;
        v->processor = i;
        v->domain = &dom;
        v->hvm = &hvcpus[i];
        hvcpus[i].pi_desc = pi_desc_alloc();
        REQUIRE(hvcpus[i].pi_desc);
        REQUIRE_EQ(vlapic_init(v), 0);
        hvcpus[i].tsc_offset = 1000;
        kvmclock_vcpu_init(v);
    }
}

/* ------------------------------------------------------------------ */
/* The table.                                                           */
/* ------------------------------------------------------------------ */

enum { EAX, EBX, ECX, EDX };
static const char *const reg_names[] = { "EAX", "EBX", "ECX", "EDX" };

#define INTEL   1u
#define AMD     2u
#define BOTH    (INTEL | AMD)
#define NONE    0u

/*
 * How hardware treats the MSR: RW reads and takes back what it read;
 * RO reads, and a write #GPs (SDM Vol. 4 "RO"; the x2APIC registers,
 * SDM Vol. 3A Table 11-6); WO #GPs on a read and takes a write of 0.
 */
enum access { END, RW, RO, WO };

struct msr_span
{
    u32 first, last;
    enum access access;
};

struct feature
{
    const char *name;
    u32 leaf, sub;
    u8 reg;
    u32 mask;               /* the feature is there if any bit is set */
    unsigned int vendors;   /* whose manual defines these bits so */
    unsigned int offered;   /* whose guests are offered it today */
    u64 efer;               /* EFER bits the feature defines */
    /* Before the MSRs are tried (the x2APIC registers need its mode). */
    void (*setup)(struct vcpu *v);
    /* The MSRs a capability MSR of the row announces. */
    unsigned int (*more)(struct vcpu *v, const char *name);
    struct msr_span msrs[16];
};

#define R(a, b)     { a, b, RW }
#define RO_(a, b)   { a, b, RO }
#define WO_(a, b)   { a, b, WO }

static unsigned int check_msr(struct vcpu *v, const char *feat, u32 msr,
                              enum access access);

/*
 * MTRRCAP (SDM Vol. 3A 12.11.2.1): VCNT variable ranges at 0x200 + 2n
 * (PHYSBASE, PHYSMASK), and with FIX the fixed ranges 0x250, 0x258,
 * 0x259 and 0x268-0x26f.
 */
static unsigned int mtrr_ranges(struct vcpu *v, const char *name)
{
    static const u32 fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a,
                                 0x26b, 0x26c, 0x26d, 0x26e, 0x26f };
    unsigned int bad = 0;
    u64 cap;

    if ( hvm_msr_read(v, 0xfe, &cap) != MSR_OK )
        return 0;                       /* reported with the row */
    for ( unsigned int i = 0; i < (cap & 0xff); i++ )
    {
        bad += check_msr(v, name, 0x200 + 2 * i, RW);
        bad += check_msr(v, name, 0x201 + 2 * i, RW);
    }
    if ( cap & (1u << 8) )
        for ( unsigned int i = 0; i < ARRAY_SIZE(fixed); i++ )
            bad += check_msr(v, name, fixed[i], RW);
    return bad;
}

/*
 * MCG_CAP (SDM Vol. 3B 16.3.1): Count banks of MCi_CTL, STATUS, ADDR and
 * MISC at 0x400 + 4i, MCG_CTL (0x17b) with CTL_P (bit 8), MCi_CTL2
 * (0x280 + i) with CMCI_P (bit 10).
 */
static unsigned int mca_banks(struct vcpu *v, const char *name)
{
    unsigned int bad = 0;
    u64 cap;

    if ( hvm_msr_read(v, 0x179, &cap) != MSR_OK )
        return 0;
    if ( cap & (1u << 8) )
        bad += check_msr(v, name, 0x17b, RW);
    for ( unsigned int i = 0; i < (cap & 0xff); i++ )
    {
        for ( unsigned int j = 0; j < 4; j++ )
            bad += check_msr(v, name, 0x400 + 4 * i + j, RW);
        if ( cap & (1u << 10) )
            bad += check_msr(v, name, 0x280 + i, RW);
    }
    return bad;
}

/*
 * The x2APIC MSRs exist in x2APIC mode only (SDM Vol. 3A 11.12.1.2), so
 * the guest turns it on first, as it would (EN and EXTD).
 */
static void x2apic_on(struct vcpu *v)
{
    REQUIRE_EQ(hvm_msr_write(v, 0x1b, 0xfee00000ULL | APICBASE_ENABLE |
                                      APICBASE_X2APIC), MSR_OK);
}

/*
 * Sources: Intel SDM Vol. 2A, CPUID (Tables 3-8, 3-10, 3-11) for the
 * bits and Vol. 4, Table 2-2 (the "Comment" column: "If CPUID...") for
 * the MSRs they imply; AMD APM Vol. 3 Appendix E (CPUID) and Vol. 2
 * (the sections named) for AMD's; KVM's Documentation/virt/kvm/x86/
 * cpuid.rst and msr.rst for the KVM leaf.  IA32_MISC_ENABLE (0x1a0)
 * holds bits of TM, PBE, EIST, MONITOR, xTPR and CNXT-ID; it is left out
 * here (its handling is changing elsewhere).
 */
static const struct feature features[] = {
    /* --- leaf 1 EDX (SDM Table 3-11; APM E.3.2) --- */
    { "TSC", 1, 0, EDX, 1u << 4, BOTH, BOTH, 0, NULL, NULL,
      { R(0x10, 0x10) } },
    /* IA32_P5_MC_ADDR/TYPE (SDM Vol. 3B 16.10; APM Vol. 2 9.3.3). */
    { "MCE", 1, 0, EDX, 1u << 7, BOTH, NONE, 0, NULL, NULL,
      { RO_(0x0, 0x1) } },
    { "APIC", 1, 0, EDX, 1u << 9, BOTH, BOTH, 0, NULL, NULL,
      { R(0x1b, 0x1b) } },
    /* SYSENTER_CS/ESP/EIP. */
    { "SEP", 1, 0, EDX, 1u << 11, BOTH, BOTH, 0, NULL, NULL,
      { R(0x174, 0x176) } },
    /* MTRRCAP, MTRR_DEF_TYPE and the ranges MTRRCAP announces. */
    { "MTRR", 1, 0, EDX, 1u << 12, BOTH, BOTH, 0, NULL, mtrr_ranges,
      { RO_(0xfe, 0xfe), R(0x2ff, 0x2ff) } },
    /* MCG_CAP, MCG_STATUS and the banks MCG_CAP announces. */
    { "MCA", 1, 0, EDX, 1u << 14, BOTH, NONE, 0, NULL, mca_banks,
      { RO_(0x179, 0x179), R(0x17a, 0x17a) } },
    { "PAT", 1, 0, EDX, 1u << 16, BOTH, BOTH, 0, NULL, NULL,
      { R(0x277, 0x277) } },
    /* IA32_DS_AREA. */
    { "DS", 1, 0, EDX, 1u << 21, INTEL, NONE, 0, NULL, NULL,
      { R(0x600, 0x600) } },
    /* IA32_CLOCK_MODULATION, THERM_INTERRUPT, THERM_STATUS. */
    { "ACPI", 1, 0, EDX, 1u << 22, INTEL, NONE, 0, NULL, NULL,
      { R(0x19a, 0x19c) } },

    /* --- leaf 1 ECX (SDM Table 3-10) --- */
    { "DTES64", 1, 0, ECX, 1u << 2, INTEL, NONE, 0, NULL, NULL,
      { R(0x600, 0x600) } },
    /* IA32_MONITOR_FILTER_SIZE. */
    { "MONITOR", 1, 0, ECX, 1u << 3, INTEL, NONE, 0, NULL, NULL,
      { R(0x6, 0x6) } },
    /* IA32_FEATURE_CONTROL; IA32_VMX_BASIC .. IA32_VMX_VMCS_ENUM. */
    { "VMX", 1, 0, ECX, 1u << 5, INTEL, NONE, 0, NULL, NULL,
      { R(0x3a, 0x3a), RO_(0x480, 0x48a) } },
    { "SMX", 1, 0, ECX, 1u << 6, INTEL, NONE, 0, NULL, NULL,
      { R(0x3a, 0x3a) } },
    /* IA32_PERF_STATUS, IA32_PERF_CTL. */
    { "EIST", 1, 0, ECX, 1u << 7, INTEL, NONE, 0, NULL, NULL,
      { RO_(0x198, 0x198), R(0x199, 0x199) } },
    /* IA32_DEBUG_INTERFACE. */
    { "SDBG", 1, 0, ECX, 1u << 11, INTEL, NONE, 0, NULL, NULL,
      { R(0xc80, 0xc80) } },
    /* IA32_PERF_CAPABILITIES. */
    { "PDCM", 1, 0, ECX, 1u << 15, INTEL, NONE, 0, NULL, NULL,
      { RO_(0x345, 0x345) } },
    /* IA32_PLATFORM_DCA_CAP, IA32_CPU_DCA_CAP, IA32_DCA_0_CAP. */
    { "DCA", 1, 0, ECX, 1u << 18, INTEL, NONE, 0, NULL, NULL,
      { R(0x1f8, 0x1f8), RO_(0x1f9, 0x1f9), R(0x1fa, 0x1fa) } },
    /*
     * The x2APIC registers (SDM Vol. 3A Table 11-6): ID, version, TPR,
     * PPR, EOI, LDR, SVR, ISR/TMR/IRR, ESR, LVT CMCI, ICR, the LVTs,
     * the timer counts, the divide configuration and SELF IPI.
     */
    { "x2APIC", 1, 0, ECX, 1u << 21, BOTH, BOTH, 0, x2apic_on, NULL,
      { RO_(0x802, 0x803), R(0x808, 0x808), RO_(0x80a, 0x80a),
        WO_(0x80b, 0x80b), RO_(0x80d, 0x80d), R(0x80f, 0x80f),
        RO_(0x810, 0x827), R(0x828, 0x828), R(0x82f, 0x830),
        R(0x832, 0x838), RO_(0x839, 0x839), R(0x83e, 0x83e),
        WO_(0x83f, 0x83f) } },
    { "TSC-deadline", 1, 0, ECX, 1u << 24, BOTH, BOTH, 0, NULL, NULL,
      { R(0x6e0, 0x6e0) } },

    /* --- leaf 6 (SDM Table 3-8; APM E.3.5) --- */
    { "DTS", 6, 0, EAX, 1u << 0, INTEL, NONE, 0, NULL, NULL,
      { R(0x19c, 0x19c) } },
    /* IA32_PACKAGE_THERM_STATUS/INTERRUPT. */
    { "PTM", 6, 0, EAX, 1u << 6, INTEL, NONE, 0, NULL, NULL,
      { R(0x1b1, 0x1b2) } },
    /* IA32_PM_ENABLE, HWP_CAPABILITIES, HWP_REQUEST, HWP_STATUS. */
    { "HWP", 6, 0, EAX, 1u << 7, INTEL, NONE, 0, NULL, NULL,
      { R(0x770, 0x770), RO_(0x771, 0x771), R(0x774, 0x774),
        R(0x777, 0x777) } },
    /* IA32_MPERF, IA32_APERF (AMD: EffFreq). */
    { "APERFMPERF", 6, 0, ECX, 1u << 0, BOTH, NONE, 0, NULL, NULL,
      { R(0xe7, 0xe8) } },
    /* IA32_ENERGY_PERF_BIAS. */
    { "EPB", 6, 0, ECX, 1u << 3, INTEL, NONE, 0, NULL, NULL,
      { R(0x1b0, 0x1b0) } },

    /* --- leaf 7.0 (SDM Table 3-8; APM E.3.6) --- */
    { "TSC_ADJUST", 7, 0, EBX, 1u << 1, INTEL, NONE, 0, NULL, NULL,
      { R(0x3b, 0x3b) } },
    { "SGX", 7, 0, EBX, 1u << 2, INTEL, NONE, 0, NULL, NULL,
      { R(0x3a, 0x3a) } },
    /* IA32_QM_EVTSEL, IA32_QM_CTR (AMD: PQM). */
    { "PQM", 7, 0, EBX, 1u << 12, BOTH, NONE, 0, NULL, NULL,
      { R(0xc8d, 0xc8d), RO_(0xc8e, 0xc8e) } },
    /* IA32_BNDCFGS. */
    { "MPX", 7, 0, EBX, 1u << 14, INTEL, NONE, 0, NULL, NULL,
      { R(0xd90, 0xd90) } },
    /* IA32_PQR_ASSOC (AMD: PQE). */
    { "PQE", 7, 0, EBX, 1u << 15, BOTH, NONE, 0, NULL, NULL,
      { R(0xc8f, 0xc8f) } },
    /* IA32_RTIT_CTL, IA32_RTIT_STATUS. */
    { "Intel PT", 7, 0, EBX, 1u << 25, INTEL, NONE, 0, NULL, NULL,
      { R(0x570, 0x571) } },
    /* IA32_UMWAIT_CONTROL. */
    { "WAITPKG", 7, 0, ECX, 1u << 5, INTEL, NONE, 0, NULL, NULL,
      { R(0xe1, 0xe1) } },
    /* IA32_U_CET, S_CET, PL0-3_SSP, INTERRUPT_SSP_TABLE_ADDR. */
    { "CET_SS", 7, 0, ECX, 1u << 7, BOTH, NONE, 0, NULL, NULL,
      { R(0x6a0, 0x6a0), R(0x6a2, 0x6a2), R(0x6a4, 0x6a8) } },
    /* IA32_TME_CAPABILITY, IA32_TME_ACTIVATE. */
    { "TME", 7, 0, ECX, 1u << 13, INTEL, NONE, 0, NULL, NULL,
      { RO_(0x981, 0x981), R(0x982, 0x982) } },
    /* RDPID reads IA32_TSC_AUX. */
    { "RDPID", 7, 0, ECX, 1u << 22, BOTH, NONE, 0, NULL, NULL,
      { R(0xc0000103, 0xc0000103) } },
    /* IA32_SGXLEPUBKEYHASH0-3. */
    { "SGX_LC", 7, 0, ECX, 1u << 30, INTEL, NONE, 0, NULL, NULL,
      { R(0x8c, 0x8f) } },
    /* IA32_PKRS. */
    { "PKS", 7, 0, ECX, 1u << 31, INTEL, NONE, 0, NULL, NULL,
      { R(0x6e1, 0x6e1) } },
    /* IA32_MCU_OPT_CTRL. */
    { "SRBDS_CTRL", 7, 0, EDX, 1u << 9, INTEL, NONE, 0, NULL, NULL,
      { R(0x123, 0x123) } },
    /* MSR_TSX_FORCE_ABORT. */
    { "TSX_FORCE_ABORT", 7, 0, EDX, 1u << 13, INTEL, NONE, 0, NULL, NULL,
      { R(0x10f, 0x10f) } },
    { "CET_IBT", 7, 0, EDX, 1u << 20, INTEL, NONE, 0, NULL, NULL,
      { R(0x6a0, 0x6a0), R(0x6a2, 0x6a2) } },
    /* IA32_SPEC_CTRL, IA32_PRED_CMD. */
    { "IBRS_IBPB", 7, 0, EDX, 1u << 26, INTEL, NONE, 0, NULL, NULL,
      { R(0x48, 0x48), WO_(0x49, 0x49) } },
    { "STIBP", 7, 0, EDX, 1u << 27, INTEL, NONE, 0, NULL, NULL,
      { R(0x48, 0x48) } },
    /* IA32_FLUSH_CMD. */
    { "L1D_FLUSH", 7, 0, EDX, 1u << 28, INTEL, NONE, 0, NULL, NULL,
      { WO_(0x10b, 0x10b) } },
    { "ARCH_CAPABILITIES", 7, 0, EDX, 1u << 29, INTEL, NONE, 0, NULL,
      NULL, { RO_(0x10a, 0x10a) } },
    { "CORE_CAPABILITIES", 7, 0, EDX, 1u << 30, INTEL, NONE, 0, NULL,
      NULL, { RO_(0xcf, 0xcf) } },
    { "SSBD", 7, 0, EDX, 1u << 31, INTEL, NONE, 0, NULL, NULL,
      { R(0x48, 0x48) } },

    /*
     * --- leaf 0xa, the architectural PMU (SDM Vol. 3B 20.2) ---
     * EAX[7:0] is the version: any of its bits means version 1 (IA32_PMC0
     * and IA32_PERFEVTSEL0 at least), bits 7:1 version 2 and up
     * (IA32_PERF_GLOBAL_STATUS/CTRL/OVF_CTRL, IA32_FIXED_CTR_CTRL).
     */
    { "PMU v1", 0xa, 0, EAX, 0xffu, INTEL, NONE, 0, NULL, NULL,
      { R(0xc1, 0xc1), R(0x186, 0x186) } },
    { "PMU v2", 0xa, 0, EAX, 0xfeu, INTEL, NONE, 0, NULL, NULL,
      { R(0x38d, 0x38d), RO_(0x38e, 0x38e), R(0x38f, 0x390) } },

    /* --- leaf 0xd.1 (SDM Vol. 1 13.2; APM E.3.8) --- */
    { "XSAVES", 0xd, 1, EAX, 1u << 3, BOTH, NONE, 0, NULL, NULL,
      { R(0xda0, 0xda0) } },
    /* IA32_XFD, IA32_XFD_ERR. */
    { "XFD", 0xd, 1, EAX, 1u << 4, INTEL, NONE, 0, NULL, NULL,
      { R(0x1c4, 0x1c5) } },
    /* Supervisor state components IA32_XSS may set. */
    { "XSS components", 0xd, 1, ECX, ~0u, BOTH, NONE, 0, NULL, NULL,
      { R(0xda0, 0xda0) } },

    /* --- 0x80000001 ECX (APM E.4.2) --- */
    /* VM_CR, VM_HSAVE_PA (APM Vol. 2 15.30); EFER.SVME. */
    { "SVM", 0x80000001u, 0, ECX, 1u << 2, AMD, NONE, EFER_SVME, NULL,
      NULL, { R(0xc0010114, 0xc0010114), R(0xc0010117, 0xc0010117) } },
    /*
     * The extended APIC registers at offset 0x400 (APM Vol. 2 16.4.5),
     * in x2APIC mode the MSRs 0x800 + offset / 16 (16.11): extended
     * feature (RO) and control.
     */
    { "ExtApicSpace", 0x80000001u, 0, ECX, 1u << 3, AMD, NONE, 0,
      x2apic_on, NULL, { RO_(0x840, 0x840), R(0x841, 0x841) } },
    /* OSVW_ID_Length, OSVW_Status (APM Vol. 2 3.9). */
    { "OSVW", 0x80000001u, 0, ECX, 1u << 9, AMD, NONE, 0, NULL, NULL,
      { R(0xc0010140, 0xc0010141) } },
    /* IBS fetch/op control and data, IBS_CTL (APM Vol. 2 13.3). */
    { "IBS", 0x80000001u, 0, ECX, 1u << 10, AMD, NONE, 0, NULL, NULL,
      { R(0xc0011030, 0xc0011039), RO_(0xc001103a, 0xc001103a) } },
    /* The watchdog timer configuration. */
    { "WDT", 0x80000001u, 0, ECX, 1u << 13, AMD, NONE, 0, NULL, NULL,
      { R(0xc0010074, 0xc0010074) } },
    /* LWP_CFG, LWP_CBADDR (AMD LWP specification). */
    { "LWP", 0x80000001u, 0, ECX, 1u << 15, AMD, NONE, 0, NULL, NULL,
      { R(0xc0000105, 0xc0000106) } },
    /* EFER.TCE. */
    { "TCE", 0x80000001u, 0, ECX, 1u << 17, AMD, NONE, 1ULL << 15, NULL,
      NULL, { { 0, 0, END } } },
    /* MSRC001_100C NodeId (BKDG for family 15h). */
    { "NodeId", 0x80000001u, 0, ECX, 1u << 19, AMD, NONE, 0, NULL, NULL,
      { RO_(0xc001100c, 0xc001100c) } },
    /* PERF_CTL0-5 / PERF_CTR0-5 (APM Vol. 2 13.2.1). */
    { "PerfCtrExtCore", 0x80000001u, 0, ECX, 1u << 23, AMD, NONE, 0, NULL,
      NULL, { R(0xc0010200, 0xc001020b) } },
    { "PerfCtrExtDF", 0x80000001u, 0, ECX, 1u << 24, AMD, NONE, 0, NULL,
      NULL, { R(0xc0010240, 0xc0010247) } },
    /* DR0-DR3 address masks (APM Vol. 2 13.1.1.4). */
    { "DataBkptExt", 0x80000001u, 0, ECX, 1u << 26, AMD, NONE, 0, NULL,
      NULL, { R(0xc0011019, 0xc001101b), R(0xc0011027, 0xc0011027) } },
    /* The performance time-stamp counter (APM Vol. 2 13.2.2). */
    { "PerfTsc", 0x80000001u, 0, ECX, 1u << 27, AMD, NONE, 0, NULL, NULL,
      { RO_(0xc0010280, 0xc0010280) } },
    { "PerfCtrExtLLC", 0x80000001u, 0, ECX, 1u << 28, AMD, NONE, 0, NULL,
      NULL, { R(0xc0010230, 0xc0010237) } },
    { "AddrMaskExt", 0x80000001u, 0, ECX, 1u << 30, AMD, NONE, 0, NULL,
      NULL, { R(0xc0011019, 0xc001101b), R(0xc0011027, 0xc0011027) } },

    /* --- 0x80000001 EDX (APM E.4.2; SDM Table 3-8) --- */
    /* AMD repeats leaf 1's bits here, with their MSRs. */
    { "TSC (ext)", 0x80000001u, 0, EDX, 1u << 4, AMD, AMD, 0, NULL, NULL,
      { R(0x10, 0x10) } },
    { "MCE (ext)", 0x80000001u, 0, EDX, 1u << 7, AMD, NONE, 0, NULL, NULL,
      { RO_(0x0, 0x1) } },
    { "APIC (ext)", 0x80000001u, 0, EDX, 1u << 9, AMD, AMD, 0, NULL,
      NULL, { R(0x1b, 0x1b) } },
    /* STAR, LSTAR, CSTAR, SFMASK; EFER.SCE. */
    { "SYSCALL", 0x80000001u, 0, EDX, 1u << 11, BOTH, BOTH, EFER_SCE,
      NULL, NULL, { R(0xc0000081, 0xc0000084) } },
    { "MTRR (ext)", 0x80000001u, 0, EDX, 1u << 12, AMD, AMD, 0, NULL,
      mtrr_ranges, { RO_(0xfe, 0xfe), R(0x2ff, 0x2ff) } },
    { "MCA (ext)", 0x80000001u, 0, EDX, 1u << 14, AMD, NONE, 0, NULL,
      mca_banks, { RO_(0x179, 0x179), R(0x17a, 0x17a) } },
    { "PAT (ext)", 0x80000001u, 0, EDX, 1u << 16, AMD, AMD, 0, NULL, NULL,
      { R(0x277, 0x277) } },
    { "NX", 0x80000001u, 0, EDX, 1u << 20, BOTH, BOTH, EFER_NXE, NULL,
      NULL, { { 0, 0, END } } },
    /* EFER.FFXSR. */
    { "FFXSR", 0x80000001u, 0, EDX, 1u << 25, AMD, NONE, 1ULL << 14, NULL,
      NULL, { { 0, 0, END } } },
    { "RDTSCP", 0x80000001u, 0, EDX, 1u << 27, BOTH, BOTH, 0, NULL, NULL,
      { R(0xc0000103, 0xc0000103) } },
    /* EFER, FS_BASE, GS_BASE, KERNEL_GS_BASE; EFER.LME. */
    { "LM", 0x80000001u, 0, EDX, 1u << 29, BOTH, BOTH, EFER_LME, NULL,
      NULL, { R(0xc0000080, 0xc0000080), R(0xc0000100, 0xc0000102) } },

    /* --- 0x80000007 (APM E.4.6) --- */
    /* MCA_CTL..MCA_MISC0 of bank 0 in the SMCA range. */
    { "ScalableMca", 0x80000007u, 0, EBX, 1u << 3, AMD, NONE, 0, NULL,
      NULL, { R(0xc0002000, 0xc0002003) } },
    /* P-state current limit, control, status. */
    { "HwPstate", 0x80000007u, 0, EDX, 1u << 7, AMD, NONE, 0, NULL, NULL,
      { RO_(0xc0010061, 0xc0010061), R(0xc0010062, 0xc0010062),
        RO_(0xc0010063, 0xc0010063) } },
    /* MPERF_RO, APERF_RO. */
    { "EffFreqRO", 0x80000007u, 0, EDX, 1u << 10, AMD, NONE, 0, NULL,
      NULL, { RO_(0xc00000e7, 0xc00000e8) } },

    /* --- 0x80000008 EBX (APM E.4.7) --- */
    /* IRPerfCount. */
    { "InstRetCntMsr", 0x80000008u, 0, EBX, 1u << 1, AMD, NONE, 0, NULL,
      NULL, { R(0xc00000e9, 0xc00000e9) } },
    /* EFER.MCOMMIT, EFER.INTWB. */
    { "MCOMMIT", 0x80000008u, 0, EBX, 1u << 8, AMD, NONE, 1ULL << 17,
      NULL, NULL, { { 0, 0, END } } },
    { "INT_WBINVD", 0x80000008u, 0, EBX, 1u << 13, AMD, NONE, 1ULL << 18,
      NULL, NULL, { { 0, 0, END } } },
    /* PRED_CMD; SPEC_CTRL (IBRS, STIBP, their hints, SSBD, PSFD). */
    { "IBPB", 0x80000008u, 0, EBX, (1u << 12) | (1u << 30), AMD, NONE, 0,
      NULL, NULL, { WO_(0x49, 0x49) } },
    { "SPEC_CTRL", 0x80000008u, 0, EBX,
      (0x3fu << 14) | (1u << 24) | (1u << 28), AMD, NONE, 0, NULL, NULL,
      { R(0x48, 0x48) } },
    /* PPIN_CTL, PPIN. */
    { "PPIN", 0x80000008u, 0, EBX, 1u << 23, AMD, NONE, 0, NULL, NULL,
      { R(0xc00102f0, 0xc00102f0), RO_(0xc00102f1, 0xc00102f1) } },
    { "VIRT_SSBD", 0x80000008u, 0, EBX, 1u << 25, AMD, NONE, 0, NULL,
      NULL, { R(0xc001011f, 0xc001011f) } },
    /* CPPC capability, enable, request, status. */
    { "CPPC", 0x80000008u, 0, EBX, 1u << 27, AMD, NONE, 0, NULL, NULL,
      { RO_(0xc00102b0, 0xc00102b0), R(0xc00102b1, 0xc00102b1),
        RO_(0xc00102b2, 0xc00102b2), R(0xc00102b3, 0xc00102b3),
        RO_(0xc00102b4, 0xc00102b4) } },

    /* --- KVM's leaf 0x40000101 EAX (cpuid.rst, msr.rst) --- */
    { "KVM CLOCKSOURCE", 0x40000101u, 0, EAX, 1u << 0, BOTH, NONE, 0,
      NULL, NULL, { R(0x11, 0x12) } },
    { "KVM CLOCKSOURCE2", 0x40000101u, 0, EAX, 1u << 3, BOTH, BOTH, 0,
      NULL, NULL, { R(0x4b564d00, 0x4b564d01) } },
    { "KVM ASYNC_PF", 0x40000101u, 0, EAX, 1u << 4, BOTH, NONE, 0, NULL,
      NULL, { R(0x4b564d02, 0x4b564d02) } },
    { "KVM STEAL_TIME", 0x40000101u, 0, EAX, 1u << 5, BOTH, BOTH, 0,
      NULL, NULL, { R(0x4b564d03, 0x4b564d03) } },
    { "KVM PV_EOI", 0x40000101u, 0, EAX, 1u << 6, BOTH, BOTH, 0, NULL,
      NULL, { R(0x4b564d04, 0x4b564d04) } },
    { "KVM POLL_CONTROL", 0x40000101u, 0, EAX, 1u << 12, BOTH, NONE, 0,
      NULL, NULL, { R(0x4b564d05, 0x4b564d05) } },
    { "KVM ASYNC_PF_INT", 0x40000101u, 0, EAX, 1u << 14, BOTH, NONE, 0,
      NULL, NULL, { R(0x4b564d06, 0x4b564d07) } },
    { "KVM MIGRATION_CONTROL", 0x40000101u, 0, EAX, 1u << 17, BOTH, NONE,
      0, NULL, NULL, { R(0x4b564d08, 0x4b564d08) } },
};

/*
 * Feature bits that imply no MSR (by either vendor's manual), so a
 * guest may see them without any row above: the rest of every feature
 * register the test reads.
 */
struct plain_bits
{
    u32 leaf, sub;
    u8 reg;
    u32 bits;
};

static const struct plain_bits plain[] = {
    /*
     * FPU, VME, DE, PSE, MSR (the instructions), PAE, CX8, PGE, CMOV,
     * PSE36, PSN, CLFSH, MMX, FXSR, SSE, SSE2, SS, HTT; TM and PBE are
     * IA32_MISC_ENABLE bits (left out, see above).
     */
    { 1, 0, EDX, 0x0fu | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 13) |
                 (1u << 15) | (1u << 17) | (1u << 18) | (1u << 19) |
                 (0x1fu << 23) | (1u << 28) | (1u << 29) | (1u << 31) },
    /*
     * SSE3, PCLMULQDQ, DS-CPL, TM2, SSSE3, CNXT-ID, FMA, CMPXCHG16B,
     * xTPR, PCID, SSE4.1, SSE4.2, MOVBE, POPCNT, AES, XSAVE, OSXSAVE,
     * AVX, F16C, RDRAND, hypervisor.
     */
    { 1, 0, ECX, 0x3u | (1u << 4) | (0x7u << 8) | (0x7u << 12) |
                 (1u << 17) | (0x3u << 19) | (0x3u << 22) |
                 (0x7fu << 25) },
    /* XSAVEOPT, XSAVEC, XGETBV with ECX = 1. */
    { 0xd, 1, EAX, 0x7u },
    /*
     * LahfSahf, CmpLegacy, AltMovCr8, ABM, SSE4A, MisAlignSse,
     * 3DNowPrefetch, XOP, SKINIT, FMA4, TBM, TopologyExtensions,
     * MONITORX.
     */
    { 0x80000001u, 0, ECX, 0x3u | (0x1fu << 4) | (1u << 11) | (1u << 12) |
                           (1u << 16) | (1u << 21) | (1u << 22) |
                           (1u << 29) },
    /*
     * AMD's copies of FPU, VME, DE, PSE, MSR, PAE, CX8, PGE, CMOV, PSE36,
     * MMX, FXSR; MmxExt, Page1GB, 3DNowExt, 3DNow.
     */
    { 0x80000001u, 0, EDX, 0xfu | (0x3u << 5) | (1u << 8) | (1u << 13) |
                           (1u << 15) | (1u << 17) | (0x7u << 22) |
                           (1u << 26) | (0x3u << 30) },
    /* Invariant TSC. */
    { 0x80000007u, 0, EDX, 1u << 8 },
    /*
     * CLZERO, RstrFpErrPtrs, INVLPGB, RDPRU, WBNOINVD,
     * EferLmsleUnsupported, SSBD_NO, BTC_NO.
     */
    { 0x80000008u, 0, EBX, 0x1du | (1u << 9) | (1u << 20) | (1u << 26) |
                           (1u << 29) },
    /*
     * NOP_IO_DELAY, PV_UNHALT, PV_TLB_FLUSH, ASYNC_PF_VMEXIT,
     * PV_SEND_IPI, PV_SCHED_YIELD, MSI_EXT_DEST_ID, HC_MAP_GPA_RANGE,
     * CLOCKSOURCE_STABLE_BIT.
     */
    { 0x40000101u, 0, EAX, (1u << 1) | (1u << 7) | (0x7u << 9) |
                           (1u << 13) | (0x3u << 15) | (1u << 24) },
};

/* The feature registers the guest's CPUID is searched for bits. */
static const struct
{
    u32 leaf, sub;
    u8 reg;
} scanned[] = {
    { 1, 0, ECX }, { 1, 0, EDX }, { 6, 0, EAX }, { 6, 0, ECX },
    { 7, 0, EBX }, { 7, 0, ECX }, { 7, 0, EDX }, { 7, 1, EAX },
    { 0xa, 0, EAX }, { 0xd, 1, EAX }, { 0xd, 1, ECX },
    { 0x80000001u, 0, ECX }, { 0x80000001u, 0, EDX },
    { 0x80000007u, 0, EBX }, { 0x80000007u, 0, EDX },
    { 0x80000008u, 0, EBX }, { 0x40000101u, 0, EAX },
};

/* ------------------------------------------------------------------ */
/* The checks.                                                          */
/* ------------------------------------------------------------------ */

static const char *cur_vendor;
/* Set by the self-test: problems are counted, not reported. */
static bool quiet;

#define REPORT(...)                                                     \
    do {                                                                \
        if ( !quiet )                                                   \
            harness_fail(__FILE__, __LINE__, false, __VA_ARGS__);       \
    } while ( 0 )

static u32 reg_of(const struct cpuid_regs *r, u8 reg)
{
    return reg == EAX ? r->eax : reg == EBX ? r->ebx :
           reg == ECX ? r->ecx : r->edx;
}

/* The guest's view of a register: 0 beyond the largest leaf offered. */
static u32 guest_reg(struct vcpu *v, u32 leaf, u32 sub, u8 reg)
{
    struct cpuid_regs r;
    u32 base = leaf & 0xffffff00u;

    if ( leaf >= 0x40000000u && leaf < 0x80000000u )
        hvm_cpuid(v, base, 0, &r);
    else
        hvm_cpuid(v, leaf & 0x80000000u, 0, &r);
    if ( leaf > r.eax )
        return 0;
    hvm_cpuid(v, leaf, sub, &r);
    return reg_of(&r, reg);
}

static unsigned int vendor_bit(void)
{
    return !strcmp(cur_vendor, "AuthenticAMD") ? AMD : INTEL;
}

/*
 * One MSR of an offered feature, as hardware has it.  Returns 1 (and
 * reports) when the emulation differs.
 */
static unsigned int check_msr(struct vcpu *v, const char *feat, u32 msr,
                              enum access access)
{
    u64 val = 0;
    int rd = hvm_msr_read(v, msr, &val);
    const char *what = NULL;

    switch ( access )
    {
    case RW:
        if ( rd != MSR_OK )
            what = "RDMSR faults";
        else if ( hvm_msr_write(v, msr, val) != MSR_OK )
            what = "WRMSR of the value read faults";
        break;
    case RO:
        if ( rd != MSR_OK )
            what = "RDMSR faults";
        else if ( hvm_msr_write(v, msr, val) != MSR_GP )
            what = "WRMSR to a read-only MSR does not fault";
        break;
    case WO:
        if ( rd != MSR_GP )
            what = "RDMSR of a write-only MSR does not fault";
        else if ( hvm_msr_write(v, msr, 0) != MSR_OK )
            what = "WRMSR of 0 faults";
        break;
    case END:
        break;
    }
    if ( !what )
        return 0;
    REPORT("%s guest, vCPU %u: offered %s, but MSR %#x: %s",
           cur_vendor, v->vcpu_id, feat, msr, what);
    return 1;
}

/* Whether the guest may set these EFER bits (paging off: LME too). */
static unsigned int check_efer(struct vcpu *v, const char *feat, u64 bits)
{
    u64 old;

    if ( !bits )
        return 0;
    REQUIRE_EQ(hvm_msr_read(v, MSR_EFER, &old), MSR_OK);
    if ( hvm_msr_write(v, MSR_EFER, old | bits) != MSR_OK )
    {
        REPORT("%s guest, vCPU %u: offered %s, but EFER bits %#llx fault",
               cur_vendor, v->vcpu_id, feat, (unsigned long long)bits);
        return 1;
    }
    CHECK_EQ(hvm_msr_write(v, MSR_EFER, old), MSR_OK);
    return 0;
}

/* Every row on vCPU v; returns the number of problems. */
static unsigned int check_rows(struct vcpu *v)
{
    unsigned int vendor = vendor_bit(), bad = 0;
    bool offered[ARRAY_SIZE(features)];

    /* The CPUID first: the rows' MSR writes change the APIC mode. */
    for ( unsigned int i = 0; i < ARRAY_SIZE(features); i++ )
    {
        const struct feature *f = &features[i];

        offered[i] = (f->vendors & vendor) &&
                     (guest_reg(v, f->leaf, f->sub, f->reg) & f->mask);
        if ( (f->vendors & vendor) &&
             offered[i] != !!(f->offered & vendor) )
        {
            REPORT("%s guest, vCPU %u: %s is %s; the table says %s",
                   cur_vendor, v->vcpu_id, f->name,
                   offered[i] ? "offered" : "hidden",
                   offered[i] ? "hidden" : "offered");
            bad++;
        }
    }
    for ( unsigned int i = 0; i < ARRAY_SIZE(features); i++ )
    {
        const struct feature *f = &features[i];

        if ( !offered[i] )
            continue;
        if ( f->setup )
            f->setup(v);
        for ( const struct msr_span *s = f->msrs; s->access != END; s++ )
            for ( u32 m = s->first; m >= s->first && m <= s->last; m++ )
                bad += check_msr(v, f->name, m, s->access);
        if ( f->more )
            bad += f->more(v, f->name);
        bad += check_efer(v, f->name, f->efer);
    }
    return bad;
}

/* Every bit set in the guest's feature registers is a decided one. */
static unsigned int check_known_bits(struct vcpu *v)
{
    unsigned int bad = 0;

    for ( unsigned int i = 0; i < ARRAY_SIZE(scanned); i++ )
    {
        u32 known = 0, seen;

        for ( unsigned int j = 0; j < ARRAY_SIZE(features); j++ )
            if ( features[j].leaf == scanned[i].leaf &&
                 features[j].sub == scanned[i].sub &&
                 features[j].reg == scanned[i].reg )
                known |= features[j].mask;
        for ( unsigned int j = 0; j < ARRAY_SIZE(plain); j++ )
            if ( plain[j].leaf == scanned[i].leaf &&
                 plain[j].sub == scanned[i].sub &&
                 plain[j].reg == scanned[i].reg )
                known |= plain[j].bits;
        seen = guest_reg(v, scanned[i].leaf, scanned[i].sub,
                         scanned[i].reg);
        if ( seen & ~known )
        {
            REPORT("%s guest: CPUID %#x.%u %s bits %#x are in no row",
                   cur_vendor, scanned[i].leaf, scanned[i].sub,
                   reg_names[scanned[i].reg], seen & ~known);
            bad++;
        }
    }
    return bad;
}

/* With UNIT_VERBOSE: the table as this guest sees it. */
static void print_table(struct vcpu *v, unsigned int nvcpus)
{
    unsigned int vendor = vendor_bit();

    if ( !getenv("UNIT_VERBOSE") )
        return;
    printf("%s, %u vCPU(s):\n", cur_vendor, nvcpus);
    for ( unsigned int i = 0; i < ARRAY_SIZE(features); i++ )
    {
        const struct feature *f = &features[i];

        if ( !(f->vendors & vendor) )
            continue;
        printf("  %-22s %#010x.%u %s %#010x  %s\n", f->name, f->leaf,
               f->sub, reg_names[f->reg], f->mask,
               guest_reg(v, f->leaf, f->sub, f->reg) & f->mask
               ? "offered" : "hidden");
    }
}

static void check_host(const char *vendor, unsigned int nvcpus)
{
    cur_vendor = vendor;
    domain_setup(vendor, nvcpus);
    print_table(&vcpus[0], nvcpus);
    for ( unsigned int i = 0; i < nvcpus; i++ )
        CHECK_EQ(check_known_bits(&vcpus[i]), 0);
    for ( unsigned int i = 0; i < nvcpus; i++ )
        CHECK_EQ(check_rows(&vcpus[i]), 0);
    domain_teardown();
}

TEST(intel_host_one_vcpu)
{
    check_host("GenuineIntel", 1);
}

TEST(intel_host_four_vcpus)
{
    check_host("GenuineIntel", MAX_VCPUS);
}

TEST(amd_host_one_vcpu)
{
    check_host("AuthenticAMD", 1);
}

TEST(amd_host_four_vcpus)
{
    check_host("AuthenticAMD", MAX_VCPUS);
}

/*
 * The host CPUID does reach the guest through the double: a guest of
 * this host sees its vendor, the features kept and the leaves clamped.
 */
TEST(synthetic_host_reaches_the_guest)
{
    struct cpuid_regs r;

    domain_setup("AuthenticAMD", 2);
    hvm_cpuid(&vcpus[1], 0, 0, &r);
    CHECK_EQ(r.eax, 0xd);
    CHECK(!memcmp(&r.ebx, "Auth", 4));
    hvm_cpuid(&vcpus[1], 0x80000000u, 0, &r);
    CHECK_EQ(r.eax, 0x80000008u);
    hvm_cpuid(&vcpus[1], 1, 0, &r);
    CHECK_EQ(r.ebx >> 24, 1);                   /* APIC ID */
    CHECK_EQ((r.ebx >> 16) & 0xff, 2);          /* logical count */
    CHECK(r.edx & (1u << 28));                  /* HTT */
    CHECK(r.ecx & (1u << 26));                  /* XSAVE */
    CHECK_EQ(walk_cpu.maxphyaddr, 52);
    domain_teardown();
}

/*
 * The checks fail on an MSR that is not emulated, on one that breaks
 * its access rule, and on an EFER bit that is reserved: a pass means
 * something.  (Quiet: counted, not reported.)
 */
TEST(checks_can_fail)
{
    domain_setup("GenuineIntel", 1);
    cur_vendor = "GenuineIntel";
    quiet = true;
    /* MCG_CAP is not emulated; MTRRCAP is read-only; PAT is not WO. */
    CHECK_EQ(check_msr(&vcpus[0], "self-test", 0x179, RO), 1);
    CHECK_EQ(check_msr(&vcpus[0], "self-test", 0xfe, RW), 1);
    CHECK_EQ(check_msr(&vcpus[0], "self-test", 0x277, WO), 1);
    CHECK_EQ(check_msr(&vcpus[0], "self-test", 0x277, RW), 0);
    /* EFER.SVME: SVM is hidden, so the bit is reserved. */
    CHECK_EQ(check_efer(&vcpus[0], "self-test", EFER_SVME), 1);
    CHECK_EQ(check_efer(&vcpus[0], "self-test", EFER_NXE), 0);
    quiet = false;
    domain_teardown();
}

/*
 * IA32_MISC_ENABLE (SDM Vol. 4, Table 2-2) against the same host with
 * every feature: on Intel its read-only bits follow the guest's CPUID
 * (no DS: BTS and PEBS unavailable; no leaf 0xa PMU; MONITOR hidden, so
 * MONITOR FSM clear and fixed), reserved bits #GP, and "limit CPUID
 * maxval" and "XD bit disable" change CPUID (and with it EFER.NXE) until
 * cleared.  AMD has no such MSR.
 */
#define MSR_MISC_ENABLE     0x1a0
#define MISC_PMU_AVAIL      (1ULL << 7)
#define MISC_BTS_UNAVAIL    (1ULL << 11)
#define MISC_PEBS_UNAVAIL   (1ULL << 12)
#define MISC_MONITOR_FSM    (1ULL << 18)

TEST(misc_enable_follows_cpuid_on_intel)
{
    struct vcpu *v;
    struct cpuid_regs r;
    u64 misc;

    domain_setup("GenuineIntel", 1);
    cur_vendor = "GenuineIntel";
    v = &vcpus[0];
    REQUIRE_EQ(hvm_msr_read(v, MSR_MISC_ENABLE, &misc), MSR_OK);
    hvm_cpuid(v, 1, 0, &r);
    CHECK(!(r.edx & (1u << 21)));               /* DS hidden... */
    CHECK((misc & (MISC_BTS_UNAVAIL | MISC_PEBS_UNAVAIL)) ==
          (MISC_BTS_UNAVAIL | MISC_PEBS_UNAVAIL));
    CHECK(!(r.ecx & (1u << 3)));                /* MONITOR hidden... */
    CHECK(!(misc & MISC_MONITOR_FSM));
    hvm_cpuid(v, 0xa, 0, &r);
    CHECK(!(r.eax & 0xff));                     /* no PMU... */
    CHECK(!(misc & MISC_PMU_AVAIL));

    /* Reserved bits and the fixed MONITOR FSM bit. */
    CHECK_EQ(hvm_msr_write(v, MSR_MISC_ENABLE, misc | 2), MSR_GP);
    CHECK_EQ(hvm_msr_write(v, MSR_MISC_ENABLE, misc | (1ULL << 16)),
             MSR_GP);                           /* EIST: hidden */
    CHECK_EQ(hvm_msr_write(v, MSR_MISC_ENABLE, misc | MISC_MONITOR_FSM),
             MSR_GP);
    /* Read-only bits: a write leaves them. */
    CHECK_EQ(hvm_msr_write(v, MSR_MISC_ENABLE, misc & ~MISC_BTS_UNAVAIL),
             MSR_OK);
    CHECK_EQ(hvm_msr_read(v, MSR_MISC_ENABLE, &misc), MSR_OK);
    CHECK(misc & MISC_BTS_UNAVAIL);

    /* Limit CPUID maxval. */
    CHECK_EQ(hvm_msr_write(v, MSR_MISC_ENABLE,
                           misc | MISC_ENABLE_LIMIT_CPUID), MSR_OK);
    hvm_cpuid(v, 0, 0, &r);
    CHECK_EQ(r.eax, 2);
    hvm_cpuid(v, 0xd, 0, &r);
    CHECK_EQ(r.eax | r.ebx | r.ecx | r.edx, 0);
    hvm_cpuid(v, 0x80000000u, 0, &r);
    CHECK_EQ(r.eax, 0x80000008u);               /* extended: unlimited */
    CHECK_EQ(hvm_msr_write(v, MSR_MISC_ENABLE, misc), MSR_OK);
    hvm_cpuid(v, 0, 0, &r);
    CHECK_EQ(r.eax, 0xd);

    /* XD bit disable: NX gone, EFER.NXE reserved; back when cleared. */
    CHECK_EQ(hvm_msr_write(v, MSR_MISC_ENABLE,
                           misc | MISC_ENABLE_XD_DISABLE), MSR_OK);
    hvm_cpuid(v, 0x80000001u, 0, &r);
    CHECK(!(r.edx & (1u << 20)));
    quiet = true;                   /* a refusal is what is expected */
    CHECK_EQ(check_efer(v, "XD disabled", EFER_NXE), 1);
    quiet = false;
    CHECK_EQ(hvm_msr_write(v, MSR_MISC_ENABLE, misc), MSR_OK);
    hvm_cpuid(v, 0x80000001u, 0, &r);
    CHECK(r.edx & (1u << 20));
    CHECK_EQ(check_efer(v, "XD enabled", EFER_NXE), 0);
    domain_teardown();
}

TEST(misc_enable_absent_on_amd)
{
    u64 val;

    domain_setup("AuthenticAMD", 1);
    CHECK_EQ(hvm_msr_read(&vcpus[0], MSR_MISC_ENABLE, &val), MSR_GP);
    CHECK_EQ(hvm_msr_write(&vcpus[0], MSR_MISC_ENABLE, 1), MSR_GP);
    domain_teardown();
}

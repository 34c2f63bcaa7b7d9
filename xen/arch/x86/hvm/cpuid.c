/*
 * The CPUID a guest sees: the host's, filtered bit by bit (a feature the
 * host has reaches a guest only when it is listed here, so that no MSR
 * or EFER bit is announced that msr.c and cr.c do not emulate;
 * tests/unit/test_cpuid_msr.c holds each offered bit to its MSRs, so a
 * bit added here needs its row there).
 * Virtualisation, debug store, thermal/power, machine checks and the PMU
 * are hidden; XSAVE with the x87, SSE and AVX components is offered
 * where the host has it (xstate.c switches that state per vCPU);
 * invariant TSC only on request (`invtsc`), so that Linux keeps kvmclock;
 * x2APIC, TSC-deadline and the hypervisor bit are offered because the
 * vlapic provides them; APIC IDs and the topology follow the vCPU ids;
 * leaves 0x40000000-0x40000010 identify xen-lite and give the TSC and
 * APIC timer frequencies; KVM's leaves at 0x40000100 offer kvmclock,
 * steal time and (where it saves exits) PV EOI.  The hypervisor's walks
 * of guest page tables are set up here to model the CPU these leaves
 * describe.
 */
#include <xen/lib.h>
#include <xen/param.h>
#include <xen/guest_access.h>
#include <xen/sched.h>
#include <xen/time.h>
#include <asm/processor.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/cpuid.h>
#include <asm/hvm/kvmclock.h>
#include <asm/hvm/msr.h>

#define MAX_BASIC_LEAF  0xd
#define MAX_EXT_LEAF    0x80000008u
#define HV_LEAF_MAX     0x40000010u

/* Leaf 1 ECX bits offered (if the host has them) and forced. */
#define L1_ECX_KEEP     ((1u << 0) | (1u << 1) | (1u << 9) | (1u << 12) | \
                         (1u << 13) | (1u << 19) | (1u << 20) |           \
                         (1u << 22) | (1u << 23) | (1u << 25) | (1u << 30))
#define L1_ECX_FORCE    ((1u << 21) | (1u << 24) | (1u << 31))
/* Leaf 1 ECX: XSAVE, OSXSAVE, AVX, F16C. */
#define L1_ECX_XSAVE    (1u << 26)
#define L1_ECX_OSXSAVE  (1u << 27)
#define L1_ECX_AVX      (1u << 28)
#define L1_ECX_F16C     (1u << 29)
#define X86_CR4_OSXSAVE (1UL << 18)
/*
 * Leaf 1 EDX offered (if the host has them): FPU, VME, DE, PSE, TSC, MSR,
 * PAE, CX8, APIC, SEP, MTRR, PGE, CMOV, PAT, PSE36, CLFSH, MMX, FXSR,
 * SSE, SSE2, SS.  Not MCE and MCA (no machine-check MSRs are emulated,
 * and a guest that sees them reads MCG_CAP and its banks), PSN (leaf 3
 * is not offered), DS, ACPI thermal, TM, PBE; HTT follows the vCPU count.
 */
#define L1_EDX_KEEP     (0x7fu | (1u << 8) | (1u << 9) | (1u << 11) |     \
                         (1u << 12) | (1u << 13) | (1u << 15) |           \
                         (1u << 16) | (1u << 17) | (1u << 19) |           \
                         (0x1fu << 23))
/*
 * Leaf 0x80000001 ECX offered: LahfSahf, CmpLegacy, AltMovCr8, ABM,
 * SSE4A, MisAlignSse, 3DNowPrefetch, XOP, FMA4, TBM.  Not MONITORX
 * (MONITORX/MWAITX take the MONITOR/MWAIT intercepts, which #UD), SVM,
 * SKINIT, WDT, LWP, IBS, OSVW, NodeId, the extended APIC space, the
 * breakpoint address masks, TCE (an EFER bit cr.c does not allow), the
 * topology leaves or the perf counter extensions: they all come with
 * MSRs (or APIC registers) nobody emulates.
 */
#define X1_ECX_KEEP     ((1u << 0) | (1u << 1) | (0xfu << 4) | (1u << 8) | \
                         (1u << 11) | (1u << 16) | (1u << 21))
/*
 * Leaf 0x80000001 EDX offered: AMD's copies of leaf 1's bits, SYSCALL,
 * NX, MmxExt, Page1GB, RDTSCP, LM, 3DNowExt, 3DNow.  Not MCE and MCA (as
 * in leaf 1) nor FFXSR (an EFER bit cr.c does not allow).
 */
#define X1_EDX_KEEP     (0x7fu | (1u << 8) | (1u << 9) | (1u << 11) |     \
                         (1u << 12) | (1u << 13) | (1u << 15) |           \
                         (1u << 16) | (1u << 17) | (1u << 20) |           \
                         (0x7u << 22) | (0x3u << 26) | (0x7u << 29))
/*
 * Leaf 0x80000008 EBX offered: CLZERO, RstrFpErrPtrs, WBNOINVD, and the
 * host's word that EFER.LMSLE, SSBD or BTC do not apply.  Not IBPB,
 * IBRS, STIBP, SSBD, VIRT_SSBD, PSFD (SPEC_CTRL, PRED_CMD and
 * VIRT_SPEC_CTRL are not emulated), IRPerf, PPIN, CPPC (their MSRs
 * neither), MCOMMIT and INT_WBINVD (EFER bits), nor INVLPGB and RDPRU,
 * which the backends do not enable.
 */
#define X8_EBX_KEEP     ((1u << 0) | (1u << 2) | (1u << 9) | (1u << 20) | \
                         (1u << 26) | (1u << 29))
#define X1_EDX_NX       (1u << 20)

/*
 * Invariant TSC (leaf 0x80000007 EDX bit 8) is hidden by default, as
 * QEMU's CPU models hide it from KVM guests: with it, Linux rates the TSC
 * above kvmclock (kvmclock.c) and keeps time by its own TSC checks rather
 * than by the stable bit the hypervisor maintains per vCPU.  `invtsc`
 * offers it where the host has it, like QEMU's +invtsc.
 */
static bool opt_invtsc;
boolean_param("invtsc", opt_invtsc);

/*
 * QEMU TCG's "max" CPU says AMD family 0xf (K8) next to NPT, AVX and
 * XSAVE, which no K8 had: a guest kernel that believes the family runs
 * K8-only paths, above all Linux's search for a GART aperture bridge,
 * 256 buses x 32 slots of 0xcf8/0xcfc (about 33,000 port exits, twice).
 * Under that emulator alone guests see the signature of QEMU's own EPYC
 * model instead: family 0x17, model 1, stepping 2.  Every AMD family
 * from 0x15 to 0x19 is on Linux's list of parts open to Speculative
 * Return Stack Overflow unless CPUID 0x80000021 says SRSO_NO (it then
 * warns at every boot); TCG does not speculate, so that leaf says it.
 */
#define CPUID_SIG_FAMILY(eax) ((((eax) >> 8) & 0xf) == 0xf            \
                               ? 0xf + (((eax) >> 20) & 0xff)         \
                               : ((eax) >> 8) & 0xf)
#define CPUID_SIG_ZEN1        0x00800f12u
#define TCG_ZEN_EXT_LEAF      0x80000021u
#define X21_EAX_SRSO_NO       (1u << 29)

/* Decided once at boot (hvm_cpuid_setup_walk): the host's CPUID. */
static bool tcg_zen;

static u32 guest_signature(u32 host_eax)
{
    return tcg_zen ? CPUID_SIG_ZEN1 : host_eax;
}

/* MAXPHYADDR as leaf 0x80000008 reports it to guests (set at boot). */
static unsigned int guest_maxphyaddr = 36;

void hvm_cpuid_setup_walk(void)
{
    struct guest_walk_cpu c = { .rules = WALK_RULES_INTEL };
    struct cpuid_regs r;

    cpuid_count(1, 0, &r);
    tcg_zen = boot_cpu.qemu_tcg && !strcmp(boot_cpu.vendor, "AuthenticAMD") &&
              CPUID_SIG_FAMILY(r.eax) == 0xf;
    /*
     * Without leaf 0x80000008, 36 when PAE is there (SDM 4.1.4); a value
     * outside 32..52 would be no architectural width.
     */
    cpuid_count(0x80000000, 0, &r);
    if ( r.eax >= 0x80000008u )
    {
        cpuid_count(0x80000008u, 0, &r);
        guest_maxphyaddr = max(32u, min(52u, r.eax & 0xff));
    }
    /* Guests see the host's Page1GB (X1_EDX_KEEP). */
    cpuid_count(0x80000001u, 0, &r);
    c.gbpages = r.edx & (1u << 26);
    c.maxphyaddr = guest_maxphyaddr;
    /* QEMU's page-table checks differ from the manuals (guest_walk.c). */
    if ( boot_cpu.qemu_tcg )
        c.rules = WALK_RULES_QEMU_TCG;
    else if ( !strcmp(boot_cpu.vendor, "AuthenticAMD") )
        c.rules = WALK_RULES_AMD;
    guest_walk_set_cpu(&c);
    printk("HVM: guest page walks follow %s, MAXPHYADDR %u%s\n",
           c.rules == WALK_RULES_QEMU_TCG ? "QEMU TCG's checks" :
           c.rules == WALK_RULES_AMD ? "the AMD APM" : "the Intel SDM",
           c.maxphyaddr, c.gbpages ? ", 1 GiB pages" : "");
}

static unsigned int order_of(unsigned int n)
{
    unsigned int o = 0;

    while ( (1u << o) < n )
        o++;
    return o;
}

void hvm_cpuid_base(struct vcpu *v, u32 leaf, u32 sub,
                    struct cpuid_regs *r)
{
    struct domain *d = v->domain;

    memset(r, 0, sizeof(*r));

    /*
     * KVM's leaves one block up, where Linux also looks for them, while
     * any KVM feature is offered (kvm_pv_features() decides each bit).
     */
    if ( leaf >= 0x40000100u && leaf <= 0x400001ffu )
    {
        u32 features = kvm_pv_features();

        if ( !features )
            return;
        if ( leaf == 0x40000100u )
        {
            r->eax = 0x40000101u;
            memcpy(&r->ebx, "KVMK", 4);
            memcpy(&r->ecx, "VMKV", 4);
            memcpy(&r->edx, "M\0\0\0", 4);
        }
        else if ( leaf == 0x40000101u )
            r->eax = features;
        return;
    }

    if ( leaf >= 0x40000000u && leaf <= 0x400000ffu )
    {
        if ( leaf == 0x40000000u )
        {
            r->eax = HV_LEAF_MAX;
            memcpy(&r->ebx, "xen-", 4);
            memcpy(&r->ecx, "lite", 4);
            memcpy(&r->edx, "\0\0\0\0", 4);
        }
        else if ( leaf == HV_LEAF_MAX )
        {
            /* The VMware/KVM timing leaf: TSC and APIC bus in kHz. */
            r->eax = (u32)cpu_khz;
            r->ebx = VLAPIC_BUS_KHZ;
        }
        return;
    }

    if ( leaf >= 0x80000000u )
    {
        if ( leaf == TCG_ZEN_EXT_LEAF && tcg_zen )
        {
            r->eax = X21_EAX_SRSO_NO;
            return;
        }
        if ( leaf > MAX_EXT_LEAF )
            return;
        cpuid_count(leaf, sub, r);
        switch ( leaf )
        {
        case 0x80000000u:
            r->eax = tcg_zen ? TCG_ZEN_EXT_LEAF
                                     : min(r->eax, MAX_EXT_LEAF);
            break;
        case 0x80000001u:
            r->eax = guest_signature(r->eax);
            r->ecx &= X1_ECX_KEEP;
            r->edx &= X1_EDX_KEEP;
            break;
        case 0x80000007u:
            r->eax = r->ebx = r->ecx = 0;
            r->edx &= opt_invtsc ? 1u << 8 : 0; /* invariant TSC only */
            break;
        case 0x80000008u:
            /* The width the walks take as the guests' MAXPHYADDR. */
            r->eax = (r->eax & ~0xffu) | guest_maxphyaddr;
            r->ebx &= X8_EBX_KEEP;
            r->ecx = 0;                     /* no core count */
            break;
        case 0x80000005u: case 0x80000006u:
        case 0x80000002u: case 0x80000003u: case 0x80000004u:
            break;
        default:
            memset(r, 0, sizeof(*r));
        }
        return;
    }

    if ( leaf > MAX_BASIC_LEAF )
        return;
    switch ( leaf )
    {
    case 0:
        cpuid_count(0, 0, r);
        r->eax = min(r->eax, (u32)MAX_BASIC_LEAF);
        break;
    case 1:
        cpuid_count(1, 0, r);
        r->eax = guest_signature(r->eax);
        r->ebx = (r->ebx & 0xffff) | (v->vcpu_id << 24) |
                 (min(d->max_vcpus, 255u) << 16);
        {
            u32 host_ecx = r->ecx;

            r->ecx = (host_ecx & L1_ECX_KEEP) | L1_ECX_FORCE;
            if ( hvm_xcr0_offered() )
            {
                r->ecx |= L1_ECX_XSAVE;
                /* OSXSAVE mirrors the guest's CR4 (SDM Vol. 2, CPUID). */
                if ( hvm_funcs->get_reg(v, HVM_REG_CR4) & X86_CR4_OSXSAVE )
                    r->ecx |= L1_ECX_OSXSAVE;
                /* AVX and F16C need the AVX state component. */
                if ( hvm_xcr0_offered() & (1ULL << 2) )
                    r->ecx |= host_ecx & (L1_ECX_AVX | L1_ECX_F16C);
            }
        }
        r->edx &= L1_EDX_KEEP;
        /* The APIC flag follows IA32_APIC_BASE.EN (SDM Vol. 3A, 11.4.3). */
        if ( !(READ_ONCE(v->hvm->vlapic.apic_base) & APICBASE_ENABLE) )
            r->edx &= ~CPUID1_EDX_APIC;
        if ( d->max_vcpus > 1 )
            r->edx |= 1u << 28;             /* HTT: the count is valid */
        break;
    case 0xb:
        /* One thread per core, all vCPUs in one package. */
        r->edx = v->vcpu_id;
        r->ecx = sub & 0xff;
        if ( sub == 0 )
        {
            r->eax = 0;
            r->ebx = 1;
            r->ecx |= 1u << 8;
        }
        else if ( sub == 1 )
        {
            r->eax = order_of(d->max_vcpus);
            r->ebx = d->max_vcpus;
            r->ecx |= 2u << 8;
        }
        break;
    case 0xd:
        hvm_xstate_cpuid(v, sub, r);
        break;
    default:
        /* Cache, power, PMU and extended features: none. */
        break;
    }
}

/*
 * IA32_MISC_ENABLE (SDM Vol. 4, Table 2-2): "limit CPUID maxval" makes
 * CPUID.0:EAX report at most 2, and the basic leaves above it then
 * answer as any leaf above the maximum does here; "XD bit disable"
 * clears CPUID.80000001H:EDX[20], and with it EFER.NXE becomes
 * reserved (cr.c takes its rules from this CPUID).
 */
void hvm_cpuid(struct vcpu *v, u32 leaf, u32 sub, struct cpuid_regs *r)
{
    u64 misc = v->hvm->msr_misc_enable;

    if ( (misc & MISC_ENABLE_LIMIT_CPUID) && leaf > 2 && leaf < 0x40000000u )
    {
        memset(r, 0, sizeof(*r));
        return;
    }
    hvm_cpuid_base(v, leaf, sub, r);
    if ( leaf == 0 && (misc & MISC_ENABLE_LIMIT_CPUID) )
        r->eax = min(r->eax, 2u);
    if ( leaf == 0x80000001u && (misc & MISC_ENABLE_XD_DISABLE) )
        r->edx &= ~X1_EDX_NX;
}

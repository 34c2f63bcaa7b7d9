/*
 * The MSRs an HVM guest may use.  Every MSR access exits (the SVM MSR
 * bitmap is all ones), so this is the whole policy: the local APIC range
 * to the vlapic, the registers the backend keeps in its control block,
 * a fixed-size MTRR view, and #GP for everything else and for reserved
 * bits, as hardware does.
 */
#include <xen/lib.h>
#include <xen/sched.h>
#include <asm/processor.h>
#include <asm/percpu.h>
#include <asm/hvm/cpuid.h>
#include <asm/hvm/cr.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/msr.h>
#include <asm/hvm/pv_eoi.h>
#include <asm/hvm/kvmclock.h>

#define MSR_TSC             0x00000010
#define MSR_PLATFORM_ID     0x00000017
#define MSR_FEATURE_CONTROL 0x0000003a
#define MSR_BIOS_SIGN       0x0000008b
#define MSR_MTRRCAP         0x000000fe
#define MSR_SYSENTER_CS     0x00000174
#define MSR_SYSENTER_ESP    0x00000175
#define MSR_SYSENTER_EIP    0x00000176
#define MSR_MISC_ENABLE     0x000001a0
#define MSR_PAT             0x00000277
#define MSR_MTRR_DEF_TYPE   0x000002ff
#define MSR_STAR            0xc0000081
#define MSR_LSTAR           0xc0000082
#define MSR_CSTAR           0xc0000083
#define MSR_SFMASK          0xc0000084
#define MSR_KERNEL_GS_BASE  0xc0000102
#define MSR_TSC_AUX         0xc0000103
/*
 * AMD's: the northbridge configuration, system configuration, and the K8
 * interrupt-pending message.
 */
#define MSR_AMD_NB_CFG      0xc001001f
/* The four legacy counters: PERF_CTL0-3, then PERF_CTR0-3. */
#define MSR_AMD_PERF_FIRST  0xc0010000
#define MSR_AMD_PERF_LAST   0xc0010007
#define MSR_AMD_SYSCFG      0xc0010010
#define MSR_AMD_INT_PENDING 0xc0010055
#define CPUIDX1_EDX_RDTSCP  (1u << 27)
#define CPUIDX1_EDX_NX      (1u << 20)
#define CPUID1_EDX_DS       (1u << 21)
#define CPUID1_ECX_MONITOR  (1u << 3)

/* IA32_MISC_ENABLE's other architectural bits (SDM Vol. 4, Table 2-2). */
#define MISC_FAST_STRINGS   (1ULL << 0)
#define MISC_ATCC           (1ULL << 3)     /* automatic thermal control */
#define MISC_PMU_AVAIL      (1ULL << 7)     /* RO */
#define MISC_BTS_UNAVAIL    (1ULL << 11)    /* RO */
#define MISC_PEBS_UNAVAIL   (1ULL << 12)    /* RO */
#define MISC_MONITOR_FSM    (1ULL << 18)

static bool canonical(u64 a)
{
    return (u64)((s64)(a << 16) >> 16) == a;
}

/* The guest sees the host's vendor (cpuid.c passes leaf 0 through). */
static bool amd_guest(void)
{
    return !strcmp(boot_cpu.vendor, "AuthenticAMD");
}

/* IA32_TSC_AUX exists where RDTSCP does (CPUID 0x80000001 EDX bit 27). */
static bool rdtscp_offered(struct vcpu *v)
{
    struct cpuid_regs r;

    hvm_cpuid(v, 0x80000001u, 0, &r);
    return r.edx & CPUIDX1_EDX_RDTSCP;
}

/*
 * The guest's TSC_AUX, for RDTSCP, which runs without an exit: in the
 * MSR whenever a guest runs.  The hypervisor never reads TSC_AUX, so it
 * is written only when the last guest here had another value.
 */
#define TSC_AUX_LOADED      (1ULL << 63)    /* beyond any legal value */
static DEFINE_PER_CPU(u64, tsc_aux_loaded);     /* value | LOADED */

void hvm_msr_before_entry(struct vcpu *v)
{
    u64 want = v->hvm->msr_tsc_aux | TSC_AUX_LOADED;

    if ( this_cpu(tsc_aux_loaded) == want )
        return;
    wrmsr(MSR_TSC_AUX, v->hvm->msr_tsc_aux);
    this_cpu(tsc_aux_loaded) = want;
}

/*
 * IA32_MISC_ENABLE, an Intel MSR (AMD has none at 0x1a0: #GP), holds
 * for the CPU the guest's CPUID describes:
 *  - fast strings and automatic thermal control, read/write, with no
 *    effect a guest can see;
 *  - PMU available, BTS and PEBS unavailable: read-only, from CPUID
 *    (no leaf 0xa PMU, no DS), writes leave them;
 *  - MONITOR FSM: the MONITOR flag, which is hidden; software "must not
 *    alter" it, and changing it would need MONITOR/MWAIT: #GP;
 *  - limit CPUID maxval and XD disable, read/write, applied by cpuid.c
 *    (XD disable only where NX exists to disable);
 *  - EIST and xTPR-disable only where CPUID offers EIST and xTPR (never
 *    here): reserved like every other bit, #GP if set.
 * The read/write bits live in msr_misc_enable; the rest is computed.
 */
static u64 misc_enable_fixed(struct vcpu *v)
{
    struct cpuid_regs l0, l1, la;
    u64 val = 0;

    hvm_cpuid_base(v, 0, 0, &l0);
    hvm_cpuid_base(v, 1, 0, &l1);
    if ( l0.eax >= 0xa )
        hvm_cpuid_base(v, 0xa, 0, &la);
    else
        la.eax = 0;
    if ( la.eax & 0xff )
        val |= MISC_PMU_AVAIL;
    if ( !(l1.edx & CPUID1_EDX_DS) )
        val |= MISC_BTS_UNAVAIL | MISC_PEBS_UNAVAIL;
    if ( l1.ecx & CPUID1_ECX_MONITOR )
        val |= MISC_MONITOR_FSM;
    return val;
}

static u64 misc_enable_writable(struct vcpu *v)
{
    struct cpuid_regs x1;
    u64 mask = MISC_FAST_STRINGS | MISC_ATCC | MISC_ENABLE_LIMIT_CPUID;

    hvm_cpuid_base(v, 0x80000001u, 0, &x1);
    if ( x1.edx & CPUIDX1_EDX_NX )
        mask |= MISC_ENABLE_XD_DISABLE;
    return mask;
}

static int misc_enable_write(struct vcpu *v, u64 val)
{
    u64 fixed = misc_enable_fixed(v), rw = misc_enable_writable(v);
    u64 ro = MISC_PMU_AVAIL | MISC_BTS_UNAVAIL | MISC_PEBS_UNAVAIL;

    if ( val & ~(rw | ro | MISC_MONITOR_FSM) )
        return MSR_GP;
    if ( (val ^ fixed) & MISC_MONITOR_FSM )
        return MSR_GP;
    v->hvm->msr_misc_enable = val & rw;
    return MSR_OK;
}

static int efer_write(struct vcpu *v, u64 val)
{
    struct hvm_cr_policy pol;
    struct hvm_cr_regs r = {
        .cr0 = hvm_funcs->get_reg(v, HVM_REG_CR0),
        .cr4 = hvm_funcs->get_reg(v, HVM_REG_CR4),
        .efer = hvm_funcs->get_reg(v, HVM_REG_EFER),
    };
    u64 efer;

    hvm_cr_policy(v, &pol);
    if ( hvm_efer_write(&pol, &r, val, &efer) )
        return MSR_GP;
    hvm_funcs->set_reg(v, HVM_REG_EFER, efer);
    return MSR_OK;
}

/* Each PAT entry must be a defined memory type: 0, 1, 4, 5, 6 or 7. */
static bool pat_valid(u64 pat)
{
    for ( unsigned int i = 0; i < 8; i++ )
    {
        u8 t = pat >> (i * 8);

        if ( t > 7 || t == 2 || t == 3 )
            return false;
    }
    return true;
}

/*
 * WRMSR's #GP(0) conditions for the registers the backend keeps.  The
 * SDM's WRMSR lists SYSENTER_EIP/ESP, FS/GS_BASE, KERNEL_GS_BASE and
 * LSTAR as faulting on a non-canonical address (AMD adds CSTAR); a VMX
 * entry would fail on such a SYSENTER value (SDM 26.3.1.1), and the
 * hypervisor loads LSTAR/CSTAR/KERNEL_GS_BASE itself.  STAR holds
 * selectors and a 32-bit EIP: any value.  SYSENTER_CS keeps a selector
 * in 15:0; SFMASK's bits 63:32 are reserved (AMD APM Vol. 2, "SYSCALL
 * and SYSRET").
 */
static bool backend_reg_value_ok(u32 msr, u64 val)
{
    switch ( msr )
    {
    case MSR_STAR:
        return true;
    case MSR_SYSENTER_CS:
        return !(val >> 16);
    case MSR_SFMASK:
        return !(val >> 32);
    default:
        return canonical(val);
    }
}

/* MSRs that are plain registers of the backend's state. */
static int backend_reg(u32 msr)
{
    switch ( msr )
    {
    case MSR_SYSENTER_CS:       return HVM_REG_SYSENTER_CS;
    case MSR_SYSENTER_ESP:      return HVM_REG_SYSENTER_ESP;
    case MSR_SYSENTER_EIP:      return HVM_REG_SYSENTER_EIP;
    case MSR_STAR:              return HVM_REG_STAR;
    case MSR_LSTAR:             return HVM_REG_LSTAR;
    case MSR_CSTAR:             return HVM_REG_CSTAR;
    case MSR_SFMASK:            return HVM_REG_SFMASK;
    case MSR_KERNEL_GS_BASE:    return HVM_REG_KERNEL_GS_BASE;
    case MSR_FS_BASE:           return HVM_REG_FS_BASE;
    case MSR_GS_BASE:           return HVM_REG_GS_BASE;
    default:                    return -1;
    }
}

/*
 * AMD's legacy performance counters exist on every AMD64 part (APM Vol.
 * 2, 13.2 "Performance Counters"), so a guest may program them whatever
 * CPUID says about the core extension, which is hidden.  No PMU is
 * virtualized: they read 0 and take writes, as under KVM without a vPMU.
 */
static bool is_amd_perf_msr(u32 msr)
{
    return amd_guest() && msr >= MSR_AMD_PERF_FIRST &&
           msr <= MSR_AMD_PERF_LAST;
}

static bool is_vlapic_msr(u32 msr)
{
    return msr == MSR_IA32_APICBASE || msr == MSR_IA32_TSC_DEADLINE ||
           (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

int hvm_msr_read(struct vcpu *v, u32 msr, u64 *val)
{
    int r;

    if ( is_vlapic_msr(msr) )
        return vlapic_msr_read(vcpu_vlapic(v), msr, val) == VLAPIC_OK
               ? MSR_OK : MSR_GP;
    if ( (r = backend_reg(msr)) >= 0 )
    {
        *val = hvm_funcs->get_reg(v, r);
        return MSR_OK;
    }
    if ( msr == MSR_KVM_PV_EOI_EN )
        return pv_eoi_msr_read(v, val);
    if ( is_kvm_time_msr(msr) )
        return kvm_time_msr_read(v, msr, val);
    if ( is_amd_perf_msr(msr) )
    {
        *val = 0;
        return MSR_OK;
    }

    switch ( msr )
    {
    case MSR_EFER:
        *val = hvm_funcs->get_reg(v, HVM_REG_EFER);
        break;
    case MSR_TSC:
        *val = hvm_guest_tsc(v);
        break;
    case MSR_TSC_AUX:
        if ( !rdtscp_offered(v) )
            return MSR_GP;
        *val = v->hvm->msr_tsc_aux;
        break;
    case MSR_PAT:
        *val = hvm_funcs->get_reg(v, HVM_REG_PAT);
        break;
    case MSR_MTRRCAP:
        *val = 0;                       /* no variable or fixed ranges */
        break;
    case MSR_MTRR_DEF_TYPE:
        *val = v->hvm->msr_mtrr_def_type;
        break;
    case MSR_MISC_ENABLE:
        if ( amd_guest() )
            return MSR_GP;
        *val = v->hvm->msr_misc_enable | misc_enable_fixed(v);
        break;
    case MSR_FEATURE_CONTROL:
        *val = 1;                       /* locked, VMX off */
        break;
    case MSR_PLATFORM_ID:
    case MSR_BIOS_SIGN:
        *val = 0;
        break;
    case MSR_AMD_NB_CFG:
    case MSR_AMD_SYSCFG:
    case MSR_AMD_INT_PENDING:
        /*
         * Every AMD64 part has them (APM Vol. 2 Appendix A; BKDGs for
         * K8 and family 10h), and Linux reads them without a fixup on
         * family 0xf and later (NB_CFG from 10h on, to enable extended
         * PCI configuration through 0xcf8, which a domain has no use
         * for).  Zero: no memory-type extensions to report, no C1E
         * message to act on, no northbridge to configure; KVM answers
         * NB_CFG the same way.
         */
        if ( !amd_guest() )
            return MSR_GP;
        *val = 0;
        break;
    default:
        return MSR_GP;
    }
    return MSR_OK;
}

int hvm_msr_write(struct vcpu *v, u32 msr, u64 val)
{
    int r;

    if ( is_vlapic_msr(msr) )
        return vlapic_msr_write(vcpu_vlapic(v), msr, val) == VLAPIC_OK
               ? MSR_OK : MSR_GP;
    if ( (r = backend_reg(msr)) >= 0 )
    {
        if ( !backend_reg_value_ok(msr, val) )
            return MSR_GP;
        hvm_funcs->set_reg(v, r, val);
        return MSR_OK;
    }
    if ( msr == MSR_KVM_PV_EOI_EN )
        return pv_eoi_msr_write(v, val);
    if ( is_kvm_time_msr(msr) )
        return kvm_time_msr_write(v, msr, val);
    if ( is_amd_perf_msr(msr) )
        return MSR_OK;

    switch ( msr )
    {
    case MSR_EFER:
        return efer_write(v, val);
    case MSR_TSC:
        WRITE_ONCE(v->hvm->tsc_offset, val - rdtsc());
        kvmclock_tsc_changed(v);
        break;
    case MSR_TSC_AUX:
        /* Bits 63:32 are reserved (SDM Vol. 4, IA32_TSC_AUX). */
        if ( !rdtscp_offered(v) || (val >> 32) )
            return MSR_GP;
        v->hvm->msr_tsc_aux = val;
        break;
    case MSR_PAT:
        if ( !pat_valid(val) )
            return MSR_GP;
        hvm_funcs->set_reg(v, HVM_REG_PAT, val);
        break;
    case MSR_MTRR_DEF_TYPE:
        /* Type in 7:0 (UC, WC, WT, WP or WB), FE bit 10, E bit 11. */
        if ( (val & ~0xcffULL) || (val & 0xff) > 6 ||
             (val & 0xff) == 2 || (val & 0xff) == 3 )
            return MSR_GP;
        v->hvm->msr_mtrr_def_type = val;
        break;
    case MSR_MISC_ENABLE:
        if ( amd_guest() )
            return MSR_GP;
        return misc_enable_write(v, val);
    case MSR_BIOS_SIGN:
        break;                          /* accepted and ignored */
    case MSR_AMD_NB_CFG:
    case MSR_AMD_SYSCFG:
    case MSR_AMD_INT_PENDING:
        if ( !amd_guest() )
            return MSR_GP;
        break;                          /* nothing there to configure */
    default:
        return MSR_GP;
    }
    return MSR_OK;
}

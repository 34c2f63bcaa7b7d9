/*
 * CPU registers, CPUID, MSRs and the TSC.
 */
#ifndef ASM_X86_PROCESSOR_H
#define ASM_X86_PROCESSOR_H

#include <xen/types.h>

#define X86_CR0_PE      (1UL << 0)
#define X86_CR0_WP      (1UL << 16)
#define X86_CR0_PG      (1UL << 31)
#define X86_CR4_PAE     (1UL << 5)
#define X86_CR4_PGE     (1UL << 7)

#define MSR_EFER            0xc0000080
#define EFER_SCE            (1UL << 0)
#define EFER_LME            (1UL << 8)
#define EFER_NXE            (1UL << 11)
#define MSR_FS_BASE         0xc0000100
#define MSR_GS_BASE         0xc0000101
#define MSR_APIC_BASE       0x0000001b
#define MSR_TSC_DEADLINE    0x000006e0

/* CPUID feature bits used by the hypervisor. */
#define CPUID1_ECX_X2APIC       (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_ECX_HYPERVISOR   (1u << 31)
#define CPUID1_EDX_APIC         (1u << 9)
#define CPUIDX1_EDX_NX          (1u << 20)
#define CPUIDX1_EDX_LM          (1u << 29)

struct cpuid_regs
{
    u32 eax, ebx, ecx, edx;
};

static inline void cpuid_count(u32 leaf, u32 sub, struct cpuid_regs *r)
{
    __asm__ __volatile__ ( "cpuid"
                           : "=a" (r->eax), "=b" (r->ebx), "=c" (r->ecx),
                             "=d" (r->edx)
                           : "0" (leaf), "2" (sub) );
}

static inline u64 rdmsr(u32 msr)
{
    u32 lo, hi;

    __asm__ __volatile__ ( "rdmsr" : "=a" (lo), "=d" (hi) : "c" (msr) );
    return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
    __asm__ __volatile__ ( "wrmsr" :: "c" (msr), "a" ((u32)v),
                           "d" ((u32)(v >> 32)) : "memory" );
}

/*
 * rdtsc is not ordered against earlier loads; that is fine for timekeeping
 * at the microsecond scale this hypervisor needs.
 */
static inline u64 rdtsc(void)
{
    u32 lo, hi;

    __asm__ __volatile__ ( "rdtsc" : "=a" (lo), "=d" (hi) );
    return ((u64)hi << 32) | lo;
}

#define DEFINE_CR_ACCESSORS(n)                                          \
    static inline unsigned long read_cr##n(void)                        \
    {                                                                   \
        unsigned long v;                                                \
        __asm__ __volatile__ ( "mov %%cr" #n ", %0" : "=r" (v) );       \
        return v;                                                       \
    }                                                                   \
    static inline void write_cr##n(unsigned long v)                     \
    {                                                                   \
        __asm__ __volatile__ ( "mov %0, %%cr" #n :: "r" (v) : "memory" ); \
    }
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

/* Features of the boot pCPU, read once in early setup. */
struct cpu_features
{
    bool nx;
    bool x2apic;
    bool tsc_deadline;
    bool hypervisor;        /* running under another hypervisor/emulator */
    /*
     * QEMU's TCG emulator (CPUID 0x40000000 says "TCGTCGTCGTCG"): where
     * it deviates from the hardware, a workaround checks this first.
     */
    bool qemu_tcg;
    /*
     * Bochs: no hypervisor bit, and its BIOS's ACPI OEM ID "BOCHS " in
     * the RSDP (set once ACPI is parsed).  Where it deviates from the
     * hardware (vmx.c), a workaround checks this first.
     */
    bool bochs;
    char vendor[13];
};
extern struct cpu_features boot_cpu;

void identify_boot_cpu(void);

#endif /* ASM_X86_PROCESSOR_H */

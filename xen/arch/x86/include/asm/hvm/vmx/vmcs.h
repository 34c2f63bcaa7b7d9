/*
 * Intel VMX architectural definitions: the capability MSRs, the VMCS
 * field encodings, the control bits, exit reasons and the inline
 * wrappers of the VMX instructions (Intel SDM vol. 3, chapters 24-30 and
 * appendices A-C).  Nothing here knows about vCPUs.
 */
#ifndef ASM_X86_HVM_VMX_VMCS_H
#define ASM_X86_HVM_VMX_VMCS_H

#include <xen/types.h>

/* --- MSRs --- */
#define MSR_IA32_FEATURE_CONTROL        0x0000003a
#define FEATURE_CONTROL_LOCK            (1ULL << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ULL << 2)

#define MSR_IA32_VMX_BASIC              0x00000480
#define MSR_IA32_VMX_PINBASED_CTLS      0x00000481
#define MSR_IA32_VMX_PROCBASED_CTLS     0x00000482
#define MSR_IA32_VMX_EXIT_CTLS          0x00000483
#define MSR_IA32_VMX_ENTRY_CTLS         0x00000484
#define MSR_IA32_VMX_MISC               0x00000485
#define MSR_IA32_VMX_CR0_FIXED0         0x00000486
#define MSR_IA32_VMX_CR0_FIXED1         0x00000487
#define MSR_IA32_VMX_CR4_FIXED0         0x00000488
#define MSR_IA32_VMX_CR4_FIXED1         0x00000489
#define MSR_IA32_VMX_PROCBASED_CTLS2    0x0000048b
#define MSR_IA32_VMX_EPT_VPID_CAP       0x0000048c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x0000048d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x0000048e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS     0x0000048f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS    0x00000490
/* Exists only when the primary controls may set bit 17 (SDM A.3.4). */
#define MSR_IA32_VMX_PROCBASED_CTLS3    0x00000492

#define MSR_IA32_SYSENTER_CS            0x00000174
#define MSR_IA32_SYSENTER_ESP           0x00000175
#define MSR_IA32_SYSENTER_EIP           0x00000176
#define MSR_IA32_PAT                    0x00000277
#define MSR_STAR                        0xc0000081
#define MSR_LSTAR                       0xc0000082
#define MSR_CSTAR                       0xc0000083
#define MSR_SFMASK                      0xc0000084
#define MSR_SHADOW_GS_BASE              0xc0000102

/* IA32_VMX_BASIC */
#define VMX_BASIC_REVISION_MASK         0x7fffffffULL
#define VMX_BASIC_32BIT_ADDRESSES       (1ULL << 48)
#define VMX_BASIC_TRUE_CTLS             (1ULL << 55)

/* IA32_VMX_EPT_VPID_CAP */
#define VMX_EPT_WALK_LENGTH_4           (1ULL << 6)
#define VMX_EPT_MEMTYPE_UC              (1ULL << 8)
#define VMX_EPT_MEMTYPE_WB              (1ULL << 14)
#define VMX_EPT_INVEPT                  (1ULL << 20)
#define VMX_EPT_INVEPT_SINGLE           (1ULL << 25)
#define VMX_EPT_INVEPT_ALL              (1ULL << 26)
#define VMX_VPID_INVVPID                (1ULL << 32)
#define VMX_VPID_INVVPID_SINGLE         (1ULL << 41)
#define VMX_VPID_INVVPID_ALL            (1ULL << 42)

/* --- control bits --- */

/* Pin-based VM-execution controls. */
#define PIN_EXT_INTR_EXITING            (1u << 0)
#define PIN_NMI_EXITING                 (1u << 3)
#define PIN_VIRTUAL_NMIS                (1u << 5)
#define PIN_PREEMPT_TIMER               (1u << 6)
#define PIN_POSTED_INTR                 (1u << 7)

/* Primary processor-based VM-execution controls. */
#define CPU_INTR_WINDOW_EXITING         (1u << 2)
#define CPU_TSC_OFFSETTING              (1u << 3)
#define CPU_HLT_EXITING                 (1u << 7)
#define CPU_INVLPG_EXITING              (1u << 9)
#define CPU_MWAIT_EXITING               (1u << 10)
#define CPU_RDPMC_EXITING               (1u << 11)
#define CPU_RDTSC_EXITING               (1u << 12)
#define CPU_CR3_LOAD_EXITING            (1u << 15)
#define CPU_CR3_STORE_EXITING           (1u << 16)
#define CPU_TERTIARY_CTLS               (1u << 17)
#define CPU_CR8_LOAD_EXITING            (1u << 19)
#define CPU_CR8_STORE_EXITING           (1u << 20)
#define CPU_TPR_SHADOW                  (1u << 21)
#define CPU_NMI_WINDOW_EXITING          (1u << 22)
#define CPU_MOV_DR_EXITING              (1u << 23)
#define CPU_UNCOND_IO_EXITING           (1u << 24)
#define CPU_IO_BITMAPS                  (1u << 25)
#define CPU_MONITOR_TRAP_FLAG           (1u << 27)
#define CPU_MSR_BITMAPS                 (1u << 28)
#define CPU_MONITOR_EXITING             (1u << 29)
#define CPU_PAUSE_EXITING               (1u << 30)
#define CPU_SECONDARY_CTLS              (1u << 31)

/*
 * Tertiary processor-based VM-execution controls (64 bits, allowed-1
 * settings only in IA32_VMX_PROCBASED_CTLS3).
 */
#define CPU3_IPI_VIRT                   (1ULL << 4)

/* Secondary processor-based VM-execution controls. */
#define CPU2_VIRT_APIC_ACCESSES         (1u << 0)
#define CPU2_EPT                        (1u << 1)
#define CPU2_DESC_TABLE_EXITING         (1u << 2)
#define CPU2_RDTSCP                     (1u << 3)
#define CPU2_VIRT_X2APIC                (1u << 4)
#define CPU2_VPID                       (1u << 5)
#define CPU2_WBINVD_EXITING             (1u << 6)
#define CPU2_UNRESTRICTED_GUEST         (1u << 7)
#define CPU2_APIC_REG_VIRT              (1u << 8)
#define CPU2_VIRT_INTR_DELIVERY         (1u << 9)
#define CPU2_PAUSE_LOOP_EXITING         (1u << 10)
#define CPU2_INVPCID                    (1u << 12)

/* VM-exit controls. */
#define EXIT_SAVE_DEBUG_CTLS            (1u << 2)
#define EXIT_HOST_ADDR_SPACE_SIZE       (1u << 9)
#define EXIT_LOAD_PERF_GLOBAL_CTRL      (1u << 12)
#define EXIT_ACK_INTR_ON_EXIT           (1u << 15)
#define EXIT_SAVE_PAT                   (1u << 18)
#define EXIT_LOAD_PAT                   (1u << 19)
#define EXIT_SAVE_EFER                  (1u << 20)
#define EXIT_LOAD_EFER                  (1u << 21)

/* VM-entry controls. */
#define ENTRY_LOAD_DEBUG_CTLS           (1u << 2)
#define ENTRY_IA32E_MODE                (1u << 9)
#define ENTRY_SMM                       (1u << 10)
#define ENTRY_DEACT_DUAL_MONITOR        (1u << 11)
#define ENTRY_LOAD_PERF_GLOBAL_CTRL     (1u << 13)
#define ENTRY_LOAD_PAT                  (1u << 14)
#define ENTRY_LOAD_EFER                 (1u << 15)

/* --- VMCS field encodings (SDM appendix B) --- */
enum vmcs_field
{
    /* 16-bit */
    VIRTUAL_PROCESSOR_ID            = 0x0000,
    POSTED_INTR_NOTIFICATION_VECTOR = 0x0002,
    GUEST_ES_SELECTOR               = 0x0800,   /* ES..TR: +2 each */
    GUEST_LDTR_SELECTOR             = 0x080c,
    GUEST_TR_SELECTOR               = 0x080e,
    GUEST_INTR_STATUS               = 0x0810,
    HOST_ES_SELECTOR                = 0x0c00,
    HOST_CS_SELECTOR                = 0x0c02,
    HOST_SS_SELECTOR                = 0x0c04,
    HOST_DS_SELECTOR                = 0x0c06,
    HOST_FS_SELECTOR                = 0x0c08,
    HOST_GS_SELECTOR                = 0x0c0a,
    HOST_TR_SELECTOR                = 0x0c0c,

    /* 64-bit */
    IO_BITMAP_A                     = 0x2000,
    IO_BITMAP_B                     = 0x2002,
    MSR_BITMAP                      = 0x2004,
    VM_EXIT_MSR_STORE_ADDR          = 0x2006,
    VM_EXIT_MSR_LOAD_ADDR           = 0x2008,
    VM_ENTRY_MSR_LOAD_ADDR          = 0x200a,
    TSC_OFFSET                      = 0x2010,
    VIRTUAL_APIC_PAGE_ADDR          = 0x2012,
    APIC_ACCESS_ADDR                = 0x2014,
    POSTED_INTR_DESC_ADDR           = 0x2016,
    EPT_POINTER                     = 0x201a,
    EOI_EXIT_BITMAP0                = 0x201c,   /* 4 of them, +2 each */
    GUEST_PHYSICAL_ADDRESS          = 0x2400,
    VMCS_LINK_POINTER               = 0x2800,
    GUEST_IA32_DEBUGCTL             = 0x2802,
    GUEST_IA32_PAT                  = 0x2804,
    GUEST_IA32_EFER                 = 0x2806,
    GUEST_PDPTE0                    = 0x280a,   /* 4 of them, +2 each */
    HOST_IA32_PAT                   = 0x2c00,
    HOST_IA32_EFER                  = 0x2c02,

    /* 32-bit */
    PIN_BASED_VM_EXEC_CONTROL       = 0x4000,
    CPU_BASED_VM_EXEC_CONTROL       = 0x4002,
    EXCEPTION_BITMAP                = 0x4004,
    PAGE_FAULT_ERROR_CODE_MASK      = 0x4006,
    PAGE_FAULT_ERROR_CODE_MATCH     = 0x4008,
    CR3_TARGET_COUNT                = 0x400a,
    VM_EXIT_CONTROLS                = 0x400c,
    VM_EXIT_MSR_STORE_COUNT         = 0x400e,
    VM_EXIT_MSR_LOAD_COUNT          = 0x4010,
    VM_ENTRY_CONTROLS               = 0x4012,
    VM_ENTRY_MSR_LOAD_COUNT         = 0x4014,
    VM_ENTRY_INTR_INFO              = 0x4016,
    VM_ENTRY_EXCEPTION_ERROR_CODE   = 0x4018,
    VM_ENTRY_INSTRUCTION_LEN        = 0x401a,
    TPR_THRESHOLD                   = 0x401c,
    SECONDARY_VM_EXEC_CONTROL       = 0x401e,
    VM_INSTRUCTION_ERROR            = 0x4400,
    VM_EXIT_REASON                  = 0x4402,
    VM_EXIT_INTR_INFO               = 0x4404,
    VM_EXIT_INTR_ERROR_CODE         = 0x4406,
    IDT_VECTORING_INFO              = 0x4408,
    IDT_VECTORING_ERROR_CODE        = 0x440a,
    VM_EXIT_INSTRUCTION_LEN         = 0x440c,
    VMX_INSTRUCTION_INFO            = 0x440e,
    GUEST_ES_LIMIT                  = 0x4800,   /* ES..TR: +2 each */
    GUEST_GDTR_LIMIT                = 0x4810,
    GUEST_IDTR_LIMIT                = 0x4812,
    GUEST_ES_AR_BYTES               = 0x4814,   /* ES..TR: +2 each */
    GUEST_INTERRUPTIBILITY_INFO     = 0x4824,
    GUEST_ACTIVITY_STATE            = 0x4826,
    VMX_PREEMPTION_TIMER_VALUE      = 0x482e,
    GUEST_SYSENTER_CS               = 0x482a,
    HOST_IA32_SYSENTER_CS           = 0x4c00,

    /* Natural width */
    CR0_GUEST_HOST_MASK             = 0x6000,
    CR4_GUEST_HOST_MASK             = 0x6002,
    CR0_READ_SHADOW                 = 0x6004,
    CR4_READ_SHADOW                 = 0x6006,
    EXIT_QUALIFICATION              = 0x6400,
    GUEST_LINEAR_ADDRESS            = 0x640a,
    GUEST_CR0                       = 0x6800,
    GUEST_CR3                       = 0x6802,
    GUEST_CR4                       = 0x6804,
    GUEST_ES_BASE                   = 0x6806,   /* ES..TR: +2 each */
    GUEST_GDTR_BASE                 = 0x6816,
    GUEST_IDTR_BASE                 = 0x6818,
    GUEST_DR7                       = 0x681a,
    GUEST_RSP                       = 0x681c,
    GUEST_RIP                       = 0x681e,
    GUEST_RFLAGS                    = 0x6820,
    GUEST_PENDING_DBG_EXCEPTIONS    = 0x6822,
    GUEST_SYSENTER_ESP              = 0x6824,
    GUEST_SYSENTER_EIP              = 0x6826,
    HOST_CR0                        = 0x6c00,
    HOST_CR3                        = 0x6c02,
    HOST_CR4                        = 0x6c04,
    HOST_FS_BASE                    = 0x6c06,
    HOST_GS_BASE                    = 0x6c08,
    HOST_TR_BASE                    = 0x6c0a,
    HOST_GDTR_BASE                  = 0x6c0c,
    HOST_IDTR_BASE                  = 0x6c0e,
    HOST_IA32_SYSENTER_ESP          = 0x6c10,
    HOST_IA32_SYSENTER_EIP          = 0x6c12,
    HOST_RSP                        = 0x6c14,
    HOST_RIP                        = 0x6c16,
};

/*
 * Segment registers in VMCS order (ES, CS, SS, DS, FS, GS, LDTR, TR):
 * selector, limit, access rights and base of segment i are the first
 * field of each group plus 2 * i.
 */
#define VMCS_SEG_ES     0
#define VMCS_SEG_CS     1
#define VMCS_SEG_SS     2
#define VMCS_SEG_DS     3
#define VMCS_SEG_FS     4
#define VMCS_SEG_GS     5
#define VMCS_SEG_LDTR   6
#define VMCS_SEG_TR     7

/* Segment access rights (the format differs from SVM's packed attr). */
#define VMX_AR_TYPE_MASK    0x000fu
#define VMX_AR_S            (1u << 4)
#define VMX_AR_DPL_SHIFT    5
#define VMX_AR_P            (1u << 7)
#define VMX_AR_AVL          (1u << 12)
#define VMX_AR_L            (1u << 13)
#define VMX_AR_DB           (1u << 14)
#define VMX_AR_G            (1u << 15)
#define VMX_AR_UNUSABLE     (1u << 16)

/* Interruptibility state. */
#define INTR_BLOCK_STI      (1u << 0)
#define INTR_BLOCK_MOV_SS   (1u << 1)
#define INTR_BLOCK_SMI      (1u << 2)
#define INTR_BLOCK_NMI      (1u << 3)

/* VM-entry/exit interruption information, IDT-vectoring information. */
#define INTR_INFO_VECTOR_MASK   0xffu
#define INTR_INFO_TYPE_SHIFT    8
#define INTR_INFO_TYPE_MASK     (7u << INTR_INFO_TYPE_SHIFT)
#define INTR_INFO_ERR_VALID     (1u << 11)
#define INTR_INFO_NMI_UNBLOCK   (1u << 12)
#define INTR_INFO_VALID         (1u << 31)
#define INTR_TYPE_EXT_INTR      0
#define INTR_TYPE_NMI           2
#define INTR_TYPE_HW_EXCEPTION  3
#define INTR_TYPE_SW_INTR       4
#define INTR_TYPE_PRIV_SW_EXC   5
#define INTR_TYPE_SW_EXCEPTION  6

/* --- exit reasons (SDM appendix C) --- */
#define EXIT_REASON_EXCEPTION_NMI       0
#define EXIT_REASON_EXTERNAL_INTERRUPT  1
#define EXIT_REASON_TRIPLE_FAULT        2
#define EXIT_REASON_INIT                3
#define EXIT_REASON_SIPI                4
#define EXIT_REASON_INTR_WINDOW         7
#define EXIT_REASON_NMI_WINDOW          8
#define EXIT_REASON_TASK_SWITCH         9
#define EXIT_REASON_CPUID               10
#define EXIT_REASON_GETSEC              11
#define EXIT_REASON_HLT                 12
#define EXIT_REASON_INVD                13
#define EXIT_REASON_INVLPG              14
#define EXIT_REASON_RDPMC               15
#define EXIT_REASON_RDTSC               16
#define EXIT_REASON_RSM                 17
#define EXIT_REASON_VMCALL              18
#define EXIT_REASON_VMCLEAR             19
#define EXIT_REASON_VMLAUNCH            20
#define EXIT_REASON_VMPTRLD             21
#define EXIT_REASON_VMPTRST             22
#define EXIT_REASON_VMREAD              23
#define EXIT_REASON_VMRESUME            24
#define EXIT_REASON_VMWRITE             25
#define EXIT_REASON_VMXOFF              26
#define EXIT_REASON_VMXON               27
#define EXIT_REASON_CR_ACCESS           28
#define EXIT_REASON_DR_ACCESS           29
#define EXIT_REASON_IO_INSTRUCTION      30
#define EXIT_REASON_MSR_READ            31
#define EXIT_REASON_MSR_WRITE           32
#define EXIT_REASON_INVALID_GUEST_STATE 33
#define EXIT_REASON_MSR_LOADING         34
#define EXIT_REASON_MWAIT               36
#define EXIT_REASON_MONITOR_TRAP_FLAG   37
#define EXIT_REASON_MONITOR             39
#define EXIT_REASON_PAUSE               40
#define EXIT_REASON_MCE_DURING_ENTRY    41
#define EXIT_REASON_TPR_BELOW_THRESHOLD 43
#define EXIT_REASON_APIC_ACCESS         44
#define EXIT_REASON_EOI_INDUCED         45
#define EXIT_REASON_GDTR_IDTR           46
#define EXIT_REASON_LDTR_TR             47
#define EXIT_REASON_EPT_VIOLATION       48
#define EXIT_REASON_EPT_MISCONFIG       49
#define EXIT_REASON_INVEPT              50
#define EXIT_REASON_RDTSCP              51
#define EXIT_REASON_PREEMPTION_TIMER    52
#define EXIT_REASON_INVVPID             53
#define EXIT_REASON_WBINVD              54
#define EXIT_REASON_XSETBV              55
#define EXIT_REASON_APIC_WRITE          56
#define EXIT_REASON_RDRAND              57
#define EXIT_REASON_INVPCID             58
#define EXIT_REASON_VMFUNC              59
#define EXIT_REASON_ENCLS               60
#define EXIT_REASON_RDSEED              61
#define EXIT_REASON_XSAVES              63
#define EXIT_REASON_XRSTORS             64
#define VMX_NR_EXIT_REASONS             70
#define EXIT_REASON_FAILED_ENTRY        (1u << 31)

/* --- instructions --- */

/*
 * VMX instructions report failure in the flags: CF = VMfailInvalid (no
 * current VMCS), ZF = VMfailValid (the reason is in VM_INSTRUCTION_ERROR).
 * The wrappers return 0, or 1 / 2 for those two failures.
 */
#define VMX_FAIL_INVALID    1
#define VMX_FAIL_VALID      2

static inline int vmx_flags_result(bool cf, bool zf)
{
    return cf ? VMX_FAIL_INVALID : zf ? VMX_FAIL_VALID : 0;
}

static inline int __vmxon(u64 pa)
{
    bool cf, zf;

    __asm__ __volatile__ ( "vmxon %2"
                           : "=@ccc" (cf), "=@ccz" (zf)
                           : "m" (pa) : "memory" );
    return vmx_flags_result(cf, zf);
}

static inline int __vmclear(u64 pa)
{
    bool cf, zf;

    __asm__ __volatile__ ( "vmclear %2"
                           : "=@ccc" (cf), "=@ccz" (zf)
                           : "m" (pa) : "memory" );
    return vmx_flags_result(cf, zf);
}

static inline int __vmptrld(u64 pa)
{
    bool cf, zf;

    __asm__ __volatile__ ( "vmptrld %2"
                           : "=@ccc" (cf), "=@ccz" (zf)
                           : "m" (pa) : "memory" );
    return vmx_flags_result(cf, zf);
}

static inline int __vmread_safe(unsigned long field, unsigned long *val)
{
    bool cf, zf;

    __asm__ __volatile__ ( "vmread %3, %0"
                           : "=rm" (*val), "=@ccc" (cf), "=@ccz" (zf)
                           : "r" (field) );
    return vmx_flags_result(cf, zf);
}

static inline int __vmwrite_safe(unsigned long field, unsigned long val)
{
    bool cf, zf;

    __asm__ __volatile__ ( "vmwrite %3, %2"
                           : "=@ccc" (cf), "=@ccz" (zf)
                           : "r" (field), "rm" (val) : "memory" );
    return vmx_flags_result(cf, zf);
}

/* INVEPT / INVVPID types. */
#define INVEPT_SINGLE_CONTEXT   1
#define INVEPT_ALL_CONTEXT      2
#define INVVPID_SINGLE_CONTEXT  1
#define INVVPID_ALL_CONTEXT     2

static inline int __invept(unsigned long type, u64 eptp)
{
    struct { u64 eptp, rsvd; } desc = { eptp, 0 };
    bool cf, zf;

    __asm__ __volatile__ ( "invept %2, %3"
                           : "=@ccc" (cf), "=@ccz" (zf)
                           : "m" (desc), "r" (type) : "memory" );
    return vmx_flags_result(cf, zf);
}

static inline int __invvpid(unsigned long type, u16 vpid)
{
    struct { u64 vpid, addr; } desc = { vpid, 0 };
    bool cf, zf;

    __asm__ __volatile__ ( "invvpid %2, %3"
                           : "=@ccc" (cf), "=@ccz" (zf)
                           : "m" (desc), "r" (type) : "memory" );
    return vmx_flags_result(cf, zf);
}

#endif /* ASM_X86_HVM_VMX_VMCS_H */

/*
 * The AMD-V virtual machine control block: a 4 KiB page with the control
 * area (intercepts, exit information, event injection) at 0 and the guest
 * state save area at 0x400 (AMD APM vol. 2, appendix B).
 */
#ifndef ASM_X86_HVM_SVM_VMCB_H
#define ASM_X86_HVM_SVM_VMCB_H

#include <xen/types.h>
#include <xen/compiler.h>

struct vmcb_seg
{
    u16 sel;
    u16 attr;
    u32 limit;
    u64 base;
} __packed;

struct vmcb
{
    /* Control area. */
    u16 cr_read_intercepts;             /* 0x000 */
    u16 cr_write_intercepts;
    u16 dr_read_intercepts;             /* 0x004 */
    u16 dr_write_intercepts;
    u32 exception_intercepts;           /* 0x008 */
    u32 general1_intercepts;            /* 0x00c */
    u32 general2_intercepts;            /* 0x010 */
    u8 res0[0x3c - 0x14];
    u16 pause_filter_thresh;            /* 0x03c */
    u16 pause_filter_count;             /* 0x03e */
    u64 iopm_base_pa;                   /* 0x040 */
    u64 msrpm_base_pa;                  /* 0x048 */
    u64 tsc_offset;                     /* 0x050 */
    u32 guest_asid;                     /* 0x058 */
    u8 tlb_control;                     /* 0x05c */
    u8 res1[3];
    u32 int_ctl;                        /* 0x060 */
    u32 int_vector;                     /* 0x064 */
    u64 int_state;                      /* 0x068: bit 0 interrupt shadow */
    u64 exitcode;                       /* 0x070 */
    u64 exitinfo1;                      /* 0x078 */
    u64 exitinfo2;                      /* 0x080 */
    u32 exitintinfo;                    /* 0x088 */
    u32 exitintinfo_err;
    u64 np_enable;                      /* 0x090 */
    u64 avic_bar;                       /* 0x098 */
    u64 ghcb_pa;                        /* 0x0a0 */
    u32 eventinj;                       /* 0x0a8 */
    u32 eventinj_err;
    u64 n_cr3;                          /* 0x0b0 */
    u64 virt_ext;                       /* 0x0b8 */
    u32 clean_bits;                     /* 0x0c0 */
    u32 res2;
    u64 nrip;                           /* 0x0c8 */
    u8 insn_len;                        /* 0x0d0 */
    u8 insn_bytes[15];
    u8 res3[0x400 - 0x0e0];

    /* State save area. */
    struct vmcb_seg es, cs, ss, ds, fs, gs;    /* 0x400 */
    struct vmcb_seg gdtr, ldtr, idtr, tr;      /* 0x460 */
    u8 res4[0x4cb - 0x4a0];
    u8 cpl;                             /* 0x4cb */
    u32 res5;
    u64 efer;                           /* 0x4d0 */
    u8 res6[0x548 - 0x4d8];
    u64 cr4;                            /* 0x548 */
    u64 cr3;
    u64 cr0;
    u64 dr7;
    u64 dr6;
    u64 rflags;                         /* 0x570 */
    u64 rip;                            /* 0x578 */
    u8 res7[0x5d8 - 0x580];
    u64 rsp;                            /* 0x5d8 */
    u8 res8[0x5f8 - 0x5e0];
    u64 rax;                            /* 0x5f8 */
    u64 star;                           /* 0x600 */
    u64 lstar;
    u64 cstar;
    u64 sfmask;
    u64 kernel_gs_base;                 /* 0x620 */
    u64 sysenter_cs;
    u64 sysenter_esp;
    u64 sysenter_eip;
    u64 cr2;                            /* 0x640 */
    u8 res9[0x668 - 0x648];
    u64 g_pat;                          /* 0x668 */
    u64 dbgctl;
    u8 res10[0x1000 - 0x678];
} __packed;

/* general1_intercepts */
#define GENERAL1_INTR       (1u << 0)
#define GENERAL1_NMI        (1u << 1)
#define GENERAL1_SMI        (1u << 2)
#define GENERAL1_INIT       (1u << 3)
#define GENERAL1_VINTR      (1u << 4)
#define GENERAL1_CPUID      (1u << 18)
#define GENERAL1_IRET       (1u << 20)
#define GENERAL1_INVD       (1u << 22)
#define GENERAL1_HLT        (1u << 24)
#define GENERAL1_INVLPGA    (1u << 26)
#define GENERAL1_IOIO       (1u << 27)
#define GENERAL1_MSR        (1u << 28)
#define GENERAL1_TASK_SWITCH (1u << 29)
#define GENERAL1_SHUTDOWN   (1u << 31)
/* general2_intercepts */
#define GENERAL2_VMRUN      (1u << 0)
#define GENERAL2_VMMCALL    (1u << 1)
#define GENERAL2_VMLOAD     (1u << 2)
#define GENERAL2_VMSAVE     (1u << 3)
#define GENERAL2_STGI       (1u << 4)
#define GENERAL2_CLGI       (1u << 5)
#define GENERAL2_SKINIT     (1u << 6)
#define GENERAL2_MONITOR    (1u << 10)
#define GENERAL2_MWAIT      (1u << 11)
#define GENERAL2_MWAIT_COND (1u << 12)
#define GENERAL2_XSETBV     (1u << 13)

/* cr_write_intercepts */
#define CR_INTERCEPT_CR0    (1u << 0)
#define CR_INTERCEPT_CR4    (1u << 4)
#define CR_INTERCEPT_CR8    (1u << 8)

/* int_ctl */
#define INTCTL_V_TPR_MASK       0xfu
#define INTCTL_V_IRQ            (1u << 8)
#define INTCTL_V_IGN_TPR        (1u << 20)
#define INTCTL_V_INTR_MASKING   (1u << 24)
#define INTCTL_V_PRIO_SHIFT     16

/* EVENTINJ / EXITINTINFO */
#define EVENT_VALID         (1u << 31)
#define EVENT_ERR_VALID     (1u << 11)
#define EVENT_TYPE_SHIFT    8

/* Exit codes. */
#define VMEXIT_CR0_READ     0x000
#define VMEXIT_CR0_WRITE    0x010
#define VMEXIT_CR4_WRITE    0x014
#define VMEXIT_CR8_WRITE    0x018
#define VMEXIT_EXCEPTION_0  0x040
#define VMEXIT_EXCEPTION_DB 0x041
#define VMEXIT_INTR         0x060
#define VMEXIT_NMI          0x061
#define VMEXIT_SMI          0x062
#define VMEXIT_INIT         0x063
#define VMEXIT_VINTR        0x064
#define VMEXIT_CPUID        0x072
#define VMEXIT_IRET         0x074
#define VMEXIT_INVD         0x076
#define VMEXIT_HLT          0x078
#define VMEXIT_INVLPGA      0x07a
#define VMEXIT_IOIO         0x07b
#define VMEXIT_MSR          0x07c
#define VMEXIT_TASK_SWITCH  0x07d
#define VMEXIT_SHUTDOWN     0x07f
#define VMEXIT_VMRUN        0x080
#define VMEXIT_VMMCALL      0x081
#define VMEXIT_VMLOAD       0x082
#define VMEXIT_VMSAVE       0x083
#define VMEXIT_STGI         0x084
#define VMEXIT_CLGI         0x085
#define VMEXIT_SKINIT       0x086
#define VMEXIT_MONITOR      0x08a
#define VMEXIT_MWAIT        0x08b
#define VMEXIT_MWAIT_COND   0x08c
#define VMEXIT_XSETBV       0x08d
#define VMEXIT_NPF          0x400
#define VMEXIT_INVALID      ((u64)-1)

/* TLB control */
#define TLB_CONTROL_NONE    0
#define TLB_CONTROL_ALL     1

#endif /* ASM_X86_HVM_SVM_VMCB_H */

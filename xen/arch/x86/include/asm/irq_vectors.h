/*
 * The host's interrupt vector space, split into named ranges, and the
 * fixed vectors the hypervisor itself uses.
 */
#ifndef ASM_X86_IRQ_VECTORS_H
#define ASM_X86_IRQ_VECTORS_H

#define NR_VECTORS              256

/* Ranges: [first, last] inclusive. */
#define EXCEPTION_VECTOR_FIRST  0x00
#define EXCEPTION_VECTOR_LAST   0x1f
#define LEGACY_VECTOR_FIRST     0x20    /* 8259 PIC, remapped and masked */
#define LEGACY_VECTOR_LAST      0x2f
#define DYNAMIC_VECTOR_FIRST    0x30    /* devices and later users */
#define DYNAMIC_VECTOR_LAST     0x9f
#define PI_WAKEUP_VECTOR_FIRST  0xa0    /* posted-interrupt wakeup pool */
#define PI_WAKEUP_VECTOR_LAST   0xdf    /* wakeup lists also take dynamic */
#define HYPERVISOR_VECTOR_FIRST 0xe0
#define HYPERVISOR_VECTOR_LAST  0xff

/* Fixed hypervisor vectors, highest priority class. */
#define POSTED_INTR_VECTOR      0xf0    /* notification to a running vCPU */
#define LOCAL_TIMER_VECTOR      0xfa
#define CALL_FUNCTION_VECTOR    0xfb
#define EVENT_CHECK_VECTOR      0xfc    /* "look at your softirqs" */
#define HALT_VECTOR             0xfd    /* stop this pCPU for good */
#define ERROR_APIC_VECTOR       0xfe
#define SPURIOUS_APIC_VECTOR    0xff

#endif /* ASM_X86_IRQ_VECTORS_H */

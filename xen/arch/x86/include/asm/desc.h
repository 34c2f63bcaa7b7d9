/*
 * Segment selectors of the hypervisor's GDT.  The boot GDT (head.S) and
 * every per-CPU GDT share the first four entries.
 */
#ifndef ASM_X86_DESC_H
#define ASM_X86_DESC_H

#define BOOT_CS32   0x08    /* 32-bit flat code, for the AP start path */
#define HYPERVISOR_CS 0x10  /* 64-bit code */
#define HYPERVISOR_DS 0x18  /* flat data */
#define TSS_SEL     0x20    /* per-CPU TSS, 16-byte descriptor */
#define GDT_ENTRIES 6

/* Interrupt stack table slots (1-based, as in the IDT gate). */
#define IST_NMI     1
#define IST_DF      2
#define IST_MC      3
#define IST_MAX     3

#endif /* ASM_X86_DESC_H */

/*
 * Building an HVM domain that boots like a plain PC with a Multiboot v1
 * loader: guest RAM, ACPI tables, the kernel's ELF segments, the
 * Multiboot information block with a memory map, command line and one
 * module.  The kernel and module images come from boot modules or the
 * toolstack and are untrusted: every header field is checked.
 */
#ifndef ASM_X86_HVM_BUILDER_H
#define ASM_X86_HVM_BUILDER_H

#include <xen/types.h>

struct domain;

/* Guest physical layout. */
#define GUEST_LOW_RAM_END   0x9fc00ULL      /* conventional memory */
#define GUEST_BIOS_START    0xe0000ULL      /* ACPI tables live here */
#define GUEST_HIGH_RAM      0x100000ULL

/* Where vCPU 0 starts, in 32-bit protected mode with paging off. */
struct hvm_boot_state
{
    u32 eip;
    u32 eax;                    /* 0x2badb002 */
    u32 ebx;                    /* guest-physical address of the MBI */
};

struct hvm_build_args
{
    const void *kernel;         /* ELF32 image with a Multiboot v1 header */
    size_t kernel_len;
    const char *cmdline;        /* the kernel's command line, or NULL */
    const void *module;         /* optional: one module (environment file) */
    size_t module_len;
    const char *module_args;
    u64 mem_bytes;              /* guest RAM, >= 2 MiB */
    unsigned int nr_vcpus;      /* listed in the MADT */
};

/*
 * Populate d's RAM (p2m_populate), write the ACPI tables (RSDP in the BIOS
 * area, XSDT and RSDT, MADT with one LAPIC per vCPU and the IOAPIC, FADT,
 * DSDT), load the kernel and build the MBI.  0, or -EINVAL for a bad
 * image (not ELF32, no Multiboot header in its first 8 KiB, bad checksum,
 * segments outside guest RAM or overlapping the BIOS area, overflowing
 * sizes), -ENOMEM, -E2BIG when it does not fit in mem_bytes.
 */
int hvm_build_multiboot(struct domain *d, const struct hvm_build_args *args,
                        struct hvm_boot_state *out);

/*
 * The guest DSDT as AML, compiled from hvm/dsdt.asl by iasl at build
 * time (a generated file under build/).
 */
extern const u8 dsdt_aml[];
extern const unsigned int dsdt_aml_len;

/* The guest ACPI tables alone, written at GUEST_BIOS_START (for tests). */
int hvm_build_acpi(struct domain *d, unsigned int nr_vcpus);

#endif /* ASM_X86_HVM_BUILDER_H */

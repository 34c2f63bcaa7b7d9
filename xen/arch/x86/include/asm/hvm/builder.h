/*
 * Building an HVM domain that boots like a plain PC from a Multiboot v1
 * loader or through the PVH entry: guest RAM, ACPI tables, the kernel's
 * ELF segments, and the Multiboot information block or hvm_start_info
 * with a memory map, command line and one module.  The kernel and module
 * images come from boot modules or the toolstack and are untrusted: every
 * header field is checked.
 */
#ifndef ASM_X86_HVM_BUILDER_H
#define ASM_X86_HVM_BUILDER_H

#include <xen/types.h>

struct domain;

/* Guest physical layout. */
#define GUEST_LOW_RAM_END   0x9fc00ULL      /* conventional memory */
#define GUEST_BIOS_START    0xe0000ULL      /* ACPI tables live here */
#define GUEST_HIGH_RAM      0x100000ULL
/* acpi_build.c writes the RSDP first in the BIOS area. */
#define GUEST_ACPI_RSDP     GUEST_BIOS_START

/* Where vCPU 0 starts, in 32-bit protected mode with paging off. */
struct hvm_boot_state
{
    bool pvh;                   /* entered through the PVH note */
    u32 eip;
    u32 eax;                    /* Multiboot: 0x2badb002; PVH: 0 */
    u32 ebx;                    /* the MBI or hvm_start_info */
};

struct hvm_build_args
{
    const void *kernel;         /* PVH ELF, Multiboot v1 ELF or a.out */
    size_t kernel_len;
    const char *cmdline;        /* the kernel's command line, or NULL */
    /* Optional: the Multiboot module, or PVH module 0 (the initrd). */
    const void *module;
    size_t module_len;
    const char *module_args;
    u64 mem_bytes;              /* guest RAM, >= 2 MiB */
    unsigned int nr_vcpus;      /* listed in the MADT */
};

/*
 * Populate d's RAM (p2m_populate), write the ACPI tables (RSDP in the BIOS
 * area, XSDT and RSDT, MADT with one LAPIC per vCPU and the IOAPIC, FADT,
 * DSDT), load the kernel and build the MBI or hvm_start_info.  0, or
 * -EINVAL for a bad image (see builder.c), -ENOMEM, -E2BIG when it does
 * not fit in mem_bytes.  A refused image is reported with printk.
 */
int hvm_build_domain(struct domain *d, const struct hvm_build_args *args,
                     struct hvm_boot_state *out);

/*
 * The toolstack's build (domctl build_platform): the tools loaded the
 * kernel themselves (libimage's plan: segments from 1 MiB up to
 * kernel_end, the entry inside) and copy the module in afterwards.
 */
struct hvm_platform_args
{
    bool pvh;                   /* PVH, else Multiboot v1 */
    u64 entry;                  /* in [1 MiB, kernel_end) */
    u64 kernel_end;             /* <= mem_bytes */
    u64 module_len;             /* 0: no module */
    const char *cmdline;        /* or NULL */
    const char *module_args;    /* or NULL */
    u64 mem_bytes;              /* the RAM d already has */
    unsigned int nr_vcpus;
};

/*
 * The part of hvm_build_domain after the kernel's loading, on d's
 * existing RAM: the same layout (the module page-aligned after the
 * kernel, then the boot information), ACPI tables and MBI or
 * hvm_start_info.  *module_paddr: where the module must go (0 without
 * one).  0, -EINVAL for bad arguments, -E2BIG when the module or the
 * boot information does not fit, -EFAULT from the p2m.
 */
int hvm_build_platform(struct domain *d, const struct hvm_platform_args *args,
                       u64 *module_paddr, struct hvm_boot_state *out);

/*
 * The guest DSDT as AML, compiled from hvm/dsdt.asl by iasl at build
 * time (a generated file under build/).
 */
extern const u8 dsdt_aml[];
extern const unsigned int dsdt_aml_len;

/* The guest ACPI tables alone, written at GUEST_BIOS_START (for tests). */
int hvm_build_acpi(struct domain *d, unsigned int nr_vcpus);

#endif /* ASM_X86_HVM_BUILDER_H */

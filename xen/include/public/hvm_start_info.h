/*
 * The PVH boot ABI: what a kernel entered through its
 * XEN_ELFNOTE_PHYS32_ENTRY note finds at the guest-physical address in
 * EBX.  Layouts and values are those of Xen's public
 * arch-x86/hvm/start_info.h (version 1), so stock kernels boot unchanged.
 * All addresses are guest-physical; every structure is 8-byte aligned in
 * guest memory.
 */
#ifndef XEN_PUBLIC_HVM_START_INFO_H
#define XEN_PUBLIC_HVM_START_INFO_H

#include <stdint.h>

#define XEN_HVM_START_MAGIC_VALUE   0x336ec578U

struct hvm_start_info
{
    uint32_t magic;             /* XEN_HVM_START_MAGIC_VALUE */
    uint32_t version;           /* 1: the memory map fields are valid */
    uint32_t flags;             /* SIF_* of Xen's PV start_info */
    uint32_t nr_modules;
    uint64_t modlist_paddr;     /* nr_modules struct hvm_modlist_entry */
    uint64_t cmdline_paddr;     /* NUL-terminated, or 0 */
    uint64_t rsdp_paddr;        /* ACPI RSDP, or 0: the guest scans */
    /* Version 1. */
    uint64_t memmap_paddr;      /* memmap_entries hvm_memmap_table_entry */
    uint32_t memmap_entries;
    uint32_t reserved;
};

/* Linux takes module 0 as its initrd. */
struct hvm_modlist_entry
{
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;     /* the module's arguments, or 0 */
    uint64_t reserved;
};

/* Types are the E820 ones. */
#define XEN_HVM_MEMMAP_TYPE_RAM         1
#define XEN_HVM_MEMMAP_TYPE_RESERVED    2

struct hvm_memmap_table_entry
{
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

#endif /* XEN_PUBLIC_HVM_START_INFO_H */

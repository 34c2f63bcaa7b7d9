/*
 * What the boot loader told us, copied out of its Multiboot structures
 * before anything can overwrite them.
 */
#ifndef ASM_X86_BOOTINFO_H
#define ASM_X86_BOOTINFO_H

#include <xen/types.h>

#define BOOT_MAX_REGIONS    128
#define BOOT_MAX_MODULES    16
#define BOOT_CMDLINE_MAX    1024
#define BOOT_MODARGS_MAX    256

/* Memory map types, as in the E820 and Multiboot memory maps. */
#define MEM_RAM             1
#define MEM_RESERVED        2
#define MEM_ACPI            3
#define MEM_NVS             4
#define MEM_UNUSABLE        5

struct boot_region
{
    u64 addr;
    u64 len;
    u32 type;
};

struct boot_module
{
    u64 start;                      /* machine address of the first byte */
    u64 end;                        /* one past the last byte */
    char args[BOOT_MODARGS_MAX];
};

struct boot_info
{
    unsigned int multiboot;         /* 1 or 2 */
    char loader[64];
    char cmdline[BOOT_CMDLINE_MAX];
    unsigned int nr_regions;
    struct boot_region regions[BOOT_MAX_REGIONS];
    unsigned int nr_modules;
    struct boot_module modules[BOOT_MAX_MODULES];
    /* A copy of the RSDP the loader handed over (Multiboot2 only). */
    bool have_rsdp;
    u8 rsdp[36];
};

extern struct boot_info boot_info;

/* Fill boot_info; panics on a magic it does not know. */
void multiboot_parse(u32 magic, u32 info_pa);

#endif /* ASM_X86_BOOTINFO_H */

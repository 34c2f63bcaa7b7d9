/*
 * The Multiboot v1 information structure, as a loader hands it over: the
 * hypervisor reads one from its own loader (multiboot.c) and writes one
 * for the guests it builds (hvm/builder.c).
 */
#ifndef ASM_X86_MULTIBOOT_H
#define ASM_X86_MULTIBOOT_H

#include <xen/types.h>
#include <xen/compiler.h>

#define MB1_BOOTLOADER_MAGIC 0x2badb002

/* Which fields of struct mb_info are valid. */
#define MBI_MEMORY          (1u << 0)
#define MBI_CMDLINE         (1u << 2)
#define MBI_MODS            (1u << 3)
#define MBI_MMAP            (1u << 6)
#define MBI_LOADER_NAME     (1u << 9)

struct mb_info
{
    u32 flags;
    u32 mem_lower, mem_upper;
    u32 boot_device;
    u32 cmdline;
    u32 mods_count, mods_addr;
    u32 syms[4];
    u32 mmap_length, mmap_addr;
    u32 drives_length, drives_addr;
    u32 config_table;
    u32 boot_loader_name;
    u32 apm_table;
    u32 vbe_control_info, vbe_mode_info;
    u16 vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
    u64 framebuffer_addr;
    u32 framebuffer_pitch, framebuffer_width, framebuffer_height;
    u8 framebuffer_bpp, framebuffer_type;
    u8 color_info[6];
} __packed;

struct mb_module
{
    u32 mod_start, mod_end, string, reserved;
} __packed;

struct mb_mmap
{
    u32 size;                   /* of the rest of the entry: 20 */
    u64 addr, len;
    u32 type;
} __packed;

#endif /* ASM_X86_MULTIBOOT_H */

/*
 * Link map of the hypervisor image: identity-mapped at 2 MiB, sections
 * page-aligned so the page tables can give text, read-only data and
 * writable data their own permissions (W^X).
 */
OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(start)

PHDRS
{
    text PT_LOAD FLAGS(5);
    rodata PT_LOAD FLAGS(4);
    data PT_LOAD FLAGS(6);
}

SECTIONS
{
    . = 0x200000;
    __image_start = .;

    .text : {
        _stext = .;
        *(.text.multiboot)
        *(.text.head)
        *(.text .text.*)
        _etext = .;
    } :text

    . = ALIGN(4096);
    .rodata : {
        _srodata = .;
        . = ALIGN(8);
        __param_start = .;
        *(.rodata.param)
        __param_end = .;
        *(.rodata .rodata.*)
        /* Last, so its size never moves a text address. */
        . = ALIGN(8);
        *(.xen_symbols)
        _erodata = .;
    } :rodata

    . = ALIGN(4096);
    .data : {
        _sdata = .;
        *(.data .data.*)
        _edata = .;
    } :data

    . = ALIGN(4096);
    .bss (NOLOAD) : {
        __bss_start = .;
        *(.bss.page_aligned)
        *(.bss .bss.* COMMON)
        . = ALIGN(4096);
        __per_cpu_start = .;
        *(.percpu.hdr)
        *(.percpu.bss)
        . = ALIGN(64);
        __per_cpu_end = .;
        . = ALIGN(4096);
        __bss_end = .;
    } :data
    _end = .;

    /DISCARD/ : {
        *(.comment) *(.note .note.*) *(.eh_frame) *(.discard)
    }
}

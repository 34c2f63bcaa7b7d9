/*
 * Entry points of a guest test kernel: the Multiboot v1 header and _start
 * (the loader leaves us in flat 32-bit protected mode, paging off, EAX =
 * magic, EBX = info), the GDT, the 256 interrupt stubs with their common
 * path into C, and the real-mode trampoline that application processors
 * run after INIT-SIPI-SIPI.
 */
#include "config.h"

#define MB_MAGIC        0x1badb002
/* Bit 0: page-align modules; bit 1: we want the memory map. */
#define MB_FLAGS        0x00000003

        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

        .text
        .globl _start
_start:
        cli
        cld
        /* The loader's GDT is not ours to keep: load our own at once. */
        lgdt gdt_desc
        ljmp $0x08, $1f
1:      movl $0x10, %ecx
        movl %ecx, %ds
        movl %ecx, %es
        movl %ecx, %ss
        movl %ecx, %fs
        xorl %ecx, %ecx
        movl %ecx, %gs

        /* Zero .bss ourselves rather than trust every loader to do it. */
        movl %eax, %esi
        movl $__bss_start, %edi
        movl $__bss_end, %ecx
        subl %edi, %ecx
        xorl %eax, %eax
        rep stosb
        movl %esi, %eax

        movl $boot_stack + STACK_SIZE, %esp
        xorl %ebp, %ebp
        pushl $0                        /* EFLAGS: IF=0, DF=0 */
        popfl
        pushl %ebx
        pushl %eax
        call lib_main
2:      cli
        hlt
        jmp 2b

/*
 * Interrupt stubs, 16 bytes apart so the IDT can be filled from the first
 * one's address. Vectors for which the CPU pushes no error code get a 0,
 * so every frame has the same layout (struct regs in idt.h).
 */
        .align 16
        .globl int_stubs
int_stubs:
        .set vec, 0
        .rept 256
        .align 16
        .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || \
            (vec == 21) || (vec == 29) || (vec == 30)
        .else
        pushl $0
        .endif
        pushl $vec
        jmp int_common
        .set vec, vec + 1
        .endr

int_common:
        pushal
        cld
        movl %esp, %eax
        pushl %eax
        call int_dispatch
        addl $4, %esp
        popal
        addl $8, %esp                   /* vector and error code */
        iretl

        .data
        .align 16
        .globl gdt
gdt:
        .quad 0
        .quad 0x00cf9a000000ffff        /* 0x08: code, flat 4 GiB */
        .quad 0x00cf92000000ffff        /* 0x10: data, flat 4 GiB */
        /* 0x18 + 8 * i: CPU i's per-CPU block in GS, filled in by C. */
        .fill MAX_CPUS, 8, 0
gdt_end:

        .align 4
        .word 0
        .globl gdt_desc
gdt_desc:
        .word gdt_end - gdt - 1
        .long gdt

/*
 * AP trampoline, copied to TRAMP_BASE; the SIPI starts it in real mode at
 * CS = TRAMP_BASE >> 4, IP = 0. Everything it references is addressed
 * relative to where the copy runs. The BSP fills in tramp_stack and
 * tramp_cpu before each SIPI.
 */
#define TR(sym)         (TRAMP_BASE + (sym) - tramp_start)

        .code16
        .globl tramp_start, tramp_end, tramp_stack, tramp_cpu
tramp_start:
        cli
        cld
        movw %cs, %ax
        movw %ax, %ds
        lgdtl tramp_gdt_desc - tramp_start
        movl %cr0, %eax
        orl $1, %eax
        movl %eax, %cr0
        ljmpl $0x08, $TR(tramp_32)

        .code32
tramp_32:
        movl $0x10, %eax
        movl %eax, %ds
        movl %eax, %es
        movl %eax, %ss
        movl %eax, %fs
        xorl %eax, %eax
        movl %eax, %gs
        movl TR(tramp_stack), %esp
        xorl %ebp, %ebp
        pushl $0
        popfl
        pushl TR(tramp_cpu)
        movl $ap_main, %eax
        call *%eax
3:      cli
        hlt
        jmp 3b

        .align 8
tramp_gdt_desc:
        .word gdt_end - gdt - 1
        .long gdt
tramp_stack:
        .long 0
tramp_cpu:
        .long 0
tramp_end:

        .section .note.GNU-stack, "", @progbits

        .bss
        .align 16
        .globl boot_stack
boot_stack:
        .skip STACK_SIZE

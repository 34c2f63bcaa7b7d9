/*
 * The hypervisor's first instructions.  Both Multiboot headers live here,
 * then the 32-bit entry that both loaders jump to: it clears .bss, builds
 * boot page tables identity-mapping the low 4 GiB, enters long mode and
 * calls __start_xen().  The 32-bit path that application processors take
 * from the real-mode trampoline ends here too.
 */
#include <asm/desc.h>

#define MB1_MAGIC       0x1badb002
#define MB1_FLAGS       0x00000003      /* page-align modules, memory map */
#define MB2_MAGIC       0xe85250d6

#define PTE_P           0x001
#define PTE_RW          0x002
#define PTE_PS          0x080

        .section .text.multiboot, "ax"
        .code32

        .balign 8
multiboot2_header:
        .long   MB2_MAGIC
        .long   0                       /* i386 protected mode */
        .long   mb2_end - multiboot2_header
        .long   -(MB2_MAGIC + (mb2_end - multiboot2_header))
        /* Information request: cmdline, modules, mmap, ACPI RSDPs. */
        .balign 8
mb2_info_req:
        .short  1, 1                    /* type 1, optional */
        .long   mb2_info_req_end - mb2_info_req
        .long   1, 3, 6, 14, 15
mb2_info_req_end:
        .balign 8
        .short  0, 0                    /* end tag */
        .long   8
mb2_end:

        .balign 4
multiboot1_header:
        .long   MB1_MAGIC
        .long   MB1_FLAGS
        .long   -(MB1_MAGIC + MB1_FLAGS)

        .section .text.head, "ax"
        .globl  start
start:
        cli
        cld
        /* eax: loader magic, ebx: its information structure. */
        mov     %eax, boot_magic
        mov     %ebx, boot_info_pa

        /* Zero .bss: it holds the page tables and stack built below. */
        mov     $__bss_start, %edi
        mov     $__bss_end, %ecx
        sub     %edi, %ecx
        xor     %eax, %eax
        rep stosb

        mov     $boot_stack_top, %esp

        /* Refuse, visibly, to go on without long mode. */
        mov     $0x80000000, %eax
        cpuid
        cmp     $0x80000001, %eax
        jb      no_long_mode
        mov     $0x80000001, %eax
        cpuid
        bt      $29, %edx
        jnc     no_long_mode
        xor     %ebx, %ebx
        bt      $20, %edx               /* NX available? */
        jnc     1f
        mov     $0x800, %ebx            /* EFER.NXE */
1:      mov     %ebx, boot_efer_nx

        /* L4[0] -> L3; L3[0..3] -> four L2s; L2s map 0-4 GiB in 2 MiB. */
        mov     $boot_l3, %eax
        or      $(PTE_P | PTE_RW), %eax
        mov     %eax, boot_l4
        mov     $boot_l2, %eax
        or      $(PTE_P | PTE_RW), %eax
        xor     %ecx, %ecx
2:      mov     %eax, boot_l3(,%ecx,8)
        add     $4096, %eax
        inc     %ecx
        cmp     $4, %ecx
        jne     2b
        mov     $(PTE_P | PTE_RW | PTE_PS), %eax
        xor     %ecx, %ecx
3:      mov     %eax, boot_l2(,%ecx,8)
        add     $0x200000, %eax
        inc     %ecx
        cmp     $2048, %ecx
        jne     3b

        mov     $boot_l4, %eax
        mov     %eax, boot_cr3
        jmp     enter_long_mode

no_long_mode:
        mov     $msg_no_lm, %esi
4:      lodsb
        test    %al, %al
        jz      5f
        mov     $0x3f8, %dx
        out     %al, %dx
        jmp     4b
5:      hlt
        jmp     5b

/*
 * Common to the boot pCPU and the APs: boot_cr3 and boot_efer_nx say which
 * page tables and whether NX is on; the stack and target are in
 * long_mode_target and long_mode_stack.
 */
        .globl  ap_entry32
ap_entry32:
        mov     $HYPERVISOR_DS, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        movl    $1, ap_path
enter_long_mode:
        lgdt    boot_gdt_desc
        mov     %cr4, %eax
        or      $0x20, %eax             /* PAE */
        mov     %eax, %cr4
        mov     boot_cr3, %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx       /* EFER */
        rdmsr
        or      $0x100, %eax            /* LME */
        or      boot_efer_nx, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80010001, %eax       /* PG | WP | PE */
        mov     %eax, %cr0
        ljmp    $HYPERVISOR_CS, $start64

        .code64
start64:
        mov     $HYPERVISOR_DS, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        xor     %eax, %eax
        mov     %ax, %fs
        mov     %ax, %gs
        xor     %ebp, %ebp
        cmpl    $0, ap_path(%rip)
        jne     6f
        mov     $boot_stack_top, %rsp
        mov     boot_magic(%rip), %edi
        mov     boot_info_pa(%rip), %esi
        call    __start_xen
        ud2
6:      mov     ap_stack_top(%rip), %rsp
        mov     ap_cpu(%rip), %edi
        call    start_secondary
        ud2

/*
 * Real-mode trampoline, copied by smpboot.c to a page below 1 MiB whose
 * number is the SIPI vector.  It only reaches protected mode and jumps to
 * ap_entry32 above: nothing here runs with paging on, so the copy can stay
 * non-executable in the hypervisor's page tables.
 */
        .section .rodata.trampoline, "a"
        .code16
        .globl  trampoline_start, trampoline_end
trampoline_start:
        cli
        mov     %cs, %ax
        mov     %ax, %ds
        lgdtl   tramp_gdt_desc - trampoline_start
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $BOOT_CS32, $ap_entry32
        .balign 8
tramp_gdt_desc:
        .word   boot_gdt_end - boot_gdt - 1
        .long   boot_gdt
trampoline_end:

        .section .rodata, "a"
msg_no_lm:
        .asciz  "xen-lite: this CPU has no long mode\r\n"

        .section .data, "aw"
        .balign 16
        .globl  boot_gdt, boot_gdt_end
boot_gdt:
        .quad   0
        .quad   0x00cf9a000000ffff      /* 0x08: 32-bit code */
        .quad   0x00af9a000000ffff      /* 0x10: 64-bit code */
        .quad   0x00cf92000000ffff      /* 0x18: data */
boot_gdt_end:
        .balign 8
        .word   0
boot_gdt_desc:
        .word   boot_gdt_end - boot_gdt - 1
        .long   boot_gdt

        .globl  boot_magic, boot_info_pa, boot_cr3, boot_efer_nx
        .globl  ap_path, ap_stack_top, ap_cpu
        .balign 8
boot_magic:     .long 0
boot_info_pa:   .long 0
boot_cr3:       .long 0
boot_efer_nx:   .long 0
ap_path:        .long 0
ap_cpu:         .long 0
ap_stack_top:   .quad 0

        .section .bss.page_aligned, "aw", @nobits
        .balign 4096
boot_l4:        .skip 4096
boot_l3:        .skip 4096
boot_l2:        .skip 4 * 4096
        .globl  boot_stack, boot_stack_top
        .balign 16384
boot_stack:     .skip 16384
boot_stack_top:

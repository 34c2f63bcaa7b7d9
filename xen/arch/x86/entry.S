/*
 * Exception and interrupt entry: one 16-byte stub per vector pushes a
 * uniform frame (error code, vector) and joins common_entry, which saves
 * the general registers as a struct cpu_user_regs and calls
 * do_interrupt().
 */
        .text
        .code64

/* Vectors for which the CPU pushes an error code itself. */
#define HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || \
                        (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

        .balign 16
        .globl  entry_stubs
entry_stubs:
        vec = 0
        .rept   256
        .balign 16
        .if     HAS_ERRCODE(vec) == 0
        push    $0
        .endif
        pushq   $vec
        jmp     common_entry
        vec = vec + 1
        .endr

common_entry:
        cld
        push    %rdi
        push    %rsi
        push    %rdx
        push    %rcx
        push    %rax
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %rbx
        push    %rbp
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        /* A frame pointer chain that stack traces can follow into here. */
        mov     %rsp, %rdi
        mov     0x88(%rsp), %rax        /* interrupted rip */
        push    %rax
        push    %rbp
        mov     %rsp, %rbp
        call    do_interrupt
        add     $16, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbp
        pop     %rbx
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rax
        pop     %rcx
        pop     %rdx
        pop     %rsi
        pop     %rdi
        add     $16, %rsp               /* vector, error code */
        iretq

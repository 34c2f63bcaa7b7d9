/*
 * One trip into an SVM guest.  VMRUN itself saves and restores only part
 * of the host state (RSP, RIP, RAX, segments, control registers); FS, GS,
 * TR, LDTR and the SYSCALL MSRs are swapped with VMSAVE/VMLOAD around it,
 * host first, so the hypervisor's GS base (its per-CPU area) and TSS are
 * back before any C code runs.  The guest's other GPRs live in struct
 * hvm_gprs.
 *
 * void svm_vmrun(u64 vmcb_pa, struct hvm_gprs *gprs, u64 host_vmcb_pa)
 * Called with GIF clear (CLGI), so nothing interrupts the swap.
 */
#define G_RBX   0x00
#define G_RCX   0x08
#define G_RDX   0x10
#define G_RSI   0x18
#define G_RDI   0x20
#define G_RBP   0x28
#define G_R8    0x30
#define G_R9    0x38
#define G_R10   0x40
#define G_R11   0x48
#define G_R12   0x50
#define G_R13   0x58
#define G_R14   0x60
#define G_R15   0x68

        .text
        .code64
        .globl  svm_vmrun
svm_vmrun:
        push    %rbp
        push    %rbx
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        push    %rdx                    /* 16(%rsp): host save VMCB */
        push    %rdi                    /*  8(%rsp): guest VMCB */
        push    %rsi                    /*  0(%rsp): gprs */

        mov     %rdx, %rax
        vmsave
        mov     8(%rsp), %rax
        vmload

        mov     (%rsp), %rcx
        mov     G_RBX(%rcx), %rbx
        mov     G_RDX(%rcx), %rdx
        mov     G_RSI(%rcx), %rsi
        mov     G_RDI(%rcx), %rdi
        mov     G_RBP(%rcx), %rbp
        mov     G_R8(%rcx), %r8
        mov     G_R9(%rcx), %r9
        mov     G_R10(%rcx), %r10
        mov     G_R11(%rcx), %r11
        mov     G_R12(%rcx), %r12
        mov     G_R13(%rcx), %r13
        mov     G_R14(%rcx), %r14
        mov     G_R15(%rcx), %r15
        mov     G_RCX(%rcx), %rcx

        mov     8(%rsp), %rax
        vmrun
        /* #VMEXIT: host RSP, RAX (the VMCB address) are back. */

        push    %rcx                    /* guest rcx; gprs now at 8(%rsp) */
        mov     8(%rsp), %rcx
        mov     %rbx, G_RBX(%rcx)
        mov     %rdx, G_RDX(%rcx)
        mov     %rsi, G_RSI(%rcx)
        mov     %rdi, G_RDI(%rcx)
        mov     %rbp, G_RBP(%rcx)
        mov     %r8, G_R8(%rcx)
        mov     %r9, G_R9(%rcx)
        mov     %r10, G_R10(%rcx)
        mov     %r11, G_R11(%rcx)
        mov     %r12, G_R12(%rcx)
        mov     %r13, G_R13(%rcx)
        mov     %r14, G_R14(%rcx)
        mov     %r15, G_R15(%rcx)
        pop     %rax
        mov     %rax, G_RCX(%rcx)

        mov     8(%rsp), %rax
        vmsave
        mov     16(%rsp), %rax
        vmload

        add     $24, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        ret

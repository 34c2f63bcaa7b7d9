/*
 * One trip into a VMX guest, and the host side of interrupts taken by
 * the VM exit itself.
 *
 * int vmx_enter(struct hvm_gprs *gprs, u64 *rax, int launched)
 *   Loads the guest's general registers (RAX from *rax, the rest from
 *   gprs; RSP and RIP come from the VMCS) and executes VMLAUNCH or
 *   VMRESUME.  A VM exit lands in vmx_exit_stub (HOST_RIP) on the stack
 *   this function wrote into HOST_RSP, which saves the guest registers
 *   back and returns 0 from vmx_enter.  If the instruction itself fails
 *   it falls through: 1 (VMfailInvalid) or 2 (VMfailValid, reason in
 *   VM_INSTRUCTION_ERROR) is returned.  Called with interrupts off; a VM
 *   exit leaves them off (RFLAGS is 0x2 after the exit).
 *
 * void vmx_do_host_vector(unsigned long stub)
 *   Runs the host IDT stub at 'stub' as if the CPU had delivered that
 *   vector here: an interrupt frame (SS, RSP, RFLAGS, CS, RIP) is built
 *   and the stub's IRETQ comes back.  For interrupts the VM exit
 *   acknowledged itself (acknowledge interrupt on exit, which posted
 *   interrupts require) and for NMIs the exit consumed.
 */
#include <asm/desc.h>

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

#define HOST_RSP    0x6c14

        .text
        .code64
        .globl  vmx_enter
vmx_enter:
        push    %rbp
        mov     %rsp, %rbp
        push    %rbx
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        push    %rdi                    /* 8(%rsp) after the exit: gprs */
        push    %rsi                    /* 0(%rsp): &rax */

        /* The exit comes back on exactly this stack. */
        mov     $HOST_RSP, %eax
        vmwrite %rsp, %rax
        jbe     .Lfail

        /* Flags of this test survive the loads below (MOV leaves them). */
        test    %edx, %edx

        mov     %rdi, %rax
        mov     G_RBX(%rax), %rbx
        mov     G_RCX(%rax), %rcx
        mov     G_RDX(%rax), %rdx
        mov     G_RSI(%rax), %rsi
        mov     G_RDI(%rax), %rdi
        mov     G_RBP(%rax), %rbp
        mov     G_R8(%rax), %r8
        mov     G_R9(%rax), %r9
        mov     G_R10(%rax), %r10
        mov     G_R11(%rax), %r11
        mov     G_R12(%rax), %r12
        mov     G_R13(%rax), %r13
        mov     G_R14(%rax), %r14
        mov     G_R15(%rax), %r15
        mov     (%rsp), %rax
        mov     (%rax), %rax

        jnz     .Lresume
        vmlaunch
        jmp     .Lfail
.Lresume:
        vmresume
.Lfail:
        /* CF: VMfailInvalid, ZF: VMfailValid. */
        mov     $1, %eax
        jc      1f
        mov     $2, %eax
1:
        add     $16, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        ret

        .globl  vmx_exit_stub
vmx_exit_stub:
        push    %rax                    /* guest rax; gprs at 16(%rsp) */
        mov     16(%rsp), %rax
        mov     %rbx, G_RBX(%rax)
        mov     %rcx, G_RCX(%rax)
        mov     %rdx, G_RDX(%rax)
        mov     %rsi, G_RSI(%rax)
        mov     %rdi, G_RDI(%rax)
        mov     %rbp, G_RBP(%rax)
        mov     %r8, G_R8(%rax)
        mov     %r9, G_R9(%rax)
        mov     %r10, G_R10(%rax)
        mov     %r11, G_R11(%rax)
        mov     %r12, G_R12(%rax)
        mov     %r13, G_R13(%rax)
        mov     %r14, G_R14(%rax)
        mov     %r15, G_R15(%rax)
        pop     %rbx                    /* guest rax */
        mov     (%rsp), %rax
        mov     %rbx, (%rax)

        xor     %eax, %eax
        add     $16, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        ret

        .globl  vmx_do_host_vector
vmx_do_host_vector:
        push    %rbp
        mov     %rsp, %rbp
        mov     %rsp, %rax
        and     $~15, %rsp              /* as the CPU aligns it */
        mov     %ss, %ecx
        push    %rcx
        push    %rax
        pushf
        pushq   $HYPERVISOR_CS
        call    *%rdi                   /* its IRETQ returns here */
        pop     %rbp
        ret

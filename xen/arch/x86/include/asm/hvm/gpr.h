/*
 * A guest's general-purpose registers by their instruction encoding:
 * RAX and RSP live in the backend's control block, the rest in struct
 * hvm_gprs.  For the instruction emulators (hvm.c, task_switch.c).
 */
#ifndef ASM_X86_HVM_GPR_H
#define ASM_X86_HVM_GPR_H

#include <xen/sched.h>
#include <asm/hvm/emulate.h>
#include <asm/hvm/hvm.h>

static inline u64 hvm_get_gpr(struct vcpu *v, enum x86_gpr r)
{
    struct hvm_gprs *g = &v->hvm->gprs;

    switch ( r )
    {
    case GPR_RAX: return hvm_funcs->get_reg(v, HVM_REG_RAX);
    case GPR_RCX: return g->rcx;
    case GPR_RDX: return g->rdx;
    case GPR_RBX: return g->rbx;
    case GPR_RSP: return hvm_funcs->get_reg(v, HVM_REG_RSP);
    case GPR_RBP: return g->rbp;
    case GPR_RSI: return g->rsi;
    case GPR_RDI: return g->rdi;
    case GPR_R8:  return g->r8;
    case GPR_R9:  return g->r9;
    case GPR_R10: return g->r10;
    case GPR_R11: return g->r11;
    case GPR_R12: return g->r12;
    case GPR_R13: return g->r13;
    case GPR_R14: return g->r14;
    default:      return g->r15;
    }
}

static inline void hvm_set_gpr(struct vcpu *v, enum x86_gpr r, u64 val)
{
    struct hvm_gprs *g = &v->hvm->gprs;

    switch ( r )
    {
    case GPR_RAX: hvm_funcs->set_reg(v, HVM_REG_RAX, val); break;
    case GPR_RCX: g->rcx = val; break;
    case GPR_RDX: g->rdx = val; break;
    case GPR_RBX: g->rbx = val; break;
    case GPR_RSP: hvm_funcs->set_reg(v, HVM_REG_RSP, val); break;
    case GPR_RBP: g->rbp = val; break;
    case GPR_RSI: g->rsi = val; break;
    case GPR_RDI: g->rdi = val; break;
    case GPR_R8:  g->r8 = val; break;
    case GPR_R9:  g->r9 = val; break;
    case GPR_R10: g->r10 = val; break;
    case GPR_R11: g->r11 = val; break;
    case GPR_R12: g->r12 = val; break;
    case GPR_R13: g->r13 = val; break;
    case GPR_R14: g->r14 = val; break;
    default:      g->r15 = val; break;
    }
}

#endif /* ASM_X86_HVM_GPR_H */

/*
 * SVM exits that need the instruction decoded, because QEMU's SVM has no
 * NRIP-save and no decode assists: where an intercepted instruction
 * ends, and what a MOV to CR0/CR4, LMSW or CLTS writes.  The bytes are
 * fetched at the guest's CS:RIP through its own paging, as the CPU
 * fetched them.
 */
#include <xen/lib.h>
#include <xen/guest_access.h>
#include <xen/sched.h>
#include <asm/processor.h>
#include <asm/hvm/cr.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/insn.h>
#include <asm/hvm/svm/svm.h>

#define X86_EXC_GP      13

static struct vmcb *vmcb(struct vcpu *v)
{
    return ((struct svm_vcpu *)v->hvm->backend)->vmcb;
}

static enum x86_mode mode_of(struct vcpu *v)
{
    struct vmcb *c = vmcb(v);

    if ( !(c->cr0 & X86_CR0_PE) || (c->rflags & (1u << 17)) )
        return X86_MODE_REAL;
    if ( (hvm_funcs->get_reg(v, HVM_REG_EFER) & EFER_LMA) &&
         (c->cs.attr & (1u << 9)) )
        return X86_MODE_LONG64;
    return (c->cs.attr & (1u << 10)) ? X86_MODE_PROT32 : X86_MODE_PROT16;
}

static void paging_of(struct vcpu *v, struct guest_paging *pg)
{
    struct vmcb *c = vmcb(v);

    pg->cr0 = c->cr0;
    pg->cr3 = c->cr3;
    pg->cr4 = c->cr4;
    pg->efer = hvm_funcs->get_reg(v, HVM_REG_EFER);
}

/* Linear address of CS:rip (the offset wraps at 4 GiB outside long mode). */
static u64 code_linear(struct vcpu *v, enum x86_mode mode, u64 rip)
{
    return mode == X86_MODE_LONG64 ? rip : (u32)(vmcb(v)->cs.base + rip);
}

/* Fetch and decode the instruction at RIP.  Returns X86_INSN_*. */
static int decode_at_rip(struct vcpu *v, struct x86_insn *insn)
{
    struct guest_paging pg;
    enum x86_mode mode = mode_of(v);
    u64 rip = vmcb(v)->rip;
    u8 buf[X86_MAX_INSN_LEN];
    unsigned int got = 0, n;

    paging_of(v, &pg);
    /*
     * Up to 15 bytes, a page at a time: the instruction may end just
     * before a page that is not mapped, and the decoder says whether it
     * needed more than it got.
     */
    while ( got < sizeof(buf) )
    {
        u64 lin = code_linear(v, mode, rip + got);

        n = min((unsigned int)sizeof(buf) - got,
                4096u - (unsigned int)(lin & 4095));
        if ( copy_from_guest_virt(v->domain, &pg, buf + got, lin, n) )
            break;
        got += n;
    }
    return x86_insn_decode(buf, got, mode, insn);
}

/* RIP after the instruction: EIP wraps at 4 GiB outside 64-bit mode. */
static u64 rip_after(struct vcpu *v, const struct x86_insn *insn)
{
    u64 rip = vmcb(v)->rip + insn->len;

    return mode_of(v) == X86_MODE_LONG64 ? rip : (u32)rip;
}

/*
 * The instruction faults: nothing of its own exit is handled.  (Real mode
 * pushes no error code: svm_inject_event() drops it there.)
 */
static void raise(struct vcpu *v, struct hvm_exit *e, u8 vector)
{
    (void)v;
    e->reason = HVM_EXIT_NONE;
    e->raise_exc = true;
    e->exc_vector = vector;
    e->exc_error = 0;
}

/* Not the instruction the exit says: only a hostile guest gets here. */
static void undecodable(struct vcpu *v, struct hvm_exit *e, const char *what)
{
    printk(XENLOG_ERR "d%uv%u: %s at rip %#lx: instruction not decoded\n",
           v->domain->domain_id, v->vcpu_id, what,
           (unsigned long)vmcb(v)->rip);
    e->reason = HVM_EXIT_UNHANDLED;
}

/*
 * Where an intercepted CPUID, HLT, RDMSR/WRMSR, INVD or VMMCALL ends.
 * With NRIP-save the CPU says; without it the instruction is decoded,
 * prefixes and all.  Over 15 bytes it raises #GP(0) (SDM vol. 3 6.15),
 * which the CPU checks before the intercept, so only a guest rewriting
 * its code under another vCPU's feet sees that here.
 */
void svm_insn_exit(struct vcpu *v, struct hvm_exit *e, enum x86_insn_op op)
{
    struct vmcb *c = vmcb(v);

    if ( svm_has_nrips && c->nrip )
    {
        e->next_rip = c->nrip;
        return;
    }
    svm_insn_decode(v, e, op);
}

void svm_insn_decode(struct vcpu *v, struct hvm_exit *e, enum x86_insn_op op)
{
    struct x86_insn insn;
    int rc;

    rc = decode_at_rip(v, &insn);
    if ( rc == X86_INSN_TOO_LONG )
        raise(v, e, X86_EXC_GP);
    else if ( rc != X86_INSN_OK || insn.op != op )
        undecodable(v, e, "intercepted instruction");
    else
        e->next_rip = rip_after(v, &insn);
}

/* The general registers in encoding order (RAX and RSP are the VMCB's). */
static void read_gprs(struct vcpu *v, u64 regs[16])
{
    const struct hvm_gprs *g = &v->hvm->gprs;
    const u64 others[16] = {
        0, g->rcx, g->rdx, g->rbx, 0, g->rbp, g->rsi, g->rdi,
        g->r8, g->r9, g->r10, g->r11, g->r12, g->r13, g->r14, g->r15,
    };

    memcpy(regs, others, sizeof(others));
    regs[0] = vmcb(v)->rax;
    regs[4] = vmcb(v)->rsp;
}

/* LMSW's 16-bit source: a register, or memory through DS (or override). */
static bool lmsw_source(struct vcpu *v, const struct x86_insn *insn,
                        enum x86_mode mode, u16 *src)
{
    struct segment_register sr;
    struct guest_paging pg;
    u64 regs[16], lin;

    read_gprs(v, regs);
    if ( insn->mod == 3 )
    {
        *src = (u16)regs[insn->rm];
        return true;
    }
    lin = x86_insn_offset(insn, regs, vmcb(v)->rip + insn->len);
    if ( insn->seg >= 0 || mode != X86_MODE_LONG64 )
    {
        /* The prefix numbers are the x86_segment order, ES to GS. */
        hvm_funcs->get_seg(v, insn->seg >= 0 ? (enum x86_segment)insn->seg
                                             : x86_seg_ds, &sr);
        lin += sr.base;
    }
    if ( mode != X86_MODE_LONG64 )
        lin = (u32)lin;
    paging_of(v, &pg);
    return copy_from_guest_virt(v->domain, &pg, src, lin, 2) == 0;
}

/*
 * A write to CR0 or CR4 (the CR0 write intercept also catches LMSW and
 * CLTS), checked against the architectural rules in hvm/cr.c and done
 * here as the CPU would have done it, EFER.LMA included; or to CR8, the
 * vlapic's TPR.
 */
void svm_cr_write(struct vcpu *v, unsigned int cr, struct hvm_exit *e)
{
    struct svm_vcpu *s = v->hvm->backend;
    struct vmcb *c = s->vmcb;
    enum x86_mode mode = mode_of(v);
    struct hvm_cr_policy pol;
    struct hvm_cr_regs r;
    struct x86_insn insn;
    u64 val, efer, regs[16];
    u16 src;
    int rc;

    e->reason = HVM_EXIT_NONE;
    rc = decode_at_rip(v, &insn);
    if ( rc == X86_INSN_TOO_LONG )
    {
        raise(v, e, X86_EXC_GP);
        return;
    }
    if ( rc != X86_INSN_OK )
    {
        undecodable(v, e, "CR write");
        return;
    }
    switch ( insn.op )
    {
    case X86_INSN_MOV_TO_CR:
        /* AMD's LOCK MOV CR0 is CR8 (APM vol. 3 MOV CRn). */
        if ( (insn.reg | (insn.lock ? 8 : 0)) != cr )
        {
            undecodable(v, e, "CR write");
            return;
        }
        read_gprs(v, regs);
        val = regs[insn.rm & 15];
        if ( mode != X86_MODE_LONG64 )
            val = (u32)val;
        break;
    case X86_INSN_LMSW:
        if ( cr != 0 || !lmsw_source(v, &insn, mode, &src) )
        {
            undecodable(v, e, "LMSW");
            return;
        }
        /* PE, MP, EM and TS; LMSW can set PE but not clear it. */
        val = (c->cr0 & ~0xfULL) | (src & 0xf) | (c->cr0 & X86_CR0_PE);
        break;
    case X86_INSN_CLTS:
        if ( cr != 0 )
        {
            undecodable(v, e, "CLTS");
            return;
        }
        val = c->cr0 & ~X86_CR0_TS;
        break;
    default:
        undecodable(v, e, "CR write");
        return;
    }

    if ( cr == 8 )
    {
        /*
         * CR8[3:0] is TPR[7:4] and the write clears TPR[3:0]; bits 63:4
         * are reserved (SDM Vol. 3A 11.8.6.1 and MOV CRn: #GP(0)).
         * V_TPR follows at the next entry.
         */
        if ( val >> 4 )
        {
            raise(v, e, X86_EXC_GP);
            return;
        }
        (void)vlapic_reg_write(vcpu_vlapic(v), APIC_REG_TPR, (u32)val << 4);
        c->rip = rip_after(v, &insn);
        c->int_state = 0;
        return;
    }

    r.cr0 = c->cr0;
    r.cr3 = c->cr3;
    r.cr4 = c->cr4;
    r.efer = s->guest_efer;
    r.cs_l = c->cs.attr & (1u << 9);
    r.tr_type = c->tr.attr & 0xf;
    hvm_cr_policy(v, &pol);
    if ( cr == 0 )
    {
        if ( (rc = hvm_cr0_write(&pol, &r, val, &efer)) != 0 )
        {
            raise(v, e, rc);
            return;
        }
        hvm_funcs->set_reg(v, HVM_REG_CR0, val);
        hvm_funcs->set_reg(v, HVM_REG_EFER, efer);
    }
    else
    {
        if ( (rc = hvm_cr4_write(&pol, &r, val)) != 0 )
        {
            raise(v, e, rc);
            return;
        }
        hvm_funcs->set_reg(v, HVM_REG_CR4, val);
    }
    /* MOV to CR0/CR4 that changes paging flushes the TLB (SDM 4.10.4.1). */
    if ( (cr == 0 ? r.cr0 : r.cr4) != val )
        s->flush_tlb = true;
    c->rip = rip_after(v, &insn);
    c->int_state = 0;
}

/*
 * Hardware task switches for HVM guests, emulated for both backends: a
 * VMX guest's task switch always exits (SDM Vol. 3C 26.4.2, "Treatment
 * of Task Switches"), SVM intercepts them (APM Vol. 2 15.14.1, "Task
 * Switch Intercept") and its IRET intercept completes a task-returning
 * IRET here.  What the CPU does is SDM Vol. 3A 8.3 "Task Switching" and
 * 8.4 "Task Linking"; the instruction pseudocode of CALL, JMP, INT n
 * (task gate) and IRET (task return) in Vol. 2 gives the exceptions.
 *
 * 32-bit and 16-bit TSSes are both emulated (16-bit: the 286 layout, no
 * CR3, FS, GS or upper register halves: these are loaded as zero and FS
 * and GS as null).  A task switch in IA-32e mode is #GP(0), as the CPU
 * raises before any exit.
 *
 * Every access goes through the guest's paging as an implicit
 * supervisor access (guest_walk.c); a page the walk refuses is a #PF at
 * that address, memory outside the guest's RAM reads as all ones and
 * drops writes, as on a bus without a device.  Every check on the new
 * TSS, its LDT and its segment descriptors is made before anything is
 * written, so a bad TSS leaves the guest unchanged and takes the
 * exception in the old task.  That differs from the CPU in one point:
 * faults on the new task's LDT and segment descriptors come after its
 * commit point there (Table 8-1) and are taken in the new task's context.
 * A guest that relies on that sees the fault in the task that switched.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/system.h>
#include <asm/hvm/cr.h>
#include <asm/hvm/emulate.h>
#include <asm/hvm/exception.h>
#include <asm/hvm/gpr.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/task_switch.h>

#define X86_EXC_DB          1
#define X86_EXC_PF          14

#define EFLAGS_NT           (1u << 14)
#define EFLAGS_VM           (1u << 17)
/* The bits EFLAGS can hold (SDM Vol. 1 3.4.3); bit 1 is always set. */
#define EFLAGS_DEFINED      0x003f7fd5u
#define DR6_BT              (1u << 15)
#define DR7_LOCAL           0x55u           /* L0-L3 */
#define PF_WRITE            (1u << 1)

/* Descriptor fields (SDM Vol. 3A 3.4.5). */
#define D_TYPE(d)           ((unsigned int)((d) >> 40) & 0xf)
#define D_S(d)              (((d) >> 44) & 1)
#define D_DPL(d)            ((unsigned int)((d) >> 45) & 3)
#define D_P(d)              (((d) >> 47) & 1)
#define D_BUSY              (1ull << 41)

#define TYPE_TSS16          0x1
#define TYPE_LDT            0x2
#define TYPE_TSS16_BUSY     0x3
#define TYPE_TSS32          0x9
#define TYPE_TSS32_BUSY     0xb
#define TYPE_CODE           0x8
#define TYPE_CONFORMING     0x4     /* code */
#define TYPE_EXPAND_DOWN    0x4     /* data */
#define TYPE_RW             0x2     /* readable code, writable data */

int tsw_check_tss(u64 desc, enum tsw_source source)
{
    unsigned int type = D_TYPE(desc);
    bool tss = !D_S(desc) &&
               (type == TYPE_TSS16 || type == TYPE_TSS16_BUSY ||
                type == TYPE_TSS32 || type == TYPE_TSS32_BUSY);
    bool busy = type & 2;

    /*
     * IRET returns to a busy task, or #TS (IRET: "IF TSS descriptor
     * ... not busy THEN #TS"); CALL, JMP and task gates need an
     * available TSS, else #GP (Vol. 2 CALL, JMP, INT n pseudocode).
     */
    if ( source == TSW_IRET )
    {
        if ( !tss || !busy )
            return TSW_TS;
    }
    else if ( !tss || busy )
        return TSW_GP;
    if ( !D_P(desc) )
        return TSW_NP;
    /* 8.3 step 3: a limit below 67H (2BH for 16 bits) is #TS. */
    if ( desc_limit(desc) < ((type & 8) ? 0x67 : 0x2b) )
        return TSW_TS;
    return 0;
}

/*
 * Table 8-1, "Exception Conditions Checked During a Task Switch", and
 * the segment-load rules of MOV to a segment register it refers to.
 */
int tsw_check_seg(u64 desc, u16 sel, unsigned int cpl,
                  enum tsw_seg_kind kind)
{
    unsigned int type = D_TYPE(desc), dpl = D_DPL(desc), rpl = sel & 3;

    switch ( kind )
    {
    case TSW_SEG_LDT:
        if ( D_S(desc) || type != TYPE_LDT || !D_P(desc) )
            return TSW_TS;
        return 0;
    case TSW_SEG_CS:
        if ( !D_S(desc) || !(type & TYPE_CODE) )
            return TSW_TS;
        if ( (type & TYPE_CONFORMING) ? dpl > rpl : dpl != rpl )
            return TSW_TS;
        return D_P(desc) ? 0 : TSW_NP;
    case TSW_SEG_SS:
        if ( !D_S(desc) || (type & TYPE_CODE) || !(type & TYPE_RW) ||
             rpl != cpl || dpl != cpl )
            return TSW_TS;
        return D_P(desc) ? 0 : TSW_SS;
    case TSW_SEG_DATA:
    default:
        if ( !D_S(desc) ||
             ((type & TYPE_CODE) && !(type & TYPE_RW)) )
            return TSW_TS;
        if ( (!(type & TYPE_CODE) || !(type & TYPE_CONFORMING)) &&
             (rpl > dpl || cpl > dpl) )
            return TSW_TS;
        return D_P(desc) ? 0 : TSW_NP;
    }
}

/* One switch in progress. */
struct tsw
{
    struct vcpu *v;
    const struct tsw_request *req;
    struct guest_paging pg;
    bool ext;                   /* EXT bit of error codes */
    /* The first fault, to be raised once the switch stops. */
    bool faulted;
    u8 vector;
    u32 error;
    u64 cr2;
};

static void fault(struct tsw *t, u8 vector, u32 error)
{
    if ( t->faulted )
        return;
    t->faulted = true;
    t->vector = vector;
    t->error = error;
}

static void fault_sel(struct tsw *t, u8 vector, u16 sel)
{
    fault(t, vector, (sel & 0xfffc) | (t->ext ? 1 : 0));
}

static void fault_pf(struct tsw *t, u64 la, bool write)
{
    if ( t->faulted )
        return;
    fault(t, X86_EXC_PF, write ? PF_WRITE : 0);
    t->cr2 = la;
}

static size_t page_chunk(u64 la, size_t left)
{
    size_t room = PAGE_SIZE - (la & (PAGE_SIZE - 1));

    return min(left, room);
}

/* Read linear [la, la+len); false (and a #PF noted) if a page faults. */
static bool lin_read(struct tsw *t, const struct guest_paging *pg, u64 la,
                     void *buf, size_t len)
{
    for ( size_t done = 0; done < len; )
    {
        u64 at = (u32)(la + done), gpa;
        size_t n = page_chunk(at, len - done);

        if ( guest_walk(t->v->domain, pg, at, false, &gpa) )
        {
            fault_pf(t, at, false);
            return false;
        }
        if ( copy_from_guest_phys(t->v->domain, (u8 *)buf + done, gpa, n) )
            memset((u8 *)buf + done, 0xff, n);
        done += n;
    }
    return true;
}

/* Whether every page of [la, la+len) can be written. */
static bool lin_probe_write(struct tsw *t, u64 la, size_t len)
{
    for ( size_t done = 0; done < len; )
    {
        u64 at = (u32)(la + done), gpa;

        if ( guest_walk(t->v->domain, &t->pg, at, true, &gpa) )
        {
            fault_pf(t, at, true);
            return false;
        }
        done += page_chunk(at, len - done);
    }
    return true;
}

/* Write after lin_probe_write() said yes: it cannot fault any more. */
static void lin_write(struct tsw *t, u64 la, const void *buf, size_t len)
{
    for ( size_t done = 0; done < len; )
    {
        u64 at = (u32)(la + done), gpa;
        size_t n = page_chunk(at, len - done);

        if ( !guest_walk(t->v->domain, &t->pg, at, true, &gpa) )
            (void)copy_to_guest_phys(t->v->domain, gpa,
                                     (const u8 *)buf + done, n);
        done += n;
    }
}

/* The TSS layouts (SDM Vol. 3A Figures 8-2 and 8-11). */
struct tss_layout
{
    unsigned int size;          /* bytes read from the new TSS */
    unsigned int width;         /* of EIP, EFLAGS and the GPRs */
    unsigned int eip, eflags, gprs, segs, seg_stride, nr_segs, ldt;
};

static const struct tss_layout tss32 = {
    .size = 0x68, .width = 4, .eip = 0x20, .eflags = 0x24, .gprs = 0x28,
    .segs = 0x48, .seg_stride = 4, .nr_segs = 6, .ldt = 0x60,
};
static const struct tss_layout tss16 = {
    .size = 0x2c, .width = 2, .eip = 0x0e, .eflags = 0x10, .gprs = 0x12,
    .segs = 0x22, .seg_stride = 2, .nr_segs = 4, .ldt = 0x2a,
};

static u32 get_field(const u8 *b, unsigned int off, unsigned int width)
{
    u32 v = 0;

    memcpy(&v, b + off, width);
    return v;
}

static void put_field(u8 *b, unsigned int off, unsigned int width, u32 val)
{
    memcpy(b + off, &val, width);
}

/* TSS order of the GPRs and of the segment registers. */
static const enum x86_gpr gpr_order[8] = {
    GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
};
static const enum x86_segment seg_order[6] = {
    x86_seg_es, x86_seg_cs, x86_seg_ss, x86_seg_ds, x86_seg_fs, x86_seg_gs,
};

/*
 * The descriptor 'sel' names, from the GDT or from the LDT 'ldt'
 * (unusable: none).  Outside the table is 'vec' with the selector.
 */
static bool read_desc(struct tsw *t, const struct guest_paging *pg,
                      const struct segment_register *gdtr,
                      const struct segment_register *ldt, u16 sel, u8 vec,
                      u64 *desc)
{
    const struct segment_register *tab = (sel & 4) ? ldt : gdtr;

    if ( (sel & 4) && !(ldt->attr & 0x80) )
    {
        fault_sel(t, vec, sel);
        return false;
    }
    if ( (u32)(sel | 7) > tab->limit )
    {
        fault_sel(t, vec, sel);
        return false;
    }
    return lin_read(t, pg, tab->base + (sel & ~7u), desc, 8);
}

/* The new task, read and checked before anything is written. */
struct new_task
{
    const struct tss_layout *lay;
    u8 tss[0x68];
    u32 eip, eflags, cr3, gprs[8];
    u16 segs[6], ldt_sel;
    bool trap;
    struct segment_register seg[6], ldt;
};

static bool check_new_segments(struct tsw *t, struct new_task *n,
                               const struct segment_register *gdtr)
{
    struct guest_paging pg = t->pg;
    unsigned int cpl, i;
    u64 d;

    /* The descriptors come through the new task's page tables. */
    if ( (pg.cr0 & X86_CR0_PG) && n->lay == &tss32 )
        pg.cr3 = n->cr3;

    memset(&n->ldt, 0, sizeof(n->ldt));
    n->ldt.sel = n->ldt_sel;
    if ( n->ldt_sel & 0xfffc )
    {
        if ( n->ldt_sel & 4 )
        {
            fault_sel(t, TSW_TS, n->ldt_sel);
            return false;
        }
        if ( !read_desc(t, &pg, gdtr, &n->ldt, n->ldt_sel, TSW_TS, &d) )
            return false;
        if ( tsw_check_seg(d, n->ldt_sel, 0, TSW_SEG_LDT) )
        {
            fault_sel(t, TSW_TS, n->ldt_sel);
            return false;
        }
        n->ldt.base = (u32)desc_base(d);
        n->ldt.limit = desc_limit(d);
        n->ldt.attr = desc_attr(d);
    }

    if ( n->eflags & EFLAGS_VM )
    {
        /* Virtual-8086 mode: real-mode style segments, CPL 3. */
        for ( i = 0; i < 6; i++ )
        {
            n->seg[i].sel = n->segs[i];
            n->seg[i].base = (u32)n->segs[i] << 4;
            n->seg[i].limit = 0xffff;
            n->seg[i].attr = 0xf3;
        }
        return true;
    }

    cpl = n->segs[1] & 3;
    for ( i = 0; i < 6; i++ )
    {
        u16 sel = n->segs[i];
        enum tsw_seg_kind kind = i == 1 ? TSW_SEG_CS
                                 : i == 2 ? TSW_SEG_SS : TSW_SEG_DATA;
        int vec;

        memset(&n->seg[i], 0, sizeof(n->seg[i]));
        n->seg[i].sel = sel;
        if ( !(sel & 0xfffc) )
        {
            /* A null CS or SS is #TS; a null data segment is unusable. */
            if ( kind != TSW_SEG_DATA )
            {
                fault_sel(t, TSW_TS, sel);
                return false;
            }
            continue;
        }
        if ( !read_desc(t, &pg, gdtr, &n->ldt, sel, TSW_TS, &d) )
            return false;
        vec = tsw_check_seg(d, sel, cpl, kind);
        if ( vec )
        {
            fault_sel(t, vec, sel);
            return false;
        }
        n->seg[i].base = (u32)desc_base(d);
        n->seg[i].limit = desc_limit(d);
        n->seg[i].attr = desc_attr(d);
    }
    return true;
}

static void set_busy(struct tsw *t, u64 la, bool busy)
{
    u8 b;

    if ( !lin_read(t, &t->pg, la, &b, 1) )
        return;
    b = busy ? (b | (D_BUSY >> 40)) : (b & ~(D_BUSY >> 40));
    lin_write(t, la, &b, 1);
}

/* Push the event's error code on the new task's stack (INT n, task gate). */
static void push_error(struct tsw *t, const struct new_task *n)
{
    struct vcpu *v = t->v;
    struct segment_register ss;
    unsigned int size = n->lay->width;
    u64 esp = hvm_funcs->get_reg(v, HVM_REG_RSP), mask, sp;

    hvm_funcs->get_seg(v, x86_seg_ss, &ss);
    mask = (ss.attr & (1u << 10)) ? 0xffffffffull : 0xffffull;
    sp = (esp - size) & mask;
    /*
     * The stack segment must hold the whole push, #SS(EXT) otherwise:
     * offsets up to the limit when it expands up, above it up to 64 KiB
     * or 4 GiB (by its B bit) when it expands down (SDM Vol. 3A 5.3).
     */
    if ( !(n->eflags & EFLAGS_VM) &&
         ((!(ss.attr & TYPE_EXPAND_DOWN) && sp + size - 1 > ss.limit) ||
          ((ss.attr & TYPE_EXPAND_DOWN) &&
           (sp <= ss.limit || sp + size - 1 > mask))) )
    {
        fault(t, TSW_SS, t->ext ? 1 : 0);
        return;
    }
    if ( !lin_probe_write(t, ss.base + sp, size) )
        return;
    lin_write(t, ss.base + sp, &t->req->error, size);
    hvm_funcs->set_reg(v, HVM_REG_RSP, (esp & ~mask) | sp);
}

static void raise(struct tsw *t)
{
    const struct tsw_request *req = t->req;
    u8 vec = t->vector;
    u32 err = t->error;

    if ( vec == X86_EXC_PF )
        hvm_funcs->set_reg(t->v, HVM_REG_CR2, t->cr2);
    /*
     * The switch was the delivery of an exception: the two combine as
     * on the CPU (#DF, or a shutdown).  The backend does not deliver
     * that event again (the switch was its delivery), so the common
     * hvm_raise_exception() cannot see it.
     */
    if ( req->source == TSW_GATE && req->ev_type == HVM_EVENT_EXCEPTION )
    {
        int c = x86_exception_combine(req->ev_vector, vec);

        if ( c == X86_EXC_SHUTDOWN )
        {
            hvm_crash_domain(t->v->domain, "triple fault");
            return;
        }
        if ( c != vec )
        {
            vec = c;
            err = 0;
        }
    }
    hvm_raise_exception(t->v, vec, err);
}

void hvm_task_switch(struct vcpu *v, const struct tsw_request *req)
{
    struct tsw t = { .v = v, .req = req };
    struct segment_register gdtr, tr, cur[6];
    struct new_task n;
    const struct tss_layout *old_lay;
    u8 old[0x68];
    u64 d, rflags;
    u32 old_eflags;
    u16 sel = req->sel, link;
    unsigned int i;

    t.ext = req->source == TSW_GATE && req->ev_type != HVM_EVENT_SOFTWARE;
    t.pg.cr0 = hvm_funcs->get_reg(v, HVM_REG_CR0);
    t.pg.cr3 = hvm_funcs->get_reg(v, HVM_REG_CR3);
    t.pg.cr4 = hvm_funcs->get_reg(v, HVM_REG_CR4);
    t.pg.efer = hvm_funcs->get_reg(v, HVM_REG_EFER);
    rflags = hvm_funcs->get_reg(v, HVM_REG_RFLAGS);

    /*
     * IRET ends whatever NMI blocking there is (SDM Vol. 3A 6.7.1), also
     * when the task return then faults, as the CPU clears it before a
     * VM exit for a fault in IRET (SDM Vol. 3C 28.1).  Before the
     * switch: an NMI held until now is taken in the task returned to,
     * at the next entry.
     */
    if ( req->source == TSW_IRET && hvm_funcs->set_nmi_blocking )
        hvm_funcs->set_nmi_blocking(v, false);

    if ( !(t.pg.cr0 & X86_CR0_PE) || (t.pg.efer & EFER_LMA) )
    {
        /* No tasks in real mode; IA-32e mode: #GP(0) (SDM Vol. 3A 8.7). */
        fault(&t, TSW_GP, 0);
        goto out;
    }

    hvm_funcs->get_seg(v, x86_seg_gdtr, &gdtr);
    hvm_funcs->get_seg(v, x86_seg_tr, &tr);
    for ( i = 0; i < 6; i++ )
        hvm_funcs->get_seg(v, seg_order[i], &cur[i]);
    old_lay = (tr.attr & 8) ? &tss32 : &tss16;

    /* IRET: the link field of the current TSS names the task. */
    if ( req->source == TSW_IRET )
    {
        if ( !lin_read(&t, &t.pg, tr.base, &link, 2) )
            goto out;
        sel = link;
    }

    /* A TSS descriptor lives in the GDT (Vol. 2 CALL, JMP, INT, IRET). */
    if ( (sel & 4) || !(sel & 0xfffc) || (u32)(sel | 7) > gdtr.limit )
    {
        fault_sel(&t, req->source == TSW_IRET ? TSW_TS : TSW_GP, sel);
        goto out;
    }
    if ( !lin_read(&t, &t.pg, gdtr.base + (sel & ~7u), &d, 8) )
        goto out;
    i = tsw_check_tss(d, req->source);
    if ( i )
    {
        fault_sel(&t, i, sel);
        goto out;
    }

    /* The new TSS, whole (the static and the dynamic fields). */
    memset(&n, 0, sizeof(n));
    n.lay = (D_TYPE(d) & 8) ? &tss32 : &tss16;
    if ( !lin_read(&t, &t.pg, desc_base(d), n.tss, n.lay->size) )
        goto out;
    n.eip = get_field(n.tss, n.lay->eip, n.lay->width);
    n.eflags = get_field(n.tss, n.lay->eflags, n.lay->width);
    for ( i = 0; i < 8; i++ )
        n.gprs[i] = get_field(n.tss, n.lay->gprs + i * n.lay->width,
                              n.lay->width);
    for ( i = 0; i < n.lay->nr_segs; i++ )
        n.segs[i] = get_field(n.tss, n.lay->segs + i * n.lay->seg_stride,
                              2);
    n.ldt_sel = get_field(n.tss, n.lay->ldt, 2);
    if ( n.lay == &tss32 )
    {
        n.cr3 = get_field(n.tss, 0x1c, 4);
        n.trap = n.tss[0x64] & 1;
    }
    else
        n.eflags &= ~EFLAGS_VM;     /* a 16-bit FLAGS has no VM bit */
    n.eflags = (n.eflags & EFLAGS_DEFINED) | 2;

    if ( !check_new_segments(&t, &n, &gdtr) )
        goto out;

    /*
     * Every page written below must be there before the first write
     * (8.3 step 5): the old TSS's dynamic fields, the busy bytes of both
     * descriptors, and the new TSS's link field.
     */
    if ( !lin_probe_write(&t, tr.base + old_lay->eip,
                          old_lay->segs + old_lay->nr_segs *
                          old_lay->seg_stride - old_lay->eip) ||
         !lin_probe_write(&t, gdtr.base + (tr.sel & ~7u) + 5, 1) ||
         !lin_probe_write(&t, gdtr.base + (sel & ~7u) + 5, 1) ||
         ((req->source == TSW_CALL || req->source == TSW_GATE) &&
          !lin_probe_write(&t, desc_base(d), 2)) )
        goto out;

    /*
     * With PAE paging a CR3 load also loads the four PDPTEs, which VMX
     * keeps in the VMCS: not emulated.  Refuse it openly rather than
     * run the new task on the old PDPTEs.
     */
    if ( n.lay == &tss32 && (t.pg.cr0 & X86_CR0_PG) &&
         (t.pg.cr4 & X86_CR4_PAE) && n.cr3 != (u32)t.pg.cr3 )
    {
        hvm_crash_domain(v->domain, "task switch to another CR3 under PAE "
                         "paging (not emulated)");
        return;
    }

    /* Step 7: the old task's state into its TSS; IRET clears its NT. */
    old_eflags = rflags;
    if ( req->source == TSW_IRET )
        old_eflags &= ~EFLAGS_NT;
    if ( !lin_read(&t, &t.pg, tr.base, old, old_lay->size) )
        goto out;
    put_field(old, old_lay->eip, old_lay->width, req->old_eip);
    put_field(old, old_lay->eflags, old_lay->width, old_eflags);
    for ( i = 0; i < 8; i++ )
        put_field(old, old_lay->gprs + i * old_lay->width, old_lay->width,
                  hvm_get_gpr(v, gpr_order[i]));
    for ( i = 0; i < old_lay->nr_segs; i++ )
        put_field(old, old_lay->segs + i * old_lay->seg_stride, 2,
                  cur[i].sel);
    lin_write(&t, tr.base + old_lay->eip, old + old_lay->eip,
              old_lay->segs + old_lay->nr_segs * old_lay->seg_stride -
              old_lay->eip);

    /*
     * Busy bits (8.3 steps 6 and 9, 8.4.1): JMP and IRET free the old
     * task; CALL, JMP and events mark the new one busy (IRET returns to
     * a busy one).  CALL and events link the new task back to the old
     * and set NT in it.
     */
    if ( req->source == TSW_JMP || req->source == TSW_IRET )
        set_busy(&t, gdtr.base + (tr.sel & ~7u) + 5, false);
    if ( req->source != TSW_IRET )
    {
        set_busy(&t, gdtr.base + (sel & ~7u) + 5, true);
        d |= D_BUSY;
    }
    if ( req->source == TSW_CALL || req->source == TSW_GATE )
    {
        link = tr.sel;
        lin_write(&t, desc_base(d), &link, 2);
        n.eflags |= EFLAGS_NT;
    }

    /* Step 10: TR, CR0.TS, CR3, LDTR, the registers, the segments. */
    tr.sel = sel;
    tr.base = (u32)desc_base(d);
    tr.limit = desc_limit(d);
    tr.attr = desc_attr(d);
    hvm_funcs->set_seg(v, x86_seg_tr, &tr);
    hvm_funcs->set_reg(v, HVM_REG_CR0, t.pg.cr0 | X86_CR0_TS);
    /* Local breakpoints end with their task (SDM Vol. 3B 18.2.4). */
    hvm_funcs->set_reg(v, HVM_REG_DR7,
                       hvm_funcs->get_reg(v, HVM_REG_DR7) & ~DR7_LOCAL);
    if ( n.lay == &tss32 && (t.pg.cr0 & X86_CR0_PG) )
    {
        /* A CR3 load drops the old task's translations, same value too. */
        hvm_funcs->set_reg(v, HVM_REG_CR3, n.cr3);
        if ( hvm_funcs->flush_guest_tlb )
            hvm_funcs->flush_guest_tlb(v);
        t.pg.cr3 = n.cr3;
    }
    hvm_funcs->set_seg(v, x86_seg_ldtr, &n.ldt);
    for ( i = 0; i < 6; i++ )
        hvm_funcs->set_seg(v, seg_order[i], &n.seg[i]);
    for ( i = 0; i < 8; i++ )
        hvm_set_gpr(v, gpr_order[i], n.gprs[i]);
    hvm_funcs->set_reg(v, HVM_REG_RIP, n.eip);
    hvm_funcs->set_reg(v, HVM_REG_RFLAGS, n.eflags);
    hvm_funcs->set_reg(v, HVM_REG_INTR_SHADOW, 0);

    /*
     * Delivering an NMI through the gate blocks NMIs until the IRET that
     * ends the NMI task (SDM Vol. 3A 6.7.1; with virtual NMIs the CPU
     * has set that blocking before the exit, SDM Vol. 3C 28.1).
     */
    if ( req->source == TSW_GATE && req->ev_type == HVM_EVENT_NMI &&
         hvm_funcs->set_nmi_blocking )
        hvm_funcs->set_nmi_blocking(v, true);

    /* In the new task: the error code, the EIP check, the T bit. */
    if ( req->source == TSW_GATE && req->has_error )
        push_error(&t, &n);
    if ( !t.faulted && n.eip > n.seg[1].limit )
        fault(&t, TSW_GP, t.ext ? 1 : 0);
    if ( !t.faulted && n.trap )
    {
        hvm_funcs->set_reg(v, HVM_REG_DR6,
                           hvm_funcs->get_reg(v, HVM_REG_DR6) | DR6_BT);
        fault(&t, X86_EXC_DB, 0);
    }

 out:
    if ( t.faulted )
        raise(&t);
}

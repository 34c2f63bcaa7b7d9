/*
 * Unit tests for the task-switch emulator (xen/arch/x86/hvm/task_switch.c,
 * compiled into this file): the descriptor checks against SDM Vol. 3A
 * Table 8-1 and the Vol. 2 pseudocode of CALL, JMP, INT n and IRET, and
 * whole switches over a fake backend (registers, segments, NMI blocking)
 * and 1 MiB of flat guest memory with paging off: what lands in the old
 * TSS, busy bits, link and NT, the new registers, the error code pushed,
 * and the exception (vector and error code) for bad TSSes, with nothing
 * written when a check fails.
 */
#include "../../xen/arch/x86/hvm/task_switch.c"

#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "stubs.h"

/* --- doubles --- */

#define MEM_SIZE    (1u << 20)
static u8 mem[MEM_SIZE];
static bool pf_at_page[MEM_SIZE >> 12];    /* the walk refuses it */

int guest_walk(struct domain *d, const struct guest_paging *pg, u64 va,
               bool write, u64 *gpa)
{
    (void)d; (void)pg; (void)write;
    if ( va < MEM_SIZE && pf_at_page[va >> 12] )
        return -EFAULT;
    *gpa = va;
    return 0;
}

int copy_from_guest_phys(struct domain *d, void *dst, u64 gpa, size_t len)
{
    (void)d;
    if ( gpa + len > MEM_SIZE )
        return -EFAULT;
    memcpy(dst, mem + gpa, len);
    return 0;
}

int copy_to_guest_phys(struct domain *d, u64 gpa, const void *src,
                       size_t len)
{
    (void)d;
    if ( gpa + len > MEM_SIZE )
        return -EFAULT;
    memcpy(mem + gpa, src, len);
    return 0;
}

static struct
{
    u64 reg[HVM_REG_NR];
    struct segment_register seg[10];
    int nmi_blocking;           /* -1: never set */
    int raised;                 /* vector, -1: none */
    u32 raised_err;
    unsigned int raises;
    unsigned int tlb_flushes;
    bool crashed;
} f;

static u64 f_get_reg(struct vcpu *v, enum hvm_reg r)
{
    (void)v;
    return f.reg[r];
}

static void f_set_reg(struct vcpu *v, enum hvm_reg r, u64 val)
{
    (void)v;
    f.reg[r] = val;
}

static void f_get_seg(struct vcpu *v, enum x86_segment s,
                      struct segment_register *reg)
{
    (void)v;
    *reg = f.seg[s];
}

static void f_set_seg(struct vcpu *v, enum x86_segment s,
                      const struct segment_register *reg)
{
    (void)v;
    f.seg[s] = *reg;
}

static void f_set_nmi_blocking(struct vcpu *v, bool blocked)
{
    (void)v;
    f.nmi_blocking = blocked;
}

static void f_flush_guest_tlb(struct vcpu *v)
{
    (void)v;
    f.tlb_flushes++;
}

static const struct hvm_funcs fake = {
    .get_reg = f_get_reg, .set_reg = f_set_reg,
    .get_seg = f_get_seg, .set_seg = f_set_seg,
    .set_nmi_blocking = f_set_nmi_blocking,
    .flush_guest_tlb = f_flush_guest_tlb,
};
const struct hvm_funcs *hvm_funcs = &fake;

void hvm_raise_exception(struct vcpu *v, u8 vector, u32 error)
{
    (void)v;
    f.raised = vector;
    f.raised_err = error;
    f.raises++;
}

void hvm_crash_domain(struct domain *d, const char *why)
{
    (void)d; (void)why;
    f.crashed = true;
}

/* --- a guest: GDT at 0x1000, TSSes at 0x2000 (main) and 0x3000 --- */

#define GDT         0x1000u
#define TSS_MAIN    0x2000u
#define TSS_NEW     0x3000u
#define STACK_TOP   0x9000u
#define S_CODE      0x08
#define S_DATA      0x10
#define S_MAIN      0x18
#define S_NEW       0x20
#define S_LDT       0x28

static struct domain dom;
static struct hvm_vcpu hv;
static struct vcpu vc = { .domain = &dom, .hvm = &hv };

static u64 mkdesc(u32 base, u32 limit, unsigned int type, bool s,
                  unsigned int dpl, bool p, bool db, bool g)
{
    return (limit & 0xffff) | ((u64)(base & 0xffffff) << 16) |
           ((u64)type << 40) | ((u64)s << 44) | ((u64)dpl << 45) |
           ((u64)p << 47) | ((u64)((limit >> 16) & 0xf) << 48) |
           ((u64)db << 54) | ((u64)g << 55) | ((u64)(base >> 24) << 56);
}

static void set_gdt(unsigned int sel, u64 d)
{
    memcpy(mem + GDT + (sel & ~7u), &d, 8);
}

static u64 gdt_entry(unsigned int sel)
{
    u64 d;

    memcpy(&d, mem + GDT + (sel & ~7u), 8);
    return d;
}

static u32 rd32(u32 a)
{
    u32 v;

    memcpy(&v, mem + a, 4);
    return v;
}

static u16 rd16(u32 a)
{
    u16 v;

    memcpy(&v, mem + a, 2);
    return v;
}

static void wr32(u32 a, u32 v)
{
    memcpy(mem + a, &v, 4);
}

static void wr16(u32 a, u16 v)
{
    memcpy(mem + a, &v, 2);
}

/* Flat code and data, a busy main TSS in TR, an available new TSS. */
static void setup(void)
{
    struct segment_register flat_cs = { S_CODE, 0xc9b, 0xffffffff, 0 };
    struct segment_register flat_ds = { S_DATA, 0xc93, 0xffffffff, 0 };

    memset(mem, 0, sizeof(mem));
    memset(pf_at_page, 0, sizeof(pf_at_page));
    memset(&f, 0, sizeof(f));
    memset(&hv, 0, sizeof(hv));
    f.nmi_blocking = -1;
    f.raised = -1;
    stub_reset();

    set_gdt(S_CODE, mkdesc(0, 0xfffff, 0xb, true, 0, true, true, true));
    set_gdt(S_DATA, mkdesc(0, 0xfffff, 0x3, true, 0, true, true, true));
    set_gdt(S_MAIN, mkdesc(TSS_MAIN, 0x67, 0xb, false, 0, true, false,
                           false));
    set_gdt(S_NEW, mkdesc(TSS_NEW, 0x67, 0x9, false, 0, true, false, false));

    f.reg[HVM_REG_CR0] = X86_CR0_PE | 0x10;
    f.reg[HVM_REG_RFLAGS] = 0x202 | 0x80;   /* IF, SF */
    f.reg[HVM_REG_RAX] = 0x1111;
    f.reg[HVM_REG_RSP] = 0x7ff0;
    f.reg[HVM_REG_RIP] = 0x4000;
    f.reg[HVM_REG_DR7] = 0x4ff;             /* L0-L3 and G0-G3 */
    hv.gprs.rcx = 0x2222;
    hv.gprs.rdx = 0x3333;
    hv.gprs.rbx = 0x4444;
    hv.gprs.rbp = 0x5555;
    hv.gprs.rsi = 0x6666;
    hv.gprs.rdi = 0x7777;
    f.seg[x86_seg_cs] = flat_cs;
    f.seg[x86_seg_ss] = f.seg[x86_seg_ds] = f.seg[x86_seg_es] = flat_ds;
    f.seg[x86_seg_fs] = f.seg[x86_seg_gs] = flat_ds;
    f.seg[x86_seg_gdtr].base = GDT;
    f.seg[x86_seg_gdtr].limit = 0x3f;
    f.seg[x86_seg_tr] = (struct segment_register){ S_MAIN, 0x8b, 0x67,
                                                   TSS_MAIN };

    /* The new task. */
    wr32(TSS_NEW + 0x1c, 0);                /* CR3 */
    wr32(TSS_NEW + 0x20, 0x5000);           /* EIP */
    wr32(TSS_NEW + 0x24, 0x2);              /* EFLAGS */
    for ( unsigned int i = 0; i < 8; i++ )
        wr32(TSS_NEW + 0x28 + 4 * i, 0xa0 + i);
    wr32(TSS_NEW + 0x38, STACK_TOP);        /* ESP */
    wr16(TSS_NEW + 0x48, S_DATA);           /* ES */
    wr16(TSS_NEW + 0x4c, S_CODE);           /* CS */
    wr16(TSS_NEW + 0x50, S_DATA);           /* SS */
    wr16(TSS_NEW + 0x54, S_DATA);           /* DS */
}

static struct tsw_request req(enum tsw_source src)
{
    struct tsw_request r = {
        .source = src, .sel = S_NEW, .old_eip = 0x4007,
    };

    return r;
}

static bool busy(unsigned int sel)
{
    return gdt_entry(sel) & D_BUSY;
}

/* --- descriptor checks --- */

TEST(tss_descriptor_checks)
{
    u64 avail = mkdesc(0x1000, 0x67, 0x9, false, 0, true, false, false);
    u64 busyd = mkdesc(0x1000, 0x67, 0xb, false, 0, true, false, false);

    CHECK_EQ(tsw_check_tss(avail, TSW_CALL), 0);
    CHECK_EQ(tsw_check_tss(avail, TSW_GATE), 0);
    CHECK_EQ(tsw_check_tss(busyd, TSW_IRET), 0);
    /* Busy for CALL/JMP/gate: #GP; available for IRET: #TS. */
    CHECK_EQ(tsw_check_tss(busyd, TSW_JMP), TSW_GP);
    CHECK_EQ(tsw_check_tss(busyd, TSW_GATE), TSW_GP);
    CHECK_EQ(tsw_check_tss(avail, TSW_IRET), TSW_TS);
    /* Not a TSS at all (LDT, data segment). */
    CHECK_EQ(tsw_check_tss(mkdesc(0, 0x67, 0x2, false, 0, true, false,
                                  false), TSW_CALL), TSW_GP);
    CHECK_EQ(tsw_check_tss(mkdesc(0, 0x67, 0xb, true, 0, true, false,
                                  false), TSW_IRET), TSW_TS);
    /* Not present: #NP; limit below 67H (2BH for 16 bits): #TS. */
    CHECK_EQ(tsw_check_tss(mkdesc(0, 0x67, 0x9, false, 0, false, false,
                                  false), TSW_CALL), TSW_NP);
    CHECK_EQ(tsw_check_tss(mkdesc(0, 0x66, 0x9, false, 0, true, false,
                                  false), TSW_CALL), TSW_TS);
    CHECK_EQ(tsw_check_tss(mkdesc(0, 0x2b, 0x1, false, 0, true, false,
                                  false), TSW_CALL), 0);
    CHECK_EQ(tsw_check_tss(mkdesc(0, 0x2a, 0x1, false, 0, true, false,
                                  false), TSW_CALL), TSW_TS);
}

TEST(segment_descriptor_checks)
{
    u64 code0 = mkdesc(0, 0xfffff, 0xb, true, 0, true, true, true);
    u64 code3 = mkdesc(0, 0xfffff, 0xb, true, 3, true, true, true);
    u64 conf0 = mkdesc(0, 0xfffff, 0xf, true, 0, true, true, true);
    u64 xonly = mkdesc(0, 0xfffff, 0x9, true, 0, true, true, true);
    u64 data0 = mkdesc(0, 0xfffff, 0x3, true, 0, true, true, true);
    u64 rodata = mkdesc(0, 0xfffff, 0x1, true, 3, true, true, true);
    u64 data3 = mkdesc(0, 0xfffff, 0x3, true, 3, true, true, true);
    u64 np = mkdesc(0, 0xfffff, 0x3, true, 0, false, true, true);
    u64 ldt = mkdesc(0, 0xff, 0x2, false, 0, true, false, false);

    CHECK_EQ(tsw_check_seg(code0, 0x08, 0, TSW_SEG_CS), 0);
    CHECK_EQ(tsw_check_seg(code3, 0x08, 0, TSW_SEG_CS), TSW_TS);
    CHECK_EQ(tsw_check_seg(conf0, 0x0b, 3, TSW_SEG_CS), 0);
    CHECK_EQ(tsw_check_seg(data0, 0x08, 0, TSW_SEG_CS), TSW_TS);
    CHECK_EQ(tsw_check_seg(mkdesc(0, 0xfffff, 0xb, true, 0, false, true,
                                  true), 0x08, 0, TSW_SEG_CS), TSW_NP);
    CHECK_EQ(tsw_check_seg(data0, 0x10, 0, TSW_SEG_SS), 0);
    CHECK_EQ(tsw_check_seg(data3, 0x13, 0, TSW_SEG_SS), TSW_TS);
    CHECK_EQ(tsw_check_seg(rodata, 0x13, 3, TSW_SEG_SS), TSW_TS);
    CHECK_EQ(tsw_check_seg(np, 0x10, 0, TSW_SEG_SS), TSW_SS);
    CHECK_EQ(tsw_check_seg(data3, 0x13, 0, TSW_SEG_DATA), 0);
    CHECK_EQ(tsw_check_seg(data0, 0x13, 0, TSW_SEG_DATA), TSW_TS);
    CHECK_EQ(tsw_check_seg(data0, 0x10, 3, TSW_SEG_DATA), TSW_TS);
    CHECK_EQ(tsw_check_seg(conf0, 0x13, 3, TSW_SEG_DATA), 0);
    CHECK_EQ(tsw_check_seg(xonly, 0x10, 0, TSW_SEG_DATA), TSW_TS);
    CHECK_EQ(tsw_check_seg(np, 0x10, 0, TSW_SEG_DATA), TSW_NP);
    CHECK_EQ(tsw_check_seg(ldt, 0x28, 0, TSW_SEG_LDT), 0);
    CHECK_EQ(tsw_check_seg(data0, 0x28, 0, TSW_SEG_LDT), TSW_TS);
    CHECK_EQ(tsw_check_seg(mkdesc(0, 0xff, 0x2, false, 0, false, false,
                                  false), 0x28, 0, TSW_SEG_LDT), TSW_TS);
}

/* --- whole switches --- */

TEST(call_saves_the_old_task_links_and_loads_the_new)
{
    struct tsw_request r;

    setup();
    r = req(TSW_CALL);
    hvm_task_switch(&vc, &r);
    CHECK_EQ(f.raised, -1);
    /* Old TSS: EIP after the CALL, EFLAGS, GPRs, selectors. */
    CHECK_EQ(rd32(TSS_MAIN + 0x20), 0x4007u);
    CHECK_EQ(rd32(TSS_MAIN + 0x24), 0x282u);
    CHECK_EQ(rd32(TSS_MAIN + 0x28), 0x1111u);
    CHECK_EQ(rd32(TSS_MAIN + 0x2c), 0x2222u);
    CHECK_EQ(rd32(TSS_MAIN + 0x38), 0x7ff0u);
    CHECK_EQ(rd32(TSS_MAIN + 0x44), 0x7777u);
    CHECK_EQ(rd16(TSS_MAIN + 0x4c), S_CODE);
    CHECK_EQ(rd16(TSS_MAIN + 0x50), S_DATA);
    /* Both busy, linked back, NT and CR0.TS set. */
    CHECK(busy(S_MAIN));
    CHECK(busy(S_NEW));
    CHECK_EQ(rd16(TSS_NEW), S_MAIN);
    CHECK_EQ(f.reg[HVM_REG_RFLAGS], 0x2u | EFLAGS_NT);
    CHECK(f.reg[HVM_REG_CR0] & X86_CR0_TS);
    /* Local breakpoints cleared, global ones kept. */
    CHECK_EQ(f.reg[HVM_REG_DR7], 0x4aau);
    /* The new task's state and TR. */
    CHECK_EQ(f.reg[HVM_REG_RIP], 0x5000u);
    CHECK_EQ(f.reg[HVM_REG_RAX], 0xa0u);
    CHECK_EQ(hv.gprs.rcx, 0xa1u);
    CHECK_EQ(f.reg[HVM_REG_RSP], (u64)STACK_TOP);
    CHECK_EQ(hv.gprs.rdi, 0xa7u);
    CHECK_EQ(f.seg[x86_seg_tr].sel, S_NEW);
    CHECK_EQ(f.seg[x86_seg_tr].base, (u64)TSS_NEW);
    CHECK_EQ(f.seg[x86_seg_tr].attr & 0xf, 0xbu);
    CHECK_EQ(f.seg[x86_seg_cs].sel, S_CODE);
    CHECK_EQ(f.seg[x86_seg_cs].attr, 0xc9bu);
    CHECK_EQ(f.seg[x86_seg_fs].attr & 0x80, 0u);   /* null: unusable */
    CHECK_EQ(f.nmi_blocking, -1);
}

TEST(iret_returns_frees_the_old_task_and_unblocks_nmis)
{
    struct tsw_request r;

    setup();
    /* In the new task, called from main: IRET goes back. */
    set_gdt(S_NEW, gdt_entry(S_NEW) | D_BUSY);
    wr32(TSS_MAIN + 0x20, 0x4007);
    wr32(TSS_MAIN + 0x24, 0x202);
    wr16(TSS_MAIN + 0x4c, S_CODE);
    wr16(TSS_MAIN + 0x50, S_DATA);
    wr16(TSS_NEW, S_MAIN);
    f.seg[x86_seg_tr] = (struct segment_register){ S_NEW, 0x8b, 0x67,
                                                   TSS_NEW };
    f.reg[HVM_REG_RFLAGS] = 0x2 | EFLAGS_NT;
    r = req(TSW_IRET);
    r.sel = 0;                      /* IRET reads the link itself */
    r.old_eip = 0x5001;
    hvm_task_switch(&vc, &r);
    CHECK_EQ(f.raised, -1);
    CHECK_EQ(f.nmi_blocking, 0);
    CHECK(!busy(S_NEW));
    CHECK(busy(S_MAIN));
    /* The abandoned task's image has NT clear; main's EFLAGS as saved. */
    CHECK_EQ(rd32(TSS_NEW + 0x24), 0x2u);
    CHECK_EQ(rd32(TSS_NEW + 0x20), 0x5001u);
    CHECK_EQ(f.reg[HVM_REG_RFLAGS], 0x202u);
    CHECK_EQ(f.reg[HVM_REG_RIP], 0x4007u);
    CHECK_EQ(f.seg[x86_seg_tr].sel, S_MAIN);
}

TEST(jmp_frees_the_old_task_without_a_link)
{
    struct tsw_request r;

    setup();
    r = req(TSW_JMP);
    hvm_task_switch(&vc, &r);
    CHECK_EQ(f.raised, -1);
    CHECK(!busy(S_MAIN));
    CHECK(busy(S_NEW));
    CHECK_EQ(rd16(TSS_NEW), 0u);
    CHECK_EQ(f.reg[HVM_REG_RFLAGS] & EFLAGS_NT, 0u);
}

TEST(nmi_through_a_gate_blocks_and_an_error_code_is_pushed)
{
    struct tsw_request r;

    setup();
    r = req(TSW_GATE);
    r.ev_type = HVM_EVENT_NMI;
    r.ev_vector = 2;
    r.old_eip = 0x4000;
    hvm_task_switch(&vc, &r);
    CHECK_EQ(f.raised, -1);
    CHECK_EQ(f.nmi_blocking, 1);
    CHECK_EQ(rd32(TSS_MAIN + 0x20), 0x4000u);
    CHECK_EQ(rd16(TSS_NEW), S_MAIN);

    setup();
    r = req(TSW_GATE);
    r.ev_type = HVM_EVENT_EXCEPTION;
    r.ev_vector = 13;
    r.has_error = true;
    r.error = 0x1234;
    hvm_task_switch(&vc, &r);
    CHECK_EQ(f.raised, -1);
    CHECK_EQ(f.reg[HVM_REG_RSP], (u64)STACK_TOP - 4);
    CHECK_EQ(rd32(STACK_TOP - 4), 0x1234u);
}

/* A failed check raises its exception and changes nothing. */
static void expect_fault(const struct tsw_request *r, int vec, u32 err)
{
    static u8 before[MEM_SIZE];
    u64 regs[HVM_REG_NR];

    memcpy(before, mem, sizeof(before));
    memcpy(regs, f.reg, sizeof(regs));
    hvm_task_switch(&vc, r);
    CHECK_EQ(f.raised, vec);
    CHECK_EQ(f.raised_err, err);
    CHECK_EQ(f.raises, 1u);
    CHECK(!memcmp(before, mem, sizeof(before)));
    /* A #PF sets CR2 (checked by the caller), nothing else moves. */
    regs[HVM_REG_CR2] = f.reg[HVM_REG_CR2];
    CHECK(!memcmp(regs, f.reg, sizeof(regs)));
    CHECK_EQ(f.seg[x86_seg_tr].sel, S_MAIN);
}

TEST(bad_new_tss_raises_the_sdm_exception_with_the_selector)
{
    struct tsw_request r;

    /* Not present: #NP(sel); through a gate for an NMI: EXT set. */
    setup();
    set_gdt(S_NEW, gdt_entry(S_NEW) & ~(1ull << 47));
    r = req(TSW_CALL);
    expect_fault(&r, TSW_NP, S_NEW);
    setup();
    set_gdt(S_NEW, gdt_entry(S_NEW) & ~(1ull << 47));
    r = req(TSW_GATE);
    r.ev_type = HVM_EVENT_NMI;
    r.ev_vector = 2;
    expect_fault(&r, TSW_NP, S_NEW | 1);

    /* Busy for CALL: #GP(sel).  Limit 66H: #TS(sel). */
    setup();
    r = req(TSW_CALL);
    r.sel = S_MAIN;
    expect_fault(&r, TSW_GP, S_MAIN);
    setup();
    set_gdt(S_NEW, mkdesc(TSS_NEW, 0x66, 0x9, false, 0, true, false,
                          false));
    r = req(TSW_JMP);
    expect_fault(&r, TSW_TS, S_NEW);

    /* A TSS selector in the LDT or beyond the GDT: #GP(sel). */
    setup();
    r = req(TSW_CALL);
    r.sel = S_NEW | 4;
    expect_fault(&r, TSW_GP, S_NEW | 4);
    setup();
    r = req(TSW_JMP);
    r.sel = 0x40;
    expect_fault(&r, TSW_GP, 0x40);

    /* IRET to an available task: #TS(link). */
    setup();
    wr16(TSS_MAIN, S_NEW);
    f.reg[HVM_REG_RFLAGS] |= EFLAGS_NT;
    r = req(TSW_IRET);
    expect_fault(&r, TSW_TS, S_NEW);
}

TEST(bad_segments_in_the_new_tss)
{
    struct tsw_request r;

    /* CS null: #TS(0); CS a data segment: #TS(CS). */
    setup();
    wr16(TSS_NEW + 0x4c, 0);
    r = req(TSW_CALL);
    expect_fault(&r, TSW_TS, 0);
    setup();
    wr16(TSS_NEW + 0x4c, S_DATA);
    r = req(TSW_CALL);
    expect_fault(&r, TSW_TS, S_DATA);

    /* SS not present: #SS(SS); DS not present: #NP(DS). */
    setup();
    set_gdt(0x30, mkdesc(0, 0xfffff, 0x3, true, 0, false, true, true));
    wr16(TSS_NEW + 0x50, 0x30);
    r = req(TSW_CALL);
    expect_fault(&r, TSW_SS, 0x30);
    setup();
    set_gdt(0x30, mkdesc(0, 0xfffff, 0x3, true, 0, false, true, true));
    wr16(TSS_NEW + 0x54, 0x30);
    r = req(TSW_CALL);
    expect_fault(&r, TSW_NP, 0x30);

    /* An LDT selector that is not an LDT: #TS(LDT). */
    setup();
    wr16(TSS_NEW + 0x60, S_DATA);
    r = req(TSW_CALL);
    expect_fault(&r, TSW_TS, S_DATA);

    /* A segment from a valid LDT is loaded. */
    setup();
    set_gdt(S_LDT, mkdesc(0x6000, 0xf, 0x2, false, 0, true, false, false));
    {
        u64 d = mkdesc(0x100000 - 0x1000, 0xfff, 0x3, true, 0, true, true,
                       false);

        memcpy(mem + 0x6008, &d, 8);
    }
    wr16(TSS_NEW + 0x60, S_LDT);
    wr16(TSS_NEW + 0x54, 0x0c);     /* index 1, TI */
    r = req(TSW_CALL);
    hvm_task_switch(&vc, &r);
    CHECK_EQ(f.raised, -1);
    CHECK_EQ(f.seg[x86_seg_ldtr].base, 0x6000u);
    CHECK_EQ(f.seg[x86_seg_ds].base, (u64)MEM_SIZE - 0x1000);
}

TEST(unmapped_tss_is_a_page_fault_and_nothing_changes)
{
    struct tsw_request r;

    setup();
    pf_at_page[TSS_NEW >> 12] = true;
    r = req(TSW_CALL);
    expect_fault(&r, X86_EXC_PF, 0);
    CHECK_EQ(f.reg[HVM_REG_CR2], (u64)TSS_NEW);

    /* The old TSS not writable: #PF(W) before anything is written. */
    setup();
    pf_at_page[TSS_MAIN >> 12] = true;
    r = req(TSW_CALL);
    hvm_task_switch(&vc, &r);
    CHECK_EQ(f.raised, X86_EXC_PF);
    CHECK(!busy(S_NEW));
    CHECK_EQ(f.seg[x86_seg_tr].sel, S_MAIN);
}

TEST(fault_while_delivering_an_exception_is_a_double_fault)
{
    struct tsw_request r;

    setup();
    set_gdt(S_NEW, gdt_entry(S_NEW) & ~(1ull << 47));
    r = req(TSW_GATE);
    r.ev_type = HVM_EVENT_EXCEPTION;
    r.ev_vector = 13;
    r.has_error = true;
    hvm_task_switch(&vc, &r);
    CHECK_EQ(f.raised, X86_EXC_DF);
    CHECK_EQ(f.raised_err, 0u);
}

TEST(sixteen_bit_tss)
{
    struct tsw_request r;

    setup();
    set_gdt(S_NEW, mkdesc(TSS_NEW, 0x2b, 0x1, false, 0, true, false,
                          false));
    memset(mem + TSS_NEW, 0, 0x68);
    wr16(TSS_NEW + 0x0e, 0x1234);           /* IP */
    wr16(TSS_NEW + 0x10, 0x0002);           /* FLAGS */
    wr16(TSS_NEW + 0x12, 0xaaaa);           /* AX */
    wr16(TSS_NEW + 0x1a, 0x8000);           /* SP */
    wr16(TSS_NEW + 0x22, S_DATA);           /* ES */
    wr16(TSS_NEW + 0x24, S_CODE);           /* CS */
    wr16(TSS_NEW + 0x26, S_DATA);           /* SS */
    wr16(TSS_NEW + 0x28, S_DATA);           /* DS */
    r = req(TSW_CALL);
    hvm_task_switch(&vc, &r);
    CHECK_EQ(f.raised, -1);
    CHECK_EQ(f.reg[HVM_REG_RIP], 0x1234u);
    CHECK_EQ(f.reg[HVM_REG_RAX], 0xaaaau);
    CHECK_EQ(f.reg[HVM_REG_RSP], 0x8000u);
    CHECK_EQ(f.seg[x86_seg_fs].sel, 0u);
    CHECK_EQ(f.seg[x86_seg_tr].attr & 0xf, 0x3u);
    CHECK_EQ(rd16(TSS_NEW), S_MAIN);
}

/*
 * An error code pushed on an expand-down stack (SDM Vol. 3A 5.3): at or
 * below the limit it is outside the segment, #SS(EXT) and nothing
 * written; above the limit it goes on the stack.
 */
TEST(error_push_on_expand_down_stack)
{
    struct tsw_request r;

    setup();
    set_gdt(0x30, mkdesc(0, 0xffff, 0x7, true, 0, true, true, false));
    wr16(TSS_NEW + 0x50, 0x30);
    /* #AC: benign, so the #SS is not combined into a #DF. */
    r = req(TSW_GATE);
    r.ev_type = HVM_EVENT_EXCEPTION;
    r.ev_vector = 17;
    r.has_error = true;
    r.error = 0x1234;
    hvm_task_switch(&vc, &r);
    CHECK_EQ(f.raised, TSW_SS);
    CHECK_EQ(rd32(STACK_TOP - 4), 0u);

    setup();
    set_gdt(0x30, mkdesc(0, 0x0fff, 0x7, true, 0, true, true, false));
    wr16(TSS_NEW + 0x50, 0x30);
    hvm_task_switch(&vc, &r);
    CHECK_EQ(f.raised, -1);
    CHECK_EQ(rd32(STACK_TOP - 4), 0x1234u);
}

/* A CR3 loaded from the new TSS drops the guest's translations. */
TEST(cr3_load_flushes_the_guest_tlb)
{
    struct tsw_request r;

    setup();
    f.reg[HVM_REG_CR0] |= X86_CR0_PG;
    f.reg[HVM_REG_CR3] = 0x10000;
    wr32(TSS_NEW + 0x1c, 0x20000);
    r = req(TSW_CALL);
    hvm_task_switch(&vc, &r);
    CHECK_EQ(f.raised, -1);
    CHECK_EQ(f.reg[HVM_REG_CR3], 0x20000u);
    CHECK_EQ(f.tlb_flushes, 1u);
}

/*
 * Hardware task switches, emulated for HVM guests (task_switch.c): the
 * common part both backends call when the guest switches tasks through
 * CALL, JMP, IRET or a task gate in the IDT.
 */
#ifndef ASM_X86_HVM_TASK_SWITCH_H
#define ASM_X86_HVM_TASK_SWITCH_H

#include <xen/types.h>

struct vcpu;

/* What started the switch (the VMX exit qualification's order). */
enum tsw_source
{
    TSW_CALL,                   /* CALL to a TSS or a task gate */
    TSW_IRET,                   /* IRET with EFLAGS.NT = 1 */
    TSW_JMP,                    /* JMP to a TSS or a task gate */
    TSW_GATE,                   /* an event through a task gate in the IDT */
};

struct tsw_request
{
    enum tsw_source source;
    u16 sel;                    /* the new TSS (IRET: read from the link) */
    u64 old_eip;                /* EIP saved in the outgoing task */
    /* TSW_GATE: the event being delivered (HVM_EVENT_* type). */
    unsigned int ev_type;
    u8 ev_vector;
    bool has_error;             /* push error on the new task's stack */
    u32 error;
};

/* Emulate the switch; faults are raised in the guest as hardware does. */
void hvm_task_switch(struct vcpu *v, const struct tsw_request *req);

/*
 * The pure checks, for the unit tests.  A descriptor is the 8 bytes of
 * a GDT or LDT entry.  Each returns 0 when the check passes, else the
 * exception vector (10 #TS, 11 #NP, 12 #SS, 13 #GP); the error code is
 * the selector's with EXT as the caller knows it.
 */
#define TSW_TS          10
#define TSW_NP          11
#define TSW_SS          12
#define TSW_GP          13

/*
 * A GDT or LDT descriptor's base, limit (scaled by G) and attributes in
 * struct segment_register's packed form.
 */
static inline u64 desc_base(u64 d)
{
    return ((d >> 16) & 0xffffff) | ((d >> 56) << 24);
}

static inline u32 desc_limit(u64 d)
{
    u32 l = (d & 0xffff) | ((d >> 32) & 0xf0000);

    return (d & (1ull << 55)) ? (l << 12) | 0xfff : l;
}

static inline u16 desc_attr(u64 d)
{
    return ((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 8);
}

/* The new TSS descriptor (SDM Vol. 3A 8.3 steps 2-4, Table 8-1). */
int tsw_check_tss(u64 desc, enum tsw_source source);

/* A segment register the new task loads (SDM Vol. 3A Table 8-1). */
enum tsw_seg_kind
{
    TSW_SEG_CS, TSW_SEG_SS, TSW_SEG_DATA, TSW_SEG_LDT,
};
int tsw_check_seg(u64 desc, u16 sel, unsigned int cpl,
                  enum tsw_seg_kind kind);

#endif /* ASM_X86_HVM_TASK_SWITCH_H */

/*
 * Decoding and emulating the instructions a guest uses to touch MMIO (the
 * xAPIC page, the IOAPIC): every instruction that reads or writes one
 * memory operand once - the MOV family, the ALU operations, XCHG, XADD,
 * CMPXCHG, the bit tests - in all its sizes and addressing forms, and
 * the string instructions MOVS, CMPS, STOS, LODS and SCAS one element at
 * a time.  Both are pure: instruction bytes, guest registers and (for
 * the string elements) guest memory come through the caller's callbacks.
 */
#ifndef ASM_X86_HVM_EMULATE_H
#define ASM_X86_HVM_EMULATE_H

#include <xen/types.h>

/* Guest general registers, in the hardware encoding order. */
enum x86_gpr
{
    GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
    GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
    GPR_NR
};

/* The guest's execution mode, which sets operand and address sizes. */
enum x86_mode
{
    X86_MODE_REAL,          /* 16-bit defaults */
    X86_MODE_PROT16,        /* protected mode, CS.D = 0 */
    X86_MODE_PROT32,        /* protected mode, CS.D = 1 */
    X86_MODE_LONG64,        /* 64-bit mode (CS.L = 1) */
};

#define X86_MAX_INSN_LEN 15

/* What one MMIO instruction does, once decoded. */
struct mmio_insn
{
    unsigned int len;           /* bytes, to advance RIP by */
    unsigned int size;          /* memory access width: 1, 2, 4 or 8 */
    bool write;                 /* store to memory (else load) */
    enum
    {
        MMIO_MOV,               /* mov reg/imm -> mem, or mem -> reg */
        MMIO_MOVZX,             /* movzx reg, mem8/16 */
        MMIO_MOVSX,             /* movsx/movsxd reg, mem */
        MMIO_AND, MMIO_OR, MMIO_XOR, MMIO_ADD, MMIO_SUB, /* dst op= src */
        MMIO_CMP, MMIO_TEST,    /* read memory, set flags, no write */
        MMIO_ADC, MMIO_SBB,     /* dst op= src with CF */
        MMIO_NOT, MMIO_NEG, MMIO_INC, MMIO_DEC, /* mem op= (no source) */
        MMIO_XCHG,              /* swap memory and register */
        MMIO_XADD,              /* mem += reg, reg = old mem */
        MMIO_CMPXCHG,           /* rAX == mem ? mem = reg : rAX = mem */
        MMIO_BT, MMIO_BTS, MMIO_BTR, MMIO_BTC,  /* CF = bit; set/clear/flip */
        /*
         * String instructions: one element per x86_string_step(), from
         * DS:rSI (or the override) and/or ES:rDI; see 'str'.  CMPS and
         * SCAS only compare (flags of [rSI] - [rDI], rAX - [rDI]).
         */
        MMIO_MOVS, MMIO_STOS, MMIO_LODS, MMIO_CMPS, MMIO_SCAS,
    } op;
    /* String instructions only (addr is then unused). */
    struct
    {
        bool rep;               /* F2 or F3: rCX elements */
        /*
         * The last of F2/F3 was F3: REPE for CMPS and SCAS (stop once ZF
         * is clear), else REPNE (stop once ZF is set).
         */
        bool repe;
        unsigned int adsize;    /* 2, 4 or 8: width of rSI, rDI, rCX */
        unsigned int src_seg;   /* DS or the override (0 ES .. 5 GS) */
        /*
         * Linear address = (base + rSI or rDI at adsize) & lin_mask:
         * src_base is src_seg's, dst_base ES's (0 in 64-bit mode but for
         * an FS/GS source), lin_mask 4 GiB - 1 outside 64-bit mode.
         */
        u64 src_base, dst_base, lin_mask;
    } str;
    bool src_is_imm;            /* stores and ALU ops: immediate source */
    u64 imm;                    /* sign- or zero-extended as the CPU does */
    enum x86_gpr reg;           /* register operand (when !src_is_imm) */
    bool reg_high_byte;         /* AH/CH/DH/BH (no REX, 8-bit) */
    unsigned int reg_size;      /* width of the register written, or 0 */
    /* The register the completion writes (rAX for CMPXCHG, else reg). */
    enum x86_gpr wreg;
    bool wreg_high_byte;
    u64 acc;                    /* CMPXCHG: rAX when decoded */
    unsigned int bit;           /* bit tests: bit index in the operand */
    /* Guest-linear address of the memory operand. */
    u64 addr;
};

struct emul_ops
{
    /*
     * Fetch up to 'len' instruction bytes at guest-linear 'rip' into buf;
     * returns how many could be fetched (fewer at a page or mapping end).
     */
    unsigned int (*fetch)(void *ctx, u64 rip, u8 *buf, unsigned int len);
    u64 (*read_gpr)(void *ctx, enum x86_gpr r);
    /* Segment base for an override prefix (FS/GS in 64-bit mode). */
    u64 (*seg_base)(void *ctx, unsigned int seg);   /* 0 ES .. 5 GS */
    /*
     * String instructions (x86_string_step() only): read or write one
     * element of 'size' bytes at guest-linear 'lin', RAM or MMIO.  False
     * if the guest's page tables do not allow it, with *fault the linear
     * address that failed.
     */
    bool (*access)(void *ctx, u64 lin, unsigned int size, bool write,
                   u64 *val, u64 *fault);
};

/* Results of decoding. */
#define EMUL_OK         0
#define EMUL_UNHANDLEABLE (-1)  /* valid x86 we do not emulate: crash dom */
#define EMUL_BAD_INSN   (-2)    /* undefined/invalid encoding: inject #UD */
#define EMUL_FETCH_FAIL (-3)    /* instruction bytes unreadable */

/*
 * Decode the instruction at 'rip' whose memory operand touched MMIO.
 * Handles prefixes (66, 67, F0 lock, segment overrides, REX), ModRM/SIB
 * with every addressing form incl. RIP-relative, and rejects anything
 * longer than 15 bytes or truncated.  Returns an EMUL_* code.
 */
int x86_decode_mmio(const struct emul_ops *ops, void *ctx, enum x86_mode mode,
                    u64 rip, struct mmio_insn *insn);

/*
 * Complete an emulated instruction.  For a store (or an ALU op) 'mem' is
 * the current memory value (ALU) and *store gets the value to write.  For
 * a load, 'mem' is the value read; *reg_out and *reg_mask give the new
 * register bits (mask covers the bits the CPU writes: e.g. a 32-bit load
 * in 64-bit mode clears the upper half).  *rflags is updated for the ALU,
 * CMP and TEST forms (arithmetic flags only).
 */
void x86_mmio_complete(const struct mmio_insn *insn, u64 reg_value, u64 mem,
                       u64 *store, u64 *reg_out, u64 *reg_mask,
                       u64 *rflags);

/* The registers a string instruction uses, before and after a step. */
struct x86_str_regs
{
    u64 rax, rcx, rsi, rdi;
    u64 rflags;                 /* DF in; the arithmetic flags out */
};

/* What x86_string_step() did. */
enum x86_str_result
{
    X86_STR_DONE,       /* finished: RIP moves past the instruction */
    X86_STR_AGAIN,      /* one element done; RIP stays for the next */
    X86_STR_FAULT,      /* #PF at *fault (*fault_write: a write); regs kept */
    /*
     * A non-canonical address in 64-bit mode, found before any access:
     * #GP(0), or #SS(0) when it is the source and SS its segment (SDM
     * vol. 2, CMPS and the others: 64-Bit Mode Exceptions).  Regs kept.
     */
    X86_STR_GP,
    X86_STR_SS,
};

/*
 * One element of a decoded string instruction (MMIO_MOVS and after):
 * its accesses through ops->access, then rSI/rDI stepped by the element
 * size (down with DF), and with REP rCX counted down, all at the address
 * size.  With REP and rCX 0 nothing is done at all.  A REP instruction
 * is done when rCX reaches 0, CMPS and SCAS also when ZF ends a REPE or
 * REPNE; otherwise the caller re-executes it, so every element is an
 * instruction boundary where interrupts are taken, as on the CPU.
 */
enum x86_str_result x86_string_step(const struct mmio_insn *insn,
                                    const struct emul_ops *ops, void *ctx,
                                    struct x86_str_regs *r, u64 *fault,
                                    bool *fault_write);

#endif /* ASM_X86_HVM_EMULATE_H */

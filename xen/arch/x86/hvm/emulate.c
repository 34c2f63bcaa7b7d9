/*
 * Decoding and completing the instructions a guest uses to touch MMIO.
 *
 * A nested-page fault on an MMIO page (the xAPIC page, the IOAPIC) only
 * says which guest-physical address was hit: SVM without decode assists
 * does not tell what the instruction wanted.  So the instruction is
 * fetched and decoded here: every instruction whose one memory operand
 * is read and/or written once - the MOV family (88/89/8A/8B, C6/C7 /0,
 * A0-A3, MOVZX, MOVSX, MOVSXD, MOVNTI), the ALU operations in both
 * directions (ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST; NOT, NEG, INC,
 * DEC), XCHG, XADD, CMPXCHG and the bit tests BT/BTS/BTR/BTC.
 * x86_mmio_complete() then computes what the CPU would have done with the
 * value: the register write, the value to store and the arithmetic flags.
 * String instructions MOVS, CMPS, STOS, LODS and SCAS (A4-A7, AA-AF) are
 * decoded to their operand and address sizes, REP/REPE/REPNE and the
 * segment bases; x86_string_step() then does one element at a time, as
 * the CPU may be interrupted between elements.
 *
 * Conventions the header leaves open:
 *
 * - 'rip' is the guest-linear address of the instruction (CS.base + rIP
 *   outside 64-bit mode); it is only used to fetch and for RIP-relative
 *   operands, which exist in 64-bit mode only.
 *
 * - The memory address is linear.  In 64-bit mode only an FS or GS
 *   override adds a base (the others are architecturally zero).  In every
 *   other mode the base of the effective segment (the override, else SS
 *   for rBP/rSP-based forms, else DS) is taken from ops->seg_base, so
 *   flat 32-bit guests work as well as real mode (where the caller passes
 *   selector * 16); the sum wraps at 4 GiB.  ops->seg_base may be NULL:
 *   every base is then zero.  Limits and rights are not checked: the
 *   access reached the nested page tables, so segmentation let it pass.
 *
 * - reg_size is the width of the register the instruction writes (wreg:
 *   the ModRM.reg register, or rAX for CMPXCHG): loads, the ALU forms
 *   with a register destination (02, 0A, ... 3B), XCHG, XADD and CMPXCHG
 *   set it; stores and the other read-modify-write forms leave it 0.  CMP
 *   r, r/m (3A/3B) sets it too although nothing is written, because the
 *   register is then the first operand (flags of reg - mem, not mem -
 *   reg).  So for the two-operand ALU operations a non-zero reg_size means
 *   "register first".
 *
 * - A 32-bit register write is described as zero-extending in every
 *   mode: 64-bit mode requires it, and outside it the upper halves are
 *   undefined (SDM vol. 1, 3.4.1.1), so the completion needs no mode.
 *
 * - For an immediate source, imm holds the value at the operand size:
 *   sign-extended from its encoded width (imm8 of 83 /n, imm32 with a
 *   64-bit operand) and zero above the operand size.  reg is then RAX
 *   and meaningless.
 *
 * - x86_mmio_complete() takes NULL for any output it need not fill.  For
 *   loads, CMP and TEST *store is the memory value unchanged; *reg_mask
 *   is 0 unless a register is written; the MOV forms leave *rflags alone.
 *   Values wider than the access in 'mem' or 'reg_value' are ignored.
 *
 * - REP/REPNE mean nothing to these instructions and are ignored, as the
 *   CPU ignores them (SDM vol. 2, 2.1.1); with LOCK they are the
 *   XACQUIRE/XRELEASE hints, which a CPU without HLE ignores too.  The
 *   instructions that forbid them (NP in the SDM: MOVNTI) are #UD.
 *   LOCK is #UD except on the read-modify-write forms with a memory
 *   destination (SDM vol. 2, LOCK): ADD, ADC, AND, BTC, BTR, BTS,
 *   CMPXCHG, DEC, INC, NEG, NOT, OR, SBB, SUB, XOR, XADD, XCHG.  A
 *   register-direct ModRM is not an MMIO access (unhandleable), but with
 *   LOCK it is #UD before anything else, so EMUL_BAD_INSN.
 *
 * - Bit tests with a register bit offset address a bit string: the
 *   offset is signed, and the access is to the operand-sized word that
 *   holds the bit (SDM vol. 2, BT); with an immediate the offset is taken
 *   modulo the operand size.  insn->addr is that word's address and
 *   insn->bit the bit within it.
 */

#include <xen/lib.h>
#include <asm/hvm/emulate.h>
#include <asm/hvm/width.h>

/* Segment numbers of ops->seg_base and of the override prefixes. */
#define SEG_ES      0
#define SEG_SS      2
#define SEG_DS      3
#define SEG_FS      4
#define SEG_GS      5
#define SEG_NONE    0xff

#define REX_B       0x01
#define REX_X       0x02
#define REX_R       0x04
#define REX_W       0x08

/* The arithmetic flags in RFLAGS. */
#define FL_CF       0x001
#define FL_PF       0x004
#define FL_AF       0x010
#define FL_ZF       0x040
#define FL_SF       0x080
#define FL_DF       0x400
#define FL_OF       0x800
#define FL_ARITH    (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* Operand forms. */
enum
{
    F_NONE,     /* not emulated (zero, so absent opcodes are unhandled) */
    F_EG,       /* op r/m, reg: memory is the first operand */
    F_GE,       /* op reg, r/m: the register is the first operand */
    F_EI,       /* op r/m[, imm]: the operation comes from ModRM.reg */
};

/* Opcode flags. */
#define O_BYTE      0x01    /* 8-bit operands */
#define O_IMM8      0x02    /* F_EI: imm8, sign-extended */
#define O_IMMZ      0x04    /* F_EI: imm16 or imm32 by operand size */
#define O_MOFFS     0x08    /* no ModRM: rAX and an address-sized offset */
#define O_REXW      0x10    /* only in 64-bit mode with REX.W (MOVSXD) */
#define O_NP        0x20    /* 66, F2 and F3 prefixes are #UD (MOVNTI) */

/* ModRM.reg groups of the F_EI opcodes. */
enum { G_1, G_3, G_11, G_4, G_5, G_8 };
#define G_UNH       0xff    /* valid, but not emulated */
#define G_UD        0xfe    /* undefined encoding */

static const u8 groups[][8] = {
    /* 80/81/83 */
    [G_1]  = { MMIO_ADD, MMIO_OR, MMIO_ADC, MMIO_SBB,
               MMIO_AND, MMIO_SUB, MMIO_XOR, MMIO_CMP },
    /*
     * F6/F7: /1 is TEST too (an alias the CPUs decode the same way);
     * MUL, IMUL, DIV and IDIV write rDX:rAX and are not emulated.
     */
    [G_3]  = { MMIO_TEST, MMIO_TEST, MMIO_NOT, MMIO_NEG,
               G_UNH, G_UNH, G_UNH, G_UNH },
    /* C6/C7: memory forms other than /0 are undefined. */
    [G_11] = { MMIO_MOV, G_UD, G_UD, G_UD, G_UD, G_UD, G_UD, G_UD },
    /* FE: INC and DEC of a byte; the rest undefined. */
    [G_4]  = { MMIO_INC, MMIO_DEC, G_UD, G_UD, G_UD, G_UD, G_UD, G_UD },
    /* FF: INC, DEC; indirect CALL/JMP and PUSH are not emulated. */
    [G_5]  = { MMIO_INC, MMIO_DEC, G_UNH, G_UNH, G_UNH, G_UNH, G_UNH,
               G_UD },
    /* 0F BA: the bit tests with an imm8 offset. */
    [G_8]  = { G_UD, G_UD, G_UD, G_UD, MMIO_BT, MMIO_BTS, MMIO_BTR,
               MMIO_BTC },
};

static const struct opcode
{
    u16 code;           /* 0x0fxx for the two-byte map */
    u8 form;
    u8 op;              /* MMIO_*, or a G_* group for F_EI */
    u8 flags;
    u8 msize;           /* memory width if not the operand size */
} opcodes[] = {
    { 0x00, F_EG, MMIO_ADD,  O_BYTE, 0 },
    { 0x01, F_EG, MMIO_ADD,  0, 0 },
    { 0x02, F_GE, MMIO_ADD,  O_BYTE, 0 },
    { 0x03, F_GE, MMIO_ADD,  0, 0 },
    { 0x08, F_EG, MMIO_OR,   O_BYTE, 0 },
    { 0x09, F_EG, MMIO_OR,   0, 0 },
    { 0x0a, F_GE, MMIO_OR,   O_BYTE, 0 },
    { 0x0b, F_GE, MMIO_OR,   0, 0 },
    { 0x10, F_EG, MMIO_ADC,  O_BYTE, 0 },
    { 0x11, F_EG, MMIO_ADC,  0, 0 },
    { 0x12, F_GE, MMIO_ADC,  O_BYTE, 0 },
    { 0x13, F_GE, MMIO_ADC,  0, 0 },
    { 0x18, F_EG, MMIO_SBB,  O_BYTE, 0 },
    { 0x19, F_EG, MMIO_SBB,  0, 0 },
    { 0x1a, F_GE, MMIO_SBB,  O_BYTE, 0 },
    { 0x1b, F_GE, MMIO_SBB,  0, 0 },
    { 0x20, F_EG, MMIO_AND,  O_BYTE, 0 },
    { 0x21, F_EG, MMIO_AND,  0, 0 },
    { 0x22, F_GE, MMIO_AND,  O_BYTE, 0 },
    { 0x23, F_GE, MMIO_AND,  0, 0 },
    { 0x28, F_EG, MMIO_SUB,  O_BYTE, 0 },
    { 0x29, F_EG, MMIO_SUB,  0, 0 },
    { 0x2a, F_GE, MMIO_SUB,  O_BYTE, 0 },
    { 0x2b, F_GE, MMIO_SUB,  0, 0 },
    { 0x30, F_EG, MMIO_XOR,  O_BYTE, 0 },
    { 0x31, F_EG, MMIO_XOR,  0, 0 },
    { 0x32, F_GE, MMIO_XOR,  O_BYTE, 0 },
    { 0x33, F_GE, MMIO_XOR,  0, 0 },
    { 0x38, F_EG, MMIO_CMP,  O_BYTE, 0 },
    { 0x39, F_EG, MMIO_CMP,  0, 0 },
    { 0x3a, F_GE, MMIO_CMP,  O_BYTE, 0 },
    { 0x3b, F_GE, MMIO_CMP,  0, 0 },
    { 0x63, F_GE, MMIO_MOVSX, O_REXW, 4 },
    { 0x80, F_EI, G_1,       O_BYTE | O_IMM8, 0 },
    { 0x81, F_EI, G_1,       O_IMMZ, 0 },
    { 0x83, F_EI, G_1,       O_IMM8, 0 },
    { 0x84, F_EG, MMIO_TEST, O_BYTE, 0 },
    { 0x85, F_EG, MMIO_TEST, 0, 0 },
    { 0x86, F_EG, MMIO_XCHG, O_BYTE, 0 },
    { 0x87, F_EG, MMIO_XCHG, 0, 0 },
    { 0x88, F_EG, MMIO_MOV,  O_BYTE, 0 },
    { 0x89, F_EG, MMIO_MOV,  0, 0 },
    { 0x8a, F_GE, MMIO_MOV,  O_BYTE, 0 },
    { 0x8b, F_GE, MMIO_MOV,  0, 0 },
    { 0xa0, F_GE, MMIO_MOV,  O_BYTE | O_MOFFS, 0 },
    { 0xa1, F_GE, MMIO_MOV,  O_MOFFS, 0 },
    { 0xa2, F_EG, MMIO_MOV,  O_BYTE | O_MOFFS, 0 },
    { 0xa3, F_EG, MMIO_MOV,  O_MOFFS, 0 },
    { 0xc6, F_EI, G_11,      O_BYTE | O_IMM8, 0 },
    { 0xc7, F_EI, G_11,      O_IMMZ, 0 },
    { 0xf6, F_EI, G_3,       O_BYTE | O_IMM8, 0 },
    { 0xf7, F_EI, G_3,       O_IMMZ, 0 },
    { 0xfe, F_EI, G_4,       O_BYTE, 0 },
    { 0xff, F_EI, G_5,       0, 0 },
    { 0x0fa3, F_EG, MMIO_BT,  0, 0 },
    { 0x0fab, F_EG, MMIO_BTS, 0, 0 },
    { 0x0fb0, F_EG, MMIO_CMPXCHG, O_BYTE, 0 },
    { 0x0fb1, F_EG, MMIO_CMPXCHG, 0, 0 },
    { 0x0fb3, F_EG, MMIO_BTR, 0, 0 },
    { 0x0fba, F_EI, G_8,      O_IMM8, 0 },
    { 0x0fbb, F_EG, MMIO_BTC, 0, 0 },
    { 0x0fc0, F_EG, MMIO_XADD, O_BYTE, 0 },
    { 0x0fc1, F_EG, MMIO_XADD, 0, 0 },
    { 0x0fc3, F_EG, MMIO_MOV, O_NP, 0 },
    { 0x0fb6, F_GE, MMIO_MOVZX, 0, 1 },
    { 0x0fb7, F_GE, MMIO_MOVZX, 0, 2 },
    { 0x0fbe, F_GE, MMIO_MOVSX, 0, 1 },
    { 0x0fbf, F_GE, MMIO_MOVSX, 0, 2 },
};

/* 16-bit addressing: the registers each ModRM.rm value adds. */
#define R_NONE      0xff
static const u8 ea16_base[8] = {
    GPR_RBX, GPR_RBX, GPR_RBP, GPR_RBP, R_NONE, R_NONE, GPR_RBP, GPR_RBX,
};
static const u8 ea16_index[8] = {
    GPR_RSI, GPR_RDI, GPR_RSI, GPR_RDI, GPR_RSI, GPR_RDI, R_NONE, R_NONE,
};

/* The instruction bytes, fetched once; nothing past 'avail' is read. */
struct insn_bytes
{
    u8 buf[X86_MAX_INSN_LEN];
    unsigned int avail;
    unsigned int pos;
};

/* Consume n bytes as a little-endian value. */
static int take(struct insn_bytes *b, unsigned int n, u64 *val)
{
    unsigned int i;
    u64 v = 0;

    /*
     * Too long is #GP whether or not the bytes exist, so check it first;
     * it also keeps every read inside buf whatever fetch returned.
     */
    if ( b->pos + n > X86_MAX_INSN_LEN )
        return EMUL_BAD_INSN;
    if ( b->pos + n > b->avail )
        return EMUL_FETCH_FAIL;

    for ( i = n; i-- > 0; )
        v = (v << 8) | b->buf[b->pos + i];
    b->pos += n;
    *val = v;

    return EMUL_OK;
}

static u64 sign_extend(u64 v, unsigned int size)
{
    unsigned int shift = 64 - size * 8;

    return (u64)((s64)(v << shift) >> shift);
}

static bool is_bit_test(unsigned int op)
{
    return op >= MMIO_BT && op <= MMIO_BTC;
}

/* The forms LOCK may prefix, given a memory destination (SDM, LOCK). */
static bool lockable(unsigned int op, unsigned int form)
{
    switch ( op )
    {
    case MMIO_ADD: case MMIO_OR: case MMIO_ADC: case MMIO_SBB:
    case MMIO_AND: case MMIO_SUB: case MMIO_XOR:
        return form != F_GE;
    case MMIO_NOT: case MMIO_NEG: case MMIO_INC: case MMIO_DEC:
    case MMIO_XCHG: case MMIO_XADD: case MMIO_CMPXCHG:
    case MMIO_BTS: case MMIO_BTR: case MMIO_BTC:
        return true;
    default:
        return false;
    }
}

/* The group operations of F6/F7 and FE/FF that take no immediate. */
static bool takes_imm(unsigned int op)
{
    return op != MMIO_NOT && op != MMIO_NEG && op != MMIO_INC &&
           op != MMIO_DEC;
}

int x86_decode_mmio(const struct emul_ops *ops, void *ctx, enum x86_mode mode,
                    u64 rip, struct mmio_insn *insn)
{
    struct insn_bytes b;
    const struct opcode *oc = NULL;
    bool long64 = mode == X86_MODE_LONG64;
    bool opsz_pfx = false, adsz_pfx = false, lock = false, rep = false;
    bool repe = false;
    unsigned int rex = 0, seg = SEG_NONE, def_seg = SEG_DS;
    unsigned int opsize, adsize, msize, mod = 0, reg = 0, rm = 0, i;
    unsigned int base = R_NONE, index = R_NONE, scale = 0;
    bool rip_rel = false;
    u64 byte, disp = 0, imm = 0, ea;
    u8 op;
    int rc;

    memset(insn, 0, sizeof(*insn));
    /* A fetch claiming more than asked for is harmless: see take(). */
    b.pos = 0;
    b.avail = ops->fetch(ctx, rip, b.buf, X86_MAX_INSN_LEN);

    /* Prefixes.  A REX only counts directly before the opcode. */
    for ( ;; )
    {
        if ( (rc = take(&b, 1, &byte)) != EMUL_OK )
            return rc;

        switch ( byte )
        {
        case 0x66: opsz_pfx = true; break;
        case 0x67: adsz_pfx = true; break;
        case 0xf0: lock = true; break;
        case 0xf2: case 0xf3:
            rep = true;
            repe = byte == 0xf3;
            break;
        case 0x26: case 0x2e: case 0x36: case 0x3e:
            seg = (byte >> 3) & 3;
            break;
        case 0x64: case 0x65:
            seg = byte - 0x60;
            break;
        default:
            if ( long64 && (byte & 0xf0) == 0x40 )
            {
                rex = byte;
                continue;
            }
            goto opcode;
        }
        rex = 0;
    }

 opcode:
    if ( (byte >= 0xa4 && byte <= 0xa7) || (byte >= 0xaa && byte <= 0xaf) )
    {
        /* By opcode pair from A4; A8/A9 (TEST rAX, imm) is not one. */
        static const u8 str_ops[] = {
            MMIO_MOVS, MMIO_CMPS, 0, MMIO_STOS, MMIO_LODS, MMIO_SCAS,
        };

        /* LOCK is #UD on string instructions (SDM vol. 2, LOCK). */
        if ( lock )
            return EMUL_BAD_INSN;
        insn->op = str_ops[(byte - 0xa4) >> 1];
        if ( !(byte & 1) )
            insn->size = 1;
        else if ( rex & REX_W )
            insn->size = 8;
        else
            insn->size = (mode == X86_MODE_PROT32 || long64) != opsz_pfx
                         ? 4 : 2;
        insn->len = b.pos;
        insn->write = insn->op == MMIO_MOVS || insn->op == MMIO_STOS;
        insn->str.rep = rep;
        insn->str.repe = repe;
        if ( long64 )
            insn->str.adsize = adsz_pfx ? 4 : 8;
        else
            insn->str.adsize = (mode == X86_MODE_PROT32) != adsz_pfx ? 4 : 2;
        /* ES:rDI takes no override (SDM vol. 2, MOVS, CMPS, ...). */
        insn->str.src_seg = seg == SEG_NONE ? SEG_DS : seg;
        if ( long64 )
        {
            insn->str.lin_mask = ~0ULL;
            if ( (seg == SEG_FS || seg == SEG_GS) && ops->seg_base )
                insn->str.src_base = ops->seg_base(ctx, seg);
        }
        else
        {
            insn->str.lin_mask = 0xffffffffULL;
            if ( ops->seg_base )
            {
                insn->str.src_base = ops->seg_base(ctx, insn->str.src_seg);
                insn->str.dst_base = ops->seg_base(ctx, SEG_ES);
            }
        }
        return EMUL_OK;
    }
    if ( byte == 0x0f )
    {
        if ( (rc = take(&b, 1, &byte)) != EMUL_OK )
            return rc;
        byte |= 0x0f00;
    }
    for ( i = 0; i < ARRAY_SIZE(opcodes) && !oc; i++ )
        if ( opcodes[i].code == byte )
            oc = &opcodes[i];
    /* 63 outside 64-bit mode is ARPL; without REX.W a plain 32-bit move. */
    if ( !oc || ((oc->flags & O_REXW) && (!long64 || !(rex & REX_W))) )
        return EMUL_UNHANDLEABLE;
    if ( (oc->flags & O_NP) && (rep || opsz_pfx) )
        return EMUL_BAD_INSN;

    if ( oc->flags & O_BYTE )
        opsize = 1;
    else if ( rex & REX_W )
        opsize = 8;
    else
        opsize = (mode == X86_MODE_PROT32 || long64) != opsz_pfx ? 4 : 2;
    msize = oc->msize ? oc->msize : opsize;
    /* MOVNTI has 32- and 64-bit forms only. */
    if ( (oc->flags & O_NP) && opsize == 2 )
        return EMUL_BAD_INSN;

    if ( long64 )
        adsize = adsz_pfx ? 4 : 8;
    else
        adsize = (mode == X86_MODE_PROT32) != adsz_pfx ? 4 : 2;

    op = oc->op;
    if ( oc->flags & O_MOFFS )
    {
        if ( lock )
            return EMUL_BAD_INSN;
        if ( (rc = take(&b, adsize, &disp)) != EMUL_OK )
            return rc;
        goto decoded;
    }

    if ( (rc = take(&b, 1, &byte)) != EMUL_OK )
        return rc;
    mod = byte >> 6;
    reg = ((byte >> 3) & 7) | (rex & REX_R ? 8 : 0);
    rm = byte & 7;

    /* Register-direct: no memory access, so no MMIO, unless #UD first. */
    if ( mod == 3 )
        return lock ? EMUL_BAD_INSN : EMUL_UNHANDLEABLE;
    if ( oc->form == F_EI )
    {
        op = groups[op][reg & 7];
        if ( op == G_UD )
            return EMUL_BAD_INSN;
        if ( op == G_UNH )
            return EMUL_UNHANDLEABLE;
    }
    if ( lock && !lockable(op, oc->form) )
        return EMUL_BAD_INSN;

    if ( adsize == 2 )
    {
        base = ea16_base[rm];
        index = ea16_index[rm];
        if ( mod == 0 && rm == 6 )          /* disp16 alone */
        {
            base = R_NONE;
            mod = 2;
        }
        if ( (rc = take(&b, mod, &disp)) != EMUL_OK )  /* 0, 1 or 2 */
            return rc;
        if ( mod == 1 )
            disp = sign_extend(disp, 1);
    }
    else
    {
        if ( rm == 4 )
        {
            if ( (rc = take(&b, 1, &byte)) != EMUL_OK )
                return rc;
            scale = byte >> 6;
            index = ((byte >> 3) & 7) | (rex & REX_X ? 8 : 0);
            if ( index == GPR_RSP )         /* no index; R12 is one */
                index = R_NONE;
            rm = byte & 7;                  /* the base, same rules */
            if ( mod == 0 && rm == 5 )      /* no base, disp32 */
                mod = 2;
            else
                base = rm | (rex & REX_B ? 8 : 0);
        }
        else if ( mod == 0 && rm == 5 )     /* disp32, or RIP-relative */
        {
            rip_rel = long64;
            mod = 2;
        }
        else
            base = rm | (rex & REX_B ? 8 : 0);

        if ( (rc = take(&b, mod == 1 ? 1 : mod == 2 ? 4 : 0,
                        &disp)) != EMUL_OK )
            return rc;
        disp = sign_extend(disp, mod == 1 ? 1 : 4);
    }
    if ( base == GPR_RBP || base == GPR_RSP )
        def_seg = SEG_SS;

    if ( oc->form == F_EI && (oc->flags & (O_IMM8 | O_IMMZ)) &&
         takes_imm(op) )
    {
        unsigned int isize = oc->flags & O_IMM8 ? 1 : opsize == 2 ? 2 : 4;

        if ( (rc = take(&b, isize, &imm)) != EMUL_OK )
            return rc;
        imm = sign_extend(imm, isize) & width_mask(opsize);
    }

 decoded:
    /* The whole length is known: only now can RIP-relative resolve. */
    ea = disp;
    if ( base != R_NONE )
        ea += ops->read_gpr(ctx, base);
    if ( index != R_NONE )
        ea += ops->read_gpr(ctx, index) << scale;
    if ( rip_rel )
        ea += rip + b.pos;
    insn->bit = 0;
    if ( is_bit_test(op) )
    {
        unsigned int shift = opsize == 2 ? 4 : opsize == 4 ? 5 : 6;

        if ( oc->form == F_EI )
            insn->bit = imm & ((8 * opsize) - 1);
        else
        {
            /* A signed offset into a bit string: the word holding it. */
            s64 off = (s64)sign_extend(ops->read_gpr(ctx, reg) &
                                       width_mask(opsize), opsize);

            ea += (u64)((off >> shift) * (s64)opsize);
            insn->bit = off & ((8 * opsize) - 1);
        }
    }
    ea &= width_mask(adsize);

    if ( seg == SEG_NONE )
        seg = def_seg;
    if ( !long64 )
        ea = (ea + (ops->seg_base ? ops->seg_base(ctx, seg) : 0)) &
             0xffffffffULL;
    else if ( (seg == SEG_FS || seg == SEG_GS) && ops->seg_base )
        ea += ops->seg_base(ctx, seg);

    insn->len = b.pos;
    insn->size = msize;
    insn->op = op;
    insn->write = oc->form != F_GE && op != MMIO_CMP && op != MMIO_TEST &&
                  op != MMIO_BT;
    insn->src_is_imm = oc->form == F_EI;
    insn->imm = imm;
    insn->reg = GPR_RAX;
    insn->reg_high_byte = false;
    insn->reg_size = oc->form == F_GE || op == MMIO_XCHG ||
                     op == MMIO_XADD || op == MMIO_CMPXCHG ? opsize : 0;
    insn->addr = ea;
    insn->acc = 0;
    if ( oc->form != F_EI && !(oc->flags & O_MOFFS) )
    {
        /* Without a REX, byte registers 4-7 are AH, CH, DH, BH. */
        if ( opsize == 1 && !rex && reg >= 4 )
        {
            reg -= 4;
            insn->reg_high_byte = true;
        }
        insn->reg = reg;
    }
    insn->wreg = insn->reg;
    insn->wreg_high_byte = insn->reg_high_byte;
    if ( op == MMIO_CMPXCHG )
    {
        insn->acc = ops->read_gpr(ctx, GPR_RAX);
        insn->wreg = GPR_RAX;
        insn->wreg_high_byte = false;
    }

    return EMUL_OK;
}

/* Even parity of the low byte, as PF reports it. */
static bool parity_even(u64 v)
{
    v = (v ^ (v >> 4)) & 0xf;
    return !((0x6996 >> v) & 1);
}

/* How the instruction writes 'val' into its register (wreg). */
static void reg_write(const struct mmio_insn *insn, u64 val, u64 *out,
                      u64 *mask)
{
    u64 m;

    switch ( insn->reg_size )
    {
    case 1: m = 0xff; break;
    case 2: m = 0xffff; break;
    case 4: val &= 0xffffffffULL; m = ~0ULL; break; /* zero-extends */
    case 8: m = ~0ULL; break;
    default: m = 0; break;
    }
    val &= m;
    if ( insn->wreg_high_byte )
    {
        val <<= 8;
        m <<= 8;
    }
    *out = val;
    *mask = m;
}

/* Flags of an addition dst + src (+ carry in) that gave res. */
static u64 add_flags(u64 dst, u64 src, u64 res, bool cin, u64 msb)
{
    u64 fl = 0;

    fl |= res < dst || (cin && res == dst) ? FL_CF : 0;
    fl |= (dst ^ res) & (src ^ res) & msb ? FL_OF : 0;
    fl |= (dst ^ src ^ res) & FL_AF;
    return fl;
}

/* Flags of a subtraction dst - src (- borrow in) that gave res. */
static u64 sub_flags(u64 dst, u64 src, u64 res, bool bin, u64 msb)
{
    u64 fl = 0;

    fl |= dst < src || (bin && dst == src) ? FL_CF : 0;
    fl |= (dst ^ src) & (dst ^ res) & msb ? FL_OF : 0;
    fl |= (dst ^ src ^ res) & FL_AF;
    return fl;
}

/* ZF, SF and PF of a result whose top bit is msb. */
static u64 result_flags(u64 res, u64 msb)
{
    return (res ? 0 : FL_ZF) | (res & msb ? FL_SF : 0) |
           (parity_even(res) ? FL_PF : 0);
}

/*
 * All six arithmetic flags of CMP dst, src (dst - src) on values of the
 * width m masks: for CMP itself, CMPXCHG, CMPS and SCAS.
 */
static u64 cmp_flags(u64 dst, u64 src, u64 m, u64 msb)
{
    u64 res = (dst - src) & m;

    return sub_flags(dst, src, res, false, msb) | result_flags(res, msb);
}

void x86_mmio_complete(const struct mmio_insn *insn, u64 reg_value, u64 mem,
                       u64 *store, u64 *reg_out, u64 *reg_mask,
                       u64 *rflags)
{
    /* Sizes other than 1, 2 and 4 cannot come from the decoder: 64-bit. */
    unsigned int size = insn->size == 1 || insn->size == 2 ||
                        insn->size == 4 ? insn->size : 8;
    u64 m = width_mask(size), msb = 1ULL << (size * 8 - 1);
    u64 regop = insn->reg_high_byte ? reg_value >> 8 : reg_value;
    u64 dst = mem & m, src = (insn->src_is_imm ? insn->imm : regop) & m;
    u64 st = dst, out = 0, omask = 0, res, fl = 0;
    u64 in_fl = rflags ? *rflags : 0;
    bool cin = in_fl & FL_CF;
    /*
     * The flags the operation defines; the rest keep their value.  AF is
     * undefined after the logic operations: it is kept.  INC and DEC
     * leave CF alone; the bit tests set CF only (OF, SF, AF and PF are
     * undefined and kept, ZF is unaffected).
     */
    u64 defined = FL_ARITH & ~FL_AF;
    /* ALU forms with the register as first operand (see reg_size). */
    bool reg_first = insn->reg_size && insn->op != MMIO_XCHG &&
                     insn->op != MMIO_XADD && insn->op != MMIO_CMPXCHG;

    if ( reg_first && insn->op != MMIO_MOV && insn->op != MMIO_MOVZX &&
         insn->op != MMIO_MOVSX )
    {
        src = dst;
        dst = regop & m;
    }

    switch ( insn->op )
    {
    case MMIO_MOV:
        if ( insn->write )
            st = src;
        else
            reg_write(insn, dst, &out, &omask);
        goto no_flags;
    case MMIO_MOVZX:
        reg_write(insn, dst, &out, &omask);
        goto no_flags;
    case MMIO_MOVSX:
        reg_write(insn, sign_extend(dst, size), &out, &omask);
        goto no_flags;
    case MMIO_NOT:
        st = ~dst & m;
        goto no_flags;
    case MMIO_XCHG:
        st = src;
        reg_write(insn, dst, &out, &omask);
        goto no_flags;

    case MMIO_AND: case MMIO_TEST:
        res = dst & src;
        break;
    case MMIO_OR:
        res = dst | src;
        break;
    case MMIO_XOR:
        res = dst ^ src;
        break;
    case MMIO_ADD:
        res = (dst + src) & m;
        fl |= add_flags(dst, src, res, false, msb);
        defined = FL_ARITH;
        break;
    case MMIO_ADC:
        res = (dst + src + cin) & m;
        fl |= add_flags(dst, src, res, cin, msb);
        defined = FL_ARITH;
        break;
    case MMIO_XADD:
        res = (dst + src) & m;
        fl |= add_flags(dst, src, res, false, msb);
        defined = FL_ARITH;
        /* The register gets the old memory value. */
        reg_write(insn, dst, &out, &omask);
        break;
    case MMIO_INC:
        res = (dst + 1) & m;
        fl |= add_flags(dst, 1, res, false, msb) & ~FL_CF;
        defined = FL_ARITH & ~FL_CF;
        break;
    case MMIO_SUB: case MMIO_CMP:
        res = (dst - src) & m;
        fl = cmp_flags(dst, src, m, msb);
        defined = FL_ARITH;
        goto store;
    case MMIO_SBB:
        res = (dst - src - cin) & m;
        fl |= sub_flags(dst, src, res, cin, msb);
        defined = FL_ARITH;
        break;
    case MMIO_DEC:
        res = (dst - 1) & m;
        fl |= sub_flags(dst, 1, res, false, msb) & ~FL_CF;
        defined = FL_ARITH & ~FL_CF;
        break;
    case MMIO_NEG:
        res = (0 - dst) & m;
        fl |= sub_flags(0, dst, res, false, msb);
        defined = FL_ARITH;
        break;
    case MMIO_CMPXCHG:
    {
        u64 acc = insn->acc & m;

        /* Flags of CMP rAX, mem; memory is written either way (SDM). */
        fl = cmp_flags(acc, dst, m, msb);
        defined = FL_ARITH;
        if ( acc == dst )
            st = src;
        else
            reg_write(insn, dst, &out, &omask);
        goto flags;
    }
    case MMIO_BT: case MMIO_BTS: case MMIO_BTR: case MMIO_BTC:
    {
        u64 bit = 1ULL << (insn->bit & (size * 8 - 1));

        fl = dst & bit ? FL_CF : 0;
        defined = FL_CF;
        st = insn->op == MMIO_BTS ? dst | bit :
             insn->op == MMIO_BTR ? dst & ~bit :
             insn->op == MMIO_BTC ? dst ^ bit : dst;
        goto flags;
    }
    default:
        goto no_flags;
    }

    fl |= result_flags(res, msb);
 store:
    if ( reg_first )
    {
        if ( insn->op != MMIO_CMP && insn->op != MMIO_TEST )
            reg_write(insn, res, &out, &omask);
    }
    else if ( insn->write )
        st = res;

 flags:
    if ( rflags )
        *rflags = (in_fl & ~defined) | (fl & defined);

 no_flags:
    if ( store )
        *store = st;
    if ( reg_out )
        *reg_out = out;
    if ( reg_mask )
        *reg_mask = omask;
}

/*
 * A string instruction's rSI, rDI or rCX after a step to 'val': only the
 * address-sized part is the register used.  A 16-bit one (SI, DI, CX)
 * leaves the bits above it; a 32-bit one is written as a 32-bit register
 * is, zero-extended (SDM vol. 1, 3.4.1.1; outside 64-bit mode the upper
 * half is undefined anyway).
 */
static u64 str_reg(u64 old, u64 val, unsigned int adsize)
{
    if ( adsize == 2 )
        return (old & ~0xffffULL) | (val & 0xffff);
    return val & width_mask(adsize);
}

enum x86_str_result x86_string_step(const struct mmio_insn *insn,
                                    const struct emul_ops *ops, void *ctx,
                                    struct x86_str_regs *r, u64 *fault,
                                    bool *fault_write)
{
    unsigned int size = insn->size, adsize = insn->str.adsize;
    u64 amask = width_mask(adsize), m = width_mask(size);
    u64 step = r->rflags & FL_DF ? -(u64)size : size;
    u64 first = 0, second = 0;
    u64 src = (insn->str.src_base + (r->rsi & amask)) & insn->str.lin_mask;
    u64 dst = (insn->str.dst_base + (r->rdi & amask)) & insn->str.lin_mask;
    /* Which of DS:rSI and ES:rDI the instruction uses. */
    bool uses_si = insn->op != MMIO_STOS && insn->op != MMIO_SCAS;
    bool uses_di = insn->op != MMIO_LODS;
    bool compares = insn->op == MMIO_CMPS || insn->op == MMIO_SCAS;

    /* REP with rCX 0: no element, no flag changes (SDM vol. 2, REP). */
    if ( insn->str.rep && !(r->rcx & amask) )
        return X86_STR_DONE;

    /*
     * 64-bit mode: both addresses must be canonical (bits 63:47 alike:
     * 4-level paging, as guest_walk() assumes), checked before either
     * is touched, as an MMIO read cannot be taken back.
     */
    if ( insn->str.lin_mask == ~0ULL )
    {
        if ( uses_si && (u64)((s64)(src << 16) >> 16) != src )
            return insn->str.src_seg == SEG_SS ? X86_STR_SS : X86_STR_GP;
        if ( uses_di && (u64)((s64)(dst << 16) >> 16) != dst )
            return X86_STR_GP;
    }

    /*
     * The first operand: the element at DS:rSI (MOVS, LODS, CMPS) or the
     * accumulator (STOS, SCAS).  CMPS compares [rSI] - [rDI] and SCAS
     * rAX - [rDI], the order CMP takes them in (SDM vol. 2, CMPS, SCAS).
     */
    if ( uses_si )
    {
        if ( !ops->access(ctx, src, size, false, &first, fault) )
        {
            *fault_write = false;
            return X86_STR_FAULT;
        }
        first &= m;
    }
    else
        first = r->rax & m;

    if ( uses_di )
    {
        if ( !ops->access(ctx, dst, size, insn->write,
                          insn->write ? &first : &second, fault) )
        {
            *fault_write = insn->write;
            return X86_STR_FAULT;
        }
    }

    if ( compares )
    {
        u64 msb = 1ULL << (size * 8 - 1);

        r->rflags = (r->rflags & ~FL_ARITH) |
                    cmp_flags(first, second & m, m, msb);
    }
    else if ( insn->op == MMIO_LODS )
        /* As MOV to rAX: a 32-bit write zero-extends. */
        r->rax = size >= 4 ? first : (r->rax & ~m) | first;

    if ( uses_si )
        r->rsi = str_reg(r->rsi, r->rsi + step, adsize);
    if ( uses_di )
        r->rdi = str_reg(r->rdi, r->rdi + step, adsize);
    if ( !insn->str.rep )
        return X86_STR_DONE;

    /*
     * rCX counts the element just done; then the termination conditions,
     * checked after each element: rCX 0, and for CMPS and SCAS ZF clear
     * under REPE, set under REPNE (SDM vol. 2, REP/REPE/REPZ/REPNE/REPNZ,
     * table "Repeat Prefixes").
     */
    r->rcx = str_reg(r->rcx, r->rcx - 1, adsize);
    if ( !(r->rcx & amask) )
        return X86_STR_DONE;
    if ( compares && !!(r->rflags & FL_ZF) != insn->str.repe )
        return X86_STR_DONE;
    return X86_STR_AGAIN;
}

/*
 * Lengths and operands of the instructions a backend intercepts, decoded
 * from guest memory when the CPU does not report them.  SVM without
 * NRIP-save gives only the RIP of the instruction that exited; adding a
 * fixed length to it resumes a prefixed instruction in its own middle.
 * The prefix rules are the SDM's (vol. 2 2.1, 2.2.1): any number of
 * legacy prefixes, a REX prefix in 64-bit mode counts only right before
 * the opcode, and an instruction longer than 15 bytes raises #GP(0).
 */
#include <xen/lib.h>
#include <asm/hvm/insn.h>

#define REX_B       0x01
#define REX_X       0x02
#define REX_R       0x04
#define REX_W       0x08

#define NONE        0xff        /* no base or index register */
#define SEG_SS      2

struct cursor
{
    const u8 *buf;
    unsigned int n, i;
};

/* The next byte, or why there is none. */
static int next(struct cursor *c, u8 *b)
{
    if ( c->i >= X86_MAX_INSN_LEN )
        return X86_INSN_TOO_LONG;
    if ( c->i >= c->n )
        return X86_INSN_TRUNCATED;
    *b = c->buf[c->i++];
    return X86_INSN_OK;
}

/* A displacement of 'bytes' bytes, sign-extended from its width. */
static int disp(struct cursor *c, unsigned int bytes, s64 *val)
{
    u64 v = 0;
    u8 b;
    int rc;

    for ( unsigned int k = 0; k < bytes; k++ )
    {
        if ( (rc = next(c, &b)) != X86_INSN_OK )
            return rc;
        v |= (u64)b << (8 * k);
    }
    *val = bytes ? (s64)(v << (64 - 8 * bytes)) >> (64 - 8 * bytes) : 0;
    return X86_INSN_OK;
}

/* The rest of a ModRM operand: SIB and displacement (SDM vol. 2 2.1.5). */
static int modrm_operand(struct cursor *c, struct x86_insn *insn, u8 rex)
{
    unsigned int rm = insn->rm & 7;
    u8 sib;
    int rc;

    insn->base = insn->index = NONE;
    if ( insn->mod == 3 )
        return X86_INSN_OK;

    if ( insn->addr_size == 2 )
    {
        /* [BX+SI] [BX+DI] [BP+SI] [BP+DI] [SI] [DI] [BP] [BX] */
        if ( insn->mod == 0 && rm == 6 )
            return disp(c, 2, &insn->disp);
        if ( insn->seg < 0 && (rm == 2 || rm == 3 || rm == 6) )
            insn->seg = SEG_SS;
        return disp(c, insn->mod == 1 ? 1 : insn->mod == 2 ? 2 : 0,
                    &insn->disp);
    }

    if ( rm == 4 )
    {
        if ( (rc = next(c, &sib)) != X86_INSN_OK )
            return rc;
        insn->has_sib = true;
        insn->scale = sib >> 6;
        insn->index = ((sib >> 3) & 7) | (rex & REX_X ? 8 : 0);
        if ( insn->index == 4 )
            insn->index = NONE;
        if ( (sib & 7) == 5 && insn->mod == 0 )
            return disp(c, 4, &insn->disp);
        insn->base = (sib & 7) | (rex & REX_B ? 8 : 0);
    }
    else if ( rm == 5 && insn->mod == 0 )
    {
        /* disp32 alone: relative to the next RIP in 64-bit mode. */
        insn->rip_rel = rex & 0x80;
        return disp(c, 4, &insn->disp);
    }
    else
        insn->base = insn->rm;

    /* rSP and rBP as the base select SS. */
    if ( insn->seg < 0 && ((insn->base & 7) == 4 || (insn->base & 7) == 5) )
        insn->seg = SEG_SS;
    return disp(c, insn->mod == 1 ? 1 : insn->mod == 2 ? 4 : 0,
                &insn->disp);
}

int x86_insn_decode(const u8 *buf, unsigned int n, enum x86_mode mode,
                    struct x86_insn *insn)
{
    struct cursor c = { buf, n, 0 };
    bool asize = false, opsize = false, mode64 = mode == X86_MODE_LONG64;
    u8 b, rex = 0, modrm;
    int rc;

    memset(insn, 0, sizeof(*insn));
    insn->seg = -1;

    /* Legacy prefixes, then (64-bit mode) REX. */
    for ( ; ; )
    {
        if ( (rc = next(&c, &b)) != X86_INSN_OK )
            return rc;
        if ( mode64 && (b & 0xf0) == 0x40 )
        {
            rex = b;
            continue;
        }
        switch ( b )
        {
        case 0x26: insn->seg = 0; break;
        case 0x2e: insn->seg = 1; break;
        case 0x36: insn->seg = 2; break;
        case 0x3e: insn->seg = 3; break;
        case 0x64: insn->seg = 4; break;
        case 0x65: insn->seg = 5; break;
        case 0x67: asize = true; break;
        case 0x66: opsize = true; break;
        case 0xf0: insn->lock = true; break;
        case 0xf2: case 0xf3: break;
        default:
            goto opcode;
        }
        /* A REX prefix followed by a legacy prefix is ignored. */
        rex = 0;
    }

 opcode:
    if ( mode64 )
        insn->addr_size = asize ? 4 : 8;
    else if ( mode == X86_MODE_PROT32 )
        insn->addr_size = asize ? 2 : 4;
    else
        insn->addr_size = asize ? 4 : 2;
    /* In 64-bit mode only FS and GS overrides mean anything. */
    if ( mode64 && insn->seg >= 0 && insn->seg < 4 )
        insn->seg = -1;
    insn->op64 = rex & REX_W;
    insn->op = X86_INSN_OTHER;

    if ( b == 0xf4 )
    {
        insn->op = X86_INSN_HLT;
        insn->len = c.i;
        return X86_INSN_OK;
    }
    /* What can switch tasks (task_switch.c), for its length. */
    switch ( b )
    {
    case 0xcf:
        insn->op = X86_INSN_IRET;
        insn->len = c.i;
        return X86_INSN_OK;
    case 0xcc: case 0xce: case 0xf1:
        insn->op = X86_INSN_INT;
        insn->len = c.i;
        return X86_INSN_OK;
    case 0xcd:
        if ( (rc = next(&c, &modrm)) != X86_INSN_OK )
            return rc;
        insn->op = X86_INSN_INT;
        insn->len = c.i;
        return X86_INSN_OK;
    case 0x9a: case 0xea:
    {
        /* ptr16:32, or ptr16:16 with the other operand size. */
        bool o16 = (mode == X86_MODE_PROT32) == opsize;
        s64 ignored;

        if ( mode64 )
            return X86_INSN_OK;         /* #UD in 64-bit mode */
        if ( (rc = disp(&c, o16 ? 4 : 6, &ignored)) != X86_INSN_OK )
            return rc;
        insn->op = b == 0x9a ? X86_INSN_CALLF : X86_INSN_JMPF;
        insn->len = c.i;
        return X86_INSN_OK;
    }
    case 0xff:
        if ( (rc = next(&c, &modrm)) != X86_INSN_OK )
            return rc;
        insn->has_modrm = true;
        insn->mod = modrm >> 6;
        insn->reg = (modrm >> 3) & 7;
        insn->rm = (modrm & 7) | (rex & REX_B ? 8 : 0);
        if ( (insn->reg != 3 && insn->reg != 5) || insn->mod == 3 )
            return X86_INSN_OK;
        if ( (rc = modrm_operand(&c, insn,
                                 rex | (mode64 ? 0x80 : 0))) != 0 )
            return rc;
        insn->op = insn->reg == 3 ? X86_INSN_CALLF : X86_INSN_JMPF;
        insn->len = c.i;
        return X86_INSN_OK;
    default:
        break;
    }
    if ( b != 0x0f )
        return X86_INSN_OK;
    if ( (rc = next(&c, &b)) != X86_INSN_OK )
        return rc;
    switch ( b )
    {
    case 0xa2: insn->op = X86_INSN_CPUID; break;
    case 0x32: insn->op = X86_INSN_RDMSR; break;
    case 0x30: insn->op = X86_INSN_WRMSR; break;
    case 0x08: insn->op = X86_INSN_INVD; break;
    case 0x06: insn->op = X86_INSN_CLTS; break;
    case 0x01: case 0x22:
        if ( (rc = next(&c, &modrm)) != X86_INSN_OK )
            return rc;
        insn->has_modrm = true;
        insn->mod = modrm >> 6;
        insn->reg = ((modrm >> 3) & 7) | (rex & REX_R ? 8 : 0);
        insn->rm = (modrm & 7) | (rex & REX_B ? 8 : 0);
        if ( b == 0x22 )
        {
            /* MOV to CRn: the mod bits are ignored, always a register. */
            insn->op = X86_INSN_MOV_TO_CR;
            insn->mod = 3;
            insn->base = insn->index = NONE;
            break;
        }
        if ( modrm == 0xd9 )
            insn->op = X86_INSN_VMMCALL;
        else if ( modrm == 0xd1 )
            insn->op = X86_INSN_XSETBV;
        else if ( insn->reg == 6 || insn->reg == 14 )
        {
            insn->op = X86_INSN_LMSW;
            insn->reg = 6;
            if ( (rc = modrm_operand(&c, insn,
                                     rex | (mode64 ? 0x80 : 0))) != 0 )
                return rc;
        }
        break;
    default:
        return X86_INSN_OK;
    }
    insn->len = c.i;
    return X86_INSN_OK;
}

u64 x86_insn_offset(const struct x86_insn *insn, const u64 *regs,
                    u64 rip_next)
{
    u64 off = (u64)insn->disp;

    if ( insn->addr_size == 2 )
    {
        static const s8 first[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
        static const s8 second[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };
        unsigned int rm = insn->rm & 7;

        if ( !(insn->mod == 0 && rm == 6) )
        {
            off += regs[(unsigned int)first[rm]];
            if ( second[rm] >= 0 )
                off += regs[(unsigned int)second[rm]];
        }
        return off & 0xffff;
    }
    if ( insn->rip_rel )
        off += rip_next;
    if ( insn->base != NONE )
        off += regs[insn->base];
    if ( insn->index != NONE )
        off += regs[insn->index] << insn->scale;
    return insn->addr_size == 4 ? (u32)off : off;
}

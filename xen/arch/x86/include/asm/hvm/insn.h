/*
 * Decoding the instructions a backend intercepts when the CPU does not
 * say how long they are or what they do (SVM without NRIP-save and
 * without decode assists): the prefixes, the opcode, and the ModRM
 * operand, from bytes fetched at the guest's RIP.  Pure: no guest access.
 */
#ifndef ASM_X86_HVM_INSN_H
#define ASM_X86_HVM_INSN_H

#include <xen/types.h>
#include <asm/hvm/emulate.h>

enum x86_insn_op
{
    X86_INSN_OTHER,             /* an instruction not listed here */
    X86_INSN_CPUID,             /* 0f a2 */
    X86_INSN_HLT,               /* f4 */
    X86_INSN_RDMSR,             /* 0f 32 */
    X86_INSN_WRMSR,             /* 0f 30 */
    X86_INSN_INVD,              /* 0f 08 */
    X86_INSN_VMMCALL,           /* 0f 01 d9 */
    X86_INSN_XSETBV,            /* 0f 01 d1 */
    X86_INSN_MOV_TO_CR,         /* 0f 22 /r */
    X86_INSN_LMSW,              /* 0f 01 /6 */
    X86_INSN_CLTS,              /* 0f 06 */
    X86_INSN_IRET,              /* cf */
    X86_INSN_CALLF,             /* 9a ptr16:16/32, ff /3 */
    X86_INSN_JMPF,              /* ea ptr16:16/32, ff /5 */
    X86_INSN_INT,               /* cd ib, cc, ce, f1 */
};

struct x86_insn
{
    unsigned int len;           /* prefixes included */
    enum x86_insn_op op;
    bool lock;
    bool op64;                  /* REX.W in 64-bit mode */
    int seg;                    /* override (0 ES .. 5 GS), else -1 */
    unsigned int addr_size;     /* 2, 4 or 8 bytes */
    /* ModRM, with REX.R in reg and REX.B in rm/base, REX.X in index. */
    bool has_modrm;
    u8 mod, reg, rm;
    bool has_sib;
    u8 scale;
    u8 index, base;             /* 0xff: none */
    bool rip_rel;               /* disp32 from the next instruction */
    s64 disp;
};

#define X86_INSN_OK         0
#define X86_INSN_TRUNCATED  (-1)    /* more bytes needed than given */
#define X86_INSN_TOO_LONG   (-2)    /* over 15 bytes: #GP(0) */

/*
 * Decode the instruction in buf[0..n) (n <= 15 meaningful) in 'mode'.
 * Anything not in enum x86_insn_op decodes as X86_INSN_OTHER with its
 * prefixes and opcode counted, and len undefined.
 */
int x86_insn_decode(const u8 *buf, unsigned int n, enum x86_mode mode,
                    struct x86_insn *insn);

/*
 * The offset (before the segment base) of a memory ModRM operand, from
 * the general registers regs[16]; rip_next is the address after the
 * instruction, for RIP-relative operands.  Truncated to the address size.
 */
u64 x86_insn_offset(const struct x86_insn *insn, const u64 *regs,
                    u64 rip_next);

#endif /* ASM_X86_HVM_INSN_H */

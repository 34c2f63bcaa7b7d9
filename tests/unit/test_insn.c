/*
 * Tests for the decoder of intercepted instructions, hvm/insn.c.  The
 * encodings of the MOV to CRn and LMSW forms were produced by GNU as 2.40
 * from the source text each case shows (under .code16, .code32 or
 * .code64); the prefixed and overlong forms are written out by hand.
 */
#include <xen/lib.h>
#include <asm/hvm/insn.h>

#include "harness.h"

#define NONE 0xff

static struct x86_insn dec(enum x86_mode m, const u8 *b, unsigned int n,
                           int want_rc)
{
    struct x86_insn i;

    CHECK_EQ(x86_insn_decode(b, n, m, &i), want_rc);
    return i;
}

#define DEC(m, rc, ...)                                                 \
    ({                                                                  \
        static const u8 b_[] = { __VA_ARGS__ };                         \
        dec(m, b_, sizeof(b_), rc);                                     \
    })

TEST(plain_intercepted_instructions)
{
    struct x86_insn i;

    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x0f, 0xa2);
    CHECK_EQ(i.op, X86_INSN_CPUID);
    CHECK_EQ(i.len, 2);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0xf4);
    CHECK_EQ(i.op, X86_INSN_HLT);
    CHECK_EQ(i.len, 1);
    i = DEC(X86_MODE_REAL, X86_INSN_OK, 0x0f, 0x32);
    CHECK_EQ(i.op, X86_INSN_RDMSR);
    i = DEC(X86_MODE_LONG64, X86_INSN_OK, 0x0f, 0x30);
    CHECK_EQ(i.op, X86_INSN_WRMSR);
    CHECK_EQ(i.len, 2);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x0f, 0x01, 0xd9);
    CHECK_EQ(i.op, X86_INSN_VMMCALL);
    CHECK_EQ(i.len, 3);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x0f, 0x01, 0xd1);
    CHECK_EQ(i.op, X86_INSN_XSETBV);
    CHECK_EQ(i.len, 3);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x0f, 0x08);
    CHECK_EQ(i.op, X86_INSN_INVD);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x0f, 0x06);
    CHECK_EQ(i.op, X86_INSN_CLTS);
    CHECK_EQ(i.len, 2);
    /* Not one of ours: no length promised, but no error either. */
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x90);
    CHECK_EQ(i.op, X86_INSN_OTHER);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x0f, 0x01, 0xd8);   /* VMRUN */
    CHECK_EQ(i.op, X86_INSN_OTHER);
}

TEST(legacy_prefixes_count)
{
    struct x86_insn i;

    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x3e, 0x3e, 0x0f, 0xa2);
    CHECK_EQ(i.op, X86_INSN_CPUID);
    CHECK_EQ(i.len, 4);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x66, 0xf3, 0x2e, 0xf4);
    CHECK_EQ(i.op, X86_INSN_HLT);
    CHECK_EQ(i.len, 4);
    i = DEC(X86_MODE_PROT16, X86_INSN_OK, 0x26, 0x64, 0x65, 0x36, 0x67,
            0xf2, 0x0f, 0x30);
    CHECK_EQ(i.op, X86_INSN_WRMSR);
    CHECK_EQ(i.len, 8);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x3e, 0x3e, 0x0f, 0x01, 0xd9);
    CHECK_EQ(i.op, X86_INSN_VMMCALL);
    CHECK_EQ(i.len, 5);
}

TEST(rex_only_in_64bit_mode)
{
    struct x86_insn i;

    /* 64-bit: REX is a prefix, alone or after (or before) legacy ones. */
    i = DEC(X86_MODE_LONG64, X86_INSN_OK, 0x48, 0x0f, 0xa2);
    CHECK_EQ(i.op, X86_INSN_CPUID);
    CHECK_EQ(i.len, 3);
    CHECK(i.op64);
    i = DEC(X86_MODE_LONG64, X86_INSN_OK, 0x3e, 0x48, 0x0f, 0xa2);
    CHECK_EQ(i.len, 4);
    CHECK(i.op64);
    /* REX followed by a legacy prefix is ignored, but still a byte. */
    i = DEC(X86_MODE_LONG64, X86_INSN_OK, 0x48, 0x3e, 0x0f, 0xa2);
    CHECK_EQ(i.op, X86_INSN_CPUID);
    CHECK_EQ(i.len, 4);
    CHECK(!i.op64);
    i = DEC(X86_MODE_LONG64, X86_INSN_OK, 0x41, 0x41, 0xf4);
    CHECK_EQ(i.op, X86_INSN_HLT);
    CHECK_EQ(i.len, 3);
    /* 32-bit: 0x48 is DEC EAX, an instruction of its own. */
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x48, 0x0f, 0xa2);
    CHECK_EQ(i.op, X86_INSN_OTHER);
}

TEST(fifteen_byte_limit)
{
    struct x86_insn i;

    /* 13 prefixes + 0f a2: 15 bytes, fine. */
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
            0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x0f, 0xa2);
    CHECK_EQ(i.op, X86_INSN_CPUID);
    CHECK_EQ(i.len, 15);
    /* 14 prefixes: the 16th byte is never reached, #GP. */
    DEC(X86_MODE_PROT32, X86_INSN_TOO_LONG, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
        0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x0f, 0xa2);
    /* 15 prefixes and nothing else: too long as well. */
    DEC(X86_MODE_LONG64, X86_INSN_TOO_LONG, 0x66, 0x66, 0x66, 0x66, 0x66,
        0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66);
    /* Fewer bytes than the instruction needs: truncated. */
    DEC(X86_MODE_PROT32, X86_INSN_TRUNCATED, 0x3e, 0x0f);
    DEC(X86_MODE_PROT32, X86_INSN_TRUNCATED, 0x0f, 0x01, 0x75);
}

TEST(mov_to_cr)
{
    struct x86_insn i;

    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x0f, 0x22, 0xc0); /* eax,cr0 */
    CHECK_EQ(i.op, X86_INSN_MOV_TO_CR);
    CHECK_EQ(i.reg, 0);
    CHECK_EQ(i.rm, 0);
    CHECK_EQ(i.len, 3);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x0f, 0x22, 0xe1); /* ecx,cr4 */
    CHECK_EQ(i.reg, 4);
    CHECK_EQ(i.rm, 1);
    i = DEC(X86_MODE_LONG64, X86_INSN_OK, 0x41, 0x0f, 0x22, 0xe1); /* r9 */
    CHECK_EQ(i.reg, 4);
    CHECK_EQ(i.rm, 9);
    CHECK_EQ(i.len, 4);
    /* The mod bits are ignored: 0f 22 21 is still a register move. */
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x3e, 0x0f, 0x22, 0x21);
    CHECK_EQ(i.reg, 4);
    CHECK_EQ(i.rm, 1);
    CHECK_EQ(i.len, 4);
    /* LOCK (AMD's CR8 spelling) is reported for the caller. */
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0xf0, 0x0f, 0x22, 0xc0);
    CHECK(i.lock);
}

TEST(lmsw_operands)
{
    u64 regs[16];
    struct x86_insn i;

    for ( unsigned int r = 0; r < 16; r++ )
        regs[r] = 0x1000ULL * (r + 1) + 0xffffffff00000000ULL;

    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x0f, 0x01, 0xf0); /* lmsw %ax */
    CHECK_EQ(i.op, X86_INSN_LMSW);
    CHECK_EQ(i.mod, 3);
    CHECK_EQ(i.rm, 0);
    CHECK_EQ(i.len, 3);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x0f, 0x01, 0x33); /* (%ebx) */
    CHECK_EQ(i.len, 3);
    CHECK_EQ(x86_insn_offset(&i, regs, 0), 0x4000);
    CHECK_EQ(i.seg, -1);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x0f, 0x01, 0x75, 0x12);
    CHECK_EQ(i.len, 4);                                 /* 0x12(%ebp) */
    CHECK_EQ(x86_insn_offset(&i, regs, 0), 0x6012);
    CHECK_EQ(i.seg, 2);                                 /* SS */
    /* lmsw 0x12345678(%eax,%ecx,4) */
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x0f, 0x01, 0xb4, 0x88, 0x78,
            0x56, 0x34, 0x12);
    CHECK_EQ(i.len, 8);
    CHECK_EQ(x86_insn_offset(&i, regs, 0),
             (u32)(0x1000 + 4 * 0x2000 + 0x12345678));
    /* lmsw 0x1000, with a DS override counted */
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x3e, 0x0f, 0x01, 0x35, 0x00,
            0x10, 0x00, 0x00);
    CHECK_EQ(i.len, 8);
    CHECK_EQ(x86_insn_offset(&i, regs, 0), 0x1000);
    CHECK_EQ(i.seg, 3);
    /* 64-bit: lmsw 0x10(%rip), lmsw (%r12) */
    i = DEC(X86_MODE_LONG64, X86_INSN_OK, 0x0f, 0x01, 0x35, 0x10, 0x00,
            0x00, 0x00);
    CHECK_EQ(i.len, 7);
    CHECK(i.rip_rel);
    CHECK_EQ(x86_insn_offset(&i, regs, 0xffff800000001007ULL),
             0xffff800000001017ULL);
    i = DEC(X86_MODE_LONG64, X86_INSN_OK, 0x41, 0x0f, 0x01, 0x34, 0x24);
    CHECK_EQ(i.len, 5);
    CHECK_EQ(i.base, 12);
    CHECK_EQ(i.index, NONE);
    CHECK_EQ(x86_insn_offset(&i, regs, 0), regs[12]);
    /* 16-bit: lmsw (%bx,%si), lmsw 4(%bp), lmsw 0x1234 */
    i = DEC(X86_MODE_PROT16, X86_INSN_OK, 0x0f, 0x01, 0x30);
    CHECK_EQ(i.len, 3);
    CHECK_EQ(x86_insn_offset(&i, regs, 0), (0x4000 + 0x7000) & 0xffff);
    i = DEC(X86_MODE_REAL, X86_INSN_OK, 0x0f, 0x01, 0x76, 0x04);
    CHECK_EQ(i.len, 4);
    CHECK_EQ(x86_insn_offset(&i, regs, 0), 0x6004);
    CHECK_EQ(i.seg, 2);
    i = DEC(X86_MODE_REAL, X86_INSN_OK, 0x0f, 0x01, 0x36, 0x34, 0x12);
    CHECK_EQ(i.len, 5);
    CHECK_EQ(x86_insn_offset(&i, regs, 0), 0x1234);
    /* 32-bit addressing in 16-bit code (67): disp32 */
    i = DEC(X86_MODE_REAL, X86_INSN_OK, 0x67, 0x0f, 0x01, 0x35, 0x78, 0x56,
            0x34, 0x12);
    CHECK_EQ(i.len, 8);
    CHECK_EQ(x86_insn_offset(&i, regs, 0), 0x12345678);
}

/* What can switch tasks, for its length (hvm/task_switch.c via SVM). */
TEST(task_switching_instructions)
{
    struct x86_insn i;

    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0xcf);
    CHECK_EQ(i.op, X86_INSN_IRET);
    CHECK_EQ(i.len, 1);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x66, 0xcf);
    CHECK_EQ(i.op, X86_INSN_IRET);
    CHECK_EQ(i.len, 2);
    /* lcall $0x28, $0x1000: ptr16:32, or ptr16:16 with 66. */
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x9a, 0x00, 0x10, 0, 0, 0x28, 0);
    CHECK_EQ(i.op, X86_INSN_CALLF);
    CHECK_EQ(i.len, 7);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0x66, 0x9a, 0x00, 0x10, 0x28, 0);
    CHECK_EQ(i.op, X86_INSN_CALLF);
    CHECK_EQ(i.len, 6);
    i = DEC(X86_MODE_PROT16, X86_INSN_OK, 0xea, 0x00, 0x10, 0x28, 0);
    CHECK_EQ(i.op, X86_INSN_JMPF);
    CHECK_EQ(i.len, 5);
    i = DEC(X86_MODE_PROT32, X86_INSN_TRUNCATED, 0xea, 0x00, 0x10, 0x28);
    /* ljmp *0x10(%ebx), lcall *(%eax,%ecx,4): ff /5 and ff /3. */
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0xff, 0x6b, 0x10);
    CHECK_EQ(i.op, X86_INSN_JMPF);
    CHECK_EQ(i.len, 3);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0xff, 0x1c, 0x88);
    CHECK_EQ(i.op, X86_INSN_CALLF);
    CHECK_EQ(i.len, 3);
    /* ff /2 (near call) and a register operand are something else. */
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0xff, 0x10);
    CHECK_EQ(i.op, X86_INSN_OTHER);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0xff, 0xd8);
    CHECK_EQ(i.op, X86_INSN_OTHER);
    /* INT n, INT3, INTO, INT1. */
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0xcd, 0x40);
    CHECK_EQ(i.op, X86_INSN_INT);
    CHECK_EQ(i.len, 2);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0xcc);
    CHECK_EQ(i.op, X86_INSN_INT);
    CHECK_EQ(i.len, 1);
    i = DEC(X86_MODE_PROT32, X86_INSN_OK, 0xf1);
    CHECK_EQ(i.len, 1);
}

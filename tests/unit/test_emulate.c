/*
 * Tests for the MMIO instruction decoder and emulator in
 * xen/arch/x86/hvm/emulate.c.
 *
 * The instruction bytes in the tables were produced at test-writing time
 * by GNU as 2.40 from the source text each case shows (under .code64,
 * .code32 or .code16); the encodings as will not choose by itself
 * (repeated or misplaced prefixes, REX forms, overlong instructions) were
 * written as .byte lines and are described instead.  The expected
 * addresses are spelled out from the register values and segment bases
 * below, so the decoder's arithmetic is not reused to check itself.
 *
 * Flags, stored values and register writes are checked against the host
 * CPU executing the same operation in inline assembly.
 */

#include <xen/lib.h>
#include <asm/hvm/emulate.h>

#include "harness.h"

/*
 * Guest registers: distinct upper halves show 32-bit truncation, the low
 * 16 bits differ for the 16-bit forms, and EDX and BX+DI sit just below
 * a wrap.
 */
#define V_RAX   0x0000000100000a00ULL
#define V_RCX   0x0000000200000004ULL
#define V_RDX   0x00000003fffffff0ULL
#define V_RBX   0x00000004fee01230ULL
#define V_RSP   0x00000005000ff800ULL
#define V_RBP   0x000000060000f000ULL
#define V_RSI   0x0000000700000020ULL
#define V_RDI   0x000000080000fff0ULL
#define V_R8    0x00000009fec00000ULL
#define V_R9    0x0000000a00000010ULL
#define V_R10   0x0000000b00000100ULL
#define V_R11   0x0000000c00001000ULL
#define V_R12   0x0000000d00000008ULL
#define V_R13   0x0000000efee00000ULL
#define V_R14   0x0000000f00000002ULL
#define V_R15   0x00000010fee000f0ULL

/* Segment bases, all different and non-zero so a wrong one shows. */
#define B_ES    0x0000000000010000ULL
#define B_CS    0x0000000000020000ULL
#define B_SS    0x0000000000030000ULL
#define B_DS    0x0000000000040000ULL
#define B_FS    0x00007f0000005000ULL
#define B_GS    0xffff888000006000ULL

/* Linear address of the instruction. */
#define RIP64   0xffffffff81000000ULL
#define RIP32   0x0000000000100000ULL

#define A32(x)  ((u64)(x) & 0xffffffffULL)
#define A16(x)  ((u64)(x) & 0xffffULL)

#define FL_CF   0x001ULL
#define FL_PF   0x004ULL
#define FL_AF   0x010ULL
#define FL_ZF   0x040ULL
#define FL_SF   0x080ULL
#define FL_OF   0x800ULL
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

static const u64 gprs[GPR_NR] = {
    V_RAX, V_RCX, V_RDX, V_RBX, V_RSP, V_RBP, V_RSI, V_RDI,
    V_R8, V_R9, V_R10, V_R11, V_R12, V_R13, V_R14, V_R15,
};
static const u64 seg_bases[6] = { B_ES, B_CS, B_SS, B_DS, B_FS, B_GS };

/* What the callbacks see and record. */
struct tctx
{
    u8 mem[32];             /* the bytes at 'rip' */
    unsigned int avail;     /* how many of them fetch admits to */
    unsigned int overfetch; /* claim this many more than asked (bug) */
    u64 rip;
    unsigned int fetches, seg_calls, last_seg;
    bool bad_arg;           /* a callback got an impossible argument */
};

static unsigned int t_fetch(void *ctx, u64 rip, u8 *buf, unsigned int len)
{
    struct tctx *t = ctx;
    unsigned int n = len < t->avail ? len : t->avail;

    t->fetches++;
    if ( rip != t->rip || len > X86_MAX_INSN_LEN )
        t->bad_arg = true;
    /*
     * Fill all of buf with what memory really holds but admit to only n
     * bytes: a decoder that reads past what fetch returned would decode
     * the whole instruction instead of failing.  ASan catches a buffer
     * shorter than the 'len' the decoder asked for.
     */
    memcpy(buf, t->mem, len < sizeof(t->mem) ? len : sizeof(t->mem));
    return n + t->overfetch;
}

static u64 t_read_gpr(void *ctx, enum x86_gpr r)
{
    struct tctx *t = ctx;

    if ( (unsigned int)r >= GPR_NR )
    {
        t->bad_arg = true;
        return 0;
    }
    return gprs[r];
}

static u64 t_seg_base(void *ctx, unsigned int seg)
{
    struct tctx *t = ctx;

    t->seg_calls++;
    t->last_seg = seg;
    if ( seg >= ARRAY_SIZE(seg_bases) )
    {
        t->bad_arg = true;
        return 0;
    }
    return seg_bases[seg];
}

static const struct emul_ops ops = { t_fetch, t_read_gpr, t_seg_base, NULL };
static const struct emul_ops ops_noseg = { t_fetch, t_read_gpr, NULL, NULL };

/* The byte after the instruction in memory; never part of it. */
#define FILLER  0xcc

static void t_setup(struct tctx *t, enum x86_mode mode, const char *bytes,
                    unsigned int n, unsigned int avail)
{
    memset(t, 0, sizeof(*t));
    memset(t->mem, FILLER, sizeof(t->mem));
    memcpy(t->mem, bytes, n < sizeof(t->mem) ? n : sizeof(t->mem));
    t->avail = avail;
    t->rip = mode == X86_MODE_LONG64 ? RIP64 : RIP32;
}

static int t_decode(struct tctx *t, enum x86_mode mode,
                    struct mmio_insn *insn)
{
    return x86_decode_mmio(&ops, t, mode, t->rip, insn);
}

static u64 rand64(void)
{
    return ((u64)test_rand() << 32) ^ test_rand();
}

static u64 size_mask(unsigned int size)
{
    return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* Operands with a good share of the values flags are about. */
static u64 rand_operand(unsigned int size)
{
    u64 m = size_mask(size), msb = m ^ (m >> 1);

    switch ( test_rand() % 10 )
    {
    case 0: return 0;
    case 1: return 1;
    case 2: return msb;
    case 3: return msb - 1;
    case 4: return msb + 1;
    case 5: return m;
    case 6: return test_rand() & 0x1f;
    case 7: return (m - (test_rand() & 0x1f)) & m;
    default: return rand64() & m;
    }
}

static const char *const mode_names[] = {
    [X86_MODE_REAL] = "real", [X86_MODE_PROT16] = "prot16",
    [X86_MODE_PROT32] = "prot32", [X86_MODE_LONG64] = "long64",
};

/* Case tables: modes each case runs in. */
#define M64     (1u << X86_MODE_LONG64)
#define M32     (1u << X86_MODE_PROT32)
#define M16     ((1u << X86_MODE_REAL) | (1u << X86_MODE_PROT16))

#define B(s)    s, sizeof(s) - 1

/* write, src_is_imm, imm, reg, reg_high_byte, reg_size */
#define ST(r)       true, false, 0, GPR_##r, false, 0   /* mem op= reg */
#define STH(r)      true, false, 0, GPR_##r, true, 0    /* ... high byte */
#define STI(v)      true, true, (v), GPR_RAX, false, 0  /* mem op= imm */
#define LD(r, n)    false, false, 0, GPR_##r, false, (n) /* reg <- mem */
#define LDH(r)      false, false, 0, GPR_##r, true, 1
#define RD(r)       false, false, 0, GPR_##r, false, 0  /* cmp/test reg */
#define RDH(r)      false, false, 0, GPR_##r, true, 0
#define RI(v)       false, true, (v), GPR_RAX, false, 0 /* cmp/test imm */
#define XR(r, n)    true, false, 0, GPR_##r, false, (n) /* both written */
#define XRH(r)      true, false, 0, GPR_##r, true, 1

static const struct ok_case
{
    const char *src;
    unsigned int modes;
    const char *bytes;
    unsigned int len;
    unsigned int size;
    int op;
    bool write, src_is_imm;
    u64 imm;
    enum x86_gpr reg;
    bool high;
    unsigned int reg_size;
    u64 addr;
} ok_cases[] = {
    { "mov %eax,(%rbx)", M64, B("\x89\x03"), 4, MMIO_MOV, ST(RAX), V_RBX },
    { "mov %rax,0x10(%rbx,%rsi,4)", M64, B("\x48\x89\x44\xb3\x10"), 8,
      MMIO_MOV, ST(RAX), V_RBX + V_RSI * 4 + 0x10 },
    { "mov %r8d,(%r13)", M64, B("\x45\x89\x45\x00"), 4, MMIO_MOV, ST(R8),
      V_R13 },
    { "mov %r15,0x12345678(%r12,%r9,8)", M64,
      B("\x4f\x89\xbc\xcc\x78\x56\x34\x12"), 8, MMIO_MOV, ST(R15),
      V_R12 + V_R9 * 8 + 0x12345678 },
    { "mov %ax,(%rbx)", M64, B("\x66\x89\x03"), 2, MMIO_MOV, ST(RAX), V_RBX },
    { "mov %al,(%rbx)", M64, B("\x88\x03"), 1, MMIO_MOV, ST(RAX), V_RBX },
    { "mov %ah,(%rbx)", M64, B("\x88\x23"), 1, MMIO_MOV, STH(RAX), V_RBX },
    { "mov %bh,-1(%rbx)", M64, B("\x88\x7b\xff"), 1, MMIO_MOV, STH(RBX),
      V_RBX - 1 },
    { "mov %ch,(%rdx)", M64, B("\x88\x2a"), 1, MMIO_MOV, STH(RCX), V_RDX },
    { "mov %dh,(%rdx)", M64, B("\x88\x32"), 1, MMIO_MOV, STH(RDX), V_RDX },
    { "mov %sil,(%rbx)", M64, B("\x40\x88\x33"), 1, MMIO_MOV, ST(RSI),
      V_RBX },
    { "mov %spl,(%rbx)", M64, B("\x40\x88\x23"), 1, MMIO_MOV, ST(RSP),
      V_RBX },
    { "mov %bpl,(%rbx)", M64, B("\x40\x88\x2b"), 1, MMIO_MOV, ST(RBP),
      V_RBX },
    { "mov %dil,(%rbx)", M64, B("\x40\x88\x3b"), 1, MMIO_MOV, ST(RDI),
      V_RBX },
    { "mov %r9b,(%rdx)", M64, B("\x44\x88\x0a"), 1, MMIO_MOV, ST(R9), V_RDX },
    { "mov %eax,-0x20(%rbp)", M64, B("\x89\x45\xe0"), 4, MMIO_MOV, ST(RAX),
      V_RBP - 0x20 },
    { "mov %eax,0x7f(%rsi)", M64, B("\x89\x46\x7f"), 4, MMIO_MOV, ST(RAX),
      V_RSI + 0x7f },
    { "mov %eax,-0x80(%rsi)", M64, B("\x89\x46\x80"), 4, MMIO_MOV, ST(RAX),
      V_RSI - 0x80 },
    { "mov %eax,0x100(%rsp)", M64, B("\x89\x84\x24\x00\x01\x00\x00"), 4,
      MMIO_MOV, ST(RAX), V_RSP + 0x100 },
    { "mov %eax,(%rbp)", M64, B("\x89\x45\x00"), 4, MMIO_MOV, ST(RAX),
      V_RBP },
    { "mov %eax,(%r12)", M64, B("\x41\x89\x04\x24"), 4, MMIO_MOV, ST(RAX),
      V_R12 },
    { "mov %eax,(%rbp,%rax,1)", M64, B("\x89\x44\x05\x00"), 4, MMIO_MOV,
      ST(RAX), V_RBP + V_RAX },
    { "mov %eax,(%rbx,%rbp,2)", M64, B("\x89\x04\x6b"), 4, MMIO_MOV, ST(RAX),
      V_RBX + V_RBP * 2 },
    { "mov %eax,(%r13,%r14,2)", M64, B("\x43\x89\x44\x75\x00"), 4, MMIO_MOV,
      ST(RAX), V_R13 + V_R14 * 2 },
    { "mov %eax,(%rsp,%r12,1)", M64, B("\x42\x89\x04\x24"), 4, MMIO_MOV,
      ST(RAX), V_RSP + V_R12 },
    { "mov %r11,-0x1000(%r15,%r10,8)", M64,
      B("\x4f\x89\x9c\xd7\x00\xf0\xff\xff"), 8, MMIO_MOV, ST(R11),
      V_R15 + V_R10 * 8 - 0x1000 },
    { "mov %ecx,0x7fe000b0", M64, B("\x89\x0c\x25\xb0\x00\xe0\x7f"), 4,
      MMIO_MOV, ST(RCX), 0x7fe000b0 },
    { "mov %ecx,-0x1200000", M64, B("\x89\x0c\x25\x00\x00\xe0\xfe"), 4,
      MMIO_MOV, ST(RCX), 0xfffffffffee00000ULL },
    { "mov %eax,(,%rcx,8)", M64, B("\x89\x04\xcd\x00\x00\x00\x00"), 4,
      MMIO_MOV, ST(RAX), V_RCX * 8 },
    { "mov %eax,0x10(,%r12,2)", M64, B("\x42\x89\x04\x65\x10\x00\x00\x00"), 4,
      MMIO_MOV, ST(RAX), V_R12 * 2 + 0x10 },
    { "mov %eax,-0x10(,%rbp,4)", M64, B("\x89\x04\xad\xf0\xff\xff\xff"), 4,
      MMIO_MOV, ST(RAX), V_RBP * 4 - 0x10 },
    { "mov %eax,0x10(,%rax,1)", M64, B("\x41\x89\x04\x05\x10\x00\x00\x00"), 4,
      MMIO_MOV, ST(RAX), V_RAX + 0x10 },
    { "mov %eax,0x10(%rip)", M64, B("\x41\x89\x05\x10\x00\x00\x00"), 4,
      MMIO_MOV, ST(RAX), RIP64 + 7 + 0x10 },
    { "mov %eax,0x10(%rip)", M64, B("\x89\x05\x10\x00\x00\x00"), 4, MMIO_MOV,
      ST(RAX), RIP64 + 6 + 0x10 },
    { "mov -0x300(%rip),%rdx", M64, B("\x48\x8b\x15\x00\xfd\xff\xff"), 8,
      MMIO_MOV, LD(RDX, 8), RIP64 + 7 - 0x300 },
    { "movl $0x12345678,0x10(%rip)", M64,
      B("\xc7\x05\x10\x00\x00\x00\x78\x56\x34\x12"), 4, MMIO_MOV,
      STI(0x12345678), RIP64 + 10 + 0x10 },
    { "movb $0x5,-0x10(%rip)", M64, B("\xc6\x05\xf0\xff\xff\xff\x05"), 1,
      MMIO_MOV, STI(5), RIP64 + 7 - 0x10 },
    { "movw $0x1234,0x20(%rip)", M64,
      B("\x66\xc7\x05\x20\x00\x00\x00\x34\x12"), 2, MMIO_MOV, STI(0x1234),
      RIP64 + 9 + 0x20 },
    { "orq $0x1,0x40(%rip)", M64, B("\x48\x83\x0d\x40\x00\x00\x00\x01"), 8,
      MMIO_OR, STI(1), RIP64 + 8 + 0x40 },
    { "mov 0x10(%eip),%eax", M64, B("\x67\x8b\x05\x10\x00\x00\x00"), 4,
      MMIO_MOV, LD(RAX, 4), A32(RIP64 + 7 + 0x10) },
    { "mov (%ebx),%eax", M64, B("\x67\x8b\x03"), 4, MMIO_MOV, LD(RAX, 4),
      A32(V_RBX) },
    { "mov 0x20(%edx),%eax", M64, B("\x67\x8b\x42\x20"), 4, MMIO_MOV,
      LD(RAX, 4), A32(V_RDX + 0x20) },
    { "mov 0x20(%rdx),%eax", M64, B("\x8b\x42\x20"), 4, MMIO_MOV, LD(RAX, 4),
      V_RDX + 0x20 },
    { "mov -0x30(%esi),%eax", M64, B("\x67\x8b\x46\xd0"), 4, MMIO_MOV,
      LD(RAX, 4), A32(V_RSI - 0x30) },
    { "mov (%ebx,%esi,4),%eax", M64, B("\x67\x8b\x04\xb3"), 4, MMIO_MOV,
      LD(RAX, 4), A32(V_RBX + V_RSI * 4) },
    { "mov (%r8d),%eax", M64, B("\x67\x41\x8b\x00"), 4, MMIO_MOV, LD(RAX, 4),
      A32(V_R8) },
    { "mov (%rbx),%rax", M64, B("\x48\x8b\x03"), 8, MMIO_MOV, LD(RAX, 8),
      V_RBX },
    { "mov (%rbx),%ax", M64, B("\x66\x8b\x03"), 2, MMIO_MOV, LD(RAX, 2),
      V_RBX },
    { "mov (%rbx),%al", M64, B("\x8a\x03"), 1, MMIO_MOV, LD(RAX, 1), V_RBX },
    { "mov (%rbx),%ch", M64, B("\x8a\x2b"), 1, MMIO_MOV, LDH(RCX), V_RBX },
    { "mov (%rbx),%r10d", M64, B("\x44\x8b\x13"), 4, MMIO_MOV, LD(R10, 4),
      V_RBX },
    { "mov (%rbx),%dil", M64, B("\x40\x8a\x3b"), 1, MMIO_MOV, LD(RDI, 1),
      V_RBX },
    { "mov (%rbx),%r14w", M64, B("\x66\x44\x8b\x33"), 2, MMIO_MOV, LD(R14, 2),
      V_RBX },
    { "mov (%rbx),%r8", M64, B("\x4c\x8b\x03"), 8, MMIO_MOV, LD(R8, 8),
      V_RBX },
    { "mov (%rbx),%r15b", M64, B("\x44\x8a\x3b"), 1, MMIO_MOV, LD(R15, 1),
      V_RBX },
    { "data16 mov (%rbx),%rax: W wins", M64, B("\x66\x48\x8b\x03"), 8,
      MMIO_MOV, LD(RAX, 8), V_RBX },
    { "a REX before 66 is ignored", M64, B("\x48\x66\x8b\x03"), 2, MMIO_MOV,
      LD(RAX, 2), V_RBX },
    { "only the last REX counts", M64, B("\x48\x41\x8b\x03"), 4, MMIO_MOV,
      LD(RAX, 4), V_R11 },
    { "REX 40: %spl, not %ah", M64, B("\x40\x8a\x23"), 1, MMIO_MOV,
      LD(RSP, 1), V_RBX },
    { "repeated 66", M64, B("\x66\x66\x89\x03"), 2, MMIO_MOV, ST(RAX),
      V_RBX },
    { "13 x 66; mov %ax,(%rbx): 15 bytes", M64,
      B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x89\x03"), 2,
      MMIO_MOV, ST(RAX), V_RBX },
    { "3 x ds; movq $-2,0x12345678(%rsp): 15", M64,
      B("\x3e\x3e\x3e\x48\xc7\x84\x24\x78\x56\x34\x12\xfe\xff\xff\xff"), 8,
      MMIO_MOV, STI(0xfffffffffffffffeULL), V_RSP + 0x12345678 },
    { "5 x cs; movabs 0x123456789a,%rax: 15", M64,
      B("\x2e\x2e\x2e\x2e\x2e\x48\xa1\x9a\x78\x56\x34\x12\x00\x00\x00"), 8,
      MMIO_MOV, LD(RAX, 8), 0x123456789aULL },
    { "12 x cs; movzbl (%rbx),%eax: 15 bytes", M64,
      B("\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x0f\xb6\x03"), 1,
      MMIO_MOVZX, LD(RAX, 4), V_RBX },
    { "movb $0x12,(%rbx)", M64, B("\xc6\x03\x12"), 1, MMIO_MOV, STI(0x12),
      V_RBX },
    { "movw $0x1234,(%rbx)", M64, B("\x66\xc7\x03\x34\x12"), 2, MMIO_MOV,
      STI(0x1234), V_RBX },
    { "movl $0xfee00000,(%rbx)", M64, B("\xc7\x03\x00\x00\xe0\xfe"), 4,
      MMIO_MOV, STI(0xfee00000), V_RBX },
    { "movq $-1,(%rbx)", M64, B("\x48\xc7\x03\xff\xff\xff\xff"), 8, MMIO_MOV,
      STI(~0ULL), V_RBX },
    { "movq $0x7fffffff,(%rbx)", M64, B("\x48\xc7\x03\xff\xff\xff\x7f"), 8,
      MMIO_MOV, STI(0x7fffffff), V_RBX },
    { "movq $-0x80000000,8(%rbx)", M64, B("\x48\xc7\x43\x08\x00\x00\x00\x80"),
      8, MMIO_MOV, STI(0xffffffff80000000ULL), V_RBX + 8 },
    { "movabs 0xfee000b0,%eax", M64,
      B("\xa1\xb0\x00\xe0\xfe\x00\x00\x00\x00"), 4, MMIO_MOV, LD(RAX, 4),
      0xfee000b0 },
    { "movabs %al,0xfffffffffee00300", M64,
      B("\xa2\x00\x03\xe0\xfe\xff\xff\xff\xff"), 1, MMIO_MOV, ST(RAX),
      0xfffffffffee00300ULL },
    { "movabs 0x123456789a,%rax", M64,
      B("\x48\xa1\x9a\x78\x56\x34\x12\x00\x00\x00"), 8, MMIO_MOV, LD(RAX, 8),
      0x123456789aULL },
    { "movabs 0xfee00020,%al", M64, B("\xa0\x20\x00\xe0\xfe\x00\x00\x00\x00"),
      1, MMIO_MOV, LD(RAX, 1), 0xfee00020 },
    { "movabs %ax,0xfee00010", M64,
      B("\x66\xa3\x10\x00\xe0\xfe\x00\x00\x00\x00"), 2, MMIO_MOV, ST(RAX),
      0xfee00010 },
    { "movabs %rax,0xfee00018", M64,
      B("\x48\xa3\x18\x00\xe0\xfe\x00\x00\x00\x00"), 8, MMIO_MOV, ST(RAX),
      0xfee00018 },
    { "addr32 mov 0xfee00300,%eax", M64, B("\x67\xa1\x00\x03\xe0\xfe"), 4,
      MMIO_MOV, LD(RAX, 4), 0xfee00300 },
    { "REX.B does not change rAX", M64,
      B("\x41\xa1\x00\x03\xe0\xfe\x00\x00\x00\x00"), 4, MMIO_MOV, LD(RAX, 4),
      0xfee00300 },
    { "mov %fs:0x10,%eax", M64, B("\x64\xa1\x10\x00\x00\x00\x00\x00\x00\x00"),
      4, MMIO_MOV, LD(RAX, 4), 0x10 + B_FS },
    { "mov %fs:0x10(%rbx),%eax", M64, B("\x64\x8b\x43\x10"), 4, MMIO_MOV,
      LD(RAX, 4), V_RBX + 0x10 + B_FS },
    { "mov %gs:(%rax),%rdx", M64, B("\x65\x48\x8b\x10"), 8, MMIO_MOV,
      LD(RDX, 8), V_RAX + B_GS },
    { "mov %es:(%rbx),%eax", M64, B("\x26\x8b\x03"), 4, MMIO_MOV, LD(RAX, 4),
      V_RBX },
    { "mov %cs:(%rbx),%eax", M64, B("\x2e\x8b\x03"), 4, MMIO_MOV, LD(RAX, 4),
      V_RBX },
    { "mov %ss:(%rbx),%eax", M64, B("\x36\x8b\x03"), 4, MMIO_MOV, LD(RAX, 4),
      V_RBX },
    { "mov %ds:(%rbp),%eax", M64, B("\x3e\x8b\x45\x00"), 4, MMIO_MOV,
      LD(RAX, 4), V_RBP },
    { "mov %fs:(%ebx),%eax", M64, B("\x64\x67\x8b\x03"), 4, MMIO_MOV,
      LD(RAX, 4), A32(V_RBX) + B_FS },
    { "mov %gs:0x10(%rip),%eax", M64, B("\x65\x8b\x05\x10\x00\x00\x00"), 4,
      MMIO_MOV, LD(RAX, 4), RIP64 + 7 + 0x10 + B_GS },
    { "the last segment override wins", M64, B("\x64\x65\x8b\x03"), 4,
      MMIO_MOV, LD(RAX, 4), V_RBX + B_GS },
    { "ditto: CS, base 0", M64, B("\x65\x2e\x8b\x03"), 4, MMIO_MOV,
      LD(RAX, 4), V_RBX },
    { "movzbl (%rbx),%eax", M64, B("\x0f\xb6\x03"), 1, MMIO_MOVZX, LD(RAX, 4),
      V_RBX },
    { "movzwl (%rbx),%eax", M64, B("\x0f\xb7\x03"), 2, MMIO_MOVZX, LD(RAX, 4),
      V_RBX },
    { "movzbw (%rbx),%ax", M64, B("\x66\x0f\xb6\x03"), 1, MMIO_MOVZX,
      LD(RAX, 2), V_RBX },
    { "movzbq (%rbx),%r9", M64, B("\x4c\x0f\xb6\x0b"), 1, MMIO_MOVZX,
      LD(R9, 8), V_RBX },
    { "movzwq 0x10(%rbx),%rax", M64, B("\x48\x0f\xb7\x43\x10"), 2, MMIO_MOVZX,
      LD(RAX, 8), V_RBX + 0x10 },
    { "movzbl (%rbx),%esi", M64, B("\x0f\xb6\x33"), 1, MMIO_MOVZX, LD(RSI, 4),
      V_RBX },
    { "movsbl (%rbx),%esi", M64, B("\x0f\xbe\x33"), 1, MMIO_MOVSX, LD(RSI, 4),
      V_RBX },
    { "movswl (%rbx),%eax", M64, B("\x0f\xbf\x03"), 2, MMIO_MOVSX, LD(RAX, 4),
      V_RBX },
    { "movsbq (%rbx),%rax", M64, B("\x48\x0f\xbe\x03"), 1, MMIO_MOVSX,
      LD(RAX, 8), V_RBX },
    { "movswq (%rbx),%r12", M64, B("\x4c\x0f\xbf\x23"), 2, MMIO_MOVSX,
      LD(R12, 8), V_RBX },
    { "movsbw (%rbx),%ax", M64, B("\x66\x0f\xbe\x03"), 1, MMIO_MOVSX,
      LD(RAX, 2), V_RBX },
    { "movslq (%rbx),%rax", M64, B("\x48\x63\x03"), 4, MMIO_MOVSX, LD(RAX, 8),
      V_RBX },
    { "movslq 0x300(%rbx),%r11", M64, B("\x4c\x63\x9b\x00\x03\x00\x00"), 4,
      MMIO_MOVSX, LD(R11, 8), V_RBX + 0x300 },
    { "add %eax,(%rbx)", M64, B("\x01\x03"), 4, MMIO_ADD, ST(RAX), V_RBX },
    { "add %al,(%rbx)", M64, B("\x00\x03"), 1, MMIO_ADD, ST(RAX), V_RBX },
    { "add %ch,(%rbx)", M64, B("\x00\x2b"), 1, MMIO_ADD, STH(RCX), V_RBX },
    { "add %r10,(%rbx)", M64, B("\x4c\x01\x13"), 8, MMIO_ADD, ST(R10),
      V_RBX },
    { "or %ecx,(%rbx)", M64, B("\x09\x0b"), 4, MMIO_OR, ST(RCX), V_RBX },
    { "or %cl,(%rbx)", M64, B("\x08\x0b"), 1, MMIO_OR, ST(RCX), V_RBX },
    { "and %edx,(%rbx)", M64, B("\x21\x13"), 4, MMIO_AND, ST(RDX), V_RBX },
    { "and %dl,(%rbx)", M64, B("\x20\x13"), 1, MMIO_AND, ST(RDX), V_RBX },
    { "and %dx,(%rbx)", M64, B("\x66\x21\x13"), 2, MMIO_AND, ST(RDX), V_RBX },
    { "sub %esi,(%rbx)", M64, B("\x29\x33"), 4, MMIO_SUB, ST(RSI), V_RBX },
    { "sub %sil,(%rbx)", M64, B("\x40\x28\x33"), 1, MMIO_SUB, ST(RSI),
      V_RBX },
    { "xor %rdi,(%rbx)", M64, B("\x48\x31\x3b"), 8, MMIO_XOR, ST(RDI),
      V_RBX },
    { "xor %bl,(%rbx)", M64, B("\x30\x1b"), 1, MMIO_XOR, ST(RBX), V_RBX },
    { "lock orl $0x1,(%rbx)", M64, B("\xf0\x83\x0b\x01"), 4, MMIO_OR, STI(1),
      V_RBX },
    { "lock add %eax,(%rbx)", M64, B("\xf0\x01\x03"), 4, MMIO_ADD, ST(RAX),
      V_RBX },
    { "lock andl $-2,(%rbx)", M64, B("\xf0\x83\x23\xfe"), 4, MMIO_AND,
      STI(0xfffffffe), V_RBX },
    { "lock subw $1,(%rbx)", M64, B("\x66\xf0\x83\x2b\x01"), 2, MMIO_SUB,
      STI(1), V_RBX },
    { "lock xorb $0x80,(%rbx)", M64, B("\xf0\x80\x33\x80"), 1, MMIO_XOR,
      STI(0x80), V_RBX },
    { "lock subw $1,(%rbx), lock first", M64, B("\xf0\x66\x83\x2b\x01"), 2,
      MMIO_SUB, STI(1), V_RBX },
    { "andq $-2,(%rbx)", M64, B("\x48\x83\x23\xfe"), 8, MMIO_AND,
      STI(0xfffffffffffffffeULL), V_RBX },
    { "andw $-2,(%rbx)", M64, B("\x66\x83\x23\xfe"), 2, MMIO_AND, STI(0xfffe),
      V_RBX },
    { "orl $0x100,(%rbx)", M64, B("\x81\x0b\x00\x01\x00\x00"), 4, MMIO_OR,
      STI(0x100), V_RBX },
    { "orw $0x100,(%rbx)", M64, B("\x66\x81\x0b\x00\x01"), 2, MMIO_OR,
      STI(0x100), V_RBX },
    { "orb $0x80,(%rbx)", M64, B("\x80\x0b\x80"), 1, MMIO_OR, STI(0x80),
      V_RBX },
    { "orq $-0x100,(%rbx)", M64, B("\x48\x81\x0b\x00\xff\xff\xff"), 8,
      MMIO_OR, STI(0xffffffffffffff00ULL), V_RBX },
    { "orq $0x7fffff00,(%rbx)", M64, B("\x48\x81\x0b\x00\xff\xff\x7f"), 8,
      MMIO_OR, STI(0x7fffff00), V_RBX },
    { "xorl $0x12345678,(%rbx)", M64, B("\x81\x33\x78\x56\x34\x12"), 4,
      MMIO_XOR, STI(0x12345678), V_RBX },
    { "subl $0x7f,(%rbx)", M64, B("\x83\x2b\x7f"), 4, MMIO_SUB, STI(0x7f),
      V_RBX },
    { "subl $0x80,(%rbx)", M64, B("\x81\x2b\x80\x00\x00\x00"), 4, MMIO_SUB,
      STI(0x80), V_RBX },
    { "addb $0xff,(%rbx)", M64, B("\x80\x03\xff"), 1, MMIO_ADD, STI(0xff),
      V_RBX },
    { "addq $-0x80,(%rbx)", M64, B("\x48\x83\x03\x80"), 8, MMIO_ADD,
      STI(0xffffffffffffff80ULL), V_RBX },
    { "addw $-0x8000,(%rbx)", M64, B("\x66\x81\x03\x00\x80"), 2, MMIO_ADD,
      STI(0x8000), V_RBX },
    { "addl $-0x80000000,(%rbx)", M64, B("\x81\x03\x00\x00\x00\x80"), 4,
      MMIO_ADD, STI(0x80000000), V_RBX },
    { "cmp %eax,(%rbx)", M64, B("\x39\x03"), 4, MMIO_CMP, RD(RAX), V_RBX },
    { "cmp %al,(%rbx)", M64, B("\x38\x03"), 1, MMIO_CMP, RD(RAX), V_RBX },
    { "cmp (%rbx),%eax", M64, B("\x3b\x03"), 4, MMIO_CMP, LD(RAX, 4), V_RBX },
    { "cmp (%rbx),%cl", M64, B("\x3a\x0b"), 1, MMIO_CMP, LD(RCX, 1), V_RBX },
    { "cmp (%rbx),%ah", M64, B("\x3a\x23"), 1, MMIO_CMP, LDH(RAX), V_RBX },
    { "cmp (%rbx),%r9", M64, B("\x4c\x3b\x0b"), 8, MMIO_CMP, LD(R9, 8),
      V_RBX },
    { "cmpb $0x0,(%rbx)", M64, B("\x80\x3b\x00"), 1, MMIO_CMP, RI(0), V_RBX },
    { "cmpl $0x5,(%rbx)", M64, B("\x83\x3b\x05"), 4, MMIO_CMP, RI(5), V_RBX },
    { "cmpq $-1,(%rbx)", M64, B("\x48\x83\x3b\xff"), 8, MMIO_CMP, RI(~0ULL),
      V_RBX },
    { "cmpw $0x1234,(%rbx)", M64, B("\x66\x81\x3b\x34\x12"), 2, MMIO_CMP,
      RI(0x1234), V_RBX },
    { "test %eax,(%rbx)", M64, B("\x85\x03"), 4, MMIO_TEST, RD(RAX), V_RBX },
    { "test %al,(%rbx)", M64, B("\x84\x03"), 1, MMIO_TEST, RD(RAX), V_RBX },
    { "test %bh,(%rbx)", M64, B("\x84\x3b"), 1, MMIO_TEST, RDH(RBX), V_RBX },
    { "test %r8,(%rbx)", M64, B("\x4c\x85\x03"), 8, MMIO_TEST, RD(R8),
      V_RBX },
    { "testb $0x1,(%rbx)", M64, B("\xf6\x03\x01"), 1, MMIO_TEST, RI(1),
      V_RBX },
    { "testl $0x1000,(%rbx)", M64, B("\xf7\x03\x00\x10\x00\x00"), 4,
      MMIO_TEST, RI(0x1000), V_RBX },
    { "testw $0x8000,(%rbx)", M64, B("\x66\xf7\x03\x00\x80"), 2, MMIO_TEST,
      RI(0x8000), V_RBX },
    { "testq $-0x10,(%rbx)", M64, B("\x48\xf7\x03\xf0\xff\xff\xff"), 8,
      MMIO_TEST, RI(0xfffffffffffffff0ULL), V_RBX },
    { "mov %eax,(%ebx)", M32, B("\x89\x03"), 4, MMIO_MOV, ST(RAX),
      A32(V_RBX + B_DS) },
    { "mov %eax,0xfee00300", M32, B("\xa3\x00\x03\xe0\xfe"), 4, MMIO_MOV,
      ST(RAX), A32(0xfee00300 + B_DS) },
    { "mov %ecx,0xfee00300", M32, B("\x89\x0d\x00\x03\xe0\xfe"), 4, MMIO_MOV,
      ST(RCX), A32(0xfee00300 + B_DS) },
    { "mov 0xfffffff0,%edx", M32, B("\x8b\x15\xf0\xff\xff\xff"), 4, MMIO_MOV,
      LD(RDX, 4), A32(0xfffffff0 + B_DS) },
    { "movl $0x1,0xfee000b0", M32,
      B("\xc7\x05\xb0\x00\xe0\xfe\x01\x00\x00\x00"), 4, MMIO_MOV, STI(1),
      A32(0xfee000b0 + B_DS) },
    { "mov %eax,0x10(%ebx,%esi,4)", M32, B("\x89\x44\xb3\x10"), 4, MMIO_MOV,
      ST(RAX), A32(V_RBX + V_RSI * 4 + 0x10 + B_DS) },
    { "mov %eax,(,%ecx,8)", M32, B("\x89\x04\xcd\x00\x00\x00\x00"), 4,
      MMIO_MOV, ST(RAX), A32(V_RCX * 8 + B_DS) },
    { "mov %eax,0x10(,%ebp,1)", M32, B("\x89\x04\x2d\x10\x00\x00\x00"), 4,
      MMIO_MOV, ST(RAX), A32(V_RBP + 0x10 + B_DS) },
    { "mov 0x10(%ebp),%eax", M32, B("\x8b\x45\x10"), 4, MMIO_MOV, LD(RAX, 4),
      A32(V_RBP + 0x10 + B_SS) },
    { "mov 0x12345678(%ebp),%eax", M32, B("\x8b\x85\x78\x56\x34\x12"), 4,
      MMIO_MOV, LD(RAX, 4), A32(V_RBP + 0x12345678 + B_SS) },
    { "mov (%esp),%eax", M32, B("\x8b\x04\x24"), 4, MMIO_MOV, LD(RAX, 4),
      A32(V_RSP + B_SS) },
    { "mov 0x8(%esp,%esi,2),%eax", M32, B("\x8b\x44\x74\x08"), 4, MMIO_MOV,
      LD(RAX, 4), A32(V_RSP + V_RSI * 2 + 8 + B_SS) },
    { "mov (%ebx,%ebp,1),%eax", M32, B("\x8b\x04\x2b"), 4, MMIO_MOV,
      LD(RAX, 4), A32(V_RBX + V_RBP + B_DS) },
    { "mov (%ebp,%ebx,1),%eax", M32, B("\x8b\x44\x1d\x00"), 4, MMIO_MOV,
      LD(RAX, 4), A32(V_RBP + V_RBX + B_SS) },
    { "mov %ds:0x0(%ebp),%eax", M32, B("\x3e\x8b\x45\x00"), 4, MMIO_MOV,
      LD(RAX, 4), A32(V_RBP + B_DS) },
    { "mov %es:(%ebx),%eax", M32, B("\x26\x8b\x03"), 4, MMIO_MOV, LD(RAX, 4),
      A32(V_RBX + B_ES) },
    { "mov %cs:(%ebx),%eax", M32, B("\x2e\x8b\x03"), 4, MMIO_MOV, LD(RAX, 4),
      A32(V_RBX + B_CS) },
    { "mov %ss:(%ebx),%eax", M32, B("\x36\x8b\x03"), 4, MMIO_MOV, LD(RAX, 4),
      A32(V_RBX + B_SS) },
    { "mov %fs:(%ebx),%eax", M32, B("\x64\x8b\x03"), 4, MMIO_MOV, LD(RAX, 4),
      A32(V_RBX + B_FS) },
    { "mov %gs:0x10,%eax", M32, B("\x65\xa1\x10\x00\x00\x00"), 4, MMIO_MOV,
      LD(RAX, 4), A32(0x10 + B_GS) },
    { "mov 0x20(%edx),%eax", M32, B("\x8b\x42\x20"), 4, MMIO_MOV, LD(RAX, 4),
      A32(V_RDX + 0x20 + B_DS) },
    { "mov %ax,(%ebx)", M32, B("\x66\x89\x03"), 2, MMIO_MOV, ST(RAX),
      A32(V_RBX + B_DS) },
    { "mov %ah,(%ebx)", M32, B("\x88\x23"), 1, MMIO_MOV, STH(RAX),
      A32(V_RBX + B_DS) },
    { "mov (%ebx),%dh", M32, B("\x8a\x33"), 1, MMIO_MOV, LDH(RDX),
      A32(V_RBX + B_DS) },
    { "mov (%ebx),%bl", M32, B("\x8a\x1b"), 1, MMIO_MOV, LD(RBX, 1),
      A32(V_RBX + B_DS) },
    { "mov %eax,(%bx,%si)", M32, B("\x67\x89\x00"), 4, MMIO_MOV, ST(RAX),
      A32(A16(V_RBX + V_RSI) + B_DS) },
    { "mov 0x10(%bp),%eax", M32, B("\x67\x8b\x46\x10"), 4, MMIO_MOV,
      LD(RAX, 4), A32(A16(V_RBP + 0x10) + B_SS) },
    { "mov 0xfee00300,%eax", M32, B("\xa1\x00\x03\xe0\xfe"), 4, MMIO_MOV,
      LD(RAX, 4), A32(0xfee00300 + B_DS) },
    { "addr16 mov 0x1234,%eax", M32, B("\x67\xa1\x34\x12"), 4, MMIO_MOV,
      LD(RAX, 4), A32(0x1234 + B_DS) },
    { "mov %al,%es:0x10", M32, B("\x26\xa2\x10\x00\x00\x00"), 1, MMIO_MOV,
      ST(RAX), A32(0x10 + B_ES) },
    { "mov %ax,0x20", M32, B("\x66\xa3\x20\x00\x00\x00"), 2, MMIO_MOV,
      ST(RAX), A32(0x20 + B_DS) },
    { "movzbl (%ebx),%eax", M32, B("\x0f\xb6\x03"), 1, MMIO_MOVZX, LD(RAX, 4),
      A32(V_RBX + B_DS) },
    { "movzbw (%ebx),%ax", M32, B("\x66\x0f\xb6\x03"), 1, MMIO_MOVZX,
      LD(RAX, 2), A32(V_RBX + B_DS) },
    { "movswl (%ebx),%ecx", M32, B("\x0f\xbf\x0b"), 2, MMIO_MOVSX, LD(RCX, 4),
      A32(V_RBX + B_DS) },
    { "lock orl $0x1,(%ebx)", M32, B("\xf0\x83\x0b\x01"), 4, MMIO_OR, STI(1),
      A32(V_RBX + B_DS) },
    { "andl $-2,(%ebx)", M32, B("\x83\x23\xfe"), 4, MMIO_AND, STI(0xfffffffe),
      A32(V_RBX + B_DS) },
    { "andw $-2,(%ebx)", M32, B("\x66\x83\x23\xfe"), 2, MMIO_AND, STI(0xfffe),
      A32(V_RBX + B_DS) },
    { "cmpl $0x10,0x300(%ebx)", M32, B("\x83\xbb\x00\x03\x00\x00\x10"), 4,
      MMIO_CMP, RI(0x10), A32(V_RBX + 0x300 + B_DS) },
    { "testw $0x8000,(%ebx)", M32, B("\x66\xf7\x03\x00\x80"), 2, MMIO_TEST,
      RI(0x8000), A32(V_RBX + B_DS) },
    { "movl $0x1,(%ebx)", M32, B("\xc7\x03\x01\x00\x00\x00"), 4, MMIO_MOV,
      STI(1), A32(V_RBX + B_DS) },
    { "movw $0xabcd,(%ebx)", M32, B("\x66\xc7\x03\xcd\xab"), 2, MMIO_MOV,
      STI(0xabcd), A32(V_RBX + B_DS) },
    { "movb $0xab,(%ebx)", M32, B("\xc6\x03\xab"), 1, MMIO_MOV, STI(0xab),
      A32(V_RBX + B_DS) },
    { "xor %eax,(%edi)", M32, B("\x31\x07"), 4, MMIO_XOR, ST(RAX),
      A32(V_RDI + B_DS) },
    { "sub %ecx,(%edi)", M32, B("\x29\x0f"), 4, MMIO_SUB, ST(RCX),
      A32(V_RDI + B_DS) },
    { "cmp (%edi),%edx", M32, B("\x3b\x17"), 4, MMIO_CMP, LD(RDX, 4),
      A32(V_RDI + B_DS) },
    { "test %ch,(%edi)", M32, B("\x84\x2f"), 1, MMIO_TEST, RDH(RCX),
      A32(V_RDI + B_DS) },
    { "mov %ax,(%bx,%si)", M16, B("\x89\x00"), 2, MMIO_MOV, ST(RAX),
      A32(A16(V_RBX + V_RSI) + B_DS) },
    { "mov %ax,(%bx,%di)", M16, B("\x89\x01"), 2, MMIO_MOV, ST(RAX),
      A32(A16(V_RBX + V_RDI) + B_DS) },
    { "mov %ax,0x10(%bp,%si)", M16, B("\x89\x42\x10"), 2, MMIO_MOV, ST(RAX),
      A32(A16(V_RBP + V_RSI + 0x10) + B_SS) },
    { "mov %ax,(%bp,%di)", M16, B("\x89\x03"), 2, MMIO_MOV, ST(RAX),
      A32(A16(V_RBP + V_RDI) + B_SS) },
    { "mov %ax,(%si)", M16, B("\x89\x04"), 2, MMIO_MOV, ST(RAX),
      A32(A16(V_RSI) + B_DS) },
    { "mov %ax,(%di)", M16, B("\x89\x05"), 2, MMIO_MOV, ST(RAX),
      A32(A16(V_RDI) + B_DS) },
    { "mov %ax,0x1234", M16, B("\xa3\x34\x12"), 2, MMIO_MOV, ST(RAX),
      A32(0x1234 + B_DS) },
    { "mov %cx,0x1234", M16, B("\x89\x0e\x34\x12"), 2, MMIO_MOV, ST(RCX),
      A32(0x1234 + B_DS) },
    { "mov 0xfff0,%dl", M16, B("\x8a\x16\xf0\xff"), 1, MMIO_MOV, LD(RDX, 1),
      A32(0xfff0 + B_DS) },
    { "movw $0x5,0x1234", M16, B("\xc7\x06\x34\x12\x05\x00"), 2, MMIO_MOV,
      STI(5), A32(0x1234 + B_DS) },
    { "mov %ss:0x1234,%si", M16, B("\x36\x8b\x36\x34\x12"), 2, MMIO_MOV,
      LD(RSI, 2), A32(0x1234 + B_SS) },
    { "mov %cx,0x10(%bp)", M16, B("\x89\x4e\x10"), 2, MMIO_MOV, ST(RCX),
      A32(A16(V_RBP + 0x10) + B_SS) },
    { "mov %ax,(%bx)", M16, B("\x89\x07"), 2, MMIO_MOV, ST(RAX),
      A32(A16(V_RBX) + B_DS) },
    { "mov %ax,0x1234(%bx)", M16, B("\x89\x87\x34\x12"), 2, MMIO_MOV, ST(RAX),
      A32(A16(V_RBX + 0x1234) + B_DS) },
    { "mov %ax,-2(%bx)", M16, B("\x89\x47\xfe"), 2, MMIO_MOV, ST(RAX),
      A32(A16(V_RBX - 2) + B_DS) },
    { "mov %ax,-0x1240(%bx)", M16, B("\x89\x87\xc0\xed"), 2, MMIO_MOV,
      ST(RAX), A32(A16(V_RBX - 0x1240) + B_DS) },
    { "mov %ax,0x7ff0(%di)", M16, B("\x89\x85\xf0\x7f"), 2, MMIO_MOV, ST(RAX),
      A32(A16(V_RDI + 0x7ff0) + B_DS) },
    { "mov %ax,-0x7ff0(%bp,%si)", M16, B("\x89\x82\x10\x80"), 2, MMIO_MOV,
      ST(RAX), A32(A16(V_RBP + V_RSI - 0x7ff0) + B_SS) },
    { "mov %al,(%bx)", M16, B("\x88\x07"), 1, MMIO_MOV, ST(RAX),
      A32(A16(V_RBX) + B_DS) },
    { "mov %ah,(%bx)", M16, B("\x88\x27"), 1, MMIO_MOV, STH(RAX),
      A32(A16(V_RBX) + B_DS) },
    { "mov 0x8(%bp),%al", M16, B("\x8a\x46\x08"), 1, MMIO_MOV, LD(RAX, 1),
      A32(A16(V_RBP + 8) + B_SS) },
    { "mov 0x8(%bp),%bh", M16, B("\x8a\x7e\x08"), 1, MMIO_MOV, LDH(RBX),
      A32(A16(V_RBP + 8) + B_SS) },
    { "mov %eax,(%bx)", M16, B("\x66\x89\x07"), 4, MMIO_MOV, ST(RAX),
      A32(A16(V_RBX) + B_DS) },
    { "mov (%ebx),%ax", M16, B("\x67\x8b\x03"), 2, MMIO_MOV, LD(RAX, 2),
      A32(V_RBX + B_DS) },
    { "mov (%ebx,%esi,4),%eax", M16, B("\x67\x66\x8b\x04\xb3"), 4, MMIO_MOV,
      LD(RAX, 4), A32(V_RBX + V_RSI * 4 + B_DS) },
    { "mov -0x10(%ebp),%eax", M16, B("\x67\x66\x8b\x45\xf0"), 4, MMIO_MOV,
      LD(RAX, 4), A32(V_RBP - 0x10 + B_SS) },
    { "mov 0x1234,%ax", M16, B("\xa1\x34\x12"), 2, MMIO_MOV, LD(RAX, 2),
      A32(0x1234 + B_DS) },
    { "mov 0x1234,%eax", M16, B("\x66\xa1\x34\x12"), 4, MMIO_MOV, LD(RAX, 4),
      A32(0x1234 + B_DS) },
    { "mov %al,0x10", M16, B("\xa2\x10\x00"), 1, MMIO_MOV, ST(RAX),
      A32(0x10 + B_DS) },
    { "addr32 mov 0x12345678,%ax", M16, B("\x67\xa1\x78\x56\x34\x12"), 2,
      MMIO_MOV, LD(RAX, 2), A32(0x12345678 + B_DS) },
    { "mov %es:(%bx),%ax", M16, B("\x26\x8b\x07"), 2, MMIO_MOV, LD(RAX, 2),
      A32(A16(V_RBX) + B_ES) },
    { "mov %ss:(%bx),%ax", M16, B("\x36\x8b\x07"), 2, MMIO_MOV, LD(RAX, 2),
      A32(A16(V_RBX) + B_SS) },
    { "mov %ds:(%bp),%ax", M16, B("\x3e\x8b\x46\x00"), 2, MMIO_MOV,
      LD(RAX, 2), A32(A16(V_RBP) + B_DS) },
    { "mov %fs:(%bx),%ax", M16, B("\x64\x8b\x07"), 2, MMIO_MOV, LD(RAX, 2),
      A32(A16(V_RBX) + B_FS) },
    { "mov %gs:0x10,%ax", M16, B("\x65\xa1\x10\x00"), 2, MMIO_MOV, LD(RAX, 2),
      A32(0x10 + B_GS) },
    { "movw $0x1234,(%bx)", M16, B("\xc7\x07\x34\x12"), 2, MMIO_MOV,
      STI(0x1234), A32(A16(V_RBX) + B_DS) },
    { "movl $0x12345678,(%bx)", M16, B("\x66\xc7\x07\x78\x56\x34\x12"), 4,
      MMIO_MOV, STI(0x12345678), A32(A16(V_RBX) + B_DS) },
    { "movb $1,(%bx)", M16, B("\xc6\x07\x01"), 1, MMIO_MOV, STI(1),
      A32(A16(V_RBX) + B_DS) },
    { "addw $-1,(%bx)", M16, B("\x83\x07\xff"), 2, MMIO_ADD, STI(0xffff),
      A32(A16(V_RBX) + B_DS) },
    { "addl $-1,(%bx)", M16, B("\x66\x83\x07\xff"), 4, MMIO_ADD,
      STI(0xffffffff), A32(A16(V_RBX) + B_DS) },
    { "lock orw $0x100,(%bx)", M16, B("\xf0\x81\x0f\x00\x01"), 2, MMIO_OR,
      STI(0x100), A32(A16(V_RBX) + B_DS) },
    { "movzbw (%bx),%ax", M16, B("\x0f\xb6\x07"), 1, MMIO_MOVZX, LD(RAX, 2),
      A32(A16(V_RBX) + B_DS) },
    { "movzbl (%bx),%eax", M16, B("\x66\x0f\xb6\x07"), 1, MMIO_MOVZX,
      LD(RAX, 4), A32(A16(V_RBX) + B_DS) },
    { "movsbw (%bx),%ax", M16, B("\x0f\xbe\x07"), 1, MMIO_MOVSX, LD(RAX, 2),
      A32(A16(V_RBX) + B_DS) },
    { "movswl (%bx),%eax", M16, B("\x66\x0f\xbf\x07"), 2, MMIO_MOVSX,
      LD(RAX, 4), A32(A16(V_RBX) + B_DS) },
    { "cmp (%bx),%ax", M16, B("\x3b\x07"), 2, MMIO_CMP, LD(RAX, 2),
      A32(A16(V_RBX) + B_DS) },
    { "test %ax,(%bx)", M16, B("\x85\x07"), 2, MMIO_TEST, RD(RAX),
      A32(A16(V_RBX) + B_DS) },
    { "testb $1,(%bx)", M16, B("\xf6\x07\x01"), 1, MMIO_TEST, RI(1),
      A32(A16(V_RBX) + B_DS) },
    { "es es; movl $0x12345678,0x12345678(%ebx,%esi,4)", M16,
      B("\x26\x26\x67\x66\xc7\x84\xb3\x78\x56\x34\x12\x78\x56\x34\x12"), 4,
      MMIO_MOV, STI(0x12345678), A32(V_RBX + V_RSI * 4 + 0x12345678 + B_ES) },
    /* The read-modify-write forms, both directions, and the bit tests. */
    { "notl (%rbx)", M64, B("\xf7\x13"), 4, MMIO_NOT, STI(0), V_RBX },
    { "negl (%rbx)", M64, B("\xf7\x1b"), 4, MMIO_NEG, STI(0), V_RBX },
    { "lock negb (%rbx)", M64, B("\xf0\xf6\x1b"), 1, MMIO_NEG, STI(0),
      V_RBX },
    { ".byte 0xf6,0x0b,1 (F6 /1 is TEST)", M64, B("\xf6\x0b\x01"), 1,
      MMIO_TEST, RI(1), V_RBX },
    { "adcl $1,(%rbx)", M64, B("\x83\x13\x01"), 4, MMIO_ADC, STI(1),
      V_RBX },
    { "sbbb $1,(%rbx)", M64, B("\x80\x1b\x01"), 1, MMIO_SBB, STI(1),
      V_RBX },
    { "lock adcl $1,(%rbx)", M64, B("\xf0\x83\x13\x01"), 4, MMIO_ADC,
      STI(1), V_RBX },
    { "adc %eax,(%rbx)", M64, B("\x11\x03"), 4, MMIO_ADC, ST(RAX), V_RBX },
    { "sbb %eax,(%rbx)", M64, B("\x19\x03"), 4, MMIO_SBB, ST(RAX), V_RBX },
    { "add (%rbx),%al", M64, B("\x02\x03"), 1, MMIO_ADD, LD(RAX, 1),
      V_RBX },
    { "add (%rbx),%eax", M64, B("\x03\x03"), 4, MMIO_ADD, LD(RAX, 4),
      V_RBX },
    { "or (%rbx),%eax", M64, B("\x0b\x03"), 4, MMIO_OR, LD(RAX, 4), V_RBX },
    { "and (%rbx),%eax", M64, B("\x23\x03"), 4, MMIO_AND, LD(RAX, 4),
      V_RBX },
    { "sub (%rbx),%eax", M64, B("\x2b\x03"), 4, MMIO_SUB, LD(RAX, 4),
      V_RBX },
    { "xor (%rbx),%eax", M64, B("\x33\x03"), 4, MMIO_XOR, LD(RAX, 4),
      V_RBX },
    { "adc (%rbx),%cx", M64, B("\x66\x13\x0b"), 2, MMIO_ADC, LD(RCX, 2),
      V_RBX },
    { "incl (%rbx)", M64, B("\xff\x03"), 4, MMIO_INC, STI(0), V_RBX },
    { "decb (%rbx)", M64, B("\xfe\x0b"), 1, MMIO_DEC, STI(0), V_RBX },
    { "xchg %eax,(%rbx)", M64, B("\x87\x03"), 4, MMIO_XCHG, XR(RAX, 4),
      V_RBX },
    { "lock xchg %ah,(%rbx)", M64, B("\xf0\x86\x23"), 1, MMIO_XCHG,
      XRH(RAX), V_RBX },
    { "xadd %eax,(%rbx)", M64, B("\x0f\xc1\x03"), 4, MMIO_XADD,
      XR(RAX, 4), V_RBX },
    { "xadd %rsi,0x10(%rbx)", M64, B("\x48\x0f\xc1\x73\x10"), 8,
      MMIO_XADD, XR(RSI, 8), V_RBX + 0x10 },
    { "cmpxchg %ecx,(%rbx)", M64, B("\x0f\xb1\x0b"), 4, MMIO_CMPXCHG,
      XR(RCX, 4), V_RBX },
    { "cmpxchg %dh,(%rbx)", M64, B("\x0f\xb0\x33"), 1, MMIO_CMPXCHG,
      XRH(RDX), V_RBX },
    { "movnti %eax,(%rbx)", M64, B("\x0f\xc3\x03"), 4, MMIO_MOV, ST(RAX),
      V_RBX },
    /* The bit string: EAX 0xa00 is bit 0 of the dword 0x140 bytes on. */
    { "bt %eax,(%rbx)", M64, B("\x0f\xa3\x03"), 4, MMIO_BT, RD(RAX),
      V_RBX + 0x140 },
    /* EDX 0xfffffff0 is -16: bit 16 of the dword before. */
    { "bt %edx,(%rbx)", M64, B("\x0f\xa3\x13"), 4, MMIO_BT, RD(RDX),
      V_RBX - 4 },
    { "bt %rdx,(%rbx)", M64, B("\x48\x0f\xa3\x13"), 8, MMIO_BT, RD(RDX),
      V_RBX + (V_RDX >> 6) * 8 },
    { "btl $35,(%rbx)", M64, B("\x0f\xba\x23\x23"), 4, MMIO_BT, RI(35),
      V_RBX },
    { "btsl $3,(%rbx)", M64, B("\x0f\xba\x2b\x03"), 4, MMIO_BTS,
      STI(3), V_RBX },
    { "btr %ecx,(%rbx)", M64, B("\x0f\xb3\x0b"), 4, MMIO_BTR, ST(RCX),
      V_RBX },
    { "lock btc %ecx,(%rbx)", M64, B("\xf0\x0f\xbb\x0b"), 4, MMIO_BTC,
      ST(RCX), V_RBX },
    /* REP and REPNE mean nothing here; with LOCK they are HLE hints. */
    { "rep mov %eax,(%rbx)", M64, B("\xf3\x89\x03"), 4, MMIO_MOV,
      ST(RAX), V_RBX },
    { "repne mov %eax,(%rbx)", M64, B("\xf2\x89\x03"), 4, MMIO_MOV,
      ST(RAX), V_RBX },
    { "xacquire lock addl $1,(%rbx)", M64, B("\xf2\xf0\x83\x03\x01"),
      4, MMIO_ADD, STI(1), V_RBX },
    { "xrelease lock add %eax,(%rbx)", M64, B("\xf3\xf0\x01\x03"), 4,
      MMIO_ADD, ST(RAX), V_RBX },
    { "xacquire lock orl $1,(%rbx)", M64, B("\xf2\xf0\x83\x0b\x01"), 4,
      MMIO_OR, STI(1), V_RBX },
    { "xrelease movl $0,(%rbx)", M64, B("\xf3\xc7\x03\x00\x00\x00\x00"),
      4, MMIO_MOV, STI(0), V_RBX },
    { ".byte 0xf3,0x0f,0xb6,0x03 (movzbl)", M64, B("\xf3\x0f\xb6\x03"),
      1, MMIO_MOVZX, LD(RAX, 4), V_RBX },
    { ".byte 0xf3,0xa1; .quad 0xfee00300", M64,
      B("\xf3\xa1\x00\x03\xe0\xfe\x00\x00\x00\x00"), 4, MMIO_MOV,
      LD(RAX, 4), 0xfee00300 },
    { ".byte 0xf2,0x85,0x03", M64, B("\xf2\x85\x03"), 4, MMIO_TEST,
      RD(RAX), V_RBX },
};

static const struct bad_case
{
    const char *src;
    unsigned int modes;
    const char *bytes;
    unsigned int len;
    int rc;
} bad_cases[] = {
    { "lock mov %eax,(%rbx)", M64, B("\xf0\x89\x03"), EMUL_BAD_INSN },
    { "lock movsb", M64, B("\xf0\xa4"), EMUL_BAD_INSN },
    { "lock repe cmpsb", M64, B("\xf0\xf3\xa6"), EMUL_BAD_INSN },
    { "lock scasl", M64, B("\xf0\xaf"), EMUL_BAD_INSN },
    { "lock mov (%rbx),%eax", M64, B("\xf0\x8b\x03"), EMUL_BAD_INSN },
    { "lock mov %al,(%rbx)", M64, B("\xf0\x88\x03"), EMUL_BAD_INSN },
    { "lock movl $1,(%rbx)", M64, B("\xf0\xc7\x03\x01\x00\x00\x00"),
      EMUL_BAD_INSN },
    { "lock movb $1,(%rbx)", M64, B("\xf0\xc6\x03\x01"), EMUL_BAD_INSN },
    { "lock movabs 0xfee00300,%eax", M64,
      B("\xf0\xa1\x00\x03\xe0\xfe\x00\x00\x00\x00"), EMUL_BAD_INSN },
    { "lock movabs %eax,0xfee00300", M64,
      B("\xf0\xa3\x00\x03\xe0\xfe\x00\x00\x00\x00"), EMUL_BAD_INSN },
    { "lock movzbl (%rbx),%eax", M64, B("\xf0\x0f\xb6\x03"), EMUL_BAD_INSN },
    { "lock movsbl (%rbx),%eax", M64, B("\xf0\x0f\xbe\x03"), EMUL_BAD_INSN },
    { "lock movslq (%rbx),%rax", M64, B("\xf0\x48\x63\x03"), EMUL_BAD_INSN },
    { "lock cmp %eax,(%rbx)", M64, B("\xf0\x39\x03"), EMUL_BAD_INSN },
    { "lock cmp (%rbx),%eax", M64, B("\xf0\x3b\x03"), EMUL_BAD_INSN },
    { "lock cmpl $1,(%rbx)", M64, B("\xf0\x83\x3b\x01"), EMUL_BAD_INSN },
    { "lock cmpb $1,(%rbx)", M64, B("\xf0\x80\x3b\x01"), EMUL_BAD_INSN },
    { "lock test %eax,(%rbx)", M64, B("\xf0\x85\x03"), EMUL_BAD_INSN },
    { "lock testl $1,(%rbx)", M64, B("\xf0\xf7\x03\x01\x00\x00\x00"),
      EMUL_BAD_INSN },
    { "lock add %eax,%ebx", M64, B("\xf0\x01\xc3"), EMUL_BAD_INSN },
    { "lock orl $1,%ebx", M64, B("\xf0\x83\xcb\x01"), EMUL_BAD_INSN },
    { "mov %eax,%ebx", M64, B("\x89\xc3"), EMUL_UNHANDLEABLE },
    { "mov %eax,%ebx (8B form)", M64, B("\x8b\xd8"), EMUL_UNHANDLEABLE },
    { "mov %ah,%al", M64, B("\x88\xe0"), EMUL_UNHANDLEABLE },
    { "add %eax,%ebx", M64, B("\x01\xc3"), EMUL_UNHANDLEABLE },
    { "addl $1,%ebx", M64, B("\x83\xc3\x01"), EMUL_UNHANDLEABLE },
    { "andl $0x10000,%ebx", M64, B("\x81\xe3\x00\x00\x01\x00"),
      EMUL_UNHANDLEABLE },
    { "movl $1,%eax (C7 form)", M64, B("\xc7\xc0\x01\x00\x00\x00"),
      EMUL_UNHANDLEABLE },
    { "movb $1,%al (C6 form)", M64, B("\xc6\xc0\x01"), EMUL_UNHANDLEABLE },
    { "movzbl %al,%eax", M64, B("\x0f\xb6\xc0"), EMUL_UNHANDLEABLE },
    { "movslq %ebx,%rax", M64, B("\x48\x63\xc3"), EMUL_UNHANDLEABLE },
    { "test %eax,%eax", M64, B("\x85\xc0"), EMUL_UNHANDLEABLE },
    { "testb $1,%al (F6 form)", M64, B("\xf6\xc0\x01"), EMUL_UNHANDLEABLE },
    { "cmp %ebx,%eax", M64, B("\x39\xd8"), EMUL_UNHANDLEABLE },
    { "xbegin", M64, B("\xc7\xf8\x00\x00\x00\x00"), EMUL_UNHANDLEABLE },
    { "xabort $0", M64, B("\xc6\xf8\x00"), EMUL_UNHANDLEABLE },
    { "c7 /1 (%rbx)", M64, B("\xc7\x0b\x00\x00\x00\x00"), EMUL_BAD_INSN },
    { "c6 /7 (%rbx)", M64, B("\xc6\x3b\x00"), EMUL_BAD_INSN },
    { "c6 /7 0x10(%rax)", M64, B("\xc6\x78\x10\x00"), EMUL_BAD_INSN },
    { "mull (%rbx)", M64, B("\xf7\x23"), EMUL_UNHANDLEABLE },
    { "imull (%rbx)", M64, B("\xf7\x2b"), EMUL_UNHANDLEABLE },
    { "divl (%rbx)", M64, B("\xf7\x33"), EMUL_UNHANDLEABLE },
    { "idivb (%rbx)", M64, B("\xf6\x3b"), EMUL_UNHANDLEABLE },
    { "lea (%rbx),%eax", M64, B("\x8d\x03"), EMUL_UNHANDLEABLE },
    { "shll (%rbx)", M64, B("\xd1\x23"), EMUL_UNHANDLEABLE },
    { "ud2", M64, B("\x0f\x0b"), EMUL_UNHANDLEABLE },
    { "nop", M64, B("\x90"), EMUL_UNHANDLEABLE },
    { "movups (%rbx),%xmm0", M64, B("\x0f\x10\x03"), EMUL_UNHANDLEABLE },
    { "vmovdqu (%rbx),%ymm0", M64, B("\xc5\xfe\x6f\x03"), EMUL_UNHANDLEABLE },
    { "pushq (%rbx)", M64, B("\xff\x33"), EMUL_UNHANDLEABLE },
    { "popq (%rbx)", M64, B("\x8f\x03"), EMUL_UNHANDLEABLE },
    { "setz (%rbx)", M64, B("\x0f\x94\x03"), EMUL_UNHANDLEABLE },
    { "movbe (%rbx),%eax", M64, B("\x0f\x38\xf0\x03"), EMUL_UNHANDLEABLE },
    { "popcnt (%rbx),%eax", M64, B("\xf3\x0f\xb8\x03"), EMUL_UNHANDLEABLE },
    { "cmovz (%rbx),%eax", M64, B("\x0f\x44\x03"), EMUL_UNHANDLEABLE },
    { "movsxd without REX.W", M64, B("\x63\x03"), EMUL_UNHANDLEABLE },
    { "16-bit movsxd", M64, B("\x66\x63\x03"), EMUL_UNHANDLEABLE },
    { ".byte 0x82,0x03,1", M64, B("\x82\x03\x01"), EMUL_UNHANDLEABLE },
    { "sldt (%rbx)", M64, B("\x0f\x00\x03"), EMUL_UNHANDLEABLE },
    { "hlt", M64, B("\xf4"), EMUL_UNHANDLEABLE },
    { "mov %es,(%rbx)", M64, B("\x8c\x03"), EMUL_UNHANDLEABLE },
    { "mov (%rbx),%ds", M64, B("\x8e\x1b"), EMUL_UNHANDLEABLE },
    { "lock bt %eax,(%rbx)", M64, B("\xf0\x0f\xa3\x03"), EMUL_BAD_INSN },
    { "lock btl $1,(%rbx)", M64, B("\xf0\x0f\xba\x23\x01"),
      EMUL_BAD_INSN },
    { "lock add (%rbx),%eax", M64, B("\xf0\x03\x03"), EMUL_BAD_INSN },
    { "lock adc (%rbx),%eax", M64, B("\xf0\x13\x03"), EMUL_BAD_INSN },
    { "lock movnti %eax,(%rbx)", M64, B("\xf0\x0f\xc3\x03"),
      EMUL_BAD_INSN },
    { ".byte 0x66,0x0f,0xc3,0x03 (NP)", M64, B("\x66\x0f\xc3\x03"),
      EMUL_BAD_INSN },
    { ".byte 0xf3,0x0f,0xc3,0x03 (NP)", M64, B("\xf3\x0f\xc3\x03"),
      EMUL_BAD_INSN },
    { ".byte 0xfe,0x13 (FE /2)", M64, B("\xfe\x13"), EMUL_BAD_INSN },
    { ".byte 0xff,0x3b (FF /7)", M64, B("\xff\x3b"), EMUL_BAD_INSN },
    { ".byte 0x0f,0xba,0x03,1 (0F BA /0)", M64, B("\x0f\xba\x03\x01"),
      EMUL_BAD_INSN },
    { "callq *(%rbx)", M64, B("\xff\x13"), EMUL_UNHANDLEABLE },
    { "jmpq *(%rbx)", M64, B("\xff\x23"), EMUL_UNHANDLEABLE },
    { "14 x 66; mov %ax,(%rbx): 16 bytes", M64,
      B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x89\x03"),
      EMUL_BAD_INSN },
    { "4 x ds; movq $-2,0x12345678(%rsp): 16", M64,
      B("\x3e\x3e\x3e\x3e\x48\xc7\x84\x24\x78\x56\x34\x12\xfe\xff\xff\xff"),
      EMUL_BAD_INSN },
    { "6 x cs; movabs 0x123456789a,%rax: 16", M64,
      B("\x2e\x2e\x2e\x2e\x2e\x2e\x48\xa1\x9a\x78\x56\x34\x12\x00\x00\x00"),
      EMUL_BAD_INSN },
    { "13 x cs; movzbl: 16 bytes", M64,
      B("\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x0f\xb6\x03"),
      EMUL_BAD_INSN },
    { "only prefixes", M64,
      B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66"),
      EMUL_BAD_INSN },
    { "only locks", M64,
      B("\xf0\xf0\xf0\xf0\xf0\xf0\xf0\xf0\xf0\xf0\xf0\xf0\xf0\xf0\xf0\xf0"),
      EMUL_BAD_INSN },
    { "only REX", M64,
      B("\x48\x48\x48\x48\x48\x48\x48\x48\x48\x48\x48\x48\x48\x48\x48\x48"),
      EMUL_BAD_INSN },
    { "dec %eax; mov (%ebx),%eax", M32, B("\x48\x8b\x03"),
      EMUL_UNHANDLEABLE },
    { "inc %eax; mov %eax,(%ebx)", M32, B("\x40\x89\x03"),
      EMUL_UNHANDLEABLE },
    { "arpl %ax,(%ebx)", M32, B("\x63\x03"), EMUL_UNHANDLEABLE },
    { "movzbl %al,%eax", M32, B("\x0f\xb6\xc0"), EMUL_UNHANDLEABLE },
    { "lea (%ebx),%eax", M32, B("\x8d\x03"), EMUL_UNHANDLEABLE },
    { "les (%ebx),%eax", M32, B("\xc4\x03"), EMUL_UNHANDLEABLE },
    { "bound %eax,(%ebx)", M32, B("\x62\x03"), EMUL_UNHANDLEABLE },
    { "lock mov %eax,(%ebx)", M32, B("\xf0\x89\x03"), EMUL_BAD_INSN },
    { "5 x ds; movl $imm32,disp32(sib): 16 bytes", M32,
      B("\x3e\x3e\x3e\x3e\x3e\xc7\x84\xb3\x78\x56\x34\x12\x78\x56\x34\x12"),
      EMUL_BAD_INSN },
    { "dec %ax; mov %ax,(%bx)", M16, B("\x48\x89\x07"), EMUL_UNHANDLEABLE },
    { "arpl %ax,(%bx)", M16, B("\x63\x07"), EMUL_UNHANDLEABLE },
    { "mov %ax,%bx", M16, B("\x89\xc3"), EMUL_UNHANDLEABLE },
    { "lock mov %ax,(%bx)", M16, B("\xf0\x89\x07"), EMUL_BAD_INSN },
    { "es es es; movl $imm32,disp32(sib): 16", M16,
      B("\x26\x26\x26\x67\x66\xc7\x84\xb3\x78\x56\x34\x12\x78\x56\x34\x12"),
      EMUL_BAD_INSN },
};

/* Report a mismatch with the case and mode it happened in. */
#define CASE_EQ(name, mode, a, b)                                       \
    do {                                                                \
        unsigned long long a_ = (unsigned long long)(a);                \
        unsigned long long b_ = (unsigned long long)(b);                \
        if ( a_ != b_ )                                                 \
            harness_fail(__FILE__, __LINE__, false,                     \
                         "\"%s\" (%s): %s = %#llx, expected %#llx",     \
                         name, mode_names[mode], #a, a_, b_);           \
    } while ( 0 )

/* Give up on a loop once it has said enough. */
#define ENOUGH()    (harness_failures() > 20)

static void check_ok_case(const struct ok_case *c, enum x86_mode mode,
                          const struct mmio_insn *insn)
{
    CASE_EQ(c->src, mode, insn->len, c->len);
    CASE_EQ(c->src, mode, insn->size, c->size);
    CASE_EQ(c->src, mode, insn->op, c->op);
    CASE_EQ(c->src, mode, insn->write, c->write);
    CASE_EQ(c->src, mode, insn->src_is_imm, c->src_is_imm);
    if ( c->src_is_imm )
        CASE_EQ(c->src, mode, insn->imm, c->imm);
    else
    {
        CASE_EQ(c->src, mode, insn->reg, c->reg);
        CASE_EQ(c->src, mode, insn->reg_high_byte, c->high);
    }
    CASE_EQ(c->src, mode, insn->reg_size, c->reg_size);
    CASE_EQ(c->src, mode, insn->addr, c->addr);
}

TEST(decodes_every_form_mode_prefix_and_addressing)
{
    unsigned int i, n = 0;
    enum x86_mode mode;

    for ( i = 0; i < ARRAY_SIZE(ok_cases); i++ )
    {
        const struct ok_case *c = &ok_cases[i];

        REQUIRE(c->len >= 1 && c->len <= X86_MAX_INSN_LEN);
        REQUIRE(c->modes != 0);
        for ( mode = X86_MODE_REAL; mode <= X86_MODE_LONG64; mode++ )
        {
            struct tctx t;
            struct mmio_insn insn;
            int rc;

            if ( !(c->modes & (1u << mode)) )
                continue;
            n++;
            t_setup(&t, mode, c->bytes, c->len, X86_MAX_INSN_LEN);
            rc = t_decode(&t, mode, &insn);
            CASE_EQ(c->src, mode, rc, EMUL_OK);
            CASE_EQ(c->src, mode, t.fetches, 1);
            CASE_EQ(c->src, mode, t.bad_arg, false);
            if ( rc == EMUL_OK )
                check_ok_case(c, mode, &insn);
        }
    }
    /* The 16-bit cases run twice, in real and in protected mode. */
    CHECK(n > ARRAY_SIZE(ok_cases));
}

/*
 * String instructions: sizes, REP and which of F2/F3 (the last wins), the
 * address size, the source segment and the bases of both operands.
 */
#define NO_REP      0, 0
#define REP_E       1, 1        /* F3: REP, or REPE for CMPS/SCAS */
#define REP_NE      1, 0        /* F2: REPNE */
static const struct string_case
{
    const char *src;
    enum x86_mode mode;
    const char *bytes;
    unsigned int len;
    unsigned int op, size, adsize, src_seg;
    bool rep, repe;
} string_cases[] = {
    { "rep movsl", X86_MODE_PROT32, B("\xf3\xa5"), MMIO_MOVS, 4, 4, 3,
      REP_E },
    { "movsb", X86_MODE_LONG64, B("\xa4"), MMIO_MOVS, 1, 8, 3, NO_REP },
    { "rep stosq", X86_MODE_LONG64, B("\xf3\x48\xab"), MMIO_STOS, 8, 8, 3,
      REP_E },
    { "addr32 rep stosb", X86_MODE_LONG64, B("\x67\xf3\xaa"), MMIO_STOS,
      1, 4, 3, REP_E },
    { "fs lodsw", X86_MODE_PROT32, B("\x64\x66\xad"), MMIO_LODS, 2, 4, 4,
      NO_REP },
    { "repne lodsb", X86_MODE_PROT32, B("\xf2\xac"), MMIO_LODS, 1, 4, 3,
      REP_NE },
    { "movsw (16-bit)", X86_MODE_PROT16, B("\xa5"), MMIO_MOVS, 2, 2, 3,
      NO_REP },
    { "es movsl", X86_MODE_PROT32, B("\x26\xa5"), MMIO_MOVS, 4, 4, 0,
      NO_REP },
    { "cmpsb", X86_MODE_PROT32, B("\xa6"), MMIO_CMPS, 1, 4, 3, NO_REP },
    { "repe cmpsl", X86_MODE_PROT32, B("\xf3\xa7"), MMIO_CMPS, 4, 4, 3,
      REP_E },
    { "repne cmpsw", X86_MODE_PROT32, B("\xf2\x66\xa7"), MMIO_CMPS, 2, 4,
      3, REP_NE },
    { "repz cmpsq", X86_MODE_LONG64, B("\xf3\x48\xa7"), MMIO_CMPS, 8, 8,
      3, REP_E },
    { "fs repne cmpsl", X86_MODE_LONG64, B("\x64\xf2\xa7"), MMIO_CMPS, 4,
      8, 4, REP_NE },
    { "gs cmpsb", X86_MODE_LONG64, B("\x65\xa6"), MMIO_CMPS, 1, 8, 5,
      NO_REP },
    /* In 64-bit mode DS has no base, overridden or not. */
    { "ss cmpsw", X86_MODE_LONG64, B("\x36\x66\xa7"), MMIO_CMPS, 2, 8, 2,
      NO_REP },
    { "ss repe cmpsb", X86_MODE_PROT32, B("\x36\xf3\xa6"), MMIO_CMPS, 1,
      4, 2, REP_E },
    { "addr16 es cmpsw (16-bit)", X86_MODE_PROT16, B("\x67\x26\xa7"),
      MMIO_CMPS, 2, 4, 0, NO_REP },
    { "addr16 repe cmpsb", X86_MODE_PROT32, B("\x67\xf3\xa6"), MMIO_CMPS,
      1, 2, 3, REP_E },
    { "cmpsl (real)", X86_MODE_REAL, B("\x66\xa7"), MMIO_CMPS, 4, 2, 3,
      NO_REP },
    { "repne repe cmpsb (F3 last)", X86_MODE_PROT32, B("\xf2\xf3\xa6"),
      MMIO_CMPS, 1, 4, 3, REP_E },
    { "repe repne cmpsb (F2 last)", X86_MODE_PROT32, B("\xf3\xf2\xa6"),
      MMIO_CMPS, 1, 4, 3, REP_NE },
    { "scasb", X86_MODE_PROT32, B("\xae"), MMIO_SCAS, 1, 4, 3, NO_REP },
    { "repne scasb", X86_MODE_PROT32, B("\xf2\xae"), MMIO_SCAS, 1, 4, 3,
      REP_NE },
    { "repe scasw", X86_MODE_PROT32, B("\xf3\x66\xaf"), MMIO_SCAS, 2, 4,
      3, REP_E },
    { "repne scasq", X86_MODE_LONG64, B("\xf2\x48\xaf"), MMIO_SCAS, 8, 8,
      3, REP_NE },
    { "addr32 repe scasl", X86_MODE_LONG64, B("\x67\xf3\xaf"), MMIO_SCAS,
      4, 4, 3, REP_E },
    { "scasw (16-bit)", X86_MODE_PROT16, B("\xaf"), MMIO_SCAS, 2, 2, 3,
      NO_REP },
};

TEST(decodes_string_instructions)
{
    for ( unsigned int i = 0; i < ARRAY_SIZE(string_cases); i++ )
    {
        const struct string_case *c = &string_cases[i];
        bool long64 = c->mode == X86_MODE_LONG64;
        struct tctx t;
        struct mmio_insn insn;

        t_setup(&t, c->mode, c->bytes, c->len, X86_MAX_INSN_LEN);
        CASE_EQ(c->src, c->mode, t_decode(&t, c->mode, &insn), EMUL_OK);
        CASE_EQ(c->src, c->mode, insn.op, c->op);
        CASE_EQ(c->src, c->mode, insn.size, c->size);
        CASE_EQ(c->src, c->mode, insn.len, c->len);
        CASE_EQ(c->src, c->mode, insn.str.adsize, c->adsize);
        CASE_EQ(c->src, c->mode, insn.str.src_seg, c->src_seg);
        CASE_EQ(c->src, c->mode, insn.str.rep, c->rep);
        if ( c->op == MMIO_CMPS || c->op == MMIO_SCAS )
            CASE_EQ(c->src, c->mode, insn.str.repe, c->repe);
        CASE_EQ(c->src, c->mode, insn.write,
                c->op == MMIO_MOVS || c->op == MMIO_STOS);
        /* Spelled out: only FS and GS have a base in 64-bit mode. */
        CASE_EQ(c->src, c->mode, insn.str.src_base,
                !long64 ? seg_bases[c->src_seg] :
                c->src_seg == 4 ? B_FS : c->src_seg == 5 ? B_GS : 0);
        CASE_EQ(c->src, c->mode, insn.str.dst_base, long64 ? 0 : B_ES);
        CASE_EQ(c->src, c->mode, insn.str.lin_mask,
                long64 ? ~0ULL : 0xffffffffULL);
    }
}

TEST(rejects_what_it_must_not_emulate)
{
    unsigned int i;
    enum x86_mode mode;

    for ( i = 0; i < ARRAY_SIZE(bad_cases); i++ )
    {
        const struct bad_case *c = &bad_cases[i];

        for ( mode = X86_MODE_REAL; mode <= X86_MODE_LONG64; mode++ )
        {
            struct tctx t;
            struct mmio_insn insn;

            if ( !(c->modes & (1u << mode)) )
                continue;
            t_setup(&t, mode, c->bytes, c->len, X86_MAX_INSN_LEN);
            CASE_EQ(c->src, mode, t_decode(&t, mode, &insn), c->rc);
            CASE_EQ(c->src, mode, t.bad_arg, false);
        }
    }
}

/*
 * Cut short at every length, the instruction must fail to fetch -- even
 * though the rest of it is in the buffer (see t_fetch) -- and with
 * exactly its own length available it must decode.
 */
TEST(truncated_at_every_length_is_a_fetch_failure)
{
    unsigned int i, k;
    enum x86_mode mode;

    for ( i = 0; i < ARRAY_SIZE(ok_cases); i++ )
    {
        const struct ok_case *c = &ok_cases[i];

        for ( mode = X86_MODE_REAL; mode <= X86_MODE_LONG64; mode++ )
        {
            struct tctx t;
            struct mmio_insn insn;

            if ( !(c->modes & (1u << mode)) )
                continue;
            for ( k = 0; k < c->len; k++ )
            {
                t_setup(&t, mode, c->bytes, c->len, k);
                CASE_EQ(c->src, mode, t_decode(&t, mode, &insn),
                        EMUL_FETCH_FAIL);
            }
            t_setup(&t, mode, c->bytes, c->len, c->len);
            CASE_EQ(c->src, mode, t_decode(&t, mode, &insn), EMUL_OK);
            CASE_EQ(c->src, mode, insn.len, c->len);
            if ( ENOUGH() )
                return;
        }
    }
}

/*
 * Grow every instruction with redundant prefixes to exactly 15 bytes
 * (still fine) and to 16 (#GP: a bad instruction).  In 64-bit mode CS
 * overrides change nothing, so the whole result must stay the same; the
 * instruction is moved back so that it still ends where it did, which
 * keeps RIP-relative addresses too.
 */
TEST(fifteen_bytes_decode_and_sixteen_are_bad)
{
    unsigned int i, pad;
    enum x86_mode mode;

    for ( i = 0; i < ARRAY_SIZE(ok_cases); i++ )
    {
        const struct ok_case *c = &ok_cases[i];

        for ( mode = X86_MODE_REAL; mode <= X86_MODE_LONG64; mode++ )
        {
            char buf[16];
            struct tctx t;
            struct mmio_insn insn;
            int rc;

            if ( !(c->modes & (1u << mode)) )
                continue;

            for ( pad = 0; pad <= 16 - c->len; pad++ )
            {
                memset(buf, 0x2e, pad);
                memcpy(buf + pad, c->bytes, c->len);
                t_setup(&t, mode, buf, pad + c->len, X86_MAX_INSN_LEN);
                t.rip -= pad;
                rc = t_decode(&t, mode, &insn);
                if ( pad + c->len > X86_MAX_INSN_LEN )
                {
                    CASE_EQ(c->src, mode, rc, EMUL_BAD_INSN);
                    continue;
                }
                CASE_EQ(c->src, mode, rc, EMUL_OK);
                if ( rc != EMUL_OK )
                    continue;
                CASE_EQ(c->src, mode, insn.len, c->len + pad);
                CASE_EQ(c->src, mode, insn.size, c->size);
                CASE_EQ(c->src, mode, insn.op, c->op);
                if ( mode == X86_MODE_LONG64 )
                    CASE_EQ(c->src, mode, insn.addr, c->addr);
            }
            if ( ENOUGH() )
                return;
        }
    }
}

TEST(prefixes_alone_never_make_an_instruction)
{
    static const u8 prefixes[] = {
        0x66, 0x67, 0xf0, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x40, 0x4f,
    };
    unsigned int i, avail;
    enum x86_mode mode;

    for ( i = 0; i < ARRAY_SIZE(prefixes); i++ )
        for ( mode = X86_MODE_REAL; mode <= X86_MODE_LONG64; mode++ )
        {
            char buf[16];
            struct tctx t;
            struct mmio_insn insn;
            bool rex = prefixes[i] >= 0x40 && prefixes[i] <= 0x4f;

            /* 40-4F are INC/DEC outside 64-bit mode. */
            if ( rex && mode != X86_MODE_LONG64 )
                continue;
            memset(buf, prefixes[i], sizeof(buf));
            for ( avail = 0; avail <= X86_MAX_INSN_LEN; avail++ )
            {
                t_setup(&t, mode, buf, sizeof(buf), avail);
                CHECK_EQ(t_decode(&t, mode, &insn),
                         avail < X86_MAX_INSN_LEN ? EMUL_FETCH_FAIL
                                                  : EMUL_BAD_INSN);
            }
        }
}

TEST(fetch_failures_and_misbehaving_fetch)
{
    struct tctx t;
    struct mmio_insn insn;
    char sixteen[16];

    /* Nothing readable at all. */
    t_setup(&t, X86_MODE_LONG64, B("\x89\x03"), 0);
    CHECK_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_FETCH_FAIL);

    /* A fetch claiming more than asked for is held to 15 bytes. */
    memset(sixteen, 0x66, sizeof(sixteen));
    sixteen[14] = 0x89;
    sixteen[15] = 0x03;
    t_setup(&t, X86_MODE_LONG64, sixteen, sizeof(sixteen), 15);
    t.overfetch = 1000;
    CHECK_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_BAD_INSN);
    t_setup(&t, X86_MODE_LONG64, B("\x89\x03"), 15);
    t.overfetch = 1000;
    CHECK_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
    CHECK_EQ(insn.len, 2);
}

TEST(rip_relative_is_relative_to_the_next_instruction)
{
    struct tctx t;
    struct mmio_insn insn;

    /* mov 0x10(%rip),%eax at the very top of the address space wraps. */
    t_setup(&t, X86_MODE_LONG64, B("\x8b\x05\x10\x00\x00\x00"), 15);
    t.rip = 0xfffffffffffffff8ULL;
    REQUIRE_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
    CHECK_EQ(insn.addr, 0x10 - 2);

    /* cmpl $0x12345678,-0x10(%rip): the immediate counts too. */
    t_setup(&t, X86_MODE_LONG64,
            B("\x81\x3d\xf0\xff\xff\xff\x78\x56\x34\x12"), 15);
    t.rip = 0x1000;
    REQUIRE_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
    CHECK_EQ(insn.len, 10);
    CHECK_EQ(insn.addr, 0x1000 + 10 - 0x10);
    CHECK_EQ(insn.imm, 0x12345678);

    /* The same bytes outside 64-bit mode are an absolute disp32. */
    t_setup(&t, X86_MODE_PROT32,
            B("\x81\x3d\xf0\xff\xff\xff\x78\x56\x34\x12"), 15);
    t.rip = 0x1000;
    REQUIRE_EQ(t_decode(&t, X86_MODE_PROT32, &insn), EMUL_OK);
    CHECK_EQ(insn.addr, A32(0xfffffff0 + B_DS));

    /* addr32 (67) RIP-relative: EIP-relative, wrapping at 4 GiB. */
    t_setup(&t, X86_MODE_LONG64, B("\x67\x8b\x05\x10\x00\x00\x00"), 15);
    t.rip = 0x00000001fffffff0ULL;
    REQUIRE_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
    CHECK_EQ(insn.addr, A32(0x00000001fffffff0ULL + 7 + 0x10));
}

TEST(segment_bases_come_from_seg_base_as_documented)
{
    struct tctx t;
    struct mmio_insn insn;

    /* 64-bit mode: no call for DS, SS or an ES/CS/SS/DS override. */
    t_setup(&t, X86_MODE_LONG64, B("\x8b\x45\x00"), 15);
    REQUIRE_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
    CHECK_EQ(t.seg_calls, 0);
    t_setup(&t, X86_MODE_LONG64, B("\x26\x8b\x03"), 15);
    REQUIRE_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
    CHECK_EQ(t.seg_calls, 0);
    t_setup(&t, X86_MODE_LONG64, B("\x65\x8b\x03"), 15);
    REQUIRE_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
    CHECK_EQ(t.seg_calls, 1);
    CHECK_EQ(t.last_seg, 5);

    /* 32-bit: one call, for the segment the access uses. */
    t_setup(&t, X86_MODE_PROT32, B("\x8b\x03"), 15);
    REQUIRE_EQ(t_decode(&t, X86_MODE_PROT32, &insn), EMUL_OK);
    CHECK_EQ(t.seg_calls, 1);
    CHECK_EQ(t.last_seg, 3);
    t_setup(&t, X86_MODE_PROT32, B("\x8b\x45\x00"), 15);
    REQUIRE_EQ(t_decode(&t, X86_MODE_PROT32, &insn), EMUL_OK);
    CHECK_EQ(t.seg_calls, 1);
    CHECK_EQ(t.last_seg, 2);
    t_setup(&t, X86_MODE_REAL, B("\x26\x8b\x07"), 15);
    REQUIRE_EQ(t_decode(&t, X86_MODE_REAL, &insn), EMUL_OK);
    CHECK_EQ(t.seg_calls, 1);
    CHECK_EQ(t.last_seg, 0);

    /* Without a seg_base callback every base is zero. */
    t_setup(&t, X86_MODE_PROT32, B("\x64\x8b\x43\x10"), 15);
    REQUIRE_EQ(x86_decode_mmio(&ops_noseg, &t, X86_MODE_PROT32, t.rip,
                               &insn), EMUL_OK);
    CHECK_EQ(insn.addr, A32(V_RBX + 0x10));
    t_setup(&t, X86_MODE_LONG64, B("\x64\x8b\x43\x10"), 15);
    REQUIRE_EQ(x86_decode_mmio(&ops_noseg, &t, X86_MODE_LONG64, t.rip,
                               &insn), EMUL_OK);
    CHECK_EQ(insn.addr, V_RBX + 0x10);
}

/* Plausibility of any successful decode, whatever the bytes. */
static void check_sane(const struct mmio_insn *insn, enum x86_mode mode,
                       unsigned int avail, const u8 *bytes)
{
    u64 st, out, mask, fl = rand64();
    bool ok = insn->len >= 1 && insn->len <= X86_MAX_INSN_LEN &&
              insn->len <= avail &&
              (insn->size == 1 || insn->size == 2 || insn->size == 4 ||
               insn->size == 8) &&
              (unsigned int)insn->reg < GPR_NR &&
              (!insn->reg_high_byte || insn->reg <= GPR_RBX) &&
              (insn->reg_size == 0 || insn->reg_size == 1 ||
               insn->reg_size == 2 || insn->reg_size == 4 ||
               insn->reg_size == 8) &&
              (unsigned int)insn->op <= MMIO_SCAS &&
              (mode == X86_MODE_LONG64 || insn->addr <= 0xffffffffULL) &&
              (!insn->src_is_imm ||
               !(insn->imm & ~size_mask(insn->size)));

    if ( !ok )
        harness_fail(__FILE__, __LINE__, false,
                     "implausible decode in %s: %02x %02x %02x %02x ...: "
                     "len %u size %u op %d reg %d/%d/%u",
                     mode_names[mode], bytes[0], bytes[1], bytes[2],
                     bytes[3], insn->len, insn->size, (int)insn->op,
                     (int)insn->reg, insn->reg_high_byte, insn->reg_size);

    x86_mmio_complete(insn, rand64(), rand64() & size_mask(insn->size),
                      &st, &out, &mask, &fl);
    CHECK_EQ(st & ~size_mask(insn->size), 0);
    CHECK_EQ(out & ~mask, 0);
}

static bool same_insn(const struct mmio_insn *a, const struct mmio_insn *b)
{
    return a->len == b->len && a->size == b->size && a->write == b->write &&
           a->op == b->op && a->src_is_imm == b->src_is_imm &&
           a->imm == b->imm && a->reg == b->reg &&
           a->reg_high_byte == b->reg_high_byte &&
           a->reg_size == b->reg_size && a->addr == b->addr &&
           a->str.rep == b->str.rep && a->str.repe == b->str.repe &&
           a->str.adsize == b->str.adsize &&
           a->str.src_seg == b->str.src_seg &&
           a->str.src_base == b->str.src_base &&
           a->str.dst_base == b->str.dst_base &&
           a->str.lin_mask == b->str.lin_mask;
}

/*
 * Random bytes, half of them shaped like what the decoder knows (prefixes,
 * a known opcode, then anything).  Beyond no crash (ASan, UBSan) and a
 * plausible result, the decode must depend only on the bytes it admits
 * to: with k bytes available the result is the full-length result if
 * that fits in k, else a fetch failure (or the same error found earlier).
 */
TEST(fuzz_random_bytes)
{
    static const u8 prefixes[] = {
        0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65,
        0x40, 0x41, 0x44, 0x48, 0x4c, 0x4f,
    };
    static const u8 opcodes[] = {
        0x00, 0x01, 0x08, 0x09, 0x20, 0x21, 0x28, 0x29, 0x30, 0x31, 0x38,
        0x39, 0x3a, 0x3b, 0x63, 0x80, 0x81, 0x83, 0x84, 0x85, 0x88, 0x89,
        0x8a, 0x8b, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xaa,
        0xab, 0xac, 0xad, 0xae, 0xaf, 0xc6, 0xc7, 0xf6, 0xf7, 0x0f,
    };
    static const u8 twobyte[] = { 0xb6, 0xb7, 0xbe, 0xbf };
    unsigned int iter, i, n, ok = 0, fetch_fail = 0;

    for ( iter = 0; iter < 300000 && !ENOUGH(); iter++ )
    {
        enum x86_mode mode = test_rand() % 4;
        u8 bytes[X86_MAX_INSN_LEN];
        struct tctx t;
        struct mmio_insn full, part;
        unsigned int k = test_rand() % (X86_MAX_INSN_LEN + 1);
        int rc, rc_k;

        for ( i = 0; i < sizeof(bytes); i++ )
            bytes[i] = test_rand();
        if ( iter & 1 )
        {
            n = test_rand() % 5;
            for ( i = 0; i < n; i++ )
                bytes[i] = prefixes[test_rand() % ARRAY_SIZE(prefixes)];
            bytes[n] = opcodes[test_rand() % ARRAY_SIZE(opcodes)];
            if ( bytes[n] == 0x0f )
                bytes[n + 1] = twobyte[test_rand() % ARRAY_SIZE(twobyte)];
        }

        t_setup(&t, mode, (const char *)bytes, sizeof(bytes),
                X86_MAX_INSN_LEN);
        rc = t_decode(&t, mode, &full);
        CHECK(!t.bad_arg);
        if ( rc == EMUL_OK )
        {
            ok++;
            check_sane(&full, mode, X86_MAX_INSN_LEN, bytes);
        }
        else
            CHECK(rc == EMUL_UNHANDLEABLE || rc == EMUL_BAD_INSN ||
                  rc == EMUL_FETCH_FAIL);
        /* All 15 bytes were there: nothing can be missing. */
        CHECK(rc != EMUL_FETCH_FAIL);

        t_setup(&t, mode, (const char *)bytes, sizeof(bytes), k);
        rc_k = t_decode(&t, mode, &part);
        if ( rc_k == EMUL_FETCH_FAIL )
            fetch_fail++;
        if ( rc == EMUL_OK && full.len <= k )
        {
            CHECK_EQ(rc_k, EMUL_OK);
            CHECK(rc_k != EMUL_OK || same_insn(&full, &part));
        }
        else if ( rc == EMUL_OK )
            CHECK_EQ(rc_k, EMUL_FETCH_FAIL);
        else
            CHECK(rc_k == rc || rc_k == EMUL_FETCH_FAIL);
    }
    /* The shaped half must reach the decoder's successful paths. */
    CHECK(ok > 30000);
    CHECK(fetch_fail > 30000);
}

/*
 * The host CPU's view of an ALU operation: flags in, result and flags
 * out.  128 bytes below the stack pointer are skipped: pushf must not
 * hit the red zone the compiler may keep locals in.
 */
#define HOST_ALU(mn, sfx, w, type)                                      \
    do {                                                                \
        type d_ = (type)d, s_ = (type)s;                                \
        asm volatile ( "sub $128, %%rsp\n\t"                            \
                       "push %[f]\n\t"                                  \
                       "popf\n\t"                                       \
                       mn sfx " %" w "[s], %" w "[d]\n\t"               \
                       "pushf\n\t"                                      \
                       "pop %[f]\n\t"                                   \
                       "add $128, %%rsp"                                \
                       : [d] "+r" (d_), [f] "+r" (f)                    \
                       : [s] "r" (s_)                                   \
                       : "cc" );                                        \
        d = d_;                                                         \
    } while ( 0 )

#define HOST_ALU_SIZES(mn)                                              \
    switch ( size )                                                     \
    {                                                                   \
    case 1: HOST_ALU(mn, "b", "b", u8); break;                          \
    case 2: HOST_ALU(mn, "w", "w", u16); break;                         \
    case 4: HOST_ALU(mn, "l", "k", u32); break;                         \
    default: HOST_ALU(mn, "q", "q", u64); break;                        \
    }

/* d op= s at 'size' bytes; *flags in and out. */
static u64 host_alu(int op, unsigned int size, u64 d, u64 s, u64 *flags)
{
    /* Only the arithmetic flags (and the always-one bit 1) go in. */
    u64 f = (*flags & FL_ARITH) | 2;

    switch ( op )
    {
    case MMIO_ADD:  HOST_ALU_SIZES("add"); break;
    case MMIO_SUB:  HOST_ALU_SIZES("sub"); break;
    case MMIO_CMP:  HOST_ALU_SIZES("cmp"); break;
    case MMIO_AND:  HOST_ALU_SIZES("and"); break;
    case MMIO_OR:   HOST_ALU_SIZES("or"); break;
    case MMIO_XOR:  HOST_ALU_SIZES("xor"); break;
    case MMIO_TEST: HOST_ALU_SIZES("test"); break;
    default: REQUIRE(!"no such ALU op");
    }
    *flags = f;
    return d;
}

/* One encoding of an ALU form with its memory operand at (%rbx). */
struct alu_form
{
    int op;
    unsigned int size;
    u8 bytes[X86_MAX_INSN_LEN];
    unsigned int n;         /* bytes before the immediate */
    unsigned int immsize;   /* 0: register source (RAX, or AH) */
    bool high;              /* the source is AH */
    bool reg_first;         /* CMP reg, mem (3A/3B) */
};

static unsigned int put_prefixes(u8 *p, unsigned int size, bool lock)
{
    unsigned int n = 0;

    if ( lock )
        p[n++] = 0xf0;
    if ( size == 2 )
        p[n++] = 0x66;
    if ( size == 8 )
        p[n++] = 0x48;      /* REX.W, directly before the opcode */
    return n;
}

/* The form number 'k' of all ALU forms; false past the last one. */
static bool alu_form(unsigned int k, bool lock, struct alu_form *f)
{
    static const struct { int op; u8 opc; } rm_reg[] = {
        { MMIO_ADD, 0x00 }, { MMIO_OR, 0x08 }, { MMIO_AND, 0x20 },
        { MMIO_SUB, 0x28 }, { MMIO_XOR, 0x30 }, { MMIO_CMP, 0x38 },
        { MMIO_TEST, 0x84 }, { MMIO_CMP, 0x3a },
    };
    static const int grp1[8] = {
        MMIO_ADD, MMIO_OR, -1, -1, MMIO_AND, MMIO_SUB, MMIO_XOR, MMIO_CMP,
    };
    static const unsigned int sizes[4] = { 1, 2, 4, 8 };
    unsigned int size = sizes[k % 4], n;

    memset(f, 0, sizeof(*f));
    f->size = size;
    k /= 4;

    /* op r/m, reg and CMP reg, r/m: 8 x 4 forms */
    if ( k < ARRAY_SIZE(rm_reg) )
    {
        f->op = rm_reg[k].op;
        lock &= f->op != MMIO_CMP && f->op != MMIO_TEST;
        n = put_prefixes(f->bytes, size, lock);
        f->bytes[n++] = rm_reg[k].opc + (size > 1);
        f->bytes[n++] = 0x03;                   /* (%rbx), %al/%eax */
        f->reg_first = rm_reg[k].opc == 0x3a;
        f->n = n;
        return true;
    }
    k -= ARRAY_SIZE(rm_reg);

    /* The same with %ah: size 1 only, so every fourth form number. */
    if ( k < ARRAY_SIZE(rm_reg) )
    {
        f->op = rm_reg[k].op;
        f->size = 1;
        lock &= f->op != MMIO_CMP && f->op != MMIO_TEST;
        n = put_prefixes(f->bytes, 1, lock);
        f->bytes[n++] = rm_reg[k].opc;
        f->bytes[n++] = 0x23;                   /* (%rbx), %ah */
        f->reg_first = rm_reg[k].opc == 0x3a;
        f->high = true;
        f->n = n;
        return true;
    }
    k -= ARRAY_SIZE(rm_reg);

    /* 80/81 /n and 83 /n (not at size 1): 8 x 2 x 4 forms, ADC/SBB out */
    if ( k < 16 )
    {
        bool ib = k & 1;
        unsigned int r = k / 2;

        /* Instead of ADC, SBB and 83 at size 1: OR again, harmless. */
        if ( grp1[r] < 0 || (ib && size == 1) )
            r = 1;
        f->op = grp1[r];
        lock &= f->op != MMIO_CMP;
        n = put_prefixes(f->bytes, size, lock);
        f->bytes[n++] = size == 1 ? 0x80 : ib ? 0x83 : 0x81;
        f->bytes[n++] = 0x03 | (r << 3);
        f->immsize = size == 1 || ib ? 1 : size == 2 ? 2 : 4;
        f->n = n;
        return true;
    }
    k -= 16;

    /* F6/F7 /0: TEST r/m, imm */
    if ( k == 0 )
    {
        f->op = MMIO_TEST;
        n = put_prefixes(f->bytes, size, false);
        f->bytes[n++] = size == 1 ? 0xf6 : 0xf7;
        f->bytes[n++] = 0x03;
        f->immsize = size == 2 ? 2 : size == 1 ? 1 : 4;
        f->n = n;
        return true;
    }

    return false;
}

static u64 sext(u64 v, unsigned int bytes)
{
    unsigned int sh = 64 - bytes * 8;

    return (u64)((s64)(v << sh) >> sh);
}

TEST(alu_flags_and_results_match_the_host_cpu)
{
    unsigned int k, iter, forms = 0;
    struct alu_form f;

    for ( k = 0; alu_form(k, false, &f) && !ENOUGH(); k++ )
    {
        /* The %ah forms are built for size 1 only. */
        if ( f.high && k % 4 )
            continue;
        forms++;

        for ( iter = 0; iter < 4000 && !ENOUGH(); iter++ )
        {
            u64 m = size_mask(f.size);
            u64 mem = rand_operand(f.size), src = rand_operand(f.size);
            u64 fl_in = rand64() & FL_ARITH, junk = rand64() & ~FL_ARITH;
            u64 emu_fl = fl_in | junk, host_fl = fl_in;
            u64 st = ~0ULL, out = ~0ULL, mask = ~0ULL, res, reg_value;
            u64 cmp_flags = FL_ARITH;
            bool logic = f.op == MMIO_AND || f.op == MMIO_OR ||
                         f.op == MMIO_XOR || f.op == MMIO_TEST;
            struct alu_form g;
            struct tctx t;
            struct mmio_insn insn;
            unsigned int i;

            /* Every other time with LOCK where that is allowed. */
            alu_form(k, iter & 1, &g);
            if ( g.immsize )
            {
                u64 raw = rand_operand(g.immsize);

                for ( i = 0; i < g.immsize; i++ )
                    g.bytes[g.n + i] = raw >> (8 * i);
                src = sext(raw, g.immsize) & m;
            }
            t_setup(&t, X86_MODE_LONG64, (const char *)g.bytes,
                    g.n + g.immsize, X86_MAX_INSN_LEN);
            REQUIRE_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
            REQUIRE_EQ(insn.len, g.n + g.immsize);
            REQUIRE_EQ(insn.op, g.op);
            REQUIRE_EQ(insn.size, g.size);
            REQUIRE_EQ(insn.src_is_imm, g.immsize != 0);
            if ( g.immsize )
                REQUIRE_EQ(insn.imm, src);

            /* Junk around the register operand must not matter. */
            reg_value = g.high ? (rand64() & ~0xff00ULL) | (src << 8)
                               : (rand64() & ~m) | src;
            x86_mmio_complete(&insn, reg_value, mem, &st, &out, &mask,
                              &emu_fl);

            if ( g.reg_first )
                res = host_alu(MMIO_CMP, g.size, src, mem, &host_fl);
            else
                res = host_alu(g.op, g.size, mem, src, &host_fl);

            /* AF is undefined after the logic ops: it must stay as it was. */
            if ( logic )
            {
                cmp_flags &= ~FL_AF;
                CHECK_EQ(emu_fl & FL_AF, fl_in & FL_AF);
            }
            if ( (emu_fl & cmp_flags) != (host_fl & cmp_flags) )
                harness_fail(__FILE__, __LINE__, false,
                             "form %u (op %d size %u%s%s): mem %#llx src "
                             "%#llx flags in %#llx: emulated %#llx, host "
                             "%#llx", k, g.op, g.size,
                             g.high ? " ah" : "", g.reg_first ? " rev" : "",
                             (unsigned long long)mem,
                             (unsigned long long)src,
                             (unsigned long long)fl_in,
                             (unsigned long long)(emu_fl & cmp_flags),
                             (unsigned long long)(host_fl & cmp_flags));
            CHECK_EQ(emu_fl & ~FL_ARITH, junk);
            CHECK_EQ(insn.write, g.op != MMIO_CMP && g.op != MMIO_TEST);
            if ( insn.write )
                CHECK_EQ(st, res & m);
            CHECK_EQ(mask, 0);
        }
    }
    /* 8 x 4 register forms, 8 %ah forms, 16 x 4 immediate, 4 TEST. */
    CHECK_EQ(forms, 32 + 8 + 64 + 4);
}

/* Loads as the host executes them: register before -> after. */
#define HOST_LOAD(name, insn, cons)                                     \
    static u64 name(u64 r, u64 m)                                       \
    {                                                                   \
        asm ( insn : [r] cons (r) : [m] "m" (m) );                      \
        return r;                                                       \
    }
HOST_LOAD(h_movb, "movb %[m], %b[r]", "+r")
HOST_LOAD(h_movb_high, "movb %[m], %h[r]", "+Q")
HOST_LOAD(h_movw, "movw %[m], %w[r]", "+r")
HOST_LOAD(h_movl, "movl %[m], %k[r]", "+r")
HOST_LOAD(h_movq, "movq %[m], %q[r]", "+r")
HOST_LOAD(h_movzbw, "movzbw %[m], %w[r]", "+r")
HOST_LOAD(h_movzbl, "movzbl %[m], %k[r]", "+r")
HOST_LOAD(h_movzbq, "movzbq %[m], %q[r]", "+r")
HOST_LOAD(h_movzwl, "movzwl %[m], %k[r]", "+r")
HOST_LOAD(h_movzwq, "movzwq %[m], %q[r]", "+r")
HOST_LOAD(h_movsbw, "movsbw %[m], %w[r]", "+r")
HOST_LOAD(h_movsbl, "movsbl %[m], %k[r]", "+r")
HOST_LOAD(h_movsbq, "movsbq %[m], %q[r]", "+r")
HOST_LOAD(h_movswl, "movswl %[m], %k[r]", "+r")
HOST_LOAD(h_movswq, "movswq %[m], %q[r]", "+r")
HOST_LOAD(h_movslq, "movslq %[m], %q[r]", "+r")

static const struct
{
    const char *src;
    const char *bytes;
    unsigned int len;
    u64 (*host)(u64 r, u64 m);
} load_forms[] = {
    { "mov (%rbx),%al", B("\x8a\x03"), h_movb },
    { "mov (%rbx),%ah", B("\x8a\x23"), h_movb_high },
    { "mov (%rbx),%ax", B("\x66\x8b\x03"), h_movw },
    { "mov (%rbx),%eax", B("\x8b\x03"), h_movl },
    { "mov (%rbx),%rax", B("\x48\x8b\x03"), h_movq },
    { "movabs 0xfee00020,%al", B("\xa0\x20\x00\xe0\xfe\x00\x00\x00\x00"),
      h_movb },
    { "addr32 mov 0xfee00020,%ax", B("\x67\x66\xa1\x20\x00\xe0\xfe"),
      h_movw },
    { "movabs 0xfee00020,%eax", B("\xa1\x20\x00\xe0\xfe\x00\x00\x00\x00"),
      h_movl },
    { "movzbw (%rbx),%ax", B("\x66\x0f\xb6\x03"), h_movzbw },
    { "movzbl (%rbx),%eax", B("\x0f\xb6\x03"), h_movzbl },
    { "movzbq (%rbx),%rax", B("\x48\x0f\xb6\x03"), h_movzbq },
    { "movzwl (%rbx),%eax", B("\x0f\xb7\x03"), h_movzwl },
    { "movzwq (%rbx),%rax", B("\x48\x0f\xb7\x03"), h_movzwq },
    { "movsbw (%rbx),%ax", B("\x66\x0f\xbe\x03"), h_movsbw },
    { "movsbl (%rbx),%eax", B("\x0f\xbe\x03"), h_movsbl },
    { "movsbq (%rbx),%rax", B("\x48\x0f\xbe\x03"), h_movsbq },
    { "movswl (%rbx),%eax", B("\x0f\xbf\x03"), h_movswl },
    { "movswq (%rbx),%rax", B("\x48\x0f\xbf\x03"), h_movswq },
    { "movslq (%rbx),%rax", B("\x48\x63\x03"), h_movslq },
};

TEST(loads_write_the_register_as_the_host_cpu_does)
{
    unsigned int i, iter;

    for ( i = 0; i < ARRAY_SIZE(load_forms) && !ENOUGH(); i++ )
    {
        struct tctx t;
        struct mmio_insn insn;

        t_setup(&t, X86_MODE_LONG64, load_forms[i].bytes, load_forms[i].len,
                X86_MAX_INSN_LEN);
        REQUIRE_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
        CASE_EQ(load_forms[i].src, X86_MODE_LONG64, insn.write, false);

        for ( iter = 0; iter < 5000; iter++ )
        {
            u64 r = rand64(), mem = rand64(), fl = rand64();
            u64 fl_before = fl, st, out, mask, emu, host;

            if ( iter & 1 )
                mem = rand_operand(insn.size);  /* sign bit edge cases */
            x86_mmio_complete(&insn, r, mem & size_mask(insn.size), &st,
                              &out, &mask, &fl);
            emu = (r & ~mask) | (out & mask);
            host = load_forms[i].host(r, mem);
            if ( emu != host )
            {
                harness_fail(__FILE__, __LINE__, false,
                             "%s: reg %#llx mem %#llx: emulated %#llx "
                             "(out %#llx mask %#llx), host %#llx",
                             load_forms[i].src, (unsigned long long)r,
                             (unsigned long long)mem,
                             (unsigned long long)emu,
                             (unsigned long long)out,
                             (unsigned long long)mask,
                             (unsigned long long)host);
                break;
            }
            CHECK_EQ(out & ~mask, 0);
            CHECK_EQ(fl, fl_before);
        }
    }
}

/* Stores as the host executes them: memory before -> after. */
#define HOST_STORE(name, insn, cons)                                    \
    static u64 name(u64 r, u64 m)                                       \
    {                                                                   \
        asm ( insn : [m] "+m" (m) : [r] cons (r) );                     \
        return m;                                                       \
    }
HOST_STORE(h_stb, "movb %b[r], %[m]", "r")
HOST_STORE(h_stb_high, "movb %h[r], %[m]", "Q")
HOST_STORE(h_stw, "movw %w[r], %[m]", "r")
HOST_STORE(h_stl, "movl %k[r], %[m]", "r")
HOST_STORE(h_stq, "movq %q[r], %[m]", "r")

static const struct
{
    const char *src;
    const char *bytes;
    unsigned int len;
    u64 (*host)(u64 r, u64 m);
} store_forms[] = {
    { "mov %al,(%rbx)", B("\x88\x03"), h_stb },
    { "mov %ah,(%rbx)", B("\x88\x23"), h_stb_high },
    { "mov %ax,(%rbx)", B("\x66\x89\x03"), h_stw },
    { "mov %eax,(%rbx)", B("\x89\x03"), h_stl },
    { "mov %rax,(%rbx)", B("\x48\x89\x03"), h_stq },
    { "movabs %al,0xfee00020", B("\xa2\x20\x00\xe0\xfe\x00\x00\x00\x00"),
      h_stb },
    { "movabs %eax,0xfee00020", B("\xa3\x20\x00\xe0\xfe\x00\x00\x00\x00"),
      h_stl },
    { "movabs %rax,0xfee00020",
      B("\x48\xa3\x20\x00\xe0\xfe\x00\x00\x00\x00"), h_stq },
};

TEST(stores_write_memory_as_the_host_cpu_does)
{
    unsigned int i, iter;

    for ( i = 0; i < ARRAY_SIZE(store_forms) && !ENOUGH(); i++ )
    {
        struct tctx t;
        struct mmio_insn insn;

        t_setup(&t, X86_MODE_LONG64, store_forms[i].bytes,
                store_forms[i].len, X86_MAX_INSN_LEN);
        REQUIRE_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
        CASE_EQ(store_forms[i].src, X86_MODE_LONG64, insn.write, true);

        for ( iter = 0; iter < 5000; iter++ )
        {
            u64 r = rand64(), before = rand64(), fl = rand64();
            u64 fl_before = fl, st = ~0ULL, out, mask = ~0ULL;
            u64 m = size_mask(insn.size), host;

            x86_mmio_complete(&insn, r, before & m, &st, &out, &mask, &fl);
            host = store_forms[i].host(r, before);
            if ( ((before & ~m) | st) != host || (st & ~m) )
            {
                harness_fail(__FILE__, __LINE__, false,
                             "%s: reg %#llx: stored %#llx, host %#llx",
                             store_forms[i].src, (unsigned long long)r,
                             (unsigned long long)st,
                             (unsigned long long)(host & m));
                break;
            }
            CHECK_EQ(mask, 0);
            CHECK_EQ(fl, fl_before);
        }
    }
}

/* MOV r/m, imm stores the immediate as the CPU extends it. */
TEST(immediate_stores_extend_like_the_cpu)
{
    static const struct
    {
        const char *bytes;
        unsigned int len;       /* without the immediate */
        unsigned int size, immsize;
    } forms[] = {
        { B("\xc6\x03"), 1, 1 },
        { B("\x66\xc7\x03"), 2, 2 },
        { B("\xc7\x03"), 4, 4 },
        { B("\x48\xc7\x03"), 8, 4 },
    };
    unsigned int i, j, iter;

    for ( i = 0; i < ARRAY_SIZE(forms); i++ )
        for ( iter = 0; iter < 2000 && !ENOUGH(); iter++ )
        {
            u8 bytes[X86_MAX_INSN_LEN];
            u64 raw = rand_operand(forms[i].immsize), st = ~0ULL, out;
            u64 mask, fl = 0;
            struct tctx t;
            struct mmio_insn insn;

            memcpy(bytes, forms[i].bytes, forms[i].len);
            for ( j = 0; j < forms[i].immsize; j++ )
                bytes[forms[i].len + j] = raw >> (8 * j);
            t_setup(&t, X86_MODE_LONG64, (const char *)bytes,
                    forms[i].len + forms[i].immsize, X86_MAX_INSN_LEN);
            REQUIRE_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
            CHECK_EQ(insn.size, forms[i].size);
            x86_mmio_complete(&insn, rand64(), rand64() & size_mask(
                                  insn.size), &st, &out, &mask, &fl);
            /* movq $imm32 sign-extends; the narrower ones are exact. */
            CHECK_EQ(st, sext(raw, forms[i].immsize) &
                         size_mask(forms[i].size));
            CHECK_EQ(fl, 0);
        }
}

TEST(complete_accepts_null_outputs_and_leaves_mov_flags)
{
    struct tctx t;
    struct mmio_insn insn;
    u64 fl = 0x246, st = 0, out = 0, mask = 0;

    /* add %eax,(%rbx) with only the flags asked for: 1 + ~0 = 0, CF ZF */
    t_setup(&t, X86_MODE_LONG64, B("\x01\x03"), 15);
    REQUIRE_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
    x86_mmio_complete(&insn, 1, 0xffffffff, NULL, NULL, NULL, &fl);
    CHECK_EQ(fl & FL_ARITH, FL_CF | FL_ZF | FL_PF | FL_AF);

    /* ... and with no flags pointer: the store is still computed. */
    x86_mmio_complete(&insn, 2, 0xffffffff, &st, &out, &mask, NULL);
    CHECK_EQ(st, 1);
    CHECK_EQ(mask, 0);

    /* mov (%rbx),%eax leaves every flag alone. */
    t_setup(&t, X86_MODE_LONG64, B("\x8b\x03"), 15);
    REQUIRE_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
    fl = 0xfff;
    x86_mmio_complete(&insn, ~0ULL, 0x80000000, &st, &out, &mask, &fl);
    CHECK_EQ(fl, 0xfff);
    CHECK_EQ(out, 0x80000000);
    CHECK_EQ(mask, ~0ULL);

    /* cmp (%rbx),%eax: flags of reg - mem, nothing written anywhere. */
    t_setup(&t, X86_MODE_LONG64, B("\x3b\x03"), 15);
    REQUIRE_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
    fl = 0;
    x86_mmio_complete(&insn, 1, 2, &st, &out, &mask, &fl);
    CHECK_EQ(fl & (FL_CF | FL_SF | FL_ZF), FL_CF | FL_SF);
    CHECK_EQ(mask, 0);
    CHECK_EQ(insn.write, false);
}

/*
 * The read-modify-write forms, the ALU forms with a register destination,
 * XCHG, XADD, CMPXCHG and the bit tests, against the host CPU executing
 * the same instruction on a memory operand with the same register, rAX
 * and arithmetic flags.
 */
struct hstate
{
    u64 mem, reg, rax, fl;
};

/*
 * The red zone is stepped over before PUSHF/POPF; only the arithmetic
 * flags are loaded, the rest of RFLAGS stays the host's.
 */
#define HOST_RMW(name, text, rcons)                                     \
    static void name(struct hstate *s)                                  \
    {                                                                   \
        u64 fl = s->fl, tmp;                                            \
        asm volatile ( "lea -128(%%rsp), %%rsp; pushfq; pop %[t]; "     \
                       "and %[na], %[t]; or %[fl], %[t]; push %[t]; "   \
                       "popfq; " text "; pushfq; pop %[fl]; "           \
                       "lea 128(%%rsp), %%rsp"                          \
                       : [m] "+m" (s->mem), [r] rcons (s->reg),         \
                         [fl] "+r" (fl), [t] "=&r" (tmp), "+a" (s->rax) \
                       : [na] "r" (~FL_ARITH)                           \
                       : "cc", "memory" );                              \
        s->fl = fl & FL_ARITH;                                          \
    }
HOST_RMW(h_adcl_rm, "adcl %k[r], %[m]", "+r")
HOST_RMW(h_adcb_i, "adcb $0x7f, %[m]", "+r")
HOST_RMW(h_sbbq_rm, "sbbq %q[r], %[m]", "+r")
HOST_RMW(h_sbbw_i, "sbbw $-2, %[m]", "+r")
HOST_RMW(h_adcl_mr, "adcl %[m], %k[r]", "+r")
HOST_RMW(h_sbbb_mr, "sbbb %[m], %b[r]", "+r")
HOST_RMW(h_addq_mr, "addq %[m], %q[r]", "+r")
HOST_RMW(h_subw_mr, "subw %[m], %w[r]", "+r")
HOST_RMW(h_xorb_mr_high, "xorb %[m], %h[r]", "+Q")
HOST_RMW(h_incl, "incl %[m]", "+r")
HOST_RMW(h_decq, "decq %[m]", "+r")
HOST_RMW(h_incb, "incb %[m]", "+r")
HOST_RMW(h_decw, "decw %[m]", "+r")
HOST_RMW(h_notl, "notl %[m]", "+r")
HOST_RMW(h_negq, "negq %[m]", "+r")
HOST_RMW(h_negb, "negb %[m]", "+r")
HOST_RMW(h_xchgl, "xchgl %k[r], %[m]", "+r")
HOST_RMW(h_xchgb_high, "xchgb %h[r], %[m]", "+Q")
HOST_RMW(h_xaddl, "xaddl %k[r], %[m]", "+r")
HOST_RMW(h_xaddb, "xaddb %b[r], %[m]", "+r")
HOST_RMW(h_cmpxchgl, "cmpxchgl %k[r], %[m]", "+r")
HOST_RMW(h_cmpxchgq, "cmpxchgq %q[r], %[m]", "+r")
HOST_RMW(h_cmpxchgb, "cmpxchgb %b[r], %[m]", "+r")
HOST_RMW(h_btl_r, "btl %k[r], %[m]", "+r")
HOST_RMW(h_btsl_i, "btsl $5, %[m]", "+r")
HOST_RMW(h_btrq_i, "btrq $63, %[m]", "+r")
HOST_RMW(h_btcw_i, "btcw $17, %[m]", "+r")
HOST_RMW(h_btcq_r, "btcq %q[r], %[m]", "+r")

static const struct
{
    const char *src;
    const char *bytes;
    unsigned int len;
    void (*host)(struct hstate *s);
    unsigned int bitmax;    /* register bit offsets: below this */
} rmw_forms[] = {
    { "adc %eax,(%rbx)", B("\x11\x03"), h_adcl_rm, 0 },
    { "adcb $0x7f,(%rbx)", B("\x80\x13\x7f"), h_adcb_i, 0 },
    { "sbb %rax,(%rbx)", B("\x48\x19\x03"), h_sbbq_rm, 0 },
    { "sbbw $-2,(%rbx)", B("\x66\x83\x1b\xfe"), h_sbbw_i, 0 },
    { "adc (%rbx),%eax", B("\x13\x03"), h_adcl_mr, 0 },
    { "sbb (%rbx),%al", B("\x1a\x03"), h_sbbb_mr, 0 },
    { "add (%rbx),%rax", B("\x48\x03\x03"), h_addq_mr, 0 },
    { "sub (%rbx),%ax", B("\x66\x2b\x03"), h_subw_mr, 0 },
    { "xor (%rbx),%ah", B("\x32\x23"), h_xorb_mr_high, 0 },
    { "incl (%rbx)", B("\xff\x03"), h_incl, 0 },
    { "decq (%rbx)", B("\x48\xff\x0b"), h_decq, 0 },
    { "incb (%rbx)", B("\xfe\x03"), h_incb, 0 },
    { "decw (%rbx)", B("\x66\xff\x0b"), h_decw, 0 },
    { "notl (%rbx)", B("\xf7\x13"), h_notl, 0 },
    { "negq (%rbx)", B("\x48\xf7\x1b"), h_negq, 0 },
    { "lock negb (%rbx)", B("\xf0\xf6\x1b"), h_negb, 0 },
    { "xchg %eax,(%rbx)", B("\x87\x03"), h_xchgl, 0 },
    { "xchg %ah,(%rbx)", B("\x86\x23"), h_xchgb_high, 0 },
    { "lock xadd %eax,(%rbx)", B("\xf0\x0f\xc1\x03"), h_xaddl, 0 },
    { "xadd %al,(%rbx)", B("\x0f\xc0\x03"), h_xaddb, 0 },
    { "lock cmpxchg %ecx,(%rbx)", B("\xf0\x0f\xb1\x0b"), h_cmpxchgl, 0 },
    { "cmpxchg %rcx,(%rbx)", B("\x48\x0f\xb1\x0b"), h_cmpxchgq, 0 },
    { "cmpxchg %cl,(%rbx)", B("\x0f\xb0\x0b"), h_cmpxchgb, 0 },
    { "bt %eax,(%rbx)", B("\x0f\xa3\x03"), h_btl_r, 32 },
    { "btsl $5,(%rbx)", B("\x0f\xba\x2b\x05"), h_btsl_i, 0 },
    { "btrq $63,(%rbx)", B("\x48\x0f\xba\x33\x3f"), h_btrq_i, 0 },
    { "btcw $17,(%rbx)", B("\x66\x0f\xba\x3b\x11"), h_btcw_i, 0 },
    { "lock btc %rax,(%rbx)", B("\xf0\x48\x0f\xbb\x03"), h_btcq_r, 64 },
};

static bool logic_op(int op)
{
    return op == MMIO_AND || op == MMIO_OR || op == MMIO_XOR ||
           op == MMIO_TEST;
}

TEST(read_modify_write_forms_match_the_host_cpu)
{
    unsigned int i, iter;

    for ( i = 0; i < ARRAY_SIZE(rmw_forms) && !ENOUGH(); i++ )
    {
        struct tctx t;
        struct mmio_insn insn;
        bool bits, cx;

        t_setup(&t, X86_MODE_LONG64, rmw_forms[i].bytes, rmw_forms[i].len,
                X86_MAX_INSN_LEN);
        REQUIRE_EQ(t_decode(&t, X86_MODE_LONG64, &insn), EMUL_OK);
        CASE_EQ(rmw_forms[i].src, X86_MODE_LONG64, insn.len,
                rmw_forms[i].len);
        bits = insn.op >= MMIO_BT && insn.op <= MMIO_BTC;
        cx = insn.op == MMIO_CMPXCHG;

        for ( iter = 0; iter < 4000; iter++ )
        {
            struct hstate h;
            u64 m = size_mask(insn.size), fl_in = rand64() & FL_ARITH;
            u64 junk = rand64() & ~FL_ARITH, emu_fl = fl_in | junk;
            u64 st = ~0ULL, out = 0, mask = 0, emu_reg, emu_rax, emu_mem;
            u64 cmp = bits ? FL_CF : FL_ARITH;

            h.mem = rand64();
            if ( iter & 1 )
                h.mem = (h.mem & ~m) | rand_operand(insn.size);
            h.reg = rand64();
            if ( iter & 2 )
                h.reg = (h.reg & ~m) | rand_operand(insn.size);
            if ( rmw_forms[i].bitmax )
                h.reg = rand64() % rmw_forms[i].bitmax;
            h.rax = rand64();
            /* CMPXCHG: equal half of the time. */
            if ( cx && (iter & 4) )
                h.rax = (h.rax & ~m) | (h.mem & m);
            h.fl = fl_in;

            /*
             * The register operand (ModRM.reg) is h.reg whatever its
             * number; rAX is h.rax, which only CMPXCHG reads or writes.
             */
            insn.acc = h.rax;
            if ( rmw_forms[i].bitmax )
                insn.bit = h.reg & (insn.size * 8 - 1);
            x86_mmio_complete(&insn, h.reg, h.mem & m, &st, &out, &mask,
                              &emu_fl);
            emu_mem = insn.write ? (h.mem & ~m) | (st & m) : h.mem;
            emu_reg = h.reg;
            emu_rax = h.rax;
            if ( cx )
                emu_rax = (emu_rax & ~mask) | (out & mask);
            else
                emu_reg = (emu_reg & ~mask) | (out & mask);
            if ( logic_op(insn.op) )
                cmp &= ~FL_AF;          /* undefined: the host may differ */

            {
                struct hstate after = h;

                rmw_forms[i].host(&after);
                if ( after.mem != emu_mem || after.reg != emu_reg ||
                     after.rax != emu_rax ||
                     (after.fl & cmp) != (emu_fl & cmp) )
                {
                    harness_fail(__FILE__, __LINE__, false,
                                 "%s: mem %#llx reg %#llx rax %#llx fl "
                                 "%#llx: host mem %#llx reg %#llx rax "
                                 "%#llx fl %#llx, emulated %#llx %#llx "
                                 "%#llx %#llx", rmw_forms[i].src,
                                 (unsigned long long)h.mem,
                                 (unsigned long long)h.reg,
                                 (unsigned long long)h.rax,
                                 (unsigned long long)fl_in,
                                 (unsigned long long)after.mem,
                                 (unsigned long long)after.reg,
                                 (unsigned long long)after.rax,
                                 (unsigned long long)(after.fl & cmp),
                                 (unsigned long long)emu_mem,
                                 (unsigned long long)emu_reg,
                                 (unsigned long long)emu_rax,
                                 (unsigned long long)(emu_fl & cmp));
                    break;
                }
            }
            /* Nothing outside the arithmetic flags; bit tests: CF only. */
            CHECK_EQ(emu_fl & ~FL_ARITH, junk);
            if ( bits )
                CHECK_EQ(emu_fl & FL_ARITH & ~FL_CF, fl_in & ~FL_CF);
        }
    }
}

/*
 * x86_string_step(): guest memory for it is two windows of linear
 * addresses; an access anywhere else is a page fault.  Every access is
 * recorded, so the order, addresses and widths can be checked.
 */
#define SWIN        256
#define MAX_ACC     64

struct smem
{
    u64 base[2];
    u8 bytes[2][SWIN];
    struct
    {
        u64 lin;
        unsigned int size;
        bool write;
    } acc[MAX_ACC];
    unsigned int nacc;
    bool bad_arg;
};

static bool s_access(void *ctx, u64 lin, unsigned int size, bool write,
                     u64 *val, u64 *fault)
{
    struct smem *sm = ctx;

    if ( size != 1 && size != 2 && size != 4 && size != 8 )
        sm->bad_arg = true;
    if ( sm->nacc < MAX_ACC )
    {
        sm->acc[sm->nacc].lin = lin;
        sm->acc[sm->nacc].size = size;
        sm->acc[sm->nacc].write = write;
    }
    sm->nacc++;
    for ( unsigned int w = 0; w < 2; w++ )
    {
        if ( lin < sm->base[w] || lin - sm->base[w] + size > SWIN )
            continue;
        if ( write )
            memcpy(&sm->bytes[w][lin - sm->base[w]], val, size);
        else
        {
            *val = 0;
            memcpy(val, &sm->bytes[w][lin - sm->base[w]], size);
        }
        return true;
    }
    *fault = lin;
    return false;
}

static const struct emul_ops str_ops = { t_fetch, t_read_gpr, t_seg_base,
                                         s_access };

/* Decode 'bytes' in 'mode' (segment bases as in seg_bases[]). */
static void decode_str(enum x86_mode mode, const char *bytes,
                       unsigned int len, struct mmio_insn *insn)
{
    struct tctx t;

    t_setup(&t, mode, bytes, len, X86_MAX_INSN_LEN);
    REQUIRE_EQ(x86_decode_mmio(&ops, &t, mode, t.rip, insn), EMUL_OK);
}

/*
 * Step until done as the hypervisor does, one element per call; returns
 * the number of calls (elements), or stops at a fault.
 */
static unsigned int run_string(const struct mmio_insn *insn,
                               struct smem *sm, struct x86_str_regs *r,
                               enum x86_str_result *last)
{
    unsigned int calls = 0;
    u64 fault = 0;
    bool fw = false;

    do
    {
        *last = x86_string_step(insn, &str_ops, sm, r, &fault, &fw);
        calls++;
    } while ( *last == X86_STR_AGAIN && calls < 1000 );
    return calls;
}

/* REPE CMPSB stops on the first difference, spelled out. */
TEST(repe_cmps_stops_at_the_first_difference)
{
    struct mmio_insn insn;
    struct smem sm = { .base = { B_DS + 0x1000, B_ES + 0x2000 } };
    struct x86_str_regs r = {
        .rax = V_RAX, .rcx = 0xabcd000000000008ULL, .rsi = 0x1000,
        .rdi = 0x2000, .rflags = 0x2 | FL_ZF,
    };
    enum x86_str_result last;

    /* repe cmpsb: 8 bytes, equal but at index 3 (0x41 against 0x42). */
    decode_str(X86_MODE_PROT32, "\xf3\xa6", 2, &insn);
    memcpy(sm.bytes[0], "abcAefgh", 8);
    memcpy(sm.bytes[1], "abcBefgh", 8);
    CHECK_EQ(run_string(&insn, &sm, &r, &last), 4);
    CHECK_EQ(last, X86_STR_DONE);
    /* ECX counts the four compared; 32-bit: the upper half is cleared. */
    CHECK_EQ(r.rcx, 4);
    CHECK_EQ(r.rsi, 0x1004);
    CHECK_EQ(r.rdi, 0x2004);
    CHECK_EQ(r.rax, V_RAX);
    /* 0x41 - 0x42 = 0xff: CF, SF, AF, PF (0xff has 8 bits); ZF clear. */
    CHECK_EQ(r.rflags, 0x2 | FL_CF | FL_SF | FL_AF | FL_PF);
    /* Source first, then destination, each element in turn. */
    REQUIRE_EQ(sm.nacc, 8);
    for ( unsigned int i = 0; i < 4; i++ )
    {
        CHECK_EQ(sm.acc[2 * i].lin, B_DS + 0x1000 + i);
        CHECK_EQ(sm.acc[2 * i + 1].lin, B_ES + 0x2000 + i);
        CHECK(!sm.acc[2 * i].write && !sm.acc[2 * i + 1].write);
    }

    /* The same strings with REPNE: the first pair is equal, one element. */
    decode_str(X86_MODE_PROT32, "\xf2\xa6", 2, &insn);
    r = (struct x86_str_regs){ .rcx = 8, .rsi = 0x1000, .rdi = 0x2000,
                               .rflags = 0x2 };
    sm.nacc = 0;
    CHECK_EQ(run_string(&insn, &sm, &r, &last), 1);
    CHECK_EQ(r.rcx, 7);
    CHECK_EQ(r.rsi, 0x1001);
    CHECK_EQ(r.rflags, 0x2 | FL_ZF | FL_PF);

    /* REPE over equal strings runs until ECX is 0, ZF set. */
    decode_str(X86_MODE_PROT32, "\xf3\xa6", 2, &insn);
    r = (struct x86_str_regs){ .rcx = 3, .rsi = 0x1000, .rdi = 0x2000,
                               .rflags = 0x2 | FL_CF };
    CHECK_EQ(run_string(&insn, &sm, &r, &last), 3);
    CHECK_EQ(r.rcx, 0);
    CHECK_EQ(r.rdi, 0x2003);
    CHECK_EQ(r.rflags, 0x2 | FL_ZF | FL_PF);
}

/* REPNE SCASB finds a byte: rDI just past it, ZF set. */
TEST(repne_scas_finds_a_byte)
{
    struct mmio_insn insn;
    struct smem sm = { .base = { 0, B_ES + 0x300 } };
    struct x86_str_regs r = {
        .rax = 0x1234567800000a2fULL, .rcx = 100, .rsi = 0x777,
        .rdi = 0x300, .rflags = 0x2,
    };
    enum x86_str_result last;

    decode_str(X86_MODE_PROT32, "\xf2\xae", 2, &insn);
    memcpy(sm.bytes[1], "usr/bin/ls", 10);
    CHECK_EQ(run_string(&insn, &sm, &r, &last), 4);
    CHECK_EQ(last, X86_STR_DONE);
    CHECK_EQ(r.rcx, 96);
    CHECK_EQ(r.rdi, 0x304);
    CHECK_EQ(r.rsi, 0x777);
    CHECK_EQ(r.rflags, 0x2 | FL_ZF | FL_PF);
    REQUIRE_EQ(sm.nacc, 4);
    CHECK_EQ(sm.acc[3].lin, B_ES + 0x303);

    /* Not there: ECX runs out with ZF clear; AL - 's' = 0x2f - 0x73. */
    r = (struct x86_str_regs){ .rax = '?', .rcx = 10, .rdi = 0x300,
                               .rflags = 0x2 | FL_ZF };
    CHECK_EQ(run_string(&insn, &sm, &r, &last), 10);
    CHECK_EQ(r.rcx, 0);
    CHECK_EQ(r.rdi, 0x30a);
    /* '?' - 's' (the last byte) = 0x3f - 0x73 = 0xcc: CF, SF, PF. */
    CHECK_EQ(r.rflags, 0x2 | FL_CF | FL_SF | FL_PF);

    /* REPE SCASW: words equal to AX, then one that is not. */
    decode_str(X86_MODE_PROT32, "\xf3\x66\xaf", 3, &insn);
    memcpy(sm.bytes[1], "\x34\x12\x34\x12\x35\x12", 6);
    r = (struct x86_str_regs){ .rax = 0xffff1234, .rcx = 9, .rdi = 0x300,
                               .rflags = 0x2 };
    CHECK_EQ(run_string(&insn, &sm, &r, &last), 3);
    CHECK_EQ(r.rcx, 6);
    CHECK_EQ(r.rdi, 0x306);
    /* 0x1234 - 0x1235 = 0xffff. */
    CHECK_EQ(r.rflags, 0x2 | FL_CF | FL_SF | FL_AF | FL_PF);
}

/* DF set: both pointers step down by the element size. */
TEST(cmps_and_scas_with_df_step_down)
{
    struct mmio_insn insn;
    struct smem sm = { .base = { B_DS + 0x1000, B_ES + 0x2000 } };
    struct x86_str_regs r = {
        .rcx = 4, .rsi = 0x100c, .rdi = 0x200c, .rflags = 0x2 | 0x400,
    };
    enum x86_str_result last;

    /* repe cmpsl from the end: dwords 3 and 2 equal, 1 differs. */
    decode_str(X86_MODE_PROT32, "\xf3\xa7", 2, &insn);
    memcpy(sm.bytes[0], "AAAABBBBCCCCDDDD", 16);
    memcpy(sm.bytes[1], "AAAAbBBBCCCCDDDD", 16);
    CHECK_EQ(run_string(&insn, &sm, &r, &last), 3);
    CHECK_EQ(r.rcx, 1);
    CHECK_EQ(r.rsi, 0x1000);
    CHECK_EQ(r.rdi, 0x2000);
    /* 0x42424242 - 0x42424262 = 0xffffffe0: CF, SF; PF of 0xe0 odd. */
    CHECK_EQ(r.rflags, 0x2 | 0x400 | FL_CF | FL_SF);
    REQUIRE_EQ(sm.nacc, 6);
    CHECK_EQ(sm.acc[4].lin, B_DS + 0x1004);
    CHECK_EQ(sm.acc[5].lin, B_ES + 0x2004);
    CHECK_EQ(sm.acc[5].size, 4);

    /* scasb alone (no REP) with DF: EDI - 1, ECX untouched. */
    decode_str(X86_MODE_PROT32, "\xae", 1, &insn);
    r = (struct x86_str_regs){ .rax = 'D', .rcx = 77, .rdi = 0x200f,
                               .rflags = 0x2 | 0x400 };
    CHECK_EQ(run_string(&insn, &sm, &r, &last), 1);
    CHECK_EQ(r.rdi, 0x200e);
    CHECK_EQ(r.rcx, 77);
    CHECK_EQ(r.rflags, 0x2 | 0x400 | FL_ZF | FL_PF);
}

/* rCX 0 with REP: no access, no flag, no register changes. */
TEST(rep_with_count_zero_does_nothing)
{
    static const char *const forms[] = {
        "\xf3\xa6", "\xf2\xa7", "\xf3\xae", "\xf2\xaf", "\xf3\xa5",
        "\xf3\xab", "\xf3\xac",
    };

    for ( unsigned int i = 0; i < ARRAY_SIZE(forms); i++ )
    {
        struct mmio_insn insn;
        struct smem sm = { .base = { B_DS, B_ES } };
        struct x86_str_regs r = {
            .rax = 1, .rcx = 0xffffffff00000000ULL, .rsi = 2, .rdi = 3,
            .rflags = 0x2 | FL_CF | FL_ZF,
        }, r0 = r;
        enum x86_str_result last;

        /* 32-bit address size: ECX is the count, and it is 0. */
        decode_str(X86_MODE_PROT32, forms[i], 2, &insn);
        CHECK_EQ(run_string(&insn, &sm, &r, &last), 1);
        CHECK_EQ(last, X86_STR_DONE);
        CHECK_EQ(sm.nacc, 0);
        CHECK(!memcmp(&r, &r0, sizeof(r)));
    }
}

/*
 * The address size: 67 in 64-bit mode uses ESI, EDI and ECX, which wrap
 * at 4 GiB and are written zero-extended; 67 in 32-bit code uses SI, DI
 * and CX, which wrap at 64 KiB and leave the bits above them.
 */
TEST(address_size_prefix_selects_and_wraps_the_registers)
{
    struct mmio_insn insn;
    struct smem sm = { .base = { 0xfffffffeULL, 0x40 } };
    struct x86_str_regs r = {
        .rcx = 0x5555555500000003ULL, .rsi = 0x77777777fffffffeULL,
        .rdi = 0x8888888800000040ULL, .rflags = 0x2,
    };
    enum x86_str_result last;

    /* addr32 repe cmpsw: ESI 0xfffffffe, then 0 (a second window). */
    decode_str(X86_MODE_LONG64, "\x67\xf3\x66\xa7", 4, &insn);
    sm.base[0] = 0xfffffffeULL;
    CHECK_EQ(x86_string_step(&insn, &str_ops, &sm, &r, &(u64){ 0 },
                             &(bool){ false }), X86_STR_AGAIN);
    CHECK_EQ(sm.acc[0].lin, 0xfffffffeULL);
    CHECK_EQ(sm.acc[1].lin, 0x40);
    CHECK_EQ(r.rsi, 0);
    CHECK_EQ(r.rdi, 0x42);
    CHECK_EQ(r.rcx, 2);
    CHECK_EQ(r.rflags & FL_ZF, FL_ZF);

    /* addr16 repne scasb in 32-bit code: DI 0xffff wraps to 0. */
    decode_str(X86_MODE_PROT32, "\x67\xf2\xae", 3, &insn);
    sm.base[0] = B_ES;
    sm.base[1] = B_ES + 0xff00;
    sm.nacc = 0;
    sm.bytes[1][0xff] = 'x';
    sm.bytes[0][0] = 'y';
    sm.bytes[0][1] = 'z';
    r = (struct x86_str_regs){ .rax = 'z', .rcx = 0xabcd0010,
                               .rsi = 0x1234ffff, .rdi = 0x9876ffff,
                               .rflags = 0x2 };
    CHECK_EQ(run_string(&insn, &sm, &r, &last), 3);
    CHECK_EQ(sm.acc[0].lin, B_ES + 0xffff);
    CHECK_EQ(sm.acc[1].lin, B_ES);
    CHECK_EQ(sm.acc[2].lin, B_ES + 1);
    CHECK_EQ(r.rdi, 0x98760002);
    CHECK_EQ(r.rcx, 0xabcd000d);
    CHECK_EQ(r.rsi, 0x1234ffff);
    CHECK_EQ(r.rflags, 0x2 | FL_ZF | FL_PF);

    /* 16-bit code: the segment base plus SI, wrapped at 4 GiB. */
    decode_str(X86_MODE_PROT16, "\xa6", 1, &insn);
    sm.base[0] = B_DS + 0xfff0;
    sm.base[1] = B_ES + 0x10;
    sm.nacc = 0;
    r = (struct x86_str_regs){ .rsi = 0xfff0, .rdi = 0x10, .rflags = 0x2 };
    CHECK_EQ(run_string(&insn, &sm, &r, &last), 1);
    CHECK_EQ(sm.acc[0].lin, B_DS + 0xfff0);
    CHECK_EQ(r.rsi, 0xfff1);
}

/* CMPS's source takes a segment override; ES:rDI never does. */
TEST(cmps_source_override_and_fixed_es)
{
    static const struct
    {
        enum x86_mode mode;
        const char *bytes;
        u64 src, dst;
    } cases[] = {
        /* Outside 64-bit mode the sum wraps at 4 GiB. */
        { X86_MODE_PROT32, "\x64\xa6", A32(B_FS + 0x20), B_ES + 0x30 },
        { X86_MODE_PROT32, "\x26\xa6", B_ES + 0x20, B_ES + 0x30 },
        { X86_MODE_PROT32, "\x36\xa6", B_SS + 0x20, B_ES + 0x30 },
        { X86_MODE_PROT32, "\x2e\xa6", B_CS + 0x20, B_ES + 0x30 },
        { X86_MODE_LONG64, "\x65\xa6", B_GS + 0x20, 0x30 },
        { X86_MODE_LONG64, "\x3e\xa6", 0x20, 0x30 },
        /* SCAS has no source: an override changes nothing. */
        { X86_MODE_PROT32, "\x64\xae", 0, B_ES + 0x30 },
    };

    for ( unsigned int i = 0; i < ARRAY_SIZE(cases); i++ )
    {
        struct mmio_insn insn;
        struct smem sm = { .base = { cases[i].src, cases[i].dst } };
        struct x86_str_regs r = { .rsi = 0x20, .rdi = 0x30, .rflags = 2 };
        enum x86_str_result last;
        bool scas = cases[i].bytes[1] == '\xae';

        decode_str(cases[i].mode, cases[i].bytes, 2, &insn);
        CHECK_EQ(run_string(&insn, &sm, &r, &last), 1);
        if ( sm.nacc != (scas ? 1u : 2u) )
            harness_fail(__FILE__, __LINE__, true, "case %u: %u accesses",
                         i, sm.nacc);
        if ( !scas )
            CHECK_EQ(sm.acc[0].lin, cases[i].src);
        CHECK_EQ(sm.acc[scas ? 0 : 1].lin, cases[i].dst);
    }
}

/*
 * A page fault leaves every register as it was and says which access:
 * reads for CMPS/SCAS either side, a write for MOVS/STOS's destination.
 */
TEST(string_faults_leave_registers_alone)
{
    static const struct
    {
        const char *bytes;
        u64 src_base, dst_base, fault;
        bool write;
    } cases[] = {
        { "\xa6", 0x5000, 0x20000, 0x10, false },    /* cmps: source */
        { "\xa6", 0x10, 0x6000, 0x20000, false },    /* cmps: destination */
        { "\xae", 0x5000, 0x6000, 0x20000, false },  /* scas */
        { "\xa4", 0x10, 0x6000, 0x20000, true },     /* movs: destination */
        { "\xaa", 0x5000, 0x6000, 0x20000, true },   /* stos */
    };

    for ( unsigned int i = 0; i < ARRAY_SIZE(cases); i++ )
    {
        struct mmio_insn insn;
        struct smem sm = { .base = { cases[i].src_base, cases[i].dst_base } };
        struct x86_str_regs r = { .rcx = 5, .rsi = 0x10, .rdi = 0x20000,
                                  .rflags = 0x2 }, r0 = r;
        u64 fault = 0;
        bool fw = !cases[i].write;

        decode_str(X86_MODE_LONG64, cases[i].bytes, 1, &insn);
        CHECK_EQ(x86_string_step(&insn, &str_ops, &sm, &r, &fault, &fw),
                 X86_STR_FAULT);
        CHECK_EQ(fault, cases[i].fault);
        CHECK_EQ(fw, cases[i].write);
        CHECK(!memcmp(&r, &r0, sizeof(r)));
    }
}

/* MOVS, STOS and LODS through the same step: what moves, and rAX. */
TEST(movs_stos_lods_step)
{
    struct mmio_insn insn;
    struct smem sm = { .base = { B_DS, B_ES } };
    struct x86_str_regs r = { .rax = 0xffffffffffffffffULL, .rcx = 3,
                              .rsi = 0, .rdi = 0, .rflags = 0x2 | FL_ZF };
    enum x86_str_result last;

    memcpy(sm.bytes[0], "0123456789", 10);
    decode_str(X86_MODE_PROT32, "\xf3\xa4", 2, &insn);    /* rep movsb */
    CHECK_EQ(run_string(&insn, &sm, &r, &last), 3);
    CHECK(!memcmp(sm.bytes[1], "012", 3) && sm.bytes[1][3] == 0);
    CHECK_EQ(r.rflags, 0x2 | FL_ZF);    /* MOVS leaves the flags */
    CHECK_EQ(r.rcx, 0);

    /* 64-bit mode: DS and ES have no base. */
    sm.base[0] = 0;
    sm.base[1] = 0x1000;
    decode_str(X86_MODE_LONG64, "\x66\xad", 2, &insn);    /* lodsw */
    r.rsi = 4;
    run_string(&insn, &sm, &r, &last);
    CHECK_EQ(r.rax, 0xffffffffffff3534ULL);
    decode_str(X86_MODE_LONG64, "\xad", 1, &insn);        /* lodsl */
    run_string(&insn, &sm, &r, &last);
    CHECK_EQ(r.rax, 0x39383736ULL);
    CHECK_EQ(r.rsi, 10);

    decode_str(X86_MODE_LONG64, "\xf3\x48\xab", 3, &insn); /* rep stosq */
    r.rax = 0x0807060504030201ULL;
    r.rcx = 2;
    r.rdi = 0x1010;
    CHECK_EQ(run_string(&insn, &sm, &r, &last), 2);
    CHECK(!memcmp(sm.bytes[1] + 0x10,
                  "\x01\x02\x03\x04\x05\x06\x07\x08"
                  "\x01\x02\x03\x04\x05\x06\x07\x08", 16));
    CHECK_EQ(r.rdi, 0x1020);
}

/*
 * The host CPU's CMPS or SCAS, REP kind 0 (none), 1 (REPE) or 2 (REPNE),
 * on host buffers: rSI, rDI, rCX and the flags (DF included) in and out.
 * DF is cleared again before C code runs (the ABI wants it clear).
 */
#define HOST_STR(text)                                                  \
    asm volatile ( "sub $128, %%rsp\n\t"                                \
                   "push %[f]\n\t"                                      \
                   "popf\n\t"                                           \
                   text "\n\t"                                          \
                   "pushf\n\t"                                          \
                   "pop %[f]\n\t"                                       \
                   "cld\n\t"                                            \
                   "add $128, %%rsp"                                    \
                   : [f] "+r" (f), "+S" (si), "+D" (di), "+c" (cx)      \
                   : "a" (ax)                                           \
                   : "memory", "cc" )

#define HOST_STR_SIZES(pfx, op)                                         \
    switch ( size )                                                     \
    {                                                                   \
    case 1: HOST_STR(pfx op "b"); break;                                \
    case 2: HOST_STR(pfx op "w"); break;                                \
    case 4: HOST_STR(pfx op "l"); break;                                \
    default: HOST_STR(pfx op "q"); break;                               \
    }

static void host_string(bool scas, unsigned int rep, unsigned int size,
                        const u8 **rsi, const u8 **rdi, u64 *rcx, u64 rax,
                        u64 *flags)
{
    const u8 *si = *rsi, *di = *rdi;
    u64 cx = *rcx, ax = rax, f = (*flags & (FL_ARITH | 0x400)) | 0x2;

    if ( !scas && rep == 0 )
        HOST_STR_SIZES("", "cmps")
    else if ( !scas && rep == 1 )
        HOST_STR_SIZES("repe ", "cmps")
    else if ( !scas )
        HOST_STR_SIZES("repne ", "cmps")
    else if ( rep == 0 )
        HOST_STR_SIZES("", "scas")
    else if ( rep == 1 )
        HOST_STR_SIZES("repe ", "scas")
    else
        HOST_STR_SIZES("repne ", "scas")
    *rsi = si;
    *rdi = di;
    *rcx = cx;
    *flags = f;
}

/*
 * Random CMPS and SCAS, every size and REP kind, both directions, against
 * the host: the same final rCX, rSI, rDI and arithmetic flags, and one
 * step per element the host compared (rSI/rDI tell how many).
 */
TEST(cmps_scas_match_the_host_cpu)
{
    static const char *const forms[] = { "", "\xf3", "\xf2" };
    unsigned int iter, stopped_early = 0, ran_out = 0;

    for ( iter = 0; iter < 20000 && !ENOUGH(); iter++ )
    {
        bool scas = test_rand() & 1, df = test_rand() & 1;
        unsigned int rep = test_rand() % 3, size = 1u << (test_rand() % 4);
        unsigned int count = test_rand() % 10, equal_pct = test_rand() % 101;
        unsigned int n = count ? count : 1, i, steps, start;
        u8 bytes[8] = { 0x48, 0 };
        struct mmio_insn insn;
        struct smem sm = { .base = { 0x10000, 0x7f0000000000ULL } };
        struct x86_str_regs r;
        enum x86_str_result last;
        u64 ax = rand_operand(size) | (rand64() & ~size_mask(size));
        u64 hcx = count;    /* all of RCX counts (64-bit addresses) */
        u64 hfl = rand64() & FL_ARITH, elems;
        const u8 *hsi, *hdi;
        unsigned int len = 0;

        /* The elements: equal (to each other, or to rAX) or not. */
        for ( i = 0; i < n; i++ )
        {
            u64 a = scas ? ax & size_mask(size) : rand_operand(size);
            u64 b = (unsigned int)(test_rand() % 100) < equal_pct
                    ? a : rand_operand(size);

            memcpy(&sm.bytes[0][i * size], &a, size);
            memcpy(&sm.bytes[1][i * size], &b, size);
        }

        /* Encode: REP kind, 66 or REX.W, the opcode. */
        if ( rep )
            bytes[len++] = forms[rep][0];
        if ( size == 2 )
            bytes[len++] = 0x66;
        if ( size == 8 )
            bytes[len++] = 0x48;
        bytes[len++] = (scas ? 0xae : 0xa6) | (size > 1);
        decode_str(X86_MODE_LONG64, (const char *)bytes, len, &insn);

        /* DF set: start at the last element and go down. */
        start = df ? (n - 1) * size : 0;
        r.rax = ax;
        r.rcx = hcx;
        r.rsi = 0x10000 + start;
        r.rdi = 0x7f0000000000ULL + start;
        r.rflags = 0x2 | hfl | (df ? 0x400 : 0);
        hsi = sm.bytes[0] + start;
        hdi = sm.bytes[1] + start;
        if ( df )
            hfl |= 0x400;

        steps = run_string(&insn, &sm, &r, &last);
        host_string(scas, rep, size, &hsi, &hdi, &hcx, ax, &hfl);

        CHECK_EQ(last, X86_STR_DONE);
        CHECK_EQ(r.rcx, hcx);
        CHECK_EQ(r.rdi - 0x7f0000000000ULL,
                 (u64)(hdi - sm.bytes[1]));
        if ( !scas )
            CHECK_EQ(r.rsi - 0x10000, (u64)(hsi - sm.bytes[0]));
        else
            CHECK_EQ(r.rsi, 0x10000 + start);
        CHECK_EQ(r.rflags, (hfl & (FL_ARITH | 0x400)) | 0x2);
        CHECK_EQ(r.rax, ax);
        /* Elements compared, from how far rDI moved. */
        elems = (u64)(df ? sm.bytes[1] + start - hdi
                         : hdi - (sm.bytes[1] + start)) / size;
        CHECK_EQ(steps, rep && !count ? 1 : elems);
        CHECK_EQ(sm.nacc, elems * (scas ? 1 : 2));
        CHECK(!sm.bad_arg);
        if ( rep && count && elems < count )
            stopped_early++;
        if ( rep && count && elems == count )
            ran_out++;
    }
    /* Both ways of ending a REPE/REPNE were exercised. */
    CHECK(stopped_early > 1000);
    CHECK(ran_out > 1000);
}

/*
 * 64-bit mode: a non-canonical address is #GP(0), or #SS(0) for an
 * SS-based source, before either operand is accessed; 32-bit linear
 * addresses wrap at 4 GiB instead and are never non-canonical.
 */
TEST(non_canonical_string_addresses_fault_before_any_access)
{
    static const struct
    {
        enum x86_mode mode;
        const char *bytes;
        unsigned int len;
        u64 rsi, rdi;
        enum x86_str_result want;
    } cases[] = {
        /* The source, the destination; the first of an SS source. */
        { X86_MODE_LONG64, "\xa6", 1, 0x0000800000000000ULL, 0x10,
          X86_STR_GP },
        { X86_MODE_LONG64, "\xa6", 1, 0x10, 0xffff7fffffffffffULL,
          X86_STR_GP },
        { X86_MODE_LONG64, "\x36\xa6", 2, 0x8000000000000000ULL, 0x10,
          X86_STR_SS },
        { X86_MODE_LONG64, "\x36\xa6", 2, 0x10, 0x8000000000000000ULL,
          X86_STR_GP },
        { X86_MODE_LONG64, "\xf3\xae", 2, 0x8000000000000000ULL,
          0x0001000000000000ULL, X86_STR_GP },
        /* SCAS has no source: a bad rSI is not looked at. */
        { X86_MODE_LONG64, "\xae", 1, 0x8000000000000000ULL, 0x10,
          X86_STR_DONE },
        { X86_MODE_LONG64, "\xa4", 1, 0x10, 0x0000900000000000ULL,
          X86_STR_GP },
        { X86_MODE_LONG64, "\x36\xac", 2, 0x0000900000000000ULL, 0x10,
          X86_STR_SS },
        /* The top canonical addresses are fine. */
        { X86_MODE_LONG64, "\xa6", 1, 0x00007ffffffffff0ULL,
          0xffff800000000000ULL, X86_STR_DONE },
        /* 67: ESI is zero-extended, canonical whatever RSI held. */
        { X86_MODE_LONG64, "\x67\xa6", 2, 0x8000000000000010ULL, 0x10,
          X86_STR_DONE },
    };

    for ( unsigned int i = 0; i < ARRAY_SIZE(cases); i++ )
    {
        struct mmio_insn insn;
        struct smem sm = { .base = { 0x00007ffffffffff0ULL - 0x80,
                                     0xffff800000000000ULL - 0x80 } };
        struct x86_str_regs r = { .rcx = 3, .rsi = cases[i].rsi,
                                  .rdi = cases[i].rdi, .rflags = 0x2 }, r0;
        u64 fault = 0;
        bool fw = false;
        enum x86_str_result got;

        /* Where the DONE cases read: windows around their addresses. */
        if ( cases[i].rsi == 0x10 || cases[i].rdi == 0x10 ||
             cases[i].len == 2 )
        {
            sm.base[0] = 0;
            sm.base[1] = 0;
        }
        r0 = r;
        decode_str(cases[i].mode, cases[i].bytes, cases[i].len, &insn);
        got = x86_string_step(&insn, &str_ops, &sm, &r, &fault, &fw);
        if ( got != cases[i].want )
            harness_fail(__FILE__, __LINE__, false, "case %u: result %d, "
                         "wanted %d", i, got, cases[i].want);
        if ( got == X86_STR_GP || got == X86_STR_SS )
        {
            CHECK_EQ(sm.nacc, 0);
            CHECK(!memcmp(&r, &r0, sizeof(r)));
        }
    }
}

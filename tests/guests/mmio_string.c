/*
 * mmio_string: the string instructions MOVS, STOS, LODS, CMPS and SCAS
 * with an operand in MMIO complete as on the CPU (SDM vol. 2,
 * MOVS/STOS/LODS/CMPS/SCAS and REP): every element is read or written in
 * order, ESI/EDI move by the element size (down with DF set), REP counts
 * ECX down to 0, REPE/REPNE also stop on ZF, and nothing else in RAM
 * changes.  Devices: the xAPIC page (version register and
 * TPR) and an address nothing backs (0xc0000000: writes dropped, reads
 * all ones under xen-lite and Bochs, zero on QEMU; see mmio_unbacked).
 *
 * Cases: LODSL from the version register; MOVSL from RAM into the TPR;
 * REP MOVSL of 4 dwords from the unbacked page into RAM; REP STOSL of 3
 * dwords into it; REP MOVSB of 5 bytes from RAM to it; MOVSL with DF set
 * (the pointers step down); REP with ECX 0 (nothing moves); an
 * ES-override-free MOVS with an FS source override (FS = DS here).
 *
 * CMPS and SCAS: each is run on the MMIO operands and again on a RAM
 * mirror of what they read (taken with plain MOVs), and must leave the
 * same ECX, the same ESI/EDI distances and the same flags; the expected
 * stop is checked as well.  REPE CMPSB from the unbacked page to RAM
 * stopping at the first difference; REPNE CMPSB from RAM to it finding
 * the one equal byte; REPE CMPSL from MMIO to MMIO with DF set; REPE
 * CMPSW (66); REPNE SCASB finding AL at once or running ECX out; REPE
 * SCASL with DF; CMPSL and SCASL against the TPR and the version
 * register, and version register against the unbacked page; REPE CMPS
 * with ECX 0 (no access, flags kept); 67 (16-bit addresses: SI, DI, CX
 * with the upper halves kept) with an FS source whose base is the
 * unbacked page and an ES based on RAM; 67 REPNE SCASB with ES on the
 * unbacked page, DI wrapping from 0xffff to 0.
 */
#include "test.h"

const char test_name[] = "mmio_string";

#define APIC_PAGE       0xfee00000u
#define UNBACKED        0xc0000000u
#define SENTINEL        0x5a5a5a5au

static volatile uint32_t buf[8];
static volatile uint8_t bytes[8];

struct regs3
{
    uint32_t esi, edi, ecx, eax;
};

static void fill(void)
{
    for ( unsigned int i = 0; i < 8; i++ )
        buf[i] = SENTINEL;
}

/* --- CMPS and SCAS ---------------------------------------------------- */

#define FL_CF           0x001u
#define FL_ZF           0x040u
#define FL_DF           0x400u
#define FL_ARITH        0x8d5u
#define MIRROR          0x200u  /* bytes of the unbacked page mirrored */

/* Data segments for the 67 cases, in per-CPU slots this 1-CPU test has. */
#define SLOT_A          (MAX_CPUS - 1)
#define SLOT_B          (MAX_CPUS - 2)

extern uint64_t gdt[];

static volatile uint8_t mirror[MIRROR] __attribute__((aligned(16)));
static volatile uint8_t other[64] __attribute__((aligned(16)));
static uint32_t base_fl;

struct sregs
{
    uint32_t esi, edi, ecx, eax, fl;
};

/* Run 'text' with r's ESI, EDI, ECX, EAX and flags; DF cleared after. */
#define RUN(text, r)                                                    \
    asm volatile ( "pushl %[fl]\n\tpopfl\n\t" text "\n\t"               \
                   "pushfl\n\tpopl %[fl]\n\tcld"                        \
                   : "+S" ((r).esi), "+D" ((r).edi), "+c" ((r).ecx),    \
                     [fl] "+r" ((r).fl)                                 \
                   : "a" ((r).eax) : "memory", "cc" )

static uint32_t ram(volatile void *p)
{
    return (uint32_t)(uintptr_t)p;
}

/* The RAM mirror of an address on the unbacked page; others unchanged. */
static uint32_t mir(uint32_t a)
{
    return a >= UNBACKED && a < UNBACKED + MIRROR
           ? ram(&mirror[a - UNBACKED]) : a;
}

/*
 * The same instruction was run on MMIO (m, from m0) and on RAM (r, from
 * r0): the CPU leaves the same count, distances and flags either way.
 */
static void same(const char *what, const struct sregs *m0,
                 const struct sregs *m, const struct sregs *r0,
                 const struct sregs *r)
{
    CHECK(m->ecx == r->ecx && m->esi - m0->esi == r->esi - r0->esi &&
          m->edi - m0->edi == r->edi - r0->edi && m->fl == r->fl,
          "%s: on MMIO ECX %#x, ESI %+d, EDI %+d, flags %#x; on RAM ECX "
          "%#x, ESI %+d, EDI %+d, flags %#x", what, m->ecx,
          (int)(m->esi - m0->esi), (int)(m->edi - m0->edi), m->fl, r->ecx,
          (int)(r->esi - r0->esi), (int)(r->edi - r0->edi), r->fl);
}

/* r0 with ESI and EDI moved from the unbacked page to its mirror. */
static struct sregs on_ram(struct sregs r0)
{
    r0.esi = mir(r0.esi);
    r0.edi = mir(r0.edi);
    return r0;
}

/* Run 'text' on MMIO and on RAM; m gets the MMIO result. */
#define BOTH(what, text, m0, m)                                         \
    do {                                                                \
        struct sregs r0_ = on_ram(m0), r_ = r0_;                        \
                                                                        \
        m = m0;                                                         \
        RUN(text, m);                                                   \
        RUN(text, r_);                                                  \
        same(what, &(m0), &(m), &r0_, &r_);                             \
    } while ( 0 )

static struct sregs regs(uint32_t esi, uint32_t edi, uint32_t ecx,
                         uint32_t eax, uint32_t fl)
{
    return (struct sregs){ esi, edi, ecx, eax, base_fl | fl };
}

static uint64_t data_desc(uint32_t base)
{
    /* Flat 4 GiB, writable, 32-bit, DPL 0, at 'base'. */
    return 0x00cf92000000ffffull | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)(base >> 24) << 56);
}

static void cmps_scas(void)
{
    struct sregs m0, m;
    uint32_t v32, ver, tpr_val, x;
    uint16_t v16, fs_old, es_old;
    uint8_t v;

    /* What the unbacked page reads: one value throughout (see top). */
    for ( unsigned int i = 0; i < MIRROR; i += 4 )
        *(volatile uint32_t *)&mirror[i] = mmio_read32(UNBACKED + i);
    v = mirror[0];
    for ( unsigned int i = 0; i < MIRROR; i++ )
        CHECK(mirror[i] == v, "the unbacked page reads %#x at 0 but %#x "
              "at %#x", v, mirror[i], i);
    v16 = v * 0x101u;
    v32 = v * 0x01010101u;
    base_fl = read_eflags() & ~(FL_ARITH | FL_DF);

    /* REPE CMPSB, unbacked page to RAM: the 6th byte differs. */
    for ( unsigned int i = 0; i < 12; i++ )
        other[i] = v;
    other[5] = v ^ 1;
    m0 = regs(UNBACKED + 0x40, ram(other), 12, 0, FL_ZF);
    BOTH("repe cmpsb", "repe cmpsb", m0, m);
    CHECK(m.ecx == 6 && m.esi == m0.esi + 6 && m.edi == m0.edi + 6 &&
          !(m.fl & FL_ZF), "repe cmpsb: ECX %u ESI %#x EDI %#x flags %#x, "
          "wanted a stop at the 6th byte", m.ecx, m.esi, m.edi, m.fl);

    /* REPNE CMPSB, RAM to the unbacked page: only the 8th is equal. */
    for ( unsigned int i = 0; i < 16; i++ )
        other[i] = v ^ 0x10;
    other[7] = v;
    m0 = regs(ram(other), UNBACKED + 0x60, 16, 0, 0);
    BOTH("repne cmpsb", "repne cmpsb", m0, m);
    CHECK(m.ecx == 8 && m.edi == m0.edi + 8 && (m.fl & FL_ZF),
          "repne cmpsb: ECX %u EDI %#x flags %#x, wanted a stop at the 8th "
          "byte", m.ecx, m.edi, m.fl);

    /* REPE CMPSL, MMIO to MMIO, DF set: all equal, ECX runs out. */
    m0 = regs(UNBACKED + 0x90, UNBACKED + 0x110, 5, 0, FL_DF);
    BOTH("std; repe cmpsl", "repe cmpsl", m0, m);
    CHECK(m.ecx == 0 && m.esi == m0.esi - 20 && m.edi == m0.edi - 20 &&
          (m.fl & (FL_ZF | FL_DF)) == (FL_ZF | FL_DF),
          "std; repe cmpsl: ECX %u ESI %#x EDI %#x flags %#x", m.ecx,
          m.esi, m.edi, m.fl);

    /* REPE CMPSW (66), RAM to MMIO: the 3rd word differs in its top bit. */
    for ( unsigned int i = 0; i < 12; i += 2 )
        *(volatile uint16_t *)&other[i] = v16;
    *(volatile uint16_t *)&other[4] = v16 ^ 0x8000;
    m0 = regs(ram(other), UNBACKED + 0x1a0, 6, 0, FL_ZF);
    BOTH("repe cmpsw", "repe cmpsw", m0, m);
    CHECK(m.ecx == 3 && m.esi == m0.esi + 6 && m.edi == m0.edi + 6 &&
          !(m.fl & FL_ZF), "repe cmpsw: ECX %u ESI %#x EDI %#x flags %#x",
          m.ecx, m.esi, m.edi, m.fl);

    /* REPNE SCASB: AL is there at once; then it is nowhere. */
    m0 = regs(0, UNBACKED + 0x20, 9, 0xabcdef00u | v, 0);
    BOTH("repne scasb (found)", "repne scasb", m0, m);
    CHECK(m.ecx == 8 && m.edi == m0.edi + 1 && (m.fl & FL_ZF),
          "repne scasb: ECX %u EDI %#x flags %#x, wanted the first byte",
          m.ecx, m.edi, m.fl);
    m0 = regs(0, UNBACKED + 0x20, 9, v ^ 0x5a, FL_ZF);
    BOTH("repne scasb (absent)", "repne scasb", m0, m);
    CHECK(m.ecx == 0 && m.edi == m0.edi + 9 && !(m.fl & FL_ZF),
          "repne scasb: ECX %u EDI %#x flags %#x, wanted 9 bytes", m.ecx,
          m.edi, m.fl);

    /* REPE SCASL with DF: 4 dwords down from the page's 0x1f0. */
    m0 = regs(0, UNBACKED + 0x1f0, 4, v32, FL_DF | FL_CF);
    BOTH("std; repe scasl", "repe scasl", m0, m);
    CHECK(m.ecx == 0 && m.edi == m0.edi - 16 && (m.fl & FL_ZF) &&
          !(m.fl & FL_CF), "std; repe scasl: ECX %u EDI %#x flags %#x",
          m.ecx, m.edi, m.fl);

    /* REPE CMPSB with ECX 0: nothing, the flags as they were. */
    m0 = regs(UNBACKED, ram(other), 0, 0, FL_CF | FL_ZF | 0x80);
    m = m0;
    RUN("repe cmpsb", m);
    CHECK(m.esi == m0.esi && m.edi == m0.edi && m.ecx == 0 &&
          m.fl == m0.fl, "repe cmpsb with ECX 0: ESI %#x EDI %#x flags "
          "%#x (was %#x)", m.esi, m.edi, m.fl, m0.fl);

    /* The xAPIC: CMPSL from RAM to the TPR, equal and not. */
    apic_write(APIC_TPR, 0x20);
    tpr_val = 0x20;
    x = 0x20;
    m0 = regs(ram(&x), APIC_PAGE + APIC_TPR, 0, 0, FL_CF);
    m = m0;
    RUN("cmpsl", m);
    {
        struct sregs r0 = regs(ram(&x), ram(&tpr_val), 0, 0, FL_CF), r = r0;

        RUN("cmpsl", r);
        same("cmpsl with the TPR", &m0, &m, &r0, &r);
    }
    CHECK((m.fl & FL_ZF) && m.edi == APIC_PAGE + APIC_TPR + 4,
          "cmpsl (0x20) with the TPR (0x20): flags %#x EDI %#x", m.fl,
          m.edi);
    x = 0x10;
    m0 = regs(ram(&x), APIC_PAGE + APIC_TPR, 0, 0, 0);
    m = m0;
    RUN("cmpsl", m);
    {
        struct sregs r0 = regs(ram(&x), ram(&tpr_val), 0, 0, 0), r = r0;

        RUN("cmpsl", r);
        same("cmpsl 0x10 with the TPR", &m0, &m, &r0, &r);
    }
    CHECK((m.fl & FL_CF) && !(m.fl & FL_ZF), "cmpsl 0x10 with the TPR "
          "0x20: flags %#x, wanted CF", m.fl);
    apic_write(APIC_TPR, 0);

    /* SCASL of the version register; CMPSL of it against the page. */
    ver = apic_read(APIC_VERSION);
    m0 = regs(0, APIC_PAGE + APIC_VERSION, 0, ver, 0);
    m = m0;
    RUN("scasl", m);
    CHECK((m.fl & FL_ZF) && m.edi == APIC_PAGE + APIC_VERSION + 4,
          "scasl of the version register %#x: flags %#x EDI %#x", ver,
          m.fl, m.edi);
    m0 = regs(APIC_PAGE + APIC_VERSION, UNBACKED, 0, 0, 0);
    m = m0;
    RUN("cmpsl", m);
    {
        struct sregs r0 = regs(ram(&ver), ram(mirror), 0, 0, 0), r = r0;

        RUN("cmpsl", r);
        same("cmpsl, version register to the unbacked page", &m0, &m,
             &r0, &r);
    }

    /*
     * 67: SI, DI and CX, the upper halves kept.  FS's base is the
     * unbacked page (then its mirror), ES's the RAM buffer: the 5th byte
     * differs.
     */
    for ( unsigned int i = 0; i < 12; i++ )
        other[i] = v;
    other[4] = v ^ 0x80;
    asm volatile ( "movw %%fs, %0; movw %%es, %1"
                   : "=r" (fs_old), "=r" (es_old) );
    gdt[3 + SLOT_A] = data_desc(UNBACKED);
    gdt[3 + SLOT_B] = data_desc(ram(other));
    asm volatile ( "movw %0, %%fs; movw %1, %%es"
                   :: "r" ((uint16_t)SEL_PERCPU(SLOT_A)),
                      "r" ((uint16_t)SEL_PERCPU(SLOT_B)) : "memory" );
    m0 = regs(0xabcd0040u, 0x12340000u, 0x5678000cu, 0, FL_ZF);
    m = m0;
    /* addr16 fs repe cmpsb */
    RUN(".byte 0x67, 0x64, 0xf3, 0xa6", m);
    gdt[3 + SLOT_A] = data_desc(ram(mirror));
    asm volatile ( "movw %0, %%fs" :: "r" ((uint16_t)SEL_PERCPU(SLOT_A))
                   : "memory" );
    {
        struct sregs r = m0;

        RUN(".byte 0x67, 0x64, 0xf3, 0xa6", r);
        same("addr16 fs repe cmpsb", &m0, &m, &m0, &r);
    }
    CHECK(m.ecx == 0x56780007u && m.esi == 0xabcd0045u &&
          m.edi == 0x12340005u && !(m.fl & FL_ZF), "addr16 fs repe cmpsb: "
          "ECX %#x ESI %#x EDI %#x flags %#x", m.ecx, m.esi, m.edi, m.fl);

    /* 67 REPNE SCASB with ES on the unbacked page: DI wraps to 0. */
    gdt[3 + SLOT_B] = data_desc(UNBACKED);
    asm volatile ( "movw %0, %%es" :: "r" ((uint16_t)SEL_PERCPU(SLOT_B))
                   : "memory" );
    m0 = regs(0x11112222u, 0x7777fffeu, 0xdead0004u, v ^ 0xff, 0);
    m = m0;
    /* addr16 repne scasb */
    RUN(".byte 0x67, 0xf2, 0xae", m);
    asm volatile ( "movw %0, %%fs; movw %1, %%es"
                   :: "r" (fs_old), "r" (es_old) : "memory" );
    {
        /* The flags of the last compare, AL - v, from the CPU itself. */
        uint32_t fl = base_fl;
        uint8_t al = v ^ 0xff;

        asm volatile ( "pushl %[fl]\n\tpopfl\n\tcmpb %[v], %[al]\n\t"
                       "pushfl\n\tpopl %[fl]"
                       : [fl] "+r" (fl) : [v] "q" (v), [al] "q" (al)
                       : "cc" );
        CHECK(m.ecx == 0xdead0000u && m.edi == 0x77770002u &&
              m.esi == 0x11112222u && m.fl == fl, "addr16 repne scasb "
              "across DI 0xffff: ECX %#x EDI %#x ESI %#x flags %#x, wanted "
              "flags %#x", m.ecx, m.edi, m.esi, m.fl, fl);
    }
}

void test_main(void)
{
    struct regs3 r;
    uint32_t ver = 0, tpr, src = 0x30, ub;

    platform_init(APIC_MODE_XAPIC, false);
    /*
     * What a MOV reads from the unbacked page: all ones under xen-lite
     * and Bochs, zero on QEMU (a PC returns either); MOVS must move it.
     */
    ub = mmio_read32(UNBACKED);

    /* LODSL from the APIC version register. */
    r.esi = APIC_PAGE + APIC_VERSION;
    asm volatile ( "lodsl" : "+S" (r.esi), "=a" (ver) :: "memory" );
    CHECK(ver == apic_read(APIC_VERSION), "lodsl: %#x, the register says "
          "%#x", ver, apic_read(APIC_VERSION));
    CHECK(r.esi == APIC_PAGE + APIC_VERSION + 4, "lodsl: ESI %#x", r.esi);

    /* MOVSL from RAM into the TPR. */
    r.esi = (uint32_t)(uintptr_t)&src;
    r.edi = APIC_PAGE + APIC_TPR;
    asm volatile ( "movsl" : "+S" (r.esi), "+D" (r.edi) :: "memory" );
    tpr = apic_read(APIC_TPR);
    CHECK(tpr == 0x30, "movsl to the TPR: it reads %#x", tpr);
    CHECK(r.esi == (uint32_t)(uintptr_t)&src + 4 &&
          r.edi == APIC_PAGE + APIC_TPR + 4, "movsl: ESI %#x EDI %#x",
          r.esi, r.edi);
    apic_write(APIC_TPR, 0);

    /* REP MOVSL: 4 dwords from the unbacked page into RAM. */
    fill();
    r.esi = UNBACKED;
    r.edi = (uint32_t)(uintptr_t)&buf[1];
    r.ecx = 4;
    asm volatile ( "rep movsl" : "+S" (r.esi), "+D" (r.edi), "+c" (r.ecx)
                   :: "memory" );
    CHECK(r.ecx == 0 && r.esi == UNBACKED + 16 &&
          r.edi == (uint32_t)(uintptr_t)&buf[5], "rep movsl: ECX %u ESI "
          "%#x EDI %#x", r.ecx, r.esi, r.edi);
    for ( unsigned int i = 1; i < 5; i++ )
        CHECK(buf[i] == ub, "rep movsl: dword %u is %#x, a MOV read %#x",
              i - 1, buf[i], ub);
    CHECK(buf[0] == SENTINEL && buf[5] == SENTINEL,
          "rep movsl wrote outside its 4 dwords (%#x, %#x)", buf[0], buf[5]);

    /* REP STOSL: 3 dwords into it. */
    r.edi = UNBACKED + 0x100;
    r.ecx = 3;
    r.eax = 0x12345678;
    asm volatile ( "rep stosl" : "+D" (r.edi), "+c" (r.ecx) : "a" (r.eax)
                   : "memory" );
    CHECK(r.ecx == 0 && r.edi == UNBACKED + 0x10c, "rep stosl: ECX %u EDI "
          "%#x", r.ecx, r.edi);

    /* REP MOVSB: 5 bytes from RAM to it. */
    for ( unsigned int i = 0; i < 8; i++ )
        bytes[i] = i;
    r.esi = (uint32_t)(uintptr_t)bytes;
    r.edi = UNBACKED + 0x201;
    r.ecx = 5;
    asm volatile ( "rep movsb" : "+S" (r.esi), "+D" (r.edi), "+c" (r.ecx)
                   :: "memory" );
    CHECK(r.ecx == 0 && r.esi == (uint32_t)(uintptr_t)bytes + 5 &&
          r.edi == UNBACKED + 0x206, "rep movsb: ECX %u ESI %#x EDI %#x",
          r.ecx, r.esi, r.edi);

    /* DF set: the pointers step down. */
    fill();
    r.esi = UNBACKED + 0x10;
    r.edi = (uint32_t)(uintptr_t)&buf[4];
    asm volatile ( "std; movsl; cld" : "+S" (r.esi), "+D" (r.edi)
                   :: "memory", "cc" );
    CHECK(r.esi == UNBACKED + 0xc && r.edi == (uint32_t)(uintptr_t)&buf[3],
          "movsl with DF: ESI %#x EDI %#x", r.esi, r.edi);
    CHECK(buf[4] == ub && buf[3] == SENTINEL &&
          buf[5] == SENTINEL, "movsl with DF: buf %#x %#x %#x", buf[3],
          buf[4], buf[5]);

    /* REP with ECX 0: nothing at all. */
    fill();
    r.esi = UNBACKED;
    r.edi = (uint32_t)(uintptr_t)&buf[0];
    r.ecx = 0;
    asm volatile ( "rep movsl" : "+S" (r.esi), "+D" (r.edi), "+c" (r.ecx)
                   :: "memory" );
    CHECK(r.esi == UNBACKED && r.edi == (uint32_t)(uintptr_t)&buf[0] &&
          buf[0] == SENTINEL, "rep movsl with ECX 0 moved something");

    /* A source override (FS, flat like DS). */
    r.esi = APIC_PAGE + APIC_VERSION;
    asm volatile ( "fs lodsl" : "+S" (r.esi), "=a" (ver) :: "memory" );
    CHECK(ver == apic_read(APIC_VERSION), "fs lodsl: %#x", ver);

    cmps_scas();

    test_pass("lodsl, movsl, rep movsl/stosl/movsb, DF, ECX 0 and an FS "
              "override; cmps/scas with repe/repne, DF, 66, 67, ECX 0, an "
              "FS source; on the xAPIC page and an unbacked page");
}

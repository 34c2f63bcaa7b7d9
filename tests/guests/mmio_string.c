/*
 * mmio_string: the string instructions MOVS, STOS and LODS with an
 * operand in MMIO complete as on the CPU (SDM vol. 2, MOVS/STOS/LODS and
 * REP): every element is read or written in order, ESI/EDI move by the
 * element size (down with DF set), REP counts ECX down to 0, and nothing
 * else in RAM changes.  Devices: the xAPIC page (version register and
 * TPR) and an address nothing backs (0xc0000000: reads all ones, writes
 * dropped, as xen-lite's bus does; see mmio_unbacked).
 *
 * Cases: LODSL from the version register; MOVSL from RAM into the TPR;
 * REP MOVSL of 4 dwords from the unbacked page into RAM; REP STOSL of 3
 * dwords into it; REP MOVSB of 5 bytes from RAM to it; MOVSL with DF set
 * (the pointers step down); REP with ECX 0 (nothing moves); an
 * ES-override-free MOVS with an FS source override (FS = DS here).
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

void test_main(void)
{
    struct regs3 r;
    uint32_t ver = 0, tpr, src = 0x30;

    platform_init(APIC_MODE_XAPIC, false);

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
        CHECK(buf[i] == 0xffffffffu, "rep movsl: dword %u is %#x", i - 1,
              buf[i]);
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
    CHECK(buf[4] == 0xffffffffu && buf[3] == SENTINEL &&
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

    test_pass("lodsl, movsl, rep movsl/stosl/movsb, DF, ECX 0 and an FS "
              "override on the xAPIC page and an unbacked page");
}

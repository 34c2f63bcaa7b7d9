/*
 * acpi_shutdown: the guest ends itself through the ACPI registers of a
 * hardware-reduced FADT, as Linux's poweroff and reboot do.
 *   action=poweroff (default): SLP_TYPa of \_S5, read from the DSDT's
 *     AML, goes with SLP_EN to SLEEP_CONTROL_REG (ACPI 6.3 section
 *     4.8.3.7: SLP_TYP in bits 4:2, SLP_EN bit 5), after WAK_STS is
 *     cleared in SLEEP_STATUS_REG;
 *   action=reset: RESET_VALUE goes to RESET_REG (FADT flag RESET_REG_SUP).
 * The registers must be system I/O Generic Address Structures.  There is
 * no PASS verdict: the domain must be gone before it could print one
 * (the integration test checks how it ended).  Still running 100 ms
 * after the write is a FAIL.
 */
#include "test.h"

const char test_name[] = "acpi_shutdown";

#define FADT_FLAGS          112
#define FADT_RESET_REG      116
#define FADT_RESET_VALUE    128
#define FADT_X_DSDT         140
#define FADT_SLEEP_CONTROL  244
#define FADT_SLEEP_STATUS   256
#define FADT_LEN_SLEEP      268

#define FLAG_RESET_REG_SUP  (1u << 10)
#define FLAG_HW_REDUCED     (1u << 20)
#define SLP_EN              0x20
#define WAK_STS             0x80
#define GAS_IO              1

static uint32_t rd32(const uint8_t *p)
{
    return *(const uint32_t *)p;
}

/* The port of a byte-wide system I/O Generic Address Structure. */
static uint16_t io_gas(const uint8_t *fadt, unsigned int off,
                       const char *what)
{
    const uint8_t *g = fadt + off;
    uint64_t addr = *(const uint64_t *)(g + 4);

    if ( g[0] != GAS_IO || !addr || addr > 0xffff )
        test_fail("%s: space %u address %#x, not a system I/O port", what,
                  g[0], (unsigned int)addr);
    return addr;
}

/* SLP_TYPa of \_S5: NameOp "_S5_" PackageOp PkgLength NumElements. */
static int s5_slp_typ(const uint8_t *dsdt)
{
    uint32_t len = rd32(dsdt + 4), i;
    const uint8_t *p;

    for ( i = 36; i + 8 < len; i++ )
    {
        p = dsdt + i;
        if ( memcmp(p, "_S5_", 4) || p[4] != 0x12 )
            continue;
        p += 5;
        p += 1 + (p[0] >> 6);           /* PkgLength and its extra bytes */
        p++;                            /* NumElements */
        if ( p[0] == 0x0a )             /* BytePrefix */
            return p[1];
        if ( p[0] == 0x00 || p[0] == 0x01 )     /* ZeroOp, OneOp */
            return p[0];
        return -1;
    }
    return -1;
}

void test_main(void)
{
    const char *action = env_get("action") ?: "poweroff";
    const uint8_t *fadt = acpi_find_table("FACP");
    uint32_t flags;

    if ( !fadt )
        test_fail("no FADT");
    flags = rd32(fadt + FADT_FLAGS);

    if ( !strcmp(action, "poweroff") )
    {
        const uint8_t *dsdt;
        uint16_t ctl, sts;
        int typ;

        if ( rd32(fadt + 4) < FADT_LEN_SLEEP || !(flags & FLAG_HW_REDUCED) )
            test_fail("FADT of %u bytes, flags %#x: no HW-reduced sleep "
                      "registers", rd32(fadt + 4), flags);
        dsdt = (const uint8_t *)(uint32_t)*(const uint64_t *)
               (fadt + FADT_X_DSDT);
        if ( !dsdt || memcmp(dsdt, "DSDT", 4) )
            test_fail("no DSDT at X_DSDT");
        typ = s5_slp_typ(dsdt);
        if ( typ < 0 || typ > 7 )
            test_fail("no usable \\_S5 in the DSDT");
        ctl = io_gas(fadt, FADT_SLEEP_CONTROL, "SLEEP_CONTROL_REG");
        sts = io_gas(fadt, FADT_SLEEP_STATUS, "SLEEP_STATUS_REG");
        printf("acpi_shutdown: S5, SLP_TYP %d: %#x to port %#x\n", typ,
               (typ << 2) | SLP_EN, ctl);
        console_flush();
        outb(sts, WAK_STS);
        outb(ctl, (typ << 2) | SLP_EN);
    }
    else if ( !strcmp(action, "reset") )
    {
        uint16_t port;
        uint8_t val = fadt[FADT_RESET_VALUE];

        if ( !(flags & FLAG_RESET_REG_SUP) )
            test_fail("FADT flags %#x: no RESET_REG_SUP", flags);
        port = io_gas(fadt, FADT_RESET_REG, "RESET_REG");
        printf("acpi_shutdown: reset: %#x to port %#x\n", val, port);
        console_flush();
        outb(port, val);
    }
    else
        test_fail("bad action \"%s\" (poweroff or reset)", action);

    udelay(100000);
    test_fail("still running 100 ms after the %s write", action);
}

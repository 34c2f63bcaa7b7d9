/*
 * The ACPI registers of the hardware-reduced platform (ACPI 6.3 section
 * 4.8.3.7 and 4.8.3.6), which the FADT built by acpi_build.c lists as
 * system I/O Generic Address Structures:
 *
 *   0x600  SLEEP_CONTROL_REG  8 bits, write-only: SLP_TYPx in bits 4:2,
 *                             SLP_EN in bit 5
 *   0x601  SLEEP_STATUS_REG   8 bits: WAK_STS in bit 7 (write 1 to clear)
 *   0x602  RESET_REG          8 bits: writing RESET_VALUE resets
 *
 * The block sits where nothing else of platform.c's port map is (0x20,
 * 0x40, 0x61, 0x70, 0xa0, 0xf4, 0x3f8, 0xcf8).  The only sleep state the
 * DSDT offers is S5: SLP_EN with SLP_TYP 5 (\_S5 in dsdt.asl) powers the
 * domain off with status 0.  Other sleep types are not offered and are
 * ignored, as are writes without SLP_EN.  Nothing ever wakes a domain,
 * so WAK_STS reads 0.  RESET_VALUE at the reset register ends the domain
 * with reason reboot; other values are ignored.  What follows either end
 * is for the toolstack (on_poweroff, on_reboot).
 *
 * No state, so no lock: a domain ends once (domain_shutdown keeps the
 * first reason), whichever vCPU gets there first.
 */
#include <xen/lib.h>
#include <xen/sched.h>
#include <public/xen.h>
#include <asm/hvm/domain.h>
#include <asm/hvm/io.h>

#include "devices.h"

#define SLP_TYP_SHIFT   2
#define SLP_TYP_MASK    (7u << SLP_TYP_SHIFT)
#define SLP_EN          (1u << 5)

static void sleep_control(struct domain *d, u8 val)
{
    if ( !(val & SLP_EN) ||
         (val & SLP_TYP_MASK) >> SLP_TYP_SHIFT != ACPI_S5_SLP_TYP )
        return;
    printk("d%u: ACPI power off\n", d->domain_id);
    hvm_domain_shutdown(d, SHUTDOWN_poweroff);
}

static void reset(struct domain *d, u8 val)
{
    if ( val != ACPI_RESET_VALUE )
        return;
    printk("d%u: ACPI reset (reboot)\n", d->domain_id);
    hvm_domain_shutdown(d, SHUTDOWN_reboot);
}

void acpi_pm_portio(struct vcpu *v, bool write, u16 port, unsigned int size,
                    u32 *val)
{
    struct domain *d = v->domain;
    unsigned int i;

    /* Every register is a byte; wider accesses go byte by byte. */
    for ( i = 0; i < size; i++ )
    {
        unsigned int p = port + i;
        u8 byte = write ? *val >> (8 * i) : 0;

        if ( !write )
            continue;           /* all read 0: write-only or never set */
        if ( p == ACPI_SLEEP_CONTROL_PORT )
            sleep_control(d, byte);
        else if ( p == ACPI_RESET_PORT )
            reset(d, byte);
        /* SLEEP_STATUS_REG: clearing WAK_STS, which is never set. */
    }
    if ( !write )
        *val = 0;
}

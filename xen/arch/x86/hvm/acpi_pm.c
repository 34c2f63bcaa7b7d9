/*
 * The ACPI registers of the hardware-reduced platform (ACPI 6.3 section
 * 4.1): the sleep and reset registers (sections 4.8.3.7 and 4.8.3.6),
 * which the FADT built by acpi_build.c lists as system I/O Generic
 * Address Structures, and the event status register of the Generic
 * Event Device in dsdt.asl (section 5.6.9), which only its _EVT method
 * reads:
 *
 *   0x600  SLEEP_CONTROL_REG  8 bits, write-only: SLP_TYPx in bits 4:2,
 *                             SLP_EN in bit 5
 *   0x601  SLEEP_STATUS_REG   8 bits: WAK_STS in bit 7 (write 1 to clear)
 *   0x602  RESET_REG          8 bits: writing RESET_VALUE resets
 *   0x603  GED status         8 bits: PWRBTN_STS in bit 0 (write 1 to
 *                             clear), the other bits reserved (read 0)
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
 * The power button: a hardware-reduced platform has no fixed power
 * button (the FADT sets PWR_BUTTON), so it is a control-method power
 * button device (PNP0C0C, section 4.8.2.2.1.2) that the GED's _EVT
 * notifies (Notify 0x80, "button pressed").  Pressing it
 * (acpi_pm_power_button, from XEN_DOMCTL_SENDTRIGGER_POWER) sets
 * PWRBTN_STS; the GED's interrupt, ACPI_GED_GSI on the vIOAPIC, is
 * asserted exactly while some status bit is set, as a status register
 * wired to a level-triggered line behaves.  _EVT reads the register and
 * writes back what it read, clearing those bits (write 1 to clear, as
 * the PM1 status bits of section 4.8.3.1 are); once all are clear the
 * line drops.  A press while the bit is still set changes nothing: the
 * guest sees one press, as with a button held down.  Level, so a press
 * is never lost while the guest has the pin masked or is busy: the line
 * is still up when it unmasks or EOIs.
 *
 * GSI 23, the vIOAPIC's last pin: above the ISA range (0-15), so neither
 * the ISA default (edge, active high) nor a MADT override applies and
 * the GED's _CRS alone says how it is wired (level, active high, the
 * Extended Interrupt Descriptor of section 6.4.3.6); no other device
 * model drives it (testdev.c's line 23 exists only in test domains, whose
 * guest drives it on purpose).  The vIOAPIC ignores the polarity bit, so
 * "active high" is simply what the guest is told to program.
 *
 * Locking: the sleep and reset registers have no state (a domain ends
 * once: domain_shutdown keeps the first reason, whichever vCPU gets there
 * first).  acpi_pm.lock covers ged_sts and the line driven from it: the
 * level is set with the lock held, so a press and a clear racing on two
 * pCPUs leave the line matching the bit.  Order: acpi_pm.lock, then
 * vioapic.lock (taken inside vioapic_set_irq), as vuart.c does.
 */
#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
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

void acpi_pm_init(struct vacpi_pm *pm)
{
    spin_lock_init(&pm->lock);
    pm->ged_sts = 0;
}

/* The GED's line follows its status bits.  Caller holds pm->lock. */
static void ged_drive_line(struct domain *d, const struct vacpi_pm *pm)
{
    vioapic_set_irq(d, ACPI_GED_GSI, pm->ged_sts != 0);
}

void acpi_pm_power_button(struct domain *d)
{
    struct hvm_domain *hvm = d ? domain_hvm(d) : NULL;
    struct vacpi_pm *pm;

    if ( !hvm )
        return;
    pm = &hvm->acpi_pm;
    spin_lock(&pm->lock);
    /* Pressed again before the guest cleared it: the same press. */
    if ( !(pm->ged_sts & ACPI_GED_PWRBTN_STS) )
    {
        pm->ged_sts |= ACPI_GED_PWRBTN_STS;
        ged_drive_line(d, pm);
    }
    spin_unlock(&pm->lock);
}

static u8 ged_status_read(struct domain *d)
{
    struct vacpi_pm *pm = &domain_hvm(d)->acpi_pm;
    u8 sts;

    spin_lock(&pm->lock);
    sts = pm->ged_sts;
    spin_unlock(&pm->lock);
    return sts;
}

/* Write 1 to clear; 0 bits and reserved bits change nothing. */
static void ged_status_write(struct domain *d, u8 val)
{
    struct vacpi_pm *pm = &domain_hvm(d)->acpi_pm;

    spin_lock(&pm->lock);
    if ( pm->ged_sts & val )
    {
        pm->ged_sts &= ~val;
        ged_drive_line(d, pm);
    }
    spin_unlock(&pm->lock);
}

void acpi_pm_portio(struct vcpu *v, bool write, u16 port, unsigned int size,
                    u32 *val)
{
    struct domain *d = v->domain;
    unsigned int i;
    u32 out = 0;

    /* Every register is a byte; wider accesses go byte by byte. */
    for ( i = 0; i < size; i++ )
    {
        unsigned int p = port + i;
        u8 byte = write ? *val >> (8 * i) : 0;

        if ( !write )
        {
            /* The others read 0: write-only, or never set. */
            if ( p == ACPI_GED_STATUS_PORT )
                out |= (u32)ged_status_read(d) << (8 * i);
            continue;
        }
        if ( p == ACPI_SLEEP_CONTROL_PORT )
            sleep_control(d, byte);
        else if ( p == ACPI_RESET_PORT )
            reset(d, byte);
        else if ( p == ACPI_GED_STATUS_PORT )
            ged_status_write(d, byte);
        /* SLEEP_STATUS_REG: clearing WAK_STS, which is never set. */
    }
    if ( !write )
        *val = out;
}

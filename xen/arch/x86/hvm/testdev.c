/*
 * The interrupt-line block of QEMU's pc-testdev, for guest tests that
 * drive IOAPIC pins themselves: present only in domains built with
 * "testdev=1" (as QEMU has it only with -device pc-testdev).
 *
 * Ports 0x2000-0x2017, write-only, one byte wide: writing v to 0x2000 + n
 * sets line n to the level !!v (asserted or deasserted; the vIOAPIC's
 * polarity and trigger mode decide what follows, as for any device).
 * Lines 0-15 are the ISA IRQs, which reach the IOAPIC as the MADT says:
 * IRQ 0 on GSI 2 (acpi_build.c's override, QEMU's too), the others on
 * the GSI of the same number; lines 16-23 are GSIs 16-23.  Two of them
 * also have a device of the platform behind them, which sets the level
 * it holds when its state changes: line 4 the UART (vuart.c) and line 23
 * the power button's Generic Event Device (acpi_pm.c, only when the
 * toolstack presses it).  A test driving those lines shares them.
 *
 * Other accesses as QEMU 7.2 answers them (checked by ioapic_lines): a
 * read returns 0 at every size, and 16- and 32-bit writes do nothing
 * (the ports take byte writes only).
 *
 * No state of its own, so no lock: each write goes straight to
 * vioapic_set_irq(), which takes vioapic.lock.
 */
#include <xen/lib.h>
#include <xen/sched.h>
#include <asm/hvm/io.h>

#include "devices.h"

#define TESTDEV_IRQ_BASE    0x2000
#define TESTDEV_IRQ_LINES   24

/* The GSI of line n: the MADT's ISA override for IRQ 0, else n. */
static unsigned int line_to_gsi(unsigned int line)
{
    return line == 0 ? 2 : line;
}

static void testdev_irq_portio(struct vcpu *v, bool write, u16 port,
                               unsigned int size, u32 *val)
{
    unsigned int line = port - TESTDEV_IRQ_BASE;

    if ( !write )
    {
        *val = 0;
        return;
    }
    if ( size != 1 || !v || line >= TESTDEV_IRQ_LINES )
        return;
    vioapic_set_irq(v->domain, line_to_gsi(line), (*val & 0xff) != 0);
}

int hvm_testdev_init(struct domain *d)
{
    int rc = register_portio_handler(d, TESTDEV_IRQ_BASE, TESTDEV_IRQ_LINES,
                                     testdev_irq_portio);

    if ( !rc )
        printk("d%u: pc-testdev interrupt lines at ports %#x-%#x\n",
               d->domain_id, TESTDEV_IRQ_BASE,
               TESTDEV_IRQ_BASE + TESTDEV_IRQ_LINES - 1);
    return rc;
}

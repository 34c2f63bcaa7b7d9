/*
 * Private to the HVM platform devices (io.c, platform.c, vuart.c,
 * vioapic.c, acpi_pm.c): the pieces one device file hands to platform.c, which
 * registers them.  Not a contract: the public side is asm/hvm/io.h.
 */
#ifndef HVM_DEVICES_H
#define HVM_DEVICES_H

#include <xen/types.h>
#include <asm/hvm/domain.h>

struct vcpu;
struct domain;

/* The 16550 at COM1. */
#define VUART_BASE      0x3f8
#define VUART_PORTS     8
#define VUART_IRQ       4       /* ISA IRQ 4 = IOAPIC pin 4 (no override) */

void vuart_init(struct vuart *uart, struct domain *d);
void vuart_portio(struct vcpu *v, bool write, u16 port, unsigned int size,
                  u32 *val);

/* The IOAPIC register window (the architectural 4 KiB page). */
#define VIOAPIC_SIZE    0x1000

void vioapic_init(struct vioapic *vioapic);
void vioapic_mmio(struct vcpu *v, bool write, u64 gpa, unsigned int size,
                  u64 *val);

/*
 * The ACPI sleep and reset registers and the GED's event status register
 * (ACPI_PM_BASE, asm/hvm/io.h).
 */
void acpi_pm_init(struct vacpi_pm *pm);
void acpi_pm_portio(struct vcpu *v, bool write, u16 port, unsigned int size,
                    u32 *val);

/* The RTC and CMOS RAM at ports 0x70-0x71 (rtc.c). */
#define RTC_PORT        0x70
#define RTC_PORTS       2

void vrtc_init(struct vrtc *rtc);
void vrtc_portio(struct vcpu *v, bool write, u16 port, unsigned int size,
                 u32 *val);

/* All ones in the low 'size' bytes: what an empty bus returns. */
static inline u32 portio_mask(unsigned int size)
{
    return size >= 4 ? ~0u : (1u << (size * 8)) - 1;
}

#endif /* HVM_DEVICES_H */

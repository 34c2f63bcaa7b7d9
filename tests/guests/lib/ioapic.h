/*
 * The IOAPIC's indirect registers (IOREGSEL at +0x00, IOWIN at +0x10)
 * and its redirection entries, for tests that take device interrupts.
 */
#ifndef GUEST_IOAPIC_H
#define GUEST_IOAPIC_H

#include "x86.h"

#define IOAPIC_RTE_MASKED       (1u << 16)
#define IOAPIC_RTE_LEVEL        (1u << 15)
#define IOAPIC_RTE_ACTIVE_LOW   (1u << 13)

uint32_t ioapic_read(uint32_t base, unsigned int reg);
void ioapic_write(uint32_t base, unsigned int reg, uint32_t val);

/*
 * Pin 'pin' to 'vector' in fixed delivery, physical destination
 * 'apic_id'; 'flags' adds IOAPIC_RTE_* bits (0: edge, active high,
 * unmasked).  The high half is written first, so the entry is never
 * live with a stale destination.
 */
void ioapic_route(uint32_t base, unsigned int pin, uint8_t vector,
                  uint32_t apic_id, uint32_t flags);
void ioapic_mask(uint32_t base, unsigned int pin);

#endif /* GUEST_IOAPIC_H */

/*
 * IOAPIC register access and redirection entries (see ioapic.h).  The
 * index and window are a pair: callers that could race on them (two
 * CPUs routing at once) must serialise; the tests route from one CPU.
 */
#include "ioapic.h"

#define IOREGSEL        0x00
#define IOWIN           0x10
#define REG_REDIR       0x10

uint32_t ioapic_read(uint32_t base, unsigned int reg)
{
    mmio_write32(base + IOREGSEL, reg);
    return mmio_read32(base + IOWIN);
}

void ioapic_write(uint32_t base, unsigned int reg, uint32_t val)
{
    mmio_write32(base + IOREGSEL, reg);
    mmio_write32(base + IOWIN, val);
}

void ioapic_mask(uint32_t base, unsigned int pin)
{
    unsigned int reg = REG_REDIR + 2 * pin;

    ioapic_write(base, reg, ioapic_read(base, reg) | IOAPIC_RTE_MASKED);
}

void ioapic_route(uint32_t base, unsigned int pin, uint8_t vector,
                  uint32_t apic_id, uint32_t flags)
{
    unsigned int reg = REG_REDIR + 2 * pin;

    ioapic_mask(base, pin);
    ioapic_write(base, reg + 1, (apic_id & 0xff) << 24);
    ioapic_write(base, reg, vector | flags);
}

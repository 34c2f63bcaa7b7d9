/*
 * The IOAPIC's registers through its MMIO window (IOREGSEL, then IOWIN),
 * as a guest reaches them: for the suites that link the device models.
 */
#ifndef UNIT_PLATFORM_IOAPIC_ACCESS_H
#define UNIT_PLATFORM_IOAPIC_ACCESS_H

#include <asm/hvm/io.h>
#include "../harness.h"

static inline u32 fake_ioapic_read(struct vcpu *v, u32 reg)
{
    u64 val = reg;

    REQUIRE(hvm_mmio(v, true, VIOAPIC_BASE, 4, &val));
    val = 0xdead;
    REQUIRE(hvm_mmio(v, false, VIOAPIC_BASE + 0x10, 4, &val));
    return val;
}

static inline void fake_ioapic_write(struct vcpu *v, u32 reg, u32 val)
{
    u64 x = reg;

    REQUIRE(hvm_mmio(v, true, VIOAPIC_BASE, 4, &x));
    x = val;
    REQUIRE(hvm_mmio(v, true, VIOAPIC_BASE + 0x10, 4, &x));
}

#endif /* UNIT_PLATFORM_IOAPIC_ACCESS_H */

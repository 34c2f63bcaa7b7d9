/*
 * Tests for the pc-testdev interrupt lines (testdev.c): present only once
 * hvm_testdev_init() ran, ports 0x2000-0x2017 as QEMU 7.2 answers them
 * (reads 0, byte writes only, any non-zero byte asserts), ISA line 0 on
 * GSI 2, lines 16-23 on GSIs 16-23, and the lines reaching the vIOAPIC
 * as levels (edge pins fire on rising edges only).  The interrupts that
 * leave the vIOAPIC are the vlapic_ipi() calls the doubles record.
 */
#include <stdlib.h>

#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <asm/hvm/domain.h>
#include <asm/hvm/io.h>
#include <asm/hvm/vlapic.h>

#include "harness.h"
#include "stubs.h"
#include "doubles.h"
#include "ioapic_access.h"

#define TESTDEV     0x2000

static struct domain dom;
static struct vcpu vcpu0;
static struct hvm_domain *hvm;

static void out(u16 port, unsigned int size, u32 val)
{
    hvm_portio(&vcpu0, true, port, size, &val);
}

static u32 in(u16 port, unsigned int size)
{
    u32 v = 0x12345678;

    hvm_portio(&vcpu0, false, port, size, &v);
    return v;
}

static void ioapic_write(u32 reg, u32 val)
{
    fake_ioapic_write(&vcpu0, reg, val);
}

static u32 ioapic_read(u32 reg)
{
    u64 v = reg;

    REQUIRE(hvm_mmio(&vcpu0, true, VIOAPIC_BASE, 4, &v));
    REQUIRE(hvm_mmio(&vcpu0, false, VIOAPIC_BASE + 0x10, 4, &v));
    return (u32)v;
}

/* Pin 'pin' unmasked to 'vec' on APIC 0, 'flags' in the low word. */
static void route(unsigned int pin, u8 vec, u32 flags)
{
    ioapic_write(0x10 + 2 * pin + 1, 0);
    ioapic_write(0x10 + 2 * pin, vec | flags);
}

static void setup(bool testdev)
{
    hvm = fake_domain_setup(&dom, &vcpu0, 2);
    REQUIRE_EQ(hvm_platform_init(&dom), 0);
    if ( testdev )
        REQUIRE_EQ(hvm_testdev_init(&dom), 0);
}

TEST(testdev_absent_without_init)
{
    setup(false);
    route(10, 0x40, 0);
    CHECK_EQ(in(TESTDEV + 10, 1), 0xff);
    out(TESTDEV + 10, 1, 1);
    CHECK_EQ(fake_ipi_count(), 0);
}

TEST(testdev_reads_zero_and_takes_bytes_only)
{
    setup(true);
    CHECK(stub_log_contains("d2: pc-testdev interrupt lines at ports "
                            "0x2000-0x2017"));
    route(10, 0x40, 0);
    CHECK_EQ(in(TESTDEV + 10, 1), 0);
    CHECK_EQ(in(TESTDEV + 10, 2), 0);
    CHECK_EQ(in(TESTDEV, 4), 0);
    CHECK_EQ(in(TESTDEV + 0x17, 1), 0);
    /* Past the block: nobody's port. */
    CHECK_EQ(in(TESTDEV + 0x18, 1), 0xff);
    out(TESTDEV + 10, 2, 1);
    out(TESTDEV + 8, 4, 0x01010101);
    CHECK_EQ(fake_ipi_count(), 0);
    /* Any non-zero byte asserts. */
    out(TESTDEV + 10, 1, 0x80);
    REQUIRE_EQ(fake_ipi_count(), 1);
    CHECK_EQ(fake_ipi(0)->icr_low & 0xff, 0x40);
    CHECK(fake_ipi(0)->d == &dom);
}

TEST(testdev_edge_on_rising_edges_only)
{
    setup(true);
    route(10, 0x40, 0);
    out(TESTDEV + 10, 1, 1);
    out(TESTDEV + 10, 1, 1);
    CHECK_EQ(fake_ipi_count(), 1);
    out(TESTDEV + 10, 1, 0);
    CHECK_EQ(fake_ipi_count(), 1);
    out(TESTDEV + 10, 1, 1);
    CHECK_EQ(fake_ipi_count(), 2);
}

TEST(testdev_level_line_and_remote_irr)
{
    setup(true);
    route(11, 0x41, 1u << 15);
    out(TESTDEV + 11, 1, 1);
    REQUIRE_EQ(fake_ipi_count(), 1);
    CHECK(fake_ipi(0)->icr_low & (1u << 15));
    CHECK(ioapic_read(0x10 + 2 * 11) & (1u << 14));
    vioapic_eoi(&dom, 0x41);
    CHECK_EQ(fake_ipi_count(), 2);
    out(TESTDEV + 11, 1, 0);
    vioapic_eoi(&dom, 0x41);
    CHECK_EQ(fake_ipi_count(), 2);
    CHECK(!(ioapic_read(0x10 + 2 * 11) & (1u << 14)));
}

TEST(testdev_line_to_gsi)
{
    setup(true);
    /* ISA IRQ 0 is GSI 2 (the MADT's override); pin 0 hears nothing. */
    route(0, 0x50, 0);
    route(2, 0x52, 0);
    out(TESTDEV + 0, 1, 1);
    REQUIRE_EQ(fake_ipi_count(), 1);
    CHECK_EQ(fake_ipi(0)->icr_low & 0xff, 0x52);
    out(TESTDEV + 0, 1, 0);
    out(TESTDEV + 2, 1, 1);
    REQUIRE_EQ(fake_ipi_count(), 2);
    CHECK_EQ(fake_ipi(1)->icr_low & 0xff, 0x52);
    route(23, 0x57, 0);
    out(TESTDEV + 23, 1, 1);
    REQUIRE_EQ(fake_ipi_count(), 3);
    CHECK_EQ(fake_ipi(2)->icr_low & 0xff, 0x57);
}

TEST(testdev_twice_refused)
{
    setup(true);
    CHECK_EQ(hvm_testdev_init(&dom), -EEXIST);
}

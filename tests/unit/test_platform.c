/*
 * Tests for the HVM platform devices: port and MMIO dispatch (io.c), the
 * UART (vuart.c), the exit port, PIC, PIT, RTC and PCI (platform.c), the
 * ACPI registers with the power button's GED (acpi_pm.c) and the IOAPIC
 * (vioapic.c).  Guests reach every device the way an exit
 * handler would, through hvm_portio() and hvm_mmio(); the doubles in
 * platform/ record what leaves the models (hvm_domain_exit, vlapic_ipi)
 * and give a settable clock.
 */
#include <stdio.h>
#include <stdlib.h>

#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <xen/time.h>
#include <xen/wallclock.h>
#include <asm/hvm/domain.h>
#include <asm/hvm/io.h>
#include <asm/hvm/vlapic.h>

#include "harness.h"
#include "stubs.h"
#include "doubles.h"
#include "ioapic_access.h"

#define DOMID   7

static struct domain dom;
static struct vcpu vcpu0;
static struct hvm_domain *hvm;

/* A domain with nothing registered, bound to a zeroed hvm_domain. */
static void setup_bare(void)
{
    hvm = fake_domain_setup(&dom, &vcpu0, DOMID);
}

/* The same with the whole platform registered. */
static void setup(void)
{
    setup_bare();
    fake_set_now(SECONDS(5));
    REQUIRE_EQ(hvm_platform_init(&dom), 0);
}

static u32 in(u16 port, unsigned int size)
{
    u32 v = 0x12345678;

    hvm_portio(&vcpu0, false, port, size, &v);
    return v;
}

static u8 inb(u16 port)
{
    return in(port, 1);
}

static void out(u16 port, unsigned int size, u32 val)
{
    hvm_portio(&vcpu0, true, port, size, &val);
}

static void outb(u16 port, u8 val)
{
    out(port, 1, val);
}

/* --- dispatch --- */

struct call
{
    bool write;
    u16 port;
    unsigned int size;
    u32 val;
};

static struct call calls[16];
static unsigned int nr_calls;

static void rec_port(struct vcpu *v, bool write, u16 port, unsigned int size,
                     u32 *val)
{
    (void)v;
    if ( nr_calls < ARRAY_SIZE(calls) )
    {
        calls[nr_calls].write = write;
        calls[nr_calls].port = port;
        calls[nr_calls].size = size;
        calls[nr_calls].val = write ? *val : 0;
    }
    nr_calls++;
    if ( !write )
        *val = 0xa0b0c0d0 + port;
}

static void other_port(struct vcpu *v, bool write, u16 port,
                       unsigned int size, u32 *val)
{
    (void)v; (void)port; (void)size;
    if ( !write )
        *val = 0x11;
}

TEST(portio_register_rejects_bad_ranges)
{
    setup_bare();

    CHECK_EQ(register_portio_handler(&dom, 0x100, 0, rec_port), -EINVAL);
    CHECK_EQ(register_portio_handler(&dom, 0xfff0, 0x11, rec_port), -EINVAL);
    CHECK_EQ(register_portio_handler(&dom, 0x100, 4, NULL), -EINVAL);
    CHECK_EQ(register_portio_handler(NULL, 0x100, 4, rec_port), -EINVAL);
    CHECK_EQ(hvm->nr_portio, 0);

    /* The very last port is fine. */
    CHECK_EQ(register_portio_handler(&dom, 0xfff0, 0x10, rec_port), 0);
    CHECK_EQ(register_portio_handler(&dom, 0xffff, 1, rec_port), -EEXIST);
}

TEST(portio_register_rejects_overlaps)
{
    setup_bare();

    REQUIRE_EQ(register_portio_handler(&dom, 0x100, 8, rec_port), 0);
    CHECK_EQ(register_portio_handler(&dom, 0x100, 8, rec_port), -EEXIST);
    CHECK_EQ(register_portio_handler(&dom, 0x0fc, 5, rec_port), -EEXIST);
    CHECK_EQ(register_portio_handler(&dom, 0x107, 1, rec_port), -EEXIST);
    CHECK_EQ(register_portio_handler(&dom, 0x0f0, 0x20, rec_port), -EEXIST);
    CHECK_EQ(register_portio_handler(&dom, 0x102, 2, rec_port), -EEXIST);
    /* Adjacent on both sides is not an overlap. */
    CHECK_EQ(register_portio_handler(&dom, 0x0fc, 4, other_port), 0);
    CHECK_EQ(register_portio_handler(&dom, 0x108, 1, other_port), 0);
    CHECK_EQ(hvm->nr_portio, 3);
}

TEST(portio_register_table_full)
{
    unsigned int i;

    setup_bare();
    for ( i = 0; i < HVM_MAX_PORTIO; i++ )
        CHECK_EQ(register_portio_handler(&dom, 0x1000 + 0x10 * i, 4,
                                         rec_port), 0);
    CHECK_EQ(register_portio_handler(&dom, 0x2000, 4, rec_port), -ENOSPC);
    CHECK_EQ(hvm->nr_portio, HVM_MAX_PORTIO);
}

TEST(portio_dispatch_and_unclaimed)
{
    setup_bare();
    nr_calls = 0;
    REQUIRE_EQ(register_portio_handler(&dom, 0x100, 4, rec_port), 0);

    out(0x101, 2, 0xdeadbeef);
    REQUIRE_EQ(nr_calls, 1);
    CHECK(calls[0].write);
    CHECK_EQ(calls[0].port, 0x101);
    CHECK_EQ(calls[0].size, 2);
    /* The handler sees only the bytes written. */
    CHECK_EQ(calls[0].val, 0xbeef);

    CHECK_EQ(in(0x100, 4), 0xa0b0c0d0 + 0x100);
    CHECK_EQ(in(0x102, 1), (0xa0b0c0d0 + 0x102) & 0xff);
    CHECK_EQ(nr_calls, 3);

    /* Nobody's: all ones of the access size, writes vanish. */
    CHECK_EQ(in(0x200, 1), 0xff);
    CHECK_EQ(in(0x200, 2), 0xffff);
    CHECK_EQ(in(0x200, 4), 0xffffffff);
    out(0x200, 4, 1);
    CHECK_EQ(nr_calls, 3);

    /* Not a size an instruction makes. */
    CHECK_EQ(in(0x100, 3), 0xffffffff);
    out(0x100, 8, 1);
    CHECK_EQ(nr_calls, 3);

    /* A domain without HVM state: the empty bus. */
    fake_hvm_unbind_all();
    CHECK_EQ(in(0x100, 2), 0xffff);
    CHECK_EQ(nr_calls, 3);
}

TEST(portio_straddling_access_is_split)
{
    setup_bare();
    nr_calls = 0;
    REQUIRE_EQ(register_portio_handler(&dom, 0x100, 2, rec_port), 0);

    /* 0xff..0x102: one unclaimed byte, two claimed, one unclaimed. */
    CHECK_EQ(in(0xff, 4), 0xff0000ff |
             ((u32)((0xa0b0c0d0 + 0x100) & 0xff) << 8) |
             ((u32)((0xa0b0c0d0 + 0x101) & 0xff) << 16));
    CHECK_EQ(nr_calls, 2);
    CHECK_EQ(calls[0].port, 0x100);
    CHECK_EQ(calls[0].size, 1);

    nr_calls = 0;
    out(0x101, 2, 0x5566);
    REQUIRE_EQ(nr_calls, 1);
    CHECK(calls[0].write);
    CHECK_EQ(calls[0].port, 0x101);
    CHECK_EQ(calls[0].val, 0x66);

    /* Past port 0xffff: nothing there, nothing wraps to port 0. */
    nr_calls = 0;
    REQUIRE_EQ(register_portio_handler(&dom, 0, 2, rec_port), 0);
    CHECK_EQ(in(0xffff, 2), 0xffff);
    CHECK_EQ(nr_calls, 0);
}

struct mcall
{
    bool write;
    u64 gpa;
    unsigned int size;
    u64 val;
};

static struct mcall mcalls[8];
static unsigned int nr_mcalls;

static void rec_mmio(struct vcpu *v, bool write, u64 gpa, unsigned int size,
                     u64 *val)
{
    (void)v;
    if ( nr_mcalls < ARRAY_SIZE(mcalls) )
    {
        mcalls[nr_mcalls].write = write;
        mcalls[nr_mcalls].gpa = gpa;
        mcalls[nr_mcalls].size = size;
        mcalls[nr_mcalls].val = write ? *val : 0;
    }
    nr_mcalls++;
    if ( !write )
        *val = 0x0102030405060708ULL;
}

TEST(mmio_register_and_dispatch)
{
    unsigned int i;
    u64 v;

    setup_bare();
    nr_mcalls = 0;

    CHECK_EQ(register_mmio_handler(&dom, 0x1000, 0, rec_mmio), -EINVAL);
    CHECK_EQ(register_mmio_handler(&dom, ~0ULL - 0xf, 0x20, rec_mmio),
             -EINVAL);
    CHECK_EQ(register_mmio_handler(&dom, 0x1000, 0x100, NULL), -EINVAL);
    /* Up to the last byte of the address space is fine. */
    CHECK_EQ(register_mmio_handler(&dom, ~0ULL - 0xf, 0x10, rec_mmio), 0);
    REQUIRE_EQ(register_mmio_handler(&dom, 0x1000, 0x100, rec_mmio), 0);
    CHECK_EQ(register_mmio_handler(&dom, 0x10ff, 1, rec_mmio), -EEXIST);
    CHECK_EQ(register_mmio_handler(&dom, 0xf00, 0x101, rec_mmio), -EEXIST);
    CHECK_EQ(register_mmio_handler(&dom, 0x1100, 0x10, rec_mmio), 0);

    CHECK(hvm_mmio_claimed(&dom, 0x1000));
    CHECK(hvm_mmio_claimed(&dom, 0x10ff));
    CHECK(!hvm_mmio_claimed(&dom, 0xfff));
    CHECK(!hvm_mmio_claimed(&dom, 0x1110));
    CHECK(hvm_mmio_claimed(&dom, ~0ULL));

    v = 0;
    CHECK(!hvm_mmio(&vcpu0, false, 0x2000, 4, &v));
    CHECK_EQ(nr_mcalls, 0);

    v = 0xaabbccdd11223344ULL;
    CHECK(hvm_mmio(&vcpu0, true, 0x1010, 2, &v));
    REQUIRE_EQ(nr_mcalls, 1);
    CHECK_EQ(mcalls[0].gpa, 0x1010);
    CHECK_EQ(mcalls[0].size, 2);
    CHECK_EQ(mcalls[0].val, 0x3344);

    CHECK(hvm_mmio(&vcpu0, false, 0x1018, 8, &v));
    CHECK_EQ(v, 0x0102030405060708ULL);
    CHECK(hvm_mmio(&vcpu0, false, 0x1018, 1, &v));
    CHECK_EQ(v, 0x08);
    CHECK_EQ(nr_mcalls, 3);

    /* The last bytes of the range are fine; one more is too many. */
    CHECK(hvm_mmio(&vcpu0, false, 0x10fc, 4, &v));
    CHECK_EQ(v, 0x05060708);
    CHECK_EQ(nr_mcalls, 4);
    /* Claimed, but running off the end or of no real size: dropped. */
    CHECK(hvm_mmio(&vcpu0, false, 0x10fd, 4, &v));
    CHECK_EQ(v, 0xffffffff);
    CHECK(hvm_mmio(&vcpu0, false, 0x10fe, 4, &v));
    CHECK_EQ(v, 0xffffffff);
    CHECK(hvm_mmio(&vcpu0, false, 0x1000, 3, &v));
    CHECK_EQ(v, 0xffffff);
    CHECK(hvm_mmio(&vcpu0, true, 0x10fc, 8, &v));
    CHECK_EQ(nr_mcalls, 4);

    for ( i = 3; i < HVM_MAX_MMIO; i++ )
        CHECK_EQ(register_mmio_handler(&dom, 0x100000 * i, 0x10, rec_mmio),
                 0);
    CHECK_EQ(register_mmio_handler(&dom, 0x9000000, 0x10, rec_mmio),
             -ENOSPC);
}

/* --- the platform --- */

TEST(platform_init_registers_every_device)
{
    static const u16 ports[] = {
        0x3f8, 0x3ff, 0xf4, 0x20, 0x21, 0xa0, 0xa1, 0x40, 0x43, 0x61,
        0x70, 0x71, 0xcf8, 0xcff, 0x600, 0x602,
    };
    unsigned int i;

    setup();
    CHECK_EQ(hvm->nr_portio, 9);
    CHECK_EQ(hvm->nr_mmio, 1);
    for ( i = 0; i < ARRAY_SIZE(ports); i++ )
    {
        CHECK_EQ(register_portio_handler(&dom, ports[i], 1, rec_port),
                 -EEXIST);
    }
    CHECK(hvm_mmio_claimed(&dom, VIOAPIC_BASE));
    CHECK(hvm_mmio_claimed(&dom, VIOAPIC_BASE + 0xfff));
    CHECK(!hvm_mmio_claimed(&dom, VIOAPIC_BASE + 0x1000));
    CHECK(!hvm_mmio_claimed(&dom, APIC_DEFAULT_BASE));
    /* Neighbours stay unclaimed: a keyboard controller is not there. */
    CHECK_EQ(in(0x60, 1), 0xff);
    CHECK_EQ(in(0x64, 1), 0xff);
    CHECK_EQ(in(0x2f8, 1), 0xff);
}

TEST(platform_destroy_keeps_foreign_handlers)
{
    setup_bare();
    REQUIRE_EQ(register_portio_handler(&dom, 0x500, 4, other_port), 0);
    REQUIRE_EQ(register_mmio_handler(&dom, 0x10000000, 0x10, rec_mmio), 0);
    REQUIRE_EQ(hvm_platform_init(&dom), 0);
    CHECK_EQ(hvm->nr_portio, 10);

    hvm_platform_destroy(&dom);
    CHECK_EQ(hvm->nr_portio, 1);
    CHECK_EQ(hvm->nr_mmio, 1);
    CHECK_EQ(in(0x500, 1), 0x11);
    CHECK_EQ(in(0x3fd, 1), 0xff);
    CHECK(!hvm_mmio_claimed(&dom, VIOAPIC_BASE));
    CHECK(hvm_mmio_claimed(&dom, 0x10000000));

    /* And it can be set up again. */
    CHECK_EQ(hvm_platform_init(&dom), 0);
    CHECK_EQ(in(0x3fd, 1), 0x60);
}

TEST(platform_init_failure_rolls_back)
{
    unsigned int i;

    setup_bare();
    /* Leave room for only some of the devices. */
    for ( i = 0; i < HVM_MAX_PORTIO - 3; i++ )
        REQUIRE_EQ(register_portio_handler(&dom, 0x1000 + 0x10 * i, 4,
                                           other_port), 0);
    CHECK_EQ(hvm_platform_init(&dom), -ENOSPC);
    CHECK_EQ(hvm->nr_portio, HVM_MAX_PORTIO - 3);
    CHECK_EQ(hvm->nr_mmio, 0);

    /* A port someone else holds makes it fail the same way. */
    setup_bare();
    REQUIRE_EQ(register_portio_handler(&dom, 0x70, 1, other_port), 0);
    CHECK_EQ(hvm_platform_init(&dom), -EEXIST);
    CHECK_EQ(hvm->nr_portio, 1);

    CHECK_EQ(hvm_platform_init(NULL), -EINVAL);
    fake_hvm_unbind_all();
    CHECK_EQ(hvm_platform_init(&dom), -EINVAL);
}

/* --- UART --- */

static void uart_puts(const char *s)
{
    while ( *s )
        outb(0x3f8, *s++);
}

/* The ring's contents in order, from the oldest byte kept. */
static void ring_contents(char *buf, size_t size)
{
    u64 n = hvm->uart.ring_written, start, i;

    if ( n > GUEST_CONSOLE_RING )
        start = n - GUEST_CONSOLE_RING;
    else
        start = 0;
    REQUIRE(n - start < size);
    for ( i = start; i < n; i++ )
        buf[i - start] = hvm->uart.ring[i % GUEST_CONSOLE_RING];
    buf[n - start] = '\0';
}

TEST(uart_prints_lines)
{
    char ring[GUEST_CONSOLE_RING + 1];

    setup();
    uart_puts("hello");
    CHECK(!stub_log_contains("hello"));
    CHECK_EQ(hvm->uart.ring_written, 0);
    uart_puts(" world\n");
    CHECK_STR_EQ(stub_log(), "(d7) hello world\n");

    uart_puts("100% %s %n\n\n");
    CHECK(stub_log_contains("(d7) 100% %s %n\n(d7) \n"));

    ring_contents(ring, sizeof(ring));
    CHECK_STR_EQ(ring, "hello world\n100% %s %n\n\n");
    CHECK_EQ(hvm->uart.ring_written, strlen("hello world\n100% %s %n\n\n"));
}

TEST(uart_wide_write_sends_bytes_in_order)
{
    setup();
    /* A 2-byte write at THR also hits IER; a 4-byte one at 0x3fc SCR. */
    out(0x3f8, 2, 'A' | (0x0f << 8));
    CHECK_EQ(hvm->uart.ier, 0x0f);
    out(0x3f8, 1, '\n');
    CHECK_STR_EQ(stub_log(), "(d7) A\n");
    CHECK_EQ(in(0x3fd, 2), 0xb060);
}

TEST(uart_long_lines_are_split)
{
    char expect[GUEST_CONSOLE_LINE + 16];
    unsigned int i;

    setup();
    for ( i = 0; i < 300; i++ )
        outb(0x3f8, 'a' + i % 26);

    /* 255 characters went out as a line of their own. */
    CHECK_EQ(stub_log_count("(d7) "), 1);
    strcpy(expect, "(d7) ");
    for ( i = 0; i < GUEST_CONSOLE_LINE - 1; i++ )
        expect[5 + i] = 'a' + i % 26;
    expect[5 + i] = '\n';
    expect[6 + i] = '\0';
    CHECK_STR_EQ(stub_log(), expect);
    CHECK_EQ(hvm->uart.line_len, 300 - (GUEST_CONSOLE_LINE - 1));

    stub_log_clear();
    outb(0x3f8, '\n');
    CHECK_EQ(stub_log_count("(d7) "), 1);
    CHECK_EQ(strlen(stub_log()), 5 + 45 + 1);
    CHECK_EQ(hvm->uart.ring_written, 300 + 2);
}

TEST(uart_drops_control_characters)
{
    char ring[64];

    setup();
    uart_puts("a\rb\033[31mc\td\177\b\a");
    outb(0x3f8, 0x80);
    outb(0x3f8, 0x9b);
    outb(0x3f8, 0xe9);
    outb(0x3f8, 0);
    uart_puts("e\n");
    CHECK_STR_EQ(stub_log(), "(d7) ab[31mc\td???e\n");
    ring_contents(ring, sizeof(ring));
    CHECK_STR_EQ(ring, "ab[31mc\td???e\n");
}

TEST(uart_ring_wraps)
{
    char ring[GUEST_CONSOLE_RING + 1];
    char line[32];
    unsigned int i;
    u64 total = 0;

    setup();
    for ( i = 0; i < 500; i++ )
    {
        snprintf(line, sizeof(line), "line %u\n", i);
        uart_puts(line);
        total += strlen(line);
    }
    CHECK_EQ(hvm->uart.ring_written, total);
    ring_contents(ring, sizeof(ring));
    CHECK_EQ(strlen(ring), GUEST_CONSOLE_RING);
    /* The newest bytes are there, in order. */
    CHECK(!strcmp(ring + GUEST_CONSOLE_RING - strlen("line 499\n"),
                  "line 499\n"));
    CHECK(strstr(ring, "line 498\nline 499\n") != NULL);
    CHECK(strstr(ring, "line 10\n") == NULL);
}

TEST(uart_registers)
{
    setup();
    CHECK_EQ(inb(0x3fd), 0x60);         /* LSR: THRE | TEMT */
    CHECK_EQ(inb(0x3fa), 0x01);         /* IIR: no interrupt */
    CHECK_EQ(inb(0x3f8), 0x00);         /* RBR: nothing received */
    CHECK_EQ(inb(0x3fe), 0xb0);         /* MSR: DCD, DSR, CTS */

    outb(0x3ff, 0x5a);
    CHECK_EQ(inb(0x3ff), 0x5a);
    outb(0x3f9, 0xff);
    CHECK_EQ(inb(0x3f9), 0x0f);
    outb(0x3fc, 0xff);
    CHECK_EQ(inb(0x3fc), 0x1f);

    /* The divisor latch sits under THR and IER while DLAB is set. */
    outb(0x3fb, 0x83);
    CHECK_EQ(inb(0x3fb), 0x83);
    outb(0x3f8, 0x01);
    outb(0x3f9, 0x02);
    CHECK_EQ(inb(0x3f8), 0x01);
    CHECK_EQ(inb(0x3f9), 0x02);
    CHECK_EQ(hvm->uart.line_len, 0);
    outb(0x3fb, 0x03);
    CHECK_EQ(inb(0x3f9), 0x0f);
    CHECK_EQ(inb(0x3f8), 0x00);
    CHECK_EQ(hvm->uart.dll, 0x01);
    CHECK_EQ(hvm->uart.dlm, 0x02);

    /* Linux's loopback test: MCR = LOOP | OUT2 | RTS gives DCD | CTS. */
    outb(0x3fc, 0x1a);
    CHECK_EQ(inb(0x3fe) & 0xf0, 0x90);
    outb(0x3fc, 0x15);
    CHECK_EQ(inb(0x3fe) & 0xf0, 0x60);
    /* In loopback, nothing reaches the line. */
    uart_puts("x\n");
    CHECK_EQ(hvm->uart.ring_written, 0);
    /* Leaving loopback: CTS and DCD rose, RI fell (the delta bits). */
    outb(0x3fc, 0x03);
    CHECK_EQ(inb(0x3fe), 0xb0 | 0x0d);
    CHECK_EQ(inb(0x3fe), 0xb0);

    /* FIFOs on: a 16550A (test_vuart has the rest). */
    outb(0x3f9, 0x00);
    outb(0x3fa, 0xc7);
    CHECK_EQ(inb(0x3fa), 0xc1);
}

/* --- exit port --- */

TEST(exit_port_calls_domain_exit)
{
    setup();
    out(0xf4, 1, 0x1234);
    CHECK_EQ(fake_exit_calls(), 1);
    CHECK_PTR_EQ(fake_exit_domain(), &dom);
    CHECK_EQ(fake_exit_status(), 0x34);

    out(0xf4, 2, 0xabcdef01);
    CHECK_EQ(fake_exit_calls(), 2);
    CHECK_EQ(fake_exit_status(), 0xef01);

    out(0xf4, 4, 0xabcdef01);
    CHECK_EQ(fake_exit_calls(), 3);
    CHECK_EQ(fake_exit_status(), 0xabcdef01);

    out(0xf4, 1, 0);
    CHECK_EQ(fake_exit_calls(), 4);
    CHECK_EQ(fake_exit_status(), 0);

    /* Reads give 0; the rest of the range is not the exit port. */
    CHECK_EQ(in(0xf4, 4), 0);
    CHECK_EQ(in(0xf5, 1), 0);
    out(0xf5, 1, 1);
    out(0xf6, 2, 1);
    CHECK_EQ(fake_exit_calls(), 4);
}

/* --- ACPI sleep and reset registers --- */

TEST(acpi_sleep_control_powers_off_on_s5_only)
{
    unsigned int typ;

    setup();
    /* Linux: clear WAK_STS, then SLP_TYP 5 | SLP_EN. */
    out(0x601, 1, 0x80);
    CHECK_EQ(in(0x601, 1), 0);
    /* Without SLP_EN, or another sleep type: nothing happens. */
    out(0x600, 1, 5 << 2);
    for ( typ = 0; typ < 8; typ++ )
        if ( typ != 5 )
            out(0x600, 1, 0x20 | typ << 2);
    out(0x600, 1, 0xff & ~(7 << 2));
    CHECK_EQ(fake_shutdown_calls(), 0);
    CHECK_EQ(in(0x600, 1), 0);

    out(0x600, 1, 0x34);
    CHECK_EQ(fake_shutdown_calls(), 1);
    CHECK_PTR_EQ(fake_shutdown_domain(), &dom);
    CHECK_EQ(fake_shutdown_reason(), 0);        /* SHUTDOWN_poweroff */
    CHECK(stub_log_contains("d7: ACPI power off\n"));
    /* Other bits do not matter; the exit port is not involved. */
    out(0x600, 1, 0x34 | 0xc3);
    CHECK_EQ(fake_shutdown_calls(), 2);
    CHECK_EQ(fake_exit_calls(), 0);
}

TEST(acpi_reset_register_reboots_on_its_value_only)
{
    unsigned int v;

    setup();
    for ( v = 0; v < 0x100; v++ )
        if ( v != 0x01 )
            out(0x602, 1, v);
    CHECK_EQ(fake_shutdown_calls(), 0);
    CHECK_EQ(in(0x602, 1), 0);

    out(0x602, 1, 0x01);
    CHECK_EQ(fake_shutdown_calls(), 1);
    CHECK_EQ(fake_shutdown_reason(), 1);        /* SHUTDOWN_reboot */
    CHECK(stub_log_contains("d7: ACPI reset (reboot)\n"));

    /* A wide write reaches each register with its own byte. */
    out(0x600, 4, 0xff003400);
    CHECK_EQ(fake_shutdown_calls(), 1);
    out(0x601, 2, 0x0134);
    CHECK_EQ(fake_shutdown_calls(), 2);
    CHECK_EQ(fake_shutdown_reason(), 1);
    out(0x600, 4, 0x00000034);
    CHECK_EQ(fake_shutdown_calls(), 3);
    CHECK_EQ(fake_shutdown_reason(), 0);
    /* 0x604 is not part of the block. */
    CHECK_EQ(in(0x604, 1), 0xff);
}

/* --- PIC --- */

TEST(pic_imr_reads_back)
{
    setup();
    CHECK_EQ(inb(0x21), 0xff);
    CHECK_EQ(inb(0xa1), 0xff);
    outb(0x21, 0xfb);
    outb(0xa1, 0x7e);
    CHECK_EQ(inb(0x21), 0xfb);
    CHECK_EQ(inb(0xa1), 0x7e);
    /* IRR/ISR (OCW3 read selects): always empty. */
    outb(0x20, 0x0a);
    CHECK_EQ(inb(0x20), 0);
    outb(0x20, 0x0b);
    CHECK_EQ(inb(0x20), 0);
    /* EOIs change nothing. */
    outb(0x20, 0x20);
    outb(0xa0, 0x60);
    CHECK_EQ(inb(0x21), 0xfb);
    CHECK_EQ(inb(0xa1), 0x7e);
    /* A 2-byte read of 0x20 gives ISR/IRR low, IMR high. */
    CHECK_EQ(in(0x20, 2), 0xfb00);
}

TEST(pic_initialisation_sequence)
{
    setup();
    outb(0x21, 0x55);

    /* Linux's init_8259A, master then slave. */
    outb(0x20, 0x11);               /* ICW1: edge, cascade, ICW4 */
    CHECK_EQ(inb(0x21), 0x00);      /* ICW1 clears the mask */
    outb(0x21, 0x30);               /* ICW2: vector base */
    outb(0x21, 0x04);               /* ICW3: slave on IR2 */
    outb(0x21, 0x01);               /* ICW4: 8086 mode */
    CHECK_EQ(inb(0x21), 0x00);
    outb(0xa0, 0x11);
    outb(0xa1, 0x38);
    outb(0xa1, 0x02);
    outb(0xa1, 0x01);
    CHECK_EQ(inb(0xa1), 0x00);
    /* Now mask writes are OCW1 again. */
    outb(0x21, 0xfb);
    outb(0xa1, 0xff);
    CHECK_EQ(inb(0x21), 0xfb);
    CHECK_EQ(inb(0xa1), 0xff);

    /* Single PIC, no ICW4: only ICW2 follows. */
    outb(0x20, 0x12);
    outb(0x21, 0x08);
    outb(0x21, 0xbd);
    CHECK_EQ(inb(0x21), 0xbd);

    /* Cascade without ICW4: ICW2 and ICW3. */
    outb(0x20, 0x10);
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    CHECK_EQ(inb(0x21), 0x00);
    outb(0x21, 0x3c);
    CHECK_EQ(inb(0x21), 0x3c);
    /* The slave was not disturbed. */
    CHECK_EQ(inb(0xa1), 0xff);
}

/* --- PIT --- */

#define PIT_HZ  1193182ULL

/* ns until 'ticks' PIT clocks have passed since a count was loaded. */
static s_time_t ticks_ns(u64 ticks)
{
    return (ticks * 1000000000ULL + PIT_HZ - 1) / PIT_HZ;
}

static u16 pit_latched_read(unsigned int ch)
{
    u16 v;

    outb(0x43, ch << 6);            /* counter latch */
    v = inb(0x40 + ch);
    v |= inb(0x40 + ch) << 8;
    return v;
}

TEST(pit_channel2_calibration)
{
    /* Linux's pit_calibrate_tsc(): 10 ms on channel 2, mode 0. */
    const u16 latch = PIT_HZ / 100;
    s_time_t t0, deadline;
    unsigned int polls = 0;

    setup();
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xb0);
    outb(0x42, latch & 0xff);
    CHECK_EQ(inb(0x61) & 0x20, 0);
    fake_advance(1000);
    outb(0x42, latch >> 8);
    t0 = NOW();
    deadline = t0 + ticks_ns(latch);

    while ( !(inb(0x61) & 0x20) )
    {
        REQUIRE(++polls < 100000);
        fake_advance(1000);
    }
    /* OUT2 rose within one poll of the count's duration, not before. */
    CHECK(NOW() >= deadline);
    CHECK(NOW() < deadline + 1000);

    /* Exactly: low 1 ns before the deadline, high at it. */
    fake_set_now(t0);
    outb(0x42, latch & 0xff);
    outb(0x42, latch >> 8);
    fake_set_now(deadline - 1);
    CHECK_EQ(inb(0x61) & 0x20, 0);
    fake_set_now(deadline);
    CHECK_EQ(inb(0x61) & 0x20, 0x20);
    /* And it stays high. */
    fake_advance(SECONDS(1));
    CHECK_EQ(inb(0x61) & 0x20, 0x20);
    /* The gate and speaker bits read back. */
    CHECK_EQ(inb(0x61) & 0x03, 0x01);
}

TEST(pit_latch_reads_decreasing_values)
{
    u16 prev, v;
    unsigned int i;
    s_time_t t0;

    setup();
    outb(0x61, 0x01);
    outb(0x43, 0xb0);               /* channel 2, lo/hi, mode 0 */
    outb(0x42, 0xff);
    outb(0x42, 0xff);
    t0 = NOW();

    prev = pit_latched_read(2);
    CHECK_EQ(prev, 0xffff);
    for ( i = 1; i <= 20; i++ )
    {
        fake_set_now(t0 + MICROSECS(50) * i);
        v = pit_latched_read(2);
        CHECK(v < prev);
        /* 50 us is 59.66 clocks. */
        CHECK_EQ(v, 0xffff - (MICROSECS(50) * i * PIT_HZ / 1000000000ULL));
        prev = v;
    }

    /* A latched value stays put while time passes, until read. */
    outb(0x43, 0x80);
    fake_advance(MILLISECS(1));
    v = inb(0x42);
    v |= inb(0x42) << 8;
    CHECK_EQ(v, prev);
    CHECK(pit_latched_read(2) < prev);

    /* Quick-calibration style: lo/hi reads of the live counter. */
    v = inb(0x42);
    v |= inb(0x42) << 8;
    CHECK(v < prev);
}

TEST(pit_gate_pauses_mode0)
{
    u16 a, b;
    s_time_t t0;

    setup();
    outb(0x61, 0x00);
    outb(0x43, 0xb0);
    outb(0x42, 0x00);
    outb(0x42, 0x10);               /* 4096 */
    /* Gate low: loaded but not counting. */
    fake_advance(MILLISECS(5));
    CHECK_EQ(pit_latched_read(2), 0x1000);
    CHECK_EQ(inb(0x61) & 0x20, 0);

    outb(0x61, 0x01);
    t0 = NOW();
    fake_set_now(t0 + ticks_ns(1000));
    a = pit_latched_read(2);
    CHECK_EQ(a, 0x1000 - 1000);
    outb(0x61, 0x00);
    fake_advance(MILLISECS(100));
    b = pit_latched_read(2);
    CHECK_EQ(b, a);
    outb(0x61, 0x01);
    fake_advance(ticks_ns(96));
    CHECK_EQ(pit_latched_read(2), 0x1000 - 1096);
    CHECK_EQ(inb(0x61) & 0x20, 0);
    fake_advance(ticks_ns(0x1000 - 1096) + 1);
    CHECK_EQ(inb(0x61) & 0x20, 0x20);
}

TEST(pit_mode2_and_mode3)
{
    s_time_t t0;

    setup();
    /* Channel 0, mode 2, count 100. */
    outb(0x43, 0x34);
    outb(0x40, 100);
    outb(0x40, 0);
    t0 = NOW();
    CHECK_EQ(pit_latched_read(0), 100);
    fake_set_now(t0 + ticks_ns(30));
    CHECK_EQ(pit_latched_read(0), 70);
    fake_set_now(t0 + ticks_ns(99));
    CHECK_EQ(pit_latched_read(0), 1);
    fake_set_now(t0 + ticks_ns(100));
    CHECK_EQ(pit_latched_read(0), 100);
    fake_set_now(t0 + ticks_ns(1234));
    CHECK_EQ(pit_latched_read(0), 66);

    /* Channel 2, mode 3, count 1000: OUT high 500, low 500 clocks. */
    outb(0x61, 0x01);
    outb(0x43, 0xb6);
    outb(0x42, 1000 & 0xff);
    outb(0x42, 1000 >> 8);
    t0 = NOW();
    CHECK_EQ(inb(0x61) & 0x20, 0x20);
    fake_set_now(t0 + ticks_ns(250));
    CHECK_EQ(inb(0x61) & 0x20, 0x20);
    CHECK_EQ(pit_latched_read(2), 500);
    fake_set_now(t0 + ticks_ns(500));
    CHECK_EQ(inb(0x61) & 0x20, 0);
    CHECK_EQ(pit_latched_read(2), 1000);
    fake_set_now(t0 + ticks_ns(999));
    CHECK_EQ(inb(0x61) & 0x20, 0);
    fake_set_now(t0 + ticks_ns(1000));
    CHECK_EQ(inb(0x61) & 0x20, 0x20);
    /* Gate low holds OUT high in mode 3. */
    fake_set_now(t0 + ticks_ns(700));
    outb(0x61, 0x00);
    CHECK_EQ(inb(0x61) & 0x20, 0x20);
}

TEST(pit_access_modes_and_readback)
{
    s_time_t t0;

    setup();
    /* Low byte only: the high byte is 0. */
    outb(0x43, 0x50);               /* channel 1, lo only, mode 0 */
    outb(0x41, 200);
    t0 = NOW();
    fake_set_now(t0 + ticks_ns(50));
    outb(0x43, 0x40);
    CHECK_EQ(inb(0x41), 150);
    CHECK_EQ(inb(0x41), 150);       /* live again, time stood still */

    /* High byte only. */
    outb(0x43, 0x60);               /* channel 1, hi only, mode 0 */
    outb(0x41, 0x02);
    t0 = NOW();
    fake_set_now(t0 + ticks_ns(0x100));
    CHECK_EQ(inb(0x41), 0x01);

    /* Read-back: status then count of channel 2. */
    outb(0x61, 0x01);
    outb(0x43, 0xb0);               /* null count until loaded */
    outb(0x43, 0xe8);               /* read-back status, channel 2 */
    CHECK_EQ(inb(0x42), 0x40 | 0x30 | 0x00);
    outb(0x42, 0x10);
    outb(0x42, 0x00);
    outb(0x43, 0xc8);               /* status and count, channel 2 */
    CHECK_EQ(inb(0x42), 0x30);      /* OUT low, counting, lo/hi, mode 0 */
    CHECK_EQ(inb(0x42), 0x10);
    CHECK_EQ(inb(0x42), 0x00);
    fake_advance(ticks_ns(0x20));
    outb(0x43, 0xe8);
    CHECK_EQ(inb(0x42), 0x80 | 0x30);
    /* The control port reads as the empty bus. */
    CHECK_EQ(inb(0x43), 0xff);
}

/* OUT of channel ch, through a read-back status command. */
static bool pit_out(unsigned int ch)
{
    outb(0x43, 0xe0 | (2 << ch));
    return inb(0x40 + ch) & 0x80;
}

TEST(pit_mode2_out_pulses_low_at_one)
{
    s_time_t t0;

    setup();
    outb(0x43, 0x74);               /* channel 1, lo/hi, mode 2 */
    outb(0x41, 10);
    outb(0x41, 0);
    t0 = NOW();
    CHECK(pit_out(1));
    fake_set_now(t0 + ticks_ns(8));
    CHECK(pit_out(1));
    fake_set_now(t0 + ticks_ns(9));
    CHECK(!pit_out(1));             /* count 1: the pulse */
    CHECK_EQ(pit_latched_read(1), 1);
    fake_set_now(t0 + ticks_ns(10));
    CHECK(pit_out(1));
    fake_set_now(t0 + ticks_ns(19));
    CHECK(!pit_out(1));

    /* Mode bits 110 are mode 2 again. */
    outb(0x43, 0x7c);
    outb(0x41, 10);
    outb(0x41, 0);
    t0 = NOW();
    outb(0x43, 0xe4);
    CHECK_EQ(inb(0x41), 0x80 | 0x34);  /* OUT high, lo/hi, mode 2 */
    fake_set_now(t0 + ticks_ns(9));
    CHECK(!pit_out(1));
    fake_set_now(t0 + ticks_ns(13));
    CHECK_EQ(pit_latched_read(1), 7);
}

TEST(pit_second_latch_is_ignored)
{
    s_time_t t0;
    u16 v;

    setup();
    outb(0x43, 0x70);               /* channel 1, lo/hi, mode 0 */
    outb(0x41, 0x00);
    outb(0x41, 0x40);
    t0 = NOW();
    fake_set_now(t0 + ticks_ns(0x100));
    outb(0x43, 0x40);
    fake_set_now(t0 + ticks_ns(0x200));
    outb(0x43, 0x40);
    v = inb(0x41);
    v |= inb(0x41) << 8;
    CHECK_EQ(v, 0x4000 - 0x100);
    /* Read out, the latch is free again. */
    CHECK_EQ(pit_latched_read(1), 0x4000 - 0x200);
}

TEST(pit_mode0_first_byte_stops_the_count)
{
    s_time_t t0;

    setup();
    outb(0x61, 0x01);
    outb(0x43, 0xb0);
    outb(0x42, 100);
    outb(0x42, 0);
    t0 = NOW();
    fake_set_now(t0 + ticks_ns(100));
    CHECK_EQ(inb(0x61) & 0x20, 0x20);
    /* Half a new count: OUT drops, nothing counts until the rest. */
    outb(0x42, 50);
    CHECK_EQ(inb(0x61) & 0x20, 0);
    fake_advance(MILLISECS(10));
    CHECK_EQ(inb(0x61) & 0x20, 0);
    outb(0x42, 0);
    t0 = NOW();
    fake_set_now(t0 + ticks_ns(49));
    CHECK_EQ(inb(0x61) & 0x20, 0);
    fake_set_now(t0 + ticks_ns(50));
    CHECK_EQ(inb(0x61) & 0x20, 0x20);
}

TEST(pit_refresh_bit_toggles)
{
    u8 a, b;

    setup();
    fake_set_now(0);
    a = inb(0x61) & 0x10;
    fake_set_now(15085);
    b = inb(0x61) & 0x10;
    CHECK(a != b);
    fake_set_now(2 * 15085);
    CHECK_EQ(inb(0x61) & 0x10, a);
    /* Writes cannot set the read-only bits. */
    outb(0x61, 0xff);
    CHECK_EQ(hvm->pit.port61, 0x0f);
}

/* --- RTC --- */

/* 2026-12-05 17:31:32 UTC, a Saturday, at system time 5 s (setup()). */
#define RTC_BASE        1796491892ULL

static void rtc_setup(void)
{
    setup();
    wallclock_set(RTC_BASE, SECONDS(5));
}

static u8 cmos(u8 reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static void cmos_set(u8 reg, u8 val)
{
    outb(0x70, reg);
    outb(0x71, val);
}

TEST(calendar_conversions)
{
    struct rtc_time t;

    CHECK_EQ(days_from_civil(1970, 1, 1), 0);
    CHECK_EQ(days_from_civil(2000, 3, 1), 11017);
    CHECK_EQ(days_from_civil(2026, 12, 5) * 86400 + 17 * 3600 + 31 * 60 +
             32, RTC_BASE);
    secs_to_rtc_time(RTC_BASE, &t);
    CHECK(t.year == 2026 && t.mon == 12 && t.mday == 5 && t.hour == 17 &&
          t.min == 31 && t.sec == 32 && t.wday == 6);
    /* Every day from 1970 to 2199: fields valid, round trip exact. */
    for ( u64 day = 0; day < 84000; day++ )
    {
        u64 secs = day * 86400 + (day * 7919) % 86400;

        secs_to_rtc_time(secs, &t);
        if ( t.mday > days_in_month(t.year, t.mon) ||
             rtc_time_to_secs(&t) != secs || t.wday != (day + 4) % 7 )
        {
            CHECK_EQ(rtc_time_to_secs(&t), secs);
            break;
        }
    }
    CHECK_EQ(days_in_month(2000, 2), 29);
    CHECK_EQ(days_in_month(2100, 2), 28);
    CHECK_EQ(days_in_month(2024, 2), 29);
    /* Out-of-range fields are clamped. */
    t = (struct rtc_time){ 2026, 2, 31, 25, 61, 99, 0 };
    CHECK_EQ(rtc_time_to_secs(&t),
             days_from_civil(2026, 2, 28) * 86400 + 23 * 3600 + 59 * 60 + 59);
}

TEST(rtc_registers)
{
    rtc_setup();
    CHECK_EQ(cmos(0x0a), 0x26);         /* 32.768 kHz, 1024 Hz, UIP clear */
    CHECK_EQ(cmos(0x0b), 0x02);         /* 24-hour BCD, as a BIOS leaves it */
    CHECK_EQ(cmos(0x0c), 0x00);
    CHECK_EQ(cmos(0x0d), 0x80);         /* valid RAM and time */
    /* Bit 7 of the index is the NMI mask, not part of the index. */
    outb(0x70, 0x8b);
    CHECK_EQ(inb(0x71), 0x02);
    CHECK_EQ(inb(0x70), 0xff);
    /* C and D are read-only; alarms and A's rate bits are stored. */
    cmos_set(0x0c, 0xff);
    cmos_set(0x0d, 0x00);
    CHECK_EQ(cmos(0x0c), 0x00);
    CHECK_EQ(cmos(0x0d), 0x80);
    cmos_set(0x01, 0x59);
    cmos_set(0x03, 0xc0);
    cmos_set(0x05, 0x12);
    CHECK_EQ(cmos(0x01), 0x59);
    CHECK_EQ(cmos(0x03), 0xc0);
    CHECK_EQ(cmos(0x05), 0x12);
    cmos_set(0x0a, 0xa3);               /* UIP cannot be written */
    CHECK_EQ(cmos(0x0a), 0x23);
}

TEST(rtc_bcd_and_binary)
{
    rtc_setup();
    CHECK_EQ(cmos(0x00), 0x32);
    CHECK_EQ(cmos(0x02), 0x31);
    CHECK_EQ(cmos(0x04), 0x17);
    CHECK_EQ(cmos(0x06), 0x07);         /* Saturday; Sunday is 1 */
    CHECK_EQ(cmos(0x07), 0x05);
    CHECK_EQ(cmos(0x08), 0x12);
    CHECK_EQ(cmos(0x09), 0x26);
    CHECK_EQ(cmos(0x32), 0x20);
    cmos_set(0x0b, 0x06);               /* binary, 24-hour */
    CHECK_EQ(cmos(0x00), 32);
    CHECK_EQ(cmos(0x02), 31);
    CHECK_EQ(cmos(0x04), 17);
    CHECK_EQ(cmos(0x08), 12);
    CHECK_EQ(cmos(0x09), 26);
    CHECK_EQ(cmos(0x32), 20);
    /* Advancing with system time, carrying into minutes. */
    fake_advance(SECONDS(28));
    CHECK_EQ(cmos(0x00), 0);
    CHECK_EQ(cmos(0x02), 32);
    /* Writes are decoded in the current mode. */
    cmos_set(0x02, 45);
    CHECK_EQ(cmos(0x02), 45);
    cmos_set(0x0b, 0x02);
    cmos_set(0x02, 0x10);
    CHECK_EQ(cmos(0x02), 0x10);
    CHECK_EQ(cmos(0x04), 0x17);
}

TEST(rtc_12_hour_mode)
{
    static const struct { unsigned int h24; u8 bcd, bin; } hours[] = {
        { 0, 0x12, 12 }, { 1, 0x01, 1 }, { 11, 0x11, 11 },
        { 12, 0x92, 0x8c }, { 13, 0x81, 0x81 }, { 17, 0x85, 0x85 },
        { 23, 0x91, 0x8b },
    };

    for ( unsigned int i = 0; i < ARRAY_SIZE(hours); i++ )
    {
        rtc_setup();
        /* Move to the hour on the same day (17:31:32 at setup). */
        fake_advance(((s64)hours[i].h24 - 17) * SECONDS(3600));
        cmos_set(0x0b, 0x00);           /* BCD, 12-hour */
        CHECK_EQ(cmos(0x04), hours[i].bcd);
        cmos_set(0x0b, 0x04);           /* binary, 12-hour */
        CHECK_EQ(cmos(0x04), hours[i].bin);
        /* Written back in 12-hour form, read in 24-hour form. */
        cmos_set(0x04, hours[i].bin);
        cmos_set(0x0b, 0x06);
        CHECK_EQ(cmos(0x04), hours[i].h24);
        cmos_set(0x0b, 0x00);
        cmos_set(0x04, hours[i].bcd);
        cmos_set(0x0b, 0x02);
        CHECK_EQ(cmos(0x04), ((hours[i].h24 / 10) << 4) | hours[i].h24 % 10);
    }
}

TEST(rtc_uip_window)
{
    s_time_t second = SECONDS(5) + SECONDS(2);

    rtc_setup();
    /* UIP is set during the 244 us before each second's update. */
    fake_set_now(second - 244001);
    CHECK_EQ(cmos(0x0a) & 0x80, 0);
    CHECK_EQ(cmos(0x00), 0x33);
    fake_set_now(second - 244000);
    CHECK_EQ(cmos(0x0a) & 0x80, 0x80);
    fake_set_now(second - 1);
    CHECK_EQ(cmos(0x0a) & 0x80, 0x80);
    CHECK_EQ(cmos(0x00), 0x33);
    fake_set_now(second);
    CHECK_EQ(cmos(0x0a) & 0x80, 0);
    CHECK_EQ(cmos(0x00), 0x34);
    /* SET stops updates: UIP stays clear. */
    fake_set_now(second + SECONDS(1) - 1000);
    CHECK_EQ(cmos(0x0a) & 0x80, 0x80);
    cmos_set(0x0b, 0x82);
    CHECK_EQ(cmos(0x0a) & 0x80, 0);
}

TEST(rtc_set_bit)
{
    rtc_setup();
    fake_advance(300000000);            /* 0.3 s into second 32 */
    cmos_set(0x0b, 0x92);               /* SET (and UIE, which SET clears) */
    CHECK_EQ(cmos(0x0b), 0x82);
    cmos_set(0x00, 0x30);
    cmos_set(0x02, 0x20);
    cmos_set(0x04, 0x08);
    cmos_set(0x07, 0x15);
    cmos_set(0x08, 0x07);
    cmos_set(0x09, 0x31);
    fake_advance(SECONDS(10));          /* held still while SET */
    CHECK_EQ(cmos(0x00), 0x30);
    CHECK_EQ(cmos(0x09), 0x31);
    cmos_set(0x0b, 0x02);               /* runs from here, a new second */
    CHECK_EQ(cmos(0x00), 0x30);
    fake_advance(999999999);
    CHECK_EQ(cmos(0x00), 0x30);
    fake_advance(1);
    CHECK_EQ(cmos(0x00), 0x31);
    CHECK_EQ(cmos(0x02), 0x20);
    CHECK_EQ(cmos(0x04), 0x08);
    CHECK_EQ(cmos(0x06), 0x03);         /* 2031-07-15 is a Tuesday */
    CHECK_EQ(cmos(0x07), 0x15);
    CHECK_EQ(cmos(0x08), 0x07);
    CHECK_EQ(cmos(0x32), 0x20);
    /* A write without SET keeps the fraction of the second. */
    fake_advance(700000000);
    cmos_set(0x00, 0x50);
    fake_advance(299999999);
    CHECK_EQ(cmos(0x00), 0x50);
    fake_advance(1);
    CHECK_EQ(cmos(0x00), 0x51);
}

TEST(rtc_century)
{
    rtc_setup();
    cmos_set(0x32, 0x21);
    CHECK_EQ(cmos(0x32), 0x21);
    CHECK_EQ(cmos(0x09), 0x26);
    cmos_set(0x0b, 0x06);
    CHECK_EQ(cmos(0x32), 21);
    cmos_set(0x09, 99);
    CHECK_EQ(cmos(0x09), 99);
    CHECK_EQ(cmos(0x32), 21);
    /* Years are kept within 1970-2199. */
    cmos_set(0x32, 25);
    CHECK_EQ(cmos(0x32), 21);
    cmos_set(0x32, 19);
    cmos_set(0x09, 50);
    CHECK_EQ(cmos(0x32), 19);
    CHECK_EQ(cmos(0x09), 70);
}

TEST(rtc_nvram_per_domain)
{
    struct hvm_domain *other = calloc(1, sizeof(*other));
    static struct domain dom2;
    static struct vcpu vcpu2;
    u32 v;

    rtc_setup();
    REQUIRE(other);
    for ( unsigned int r = 0x0e; r < 0x80; r++ )
        if ( r != 0x32 )
            CHECK_EQ(cmos(r), 0);
    for ( unsigned int r = 0x0e; r < 0x80; r++ )
        if ( r != 0x32 )
            cmos_set(r, r ^ 0x5a);
    for ( unsigned int r = 0x0e; r < 0x80; r++ )
        if ( r != 0x32 )
            CHECK_EQ(cmos(r), r ^ 0x5a);
    /* Another domain has its own RAM. */
    memset(&dom2, 0, sizeof(dom2));
    dom2.domain_id = DOMID + 1;
    vcpu2.domain = &dom2;
    fake_hvm_bind(&dom2, other);
    REQUIRE_EQ(hvm_platform_init(&dom2), 0);
    v = 0x0f;
    hvm_portio(&vcpu2, true, 0x70, 1, &v);
    hvm_portio(&vcpu2, false, 0x71, 1, &v);
    CHECK_EQ(v & 0xff, 0);
    v = 0x0a;
    hvm_portio(&vcpu2, true, 0x71, 1, &v);
    CHECK_EQ(cmos(0x0f), 0x0f ^ 0x5a);
    hvm_platform_destroy(&dom2);
    free(other);
}

/* --- PCI --- */

TEST(pci_has_no_devices)
{
    setup();
    CHECK_EQ(in(0xcf8, 4), 0);
    out(0xcf8, 4, 0x80000000);
    CHECK_EQ(in(0xcf8, 4), 0x80000000);
    out(0xcf8, 4, 0xffffffff);
    CHECK_EQ(in(0xcf8, 4), 0x80fffffc);
    CHECK_EQ(in(0xcfc, 4), 0xffffffff);
    CHECK_EQ(in(0xcfe, 2), 0xffff);
    CHECK_EQ(in(0xcff, 1), 0xff);
    out(0xcfc, 4, 0);
    CHECK_EQ(in(0xcfc, 4), 0xffffffff);
    /* Byte access to 0xcf8-0xcfb is not the address latch. */
    out(0xcfb, 1, 0x01);
    out(0xcf8, 2, 0x1234);
    CHECK_EQ(in(0xcf8, 4), 0x80fffffc);
    CHECK_EQ(in(0xcf9, 1), 0xff);
}

/* --- IOAPIC --- */

static u32 ioapic_read(u32 reg)
{
    return fake_ioapic_read(&vcpu0, reg);
}

static void ioapic_write(u32 reg, u32 val)
{
    fake_ioapic_write(&vcpu0, reg, val);
}

static void set_rte(unsigned int pin, u64 rte)
{
    ioapic_write(0x11 + 2 * pin, rte >> 32);
    ioapic_write(0x10 + 2 * pin, (u32)rte);
}

static u64 get_rte(unsigned int pin)
{
    return ioapic_read(0x10 + 2 * pin) |
           ((u64)ioapic_read(0x11 + 2 * pin) << 32);
}

#define RTE_LOGICAL (1ULL << 11)
#define RTE_RIRR    (1ULL << 14)
#define RTE_LEVEL   (1ULL << 15)
#define RTE_MASKED  (1ULL << 16)
#define DEST(x)     ((u64)(x) << 56)

#define ICR_ASSERT  (1u << 14)
#define ICR_LEVEL   (1u << 15)

TEST(vioapic_registers)
{
    unsigned int pin;
    u64 v;

    setup();
    CHECK_EQ(ioapic_read(0x01), 0x00170011);
    CHECK_EQ(ioapic_read(0x00), 0);
    ioapic_write(0x00, 0x0f000000 | 0xffffff);
    CHECK_EQ(ioapic_read(0x00), 0x0f000000);
    CHECK_EQ(ioapic_read(0x02), 0x0f000000);
    ioapic_write(0x01, 0);
    CHECK_EQ(ioapic_read(0x01), 0x00170011);
    CHECK_EQ(ioapic_read(0x03), 0);
    CHECK_EQ(ioapic_read(0x40), 0);

    for ( pin = 0; pin < VIOAPIC_PINS; pin++ )
        CHECK_EQ(get_rte(pin), RTE_MASKED);

    set_rte(5, DEST(0x12) | RTE_MASKED | RTE_LEVEL | RTE_LOGICAL | 0x2b31);
    CHECK_EQ(get_rte(5), DEST(0x12) | RTE_MASKED | RTE_LEVEL |
             RTE_LOGICAL | 0x2b31);
    /* Delivery status, remote IRR and reserved bits are not writable. */
    set_rte(6, ~0ULL);
    CHECK_EQ(get_rte(6), 0xff0000000001afffULL);
    /* Past the last pin: nothing there. */
    ioapic_write(0x10 + 2 * VIOAPIC_PINS, 0x55);
    CHECK_EQ(ioapic_read(0x10 + 2 * VIOAPIC_PINS), 0);

    /* IOREGSEL reads back; other sizes and offsets are ignored. */
    v = 0x1234;
    hvm_mmio(&vcpu0, true, VIOAPIC_BASE, 4, &v);
    hvm_mmio(&vcpu0, false, VIOAPIC_BASE, 4, &v);
    CHECK_EQ(v, 0x34);
    v = 0x01;
    hvm_mmio(&vcpu0, true, VIOAPIC_BASE, 1, &v);
    hvm_mmio(&vcpu0, false, VIOAPIC_BASE, 4, &v);
    CHECK_EQ(v, 0x34);
    hvm_mmio(&vcpu0, false, VIOAPIC_BASE + 0x10, 8, &v);
    CHECK_EQ(v, 0);
    v = 0xffffffff;
    hvm_mmio(&vcpu0, true, VIOAPIC_BASE + 0x20, 4, &v);
    hvm_mmio(&vcpu0, false, VIOAPIC_BASE + 0x20, 4, &v);
    CHECK_EQ(v, 0);
    CHECK_EQ(fake_ipi_count(), 0);
}

TEST(vioapic_edge)
{
    setup();
    set_rte(4, DEST(1) | 0x31);

    vioapic_set_irq(&dom, 4, true);
    REQUIRE_EQ(fake_ipi_count(), 1);
    CHECK_PTR_EQ(fake_ipi(0)->src, NULL);
    CHECK_PTR_EQ(fake_ipi(0)->d, &dom);
    CHECK_EQ(fake_ipi(0)->icr_low, 0x31 | ICR_ASSERT);
    CHECK_EQ(fake_ipi(0)->dest, 1);

    /* Held high: no new edge. */
    vioapic_set_irq(&dom, 4, true);
    CHECK_EQ(fake_ipi_count(), 1);
    vioapic_set_irq(&dom, 4, false);
    CHECK_EQ(fake_ipi_count(), 1);
    vioapic_set_irq(&dom, 4, true);
    CHECK_EQ(fake_ipi_count(), 2);
    /* Edge entries never get remote IRR, EOI or not. */
    CHECK_EQ(get_rte(4) & RTE_RIRR, 0);
    vioapic_eoi(&dom, 0x31);
    CHECK_EQ(fake_ipi_count(), 2);

    /* An edge while masked is lost, and unmasking does not bring it. */
    vioapic_set_irq(&dom, 4, false);
    set_rte(4, DEST(1) | RTE_MASKED | 0x31);
    vioapic_set_irq(&dom, 4, true);
    CHECK_EQ(fake_ipi_count(), 2);
    set_rte(4, DEST(1) | 0x31);
    CHECK_EQ(fake_ipi_count(), 2);

    /* Pins out of range are ignored. */
    vioapic_set_irq(&dom, VIOAPIC_PINS, true);
    vioapic_set_irq(&dom, ~0u, true);
    CHECK_EQ(fake_ipi_count(), 2);
}

TEST(vioapic_level_remote_irr_and_eoi)
{
    setup();
    set_rte(10, DEST(2) | RTE_LEVEL | 0x41);

    vioapic_set_irq(&dom, 10, true);
    REQUIRE_EQ(fake_ipi_count(), 1);
    CHECK_EQ(fake_ipi(0)->icr_low, 0x41 | ICR_ASSERT | ICR_LEVEL);
    CHECK_EQ(fake_ipi(0)->dest, 2);
    CHECK(get_rte(10) & RTE_RIRR);

    /* Still asserted, remote IRR set: nothing more. */
    vioapic_set_irq(&dom, 10, true);
    CHECK_EQ(fake_ipi_count(), 1);
    /* An EOI for another vector does not count. */
    vioapic_eoi(&dom, 0x42);
    CHECK(get_rte(10) & RTE_RIRR);
    CHECK_EQ(fake_ipi_count(), 1);

    /* EOI while still asserted: delivered again. */
    vioapic_eoi(&dom, 0x41);
    CHECK_EQ(fake_ipi_count(), 2);
    CHECK(get_rte(10) & RTE_RIRR);

    /* Deasserted, then EOI: remote IRR clears, no delivery. */
    vioapic_set_irq(&dom, 10, false);
    vioapic_eoi(&dom, 0x41);
    CHECK_EQ(fake_ipi_count(), 2);
    CHECK_EQ(get_rte(10) & RTE_RIRR, 0);

    /* Masked while asserted; unmasking delivers. */
    set_rte(10, DEST(2) | RTE_MASKED | RTE_LEVEL | 0x41);
    vioapic_set_irq(&dom, 10, true);
    CHECK_EQ(fake_ipi_count(), 2);
    set_rte(10, DEST(2) | RTE_LEVEL | 0x41);
    CHECK_EQ(fake_ipi_count(), 3);
    CHECK(get_rte(10) & RTE_RIRR);
    /* Remote IRR survives rewrites of the entry... */
    set_rte(10, DEST(3) | RTE_LEVEL | 0x41);
    CHECK(get_rte(10) & RTE_RIRR);
    CHECK_EQ(fake_ipi_count(), 3);
    /* ...and switching to edge clears it. */
    set_rte(10, DEST(3) | 0x41);
    CHECK_EQ(get_rte(10) & RTE_RIRR, 0);

    /* Masked at EOI time: cleared, not delivered until unmasked. */
    set_rte(10, DEST(2) | RTE_LEVEL | 0x41);
    vioapic_set_irq(&dom, 10, false);
    vioapic_set_irq(&dom, 10, true);
    CHECK_EQ(fake_ipi_count(), 4);
    set_rte(10, DEST(2) | RTE_MASKED | RTE_LEVEL | 0x41);
    vioapic_eoi(&dom, 0x41);
    CHECK_EQ(fake_ipi_count(), 4);
    CHECK_EQ(get_rte(10) & RTE_RIRR, 0);
    set_rte(10, DEST(2) | RTE_LEVEL | 0x41);
    CHECK_EQ(fake_ipi_count(), 5);
}

TEST(vioapic_eoi_shared_vector)
{
    setup();
    set_rte(16, DEST(0) | RTE_LEVEL | 0x50);
    set_rte(17, DEST(1) | RTE_LEVEL | 0x50);
    vioapic_set_irq(&dom, 16, true);
    vioapic_set_irq(&dom, 17, true);
    CHECK_EQ(fake_ipi_count(), 2);
    vioapic_set_irq(&dom, 16, false);
    /* One EOI ends both; the one still asserted comes again. */
    vioapic_eoi(&dom, 0x50);
    REQUIRE_EQ(fake_ipi_count(), 3);
    CHECK_EQ(fake_ipi(2)->dest, 1);
    CHECK_EQ(get_rte(16) & RTE_RIRR, 0);
    CHECK(get_rte(17) & RTE_RIRR);
}

TEST(vioapic_icr_for_each_mode)
{
    static const struct
    {
        u64 rte;
        bool delivered;
        u32 icr;
        u32 dest;
    } cases[] = {
        /* fixed, physical, edge */
        { DEST(3) | 0x30, true, 0x30 | ICR_ASSERT, 3 },
        /* fixed, logical, level */
        { DEST(0x0f) | RTE_LOGICAL | RTE_LEVEL | 0x31, true,
          0x31 | 0x800 | ICR_ASSERT | ICR_LEVEL, 0x0f },
        /* lowest priority, logical, edge */
        { DEST(0xff) | RTE_LOGICAL | (1 << 8) | 0x32, true,
          0x32 | 0x100 | 0x800 | ICR_ASSERT, 0xff },
        /* lowest priority, physical, level */
        { DEST(5) | RTE_LEVEL | (1 << 8) | 0x33, true,
          0x33 | 0x100 | ICR_ASSERT | ICR_LEVEL, 5 },
        /* NMI: never level (no EOI comes) */
        { DEST(0) | RTE_LEVEL | (4 << 8) | 0x02, true,
          0x02 | 0x400 | ICR_ASSERT, 0 },
        /* INIT, logical */
        { DEST(2) | RTE_LOGICAL | (5 << 8), true,
          0x500 | 0x800 | ICR_ASSERT, 2 },
        /* broadcast destination passes through */
        { DEST(0xff) | 0x34, true, 0x34 | ICR_ASSERT, 0xff },
        /* SMI, reserved and ExtINT: dropped */
        { DEST(0) | (2 << 8) | 0x35, false, 0, 0 },
        { DEST(0) | (3 << 8) | 0x36, false, 0, 0 },
        { DEST(0) | (6 << 8) | 0x37, false, 0, 0 },
        { DEST(0) | (7 << 8) | 0x38, false, 0, 0 },
    };
    unsigned int i;

    for ( i = 0; i < ARRAY_SIZE(cases); i++ )
    {
        setup();
        set_rte(9, cases[i].rte);
        vioapic_set_irq(&dom, 9, true);
        if ( !cases[i].delivered )
        {
            CHECK_EQ(fake_ipi_count(), 0);
            CHECK_EQ(get_rte(9) & RTE_RIRR, 0);
            continue;
        }
        REQUIRE_EQ(fake_ipi_count(), 1);
        CHECK_EQ(fake_ipi(0)->icr_low, cases[i].icr);
        CHECK_EQ(fake_ipi(0)->dest, cases[i].dest);
        /* Only level fixed/lowest entries wait for an EOI. */
        CHECK_EQ(!!(get_rte(9) & RTE_RIRR),
                 !!(cases[i].icr & ICR_LEVEL));
    }
}

/*
 * A change of the vectors sent level-triggered is announced (VMX kicks
 * the running vCPUs to refresh their EOI-exit bitmaps) before anything
 * is delivered through the new entry; other writes are not.
 */
TEST(vioapic_level_changes_announced_before_delivery)
{
    setup();
    set_rte(3, DEST(0) | RTE_MASKED | 0x40);
    CHECK_EQ(fake_levels_changed_calls(), 0);
    /* Mask, destination and polarity changes: nothing to announce. */
    set_rte(3, DEST(1) | 0x40);
    ioapic_write(0x10 + 2 * 3, RTE_MASKED | (1u << 13) | 0x40);
    CHECK_EQ(fake_levels_changed_calls(), 0);
    /* Edge -> level, line already up: announced, then delivered. */
    vioapic_set_irq(&dom, 3, true);
    ioapic_write(0x10 + 2 * 3, RTE_LEVEL | 0x40);
    CHECK_EQ(fake_levels_changed_calls(), 1);
    CHECK_EQ(fake_levels_changed_ipis_before(), 0);
    REQUIRE_EQ(fake_ipi_count(), 1);
    CHECK(fake_ipi(0)->icr_low & ICR_LEVEL);
    /* A level entry's vector, and level -> edge. */
    ioapic_write(0x10 + 2 * 3, RTE_MASKED | RTE_LEVEL | 0x41);
    CHECK_EQ(fake_levels_changed_calls(), 2);
    ioapic_write(0x10 + 2 * 3, RTE_MASKED | 0x41);
    CHECK_EQ(fake_levels_changed_calls(), 3);
    /* Level in NMI mode has no EOI: not a level vector. */
    ioapic_write(0x10 + 2 * 3, RTE_MASKED | RTE_LEVEL | (4u << 8) | 0x41);
    CHECK_EQ(fake_levels_changed_calls(), 3);
}

TEST(vioapic_without_hvm_state_is_inert)
{
    setup();
    set_rte(1, DEST(0) | 0x40);
    fake_hvm_unbind_all();
    vioapic_set_irq(&dom, 1, true);
    vioapic_eoi(&dom, 0x40);
    vioapic_set_irq(NULL, 1, true);
    vioapic_eoi(NULL, 0x40);
    CHECK_EQ(fake_ipi_count(), 0);
}

/* --- ACPI power button: the GED's status register and its line --- */

#define GED_PORT    0x603
#define GED_GSI     23
#define GED_VEC     0x51

TEST(acpi_power_button_asserts_level_line_until_cleared)
{
    setup();
    CHECK_EQ(ACPI_GED_STATUS_PORT, GED_PORT);
    CHECK_EQ(ACPI_GED_GSI, GED_GSI);
    set_rte(GED_GSI, DEST(1) | RTE_LEVEL | GED_VEC);
    CHECK_EQ(inb(GED_PORT), 0);
    CHECK_EQ(fake_ipi_count(), 0);

    acpi_pm_power_button(&dom);
    CHECK_EQ(inb(GED_PORT), ACPI_GED_PWRBTN_STS);
    REQUIRE_EQ(fake_ipi_count(), 1);
    CHECK_EQ(fake_ipi(0)->icr_low, GED_VEC | ICR_ASSERT | ICR_LEVEL);
    CHECK_EQ(fake_ipi(0)->dest, 1);
    CHECK(get_rte(GED_GSI) & RTE_RIRR);
    /* Pressed while pressed: the same press, no new delivery. */
    acpi_pm_power_button(&dom);
    acpi_pm_power_button(&dom);
    CHECK_EQ(inb(GED_PORT), ACPI_GED_PWRBTN_STS);
    CHECK_EQ(fake_ipi_count(), 1);

    /* EOI before the guest cleared the bit: the line is still up. */
    vioapic_eoi(&dom, GED_VEC);
    CHECK_EQ(fake_ipi_count(), 2);
    /* Writing 0s, or only reserved bits, clears nothing. */
    outb(GED_PORT, 0);
    outb(GED_PORT, (u8)~ACPI_GED_PWRBTN_STS);
    CHECK_EQ(inb(GED_PORT), ACPI_GED_PWRBTN_STS);
    vioapic_eoi(&dom, GED_VEC);
    CHECK_EQ(fake_ipi_count(), 3);

    /* Write 1 to clear: the line drops, the next EOI delivers nothing. */
    outb(GED_PORT, ACPI_GED_PWRBTN_STS);
    CHECK_EQ(inb(GED_PORT), 0);
    vioapic_eoi(&dom, GED_VEC);
    CHECK_EQ(fake_ipi_count(), 3);
    CHECK_EQ(get_rte(GED_GSI) & RTE_RIRR, 0);
    /* Clearing what is clear changes nothing. */
    outb(GED_PORT, 0xff);
    CHECK_EQ(inb(GED_PORT), 0);
    CHECK_EQ(fake_ipi_count(), 3);

    /* A new press is a new event. */
    acpi_pm_power_button(&dom);
    CHECK_EQ(fake_ipi_count(), 4);
    CHECK_EQ(inb(GED_PORT), ACPI_GED_PWRBTN_STS);
    /* Nothing else moved: no shutdown, no exit, no other pin. */
    CHECK_EQ(fake_shutdown_calls(), 0);
    CHECK_EQ(fake_exit_calls(), 0);
    for ( unsigned int i = 0; i < fake_ipi_count(); i++ )
        CHECK_EQ(fake_ipi(i)->icr_low & 0xff, GED_VEC);
}

TEST(acpi_power_button_press_while_masked_is_kept)
{
    setup();
    /* Before the guest has set up the pin: masked (its reset state). */
    acpi_pm_power_button(&dom);
    CHECK_EQ(fake_ipi_count(), 0);
    /* Unmasking the asserted level pin delivers the press. */
    set_rte(GED_GSI, DEST(0) | RTE_LEVEL | GED_VEC);
    REQUIRE_EQ(fake_ipi_count(), 1);
    CHECK_EQ(fake_ipi(0)->icr_low, GED_VEC | ICR_ASSERT | ICR_LEVEL);
    CHECK_EQ(inb(GED_PORT), ACPI_GED_PWRBTN_STS);
}

TEST(acpi_power_button_edge_pin_sees_one_rising_edge)
{
    setup();
    /* A guest that programs the pin edge sees each press once. */
    set_rte(GED_GSI, DEST(0) | GED_VEC);
    acpi_pm_power_button(&dom);
    acpi_pm_power_button(&dom);
    CHECK_EQ(fake_ipi_count(), 1);
    outb(GED_PORT, ACPI_GED_PWRBTN_STS);
    CHECK_EQ(fake_ipi_count(), 1);
    acpi_pm_power_button(&dom);
    CHECK_EQ(fake_ipi_count(), 2);
}

TEST(acpi_ged_register_in_wide_accesses)
{
    setup();
    acpi_pm_power_button(&dom);
    /* Byte 3 of a dword at 0x600, byte 1 of a word at 0x602. */
    CHECK_EQ(in(0x600, 4), (u32)ACPI_GED_PWRBTN_STS << 24);
    CHECK_EQ(in(0x602, 2), (u32)ACPI_GED_PWRBTN_STS << 8);
    CHECK_EQ(in(0x603, 1), ACPI_GED_PWRBTN_STS);
    /* A dword write with only the GED byte set clears it, nothing else. */
    out(0x600, 4, (u32)ACPI_GED_PWRBTN_STS << 24);
    CHECK_EQ(inb(GED_PORT), 0);
    CHECK_EQ(fake_shutdown_calls(), 0);
    /* No domain, nothing pressed (and no crash). */
    acpi_pm_power_button(NULL);
    CHECK_EQ(inb(GED_PORT), 0);
}

TEST(acpi_power_button_state_reset_by_platform_init)
{
    setup();
    acpi_pm_power_button(&dom);
    CHECK_EQ(inb(GED_PORT), ACPI_GED_PWRBTN_STS);
    /* The platform set up again on the same state starts released. */
    hvm_platform_destroy(&dom);
    REQUIRE_EQ(hvm_platform_init(&dom), 0);
    CHECK_EQ(inb(GED_PORT), 0);
}

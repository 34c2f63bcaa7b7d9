/*
 * Tests for the 16550A model (vuart.c) as an interrupting device: IER,
 * IIR priorities and acknowledgement, FCR and the receive FIFO with its
 * trigger levels, LSR errors, MSR deltas, loopback, and the IRQ 4 line
 * gated by MCR.OUT2 into the vIOAPIC.  Guests reach the UART through
 * hvm_portio() as an exit handler would; the interrupts that leave the
 * vIOAPIC are the vlapic_ipi() calls the doubles record.
 */
#include <stdlib.h>

#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <xen/time.h>
#include <asm/hvm/domain.h>
#include <asm/hvm/io.h>

#include "harness.h"
#include "stubs.h"
#include "doubles.h"
#include "ioapic_access.h"

#define COM1    0x3f8
#define THR     (COM1 + 0)
#define IER     (COM1 + 1)
#define IIR     (COM1 + 2)
#define FCR     (COM1 + 2)
#define LCR     (COM1 + 3)
#define MCR     (COM1 + 4)
#define LSR     (COM1 + 5)
#define MSR     (COM1 + 6)

#define VEC     0x34

static struct domain dom;
static struct vcpu vcpu0;
static struct hvm_domain *hvm;

static void out(u16 port, u8 val)
{
    u32 v = val;

    hvm_portio(&vcpu0, true, port, 1, &v);
}

static u8 in(u16 port)
{
    u32 v = 0x12345678;

    hvm_portio(&vcpu0, false, port, 1, &v);
    return v;
}

static void ioapic_write(u32 reg, u32 val)
{
    fake_ioapic_write(&vcpu0, reg, val);
}

/* The platform, with IOAPIC pin 4 routed edge/high to VEC on APIC 0. */
static void setup(void)
{
    hvm = fake_domain_setup(&dom, &vcpu0, 3);
    fake_set_now(SECONDS(1));
    REQUIRE_EQ(hvm_platform_init(&dom), 0);
    ioapic_write(0x10 + 2 * 4 + 1, 0);
    ioapic_write(0x10 + 2 * 4, VEC);
}

static void receive(const char *s)
{
    CHECK_EQ(vuart_receive(&dom, (const u8 *)s, strlen(s)), strlen(s));
}

/* Interrupts that reached the local APIC layer, all from pin 4. */
static unsigned int irqs(void)
{
    unsigned int i;

    for ( i = 0; i < fake_ipi_count(); i++ )
        CHECK_EQ(fake_ipi(i)->icr_low & 0xff, VEC);
    return fake_ipi_count();
}

TEST(vuart_reset_state)
{
    setup();
    CHECK_EQ(in(IIR), 0x01);
    CHECK_EQ(in(LSR), 0x60);
    CHECK_EQ(in(IER), 0x00);
    CHECK_EQ(in(MCR), 0x00);
    CHECK_EQ(in(MSR), 0xb0);
    CHECK_EQ(in(THR), 0x00);
    CHECK_EQ(irqs(), 0);
}

TEST(vuart_thre_interrupt)
{
    setup();
    out(MCR, 0x08);                     /* OUT2 */
    CHECK_EQ(irqs(), 0);

    /* Enabling ETBEI with THR empty raises THRE: one edge. */
    out(IER, 0x02);
    CHECK_EQ(in(IIR), 0x02);
    CHECK_EQ(irqs(), 1);
    /* Reading IIR while THRE was the source acknowledged it. */
    CHECK_EQ(in(IIR), 0x01);
    CHECK_EQ(irqs(), 1);

    /* A THR write raises it again once the byte has moved on. */
    out(THR, 'a');
    CHECK_EQ(irqs(), 2);

    /* Written again before any IIR read: the line drops and rises. */
    out(THR, 'b');
    CHECK_EQ(irqs(), 3);
    out(THR, '\n');
    CHECK_EQ(irqs(), 4);
    CHECK_STR_EQ(stub_log(), "(d3) ab\n");

    /* Re-writing IER with ETBEI already set raises nothing new. */
    CHECK_EQ(in(IIR), 0x02);
    out(IER, 0x02);
    CHECK_EQ(in(IIR), 0x01);
    CHECK_EQ(irqs(), 4);
    /* ETBEI off, then on again: THR is empty, so THRE again. */
    out(IER, 0x00);
    out(IER, 0x02);
    CHECK_EQ(irqs(), 5);
    CHECK_EQ(in(IIR), 0x02);
}

TEST(vuart_out2_gates_the_line)
{
    setup();
    /* Pending in IIR, but OUT2 clear: nothing reaches the IOAPIC. */
    out(IER, 0x02);
    CHECK_EQ(irqs(), 0);
    out(MCR, 0x03);                     /* DTR, RTS */
    CHECK_EQ(irqs(), 0);
    /* OUT2 connects the pending interrupt: a rising edge. */
    out(MCR, 0x0b);
    CHECK_EQ(irqs(), 1);
    out(MCR, 0x03);
    out(MCR, 0x0b);
    CHECK_EQ(irqs(), 2);
    CHECK_EQ(in(IIR), 0x02);
    /* With OUT2 off again, THR writes never reach the IOAPIC. */
    out(MCR, 0x03);
    out(THR, 'x');
    out(THR, 'y');
    CHECK_EQ(irqs(), 2);
    CHECK_EQ(in(IIR), 0x02);
}

TEST(vuart_iir_priorities)
{
    unsigned int i;

    setup();
    out(FCR, 0x01);                     /* FIFOs on, trigger 1 */
    out(IER, 0x0f);
    /* Modem status: a delta from leaving loopback. */
    out(MCR, 0x10);
    out(MCR, 0x00);
    /* THRE (from enabling ETBEI) is above modem status. */
    CHECK_EQ(in(IIR), 0xc2);
    CHECK_EQ(in(IIR), 0xc0);            /* modem status, id 0 */
    CHECK_EQ(in(MSR) & 0x0f, 0x0b);     /* DCTS, DDSR, DDCD */
    CHECK_EQ(in(IIR), 0xc1);

    /*
     * 17 bytes for a 16-byte FIFO: the 17th waits on the line until there
     * is room, no overrun.  The line status interrupt comes first when
     * there is one: a receiver overrun in 16450 mode (below) makes it.
     */
    for ( i = 0; i < 17; i++ )
        CHECK_EQ(vuart_receive(&dom, (const u8 *)"0123456789abcdefg" + i,
                               1), 1);
    out(THR, 'z');                      /* THRE pending too */
    CHECK_EQ(in(LSR), 0x61);            /* THRE, TEMT, DR; no OE */
    CHECK_EQ(in(IIR), 0xc4);            /* received data before THRE */
    for ( i = 0; i < 17; i++ )
        CHECK_EQ(in(THR), "0123456789abcdefg"[i]);
    CHECK_EQ(in(LSR), 0x60);
    CHECK_EQ(in(IIR), 0xc2);            /* then THRE */
    CHECK_EQ(in(IIR), 0xc1);
}

/* Serial input waits on the line: a burst longer than the FIFO arrives. */
TEST(vuart_input_burst_is_not_lost)
{
    static const char text[] = "a line typed much faster than any baud rate";
    unsigned int i, n = sizeof(text) - 1;

    setup();
    out(FCR, 0xc7);                     /* FIFOs on, trigger 14 */
    CHECK_EQ(vuart_receive(&dom, (const u8 *)text, n), n);
    for ( i = 0; i < n; i++ )
    {
        CHECK_EQ(in(LSR) & 0x03, 0x01); /* DR, never OE */
        CHECK_EQ(in(THR), (u8)text[i]);
    }
    CHECK_EQ(in(LSR) & 0x03, 0x00);
}

TEST(vuart_fifo_trigger_levels)
{
    static const struct { u8 fcr; unsigned int level; } t[] = {
        { 0x01, 1 }, { 0x41, 4 }, { 0x81, 8 }, { 0xc1, 14 },
    };
    unsigned int i, n;

    for ( i = 0; i < ARRAY_SIZE(t); i++ )
    {
        setup();
        out(FCR, t[i].fcr);
        out(IER, 0x01);
        out(MCR, 0x08);
        for ( n = 1; n <= t[i].level; n++ )
        {
            receive("x");
            /* Below the trigger level: the (expired) character timeout. */
            CHECK_EQ(in(IIR), n < t[i].level ? 0xcc : 0xc4);
        }
        /* The line rose with the first byte and stayed up. */
        CHECK_EQ(irqs(), 1);
        /* Read below the level: timeout again, then nothing. */
        CHECK_EQ(in(THR), 'x');
        CHECK_EQ(in(IIR), t[i].level > 1 ? 0xcc : 0xc1);
        while ( in(LSR) & 0x01 )
            in(THR);
        CHECK_EQ(in(IIR), 0xc1);
        receive("y");
        CHECK_EQ(irqs(), 2);
    }
}

TEST(vuart_fcr_resets_and_16450_mode)
{
    setup();
    /* Other bits are only taken with FCR0 set. */
    out(FCR, 0xc6);
    CHECK_EQ(in(IIR), 0x01);
    out(FCR, 0x01);
    receive("abc");
    CHECK_EQ(in(LSR) & 0x01, 0x01);
    out(FCR, 0x03);                     /* reset the receive FIFO */
    CHECK_EQ(in(LSR), 0x60);
    CHECK_EQ(in(IIR), 0xc1);

    /* Switching the FIFOs off empties them; then one byte of RBR. */
    receive("abc");
    out(FCR, 0x00);
    CHECK_EQ(in(LSR), 0x60);
    receive("pq");
    CHECK_EQ(in(LSR), 0x61);            /* q waits on the line */
    CHECK_EQ(in(THR), 'p');
    CHECK_EQ(in(LSR), 0x61);
    CHECK_EQ(in(THR), 'q');
    CHECK_EQ(in(LSR), 0x60);
}

TEST(vuart_receive_interrupt_edges)
{
    setup();
    out(FCR, 0x07);
    out(IER, 0x01);
    CHECK_EQ(irqs(), 0);
    receive("h");
    CHECK_EQ(irqs(), 0);                /* no OUT2 yet */
    out(MCR, 0x0b);
    CHECK_EQ(irqs(), 1);
    receive("i");
    CHECK_EQ(irqs(), 1);                /* still high: no new edge */
    CHECK_EQ(in(THR), 'h');
    CHECK_EQ(in(THR), 'i');
    CHECK_EQ(in(IIR), 0xc1);
    receive("!");
    CHECK_EQ(irqs(), 2);
    CHECK_EQ(in(THR), '!');

    /* Bad callers are refused without harm. */
    CHECK_EQ(vuart_receive(NULL, (const u8 *)"x", 1), 0);
    CHECK_EQ(vuart_receive(&dom, NULL, 1), 0);
    CHECK_EQ(in(LSR), 0x60);
}

TEST(vuart_loopback)
{
    setup();
    out(FCR, 0x01);
    out(IER, 0x0f);
    CHECK_EQ(in(IIR), 0xc2);
    /* LOOP, OUT2, RTS, DTR: the same lines as outside, so no deltas. */
    out(MCR, 0x1b);
    CHECK_EQ(in(MSR), 0xb0);
    out(THR, 'L');
    out(THR, '\n');
    /* The bytes came back to the receiver, not out to the console. */
    CHECK_EQ(hvm->uart.ring_written, 0);
    CHECK_EQ(in(LSR), 0x61);
    CHECK_EQ(in(IIR), 0xc4);
    /* The OUT2 pin is inactive in loopback: no interrupt at all. */
    CHECK_EQ(irqs(), 0);
    CHECK_EQ(in(THR), 'L');
    CHECK_EQ(in(THR), '\n');
    /* Serial input is disconnected in loopback. */
    CHECK_EQ(vuart_receive(&dom, (const u8 *)"x", 1), 0);
    CHECK_EQ(in(LSR), 0x60);
    /* OUT1 loops to RI; RI falling sets TERI. */
    out(MCR, 0x1f);
    CHECK_EQ(in(MSR), 0xf0);
    out(MCR, 0x1b);
    CHECK_EQ(in(MSR), 0xb4);
    /* Leaving loopback with THRE pending: the line rises. */
    out(MCR, 0x0b);
    CHECK_EQ(irqs(), 1);
}

TEST(vuart_divisor_latch)
{
    setup();
    out(IER, 0x01);
    receive("r");
    out(LCR, 0x83);
    out(THR, 0x0c);
    out(IER, 0x00);
    CHECK_EQ(in(THR), 0x0c);
    CHECK_EQ(in(IER), 0x00);
    /* The latch, not RBR and IER, was read and written. */
    out(LCR, 0x03);
    CHECK_EQ(in(IER), 0x01);
    CHECK_EQ(in(THR), 'r');
    CHECK_EQ(hvm->uart.dll, 0x0c);
    CHECK_EQ(hvm->uart.line_len, 0);
}

/*
 * What Linux 6.1's 8250 driver checks before it uses the port as a
 * 16550A with an interrupt (drivers/tty/serial/8250, read for the
 * register accesses): IER read-back, the loopback MSR test, the FIFO
 * bits of IIR after FCR 0xe7 (0xc0 set: a 16550 family part; bit 5
 * clear, also with DLAB set: not a 16750), and at start-up that THRE is
 * reported again each time ETBEI is enabled (else UART_BUG_THRE).
 */
TEST(vuart_answers_the_linux_8250_probe)
{
    setup();
    out(IER, 0x00);
    CHECK_EQ(in(IER) & 0x0f, 0x00);
    out(IER, 0x0f);
    CHECK_EQ(in(IER) & 0x0f, 0x0f);
    out(IER, 0x00);

    out(MCR, 0x1a);                     /* LOOP | OUT2 | RTS */
    CHECK_EQ(in(MSR) & 0xf0, 0x90);
    out(MCR, 0x00);

    out(FCR, 0xe7);
    CHECK_EQ(in(IIR) & 0xe0, 0xc0);
    out(LCR, 0x80);
    out(FCR, 0xe7 | 0x20);
    out(LCR, 0x00);
    CHECK_EQ(in(IIR) & 0xe0, 0xc0);

    /* Start-up: THRE comes each time ETBEI is turned on. */
    out(MCR, 0x0b);
    out(IER, 0x02);
    CHECK_EQ(in(IIR) & 0x0f, 0x02);
    out(IER, 0x00);
    out(IER, 0x02);
    CHECK_EQ(in(IIR) & 0x0f, 0x02);
    CHECK_EQ(in(LSR) & 0x60, 0x60);
    CHECK_EQ(irqs(), 2);
}

static void put_text(const char *s)
{
    for ( ; *s; s++ )
        out(THR, *s);
}

/*
 * What the toolstack reads (domctl console_io): the ring by byte index,
 * lines as the guest sent them (no "(dN)" prefix), what the ring no
 * longer holds skipped, an index beyond what was written refused.
 */
TEST(vuart_console_read_by_index)
{
    static char buf[GUEST_CONSOLE_RING + 16];
    u64 index = 0;

    setup();
    CHECK_EQ(vuart_console_read(&dom, &index, buf, 10), 0);
    CHECK_EQ(index, 0);
    put_text("hello\nworld");           /* "world" is not a line yet */
    CHECK(stub_log_contains("(d3) hello\n"));
    CHECK_EQ(vuart_console_read(&dom, &index, buf, 100), 6);
    CHECK_EQ(memcmp(buf, "hello\n", 6), 0);
    CHECK_EQ(index, 6);
    put_text("\n");
    index = 2;
    CHECK_EQ(vuart_console_read(&dom, &index, buf, 3), 3);
    CHECK_EQ(memcmp(buf, "llo", 3), 0);
    CHECK_EQ(index, 5);
    CHECK_EQ(vuart_console_read(&dom, &index, buf, 0), 0);
    CHECK_EQ(index, 5);
    CHECK_EQ(vuart_console_read(&dom, &index, buf, 100), 7);
    CHECK_EQ(memcmp(buf, "\nworld\n", 7), 0);
    CHECK_EQ(index, 12);

    index = 13;
    CHECK_EQ(vuart_console_read(&dom, &index, buf, 10), -EINVAL);
    CHECK_EQ(index, 13);
    index = ~0ULL;
    CHECK_EQ(vuart_console_read(&dom, &index, buf, 10), -EINVAL);

    /* Past the ring's size: the oldest text is gone. */
    for ( unsigned int i = 0; i < GUEST_CONSOLE_RING / 8; i++ )
        put_text("abcdefg\n");
    index = 0;
    CHECK_EQ(vuart_console_read(&dom, &index, buf, sizeof(buf)),
             GUEST_CONSOLE_RING);
    CHECK_EQ(index, 12 + GUEST_CONSOLE_RING);
    /* Bytes 12 on: the first "abcdefg" line, the older text gone. */
    CHECK_EQ(memcmp(buf, "abcdefg\n", 8), 0);
    CHECK_EQ(memcmp(buf + GUEST_CONSOLE_RING - 8, "abcdefg\n", 8), 0);
}

/*
 * The 16550A UART at 0x3f8-0x3ff (COM1, ISA IRQ 4) as an HVM guest sees
 * it, after the National PC16550D datasheet (section numbers below are
 * its "8. Registers").
 *
 * Transmit: a byte written to THR leaves at once (the line is virtual),
 * so THR and the transmitter are always empty again by the time the
 * guest looks: LSR reads THRE|TEMT.  The THRE interrupt still follows
 * Table IV: writing THR clears it, the byte moving on sets it again (an
 * edge on the line), reading IIR while it is the reported source clears
 * it, and setting IER.ETBEI while THR is empty raises it.  Bytes go to
 * the console a line at a time as "(dN) text" and into the domain's ring
 * (struct vuart), as before: every domain keeps its prefix for now (see
 * README.md, "Serial console"); a PVH dom0's UART is the machine's
 * console and goes out raw (vuart_set_console).  The toolstack reads
 * the ring by byte index (vuart_console_read, domctl console_io).
 * Control characters other than tab are dropped and bytes >= 0x80 are
 * shown as '?': the guest is untrusted and its text reaches the
 * hypervisor's serial line.
 *
 * Receive: serial input for the domain (vuart_receive) and, in loopback,
 * the guest's own THR bytes go to RBR: a 16-byte FIFO when FCR.0 is set,
 * one holding register when not.  A byte arriving at a full FIFO or RBR
 * sets LSR.OE (8.6.3); in FIFO mode the byte is lost, without FIFOs it
 * replaces the unread one.  No parity, framing or break errors happen on
 * a virtual line.
 *
 * Character timeout (8.4, IIR 0xc): on hardware it fires when the FIFO
 * has held data below the trigger level for four character times with
 * nothing read or received.  A virtual line has no character time and
 * input arrives in bursts, so the timeout is taken as already expired:
 * data below the trigger level reports "timeout", data at or above it
 * "received data available".  Either way a driver is interrupted for
 * every byte, and the trigger level shows in the IIR code.  Table IV
 * gives the two the same priority; QEMU 7.2 and Bochs 2.7, with a timer,
 * report the timeout at or above the level too once it has run.
 *
 * Interrupts (Table IV): line status > received data or timeout > THR
 * empty > modem status, each enabled by its IER bit; IIR bits 7:6 read
 * 11 with FIFOs on.  The UART's INTR output reaches ISA IRQ 4 only while
 * MCR.OUT2 is set, as on a PC, where OUT2 gates the interrupt buffer;
 * in loopback the output pins, OUT2 among them, are forced inactive
 * (8.6.4), so the line is quiet then although IIR still reports the
 * source.  The line is a level (vioapic_set_irq) and the vIOAPIC makes
 * the edge of an edge-triggered pin.
 *
 * Modem status (8.6.7): outside loopback DCD, DSR and CTS are asserted
 * and RI is not, as a terminal on a null-modem cable would have it; in
 * loopback they follow OUT2, DTR, RTS and OUT1.  Changes set the delta
 * bits (TERI on RI's falling edge), which reading MSR clears.
 *
 * Locking: uart.lock covers every register, the FIFO, the line being
 * collected and the ring; several vCPUs and the serial input softirq
 * may use the UART at once.  It is never taken in hard interrupt
 * context.  The IRQ line is driven with the lock held, so the line
 * always follows the registers in order; lock order: uart.lock, then
 * vioapic.lock (vioapic_set_irq), then whatever vlapic_ipi() takes.
 * Nothing on those paths comes back to the UART.  The console lock is
 * taken under uart.lock (printk) so lines reach the console and the ring
 * in the same order.
 */
#include <xen/console.h>
#include <xen/errno.h>
#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
#include <asm/hvm/domain.h>
#include <asm/hvm/io.h>

#include "devices.h"

/* Register offsets from the base. */
#define UART_RBR_THR    0       /* DLL when LCR.DLAB */
#define UART_IER        1       /* DLM when LCR.DLAB */
#define UART_IIR_FCR    2
#define UART_LCR        3
#define UART_MCR        4
#define UART_LSR        5
#define UART_MSR        6
#define UART_SCR        7

#define IER_ERBFI       0x01
#define IER_ETBEI       0x02
#define IER_ELSI        0x04
#define IER_EDSSI       0x08

/* IIR interrupt identification (bits 3:0), Table IV. */
#define IIR_NO_INT      0x01
#define IIR_LINE_STATUS 0x06
#define IIR_RX_DATA     0x04
#define IIR_RX_TIMEOUT  0x0c
#define IIR_THRE        0x02
#define IIR_MODEM       0x00
#define IIR_FIFOS_ON    0xc0

#define FCR_ENABLE      0x01
#define FCR_RX_RESET    0x02
#define FCR_TX_RESET    0x04
#define FCR_DMA_MODE    0x08
#define FCR_TRIGGER     0xc0

#define LCR_BREAK       0x40
#define LCR_DLAB        0x80

#define MCR_DTR         0x01
#define MCR_RTS         0x02
#define MCR_OUT1        0x04
#define MCR_OUT2        0x08
#define MCR_LOOP        0x10

#define LSR_DR          0x01
#define LSR_OE          0x02
#define LSR_THRE        0x20
#define LSR_TEMT        0x40

#define MSR_DCTS        0x01
#define MSR_DDSR        0x02
#define MSR_TERI        0x04
#define MSR_DDCD        0x08
#define MSR_CTS         0x10
#define MSR_DSR         0x20
#define MSR_RI          0x40
#define MSR_DCD         0x80

void vuart_init(struct vuart *uart, struct domain *d)
{
    spin_lock_init(&uart->lock);
    uart->domain = d;
    uart->ier = 0;
    uart->lcr = 0;
    uart->mcr = 0;
    uart->scr = 0;
    uart->dll = 0;
    uart->dlm = 0;
    uart->fcr = 0;
    uart->lsr_errors = 0;
    uart->msr_delta = 0;
    uart->thre_pending = false;
    uart->irq_line = false;
    uart->rx_head = 0;
    uart->rx_count = 0;
    uart->line_len = 0;
    uart->ring_written = 0;
    memset(uart->rx, 0, sizeof(uart->rx));
    memset(uart->line, 0, sizeof(uart->line));
    memset(uart->ring, 0, sizeof(uart->ring));
}

/* Caller holds uart->lock. */
static void ring_put(struct vuart *uart, char c)
{
    uart->ring[uart->ring_written % GUEST_CONSOLE_RING] = c;
    uart->ring_written++;
}

long vuart_console_read(struct domain *d, u64 *index, char *buf,
                        unsigned int size)
{
    struct vuart *uart = &domain_hvm(d)->uart;
    unsigned int n = 0;
    u64 pos = *index;

    spin_lock(&uart->lock);
    if ( pos > uart->ring_written )
    {
        spin_unlock(&uart->lock);
        return -EINVAL;
    }
    if ( uart->ring_written - pos > GUEST_CONSOLE_RING )
        pos = uart->ring_written - GUEST_CONSOLE_RING;
    while ( n < size && pos < uart->ring_written )
        buf[n++] = uart->ring[pos++ % GUEST_CONSOLE_RING];
    spin_unlock(&uart->lock);
    *index = pos;
    return n;
}

/* Print and keep the collected line.  Caller holds uart->lock. */
static void flush_line(struct vuart *uart, domid_t id)
{
    unsigned int i, len = min(uart->line_len,
                              (unsigned int)GUEST_CONSOLE_LINE - 1);

    uart->line[len] = '\0';
    /* The text is an argument, never a format: '%' is just a character. */
    printk("(d%u) %s\n", id, uart->line);

    for ( i = 0; i < len; i++ )
        ring_put(uart, uart->line[i]);
    ring_put(uart, '\n');
    uart->line_len = 0;
}

/* A byte the guest transmitted.  Caller holds uart->lock. */
static void put_char(struct vuart *uart, domid_t id, u8 c)
{
    if ( uart->raw )
    {
        /* Lock order: uart->lock, then console_lock. */
        console_write_raw((const char *)&c, 1);
        ring_put(uart, c);
        return;
    }
    if ( c == '\n' )
    {
        flush_line(uart, id);
        return;
    }
    if ( (c < 0x20 && c != '\t') || c == 0x7f )
        return;
    if ( c >= 0x80 )
        c = '?';

    uart->line[uart->line_len++] = c;
    /* Keep room for the terminator: a full line goes out as it is. */
    if ( uart->line_len >= GUEST_CONSOLE_LINE - 1 )
        flush_line(uart, id);
}

/* What the modem status inputs are: a terminal, or the loopback. */
static u8 modem_lines(u8 mcr)
{
    u8 msr = 0;

    if ( !(mcr & MCR_LOOP) )
        return MSR_DCD | MSR_DSR | MSR_CTS;

    /* Loopback wires the MCR outputs back onto the MSR inputs. */
    if ( mcr & MCR_RTS )
        msr |= MSR_CTS;
    if ( mcr & MCR_DTR )
        msr |= MSR_DSR;
    if ( mcr & MCR_OUT1 )
        msr |= MSR_RI;
    if ( mcr & MCR_OUT2 )
        msr |= MSR_DCD;

    return msr;
}

static bool fifos_on(const struct vuart *uart)
{
    return uart->fcr & FCR_ENABLE;
}

/* Bytes the receiver holds before it overruns. */
static unsigned int rx_capacity(const struct vuart *uart)
{
    return fifos_on(uart) ? VUART_FIFO_SIZE : 1;
}

/* FCR bits 7:6: 1, 4, 8 or 14 bytes (8.5). */
static unsigned int rx_trigger(const struct vuart *uart)
{
    static const u8 level[4] = { 1, 4, 8, 14 };

    return level[(uart->fcr & FCR_TRIGGER) >> 6];
}

/* The highest-priority pending interrupt, IIR bits 3:0 (Table IV). */
static u8 pending_id(const struct vuart *uart)
{
    if ( (uart->ier & IER_ELSI) && uart->lsr_errors )
        return IIR_LINE_STATUS;
    if ( (uart->ier & IER_ERBFI) && uart->rx_count )
    {
        if ( fifos_on(uart) && uart->rx_count < rx_trigger(uart) )
            return IIR_RX_TIMEOUT;
        return IIR_RX_DATA;
    }
    if ( (uart->ier & IER_ETBEI) && uart->thre_pending )
        return IIR_THRE;
    if ( (uart->ier & IER_EDSSI) && uart->msr_delta )
        return IIR_MODEM;
    return IIR_NO_INT;
}

/*
 * Drive ISA IRQ 4 from the interrupt state: INTR, gated by the OUT2 pin
 * (inactive in loopback).  Caller holds uart->lock.
 */
static void update_irq(struct vuart *uart)
{
    bool level = (uart->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2 &&
                 pending_id(uart) != IIR_NO_INT;

    if ( level == uart->irq_line )
        return;
    uart->irq_line = level;
    if ( uart->domain )
        vioapic_set_irq(uart->domain, VUART_IRQ, level);
}

/* A byte reaches the receiver.  Caller holds uart->lock. */
static void rx_put(struct vuart *uart, u8 c)
{
    if ( uart->rx_count == rx_capacity(uart) )
    {
        uart->lsr_errors |= LSR_OE;
        /* Without FIFOs the new byte overwrites RBR; with, it is lost. */
        if ( !fifos_on(uart) )
            uart->rx[uart->rx_head] = c;
        return;
    }
    uart->rx[(uart->rx_head + uart->rx_count) % VUART_FIFO_SIZE] = c;
    uart->rx_count++;
}

/*
 * Move waiting serial input into the receiver while it has room: the line
 * delivers no faster than the guest reads (no overrun from a burst that a
 * real line at any baud rate would have spread out).  Caller holds
 * uart->lock.
 */
static void line_in_feed(struct vuart *uart)
{
    while ( uart->line_in_count && uart->rx_count < rx_capacity(uart) )
    {
        rx_put(uart, uart->line_in[uart->line_in_head]);
        uart->line_in_head = (uart->line_in_head + 1) % VUART_LINE_BUF;
        uart->line_in_count--;
    }
}

static u8 rx_get(struct vuart *uart)
{
    u8 c;

    if ( !uart->rx_count )
        return 0;
    c = uart->rx[uart->rx_head];
    uart->rx_head = (uart->rx_head + 1) % VUART_FIFO_SIZE;
    uart->rx_count--;
    line_in_feed(uart);
    return c;
}

static void rx_clear(struct vuart *uart)
{
    uart->rx_head = 0;
    uart->rx_count = 0;
}

/* Caller holds uart->lock; reads have side effects (IIR, LSR, MSR). */
static u8 reg_read(struct vuart *uart, unsigned int reg)
{
    bool dlab = uart->lcr & LCR_DLAB;
    u8 val;

    switch ( reg )
    {
    case UART_RBR_THR:
        if ( dlab )
            return uart->dll;
        val = rx_get(uart);
        break;
    case UART_IER:
        return dlab ? uart->dlm : uart->ier;
    case UART_IIR_FCR:
        val = pending_id(uart);
        /* Reporting THRE is what acknowledges it. */
        if ( val == IIR_THRE )
            uart->thre_pending = false;
        if ( fifos_on(uart) )
            val |= IIR_FIFOS_ON;
        break;
    case UART_LCR:
        return uart->lcr;
    case UART_MCR:
        return uart->mcr;
    case UART_LSR:
        val = LSR_THRE | LSR_TEMT | uart->lsr_errors;
        if ( uart->rx_count )
            val |= LSR_DR;
        uart->lsr_errors = 0;
        break;
    case UART_MSR:
        val = modem_lines(uart->mcr) | uart->msr_delta;
        uart->msr_delta = 0;
        break;
    default:
        return uart->scr;
    }

    update_irq(uart);
    return val;
}

/* A byte written to THR.  Caller holds uart->lock. */
static void transmit(struct vuart *uart, u8 c)
{
    /* Writing THR clears the THRE interrupt... */
    uart->thre_pending = false;
    update_irq(uart);

    /* In loopback the byte goes to the receiver, never to the line. */
    if ( uart->mcr & MCR_LOOP )
        rx_put(uart, c);
    else if ( !(uart->lcr & LCR_BREAK) && uart->domain )
        put_char(uart, uart->domain->domain_id, c);

    /* ...and the transmitter taking it at once empties THR again. */
    uart->thre_pending = true;
    update_irq(uart);
}

static void write_fcr(struct vuart *uart, u8 val)
{
    /* Switching the FIFOs on or off empties them (8.5, FCR0). */
    if ( (val ^ uart->fcr) & FCR_ENABLE )
        rx_clear(uart);
    /* The other bits are only written together with FCR0 set. */
    if ( !(val & FCR_ENABLE) )
        uart->fcr = 0;
    else
    {
        if ( val & FCR_RX_RESET )
            rx_clear(uart);
        /* FCR_TX_RESET: the transmit FIFO is always empty already. */
        uart->fcr = val & (FCR_ENABLE | FCR_DMA_MODE | FCR_TRIGGER);
    }
    /* Input waiting on the line comes in as the receiver has room. */
    line_in_feed(uart);
}

static void write_mcr(struct vuart *uart, u8 val)
{
    u8 old = modem_lines(uart->mcr), now, changed;

    uart->mcr = val & 0x1f;
    now = modem_lines(uart->mcr);
    changed = old ^ now;
    if ( changed & MSR_CTS )
        uart->msr_delta |= MSR_DCTS;
    if ( changed & MSR_DSR )
        uart->msr_delta |= MSR_DDSR;
    if ( changed & MSR_DCD )
        uart->msr_delta |= MSR_DDCD;
    /* TERI: RI went from asserted to not. */
    if ( (old & MSR_RI) && !(now & MSR_RI) )
        uart->msr_delta |= MSR_TERI;
}

/* Caller holds uart->lock. */
static void reg_write(struct vuart *uart, unsigned int reg, u8 val)
{
    bool dlab = uart->lcr & LCR_DLAB;

    switch ( reg )
    {
    case UART_RBR_THR:
        if ( dlab )
            uart->dll = val;
        else
            transmit(uart, val);
        return;
    case UART_IER:
        if ( dlab )
        {
            uart->dlm = val;
            return;
        }
        /* Enabling ETBEI with THR empty raises THRE at once. */
        if ( (val & IER_ETBEI) && !(uart->ier & IER_ETBEI) )
            uart->thre_pending = true;
        uart->ier = val & 0x0f;
        break;
    case UART_IIR_FCR:
        write_fcr(uart, val);
        break;
    case UART_LCR:
        uart->lcr = val;
        return;
    case UART_MCR:
        write_mcr(uart, val);
        break;
    case UART_SCR:
        uart->scr = val;
        return;
    default:
        /* LSR and MSR (factory test writes): dropped. */
        return;
    }

    update_irq(uart);
}

void vuart_portio(struct vcpu *v, bool write, u16 port, unsigned int size,
                  u32 *val)
{
    struct domain *d = v->domain;
    struct hvm_domain *hvm = domain_hvm(d);
    struct vuart *uart;
    unsigned int i;
    u32 result = 0;

    if ( !hvm || port < VUART_BASE || size > 4 ||
         port + size > VUART_BASE + VUART_PORTS )
        return;
    uart = &hvm->uart;

    /* A wide access touches consecutive registers, lowest byte first. */
    spin_lock(&uart->lock);
    for ( i = 0; i < size; i++ )
    {
        unsigned int reg = port - VUART_BASE + i;

        if ( write )
            reg_write(uart, reg, *val >> (8 * i));
        else
            result |= (u32)reg_read(uart, reg) << (8 * i);
    }
    spin_unlock(&uart->lock);

    if ( !write )
        *val = result;
}

unsigned int vuart_receive(struct domain *d, const u8 *buf, unsigned int len)
{
    struct hvm_domain *hvm = d ? domain_hvm(d) : NULL;
    struct vuart *uart;
    unsigned int i;

    if ( !hvm || !buf )
        return 0;
    uart = &hvm->uart;

    spin_lock(&uart->lock);
    /*
     * In loopback the serial input pin is disconnected (8.6.4).  Input
     * beyond what the line holds is lost, as a sender's without flow
     * control would be.
     */
    if ( uart->mcr & MCR_LOOP )
        len = 0;
    for ( i = 0; i < len && uart->line_in_count < VUART_LINE_BUF; i++ )
        uart->line_in[(uart->line_in_head + uart->line_in_count++) %
                      VUART_LINE_BUF] = buf[i];
    line_in_feed(uart);
    update_irq(uart);
    spin_unlock(&uart->lock);

    return i;
}

void vuart_set_console(struct domain *d)
{
    struct vuart *uart = &domain_hvm(d)->uart;

    spin_lock(&uart->lock);
    uart->raw = true;
    spin_unlock(&uart->lock);
}

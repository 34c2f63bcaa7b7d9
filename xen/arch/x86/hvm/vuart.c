/*
 * The 16550 UART at 0x3f8-0x3ff as an HVM guest sees it: an output-only
 * console.  Bytes written to THR are collected into a line; a complete
 * line goes to the hypervisor console as "(dN) text" and into the
 * domain's ring (struct vuart), where the toolstack can read it later.
 *
 * The transmitter is always idle (LSR reads THRE|TEMT), nothing is ever
 * received (RBR reads 0, LSR.DR stays clear) and no interrupt is raised
 * (IIR reads 0x01), so a guest driver polls.  The divisor latch, IER,
 * LCR, MCR and the scratch register are stored and read back, which is
 * what drivers probe (Linux's 8250 autoconfig: scratch, IER and the
 * loopback test on MSR).  FCR writes are dropped, so the UART identifies
 * as a 16450 without FIFOs.
 *
 * The guest is untrusted and its text ends up on the hypervisor's serial
 * line: control characters other than tab are dropped (no escape
 * sequences, no cursor games) and bytes >= 0x80 are shown as '?' (no C1
 * controls, no half UTF-8 sequences).
 *
 * Locking: uart.lock, since several vCPUs may print at once.  The line is
 * printed with the lock held so that the console and the ring see lines
 * in the same order.
 */
#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
#include <asm/hvm/domain.h>

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

#define LCR_DLAB        0x80
#define MCR_DTR         0x01
#define MCR_RTS         0x02
#define MCR_OUT1        0x04
#define MCR_OUT2        0x08
#define MCR_LOOP        0x10
#define LSR_THRE        0x20
#define LSR_TEMT        0x40
#define IIR_NO_INT      0x01
#define MSR_CTS         0x10
#define MSR_DSR         0x20
#define MSR_RI          0x40
#define MSR_DCD         0x80

void vuart_init(struct vuart *uart)
{
    spin_lock_init(&uart->lock);
    uart->ier = 0;
    uart->lcr = 0;
    uart->mcr = 0;
    uart->scr = 0;
    uart->dll = 0;
    uart->dlm = 0;
    uart->line_len = 0;
    uart->ring_written = 0;
    memset(uart->line, 0, sizeof(uart->line));
    memset(uart->ring, 0, sizeof(uart->ring));
}

/* Caller holds uart->lock. */
static void ring_put(struct vuart *uart, char c)
{
    uart->ring[uart->ring_written % GUEST_CONSOLE_RING] = c;
    uart->ring_written++;
}

/* Print and keep the collected line.  Caller holds uart->lock. */
static void flush_line(struct vuart *uart, const struct domain *d)
{
    unsigned int i, len = min(uart->line_len,
                              (unsigned int)GUEST_CONSOLE_LINE - 1);

    uart->line[len] = '\0';
    /* The text is an argument, never a format: '%' is just a character. */
    printk("(d%u) %s\n", d->domain_id, uart->line);

    for ( i = 0; i < len; i++ )
        ring_put(uart, uart->line[i]);
    ring_put(uart, '\n');
    uart->line_len = 0;
}

/* A byte the guest transmitted.  Caller holds uart->lock. */
static void put_char(struct vuart *uart, const struct domain *d, u8 c)
{
    if ( c == '\n' )
    {
        flush_line(uart, d);
        return;
    }
    if ( (c < 0x20 && c != '\t') || c == 0x7f )
        return;
    if ( c >= 0x80 )
        c = '?';

    uart->line[uart->line_len++] = c;
    /* Keep room for the terminator: a full line goes out as it is. */
    if ( uart->line_len >= GUEST_CONSOLE_LINE - 1 )
        flush_line(uart, d);
}

/* What MSR reads: modem lines a terminal would assert, or the loopback. */
static u8 modem_status(const struct vuart *uart)
{
    u8 msr = 0;

    if ( !(uart->mcr & MCR_LOOP) )
        return MSR_DCD | MSR_DSR | MSR_CTS;

    /* Loopback wires the MCR outputs back onto the MSR inputs. */
    if ( uart->mcr & MCR_RTS )
        msr |= MSR_CTS;
    if ( uart->mcr & MCR_DTR )
        msr |= MSR_DSR;
    if ( uart->mcr & MCR_OUT1 )
        msr |= MSR_RI;
    if ( uart->mcr & MCR_OUT2 )
        msr |= MSR_DCD;

    return msr;
}

/* Caller holds uart->lock. */
static u8 reg_read(const struct vuart *uart, unsigned int reg)
{
    bool dlab = uart->lcr & LCR_DLAB;

    switch ( reg )
    {
    case UART_RBR_THR:
        return dlab ? uart->dll : 0;
    case UART_IER:
        return dlab ? uart->dlm : uart->ier;
    case UART_IIR_FCR:
        return IIR_NO_INT;
    case UART_LCR:
        return uart->lcr;
    case UART_MCR:
        return uart->mcr;
    case UART_LSR:
        return LSR_THRE | LSR_TEMT;
    case UART_MSR:
        return modem_status(uart);
    default:
        return uart->scr;
    }
}

/* Caller holds uart->lock. */
static void reg_write(struct vuart *uart, const struct domain *d,
                      unsigned int reg, u8 val)
{
    bool dlab = uart->lcr & LCR_DLAB;

    switch ( reg )
    {
    case UART_RBR_THR:
        if ( dlab )
            uart->dll = val;
        /* In loopback the byte never reaches the line, as on hardware. */
        else if ( !(uart->mcr & MCR_LOOP) )
            put_char(uart, d, val);
        break;
    case UART_IER:
        if ( dlab )
            uart->dlm = val;
        else
            uart->ier = val & 0x0f;
        break;
    case UART_LCR:
        uart->lcr = val;
        break;
    case UART_MCR:
        uart->mcr = val & 0x1f;
        break;
    case UART_SCR:
        uart->scr = val;
        break;
    default:
        /* FCR, and LSR/MSR (factory test writes): dropped. */
        break;
    }
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
            reg_write(uart, d, reg, *val >> (8 * i));
        else
            result |= (u32)reg_read(uart, reg) << (8 * i);
    }
    spin_unlock(&uart->lock);

    if ( !write )
        *val = result;
}

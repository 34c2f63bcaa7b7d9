/*
 * Driver for the 16550 UART at COM1 (0x3f8): polled output at 115200 8N1.
 * Polling keeps the console usable from any context, including a pCPU
 * that is crashing with interrupts off.
 */
#include <xen/serial.h>
#include <asm/io.h>

#define COM1        0x3f8
#define UART_RBR    0       /* receive buffer (read) */
#define UART_THR    0       /* transmit holding (write) */
#define UART_IER    1
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define UART_DLL    0       /* with LCR.DLAB */
#define UART_DLM    1

#define LCR_DLAB    0x80
#define LCR_8N1     0x03
#define LSR_DR      0x01    /* data ready */
#define LSR_THRE    0x20    /* transmit holding register empty */
#define LSR_TEMT    0x40    /* transmitter (shift register too) empty */

static bool present;

void serial_init(void)
{
    outb(0, COM1 + UART_IER);               /* polled: no interrupts */
    outb(LCR_DLAB, COM1 + UART_LCR);
    outb(1, COM1 + UART_DLL);               /* 115200 baud */
    outb(0, COM1 + UART_DLM);
    outb(LCR_8N1, COM1 + UART_LCR);
    outb(0x07, COM1 + UART_FCR);            /* FIFOs on and cleared */
    outb(0x03, COM1 + UART_MCR);            /* DTR, RTS */

    /* A missing UART reads as all ones: do not spin on it forever. */
    present = inb(COM1 + UART_LSR) != 0xff;
}

void serial_putc(char c)
{
    unsigned int tries = 100000;

    if ( !present )
        return;
    if ( c == '\n' )
        serial_putc('\r');
    while ( !(inb(COM1 + UART_LSR) & LSR_THRE) && --tries )
        ;
    outb((u8)c, COM1 + UART_THR);
}

int serial_getc(void)
{
    if ( !present || !(inb(COM1 + UART_LSR) & LSR_DR) )
        return -1;
    return inb(COM1 + UART_RBR);
}

void serial_flush(void)
{
    unsigned int tries = 1000000;

    while ( present && !(inb(COM1 + UART_LSR) & LSR_TEMT) && --tries )
        ;
}

void serial_enable_rx_irq(void)
{
    if ( !present )
        return;
    /* OUT2 gates the UART's interrupt line onto the ISA bus on a PC. */
    outb(inb(COM1 + UART_MCR) | 0x08, COM1 + UART_MCR);
    outb(0x01, COM1 + UART_IER);            /* received data available */
}

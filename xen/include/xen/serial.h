/*
 * The serial port the console writes to.
 */
#ifndef XEN_SERIAL_H
#define XEN_SERIAL_H

#include <xen/types.h>

void serial_init(void);
void serial_putc(char c);
/* A received byte, or -1 when none is waiting. */
int serial_getc(void);
/* Raise an interrupt for each received byte (IRQ 4 on a PC). */
void serial_enable_rx_irq(void);
/* Wait until every byte written has left the transmitter. */
void serial_flush(void);

#endif /* XEN_SERIAL_H */

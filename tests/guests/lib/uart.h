/*
 * The 16550A's registers and bits (National PC16550D datasheet), for
 * tests that drive COM1 beyond the console's polled output.
 */
#ifndef GUEST_UART_H
#define GUEST_UART_H

#include "console.h"

#define UART_RBR        (UART_BASE + 0)
#define UART_THR        (UART_BASE + 0)
#define UART_IER        (UART_BASE + 1)
#define UART_IIR        (UART_BASE + 2)
#define UART_FCR        (UART_BASE + 2)
#define UART_LCR        (UART_BASE + 3)
#define UART_MCR        (UART_BASE + 4)
#define UART_LSR        (UART_BASE + 5)
#define UART_MSR        (UART_BASE + 6)

#define UART_ISA_IRQ    4

#define IER_ERBFI       0x01
#define IER_ETBEI       0x02
#define IER_ELSI        0x04

#define IIR_NO_INT      0x01
#define IIR_ID_MASK     0x0f
#define IIR_THRE        0x02
#define IIR_RX_DATA     0x04
#define IIR_RX_TIMEOUT  0x0c
#define IIR_FIFOS_ON    0xc0

#define FCR_ENABLE      0x01
#define FCR_RESET_RX    0x02
#define FCR_RESET_TX    0x04
#define FCR_TRIGGER_4   0x40
#define FCR_TRIGGER_8   0x80

#define MCR_DTR         0x01
#define MCR_RTS         0x02
#define MCR_OUT2        0x08
#define MCR_LOOP        0x10

#define LSR_DR          0x01
#define LSR_THRE        0x20

#endif /* GUEST_UART_H */

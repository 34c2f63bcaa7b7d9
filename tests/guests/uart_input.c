/*
 * uart_input: serial input reaches the guest through COM1's receive
 * interrupt.  The kernel routes IOAPIC pin 4 (ISA IRQ 4) to a vector,
 * turns on the FIFOs (trigger level 8, so a short line ends with the
 * character timeout and a longer one with "data available"), IER.ERBFI
 * and ELSI and MCR.OUT2, prints "uart_input: ready", and waits in HLT for
 * a line typed on the serial console.  The interrupt handler drains RBR
 * while LSR.DR is set, as a driver does; the line must arrive whole,
 * through interrupts only (nothing polls RBR outside the handler), with
 * no overrun, and equal the expected text.
 *
 * Environment: expect=TEXT (default "hello-uart"), the line to wait for
 * (up to 14 characters: the 16-byte FIFO with its CR must not overrun);
 * timeout_ms=N (default 30000).
 */
#include "test.h"
#include "ioapic.h"
#include "uart.h"

const char test_name[] = "uart_input";

#define VEC_UART        0x75
#define TICK_US         20000
#define MAX_LINE        64

static volatile uint32_t irqs, line_done, overruns;
static char line[MAX_LINE];
static volatile unsigned int line_len;

static void on_uart(struct regs *r)
{
    uint8_t iir, lsr;

    (void)r;
    irqs++;
    /* Until IIR says nothing is pending, as the 8250 driver loops. */
    while ( !((iir = inb(UART_IIR)) & IIR_NO_INT) )
    {
        while ( (lsr = inb(UART_LSR)) & LSR_DR )
        {
            char c = inb(UART_RBR);

            if ( lsr & 0x02 )
                overruns++;
            if ( c == '\r' || c == '\n' )
                line_done = 1;
            else if ( !line_done && line_len < MAX_LINE - 1 )
                line[line_len++] = c;
        }
        if ( lsr & 0x02 )
            overruns++;
    }
    apic_eoi();
}

void test_main(void)
{
    const char *expect = env_get("expect") ?: "hello-uart";
    uint64_t timeout_us = env_u32("timeout_ms", 30000) * 1000ull;
    uint64_t end;
    uint32_t ioapic;

    platform_init(APIC_MODE_XAPIC, false);
    ioapic = madt.ioapic_addr;
    if ( !ioapic )
        test_fail("no IOAPIC in the MADT");
    if ( strlen(expect) > 14 )
        test_fail("expect= is longer than 14 characters");
    idt_set_handler(VEC_UART, on_uart);
    ioapic_route(ioapic, UART_ISA_IRQ, VEC_UART, percpu[0].apic_id, 0);

    outb(UART_FCR, FCR_ENABLE | FCR_RESET_RX | FCR_TRIGGER_8);
    while ( inb(UART_LSR) & LSR_DR )
        inb(UART_RBR);
    outb(UART_MCR, inb(UART_MCR) | MCR_OUT2 | MCR_DTR | MCR_RTS);
    outb(UART_IER, IER_ERBFI | IER_ELSI);
    tick_start(TICK_US);
    sti();
    printf("uart_input: ready, type '%s' and Enter\n", expect);

    end = deadline_us(timeout_us);
    while ( !line_done && rdtsc() < end )
        sti_hlt();
    cli();
    tick_stop();
    outb(UART_IER, 0);
    ioapic_mask(ioapic, UART_ISA_IRQ);
    line[line_len] = '\0';

    if ( !line_done )
        test_fail("no line within %u ms (%u interrupts, got '%s')",
                  (unsigned int)(timeout_us / 1000), irqs, line);
    if ( overruns )
        test_fail("%u overruns", overruns);
    if ( strcmp(line, expect) )
        test_fail("received '%s', wanted '%s'", line, expect);
    test_pass("received '%s' in %u interrupts", line, irqs);
}

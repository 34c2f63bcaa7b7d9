/*
 * uart_irq: COM1 as an interrupting 16550A on ISA IRQ 4, routed through
 * IOAPIC pin 4 (no MADT override) to a vector, edge, active high:
 *  1. with MCR.OUT2 clear, a pending THRE interrupt (IIR says so) never
 *     reaches the CPU;
 *  2. with OUT2 set, enabling IER.ETBEI raises THRE once; reading IIR
 *     (0x02) acknowledges it, and it stays quiet;
 *  3. a THR write raises THRE again, once;
 *  4. loopback (MCR.LOOP): bytes written to THR come back in RBR in
 *     order, LSR.DR and IIR "received data" (FIFOs on: 0xc4) report them,
 *     MSR follows MCR; and the interrupt stays off the bus, since the
 *     OUT2 pin is forced inactive in loopback (PC16550D 8.6.4);
 *  5. FIFO trigger level 4 (loopback): 3 bytes give the character
 *     timeout (IIR 0xcc, after waiting well beyond 4 character times),
 *     the 4th "received data available" (0xc4); reading drains it;
 *  6. with a second CPU: pin 4 routed to it, a THRE raised by CPU 0's
 *     IER write is taken on CPU 1, not on CPU 0.
 * Nothing is printed while the UART is reconfigured (the console shares
 * it); the UART is restored before the verdict.
 *
 * Environment (for emulators that deviate; default 1 = strict):
 *   out2_gates=0  skip "no interrupt without OUT2" (QEMU 7.2 ignores
 *                 OUT2; Bochs 2.7 honours it)
 *   loop_quiet=0  allow interrupts in loopback (QEMU 7.2 and Bochs 2.7
 *                 deliver them, as if OUT2 stayed active)
 *   rda_only=0    accept the character timeout (0xcc) where the FIFO is
 *                 at or above its trigger level: QEMU 7.2 and Bochs 2.7
 *                 report the timeout once their timer has run, whatever
 *                 the level; the datasheet gives both the same priority,
 *                 and xen-lite, whose timeout has always run, reports
 *                 "data available" there so the level shows
 */
#include "test.h"
#include "ioapic.h"
#include "uart.h"

const char test_name[] = "uart_irq";

#define VEC_UART        0x74
#define IRQ_WAIT_US     1000000
#define QUIET_US        20000

static volatile uint32_t irqs[MAX_CPUS];
static uint8_t saved_lcr, saved_mcr;
static bool rda_only;

static void on_uart(struct regs *r)
{
    (void)r;
    irqs[smp_cpu()]++;
    apic_eoi();
}

/* The console's polled set-up: no interrupts, no loopback. */
static void uart_restore(void)
{
    outb(UART_IER, 0);
    outb(UART_MCR, saved_mcr & ~(MCR_LOOP | MCR_OUT2));
    outb(UART_LCR, saved_lcr);
    while ( inb(UART_LSR) & LSR_DR )
        inb(UART_RBR);
    inb(UART_IIR);
}

#define UCHECK(cond, ...)                       \
    do {                                        \
        if ( !(cond) )                          \
        {                                       \
            uart_restore();                     \
            test_fail(__VA_ARGS__);             \
        }                                       \
    } while ( 0 )

/* Spin (IF=1) until CPU cpu has taken want interrupts; false on timeout. */
static bool wait_irqs(unsigned int cpu, uint32_t want)
{
    return wait_u32(&irqs[cpu], want, IRQ_WAIT_US);
}

static void thre_and_out2(bool out2_gates)
{
    uint8_t iir;

    /* 1. ETBEI on, OUT2 off: pending in IIR, but not on the bus. */
    outb(UART_MCR, MCR_DTR | MCR_RTS);
    outb(UART_IER, IER_ETBEI);
    udelay(QUIET_US);
    iir = inb(UART_IIR);
    UCHECK((iir & IIR_ID_MASK) == IIR_THRE, "IIR %#x with ETBEI, wanted THRE",
           iir);
    if ( out2_gates )
        UCHECK(irqs[0] == 0, "%u interrupts with MCR.OUT2 clear", irqs[0]);
    irqs[0] = 0;

    /* 2. OUT2 on, ETBEI re-enabled: one THRE interrupt, acked by IIR. */
    outb(UART_IER, 0);
    outb(UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    outb(UART_IER, IER_ETBEI);
    UCHECK(wait_irqs(0, 1), "no THRE interrupt after enabling ETBEI");
    iir = inb(UART_IIR);
    UCHECK((iir & IIR_ID_MASK) == IIR_THRE, "IIR %#x in the THRE interrupt",
           iir);
    iir = inb(UART_IIR);
    UCHECK((iir & IIR_ID_MASK) == IIR_NO_INT,
           "IIR %#x after THRE was acknowledged", iir);
    udelay(QUIET_US);
    UCHECK(irqs[0] == 1, "%u THRE interrupts, wanted 1", irqs[0]);

    /* 3. A THR write (a newline: a blank line in the log) raises it. */
    outb(UART_THR, '\n');
    UCHECK(wait_irqs(0, 2), "no THRE interrupt after a THR write");
    udelay(QUIET_US);
    UCHECK(irqs[0] == 2, "%u interrupts after one THR write, wanted 2",
           irqs[0]);
    iir = inb(UART_IIR);
    UCHECK((iir & IIR_ID_MASK) == IIR_THRE, "IIR %#x after a THR write",
           iir);
    outb(UART_IER, 0);
}

/* "Received data available" with FIFOs on (see rda_only). */
static bool rx_data_iir(uint8_t iir)
{
    return iir == (IIR_FIFOS_ON | IIR_RX_DATA) ||
           (!rda_only && iir == (IIR_FIFOS_ON | IIR_RX_TIMEOUT));
}

static void loopback(bool loop_quiet)
{
    static const char msg[] = "LoOp";
    uint32_t before = irqs[0];
    unsigned int i;
    uint8_t iir, lsr, msr, c;

    /* 4. FIFOs on (trigger 1), RX interrupt enabled, then loopback. */
    outb(UART_FCR, FCR_ENABLE | FCR_RESET_RX | FCR_RESET_TX);
    outb(UART_IER, IER_ERBFI);
    outb(UART_MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS | MCR_DTR);
    msr = inb(UART_MSR);
    UCHECK((msr & 0xf0) == 0xb0, "loopback MSR %#x, wanted DCD|DSR|CTS", msr);
    for ( i = 0; msg[i]; i++ )
        outb(UART_THR, msg[i]);
    udelay(QUIET_US);
    lsr = inb(UART_LSR);
    UCHECK(lsr & LSR_DR, "LSR %#x after the loopback writes", lsr);
    iir = inb(UART_IIR);
    UCHECK(rx_data_iir(iir), "IIR %#x with looped-back data, wanted 0xc4",
           iir);
    for ( i = 0; msg[i]; i++ )
    {
        c = inb(UART_RBR);
        UCHECK(c == (uint8_t)msg[i], "loopback byte %u is %#x, wanted %#x",
               i, c, msg[i]);
    }
    lsr = inb(UART_LSR);
    UCHECK(!(lsr & LSR_DR), "LSR %#x after draining", lsr);
    iir = inb(UART_IIR);
    UCHECK(iir == (IIR_FIFOS_ON | IIR_NO_INT), "IIR %#x after draining",
           iir);

    /* 5. Trigger level 4: timeout below it, data available at it. */
    outb(UART_FCR, FCR_ENABLE | FCR_RESET_RX | FCR_TRIGGER_4);
    for ( i = 0; i < 3; i++ )
        outb(UART_THR, 'a' + i);
    udelay(QUIET_US);
    iir = inb(UART_IIR);
    UCHECK(iir == (IIR_FIFOS_ON | IIR_RX_TIMEOUT),
           "IIR %#x with 3 bytes at trigger level 4, wanted 0xcc", iir);
    outb(UART_THR, 'd');
    udelay(QUIET_US);
    iir = inb(UART_IIR);
    UCHECK(rx_data_iir(iir),
           "IIR %#x with 4 bytes at trigger level 4, wanted 0xc4", iir);
    for ( i = 0; i < 4; i++ )
        inb(UART_RBR);
    iir = inb(UART_IIR);
    UCHECK(iir == (IIR_FIFOS_ON | IIR_NO_INT), "IIR %#x after draining",
           iir);

    if ( loop_quiet )
        UCHECK(irqs[0] == before, "%u interrupts in loopback (OUT2 pin "
               "inactive)", irqs[0] - before);
    outb(UART_IER, 0);
    outb(UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    outb(UART_FCR, 0);
}

static void other_cpu(uint32_t ioapic)
{
    uint32_t on0 = irqs[0];
    uint8_t iir;

    /* 6. Pin 4 to CPU 1; CPU 0's IER write raises the line. */
    ioapic_route(ioapic, UART_ISA_IRQ, VEC_UART, percpu[1].apic_id, 0);
    outb(UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    outb(UART_IER, IER_ETBEI);
    UCHECK(wait_irqs(1, 1), "CPU 1 took no THRE interrupt routed to it");
    iir = inb(UART_IIR);
    UCHECK((iir & IIR_ID_MASK) == IIR_THRE, "IIR %#x (routed to CPU 1)",
           iir);
    udelay(QUIET_US);
    UCHECK(irqs[1] == 1 && irqs[0] == on0,
           "CPU 1 took %u, CPU 0 %u interrupts, wanted 1 and 0", irqs[1],
           irqs[0] - on0);
    outb(UART_IER, 0);
}

void test_main(void)
{
    bool out2_gates = env_u32("out2_gates", 1);
    bool loop_quiet = env_u32("loop_quiet", 1);
    rda_only = env_u32("rda_only", 1);
    unsigned int cpus = platform_init(APIC_MODE_XAPIC, true);
    uint32_t ioapic = madt.ioapic_addr;

    if ( !ioapic )
        test_fail("no IOAPIC in the MADT");
    idt_set_handler(VEC_UART, on_uart);
    console_flush();

    saved_lcr = inb(UART_LCR);
    saved_mcr = inb(UART_MCR);
    outb(UART_IER, 0);
    ioapic_route(ioapic, UART_ISA_IRQ, VEC_UART, percpu[0].apic_id, 0);
    sti();

    thre_and_out2(out2_gates);
    loopback(loop_quiet);
    if ( cpus > 1 )
        other_cpu(ioapic);

    ioapic_mask(ioapic, UART_ISA_IRQ);
    uart_restore();
    test_pass("THRE interrupt acked by IIR and raised by THR, gated by "
              "OUT2, loopback and trigger level 4, %s",
              cpus > 1 ? "taken on the routed CPU 1" : "1 CPU");
}

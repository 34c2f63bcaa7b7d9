/*
 * Per-domain HVM state: the device models and what the guest's exit port
 * reported.
 */
#ifndef ASM_X86_HVM_DOMAIN_H
#define ASM_X86_HVM_DOMAIN_H

#include <xen/types.h>
#include <xen/spinlock.h>
#include <asm/hvm/io.h>
#include <asm/hvm/kvmclock.h>

#define GUEST_CONSOLE_LINE  256
#define GUEST_CONSOLE_RING  4096
#define VUART_FIFO_SIZE     16          /* the 16550A's receive FIFO */
#define VUART_LINE_BUF      256         /* serial input not yet received */

struct hvm_portio_range
{
    u16 port, count;
    portio_fn fn;
};

struct hvm_mmio_range
{
    u64 gpa, len;
    mmio_fn fn;
};

struct domain;

/* The 16550A (vuart.c); everything under 'lock'. */
struct vuart
{
    spinlock_t lock;
    struct domain *domain;      /* whose console and IOAPIC pin 4 */
    u8 ier, lcr, mcr, scr, dll, dlm;
    u8 fcr;                     /* FIFO enable, DMA mode, trigger level */
    u8 lsr_errors;              /* LSR.OE until LSR is read */
    u8 msr_delta;               /* MSR bits 3:0 until MSR is read */
    bool thre_pending;          /* the THRE interrupt (Table IV) */
    bool irq_line;              /* the level driven onto IRQ 4 */
    u8 rx[VUART_FIFO_SIZE];     /* receive FIFO (one byte without FIFOs) */
    unsigned int rx_head, rx_count;
    char line[GUEST_CONSOLE_LINE];
    unsigned int line_len;
    char ring[GUEST_CONSOLE_RING];     /* what the guest printed, kept */
    u64 ring_written;
    /*
     * Serial input still on the line: it enters the receiver as the FIFO
     * drains, as a line with hardware flow control would deliver it.
     */
    u8 line_in[VUART_LINE_BUF];
    unsigned int line_in_head, line_in_count;
    bool raw;                   /* the machine's console: output as it is */
};

struct vioapic
{
    spinlock_t lock;
    u32 ioregsel;
    u32 id;
    u64 redir[VIOAPIC_PINS];
    u32 irr;                    /* asserted level inputs */
};

struct vpit
{
    spinlock_t lock;
    struct
    {
        u16 reload;
        u8 mode, rw, latched, read_hi, write_hi;
        u16 latch;
        s_time_t start;         /* when the count was loaded */
    } ch[3];
    u8 port61;
};

/* The MC146818 RTC and CMOS RAM (rtc.c). */
struct vrtc
{
    spinlock_t lock;            /* everything below but 'index' */
    u8 index;                   /* port 0x70: one byte, stored lock-free */
    u8 a, b;                    /* registers A (UIP aside) and B */
    u8 alarm[3];                /* seconds, minutes, hours alarms */
    s64 offset_ns;              /* the guest's clock - wall-clock time */
    u64 held;                   /* while B.SET: the time held (s) */
    u8 nvram[128];              /* bytes 0x0e-0x7f (0x32 aside) */
};

/* The GED's event status register (acpi_pm.c); ged_sts under 'lock'. */
struct vacpi_pm
{
    spinlock_t lock;
    u8 ged_sts;                 /* ACPI_GED_*_STS bits: the line's level */
};

struct hvm_domain
{
    unsigned int nr_portio, nr_mmio;
    struct hvm_portio_range portio[HVM_MAX_PORTIO];
    struct hvm_mmio_range mmio[HVM_MAX_MMIO];

    struct vuart uart;
    struct vioapic vioapic;
    /*
     * VMX APICv: bumped (seq_cst) each time a redirection entry changes
     * which vectors the vIOAPIC sends level-triggered, so that an entry
     * after an IPI fast-path exit can tell whether its EOI-exit bitmap
     * is still current (vmx.c, apicv_sync_needed()).
     */
    u64 levels_gen;
    struct vpit pit;
    u8 pic_imr[2];
    u8 pic_icw[2];              /* where each PIC is in its ICW sequence */
    struct vrtc rtc;
    struct vacpi_pm acpi_pm;
    u32 pci_cf8;

    /* vCPUs that are not inert (progress.c); atomic. */
    int nr_active;

    struct kvm_pv_domain kvm_pv;    /* kvmclock and steal time */

    bool exit_requested;        /* the guest wrote the exit port */
    u32 exit_status;

    void *backend;              /* nested page tables (SVM NPT, VMX EPT) */
};

/* The HVM state of d (set up by the HVM layer at domain creation). */
struct hvm_domain *domain_hvm(struct domain *d);

/*
 * The guest wrote 'status' to the exit port: the HVM layer ends the
 * domain (implemented in hvm.c).
 */
void hvm_domain_exit(struct domain *d, u32 status);

/*
 * The guest powered off or reset itself (ACPI): end the domain with
 * SHUTDOWN_poweroff or SHUTDOWN_reboot, neither a failure (hvm.c).
 */
void hvm_domain_shutdown(struct domain *d, u8 reason);

#endif /* ASM_X86_HVM_DOMAIN_H */

/*
 * Emulated devices of an HVM domain: port I/O and MMIO handlers, looked up
 * by the exit handlers.  A port or address nobody claims behaves like an
 * empty PC bus: reads return all ones, writes are dropped.
 */
#ifndef ASM_X86_HVM_IO_H
#define ASM_X86_HVM_IO_H

#include <xen/types.h>

struct vcpu;
struct domain;

/* size is 1, 2 or 4 (port) or 1, 2, 4, 8 (MMIO); *val holds the data. */
typedef void (*portio_fn)(struct vcpu *v, bool write, u16 port,
                          unsigned int size, u32 *val);
typedef void (*mmio_fn)(struct vcpu *v, bool write, u64 gpa,
                        unsigned int size, u64 *val);

#define HVM_MAX_PORTIO  16
#define HVM_MAX_MMIO    8

/* Claim [port, port+count) or [gpa, gpa+len); -EEXIST on overlap, -ENOSPC. */
int register_portio_handler(struct domain *d, u16 port, u16 count,
                            portio_fn fn);
int register_mmio_handler(struct domain *d, u64 gpa, u64 len, mmio_fn fn);

/* Dispatch an access; unclaimed: reads ~0 (masked to size), writes dropped. */
void hvm_portio(struct vcpu *v, bool write, u16 port, unsigned int size,
                u32 *val);
/* false when no handler claims gpa (the caller decides what that means). */
bool hvm_mmio(struct vcpu *v, bool write, u64 gpa, unsigned int size,
              u64 *val);
bool hvm_mmio_claimed(const struct domain *d, u64 gpa);

/* The standard PC devices: UART, exit port, PIC, PIT, RTC, PCI, IOAPIC. */
int hvm_platform_init(struct domain *d);
void hvm_platform_destroy(struct domain *d);

/*
 * QEMU pc-testdev's interrupt lines (ports 0x2000-0x2017) in d, for guest
 * tests (testdev.c); only on request (boot module option testdev=1).
 * Call while the domain is built, before any of its vCPUs runs.
 */
int hvm_testdev_init(struct domain *d);

/*
 * The ACPI registers of the hardware-reduced platform (acpi_pm.c): the
 * sleep and reset registers the FADT lists, and the event status register
 * of the Generic Event Device in dsdt.asl, which must agree on the port,
 * the bit and the GSI.  ACPI_S5_SLP_TYP is \_S5's SLP_TYPa in dsdt.asl.
 */
#define ACPI_PM_BASE            0x600
#define ACPI_PM_PORTS           4
#define ACPI_SLEEP_CONTROL_PORT 0x600
#define ACPI_SLEEP_STATUS_PORT  0x601
#define ACPI_RESET_PORT         0x602
#define ACPI_GED_STATUS_PORT    0x603
#define ACPI_GED_PWRBTN_STS     0x01
#define ACPI_GED_GSI            23
#define ACPI_RESET_VALUE        0x01
#define ACPI_S5_SLP_TYP         5

/*
 * Press d's power button (XEN_DOMCTL_SENDTRIGGER_POWER): the GED's status
 * bit is set and its interrupt asserted until the guest clears the bit.
 * Pressing while pressed changes nothing.  Takes the register block's
 * lock, then the vIOAPIC's: not for hard IRQ context.
 */
void acpi_pm_power_button(struct domain *d);

/* The virtual IOAPIC at 0xfec00000 (24 pins, GSI 0-23). */
#define VIOAPIC_BASE    0xfec00000ULL
#define VIOAPIC_PINS    24
void vioapic_set_irq(struct domain *d, unsigned int gsi, bool level);
/* An unmasked entry delivers NMI or INIT (progress.c). */
bool vioapic_sends_nmi_or_init(struct domain *d);

/*
 * Serial input for d's COM1: the bytes go to its receiver as if they had
 * come down the line (a full FIFO overruns).  Returns how many were
 * taken (0 in loopback, where the input pin is disconnected).  Takes the
 * UART's lock: not for hard interrupt context.
 */
unsigned int vuart_receive(struct domain *d, const u8 *buf, unsigned int len);
/*
 * Up to 'size' bytes of what d's UART transmitted, from *index (bytes
 * ever put in its ring; text the ring no longer holds is skipped), with
 * *index moved past them: the count, or -EINVAL for an index beyond what
 * was written.  Takes the UART's lock.
 */
long vuart_console_read(struct domain *d, u64 *index, char *buf,
                        unsigned int size);
/* d's UART is the machine's console: its output goes out unprefixed. */
void vuart_set_console(struct domain *d);

#endif /* ASM_X86_HVM_IO_H */

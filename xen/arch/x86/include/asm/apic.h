/*
 * The host local APIC, in x2APIC mode when the CPU has it and xAPIC mode
 * otherwise; both are reached through the same register names.
 */
#ifndef ASM_X86_APIC_H
#define ASM_X86_APIC_H

#include <xen/types.h>

/* Register offsets in the xAPIC page; x2APIC MSR = 0x800 + (reg >> 4). */
#define APIC_ID         0x020
#define APIC_LVR        0x030
#define APIC_TPR        0x080
#define APIC_EOI        0x0b0
#define APIC_SVR        0x0f0
#define APIC_ESR        0x280
#define APIC_ICR        0x300
#define APIC_ICR2       0x310
#define APIC_LVTT       0x320
#define APIC_LVT0       0x350
#define APIC_LVT1       0x360
#define APIC_LVTERR     0x370
#define APIC_TMICT      0x380
#define APIC_TMCCT      0x390
#define APIC_TDCR       0x3e0

#define APIC_SVR_ENABLE         0x100
#define APIC_LVT_MASKED         (1u << 16)
#define APIC_LVT_NMI            (4u << 8)
#define APIC_TIMER_TSC_DEADLINE (2u << 17)
#define APIC_DM_FIXED           (0u << 8)
#define APIC_DM_NMI             (4u << 8)
#define APIC_DM_INIT            (5u << 8)
#define APIC_DM_STARTUP         (6u << 8)
#define APIC_ICR_BUSY           (1u << 12)
#define APIC_INT_ASSERT         (1u << 14)
#define APIC_INT_LEVELTRIG      (1u << 15)
#define APIC_DEST_SELF          (1u << 18)
#define APIC_DEST_ALLBUT        (3u << 18)

extern bool x2apic_enabled;

u32 apic_read(unsigned int reg);
void apic_write(unsigned int reg, u32 v);
u32 get_apic_id(void);

/* Enable and program this pCPU's APIC (boot pCPU first, then each AP). */
void apic_init_bsp(u64 madt_lapic_address);
void apic_init_ap(void);

/* Send an IPI: 'icr' holds the vector, delivery mode and shorthand. */
void apic_send_ipi(u32 dest_apic_id, u32 icr);

static inline void ack_APIC_irq(void)
{
    apic_write(APIC_EOI, 0);
}

/* Mask the legacy 8259 PICs and every IOAPIC input. */
void disable_legacy_pic(void);
void ioapic_mask_all(u32 ioapic_address);

struct acpi_info;
/*
 * Route ISA interrupt 'isa_irq' (through any MADT override) to 'vector'
 * on the pCPU with APIC ID 'dest', unmasked.  0, or -ENODEV when no
 * IOAPIC serves its GSI.
 */
int ioapic_route_isa_irq(const struct acpi_info *acpi, unsigned int isa_irq,
                         u8 vector, u32 dest);

#endif /* ASM_X86_APIC_H */

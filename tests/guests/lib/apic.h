/*
 * Local APIC access that hides xAPIC (MMIO at the APIC base, normally
 * 0xfee00000) versus x2APIC (MSR 0x800 + offset / 16). Registers are named
 * by their xAPIC offsets in both modes. The mode is per CPU: each CPU
 * calls apic_setup() for itself, and a test chooses the mode.
 */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include "x86.h"

#define APIC_ID         0x020
#define APIC_VERSION    0x030
#define APIC_TPR        0x080
#define APIC_APR        0x090
#define APIC_PPR        0x0a0
#define APIC_EOI        0x0b0
#define APIC_LDR        0x0d0
#define APIC_DFR        0x0e0
#define APIC_SVR        0x0f0
#define APIC_ISR        0x100
#define APIC_TMR        0x180
#define APIC_IRR        0x200
#define APIC_ESR        0x280
#define APIC_ICR        0x300
#define APIC_ICR2       0x310
#define APIC_LVTT       0x320
#define APIC_LVT_THERM  0x330
#define APIC_LVT_PMC    0x340
#define APIC_LINT0      0x350
#define APIC_LINT1      0x360
#define APIC_LVT_ERR    0x370
#define APIC_TMICT      0x380
#define APIC_TMCCT      0x390
#define APIC_TDCR       0x3e0
#define APIC_SELF_IPI   0x3f0           /* x2APIC only */

/* ICR low word. */
#define APIC_DM_FIXED   0x00000
#define APIC_DM_LOWPRI  0x00100
#define APIC_DM_NMI     0x00400
#define APIC_DM_INIT    0x00500
#define APIC_DM_STARTUP 0x00600
#define APIC_DEST_LOGICAL 0x00800
#define APIC_DS_BUSY    0x01000
#define APIC_ASSERT     0x04000
#define APIC_LEVEL      0x08000
#define APIC_SH_SELF    0x40000
#define APIC_SH_ALL     0x80000
#define APIC_SH_OTHERS  0xc0000

/* LVT bits. */
#define APIC_LVT_MASKED     (1u << 16)
#define APIC_TIMER_ONESHOT  (0u << 17)
#define APIC_TIMER_PERIODIC (1u << 17)
#define APIC_TIMER_DEADLINE (2u << 17)
#define APIC_TDCR_DIV1      0xb

#define APIC_SVR_ENABLE     0x100

/* DFR models (xAPIC only). */
#define APIC_DFR_FLAT       0xffffffffu
#define APIC_DFR_CLUSTER    0x0fffffffu

enum apic_mode
{
    APIC_MODE_XAPIC,
    APIC_MODE_X2APIC,
};

bool apic_has_x2apic(void);

/*
 * Put this CPU's LAPIC in the given mode and a known state: enabled with
 * spurious vector 0xff, TPR 0, timer, LINT0 and error LVTs masked, flat
 * logical model (xAPIC), nothing left in service.
 */
void apic_setup(enum apic_mode mode);
bool apic_is_x2apic(void);
const char *apic_mode_name(enum apic_mode mode);

uint32_t apic_read(unsigned int reg);
void apic_write(unsigned int reg, uint32_t v);
uint32_t apic_id(void);
void apic_eoi(void);

/*
 * Send an IPI: dest is an APIC ID or logical destination (8 bits in xAPIC
 * mode, 32 in x2APIC mode), low the ICR low word. In xAPIC mode this waits
 * for the delivery-status bit to clear before and after.
 */
void apic_icr(uint32_t dest, uint32_t low);
void apic_self_ipi_msr(uint8_t vec);   /* x2APIC SELF IPI register */

/* Bit vec of the 256-bit IRR, ISR or TMR (base = APIC_IRR etc.). */
bool apic_vec_set(unsigned int base, unsigned int vec);
/* Highest vector set in IRR/ISR/TMR, or -1. */
int apic_vec_highest(unsigned int base);

#endif /* GUEST_APIC_H */

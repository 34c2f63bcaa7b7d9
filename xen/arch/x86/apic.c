/*
 * The host local APIC.  x2APIC mode (MSRs) is used when the CPU offers it,
 * as on Bochs; otherwise xAPIC mode through the uncached MMIO page, as on
 * QEMU TCG.  Every pCPU runs in the mode the boot pCPU chose.
 */
#include <xen/lib.h>
#include <xen/acpi.h>
#include <xen/errno.h>
#include <xen/param.h>
#include <asm/apic.h>
#include <asm/io.h>
#include <asm/irq_vectors.h>
#include <asm/processor.h>

#define APIC_BASE_ENABLE    (1UL << 11)
#define APIC_BASE_X2APIC    (1UL << 10)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000UL

bool x2apic_enabled;
static volatile u8 *xapic_mmio = (volatile u8 *)0xfee00000UL;

/* x2apic=0 keeps the xAPIC MMIO interface even when x2APIC exists. */
static bool opt_x2apic = true;
boolean_param("x2apic", opt_x2apic);

u32 apic_read(unsigned int reg)
{
    if ( x2apic_enabled )
        return (u32)rdmsr(0x800 + (reg >> 4));
    return readl(xapic_mmio + reg);
}

void apic_write(unsigned int reg, u32 v)
{
    if ( x2apic_enabled )
        wrmsr(0x800 + (reg >> 4), v);
    else
        writel(v, xapic_mmio + reg);
}

u32 get_apic_id(void)
{
    u32 id = apic_read(APIC_ID);

    return x2apic_enabled ? id : id >> 24;
}

static void apic_enable_mode(void)
{
    u64 base = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;

    /* xAPIC must be enabled before the switch to x2APIC (SDM 10.12.5). */
    wrmsr(MSR_APIC_BASE, base);
    if ( x2apic_enabled )
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_X2APIC);
}

static void apic_setup_local(void)
{
    apic_enable_mode();

    apic_write(APIC_TPR, 0);
    apic_write(APIC_SVR, APIC_SVR_ENABLE | SPURIOUS_APIC_VECTOR);
    /* The legacy PIC is masked; NMIs still arrive on LINT1. */
    apic_write(APIC_LVT0, APIC_LVT_MASKED);
    apic_write(APIC_LVT1, APIC_LVT_NMI);
    apic_write(APIC_LVTT, APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);
    apic_write(APIC_LVTERR, ERROR_APIC_VECTOR);
    /* ESR is read-after-write: clear it twice. */
    apic_write(APIC_ESR, 0);
    apic_write(APIC_ESR, 0);
    ack_APIC_irq();
}

void apic_init_bsp(u64 madt_lapic_address)
{
    u64 base = rdmsr(MSR_APIC_BASE);

    x2apic_enabled = boot_cpu.x2apic && opt_x2apic;
    if ( !x2apic_enabled )
    {
        u64 pa = base & APIC_BASE_ADDR_MASK;

        if ( madt_lapic_address && madt_lapic_address != pa )
            printk(XENLOG_WARNING "APIC: MADT says %#lx, MSR says %#lx; "
                   "using the MSR\n", madt_lapic_address, pa);
        xapic_mmio = (volatile u8 *)pa;
    }
    apic_setup_local();
    printk("APIC: %s mode, boot CPU APIC ID %u, version %#x\n",
           x2apic_enabled ? "x2APIC" : "xAPIC", get_apic_id(),
           apic_read(APIC_LVR) & 0xff);
}

void apic_init_ap(void)
{
    apic_setup_local();
}

void apic_send_ipi(u32 dest, u32 icr)
{
    if ( x2apic_enabled )
    {
        /* One MSR write; x2APIC has no delivery-status bit to wait on. */
        wrmsr(0x800 + (APIC_ICR >> 4), ((u64)dest << 32) | icr);
        return;
    }

    while ( apic_read(APIC_ICR) & APIC_ICR_BUSY )
        __asm__ __volatile__ ( "pause" );
    apic_write(APIC_ICR2, dest << 24);
    apic_write(APIC_ICR, icr);
}

#define PIC1_CMD    0x20
#define PIC1_DATA   0x21
#define PIC2_CMD    0xa0
#define PIC2_DATA   0xa1

void disable_legacy_pic(void)
{
    /*
     * Reinitialise both 8259s onto the legacy vector range before masking
     * them: a PIC interrupt already latched then arrives as a harmless
     * legacy vector instead of an exception number.
     */
    outb(0x11, PIC1_CMD);
    outb(LEGACY_VECTOR_FIRST, PIC1_DATA);
    outb(0x04, PIC1_DATA);
    outb(0x01, PIC1_DATA);
    outb(0x11, PIC2_CMD);
    outb(LEGACY_VECTOR_FIRST + 8, PIC2_DATA);
    outb(0x02, PIC2_DATA);
    outb(0x01, PIC2_DATA);
    outb(0xff, PIC1_DATA);
    outb(0xff, PIC2_DATA);
}

#define IOAPIC_REGSEL   0x00
#define IOAPIC_WIN      0x10
#define IOAPIC_VER      0x01
#define IOAPIC_REDIR(n) (0x10 + 2 * (n))

#define IOAPIC_LOW_ACTIVE   (1u << 13)
#define IOAPIC_LEVEL        (1u << 15)

static unsigned int ioapic_entries(volatile u8 *base)
{
    writel(IOAPIC_VER, base + IOAPIC_REGSEL);
    return ((readl(base + IOAPIC_WIN) >> 16) & 0xff) + 1;
}

void ioapic_mask_all(u32 address)
{
    volatile u8 *base = (volatile u8 *)(unsigned long)address;
    unsigned int entries = ioapic_entries(base);
    for ( unsigned int i = 0; i < entries; i++ )
    {
        writel(IOAPIC_REDIR(i), base + IOAPIC_REGSEL);
        writel(APIC_LVT_MASKED, base + IOAPIC_WIN);
    }
    printk("IOAPIC at %#x: %u inputs masked\n", address, entries);
}

int ioapic_route_isa_irq(const struct acpi_info *acpi, unsigned int isa_irq,
                         u8 vector, u32 dest)
{
    /* ISA defaults: GSI = IRQ, edge-triggered, active high. */
    unsigned int gsi = isa_irq;
    u32 lo = vector;

    for ( unsigned int i = 0; i < acpi->nr_overrides; i++ )
    {
        const struct acpi_override *o = &acpi->overrides[i];

        if ( o->source_irq != isa_irq )
            continue;
        gsi = o->gsi;
        if ( (o->flags & 3) == 3 )
            lo |= IOAPIC_LOW_ACTIVE;
        if ( ((o->flags >> 2) & 3) == 3 )
            lo |= IOAPIC_LEVEL;
    }

    for ( unsigned int i = 0; i < acpi->nr_ioapics; i++ )
    {
        const struct acpi_ioapic *io = &acpi->ioapics[i];
        volatile u8 *base = (volatile u8 *)(unsigned long)io->address;
        unsigned int pin = gsi - io->gsi_base;

        if ( gsi < io->gsi_base || pin >= ioapic_entries(base) )
            continue;
        /* Destination first, then the unmasked low half. */
        writel(IOAPIC_REDIR(pin) + 1, base + IOAPIC_REGSEL);
        writel(dest << 24, base + IOAPIC_WIN);
        writel(IOAPIC_REDIR(pin), base + IOAPIC_REGSEL);
        writel(lo, base + IOAPIC_WIN);
        return 0;
    }
    return -ENODEV;
}

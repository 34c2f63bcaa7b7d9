/*
 * The plain PC an HVM guest boots on, apart from the UART (vuart.c), the
 * IOAPIC (vioapic.c), the RTC (rtc.c) and the ACPI sleep, reset and
 * power button registers (acpi_pm.c): the exit port, the two 8259 PICs,
 * the 8254 PIT with port 0x61 and the PCI configuration mechanism #1, plus
 * hvm_platform_init()/destroy(), which register and remove every device
 * of the platform.
 *
 * None of these devices raises an interrupt.  The PICs accept their
 * initialisation and operation words and read back the mask, but never
 * deliver (a guest uses the IOAPIC).  The PIT counts in real time, which
 * is what a guest calibrating its TSC needs; IRQ 0 is never raised, so a
 * guest must take its timer interrupt from its local APIC (the ACPI
 * tables say the platform is hardware-reduced, which tells Linux not to
 * look for the PIT or PIC interrupts).  PCI has no devices.
 *
 * Locking: the PIT state is under pit.lock.  The PIC masks and the PCI
 * address latch are single bytes or an aligned word written with one
 * store: vCPUs racing on them get what racing CPUs get on a real
 * PC (one of the values), never a torn or out-of-range one.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
#include <xen/time.h>
#include <asm/hvm/domain.h>
#include <asm/hvm/io.h>

#include "devices.h"

/* --- the exit port --- */

#define EXIT_PORT       0xf4
#define EXIT_PORTS      4

/*
 * A write of any size at 0xf4 ends the domain with the value written
 * (QEMU's isa-debug-exit at the same port, without its "<< 1 | 1").  The
 * other three ports are there so that a 4-byte access lands here whole.
 */
static void exit_portio(struct vcpu *v, bool write, u16 port,
                        unsigned int size, u32 *val)
{
    if ( !write )
    {
        *val = 0;
        return;
    }
    if ( port == EXIT_PORT )
        hvm_domain_exit(v->domain, *val & portio_mask(size));
}

/* --- the 8259 PIC pair --- */

#define PIC_MASTER      0x20
#define PIC_SLAVE       0xa0
#define ICW1_INIT       0x10
#define ICW1_NEED_ICW4  0x01
#define ICW1_SINGLE     0x02

/* Where a PIC is in its initialisation sequence (a nibble). */
#define ICW_STEP_MASK   0x3
#define ICW_READY       0x0     /* data port writes are OCW1 (the mask) */
#define ICW_EXPECT2     0x1
#define ICW_EXPECT3     0x2
#define ICW_EXPECT4     0x3
#define ICW_NEED4       0x4     /* ICW1 said an ICW4 follows */
#define ICW_SINGLE      0x8     /* ICW1 said no cascade: no ICW3 */

/*
 * Where each PIC is in its initialisation sequence: ICW2-4 follow ICW1,
 * and only then are writes to the data port mask (OCW1) writes.
 */
static unsigned int pic_icw_get(const struct domain *d, unsigned int pic)
{
    return READ_ONCE(domain_hvm((struct domain *)d)->pic_icw[pic]);
}

static void pic_icw_set(const struct domain *d, unsigned int pic,
                        unsigned int state)
{
    WRITE_ONCE(domain_hvm((struct domain *)d)->pic_icw[pic], (u8)state);
}

static void pic_write(struct domain *d, struct hvm_domain *hvm,
                      unsigned int pic, unsigned int reg, u8 val)
{
    unsigned int state = pic_icw_get(d, pic), next;

    if ( reg == 0 )
    {
        /* OCW2 (EOI, priority) and OCW3 (read select, poll): no effect. */
        if ( !(val & ICW1_INIT) )
            return;
        /* ICW1 clears the mask and starts the sequence. */
        WRITE_ONCE(hvm->pic_imr[pic], 0);
        next = ICW_EXPECT2;
        if ( val & ICW1_NEED_ICW4 )
            next |= ICW_NEED4;
        if ( val & ICW1_SINGLE )
            next |= ICW_SINGLE;
        pic_icw_set(d, pic, next);
        return;
    }

    /* ICW2 (vector base), ICW3 (cascade) and ICW4 (mode) are not used. */
    switch ( state & ICW_STEP_MASK )
    {
    case ICW_EXPECT2:
        if ( !(state & ICW_SINGLE) )
            next = ICW_EXPECT3;
        else if ( state & ICW_NEED4 )
            next = ICW_EXPECT4;
        else
            next = ICW_READY;
        pic_icw_set(d, pic, next | (state & ICW_NEED4));
        break;
    case ICW_EXPECT3:
        next = (state & ICW_NEED4) ? ICW_EXPECT4 : ICW_READY;
        pic_icw_set(d, pic, next | (state & ICW_NEED4));
        break;
    case ICW_EXPECT4:
        pic_icw_set(d, pic, ICW_READY);
        break;
    default:
        WRITE_ONCE(hvm->pic_imr[pic], val);     /* OCW1 */
        break;
    }
}

static void pic_portio(struct vcpu *v, bool write, u16 port,
                       unsigned int size, u32 *val)
{
    struct domain *d = v->domain;
    struct hvm_domain *hvm = domain_hvm(d);
    unsigned int i, pic = port >= PIC_SLAVE;
    u32 result = 0;

    if ( !hvm )
        return;

    for ( i = 0; i < size; i++ )
    {
        unsigned int reg = ((port + i) & 1);

        if ( write )
            pic_write(d, hvm, pic, reg, *val >> (8 * i));
        /* IRR and ISR (port 0) are empty: nothing is ever delivered. */
        else if ( reg == 1 )
            result |= (u32)READ_ONCE(hvm->pic_imr[pic]) << (8 * i);
    }
    if ( !write )
        *val = result;
}

/* --- the 8254 PIT and port 0x61 --- */

#define PIT_BASE        0x40
#define PIT_PORTS       4
#define PIT_CONTROL     0x43
#define SYSTEM_PORT_B   0x61

#define PIT_HZ          1193182ULL
#define NS_PER_SEC      1000000000ULL

/* The DRAM refresh request bit of port 0x61 toggles every 15.085 us. */
#define REFRESH_NS      15085

/*
 * ch[].mode holds the counting mode (0-5) in its low bits and PIT_NULL:
 * a control word was written and no complete count since, so the
 * counter does not count (the 8254's "null count").
 */
#define PIT_MODE_MASK   0x07
#define PIT_NULL        0x80

/* ch[].rw: the access mode of the control word (never 0, the latch). */
#define PIT_RW_LO       1
#define PIT_RW_HI       2
#define PIT_RW_LOHI     3

/* ch[].latched: a count latch and/or a read-back status is pending. */
#define PIT_LATCH_COUNT 0x1
#define PIT_LATCH_STATUS 0x2

#define PORT61_GATE2    0x01
#define PORT61_RW       0x0f    /* gate, speaker, parity/IOCHK enables */
#define PORT61_REFRESH  0x10
#define PORT61_OUT2     0x20

/*
 * Time: a counting channel's 'start' is the system time at which it was
 * loaded (or retriggered).  Only channel 2 has a gate (port 0x61 bit 0;
 * channels 0 and 1 are always enabled); while it is low the channel does
 * not count and 'start' holds the nanoseconds it had counted when the
 * gate fell, so no time is lost or gained across a pause and no field is
 * needed beyond the contract's.
 */
static bool pit_counting(const struct vpit *pit, unsigned int c)
{
    return c != 2 || (pit->port61 & PORT61_GATE2);
}

/* PIT input clocks in ns nanoseconds, exactly: floor(ns * PIT_HZ / 1e9). */
static u64 ns_to_ticks(u64 ns)
{
    /* Split so the product fits in 64 bits for any ns. */
    return (ns / NS_PER_SEC) * PIT_HZ +
           (ns % NS_PER_SEC) * PIT_HZ / NS_PER_SEC;
}

static u64 pit_elapsed(const struct vpit *pit, unsigned int c, s_time_t now)
{
    s_time_t ns;

    if ( !pit_counting(pit, c) )
        ns = pit->ch[c].start;
    else
        ns = now - pit->ch[c].start;

    /* System time read on another pCPU may trail by a little. */
    return ns > 0 ? ns_to_ticks(ns) : 0;
}

/*
 * The counter's value and OUT at 'now'.  Modes 0 (interrupt on terminal
 * count), 2 (rate generator) and 3 (square wave) are the ones guests
 * use and are modelled faithfully; 1 and 5 count like 0 and 4 (their
 * hardware trigger is the gate's rising edge, which restarts them); 4
 * and 5 pulse OUT low for the one clock at terminal count.  Counting is
 * binary: the BCD bit is ignored.  A new count for a running rate
 * generator or square wave takes effect at once rather than at the end
 * of the current period.
 */
static void pit_status(const struct vpit *pit, unsigned int c, s_time_t now,
                       u16 *count, bool *out)
{
    const typeof(pit->ch[0]) *ch = &pit->ch[c];
    unsigned int mode = ch->mode & PIT_MODE_MASK;
    u32 n = ch->reload ? ch->reload : 0x10000;
    u64 e, phase, high;

    if ( ch->mode & PIT_NULL )
    {
        *count = ch->reload;
        *out = mode != 0;
        return;
    }

    e = pit_elapsed(pit, c, now);
    switch ( mode )
    {
    case 2:
        /* n, n-1 .. 1, reload: OUT low for the clock at 1. */
        phase = e % n;
        *count = n - phase;
        *out = phase != n - 1;
        break;
    case 3:
        /* Down by two per clock, OUT high for the first half period. */
        high = (n + 1) / 2;
        phase = e % n;
        if ( phase < high )
        {
            *count = n - 2 * phase;
            *out = true;
        }
        else
        {
            *count = n - 2 * (phase - high);
            *out = false;
        }
        break;
    case 4:
    case 5:
        *count = n - (u32)(e & 0xffff);
        *out = e != n;
        break;
    default:
        /* After terminal count the counter wraps and keeps counting. */
        *count = n - (u32)(e & 0xffff);
        *out = e >= n;
        break;
    }

    /* A low gate holds OUT high in the periodic modes. */
    if ( !pit_counting(pit, c) && (mode == 2 || mode == 3) )
        *out = true;
}

static u8 pit_status_byte(const struct vpit *pit, unsigned int c,
                          s_time_t now)
{
    const typeof(pit->ch[0]) *ch = &pit->ch[c];
    u16 count;
    bool out;

    pit_status(pit, c, now, &count, &out);
    return (out ? 0x80 : 0) | ((ch->mode & PIT_NULL) ? 0x40 : 0) |
           (ch->rw << 4) | ((ch->mode & PIT_MODE_MASK) << 1);
}

/* Caller holds pit->lock. */
static void pit_latch(struct vpit *pit, unsigned int c, s_time_t now)
{
    typeof(pit->ch[0]) *ch = &pit->ch[c];
    bool out;

    /* A second latch before the first is read is ignored. */
    if ( ch->latched & PIT_LATCH_COUNT )
        return;
    pit_status(pit, c, now, &ch->latch, &out);
    ch->latched |= PIT_LATCH_COUNT;
}

/* A complete count was written.  Caller holds pit->lock. */
static void pit_load(struct vpit *pit, unsigned int c, u16 count,
                     s_time_t now)
{
    typeof(pit->ch[0]) *ch = &pit->ch[c];

    ch->reload = count;
    ch->mode &= ~PIT_NULL;
    ch->start = pit_counting(pit, c) ? now : 0;
}

/* Caller holds pit->lock. */
static void pit_control(struct vpit *pit, u8 val, s_time_t now)
{
    unsigned int c = val >> 6, rw = (val >> 4) & 3, mode;
    typeof(pit->ch[0]) *ch;

    if ( c == 3 )
    {
        /*
         * Read-back: bit 5 clear latches the counts, bit 4 clear the
         * status of the channels in bits 1-3.  The status is worked out
         * when it is read rather than when latched (no field to keep it),
         * which only differs if OUT changes in between.
         */
        for ( c = 0; c < 3; c++ )
        {
            if ( !(val & (2u << c)) )
                continue;
            if ( !(val & 0x20) )
                pit_latch(pit, c, now);
            if ( !(val & 0x10) )
                pit->ch[c].latched |= PIT_LATCH_STATUS;
        }
        return;
    }

    if ( rw == 0 )
    {
        pit_latch(pit, c, now);
        return;
    }

    /* Modes 6 and 7 are 2 and 3 again. */
    mode = (val >> 1) & 7;
    if ( mode >= 6 )
        mode -= 4;

    ch = &pit->ch[c];
    ch->mode = mode | PIT_NULL;
    ch->rw = rw;
    ch->latched = 0;
    ch->read_hi = 0;
    ch->write_hi = 0;
}

/* Caller holds pit->lock. */
static void pit_data_write(struct vpit *pit, unsigned int c, u8 val,
                           s_time_t now)
{
    typeof(pit->ch[0]) *ch = &pit->ch[c];

    switch ( ch->rw )
    {
    case PIT_RW_LO:
        pit_load(pit, c, val, now);
        break;
    case PIT_RW_HI:
        pit_load(pit, c, val << 8, now);
        break;
    default:
        if ( !ch->write_hi )
        {
            ch->reload = (ch->reload & 0xff00) | val;
            ch->write_hi = 1;
            /* In mode 0 the first byte stops the count. */
            if ( (ch->mode & PIT_MODE_MASK) == 0 )
                ch->mode |= PIT_NULL;
        }
        else
        {
            ch->write_hi = 0;
            pit_load(pit, c, (ch->reload & 0xff) | (val << 8), now);
        }
        break;
    }
}

/* Caller holds pit->lock. */
static u8 pit_data_read(struct vpit *pit, unsigned int c, s_time_t now)
{
    typeof(pit->ch[0]) *ch = &pit->ch[c];
    bool latched = ch->latched & PIT_LATCH_COUNT, done = true, out;
    u16 value;
    u8 byte;

    if ( ch->latched & PIT_LATCH_STATUS )
    {
        ch->latched &= ~PIT_LATCH_STATUS;
        return pit_status_byte(pit, c, now);
    }

    if ( latched )
        value = ch->latch;
    else
        pit_status(pit, c, now, &value, &out);

    switch ( ch->rw )
    {
    case PIT_RW_LO:
        byte = value;
        break;
    case PIT_RW_HI:
        byte = value >> 8;
        break;
    default:
        /* Low byte then high byte, with one flip-flop for both. */
        byte = ch->read_hi ? value >> 8 : value;
        done = ch->read_hi;
        ch->read_hi = !ch->read_hi;
        break;
    }

    if ( latched && done )
        ch->latched &= ~PIT_LATCH_COUNT;
    return byte;
}

/* Caller holds pit->lock. */
static void port61_write(struct vpit *pit, u8 val, s_time_t now)
{
    bool was = pit->port61 & PORT61_GATE2, gate = val & PORT61_GATE2;
    typeof(pit->ch[0]) *ch = &pit->ch[2];
    unsigned int mode = ch->mode & PIT_MODE_MASK;

    if ( gate && !was )
    {
        /* Modes 0 and 4 resume; the others restart from the count. */
        ch->start = (mode == 0 || mode == 4) ? now - ch->start : now;
    }
    else if ( !gate && was )
    {
        /* Keep what was counted (see pit_counting()). */
        ch->start = now - ch->start;
        if ( ch->start < 0 )
            ch->start = 0;
    }
    pit->port61 = val & PORT61_RW;
}

/* Caller holds pit->lock. */
static u8 port61_read(const struct vpit *pit, s_time_t now)
{
    u8 val = pit->port61 & PORT61_RW;
    u16 count;
    bool out;

    if ( ((u64)now / REFRESH_NS) & 1 )
        val |= PORT61_REFRESH;
    pit_status(pit, 2, now, &count, &out);
    if ( out )
        val |= PORT61_OUT2;

    return val;
}

static void vpit_init(struct vpit *pit, s_time_t now)
{
    unsigned int c;

    spin_lock_init(&pit->lock);
    pit->port61 = 0;
    for ( c = 0; c < 3; c++ )
    {
        pit->ch[c].rw = PIT_RW_LOHI;
        pit->ch[c].latched = 0;
        pit->ch[c].read_hi = 0;
        pit->ch[c].write_hi = 0;
        pit->ch[c].latch = 0;
    }

    /*
     * What a BIOS leaves: channel 0 at 18.2 Hz, channel 1 on DRAM
     * refresh, channel 2 (the speaker) gated off.
     */
    pit->ch[0].mode = 3;
    pit->ch[0].reload = 0;
    pit->ch[0].start = now;
    pit->ch[1].mode = 2;
    pit->ch[1].reload = 18;
    pit->ch[1].start = now;
    pit->ch[2].mode = 3;
    pit->ch[2].reload = 0;
    pit->ch[2].start = 0;
}

static void pit_portio(struct vcpu *v, bool write, u16 port,
                       unsigned int size, u32 *val)
{
    struct hvm_domain *hvm = domain_hvm(v->domain);
    struct vpit *pit;
    unsigned int i;
    u32 result = 0;
    s_time_t now;

    if ( !hvm )
        return;
    pit = &hvm->pit;

    spin_lock(&pit->lock);
    now = NOW();
    for ( i = 0; i < size; i++ )
    {
        unsigned int p = port + i;
        u8 byte = 0xff;

        if ( p == SYSTEM_PORT_B )
        {
            if ( write )
                port61_write(pit, *val >> (8 * i), now);
            else
                byte = port61_read(pit, now);
        }
        else if ( p == PIT_CONTROL )
        {
            /* The control word register is write-only. */
            if ( write )
                pit_control(pit, *val >> (8 * i), now);
        }
        else if ( p >= PIT_BASE && p < PIT_CONTROL )
        {
            if ( write )
                pit_data_write(pit, p - PIT_BASE, *val >> (8 * i), now);
            else
                byte = pit_data_read(pit, p - PIT_BASE, now);
        }
        result |= (u32)byte << (8 * i);
    }
    spin_unlock(&pit->lock);

    if ( !write )
        *val = result;
}

/* --- PCI configuration mechanism #1 --- */

#define PCI_CONF_ADDR   0xcf8
#define PCI_CONF_PORTS  8       /* 0xcf8-0xcfb address, 0xcfc-0xcff data */
/* Enable, bus, device, function, register; bits 30-24 and 1-0 read 0. */
#define PCI_ADDR_MASK   0x80fffffcu

/*
 * Only a 32-bit access at 0xcf8 reaches the address latch; other sizes
 * there go to the ISA bus on a PC (0xcf9 would be the reset control
 * register, which is not modelled: writes vanish).  There are no
 * devices, so every data read is all ones (vendor 0xffff).
 */
static void pci_portio(struct vcpu *v, bool write, u16 port,
                       unsigned int size, u32 *val)
{
    struct hvm_domain *hvm = domain_hvm(v->domain);

    if ( !hvm )
        return;

    if ( port == PCI_CONF_ADDR && size == 4 )
    {
        if ( write )
            WRITE_ONCE(hvm->pci_cf8, *val & PCI_ADDR_MASK);
        else
            *val = READ_ONCE(hvm->pci_cf8);
        return;
    }

    if ( !write )
        *val = ~0u;
}

/* --- the platform --- */

static const struct
{
    u16 port, count;
    portio_fn fn;
} platform_ports[] = {
    { VUART_BASE,       VUART_PORTS,    vuart_portio },
    { EXIT_PORT,        EXIT_PORTS,     exit_portio },
    { PIC_MASTER,       2,              pic_portio },
    { PIC_SLAVE,        2,              pic_portio },
    { PIT_BASE,         PIT_PORTS,      pit_portio },
    { SYSTEM_PORT_B,    1,              pit_portio },
    { RTC_PORT,         RTC_PORTS,      vrtc_portio },
    { PCI_CONF_ADDR,    PCI_CONF_PORTS, pci_portio },
    { ACPI_PM_BASE,     ACPI_PM_PORTS,  acpi_pm_portio },
};

static bool is_platform_port_fn(portio_fn fn)
{
    unsigned int i;

    for ( i = 0; i < ARRAY_SIZE(platform_ports); i++ )
        if ( platform_ports[i].fn == fn )
            return true;

    return false;
}

int hvm_platform_init(struct domain *d)
{
    struct hvm_domain *hvm = d ? domain_hvm(d) : NULL;
    unsigned int i, nr_portio, nr_mmio;
    int rc;

    if ( !hvm )
        return -EINVAL;

    /* Power-on state of every device, before any handler is reachable. */
    vuart_init(&hvm->uart, d);
    vioapic_init(&hvm->vioapic);
    vpit_init(&hvm->pit, NOW());
    /* Masked: nothing is delivered anyway, and it says so. */
    hvm->pic_imr[0] = 0xff;
    hvm->pic_imr[1] = 0xff;
    pic_icw_set(d, 0, ICW_READY);
    pic_icw_set(d, 1, ICW_READY);
    vrtc_init(&hvm->rtc);
    acpi_pm_init(&hvm->acpi_pm);
    hvm->pci_cf8 = 0;

    nr_portio = hvm->nr_portio;
    nr_mmio = hvm->nr_mmio;

    for ( i = 0; i < ARRAY_SIZE(platform_ports); i++ )
    {
        rc = register_portio_handler(d, platform_ports[i].port,
                                     platform_ports[i].count,
                                     platform_ports[i].fn);
        if ( rc )
            goto fail;
    }
    rc = register_mmio_handler(d, VIOAPIC_BASE, VIOAPIC_SIZE, vioapic_mmio);
    if ( rc )
        goto fail;

    return 0;

 fail:
    /*
     * The domain is still being built and nobody else registers while we
     * do: dropping what we added restores the tables as they were.
     */
    printk(XENLOG_ERR "d%u: platform device registration failed: %d\n",
           d->domain_id, rc);
    __atomic_store_n(&hvm->nr_portio, nr_portio, __ATOMIC_RELEASE);
    __atomic_store_n(&hvm->nr_mmio, nr_mmio, __ATOMIC_RELEASE);
    return rc;
}

/*
 * Remove the platform's handlers (others stay).  The device state lives
 * in struct hvm_domain, so there is nothing to free.  The domain's vCPUs
 * must no longer run: the exit paths read the tables without a lock.
 */
void hvm_platform_destroy(struct domain *d)
{
    struct hvm_domain *hvm = d ? domain_hvm(d) : NULL;
    unsigned int i, n, kept = 0;

    if ( !hvm )
        return;

    n = min(hvm->nr_portio, (unsigned int)HVM_MAX_PORTIO);
    for ( i = 0; i < n; i++ )
        if ( !is_platform_port_fn(hvm->portio[i].fn) )
            hvm->portio[kept++] = hvm->portio[i];
    __atomic_store_n(&hvm->nr_portio, kept, __ATOMIC_RELEASE);

    n = min(hvm->nr_mmio, (unsigned int)HVM_MAX_MMIO);
    kept = 0;
    for ( i = 0; i < n; i++ )
        if ( hvm->mmio[i].fn != vioapic_mmio )
            hvm->mmio[kept++] = hvm->mmio[i];
    __atomic_store_n(&hvm->nr_mmio, kept, __ATOMIC_RELEASE);

    pic_icw_set(d, 0, ICW_READY);
    pic_icw_set(d, 1, ICW_READY);
}

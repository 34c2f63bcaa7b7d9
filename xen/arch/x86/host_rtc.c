/*
 * The host's MC146818 RTC, read once at boot to give wall-clock time
 * (common/wallclock.c) its base: from then on the time advances with
 * system time, and the hypervisor never touches the chip again.
 *
 * The registers are read between updates (UIP clear, MC146818 datasheet
 * "Update Cycle"): after UIP reads 0 the clock holds still for at least
 * 244 us, more than the reads take; the seconds are read again at the end
 * and the whole read repeated if they moved.  The values are taken as UTC
 * (what QEMU's default and most hypervisor hosts keep; a PC's RTC has no
 * time zone field).
 */
#include <xen/lib.h>
#include <xen/time.h>
#include <xen/wallclock.h>
#include <asm/io.h>
#include <asm/processor.h>
#include <asm/time.h>

#define CMOS_INDEX      0x70
#define CMOS_DATA       0x71
#define REG_A_UIP       0x80
#define REG_B_24H       0x02
#define REG_B_BINARY    0x04
#define REG_CENTURY     0x32    /* the PC's convention (ACPI FADT) */
#define UIP_WAIT_MS     20      /* an update lasts under 2 ms */

/* Boot CPU only, before other pCPUs run: no lock on the index port. */
static u8 cmos_read(u8 reg)
{
    outb(reg, CMOS_INDEX);
    return inb(CMOS_DATA);
}

static unsigned int decode(u8 v, bool binary)
{
    return binary ? v : (v >> 4) * 10 + (v & 0xf);
}

static bool wait_uip_clear(void)
{
    u64 end = rdtsc() + cpu_khz * UIP_WAIT_MS;

    while ( cmos_read(0x0a) & REG_A_UIP )
        if ( rdtsc() > end )
            return false;
    return true;
}

void host_rtc_init(void)
{
    struct rtc_time t = { 0 };
    u8 b = 0, sec = 0, hour = 0;
    unsigned int tries, century = 0;
    s_time_t at = 0;
    bool ok = false;

    for ( tries = 0; tries < 5; tries++ )
    {
        if ( !wait_uip_clear() )
            break;
        at = NOW();
        sec = cmos_read(0x00);
        t.min = cmos_read(0x02);
        hour = cmos_read(0x04);
        t.mday = cmos_read(0x07);
        t.mon = cmos_read(0x08);
        t.year = cmos_read(0x09);
        century = cmos_read(REG_CENTURY);
        b = cmos_read(0x0b);
        if ( cmos_read(0x00) == sec )
        {
            ok = true;
            break;
        }
    }
    if ( !ok )
    {
        printk(XENLOG_WARNING "RTC: the host clock does not settle; "
               "wall-clock time starts at 1970-01-01\n");
        wallclock_set(0, NOW());
        return;
    }

    t.sec = decode(sec, b & REG_B_BINARY);
    t.min = decode(t.min, b & REG_B_BINARY);
    t.hour = decode(hour & 0x7f, b & REG_B_BINARY);
    if ( !(b & REG_B_24H) )
        t.hour = t.hour % 12 + ((hour & 0x80) ? 12 : 0);
    t.mday = decode(t.mday, b & REG_B_BINARY);
    t.mon = decode(t.mon, b & REG_B_BINARY);
    century = decode(century, b & REG_B_BINARY);
    /* No believable century byte: 19xx for 70-99, else 20xx. */
    if ( century < 19 || century > 99 )
        century = decode(t.year, b & REG_B_BINARY) >= 70 ? 19 : 20;
    t.year = century * 100 + decode(t.year, b & REG_B_BINARY);

    wallclock_set(rtc_time_to_secs(&t), at);
    secs_to_rtc_time(rtc_time_to_secs(&t), &t);
    printk("RTC: host time %04u-%02u-%02u %02u:%02u:%02u UTC (%s, %s)\n",
           t.year, t.mon, t.mday, t.hour, t.min, t.sec,
           (b & REG_B_BINARY) ? "binary" : "BCD",
           (b & REG_B_24H) ? "24-hour" : "12-hour");
}

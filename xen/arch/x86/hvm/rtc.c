/*
 * The guest's MC146818 real-time clock and CMOS RAM at ports 0x70/0x71
 * (Motorola MC146818A datasheet; the PC's century byte at 0x32).
 *
 * Time: the domain's clock is the wall-clock time (the host's RTC read at
 * boot, advanced with system time: common/wallclock.c) plus a per-domain
 * offset that the guest changes by setting the time.  What is modelled:
 * - seconds, minutes, hours, weekday, date, month, year (0x00-0x09) and
 *   century (0x32), read and written in BCD or binary (B.DM) and in 24-
 *   or 12-hour form (B.24/12; in 12-hour form bit 7 of the hours is PM);
 *   the weekday (1 = Sunday) follows the date, so writes to it are
 *   ignored;
 * - A.UIP is set during the 244 us before each second's update (derived
 *   from the clock, so deterministic); the update itself is instant, so
 *   a read started with UIP clear always sees a consistent time;
 * - B.SET stops the updates and clears UIP (and B.UIE): the time
 *   registers then hold still and take the guest's writes; clearing SET
 *   starts the new time at the beginning of a second.  Writes with SET
 *   clear change the running clock, keeping the fraction of the second;
 * - the alarm registers, A's divider and rate bits and B's other bits
 *   are stored and read back; C reads 0 (no flags), D reads 0x80 (valid
 *   RAM and time); C and D ignore writes;
 * - CMOS RAM 0x0e-0x7f (bar 0x32) per domain, zero at power-on (Linux
 *   writes the warm-reset code to 0x0f before an AP's INIT).
 * Not modelled: IRQ 8 (periodic, alarm and update-ended interrupts: no
 * flag is ever set in C), daylight saving (B.DSE), a stopped divider
 * (A.DV other than 010 does not stop the clock), and out-of-range values
 * (a written field is clamped to its range; the chip would store it and
 * count oddly).  Years are clamped to 1970-2199.  A change of B.DM or
 * B.24/12 changes how the time registers read at once (the chip keeps
 * their bytes until the time is set again; QEMU and Bochs convert too).
 *
 * Locking: everything but the index byte is under rtc.lock; the index is
 * one byte written with one store (racing vCPUs get one of the values).
 */
#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
#include <xen/time.h>
#include <xen/wallclock.h>
#include <asm/hvm/domain.h>
#include <asm/hvm/io.h>

#include "devices.h"

#define RTC_INDEX_MASK  0x7f    /* bit 7 of the index is the NMI mask */

#define REG_SEC         0x00
#define REG_SEC_ALARM   0x01
#define REG_MIN         0x02
#define REG_MIN_ALARM   0x03
#define REG_HOUR        0x04
#define REG_HOUR_ALARM  0x05
#define REG_WDAY        0x06
#define REG_MDAY        0x07
#define REG_MON         0x08
#define REG_YEAR        0x09
#define REG_A           0x0a
#define REG_B           0x0b
#define REG_C           0x0c
#define REG_D           0x0d
#define REG_CENTURY     0x32

#define A_UIP           0x80
#define B_SET           0x80
#define B_UIE           0x10
#define B_BINARY        0x04
#define B_24H           0x02
#define HOUR_PM         0x80

/* 32.768 kHz time base, 1024 Hz rate; 24-hour BCD, as a BIOS leaves it. */
#define A_POWER_ON      0x26
#define B_POWER_ON      0x02
#define D_VRT           0x80

/* The datasheet's update-in-progress lead: UIP rises 244 us early. */
#define UIP_NS          244000ULL

#define MIN_YEAR        1970
#define MAX_YEAR        2199

void vrtc_init(struct vrtc *rtc)
{
    spin_lock_init(&rtc->lock);
    rtc->index = 0;
    rtc->a = A_POWER_ON;
    rtc->b = B_POWER_ON;
    memset(rtc->alarm, 0, sizeof(rtc->alarm));
    rtc->offset_ns = 0;
    rtc->held = 0;
    memset(rtc->nvram, 0, sizeof(rtc->nvram));
}

/* The domain's clock in ns since the epoch. */
static u64 clock_ns(const struct vrtc *rtc, s_time_t now)
{
    s64 ns = (s64)wallclock_ns(now) + rtc->offset_ns;

    return ns > 0 ? ns : 0;
}

/* The time the registers show, in seconds. */
static u64 shown_secs(const struct vrtc *rtc, s_time_t now)
{
    if ( rtc->b & B_SET )
        return rtc->held;
    return clock_ns(rtc, now) / NS_PER_SECOND;
}

static bool uip(const struct vrtc *rtc, s_time_t now)
{
    if ( rtc->b & B_SET )
        return false;
    return clock_ns(rtc, now) % NS_PER_SECOND >= NS_PER_SECOND - UIP_NS;
}

static u8 encode(const struct vrtc *rtc, unsigned int v)
{
    v %= 100;
    return (rtc->b & B_BINARY) ? v : ((v / 10) << 4) | (v % 10);
}

static unsigned int decode(const struct vrtc *rtc, u8 v)
{
    return (rtc->b & B_BINARY) ? v : (v >> 4) * 10 + (v & 0xf);
}

static u8 encode_hour(const struct vrtc *rtc, unsigned int hour)
{
    unsigned int h12 = hour % 12 ? hour % 12 : 12;

    if ( rtc->b & B_24H )
        return encode(rtc, hour);
    return encode(rtc, h12) | (hour >= 12 ? HOUR_PM : 0);
}

static unsigned int decode_hour(const struct vrtc *rtc, u8 v)
{
    if ( rtc->b & B_24H )
        return decode(rtc, v);
    /* 12 AM is midnight, 12 PM noon. */
    return decode(rtc, v & ~HOUR_PM) % 12 + ((v & HOUR_PM) ? 12 : 0);
}

/* Caller holds rtc->lock. */
static u8 rtc_read(struct vrtc *rtc, u8 index, s_time_t now)
{
    struct rtc_time t;

    switch ( index )
    {
    case REG_SEC: case REG_MIN: case REG_HOUR: case REG_WDAY:
    case REG_MDAY: case REG_MON: case REG_YEAR: case REG_CENTURY:
        secs_to_rtc_time(shown_secs(rtc, now), &t);
        switch ( index )
        {
        case REG_SEC:       return encode(rtc, t.sec);
        case REG_MIN:       return encode(rtc, t.min);
        case REG_HOUR:      return encode_hour(rtc, t.hour);
        case REG_WDAY:      return encode(rtc, t.wday + 1);
        case REG_MDAY:      return encode(rtc, t.mday);
        case REG_MON:       return encode(rtc, t.mon);
        case REG_YEAR:      return encode(rtc, t.year % 100);
        default:            return encode(rtc, t.year / 100);
        }
    case REG_SEC_ALARM: case REG_MIN_ALARM: case REG_HOUR_ALARM:
        return rtc->alarm[index / 2];
    case REG_A:
        return rtc->a | (uip(rtc, now) ? A_UIP : 0);
    case REG_B:
        return rtc->b;
    case REG_C:
        return 0;
    case REG_D:
        return D_VRT;
    default:
        return rtc->nvram[index];
    }
}

/* A write to a time register.  Caller holds rtc->lock. */
static void set_field(struct vrtc *rtc, u8 index, u8 val, s_time_t now)
{
    u64 secs = shown_secs(rtc, now), new;
    struct rtc_time t;

    secs_to_rtc_time(secs, &t);
    switch ( index )
    {
    case REG_SEC:       t.sec = decode(rtc, val); break;
    case REG_MIN:       t.min = decode(rtc, val); break;
    case REG_HOUR:      t.hour = decode_hour(rtc, val); break;
    case REG_MDAY:      t.mday = decode(rtc, val); break;
    case REG_MON:       t.mon = decode(rtc, val); break;
    case REG_YEAR:      t.year = t.year / 100 * 100 + decode(rtc, val); break;
    case REG_CENTURY:   t.year = decode(rtc, val) * 100 + t.year % 100; break;
    default:            return;
    }
    if ( t.year < MIN_YEAR )
        t.year = MIN_YEAR;
    if ( t.year > MAX_YEAR )
        t.year = MAX_YEAR;
    new = rtc_time_to_secs(&t);

    if ( rtc->b & B_SET )
        rtc->held = new;
    else
        rtc->offset_ns += ((s64)new - (s64)secs) * (s64)NS_PER_SECOND;
}

/* Caller holds rtc->lock. */
static void set_b(struct vrtc *rtc, u8 val, s_time_t now)
{
    bool was = rtc->b & B_SET, set = val & B_SET;

    if ( set && !was )
        rtc->held = shown_secs(rtc, now);
    else if ( !set && was )
        /* The held time starts now, at the beginning of its second. */
        rtc->offset_ns = (s64)(rtc->held * NS_PER_SECOND) -
                         (s64)wallclock_ns(now);
    rtc->b = set ? val & ~B_UIE : val;
}

/* Caller holds rtc->lock. */
static void rtc_write(struct vrtc *rtc, u8 index, u8 val, s_time_t now)
{
    switch ( index )
    {
    case REG_SEC: case REG_MIN: case REG_HOUR: case REG_MDAY:
    case REG_MON: case REG_YEAR: case REG_CENTURY:
        set_field(rtc, index, val, now);
        break;
    case REG_WDAY:
    case REG_C:
    case REG_D:
        break;
    case REG_SEC_ALARM: case REG_MIN_ALARM: case REG_HOUR_ALARM:
        rtc->alarm[index / 2] = val;
        break;
    case REG_A:
        rtc->a = val & ~A_UIP;
        break;
    case REG_B:
        set_b(rtc, val, now);
        break;
    default:
        rtc->nvram[index] = val;
        break;
    }
}

void vrtc_portio(struct vcpu *v, bool write, u16 port, unsigned int size,
                 u32 *val)
{
    struct hvm_domain *hvm = domain_hvm(v->domain);
    struct vrtc *rtc;
    unsigned int i;
    u32 result = 0;

    if ( !hvm )
        return;
    rtc = &hvm->rtc;

    for ( i = 0; i < size; i++ )
    {
        u8 byte = 0xff;

        if ( port + i == RTC_PORT )
        {
            /* The index register cannot be read back on a PC. */
            if ( write )
                WRITE_ONCE(rtc->index, (*val >> (8 * i)) & RTC_INDEX_MASK);
        }
        else if ( port + i == RTC_PORT + 1 )
        {
            u8 index = READ_ONCE(rtc->index);

            spin_lock(&rtc->lock);
            if ( write )
                rtc_write(rtc, index, *val >> (8 * i), NOW());
            else
                byte = rtc_read(rtc, index, NOW());
            spin_unlock(&rtc->lock);
        }
        result |= (u32)byte << (8 * i);
    }
    if ( !write )
        *val = result;
}

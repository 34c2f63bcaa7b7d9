/*
 * The hypervisor console: printk output goes to the serial line and into
 * a ring buffer that dom0 can read later (dmesg).
 */
#ifndef XEN_CONSOLE_H
#define XEN_CONSOLE_H

#include <xen/types.h>

/* Log levels as numbers; XENLOG_* prefixes in xen/lib.h map onto these. */
enum { LOGLVL_ERR, LOGLVL_WARNING, LOGLVL_INFO, LOGLVL_DEBUG };

void console_init(void);            /* serial up, before the first printk */
/* Console input is ready: keys can reach the debug-key handlers. */
void console_input_init(void);
/*
 * A byte received on the serial line (interrupt context).  It goes to
 * dom0's UART while dom0 runs, to the debug keys otherwise; three Ctrl-A
 * in a row switch input between the hypervisor and dom0.
 */
void console_rx_char(char c);
/* dom0 has started or stopped: serial input follows it (console.c). */
void console_dom0_started(void);
/* A console domain's output, to the serial line as it is (no prefix). */
void console_write_raw(const char *s, size_t len);
void console_dom0_stopped(void);
void console_set_loglevel(const char *arg);

/*
 * Copy up to 'size' bytes of the ring, starting at the absolute offset
 * *pos (bytes ever written), into 'buf'; *pos advances.  Text that was
 * overwritten before it was read is skipped.  Returns bytes copied.
 */
size_t console_ring_read(u64 *pos, char *buf, size_t size);
u64 console_ring_written(void);
/* Forget the text written so far: reads start after it. */
void console_ring_clear(void);

/*
 * Print without taking the console lock, for a crashing pCPU that may
 * have interrupted the lock holder.
 */
void console_force_unlock(void);

#endif /* XEN_CONSOLE_H */

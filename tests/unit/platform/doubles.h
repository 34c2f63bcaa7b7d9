/*
 * Test doubles for the HVM platform and builder suites: what the device
 * models and the builder call outside their own files, recorded and
 * steerable.
 *
 * - Guest RAM: a host array of a fixed capacity (malloc'd to exactly that
 *   size, so ASan catches any overrun), populated page by page through
 *   p2m_populate().  copy_to/from_guest_phys() refuse (-EFAULT) any byte
 *   outside populated RAM and count the attempt: a test asserts that none
 *   happened.  Fresh pages are filled with 0xa5, as unscrubbed heap pages
 *   could be, so a loader that forgets to zero shows.
 * - domain_hvm(): a small table binding a struct domain to its struct
 *   hvm_domain; unbound domains get NULL.
 * - hvm_domain_exit(), hvm_domain_shutdown(), vlapic_ipi(),
 *   hvm_vioapic_levels_changed(): recorded.
 * - NOW(): a settable clock.
 */
#ifndef UNIT_PLATFORM_DOUBLES_H
#define UNIT_PLATFORM_DOUBLES_H

#include <xen/types.h>
#include <xen/sched.h>
#include <asm/hvm/domain.h>

/* --- a domain with one vCPU --- */

/*
 * Reset every double and the stubs' log, then give d (id 'id', HVM) a
 * fresh zeroed hvm_domain, bound, and v0 as its vCPU 0.  Nothing is
 * registered yet.  The previous call's hvm_domain is freed.
 */
struct hvm_domain *fake_domain_setup(struct domain *d, struct vcpu *v0,
                                     domid_t id);

/* --- guest RAM --- */

/* Fresh RAM of 'capacity' bytes (page multiple), nothing populated. */
void fake_ram_reset(u64 capacity);
void fake_ram_free(void);
u8 *fake_ram(void);
u64 fake_ram_capacity(void);
/* Pages populated so far, and whether every page below 'bytes' is. */
u64 fake_ram_populated_pages(void);
bool fake_ram_is_populated(u64 bytes);
/* Accesses refused because they left populated RAM. */
unsigned int fake_ram_bad_accesses(void);
/* Successful copy_to_guest_phys() calls (a len of 0 counts too). */
unsigned int fake_ram_writes(void);
/* Called after each successful copy_to_guest_phys() (NULL: none). */
void fake_ram_write_hook(void (*fn)(u64 gpa, size_t len));
/* p2m_populate() calls, and the arguments of the last one. */
unsigned int fake_p2m_populate_calls(void);
u64 fake_p2m_last_gfn(void);
u64 fake_p2m_last_nr(void);
/* Make the next p2m_populate() fail with rc (0: stop failing). */
void fake_p2m_fail(int rc);

/* --- domains --- */

void fake_hvm_bind(struct domain *d, struct hvm_domain *hvm);
void fake_hvm_unbind_all(void);

/* --- hvm_domain_exit --- */

unsigned int fake_exit_calls(void);
struct domain *fake_exit_domain(void);
u32 fake_exit_status(void);

/* --- hvm_domain_shutdown (ACPI power off and reset) --- */

unsigned int fake_shutdown_calls(void);
struct domain *fake_shutdown_domain(void);
u8 fake_shutdown_reason(void);         /* 0xff until the first call */

/* --- hvm_vioapic_levels_changed --- */

unsigned int fake_levels_changed_calls(void);
/* fake_ipi_count() when it was last called. */
unsigned int fake_levels_changed_ipis_before(void);

/* --- vlapic_ipi --- */

#define FAKE_MAX_IPIS 64

struct fake_ipi
{
    struct vlapic *src;
    struct domain *d;
    u32 icr_low;
    u32 dest;
};

unsigned int fake_ipi_count(void);
const struct fake_ipi *fake_ipi(unsigned int i);
void fake_ipi_reset(void);

/* --- time --- */

void fake_set_now(s_time_t t);
void fake_advance(s_time_t ns);

/* Everything above back to its initial state (RAM kept for reuse). */
void fake_reset_all(void);

#endif /* UNIT_PLATFORM_DOUBLES_H */

/*
 * Test doubles for the HVM platform and builder suites: see doubles.h.
 */
#include <stdlib.h>
#include <string.h>

#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/time.h>
#include <asm/hvm/domain.h>
#include <asm/hvm/vlapic.h>

#include "harness.h"
#include "doubles.h"
#include "stubs.h"

/* --- guest RAM --- */

static u8 *ram;
static u8 *populated;           /* one byte per page */
static u64 ram_capacity;
static unsigned int bad_accesses, writes, populate_calls;
static u64 last_gfn, last_nr;
static int populate_fail;
static void (*write_hook)(u64 gpa, size_t len);

void fake_ram_free(void)
{
    free(ram);
    free(populated);
    ram = NULL;
    populated = NULL;
    ram_capacity = 0;
}

void fake_ram_reset(u64 capacity)
{
    /* The same size again: reuse it (fresh mappings are slow under ASan). */
    if ( !ram || capacity != ram_capacity )
    {
        fake_ram_free();
        ram_capacity = capacity;
        ram = malloc(capacity ? capacity : 1);
        populated = calloc(capacity / PAGE_SIZE + 1, 1);
        REQUIRE(ram && populated);
    }
    memset(populated, 0, capacity / PAGE_SIZE + 1);
    memset(ram, 0x5a, capacity);
    bad_accesses = 0;
    writes = 0;
    populate_calls = 0;
    last_gfn = last_nr = 0;
    populate_fail = 0;
    write_hook = NULL;
}

u8 *fake_ram(void)
{
    return ram;
}

u64 fake_ram_capacity(void)
{
    return ram_capacity;
}

u64 fake_ram_populated_pages(void)
{
    u64 n = 0;

    for ( u64 i = 0; i < ram_capacity / PAGE_SIZE; i++ )
        n += populated[i];
    return n;
}

bool fake_ram_is_populated(u64 bytes)
{
    if ( bytes > ram_capacity )
        return false;
    for ( u64 i = 0; i < bytes / PAGE_SIZE; i++ )
        if ( !populated[i] )
            return false;
    return true;
}

unsigned int fake_ram_bad_accesses(void)
{
    return bad_accesses;
}

unsigned int fake_ram_writes(void)
{
    return writes;
}

unsigned int fake_p2m_populate_calls(void)
{
    return populate_calls;
}

u64 fake_p2m_last_gfn(void)
{
    return last_gfn;
}

u64 fake_p2m_last_nr(void)
{
    return last_nr;
}

void fake_ram_write_hook(void (*fn)(u64 gpa, size_t len))
{
    write_hook = fn;
}

void fake_p2m_fail(int rc)
{
    populate_fail = rc;
}

int p2m_populate(struct domain *d, u64 gfn, u64 nr)
{
    (void)d;
    populate_calls++;
    last_gfn = gfn;
    last_nr = nr;

    if ( populate_fail )
        return populate_fail;
    if ( gfn > ram_capacity / PAGE_SIZE ||
         nr > ram_capacity / PAGE_SIZE - gfn )
        return -ENOMEM;
    for ( u64 i = gfn; i < gfn + nr; i++ )
    {
        if ( !populated[i] )
            memset(ram + i * PAGE_SIZE, 0xa5, PAGE_SIZE);
        populated[i] = 1;
    }
    return 0;
}

u64 p2m_lookup(const struct domain *d, u64 gfn)
{
    (void)d;
    if ( gfn >= ram_capacity / PAGE_SIZE || !populated[gfn] )
        return ~0ULL;
    return gfn;
}

void p2m_teardown(struct domain *d)
{
    (void)d;
    memset(populated, 0, ram_capacity / PAGE_SIZE + 1);
}

/* Whether [gpa, gpa + len) is all populated RAM. */
static bool range_ok(u64 gpa, size_t len)
{
    if ( !ram || gpa > ram_capacity || len > ram_capacity - gpa )
        return false;
    for ( u64 p = gpa & PAGE_MASK; p < gpa + len; p += PAGE_SIZE )
        if ( !populated[p / PAGE_SIZE] )
            return false;
    return true;
}

int copy_to_guest_phys(struct domain *d, u64 gpa, const void *src,
                       size_t len)
{
    (void)d;
    if ( !range_ok(gpa, len) )
    {
        bad_accesses++;
        return -EFAULT;
    }
    memcpy(ram + gpa, src, len);
    writes++;
    if ( write_hook )
        write_hook(gpa, len);
    return 0;
}

int copy_from_guest_phys(struct domain *d, void *dst, u64 gpa, size_t len)
{
    (void)d;
    if ( !range_ok(gpa, len) )
    {
        bad_accesses++;
        return -EFAULT;
    }
    memcpy(dst, ram + gpa, len);
    return 0;
}

/* --- domains --- */

#define MAX_BINDINGS 8

static struct
{
    struct domain *d;
    struct hvm_domain *hvm;
} bindings[MAX_BINDINGS];

void fake_hvm_bind(struct domain *d, struct hvm_domain *hvm)
{
    for ( unsigned int i = 0; i < MAX_BINDINGS; i++ )
        if ( !bindings[i].d || bindings[i].d == d )
        {
            bindings[i].d = d;
            bindings[i].hvm = hvm;
            return;
        }
    REQUIRE(!"too many domain bindings");
}

void fake_hvm_unbind_all(void)
{
    memset(bindings, 0, sizeof(bindings));
}

struct hvm_domain *domain_hvm(struct domain *d)
{
    for ( unsigned int i = 0; i < MAX_BINDINGS; i++ )
        if ( bindings[i].d == d && d )
            return bindings[i].hvm;
    return NULL;
}

/* --- hvm_domain_exit --- */

static unsigned int exit_calls;
static struct domain *exit_domain;
static u32 exit_status;

void hvm_domain_exit(struct domain *d, u32 status)
{
    exit_calls++;
    exit_domain = d;
    exit_status = status;
}

unsigned int fake_exit_calls(void)
{
    return exit_calls;
}

struct domain *fake_exit_domain(void)
{
    return exit_domain;
}

u32 fake_exit_status(void)
{
    return exit_status;
}

/* --- hvm_domain_shutdown --- */

static unsigned int shutdown_calls;
static struct domain *shutdown_domain;
static u8 shutdown_reason;

void hvm_domain_shutdown(struct domain *d, u8 reason)
{
    shutdown_calls++;
    shutdown_domain = d;
    shutdown_reason = reason;
}

unsigned int fake_shutdown_calls(void)
{
    return shutdown_calls;
}

struct domain *fake_shutdown_domain(void)
{
    return shutdown_domain;
}

u8 fake_shutdown_reason(void)
{
    return shutdown_reason;
}

/* --- hvm_vioapic_levels_changed --- */

static unsigned int levels_calls, levels_ipis_before;

void hvm_vioapic_levels_changed(struct domain *d)
{
    (void)d;
    levels_calls++;
    levels_ipis_before = fake_ipi_count();
}

unsigned int fake_levels_changed_calls(void)
{
    return levels_calls;
}

unsigned int fake_levels_changed_ipis_before(void)
{
    return levels_ipis_before;
}

/* --- vlapic_ipi --- */

static struct fake_ipi ipis[FAKE_MAX_IPIS];
static unsigned int nr_ipis;

void vlapic_ipi(struct vlapic *src, struct domain *d, u32 icr_low, u32 dest)
{
    if ( nr_ipis == FAKE_MAX_IPIS )
    {
        harness_fail(__FILE__, __LINE__, false, "too many IPIs recorded");
        return;
    }
    ipis[nr_ipis].src = src;
    ipis[nr_ipis].d = d;
    ipis[nr_ipis].icr_low = icr_low;
    ipis[nr_ipis].dest = dest;
    nr_ipis++;
}

unsigned int fake_ipi_count(void)
{
    return nr_ipis;
}

const struct fake_ipi *fake_ipi(unsigned int i)
{
    static const struct fake_ipi none;

    return i < nr_ipis ? &ipis[i] : &none;
}

void fake_ipi_reset(void)
{
    nr_ipis = 0;
    memset(ipis, 0, sizeof(ipis));
}

/* --- time --- */

static s_time_t fake_now;

s_time_t get_s_time(void)
{
    return fake_now;
}

void fake_set_now(s_time_t t)
{
    fake_now = t;
}

void fake_advance(s_time_t ns)
{
    fake_now += ns;
}

void fake_reset_all(void)
{
    bad_accesses = writes = populate_calls = 0;
    write_hook = NULL;
    populate_fail = 0;
    fake_hvm_unbind_all();
    exit_calls = 0;
    exit_domain = NULL;
    exit_status = 0;
    shutdown_calls = 0;
    shutdown_domain = NULL;
    shutdown_reason = 0xff;
    fake_ipi_reset();
    levels_calls = levels_ipis_before = 0;
    fake_now = 0;
}

/* --- a domain with one vCPU --- */

static struct hvm_domain *setup_hvm;

struct hvm_domain *fake_domain_setup(struct domain *d, struct vcpu *v0,
                                     domid_t id)
{
    stub_reset();
    fake_reset_all();
    free(setup_hvm);
    setup_hvm = calloc(1, sizeof(*setup_hvm));
    REQUIRE(setup_hvm);
    memset(d, 0, sizeof(*d));
    memset(v0, 0, sizeof(*v0));
    d->domain_id = id;
    d->is_hvm = true;
    v0->domain = d;
    fake_hvm_bind(d, setup_hvm);
    return setup_hvm;
}

/*
 * What a test kernel sees: the whole library, the verdict functions and
 * the boot information. A test defines test_name[] and test_main(); the
 * library's lib_main() calls test_main() after the common set-up, and
 * test_main() must end with exactly one of test_pass/test_fail/test_skip.
 *
 * Verdict line on the UART: "VERDICT <test_name> PASS|FAIL|SKIP <text>",
 * then the status (0 for PASS and SKIP, 1 for FAIL) goes to exit port 0xf4
 * and "Shutdown" to port 0x8900 (ends native Bochs).
 */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H

#include "apic.h"
#include "atomic.h"
#include "console.h"
#include "env.h"
#include "idt.h"
#include "smp.h"
#include "string.h"
#include "time.h"
#include "x86.h"

#define EXIT_PORT       0xf4
#define BOCHS_SHUTDOWN_PORT 0x8900

extern const char test_name[];
void test_main(void);

noreturn void test_pass(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
noreturn void test_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
noreturn void test_skip(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Fail the test with the message unless cond holds. */
#define CHECK(cond, ...)                        \
    do {                                        \
        if ( !(cond) )                          \
            test_fail(__VA_ARGS__);             \
    } while ( 0 )

/*
 * Common start for tests that use the LAPIC: this CPU's LAPIC in `mode`,
 * TSC and LAPIC timer frequencies, the MADT, and (if start_aps) every AP
 * started into the same mode. Returns the number of CPUs.
 */
unsigned int platform_init(enum apic_mode mode, bool start_aps);

/* The APIC mode from env "apic=xapic|x2apic", else the default. */
enum apic_mode apic_mode_param(enum apic_mode def);

/* Boot information copied out of the Multiboot structures. */
struct mem_range
{
    uint64_t base, len;
    uint32_t type;                  /* 1 = RAM */
};

extern struct mem_range mem_map[32];
extern unsigned int mem_map_count;
extern uint32_t mem_upper_kb;

/* Whether [addr, addr+len) overlaps any range of the E820 map. */
bool mem_map_overlaps(uint64_t addr, uint64_t len);

#endif /* GUEST_TEST_H */

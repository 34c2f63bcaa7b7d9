/*
 * apic_disable: globally disabling the local APIC (IA32_APIC_BASE.EN = 0,
 * SDM Vol. 3A, 11.4.3) takes it off the bus and out of CPUID, and
 * enabling it again gives the power-up state.  With EN clear:
 * CPUID.1:EDX.APIC (bit 9) reads 0, the xAPIC page at 0xfee00000 no
 * longer decodes as the APIC (reads float to all ones, writes go
 * nowhere), and no interrupt is accepted.  With EN set again: CPUID
 * shows the APIC, the page decodes, and the registers are as after
 * power-up - SVR 0xff (software-disabled), every LVT masked, TPR 0,
 * IRR/ISR empty, the ID unchanged.  In x2APIC mode the page floats as
 * when disabled (SDM 10.12.2), and a write to it does not reach the TPR.
 */
#include "test.h"

const char test_name[] = "apic_disable";

#define APIC_BASE_EN        (1u << 11)
#define APIC_BASE_EXTD      (1u << 10)
#define CPUID1_EDX_APIC     (1u << 9)
#define XAPIC_PAGE          0xfee00000u

static uint32_t cpuid_edx1(void)
{
    uint32_t a, b, c, d;

    cpuid(1, 0, &a, &b, &c, &d);
    return d;
}

static uint32_t page_read(unsigned int reg)
{
    return *(volatile uint32_t *)(XAPIC_PAGE + reg);
}

static void page_write(unsigned int reg, uint32_t v)
{
    *(volatile uint32_t *)(XAPIC_PAGE + reg) = v;
}

void test_main(void)
{
    static const unsigned int lvts[] = {
        APIC_LVTT, APIC_LINT0, APIC_LINT1, APIC_LVT_ERR,
    };
    uint64_t base;
    uint32_t id, ver;

    platform_init(APIC_MODE_XAPIC, false);
    cli();
    CHECK(cpuid_edx1() & CPUID1_EDX_APIC, "CPUID.1:EDX.APIC clear with "
          "the APIC enabled");
    base = rdmsr(MSR_APIC_BASE);
    CHECK(base & APIC_BASE_EN, "APIC base %#llx: not enabled at start",
          base);
    id = page_read(APIC_ID);
    ver = page_read(APIC_VERSION);
    page_write(APIC_SVR, 0x1ff);
    page_write(APIC_TPR, 0x20);
    page_write(APIC_LINT0, 0x30);

    /* Globally disabled. */
    wrmsr(MSR_APIC_BASE, base & ~(uint64_t)APIC_BASE_EN);
    CHECK(!(rdmsr(MSR_APIC_BASE) & APIC_BASE_EN), "EN still reads 1");
    CHECK(!(cpuid_edx1() & CPUID1_EDX_APIC), "CPUID.1:EDX.APIC set with "
          "the APIC globally disabled");
    CHECK(page_read(APIC_VERSION) == 0xffffffffu, "APIC page still decodes "
          "when disabled: version reads %#x", page_read(APIC_VERSION));
    page_write(APIC_TPR, 0x70);
    CHECK(page_read(APIC_TPR) == 0xffffffffu, "a write to the disabled "
          "APIC page reads back %#x", page_read(APIC_TPR));

    /* Enabled again: the power-up state (SDM 11.4.3, 11.4.7.1). */
    wrmsr(MSR_APIC_BASE, base);
    CHECK(cpuid_edx1() & CPUID1_EDX_APIC, "CPUID.1:EDX.APIC clear after "
          "re-enabling");
    CHECK(page_read(APIC_VERSION) == ver, "version %#x after re-enabling, "
          "%#x before", page_read(APIC_VERSION), ver);
    CHECK(page_read(APIC_ID) == id, "ID %#x after re-enabling, %#x before",
          page_read(APIC_ID), id);
    CHECK(page_read(APIC_SVR) == 0xff, "SVR %#x after re-enabling, "
          "expected 0xff", page_read(APIC_SVR));
    CHECK(page_read(APIC_TPR) == 0, "TPR %#x after re-enabling",
          page_read(APIC_TPR));
    for ( unsigned int i = 0; i < ARRAY_SIZE(lvts); i++ )
        CHECK(page_read(lvts[i]) & APIC_LVT_MASKED, "LVT %#x reads %#x "
              "after re-enabling: not masked", lvts[i],
              page_read(lvts[i]));
    for ( unsigned int i = 0; i < 8; i++ )
        CHECK(page_read(APIC_ISR + 0x10 * i) == 0 &&
              page_read(APIC_IRR + 0x10 * i) == 0, "ISR/IRR word %u not "
              "empty after re-enabling", i);
    /* Usable again once software-enabled. */
    page_write(APIC_SVR, 0x1ff);
    page_write(APIC_TPR, 0x20);
    CHECK(page_read(APIC_TPR) == 0x20, "TPR reads %#x after writing 0x20",
          page_read(APIC_TPR));
    page_write(APIC_TPR, 0);

    if ( apic_has_x2apic() )
    {
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
        CHECK(page_read(APIC_VERSION) == 0xffffffffu, "APIC page decodes "
              "in x2APIC mode: version reads %#x", page_read(APIC_VERSION));
        page_write(APIC_TPR, 0x50);
        CHECK(rdmsr(0x808) == 0, "x2APIC TPR %#llx after a write of "
              "0x50 to the xAPIC page, expected 0", rdmsr(0x808));
        /* Back to xAPIC only through the disabled state (SDM 10.12.5). */
        wrmsr(MSR_APIC_BASE, base & ~(uint64_t)APIC_BASE_EN);
        wrmsr(MSR_APIC_BASE, base);
        CHECK(page_read(APIC_VERSION) == ver, "version %#x after leaving "
              "x2APIC mode, %#x before", page_read(APIC_VERSION), ver);
    }
    sti();
    test_pass("disabled: CPUID.1:EDX.APIC 0, page floats; re-enabled: "
              "power-up state, ID %#x%s", id >> 24,
              apic_has_x2apic() ? "; x2APIC: page floats" : "");
}

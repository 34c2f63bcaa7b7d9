# The HVM platform: port/MMIO dispatch, the UART, exit port, PIC, PIT,
# RTC (with the wall-clock calendar), PCI and IOAPIC models
# (test_platform), and the Multiboot domain
# builder with its ACPI tables, parsed back with the hypervisor's own
# ACPI parser (test_builder).  Test doubles in tests/unit/platform/.

PLAT_DIR     := $(UNIT_DIR)/platform
PLAT_SUPPORT := $(BUILD)/platform/doubles.o
PLAT_DEVICES := xen/arch/x86/hvm/io.c xen/arch/x86/hvm/vuart.c \
                xen/arch/x86/hvm/vioapic.c xen/arch/x86/hvm/platform.c \
                xen/arch/x86/hvm/rtc.c xen/common/wallclock.c
PLAT_BUILDER := xen/arch/x86/hvm/builder.c xen/arch/x86/hvm/acpi_build.c \
                xen/arch/x86/acpi/tables.c

TESTS += platform builder

SRCS_platform  := $(PLAT_DEVICES)
EXTRA_platform := $(PLAT_SUPPORT)
SRCS_builder   := $(PLAT_BUILDER)
EXTRA_builder  := $(PLAT_SUPPORT)

# xen/sched.h includes xen/cpumask.h, which needs NR_CPUS (the hypervisor
# gets it from its make flags).  Per object, so no other suite changes.
PLAT_NEEDS_NR_CPUS := \
    $(patsubst %.c,$(BUILD)/%.o,$(PLAT_DEVICES) xen/arch/x86/hvm/builder.c \
        xen/arch/x86/hvm/acpi_build.c) \
    $(PLAT_SUPPORT) $(BUILD)/test_platform.o $(BUILD)/test_builder.o
$(PLAT_NEEDS_NR_CPUS): CFLAGS_UNIT += -DNR_CPUS=64
# The doubles include the harness from the directory above.
$(PLAT_SUPPORT) $(BUILD)/test_platform.o $(BUILD)/test_builder.o: \
    CFLAGS_UNIT += -I$(PLAT_DIR)
$(PLAT_SUPPORT): CFLAGS_UNIT += -I$(UNIT_DIR)

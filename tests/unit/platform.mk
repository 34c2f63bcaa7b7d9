# The HVM platform: port/MMIO dispatch, the UART, exit port, PIC, PIT,
# RTC (with the wall-clock calendar), PCI and IOAPIC models
# (test_platform), the 16550A as an interrupting device (test_vuart),
# pc-testdev's interrupt lines (test_testdev), and the Multiboot domain
# builder with its ACPI tables, parsed back with the hypervisor's own
# ACPI parser (test_builder).  Test doubles in tests/unit/platform/.

PLAT_DIR     := $(UNIT_DIR)/platform
PLAT_SUPPORT := $(BUILD)/platform/doubles.o
PLAT_DEVICES := xen/arch/x86/hvm/io.c xen/arch/x86/hvm/vuart.c \
                xen/arch/x86/hvm/vioapic.c xen/arch/x86/hvm/platform.c \
                xen/arch/x86/hvm/acpi_pm.c xen/arch/x86/hvm/rtc.c \
                xen/common/wallclock.c
PLAT_BUILDER := xen/arch/x86/hvm/builder.c xen/arch/x86/hvm/acpi_build.c \
                xen/arch/x86/acpi/tables.c xen/common/libimage/libimage.c

TESTS += platform vuart testdev builder

SRCS_platform  := $(PLAT_DEVICES)
EXTRA_platform := $(PLAT_SUPPORT)
SRCS_vuart     := $(PLAT_DEVICES)
EXTRA_vuart    := $(PLAT_SUPPORT)
SRCS_testdev   := $(PLAT_DEVICES) xen/arch/x86/hvm/testdev.c
EXTRA_testdev  := $(PLAT_SUPPORT)
SRCS_builder   := $(PLAT_BUILDER)
EXTRA_builder  := $(PLAT_SUPPORT) $(BUILD)/generated/dsdt_aml.o

# The guest DSDT, compiled from its ASL as the hypervisor build does.
$(BUILD)/generated/dsdt_aml.c: $(TOP)/xen/arch/x86/hvm/dsdt.asl \
                               $(TOP)/xen/tools/aml2c.sh
	@mkdir -p $(dir $@)
	@echo "  IASL    dsdt.asl"
	@sh $(TOP)/xen/tools/aml2c.sh $< $@ dsdt_aml
$(BUILD)/generated/dsdt_aml.o: $(BUILD)/generated/dsdt_aml.c
	@echo "  CC      $(notdir $<)"
	@$(HOSTCC) $(CFLAGS_UNIT) -c $< -o $@

# xen/sched.h includes xen/cpumask.h, which needs NR_CPUS (the hypervisor
# gets it from its make flags).  Per object, so no other suite changes.
PLAT_NEEDS_NR_CPUS := \
    $(patsubst %.c,$(BUILD)/%.o,$(PLAT_DEVICES) xen/arch/x86/hvm/builder.c \
        xen/arch/x86/hvm/acpi_build.c) \
    $(PLAT_SUPPORT) $(BUILD)/test_platform.o $(BUILD)/test_builder.o \
    $(BUILD)/test_vuart.o $(BUILD)/test_testdev.o \
    $(BUILD)/xen/arch/x86/hvm/testdev.o
$(PLAT_NEEDS_NR_CPUS): CFLAGS_UNIT += -DNR_CPUS=64
# The doubles include the harness from the directory above.
$(PLAT_SUPPORT) $(BUILD)/test_platform.o $(BUILD)/test_builder.o \
    $(BUILD)/test_vuart.o $(BUILD)/test_testdev.o: CFLAGS_UNIT += -I$(PLAT_DIR)
$(PLAT_SUPPORT): CFLAGS_UNIT += -I$(UNIT_DIR)
# The builder reaches libimage as the hypervisor does.
$(BUILD)/xen/arch/x86/hvm/builder.o $(BUILD)/test_builder.o: \
    CFLAGS_UNIT += -I$(TOP)/xen/common/libimage

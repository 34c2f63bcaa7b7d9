# KVM's paravirtual clock and steal time (test_kvmclock): the pvclock
# arithmetic, the MSRs' address validation, the version protocol, the
# stable flag and steal-time accounting, over the platform doubles (fake
# guest RAM, clock, domain binding) in tests/unit/platform/.

KVMT_SRCS := xen/arch/x86/hvm/kvmclock.c xen/arch/x86/hvm/pvclock.c \
             xen/arch/x86/hvm/steal_time.c xen/common/wallclock.c

TESTS += kvmclock

SRCS_kvmclock  := $(KVMT_SRCS)
EXTRA_kvmclock := $(BUILD)/platform/doubles.o

KVMT_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(KVMT_SRCS)) \
             $(BUILD)/test_kvmclock.o
$(KVMT_OBJS): CFLAGS_UNIT += -DNR_CPUS=64
$(BUILD)/test_kvmclock.o: CFLAGS_UNIT += -I$(UNIT_DIR)/platform

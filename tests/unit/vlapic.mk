# The virtual local APIC (test_vlapic) and posted-interrupt delivery
# (test_pi, with pthread stress tests), both over the doubles in
# tests/unit/vlapic/ (fake domain and vCPUs, clock, guest TSC, timer API,
# recording HVM hooks).

VLAPIC_DIR     := $(UNIT_DIR)/vlapic
VLAPIC_SUPPORT := $(BUILD)/vlapic/env.o
VLAPIC_SRCS    := xen/arch/x86/hvm/vlapic.c xen/arch/x86/hvm/pi.c

TESTS += vlapic pi kvm_hypercall

SRCS_vlapic  := $(VLAPIC_SRCS)
EXTRA_vlapic := $(VLAPIC_SUPPORT)
SRCS_pi      := $(VLAPIC_SRCS)
EXTRA_pi     := $(VLAPIC_SUPPORT)
# KVM's hypercalls (test_kvm_hypercall): PV send-IPI over the same doubles.
KVMHC_SRC    := xen/arch/x86/hvm/kvm_hypercall.c
SRCS_kvm_hypercall  := $(VLAPIC_SRCS) $(KVMHC_SRC)
EXTRA_kvm_hypercall := $(VLAPIC_SUPPORT)

# xen/sched.h needs NR_CPUS (the hypervisor gets it from its make flags);
# per object, so no other suite's flags change.
VLAPIC_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(VLAPIC_SRCS)) \
               $(VLAPIC_SUPPORT) $(BUILD)/test_vlapic.o $(BUILD)/test_pi.o \
               $(BUILD)/test_kvm_hypercall.o
$(VLAPIC_OBJS): CFLAGS_UNIT += -DNR_CPUS=64 -pthread
$(VLAPIC_SUPPORT) $(BUILD)/test_vlapic.o $(BUILD)/test_pi.o \
    $(BUILD)/test_kvm_hypercall.o: CFLAGS_UNIT += -I$(VLAPIC_DIR) -I$(UNIT_DIR)
$(BUILD)/test_pi: LDFLAGS_EXTRA := -pthread
# kvm_hypercall.c declares a boot option (a const table with relocations):
# position-dependent, as for test_params.  test_cpuid_msr links it too.
$(BUILD)/$(KVMHC_SRC:.c=.o): CFLAGS_UNIT += -DNR_CPUS=64 -fno-pie
$(BUILD)/test_kvm_hypercall: LDFLAGS_EXTRA := -no-pie

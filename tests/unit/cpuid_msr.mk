# CPUID advertises only what is emulated (test_cpuid_msr): the real guest
# CPUID (hvm/cpuid.c) over a synthetic host with every feature bit set,
# and the real MSR handling behind it (hvm/msr.c, cr.c, vlapic.c, pi.c,
# pv_eoi.c and KVM's clock and steal time), with the doubles in the test.

CPUIDMSR_OWN    := xen/arch/x86/hvm/cpuid.c xen/arch/x86/hvm/msr.c \
                   xen/arch/x86/hvm/pv_eoi.c
# Built for other suites too, with the same flags (see vlapic.mk and
# kvm_time.mk).
CPUIDMSR_SHARED := xen/arch/x86/hvm/cr.c xen/arch/x86/hvm/vlapic.c \
                   xen/arch/x86/hvm/pi.c xen/arch/x86/hvm/kvmclock.c \
                   xen/arch/x86/hvm/pvclock.c \
                   xen/arch/x86/hvm/steal_time.c xen/common/wallclock.c \
                   xen/arch/x86/hvm/kvm_hypercall.c

TESTS += cpuid_msr
SRCS_cpuid_msr  := $(CPUIDMSR_OWN) $(CPUIDMSR_SHARED)
EXTRA_cpuid_msr :=

CPUIDMSR_OWN_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(CPUIDMSR_OWN))
# cpuid_count() of these sources is the test's synthetic host
# (cpuid_msr/host_cpuid.h); xen/sched.h needs NR_CPUS.  cpuid.c and
# pv_eoi.c declare boot parameters, whose const table with relocations
# wants a position-dependent build (as for test_params).
$(CPUIDMSR_OWN_OBJS): CFLAGS_UNIT += -DNR_CPUS=64 -fno-pie \
    -include $(UNIT_DIR)/cpuid_msr/host_cpuid.h
$(BUILD)/test_cpuid_msr.o: CFLAGS_UNIT += -DNR_CPUS=64
$(BUILD)/test_cpuid_msr: LDFLAGS_EXTRA := -no-pie

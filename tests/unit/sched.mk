# The scheduler simulation: xen/common/sched/core.c and credit.c (plus the
# real softirq.c and params.c) driven by a discrete-event simulator in
# tests/unit/sched/.  Included by tests/unit/Makefile.
#
# These sources are compiled with the simulator's override headers first
# in the include path (per-CPU variables as arrays, interrupt flags and
# spinlocks the simulator controls), so they get their own objects under
# $(BUILD)/sched/ and never mix with the objects other programs share.

SCHED_SIM_DIR   := $(UNIT_DIR)/sched
SCHED_SIM_BUILD := $(BUILD)/sched

# Overrides first; -fno-pie because the boot-option table holds pointers
# in a named section (see sched/include/xen/param.h).
SCHED_SIM_CFLAGS := -I$(SCHED_SIM_DIR)/include -I$(SCHED_SIM_DIR) \
                    $(CFLAGS_UNIT) -DNR_CPUS=64 -fno-pie

SCHED_SIM_XEN := xen/common/sched/core.c xen/common/sched/credit.c \
                 xen/common/softirq.c xen/common/params.c
SCHED_SIM_OBJS := $(patsubst %.c,$(SCHED_SIM_BUILD)/%.o,$(SCHED_SIM_XEN)) \
                  $(SCHED_SIM_BUILD)/sim.o $(SCHED_SIM_BUILD)/sim_host.o

TESTS += sched
SRCS_sched :=
EXTRA_sched := $(SCHED_SIM_OBJS)

# test_sched.c is built by the shared rule; give it the same flags.
$(BUILD)/test_sched.o: CFLAGS_UNIT := $(SCHED_SIM_CFLAGS)
$(BUILD)/test_sched: LDFLAGS_EXTRA := -no-pie

$(SCHED_SIM_BUILD)/xen/%.o: $(TOP)/xen/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      xen/$*.c (sched sim)"
	@$(HOSTCC) $(SCHED_SIM_CFLAGS) -c $< -o $@

$(SCHED_SIM_BUILD)/%.o: $(SCHED_SIM_DIR)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      sched/$*.c"
	@$(HOSTCC) $(SCHED_SIM_CFLAGS) -c $< -o $@

# Blocked vCPUs behind multiplexed wakeup vectors (test_pi_blocked): the
# real pi.c and pi_blocked.c (the latter compiled inside
# tests/unit/pi_blocked/peek.c, which adds read-only views of its lists),
# with the real vector_alloc.c and params.c, over the doubles in
# tests/unit/pi_blocked/: per-pCPU variables and interrupt flags per
# thread (a thread plays a pCPU), notifications recorded or left pending
# on the target pCPU, vcpu_wake recorded.  Included by tests/unit/Makefile.
#
# Compiled with override headers first in the include path, so these get
# their own objects under $(BUILD)/pi_blocked/ and never mix with the
# objects other programs share (as the scheduler simulation does).

PIB_DIR   := $(UNIT_DIR)/pi_blocked
PIB_BUILD := $(BUILD)/pi_blocked

# -fno-pie: the boot-option table holds pointers in a named section.
PIB_CFLAGS := -I$(PIB_DIR)/include -I$(PIB_DIR) -I$(UNIT_DIR) \
              $(CFLAGS_UNIT) -DNR_CPUS=64 -pthread -fno-pie

PIB_XEN  := xen/arch/x86/hvm/pi.c xen/arch/x86/vector_alloc.c \
            xen/common/params.c
PIB_OBJS := $(patsubst %.c,$(PIB_BUILD)/%.o,$(PIB_XEN)) \
            $(PIB_BUILD)/env.o $(PIB_BUILD)/peek.o

TESTS += pi_blocked
SRCS_pi_blocked  :=
EXTRA_pi_blocked := $(PIB_OBJS)

# test_pi_blocked.c is built by the shared rule; give it the same flags.
$(BUILD)/test_pi_blocked.o: CFLAGS_UNIT := $(PIB_CFLAGS)
$(BUILD)/test_pi_blocked: LDFLAGS_EXTRA := -no-pie -pthread

$(PIB_BUILD)/xen/%.o: $(TOP)/xen/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      xen/$*.c (pi_blocked)"
	@$(HOSTCC) $(PIB_CFLAGS) -c $< -o $@

$(PIB_BUILD)/%.o: $(PIB_DIR)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      pi_blocked/$*.c"
	@$(HOSTCC) $(PIB_CFLAGS) -c $< -o $@

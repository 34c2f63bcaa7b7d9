# Domains and vCPUs, the p2m, guest page-table walks and the hypercall
# layer (dispatch, domctl, sysctl, console_io), tested with the real page
# allocator over host memory and a recording double of the scheduler
# (tests/unit/hypercall/).

HC_DIR     := $(UNIT_DIR)/hypercall
HC_SUPPORT := $(BUILD)/hypercall/env.o $(BUILD)/hypercall/sched_double.o \
              $(BUILD)/hypercall/guest.o
HC_CORE    := xen/common/domain.c xen/common/p2m.c \
              xen/arch/x86/guest_walk.c xen/common/page_alloc.c
HC_CALLS   := xen/common/hypercall.c xen/common/domctl.c \
              xen/common/sysctl.c xen/common/console_io.c \
              xen/common/keyhandler.c

TESTS += domain p2m guest_walk hypercall

SRCS_domain      := $(HC_CORE)
EXTRA_domain     := $(HC_SUPPORT)
SRCS_p2m         := $(HC_CORE)
EXTRA_p2m        := $(HC_SUPPORT)
SRCS_guest_walk  := $(HC_CORE)
EXTRA_guest_walk := $(HC_SUPPORT)
SRCS_hypercall   := $(HC_CORE) $(HC_CALLS)
EXTRA_hypercall  := $(HC_SUPPORT)

# These include xen/cpumask.h, which needs NR_CPUS; the hypervisor gets it
# from its make flags.  Per object, so no other suite's flags change.
HC_NEEDS_NR_CPUS := \
    $(patsubst %.c,$(BUILD)/%.o,xen/common/domain.c xen/common/p2m.c \
        xen/arch/x86/guest_walk.c xen/common/hypercall.c \
        xen/common/domctl.c xen/common/sysctl.c xen/common/console_io.c) \
    $(HC_SUPPORT) \
    $(BUILD)/test_domain.o $(BUILD)/test_p2m.o $(BUILD)/test_guest_walk.o \
    $(BUILD)/test_hypercall.o
$(HC_NEEDS_NR_CPUS): CFLAGS_UNIT += -include $(HC_DIR)/nr_cpus.h
# The helpers include the harness from the directory above.
$(HC_SUPPORT): CFLAGS_UNIT += -I$(UNIT_DIR)

# The task-switch emulator (hvm/task_switch.c), compiled inside
# test_task_switch.c over a fake backend and flat guest memory; the
# exception combination rules come from hvm/exception.c.
TESTS += task_switch
SRCS_task_switch := xen/arch/x86/hvm/exception.c

# xen/sched.h needs NR_CPUS, as for the vlapic suite.
$(BUILD)/test_task_switch.o: CFLAGS_UNIT += -DNR_CPUS=64

# Ending the run when nothing can make progress (test_progress): the real
# progress.c, compiled inside test_progress.c (fresh state per test), over
# the doubles there.  Included by tests/unit/Makefile.

TESTS += progress
SRCS_progress  :=
EXTRA_progress :=

# xen/sched.h needs NR_CPUS, as for the vlapic suite.
$(BUILD)/test_progress.o: CFLAGS_UNIT += -DNR_CPUS=64

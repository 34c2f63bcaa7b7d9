# xen-lite top level.  A newcomer needs two commands:
#   make run    boot the hypervisor in QEMU with 4 pCPUs on this terminal
#   make test   unit tests (host) and integration tests (QEMU, Bochs)
# Both install the Debian packages they need first (scripts/install-deps.sh).

include Config.mk

DIST := dist
# Every QEMU run (make run, the tests, the benches) takes the patched QEMU
# that `deps` builds, not the host's.
export PATH := $(CURDIR)/build/qemu/bin:$(PATH)
XEN_ARGS ?= console=com1 loglvl=all
MODULES ?=
RUN_SMP ?= 4

.PHONY: all xen tools guests linux dom0 iso run run-demo test test-long unit \
        integration bench deps clean

all: xen tools

xen:
	@$(MAKE) --no-print-directory -C xen

# The toolstack for the host: build/tools/libxl-lite.a and
# build/tools/xl-lite (docs/xl-lite.md).  It needs libxml2 and yajl, and so do its unit tests:
# only those packages are checked for, so that `make unit` needs none of
# the emulators.
TOOLS_DEPS := gcc make libxml2-dev libyajl-dev pkg-config
tools:
	@scripts/install-deps.sh $(TOOLS_DEPS)
	@$(MAKE) --no-print-directory -C tools

# The guest test kernels (Multiboot v1), also the demo domain of make run.
guests:
	@$(MAKE) --no-print-directory -s -C tests/guests

$(DIST)/xen-lite $(DIST)/xen-lite.elf32: xen

# Debian bookworm's stock Linux 6.1 (vmlinux, for the PVH entry), its
# linux-headers, and the test initramfs (busybox, tests/linux/init.c, the
# dom0 driver tools/dom0/privcmd built against those headers and its test
# tool, the kernel's button and evdev modules), under build/.  The first
# run downloads with apt-get download; after that it is cached: the fetch
# scripts return at once when their caches are complete.
LINUX := build/linux
PRIVCMD := build/dom0/privcmd
linux: deps
	@scripts/fetch-linux.sh
	@scripts/fetch-linux-headers.sh >/dev/null
	@$(MAKE) -s --no-print-directory $(LINUX)/initramfs.cpio

$(LINUX)/initramfs.cpio: $(LINUX)/version tests/linux/init.c \
                         tests/linux/privcmd_test.c \
                         tests/linux/linux_bench.c \
                         tools/include/xen-lite/privcmd.h \
                         $(PRIVCMD)/privcmd.ko scripts/mkinitramfs.sh
	scripts/mkinitramfs.sh $(LINUX)/busybox $(PRIVCMD)/privcmd.ko \
	    $(LINUX)/root/lib/modules/$$(sed -n 's/^ABI=//p' $(LINUX)/version) $@

# The dom0 driver, built out of tree against those headers.
$(PRIVCMD)/privcmd.ko: $(LINUX)/version tools/dom0/privcmd/privcmd.c \
                       tools/dom0/privcmd/Kbuild tools/dom0/privcmd/Makefile \
                       tools/include/xen-lite/privcmd.h
	@$(MAKE) -s --no-print-directory -C tools/dom0/privcmd \
	    KDIR=$$(scripts/fetch-linux-headers.sh) OUT=$(abspath $(PRIVCMD))

# dom0's image (scripts/mkdom0.sh): that initramfs plus xl-lite and its
# shared libraries, the ready configs of tools/dom0/etc as /etc/xen-lite,
# and the kernels they start: Debian's, with the test initramfs, and a
# guest test kernel.
DOM0_IMG := $(LINUX)/dom0.cpio
dom0: linux tools guests
	@$(MAKE) -s --no-print-directory $(DOM0_IMG)

$(DOM0_IMG): $(LINUX)/initramfs.cpio build/tools/xl-lite scripts/mkdom0.sh \
             $(wildcard tools/dom0/etc/* tools/dom0/etc/guests/*) \
             $(wildcard tests/linux/*.sh) tests/fuzz/hcfuzz.c \
             build/guests/ipi_pingpong.elf
	scripts/mkdom0.sh $(LINUX)/initramfs.cpio build/tools/xl-lite \
	    $(LINUX)/vmlinux build/guests $@

# A GRUB ISO for Bochs and real machines: make iso XEN_ARGS=... MODULES=...
iso: xen
	scripts/mkiso.sh $(DIST)/xen-lite.iso $(DIST)/xen-lite "$(XEN_ARGS)" \
	    $(MODULES)

# Debian's packages, then QEMU built from Debian's source with the fixes
# in scripts/qemu-patches/ (scripts/qemu-setup.sh; a few minutes the first
# time, cached in build/qemu after that).
deps:
	@scripts/install-deps.sh
	@scripts/qemu-setup.sh

# Boots xen-lite in QEMU with Debian's Linux as dom0 (2 vCPUs, 512 MiB)
# to a busybox shell on this terminal, with the privcmd driver loaded and
# the toolstack: `xl-lite list`, `xl-lite create /etc/xen-lite/linux.cfg`
# (a second Linux; `xl-lite console linux` reaches its shell) or
# /etc/xen-lite/ipi_pingpong.cfg (a guest test kernel), `xl-lite
# irq-stats`.  Three Ctrl-A switch the input to the hypervisor's debug
# keys and back; `poweroff -f` ends dom0 and with it the run; Ctrl-C
# quits QEMU.
RUN_XEN_ARGS ?= console=com1 loglvl=all shutdown=exit
run: deps xen dom0
	qemu-system-x86_64 -M pc -accel tcg -cpu max -smp $(RUN_SMP) -m 2048 \
	    -nodefaults -display none -serial stdio -monitor none -no-reboot \
	    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	    -kernel $(DIST)/xen-lite.elf32 -append "$(RUN_XEN_ARGS)" \
	    -initrd "$(LINUX)/vmlinux mem=512M vcpus=2 console=ttyS0 \
	        tsc=reliable quiet -- shell,$(DOM0_IMG) initrd"; \
	    status=$$?; [ $$status -eq 0 ] || [ $$status -eq 1 ] || \
	    [ $$status -eq 130 ]

# The guest-kernel demo: ipi_pingpong with 2 vCPUs, which bounces 1000
# IPIs between them and prints the counts.  Quit with Ctrl-C.  Add
# options with e.g. XEN_ARGS="... shutdown=exit".
DEMO_ENV := build/run/demo.env
run-demo: deps xen guests
	@mkdir -p build/run && printf 'ipis=1000\n' > $(DEMO_ENV)
	qemu-system-x86_64 -M pc -accel tcg -cpu max -smp $(RUN_SMP) -m 512 \
	    -nodefaults -display none -serial stdio -monitor none -no-reboot \
	    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	    -kernel $(DIST)/xen-lite.elf32 -append "$(XEN_ARGS)" \
	    -initrd "build/guests/ipi_pingpong.elf vcpus=2,$(DEMO_ENV) env"; \
	    status=$$?; [ $$status -eq 0 ] || [ $$status -eq 1 ] || \
	    [ $$status -eq 130 ]

test: deps xen tools guests linux dom0
	@scripts/run-tests.sh

# The guest suites (QEMU and Bochs) with the kernels' full counts (100 000
# IPIs) and every Bochs configuration for every kernel, every irq_storm
# run at 60 s, the hostile kernel's long seeds (10^5 actions per backend,
# about 2 min on QEMU and 25 min on Bochs), and dom0's abuse at full
# length (10^6 fuzzed hypercalls, 1000 lifecycle cycles): slow under
# emulation, so not part of make test.
test-long: deps xen guests linux dom0
	XENLITE_LONG=1 $(PYTHON) -m pytest tests/integration/test_guests_svm.py \
	    tests/integration/test_guests_vmx.py \
	    tests/integration/test_irq_storm.py \
	    tests/integration/test_hostile.py \
	    tests/integration/test_abuse_dom0.py \
	    tests/integration/test_isolation_svm.py \
	    tests/integration/test_insn_faults.py \
	    tests/integration/test_linux_boot.py::test_linux_boots_to_init_on_vmx \
	    tests/integration/test_linux_boot.py::test_two_linux_domains_on_vmx

# Tables, not pass/fail: the scheduler simulation's share and latency,
# then interrupt delivery measured on QEMU and Bochs from the hypervisor's
# own counters (tests/bench/irq_bench.py; docs/interrupt-bench.md).
bench: deps xen guests linux
	@$(MAKE) --no-print-directory -C tests/bench run
	@$(PYTHON) tests/bench/irq_bench.py
	@$(PYTHON) tests/bench/linux_boot.py
	@$(PYTHON) tests/bench/linux_workloads.py

unit:
	@scripts/install-deps.sh $(TOOLS_DEPS)
	@$(MAKE) --no-print-directory -C tests/unit run

integration: deps xen guests linux dom0
	$(PYTHON) -m pytest tests/integration

clean:
	rm -rf build dist tests/unit/build

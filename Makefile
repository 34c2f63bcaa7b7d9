# xen-lite top level.  A newcomer needs two commands:
#   make run    boot the hypervisor in QEMU with 4 pCPUs on this terminal
#   make test   unit tests (host) and integration tests (QEMU, Bochs)
# Both install the Debian packages they need first (scripts/install-deps.sh).

include Config.mk

DIST := dist
XEN_ARGS ?= console=com1 loglvl=all
MODULES ?=
RUN_SMP ?= 4

.PHONY: all xen iso run test unit integration deps clean

all: xen

xen:
	@$(MAKE) --no-print-directory -C xen

$(DIST)/xen-lite $(DIST)/xen-lite.elf32: xen

# A GRUB ISO for Bochs and real machines: make iso XEN_ARGS=... MODULES=...
iso: xen
	scripts/mkiso.sh $(DIST)/xen-lite.iso $(DIST)/xen-lite "$(XEN_ARGS)" \
	    $(MODULES)

deps:
	@scripts/install-deps.sh

# Quit with Ctrl-C.  Add options with e.g. XEN_ARGS="... shutdown=exit".
run: deps xen
	qemu-system-x86_64 -M pc -accel tcg -cpu max -smp $(RUN_SMP) -m 512 \
	    -nodefaults -display none -serial stdio -monitor none -no-reboot \
	    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	    -kernel $(DIST)/xen-lite.elf32 -append "$(XEN_ARGS)"; \
	    status=$$?; [ $$status -eq 0 ] || [ $$status -eq 1 ] || \
	    [ $$status -eq 130 ]

test: deps xen
	@scripts/run-tests.sh

unit:
	@$(MAKE) --no-print-directory -C tests/unit run

integration: deps xen
	$(PYTHON) -m pytest tests/integration

clean:
	rm -rf build dist tests/unit/build

# The HVM MMIO instruction decoder and emulator (hvm/emulate.c), checked
# against hand-assembled encodings and against the host CPU's own flags.
TESTS += emulate
SRCS_emulate := xen/arch/x86/hvm/emulate.c

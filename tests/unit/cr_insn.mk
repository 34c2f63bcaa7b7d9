# The architectural rules for guest CR0/CR4/EFER writes (hvm/cr.c) and the
# decoder of intercepted instructions (hvm/insn.c).
TESTS += cr insn
SRCS_cr   := xen/arch/x86/hvm/cr.c
SRCS_insn := xen/arch/x86/hvm/insn.c

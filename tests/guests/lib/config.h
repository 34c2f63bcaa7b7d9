/*
 * Build-time limits of the guest test library, shared by C and assembly.
 */
#ifndef GUEST_CONFIG_H
#define GUEST_CONFIG_H

#define MAX_CPUS        160
#define STACK_SIZE      16384

/*
 * Real-mode AP trampoline: copied here before the first SIPI. The SIPI
 * vector is the page number, so it must be page-aligned and below 1 MiB;
 * 0x8000 is ordinary RAM on every PC and is free once the multiboot
 * information we need has been copied away.
 */
#define TRAMP_BASE      0x8000

#endif /* GUEST_CONFIG_H */

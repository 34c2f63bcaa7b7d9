/*
 * Starting the domains given as boot modules.
 */
#ifndef ASM_X86_BOOT_DOMAINS_H
#define ASM_X86_BOOT_DOMAINS_H

/*
 * Build and start them; returns how many started, and in *failed how
 * many kernel modules could not be built.
 */
unsigned int create_boot_domains(unsigned int *failed);

#endif /* ASM_X86_BOOT_DOMAINS_H */

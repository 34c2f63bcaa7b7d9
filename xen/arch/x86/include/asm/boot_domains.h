/*
 * Starting the domains given as boot modules.
 */
#ifndef ASM_X86_BOOT_DOMAINS_H
#define ASM_X86_BOOT_DOMAINS_H

/* Build and start them; returns how many started. */
unsigned int create_boot_domains(void);

#endif /* ASM_X86_BOOT_DOMAINS_H */

/*
 * The mask of a value 'bytes' wide: an operand or element size, or an
 * address size (1, 2, 4 or 8; 8 or more gives all 64 bits).  One helper
 * for the instruction emulator and the code that completes instructions
 * for the guest.
 */
#ifndef ASM_X86_HVM_WIDTH_H
#define ASM_X86_HVM_WIDTH_H

#include <xen/types.h>

static inline u64 width_mask(unsigned int bytes)
{
    return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

#endif /* ASM_X86_HVM_WIDTH_H */

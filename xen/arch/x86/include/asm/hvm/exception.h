/*
 * How the CPU combines an exception with the event whose delivery it
 * interrupted (double faults, triple faults): exception.c.
 */
#ifndef ASM_X86_HVM_EXCEPTION_H
#define ASM_X86_HVM_EXCEPTION_H

#include <xen/types.h>

#define X86_EXC_DF          8

/* x86_exception_combine(): the CPU shuts down (a triple fault). */
#define X86_EXC_SHUTDOWN    (-1)

/*
 * Exception 'second' arose while the CPU was delivering exception
 * 'first': the vector it delivers instead (X86_EXC_DF, or 'second'
 * when the two are handled serially), or X86_EXC_SHUTDOWN.
 */
int x86_exception_combine(u8 first, u8 second);

/* Whether exception 'vector' pushes an error code (protected mode). */
bool x86_exception_has_error(u8 vector);

#endif /* ASM_X86_HVM_EXCEPTION_H */

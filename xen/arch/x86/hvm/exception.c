/*
 * The architectural rules for an exception that arises while the CPU
 * delivers another event, for exceptions the hypervisor raises on a
 * guest's behalf.  Intel SDM Vol. 3A 6.15, "Interrupt 8 - Double Fault
 * Exception (#DF)", Tables 6-4 and 6-5; AMD APM Vol. 2 8.2.9 agrees.
 */
#include <asm/hvm/exception.h>

enum exc_class
{
    EXC_BENIGN,
    EXC_CONTRIBUTORY,
    EXC_PAGE_FAULT,
    EXC_DOUBLE_FAULT,
};

/*
 * Table 6-4.  Contributory: #DE, #TS, #NP, #SS, #GP and #CP; the page
 * fault class also holds #VE.  Everything else (including #UD, #NM,
 * #MF, #AC, #MC, #XM and every interrupt) is benign.
 */
static enum exc_class exc_class(u8 vector)
{
    switch ( vector )
    {
    case 0: case 10: case 11: case 12: case 13: case 21:
        return EXC_CONTRIBUTORY;
    case 14: case 20:
        return EXC_PAGE_FAULT;
    case X86_EXC_DF:
        return EXC_DOUBLE_FAULT;
    default:
        return EXC_BENIGN;
    }
}

int x86_exception_combine(u8 first, u8 second)
{
    enum exc_class f = exc_class(first), s = exc_class(second);

    /* Table 6-5: a benign second exception is always handled serially. */
    if ( s != EXC_CONTRIBUTORY && s != EXC_PAGE_FAULT )
        return second;
    switch ( f )
    {
    case EXC_CONTRIBUTORY:
        /* A page fault delivering a contributory one is serial. */
        return s == EXC_CONTRIBUTORY ? X86_EXC_DF : second;
    case EXC_PAGE_FAULT:
        return X86_EXC_DF;
    case EXC_DOUBLE_FAULT:
        /* "the processor enters shutdown mode" */
        return X86_EXC_SHUTDOWN;
    default:
        return second;
    }
}

/* SDM Vol. 3A Table 6-1 ("Error Code" column). */
bool x86_exception_has_error(u8 vector)
{
    switch ( vector )
    {
    case 8: case 10: case 11: case 12: case 13: case 14: case 17: case 21:
        return true;
    default:
        return false;
    }
}

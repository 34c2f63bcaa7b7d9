/*
 * The symbol table generated at link time (tools/gen-symbols.sh): sorted
 * text addresses and their names, searched by bisection.
 */
#include <xen/lib.h>
#include <xen/symbols.h>

extern const u64 xen_symbols_nr;
extern const u64 xen_symbols_addr[];
extern const u32 xen_symbols_name[];
extern const char xen_symbols_str[];
extern const char _stext[], _etext[];

const char *symbols_lookup(unsigned long addr, unsigned long *offset,
                           unsigned long *size)
{
    unsigned long lo = 0, hi = xen_symbols_nr, end;

    if ( addr < (unsigned long)_stext || addr >= (unsigned long)_etext ||
         !xen_symbols_nr || addr < xen_symbols_addr[0] )
        return NULL;

    /* Last symbol at or below addr. */
    while ( hi - lo > 1 )
    {
        unsigned long mid = (lo + hi) / 2;

        if ( xen_symbols_addr[mid] <= addr )
            lo = mid;
        else
            hi = mid;
    }
    end = lo + 1 < xen_symbols_nr ? xen_symbols_addr[lo + 1]
                                  : (unsigned long)_etext;
    *offset = addr - xen_symbols_addr[lo];
    *size = end - xen_symbols_addr[lo];
    return xen_symbols_str + xen_symbols_name[lo];
}

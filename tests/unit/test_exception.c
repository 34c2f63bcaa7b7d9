/*
 * x86_exception_combine() and x86_exception_has_error() against the
 * SDM's tables (Vol. 3A 6.15: Tables 6-1, 6-4 and 6-5), every pair of
 * vectors 0-31.
 */
#include "harness.h"
#include <asm/hvm/exception.h>

static const unsigned char contributory[] = { 0, 10, 11, 12, 13, 21 };
static const unsigned char page_fault[] = { 14, 20 };

static bool in(const unsigned char *set, unsigned int n, unsigned int v)
{
    for ( unsigned int i = 0; i < n; i++ )
        if ( set[i] == v )
            return true;
    return false;
}

#define IS_CONTRIB(v)   in(contributory, sizeof(contributory), v)
#define IS_PF(v)        in(page_fault, sizeof(page_fault), v)

TEST(benign_second_exception_is_always_serial)
{
    for ( unsigned int f = 0; f < 32; f++ )
        for ( unsigned int s = 0; s < 32; s++ )
            if ( !IS_CONTRIB(s) && !IS_PF(s) )
                CHECK_EQ(x86_exception_combine(f, s), (int)s);
}

TEST(benign_first_event_never_makes_a_double_fault)
{
    for ( unsigned int f = 0; f < 32; f++ )
        if ( !IS_CONTRIB(f) && !IS_PF(f) && f != 8 )
            for ( unsigned int s = 0; s < 32; s++ )
                CHECK_EQ(x86_exception_combine(f, s), (int)s);
}

TEST(contributory_then_contributory_is_a_double_fault)
{
    for ( unsigned int i = 0; i < sizeof(contributory); i++ )
        for ( unsigned int j = 0; j < sizeof(contributory); j++ )
            CHECK_EQ(x86_exception_combine(contributory[i],
                                           contributory[j]), X86_EXC_DF);
}

TEST(contributory_then_page_fault_is_serial)
{
    for ( unsigned int i = 0; i < sizeof(contributory); i++ )
        for ( unsigned int j = 0; j < sizeof(page_fault); j++ )
            CHECK_EQ(x86_exception_combine(contributory[i], page_fault[j]),
                     page_fault[j]);
}

TEST(page_fault_then_page_fault_or_contributory_is_a_double_fault)
{
    for ( unsigned int i = 0; i < sizeof(page_fault); i++ )
        for ( unsigned int s = 0; s < 32; s++ )
            if ( IS_CONTRIB(s) || IS_PF(s) )
                CHECK_EQ(x86_exception_combine(page_fault[i], s),
                         X86_EXC_DF);
}

TEST(double_fault_then_contributory_or_page_fault_shuts_down)
{
    for ( unsigned int s = 0; s < 32; s++ )
        CHECK_EQ(x86_exception_combine(8, s),
                 IS_CONTRIB(s) || IS_PF(s) ? X86_EXC_SHUTDOWN : (int)s);
}

TEST(error_codes_follow_table_6_1)
{
    static const unsigned char with[] = { 8, 10, 11, 12, 13, 14, 17, 21 };

    for ( unsigned int v = 0; v < 32; v++ )
        CHECK_EQ(x86_exception_has_error(v), in(with, sizeof(with), v));
}

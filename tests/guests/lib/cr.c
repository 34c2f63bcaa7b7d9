/*
 * Identity-mapping page tables for the tests that turn paging on.
 */
#include "cr.h"

#define PTE_P       0x001u
#define PTE_RW      0x002u
#define PTE_PS      0x080u

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[4][512] __attribute__((aligned(4096)));
static uint32_t pd32[1024] __attribute__((aligned(4096)));

uint32_t paging_identity_long(void)
{
    for ( unsigned int g = 0; g < 4; g++ )
    {
        for ( unsigned int i = 0; i < 512; i++ )
            pd[g][i] = ((uint64_t)g << 30) + ((uint64_t)i << 21) +
                       (PTE_P | PTE_RW | PTE_PS);
        pdpt[g] = (uint32_t)pd[g] | PTE_P | PTE_RW;
    }
    pml4[0] = (uint32_t)pdpt | PTE_P | PTE_RW;
    return (uint32_t)pml4;
}

uint32_t paging_identity_32(void)
{
    for ( unsigned int i = 0; i < 1024; i++ )
        pd32[i] = (i << 22) | PTE_P | PTE_RW | PTE_PS;
    return (uint32_t)pd32;
}

/*
 * Control registers, EFER and the paging structures the tests that change
 * the guest's CPU mode need (efer_lme, guest_state).
 */
#ifndef GUEST_CR_H
#define GUEST_CR_H

#include "x86.h"

#define CR0_PE          (1u << 0)
#define CR0_MP          (1u << 1)
#define CR0_EM          (1u << 2)
#define CR0_TS          (1u << 3)
#define CR0_NE          (1u << 5)
#define CR0_NW          (1u << 29)
#define CR0_CD          (1u << 30)
#define CR0_PG          (1u << 31)
#define CR4_PSE         (1u << 4)
#define CR4_PAE         (1u << 5)
#define CR4_OSFXSR      (1u << 9)
#define CR4_OSXMMEXCPT  (1u << 10)
#define CR4_VMXE        (1u << 13)
#define CR4_OSXSAVE     (1u << 18)

#define MSR_EFER        0xc0000080
#define EFER_SCE        (1u << 0)
#define EFER_LME        (1u << 8)
#define EFER_LMA        (1u << 10)
#define EFER_NXE        (1u << 11)
#define EFER_SVME       (1u << 12)

#define DEFINE_CR(n)                                                    \
    static inline uint32_t read_cr##n(void)                             \
    {                                                                   \
        uint32_t v;                                                     \
        asm volatile ( "mov %%cr" #n ", %0" : "=r" (v) );               \
        return v;                                                       \
    }                                                                   \
    static inline void write_cr##n(uint32_t v)                          \
    {                                                                   \
        asm volatile ( "mov %0, %%cr" #n :: "r" (v) : "memory" );       \
    }
DEFINE_CR(0)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

/* XCR0 (CR4.OSXSAVE must be set). */
static inline uint64_t xgetbv0(void)
{
    uint32_t lo, hi;

    asm volatile ( "xgetbv" : "=a" (lo), "=d" (hi) : "c" (0) );
    return ((uint64_t)hi << 32) | lo;
}

static inline void xsetbv0(uint64_t v)
{
    asm volatile ( "xsetbv" :: "c" (0), "a" ((uint32_t)v),
                   "d" ((uint32_t)(v >> 32)) );
}

/*
 * Identity map of the first 4 GiB: long-mode tables (2 MiB pages, one
 * PML4 entry) for PAE/long mode, or a 32-bit page directory of 4 MiB
 * pages (CR4.PSE).  Returns the CR3 value.
 */
uint32_t paging_identity_long(void);
uint32_t paging_identity_32(void);

#endif /* GUEST_CR_H */

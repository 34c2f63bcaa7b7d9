/*
 * eip_wrap: in 32-bit protected mode EIP is 32 bits, so an instruction
 * that ends exactly at 4 GiB is followed by the one at EIP 0.  Checked
 * with instructions a hypervisor intercepts and completes itself, whose
 * next EIP it computes: CPUID and WBINVD, each placed in the last two
 * bytes of the linear address space.  A hypervisor that computes 2^32
 * instead has the VM entry fail (RIP bits 63:32 must be 0 outside 64-bit
 * mode, SDM 26.3.1.4) or resumes the guest at a wrong address.
 *
 * Paging: 32-bit with 4 MiB pages (CPUID.1:EDX.PSE), the identity except
 * for the last page directory entry, which maps the top 4 MiB of the
 * linear space onto RAM at 8 MiB.  EIP 0 is the identity-mapped physical
 * page 0, where the test puts a JMP back into the kernel.
 */
#include "test.h"

const char test_name[] = "eip_wrap";

#define CR0_PG              (1u << 31)
#define CR4_PSE             (1u << 4)
#define CPUID1_EDX_PSE      (1u << 3)
#define TOP_PHYS            0x00800000u     /* backs 0xffc00000-0xffffffff */

static uint32_t pd[1024] __attribute__((aligned(4096)));

static bool ram_at(uint32_t base, uint32_t len)
{
    unsigned int i;

    for ( i = 0; i < mem_map_count; i++ )
        if ( mem_map[i].type == 1 && mem_map[i].base <= base &&
             mem_map[i].base + mem_map[i].len >= (uint64_t)base + len )
            return true;
    return false;
}

/*
 * Jump to the two-byte instruction at 0xfffffffe; the JMP *%esi at EIP 0
 * brings execution back to label 1.  Returns EBX (CPUID leaf 0: the
 * first four bytes of the vendor string), or the marker if EBX was not
 * written.
 */
static uint32_t run_at_top(uint8_t b0, uint8_t b1)
{
    volatile uint8_t *top = phys(TOP_PHYS + 0x3ffffe);
    volatile uint8_t *zero = phys(0);
    uint32_t ebx = 0x5a5a5a5a;

    top[0] = b0;
    top[1] = b1;
    zero[0] = 0xff;                         /* jmp *%esi */
    zero[1] = 0xe6;
    asm volatile ( "movl $1f, %%esi\n\t"
                   "jmp *%[to]\n"
                   "1:"
                   : "+b" (ebx)
                   : [to] "r" (0xfffffffeu), "a" (0), "c" (0)
                   : "edx", "esi", "memory" );
    return ebx;
}

void test_main(void)
{
    uint32_t a, b, c, d, cr0, cr4, vendor, got;
    unsigned int i;

    cpuid(1, 0, &a, &b, &c, &d);
    CHECK(d & CPUID1_EDX_PSE, "CPUID.1:EDX.PSE clear: no 4 MiB pages");
    CHECK(ram_at(TOP_PHYS, 0x400000), "no RAM at %#x-%#x in the memory "
          "map", TOP_PHYS, TOP_PHYS + 0x3fffff);
    cpuid(0, 0, &a, &vendor, &c, &d);

    for ( i = 0; i < 1023; i++ )
        pd[i] = (i << 22) | 0x83;           /* present, writable, 4 MiB */
    pd[1023] = TOP_PHYS | 0x83;
    asm volatile ( "mov %%cr0, %0" : "=r" (cr0) );
    asm volatile ( "mov %%cr4, %0" : "=r" (cr4) );
    asm volatile ( "mov %0, %%cr3" :: "r" (pd) : "memory" );
    asm volatile ( "mov %0, %%cr4" :: "r" (cr4 | CR4_PSE) : "memory" );
    asm volatile ( "mov %0, %%cr0" :: "r" (cr0 | CR0_PG) : "memory" );

    got = run_at_top(0x0f, 0xa2);           /* cpuid */
    CHECK(got == vendor, "CPUID at 0xfffffffe: EBX %#x, expected %#x",
          got, vendor);
    printf("eip_wrap: CPUID at 0xfffffffe ran, execution went on at EIP "
           "0\n");
    got = run_at_top(0x0f, 0x09);           /* wbinvd */
    CHECK(got == 0x5a5a5a5a, "WBINVD at 0xfffffffe: EBX %#x changed",
          got);
    printf("eip_wrap: WBINVD at 0xfffffffe ran, execution went on at EIP "
           "0\n");

    asm volatile ( "mov %0, %%cr0" :: "r" (cr0) : "memory" );
    asm volatile ( "mov %0, %%cr4" :: "r" (cr4) : "memory" );
    test_pass("CPUID and WBINVD ending at 4 GiB: execution continued at "
              "EIP 0");
}

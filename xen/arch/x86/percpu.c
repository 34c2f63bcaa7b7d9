/*
 * Per-pCPU data areas: the boot pCPU uses the linked template, each AP a
 * zeroed copy of it.  %gs points at the pCPU's own area, whose header
 * gives its id and its offset from the template.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/mm.h>
#include <asm/percpu.h>
#include <asm/processor.h>

extern char __per_cpu_start[], __per_cpu_end[];

static __section(".percpu.hdr") __used struct percpu_hdr percpu_hdr;

unsigned long __per_cpu_offset[NR_CPUS];

void percpu_set_area(unsigned int cpu, unsigned long offset)
{
    struct percpu_hdr *h = (void *)((char *)&percpu_hdr + offset);

    h->cpu_id = cpu;
    h->offset = offset;
    __per_cpu_offset[cpu] = offset;
    wrmsr(MSR_GS_BASE, (unsigned long)h);
}

int percpu_alloc_area(unsigned int cpu)
{
    size_t size = __per_cpu_end - __per_cpu_start;
    unsigned int order = 0;
    char *p;

    while ( (PAGE_SIZE << order) < size )
        order++;
    p = alloc_xenheap_pages(order, 0);
    if ( !p )
        return -ENOMEM;
    memset(p, 0, PAGE_SIZE << order);
    __per_cpu_offset[cpu] = p - __per_cpu_start;
    return 0;
}

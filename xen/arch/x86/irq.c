/*
 * Interrupt vectors per pCPU.  Every pCPU owns a vector table (see
 * vector_alloc.c): exceptions and the hypervisor's fixed vectors are
 * reserved by name, the 8259 range is held for the masked legacy PIC, and
 * the dynamic range and the posted-interrupt wakeup pool are handed out
 * by allocation.
 */
#include <xen/lib.h>
#include <xen/smp.h>
#include <asm/irq.h>

static DEFINE_PER_CPU(struct vector_table, vector_table);

struct vector_table *cpu_vector_table(unsigned int cpu)
{
    return &per_cpu(vector_table, cpu);
}

void irq_cpu_init(unsigned int cpu)
{
    struct vector_table *vt = cpu_vector_table(cpu);

    vector_table_init(vt);
    /* Spurious interrupts of the masked 8259s may still use these. */
    for ( unsigned int v = LEGACY_VECTOR_FIRST; v <= LEGACY_VECTOR_LAST; v++ )
        if ( vector_reserve(vt, v, "legacy-pic") )
            panic("vector %#x already taken on CPU %u", v, cpu);
}

void irq_print_vector_ranges(unsigned int cpu)
{
    const struct vector_table *vt = cpu_vector_table(cpu);

    for ( unsigned int r = 0; r < VR_NR; r++ )
        printk("Vectors 0x%02x-0x%02x %-10s %3u free\n", vector_range_first(r),
               vector_range_last(r), vector_range_name(r),
               vectors_free_in_range(vt, r));
}

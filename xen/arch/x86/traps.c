/*
 * Each pCPU's GDT, TSS and IDT, the dispatch of exceptions and interrupts,
 * and what happens on a fault in the hypervisor: a register dump, a call
 * trace and the pCPU number, then every pCPU halts (Xen's behaviour).
 *
 * NMI, #DF and #MC run on IST stacks of their own, so they still work when
 * the regular stack is what broke.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/mm.h>
#include <xen/smp.h>
#include <xen/symbols.h>
#include <xen/shutdown.h>
#include <xen/console.h>
#include <asm/desc.h>
#include <asm/traps.h>
#include <asm/apic.h>
#include <asm/processor.h>
#include <asm/system.h>
#include <asm/irq_vectors.h>
#include <asm/stack.h>

struct tss64
{
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
} __packed;

struct idt_entry
{
    u16 offset_lo;
    u16 selector;
    u8 ist;
    u8 type_attr;
    u16 offset_mid;
    u32 offset_hi;
    u32 reserved;
} __packed;

struct desc_ptr
{
    u16 limit;
    u64 base;
} __packed;

/* Two pages per pCPU: IDT, GDT and TSS together. */
#define CPU_DESC_ORDER 1
struct cpu_desc
{
    struct idt_entry idt[NR_VECTORS];               /* 4096 bytes */
    u64 gdt[GDT_ENTRIES];
    struct tss64 tss;
};

static struct cpu_desc *cpu_desc[NR_CPUS];
static struct cpu_desc boot_cpu_desc __aligned(PAGE_SIZE);
static u8 boot_ist_stacks[IST_MAX][STACK_SIZE] __aligned(STACK_SIZE);

extern const char entry_stubs[];
extern const u64 boot_gdt[];

bool crash_in_progress;
static irq_handler_t vector_handlers[NR_VECTORS];

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow",
    "bounds", "invalid opcode", "device not available", "double fault",
    "coprocessor segment overrun", "invalid TSS", "segment not present",
    "stack segment", "general protection", "page fault", "reserved",
    "x87 FPU error", "alignment check", "machine check", "SIMD error",
    "virtualisation", "control protection",
};

void set_vector_handler(unsigned int vector, irq_handler_t fn)
{
    ASSERT(vector >= 32 && vector < NR_VECTORS);
    vector_handlers[vector] = fn;
}

static void set_gate(struct idt_entry *e, unsigned long addr, unsigned int ist)
{
    e->offset_lo = addr & 0xffff;
    e->selector = HYPERVISOR_CS;
    e->ist = ist;
    e->type_attr = 0x8e;            /* present, DPL 0, interrupt gate */
    e->offset_mid = (addr >> 16) & 0xffff;
    e->offset_hi = addr >> 32;
    e->reserved = 0;
}

int cpu_desc_init(unsigned int cpu)
{
    struct cpu_desc *d;
    unsigned long tss = 0;
    u8 *ist[IST_MAX];

    BUILD_BUG_ON(sizeof(struct cpu_desc) > (PAGE_SIZE << CPU_DESC_ORDER));

    if ( cpu == 0 )
    {
        d = &boot_cpu_desc;
        for ( unsigned int i = 0; i < IST_MAX; i++ )
            ist[i] = boot_ist_stacks[i];
    }
    else
    {
        d = alloc_xenheap_pages(CPU_DESC_ORDER, 0);
        if ( !d )
            return -ENOMEM;
        for ( unsigned int i = 0; i < IST_MAX; i++ )
        {
            ist[i] = alloc_xenheap_pages(STACK_ORDER, 0);
            if ( !ist[i] )
                return -ENOMEM;
        }
    }
    memset(d, 0, sizeof(*d));

    for ( unsigned int v = 0; v < NR_VECTORS; v++ )
        set_gate(&d->idt[v], (unsigned long)entry_stubs + 16 * v, 0);
    d->idt[2].ist = IST_NMI;
    d->idt[8].ist = IST_DF;
    d->idt[18].ist = IST_MC;

    for ( unsigned int i = 0; i < IST_MAX; i++ )
        d->tss.ist[i] = (unsigned long)ist[i] + STACK_SIZE;
    d->tss.iomap_base = sizeof(d->tss);     /* no I/O bitmap */

    memcpy(d->gdt, boot_gdt, 4 * sizeof(u64));
    tss = (unsigned long)&d->tss;
    /* 16-byte available 64-bit TSS descriptor. */
    d->gdt[4] = (sizeof(d->tss) - 1) | ((tss & 0xffffff) << 16) |
                (0x89UL << 40) | (((tss >> 24) & 0xff) << 56);
    d->gdt[5] = tss >> 32;

    cpu_desc[cpu] = d;
    return 0;
}

void cpu_desc_load(unsigned int cpu)
{
    struct cpu_desc *d = cpu_desc[cpu];
    struct desc_ptr gdtr = { sizeof(d->gdt) - 1, (unsigned long)d->gdt };
    struct desc_ptr idtr = { sizeof(d->idt) - 1, (unsigned long)d->idt };

    __asm__ __volatile__ (
        "lgdt %0\n\t"
        /* Reload CS from the new GDT with a far return. */
        "pushq %2\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "ltr %w1\n\t"
        "lidt %3"
        :: "m" (gdtr), "r" (TSS_SEL), "i" (HYPERVISOR_CS), "m" (idtr)
        : "rax", "memory" );
}

static void print_symbol(const char *fmt, unsigned long addr)
{
    unsigned long off, size;
    const char *name = symbols_lookup(addr, &off, &size);

    if ( name )
        printk(fmt, addr, name, off, size);
    else
        printk(fmt, addr, "??", 0UL, 0UL);
}

void show_stack_trace(unsigned long rbp, unsigned long rip)
{
    unsigned long base = rbp & ~(STACK_SIZE - 1);

    printk("Xen call trace:\n");
    print_symbol("   [<%016lx>] R %s+%#lx/%#lx\n", rip);

    /*
     * Follow saved frame pointers while they stay inside the one stack
     * the chain started on and keep going up it; a corrupt chain ends
     * the trace instead of faulting.
     */
    for ( unsigned int depth = 0; depth < 32; depth++ )
    {
        const unsigned long *frame = (const unsigned long *)rbp;

        if ( !rbp || (rbp & 7) || (rbp & ~(STACK_SIZE - 1)) != base ||
             rbp + 16 > base + STACK_SIZE )
            break;
        if ( !frame[1] )
            break;
        print_symbol("   [<%016lx>] S %s+%#lx/%#lx\n", frame[1]);
        if ( frame[0] <= rbp )
            break;
        rbp = frame[0];
    }
}

void show_registers(const struct cpu_user_regs *r)
{
    printk("----[ Xen-lite  x86_64  debug=y  Not tainted ]----\n");
    /*
     * Where, before anything that reads per-CPU data: a fault between
     * VMRUN and the host's VMLOAD runs with the guest's GS base.
     */
    print_symbol("RIP:    e008:[<%016lx>] %s+%#lx/%#lx\n", r->rip);
    printk("cr2: %016lx   error code: %04lx\n", read_cr2(), r->error_code);
    printk("CPU:    %u\n", smp_processor_id());
    printk("RFLAGS: %016lx   CONTEXT: hypervisor\n", r->rflags);
    printk("rax: %016lx   rbx: %016lx   rcx: %016lx\n", r->rax, r->rbx,
           r->rcx);
    printk("rdx: %016lx   rsi: %016lx   rdi: %016lx\n", r->rdx, r->rsi,
           r->rdi);
    printk("rbp: %016lx   rsp: %016lx   r8:  %016lx\n", r->rbp, r->rsp,
           r->r8);
    printk("r9:  %016lx   r10: %016lx   r11: %016lx\n", r->r9, r->r10,
           r->r11);
    printk("r12: %016lx   r13: %016lx   r14: %016lx\n", r->r12, r->r13,
           r->r14);
    printk("r15: %016lx   cr0: %016lx   cr4: %016lx\n", r->r15, read_cr0(),
           read_cr4());
    printk("cr3: %016lx\n", read_cr3());
    printk("cs: %04lx   ss: %04lx\n", r->cs, r->ss);
    show_stack_trace(r->rbp, r->rip);
}

static noreturn void fatal_trap(const struct cpu_user_regs *regs)
{
    unsigned int v = regs->vector;

    /* Another pCPU is already taking the machine down: just stop. */
    if ( __atomic_exchange_n(&crash_in_progress, true, __ATOMIC_SEQ_CST) )
        for ( ;; )
            halt();

    /* This pCPU may have faulted inside printk, holding the lock. */
    console_force_unlock();
    show_registers(regs);
    panic("FATAL TRAP: vector = %u (%s)\n[error_code=%04lx]%s", v,
          exception_names[v] ? exception_names[v] : "reserved",
          regs->error_code,
          v == 14 ? ", page fault address in cr2" : "");
}

static void do_nmi(const struct cpu_user_regs *regs)
{
    if ( READ_ONCE(crash_in_progress) )
        stop_this_cpu();
    printk(XENLOG_WARNING "NMI on CPU %u at %016lx\n", smp_processor_id(),
           regs->rip);
}

void do_interrupt(struct cpu_user_regs *regs);
void do_interrupt(struct cpu_user_regs *regs)
{
    unsigned int v = regs->vector;

    if ( v == 2 )
        do_nmi(regs);
    else if ( v < 32 )
        fatal_trap(regs);
    else if ( v <= LEGACY_VECTOR_LAST )
        ;   /* spurious 8259 interrupt: the PIC is masked, nothing to ack */
    else if ( v == SPURIOUS_APIC_VECTOR )
        ;   /* the APIC expects no EOI for its spurious vector */
    else
    {
        irq_handler_t fn = vector_handlers[v];

        ack_APIC_irq();
        if ( fn )
            fn(regs);
        else
            printk(XENLOG_WARNING "CPU %u: no handler for vector %#x\n",
                   smp_processor_id(), v);
    }
}

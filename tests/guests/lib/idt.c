/*
 * IDT set-up and the C side of interrupt dispatch. Handlers are per vector
 * and shared by all CPUs; the default for every vector is a FAIL verdict,
 * so nothing the test did not ask for can go unnoticed.
 */
#include "apic.h"
#include "idt.h"
#include "smp.h"
#include "test.h"

struct idt_entry
{
    uint16_t off_lo, sel;
    uint8_t zero, type;
    uint16_t off_hi;
} __attribute__((packed));

extern const char int_stubs[];

static struct idt_entry idt[256] __attribute__((aligned(16)));
static int_handler_t handlers[256];

static void on_spurious(struct regs *r)
{
    (void)r;
    this_cpu()->spurious++;
}

void idt_init(void)
{
    unsigned int v;

    handlers[VEC_SPURIOUS] = on_spurious;
    for ( v = 0; v < 256; v++ )
    {
        uint32_t a = (uint32_t)int_stubs + 16 * v;

        idt[v].off_lo = a & 0xffff;
        idt[v].off_hi = a >> 16;
        idt[v].sel = SEL_CODE;
        idt[v].zero = 0;
        idt[v].type = 0x8e;          /* present, DPL 0, 32-bit int gate */
    }
    idt_load();
}

void idt_load(void)
{
    struct
    {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) d = { sizeof(idt) - 1, (uint32_t)idt };

    asm volatile ( "lidt %0" :: "m" (d) );
}

void idt_set_handler(unsigned int vec, int_handler_t fn)
{
    handlers[vec & 0xff] = fn;
    barrier();
}

void idt_set_user(unsigned int vec)
{
    idt[vec & 0xff].type = 0xee;     /* present, DPL 3, 32-bit int gate */
}

noreturn void idt_triple_fault(void)
{
    struct
    {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) d = { 0, 0 };

    /*
     * int3 with an empty IDT: the IDT limit check raises #GP, delivering
     * #GP fails the same way (#DF), and #DF failing is a triple fault.
     */
    asm volatile ( "cli; lidt %0; int3" :: "m" (d) );
    for ( ;; )
        asm volatile ( "hlt" );
}

void int_dispatch(struct regs *r)
{
    int_handler_t fn = handlers[r->vector & 0xff];

    if ( fn )
    {
        fn(r);
        return;
    }
    if ( r->vector < 32 )
        test_fail("exception %u at %#x error %#x", r->vector, r->eip,
                  r->error);
    test_fail("stray interrupt %#x at %#x on cpu %u", r->vector, r->eip,
              smp_cpu());
}

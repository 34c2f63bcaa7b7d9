/*
 * sti_shadow_exit: a VM exit inside an STI shadow keeps the shadow.  After
 * STI with IF=0, a pending interrupt is recognised only once the next
 * instruction has completed (SDM Vol. 2B "STI"; APM Vol. 2 15.21.5: the
 * VMCB's INTERRUPT_SHADOW bit records the shadow at #VMEXIT, and VMRUN
 * loads it back).
 *
 * Each round puts an STI in the last byte of one guest frame and jumps to
 * it with IF=0 and a self-IPI pending in IRR.  The next instruction is
 * the first of the following frame, which the guest has never touched, so
 * its fetch exits (a nested page fault or EPT violation: the hypervisor
 * maps frames on first touch) while the CPU is in the shadow.  The frame
 * is zeroed memory: "00 00" is ADD [EAX],AL, with EAX pointing at a byte
 * and AL 0, two bytes that change nothing.  The interrupt must arrive
 * with that instruction completed, at frame + 2; at frame + 0 it was
 * delivered inside the shadow, which a hypervisor (or an emulated CPU)
 * that drops the shadow across the exit does.  The handler sends the
 * guest on to the code after the jump.
 *
 * Environment: rounds=N (default 16, at most 64).
 */
#include "test.h"

const char test_name[] = "sti_shadow_exit";

#define VEC_SELF        0xd3
#define MAX_ROUNDS      64

static struct
{
    volatile uint32_t irqs, irq_eip, irq_eflags;
} s;

/*
 * The landing frames: from the middle of RAM, far above the kernel, its
 * module and boot information (placed right after the kernel), and
 * never touched before their round.
 */
static uint32_t landing_base;

/* ADD [EAX],AL writes here: AL is the low byte of this address, 0. */
static uint8_t scratch[256] __attribute__((aligned(256)));

/* Where the handler resumes the guest (defined in one_round()). */
extern const char sti_shadow_exit_resume[];

static void on_irq(struct regs *r)
{
    s.irq_eip = r->eip;
    s.irq_eflags = r->eflags;
    s.irqs++;
    r->eip = (uint32_t)sti_shadow_exit_resume;
    apic_eoi();
}

static void one_round(unsigned int round)
{
    uint32_t frame = landing_base + round * 0x2000u + 0x1000u;
    volatile uint8_t *sti_byte = (volatile uint8_t *)(frame - 1);
    uint32_t pending;

    memset((void *)&s, 0, sizeof(s));
    /* Touches only the frame before the landing one. */
    *sti_byte = 0xfb;
    cli();
    apic_icr(apic_id(), APIC_DM_FIXED | VEC_SELF);
    pending = apic_vec_set(APIC_IRR, VEC_SELF);
    CHECK(pending, "round %u: the self-IPI is not pending in IRR with IF=0",
          round);
    asm volatile ( "jmp *%1\n"
                   ".globl sti_shadow_exit_resume\n"
                   "sti_shadow_exit_resume:"
                   : : "a" (scratch), "r" (sti_byte) : "memory", "cc" );
    cli();

    CHECK(s.irqs == 1, "round %u: the self-IPI was taken %u times", round,
          s.irqs);
    CHECK(s.irq_eip != frame, "round %u: the interrupt was taken at %#x, "
          "inside the STI shadow (the instruction after STI had not run)",
          round, s.irq_eip);
    CHECK(s.irq_eip == frame + 2, "round %u: the interrupt was taken at "
          "%#x, expected %#x (after the one instruction in the shadow)",
          round, s.irq_eip, frame + 2);
    CHECK(s.irq_eflags & EFLAGS_IF, "round %u: interrupted code had IF=0",
          round);
    CHECK(scratch[0] == 0, "round %u: ADD [EAX],AL changed its byte to %u",
          round, scratch[0]);
}

void test_main(void)
{
    uint32_t rounds = env_u32("rounds", 16);
    unsigned int r;

    if ( rounds > MAX_ROUNDS )
        test_fail("rounds=%u: at most %u", rounds, MAX_ROUNDS);
    platform_init(APIC_MODE_XAPIC, false);
    landing_base = ((0x100000u + mem_upper_kb * 1024u) / 2) & ~0x1fffffu;
    CHECK(landing_base >= 0x400000u, "%u KiB of RAM above 1 MiB: too "
          "little for the landing frames", mem_upper_kb);
    idt_set_handler(VEC_SELF, on_irq);

    for ( r = 0; r < rounds; r++ )
        one_round(r);
    test_pass("%u rounds: an interrupt pending at STI waited for the "
              "instruction after it across that instruction's fetch exit",
              rounds);
}

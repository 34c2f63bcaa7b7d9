/*
 * nmi_task_gate: hardware task switches with 32-bit TSSes (SDM Vol. 3A
 * 8.3 "Task Switching", 8.4 "Task Linking", 6.11 "IDT Descriptors"; APM
 * Vol. 2 12.3).  CPU 0 gets its own GDT (the library's descriptors and
 * four TSS descriptors) and its own IDT, whose vector 2 is a task gate
 * to the NMI task; LTR loads the main task.  CPU 1 sends the NMIs.
 *  1. CALL through a TSS selector: the called task runs with its back
 *     link the main TSS, NT=1, CR0.TS=1, both tasks busy, the main
 *     task's EIP saved after the CALL; its IRET returns after the CALL
 *     with the called task no longer busy and NT clear.
 *  2. A CALL to a not-present TSS raises #NP and one to a busy TSS #GP,
 *     both with the TSS selector as error code, at the CALL.  With
 *     vector 11 a task gate, the #NP switches to a fault task that finds
 *     the error code pushed on its own stack and the main task's EIP
 *     saved at the CALL; its IRET returns (to after the CALL, which it
 *     wrote into the main TSS) with its stack balanced.
 *  3. An NMI switches to the NMI task: back link the main TSS, NT=1,
 *     CR0.TS=1, IF=0 (the new task's EFLAGS), both tasks busy; the main
 *     task's EIP (inside its spin loop), EFLAGS, GPRs, ESP and segment
 *     selectors saved in its TSS.  A second NMI sent while the NMI task
 *     runs waits for its IRET (not taken inside: a task gate to the busy
 *     NMI task would #GP), then switches to the NMI task again, which
 *     resumes after its IRET (the handler loops: iret; jmp handler);
 *     that IRET saved its EFLAGS with NT clear.  Back in the main task:
 *     the NMI task not busy, NT clear, TR the main TSS.
 *
 * Environment: wait_ms=N (default 30): how long the NMI task waits for
 * the second NMI.
 */
#include "test.h"

const char test_name[] = "nmi_task_gate";

#define TIMEOUT_US      2000000
#define EFLAGS_NT       (1u << 14)
#define EFLAGS_ARITH    0x8d5u          /* CF PF AF ZF SF OF */
#define CR0_TS          (1u << 3)

/* The library's GDT: null, code, data, one per-CPU entry per CPU. */
#define GDT_LIB         (3 + MAX_CPUS)
#define T_MAIN          ((GDT_LIB + 0) * 8)
#define T_NMI           ((GDT_LIB + 1) * 8)
#define T_CALL          ((GDT_LIB + 2) * 8)
#define T_NP            ((GDT_LIB + 3) * 8)
#define T_FAULT         ((GDT_LIB + 4) * 8)
#define GDT_ALL         (GDT_LIB + 5)

#define STR_(x)         #x
#define STR(x)          STR_(x)

struct tss32
{
    uint16_t prev, r0;
    uint32_t esp0;
    uint16_t ss0, r1;
    uint32_t esp1;
    uint16_t ss1, r2;
    uint32_t esp2;
    uint16_t ss2, r3;
    uint32_t cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
    uint16_t trap, iomap;
} __attribute__((packed));

_Static_assert(sizeof(struct tss32) == 104, "32-bit TSS is 104 bytes");

static uint64_t gdt[GDT_ALL] __attribute__((aligned(16)));
static uint64_t idt[256] __attribute__((aligned(16)));
static struct tss32 tss_main, tss_nmi, tss_call, tss_np, tss_fault;
static uint8_t nmi_stack[4096] __attribute__((aligned(16)));
static uint8_t call_stack[4096] __attribute__((aligned(16)));
static uint8_t fault_stack[4096] __attribute__((aligned(16)));

/* What a task saw when it started, for test_main to check. */
struct seen
{
    uint32_t tr, eflags, cr0, prev;
    bool busy_main, busy_self;
    struct tss32 main;          /* the main TSS as the switch left it */
    struct tss32 self;          /* the task's own TSS, likewise */
};

static struct
{
    volatile uint32_t nmis, calls;
    struct seen nmi[2], call, fault;
    volatile uint32_t fault_tasks, fault_task_err, fault_task_esp;
    volatile uint32_t nmis_inside;      /* count after the wait in #1 */
    volatile uint32_t asked, sent, stop, timed_out;
    uint32_t wait_ms;
    /* Faults of part 2. */
    volatile uint32_t fault_vec, fault_err, fault_eip, faults;
    uint32_t fault_resume;
} s;

/* Shared with the main task's spin loop (main_spin, below). */
volatile uint32_t s_go, s_main_stop, s_main_esp, s_main_eflags;

/* Referenced from the assembly below. */
extern char main_loop[], main_loop_end[], after_lcall[], nmi_after_iret[];
extern char np_call[], np_after[], busy_call[], busy_after[];
extern char np_gate_call[], np_gate_after[];
void fault_task_entry(void);
void fault_task_body(void);
volatile uint32_t s_fault_err;
void nmi_task_entry(void);
void call_task_entry(void);
void main_spin(void);
void nmi_task_body(void);
void call_task_body(void);

/*
 * The two tasks: each runs its C body, returns to its caller with IRET
 * (NT=1), and starts again after the IRET the next time it is entered.
 * The main task's spin loop holds known values in every GPR until an
 * NMI task sets main_stop.
 */
asm (
    "   .text\n"
    "   .globl nmi_task_entry, nmi_after_iret\n"
    "nmi_task_entry:\n"
    "   call nmi_task_body\n"
    "   iretl\n"
    "nmi_after_iret:\n"
    "   jmp nmi_task_entry\n"
    "   .globl call_task_entry\n"
    "call_task_entry:\n"
    "   call call_task_body\n"
    "   iretl\n"
    "   jmp call_task_entry\n"
    /* #NP through a task gate: its error code is on this task's stack. */
    "   .globl fault_task_entry\n"
    "fault_task_entry:\n"
    "   popl s_fault_err\n"
    "   call fault_task_body\n"
    "   iretl\n"
    "   jmp fault_task_entry\n"
    "   .globl main_spin, main_loop, main_loop_end\n"
    "main_spin:\n"
    "   pushl %ebp\n"
    "   pushl %ebx\n"
    "   pushl %esi\n"
    "   pushl %edi\n"
    "   movl $0xa1a1a1a1, %eax\n"
    "   movl $0xb2b2b2b2, %ebx\n"
    "   movl $0xc3c3c3c3, %ecx\n"
    "   movl $0xd4d4d4d4, %edx\n"
    "   movl $0x5e5e5e5e, %esi\n"
    "   movl $0xd1d1d1d1, %edi\n"
    "   movl $0xb9b9b9b9, %ebp\n"
    "   movl %esp, s_main_esp\n"
    "   pushfl\n"
    "   popl s_main_eflags\n"
    "   movl $1, s_go\n"
    "main_loop:\n"
    "   cmpl $0, s_main_stop\n"
    "   je main_loop\n"
    "main_loop_end:\n"
    "   popl %edi\n"
    "   popl %esi\n"
    "   popl %ebx\n"
    "   popl %ebp\n"
    "   ret\n"
);

static uint64_t tss_desc(const struct tss32 *t, bool present)
{
    uint32_t base = (uint32_t)t, limit = sizeof(*t) - 1;

    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
           (9ull << 40) | ((uint64_t)present << 47) |
           ((uint64_t)(limit >> 16) << 48) |
           ((uint64_t)(base >> 24) << 56);
}

static bool busy(unsigned int sel)
{
    return (((volatile uint64_t *)gdt)[sel / 8] >> 41) & 1;
}

static uint32_t read_cr0(void)
{
    uint32_t v;

    asm volatile ( "movl %%cr0, %0" : "=r" (v) );
    return v;
}

static uint32_t read_cr3(void)
{
    uint32_t v;

    asm volatile ( "movl %%cr3, %0" : "=r" (v) );
    return v;
}

static uint32_t str(void)
{
    uint32_t v = 0;

    asm volatile ( "str %0" : "=r" (v) );
    return v;
}

static void note(struct seen *w, const struct tss32 *self, unsigned int sel)
{
    w->tr = str();
    w->eflags = read_eflags();
    w->cr0 = read_cr0();
    w->prev = self->prev;
    w->busy_main = busy(T_MAIN);
    w->busy_self = busy(sel);
    w->main = tss_main;
    w->self = *self;
}

void nmi_task_body(void)
{
    uint32_t n = s.nmis;

    if ( n < 2 )
        note(&s.nmi[n], &tss_nmi, T_NMI);
    s.nmis = n + 1;
    if ( n == 0 )
    {
        uint64_t end = deadline_us(TIMEOUT_US);

        /* The second NMI, while this task runs: it must wait. */
        s.asked = 1;
        while ( !s.sent && rdtsc() < end )
            cpu_relax();
        end = deadline_us((uint64_t)s.wait_ms * 1000);
        while ( rdtsc() < end )
            cpu_relax();
        s.nmis_inside = s.nmis;
    }
    else
        s_main_stop = 1;
}

void fault_task_body(void)
{
    note(&s.fault, &tss_fault, T_FAULT);
    s.fault_task_err = s_fault_err;
    s.fault_task_esp = tss_fault.esp;
    s.fault_tasks++;
    /* The fault left EIP at the CALL: resume after it. */
    tss_main.eip = (uint32_t)np_gate_after;
}

void call_task_body(void)
{
    note(&s.call, &tss_call, T_CALL);
    s.calls++;
}

static void on_fault(struct regs *r)
{
    s.fault_vec = r->vector;
    s.fault_err = r->error;
    s.fault_eip = r->eip;
    s.faults++;
    r->eip = s.fault_resume;
}

/* CPU 1: the NMIs, and a watchdog for the main task's spin loop. */
static void sender(void *arg)
{
    uint64_t end = 0;

    (void)arg;
    while ( !s.stop )
    {
        if ( s_go )
        {
            s_go = 0;
            end = deadline_us(4 * TIMEOUT_US);
            apic_icr(percpu[0].apic_id, APIC_DM_NMI | APIC_ASSERT);
        }
        if ( s.asked )
        {
            s.asked = 0;
            apic_icr(percpu[0].apic_id, APIC_DM_NMI | APIC_ASSERT);
            s.sent = 1;
        }
        if ( end && !s_main_stop && rdtsc() > end )
        {
            s.timed_out = 1;
            s_main_stop = 1;
        }
        cpu_relax();
    }
}

static void init_task(struct tss32 *t, void (*eip)(void), uint8_t *stack,
                      size_t size)
{
    memset(t, 0, sizeof(*t));
    t->eip = (uint32_t)eip;
    t->esp = (uint32_t)(stack + size);
    t->eflags = 0x2;                    /* IF=0 */
    t->cs = SEL_CODE;
    t->ss = t->ds = t->es = SEL_DATA;
    t->gs = SEL_PERCPU(0);
    t->cr3 = read_cr3();
    t->iomap = sizeof(*t);
}

static void setup_cpu0(void)
{
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d;

    asm volatile ( "sgdt %0" : "=m" (d) );
    CHECK(d.limit == GDT_LIB * 8 - 1, "library GDT limit %#x, expected %#x",
          d.limit, GDT_LIB * 8 - 1);
    memcpy(gdt, (void *)d.base, GDT_LIB * 8);
    memset(&tss_main, 0, sizeof(tss_main));
    tss_main.iomap = sizeof(tss_main);
    init_task(&tss_nmi, nmi_task_entry, nmi_stack, sizeof(nmi_stack));
    init_task(&tss_call, call_task_entry, call_stack, sizeof(call_stack));
    init_task(&tss_np, call_task_entry, call_stack, sizeof(call_stack));
    gdt[T_MAIN / 8] = tss_desc(&tss_main, true);
    gdt[T_NMI / 8] = tss_desc(&tss_nmi, true);
    gdt[T_CALL / 8] = tss_desc(&tss_call, true);
    gdt[T_NP / 8] = tss_desc(&tss_np, false);
    init_task(&tss_fault, fault_task_entry, fault_stack, sizeof(fault_stack));
    gdt[T_FAULT / 8] = tss_desc(&tss_fault, true);
    d.limit = sizeof(gdt) - 1;
    d.base = (uint32_t)gdt;
    asm volatile ( "lgdt %0" :: "m" (d) : "memory" );

    asm volatile ( "sidt %0" : "=m" (d) );
    memcpy(idt, (void *)d.base, sizeof(idt));
    /* Vector 2: a task gate (type 5, present, DPL 0) to the NMI task. */
    idt[2] = ((uint64_t)T_NMI << 16) | (0x85ull << 40);
    d.limit = sizeof(idt) - 1;
    d.base = (uint32_t)idt;
    asm volatile ( "lidt %0" :: "m" (d) : "memory" );

    asm volatile ( "ltr %w0" :: "r" (T_MAIN) : "memory" );
    CHECK(str() == T_MAIN && busy(T_MAIN), "LTR: TR %#x, busy %u", str(),
          busy(T_MAIN));
}

static void check_entered(const struct seen *w, const char *what,
                          unsigned int sel)
{
    CHECK(w->tr == sel, "%s: TR %#x, expected %#x", what, w->tr, sel);
    CHECK(w->prev == T_MAIN, "%s: back link %#x, expected the main TSS "
          "%#x", what, w->prev, T_MAIN);
    CHECK(w->eflags & EFLAGS_NT, "%s: NT clear (EFLAGS %#x)", what,
          w->eflags);
    CHECK(!(w->eflags & EFLAGS_IF), "%s: IF set, the TSS had it clear",
          what);
    CHECK(w->cr0 & CR0_TS, "%s: CR0.TS clear after a task switch (CR0 "
          "%#x)", what, w->cr0);
    CHECK(w->busy_main && w->busy_self, "%s: busy bits main %u, own %u "
          "(both must be set)", what, w->busy_main, w->busy_self);
    CHECK(w->main.cs == SEL_CODE && w->main.ss == SEL_DATA &&
          w->main.ds == SEL_DATA && w->main.es == SEL_DATA &&
          w->main.gs == SEL_PERCPU(0),
          "%s: main TSS selectors cs %#x ss %#x ds %#x es %#x gs %#x",
          what, w->main.cs, w->main.ss, w->main.ds, w->main.es,
          w->main.gs);
}

static void check_returned(const char *what, unsigned int sel)
{
    uint32_t f = read_eflags();

    CHECK(str() == T_MAIN, "%s: back in TR %#x, expected %#x", what,
          str(), T_MAIN);
    CHECK(!busy(sel) && busy(T_MAIN), "%s: after IRET busy bits: "
          "returned-from %u (must be clear), main %u (must be set)", what,
          busy(sel), busy(T_MAIN));
    CHECK(!(f & EFLAGS_NT), "%s: NT set after the task return (EFLAGS "
          "%#x)", what, f);
    CHECK(read_cr0() & CR0_TS, "%s: CR0.TS clear after the task return",
          what);
    asm volatile ( "clts" );
}

static void call_part(void)
{
    /* The CALL saves EFLAGS with NT clear and IF as it is (0). */
    asm volatile ( "lcall $" STR(T_CALL) ", $0\n"
                   ".globl after_lcall\n"
                   "after_lcall:" ::: "memory", "cc" );
    CHECK(s.calls == 1, "CALL to the TSS: task ran %u times", s.calls);
    check_entered(&s.call, "CALL", T_CALL);
    CHECK(s.call.main.eip == (uint32_t)after_lcall,
          "CALL: main TSS EIP %#x, expected %#x (after the CALL)",
          s.call.main.eip, (uint32_t)after_lcall);
    CHECK(!(s.call.main.eflags & EFLAGS_NT), "CALL: main task's saved "
          "EFLAGS %#x has NT", s.call.main.eflags);
    check_returned("CALL", T_CALL);
    CHECK(!(tss_call.eflags & EFLAGS_NT), "CALL: the IRET saved EFLAGS "
          "%#x with NT set", tss_call.eflags);
}

static void fault_part(void)
{
    idt_set_handler(11, on_fault);
    idt_set_handler(13, on_fault);

    s.fault_resume = (uint32_t)np_after;
    asm volatile ( ".globl np_call, np_after\n"
                   "np_call: lcall $" STR(T_NP) ", $0\n"
                   "np_after:" ::: "memory", "cc" );
    CHECK(s.faults == 1 && s.fault_vec == 11 && s.fault_err == T_NP &&
          s.fault_eip == (uint32_t)np_call,
          "CALL to a not-present TSS: %u faults, vector %u error %#x at "
          "%#x; expected #NP(%#x) at %#x", s.faults, s.fault_vec,
          s.fault_err, s.fault_eip, T_NP, (uint32_t)np_call);

    s.fault_resume = (uint32_t)busy_after;
    asm volatile ( ".globl busy_call, busy_after\n"
                   "busy_call: lcall $" STR(T_MAIN) ", $0\n"
                   "busy_after:" ::: "memory", "cc" );
    CHECK(s.faults == 2 && s.fault_vec == 13 && s.fault_err == T_MAIN &&
          s.fault_eip == (uint32_t)busy_call,
          "CALL to a busy TSS: vector %u error %#x at %#x; expected "
          "#GP(%#x) at %#x", s.fault_vec, s.fault_err, s.fault_eip,
          T_MAIN, (uint32_t)busy_call);
    CHECK(str() == T_MAIN && busy(T_MAIN) && !busy(T_NP),
          "after the faults: TR %#x, busy main %u, not-present %u", str(),
          busy(T_MAIN), busy(T_NP));
    idt_set_handler(11, NULL);
    idt_set_handler(13, NULL);
}

/*
 * #NP through a task gate (vector 11): the fault task gets the error
 * code (the TSS selector) pushed on its own stack and the main task's
 * EIP saved at the faulting CALL.
 */
static void fault_gate_part(void)
{
    const uint32_t stack_top = (uint32_t)(fault_stack + sizeof(fault_stack));
    uint64_t gate = idt[11];

    idt[11] = ((uint64_t)T_FAULT << 16) | (0x85ull << 40);
    asm volatile ( ".globl np_gate_call, np_gate_after\n"
                   "np_gate_call: lcall $" STR(T_NP) ", $0\n"
                   "np_gate_after:" ::: "memory", "cc" );
    CHECK(s.fault_tasks == 1, "#NP through a task gate: fault task ran %u "
          "times", s.fault_tasks);
    check_entered(&s.fault, "#NP task gate", T_FAULT);
    CHECK(s.fault_task_err == T_NP, "#NP task gate: error code %#x on the "
          "new stack, expected %#x", s.fault_task_err, T_NP);
    CHECK(s.fault.self.esp == stack_top, "#NP task gate: its TSS ESP %#x",
          s.fault.self.esp);
    CHECK(s.fault.main.eip == (uint32_t)np_gate_call, "#NP task gate: "
          "main TSS EIP %#x, expected the CALL at %#x", s.fault.main.eip,
          (uint32_t)np_gate_call);
    check_returned("#NP task gate", T_FAULT);
    /* The IRET saved ESP after the pop: the stack is balanced. */
    CHECK(tss_fault.esp == stack_top, "#NP task gate: ESP %#x after its "
          "IRET, expected %#x", tss_fault.esp, stack_top);
    idt[11] = gate;
}

static void nmi_part(void)
{
    const struct tss32 *m = &s.nmi[0].main;

    main_spin();
    CHECK(!s.timed_out, "NMI task ran %u times within %u ms (2 NMIs "
          "sent: %u)", s.nmis, 4 * TIMEOUT_US / 1000, s.sent);
    CHECK(s.nmis == 2, "NMI task ran %u times, expected 2", s.nmis);
    check_entered(&s.nmi[0], "NMI 1", T_NMI);
    check_entered(&s.nmi[1], "NMI 2", T_NMI);
    CHECK(s.nmis_inside == 1, "the second NMI was taken inside the NMI "
          "task (%u entries before its IRET)", s.nmis_inside);

    CHECK(m->eip >= (uint32_t)main_loop && m->eip < (uint32_t)main_loop_end,
          "NMI 1: main TSS EIP %#x outside the spin loop %#x-%#x", m->eip,
          (uint32_t)main_loop, (uint32_t)main_loop_end);
    CHECK(m->eax == 0xa1a1a1a1 && m->ebx == 0xb2b2b2b2 &&
          m->ecx == 0xc3c3c3c3 && m->edx == 0xd4d4d4d4 &&
          m->esi == 0x5e5e5e5e && m->edi == 0xd1d1d1d1 &&
          m->ebp == 0xb9b9b9b9 && m->esp == s_main_esp,
          "NMI 1: main TSS GPRs eax %#x ebx %#x ecx %#x edx %#x esi %#x "
          "edi %#x ebp %#x esp %#x (expected esp %#x)", m->eax, m->ebx,
          m->ecx, m->edx, m->esi, m->edi, m->ebp, m->esp, s_main_esp);
    CHECK((m->eflags & ~EFLAGS_ARITH) == (s_main_eflags & ~EFLAGS_ARITH),
          "NMI 1: main TSS EFLAGS %#x, the task had %#x", m->eflags,
          s_main_eflags);

    /* The second entry resumed the NMI task after its first IRET. */
    CHECK(s.nmi[1].self.eip == (uint32_t)nmi_after_iret,
          "NMI 2: NMI TSS EIP %#x, expected %#x (after its IRET)",
          s.nmi[1].self.eip, (uint32_t)nmi_after_iret);
    CHECK(!(s.nmi[1].self.eflags & EFLAGS_NT), "NMI 2: the IRET saved "
          "EFLAGS %#x with NT set", s.nmi[1].self.eflags);
    check_returned("NMI", T_NMI);
}

void test_main(void)
{
    s.wait_ms = env_u32("wait_ms", 30);
    platform_init(APIC_MODE_XAPIC, true);
    if ( nr_cpus < 2 )
        test_skip("needs 2 CPUs, has %u", nr_cpus);
    cli();
    setup_cpu0();
    smp_call(1, sender, NULL);

    call_part();
    fault_part();
    fault_gate_part();
    nmi_part();

    s.stop = 1;
    CHECK(smp_call_wait(1, TIMEOUT_US), "CPU 1 did not stop");
    test_pass("CALL/IRET through a TSS, #NP and #GP for bad TSSes, #NP "
              "through a task gate with its error code, %u NMIs through a "
              "task gate, the second held until the IRET", s.nmis);
}

/*
 * Extended processor state and debug registers of HVM vCPUs: the x87,
 * SSE and AVX registers with MXCSR (XSAVE/XRSTOR, or FXSAVE/FXRSTOR on a
 * CPU without XSAVE), XCR0, and DR0-DR3 and DR6.  Neither VMX nor SVM
 * switches them on a VM entry or exit, so without this every vCPU that
 * runs on a pCPU would see, and could change, the registers of the one
 * that ran there before.
 *
 * Eager save, lazy restore.  The state is saved from the registers when
 * its vCPU is switched out (on the pCPU it ran on, before the scheduler
 * lets another pCPU pick it up: sched_context_switch() runs before
 * context_saved()), and restored when a vCPU is switched in unless the
 * registers still hold exactly that state (it was the last one saved on
 * this pCPU and has not run anywhere since: a vCPU that blocked and was
 * woken again with only the idle vCPU in between).  The hypervisor itself
 * is built without x87/SSE code (-mno-sse -msoft-float) and never uses
 * debug registers, so between its vCPU's exits and the switch the
 * registers stay the guest's.
 *
 * XCR0: while the hypervisor saves or restores, XCR0 holds every
 * component it switches (xcr0_max), so that a component a guest has
 * switched off in its own XCR0 is still saved and restored with it: its
 * registers keep their values, invisible, as on hardware, and are never
 * another vCPU's (SDM Vol. 1, 13.5).  The guest's own XCR0 is loaded
 * just before each entry.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/smp.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/xstate.h>

#define X86_EXC_UD          6
#define X86_EXC_GP          13
#define X86_CR4_OSFXSR      (1UL << 9)
#define X86_CR4_OSXMMEXCPT  (1UL << 10)
#define X86_CR4_OSXSAVE     (1UL << 18)
#define CPUID1_ECX_XSAVE    (1u << 26)
#define CPUID1_EDX_FXSR     (1u << 24)

/* XCR0 components (SDM Vol. 1, 13.1). */
#define XSTATE_X87          (1ULL << 0)
#define XSTATE_SSE          (1ULL << 1)
#define XSTATE_AVX          (1ULL << 2)
/*
 * What guests are offered: x87, SSE and AVX.  MPX and PKRU need
 * features CPUID hides; the AVX-512 components are not offered because
 * leaf 7 (where AVX-512 is announced) is hidden.
 */
#define XSTATE_OFFERED      (XSTATE_X87 | XSTATE_SSE | XSTATE_AVX)

/* Offsets in the legacy (FXSAVE) region, SDM Vol. 1, Table 10-2. */
#define FXSAVE_FCW          0
#define FXSAVE_FTW          4
#define FXSAVE_MXCSR        24
#define XSAVE_HDR_BV        512

static bool use_xsave;
static bool xsetbv_passes_through;
static u64 xcr0_max;                /* components saved and restored */
static unsigned int area_size;      /* bytes for xcr0_max */

static DEFINE_PER_CPU(u64, xcr0_now);
/* Whose state the registers hold since it was last saved here. */
static DEFINE_PER_CPU(const struct vcpu *, xstate_owner);

static inline void xsetbv(u32 index, u64 val)
{
    __asm__ __volatile__ ( "xsetbv" :: "c" (index), "a" ((u32)val),
                           "d" ((u32)(val >> 32)) );
}

static void set_xcr0(u64 val)
{
    if ( this_cpu(xcr0_now) == val )
        return;
    xsetbv(0, val);
    this_cpu(xcr0_now) = val;
}

#define DEFINE_DR_ACCESSORS(n)                                          \
    static inline unsigned long read_dr##n(void)                        \
    {                                                                   \
        unsigned long v;                                                \
        __asm__ __volatile__ ( "mov %%db" #n ", %0" : "=r" (v) );       \
        return v;                                                       \
    }                                                                   \
    static inline void write_dr##n(unsigned long v)                     \
    {                                                                   \
        __asm__ __volatile__ ( "mov %0, %%db" #n :: "r" (v) );          \
    }
DEFINE_DR_ACCESSORS(0)
DEFINE_DR_ACCESSORS(1)
DEFINE_DR_ACCESSORS(2)
DEFINE_DR_ACCESSORS(3)
DEFINE_DR_ACCESSORS(6)
#undef DEFINE_DR_ACCESSORS

void xstate_init(bool xsetbv_exits)
{
    struct cpuid_regs r;

    cpuid_count(1, 0, &r);
    if ( !(r.edx & CPUID1_EDX_FXSR) )
        panic("CPU without FXSAVE: guests' SSE state cannot be switched");
    use_xsave = r.ecx & CPUID1_ECX_XSAVE;
    area_size = 512;
    if ( use_xsave )
    {
        cpuid_count(0xd, 0, &r);
        xcr0_max = (((u64)r.edx << 32) | r.eax) & XSTATE_OFFERED;
        /* The size of the area comes with XCR0 set: see xstate_cpu_init. */
    }
    xstate_cpu_init();
    if ( use_xsave )
    {
        cpuid_count(0xd, 0, &r);
        area_size = r.ebx;
    }
    if ( area_size > PAGE_SIZE )
        panic("XSAVE area of %u bytes", area_size);
    printk("HVM: guest FPU state by %s, XCR0 components %#lx, %u bytes\n",
           use_xsave ? "XSAVE" : "FXSAVE", (unsigned long)xcr0_max,
           area_size);
    xsetbv_passes_through = use_xsave && !xsetbv_exits;
    if ( xsetbv_passes_through )
        printk(XENLOG_WARNING "HVM: this CPU runs a guest's XSETBV without "
               "the intercept (emulator bug): XCR0 is read back after each "
               "exit\n");
}

void xstate_cpu_init(void)
{
    unsigned long cr4 = read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;

    if ( use_xsave )
        cr4 |= X86_CR4_OSXSAVE;
    write_cr4(cr4);
    if ( use_xsave )
    {
        xsetbv(0, xcr0_max);
        this_cpu(xcr0_now) = xcr0_max;
    }
}

u64 hvm_xcr0_offered(void)
{
    return xcr0_max;
}

/*
 * The state a processor has after power-up (SDM Vol. 3A, Table 9-1): x87
 * control word 0040H, status 0, every tag "zero" (FXSAVE's abridged tag
 * byte 0xff says "not empty"), MXCSR 1F80H, XMM and YMM registers 0.
 */
int hvm_xstate_vcpu_init(struct vcpu *v)
{
    struct hvm_xstate *x = &v->hvm->xstate;
    u8 *a = alloc_xenheap_pages(0, 0);

    if ( !a )
        return -ENOMEM;
    memset(a, 0, PAGE_SIZE);
    *(u16 *)(a + FXSAVE_FCW) = 0x0040;
    a[FXSAVE_FTW] = 0xff;
    *(u32 *)(a + FXSAVE_MXCSR) = 0x1f80;
    /* x87 and SSE from the image; AVX (bit clear) in its init state. */
    if ( use_xsave )
        *(u64 *)(a + XSAVE_HDR_BV) = XSTATE_X87 | XSTATE_SSE;
    x->area = a;
    x->xcr0 = XSTATE_X87;
    x->dr6 = 0xffff0ff0;
    x->cpu = -1;
    return 0;
}

void hvm_xstate_vcpu_destroy(struct vcpu *v)
{
    struct hvm_xstate *x = &v->hvm->xstate;

    if ( x->area )
        free_xenheap_pages(x->area, 0);
    x->area = NULL;
}

/*
 * INIT (SDM Vol. 3A, Table 10-1 "IA-32 and Intel 64 Processor States
 * Following Power-up, Reset, or INIT"): DR0-DR3 0, DR6 FFFF0FF0H.  The
 * x87 state is left unchanged by INIT (10.1: "during an INIT, the
 * internal caches, MSRs, MTRRs, and x87 FPU state are left unchanged"),
 * so are the XMM registers and MXCSR (table; Vol. 1, 11.6.4: "If the
 * processor is reset by asserting the INIT# pin, the SSE and SSE2 state
 * is not changed") and with them the AVX state and XCR0, as KVM keeps
 * them (it resets XCR0 on RESET only).  CR4.OSXSAVE is clear after INIT,
 * so XCR0 is out of the guest's reach until it sets that again.
 *
 * On v's own pCPU, interrupts off, its state in the registers.
 */
void hvm_xstate_init_reset(struct vcpu *v)
{
    struct hvm_xstate *x = &v->hvm->xstate;

    memset(x->dr, 0, sizeof(x->dr));
    x->dr6 = 0xffff0ff0;
    if ( this_cpu(xstate_owner) != v )
        return;         /* not loaded: switch_in loads the values above */
    write_dr0(0);
    write_dr1(0);
    write_dr2(0);
    write_dr3(0);
    write_dr6(x->dr6);
}

void hvm_xstate_switch_out(struct vcpu *prev)
{
    struct hvm_xstate *x = &prev->hvm->xstate;

    if ( use_xsave )
    {
        set_xcr0(xcr0_max);
        __asm__ __volatile__ ( "xsave64 %0"
                               : "=m" (*(u8 (*)[PAGE_SIZE])x->area)
                               : "a" ((u32)xcr0_max),
                                 "d" ((u32)(xcr0_max >> 32)) );
    }
    else
        __asm__ __volatile__ ( "fxsave64 %0"
                               : "=m" (*(u8 (*)[512])x->area) );
    x->dr[0] = read_dr0();
    x->dr[1] = read_dr1();
    x->dr[2] = read_dr2();
    x->dr[3] = read_dr3();
    x->dr6 = read_dr6();
    x->cpu = smp_processor_id();
    this_cpu(xstate_owner) = prev;
}

void hvm_xstate_switch_in(struct vcpu *next)
{
    struct hvm_xstate *x = &next->hvm->xstate;

    /* Saved here last, and no other state loaded since: still in place. */
    if ( this_cpu(xstate_owner) == next &&
         x->cpu == (int)smp_processor_id() )
        return;
    if ( use_xsave )
    {
        set_xcr0(xcr0_max);
        __asm__ __volatile__ ( "xrstor64 %0"
                               :: "m" (*(const u8 (*)[PAGE_SIZE])x->area),
                                  "a" ((u32)xcr0_max),
                                  "d" ((u32)(xcr0_max >> 32)) );
    }
    else
        __asm__ __volatile__ ( "fxrstor64 %0"
                               :: "m" (*(const u8 (*)[512])x->area) );
    write_dr0(x->dr[0]);
    write_dr1(x->dr[1]);
    write_dr2(x->dr[2]);
    write_dr3(x->dr[3]);
    write_dr6(x->dr6);
    this_cpu(xstate_owner) = next;
}

/* The registers of this pCPU hold v's state (switched in here last). */
static bool xstate_live(const struct vcpu *v)
{
    return this_cpu(xstate_owner) == v;
}

u64 hvm_xstate_get_dr6(struct vcpu *v)
{
    return xstate_live(v) ? read_dr6() : v->hvm->xstate.dr6;
}

void hvm_xstate_set_dr6(struct vcpu *v, u64 val)
{
    if ( xstate_live(v) )
        write_dr6(val);
    v->hvm->xstate.dr6 = val;
}

void hvm_xstate_before_entry(struct vcpu *v)
{
    if ( use_xsave )
        set_xcr0(v->hvm->xstate.xcr0);
}

static inline u64 xgetbv0(void)
{
    u32 lo, hi;

    __asm__ __volatile__ ( "xgetbv" : "=a" (lo), "=d" (hi) : "c" (0) );
    return ((u64)hi << 32) | lo;
}

/*
 * QEMU 7.2's TCG emulation of SVM executes a guest's XSETBV itself even
 * with the XSETBV intercept set, so XCR0 may hold a value the guest set
 * without an exit.  There (only) the value is taken back after each exit
 * as the guest's own: the emulated CPU has already checked it, and only
 * the components xen-lite switches are kept, so that the next entry
 * loads what the guest can have.  The hardware path never gets here.
 */
void hvm_xstate_after_exit(struct vcpu *v)
{
    u64 now;

    if ( !xsetbv_passes_through )
        return;
    now = xgetbv0();
    if ( now == this_cpu(xcr0_now) )
        return;
    v->hvm->xstate.xcr0 = (now & xcr0_max) | XSTATE_X87;
    this_cpu(xcr0_now) = now;
}

/*
 * XSETBV (SDM Vol. 2, "XSETBV"): #UD unless CR4.OSXSAVE; #GP(0) at CPL
 * above 0, for an XCR other than XCR0, for bits the CPU (here: the
 * guest's CPUID leaf 0xd) does not support, for x87 off, and for AVX
 * without SSE.
 */
int hvm_xsetbv(struct vcpu *v, u32 index, u64 val)
{
    if ( !use_xsave ||
         !(hvm_funcs->get_reg(v, HVM_REG_CR4) & X86_CR4_OSXSAVE) )
        return X86_EXC_UD;
    if ( hvm_funcs->get_reg(v, HVM_REG_CPL) != 0 || index != 0 ||
         (val & ~xcr0_max) || !(val & XSTATE_X87) ||
         ((val & XSTATE_AVX) && !(val & XSTATE_SSE)) )
        return X86_EXC_GP;
    v->hvm->xstate.xcr0 = val;
    return 0;
}

/* Bytes of the standard-format area that the components in mask need. */
static u32 area_bytes(u64 mask)
{
    struct cpuid_regs r;
    u32 end = 512 + 64;

    for ( unsigned int i = 2; i < 63; i++ )
        if ( mask & (1ULL << i) )
        {
            cpuid_count(0xd, i, &r);
            end = max(end, r.ebx + r.eax);
        }
    return end;
}

/*
 * Leaf 0xd (SDM Vol. 2, CPUID): sub-leaf 0 lists the components XCR0
 * may hold and the area sizes; sub-leaf 1 announces none of XSAVEOPT,
 * XSAVEC, XGETBV with ECX=1 or XSAVES (no IA32_XSS); sub-leaves 2 and up
 * give each offered component's size and offset, as the host has them.
 */
void hvm_xstate_cpuid(struct vcpu *v, u32 sub, struct cpuid_regs *r)
{
    memset(r, 0, sizeof(*r));
    if ( !use_xsave )
        return;
    if ( sub == 0 )
    {
        r->eax = (u32)xcr0_max;
        r->edx = (u32)(xcr0_max >> 32);
        r->ebx = area_bytes(v->hvm->xstate.xcr0);
        r->ecx = area_bytes(xcr0_max);
    }
    else if ( sub >= 2 && sub < 63 && (xcr0_max & (1ULL << sub)) )
    {
        cpuid_count(0xd, sub, r);
        r->ecx = r->edx = 0;
    }
}

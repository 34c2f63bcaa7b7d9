/*
 * lib_main(), the C entry from head.S: per-CPU set-up of the BSP, IDT,
 * legacy PIC masking, Multiboot information (environment module, memory
 * map), then the test. Also the verdict functions and platform_init().
 */
#include "test.h"

#define MB_BOOT_MAGIC   0x2badb002
#define MB_INFO_MEM     (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS    (1u << 3)
#define MB_INFO_MMAP    (1u << 6)

struct mb_info
{
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
};

struct mb_module
{
    uint32_t start, end, string, reserved;
};

struct mb_mmap
{
    uint32_t size;
    uint64_t base, len;
    uint32_t type;
} __attribute__((packed));

struct mem_range mem_map[32];
unsigned int mem_map_count;
uint32_t mem_upper_kb;

static volatile uint32_t verdict_taken;

static noreturn void verdict(const char *what, uint32_t status,
                             const char *fmt, va_list ap)
{
    char buf[600];
    const char *s = "Shutdown";
    int n;
    char *p;

    cli();
    /* One verdict per run: a second reporter (another CPU) just stops. */
    if ( xchg32(&verdict_taken, 1) )
        for ( ;; )
            asm volatile ( "cli; hlt" );
    console_closed = 1;

    n = snprintf(buf, sizeof(buf) - 2, "VERDICT %s %s ", test_name, what);
    vsnprintf(buf + n, sizeof(buf) - 2 - n, fmt, ap);
    /* The verdict is one line whatever the message holds. */
    for ( p = buf; *p; p++ )
        if ( *p == '\n' || *p == '\r' )
            *p = ' ';
    *p++ = '\n';
    *p = '\0';
    console_write_force(buf);
    console_flush();

    outl(EXIT_PORT, status);
    for ( ; *s; s++ )
        outb(BOCHS_SHUTDOWN_PORT, *s);
    for ( ;; )
        asm volatile ( "cli; hlt" );
}

void test_pass(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    verdict("PASS", 0, fmt, ap);
}

void test_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    verdict("FAIL", 1, fmt, ap);
}

void test_skip(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    verdict("SKIP", 0, fmt, ap);
}

bool mem_map_overlaps(uint64_t addr, uint64_t len)
{
    unsigned int i;

    for ( i = 0; i < mem_map_count; i++ )
        if ( addr < mem_map[i].base + mem_map[i].len &&
             mem_map[i].base < addr + len )
            return true;
    return false;
}

/*
 * The legacy 8259s: firmware leaves them programmed (IRQ 0 at vector 8 on
 * a PC BIOS), so move them out of the exception range and mask them all.
 */
static void pic_disable(void)
{
    outb(0x20, 0x11);
    outb(0xa0, 0x11);
    outb(0x21, 0x20);
    outb(0xa1, 0x28);
    outb(0x21, 0x04);
    outb(0xa1, 0x02);
    outb(0x21, 0x01);
    outb(0xa1, 0x01);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

static void read_multiboot(const struct mb_info *mbi)
{
    if ( mbi->flags & MB_INFO_MEM )
        mem_upper_kb = mbi->mem_upper;
    if ( mbi->flags & MB_INFO_CMDLINE && mbi->cmdline )
        printf("boot: command line \"%s\"\n", (const char *)mbi->cmdline);
    if ( mbi->flags & MB_INFO_MMAP )
    {
        uint32_t a = mbi->mmap_addr, end = a + mbi->mmap_length;

        while ( a < end && mem_map_count < ARRAY_SIZE(mem_map) )
        {
            const struct mb_mmap *e = (const void *)a;

            mem_map[mem_map_count].base = e->base;
            mem_map[mem_map_count].len = e->len;
            mem_map[mem_map_count].type = e->type;
            mem_map_count++;
            a += e->size + 4;
        }
    }
    if ( mbi->flags & MB_INFO_MODS && mbi->mods_count )
    {
        const struct mb_module *m = (const void *)mbi->mods_addr;

        if ( mbi->mods_count > 1 )
            printf("boot: %u modules, only the first is the environment\n",
                   mbi->mods_count);
        printf("boot: environment file of %u bytes\n", m->end - m->start);
        env_init((const char *)m->start, m->end - m->start);
    }
    else
        printf("boot: no environment file, defaults apply\n");
}

static void print_cpu(void)
{
    uint32_t a, b, c, d, sig[4], ecx1;

    cpuid(0, 0, &a, &sig[0], &sig[2], &sig[1]);
    sig[3] = 0;
    cpuid(1, 0, &a, &b, &ecx1, &d);
    printf("cpu: %s signature %#x x2apic=%s tsc-deadline=%s hypervisor=%s\n",
           (const char *)sig, a, ecx1 & CPUID1_ECX_X2APIC ? "yes" : "no",
           ecx1 & CPUID1_ECX_TSC_DEADLINE ? "yes" : "no",
           ecx1 & CPUID1_ECX_HYPERVISOR ? "yes" : "no");
    (void)c;
}

enum apic_mode apic_mode_param(enum apic_mode def)
{
    const char *s = env_get("apic");

    if ( !s )
        return def;
    if ( !strcmp(s, "xapic") )
        return APIC_MODE_XAPIC;
    if ( !strcmp(s, "x2apic") )
        return APIC_MODE_X2APIC;
    test_fail("bad value for apic: \"%s\" (xapic or x2apic)", s);
}

unsigned int platform_init(enum apic_mode mode, bool start_aps)
{
    apic_setup(mode);
    printf("apic: BSP APIC ID %u, %s mode, version %#x\n", apic_id(),
           apic_mode_name(mode), apic_read(APIC_VERSION));
    time_init();
    lapic_timer_calibrate();
    smp_discover();
    if ( start_aps )
        smp_boot(mode);
    return nr_cpus;
}

void lib_main(uint32_t magic, const struct mb_info *mbi)
{
    percpu_init(0);
    idt_init();
    pic_disable();
    printf("\n%s: guest test kernel\n", test_name);
    if ( magic != MB_BOOT_MAGIC )
        test_fail("not started by a Multiboot v1 loader (EAX %#x)", magic);
    read_multiboot(mbi);
    print_cpu();
    test_main();
    test_fail("test_main returned without a verdict");
}

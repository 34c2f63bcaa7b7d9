/*
 * domain_build: dom0 builds a domain the way the toolstack does, through
 * the domctls alone, and watches it run.  It creates a 1-vCPU domain
 * (paused by the toolstack, vCPUs down, no RAM), populates 4 MiB,
 * copies in a tiny Multiboot v1 kernel it carries (a.out kludge header,
 * loaded at 1 MiB), builds the platform (cmdline "hello-from-dom0"),
 * sets vCPU 0's boot state, writes "ping\n" to the domain's serial input
 * and unpauses it.  The small kernel checks EAX = 0x2badb002, prints
 * "domU: cmdline=<its MBI cmdline>", echoes the line it reads from COM1
 * as "domU: got <line>" and writes 42 to the exit port.  dom0 reads
 * both lines back with console_io READ, sees the domain shut down with
 * exit_status 42 in getdomaininfo and destroys it.  It does all that
 * twice: the second domain must give back exactly the free pages
 * (physinfo) it took, the first all but the few pages the hypervisor's
 * caches may keep.  In the first round it tries each bad argument of the
 * new domctls from this real VM and checks the error code.
 * Only under xen-lite (SKIP natively).
 */
#include "hypercall.h"
#include "test.h"

const char test_name[] = "domain_build";

#define MiB             (1u << 20)
#define RAM             (4 * MiB)
#define LOAD            MiB
#define EXIT_STATUS     42
/* Not dom0's RAM (64 MiB by default) nor anything else. */
#define NOWHERE         0xc0000000u
#define CMDLINE         "hello-from-dom0"

#define EPERM_          1
#define ESRCH_          3
#define E2BIG_          7
#define EFAULT_         14
#define EBUSY_          16
#define EEXIST_         17
#define EINVAL_         22
#define ENODATA_        61

/*
 * The domain's kernel, position-independent 32-bit code after a
 * Multiboot header with the a.out kludge (flags bit 16): the whole
 * image loads at LOAD, no bss.  Its stack is in conventional memory.
 */
extern const uint8_t db_payload[], db_payload_end[], db_payload_entry[];
asm (
    "    .section .rodata\n"
    "    .balign 4\n"
    "    .globl db_payload, db_payload_end, db_payload_entry\n"
    "db_payload:\n"
    "    .long 0x1badb002, 0x00010000, -(0x1badb002 + 0x00010000)\n"
    "    .long 0x100000, 0x100000\n"
    "    .long 0x100000 + (db_payload_end - db_payload)\n"
    "    .long 0\n"
    "    .long 0x100000 + (db_payload_entry - db_payload)\n"
    "db_payload_entry:\n"
    "    movl $0x80000, %esp\n"           /* Multiboot gives no stack */
    "    cmpl $0x2badb002, %eax\n"
    "    jne 8f\n"
    "    call 1f\n"
    "1:  popl %ebp\n"
    "    leal (10f - 1b)(%ebp), %esi\n"
    "    call 6f\n"
    "    movl 16(%ebx), %esi\n"            /* mbi->cmdline */
    "    call 6f\n"
    "    movb $10, %al\n"
    "    call 5f\n"
    "    leal (11f - 1b)(%ebp), %esi\n"
    "    call 6f\n"
    "2:  movw $0x3fd, %dx\n"               /* LSR: wait for a byte */
    "3:  inb %dx, %al\n"
    "    testb $1, %al\n"
    "    jz 3b\n"
    "    movw $0x3f8, %dx\n"
    "    inb %dx, %al\n"
    "    call 5f\n"
    "    cmpb $10, %al\n"
    "    jne 2b\n"
    "    movl $42, %eax\n"
    "4:  movw $0xf4, %dx\n"
    "    outl %eax, %dx\n"
    "9:  hlt\n"
    "    jmp 9b\n"
    "8:  movl $7, %eax\n"                  /* not entered as Multiboot */
    "    jmp 4b\n"
    /* putc(al): wait for THRE, transmit; keeps every register. */
    "5:  pushl %edx\n"
    "    pushl %eax\n"
    "    movw $0x3fd, %dx\n"
    "7:  inb %dx, %al\n"
    "    testb $0x20, %al\n"
    "    jz 7b\n"
    "    popl %eax\n"
    "    movw $0x3f8, %dx\n"
    "    outb %al, %dx\n"
    "    popl %edx\n"
    "    ret\n"
    /* puts(esi) */
    "6:  lodsb\n"
    "    testb %al, %al\n"
    "    jz 12f\n"
    "    call 5b\n"
    "    jmp 6b\n"
    "12: ret\n"
    "10: .asciz \"domU: cmdline=\"\n"
    "11: .asciz \"domU: got \"\n"
    "db_payload_end:\n"
    "    .previous\n"
);

static struct xen_domctl op;
static domid_t dom;
static unsigned int nr_refusals;
static char big[(64u << 10) + 8];
static char text[4096];

static void mk(uint32_t cmd)
{
    memset(&op, 0, sizeof(op));
    op.cmd = cmd;
    op.domain = dom;
}

/* The domctl as set up in 'op' must fail with -err. */
static void refused(long err, const char *what)
{
    long rc = xen_domctl(&op);

    CHECK(rc == -err, "%s: %ld, wanted %ld", what, rc, -err);
    nr_refusals++;
}

static void ok(const char *what)
{
    long rc = xen_domctl(&op);

    CHECK(rc == 0, "%s failed: %ld", what, rc);
}

static struct xen_domctl_getdomaininfo info(void)
{
    mk(XEN_DOMCTL_getdomaininfo);
    ok("getdomaininfo");
    CHECK(op.domain == dom, "getdomaininfo found d%u, not d%u", op.domain,
          dom);
    return op.u.getdomaininfo;
}

static void mk_copy(uint64_t gpaddr, const void *buf, uint32_t size)
{
    mk(XEN_DOMCTL_copy_to_guest);
    op.u.copy_to_guest.gpaddr = gpaddr;
    op.u.copy_to_guest.buffer = (uint32_t)buf;
    op.u.copy_to_guest.size = size;
}

static uint32_t kernel_end(void)
{
    return LOAD + (uint32_t)(db_payload_end - db_payload);
}

static void mk_platform(void)
{
    mk(XEN_DOMCTL_build_platform);
    op.u.build_platform.kind = XEN_DOMCTL_PLATFORM_MULTIBOOT;
    op.u.build_platform.entry = (uint32_t)(db_payload_entry - db_payload) +
                                LOAD;
    op.u.build_platform.kernel_end = kernel_end();
    op.u.build_platform.cmdline = (uint32_t)CMDLINE;
    op.u.build_platform.cmdline_len = sizeof(CMDLINE) - 1;
}

static void mk_vcpu(const struct xen_domctl_vcpu_boot *boot)
{
    mk(XEN_DOMCTL_setvcpucontext);
    op.u.setvcpucontext.boot = *boot;
}

/* Before populate_ram: nothing to build on. */
static void refusals_without_ram(void)
{
    static const uint64_t bad_sizes[] = {
        0, 4096, 2 * MiB - 4096, RAM + 1, RAM + 2048, 0xfec01000ull,
        8 * MiB,                        /* more than max_pages */
    };
    struct xen_domctl_vcpu_boot boot = { .eip = LOAD };

    for ( unsigned int i = 0; i < ARRAY_SIZE(bad_sizes); i++ )
    {
        mk(XEN_DOMCTL_populate_ram);
        op.u.populate_ram.mem_bytes = bad_sizes[i];
        refused(EINVAL_, "populate_ram of a bad size");
    }
    mk_copy(LOAD, db_payload, 16);
    refused(ENODATA_, "copy_to_guest before populate_ram");
    mk_platform();
    refused(ENODATA_, "build_platform before populate_ram");
    mk_vcpu(&boot);
    refused(ENODATA_, "setvcpucontext before populate_ram");
    /* dom0 was never held for building. */
    dom = 0;
    mk_copy(LOAD, db_payload, 16);
    refused(EBUSY_, "copy_to_guest into dom0");
}

static void copy_refusals(void)
{
    mk_copy(LOAD, db_payload, 0);
    refused(EINVAL_, "copy_to_guest of 0 bytes");
    mk_copy(LOAD, big, XEN_DOMCTL_COPY_MAX + 1);
    refused(EINVAL_, "copy_to_guest over the chunk size");
    mk_copy(RAM - 8, db_payload, 16);
    refused(EINVAL_, "copy_to_guest past RAM");
    mk_copy(~0ull - 4, db_payload, 16);
    refused(EINVAL_, "copy_to_guest wrapping");
    mk_copy(LOAD, db_payload, 16);
    op.u.copy_to_guest.pad = 1;
    refused(EINVAL_, "copy_to_guest with padding");
    mk_copy(LOAD, (const void *)NOWHERE, 16);
    refused(EFAULT_, "copy_to_guest from outside dom0's RAM");
    mk(XEN_DOMCTL_populate_ram);
    op.u.populate_ram.mem_bytes = RAM;
    refused(EEXIST_, "a second populate_ram");
}

static void platform_refusals(void)
{
    mk_platform();
    op.u.build_platform.kind = 0;
    refused(EINVAL_, "build_platform of kind 0");
    mk_platform();
    op.u.build_platform.kind = 3;
    refused(EINVAL_, "build_platform of kind 3");
    mk_platform();
    op.u.build_platform.pad = 1;
    refused(EINVAL_, "build_platform with padding");
    mk_platform();
    op.u.build_platform.entry = 0xffff0;
    refused(EINVAL_, "build_platform, entry below 1 MiB");
    mk_platform();
    op.u.build_platform.entry = kernel_end();
    refused(EINVAL_, "build_platform, entry at kernel_end");
    mk_platform();
    op.u.build_platform.kernel_end = RAM + 1;
    refused(EINVAL_, "build_platform, kernel_end past RAM");
    mk_platform();
    op.u.build_platform.module_size = RAM;
    refused(E2BIG_, "build_platform, module bigger than what is left");
    mk_platform();
    op.u.build_platform.module_args = (uint32_t)CMDLINE;
    op.u.build_platform.module_args_len = 3;
    refused(EINVAL_, "build_platform, module arguments without module");
    mk_platform();
    op.u.build_platform.cmdline = (uint32_t)big;
    op.u.build_platform.cmdline_len = (64u << 10) + 1;
    refused(E2BIG_, "build_platform, a cmdline over 64 KiB");
    mk_platform();
    op.u.build_platform.cmdline_len = sizeof(CMDLINE);    /* with NUL */
    refused(EINVAL_, "build_platform, a NUL inside the cmdline");
    mk_platform();
    op.u.build_platform.cmdline = NOWHERE;
    refused(EFAULT_, "build_platform, cmdline outside dom0's RAM");
}

static void vcpu_refusals(const struct xen_domctl_vcpu_boot *boot)
{
    mk_vcpu(boot);
    op.u.setvcpucontext.vcpu = 1;
    refused(EINVAL_, "setvcpucontext of vCPU 1 of 1");
    mk_vcpu(boot);
    op.u.setvcpucontext.boot.flags = 2;
    refused(EINVAL_, "setvcpucontext with unknown flags");
    mk_vcpu(boot);
    op.u.setvcpucontext.boot.eip = RAM;
    refused(EINVAL_, "setvcpucontext, eip past RAM");
    mk_vcpu(boot);
    op.u.setvcpucontext.pad = 1;
    refused(EINVAL_, "setvcpucontext with padding");
}

static void console_refusals(void)
{
    mk(XEN_DOMCTL_console_io);
    op.u.console_io.cmd = 2;
    refused(EINVAL_, "console_io command 2");
    mk(XEN_DOMCTL_console_io);
    op.u.console_io.cmd = XEN_DOMCTL_CONSOLE_WRITE;
    op.u.console_io.buffer = (uint32_t)big;
    op.u.console_io.size = XEN_DOMCTL_COPY_MAX + 1;
    refused(EINVAL_, "console_io WRITE over the limit");
    mk(XEN_DOMCTL_console_io);
    op.u.console_io.cmd = XEN_DOMCTL_CONSOLE_WRITE;
    op.u.console_io.buffer = NOWHERE;
    op.u.console_io.size = 4;
    refused(EFAULT_, "console_io WRITE from outside dom0's RAM");
    mk(XEN_DOMCTL_console_io);
    op.u.console_io.cmd = XEN_DOMCTL_CONSOLE_READ;
    op.u.console_io.index = 1u << 30;
    op.u.console_io.buffer = (uint32_t)text;
    op.u.console_io.size = 16;
    refused(EINVAL_, "console_io READ past the output");
}

/* Once there is output to copy. */
static void console_read_refusal(void)
{
    mk(XEN_DOMCTL_console_io);
    op.u.console_io.cmd = XEN_DOMCTL_CONSOLE_READ;
    op.u.console_io.buffer = NOWHERE;
    op.u.console_io.size = 16;
    refused(EFAULT_, "console_io READ into outside dom0's RAM");
}

static bool contains(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for ( size_t i = 0; i + k <= n; i++ )
        if ( !memcmp(hay + i, needle, k) )
            return true;
    return false;
}

/*
 * One domain from creation to destruction; the refusals only in the
 * first round.  Returns free_pages after the destroy.
 */
static uint64_t build_and_run(bool refusals, unsigned int *out_len)
{
    struct xen_sysctl_physinfo pi;
    struct xen_domctl_getdomaininfo di;
    struct xen_domctl_vcpu_boot boot;
    uint64_t now, end, index = 0;
    size_t len = 0;
    long rc;

    rc = xen_physinfo(&pi);
    CHECK(rc == 0, "physinfo failed: %ld", rc);
    now = pi.now;
    CHECK(now > 0, "physinfo's now is 0");

    memset(&op, 0, sizeof(op));
    op.cmd = XEN_DOMCTL_createdomain;
    op.u.createdomain.flags = XEN_DOMCTL_CDF_hvm;
    op.u.createdomain.max_vcpus = 1;
    op.u.createdomain.max_pages = RAM >> 12;
    ok("createdomain");
    dom = op.domain;
    di = info();
    CHECK(di.flags & XEN_DOMINF_paused, "new domain not paused (%#x)",
          di.flags);
    CHECK(di.nr_online_vcpus == 0 && di.tot_pages == 0,
          "new domain has %u vCPUs up and %llu pages", di.nr_online_vcpus,
          (unsigned long long)di.tot_pages);
    CHECK(di.create_time >= now, "create_time %llu before %llu",
          (unsigned long long)di.create_time, (unsigned long long)now);
    CHECK(di.exit_status == 0, "exit_status %u before it ran",
          di.exit_status);

    if ( refusals )
        refusals_without_ram();
    dom = di.domain;

    mk(XEN_DOMCTL_populate_ram);
    op.u.populate_ram.mem_bytes = RAM;
    ok("populate_ram");
    CHECK(info().tot_pages == RAM >> 12, "tot_pages %llu after populate",
          (unsigned long long)info().tot_pages);
    if ( refusals )
        copy_refusals();

    /* The kernel, then a page of zeroes behind it (as for a bss). */
    mk_copy(LOAD, db_payload, db_payload_end - db_payload);
    ok("copy_to_guest of the kernel");
    mk_copy(2 * MiB, NULL, 4096);
    ok("copy_to_guest of zeroes");

    if ( refusals )
        platform_refusals();
    mk_platform();
    ok("build_platform");
    CHECK(op.u.build_platform.module_paddr == 0,
          "module_paddr %#llx without a module",
          (unsigned long long)op.u.build_platform.module_paddr);
    boot = op.u.build_platform.boot;
    CHECK(boot.eip == LOAD + (db_payload_entry - db_payload) &&
          boot.eax == 0x2badb002 && boot.ebx >= kernel_end() &&
          boot.ebx < RAM && boot.flags == 0,
          "boot state eip %#x eax %#x ebx %#x flags %#x", boot.eip,
          boot.eax, boot.ebx, boot.flags);

    if ( refusals )
        vcpu_refusals(&boot);
    mk_vcpu(&boot);
    ok("setvcpucontext");
    mk_vcpu(&boot);
    refused(EBUSY_, "setvcpucontext of a vCPU that is up");
    CHECK(info().nr_online_vcpus == 1, "vCPU 0 not up");

    if ( refusals )
        console_refusals();
    mk(XEN_DOMCTL_console_io);
    op.u.console_io.cmd = XEN_DOMCTL_CONSOLE_WRITE;
    op.u.console_io.buffer = (uint32_t)"ping\n";
    op.u.console_io.size = 5;
    ok("console_io WRITE");
    CHECK(op.u.console_io.size == 5, "the line took %u of 5 bytes",
          op.u.console_io.size);

    mk(XEN_DOMCTL_unpausedomain);
    ok("unpausedomain");
    mk_copy(LOAD, db_payload, 16);
    refused(EBUSY_, "copy_to_guest after the domain ran");
    mk_platform();
    refused(EBUSY_, "build_platform after the domain ran");

    /* Its output, until it has shut down and everything is read. */
    end = deadline_us(20000000);
    for ( ;; )
    {
        bool shut = info().flags & XEN_DOMINF_shutdown;

        mk(XEN_DOMCTL_console_io);
        op.u.console_io.cmd = XEN_DOMCTL_CONSOLE_READ;
        op.u.console_io.index = index;
        op.u.console_io.buffer = (uint32_t)(text + len);
        op.u.console_io.size = sizeof(text) - len;
        ok("console_io READ");
        len += op.u.console_io.size;
        index = op.u.console_io.index;
        if ( shut && !op.u.console_io.size )
            break;
        CHECK(rdtsc() < end, "d%u did not shut down within 20 s (%u bytes "
              "of output)", dom, (unsigned int)len);
        udelay(1000);
    }
    CHECK(len == index, "read %u bytes, index %llu", (unsigned int)len,
          (unsigned long long)index);
    CHECK(contains(text, len, "domU: cmdline=" CMDLINE "\n"),
          "no cmdline line in d%u's output", dom);
    CHECK(contains(text, len, "domU: got ping\n"),
          "no echo of the input in d%u's output", dom);
    if ( refusals )
        console_read_refusal();
    di = info();
    CHECK(di.exit_status == EXIT_STATUS, "exit_status %u, wanted %u",
          di.exit_status, EXIT_STATUS);
    CHECK(di.create_time >= now && di.create_time < pi.now + 60000000000ull,
          "create_time %llu", (unsigned long long)di.create_time);

    mk(XEN_DOMCTL_destroydomain);
    ok("destroydomain");
    mk(XEN_DOMCTL_getdomaininfo);
    rc = xen_domctl(&op);
    CHECK(rc == -ESRCH_ || (rc == 0 && op.domain != dom),
          "d%u still there after destroy", dom);
    rc = xen_physinfo(&pi);
    CHECK(rc == 0, "physinfo failed: %ld", rc);
    CHECK(pi.now > now, "physinfo's now did not advance");
    *out_len = len;
    return pi.free_pages;
}

void test_main(void)
{
    struct xen_sysctl_physinfo pi;
    uint64_t free_before, free_1, free_2;
    unsigned int len;
    long rc;

    platform_init(APIC_MODE_XAPIC, false);
    if ( !xen_lite_present() )
        test_skip("needs xen-lite (domctl)");
    memset(big, 'b', sizeof(big));

    rc = xen_physinfo(&pi);
    CHECK(rc == 0, "physinfo failed: %ld", rc);
    free_before = pi.free_pages;
    free_1 = build_and_run(true, &len);
    /*
     * The first domain may leave the hypervisor's caches grown (xmalloc
     * keeps one empty page per size class; a pCPU's timer heap grows
     * and stays): a few pages, never its RAM.  The second must give
     * back every page it took.
     */
    CHECK(free_1 <= free_before && free_1 + 16 >= free_before,
          "free pages %llu after the first domain, %llu before",
          (unsigned long long)free_1, (unsigned long long)free_before);
    free_2 = build_and_run(false, &len);
    CHECK(free_2 == free_1,
          "free pages %llu after the second domain, %llu before it",
          (unsigned long long)free_2, (unsigned long long)free_1);
    test_pass("2 domains built, ran (%u bytes of output), exit_status %u, "
              "destroyed, memory back (%llu pages kept by the first); "
              "%u refusals", len, EXIT_STATUS,
              (unsigned long long)(free_before - free_1), nr_refusals);
}

/*
 * Domains from boot modules.  Module 0 is dom0's kernel; boot_domains=N
 * starts the first N kernel modules (dom0 and N-1 more).  A module whose
 * arguments begin with "env" or "initrd" belongs to the kernel before it:
 * it reaches that guest as its Multiboot module, or as module 0 of a PVH
 * kernel, which Linux takes as its initrd; its arguments after the word
 * are the module's string.  A kernel module's arguments may set
 * "vcpus=N", "mem=SIZE" and "testdev=0|1" (QEMU pc-testdev's interrupt
 * lines, testdev.c); the rest is the guest's command line.
 */
#include <xen/lib.h>
#include <xen/console.h>
#include <xen/errno.h>
#include <xen/param.h>
#include <xen/sched.h>
#include <xen/smp.h>
#include <asm/bootinfo.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/io.h>
#include <asm/hvm/builder.h>
#include <asm/boot_domains.h>

#define DEFAULT_MEM     (64ULL << 20)
#define MAX_GUEST_MEM   (1ULL << 40)

static unsigned int opt_boot_domains = 1;
integer_param("boot_domains", opt_boot_domains);

struct boot_kernel
{
    const struct boot_module *kernel;
    const struct boot_module *env;     /* its "env" or "initrd" module */
    unsigned int vcpus;
    u64 mem;
    bool testdev;
    char cmdline[BOOT_MODARGS_MAX];
    const char *env_args;
};

/* Module strings from a Multiboot v1 loader start with the file's path. */
static const char *module_args(const struct boot_module *m)
{
    const char *p = m->args;

    if ( boot_info.multiboot != 1 )
        return p;
    while ( *p && *p != ' ' )
        p++;
    while ( *p == ' ' )
        p++;
    return p;
}

/* The module's arguments after its leading word, or NULL. */
static const char *word_args(const struct boot_module *m, const char *word)
{
    const char *a = module_args(m);
    size_t n = strlen(word);

    if ( strncmp(a, word, n) || (a[n] != '\0' && a[n] != ' ') )
        return NULL;
    for ( a += n; *a == ' '; a++ )
        ;
    return a;
}

/* A module that belongs to the kernel before it: its string, or NULL. */
static const char *attached_args(const struct boot_module *m)
{
    const char *a = word_args(m, "env");

    return a ? a : word_args(m, "initrd");
}

static u64 parse_size(const char *s, const char **end)
{
    u64 v = simple_strtoull(s, end, 0);

    switch ( **end )
    {
    case 'G': case 'g': v <<= 10; /* fall through */
    case 'M': case 'm': v <<= 10; /* fall through */
    case 'K': case 'k': v <<= 10; (*end)++; break;
    }
    return v;
}

/* Split a kernel module's arguments into our settings and its cmdline. */
static int parse_kernel_args(struct boot_kernel *k)
{
    const char *p = module_args(k->kernel);
    size_t len = 0;

    k->vcpus = 1;
    k->mem = DEFAULT_MEM;
    while ( *p )
    {
        const char *tok = p, *end;
        size_t n;

        while ( *p && *p != ' ' )
            p++;
        n = p - tok;
        while ( *p == ' ' )
            p++;

        if ( !strncmp(tok, "vcpus=", 6) )
        {
            k->vcpus = simple_strtoull(tok + 6, &end, 0);
            if ( end != tok + n || !k->vcpus || k->vcpus > XEN_MAX_VCPUS )
                return -EINVAL;
        }
        else if ( !strncmp(tok, "mem=", 4) )
        {
            k->mem = parse_size(tok + 4, &end);
            if ( end != tok + n || k->mem < (2ULL << 20) ||
                 k->mem > MAX_GUEST_MEM )
                return -EINVAL;
        }
        else if ( !strncmp(tok, "testdev=", 8) )
        {
            if ( n != 9 || (tok[8] != '0' && tok[8] != '1') )
                return -EINVAL;
            k->testdev = tok[8] == '1';
        }
        else if ( len + n + 1 < sizeof(k->cmdline) )
        {
            if ( len )
                k->cmdline[len++] = ' ';
            memcpy(k->cmdline + len, tok, n);
            len += n;
        }
    }
    k->cmdline[len] = '\0';
    return 0;
}

static int build_one(domid_t id, struct boot_kernel *k)
{
    struct hvm_build_args args = {
        .kernel = (const void *)k->kernel->start,
        .kernel_len = k->kernel->end - k->kernel->start,
        .cmdline = k->cmdline,
        .module = k->env ? (const void *)k->env->start : NULL,
        .module_len = k->env ? k->env->end - k->env->start : 0,
        .module_args = k->env_args,
        .mem_bytes = k->mem,
        .nr_vcpus = k->vcpus,
    };
    struct hvm_boot_state bs;
    struct domain *d;
    int rc;

    rc = domain_create(id, XEN_DOMCTL_CDF_hvm |
                           (id == 0 ? XEN_DOMCTL_CDF_privileged : 0),
                       k->vcpus, k->mem >> 12, &d);
    if ( rc )
        return rc;
    rc = k->testdev ? hvm_testdev_init(d) : 0;
    if ( !rc )
        rc = hvm_build_domain(d, &args, &bs);
    if ( rc )
    {
        domain_destroy(d);
        return rc;
    }
    hvm_vcpu_set_boot_state(d->vcpu[0], &bs);
    printk("d%u: %u vCPUs, %lu MiB, kernel %lu KiB, entry %#x (%s)%s%s\n",
           id, k->vcpus, (unsigned long)(k->mem >> 20),
           (unsigned long)(args.kernel_len >> 10), bs.eip,
           bs.pvh ? "PVH" : "Multiboot",
           !k->env ? "" : bs.pvh ? ", initrd module" : ", environment module",
           id == 0 ? " (dom0)" : "");
    /*
     * A dom0 entered through PVH is an operating system whose UART is the
     * machine's console: its output goes to the serial line as it is.  A
     * Multiboot dom0 is a test kernel: its lines keep their (d0) prefix.
     */
    if ( id == 0 && bs.pvh )
        vuart_set_console(d);
    rc = vcpu_up(d->vcpu[0]);
    /* Serial input follows dom0, as in Xen. */
    if ( !rc && id == 0 )
        console_dom0_started();
    return rc;
}

unsigned int create_boot_domains(unsigned int *failed)
{
    unsigned int i = 0, started = 0;

    *failed = 0;
    while ( i < boot_info.nr_modules && started < opt_boot_domains )
    {
        struct boot_kernel k = { .kernel = &boot_info.modules[i++] };
        int rc;

        if ( attached_args(k.kernel) )
        {
            printk(XENLOG_WARNING "module %u: environment file or initrd "
                   "without a kernel before it\n", i - 1);
            continue;
        }
        if ( i < boot_info.nr_modules &&
             (k.env_args = attached_args(&boot_info.modules[i])) != NULL )
            k.env = &boot_info.modules[i++];
        rc = parse_kernel_args(&k);
        if ( !rc )
            rc = build_one(started, &k);
        if ( rc )
        {
            printk(XENLOG_ERR "d%u: cannot build from module %u (%d)\n",
                   started, (unsigned int)(k.kernel - boot_info.modules), rc);
            (*failed)++;
            /* Before a domain that did start can end the run as clean. */
            hvm_note_failure();
        }
        else
            started++;
    }
    return started;
}

/*
 * The HVM domain builder: boots a domain the way a boot loader boots a
 * plain PC, by one of two conventions.  Two entry points share the
 * layout (plan_info), the ACPI tables, the boot-information writers
 * and the boot state (write_platform): hvm_build_domain() for the boot
 * modules, which loads the kernel itself, and hvm_build_platform() for
 * the toolstack (domctl build_platform), whose tools loaded the kernel
 * with libimage and copy the module in afterwards.
 *
 * Guest RAM from 0 to mem_bytes, ACPI tables in the BIOS area, the
 * kernel's segments at their physical addresses (parsed by libimage,
 * shared with the tools), then page-aligned above the kernel the
 * module, and after it the boot information and everything it points
 * at:
 * - Multiboot v1 (Multiboot Specification 0.6.96, section 3.2): the MBI,
 *   one module entry, the memory map, the strings.  vCPU 0 starts at the
 *   kernel's entry with EAX = 0x2badb002 and EBX = the MBI.
 * - PVH (Xen's docs/misc/pvh.pandoc): hvm_start_info version 1, the
 *   module list (the module is module 0, Linux's initrd), the memory map
 *   and the strings.  vCPU 0 starts at the XEN_ELFNOTE_PHYS32_ENTRY
 *   address with EBX = hvm_start_info.
 * Both start in 32-bit flat protected mode, paging off, CR4 = 0, IF = 0
 * (hvm_vcpu_set_boot_state), and both memory maps are the same table.
 *
 * The kernel and module are untrusted.  The whole image is checked and
 * the layout worked out before anything is written, so a bad image
 * leaves the domain untouched; the loading pass checks every segment
 * again as it copies it, so an image that changed in between can only
 * fail, never write outside the domain's RAM.  Errors:
 * - -EINVAL: a bad image (see libimage.h: no PVH note and no valid
 *   Multiboot header, malformed ELF, segments outside the file,
 *   overlapping, below 1 MiB or past 4 GiB, a bad PVH note, an entry
 *   outside the segments, a Multiboot feature we cannot give) or bad
 *   arguments: mem_bytes below 2 MiB or reaching into the IOAPIC/LAPIC
 *   MMIO at 0xfec00000, no vCPU or more than the MADT can list (255).
 * - -E2BIG: the kernel's segments reach past mem_bytes (the message
 *   names both sizes), or the module, the boot information or its
 *   strings do not fit below mem_bytes, or a string is longer than
 *   64 KiB.
 * - -ENOMEM, -EFAULT: from the p2m (populating RAM, copying into it).
 */
#include <xen/lib.h>
#include <asm/multiboot.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <public/hvm_start_info.h>
#include <asm/bootinfo.h>
#include <asm/hvm/builder.h>
#include <asm/hvm/io.h>
#include <libimage.h>

#define GUEST_MIN_RAM       (2ULL << 20)
/* RAM must stay below the IOAPIC and the LAPIC pages. */
#define GUEST_MAX_RAM       VIOAPIC_BASE
#define GUEST_MAX_VCPUS     255         /* MADT APIC ids (acpi_build.c) */
#define MAX_STRING          (64u << 10)

#define MB_LOADER_MAGIC     0x2badb002u
#define MBI_MEM_LOWER_KB    (GUEST_LOW_RAM_END >> 10)   /* 639 */
#define LOADER_NAME         "xen-lite"

BUILD_BUG_ON(sizeof(struct mb_info) != 116);
BUILD_BUG_ON(sizeof(struct mb_mmap) != 24);
BUILD_BUG_ON(sizeof(struct hvm_start_info) != 56);
BUILD_BUG_ON(sizeof(struct hvm_modlist_entry) != 32);
BUILD_BUG_ON(sizeof(struct hvm_memmap_table_entry) != 24);

#define NR_MMAP             4

/* Everything worked out before the first write. */
struct layout
{
    u64 ram_end;
    struct image_limits lim;
    struct image_plan plan;
    const u8 *image;
    size_t image_len;

    u64 mod_start, mod_end;     /* mod_start == 0: no module */
    u64 info;                   /* the MBI or hvm_start_info */
    u64 mods, mmap;
    u64 cmdline, modargs, loader;
    size_t cmdline_len, modargs_len;
    const char *cmdline_str, *modargs_str;
};

/* The memory map both conventions hand over, as E820 types. */
static const struct
{
    u64 start, end;             /* end 0: the end of RAM */
    u32 type;
} guest_mmap[NR_MMAP] = {
    { 0, GUEST_LOW_RAM_END, MEM_RAM },
    { GUEST_LOW_RAM_END, 0xa0000, MEM_RESERVED },
    { GUEST_BIOS_START, GUEST_HIGH_RAM, MEM_RESERVED },
    { GUEST_HIGH_RAM, 0, MEM_RAM },
};

/* A string's length, or -E2BIG past MAX_STRING. */
static int string_len(const char *s, size_t *len)
{
    *len = strnlen(s, MAX_STRING + 1);
    return *len > MAX_STRING ? -E2BIG : 0;
}

/* What the boot information describes besides the kernel. */
struct info_args
{
    bool module;                /* there is one (it may be empty) */
    u64 module_len;
    const char *cmdline, *module_args;     /* NULL: "" */
};

/*
 * Where the module, the boot information and its pieces go, after the
 * kernel's plan (l->plan.kind and .end, l->ram_end): both builders.
 */
static int plan_info(struct layout *l, const struct info_args *args)
{
    bool pvh = l->plan.kind == IMAGE_PVH;
    u64 p;
    int rc;

    /*
     * plan.end <= ram_end, which is page-aligned.  After a kernel in
     * conventional memory the rest still starts at 1 MiB: the EBDA and
     * the BIOS area follow it.
     */
    p = max(ROUNDUP(l->plan.end, PAGE_SIZE), (u64)GUEST_HIGH_RAM);
    l->mod_start = l->mod_end = 0;
    if ( args->module )
    {
        if ( args->module_len > l->ram_end - p )
            return -E2BIG;
        l->mod_start = p;
        l->mod_end = p + args->module_len;
        p = ROUNDUP(l->mod_end, PAGE_SIZE);
    }

    l->cmdline_str = args->cmdline ? args->cmdline : "";
    l->modargs_str = args->module_args ? args->module_args : "";
    rc = string_len(l->cmdline_str, &l->cmdline_len);
    if ( !rc )
        rc = string_len(l->modargs_str, &l->modargs_len);
    if ( rc )
        return rc;

    /*
     * p is page-aligned here, and the PVH structures' sizes are multiples
     * of 8, so each of them is 8-byte aligned as the ABI wants.
     */
    l->info = p;
    p += pvh ? sizeof(struct hvm_start_info) : sizeof(struct mb_info);
    l->mods = p;
    if ( args->module )
        p += pvh ? sizeof(struct hvm_modlist_entry)
                 : sizeof(struct mb_module);
    l->mmap = p;
    p += NR_MMAP * (pvh ? sizeof(struct hvm_memmap_table_entry)
                        : sizeof(struct mb_mmap));
    l->cmdline = p;
    p += l->cmdline_len + 1;
    l->modargs = p;
    if ( args->module )
        p += l->modargs_len + 1;
    l->loader = p;
    if ( !pvh )
        p += sizeof(LOADER_NAME);

    /* p <= ram_end + a little: no overflow on the way. */
    if ( p > l->ram_end )
        return -E2BIG;
    return 0;
}

/* The image's verdict, said once, with the sizes when it is too big. */
static int image_refused(const struct domain *d, const struct layout *l,
                         enum image_error err)
{
    if ( err == IMAGE_E_TOO_BIG )
    {
        printk(XENLOG_ERR "d%u: the kernel needs %lu KiB of RAM (up to "
               "%#lx) but the domain has %lu KiB (mem=)\n", d->domain_id,
               (unsigned long)(ROUNDUP(l->plan.end, 1024) >> 10),
               (unsigned long)l->plan.end,
               (unsigned long)(l->ram_end >> 10));
        return -E2BIG;
    }
    printk(XENLOG_ERR "d%u: bad kernel image: %s\n", d->domain_id,
           image_strerror(err));
    return -EINVAL;
}

static bool bad_ram_args(u64 mem_bytes, unsigned int nr_vcpus)
{
    return mem_bytes < GUEST_MIN_RAM || mem_bytes > GUEST_MAX_RAM ||
           !nr_vcpus || nr_vcpus > GUEST_MAX_VCPUS;
}

static int plan(const struct domain *d, struct layout *l,
                const struct hvm_build_args *args)
{
    struct info_args info;
    enum image_error err;

    if ( !args->kernel || !args->kernel_len ||
         (args->module_len && !args->module) ||
         bad_ram_args(args->mem_bytes, args->nr_vcpus) )
        return -EINVAL;

    memset(l, 0, sizeof(*l));
    l->ram_end = args->mem_bytes & PAGE_MASK;
    l->image = args->kernel;
    l->image_len = args->kernel_len;
    /*
     * Below 1 MiB are the conventional memory, then the EBDA, the BIOS
     * area and ACPI: a segment may lie in the first only.
     */
    l->lim.min_paddr = GUEST_HIGH_RAM;
    l->lim.low_ram_end = GUEST_LOW_RAM_END;
    l->lim.ram_end = l->ram_end;

    err = image_plan(l->image, l->image_len, &l->lim, &l->plan);
    if ( err )
        return image_refused(d, l, err);
    info.module = args->module != NULL;
    info.module_len = args->module_len;
    info.cmdline = args->cmdline;
    info.module_args = args->module_args;
    return plan_info(l, &info);
}

/* libimage's way into the domain: bytes, or zeroes when src is NULL. */
static int copy_segment(void *ctx, u64 paddr, const void *src, u64 n)
{
    static const u8 zeroes[PAGE_SIZE];
    struct domain *d = ctx;
    u64 done;
    int rc = 0;

    if ( src )
        return n ? copy_to_guest_phys(d, paddr, src, n) : 0;
    for ( done = 0; !rc && done < n; done += PAGE_SIZE )
        rc = copy_to_guest_phys(d, paddr + done, zeroes,
                                min((u64)PAGE_SIZE, n - done));
    return rc;
}

static int load_kernel(struct domain *d, const struct layout *l)
{
    int rc = image_load(&l->plan, l->image, l->image_len, &l->lim,
                        copy_segment, d);

    /* libimage's -1: the plan no longer holds for the image. */
    return rc == -1 ? -EINVAL : rc;
}

static void mmap_entry(struct mb_mmap *e, u64 addr, u64 end, u32 type)
{
    e->size = sizeof(*e) - sizeof(e->size);
    e->addr = addr;
    e->len = end - addr;
    e->type = type;
}

static u64 mmap_end(const struct layout *l, unsigned int i)
{
    return guest_mmap[i].end ? guest_mmap[i].end : l->ram_end;
}

/* The strings both boot protocols point at: module arguments, cmdline. */
static int write_strings(struct domain *d, const struct layout *l)
{
    int rc = 0;

    if ( l->mod_start )
        rc = copy_to_guest_phys(d, l->modargs, l->modargs_str,
                                l->modargs_len + 1);
    if ( !rc )
        rc = copy_to_guest_phys(d, l->cmdline, l->cmdline_str,
                                l->cmdline_len + 1);
    return rc;
}

static int write_mbi(struct domain *d, const struct layout *l)
{
    struct mb_info mbi;
    struct mb_module mod;
    struct mb_mmap mmap[NR_MMAP];
    unsigned int i;
    int rc;

    for ( i = 0; i < NR_MMAP; i++ )
        mmap_entry(&mmap[i], guest_mmap[i].start, mmap_end(l, i),
                   guest_mmap[i].type);

    memset(&mbi, 0, sizeof(mbi));
    mbi.flags = MBI_MEMORY | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME;
    mbi.mem_lower = MBI_MEM_LOWER_KB;
    mbi.mem_upper = (l->ram_end - GUEST_HIGH_RAM) >> 10;
    mbi.cmdline = l->cmdline;
    mbi.mmap_length = sizeof(mmap);
    mbi.mmap_addr = l->mmap;
    mbi.boot_loader_name = l->loader;

    if ( l->mod_start )
    {
        mbi.flags |= MBI_MODS;
        mbi.mods_count = 1;
        mbi.mods_addr = l->mods;

        memset(&mod, 0, sizeof(mod));
        mod.mod_start = l->mod_start;
        mod.mod_end = l->mod_end;
        mod.string = l->modargs;
        rc = copy_to_guest_phys(d, l->mods, &mod, sizeof(mod));
        if ( rc )
            return rc;
    }

    rc = copy_to_guest_phys(d, l->mmap, mmap, sizeof(mmap));
    if ( !rc )
        rc = write_strings(d, l);
    if ( !rc )
        rc = copy_to_guest_phys(d, l->loader, LOADER_NAME,
                                sizeof(LOADER_NAME));
    if ( !rc )
        rc = copy_to_guest_phys(d, l->info, &mbi, sizeof(mbi));

    return rc;
}

/*
 * hvm_start_info version 1.  flags stay 0: this is not Xen, and a guest
 * must not take the Xen PV paths (SIF_INITDOMAIN and friends).
 */
static int write_start_info(struct domain *d, const struct layout *l)
{
    struct hvm_start_info si;
    struct hvm_modlist_entry mod;
    struct hvm_memmap_table_entry mmap[NR_MMAP];
    unsigned int i;
    int rc;

    memset(mmap, 0, sizeof(mmap));
    for ( i = 0; i < NR_MMAP; i++ )
    {
        mmap[i].addr = guest_mmap[i].start;
        mmap[i].size = mmap_end(l, i) - guest_mmap[i].start;
        mmap[i].type = guest_mmap[i].type;
    }

    memset(&si, 0, sizeof(si));
    si.magic = XEN_HVM_START_MAGIC_VALUE;
    si.version = 1;
    si.cmdline_paddr = l->cmdline;
    si.rsdp_paddr = GUEST_ACPI_RSDP;
    si.memmap_paddr = l->mmap;
    si.memmap_entries = NR_MMAP;

    if ( l->mod_start )
    {
        si.nr_modules = 1;
        si.modlist_paddr = l->mods;

        memset(&mod, 0, sizeof(mod));
        mod.paddr = l->mod_start;
        mod.size = l->mod_end - l->mod_start;
        mod.cmdline_paddr = l->modargs;
        rc = copy_to_guest_phys(d, l->mods, &mod, sizeof(mod));
        if ( rc )
            return rc;
    }

    rc = copy_to_guest_phys(d, l->mmap, mmap, sizeof(mmap));
    if ( !rc )
        rc = write_strings(d, l);
    if ( !rc )
        rc = copy_to_guest_phys(d, l->info, &si, sizeof(si));

    return rc;
}

/*
 * What both builders end with, once the kernel is in RAM: the ACPI
 * tables, the boot information of the kernel's convention, and vCPU 0's
 * entry state.
 */
static int write_platform(struct domain *d, const struct layout *l,
                          unsigned int nr_vcpus, struct hvm_boot_state *out)
{
    bool pvh = l->plan.kind == IMAGE_PVH;
    int rc;

    rc = hvm_build_acpi(d, nr_vcpus);
    if ( !rc )
        rc = pvh ? write_start_info(d, l) : write_mbi(d, l);
    if ( rc )
        return rc;

    out->pvh = pvh;
    out->eip = l->plan.entry;
    out->eax = pvh ? 0 : MB_LOADER_MAGIC;
    out->ebx = l->info;
    return 0;
}

int hvm_build_domain(struct domain *d, const struct hvm_build_args *args,
                     struct hvm_boot_state *out)
{
    struct layout l;
    int rc;

    if ( !d || !args || !out )
        return -EINVAL;

    rc = plan(d, &l, args);
    if ( rc )
        return rc;

    rc = p2m_populate(d, 0, l.ram_end >> PAGE_SHIFT);
    if ( !rc )
        rc = load_kernel(d, &l);
    if ( !rc && l.mod_start && args->module_len )
        rc = copy_to_guest_phys(d, l.mod_start, args->module,
                                args->module_len);
    if ( !rc )
        rc = write_platform(d, &l, args->nr_vcpus, out);
    if ( rc )
        printk(XENLOG_ERR "d%u: building the domain failed: %d\n",
               d->domain_id, rc);
    return rc;
}

int hvm_build_platform(struct domain *d, const struct hvm_platform_args *args,
                       u64 *module_paddr, struct hvm_boot_state *out)
{
    struct info_args info;
    struct layout l;
    int rc;

    if ( !d || !args || !module_paddr || !out ||
         bad_ram_args(args->mem_bytes, args->nr_vcpus) )
        return -EINVAL;

    memset(&l, 0, sizeof(l));
    l.ram_end = args->mem_bytes & PAGE_MASK;
    /* As image_plan() would have it: loaded from 1 MiB, entry inside. */
    if ( args->kernel_end <= GUEST_HIGH_RAM ||
         args->kernel_end > l.ram_end ||
         args->entry < GUEST_HIGH_RAM || args->entry >= args->kernel_end )
        return -EINVAL;
    l.plan.kind = args->pvh ? IMAGE_PVH : IMAGE_MULTIBOOT;
    l.plan.entry = args->entry;
    l.plan.start = GUEST_HIGH_RAM;
    l.plan.end = args->kernel_end;

    info.module = args->module_len != 0;
    info.module_len = args->module_len;
    info.cmdline = args->cmdline;
    info.module_args = args->module_args;
    rc = plan_info(&l, &info);
    if ( !rc )
        rc = write_platform(d, &l, args->nr_vcpus, out);
    if ( rc )
        return rc;
    *module_paddr = l.mod_start;
    return 0;
}

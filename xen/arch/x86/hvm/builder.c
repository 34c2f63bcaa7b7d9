/*
 * The Multiboot v1 domain builder: boots an HVM domain the way GRUB
 * boots a plain PC.  Guest RAM from 0 to mem_bytes, ACPI tables in the
 * BIOS area, the kernel's segments at their physical addresses, then
 * page-aligned above the kernel the module, and after it the Multiboot
 * information block (MBI), the module list, the memory map and the
 * strings.  vCPU 0 starts at the kernel's entry point in 32-bit
 * protected mode with EAX = 0x2badb002 and EBX = the MBI.
 *
 * The kernel and module are untrusted.  The whole image is checked and
 * the layout worked out before anything is written, so a bad image
 * leaves the domain untouched; the loading pass checks every segment
 * again as it copies it, so an image that changed in between can only
 * fail, never write outside the domain's RAM.  Errors:
 * - -EINVAL: a bad image or bad arguments: no valid Multiboot header in
 *   the first 8 KiB (magic, checksum, fully inside the window), a
 *   required feature we cannot give (flags bits 2-15: bit 2 asks for a
 *   video mode and there is no display), not an ELF32 i386 executable,
 *   program headers or segment bytes outside the file, p_filesz >
 *   p_memsz, a segment below 1 MiB (where the BIOS area and the low
 *   memory live), past 4 GiB or past the end of guest RAM, no loadable
 *   segment, an entry point outside every segment, mem_bytes below
 *   2 MiB or reaching into the IOAPIC/LAPIC MMIO at 0xfec00000, no
 *   vCPU or more than the MADT can list (255).
 * - -E2BIG: the kernel fits but the module, the MBI or its strings do
 *   not fit below mem_bytes, or a string is longer than 64 KiB.
 * - -ENOMEM, -EFAULT: from the p2m (populating RAM, copying into it).
 *
 * The a.out kludge (header flags bit 16) is supported as GRUB and QEMU
 * do: when set, the header's addresses say what to load and the file
 * need not be ELF at all; the same range checks apply.
 *
 * Segments are loaded at p_paddr.  The entry point is a virtual address:
 * like GRUB, it is translated through the segment whose p_vaddr range
 * holds it, which makes higher-half kernels work and is the identity for
 * the usual p_vaddr == p_paddr.
 */
#include <xen/lib.h>
#include <asm/multiboot.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <asm/bootinfo.h>
#include <asm/hvm/builder.h>
#include <asm/hvm/io.h>

#define GUEST_MIN_RAM       (2ULL << 20)
/* RAM must stay below the IOAPIC and the LAPIC pages. */
#define GUEST_MAX_RAM       VIOAPIC_BASE
#define GUEST_MAX_VCPUS     255         /* MADT APIC ids (acpi_build.c) */
#define FOUR_GB             (1ULL << 32)
#define MAX_STRING          (64u << 10)

/* ELF32 as far as a loader needs it. */
#define EI_NIDENT           16
#define EI_CLASS            4
#define EI_DATA             5
#define EI_VERSION          6
#define ELFCLASS32          1
#define ELFDATA2LSB         1
#define EV_CURRENT          1
#define ET_EXEC             2
#define EM_386              3
#define PT_LOAD             1

struct elf32_ehdr
{
    u8 e_ident[EI_NIDENT];
    u16 e_type;
    u16 e_machine;
    u32 e_version;
    u32 e_entry;
    u32 e_phoff;
    u32 e_shoff;
    u32 e_flags;
    u16 e_ehsize;
    u16 e_phentsize;
    u16 e_phnum;
    u16 e_shentsize;
    u16 e_shnum;
    u16 e_shstrndx;
} __packed;

struct elf32_phdr
{
    u32 p_type;
    u32 p_offset;
    u32 p_vaddr;
    u32 p_paddr;
    u32 p_filesz;
    u32 p_memsz;
    u32 p_flags;
    u32 p_align;
} __packed;

/* Multiboot v1. */
#define MB_HEADER_MAGIC     0x1badb002u
#define MB_LOADER_MAGIC     0x2badb002u
#define MB_SEARCH           8192
#define MB_HDR_MIN          12              /* magic, flags, checksum */
#define MB_FLAG_PAGE_ALIGN  (1u << 0)       /* modules: always done */
#define MB_FLAG_MEMORY      (1u << 1)       /* mem_*: always given */
#define MB_FLAG_AOUT_KLUDGE (1u << 16)
#define MB_FLAGS_REQUIRED   0xffffu         /* the loader must know these */
#define MB_FLAGS_KNOWN      (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY)


#define MBI_MEM_LOWER_KB    (GUEST_LOW_RAM_END >> 10)   /* 639 */
#define LOADER_NAME         "xen-lite"

struct mb_header
{
    u32 magic, flags, checksum;
    /* Valid with MB_FLAG_AOUT_KLUDGE. */
    u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
} __packed;

BUILD_BUG_ON(sizeof(struct elf32_ehdr) != 52);
BUILD_BUG_ON(sizeof(struct elf32_phdr) != 32);
BUILD_BUG_ON(sizeof(struct mb_header) != 32);
BUILD_BUG_ON(sizeof(struct mb_info) != 116);
BUILD_BUG_ON(sizeof(struct mb_mmap) != 24);

#define NR_MMAP             4

/* Everything worked out before the first write. */
struct layout
{
    u64 ram_end;
    const u8 *image;
    size_t image_len;

    /* A.out kludge: one segment.  ELF: the program headers. */
    bool aout;
    u32 aout_offset, aout_load, aout_filesz, aout_memsz;
    struct elf32_ehdr ehdr;

    u32 entry;                  /* guest-physical */
    u64 kernel_end;             /* one past the highest kernel byte */

    u64 mod_start, mod_end;     /* mod_start == 0: no module */
    u64 mbi, mods, mmap;
    u64 cmdline, modargs, loader;
    size_t cmdline_len, modargs_len;
    const char *cmdline_str, *modargs_str;
};

/* The image's bytes [off, off + len), copied out (any alignment). */
static bool image_read(const struct layout *l, u64 off, void *dst,
                       size_t len)
{
    if ( off > l->image_len || len > l->image_len - off )
        return false;
    memcpy(dst, l->image + off, len);
    return true;
}

/*
 * A segment: file bytes [offset, offset + filesz) go to guest-physical
 * [paddr, paddr + filesz), zeroes up to paddr + memsz.
 */
static int check_segment(const struct layout *l, u64 offset, u64 filesz,
                         u64 paddr, u64 memsz)
{
    if ( offset > l->image_len || filesz > l->image_len - offset )
        return -EINVAL;
    if ( filesz > memsz )
        return -EINVAL;
    /* Below 1 MiB are the conventional memory, the BIOS area and ACPI. */
    if ( paddr < GUEST_HIGH_RAM )
        return -EINVAL;
    /* 32-bit addresses: nothing may wrap past 4 GiB. */
    if ( paddr + memsz > FOUR_GB )
        return -EINVAL;
    if ( paddr + memsz > l->ram_end )
        return -EINVAL;
    return 0;
}

/* The first valid Multiboot header in the first 8 KiB, at *off. */
static bool find_mb_header(const struct layout *l, u64 *off)
{
    u64 window = min((u64)l->image_len, (u64)MB_SEARCH), o;
    u32 h[3];

    for ( o = 0; o + MB_HDR_MIN <= window; o += 4 )
    {
        image_read(l, o, h, sizeof(h));
        if ( h[0] == MB_HEADER_MAGIC && (u32)(h[0] + h[1] + h[2]) == 0 )
        {
            *off = o;
            return true;
        }
    }

    return false;
}

static int plan_aout(struct layout *l, u64 hoff, const struct mb_header *h)
{
    u64 file_off, filesz, memsz, delta;
    int rc;

    /* The address fields must be inside the search window too. */
    if ( hoff + sizeof(*h) > min((u64)l->image_len, (u64)MB_SEARCH) )
        return -EINVAL;

    /* The header's own address places the file in memory. */
    if ( h->load_addr > h->header_addr )
        return -EINVAL;
    delta = h->header_addr - h->load_addr;
    if ( delta > hoff )
        return -EINVAL;
    file_off = hoff - delta;

    if ( !h->load_end_addr )
        filesz = l->image_len - file_off;
    else if ( h->load_end_addr < h->load_addr )
        return -EINVAL;
    else
        filesz = h->load_end_addr - h->load_addr;

    if ( !h->bss_end_addr )
        memsz = filesz;
    else if ( h->bss_end_addr < h->load_addr ||
              h->bss_end_addr - h->load_addr < filesz )
        return -EINVAL;
    else
        memsz = h->bss_end_addr - h->load_addr;

    if ( !memsz )
        return -EINVAL;
    rc = check_segment(l, file_off, filesz, h->load_addr, memsz);
    if ( rc )
        return rc;
    if ( h->entry_addr < h->load_addr ||
         h->entry_addr - h->load_addr >= memsz )
        return -EINVAL;

    /* Everything is below 4 GiB now: the u32s hold it. */
    l->aout = true;
    l->aout_offset = file_off;
    l->aout_load = h->load_addr;
    l->aout_filesz = filesz;
    l->aout_memsz = memsz;
    l->entry = h->entry_addr;
    l->kernel_end = h->load_addr + memsz;
    return 0;
}

static bool read_phdr(const struct layout *l, unsigned int i,
                      struct elf32_phdr *ph)
{
    return image_read(l, l->ehdr.e_phoff + (u64)i * sizeof(*ph), ph,
                      sizeof(*ph));
}

static int plan_elf(struct layout *l)
{
    const struct elf32_ehdr *e = &l->ehdr;
    struct elf32_phdr ph;
    bool have_entry = false;
    unsigned int i;
    int rc;

    if ( !image_read(l, 0, &l->ehdr, sizeof(l->ehdr)) )
        return -EINVAL;
    if ( memcmp(e->e_ident, "\177ELF", 4) ||
         e->e_ident[EI_CLASS] != ELFCLASS32 ||
         e->e_ident[EI_DATA] != ELFDATA2LSB ||
         e->e_ident[EI_VERSION] != EV_CURRENT ||
         e->e_type != ET_EXEC || e->e_machine != EM_386 ||
         e->e_version != EV_CURRENT ||
         e->e_phentsize != sizeof(struct elf32_phdr) || !e->e_phnum )
        return -EINVAL;
    if ( (u64)e->e_phoff + (u64)e->e_phnum * sizeof(ph) > l->image_len )
        return -EINVAL;

    l->kernel_end = 0;
    for ( i = 0; i < e->e_phnum; i++ )
    {
        read_phdr(l, i, &ph);
        if ( ph.p_type != PT_LOAD )
            continue;
        /* An empty segment loads nothing, wherever it claims to be. */
        if ( !ph.p_memsz )
        {
            if ( ph.p_filesz )
                return -EINVAL;
            continue;
        }
        rc = check_segment(l, ph.p_offset, ph.p_filesz, ph.p_paddr,
                           ph.p_memsz);
        if ( rc )
            return rc;

        l->kernel_end = max(l->kernel_end, (u64)ph.p_paddr + ph.p_memsz);
        if ( !have_entry && e->e_entry >= ph.p_vaddr &&
             e->e_entry - ph.p_vaddr < ph.p_memsz )
        {
            l->entry = e->e_entry - ph.p_vaddr + ph.p_paddr;
            have_entry = true;
        }
    }

    /* No loadable byte, or nowhere to start. */
    if ( !l->kernel_end || !have_entry )
        return -EINVAL;
    return 0;
}

/* A string's length, or -E2BIG past MAX_STRING. */
static int string_len(const char *s, size_t *len)
{
    *len = strnlen(s, MAX_STRING + 1);
    return *len > MAX_STRING ? -E2BIG : 0;
}

/* Where the module, the MBI and its pieces go. */
static int plan_info(struct layout *l, const struct hvm_build_args *args)
{
    u64 p;
    int rc;

    /* kernel_end <= ram_end, which is page-aligned. */
    p = ROUNDUP(l->kernel_end, PAGE_SIZE);
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

    l->mbi = p;
    p += sizeof(struct mb_info);
    l->mods = p;
    if ( args->module )
        p += sizeof(struct mb_module);
    l->mmap = p;
    p += NR_MMAP * sizeof(struct mb_mmap);
    l->cmdline = p;
    p += l->cmdline_len + 1;
    l->modargs = p;
    if ( args->module )
        p += l->modargs_len + 1;
    l->loader = p;
    p += sizeof(LOADER_NAME);

    /* p <= ram_end + a little: no overflow on the way. */
    if ( p > l->ram_end )
        return -E2BIG;
    return 0;
}

static int plan(struct layout *l, const struct hvm_build_args *args)
{
    struct mb_header h;
    u64 hoff;
    int rc;

    if ( !args->kernel || !args->kernel_len ||
         (args->module_len && !args->module) ||
         args->mem_bytes < GUEST_MIN_RAM ||
         args->mem_bytes > GUEST_MAX_RAM ||
         !args->nr_vcpus || args->nr_vcpus > GUEST_MAX_VCPUS )
        return -EINVAL;

    memset(l, 0, sizeof(*l));
    l->ram_end = args->mem_bytes & PAGE_MASK;
    l->image = args->kernel;
    l->image_len = args->kernel_len;

    if ( !find_mb_header(l, &hoff) )
        return -EINVAL;
    memset(&h, 0, sizeof(h));
    image_read(l, hoff, &h, MB_HDR_MIN);
    if ( (h.flags & MB_FLAGS_REQUIRED) & ~MB_FLAGS_KNOWN )
        return -EINVAL;

    if ( h.flags & MB_FLAG_AOUT_KLUDGE )
    {
        if ( !image_read(l, hoff, &h, sizeof(h)) )
            return -EINVAL;
        rc = plan_aout(l, hoff, &h);
    }
    else
        rc = plan_elf(l);
    if ( rc )
        return rc;

    return plan_info(l, args);
}

/* Copy a segment in, zero its tail, checking it once more. */
static int load_segment(struct domain *d, const struct layout *l,
                        u64 offset, u64 filesz, u64 paddr, u64 memsz)
{
    static const u8 zeroes[PAGE_SIZE];
    u64 done;
    int rc;

    rc = check_segment(l, offset, filesz, paddr, memsz);
    if ( rc )
        return rc;

    if ( filesz )
        rc = copy_to_guest_phys(d, paddr, l->image + offset, filesz);
    for ( done = filesz; !rc && done < memsz; done += PAGE_SIZE )
        rc = copy_to_guest_phys(d, paddr + done, zeroes,
                                min((u64)PAGE_SIZE, memsz - done));

    return rc;
}

static int load_kernel(struct domain *d, const struct layout *l)
{
    struct elf32_phdr ph;
    unsigned int i;
    int rc;

    if ( l->aout )
        return load_segment(d, l, l->aout_offset, l->aout_filesz,
                            l->aout_load, l->aout_memsz);

    for ( i = 0; i < l->ehdr.e_phnum; i++ )
    {
        if ( !read_phdr(l, i, &ph) )
            return -EINVAL;
        if ( ph.p_type != PT_LOAD || !ph.p_memsz )
            continue;
        rc = load_segment(d, l, ph.p_offset, ph.p_filesz, ph.p_paddr,
                          ph.p_memsz);
        if ( rc )
            return rc;
    }

    return 0;
}

static void mmap_entry(struct mb_mmap *e, u64 addr, u64 end, u32 type)
{
    e->size = sizeof(*e) - sizeof(e->size);
    e->addr = addr;
    e->len = end - addr;
    e->type = type;
}

static int write_info(struct domain *d, const struct layout *l)
{
    struct mb_info mbi;
    struct mb_module mod;
    struct mb_mmap mmap[NR_MMAP];
    int rc;

    mmap_entry(&mmap[0], 0, GUEST_LOW_RAM_END, MEM_RAM);
    mmap_entry(&mmap[1], GUEST_LOW_RAM_END, 0xa0000, MEM_RESERVED);
    mmap_entry(&mmap[2], GUEST_BIOS_START, GUEST_HIGH_RAM, MEM_RESERVED);
    mmap_entry(&mmap[3], GUEST_HIGH_RAM, l->ram_end, MEM_RAM);

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
        if ( !rc )
            rc = copy_to_guest_phys(d, l->modargs, l->modargs_str,
                                    l->modargs_len + 1);
        if ( rc )
            return rc;
    }

    rc = copy_to_guest_phys(d, l->mmap, mmap, sizeof(mmap));
    if ( !rc )
        rc = copy_to_guest_phys(d, l->cmdline, l->cmdline_str,
                                l->cmdline_len + 1);
    if ( !rc )
        rc = copy_to_guest_phys(d, l->loader, LOADER_NAME,
                                sizeof(LOADER_NAME));
    if ( !rc )
        rc = copy_to_guest_phys(d, l->mbi, &mbi, sizeof(mbi));

    return rc;
}

int hvm_build_multiboot(struct domain *d, const struct hvm_build_args *args,
                        struct hvm_boot_state *out)
{
    struct layout l;
    int rc;

    if ( !d || !args || !out )
        return -EINVAL;

    rc = plan(&l, args);
    if ( rc )
        return rc;

    rc = p2m_populate(d, 0, l.ram_end >> PAGE_SHIFT);
    if ( !rc )
        rc = hvm_build_acpi(d, args->nr_vcpus);
    if ( !rc )
        rc = load_kernel(d, &l);
    if ( !rc && l.mod_start && args->module_len )
        rc = copy_to_guest_phys(d, l.mod_start, args->module,
                                args->module_len);
    if ( !rc )
        rc = write_info(d, &l);
    if ( rc )
    {
        printk(XENLOG_ERR "d%u: building the domain failed: %d\n",
               d->domain_id, rc);
        return rc;
    }

    out->eip = l.entry;
    out->eax = MB_LOADER_MAGIC;
    out->ebx = l.mbi;
    return 0;
}

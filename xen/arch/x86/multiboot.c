/*
 * Reading the Multiboot v1 and v2 information structures: command line,
 * memory map, modules and (v2) the RSDP.  Loader data is copied into
 * boot_info with every length bounded, so nothing later depends on the
 * loader's memory staying intact.
 */
#include <xen/lib.h>
#include <asm/bootinfo.h>
#include <asm/multiboot.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289


struct mb2_tag
{
    u32 type, size;
} __packed;

struct boot_info boot_info;

static void add_region(u64 addr, u64 len, u32 type)
{
    struct boot_region *r;

    if ( boot_info.nr_regions == BOOT_MAX_REGIONS )
        return;
    r = &boot_info.regions[boot_info.nr_regions++];
    r->addr = addr;
    r->len = len;
    r->type = type;
}

static void add_module(u64 start, u64 end, const char *args)
{
    struct boot_module *m;

    if ( boot_info.nr_modules == BOOT_MAX_MODULES || end < start )
        return;
    m = &boot_info.modules[boot_info.nr_modules++];
    m->start = start;
    m->end = end;
    strlcpy(m->args, args ? args : "", sizeof(m->args));
}

/* Loader strings live in low memory, which the boot page tables map. */
static const char *pa_str(u32 pa)
{
    return pa ? (const char *)(unsigned long)pa : "";
}

static void parse_mb1(const struct mb_info *mbi)
{
    boot_info.multiboot = 1;
    if ( mbi->flags & MBI_LOADER_NAME )
        strlcpy(boot_info.loader, pa_str(mbi->boot_loader_name),
                sizeof(boot_info.loader));
    if ( mbi->flags & MBI_CMDLINE )
        strlcpy(boot_info.cmdline, pa_str(mbi->cmdline),
                sizeof(boot_info.cmdline));

    if ( mbi->flags & MBI_MMAP )
    {
        unsigned long p = mbi->mmap_addr, end = p + mbi->mmap_length;

        while ( p + sizeof(struct mb_mmap) <= end )
        {
            const struct mb_mmap *e = (const void *)p;

            add_region(e->addr, e->len, e->type);
            if ( e->size < 20 )
                break;              /* malformed: would not advance */
            p += e->size + sizeof(e->size);
        }
    }
    else
    {
        /* Only the legacy sizes: low memory and memory above 1 MiB. */
        add_region(0, (u64)mbi->mem_lower << 10, MEM_RAM);
        add_region(1ULL << 20, (u64)mbi->mem_upper << 10, MEM_RAM);
    }

    if ( mbi->flags & MBI_MODS )
    {
        const struct mb_module *m =
            (const void *)(unsigned long)mbi->mods_addr;

        for ( u32 i = 0; i < mbi->mods_count; i++ )
            add_module(m[i].mod_start, m[i].mod_end, pa_str(m[i].string));
    }
}

static void parse_mb2(const u8 *info)
{
    u32 total = *(const u32 *)info;
    u32 off = 8;

    boot_info.multiboot = 2;
    while ( off + sizeof(struct mb2_tag) <= total )
    {
        const struct mb2_tag *tag = (const void *)(info + off);
        const u8 *body = (const u8 *)(tag + 1);
        u32 blen;

        if ( tag->type == 0 || tag->size < sizeof(*tag) ||
             off + tag->size > total )
            break;
        blen = tag->size - sizeof(*tag);

        switch ( tag->type )
        {
        case 1:     /* command line */
            strlcpy(boot_info.cmdline, (const char *)body,
                    min((u32)sizeof(boot_info.cmdline), blen + 1));
            break;
        case 2:     /* boot loader name */
            strlcpy(boot_info.loader, (const char *)body,
                    min((u32)sizeof(boot_info.loader), blen + 1));
            break;
        case 3:     /* module: start, end, string */
            if ( blen >= 8 )
                add_module(((const u32 *)body)[0], ((const u32 *)body)[1],
                           (const char *)(body + 8));
            break;
        case 6:     /* memory map: entry_size, entry_version, entries */
        {
            u32 esize = ((const u32 *)body)[0];

            if ( blen < 8 || esize < 20 )
                break;
            for ( u32 p = 8; p + esize <= blen; p += esize )
            {
                const u8 *e = body + p;

                add_region(*(const u64 *)e, *(const u64 *)(e + 8),
                           *(const u32 *)(e + 16));
            }
            break;
        }
        case 14:    /* ACPI 1.0 RSDP copy */
        case 15:    /* ACPI 2.0+ RSDP copy: preferred */
            if ( blen >= 20 && (tag->type == 15 || !boot_info.have_rsdp) )
            {
                memset(boot_info.rsdp, 0, sizeof(boot_info.rsdp));
                memcpy(boot_info.rsdp, body,
                       min((u32)sizeof(boot_info.rsdp), blen));
                boot_info.have_rsdp = true;
            }
            break;
        }
        off += ROUNDUP(tag->size, 8);
    }
}

void multiboot_parse(u32 magic, u32 info_pa)
{
    const void *info = (const void *)(unsigned long)info_pa;

    if ( magic == MB1_BOOTLOADER_MAGIC )
        parse_mb1(info);
    else if ( magic == MB2_BOOTLOADER_MAGIC )
        parse_mb2(info);
    else
        panic("Not started by a Multiboot loader (magic %#x)", magic);
}

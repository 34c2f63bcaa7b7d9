/*
 * Memory setup: the frame table and page allocator built from the
 * Multiboot memory map, and the hypervisor's page tables.
 *
 * Physical memory is identity-mapped (virtual == machine address) with
 * 2 MiB pages, non-executable.  The image is mapped with 4 KiB pages by
 * section: text read-only and executable, read-only data read-only, data
 * and bss writable; so no page is both writable and executable (W^X).
 * Page 0 is left unmapped to catch NULL dereferences, and every 2 MiB
 * page that holds no RAM is mapped uncacheable (MMIO: LAPIC, IOAPIC).
 */
#include <xen/lib.h>
#include <xen/mm.h>
#include <asm/bootinfo.h>
#include <asm/page.h>
#include <asm/processor.h>

#define L1_SHIFT 12
#define L2_SHIFT 21
#define L3_SHIFT 30
#define L4_SHIFT 39
#define MB(x)    ((u64)(x) << 20)
#define GB(x)    ((u64)(x) << 30)

/* Highest machine address the direct map covers. */
#define DIRECTMAP_MAX GB(512)

extern char __image_start[], _etext[], _srodata[], _erodata[], _end[];

static u64 idle_pg_table[512] __aligned(PAGE_SIZE);
u64 idle_pg_table_pa;
static u64 directmap_end;
static unsigned long max_pfn;

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
    return a < b + blen && b < a + alen;
}

/* Whether any part of [addr, addr+len) is RAM in the loader's map. */
static bool range_has_ram(u64 addr, u64 len)
{
    for ( unsigned int i = 0; i < boot_info.nr_regions; i++ )
    {
        const struct boot_region *r = &boot_info.regions[i];

        if ( r->type == MEM_RAM && overlaps(addr, len, r->addr, r->len) )
            return true;
    }
    return false;
}

/* Ranges that must never reach the heap: below 1 MiB, image, modules. */
static bool range_is_taken(u64 addr, u64 len)
{
    if ( addr < MB(1) )
        return true;
    if ( overlaps(addr, len, (u64)__image_start,
                  (u64)_end - (u64)__image_start) )
        return true;
    for ( unsigned int i = 0; i < boot_info.nr_modules; i++ )
    {
        const struct boot_module *m = &boot_info.modules[i];

        if ( overlaps(addr, len, m->start, ROUNDUP(m->end, PAGE_SIZE) -
                                           m->start) )
            return true;
    }
    return false;
}

/*
 * A home for the frame table: the lowest 2 MiB-aligned RAM below 4 GiB
 * that nothing else occupies.  The page allocator does not exist yet.
 */
static u64 place_frame_table(u64 size)
{
    size = ROUNDUP(size, MB(2));
    for ( unsigned int i = 0; i < boot_info.nr_regions; i++ )
    {
        const struct boot_region *r = &boot_info.regions[i];
        u64 a, end = r->addr + r->len;

        if ( r->type != MEM_RAM )
            continue;
        for ( a = ROUNDUP(max(r->addr, MB(2)), MB(2));
              a + size <= end && a + size <= GB(4); a += MB(2) )
            if ( !range_is_taken(a, size) )
                return a;
    }
    panic("No room for a %lu KiB frame table", (unsigned long)(size >> 10));
}

static void heap_init(void)
{
    struct page_info *ft;
    u64 ft_pa, ft_size;
    unsigned long pages = 0;

    for ( unsigned int i = 0; i < boot_info.nr_regions; i++ )
    {
        const struct boot_region *r = &boot_info.regions[i];

        if ( r->type == MEM_RAM && r->addr + r->len > (max_pfn << 12) )
            max_pfn = PFN_DOWN(min(r->addr + r->len, DIRECTMAP_MAX));
    }
    if ( !max_pfn )
        panic("The loader's memory map shows no RAM");

    ft_size = max_pfn * sizeof(struct page_info);
    ft_pa = place_frame_table(ft_size);
    ft = (struct page_info *)ft_pa;
    page_alloc_init(ft, max_pfn);
    /* The image and the frame table are the hypervisor's own pages. */
    assign_boot_pages(PFN_DOWN((u64)__image_start),
                      PFN_UP((u64)_end) - PFN_DOWN((u64)__image_start));
    assign_boot_pages(PFN_DOWN(ft_pa),
                      min(PFN_UP(ft_pa + ROUNDUP(ft_size, MB(2))), max_pfn) -
                      PFN_DOWN(ft_pa));

    /* Hand each page of RAM that nothing occupies to the heap. */
    for ( unsigned int i = 0; i < boot_info.nr_regions; i++ )
    {
        const struct boot_region *r = &boot_info.regions[i];
        unsigned long pfn = PFN_UP(r->addr);
        unsigned long end = min(PFN_DOWN(r->addr + r->len), max_pfn);

        if ( r->type != MEM_RAM )
            continue;
        for ( ; pfn < end; pfn++ )
        {
            unsigned long run = pfn;
            u64 a = (u64)pfn << 12;

            if ( range_is_taken(a, PAGE_SIZE) ||
                 overlaps(a, PAGE_SIZE, ft_pa, ROUNDUP(ft_size, MB(2))) )
                continue;
            /* Extend over the following untaken pages. */
            while ( run + 1 < end &&
                    !range_is_taken((u64)(run + 1) << 12, PAGE_SIZE) &&
                    !overlaps((u64)(run + 1) << 12, PAGE_SIZE, ft_pa,
                              ROUNDUP(ft_size, MB(2))) )
                run++;
            init_heap_pages(pfn, run - pfn + 1);
            pages += run - pfn + 1;
            pfn = run;
        }
    }
    printk("Memory: %lu MiB in the heap, %lu KiB hypervisor, frame table "
           "%lu KiB at %#lx, max pfn %#lx\n", pages >> 8,
           pages_in_state(PGS_xen) << 2, (unsigned long)(ft_size >> 10),
           (unsigned long)ft_pa, max_pfn);
}

void *alloc_xenheap_pages(unsigned int order, unsigned int memflags)
{
    struct page_info *pg = alloc_heap_pages(order, memflags, PGS_xen, 0);

    return pg ? (void *)(page_to_pfn(pg) << PAGE_SHIFT) : NULL;
}

void free_xenheap_pages(void *v, unsigned int order)
{
    if ( v )
        free_heap_pages(pfn_to_page((unsigned long)v >> PAGE_SHIFT), order);
}

/* A zeroed page-table page, below 4 GiB so any pCPU can reach it early. */
static u64 *alloc_pt_page(void)
{
    u64 *p = alloc_xenheap_pages(0, MEMF_bits(32));

    if ( !p )
        panic("Out of memory building the page tables");
    memset(p, 0, PAGE_SIZE);
    return p;
}

/* The entry for 'va' at the level whose pages are 1 << shift bytes. */
static u64 *pt_entry(u64 va, unsigned int shift)
{
    u64 *table = idle_pg_table;

    for ( unsigned int s = L4_SHIFT; ; s -= 9 )
    {
        u64 *e = &table[(va >> s) & 511];

        if ( s == shift )
            return e;
        if ( !(*e & _PAGE_PRESENT) )
            *e = (u64)alloc_pt_page() | _PAGE_PRESENT | _PAGE_RW;
        BUG_ON(*e & _PAGE_PSE);
        table = (u64 *)(*e & PADDR_MASK);
    }
}

static u64 nx_bit(void)
{
    return boot_cpu.nx ? _PAGE_NX : 0;
}

/* Flags of the 4 KiB page at 'pa' inside a split 2 MiB region. */
static u64 small_page_flags(u64 pa)
{
    u64 nx = nx_bit();

    if ( pa == 0 )
        return 0;                                   /* unmapped */
    if ( pa >= (u64)__image_start && pa < (u64)_etext )
        return _PAGE_PRESENT;                       /* RX */
    if ( pa >= (u64)_srodata && pa < (u64)_erodata )
        return _PAGE_PRESENT | nx;                  /* R */
    return _PAGE_PRESENT | _PAGE_RW | nx;           /* RW, or data */
}

static void build_page_tables(void)
{
    u64 img_lo = ROUNDDOWN((u64)__image_start, MB(2));
    u64 img_hi = ROUNDUP((u64)_end, MB(2));
    unsigned long wx = 0, x = 0;

    directmap_end = max(GB(4), (u64)max_pfn << 12);
    directmap_end = ROUNDUP(directmap_end, MB(2));

    for ( u64 va = 0; va < directmap_end; va += MB(2) )
    {
        bool split = va == 0 || (va >= img_lo && va < img_hi);
        u64 cache = range_has_ram(va, MB(2)) ? 0 : _PAGE_PCD | _PAGE_PWT;

        if ( !split )
        {
            *pt_entry(va, L2_SHIFT) = va | _PAGE_PRESENT | _PAGE_RW |
                                      _PAGE_PSE | cache | nx_bit();
            continue;
        }
        for ( u64 pa = va; pa < va + MB(2); pa += PAGE_SIZE )
        {
            u64 f = small_page_flags(pa);

            *pt_entry(pa, L1_SHIFT) = f ? pa | f | cache : 0;
            if ( (f & _PAGE_PRESENT) && !(f & _PAGE_NX) )
            {
                x++;
                if ( f & _PAGE_RW )
                    wx++;
            }
        }
    }

    if ( wx || !boot_cpu.nx )
        panic("W^X: %lu writable and executable pages (NX %s)", wx,
              boot_cpu.nx ? "available" : "missing");

    idle_pg_table_pa = (u64)idle_pg_table;
    write_cr3(idle_pg_table_pa);
    printk("Page tables: %lu MiB direct map, %lu executable pages, "
           "none writable (W^X)\n", (unsigned long)(directmap_end >> 20), x);
}

const void *map_phys(paddr_t pa, size_t len)
{
    if ( pa < PAGE_SIZE || pa + len < pa || pa + len > directmap_end )
        return NULL;
    return (const void *)pa;
}

void memory_init(void)
{
    heap_init();
    build_page_tables();
}

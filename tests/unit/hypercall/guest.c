/*
 * The guest address-space builder of guest.h.
 */
#include <xen/lib.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/sched.h>

#include "harness.h"
#include "guest.h"

#define P       (1ULL << 0)
#define RW      (1ULL << 1)
#define PS      (1ULL << 7)

#define CR0_PE  (1ULL << 0)
#define CR0_WP  (1ULL << 16)
#define CR0_PG  (1ULL << 31)
#define CR4_PSE (1ULL << 4)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

struct geom
{
    unsigned int levels, esize;
    unsigned int shift[5];
    u64 mask[5];
    u64 addr;                       /* table address bits of an entry */
};

static const struct geom geoms[] = {
    [GM_32]   = { 2, 4, { 0, 12, 22 }, { 0, 1023, 1023 }, 0xfffff000ULL },
    [GM_PAE]  = { 3, 8, { 0, 12, 21, 30 }, { 0, 511, 511, 3 },
                  0x000ffffffffff000ULL },
    [GM_LONG] = { 4, 8, { 0, 12, 21, 30, 39 }, { 0, 511, 511, 511, 511 },
                  0x000ffffffffff000ULL },
};

void guest_paging_for(enum guest_mode mode, bool nxe,
                      struct guest_paging *pg)
{
    memset(pg, 0, sizeof(*pg));
    pg->cr0 = CR0_PE;
    if ( mode != GM_NONE )
        pg->cr0 |= CR0_PG | CR0_WP;
    if ( mode == GM_32 )
        pg->cr4 = CR4_PSE;
    if ( mode == GM_PAE || mode == GM_LONG )
        pg->cr4 = CR4_PAE;
    if ( mode == GM_LONG )
        pg->efer = EFER_LME | EFER_LMA;
    if ( nxe )
        pg->efer |= EFER_NXE;
}

u64 guest_alloc_page(struct guest *g)
{
    static const u8 zero[PAGE_SIZE];
    u64 gpa;

    REQUIRE(g->pool_next < GUEST_POOL_GFN + GUEST_POOL_PAGES);
    gpa = g->pool_next++ << PAGE_SHIFT;
    REQUIRE_EQ(copy_to_guest_phys(g->d, gpa, zero, PAGE_SIZE), 0);
    return gpa;
}

void guest_init(struct guest *g, struct domain *d, enum guest_mode mode,
                bool nxe)
{
    memset(g, 0, sizeof(*g));
    g->d = d;
    g->mode = mode;
    g->pool_next = GUEST_POOL_GFN;
    g->data_va = GUEST_DATA_VA;
    REQUIRE_EQ(p2m_populate(d, GUEST_POOL_GFN, GUEST_POOL_PAGES), 0);
    guest_paging_for(mode, nxe, &g->pg);
    if ( mode != GM_NONE )
        g->pg.cr3 = guest_alloc_page(g);
}

u64 guest_get_entry(struct guest *g, u64 entry_gpa)
{
    u64 e = 0;

    REQUIRE_EQ(copy_from_guest_phys(g->d, &e, entry_gpa,
                                    geoms[g->mode].esize), 0);
    return e;
}

void guest_set_entry(struct guest *g, u64 entry_gpa, u64 val)
{
    REQUIRE_EQ(copy_to_guest_phys(g->d, entry_gpa, &val,
                                  geoms[g->mode].esize), 0);
}

static u64 entry_at(const struct geom *gm, u64 table, u64 va, unsigned int l)
{
    return table + ((va >> gm->shift[l]) & gm->mask[l]) * gm->esize;
}

u64 guest_entry_gpa(struct guest *g, u64 va, unsigned int level)
{
    const struct geom *gm = &geoms[g->mode];
    u64 table = g->pg.cr3 & ~0xfffULL;

    REQUIRE(g->mode != GM_NONE && level >= 1 && level <= gm->levels);
    for ( unsigned int l = gm->levels; l > level; l-- )
    {
        u64 e = guest_get_entry(g, entry_at(gm, table, va, l));

        if ( !(e & P) || (l < gm->levels && (e & PS)) )
            return ~0ULL;
        table = e & gm->addr;
    }
    return entry_at(gm, table, va, level);
}

static unsigned int leaf_level(enum guest_mode mode, u64 size)
{
    if ( size == SZ_4K )
        return 1;
    if ( (size == SZ_2M && (mode == GM_PAE || mode == GM_LONG)) ||
         (size == SZ_4M && mode == GM_32) )
        return 2;
    if ( size == SZ_1G && mode == GM_LONG )
        return 3;
    return 0;
}

u64 guest_map(struct guest *g, u64 va, u64 gpa, u64 size, u64 leaf_flags)
{
    const struct geom *gm = &geoms[g->mode];
    unsigned int leaf = leaf_level(g->mode, size);
    u64 table = g->pg.cr3 & ~0xfffULL, eg, val;

    REQUIRE(g->mode != GM_NONE && leaf);
    for ( unsigned int l = gm->levels; l > leaf; l-- )
    {
        u64 e;

        eg = entry_at(gm, table, va, l);
        e = guest_get_entry(g, eg);
        if ( !(e & P) )
        {
            /* PAE PDPTEs have no RW bit (it is reserved there). */
            e = guest_alloc_page(g) | P |
                (g->mode == GM_PAE && l == 3 ? 0 : RW);
            guest_set_entry(g, eg, e);
        }
        table = e & gm->addr;
    }

    eg = entry_at(gm, table, va, leaf);
    if ( g->mode == GM_32 && leaf == 2 )
        /* PSE-36: address bits 39..32 go to entry bits 20..13. */
        val = (gpa & 0xffc00000ULL) | (((gpa >> 32) & 0xff) << 13) | PS;
    else
        val = gpa | (leaf > 1 ? PS : 0);
    guest_set_entry(g, eg, val | leaf_flags);
    return eg;
}

u64 guest_buf(struct guest *g, size_t bytes)
{
    size_t pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
    u64 start = 0;

    for ( size_t i = 0; i < pages; i++ )
    {
        u64 gpa = guest_alloc_page(g);
        u64 va = g->mode == GM_NONE ? gpa : g->data_va;

        if ( g->mode != GM_NONE )
        {
            guest_map(g, va, gpa, SZ_4K, P | RW);
            g->data_va += PAGE_SIZE;
        }
        if ( i == 0 )
            start = va;
        /* The pool hands out consecutive frames: contiguous buffers. */
        REQUIRE(va == start + i * PAGE_SIZE);
        REQUIRE(g->nr_buf < GUEST_MAX_BUF_PAGES);
        g->buf[g->nr_buf].va = va;
        g->buf[g->nr_buf].gpa = gpa;
        g->nr_buf++;
    }
    return start;
}

static u64 buf_gpa(struct guest *g, u64 va)
{
    for ( unsigned int i = 0; i < g->nr_buf; i++ )
        if ( g->buf[i].va == (va & ~0xfffULL) )
            return g->buf[i].gpa | (va & 0xfff);
    harness_fail(__FILE__, __LINE__, true, "va %#llx is no guest_buf()",
                 (unsigned long long)va);
    return ~0ULL;
}

void guest_unmap(struct guest *g, u64 va)
{
    buf_gpa(g, va);
    guest_set_entry(g, guest_entry_gpa(g, va, 1), 0);
}

void guest_make_ro(struct guest *g, u64 va)
{
    u64 eg = guest_entry_gpa(g, va, 1);

    buf_gpa(g, va);
    guest_set_entry(g, eg, guest_get_entry(g, eg) & ~RW);
}

void guest_write(struct guest *g, u64 va, const void *src, size_t len)
{
    for ( size_t done = 0; done < len; )
    {
        u64 at = va + done;
        size_t chunk = min(len - done, (size_t)(PAGE_SIZE - (at & 0xfff)));

        REQUIRE_EQ(copy_to_guest_phys(g->d, buf_gpa(g, at),
                                      (const char *)src + done, chunk), 0);
        done += chunk;
    }
}

void guest_read(struct guest *g, u64 va, void *dst, size_t len)
{
    for ( size_t done = 0; done < len; )
    {
        u64 at = va + done;
        size_t chunk = min(len - done, (size_t)(PAGE_SIZE - (at & 0xfff)));

        REQUIRE_EQ(copy_from_guest_phys(g->d, (char *)dst + done,
                                        buf_gpa(g, at), chunk), 0);
        done += chunk;
    }
}

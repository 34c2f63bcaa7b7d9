/*
 * Guest page-table walks and the guest-virtual copies built on them.
 *
 * The walk follows the guest's paging mode as the CPU would for a
 * supervisor data access: paging off (CR0.PG=0), 32-bit two-level paging
 * (4 KiB pages, 4 MiB pages with CR4.PSE and PSE-36), PAE three-level
 * paging, and four-level long mode (EFER.LMA; 2 MiB and 1 GiB pages).
 * Every entry is read through the p2m (copy_from_guest_phys), so a page
 * table in a hole faults like any other guest address.  A non-present
 * entry, a reserved bit, or (for writes with CR0.WP) a read-only entry on
 * any level gives -EFAULT.  Accessed/dirty bits are not set: the
 * hypervisor only reads and writes the data, as a DMA engine would.
 *
 * Reserved bits follow the manual of the CPU the guests run on (struct
 * guest_walk_cpu), with MAXPHYADDR as CPUID 0x80000008 tells the guests;
 * an entry the CPU would fault on for a reserved bit gives -EFAULT, and
 * one it accepts is accepted.  Intel SDM Vol. 3A 4.3-4.5 and 4.7, AMD
 * APM Vol. 2 5.2-5.4:
 *   32-bit paging: nothing with CR4.PSE=0; in a 4 MiB PDE, bits
 *     21:(M-19) with M = min(MAXPHYADDR, 40) (PSE-36: bits (M-20):13
 *     are address bits (M-1):32; SDM Table 4-4, APM Figure 5-8).
 *   PAE paging: PDPTE bits 63:MAXPHYADDR, 8:5 and 2:1 (SDM Table 4-8,
 *     APM Figure 5-10: the same on both); PDE and PTE bits
 *     62:MAXPHYADDR, bit 63 unless EFER.NXE, bits 20:13 of a 2 MiB PDE.
 *   4-level paging: bits 51:MAXPHYADDR, bit 63 unless EFER.NXE; PS in a
 *     PML4E; bits 20:13 of a 2 MiB PDE, 29:13 of a 1 GiB PDPTE, and PS
 *     of a PDPTE without 1 GiB pages.  Bits 62:52 are ignored (software
 *     bits, protection keys).  Only difference between the vendors: bit
 *     8 of a PML4E is MBZ on AMD (APM Figure 5-20), ignored on Intel
 *     (SDM Table 4-14).
 * Where an Intel CPU checks PDPTEs when it loads them into its PDPTE
 * registers (#GP on MOV to CR0/CR3/CR4, SDM 4.4.1), an AMD CPU with
 * nested paging reads them at each walk (#PF); the bits are the same.
 *
 * QEMU's TCG CPU (7.2, the one the tests run on) differs from both: it
 * checks no bit below 52 of a PAE PDPTE but the address bits, sets bit 5
 * (accessed) in the PDPTEs it walks, and does not check bit 8 of a PML4E
 * when it reports AMD.  Under QEMU (WALK_RULES_QEMU_TCG, chosen only
 * when CPUID says so) the walk accepts what that CPU accepts, or a guest
 * that runs there would crash at its first MMIO access.
 *
 * No locking: the walk reads guest memory through the p2m, whose lock
 * protects each read.  A guest may change its page tables during a walk;
 * the result is then one of the translations it had, as on hardware.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <asm/page.h>
#include <asm/processor.h>

#ifndef X86_CR4_PSE
#define X86_CR4_PSE     (1UL << 4)
#endif
#ifndef EFER_LMA
#define EFER_LMA        (1UL << 10)
#endif

#define PTE_P           _PAGE_PRESENT
#define PTE_RW          _PAGE_RW
#define PTE_PS          _PAGE_PSE
#define PTE_NX          _PAGE_NX

#define BITS(hi, lo)    ((~0ULL >> (63 - (hi))) & ~((1ULL << (lo)) - 1))

/* Address fields of 64-bit entries (bits 51..12, and large-page bases). */
#define ADDR_4K         BITS(51, 12)
#define ADDR_2M         BITS(51, 21)
#define ADDR_1G         BITS(51, 30)

/* Reserved bits of large-page entries: between PAT (bit 12) and base. */
#define RSVD_2M         BITS(20, 13)
#define RSVD_1G         BITS(29, 13)
#define PDPTE_LOW_RSVD  (BITS(8, 5) | BITS(2, 1))
#define PML4E_BIT8      (1ULL << 8)

static struct guest_walk_cpu cpu = {
    .rules = WALK_RULES_INTEL,
    .maxphyaddr = 52,
    .gbpages = true,
};

void guest_walk_set_cpu(const struct guest_walk_cpu *c)
{
    cpu = *c;
    /* Architectural range (SDM 4.1.4): keeps BITS() below well defined. */
    cpu.maxphyaddr = max(32U, min(52U, cpu.maxphyaddr));
}

/* Address bits the CPU does not have, up to bit 51 (none at 52). */
static u64 rsvd_above_maxphyaddr(void)
{
    return cpu.maxphyaddr < 52 ? BITS(51, cpu.maxphyaddr) : 0;
}

u64 guest_pae_pdpte_rsvd(void)
{
    u64 rsvd = BITS(63, 52) | rsvd_above_maxphyaddr();

    if ( cpu.rules != WALK_RULES_QEMU_TCG )
        rsvd |= PDPTE_LOW_RSVD;
    return rsvd;
}

/* Read the entry at gpa, 'size' bytes wide. */
static int read_entry(struct domain *d, u64 gpa, unsigned int size, u64 *e)
{
    u32 e32;

    if ( size == 4 )
    {
        if ( copy_from_guest_phys(d, &e32, gpa, 4) )
            return -EFAULT;
        *e = e32;
        return 0;
    }
    return copy_from_guest_phys(d, e, gpa, 8) ? -EFAULT : 0;
}

/* Present, no reserved bit, and writable when the write needs it. */
static bool entry_ok(u64 e, u64 rsvd, bool check_rw)
{
    if ( !(e & PTE_P) || (e & rsvd) )
        return false;
    return !check_rw || (e & PTE_RW);
}

static int walk_long(struct domain *d, const struct guest_paging *pg,
                     u64 va, bool check_rw, u64 *gpa)
{
    u64 common = rsvd_above_maxphyaddr() |
                 ((pg->efer & EFER_NXE) ? 0 : PTE_NX);
    u64 table = pg->cr3 & ADDR_4K, e;

    /* Bits 63..47 must all equal bit 47 (no 5-level paging here). */
    if ( (u64)((s64)(va << 16) >> 16) != va )
        return -EFAULT;

    for ( unsigned int level = 4; level >= 1; level-- )
    {
        unsigned int shift = 12 + 9 * (level - 1);
        u64 rsvd = common;

        if ( read_entry(d, table + ((va >> shift) & 511) * 8, 8, &e) )
            return -EFAULT;
        if ( level == 4 )
        {
            rsvd |= PTE_PS;                     /* no 512 GiB pages */
            if ( cpu.rules == WALK_RULES_AMD )
                rsvd |= PML4E_BIT8;
        }
        else if ( level == 3 && (e & PTE_PS) )
            rsvd |= cpu.gbpages ? RSVD_1G : PTE_PS;
        else if ( level == 2 && (e & PTE_PS) )
            rsvd |= RSVD_2M;
        if ( !entry_ok(e, rsvd, check_rw) )
            return -EFAULT;

        if ( level == 3 && (e & PTE_PS) )
        {
            *gpa = (e & ADDR_1G) | (va & BITS(29, 0));
            return 0;
        }
        if ( level == 2 && (e & PTE_PS) )
        {
            *gpa = (e & ADDR_2M) | (va & BITS(20, 0));
            return 0;
        }
        table = e & ADDR_4K;
    }
    *gpa = table | (va & BITS(11, 0));
    return 0;
}

static int walk_pae(struct domain *d, const struct guest_paging *pg,
                    u32 va, bool check_rw, u64 *gpa)
{
    u64 rsvd = BITS(62, 52) | rsvd_above_maxphyaddr() |
               ((pg->efer & EFER_NXE) ? 0 : PTE_NX);
    u64 e;

    /*
     * CR3 holds the 32-byte aligned PDPT of four entries.  They are read
     * from memory as an AMD CPU with nested paging does; an Intel CPU
     * uses the copies it loaded, checked for the same bits, at the last
     * MOV to CR0/CR3/CR4.
     */
    if ( read_entry(d, (pg->cr3 & BITS(31, 5)) + (va >> 30) * 8, 8, &e) ||
         !entry_ok(e, guest_pae_pdpte_rsvd(), false) )
        return -EFAULT;

    if ( read_entry(d, (e & ADDR_4K) + ((va >> 21) & 511) * 8, 8, &e) ||
         !entry_ok(e, rsvd | ((e & PTE_PS) ? RSVD_2M : 0), check_rw) )
        return -EFAULT;
    if ( e & PTE_PS )
    {
        *gpa = (e & ADDR_2M) | (va & BITS(20, 0));
        return 0;
    }

    if ( read_entry(d, (e & ADDR_4K) + ((va >> 12) & 511) * 8, 8, &e) ||
         !entry_ok(e, rsvd, check_rw) )
        return -EFAULT;
    *gpa = (e & ADDR_4K) | (va & BITS(11, 0));
    return 0;
}

static int walk_32(struct domain *d, const struct guest_paging *pg,
                   u32 va, bool check_rw, u64 *gpa)
{
    bool pse = pg->cr4 & X86_CR4_PSE;
    unsigned int pse36_bits = min(cpu.maxphyaddr, 40U);
    u64 e;

    if ( read_entry(d, (pg->cr3 & BITS(31, 12)) + (va >> 22) * 4, 4, &e) )
        return -EFAULT;
    /* With CR4.PSE clear, PS is ignored and the entry maps a table. */
    if ( pse && (e & PTE_PS) )
    {
        /*
         * 4 MiB page, PSE-36: bits (M-20)..13 are address bits (M-1)..32,
         * the rest up to bit 21 is reserved.
         */
        if ( !entry_ok(e, BITS(21, pse36_bits - 19), check_rw) )
            return -EFAULT;
        *gpa = (e & BITS(31, 22)) | (((e >> 13) & 0xff) << 32) |
               (va & BITS(21, 0));
        return 0;
    }
    if ( !entry_ok(e, 0, check_rw) )
        return -EFAULT;

    if ( read_entry(d, (e & BITS(31, 12)) + ((va >> 12) & 1023) * 4, 4,
                    &e) ||
         !entry_ok(e, 0, check_rw) )
        return -EFAULT;
    *gpa = (e & BITS(31, 12)) | (va & BITS(11, 0));
    return 0;
}

int guest_walk(struct domain *d, const struct guest_paging *pg, u64 va,
               bool write, u64 *gpa)
{
    bool check_rw = write && (pg->cr0 & X86_CR0_WP);

    if ( !(pg->cr0 & X86_CR0_PG) )
    {
        *gpa = (pg->efer & EFER_LMA) ? va : (u32)va;
        return 0;
    }
    if ( pg->efer & EFER_LMA )
        return walk_long(d, pg, va, check_rw, gpa);
    /* Legacy modes: linear addresses are 32 bits wide. */
    if ( pg->cr4 & X86_CR4_PAE )
        return walk_pae(d, pg, (u32)va, check_rw, gpa);
    return walk_32(d, pg, (u32)va, check_rw, gpa);
}

/* Bytes from va to the end of its 4 KiB page, at most 'left'. */
static size_t chunk_of(u64 va, size_t left)
{
    size_t room = PAGE_SIZE - (va & (PAGE_SIZE - 1));

    return min(left, room);
}

/*
 * The destination may hold part of the data when this fails: callers
 * must treat it as garbage after -EFAULT.
 */
int copy_from_guest_virt(struct domain *d, const struct guest_paging *pg,
                         void *dst, u64 va, size_t len)
{
    if ( len && va + len - 1 < va )
        return -EFAULT;

    for ( size_t done = 0; done < len; )
    {
        u64 at = va + done, gpa;
        size_t chunk = chunk_of(at, len - done);

        /* Re-walk per page: neighbours may map anywhere, or nowhere. */
        if ( guest_walk(d, pg, at, false, &gpa) ||
             copy_from_guest_phys(d, (char *)dst + done, gpa, chunk) )
            return -EFAULT;
        done += chunk;
    }
    return 0;
}

/*
 * Every page is translated and found populated before the first byte is
 * written, so a bad buffer leaves guest memory untouched (unless the
 * guest changes its own page tables meanwhile).
 */
int copy_to_guest_virt(struct domain *d, const struct guest_paging *pg,
                       u64 va, const void *src, size_t len)
{
    if ( len && va + len - 1 < va )
        return -EFAULT;

    for ( size_t done = 0; done < len; )
    {
        u64 at = va + done, gpa;
        size_t chunk = chunk_of(at, len - done);

        /* A chunk never leaves its page, in any paging mode. */
        if ( guest_walk(d, pg, at, true, &gpa) ||
             p2m_lookup(d, PFN_DOWN(gpa)) == ~0ULL )
            return -EFAULT;
        done += chunk;
    }

    for ( size_t done = 0; done < len; )
    {
        u64 at = va + done, gpa;
        size_t chunk = chunk_of(at, len - done);

        if ( guest_walk(d, pg, at, true, &gpa) ||
             copy_to_guest_phys(d, gpa, (const char *)src + done, chunk) )
            return -EFAULT;
        done += chunk;
    }
    return 0;
}

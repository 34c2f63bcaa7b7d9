/*
 * Reaching a guest's memory from the hypervisor: guest-physical through
 * the domain's physical-to-machine map (p2m), guest-virtual through a walk
 * of the guest's own page tables.  Every address comes from the guest and
 * is untrusted: a hole, a non-present entry or a reserved bit gives
 * -EFAULT, never a hypervisor fault.
 */
#ifndef XEN_GUEST_ACCESS_H
#define XEN_GUEST_ACCESS_H

#include <xen/types.h>

struct domain;
struct vcpu;

/* The guest paging registers a walk needs (from the VMCS/VMCB). */
struct guest_paging
{
    u64 cr0, cr3, cr4, efer;
};

/* --- the p2m (common/p2m.c) --- */

/* Give d RAM at guest frames [gfn, gfn + nr), from the domain heap. */
int p2m_populate(struct domain *d, u64 gfn, u64 nr);
/* Machine frame behind guest frame gfn, or ~0 when there is none. */
u64 p2m_lookup(const struct domain *d, u64 gfn);
/* Free every page of d's p2m (domain destruction). */
void p2m_teardown(struct domain *d);

/* Copy between hypervisor memory and guest-physical memory of d. */
int copy_from_guest_phys(struct domain *d, void *dst, u64 gpa, size_t len);
int copy_to_guest_phys(struct domain *d, u64 gpa, const void *src,
                       size_t len);

/*
 * Whose definition of the entry formats a walk follows: the reserved
 * bits differ between the manuals in a few places, and QEMU's TCG CPU
 * checks fewer than either (guest_walk.c has the details).
 */
enum guest_walk_rules
{
    WALK_RULES_INTEL,       /* Intel SDM Vol. 3A chapter 4 */
    WALK_RULES_AMD,         /* AMD APM Vol. 2 chapter 5 */
    WALK_RULES_QEMU_TCG,    /* what QEMU's emulated CPU accepts */
};

/*
 * The CPU the guests run on, as far as walks are concerned.  Set once at
 * boot, before any guest runs (hvm_cpuid_setup_walk); until then, and in
 * host tests that do not set it: Intel's rules, MAXPHYADDR 52, 1 GiB
 * pages.
 */
struct guest_walk_cpu
{
    enum guest_walk_rules rules;
    unsigned int maxphyaddr;    /* CPUID 0x80000008 EAX[7:0] of the guests */
    bool gbpages;               /* 1 GiB pages (CPUID 0x80000001 EDX[26]) */
};

void guest_walk_set_cpu(const struct guest_walk_cpu *c);

/*
 * Reserved bits of a present PAE-paging PDPTE, for the walk and for
 * loading the PDPTE registers as a MOV to CR0/CR4 would.
 */
u64 guest_pae_pdpte_rsvd(void);

/*
 * Translate va with the guest's paging mode (none, 32-bit, PAE, 4-level
 * long mode; 4 KiB, 2/4 MiB and 1 GiB pages; U/S ignored since callers
 * are at CPL 0, R/W checked for writes when CR0.WP is set, and NX not
 * checked for data).  0 and *gpa set, or -EFAULT.
 */
int guest_walk(struct domain *d, const struct guest_paging *pg, u64 va,
               bool write, u64 *gpa);

/* Copy between hypervisor memory and the guest-virtual space 'pg'. */
int copy_from_guest_virt(struct domain *d, const struct guest_paging *pg,
                         void *dst, u64 va, size_t len);
int copy_to_guest_virt(struct domain *d, const struct guest_paging *pg,
                       u64 va, const void *src, size_t len);

#endif /* XEN_GUEST_ACCESS_H */

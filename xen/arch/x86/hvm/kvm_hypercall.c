/*
 * KVM's hypercalls as stock Linux makes them (kvm_hypercall.h has the
 * split from xen-lite's own): KVM_HC_SEND_IPI, the paravirtual multicast
 * IPI, and -KVM_ENOSYS for KVM's other numbers.
 *
 * KVM_HC_SEND_IPI (hypercalls.rst): a0 and a1 are a bitmap of destination
 * APIC IDs, a0 bit i for ID a2 + i and a1 bit i for ID a2 + w + i, where
 * w is the width of a register in the caller's mode (64, or 32 outside
 * 64-bit mode); a3 is the ICR's low word.  Each destination is a physical
 * APIC ID; it gets the interrupt through the ICR's delivery (posted
 * through its descriptor), all in the one exit.  The result is how many
 * accepted it.  As in KVM: a caller at CPL > 0 gets -KVM_EPERM, logical
 * destination mode or a shorthand -KVM_EINVAL, IDs without a vCPU are
 * skipped, and with the feature hidden the call does not exist
 * (-KVM_ENOSYS).  Stricter than KVM, since nothing xen-lite does not
 * model should pass silently: a3 must be a fixed interrupt with a vector
 * of 16 or more, or an NMI (Linux sends nothing else this way), with no
 * reserved ICR bit set and nothing above bit 31; a2 must be a 32-bit APIC
 * ID.  KVM adds the register width to a 32-bit a2, so that a bitmap
 * starting near 2^32 wraps to ID 0; here IDs are computed in 64 bits and
 * one that large reaches nobody.
 *
 * Runs in the caller's context; the counters are the caller's own vCPU's
 * (struct vlapic), written only here and read by irq_stats without a
 * lock (single aligned 64-bit words).
 */
#include <xen/lib.h>
#include <xen/param.h>
#include <xen/sched.h>
#include <asm/hvm/vlapic.h>
#include <asm/hvm/kvm_hypercall.h>

/* The ICR's low word (SDM 11.6.1). */
#define ICR_VECTOR_MASK     0x000000ffu
#define ICR_DM_MASK         0x00000700u
#define ICR_DM_FIXED        0x00000000u
#define ICR_DM_NMI          0x00000400u
#define ICR_DEST_LOGICAL    0x00000800u
#define ICR_SHORTHAND_MASK  0x000c0000u
/* Bits the ICR defines: vector, mode, dest mode, level, trigger, short. */
#define ICR_DEFINED         0x000ccfffu

/*
 * pv_send_ipi=0 hides the feature (a Xen- or KVM-like configuration).
 * Set on the command line before any guest runs, not changed after.
 */
bool opt_pv_send_ipi = true;
boolean_param("pv_send_ipi", opt_pv_send_ipi);

bool pv_send_ipi_offered(void)
{
    return opt_pv_send_ipi;
}

/*
 * Bit i of 'map' for APIC ID first + i.  Outside 64-bit mode the words
 * were cut to 32 bits by kvm_hypercall().
 */
static long send_ipi_cluster(struct vlapic *src, u64 map, u64 first,
                             bool nmi, u8 vector)
{
    long n = 0;

    for ( unsigned int i = 0; map; i++, map >>= 1 )
        if ( (map & 1) && vlapic_pv_ipi_one(src, first + i, nmi, vector) )
            n++;
    return n;
}

static long send_ipi(struct vcpu *v, bool long64, const u64 a[4])
{
    unsigned int width = long64 ? 64 : 32;
    struct vlapic *vl = vcpu_vlapic(v);
    u64 icr = a[3], min = a[2];
    bool nmi;
    long n;

    if ( icr & (ICR_DEST_LOGICAL | ICR_SHORTHAND_MASK) )
        return -KVM_EINVAL;
    if ( icr & ~(u64)ICR_DEFINED )
        return -KVM_EINVAL;
    switch ( icr & ICR_DM_MASK )
    {
    case ICR_DM_FIXED:
        if ( (icr & ICR_VECTOR_MASK) < 16 )
            return -KVM_EINVAL;
        nmi = false;
        break;
    case ICR_DM_NMI:
        nmi = true;
        break;
    default:
        return -KVM_EINVAL;
    }
    if ( min > 0xffffffffULL )
        return -KVM_EINVAL;

    vl->nr_pv_ipi_calls++;
    n = send_ipi_cluster(vl, a[0], min, nmi, (u8)icr);
    n += send_ipi_cluster(vl, a[1], min + width, nmi, (u8)icr);
    vl->nr_pv_ipi_targets += n;
    return n;
}

long kvm_hypercall(struct vcpu *v, unsigned int cpl, bool long64, u64 nr,
                   const u64 a[4])
{
    u64 arg[4];

    ASSERT(kvm_hypercall_number(nr));
    /* KVM refuses every hypercall from user space, before its number. */
    if ( cpl != 0 )
        return -KVM_EPERM;
    for ( unsigned int i = 0; i < 4; i++ )
        arg[i] = long64 ? a[i] : (u32)a[i];

    switch ( nr )
    {
    case KVM_HC_SEND_IPI:
        if ( !pv_send_ipi_offered() )
            return -KVM_ENOSYS;
        return send_ipi(v, long64, arg);
    default:
        return -KVM_ENOSYS;
    }
}

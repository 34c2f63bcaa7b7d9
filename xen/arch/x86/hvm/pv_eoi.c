/*
 * Paravirtual EOI, KVM's interface, so stock Linux guests use it
 * unmodified (seeds/004): the guest registers a flag in its memory with
 * MSR 0x4b564d04; before an entry the hypervisor sets the flag when the
 * guest may skip the EOI of the interrupt it is about to handle (see
 * vlapic_pv_eoi_candidate); the guest's EOI path test-and-clears the flag
 * and writes the EOI register only when it was clear.  After the next
 * exit a cleared flag means the guest did EOI that way, and the
 * hypervisor completes the EOI itself; a flag still set is taken back, so
 * the guest's later EOI goes through the register.
 *
 * The flag is read and written only while its vCPU is not in the guest,
 * and the guest touches it only on that vCPU, so no lock is needed.
 */
#include <xen/lib.h>
#include <xen/guest_access.h>
#include <xen/mm.h>
#include <xen/param.h>
#include <xen/sched.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/msr.h>
#include <asm/hvm/pv_eoi.h>

#define PV_EOI_ENABLED  1ULL

/* pv_eoi=0 hides the feature from guests. */
static bool opt_pv_eoi = true;
boolean_param("pv_eoi", opt_pv_eoi);

/*
 * Not offered where the hardware completes EOIs itself (VMX with
 * virtual-interrupt delivery): there an EOI costs no exit to save.
 */
bool pv_eoi_offered(void)
{
    return opt_pv_eoi && !hvm_funcs->deliver_pending;
}

int pv_eoi_msr_write(struct vcpu *v, u64 val)
{
    u64 gpa = val & ~PV_EOI_ENABLED;

    /* Where CPUID does not offer it the MSR does not exist (so in KVM). */
    if ( !pv_eoi_offered() )
        return MSR_GP;
    /* A 4-byte aligned flag in the guest's RAM, as KVM requires. */
    if ( (val & PV_EOI_ENABLED) &&
         ((gpa & 3) || p2m_lookup(v->domain, gpa >> PAGE_SHIFT) == ~0ULL) )
        return MSR_GP;
    v->hvm->pv_eoi_msr = val;
    v->hvm->pv_eoi_pending = false;
    return MSR_OK;
}

int pv_eoi_msr_read(struct vcpu *v, u64 *val)
{
    if ( !pv_eoi_offered() )
        return MSR_GP;
    *val = v->hvm->pv_eoi_msr;
    return MSR_OK;
}

/*
 * INIT: the MSR back to disabled, as KVM's INIT does (its
 * kvm_lapic_reset() clears it), so the hypervisor never writes the flag
 * to an address the reset guest no longer knows about.  The flag of the
 * last entry was taken back at its exit (pv_eoi_after_exit).
 */
void pv_eoi_reset(struct vcpu *v)
{
    v->hvm->pv_eoi_msr = 0;
    v->hvm->pv_eoi_pending = false;
}

void pv_eoi_before_entry(struct vcpu *v)
{
    struct hvm_vcpu *h = v->hvm;
    u8 set = 1;

    if ( !(h->pv_eoi_msr & PV_EOI_ENABLED) || h->pv_eoi_pending ||
         vlapic_pv_eoi_candidate(&h->vlapic) < 0 )
        return;
    if ( copy_to_guest_phys(v->domain, h->pv_eoi_msr & ~PV_EOI_ENABLED,
                            &set, 1) == 0 )
        h->pv_eoi_pending = true;
}

void pv_eoi_after_exit(struct vcpu *v)
{
    struct hvm_vcpu *h = v->hvm;
    u64 gpa = h->pv_eoi_msr & ~PV_EOI_ENABLED;
    u8 flag;

    if ( !h->pv_eoi_pending )
        return;
    h->pv_eoi_pending = false;
    if ( copy_from_guest_phys(v->domain, &flag, gpa, 1) )
        return;
    if ( flag & 1 )
    {
        /* Not used: take it back, the guest will write the register. */
        flag = 0;
        copy_to_guest_phys(v->domain, gpa, &flag, 1);
        return;
    }
    vlapic_pv_eoi(&h->vlapic);
    h->pv_eoi_skips++;
}

/*
 * The end of the run when nothing can make progress (progress.h): which
 * vCPUs cannot run again by themselves, which domains are stuck, and the
 * decision, with shutdown=exit, to end the run.
 *
 * The rule.  A vCPU is inert when only an event from elsewhere can make
 * it run: halted with RFLAGS.IF=0 (only an NMI, SMI, INIT or reset ends
 * that HLT, SDM Vol. 2A "HLT"), or down (never started, or INIT: only a
 * SIPI starts it, SDM Vol. 3 "MP Initialization").  A domain is stuck
 * when it is paused, or when every vCPU is inert with nothing pending
 * that ends that (an NMI or INIT for a halted vCPU, a SIPI for a down
 * one) and no device of its own can send one (an unmasked vIOAPIC entry
 * in NMI or INIT mode, while a vCPU is halted).  The run ends when every
 * domain has shut down or is stuck.  Events between domains come only
 * from privileged domains (domctl: unpause, destroy), and a domain that
 * can still run keeps the run going, so at that point no privileged
 * domain is left that could act on a stuck one.
 *
 * Counting.  Each domain counts its vCPUs that are not inert
 * (nr_active).  A vCPU makes itself inert (hvm_vcpu_inert: its own
 * 'inert' from HVM_ACTIVE to the kind, then nr_active - 1) before it
 * sets VPF_blocked or VPF_down; whoever ends that state revives it
 * (cmpxchg back to HVM_ACTIVE, nr_active + 1, then progress_gen + 1)
 * before it can run, so each decrement has at most one increment.  The
 * vCPU that brings nr_active to 0 checks, once it sleeps.
 *
 * Why a check cannot end a run that could go on.  It reads progress_gen,
 * then every domain, then progress_gen again, all sequentially
 * consistent, and decides only when the two reads agree.  Suppose it
 * read a domain as stuck that could still run.  Then something revived
 * a vCPU of it, or unpaused it, after the check read it: the reviver
 * bumps progress_gen after that change.  Revivers are live: a vCPU of
 * the same domain (a sender of NMI/INIT/SIPI; the domain's nr_active
 * included it, so it was not read as stuck before its send, and it
 * could only be read as inert after it went inert, i.e. after its bump)
 * or a privileged domain (the same argument: read live, the check gives
 * up; read inert, read after its bump).  A vCPU that finds its own event
 * after going inert revives itself and bumps before it runs guest code.
 * So the second read sees a bump the first did not, and the check gives
 * up.  It is never needed again: whoever made that change goes inert or
 * shuts down later, and checks then.
 *
 * Nothing is decided before the boot domains are all started (the boot
 * pCPU builds them while the first ones run).
 */
#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/shutdown.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/io.h>
#include <asm/hvm/progress.h>

/* Revives and unpauses so far: a check decides only if none came. */
static u64 progress_gen;
static bool boot_done;
static bool any_domain_failed;
/* The decision is taken once: what is stuck stays stuck. */
static bool run_ended;

static int load(const int *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

bool hvm_vcpu_inert(struct vcpu *v, enum hvm_inert kind)
{
    int active = HVM_ACTIVE;

    if ( !__atomic_compare_exchange_n(&v->hvm->inert, &active, (int)kind,
                                      false, __ATOMIC_SEQ_CST,
                                      __ATOMIC_SEQ_CST) )
        return false;
    return __atomic_sub_fetch(&v->domain->hvm->nr_active, 1,
                              __ATOMIC_SEQ_CST) == 0;
}

void hvm_vcpu_revive(struct vcpu *v, enum hvm_inert kind)
{
    int was = (int)kind;

    if ( !__atomic_compare_exchange_n(&v->hvm->inert, &was, HVM_ACTIVE,
                                      false, __ATOMIC_SEQ_CST,
                                      __ATOMIC_SEQ_CST) )
        return;
    __atomic_add_fetch(&v->domain->hvm->nr_active, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&progress_gen, 1, __ATOMIC_SEQ_CST);
}

void hvm_progress_unpaused(void)
{
    __atomic_add_fetch(&progress_gen, 1, __ATOMIC_SEQ_CST);
}

void hvm_progress_domain_failed(void)
{
    __atomic_store_n(&any_domain_failed, true, __ATOMIC_SEQ_CST);
}

/*
 * Why d is stuck, or NULL if it may still run.  Domain list lock held
 * (d stays on the list); d is not shutting down.
 */
static const char *stuck_why(struct domain *d)
{
    unsigned int halted = 0, down = 0, ran = 0;

    /*
     * A domain the toolstack created and never let run is paused too;
     * the flag is read without domctl_lock, for the message only.
     */
    if ( load(&d->pause_count) )
        return domain_building(d) ? "never started"
                                  : "paused, and no domain left that could "
                                    "unpause it";
    if ( load(&d->hvm->nr_active) )
        return NULL;

    for ( unsigned int i = 0; i < d->max_vcpus; i++ )
    {
        struct hvm_vcpu *h = d->vcpu[i]->hvm;

        switch ( load(&h->inert) )
        {
        case HVM_INERT_HALTED:
            if ( __atomic_load_n(&h->nmi_pending, __ATOMIC_SEQ_CST) ||
                 __atomic_load_n(&h->init_pending, __ATOMIC_SEQ_CST) )
                return NULL;
            halted++;
            break;
        case HVM_INERT_DOWN:
            if ( load(&h->sipi_vector) >= 0 )
                return NULL;
            down++;
            break;
        default:
            return NULL;        /* being revived */
        }
        /* Written by its own pCPU: for the message only. */
        if ( READ_ONCE(h->nr_entries) )
            ran++;
    }

    if ( halted && vioapic_sends_nmi_or_init(d) )
        return NULL;
    if ( !halted )
        return ran ? "every vCPU waits for a SIPI" : "never started";
    if ( !down )
        return "every vCPU halted with interrupts disabled";
    return "every vCPU halted with interrupts disabled or waits for a SIPI";
}

/* Whether every domain has shut down or is stuck; how many are stuck. */
static bool nothing_can_run(unsigned int *nr_stuck, bool report)
{
    struct domain *d;
    bool all = true;

    *nr_stuck = 0;
    domlist_read_lock();
    for ( d = domain_first(); d && all; d = domain_next(d) )
    {
        const char *why;

        if ( __atomic_load_n(&d->is_shutting_down, __ATOMIC_SEQ_CST) )
            continue;
        why = stuck_why(d);
        if ( !why )
            all = false;
        else
        {
            (*nr_stuck)++;
            if ( report )
                printk("d%u stuck: %s\n", d->domain_id, why);
        }
    }
    domlist_read_unlock();
    return all;
}

void hvm_progress_check(void)
{
    unsigned int nr_stuck;
    bool failed;
    u64 gen;

    if ( !__atomic_load_n(&boot_done, __ATOMIC_SEQ_CST) ||
         __atomic_load_n(&run_ended, __ATOMIC_SEQ_CST) )
        return;

    gen = __atomic_load_n(&progress_gen, __ATOMIC_SEQ_CST);
    if ( !nothing_can_run(&nr_stuck, false) ||
         __atomic_load_n(&progress_gen, __ATOMIC_SEQ_CST) != gen )
        return;
    if ( __atomic_exchange_n(&run_ended, true, __ATOMIC_SEQ_CST) )
        return;

    /* Every vCPU is down: its exit_icount counters hold still now. */
    exit_icount_dump_all();
    /* Final now: the same domains, stuck for the same reasons. */
    if ( nr_stuck )
        (void)nothing_can_run(&nr_stuck, true);
    failed = __atomic_load_n(&any_domain_failed, __ATOMIC_SEQ_CST);
    if ( failed )
        nothing_left_to_run("a domain failed", 1);
    else if ( nr_stuck )
        nothing_left_to_run("every domain left is stuck", 2);
    else
        nothing_left_to_run("all domains have exited", 0);
}

void hvm_progress_boot_done(void)
{
    __atomic_store_n(&boot_done, true, __ATOMIC_SEQ_CST);
    /* They may all have stopped while the last ones were being built. */
    hvm_progress_check();
}

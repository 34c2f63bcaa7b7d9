/*
 * Blocked vCPUs behind multiplexed wakeup vectors (pi_blocked.h): the
 * pi_wakeup_vectors= option, each pCPU's K wakeup lists (one lock, one
 * vector and one set of counters per list), joining a list on HLT and
 * leaving it before running again, the wakeup-vector handler, and the
 * 'i' debug key.
 *
 * The descriptor protocol is pi.c's; this file adds the "blocked" state
 * of the design's table (NV = the list's vector, NDST = the list's pCPU,
 * SN = 0).  Invariant, whenever no list lock is held: a blocked vCPU is
 * on exactly one list, the one its NV names, and no vCPU is on two.
 * While v is on list (p, i), its NV is list i's vector, its NDST pCPU p,
 * SN 0, and its pi_blocked_cpu/index say (p, i); on no list,
 * pi_blocked_cpu is -1.  Only the holder of a list's lock changes its
 * entries, their fields, and the NV/SN of their descriptors; a vCPU's
 * NV/SN change otherwise only while it is on no list.
 *
 * Who touches a list: pi_blocked_enter() on the list's own pCPU (adds),
 * the wakeup handler on the list's own pCPU (removes entries whose ON is
 * set), pi_blocked_leave() on any pCPU (removes one entry), and
 * pi_blocked_move() on any pCPU (moves one entry to a list of another
 * pCPU, after pinning).  Every lock is taken with interrupts off: the
 * handler takes it in interrupt context on the same pCPU as
 * pi_blocked_enter().
 *
 * Lock order: only pi_blocked_move() holds two list locks, and takes
 * them in ascending (pCPU, index) order, the order of peek_lock_all()
 * in the unit tests.  A list lock comes before the schedule locks (the
 * handler calls vcpu_wake() holding one); no list lock is ever taken
 * with a schedule lock held.
 *
 * Migration (pinning).  When vcpu_set_hard_affinity() takes a vCPU's
 * pCPU away, the scheduler moves v->processor (vcpu_migrate(), schedule
 * locks, v not running) and then, without those locks, calls
 * sched_vcpu_migrated(), which calls pi_blocked_move().  Its rules:
 *  - the entry, pi_blocked_cpu/index and NV/NDST move in one critical
 *    section holding the old and the new list's locks, so whoever looks
 *    under a list lock sees v on exactly one list, the one NV names;
 *  - NV/NDST are rewritten by cmpxchg that fails on ON, like the one in
 *    pi_blocked_enter(): a post whose ON set comes first has notified
 *    the old list, so v stays there and that list's handler wakes it; a
 *    post after the cmpxchg notifies the new list, whose handler waits
 *    for the lock and then finds v.  So no post is lost, and v never
 *    sleeps with ON set (only a vCPU with ON clear moves);
 *  - SN stays 0 (v is on a list throughout);
 *  - nothing moves if v left the list meanwhile (it is waking and runs
 *    where the scheduler puts it) or its pCPU changed again (the later
 *    change makes its own move);
 *  - pi_blocked_leave() reads cpu and index without a lock, so it
 *    checks both under the list's lock and looks again if a move got
 *    there first.
 * A notification that left before a move reaches the old pCPU and finds
 * v there (the move refused on ON) or not at all (v woke already): at
 * worst a spurious handler run, never a lost wakeup.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/keyhandler.h>
#include <xen/list.h>
#include <xen/param.h>
#include <xen/sched.h>
#include <xen/smp.h>
#include <xen/spinlock.h>
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/irq_vectors.h>
#include <asm/processor.h>
#include <asm/smpboot.h>
#include <asm/system.h>
#include <asm/traps.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/pi.h>
#include <asm/hvm/pi_blocked.h>


/*
 * The pool: the wakeup range and the dynamic range below it, one span of
 * vectors.  Wakeup lists take the wakeup range first, lowest first, then
 * the dynamic range from the top down, so that the dynamic vectors left
 * over are the lowest ones, where vector_alloc() puts devices.
 */
#define PI_POOL_FIRST   DYNAMIC_VECTOR_FIRST
#define PI_POOL_LAST    PI_WAKEUP_VECTOR_LAST
#define PI_WAKEUP_POOL_SIZE (PI_POOL_LAST - PI_POOL_FIRST + 1)

BUILD_BUG_ON(DYNAMIC_VECTOR_LAST + 1 != PI_WAKEUP_VECTOR_FIRST);
BUILD_BUG_ON(PI_WAKEUP_VECTORS_MAX != PI_WAKEUP_POOL_SIZE);
/* index_of[] holds list index + 1 in a byte. */
BUILD_BUG_ON(PI_WAKEUP_VECTORS_MAX > 255);

/*
 * The default K leaves this many of the free vectors to device
 * interrupts set up after boot; pi_wakeup_vectors=max leaves none.
 */
#define PI_WAKEUP_DEVICE_RESERVE    16

/* opt_wakeup_vectors: these two, or an explicit K. */
#define OPT_WAKEUP_DEFAULT          0u
#define OPT_WAKEUP_MAX              (~0u)

/* vCPU names kept per list by the dump (the rest are counted). */
#define DUMP_NAMES      16

struct pi_blocked_list
{
    spinlock_t lock;
    struct list_head vcpus;     /* struct hvm_vcpu, pi_blocked_link */
    /*
     * Entries.  Changed under the lock; pi_blocked_enter() reads it
     * without the lock to pick a list, which only needs a recent value.
     */
    unsigned int count;
    u8 vector;
    struct pi_wakeup_stats stats;   /* under the lock */
} __attribute__((__aligned__(64)));

struct pi_blocked_pcpu
{
    unsigned int nr;            /* lists set up: K, or 0 before init */
    /* Vector - PI_POOL_FIRST -> list index + 1 (0: none). */
    u8 index_of[PI_WAKEUP_POOL_SIZE];
    /* vCPUs on this pCPU's lists, and the most there ever were. */
    unsigned int nr_blocked;    /* atomic */
    unsigned int peak_blocked;  /* atomic maximum (peak_note()) */
    struct pi_blocked_list lists[PI_WAKEUP_VECTORS_MAX];
};

static DEFINE_PER_CPU(struct pi_blocked_pcpu, pi_blocked);

static unsigned int opt_wakeup_vectors = OPT_WAKEUP_DEFAULT;

/*
 * K and the vectors of the lists, the same on every pCPU: set once by
 * pi_blocked_init() on the boot pCPU before any pi_blocked_cpu_init(),
 * read only after.
 */
static unsigned int nr_wakeup_vectors;
static u8 wakeup_vecs[PI_WAKEUP_VECTORS_MAX];

/*
 * pi_wakeup_vectors=K (1..256, more than is free is clamped at boot) or
 * =max (every free vector).  Anything else is reported and the default
 * kept; returning 0 keeps parse_params() from reporting it a second time.
 */
static int parse_wakeup_vectors(const char *s)
{
    unsigned int k = 0;
    const char *p = s;

    if ( !strcmp(s, "max") )
    {
        opt_wakeup_vectors = OPT_WAKEUP_MAX;
        return 0;
    }
    while ( *p >= '0' && *p <= '9' && k <= NR_VECTORS )
        k = k * 10 + (unsigned int)(*p++ - '0');
    if ( p == s || *p || k < 1 || k > NR_VECTORS )
    {
        printk(XENLOG_WARNING
               "Bad value for option 'pi_wakeup_vectors': '%s'\n", s);
        k = OPT_WAKEUP_DEFAULT;
    }
    opt_wakeup_vectors = k;
    return 0;
}
custom_param("pi_wakeup_vectors", parse_wakeup_vectors);

unsigned int pi_wakeup_vectors(void)
{
    return nr_wakeup_vectors;
}

/* NDST of the pCPU, in the hardware's format. */
static u32 ndst_of_cpu(unsigned int cpu)
{
    return pi_ndst_encode(cpu_to_apic_id(cpu));
}

/* List l's lock held; returns the pCPU's new number of blocked vCPUs. */
static unsigned int blocked_count_add(struct pi_blocked_list *l,
                                      struct pi_blocked_pcpu *pc, int delta)
{
    __atomic_store_n(&l->count, l->count + delta, __ATOMIC_RELAXED);
    return __atomic_add_fetch(&pc->nr_blocked, delta, __ATOMIC_RELAXED);
}

/*
 * Raise pc's peak to 'blocked'.  Adds come from this pCPU's HLTs and from
 * moves on any pCPU, so the maximum is a CAS loop, not a plain store.
 */
static void peak_note(struct pi_blocked_pcpu *pc, unsigned int blocked)
{
    unsigned int peak = __atomic_load_n(&pc->peak_blocked, __ATOMIC_RELAXED);

    while ( blocked > peak &&
            !__atomic_compare_exchange_n(&pc->peak_blocked, &peak, blocked,
                                         false, __ATOMIC_RELAXED,
                                         __ATOMIC_RELAXED) )
        ;
}

/* Take h off list l (lock held): the entry and its fields go together. */
static void list_remove_locked(struct pi_blocked_list *l,
                               struct pi_blocked_pcpu *pc,
                               struct hvm_vcpu *h)
{
    list_del(&h->pi_blocked_link);
    blocked_count_add(l, pc, -1);
    /*
     * Release: pi_blocked_leave() and pi_blocked_on_list() read this
     * without the lock; one that reads -1 sees everything done under
     * the lock before, in particular the handler's switch of NV/SN.
     */
    __atomic_store_n(&h->pi_blocked_cpu, -1, __ATOMIC_RELEASE);
}

static void pi_wakeup_interrupt(struct cpu_user_regs *regs);

int pi_blocked_cpu_init(unsigned int cpu)
{
    struct pi_blocked_pcpu *pc = &per_cpu(pi_blocked, cpu);
    struct vector_table *vt = cpu_vector_table(cpu);
    unsigned int k = nr_wakeup_vectors;
    const u8 *vecs = wakeup_vecs;

    if ( !k )
        return -EINVAL;             /* pi_blocked_init() did not run */

    /*
     * The same K vectors on every pCPU (pi_blocked_init() picked vectors
     * free on all of them), so one global handler per vector number
     * serves them all: it looks up the list of the pCPU it runs on.  At
     * boot, from hvm_cpu_up() with interrupts off on an otherwise idle
     * pCPU, so nothing on this pCPU can be holding its table's lock.
     */
    for ( unsigned int i = 0; i < k; i++ )
    {
        int rc = vector_reserve(vt, vecs[i], "pi-wakeup");

        if ( rc )
        {
            printk(XENLOG_ERR "CPU%u: PI wakeup vector %#x taken (%d)\n",
                   cpu, vecs[i], rc);
            while ( i-- )
                vector_free(vt, vecs[i]);
            return rc;
        }
    }

    memset(pc->index_of, 0, sizeof(pc->index_of));
    pc->nr_blocked = 0;
    pc->peak_blocked = 0;
    for ( unsigned int i = 0; i < k; i++ )
    {
        struct pi_blocked_list *l = &pc->lists[i];

        spin_lock_init(&l->lock);
        INIT_LIST_HEAD(&l->vcpus);
        l->count = 0;
        l->vector = vecs[i];
        memset(&l->stats, 0, sizeof(l->stats));
        pc->index_of[vecs[i] - PI_POOL_FIRST] = i + 1;
        set_vector_handler(vecs[i], pi_wakeup_interrupt);
    }
    /* Last: a non-zero nr says the lists above are ready. */
    __atomic_store_n(&pc->nr, k, __ATOMIC_RELEASE);
    return 0;
}

static void dump_key(unsigned char key)
{
    (void)key;
    pi_blocked_dump();
}

/* Whether vec is free in the vector table of every online pCPU. */
static bool free_on_every_cpu(unsigned int vec)
{
    unsigned int cpu;

    for_each_online_cpu ( cpu )
        if ( vector_owner(cpu_vector_table(cpu), vec) )
            return false;
    return true;
}

unsigned int pi_wakeup_pool_free(u8 *out)
{
    unsigned int n = 0;

    for ( unsigned int v = PI_WAKEUP_VECTOR_FIRST;
          v <= PI_WAKEUP_VECTOR_LAST; v++ )
        if ( free_on_every_cpu(v) )
            out[n++] = v;
    for ( unsigned int v = DYNAMIC_VECTOR_LAST + 1;
          v-- > DYNAMIC_VECTOR_FIRST; )
        if ( free_on_every_cpu(v) )
            out[n++] = v;
    return n;
}

int pi_blocked_init(void)
{
    unsigned int free, k, opt = opt_wakeup_vectors;
    char how[12];

    /*
     * Sized from what is free now: the boot users of the dynamic range
     * (the serial port's interrupt) have their vectors, and every pCPU
     * is online with its table.  Then K = every free vector but a few
     * for later devices by default, all of them with "max", or the
     * option's value if that many are free.
     */
    free = pi_wakeup_pool_free(wakeup_vecs);
    if ( !free )
    {
        printk(XENLOG_ERR "PI: no vector free for wakeup lists\n");
        return -ENOSPC;
    }
    if ( opt == OPT_WAKEUP_DEFAULT )
        k = free > PI_WAKEUP_DEVICE_RESERVE
            ? free - PI_WAKEUP_DEVICE_RESERVE : 1;
    else if ( opt == OPT_WAKEUP_MAX )
        k = free;
    else if ( opt > free )
    {
        printk(XENLOG_WARNING "PI: pi_wakeup_vectors=%u but only %u "
               "vectors free: using %u\n", opt, free, free);
        k = free;
    }
    else
        k = opt;
    nr_wakeup_vectors = k;

    printk("PI: %u wakeup vector%s per pCPU\n", k, k == 1 ? "" : "s");
    if ( opt == OPT_WAKEUP_DEFAULT || opt == OPT_WAKEUP_MAX )
        snprintf(how, sizeof(how), "%s",
                 opt == OPT_WAKEUP_MAX ? "max" : "default");
    else
        snprintf(how, sizeof(how), "%u", opt);
    printk("PI: %u of the pool's vectors %#x-%#x free at boot, %u left "
           "(pi_wakeup_vectors=%s)\n", free, PI_POOL_FIRST, PI_POOL_LAST,
           free - k, how);
    register_keyhandler('i', dump_key,
                        "dump interrupt and wakeup-vector state");
    return 0;
}

/*
 * The least-loaded list of pc, lowest index on a tie.  The counts are
 * read without the locks.  Without pinning, only pc's own pCPU adds
 * entries (pi_blocked_enter(), not reentrantly) and others only remove,
 * so a stale count is at most an overestimate: at the time of the choice
 * the list holds at most floor(blocked / K) entries, so no list ever
 * holds more than ceil(peak blocked / K), the bound on a handler's scan.
 * A move adds from another pCPU and can beat a concurrent choice here to
 * the same list: each such race adds one entry beyond the bound.
 */
static unsigned int least_loaded(struct pi_blocked_pcpu *pc)
{
    unsigned int best = 0, best_count = ~0u;

    for ( unsigned int i = 0; i < pc->nr; i++ )
    {
        unsigned int c = __atomic_load_n(&pc->lists[i].count,
                                         __ATOMIC_RELAXED);

        if ( c < best_count )
        {
            best = i;
            best_count = c;
            /*
             * An empty list cannot be beaten, and later ties lose: with
             * K in the hundreds this ends the look-up at the first
             * empty list instead of reading every count.
             */
            if ( !c )
                break;
        }
    }
    return best;
}

bool pi_blocked_enter(struct vcpu *v)
{
    unsigned int cpu = smp_processor_id();
    struct pi_blocked_pcpu *pc = &per_cpu(pi_blocked, cpu);
    struct hvm_vcpu *h = v->hvm;
    struct pi_desc *pi = vcpu_pi_desc(v);
    struct pi_blocked_list *l;
    unsigned int best, blocked;
    unsigned long flags;
    u64 old, new;

    /* Off every list since it last ran: see hvm_vcpu_run()'s resume. */
    ASSERT(__atomic_load_n(&h->pi_blocked_cpu, __ATOMIC_RELAXED) < 0);
    ASSERT(pc->nr);

    best = least_loaded(pc);
    l = &pc->lists[best];

    /*
     * Entry and NV change together under l->lock, so outside it a
     * blocked vCPU is on exactly one list, the one its NV names.
     */
    spin_lock_irqsave(&l->lock, flags);
    h->pi_blocked_vcpu = v;
    /* Read without the lock by leave and move: see their checks. */
    __atomic_store_n(&h->pi_blocked_index, (int)best, __ATOMIC_RELAXED);
    list_add_tail(&h->pi_blocked_link, &l->vcpus);
    blocked = blocked_count_add(l, pc, 1);
    __atomic_store_n(&h->pi_blocked_cpu, (int)cpu, __ATOMIC_RELAXED);

    /*
     * Point the descriptor at this list, unless an interrupt is posted
     * already.  The cmpxchg and a poster's ON fetch-or are RMWs of the
     * same word, so they are ordered: either the poster's comes first,
     * then the value we compare against has ON (we stop, NV unchanged,
     * and v does not sleep), or ours comes first, then the poster reads
     * NV = l->vector, NDST = this pCPU and SN = 0 with its ON and sends
     * that vector here.  We hold l->lock with interrupts off until v is
     * on the list, so that handler, which takes l->lock, finds v.
     * A vCPU with a posted interrupt never sleeps.
     */
    old = __atomic_load_n(&pi->control, __ATOMIC_RELAXED);
    do {
        if ( old & PI_ON )
            break;
        new = (old & ~(PI_SN | PI_NV_MASK | PI_NDST_MASK)) |
              ((u64)l->vector << PI_NV_SHIFT) |
              ((u64)ndst_of_cpu(cpu) << PI_NDST_SHIFT);
    } while ( !__atomic_compare_exchange_n(&pi->control, &old, new, false,
                                           __ATOMIC_SEQ_CST,
                                           __ATOMIC_RELAXED) );

    if ( old & PI_ON )
    {
        /*
         * Posted before we could switch: undo the list entry.  The
         * descriptor still says "running here" (posted vector, SN = 0),
         * which is right: v goes back into the guest.
         */
        list_remove_locked(l, pc, h);
        spin_unlock_irqrestore(&l->lock, flags);
        __atomic_fetch_and(&v->pause_flags, ~VPF_blocked, __ATOMIC_SEQ_CST);
        return false;
    }

    /* The count our add made, so no concurrent removal hides a peak. */
    peak_note(pc, blocked);
    spin_unlock_irqrestore(&l->lock, flags);
    return true;
}

void pi_blocked_leave(struct vcpu *v)
{
    struct hvm_vcpu *h = v->hvm;
    unsigned long flags;

    for ( ; ; )
    {
        struct pi_blocked_pcpu *pc;
        struct pi_blocked_list *l;
        bool here;
        int cpu, idx;

        /*
         * Acquire, pairing with the release stores of list_remove_locked()
         * and pi_blocked_move(): -1 means the handler (or an earlier
         * leave) took v off, with everything it did to the descriptor
         * done.  A value >= 0 names the list v joined in its last HLT
         * or a list a move put it on since; v is not running, so only a
         * move or the handler can change it while we look.  cpu and idx
         * are two loads and a move may run between them: the check
         * under the lock below catches that.
         */
        cpu = __atomic_load_n(&h->pi_blocked_cpu, __ATOMIC_ACQUIRE);
        if ( cpu < 0 )
            return;
        idx = __atomic_load_n(&h->pi_blocked_index, __ATOMIC_RELAXED);
        pc = &per_cpu(pi_blocked, cpu);
        l = &pc->lists[idx];

        spin_lock_irqsave(&l->lock, flags);
        /*
         * The fields change only under the lock of the list v is on
         * (a move holds both lists' locks).  So if, under l's lock,
         * they name l, v is on l and stays there until we unlock.
         * Otherwise the handler took v off (-1: done) or a move took
         * it to another list (look again).
         */
        here = h->pi_blocked_cpu == cpu && h->pi_blocked_index == idx;
        if ( here )
            list_remove_locked(l, pc, h);
        spin_unlock_irqrestore(&l->lock, flags);
        if ( here )
            break;
    }

    /*
     * The descriptor may still name l's vector: the caller switches it
     * next (pi_set_running).  A post in between sends l's vector to
     * pCPU cpu, whose handler finds nothing of v's: a spurious run.
     */
}

bool pi_blocked_move(struct vcpu *v, unsigned int cpu)
{
    struct hvm_vcpu *h = v->hvm;
    struct pi_desc *pi = vcpu_pi_desc(v);
    struct pi_blocked_pcpu *opc, *npc;
    struct pi_blocked_list *ol, *nl, *first, *second;
    unsigned int ni, blocked;
    unsigned long flags;
    bool moved = false;
    int ocpu, oi;
    u64 old, new;

    if ( cpu >= NR_CPUS || !cpumask_test_cpu(cpu, &cpu_online_map) )
        return false;
    npc = &per_cpu(pi_blocked, cpu);
    /* Acquire: pairs with pi_blocked_cpu_init()'s release of nr. */
    if ( !__atomic_load_n(&npc->nr, __ATOMIC_ACQUIRE) )
        return false;

    /*
     * A first look without locks, to know which locks to take; checked
     * again under them.  Acquire for the same reason as in
     * pi_blocked_leave().
     */
    ocpu = __atomic_load_n(&h->pi_blocked_cpu, __ATOMIC_ACQUIRE);
    if ( ocpu < 0 || ocpu == (int)cpu )
        return false;
    oi = __atomic_load_n(&h->pi_blocked_index, __ATOMIC_RELAXED);
    opc = &per_cpu(pi_blocked, ocpu);
    ol = &opc->lists[oi];
    ni = least_loaded(npc);
    nl = &npc->lists[ni];

    /*
     * Both locks, in ascending (pCPU, index) order (the pCPUs differ),
     * with interrupts off as every list lock is.  While we hold them
     * neither list's handler, nor a leave, nor another move can touch
     * v's entry or fields: the move of the entry, of the fields and of
     * NV/NDST is one step for all of them.
     */
    first = (unsigned int)ocpu < cpu ? ol : nl;
    second = first == ol ? nl : ol;
    local_irq_save(flags);
    spin_lock(&first->lock);
    spin_lock(&second->lock);

    /*
     * Still on ol?  If not, the handler or a leave took v off (it is
     * being woken and will run where the scheduler puts it) or another
     * move moved it: nothing to do.  If v's pCPU is no longer 'cpu', a
     * later pinning moved it again and makes its own move.
     */
    if ( h->pi_blocked_cpu != ocpu || h->pi_blocked_index != oi ||
         READ_ONCE(v->processor) != cpu )
        goto out;

    /*
     * Rewrite NV and NDST unless ON is set, with a cmpxchg of the
     * control word.  A poster's ON fetch-or (pi_post() step 2) is an RMW
     * of the same word, so the two are ordered:
     *  - the post's comes first: we read ON here and leave v where it
     *    is.  That post owns ON, read ol's vector and pCPU with it and
     *    notifies ol; ol's handler takes ol's lock after we drop it,
     *    finds v with ON and wakes it.  v never sleeps with ON set and
     *    the post is not lost;
     *  - ours comes first: the post reads nl's vector and the new NDST
     *    (SN stays 0) with its ON, and notifies nl on 'cpu'; that
     *    handler takes nl's lock, which we hold until v is on nl, so it
     *    finds v there.
     * A post that finds ON already set notifies nobody; its bit is
     * taken by the sync after the wake the ON owner caused.  v is on ol
     * until the list_del() below and on nl after list_add_tail(), both
     * under both locks: never on two lists for anyone who looks under
     * a lock.  SN is 0 already: v is on a list.
     */
    old = __atomic_load_n(&pi->control, __ATOMIC_RELAXED);
    do {
        if ( old & PI_ON )
            goto out;
        new = (old & ~(PI_NV_MASK | PI_NDST_MASK)) |
              ((u64)nl->vector << PI_NV_SHIFT) |
              ((u64)ndst_of_cpu(cpu) << PI_NDST_SHIFT);
    } while ( !__atomic_compare_exchange_n(&pi->control, &old, new, false,
                                           __ATOMIC_SEQ_CST,
                                           __ATOMIC_RELAXED) );

    list_del(&h->pi_blocked_link);
    blocked_count_add(ol, opc, -1);
    list_add_tail(&h->pi_blocked_link, &nl->vcpus);
    blocked = blocked_count_add(nl, npc, 1);
    __atomic_store_n(&h->pi_blocked_index, (int)ni, __ATOMIC_RELAXED);
    /*
     * Release, index first: a leave that reads the new pCPU with acquire
     * reads the new index too (and checks both under nl's lock anyway).
     */
    __atomic_store_n(&h->pi_blocked_cpu, (int)cpu, __ATOMIC_RELEASE);
    peak_note(npc, blocked);
    moved = true;

 out:
    spin_unlock(&second->lock);
    spin_unlock(&first->lock);
    local_irq_restore(flags);
    return moved;
}

bool pi_blocked_on_list(const struct vcpu *v)
{
    return __atomic_load_n(&v->hvm->pi_blocked_cpu, __ATOMIC_ACQUIRE) >= 0;
}

/*
 * A wakeup vector: this pCPU's list for it has one or more vCPUs with
 * ON set.  Interrupt context, interrupts off (interrupt gate).
 */
static void pi_wakeup_interrupt(struct cpu_user_regs *regs)
{
    unsigned int cpu = smp_processor_id();
    struct pi_blocked_pcpu *pc = &per_cpu(pi_blocked, cpu);
    unsigned int vec = (unsigned int)regs->vector, idx = 0;
    unsigned int scanned = 0, woken = 0;
    struct hvm_vcpu *h, *tmp;
    struct pi_blocked_list *l;
    u64 t0 = rdtsc();

    if ( vec >= PI_POOL_FIRST && vec <= PI_POOL_LAST )
        idx = pc->index_of[vec - PI_POOL_FIRST];
    if ( !idx )
    {
        printk(XENLOG_WARNING "CPU%u: wakeup vector %#x has no list\n",
               cpu, vec);
        return;
    }
    l = &pc->lists[idx - 1];

    spin_lock(&l->lock);
    list_for_each_entry_safe ( h, tmp, &l->vcpus, pi_blocked_link )
    {
        struct vcpu *v = h->pi_blocked_vcpu;
        struct pi_desc *pi = vcpu_pi_desc(v);
        u64 old;

        scanned++;
        /*
         * The poster set ON with a locked RMW before it sent the IPI
         * that got us here, so its ON is visible to this load.
         */
        old = __atomic_load_n(&pi->control, __ATOMIC_SEQ_CST);
        if ( !(old & PI_ON) )
            continue;

        /*
         * Back to "runnable, not running" (NV = the posted vector,
         * SN = 1, ON kept) before v leaves the list: later posts then
         * notify nobody, and the next entry's sync picks them up.  This
         * happens under l->lock, before list_remove_locked()'s release
         * store; whoever runs v next calls pi_blocked_leave() first,
         * which takes l->lock or reads -1 with acquire, so its
         * pi_set_running() comes after this switch in the control
         * word's order and is the one that stays.  Done the other way
         * round, a late switch here could leave a running vCPU with
         * SN = 1, deaf to notifications.
         */
        while ( !__atomic_compare_exchange_n(
                    &pi->control, &old,
                    (old & ~PI_NV_MASK) | PI_SN |
                    ((u64)POSTED_INTR_VECTOR << PI_NV_SHIFT),
                    false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED) )
            ;
        list_remove_locked(l, pc, h);
        woken++;

        /*
         * Of several wakers (this handler, INIT/SIPI/NMI kicks) exactly
         * one clears VPF_blocked and calls vcpu_wake().  It takes v's
         * schedule lock with interrupts off, which is allowed here: no
         * schedule lock holder ever waits for a list lock.
         */
        if ( __atomic_fetch_and(&v->pause_flags, ~VPF_blocked,
                                __ATOMIC_SEQ_CST) & VPF_blocked )
            vcpu_wake(v);
    }

    l->stats.handler_runs++;
    l->stats.entries_scanned += scanned;
    l->stats.woken += woken;
    if ( !woken )
        l->stats.spurious++;
    if ( scanned > l->stats.max_scan )
        l->stats.max_scan = scanned;
    /* The scan and the wakes, lock wait included (not the entry stub). */
    l->stats.handler_cycles += rdtsc() - t0;
    spin_unlock(&l->lock);
}

bool pi_wakeup_stats_get(unsigned int cpu, unsigned int index,
                         struct pi_wakeup_stats *out, u8 *vector,
                         unsigned int *nr_blocked)
{
    struct pi_blocked_pcpu *pc;
    struct pi_blocked_list *l;
    unsigned long flags;

    if ( cpu >= NR_CPUS || !cpumask_test_cpu(cpu, &cpu_online_map) )
        return false;
    pc = &per_cpu(pi_blocked, cpu);
    if ( index >= __atomic_load_n(&pc->nr, __ATOMIC_ACQUIRE) )
        return false;
    l = &pc->lists[index];

    spin_lock_irqsave(&l->lock, flags);
    if ( out )
        *out = l->stats;
    if ( vector )
        *vector = l->vector;
    if ( nr_blocked )
        *nr_blocked = l->count;
    spin_unlock_irqrestore(&l->lock, flags);
    return true;
}

bool pi_blocked_cpu_stats(unsigned int cpu, unsigned int *nr_vectors,
                          unsigned int *nr_blocked, unsigned int *peak)
{
    struct pi_blocked_pcpu *pc;

    if ( cpu >= NR_CPUS || !cpumask_test_cpu(cpu, &cpu_online_map) )
        return false;
    pc = &per_cpu(pi_blocked, cpu);
    *nr_vectors = __atomic_load_n(&pc->nr, __ATOMIC_ACQUIRE);
    if ( !*nr_vectors )
        return false;
    *nr_blocked = __atomic_load_n(&pc->nr_blocked, __ATOMIC_RELAXED);
    *peak = READ_ONCE(pc->peak_blocked);
    return true;
}

/* One list, copied under its lock and printed after (console lock). */
static void dump_list(struct pi_blocked_list *l, unsigned int *idle)
{
    struct { u16 dom, vcpu; } names[DUMP_NAMES];
    struct pi_wakeup_stats s;
    unsigned int count, n = 0;
    struct hvm_vcpu *h;
    unsigned long flags;
    char line[16 * DUMP_NAMES + 8];
    int len = 0;

    spin_lock_irqsave(&l->lock, flags);
    s = l->stats;
    count = l->count;
    list_for_each_entry ( h, &l->vcpus, pi_blocked_link )
    {
        if ( n == DUMP_NAMES )
            break;
        names[n].dom = h->pi_blocked_vcpu->domain->domain_id;
        names[n].vcpu = h->pi_blocked_vcpu->vcpu_id;
        n++;
    }
    spin_unlock_irqrestore(&l->lock, flags);

    if ( !count && !s.handler_runs )
    {
        (*idle)++;
        return;
    }
    line[0] = '\0';
    for ( unsigned int i = 0; i < n && len < (int)sizeof(line); i++ )
        len += snprintf(line + len, sizeof(line) - len, " d%uv%u",
                        names[i].dom, names[i].vcpu);
    if ( count > n && len < (int)sizeof(line) )
        snprintf(line + len, sizeof(line) - len, " +%u", count - n);
    printk("  vec %#x: blocked %u [%s ] runs %lu scanned %lu woken %lu "
           "spurious %lu max_scan %lu\n", l->vector, count, line,
           (unsigned long)s.handler_runs, (unsigned long)s.entries_scanned,
           (unsigned long)s.woken, (unsigned long)s.spurious,
           (unsigned long)s.max_scan);
}

void pi_blocked_dump(void)
{
    unsigned int cpu, k = nr_wakeup_vectors, blocked = 0;
    struct pi_wakeup_stats all = { 0 };

    printk("'i' pressed -> dumping interrupt and wakeup-vector state\n");
    printk("PI wakeup vectors: %u per pCPU, pool %#x-%#x\n", k,
           PI_POOL_FIRST, PI_POOL_LAST);
    for_each_online_cpu ( cpu )
    {
        struct pi_blocked_pcpu *pc = &per_cpu(pi_blocked, cpu);
        unsigned int nr = __atomic_load_n(&pc->nr, __ATOMIC_ACQUIRE);
        struct pi_wakeup_stats t = { 0 };
        unsigned int idle = 0, lo = NR_VECTORS, hi = 0;

        if ( !nr )
        {
            printk("CPU%u: no wakeup lists\n", cpu);
            continue;
        }
        for ( unsigned int i = 0; i < nr; i++ )
        {
            struct pi_wakeup_stats s;

            /* Lists past 64 count down from the dynamic range's top. */
            lo = min(lo, (unsigned int)pc->lists[i].vector);
            hi = max(hi, (unsigned int)pc->lists[i].vector);

            if ( !pi_wakeup_stats_get(cpu, i, &s, NULL, NULL) )
                continue;
            t.handler_runs += s.handler_runs;
            t.entries_scanned += s.entries_scanned;
            t.woken += s.woken;
            t.spurious += s.spurious;
            if ( s.max_scan > t.max_scan )
                t.max_scan = s.max_scan;
        }
        printk("CPU%u: vectors %#x-%#x blocked %u peak %u runs %lu "
               "scanned %lu woken %lu spurious %lu max_scan %lu\n", cpu,
               lo, hi,
               __atomic_load_n(&pc->nr_blocked, __ATOMIC_RELAXED),
               READ_ONCE(pc->peak_blocked), (unsigned long)t.handler_runs,
               (unsigned long)t.entries_scanned, (unsigned long)t.woken,
               (unsigned long)t.spurious, (unsigned long)t.max_scan);
        for ( unsigned int i = 0; i < nr; i++ )
            dump_list(&pc->lists[i], &idle);
        if ( idle )
            printk("  (%u idle list%s not shown)\n", idle,
                   idle == 1 ? "" : "s");
        blocked += __atomic_load_n(&pc->nr_blocked, __ATOMIC_RELAXED);
        all.handler_runs += t.handler_runs;
        all.entries_scanned += t.entries_scanned;
        all.woken += t.woken;
        all.spurious += t.spurious;
        if ( t.max_scan > all.max_scan )
            all.max_scan = t.max_scan;
    }
    /* Last, so a reader knows the dump is complete. */
    printk("All pCPUs: blocked %u runs %lu scanned %lu woken %lu spurious %lu "
           "max_scan %lu\n", blocked, (unsigned long)all.handler_runs,
           (unsigned long)all.entries_scanned, (unsigned long)all.woken,
           (unsigned long)all.spurious, (unsigned long)all.max_scan);
}

/*
 * ipi_destinations: each way of addressing an IPI reaches exactly the CPUs
 * it should, each exactly once, whichever CPU sends it:
 *   xAPIC physical (every CPU's ID, an absent ID, broadcast 0xff),
 *   shorthands self, all-including-self and all-excluding-self,
 *   xAPIC logical flat (DFR 0xffffffff, LDR one bit per CPU),
 *   xAPIC logical cluster (DFR 0x0fffffff, two CPUs per cluster),
 *   and when the CPU has x2APIC: physical (x2APIC IDs, broadcast
 *   0xffffffff, 0xff which is no broadcast in x2APIC mode), shorthands and
 *   logical (the read-only LDR derived from the x2APIC ID, checked too).
 * After the expected CPUs have their IPI, the test waits settle_us
 * (default 2000) for anything extra before counting.
 *
 * The SDM (10.6.2.2, cluster model): "Broadcast to all local APICs is
 * achieved by setting all destination bits to one. This guarantees a match
 * on all clusters". QEMU 7.2 does not do that (it matches cluster 0xf
 * against the LDR like any other cluster), so natively on QEMU that one
 * case is turned off with cluster_bcast=0.
 *
 * In x2APIC mode only 0xffffffff is the broadcast ID (SDM 10.12.9); 0xff is
 * an ordinary ID that no CPU here has, so an IPI to it reaches nobody (as
 * KVM implements it). Bochs 2.7 still broadcasts it, so natively on Bochs
 * that case is turned off with x2apic_ff=0.
 *
 * Entering x2APIC mode must give each LAPIC the LDR derived from its x2APIC
 * ID, whatever its xAPIC LDR was; the test clears the xAPIC LDR first so a
 * stale copy shows. Bochs 2.7 keeps the stale xAPIC value (its set_base()
 * derives the LDR only when leaving x2APIC mode), so natively on Bochs
 * x2apic_ldr_preset=1 first sets the xAPIC LDR to 1 << APIC ID, which is
 * what the derived x2APIC LDR is for IDs 0-7.
 *
 * Environment: settle_us=T, cluster_bcast=0|1, x2apic_ff=0|1 (default 1),
 *              x2apic_ldr_preset=0|1 (default 0).
 */
#include "test.h"

const char test_name[] = "ipi_destinations";

#define VEC_DEST        0x60
#define ARRIVE_US       200000

struct send
{
    uint32_t dest, icr;
};

static volatile uint32_t got[MAX_CPUS];
static struct send send_args;
static uint32_t settle_us, cluster_bcast, x2apic_ff, x2apic_ldr_preset;
static unsigned int ncases;
static uint32_t ldr[MAX_CPUS];

static void on_dest(struct regs *r)
{
    (void)r;
    got[smp_cpu()]++;
    apic_eoi();
}

static void do_send(void *arg)
{
    const struct send *s = arg;

    apic_icr(s->dest, s->icr);
}

static void expect(const char *what, unsigned int sender, uint32_t dest,
                   uint32_t icr, uint32_t want)
{
    uint64_t end;
    unsigned int i;

    for ( i = 0; i < nr_cpus; i++ )
        got[i] = 0;
    send_args.dest = dest;
    send_args.icr = icr | APIC_DM_FIXED | VEC_DEST;
    barrier();
    if ( sender == 0 )
        do_send(&send_args);
    else
    {
        smp_call(sender, do_send, &send_args);
        if ( !smp_call_wait(sender, 1000000) )
            test_fail("%s: cpu %u did not get round to sending", what,
                      sender);
    }

    end = deadline_us(ARRIVE_US);
    for ( ;; )
    {
        bool all = true;

        for ( i = 0; i < nr_cpus; i++ )
            if ( (want >> i) & 1 && !got[i] )
                all = false;
        if ( all || rdtsc() >= end )
            break;
        cpu_relax();
    }
    udelay(settle_us);

    for ( i = 0; i < nr_cpus; i++ )
        CHECK(got[i] == ((want >> i) & 1), "%s sent by cpu %u (dest %#x, "
              "ICR %#x): cpu %u got %u IPIs, expected %u", what, sender,
              dest, send_args.icr, i, got[i], (want >> i) & 1);
    ncases++;
}

static void set_flat(void *arg)
{
    (void)arg;
    apic_write(APIC_DFR, APIC_DFR_FLAT);
    apic_write(APIC_LDR, (1u << smp_cpu()) << 24);
}

static uint32_t cluster_ldr(unsigned int i)
{
    return ((i >> 1) << 4) | (1u << (i & 1));
}

static void set_cluster(void *arg)
{
    (void)arg;
    apic_write(APIC_DFR, APIC_DFR_CLUSTER);
    apic_write(APIC_LDR, cluster_ldr(smp_cpu()) << 24);
}

static void to_x2apic(void *arg)
{
    uint32_t id = this_cpu()->apic_id;

    (void)arg;
    apic_write(APIC_DFR, APIC_DFR_FLAT);
    apic_write(APIC_LDR, x2apic_ldr_preset && id < 8 ? (1u << id) << 24 : 0);
    apic_setup(APIC_MODE_X2APIC);
    ldr[smp_cpu()] = apic_read(APIC_LDR);
}

static bool id_present(uint32_t id)
{
    return smp_cpu_of(id) >= 0;
}

static unsigned int physical_and_shorthands(uint32_t bcast)
{
    uint32_t all = (1u << nr_cpus) - 1, absent = 0;
    unsigned int s, t, start = ncases;

    while ( id_present(absent) )
        absent++;
    for ( s = 0; s < nr_cpus; s++ )
    {
        for ( t = 0; t < nr_cpus; t++ )
            expect("physical", s, percpu[t].apic_id, 0, 1u << t);
        if ( absent != bcast )
            expect("physical to an absent APIC ID", s, absent, 0, 0);
        expect("physical broadcast", s, bcast, 0, all);
        if ( bcast != 0xff && x2apic_ff && !id_present(0xff) )
            expect("physical 0xff in x2APIC mode (no broadcast)", s, 0xff,
                   0, 0);
        expect("shorthand self", s, 0, APIC_SH_SELF, 1u << s);
        expect("shorthand all including self", s, 0, APIC_SH_ALL, all);
        expect("shorthand all excluding self", s, 0, APIC_SH_OTHERS,
               all & ~(1u << s));
    }
    return ncases - start;
}

void test_main(void)
{
    uint32_t all, mask;
    unsigned int s, t, c, n_phys, n_flat = 0, n_cluster = 0, n_x2 = 0;
    unsigned int n_x2_phys = 0;
    char x2[96] = "x2APIC absent, not tested";

    settle_us = env_u32("settle_us", 2000);
    cluster_bcast = env_u32("cluster_bcast", 1);
    x2apic_ff = env_u32("x2apic_ff", 1);
    x2apic_ldr_preset = env_u32("x2apic_ldr_preset", 0);
    platform_init(APIC_MODE_XAPIC, true);
    idt_set_handler(VEC_DEST, on_dest);
    sti();
    all = (1u << nr_cpus) - 1;

    n_phys = physical_and_shorthands(0xff);
    printf("ipi_destinations: xAPIC physical and shorthands: %u cases\n",
           n_phys);

    /* Logical flat: 8 LDR bits, so up to 8 CPUs. */
    if ( nr_cpus <= 8 )
    {
        smp_call_all(set_flat, NULL, 1000000);
        for ( s = 0; s < nr_cpus; s++ )
        {
            for ( t = 0; t < nr_cpus; t++ )
                expect("logical flat", s, 1u << t, APIC_DEST_LOGICAL,
                       1u << t);
            expect("logical flat, all CPUs' bits", s, all,
                   APIC_DEST_LOGICAL, all);
            expect("logical flat, even CPUs", s, 0x55 & all,
                   APIC_DEST_LOGICAL, 0x55 & all);
            expect("logical flat broadcast 0xff", s, 0xff,
                   APIC_DEST_LOGICAL, all);
            if ( nr_cpus < 8 )
                expect("logical flat, a bit no CPU has", s, 1u << nr_cpus,
                       APIC_DEST_LOGICAL, 0);
        }
        n_flat = ncases - n_phys;
        printf("ipi_destinations: xAPIC logical flat: %u cases\n", n_flat);
    }

    /* Logical cluster: cluster i/2, bit i%2 (15 clusters of 4 possible). */
    if ( nr_cpus <= 30 )
    {
        unsigned int nclusters = (nr_cpus + 1) / 2;

        smp_call_all(set_cluster, NULL, 1000000);
        for ( s = 0; s < nr_cpus; s++ )
        {
            for ( t = 0; t < nr_cpus; t++ )
                expect("logical cluster", s, cluster_ldr(t),
                       APIC_DEST_LOGICAL, 1u << t);
            for ( c = 0; c < nclusters; c++ )
            {
                mask = (3u << (2 * c)) & all;
                expect("logical cluster, both CPUs of a cluster", s,
                       (c << 4) | 0x3, APIC_DEST_LOGICAL, mask);
            }
            expect("logical cluster, bits no CPU of cluster 0 has", s, 0x0c,
                   APIC_DEST_LOGICAL, 0);
            if ( nclusters < 15 )
                expect("logical cluster, a cluster with no CPU", s,
                       (nclusters << 4) | 0x1, APIC_DEST_LOGICAL, 0);
            if ( cluster_bcast )
                expect("logical cluster broadcast 0xff", s, 0xff,
                       APIC_DEST_LOGICAL, all);
        }
        n_cluster = ncases - n_phys - n_flat;
        printf("ipi_destinations: xAPIC logical cluster: %u cases%s\n",
               n_cluster, cluster_bcast ? "" : " (broadcast 0xff not tested)");
    }

    if ( apic_has_x2apic() )
    {
        unsigned int before;

        smp_call_all(to_x2apic, NULL, 1000000);
        before = ncases;
        n_x2_phys = physical_and_shorthands(0xffffffffu);
        for ( t = 0; t < nr_cpus; t++ )
        {
            uint32_t id = percpu[t].apic_id;
            uint32_t want = ((id >> 4) << 16) | (1u << (id & 0xf));

            CHECK(ldr[t] == want, "x2APIC LDR of cpu %u (ID %u) is %#x, "
                  "expected %#x", t, id, ldr[t], want);
        }
        for ( s = 0; s < nr_cpus; s++ )
        {
            uint32_t c0 = 0, c0_cpus = 0, c0_bits = 0;

            for ( t = 0; t < nr_cpus; t++ )
            {
                expect("x2APIC logical", s, ldr[t], APIC_DEST_LOGICAL,
                       1u << t);
                if ( !(ldr[t] >> 16) )
                {
                    c0 |= ldr[t];
                    c0_cpus |= 1u << t;
                }
            }
            c0_bits = c0 & 0xffff;
            if ( c0_bits )
                expect("x2APIC logical, all of cluster 0", s, c0,
                       APIC_DEST_LOGICAL, c0_cpus);
            if ( c0_bits != 0xffff )
                expect("x2APIC logical, a bit no CPU of cluster 0 has", s,
                       ~c0_bits & (c0_bits + 1) & 0xffff,
                       APIC_DEST_LOGICAL, 0);
            expect("x2APIC logical broadcast 0xffffffff", s, 0xffffffffu,
                   APIC_DEST_LOGICAL, all);
        }
        n_x2 = ncases - before;
        printf("ipi_destinations: x2APIC: %u cases\n", n_x2);
        snprintf(x2, sizeof(x2), "x2APIC %u (physical and shorthands %u%s%s)",
                 n_x2, n_x2_phys, x2apic_ff ? "" : ", 0xff not tested",
                 x2apic_ldr_preset ? ", LDR preset" : "");
    }

    test_pass("%u CPUs, %u cases each reached exactly the CPUs it should: "
              "xAPIC physical and shorthands %u, logical flat %u, logical "
              "cluster %u%s, %s", nr_cpus, ncases, n_phys, n_flat, n_cluster,
              cluster_bcast ? "" : " (without broadcast 0xff)", x2);
}

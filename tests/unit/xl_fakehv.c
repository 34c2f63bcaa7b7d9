/*
 * The fake hypervisor behind the test build of xl-lite (xl_fakehv.h):
 * xll_open() for that build, answering the domctls and sysctls xl-lite
 * makes from a shared file instead of /dev/xen-lite/privcmd.  It checks
 * what the real one checks where the tests depend on it (interface
 * versions, ids, the building order) and nothing more.
 */
#define _GNU_SOURCE             /* asprintf */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <public/errno.h>

#include "libxl-lite.h"
#include "xl_fakehv.h"

struct fake
{
    int fd;
    struct fake_hv *hv;
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void ring_put(struct fake_hv *hv, const char *s)
{
    size_t n = strlen(s);

    if ( hv->ring_len + n <= FAKE_RING )
    {
        memcpy(hv->ring + hv->ring_len, s, n);
        hv->ring_len += n;
    }
}

struct fake_hv *fake_hv_map(const char *path, int *fdp)
{
    struct fake_hv *hv;
    struct stat st;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if ( fd < 0 )
        return NULL;
    flock(fd, LOCK_EX);
    if ( fstat(fd, &st) || (st.st_size < (off_t)sizeof(*hv) &&
                            ftruncate(fd, sizeof(*hv))) )
        goto fail;
    hv = mmap(NULL, sizeof(*hv), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if ( hv == MAP_FAILED )
        goto fail;
    if ( hv->magic != FAKE_MAGIC )
    {
        memset(hv, 0, sizeof(*hv));
        hv->magic = FAKE_MAGIC;
        hv->next_id = 1;
        hv->tslice_ms = 30;
        hv->ratelimit_us = 1000;
        hv->doms[0].used = true;
        hv->doms[0].privileged = true;
        hv->doms[0].vcpu0_up = true;
        hv->doms[0].has_ram = true;
        hv->doms[0].max_vcpus = 2;
        hv->doms[0].tot_pages = hv->doms[0].max_pages = 1024 * 256;
        hv->doms[0].weight = 256;
        memset(hv->doms[0].affinity, 0xff, sizeof(hv->doms[0].affinity));
        ring_put(hv, "(XEN) fake hypervisor up\n");
    }
    flock(fd, LOCK_UN);
    *fdp = fd;
    return hv;
 fail:
    flock(fd, LOCK_UN);
    close(fd);
    return NULL;
}

static struct fake_dom *dom_by_id(struct fake_hv *hv, uint32_t id)
{
    for ( unsigned int i = 0; i < FAKE_MAX_DOMS; i++ )
        if ( hv->doms[i].used && hv->doms[i].id == id )
            return &hv->doms[i];
    return NULL;
}

static void info_of(const struct fake_dom *d,
                    struct xen_domctl_getdomaininfo *info)
{
    memset(info, 0, sizeof(*info));
    info->domain = d->id;
    info->flags = XEN_DOMINF_hvm_guest;
    if ( d->privileged )
        info->flags |= XEN_DOMINF_privileged;
    if ( d->paused )
        info->flags |= XEN_DOMINF_paused;
    else if ( d->vcpu0_up && !d->shutdown )
        info->flags |= XEN_DOMINF_running;
    if ( d->shutdown )
        info->flags |= XEN_DOMINF_shutdown |
                       (d->reason << XEN_DOMINF_shutdownshift);
    info->tot_pages = d->tot_pages;
    info->max_pages = d->max_pages;
    info->nr_online_vcpus = d->vcpu0_up;
    info->max_vcpu_id = d->max_vcpus - 1;
    info->cpu_time = 1500000000ULL * d->vcpu0_up;
    info->create_time = d->create_time;
    info->handle[0] = d->id;
}

static int domctl(struct fake_hv *hv, struct xen_domctl *op, void *buf)
{
    struct fake_dom *d = NULL;

    if ( op->interface_version != XEN_DOMCTL_INTERFACE_VERSION )
        return -XEN_EACCES;
    if ( op->cmd != XEN_DOMCTL_createdomain &&
         op->cmd != XEN_DOMCTL_getdomaininfo )
    {
        d = dom_by_id(hv, op->domain);
        if ( !d )
            return -XEN_ESRCH;
    }
    switch ( op->cmd )
    {
    case XEN_DOMCTL_createdomain:
        for ( unsigned int i = 1; i < FAKE_MAX_DOMS; i++ )
            if ( !hv->doms[i].used )
            {
                d = &hv->doms[i];
                break;
            }
        if ( !d )
            return -XEN_ENOSPC;
        memset(d, 0, sizeof(*d));
        d->used = true;
        d->id = hv->next_id++;
        d->max_vcpus = op->u.createdomain.max_vcpus;
        d->max_pages = op->u.createdomain.max_pages;
        d->paused = true;
        d->weight = 256;
        d->create_time = now_ns();
        memset(d->affinity, 0xff, sizeof(d->affinity));
        op->domain = d->id;
        return 0;
    case XEN_DOMCTL_destroydomain:
        if ( d->privileged )
            return -XEN_EINVAL;
        d->used = false;
        return 0;
    case XEN_DOMCTL_pausedomain:
        d->paused = true;
        return 0;
    case XEN_DOMCTL_unpausedomain:
        d->paused = false;
        return 0;
    case XEN_DOMCTL_sendtrigger:
        if ( op->u.sendtrigger.trigger != XEN_DOMCTL_SENDTRIGGER_POWER ||
             op->u.sendtrigger.vcpu >= d->max_vcpus )
            return -XEN_EINVAL;
        d->power_presses++;
        return 0;
    case XEN_DOMCTL_getdomaininfo:
    {
        struct fake_dom *best = NULL;

        for ( unsigned int i = 0; i < FAKE_MAX_DOMS; i++ )
            if ( hv->doms[i].used && hv->doms[i].id >= op->domain &&
                 (!best || hv->doms[i].id < best->id) )
                best = &hv->doms[i];
        if ( !best )
            return -XEN_ESRCH;
        info_of(best, &op->u.getdomaininfo);
        op->domain = best->id;
        return 0;
    }
    case XEN_DOMCTL_getvcpuinfo:
    {
        uint32_t v = op->u.getvcpuinfo.vcpu;

        if ( v >= d->max_vcpus )
            return -XEN_EINVAL;
        memset(&op->u.getvcpuinfo, 0, sizeof(op->u.getvcpuinfo));
        op->u.getvcpuinfo.vcpu = v;
        op->u.getvcpuinfo.online = v == 0 && d->vcpu0_up;
        op->u.getvcpuinfo.running = op->u.getvcpuinfo.online && !d->paused;
        op->u.getvcpuinfo.blocked = 0;
        op->u.getvcpuinfo.cpu = v % FAKE_CPUS;
        op->u.getvcpuinfo.cpu_time = op->u.getvcpuinfo.online ?
                                     1500000000ULL : 0;
        return 0;
    }
    case XEN_DOMCTL_scheduler_op:
        if ( op->u.scheduler_op.sched_id != XEN_SCHEDULER_CREDIT )
            return -XEN_EINVAL;
        if ( op->u.scheduler_op.cmd == XEN_DOMCTL_SCHEDOP_getinfo )
        {
            op->u.scheduler_op.credit.weight = d->weight;
            op->u.scheduler_op.credit.cap = d->cap;
            return 0;
        }
        if ( !op->u.scheduler_op.credit.weight )
            return -XEN_EINVAL;
        d->weight = op->u.scheduler_op.credit.weight;
        d->cap = op->u.scheduler_op.credit.cap;
        return 0;
    case XEN_DOMCTL_populate_ram:
        if ( d->has_ram )
            return -XEN_EEXIST;
        if ( op->u.populate_ram.mem_bytes >> 12 > d->max_pages )
            return -XEN_EINVAL;
        d->has_ram = true;
        d->tot_pages = op->u.populate_ram.mem_bytes >> 12;
        return 0;
    case XEN_DOMCTL_copy_to_guest:
        if ( !d->has_ram || op->u.copy_to_guest.size > XEN_DOMCTL_COPY_MAX ||
             op->u.copy_to_guest.gpaddr + op->u.copy_to_guest.size >
             d->tot_pages << 12 )
            return -XEN_EINVAL;
        return 0;
    case XEN_DOMCTL_build_platform:
        if ( !d->has_ram )
            return -XEN_EINVAL;
        op->u.build_platform.module_paddr =
            (op->u.build_platform.kernel_end + 4095) & ~4095ULL;
        op->u.build_platform.boot.eip = op->u.build_platform.entry;
        return 0;
    case XEN_DOMCTL_setvcpucontext:
        if ( op->u.setvcpucontext.vcpu != 0 || d->vcpu0_up )
            return -XEN_EINVAL;
        d->vcpu0_up = true;
        return 0;
    case XEN_DOMCTL_setvcpuaffinity:
    case XEN_DOMCTL_getvcpuaffinity:
    {
        uint32_t v = op->u.vcpuaffinity.vcpu;

        if ( v >= d->max_vcpus || v >= FAKE_VCPUS )
            return -XEN_EINVAL;
        if ( op->cmd == XEN_DOMCTL_getvcpuaffinity )
        {
            memcpy(op->u.vcpuaffinity.cpumap, d->affinity[v],
                   sizeof(d->affinity[v]));
            for ( unsigned int w = 0; w < 4; w++ )
                op->u.vcpuaffinity.cpumap[w] &=
                    w ? 0 : (1ULL << FAKE_CPUS) - 1;
            return 0;
        }
        if ( !(op->u.vcpuaffinity.cpumap[0] & ((1ULL << FAKE_CPUS) - 1)) )
            return -XEN_EINVAL;
        memcpy(d->affinity[v], op->u.vcpuaffinity.cpumap,
               sizeof(d->affinity[v]));
        return 0;
    }
    case XEN_DOMCTL_console_io:
    {
        struct xen_domctl_console_io *io = &op->u.console_io;

        if ( io->cmd == XEN_DOMCTL_CONSOLE_WRITE )
        {
            /* The fake guest echoes each chunk back as "got: ...". */
            char line[FAKE_CONSOLE];
            int n = snprintf(line, sizeof(line), "got: %.*s",
                             (int)io->size, (const char *)buf);

            if ( d->out_len + n <= FAKE_CONSOLE )
            {
                memcpy(d->out + d->out_len, line, n);
                d->out_len += n;
            }
            return 0;
        }
        if ( io->index > d->out_len )
            io->index = d->out_len;
        if ( io->size > d->out_len - io->index )
            io->size = d->out_len - io->index;
        memcpy(buf, d->out + io->index, io->size);
        io->index += io->size;
        return 0;
    }
    }
    return -XEN_ENOSYS;
}

static int sysctl(struct fake_hv *hv, struct xen_sysctl *op, void *buf)
{
    if ( op->interface_version != XEN_SYSCTL_INTERFACE_VERSION )
        return -XEN_EACCES;
    switch ( op->cmd )
    {
    case XEN_SYSCTL_physinfo:
        op->u.physinfo.nr_cpus = FAKE_CPUS;
        op->u.physinfo.max_cpu_id = FAKE_CPUS - 1;
        op->u.physinfo.cpu_khz = 2000000;
        op->u.physinfo.capabilities = XEN_SYSCTL_PHYSCAP_hvm;
        op->u.physinfo.total_pages = 4096 * 256;
        op->u.physinfo.free_pages = 2048 * 256;
        op->u.physinfo.now = now_ns();
        return 0;
    case XEN_SYSCTL_getdomaininfolist:
    {
        struct xen_domctl_getdomaininfo *out = buf;
        uint32_t n = 0;

        for ( uint32_t id = op->u.getdomaininfolist.first_domain;
              id < 0x7ff0 && n < op->u.getdomaininfolist.max_domains; id++ )
        {
            struct fake_dom *d = dom_by_id(hv, id);

            if ( d )
                info_of(d, &out[n++]);
        }
        op->u.getdomaininfolist.num_domains = n;
        return 0;
    }
    case XEN_SYSCTL_scheduler_op:
        if ( op->u.scheduler_op.cmd == XEN_SYSCTL_SCHEDOP_putinfo )
        {
            hv->tslice_ms = op->u.scheduler_op.credit.tslice_ms;
            hv->ratelimit_us = op->u.scheduler_op.credit.ratelimit_us;
        }
        op->u.scheduler_op.credit.tslice_ms = hv->tslice_ms;
        op->u.scheduler_op.credit.ratelimit_us = hv->ratelimit_us;
        return 0;
    case XEN_SYSCTL_readconsole:
    {
        struct xen_sysctl_readconsole *rc = &op->u.readconsole;
        uint64_t from = rc->incremental ? rc->index : hv->ring_start;
        uint64_t end = hv->ring_start + hv->ring_len, n;

        if ( from < hv->ring_start )
            from = hv->ring_start;
        if ( from > end )
            from = end;
        n = end - from < rc->count ? end - from : rc->count;
        memcpy(buf, hv->ring + (from - hv->ring_start), n);
        rc->count = n;
        rc->index = from + n;
        if ( rc->clear )
        {
            hv->ring_start = end;
            hv->ring_len = 0;
        }
        return 0;
    }
    case XEN_SYSCTL_debug_keys:
        for ( uint32_t i = 0; i < op->u.debug_keys.nr_keys; i++ )
        {
            char line[32];

            snprintf(line, sizeof(line), "(XEN) debug key '%c'\n",
                     ((const char *)buf)[i]);
            ring_put(hv, line);
        }
        return 0;
    case XEN_SYSCTL_irq_stats:
        if ( op->u.irq_stats.version != XEN_IRQ_STATS_VERSION )
            return -XEN_EACCES;
        if ( op->u.irq_stats.kind == XEN_IRQ_STATS_pcpu )
        {
            struct xen_irq_stats_pcpu *p = buf;

            if ( op->u.irq_stats.cpu >= FAKE_CPUS )
                return -XEN_EINVAL;
            memset(p, 0, sizeof(*p));
            p->cpu = op->u.irq_stats.cpu;
            p->apic_id = p->cpu * 2;
            p->nr_vectors = 1;
            p->nr_blocked = 1;
            p->peak_blocked = 2;
            p->vec[0].vector = 0xf0;
            p->vec[0].nr_blocked = 1;
            p->vec[0].handler_runs = 10;
            p->vec[0].entries_scanned = 15;
            p->vec[0].max_scan = 3;
            p->vec[0].woken = 8;
            p->vec[0].spurious = 2;
        }
        else
        {
            struct xen_irq_stats_vcpu *v = buf;
            struct fake_dom *d = dom_by_id(hv, op->u.irq_stats.domid);

            if ( !d )
                return -XEN_ESRCH;
            memset(v, 0, sizeof(*v));
            v->domid = d->id;
            v->vcpu = op->u.irq_stats.vcpu;
            v->nr_exit_reasons = XEN_EXIT_NR;
            v->posts = 100;
            v->posts_coalesced = 4;
            v->notifications = 60;
            v->wakeup_notifications = 30;
            v->notifications_suppressed = 6;
            v->ipi_fastpath = 40;
            v->ipi_slowpath = 2;
            v->eoi_exits = 5;
            v->pv_eoi_skips = 90;
            v->wakes = 30;
            v->wake_latency_sum = 30 * 4000;    /* 2 us at 2 GHz */
            v->wake_latency_max = 10000;        /* 5 us */
            v->exits[XEN_EXIT_hlt] = 50;
            v->exits[XEN_EXIT_io] = 30;
            v->exits[XEN_EXIT_cpuid] = 5;
        }
        op->u.irq_stats.size = op->u.irq_stats.kind == XEN_IRQ_STATS_pcpu ?
                               sizeof(struct xen_irq_stats_pcpu) :
                               sizeof(struct xen_irq_stats_vcpu);
        return 0;
    }
    return -XEN_ENOSYS;
}

static int fake_domctl(void *priv, struct xen_domctl *op, void *buf,
                       size_t len)
{
    struct fake *f = priv;
    int rc;

    (void)len;
    flock(f->fd, LOCK_EX);
    rc = f->hv->domu ? -XEN_EPERM : domctl(f->hv, op, buf);
    flock(f->fd, LOCK_UN);
    return rc;
}

static int fake_sysctl(void *priv, struct xen_sysctl *op, void *buf,
                       size_t len)
{
    struct fake *f = priv;
    int rc;

    (void)len;
    flock(f->fd, LOCK_EX);
    rc = f->hv->domu ? -XEN_EPERM : sysctl(f->hv, op, buf);
    flock(f->fd, LOCK_UN);
    return rc;
}

static const struct xll_ops fake_ops = {
    .domctl = fake_domctl,
    .sysctl = fake_sysctl,
};

/* This build's xll_open(): the fake instead of privcmd. */
struct xll_handle *xll_open(char **err)
{
    const char *path = getenv("XL_LITE_FAKE_HV");
    static struct fake f;

    if ( !path || !(f.hv = fake_hv_map(path, &f.fd)) )
    {
        if ( err && asprintf(err, "fake hypervisor: no XL_LITE_FAKE_HV") < 0 )
            *err = NULL;
        return NULL;
    }
    return xll_open_ops(&fake_ops, &f);
}

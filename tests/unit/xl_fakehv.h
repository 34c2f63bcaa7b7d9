/*
 * A fake hypervisor for xl-lite's end-to-end tests: its state lives in a
 * file ($XL_LITE_FAKE_HV) that every xl-lite process (and the monitors
 * they fork) maps shared and changes under flock(), so that separate
 * runs of the command see one host.  The tests map it too, to play the
 * guest's part (shut down, print on the console).
 */
#ifndef XL_FAKEHV_H
#define XL_FAKEHV_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_MAX_DOMS   16
#define FAKE_VCPUS      8
#define FAKE_CPUS       4
#define FAKE_CONSOLE    4096
#define FAKE_RING       8192

struct fake_dom
{
    bool used;
    uint16_t id;
    uint32_t max_vcpus;
    uint64_t max_pages, tot_pages, create_time;
    bool paused, shutdown, has_ram, vcpu0_up, privileged;
    uint32_t reason;
    uint16_t weight, cap;
    uint64_t affinity[FAKE_VCPUS][4];
    uint32_t power_presses;         /* sendtrigger POWER */
    uint32_t out_len;               /* console output, bytes ever */
    char out[FAKE_CONSOLE];
};

struct fake_hv
{
    uint32_t magic;
    uint32_t next_id;
    uint32_t tslice_ms, ratelimit_us;
    bool domu;                      /* answer -EPERM, as to a domU */
    uint64_t ring_start, ring_len;
    char ring[FAKE_RING];
    struct fake_dom doms[FAKE_MAX_DOMS];
};

#define FAKE_MAGIC  0x66616b65u

/* Map the file (created and set up if empty); NULL on failure. */
struct fake_hv *fake_hv_map(const char *path, int *fd);

#endif /* XL_FAKEHV_H */

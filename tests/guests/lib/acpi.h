/*
 * Finding the CPUs and the IOAPIC the firmware (or the hypervisor)
 * describes: ACPI RSDP in the EBDA or 0xE0000-0xFFFFF, then the RSDT or
 * XSDT, then the MADT.
 */
#ifndef GUEST_ACPI_H
#define GUEST_ACPI_H

#include "config.h"
#include "x86.h"

struct madt_info
{
    uint32_t rsdp_addr, madt_addr;
    uint32_t lapic_addr;            /* from the MADT header */
    uint32_t ioapic_addr;           /* 0 when none is listed */
    unsigned int ncpus;             /* enabled local APICs / x2APICs */
    uint32_t apic_id[MAX_CPUS];
    unsigned int disabled;          /* entries listed but not enabled */
    bool via_xsdt;
};

/* Fills *m; on error returns a reason (for a FAIL verdict), else NULL. */
const char *acpi_read_madt(struct madt_info *m);

/*
 * The table with signature 'sig' listed in the XSDT (or RSDT), with a
 * valid checksum; NULL if there is none.
 */
const void *acpi_find_table(const char *sig);

#endif /* GUEST_ACPI_H */

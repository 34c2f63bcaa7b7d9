/*
 * ACPI table layouts and the boot-time parser that finds the RSDP, walks
 * the XSDT (or RSDT) and extracts what the hypervisor needs from the MADT
 * (local APICs, IOAPICs, overrides) and the FADT (PM timer, reset
 * register).  Firmware tables are untrusted input: every length and
 * checksum is checked before a byte is read.
 */
#ifndef XEN_ACPI_H
#define XEN_ACPI_H

#include <xen/types.h>
#include <xen/compiler.h>

struct acpi_rsdp
{
    char signature[8];          /* "RSD PTR " */
    u8 checksum;                /* over the first 20 bytes */
    char oem_id[6];
    u8 revision;                /* 0: ACPI 1.0 (20 bytes), >= 2: 36 bytes */
    u32 rsdt_address;
    u32 length;                 /* revision >= 2 */
    u64 xsdt_address;
    u8 extended_checksum;       /* over 'length' bytes */
    u8 reserved[3];
} __packed;

struct acpi_table_header
{
    char signature[4];
    u32 length;                 /* including this header */
    u8 revision;
    u8 checksum;                /* all 'length' bytes sum to zero */
    char oem_id[6];
    char oem_table_id[8];
    u32 oem_revision;
    char asl_compiler_id[4];
    u32 asl_compiler_revision;
} __packed;

struct acpi_generic_address
{
    u8 space_id;                /* 0 memory, 1 system I/O */
    u8 bit_width;
    u8 bit_offset;
    u8 access_width;
    u64 address;
} __packed;

#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO     1

struct acpi_table_madt
{
    struct acpi_table_header header;
    u32 lapic_address;
    u32 flags;                  /* bit 0: dual 8259 PICs present */
} __packed;

struct acpi_subtable_header
{
    u8 type;
    u8 length;
} __packed;

enum acpi_madt_type
{
    ACPI_MADT_LAPIC = 0,
    ACPI_MADT_IOAPIC = 1,
    ACPI_MADT_INT_OVERRIDE = 2,
    ACPI_MADT_NMI_SOURCE = 3,
    ACPI_MADT_LAPIC_NMI = 4,
    ACPI_MADT_LAPIC_OVERRIDE = 5,
    ACPI_MADT_X2APIC = 9,
    ACPI_MADT_X2APIC_NMI = 10,
};

struct acpi_madt_lapic
{
    struct acpi_subtable_header h;      /* length 8 */
    u8 processor_id;
    u8 apic_id;
    u32 flags;                          /* bit 0 enabled, bit 1 online cap. */
} __packed;

struct acpi_madt_ioapic
{
    struct acpi_subtable_header h;      /* length 12 */
    u8 id;
    u8 reserved;
    u32 address;
    u32 gsi_base;
} __packed;

struct acpi_madt_int_override
{
    struct acpi_subtable_header h;      /* length 10 */
    u8 bus;
    u8 source_irq;
    u32 gsi;
    u16 flags;
} __packed;

struct acpi_madt_lapic_override
{
    struct acpi_subtable_header h;      /* length 12 */
    u16 reserved;
    u64 address;
} __packed;

struct acpi_madt_x2apic
{
    struct acpi_subtable_header h;      /* length 16 */
    u16 reserved;
    u32 x2apic_id;
    u32 flags;
    u32 uid;
} __packed;

#define ACPI_MADT_ENABLED        1
#define ACPI_MADT_ONLINE_CAPABLE 2

/* The part of the FADT the hypervisor reads (ACPI 2.0+ layout). */
struct acpi_table_fadt
{
    struct acpi_table_header header;
    u32 facs;
    u32 dsdt;
    u8 reserved0;
    u8 preferred_pm_profile;
    u16 sci_int;
    u32 smi_cmd;
    u8 acpi_enable;
    u8 acpi_disable;
    u8 s4bios_req;
    u8 pstate_cnt;
    u32 pm1a_evt_blk;
    u32 pm1b_evt_blk;
    u32 pm1a_cnt_blk;
    u32 pm1b_cnt_blk;
    u32 pm2_cnt_blk;
    u32 pm_tmr_blk;             /* offset 76 */
    u32 gpe0_blk;
    u32 gpe1_blk;
    u8 pm1_evt_len;
    u8 pm1_cnt_len;
    u8 pm2_cnt_len;
    u8 pm_tmr_len;              /* offset 91: 4 when present */
    u8 gpe0_blk_len;
    u8 gpe1_blk_len;
    u8 gpe1_base;
    u8 cst_cnt;
    u16 p_lvl2_lat;
    u16 p_lvl3_lat;
    u16 flush_size;
    u16 flush_stride;
    u8 duty_offset;
    u8 duty_width;
    u8 day_alrm;
    u8 mon_alrm;
    u8 century;
    u16 iapc_boot_arch;
    u8 reserved1;
    u32 flags;                  /* offset 112 */
    struct acpi_generic_address reset_reg;  /* offset 116, ACPI 2.0+ */
    u8 reset_value;             /* offset 128 */
} __packed;

#define ACPI_FADT_TMR_VAL_EXT   (1u << 8)   /* PM timer is 32 bits wide */
#define ACPI_FADT_RESET_REG_SUP (1u << 10)

#define ACPI_MAX_CPUS    64
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 16

struct acpi_cpu
{
    u32 apic_id;
    u32 acpi_id;
};

struct acpi_ioapic
{
    u32 id;
    u32 address;
    u32 gsi_base;
};

struct acpi_override
{
    u8 source_irq;
    u32 gsi;
    u16 flags;
};

/* What the boot code learns from the tables. */
struct acpi_info
{
    paddr_t rsdp;
    char oem_id[7];                     /* the RSDP's, NUL-terminated */
    bool have_madt;
    u64 lapic_address;
    bool pic_present;                   /* MADT flags bit 0 */
    unsigned int nr_cpus;               /* enabled local APICs listed */
    unsigned int nr_cpus_ignored;       /* beyond ACPI_MAX_CPUS */
    struct acpi_cpu cpus[ACPI_MAX_CPUS];
    unsigned int nr_ioapics;
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    unsigned int nr_overrides;
    struct acpi_override overrides[ACPI_MAX_OVERRIDES];
    bool have_fadt;
    u32 pm_tmr_port;                    /* 0 when there is no PM timer */
    bool pm_tmr_32bit;
    bool have_reset_reg;
    struct acpi_generic_address reset_reg;
    u8 reset_value;
};

/*
 * Returns a pointer through which 'len' bytes at machine address 'pa' can
 * be read, or NULL when that range cannot be mapped (no such memory).
 */
typedef const void *(*acpi_map_fn)(paddr_t pa, size_t len);

/*
 * Look for the RSDP in the first KiB of the EBDA (if ebda is nonzero) and
 * then in 0xE0000-0xFFFFF, on 16-byte boundaries, accepting only a
 * structure whose checksums are right.  0 and *rsdp set, or -ENOENT.
 */
int acpi_find_rsdp(acpi_map_fn map, paddr_t ebda, paddr_t *rsdp);

/*
 * Parse the tables reached from the RSDP at 'rsdp'.  A table with a bad
 * checksum, a length shorter than its header or than its fixed fields, or
 * one that cannot be mapped whole is skipped with a warning; a MADT entry
 * whose length runs past the table or is shorter than its type needs ends
 * the MADT walk.  0 on success (info filled), -EINVAL when the RSDP or the
 * root table itself is unusable, -ENOENT when there is no MADT.
 */
int acpi_parse(acpi_map_fn map, paddr_t rsdp, struct acpi_info *info);

/* Sum of 'len' bytes modulo 256: zero for a valid table. */
u8 acpi_checksum(const void *p, size_t len);

#endif /* XEN_ACPI_H */

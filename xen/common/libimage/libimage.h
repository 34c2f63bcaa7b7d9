/*
 * libimage: parsing an untrusted kernel image into a load plan.  Shared by
 * the hypervisor's domain builder and the host-side tools, so it depends
 * on nothing but the compiler's freestanding headers: no allocation, no C
 * library, no hypervisor headers.
 *
 * Two boot conventions are recognised:
 * - PVH: an ELF32 or ELF64 x86 image carrying the Xen ELF note
 *   XEN_ELFNOTE_PHYS32_ENTRY (owner "Xen", type 18) whose 4- or 8-byte
 *   value is the 32-bit physical entry point (Xen's docs/misc/pvh.pandoc).
 * - Multiboot v1: a header in the first 8 KiB (Multiboot Specification
 *   0.6.96, section 3.1), with the segments from the ELF32 or ELF64
 *   program headers or, with the a.out kludge (flags bit 16), from the
 *   header's own address fields.
 * A PVH note wins over a Multiboot header: it is the more specific entry.
 *
 * Every segment is loaded at its physical address (p_paddr), never
 * relocated.  image_plan() checks the whole image before the caller
 * writes a byte; image_load() checks each segment again as it copies.
 */
#ifndef LIBIMAGE_H
#define LIBIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAGE_MAX_SEGS      16

/* Guest-physical addresses no image may load into (a PC's BIOS hole). */
#define IMAGE_HOLE_START    0xa0000ULL
#define IMAGE_HOLE_END      0x100000ULL

enum image_kind
{
    IMAGE_NONE,
    IMAGE_MULTIBOOT,            /* EAX = 0x2badb002, EBX = the MBI */
    IMAGE_PVH,                  /* EBX = hvm_start_info */
};

/* What image_plan() found wrong; image_strerror() says it in words. */
enum image_error
{
    IMAGE_OK,
    IMAGE_E_ARGS,               /* NULL pointers, zero length */
    IMAGE_E_TRUNCATED,          /* a header runs past the end of the file */
    IMAGE_E_FORMAT,             /* neither a PVH note nor Multiboot header */
    IMAGE_E_ELF,                /* not a usable x86 ELF executable */
    IMAGE_E_MB_HEADER,          /* a Multiboot header we cannot honour */
    IMAGE_E_SEGMENT,            /* bytes outside the file, filesz > memsz */
    IMAGE_E_TOO_MANY,           /* more than IMAGE_MAX_SEGS to load */
    IMAGE_E_OVERLAP,            /* two segments share guest memory */
    IMAGE_E_PLACEMENT,          /* below the floor, in the hole, past 4 GiB */
    IMAGE_E_NOTE,               /* a malformed note or PVH entry note */
    IMAGE_E_ENTRY,              /* the entry point is in no loaded segment */
    IMAGE_E_TOO_BIG,            /* well-formed, but past the end of RAM */
    IMAGE_E_NR,
};

struct image_segment
{
    uint64_t offset;            /* file bytes [offset, offset + filesz) */
    uint64_t paddr;             /* go to [paddr, paddr + filesz) */
    uint64_t filesz;
    uint64_t memsz;             /* zeroes up to paddr + memsz */
};

/* Where the guest can take an image. */
struct image_limits
{
    uint64_t min_paddr;         /* lowest address a segment may use */
    uint64_t ram_end;           /* guest RAM is [0, ram_end) */
    /*
     * Conventional memory, [0, low_ram_end), also takes segments that
     * lie wholly inside it (0: none), as the Multiboot spec lets a
     * kernel load anywhere in RAM.
     */
    uint64_t low_ram_end;
};

struct image_plan
{
    enum image_kind kind;
    uint32_t entry;             /* guest-physical, 32-bit flat mode */
    unsigned int nr_segs;
    struct image_segment segs[IMAGE_MAX_SEGS];
    uint64_t start;             /* lowest byte of any segment */
    uint64_t end;               /* one past the highest: RAM it needs */
    uint32_t mb_flags;          /* Multiboot header flags, for the MBI */
};

/*
 * Parse image[0, len) for a guest with the given limits.  Returns
 * IMAGE_OK with *plan filled in, or an error; on IMAGE_E_TOO_BIG
 * plan->start and plan->end say how much RAM the image needs.
 */
enum image_error image_plan(const void *image, size_t len,
                            const struct image_limits *lim,
                            struct image_plan *plan);

const char *image_strerror(enum image_error err);

/*
 * The caller's way into guest memory: copy n bytes of src (or zeroes,
 * with src NULL) to guest-physical paddr; n is never 0.  Returns 0 or the
 * caller's own error, which image_load() passes back.
 */
typedef int (*image_copy_fn)(void *ctx, uint64_t paddr, const void *src,
                             uint64_t n);

/*
 * Carry out a plan from image_plan() on the same image.  Each segment is
 * checked against image[0, len) and lim once more before it is copied.
 * Returns 0, the copy function's error, or -1 for a plan that does not
 * hold for this image.
 */
int image_load(const struct image_plan *plan, const void *image, size_t len,
               const struct image_limits *lim, image_copy_fn copy,
               void *ctx);

#endif /* LIBIMAGE_H */

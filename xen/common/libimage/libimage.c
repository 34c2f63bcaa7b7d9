/*
 * libimage: kernel image parsing (ELF32/ELF64 program headers, the PVH
 * entry note, the Multiboot v1 header) into a load plan, for both the
 * hypervisor and the host tools.  See libimage.h for the conventions.
 *
 * The image is untrusted.  Every field is read with explicit little-endian
 * loads at offsets checked against the file length, and every sum of two
 * file-controlled values is checked for overflow before it is used.
 */
#include "libimage.h"

#define FOUR_GB             (1ULL << 32)

/* ELF (System V gABI, chapters 4 and 5). */
#define EI_CLASS            4
#define EI_DATA             5
#define EI_VERSION          6
#define EI_NIDENT           16
#define ELFCLASS32          1
#define ELFCLASS64          2
#define ELFDATA2LSB         1
#define EV_CURRENT          1
#define ET_EXEC             2
#define EM_386              3
#define EM_X86_64           62
#define PT_LOAD             1
#define PT_NOTE             4
#define PN_XNUM             0xffff  /* count lives in section 0: refused */
#define EHDR32_SIZE         52
#define EHDR64_SIZE         64
#define PHDR32_SIZE         32
#define PHDR64_SIZE         56
#define NOTE_HDR_SIZE       12      /* namesz, descsz, type */

/* Xen's public elfnote.h: the 32-bit flat-mode PVH entry. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* Multiboot Specification 0.6.96, section 3.1. */
#define MB_HEADER_MAGIC     0x1badb002u
#define MB_SEARCH           8192
#define MB_HDR_MIN          12      /* magic, flags, checksum */
#define MB_HDR_AOUT         32      /* ... and the five address fields */
#define MB_FLAG_PAGE_ALIGN  (1u << 0)
#define MB_FLAG_MEMORY      (1u << 1)
#define MB_FLAG_AOUT_KLUDGE (1u << 16)
/* Bits 0-15 are requirements: a loader must refuse ones it cannot meet. */
#define MB_FLAGS_REQUIRED   0xffffu
#define MB_FLAGS_KNOWN      (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY)

struct img
{
    const uint8_t *p;
    uint64_t len;
};

struct elf
{
    bool is64;
    uint64_t entry;
    uint64_t phoff;
    unsigned int phnum;
    unsigned int phentsize;
};

struct phdr
{
    uint32_t type;
    uint32_t align;
    uint64_t offset, vaddr, paddr, filesz, memsz;
};

static bool in_file(const struct img *im, uint64_t off, uint64_t n)
{
    return off <= im->len && n <= im->len - off;
}

/* Callers have checked that the bytes are inside the file. */
static uint32_t le16(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
    return le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static bool is_elf(const struct img *im)
{
    return im->len >= 4 && im->p[0] == 0x7f && im->p[1] == 'E' &&
           im->p[2] == 'L' && im->p[3] == 'F';
}

static enum image_error elf_header(const struct img *im, struct elf *e)
{
    const uint8_t *h = im->p;
    unsigned int type, machine, ehsize;

    if ( !is_elf(im) )
        return IMAGE_E_ELF;
    if ( im->len < EI_NIDENT )
        return IMAGE_E_TRUNCATED;
    if ( h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64 )
        return IMAGE_E_ELF;
    if ( h[EI_DATA] != ELFDATA2LSB || h[EI_VERSION] != EV_CURRENT )
        return IMAGE_E_ELF;

    e->is64 = h[EI_CLASS] == ELFCLASS64;
    ehsize = e->is64 ? EHDR64_SIZE : EHDR32_SIZE;
    if ( im->len < ehsize )
        return IMAGE_E_TRUNCATED;

    type = le16(h + 16);
    machine = le16(h + 18);
    if ( type != ET_EXEC || le32(h + 20) != EV_CURRENT ||
         machine != (e->is64 ? EM_X86_64 : EM_386) )
        return IMAGE_E_ELF;

    if ( e->is64 )
    {
        e->entry = le64(h + 24);
        e->phoff = le64(h + 32);
        e->phentsize = le16(h + 54);
        e->phnum = le16(h + 56);
    }
    else
    {
        e->entry = le32(h + 24);
        e->phoff = le32(h + 28);
        e->phentsize = le16(h + 42);
        e->phnum = le16(h + 44);
    }
    if ( e->phentsize != (e->is64 ? PHDR64_SIZE : PHDR32_SIZE) ||
         !e->phnum || e->phnum == PN_XNUM )
        return IMAGE_E_ELF;
    /* phnum * phentsize < 2^22: no overflow. */
    if ( !in_file(im, e->phoff, (uint64_t)e->phnum * e->phentsize) )
        return IMAGE_E_TRUNCATED;
    return IMAGE_OK;
}

static void read_phdr(const struct img *im, const struct elf *e,
                      unsigned int i, struct phdr *ph)
{
    const uint8_t *p = im->p + e->phoff + (uint64_t)i * e->phentsize;

    ph->type = le32(p);
    if ( e->is64 )
    {
        ph->offset = le64(p + 8);
        ph->vaddr = le64(p + 16);
        ph->paddr = le64(p + 24);
        ph->filesz = le64(p + 32);
        ph->memsz = le64(p + 40);
        ph->align = (uint32_t)le64(p + 48);
    }
    else
    {
        ph->offset = le32(p + 4);
        ph->vaddr = le32(p + 8);
        ph->paddr = le32(p + 12);
        ph->filesz = le32(p + 16);
        ph->memsz = le32(p + 20);
        ph->align = le32(p + 28);
    }
}

/*
 * A segment to load: its bytes in the file, and guest memory it may use.
 * RAM size is checked later, once the image is known to be well formed,
 * so that "too big" is only said of images that are otherwise fine.
 */
static enum image_error add_segment(const struct img *im,
                                    const struct image_limits *lim,
                                    struct image_plan *plan,
                                    const struct image_segment *s)
{
    uint64_t end;
    unsigned int i;

    if ( !in_file(im, s->offset, s->filesz) || s->filesz > s->memsz )
        return IMAGE_E_SEGMENT;
    /* 32-bit flat entry, paging off: nothing can live past 4 GiB. */
    if ( s->paddr >= FOUR_GB || s->memsz > FOUR_GB - s->paddr )
        return IMAGE_E_PLACEMENT;
    end = s->paddr + s->memsz;
    if ( (s->paddr < lim->min_paddr && end > lim->low_ram_end) ||
         (s->paddr < IMAGE_HOLE_END && end > IMAGE_HOLE_START) )
        return IMAGE_E_PLACEMENT;
    for ( i = 0; i < plan->nr_segs; i++ )
    {
        const struct image_segment *o = &plan->segs[i];

        if ( s->paddr < o->paddr + o->memsz && o->paddr < end )
            return IMAGE_E_OVERLAP;
    }
    if ( plan->nr_segs == IMAGE_MAX_SEGS )
        return IMAGE_E_TOO_MANY;

    plan->segs[plan->nr_segs++] = *s;
    if ( plan->nr_segs == 1 || s->paddr < plan->start )
        plan->start = s->paddr;
    if ( end > plan->end )
        plan->end = end;
    return IMAGE_OK;
}

static uint64_t round_up(uint64_t v, uint64_t align)
{
    /* v < 2^32 and align <= 8: no overflow. */
    return (v + align - 1) & ~(align - 1);
}

/*
 * The notes of one PT_NOTE segment (gABI "Note Section"): a 12-byte
 * header, the owner's name and the descriptor, each padded to the
 * segment's alignment (4, or 8 for 8-aligned ELF64 note segments).  The
 * last note's padding may be cut off by the end of the segment.
 *
 * A note running past its segment ends the scan of that segment and sets
 * *garbled: a Multiboot loader never reads notes, so that alone does not
 * refuse a Multiboot kernel.  A PVH entry note that is there but wrong
 * (size, value, a second one) is an error.
 */
static enum image_error scan_notes(const struct img *im,
                                   const struct phdr *ph, bool *found,
                                   uint64_t *pvh_entry, bool *garbled)
{
    uint64_t align = ph->align == 8 ? 8 : 4, pos = 0, size = ph->filesz;
    const uint8_t *base = im->p + ph->offset;

    while ( size - pos >= NOTE_HDR_SIZE )
    {
        const uint8_t *n = base + pos;
        uint64_t namesz = le32(n), descsz = le32(n + 4);
        uint32_t type = le32(n + 8);
        const uint8_t *name, *desc;

        pos += NOTE_HDR_SIZE;
        if ( namesz > size - pos )
        {
            *garbled = true;
            break;
        }
        name = base + pos;
        pos += round_up(namesz, align);
        if ( pos > size )
            pos = size;
        if ( descsz > size - pos )
        {
            *garbled = true;
            break;
        }
        desc = base + pos;
        pos += round_up(descsz, align);
        if ( pos > size )
            pos = size;

        if ( namesz != 4 || name[0] != 'X' || name[1] != 'e' ||
             name[2] != 'n' || name[3] != '\0' ||
             type != XEN_ELFNOTE_PHYS32_ENTRY )
            continue;
        /* Two entry points: which one did the kernel mean? */
        if ( *found )
            return IMAGE_E_NOTE;
        if ( descsz == 4 )
            *pvh_entry = le32(desc);
        else if ( descsz == 8 )
            *pvh_entry = le64(desc);
        else
            return IMAGE_E_NOTE;
        if ( *pvh_entry >= FOUR_GB )
            return IMAGE_E_NOTE;
        *found = true;
    }
    return IMAGE_OK;
}

/*
 * The program headers: PT_LOAD segments into the plan, the PVH note from
 * PT_NOTE segments, and the physical address of e_entry (translated
 * through the segment whose virtual range holds it, as GRUB does).
 */
static enum image_error elf_segments(const struct img *im,
                                     const struct elf *e,
                                     const struct image_limits *lim,
                                     struct image_plan *plan,
                                     bool *have_pvh, uint64_t *pvh_entry,
                                     bool *garbled, bool *have_entry,
                                     uint64_t *entry)
{
    enum image_error rc;
    struct phdr ph;
    unsigned int i;

    for ( i = 0; i < e->phnum; i++ )
    {
        read_phdr(im, e, i, &ph);
        if ( ph.type == PT_NOTE )
        {
            if ( !in_file(im, ph.offset, ph.filesz) )
                return IMAGE_E_SEGMENT;
            rc = scan_notes(im, &ph, have_pvh, pvh_entry, garbled);
            if ( rc )
                return rc;
            continue;
        }
        if ( ph.type != PT_LOAD )
            continue;
        /* An empty segment loads nothing, wherever it claims to be. */
        if ( !ph.memsz )
        {
            if ( ph.filesz )
                return IMAGE_E_SEGMENT;
            continue;
        }
        rc = add_segment(im, lim, plan, &(struct image_segment){
            .offset = ph.offset, .paddr = ph.paddr,
            .filesz = ph.filesz, .memsz = ph.memsz });
        if ( rc )
            return rc;
        if ( !*have_entry && e->entry >= ph.vaddr &&
             e->entry - ph.vaddr < ph.memsz )
        {
            *entry = e->entry - ph.vaddr + ph.paddr;
            *have_entry = true;
        }
    }
    return plan->nr_segs ? IMAGE_OK : IMAGE_E_ELF;
}

/* The first valid Multiboot header in the first 8 KiB. */
static bool find_mb_header(const struct img *im, uint64_t *off)
{
    uint64_t window = im->len < MB_SEARCH ? im->len : MB_SEARCH, o;

    for ( o = 0; o + MB_HDR_MIN <= window; o += 4 )
    {
        uint32_t magic = le32(im->p + o), flags = le32(im->p + o + 4);

        if ( magic == MB_HEADER_MAGIC &&
             (uint32_t)(magic + flags + le32(im->p + o + 8)) == 0 )
        {
            *off = o;
            return true;
        }
    }
    return false;
}

/*
 * The a.out kludge: the header's own addresses place the file in memory
 * (header_addr is where the header itself lands) and give the entry.
 */
static enum image_error plan_aout(const struct img *im, uint64_t hoff,
                                  const struct image_limits *lim,
                                  struct image_plan *plan)
{
    const uint8_t *h = im->p + hoff;
    uint32_t header_addr, load_addr, load_end, bss_end, entry;
    struct image_segment s;
    enum image_error rc;
    uint64_t delta;

    /* The address fields must be inside the search window too. */
    if ( hoff + MB_HDR_AOUT > (im->len < MB_SEARCH ? im->len : MB_SEARCH) )
        return IMAGE_E_MB_HEADER;
    header_addr = le32(h + 12);
    load_addr = le32(h + 16);
    load_end = le32(h + 20);
    bss_end = le32(h + 24);
    entry = le32(h + 28);

    if ( load_addr > header_addr )
        return IMAGE_E_MB_HEADER;
    delta = header_addr - load_addr;
    if ( delta > hoff )
        return IMAGE_E_MB_HEADER;
    s.offset = hoff - delta;
    s.paddr = load_addr;

    if ( !load_end )
        s.filesz = im->len - s.offset;
    else if ( load_end < load_addr )
        return IMAGE_E_MB_HEADER;
    else
        s.filesz = load_end - load_addr;

    if ( !bss_end )
        s.memsz = s.filesz;
    else if ( bss_end < load_addr || bss_end - load_addr < s.filesz )
        return IMAGE_E_MB_HEADER;
    else
        s.memsz = bss_end - load_addr;
    if ( !s.memsz )
        return IMAGE_E_MB_HEADER;

    plan->nr_segs = 0;
    plan->start = plan->end = 0;
    rc = add_segment(im, lim, plan, &s);
    if ( rc )
        return rc;
    if ( entry < load_addr || entry - load_addr >= s.memsz )
        return IMAGE_E_ENTRY;
    plan->entry = entry;
    return IMAGE_OK;
}

static bool entry_in_file_bytes(const struct image_plan *plan, uint64_t a)
{
    unsigned int i;

    for ( i = 0; i < plan->nr_segs; i++ )
        if ( a >= plan->segs[i].paddr &&
             a - plan->segs[i].paddr < plan->segs[i].filesz )
            return true;
    return false;
}

static enum image_error fits(const struct image_limits *lim,
                             const struct image_plan *plan)
{
    return plan->end > lim->ram_end ? IMAGE_E_TOO_BIG : IMAGE_OK;
}

enum image_error image_plan(const void *image, size_t len,
                            const struct image_limits *lim,
                            struct image_plan *plan)
{
    struct img im = { image, len };
    bool have_pvh = false, have_entry = false, garbled = false;
    uint64_t pvh_entry = 0, entry = 0, hoff;
    enum image_error elf_rc;
    struct elf e;
    uint32_t flags;

    if ( !image || !len || !lim || !plan )
        return IMAGE_E_ARGS;
    *plan = (struct image_plan){ .kind = IMAGE_NONE };

    elf_rc = elf_header(&im, &e);
    if ( !elf_rc )
        elf_rc = elf_segments(&im, &e, lim, plan, &have_pvh, &pvh_entry,
                              &garbled, &have_entry, &entry);

    /* A PVH note in a good ELF image decides; a bad note is an error. */
    if ( elf_rc == IMAGE_E_NOTE )
        return elf_rc;
    if ( !elf_rc && have_pvh )
    {
        /* The note names code: it must be among the loaded file bytes. */
        if ( !entry_in_file_bytes(plan, pvh_entry) )
            return IMAGE_E_ENTRY;
        plan->kind = IMAGE_PVH;
        plan->entry = pvh_entry;
        return fits(lim, plan);
    }

    if ( !find_mb_header(&im, &hoff) )
    {
        if ( is_elf(&im) && elf_rc )
            return elf_rc;
        /* The entry note may be what the garbled part hid. */
        return garbled ? IMAGE_E_NOTE : IMAGE_E_FORMAT;
    }
    flags = le32(im.p + hoff + 4);
    if ( (flags & MB_FLAGS_REQUIRED) & ~MB_FLAGS_KNOWN )
        return IMAGE_E_MB_HEADER;
    plan->kind = IMAGE_MULTIBOOT;
    plan->mb_flags = flags;

    if ( flags & MB_FLAG_AOUT_KLUDGE )
    {
        enum image_error rc = plan_aout(&im, hoff, lim, plan);

        return rc ? rc : fits(lim, plan);
    }
    if ( elf_rc )
        return elf_rc;
    if ( !have_entry )
        return IMAGE_E_ENTRY;
    /* Inside a segment, and segments end below 4 GiB. */
    plan->entry = entry;
    return fits(lim, plan);
}

const char *image_strerror(enum image_error err)
{
    static const char *const msg[IMAGE_E_NR] = {
        [IMAGE_OK] = "no error",
        [IMAGE_E_ARGS] = "no image",
        [IMAGE_E_TRUNCATED] = "a header runs past the end of the file",
        [IMAGE_E_FORMAT] = "neither a PVH entry note nor a Multiboot header",
        [IMAGE_E_ELF] = "not a loadable x86 ELF executable",
        [IMAGE_E_MB_HEADER] = "a Multiboot header we cannot honour",
        [IMAGE_E_SEGMENT] = "a segment's bytes lie outside the file "
                            "or exceed its memory size",
        [IMAGE_E_TOO_MANY] = "too many segments to load",
        [IMAGE_E_OVERLAP] = "two segments overlap",
        [IMAGE_E_PLACEMENT] = "a segment lies below 1 MiB outside "
                              "conventional memory, in the BIOS hole or "
                              "past 4 GiB",
        [IMAGE_E_NOTE] = "a malformed note or PVH entry note",
        [IMAGE_E_ENTRY] = "the entry point is outside the loaded segments",
        [IMAGE_E_TOO_BIG] = "the image does not fit in the guest's RAM",
    };

    return (unsigned int)err < IMAGE_E_NR ? msg[err] : "unknown error";
}

int image_load(const struct image_plan *plan, const void *image, size_t len,
               const struct image_limits *lim, image_copy_fn copy,
               void *ctx)
{
    struct img im = { image, len };
    struct image_plan check = { .kind = IMAGE_NONE };
    unsigned int i;
    int rc;

    if ( !plan || !image || !lim || !copy ||
         plan->nr_segs > IMAGE_MAX_SEGS )
        return -1;
    for ( i = 0; i < plan->nr_segs; i++ )
    {
        const struct image_segment *s = &plan->segs[i];

        /* Against the file, the limits and the segments before it. */
        if ( add_segment(&im, lim, &check, s) || check.end > lim->ram_end )
            return -1;
        rc = s->filesz ? copy(ctx, s->paddr, im.p + s->offset, s->filesz)
                       : 0;
        if ( !rc && s->memsz > s->filesz )
            rc = copy(ctx, s->paddr + s->filesz, NULL,
                      s->memsz - s->filesz);
        if ( rc )
            return rc;
    }
    return 0;
}

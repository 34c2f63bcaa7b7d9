/*
 * Tests for libimage (xen/common/libimage): ELF32/ELF64 program headers,
 * the PVH entry note, the Multiboot v1 header, and the checks that stand
 * between an untrusted image and guest memory.
 *
 * Images are built here byte by byte in buffers malloc'd to their exact
 * size, so ASan catches any read past the end of the file.  The last
 * tests parse Debian's real vmlinux (build/linux/vmlinux, fetched by
 * scripts/fetch-linux.sh before the unit tests run).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libimage.h>

#include "harness.h"

#define MiB             (1ULL << 20)
#define PT_LOAD         1
#define PT_NOTE         4
#define MB_MAGIC        0x1badb002u

#ifndef VMLINUX_PATH
#define VMLINUX_PATH    "build/linux/vmlinux"
#endif

/* --- building images --- */

struct seg
{
    uint32_t type;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct spec
{
    size_t len;
    bool elf, is64;
    uint8_t ei_data;
    uint16_t type, machine, phentsize, phnum;  /* phnum 0: nseg */
    uint64_t entry, phoff;
    unsigned int nseg;
    struct seg seg[20];
    bool mb;
    uint32_t mb_off, mb_flags;
};

static void put(uint8_t *img, size_t len, uint64_t off, uint64_t v,
                unsigned int n)
{
    /* Fields at absurd offsets are not written (nor wrapped around). */
    for ( unsigned int i = 0; i < n; i++ )
        if ( off < len && i < len - off )
            img[off + i] = v >> (8 * i);
}

/*
 * A note at off: namesz bytes of name (with its NUL), then desc, each
 * padded to 4.  Returns its size.
 */
static size_t put_note(uint8_t *img, size_t len, uint64_t off,
                       const char *name, uint32_t namesz, uint32_t type,
                       const void *desc, uint32_t descsz)
{
    size_t n = 12;

    put(img, len, off, namesz, 4);
    put(img, len, off + 4, descsz, 4);
    put(img, len, off + 8, type, 4);
    for ( uint32_t i = 0; i < namesz; i++ )
        put(img, len, off + n + i, (uint8_t)name[i], 1);
    n += (namesz + 3) & ~3u;
    for ( uint32_t i = 0; i < descsz; i++ )
        put(img, len, off + n + i, ((const uint8_t *)desc)[i], 1);
    n += (descsz + 3) & ~3u;
    return n;
}

static uint8_t *make_image(const struct spec *s)
{
    uint8_t *img = malloc(s->len ? s->len : 1);
    size_t len = s->len;

    REQUIRE(img);
    for ( size_t i = 0; i < len; i++ )
        img[i] = i * 7 + 3;

    if ( s->elf )
    {
        unsigned int ph = s->is64 ? 56 : 32;

        for ( size_t i = 0; i < (s->is64 ? 64u : 52u) && i < len; i++ )
            img[i] = 0;
        put(img, len, 0, 0x464c457f, 4);
        put(img, len, 4, s->is64 ? 2 : 1, 1);
        put(img, len, 5, s->ei_data, 1);
        put(img, len, 6, 1, 1);
        put(img, len, 16, s->type, 2);
        put(img, len, 18, s->machine, 2);
        put(img, len, 20, 1, 4);
        if ( s->is64 )
        {
            put(img, len, 24, s->entry, 8);
            put(img, len, 32, s->phoff, 8);
            put(img, len, 52, 64, 2);
            put(img, len, 54, s->phentsize, 2);
            put(img, len, 56, s->phnum ? s->phnum : s->nseg, 2);
        }
        else
        {
            put(img, len, 24, s->entry, 4);
            put(img, len, 28, s->phoff, 4);
            put(img, len, 40, 52, 2);
            put(img, len, 42, s->phentsize, 2);
            put(img, len, 44, s->phnum ? s->phnum : s->nseg, 2);
        }
        for ( unsigned int i = 0; i < s->nseg; i++ )
        {
            uint64_t p = s->phoff + (uint64_t)ph * i;
            const struct seg *g = &s->seg[i];

            put(img, len, p, g->type, 4);
            if ( s->is64 )
            {
                put(img, len, p + 4, 7, 4);
                put(img, len, p + 8, g->offset, 8);
                put(img, len, p + 16, g->vaddr, 8);
                put(img, len, p + 24, g->paddr, 8);
                put(img, len, p + 32, g->filesz, 8);
                put(img, len, p + 40, g->memsz, 8);
                put(img, len, p + 48, g->align, 8);
            }
            else
            {
                put(img, len, p + 4, g->offset, 4);
                put(img, len, p + 8, g->vaddr, 4);
                put(img, len, p + 12, g->paddr, 4);
                put(img, len, p + 16, g->filesz, 4);
                put(img, len, p + 20, g->memsz, 4);
                put(img, len, p + 24, 7, 4);
                put(img, len, p + 28, g->align, 4);
            }
        }
    }

    if ( s->mb )
    {
        put(img, len, s->mb_off, MB_MAGIC, 4);
        put(img, len, s->mb_off + 4, s->mb_flags, 4);
        put(img, len, s->mb_off + 8, -(MB_MAGIC + s->mb_flags), 4);
    }
    return img;
}

/* The PVH note's place in pvh64() and pvh32(). */
#define NOTE_OFF        0x3000
#define NOTE_SIZE       0x100

/*
 * A Linux-like PVH kernel: text linked high, a segment with p_vaddr 0
 * (Linux's percpu), a note segment with a GNU note before the Xen one.
 */
static struct spec pvh64(void)
{
    struct spec s = {
        .len = 0x4000, .elf = true, .is64 = true, .ei_data = 1,
        .type = 2, .machine = 62, .phentsize = 56,
        .entry = 0xffffffff81200000ULL, .phoff = 64, .nseg = 3,
        .seg = {
            { PT_LOAD, 0x1000, 0xffffffff81200000ULL, 0x1200000,
              0x1000, 0x3000, 0x1000 },
            { PT_LOAD, 0x2000, 0, 0x1300000, 0x800, 0x800, 0x1000 },
            { PT_NOTE, NOTE_OFF, 0, 0, NOTE_SIZE, NOTE_SIZE, 4 },
        },
    };

    return s;
}

static struct spec pvh32(void)
{
    struct spec s = pvh64();

    s.is64 = false;
    s.machine = 3;
    s.phentsize = 32;
    s.phoff = 52;
    s.entry = 0x1200000;
    s.seg[0].vaddr = 0x1200000;
    return s;
}

/* Notes filling the note segment: a GNU build id, then "Xen" type 18. */
static void write_notes(uint8_t *img, const struct spec *s, uint64_t entry,
                        unsigned int descsz)
{
    static const uint8_t build_id[20] = { 1, 2, 3 };
    uint8_t desc[16];
    size_t n;

    memset(desc, 0, sizeof(desc));
    memcpy(desc, &entry, sizeof(entry));
    n = put_note(img, s->len, NOTE_OFF, "GNU", 4, 3, build_id,
                 sizeof(build_id));
    n += put_note(img, s->len, NOTE_OFF + n, "Xen", 4, 18, desc, descsz);
    /* Zero padding up to the end of the segment: no more notes. */
    for ( ; n < NOTE_SIZE; n++ )
        img[NOTE_OFF + n] = 0;
}

static const struct image_limits lim_256m = { MiB, 256 * MiB, 0 };
/* The builder's limits: conventional memory, then from 1 MiB. */
static const struct image_limits lim_conv = { MiB, 256 * MiB, 0x9fc00 };

struct parsed
{
    uint8_t *img;
    size_t len;
    struct image_plan plan;
    enum image_error err;
};

static void parse(struct parsed *p, const struct spec *s, uint64_t entry,
                  unsigned int descsz, const struct image_limits *lim)
{
    p->img = make_image(s);
    p->len = s->len;
    if ( descsz )
        write_notes(p->img, s, entry, descsz);
    p->err = image_plan(p->img, p->len, lim, &p->plan);
}

static void release(struct parsed *p)
{
    free(p->img);
    p->img = NULL;
}

/* A parse that must fail with err; says which case when it does not. */
static void expect(const struct spec *s, uint64_t entry, unsigned int descsz,
                   const struct image_limits *lim, enum image_error err,
                   const char *what)
{
    struct parsed p;

    parse(&p, s, entry, descsz, lim);
    if ( p.err != err )
        harness_fail(__FILE__, __LINE__, false, "%s: %d (%s), expected %d",
                     what, p.err, image_strerror(p.err), err);
    release(&p);
}

/* --- well-formed images --- */

TEST(image_elf64_pvh_note_8_bytes)
{
    struct spec s = pvh64();
    struct parsed p;

    parse(&p, &s, 0x1200010, 8, &lim_256m);
    REQUIRE_EQ(p.err, IMAGE_OK);
    CHECK_EQ(p.plan.kind, IMAGE_PVH);
    /* The note's value, not e_entry. */
    CHECK_EQ(p.plan.entry, 0x1200010);
    REQUIRE_EQ(p.plan.nr_segs, 2);
    CHECK_EQ(p.plan.segs[0].offset, 0x1000);
    CHECK_EQ(p.plan.segs[0].paddr, 0x1200000);
    CHECK_EQ(p.plan.segs[0].filesz, 0x1000);
    CHECK_EQ(p.plan.segs[0].memsz, 0x3000);
    /* p_vaddr 0: loaded by p_paddr all the same. */
    CHECK_EQ(p.plan.segs[1].paddr, 0x1300000);
    CHECK_EQ(p.plan.start, 0x1200000);
    CHECK_EQ(p.plan.end, 0x1300800);
    release(&p);
}

TEST(image_elf32_pvh_note_4_bytes)
{
    struct spec s = pvh32();
    struct parsed p;

    parse(&p, &s, 0x1200ffc, 4, &lim_256m);
    REQUIRE_EQ(p.err, IMAGE_OK);
    CHECK_EQ(p.plan.kind, IMAGE_PVH);
    CHECK_EQ(p.plan.entry, 0x1200ffc);
    CHECK_EQ(p.plan.nr_segs, 2);
    release(&p);
}

TEST(image_pvh_note_wins_over_multiboot)
{
    struct spec s = pvh32();
    struct parsed p;

    s.mb = true;
    s.mb_off = 0x800;
    s.mb_flags = 3;
    parse(&p, &s, 0x1200100, 4, &lim_256m);
    REQUIRE_EQ(p.err, IMAGE_OK);
    CHECK_EQ(p.plan.kind, IMAGE_PVH);
    CHECK_EQ(p.plan.entry, 0x1200100);
    release(&p);

    /* Without the note the same image is a Multiboot kernel. */
    parse(&p, &s, 0, 0, &lim_256m);
    REQUIRE_EQ(p.err, IMAGE_OK);
    CHECK_EQ(p.plan.kind, IMAGE_MULTIBOOT);
    CHECK_EQ(p.plan.entry, 0x1200000);
    CHECK_EQ(p.plan.mb_flags, 3);
    release(&p);
}

TEST(image_multiboot_elf64_higher_half_entry)
{
    struct spec s = pvh64();
    struct parsed p;

    s.mb = true;
    s.mb_off = 0x800;
    s.mb_flags = 2;
    s.entry = 0xffffffff81200040ULL;
    s.seg[2].type = 6;              /* PT_PHDR: ignored */
    parse(&p, &s, 0, 0, &lim_256m);
    REQUIRE_EQ(p.err, IMAGE_OK);
    CHECK_EQ(p.plan.kind, IMAGE_MULTIBOOT);
    /* Translated through the segment whose p_vaddr range holds it. */
    CHECK_EQ(p.plan.entry, 0x1200040);
    release(&p);
}

TEST(image_multiboot_aout_kludge)
{
    struct spec s = { .len = 0x2000, .mb = true, .mb_off = 0x40,
                      .mb_flags = 0x10003 };
    struct parsed p;

    p.img = make_image(&s);
    put(p.img, s.len, 0x4c, 0x200040, 4);       /* header_addr */
    put(p.img, s.len, 0x50, 0x200000, 4);       /* load_addr */
    put(p.img, s.len, 0x54, 0x201000, 4);       /* load_end_addr */
    put(p.img, s.len, 0x58, 0x204000, 4);       /* bss_end_addr */
    put(p.img, s.len, 0x5c, 0x200100, 4);       /* entry_addr */
    p.err = image_plan(p.img, s.len, &lim_256m, &p.plan);
    REQUIRE_EQ(p.err, IMAGE_OK);
    CHECK_EQ(p.plan.kind, IMAGE_MULTIBOOT);
    CHECK_EQ(p.plan.entry, 0x200100);
    REQUIRE_EQ(p.plan.nr_segs, 1);
    CHECK_EQ(p.plan.segs[0].offset, 0);
    CHECK_EQ(p.plan.segs[0].filesz, 0x1000);
    CHECK_EQ(p.plan.segs[0].memsz, 0x4000);
    release(&p);
}

TEST(image_adjacent_segments_and_low_memory)
{
    struct spec s = pvh64();
    const struct image_limits low = { 0, 256 * MiB, 0 };
    struct parsed p;

    /* Back to back is not overlapping. */
    s.seg[1].paddr = 0x1203000;
    parse(&p, &s, 0x1200000, 8, &lim_256m);
    CHECK_EQ(p.err, IMAGE_OK);
    release(&p);

    /* A caller that allows low memory gets it, up to the hole. */
    s.seg[1].paddr = 0x9f800;
    parse(&p, &s, 0x1200000, 8, &low);
    CHECK_EQ(p.err, IMAGE_OK);
    CHECK_EQ(p.plan.start, 0x9f800);
    release(&p);
}

TEST(image_segment_in_conventional_memory)
{
    struct spec s = pvh64();
    struct parsed p;

    s.seg[1].paddr = 0x10000;
    parse(&p, &s, 0x1200000, 8, &lim_conv);
    CHECK_EQ(p.err, IMAGE_OK);
    CHECK_EQ(p.plan.start, 0x10000);
    release(&p);
    /* Ending exactly where conventional memory ends. */
    s.seg[1].paddr = 0x9f400;
    parse(&p, &s, 0x1200000, 8, &lim_conv);
    CHECK_EQ(p.err, IMAGE_OK);
    release(&p);
    /* Page 0 is RAM too. */
    s.seg[1].paddr = 0;
    parse(&p, &s, 0x1200000, 8, &lim_conv);
    CHECK_EQ(p.err, IMAGE_OK);
    release(&p);
}

/* --- malformed images --- */

TEST(image_truncated_headers)
{
    struct spec s = pvh64();
    uint8_t *full = make_image(&s);
    size_t hdrs = 64 + 3 * 56;

    write_notes(full, &s, 0x1200000, 8);
    /* Every cut inside the ELF and program headers is refused. */
    for ( size_t len = 1; len < hdrs; len++ )
    {
        uint8_t *img = malloc(len);
        struct image_plan plan;
        enum image_error err;

        REQUIRE(img);
        memcpy(img, full, len);
        err = image_plan(img, len, &lim_256m, &plan);
        if ( err != (len < 4 ? IMAGE_E_FORMAT : IMAGE_E_TRUNCATED) )
            harness_fail(__FILE__, __LINE__, false, "length %zu: %d",
                         len, err);
        free(img);
    }
    /* Cut inside the segments' bytes: the segments are outside. */
    for ( size_t len = hdrs; len < NOTE_OFF + NOTE_SIZE; len += 0x3f )
    {
        uint8_t *img = malloc(len);
        struct image_plan plan;

        REQUIRE(img);
        memcpy(img, full, len);
        CHECK_EQ(image_plan(img, len, &lim_256m, &plan), IMAGE_E_SEGMENT);
        free(img);
    }
    free(full);

    s = pvh32();
    s.len = 51;
    expect(&s, 0, 0, &lim_256m, IMAGE_E_TRUNCATED, "ELF32 header cut");
    s = pvh64();
    s.len = 63;
    expect(&s, 0, 0, &lim_256m, IMAGE_E_TRUNCATED, "ELF64 header cut");
    s = pvh64();
    s.phoff = 0xfffffffffffffff0ULL;
    s.phnum = 3;
    s.nseg = 0;                 /* the headers would wrap onto the file */
    expect(&s, 0, 0, &lim_256m, IMAGE_E_TRUNCATED, "phoff wraps");
    s = pvh64();
    s.phoff = s.len - 56;
    expect(&s, 0, 0, &lim_256m, IMAGE_E_TRUNCATED, "phdrs past the end");
}

TEST(image_rejects_bad_elf_headers)
{
    struct spec s;

    s = pvh64();
    s.machine = 3;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_ELF, "ELF64 for i386");
    s = pvh32();
    s.machine = 62;
    expect(&s, 0x1200000, 4, &lim_256m, IMAGE_E_ELF, "ELF32 for x86-64");
    s = pvh64();
    s.ei_data = 2;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_ELF, "big endian");
    s = pvh64();
    s.type = 3;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_ELF, "ET_DYN");
    s = pvh64();
    s.phentsize = 32;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_ELF, "phentsize");
    s = pvh64();
    s.phnum = 0xffff;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_ELF, "PN_XNUM");
    s = pvh64();
    s.seg[0].type = s.seg[1].type = 6;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_ELF, "nothing to load");
    s = pvh64();
    s.elf = false;
    expect(&s, 0, 0, &lim_256m, IMAGE_E_FORMAT, "not ELF, no header");
}

TEST(image_rejects_bad_segments)
{
    struct spec s;

    s = pvh64();
    s.seg[0].filesz = 0x4000;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_SEGMENT,
           "filesz > memsz");
    s = pvh64();
    s.seg[0].offset = 0x3800;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_SEGMENT,
           "bytes past the end of the file");
    s = pvh64();
    s.seg[0].offset = 0xfffffffffffff000ULL;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_SEGMENT, "offset wraps");
    s = pvh64();
    s.seg[1].memsz = 0;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_SEGMENT,
           "file bytes in an empty segment");
    s = pvh64();
    s.seg[2].offset = 0x3f80;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_SEGMENT,
           "note segment past the end of the file");
}

TEST(image_rejects_overlapping_segments)
{
    struct spec s;

    s = pvh64();
    s.seg[1].paddr = 0x1202fff;         /* inside segment 0's bss */
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_OVERLAP, "bss overlap");
    s = pvh64();
    s.seg[1].paddr = 0x11ff801;         /* ends one byte into segment 0 */
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_OVERLAP, "head overlap");
    s = pvh64();
    s.seg[1].paddr = 0x1200000;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_OVERLAP, "same address");
    s = pvh64();
    s.seg[1].paddr = 0x1100000;         /* around segment 0 */
    s.seg[1].memsz = 0x200000;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_OVERLAP, "containing");
}

TEST(image_rejects_out_of_range_segments)
{
    const struct image_limits low = { 0, 256 * MiB, 0 };
    struct spec s;

    s = pvh64();
    s.seg[1].paddr = 0xff000;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_PLACEMENT, "below 1 MiB");
    s.seg[1].paddr = 0xa0000;
    expect(&s, 0x1200000, 8, &low, IMAGE_E_PLACEMENT, "in the BIOS hole");
    s.seg[1].paddr = 0x9f801;
    expect(&s, 0x1200000, 8, &low, IMAGE_E_PLACEMENT, "into the hole");
    s.seg[1].paddr = 0xfffff;
    expect(&s, 0x1200000, 8, &low, IMAGE_E_PLACEMENT, "out of the hole");
    s.seg[1].paddr = 0x9f401;
    expect(&s, 0x1200000, 8, &lim_conv, IMAGE_E_PLACEMENT,
           "conventional memory into the EBDA");
    s.seg[1].paddr = 0x9fc00;
    expect(&s, 0x1200000, 8, &lim_conv, IMAGE_E_PLACEMENT, "in the EBDA");
    s.seg[1].paddr = 0xc0000;
    expect(&s, 0x1200000, 8, &lim_conv, IMAGE_E_PLACEMENT,
           "in the BIOS area");
    s.seg[1].paddr = 0x100000000ULL;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_PLACEMENT, "at 4 GiB");
    s.seg[1].paddr = 0xfffff900ULL;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_PLACEMENT,
           "across 4 GiB");
    s.seg[1].paddr = 0xfffffffffffff000ULL;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_PLACEMENT,
           "wrapping 2^64");
    s = pvh64();
    s.seg[1].memsz = 0xffffffffffffffffULL;
    expect(&s, 0x1200000, 8, &lim_256m, IMAGE_E_PLACEMENT, "huge memsz");
}

TEST(image_rejects_too_many_segments)
{
    struct spec s = pvh64();
    struct parsed p;

    s.len = 0x8000;
    s.nseg = IMAGE_MAX_SEGS + 1;
    for ( unsigned int i = 0; i < s.nseg; i++ )
        s.seg[i] = (struct seg){ PT_LOAD, 0x2000, 0, 0x2000000 + i * MiB,
                                 0x100, 0x100, 0x1000 };
    s.seg[0].vaddr = s.entry = 0x2000000;
    s.mb = true;
    s.mb_off = 0x1800;
    s.mb_flags = 3;
    expect(&s, 0, 0, &lim_256m, IMAGE_E_TOO_MANY, "17 segments");

    /* The most there may be is fine. */
    s.nseg = IMAGE_MAX_SEGS;
    parse(&p, &s, 0, 0, &lim_256m);
    CHECK_EQ(p.err, IMAGE_OK);
    CHECK_EQ(p.plan.nr_segs, IMAGE_MAX_SEGS);
    release(&p);
}

TEST(image_missing_or_bad_pvh_note)
{
    struct spec s;
    struct parsed p;
    uint8_t desc[8] = { 0 };

    /* No note, no Multiboot header: nothing to enter by. */
    s = pvh64();
    s.seg[2].type = 6;
    expect(&s, 0, 0, &lim_256m, IMAGE_E_FORMAT, "no note segment");
    s = pvh64();
    parse(&p, &s, 0, 0, &lim_256m);
    memset(p.img + NOTE_OFF, 0, NOTE_SIZE);
    CHECK_EQ(image_plan(p.img, p.len, &lim_256m, &p.plan), IMAGE_E_FORMAT);
    release(&p);
    /* Garbage where the notes should be: the PVH note may be hidden. */
    expect(&s, 0, 0, &lim_256m, IMAGE_E_NOTE, "garbage note segment");

    s = pvh64();
    expect(&s, 0x1200000, 2, &lim_256m, IMAGE_E_NOTE, "2-byte desc");
    expect(&s, 0x1200000, 16, &lim_256m, IMAGE_E_NOTE, "16-byte desc");
    expect(&s, 0x100000000ULL, 8, &lim_256m, IMAGE_E_NOTE,
           "entry past 4 GiB");
    /* In the segment's bss: not code the image brought. */
    expect(&s, 0x1201000, 8, &lim_256m, IMAGE_E_ENTRY, "entry in bss");
    expect(&s, 0x1400000, 8, &lim_256m, IMAGE_E_ENTRY, "entry nowhere");
    expect(&s, 0x11fffff, 8, &lim_256m, IMAGE_E_ENTRY, "entry just below");

    /* Wrong owner or type: not the PVH note. */
    parse(&p, &s, 0, 0, &lim_256m);
    memset(p.img + NOTE_OFF, 0, NOTE_SIZE);
    put_note(p.img, p.len, NOTE_OFF, "XEN", 4, 18, desc, 8);
    CHECK_EQ(image_plan(p.img, p.len, &lim_256m, &p.plan), IMAGE_E_FORMAT);
    memset(p.img + NOTE_OFF, 0, NOTE_SIZE);
    put_note(p.img, p.len, NOTE_OFF, "Xen", 3, 18, desc, 8);
    CHECK_EQ(image_plan(p.img, p.len, &lim_256m, &p.plan), IMAGE_E_FORMAT);
    memset(p.img + NOTE_OFF, 0, NOTE_SIZE);
    put_note(p.img, p.len, NOTE_OFF, "Xen", 4, 17, desc, 8);
    CHECK_EQ(image_plan(p.img, p.len, &lim_256m, &p.plan), IMAGE_E_FORMAT);

    /* Two entry notes: ambiguous. */
    memset(p.img + NOTE_OFF, 0, NOTE_SIZE);
    desc[2] = 0x20;
    desc[0] = 1;                        /* 0x1200001 */
    desc[3] = 1;
    {
        size_t n = put_note(p.img, p.len, NOTE_OFF, "Xen", 4, 18, desc, 4);

        put_note(p.img, p.len, NOTE_OFF + n, "Xen", 4, 18, desc, 4);
    }
    CHECK_EQ(image_plan(p.img, p.len, &lim_256m, &p.plan), IMAGE_E_NOTE);

    /* A note whose name runs past the segment hides what follows. */
    memset(p.img + NOTE_OFF, 0, NOTE_SIZE);
    put(p.img, p.len, NOTE_OFF, 0x1000, 4);
    CHECK_EQ(image_plan(p.img, p.len, &lim_256m, &p.plan), IMAGE_E_NOTE);
    /* ... and its descriptor likewise. */
    put(p.img, p.len, NOTE_OFF, 4, 4);
    put(p.img, p.len, NOTE_OFF + 4, 0xfffffff0, 4);
    CHECK_EQ(image_plan(p.img, p.len, &lim_256m, &p.plan), IMAGE_E_NOTE);
    release(&p);

    /* A garbled note list alone does not refuse a Multiboot kernel. */
    s = pvh32();
    s.mb = true;
    s.mb_off = 0x800;
    s.mb_flags = 3;
    parse(&p, &s, 0, 0, &lim_256m);
    put(p.img, p.len, NOTE_OFF, 0x1000, 4);
    CHECK_EQ(image_plan(p.img, p.len, &lim_256m, &p.plan), IMAGE_OK);
    CHECK_EQ(p.plan.kind, IMAGE_MULTIBOOT);
    release(&p);
}

TEST(image_larger_than_the_domain)
{
    struct spec s = pvh64();
    const struct image_limits small = { MiB, 0x1300000, 0 };
    struct parsed p;

    /* One byte short. */
    parse(&p, &s, 0x1200000, 8, &small);
    CHECK_EQ(p.err, IMAGE_E_TOO_BIG);
    /* The sizes for the message: what it needs. */
    CHECK_EQ(p.plan.start, 0x1200000);
    CHECK_EQ(p.plan.end, 0x1300800);
    release(&p);

    /* Too big, but a malformed image says what is wrong with it first. */
    s.seg[0].filesz = 0x4000;
    expect(&s, 0x1200000, 8, &small, IMAGE_E_SEGMENT, "bad and too big");

    /* Exactly fits. */
    s = pvh64();
    parse(&p, &s, 0x1200000, 8,
          &(struct image_limits){ MiB, 0x1300800, 0 });
    CHECK_EQ(p.err, IMAGE_OK);
    release(&p);
}

TEST(image_rejects_bad_arguments)
{
    struct image_plan plan;
    uint8_t b = 0;

    CHECK_EQ(image_plan(NULL, 10, &lim_256m, &plan), IMAGE_E_ARGS);
    CHECK_EQ(image_plan(&b, 0, &lim_256m, &plan), IMAGE_E_ARGS);
    CHECK_EQ(image_plan(&b, 1, NULL, &plan), IMAGE_E_ARGS);
    CHECK_EQ(image_plan(&b, 1, &lim_256m, NULL), IMAGE_E_ARGS);
    CHECK_STR_EQ(image_strerror(IMAGE_E_NR), "unknown error");
    CHECK_STR_EQ(image_strerror(IMAGE_E_OVERLAP), "two segments overlap");
}

/* --- loading --- */

struct fake_ram
{
    uint8_t *ram;
    uint64_t size;
    unsigned int calls, fail_at;
    int fail_rc;
};

static int ram_copy(void *ctx, uint64_t paddr, const void *src, uint64_t n)
{
    struct fake_ram *r = ctx;

    CHECK(n > 0);
    if ( ++r->calls == r->fail_at )
        return r->fail_rc;
    REQUIRE(paddr <= r->size && n <= r->size - paddr);
    if ( src )
        memcpy(r->ram + paddr, src, n);
    else
        memset(r->ram + paddr, 0, n);
    return 0;
}

TEST(image_load_copies_and_zeroes)
{
    const struct image_limits lim = { MiB, 32 * MiB, 0 };
    struct fake_ram r = { .size = 32 * MiB };
    struct spec s = pvh64();
    struct parsed p;

    r.ram = malloc(r.size);
    REQUIRE(r.ram);
    memset(r.ram, 0xa5, r.size);
    parse(&p, &s, 0x1200000, 8, &lim);
    REQUIRE_EQ(p.err, IMAGE_OK);
    REQUIRE_EQ(image_load(&p.plan, p.img, p.len, &lim, ram_copy, &r), 0);
    CHECK(!memcmp(r.ram + 0x1200000, p.img + 0x1000, 0x1000));
    for ( uint64_t a = 0x1201000; a < 0x1203000; a++ )
        if ( r.ram[a] )
        {
            harness_fail(__FILE__, __LINE__, false, "bss at %#llx",
                         (unsigned long long)a);
            break;
        }
    CHECK_EQ(r.ram[0x1203000], 0xa5);
    CHECK_EQ(r.ram[0x11fffff], 0xa5);
    CHECK(!memcmp(r.ram + 0x1300000, p.img + 0x2000, 0x800));
    CHECK_EQ(r.ram[0x1300800], 0xa5);
    release(&p);

    /* A segment of bss only: zeroes, and no empty copy of file bytes. */
    s.seg[1].filesz = 0;
    memset(r.ram, 0xa5, r.size);
    parse(&p, &s, 0x1200000, 8, &lim);
    REQUIRE_EQ(p.err, IMAGE_OK);
    r.calls = 0;
    REQUIRE_EQ(image_load(&p.plan, p.img, p.len, &lim, ram_copy, &r), 0);
    CHECK_EQ(r.calls, 3);
    CHECK_EQ(r.ram[0x1300000], 0);
    CHECK_EQ(r.ram[0x13007ff], 0);
    CHECK_EQ(r.ram[0x1300800], 0xa5);

    /* The copy function's error comes back. */
    r.calls = 0;
    r.fail_at = 2;
    r.fail_rc = -14;
    CHECK_EQ(image_load(&p.plan, p.img, p.len, &lim, ram_copy, &r), -14);

    /* A plan that no longer holds for the image is not carried out. */
    r.calls = 0;
    r.fail_at = 0;
    CHECK_EQ(image_load(&p.plan, p.img, 0x1800, &lim, ram_copy, &r), -1);
    CHECK_EQ(r.calls, 0);
    CHECK_EQ(image_load(&p.plan, p.img, p.len,
                        &(struct image_limits){ MiB, 0x1300000, 0 },
                        ram_copy, &r), -1);
    p.plan.segs[1].paddr = 0x1200800;
    CHECK_EQ(image_load(&p.plan, p.img, p.len, &lim, ram_copy, &r), -1);
    p.plan.nr_segs = IMAGE_MAX_SEGS + 1;
    CHECK_EQ(image_load(&p.plan, p.img, p.len, &lim, ram_copy, &r), -1);
    release(&p);
    free(r.ram);
}

/*
 * Random damage to good images: whatever image_plan makes of them, it
 * returns a documented result, and a plan it accepts keeps its promises.
 */
TEST(image_survives_corrupted_images)
{
    unsigned int iter, ok = 0;

    test_srand(4242);
    for ( iter = 0; iter < 4000; iter++ )
    {
        struct spec s = iter & 1 ? pvh64() : pvh32();
        struct image_plan plan;
        enum image_error err;
        size_t len = s.len;
        uint8_t *img;

        if ( iter % 3 == 0 )
        {
            s.mb = true;
            s.mb_off = 0x800;
            s.mb_flags = iter % 6 ? 3 : 0x10003;
        }
        img = make_image(&s);
        write_notes(img, &s, s.is64 ? 0x1200000 : 0x1200004,
                    s.is64 ? 8 : 4);
        for ( unsigned int k = 0, n = 1 + test_rand() % 6; k < n; k++ )
        {
            unsigned int off;

            /* Mostly headers and notes, where the fields are. */
            switch ( test_rand() % 3 )
            {
            case 0: off = test_rand() % 0x100; break;
            case 1: off = NOTE_OFF + test_rand() % 0x40; break;
            default: off = 0x800 + test_rand() % 0x40; break;
            }
            img[off] = test_rand();
        }
        if ( iter % 7 == 0 )
            len -= test_rand() % len;
        err = image_plan(img, len, &lim_256m, &plan);
        if ( err >= IMAGE_E_NR || err == IMAGE_E_ARGS )
            harness_fail(__FILE__, __LINE__, false, "iteration %u: %d",
                         iter, err);
        if ( err == IMAGE_OK )
        {
            bool in = false;

            ok++;
            for ( unsigned int i = 0; i < plan.nr_segs; i++ )
            {
                const struct image_segment *g = &plan.segs[i];

                CHECK(g->offset <= len && g->filesz <= len - g->offset);
                CHECK(g->filesz <= g->memsz);
                CHECK(g->paddr >= MiB && g->paddr + g->memsz <= 256 * MiB);
                for ( unsigned int j = 0; j < i; j++ )
                    CHECK(g->paddr >= plan.segs[j].paddr +
                                      plan.segs[j].memsz ||
                          plan.segs[j].paddr >= g->paddr + g->memsz);
                if ( plan.entry >= g->paddr &&
                     plan.entry - g->paddr < g->memsz )
                    in = true;
            }
            CHECK(in);
        }
        free(img);
        if ( harness_failures() )
            break;
    }
    CHECK(ok > 0);
}

/* --- Debian's kernel --- */

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if ( !f )
        return NULL;
    REQUIRE(fseek(f, 0, SEEK_END) == 0);
    n = ftell(f);
    REQUIRE(n > 0);
    rewind(f);
    buf = malloc(n);
    REQUIRE(buf);
    REQUIRE(fread(buf, 1, n, f) == (size_t)n);
    fclose(f);
    *len = n;
    return buf;
}

static int count_copy(void *ctx, uint64_t paddr, const void *src,
                      uint64_t n)
{
    uint64_t *bytes = ctx;

    (void)paddr;
    (void)src;
    *bytes += n;
    return 0;
}

TEST(image_debian_vmlinux)
{
    const struct image_limits lim = { MiB, 256 * MiB, 0 };
    struct image_plan plan;
    uint64_t bytes = 0;
    bool in = false;
    uint8_t *img;
    size_t len;

    img = read_file(VMLINUX_PATH, &len);
    if ( !img )
    {
        printf("SKIP image_debian_vmlinux: no %s (scripts/fetch-linux.sh "
               "could not fetch it)\n", VMLINUX_PATH);
        return;
    }
    REQUIRE_EQ(image_plan(img, len, &lim, &plan), IMAGE_OK);
    CHECK_EQ(plan.kind, IMAGE_PVH);
    CHECK(plan.nr_segs >= 1);
    for ( unsigned int i = 0; i < plan.nr_segs; i++ )
    {
        const struct image_segment *g = &plan.segs[i];

        /* Linux 6.1 loads at 16 MiB and is not relocated under PVH. */
        CHECK(g->paddr >= 16 * MiB && g->paddr + g->memsz <= 128 * MiB);
        if ( plan.entry >= g->paddr && plan.entry - g->paddr < g->filesz )
            in = true;
    }
    CHECK(in);
    CHECK_EQ(plan.start, 16 * MiB);
    printf("  vmlinux: %u segments, %#llx-%#llx, PVH entry %#x\n",
           plan.nr_segs, (unsigned long long)plan.start,
           (unsigned long long)plan.end, plan.entry);

    /* Every byte of every segment goes through the copy function. */
    REQUIRE_EQ(image_load(&plan, img, len, &lim, count_copy, &bytes), 0);
    {
        uint64_t want = 0;

        for ( unsigned int i = 0; i < plan.nr_segs; i++ )
            want += plan.segs[i].memsz;
        CHECK_EQ(bytes, want);
    }

    /* In a domain smaller than the kernel: refused, with the sizes. */
    CHECK_EQ(image_plan(img, len, &(struct image_limits){ MiB, 64 * MiB, 0 },
                        &plan), IMAGE_E_TOO_BIG);
    CHECK(plan.end > 64 * MiB);
    free(img);
}

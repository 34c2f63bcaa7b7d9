/*
 * Kernel images for the toolstack's tests (test_libxl_builder, test_xl),
 * built byte by byte: a PVH ELF64 and a Multiboot v1 ELF32 (xl_images.h).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "xl_images.h"

void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

uint8_t *make_pvh(size_t *len, uint64_t paddr, uint64_t filesz, bool note)
{
    size_t size = 0x1000 + filesz;
    uint8_t *img = calloc(1, size), *ph;

    REQUIRE(img != NULL);
    memcpy(img, "\177ELF", 4);
    img[4] = 2;                         /* ELFCLASS64 */
    img[5] = 1;                         /* little-endian */
    img[6] = 1;
    put16(img + 16, 2);                 /* ET_EXEC */
    put16(img + 18, 62);                /* EM_X86_64 */
    put32(img + 20, 1);
    put64(img + 24, paddr);
    put64(img + 32, 64);                /* e_phoff */
    put16(img + 52, 64);
    put16(img + 54, 56);
    put16(img + 56, note ? 2 : 1);
    ph = img + 64;
    put32(ph, 1);                       /* PT_LOAD */
    put32(ph + 4, 5);
    put64(ph + 8, 0x1000);
    put64(ph + 16, paddr);
    put64(ph + 24, paddr);
    put64(ph + 32, filesz);
    put64(ph + 40, filesz + 0x1000);
    put64(ph + 48, 0x1000);
    if ( note )
    {
        ph += 56;
        put32(ph, 4);                   /* PT_NOTE */
        put64(ph + 8, 0x200);
        put64(ph + 32, 20);
        put64(ph + 40, 20);
        put64(ph + 48, 4);
        put32(img + 0x200, 4);          /* namesz */
        put32(img + 0x204, 4);          /* descsz */
        put32(img + 0x208, 18);         /* XEN_ELFNOTE_PHYS32_ENTRY */
        memcpy(img + 0x20c, "Xen", 4);
        put32(img + 0x210, (uint32_t)paddr);
    }
    for ( uint64_t i = 0; i < filesz; i++ )
        img[0x1000 + i] = (uint8_t)(i * 7 + 3);
    *len = size;
    return img;
}

uint8_t *make_multiboot(size_t *len)
{
    size_t size = 0x2000;
    uint8_t *img = calloc(1, size), *ph;

    REQUIRE(img != NULL);
    memcpy(img, "\177ELF", 4);
    img[4] = 1;                         /* ELFCLASS32 */
    img[5] = 1;
    img[6] = 1;
    put16(img + 16, 2);
    put16(img + 18, 3);                 /* EM_386 */
    put32(img + 20, 1);
    put32(img + 24, 0x100010);
    put32(img + 28, 52);
    put16(img + 40, 52);
    put16(img + 42, 32);
    put16(img + 44, 1);
    ph = img + 52;
    put32(ph, 1);
    put32(ph + 4, 0x1000);
    put32(ph + 8, 0x100000);
    put32(ph + 12, 0x100000);
    put32(ph + 16, 0x1000);
    put32(ph + 20, 0x2000);
    put32(ph + 28, 0x1000);
    for ( unsigned int i = 0; i < 0x1000; i++ )
        img[0x1000 + i] = (uint8_t)(i * 13 + 1);
    put32(img + 0x1000, 0x1badb002);
    put32(img + 0x1004, 0);
    put32(img + 0x1008, (uint32_t)-0x1badb002);
    *len = size;
    return img;
}

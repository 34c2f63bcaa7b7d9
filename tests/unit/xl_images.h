/*
 * Kernel images for the toolstack's tests (xl_images.c).
 */
#ifndef XL_IMAGES_H
#define XL_IMAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Little-endian stores into an image. */
void put16(uint8_t *p, uint16_t v);
void put32(uint8_t *p, uint32_t v);
void put64(uint8_t *p, uint64_t v);

/*
 * A PVH ELF64: one PT_LOAD of 'filesz' bytes from file offset 0x1000 to
 * 'paddr' (memsz = filesz + 0x1000 of bss) and, with 'note', a PT_NOTE
 * holding Xen's PHYS32_ENTRY note for 'paddr'.  The payload is a pattern
 * the tests look for in the guest's RAM.  The program headers start at
 * byte 64 (the PT_LOAD's p_filesz at 64 + 32, p_memsz at 64 + 40).
 */
uint8_t *make_pvh(size_t *len, uint64_t paddr, uint64_t filesz, bool note);

/*
 * A Multiboot v1 ELF32: one PT_LOAD of 0x1000 bytes at 1 MiB with 0x1000
 * of bss, the header at its start, entry 16 bytes in; 0x2000 bytes.
 */
uint8_t *make_multiboot(size_t *len);

#endif /* XL_IMAGES_H */

/*
 * The environment file: the one Multiboot module, text lines "key=value"
 * that set test parameters (e.g. "ipis=100000"). Blank lines and lines
 * starting with '#' are ignored. A missing file or key means the default.
 */
#ifndef GUEST_ENV_H
#define GUEST_ENV_H

#include "x86.h"

void env_init(const char *data, size_t len);
/* The value of key, or NULL. */
const char *env_get(const char *key);
/* A decimal or 0x-hex value; a malformed one is a FAIL verdict. */
uint32_t env_u32(const char *key, uint32_t def);
unsigned int env_count(void);

#endif /* GUEST_ENV_H */

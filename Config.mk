# Build configuration shared by the hypervisor, the tools and the tests:
# toolchain, flags and feature switches.  Override any of these on the make
# command line, e.g. `make NR_CPUS=16`.

CC       ?= gcc
LD       ?= ld
OBJCOPY  ?= objcopy
NM       ?= nm
PYTHON   ?= /usr/bin/python3

# Highest number of pCPUs the hypervisor supports.
NR_CPUS  ?= 64

# Flags for the freestanding hypervisor image.
XEN_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
              -ffreestanding -fno-builtin -nostdinc \
              -isystem $(shell $(CC) -print-file-name=include) \
              -fno-pic -fno-pie -mcmodel=small -mno-red-zone \
              -mno-mmx -mno-sse -mno-sse2 -mno-avx -msoft-float \
              -fno-stack-protector -fno-omit-frame-pointer \
              -fno-asynchronous-unwind-tables -fno-strict-aliasing \
              -DNR_CPUS=$(NR_CPUS)
XEN_ASFLAGS := -D__ASSEMBLY__ -DNR_CPUS=$(NR_CPUS)
XEN_LDFLAGS := -nostdlib -z max-page-size=0x1000 -z noexecstack \
               --no-warn-rwx-segments

# Flags for host-compiled code (tools, unit tests).
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror \
               -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer

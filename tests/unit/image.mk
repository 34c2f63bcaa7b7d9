# libimage (xen/common/libimage): kernel image parsing shared by the
# hypervisor's domain builder and the tools, on synthetic ELF32/ELF64 and
# Multiboot images and on Debian's real vmlinux.  The kernel is fetched
# (scripts/fetch-linux.sh, cached under build/linux/) before the tests
# run; if that is impossible, test_image says so and skips that case.

TESTS += image
SRCS_image := xen/common/libimage/libimage.c

IMAGE_VMLINUX := $(TOP)/build/linux/vmlinux

$(BUILD)/test_image.o: CFLAGS_UNIT += -I$(TOP)/xen/common/libimage \
    -DVMLINUX_PATH='"$(IMAGE_VMLINUX)"'

.PHONY: fetch-linux
fetch-linux:
	@$(TOP)/scripts/fetch-linux.sh || \
	    echo "unit: could not fetch Debian's kernel;" \
	         "test_image skips image_debian_vmlinux"

# libimage must build with nothing but the compiler's freestanding
# headers (no hypervisor include paths, no C library), as the tools will
# build it: its object gets exactly that here, for both test programs.
$(BUILD)/xen/common/libimage/libimage.o: CFLAGS_UNIT := \
    -std=gnu11 -Wall -Wextra -Werror -g -O1 \
    -fsanitize=address,undefined -fno-sanitize-recover=all \
    -fno-omit-frame-pointer -ffreestanding -nostdinc \
    -isystem $(shell $(HOSTCC) -print-file-name=include) -MMD -MP

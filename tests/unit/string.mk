# The hypervisor's own string and formatting functions (common/string.c,
# common/vsnprintf.c), compiled under xen_ names so they can be compared
# with the C library's in the same program.
XEN_STRING_RENAMES := $(foreach f,memset memcpy memmove memcmp strlen \
    strnlen strcmp strncmp strchr strlcpy simple_strtoull vsnprintf \
    snprintf,-D$(f)=xen_$(f))

TESTS += string
EXTRA_string := $(BUILD)/string/string.o $(BUILD)/string/vsnprintf.o

$(BUILD)/string/%.o: $(TOP)/xen/common/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      xen/common/$*.c (xen_ names)"
	@$(HOSTCC) $(CFLAGS_UNIT) -fno-builtin $(XEN_STRING_RENAMES) -c $< -o $@

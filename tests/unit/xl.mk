# xl-lite and libxl-lite's domain builder (tools/xl-lite, tools/
# libxl-lite/builder.c, hypercall.c), compiled for the host with ASan and
# UBSan: the builder and the hypercall wrappers against a recording mock
# of the hypervisor (test_libxl_builder), xl-lite's output formats against
# xl's exact strings and its command line run as a program (test_xl).
# libimage is the hypervisor's own object, built as in image.mk.

TESTS += libxl_builder xl
SRCS_libxl_builder := $(addprefix tools/libxl-lite/,config.c \
    config_xlcfg.c config_xml.c config_json.c hypercall.c builder.c)
EXTRA_libxl_builder := $(BUILD)/xen/common/libimage/libimage.o \
    $(BUILD)/xl_images.o

XL_UNIT_INC := -I$(TOP)/tools/libxl-lite/include -I$(TOP)/xen/include \
    -I$(TOP)/tools/include -I$(TOP)/xen/common/libimage $(LIBXL_PKG_CFLAGS)

$(BUILD)/test_libxl_builder.o: CFLAGS_EXTRA := $(XL_UNIT_INC)
$(BUILD)/xl_images.o: CFLAGS_EXTRA := $(XL_UNIT_INC)
$(BUILD)/test_libxl_builder: LDLIBS_EXTRA := $(LIBXL_PKG_LIBS)

# test_xl: the formatters linked in, and the whole xl-lite built with the
# same sanitizers as programs the tests run: xl-lite itself (privcmd, for
# the command-line errors) and xl-lite-fake, whose hypervisor is the fake
# in xl_fakehv.c, for create, list, destroy and the monitor end to end.
SRCS_xl := tools/xl-lite/format.c tools/libxl-lite/config.c \
    tools/libxl-lite/hypercall.c
XL_COMMON_SRCS := $(addprefix tools/xl-lite/,xl.c format.c state.c \
    monitor.c cmd_domain.c cmd_list.c cmd_host.c cmd_console.c cmd_irq.c) \
    $(addprefix tools/libxl-lite/,config.c config_xlcfg.c config_xml.c \
    config_json.c hypercall.c builder.c)
XL_PROG := $(BUILD)/xl-lite
XL_FAKE_PROG := $(BUILD)/xl-lite-fake
EXTRA_xl := $(BUILD)/xl_fakehv.o $(BUILD)/xl_images.o \
    | $(XL_PROG) $(XL_FAKE_PROG)

$(BUILD)/xl_fakehv.o: CFLAGS_EXTRA := -I$(TOP)/tools/libxl-lite/include \
    $(LIBXL_PKG_CFLAGS)

$(BUILD)/test_xl.o: CFLAGS_EXTRA := $(XL_UNIT_INC) \
    -I$(TOP)/tools/xl-lite -DXL_PROG='"$(XL_PROG)"' \
    -DXL_FAKE_PROG='"$(XL_FAKE_PROG)"' \
    -DTOOLS_DIR='"$(TOP)/tools"'
$(BUILD)/test_xl: LDLIBS_EXTRA := $(LIBXL_PKG_LIBS)

XL_COMMON_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(XL_COMMON_SRCS)) \
    $(BUILD)/xen/common/libimage/libimage.o

$(XL_PROG): $(XL_COMMON_OBJS) $(BUILD)/tools/libxl-lite/privcmd.o
	@echo "  LD      $(notdir $@)"
	@$(HOSTCC) $(LDFLAGS_UNIT) -o $@ $^ $(LIBXL_PKG_LIBS)

$(XL_FAKE_PROG): $(XL_COMMON_OBJS) $(BUILD)/xl_fakehv.o
	@echo "  LD      $(notdir $@)"
	@$(HOSTCC) $(LDFLAGS_UNIT) -o $@ $^ $(LIBXL_PKG_LIBS)

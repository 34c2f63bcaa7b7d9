# libxl-lite (tools/libxl-lite), the toolstack's library, compiled for the
# host with ASan and UBSan like everything here: its xl.cfg and libvirt
# XML parsers on good and malformed files (tests/unit/libxl/, and the
# sample configs under tools/), and its JSON checked through python3's
# json.tool.  Needs libxml2 and yajl (pkg-config), as tools/Makefile does.

LIBXL_PKGS := libxml-2.0 yajl
LIBXL_PKG_CFLAGS := $(shell pkg-config --cflags $(LIBXL_PKGS))
LIBXL_PKG_LIBS := $(shell pkg-config --libs $(LIBXL_PKGS))

TESTS += libxl_config
SRCS_libxl_config := $(addprefix tools/libxl-lite/,config.c \
    config_xlcfg.c config_xml.c config_json.c)

$(BUILD)/test_libxl_config.o: CFLAGS_EXTRA := \
    -I$(TOP)/tools/libxl-lite/include $(LIBXL_PKG_CFLAGS) \
    -DLIBXL_TEST_DATA='"$(UNIT_DIR)/libxl"' -DTOOLS_DIR='"$(TOP)/tools"'
$(BUILD)/test_libxl_config: LDLIBS_EXTRA := $(LIBXL_PKG_LIBS)

# The tools' own sources: the unit flags without the hypervisor's
# include paths, which host code has no business seeing, but with what
# tools/Makefile gives them: the public ABI (xen/include/public), the
# privcmd header and libimage's.
LIBXL_UNIT_CFLAGS := $(filter-out -I%,$(CFLAGS_UNIT)) \
    -I$(TOP)/tools/libxl-lite/include -I$(TOP)/xen/include \
    -I$(TOP)/tools/include -I$(TOP)/xen/common/libimage $(LIBXL_PKG_CFLAGS)

$(BUILD)/tools/%.o: $(TOP)/tools/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      tools/$*.c"
	@$(HOSTCC) $(LIBXL_UNIT_CFLAGS) -c $< -o $@

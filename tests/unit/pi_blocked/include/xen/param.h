/*
 * pi_blocked suite wrapper around xen/param.h: the boot options of the
 * sources under test go to a section named like a C identifier, so the
 * host linker provides __start_pib_param/__stop_pib_param and the tests
 * can hand the table to the real parse_params().
 */
#ifndef PIB_XEN_PARAM_H
#define PIB_XEN_PARAM_H

#include_next <xen/param.h>

#undef PARAM_SECTION_
#define PARAM_SECTION_ __used __section("pib_param") __aligned(8)

#endif /* PIB_XEN_PARAM_H */

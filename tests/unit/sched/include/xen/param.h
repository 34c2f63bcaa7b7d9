/*
 * Simulator wrapper around xen/param.h: the boot options of the sources
 * under test go to a section named like a C identifier, so the host
 * linker provides __start_sim_param/__stop_sim_param and the simulator
 * can hand the table to the real parse_params().
 */
#ifndef SIM_XEN_PARAM_H
#define SIM_XEN_PARAM_H

#include_next <xen/param.h>

#undef PARAM_SECTION_
#define PARAM_SECTION_ __used __section("sim_param") __aligned(8)

#endif /* SIM_XEN_PARAM_H */

/*
 * The end of a run.  With shutdown=exit the hypervisor leaves the
 * emulator once nothing is left to run: QEMU's isa-debug-exit port (exit
 * status (value << 1) | 1), then Bochs' shutdown port; on a real machine
 * those writes go nowhere and the ACPI reset register (or the keyboard
 * controller) resets it.
 */
#include <xen/lib.h>
#include <xen/console.h>
#include <xen/param.h>
#include <xen/serial.h>
#include <xen/shutdown.h>
#include <xen/smp.h>
#include <asm/io.h>
#include <asm/smpboot.h>
#include <asm/stack.h>
#include <asm/system.h>
#include <asm/traps.h>
#include <xen/acpi.h>

#define QEMU_DEBUG_EXIT_PORT    0xf4
#define BOCHS_SHUTDOWN_PORT     0x8900

bool opt_shutdown_exit;

static int parse_shutdown(const char *arg)
{
    if ( !strcmp(arg, "exit") )
        opt_shutdown_exit = true;
    else if ( !strcmp(arg, "idle") )
        opt_shutdown_exit = false;
    else
        return -1;
    return 0;
}
custom_param("shutdown", parse_shutdown);

/* Filled in by setup from the FADT. */
extern struct acpi_info boot_acpi;

static noreturn void leave_machine(int status)
{
    const char *s = "Shutdown";

    /* Bochs drops what is still in the UART when it shuts down. */
    serial_flush();
    outb((u8)status, QEMU_DEBUG_EXIT_PORT);
    while ( *s )
        outb(*s++, BOCHS_SHUTDOWN_PORT);

    if ( boot_acpi.have_reset_reg &&
         boot_acpi.reset_reg.space_id == ACPI_GAS_IO )
        outb(boot_acpi.reset_value, (u16)boot_acpi.reset_reg.address);
    outb(0xfe, 0x64);       /* keyboard controller: pulse reset */

    for ( ;; )
        halt();
}

noreturn void machine_exit(int status, const char *reason)
{
    if ( local_irq_is_enabled() )
        stop_other_cpus(false);
    else
        stop_other_cpus(true);
    printk("xen-lite exiting: %s (status %d)\n", reason, status);
    leave_machine(status);
}

void nothing_left_to_run(const char *why, int status)
{
    if ( opt_shutdown_exit )
        machine_exit(status, why);
    printk("Nothing left to run (%s); idling. Boot with shutdown=exit to "
           "end the run instead.\n", why);
}

noreturn void machine_crash_halt(void)
{
    unsigned int others = cpumask_weight(&cpu_online_map) - 1;
    unsigned int stopped;

    WRITE_ONCE(crash_in_progress, true);
    console_force_unlock();
    printk("Halting all pCPUs\n");
    stopped = stop_other_cpus(true);
    if ( stopped < others )
        printk(XENLOG_ERR "%u of %u other pCPUs did not stop\n",
               others - stopped, others);

    if ( opt_shutdown_exit )
    {
        printk("xen-lite exiting: crash on CPU %u (status 1)\n",
               smp_processor_id());
        leave_machine(1);
    }
    stop_this_cpu();
}

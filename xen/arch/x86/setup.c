/*
 * __start_xen: the boot pCPU's path from the loader to the idle loop, in
 * the order of the architecture map: console, memory map, page allocator,
 * descriptor tables, host APIC, TSC calibration, timers and softirqs, SMP
 * bring-up, then (with nothing to run yet) the idle loop.
 */
#include <xen/lib.h>
#include <xen/acpi.h>
#include <xen/console.h>
#include <xen/keyhandler.h>
#include <xen/sched.h>
#include <xen/serial.h>
#include <xen/mm.h>
#include <xen/param.h>
#include <xen/selftest.h>
#include <xen/shutdown.h>
#include <xen/smp.h>
#include <xen/time.h>
#include <xen/timer.h>
#include <asm/apic.h>
#include <asm/bootinfo.h>
#include <asm/boot_domains.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/progress.h>
#include <asm/irq.h>
#include <asm/page.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <asm/smpboot.h>
#include <asm/system.h>
#include <asm/time.h>
#include <asm/traps.h>

extern const struct kernel_param __param_start[], __param_end[];
extern u32 boot_cr3;     /* head.S: a 32-bit slot, loaded in 32-bit mode */

struct acpi_info boot_acpi;

void __start_xen(u32 magic, u32 info_pa);
void idle_loop(void) __attribute__((__noreturn__));

/*
 * Multiboot v1 loaders (QEMU, GRUB) put the image's path before the
 * options; strip it so it is not taken for an unknown option.
 */
static const char *skip_image_name(const char *cmdline)
{
    const char *p = cmdline;

    if ( boot_info.multiboot != 1 )
        return cmdline;
    while ( *p == ' ' )
        p++;
    if ( !*p || strchr(p, '=') == p )
        return cmdline;
    while ( *p && *p != ' ' )
        p++;
    return p;
}

static void acpi_init(paddr_t ebda)
{
    paddr_t rsdp = 0;
    int rc;

    if ( boot_info.have_rsdp )
        rsdp = (paddr_t)(unsigned long)boot_info.rsdp;
    else if ( acpi_find_rsdp(map_phys, ebda, &rsdp) )
    {
        printk(XENLOG_WARNING "ACPI: no RSDP found\n");
        return;
    }

    rc = acpi_parse(map_phys, rsdp, &boot_acpi);
    if ( rc )
    {
        printk(XENLOG_WARNING "ACPI: tables unusable (%d)\n", rc);
        return;
    }
    printk("ACPI: OEM \"%s\", %u CPUs, %u IOAPICs, PM timer %s%#x\n",
           boot_acpi.oem_id, boot_acpi.nr_cpus, boot_acpi.nr_ioapics,
           boot_acpi.pm_tmr_32bit ? "(32-bit) " : "", boot_acpi.pm_tmr_port);
    /* Bochs's BIOS names itself there; QEMU's (the same) has CPUID's bit. */
    boot_cpu.bochs = !boot_cpu.hypervisor &&
                     !memcmp(boot_acpi.oem_id, "BOCHS ", 6);
    if ( boot_cpu.bochs )
        printk("Running under Bochs: its VMX deviations are worked around\n");
}

static void serial_interrupt(struct cpu_user_regs *regs)
{
    int c;

    (void)regs;
    while ( (c = serial_getc()) >= 0 )
        console_rx_char((char)c);
}

/* COM1 input arrives as ISA IRQ 4 on the boot pCPU. */
static void serial_irq_init(void)
{
    int vec = vector_alloc(cpu_vector_table(0), VR_DYNAMIC, "com1");

    if ( vec < 0 ||
         ioapic_route_isa_irq(&boot_acpi, 4, vec, get_apic_id()) )
    {
        printk(XENLOG_WARNING "Console: no serial input (vector %d)\n",
               vec);
        return;
    }
    set_vector_handler(vec, serial_interrupt);
    console_input_init();
    serial_enable_rx_irq();
}

static void hvm_cpu_up_here(void *unused)
{
    unsigned int cpu = smp_processor_id();

    (void)unused;
    if ( hvm_cpu_up(cpu) )
        panic("Cannot enable HVM on CPU %u", cpu);
}

void __start_xen(u32 magic, u32 info_pa)
{
    paddr_t ebda;
    unsigned int cpus, started, failed;

    time_early_init();
    percpu_set_area(0, 0);
    console_init();
    printk("xen-lite: a small Xen-style hypervisor for x86-64\n");

    multiboot_parse(magic, info_pa);
    printk("Loader: %s (Multiboot%s)\n",
           boot_info.loader[0] ? boot_info.loader : "unknown",
           boot_info.multiboot == 2 ? "2" : " v1");
    printk("Command line: %s\n", boot_info.cmdline);
    parse_params(skip_image_name(boot_info.cmdline), __param_start,
                 __param_end);

    identify_boot_cpu();
    printk("CPU: %s, NX %s, x2APIC %s, TSC-deadline %s\n", boot_cpu.vendor,
           boot_cpu.nx ? "yes" : "no", boot_cpu.x2apic ? "yes" : "no",
           boot_cpu.tsc_deadline ? "yes" : "no");

    /* The BIOS data area is in page 0, which the final tables unmap. */
    {
        u16 seg;

        /* Through asm: GCC rejects a constant low address as a pointer. */
        __asm__ __volatile__ ( "movw 0x40e, %0" : "=r" (seg) );
        ebda = (paddr_t)seg << 4;
    }

    memory_init();
    boot_cr3 = (u32)idle_pg_table_pa;

    if ( cpu_desc_init(0) )
        panic("No memory for the boot CPU's descriptor tables");
    cpu_desc_load(0);
    irq_cpu_init(0);
    irq_print_vector_ranges(0);

    acpi_init(ebda);
    disable_legacy_pic();
    for ( unsigned int i = 0; i < boot_acpi.nr_ioapics; i++ )
        ioapic_mask_all(boot_acpi.ioapics[i].address);
    apic_init_bsp(boot_acpi.lapic_address);

    tsc_calibrate(boot_acpi.pm_tmr_port, boot_acpi.pm_tmr_32bit);
    host_rtc_init();
    timer_init();
    if ( idle_domain_init() || idle_vcpu_init(0) || scheduler_init() ||
         sched_cpu_init(0) )
        panic("Cannot set up the scheduler");
    dump_keys_init();
    local_irq_enable();
    lapic_timer_init();
    serial_irq_init();

    cpus = smp_boot_cpus(&boot_acpi);
    printk("Brought up %u CPUs\n", cpus);

    selftest_timers();
    selftest_fault();

    if ( hvm_setup() )
        on_selected_cpus(&cpu_online_map, hvm_cpu_up_here, NULL, true);

    printk("Boot complete: heap %lu of %lu pages free\n",
           free_heap_pages_count(), total_heap_pages());
    started = create_boot_domains(&failed);
    if ( !started )
        nothing_left_to_run(failed ? "no domain could be built"
                                   : "no domains to run", failed ? 1 : 0);
    hvm_progress_boot_done();
    idle_loop();
}

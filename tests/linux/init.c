/*
 * /init of the test initramfs for Linux domains: mounts /proc, /sys and
 * /dev, prints what the tests check (the CPUs online, the clocksource, the
 * serial line's interrupt count) as "XENLITE-INIT key value" lines and a
 * marker line, then ends the domain through xen-lite's exit port (0xf4;
 * the value written is the domain's status).  Arguments (the kernel
 * command line after "--"): "checks" also runs a pipe ping-pong between
 * two CPUs, a timed sleep 2 and reads a typed line; "poweroff" ends the
 * domain with `poweroff -f` (ACPI power-off) instead; "shell" starts a
 * busybox shell; "privcmd" (in dom0) or "privcmd-domu" (in another
 * domain) runs /bin/privcmd-test (tests/linux/privcmd_test.c) before the
 * end, "power=N" runs "privcmd-test power N" (press domain N's power
 * button until it powers off); "script=NAME" runs the shell script
 * /tests/NAME.sh; "acpid" loads Linux's ACPI button and evdev modules,
 * then, after everything else, starts busybox acpid with a config that
 * turns the power button into `poweroff -f` and waits for it (with
 * "shell" too, it runs beside the shell); "bench=NAME:N" (repeatable)
 * runs "/bin/linux-bench NAME N" (tests/linux/linux_bench.c, the
 * workloads of tests/bench/linux_workloads.py) in dom0.  Before
 * anything else, once /dev, /proc, /sys and /run (a tmpfs, for xl-lite's
 * state in dom0's image) are mounted, it loads the dom0 driver
 * /lib/modules/privcmd.ko (tools/dom0/privcmd), which refuses to load
 * (ENODEV) when not running on xen-lite.
 * Static, so the initramfs needs no libraries.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define EXIT_PORT   0xf4
#define PRIVCMD_KO  "/lib/modules/privcmd.ko"
#define EVDEV_KO    "/lib/modules/evdev.ko"
#define BUTTON_KO   "/lib/modules/button.ko"

static int mount_one(const char *src, const char *dir, const char *type)
{
    mkdir(dir, 0755);
    if ( mount(src, dir, type, 0, NULL) && errno != EBUSY )
    {
        printf("XENLITE-INIT mount %s: %s\n", dir, strerror(errno));
        return 1;
    }
    return 0;
}

/* "XENLITE-INIT key <first line of path>", or "... key ?" */
static void report_file(const char *key, const char *path)
{
    char line[256] = "?";
    FILE *f = fopen(path, "r");

    if ( f )
    {
        if ( !fgets(line, sizeof(line), f) )
            strcpy(line, "?");
        fclose(f);
    }
    line[strcspn(line, "\n")] = '\0';
    printf("XENLITE-INIT %s %s\n", key, line);
}

/*
 * The /proc/interrupts line of the device 'name', squeezed onto one line.
 * By name: on a hardware-reduced platform Linux numbers its IRQs freely
 * (GSI 4 need not be IRQ 4).
 */
static void report_irq(const char *name)
{
    char line[512];
    FILE *f = fopen("/proc/interrupts", "r");

    while ( f && fgets(line, sizeof(line), f) )
    {
        char *p = line + strspn(line, " ");

        p[strcspn(p, "\n")] = '\0';
        if ( strstr(p, name) )
        {
            printf("XENLITE-INIT irq %s\n", p);
            break;
        }
    }
    if ( f )
        fclose(f);
}

static void console_stdio(void)
{
    int fd = open("/dev/console", O_RDWR);

    if ( fd < 0 )
        return;
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if ( fd > 2 )
        close(fd);
}

/* ttyS0's counters in /proc/tty/driver/serial (tx:, rx:, ...). */
static void report_serial(void)
{
    char line[256];
    FILE *f = fopen("/proc/tty/driver/serial", "r");

    while ( f && fgets(line, sizeof(line), f) )
        if ( !strncmp(line, "0: ", 3) )
        {
            line[strcspn(line, "\n")] = '\0';
            printf("XENLITE-INIT serial %s\n", line + 3);
            break;
        }
    if ( f )
        fclose(f);
}

/* 'word' among init's arguments (the kernel command line after "--"). */
static int has_arg(int argc, char **argv, const char *word)
{
    for ( int i = 1; i < argc; i++ )
        if ( !strcmp(argv[i], word) )
            return 1;
    return 0;
}

static unsigned long ms_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000UL +
           (t1.tv_nsec - t0->tv_nsec) / 1000000L;
}

static void pin_to(unsigned int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
}

/*
 * Two processes, on CPU 0 and the last CPU, bounce a byte through two
 * pipes: every round trip wakes the other side, which with two vCPUs is
 * a cross-vCPU wakeup (a scheduler IPI) each way.
 */
static int pingpong(unsigned int rounds)
{
    int ab[2], ba[2], status;
    unsigned int i, last = sysconf(_SC_NPROCESSORS_ONLN) - 1;
    struct timespec t0;
    pid_t pid;
    char c = 'x';

    if ( pipe(ab) || pipe(ba) )
        return 1;
    pid = fork();
    if ( pid < 0 )
        return 1;
    if ( pid == 0 )
    {
        pin_to(last);
        for ( i = 0; i < rounds; i++ )
            if ( read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1 )
                _exit(1);
        _exit(0);
    }
    pin_to(0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for ( i = 0; i < rounds; i++ )
        if ( write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1 )
            break;
    waitpid(pid, &status, 0);
    printf("XENLITE-INIT pingpong %u round trips, CPU 0 and CPU %u, in %lu "
           "ms\n", i, last, ms_since(&t0));
    return i != rounds || !WIFEXITED(status) || WEXITSTATUS(status);
}

/* The tests time these two lines by the host's clock. */
static void timed_sleep(void)
{
    struct timespec t0;

    printf("XENLITE-INIT sleep 2 begin\n");
    tcdrain(STDOUT_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sleep(2);
    printf("XENLITE-INIT sleep 2 end (%lu ms by the guest's clock)\n",
           ms_since(&t0));
}

/* A line typed on the serial console, read by busybox's shell. */
static int read_typed_line(void)
{
    printf("XENLITE-INIT type a line\n");
    return system("/bin/sh -c 'read line; "
                  "echo \"XENLITE-INIT read $line\"'") != 0;
}

/* finit_module(2) of 'path', as insmod would: 0 or an errno. */
static int load_module(const char *name, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), err;

    if ( fd < 0 )
    {
        err = errno;
        printf("XENLITE-INIT %s %s: %s\n", name, path, strerror(err));
        return err;
    }
    err = syscall(SYS_finit_module, fd, "", 0) ? errno : 0;
    close(fd);
    if ( err )
        printf("XENLITE-INIT %s not loaded: %s\n", name, strerror(err));
    else
        printf("XENLITE-INIT %s loaded\n", name);
    return err;
}

/*
 * The dom0 driver.  Not being on xen-lite (ENODEV: the initramfs booted
 * by QEMU alone) is no failure.
 */
static int load_privcmd(void)
{
    int err = load_module("privcmd", PRIVCMD_KO);

    return err && err != ENODEV;
}

/*
 * Linux's ACPI power button driver, which turns the PNP0C0C device's
 * notifications into KEY_POWER, and evdev, through which acpid reads
 * them (both modules in Debian's kernel).  evdev first: it attaches to
 * the button's input device when that appears.
 */
static int load_button_modules(void)
{
    return load_module("evdev", EVDEV_KO) || load_module("button", BUTTON_KO);
}

static int write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    ssize_t len = strlen(text);
    int bad = fd < 0 || write(fd, text, len) != len;

    if ( fd >= 0 )
        bad |= close(fd) != 0;
    if ( bad )
        printf("XENLITE-INIT write %s: %s\n", path, strerror(errno));
    return bad;
}

/*
 * busybox acpid in the foreground (-d: its log on the console).  It maps
 * the KEY_POWER of /dev/input/event* to the event "PWRF" (its built-in
 * map, /etc/acpi.map absent) and, through the action file
 * /etc/acpid.conf, "PWRF" to the program power.sh in its config
 * directory /etc/acpi, which it runs from there.  With 'wait', returns
 * only if acpid could not be started or ended; without (a shell follows),
 * once it is started.
 */
static int run_acpid(bool wait)
{
    int status;
    pid_t pid;

    mkdir("/etc", 0755);
    mkdir("/etc/acpi", 0755);
    if ( write_file("/etc/acpid.conf", "PWRF power.sh\n", 0644) ||
         write_file("/etc/acpi/power.sh",
                    "#!/bin/sh\n"
                    "echo XENLITE-INIT acpid: power button, poweroff -f\n"
                    "exec /bin/poweroff -f\n", 0755) )
        return 1;
    pid = fork();
    if ( pid == 0 )
    {
        execl("/bin/acpid", "acpid", "-d", "-c", "/etc/acpi",
              "-a", "/etc/acpid.conf", "-p", "/run/acpid.pid", (char *)NULL);
        printf("XENLITE-INIT exec acpid: %s\n", strerror(errno));
        _exit(127);
    }
    if ( pid < 0 )
        return 1;
    printf("XENLITE-INIT acpid started, waiting for the power button\n");
    if ( !wait )
        return 0;
    if ( waitpid(pid, &status, 0) != pid )
        return 1;
    printf("XENLITE-INIT acpid ended, status %d\n",
           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 1;
}

/*
 * "script=NAME" runs /tests/NAME.sh (tests/linux/, in dom0's image) with
 * busybox's shell: the xl-lite tests that need no typing, as on Bochs.
 * Nonzero unless it exits with 0.
 */
static int run_scripts(int argc, char **argv)
{
    int bad = 0;

    for ( int i = 1; i < argc; i++ )
    {
        char path[256];

        if ( strncmp(argv[i], "script=", 7) ||
             snprintf(path, sizeof(path), "/tests/%s.sh", argv[i] + 7) >=
             (int)sizeof(path) )
            continue;
        printf("XENLITE-INIT script %s\n", path);
        setenv("PATH", "/bin:/sbin", 1);
        int status = system(path);
        printf("XENLITE-INIT script %s status %d\n", path,
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        bad |= !WIFEXITED(status) || WEXITSTATUS(status);
    }
    return bad;
}

/*
 * "bench=NAME:N" runs /bin/linux-bench NAME N; nonzero unless every one
 * exits with 0.
 */
static int run_benches(int argc, char **argv)
{
    int bad = 0;

    for ( int i = 1; i < argc; i++ )
    {
        char name[64], *colon;
        int status;
        pid_t pid;

        if ( strncmp(argv[i], "bench=", 6) )
            continue;
        if ( snprintf(name, sizeof(name), "%s", argv[i] + 6) >=
             (int)sizeof(name) || !(colon = strchr(name, ':')) )
        {
            printf("XENLITE-INIT %s: not bench=NAME:N\n", argv[i]);
            bad = 1;
            continue;
        }
        *colon = '\0';
        pid = fork();
        if ( pid == 0 )
        {
            execl("/bin/linux-bench", "linux-bench", name, colon + 1,
                  (char *)NULL);
            printf("XENLITE-INIT exec linux-bench: %s\n", strerror(errno));
            _exit(127);
        }
        if ( pid < 0 || waitpid(pid, &status, 0) != pid )
            return 1;
        printf("XENLITE-INIT bench %s status %d\n", name,
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        bad |= !WIFEXITED(status) || WEXITSTATUS(status);
    }
    return bad;
}

/*
 * Runs /bin/privcmd-test 'mode' ['arg']; nonzero unless it exits with 0.
 */
static int privcmd_test(const char *mode, const char *arg)
{
    int status;
    pid_t pid = fork();

    if ( pid == 0 )
    {
        execl("/bin/privcmd-test", "privcmd-test", mode, arg, (char *)NULL);
        printf("XENLITE-INIT exec privcmd-test: %s\n", strerror(errno));
        _exit(127);
    }
    if ( pid < 0 || waitpid(pid, &status, 0) != pid )
        return 1;
    return !WIFEXITED(status) || WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
    int bad = 0;

    bad |= mount_one("devtmpfs", "/dev", "devtmpfs");
    console_stdio();
    bad |= mount_one("proc", "/proc", "proc");
    bad |= mount_one("sysfs", "/sys", "sysfs");
    /* xl-lite keeps its domains' state under /run/xen-lite. */
    bad |= mount_one("tmpfs", "/run", "tmpfs");
    setvbuf(stdout, NULL, _IONBF, 0);
    bad |= load_privcmd();
    report_file("cpus", "/sys/devices/system/cpu/online");
    report_file("clocksource",
                "/sys/devices/system/clocksource/clocksource0/"
                "current_clocksource");
    /*
     * The lines above sit in the tty's buffer until the UART's transmit
     * interrupts send them: read its counts once they have gone out.
     */
    tcdrain(STDOUT_FILENO);
    report_irq("ttyS0");
    report_serial();
    if ( has_arg(argc, argv, "checks") )
    {
        bad |= pingpong(10000);
        timed_sleep();
        bad |= read_typed_line();
    }
    if ( has_arg(argc, argv, "privcmd") )
        bad |= privcmd_test("dom0", NULL);
    if ( has_arg(argc, argv, "privcmd-domu") )
        bad |= privcmd_test("domu", NULL);
    for ( int i = 1; i < argc; i++ )
        if ( !strncmp(argv[i], "power=", 6) )
            bad |= privcmd_test("power", argv[i] + 6);
    bad |= run_scripts(argc, argv);
    bad |= run_benches(argc, argv);
    if ( has_arg(argc, argv, "acpid") )
    {
        bad |= load_button_modules();
        /* The GED's interrupt, as Linux's evged.c requested it. */
        report_irq("ACPI:Ged");
    }
    printf("XENLITE-INIT %s\n", bad ? "FAIL" : "OK");
    if ( has_arg(argc, argv, "acpid") && !bad )
    {
        setenv("PATH", "/bin:/sbin", 1);
        bad |= run_acpid(!has_arg(argc, argv, "shell"));
    }
    if ( has_arg(argc, argv, "shell") )
    {
        /* make run: a shell on the console; poweroff -f ends the domain. */
        setenv("PATH", "/bin:/sbin", 1);
        setenv("HOME", "/", 1);
        printf("xen-lite: busybox shell; 'poweroff -f' ends the "
               "domain, three Ctrl-A switch input to the hypervisor\n");
        /* A session with the console as its terminal: job control. */
        execl("/bin/setsid", "setsid", "cttyhack", "sh", (char *)NULL);
        printf("XENLITE-INIT exec setsid cttyhack sh: %s\n",
               strerror(errno));
    }
    /* The serial console sends by interrupts: let it finish first. */
    tcdrain(STDOUT_FILENO);
    sync();
    if ( has_arg(argc, argv, "poweroff") )
    {
        /* busybox: reboot(RB_POWER_OFF), ACPI S5 through the FADT. */
        execl("/bin/poweroff", "poweroff", "-f", (char *)NULL);
        printf("XENLITE-INIT exec poweroff -f: %s\n", strerror(errno));
    }

    /* Not a PC power-off: the exit port is xen-lite's test device. */
    if ( ioperm(EXIT_PORT, 1, 1) )
        printf("XENLITE-INIT ioperm: %s\n", strerror(errno));
    else
    {
        outb(bad, EXIT_PORT);
        printf("XENLITE-INIT the exit port did not end the domain\n");
    }
    for ( ;; )
        pause();
}

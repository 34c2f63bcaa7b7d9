/*
 * /init of the test initramfs for Linux domains: mounts /proc, /sys and
 * /dev, prints what the tests check (the CPUs online, the clocksource, the
 * serial line's interrupt count) as "XENLITE-INIT key value" lines and a
 * marker line, then ends the domain through xen-lite's exit port (0xf4;
 * the value written is the domain's status).  Static, so the initramfs
 * needs no libraries.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define EXIT_PORT   0xf4

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

/* "shell" among init's arguments (kernel command line after "--"). */
static int want_shell(int argc, char **argv)
{
    for ( int i = 1; i < argc; i++ )
        if ( !strcmp(argv[i], "shell") )
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    int bad = 0;

    bad |= mount_one("devtmpfs", "/dev", "devtmpfs");
    console_stdio();
    bad |= mount_one("proc", "/proc", "proc");
    bad |= mount_one("sysfs", "/sys", "sysfs");
    setvbuf(stdout, NULL, _IONBF, 0);
    report_file("cpus", "/sys/devices/system/cpu/online");
    report_file("clocksource",
                "/sys/devices/system/clocksource/clocksource0/"
                "current_clocksource");
    report_irq("ttyS0");
    printf("XENLITE-INIT %s\n", bad ? "FAIL" : "OK");
    if ( want_shell(argc, argv) )
    {
        /* make run: a shell on the console; poweroff -f ends the domain. */
        setenv("PATH", "/bin:/sbin", 1);
        setenv("HOME", "/", 1);
        printf("xen-lite dom0: busybox shell; 'poweroff -f' ends the "
               "domain, three Ctrl-A switch input to the hypervisor\n");
        /* A session with the console as its terminal: job control. */
        execl("/bin/setsid", "setsid", "cttyhack", "sh", (char *)NULL);
        printf("XENLITE-INIT exec setsid cttyhack sh: %s\n",
               strerror(errno));
    }
    /* The serial console sends by interrupts: let it finish first. */
    tcdrain(STDOUT_FILENO);
    sync();

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

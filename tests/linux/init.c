/*
 * /init of the test initramfs for Linux domains: mounts /proc, /sys and
 * /dev, prints one marker line on the console, then ends the domain
 * through xen-lite's exit port (0xf4; the value written is the domain's
 * status).  Static, so the initramfs needs no libraries.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/stat.h>
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

int main(void)
{
    int bad = 0;

    bad |= mount_one("devtmpfs", "/dev", "devtmpfs");
    console_stdio();
    bad |= mount_one("proc", "/proc", "proc");
    bad |= mount_one("sysfs", "/sys", "sysfs");
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("XENLITE-INIT %s\n", bad ? "FAIL" : "OK");
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

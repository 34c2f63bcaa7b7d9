/*
 * console_io: guests writing to the hypervisor console, and the control
 * domain reading the newest console text back.
 *
 * A write is copied in whole before anything is printed, so a bad buffer
 * prints nothing.  Each line goes out as "(d<id>) text"; characters that
 * could confuse a terminal or forge another line (control characters
 * other than tab, DEL, bytes >= 0x80) are dropped, and over-long lines
 * are split so no line outgrows printk's buffer.
 *
 * Locking: none of its own; printk and the console ring have theirs.
 */
#include <xen/lib.h>
#include <xen/console.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/hypercall.h>
#include <xen/sched.h>
#include <xen/xmalloc.h>

#define CONSOLEIO_WRITE_MAX     4096    /* bytes per call */
#define GUEST_LINE_MAX          256     /* characters per printed line */
#define CONSOLEIO_READ_MAX      (1U << 20)  /* more than the ring holds */
#define READ_CHUNK              256     /* bounce buffer for reads */

static void print_line(const struct domain *d, char *line, unsigned int len)
{
    line[len] = '\0';
    printk("(d%u) %s\n", d->domain_id, line);
}

static long console_write(struct hypercall_ctx *ctx, u64 count, u64 buf)
{
    struct domain *d = ctx->v->domain;
    char line[GUEST_LINE_MAX + 1];
    unsigned int len = 0;
    bool split = false;             /* the last line was cut at the limit */
    char *text;

    if ( count > CONSOLEIO_WRITE_MAX )
        return -EINVAL;
    if ( count == 0 )
        return 0;

    text = xmalloc_bytes(count);
    if ( !text )
        return -ENOMEM;
    if ( copy_from_guest_virt(d, &ctx->paging, text, buf, count) )
    {
        xfree(text);
        return -EFAULT;
    }

    for ( u64 i = 0; i < count; i++ )
    {
        unsigned char c = text[i];

        if ( c == '\n' )
        {
            /* A newline right after a split ends that line, no blank. */
            if ( len || !split )
                print_line(d, line, len);
            len = 0;
            split = false;
            continue;
        }
        if ( c != '\t' && (c < 0x20 || c >= 0x7f) )
            continue;
        line[len++] = c;
        split = false;
        if ( len == GUEST_LINE_MAX )
        {
            print_line(d, line, len);
            len = 0;
            split = true;
        }
    }
    /* Text after the last newline is a line of its own. */
    if ( len )
        print_line(d, line, len);

    xfree(text);
    return count;
}

/* The newest 'count' bytes of the ring (fewer if it holds less). */
static long console_read(struct hypercall_ctx *ctx, u64 count, u64 buf)
{
    char chunk[READ_CHUNK];
    u64 written = console_ring_written(), pos, done = 0;

    if ( !ctx->v->domain->is_privileged )
        return -EPERM;

    /* Also bounds the loop while others keep printing. */
    count = min(count, (u64)CONSOLEIO_READ_MAX);
    pos = written > count ? written - count : 0;
    while ( done < count )
    {
        size_t n = console_ring_read(&pos, chunk,
                                     min(count - done, (u64)sizeof(chunk)));

        if ( !n )
            break;
        if ( copy_to_guest_virt(ctx->v->domain, &ctx->paging, buf + done,
                                chunk, n) )
            return -EFAULT;
        done += n;
    }
    return done;
}

long do_console_io(struct hypercall_ctx *ctx, u64 cmd, u64 count, u64 buf)
{
    switch ( cmd )
    {
    case CONSOLEIO_write:
        return console_write(ctx, count, buf);
    case CONSOLEIO_read:
        return console_read(ctx, count, buf);
    default:
        return -ENOSYS;
    }
}

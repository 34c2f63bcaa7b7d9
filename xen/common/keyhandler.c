/*
 * Debug keys: a table from a character to a dump function.  Handlers print
 * into the console ring; 'h' lists the table.
 *
 * Locking: registration happens at boot, before any key can arrive, so
 * lookups take no lock.  keyhandler_lock serialises running handlers, so
 * two dumps (serial input and a sysctl at once) never interleave.
 */
#include <xen/lib.h>
#include <xen/keyhandler.h>
#include <xen/spinlock.h>

static struct
{
    keyhandler_fn fn;
    const char *desc;
} key_table[128];

static DEFINE_SPINLOCK(keyhandler_lock);

void register_keyhandler(unsigned char key, keyhandler_fn fn,
                         const char *desc)
{
    ASSERT(key < ARRAY_SIZE(key_table) && !key_table[key].fn);
    key_table[key].fn = fn;
    key_table[key].desc = desc;
}

static void show_help(unsigned char key)
{
    (void)key;
    printk("'%c' pressed -> showing installed handlers\n", 'h');
    for ( unsigned int k = 0; k < ARRAY_SIZE(key_table); k++ )
        if ( key_table[k].fn )
            printk(" key '%c' (ascii '%02x') => %s\n", k, k,
                   key_table[k].desc);
}

void handle_keypress(unsigned char key)
{
    keyhandler_fn fn = key < ARRAY_SIZE(key_table) ? key_table[key].fn
                                                     : NULL;

    if ( key == 'h' )
        fn = show_help;
    if ( !fn )
    {
        printk("'%c' (ascii '%02x'): no handler; 'h' lists them\n",
               key >= 0x20 && key < 0x7f ? key : '?', key);
        return;
    }
    spin_lock(&keyhandler_lock);
    fn(key);
    spin_unlock(&keyhandler_lock);
}

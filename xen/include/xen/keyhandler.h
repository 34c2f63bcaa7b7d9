/*
 * Debug keys: one-character commands that dump hypervisor state into the
 * console ring, typed on the serial console (after three Ctrl-A) or sent
 * with the debug_keys sysctl.
 */
#ifndef XEN_KEYHANDLER_H
#define XEN_KEYHANDLER_H

typedef void (*keyhandler_fn)(unsigned char key);

void register_keyhandler(unsigned char key, keyhandler_fn fn,
                         const char *desc);
/* Run the handler of 'key'; an unknown key prints a line saying so. */
void handle_keypress(unsigned char key);

/* Register the state dumps (common/dump.c). */
void dump_keys_init(void);

#endif /* XEN_KEYHANDLER_H */

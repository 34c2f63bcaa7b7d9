/*
 * triple_fault: announces itself, then deliberately triple-faults (an IDT
 * with limit 0, then INT3: #GP on the IDT limit, which cannot be delivered
 * either, so #DF, which cannot be delivered: shutdown). There is no verdict
 * line: natively QEMU with -no-reboot exits with status 0, Bochs (with
 * reset_on_triple_fault=0) stops with a panic, and under xen-lite only
 * this domain is crashed while the hypervisor and other domains go on.
 */
#include "test.h"

const char test_name[] = "triple_fault";

void test_main(void)
{
    printf("triple_fault: about to triple-fault (IDT limit 0, then int3); "
           "no verdict follows\n");
    console_flush();
    idt_triple_fault();
}

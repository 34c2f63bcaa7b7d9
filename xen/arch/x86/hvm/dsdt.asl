/*
 * The DSDT of an xen-lite HVM guest, compiled to AML at build time by
 * iasl (acpica-tools) into build/: COM1 and the S5 sleep type.  The
 * other tables are built in C (acpi_build.c), which must agree with this
 * file on the values noted below.
 */
DefinitionBlock ("", "DSDT", 2, "XENLIT", "XENLITE ", 1)
{
    /*
     * S5 (soft off, ACPI 6.3 section 7.4.2): SLP_TYPa and SLP_TYPb.  With
     * a hardware-reduced FADT, OSPM writes SLP_TYPa << 2 | SLP_EN to the
     * sleep control register; acpi_pm.c powers off on type 5
     * (ACPI_S5_SLP_TYP in asm/hvm/io.h).
     */
    Name (\_S5, Package (0x04) { 0x05, 0x05, 0x00, 0x00 })

    Scope (\_SB)
    {
        /* The 16550A of vuart.c at 0x3f8, on ISA IRQ 4 (edge, high). */
        Device (COM1)
        {
            Name (_HID, EisaId ("PNP0501"))
            Name (_UID, 0x01)
            Method (_STA, 0, NotSerialized)
            {
                Return (0x0F)
            }
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
                IRQNoFlags () {4}
            })
        }
    }
}

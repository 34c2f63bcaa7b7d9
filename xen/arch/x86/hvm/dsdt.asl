/*
 * The DSDT of an xen-lite HVM guest, compiled to AML at build time by
 * iasl (acpica-tools) into build/: COM1, the S5 sleep type, and the power
 * button behind a Generic Event Device.  The other tables are built in C
 * (acpi_build.c), and the registers modelled in acpi_pm.c, which must
 * agree with this file on the values noted below.
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

        /*
         * The power button.  A hardware-reduced platform has no fixed
         * power button (ACPI 6.3 section 4.8.2.2.1), so it is this
         * control-method power button device (section 4.8.2.2.1.2),
         * notified by GED0 below.  OSPM finds it by its _HID alone.
         */
        Device (PWRB)
        {
            Name (_HID, EisaId ("PNP0C0C"))
            Name (_UID, 0x00)
        }

        /*
         * The Generic Event Device (section 5.6.9), the only way a
         * hardware-reduced platform signals ACPI events: OSPM takes the
         * interrupt of _CRS and runs _EVT with its GSI.  GSI 23, level,
         * active high: ACPI_GED_GSI in asm/hvm/io.h (acpi_pm.c says why).
         * The event status register is acpi_pm.c's port 0x603
         * (ACPI_GED_STATUS_PORT): bit 0 is the power button
         * (ACPI_GED_PWRBTN_STS), write 1 to clear, and the line stays
         * asserted while a bit is set, so _EVT clears what it read
         * before telling OSPM: a press arriving meanwhile raises the line
         * again rather than being lost.
         */
        Device (GED0)
        {
            Name (_HID, "ACPI0013")
            Name (_UID, 0x00)
            Name (_CRS, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive)
                {
                    23
                }
            })
            OperationRegion (EREG, SystemIO, 0x0603, 0x01)
            Field (EREG, ByteAcc, NoLock, Preserve)
            {
                ESTS, 8
            }
            Method (_EVT, 1, Serialized)
            {
                Local0 = ESTS
                ESTS = Local0
                If (Local0 & 0x01)
                {
                    /* "Power button pressed" (section 5.6.6) */
                    Notify (PWRB, 0x80)
                }
            }
        }
    }
}

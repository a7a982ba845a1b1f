/*
 * devices/devices.h - the device model: the machine's port I/O space.
 *
 * Every engine sends port I/O here: softcpu and native after the dispatcher
 * has decoded an in/out that trapped, kvm straight from a KVM_EXIT_IO.
 * The whole port map is wired in one place, devices_io() in
 * devices/devices.c, after OpenBSD vmd's habit.
 */
#ifndef DEVICES_DEVICES_H
#define DEVICES_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/fw_cfg.h"
#include "devices/i8042.h"
#include "devices/i8254.h"
#include "devices/i8259.h"
#include "devices/mc146818.h"
#include "devices/ide.h"
#include "devices/ns16550a.h"
#include "devices/pci.h"

struct vm;

#define PORT_ISA_DEBUG_EXIT 0xf4 /* QEMU's isa-debug-exit */

struct devices {
	struct ns16550a com1;    /* 16550A UART at COM1_BASE */
	struct i8259_pair pic;   /* 8259A master and slave */
	struct i8254 pit;        /* 8254 timer; channel 0 is IRQ 0 */
	struct pci_host pci;     /* configuration mechanism #1, host bridge */
	struct fw_cfg fw_cfg;    /* QEMU's firmware configuration items */
	struct i8042 kbc;        /* keyboard controller; IRQ 1 and 12 */
	struct mc146818 rtc;     /* real-time clock and CMOS RAM; IRQ 8 */
	struct ide_bus ide0;     /* primary IDE channel; IRQ 14 */
};

/*
 * Bring the interrupt lines up to date with virtual time (core/clock.h):
 * the PIT's IRQ 0 edges and the levels of the UART (IRQ 4), the 8042
 * (IRQ 1, 12) and the RTC (IRQ 8) go to the PIC, and the PIT's and RTC's
 * next events are registered with the clock.
 */
void devices_update(struct vm *vm);

#define IRQ_TIMER 0 /* PIT channel 0 */
#define IRQ_COM1 4  /* the UART */
#define IRQ_KEYBOARD 1 /* the 8042's keyboard side */
#define IRQ_AUX 12  /* the 8042's aux (mouse) side */
#define IRQ_RTC 8   /* the RTC's update-ended interrupt */
#define IRQ_IDE0 14 /* the primary IDE channel */

/* Reset every device to its power-on state; UART output goes to out_fd. */
void devices_init(struct vm *vm, int out_fd);

/*
 * The vCPU is about to sleep (hlt): let what the devices hold back go out
 * now, so that a prompt without a newline shows while the guest waits.
 */
void devices_idle(struct vm *vm);

/* Release what the devices hold (the disk images). */
void devices_fini(struct vm *vm);

/*
 * One port access of size 1, 2 or 4 bytes.  For in, *data receives the
 * value (all ones from a port nothing answers, as on a PC's bus); for out,
 * *data holds it.
 */
void devices_io(struct vm *vm, uint16_t port, unsigned size, bool in,
		uint32_t *data);

/*
 * One access to guest-physical memory that is not RAM: the chips mapped
 * in the MMIO hole below 4 GiB (the LAPIC at 0xfee00000, the IOAPIC at
 * 0xfec00000), and whatever else the guest touches there.  size is 1, 2,
 * 4 or 8.  For a read, *data receives the value; an address that no
 * device decodes reads as all ones and drops writes, as on QEMU's pc
 * machine (never a VM kill).  softcpu calls this from its MMU, the
 * dispatcher for kvm's KVM_EXIT_MMIO.
 */
void devices_mmio(struct vm *vm, uint64_t gpa, unsigned size, bool write,
		  uint64_t *data);

/*
 * The interrupt controller as the CPU sees it: is a maskable interrupt
 * waiting to be delivered (the CPU then checks IF itself), and, when the
 * CPU takes it, its vector (the acknowledge cycle: the request moves to
 * in-service).  The 8259A pair answers directly, or through the LAPIC's
 * LINT0 in ExtINT mode once the LAPIC is enabled.
 */
bool devices_intr_pending(struct vm *vm);
uint8_t devices_intr_ack(struct vm *vm);

#endif /* DEVICES_DEVICES_H */

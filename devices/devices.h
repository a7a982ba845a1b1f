/*
 * devices/devices.h - the device model: the machine's port I/O space,
 * its memory-mapped chips and its interrupt controllers.
 *
 * Every engine sends port I/O here: softcpu and native after the dispatcher
 * has decoded an in/out that trapped, kvm straight from a KVM_EXIT_IO;
 * memory-mapped I/O comes from softcpu's MMU and kvm's KVM_EXIT_MMIO.
 * The whole port map and MMIO map are wired in one place,
 * devices/devices.c, after OpenBSD vmd's habit.
 *
 * The addresses and numbers firmware tables (MP, MADT, FADT) describe
 * are the chips' own macros: LAPIC_DEFAULT_BASE and LAPIC_ID_BSP
 * (devices/lapic.h), IOAPIC_BASE, IOAPIC_ID and IOAPIC_PINS
 * (devices/ioapic.h), ACPI_PM1_EVT_BLK, ACPI_PM1_CNT_BLK, ACPI_PM_TMR_BLK,
 * their lengths, ACPI_SCI_IRQ and ACPI_S5_SLP_TYP (devices/acpi_pm.h).
 * ISA IRQ 0 arrives at IOAPIC pin 2 (an interrupt source override), the
 * others at the pin of their number (ioapic_isa_pin()).
 */
#ifndef DEVICES_DEVICES_H
#define DEVICES_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/acpi_pm.h"
#include "devices/fw_cfg.h"
#include "devices/i8042.h"
#include "devices/i8254.h"
#include "devices/i8259.h"
#include "devices/mc146818.h"
#include "devices/ide.h"
#include "devices/piix.h"
#include "devices/ptblk.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/ns16550a.h"
#include "devices/pci.h"
#include "devices/vga.h"
#include "devices/virtio_backend.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_console.h"

struct vm;
struct vm_disk;

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
	struct vga vga;          /* the VGA's CRT controller (cursor) */
	struct lapic lapic;      /* the CPU's local APIC */
	struct ioapic ioapic;    /* the I/O APIC; ISA IRQs on its pins */
	struct acpi_pm pm;       /* PIIX4 ACPI PM1 registers and PM timer */
	struct virtio_blk *vblk; /* the virtio-blk card, or NULL */
	struct virtio_backend vblk_be; /* where its requests run */
	struct virtio_console *vcons; /* the virtio console card, or NULL */
	struct ptblk *ptblk;     /* the passed-through disk, or NULL */
	struct piix3 piix;       /* 00:01.0 ISA bridge, 00:01.1 IDE (BAR4:
				    ide0's bus-master registers) */
	/* devices_update()'s short cut: what it saw last time */
	bool stale;              /* a chip was touched since */
	uint64_t due;            /* the clock's next deadline then */
	uint64_t cr8_seen;       /* the vCPU's CR8 (the LAPIC's TPR) then */
	uint8_t rx_seen;         /* COM1's received bytes then */
	uint64_t apic_base_seen; /* the vCPU's IA32_APIC_BASE then */
	/* devices_intr_pending()'s answer since then, once asked */
	bool pending_known, pending_seen;
};

/*
 * Where the virtio-blk card sits: 00:02.0, the first slot QEMU's pc
 * gives a card of the command line when it adds no VGA card and no NIC
 * of its own (-nodefaults): 00:00.0 is the host bridge, 00:01.x the
 * PIIX3.  trapvisor's PC has neither of those cards, so it is that
 * machine.  Its INTA# reaches PIRQB, IRQ 10 (devices/pci.h).
 */
#define VIRTIO_BLK_PCI_DEV 2

/*
 * Put a virtio-blk card for the raw image disk->path on the bus at
 * VIRTIO_BLK_PCI_DEV (--disk=FILE,if=virtio).  0, or -1 with a one-line
 * reason in why.
 */
int devices_add_virtio_disk(struct vm *vm, const struct vm_disk *disk,
			    char *why, size_t len);

/*
 * The passed-through disk (--disk=FILE,if=passthru, devices/ptblk.h)
 * sits at 00:05.0, clear of the slots the virtio cards take.  It has
 * no interrupt pin.
 */
#define PTBLK_PCI_DEV 5

/*
 * Put the passed-through disk for the raw image disk->path on the bus
 * and start its device thread (before the sandbox).  0, or -1 with a
 * one-line reason in why.
 */
int devices_add_ptblk(struct vm *vm, const struct vm_disk *disk,
		      char *why, size_t len);

/*
 * Put a virtio console card on the bus (--console=virtio) at the next
 * slot QEMU would give it after the virtio disk, when there is one: the
 * monitor adds the disk first (00:02.0), then the console (00:02.0 or
 * 00:03.0; INTA# at PIRQB or PIRQC, devices/pci.h).  Its output joins
 * COM1's on the same host line, in the guest's order
 * (ns16550a_host_write).  0, or -1 with a one-line reason in why.
 */
int devices_add_virtio_console(struct vm *vm, char *why, size_t len);

/*
 * Bring the interrupt lines up to date with virtual time (core/clock.h):
 * the PIT's IRQ 0 edges and the levels of the UART (IRQ 4), the 8042
 * (IRQ 1, 12), the RTC (IRQ 8), the SCI (IRQ 9) and IDE (IRQ 14) go to
 * the PIC and to the IOAPIC, the PIC's INTR to the LAPIC's LINT0; the
 * LAPIC timer delivers what expired; the PIT's, RTC's and LAPIC timer's
 * next events are registered with the clock.
 */
void devices_update(struct vm *vm);

#define IRQ_TIMER 0 /* PIT channel 0 */
#define IRQ_COM1 4  /* the UART */
#define IRQ_KEYBOARD 1 /* the 8042's keyboard side */
#define IRQ_AUX 12  /* the 8042's aux (mouse) side */
#define IRQ_RTC 8   /* the RTC's update-ended interrupt */
#define IRQ_SCI ACPI_SCI_IRQ /* the ACPI SCI (9) */
#define IRQ_IDE0 14 /* the primary IDE channel */

/* Reset every device to its power-on state; UART output goes to out_fd. */
void devices_init(struct vm *vm, int out_fd);

/*
 * The vCPU is about to sleep (hlt): let what the devices hold back go out
 * now, so that a prompt without a newline shows while the guest waits.
 */
void devices_idle(struct vm *vm);

/*
 * The vCPU halts: wait for the virtio back end's work in flight
 * (--backend=thread|process), whose interrupt may be what wakes it.
 * True when there was some.
 */
bool devices_drain(struct vm *vm);

/* --stats: the virtio disk's requests, notifications, interrupts and
 * register accesses; the passed-through disk's requests and register
 * accesses (none on its data path); the virtio console's bytes and
 * notifications beside COM1's bytes (nothing without those cards). */
void devices_print_stats(const struct vm *vm, FILE *f);

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
 * in-service).  With the LAPIC globally disabled (IA32_APIC_BASE.EN 0)
 * the 8259A pair answers directly; with it enabled, the 8259A through
 * LINT0 in ExtINT mode (first, as in QEMU: ExtINT ignores priorities),
 * else the LAPIC's highest request above its processor priority.
 */
bool devices_intr_pending(struct vm *vm);
uint8_t devices_intr_ack(struct vm *vm);

/*
 * The LAPIC from the CPU's side (interp/msr.c).  IA32_APIC_BASE: may the
 * guest write val (a legal mode transition, SDM 11.12.5)?  It was
 * written, old is the value before.  x2APIC registers, MSR 0x800-0x8ff:
 * false is #GP (not in x2APIC mode, no such register, a read-only or
 * write-only one, reserved bits).  IA32_TSC_DEADLINE: its value, and a
 * write of tsc that falls due at virtual time when_ns.
 */
bool devices_apic_base_allowed(struct vm *vm, uint64_t val);
void devices_apic_base_written(struct vm *vm, uint64_t old);
bool devices_x2apic_msr(struct vm *vm, uint32_t msr, bool write,
			uint64_t *val);
uint64_t devices_tsc_deadline(struct vm *vm);
void devices_set_tsc_deadline(struct vm *vm, uint64_t tsc, uint64_t when_ns);

#endif /* DEVICES_DEVICES_H */

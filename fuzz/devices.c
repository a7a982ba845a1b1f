/*
 * fuzz/devices.c - every device's port handler, the memory-mapped
 * interrupt controllers and the LAPIC's MSRs on random access sequences.
 *
 * The input is a sequence of 8-byte records.  Most are one port access
 * through devices_io(), the machine's whole port map (PIC, PIT, 8042,
 * RTC, UART, debug exit, fw_cfg, PCI configuration, the ACPI PM block,
 * and whatever devices come later); byte 3's bits 6 and 5 make a record
 * an MMIO access through devices_mmio() or a CPU-side access to the LAPIC:
 *
 *   byte 0     bit 7: port is bytes 1-2 as they are (any port);
 *              else port is a known device port (table below) + byte 1 & 7
 *              bits 0-1: size 1, 2, 4 (3 means 1; MMIO: 8); bit 2: in or
 *              read (else out or write)
 *              bit 3: then bring the interrupt lines up to date
 *              bits 4-6: guest instructions that pass first, << byte 3
 *   bytes 1-2  the port (little-endian) or its offset
 *   byte 3     bits 0-4: time shift; bit 7: acknowledge a pending
 *              interrupt; bit 6: MMIO: byte 2 bit 7 picks the IOAPIC
 *              (else the LAPIC page), offset byte 1 | (byte 2 & 0xf) << 8;
 *              bit 5 (without 6): byte 2 bit 7: IA32_APIC_BASE's EN, EXTD
 *              from byte 2 bits 0-1, if the transition is allowed; bit 6:
 *              IA32_TSC_DEADLINE = bytes 4-7, due that many ns from now;
 *              else x2APIC MSR 0x800 + byte 1
 *   bytes 4-7  the value for out or a write
 *
 * Time is --icount time, so a sequence repeats exactly.  After every
 * access the machine is asked what the dispatcher asks (the next event,
 * a pending interrupt, whose vector is acknowledged when byte 3's top bit
 * is set).  An out to the debug-exit port, a reset pulse through the
 * 8042, or S5 through the ACPI PM block stops the machine, and the
 * sequence ends there, as the monitor would end.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "isa/x86.h"
#include "monitor/machine.h"
#include "monitor/run.h"
#include "monitor/stats.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"

#define RAM_MIB 2

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vm vm;
static int out_fd = -1; /* /dev/null: the UART's output */

/* The first port of every device, and ports next to them. */
static const uint16_t known_ports[] = {
	0x20, 0x21, 0xa0, 0xa1,       /* 8259A master, slave */
	0x40, 0x43, 0x61,             /* 8254, port B */
	0x3f8, 0x2f8,                 /* COM1 (and COM2: nothing there) */
	PORT_ISA_DEBUG_EXIT, 0x80,    /* debug exit; POST port */
	0x60, 0x64,                   /* 8042 data, status/command */
	0x70,                         /* RTC index (0x71 data) */
	0x510,                        /* fw_cfg selector (0x511 data) */
	0xcf8, 0xcfc,                 /* PCI CONFIG_ADDRESS, CONFIG_DATA */
	ACPI_PM1_EVT_BLK, ACPI_PM_TMR_BLK, /* ACPI PM1 (and control), timer */
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vm_options opt = { .mem_mib = RAM_MIB, .icount_ns = 10 };
	char why[200];

	(void)argc;
	(void)argv;
	out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (out_fd < 0 || vm_create(&vm, &opt, out_fd, why, sizeof(why)) < 0) {
		fprintf(stderr, "fuzz_devices: cannot create the machine\n");
		exit(1);
	}
	return 0;
}

static void port_access(const uint8_t *r, uint32_t data)
{
	unsigned nports = sizeof(known_ports) / sizeof(known_ports[0]);
	uint16_t port = r[0] & 0x80 ? (uint16_t)(r[1] | r[2] << 8)
		: (uint16_t)(known_ports[r[2] % nports] + (r[1] & 7));
	static const unsigned sizes[] = { 1, 2, 4, 1 };
	unsigned size = sizes[r[0] & 3];
	bool in = r[0] & 4;

	devices_io(&vm, port, size, in, &data);
	if (in && size < 4 && data >> (size * 8))
		abort(); /* an in returned more bits than it reads */
}

static void mmio_access(const uint8_t *r, uint32_t data)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	unsigned size = sizes[r[0] & 3];
	uint64_t gpa = (r[2] & 0x80 ? IOAPIC_BASE : LAPIC_DEFAULT_BASE) +
		       (r[1] | (r[2] & 0xf) << 8);
	uint64_t d = data | (uint64_t)data << 32;

	devices_mmio(&vm, gpa, size, !(r[0] & 4), &d);
	if ((r[0] & 4) && size < 8 && d >> (size * 8))
		abort(); /* a read returned more bits than it reads */
}

/* What interp/msr.c does for IA32_APIC_BASE, TSC_DEADLINE and x2APIC. */
static void cpu_access(const uint8_t *r, uint32_t data)
{
	uint64_t d = data;

	if (r[2] & 0x80) {
		uint64_t old = vm.vcpu.apic_base;
		uint64_t val = (old & ~(APIC_BASE_ENABLE | APIC_BASE_EXTD)) |
			       (r[2] & 1 ? APIC_BASE_ENABLE : 0) |
			       (r[2] & 2 ? APIC_BASE_EXTD : 0);
		if (devices_apic_base_allowed(&vm, val)) {
			vm.vcpu.apic_base = val;
			devices_apic_base_written(&vm, old);
		}
	} else if (r[2] & 0x40) {
		devices_set_tsc_deadline(&vm, d, clock_now(&vm) + d);
		(void)devices_tsc_deadline(&vm);
	} else {
		(void)devices_x2apic_msr(&vm, MSR_X2APIC_FIRST + r[1],
					 !(r[0] & 4), &d);
	}
}

/* One record: the access it describes. */
static void record(const uint8_t *r)
{
	uint32_t data = (uint32_t)r[4] | (uint32_t)r[5] << 8 |
			(uint32_t)r[6] << 16 | (uint32_t)r[7] << 24;

	vm.vcpu.instructions += (uint64_t)((r[0] >> 4) & 7) << (r[3] & 31);
	if (r[3] & 0x40)
		mmio_access(r, data);
	else if (r[3] & 0x20)
		cpu_access(r, data);
	else
		port_access(r, data);
	if (r[0] & 8)
		devices_update(&vm);
	/* what the dispatcher asks before it resumes the guest */
	(void)clock_next_deadline(&vm);
	if (devices_intr_pending(&vm) && (r[3] & 0x80))
		(void)devices_intr_ack(&vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vm.vcpu.instructions = 0;
	clock_init(&vm, vm.opt.icount_ns); /* virtual time from 0 again */
	vm.stopped = false;
	vm.exit_status = 0;
	vm.vcpu.apic_base = APIC_BASE_DEFAULT | APIC_BASE_BSP |
			    APIC_BASE_ENABLE; /* as after reset */
	vm.vcpu.cr8 = 0;
	devices_init(&vm, out_fd);
	for (size_t i = 0; i + 8 <= size && !vm.stopped; i += 8)
		record(data + i);
	return 0;
}

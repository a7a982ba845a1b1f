/*
 * fuzz/devices.c - every device's port handler on random access sequences.
 *
 * The input is a sequence of 8-byte records, each one port access through
 * devices_io(), the machine's whole port map (PIC, PIT, UART, debug exit
 * and whatever devices come later):
 *
 *   byte 0     bit 7: port is bytes 1-2 as they are (any port);
 *              else port is a known device port (table below) + byte 1 & 7
 *              bits 0-1: size 1, 2, 4 (3 means 1); bit 2: in (else out)
 *              bit 3: then bring the interrupt lines up to date
 *              bits 4-6: guest instructions that pass first, << byte 3
 *   bytes 1-2  the port (little-endian) or its offset
 *   byte 3     time shift
 *   bytes 4-7  the value for out
 *
 * Time is --icount time, so a sequence repeats exactly.  After every
 * access the machine is asked what the dispatcher asks (the next event,
 * a pending interrupt, whose vector is acknowledged when byte 3's top bit
 * is set).  An out to the debug-exit port stops the
 * machine, and the sequence ends there, as the monitor would end.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/devices.h"
#include "core/vm.h"
#include "devices/devices.h"
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
	0xcf8, 0x70,                  /* PCI config, CMOS: nothing there */
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

/* One record: the access it describes. */
static void port_access(const uint8_t *r)
{
	unsigned nports = sizeof(known_ports) / sizeof(known_ports[0]);
	uint16_t port = r[0] & 0x80 ? (uint16_t)(r[1] | r[2] << 8)
		: (uint16_t)(known_ports[r[2] % nports] + (r[1] & 7));
	static const unsigned sizes[] = { 1, 2, 4, 1 };
	unsigned size = sizes[r[0] & 3];
	bool in = r[0] & 4;
	uint32_t data = (uint32_t)r[4] | (uint32_t)r[5] << 8 |
			(uint32_t)r[6] << 16 | (uint32_t)r[7] << 24;

	vm.vcpu.instructions += (uint64_t)((r[0] >> 4) & 7) << (r[3] & 31);
	devices_io(&vm, port, size, in, &data);
	if (in && size < 4 && data >> (size * 8))
		abort(); /* an in returned more bits than it reads */
	if (r[0] & 8)
		devices_update(&vm);
	/* what the dispatcher asks before it resumes the guest */
	(void)clock_next_deadline(&vm);
	if (i8259_pending(&vm.dev->pic) && (r[3] & 0x80))
		(void)i8259_acknowledge(&vm.dev->pic);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vm.vcpu.instructions = 0;
	clock_init(&vm, vm.opt.icount_ns); /* virtual time from 0 again */
	vm.stopped = false;
	vm.exit_status = 0;
	devices_init(&vm, out_fd);
	for (size_t i = 0; i + 8 <= size && !vm.stopped; i += 8)
		port_access(data + i);
	return 0;
}

/*
 * devices/devices.c - the machine's port map, wired in one place.
 *
 *   port            device
 *   0x0020-0x0021   8259A master PIC (devices/i8259.c)
 *   0x0040-0x0043   8254 PIT (devices/i8254.c)
 *   0x00a0-0x00a1   8259A slave PIC
 *   0x00f4          isa-debug-exit (QEMU's): a write ends the VM
 *   0x01f0-0x01f7   IDE primary channel, command block (devices/ide.c)
 *   0x03f6          IDE primary channel, Alternate Status / Device Control
 *   0x03f8-0x03ff   COM1, a 16550A UART (devices/ns16550a.c)
 *   anything else   nothing answers: reads give all ones, writes vanish
 *
 * Access sizes.  The ISA bus splits a 16- or 32-bit access to a byte-wide
 * device into byte accesses to consecutive ports, and port_io8() below
 * sees only bytes.  A device with wider registers (the IDE data register
 * moves 2 or 4 bytes at once) is listed in wide_ports[] instead: its
 * handler receives the access whole, with its size, and splits what it
 * wants split itself.
 */
#include "core/clock.h"
#include "core/vm.h"
#include "devices/devices.h"

void devices_init(struct vm *vm, int out_fd)
{
	ns16550a_init(&vm->dev->com1, out_fd);
	i8259_init(&vm->dev->pic);
	i8254_init(&vm->dev->pit);
	ide_init(&vm->dev->ide0);
	clock_set_deadline(vm, CLOCK_PIT, i8254_next_irq0(&vm->dev->pit));
}

/*T:610 Devices raise interrupt lines; they never enter the guest themselves.
 * Before the guest runs again the monitor asks each chip for its line: the
 * PIT for the ticks that passed by the virtual clock, the UART for its
 * interrupt condition; the PIC latches them as requests.  The PIT then
 * registers its next tick with the clock (clock_set_deadline), which is
 * how the run loop knows when to stop the guest next.
 */
void devices_update(struct vm *vm)
{
	/* The PIC is edge-triggered: one pulse stands for every tick that
	 * passed, as on real hardware where missed ticks are lost. */
	if (i8254_irq0_edges(&vm->dev->pit, clock_now(vm))) {
		i8259_set_irq(&vm->dev->pic, IRQ_TIMER, true);
		i8259_set_irq(&vm->dev->pic, IRQ_TIMER, false);
	}
	clock_set_deadline(vm, CLOCK_PIT, i8254_next_irq0(&vm->dev->pit));
	i8259_set_irq(&vm->dev->pic, IRQ_COM1, ns16550a_irq(&vm->dev->com1));
}

void devices_idle(struct vm *vm)
{
	ns16550a_flush(&vm->dev->com1);
}

void devices_fini(struct vm *vm)
{
	ide_fini(&vm->dev->ide0);
}

/*
 * isa-debug-exit: the guest writes its exit code.  QEMU exits with
 * (value << 1) | 1 so that 0 cannot be mistaken for success; trapvisor
 * exits with the value itself, so a guest's exit(0) gives status 0.
 * Under its QEMU command line (monitor/qemu_args.c) trapvisor does as
 * QEMU, keeping the low 8 bits as the host's exit() does.
 */
static void debug_exit_write(struct vm *vm, uint32_t value)
{
	vm->stopped = true;
	if (vm->opt.qemu_exit)
		vm->exit_status = (int)(((value << 1) | 1) & 0xff);
	else
		vm->exit_status = (int)(value & 0xff);
}

/* The PIT: a write may program a new period, which the clock must know. */
static uint8_t pit_io(struct vm *vm, uint16_t port, bool in, uint8_t val)
{
	uint8_t r = 0;

	if (in)
		r = i8254_read(&vm->dev->pit, port, clock_now(vm));
	else
		i8254_write(&vm->dev->pit, port, val, clock_now(vm));
	clock_set_deadline(vm, CLOCK_PIT, i8254_next_irq0(&vm->dev->pit));
	return r;
}

/* The IDE channel drives IRQ 14 after every access (INTRQ is a level). */
static void ide_irq_update(struct vm *vm)
{
	i8259_set_irq(&vm->dev->pic, IRQ_IDE0, vm->dev->ide0.irq);
}

/* 0x1f0-0x1f7: the command block, data register 16/32 bits wide. */
static void ide_cmd_io(struct vm *vm, uint16_t port, unsigned size, bool in,
		       uint32_t *data)
{
	uint32_t r = ide_io(&vm->dev->ide0, port - IDE0_BASE, size, in, *data);

	if (in)
		*data = r;
	ide_irq_update(vm);
}

/* 0x3f6: Alternate Status (read, no side effect) / Device Control. */
static void ide_ctrl_io(struct vm *vm, uint16_t port, unsigned size, bool in,
			uint32_t *data)
{
	(void)port;
	(void)size; /* one byte-wide register: the low byte counts */
	if (in)
		*data = ide_alt_status(&vm->dev->ide0);
	else
		ide_control(&vm->dev->ide0, (uint8_t)*data);
	ide_irq_update(vm);
}

/* Port ranges whose handler takes a 1, 2 or 4-byte access whole. */
static const struct wide_port {
	uint16_t first, last;
	void (*io)(struct vm *vm, uint16_t port, unsigned size, bool in,
		   uint32_t *data);
} wide_ports[] = {
	{ IDE0_BASE, IDE0_BASE + IDE_NPORTS - 1, ide_cmd_io },
	{ IDE0_CTRL, IDE0_CTRL, ide_ctrl_io },
};

/* One byte to or from one port: the map itself. */
static uint8_t port_io8(struct vm *vm, uint16_t port, bool in, uint8_t val)
{
	if (port >= COM1_BASE && port < COM1_BASE + UART_NPORTS) {
		if (in)
			return ns16550a_read(&vm->dev->com1, port - COM1_BASE);
		ns16550a_write(&vm->dev->com1, port - COM1_BASE, val);
		return 0;
	}
	switch (port) {
	case PIC_MASTER_CMD: case PIC_MASTER_DATA:
	case PIC_SLAVE_CMD: case PIC_SLAVE_DATA:
		if (in)
			return i8259_read(&vm->dev->pic, port);
		i8259_write(&vm->dev->pic, port, val);
		return 0;
	case PIT_CH0: case PIT_CH1: case PIT_CH2: case PIT_CMD:
		return pit_io(vm, port, in, val);
	}
	return 0xff;
}

/*T:600 Port I/O ends here, whichever engine caught it: a decoded in or out from
 * the dispatcher (softcpu, native) or an I/O exit (kvm).  The whole port
 * map of the machine is in this one function, so that a reader sees at a
 * glance what the virtual PC has: the PIC pair, the PIT, the UART and
 * QEMU's isa-debug-exit port.
 */
void devices_io(struct vm *vm, uint16_t port, unsigned size, bool in,
		uint32_t *data)
{
	if (port == PORT_ISA_DEBUG_EXIT) {
		if (in)
			*data = 0; /* QEMU's device reads as zero */
		else
			debug_exit_write(vm, *data);
		return;
	}
	for (size_t i = 0; i < sizeof(wide_ports) / sizeof(wide_ports[0]); i++)
		if (port >= wide_ports[i].first && port <= wide_ports[i].last) {
			wide_ports[i].io(vm, port, size, in, data);
			return;
		}
	/*
	 * The UART is a byte-wide device on an 8-bit bus: a wider access is
	 * a sequence of byte accesses to consecutive ports, as the ISA bus
	 * would split it.
	 */
	uint32_t result = 0;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = port_io8(vm, (uint16_t)(port + i), in,
				     (uint8_t)(*data >> (8 * i)));
		result |= (uint32_t)b << (8 * i);
	}
	if (in)
		*data = result;
}

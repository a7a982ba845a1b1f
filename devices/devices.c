/*
 * devices/devices.c - the machine's port map, wired in one place.
 *
 *   port            device
 *   0x0020-0x0021   8259A master PIC (devices/i8259.c)
 *   0x0040-0x0043   8254 PIT (devices/i8254.c)
 *   0x00a0-0x00a1   8259A slave PIC
 *   0x00f4          isa-debug-exit (QEMU's): a write ends the VM
 *   0x03f8-0x03ff   COM1, a 16550A UART (devices/ns16550a.c)
 *   anything else   nothing answers: reads give all ones, writes vanish
 */
#include "core/clock.h"
#include "core/vm.h"
#include "devices/devices.h"

void devices_init(struct vm *vm, int out_fd)
{
	ns16550a_init(&vm->dev->com1, out_fd);
	i8259_init(&vm->dev->pic);
	i8254_init(&vm->dev->pit);
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

/*
 * isa-debug-exit: the guest writes its exit code.  QEMU exits with
 * (value << 1) | 1 so that 0 cannot be mistaken for success; trapvisor
 * exits with the value itself, so a guest's exit(0) gives status 0.
 */
static void debug_exit_write(struct vm *vm, uint32_t value)
{
	vm->stopped = true;
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

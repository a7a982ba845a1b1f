/*
 * devices/devices.c - the machine's port map, wired in one place.
 *
 *   port            device
 *   0x0020-0x0021   8259A master PIC (devices/i8259.c)
 *   0x0040-0x0043   8254 PIT (devices/i8254.c)
 *   0x0060, 0x0064  8042 keyboard controller and keyboard (devices/i8042.c)
 *   0x0070-0x0071   MC146818 RTC and CMOS RAM (devices/mc146818.c)
 *   0x00a0-0x00a1   8259A slave PIC
 *   0x00f4          isa-debug-exit (QEMU's): a write ends the VM
 *   0x01f0-0x01f7   IDE primary channel, command block (devices/ide.c)
 *   0x03d4-0x03d5   VGA CRT controller, index and data (devices/vga.c)
 *   0x03f6          IDE primary channel, Alternate Status / Device Control
 *   0x03f8-0x03ff   COM1, a 16550A UART (devices/ns16550a.c)
 *   0x0510-0x0511   QEMU's fw_cfg, I/O interface (devices/fw_cfg.c)   [wide]
 *   0x0600-0x060b   PIIX4 ACPI PM1 event and control registers, PM timer
 *                   (devices/acpi_pm.c)                             [wide]
 *   0x0cf8-0x0cff   PCI configuration mechanism #1, i440FX host bridge
 *                   (devices/pci.c)                                 [wide]
 *   anything else   nothing answers: reads give all ones, writes vanish
 *
 * Access sizes.  An in or out moves 1, 2 or 4 bytes.  The byte-wide chips
 * of the ISA bus (PIC, PIT, UART ...) see a wider access as byte accesses
 * to consecutive ports, as the bus would split it: port_io8() below.  A
 * device marked [wide] takes the access whole, with its size, through one
 * handler per port range in wide_ranges[] (PCI's 32-bit CONFIG_ADDRESS,
 * fw_cfg's 16-bit selector, the IDE data register that moves 2 or 4 bytes
 * at once): add a row there for such a device.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/clock.h"
#include "core/panic.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "isa/x86.h"

/*
 * The RTC starts at the host's wall-clock time (UTC), or under --icount at
 * RTC_ICOUNT_EPOCH, 2000-01-01 00:00:00, so that a run repeats exactly; the
 * CMOS bytes a BIOS would find are QEMU's for this much RAM and one CPU.
 */
static void rtc_init(struct vm *vm)
{
	struct timespec ts = { .tv_sec = RTC_ICOUNT_EPOCH, .tv_nsec = 0 };
	uint64_t now = clock_now(vm);

	if (!vm->clock.icount_ns)
		clock_gettime(CLOCK_REALTIME, &ts);
	mc146818_init(&vm->dev->rtc, ts.tv_sec, (uint32_t)ts.tv_nsec, now);
	mc146818_pc_bios_bytes(&vm->dev->rtc, vm->mem.size, 1, now);
}

static void pci_irq(void *opaque, unsigned irq, bool level);
static void ide_bus_master(struct vm *vm);

void devices_init(struct vm *vm, int out_fd)
{
	ns16550a_init(&vm->dev->com1, out_fd);
	i8259_init(&vm->dev->pic);
	i8254_init(&vm->dev->pit);
	pci_init(&vm->dev->pci);
	vm->dev->pci.set_irq = pci_irq;
	vm->dev->pci.irq_opaque = vm;
	i8042_init(&vm->dev->kbc);
	rtc_init(vm);
	fw_cfg_init(&vm->dev->fw_cfg, vm->mem.size, 1, vm->opt.cmdline);
	ide_init(&vm->dev->ide0);
	ide_bus_master(vm);
	vga_init(&vm->dev->vga);
	lapic_init(&vm->dev->lapic);
	ioapic_init(&vm->dev->ioapic, &vm->dev->lapic, &vm->dev->pic);
	acpi_pm_init(&vm->dev->pm);
	clock_set_deadline(vm, CLOCK_PIT, i8254_next_irq0(&vm->dev->pit));
	clock_set_deadline(vm, CLOCK_LAPIC, CLOCK_NEVER);
	vm->dev->stale = true; /* the first devices_update() looks at all */
}

/* The bus master's side of guest RAM: its writes go where the engines
 * hear of them (vm_write_phys), as virtio's do.  Without Bus Master
 * Enable in the IDE function's Command register it reaches nothing. */
static bool bm_enabled(struct vm *vm)
{
	return pci_config_read(&vm->dev->piix.ide.config, PCI_COMMAND, 2) &
	       PCI_COMMAND_MASTER;
}

static int bm_ram_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct vm *vm = opaque;

	return bm_enabled(vm) ? gm_read(&vm->mem, gpa, buf, len) : -1;
}

static int bm_ram_write(void *opaque, uint64_t gpa, const void *buf,
			size_t len)
{
	struct vm *vm = opaque;

	return bm_enabled(vm) ? vm_write_phys(vm, gpa, buf, len) : -1;
}

/* The PIIX3's two functions on the bus, and the primary channel's bus
 * master, which reads and writes guest RAM. */
static void ide_bus_master(struct vm *vm)
{
	vm->dev->ide0.dma_read = bm_ram_read;
	vm->dev->ide0.dma_write = bm_ram_write;
	vm->dev->ide0.dma_opaque = vm;
	piix3_init(&vm->dev->piix, &vm->dev->ide0);
	if (piix3_register(&vm->dev->piix, &vm->dev->pci) < 0)
		panic("devices: PCI slot %d is taken", PIIX3_PCI_DEV);
}

/*
 * An ISA interrupt line, wired as on QEMU's pc to both interrupt
 * controllers: the 8259A pair and the IOAPIC's pin for it.
 */
static void isa_irq(struct vm *vm, unsigned irq, bool level)
{
	i8259_set_irq(&vm->dev->pic, irq, level);
	ioapic_set_pin(&vm->dev->ioapic, ioapic_isa_pin(irq), level);
}

/* The 8259A's INTR output is the LAPIC's LINT0 input. */
static void pic_intr_update(struct vm *vm)
{
	lapic_set_lint0(&vm->dev->lapic, i8259_pending(&vm->dev->pic));
}

/* A PCI card's INTx#, through its PIRQ, reaches an ISA IRQ
 * (devices/pci.c). */
static void pci_irq(void *opaque, unsigned irq, bool level)
{
	struct vm *vm = opaque;

	isa_irq(vm, irq, level);
	pic_intr_update(vm);
	vm->dev->stale = true;
}

/* ------------------------------------------------------------------
 * The LAPIC's ties to the vCPU and the other chips.  Before the chip is
 * used, it takes the CR8 the guest may have written (CR8 and TPR are one
 * value); after, the vCPU's CR8 follows TPR, a level-triggered EOI goes
 * to the IOAPIC (the EOI broadcast), and the timer's next expiry to the
 * clock.
 */
static struct lapic *lapic_in(struct vm *vm)
{
	lapic_sync_cr8(&vm->dev->lapic, vm->vcpu.cr8);
	return &vm->dev->lapic;
}

static void lapic_out(struct vm *vm)
{
	struct lapic *l = &vm->dev->lapic;

	vm->vcpu.cr8 = lapic_cr8(l);
	if (l->eoi_level_vector >= 0) {
		ioapic_eoi(&vm->dev->ioapic, (uint8_t)l->eoi_level_vector);
		l->eoi_level_vector = -1;
	}
	clock_set_deadline(vm, CLOCK_LAPIC, lapic_next_event(l));
	vm->dev->stale = true;
}

static bool lapic_enabled(const struct vm *vm)
{
	return vm->vcpu.apic_base & APIC_BASE_ENABLE;
}

static bool x2apic_mode(const struct vm *vm)
{
	return lapic_enabled(vm) && (vm->vcpu.apic_base & APIC_BASE_EXTD);
}

/*
 * Is nothing due since the last update?  No chip was touched (an I/O or
 * MMIO access, an acknowledge, a LAPIC register, a card's line), the
 * clock has not reached the deadline the timers registered then, CR8
 * and COM1's received bytes are as they were (the console puts bytes
 * in from outside), no virtio back end has work in flight, and the PM
 * timer's SCI, which registers no deadline, is off.  Then the update
 * would change nothing: every line it asks for is where it was.  This
 * runs after every exit, most of which touch no device (a cli, a #PF).
 * The clock is read last, and only when a timer is armed: with none,
 * no time can make anything due, and the read (clock_gettime, the
 * vDSO's TSC and its scaling) was a third of this look.
 */
static bool nothing_due(struct vm *vm)
{
	const struct devices *d = vm->dev;

	return !d->stale && vm->vcpu.cr8 == d->cr8_seen &&
	       d->com1.rx_len == d->rx_seen &&
	       !(d->vblk && virtio_backend_busy(&d->vblk_be)) &&
	       !((d->pm.cnt & ACPI_PM1_SCI_EN) &&
		 (d->pm.en & ACPI_PM1_TMR_STS)) &&
	       (d->due == CLOCK_NEVER || clock_now(vm) < d->due);
}

/* What devices_update() saw, for nothing_due() to compare with. */
static void update_seen(struct vm *vm)
{
	struct devices *d = vm->dev;

	d->stale = false;
	d->due = clock_next_deadline(vm);
	d->cr8_seen = vm->vcpu.cr8;
	d->rx_seen = d->com1.rx_len;
	d->apic_base_seen = vm->vcpu.apic_base;
	d->pending_known = false;
}

/*T:610 Devices raise interrupt lines; they never enter the guest themselves.
 * Before the guest runs again the monitor asks each chip for its line: the
 * PIT for the ticks that passed by the virtual clock, the UART for its
 * interrupt condition; the PIC and the IOAPIC latch them as requests (the
 * IOAPIC sends its to the LAPIC), and the LAPIC's own timer adds what
 * expired.  The timers then register their next events with the clock
 * (clock_set_deadline), which is how the run loop knows when to stop the
 * guest next.
 */
void devices_update(struct vm *vm)
{
	/* The PIC is edge-triggered: one pulse stands for every tick that
	 * passed, as on real hardware where missed ticks are lost. */
	uint64_t now;

	ns16550a_flush_aged(&vm->dev->com1);
	if (nothing_due(vm))
		return;
	now = clock_now(vm);
	if (vm->dev->vblk) { /* a back end's answers: its interrupt */
		virtio_backend_poll(&vm->dev->vblk_be);
		clock_set_deadline(vm, CLOCK_BACKEND,
				   virtio_backend_busy(&vm->dev->vblk_be) ?
					   now + VIRTIO_BACKEND_POLL_NS :
					   CLOCK_NEVER);
	}
	if (i8254_irq0_edges(&vm->dev->pit, now)) {
		isa_irq(vm, IRQ_TIMER, true);
		isa_irq(vm, IRQ_TIMER, false);
	}
	clock_set_deadline(vm, CLOCK_PIT, i8254_next_irq0(&vm->dev->pit));
	isa_irq(vm, IRQ_COM1, ns16550a_irq(&vm->dev->com1));
	isa_irq(vm, IRQ_KEYBOARD, i8042_irq1(&vm->dev->kbc));
	isa_irq(vm, IRQ_AUX, i8042_irq12(&vm->dev->kbc));
	isa_irq(vm, IRQ_RTC, mc146818_irq8(&vm->dev->rtc, now));
	clock_set_deadline(vm, CLOCK_RTC,
			   mc146818_next_event(&vm->dev->rtc, now));
	isa_irq(vm, IRQ_SCI, acpi_pm_sci(&vm->dev->pm, now));
	pic_intr_update(vm);
	lapic_timer_update(lapic_in(vm), now);
	lapic_out(vm);
	update_seen(vm);
}

void devices_idle(struct vm *vm)
{
	ns16550a_flush(&vm->dev->com1);
}

void devices_fini(struct vm *vm)
{
	ide_fini(&vm->dev->ide0);
	if (vm->dev->vblk) {
		virtio_backend_stop(&vm->dev->vblk_be);
		virtio_blk_close(vm->dev->vblk);
		free(vm->dev->vblk);
		vm->dev->vblk = NULL;
	}
	free(vm->dev->vcons);
	vm->dev->vcons = NULL;
	if (vm->dev->ptblk) {
		ptblk_close(vm->dev->ptblk);
		free(vm->dev->ptblk);
		vm->dev->ptblk = NULL;
	}
}

/*
 * The same contrast for output: the 16550 takes a byte per OUT to THR
 * (one exit each, and the driver's LSR polls on top); the console takes
 * a buffer of any length per chain, and a notification (one exit) per
 * batch of chains.
 */
static void print_console_stats(const struct devices *d, FILE *f)
{
	const struct virtio_pci *vp = &d->vcons->vp;

	fprintf(f, "virtio-console: bytes %" PRIu64 " in %" PRIu64
		" buffers, notifications %" PRIu64 " (one register write "
		"each), register accesses %" PRIu64 " in all; COM1: bytes %"
		PRIu64 " (one OUT each)\n", d->vcons->tx_bytes, vp->requests,
		vp->notifications, vp->bar_accesses, d->com1.tx_bytes);
	/* input: buffers lent (a notification, an exit, per batch of them)
	 * and filled as the bytes came */
	fprintf(f, "virtio-console input: bytes %" PRIu64 " in %" PRIu64
		" receive buffers, receiveq notifications %" PRIu64 ", %u "
		"bytes held for want of a buffer\n", d->vcons->rx_bytes,
		d->vcons->rx_buffers, d->vcons->rx_notifications,
		d->vcons->rx_len);
}

/*
 * The line that compares the disks: accesses the guest made to the
 * device's registers (each one a trap on a trap-and-emulate engine,
 * but for a rep ins or outs, which softcpu and native take a sector at
 * a time: the device still sees every element) for each KiB it moved.
 */
static void print_per_kib(FILE *f, const char *what, uint64_t bytes,
			  uint64_t accesses)
{
	uint64_t kib100 = bytes * 100 / 1024;

	if (!bytes)
		return;
	fprintf(f, "%s: data %" PRIu64 ".%02" PRIu64 " KiB, %.1f register "
		"accesses per KiB\n", what, kib100 / 100, kib100 % 100,
		(double)accesses * 1024 / (double)bytes);
}

/* The emulated disk's side: every register and every data word. */
static void print_ide_stats(const struct ide_bus *b, FILE *f)
{
	if (!b->accesses)
		return;
	fprintf(f, "ide: sectors moved %" PRIu64 ", register accesses %" PRIu64
		" in all, %" PRIu64 " of them to the data register\n",
		b->sectors_moved, b->accesses, b->data_accesses);
	print_per_kib(f, "ide", b->sectors_moved * ATA_SECTOR, b->accesses);
}

/*
 * The paravirtual claim in numbers: requests per notification.  A
 * notification is one write to the card's BAR, so one exit (a #PF or
 * an MMIO exit), however many requests it hands over; an emulated disk
 * costs an exit per register access and per data word instead.
 */
void devices_print_stats(const struct vm *vm, FILE *f)
{
	const struct virtio_pci *vp;

	if (!vm->dev)
		return;
	print_ide_stats(&vm->dev->ide0, f);
	if (vm->dev->ptblk)
		ptblk_print(vm->dev->ptblk, f);
	if (vm->dev->vcons)
		print_console_stats(vm->dev, f);
	if (!vm->dev->vblk)
		return;
	vp = &vm->dev->vblk->vp;
	fprintf(f, "virtio-blk: requests %" PRIu64 ", notifications %" PRIu64
		" (one register write each), interrupts %" PRIu64
		", register accesses %" PRIu64 " in all\n", vp->requests,
		vp->notifications, vp->interrupts, vp->bar_accesses);
	print_per_kib(f, "virtio-blk", vp->bytes, vp->bar_accesses);
	virtio_backend_print(&vm->dev->vblk_be, f);
}

bool devices_drain(struct vm *vm)
{
	vm->dev->stale = true;
	return vm->dev->vblk && virtio_backend_drain(&vm->dev->vblk_be);
}

int devices_add_virtio_disk(struct vm *vm, const struct vm_disk *disk,
			    char *why, size_t len)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));

	if (!b) {
		snprintf(why, len, "out of memory for the virtio disk");
		return -1;
	}
	if (virtio_blk_open(b, VIRTIO_BLK_PCI_DEV, disk->path, disk->read_only,
			    disk->serial, &vm->mem, why, len) < 0) {
		free(b);
		return -1;
	}
	vm->dev->vblk = b;
	b->vp.vm = vm; /* the guest a hole of lab 8 stops */
	if (pci_device_register(&vm->dev->pci, &b->vp.pci) < 0) {
		snprintf(why, len, "disk %s: PCI slot %d is taken", disk->path,
			 VIRTIO_BLK_PCI_DEV);
		return -1;
	}
	return virtio_backend_start(&vm->dev->vblk_be, vm->opt.backend, vm, &b->vp,
				    &b->fd, "virtio-blk", why, len);
}

int devices_add_ptblk(struct vm *vm, const struct vm_disk *disk,
		      char *why, size_t len)
{
	struct ptblk *d = calloc(1, sizeof(*d));

	if (!d) {
		snprintf(why, len, "out of memory for the passthru disk");
		return -1;
	}
	if (ptblk_open(d, PTBLK_PCI_DEV, disk->path, disk->read_only,
		       &vm->mem, why, len) < 0) {
		free(d);
		return -1;
	}
	vm->dev->ptblk = d;
	if (pci_device_register(&vm->dev->pci, &d->pci) < 0) {
		snprintf(why, len, "disk %s: PCI slot %d is taken", disk->path,
			 PTBLK_PCI_DEV);
		return -1;
	}
	return ptblk_start(d, why, len);
}

/* The console's bytes go out behind COM1's, on its host line. */
static void console_out(void *arg, const uint8_t *buf, size_t n)
{
	ns16550a_host_write(arg, buf, n);
}

int devices_add_virtio_console(struct vm *vm, char *why, size_t len)
{
	struct virtio_console *c = calloc(1, sizeof(*c));
	uint8_t dev = vm->dev->vblk ? VIRTIO_BLK_PCI_DEV + 1 :
				      VIRTIO_BLK_PCI_DEV;

	if (!c) {
		snprintf(why, len, "out of memory for the virtio console");
		return -1;
	}
	virtio_console_init(c, dev, &vm->mem, console_out, &vm->dev->com1);
	vm->dev->vcons = c;
	c->vp.vm = vm; /* the guest a hole of lab 8 stops */
	if (pci_device_register(&vm->dev->pci, &c->vp.pci) < 0) {
		snprintf(why, len, "virtio console: PCI slot %d is taken", dev);
		return -1;
	}
	return 0;
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

/*
 * The keyboard controller.  A pulse of its reset line (0xfe at 0x64, or
 * output port bit 0 written low) resets a PC; trapvisor does what QEMU
 * does under -no-reboot: the VM ends, with status 0 as QEMU's own.
 */
static uint8_t kbc_io(struct vm *vm, uint16_t port, bool in, uint8_t val)
{
	if (in)
		return i8042_read(&vm->dev->kbc, port);
	i8042_write(&vm->dev->kbc, port, val);
	if (vm->dev->kbc.reset_request) {
		vm->stopped = true;
		vm->exit_status = 0;
	}
	return 0;
}

/* The RTC: a write may enable its update interrupt, which the clock must
 * know. */
static uint8_t rtc_io(struct vm *vm, uint16_t port, bool in, uint8_t val)
{
	uint64_t now = clock_now(vm);
	uint8_t r = 0;

	if (in)
		r = mc146818_read(&vm->dev->rtc, port, now);
	else
		mc146818_write(&vm->dev->rtc, port, val, now);
	clock_set_deadline(vm, CLOCK_RTC,
			   mc146818_next_event(&vm->dev->rtc, now));
	return r;
}

/* The IDE channel drives IRQ 14 after every access (INTRQ is a level). */
static void ide_irq_update(struct vm *vm)
{
	isa_irq(vm, IRQ_IDE0, vm->dev->ide0.irq);
}

/* 0x1f0-0x1f7: the command block, data register 16/32 bits wide. */
static void ide_cmd_io(struct vm *vm, uint16_t port, unsigned size, bool in,
		       uint32_t *data)
{
	/*
	 * Writing the Command register clears a pending INTRQ (ATA), and
	 * the command's own completion raises it later.  The drive here
	 * completes at once, so the controllers must see the line fall
	 * before it rises again: else an edge-triggered input (the 8259A,
	 * the IOAPIC pin as kernels program it) never sees the next
	 * interrupt of a host that did not read Status after the last one
	 * (xv6's ideintr after a write).
	 */
	if (!in && port - IDE0_BASE == ATA_COMMAND) {
		vm->dev->ide0.irq = false;
		ide_irq_update(vm);
	}
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
	vm->dev->ide0.accesses++;
	if (in)
		*data = ide_alt_status(&vm->dev->ide0);
	else
		ide_control(&vm->dev->ide0, (uint8_t)*data);
	ide_irq_update(vm);
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
		pic_intr_update(vm);
		return 0;
	case PIT_CH0: case PIT_CH1: case PIT_CH2: case PIT_CMD:
		return pit_io(vm, port, in, val);
	case I8042_DATA: case I8042_STATUS:
		return kbc_io(vm, port, in, val);
	case RTC_INDEX_PORT: case RTC_DATA_PORT:
		return rtc_io(vm, port, in, val);
	case VGA_CRTC_INDEX: case VGA_CRTC_DATA:
		if (in)
			return vga_read(&vm->dev->vga, port);
		vga_write(&vm->dev->vga, port, val);
		return 0;
	}
	return 0xff;
}

/* PCI configuration mechanism #1: dword, word and byte accesses whole. */
static void pci_io(struct vm *vm, uint16_t port, unsigned size, bool in,
		   uint32_t *data)
{
	if (in)
		*data = pci_io_read(&vm->dev->pci, port, size);
	else
		pci_io_write(&vm->dev->pci, port, size, *data);
}

/* fw_cfg: a 16-bit selector write must arrive whole. */
static void fw_cfg_io(struct vm *vm, uint16_t port, unsigned size, bool in,
		      uint32_t *data)
{
	if (in)
		*data = fw_cfg_io_read(&vm->dev->fw_cfg, port, size);
	else
		fw_cfg_io_write(&vm->dev->fw_cfg, port, size, *data);
}

/*
 * The ACPI PM block: byte by byte at one instant, so that a 32-bit read
 * of the PM timer does not tear.  SLP_EN for S5 (or S4) turns the
 * machine off: the VM ends with status 0, as QEMU's guest shutdown does.
 */
static void acpi_pm_io(struct vm *vm, uint16_t port, unsigned size, bool in,
		       uint32_t *data)
{
	struct acpi_pm *pm = &vm->dev->pm;
	uint64_t now = clock_now(vm);
	uint32_t r = 0;

	for (unsigned i = 0; i < size; i++) {
		unsigned off = (unsigned)(port - ACPI_PM_BASE) + i;

		if (off >= ACPI_PM_NPORTS)
			r |= 0xffu << (8 * i);
		else if (in)
			r |= (uint32_t)acpi_pm_read(pm, off, now) << (8 * i);
		else
			acpi_pm_write(pm, off, (uint8_t)(*data >> (8 * i)),
				      now);
	}
	if (in)
		*data = r;
	if (pm->poweroff) {
		vm->stopped = true;
		vm->exit_status = 0;
	}
}

/*
 * The devices that take an access whole: an access whose first port lies
 * in [first, first + count) goes to io with its size (1, 2 or 4); the
 * handler decides what a size it does not support does.
 */
struct io_range {
	uint16_t first, count;
	void (*io)(struct vm *vm, uint16_t port, unsigned size, bool in,
		   uint32_t *data);
};

static const struct io_range wide_ranges[] = {
	{ PCI_CONFIG_ADDRESS, PCI_NPORTS, pci_io },
	{ FW_CFG_PORT_SEL, FW_CFG_NPORTS, fw_cfg_io },
	{ IDE0_BASE, IDE_NPORTS, ide_cmd_io },
	{ IDE0_CTRL, 1, ide_ctrl_io },
	{ ACPI_PM_BASE, ACPI_PM_NPORTS, acpi_pm_io },
};

/* The wide range that port falls in, or NULL. */
static const struct io_range *wide_range(uint16_t port)
{
	for (size_t i = 0; i < sizeof(wide_ranges) / sizeof(wide_ranges[0]); i++)
		if (port >= wide_ranges[i].first &&
		    port - wide_ranges[i].first < wide_ranges[i].count)
			return &wide_ranges[i];
	return NULL;
}

/*T:600 Port I/O ends here, whichever engine caught it: a decoded in or out from
 * the dispatcher (softcpu, native) or an I/O exit (kvm).  The whole port
 * map of the machine is in this one function, so that a reader sees at a
 * glance what the virtual PC has: the PIC pair, the PIT, the keyboard
 * controller, the RTC, the IDE channel, the UART, fw_cfg, PCI and QEMU's
 * isa-debug-exit port.
 */
void devices_io(struct vm *vm, uint16_t port, unsigned size, bool in,
		uint32_t *data)
{
	vm->dev->stale = true;
	if (port == PORT_ISA_DEBUG_EXIT) {
		if (in)
			*data = 0; /* QEMU's device reads as zero */
		else
			debug_exit_write(vm, *data);
		return;
	}
	/* A PCI card's I/O BAR (the PIIX3 IDE's bus-master registers); as
	 * in QEMU it covers any ISA port it overlaps. */
	if (pci_io_bar(&vm->dev->pci, port, size, !in, data)) {
		ide_irq_update(vm);
		return;
	}
	const struct io_range *r = wide_range(port);
	if (r) {
		r->io(vm, port, size, in, data);
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

/* ------------------------------------------------------------------
 * Memory-mapped I/O.  The map, in one place as the port map above:
 *
 *   address                 device
 *   IA32_APIC_BASE page     the LAPIC's registers (devices/lapic.c), in
 *   (0xfee00000 after       xAPIC mode only: globally disabled or in
 *   reset)                  x2APIC mode the page is not decoded
 *   0xfec00000-0xfec00fff   the IOAPIC (devices/ioapic.c)
 *   a PCI card's memory     that card (devices/pci.c), where the guest
 *   BAR, while enabled      placed it (normally the PCI hole below 4 GiB)
 *   anything else not RAM   nothing answers: reads all ones, writes vanish
 *
 * The LAPIC page is looked at first, so a guest that moves it over the
 * IOAPIC hides the IOAPIC, as on QEMU's pc (the CPU's own APIC wins).
 */

/* All ones in size bytes: what nothing answers with. */
static uint64_t all_ones(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/*
 * The LAPIC's registers are 32 bits wide, 16 bytes apart; as QEMU's
 * apic_mem_read/write, a smaller access reads 0 and writes nothing, the
 * low 4 bits of the offset are not decoded, and a quadword is two
 * dwords.  An absent register reads 0 (ESR records it).
 */
static uint32_t lapic_mmio32(struct vm *vm, uint64_t off, bool write,
			     uint32_t val)
{
	struct lapic *l = lapic_in(vm);
	unsigned reg = (unsigned)(off >> 4) & 0xff;
	uint64_t v = 0;

	if (write)
		lapic_write(l, reg, val, false, clock_now(vm));
	else
		lapic_read(l, reg, false, clock_now(vm), &v);
	lapic_out(vm);
	return (uint32_t)v;
}

static void lapic_mmio(struct vm *vm, uint64_t off, unsigned size,
		       bool write, uint64_t *data)
{
	if (size < 4) {
		if (!write)
			*data = 0;
		return;
	}
	uint64_t lo = lapic_mmio32(vm, off, write, (uint32_t)*data);
	if (size == 8) {
		uint64_t hi = lapic_mmio32(vm, off + 4, write,
					   (uint32_t)(*data >> 32));
		lo |= hi << 32;
	}
	if (!write)
		*data = lo;
}

/* The IOAPIC, a quadword as two dwords (QEMU's largest access to it). */
static void ioapic_mmio(struct vm *vm, uint64_t off, unsigned size,
			bool write, uint64_t *data)
{
	struct ioapic *io = &vm->dev->ioapic;
	unsigned part = size == 8 ? 4 : size;
	uint64_t r = 0;

	for (unsigned done = 0; done < size; done += part) {
		uint32_t at = (uint32_t)(off + done);

		if (write)
			ioapic_write(io, at, part, (uint32_t)(*data >> (8 * done)));
		else
			r |= (uint64_t)(ioapic_read(io, at, part) &
					all_ones(part)) << (8 * done);
	}
	if (!write)
		*data = r;
	lapic_out(vm); /* messages may have reached the LAPIC */
}

/* Memory-mapped chips.  A guest reaches the interrupt controllers of
 * a modern PC, the LAPIC and the IOAPIC, with loads and stores to pages
 * in the hole below 4 GiB where no RAM is.  The MMU of the software CPU
 * (or KVM's MMIO exit) sends such an access here, where the address picks
 * the chip, as the port picks it in devices_io().
 */
void devices_mmio(struct vm *vm, uint64_t gpa, unsigned size, bool write,
		  uint64_t *data)
{
	uint64_t apic = vm->vcpu.apic_base & ~(uint64_t)(LAPIC_PAGE_SIZE - 1) &
			~(APIC_BASE_EXTD | APIC_BASE_ENABLE | APIC_BASE_BSP);

	vm->dev->stale = true;
	if (lapic_enabled(vm) && !x2apic_mode(vm) &&
	    gpa - apic < LAPIC_PAGE_SIZE)
		lapic_mmio(vm, gpa - apic, size, write, data);
	else if (gpa - IOAPIC_BASE < IOAPIC_SIZE)
		ioapic_mmio(vm, gpa - IOAPIC_BASE, size, write, data);
	else if (pci_mmio(&vm->dev->pci, gpa, size, write, data))
		; /* a card's BAR took it */
	else if (!write)
		*data = all_ones(size);
}

/* ------------------------------------------------------------------
 * The interrupt controllers, as the CPU's INTR pin and acknowledge cycle
 * see them.
 */
static bool intr_pending_now(struct vm *vm)
{
	struct i8259_pair *pic = &vm->dev->pic;

	if (!lapic_enabled(vm))
		return i8259_pending(pic);
	if (lapic_extint(&vm->dev->lapic) && i8259_pending(pic))
		return true;
	return lapic_pending(lapic_in(vm)) >= 0;
}

/*
 * The run loop asks after most exits (an sti's shadow, IF set), and the
 * answer is the chips' state: it changes only where a chip is touched
 * (the stale flag of nothing_due: an I/O or MMIO access, an acknowledge,
 * a LAPIC register, a card's line), at devices_update() (the timers),
 * or by the vCPU's CR8 (the TPR) and IA32_APIC_BASE, which the guest
 * writes without a chip seeing it.  While none of them moved since the
 * last update, the answer given once is the answer: kept, it spares the
 * look at the PIC and the LAPIC (about 70 host instructions, a sixth of
 * the run loop's cost of a softcpu trap; monitor/README.md).
 */
bool devices_intr_pending(struct vm *vm)
{
	struct devices *d = vm->dev;
	bool unmoved = !d->stale && vm->vcpu.cr8 == d->cr8_seen &&
		       vm->vcpu.apic_base == d->apic_base_seen;

	if (unmoved && d->pending_known)
		return d->pending_seen;
	bool pending = intr_pending_now(vm);
	if (unmoved) {
		d->pending_known = true;
		d->pending_seen = pending;
	}
	return pending;
}

uint8_t devices_intr_ack(struct vm *vm)
{
	struct i8259_pair *pic = &vm->dev->pic;
	uint8_t vector;

	vm->dev->stale = true;
	if (!lapic_enabled(vm) ||
	    (lapic_extint(&vm->dev->lapic) && i8259_pending(pic))) {
		vector = i8259_acknowledge(pic);
		pic_intr_update(vm);
		return vector;
	}
	vector = lapic_acknowledge(lapic_in(vm));
	lapic_out(vm);
	return vector;
}

/* ------------------------------------------------------------------
 * The LAPIC's MSRs (interp/msr.c).
 */
bool devices_apic_base_allowed(struct vm *vm, uint64_t val)
{
	return lapic_base_allowed(vm->vcpu.apic_base, val);
}

void devices_apic_base_written(struct vm *vm, uint64_t old)
{
	lapic_base_changed(lapic_in(vm), old, vm->vcpu.apic_base);
	lapic_out(vm);
}

bool devices_x2apic_msr(struct vm *vm, uint32_t msr, bool write,
			uint64_t *val)
{
	struct lapic *l;
	bool ok;

	if (!x2apic_mode(vm) || msr < MSR_X2APIC_FIRST ||
	    msr > MSR_X2APIC_LAST)
		return false;
	l = lapic_in(vm);
	if (write)
		ok = lapic_write(l, msr - MSR_X2APIC_FIRST, *val, true,
				 clock_now(vm));
	else
		ok = lapic_read(l, msr - MSR_X2APIC_FIRST, true, clock_now(vm),
				val);
	lapic_out(vm);
	return ok;
}

uint64_t devices_tsc_deadline(struct vm *vm)
{
	return vm->dev->lapic.tsc_deadline;
}

void devices_set_tsc_deadline(struct vm *vm, uint64_t tsc, uint64_t when_ns)
{
	lapic_set_tsc_deadline(lapic_in(vm), tsc, when_ns);
	lapic_out(vm);
}

/*
 * guests/vcons/vcons.c - the same text through COM1 and through a virtio
 * console (guests/runtime/serial.c, vcons.h): issue 15's contrast for
 * output, exits per byte against exits per buffer.
 *
 * The guest finds the console card on bus 0, shows where the firmware
 * put it, brings it up (VERSION_1 only: port 0 on queues 0 and 1), and
 * prints TEXT three times: through COM1 (an OUT per byte, and an IN per
 * LSR poll before it), through the console a line per buffer with one
 * notification for all of them, and through the console as one buffer.
 * Then lines alternate between the two, which must come out in the
 * guest's order; a receive buffer stays unused (nothing is typed); a
 * transmit chain with a writable buffer still prints its readable part;
 * a chain that loops breaks the device until a reset.
 *
 * With the argument "echo" the guest reads instead: it lends the
 * console 32 receive buffers of one byte (guests/runtime/vcons.h says
 * why one: QEMU's mux), sleeps in hlt until the card's interrupt
 * (INTx# through the 8259A pair, on the IRQ the firmware wrote in its
 * interrupt line) says that some were used, and echoes each line typed
 * through the console's transmitq, numbered, until a line "quit".  What
 * it prints depends only on the input, not on when it came or how many
 * buffers each notification found filled.
 *
 * Every line is the same on QEMU (-nodefaults, -device virtio-serial-pci
 * with disable-legacy=on,vectors=0 and -device virtconsole on a chardev
 * muxed with -serial, which gives the virtconsole the input) and
 * trapvisor (--console=virtio); trapvisor's --stats counts the exits
 * (devices/README.md).
 */
#include "cpu.h"
#include "devices/i8259.h"
#include "pci.h"
#include "rt.h"
#include "vcons.h"

#define VEC_MASTER 0x20 /* IRQ 0-7 -> vectors 0x20-0x27 */
#define VEC_SLAVE 0x28
#define LINE 120        /* longer lines are cut (and say so) */

static const char *const text[] = {
	"  A paravirtual device is a contract, not a chip:\n",
	"  the driver hands over whole buffers,\n",
	"  and one write tells the device where they are.\n",
};
#define NLINES (sizeof(text) / sizeof(text[0]))

static struct rt_vcons vc;
static char all[256];
static char scratch[16];
static int failed;

static void check(bool ok, const char *what)
{
	if (!ok) {
		rt_printf("vcons: FAIL %s\n", what);
		failed++;
	}
}

/* What the firmware left: slot, IDs, class, interrupt line. */
static void show_config(const struct rt_pci_dev *d)
{
	rt_printf("vcons: pci %02x:%02x.%x %04x:%04x rev %02x class %06x "
		  "subsystem %04x:%04x, pin %u line %u\n", d->bus, d->dev,
		  d->fn, d->vendor, d->device,
		  rt_pci_read(d, PCI_REVISION_ID, 1),
		  rt_pci_read(d, PCI_REVISION_ID, 4) >> 8,
		  rt_pci_read(d, PCI_SUBSYSTEM_VENDOR_ID, 2),
		  rt_pci_read(d, PCI_SUBSYSTEM_ID, 2),
		  rt_pci_read(d, PCI_INTERRUPT_PIN, 1),
		  rt_pci_read(d, PCI_INTERRUPT_LINE, 1));
}

static bool bring_up(struct rt_pci_dev *d)
{
	static const uint16_t ids[] = { RT_VCONS_DEVICE_MODERN };

	if (!rt_pci_find(VIRTIO_PCI_VENDOR_ID, ids, 1, d)) {
		rt_printf("vcons: no virtio console card on bus 0\n");
		return false;
	}
	show_config(d);
	if (rt_vcons_open(&vc, d) < 0) {
		rt_printf("vcons: the card did not come up (status %02x)\n",
			  vc.v.common ? rt_virtio_status(&vc.v) : 0xff);
		return false;
	}
	rt_printf("vcons: offered VERSION_1 %s; status %02x, cols %u rows %u\n",
		  vc.v.features >> VIRTIO_F_VERSION_1 & 1 ? "yes" : "no",
		  rt_virtio_status(&vc.v), rt_virtio_config8(&vc.v, 0),
		  rt_virtio_config8(&vc.v, 2));
	return true;
}

/* TEXT through COM1: a byte at a time. */
static void step_serial(void)
{
	rt_printf("vcons: through COM1, a byte per OUT:\n");
	for (unsigned i = 0; i < NLINES; i++)
		rt_puts(text[i]);
}

/* TEXT through the console: a buffer per line, one notification. */
static void step_lines(void)
{
	rt_printf("vcons: through the virtio console, a buffer per line, "
		  "one notification:\n");
	for (unsigned i = 0; i < NLINES; i++)
		check(rt_vcons_queue(&vc, text[i], strlen(text[i]), NULL, 0) ==
		      0, "queue a line");
	rt_vcons_kick(&vc);
	check(rt_vcons_sync(&vc) == 0, "the lines used");
}

/* TEXT as one buffer. */
static void step_whole(void)
{
	size_t n = 0;

	for (unsigned i = 0; i < NLINES; i++) {
		size_t k = strlen(text[i]);

		memcpy(all + n, text[i], k);
		n += k;
	}
	rt_printf("vcons: through the virtio console, one buffer:\n");
	check(rt_vcons_write(&vc, all, (uint32_t)n) == 0, "the buffer used");
}

/* Lines alternating between the two: the host keeps the guest's order. */
static void step_interleave(void)
{
	for (unsigned i = 1; i <= 3; i++) {
		rt_printf("vcons: COM1 line %u\n", i);
		const char *s = rt_fmt("vcons: console line %u\n", i);

		check(rt_vcons_write(&vc, s, strlen(s)) == 0, "a console line");
	}
}

/* A receive buffer: nothing is typed, so the device keeps it. */
static void step_receive(void)
{
	struct rt_virtq_buf b = { scratch, sizeof(scratch), true };
	uint16_t head;
	uint32_t len;
	bool used;

	check(rt_virtq_add(&vc.rx, &b, 1, NULL) >= 0, "queue a receive buffer");
	rt_virtq_kick(&vc.rx);
	for (volatile unsigned i = 0; i < 100000; i++)
		;
	used = rt_virtq_used(&vc.rx, &head, &len);
	rt_printf("vcons: a receive buffer with no input: %s\n",
		  used ? "used" : "still available");
}

/* A transmit chain with a writable buffer: its readable part is output. */
static void step_writable(void)
{
	static const char line[] = "vcons: a chain with a writable buffer\n";

	memset(scratch, 0x5a, sizeof(scratch));
	check(rt_vcons_queue(&vc, line, sizeof(line) - 1, scratch,
			     sizeof(scratch)) == 0, "queue the chain");
	rt_vcons_kick(&vc);
	check(rt_vcons_sync(&vc) == 0, "the chain used");
	rt_printf("vcons: its writable buffer: %s\n",
		  scratch[0] == 0x5a && scratch[15] == 0x5a ? "untouched" :
							      "written");
}

/* A chain that loops: the device needs a reset, then works again. */
static void step_hostile(const struct rt_pci_dev *d)
{
	static const char line[] = "vcons: never printed\n";
	struct rt_virtq_desc *desc = vc.tx.r->desc;
	uint16_t head = vc.tx.free_head;
	uint8_t st = 0;

	check(rt_vcons_queue(&vc, line, sizeof(line) - 1, NULL, 0) == 0,
	      "queue the chain to break");
	desc[head].flags |= VIRTQ_DESC_F_NEXT;
	desc[head].next = head;
	rt_vcons_kick(&vc);
	for (unsigned i = 0; i < 1000000 && !(st & VIRTIO_STATUS_NEEDS_RESET);
	     i++)
		st = rt_virtio_status(&vc.v);
	rt_printf("vcons: a chain that loops: status %02x (NEEDS_RESET %s), "
		  "ISR %02x\n", st, st & VIRTIO_STATUS_NEEDS_RESET ? "set" :
								  "clear",
		  rt_virtio_isr(&vc.v));
	check(rt_vcons_open(&vc, d) == 0, "bring it up again");
	check(rt_vcons_write(&vc, "vcons: after a reset, the console "
			     "prints again\n", 47) == 0, "after a reset");
}

/* ------------------------------------------------------------ echo */

static unsigned irq_line;
static volatile unsigned irqs;

/* The card's INTx#: reading the ISR lowers it. */
static void on_vcons(struct rt_frame *f)
{
	(void)f;
	if (rt_virtio_isr(&vc.v) & VIRTIO_ISR_QUEUE)
		irqs++;
	if (irq_line >= 8)
		outb(PIC_SLAVE_CMD, OCW2_EOI);
	outb(PIC_MASTER_CMD, OCW2_EOI);
}

/* Only the card's IRQ (and the cascade) through the 8259A pair. */
static void irq_setup(const struct rt_pci_dev *d)
{
	uint8_t master = (uint8_t)~(1 << PIC_CASCADE_IRQ), slave = 0xff;
	unsigned vec;

	irq_line = rt_pci_read(d, PCI_INTERRUPT_LINE, 1) & 15;
	vec = irq_line < 8 ? VEC_MASTER + irq_line : VEC_SLAVE + irq_line - 8;
	if (irq_line < 8)
		master &= (uint8_t)~(1 << irq_line);
	else
		slave &= (uint8_t)~(1 << (irq_line - 8));
	rt_set_gate(vec, vec, 0);
	rt_set_handler(vec, on_vcons);
	rt_pic_init(VEC_MASTER, VEC_SLAVE, master, slave);
}

/* Wait for input: bytes into buf, sleeping until the interrupt. */
static uint32_t wait_input(uint8_t *buf, uint32_t len)
{
	uint32_t k;

	cli(); /* no interrupt between the look and the hlt */
	while ((k = rt_vcons_read(&vc, buf, len)) == 0) {
		safe_halt();
		cli();
	}
	sti();
	return k;
}

/* One line typed: echoed through the console, numbered. */
static void echo_line(unsigned n, const char *line, unsigned len, bool cut)
{
	static char s[LINE + 64];
	int k = rt_snprintf(s, sizeof(s), "vcons: %u: [%s]%s (%u bytes)\n", n,
			    line, cut ? " cut" : "", len);

	check(rt_vcons_write(&vc, s, (uint32_t)k) == 0, "echo a line");
}

static int run_echo(const struct rt_pci_dev *d)
{
	static char line[LINE + 1];
	uint8_t chunk[RT_VCONS_RX_LEN];
	unsigned n = 0, lines = 0, len = 0;
	uint32_t bytes = 0;

	irq_setup(d);
	rt_virtq_interrupts(&vc.rx, true);
	/* a byte each: QEMU's mux loses input to longer ones (vcons.h) */
	check(rt_vcons_listen(&vc, 1) == 0, "lend the receive buffers");
	rt_printf("vcons: echo on IRQ %u, %u receive buffers of 1 byte\n",
		  irq_line, RT_VCONS_RX_BUFS);
	for (;;) {
		uint32_t k = wait_input(chunk, sizeof(chunk));

		bytes += k;
		for (uint32_t i = 0; i < k; i++) {
			if (chunk[i] != '\n') {
				if (n < LINE)
					line[n++] = (char)chunk[i];
				len++;
				continue;
			}
			line[n] = 0;
			if (strcmp(line, "quit") == 0) {
				rt_printf("vcons: quit after %u lines, %u bytes; "
					  "interrupts %s; %d failed\n", lines,
					  bytes, irqs ? "taken" : "none",
					  failed);
				return failed ? 1 : 0;
			}
			echo_line(++lines, line, len, len > n);
			n = len = 0;
		}
	}
}

int main(const char *args)
{
	struct rt_pci_dev d;

	if (!bring_up(&d))
		return 2;
	if (strcmp(args, "echo") == 0)
		return run_echo(&d);
	step_serial();
	step_lines();
	step_whole();
	step_interleave();
	step_receive();
	step_writable();
	step_hostile(&d);
	rt_printf("vcons: %d failed\n", failed);
	return failed ? 1 : 0;
}

/*
 * devices/i8042.c - the 8042 keyboard controller and an MF2 keyboard
 * (devices/i8042.h), answering as QEMU's `pc` machine does
 * (hw/input/pckbd.c, hw/input/ps2.c).
 *
 * Bytes for the CPU come from two places: the controller's own replies
 * (one byte, which goes first) and the keyboard's queue.  The output
 * buffer takes the next byte as soon as it is empty, unless the keyboard
 * clock is off (KBDDIS), which holds the keyboard's bytes back.
 *
 * Not modelled: the PS/2 mouse (there is none: bytes sent to it with 0xd4
 * vanish, so a driver probing it times out; 0xd3 still loops a byte back
 * through the aux side, with IRQ 12 when AUXINT asks); typematic repeat
 * and the LEDs do nothing visible; IBF is never set because the
 * controller takes each write at once; CMD stays set as QEMU leaves it
 * (the chip would show which port was written last); commands QEMU does
 * not know (0xe0 read test inputs, among others) are ignored as there.
 */
#include <string.h>

#include "devices/i8042.h"

void i8042_init(struct i8042 *k)
{
	memset(k, 0, sizeof(*k));
	/* As the BIOS leaves it: its POST ran the controller's self test
	 * (0xaa), which sets the system flag (QEMU's pc, after SeaBIOS). */
	k->status = I8042_STR_CMD | I8042_STR_UNLOCKED | I8042_STR_SYS;
	k->ctr = I8042_CTR_KBDINT | I8042_CTR_AUXINT;
	k->outport = I8042_OUT_RESET | I8042_OUT_A20 | I8042_OUT_ONES;
	k->kbd_scanning = true;
	k->kbd_set = 2;
}

/* Move the next byte into the output buffer if it is free. */
static void refill(struct i8042 *k)
{
	if (k->status & I8042_STR_OBF)
		return;
	if (k->reply_pending) {
		k->obuf = k->reply;
		k->reply_pending = false;
		k->status |= I8042_STR_OBF;
		if (k->reply_aux)
			k->status |= I8042_STR_AUXDATA;
		else
			k->status &= (uint8_t)~I8042_STR_AUXDATA;
	} else if (k->qlen && !(k->ctr & I8042_CTR_KBDDIS)) {
		k->obuf = k->queue[k->qhead];
		k->qhead = (k->qhead + 1) % KBD_QUEUE_SIZE;
		k->qlen--;
		k->status = (uint8_t)((k->status | I8042_STR_OBF) &
				      ~I8042_STR_AUXDATA);
	}
}

/* A controller reply: it takes the output buffer before keyboard bytes;
 * aux marks it as from the mouse port. */
static void ctl_reply(struct i8042 *k, uint8_t byte, bool aux)
{
	k->reply = byte;
	k->reply_aux = aux;
	k->reply_pending = true;
	refill(k);
}

/* The keyboard queues n bytes, all or none (QEMU's ps2_queue_2/3). */
static void kbd_queue(struct i8042 *k, const uint8_t *b, unsigned n)
{
	if (k->qlen + n > KBD_QUEUE_SIZE)
		return;
	for (unsigned i = 0; i < n; i++)
		k->queue[(k->qhead + k->qlen++) % KBD_QUEUE_SIZE] = b[i];
	refill(k);
}

static void kbd_reply(struct i8042 *k, uint8_t b)
{
	kbd_queue(k, &b, 1);
}

void i8042_kbd_push(struct i8042 *k, uint8_t byte)
{
	if (k->kbd_scanning)
		kbd_reply(k, byte);
}

/* Keyboard reset (0xff, 0xf5, 0xf6): defaults, queue emptied. */
static void kbd_reset(struct i8042 *k)
{
	k->qhead = k->qlen = 0;
	k->kbd_scanning = true;
	k->kbd_set = 2;
	k->kbd_leds = 0;
	k->kbd_cmd = 0;
}

/* The parameter byte of a keyboard command (0xed, 0xf3, 0xf0). */
static void kbd_parameter(struct i8042 *k, uint8_t val)
{
	/* With translation on, the keyboard's scancode set is reported as
	 * the translated byte would read (QEMU's translate_table). */
	static const uint8_t xlated_set[4] = { 0, 0x43, 0x41, 0x3f };

	switch (k->kbd_cmd) {
	case KBD_CMD_SET_LEDS:
		k->kbd_leds = val;
		kbd_reply(k, KBD_REPLY_ACK);
		break;
	case KBD_CMD_SET_RATE:
		k->kbd_rate = val;
		kbd_reply(k, KBD_REPLY_ACK);
		break;
	case KBD_CMD_SCANCODE:
		if (val == 0) {
			uint8_t r[2] = { KBD_REPLY_ACK, k->kbd_set };
			if (k->ctr & I8042_CTR_XLATE)
				r[1] = xlated_set[k->kbd_set];
			kbd_queue(k, r, 2);
		} else if (val <= 3) {
			k->kbd_set = val;
			kbd_reply(k, KBD_REPLY_ACK);
		} else {
			kbd_reply(k, KBD_REPLY_RESEND);
		}
		break;
	}
	k->kbd_cmd = 0;
}

/* A byte for the keyboard: a command, or the parameter of one. */
static void kbd_write(struct i8042 *k, uint8_t val)
{
	if (k->kbd_cmd) {
		kbd_parameter(k, val);
		return;
	}
	switch (val) {
	case KBD_CMD_GET_ID: {
		/* MF2 keyboard: 0xab 0x83, or 0xab 0x41 when translated. */
		uint8_t r[3] = { KBD_REPLY_ACK, KBD_REPLY_ID,
				 (k->ctr & I8042_CTR_XLATE) ? 0x41 : 0x83 };
		kbd_queue(k, r, 3);
		break;
	}
	case KBD_CMD_ECHO:
		kbd_reply(k, KBD_CMD_ECHO);
		break;
	case KBD_CMD_ENABLE:
		k->kbd_scanning = true;
		kbd_reply(k, KBD_REPLY_ACK);
		break;
	case KBD_CMD_SET_LEDS: case KBD_CMD_SET_RATE: case KBD_CMD_SCANCODE:
		k->kbd_cmd = val;
		kbd_reply(k, KBD_REPLY_ACK);
		break;
	case KBD_CMD_RESET_DISABLE:
		kbd_reset(k);
		k->kbd_scanning = false;
		kbd_reply(k, KBD_REPLY_ACK);
		break;
	case KBD_CMD_RESET_ENABLE:
		kbd_reset(k);
		kbd_reply(k, KBD_REPLY_ACK);
		break;
	case KBD_CMD_RESET: {
		uint8_t r[2] = { KBD_REPLY_ACK, KBD_REPLY_POR };
		kbd_reset(k);
		kbd_queue(k, r, 2);
		break;
	}
	default:
		kbd_reply(k, KBD_REPLY_RESEND);
	}
}

/* The output port: bit 0 low resets the CPU. */
static void write_outport(struct i8042 *k, uint8_t val)
{
	k->outport = val;
	if (!(val & I8042_OUT_RESET))
		k->reset_request = true;
}

/* The data byte that follows a controller command (k->write_cmd). */
static void ctl_data(struct i8042 *k, uint8_t val)
{
	switch (k->write_cmd) {
	case I8042_CMD_CTL_WCTR:
		k->ctr = val;
		refill(k); /* KBDDIS may have let the keyboard's bytes go */
		break;
	case I8042_CMD_WRITE_OUTPORT:
		write_outport(k, val);
		break;
	case I8042_CMD_WRITE_OBUF:
		ctl_reply(k, val, false);
		break;
	case I8042_CMD_WRITE_AUX_OBUF:
		ctl_reply(k, val, true);
		break;
	case I8042_CMD_WRITE_AUX:
		break; /* no mouse (see the top of this file) */
	}
	k->write_cmd = 0;
}

/* The output port as the CPU reads it: bits 4 and 5 show the buffers. */
static uint8_t read_outport(const struct i8042 *k)
{
	uint8_t v = k->outport & 0xcf;

	if (k->status & I8042_STR_OBF)
		v |= (k->status & I8042_STR_AUXDATA) ? 0x20 : 0x10;
	return v;
}

/* A controller command (a write to 0x64). */
static void ctl_command(struct i8042 *k, uint8_t cmd)
{
	if (cmd >= I8042_CMD_PULSE) { /* pulse output bits low for 6 us */
		if (!(cmd & I8042_OUT_RESET))
			k->reset_request = true;
		return;
	}
	switch (cmd) {
	case I8042_CMD_CTL_RCTR:
		ctl_reply(k, k->ctr, false);
		break;
	case I8042_CMD_CTL_WCTR: case I8042_CMD_WRITE_OUTPORT:
	case I8042_CMD_WRITE_OBUF: case I8042_CMD_WRITE_AUX_OBUF:
	case I8042_CMD_WRITE_AUX:
		k->write_cmd = cmd;
		break;
	case I8042_CMD_AUX_DISABLE:
		k->ctr |= I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_AUX_ENABLE:
		k->ctr &= (uint8_t)~I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_AUX_TEST: case I8042_CMD_KBD_TEST: /* 0: lines OK */
		ctl_reply(k, 0x00, false);
		break;
	case I8042_CMD_CTL_TEST:
		k->status |= I8042_STR_SYS;
		ctl_reply(k, I8042_CTL_TEST_OK, false);
		break;
	case I8042_CMD_KBD_DISABLE:
		k->ctr |= I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_KBD_ENABLE:
		k->ctr &= (uint8_t)~I8042_CTR_KBDDIS;
		refill(k);
		break;
	case I8042_CMD_READ_INPORT: /* bit 7: keyboard not inhibited */
		ctl_reply(k, 0x80, false);
		break;
	case I8042_CMD_READ_OUTPORT:
		ctl_reply(k, read_outport(k), false);
		break;
	case I8042_CMD_DISABLE_A20:
		k->outport &= (uint8_t)~I8042_OUT_A20;
		break;
	case I8042_CMD_ENABLE_A20:
		k->outport |= I8042_OUT_A20;
		break;
	default:
		break; /* unknown: ignored, as QEMU does */
	}
}

uint8_t i8042_read(struct i8042 *k, uint16_t port)
{
	if (port == I8042_STATUS)
		return k->status;
	/* The data port: the buffer's byte (the last one again if empty). */
	uint8_t v = k->obuf;
	k->status &= (uint8_t)~(I8042_STR_OBF | I8042_STR_AUXDATA);
	refill(k);
	return v;
}

void i8042_write(struct i8042 *k, uint16_t port, uint8_t val)
{
	if (port == I8042_COMMAND) {
		k->write_cmd = 0;
		ctl_command(k, val);
		return;
	}
	if (k->write_cmd) {
		ctl_data(k, val);
		return;
	}
	/* Sending to the keyboard turns its clock back on (as QEMU). */
	k->ctr &= (uint8_t)~I8042_CTR_KBDDIS;
	kbd_write(k, val);
}

bool i8042_irq1(const struct i8042 *k)
{
	return (k->status & I8042_STR_OBF) &&
	       !(k->status & I8042_STR_AUXDATA) &&
	       (k->ctr & I8042_CTR_KBDINT) && !(k->ctr & I8042_CTR_KBDDIS);
}

bool i8042_irq12(const struct i8042 *k)
{
	return (k->status & I8042_STR_OBF) &&
	       (k->status & I8042_STR_AUXDATA) && (k->ctr & I8042_CTR_AUXINT);
}

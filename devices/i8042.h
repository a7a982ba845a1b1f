/*
 * devices/i8042.h - the Intel 8042 keyboard controller and its keyboard.
 *
 * The 8042 sits between the CPU and the PS/2 keyboard.  Two ports:
 *
 *   0x60  data: read the output buffer (a byte from the keyboard or a
 *         controller reply); write a byte for the keyboard, or the
 *         parameter of a controller command
 *   0x64  read: status register; write: a controller command
 *
 *   status register:
 *     7    6    5     4      3     2     1     0
 *   +----+----+-----+------+-----+-----+-----+-----+
 *   |PERR|GTO |AOBF |UNLOCK| CMD | SYS | IBF | OBF |
 *   +----+----+-----+------+-----+-----+-----+-----+
 *   OBF: a byte waits at 0x60; IBF: the controller has not taken the last
 *   write yet (never, here: writes are taken at once); SYS: self test
 *   passed; CMD: the last write went to 0x64 (QEMU: always set); UNLOCK: keyboard not
 *   inhibited; AOBF: the byte is from the mouse port.
 *
 *   command byte (read with 0x20, written with 0x60):
 *     bit 0 KBDINT  IRQ 1 when the output buffer fills from the keyboard
 *     bit 1 AUXINT  IRQ 12 for mouse bytes
 *     bit 2 SYS     copied to the status register
 *     bit 4 KBDDIS  keyboard clock off: its bytes wait in its queue
 *     bit 5 AUXDIS  mouse clock off
 *     bit 6 XLATE   translate scancodes to set 1 (the keyboard's ID too)
 *
 * The output port (0xd0 read, 0xd1 write) holds the CPU's reset line in
 * bit 0 (active low) and A20 in bit 1; command 0xfe pulses bit 0 low, which
 * resets the machine: the way most PC kernels reboot.
 *
 * Names after the 8042 documentation and QEMU's hw/input/pckbd.c, whose
 * behaviour this follows.
 */
#ifndef DEVICES_I8042_H
#define DEVICES_I8042_H

#include <stdbool.h>
#include <stdint.h>

#define I8042_DATA 0x60
#define I8042_STATUS 0x64  /* read */
#define I8042_COMMAND 0x64 /* write */

#define I8042_STR_OBF 0x01
#define I8042_STR_IBF 0x02
#define I8042_STR_SYS 0x04
#define I8042_STR_CMD 0x08
#define I8042_STR_UNLOCKED 0x10
#define I8042_STR_AUXDATA 0x20

#define I8042_CTR_KBDINT 0x01
#define I8042_CTR_AUXINT 0x02
#define I8042_CTR_SYS 0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
#define I8042_CTR_XLATE 0x40

/* Controller commands (written to 0x64). */
#define I8042_CMD_CTL_RCTR 0x20  /* read the command byte */
#define I8042_CMD_CTL_WCTR 0x60  /* write it: the next byte at 0x60 */
#define I8042_CMD_AUX_DISABLE 0xa7
#define I8042_CMD_AUX_ENABLE 0xa8
#define I8042_CMD_AUX_TEST 0xa9  /* mouse interface test: 0x00 */
#define I8042_CMD_CTL_TEST 0xaa  /* self test: 0x55 */
#define I8042_CMD_KBD_TEST 0xab  /* keyboard interface test: 0x00 */
#define I8042_CMD_KBD_DISABLE 0xad
#define I8042_CMD_KBD_ENABLE 0xae
#define I8042_CMD_READ_INPORT 0xc0
#define I8042_CMD_READ_OUTPORT 0xd0
#define I8042_CMD_WRITE_OUTPORT 0xd1
#define I8042_CMD_WRITE_OBUF 0xd2 /* the next byte comes back as if typed */
#define I8042_CMD_WRITE_AUX_OBUF 0xd3
#define I8042_CMD_WRITE_AUX 0xd4  /* the next byte goes to the mouse */
#define I8042_CMD_DISABLE_A20 0xdd
#define I8042_CMD_ENABLE_A20 0xdf
#define I8042_CMD_PULSE 0xf0      /* 0xf0-0xff: pulse output port bits 0-3
				     low where the command's bit is 0 */
#define I8042_CTL_TEST_OK 0x55

#define I8042_OUT_RESET 0x01      /* output port: CPU reset line, low = reset */
#define I8042_OUT_A20 0x02
#define I8042_OUT_ONES 0xcc       /* bits QEMU keeps set */

/* Keyboard commands (written to 0x60) and its replies. */
#define KBD_CMD_SET_LEDS 0xed
#define KBD_CMD_ECHO 0xee
#define KBD_CMD_SCANCODE 0xf0
#define KBD_CMD_GET_ID 0xf2
#define KBD_CMD_SET_RATE 0xf3
#define KBD_CMD_ENABLE 0xf4
#define KBD_CMD_RESET_DISABLE 0xf5
#define KBD_CMD_RESET_ENABLE 0xf6
#define KBD_CMD_RESET 0xff
#define KBD_REPLY_POR 0xaa        /* power-on reset (self test) passed */
#define KBD_REPLY_ID 0xab         /* first byte of the MF2 keyboard's ID */
#define KBD_REPLY_ACK 0xfa
#define KBD_REPLY_RESEND 0xfe

#define KBD_QUEUE_SIZE 16

struct i8042 {
	uint8_t status;      /* status register (0x64 read) */
	uint8_t ctr;         /* command byte (I8042_CTR_*) */
	uint8_t outport;     /* output port (I8042_OUT_*) */
	uint8_t obuf;        /* output buffer (0x60 read) */
	uint8_t write_cmd;   /* controller command waiting for its byte at
				0x60 (0x60, 0xd1..0xd4), or 0 */
	bool reply_pending;  /* a controller reply waits to enter obuf */
	uint8_t reply;       /* that reply */
	bool reply_aux;      /* it is for the aux (mouse) side (0xd3) */
	bool reset_request;  /* the reset line was pulsed (the VM must end) */

	/* The keyboard behind the controller. */
	uint8_t kbd_cmd;     /* its command waiting for a parameter, or 0 */
	bool kbd_scanning;   /* enabled (0xf4) or not (0xf5) */
	uint8_t kbd_leds;    /* last 0xed parameter */
	uint8_t kbd_rate;    /* last 0xf3 parameter */
	uint8_t kbd_set;     /* scancode set, 1..3 */
	uint8_t queue[KBD_QUEUE_SIZE]; /* its bytes for the controller */
	unsigned qhead, qlen;
};

/* Power-on state (QEMU's kbd_reset): command byte KBDINT|AUXINT, output
 * port with reset and A20 high, empty buffers. */
void i8042_init(struct i8042 *k);

/* Read port 0x60 or 0x64. */
uint8_t i8042_read(struct i8042 *k, uint16_t port);
/* Write port 0x60 or 0x64.  A reset pulse sets k->reset_request. */
void i8042_write(struct i8042 *k, uint16_t port, uint8_t val);

/*
 * The keyboard sends one byte (a scancode as the keyboard makes it: the
 * caller translates to set 1 when I8042_CTR_XLATE asks for it).  The entry
 * point for console input; bytes beyond the queue's 16 are dropped, as a
 * keyboard's buffer overruns.
 */
void i8042_kbd_push(struct i8042 *k, uint8_t byte);

/* Is IRQ 1 asserted (a keyboard byte in the output buffer, KBDINT set)? */
bool i8042_irq1(const struct i8042 *k);
/* Is IRQ 12 asserted (an aux-port byte in the output buffer, AUXINT)? */
bool i8042_irq12(const struct i8042 *k);

#endif /* DEVICES_I8042_H */

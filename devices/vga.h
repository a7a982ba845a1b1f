/*
 * devices/vga.h - the CRT controller of a VGA adapter in colour text mode.
 *
 * A PC kernel that writes to the screen puts characters into the text
 * buffer at guest-physical 0xb8000 (80 x 25 cells of a character byte and
 * an attribute byte) and moves the blinking cursor through two registers
 * of the CRT controller (CRTC), reached through an index port and a data
 * port:
 *
 *   0x3d4  index: which CRTC register the next access of 0x3d5 means
 *   0x3d5  data: read or write that register
 *
 *   register 0x0e  cursor location, high byte
 *   register 0x0f  cursor location, low byte  (location = row * 80 + col)
 *
 * xv6's console, for one, reads the cursor location back before every
 * character it draws, and panics when the answer is off the screen: on a
 * bus where nothing answers (0xff) it would find the cursor at 65535.
 * trapvisor draws no picture (the console is the serial port), so the text
 * buffer is plain RAM and this chip keeps only the CRTC's register file,
 * as QEMU's VGA does for its 0x19 registers (hw/display/vga.c): writes are
 * remembered and read back; an index beyond them reads 0xff.
 */
#ifndef DEVICES_VGA_H
#define DEVICES_VGA_H

#include <stdint.h>

#define VGA_CRTC_INDEX 0x3d4
#define VGA_CRTC_DATA 0x3d5
#define VGA_CRTC_NREGS 0x19     /* registers 0x00 - 0x18 */
#define VGA_CRTC_CURSOR_HI 0x0e
#define VGA_CRTC_CURSOR_LO 0x0f
#define VGA_TEXT_BUFFER 0xb8000 /* guest-physical: 80 x 25 x 2 bytes, RAM */

struct vga {
	uint8_t index;                  /* selected by a write of 0x3d4 */
	uint8_t crtc[VGA_CRTC_NREGS];
};

/* Power-on state: the cursor at the top-left cell, index 0. */
void vga_init(struct vga *g);
/* One byte from or to VGA_CRTC_INDEX or VGA_CRTC_DATA. */
uint8_t vga_read(const struct vga *g, uint16_t port);
void vga_write(struct vga *g, uint16_t port, uint8_t val);

#endif /* DEVICES_VGA_H */

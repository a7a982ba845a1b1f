/*
 * devices/vga.c - the VGA's CRT controller registers (devices/vga.h).
 */
#include <string.h>

#include "devices/vga.h"

void vga_init(struct vga *g)
{
	memset(g, 0, sizeof(*g));
}

uint8_t vga_read(const struct vga *g, uint16_t port)
{
	if (port == VGA_CRTC_INDEX)
		return g->index;
	return g->index < VGA_CRTC_NREGS ? g->crtc[g->index] : 0xff;
}

void vga_write(struct vga *g, uint16_t port, uint8_t val)
{
	if (port == VGA_CRTC_INDEX)
		g->index = val;
	else if (g->index < VGA_CRTC_NREGS)
		g->crtc[g->index] = val;
}

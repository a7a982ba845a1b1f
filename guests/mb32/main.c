/*
 * guests/mb32/main.c - mb32's C entry: the sections in order.
 *
 * Each section leaves the machine as the next one expects: section 3
 * installs mb32's GDT and IDT (used until the end), section 4 turns paging
 * on and off again, section 6 never returns (it ends the run from 64-bit
 * code).  The exit status is 0 when every check passed, 1 otherwise.
 */
#include "guests/mb32/mb32.h"

void kmain(uint32_t magic, const struct mb_info *mbi, uint32_t eflags,
	   uint32_t cs, uint32_t ds);

void kmain(uint32_t magic, const struct mb_info *mbi, uint32_t eflags,
	   uint32_t cs, uint32_t ds)
{
	rt_serial_init();
	rt_printf("mb32: a 32-bit multiboot kernel\n");
	boot_section(magic, mbi, eflags, (uint16_t)cs, (uint16_t)ds);
	firmware_section();
	protmode_section();
	paging_section();
	devices_section(mbi);
	longmode_section();
}

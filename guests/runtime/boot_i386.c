/*
 * guests/runtime/boot_i386.c - from a multiboot loader to rt_main.
 *
 * The 64-bit runtime is handed a struct boot_info (monitor/boot.h) by
 * trapvisor or by its PVH stub.  A multiboot loader hands over a struct
 * multiboot_info instead; rt_multiboot translates it into the same
 * boot_info - RAM size, command line - and turns on paging with the boot
 * map, so that rt_main and the guest above it see the same machine on
 * both builds: paging on, every address below 4 GiB mapped to itself.
 */
#include "cpu.h"
#include "rt.h"

#define MB_LOW_MEMORY (1024ULL * 1024) /* mem_upper counts from 1 MiB */

static struct boot_info boot_info;
static char cmdline[BOOT_CMDLINE_MAX];

/* Copy the loader's command line: its memory is not reserved, and the
 * guest may hand it out as free frames. */
static void copy_cmdline(const struct rt_mb_info *mbi)
{
	const char *s = (const char *)(uintptr_t)mbi->cmdline;
	size_t n = 0;

	if (mbi->flags & RT_MBI_CMDLINE)
		while (n < sizeof(cmdline) - 1 && s[n]) {
			cmdline[n] = s[n];
			n++;
		}
	cmdline[n] = '\0';
}

/* What the loader said, as a boot_info; then paging, then rt_main.  A
 * wrong magic gives boot_info a wrong one too, which rt_main reports. */
void rt_multiboot(uint32_t magic, const struct rt_mb_info *mbi)
{
	boot_info.magic = magic == RT_MB_BOOTLOADER_MAGIC ? BOOT_MAGIC : 0;
	if (boot_info.magic && (mbi->flags & RT_MBI_MEM))
		boot_info.mem_size = MB_LOW_MEMORY + mbi->mem_upper * 1024ULL;
	if (boot_info.magic)
		copy_cmdline(mbi);
	boot_info.cmdline = (uintptr_t)cmdline;
	boot_info.flags = 0; /* which loader it was is not told */
	rt_paging_init();
	rt_main(&boot_info);
}

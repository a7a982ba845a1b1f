/*
 * devices/fw_cfg.c - QEMU's fw_cfg, the traditional I/O interface
 * (devices/fw_cfg.h), as QEMU's `pc` machine answers it (hw/nvram/fw_cfg.c).
 *
 * Which items: those a small kernel reads to learn its machine (signature,
 * ID, RAM size, CPUs, command line) and an empty file directory.  QEMU's
 * own directory lists files for its firmware (etc/e820, bootorder ...):
 * trapvisor has no firmware, so it lists none, and a guest that looks for
 * a file finds it missing, which it must handle on QEMU too.
 */
#include <string.h>

#include "devices/fw_cfg.h"

static void le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void add(struct fw_cfg *f, uint16_t key, const void *data,
		uint32_t len)
{
	f->items[f->nitems++] = (struct fw_cfg_item){ key, len, data };
}

void fw_cfg_init(struct fw_cfg *f, uint64_t ram_bytes, unsigned ncpus,
		 const char *cmdline)
{
	size_t n;

	memset(f, 0, sizeof(*f));
	le(f->id, FW_CFG_VERSION, 4);
	le(f->ram_size, ram_bytes, 8);
	le(f->nographic, 0, 2);
	le(f->nb_cpus, ncpus, 2);
	le(f->max_cpus, ncpus, 2);
	n = strlen(cmdline ? cmdline : "");
	if (n > FW_CFG_CMDLINE_MAX - 1)
		n = FW_CFG_CMDLINE_MAX - 1;
	memcpy(f->cmdline, cmdline ? cmdline : "", n);
	le(f->cmdline_size, n + 1, 4);
	/* file_dir stays 0: a big-endian count of no files */
	add(f, FW_CFG_SIGNATURE, "QEMU", 4);
	add(f, FW_CFG_ID, f->id, 4);
	add(f, FW_CFG_UUID, f->uuid, 16);
	add(f, FW_CFG_RAM_SIZE, f->ram_size, 8);
	add(f, FW_CFG_NOGRAPHIC, f->nographic, 2);
	add(f, FW_CFG_NB_CPUS, f->nb_cpus, 2);
	add(f, FW_CFG_MAX_CPUS, f->max_cpus, 2);
	add(f, FW_CFG_CMDLINE_SIZE, f->cmdline_size, 4);
	add(f, FW_CFG_CMDLINE_DATA, f->cmdline, (uint32_t)n + 1);
	add(f, FW_CFG_FILE_DIR, f->file_dir, 4);
}

/* Select key: the data offset goes back to 0 (an unknown key reads 0s). */
static void fw_cfg_select(struct fw_cfg *f, uint16_t key)
{
	f->selector = key;
	f->offset = 0;
	f->cur = NULL;
	for (unsigned i = 0; i < f->nitems; i++)
		if (f->items[i].key == key)
			f->cur = &f->items[i];
}

/* The selected item's next byte, 0 past its end or for no item. */
static uint8_t fw_cfg_read_byte(struct fw_cfg *f)
{
	if (!f->cur || f->offset >= f->cur->len)
		return 0;
	return f->cur->data[f->offset++];
}

uint32_t fw_cfg_io_read(struct fw_cfg *f, uint16_t port, unsigned size)
{
	(void)port; /* QEMU's region reads data at either port */
	if (size != 1)
		return 0; /* not a valid access on QEMU's bus: it reads 0 */
	return fw_cfg_read_byte(f);
}

void fw_cfg_io_write(struct fw_cfg *f, uint16_t port, unsigned size,
		     uint32_t val)
{
	/* Byte writes to the data port were QEMU's old write interface, long
	 * gone: ignored, as QEMU ignores them now. */
	if (port == FW_CFG_PORT_SEL && size == 2)
		fw_cfg_select(f, (uint16_t)val);
}

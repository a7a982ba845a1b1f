/*
 * guests/mb32/boot.c - section 1: the state a multiboot loader hands over.
 *
 * What the Multiboot Specification 0.6.96 (3.2, "Machine state") promises:
 * EAX = 0x2BADB002, EBX = struct multiboot_info, CS a 32-bit read/execute
 * code segment and DS/ES/SS read/write data segments, all with offset 0
 * and limit 0xFFFFFFFF, CR0.PE set and PG clear, EFLAGS.VM and IF clear.
 * Selector values and the GDT's address are left to the loader, so only
 * the descriptors' contents are checked, through sgdt.
 *
 * Then what multiboot_info says: the memory sizes and map, the command
 * line (the loader's own first word, the kernel's path, is not printed),
 * the modules (each printed whole: the test passes one small text file)
 * and whether the loader named itself.
 */
#include "guests/mb32/mb32.h"

#define MMAP_AVAILABLE 1

/* Is the descriptor that sel names in the current GDT flat (base 0, 4 GiB
 * limit) with DPL 0, of the given kind (code: 32-bit execute/read; data:
 * read/write)? */
static bool flat_descriptor(uint16_t sel, bool code)
{
	struct dt_ptr32 gdtr;
	uint64_t d;

	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	if ((sel & SEL_TI) || (uint32_t)(sel | 7) > gdtr.limit)
		return false;
	memcpy(&d, (const void *)(gdtr.base + (sel & ~7u)), sizeof d);
	uint32_t base = (uint32_t)((d >> 16) & 0xffffff) |
			(uint32_t)((d >> 56) << 24);
	uint32_t limit = (uint32_t)(d & 0xffff) | (uint32_t)((d >> 48) & 0xf) << 16;
	unsigned type = (unsigned)((d & DESC_TYPE_MASK) >> DESC_TYPE_SHIFT);
	bool kind = code ? (type & DESC_TYPE_CODE) && (d & DESC_DB)
			 : !(type & DESC_TYPE_CODE) && (type & DESC_TYPE_RW);
	return base == 0 && limit == 0xfffff && (d & DESC_G) && (d & DESC_P) &&
	       (d & DESC_S) && !(d & DESC_DPL_MASK) && kind;
}

static void check_flags(const struct mb_info *mbi)
{
	static const struct { uint32_t bit; const char *check; } bits[] = {
		{ MBI_MEM, "flags: mem_lower/mem_upper" },
		{ MBI_CMDLINE, "flags: cmdline" },
		{ MBI_MODS, "flags: mods" },
		{ MBI_MMAP, "flags: mmap" },
		{ MBI_LOADER_NAME, "flags: boot_loader_name" },
	};
	for (unsigned i = 0; i < sizeof bits / sizeof bits[0]; i++)
		check(mbi->flags & bits[i].bit, bits[i].check, "flags %x",
		      mbi->flags);
}

/*
 * The memory map: the two facts a kernel builds on: the available RAM at 0
 * is mem_lower KiB long, and the available RAM at 1 MiB is mem_upper KiB
 * long (the spec: mem_upper is "the amount of upper memory", the first
 * hole ends it).  The entries themselves, and so mem_upper's value, are
 * the firmware's choice and are not printed: SeaBIOS reserves the last 128
 * KiB of RAM for its tables (mem_upper 64384 KiB under -m 64), trapvisor
 * keeps its tables below 1 MiB.  Section 5 checks mem_upper against CMOS.
 */
static void check_mmap(const struct mb_info *mbi)
{
	uint32_t p = mbi->mmap_addr, end = p + mbi->mmap_length;
	bool low = false, high = false;

	while (p < end) {
		const struct mb_mmap_entry *e = (const void *)p;
		if (e->type == MMAP_AVAILABLE && e->addr == 0)
			low = e->len == (uint64_t)mbi->mem_lower * 1024;
		if (e->type == MMAP_AVAILABLE && e->addr == 0x100000)
			high = e->len == (uint64_t)mbi->mem_upper * 1024;
		p += e->size + sizeof e->size;
	}
	check(low, "mmap: RAM at 0 is mem_lower KiB", "no such entry");
	check(high, "mmap: RAM at 1 MiB is mem_upper KiB", "no such entry");
}

/* The command line without its first word (the loader puts the kernel's
 * file name there). */
static void print_cmdline(const struct mb_info *mbi)
{
	const char *s = (const char *)mbi->cmdline;

	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	rt_printf("cmdline arguments: \"%s\"\n", s);
}

static void print_modules(const struct mb_info *mbi)
{
	const struct mb_module *m = (const void *)mbi->mods_addr;

	rt_printf("modules: %u\n", mbi->mods_count);
	for (unsigned i = 0; i < mbi->mods_count; i++, m++) {
		check(!(m->mod_start & 0xfff), "module: page-aligned",
		      "starts at %x", m->mod_start);
		check(m->mod_start >= 0x100000 && m->mod_end >= m->mod_start,
		      "module: above 1 MiB", "[%x, %x)", m->mod_start,
		      m->mod_end);
		rt_printf("module %u: %u bytes:\n", i, m->mod_end - m->mod_start);
		for (uint32_t a = m->mod_start; a < m->mod_end; a++)
			rt_putc(*(const char *)a);
	}
}

void boot_section(uint32_t magic, const struct mb_info *mbi,
		  uint32_t eflags, uint16_t cs, uint16_t ds)
{
	section("1. multiboot entry state");
	check(magic == MB_BOOTLOADER_MAGIC, "EAX: multiboot magic 0x2badb002",
	      "EAX %x", magic);
	check_flags(mbi);
	rt_printf("mem_lower: %u KiB\n", mbi->mem_lower);
	if (mbi->flags & MBI_MMAP)
		check_mmap(mbi);
	if (mbi->flags & MBI_CMDLINE)
		print_cmdline(mbi);
	if (mbi->flags & MBI_MODS)
		print_modules(mbi);
	check((mbi->flags & MBI_LOADER_NAME) &&
		      *(const char *)mbi->boot_loader_name,
	      "boot loader name: present", "missing or empty");
	check(flat_descriptor(cs, true), "CS: flat 32-bit ring-0 code",
	      "selector %x", cs);
	check(flat_descriptor(ds, false), "DS: flat ring-0 data",
	      "selector %x", ds);
	check(!(eflags & EFLAGS_IF), "EFLAGS: IF clear", "EFLAGS %x", eflags);
	check(!(eflags & EFLAGS_VM), "EFLAGS: VM clear", "EFLAGS %x", eflags);
	uint32_t cr0 = read_cr0();
	check(cr0 & CR0_PE, "CR0: PE set", "CR0 %x", cr0);
	check(!(cr0 & CR0_PG), "CR0: PG clear", "CR0 %x", cr0);
}

/*
 * monitor/multiboot.c - load and enter a multiboot kernel (Multiboot
 * Specification 0.6.96; the header, the information structure and the
 * entry state are described in monitor/multiboot.h, the low-memory
 * layout in monitor/boot.h).
 *
 * Where QEMU's loader (hw/i386/multiboot.c) and the specification leave a
 * choice, trapvisor does what QEMU does, so that a kernel's output under
 * `trapvisor-qemu -kernel K -append A -initrd M` is what it prints under
 * `qemu-system-x86_64` with the same options:
 *
 *   - the command line is the kernel's file name, a space, and the
 *     arguments (-append, or trapvisor's "-- ARGS"), even when there are
 *     none ("kernel.elf ");
 *   - each module's string is its whole -initrd item, "file args", and
 *     it occupies [mod_start, mod_end) with mod_end exclusive; the
 *     modules follow the kernel, each on a fresh 4 KiB page;
 *   - boot_loader_name is set (QEMU says "qemu", trapvisor "trapvisor");
 *   - boot_device is not (QEMU's 0x8000ffff names a BIOS disk there is
 *     no point in naming here), nor the symbol tables, drives, config
 *     table, APM and VBE fields.
 *
 * Unlike QEMU, an ELF64 kernel with a multiboot header is loaded (at its
 * physical addresses) rather than refused, a required flag trapvisor
 * cannot honour (a video mode) is refused rather than ignored, and a
 * magic number with a bad checksum, passed over by both, is named in the
 * refusal of a file that then has no way to boot.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "core/vm.h"
#include "firmware/firmware.h"
#include "isa/arch.h"
#include "isa/x86.h"
#include "monitor/boot.h"
#include "monitor/loader.h"
#include "monitor/multiboot.h"
#include "shadowpt/shadowpt.h"

_Static_assert(VM_MAX_INITRD <= MB_MAX_MODS, "module list area too small");

#define MB_HEADER_BASE 12   /* magic, flags, checksum */
#define MB_HEADER_ADDR 32   /* and the five address fields */

static uint32_t word(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

enum mb_search mb_find_header(const uint8_t *img, size_t size,
			      struct mb_header *h, char *why, size_t len)
{
	size_t end = size < MB_SEARCH_END ? size : MB_SEARCH_END;
	enum mb_search none = MB_HEADER_NONE;

	for (size_t off = 0; off + MB_HEADER_BASE <= end; off += 4) {
		const uint8_t *p = img + off;

		if (word(p) != MB_HEADER_MAGIC)
			continue;
		if ((uint32_t)(word(p) + word(p + 4) + word(p + 8)) != 0) {
			if (none == MB_HEADER_NONE)
				snprintf(why, len, "the multiboot header at "
					 "offset %#zx has a bad checksum", off);
			none = MB_HEADER_BAD_CHECKSUM;
			continue;
		}
		*h = (struct mb_header){ .offset = off, .flags = word(p + 4) };
		if (!(h->flags & MB_FLAG_AOUT_KLUDGE))
			return MB_HEADER_FOUND;
		if (off + MB_HEADER_ADDR > end) {
			snprintf(why, len, "the multiboot header at offset "
				 "%#zx is cut short by the end of the %s", off,
				 size < MB_SEARCH_END ? "file" :
				 "first 8192 bytes");
			return MB_HEADER_CUT_SHORT;
		}
		h->header_addr = word(p + 12);
		h->load_addr = word(p + 16);
		h->load_end_addr = word(p + 20);
		h->bss_end_addr = word(p + 24);
		h->entry_addr = word(p + 28);
		return MB_HEADER_FOUND;
	}
	return none;
}

/* Flags 0-15 are requirements: refuse any that trapvisor cannot honour. */
static int check_flags(uint32_t flags, char *why, size_t len)
{
	uint32_t unknown = flags & MB_FLAGS_REQUIRED & ~MB_FLAGS_HONOURED;

	if (unknown & MB_FLAG_VIDEO_MODE) {
		snprintf(why, len, "the multiboot kernel requires a video mode "
			 "(flag 2), and trapvisor has no display");
		return -1;
	}
	if (unknown) {
		snprintf(why, len, "the multiboot kernel requires feature flag "
			 "%d, which trapvisor does not know",
			 __builtin_ctz(unknown));
		return -1;
	}
	return 0;
}

/* Does [a, a + n) meet [b, c)? */
static bool overlaps(uint64_t a, uint64_t n, uint64_t b, uint64_t c)
{
	return n > 0 && a < c && a + n > b;
}

/*
 * A multiboot kernel's segments and modules: in the RAM the memory map
 * calls available, so clear of the loader's own structures in low memory,
 * of the EBDA and BIOS area, and of the firmware's pages below the top.
 */
static int place_multiboot(const struct vm *vm, uint64_t addr, uint64_t size,
			   const char *what, char *why, size_t len)
{
	uint64_t top = firmware_ram_top(vm->mem.size);

	if (addr >= top || size > top - addr) {
		snprintf(why, len, "%s at [%#llx, %#llx) lies outside the "
			 "available guest RAM (%llu MiB less the firmware's "
			 "top %u KiB; try a larger --mem)", what,
			 (unsigned long long)addr,
			 (unsigned long long)(addr + size),
			 (unsigned long long)(vm->mem.size >> 20),
			 FW_HIGH_RESERVED / 1024);
		return -1;
	}
	if (overlaps(addr, size, 0, MB_LOW_END)) {
		snprintf(why, len, "%s at [%#llx, %#llx) overlaps the loader's "
			 "structures below %#x", what, (unsigned long long)addr,
			 (unsigned long long)(addr + size), MB_LOW_END);
		return -1;
	}
	if (overlaps(addr, size, FW_EBDA, FW_ROM_END)) {
		snprintf(why, len, "%s at [%#llx, %#llx) overlaps the EBDA and "
			 "BIOS area [%#x, %#x)", what, (unsigned long long)addr,
			 (unsigned long long)(addr + size), FW_EBDA,
			 FW_ROM_END);
		return -1;
	}
	return 0;
}

/*
 * Load by the header's address fields (spec 3.1.3): the file's bytes
 * from the header's offset less (header_addr - load_addr) go to
 * load_addr, up to load_end_addr (0: the end of the file); zeroes follow
 * up to bss_end_addr (0: none).
 */
static int load_aout(struct vm *vm, const uint8_t *img, size_t size,
		     const struct mb_header *h, struct boot_image *bi,
		     char *why, size_t len)
{
	if (h->load_addr > h->header_addr ||
	    h->header_addr - h->load_addr > h->offset) {
		snprintf(why, len, "multiboot load_addr %#x and header_addr "
			 "%#x put the load before the file's start",
			 h->load_addr, h->header_addr);
		return -1;
	}
	size_t from = h->offset - (h->header_addr - h->load_addr);
	uint64_t filesz = size - from;
	if (h->load_end_addr) {
		if (h->load_end_addr < h->load_addr) {
			snprintf(why, len, "multiboot load_end_addr %#x is "
				 "below load_addr %#x", h->load_end_addr,
				 h->load_addr);
			return -1;
		}
		filesz = h->load_end_addr - h->load_addr;
		if (filesz > size - from) {
			snprintf(why, len, "the file ends before multiboot "
				 "load_end_addr %#x (truncated?)",
				 h->load_end_addr);
			return -1;
		}
	}
	uint64_t memsz = filesz;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < h->load_addr + filesz) {
			snprintf(why, len, "multiboot bss_end_addr %#x is "
				 "below the end of the loaded bytes",
				 h->bss_end_addr);
			return -1;
		}
		memsz = h->bss_end_addr - h->load_addr;
	}
	if (place_multiboot(vm, h->load_addr, memsz, "the image", why,
			    len) < 0)
		return -1;
	if (h->entry_addr < h->load_addr ||
	    h->entry_addr - h->load_addr >= memsz) {
		snprintf(why, len, "entry point %#x is not inside the loaded "
			 "image", h->entry_addr);
		return -1;
	}
	uint8_t *dst = gm_ptr(&vm->mem, h->load_addr, memsz);
	memcpy(dst, img + from, filesz);
	memset(dst + filesz, 0, memsz - filesz);
	bi->entry = h->entry_addr;
	bi->end = h->load_addr + memsz;
	return 0;
}

int mb_load(struct vm *vm, const uint8_t *img, size_t size,
	    const struct mb_header *h, struct boot_image *bi, char *why,
	    size_t len)
{
	struct elf_image e;

	bi->protocol = BOOT_MULTIBOOT;
	if (check_flags(h->flags, why, len) < 0)
		return -1;
	if (h->flags & MB_FLAG_AOUT_KLUDGE)
		return load_aout(vm, img, size, h, bi, why, len);
	if (size < SELFMAG || memcmp(img, ELFMAG, SELFMAG) != 0) {
		snprintf(why, len, "a multiboot kernel that is not an ELF "
			 "file must give its load addresses (flag 16)");
		return -1;
	}
	if (elf_read_header(img, size, &e, why, len) < 0)
		return -1;
	return elf_load_segments(vm, img, size, &e, place_multiboot, true, bi,
				 why, len);
}

/* Strings in the area [MB_STRINGS, MB_LOW_END), one after the other. */
struct strings {
	uint32_t next;
	bool full;
};

/* Add a, sep and b as one string; returns its address. */
static uint32_t add_string(struct vm *vm, struct strings *s, const char *a,
			   const char *sep, const char *b)
{
	char *dst = gm_ptr(&vm->mem, s->next, MB_LOW_END - s->next);
	size_t room = MB_LOW_END - s->next;
	int n = snprintf(dst, room, "%s%s%s", a, sep, b);
	uint32_t at = s->next;

	if (n < 0 || (size_t)n >= room)
		s->full = true;
	else
		s->next += (uint32_t)n + 1;
	return at;
}

static uint64_t page_up(uint64_t a)
{
	return (a + PAGE_4K - 1) & ~(PAGE_4K - 1);
}

/* The modules, each on a fresh page above the kernel and the last one. */
static int place_modules(struct vm *vm, const struct boot_image *bi,
			 const struct mb_module_src *mods, unsigned n,
			 struct strings *str, char *why, size_t len)
{
	uint64_t at = page_up(bi->end);

	for (unsigned i = 0; i < n; i++) {
		char what[64];
		struct mb_module m;

		snprintf(what, sizeof(what), "module %u", i);
		if (place_multiboot(vm, at, mods[i].size, what, why, len) < 0)
			return -1;
		gm_write(&vm->mem, at, mods[i].data, mods[i].size);
		m = (struct mb_module){ .mod_start = (uint32_t)at,
			.mod_end = (uint32_t)(at + mods[i].size),
			.string = add_string(vm, str, mods[i].string, "", "") };
		gm_write(&vm->mem, MB_MODS + i * sizeof(m), &m, sizeof(m));
		at = page_up(at + mods[i].size);
	}
	return 0;
}

/* The memory map, from the firmware's e820 table; returns its length. */
_Static_assert(MB_MMAP + FW_E820_MAX * sizeof(struct mb_mmap_entry) <= MB_MODS,
	       "the memory map overlaps the module list");
static uint32_t write_mmap(struct vm *vm)
{
	struct e820_entry e[FW_E820_MAX];
	unsigned n = firmware_e820(vm->mem.size, e);

	for (unsigned i = 0; i < n; i++) {
		struct mb_mmap_entry m = {
			.size = sizeof(m) - sizeof(m.size),
			.base_addr = e[i].base, .length = e[i].length,
			.type = e[i].type,
		};
		gm_write(&vm->mem, MB_MMAP + i * sizeof(m), &m, sizeof(m));
	}
	return n * (uint32_t)sizeof(struct mb_mmap_entry);
}

/* The flat GDT the selectors name: null, 32-bit code, data (both ring 0,
 * base 0, limit 4 GiB), at the selectors QEMU's multiboot option ROM
 * uses; the accessed bits set, as loading the registers leaves them. */
static const uint64_t mb_gdt[BOOT_GDT_ENTRIES] = {
	0,
	0x00cf9b000000ffffULL, /* 0x08: P, DPL 0, code exec/read, D, G */
	0x00cf93000000ffffULL, /* 0x10: P, DPL 0, data read/write, B, G */
};

static void flat_segment(struct vcpu_segment *s, uint16_t sel)
{
	*s = (struct vcpu_segment){ .selector = sel, .base = 0,
		.limit = 0xffffffff,
		.attr = x86_desc_attr(mb_gdt[SEL_INDEX(sel)]) };
}

/*
 * The machine state at entry (spec 3.2): EAX the magic, EBX the
 * information structure; CS a flat 32-bit code segment, the other
 * segment registers flat data; CR0 PE (and ET, which is always 1), paging
 * off; EFLAGS with VM and IF clear; A20 on (the 8042's output port comes
 * up so).  ESP and the IDT are the kernel's business: ESP 0, an IDT with
 * limit 0.  Everything else is as boot_registers() leaves it.
 */
static void mb_registers(struct vcpu *v, uint32_t entry)
{
	memset(v, 0, sizeof(*v));
	v->rip = entry;
	v->regs[GPR_RAX] = MB_BOOTLOADER_MAGIC;
	v->regs[GPR_RBX] = MB_INFO;
	v->rflags = FL_FIXED1;
	v->cpl = CPL_KERNEL;
	v->cr0 = CR0_PE | CR0_ET;
	flat_segment(&v->seg[SEG_CS], BOOT_SEL_CODE);
	flat_segment(&v->seg[SEG_DS], BOOT_SEL_DATA);
	flat_segment(&v->seg[SEG_ES], BOOT_SEL_DATA);
	flat_segment(&v->seg[SEG_FS], BOOT_SEL_DATA);
	flat_segment(&v->seg[SEG_GS], BOOT_SEL_DATA);
	flat_segment(&v->seg[SEG_SS], BOOT_SEL_DATA);
	v->gdtr = (struct vcpu_dtable){ BOOT_GDT, sizeof(mb_gdt) - 1 };
	v->idtr = (struct vcpu_dtable){ 0, 0 };
	v->tr.attr = DESC_SYS_TSS_BUSY | (DESC_P >> DESC_TYPE_SHIFT);
	v->tr.limit = 0xffff;
	v->apic_base = APIC_BASE_DEFAULT | APIC_BASE_BSP | APIC_BASE_ENABLE;
	v->pat = PAT_DEFAULT;
}

/* mem_lower: KiB below the EBDA; mem_upper: KiB from 1 MiB up to the
 * first hole (the firmware's reserved pages below the top of RAM). */
static void memory_fields(const struct vm *vm, struct mb_info *mbi)
{
	mbi->mem_lower = FW_BASE_MEM_END / 1024;
	mbi->mem_upper = (uint32_t)((firmware_ram_top(vm->mem.size) -
				     FW_ROM_END) / 1024);
}

int mb_boot_setup(struct vm *vm, const struct boot_image *bi,
		  const char *kernel, const char *args,
		  const struct mb_module_src *mods, unsigned nmods,
		  char *why, size_t len)
{
	struct strings str = { .next = MB_STRINGS };
	struct mb_info mbi = {
		.flags = MBI_MEMORY | MBI_CMDLINE | MBI_MODS | MBI_MMAP |
			 MBI_BOOT_LOADER_NAME,
		.mods_count = nmods, .mods_addr = MB_MODS,
		.mmap_addr = MB_MMAP,
	};

	if (nmods > MB_MAX_MODS) {
		snprintf(why, len, "%u modules; the most is %u", nmods,
			 MB_MAX_MODS);
		return -1;
	}
	uint8_t *low = gm_ptr(&vm->mem, MB_INFO, MB_LOW_END - MB_INFO);
	if (!low)
		panic("multiboot: no RAM for the information structure");
	memset(low, 0, MB_LOW_END - MB_INFO);
	mbi.cmdline = add_string(vm, &str, kernel, " ", args ? args : "");
	if (place_modules(vm, bi, mods, nmods, &str, why, len) < 0)
		return -1;
	mbi.boot_loader_name = add_string(vm, &str, MB_BOOT_LOADER_NAME, "",
					  "");
	if (str.full) {
		snprintf(why, len, "the command line and the module strings "
			 "take more than the %u bytes there is room for",
			 MB_LOW_END - MB_STRINGS);
		return -1;
	}
	memory_fields(vm, &mbi);
	mbi.mmap_length = write_mmap(vm);
	gm_write(&vm->mem, MB_INFO, &mbi, sizeof(mbi));
	gm_write(&vm->mem, BOOT_GDT, mb_gdt, sizeof(mb_gdt));
	mb_registers(&vm->vcpu, (uint32_t)bi->entry);
	boot_firmware(vm);
	shadowpt_load_cr3(vm); /* the shadows start over, paging off */
	return 0;
}

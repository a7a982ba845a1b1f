/*
 * monitor/loader.c - load a guest image, pick its boot protocol (ELF64
 * for trapvisor's own, or multiboot: monitor/loader.h); build the boot
 * state of trapvisor's own protocol.
 *
 * The loader trusts nothing in the file: every offset and size is checked
 * against the file and every segment against guest RAM before a byte is
 * copied, so a malformed image ends with one line saying what is wrong.
 *
 * Nor does it trust the file's alignment: ELF does not require e_phoff to
 * be a multiple of 8, and an image handed over in memory (a test, a
 * fuzzer) may start anywhere.  Every header is therefore copied out with
 * memcpy into a local, aligned struct before a field is read; reading one
 * through a cast pointer would be undefined behaviour in C (and a fault
 * on CPUs stricter than x86).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/vm.h"
#include "devices/devices.h"
#include "firmware/firmware.h"
#include "interp/interp.h"
#include "isa/x86.h"
#include "monitor/boot.h"
#include "monitor/loader.h"
#include "monitor/machine.h"
#include "monitor/multiboot.h"
#include "monitor/symbols.h"
#include "shadowpt/shadowpt.h"

/* The refusal of a 32-bit ELF file in trapvisor's own protocol. */
static int elf32_refused(char *why, size_t len)
{
	snprintf(why, len, "a 32-bit ELF file without a multiboot header; "
		 "trapvisor boots 64-bit (ELF64) x86-64 images and multiboot "
		 "kernels");
	return -1;
}

/* The ELF32 header h, widened into an ELF64 one. */
static void widen_ehdr(const Elf32_Ehdr *h, Elf64_Ehdr *eh)
{
	memcpy(eh->e_ident, h->e_ident, EI_NIDENT);
	eh->e_type = h->e_type;
	eh->e_machine = h->e_machine;
	eh->e_version = h->e_version;
	eh->e_entry = h->e_entry;
	eh->e_phoff = h->e_phoff;
	eh->e_shoff = h->e_shoff;
	eh->e_flags = h->e_flags;
	eh->e_ehsize = h->e_ehsize;
	eh->e_phentsize = h->e_phentsize;
	eh->e_phnum = h->e_phnum;
	eh->e_shentsize = h->e_shentsize;
	eh->e_shnum = h->e_shnum;
	eh->e_shstrndx = h->e_shstrndx;
}

/*
 * Check the ELF header: a little-endian executable for x86-64 (ELF64) or
 * i386 (ELF32), with a program header table inside the file.
 */
int elf_read_header(const uint8_t *img, size_t size, struct elf_image *e,
		    char *why, size_t len)
{
	Elf64_Ehdr *eh = &e->eh;

	if (size < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG) != 0) {
		snprintf(why, len, "not an ELF file (no \\177ELF magic)");
		return -1;
	}
	e->cls = img[EI_CLASS];
	if (e->cls == ELFCLASS64 && size >= sizeof(Elf64_Ehdr)) {
		memcpy(eh, img, sizeof(*eh));
	} else if (e->cls == ELFCLASS32 && size >= sizeof(Elf32_Ehdr)) {
		Elf32_Ehdr h;
		memcpy(&h, img, sizeof(h));
		widen_ehdr(&h, eh);
	} else {
		snprintf(why, len, "malformed ELF header");
		return -1;
	}
	bool is64 = e->cls == ELFCLASS64;
	if (img[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != (is64 ? EM_X86_64 : EM_386)) {
		snprintf(why, len, "an ELF file for machine %u, not %s",
			 eh->e_machine, is64 ? "x86-64" : "i386");
		return -1;
	}
	if (eh->e_type != ET_EXEC) {
		snprintf(why, len, "not an executable ELF file (e_type %u)",
			 eh->e_type);
		return -1;
	}
	size_t phsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	if (eh->e_phentsize != phsize || eh->e_phnum == 0 ||
	    eh->e_phoff > size || (size - eh->e_phoff) / phsize < eh->e_phnum) {
		snprintf(why, len, "malformed ELF program header table");
		return -1;
	}
	return 0;
}

/* Program header i (elf_read_header checked that the whole table is in
 * the file), widened to ELF64's. */
static void read_phdr(const uint8_t *img, const struct elf_image *e,
		      unsigned i, Elf64_Phdr *ph)
{
	if (e->cls == ELFCLASS64) {
		memcpy(ph, img + e->eh.e_phoff + i * sizeof(*ph), sizeof(*ph));
		return;
	}
	Elf32_Phdr p;
	memcpy(&p, img + e->eh.e_phoff + i * sizeof(p), sizeof(p));
	*ph = (Elf64_Phdr){ .p_type = p.p_type, .p_flags = p.p_flags,
		.p_offset = p.p_offset, .p_vaddr = p.p_vaddr,
		.p_paddr = p.p_paddr, .p_filesz = p.p_filesz,
		.p_memsz = p.p_memsz, .p_align = p.p_align };
}

/* trapvisor's own protocol: in the RAM below 4 GiB (the boot identity
 * map's, from 0 without a break), and above the boot area. */
static int place_trapvisor(const struct vm *vm, uint64_t addr, uint64_t size,
			   const char *what, char *why, size_t len)
{
	uint64_t ram = vm->mem.low;

	if (addr >= ram || size > ram - addr) {
		snprintf(why, len, "%s at [%#llx, %#llx) lies outside guest "
			 "RAM (%llu MiB; try a larger --mem)", what,
			 (unsigned long long)addr,
			 (unsigned long long)(addr + size),
			 (unsigned long long)(ram >> 20));
		return -1;
	}
	if (addr < BOOT_IMAGE_BASE && size > 0) {
		snprintf(why, len, "%s at %#llx overlaps the boot area below "
			 "%#x", what, (unsigned long long)addr,
			 BOOT_IMAGE_BASE);
		return -1;
	}
	return 0;
}

/* Is a in [base, base + size)? */
static bool within(uint64_t a, uint64_t base, uint64_t size)
{
	return a >= base && a - base < size;
}

int elf_load_segments(struct vm *vm, const uint8_t *img, size_t size,
		      const struct elf_image *e, loader_place_fn *place,
		      bool virt_entry, struct boot_image *bi, char *why,
		      size_t len)
{
	uint64_t entry = e->eh.e_entry, phys_entry = 0;
	bool entry_phys = false, entry_virt = false;
	unsigned loaded = 0;

	bi->end = 0;
	for (unsigned i = 0; i < e->eh.e_phnum; i++) {
		Elf64_Phdr ph;
		char what[32];

		read_phdr(img, e, i, &ph);
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > size ||
		    ph.p_filesz > size - ph.p_offset) {
			snprintf(why, len, "segment %u: malformed sizes or "
				 "offset", i);
			return -1;
		}
		snprintf(what, sizeof(what), "segment %u", i);
		if (place(vm, ph.p_paddr, ph.p_memsz, what, why, len) < 0)
			return -1;
		uint8_t *dst = gm_ptr(&vm->mem, ph.p_paddr, ph.p_memsz);
		memcpy(dst, img + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		if (within(entry, ph.p_paddr, ph.p_memsz))
			entry_phys = true;
		if (!entry_virt && within(entry, ph.p_vaddr, ph.p_memsz)) {
			entry_virt = true;
			phys_entry = entry - ph.p_vaddr + ph.p_paddr;
		}
		if (ph.p_paddr + ph.p_memsz > bi->end)
			bi->end = ph.p_paddr + ph.p_memsz;
		loaded++;
	}
	if (loaded == 0) {
		snprintf(why, len, "no loadable (PT_LOAD) segment");
		return -1;
	}
	if (!entry_phys && !(virt_entry && entry_virt)) {
		snprintf(why, len, "entry point %#llx is not inside a loaded "
			 "segment", (unsigned long long)entry);
		return -1;
	}
	bi->entry = entry_phys ? entry : phys_entry;
	return 0;
}

int loader_load_elf_mem(struct vm *vm, const uint8_t *img, size_t size,
			uint64_t *entry, char *why, size_t len)
{
	struct elf_image e;
	struct boot_image bi = { .protocol = BOOT_TRAPVISOR };

	if (size > EI_CLASS && memcmp(img, ELFMAG, SELFMAG) == 0 &&
	    img[EI_CLASS] == ELFCLASS32)
		return elf32_refused(why, len);
	if (elf_read_header(img, size, &e, why, len) < 0 ||
	    elf_load_segments(vm, img, size, &e, place_trapvisor, false, &bi,
			      why, len) < 0)
		return -1;
	*entry = bi.entry;
	return 0;
}

/*
 * Does note segment ph hold the PVH entry (owner "Xen", type
 * XEN_ELFNOTE_PHYS32_ENTRY, as guests/runtime/pvh_x86_64.S writes it)?
 * Notes are 4-byte aligned records: namesz, descsz, type, the name, the
 * descriptor.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
static bool note_is_pvh(const uint8_t *img, size_t size, const Elf64_Phdr *ph)
{
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return false;
	const uint8_t *p = img + ph->p_offset;
	uint64_t left = ph->p_filesz;

	while (left >= 12) {
		uint32_t n[3]; /* namesz, descsz, type */
		memcpy(n, p, sizeof(n));
		uint64_t name = ((uint64_t)n[0] + 3) & ~3ULL;
		uint64_t desc = ((uint64_t)n[1] + 3) & ~3ULL;
		if (name + desc > left - 12)
			return false;
		if (n[2] == XEN_ELFNOTE_PHYS32_ENTRY && n[0] == 4 &&
		    memcmp(p + 12, "Xen", 4) == 0)
			return true;
		p += 12 + name + desc;
		left -= 12 + name + desc;
	}
	return false;
}

static bool elf_has_pvh_note(const uint8_t *img, size_t size,
			     const struct elf_image *e)
{
	for (unsigned i = 0; i < e->eh.e_phnum; i++) {
		Elf64_Phdr ph;

		read_phdr(img, e, i, &ph);
		if (ph.p_type == PT_NOTE && note_is_pvh(img, size, &ph))
			return true;
	}
	return false;
}

/* Is img an ELF64 file (of any machine: the loader says what is wrong)? */
static bool is_elf64(const uint8_t *img, size_t size)
{
	return size > EI_CLASS && memcmp(img, ELFMAG, SELFMAG) == 0 &&
	       img[EI_CLASS] == ELFCLASS64;
}

/*
 * Which protocol: a multiboot header makes a multiboot kernel, unless
 * the file is an ELF64 image with a PVH note: then it is one of
 * trapvisor's own guests, which QEMU enters through the note.  (QEMU
 * itself tries multiboot first and refuses every ELF64 multiboot kernel;
 * trapvisor loads one at its physical addresses and enters it in 32-bit
 * mode, as the specification says.)  A magic number with a bad checksum
 * in an ELF64 image is data; in any other file it is the reason the file
 * cannot boot.
 */
int loader_load_image_mem(struct vm *vm, const uint8_t *img, size_t size,
			  struct boot_image *bi, char *why, size_t len)
{
	struct mb_header mh;
	struct elf_image e;

	switch (mb_find_header(img, size, &mh, why, len)) {
	case MB_HEADER_FOUND:
		if (!is_elf64(img, size) ||
		    elf_read_header(img, size, &e, why, len) < 0 ||
		    !elf_has_pvh_note(img, size, &e))
			return mb_load(vm, img, size, &mh, bi, why, len);
		break;
	case MB_HEADER_CUT_SHORT:
		return -1;
	case MB_HEADER_BAD_CHECKSUM:
		if (!is_elf64(img, size))
			return -1;
		break;
	case MB_HEADER_NONE:
		break;
	}
	bi->protocol = BOOT_TRAPVISOR;
	bi->end = 0;
	return loader_load_elf_mem(vm, img, size, &bi->entry, why, len);
}

/*
 * Map the regular, non-empty file at path read-only; *size = its size.
 * Returns the mapping, or NULL with a one-line reason.
 */
static const uint8_t *map_file(const char *path, size_t *size, char *why,
			       size_t len)
{
	struct stat st;
	/*
	 * O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	 * writer, forever if none comes.  Opened without waiting, the file's
	 * type is checked before anything is read; mmap ignores the flag.
	 */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		snprintf(why, len, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, len, "cannot stat %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		snprintf(why, len, "%s: %s", path, S_ISREG(st.st_mode) ?
			 "an empty file" : "not a regular file");
		close(fd);
		return NULL;
	}
	void *img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
			 fd, 0);
	close(fd);
	if (img == MAP_FAILED) {
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	*size = (size_t)st.st_size;
	return img;
}

/* The modules' files, mapped. */
struct module_files {
	struct mb_module_src src[VM_MAX_INITRD];
	unsigned n;
};

static void unmap_modules(struct module_files *m)
{
	for (unsigned i = 0; i < m->n; i++)
		munmap((void *)m->src[i].data, m->src[i].size);
	m->n = 0;
}

/* Each module's file is its string up to the first space; the rest are
 * its arguments (QEMU's -initrd "file args,file2"). */
static int map_modules(const struct vm_options *opt, struct module_files *m,
		       char *why, size_t len)
{
	m->n = 0;
	for (unsigned i = 0; i < opt->ninitrd; i++) {
		const char *s = opt->initrd[i];
		char path[4096];
		size_t plen = strcspn(s, " ");

		if (plen >= sizeof(path)) {
			snprintf(why, len, "module %u: a file name longer than "
				 "%zu bytes", i, sizeof(path) - 1);
			unmap_modules(m);
			return -1;
		}
		memcpy(path, s, plen);
		path[plen] = '\0';
		m->src[i].string = s;
		m->src[i].data = map_file(path, &m->src[i].size, why, len);
		if (!m->src[i].data) {
			unmap_modules(m);
			return -1;
		}
		m->n++;
	}
	return 0;
}

int loader_boot(struct vm *vm, const struct vm_options *opt, char *why,
		size_t len)
{
	struct boot_image bi;
	struct module_files mods;
	size_t size;
	char inner[200];
	const uint8_t *img = map_file(opt->image, &size, why, len);

	if (!img)
		return -1;
	int rc = loader_load_image_mem(vm, img, size, &bi, inner,
				       sizeof(inner));
	/* The image's names for --trace and messages: none is no error. */
	if (rc == 0 && vm->symbols)
		(void)symtab_load(vm->symbols, img, size);
	munmap((void *)img, size);
	if (rc < 0) {
		snprintf(why, len, "%s: %s", opt->image, inner);
		return -1;
	}
	if (bi.protocol == BOOT_TRAPVISOR) {
		if (opt->ninitrd) {
			snprintf(why, len, "%s: not a multiboot kernel, so it "
				 "takes no modules (--initrd)", opt->image);
			return -1;
		}
		boot_setup(vm, bi.entry, opt->cmdline);
		return 0;
	}
	if (map_modules(opt, &mods, why, len) < 0)
		return -1;
	rc = mb_boot_setup(vm, &bi, opt->image, opt->cmdline, mods.src,
			   mods.n, why, len);
	unmap_modules(&mods);
	return rc;
}

/*
 * The identity map of monitor/boot.h: PML4[0] -> PDPT, PDPT[0..3] -> four
 * page directories, each mapping 1 GiB with 2 MiB pages.
 */
static void boot_page_tables(struct vm *vm)
{
	uint64_t *pml4 = gm_ptr(&vm->mem, BOOT_PML4, PAGE_4K);
	uint64_t *pdpt = gm_ptr(&vm->mem, BOOT_PDPT, PAGE_4K);
	unsigned npd = (unsigned)(BOOT_IDMAP_SIZE / PAGE_1G);

	memset(pml4, 0, PAGE_4K);
	memset(pdpt, 0, PAGE_4K);
	pml4[0] = BOOT_PDPT | PTE_P | PTE_W;
	for (unsigned i = 0; i < npd; i++) {
		uint64_t pd_gpa = BOOT_PD + i * PAGE_4K;
		uint64_t *pd = gm_ptr(&vm->mem, pd_gpa, PAGE_4K);

		pdpt[i] = pd_gpa | PTE_P | PTE_W;
		for (unsigned j = 0; j < PT_ENTRIES; j++)
			pd[j] = (i * PAGE_1G + j * PAGE_2M) | PTE_P | PTE_W |
				PTE_PS;
	}
}

/* The flat GDT of monitor/boot.h: null, 64-bit ring-0 code, ring-0 data. */
static const uint64_t boot_gdt[BOOT_GDT_ENTRIES] = {
	0,
	0x00af9b000000ffffULL, /* 0x08: P, DPL 0, code exec/read, L, G */
	0x00cf93000000ffffULL, /* 0x10: P, DPL 0, data read/write, D/B, G */
};

/* Load a flat segment register from a boot GDT descriptor. */
static void boot_segment(struct vcpu_segment *s, uint16_t sel)
{
	uint64_t d = boot_gdt[SEL_INDEX(sel)];

	s->selector = sel;
	s->base = 0;
	s->limit = sel ? 0xffffffff : 0;
	s->attr = (uint16_t)((d >> DESC_TYPE_SHIFT) & 0xf0ff);
}

static void boot_registers(struct vcpu *v, uint64_t entry, uint64_t mem)
{
	memset(v, 0, sizeof(*v));
	v->rip = entry;
	v->regs[GPR_RSP] = BOOT_STACK_TOP;
	v->regs[GPR_RDI] = BOOT_INFO;
	v->rflags = FL_FIXED1; /* interrupts off */
	v->cpl = CPL_KERNEL;
	v->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	v->cr3 = BOOT_PML4;
	v->cr4 = CR4_PAE;
	v->efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
	boot_segment(&v->seg[SEG_CS], BOOT_SEL_CODE);
	boot_segment(&v->seg[SEG_DS], BOOT_SEL_DATA);
	boot_segment(&v->seg[SEG_ES], BOOT_SEL_DATA);
	boot_segment(&v->seg[SEG_SS], BOOT_SEL_DATA);
	boot_segment(&v->seg[SEG_FS], 0);
	boot_segment(&v->seg[SEG_GS], 0);
	v->gdtr = (struct vcpu_dtable){ BOOT_GDT, sizeof(boot_gdt) - 1 };
	v->idtr = (struct vcpu_dtable){ 0, 0 };
	v->tr.attr = DESC_SYS_TSS_BUSY | (DESC_P >> DESC_TYPE_SHIFT);
	v->tr.limit = 0xffff;
	v->apic_base = APIC_BASE_DEFAULT | APIC_BASE_BSP | APIC_BASE_ENABLE;
	v->pat = PAT_DEFAULT;
	(void)mem;
}

/*T:020 The guest boots already in 64-bit mode, paging on, through an
 * identity map the monitor builds in guest RAM (monitor/boot.h).  From now
 * on every guest address the monitor touches is translated by the *guest's*
 * page tables: the monitor never assumes that guest-virtual is physical.
 */
void boot_setup(struct vm *vm, uint64_t entry, const char *cmdline)
{
	struct boot_info bi = {
		.magic = BOOT_MAGIC,
		.mem_size = vm->mem.low, /* from 0; the rest from 4 GiB */
		.cmdline = BOOT_CMDLINE,
		.flags = BOOT_FLAG_TRAPVISOR,
	};
	char *cl = gm_ptr(&vm->mem, BOOT_CMDLINE, BOOT_CMDLINE_MAX);

	if (!cl)
		/* vm_create guarantees at least 2 MiB */
		panic("loader: no RAM for the boot command line");
	boot_page_tables(vm);
	gm_write(&vm->mem, BOOT_GDT, boot_gdt, sizeof(boot_gdt));
	gm_write(&vm->mem, BOOT_INFO, &bi, sizeof(bi));
	snprintf(cl, BOOT_CMDLINE_MAX, "%s", cmdline ? cmdline : "");
	boot_registers(&vm->vcpu, entry, vm->mem.size);
	boot_firmware(vm);
	shadowpt_load_cr3(vm); /* the shadows now follow the boot tables */
}

/* The MP table's processor entry shows the CPUID the guest will see. */
void boot_firmware(struct vm *vm)
{
	uint32_t id[4];

	interp_cpuid_values(vm, 1, 0, id);
	firmware_build(&vm->mem, &(struct fw_cpu){ .signature = id[0],
						   .features = id[3] },
		       &vm->dev->pci);
}

/*
 * monitor/loader.c - load an ELF64 guest image; build the boot state.
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

#include "isa/x86.h"
#include "monitor/boot.h"
#include "monitor/loader.h"
#include "core/vm.h"
#include "monitor/machine.h"
#include "shadowpt/shadowpt.h"

/* Check the ELF header, copied to *eh: a 64-bit little-endian x86-64
 * executable with a program header table inside the file. */
static int check_ehdr(const uint8_t *img, size_t size, Elf64_Ehdr *eh,
		      char *why, size_t len)
{
	if (size < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG) != 0) {
		snprintf(why, len, "not an ELF file (no \\177ELF magic)");
		return -1;
	}
	if (img[EI_CLASS] == ELFCLASS32) {
		snprintf(why, len, "a 32-bit ELF file; trapvisor boots "
			 "64-bit (ELF64) x86-64 images");
		return -1;
	}
	if (img[EI_CLASS] != ELFCLASS64 || size < sizeof(*eh)) {
		snprintf(why, len, "malformed ELF header");
		return -1;
	}
	memcpy(eh, img, sizeof(*eh));
	if (img[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64) {
		snprintf(why, len, "an ELF file for machine %u, not x86-64",
			 eh->e_machine);
		return -1;
	}
	if (eh->e_type != ET_EXEC) {
		snprintf(why, len, "not an executable ELF file (e_type %u)",
			 eh->e_type);
		return -1;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phoff > size ||
	    (size - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum) {
		snprintf(why, len, "malformed ELF program header table");
		return -1;
	}
	return 0;
}

/* Check one PT_LOAD segment against the file, the boot area and RAM. */
static int check_segment(const struct vm *vm, const Elf64_Phdr *ph,
			 size_t size, unsigned i, char *why, size_t len)
{
	uint64_t ram = vm->mem.size;

	if (ph->p_filesz > ph->p_memsz || ph->p_offset > size ||
	    ph->p_filesz > size - ph->p_offset) {
		snprintf(why, len, "segment %u: malformed sizes or offset", i);
		return -1;
	}
	if (ph->p_paddr >= ram || ph->p_memsz > ram - ph->p_paddr) {
		snprintf(why, len, "segment %u at [%#llx, %#llx) lies outside "
			 "guest RAM (%llu MiB; try a larger --mem)", i,
			 (unsigned long long)ph->p_paddr,
			 (unsigned long long)(ph->p_paddr + ph->p_memsz),
			 (unsigned long long)(ram >> 20));
		return -1;
	}
	if (ph->p_paddr < BOOT_IMAGE_BASE && ph->p_memsz > 0) {
		snprintf(why, len, "segment %u at %#llx overlaps the boot area "
			 "below %#x", i, (unsigned long long)ph->p_paddr,
			 BOOT_IMAGE_BASE);
		return -1;
	}
	return 0;
}

int loader_load_elf_mem(struct vm *vm, const uint8_t *img, size_t size,
			uint64_t *entry, char *why, size_t len)
{
	Elf64_Ehdr eh;
	bool entry_ok = false;
	unsigned loaded = 0;

	if (check_ehdr(img, size, &eh, why, len) < 0)
		return -1;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		/* check_ehdr made sure that the whole table is in the file */
		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (check_segment(vm, &ph, size, i, why, len) < 0)
			return -1;
		uint8_t *dst = gm_ptr(&vm->mem, ph.p_paddr, ph.p_memsz);
		memcpy(dst, img + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		if (eh.e_entry >= ph.p_paddr &&
		    eh.e_entry < ph.p_paddr + ph.p_memsz)
			entry_ok = true;
		loaded++;
	}
	if (loaded == 0) {
		snprintf(why, len, "no loadable (PT_LOAD) segment");
		return -1;
	}
	if (!entry_ok) {
		snprintf(why, len, "entry point %#llx is not inside a loaded "
			 "segment", (unsigned long long)eh.e_entry);
		return -1;
	}
	*entry = eh.e_entry;
	return 0;
}

int loader_load_elf(struct vm *vm, const char *path, uint64_t *entry,
		    char *why, size_t len)
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
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, len, "cannot stat %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		snprintf(why, len, "%s: %s", path, S_ISREG(st.st_mode) ?
			 "an empty file" : "not a regular file");
		close(fd);
		return -1;
	}
	void *img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
			 fd, 0);
	close(fd);
	if (img == MAP_FAILED) {
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	char inner[200];
	int rc = loader_load_elf_mem(vm, img, (size_t)st.st_size, entry,
				     inner, sizeof(inner));
	if (rc < 0)
		snprintf(why, len, "%s: %s", path, inner);
	munmap(img, (size_t)st.st_size);
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
		.mem_size = vm->mem.size,
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
	shadowpt_load_cr3(vm); /* the shadows now follow the boot tables */
}

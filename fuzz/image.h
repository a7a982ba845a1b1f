/*
 * fuzz/image.h - wrap guest code bytes in a minimal ELF64 image.
 *
 * The whole-monitor fuzz target and the native random-code campaign
 * (fuzz/mkimage.c) both run arbitrary bytes as a guest kernel.  The image
 * is what a linker would make of one .text section: an ELF header, one
 * PT_LOAD program header, then the code, loaded and entered at
 * IMAGE_LOAD (the start of guest RAM after the boot area, monitor/boot.h).
 * The segment's memory size is rounded up to whole pages, so that code
 * running off its end meets zeroes (add [rax], al) and not the end of RAM.
 */
#ifndef FUZZ_IMAGE_H
#define FUZZ_IMAGE_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "monitor/boot.h"

#define IMAGE_LOAD BOOT_IMAGE_BASE
#define IMAGE_HDR (sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr))
#define IMAGE_PAGE 4096u

/*
 * Write the image of code[0..n) to out, which has room for IMAGE_HDR + n
 * bytes.  Returns the image's size.
 */
static inline size_t image_build(uint8_t *out, const uint8_t *code, size_t n)
{
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
			     ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_entry = IMAGE_LOAD,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 1,
	};
	Elf64_Phdr ph = {
		.p_type = PT_LOAD,
		.p_flags = PF_R | PF_W | PF_X,
		.p_offset = IMAGE_HDR,
		.p_vaddr = IMAGE_LOAD,
		.p_paddr = IMAGE_LOAD,
		.p_filesz = n,
		/* at least one page, so that an empty input still loads */
		.p_memsz = (n / IMAGE_PAGE + 1) * IMAGE_PAGE,
		.p_align = IMAGE_PAGE,
	};

	memcpy(out, &eh, sizeof(eh));
	memcpy(out + sizeof(eh), &ph, sizeof(ph));
	if (n)
		memcpy(out + IMAGE_HDR, code, n);
	return IMAGE_HDR + n;
}

#endif /* FUZZ_IMAGE_H */

/*
 * tests/fuzz/mkimage.c - guest images of random code, deterministic by seed,
 * for the native engine's random-code campaign (tests/fuzz/run.sh).
 *
 *   mkimage SEED COUNT DIR    write DIR/SEED-0.elf ... DIR/SEED-(COUNT-1).elf
 *
 * Image N of SEED is the same bytes on every host and every run: a
 * splitmix64 generator seeded with SEED and N draws everything.  Its code
 * (16 to 1024 bytes) mixes random bytes with instructions that reach for
 * the host or for the machine: system-call entries (syscall, sysenter,
 * int 0x80) set up to create a file "f" in the current directory, port
 * I/O, control registers, descriptor tables, MSRs, far transfers,
 * privileged and sensitive-unprivileged instructions.  Two images in three
 * start with a prologue that installs an IDT whose every handler resumes
 * one byte after the faulting instruction, so that the code keeps running
 * through its faults instead of stopping at the first; the others run
 * their bytes straight from the boot state.  Every image ends with an exit
 * to port 0xf4 with status 0.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/image.h"

#define CODE_MAX 1024

/*
 * The prologue, position-independent (it runs at IMAGE_LOAD):
 *
 *	lea rsi, [rip + h_noerr]
 *	lea rdx, [rip + h_err]
 *	mov edi, 0x80000            ; the IDT: free RAM under the image
 *	xor ecx, ecx
 * 1:	mov rax, rsi
 *	bt dword ptr [rip + errmask], ecx
 *	cmovc rax, rdx              ; vectors that push an error code
 *	mov [rdi], ax               ; 64-bit interrupt gate, CS 0x08,
 *	mov word ptr [rdi + 2], 0x08  ; DPL 0, present
 *	mov word ptr [rdi + 4], 0x8e00
 *	shr rax, 16
 *	mov [rdi + 6], ax
 *	shr rax, 16
 *	mov [rdi + 8], eax
 *	mov dword ptr [rdi + 12], 0
 *	add rdi, 16
 *	inc ecx
 *	cmp ecx, 32
 *	jb 1b
 *	lidt [rip + idtr]
 *	jmp code
 * h_err:	add rsp, 8              ; drop the error code
 * h_noerr: add qword ptr [rsp], 1  ; resume one byte further
 *	iretq
 * errmask: .long 0x227d00          ; #DF #TS #NP #SS #GP #PF #AC #CP
 * idtr:	.word 32 * 16 - 1
 *	.quad 0x80000
 * code:
 */
static const uint8_t prologue[] = {
	0x48, 0x8d, 0x35, 0x59, 0x00, 0x00, 0x00, 0x48, 0x8d, 0x15, 0x4e, 0x00,
	0x00, 0x00, 0xbf, 0x00, 0x00, 0x08, 0x00, 0x31, 0xc9, 0x48, 0x89, 0xf0,
	0x0f, 0xa3, 0x0d, 0x48, 0x00, 0x00, 0x00, 0x48, 0x0f, 0x42, 0xc2, 0x66,
	0x89, 0x07, 0x66, 0xc7, 0x47, 0x02, 0x08, 0x00, 0x66, 0xc7, 0x47, 0x04,
	0x00, 0x8e, 0x48, 0xc1, 0xe8, 0x10, 0x66, 0x89, 0x47, 0x06, 0x48, 0xc1,
	0xe8, 0x10, 0x89, 0x47, 0x08, 0xc7, 0x47, 0x0c, 0x00, 0x00, 0x00, 0x00,
	0x48, 0x83, 0xc7, 0x10, 0xff, 0xc1, 0x83, 0xf9, 0x20, 0x72, 0xc2, 0x0f,
	0x01, 0x1d, 0x11, 0x00, 0x00, 0x00, 0xeb, 0x19, 0x48, 0x83, 0xc4, 0x08,
	0x48, 0x83, 0x04, 0x24, 0x01, 0x48, 0xcf, 0x00, 0x7d, 0x22, 0x00, 0xff,
	0x01, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* rdi = "f" (in the code itself); the flags and mode of open(2). */
#define PATH_F 0x48, 0x8d, 0x3d, 0x02, 0x00, 0x00, 0x00, 0xeb, 0x02, 'f', 0
#define CREAT_ARGS64 0xbe, 0x41, 0, 0, 0, 0xba, 0xa4, 0x01, 0, 0
#define CREAT_ARGS32 0x89, 0xfb, 0xb9, 0x41, 0, 0, 0, 0xba, 0xa4, 0x01, 0, 0

/* Instructions worth drawing more often than chance would. */
struct snippet {
	uint8_t len;
	uint8_t bytes[32];
};
static const struct snippet snippets[] = {
	/* open("f", O_WRONLY|O_CREAT, 0644) by each host entry */
	{ 28, { PATH_F, CREAT_ARGS64, 0xb8, 2, 0, 0, 0, 0x0f, 0x05 } },
	{ 30, { PATH_F, CREAT_ARGS32, 0xb8, 5, 0, 0, 0, 0xcd, 0x80 } },
	{ 30, { PATH_F, CREAT_ARGS32, 0xb8, 5, 0, 0, 0, 0x0f, 0x34 } },
	{ 2, { 0x0f, 0x05 } },             /* syscall */
	{ 2, { 0x0f, 0x34 } },             /* sysenter */
	{ 2, { 0xcd, 0x80 } },             /* int 0x80 */
	{ 3, { 0x48, 0x0f, 0x07 } },       /* sysretq */
	{ 2, { 0x0f, 0x35 } },             /* sysexit */
	{ 1, { 0xcc } },                   /* int3 */
	{ 1, { 0xf4 } },                   /* hlt */
	{ 1, { 0xfa } }, { 1, { 0xfb } },  /* cli, sti */
	{ 1, { 0x9c } }, { 1, { 0x9d } },  /* pushf, popf */
	{ 4, { 0x66, 0xba, 0xf8, 0x03 } }, /* mov dx, 0x3f8 */
	{ 1, { 0xee } }, { 1, { 0xec } },  /* out dx, al; in al, dx */
	{ 2, { 0xe6, 0x43 } },             /* out 0x43, al */
	{ 2, { 0xe4, 0x40 } },             /* in al, 0x40 */
	{ 2, { 0xf3, 0x6e } },             /* rep outsb */
	{ 3, { 0x0f, 0x20, 0xd8 } },       /* mov rax, cr3 */
	{ 3, { 0x0f, 0x22, 0xd8 } },       /* mov cr3, rax */
	{ 3, { 0x0f, 0x22, 0xc0 } },       /* mov cr0, rax */
	{ 3, { 0x0f, 0x22, 0xe0 } },       /* mov cr4, rax */
	{ 3, { 0x0f, 0x01, 0x10 } },       /* lgdt [rax] */
	{ 3, { 0x0f, 0x01, 0x18 } },       /* lidt [rax] */
	{ 3, { 0x0f, 0x01, 0x00 } },       /* sgdt [rax] */
	{ 3, { 0x0f, 0x00, 0xd8 } },       /* ltr ax */
	{ 3, { 0x0f, 0x00, 0xc8 } },       /* str ax */
	{ 3, { 0x0f, 0x01, 0x38 } },       /* invlpg [rax] */
	{ 2, { 0x0f, 0x30 } },             /* wrmsr */
	{ 2, { 0x0f, 0x32 } },             /* rdmsr */
	{ 2, { 0x0f, 0x31 } },             /* rdtsc */
	{ 3, { 0x0f, 0x01, 0xf9 } },       /* rdtscp */
	{ 2, { 0x0f, 0xa2 } },             /* cpuid */
	{ 3, { 0x0f, 0x01, 0xf8 } },       /* swapgs */
	{ 3, { 0x0f, 0x01, 0xc1 } },       /* vmcall */
	{ 3, { 0x0f, 0x01, 0xd0 } },       /* xgetbv */
	{ 2, { 0x48, 0xcf } },             /* iretq */
	{ 1, { 0xcb } },                   /* retf */
	{ 2, { 0xff, 0x28 } },             /* jmp far [rax] */
	{ 2, { 0x8e, 0xd0 } },             /* mov ss, ax */
	{ 2, { 0x8e, 0xd8 } },             /* mov ds, ax */
	{ 2, { 0x0f, 0xa1 } },             /* pop fs */
	{ 5, { 0xf3, 0x48, 0x0f, 0xae, 0xc0 } }, /* rdfsbase rax */
	{ 5, { 0xf3, 0x48, 0x0f, 0xae, 0xd8 } }, /* wrgsbase rax */
	{ 2, { 0xf3, 0xa4 } },             /* rep movsb */
	{ 2, { 0x0f, 0x0b } },             /* ud2 */
	{ 1, { 0xf1 } },                   /* int1 */
	{ 1, { 0xce } },                   /* into: invalid in 64-bit mode */
	{ 4, { 0xf0, 0xf0, 0xf0, 0x90 } }, /* lock nop: #UD */
};
#define NSNIPPETS (sizeof(snippets) / sizeof(snippets[0]))

/* splitmix64: a small generator with a full period and good mixing. */
static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Append n bytes to code[*len] when they fit below max. */
static void put(uint8_t *code, size_t *len, size_t max, const uint8_t *b,
		size_t n)
{
	if (*len + n <= max) {
		memcpy(code + *len, b, n);
		*len += n;
	}
}

/* The code of image index of seed; returns its length. */
static size_t make_code(uint64_t seed, uint64_t index, uint8_t *code)
{
	static const uint8_t exit0[] = { 0xb0, 0x00, 0xe6, 0xf4 };
	uint64_t s = seed * 0x100000001b3ULL ^ index;
	size_t len = 0;
	size_t body = 16 + next(&s) % (CODE_MAX - 16 - sizeof(prologue) -
				       sizeof(exit0) - 32);

	if (next(&s) % 3)
		put(code, &len, CODE_MAX, prologue, sizeof(prologue));
	size_t end = len + body;
	while (len < end) {
		uint64_t r = next(&s);
		if (r % 4 == 0) {
			const struct snippet *sn = &snippets[(r >> 8) %
							     NSNIPPETS];
			put(code, &len, end, sn->bytes, sn->len);
		} else {
			uint8_t b = (uint8_t)(r >> 16);
			put(code, &len, end, &b, 1);
		}
	}
	put(code, &len, CODE_MAX, exit0, sizeof(exit0));
	return len;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: mkimage SEED COUNT DIR\n");
		return 2;
	}
	uint64_t seed = strtoull(argv[1], NULL, 0);
	uint64_t count = strtoull(argv[2], NULL, 0);

	for (uint64_t i = 0; i < count; i++) {
		uint8_t code[CODE_MAX], img[IMAGE_HDR + CODE_MAX];
		char path[4096];
		size_t n = image_build(img, code, make_code(seed, i, code));

		snprintf(path, sizeof(path), "%s/%llu-%llu.elf", argv[3],
			 (unsigned long long)seed, (unsigned long long)i);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(img, 1, n, f) != n || fclose(f) != 0) {
			fprintf(stderr, "mkimage: %s: %s\n", path,
				strerror(errno));
			return 1;
		}
	}
	return 0;
}

/*
 * guests/runtime/pvh_x86_64.S - the PVH entry: QEMU's -kernel into long mode.
 *
 * qemu-system-x86_64 -kernel loads an ELF64 image whose PVH note (below)
 * names a 32-bit entry point, and enters it like this (the PVH boot ABI):
 *   32-bit protected mode, paging off, interrupts off, flat CS and DS;
 *   EBX = physical address of a struct hvm_start_info.
 * This stub builds, by hand and in order, exactly the machine state that
 * trapvisor gives a guest (monitor/boot.h), then jumps to _start64: from
 * there on a guest cannot tell QEMU from trapvisor.
 *
 * It uses no stack until the very end, because until then it does not know
 * which low memory is free.
 */
#include "isa/x86.h"
#include "monitor/boot.h"

/* struct hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h) */
#define HVM_START_MAGIC 0x336ec578
#define HVM_START_VERSION 4     /* u32 version; >= 1 has the memory map */
#define HVM_START_CMDLINE 24    /* u64 cmdline_paddr */
#define HVM_START_MEMMAP 40     /* u64 memmap_paddr */
#define HVM_START_MEMMAP_N 48   /* u32 memmap_entries */
/* struct hvm_memmap_table_entry: u64 addr, u64 size, u32 type, u32 pad */
#define HVM_MEMMAP_ENTRY_SIZE 24
#define HVM_MEMMAP_TYPE_RAM 1

/*T:800 The guest side.  One ELF file boots on two machines: trapvisor
 * enters it in 64-bit mode (monitor/boot.h), QEMU's -kernel enters it here,
 * in 32-bit protected mode with paging off, through this PVH note.  The
 * stub below builds exactly the state trapvisor would have built, so that
 * everything after it runs the same on both: that is what lets every guest
 * test compare trapvisor's output with QEMU's, byte for byte.
 */
/* The PVH note: owner "Xen", type XEN_ELFNOTE_PHYS32_ENTRY, 32-bit entry. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
	.section .note.Xen, "a", @note
	.p2align 2
	.long 4                         /* namesz: "Xen\0" */
	.long 4                         /* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY  /* type */
	.asciz "Xen"
	.long _start32

	.section .text.entry32, "ax", @progbits
	.code32
	.globl _start32
_start32:
	cli
	cld

	/*
	 * 1. Read what we need from hvm_start_info before we write anywhere
	 *    in low memory: RAM size into EDI:ESI, the command line copied
	 *    to BOOT_CMDLINE.
	 */
	xorl %esi, %esi
	xorl %edi, %edi
	cmpl $HVM_START_MAGIC, (%ebx)
	jne 10f
	cmpl $1, HVM_START_VERSION(%ebx)
	jb 2f

	/*
	 * RAM size: the highest end of a type-1 (RAM) entry that starts at or
	 * below 1 MiB, i.e. the memory our identity map begins with.
	 */
	movl HVM_START_MEMMAP(%ebx), %edx
	movl HVM_START_MEMMAP_N(%ebx), %ecx
	testl %edx, %edx
	jz 2f
1:	testl %ecx, %ecx
	jz 2f
	cmpl $HVM_MEMMAP_TYPE_RAM, 16(%edx)
	jne 4f
	cmpl $0, 4(%edx)                /* addr above 4 GiB? */
	jne 4f
	cmpl $0x100000, (%edx)          /* addr above 1 MiB? */
	ja 4f
	movl (%edx), %eax               /* end = addr + size, 64-bit */
	movl 4(%edx), %ebp
	addl 8(%edx), %eax
	adcl 12(%edx), %ebp
	cmpl %edi, %ebp                 /* keep the highest end */
	jb 4f
	ja 5f
	cmpl %esi, %eax
	jbe 4f
5:	movl %eax, %esi
	movl %ebp, %edi
4:	addl $HVM_MEMMAP_ENTRY_SIZE, %edx
	decl %ecx
	jmp 1b

2:	/* The command line, at most BOOT_CMDLINE_MAX - 1 bytes. */
	movl HVM_START_CMDLINE(%ebx), %edx
	movl $BOOT_CMDLINE, %eax
	movl $(BOOT_CMDLINE_MAX - 1), %ecx
	testl %edx, %edx
	jz 3f
6:	movb (%edx), %bl                /* (EBX is not needed any more) */
	testb %bl, %bl
	jz 3f
	movb %bl, (%eax)
	incl %edx
	incl %eax
	decl %ecx
	jnz 6b
	jmp 3f
10:	movl $BOOT_CMDLINE, %eax        /* no start info: an empty line */
3:	movb $0, (%eax)

	/* 2. struct boot_info at BOOT_INFO. */
	movl $(BOOT_MAGIC & 0xffffffff), BOOT_INFO + 0
	movl $(BOOT_MAGIC >> 32), BOOT_INFO + 4
	movl %esi, BOOT_INFO + 8        /* mem_size */
	movl %edi, BOOT_INFO + 12
	movl $BOOT_CMDLINE, BOOT_INFO + 16
	movl $0, BOOT_INFO + 20
	movl $0, BOOT_INFO + 24         /* flags: not booted by trapvisor */
	movl $0, BOOT_INFO + 28

	/*
	 * 3. The identity map of the first 4 GiB with 2 MiB pages:
	 *    PML4[0] -> PDPT, PDPT[0..3] -> four PDs, PD entry k maps k * 2 MiB.
	 *    Entries are P|W only: no U, no A/D, no G.
	 */
	movl $BOOT_PML4, %edi
	xorl %eax, %eax
	movl $((BOOT_INFO - BOOT_PML4) / 4), %ecx
	rep stosl
	movl $(BOOT_PDPT | PTE_P | PTE_W), BOOT_PML4
	movl $(BOOT_PD | PTE_P | PTE_W), %eax
	movl $BOOT_PDPT, %edi
	movl $4, %ecx
8:	movl %eax, (%edi)
	addl $0x1000, %eax
	addl $8, %edi
	loop 8b
	movl $(PTE_P | PTE_W | PTE_PS), %eax
	movl $BOOT_PD, %edi
	movl $(4 * PT_ENTRIES), %ecx
9:	movl %eax, (%edi)               /* high half stays 0: below 4 GiB */
	addl $0x200000, %eax
	addl $8, %edi
	loop 9b

	/* 4. The boot GDT: null, 64-bit ring-0 code, ring-0 data. */
	movl $0, BOOT_GDT + 0
	movl $0, BOOT_GDT + 4
	movl $0x0000ffff, BOOT_GDT + 8  /* 0x00af9b000000ffff */
	movl $0x00af9b00, BOOT_GDT + 12
	movl $0x0000ffff, BOOT_GDT + 16 /* 0x00cf93000000ffff */
	movl $0x00cf9300, BOOT_GDT + 20
	lgdt boot_gdt_ptr

	/* 5. Long mode: PAE, then EFER.LME (and NXE, SCE), then paging. */
	movl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $BOOT_PML4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	movl $(EFER_LME | EFER_NXE | EFER_SCE), %eax
	xorl %edx, %edx
	wrmsr
	movl $(CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG), %eax
	movl %eax, %cr0

	/* 6. Far jump into the 64-bit code segment: EFER.LMA is now 1. */
	ljmp $BOOT_SEL_CODE, $start64_from_pvh

	.code64
start64_from_pvh:
	movl $BOOT_SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	lidt empty_idt_ptr              /* limit 0: as trapvisor leaves it */
	movq $BOOT_STACK_TOP, %rsp
	movq $BOOT_INFO, %rdi
	jmp _start64

	.section .rodata
	.p2align 3
boot_gdt_ptr:                           /* 32-bit lgdt reads 6 bytes */
	.word BOOT_GDT_ENTRIES * 8 - 1
	.long BOOT_GDT
	.p2align 3
empty_idt_ptr:
	.word 0
	.quad 0

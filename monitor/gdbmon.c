/*
 * monitor/gdbmon.c - gdb's "monitor" commands: what only the monitor can
 * see.  gdb shows the registers and memory the guest has; these show the
 * rest of the machine: the system registers with their hidden parts, the
 * guest's page mapping next to the shadow mapping the engine really uses
 * (the heart of shadow paging: a page the guest maps and the shadow does
 * not yet is a hidden fault to come), the two trees whole as a picture
 * (info paging: --dump-paging's DOT), the traps counted so far, and the
 * devices' state.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/engine.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "isa/x86.h"
#include "monitor/gdbmon.h"
#include "monitor/stats.h"
#include "monitor/trace.h"
#include "shadowpt/paging_dot.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"

/* The most pages one info tlb prints. */
#define TLB_MAX_PAGES 64

static const char *const seg_names[VCPU_NSEGS] = {
	"es", "cs", "ss", "ds", "fs", "gs"
};

static void print_segment(FILE *f, const char *name,
			  const struct vcpu_segment *s)
{
	fprintf(f, "%-4s %04x base %016" PRIx64 " limit %08x attr %04x "
		"(type %x%s dpl %u%s%s%s)\n", name, s->selector, s->base,
		s->limit, s->attr, s->attr & 0xf, (s->attr & 0x10) ? "" :
		" system", (s->attr >> 5) & 3, (s->attr & 0x80) ? " P" : "",
		(s->attr & 0x2000) ? " L" : "", (s->attr & 0x4000) ? " D/B" :
		"");
}

/* info registers: everything the vCPU holds (core/vcpu.h). */
static void info_registers(const struct vm *vm, FILE *f)
{
	static const char *const gpr[VCPU_NREGS] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"
	};
	const struct vcpu *v = &vm->vcpu;

	for (unsigned i = 0; i < VCPU_NREGS; i++)
		fprintf(f, "%-3s %016" PRIx64 "%s", gpr[i], v->regs[i],
			i % 4 == 3 ? "\n" : "  ");
	fprintf(f, "rip %016" PRIx64 "  rflags %08" PRIx64 " (IF %d IOPL %u)"
		"  cpl %u\n", v->rip, v->rflags, !!(v->rflags & FL_IF),
		(unsigned)((v->rflags & FL_IOPL_MASK) >> FL_IOPL_SHIFT),
		v->cpl);
	for (unsigned i = 0; i < VCPU_NSEGS; i++)
		print_segment(f, seg_names[i], &v->seg[i]);
	print_segment(f, "ldtr", &v->ldtr);
	print_segment(f, "tr", &v->tr);
	fprintf(f, "gdtr base %016" PRIx64 " limit %04x\n", v->gdtr.base,
		v->gdtr.limit);
	fprintf(f, "idtr base %016" PRIx64 " limit %04x\n", v->idtr.base,
		v->idtr.limit);
	fprintf(f, "cr0 %016" PRIx64 "  cr2 %016" PRIx64 "  cr3 %016" PRIx64
		"\ncr4 %016" PRIx64 "  cr8 %016" PRIx64 "  efer %016" PRIx64
		"\n", v->cr0, v->cr2, v->cr3, v->cr4, v->cr8, v->efer);
	fprintf(f, "pdpte %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016"
		PRIx64 "\n", v->pdpte[0], v->pdpte[1], v->pdpte[2],
		v->pdpte[3]);
	fprintf(f, "star %016" PRIx64 "  lstar %016" PRIx64 "  cstar %016"
		PRIx64 "  sfmask %016" PRIx64 "\n", v->star, v->lstar,
		v->cstar, v->sfmask);
	fprintf(f, "kernel_gs_base %016" PRIx64 "  sysenter cs %04" PRIx64
		" esp %016" PRIx64 " eip %016" PRIx64 "\n", v->kernel_gs_base,
		v->sysenter_cs, v->sysenter_esp, v->sysenter_eip);
	fprintf(f, "apic_base %016" PRIx64 "  pat %016" PRIx64 "  xcr0 %"
		PRIx64 "  tsc_aux %" PRIx64 "\n", v->apic_base, v->pat,
		v->xcr0, v->tsc_aux);
	fprintf(f, "dr0 %016" PRIx64 " dr1 %016" PRIx64 " dr2 %016" PRIx64
		" dr3 %016" PRIx64 "\ndr6 %016" PRIx64 " dr7 %016" PRIx64 "\n",
		v->dr[0], v->dr[1], v->dr[2], v->dr[3], v->dr[6], v->dr[7]);
	fprintf(f, "halted %d  interrupt shadow %d  exception pending %d"
		"  instructions %" PRIu64 "\n", v->halted, v->interrupt_shadow,
		v->exception.pending, v->instructions);
}

/* The rights of a mapping as three letters: r, w or -, x or -. */
static const char *rights(bool w, bool x)
{
	static const char *const r[4] = { "r--", "rw-", "r-x", "rwx" };

	return r[(w ? 1 : 0) | (x ? 2 : 0)];
}

static const char *page_size_name(uint64_t size)
{
	return size == PAGE_4K ? "4K" : size == (2ULL << 20) ? "2M" :
	       size == (4ULL << 20) ? "4M" : "1G";
}

/*
 * One page: the guest's mapping (its own tables, walked as the CPU
 * would, with the rights ANDed over the levels, but as a peek: A and D
 * are shown as the guest's entry has them, never set by looking) and the
 * shadow leaf the engine uses for the current view, or why there is none.
 */
static void tlb_line(struct vm *vm, uint64_t va, FILE *f)
{
	struct walk_result r;
	bool nxe = vm->vcpu.efer & EFER_NXE;

	fprintf(f, "%016" PRIx64 "  ", va);
	if (walk_guest(vm, va, ACC_READ | ACC_PEEK, &r) < 0)
		fprintf(f, "guest: not mapped (#PF error %#x)  ", r.error);
	else
		fprintf(f, "guest: %012" PRIx64 " %s %s %s%s%s  ",
			r.gpa & ~(uint64_t)(PAGE_4K - 1),
			page_size_name(r.page_size),
			rights(r.writable, r.executable),
			r.user ? "user" : "sup",
			(r.pte & PTE_A) ? " A" : "", (r.pte & PTE_D) ? " D" : "");
	if (vm->engine->nested_paging) {
		fprintf(f, "shadow: none (nested paging)\n");
		return;
	}
	uint64_t s = shadowpt_lookup(vm, va);
	if (!s) {
		fprintf(f, "shadow: not filled\n");
		return;
	}
	fprintf(f, "shadow: %012" PRIx64 " 4K %s%s\n", (uint64_t)(s & PTE_ADDR_MASK),
		rights(s & PTE_W, !(nxe && (s & PTE_NX))),
		(s & PTE_W) || walk_guest(vm, va, ACC_READ | ACC_PEEK, &r) < 0 ||
		!r.writable ? "" : " (write-protected: the guest's D bit)");
}

/* info tlb ADDR [LEN] (and info shadow). */
static void info_tlb(struct vm *vm, const char *args, FILE *f)
{
	char *end;
	uint64_t va = strtoull(args, &end, 0), len = 1;

	if (end == args) {
		fprintf(f, "usage: info tlb ADDR [LEN]\n");
		return;
	}
	if (*end)
		len = strtoull(end, &end, 0);
	if (*end && *end != ' ') {
		fprintf(f, "usage: info tlb ADDR [LEN]\n");
		return;
	}
	if (len == 0)
		len = 1;
	uint64_t first = va & ~(uint64_t)(PAGE_4K - 1);
	uint64_t pages = (va + len - 1 - first) / PAGE_4K + 1;
	if (va + len - 1 < va)
		pages = TLB_MAX_PAGES + 1;
	fprintf(f, "linear            guest mapping (own tables)              "
		"shadow mapping (cpl %u view)\n", vm->vcpu.cpl);
	for (uint64_t i = 0; i < pages && i < TLB_MAX_PAGES; i++)
		tlb_line(vm, first + i * PAGE_4K, f);
	if (pages > TLB_MAX_PAGES)
		fprintf(f, "(only the first %d pages)\n", TLB_MAX_PAGES);
}

/* info traps: the --stats tables up to now. */
static void info_traps(struct vm *vm, FILE *f)
{
	uint64_t end = vm->stats->end_ns, end_ticks = vm->stats->end_ticks;

	vm->stats->end_ns = clock_host_ns();
	vm->stats->end_ticks = clock_host_ticks();
	trace_print_stats(vm, f);
	vm->stats->end_ns = end;
	vm->stats->end_ticks = end_ticks;
}

static void print_pic(FILE *f, const char *name, const struct i8259 *p)
{
	fprintf(f, "%s: vectors %02x-%02x irr %02x isr %02x imr %02x%s\n",
		name, p->vector_base, p->vector_base + 7, p->irr, p->isr,
		p->imr, p->icw_step ? " (being initialized)" : "");
}

/* info devices: the state that decides the guest's interrupts. */
static void info_devices(const struct vm *vm, FILE *f)
{
	const struct devices *d = vm->dev;
	const struct i8254_channel *c0 = &d->pit.ch[0];

	print_pic(f, "pic master (0x20, 0x21)", &d->pic.master);
	print_pic(f, "pic slave (0xa0, 0xa1)", &d->pic.slave);
	fprintf(f, "pit (0x40-0x43): channel 0 %s, mode %u, reload %u\n",
		c0->counting ? "counting" : "stopped", c0->mode,
		c0->reload ? c0->reload : 65536);
	fprintf(f, "uart com1 (0x3f8, irq 4): ier %02x lcr %02x mcr %02x, "
		"%u bytes received and unread\n", d->com1.ier, d->com1.lcr,
		d->com1.mcr, d->com1.rx_len);
	fprintf(f, "lapic: id %u, %s, tpr %02x, timer %s (initial count %u)"
		"\n", d->lapic.id, (d->lapic.svr & 0x100) ? "enabled" :
		"software-disabled", d->lapic.tpr, d->lapic.timer_initial ?
		"running" : "stopped", d->lapic.timer_initial);
	fprintf(f, "ioapic: id %u, irr %08x\n", d->ioapic.id, d->ioapic.irr);
	for (unsigned i = 0; i < 2; i++) {
		const struct ide_drive *dr = &d->ide0.drive[i];
		if (dr->fd < 0)
			fprintf(f, "ide0 %s: none\n", i ? "slave" : "master");
		else
			fprintf(f, "ide0 %s: %" PRIu64 " sectors%s\n",
				i ? "slave" : "master", dr->nsectors,
				dr->read_only ? ", read-only" : "");
	}
}

static void help(FILE *f)
{
	fprintf(f, "monitor commands:\n"
		"  info registers          every register, system ones "
		"included\n"
		"  info tlb ADDR [LEN]     the guest's mapping of each page "
		"next to the shadow's\n"
		"  info shadow ADDR [LEN]  the same\n"
		"  info traps              the trap statistics so far\n"
		"  info devices            interrupt controllers, timers, "
		"UART, disks\n"
		"  info paging             the guest's page tables beside the "
		"shadow's, as Graphviz\n"
		"                          DOT (what --dump-paging writes)\n");
}

/* Does cmd begin with word, then a space or its end?  *rest: after it. */
static bool word(const char *cmd, const char *w, const char **rest)
{
	size_t n = strlen(w);

	if (strncmp(cmd, w, n) != 0 || (cmd[n] && cmd[n] != ' '))
		return false;
	*rest = cmd + n + strspn(cmd + n, " ");
	return true;
}

void gdbmon_run(struct vm *vm, const char *cmd, FILE *out)
{
	const char *rest;

	cmd += strspn(cmd, " ");
	if (word(cmd, "help", &rest))
		help(out);
	else if (word(cmd, "info registers", &rest) && !*rest)
		info_registers(vm, out);
	else if (word(cmd, "info tlb", &rest) ||
		 word(cmd, "info shadow", &rest))
		info_tlb(vm, rest, out);
	else if (word(cmd, "info traps", &rest) && !*rest)
		info_traps(vm, out);
	else if (word(cmd, "info devices", &rest) && !*rest)
		info_devices(vm, out);
	else if (word(cmd, "info paging", &rest) && !*rest)
		paging_dot(vm, out);
	else {
		fprintf(out, "unknown monitor command '%s'\n", cmd);
		help(out);
	}
}

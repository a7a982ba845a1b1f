/*
 * monitor/trace.c - the per-trap trace line, the message a triple fault
 * ends a guest with, and the statistics table.
 *
 * The interpreter routines report what they did in a struct interp_effect
 * (interp/interp.h) and the dispatcher what it did with an exit; this
 * file words them, one line per trap, in the classes --trace=CLASSES
 * selects.  Nothing below the monitor prints.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/arch.h"
#include "isa/decode.h"
#include "isa/pgclass.h"
#include "isa/x86.h"
#include "core/engine.h"
#include "interp/interp.h"
#include "monitor/symbols.h"
#include "monitor/trace.h"
#include "core/vm.h"
#include "monitor/stats.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"

/* ------------------------------------------------------------ classes */

static const char *const class_names[TRACE_NCLASSES] = {
	[TRACE_IO] = "io", [TRACE_CR] = "cr", [TRACE_MSR] = "msr",
	[TRACE_PF] = "pf", [TRACE_IRQ] = "irq", [TRACE_SYSCALL] = "syscall",
	[TRACE_DESC] = "desc", [TRACE_EXC] = "exc",
};

const char trace_class_list[] = "io, cr, msr, pf, irq, syscall, desc, exc";

/* The class named by the len bytes at name, or -1. */
static int class_by_name(const char *name, size_t len)
{
	for (int c = 0; c < TRACE_NCLASSES; c++)
		if (strlen(class_names[c]) == len &&
		    memcmp(class_names[c], name, len) == 0)
			return c;
	return -1;
}

int trace_parse_classes(const char *s, unsigned *mask, char *bad,
			size_t len)
{
	*mask = 0;
	for (;;) {
		size_t n = strcspn(s, ",");
		int c = class_by_name(s, n);

		if (n == 3 && memcmp(s, "all", 3) == 0) {
			*mask |= TRACE_ALL;
		} else if (c < 0) {
			snprintf(bad, len, "%.*s", (int)n, s);
			return -1;
		} else {
			*mask |= 1u << c;
		}
		if (!s[n])
			return 0;
		s += n + 1;
	}
}

bool trace_wants(const struct vm *vm, enum trace_class c)
{
	return vm->opt.trace & (1u << c);
}

/* mov is three instructions: to a control or debug register, to a
 * segment register, and a plain move (which never traps). */
static enum trace_class mov_class(const struct insn *in)
{
	for (unsigned i = 0; i < in->x86.op_count; i++) {
		const cs_x86_op *op = &in->x86.operands[i];
		if (op->type == X86_OP_REG &&
		    ((op->reg >= X86_REG_CR0 && op->reg <= X86_REG_CR15) ||
		     (op->reg >= X86_REG_DR0 && op->reg <= X86_REG_DR15)))
			return TRACE_CR;
	}
	return TRACE_DESC;
}

enum trace_class trace_insn_class(const struct insn *in)
{
	switch (in->id) {
	case X86_INS_IN: case X86_INS_OUT:
	case X86_INS_INSB: case X86_INS_INSW: case X86_INS_INSD:
	case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD:
		return TRACE_IO;
	case X86_INS_MOV:
		return mov_class(in);
	case X86_INS_CLTS: case X86_INS_SMSW: case X86_INS_LMSW:
	case X86_INS_XGETBV: case X86_INS_XSETBV: case X86_INS_INVLPG:
	case X86_INS_INVPCID: case X86_INS_WBINVD: case X86_INS_INVD:
		return TRACE_CR;
	case X86_INS_RDMSR: case X86_INS_WRMSR: case X86_INS_CPUID:
	case X86_INS_RDTSC: case X86_INS_RDTSCP: case X86_INS_RDPMC:
	case X86_INS_RDSEED: case ISA_INS_RDPID:
		return TRACE_MSR;
	case X86_INS_CLI: case X86_INS_STI: case X86_INS_HLT:
	case X86_INS_PUSHF: case X86_INS_PUSHFD: case X86_INS_PUSHFQ:
	case X86_INS_POPF: case X86_INS_POPFD: case X86_INS_POPFQ:
		return TRACE_IRQ;
	case X86_INS_SYSCALL: case X86_INS_SYSRET: case X86_INS_SYSENTER:
	case X86_INS_SYSEXIT: case X86_INS_INT: case X86_INS_INT3:
	case X86_INS_INT1: case X86_INS_IRET: case X86_INS_IRETD:
	case X86_INS_IRETQ:
		return TRACE_SYSCALL;
	default:
		return TRACE_DESC; /* the rest of interp/table.c's routines */
	}
}

/* -------------------------------------------------------------- lines */

char *trace_where(const struct vm *vm, uint64_t va, char *buf, size_t len)
{
	char sym[128];

	symtab_format(vm->symbols, va, sym, sizeof(sym));
	if (sym[0])
		snprintf(buf, len, "%#" PRIx64 " <%s>", va, sym);
	else
		snprintf(buf, len, "%#" PRIx64, va);
	return buf;
}

/* The function rip is in, or "-", for the column of a line. */
static const char *sym_column(const struct vm *vm, uint64_t rip, char *buf,
			      size_t len)
{
	symtab_format(vm->symbols, rip, buf, len);
	return buf[0] ? buf : "-";
}

/*
 * A trap from a patched site is the #GP(0) of the hlt that --patch laid
 * over the instruction's first byte (patch/patch.h), not one the
 * instruction raised: the line says "patched" where the reason goes, so
 * that a student tells the scanner's traps from the CPU's own.
 */
void trace_exit(const struct vm *vm, enum trace_class c, unsigned cpl,
		uint64_t rip, const char *reason, const struct insn *in,
		const struct pg_entry *pg, const char *what, bool patched)
{
	char text[200] = "-", sym[128];

	if (!trace_wants(vm, c))
		return;
	if (in)
		snprintf(text, sizeof(text), "%s%s%s", in->mnemonic,
			 in->op_str[0] ? " " : "", in->op_str);
	fprintf(stderr, "[trap] %-7s cpl%u rip=%#010" PRIx64 " %-22s "
		"%-13s %-28s %-23s %s\n", class_names[c], cpl, rip,
		sym_column(vm, rip, sym, sizeof(sym)),
		patched ? "patched" : reason, text,
		pg ? pg_class_name(pg->cls) : "-", what);
}

void trace_interrupt(const struct vm *vm, uint64_t rip, unsigned cpl,
		     uint8_t vector, bool delivered)
{
	const struct vcpu *v = &vm->vcpu;
	char sym[128], to[TRACE_WHERE_LEN];

	if (!trace_wants(vm, TRACE_IRQ))
		return;
	fprintf(stderr, "[intr] %-7s cpl%u rip=%#010" PRIx64 " %-22s "
		"vector %#x ", class_names[TRACE_IRQ], cpl, rip,
		sym_column(vm, rip, sym, sizeof(sym)), vector);
	if (delivered)
		fprintf(stderr, "delivered through the guest's IDT -> "
			"%#x:%s cpl%u\n", v->seg[SEG_CS].selector,
			trace_where(vm, v->rip, to, sizeof(to)), v->cpl);
	else
		fprintf(stderr, "injected: the CPU enters the guest's IDT\n");
}

/* ------------------------------------------------------------ effects */

/* The architectural names of the MSRs the virtual CPU implements. */
static const char *msr_name(uint32_t msr)
{
	switch (msr) {
	case MSR_IA32_TSC: return "IA32_TSC";
	case MSR_IA32_APIC_BASE: return "IA32_APIC_BASE";
	case MSR_IA32_SYSENTER_CS: return "IA32_SYSENTER_CS";
	case MSR_IA32_SYSENTER_ESP: return "IA32_SYSENTER_ESP";
	case MSR_IA32_SYSENTER_EIP: return "IA32_SYSENTER_EIP";
	case MSR_IA32_PAT: return "IA32_PAT";
	case MSR_EFER: return "IA32_EFER";
	case MSR_STAR: return "IA32_STAR";
	case MSR_LSTAR: return "IA32_LSTAR";
	case MSR_CSTAR: return "IA32_CSTAR";
	case MSR_SFMASK: return "IA32_FMASK";
	case MSR_FS_BASE: return "IA32_FS_BASE";
	case MSR_GS_BASE: return "IA32_GS_BASE";
	case MSR_KERNEL_GS_BASE: return "IA32_KERNEL_GS_BASE";
	case MSR_TSC_AUX: return "IA32_TSC_AUX";
	default: return NULL;
	}
}

static void port_effect(const struct interp_effect *e, char *buf, size_t len)
{
	if (e->count == 1 && (strcmp(e->name, "in") == 0 ||
			      strcmp(e->name, "out") == 0))
		snprintf(buf, len, "%s port %#x %s 0x%0*" PRIx64, e->name,
			 e->reg, e->write ? "<-" : "->", (int)e->size * 2,
			 e->value);
	else
		snprintf(buf, len, "%s port %#x: %" PRIu64 " element%s of %u "
			 "byte%s", e->name, e->reg, e->count,
			 e->count == 1 ? "" : "s", e->size,
			 e->size == 1 ? "" : "s");
}

static void reg_effect(const struct interp_effect *e, char *buf, size_t len)
{
	if (strcmp(e->name, "rflags") == 0)
		snprintf(buf, len, "rflags %s %#" PRIx64 " (IF=%d)",
			 e->write ? "<-" : "read:", e->value,
			 (e->value & FL_IF) != 0);
	else
		snprintf(buf, len, "%s %s %#" PRIx64, e->name,
			 e->write ? "<-" : "read:", e->value);
}

static void msr_effect(const struct interp_effect *e, char *buf, size_t len)
{
	const char *name = msr_name(e->reg);

	snprintf(buf, len, "%s %#x%s%s%s %s %#" PRIx64,
		 e->write ? "wrmsr" : "rdmsr", e->reg, name ? " (" : "",
		 name ? name : "", name ? ")" : "", e->write ? "<-" : "->",
		 e->value);
}

/* "-> 0x8:0x201000 <entry> cpl0": where a transfer left the vCPU. */
static void jump_target(const struct vm *vm, uint32_t cs, uint64_t rip,
			unsigned cpl, char *buf, size_t len)
{
	char to[TRACE_WHERE_LEN];

	snprintf(buf, len, "-> %#x:%s cpl%u", cs,
		 trace_where(vm, rip, to, sizeof(to)), cpl);
}

void trace_effect(const struct vm *vm, const struct interp_effect *e,
		  char *buf, size_t len)
{
	char t[TRACE_WHERE_LEN + 32];

	switch (e->kind) {
	case EFFECT_NONE:
		snprintf(buf, len, "emulated");
		break;
	case EFFECT_PORT:
		port_effect(e, buf, len);
		break;
	case EFFECT_REG:
		reg_effect(e, buf, len);
		break;
	case EFFECT_MSR:
		msr_effect(e, buf, len);
		break;
	case EFFECT_DTABLE:
		snprintf(buf, len, "%s %s base %#" PRIx64 " limit %#x",
			 e->name, e->write ? "<-" : "read:", e->value,
			 e->limit);
		break;
	case EFFECT_CPUID:
		snprintf(buf, len, "cpuid %#x.%u -> eax=%#x ebx=%#x ecx=%#x "
			 "edx=%#x", e->reg, e->limit, e->out[0], e->out[1],
			 e->out[2], e->out[3]);
		break;
	case EFFECT_TLB:
		if (strcmp(e->name, "invlpg") == 0)
			snprintf(buf, len, "invlpg %#" PRIx64 ": its shadow "
				 "entry dropped", e->value);
		else
			snprintf(buf, len, "%s: no caches to write back",
				 e->name);
		break;
	case EFFECT_JUMP:
		jump_target(vm, e->reg, e->value, e->size, t, sizeof(t));
		if (e->name)
			snprintf(buf, len, "%s (the target from %s)", t,
				 e->name);
		else
			snprintf(buf, len, "%s", t);
		break;
	case EFFECT_INT:
		jump_target(vm, e->limit, e->value, e->size, t, sizeof(t));
		snprintf(buf, len, "vector %#x through the guest's IDT %s",
			 e->reg, t);
		break;
	case EFFECT_HALT:
		snprintf(buf, len, "halted until an interrupt");
		break;
	}
}

void trace_shadow_entry(const struct vm *vm, uint64_t va, char *buf,
			size_t len)
{
	uint64_t pte = shadowpt_lookup(vm, va);

	if (!pte) {
		snprintf(buf, len, "shadow %#" PRIx64 " not mapped", va);
		return;
	}
	snprintf(buf, len, "shadow %#" PRIx64 " -> frame %#" PRIx64 " r%c%c %s",
		 va, (uint64_t)(pte & PTE_ADDR_MASK), (pte & PTE_W) ? 'w' : '-',
		 (pte & PTE_NX) ? '-' : 'x',
		 (pte & PTE_U) ? "user" : "supervisor");
}

/* --------------------------------------------------------- shutdown */

/* "#GP(0x42)", "#UD", "int 0x80", "interrupt 0x20". */
static void chain_event_name(const struct vcpu_chain_event *ev, char *buf,
			     size_t len)
{
	if (ev->software)
		snprintf(buf, len, "int %#x", ev->vector);
	else if (ev->external)
		snprintf(buf, len, "interrupt %#x", ev->vector);
	else if (ev->has_error)
		snprintf(buf, len, "%s(%#x)", x86_vector_name(ev->vector),
			 ev->error);
	else
		snprintf(buf, len, "%s", x86_vector_name(ev->vector));
}

/*
 * The chain in words.  After the first event, a #DF is the double fault
 * the CPU made of two faults (a fault of delivery is never a #DF); any
 * other event is a fault while delivering the event before it.
 */
static void chain_words(const struct vcpu_shutdown *sd, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < sd->n && used < len; i++) {
		const struct vcpu_chain_event *ev = &sd->ev[i];
		char name[32];

		chain_event_name(ev, name, sizeof(name));
		if (i == 0)
			used += (size_t)snprintf(buf, len, "%s", name);
		else if (ev->vector == T_DF && !ev->software && !ev->external)
			used += (size_t)snprintf(buf + used, len - used,
						 ", then %s (double fault)",
						 name);
		else
			used += (size_t)snprintf(buf + used, len - used,
						 ", then %s while delivering "
						 "%s", name,
						 sd->ev[i - 1].vector == T_DF ?
						 "the #DF" : "it");
	}
}

/* A triple fault (vcpu.shutdown) ends the guest, naming the chain. */
static void kill_shutdown(struct vm *vm)
{
	struct vcpu_shutdown *sd = &vm->vcpu.shutdown;
	char where[TRACE_WHERE_LEN], chain[400];

	if (!sd->pending)
		return;
	sd->pending = false;
	chain_words(sd, chain, sizeof(chain));
	vm_kill(vm, VM_EXIT_TRIPLE_FAULT, "triple fault at rip %s: %s",
		trace_where(vm, sd->rip, where, sizeof(where)), chain);
}

/* The line vm_kill_at() left unprinted, with the function of its RIP. */
static void kill_note(struct vm *vm)
{
	struct vm_kill_note *k = &vm->kill;
	char where[TRACE_WHERE_LEN];

	if (!k->pending)
		return;
	k->pending = false;
	fflush(stdout); /* the guest's output first, as vm_kill does */
	fprintf(stderr, "trapvisor: %s (rip %s)\n", k->why,
		trace_where(vm, k->rip, where, sizeof(where)));
}

/* After every exit: a look at two flags, the rest only when one is up. */
void trace_kill_pending(struct vm *vm)
{
	if (vm->vcpu.shutdown.pending)
		kill_shutdown(vm);
	if (vm->kill.pending)
		kill_note(vm);
}

/* Rows sorted by time spent, the costliest first. */
static int row_cmp(const void *a, const void *b)
{
	const struct stats_row *x = a, *y = b;

	return x->ticks < y->ticks ? 1 : x->ticks > y->ticks ? -1 : 0;
}

static void print_rows(FILE *f, const char *title, const struct vm_stats *s,
		       const struct stats_row *in, unsigned n,
		       uint64_t total_ns)
{
	struct stats_row rows[STATS_MAX_INSNS > STATS_MAX_REASONS ?
			      STATS_MAX_INSNS : STATS_MAX_REASONS];
	uint64_t count = 0;

	memcpy(rows, in, n * sizeof(rows[0]));
	qsort(rows, n, sizeof(rows[0]), row_cmp);
	fprintf(f, "%-28s %10s %8s %12s %10s\n", title, "count", "count%",
		"time(us)", "avg(ns)");
	for (unsigned i = 0; i < n; i++)
		count += rows[i].count;
	for (unsigned i = 0; i < n; i++) {
		uint64_t ns = stats_ns(s, rows[i].ticks);

		fprintf(f, "%-28s %10" PRIu64 " %7.2f%% %12.1f %10" PRIu64 "\n",
			rows[i].name, rows[i].count,
			100.0 * (double)rows[i].count / (double)(count ? count : 1),
			(double)ns / 1000.0,
			rows[i].count ? ns / rows[i].count : 0);
	}
	fprintf(f, "%-28s %10" PRIu64 "          %12.1f\n\n", "total", count,
		(double)total_ns / 1000.0);
}

void trace_print_stats(const struct vm *vm, FILE *f)
{
	const struct vm_stats *s = vm->stats;
	uint64_t total = 0;
	double secs = (double)(s->end_ns - s->start_ns) / 1e9;

	for (unsigned i = 0; i < s->nreasons; i++)
		total += s->reason[i].ticks;
	total = stats_ns(s, total);
	fprintf(f, "\n--- trapvisor statistics (engine %s, --isa=%s) ---\n",
		vm->engine ? vm->engine->name : "none",
		vm->opt.isa == ISA_STRICT ? "strict" : "x86");
	fprintf(f, "run time %.3f s; monitor time %.3f s", secs,
		(double)total / 1e9);
	if (vm->engine && vm->engine->counts_instructions)
		fprintf(f, "; guest instructions %" PRIu64,
			vm->vcpu.instructions);
	fprintf(f, "\n\n");
	print_rows(f, "exits by reason", s, s->reason, s->nreasons, total);
	if (s->ninsns)
		print_rows(f, "emulated instructions", s, s->insn, s->ninsns,
			   total);
	fprintf(f, "interrupts injected into the guest: %" PRIu64 "\n",
		s->injected);
	if (vm->engine && vm->engine->nested_paging) {
		fprintf(f, "no shadow page tables: the CPU walks the guest's "
			"own (nested paging)\n");
	} else {
		fprintf(f, "shadow page faults: %" PRIu64 " hidden (filled by "
			"the monitor), %" PRIu64 " true (reflected to the "
			"guest)\n", vm->spt->hidden_faults,
			vm->spt->true_faults);
		fprintf(f, "shadow address spaces: %" PRIu64 " CR3 loads "
			"found theirs cached, %" PRIu64 " started empty; "
			"%" PRIu64 " shadow tables in use\n",
			vm->spt->space_hits, vm->spt->space_misses,
			vm->spt->tables);
	}
	if (vm->engine && vm->engine->print_stats)
		vm->engine->print_stats(vm, secs, f);
}

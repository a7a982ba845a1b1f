/*
 * monitor/tracejson.c - the run in the Trace Event Format (--trace-json).
 *
 * The format is Chrome's (the "Trace Event Format" document, JSON Object
 * Format), which chrome://tracing and ui.perfetto.dev both read:
 *
 *   {"displayTimeUnit":"ns","traceEvents":[
 *   {"ph":"M", ...},                     metadata: process and track names
 *   {"ph":"X","ts":T,"dur":D, ...},      a complete slice: T and D in
 *                                        microseconds, fractions allowed
 *   {"ph":"i","ts":T,"s":"t", ...},      an instant on one track
 *   {"ph":"C","ts":T,"args":{...}},      a counter's new value
 *   ...]}
 *
 * Events are written as they end, so on each track (a pid and tid, or a
 * counter's name) their timestamps never decrease.  Times are the host's
 * monotonic clock from the moment the file was opened.
 *
 * Why the file is written with pwrite() from a buffer of our own rather
 * than through stdio: a signal that ends the monitor must still close the
 * JSON array, and a signal handler may only make async-signal-safe calls.
 * The buffer holds whole events only (its length grows once an event is
 * complete), and the file offset it goes to is explicit, so writing it
 * again from a handler writes the same bytes at the same place.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/engine.h"
#include "core/exit.h"
#include "core/vm.h"
#include "isa/arch.h"
#include "isa/x86.h"
#include "monitor/stats.h"
#include "monitor/tracejson.h"
#include "shadowpt/shadowpt.h"

#define TJ_BUF (64 * 1024)   /* flushed to the file when full */
#define TJ_EVENT 1024        /* the longest event we write */
#define TJ_PID 1
#define TJ_TID_GUEST 1
#define TJ_TID_MONITOR 2

static const char tj_head[] = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";
static const char tj_tail[] = "\n]}\n";

/* Signals that end the monitor, whose handlers must finish the file. */
static const int tj_signals[] = { SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGSYS };
#define TJ_NSIGNALS (sizeof(tj_signals) / sizeof(tj_signals[0]))

static struct {
	volatile int fd;              /* -1: no trace */
	char buf[TJ_BUF];
	volatile size_t len;          /* whole events in buf */
	volatile off_t off;           /* where buf goes in the file */
	/* While a flush is under way, what it writes (see tj_flush). */
	volatile sig_atomic_t flushing;
	volatile size_t flush_len;
	volatile off_t flush_off;
	bool any;                     /* an event written: the next needs a comma */
	bool started;                 /* the tracks are named */
	uint64_t origin;              /* host ns of ts 0 */
	uint64_t run_begin, run_end;  /* host ns around engine->run */
	uint64_t insn_begin, insn_end;
	uint64_t halted_since;        /* 0: not halted */
	uint64_t tables;              /* the counter's last value */
	uint64_t reason_seen[STATS_MAX_REASONS], insn_seen[STATS_MAX_INSNS];
	struct sigaction old[TJ_NSIGNALS];
} tj = { .fd = -1 };

/* Write all of len bytes at off (async-signal-safe). */
static int tj_pwrite(int fd, const char *p, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/*
 * Write the buffer and the tail: the file is then valid JSON.  Called
 * from signal handlers, so only async-signal-safe calls.  While tj_flush
 * is writing, flush_off and flush_len describe the buffer; otherwise off
 * and len do.  Called twice (a signal during tj_close), it writes the
 * same bytes at the same offsets.
 */
static void tj_finish(void)
{
	int fd = tj.fd;
	off_t off;
	size_t len;

	if (fd < 0)
		return;
	if (tj.flushing) {
		off = tj.flush_off;
		len = tj.flush_len;
	} else {
		off = tj.off;
		len = tj.len;
	}
	if (tj_pwrite(fd, tj.buf, len, off) == 0)
		(void)tj_pwrite(fd, tj_tail, sizeof(tj_tail) - 1, off + len);
}

/* Stop tracing after a failed write: one line, and the file is left as
 * the host's error left it. */
static void tj_give_up(void)
{
	int fd = tj.fd;

	fprintf(stderr, "trapvisor: --trace-json: write: %s; trace stopped\n",
		strerror(errno));
	tj.fd = -1;
	close(fd);
}

/* The buffer goes to the file and empties. */
static void tj_flush(void)
{
	tj.flush_off = tj.off;
	tj.flush_len = tj.len;
	atomic_signal_fence(memory_order_seq_cst);
	tj.flushing = 1;
	atomic_signal_fence(memory_order_seq_cst);
	if (tj_pwrite(tj.fd, tj.buf, tj.flush_len, tj.flush_off) < 0) {
		tj_give_up();
		return;
	}
	tj.off = tj.flush_off + (off_t)tj.flush_len;
	tj.len = 0;
	atomic_signal_fence(memory_order_seq_cst);
	tj.flushing = 0;
}

/* Append one event, formatted, with the comma before it. */
__attribute__((format(printf, 1, 2)))
static void tj_event(const char *fmt, ...)
{
	char e[TJ_EVENT];
	va_list ap;
	int n;

	if (tj.fd < 0)
		return;
	strcpy(e, tj.any ? ",\n" : "\n");
	va_start(ap, fmt);
	n = vsnprintf(e + strlen(e), sizeof(e) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(e) - 2)
		panic("tracejson: an event longer than %d bytes", TJ_EVENT);
	n = (int)strlen(e);
	if (tj.len + (size_t)n > TJ_BUF) {
		tj_flush();
		if (tj.fd < 0)
			return;
	}
	memcpy(tj.buf + tj.len, e, (size_t)n);
	/* The bytes are in place before the length says so: a signal
	 * handler writes buf[0, len) */
	atomic_signal_fence(memory_order_seq_cst);
	tj.len = tj.len + (size_t)n;
	tj.any = true;
}

/* A JSON string's contents for s (quotes, backslashes, control bytes
 * escaped), cut to fit len. */
static const char *tj_str(char *out, size_t len, const char *s)
{
	size_t at = 0;

	for (; *s && at + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[at++] = '\\';
			out[at++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			at += (size_t)snprintf(out + at, len - at, "\\u%04x", c);
		} else {
			out[at++] = (char)c;
		}
	}
	out[at] = '\0';
	return out;
}

/* A host time as the format's microseconds, with the nanoseconds as a
 * fraction: "12.345". */
static const char *tj_us(char *out, size_t len, uint64_t ns)
{
	snprintf(out, len, "%" PRIu64 ".%03u", ns / 1000,
		 (unsigned)(ns % 1000));
	return out;
}

static uint64_t tj_ts(uint64_t host_ns)
{
	return host_ns > tj.origin ? host_ns - tj.origin : 0;
}

int tracejson_open(const char *path, const char *image, char *why,
		   size_t len)
{
	char name[256];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		snprintf(why, len, "--trace-json=%s: %s", path,
			 strerror(errno));
		return -1;
	}
	tj.fd = fd;
	tj.origin = clock_host_ns();
	memcpy(tj.buf, tj_head, sizeof(tj_head) - 1);
	tj.len = sizeof(tj_head) - 1;
	tj_event("{\"ph\":\"M\",\"pid\":%d,\"name\":\"process_name\","
		 "\"args\":{\"name\":\"trapvisor %s\"}}", TJ_PID,
		 tj_str(name, sizeof(name), image));
	atexit(tj_finish); /* panic() and every other exit() */
	return 0;
}

/*
 * A signal that ends the monitor: finish the file, then let the handler
 * that was there do what it did (the console's gives the terminal back
 * and dies of the signal; the sandbox's prints the refused call and
 * exits), or die of the signal as the default would.
 */
static void tj_on_signal(int sig, siginfo_t *si, void *ctx)
{
	tj_finish();
	for (size_t i = 0; i < TJ_NSIGNALS; i++) {
		const struct sigaction *o = &tj.old[i];
		if (tj_signals[i] != sig)
			continue;
		if (o->sa_flags & SA_SIGINFO) {
			o->sa_sigaction(sig, si, ctx);
		} else if (o->sa_handler != SIG_DFL &&
			   o->sa_handler != SIG_IGN) {
			o->sa_handler(sig);
		} else {
			signal(sig, SIG_DFL);
			raise(sig);
		}
	}
}

void tracejson_catch_signals(void)
{
	struct sigaction sa = { .sa_sigaction = tj_on_signal,
				.sa_flags = SA_SIGINFO };

	if (tj.fd < 0)
		return;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < TJ_NSIGNALS; i++) {
		if (sigaction(tj_signals[i], NULL, &tj.old[i]) < 0 ||
		    ((tj.old[i].sa_flags & SA_SIGINFO) == 0 &&
		     tj.old[i].sa_handler == SIG_IGN))
			continue; /* an ignored signal ends nothing */
		sigaction(tj_signals[i], &sa, NULL);
	}
}

/* The counter of shadow tables, when it changed (kvm has no shadow). */
static void tj_counter(const struct vm *vm, uint64_t now, bool always)
{
	char ts[32];
	uint64_t tables = vm->spt ? vm->spt->tables : 0;

	if (!always && tables == tj.tables)
		return;
	tj.tables = tables;
	tj_event("{\"ph\":\"C\",\"pid\":%d,\"name\":\"shadow page tables\","
		 "\"ts\":%s,\"args\":{\"tables in use\":%" PRIu64 "}}", TJ_PID,
		 tj_us(ts, sizeof(ts), tj_ts(now)), tables);
}

/* Name the tracks, once the engine is known. */
static void tj_start(const struct vm *vm, uint64_t now)
{
	static const struct { int tid; const char *name; } track[] = {
		{ TJ_TID_GUEST, "guest" }, { TJ_TID_MONITOR, "monitor" },
	};

	tj.started = true;
	for (size_t i = 0; i < sizeof(track) / sizeof(track[0]); i++) {
		tj_event("{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":"
			 "\"thread_name\",\"args\":{\"name\":\"%s (engine "
			 "%s)\"}}", TJ_PID, track[i].tid, track[i].name,
			 vm->engine->name);
		tj_event("{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":"
			 "\"thread_sort_index\",\"args\":{\"sort_index\":%d}}",
			 TJ_PID, track[i].tid, track[i].tid);
	}
	tj_counter(vm, now, true);
}

/* A slice on one track, from begin to end (host ns). */
__attribute__((format(printf, 5, 6)))
static void tj_slice(int tid, const char *name, uint64_t begin, uint64_t end,
		     const char *args_fmt, ...)
{
	char ts[32], dur[32], args[TJ_EVENT / 2];
	va_list ap;

	va_start(ap, args_fmt);
	int n = vsnprintf(args, sizeof(args), args_fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(args))
		panic("tracejson: a slice's arguments longer than %zu bytes",
		      sizeof(args));
	tj_event("{\"ph\":\"X\",\"pid\":%d,\"tid\":%d,\"name\":\"%s\","
		 "\"ts\":%s,\"dur\":%s,\"args\":{%s}}", TJ_PID, tid, name,
		 tj_us(ts, sizeof(ts), tj_ts(begin)),
		 tj_us(dur, sizeof(dur), end > begin ? end - begin : 0), args);
}

/* A halt that lasted until now ends on the guest track. */
static void tj_end_halt(uint64_t now)
{
	if (!tj.halted_since)
		return;
	tj_slice(TJ_TID_GUEST, "halted", tj.halted_since, now, "%s", "");
	tj.halted_since = 0;
}

bool tracejson_on(void)
{
	return tj.fd >= 0;
}

void tracejson_run_begin(const struct vm *vm)
{
	if (tj.fd < 0)
		return;
	tj.run_begin = clock_host_ns();
	if (!tj.started)
		tj_start(vm, tj.run_begin);
	tj_end_halt(tj.run_begin);
	tj.insn_begin = vm->vcpu.instructions;
}

void tracejson_run_end(const struct vm *vm)
{
	if (tj.fd < 0)
		return;
	tj.run_end = clock_host_ns();
	tj.insn_end = vm->vcpu.instructions;
}

/*
 * Which row of --stats this exit went to: the one whose count moved.
 * Names come from the dispatcher, so the picture and --stats agree.
 */
static const char *tj_moved(const struct stats_row *rows, unsigned n,
			    uint64_t *seen)
{
	const char *name = NULL;

	for (unsigned i = 0; i < n; i++) {
		if (rows[i].count != seen[i])
			name = rows[i].name;
		seen[i] = rows[i].count;
	}
	return name;
}

/* The exit in the words of the hardware: "#GP(0)", "out 0x3f8", ... */
static void tj_describe(const struct vm_exit *x, char *out, size_t len)
{
	switch (x->reason) {
	case EXIT_EXCEPTION:
		if (x->exc.has_error)
			snprintf(out, len, "%s(%#x)",
				 x86_vector_name(x->exc.vector), x->exc.error);
		else
			snprintf(out, len, "%s", x86_vector_name(x->exc.vector));
		break;
	case EXIT_IO:
		snprintf(out, len, "%s %#x", x->io.in ? "in" : "out",
			 x->io.port);
		break;
	case EXIT_MMIO:
		snprintf(out, len, "mmio %s %#" PRIx64,
			 x->mmio.write ? "write" : "read", x->mmio.gpa);
		break;
	default:
		snprintf(out, len, "%s", exit_reason_name(x->reason));
	}
}

/*
 * After dispatch(): the stretch of guest code that ended in exit x, on the
 * guest's track, then the exit itself on the monitor's, as long as the
 * monitor took to handle it and named as --stats names it.
 */
static void tj_exit(const struct vm *vm, const struct vm_exit *x)
{
	const struct vm_stats *s = vm->stats;
	char what[64], name[96], reason[96], raised[48] = "", insns[48] = "";
	char address[48] = "";
	uint64_t now;

	now = clock_host_ns();
	if (vm->engine->counts_instructions)
		snprintf(insns, sizeof(insns), "\"instructions\":%" PRIu64,
			 tj.insn_end - tj.insn_begin);
	tj_slice(TJ_TID_GUEST, "guest", tj.run_begin, tj.run_end, "%s", insns);

	const char *group = tj_moved(s->reason, s->nreasons, tj.reason_seen);
	const char *insn = tj_moved(s->insn, s->ninsns, tj.insn_seen);
	tj_describe(x, what, sizeof(what));
	if (x->reason == EXIT_EXCEPTION && x->exc.vector == T_PF)
		snprintf(address, sizeof(address), ",\"address\":\"%#" PRIx64
			 "\"", x->exc.address);
	if (vm->vcpu.exception.pending)
		snprintf(raised, sizeof(raised), ",\"raised\":\"%s\"",
			 x86_vector_name(vm->vcpu.exception.vector));
	tj_str(name, sizeof(name), insn ? insn : group ? group : what);
	tj_str(reason, sizeof(reason), group ? group : what);
	tj_slice(TJ_TID_MONITOR, name, tj.run_end, now,
		 "\"reason\":\"%s\",\"exit\":\"%s\",\"rip\":\"%#" PRIx64
		 "\",\"cpl\":%u%s%s", reason, what, x->rip, vm->vcpu.cpl,
		 address, raised);
	tj_counter(vm, now, false);
	if (vm->vcpu.halted && !vm->stopped)
		tj.halted_since = now;
}

/* Called after every exit: without --trace-json, only the look at tj.fd
 * (the buffers above are cleared only for a trace that writes them). */
void tracejson_exit(const struct vm *vm, const struct vm_exit *x)
{
	if (tj.fd >= 0)
		tj_exit(vm, x);
}

void tracejson_interrupt(const struct vm *vm, uint8_t vector)
{
	char ts[32];
	uint64_t now;

	(void)vm;
	if (tj.fd < 0)
		return;
	now = clock_host_ns();
	tj_end_halt(now);
	tj_event("{\"ph\":\"i\",\"pid\":%d,\"tid\":%d,\"s\":\"t\",\"name\":"
		 "\"interrupt %#x\",\"ts\":%s,\"args\":{\"vector\":%u}}",
		 TJ_PID, TJ_TID_GUEST, vector,
		 tj_us(ts, sizeof(ts), tj_ts(now)), vector);
}

void tracejson_close(int status)
{
	char ts[32];
	uint64_t now;
	int fd = tj.fd;

	if (fd < 0)
		return;
	now = clock_host_ns();
	tj_end_halt(now);
	tj_event("{\"ph\":\"i\",\"pid\":%d,\"tid\":%d,\"s\":\"t\",\"name\":"
		 "\"stopped\",\"ts\":%s,\"args\":{\"status\":%d}}", TJ_PID,
		 TJ_TID_GUEST, tj_us(ts, sizeof(ts), tj_ts(now)), status);
	if (tj.fd < 0)
		return;
	tj_finish();
	tj.fd = -1;
	close(fd);
}

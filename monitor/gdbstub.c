/*
 * monitor/gdbstub.c - the gdb remote stub: the connection, run control,
 * registers and memory.
 *
 * One gdb at a time, over TCP.  The guest is either running (the run
 * loop turns; the stub looks at the socket every GDBSTUB_POLL_NS of host time
 * for gdb's Ctrl-C, or for a new gdb to connect) or stopped (the stub
 * blocks reading gdb's packets and answers them until one resumes the
 * guest).  It stops:
 *
 *   - before the first guest instruction, waiting for gdb (--gdb without
 *     --gdb-nowait), and whenever a gdb connects (gdb expects a stopped
 *     target);
 *   - when a single step has ended: one instruction retired, by the
 *     engine or by the dispatcher's emulation (so a step across a
 *     trapping cli ends after it, with its effect), or an exception
 *     moved RIP into the guest's handler; interrupts are held back
 *     during a step, as QEMU's gdbstub does by default;
 *   - when the engine reached a breakpoint or a watchpoint (core/debug.h:
 *     compared addresses, never an int3 in guest memory);
 *   - at gdb's Ctrl-C (0x03).
 *
 * Memory is read and written at guest-virtual addresses through the
 * guest's own page tables (walk_guest) with supervisor rights, as a
 * kernel debugger expects; an address they do not map, or one that maps
 * no RAM, is an E14 (EFAULT) reply, and nothing is raised in the guest.
 * The walk is a peek (ACC_PEEK): it sets no accessed or dirty bit in the
 * guest's entries, for reads and for writes alike, as QEMU's gdbstub
 * (cpu_memory_rw_debug, a page walk that only loads) does.  A write
 * changes guest RAM through vm_write_phys, which tells the engine
 * (decoded instructions are dropped), and ignores the page's R/W bit, as
 * a debugger's poke does.
 *
 * Malformed packets get E01; unknown ones the empty reply the protocol
 * asks for; a gdb that goes away, mid-run or while the guest is stopped,
 * leaves the guest running on without breakpoints, as after a detach.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/engine.h"
#include "core/vm.h"
#include "isa/x86.h"
#include "monitor/gdbmon.h"
#include "monitor/gdbpkt.h"
#include "monitor/gdbregs.h"
#include "monitor/gdbstub.h"
#include "shadowpt/walk.h"

/* Signals in stop replies, as gdb numbers them. */
#define GDB_SIGINT 2
#define GDB_SIGTRAP 5

/* What answering one packet leads to. */
enum serve {
	SERVE_MORE,     /* stay stopped, read the next packet */
	SERVE_RESUME,   /* c, s, vCont: the guest runs */
	SERVE_DETACH,   /* D, or gdb went away: run on without it */
	SERVE_KILL,     /* k: the VM stops */
};

struct gdbstub {
	int listen_fd;
	int fd;                  /* the connected gdb, or -1 */
	bool wait_first;         /* stop before the first instruction */
	bool noack;              /* QStartNoAckMode accepted */
	enum gdb_layout layout;  /* chosen when gdb connects */
	bool stepping;           /* s or vCont;s in progress */
	uint64_t step_rip, step_count;
	uint64_t next_poll_ns;
	char where[300];         /* host:port, for messages */
	char stop[64];           /* the last stop reply, for '?' */
	struct gdbpkt_rx rx;
	uint8_t in[1024];        /* received, not yet fed to rx */
	size_t in_at, in_len;
	char frame[2 * GDBPKT_MAX + 8];  /* the last packet sent */
	size_t frame_len;
	char reply[GDBPKT_MAX + 1];      /* the payload being built */
};

const int gdbstub_sandbox_calls[] = {
	SYS_accept4, SYS_recvfrom, SYS_sendto, SYS_poll,
	SYS_close, -1
};

/* ------------------------------------------------------------------
 * Listening.
 */

int gdbstub_parse_address(const char *spec, char *host, size_t hostlen,
			  unsigned *port)
{
	const char *colon = strrchr(spec, ':');
	const char *p = colon ? colon + 1 : spec;
	size_t n = colon ? (size_t)(colon - spec) : 0;
	char *end;
	unsigned long v;

	if (n >= hostlen || !*p || *p == '-' || *p == '+')
		return -1;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || *end || v > 65535)
		return -1;
	if (n)
		memcpy(host, spec, n);
	else
		n = (size_t)snprintf(host, hostlen, "localhost");
	host[n] = '\0';
	*port = (unsigned)v;
	return 0;
}

/* Bind and listen on the first address host resolves to.  Returns the
 * socket or -1 with errno, or -2 for a name that does not resolve. */
static int listen_on(const char *host, unsigned port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char service[8];
	int fd = -1, one = 1, err = 0;

	snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(host, service, &hints, &res) != 0)
		return -2;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
			continue;
		}
		/* TCP_NODELAY: one small packet at a time, each awaited;
		 * accepted sockets inherit it (no setsockopt after the
		 * sandbox). */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 1) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	errno = err;
	return fd;
}

/* The port the kernel gave (for --gdb=HOST:0). */
static unsigned bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int gdbstub_open(struct vm *vm, char *why, size_t len)
{
	char host[256];
	unsigned port;
	struct gdbstub *g;

	if (!vm->engine->set_debug) {
		snprintf(why, len, "--gdb: the %s engine cannot be debugged",
			 vm->engine->name);
		return -1;
	}
	if (gdbstub_parse_address(vm->opt.gdb, host, sizeof(host), &port)) {
		snprintf(why, len, "--gdb=%s: give [HOST:]PORT", vm->opt.gdb);
		return -1;
	}
	if (!(g = calloc(1, sizeof(*g)))) {
		snprintf(why, len, "--gdb: out of memory");
		return -1;
	}
	g->fd = -1;
	g->listen_fd = listen_on(host, port);
	if (g->listen_fd < 0) {
		snprintf(why, len, "--gdb=%s: %s", vm->opt.gdb,
			 g->listen_fd == -2 ? "the host name does not resolve"
					    : strerror(errno));
		free(g);
		return -1;
	}
	snprintf(g->where, sizeof(g->where), "%s:%u", host,
		 bound_port(g->listen_fd));
	g->wait_first = !vm->opt.gdb_nowait;
	vm->gdb = g;
	fprintf(stderr, "trapvisor: gdb: %s on %s\n", g->wait_first ?
		"waiting for gdb" : "listening", g->where);
	return 0;
}

void gdbstub_close(struct vm *vm)
{
	struct gdbstub *g = vm->gdb;

	if (!g)
		return;
	if (g->fd >= 0)
		close(g->fd);
	close(g->listen_fd);
	free(g);
	vm->gdb = NULL;
}

/* ------------------------------------------------------------------
 * Sending and receiving.
 */

/* Write all of buf; false when gdb is gone. */
static bool send_all(struct gdbstub *g, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(g->fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Send payload as a packet, kept for a '-' asking for it again. */
static bool send_packet(struct gdbstub *g, const char *payload, size_t len)
{
	g->frame_len = gdbpkt_frame(payload, len, g->frame, sizeof(g->frame));
	return g->frame_len && send_all(g, g->frame, g->frame_len);
}

static bool send_str(struct gdbstub *g, const char *s)
{
	return send_packet(g, s, strlen(s));
}

/*
 * The next byte from gdb: -1 when gdb is gone (or the monitor was
 * interrupted: vm->kick), -2 when block is false and nothing is there.
 */
static int next_byte(struct vm *vm, struct gdbstub *g, bool block)
{
	while (g->in_at == g->in_len) {
		struct pollfd p = { .fd = g->fd, .events = POLLIN };
		int r = poll(&p, 1, block ? -1 : 0);

		if (r < 0 && errno == EINTR) {
			if (vm->kick == VM_KICK_STOP)
				return -1;
			continue;
		}
		if (r == 0)
			return -2;
		ssize_t n = r < 0 ? -1 : recv(g->fd, g->in, sizeof(g->in), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		g->in_at = 0;
		g->in_len = (size_t)n;
	}
	return g->in[g->in_at++];
}

/* ------------------------------------------------------------------
 * Commands.
 */

static void set_stop(struct gdbstub *g, int sig, const char *extra)
{
	snprintf(g->stop, sizeof(g->stop), "T%02xthread:01;%s", sig, extra);
}

/* The engine must stop where vm->debug and single_step now say. */
static bool engine_debug(struct vm *vm)
{
	char why[200];

	if (vm->engine->set_debug(vm, why, sizeof(why)) < 0) {
		fprintf(stderr, "trapvisor: gdb: %s\n", why);
		return false;
	}
	return true;
}

static enum serve reply(struct gdbstub *g, const char *s)
{
	return send_str(g, s) ? SERVE_MORE : SERVE_DETACH;
}

static enum serve read_regs(struct vm *vm, struct gdbstub *g)
{
	uint8_t buf[16];
	size_t at = 0;

	for (unsigned i = 0; i < gdbregs_count(g->layout); i++) {
		unsigned n = gdbregs_size(g->layout, i);

		gdbregs_read(vm, g->layout, i, buf);
		gdbpkt_hex_encode(buf, n, g->reply + at);
		at += 2 * n;
	}
	return send_packet(g, g->reply, at) ? SERVE_MORE : SERVE_DETACH;
}

static enum serve write_regs(struct vm *vm, struct gdbstub *g,
			     const struct gdb_cmd *c)
{
	size_t at = 0;
	bool ok = true;

	if (c->ndata != gdbregs_total(g->layout))
		return reply(g, "E01");
	for (unsigned i = 0; i < gdbregs_count(g->layout); i++) {
		ok &= gdbregs_write(vm, g->layout, i, c->data + at) == 0;
		at += gdbregs_size(g->layout, i);
	}
	return reply(g, ok ? "OK" : "E01");
}

static enum serve read_reg(struct vm *vm, struct gdbstub *g,
			   const struct gdb_cmd *c)
{
	uint8_t buf[16];
	unsigned n = gdbregs_size(g->layout, (unsigned)c->addr);

	if (c->addr >= gdbregs_count(g->layout))
		return reply(g, "E01");
	gdbregs_read(vm, g->layout, (unsigned)c->addr, buf);
	gdbpkt_hex_encode(buf, n, g->reply);
	return send_packet(g, g->reply, 2 * n) ? SERVE_MORE : SERVE_DETACH;
}

static enum serve write_reg(struct vm *vm, struct gdbstub *g,
			    const struct gdb_cmd *c)
{
	if (c->addr >= gdbregs_count(g->layout) ||
	    c->ndata != gdbregs_size(g->layout, (unsigned)c->addr) ||
	    gdbregs_write(vm, g->layout, (unsigned)c->addr, c->data) < 0)
		return reply(g, "E01");
	return reply(g, "OK");
}

/*
 * Where guest-virtual va is in guest RAM, for n bytes within its page:
 * a host pointer, or NULL when the guest's tables do not map it or map
 * no RAM there.  Supervisor rights; no fault raised, no A or D bit set.
 */
static uint8_t *debug_map(struct vm *vm, uint64_t va, size_t n,
			  uint64_t *gpa)
{
	struct walk_result r;

	if ((vm->vcpu.efer & EFER_LMA) && !x86_canonical(va))
		return NULL;
	if (walk_guest(vm, va, ACC_READ | ACC_PEEK, &r) < 0)
		return NULL;
	*gpa = r.gpa;
	return gm_ptr(&vm->mem, r.gpa, n);
}

/* Bytes from va to the end of its 4 KiB page, at most n. */
static size_t in_page(uint64_t va, size_t n)
{
	size_t left = PAGE_4K - (va & (PAGE_4K - 1));

	return n < left ? n : left;
}

static enum serve read_mem(struct vm *vm, struct gdbstub *g,
			   const struct gdb_cmd *c)
{
	uint8_t buf[GDBPKT_MAX / 2];
	size_t want = c->len < sizeof(buf) ? (size_t)c->len : sizeof(buf);
	size_t got = 0;

	while (got < want) {
		uint64_t va = c->addr + got, gpa;
		size_t n = in_page(va, want - got);
		const uint8_t *p = debug_map(vm, va, n, &gpa);

		if (!p)
			break; /* a short read: gdb asks for the rest */
		memcpy(buf + got, p, n);
		got += n;
	}
	if (!got && want)
		return reply(g, "E14");
	gdbpkt_hex_encode(buf, got, g->reply);
	return send_packet(g, g->reply, 2 * got) ? SERVE_MORE : SERVE_DETACH;
}

/* Every page first, then the bytes: a write that fails changes nothing. */
static enum serve write_mem(struct vm *vm, struct gdbstub *g,
			    const struct gdb_cmd *c)
{
	uint64_t gpa;

	for (size_t at = 0; at < c->ndata; at += in_page(c->addr + at,
							 c->ndata - at))
		if (!debug_map(vm, c->addr + at, in_page(c->addr + at,
			       c->ndata - at), &gpa))
			return reply(g, "E14");
	for (size_t at = 0; at < c->ndata;) {
		size_t n = in_page(c->addr + at, c->ndata - at);

		debug_map(vm, c->addr + at, n, &gpa);
		vm_write_phys(vm, gpa, c->data + at, n);
		at += n;
	}
	return reply(g, "OK");
}

/* Z and z: breakpoints (0 software, 1 hardware: both are compared
 * addresses here) and watchpoints (2 write, 3 read, 4 access). */
static enum serve change_break(struct vm *vm, struct gdbstub *g,
			       const struct gdb_cmd *c, bool insert)
{
	struct vm_debug *d = &vm->debug;

	if (c->type >= 2 && !vm->engine->debug_watchpoints)
		return reply(g, ""); /* gdb then watches by single steps */
	if (c->type < 2) {
		unsigned i = 0;

		while (i < d->nbreaks && d->breaks[i] != c->addr)
			i++;
		if (insert && d->nbreaks == DEBUG_MAX_BREAKS)
			return reply(g, "E01");
		if (insert)
			d->breaks[d->nbreaks++] = c->addr;
		else if (i < d->nbreaks)
			d->breaks[i] = d->breaks[--d->nbreaks];
	} else {
		enum debug_watch_kind k = c->type == 2 ? WATCH_WRITE :
					  c->type == 3 ? WATCH_READ :
					  WATCH_ACCESS;
		unsigned i = 0;

		if (c->len < 1 || c->len > 8)
			return reply(g, "E01");
		while (i < d->nwatches && !(d->watches[i].addr == c->addr &&
		       d->watches[i].len == c->len && d->watches[i].kind == k))
			i++;
		if (insert && d->nwatches == DEBUG_MAX_WATCHES)
			return reply(g, "E01");
		if (insert)
			d->watches[d->nwatches++] = (struct debug_watch){
				c->addr, c->len, k };
		else if (i < d->nwatches)
			d->watches[i] = d->watches[--d->nwatches];
	}
	return reply(g, engine_debug(vm) ? "OK" : "E01");
}

/* qXfer:features:read:target.xml:offset,length */
static enum serve xfer_features(struct gdbstub *g, const struct gdb_cmd *c)
{
	const char *xml = gdbregs_xml(g->layout);
	size_t total = strlen(xml), n;

	if (strcmp(c->annex, "target.xml") != 0)
		return reply(g, "E00");
	if (c->offset >= total)
		return reply(g, "l");
	n = total - c->offset;
	if (n > c->len)
		n = c->len;
	if (n > GDBPKT_MAX - 1)
		n = GDBPKT_MAX - 1;
	g->reply[0] = c->offset + n < total ? 'm' : 'l';
	memcpy(g->reply + 1, xml + c->offset, n);
	return send_packet(g, g->reply, n + 1) ? SERVE_MORE : SERVE_DETACH;
}

/* qRcmd: a monitor command; its output goes back in O packets. */
static enum serve monitor_command(struct vm *vm, struct gdbstub *g,
				  const struct gdb_cmd *c)
{
	char cmd[256], *out = NULL;
	size_t len = 0, n = c->ndata < sizeof(cmd) - 1 ? c->ndata
						       : sizeof(cmd) - 1;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return reply(g, "E0c");
	memcpy(cmd, c->data, n);
	cmd[n] = '\0';
	gdbmon_run(vm, cmd, f);
	fclose(f);
	for (size_t at = 0; at < len;) {
		size_t k = len - at < (GDBPKT_MAX - 2) / 2 ? len - at
							   : (GDBPKT_MAX - 2) / 2;
		g->reply[0] = 'O';
		gdbpkt_hex_encode((const uint8_t *)out + at, k, g->reply + 1);
		if (!send_packet(g, g->reply, 1 + 2 * k)) {
			free(out);
			return SERVE_DETACH;
		}
		at += k;
	}
	free(out);
	return reply(g, "OK");
}

/* c / s (and vCont's): from addr when given. */
static enum serve resume(struct vm *vm, struct gdbstub *g,
			 const struct gdb_cmd *c, bool step)
{
	struct vm_debug *d = &vm->debug;

	if (c->has_addr)
		vm->vcpu.rip = c->addr;
	d->resume_over = true;
	d->resume_rip = vm->vcpu.rip;
	d->resume_count = vm->vcpu.instructions;
	vm->single_step = step;
	g->stepping = step;
	g->step_rip = vm->vcpu.rip;
	g->step_count = vm->vcpu.instructions;
	engine_debug(vm);
	return SERVE_RESUME;
}

static enum serve answer(struct vm *vm, struct gdbstub *g,
			 struct gdb_cmd *c)
{
	switch (c->kind) {
	case GDB_UNKNOWN: return reply(g, "");
	case GDB_BAD: return reply(g, "E01");
	case GDB_STATUS: return reply(g, g->stop);
	case GDB_READ_REGS: return read_regs(vm, g);
	case GDB_WRITE_REGS: return write_regs(vm, g, c);
	case GDB_READ_REG: return read_reg(vm, g, c);
	case GDB_WRITE_REG: return write_reg(vm, g, c);
	case GDB_READ_MEM: return read_mem(vm, g, c);
	case GDB_WRITE_MEM: return write_mem(vm, g, c);
	case GDB_CONTINUE: return resume(vm, g, c, false);
	case GDB_STEP: return resume(vm, g, c, true);
	case GDB_VCONT_QUERY: return reply(g, "vCont;c;C;s;S");
	case GDB_BREAK_INSERT: return change_break(vm, g, c, true);
	case GDB_BREAK_REMOVE: return change_break(vm, g, c, false);
	case GDB_KILL: return SERVE_KILL;
	case GDB_VKILL:
		send_str(g, "OK");
		return SERVE_KILL;
	case GDB_DETACH:
		send_str(g, "OK");
		return SERVE_DETACH;
	case GDB_OK: return reply(g, "OK");
	case GDB_NOACK: {
		enum serve s = reply(g, "OK");
		g->noack = true;
		return s;
	}
	case GDB_SUPPORTED:
		snprintf(g->reply, sizeof(g->reply), "PacketSize=%x;"
			 "qXfer:features:read+;QStartNoAckMode+;"
			 "vContSupported+", GDBPKT_MAX);
		return reply(g, g->reply);
	case GDB_XFER_FEATURES: return xfer_features(g, c);
	case GDB_RCMD: return monitor_command(vm, g, c);
	case GDB_ATTACHED: return reply(g, "1");
	case GDB_CURRENT_THREAD: return reply(g, "QC1");
	case GDB_THREADS_FIRST: return reply(g, "m1");
	case GDB_THREADS_NEXT: return reply(g, "l");
	}
	return reply(g, "");
}

/* ------------------------------------------------------------------
 * Stopped: serve gdb until it resumes, detaches or kills.
 */

/* gdb is gone or detached: no breakpoint stays, the guest runs on. */
static void drop_gdb(struct vm *vm, struct gdbstub *g, bool detached)
{
	close(g->fd);
	g->fd = -1;
	g->stepping = false;
	g->noack = false;
	vm->single_step = false;
	vm->debug.nbreaks = vm->debug.nwatches = 0;
	vm->debug.resume_over = false;
	engine_debug(vm);
	if (!vm->stopped)
		fprintf(stderr, "trapvisor: gdb: %s; the guest runs on\n",
			detached ? "detached" : "connection closed");
}

static void serve(struct vm *vm, struct gdbstub *g)
{
	vm->single_step = false;
	g->stepping = false;
	for (;;) {
		int b = next_byte(vm, g, true);
		enum serve s = SERVE_MORE;
		struct gdb_cmd c = { .kind = GDB_UNKNOWN };

		if (b < 0) {
			if (vm->kick == VM_KICK_STOP)
				vm_kill(vm, VM_EXIT_INTERRUPTED, "interrupted "
					"while gdb had the guest stopped");
			drop_gdb(vm, g, false);
			return;
		}
		switch (gdbpkt_rx_byte(&g->rx, (uint8_t)b)) {
		case GDBPKT_PACKET:
			if (!g->noack && !send_all(g, "+", 1)) {
				s = SERVE_DETACH;
				break;
			}
			gdbpkt_parse(g->rx.buf, g->rx.len, &c);
			s = answer(vm, g, &c);
			break;
		case GDBPKT_BAD:
			if (!g->noack && !send_all(g, "-", 1))
				s = SERVE_DETACH;
			break;
		case GDBPKT_NAK:
			if (g->frame_len && !send_all(g, g->frame,
						      g->frame_len))
				s = SERVE_DETACH;
			break;
		default: /* '+', a Ctrl-C while already stopped, noise */
			break;
		}
		if (s == SERVE_RESUME)
			return;
		if (s == SERVE_DETACH) {
			drop_gdb(vm, g, c.kind == GDB_DETACH);
			return;
		}
		if (s == SERVE_KILL) {
			vm_kill(vm, VM_EXIT_INTERRUPTED, "killed by gdb at rip "
				"%#" PRIx64, vm->vcpu.rip);
			drop_gdb(vm, g, false);
			return;
		}
	}
}

/* Tell gdb why the guest stopped, then serve it. */
static void stopped(struct vm *vm, struct gdbstub *g)
{
	if (!send_str(g, g->stop)) {
		drop_gdb(vm, g, false);
		return;
	}
	serve(vm, g);
}

/* A gdb connected: the guest stops, in the layout of its mode now. */
static bool take_connection(struct vm *vm, struct gdbstub *g, bool block)
{
	struct pollfd p = { .fd = g->listen_fd, .events = POLLIN };

	while (poll(&p, 1, block ? -1 : 0) < 0) {
		if (errno != EINTR || vm->kick == VM_KICK_STOP)
			return false;
	}
	if (!(p.revents & POLLIN))
		return false;
	g->fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (g->fd < 0)
		return false;
	gdbpkt_rx_init(&g->rx);
	g->in_at = g->in_len = 0;
	g->frame_len = 0;
	g->noack = false;
	g->layout = (vm->vcpu.efer & EFER_LMA) ? GDB_LAYOUT_64
					       : GDB_LAYOUT_32;
	set_stop(g, GDB_SIGTRAP, "");
	return true;
}

/* ------------------------------------------------------------------
 * The run loop's points.
 */

/* Has the step ended: an instruction retired, or RIP moved (into an
 * exception handler)? */
static bool step_done(const struct vm *vm, const struct gdbstub *g)
{
	return vm->vcpu.instructions != g->step_count ||
	       vm->vcpu.rip != g->step_rip;
}

/* While the guest runs: a Ctrl-C from gdb, or gdb gone. */
static void look_at_gdb(struct vm *vm, struct gdbstub *g)
{
	for (;;) {
		int b = next_byte(vm, g, false);

		if (b == -2)
			return;
		if (b < 0) {
			drop_gdb(vm, g, false);
			return;
		}
		if (gdbpkt_rx_byte(&g->rx, (uint8_t)b) == GDBPKT_INTERRUPT) {
			set_stop(g, GDB_SIGINT, "");
			stopped(vm, g);
			return;
		}
	}
}

void gdbstub_check(struct vm *vm)
{
	struct gdbstub *g = vm->gdb;
	uint64_t now;

	if (!g || vm->stopped)
		return;
	if (g->fd < 0 && g->wait_first) {
		g->wait_first = false;
		if (take_connection(vm, g, true))
			serve(vm, g); /* gdb asks '?' first */
		else if (vm->kick == VM_KICK_STOP)
			vm_kill(vm, VM_EXIT_INTERRUPTED, "interrupted while "
				"waiting for gdb");
		return;
	}
	if (g->fd >= 0 && g->stepping) {
		if (step_done(vm, g)) {
			set_stop(g, GDB_SIGTRAP, "");
			stopped(vm, g);
		}
		return;
	}
	now = clock_host_ns();
	if (now < g->next_poll_ns)
		return;
	g->next_poll_ns = now + GDBSTUB_POLL_NS;
	if (g->fd >= 0)
		look_at_gdb(vm, g);
	else if (take_connection(vm, g, false))
		serve(vm, g);
}

void gdbstub_engine_stop(struct vm *vm)
{
	struct gdbstub *g = vm->gdb;
	struct vm_debug *d = &vm->debug;
	char extra[48] = "";
	enum debug_stop why = d->stop;

	d->stop = DEBUG_STOP_NONE;
	if (!g || g->fd < 0)
		return;
	if (why == DEBUG_STOP_WATCH)
		snprintf(extra, sizeof(extra), "%s:%" PRIx64 ";",
			 d->stop_kind == WATCH_WRITE ? "watch" :
			 d->stop_kind == WATCH_READ ? "rwatch" : "awatch",
			 d->stop_addr);
	set_stop(g, GDB_SIGTRAP, extra);
	stopped(vm, g);
}

void gdbstub_guest_exit(struct vm *vm)
{
	struct gdbstub *g = vm->gdb;
	char w[8];

	if (!g || g->fd < 0)
		return;
	snprintf(w, sizeof(w), "W%02x", vm->exit_status & 0xff);
	send_str(g, w);
	drop_gdb(vm, g, false);
}

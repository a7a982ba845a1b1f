/*
 * devices/virtio_backend.c - a virtio back end in an I/O thread or a
 * separate process (devices/virtio_backend.h).
 *
 * What the two sides share, and why nothing else:
 *
 *   guest RAM    the rings and the buffers.  The back end reads the
 *                available ring and writes the used ring while the guest
 *                runs; virtio_pci_process() has the barriers the
 *                specification asks of a device on another CPU.
 *   two pipes    kicks one way, answers the other.  A pipe write of at
 *                most PIPE_BUF bytes is atomic, so messages never tear.
 *   one counter  `posted`, in a shared page: answers written.  The vCPU
 *                thread looks at it at every devices_update() (a load,
 *                no system call) and reads the pipe only when it moved;
 *                the back end bumps it with release order after the
 *                write, so the message is there when the count says so.
 *
 * The vCPU thread alone touches the card's registers, the interrupt
 * controller and the clock: the back end's answer says which ISR bits to
 * raise, and the vCPU thread raises them when it takes the answer.  So
 * the interrupt comes at the vCPU thread's next poll point after the
 * back end finished, a point that depends on host timing; that is why
 * --icount refuses these placements (monitor/main.c): under --icount a
 * run must repeat instruction for instruction.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/vm.h"
#include "devices/iothread.h"
#include "devices/seccomp.h"
#include "devices/virtio_backend.h"

/* How often the vCPU thread looks whether a back-end process ended. */
#define BACKEND_CHECK_NS 1000000ULL /* 1 ms */
#define KICKS_PER_WAKEUP 16         /* kicks one read may take */

/* vCPU thread -> back end: queue q has new buffers; the card's set-up. */
struct vb_kick {
	uint32_t q;
	uint8_t status;
	uint64_t features;
	struct virtq vq[VIRTIO_MAX_QUEUES];
};

/* Back end -> vCPU thread: what one wake-up did. */
struct vb_answer {
	uint8_t isr;         /* ISR bits to raise */
	uint8_t broken;      /* the driver broke the device: NEEDS_RESET */
	uint32_t kicks;      /* kicks it covered */
	uint64_t requests, interrupts, bytes;
};

/* What the back end's side holds: its own (the thread frees it). */
struct vb_side {
	int kick_r, done_w;
	struct virtio_pci *copy;
	_Atomic uint64_t *posted;
	atomic_bool finished;  /* thread: it will touch the side no more */
};

const char *virtio_backend_kind_name(enum virtio_backend_kind kind)
{
	switch (kind) {
	case VIRTIO_BACKEND_THREAD: return "thread";
	case VIRTIO_BACKEND_PROCESS: return "process";
	default: return "vcpu";
	}
}

/* A whole message; false at the end of the pipe or on an error. */
static bool read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static bool write_full(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len; /* len <= PIPE_BUF: all or nothing */
}

/* ------------------------------------------------------------------
 * The back end's side: the same loop in a thread or a process.
 */

/*
 * Take the card's set-up from a kick.  A queue whose gen changed was
 * enabled or reset since: the back end starts it anew; else it keeps
 * its own progress (last_avail, used_idx), which only it advances.
 * NEEDS_RESET stays until queue 0 is reset.
 */
static void adopt(struct virtio_pci *c, const struct vb_kick *k)
{
	bool fresh = k->vq[0].gen != c->vq[0].gen;
	uint8_t sticky = fresh ? 0 : c->status & VIRTIO_STATUS_NEEDS_RESET;

	c->driver_features = k->features;
	c->status = (uint8_t)(k->status | sticky);
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		if (k->vq[i].gen != c->vq[i].gen)
			c->vq[i] = k->vq[i];
}

/* Sleep for kicks, process their queues, answer; until the pipe ends. */
static void serve(struct vb_side *s)
{
	struct vb_kick k[KICKS_PER_WAKEUP];

	for (;;) {
		struct virtio_pci *c = s->copy;
		uint64_t r0 = c->requests, i0 = c->interrupts, b0 = c->bytes;
		bool todo[VIRTIO_MAX_QUEUES] = { false };
		ssize_t n;
		unsigned got;

		do /* one wake-up takes every kick waiting, as vhost does */
			n = read(s->kick_r, k, sizeof(k));
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return;
		/* whole messages (each write is one, atomic); the rest of a
		 * torn one, should a read ever stop inside it */
		if ((size_t)n % sizeof(k[0]) &&
		    !read_full(s->kick_r, (uint8_t *)k + n,
			       sizeof(k[0]) - (size_t)n % sizeof(k[0])))
			return;
		got = (unsigned)(((size_t)n + sizeof(k[0]) - 1) / sizeof(k[0]));
		c->isr = 0;
		for (unsigned i = 0; i < got; i++) {
			adopt(c, &k[i]);
			if (k[i].q < VIRTIO_MAX_QUEUES)
				todo[k[i].q] = true;
		}
		for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
			if (todo[q] && !(c->status & VIRTIO_STATUS_NEEDS_RESET))
				virtio_pci_process(c, q);
		struct vb_answer a = {
			.isr = c->isr, .kicks = got,
			.broken = !!(c->status & VIRTIO_STATUS_NEEDS_RESET),
			.requests = c->requests - r0,
			.interrupts = c->interrupts - i0,
			.bytes = c->bytes - b0,
		};
		if (!write_full(s->done_w, &a, sizeof(a)))
			return;
		atomic_fetch_add_explicit(s->posted, 1, memory_order_release);
	}
}

/*
 * The I/O thread.  At the end it closes its pipe ends and touches
 * nothing more: `finished`, then the end of the answer pipe, tell
 * virtio_backend_stop() that the side's memory is free to go
 * (devices/iothread.h says why not a join, nor a free here).
 */
static void *thread_main(void *arg)
{
	struct vb_side *s = arg;
	int kick_r = s->kick_r, done_w = s->done_w;

	serve(s);
	close(kick_r);
	iothread_finish(&s->finished, done_w);
	return NULL;
}

/*
 * The back-end process's wall: after this, read, write, pread64,
 * pwrite64, fsync, ppoll and exit are all it may call; anything else
 * kills it (SECCOMP_RET_KILL_PROCESS), which the monitor sees as the
 * pipe's end.
 */
static int backend_seccomp(void)
{
	static const int allow[] = { SYS_read, SYS_write, SYS_pread64,
				     SYS_pwrite64, SYS_fsync, SYS_ppoll,
				     SYS_exit, SYS_exit_group };

	return seccomp_allow_only(allow, sizeof(allow) / sizeof(allow[0]),
				  SECCOMP_RET_KILL_PROCESS);
}

/*
 * The back-end process: keep the kick pipe as 0, the answer pipe as 1
 * and the device's file as 2, close everything else, wall itself in,
 * serve.  Guest RAM stays mapped (MAP_SHARED of the memfd, whose
 * descriptor goes).  What it still holds of the monitor's memory is a
 * copy-on-write snapshot of the set-up, before any guest code ran.
 */
static _Noreturn void process_main(struct vb_side *s, int *keep_fd)
{
	prctl(PR_SET_NAME, "tv-backend", 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* out of the way first (above 100), so that no dup2 lands on a
	 * descriptor still to be moved */
	int kick = fcntl(s->kick_r, F_DUPFD, 100);
	int done = fcntl(s->done_w, F_DUPFD, 100);
	int file = fcntl(*keep_fd, F_DUPFD, 100);

	if (kick < 0 || done < 0 || file < 0 || dup2(kick, 0) < 0 ||
	    dup2(done, 1) < 0 || dup2(file, 2) < 0)
		_exit(1);
	syscall(SYS_close_range, 3, ~0U, 0);
	s->kick_r = 0;
	s->done_w = 1;
	*keep_fd = 2; /* the device type's descriptor, in this process */
	if (backend_seccomp() < 0)
		_exit(1);
	serve(s);
	syscall(SYS_exit_group, 0);
	_exit(0);
}

/* ------------------------------------------------------------------
 * The vCPU thread's side.
 */

/* The back end is gone: one line, and the VM ends. */
static void backend_gone(struct virtio_backend *b, const char *how)
{
	if (b->gone)
		return;
	b->gone = true;
	if (b->kind == VIRTIO_BACKEND_PROCESS)
		vm_kill(b->vm, VM_EXIT_TRIPLE_FAULT, "%s back end (process %d) "
			"is gone: %s", b->name, (int)b->pid, how);
	else
		vm_kill(b->vm, VM_EXIT_TRIPLE_FAULT, "%s back end (I/O thread) "
			"is gone: %s", b->name, how);
}

/*
 * An answer into the card: counts, the broken state, the interrupt.
 * The back end is trusted with guest RAM and the image, nothing more: a
 * back end gone bad can make a wrong count or a spurious interrupt, but
 * nothing in an answer reaches past the card.
 */
static void apply(struct virtio_backend *b, const struct vb_answer *a)
{
	struct virtio_pci *vp = b->vp;

	b->taken++;
	b->covered += a->kicks;
	b->wakeups++;
	vp->requests += a->requests;
	vp->interrupts += a->interrupts;
	vp->bytes += a->bytes;
	if (a->broken)
		virtio_pci_needs_reset(vp);
	else if (a->isr & VIRTIO_ISR_QUEUE)
		virtio_pci_raise(vp, VIRTIO_ISR_QUEUE);
}

/* Read one answer, waiting for it; false when the back end is gone. */
static bool take_one(struct virtio_backend *b)
{
	struct vb_answer a;

	if (!read_full(b->done_r, &a, sizeof(a))) {
		backend_gone(b, "its answer pipe closed (killed, or it "
			     "crashed)");
		return false;
	}
	apply(b, &a);
	return true;
}

/* A process's end shows as the hang-up of its answer pipe. */
static void check_alive(struct virtio_backend *b)
{
	struct pollfd p = { .fd = b->done_r, .events = POLLIN };
	uint64_t now = clock_host_ns();

	if (now - b->last_check_ns < BACKEND_CHECK_NS)
		return;
	b->last_check_ns = now;
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)))
		take_one(b); /* what is left, then the end */
}

bool virtio_backend_busy(const struct virtio_backend *b)
{
	return b->started && !b->gone && b->covered < b->kicks;
}

void virtio_backend_poll(struct virtio_backend *b)
{
	if (!b->started || b->gone)
		return;
	while (atomic_load_explicit(b->posted, memory_order_acquire) >
	       b->taken)
		if (!take_one(b))
			return;
	if (b->kind == VIRTIO_BACKEND_PROCESS)
		check_alive(b);
}

/* Wait until every kick sent is answered. */
static bool wait_all(struct virtio_backend *b)
{
	bool waited = false;

	while (!b->gone && b->covered < b->kicks) {
		waited = true;
		b->blocked_waits++;
		if (!take_one(b))
			break;
	}
	return waited;
}

/*
 * True when an answer came in, taken now or waited for: the halted vCPU's
 * loop (monitor/run.c) then gives it its interrupt before judging whether
 * anything can wake it.  An answer the back end posted between the
 * guest's kick and its hlt is taken by the poll, not waited for, and its
 * interrupt is as real (seen: kvm with --backend=process, the guest
 * stopped as unwakeable with its completion interrupt raised).
 */
bool virtio_backend_drain(struct virtio_backend *b)
{
	uint64_t before;

	if (!b->started || b->gone)
		return false;
	before = b->taken;
	virtio_backend_poll(b);
	return wait_all(b) || b->taken != before;
}

static void place_poll(void *opaque)
{
	virtio_backend_poll(opaque);
}

static void place_quiesce(void *opaque)
{
	struct virtio_backend *b = opaque;

	if (b->started)
		wait_all(b);
}

/* The notifying write: hand the queue and the card's set-up over. */
static void place_kick(void *opaque, struct virtio_pci *vp, unsigned q)
{
	struct virtio_backend *b = opaque;
	struct vb_kick k = { .q = q, .status = vp->status,
			     .features = vp->driver_features };

	if (b->gone)
		return;
	memcpy(k.vq, vp->vq, sizeof(k.vq));
	if (!write_full(b->kick_w, &k, sizeof(k))) {
		backend_gone(b, "its kick pipe closed");
		return;
	}
	b->kicks++;
}

static void close_fds(struct virtio_backend *b)
{
	int *fds[] = { &b->kick_w, &b->kick_r, &b->done_w, &b->done_r };

	for (unsigned i = 0; i < 4; i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

/* The back end's side: its own copy of the card, remote. */
static struct vb_side *make_side(struct virtio_backend *b)
{
	struct vb_side *s = calloc(1, sizeof(*s));

	if (!s || !(s->copy = malloc(sizeof(*s->copy)))) {
		free(s);
		return NULL;
	}
	*s->copy = *b->vp;
	s->copy->place = NULL;
	s->copy->remote = true;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		s->copy->vq[i].gen = 0; /* the first kick gives the rings */
	s->kick_r = b->kick_r;
	s->done_w = b->done_w;
	s->posted = b->posted;
	return s;
}

/* Run the side: a thread, or a forked process. */
static int run_side(struct virtio_backend *b, struct vb_side *s,
		    int *keep_fd, char *why, size_t len)
{
	pthread_t t;
	int rc;

	if (b->kind == VIRTIO_BACKEND_THREAD) {
		rc = pthread_create(&t, NULL, thread_main, s);
		if (rc) {
			snprintf(why, len, "I/O thread: %s", strerror(rc));
			return -1;
		}
		pthread_detach(t);
		b->kick_r = b->done_w = -1; /* the thread's now */
		b->side = s;
		return 0;
	}
	/* A dead reader must give EPIPE on the kick, not kill the monitor. */
	signal(SIGPIPE, SIG_IGN);
	fflush(NULL);
	b->pid = fork();
	if (b->pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	if (b->pid == 0)
		process_main(s, keep_fd);
	free(s->copy);
	free(s);
	close(b->kick_r);
	close(b->done_w);
	b->kick_r = b->done_w = -1;
	return 0;
}

int virtio_backend_start(struct virtio_backend *b,
			 enum virtio_backend_kind kind, struct vm *vm,
			 struct virtio_pci *vp, int *keep_fd, const char *name,
			 char *why, size_t len)
{
	int kick[2], done[2];
	struct vb_side *s;

	*b = (struct virtio_backend){ .kind = kind, .vm = vm, .vp = vp,
				      .name = name, .kick_w = -1,
				      .kick_r = -1, .done_w = -1,
				      .done_r = -1 };
	if (kind == VIRTIO_BACKEND_VCPU)
		return 0;
	b->posted = mmap(NULL, sizeof(*b->posted), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b->posted == MAP_FAILED) {
		b->posted = NULL;
		snprintf(why, len, "%s back end: mmap: %s", name,
			 strerror(errno));
		return -1;
	}
	if (pipe2(kick, O_CLOEXEC) < 0) {
		snprintf(why, len, "%s back end: pipe: %s", name,
			 strerror(errno));
		return -1;
	}
	if (pipe2(done, O_CLOEXEC) < 0) {
		snprintf(why, len, "%s back end: pipe: %s", name,
			 strerror(errno));
		close(kick[0]), close(kick[1]);
		return -1;
	}
	b->kick_r = kick[0], b->kick_w = kick[1];
	b->done_r = done[0], b->done_w = done[1];
	if (!(s = make_side(b))) {
		snprintf(why, len, "%s back end: out of memory", name);
		close_fds(b);
		return -1;
	}
	if (run_side(b, s, keep_fd, why, len) < 0) {
		free(s->copy);
		free(s);
		close_fds(b);
		return -1;
	}
	b->place = (struct virtio_placement){ .opaque = b, .kick = place_kick,
					      .poll = place_poll,
					      .quiesce = place_quiesce };
	vp->place = &b->place;
	b->started = true;
	return 0;
}

/*
 * Every kick answered, then the kick pipe closed: the back end reads its
 * end and returns (the thread) or exits (the process, reaped by init
 * once the monitor is gone: wait4 is not in the monitor's sandbox).
 */
void virtio_backend_stop(struct virtio_backend *b)
{
	if (!b->started)
		return;
	if (!b->gone)
		wait_all(b);
	b->vp->place = NULL;
	if (b->side) { /* the thread: end its pipe, wait for it to close */
		close(b->kick_w);
		b->kick_w = -1;
		iothread_wait(b->done_r, &b->side->finished);
		free(b->side->copy);
		free(b->side);
		b->side = NULL;
	}
	close_fds(b);
	munmap(b->posted, sizeof(*b->posted));
	b->posted = NULL;
	b->started = false;
}

void virtio_backend_print(const struct virtio_backend *b, FILE *f)
{
	if (b->kind == VIRTIO_BACKEND_VCPU) {
		fprintf(f, "%s back end: vcpu (each notification processed "
			"in the vCPU's thread, at its exit)\n", b->name);
		return;
	}
	fprintf(f, "%s back end: %s; kicks %" PRIu64 " (one pipe write "
		"each), wake-ups %" PRIu64 " (one answer each), vCPU waits "
		"%" PRIu64 "\n", b->name, virtio_backend_kind_name(b->kind),
		b->kicks, b->wakeups, b->blocked_waits);
}

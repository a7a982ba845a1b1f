/*
 * devices/ptblk.c - the passed-through disk (devices/ptblk.h).
 *
 * Why the queues are in guest RAM, and why that needs nothing of the
 * engines.  Every engine maps guest RAM, the memfd, straight into the
 * guest (softcpu's loads and stores, the native child's mapping, KVM's
 * memory slot), so a guest load or store there never leaves the guest.
 * A device whose doorbells and rings are ordinary RAM is therefore one
 * the vCPU talks to without a single exit; its "hardware" is a host
 * thread that watches that RAM, as a real device on the bus would snoop
 * (or poll) its queues and move data by DMA.  The driver hands the
 * device the page, as NVMe's driver hands its controller the queues'
 * addresses (ASQ, ACQ): nothing is reserved in the firmware's memory
 * map, and the same page works on every engine.  Only set-up goes
 * through configuration space, whose accesses trap (ports 0xcf8/0xcfc).
 *
 * The thread.  It looks at the submission doorbell; after it did work
 * it keeps looking (spinning) for PT_SPIN_NS, then naps with ppoll,
 * each nap twice the last, from PT_NAP_MIN_NS to PT_NAP_MAX_NS.  So a
 * burst of requests is served at memory speed, and a request after a
 * quiet spell waits up to PT_NAP_MAX_NS (plus the kernel's timer slack)
 * before the device sees it: the price of not burning a host core
 * while the guest thinks.  A real polled device (or SPDK's reactor)
 * burns the core instead.  Disabled, it sleeps until CC is written.
 *
 * Who owns what.  The vCPU thread owns configuration space; it posts
 * CC.EN and QADDR in want_en and want_qaddr and pokes the thread (one
 * byte down a pipe).  The thread owns the queues' progress (sq_head,
 * cq_tail, phase) and answers in csts, which the driver polls (CSTS.RDY,
 * as an NVMe driver polls CSTS.RDY after writing CC.EN).  The thread
 * never touches the interrupt controller or the clock, which are the
 * vCPU thread's alone (devices/README.md): completion is by polling the
 * phase tag.  The thread is created before the monitor's sandbox and is
 * not under its filter (it sleeps in ppoll); the vCPU thread stops it
 * at exit with a flag and a byte down the pipe, then waits for its end
 * as virtio_backend.c waits for its I/O thread's, with no futex call
 * (devices/iothread.h).
 *
 * DMA behind the engines' backs.  The data goes straight between the
 * image and guest RAM, from this thread, so softcpu's decoded-instruction
 * cache and the shadow page tables' write tracking do not hear of it (an
 * engine's ram_written hook belongs to the vCPU thread): a guest that
 * reads a sector over its own code or page tables sees stale code or
 * translations until it flushes them, as a CPU's TLB does not snoop DMA.
 * It reaches nothing but guest RAM either way.
 *
 * Its own wall.  The thread starts before the monitor's sandbox and so
 * is not under it (a seccomp filter and Landlock bind the thread that
 * installs them and its later children); it reads guest-controlled
 * rings, so it walls itself in first: a seccomp filter of its own
 * allowing only the calls it makes (measured with strace -f: ppoll,
 * read, pread64, pwrite64, fsync, and close, rt_sigprocmask, madvise,
 * munmap, futex, rseq and exit for its end; the sanitizer build adds
 * ASan's own).  Anything else is a SIGSYS,
 * which the monitor's sandbox reports as a refused call.
 *
 * A hostile driver.  A doorbell out of range sets CSTS.CFS and the
 * device stops until disabled; every other malformed request (a buffer
 * that is not RAM, or lies in the BIOS ROM; sectors past the end; no
 * sectors or too many; an unknown opcode; a write to a read-only disk)
 * completes with an error status.  One look takes at most PTBLK_QSIZE
 * requests, each at most PTBLK_MAX_SECTORS: no ring can hang the device
 * thread, and nothing here can stop the monitor.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/guest_mem.h"
#include "devices/disk_image.h"
#include "devices/iothread.h"
#include "devices/ptblk.h"
#include "devices/seccomp.h"

#define PT_SPIN_NS 200000ULL      /* keep looking 0.2 ms after work */
#define PT_NAP_MIN_NS 16000ULL    /* then nap 16 us, 32 us, ... */
#define PT_NAP_MAX_NS 1000000ULL  /* ... up to 1 ms */

/* want_en: the CC.EN written while Bus Master Enable was off. */
#define PT_WANT_NOBM 0x100

struct pt_thread {
	pthread_t tid;
	int wake_r, wake_w;          /* vCPU thread -> device: look at CC */
	int end_r, end_w;            /* closed by the device at its end */
	atomic_bool stop, finished;
	atomic_int walled;           /* 1 walled in, -1 it failed (errno) */
	atomic_int wall_errno;
};

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ------------------------------------------------------------------
 * The device's side: the queues and the image.
 */

/* Is [gpa, gpa + len) RAM the device may reach (not the BIOS ROM)? */
static uint8_t *dma_ptr(struct ptblk *d, uint64_t gpa, uint64_t len)
{
	if (gpa < GM_ROM_END && gpa + len > GM_ROM_BASE)
		return NULL; /* ROM to the guest: not a DMA target either */
	return gm_ptr(d->mem, gpa, len);
}

/* CC.EN 1: take the page, or fail fatally when it is no RAM. */
static void enable(struct ptblk *d, uint32_t want)
{
	uint32_t ro = d->read_only ? PTBLK_CSTS_RO : 0;

	d->enabled = true;
	d->qaddr = atomic_load(&d->want_qaddr);
	d->sq_head = d->cq_tail = 0;
	d->phase = 1;
	atomic_store(&d->seen_head, 0);
	if ((want & PT_WANT_NOBM) || !dma_ptr(d, d->qaddr, PTBLK_PAGE)) {
		atomic_fetch_add(&d->fatal, 1);
		atomic_store(&d->csts, ro | PTBLK_CSTS_CFS);
		return;
	}
	atomic_store_explicit(&d->csts, ro | PTBLK_CSTS_RDY,
			      memory_order_release);
}

/* Follow CC: enable or disable (a disable also clears CFS). */
static void follow_cc(struct ptblk *d)
{
	uint32_t want = atomic_load_explicit(&d->want_en,
					     memory_order_acquire);

	if ((want & PTBLK_CC_EN) && !d->enabled)
		enable(d, want);
	else if (!(want & PTBLK_CC_EN) && d->enabled) {
		d->enabled = false;
		atomic_store(&d->csts, d->read_only ? PTBLK_CSTS_RO : 0);
	}
}

/* The driver broke the queue protocol: CSTS.CFS until a disable. */
static void fatal(struct ptblk *d)
{
	atomic_fetch_add(&d->fatal, 1);
	atomic_store(&d->csts, atomic_load(&d->csts) | PTBLK_CSTS_CFS);
}

/* A read or write: checked whole, then moved by DMA, pread or pwrite
 * straight between the image and guest RAM. */
static uint16_t rw(struct ptblk *d, const struct ptblk_sqe *e, bool write,
		   uint32_t *moved)
{
	uint64_t len = (uint64_t)e->nsect * PTBLK_SECTOR;
	uint8_t *p;
	ssize_t n;

	if (e->nsect == 0 || e->nsect > PTBLK_MAX_SECTORS)
		return PTBLK_SC_INVALID_FIELD;
	if (e->lba > d->nsectors || e->nsect > d->nsectors - e->lba)
		return PTBLK_SC_LBA_RANGE;
	if (!(p = dma_ptr(d, e->addr, len)))
		return PTBLK_SC_DATA_XFER;
	if (write && d->read_only)
		return PTBLK_SC_READ_ONLY;
	n = write ? pwrite(d->fd, p, len, (off_t)(e->lba * PTBLK_SECTOR)) :
		    pread(d->fd, p, len, (off_t)(e->lba * PTBLK_SECTOR));
	if (n != (ssize_t)len)
		return PTBLK_SC_INTERNAL;
	*moved = (uint32_t)len;
	return PTBLK_SC_SUCCESS;
}

static uint16_t execute(struct ptblk *d, const struct ptblk_sqe *e,
			uint32_t *moved)
{
	*moved = 0;
	if (e->flags)
		return PTBLK_SC_INVALID_FIELD;
	switch (e->opcode) {
	case PTBLK_OP_FLUSH: /* stable storage before the completion */
		return fsync(d->fd) == 0 ? PTBLK_SC_SUCCESS : PTBLK_SC_INTERNAL;
	case PTBLK_OP_WRITE:
		return rw(d, e, true, moved);
	case PTBLK_OP_READ:
		return rw(d, e, false, moved);
	}
	return PTBLK_SC_INVALID_OPCODE;
}

/*
 * Post a completion: the entry, then (release) its status word with the
 * phase tag, so that a driver that sees the new phase sees the rest.
 */
static void post(struct ptblk *d, uint16_t cid, uint16_t sc, uint32_t moved)
{
	uint8_t *cqe = gm_ptr(d->mem, d->qaddr + PTBLK_CQ +
				      d->cq_tail * PTBLK_CQE_SIZE,
			      PTBLK_CQE_SIZE);
	uint8_t e[PTBLK_CQE_SIZE] = { 0 };

	put_le(e + 0, 4, moved);
	put_le(e + 8, 2, d->sq_head);
	put_le(e + 12, 2, cid);
	memcpy(cqe, e, 14);
	atomic_thread_fence(memory_order_release);
	put_le(e + 14, 2, (uint16_t)(sc << 1 | d->phase));
	memcpy(cqe + 14, e + 14, 2);
	if (++d->cq_tail == PTBLK_QSIZE) {
		d->cq_tail = 0;
		d->phase ^= 1;
	}
	atomic_fetch_add(&d->requests, 1);
	atomic_fetch_add(&d->bytes, moved);
	if (sc)
		atomic_fetch_add(&d->errors, 1);
	atomic_store_explicit(&d->seen_head, d->sq_head, memory_order_release);
	atomic_fetch_add_explicit(&d->done, 1, memory_order_release);
}

/* Take one submission if there is one and room for its completion;
 * false when there is nothing to do (or the driver broke the rules). */
static bool take_one(struct ptblk *d)
{
	const uint8_t *page = gm_ptr(d->mem, d->qaddr, PTBLK_PAGE);
	uint8_t raw[PTBLK_SQE_SIZE];
	struct ptblk_sqe e;
	uint32_t tail, cq_head, moved;
	uint16_t sc;

	tail = (uint32_t)get_le(page + PTBLK_SQ_TAIL, 4);
	cq_head = (uint32_t)get_le(page + PTBLK_CQ_HEAD, 4);
	if (tail >= PTBLK_QSIZE || cq_head >= PTBLK_QSIZE) {
		fatal(d);
		return false;
	}
	if (tail == d->sq_head || (d->cq_tail + 1) % PTBLK_QSIZE == cq_head)
		return false;
	atomic_thread_fence(memory_order_acquire); /* the entry after tail */
	memcpy(raw, page + PTBLK_SQ + d->sq_head * PTBLK_SQE_SIZE, sizeof(raw));
	e = (struct ptblk_sqe){ .opcode = raw[0], .flags = raw[1],
				.cid = (uint16_t)get_le(raw + 2, 2),
				.nsect = (uint32_t)get_le(raw + 4, 4),
				.lba = get_le(raw + 8, 8),
				.addr = get_le(raw + 16, 8) };
	d->sq_head = (d->sq_head + 1) % PTBLK_QSIZE;
	sc = execute(d, &e, &moved);
	post(d, e.cid, sc, moved);
	return true;
}

unsigned ptblk_service(struct ptblk *d)
{
	unsigned n = 0;

	follow_cc(d);
	while (d->enabled && !(atomic_load(&d->csts) & PTBLK_CSTS_CFS) &&
	       n < PTBLK_QSIZE && take_one(d))
		n++;
	return n;
}

/* ------------------------------------------------------------------
 * The device's thread: poll, spin a while after work, then nap.
 */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void nap(struct ptblk *d, struct pt_thread *t, uint64_t *ns,
		bool forever)
{
	struct timespec ts = { 0, (long)*ns };
	struct pollfd p = { .fd = t->wake_r, .events = POLLIN };
	char junk[64];

	atomic_fetch_add_explicit(&d->sleeps, 1, memory_order_relaxed);
	if (ppoll(&p, 1, forever ? NULL : &ts, NULL) > 0) {
		while (read(t->wake_r, junk, sizeof(junk)) > 0)
			;
		atomic_fetch_add_explicit(&d->wakes, 1, memory_order_relaxed);
		*ns = PT_NAP_MIN_NS;
	} else if (*ns < PT_NAP_MAX_NS) {
		*ns *= 2;
	}
}

/*
 * The device thread's seccomp filter (this thread only: no TSYNC).  A
 * refused call traps (SIGSYS), and a call of another ABI kills, as
 * under the monitor's sandbox (the filter is devices/seccomp.c's).
 */
static int wall(void)
{
	static const int allow[] = {
		SYS_ppoll, SYS_read, SYS_pread64, SYS_pwrite64, SYS_fsync,
		SYS_clock_gettime, SYS_close, SYS_rt_sigprocmask, SYS_madvise,
		SYS_munmap, SYS_futex, SYS_rseq, SYS_exit,
#if defined(__SANITIZE_ADDRESS__)
		/* ASan's end of a thread: its alternate signal stack and
		 * allocator caches (measured with strace -f) */
		SYS_sigaltstack, SYS_mmap, SYS_gettid, SYS_getpid,
		SYS_sched_getaffinity, SYS_write, SYS_tgkill,
#endif
	};

	return seccomp_allow_only(allow, sizeof(allow) / sizeof(allow[0]),
				  SECCOMP_RET_TRAP);
}

static void *pt_main(void *arg)
{
	struct ptblk *d = arg;
	struct pt_thread *t = d->thread;
	uint64_t last = clock_host_ns(), ns = PT_NAP_MIN_NS;
	int end_w = t->end_w;

	if (wall() < 0) {
		atomic_store(&t->wall_errno, errno);
		atomic_store(&t->walled, -1);
		t->stop = true; /* ptblk_start stops it */
	} else {
		atomic_store(&t->walled, 1);
	}

	while (!atomic_load_explicit(&t->stop, memory_order_acquire)) {
		bool live;

		if (ptblk_service(d)) {
			last = clock_host_ns();
			ns = PT_NAP_MIN_NS;
			continue;
		}
		live = d->enabled &&
		       !(atomic_load(&d->csts) & PTBLK_CSTS_CFS);
		if (live && clock_host_ns() - last < PT_SPIN_NS) {
			cpu_relax();
			continue;
		}
		nap(d, t, &ns, !live);
		if (ns == PT_NAP_MIN_NS)
			last = clock_host_ns(); /* poked: look hard again */
	}
	iothread_finish(&t->finished, end_w);
	return NULL;
}

/* Poke the thread: CC changed, or it must stop. */
static void poke(struct ptblk *d)
{
	char c = 1;

	if (d->thread) {
		ssize_t n = write(d->thread->wake_w, &c, 1);

		(void)n; /* a full pipe (EAGAIN) has pokes enough */
	}
}

static void stop_thread(struct ptblk *d);

int ptblk_start(struct ptblk *d, char *why, size_t len)
{
	struct pt_thread *t = calloc(1, sizeof(*t));
	int wake[2], end[2];
	int rc;

	if (!t) {
		snprintf(why, len, "passthru disk: out of memory");
		return -1;
	}
	if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(why, len, "passthru disk: pipe: %s", strerror(errno));
		free(t);
		return -1;
	}
	if (pipe2(end, O_CLOEXEC) < 0) {
		snprintf(why, len, "passthru disk: pipe: %s", strerror(errno));
		close(wake[0]), close(wake[1]);
		free(t);
		return -1;
	}
	t->wake_r = wake[0], t->wake_w = wake[1];
	t->end_r = end[0], t->end_w = end[1];
	d->thread = t;
	rc = pthread_create(&t->tid, NULL, pt_main, d);
	if (rc) {
		snprintf(why, len, "passthru disk: thread: %s", strerror(rc));
		close(wake[0]), close(wake[1]), close(end[0]), close(end[1]);
		d->thread = NULL;
		free(t);
		return -1;
	}
	pthread_detach(t->tid); /* joined by its end pipe: ptblk_close */
	while (!atomic_load(&t->walled))
		sched_yield(); /* set-up: the sandbox is not on yet */
	if (atomic_load(&t->walled) < 0) {
		snprintf(why, len, "passthru disk: its thread's seccomp "
			 "filter: %s", strerror(atomic_load(&t->wall_errno)));
		stop_thread(d);
		return -1;
	}
	return 0;
}

/* Stop the thread and wait for it: its end pipe closes as it returns. */
static void stop_thread(struct ptblk *d)
{
	struct pt_thread *t = d->thread;

	atomic_store_explicit(&t->stop, true, memory_order_release);
	poke(d);
	iothread_wait(t->end_r, &t->finished);
	close(t->wake_r), close(t->wake_w), close(t->end_r);
	free(t);
	d->thread = NULL;
}

/* ------------------------------------------------------------------
 * The vCPU thread's side: configuration space.
 */

static bool touches(unsigned off, unsigned size, unsigned reg, unsigned n)
{
	return off < reg + n && off + size > reg;
}

/* Requests in flight: the device is running and the driver's tail is
 * ahead of the device's head. */
static bool busy(struct ptblk *d)
{
	const uint8_t *page;
	uint64_t qaddr = atomic_load(&d->want_qaddr);
	uint32_t tail;

	if ((atomic_load(&d->csts) & (PTBLK_CSTS_RDY | PTBLK_CSTS_CFS)) !=
		    PTBLK_CSTS_RDY ||
	    !(page = gm_ptr(d->mem, qaddr, PTBLK_PAGE)))
		return false;
	tail = (uint32_t)get_le(page + PTBLK_SQ_TAIL, 4);
	return tail < PTBLK_QSIZE && /* else no request: CFS is coming */
	       tail != atomic_load_explicit(&d->seen_head,
					    memory_order_acquire);
}

/* A read of the device's registers: count it, give CSTS as it is. */
static void cfg_reading(void *opaque, unsigned off, unsigned size)
{
	struct ptblk *d = opaque;

	if (!touches(off, size, PTBLK_CFG_QADDR,
		     PTBLK_CFG_END - PTBLK_CFG_QADDR))
		return;
	d->cfg_accesses++;
	d->cfg_busy += busy(d);
	d->cfg_csts += touches(off, size, PTBLK_CFG_CSTS, 4);
	put_le(&d->pci.config.cfg[PTBLK_CFG_CSTS], 4,
	       atomic_load_explicit(&d->csts, memory_order_acquire));
}

/* A write: QADDR is posted as written, CC.EN pokes the device. */
static void cfg_written(void *opaque, unsigned off, unsigned size)
{
	struct ptblk *d = opaque;
	const uint8_t *cfg = d->pci.config.cfg;

	if (!touches(off, size, PTBLK_CFG_QADDR,
		     PTBLK_CFG_END - PTBLK_CFG_QADDR))
		return;
	d->cfg_accesses++;
	d->cfg_busy += busy(d);
	if (touches(off, size, PTBLK_CFG_QADDR, 8))
		atomic_store(&d->want_qaddr, get_le(&cfg[PTBLK_CFG_QADDR], 8));
	if (touches(off, size, PTBLK_CFG_CC, 4)) {
		uint32_t en = cfg[PTBLK_CFG_CC] & PTBLK_CC_EN;
		bool bm = get_le(&cfg[PCI_COMMAND], 2) & PCI_COMMAND_MASTER;

		atomic_store_explicit(&d->want_en,
				      en | (bm ? 0 : PT_WANT_NOBM),
				      memory_order_release);
		poke(d);
	}
}

/* The function: no BAR, no interrupt pin, the registers above 0x40. */
static void pci_setup(struct ptblk *d, uint8_t dev)
{
	struct pci_config *c = &d->pci.config;

	pci_device_init(&d->pci, dev, PTBLK_VENDOR_ID, PTBLK_DEVICE_ID, 1,
			PTBLK_CLASS, 0);
	put_le(&c->cfg[PCI_SUBSYSTEM_VENDOR_ID], 2, PTBLK_VENDOR_ID);
	put_le(&c->cfg[PCI_SUBSYSTEM_ID], 2, PTBLK_DEVICE_ID);
	put_le(&c->cfg[PTBLK_CFG_CAPACITY], 8, d->nsectors);
	put_le(&c->cfg[PTBLK_CFG_CSTS], 4, atomic_load(&d->csts));
	put_le(&c->cfg[PTBLK_CFG_QSIZE], 2, PTBLK_QSIZE);
	/* read-only above the header but for QADDR's page bits and CC.EN */
	memset(&c->wmask[PCI_CONFIG_HEADER_SIZE], 0,
	       PCI_CONFIG_SPACE_SIZE - PCI_CONFIG_HEADER_SIZE);
	put_le(&c->wmask[PTBLK_CFG_QADDR], 8, ~(uint64_t)(PTBLK_PAGE - 1));
	c->wmask[PTBLK_CFG_CC] = PTBLK_CC_EN;
	d->pci.opaque = d;
	d->pci.cfg_reading = cfg_reading;
	d->pci.cfg_written = cfg_written;
}

int ptblk_open(struct ptblk *d, uint8_t dev, const char *path, bool ro,
	       struct guest_mem *mem, char *why, size_t len)
{
	uint64_t bytes;
	int fd;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	fd = disk_image_open(path, ro, &bytes, why, len);
	if (fd < 0)
		return -1;
	if (bytes == 0 || bytes % PTBLK_SECTOR) {
		snprintf(why, len, "disk %s: not a regular file whose size is "
			 "a positive multiple of %d", path, PTBLK_SECTOR);
		close(fd);
		return -1;
	}
	d->fd = fd;
	d->read_only = ro;
	d->nsectors = bytes / PTBLK_SECTOR;
	d->mem = mem;
	atomic_store(&d->csts, ro ? PTBLK_CSTS_RO : 0);
	pci_setup(d, dev);
	return 0;
}

void ptblk_close(struct ptblk *d)
{
	if (d->thread)
		stop_thread(d);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

/*
 * The passed-through claim in numbers: the requests cost the vCPU no
 * register access at all; what accesses there are went to set-up
 * (enable, disable, CSTS), so per KiB they shrink as the data grows.
 */
void ptblk_print(const struct ptblk *d, FILE *f)
{
	uint64_t bytes = atomic_load(&d->bytes), kib100 = bytes * 100 / 1024;

	fprintf(f, "ptblk: requests %" PRIu64 " (%" PRIu64 " failed), "
		"register accesses %" PRIu64 " in all (configuration space, "
		"set-up), %" PRIu64 " of them with requests in flight, %"
		PRIu64 " of them CSTS reads\n", atomic_load(&d->requests),
		atomic_load(&d->errors), d->cfg_accesses, d->cfg_busy,
		d->cfg_csts);
	if (bytes)
		fprintf(f, "ptblk: data %" PRIu64 ".%02" PRIu64 " KiB, %.1f "
			"register accesses per KiB, %.1f on the data path\n",
			kib100 / 100, kib100 % 100,
			(double)d->cfg_accesses * 1024 / (double)bytes,
			(double)d->cfg_busy * 1024 / (double)bytes);
	if (d->thread)
		fprintf(f, "ptblk device thread: naps %" PRIu64 ", woken by "
			"a CC write %" PRIu64 "\n", atomic_load(&d->sleeps),
			atomic_load(&d->wakes));
}

/*
 * engines/softcpu/host.c - what the real machine under softcpu says.
 *
 * In --isa=x86 the sensitive-unprivileged instructions show the real
 * machine's state, as they do to a guest kernel at the real ring 3
 * (isa/CONTRACT.md).  On an x86-64 host that machine is the host itself:
 * cpuid and rdtsc run natively, and sgdt, sidt, sldt, str and smsw are
 * asked once, at init, in a child process, so that a host whose kernel
 * enforces UMIP (where they may kill the asker) costs only the defaults.
 * Other hosts get fixed, Linux-like values.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engines/softcpu/softcpu.h"

#if defined(__x86_64__)
void sc_host_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

uint64_t sc_host_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}
#else
void sc_host_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	(void)leaf;
	(void)sub;
	r[0] = r[1] = r[2] = r[3] = 0;
}

uint64_t sc_host_rdtsc(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
#endif

/* ------------------------------------------------------- host probe */

#if defined(__x86_64__)
/* Executed in a child: the host's sgdt, sidt, sldt, str, smsw. */
static void probe_tables(struct sc_host *h)
{
	__asm__ volatile("sgdt %0" : "=m"(h->gdtr));
	__asm__ volatile("sidt %0" : "=m"(h->idtr));
	__asm__ volatile("sldt %0" : "=m"(h->ldtr));
	__asm__ volatile("str %0" : "=m"(h->tr));
	__asm__ volatile("smsw %0" : "=r"(h->msw));
}

/* Run probe_tables in a child; returns 0 if it reported back. */
static int probe_in_child(struct sc_host *h)
{
	int fd[2];
	struct sc_host got;

	if (pipe(fd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		close(fd[0]);
		probe_tables(h);
		ssize_t n = write(fd[1], h, sizeof(*h));
		_exit(n == (ssize_t)sizeof(*h) ? 0 : 1);
	}
	close(fd[1]);
	ssize_t n = read(fd[0], &got, sizeof(got));
	close(fd[0]);
	waitpid(pid, NULL, 0);
	if (n != (ssize_t)sizeof(got))
		return -1;
	*h = got;
	return 0;
}
#endif

/*
 * Defaults for hosts that cannot tell: a Linux-like layout (GDT and IDT
 * in the kernel half, TR = 0x40, no LDT, CR0 = PG|AM|WP|NE|ET|MP|PE).
 */
static void host_defaults(struct sc_host *h)
{
	static const uint8_t gdtr[10] = { 0x7f, 0, 0, 0, 0x60, 0x8e, 0xff,
					  0xff, 0xff, 0xff };
	static const uint8_t idtr[10] = { 0xff, 0x0f, 0, 0, 0, 0, 0xe0,
					  0xff, 0xff, 0xff };

	memcpy(h->gdtr, gdtr, sizeof(gdtr));
	memcpy(h->idtr, idtr, sizeof(idtr));
	h->ldtr = 0;
	h->tr = 0x40;
	h->msw = 0x80050033;
}

void sc_host_probe(struct sc_host *h)
{
	memset(h, 0, sizeof(*h));
	host_defaults(h);
#if defined(__x86_64__)
	uint32_t r[4];

	fflush(NULL); /* the child must not flush our buffers twice */
	probe_in_child(h);
	h->native = true;
	sc_host_cpuid(0x80000000, 0, r);
	uint32_t maxext = r[0];
	if (maxext >= 0x80000001) {
		sc_host_cpuid(0x80000001, 0, r);
		h->has_rdtscp = r[3] & CPUID_80000001_EDX_RDTSCP;
	}
	sc_host_cpuid(0, 0, r);
	if (r[0] >= 7) {
		sc_host_cpuid(7, 0, r);
		h->has_rdpid = r[2] & CPUID_7_ECX_RDPID;
	}
	sc_host_cpuid(1, 0, r);
	h->has_xgetbv = r[2] & CPUID_1_ECX_OSXSAVE;
#endif
}

/*
 * guests/toyos/user_heap.c - heap: the demand-paged heap and fork's copy.
 *
 * sbrk only moves the break; each heap page is mapped by the page fault
 * handler when it is first touched, and arrives full of zeros.  A child
 * made by fork gets its own copy of every page: what it writes, its parent
 * does not see.  A touch above the break is still a fault, and kills.
 */
#include "user.h"

#define HEAP_PAGES 4
#define HEAP_BYTES (HEAP_PAGES * UPAGE_SIZE)

/* The byte the parent writes at offset i. */
static unsigned char pattern(unsigned long i)
{
	return (unsigned char)(i * 7 + 3);
}

/* Whether every byte of the heap's n bytes reads as zero. */
static int all_zero(volatile const unsigned char *p, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Whether the parent's pattern is intact. */
static int has_pattern(volatile const unsigned char *p, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		if (p[i] != pattern(i))
			return 0;
	return 1;
}

/* The child: scribble over its copy, then touch above the break. */
static void child(volatile unsigned char *heap)
{
	volatile unsigned char *brk = sbrk(0);

	for (unsigned long i = 0; i < HEAP_BYTES; i++)
		heap[i] = 0x5a;
	printf("heap: child %d overwrote its copy of the heap\n", getpid());
	printf("heap: child touches 0x%lx, the break\n", (unsigned long)brk);
	*brk = 1;
	printf("heap: child survived a touch above the break!\n");
	exit(1);
}

int prog_heap(void)
{
	volatile unsigned char *heap = sbrk(HEAP_BYTES);
	int *status, pid;

	printf("heap: sbrk(%d) grew the heap at 0x%lx; no page mapped yet\n",
	       HEAP_BYTES, (unsigned long)heap);
	if (!all_zero(heap, HEAP_BYTES))
		printf("heap: FAIL: a new heap page is not zero\n");
	printf("heap: %d pages paged in on first touch, all zeros\n",
	       HEAP_PAGES);
	for (unsigned long i = 0; i < HEAP_BYTES; i++)
		heap[i] = pattern(i);

	/* A new page the kernel itself touches first: wait writes there. */
	status = sbrk(UPAGE_SIZE);
	pid = fork();
	if (pid == 0)
		child(heap);
	wait(status);
	printf("heap: child %d ended with status %d\n", pid, *status);
	printf("heap: the parent's copy is %s\n",
	       has_pattern(heap, HEAP_BYTES) ? "intact" : "CORRUPTED");
	return has_pattern(heap, HEAP_BYTES) ? 0 : 1;
}

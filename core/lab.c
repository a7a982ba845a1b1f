/*
 * core/lab.c - the helpers behind the holes of a lab skeleton.
 *
 * See core/lab.h.  A student running an unfinished tree should read
 * which function is missing and where the handout explains it, not a
 * stack trace: a missing routine is a guest that cannot go on (tier 2 of
 * the errors in core/panic.h), never a monitor that crashes.
 */
#include <stdio.h>

#include "core/lab.h"
#include "core/vm.h"

/* Each lab's handout, where a hole's message sends the student. */
static const char *lab_handout(int lab)
{
	static const char *const handout[] = {
		[1] = "labs/01-classify/README.md",
		[2] = "labs/02-trap-and-emulate/README.md",
		[3] = "labs/03-exceptions/README.md",
		[4] = "labs/04-shadow-paging/README.md",
		[5] = "labs/05-devices/README.md",
		[6] = "labs/06-hardware-assist/README.md",
		[7] = "labs/07-scan-and-patch/README.md",
		[8] = "labs/08-virtio-backend/README.md",
		[9] = "labs/09-paging-formats/README.md",
	};

	if (lab < 1 || lab >= (int)(sizeof(handout) / sizeof(handout[0])) ||
	    !handout[lab])
		return "labs/README.md";
	return handout[lab];
}

void lab_todo(struct vm *vm, int lab, const char *what)
{
	vm_kill(vm, LAB_EXIT_TODO, "lab %d: %s is not written yet (see %s)",
		lab, what, lab_handout(lab));
}

void lab_note(bool *said, int lab, const char *what)
{
	if (*said)
		return;
	*said = true;
	fflush(stdout);
	fprintf(stderr, "trapvisor: lab %d: %s is not written yet (see %s)\n",
		lab, what, lab_handout(lab));
}

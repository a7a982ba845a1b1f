/*
 * core/lab.h - what a hole in a student's tree calls.
 *
 * The coursework (labs/) cuts reference code out of the monitor and leaves
 * a marked hole in its place (scripts/lab-skeleton.sh).  A hole must build
 * and must never crash: it stops the guest with one clear line, or, where
 * no VM is at hand (a device chip, the classification table), says once
 * that the code is missing and lets the caller go on with a neutral value.
 * The full tree never calls these functions.
 */
#ifndef CORE_LAB_H
#define CORE_LAB_H

#include <stdbool.h>

struct vm;

/* Status of a guest stopped by a hole: that of any fatal guest error. */
#define LAB_EXIT_TODO 125

/*
 * Stop the guest: "trapvisor: lab N: WHAT is not written yet (see
 * labs/NN-name/README.md)", the lab's own handout, on stderr, status
 * LAB_EXIT_TODO.  The grader (scripts/grade.sh) stops a guest run as soon
 * as a line like it appears.
 */
void lab_todo(struct vm *vm, int lab, const char *what);

/*
 * The same line, printed only the first time *said is false; for holes in
 * code that has no VM to stop.  The caller continues with a neutral value.
 */
void lab_note(bool *said, int lab, const char *what);

#endif /* CORE_LAB_H */

/*
 * tests/unit/support/devvm.h - a small machine for the device tests.
 *
 * A VM on softcpu whose UART writes into a pipe (dev_pipe[0] reads what
 * the guest would have printed), and port accesses that go through the
 * machine's one port map, devices_io(), as a trapped in or out does.
 */
#ifndef TESTS_UNIT_SUPPORT_DEVVM_H
#define TESTS_UNIT_SUPPORT_DEVVM_H

#include <stdint.h>

#include "core/vm.h"

extern struct vm dev_vm;
extern int dev_pipe[2];  /* [0]: the UART's output; [1]: its end */

/* Create dev_vm from opt (NULL: 2 MiB on softcpu).  0, or -1. */
int dev_vm_make(const struct vm_options *opt);
/* cmocka fixtures: dev_vm_make(NULL), and the release of all of it. */
int dev_vm_setup(void **state);
int dev_vm_teardown(void **state);

/* An in or out of size 1, 2 or 4 bytes at port, through devices_io(). */
uint32_t dev_in(uint16_t port, unsigned size);
void dev_out(uint16_t port, unsigned size, uint32_t v);

#endif /* TESTS_UNIT_SUPPORT_DEVVM_H */

/*
 * monitor/qemu_args.h - the QEMU-compatible command line (trapvisor-qemu).
 */
#ifndef MONITOR_QEMU_ARGS_H
#define MONITOR_QEMU_ARGS_H

#include <stdbool.h>

#include "core/vm.h"

/*
 * Is argv0 (the name the binary was started under) trapvisor-qemu?  Only
 * its last path component counts, so build/trapvisor-qemu and a copy on
 * $PATH both are.
 */
bool qemu_args_wanted(const char *argv0);

/*
 * Translate the qemu-system-x86_64 options in argv into *opt, the same
 * options trapvisor's own command line fills.  Anything outside the
 * supported subset (qemu_args.c, and trapvisor-qemu --help) prints one
 * line on stderr naming it and exits with status 2; --help and -version
 * print to stdout and exit 0.  opt->cmdline is allocated (main frees it);
 * the other strings in *opt point into argv, whose -drive values are cut
 * short in place (file=F,... to F).
 */
void qemu_args_parse(int argc, char **argv, struct vm_options *opt);

#endif

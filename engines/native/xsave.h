/*
 * engines/native/xsave.h - where the parts of the host's XSAVE area lie
 * (SDM vol. 1, 13.4), for the engine's switch of a child's extended state
 * (space.c) and the benchmark that measures that switch (bench/xstate.c).
 *
 * AMX's tile data (XSAVE component 18) is the last and by far the biggest
 * part of the state: 8,192 of the 11,008 bytes on a host with AMX.  When
 * the header's XSTATE_BV (byte 512 of the standard format, 13.4.2) says it
 * is in its initial state, the kernel fills it with zeros, so the state is
 * known from the bytes before it.
 */
#ifndef ENGINES_NATIVE_XSAVE_H
#define ENGINES_NATIVE_XSAVE_H

#include <cpuid.h>
#include <stddef.h>

#define XSAVE_XSTATE_BV 512    /* the header's component bitmap */
#define XFEATURE_TILEDATA 18   /* AMX's tile data */

/* Where the tile data starts (CPUID.(EAX=0DH,ECX=18).EBX), 0: none.
 * Asked once: cpuid in a virtual machine is an exit of its own.  The
 * answer is kept per file that includes this (a static inline's static):
 * the engine asks in space.c only, first in nat_spaces_start, before its
 * cpuid may fault (--isa=x86,cpuid-fault, child.c). */
static inline size_t xsave_tiledata_at(void)
{
	static long at = -1;
	unsigned a = 0, b = 0, c, d;

	if (at < 0) {
		if (__get_cpuid_max(0, NULL) >= 0xd)
			__cpuid_count(0xd, XFEATURE_TILEDATA, a, b, c, d);
		at = a ? (long)b : 0;
	}
	return (size_t)at;
}

#endif /* ENGINES_NATIVE_XSAVE_H */

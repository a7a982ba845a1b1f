/*
 * tests/diff32/layout.h - where the sequences' data lives, shared by the
 * generator (gen.c, on the host) and the harness (harness.c, in the guest).
 *
 * The buffer and the stack sit below 64 KiB, so that 16-bit addressing
 * (the 0x67 prefix, [bx+si+disp] and SI/DI/CX in string instructions)
 * reaches them with the flat segments a multiboot loader leaves; and
 * below the 640 KiB of conventional memory, which is RAM on a PC.  The
 * harness fills every region here before each sequence and checksums
 * them after it.
 */
#ifndef TESTS_DIFF32_LAYOUT_H
#define TESTS_DIFF32_LAYOUT_H

#define DATA 0x6000       /* the buffer memory operands address */
#define DATA_SIZE 0x1000
#define STK 0x7000        /* the sequence's stack page */
#define STK_SIZE 0x1000
#define STK_TOP 0x7800    /* ESP at the start of every sequence */

/*
 * Where 16-bit string instructions wrap: SI or DI walks from 0xFFFF to 0
 * (or back), and an element at 0xFFFF reaches 0x10000 (the address wraps,
 * the access does not).  Also filled and checksummed.
 */
#define WRAP_LOW 0x0      /* 0x0000..0x00ff */
#define WRAP_LOW_SIZE 0x100
#define WRAP_HIGH 0xff00  /* 0xff00..0x100ff */
#define WRAP_HIGH_SIZE 0x200

#endif

/*
 * tests/diff32/layout.h - where the sequences' data lives, shared by the
 * generator (gen.c, on the host) and the harness (harness.c, in the guest).
 *
 * Both regions sit below 64 KiB, so that 16-bit addressing (the 0x67
 * prefix, [bx+si+disp] and SI/DI/CX in string instructions) reaches them
 * with the flat segments a multiboot loader leaves; and below the 640 KiB
 * of conventional memory, which is RAM on a PC.  The harness fills them
 * before each sequence and checksums both after it.
 */
#ifndef TESTS_DIFF32_LAYOUT_H
#define TESTS_DIFF32_LAYOUT_H

#define DATA 0x6000       /* the buffer memory operands address */
#define DATA_SIZE 0x1000
#define STK 0x7000        /* the sequence's stack page */
#define STK_SIZE 0x1000
#define STK_TOP 0x7800    /* ESP at the start of every sequence */

#endif

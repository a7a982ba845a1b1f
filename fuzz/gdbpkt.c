/*
 * fuzz/gdbpkt.c - the gdb stub's packet layer (monitor/gdbpkt.c) on
 * arbitrary bytes from the network.
 *
 * The input is fed one byte at a time to the receiver, as TCP may split
 * it anywhere; every packet it completes is parsed into a command, and
 * every payload is framed again and received back.  What must hold: no
 * crash, no read or write outside the buffers (ASan); a parsed command's
 * data lies inside the packet; a framed reply, fed to a fresh receiver,
 * comes back as the same payload with a good checksum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/gdbpkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A payload framed and received again must be itself. */
static void round_trip(const char *payload, size_t len)
{
	static char frame[2 * GDBPKT_MAX + 8];
	static struct gdbpkt_rx rx;
	enum gdbpkt_event e = GDBPKT_NONE;
	size_t n = gdbpkt_frame(payload, len, frame, sizeof(frame));

	if (!n)
		abort(); /* 2 * GDBPKT_MAX + 4 always holds a payload */
	gdbpkt_rx_init(&rx);
	for (size_t i = 0; i < n; i++)
		e = gdbpkt_rx_byte(&rx, (uint8_t)frame[i]);
	if (e != GDBPKT_PACKET)
		abort();
	long m = gdbpkt_unescape(rx.buf, rx.len);
	if (m != (long)len || memcmp(rx.buf, payload, len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gdbpkt_rx rx;
	static char copy[GDBPKT_MAX + 1];
	struct gdb_cmd cmd;

	gdbpkt_rx_init(&rx);
	for (size_t i = 0; i < size; i++) {
		if (gdbpkt_rx_byte(&rx, data[i]) != GDBPKT_PACKET)
			continue;
		if (rx.len > GDBPKT_MAX || rx.buf[rx.len] != '\0')
			abort();
		memcpy(copy, rx.buf, rx.len + 1);
		round_trip(copy, rx.len);
		gdbpkt_parse(rx.buf, rx.len, &cmd);
		if (cmd.data && ((char *)cmd.data < rx.buf ||
		    (char *)cmd.data + cmd.ndata > rx.buf + rx.len))
			abort();
		if (cmd.annex && (cmd.annex < rx.buf ||
		    cmd.annex > rx.buf + rx.len))
			abort();
	}
	return 0;
}

/*
 * monitor/gdbpkt.h - the GDB remote protocol's packets, without a VM.
 *
 * gdb talks to a stub over a byte stream in packets (the GDB manual,
 * "Remote Protocol", "Overview"):
 *
 *     $payload#cc      cc: the payload's byte sum modulo 256, two hex
 *                      digits; the receiver answers + (good) or - (send
 *                      it again) until both sides agree to QStartNoAckMode
 *     0x03             outside a packet: Ctrl-C, stop the target
 *
 * In a payload '}' escapes the next byte (XORed with 0x20): binary data
 * (X) carries '$', '#' and '}' so.  This file is the part of the stub
 * that the network can reach: the receiver (a state machine fed one byte
 * at a time, so that a packet split anywhere by TCP, or never finished,
 * is no problem), the parser of the commands trapvisor answers into a
 * struct gdb_cmd, and the encoder of replies.  It knows no VM, so that
 * the fuzzer (fuzz/gdbpkt.c) and the unit tests drive it on their own.
 */
#ifndef MONITOR_GDBPKT_H
#define MONITOR_GDBPKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest payload either side sends: told to gdb in qSupported. */
#define GDBPKT_MAX 4096

/* What a byte completed, if anything. */
enum gdbpkt_event {
	GDBPKT_NONE,       /* nothing yet */
	GDBPKT_PACKET,     /* a packet with a good checksum: rx->buf */
	GDBPKT_BAD,        /* a packet with a bad checksum, or too long */
	GDBPKT_ACK,        /* '+' */
	GDBPKT_NAK,        /* '-': send the last reply again */
	GDBPKT_INTERRUPT,  /* 0x03 outside a packet: Ctrl-C */
};

/* The receiver.  buf holds the payload as sent (escapes still in it). */
struct gdbpkt_rx {
	enum { RX_IDLE, RX_DATA, RX_SUM1, RX_SUM2 } state;
	char buf[GDBPKT_MAX + 1]; /* NUL-terminated when a packet is done */
	size_t len;
	uint8_t sum;       /* running sum of the payload */
	uint8_t given;     /* the checksum's first digit */
	bool overflow;     /* more than GDBPKT_MAX bytes: refused */
};

void gdbpkt_rx_init(struct gdbpkt_rx *rx);
/* Feed one byte; returns what it completed. */
enum gdbpkt_event gdbpkt_rx_byte(struct gdbpkt_rx *rx, uint8_t b);

/*
 * Frame payload[0..len) as $...#cc into out (cap bytes), escaping '$',
 * '#', '}' and '*'.  Returns the frame's length, or 0 when it does not
 * fit.
 */
size_t gdbpkt_frame(const char *payload, size_t len, char *out, size_t cap);

/* Hex: encode n bytes as 2n digits (no NUL); decode 2n digits into n
 * bytes (-1 on a non-hex digit). */
void gdbpkt_hex_encode(const uint8_t *in, size_t n, char *out);
int gdbpkt_hex_decode(const char *in, size_t n, uint8_t *out);
/*
 * Undo the '}' escapes of binary data in place: returns the decoded
 * length, or -1 when the data ends inside an escape.
 */
long gdbpkt_unescape(char *data, size_t len);

/* The commands trapvisor answers (the GDB manual's packet names). */
enum gdb_cmd_kind {
	GDB_UNKNOWN,       /* answered with an empty packet */
	GDB_BAD,           /* a known command, malformed: answered E01 */
	GDB_STATUS,        /* ? */
	GDB_READ_REGS,     /* g */
	GDB_WRITE_REGS,    /* G hex */
	GDB_READ_REG,      /* p n */
	GDB_WRITE_REG,     /* P n=hex */
	GDB_READ_MEM,      /* m addr,len */
	GDB_WRITE_MEM,     /* M addr,len:hex and X addr,len:binary */
	GDB_CONTINUE,      /* c [addr], C sig[;addr], vCont;c */
	GDB_STEP,          /* s [addr], S sig[;addr], vCont;s */
	GDB_VCONT_QUERY,   /* vCont? */
	GDB_BREAK_INSERT,  /* Z type,addr,kind */
	GDB_BREAK_REMOVE,  /* z type,addr,kind */
	GDB_KILL,          /* k: no reply */
	GDB_VKILL,         /* vKill;pid: OK, then the end */
	GDB_DETACH,        /* D, D;pid */
	GDB_OK,            /* H, T, QStartNoAckMode's twin below: plain OK */
	GDB_NOACK,         /* QStartNoAckMode */
	GDB_SUPPORTED,     /* qSupported[:features] */
	GDB_XFER_FEATURES, /* qXfer:features:read:annex:off,len */
	GDB_RCMD,          /* qRcmd,hex: a monitor command */
	GDB_ATTACHED,      /* qAttached */
	GDB_CURRENT_THREAD,/* qC */
	GDB_THREADS_FIRST, /* qfThreadInfo */
	GDB_THREADS_NEXT,  /* qsThreadInfo */
};

struct gdb_cmd {
	enum gdb_cmd_kind kind;
	uint64_t addr;     /* m, M, X, Z, z, c/s with an address; p/P: reg */
	uint64_t len;      /* m, M, X; Z/z: kind; qXfer: length */
	uint64_t offset;   /* qXfer: offset */
	unsigned type;     /* Z/z: 0 sw break, 1 hw break, 2-4 watch */
	bool has_addr;     /* c/s: resume at addr */
	const char *annex; /* qXfer: the annex (in the packet, NUL-ended) */
	uint8_t *data;     /* G, P, M, X, qRcmd: decoded bytes (in the
			      packet's buffer) */
	size_t ndata;
};

/*
 * Parse the payload pkt[0..len) (NUL-terminated at len, as the receiver
 * leaves it) into *cmd.  The payload is changed in place (hex and
 * escapes decoded into it): cmd->data and cmd->annex point into it.
 */
void gdbpkt_parse(char *pkt, size_t len, struct gdb_cmd *cmd);

#endif /* MONITOR_GDBPKT_H */

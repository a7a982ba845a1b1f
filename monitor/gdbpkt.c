/*
 * monitor/gdbpkt.c - the GDB remote protocol's packets: receive, parse,
 * frame.  Everything here takes bytes from the network, so every length
 * is checked against the buffer it came in; nothing here knows a VM.
 */
#include <string.h>

#include "monitor/gdbpkt.h"

void gdbpkt_rx_init(struct gdbpkt_rx *rx)
{
	rx->state = RX_IDLE;
	rx->len = 0;
	rx->sum = 0;
	rx->overflow = false;
	rx->buf[0] = '\0';
}

/* The value of hex digit c, or -1. */
static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Between packets only '$' (a packet begins), '+', '-' and 0x03 mean
 * something; anything else (line noise, a telnet typing) is skipped.
 * Inside a packet a '$' starts over, as after a lost '#': gdb never
 * sends one unescaped.
 */
enum gdbpkt_event gdbpkt_rx_byte(struct gdbpkt_rx *rx, uint8_t b)
{
	int v;

	switch (rx->state) {
	case RX_IDLE:
		if (b == '$') {
			rx->state = RX_DATA;
			rx->len = 0;
			rx->sum = 0;
			rx->overflow = false;
		}
		return b == '+' ? GDBPKT_ACK : b == '-' ? GDBPKT_NAK :
		       b == 0x03 ? GDBPKT_INTERRUPT : GDBPKT_NONE;
	case RX_DATA:
		if (b == '$') {
			rx->len = 0;
			rx->sum = 0;
			rx->overflow = false;
		} else if (b == '#') {
			rx->state = RX_SUM1;
		} else {
			rx->sum = (uint8_t)(rx->sum + b);
			if (rx->len < GDBPKT_MAX)
				rx->buf[rx->len++] = (char)b;
			else
				rx->overflow = true;
		}
		return GDBPKT_NONE;
	case RX_SUM1:
		v = hexval(b);
		rx->given = (uint8_t)(v < 0 ? 0 : v);
		rx->overflow |= v < 0; /* not a checksum: refused */
		rx->state = RX_SUM2;
		return GDBPKT_NONE;
	case RX_SUM2:
		v = hexval(b);
		rx->state = RX_IDLE;
		rx->buf[rx->len] = '\0';
		if (v < 0 || rx->overflow ||
		    (uint8_t)(rx->given << 4 | v) != rx->sum)
			return GDBPKT_BAD;
		return GDBPKT_PACKET;
	}
	return GDBPKT_NONE;
}

size_t gdbpkt_frame(const char *payload, size_t len, char *out, size_t cap)
{
	static const char digits[] = "0123456789abcdef";
	size_t at = 0;
	uint8_t sum = 0;

	if (cap < 4)
		return 0;
	out[at++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)payload[i];
		bool esc = c == '$' || c == '#' || c == '}' || c == '*';

		if (at + (esc ? 2 : 1) + 3 > cap)
			return 0;
		if (esc) {
			out[at++] = '}';
			sum = (uint8_t)(sum + '}');
			c ^= 0x20;
		}
		out[at++] = (char)c;
		sum = (uint8_t)(sum + c);
	}
	out[at++] = '#';
	out[at++] = digits[sum >> 4];
	out[at++] = digits[sum & 15];
	return at;
}

void gdbpkt_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
}

int gdbpkt_hex_decode(const char *in, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval((unsigned char)in[2 * i]);
		int lo = hexval((unsigned char)in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

long gdbpkt_unescape(char *data, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '}') {
			if (++i == len)
				return -1;
			data[o++] = (char)(data[i] ^ 0x20);
		} else {
			data[o++] = data[i];
		}
	}
	return (long)o;
}

/* ------------------------------------------------------------------
 * Commands.  A small cursor over the payload: every read checks the end.
 */
struct cursor {
	char *p, *end;
};

static bool at_end(const struct cursor *c)
{
	return c->p >= c->end;
}

static bool take(struct cursor *c, char ch)
{
	if (at_end(c) || *c->p != ch)
		return false;
	c->p++;
	return true;
}

/* 1 to 16 hex digits into *v; false when there are none or too many. */
static bool take_hex(struct cursor *c, uint64_t *v)
{
	unsigned n = 0;
	int d;

	*v = 0;
	while (!at_end(c) && (d = hexval((unsigned char)*c->p)) >= 0) {
		if (++n > 16)
			return false;
		*v = *v << 4 | (uint64_t)d;
		c->p++;
	}
	return n > 0;
}

/* Does the payload begin with word, followed by its end or by one of
 * the separators in after? */
static bool starts(const struct cursor *c, const char *word,
		   const char *after)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return false;
	return c->p + n == c->end || strchr(after, c->p[n]);
}

/* Step over prefix when the payload begins with it. */
static bool skip_prefix(struct cursor *c, const char *prefix)
{
	size_t n = strlen(prefix);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, prefix, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* The rest of the payload is 2n hex digits: decode them in place. */
static bool take_hex_data(struct cursor *c, struct gdb_cmd *cmd)
{
	size_t n = (size_t)(c->end - c->p);

	if (n % 2 || gdbpkt_hex_decode(c->p, n / 2, (uint8_t *)c->p) < 0)
		return false;
	cmd->data = (uint8_t *)c->p;
	cmd->ndata = n / 2;
	c->p = c->end;
	return true;
}

/* addr,len */
static bool take_range(struct cursor *c, struct gdb_cmd *cmd)
{
	return take_hex(c, &cmd->addr) && take(c, ',') &&
	       take_hex(c, &cmd->len);
}

/* m addr,len / M addr,len:hex / X addr,len:binary */
static enum gdb_cmd_kind parse_mem(struct cursor *c, char op,
				   struct gdb_cmd *cmd)
{
	if (!take_range(c, cmd))
		return GDB_BAD;
	if (op == 'm')
		return at_end(c) ? GDB_READ_MEM : GDB_BAD;
	if (!take(c, ':'))
		return GDB_BAD;
	if (op == 'M') {
		if (!take_hex_data(c, cmd) || cmd->ndata != cmd->len)
			return GDB_BAD;
		return GDB_WRITE_MEM;
	}
	long n = gdbpkt_unescape(c->p, (size_t)(c->end - c->p));
	if (n < 0 || (uint64_t)n != cmd->len)
		return GDB_BAD;
	cmd->data = (uint8_t *)c->p;
	cmd->ndata = (size_t)n;
	return GDB_WRITE_MEM;
}

/* c [addr] / s [addr] / C sig[;addr] / S sig[;addr] */
static enum gdb_cmd_kind parse_resume(struct cursor *c, char op,
				      struct gdb_cmd *cmd)
{
	uint64_t sig;
	enum gdb_cmd_kind k = (op == 'c' || op == 'C') ? GDB_CONTINUE
						       : GDB_STEP;

	/* The signal is the guest's to ignore: a machine has none. */
	if ((op == 'C' || op == 'S') &&
	    (!take_hex(c, &sig) || (!at_end(c) && !take(c, ';'))))
		return GDB_BAD;
	if (at_end(c))
		return k;
	if (!take_hex(c, &cmd->addr) || !at_end(c))
		return GDB_BAD;
	cmd->has_addr = true;
	return k;
}

/*
 * vCont;action[:thread];...  One vCPU: the first action that names no
 * thread, or names thread 1 or -1 (all), is the one for it.  "t" (stop)
 * is for threads that run, and this target has none running when it
 * reads a command.
 */
static enum gdb_cmd_kind parse_vcont(struct cursor *c)
{
	while (take(c, ';')) {
		char op = at_end(c) ? 0 : *c->p++;
		uint64_t sig, tid = 1;
		bool mine = true;

		if ((op == 'C' || op == 'S') && !take_hex(c, &sig))
			return GDB_BAD;
		if (take(c, ':')) {
			bool neg = take(c, '-');
			if (!take_hex(c, &tid))
				return GDB_BAD;
			mine = neg ? tid == 1 : tid == 1 || tid == 0;
		}
		if (!at_end(c) && *c->p != ';')
			return GDB_BAD;
		if (!mine)
			continue;
		if (op == 'c' || op == 'C')
			return GDB_CONTINUE;
		if (op == 's' || op == 'S')
			return GDB_STEP;
		if (op != 't')
			return GDB_BAD;
	}
	return GDB_BAD;
}

/* Z type,addr,kind and z type,addr,kind */
static enum gdb_cmd_kind parse_break(struct cursor *c, char op,
				     struct gdb_cmd *cmd)
{
	uint64_t type;

	if (!take_hex(c, &type) || type > 4 || !take(c, ',') ||
	    !take_range(c, cmd))
		return GDB_BAD;
	cmd->type = (unsigned)type;
	/* conditions and commands (";X...") are gdb's to evaluate: the
	 * stub says so by not announcing ConditionalBreakpoints */
	if (!at_end(c) && *c->p != ';')
		return GDB_BAD;
	return op == 'Z' ? GDB_BREAK_INSERT : GDB_BREAK_REMOVE;
}

/* qXfer:features:read:annex:offset,length */
static enum gdb_cmd_kind parse_xfer(struct cursor *c, struct gdb_cmd *cmd)
{
	char *colon = memchr(c->p, ':', (size_t)(c->end - c->p));

	if (!colon)
		return GDB_BAD;
	*colon = '\0';
	cmd->annex = c->p;
	c->p = colon + 1;
	if (!take_hex(c, &cmd->offset) || !take(c, ',') ||
	    !take_hex(c, &cmd->len) || !at_end(c))
		return GDB_BAD;
	return GDB_XFER_FEATURES;
}

static enum gdb_cmd_kind parse_query(struct cursor *c, struct gdb_cmd *cmd)
{
	if (starts(c, "qSupported", ":"))
		return GDB_SUPPORTED;
	if (skip_prefix(c, "qXfer:features:read:"))
		return parse_xfer(c, cmd);
	if (starts(c, "qRcmd", ",")) {
		c->p += strlen("qRcmd");
		if (!take(c, ',') || !take_hex_data(c, cmd))
			return GDB_BAD;
		return GDB_RCMD;
	}
	if (starts(c, "qAttached", ":"))
		return GDB_ATTACHED;
	if (starts(c, "qC", ""))
		return GDB_CURRENT_THREAD;
	if (starts(c, "qfThreadInfo", ""))
		return GDB_THREADS_FIRST;
	if (starts(c, "qsThreadInfo", ""))
		return GDB_THREADS_NEXT;
	if (starts(c, "QStartNoAckMode", ""))
		return GDB_NOACK;
	return GDB_UNKNOWN;
}

/* v packets: vCont?, vCont;..., vKill;pid.  vMustReplyEmpty and the rest
 * are unknown, as the manual asks. */
static enum gdb_cmd_kind parse_v(struct cursor *c)
{
	if (starts(c, "vCont?", ""))
		return GDB_VCONT_QUERY;
	if (starts(c, "vCont", ";")) {
		c->p += strlen("vCont");
		return parse_vcont(c);
	}
	if (starts(c, "vKill", ";"))
		return GDB_VKILL;
	return GDB_UNKNOWN;
}

/* p n / P n=hex */
static enum gdb_cmd_kind parse_reg(struct cursor *c, char op,
				   struct gdb_cmd *cmd)
{
	if (!take_hex(c, &cmd->addr))
		return GDB_BAD;
	if (op == 'p')
		return at_end(c) ? GDB_READ_REG : GDB_BAD;
	if (!take(c, '=') || !take_hex_data(c, cmd))
		return GDB_BAD;
	return GDB_WRITE_REG;
}

static enum gdb_cmd_kind parse_kind(struct cursor *c, struct gdb_cmd *cmd)
{
	char op = *c->p;

	if (op == 'q' || op == 'Q')
		return parse_query(c, cmd);
	if (op == 'v')
		return parse_v(c);
	c->p++;
	switch (op) {
	case '?':
		return at_end(c) ? GDB_STATUS : GDB_BAD;
	case 'g':
		return at_end(c) ? GDB_READ_REGS : GDB_BAD;
	case 'G':
		return take_hex_data(c, cmd) ? GDB_WRITE_REGS : GDB_BAD;
	case 'p':
	case 'P':
		return parse_reg(c, op, cmd);
	case 'm':
	case 'M':
	case 'X':
		return parse_mem(c, op, cmd);
	case 'c':
	case 'C':
	case 's':
	case 'S':
		return parse_resume(c, op, cmd);
	case 'Z':
	case 'z':
		return parse_break(c, op, cmd);
	case 'k':
		return GDB_KILL;
	case 'D':
		return GDB_DETACH;
	case 'H': /* Hg / Hc thread: there is one */
	case 'T': /* T thread: alive */
		return GDB_OK;
	default:
		return GDB_UNKNOWN;
	}
}

void gdbpkt_parse(char *pkt, size_t len, struct gdb_cmd *cmd)
{
	struct cursor c = { pkt, pkt + len };

	*cmd = (struct gdb_cmd){ .kind = GDB_UNKNOWN };
	if (len == 0)
		return;
	cmd->kind = parse_kind(&c, cmd);
}

/*
 * tests/unit/test_gdbpkt.c - the gdb stub's packet layer
 * (monitor/gdbpkt.c): receiving packets split anywhere, checksums, acks
 * and Ctrl-C, framing with escapes, and the parse of every command the
 * stub answers, good and malformed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "monitor/gdbpkt.h"

static struct gdbpkt_rx rx;

/* Feed s; returns the last event that was not GDBPKT_NONE. */
static enum gdbpkt_event feed(const char *s, size_t n)
{
	enum gdbpkt_event last = GDBPKT_NONE, e;

	for (size_t i = 0; i < n; i++)
		if ((e = gdbpkt_rx_byte(&rx, (uint8_t)s[i])) != GDBPKT_NONE)
			last = e;
	return last;
}

static enum gdbpkt_event feed_str(const char *s)
{
	return feed(s, strlen(s));
}

static void test_receive(void **state)
{
	(void)state;
	gdbpkt_rx_init(&rx);
	/* "g" sums to 0x67 */
	assert_int_equal(feed_str("$g#67"), GDBPKT_PACKET);
	assert_string_equal(rx.buf, "g");
	assert_int_equal(feed_str("$g#68"), GDBPKT_BAD);
	assert_int_equal(feed_str("$g#6"), GDBPKT_NONE); /* not done yet */
	assert_int_equal(feed_str("7"), GDBPKT_PACKET);
	assert_int_equal(feed_str("+"), GDBPKT_ACK);
	assert_int_equal(feed_str("-"), GDBPKT_NAK);
	assert_int_equal(feed_str("\x03"), GDBPKT_INTERRUPT);
	/* noise between packets is skipped; a '$' inside one restarts it */
	assert_int_equal(feed_str("hello$xx$g#67"), GDBPKT_PACKET);
	assert_string_equal(rx.buf, "g");
	/* not a hex checksum */
	assert_int_equal(feed_str("$g#zz"), GDBPKT_BAD);
	/* 0x03 inside a packet is data, not Ctrl-C */
	assert_int_equal(feed("$\x03#03", 5), GDBPKT_PACKET);
	assert_int_equal(rx.len, 1);
}

static void test_too_long(void **state)
{
	static char big[GDBPKT_MAX + 10];

	(void)state;
	gdbpkt_rx_init(&rx);
	memset(big, 'a', sizeof(big));
	big[0] = '$';
	assert_int_equal(feed(big, sizeof(big)), GDBPKT_NONE);
	assert_int_equal(feed_str("#00"), GDBPKT_BAD);
	/* and the next packet is fine */
	assert_int_equal(feed_str("$g#67"), GDBPKT_PACKET);
}

static void test_frame(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(gdbpkt_frame("OK", 2, out, sizeof(out)), 6);
	assert_memory_equal(out, "$OK#9a", 6);
	/* '$', '#', '}' and '*' are escaped, the checksum covers the escape */
	size_t n = gdbpkt_frame("a#}", 3, out, sizeof(out));
	assert_int_equal(n, 9);
	assert_memory_equal(out, "$a}\x03}]#", 7);
	gdbpkt_rx_init(&rx);
	assert_int_equal(feed(out, n), GDBPKT_PACKET);
	assert_int_equal(gdbpkt_unescape(rx.buf, rx.len), 3);
	assert_memory_equal(rx.buf, "a#}", 3);
	/* no room */
	assert_int_equal(gdbpkt_frame("OK", 2, out, 5), 0);
}

static void test_hex(void **state)
{
	uint8_t b[4];
	char s[8];

	(void)state;
	assert_int_equal(gdbpkt_hex_decode("00fF7a", 3, b), 0);
	assert_int_equal(b[1], 0xff);
	assert_int_equal(b[2], 0x7a);
	assert_int_equal(gdbpkt_hex_decode("0g", 1, b), -1);
	gdbpkt_hex_encode((const uint8_t *)"\x01\xab", 2, s);
	assert_memory_equal(s, "01ab", 4);
	char esc[] = "a}";
	assert_int_equal(gdbpkt_unescape(esc, 2), -1);
}

/* Parse payload s (copied: the parser decodes in place). */
static char pkt[GDBPKT_MAX + 1];
static struct gdb_cmd parse(const char *s)
{
	struct gdb_cmd c;

	snprintf(pkt, sizeof(pkt), "%s", s);
	gdbpkt_parse(pkt, strlen(pkt), &c);
	return c;
}

static void test_parse_regs_and_memory(void **state)
{
	struct gdb_cmd c;

	(void)state;
	assert_int_equal(parse("?").kind, GDB_STATUS);
	assert_int_equal(parse("g").kind, GDB_READ_REGS);
	c = parse("G0102");
	assert_int_equal(c.kind, GDB_WRITE_REGS);
	assert_int_equal(c.ndata, 2);
	assert_int_equal(c.data[1], 2);
	assert_int_equal(parse("G012").kind, GDB_BAD);
	c = parse("p1a");
	assert_int_equal(c.kind, GDB_READ_REG);
	assert_int_equal(c.addr, 0x1a);
	c = parse("P10=d001100000000000");
	assert_int_equal(c.kind, GDB_WRITE_REG);
	assert_int_equal(c.addr, 0x10);
	assert_int_equal(c.ndata, 8);
	assert_int_equal(parse("P10").kind, GDB_BAD);
	c = parse("m1001d0,40");
	assert_int_equal(c.kind, GDB_READ_MEM);
	assert_int_equal(c.addr, 0x1001d0);
	assert_int_equal(c.len, 0x40);
	assert_int_equal(parse("m1001d0").kind, GDB_BAD);
	assert_int_equal(parse("m,4").kind, GDB_BAD);
	assert_int_equal(parse("m1,4x").kind, GDB_BAD);
	assert_int_equal(parse("m11111111111111111,1").kind, GDB_BAD);
	c = parse("M100,2:abcd");
	assert_int_equal(c.kind, GDB_WRITE_MEM);
	assert_int_equal(c.ndata, 2);
	assert_int_equal(c.data[0], 0xab);
	assert_int_equal(parse("M100,3:abcd").kind, GDB_BAD);
	c = parse("X100,2:}]z");
	assert_int_equal(c.kind, GDB_WRITE_MEM);
	assert_int_equal(c.ndata, 2);
	assert_int_equal(c.data[0], '}');
	assert_int_equal(c.data[1], 'z');
	c = parse("X100,0:");
	assert_int_equal(c.kind, GDB_WRITE_MEM);
	assert_int_equal(c.ndata, 0);
	assert_int_equal(parse("X100,1:}").kind, GDB_BAD);
}

static void test_parse_run_control(void **state)
{
	struct gdb_cmd c;

	(void)state;
	c = parse("c");
	assert_int_equal(c.kind, GDB_CONTINUE);
	assert_false(c.has_addr);
	c = parse("s1000");
	assert_int_equal(c.kind, GDB_STEP);
	assert_true(c.has_addr);
	assert_int_equal(c.addr, 0x1000);
	assert_int_equal(parse("C05").kind, GDB_CONTINUE);
	c = parse("S05;2000");
	assert_int_equal(c.kind, GDB_STEP);
	assert_int_equal(c.addr, 0x2000);
	assert_int_equal(parse("cz").kind, GDB_BAD);
	assert_int_equal(parse("vCont?").kind, GDB_VCONT_QUERY);
	assert_int_equal(parse("vCont;c").kind, GDB_CONTINUE);
	assert_int_equal(parse("vCont;s:1;c").kind, GDB_STEP);
	assert_int_equal(parse("vCont;s:2;c").kind, GDB_CONTINUE);
	assert_int_equal(parse("vCont;S05:-1").kind, GDB_STEP);
	assert_int_equal(parse("vCont;x").kind, GDB_BAD);
	assert_int_equal(parse("vCont;").kind, GDB_BAD);
	assert_int_equal(parse("vCont").kind, GDB_BAD);
	c = parse("Z0,1001d0,1");
	assert_int_equal(c.kind, GDB_BREAK_INSERT);
	assert_int_equal(c.type, 0);
	assert_int_equal(c.addr, 0x1001d0);
	c = parse("z2,111288,8");
	assert_int_equal(c.kind, GDB_BREAK_REMOVE);
	assert_int_equal(c.type, 2);
	assert_int_equal(c.len, 8);
	assert_int_equal(parse("Z0,1,1;X1,0").kind, GDB_BREAK_INSERT);
	assert_int_equal(parse("Z5,1,1").kind, GDB_BAD);
	assert_int_equal(parse("Z0,1").kind, GDB_BAD);
	assert_int_equal(parse("k").kind, GDB_KILL);
	assert_int_equal(parse("vKill;1").kind, GDB_VKILL);
	assert_int_equal(parse("D").kind, GDB_DETACH);
	assert_int_equal(parse("D;1").kind, GDB_DETACH);
}

static void test_parse_queries(void **state)
{
	struct gdb_cmd c;

	(void)state;
	assert_int_equal(parse("qSupported:multiprocess+;swbreak+").kind,
			 GDB_SUPPORTED);
	assert_int_equal(parse("qSupported").kind, GDB_SUPPORTED);
	assert_int_equal(parse("qSupportedX").kind, GDB_UNKNOWN);
	c = parse("qXfer:features:read:target.xml:0,ffb");
	assert_int_equal(c.kind, GDB_XFER_FEATURES);
	assert_string_equal(c.annex, "target.xml");
	assert_int_equal(c.offset, 0);
	assert_int_equal(c.len, 0xffb);
	assert_int_equal(parse("qXfer:features:read:target.xml").kind,
			 GDB_BAD);
	assert_int_equal(parse("qXfer:features:read:").kind, GDB_BAD);
	assert_int_equal(parse("qXfer:auxv:read::0,10").kind, GDB_UNKNOWN);
	c = parse("qRcmd,696e666f");
	assert_int_equal(c.kind, GDB_RCMD);
	assert_int_equal(c.ndata, 4);
	assert_memory_equal(c.data, "info", 4);
	assert_int_equal(parse("qRcmd,6").kind, GDB_BAD);
	assert_int_equal(parse("QStartNoAckMode").kind, GDB_NOACK);
	assert_int_equal(parse("qAttached").kind, GDB_ATTACHED);
	assert_int_equal(parse("qAttached:1").kind, GDB_ATTACHED);
	assert_int_equal(parse("qC").kind, GDB_CURRENT_THREAD);
	assert_int_equal(parse("qfThreadInfo").kind, GDB_THREADS_FIRST);
	assert_int_equal(parse("qsThreadInfo").kind, GDB_THREADS_NEXT);
	assert_int_equal(parse("Hg0").kind, GDB_OK);
	assert_int_equal(parse("vMustReplyEmpty").kind, GDB_UNKNOWN);
	assert_int_equal(parse("").kind, GDB_UNKNOWN);
	assert_int_equal(parse("?x").kind, GDB_BAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receive),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_parse_regs_and_memory),
		cmocka_unit_test(test_parse_run_control),
		cmocka_unit_test(test_parse_queries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

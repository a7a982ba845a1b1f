/*
 * tests/console/ptydrive.c - run a command on a fresh terminal and type
 * at it, for the console tests of tests/run.sh (suite guests).
 *
 *   ptydrive STEP... -- COMMAND [ARG...]
 *
 * COMMAND runs in its own session with a new pseudo-terminal as its
 * controlling terminal and standard input, output and error.  The steps,
 * in order:
 *   send:TEXT   type TEXT (bytes as given: the shell's printf makes them)
 *   wait:TEXT   wait until the output since the last wait contains TEXT
 *   term        send SIGTERM to COMMAND
 * Then wait for COMMAND to end.  Everything it wrote is copied to
 * standard output.  Exit status: COMMAND's own, 128 + N if signal N
 * ended it; 97 if the terminal's mode after it differs from the mode
 * before (it did not restore what it changed), 98 when a wait or the end
 * took more than PTY_TIMEOUT_S seconds, 99 for a bad command line or a
 * host error.  Waiting on what the command prints, never on a sleep,
 * keeps the tests independent of the machine's speed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PTY_TIMEOUT_S 60
#define OUT_MAX 65536

static char out[OUT_MAX + 1]; /* everything the command wrote */
static size_t out_len, out_mark; /* its length; where the last wait ended */

static void die(const char *what)
{
	fprintf(stderr, "ptydrive: %s: %s\n", what, strerror(errno));
	exit(99);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Copy what the terminal has into out[] (and stdout), waiting up to ms
 * for it: the bytes copied, 0 when none came, -1 at the end of output. */
static int pump(int master, int ms)
{
	struct pollfd p = { .fd = master, .events = POLLIN };
	char buf[4096];

	if (poll(&p, 1, ms) <= 0)
		return 0;
	ssize_t n = read(master, buf, sizeof(buf));
	if (n <= 0)
		return -1; /* EIO: every slave descriptor is closed */
	fwrite(buf, 1, (size_t)n, stdout);
	if (out_len + (size_t)n > OUT_MAX)
		n = (ssize_t)(OUT_MAX - out_len);
	memcpy(out + out_len, buf, (size_t)n);
	out_len += (size_t)n;
	out[out_len] = 0;
	return (int)n;
}

/* wait:TEXT - 1 when it showed in time. */
static int wait_for(int master, const char *text)
{
	double end = now_s() + PTY_TIMEOUT_S;

	while (now_s() < end) {
		char *at = strstr(out + out_mark, text);
		if (at) {
			out_mark = (size_t)(at - out) + strlen(text);
			return 1;
		}
		if (pump(master, 100) < 0)
			break;
	}
	fprintf(stderr, "ptydrive: no \"%s\" in the output\n", text);
	return 0;
}

/* The command's side: its own session, the terminal as everything. */
static void start_child(const char *slave_name, char **argv)
{
	int fd;

	setsid();
	fd = open(slave_name, O_RDWR);
	if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
		die(slave_name);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	execvp(argv[0], argv);
	die(argv[0]);
}

/* Run the steps; 0 when each went through. */
static int run_steps(int master, pid_t pid, char **steps, int n)
{
	for (int i = 0; i < n; i++) {
		const char *s = steps[i];
		if (strncmp(s, "send:", 5) == 0) {
			size_t len = strlen(s + 5);
			if (write(master, s + 5, len) != (ssize_t)len)
				die("write");
		} else if (strncmp(s, "wait:", 5) == 0) {
			if (!wait_for(master, s + 5))
				return 98;
		} else if (strcmp(s, "term") == 0) {
			kill(pid, SIGTERM);
		} else {
			fprintf(stderr, "ptydrive: unknown step '%s'\n", s);
			return 99;
		}
	}
	return 0;
}

/* Wait for the command to end, copying its output; its status, or 98. */
static int reap(int master, pid_t pid)
{
	double end = now_s() + PTY_TIMEOUT_S;
	int st;

	while (now_s() < end) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			while (pump(master, 50) > 0)
				;
			return WIFEXITED(st) ? WEXITSTATUS(st) :
					       128 + WTERMSIG(st);
		}
		pump(master, 50);
	}
	fprintf(stderr, "ptydrive: the command did not end\n");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 98;
}

int main(int argc, char **argv)
{
	int sep = 1;
	struct termios before, after;

	while (sep < argc && strcmp(argv[sep], "--") != 0)
		sep++;
	if (sep + 1 >= argc) {
		fprintf(stderr, "usage: ptydrive STEP... -- COMMAND [ARG...]\n");
		return 99;
	}
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
		die("posix_openpt");
	const char *slave_name = ptsname(master);
	/* Held open here too: the mode can be read after the command ends. */
	int slave = open(slave_name, O_RDWR | O_NOCTTY);
	if (slave < 0 || tcgetattr(slave, &before) < 0)
		die(slave_name);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		start_child(slave_name, argv + sep + 1);
	int rc = run_steps(master, pid, argv + 1, sep - 1);
	int st = reap(master, pid);
	if (rc)
		return rc;
	if (tcgetattr(slave, &after) < 0)
		die("tcgetattr");
	if (before.c_iflag != after.c_iflag || before.c_oflag != after.c_oflag ||
	    before.c_lflag != after.c_lflag || before.c_cflag != after.c_cflag ||
	    memcmp(before.c_cc, after.c_cc, sizeof(before.c_cc)) != 0) {
		fprintf(stderr, "ptydrive: the terminal's mode was not "
			"restored\n");
		return 97;
	}
	return st;
}

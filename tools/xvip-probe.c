/* xvip-probe: the client-visible side of a failover, for tests and benches.
 *
 *   xvip-probe serve ADDR PORT NAME
 *       accept TCP connections and answer each with "NAME\n", then close.
 *   xvip-probe connect ADDR PORT [TIMEOUT_MS]
 *       one connection: print what the server said; exit 0 if it answered.
 *   xvip-probe outage ADDR PORT DURATION_MS [INTERVAL_MS [TIMEOUT_MS]]
 *       try a connection every INTERVAL_MS (default 1) with a TIMEOUT_MS
 *       (default 5) deadline for DURATION_MS; print the number of attempts,
 *       successes, and the longest gap between two successful connections
 *       (the outage a client sees), with who answered before and after.
 *
 * Bounded in time and count, and only ever aimed at the address given (the
 * tests give a VIP inside their own network namespaces).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int parse_addr(const char *a, const char *p, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(p));
	return inet_pton(AF_INET, a, &sa->sin_addr) == 1 ? 0 : -1;
}

static int serve(const struct sockaddr_in *sa, const char *name)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	char line[128];
	size_t len;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 || listen(fd, 512) < 0) {
		perror("xvip-probe serve");
		return 1;
	}
	snprintf(line, sizeof(line), "%s\n", name);
	len = strlen(line);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			continue;
		if (write(c, line, len) < 0) {
			/* the client gave up: nothing to do */
		}
		close(c);
	}
}

/* One attempt: 1 and the server's first line in buf if it answered. */
static int attempt(const struct sockaddr_in *sa, int timeout_ms, char *buf, size_t buflen)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0, ok = 0;
	socklen_t el = sizeof(err);
	double deadline = now_ms() + timeout_ms;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	size_t got = 0;

	buf[0] = 0;
	if (fd < 0)
		return 0;
	/* RST on close: thousands of probes must not leave TIME_WAIT behind */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno != EINPROGRESS)
		goto out;
	for (;;) {
		int left = (int)(deadline - now_ms());
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (left <= 0)
			goto out;
		if (poll(&p, 1, left) <= 0)
			goto out;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err)
			goto out;
		ssize_t n = read(fd, buf + got, buflen - 1 - got);

		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == buflen - 1 || memchr(buf, '\n', got))
			break;
	}
	buf[got] = 0;
	buf[strcspn(buf, "\n")] = 0;
	ok = got > 0;
out:
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	char buf[128];

	if (argc >= 5 && strcmp(argv[1], "serve") == 0) {
		if (parse_addr(argv[2], argv[3], &sa) < 0)
			return fprintf(stderr, "xvip-probe: bad address %s\n", argv[2]), 2;
		return serve(&sa, argv[4]);
	}
	if (argc >= 4 && strcmp(argv[1], "connect") == 0) {
		if (parse_addr(argv[2], argv[3], &sa) < 0)
			return fprintf(stderr, "xvip-probe: bad address %s\n", argv[2]), 2;
		if (!attempt(&sa, argc > 4 ? atoi(argv[4]) : 1000, buf, sizeof(buf)))
			return 1;
		printf("%s\n", buf);
		return 0;
	}
	if (argc >= 5 && strcmp(argv[1], "outage") == 0) {
		double duration = atof(argv[4]);
		double interval = argc > 5 ? atof(argv[5]) : 1.0;
		int timeout = argc > 6 ? atoi(argv[6]) : 5;
		double start = now_ms(), last_ok = -1, gap = 0, gap_start = 0, first_ok = -1;
		char before[128] = "-", after[128] = "-", prev[128] = "-";
		long attempts = 0, ok = 0;

		if (parse_addr(argv[2], argv[3], &sa) < 0)
			return fprintf(stderr, "xvip-probe: bad address %s\n", argv[2]), 2;
		if (duration <= 0 || duration > 600000 || interval < 0.1 || timeout < 1)
			return fprintf(stderr, "xvip-probe: duration 1..600000 ms, interval >= 0.1\n"), 2;
		while (now_ms() - start < duration) {
			double t = now_ms();

			attempts++;
			if (attempt(&sa, timeout, buf, sizeof(buf))) {
				double at = now_ms();

				ok++;
				if (first_ok < 0)
					first_ok = at;
				if (last_ok >= 0 && at - last_ok > gap) {
					gap = at - last_ok;
					gap_start = last_ok - start;
					snprintf(before, sizeof(before), "%s", prev);
					snprintf(after, sizeof(after), "%s", buf);
				}
				last_ok = at;
				snprintf(prev, sizeof(prev), "%s", buf);
			}
			double next = t + interval;

			while (now_ms() < next) {
				struct timespec ts = { 0, 100000 };

				nanosleep(&ts, NULL);
			}
		}
		printf("attempts %ld ok %ld longest_gap_ms %.1f gap_at_ms %.0f before %s after %s last %s\n",
		       attempts, ok, gap, gap_start, before, after, prev);
		return ok ? 0 : 1;
	}
	fprintf(stderr,
		"usage: xvip-probe serve ADDR PORT NAME\n"
		"       xvip-probe connect ADDR PORT [TIMEOUT_MS]\n"
		"       xvip-probe outage ADDR PORT DURATION_MS [INTERVAL_MS [TIMEOUT_MS]]\n");
	return 2;
}

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
 *   xvip-probe writes ADDR PORT USER PASS DURATION_MS OUT [INTERVAL_MS [TIMEOUT_MS]]
 *       the same for writes: every INTERVAL_MS (default 2) a new connection
 *       (MariaDB Connector/C, non-blocking: attempts overlap) runs
 *       INSERT INTO app.t (v, node) VALUES ('TAG-N', @@report_host), TAG
 *       being OUT's basename up to its first dot; connect and insert
 *       together have TIMEOUT_MS (default 200). The token of every
 *       acknowledged insert goes to OUT, one a line, and to OUT.at with
 *       the time it was acknowledged (ms since the start). Prints the attempts,
 *       acknowledged, refused by the server, timed out, other errors, and
 *       the longest gap between two acknowledgements with the tokens on
 *       either side (start_wall_ms: when it began, for the caller's clock).
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
#include <sys/time.h>

#include <mysql.h>

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

/* ---- writes: acknowledged INSERTs through the VIP ---- */

#define W_SLOTS 256

struct wslot {
	MYSQL *m;
	int step;       /* 0 free, 1 connect, 2 insert */
	int status;     /* the library's wait status */
	double deadline;
	double lib_at;  /* when the library's own timeout is due */
	long n;
	MYSQL *ret_m;
	int ret_i;
};

struct wstats {
	long attempts, acked, refused, timeouts, errors, skipped;
	double start, last_ok, gap, gap_start;
	long gap_before, gap_after, last;
	FILE *out, *at;
	const char *tag;
	char last_error[200];
};

static void w_close(struct wslot *s)
{
	/* mid-operation: let the library fail the call through its own
	 * timeout path, which releases its socket (check_mysql.c does so) */
	for (int i = 0; i < 4 && s->step && s->status; i++) {
		if (s->step == 1)
			s->status = mysql_real_connect_cont(&s->ret_m, s->m, MYSQL_WAIT_TIMEOUT);
		else
			s->status = mysql_real_query_cont(&s->ret_i, s->m, MYSQL_WAIT_TIMEOUT);
	}
	if (s->step == 2) {
		/* RST instead of TIME_WAIT: hundreds of connections a second */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		int fd = (int)mysql_get_socket(s->m);

		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	mysql_close(s->m);
	s->m = NULL;
	s->step = 0;
}

static void w_wait(struct wslot *s, int status)
{
	s->status = status;
	s->lib_at = status & MYSQL_WAIT_TIMEOUT ? now_ms() + mysql_get_timeout_value_ms(s->m) : 0;
}

static void w_fail(struct wstats *w, struct wslot *s)
{
	unsigned e = mysql_errno(s->m);

	if (e && e < 2000)
		w->refused++; /* the server said no (read_only: 1290) */
	else
		w->errors++;
	snprintf(w->last_error, sizeof(w->last_error), "%u %s", e, mysql_error(s->m));
	s->status = 0;
	w_close(s);
}

static void w_step(struct wstats *w, struct wslot *s, int status)
{
	char sql[160];

	w_wait(s, status);
	if (status)
		return;
	if (s->step == 1) {
		if (!s->ret_m) {
			w_fail(w, s);
			return;
		}
		s->step = 2;
		snprintf(sql, sizeof(sql), "INSERT INTO app.t (v, node) VALUES ('%s-%ld', @@report_host)",
			 w->tag, s->n);
		w_wait(s, mysql_real_query_start(&s->ret_i, s->m, sql, strlen(sql)));
		if (s->status)
			return;
	}
	if (s->ret_i) {
		w_fail(w, s);
		return;
	}
	double at = now_ms();

	w->acked++;
	fprintf(w->out, "%s-%ld\n", w->tag, s->n);
	fflush(w->out);
	fprintf(w->at, "%.1f %s-%ld\n", at - w->start, w->tag, s->n);
	if (w->last_ok >= 0 && at - w->last_ok > w->gap) {
		w->gap = at - w->last_ok;
		w->gap_start = w->last_ok - w->start;
		w->gap_before = w->last;
		w->gap_after = s->n;
	}
	w->last_ok = at;
	w->last = s->n;
	w_close(s);
}

static void w_start(struct wstats *w, struct wslot *s, const char *host, unsigned port,
		    const char *user, const char *pass, int timeout)
{
	unsigned secs = (unsigned)(timeout + 999) / 1000 + 1; /* ours is the real one */
	unsigned proto = MYSQL_PROTOCOL_TCP;

	s->m = mysql_init(NULL);
	if (!s->m) {
		w->errors++;
		return;
	}
	s->n = ++w->attempts;
	s->deadline = now_ms() + timeout;
	s->step = 1;
	s->ret_m = NULL;
	s->ret_i = 0;
	if (mysql_options(s->m, MYSQL_OPT_NONBLOCK, 0) ||
	    mysql_options(s->m, MYSQL_OPT_PROTOCOL, &proto) ||
	    mysql_options(s->m, MYSQL_OPT_CONNECT_TIMEOUT, &secs)) {
		w_fail(w, s);
		return;
	}
	w_step(w, s, mysql_real_connect_start(&s->ret_m, s->m, host, user, pass, NULL, port, NULL, 0));
}

static int writes(int argc, char **argv)
{
	const char *host = argv[2], *user = argv[4], *pass = argv[5], *outp = argv[7];
	unsigned port = (unsigned)atoi(argv[3]);
	double duration = atof(argv[6]);
	double interval = argc > 8 ? atof(argv[8]) : 2.0;
	int timeout = argc > 9 ? atoi(argv[9]) : 200;
	static struct wslot slot[W_SLOTS];
	struct pollfd pfd[W_SLOTS];
	int map[W_SLOTS];
	struct wstats w = { .last_ok = -1 };
	struct sockaddr_in sa;
	struct timeval tv;
	char tag[64];
	const char *b = strrchr(outp, '/');
	double next;

	if (parse_addr(host, argv[3], &sa) < 0)
		return fprintf(stderr, "xvip-probe: bad address %s\n", host), 2;
	if (duration <= 0 || duration > 600000 || interval < 0.5 || timeout < 1)
		return fprintf(stderr, "xvip-probe: duration 1..600000 ms, interval >= 0.5\n"), 2;
	snprintf(tag, sizeof(tag), "%s", b ? b + 1 : outp);
	tag[strcspn(tag, ".")] = 0;
	w.tag = tag;
	char atp[4096];

	snprintf(atp, sizeof(atp), "%s.at", outp);
	w.out = fopen(outp, "w");
	w.at = fopen(atp, "w");
	if (!w.out || !w.at)
		return perror(outp), 2;
	if (mysql_library_init(0, NULL, NULL))
		return fprintf(stderr, "xvip-probe: mysql_library_init failed\n"), 2;
	gettimeofday(&tv, NULL);
	w.start = next = now_ms();
	for (;;) {
		double now = now_ms(), wake;
		int n = 0, busy = 0;

		if (now - w.start < duration && now >= next) {
			int k = 0;

			while (k < W_SLOTS && slot[k].step)
				k++;
			if (k < W_SLOTS)
				w_start(&w, &slot[k], host, port, user, pass, timeout);
			else
				w.skipped++;
			next += interval;
			if (next < now) /* no burst to catch up after a stall */
				next = now + interval;
		}
		wake = now - w.start < duration ? next : now + 50;
		for (int k = 0; k < W_SLOTS; k++) {
			struct wslot *s = &slot[k];

			if (!s->step)
				continue;
			busy++;
			if (now >= s->deadline) {
				w.timeouts++;
				snprintf(w.last_error, sizeof(w.last_error), "timeout after %d ms (%s)",
					 timeout, s->step == 1 ? "connect" : "insert");
				w_close(s);
				continue;
			}
			if (s->lib_at && now >= s->lib_at) {
				w_step(&w, s, s->step == 1
					? mysql_real_connect_cont(&s->ret_m, s->m, MYSQL_WAIT_TIMEOUT)
					: mysql_real_query_cont(&s->ret_i, s->m, MYSQL_WAIT_TIMEOUT));
				if (!s->step)
					continue;
			}
			pfd[n].fd = (int)mysql_get_socket(s->m);
			pfd[n].events = (short)((s->status & MYSQL_WAIT_READ ? POLLIN : 0) |
						(s->status & MYSQL_WAIT_WRITE ? POLLOUT : 0) |
						(s->status & MYSQL_WAIT_EXCEPT ? POLLPRI : 0));
			pfd[n].revents = 0;
			map[n++] = k;
			if (s->deadline < wake)
				wake = s->deadline;
			if (s->lib_at && s->lib_at < wake)
				wake = s->lib_at;
		}
		if (now - w.start >= duration && !busy)
			break;
		double left = wake - now_ms();
		int ms = left <= 0 ? 0 : (int)left + 1; /* never wake before it is due */

		if (poll(pfd, (nfds_t)n, ms) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			struct wslot *s = &slot[map[i]];
			int ev = 0;

			if (!pfd[i].revents)
				continue;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				ev |= MYSQL_WAIT_READ;
			if (pfd[i].revents & (POLLOUT | POLLHUP | POLLERR))
				ev |= MYSQL_WAIT_WRITE;
			if (pfd[i].revents & POLLPRI)
				ev |= MYSQL_WAIT_EXCEPT;
			w_step(&w, s, s->step == 1 ? mysql_real_connect_cont(&s->ret_m, s->m, ev)
						   : mysql_real_query_cont(&s->ret_i, s->m, ev));
		}
	}
	fclose(w.out);
	fclose(w.at);
	printf("start_wall_ms %lld attempts %ld acked %ld refused %ld timeouts %ld errors %ld "
	       "skipped %ld longest_gap_ms %.1f gap_at_ms %.0f before %s-%ld after %s-%ld last %s-%ld\n",
	       (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000, w.attempts, w.acked, w.refused,
	       w.timeouts, w.errors, w.skipped, w.gap, w.gap_start, tag, w.gap_before, tag,
	       w.gap_after, tag, w.last);
	if (w.last_error[0])
		printf("last_error %s\n", w.last_error);
	mysql_library_end();
	return w.acked ? 0 : 1;
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
	if (argc >= 8 && strcmp(argv[1], "writes") == 0)
		return writes(argc, argv);
	fprintf(stderr,
		"usage: xvip-probe serve ADDR PORT NAME\n"
		"       xvip-probe connect ADDR PORT [TIMEOUT_MS]\n"
		"       xvip-probe outage ADDR PORT DURATION_MS [INTERVAL_MS [TIMEOUT_MS]]\n"
		"       xvip-probe writes ADDR PORT USER PASS DURATION_MS OUT [INTERVAL_MS [TIMEOUT_MS]]\n");
	return 2;
}

/* xvip-probe: the client-visible side of a failover, for tests and benches.
 *
 *   xvip-probe serve ADDR PORT NAME
 *       accept TCP connections and answer each with "NAME\n", then close.
 *   xvip-probe connect ADDR PORT [TIMEOUT_MS]
 *       one connection: print what the server said; exit 0 if it answered.
 *   xvip-probe outage ADDR PORT DURATION_MS [INTERVAL_MS [TIMEOUT_MS [TRACE]]]
 *       try a connection every INTERVAL_MS (default 1) with a TIMEOUT_MS
 *       (default 5) deadline for DURATION_MS; print the number of attempts,
 *       successes, and the longest gap between two successful connections
 *       (the outage a client sees), with who answered before and after.
 *       With TRACE, every attempt also goes there, one a line:
 *       "START_US TOOK_US OK WHO" (START_US: CLOCK_REALTIME in us, so that
 *       other processes' timestamps line up; OK 1 or 0; WHO the answer or
 *       "-"): make bench's failover timeline.
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
 *   xvip-probe fence ADDR1 ADDR2 USER PASS DURATION_MS OUT [INTERVAL_MS [TIMEOUT_MS [MAXCONN]]]
 *       the one-writer invariant seen by a client of BOTH nodes (port 3306):
 *       every INTERVAL_MS (default 2) a round R sends, to each address aN
 *       (a1, a2), one autocommit INSERT INTO app.t (v, node) VALUES
 *       ('TAG-aN-R', @@report_host) on a persistent connection from that
 *       address's pool. Each has TIMEOUT_MS (default 50) from the round's
 *       start, a new connection's connect included; one that misses it
 *       counts as timed out, and its connection is not closed (a commit
 *       waiting for a semi-sync ack would only leave its thread behind on
 *       the server) but stays busy until it completes or DURATION_MS ends.
 *       A pool opens up to MAXCONN (default 32) connections; with none free
 *       the round counts "noconn" for that address. Acknowledged tokens go
 *       to OUT.1 / OUT.2 with OUT.1.at / OUT.2.at ("ms token"); those that
 *       complete after their deadline to OUT.N.late ("ms token"). Prints
 *       the rounds, per address the acked, refused by the server (read_only:
 *       1290), timed out, other errors, noconn, late ones and the longest
 *       gap between its acknowledgements, then both_acked (rounds in which
 *       both addresses acknowledged in time: two writers; must be 0), the
 *       longest run of such rounds, the first and last (ms since the start)
 *       and the longest gap between acknowledgements of any address. Exits
 *       0 once it ran: the caller reads the numbers.
 *       Each SIGUSR1 it gets is a mark, printed as "mark K MS" (K from 1, MS
 *       since the start, on the clock of the .at files): a caller that
 *       signals right before or after an event of its own gets that event on
 *       the sampler's clock, untouched by wall-clock steps, and everything
 *       the sampler records after the signal was sent is later than its mark
 *       (the handler runs before the loop goes on).
 *   writes and fence end early on SIGUSR2, as if DURATION_MS had run out at
 *   that moment (the statements in flight are still decided and counted).
 *
 *   xvip-probe liv-forge SRC DST VRID DURATION_MS RATE [keyed]
 *       forged fast liveness echoes: RATE a second for DURATION_MS from
 *       SRC (any address: IP_TRANSPARENT, root) to DST, UDP 30112 both ways, for
 *       VRID; unkeyed (no auth) or, with "keyed", in the keyed format with
 *       a made-up tag and a nonce of now (the wall clock). Prints how many
 *       went out: a host on the segment flooding a master in a backup's
 *       name (tests/e2e/test_liveness.sh).
 *   xvip-probe arpwatch IFACE VIP DURATION_MS [INTERVAL_MS]
 *       ask "who has VIP" on IFACE every INTERVAL_MS (default 0.5) for
 *       DURATION_MS and record every answer (ARP replies, and gratuitous ARPs
 *       for VIP) by MAC; print the requests, answers, per MAC its first and
 *       last answer (ms since the start) and count, and "switches": how many
 *       times the answering MAC changed from one answer to the next (one
 *       clean takeover: 1; two nodes answering by turns: more).
 *
 * Bounded in time and count, and only ever aimed at the address given (the
 * tests give a VIP inside their own network namespaces).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>

#include <mysql.h>

#include "xvip.h"

/* SIGUSR2 to writes or fence: end now, as if DURATION_MS had run out (the
 * caller's scenario ended early); what is in flight is still decided. */
static volatile sig_atomic_t p_end_now;

static void p_on_end(int sig)
{
	(void)sig;
	p_end_now = 1;
}

static void p_catch_end(void)
{
	struct sigaction sa = { .sa_handler = p_on_end };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long long realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
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

/* ---- writes and fence: INSERTs on non-blocking connections ---- */

#define W_SLOTS 256

enum { W_FREE, W_CONNECT, W_QUERY, W_IDLE }; /* a slot's step; W_IDLE: fence's pools */

struct wslot {
	MYSQL *m;
	int step;
	int status;     /* the library's wait status */
	double deadline;
	double lib_at;  /* when the library's own timeout is due */
	long n;         /* writes: the attempt; fence: the round */
	int late;       /* fence: the deadline passed, its round counted a timeout */
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

/* Continues the slot's call with the events EV (MYSQL_WAIT_*). */
static int w_cont(struct wslot *s, int ev)
{
	return s->step == W_CONNECT ? mysql_real_connect_cont(&s->ret_m, s->m, ev)
				    : mysql_real_query_cont(&s->ret_i, s->m, ev);
}

static void w_close(struct wslot *s)
{
	/* mid-operation: let the library fail the call through its own
	 * timeout path, which releases its socket (check_mysql.c does so) */
	for (int i = 0; i < 4 && s->step != W_IDLE && s->status; i++)
		s->status = w_cont(s, MYSQL_WAIT_TIMEOUT);
	if (s->step == W_QUERY || s->step == W_IDLE) {
		/* RST instead of TIME_WAIT: hundreds of connections a second */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		int fd = (int)mysql_get_socket(s->m);

		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	mysql_close(s->m);
	s->m = NULL;
	s->step = W_FREE;
	s->status = 0;
}

static void w_wait(struct wslot *s, int status)
{
	s->status = status;
	s->lib_at = status & MYSQL_WAIT_TIMEOUT ? now_ms() + mysql_get_timeout_value_ms(s->m) : 0;
}

/* A non-blocking TCP handle whose library connect timeout lies beyond
 * ours (TIMEOUT_MS is the real one); NULL if the library refused. */
static MYSQL *w_handle(int timeout_ms)
{
	unsigned secs = (unsigned)(timeout_ms + 999) / 1000 + 1;
	unsigned proto = MYSQL_PROTOCOL_TCP;
	MYSQL *m = mysql_init(NULL);

	if (m && (mysql_options(m, MYSQL_OPT_NONBLOCK, 0) ||
		  mysql_options(m, MYSQL_OPT_PROTOCOL, &proto) ||
		  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &secs))) {
		mysql_close(m);
		m = NULL;
	}
	return m;
}

/* The poll entry of a slot waiting on its socket, and the library's
 * events from what poll returned. */
static struct pollfd w_pollfd(const struct wslot *s)
{
	struct pollfd p = { .fd = (int)mysql_get_socket(s->m) };

	p.events = (short)((s->status & MYSQL_WAIT_READ ? POLLIN : 0) |
			   (s->status & MYSQL_WAIT_WRITE ? POLLOUT : 0) |
			   (s->status & MYSQL_WAIT_EXCEPT ? POLLPRI : 0));
	return p;
}

static int w_events(short revents)
{
	int ev = 0;

	if (revents & (POLLIN | POLLHUP | POLLERR))
		ev |= MYSQL_WAIT_READ;
	if (revents & (POLLOUT | POLLHUP | POLLERR))
		ev |= MYSQL_WAIT_WRITE;
	if (revents & POLLPRI)
		ev |= MYSQL_WAIT_EXCEPT;
	return ev;
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
	if (s->step == W_CONNECT) {
		if (!s->ret_m) {
			w_fail(w, s);
			return;
		}
		s->step = W_QUERY;
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
	s->m = w_handle(timeout);
	if (!s->m) {
		w->errors++;
		return;
	}
	s->n = ++w->attempts;
	s->deadline = now_ms() + timeout;
	s->step = W_CONNECT;
	s->ret_m = NULL;
	s->ret_i = 0;
	w_step(w, s, mysql_real_connect_start(&s->ret_m, s->m, host, user, pass, NULL, port, NULL, 0));
}

/* OUT's basename up to its first dot: the tokens' prefix. */
static void out_tag(const char *outp, char *tag, size_t len)
{
	const char *b = strrchr(outp, '/');

	snprintf(tag, len, "%s", b ? b + 1 : outp);
	tag[strcspn(tag, ".")] = 0;
}

static FILE *open_out(const char *outp, const char *suffix)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", outp, suffix);
	f = fopen(path, "w");
	if (!f)
		perror(path);
	return f;
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
	double next;

	if (parse_addr(host, argv[3], &sa) < 0)
		return fprintf(stderr, "xvip-probe: bad address %s\n", host), 2;
	if (duration <= 0 || duration > 600000 || interval < 0.5 || timeout < 1)
		return fprintf(stderr, "xvip-probe: duration 1..600000 ms, interval >= 0.5\n"), 2;
	out_tag(outp, tag, sizeof(tag));
	w.tag = tag;
	w.out = open_out(outp, "");
	w.at = open_out(outp, ".at");
	if (!w.out || !w.at)
		return 2;
	if (mysql_library_init(0, NULL, NULL))
		return fprintf(stderr, "xvip-probe: mysql_library_init failed\n"), 2;
	p_catch_end();
	gettimeofday(&tv, NULL);
	w.start = next = now_ms();
	for (;;) {
		double now = now_ms(), wake;
		int n = 0, busy = 0;

		if (p_end_now && now - w.start < duration)
			duration = now - w.start;
		if (now - w.start < duration && now >= next) {
			int k = 0;

			while (k < W_SLOTS && slot[k].step != W_FREE)
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

			if (s->step == W_FREE)
				continue;
			busy++;
			if (now >= s->deadline) {
				w.timeouts++;
				snprintf(w.last_error, sizeof(w.last_error), "timeout after %d ms (%s)",
					 timeout, s->step == W_CONNECT ? "connect" : "insert");
				w_close(s);
				continue;
			}
			if (s->lib_at && now >= s->lib_at) {
				w_step(&w, s, w_cont(s, MYSQL_WAIT_TIMEOUT));
				if (s->step == W_FREE)
					continue;
			}
			pfd[n] = w_pollfd(s);
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

			if (pfd[i].revents)
				w_step(&w, s, w_cont(s, w_events(pfd[i].revents)));
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

/* ---- fence: the one-writer invariant, from a client of both nodes ---- */

#define F_MAXCONN 256

struct fpool {
	const char *host;
	int idx; /* 1, 2: the tokens' a1, a2 and the files OUT.1, OUT.2 */
	struct wslot conn[F_MAXCONN];
	long acked, refused, timeouts, errors, noconn, late_acked, late_failed;
	double first_ok, last_ok, gap;
	FILE *out, *at, *late;
	char last_error[200];
};

struct fence {
	struct fpool pool[2];
	const char *user, *pass, *tag;
	int timeout, maxconn;
	double start;
	long rounds, cap;
	unsigned char *acked; /* per round: bit idx-1 once pool idx acknowledged in time */
	double *round_at;     /* per round: when it began, ms since the start */
	double last_ok, gap, gap_at;
};

static void f_send(struct fence *f, struct fpool *p, struct wslot *s);

#define F_MAXMARK 64
static volatile sig_atomic_t f_nmarks;
static double f_marks[F_MAXMARK];

static void f_on_mark(int sig)
{
	(void)sig;
	if (f_nmarks < F_MAXMARK)
		f_marks[f_nmarks++] = now_ms(); /* clock_gettime: async-signal-safe */
}

/* The statement of round s->n ended (OK: acknowledged): counted for its
 * round if it is in time, as late otherwise. A connection the server
 * answered on stays in the pool; one the client lost is closed. */
static void f_end(struct fence *f, struct fpool *p, struct wslot *s, int ok)
{
	unsigned e = ok ? 0 : mysql_errno(s->m);
	double at = now_ms();

	if (!s->late && at > s->deadline) {
		p->timeouts++;
		s->late = 1;
	}
	if (!ok)
		snprintf(p->last_error, sizeof(p->last_error), "%u %s", e, mysql_error(s->m));
	if (s->late && ok) {
		p->late_acked++;
		fprintf(p->late, "%.1f %s-a%d-%ld\n", at - f->start, f->tag, p->idx, s->n);
		fflush(p->late);
	} else if (s->late) {
		p->late_failed++;
	} else if (ok) {
		p->acked++;
		fprintf(p->out, "%s-a%d-%ld\n", f->tag, p->idx, s->n);
		fflush(p->out);
		fprintf(p->at, "%.1f %s-a%d-%ld\n", at - f->start, f->tag, p->idx, s->n);
		f->acked[s->n] |= (unsigned char)(1u << (p->idx - 1));
		if (p->first_ok < 0)
			p->first_ok = at;
		if (p->last_ok >= 0 && at - p->last_ok > p->gap)
			p->gap = at - p->last_ok;
		p->last_ok = at;
		if (f->last_ok >= 0 && at - f->last_ok > f->gap) {
			f->gap = at - f->last_ok;
			f->gap_at = f->last_ok - f->start;
		}
		f->last_ok = at;
	} else if (e && e < 2000) {
		p->refused++; /* the server said no (read_only: 1290) */
	} else {
		p->errors++;
	}
	s->late = 0;
	s->status = 0;
	if (s->step == W_QUERY && (ok || (e && e < 2000)))
		s->step = W_IDLE;
	else
		w_close(s);
}

static void f_step(struct fence *f, struct fpool *p, struct wslot *s, int status)
{
	w_wait(s, status);
	if (status)
		return;
	if (s->step == W_CONNECT && !s->ret_m)
		f_end(f, p, s, 0);
	else if (s->step == W_CONNECT)
		f_send(f, p, s);
	else
		f_end(f, p, s, !s->ret_i);
}

static void f_send(struct fence *f, struct fpool *p, struct wslot *s)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "INSERT INTO app.t (v, node) VALUES ('%s-a%d-%ld', @@report_host)",
		 f->tag, p->idx, s->n);
	s->step = W_QUERY;
	s->ret_i = 0;
	f_step(f, p, s, mysql_real_query_start(&s->ret_i, s->m, sql, strlen(sql)));
}

/* Round R on pool P: an idle connection if there is one, else a new one. */
static void f_round(struct fence *f, struct fpool *p, long r, double now)
{
	struct wslot *s = NULL, *fresh = NULL;

	for (int k = 0; k < f->maxconn && !s; k++) {
		if (p->conn[k].step == W_IDLE)
			s = &p->conn[k];
		else if (!fresh && p->conn[k].step == W_FREE)
			fresh = &p->conn[k];
	}
	if (!s && !fresh) {
		p->noconn++;
		return;
	}
	if (!s) {
		s = fresh;
		s->m = w_handle(f->timeout);
		if (!s->m) {
			p->errors++;
			return;
		}
		s->step = W_CONNECT;
	}
	s->n = r;
	s->deadline = now + f->timeout;
	s->late = 0;
	if (s->step == W_IDLE) {
		f_send(f, p, s);
		return;
	}
	s->ret_m = NULL;
	f_step(f, p, s, mysql_real_connect_start(&s->ret_m, s->m, p->host, f->user, f->pass, NULL,
						 3306, NULL, 0));
}

static void f_report(const struct fence *f, const struct timeval *tv, double interval)
{
	long both = 0, run = 0, longest = 0;
	double first = -1, last = -1;

	for (long r = 1; r <= f->rounds; r++) {
		if (f->acked[r] != 3) {
			run = 0;
			continue;
		}
		both++;
		if (++run > longest)
			longest = run;
		if (first < 0)
			first = f->round_at[r];
		last = f->round_at[r];
	}
	printf("start_wall_ms %lld rounds %ld interval_ms %.1f timeout_ms %d maxconn %d\n",
	       (long long)tv->tv_sec * 1000 + tv->tv_usec / 1000, f->rounds, interval, f->timeout,
	       f->maxconn);
	for (int i = 0; i < 2; i++) {
		const struct fpool *p = &f->pool[i];

		printf("a%d %s acked %ld refused %ld timeouts %ld errors %ld noconn %ld late_acked %ld "
		       "late_failed %ld longest_gap_ms %.1f first_ack_ms %.1f last_ack_ms %.1f\n",
		       p->idx, p->host, p->acked, p->refused, p->timeouts, p->errors, p->noconn,
		       p->late_acked, p->late_failed, p->gap,
		       p->first_ok < 0 ? -1 : p->first_ok - f->start,
		       p->last_ok < 0 ? -1 : p->last_ok - f->start);
	}
	printf("both_acked %ld longest_run %ld first_ms %.1f last_ms %.1f longest_gap_ms %.1f "
	       "gap_at_ms %.1f\n", both, longest, first, last, f->gap, f->gap_at);
	for (int k = 0; k < f_nmarks; k++)
		printf("mark %d %.1f\n", k + 1, f_marks[k] > f->start ? f_marks[k] - f->start : 0.0);
	for (int i = 0; i < 2; i++)
		if (f->pool[i].last_error[0])
			printf("a%d_last_error %s\n", f->pool[i].idx, f->pool[i].last_error);
}

static int fence(int argc, char **argv)
{
	const char *outp = argv[7];
	double duration = atof(argv[6]);
	double interval = argc > 8 ? atof(argv[8]) : 2.0;
	static struct fence f;
	static struct pollfd pfd[2 * F_MAXCONN];
	static int map[2 * F_MAXCONN];
	struct sockaddr_in sa;
	struct timeval tv;
	char tag[64];
	double next;
	struct sigaction sa_mark = { .sa_handler = f_on_mark, .sa_flags = SA_RESTART };

	/* first: a mark sent early must not kill the sampler (SIGUSR1's
	 * default); one before the start is noted at the start */
	sigemptyset(&sa_mark.sa_mask);
	sigaction(SIGUSR1, &sa_mark, NULL);
	f.timeout = argc > 9 ? atoi(argv[9]) : 50;
	f.maxconn = argc > 10 ? atoi(argv[10]) : 32;
	f.user = argv[4];
	f.pass = argv[5];
	for (int i = 0; i < 2; i++) {
		if (parse_addr(argv[2 + i], "3306", &sa) < 0)
			return fprintf(stderr, "xvip-probe: bad address %s\n", argv[2 + i]), 2;
	}
	if (duration <= 0 || duration > 600000 || interval < 0.5 || f.timeout < 1 || f.maxconn < 1 ||
	    f.maxconn > F_MAXCONN)
		return fprintf(stderr, "xvip-probe: duration 1..600000 ms, interval >= 0.5, "
				       "timeout >= 1, maxconn 1..%d\n", F_MAXCONN), 2;
	out_tag(outp, tag, sizeof(tag));
	f.tag = tag;
	f.cap = (long)(duration / interval) + 2;
	f.acked = calloc((size_t)f.cap + 1, 1);
	f.round_at = calloc((size_t)f.cap + 1, sizeof(*f.round_at));
	if (!f.acked || !f.round_at)
		return fprintf(stderr, "xvip-probe: out of memory for %ld rounds\n", f.cap), 2;
	for (int i = 0; i < 2; i++) {
		struct fpool *p = &f.pool[i];
		char suf[16];

		p->host = argv[2 + i];
		p->idx = i + 1;
		p->first_ok = p->last_ok = -1;
		snprintf(suf, sizeof(suf), ".%d", p->idx);
		p->out = open_out(outp, suf);
		snprintf(suf, sizeof(suf), ".%d.at", p->idx);
		p->at = open_out(outp, suf);
		snprintf(suf, sizeof(suf), ".%d.late", p->idx);
		p->late = open_out(outp, suf);
		if (!p->out || !p->at || !p->late)
			return 2;
	}
	f.last_ok = -1;
	signal(SIGPIPE, SIG_IGN); /* a server gone mid-write: an error, not our end */
	if (mysql_library_init(0, NULL, NULL))
		return fprintf(stderr, "xvip-probe: mysql_library_init failed\n"), 2;
	p_catch_end();
	gettimeofday(&tv, NULL);
	f.start = next = now_ms();
	for (;;) {
		double now = now_ms(), wake;
		int n = 0, pending = 0, running;

		if (p_end_now && now - f.start < duration)
			duration = now - f.start;
		running = now - f.start < duration;

		if (running && now >= next && f.rounds < f.cap) {
			f.round_at[++f.rounds] = now - f.start;
			for (int i = 0; i < 2; i++)
				f_round(&f, &f.pool[i], f.rounds, now);
			next += interval;
			if (next < now) /* no burst to catch up after a stall */
				next = now + interval;
		}
		wake = running ? next : now + 50;
		for (int i = 0; i < 2 * f.maxconn; i++) {
			struct fpool *p = &f.pool[i / f.maxconn];
			struct wslot *s = &p->conn[i % f.maxconn];

			if (s->step == W_FREE || s->step == W_IDLE)
				continue;
			if (!s->late && now >= s->deadline) {
				/* not acknowledged in time; the statement goes on */
				p->timeouts++;
				s->late = 1;
				snprintf(p->last_error, sizeof(p->last_error), "timeout after %d ms (%s)",
					 f.timeout, s->step == W_CONNECT ? "connect" : "insert");
			}
			if (s->lib_at && now >= s->lib_at) {
				f_step(&f, p, s, w_cont(s, MYSQL_WAIT_TIMEOUT));
				if (s->step == W_FREE || s->step == W_IDLE)
					continue;
			}
			if (!s->late) {
				pending++;
				if (s->deadline < wake)
					wake = s->deadline;
			}
			pfd[n] = w_pollfd(s);
			map[n++] = i;
			if (s->lib_at && s->lib_at < wake)
				wake = s->lib_at;
		}
		/* the end: every round decided; what is still busy is let go */
		if (!running && !pending)
			break;
		double left = wake - now_ms();
		int ms = left <= 0 ? 0 : (int)left + 1; /* never wake before it is due */

		if (poll(pfd, (nfds_t)n, ms) < 0 && errno != EINTR)
			break;
		for (int j = 0; j < n; j++) {
			struct fpool *p = &f.pool[map[j] / f.maxconn];
			struct wslot *s = &p->conn[map[j] % f.maxconn];

			if (pfd[j].revents)
				f_step(&f, p, s, w_cont(s, w_events(pfd[j].revents)));
		}
	}
	for (int i = 0; i < 2; i++) {
		struct fpool *p = &f.pool[i];

		for (int k = 0; k < f.maxconn; k++)
			if (p->conn[k].step != W_FREE)
				w_close(&p->conn[k]);
		fclose(p->out);
		fclose(p->at);
		fclose(p->late);
	}
	f_report(&f, &tv, interval);
	free(f.acked);
	free(f.round_at);
	mysql_library_end();
	return 0;
}

/* ---- arpwatch ---------------------------------------------------------- */

#define ARPW_MACS 8

static int arpwatch(int argc, char **argv)
{
	const char *ifname = argv[2];
	double duration = atof(argv[4]), interval = argc > 5 ? atof(argv[5]) : 0.5;
	struct { uint8_t mac[6]; double first, last; long n; } seen[ARPW_MACS];
	int nseen = 0, last_idx = -1;
	long requests = 0, answers = 0, switches = 0;
	struct in_addr vip, me = { 0 };
	uint8_t mymac[6], req[42], buf[256];
	struct ifreq ifr;
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP) };
	double start, next;
	int fd;

	if (inet_pton(AF_INET, argv[3], &vip) != 1 || duration <= 0 || duration > 600000 ||
	    interval < 0.1)
		return fprintf(stderr, "xvip-probe: arpwatch IFACE VIP DURATION_MS [INTERVAL_MS >= 0.1]\n"), 2;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ARP));
	if (fd < 0)
		return perror("xvip-probe: socket(AF_PACKET)"), 1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return perror("xvip-probe: SIOCGIFINDEX"), 1;
	ll.sll_ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return perror("xvip-probe: SIOCGIFHWADDR"), 1;
	memcpy(mymac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFADDR, &ifr) == 0)
		me = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr;
	if (bind(fd, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		return perror("xvip-probe: bind"), 1;
	/* who has VIP? tell me */
	memset(req, 0xff, 6);
	memcpy(req + 6, mymac, 6);
	req[12] = 0x08, req[13] = 0x06;
	req[14] = 0, req[15] = 1, req[16] = 0x08, req[17] = 0, req[18] = 6, req[19] = 4;
	req[20] = 0, req[21] = 1;
	memcpy(req + 22, mymac, 6);
	memcpy(req + 28, &me, 4);
	memset(req + 32, 0, 6);
	memcpy(req + 38, &vip, 4);

	start = next = now_ms();
	while (now_ms() - start < duration) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double now = now_ms();

		if (now >= next) {
			if (send(fd, req, sizeof(req), 0) == (ssize_t)sizeof(req))
				requests++;
			next += interval;
			if (next < now)
				next = now + interval;
		}
		if (poll(&pfd, 1, 0) <= 0) {
			struct timespec ts = { 0, 50000 };

			nanosleep(&ts, NULL);
			continue;
		}
		for (;;) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			double at = now_ms() - start;
			const uint8_t *a = buf + 14;
			int k;

			if (n < 42)
				break;
			if (buf[12] != 0x08 || buf[13] != 0x06 || memcmp(a + 14, &vip, 4))
				continue; /* not about the VIP as its sender */
			if (!memcmp(a + 8, mymac, 6))
				continue;
			/* a reply, or a gratuitous ARP (request with spa == tpa) */
			if (!(a[7] == 2 || (a[7] == 1 && !memcmp(a + 24, &vip, 4))))
				continue;
			answers++;
			for (k = 0; k < nseen && memcmp(seen[k].mac, a + 8, 6); k++)
				;
			if (k == nseen) {
				if (nseen == ARPW_MACS)
					continue;
				memcpy(seen[k].mac, a + 8, 6);
				seen[k].first = at;
				seen[k].n = 0;
				nseen++;
			}
			seen[k].last = at;
			seen[k].n++;
			if (last_idx >= 0 && last_idx != k)
				switches++;
			last_idx = k;
		}
	}
	printf("requests %ld answers %ld switches %ld", requests, answers, switches);
	for (int k = 0; k < nseen; k++)
		printf(" mac %02x:%02x:%02x:%02x:%02x:%02x first_ms %.1f last_ms %.1f n %ld",
		       seen[k].mac[0], seen[k].mac[1], seen[k].mac[2], seen[k].mac[3],
		       seen[k].mac[4], seen[k].mac[5], seen[k].first, seen[k].last, seen[k].n);
	printf("\n");
	close(fd);
	return 0;
}

/* ctl-idle PATH N MAX_MS: N silent connections to a unix socket; prints
 * how many were accepted and closed by the other end within MAX_MS, and
 * the slowest close (ms). */
static int liv_forge(char **argv, int keyed)
{
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(XVIP_LIV_PORT) };
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(XVIP_LIV_PORT) };
	double duration = atof(argv[5]), rate = atof(argv[6]), start, gap;
	int fd, one = 1, vrid = atoi(argv[4]);
	uint8_t p[XVIP_LIV_KEYED_LEN];
	struct liv_wire *w = (void *)p;
	long sent = 0, failed = 0;
	uint32_t seq = 1;

	if (inet_pton(AF_INET, argv[2], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[3], &dst.sin_addr) != 1 || vrid < 1 || vrid > 255 ||
	    duration <= 0 || rate <= 0 || rate > 1e6)
		return fprintf(stderr, "xvip-probe liv-forge: bad arguments\n"), 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	/* IP_TRANSPARENT: bind to, and send from, an address not ours */
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
		return fprintf(stderr, "xvip-probe liv-forge: %s\n", strerror(errno)), 2;
	gap = 1000.0 / rate;
	start = now_ms();
	while (now_ms() - start < duration) {
		double next = now_ms() + gap;
		uint64_t nonce = (uint64_t)realtime_us() * 1000;

		memset(p, 0, sizeof(p));
		w->magic = htonl(XVIP_LIV_MAGIC);
		w->type = XVIP_LIV_ECHO;
		w->vrid = (uint8_t)vrid;
		w->seq = htonl(seq++);
		memset(w->auth, 0x5a, sizeof(w->auth)); /* a tag nobody computed */
		memcpy(p + sizeof(*w), &nonce, sizeof(nonce));
		if (sendto(fd, p, keyed ? sizeof(p) : sizeof(*w), 0, (struct sockaddr *)&dst,
			   sizeof(dst)) < 0) {
			if (!failed++)
				fprintf(stderr, "xvip-probe liv-forge: %s\n", strerror(errno));
		} else {
			sent++;
		}
		while (now_ms() < next)
			;
	}
	printf("sent %ld failed %ld\n", sent, failed);
	close(fd);
	return 0;
}

static int ctl_idle(int argc, char **argv)
{
	int n = atoi(argv[3]), max_ms = atoi(argv[4]), opened = 0, closed = 0;
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	double start = now_ms(), slowest = 0;
	int *fds;

	(void)argc;
	if (n < 1 || n > 4096 || max_ms < 1 || strlen(argv[2]) >= sizeof(su.sun_path))
		return fprintf(stderr, "xvip-probe: ctl-idle PATH N(1..4096) MAX_MS\n"), 2;
	strcpy(su.sun_path, argv[2]);
	fds = calloc((size_t)n, sizeof(*fds));
	if (!fds)
		return 2;
	for (int i = 0; i < n; i++) {
		/* non-blocking: a full backlog (the other end not accepting)
		 * counts as not opened instead of hanging here */
		fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&su, sizeof(su)) < 0) {
			if (fds[i] >= 0)
				close(fds[i]);
			fds[i] = -1;
			continue;
		}
		opened++;
	}
	while (closed < opened && now_ms() - start < max_ms) {
		struct pollfd p[4096];
		int k = 0;

		for (int i = 0; i < n; i++)
			if (fds[i] >= 0)
				p[k++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		if (poll(p, (nfds_t)k, 50) <= 0)
			continue;
		for (int j = 0; j < k; j++) {
			char c;

			if (!p[j].revents || recv(p[j].fd, &c, 1, MSG_DONTWAIT) > 0)
				continue;
			for (int i = 0; i < n; i++)
				if (fds[i] == p[j].fd) {
					close(fds[i]);
					fds[i] = -1;
				}
			closed++;
			if (now_ms() - start > slowest)
				slowest = now_ms() - start;
		}
	}
	printf("opened %d closed %d slowest_close_ms %.0f\n", opened, closed, slowest);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return 0;
}

/* http ADDR PORT METHOD PATH [TIMEOUT_MS]: one HTTP/1.0 request; prints
 * the status line, the headers and the body as they came. */
static int http(char **argv)
{
	struct sockaddr_in sa;
	char req[512], buf[65536];
	int fd, timeout = argv[6] ? atoi(argv[6]) : 2000;
	struct timeval tv = { timeout / 1000, (timeout % 1000) * 1000 };
	ssize_t n;

	if (parse_addr(argv[2], argv[3], &sa) < 0)
		return fprintf(stderr, "xvip-probe: bad address %s\n", argv[2]), 2;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "xvip-probe: connect: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: %s\r\n\r\n", argv[4], argv[5], argv[2]);
	if (write(fd, req, strlen(req)) < 0) {
		close(fd);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0 ? 1 : 0;
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
		FILE *trace = NULL;

		if (parse_addr(argv[2], argv[3], &sa) < 0)
			return fprintf(stderr, "xvip-probe: bad address %s\n", argv[2]), 2;
		if (duration <= 0 || duration > 600000 || interval < 0.1 || timeout < 1)
			return fprintf(stderr, "xvip-probe: duration 1..600000 ms, interval >= 0.1\n"), 2;
		if (argc > 7 && !(trace = fopen(argv[7], "w")))
			return fprintf(stderr, "xvip-probe: %s: %s\n", argv[7], strerror(errno)), 2;
		while (now_ms() - start < duration) {
			double t = now_ms();
			long long wall = trace ? realtime_us() : 0;
			int answered = attempt(&sa, timeout, buf, sizeof(buf));

			attempts++;
			if (trace)
				fprintf(trace, "%lld %.0f %d %s\n", wall, (now_ms() - t) * 1e3, answered,
					answered && buf[0] ? buf : "-");
			if (answered) {
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
		if (trace && fclose(trace) != 0)
			return fprintf(stderr, "xvip-probe: %s: %s\n", argv[7], strerror(errno)), 2;
		printf("attempts %ld ok %ld longest_gap_ms %.1f gap_at_ms %.0f before %s after %s last %s\n",
		       attempts, ok, gap, gap_start, before, after, prev);
		return ok ? 0 : 1;
	}
	if (argc >= 7 && strcmp(argv[1], "liv-forge") == 0)
		return liv_forge(argv, argc > 7 && !strcmp(argv[7], "keyed"));
	if (argc >= 5 && strcmp(argv[1], "arpwatch") == 0)
		return arpwatch(argc, argv);
	if (argc >= 5 && strcmp(argv[1], "ctl-idle") == 0)
		return ctl_idle(argc, argv);
	if (argc >= 6 && strcmp(argv[1], "http") == 0)
		return http(argv);
	if (argc >= 8 && strcmp(argv[1], "writes") == 0)
		return writes(argc, argv);
	if (argc >= 8 && strcmp(argv[1], "fence") == 0)
		return fence(argc, argv);
	fprintf(stderr,
		"usage: xvip-probe serve ADDR PORT NAME\n"
		"       xvip-probe connect ADDR PORT [TIMEOUT_MS]\n"
		"       xvip-probe ctl-idle UNIX_PATH N MAX_MS\n"
		"       xvip-probe http ADDR PORT METHOD PATH [TIMEOUT_MS]\n"
		"       xvip-probe outage ADDR PORT DURATION_MS [INTERVAL_MS [TIMEOUT_MS [TRACE]]]\n"
		"       xvip-probe writes ADDR PORT USER PASS DURATION_MS OUT [INTERVAL_MS [TIMEOUT_MS]]\n"
		"       xvip-probe arpwatch IFACE VIP DURATION_MS [INTERVAL_MS]\n"
		"       xvip-probe liv-forge SRC DST VRID DURATION_MS RATE [keyed]\n"
		"       xvip-probe fence ADDR1 ADDR2 USER PASS DURATION_MS OUT [INTERVAL_MS [TIMEOUT_MS "
		"[MAXCONN]]]\n");
	return 2;
}
